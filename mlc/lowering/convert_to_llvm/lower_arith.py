"""arith -> llvm.

Mostly one-to-one tables. The exceptions are where LLVM's semantics are
weaker than what mlc promises (numpy's):

* integer division and remainder never trap: x / 0 == x % 0 == 0 (numpy's
  result in its divide-by-zero warning case), and INT_MIN / -1 wraps to
  INT_MIN instead of raising SIGFPE;
* shifts by >= the bit width give numpy's answer (0, or the sign for an
  arithmetic right shift) instead of poison;
* float -> int conversions saturate (`llvm.fpto[su]i.sat`): NaN -> 0,
  out-of-range -> the nearest representable integer, never UB;
* `uitofp` is not in xDSL's llvm dialect: narrow integers zero-extend into
  a wider signed conversion, i64 uses the round-to-odd halving trick.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    i1,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue

from mlc.lowering.convert_to_llvm.common import (
    ConvertToLLVMError,
    Emitter,
    bit_width,
    llvm_type,
)


def fastmath(op: Operation) -> llvm.FastMathAttr:
    """arith/math fastmath flags as llvm's (enum members, never strings: §7.5)."""
    attr = getattr(op, "fastmath", None)
    if attr is None:
        return llvm.FastMathAttr(None)
    return llvm.FastMathAttr([llvm.FastMathFlag(f) for f in attr.data])


def overflow(op: Operation) -> llvm.OverflowAttr:
    attr = getattr(op, "overflow_flags", None)
    if attr is None or not attr.data:
        return llvm.OverflowAttr("none")
    return llvm.OverflowAttr(tuple(llvm.OverflowFlag(f.value) for f in attr.data))


def intrinsic_suffix(t: Attribute) -> str:
    """LLVM's overload suffix for a scalar type: i32, f64, ..."""
    t = llvm_type(t)
    if isinstance(t, IntegerType):
        return f"i{t.width.data}"
    assert isinstance(t, AnyFloat), t
    return f"f{t.bitwidth}"


# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------


def lower_constant(op: arith.ConstantOp, e: Emitter):
    value = op.value
    t = llvm_type(op.result.type, op)
    if isinstance(value, IntegerAttr):
        # Build a fresh i64 attribute for index constants: converting the
        # type in place hangs TypeConversionPattern on IntegerAttr(0) (§7.1).
        return [e.const(value.value.data, t)]
    if isinstance(value, FloatAttr):
        return [e.const(value.value.data, t)]
    if isinstance(value, DenseIntOrFPElementsAttr):
        raise ConvertToLLVMError(op, "vector/tensor constants are not supported at the loop level")
    raise ConvertToLLVMError(op, f"unsupported constant {value}")


# ---------------------------------------------------------------------------
# Integer arithmetic
# ---------------------------------------------------------------------------

_INT_BINARY_OVERFLOW: dict[type[Operation], type[llvm.ArithmeticBinOpOverflow]] = {
    arith.AddiOp: llvm.AddOp,  # addi -> add
    arith.SubiOp: llvm.SubOp,  # subi -> sub
    arith.MuliOp: llvm.MulOp,  # muli -> mul
}

_INT_BINARY: dict[type[Operation], type[Operation]] = {
    arith.AndIOp: llvm.AndOp,  # andi -> and
    arith.OrIOp: llvm.OrOp,  # ori -> or
    arith.XOrIOp: llvm.XOrOp,  # xori -> xor
}

_INT_MINMAX: dict[type[Operation], str] = {
    arith.MaxSIOp: "llvm.smax",  # maxsi -> llvm.smax.iN
    arith.MinSIOp: "llvm.smin",  # minsi -> llvm.smin.iN
    arith.MaxUIOp: "llvm.umax",  # maxui -> llvm.umax.iN
    arith.MinUIOp: "llvm.umin",  # minui -> llvm.umin.iN
}


