"""The tensor-level dialect `mt`: one op per mathematical operation.

Every op works on builtin `tensor<...>` values with value semantics. An
element type is one of `i1` (bool), `i8 i16 i32 i64` (signed), `ui8 ui16
ui32 ui64`, `f16 f32 f64`, `complex<f32> complex<f64>`. A dimension is
static (`1` for a broadcastable dim) or dynamic (`?`); a dynamic dim never
broadcasts, and no op broadcasts or casts implicitly: the emitter writes
`mt.broadcast` and `mt.cast` where Theano did it silently.

Each op is defined once, here, with its type rule (`verify_`), its Python
constructor (which infers the result type where it can) and its numpy
meaning (`evaluate`, usually through a one-line `NUMPY` hook). The numpy
meaning serves the constant folder below and the reference interpreter
`mlc.dialects.mt_reference.run_mt`, which defines the dialect for every
lowering test.

Sections: element types and numpy; the op base and folding; constant;
elementwise families and their ops; select and cast; shape ops;
insertion (insert_slice, insert_index);
gather and scatter (integer-array indexing); reductions; contraction;
constructors; softmax; canonicalization patterns; the dialect.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from xdsl.dialect_interfaces.constant_materialization import (
    ConstantMaterializationInterface,
)
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    I64,
    BytesAttr,
    ComplexType,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerAttr,
    IntegerType,
    NoneAttr,
    Signedness,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.interfaces import HasCanonicalizationPatternsInterface, HasFolderInterface
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.irdl.constraints import VerificationContext
from xdsl.parser import Parser
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.printer import Printer
from xdsl.traits import Commutative, ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

Value = SSAValue | Operation
"""What the Python constructors accept as an operand."""

DYN = DYNAMIC_INDEX
"""A dynamic (`?`) dimension in a shape tuple."""

FOLD_LIMIT = 1 << 20
"""Tensors with more elements than this are never constant-folded."""

# ===----------------------------------------------------------------------=== #
# Element types and numpy
# ===----------------------------------------------------------------------=== #

i1 = IntegerType(1)
i8, i16, i32 = IntegerType(8), IntegerType(16), IntegerType(32)
ui8 = IntegerType(8, Signedness.UNSIGNED)
ui16 = IntegerType(16, Signedness.UNSIGNED)
ui32 = IntegerType(32, Signedness.UNSIGNED)
ui64 = IntegerType(64, Signedness.UNSIGNED)
f16, f32, f64 = Float16Type(), Float32Type(), Float64Type()
c64, c128 = ComplexType(f32), ComplexType(f64)

# element type <-> numpy dtype, one entry per mt element type
_NUMPY_DTYPES: dict[Attribute, np.dtype[Any]] = {
    i1: np.dtype(np.bool_),
    i8: np.dtype(np.int8),
    i16: np.dtype(np.int16),
    i32: np.dtype(np.int32),
    i64: np.dtype(np.int64),
    ui8: np.dtype(np.uint8),
    ui16: np.dtype(np.uint16),
    ui32: np.dtype(np.uint32),
    ui64: np.dtype(np.uint64),
    f16: np.dtype(np.float16),
    f32: np.dtype(np.float32),
    f64: np.dtype(np.float64),
    c64: np.dtype(np.complex64),
    c128: np.dtype(np.complex128),
}
_ELEMENT_TYPES: dict[np.dtype[Any], Attribute] = {d: t for t, d in _NUMPY_DTYPES.items()}


def numpy_dtype(element_type: Attribute) -> np.dtype[Any]:
    """The numpy dtype of an mt element type (`i1` -> bool, `ui32` -> uint32...)."""
    try:
        return _NUMPY_DTYPES[element_type]
    except KeyError:
        raise ValueError(f"{element_type} is not an mt element type") from None


def element_type_of(dtype: Any) -> Attribute:
    """The mt element type of a numpy dtype (bool -> `i1`, uint32 -> `ui32`...)."""
    dt = np.dtype(dtype)
    try:
        return _ELEMENT_TYPES[dt.newbyteorder("=")]
    except KeyError:
        raise ValueError(f"numpy dtype {dt} has no mt element type") from None


@dataclass(frozen=True)
class Dtypes:
    """A named set of element types, as an op's type rule accepts them."""

    description: str
    types: frozenset[Attribute]

    def __or__(self, other: Dtypes) -> Dtypes:
        return Dtypes(f"{self.description} or {other.description}", self.types | other.types)

    def __contains__(self, element_type: Attribute) -> bool:
        return element_type in self.types


BOOL = Dtypes("bool (i1)", frozenset({i1}))
SINT = Dtypes("signed int", frozenset({i8, i16, i32, i64}))
UINT = Dtypes("unsigned int", frozenset({ui8, ui16, ui32, ui64}))
FLOAT = Dtypes("float", frozenset({f16, f32, f64}))
COMPLEX = Dtypes("complex", frozenset({c64, c128}))
INT = Dtypes("int", SINT.types | UINT.types)
INEXACT = FLOAT | COMPLEX
REAL = BOOL | INT | FLOAT  # ordered types: comparisons, max/min, argmax
NUMERIC = INT | FLOAT | COMPLEX  # arithmetic: everything but bool
ANY = Dtypes("any mt element type", frozenset(_NUMPY_DTYPES))


def tensor_type(element_type: Attribute, shape: Sequence[int | None]) -> TensorType[Attribute]:
    """`tensor<shape x element_type>`; `None` or `DYN` in `shape` is a `?` dim."""
    return TensorType(element_type, [DYN if d is None or d == DYN else d for d in shape])


def to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The value of a dense attribute as a (writable) numpy array."""
    dtype = numpy_dtype(attr.get_element_type())
    shape = attr.get_shape()
    # xDSL stores i1 as one byte per element (true = 0xFF), everything else
    # little-endian in the element type's own layout, which is numpy's.
    storage = np.dtype(np.int8) if dtype == np.bool_ else dtype.newbyteorder("<")
    flat = np.frombuffer(attr.data.data, dtype=storage)
    flat = flat != 0 if dtype == np.bool_ else flat.astype(dtype)
    if flat.size == 1 and math.prod(shape) != 1:
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape)


def from_numpy(array: Any, element_type: Attribute | None = None) -> DenseIntOrFPElementsAttr:
    """A dense attribute holding `array` (converted to `element_type` if given)."""
    if element_type is not None:
        array = np.asarray(array, dtype=numpy_dtype(element_type))
    arr = np.asarray(array)
    elt = element_type_of(arr.dtype)
    if arr.dtype == np.bool_:
        data = np.where(arr, -1, 0).astype(np.int8).tobytes()
    else:
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return DenseIntOrFPElementsAttr(TensorType(elt, arr.shape), BytesAttr(data))


def _cast_result(value: Any, result_type: Attribute) -> np.ndarray:
    """Hold a numpy result in the op's declared element type."""
    assert isinstance(result_type, TensorType)
    return np.asarray(value).astype(numpy_dtype(result_type.element_type), copy=False)


def _special(name: str) -> Callable[..., np.ndarray]:
    """`scipy.special.<name>`, imported on first call (scipy is slow to import)."""

    def call(*args: np.ndarray) -> np.ndarray:
        import scipy.special

        return getattr(scipy.special, name)(*args)

    call.__name__ = name
    return call


# ===----------------------------------------------------------------------=== #
# Type-rule helpers: one error template, "op: expected X, got Y"
# ===----------------------------------------------------------------------=== #


def _fail(op: Operation | type[Operation], expected: str, got: object) -> VerifyException:
    return VerifyException(f"{op.name}: expected {expected}, got {got}")


def _check_tensor(op: Operation, what: str, type_: Attribute, dtypes: Dtypes = ANY) -> TensorType:
    """Check that `type_` is a plain tensor whose element type is in `dtypes`."""
    if not isinstance(type_, TensorType) or type_.encoding != NoneAttr():
        raise _fail(op, f"{what} to be a tensor without encoding", type_)
    if type_.element_type not in dtypes:
        raise _fail(op, f"{what} to be a tensor of {dtypes.description}", type_)
    return type_


def _check_result(op: Operation, inferred: Attribute) -> None:
    """Ops whose result type is fully determined check it against the rule."""
    got = op.results[0].type
    if got != inferred:
        raise _fail(op, f"result type {inferred}", got)


