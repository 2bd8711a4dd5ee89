"""Elementwise mt ops: the unary/binary/compare/predicate families, one line per op, plus select and cast.

Each op's numpy meaning and accepted dtypes come from `mlc.dialects.mt.scalars`, the one table that the graph's
elementwise ops also read, so the two levels cannot disagree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ComplexType,
    TensorType,
)
from xdsl.interfaces import HasCanonicalizationPatternsInterface
from xdsl.ir import Attribute
from xdsl.irdl import (
    base,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.traits import Commutative

from mlc.dialects.mt import scalars
from mlc.dialects.mt.types import (
    _dtype_set,
    ANY,
    COMPLEX,
    Dtypes,
    INEXACT,
    SameType,
    Value,
    _cast_result,
    _check_result,
    _check_tensor,
    _fail,
    _type_of,
    i1,
    numpy_dtype,
)
from mlc.dialects.mt.base import (
    MtIdentityOp,
    MtOp,
)

# ===----------------------------------------------------------------------=== #
# Elementwise families
# ===----------------------------------------------------------------------=== #


class UnaryOp(MtOp):
    """`%r = mt.<op> %x : tensor<...>`: elementwise, one type in and out.

    Python: `<Op>(x)`; the result type is x's type.
    """

    T: ClassVar = SameType("T", base(TensorType))
    input = operand_def(T)
    result = result_def(T)
    assembly_format = "$input attr-dict `:` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[[np.ndarray], np.ndarray]]

    def __init__(self, input: Value):
        super().__init__(operands=[input], result_types=[_type_of(input)])

    def verify_(self) -> None:
        _check_tensor(self, "operand", self.input.type, self.DTYPES)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x), self.result.type)


class InvolutionOp(UnaryOp, HasCanonicalizationPatternsInterface):
    """A unary op that undoes itself: `op(op(x)) -> x` (neg, not)."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return (CancelInvolution(),)


class BinaryOp(MtOp):
    """`%r = mt.<op> %a, %b : tensor<...>`: elementwise, one type for all.

    Python: `<Op>(lhs, rhs)`; the result type is the operands' type.
    """

    T: ClassVar = SameType("T", base(TensorType))
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[[np.ndarray, np.ndarray], np.ndarray]]

    def __init__(self, lhs: Value, rhs: Value):
        super().__init__(operands=[lhs, rhs], result_types=[_type_of(lhs)])

    def verify_(self) -> None:
        _check_tensor(self, "operands", self.lhs.type, self.DTYPES)

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(a, b), self.result.type)


def _bool_like(t: TensorType) -> TensorType:
    return TensorType(i1, t.get_shape())


class _RetypingBinaryOp(MtOp):
    """Two operands of one tensor type; the result type follows from theirs (`result_type`)."""

    T: ClassVar = SameType("T", base(TensorType))
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(TensorType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[[np.ndarray, np.ndarray], np.ndarray]]

    @staticmethod
    def result_type(t: TensorType) -> TensorType:
        raise NotImplementedError

    def __init__(self, lhs: Value, rhs: Value):
        super().__init__(operands=[lhs, rhs], result_types=[self.result_type(_type_of(lhs))])

    def verify_(self) -> None:
        t = _check_tensor(self, "operands", self.lhs.type, self.DTYPES)
        _check_result(self, self.result_type(t))

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(a, b), self.result.type)


