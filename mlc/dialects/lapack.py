"""The `lapack` dialect: LAPACK-based computations on memrefs, in place.

The loop-level form of `mt.cholesky`, `mt.solve`, `mt.inverse`,
`mt.det`, `mt.eigh`, `mt.svd`, `mt.qr`, `mt.eig` and `mt.lstsq` (`mlc.dialects.mt.lapack`): bufferization gives each a private,
contiguous row-major copy of its operands, which the op overwrites.
`convert-lapack-to-llvm` calls the f77 LAPACK routines (potrf; getrf,
getri, getrs; trtrs; syevd; gesdd; geqrf, orgqr; geev; gelsd) through wrappers that own the row-major/column-major
mapping, the workspace, degenerate sizes and error reporting.

    lapack.cholesky lower %a : memref<?x?xf64>
    lapack.solve "general" %a, %b : memref<?x?xf64>, memref<?xf64>
    lapack.inverse %a : memref<?x?xf32>
    lapack.expm %a : memref<?x?xf64>
    %d = lapack.det %a : memref<?x?xf64> -> f64
    lapack.eigh lower %a, %w : memref<?x?xf64>, memref<?xf64>
    lapack.svd full_matrices %a, %s vectors(%u, %vt : memref<?x?xf64>, memref<?x?xf64>) : memref<?x?xf64>, memref<?xf64>
    lapack.eig %a, %w, %v : memref<?x?xf64>, memref<?xcomplex<f64>>, memref<?x?xcomplex<f64>>
    %rank = lapack.lstsq %a, %b, %rcond, %x, %s, %resid : memref<?x?xf64>, memref<?xf64>, f64, memref<?xf64>, ...

A failure (not positive definite, singular) is reported to the runtime,
which raises numpy.linalg.LinAlgError when the call returns; the results
of the failed op are unspecified (no crash), except `cholesky` with
`nan_on_error`, which fills its matrix with NaN and reports nothing.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import DYNAMIC_INDEX, ComplexType, MemRefType, StringAttr, UnitAttr, i64
from xdsl.ir import Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.irdl.operations import AttrSizedOperandSegments
from xdsl.utils.exceptions import VerifyException

from mlc.dialects.blas import _SCALAR, _check_dim, _operand_info, _same_element_type

STRUCTURES = ("general", "lower_triangular", "upper_triangular")


def _square(op: Operation, what: str, value: SSAValue) -> MemRefType:
    t = _operand_info(op, what, value, 2)
    rows, cols = t.get_shape()
    _check_dim(op, f"rows and columns of {what}", rows, cols)
    return t


@irdl_op_definition
class CholeskyOp(IRDLOperation):
    """a = L (L L^T = a, `lower`) or U (U^T U = a), the other triangle zeroed. Lowers to `?potrf`."""

    name = "lapack.cholesky"
    a = operand_def(MemRefType)
    lower = opt_prop_def(UnitAttr)
    nan_on_error = opt_prop_def(UnitAttr)
    assembly_format = "(`lower` $lower^)? (`nan_on_error` $nan_on_error^)? $a attr-dict `:` type($a)"

    def __init__(self, a: SSAValue | Operation, lower: bool = True, nan_on_error: bool = False):
        super().__init__(operands=[a], properties={"lower": UnitAttr() if lower else None,
                                                   "nan_on_error": UnitAttr() if nan_on_error else None})

    def verify_(self) -> None:
        _square(self, "A", self.a)


@irdl_op_definition
class SolveOp(IRDLOperation):
    """b = x with op(a) x = b (a overwritten). general: `?getrf` + `?getrs`; triangular: `?trtrs`."""

    name = "lapack.solve"
    a = operand_def(MemRefType)
    b = operand_def(MemRefType)
    structure = prop_def(StringAttr)
    trans = opt_prop_def(UnitAttr)
    unit_diagonal = opt_prop_def(UnitAttr)
    assembly_format = ("$structure (`trans` $trans^)? (`unit_diagonal` $unit_diagonal^)? $a `,` $b attr-dict `:` "
                       "type($a) `,` type($b)")

    def __init__(self, a: SSAValue | Operation, b: SSAValue | Operation, structure: str = "general",
                 trans: bool = False, unit_diagonal: bool = False):
        super().__init__(operands=[a, b], properties={
            "structure": StringAttr(structure), "trans": UnitAttr() if trans else None,
            "unit_diagonal": UnitAttr() if unit_diagonal else None})

    def verify_(self) -> None:
        ta = _square(self, "A", self.a)
        tb = self.b.type
        rank = tb.get_num_dims() if isinstance(tb, MemRefType) else 0
        tb = _operand_info(self, "b", self.b, rank if rank in (1, 2) else 2)
        _same_element_type(self, [("A", ta.element_type), ("b", tb.element_type)])
        _check_dim(self, "rows of A and b", ta.get_shape()[0], tb.get_shape()[0])
        if self.structure.data not in STRUCTURES:
            raise VerifyException(f"{self.name}: structure must be one of {STRUCTURES}, got {self.structure.data!r}")
        if self.trans is not None and self.structure.data == "general":
            raise VerifyException(f"{self.name}: trans needs a triangular structure")
        if self.unit_diagonal is not None and self.structure.data == "general":
            raise VerifyException(f"{self.name}: unit_diagonal needs a triangular structure")


class _InPlace(IRDLOperation):
    """An op that overwrites its square matrix with a function of it."""

    a = operand_def(MemRefType)
    assembly_format = "$a attr-dict `:` type($a)"

    def __init__(self, a: SSAValue | Operation):
        super().__init__(operands=[a])

    def verify_(self) -> None:
        _square(self, "A", self.a)


@irdl_op_definition
class InverseOp(_InPlace):
    """a = a^-1. Lowers to `?getrf` + `?getri`."""

    name = "lapack.inverse"


@irdl_op_definition
class ExpmOp(_InPlace):
    """a = expm(a) (scipy's scaling and squaring with Pade approximants). Lowers to `?gemm`, `?gemv`, `?gesv`."""

    name = "lapack.expm"


@irdl_op_definition
class DetOp(IRDLOperation):
    """The determinant of a (a overwritten by its LU factors; 1 for 0 x 0, 0 if singular). `?getrf`."""

    name = "lapack.det"
    T: ClassVar = VarConstraint("T", _SCALAR)
    a = operand_def(MemRefType)
    result = result_def(T)
    assembly_format = "$a attr-dict `:` type($a) `->` type($result)"

    def __init__(self, a: SSAValue | Operation):
        t = SSAValue.get(a).type
        assert isinstance(t, MemRefType)
        super().__init__(operands=[a], result_types=[t.element_type])

    def verify_(self) -> None:
        t = _square(self, "A", self.a)
        _same_element_type(self, [("A", t.element_type), ("result", self.result.type)])


@irdl_op_definition
class EighOp(IRDLOperation):
    """w = the eigenvalues (ascending) of the symmetric a, a = the eigenvectors (as columns). `?syevd`.

    Only the lower (`lower`) or upper triangle of a is read.
    """

    name = "lapack.eigh"
    a = operand_def(MemRefType)
    w = operand_def(MemRefType)
    lower = opt_prop_def(UnitAttr)
    assembly_format = "(`lower` $lower^)? $a `,` $w attr-dict `:` type($a) `,` type($w)"

    def __init__(self, a: SSAValue | Operation, w: SSAValue | Operation, lower: bool = True):
        super().__init__(operands=[a, w], properties={"lower": UnitAttr() if lower else None})

    def verify_(self) -> None:
        ta = _square(self, "A", self.a)
        tw = _operand_info(self, "w", self.w, 1)
        _same_element_type(self, [("A", ta.element_type), ("w", tw.element_type)])
        _check_dim(self, "order of A and length of w", ta.get_shape()[0], tw.get_shape()[0])


@irdl_op_definition
class SvdOp(IRDLOperation):
    """s = the singular values of a (descending); with `vectors`, u and vt too. `?gesdd` (a overwritten).

    u is m x m and vt n x n with `full_matrices`, else m x k and k x n
    (a is m x n, k = min(m, n)).
    """

    name = "lapack.svd"
    a = operand_def(MemRefType)
    s = operand_def(MemRefType)
    u = opt_operand_def(MemRefType)
    vt = opt_operand_def(MemRefType)
    full_matrices = opt_prop_def(UnitAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    assembly_format = ("(`full_matrices` $full_matrices^)? $a `,` $s (`vectors` `(` $u^ `,` $vt `:` type($u) `,` "
                       "type($vt) `)`)? attr-dict `:` type($a) `,` type($s)")

    def __init__(self, a: SSAValue | Operation, s: SSAValue | Operation, u: SSAValue | Operation | None = None,
                 vt: SSAValue | Operation | None = None, full_matrices: bool = False):
        super().__init__(operands=[a, s, [u] if u is not None else [], [vt] if vt is not None else []],
                         properties={"full_matrices": UnitAttr() if full_matrices else None})

    def verify_(self) -> None:
        ta = _operand_info(self, "A", self.a, 2)
        ts = _operand_info(self, "s", self.s, 1)
        named = [("A", ta.element_type), ("s", ts.element_type)]
        m, n = ta.get_shape()
        k = DYNAMIC_INDEX if DYNAMIC_INDEX in (m, n) else min(m, n)
        _check_dim(self, "length of s and min(m, n)", ts.get_shape()[0], k)
        if (self.u is None) != (self.vt is None):
            raise VerifyException(f"{self.name}: u and vt come together")
        if self.u is not None and self.vt is not None:
            tu = _operand_info(self, "u", self.u, 2)
            tv = _operand_info(self, "vt", self.vt, 2)
            named += [("u", tu.element_type), ("vt", tv.element_type)]
            full = self.full_matrices is not None
            _check_dim(self, "rows of u", tu.get_shape()[0], m)
            _check_dim(self, "columns of u", tu.get_shape()[1], m if full else k)
            _check_dim(self, "rows of vt", tv.get_shape()[0], n if full else k)
            _check_dim(self, "columns of vt", tv.get_shape()[1], n)
        _same_element_type(self, named)


@irdl_op_definition
class QrOp(IRDLOperation):
    """The QR factorization of a (read only) into `outs`, by `mode` (see `mt.qr`). `?geqrf` + `?orgqr`."""

    name = "lapack.qr"
    a = operand_def(MemRefType)
    outs = var_operand_def(MemRefType)
    mode = prop_def(StringAttr)
    assembly_format = "$mode $a `,` $outs attr-dict `:` type($a) `,` type($outs)"

    def __init__(self, a: SSAValue | Operation, outs: list[SSAValue], mode: str):
        super().__init__(operands=[a, outs], properties={"mode": StringAttr(mode)})

    def verify_(self) -> None:
        ta = _operand_info(self, "A", self.a, 2)
        counts = {"reduced": 2, "complete": 2, "r": 1, "raw": 2}
        if self.mode.data not in counts or len(self.outs) != counts[self.mode.data]:
            raise VerifyException(f"{self.name}: mode must be one of {tuple(counts)} with its number of results, "
                                  f"got {self.mode.data!r} with {len(self.outs)}")
        m, n = ta.get_shape()
        k = DYNAMIC_INDEX if DYNAMIC_INDEX in (m, n) else min(m, n)
        shapes = {"reduced": [(m, k), (k, n)], "complete": [(m, m), (m, n)], "r": [(k, n)],
                  "raw": [(n, m), (k,)]}[self.mode.data]
        for i, (v, want) in enumerate(zip(self.outs, shapes)):
            t = _operand_info(self, f"result {i}", v, len(want))
            _same_element_type(self, [("A", ta.element_type), (f"result {i}", t.element_type)])
            for got, w in zip(t.get_shape(), want):
                _check_dim(self, f"dims of result {i}", got, w)


@irdl_op_definition
class EigOp(IRDLOperation):
    """w, v = the eigenvalues and right eigenvectors (complex) of the general a (read only). `?geev`, `zgeev`."""

    name = "lapack.eig"
    a = operand_def(MemRefType)
    w = operand_def(MemRefType)
    v = operand_def(MemRefType)
    assembly_format = "$a `,` $w `,` $v attr-dict `:` type($a) `,` type($w) `,` type($v)"

    def __init__(self, a: SSAValue | Operation, w: SSAValue | Operation, v: SSAValue | Operation):
        super().__init__(operands=[a, w, v])

    def verify_(self) -> None:
        ta = _square(self, "A", self.a)
        tw = _operand_info(self, "w", self.w, 1)
        tv = _operand_info(self, "v", self.v, 2)
        e = ta.element_type
        c = e if isinstance(e, ComplexType) else ComplexType(e)
        _same_element_type(self, [("complex A", c), ("w", tw.element_type), ("v", tv.element_type)])
        n = ta.get_shape()[0]
        _check_dim(self, "order of A and length of w", n, tw.get_shape()[0])
        _check_dim(self, "order of A and rows of v", n, tv.get_shape()[0])
        _check_dim(self, "order of A and columns of v", n, tv.get_shape()[1])


@irdl_op_definition
class LstsqOp(IRDLOperation):
    """x, s, resid = numpy.linalg.lstsq(a, b, rcond) (a, b read only); the result is the rank. `?gelsd`."""

    name = "lapack.lstsq"
    T: ClassVar = VarConstraint("T", _SCALAR)
    a = operand_def(MemRefType)
    b = operand_def(MemRefType)
    rcond = operand_def(T)
    x = operand_def(MemRefType)
    s = operand_def(MemRefType)
    resid = operand_def(MemRefType)
    rank = result_def(i64)
    assembly_format = ("$a `,` $b `,` $rcond `,` $x `,` $s `,` $resid attr-dict `:` type($a) `,` type($b) `,` "
                       "type($rcond) `,` type($x) `,` type($s) `,` type($resid)")

    def __init__(self, a: SSAValue | Operation, b: SSAValue | Operation, rcond: SSAValue | Operation,
                 x: SSAValue | Operation, s: SSAValue | Operation, resid: SSAValue | Operation):
        super().__init__(operands=[a, b, rcond, x, s, resid], result_types=[i64])

    def verify_(self) -> None:
        ta = _operand_info(self, "A", self.a, 2)
        rhs = self.b.type.get_num_dims() if isinstance(self.b.type, MemRefType) else 0
        tb = _operand_info(self, "b", self.b, rhs if rhs in (1, 2) else 2)
        tx = _operand_info(self, "x", self.x, rhs if rhs in (1, 2) else 2)
        ts = _operand_info(self, "s", self.s, 1)
        tr = _operand_info(self, "resid", self.resid, 1)
        _same_element_type(self, [("A", ta.element_type), ("b", tb.element_type), ("rcond", self.rcond.type),
                                  ("x", tx.element_type), ("s", ts.element_type), ("resid", tr.element_type)])
        m, n = ta.get_shape()
        _check_dim(self, "rows of A and b", m, tb.get_shape()[0])
        _check_dim(self, "columns of A and rows of x", n, tx.get_shape()[0])
        if rhs == 2:
            _check_dim(self, "columns of b and x", tb.get_shape()[1], tx.get_shape()[1])
            _check_dim(self, "columns of b and length of resid", tb.get_shape()[1], tr.get_shape()[0])
        k = DYNAMIC_INDEX if DYNAMIC_INDEX in (m, n) else min(m, n)
        _check_dim(self, "length of s and min(m, n)", ts.get_shape()[0], k)


Lapack = Dialect("lapack", [CholeskyOp, SolveOp, InverseOp, DetOp, EighOp, SvdOp, QrOp, EigOp, LstsqOp, ExpmOp])