def _check_index_tensor(op: Operation, what: str, value: SSAValue, rank: int | None) -> None:
    """Index-like operands: `tensor<i64>` (rank 0) or `tensor<Nxi64>` (rank 1)."""
    want = "tensor<i64>" if rank == 0 else f"tensor<{rank if rank is not None else 'N'}xi64>"
    t = value.type
    ok = isinstance(t, TensorType) and t.element_type == i64 and t.encoding == NoneAttr()
    if ok and rank == 0:
        ok = t.get_num_dims() == 0
    elif ok:
        ok = t.get_num_dims() == 1 and (rank is None or t.get_shape()[0] in (rank, DYN))
    if not ok:
        raise _fail(op, f"{what} of type {want}", t)


def _check_axis(op: Operation | type[Operation], axis: int, rank: int) -> None:
    if not 0 <= axis < rank:
        raise _fail(op, f"an axis in [0, {rank})", axis)


def _type_of(value: Value) -> TensorType:
    t = SSAValue.get(value).type
    if not isinstance(t, TensorType):
        raise ValueError(f"expected a tensor value, got one of type {t}")
    return t


class SameType(VarConstraint[Attribute]):
    """A `VarConstraint` whose mismatch message explains mt's no-implicit-cast rule."""

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        first = constraint_context.get_variable(self.name)
        if first is not None and first != attr:
            raise VerifyException(
                f"expected {first}, the type of the other operands and the result "
                f"(mt never broadcasts or casts implicitly), got {attr}"
            )
        super().verify(attr, constraint_context)


# ===----------------------------------------------------------------------=== #
# The op base: Pure, single result, numpy meaning, constant folding
# ===----------------------------------------------------------------------=== #


class MtOp(IRDLOperation, HasFolderInterface):
    """Base of every mt op: Pure, one result, `evaluate` gives its numpy meaning.

    The folder is generic: when every operand is a constant and the result
    type is static (at most FOLD_LIMIT elements), the op is evaluated with
    numpy and replaced by an `mt.constant` of exactly its result type.
    """

    traits = traits_def(Pure())

    def evaluate(self, *operands: np.ndarray) -> np.ndarray:
        """The op's result for numpy operand values, in the result's dtype."""
        raise NotImplementedError(f"{self.name} has no numpy meaning")

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        result_type = self.results[0].type
        if not isinstance(result_type, TensorType) or not result_type.has_static_shape():
            return None
        if math.prod(result_type.get_shape()) > FOLD_LIMIT:
            return None
        values = [ConstantLike.get_constant_value(v) for v in self.operands]
        if not all(isinstance(v, DenseIntOrFPElementsAttr) for v in values):
            return None
        if any(math.prod(v.get_shape()) > FOLD_LIMIT for v in values):  # type: ignore[union-attr]
            return None
        try:
            with np.errstate(all="ignore"):
                out = self.evaluate(*(to_numpy(v) for v in values))  # type: ignore[arg-type]
        except (ArithmeticError, ValueError, IndexError):
            return None  # e.g. an int to a negative power: leave it to run time
        if out.shape != result_type.get_shape():
            return None
        return (from_numpy(out, result_type.element_type),)


class MtIdentityOp(MtOp, HasCanonicalizationPatternsInterface):
    """An op that is sometimes the identity on its first operand.

    `is_identity()` says when; canonicalize then replaces the op by that
    operand (cast to the same type, dimshuffle [0, 1], reduce over no axes...).
    """

    def is_identity(self) -> bool:
        raise NotImplementedError

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return (ReplaceIdentityByInput(),)


# ===----------------------------------------------------------------------=== #
# mt.constant
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class ConstantOp(IRDLOperation, HasFolderInterface):
    """`%c = mt.constant dense<[1.0, 2.0]> : tensor<2xf32>`.

    Python: `ConstantOp(value: DenseIntOrFPElementsAttr)` or
    `ConstantOp.from_numpy(array, element_type=None)`.
    """

    name = "mt.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @classmethod
    def from_numpy(cls, array: Any, element_type: Attribute | None = None) -> ConstantOp:
        """A constant holding `array` (a numpy array or scalar, or anything
        `np.asarray` takes), converted to `element_type` when given; the
        dtype maps to the element type (bool -> i1, float32 -> f32, ...)."""
        return cls(from_numpy(array, element_type))

    def to_numpy(self) -> np.ndarray:
        return to_numpy(self.value)

    def evaluate(self) -> np.ndarray:
        return self.to_numpy()

    def fold(self) -> Sequence[SSAValue | Attribute]:
        return (self.value,)

    def verify_(self) -> None:
        _check_tensor(self, "value", self.value.type)
        if self.value.type != self.result.type:
            raise _fail(self, f"result type {self.value.type} (the value's type)", self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        value = self.value
        inexact = isinstance(value.get_element_type(), Float16Type | Float32Type | Float64Type | ComplexType)
        if inexact and not np.all(np.isfinite(array := to_numpy(value))):
            # xDSL prints NaN/inf as hex integers inside `dense<[...]>` and its
            # own parser reads those back as integers; the hex string of the
            # raw (full, little-endian) data round-trips exactly.
            printer.print_string(f'dense<"0x{from_numpy(array).data.data.hex().upper()}"> : ')
            printer.print_attribute(value.type)
        else:
            printer.print_attribute(value)
        printer.print_op_attributes(self.attributes)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        pos = parser.pos
        value = parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error("expected a dense attribute, e.g. dense<1.0> : tensor<2xf32>", pos, parser.pos)
        op = cls(value)
        op.attributes.update(parser.parse_optional_attr_dict())
        return op


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


class CompareOp(MtOp):
    """`%r = mt.<op> %a, %b : tensor<?xf32> -> tensor<?xi1>`: elementwise, i1 result.

    Python: `<Op>(lhs, rhs)`; the result is an i1 tensor of the same shape.
    """

    T: ClassVar = SameType("T", base(TensorType))
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(TensorType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[[np.ndarray, np.ndarray], np.ndarray]]

    def __init__(self, lhs: Value, rhs: Value):
        super().__init__(operands=[lhs, rhs], result_types=[_bool_like(_type_of(lhs))])

    def verify_(self) -> None:
        t = _check_tensor(self, "operands", self.lhs.type, self.DTYPES)
        _check_result(self, _bool_like(t))

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(a, b), self.result.type)


class PredicateOp(MtOp):
    """`%r = mt.<op> %x : tensor<?xf32> -> tensor<?xi1>`: elementwise test.

    Python: `<Op>(x)`; the result is an i1 tensor of the same shape.
    """

    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    DTYPES: ClassVar[Dtypes] = INEXACT
    NUMPY: ClassVar[Callable[[np.ndarray], np.ndarray]]

    def __init__(self, input: Value):
        super().__init__(operands=[input], result_types=[_bool_like(_type_of(input))])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, self.DTYPES)
        _check_result(self, _bool_like(t))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x), self.result.type)


# ===----------------------------------------------------------------------=== #
# Elementwise ops: one line each — name, accepted element types, numpy meaning
# ===----------------------------------------------------------------------=== #


def _elementwise(
    family: type[MtOp],
    op_name: str,
    dtypes: Dtypes,
    numpy: Callable[..., Any],
    doc: str = "",
    commutative: bool = False,
) -> Any:
    """Define `mt.<op_name>` in `family`: class `<CamelName>Op` (mt.log1p -> Log1pOp)."""
    class_name = "".join(part.capitalize() for part in op_name.split("_")) + "Op"
    body: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": class_name,
        "__doc__": f"`mt.{op_name}`{': ' + doc if doc else ''}\n\n{family.__doc__}",
        "__annotations__": {"DTYPES": "ClassVar[Dtypes]"},
        "name": f"mt.{op_name}",
        "DTYPES": dtypes,
        "NUMPY": staticmethod(numpy),
    }
    if commutative:
        body["traits"] = traits_def(Commutative())
    return irdl_op_definition(type(class_name, (family,), body))


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.sqrt(x))


def _round_half_away(x: np.ndarray) -> np.ndarray:
    t = np.trunc(x)  # x - trunc(x) is exact, unlike the classic floor(x + 0.5)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(np.zeros((), x.dtype), x)  # log(1 + exp(x)) without overflow


_U, _B, _C, _P = UnaryOp, BinaryOp, CompareOp, PredicateOp
_BITWISE = "logical on i1, bitwise on ints"

