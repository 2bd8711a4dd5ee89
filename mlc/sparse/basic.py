"""theano.sparse's ops with Theano 1.0.5's semantics and gradients.

Most ops are host ops over scipy.sparse (run from Python between native
segments): conversions, transpose, negation, sums, sparse-sparse and
sparse-dense add/mul, casts and the CSM constructor / properties.
`structured_dot` of a sparse and a dense matrix is native
(`mlc.sparse.native`: loops over the CSR arrays, parallel over rows), and
so are the `structured_*` elementwise functions (Theano's structured
monoids: the dense op applied natively to the data vector, between
`csm_properties` and `CSM`).

"Structured" gradients (Theano's word) keep the sparsity pattern of the
sparse operand: only its stored entries get a gradient.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from mlc.graph import Apply, ShapeError, TensorType, built_at
from mlc.graph.dtype import upcast
from mlc.sparse.type import (FORMATS, TYPE_FORMATS, SparseType, as_sparse_or_tensor_variable, as_sparse_variable,
                             continuous_dtypes, discrete_dtypes, is_sparse_variable)
from mlc.tensor.host import HostOp


# ----------------------------------------------------------------------------
# Host op base: results checked and returned in their types' formats
# ----------------------------------------------------------------------------


def as_format(value, t: SparseType):
    """A scipy matrix in t's format and dtype (converted only where it is not already)."""
    if not scipy.sparse.issparse(value):
        value = TYPE_FORMATS[t.format](np.asarray(value))
    if value.format != t.format:
        value = value.asformat(t.format)
    if str(value.dtype) != t.dtype:
        value = value.astype(t.dtype)
    return value


class SparseOp(HostOp):
    """A host op whose inputs or outputs may be sparse: `perform` returns scipy matrices or arrays.

    Sparse operands must be csr or csc unless the op sets `bsr_ok` (Theano's
    ops assert the same).
    """

    bsr_ok = False

    def __call__(self, *inputs, **kwargs):
        if not self.bsr_ok:
            for x in inputs:
                if is_sparse_variable(x) and x.format not in FORMATS:
                    raise NotImplementedError(f"{self}: {x.format} matrices are not supported (csr and csc are), "
                                              f"got {x} ({x.type}){built_at(x)}")
        return super().__call__(*inputs, **kwargs)

    def make_host_thunk(self, node: Apply, mode: str, excluding: tuple[str, ...] = ()):
        types = [o.type for o in node.outputs]
        perform = self.perform

        def thunk(args):
            return [as_format(r, t) if isinstance(t, SparseType) else np.asarray(r, dtype=t.dtype, order="C")
                    for r, t in zip(perform(node, args), types)]

        return thunk


def _sparse_out(format: str, dtype: str) -> SparseType:
    return SparseType(format, dtype)


def _dense(dtype: str, ndim: int) -> TensorType:
    return TensorType(dtype, (False,) * ndim)


def _check_same_shape(op, a, b, node) -> None:
    if tuple(a) != tuple(b):
        raise ShapeError(f"{op}: shapes {tuple(a)} and {tuple(b)} differ{built_at(node.outputs[0])}")


def _rows_cols(x):
    """Row and column of each stored entry of a csr/csc matrix, in storage order."""
    major = np.repeat(np.arange(len(x.indptr) - 1, dtype=np.int64), np.diff(x.indptr))
    return (major, x.indices) if x.format == "csr" else (x.indices, major)


# ----------------------------------------------------------------------------
# Construction: CSMProperties, CSM, CSMGrad, shapes
# ----------------------------------------------------------------------------


class CSMProperties(SparseOp):
    """x -> (data, indices, indptr, shape): the arrays of a csr/csc matrix (int32 index arrays).

    Gradient (Theano's): a sparse matrix with x's pattern holding the data's gradient.
    """

    def make_node(self, csm):
        csm = as_sparse_variable(csm)
        return Apply(self, [csm], [_dense(csm.dtype, 1), _dense("int32", 1), _dense("int32", 1),
                                   _dense("int32", 1)])

    def perform(self, node, inputs):
        (x,) = inputs
        return [x.data, x.indices.astype("int32", copy=False), x.indptr.astype("int32", copy=False),
                np.asarray(x.shape, dtype="int32")]

    def infer_shape(self, node, shapes, value):
        x = value(0)
        return [(x.nnz if x.has_canonical_format else len(x.data),), (len(x.indices),), (len(x.indptr),), (2,)]

    shape_value_inputs = (0,)

    def connection_pattern(self, node):
        return [[True, False, False, False]]

    def grad(self, inputs, output_grads):
        (x,) = inputs
        data, indices, indptr, shape = csm_properties(x)
        return [CSM(x.format)(output_grads[0], indices, indptr, shape)]


