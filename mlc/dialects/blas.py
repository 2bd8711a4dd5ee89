"""The `blas` dialect: dense BLAS level-1/2/3 calls on memrefs.

Ops at the loop level (after bufferization) that say "do this contraction
with the process's optimized BLAS". All matrices are row-major with the
identity (contiguous) layout; `convert-blas-to-llvm` maps them onto the
column-major f77 routines by the transpose-swap trick.

Scaling factors are SSA scalar operands of the element type, so a
run-time value (a learning rate in a shared variable) can be folded into
the call. Both are optional:

* `alpha` absent means 1;
* `beta` absent means 0, and then the old contents of the output are never
  read (BLAS semantics: NaN or garbage in an uninitialized output buffer
  does not leak into the result). The same holds for a run-time beta == 0.

    blas.gemm %a, %b, %c : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>
    blas.gemm transa %a, %b, %c alpha(%s : f64) beta(%t : f64)
        : memref<3x4xf64>, memref<3x5xf64>, memref<4x5xf64>
    blas.gemv trans %a, %x, %y : memref<?x?xf32>, memref<?xf32>, memref<?xf32>
    %r = blas.dot %x, %y : memref<?xf64>, memref<?xf64> -> f64

gemm and gemv also take complex<f32>/complex<f64> elements (and scalars): cgemm/zgemm, cgemv/zgemv.
A complex vector . vector is not a `blas.dot`: `bufferize` writes it as the gemv of the 1 x n
matrix x (an `expand_shape` view) times y into the 0-d output seen as a 1-vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ComplexType,
    Float32Type,
    Float64Type,
    MemRefType,
    NoneAttr,
    ShapedType,
    StridedLayoutAttr,
    UnitAttr,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    AnyOf,
    IRDLOperation,
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    result_def,
)
from xdsl.irdl.operations import AttrSizedOperandSegments
from xdsl.utils.exceptions import VerifyException

BLAS_ELEMENT_TYPES = (Float32Type, Float64Type)
#: gemm and gemv also take complex<f32>/complex<f64> (?gemm/?gemv with c/z); dot stays real
#: (complex ?dotu returns a struct by value, which the f77 interface leaves to the compiler):
#: a complex dot is a gemv of the 1 x n matrix x (see `bufferize`)
COMPLEX_ELEMENT_TYPES = (ComplexType(Float32Type()), ComplexType(Float64Type()))


def is_identity_layout(t: MemRefType) -> bool:
    """True for the contiguous row-major layout (no layout, or its strided form)."""
    if isinstance(t.layout, NoneAttr):
        return True
    if not isinstance(t.layout, StridedLayoutAttr):
        return False
    # A dynamic stride (`?`) is not known to be the row length: not identity.
    identity = tuple(ShapedType.strides_for_shape(t.get_shape()))
    return (
        None not in identity
        and tuple(t.layout.get_strides()) == identity
        and t.layout.get_offset() == 0
    )


def _operand_info(op: Operation, what: str, value: SSAValue, rank: int, complex_ok: bool = True) -> MemRefType:
    t = value.type
    if not isinstance(t, MemRefType):
        raise VerifyException(f"{op.name}: operand {what} must be a memref, got {t}")
    if t.get_num_dims() != rank:
        raise VerifyException(
            f"{op.name}: operand {what} must have rank {rank}, got {t}"
        )
    element = t.get_element_type()
    if not (isinstance(element, BLAS_ELEMENT_TYPES) or (complex_ok and element in COMPLEX_ELEMENT_TYPES)):
        allowed = "f32, f64, complex<f32> or complex<f64>" if complex_ok else "f32 or f64"
        raise VerifyException(
            f"{op.name}: operand {what} must have element type {allowed}, got {t}"
        )
    if not is_identity_layout(t):
        raise VerifyException(
            f"{op.name}: operand {what} must have the identity (contiguous "
            f"row-major) layout, got {t}"
        )
    return t


def _same_element_type(op: Operation, named: Sequence[tuple[str, Attribute]]) -> None:
    first_name, first = named[0]
    for name, t in named[1:]:
        if t != first:
            raise VerifyException(
                f"{op.name}: {name} has element type {t} but {first_name} has {first}"
            )


def _check_dim(op: Operation, what: str, a: int, b: int) -> None:
    """Static dimensions must agree; a dynamic one is checked at run time."""
    if a != DYNAMIC_INDEX and b != DYNAMIC_INDEX and a != b:
        raise VerifyException(f"{op.name}: {what} mismatch: {a} vs {b}")


_SCALAR = AnyOf((base(Float32Type), base(Float64Type), base(ComplexType)))
_REAL_SCALAR = AnyOf((base(Float32Type), base(Float64Type)))


def _verify_scalars(op: GemmOp | GemvOp, element_type: Attribute) -> None:
    for name, value in (("alpha", op.alpha), ("beta", op.beta)):
        if value is not None and value.type != element_type:
            raise VerifyException(
                f"{op.name}: {name} must have type {element_type}, got {value.type}"
            )


@irdl_op_definition
class GemmOp(IRDLOperation):
    """C = alpha * op(A) @ op(B) + beta * C, op(X) = X or X^T (`transa`/`transb`).

    op(A) is M x K, op(B) is K x N, C is M x N. Lowers to `?gemm`.
    """

    name = "blas.gemm"

    a = operand_def(MemRefType)
    b = operand_def(MemRefType)
    c = operand_def(MemRefType)
    alpha = opt_operand_def(_SCALAR)
    beta = opt_operand_def(_SCALAR)
    transa = opt_prop_def(UnitAttr)
    transb = opt_prop_def(UnitAttr)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    assembly_format = (
        "(`transa` $transa^)? (`transb` $transb^)? $a `,` $b `,` $c"
        " (`alpha` `(` $alpha^ `:` type($alpha) `)`)?"
        " (`beta` `(` $beta^ `:` type($beta) `)`)?"
        " attr-dict `:` type($a) `,` type($b) `,` type($c)"
    )

    def __init__(
        self,
        a: SSAValue | Operation,
        b: SSAValue | Operation,
        c: SSAValue | Operation,
        *,
        alpha: SSAValue | Operation | None = None,
        beta: SSAValue | Operation | None = None,
        transa: bool = False,
        transb: bool = False,
    ):
        super().__init__(
            operands=[a, b, c, [alpha] if alpha else [], [beta] if beta else []],
            properties={
                "transa": UnitAttr() if transa else None,
                "transb": UnitAttr() if transb else None,
            },
        )

    def verify_(self) -> None:
        ta = _operand_info(self, "A", self.a, 2)
        tb = _operand_info(self, "B", self.b, 2)
        tc = _operand_info(self, "C", self.c, 2)
        _same_element_type(
            self,
            [("A", ta.element_type), ("B", tb.element_type), ("C", tc.element_type)],
        )
        _verify_scalars(self, tc.element_type)
        m, ka = ta.get_shape()[::-1] if self.transa else ta.get_shape()
        kb, n = tb.get_shape()[::-1] if self.transb else tb.get_shape()
        _check_dim(self, "inner dimension of op(A) and op(B)", ka, kb)
        _check_dim(self, "rows of op(A) and C", m, tc.get_shape()[0])
        _check_dim(self, "columns of op(B) and C", n, tc.get_shape()[1])


@irdl_op_definition
class GemvOp(IRDLOperation):
    """y = alpha * op(A) @ x + beta * y, op(A) = A or A^T (`trans`). Lowers to `?gemv`."""

    name = "blas.gemv"

    a = operand_def(MemRefType)
    x = operand_def(MemRefType)
    y = operand_def(MemRefType)
    alpha = opt_operand_def(_SCALAR)
    beta = opt_operand_def(_SCALAR)
    trans = opt_prop_def(UnitAttr)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    assembly_format = (
        "(`trans` $trans^)? $a `,` $x `,` $y"
        " (`alpha` `(` $alpha^ `:` type($alpha) `)`)?"
        " (`beta` `(` $beta^ `:` type($beta) `)`)?"
        " attr-dict `:` type($a) `,` type($x) `,` type($y)"
    )

    def __init__(
        self,
        a: SSAValue | Operation,
        x: SSAValue | Operation,
        y: SSAValue | Operation,
        *,
        alpha: SSAValue | Operation | None = None,
        beta: SSAValue | Operation | None = None,
        trans: bool = False,
    ):
        super().__init__(
            operands=[a, x, y, [alpha] if alpha else [], [beta] if beta else []],
            properties={"trans": UnitAttr() if trans else None},
        )

    def verify_(self) -> None:
        ta = _operand_info(self, "A", self.a, 2)
        tx = _operand_info(self, "x", self.x, 1)
        ty = _operand_info(self, "y", self.y, 1)
        _same_element_type(
            self,
            [("A", ta.element_type), ("x", tx.element_type), ("y", ty.element_type)],
        )
        _verify_scalars(self, ty.element_type)
        rows, cols = ta.get_shape()[::-1] if self.trans else ta.get_shape()
        _check_dim(self, "columns of op(A) and length of x", cols, tx.get_shape()[0])
        _check_dim(self, "rows of op(A) and length of y", rows, ty.get_shape()[0])


@irdl_op_definition
class DotOp(IRDLOperation):
    """result = sum_i x[i] * y[i]; 0 for empty vectors. Lowers to `?dot`."""

    name = "blas.dot"

    T: ClassVar = VarConstraint("T", _REAL_SCALAR)

    x = operand_def(MemRefType)
    y = operand_def(MemRefType)
    result = result_def(T)

    assembly_format = "$x `,` $y attr-dict `:` type($x) `,` type($y) `->` type($result)"

    def __init__(self, x: SSAValue | Operation, y: SSAValue | Operation):
        element_type = SSAValue.get(x).type
        assert isinstance(element_type, MemRefType)
        super().__init__(operands=[x, y], result_types=[element_type.element_type])

    def verify_(self) -> None:
        tx = _operand_info(self, "x", self.x, 1, complex_ok=False)
        ty = _operand_info(self, "y", self.y, 1, complex_ok=False)
        _same_element_type(
            self,
            [("x", tx.element_type), ("y", ty.element_type), ("result", self.result.type)],
        )
        _check_dim(self, "vector lengths", tx.get_shape()[0], ty.get_shape()[0])


Blas = Dialect("blas", [GemmOp, GemvOp, DotOp])