NegOp = _elementwise(InvolutionOp, "neg", NUMERIC, np.negative)
AbsOp = _elementwise(_U, "abs", INT | FLOAT, np.abs)
ExpOp = _elementwise(_U, "exp", INEXACT, np.exp)
Exp2Op = _elementwise(_U, "exp2", INEXACT, np.exp2)
Expm1Op = _elementwise(_U, "expm1", INEXACT, np.expm1, "exp(x) - 1")
LogOp = _elementwise(_U, "log", INEXACT, np.log)
Log2Op = _elementwise(_U, "log2", INEXACT, np.log2)
Log10Op = _elementwise(_U, "log10", INEXACT, np.log10)
Log1pOp = _elementwise(_U, "log1p", INEXACT, np.log1p, "log(1 + x)")
SqrtOp = _elementwise(_U, "sqrt", INEXACT, np.sqrt)
RsqrtOp = _elementwise(_U, "rsqrt", INEXACT, _rsqrt, "1 / sqrt(x)")
SinOp = _elementwise(_U, "sin", INEXACT, np.sin)
CosOp = _elementwise(_U, "cos", INEXACT, np.cos)
TanOp = _elementwise(_U, "tan", INEXACT, np.tan)
AsinOp = _elementwise(_U, "asin", INEXACT, np.arcsin)
AcosOp = _elementwise(_U, "acos", INEXACT, np.arccos)
AtanOp = _elementwise(_U, "atan", INEXACT, np.arctan)
SinhOp = _elementwise(_U, "sinh", INEXACT, np.sinh)
CoshOp = _elementwise(_U, "cosh", INEXACT, np.cosh)
TanhOp = _elementwise(_U, "tanh", INEXACT, np.tanh)
AsinhOp = _elementwise(_U, "asinh", INEXACT, np.arcsinh)
AcoshOp = _elementwise(_U, "acosh", INEXACT, np.arccosh)
AtanhOp = _elementwise(_U, "atanh", INEXACT, np.arctanh)
FloorOp = _elementwise(_U, "floor", FLOAT, np.floor)
CeilOp = _elementwise(_U, "ceil", FLOAT, np.ceil)
RoundOp = _elementwise(_U, "round", FLOAT, np.rint, "round half to even, like numpy.round")
RoundAwayOp = _elementwise(_U, "round_away", FLOAT, _round_half_away, "round half away from zero (C round)")
TruncOp = _elementwise(_U, "trunc", FLOAT, np.trunc)
SignOp = _elementwise(_U, "sign", INT | FLOAT, np.sign)
ErfOp = _elementwise(_U, "erf", FLOAT, _special("erf"))
ErfcOp = _elementwise(_U, "erfc", FLOAT, _special("erfc"), "1 - erf(x)")
ErfinvOp = _elementwise(_U, "erfinv", FLOAT, _special("erfinv"))
SigmoidOp = _elementwise(_U, "sigmoid", FLOAT, _special("expit"), "1 / (1 + exp(-x))")
SoftplusOp = _elementwise(_U, "softplus", FLOAT, _softplus, "log(1 + exp(x))")
ReciprocalOp = _elementwise(_U, "reciprocal", INEXACT, np.reciprocal, "1 / x")
NotOp = _elementwise(InvolutionOp, "not", BOOL | INT, np.invert, "logical not on i1, bitwise invert on ints")

AddOp = _elementwise(_B, "add", NUMERIC, np.add, commutative=True)
SubOp = _elementwise(_B, "sub", NUMERIC, np.subtract)
MulOp = _elementwise(_B, "mul", NUMERIC, np.multiply, commutative=True)
DivOp = _elementwise(_B, "div", INEXACT, np.true_divide, "true division")
FloordivOp = _elementwise(_B, "floordiv", INT | FLOAT, np.floor_divide, "floor division (Python //)")
ModOp = _elementwise(_B, "mod", INT | FLOAT, np.remainder, "remainder with the divisor's sign (Python %)")
PowOp = _elementwise(_B, "pow", NUMERIC, np.power)
MaxOp = _elementwise(_B, "max", REAL, np.maximum, "elementwise maximum, NaN propagates", commutative=True)
MinOp = _elementwise(_B, "min", REAL, np.minimum, "elementwise minimum, NaN propagates", commutative=True)
AndOp = _elementwise(_B, "and", BOOL | INT, np.bitwise_and, _BITWISE, commutative=True)
OrOp = _elementwise(_B, "or", BOOL | INT, np.bitwise_or, _BITWISE, commutative=True)
XorOp = _elementwise(_B, "xor", BOOL | INT, np.bitwise_xor, _BITWISE, commutative=True)
Atan2Op = _elementwise(_B, "atan2", FLOAT, np.arctan2, "atan2(lhs, rhs), the angle of the point (rhs, lhs)")
HypotOp = _elementwise(_B, "hypot", FLOAT, np.hypot, "sqrt(lhs**2 + rhs**2)", commutative=True)

EqOp = _elementwise(_C, "eq", ANY, np.equal, commutative=True)
NeOp = _elementwise(_C, "ne", ANY, np.not_equal, commutative=True)
LtOp = _elementwise(_C, "lt", REAL, np.less)
LeOp = _elementwise(_C, "le", REAL, np.less_equal)
GtOp = _elementwise(_C, "gt", REAL, np.greater)
GeOp = _elementwise(_C, "ge", REAL, np.greater_equal)
IsnanOp = _elementwise(_P, "isnan", INEXACT, np.isnan)
IsinfOp = _elementwise(_P, "isinf", INEXACT, np.isinf)


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


# ===----------------------------------------------------------------------=== #
# Shape ops
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class ShapeOp(MtOp):
    """`%s = mt.shape %x : tensor<?x4xf32> -> tensor<2xi64>`: x's dims as i64.

    Python: `ShapeOp(x)`. Folds to a constant when x's type is static.
    """

    name = "mt.shape"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: Value):
        super().__init__(operands=[input], result_types=[TensorType(i64, [_type_of(input).get_num_dims()])])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_result(self, TensorType(i64, [t.get_num_dims()]))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return np.array(x.shape, dtype=np.int64)

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        t = self.input.type
        if isinstance(t, TensorType) and t.has_static_shape():
            return (from_numpy(np.array(t.get_shape(), dtype=np.int64)),)
        return None


def _shape_operand_rule(op: Operation, shape: SSAValue | None, result: TensorType) -> None:
    """broadcast/reshape: a shape operand gives dynamic result dims their size."""
    if shape is None:
        if not result.has_static_shape():
            raise _fail(op, "a shape operand, since the result type has dynamic dims", result)
        return
    _check_index_tensor(op, "a shape operand", shape, result.get_num_dims())


@irdl_op_definition
class BroadcastOp(MtIdentityOp):
    """`%r = mt.broadcast %x[, %shape] : tensor<1x4xf32>[, tensor<2xi64>] -> tensor<?x4xf32>`.

    numpy.broadcast_to at the same rank: each input dim equals the result
    dim or is 1. The shape operand (tensor<Rxi64>) is required when the
    result has dynamic dims.
    Python: `BroadcastOp(x, result_type, shape=None)`.
    """

    name = "mt.broadcast"
    input = operand_def(TensorType)
    shape = opt_operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input (`,` $shape^)? attr-dict `:` type($input) (`,` type($shape)^)? `->` type($result)"
    )

    def __init__(self, input: Value, result_type: Attribute, shape: Value | None = None):
        super().__init__(operands=[input, [shape] if shape is not None else []], result_types=[result_type])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        r = _check_tensor(self, "result", self.result.type)
        if r.element_type != t.element_type or r.get_num_dims() != t.get_num_dims():
            raise _fail(self, f"a result of element type {t.element_type} and rank {t.get_num_dims()}", r)
        for i, (d, rd) in enumerate(zip(t.get_shape(), r.get_shape())):
            if d != rd and d != 1:
                expected = f"input dim {i} to be 1 or equal to the result's dim (dynamic dims never broadcast)"
                raise _fail(self, expected, f"{t} -> {r}")
        _shape_operand_rule(self, self.shape, r)

    def is_identity(self) -> bool:
        return self.input.type == self.result.type

    def evaluate(self, x: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
        dims = self.result.type.get_shape() if shape is None else tuple(int(d) for d in shape)
        return np.array(np.broadcast_to(x, dims))


@irdl_op_definition
class DimShuffleOp(MtIdentityOp):
    """`%r = mt.dimshuffle %x [1, -1, 0] : tensor<?x4xf32> -> tensor<4x1x?xf32>`.

    Theano's DimShuffle: result dim j is input dim `pattern[j]`, or a new
    broadcastable dim where `pattern[j] == -1` (Theano's 'x'). Input dims
    not mentioned are dropped and must be static 1.
    Python: `DimShuffleOp(x, pattern)`; the result type is inferred.
    """

    name = "mt.dimshuffle"
    input = operand_def(TensorType)
    pattern = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)
    assembly_format = "$input $pattern attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: Value, pattern: Sequence[int]):
        t = _type_of(input)
        pattern = [-1 if p == "x" else int(p) for p in pattern]
        super().__init__(
            operands=[input],
            properties={"pattern": DenseArrayBase.from_list(i64, pattern)},
            result_types=[self.infer(t, pattern)],
        )

    @classmethod
    def infer(cls, t: TensorType, pattern: Sequence[int]) -> TensorType:
        shape = t.get_shape()
        kept = [p for p in pattern if p != -1]
        for p in kept:
            if not 0 <= p < len(shape):
                raise _fail(cls, f"pattern entries in [0, {len(shape)}) or -1", list(pattern))
        if len(set(kept)) != len(kept):
            raise _fail(cls, "each input dim at most once in the pattern", list(pattern))
        for i, d in enumerate(shape):
            if i not in kept and d != 1:
                raise _fail(cls, f"dropped input dim {i} to be static 1", t)
        return TensorType(t.element_type, [1 if p == -1 else shape[p] for p in pattern])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_result(self, self.infer(t, self.pattern.get_values()))

    def is_identity(self) -> bool:
        return self.pattern.get_values() == tuple(range(self.input.type.get_num_dims()))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        pattern = self.pattern.get_values()
        kept = [p for p in pattern if p != -1]
        dropped = [i for i in range(x.ndim) if i not in kept]
        out = [1 if p == -1 else x.shape[p] for p in pattern]
        return np.transpose(x, kept + dropped).reshape(out)