csm_properties = CSMProperties()


def csm_data(csm):
    return csm_properties(csm)[0]


def csm_indices(csm):
    return csm_properties(csm)[1]


def csm_indptr(csm):
    return csm_properties(csm)[2]


def csm_shape(csm):
    return csm_properties(csm)[3]


def _index_vector(v, what: str):
    from mlc.tensor.var import as_tensor_variable

    v = as_tensor_variable(np.asarray(v, dtype="int32") if not hasattr(v, "type") else v)
    if v.ndim != 1 or v.dtype not in discrete_dtypes:
        raise TypeError(f"CSM: {what} must be a vector of integers, got {v} ({v.type})")
    return v


class CSM(SparseOp):
    """(data, indices, indptr, shape) -> a csr or csc matrix (Theano's CSM; CSR / CSC below).

    Gradient w.r.t. data: the output gradient read at the output's stored
    positions (CSMGrad); the index arrays are disconnected.
    """

    __props__ = ("format",)
    shape_value_inputs = (3,)

    def __init__(self, format: str):
        if format not in FORMATS:
            raise ValueError(f"CSM: format must be one of 'csr', 'csc', got {format!r}")
        self.format = format

    def make_node(self, data, indices, indptr, shape):
        from mlc.tensor.var import as_tensor_variable

        data = as_tensor_variable(data)
        if data.ndim != 1:
            raise TypeError(f"CSM: data must be a vector, got {data} ({data.type}){built_at(data)}")
        ins = [data, _index_vector(indices, "indices"), _index_vector(indptr, "indptr"), _index_vector(shape, "shape")]
        return Apply(self, ins, [_sparse_out(self.format, data.dtype)])

    def perform(self, node, inputs):
        data, indices, indptr, shape = inputs
        if len(shape) != 2:
            raise ValueError(f"CSM: shape must have 2 entries, got {list(shape)}")
        if np.shape(data) != np.shape(indices):
            raise ValueError(f"CSM: data (shape {np.shape(data)}) must have as many elements as indices "
                             f"(shape {np.shape(indices)})")
        return [FORMATS[self.format]((np.asarray(data), np.array(indices), np.array(indptr)),
                                     tuple(int(n) for n in shape))]

    def infer_shape(self, node, shapes, value):
        shape = value(3)
        return [(int(shape[0]), int(shape[1]))]

    def connection_pattern(self, node):
        return [[True], [False], [False], [False]]

    def grad(self, inputs, output_grads):
        data, indices, indptr, shape = inputs
        (g,) = output_grads
        if not is_sparse_variable(g):
            g = SparseFromDense(self.format)(g)
        gd, gi, gp, gs = csm_properties(g)
        return [CSMGrad(self.format)(data, indices, indptr, shape, g), None, None, None]


CSC = CSM("csc")
CSR = CSM("csr")


class CSMGrad(SparseOp):
    """The gradient of CSM's data: g (sparse) read at each stored (row, col) of the built matrix."""

    __props__ = ("format",)

    def __init__(self, format: str):
        self.format = format

    def make_node(self, data, indices, indptr, shape, g):
        return Apply(self, [data, indices, indptr, shape, g], [_dense(g.dtype, 1)])

    def perform(self, node, inputs):
        data, indices, indptr, shape, g = inputs
        x = FORMATS[self.format]((np.zeros(len(indices)), indices, indptr), tuple(int(n) for n in shape))
        rows, cols = _rows_cols(x)
        if len(rows) == 0:
            return [np.zeros(0, dtype=g.dtype)]
        return [np.asarray(g.tocsr()[rows, cols]).ravel()]

    def infer_shape(self, node, shapes, value):
        return [shapes[1]]


class SpShape(SparseOp):
    """The shape of a sparse matrix as an int64 vector (what `x.shape` gives)."""

    bsr_ok = True

    def make_node(self, x):
        return Apply(self, [as_sparse_variable(x)], [_dense("int64", 1)])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def infer_shape(self, node, shapes, value):
        return [(2,)]

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


sp_shape = SpShape()


def sp_ones_like(x):
    """A matrix with x's pattern and every stored entry one (Theano's sp_ones_like)."""
    from mlc.tensor.alloc import ones_like

    data, indices, indptr, shape = csm_properties(x)
    return CSM(x.format)(ones_like(data), indices, indptr, shape)