def lower_int_binary(op: arith.SignlessIntegerBinaryOperation, e: Emitter):
    kind = type(op)
    if kind in _INT_BINARY_OVERFLOW:
        return [e(_INT_BINARY_OVERFLOW[kind](op.lhs, op.rhs, overflow=overflow(op)))]
    if kind in _INT_BINARY:
        return [e(_INT_BINARY[kind](op.lhs, op.rhs))]
    name = f"{_INT_MINMAX[kind]}.{intrinsic_suffix(op.result.type)}"
    return [e.intrinsic(name, [op.lhs, op.rhs], op.lhs.type)]


class _SafeDivisor:
    """The divisor guards shared by all signed/unsigned division lowerings."""

    def __init__(self, e: Emitter, rhs: SSAValue, signed: bool):
        t = rhs.type
        self.zero_value = e.const(0, t)
        self.is_zero = e.icmp("eq", rhs, self.zero_value)
        bad = self.is_zero
        self.is_minus_one = None
        if signed:
            # INT_MIN / -1 traps on x86; x / -1 is computed as 0 - x instead.
            self.is_minus_one = e.icmp("eq", rhs, e.const(-1, t))
            bad = e(llvm.OrOp(bad, self.is_minus_one))
        self.value = e.select(bad, e.const(1, t), rhs)


def lower_divsi(op: arith.DivSIOp, e: Emitter):
    d = _SafeDivisor(e, op.rhs, signed=True)
    q = e(llvm.SDivOp(op.lhs, d.value))
    assert d.is_minus_one is not None
    q = e.select(d.is_minus_one, e(llvm.SubOp(d.zero_value, op.lhs)), q)
    return [e.select(d.is_zero, d.zero_value, q)]


def lower_remsi(op: arith.RemSIOp, e: Emitter):
    d = _SafeDivisor(e, op.rhs, signed=True)
    # x % 1 == 0 already covers the x % -1 and x % 0 cases.
    return [e(llvm.SRemOp(op.lhs, d.value))]


def lower_divui(op: arith.DivUIOp, e: Emitter):
    d = _SafeDivisor(e, op.rhs, signed=False)
    return [e.select(d.is_zero, d.zero_value, e(llvm.UDivOp(op.lhs, d.value)))]


def lower_remui(op: arith.RemUIOp, e: Emitter):
    d = _SafeDivisor(e, op.rhs, signed=False)
    return [e.select(d.is_zero, d.zero_value, e(llvm.URemOp(op.lhs, d.value)))]


def _rounded_signed_division(op: Operation, e: Emitter, floor: bool) -> SSAValue:
    """floor(a / b) or ceil(a / b) from the truncating quotient and remainder."""
    lhs, rhs = op.operands
    d = _SafeDivisor(e, rhs, signed=True)
    q = e(llvm.SDivOp(lhs, d.value))
    r = e(llvm.SRemOp(lhs, d.value))
    # The quotient is inexact and rounded the wrong way when r != 0 and
    # sign(r) != sign(b) (floor) / sign(r) == sign(b) (ceil).
    inexact = e.icmp("ne", r, d.zero_value)
    signs_differ = e.icmp("slt", e(llvm.XOrOp(r, d.value)), d.zero_value)
    if floor:
        adjust = e(llvm.AndOp(inexact, signs_differ))
        q = e.select(adjust, e(llvm.SubOp(q, e.const(1, q.type))), q)
    else:
        adjust = e(llvm.AndOp(inexact, e(llvm.XOrOp(signs_differ, e.const(1, i1)))))
        q = e.select(adjust, e(llvm.AddOp(q, e.const(1, q.type))), q)
    assert d.is_minus_one is not None
    q = e.select(d.is_minus_one, e(llvm.SubOp(d.zero_value, lhs)), q)
    return e.select(d.is_zero, d.zero_value, q)


def lower_floordivsi(op: arith.FloorDivSIOp, e: Emitter):
    return [_rounded_signed_division(op, e, floor=True)]


def lower_ceildivsi(op: arith.CeilDivSIOp, e: Emitter):
    return [_rounded_signed_division(op, e, floor=False)]


def lower_ceildivui(op: arith.CeilDivUIOp, e: Emitter):
    d = _SafeDivisor(e, op.rhs, signed=False)
    q = e(llvm.UDivOp(op.lhs, d.value))
    r = e(llvm.URemOp(op.lhs, d.value))
    q = e.select(e.icmp("ne", r, d.zero_value), e(llvm.AddOp(q, e.const(1, q.type))), q)
    return [e.select(d.is_zero, d.zero_value, q)]