@irdl_op_definition
class ReshapeOp(MtIdentityOp):
    """`%r = mt.reshape %x[, %shape] : tensor<2x3xf32>[, tensor<1xi64>] -> tensor<6xf32>`.

    numpy.reshape (row-major). The shape operand (tensor<Rxi64>; one entry
    may be -1, as in numpy) is required when the result has dynamic dims;
    static element counts must agree.
    Python: `ReshapeOp(x, result_type, shape=None)`.
    """

    name = "mt.reshape"
    input = operand_def(TensorType)
    shape = opt_operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input (`,` $shape^)? attr-dict `:` type($input) (`,` type($shape)^)? `->` type($result)"
    )

    def __init__(self, input: Value, result_type: Attribute, shape: Value | None = None):
        super().__init__(operands=[input, [shape] if shape is not None else []], result_types=[result_type])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        r = _check_tensor(self, "result", self.result.type)
        if r.element_type != t.element_type:
            raise _fail(self, f"a result of element type {t.element_type}", r)
        if t.has_static_shape() and r.has_static_shape():
            if math.prod(t.get_shape()) != math.prod(r.get_shape()):
                raise _fail(self, f"a result with {math.prod(t.get_shape())} elements like {t}", r)
        _shape_operand_rule(self, self.shape, r)

    def is_identity(self) -> bool:
        # Equal types with at most one dynamic dim: equal element counts force
        # that dim to match too.
        t = self.input.type
        return t == self.result.type and list(t.get_shape()).count(DYN) <= 1

    def evaluate(self, x: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
        dims = self.result.type.get_shape() if shape is None else tuple(int(d) for d in shape)
        return np.reshape(x, dims).copy()


SLICE_NONE = -(2**63) + 1
"""`mt.slice` entry for an omitted field (`x[:5]`'s start); printed `_`."""

SLICE_DYNAMIC = -(2**63)
"""`mt.slice` entry taken from the next `dyn` operand; printed `?`."""

SliceEntry = int | None | SSAValue | Operation
"""A Python slice field: a static int, None (omitted) or an SSA value (dynamic)."""


def slice_length(n: int, start: int, stop: int, step: int) -> int:
    """Static length of one sliced dim, or DYN when it depends on run time."""
    fields = (start, stop, step)
    if start == stop == SLICE_NONE and step in (SLICE_NONE, 1):
        return n  # x[:] keeps the dim, static or dynamic
    if n == DYN or SLICE_DYNAMIC in fields:
        return DYN
    py = [None if f == SLICE_NONE else f for f in fields]
    return len(range(*slice(*py).indices(n)))


def _slice_properties(
    starts: Sequence[SliceEntry], stops: Sequence[SliceEntry], steps: Sequence[SliceEntry]
) -> tuple[dict[str, Attribute], list[SSAValue | Operation]]:
    """The starts/stops/steps properties (with sentinels) and the dynamic operands, in order."""
    is_dyn = lambda e: isinstance(e, SSAValue | Operation)  # noqa: E731
    dyn = [e for triple in zip(starts, stops, steps) for e in triple if is_dyn(e)]

    def static(entries: Sequence[SliceEntry]) -> DenseArrayBase:
        codes = [SLICE_NONE if e is None else SLICE_DYNAMIC if is_dyn(e) else int(e) for e in entries]
        return DenseArrayBase.from_list(i64, codes)

    return {"starts": static(starts), "stops": static(stops), "steps": static(steps)}, dyn


def _verify_slice_entries(
    op: Operation, t: TensorType, entries: list[tuple[int, int, int]], dyn: Sequence[SSAValue]
) -> list[int]:
    """Check slice entries against the sliced type `t`; return the slice's shape."""
    counts = tuple(len(op.properties[k]) for k in ("starts", "stops", "steps"))  # type: ignore[arg-type]
    if counts != (t.get_num_dims(),) * 3:
        expected = f"{t.get_num_dims()} starts, stops and steps (one per dim)"
        raise _fail(op, expected, ", ".join(map(str, counts)))
    n_dyn = sum(f == SLICE_DYNAMIC for e in entries for f in e)
    if n_dyn != len(dyn):
        raise _fail(op, f"{n_dyn} dynamic operands (one per `?`)", len(dyn))
    for v in dyn:
        _check_index_tensor(op, "dynamic slice operands", v, 0)
    if any(step == 0 for _, _, step in entries):
        raise _fail(op, "non-zero steps", [step for _, _, step in entries])
    return [slice_length(n, *e) for n, e in zip(t.get_shape(), entries)]


def _slice_index(entries: list[tuple[int, int, int]], dyn: Sequence[np.ndarray]) -> tuple[slice, ...]:
    """The numpy index of slice entries, `?` fields taken from `dyn` in order."""
    values = iter(int(d) for d in dyn)

    def field(f: int) -> int | None:
        return next(values) if f == SLICE_DYNAMIC else None if f == SLICE_NONE else f

    return tuple(slice(*(field(f) for f in e)) for e in entries)


def _print_slice_entries(printer: Printer, op: Operation, dyn: Sequence[SSAValue]) -> None:
    """` [%d, ...] starts [..] stops [..] steps [..]`, `_` omitted, `?` dynamic."""

    def entry(f: int) -> None:
        printer.print_string("_" if f == SLICE_NONE else "?" if f == SLICE_DYNAMIC else str(f))

    if dyn:
        printer.print_string(" [")
        printer.print_list(dyn, printer.print_operand)
        printer.print_string("]")
    for key in ("starts", "stops", "steps"):
        printer.print_string(f" {key} [")
        printer.print_list(op.properties[key].get_values(), entry)  # type: ignore[union-attr]
        printer.print_string("]")


def _parse_slice_entries(parser: Parser) -> tuple[list[Any], dict[str, Attribute]]:
    """Parse what `_print_slice_entries` prints: (unresolved dynamic operands, properties)."""

    def entry() -> int:
        if parser.parse_optional_keyword("_"):
            return SLICE_NONE
        if parser.parse_optional_punctuation("?"):
            return SLICE_DYNAMIC
        return parser.parse_integer(allow_boolean=False)

    dyn = parser.parse_optional_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_unresolved_operand) or []
    props: dict[str, Attribute] = {}
    for key in ("starts", "stops", "steps"):
        parser.parse_keyword(key)
        values = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, entry)
        props[key] = DenseArrayBase.from_list(i64, values)
    return dyn, props