def sp_zeros_like(x, dtype=None):
    """An empty matrix of x's shape (no stored entries) (Theano's sp_zeros_like)."""
    from mlc.tensor.alloc import zeros_like

    x = as_sparse_variable(x)
    _, _, indptr, shape = csm_properties(x)
    return CSM(x.format)(np.array([], dtype=dtype or x.dtype), np.array([], dtype="int32"), zeros_like(indptr), shape)


# ----------------------------------------------------------------------------
# Casts and conversions
# ----------------------------------------------------------------------------


class Cast(SparseOp):
    """A sparse matrix in another dtype (Theano's sparse.Cast; regular gradient)."""

    __props__ = ("out_type",)

    def __init__(self, out_type: str):
        self.out_type = out_type

    def __str__(self) -> str:
        return f"Cast({self.out_type})"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [_sparse_out(x.format, self.out_type)])

    def perform(self, node, inputs):
        return [inputs[0].astype(self.out_type)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if gz.dtype in complex_dtypes or x.dtype in complex_dtypes:
            raise NotImplementedError("grad not implemented for complex types")
        if x.dtype in discrete_dtypes:
            return [gz]
        return [Cast(x.dtype)(gz)]


complex_dtypes = [d for d in continuous_dtypes if d.startswith("complex")]


def cast(variable, dtype):
    """`variable` (sparse) cast to dtype."""
    return Cast(str(np.dtype(dtype)))(variable)


bcast, wcast, icast, lcast = Cast("int8"), Cast("int16"), Cast("int32"), Cast("int64")
fcast, dcast, ccast, zcast = Cast("float32"), Cast("float64"), Cast("complex64"), Cast("complex128")


class DenseFromSparse(SparseOp):
    """The dense ndarray of a sparse matrix; structured gradient by default (Theano's)."""

    bsr_ok = True

    def __init__(self, structured: bool = True):
        self.sparse_grad = structured

    def __str__(self) -> str:
        return f"DenseFromSparse{{structured_grad={self.sparse_grad}}}"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [_dense(x.dtype, 2)])

    def perform(self, node, inputs):
        x = inputs[0]
        return [x if isinstance(x, np.ndarray) else x.toarray()]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if self.sparse_grad:
            left, right = sp_ones_like(x), gz
            if right.dtype == "float64" and left.dtype == "float32":
                left = left.astype("float64")
            if right.dtype == "float32" and left.dtype == "float64":
                right = right.astype("float64")
            return [left * right]
        return [SparseFromDense(x.format)(gz)]


dense_from_sparse = DenseFromSparse()


class SparseFromDense(SparseOp):
    """A dense matrix (or vector / scalar, as a row) as a csr or csc matrix (Theano's SparseFromDense)."""

    __props__ = ("format",)

    def __init__(self, format: str):
        self.format = format

    def __str__(self) -> str:
        return f"SparseFromDense{{{self.format}}}"

    def make_node(self, x):
        from mlc.tensor.var import as_tensor_variable

        x = as_tensor_variable(x)
        if x.ndim > 2:
            raise TypeError(f"sparse matrices have 2 dims, but {x}.ndim = {x.ndim}{built_at(x)}")
        if x.ndim == 1:
            x = x.dimshuffle("x", 0)
        elif x.ndim == 0:
            x = x.dimshuffle("x", "x")
        return Apply(self, [x], [_sparse_out(self.format, x.dtype)])

    def perform(self, node, inputs):
        return [TYPE_FORMATS[self.format](inputs[0])]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        from mlc.tensor.extra_ops import patternbroadcast

        (x,), (gz,) = inputs, output_grads
        gx = dense_from_sparse(gz) if is_sparse_variable(gz) else gz
        return [patternbroadcast(gx, x.broadcastable)]


csr_from_dense = SparseFromDense("csr")
csc_from_dense = SparseFromDense("csc")


class AsFormat(SparseOp):
    """The same matrix in another format (csr <-> csc); the gradient goes back to x's format."""

    bsr_ok = True

    __props__ = ("format",)

    def __init__(self, format: str):
        self.format = format

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [_sparse_out(self.format, x.dtype)])

    def perform(self, node, inputs):
        return [inputs[0].asformat(self.format)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if not is_sparse_variable(gz):
            return [gz]
        return [AsFormat(x.format)(gz) if gz.format != x.format else gz]


# ----------------------------------------------------------------------------
# Transpose, negation, sums, scaling
# ----------------------------------------------------------------------------


class Transpose(SparseOp):
    """x.T: csr becomes csc and back (Theano's Transpose; regular gradient)."""

    format_map = {"csr": "csc", "csc": "csr"}

    def __str__(self) -> str:
        return "SparseTranspose"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [_sparse_out(self.format_map[x.format], x.dtype)])

    def perform(self, node, inputs):
        return [inputs[0].transpose()]

    def infer_shape(self, node, shapes, value):
        return [tuple(shapes[0])[::-1]]

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        return [transpose(gz) if is_sparse_variable(gz) else gz.T]


