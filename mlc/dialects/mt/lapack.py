"""mt ops for dense linear algebra that LAPACK computes: cholesky, solve, inverse, det, eigh, svd, qr, eig,
lstsq, expm.

Each op is a whole factorization-based computation with its numpy/scipy
meaning; `bufferize` (see `mlc.passes.bufferize_lapack`) writes it as a
`lapack.*` op on a private copy of its operands, and
`convert-lapack-to-llvm` calls the process's LAPACK (scipy's
`cython_lapack`) from native code. Operands are square f32/f64 matrices
(the right-hand side of a solve a vector or a matrix); the graph casts
integers to floats first, as Theano does.

A failure LAPACK reports (a matrix that is not positive definite, or
singular) raises numpy.linalg.LinAlgError when the call returns, with
scipy's words; `mt.cholesky` with `nan_on_error` gives a matrix of NaN
instead (Theano's on_error='nan').
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ComplexType, StringAttr, TensorType, UnitAttr
from xdsl.ir import Operation
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_result_def,
)
from xdsl.traits import Pure
from xdsl.irdl.operations import ParsePropInAttrDict

from mlc.dialects.mt.base import MtOp
from mlc.dialects.mt.types import (
    DYN,
    Dtypes,
    Value,
    _check_result,
    _check_tensor,
    _fail,
    _type_of,
    element_type_of,
)

#: the element types LAPACK's s/d routines take
LAPACK_FLOAT = Dtypes("f32 or f64", frozenset(element_type_of(n) for n in ("float32", "float64")))
#: mt.eig's operand types (complex through zgeev)
EIG_TYPES = Dtypes("f32, f64 or complex<f64>", frozenset(element_type_of(n) for n in ("float32", "float64", "complex128")))
STRUCTURES = ("general", "lower_triangular", "upper_triangular")


def _square(op: Operation | type[Operation], t: TensorType) -> TensorType:
    shape = t.get_shape()
    if len(shape) != 2 or DYN not in shape and shape[0] != shape[1]:
        raise _fail(op, "a square matrix", t)
    return t


def _scipy_linalg():
    import scipy.linalg

    return scipy.linalg


@irdl_op_definition
class CholeskyOp(MtOp):
    """`%l = mt.cholesky %a {lower} : tensor<?x?xf64> -> tensor<?x?xf64>`.

    L with L L^T = A (`lower`), else U with U^T U = A; the other triangle is
    zero. `nan_on_error`: a matrix that is not positive definite gives NaNs
    (else LinAlgError). Only the triangle named by `lower` is read.
    """

    name = "mt.cholesky"
    a = operand_def(TensorType)
    lower = opt_prop_def(UnitAttr)
    nan_on_error = opt_prop_def(UnitAttr)
    result = result_def(TensorType)
    assembly_format = "$a attr-dict `:` type($a) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, a: Value, lower: bool = True, nan_on_error: bool = False):
        props = {k: UnitAttr() for k, on in (("lower", lower), ("nan_on_error", nan_on_error)) if on}
        super().__init__(operands=[a], properties=props, result_types=[_type_of(a)])

    def verify_(self) -> None:
        t = _square(self, _check_tensor(self, "operand", self.a.type, LAPACK_FLOAT))
        _check_result(self, t)

    def evaluate(self, a: np.ndarray) -> np.ndarray:
        sl = _scipy_linalg()
        try:
            return sl.cholesky(a, lower=self.lower is not None).astype(a.dtype)
        except sl.LinAlgError:
            if self.nan_on_error is None:
                raise
            return np.full(a.shape, np.nan, dtype=a.dtype)


@irdl_op_definition
class SolveOp(MtOp):
    """`%x = mt.solve %a, %b {structure = "general"} : tensor<?x?xf64>, tensor<?xf64> -> tensor<?xf64>`.

    x with op(A) x = b, for b a vector or a matrix (one column per right-hand
    side). `structure`: "general" (LU with partial pivoting), or
    "lower_triangular" / "upper_triangular" (only that triangle is read;
    `unit_diagonal` takes the diagonal as ones). `trans` (triangular
    structures only, scipy's solve_triangular) solves with A^T.
    """

    name = "mt.solve"
    a = operand_def(TensorType)
    b = operand_def(TensorType)
    structure = prop_def(StringAttr)
    trans = opt_prop_def(UnitAttr)
    unit_diagonal = opt_prop_def(UnitAttr)
    result = result_def(TensorType)
    assembly_format = "$a `,` $b attr-dict `:` type($a) `,` type($b) `->` type($result)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, a: Value, b: Value, structure: str = "general", trans: bool = False,
                 unit_diagonal: bool = False):
        props: dict = {"structure": StringAttr(structure)}
        if trans:
            props["trans"] = UnitAttr()
        if unit_diagonal:
            props["unit_diagonal"] = UnitAttr()
        super().__init__(operands=[a, b], properties=props, result_types=[_type_of(b)])

    def verify_(self) -> None:
        a = _square(self, _check_tensor(self, "operands", self.a.type, LAPACK_FLOAT))
        b = _check_tensor(self, "operands", self.b.type, LAPACK_FLOAT)
        if a.element_type != b.element_type:
            raise _fail(self, f"operands of one element type, {a.element_type}", b)
        if b.get_num_dims() not in (1, 2):
            raise _fail(self, "a right-hand side of rank 1 or 2", b)
        n, m = a.get_shape()[0], b.get_shape()[0]
        if DYN not in (n, m) and n != m:
            raise _fail(self, f"a right-hand side with {n} rows", b)
        if self.structure.data not in STRUCTURES:
            raise _fail(self, f"structure to be one of {STRUCTURES}", self.structure.data)
        if self.trans is not None and self.structure.data == "general":
            raise _fail(self, "trans only with a triangular structure", "general")
        if self.unit_diagonal is not None and self.structure.data == "general":
            raise _fail(self, "unit_diagonal only with a triangular structure", "general")
        _check_result(self, b)

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sl = _scipy_linalg()
        if self.structure.data == "general":
            return sl.solve(a, b).astype(b.dtype)
        return sl.solve_triangular(a, b, trans=int(self.trans is not None), lower=self.structure.data == "lower_triangular",
                                   unit_diagonal=self.unit_diagonal is not None).astype(b.dtype)


class _SquareToSquare(MtOp):
    """An op from a square f32/f64 matrix to one of its type."""

    a = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$a attr-dict `:` type($a) `->` type($result)"

    def __init__(self, a: Value):
        super().__init__(operands=[a], result_types=[_type_of(a)])

    def verify_(self) -> None:
        _check_result(self, _square(self, _check_tensor(self, "operand", self.a.type, LAPACK_FLOAT)))


@irdl_op_definition
class InverseOp(_SquareToSquare):
    """`%i = mt.inverse %a : tensor<?x?xf64> -> tensor<?x?xf64>`: A^-1 (numpy.linalg.inv; singular: LinAlgError)."""

    name = "mt.inverse"

    def evaluate(self, a: np.ndarray) -> np.ndarray:
        return np.linalg.inv(a).astype(a.dtype)


@irdl_op_definition
class ExpmOp(_SquareToSquare):
    """`%e = mt.expm %a : tensor<?x?xf64> -> tensor<?x?xf64>`: the matrix exponential (scipy.linalg.expm's
    scaling and squaring with Pade approximants: products by gemm, one gesv)."""

    name = "mt.expm"

    def evaluate(self, a: np.ndarray) -> np.ndarray:
        return _scipy_linalg().expm(a).astype(a.dtype)


@irdl_op_definition
class DetOp(MtOp):
    """`%d = mt.det %a : tensor<?x?xf64> -> tensor<f64>`: the determinant (LU; a singular matrix gives 0)."""

    name = "mt.det"
    a = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$a attr-dict `:` type($a) `->` type($result)"

    def __init__(self, a: Value):
        super().__init__(operands=[a], result_types=[TensorType(_type_of(a).element_type, [])])

    def verify_(self) -> None:
        t = _square(self, _check_tensor(self, "operand", self.a.type, LAPACK_FLOAT))
        _check_result(self, TensorType(t.element_type, []))

    def evaluate(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(np.linalg.det(a), dtype=a.dtype)


@irdl_op_definition
class EighOp(IRDLOperation):
    """`%w, %v = mt.eigh %a {lower} : tensor<?x?xf64> -> tensor<?xf64>, tensor<?x?xf64>`.

    numpy.linalg.eigh: the eigenvalues of the symmetric matrix A in
    ascending order and orthonormal eigenvectors (the columns of v); only
    the triangle named by `lower` (else the upper one) is read. Two
    results, so not an MtOp (no folding).
    """

    name = "mt.eigh"
    a = operand_def(TensorType)
    lower = opt_prop_def(UnitAttr)
    w = result_def(TensorType)
    v = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$a attr-dict `:` type($a) `->` type($w) `,` type($v)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, a: Value, lower: bool = True):
        t = _type_of(a)
        super().__init__(operands=[a], properties={"lower": UnitAttr()} if lower else {},
                         result_types=[TensorType(t.element_type, t.get_shape()[:1]), t])

    def verify_(self) -> None:
        t = _square(self, _check_tensor(self, "operand", self.a.type, LAPACK_FLOAT))
        if self.w.type != TensorType(t.element_type, t.get_shape()[:1]) or self.v.type != t:
            raise _fail(self, f"results of types tensor<{t.get_shape()[0]}x{t.element_type}>, {t}",
                        f"{self.w.type}, {self.v.type}")

    def evaluate(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, v = np.linalg.eigh(a, "L" if self.lower is not None else "U")
        return w.astype(a.dtype), v.astype(a.dtype)


@irdl_op_definition
class SvdOp(IRDLOperation):
    """`%u, %s, %vt = mt.svd %a {full_matrices} : tensor<?x?xf64> -> (u, s, vt)`, or `%s = mt.svd %a`.

    numpy.linalg.svd: A = U diag(s) Vt with s descending; U is m x m and
    Vt n x n with `full_matrices`, else m x k and k x n (k = min(m, n)).
    With one result (numpy's compute_uv=False) only s is computed.
    """

    name = "mt.svd"
    a = operand_def(TensorType)
    full_matrices = opt_prop_def(UnitAttr)
    outs = var_result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$a attr-dict `:` type($a) `->` type($outs)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, a: Value, full_matrices: bool = True, compute_uv: bool = True):
        super().__init__(operands=[a], properties={"full_matrices": UnitAttr()} if full_matrices else {},
                         result_types=[self.infer(_type_of(a), full_matrices, compute_uv)])

    @classmethod
    def infer(cls, t: TensorType, full: bool, compute_uv: bool) -> list[TensorType]:
        shape = t.get_shape()
        if len(shape) != 2:
            raise _fail(cls, "a matrix", t)
        m, n = shape
        k = DYN if DYN in (m, n) else min(m, n)
        s = TensorType(t.element_type, [k])
        if not compute_uv:
            return [s]
        return [TensorType(t.element_type, [m, m if full else k]), s, TensorType(t.element_type, [n if full else k, n])]

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.a.type, LAPACK_FLOAT)
        if len(self.outs) not in (1, 3):
            raise _fail(self, "1 result (s) or 3 (u, s, vt)", len(self.outs))
        want = self.infer(t, self.full_matrices is not None, len(self.outs) == 3)
        if [r.type for r in self.outs] != want:
            raise _fail(self, f"result types {', '.join(map(str, want))}", ", ".join(str(r.type) for r in self.outs))

    def evaluate(self, a: np.ndarray) -> tuple[np.ndarray, ...]:
        r = np.linalg.svd(a, self.full_matrices is not None, len(self.outs) == 3)
        return tuple(np.asarray(x, a.dtype) for x in (r if len(self.outs) == 3 else (r,)))


QR_MODES = ("reduced", "complete", "r", "raw")


@irdl_op_definition
class QrOp(IRDLOperation):
    """`%q, %r = mt.qr %a {mode = "reduced"} : tensor<?x?xf64> -> tensor<?x?xf64>, tensor<?x?xf64>`.

    numpy.linalg.qr: mode "reduced" (q m x k, r k x n), "complete" (q m x m,
    r m x n), "r" (r alone, k x n) or "raw" (h n x m, tau k: LAPACK's
    Householder factors, column-major, as numpy returns them).
    """

    name = "mt.qr"
    a = operand_def(TensorType)
    mode = prop_def(StringAttr)
    outs = var_result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$a attr-dict `:` type($a) `->` type($outs)"
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, a: Value, mode: str = "reduced"):
        super().__init__(operands=[a], properties={"mode": StringAttr(mode)},
                         result_types=[self.infer(_type_of(a), mode)])

    @classmethod
    def infer(cls, t: TensorType, mode: str) -> list[TensorType]:
        shape = t.get_shape()
        if len(shape) != 2:
            raise _fail(cls, "a matrix", t)
        if mode not in QR_MODES:
            raise _fail(cls, f"mode to be one of {QR_MODES}", mode)
        m, n = shape
        k = DYN if DYN in (m, n) else min(m, n)
        e = t.element_type
        return {"reduced": [TensorType(e, [m, k]), TensorType(e, [k, n])],
                "complete": [TensorType(e, [m, m]), TensorType(e, [m, n])],
                "r": [TensorType(e, [k, n])], "raw": [TensorType(e, [n, m]), TensorType(e, [k])]}[mode]

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.a.type, LAPACK_FLOAT)
        want = self.infer(t, self.mode.data)
        if [r.type for r in self.outs] != want:
            raise _fail(self, f"result types {', '.join(map(str, want))}", ", ".join(str(r.type) for r in self.outs))

    def evaluate(self, a: np.ndarray) -> tuple[np.ndarray, ...]:
        r = np.linalg.qr(a, self.mode.data)
        return tuple(np.asarray(x, a.dtype) for x in ((r,) if self.mode.data == "r" else r))


def _check_results(op: IRDLOperation, want: list[TensorType]) -> None:
    if [r.type for r in op.results] != want:
        raise _fail(op, f"result types {', '.join(map(str, want))}", ", ".join(str(r.type) for r in op.results))


@irdl_op_definition
class EigOp(IRDLOperation):
    """`%w, %v = mt.eig %a : tensor<?x?xf64> -> tensor<?xcomplex<f64>>, tensor<?x?xcomplex<f64>>`.

    numpy.linalg.eig of a general real (f32, f64) or complex<f64> matrix:
    its eigenvalues and right eigenvectors (the columns of v, unit norm),
    complex (a real matrix's complex eigenvalues come in conjugate pairs, the
    one with the positive imaginary part first), in LAPACK geev's order. A
    matrix with a NaN or an infinity raises LinAlgError, as numpy's.
    """

    name = "mt.eig"
    a = operand_def(TensorType)
    w = result_def(TensorType)
    v = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$a attr-dict `:` type($a) `->` type($w) `,` type($v)"

    def __init__(self, a: Value):
        super().__init__(operands=[a], result_types=self.infer(_type_of(a)))

    @classmethod
    def infer(cls, t: TensorType) -> list[TensorType]:
        e = t.element_type
        c = e if isinstance(e, ComplexType) else ComplexType(e)
        return [TensorType(c, t.get_shape()[:1]), TensorType(c, t.get_shape())]

    def verify_(self) -> None:
        _check_results(self, self.infer(_square(self, _check_tensor(self, "operand", self.a.type, EIG_TYPES))))

    def evaluate(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.result_type(a.dtype, np.complex64)
        w, v = np.linalg.eig(a)
        return w.astype(c), v.astype(c)


@irdl_op_definition
class LstsqOp(IRDLOperation):
    """`%x, %s, %rank, %resid = mt.lstsq %a, %b, %rcond : (a, b, rcond) -> (x, s, rank, resid)`.

    numpy.linalg.lstsq(a, b, rcond) through gelsd: x (n, or n x k) minimizes
    |a x - b| (the least-norm solution), s the singular values of a
    (min(m, n)), rank the number of them above rcond * s[0] (a negative
    rcond: machine precision), resid (k, or 1 for a vector b) the squared
    residual norms when the rank is n and m > n, else zeros (numpy then
    returns an empty array: the graph slices). m = 0 gives x = 0; n = 0 gives
    the norms of b.
    """

    name = "mt.lstsq"
    a = operand_def(TensorType)
    b = operand_def(TensorType)
    rcond = operand_def(TensorType)
    x = result_def(TensorType)
    s = result_def(TensorType)
    rank = result_def(TensorType)
    resid = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = ("$a `,` $b `,` $rcond attr-dict `:` type($a) `,` type($b) `,` type($rcond) `->` type($x) `,` "
                       "type($s) `,` type($rank) `,` type($resid)")

    def __init__(self, a: Value, b: Value, rcond: Value):
        super().__init__(operands=[a, b, rcond], result_types=self.infer(_type_of(a), _type_of(b)))

    @classmethod
    def infer(cls, a: TensorType, b: TensorType) -> list[TensorType]:
        shape, rhs = a.get_shape(), b.get_shape()
        if len(shape) != 2:
            raise _fail(cls, "a matrix", a)
        if len(rhs) not in (1, 2):
            raise _fail(cls, "a right-hand side of rank 1 or 2", b)
        m, n = shape
        k = DYN if DYN in (m, n) else min(m, n)
        e = a.element_type
        return [TensorType(e, [n, *rhs[1:]]), TensorType(e, [k]), TensorType(element_type_of("int64"), []),
                TensorType(e, [rhs[1] if len(rhs) == 2 else 1])]

    def verify_(self) -> None:
        a = _check_tensor(self, "operands", self.a.type, LAPACK_FLOAT)
        b = _check_tensor(self, "operands", self.b.type, LAPACK_FLOAT)
        r = _check_tensor(self, "operands", self.rcond.type, LAPACK_FLOAT)
        for t in (b, r):
            if t.element_type != a.element_type:
                raise _fail(self, f"operands of one element type, {a.element_type}", t)
        if r.get_num_dims() != 0:
            raise _fail(self, "a 0-d rcond", r)
        want = self.infer(a, b)
        m, m2 = a.get_shape()[0], b.get_shape()[0]
        if DYN not in (m, m2) and m != m2:
            raise _fail(self, f"a right-hand side with {m} rows", b)
        _check_results(self, want)

    def evaluate(self, a: np.ndarray, b: np.ndarray, rcond: np.ndarray) -> tuple[np.ndarray, ...]:
        x, resid, rank, s = np.linalg.lstsq(a, b, rcond=float(rcond))
        full = np.zeros(b.shape[1] if b.ndim == 2 else 1, a.dtype)
        full[:resid.size] = resid
        return x.astype(a.dtype), s.astype(a.dtype), np.asarray(rank, "int64"), full


LAPACK_OPS = (CholeskyOp, SolveOp, InverseOp, DetOp, ExpmOp)
#: the LAPACK ops with several results (not MtOps: no folding; the reference interpreter runs their evaluate)
MULTI_RESULT_OPS = (EighOp, SvdOp, QrOp, EigOp, LstsqOp)
