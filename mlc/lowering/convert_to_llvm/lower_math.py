"""math -> llvm: LLVM intrinsics where LLVM has one, libm calls otherwise.

Intrinsics let LLVM constant-fold, vectorize (where a vector form exists)
and pick the best instruction (`roundss`, `sqrtps`); on x86 the
transcendental ones still end up as libm calls (`expf`, `tanhf`). The
functions with no LLVM intrinsic (`expm1`, `log1p`, `erf`, `cbrt`, the
inverse hyperbolics) call libm directly: `<name>f` for f32, `<name>` for f64.

Exception: float32 exp, log, log1p, expm1, tanh, sin and cos call mlc's
vector math library (`@mlc_vm_expf`, ...; see `mlc.lowering.convert_to_llvm.vecmath`),
whose definitions are linked in with the LLVM IR and vectorize.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import llvm, math
from xdsl.dialects.builtin import Float32Type, Float64Type, i1
from xdsl.dialects.utils.fast_math import FastMathFlag
from xdsl.ir import Operation, SSAValue

from mlc.lowering.convert_to_llvm import vecmath
from mlc.lowering.convert_to_llvm.common import ConvertToLLVMError, Emitter, bit_width
from mlc.lowering.convert_to_llvm.lower_arith import intrinsic_suffix

# Ops that xDSL's llvm dialect spells as `llvm.intr.*`.
_NAMED_UNARY: dict[type[Operation], type[Operation]] = {
    math.ExpOp: llvm.FExpOp,  # exp -> llvm.intr.exp
    math.Exp2Op: llvm.FExp2Op,  # exp2 -> llvm.intr.exp2
    math.LogOp: llvm.FLogOp,  # log -> llvm.intr.log
    math.Log2Op: llvm.FLog2Op,  # log2 -> llvm.intr.log2
    math.SqrtOp: llvm.FSqrtOp,  # sqrt -> llvm.intr.sqrt
    math.SinOp: llvm.FSinOp,  # sin -> llvm.intr.sin
    math.CosOp: llvm.FCosOp,  # cos -> llvm.intr.cos
    math.FloorOp: llvm.FFloorOp,  # floor -> llvm.intr.floor
    math.CeilOp: llvm.FCeilOp,  # ceil -> llvm.intr.ceil
    math.AbsFOp: llvm.FAbsOp,  # absf -> llvm.intr.fabs
}

_NAMED_BINARY: dict[type[Operation], type[Operation]] = {
    math.PowFOp: llvm.FPowOp,  # powf -> llvm.intr.pow
    math.CopySignOp: llvm.FCopySignOp,  # copysign -> llvm.intr.copysign
}

# Intrinsics xDSL has no op for: called by name with `llvm.call_intrinsic`.
_CALLED_INTRINSIC: dict[type[Operation], str] = {
    math.Log10Op: "llvm.log10",  # log10 -> llvm.log10.fN
    math.TanOp: "llvm.tan",  # tan -> llvm.tan.fN
    math.AsinOp: "llvm.asin",  # asin -> llvm.asin.fN
    math.AcosOp: "llvm.acos",  # acos -> llvm.acos.fN
    math.AtanOp: "llvm.atan",  # atan -> llvm.atan.fN
    math.Atan2Op: "llvm.atan2",  # atan2 -> llvm.atan2.fN
    math.SinhOp: "llvm.sinh",  # sinh -> llvm.sinh.fN
    math.CoshOp: "llvm.cosh",  # cosh -> llvm.cosh.fN
    math.TanhOp: "llvm.tanh",  # tanh -> llvm.tanh.fN
    math.RoundOp: "llvm.round",  # round (half away from zero) -> llvm.round.fN
    math.RoundEvenOp: "llvm.roundeven",  # roundeven -> llvm.roundeven.fN
    math.TruncOp: "llvm.trunc",  # trunc -> llvm.trunc.fN
    math.CtPopOp: "llvm.ctpop",  # ctpop -> llvm.ctpop.iN
}

# No LLVM intrinsic: libm, `<name>f` for f32.
_LIBM: dict[type[Operation], str] = {
    math.ExpM1Op: "expm1",  # expm1 -> expm1f / expm1
    math.Log1pOp: "log1p",  # log1p -> log1pf / log1p
    math.ErfOp: "erf",  # erf -> erff / erf
    math.CbrtOp: "cbrt",  # cbrt -> cbrtf / cbrt
    math.AsinhOp: "asinh",  # asinh -> asinhf / asinh
    math.AcoshOp: "acosh",  # acosh -> acoshf / acosh
    math.AtanhOp: "atanh",  # atanh -> atanhf / atanh
}

# Integer intrinsics with an `i1 false` flag ("the result is defined for 0 / INT_MIN").
_INT_WITH_FLAG: dict[type[Operation], str] = {
    math.AbsIOp: "llvm.abs",  # absi -> llvm.abs.iN(x, false)
    math.CountLeadingZerosOp: "llvm.ctlz",  # ctlz -> llvm.ctlz.iN(x, false)
    math.CountTrailingZerosOp: "llvm.cttz",  # cttz -> llvm.cttz.iN(x, false)
}


def libm_name(base: str, op: Operation) -> str:
    t = op.results[0].type
    if isinstance(t, Float32Type):
        return base + "f"
    if isinstance(t, Float64Type):
        return base
    raise ConvertToLLVMError(op, f"libm has no {base} for {t}")


def lower_named(op: Operation, e: Emitter):
    kind = type(op)
    if kind is math.AbsFOp:  # the one llvm.intr op that takes its result type
        return [e(llvm.FAbsOp(op.operands[0], op.results[0].type))]
    if kind in _NAMED_UNARY:
        return [e(_NAMED_UNARY[kind](op.operands[0]))]
    return [e(_NAMED_BINARY[kind](*op.operands))]


def lower_called_intrinsic(op: Operation, e: Emitter):
    t = op.results[0].type
    name = f"{_CALLED_INTRINSIC[type(op)]}.{intrinsic_suffix(t)}"
    return [e.intrinsic(name, list(op.operands), t)]


# float32 ops computed by mlc's vector math library (mlc.lowering.convert_to_llvm.vecmath): inlined, they vectorize.
_VECMATH_F32: dict[type[Operation], str] = {
    math.ExpOp: vecmath.FUNCTIONS["exp"],  # exp f32 -> mlc_vm_expf
    math.LogOp: vecmath.FUNCTIONS["log"],  # log f32 -> mlc_vm_logf
    math.Log1pOp: vecmath.FUNCTIONS["log1p"],  # log1p f32 -> mlc_vm_log1pf
    math.ExpM1Op: vecmath.FUNCTIONS["expm1"],  # expm1 f32 -> mlc_vm_expm1f
    math.TanhOp: vecmath.FUNCTIONS["tanh"],  # tanh f32 -> mlc_vm_tanhf
    math.SinOp: vecmath.FUNCTIONS["sin"],  # sin f32 -> mlc_vm_sinf (libmvec when present)
    math.CosOp: vecmath.FUNCTIONS["cos"],  # cos f32 -> mlc_vm_cosf (libmvec when present)
}


def with_vecmath(fallback: Callable[..., object]) -> Callable[..., object]:
    """`fallback`, except float32 ops of `_VECMATH_F32` call the vector math library."""

    def lower(op: Operation, e: Emitter):
        t = op.results[0].type
        if isinstance(t, Float32Type) and type(op) in _VECMATH_F32:
            name = _VECMATH_F32[type(op)]
            if isinstance(op, math.ExpOp) and FastMathFlag.APPROX_FUNC in op.fastmath.data:
                name = vecmath.FAST_EXP  # `afn`: the float32-arithmetic exp (< 2 ulp, ~4x faster)
            return [e.call(name, list(op.operands), t)]
        return fallback(op, e)

    return lower


def lower_libm(op: Operation, e: Emitter):
    return [e.call(libm_name(_LIBM[type(op)], op), list(op.operands), op.results[0].type)]


def lower_int_with_flag(op: Operation, e: Emitter):
    t = op.results[0].type
    name = f"{_INT_WITH_FLAG[type(op)]}.{intrinsic_suffix(t)}"
    return [e.intrinsic(name, [op.operands[0], e.const(0, i1)], t)]


def lower_fma(op: math.FmaOp, e: Emitter):
    return [e(llvm.FMAOp(op.a, op.b, op.c))]


def lower_rsqrt(op: math.RsqrtOp, e: Emitter):
    t = op.result.type
    return [e(llvm.FDivOp(e.const(1.0, t), e(llvm.FSqrtOp(op.operand))))]


def lower_fpowi(op: math.FPowIOp, e: Emitter):
    # pow with the exponent converted exactly (|n| < 2^53 for f64, and any
    # int32 exponent's rounding in f32 is what numpy's float32 ** int does).
    t = op.result.type
    return [e(llvm.FPowOp(op.lhs, e(llvm.SIToFPOp(op.rhs, t))))]


def lower_ipowi(op: math.IPowIOp, e: Emitter):
    """Integer power by squaring over all exponent bits; wrapping like numpy.

    A negative exponent gives 1 for base 1, +-1 for base -1 and 0 otherwise
    (numpy raises there; the value only has to be defined).
    """
    base, exponent = op.lhs, op.rhs
    t = base.type
    zero, one = e.const(0, t), e.const(1, t)
    negative = e.icmp("slt", exponent, zero)
    bits = e.select(negative, zero, exponent)

    def step(inner: Emitter, _i: SSAValue, args: Sequence[SSAValue]):
        result, power, rest = args
        take = inner.icmp("ne", inner(llvm.AndOp(rest, inner.const(1, t))), inner.const(0, t))
        result = inner.select(take, inner(llvm.MulOp(result, power)), result)
        power = inner(llvm.MulOp(power, power))
        rest = inner(llvm.LShrOp(rest, inner.const(1, t)))
        return [result, power, rest]

    result, _, _ = e.counted_loop(e.i64(bit_width(t)), [one, base, bits], step)
    # negative exponent
    odd = e.icmp("ne", e(llvm.AndOp(exponent, one)), zero)
    minus_one = e.const(-1, t)
    from_minus_one = e.select(odd, minus_one, one)
    special = e.select(
        e.icmp("eq", base, one),
        one,
        e.select(e.icmp("eq", base, minus_one), from_minus_one, zero),
    )
    return [e.select(negative, special, result)]


LOWERINGS: dict[type[Operation], Callable[..., object]] = {
    **{k: lower_named for k in (*_NAMED_UNARY, *_NAMED_BINARY)},
    **{k: lower_called_intrinsic for k in _CALLED_INTRINSIC},
    **{k: lower_libm for k in _LIBM},
    **{k: lower_int_with_flag for k in _INT_WITH_FLAG},
    math.FmaOp: lower_fma,
    math.RsqrtOp: lower_rsqrt,
    math.FPowIOp: lower_fpowi,
    math.IPowIOp: lower_ipowi,
}
for _op in _VECMATH_F32:
    LOWERINGS[_op] = with_vecmath(LOWERINGS[_op])