def _lower_shift(op: Operation, e: Emitter, kind: type[Operation]) -> SSAValue:
    lhs, rhs = op.operands
    t = lhs.type
    width = bit_width(t)
    shifted = e(kind(lhs, rhs))
    too_far = e.icmp("uge", rhs, e.const(width, t))
    if kind is llvm.AShrOp:
        saturated = e(llvm.AShrOp(lhs, e.const(width - 1, t)))
    else:
        saturated = e.const(0, t)
    return e.select(too_far, saturated, shifted)


def lower_shli(op: arith.ShLIOp, e: Emitter):
    return [_lower_shift(op, e, llvm.ShlOp)]


def lower_shrsi(op: arith.ShRSIOp, e: Emitter):
    return [_lower_shift(op, e, llvm.AShrOp)]


def lower_shrui(op: arith.ShRUIOp, e: Emitter):
    return [_lower_shift(op, e, llvm.LShrOp)]


# ---------------------------------------------------------------------------
# Float arithmetic
# ---------------------------------------------------------------------------

_FLOAT_BINARY: dict[type[Operation], type[Operation]] = {
    arith.AddfOp: llvm.FAddOp,  # addf -> fadd
    arith.SubfOp: llvm.FSubOp,  # subf -> fsub
    arith.MulfOp: llvm.FMulOp,  # mulf -> fmul
    arith.DivfOp: llvm.FDivOp,  # divf -> fdiv
    arith.MaxnumfOp: llvm.VectorFMaxOp,  # maxnumf -> llvm.intr.maxnum (NaN-ignoring)
    arith.MinnumfOp: llvm.VectorFMinOp,  # minnumf -> llvm.intr.minnum (NaN-ignoring)
}

_FLOAT_BINARY_INTRINSIC: dict[type[Operation], str] = {
    arith.MaximumfOp: "llvm.maximum",  # maximumf -> llvm.maximum.fN (NaN-propagating)
    arith.MinimumfOp: "llvm.minimum",  # minimumf -> llvm.minimum.fN (NaN-propagating)
}


def lower_float_binary(op: arith.FloatingPointLikeBinaryOperation, e: Emitter):
    kind = type(op)
    if kind in _FLOAT_BINARY:
        return [e(_FLOAT_BINARY[kind](op.lhs, op.rhs, fastmath(op)))]
    name = f"{_FLOAT_BINARY_INTRINSIC[kind]}.{intrinsic_suffix(op.result.type)}"
    return [e.intrinsic(name, [op.lhs, op.rhs], op.lhs.type)]


def lower_negf(op: arith.NegfOp, e: Emitter):
    return [e(llvm.FNegOp(op.operand, fastmath(op)))]


# ---------------------------------------------------------------------------
# Comparison and selection
# ---------------------------------------------------------------------------


def lower_cmpi(op: arith.CmpiOp, e: Emitter):
    # arith.cmpi and llvm.icmp number their predicates identically.
    predicate = IntegerAttr(op.predicate.value.data, i64)
    return [e(llvm.ICmpOp(op.lhs, op.rhs, predicate))]


def lower_cmpf(op: arith.CmpfOp, e: Emitter):
    predicate = op.predicate.value.data
    if predicate == 0:  # "false"
        return [e.const(0, i1)]
    if predicate == 15:  # "true"
        return [e.const(1, i1)]
    # arith.cmpf and llvm.fcmp number their predicates identically.
    return [e(llvm.FCmpOp(op.lhs, op.rhs, IntegerAttr(predicate, i64)))]


def lower_select(op: arith.SelectOp, e: Emitter):
    return [e.select(op.cond, op.lhs, op.rhs)]


# ---------------------------------------------------------------------------
# Casts
# ---------------------------------------------------------------------------