class _RetypingUnaryOp(MtOp):
    """One operand; the result type follows from its type (`result_type`)."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[[np.ndarray], np.ndarray]]

    @staticmethod
    def result_type(t: TensorType) -> TensorType:
        raise NotImplementedError

    def __init__(self, input: Value):
        super().__init__(operands=[input], result_types=[self.result_type(_type_of(input))])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, self.DTYPES)
        _check_result(self, self.result_type(t))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x), self.result.type)


def _part_type(t: TensorType) -> TensorType:
    """tensor<...xcomplex<f32>> -> tensor<...xf32>."""
    return TensorType(t.element_type.element_type, t.get_shape())  # type: ignore[attr-defined]


def _complex_type(t: TensorType) -> TensorType:
    """tensor<...xf32> -> tensor<...xcomplex<f32>>."""
    return TensorType(ComplexType(t.element_type), t.get_shape())  # type: ignore[arg-type]


class CompareOp(_RetypingBinaryOp):
    """`%r = mt.<op> %a, %b : tensor<?xf32> -> tensor<?xi1>`: elementwise, i1 result.

    Python: `<Op>(lhs, rhs)`; the result is an i1 tensor of the same shape.
    """

    result_type = staticmethod(_bool_like)


class PredicateOp(_RetypingUnaryOp):
    """`%r = mt.<op> %x : tensor<?xf32> -> tensor<?xi1>`: elementwise test.

    Python: `<Op>(x)`; the result is an i1 tensor of the same shape.
    """

    DTYPES: ClassVar[Dtypes] = INEXACT
    result_type = staticmethod(_bool_like)


class PartOp(_RetypingUnaryOp):
    """`%r = mt.<op> %z : tensor<?xcomplex<f32>> -> tensor<?xf32>`: a real function of a complex number.

    Python: `<Op>(z)`; the result has z's shape and the type of z's parts.
    """

    DTYPES: ClassVar[Dtypes] = COMPLEX
    result_type = staticmethod(_part_type)


class ComposeOp(_RetypingBinaryOp):
    """`%z = mt.<op> %a, %b : tensor<?xf32> -> tensor<?xcomplex<f32>>`: a complex number from two reals.

    Python: `<Op>(lhs, rhs)`; the operands share one f32 or f64 tensor type, the result is its complex type.
    """

    result_type = staticmethod(_complex_type)


# ===----------------------------------------------------------------------=== #
# Elementwise ops: one line each — name, accepted element types, numpy meaning
# ===----------------------------------------------------------------------=== #


_FAMILIES: dict[str, type[MtOp]] = {
    "unary": UnaryOp, "involution": InvolutionOp, "binary": BinaryOp, "compare": CompareOp, "predicate": PredicateOp,
    "part": PartOp, "compose": ComposeOp,
}  # fmt: skip


def _elementwise(op_name: str) -> Any:
    """Define `mt.<op_name>` from its row in `scalars.MEANINGS`: class `<CamelName>Op` (mt.log1p -> Log1pOp)."""
    m = scalars.meaning(op_name)
    family = _FAMILIES[m.family]
    class_name = "".join(part.capitalize() for part in op_name.split("_")) + "Op"
    body: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": class_name,
        "__doc__": f"`mt.{op_name}`{': ' + m.doc if m.doc else ''}\n\n{family.__doc__}",
        "__annotations__": {"DTYPES": "ClassVar[Dtypes]"},
        "name": f"mt.{op_name}",
        "DTYPES": _dtype_set(m.dtypes),
        "NUMPY": staticmethod(m.numpy),
    }
    if m.commutative:
        body["traits"] = traits_def(Commutative())
    return irdl_op_definition(type(class_name, (family,), body))


NegOp = _elementwise("neg")
AbsOp = _elementwise("abs")
ExpOp = _elementwise("exp")
Exp2Op = _elementwise("exp2")
Expm1Op = _elementwise("expm1")
LogOp = _elementwise("log")
Log2Op = _elementwise("log2")
Log10Op = _elementwise("log10")
Log1pOp = _elementwise("log1p")
SqrtOp = _elementwise("sqrt")
SinOp = _elementwise("sin")
CosOp = _elementwise("cos")
TanOp = _elementwise("tan")
AsinOp = _elementwise("asin")
AcosOp = _elementwise("acos")
AtanOp = _elementwise("atan")
SinhOp = _elementwise("sinh")
CoshOp = _elementwise("cosh")
TanhOp = _elementwise("tanh")
AsinhOp = _elementwise("asinh")
AcoshOp = _elementwise("acosh")
AtanhOp = _elementwise("atanh")
FloorOp = _elementwise("floor")
CeilOp = _elementwise("ceil")
RoundOp = _elementwise("round")
RoundAwayOp = _elementwise("round_away")
TruncOp = _elementwise("trunc")
SignOp = _elementwise("sign")
ErfOp = _elementwise("erf")
ErfcOp = _elementwise("erfc")
ErfinvOp = _elementwise("erfinv")
# special functions: scalar bodies call scipy's compiled code (scalar_math), tri_gamma is inline
ErfcinvOp = _elementwise("erfcinv")
ErfcxOp = _elementwise("erfcx")
GammalnOp = _elementwise("gammaln")
PsiOp = _elementwise("psi")
TriGammaOp = _elementwise("tri_gamma")
GammaOp = _elementwise("gamma")
J0Op = _elementwise("j0")
J1Op = _elementwise("j1")
I0Op = _elementwise("i0")
I1Op = _elementwise("i1")
SigmoidOp = _elementwise("sigmoid")
SoftplusOp = _elementwise("softplus")
ReciprocalOp = _elementwise("reciprocal")
NotOp = _elementwise("not")
AddOp = _elementwise("add")
SubOp = _elementwise("sub")
MulOp = _elementwise("mul")
DivOp = _elementwise("div")
FloordivOp = _elementwise("floordiv")
ModOp = _elementwise("mod")
PowOp = _elementwise("pow")
MaxOp = _elementwise("max")
MinOp = _elementwise("min")
AndOp = _elementwise("and")
OrOp = _elementwise("or")
XorOp = _elementwise("xor")
Atan2Op = _elementwise("atan2")
HypotOp = _elementwise("hypot")
JvOp = _elementwise("jv")
IvOp = _elementwise("iv")
GammaincOp = _elementwise("gammainc")
GammainccOp = _elementwise("gammaincc")
EqOp = _elementwise("eq")
NeOp = _elementwise("ne")
LtOp = _elementwise("lt")
LeOp = _elementwise("le")
GtOp = _elementwise("gt")
GeOp = _elementwise("ge")
IsnanOp = _elementwise("isnan")
IsinfOp = _elementwise("isinf")
# complex numbers
RealOp = _elementwise("real")
ImagOp = _elementwise("imag")
AngleOp = _elementwise("angle")
CabsOp = _elementwise("cabs")
ConjOp = _elementwise("conj")
ComplexOp = _elementwise("complex")


# ===----------------------------------------------------------------------=== #
# select, cast
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class SelectOp(MtOp):
    """`%r = mt.select %c, %a, %b : tensor<?xi1>, tensor<?xf32>`: c ? a : b.

    Python: `SelectOp(cond, on_true, on_false)`; the result has on_true's type.
    """

    name = "mt.select"
    T: ClassVar = SameType("T", base(TensorType))
    cond = operand_def(TensorType)
    on_true = operand_def(T)
    on_false = operand_def(T)
    result = result_def(T)
    assembly_format = "$cond `,` $on_true `,` $on_false attr-dict `:` type($cond) `,` type($result)"

    def __init__(self, cond: Value, on_true: Value, on_false: Value):
        super().__init__(operands=[cond, on_true, on_false], result_types=[_type_of(on_true)])

    def verify_(self) -> None:
        t = _check_tensor(self, "values", self.result.type)
        if self.cond.type != _bool_like(t):
            raise _fail(self, f"condition of type {_bool_like(t)}", self.cond.type)

    def evaluate(self, c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _cast_result(np.where(c, a, b), self.result.type)


@irdl_op_definition
class CastOp(MtIdentityOp):
    """`%r = mt.cast %x : tensor<?xi32> -> tensor<?xf32>`: convert element type.

    numpy `astype` semantics (complex -> real keeps the real part).
    Python: `CastOp(x, to)` with `to` an element type (x's shape is kept)
    or a full tensor type.
    """

    name = "mt.cast"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: Value, to: Attribute):
        if not isinstance(to, TensorType):
            to = TensorType(to, _type_of(input).get_shape())
        super().__init__(operands=[input], result_types=[to])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        r = _check_tensor(self, "result", self.result.type)
        if t.get_shape() != r.get_shape():
            raise _fail(self, f"a result of the operand's shape {t.get_shape()}", r)

    def is_identity(self) -> bool:
        return self.input.type == self.result.type

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        dtype = numpy_dtype(self.result.type.element_type)
        if np.iscomplexobj(x) and dtype.kind != "c":
            x = x.real
        return x.astype(dtype)




class CancelInvolution(RewritePattern):
    """op(op(x)) -> x for neg and not."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: InvolutionOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if type(inner) is type(op):
            assert isinstance(inner, InvolutionOp)
            rewriter.replace(op, [], [inner.input])