@irdl_op_definition
class SliceOp(MtIdentityOp):
    """`%r = mt.slice %x [%d...] starts [..] stops [..] steps [..] : T -> R`.

    numpy basic slicing on every dim of x, Python's `slice(start, stop,
    step).indices(n)` semantics (negatives wrap, out-of-range clamps, step
    != 0). One entry per dim in each array; `_` (SLICE_NONE) is an omitted
    field and `?` (SLICE_DYNAMIC) takes its value from the next `dyn`
    operand (a `tensor<i64>`), in order start/stop/step of dim 0, then dim
    1, .... Result dims are static where computable, else `?`.
    Python: `SliceOp(x, starts, stops, steps)`, each a list with one
    `int | None | SSAValue` per dim; the result type is inferred.
    """

    name = "mt.slice"
    input = operand_def(TensorType)
    dyn = var_operand_def(TensorType)
    starts = prop_def(DenseArrayBase.constr(i64))
    stops = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)

    def __init__(
        self,
        input: Value,
        starts: Sequence[SliceEntry],
        stops: Sequence[SliceEntry],
        steps: Sequence[SliceEntry],
    ):
        t = _type_of(input)
        if not len(starts) == len(stops) == len(steps) == t.get_num_dims():
            raise _fail(self, f"{t.get_num_dims()} starts, stops and steps (one per dim)", t)
        props, dyn = _slice_properties(starts, stops, steps)
        entries = zip(*(props[k].get_values() for k in ("starts", "stops", "steps")))  # type: ignore[union-attr]
        shape = [slice_length(n, *e) for n, e in zip(t.get_shape(), entries)]
        super().__init__(
            operands=[input, dyn], properties=props, result_types=[TensorType(t.element_type, shape)]
        )

    def entries(self) -> list[tuple[int, int, int]]:
        """(start, stop, step) per dim, with the sentinel values."""
        return list(zip(self.starts.get_values(), self.stops.get_values(), self.steps.get_values()))

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        shape = _verify_slice_entries(self, t, self.entries(), self.dyn)
        _check_result(self, TensorType(t.element_type, shape))

    def is_identity(self) -> bool:
        return all(s == e == SLICE_NONE and st in (SLICE_NONE, 1) for s, e, st in self.entries())

    def evaluate(self, x: np.ndarray, *dyn: np.ndarray) -> np.ndarray:
        return x[_slice_index(self.entries(), dyn)].copy()

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.input)
        _print_slice_entries(printer, self, self.dyn)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.input.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> SliceOp:
        x = parser.parse_unresolved_operand()
        dyn, props = _parse_slice_entries(parser)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        in_type = parser.parse_type()
        parser.parse_punctuation("->")
        out_type = parser.parse_type()
        index_type = TensorType(i64, [])
        operands = [parser.resolve_operand(x, in_type), *(parser.resolve_operand(d, index_type) for d in dyn)]
        return cls.create(operands=operands, properties=props, attributes=attrs, result_types=[out_type])


@irdl_op_definition
class IndexOp(MtOp):
    """`%r = mt.index %x, %i axis 0 : tensor<?x4xf32>, tensor<i64> -> tensor<4xf32>`.

    x[..., i, ...] at `axis`, dropping that dim; a negative i wraps (numpy).
    Python: `IndexOp(x, index, axis)`; the result type is inferred.
    """

    name = "mt.index"
    input = operand_def(TensorType)
    index = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = (
        "$input `,` $index `axis` $axis attr-dict `:` type($input) `,` type($index) `->` type($result)"
    )

    def __init__(self, input: Value, index: Value, axis: int):
        t = _type_of(input)
        super().__init__(
            operands=[input, index],
            properties={"axis": IntegerAttr(axis, i64)},
            result_types=[self.infer(t, axis)],
        )

    @classmethod
    def infer(cls, t: TensorType, axis: int) -> TensorType:
        _check_axis(cls, axis, t.get_num_dims())
        shape = list(t.get_shape())
        del shape[axis]
        return TensorType(t.element_type, shape)

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_index_tensor(self, "an index", self.index, 0)
        _check_result(self, self.infer(t, self.axis.value.data))

    def evaluate(self, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return np.take(x, int(i), axis=self.axis.value.data)


def _join_dims(dims: Sequence[int]) -> int | None:
    """The common value of dims that must be equal: static if any is, None on conflict."""
    static = {d for d in dims if d != DYN}
    if len(static) > 1:
        return None
    return static.pop() if static else DYN


@irdl_op_definition
class ConcatenateOp(MtOp):
    """`%r = mt.concatenate %a, %b axis 0 : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x4xf32>`.

    numpy.concatenate: same element type and rank; non-axis dims equal
    where static (a `?` takes the static size of the others).
    Python: `ConcatenateOp(inputs, axis)`; the result type is inferred.
    """

    name = "mt.concatenate"
    inputs = var_operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = "$inputs `axis` $axis attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[Value], axis: int):
        types = [_type_of(v) for v in inputs]
        super().__init__(
            operands=[inputs],
            properties={"axis": IntegerAttr(axis, i64)},
            result_types=[self.infer(types, axis)],
        )

    @classmethod
    def infer(cls, types: Sequence[TensorType], axis: int) -> TensorType:
        if not types:
            raise _fail(cls, "at least one operand", 0)
        first = types[0]
        rank = first.get_num_dims()
        if any(t.element_type != first.element_type or t.get_num_dims() != rank for t in types):
            expected = f"operands of element type {first.element_type} and rank {rank}"
            raise _fail(cls, expected, ", ".join(map(str, types)))
        _check_axis(cls, axis, rank)
        shape: list[int] = []
        for i in range(rank):
            dims = [t.get_shape()[i] for t in types]
            if i == axis:
                shape.append(DYN if DYN in dims else sum(dims))
            elif (d := _join_dims(dims)) is None:
                raise _fail(cls, f"equal sizes in non-concatenated dim {i}", ", ".join(map(str, types)))
            else:
                shape.append(d)
        return TensorType(first.element_type, shape)

    def verify_(self) -> None:
        types = [_check_tensor(self, "operands", v.type) for v in self.inputs]
        _check_result(self, self.infer(types, self.axis.value.data))

    def evaluate(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=self.axis.value.data)


# ===----------------------------------------------------------------------=== #
# Insertion: the value-semantics counterparts of slice and index
# ===----------------------------------------------------------------------=== #

INSERT_MODES = ("set", "add")
"""`set` replaces the addressed entries of dest by src; `add` adds src to them."""


def _insert_mode(op: Operation, mode: StringAttr, dest: TensorType) -> None:
    if mode.data not in INSERT_MODES:
        raise _fail(op, "mode 'set' or 'add'", repr(mode.data))
    if mode.data == "add" and dest.element_type not in NUMERIC:
        raise _fail(op, "a dest of int, float or complex for mode 'add'", dest)


def _insert(mode: str, dest: np.ndarray, index: tuple[Any, ...], src: np.ndarray, op_name: str) -> np.ndarray:
    """dest with dest[index] set to (or incremented by) src, which must have exactly that region's shape."""
    out = dest.copy()
    region = out[index]
    if src.shape != region.shape:
        raise ValueError(f"{op_name}: src of shape {src.shape} does not fit the region of shape {region.shape}")
    if mode == "set":
        out[index] = src
    else:
        out[index] = region + src
    return out


def _parse_mode(parser: Parser) -> str:
    mode = parser.parse_optional_keyword_in(INSERT_MODES)
    if mode is None:
        parser.raise_error("expected the insertion mode, 'set' or 'add'")
    return mode


@irdl_op_definition
class InsertSliceOp(MtOp):
    """`%r = mt.insert_slice set %src into %dest [%d...] starts [..] stops [..] steps [..] : S into T`.

    The value-semantics `dest[start:stop:step, ...] = src` (mode `set`) or
    `+= src` (mode `add`): the result is dest (its type too) with the
    entries that `mt.slice` with the same entries would read replaced by
    (or incremented by) src. The entries follow mt.slice exactly: one per
    dim of dest, `_` omitted, `?` from the next `dyn` operand (tensor<i64>),
    Python's slice semantics. src has dest's element type and rank and
    exactly the slice's shape (static dims must agree; no broadcasting).
    Python: `InsertSliceOp(dest, src, starts, stops, steps, mode)`.
    """

    name = "mt.insert_slice"
    dest = operand_def(TensorType)
    src = operand_def(TensorType)
    dyn = var_operand_def(TensorType)
    starts = prop_def(DenseArrayBase.constr(i64))
    stops = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))
    mode = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(
        self,
        dest: Value,
        src: Value,
        starts: Sequence[SliceEntry],
        stops: Sequence[SliceEntry],
        steps: Sequence[SliceEntry],
        mode: str = "set",
    ):
        t = _type_of(dest)
        if not len(starts) == len(stops) == len(steps) == t.get_num_dims():
            raise _fail(self, f"{t.get_num_dims()} starts, stops and steps (one per dim)", t)
        props, dyn = _slice_properties(starts, stops, steps)
        props["mode"] = StringAttr(mode)
        super().__init__(operands=[dest, src, dyn], properties=props, result_types=[t])

    def entries(self) -> list[tuple[int, int, int]]:
        """(start, stop, step) per dim, with the sentinel values."""
        return list(zip(self.starts.get_values(), self.stops.get_values(), self.steps.get_values()))

    def verify_(self) -> None:
        t = _check_tensor(self, "dest", self.dest.type)
        _insert_mode(self, self.mode, t)
        region = _verify_slice_entries(self, t, self.entries(), self.dyn)
        s = _check_tensor(self, "src", self.src.type)
        if s.element_type != t.element_type or s.get_num_dims() != t.get_num_dims():
            raise _fail(self, f"src of element type {t.element_type} and rank {t.get_num_dims()}", s)
        for i, (want, got) in enumerate(zip(region, s.get_shape())):
            if DYN not in (want, got) and want != got:
                raise _fail(self, f"src dim {i} to be {want} (the length of the slice of {t})", s)
        _check_result(self, t)

    def evaluate(self, dest: np.ndarray, src: np.ndarray, *dyn: np.ndarray) -> np.ndarray:
        index = _slice_index(self.entries(), dyn)
        return _cast_result(_insert(self.mode.data, dest, index, src, self.name), self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.mode.data} ")
        printer.print_operand(self.src)
        printer.print_string(" into ")
        printer.print_operand(self.dest)
        _print_slice_entries(printer, self, self.dyn)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.src.type)
        printer.print_string(" into ")
        printer.print_attribute(self.dest.type)

    @classmethod
    def parse(cls, parser: Parser) -> InsertSliceOp:
        mode = _parse_mode(parser)
        src = parser.parse_unresolved_operand()
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        dyn, props = _parse_slice_entries(parser)
        props["mode"] = StringAttr(mode)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_keyword("into")
        dest_type = parser.parse_type()
        index_type = TensorType(i64, [])
        operands = [
            parser.resolve_operand(dest, dest_type),
            parser.resolve_operand(src, src_type),
            *(parser.resolve_operand(d, index_type) for d in dyn),
        ]
        return cls.create(operands=operands, properties=props, attributes=attrs, result_types=[dest_type])


