"""SparseType and sparse variables (Theano's theano.sparse.type / basic / sharedvar).

A sparse variable stands for a 2-d scipy.sparse matrix in csr or csc
format with a given dtype. Values travel through compiled functions as the
scipy matrices themselves: only host ops (`mlc.sparse.basic`) read them,
and the native ops (`mlc.sparse.native`) see their data / indices / indptr
arrays, which host ops take out. Compiled code therefore never receives a
sparse value; the call machinery recognizes sparse types by their
`sparse` attribute (it checks, copies and returns them as matrices).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import scipy.sparse

from mlc.config import config
from mlc.graph import Constant, Variable, built_at
from mlc.sharedvalue import Container, SharedVariable

FORMATS = {"csr": scipy.sparse.csr_matrix, "csc": scipy.sparse.csc_matrix}
#: formats a SparseType may have: csr, csc, and bsr (Theano's too: a bsr matrix is only converted to dense,
#: multiplied by structured_dot, or its shape read; the other ops take csr / csc)
TYPE_FORMATS = {**FORMATS, "bsr": scipy.sparse.bsr_matrix}
DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
          "complex64", "complex128")


class SparseType:
    """`SparseType(format, dtype)`: the type of a csr or csc matrix variable (Theano's SparseType).

    Calling it makes a variable: `SparseType('csr', 'float64')('x')`.
    Types are equal when format and dtype are.
    """

    sparse = True
    ndim = 2
    broadcastable = (False, False)
    format_cls = TYPE_FORMATS
    dtype_set = set(DTYPES)

    def __init__(self, format: str, dtype: Any):
        dtype = str(np.dtype(dtype)) if not isinstance(dtype, str) else dtype
        if dtype not in DTYPES:
            raise NotImplementedError(f"SparseType: unsupported dtype {dtype!r}; expected one of {list(DTYPES)}")
        if format not in TYPE_FORMATS:
            raise NotImplementedError(f"SparseType: unsupported format {format!r}; expected 'csr', 'csc' or 'bsr'")
        self.format = format
        self.dtype = dtype
        self.name: str | None = None

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    def __call__(self, name: str | None = None) -> "SparseVariable":
        return self.make_variable(name=name)

    def make_variable(self, owner=None, index=None, name=None) -> "SparseVariable":
        return SparseVariable(self, owner, index, name)

    def clone(self, dtype=None, format=None) -> "SparseType":
        return SparseType(format or self.format, dtype or self.dtype)

    def __eq__(self, other: object) -> bool:
        return type(other) is SparseType and other.format == self.format and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((SparseType, self.format, self.dtype))

    def __repr__(self) -> str:
        return f"Sparse[{self.dtype}, {self.format}]"

    __str__ = __repr__

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None,
               what: str = "value"):
        """`value` as a scipy matrix of this format and dtype (Theano's SparseType.filter).

        A matrix of the right class and dtype passes as is; with `strict`
        nothing else does. Otherwise other sparse formats and dense arrays
        are converted to this format; the dtype must already match unless
        `allow_downcast`.
        """
        cls = TYPE_FORMATS[self.format]
        if isinstance(value, cls) and value.dtype == self.numpy_dtype:
            out = value
        elif strict:
            raise TypeError(f"{what}: expected a scipy.sparse {self.format}_matrix of dtype {self.dtype} for {self}, "
                            f"got {type(value).__name__} of dtype {getattr(value, 'dtype', '?')} (strict=True)")
        else:
            if isinstance(value, Variable):
                raise TypeError(f"{what}: expected a scipy.sparse matrix for {self}, got the symbolic variable "
                                f"{value}")
            try:
                out = cls(value, dtype=self.dtype) if allow_downcast else cls(value)
            except Exception as exc:
                raise TypeError(f"{what}: expected a scipy.sparse matrix (or a 2-d array) for {self}, got "
                                f"{type(value).__name__}: {exc}") from None
            if str(out.dtype) != self.dtype:
                raise TypeError(f"{what}: expected {self.dtype} data for {self}, got dtype {out.dtype} (cast the "
                                f"matrix, or pass allow_input_downcast=True)")
        if out.ndim != 2:
            raise TypeError(f"{what}: expected a 2-d matrix for {self}, got shape {out.shape}")
        return out

    def value_zeros(self, shape):
        return TYPE_FORMATS[self.format](tuple(shape), dtype=self.dtype)

    def values_eq(self, a, b) -> bool:
        return scipy.sparse.issparse(a) and scipy.sparse.issparse(b) and abs(a - b).sum() == 0

    def values_eq_approx(self, a, b, eps: float = 1e-6) -> bool:
        if not (scipy.sparse.issparse(a) and scipy.sparse.issparse(b)) or a.shape != b.shape:
            return False
        diff = abs(a - b)
        return diff.nnz == 0 or float(np.max(diff.data)) < eps

    def is_valid_value(self, a) -> bool:
        return scipy.sparse.issparse(a) and a.format == self.format


def is_sparse_variable(x) -> bool:
    return isinstance(x, Variable) and isinstance(x.type, SparseType)


class _SparseMethods:
    """Operators and attributes of sparse variables (Theano's _sparse_py_operators)."""

    type: SparseType
    __array_ufunc__ = None  # ndarray + x: numpy returns NotImplemented, Python calls x.__radd__

    dtype = property(lambda self: self.type.dtype)
    format = property(lambda self: self.type.format)
    ndim = property(lambda self: 2)
    broadcastable = property(lambda self: (False, False))

    @property
    def T(self):
        from mlc.sparse.basic import transpose

        return transpose(self)

    @property
    def shape(self):
        from mlc.sparse.basic import sp_shape

        return sp_shape(self)

    @property
    def size(self):
        from mlc.sparse.basic import csm_data

        return csm_data(self).size

    def astype(self, dtype):
        from mlc.sparse.basic import cast

        return cast(self, dtype)

    def toarray(self):
        from mlc.sparse.basic import dense_from_sparse

        return dense_from_sparse(self)

    def zeros_like(self, dtype=None):
        from mlc.sparse.basic import sp_zeros_like

        return sp_zeros_like(self, dtype)

    def __neg__(self):
        from mlc.sparse.basic import neg

        return neg(self)

    def __add__(self, other):
        from mlc.sparse.basic import add

        return add(self, other)

    def __radd__(self, other):
        from mlc.sparse.basic import add

        return add(other, self)

    def __sub__(self, other):
        from mlc.sparse.basic import sub

        return sub(self, other)

    def __rsub__(self, other):
        from mlc.sparse.basic import sub

        return sub(other, self)

    def __mul__(self, other):
        from mlc.sparse.basic import mul

        return mul(self, other)

    def __rmul__(self, other):
        from mlc.sparse.basic import mul

        return mul(other, self)

    def __dot__(self, other):
        from mlc.sparse.basic import structured_dot

        return structured_dot(self, other)

    def __rdot__(self, other):
        from mlc.sparse.basic import structured_dot

        return structured_dot(other, self)

    def __getitem__(self, args):
        from mlc.sparse.indexing import getitem

        return getitem(self, args)

    # comparisons (Theano's: <, <=, >, >=; == and != stay identity, as in Theano)
    def __lt__(self, other):
        from mlc.sparse.structure import lt

        return lt(self, other)

    def __le__(self, other):
        from mlc.sparse.structure import le

        return le(self, other)

    def __gt__(self, other):
        from mlc.sparse.structure import gt

        return gt(self, other)

    def __ge__(self, other):
        from mlc.sparse.structure import ge

        return ge(self, other)

    def __bool__(self) -> bool:
        return True

    def __iter__(self):
        raise TypeError(f"a sparse variable ({self}) cannot be iterated")


class SparseVariable(_SparseMethods, Variable):
    """A symbolic csr/csc matrix (Theano's SparseVariable)."""

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return f"SparseVariable{{{self.format},{self.dtype}}}" if self.owner is None else Variable.__str__(self)

    __repr__ = __str__


class SparseConstantSignature(tuple):
    """(type, scipy matrix): the identity of a sparse constant's value (Theano's SparseConstantSignature).

    Two signatures are equal when types, dtypes, matrix classes and shapes
    agree and the entries differ by less than 1e-6 per stored entry in all.
    """

    def __eq__(self, other) -> bool:
        if not isinstance(other, tuple) or len(other) != 2:
            return False
        (a, b), (x, y) = self, other
        return bool(a == x and b.dtype == y.dtype and type(b) is type(y) and b.shape == y.shape
                    and abs(b - y).sum() < 1e-6 * b.nnz)

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        a, b = self
        return hash(type(self)) ^ hash(a) ^ hash(type(b))


class SparseConstant(_SparseMethods, Constant):
    """A constant scipy.sparse matrix in a graph (Theano's SparseConstant)."""

    def signature(self) -> SparseConstantSignature:
        return SparseConstantSignature((self.type, self.data))

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        return f"SparseConstant{{{self.format},{self.dtype},shape={self.data.shape},nnz={self.data.nnz}}}"

    __repr__ = __str__


def constant(x, name: str | None = None) -> SparseConstant:
    """A SparseConstant holding a copy of scipy matrix `x` (Theano's sparse.constant)."""
    if not scipy.sparse.issparse(x):
        raise TypeError(f"sparse.constant must be called on a scipy.sparse matrix, got {type(x).__name__}")
    if x.format not in FORMATS:
        x = x.tocsr()
    return SparseConstant(SparseType(x.format, x.dtype), x.copy(), name)


def as_sparse_variable(x, name: str | None = None):
    """`x` as a sparse variable: sparse variables pass, scipy matrices become constants (Theano's)."""
    from mlc.graph import Apply

    if isinstance(x, Apply):
        if len(x.outputs) != 1:
            raise ValueError(f"It is ambiguous which output of a multi-output Op has to be fetched: {x}")
        x = x.outputs[0]
    if isinstance(x, Variable):
        if not isinstance(x.type, SparseType):
            raise TypeError(f"expected a sparse variable, got {x} of type {x.type}{built_at(x)}")
        return x
    try:
        return constant(x, name=name)
    except TypeError:
        raise TypeError(f"Cannot convert {type(x).__name__} to a sparse variable") from None


as_sparse = as_sparse_variable


def as_sparse_or_tensor_variable(x, name: str | None = None):
    """`as_sparse_variable(x)`, or a tensor variable where x is not sparse (Theano's)."""
    try:
        return as_sparse_variable(x, name)
    except (ValueError, TypeError):
        from mlc.tensor.var import as_tensor_variable

        return as_tensor_variable(x, name)


def matrix(format: str, name: str | None = None, dtype=None) -> SparseVariable:
    """A sparse matrix variable of `format` ('csr'/'csc'/'bsr'); dtype defaults to floatX."""
    return SparseType(format, config.floatX if dtype is None else dtype)(name)


def csc_matrix(name: str | None = None, dtype=None) -> SparseVariable:
    return matrix("csc", name, dtype)


def csr_matrix(name: str | None = None, dtype=None) -> SparseVariable:
    return matrix("csr", name, dtype)


def bsr_matrix(name: str | None = None, dtype=None) -> SparseVariable:
    """A bsr (block csr) matrix variable: dense_from_sparse, structured_dot and .shape take it (Theano's)."""
    return matrix("bsr", name, dtype)


csc_dmatrix = SparseType("csc", "float64")
csr_dmatrix = SparseType("csr", "float64")
csc_fmatrix = SparseType("csc", "float32")
csr_fmatrix = SparseType("csr", "float32")
bsr_dmatrix = SparseType("bsr", "float64")
bsr_fmatrix = SparseType("bsr", "float32")

all_dtypes = set(DTYPES)
complex_dtypes = [t for t in DTYPES if t.startswith("complex")]
float_dtypes = [t for t in DTYPES if t.startswith("float")]
int_dtypes = [t for t in DTYPES if t.startswith("int")]
uint_dtypes = [t for t in DTYPES if t.startswith("uint")]
integer_dtypes = int_dtypes + uint_dtypes
continuous_dtypes = complex_dtypes + float_dtypes
discrete_dtypes = int_dtypes + uint_dtypes


class SparseSharedVariable(_SparseMethods, SharedVariable):
    """A shared scipy.sparse matrix (Theano's SparseTensorSharedVariable)."""

    def __init__(self, type: SparseType, value, name: str | None = None):
        Variable.__init__(self, type, None, None, name)
        self.container = Container(value)

    def get_value(self, borrow: bool = False, return_internal_type: bool = False):
        v = self.container.value
        return v if borrow else v.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        v = self.type.filter(value, what=f"set_value of shared variable {self}")
        self.container.value = v if borrow and v is value else v.copy()

    def clone(self):
        c = SparseSharedVariable(self.type, self.container.value, self.name)
        c.container = self.container
        return c

    def zero(self, borrow: bool = False) -> None:
        self.container.value = self.type.value_zeros(self.container.value.shape)

    __str__ = SparseVariable.__str__
    __repr__ = SparseVariable.__str__


def sparse_shared(value, name: str | None = None, strict: bool = False, allow_downcast: bool | None = None,
                  borrow: bool = False, format: str | None = None) -> SparseSharedVariable:
    """A shared variable holding scipy matrix `value` (Theano's sparse.shared / sparse_constructor)."""
    if not scipy.sparse.issparse(value):
        raise TypeError(f"Expected a sparse matrix in the sparse shared variable constructor, got "
                        f"{type(value).__name__}")
    format = format or value.format
    t = SparseType(format, value.dtype)
    if not borrow:
        value = copy.deepcopy(value)
    return SparseSharedVariable(t, t.filter(value, what=f"shared variable {name or ''}".strip()), name)


shared = sparse_shared