_SIMPLE_CASTS: dict[type[Operation], type[Operation]] = {
    arith.ExtFOp: llvm.FPExtOp,  # extf -> fpext
    arith.TruncFOp: llvm.FPTruncOp,  # truncf -> fptrunc
    arith.ExtSIOp: llvm.SExtOp,  # extsi -> sext
    arith.ExtUIOp: llvm.ZExtOp,  # extui -> zext
    arith.TruncIOp: llvm.TruncOp,  # trunci -> trunc
    arith.SIToFPOp: llvm.SIToFPOp,  # sitofp -> sitofp
}


def lower_simple_cast(op: Operation, e: Emitter):
    (value,) = op.operands
    return [e(_SIMPLE_CASTS[type(op)](value, op.results[0].type))]


def lower_fptosi(op: arith.FPToSIOp, e: Emitter):
    t = op.result.type
    name = f"llvm.fptosi.sat.{intrinsic_suffix(t)}.{intrinsic_suffix(op.input.type)}"
    return [e.intrinsic(name, [op.input], t)]


def lower_fptoui(op: arith.FPToUIOp, e: Emitter):
    t = op.result.type
    name = f"llvm.fptoui.sat.{intrinsic_suffix(t)}.{intrinsic_suffix(op.input.type)}"
    return [e.intrinsic(name, [op.input], t)]


def lower_uitofp(op: arith.UIToFPOp, e: Emitter):
    x = op.input
    t = op.result.type
    width = bit_width(x.type)
    if width < 64:
        # Zero-extended, the value is non-negative in i64: a signed conversion is exact.
        return [e(llvm.SIToFPOp(e(llvm.ZExtOp(x, i64)), t))]
    # x >= 2^63: halve it, keeping the lost bit as a sticky bit so the
    # conversion still rounds correctly, convert, and double.
    one = e.i64(1)
    halved = e(llvm.OrOp(e(llvm.LShrOp(x, one)), e(llvm.AndOp(x, one))))
    as_half = e(llvm.SIToFPOp(halved, t))
    doubled = e(llvm.FAddOp(as_half, as_half))
    direct = e(llvm.SIToFPOp(x, t))
    return [e.select(e.icmp("slt", x, e.i64(0)), doubled, direct)]


def lower_index_cast(op: arith.IndexCastOp, e: Emitter):
    source, target = op.input.type, op.result.type
    sw, tw = bit_width(source), bit_width(target)
    if sw == tw:
        return [op.input]
    if sw > tw:
        return [e(llvm.TruncOp(op.input, llvm_type(target)))]
    return [e(llvm.SExtOp(op.input, llvm_type(target)))]


def lower_bitcast(op: arith.BitcastOp, e: Emitter):
    if op.input.type == op.result.type:
        return [op.input]
    return [e(llvm.BitcastOp(op.input, op.result.type))]


LOWERINGS: dict[type[Operation], Callable[..., object]] = {
    arith.ConstantOp: lower_constant,
    **{k: lower_int_binary for k in (*_INT_BINARY_OVERFLOW, *_INT_BINARY, *_INT_MINMAX)},
    arith.DivSIOp: lower_divsi,
    arith.RemSIOp: lower_remsi,
    arith.DivUIOp: lower_divui,
    arith.RemUIOp: lower_remui,
    arith.FloorDivSIOp: lower_floordivsi,
    arith.CeilDivSIOp: lower_ceildivsi,
    arith.CeilDivUIOp: lower_ceildivui,
    arith.ShLIOp: lower_shli,
    arith.ShRSIOp: lower_shrsi,
    arith.ShRUIOp: lower_shrui,
    **{k: lower_float_binary for k in (*_FLOAT_BINARY, *_FLOAT_BINARY_INTRINSIC)},
    arith.NegfOp: lower_negf,
    arith.CmpiOp: lower_cmpi,
    arith.CmpfOp: lower_cmpf,
    arith.SelectOp: lower_select,
    **{k: lower_simple_cast for k in _SIMPLE_CASTS},
    arith.FPToSIOp: lower_fptosi,
    arith.FPToUIOp: lower_fptoui,
    arith.UIToFPOp: lower_uitofp,
    arith.IndexCastOp: lower_index_cast,
    arith.BitcastOp: lower_bitcast,
}