transpose = Transpose()


class Neg(SparseOp):
    """-x (Theano's sparse Neg)."""

    def __str__(self) -> str:
        return "SparseNeg"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [-inputs[0]]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [-output_grads[0]]


neg = Neg()


class SpSum(SparseOp):
    """Sum of a sparse matrix over `axis` (None, 0 or 1), a dense result (Theano's SpSum)."""

    __props__ = ("axis",)

    def __init__(self, axis=None, sparse_grad: bool = True):
        if axis not in (None, 0, 1):
            raise ValueError(f"sp_sum: axis must be None, 0 or 1, got {axis!r}")
        self.axis = axis
        self.structured = sparse_grad

    def __str__(self) -> str:
        return f"SpSum{{axis={self.axis}}}"

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [_dense(x.dtype, 0 if self.axis is None else 1)])

    def perform(self, node, inputs):
        (x,) = inputs
        if self.axis is None:
            return [np.asarray(x.sum())]
        return [np.asarray(x.sum(self.axis)).ravel()]

    def infer_shape(self, node, shapes, value):
        s = shapes[0]
        return [()] if self.axis is None else [(s[1],) if self.axis == 0 else (s[0],)]

    def grad(self, inputs, output_grads):
        from mlc.tensor.alloc import ones_like, second

        (x,), (gz,) = inputs, output_grads
        if x.dtype not in continuous_dtypes:
            return [None]
        if self.structured:
            if self.axis is None:
                return [gz * sp_ones_like(x)]
            return [col_scale(sp_ones_like(x), gz) if self.axis == 0 else row_scale(sp_ones_like(x), gz)]
        d = dense_from_sparse(x)
        if self.axis is None:
            r = second(d, gz)
        elif self.axis == 0:
            r = gz.dimshuffle("x", 0) * ones_like(d)
        else:
            r = gz.dimshuffle(0, "x") * ones_like(d)
        return [SparseFromDense(x.format)(r)]


def sp_sum(x, axis=None, sparse_grad: bool = False):
    """The sum of sparse x over axis (None: all), dense; `sparse_grad` makes the gradient structured."""
    return SpSum(axis, sparse_grad)(x)


class ScaleSV(SparseOp):
    """Each column (axis=1: row) of sparse x times the matching entry of dense vector s; x's pattern kept.

    Theano's ColScaleCSC / RowScaleCSC (col_scale, row_scale), structured gradient.
    """

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = axis

    def make_node(self, x, s):
        from mlc.tensor.var import as_tensor_variable

        x, s = as_sparse_variable(x), as_tensor_variable(s)
        if s.ndim != 1:
            raise TypeError(f"col_scale/row_scale: s must be a vector, got {s} ({s.type}){built_at(s)}")
        return Apply(self, [x, s], [_sparse_out(x.format, upcast(x.dtype, s.dtype))])

    def perform(self, node, inputs):
        x, s = inputs
        rows, cols = _rows_cols(x)
        y = x.astype(node.outputs[0].dtype, copy=True)
        y.data *= np.asarray(s)[cols if self.axis == 0 else rows]
        return [y]

    def infer_shape(self, node, shapes, value):
        n = shapes[0][1 if self.axis == 0 else 0]
        if shapes[1][0] != n:
            raise ShapeError(f"{'col' if self.axis == 0 else 'row'}_scale: a matrix of shape {tuple(shapes[0])} "
                             f"needs a vector of length {n}, got {shapes[1][0]}{built_at(node.outputs[0])}")
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x, s), (gz,) = inputs, output_grads
        return [ScaleSV(self.axis)(gz, s), sp_sum(x * gz, axis=self.axis, sparse_grad=True)]


def col_scale(x, s):
    """Column j of sparse x times s[j] (structured)."""
    return ScaleSV(0)(x, s)


def row_scale(x, s):
    """Row i of sparse x times s[i] (structured)."""
    return ScaleSV(1)(x, s)


# ----------------------------------------------------------------------------
# add, sub, mul
# ----------------------------------------------------------------------------


class AddSS(SparseOp):
    """sparse + sparse -> sparse in x's format (Theano's AddSS)."""

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), as_sparse_variable(y)
        return Apply(self, [x, y], [_sparse_out(x.format, upcast(x.dtype, y.dtype))])

    def perform(self, node, inputs):
        x, y = inputs
        return [x + y]

    def infer_shape(self, node, shapes, value):
        _check_same_shape("add", shapes[0], shapes[1], node)
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [output_grads[0], output_grads[0]]