@irdl_op_definition
class InsertIndexOp(MtOp):
    """`%r = mt.insert_index add %src into %dest, %i axis 1 : tensor<?xf32> into tensor<?x4xf32>`.

    The value-semantics `dest[..., i, ...] = src` (mode `set`) or `+= src`
    (mode `add`) at `axis`: the result is dest (its type too) with the
    entries `mt.index` would read replaced by (or incremented by) src. A
    negative i wraps once (numpy); i must be in [-n, n) for the axis length
    n. src has dest's element type and dest's shape without `axis` (static
    dims must agree; no broadcasting); i is a tensor<i64>.
    Python: `InsertIndexOp(dest, src, index, axis, mode)`.
    """

    name = "mt.insert_index"
    dest = operand_def(TensorType)
    src = operand_def(TensorType)
    index = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    mode = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(self, dest: Value, src: Value, index: Value, axis: int, mode: str = "set"):
        super().__init__(
            operands=[dest, src, index],
            properties={"axis": IntegerAttr(axis, i64), "mode": StringAttr(mode)},
            result_types=[_type_of(dest)],
        )

    def verify_(self) -> None:
        t = _check_tensor(self, "dest", self.dest.type)
        _insert_mode(self, self.mode, t)
        axis = self.axis.value.data
        _check_axis(self, axis, t.get_num_dims())
        _check_index_tensor(self, "an index", self.index, 0)
        s = _check_tensor(self, "src", self.src.type)
        region = [d for i, d in enumerate(t.get_shape()) if i != axis]
        if s.element_type != t.element_type or s.get_num_dims() != len(region):
            raise _fail(self, f"src of element type {t.element_type} and rank {len(region)}", s)
        for i, (want, got) in enumerate(zip(region, s.get_shape())):
            if DYN not in (want, got) and want != got:
                raise _fail(self, f"src dim {i} to be {want} (dest's shape without axis {axis})", s)
        _check_result(self, t)

    def evaluate(self, dest: np.ndarray, src: np.ndarray, i: np.ndarray) -> np.ndarray:
        index = (slice(None),) * self.axis.value.data + (int(i),)
        return _cast_result(_insert(self.mode.data, dest, index, src, self.name), self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.mode.data} ")
        printer.print_operand(self.src)
        printer.print_string(" into ")
        printer.print_operand(self.dest)
        printer.print_string(", ")
        printer.print_operand(self.index)
        printer.print_string(f" axis {self.axis.value.data}")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.src.type)
        printer.print_string(" into ")
        printer.print_attribute(self.dest.type)

    @classmethod
    def parse(cls, parser: Parser) -> InsertIndexOp:
        mode = _parse_mode(parser)
        src = parser.parse_unresolved_operand()
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        index = parser.parse_unresolved_operand()
        parser.parse_keyword("axis")
        axis = parser.parse_integer(allow_boolean=False)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_keyword("into")
        dest_type = parser.parse_type()
        operands = [
            parser.resolve_operand(dest, dest_type),
            parser.resolve_operand(src, src_type),
            parser.resolve_operand(index, TensorType(i64, [])),
        ]
        props = {"axis": IntegerAttr(axis, i64), "mode": StringAttr(mode)}
        return cls.create(operands=operands, properties=props, attributes=attrs, result_types=[dest_type])


# ===----------------------------------------------------------------------=== #
# Gather and scatter: integer-array (advanced) indexing
# ===----------------------------------------------------------------------=== #


def _index_arrays_shape(op: Operation | type[Operation], indices: Sequence[SSAValue], rank: int) -> list[int]:
    """The common shape of gather/scatter index tensors: i64, one shape (a `?`
    takes the static size of the others), at least one and at most `rank`."""
    if not 1 <= len(indices) <= rank:
        raise _fail(op, f"between 1 and {rank} index tensors (one per leading dim)", len(indices))
    types = [v.type for v in indices]
    for t in types:
        if not isinstance(t, TensorType) or t.element_type != i64 or t.encoding != NoneAttr():
            raise _fail(op, "index tensors of i64", t)
    ndim = types[0].get_num_dims()
    joined = [_join_dims([t.get_shape()[d] for t in types]) for d in range(ndim)]
    if any(t.get_num_dims() != ndim for t in types) or None in joined:
        raise _fail(op, "index tensors of one shape (the emitter broadcasts them)", ", ".join(map(str, types)))
    return joined  # type: ignore[return-value]


def _index_tuple(indices: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(i, dtype=np.int64) for i in indices)


@irdl_op_definition
class GatherOp(MtOp):
    """`%r = mt.gather %x[%i, %j] : tensor<?x?x4xf32>[tensor<?xi64>, tensor<?xi64>] -> tensor<?x4xf32>`.

    numpy's integer-array indexing on the leading dims: `x[i, j]` with k
    index tensors of one shape S (i64; the emitter broadcasts them) for the
    first k dims of x; the result has shape S + x.shape[k:], and its element
    at (s, t) is x[i[s], j[s], t]. A negative index wraps once; an index
    outside [-n, n) is undefined (numpy raises; the graph's shape rule
    rejects it before any code runs).
    Python: `GatherOp(x, indices)`; the result type is inferred.
    """

    name = "mt.gather"
    input = operand_def(TensorType)
    indices = var_operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input `[` $indices `]` attr-dict `:` type($input) `[` type($indices) `]` `->` type($result)"
    )

    def __init__(self, input: Value, indices: Sequence[Value]):
        result = self.infer(_type_of(input), [SSAValue.get(i) for i in indices])
        super().__init__(operands=[input, list(indices)], result_types=[result])

    @classmethod
    def infer(cls, t: TensorType, indices: Sequence[SSAValue]) -> TensorType:
        shape = _index_arrays_shape(cls, indices, t.get_num_dims())
        return TensorType(t.element_type, [*shape, *t.get_shape()[len(indices) :]])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_result(self, self.infer(t, self.indices))

    def evaluate(self, x: np.ndarray, *indices: np.ndarray) -> np.ndarray:
        return x[_index_tuple(indices)]