add_s_s = AddSS()


class AddSD(SparseOp):
    """sparse + dense matrix -> dense (Theano's AddSD; structured gradient for the sparse operand)."""

    def make_node(self, x, y):
        from mlc.tensor.var import as_tensor_variable

        x, y = as_sparse_variable(x), as_tensor_variable(y)
        if y.ndim != 2:
            raise TypeError(f"sparse add: the dense operand must be a matrix, got {y} ({y.type}){built_at(y)}")
        return Apply(self, [x, y], [TensorType(upcast(x.dtype, y.dtype), y.broadcastable)])

    def perform(self, node, inputs):
        x, y = inputs
        return [np.asarray(x + y)]

    def infer_shape(self, node, shapes, value):
        _check_same_shape("add", shapes[0], shapes[1], node)
        return [shapes[1]]

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        return [sp_ones_like(x) * gz, gz]


add_s_d = AddSD()


class StructuredAddSV(SparseOp):
    """sparse x + dense vector y added to x's stored entries only (Theano's StructuredAddSV)."""

    def make_node(self, x, y):
        from mlc.tensor.var import as_tensor_variable

        x, y = as_sparse_variable(x), as_tensor_variable(y)
        if y.ndim != 1:
            raise TypeError(f"structured_add_s_v: y must be a vector, got {y} ({y.type}){built_at(y)}")
        if x.dtype != y.dtype:
            raise NotImplementedError(f"structured_add_s_v: dtypes differ ({x.dtype}, {y.dtype})")
        return Apply(self, [x, y], [x.type])

    def perform(self, node, inputs):
        x, y = inputs
        _, cols = _rows_cols(x)
        z = x.copy()
        z.data = z.data + np.asarray(y)[cols]
        return [z]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        return [gz, sp_sum(gz, axis=0, sparse_grad=True)]


structured_add_s_v = StructuredAddSV()


def add(x, y):
    """x + y where at least one is sparse: sparse + sparse is sparse, sparse + dense is dense (Theano's)."""
    x, y = as_sparse_or_tensor_variable(x), as_sparse_or_tensor_variable(y)
    xs, ys = is_sparse_variable(x), is_sparse_variable(y)
    if not (xs or ys):
        raise TypeError(f"sparse.add: at least one operand must be sparse, got {x.type} and {y.type}")
    if xs and ys:
        return add_s_s(x, y)
    return add_s_d(x, y) if xs else add_s_d(y, x)


def sub(x, y):
    """x - y where at least one is sparse (Theano's: x + (-y))."""
    return x + (-y)


class MulSS(SparseOp):
    """Elementwise sparse * sparse (Theano's MulSS)."""

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), as_sparse_variable(y)
        return Apply(self, [x, y], [_sparse_out(x.format, upcast(x.dtype, y.dtype))])

    def perform(self, node, inputs):
        x, y = inputs
        return [x.multiply(y)]

    def infer_shape(self, node, shapes, value):
        _check_same_shape("mul", shapes[0], shapes[1], node)
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        return [y * gz, x * gz]


mul_s_s = MulSS()


class MulSD(SparseOp):
    """Elementwise sparse * dense (a scalar or a matrix) -> sparse with x's pattern (Theano's MulSD)."""

    def make_node(self, x, y):
        from mlc.tensor.var import as_tensor_variable

        x, y = as_sparse_variable(x), as_tensor_variable(y)
        if y.ndim not in (0, 2):
            raise NotImplementedError(f"sparse mul: the dense operand must be a scalar or a matrix, got {y} "
                                      f"({y.type}); use mul_s_v for a vector{built_at(y)}")
        return Apply(self, [x, y], [_sparse_out(x.format, upcast(x.dtype, y.dtype))])

    def perform(self, node, inputs):
        x, y = inputs
        y = np.asarray(y)
        z = x.astype(node.outputs[0].dtype, copy=True)
        if y.ndim == 0:
            z.data *= y
        else:
            rows, cols = _rows_cols(x)
            z.data *= y[rows, cols]
        return [z]

    def infer_shape(self, node, shapes, value):
        if len(shapes[1]) == 2:
            _check_same_shape("mul", shapes[0], shapes[1], node)
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        gy = dense_from_sparse(x * gz)
        if y.ndim == 0:
            from mlc.tensor.reduce import sum as _sum

            gy = _sum(gy)
        return [y * gz, gy]


mul_s_d = MulSD()


class MulSV(SparseOp):
    """sparse x * dense vector y broadcast over rows (Theano's MulSV)."""

    def make_node(self, x, y):
        from mlc.tensor.var import as_tensor_variable

        x, y = as_sparse_variable(x), as_tensor_variable(y)
        if y.ndim != 1:
            raise TypeError(f"mul_s_v: y must be a vector, got {y} ({y.type}){built_at(y)}")
        if x.dtype != y.dtype:
            raise NotImplementedError(f"MulSV not implemented for differing dtypes. Got {x.dtype} and {y.dtype}.")
        return Apply(self, [x, y], [x.type])

    def perform(self, node, inputs):
        x, y = inputs
        _, cols = _rows_cols(x)
        z = x.copy()
        z.data = z.data * np.asarray(y)[cols]
        return [z]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        if gz.dtype == "float64" and y.dtype == "float32":
            y = y.astype("float64")
        if gz.dtype == "float32" and y.dtype == "float64":
            gz = gz.astype("float64")
        return [mul_s_v(gz, y), sp_sum(x * gz, axis=0, sparse_grad=True)]


mul_s_v = MulSV()


def mul(x, y):
    """Elementwise x * y where at least one is sparse; the result is sparse (Theano's)."""
    x, y = as_sparse_or_tensor_variable(x), as_sparse_or_tensor_variable(y)
    xs, ys = is_sparse_variable(x), is_sparse_variable(y)
    if not (xs or ys):
        raise TypeError(f"sparse.mul: at least one operand must be sparse, got {x.type} and {y.type}")
    if xs and ys:
        if y.dtype == "float64" and x.dtype == "float32":
            x = x.astype("float64")
        return mul_s_s(x, y)
    if xs:
        if y.dtype == "float64" and x.dtype == "float32":
            x = x.astype("float64")
        return mul_s_d(x, y)
    return mul_s_d(y, x)


# ----------------------------------------------------------------------------
# Structured elementwise ops: the dense op on the data vector
# ----------------------------------------------------------------------------


def structured_monoid(tensor_op):
    """f(x, *scalars): tensor_op applied to x's stored entries only, x's pattern kept (Theano's)."""

    def decorator(f):
        def wrapper(*args):
            from mlc.tensor.var import as_tensor_variable

            x = as_sparse_variable(args[0])
            xs = [as_tensor_variable(a) for a in args[1:]]
            for a in xs:
                if a.ndim != 0:
                    raise TypeError(f"{f.__name__}: the operands after the sparse matrix must be scalars, got "
                                    f"{a} ({a.type}){built_at(a)}")
            data, ind, ptr, shape = csm_properties(x)
            return CSM(x.format)(tensor_op(data, *xs), ind, ptr, shape)

        wrapper.__name__ = f.__name__
        wrapper.__doc__ = f.__doc__
        return wrapper

    return decorator


def _t(name):
    import mlc.tensor as T

    return lambda *a: getattr(T, name)(*a)


def _structured(name: str, tensor_name: str, doc: str):
    return structured_monoid(_t(tensor_name))(type(name, (), {"__name__": name, "__doc__": doc}))


structured_sigmoid = _structured("structured_sigmoid", "sigmoid", "Structured elementwise sigmoid.")
structured_exp = _structured("structured_exp", "exp", "Structured elementwise exponential.")
structured_log = _structured("structured_log", "log", "Structured elementwise logarithm.")
structured_pow = _structured("structured_pow", "pow", "Structured elementwise x ** y (y a scalar).")
structured_minimum = _structured("structured_minimum", "minimum", "Structured elementwise minimum with scalar y.")
structured_maximum = _structured("structured_maximum", "maximum", "Structured elementwise maximum with scalar y.")
structured_add = _structured("structured_add", "add", "Structured addition of scalar y to the stored entries.")

# Theano's sparse elementwise functions that map 0 to 0 (structured the same way)
_ZERO_PRESERVING = ("sin", "tan", "arcsin", "arctan", "sinh", "arcsinh", "tanh", "arctanh", "rint", "sgn", "ceil",
                    "floor", "log1p", "expm1", "deg2rad", "rad2deg", "trunc", "sqr", "sqrt", "conj")
_TENSOR_NAME = {"rint": "round_half_to_even", "sgn": "sgn"}
for _n in _ZERO_PRESERVING:
    globals()[_n] = _structured(_n, _TENSOR_NAME.get(_n, _n), f"Elementwise {_n} of the stored entries of x.")


# ----------------------------------------------------------------------------
# Products
# ----------------------------------------------------------------------------