@irdl_op_definition
class ScatterOp(MtOp):
    """`%r = mt.scatter add %src into %dest[%i] : tensor<?x4xf32> into tensor<?x4xf32>[tensor<?xi64>]`.

    The value-semantics counterpart of mt.gather: dest (its type too) with
    the entries `mt.gather %dest[%i, %j]` would read replaced by (mode
    `set`) or incremented by (mode `add`) src, which has exactly the
    gather's shape (static dims must agree; no broadcasting). Repeated
    positions accumulate in mode `add` (numpy.add.at, Theano's
    inc_subtensor); in mode `set` the last one wins. Negative indices wrap
    once; an index outside [-n, n) writes nothing at the loop level
    (numpy raises; the graph's shape rule rejects it before any code runs).
    Python: `ScatterOp(dest, src, indices, mode)`.
    """

    name = "mt.scatter"
    dest = operand_def(TensorType)
    src = operand_def(TensorType)
    indices = var_operand_def(TensorType)
    mode = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(self, dest: Value, src: Value, indices: Sequence[Value], mode: str = "set"):
        super().__init__(
            operands=[dest, src, list(indices)],
            properties={"mode": StringAttr(mode)},
            result_types=[_type_of(dest)],
        )

    def verify_(self) -> None:
        t = _check_tensor(self, "dest", self.dest.type)
        _insert_mode(self, self.mode, t)
        region = GatherOp.infer(t, self.indices).get_shape()
        s = _check_tensor(self, "src", self.src.type)
        if s.element_type != t.element_type or s.get_num_dims() != len(region):
            raise _fail(self, f"src of element type {t.element_type} and rank {len(region)}", s)
        for i, (want, got) in enumerate(zip(region, s.get_shape())):
            if DYN not in (want, got) and want != got:
                raise _fail(self, f"src dim {i} to be {want} (the shape of the gathered region of {t})", s)
        _check_result(self, t)

    def evaluate(self, dest: np.ndarray, src: np.ndarray, *indices: np.ndarray) -> np.ndarray:
        index = _index_tuple(indices)
        region = dest[index]
        if src.shape != region.shape:
            raise ValueError(f"{self.name}: src of shape {src.shape} does not fit the region of shape {region.shape}")
        out = dest.copy()
        if self.mode.data == "set":
            out[index] = src
        else:
            np.add.at(out, index, src)
        return _cast_result(out, self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.mode.data} ")
        printer.print_operand(self.src)
        printer.print_string(" into ")
        printer.print_operand(self.dest)
        printer.print_string("[")
        printer.print_list(self.indices, printer.print_operand)
        printer.print_string("]")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.src.type)
        printer.print_string(" into ")
        printer.print_attribute(self.dest.type)
        printer.print_string("[")
        printer.print_list([v.type for v in self.indices], printer.print_attribute)
        printer.print_string("]")

    @classmethod
    def parse(cls, parser: Parser) -> ScatterOp:
        mode = _parse_mode(parser)
        src = parser.parse_unresolved_operand()
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        indices = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_unresolved_operand)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_keyword("into")
        dest_type = parser.parse_type()
        start = parser.pos
        index_types = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_type)
        if len(index_types) != len(indices):
            message = f"expected {len(indices)} index types (one per index operand), got {len(index_types)}"
            parser.raise_error(message, start, parser.pos)
        operands = [
            parser.resolve_operand(dest, dest_type),
            parser.resolve_operand(src, src_type),
            *(parser.resolve_operand(i, t) for i, t in zip(indices, index_types)),
        ]
        return cls.create(
            operands=operands, properties={"mode": StringAttr(mode)}, attributes=attrs, result_types=[dest_type]
        )


# ===----------------------------------------------------------------------=== #
# Reductions
# ===----------------------------------------------------------------------=== #


class ReduceOp(MtIdentityOp):
    """`%r = mt.reduce_<op> %x axes [0] : tensor<?x4xf32> -> tensor<4xf32>`.

    Reduces over `axes` (sorted, unique, in range), removing them from the
    result type; the element type is kept (sums wrap like numpy with
    `dtype=` the input dtype).
    Python: `<Op>(x, axes=None)`; None means every axis; the result type is
    inferred.
    """

    input = operand_def(TensorType)
    axes = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)
    assembly_format = "$input `axes` $axes attr-dict `:` type($input) `->` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[..., np.ndarray]]

    def __init__(self, input: Value, axes: Sequence[int] | None = None):
        t = _type_of(input)
        axes = list(range(t.get_num_dims())) if axes is None else list(axes)
        super().__init__(
            operands=[input],
            properties={"axes": DenseArrayBase.from_list(i64, axes)},
            result_types=[self.infer(t, axes)],
        )

    @classmethod
    def infer(cls, t: TensorType, axes: Sequence[int]) -> TensorType:
        rank = t.get_num_dims()
        if list(axes) != sorted(set(axes)) or any(not 0 <= a < rank for a in axes):
            raise _fail(cls, f"sorted unique axes in [0, {rank})", list(axes))
        shape = [d for i, d in enumerate(t.get_shape()) if i not in axes]
        return TensorType(t.element_type, shape)

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, self.DTYPES)
        _check_result(self, self.infer(t, self.axes.get_values()))

    def is_identity(self) -> bool:
        return len(self.axes) == 0

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x, axis=self.axes.get_values()), self.result.type)


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    name = "mt.reduce_sum"
    DTYPES: ClassVar = NUMERIC
    NUMPY = staticmethod(np.sum)


@irdl_op_definition
class ReduceProdOp(ReduceOp):
    name = "mt.reduce_prod"
    DTYPES: ClassVar = NUMERIC
    NUMPY = staticmethod(np.prod)


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    """Maximum; NaN propagates; an empty reduction is an error (numpy.max)."""

    name = "mt.reduce_max"
    DTYPES: ClassVar = REAL
    NUMPY = staticmethod(np.max)


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    """Minimum; NaN propagates; an empty reduction is an error (numpy.min)."""

    name = "mt.reduce_min"
    DTYPES: ClassVar = REAL
    NUMPY = staticmethod(np.min)


@irdl_op_definition
class ReduceAnyOp(ReduceOp):
    name = "mt.reduce_any"
    DTYPES: ClassVar = BOOL
    NUMPY = staticmethod(np.any)


@irdl_op_definition
class ReduceAllOp(ReduceOp):
    name = "mt.reduce_all"
    DTYPES: ClassVar = BOOL
    NUMPY = staticmethod(np.all)


class ArgReduceOp(MtOp):
    """`%r = mt.argmax %x axis 1 : tensor<?x4xf32> -> tensor<?xi64>`.

    Index of the first extreme value along `axis` (numpy semantics: a NaN
    counts as the extreme), as i64, with that dim removed.
    Python: `<Op>(x, axis)`; the result type is inferred.
    """

    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = "$input `axis` $axis attr-dict `:` type($input) `->` type($result)"

    NUMPY: ClassVar[Callable[..., np.ndarray]]

    def __init__(self, input: Value, axis: int):
        t = _type_of(input)
        super().__init__(
            operands=[input],
            properties={"axis": IntegerAttr(axis, i64)},
            result_types=[self.infer(t, axis)],
        )

    @classmethod
    def infer(cls, t: TensorType, axis: int) -> TensorType:
        _check_axis(cls, axis, t.get_num_dims())
        shape = [d for i, d in enumerate(t.get_shape()) if i != axis]
        return TensorType(i64, shape)

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, REAL)
        _check_result(self, self.infer(t, self.axis.value.data))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x, axis=self.axis.value.data), self.result.type)


@irdl_op_definition
class ArgMaxOp(ArgReduceOp):
    name = "mt.argmax"
    NUMPY = staticmethod(np.argmax)


@irdl_op_definition
class ArgMinOp(ArgReduceOp):
    name = "mt.argmin"
    NUMPY = staticmethod(np.argmin)