class TrueDot(SparseOp):
    """x . y with a sparse result, x sparse and y sparse or dense (Theano's TrueDot; regular gradient)."""

    def __init__(self, grad_preserves_dense: bool = True):
        self.grad_preserves_dense = grad_preserves_dense

    def make_node(self, x, y):
        x = as_sparse_variable(x)
        y = as_sparse_or_tensor_variable(y)
        if x.dtype != y.dtype:
            raise NotImplementedError(f"true_dot: the operands must have one dtype, got {x.dtype} and {y.dtype}")
        if y.ndim != 2:
            raise NotImplementedError(f"true_dot: y must be a matrix, got {y} ({y.type})")
        return Apply(self, [x, y], [_sparse_out(x.format, x.dtype)])

    def perform(self, node, inputs):
        x, y = inputs
        r = x.dot(y)
        return [r if scipy.sparse.issparse(r) else FORMATS[x.format](np.asarray(r))]

    def infer_shape(self, node, shapes, value):
        if shapes[0][1] != shapes[1][0]:
            raise ShapeError(f"true_dot: shapes {tuple(shapes[0])} and {tuple(shapes[1])} are not aligned"
                             f"{built_at(node.outputs[0])}")
        return [(shapes[0][0], shapes[1][1])]

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        if not is_sparse_variable(gz):
            gz = SparseFromDense(x.format)(gz)
        rval = [true_dot(gz, y.T), true_dot(x.T, gz)]
        if not is_sparse_variable(y) and self.grad_preserves_dense:
            rval[1] = dense_from_sparse(rval[1])
        return rval


def true_dot(x, y, grad_preserves_dense: bool = True):
    """x . y as a sparse matrix; one operand at least must be sparse (Theano's true_dot)."""
    if scipy.sparse.issparse(x):
        x = as_sparse_variable(x)
    if scipy.sparse.issparse(y):
        y = as_sparse_variable(y)
    x, y = as_sparse_or_tensor_variable(x), as_sparse_or_tensor_variable(y)
    if is_sparse_variable(x):
        return TrueDot(grad_preserves_dense)(x, y)
    if not is_sparse_variable(y):
        raise TypeError(f"true_dot: at least one operand must be sparse, got {x.type} and {y.type}")
    return transpose(TrueDot(grad_preserves_dense)(y.T, x.T))


class Dot(SparseOp):
    """x . y with a dense result, one operand at least sparse (Theano's sparse Dot; regular gradient)."""

    def __str__(self) -> str:
        return "SparseDot"

    def make_node(self, x, y):
        from mlc.tensor.var import as_tensor_variable

        xs, ys = is_sparse_variable(x), is_sparse_variable(y)
        if not (xs or ys):
            raise TypeError(f"Sparse dot product should have at least one sparse variable as inputs, but the "
                            f"inputs are {x} ({x.type}) and {y} ({y.type}).")
        if not xs:
            x = as_tensor_variable(x)
            if x.ndim not in (1, 2):
                raise TypeError(f"theano.sparse.Dot: input 0 must have ndim of 1 or 2, {x.ndim} given.")
        if not ys:
            y = as_tensor_variable(y)
            if y.ndim not in (1, 2):
                raise TypeError(f"theano.sparse.Dot: input 1 must have ndim of 1 or 2, {y.ndim} given.")
        bx = (False,) * x.ndim if xs else x.broadcastable
        by = (False,) * y.ndim if ys else y.broadcastable
        bout = bx[:-1] + by[1:] if len(by) == 2 else bx[:-1]
        return Apply(self, [x, y], [TensorType(upcast(x.dtype, y.dtype), bout)])

    def perform(self, node, inputs):
        x, y = inputs
        r = x @ y
        if scipy.sparse.issparse(r):
            r = r.toarray()
        return [np.asarray(r)]

    def infer_shape(self, node, shapes, value):
        xs, ys = (tuple(s) for s in shapes)
        if xs[-1] != ys[0]:
            raise ShapeError(f"sparse dot: shapes {xs} and {ys} are not aligned{built_at(node.outputs[0])}")
        return [xs[:-1] + ys[1:]]

    def grad(self, inputs, output_grads):
        import mlc.tensor as T

        (x, y), (gz,) = inputs, output_grads
        gx = dot(gz, y.T) if is_sparse_variable(y) else T.dot(gz, y.T)
        gy = dot(x.T, gz) if is_sparse_variable(x) else T.dot(x.T, gz)
        return [gx, gy]


_dot = Dot()


def dot(x, y):
    """x . y (dense result) where at least one operand is sparse (Theano's sparse.dot)."""
    if scipy.sparse.issparse(x):
        x = as_sparse_variable(x)
    if scipy.sparse.issparse(y):
        y = as_sparse_variable(y)
    return _dot(x, y)


def structured_dot(x, y):
    """x . y where only the stored entries of the sparse operand get a gradient (Theano's structured_dot).

    Sparse x dense runs natively (mlc.sparse.native); the result is dense.
    A dense x and a sparse y compute (y.T . x.T).T. Sparse x sparse runs
    over scipy (mlc.sparse.structure.StructuredDot) and is sparse.
    """
    from mlc.sparse.native import structured_dot_sd

    if scipy.sparse.issparse(x):
        x = as_sparse_variable(x)
    if scipy.sparse.issparse(y):
        y = as_sparse_variable(y)
    x, y = as_sparse_or_tensor_variable(x), as_sparse_or_tensor_variable(y)
    xs, ys = is_sparse_variable(x), is_sparse_variable(y)
    if not (xs or ys):
        raise TypeError("structured_dot requires at least one sparse argument")
    if (xs and ys) or (xs and x.format == "bsr"):
        from mlc.sparse.structure import _structured_dot

        return _structured_dot(x, y)  # over scipy (sparse x sparse: a sparse result in x's format)
    if xs:
        return structured_dot_sd(x, y)
    return structured_dot_sd(y.T, x.T).T


def sampling_dot(x, y, p):
    """p * (x . y.T) computed only at p's stored entries: a matrix with p's pattern (Theano's sampling_dot)."""
    from mlc.sparse.native import sampling_dot as _native

    return _native(x, y, p)


# ----------------------------------------------------------------------------
# Gradient checking (Theano's theano.sparse.verify_grad_sparse)
# ----------------------------------------------------------------------------


def verify_grad_sparse(op, pt, structured: bool = False, *args, **kwargs):
    """mlc.verify_grad for ops with sparse inputs or output (Theano's verify_grad_sparse).

    Sparse points of `pt` are varied through their dense form (regular
    gradient), or with `structured=True` through their stored entries only
    (the pattern fixed, as a structured gradient is defined). A sparse
    output is compared through its dense form. Other arguments go to
    `mlc.verify_grad`.
    """
    from mlc.gradient import verify_grad

    iconv, dpt = [], []
    for p in pt:
        if scipy.sparse.issparse(p):
            fmt = p.format
            if structured:
                dpt.append(np.array(p.data))
                iconv.append(lambda d, p=p, fmt=fmt: CSM(fmt)(d, p.indices[:p.nnz].astype("int32"),
                                                              p.indptr.astype("int32"), np.asarray(p.shape, "int32")))
            else:
                dpt.append(p.toarray())
                iconv.append(SparseFromDense(fmt))
        else:
            dpt.append(p)
            iconv.append(lambda v: v)
    output = op(*[as_sparse_or_tensor_variable(p) for p in pt])
    if isinstance(output, (list, tuple)):
        raise NotImplementedError("verify_grad can't deal with multiple outputs")
    oconv = DenseFromSparse(structured=False) if is_sparse_variable(output) else (lambda v: v)

    def conv_op(*inputs):
        return oconv(op(*[conv(i) for i, conv in zip(inputs, iconv)]))

    return verify_grad(conv_op, dpt, *args, **kwargs)


csm_grad = CSMGrad  # Theano's alias (the class)

__all__ = [
    "verify_grad_sparse", "AddSD", "AddSS", "MulSD", "MulSS", "MulSV", "Neg", "StructuredAddSV", "bcast", "wcast",
    "icast", "lcast", "fcast", "dcast", "ccast", "zcast", "csm_grad", "structured_monoid", "CSC", "CSM",
    "CSMGrad", "CSMProperties", "CSR", "Cast", "DenseFromSparse", "Dot", "SparseFromDense", "SpSum",
    "TrueDot", "Transpose", "add", "add_s_d", "add_s_s", "cast", "col_scale", "csc_from_dense", "csm_data",
    "csm_indices", "csm_indptr", "csm_properties", "csm_shape", "csr_from_dense", "dense_from_sparse", "dot",
    "mul", "mul_s_d", "mul_s_s", "mul_s_v", "neg", "row_scale", "sampling_dot", "sp_ones_like", "sp_sum",
    "sp_zeros_like", "structured_add", "structured_add_s_v", "structured_dot", "structured_exp", "structured_log",
    "structured_maximum", "structured_minimum", "structured_pow", "structured_sigmoid", "sub", "transpose",
    "true_dot", *_ZERO_PRESERVING,
]