# ===----------------------------------------------------------------------=== #
# Contraction
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class DotOp(MtOp):
    """`%r = mt.dot %a, %b : tensor<?x?xf32>, tensor<?xf32> -> tensor<?xf32>`.

    numpy.dot for rank-1/rank-2 operands of one element type: matrix @
    matrix, matrix @ vector, vector @ matrix, vector @ vector (0-d result).
    Static inner dims must agree.
    Python: `DotOp(lhs, rhs)`; the result type is inferred.
    """

    name = "mt.dot"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: Value, rhs: Value):
        super().__init__(operands=[lhs, rhs], result_types=[self.infer(_type_of(lhs), _type_of(rhs))])

    @classmethod
    def infer(cls, a: TensorType, b: TensorType) -> TensorType:
        if a.element_type != b.element_type:
            raise _fail(cls, f"operands of one element type, {a.element_type}", b)
        if a.get_num_dims() not in (1, 2) or b.get_num_dims() not in (1, 2):
            raise _fail(cls, "operands of rank 1 or 2", f"{a}, {b}")
        *rows, inner_a = a.get_shape()
        inner_b, *cols = b.get_shape() if b.get_num_dims() == 2 else (*b.get_shape(),)
        if DYN not in (inner_a, inner_b) and inner_a != inner_b:
            raise _fail(cls, "equal contracted dims", f"{a}, {b}")
        return TensorType(a.element_type, [*rows, *cols])

    def verify_(self) -> None:
        a = _check_tensor(self, "operands", self.lhs.type, NUMERIC)
        b = _check_tensor(self, "operands", self.rhs.type, NUMERIC)
        _check_result(self, self.infer(a, b))

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _cast_result(np.dot(a, b), self.result.type)


# ===----------------------------------------------------------------------=== #
# Constructors: arange, eye
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class ArangeOp(MtOp):
    """`%r = mt.arange %start, %stop, %step : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xi64>`.

    numpy.arange: ceil((stop - start) / step) elements, never negative.
    Operands are 0-d tensors of the result's element type (int or float).
    Python: `ArangeOp(start, stop, step, result_type=None)`; by default
    `tensor<?xT>` with T the operands' element type.
    """

    name = "mt.arange"
    start = operand_def(TensorType)
    stop = operand_def(TensorType)
    step = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$start `,` $stop `,` $step attr-dict "
        "`:` type($start) `,` type($stop) `,` type($step) `->` type($result)"
    )

    def __init__(self, start: Value, stop: Value, step: Value, result_type: Attribute | None = None):
        if result_type is None:
            result_type = TensorType(_type_of(start).element_type, [DYN])
        super().__init__(operands=[start, stop, step], result_types=[result_type])

    def verify_(self) -> None:
        r = _check_tensor(self, "result", self.result.type, INT | FLOAT)
        if r.get_num_dims() != 1:
            raise _fail(self, "a rank-1 result", r)
        for v in (self.start, self.stop, self.step):
            if v.type != TensorType(r.element_type, []):
                raise _fail(self, f"operands of type tensor<{r.element_type}>", v.type)

    def evaluate(self, start: np.ndarray, stop: np.ndarray, step: np.ndarray) -> np.ndarray:
        dtype = numpy_dtype(self.result.type.element_type)
        return np.arange(start[()], stop[()], step[()], dtype=dtype)


@irdl_op_definition
class EyeOp(MtOp):
    """`%r = mt.eye %n, %m, %k : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?x?xf64>`.

    numpy.eye(n, m, k): an n x m matrix with ones on diagonal k.
    Python: `EyeOp(n, m, k, result_type)`; `result_type` may be just an
    element type, meaning `tensor<?x?xT>`.
    """

    name = "mt.eye"
    n = operand_def(TensorType)
    m = operand_def(TensorType)
    k = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$n `,` $m `,` $k attr-dict `:` type($n) `,` type($m) `,` type($k) `->` type($result)"

    def __init__(self, n: Value, m: Value, k: Value, result_type: Attribute):
        if not isinstance(result_type, TensorType):
            result_type = TensorType(result_type, [DYN, DYN])
        super().__init__(operands=[n, m, k], result_types=[result_type])

    def verify_(self) -> None:
        r = _check_tensor(self, "result", self.result.type)
        if r.get_num_dims() != 2:
            raise _fail(self, "a rank-2 result", r)
        for v in (self.n, self.m, self.k):
            _check_index_tensor(self, "operands", v, 0)

    def evaluate(self, n: np.ndarray, m: np.ndarray, k: np.ndarray) -> np.ndarray:
        dtype = numpy_dtype(self.result.type.element_type)
        return np.eye(int(n), int(m), int(k), dtype=dtype)


# ===----------------------------------------------------------------------=== #
# Softmax
# ===----------------------------------------------------------------------=== #


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class SoftmaxFamilyOp(MtOp):
    """`%r = mt.softmax %x axis 1 : tensor<?x?xf32>`: float only, same type.

    Computed stably (the max along `axis` is subtracted first).
    Python: `<Op>(x, axis)`.
    """

    T: ClassVar = SameType("T", base(TensorType))
    input = operand_def(T)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(T)
    assembly_format = "$input `axis` $axis attr-dict `:` type($result)"

    NUMPY: ClassVar[Callable[[np.ndarray, int], np.ndarray]]

    def __init__(self, input: Value, axis: int):
        super().__init__(
            operands=[input], properties={"axis": IntegerAttr(axis, i64)}, result_types=[_type_of(input)]
        )

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, FLOAT)
        _check_axis(self, self.axis.value.data, t.get_num_dims())

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x, self.axis.value.data), self.result.type)


@irdl_op_definition
class SoftmaxOp(SoftmaxFamilyOp):
    name = "mt.softmax"
    NUMPY = staticmethod(_softmax)


@irdl_op_definition
class LogSoftmaxOp(SoftmaxFamilyOp):
    name = "mt.log_softmax"
    NUMPY = staticmethod(_log_softmax)


# ===----------------------------------------------------------------------=== #
# Canonicalization patterns (trivial, obviously right; algebra lives in passes)
# ===----------------------------------------------------------------------=== #


class ReplaceIdentityByInput(RewritePattern):
    """op(x) -> x when `op.is_identity()`: cast/broadcast/reshape to x's own
    type, dimshuffle [0, 1, ...], reduce over no axes, slice [:, :]."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MtIdentityOp, rewriter: PatternRewriter) -> None:
        if op.is_identity():
            rewriter.replace(op, [], [op.operands[0]])


class CancelInvolution(RewritePattern):
    """op(op(x)) -> x for neg and not."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: InvolutionOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if type(inner) is type(op):
            assert isinstance(inner, InvolutionOp)
            rewriter.replace(op, [], [inner.input])


# ===----------------------------------------------------------------------=== #
# The dialect
# ===----------------------------------------------------------------------=== #


class MtConstantMaterialization(ConstantMaterializationInterface):
    """Lets `canonicalize` turn folded attributes into `mt.constant`."""

    def materialize_constant(self, value: Attribute, type: Attribute) -> Operation | None:
        if isinstance(value, DenseIntOrFPElementsAttr) and value.type == type:
            return ConstantOp(value)
        return None


# ops over sliding windows (convolution, pooling), in their own file until mt is a package
from mlc.dialects.mt_window import (  # noqa: E402
    PatchesOp,
    UnpatchesOp,
    Window,
    pad_value,
    patches_numpy,
    unpatches_numpy,
)
from mlc.dialects.mt_random import MrgUniformOp  # noqa: E402  (random numbers: their own file)


MT = Dialect(
    "mt",
    [
        ConstantOp,
        # unary elementwise
        NegOp, AbsOp, ExpOp, Exp2Op, Expm1Op, LogOp, Log2Op, Log10Op, Log1pOp,
        SqrtOp, RsqrtOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp,
        SinhOp, CoshOp, TanhOp, AsinhOp, AcoshOp, AtanhOp,
        FloorOp, CeilOp, RoundOp, RoundAwayOp, TruncOp, SignOp, ErfOp, ErfcOp, ErfinvOp,
        SigmoidOp, SoftplusOp, ReciprocalOp, NotOp,
        # binary elementwise
        AddOp, SubOp, MulOp, DivOp, FloordivOp, ModOp, PowOp, MaxOp, MinOp,
        AndOp, OrOp, XorOp, Atan2Op, HypotOp,
        # comparisons and predicates
        EqOp, NeOp, LtOp, LeOp, GtOp, GeOp, IsnanOp, IsinfOp,
        # select, cast
        SelectOp, CastOp,
        # shapes
        ShapeOp, BroadcastOp, DimShuffleOp, ReshapeOp, SliceOp, IndexOp, ConcatenateOp,
        InsertSliceOp, InsertIndexOp, GatherOp, ScatterOp,
        # reductions
        ReduceSumOp, ReduceProdOp, ReduceMaxOp, ReduceMinOp, ReduceAnyOp, ReduceAllOp,
        ArgMaxOp, ArgMinOp,
        # contraction, constructors, softmax
        DotOp, ArangeOp, EyeOp, SoftmaxOp, LogSoftmaxOp,
        # sliding windows (mt_window.py)
        PatchesOp, UnpatchesOp,
        # random numbers
        MrgUniformOp,
    ],  # fmt: skip
    [],
    [MtConstantMaterialization()],
)
