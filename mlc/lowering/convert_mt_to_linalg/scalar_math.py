"""Scalar meaning of mt's elementwise ops in arith/math: one small function per op.

`convert-mt-to-linalg` puts these bodies inside `linalg.generic`s (or emits
them directly for 0-d operands). Each function takes a `ScalarBuilder` emitter,
the mt element type of the operands (which still knows signedness:
`ui32`, and `i1` for bool) and the signless scalar operands, and returns
the result value. The numbers are numpy's, including the corners:

* integer `floordiv`/`mod` follow Python's sign rules; a zero divisor
  gives 0 (numpy warns and returns 0) and `INT_MIN // -1` wraps, so no
  division ever traps;
* float `floordiv`/`mod` are numpy's `npy_divmod` step by step;
* `max`/`min` propagate NaN (`arith.maximumf`), `round` is half-to-even,
  `sign(-0.0)` is 0 and `sign(nan)` is nan;
* casts follow `astype`: bool(x) is `x != 0` (so bool(nan) is True),
  narrowing float -> int goes through i64 then truncates (what numpy does
  on x86 for out-of-range values).

Calls to the C math library, declared as `func.func private` in the
module by the caller (see `ScalarBuilder.externs`): `fmod`/`fmodf` (float
`mod`/`floordiv`) and `erfc`/`erfcf` (`erfc`, and the tail of `erfinv`);
and scipy.special's compiled scalar functions as `mlc_special_<name>`
(gammaln, psi, gamma, erfcinv, erfcx, j0, j1, i0, i1, jv, iv, gammainc,
gammaincc), bound by the
runtime (mlc.runtime.special_symbols).
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.builder import Builder
from xdsl.dialects import arith, func, math, scf
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import (
    ComplexType,
    Float32Type,
    Float64Type,
    FunctionType,
    IndexType,
    IntegerAttr,
    IntegerType,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint

from mlc.dialects import mt, zmath
from mlc.lowering import LoweringError
from mlc.dialects.utils.linalg_builders import (
    const,
    emit,
    i64,
    int_width,
    is_bool,
    is_complex,
    is_float,
    is_unsigned,
    signless,
)


class ScalarBuilder:
    """Emits scalar arith/math ops at a builder's insertion point.

    `externs` collects the libm functions called (name -> type); the
    caller declares them in the module.
    """

    def __init__(self, b: Builder, externs: dict[str, FunctionType]):
        self.b = b
        self.externs = externs

    def __call__(self, op: Operation) -> SSAValue:
        return emit(self.b, op)

    def c(self, value: float | int, t: Attribute) -> SSAValue:
        return const(self.b, value, t)

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        """`arith.select`, folded when the condition is a constant (shape
        vectors chosen by a constant mask stay plain values)."""
        if isinstance(cond.owner, arith.ConstantOp) and isinstance(cond.owner.value, IntegerAttr):
            return a if cond.owner.value.value.data else b
        return self(arith.SelectOp(cond, a, b))

    def cmpf(self, pred: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.CmpfOp(a, b, pred))

    def cmpi(self, pred: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.CmpiOp(a, b, pred))

    def call(self, name: str, args: Sequence[SSAValue], result: Attribute) -> SSAValue:
        self.externs[name] = FunctionType.from_lists([a.type for a in args], [result])
        return self(func.CallOp(name, list(args), [result]))

    def libm(self, base: str, *args: SSAValue) -> SSAValue:
        """`base` from libm: `<base>f` for f32, `<base>` for f64."""
        t = args[0].type
        return self.call(base + ("f" if isinstance(t, Float32Type) else ""), args, t)


Unary = Callable[[ScalarBuilder, Attribute, SSAValue], SSAValue]
Binary = Callable[[ScalarBuilder, Attribute, SSAValue, SSAValue], SSAValue]


# ===----------------------------------------------------------------------=== #
# Unary ops
# ===----------------------------------------------------------------------=== #

# mt op -> math op, for float operands (one line each: mt.x(v) -> math.y(v)).
FLOAT_MATH: dict[type, type] = {
    mt.ExpOp: math.ExpOp,
    mt.Exp2Op: math.Exp2Op,
    mt.Expm1Op: math.ExpM1Op,
    mt.LogOp: math.LogOp,
    mt.Log2Op: math.Log2Op,
    mt.Log10Op: math.Log10Op,
    mt.Log1pOp: math.Log1pOp,
    mt.SqrtOp: math.SqrtOp,
    mt.SinOp: math.SinOp,
    mt.CosOp: math.CosOp,
    mt.TanOp: math.TanOp,
    mt.AsinOp: math.AsinOp,
    mt.AcosOp: math.AcosOp,
    mt.AtanOp: math.AtanOp,
    mt.SinhOp: math.SinhOp,
    mt.CoshOp: math.CoshOp,
    mt.TanhOp: math.TanhOp,
    mt.AsinhOp: math.AsinhOp,
    mt.AcoshOp: math.AcoshOp,
    mt.AtanhOp: math.AtanhOp,
    mt.FloorOp: math.FloorOp,
    mt.CeilOp: math.CeilOp,
    mt.TruncOp: math.TruncOp,
    mt.RoundOp: math.RoundEvenOp,  # numpy rounds half to even
    mt.RoundAwayOp: math.RoundOp,  # C round: half away from zero
    mt.ErfOp: math.ErfOp,
}


def _neg(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    if is_float(elt):
        return s(arith.NegfOp(x))
    return s(arith.SubiOp(s.c(0, x.type), x))


def _abs(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    if is_float(elt):
        return s(math.AbsFOp(x))
    if is_unsigned(elt):
        return x
    return s(math.AbsIOp(x))  # abs(INT_MIN) wraps to INT_MIN, like numpy


def _one_over(s: ScalarBuilder, x: SSAValue) -> SSAValue:
    return s(arith.DivfOp(s.c(1.0, x.type), x))



def _reciprocal(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    return _one_over(s, x)


def _sign(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    t = x.type
    zero, one = s.c(0, t), s.c(1, t)
    if is_float(elt):
        # x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x   (nan stays nan, -0 -> 0)
        r = s.select(s.cmpf("oeq", x, zero), zero, x)
        r = s.select(s.cmpf("olt", x, zero), s.c(-1, t), r)
        return s.select(s.cmpf("ogt", x, zero), one, r)
    if is_unsigned(elt):
        return s.select(s.cmpi("ne", x, zero), one, zero)
    r = s.select(s.cmpi("slt", x, zero), s.c(-1, t), zero)
    return s.select(s.cmpi("sgt", x, zero), one, r)


def _not(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    return s(arith.XOrIOp(x, s.c(-1, x.type)))  # all ones: logical not on i1, invert on ints


def _erfc(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    return s.libm("erfc", x)


def _sigmoid(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    # e = exp(-|x|) never overflows; x >= 0: 1 / (1 + e), else e / (1 + e).
    t = x.type
    e = s(math.ExpOp(s(arith.NegfOp(s(math.AbsFOp(x))))))
    denominator = s(arith.AddfOp(s.c(1.0, t), e))
    positive = s(arith.DivfOp(s.c(1.0, t), denominator))
    negative = s(arith.DivfOp(e, denominator))
    return s.select(s.cmpf("oge", x, s.c(0.0, t)), positive, negative)


def _softplus(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow, no
    # cancellation (numpy's logaddexp(0, x) computes exactly this).
    t = x.type
    tail = s(math.Log1pOp(s(math.ExpOp(s(arith.NegfOp(s(math.AbsFOp(x))))))))
    return s(arith.AddfOp(s(arith.MaximumfOp(x, s.c(0.0, t))), tail))


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011):
# erfinv(y) ~ y * p(w), w = -log(1 - y^2), one polynomial for w < 5 (in
# w - 2.5) and one beyond (in sqrt(w) - 3); about 1e-7 relative error.
_GILES_CENTRAL = (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
)  # fmt: skip
_GILES_TAIL = (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
)  # fmt: skip


def _horner(s: ScalarBuilder, coefficients: Sequence[float], w: SSAValue) -> SSAValue:
    p = s.c(coefficients[0], w.type)
    for c in coefficients[1:]:
        p = s(arith.AddfOp(s.c(c, w.type), s(arith.MulfOp(p, w))))
    return p


def _erfc_inverse_asymptotic(s: ScalarBuilder, q: SSAValue) -> SSAValue:
    """x with erfc(x) = q for small q, from erfc(x) ~ exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2)):
    x^2 = -log(q) - log(x sqrt(pi)) + log(1 - 1/(2x^2)), iterated twice from sqrt(-log(q))."""
    t = q.type
    big_l = s(arith.NegfOp(s(math.LogOp(q))))
    sqrt_pi = s.c(pymath.sqrt(pymath.pi), t)
    x = s(math.SqrtOp(big_l))
    x = s(math.SqrtOp(s(arith.SubfOp(big_l, s(math.LogOp(s(arith.MulfOp(x, sqrt_pi))))))))
    correction = s(math.Log1pOp(s(arith.NegfOp(s(arith.DivfOp(s.c(0.5, t), s(arith.MulfOp(x, x))))))))
    return s(
        math.SqrtOp(s(arith.AddfOp(s(arith.SubfOp(big_l, s(math.LogOp(s(arith.MulfOp(x, sqrt_pi)))))), correction)))
    )


def _erfinv(s: ScalarBuilder, elt: Attribute, y: SSAValue) -> SSAValue:
    """erfinv in f64 (f32 is computed in f64 and rounded once).

    Giles' polynomial gives ~1e-7 (for 1 - |y| < 1e-7, beyond single
    precision, the asymptotic inverse of erfc takes over, within 1e-4);
    two Halley steps on erf(x) = |y| bring it to f64 precision (the error
    is cubed each step: 7e-5 -> 3e-11 -> 1 ulp). The residual is taken as erf(x) - a for a <= 0.5 and as
    (1 - a) - erfc(x) beyond, where 1 - a is exact, so the tails (a -> 1)
    stay accurate relative to 1 - a. erfinv(+-1) = +-inf, |y| > 1 gives
    nan, the sign (and -0.0) come from copysign.
    """
    t = y.type
    if isinstance(t, Float32Type):
        wide = _erfinv(s, mt.f64, s(arith.ExtFOp(y, Float64Type())))
        return s(arith.TruncFOp(wide, t))
    one = s.c(1.0, t)
    a = s(math.AbsFOp(y))
    w = s(arith.NegfOp(s(math.LogOp(s(arith.MulfOp(s(arith.SubfOp(one, a)), s(arith.AddfOp(one, a))))))))
    central = _horner(s, _GILES_CENTRAL, s(arith.SubfOp(w, s.c(2.5, t))))
    tail = _horner(s, _GILES_TAIL, s(arith.SubfOp(s(math.SqrtOp(w)), s.c(3.0, t))))
    one_minus_a = s(arith.SubfOp(one, a))
    x = s(arith.MulfOp(s.select(s.cmpf("olt", w, s.c(5.0, t)), central, tail), a))
    x = s.select(s.cmpf("olt", w, s.c(16.0, t)), x, _erfc_inverse_asymptotic(s, one_minus_a))
    small = s.cmpf("ole", a, s.c(0.5, t))
    two_over_sqrt_pi = s.c(2.0 / pymath.sqrt(pymath.pi), t)
    for _ in range(2):
        # f = erf(x) - a, f' = 2/sqrt(pi) exp(-x^2), f'' = -2x f':
        # Halley's step is x - u / (1 + x u) with u = f / f'.
        head = s(arith.SubfOp(s(math.ErfOp(x)), a))
        tail_residual = s(arith.SubfOp(one_minus_a, s.libm("erfc", x)))
        residual = s.select(small, head, tail_residual)
        slope = s(arith.MulfOp(two_over_sqrt_pi, s(math.ExpOp(s(arith.NegfOp(s(arith.MulfOp(x, x))))))))
        u = s(arith.DivfOp(residual, slope))
        x = s(arith.SubfOp(x, s(arith.DivfOp(u, s(arith.AddfOp(one, s(arith.MulfOp(x, u))))))))
    x = s.select(s.cmpf("oeq", a, one), s.c(pymath.inf, t), x)
    return s(math.CopySignOp(x, y))


def _isnan(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    return s.cmpf("uno", x, x)


def _isinf(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    return s.cmpf("oeq", s(math.AbsFOp(x)), s.c(pymath.inf, x.type))


# ---- special functions (scipy.special's compiled scalar functions, called natively) ----

#: the prefix of the runtime symbols bound to scipy.special.cython_special (mlc.runtime.special_symbols)
SPECIAL_PREFIX = "mlc_special_"


def _scipy_special(name: str, nargs: int) -> Callable[..., SSAValue]:
    """A call to scipy's `double name(double, ..., int skip_dispatch)`; f32 is computed in f64."""

    def lower(s: ScalarBuilder, elt: Attribute, *xs: SSAValue) -> SSAValue:
        t = xs[0].type
        f64 = Float64Type()
        wide = [x if isinstance(t, Float64Type) else s(arith.ExtFOp(x, f64)) for x in xs]
        r = s.call(SPECIAL_PREFIX + name, [*wide, s.c(0, IntegerType(32))], f64)
        return r if isinstance(t, Float64Type) else s(arith.TruncFOp(r, t))

    return lower


def _tri_gamma(s: ScalarBuilder, elt: Attribute, x: SSAValue) -> SSAValue:
    """polygamma(1, x), in f64: reflection for x <= 0, ten recurrence steps, then the asymptotic series.

    psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x) for x <= 0; psi1(z) = sum_{k<10} 1/(z+k)^2 + psi1(z+10);
    psi1(w) ~ 1/w + 1/(2w^2) + sum_k B_2k / w^(2k+1), to B_14 (truncation < 1e-17 relative for w >= 10).
    """
    t = x.type
    if not isinstance(t, Float64Type):
        return s(arith.TruncFOp(_tri_gamma(s, elt, s(arith.ExtFOp(x, Float64Type()))), t))

    def c(v: float) -> SSAValue:
        return s.c(v, t)

    reflect = s.cmpf("ole", x, c(0.0))
    z = s.select(reflect, s(arith.SubfOp(c(1.0), x)), x)
    w = s(arith.AddfOp(z, c(10.0)))
    iw = s(arith.DivfOp(c(1.0), w))
    iw2 = s(arith.MulfOp(iw, iw))
    # 1/w + 1/(2w^2) + 1/w^3 (1/6 - 1/(30w^2) + 1/(42w^4) - 1/(30w^6) + 5/(66w^8) - 691/(2730w^10) + 7/(6w^12))
    poly = c(7.0 / 6.0)
    for coef in (-691.0 / 2730.0, 5.0 / 66.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 1.0 / 6.0):
        poly = s(arith.AddfOp(s(arith.MulfOp(poly, iw2)), c(coef)))
    value = s(arith.AddfOp(iw, s(arith.MulfOp(iw2, s(arith.AddfOp(c(0.5), s(arith.MulfOp(iw, poly))))))))
    for k in range(9, -1, -1):  # the recurrence, smallest terms first
        zk = s(arith.AddfOp(z, c(float(k))))
        value = s(arith.AddfOp(value, s(arith.DivfOp(c(1.0), s(arith.MulfOp(zk, zk))))))
    frac = s(arith.SubfOp(x, s(math.RoundEvenOp(x))))  # exact; sin^2(pi x) = sin^2(pi frac) without pi x's rounding
    sin = s(math.SinOp(s(arith.MulfOp(c(pymath.pi), frac))))
    reflected = s(arith.SubfOp(s(arith.DivfOp(c(pymath.pi ** 2), s(arith.MulfOp(sin, sin)))), value))
    pole = s(arith.AndIOp(reflect, s.cmpf("oeq", s(math.FloorOp(x)), x)))  # 0, -1, -2, ... and -inf
    return s.select(pole, c(pymath.inf), s.select(reflect, reflected, value))


UNARY: dict[type, Unary] = {
    mt.NegOp: _neg,
    mt.AbsOp: _abs,
    mt.ReciprocalOp: _reciprocal,
    mt.SignOp: _sign,
    mt.NotOp: _not,
    mt.ErfcOp: _erfc,
    mt.ErfinvOp: _erfinv,
    mt.SigmoidOp: _sigmoid,
    mt.SoftplusOp: _softplus,
    mt.IsnanOp: _isnan,
    mt.IsinfOp: _isinf,
    mt.GammalnOp: _scipy_special("gammaln", 1),
    mt.PsiOp: _scipy_special("psi", 1),
    mt.TriGammaOp: _tri_gamma,
    mt.GammaOp: _scipy_special("gamma", 1),
    mt.ErfcinvOp: _scipy_special("erfcinv", 1),
    mt.ErfcxOp: _scipy_special("erfcx", 1),
    mt.J0Op: _scipy_special("j0", 1),
    mt.J1Op: _scipy_special("j1", 1),
    mt.I0Op: _scipy_special("i0", 1),
    mt.I1Op: _scipy_special("i1", 1),
    **{t: lambda s, elt, x, t=t: _complex_unary(s, t, x) for t in (mt.ConjOp, mt.RealOp, mt.ImagOp, mt.AngleOp, mt.CabsOp)},
}


# ---- complex numbers: `complex` dialect ops, which `expand-complex` writes in arith/math with numpy's algorithms ----

#: unary mt ops on complex operands -> their `complex` op (the same meaning: numpy's)
COMPLEX_UNARY: dict[type, type] = {
    mt.NegOp: cx.NegOp,
    mt.ExpOp: cx.ExpOp,
    mt.LogOp: cx.LogOp,
    mt.SqrtOp: cx.SqrtOp,
    mt.SinOp: cx.SinOp,
    mt.CosOp: cx.CosOp,
    mt.TanOp: cx.TanOp,
    mt.TanhOp: cx.TanhOp,
    mt.Expm1Op: cx.Expm1Op,
    mt.Log1pOp: cx.Log1pOp,
    mt.SinhOp: zmath.SinhOp,  # functions the `complex` dialect lacks: `zmath`
    mt.CoshOp: zmath.CoshOp,
    mt.AsinOp: zmath.AsinOp,
    mt.AcosOp: zmath.AcosOp,
    mt.AtanOp: zmath.AtanOp,
    mt.AsinhOp: zmath.AsinhOp,
    mt.AcoshOp: zmath.AcoshOp,
    mt.AtanhOp: zmath.AtanhOp,
    mt.Exp2Op: zmath.Exp2Op,
    mt.Log2Op: zmath.Log2Op,
    mt.Log10Op: zmath.Log10Op,
    mt.ConjOp: cx.ConjOp,
    mt.RealOp: cx.ReOp,
    mt.ImagOp: cx.ImOp,
    mt.AngleOp: cx.AngleOp,
    mt.CabsOp: cx.AbsOp,
}

#: binary mt ops on complex operands -> their `complex` op
COMPLEX_BINARY: dict[type, type] = {
    mt.AddOp: cx.AddOp,
    mt.SubOp: cx.SubOp,
    mt.MulOp: cx.MulOp,
    mt.DivOp: cx.DivOp,
    mt.PowOp: cx.PowOp,
    mt.EqOp: cx.EqualOp,
    mt.NeOp: cx.NotEqualOp,
}


def _complex_unary(s: ScalarBuilder, op_type: type, z: SSAValue) -> SSAValue:
    if op_type in COMPLEX_UNARY:
        return s(COMPLEX_UNARY[op_type](z))
    if op_type is mt.ReciprocalOp:
        return s(cx.DivOp(s.c(1.0, z.type), z))
    if op_type in (mt.IsnanOp, mt.IsinfOp):  # numpy: either part is nan (inf)
        pred = _isnan if op_type is mt.IsnanOp else _isinf
        re, im = s(cx.ReOp(z)), s(cx.ImOp(z))
        return s(arith.OrIOp(pred(s, re.type, re), pred(s, im.type, im)))
    raise LoweringError(f"convert-mt-to-linalg: {op_type.name} has no native lowering for complex operands "
                        f"(mode='REFERENCE' runs it with numpy)")


def unary(s: ScalarBuilder, op_type: type, elt: Attribute, x: SSAValue) -> SSAValue:
    """The scalar body of unary mt op `op_type` on an operand of mt type `elt`."""
    if is_complex(elt):
        return _complex_unary(s, op_type, x)
    if op_type in FLOAT_MATH:
        return s(FLOAT_MATH[op_type](x))
    return UNARY[op_type](s, elt, x)


# ===----------------------------------------------------------------------=== #
# Binary ops
# ===----------------------------------------------------------------------=== #


def _by_kind(kind: type, float_op: type, int_op: type) -> Binary:
    """add/sub/mul (mt op `kind`): one op for floats, one for (signless) ints, the complex op for complex."""

    def lower(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
        if is_complex(elt):
            return binary(s, kind, elt, a, b)
        return s((float_op if is_float(elt) else int_op)(a, b))

    return lower


def _by_sign(float_op: type, signed_op: type, unsigned_op: type) -> Binary:
    """max/min: NaN-propagating for floats, signed or unsigned for ints (and i1)."""

    def lower(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
        if is_complex(elt):
            raise LoweringError(f"convert-mt-to-linalg: max/min of {elt} (complex numbers are not ordered)")
        if is_float(elt):
            return s(float_op(a, b))
        return s((unsigned_op if is_unsigned(elt) else signed_op)(a, b))

    return lower


def _same(int_op: type) -> Binary:
    def lower(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
        return s(int_op(a, b))

    return lower


def _safe_divisor(s: ScalarBuilder, elt: Attribute, b: SSAValue) -> tuple[SSAValue, SSAValue, SSAValue | None]:
    """(b or 1 where dividing would trap, b == 0, b == -1 for signed)."""
    t = b.type
    is_zero = s.cmpi("eq", b, s.c(0, t))
    if is_unsigned(elt):
        return s.select(is_zero, s.c(1, t), b), is_zero, None
    is_minus_one = s.cmpi("eq", b, s.c(-1, t))
    trap = s(arith.OrIOp(is_zero, is_minus_one))  # x / 0 and INT_MIN / -1
    return s.select(trap, s.c(1, t), b), is_zero, is_minus_one


def _signs_differ(s: ScalarBuilder, r: SSAValue, b: SSAValue) -> SSAValue:
    """r != 0 and sign(r) != sign(b): C's remainder needs Python's correction."""
    zero = s.c(0, r.type)
    differ = s(arith.XOrIOp(s.cmpi("slt", r, zero), s.cmpi("slt", b, zero)))
    return s(arith.AndIOp(s.cmpi("ne", r, zero), differ))


def _float_divmod(s: ScalarBuilder, a: SSAValue, b: SSAValue) -> tuple[SSAValue, SSAValue]:
    """numpy's npy_divmod: (floor(a / b), a mod b) with Python's signs."""
    t = a.type
    zero = s.c(0.0, t)
    fmod = s.libm("fmod", a, b)
    mod = fmod
    div = s(arith.DivfOp(s(arith.SubfOp(a, mod)), b))
    mod_nonzero = s.cmpf("une", mod, zero)  # C truthiness: nan counts as non-zero
    differ = s(arith.XOrIOp(s.cmpf("olt", b, zero), s.cmpf("olt", mod, zero)))
    adjust = s(arith.AndIOp(mod_nonzero, differ))
    signed_zero = s(math.CopySignOp(zero, b))
    mod = s.select(adjust, s(arith.AddfOp(mod, b)), s.select(mod_nonzero, mod, signed_zero))
    div = s.select(adjust, s(arith.SubfOp(div, s.c(1.0, t))), div)
    floor = s(math.FloorOp(div))
    snap = s.cmpf("ogt", s(arith.SubfOp(div, floor)), s.c(0.5, t))
    floor = s.select(snap, s(arith.AddfOp(floor, s.c(1.0, t))), floor)
    quotient = s(arith.DivfOp(a, b))
    floordiv = s.select(s.cmpf("une", div, zero), floor, s(math.CopySignOp(zero, quotient)))
    b_zero = s.cmpf("oeq", b, zero)
    return s.select(b_zero, quotient, floordiv), s.select(b_zero, fmod, mod)


def _floordiv(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    if is_float(elt):
        return _float_divmod(s, a, b)[0]
    zero = s.c(0, a.type)
    divisor, is_zero, is_minus_one = _safe_divisor(s, elt, b)
    if is_minus_one is None:
        return s.select(is_zero, zero, s(arith.DivUIOp(a, divisor)))
    q = s(arith.DivSIOp(a, divisor))
    r = s(arith.RemSIOp(a, divisor))
    q = s.select(_signs_differ(s, r, divisor), s(arith.SubiOp(q, s.c(1, a.type))), q)
    q = s.select(is_minus_one, s(arith.SubiOp(zero, a)), q)  # wraps for INT_MIN, like numpy
    return s.select(is_zero, zero, q)


def _mod(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    if is_float(elt):
        return _float_divmod(s, a, b)[1]
    zero = s.c(0, a.type)
    divisor, is_zero, is_minus_one = _safe_divisor(s, elt, b)
    if is_minus_one is None:
        return s.select(is_zero, zero, s(arith.RemUIOp(a, divisor)))
    r = s(arith.RemSIOp(a, divisor))  # x % -1 is computed as x % 1 == 0
    r = s.select(_signs_differ(s, r, divisor), s(arith.AddiOp(r, divisor)), r)
    return s.select(is_zero, zero, r)


def _int_pow(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    """a ** b by binary exponentiation (wrapping, like numpy).

    numpy raises for a negative exponent; here it gives 1/a rounded toward
    zero: 1 for a == 1, +-1 for a == -1, else 0.
    """
    t = a.type
    zero, one = s.c(0, t), s.c(1, t)
    exponent = b
    if not is_unsigned(elt):
        negative = s.cmpi("slt", b, zero)
        exponent = s.select(negative, zero, b)
    # One step per bit of the exponent: a fixed trip count, no early exit,
    # so the loop unrolls and vectorizes.
    body = Block(arg_types=[IndexType(), t, t, t])
    bb = ScalarBuilder(Builder(InsertPoint.at_end(body)), s.externs)
    _, result, base, e = body.args
    odd = bb.cmpi("ne", bb(arith.AndIOp(e, bb.c(1, t))), bb.c(0, t))
    result = bb.select(odd, bb(arith.MuliOp(result, base)), result)
    bb.b.insert(scf.YieldOp(result, bb(arith.MuliOp(base, base)), bb(arith.ShRUIOp(e, bb.c(1, t)))))
    lower, upper, step = (s.c(v, IndexType()) for v in (0, int_width(elt), 1))
    loop = scf.ForOp(lower, upper, step, [one, a, exponent], Region(body))
    s.b.insert(loop)
    power = loop.results[0]
    if is_unsigned(elt):
        return power
    minus_one = s.c(-1, t)
    odd_b = s.cmpi("ne", s(arith.AndIOp(b, one)), zero)
    reciprocal = s.select(s.cmpi("eq", a, one), one, zero)
    reciprocal = s.select(s.cmpi("eq", a, minus_one), s.select(odd_b, minus_one, one), reciprocal)
    return s.select(negative, reciprocal, power)


def _pow(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    if is_float(elt):
        return s(math.PowFOp(a, b))
    return _int_pow(s, elt, a, b)


def _hypot(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    """sqrt(a^2 + b^2) without overflow: m * sqrt(1 + (n/m)^2), m = max(|a|, |b|).

    hypot(+-inf, nan) is inf, as in C."""
    t = a.type
    inf = s.c(pymath.inf, t)
    x, y = s(math.AbsFOp(a)), s(math.AbsFOp(b))
    m, n = s(arith.MaximumfOp(x, y)), s(arith.MinimumfOp(x, y))
    r = s(arith.DivfOp(n, m))
    h = s(arith.MulfOp(m, s(math.SqrtOp(s(arith.AddfOp(s.c(1.0, t), s(arith.MulfOp(r, r))))))))
    h = s.select(s.cmpf("oeq", m, s.c(0.0, t)), s.c(0.0, t), h)
    any_inf = s(arith.OrIOp(s.cmpf("oeq", x, inf), s.cmpf("oeq", y, inf)))
    return s.select(any_inf, inf, h)


def _atan2(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    return s(math.Atan2Op(a, b))


def _div(s: ScalarBuilder, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    return s(arith.DivfOp(a, b))


BINARY: dict[type, Binary] = {
    mt.AddOp: _by_kind(mt.AddOp, arith.AddfOp, arith.AddiOp),
    mt.SubOp: _by_kind(mt.SubOp, arith.SubfOp, arith.SubiOp),
    mt.MulOp: _by_kind(mt.MulOp, arith.MulfOp, arith.MuliOp),
    mt.DivOp: _div,
    mt.FloordivOp: _floordiv,
    mt.ModOp: _mod,
    mt.PowOp: _pow,
    mt.MaxOp: _by_sign(arith.MaximumfOp, arith.MaxSIOp, arith.MaxUIOp),
    mt.MinOp: _by_sign(arith.MinimumfOp, arith.MinSIOp, arith.MinUIOp),
    mt.AndOp: _same(arith.AndIOp),
    mt.OrOp: _same(arith.OrIOp),
    mt.XorOp: _same(arith.XOrIOp),
    mt.Atan2Op: _atan2,
    mt.HypotOp: _hypot,
    mt.JvOp: _scipy_special("jv", 2),
    mt.IvOp: _scipy_special("iv", 2),
    mt.GammaincOp: _scipy_special("gammainc", 2),
    mt.GammainccOp: _scipy_special("gammaincc", 2),
    mt.ComplexOp: lambda s, elt, a, b: binary(s, mt.ComplexOp, elt, a, b),
}

# mt comparison -> (float predicate, signed int predicate, unsigned/bool predicate)
COMPARE: dict[type, tuple[str, str, str]] = {
    mt.EqOp: ("oeq", "eq", "eq"),
    mt.NeOp: ("une", "ne", "ne"),  # nan != nan is True
    mt.LtOp: ("olt", "slt", "ult"),
    mt.LeOp: ("ole", "sle", "ule"),
    mt.GtOp: ("ogt", "sgt", "ugt"),
    mt.GeOp: ("oge", "sge", "uge"),
}


def compare(s: ScalarBuilder, op_type: type, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    float_pred, signed_pred, unsigned_pred = COMPARE[op_type]
    if is_float(elt):
        return s.cmpf(float_pred, a, b)
    return s.cmpi(unsigned_pred if is_unsigned(elt) else signed_pred, a, b)


def _complex_compare(s: ScalarBuilder, pred: str, a: SSAValue, b: SSAValue) -> SSAValue:
    """numpy's order on complex numbers: lexicographic, (ar, ai) < (br, bi) when ar < br and neither
    imaginary part is nan, or ar == br and ai < bi (likewise <=, >, >=; == and != compare both parts)."""
    if pred in ("oeq", "une"):
        return s((cx.EqualOp if pred == "oeq" else cx.NotEqualOp)(a, b))
    ar, ai, br, bi = s(cx.ReOp(a)), s(cx.ImOp(a)), s(cx.ReOp(b)), s(cx.ImOp(b))
    strict = pred[:2] + "t"  # olt/ole -> olt, ogt/oge -> ogt
    no_nan = s(arith.AndIOp(s.cmpf("ord", ai, ai), s.cmpf("ord", bi, bi)))
    first = s(arith.AndIOp(s.cmpf(strict, ar, br), no_nan))
    second = s(arith.AndIOp(s.cmpf("oeq", ar, br), s.cmpf(pred, ai, bi)))
    return s(arith.OrIOp(first, second))


def _complex_max_min(s: ScalarBuilder, pred: str, a: SSAValue, b: SSAValue) -> SSAValue:
    """numpy's complex maximum (pred `oge`) / minimum (`ole`): a when a has a nan part or a >= b
    (a <= b) in numpy's order, else b."""
    ar, ai, br, bi = s(cx.ReOp(a)), s(cx.ImOp(a)), s(cx.ReOp(b)), s(cx.ImOp(b))
    a_nan = s(arith.OrIOp(s.cmpf("uno", ar, ar), s.cmpf("uno", ai, ai)))
    keep_a = s(arith.OrIOp(a_nan, _complex_compare(s, pred, a, b)))
    return s(cx.CreateOp(s.select(keep_a, ar, br), s.select(keep_a, ai, bi), a.type))  # type: ignore[arg-type]


def binary(s: ScalarBuilder, op_type: type, elt: Attribute, a: SSAValue, b: SSAValue) -> SSAValue:
    """The scalar body of binary mt op `op_type` on operands of mt type `elt`."""
    if op_type is mt.ComplexOp:
        return s(cx.CreateOp(a, b, ComplexType(a.type)))  # type: ignore[arg-type]
    if is_complex(elt):
        if op_type in COMPARE:
            return _complex_compare(s, COMPARE[op_type][0], a, b)
        if op_type in (mt.MaxOp, mt.MinOp):
            return _complex_max_min(s, "oge" if op_type is mt.MaxOp else "ole", a, b)
        if op_type not in COMPLEX_BINARY:
            raise LoweringError(f"convert-mt-to-linalg: {op_type.name} has no native lowering for complex operands "
                                f"(mode='REFERENCE' runs it with numpy)")
        return s(COMPLEX_BINARY[op_type](a, b))
    if op_type in COMPARE:
        return compare(s, op_type, elt, a, b)
    return BINARY[op_type](s, elt, a, b)


# ===----------------------------------------------------------------------=== #
# Casts (numpy astype)
# ===----------------------------------------------------------------------=== #


def cast(s: ScalarBuilder, x: SSAValue, source: Attribute, target: Attribute) -> SSAValue:
    """Convert scalar `x` of mt type `source` to mt type `target`."""
    t = signless(target)
    if is_complex(source) or is_complex(target):
        return _complex_cast(s, x, source, target)
    if is_bool(target):
        if is_bool(source):
            return x
        if is_float(source):
            return s.cmpf("une", x, s.c(0.0, x.type))  # bool(nan) is True
        return s.cmpi("ne", x, s.c(0, x.type))
    if is_float(source) and is_float(target):
        return _float_to_float(s, x, t)
    if is_float(target):
        if is_unsigned(source):
            return s(arith.UIToFPOp(x, t))
        return s(arith.SIToFPOp(x, t))
    if is_float(source):
        return _float_to_int(s, x, target)
    return _int_to_int(s, x, source, t)


def _complex_cast(s: ScalarBuilder, x: SSAValue, source: Attribute, target: Attribute) -> SSAValue:
    """numpy astype with complex on either side: parts converted one by one; complex -> real keeps
    the real part (numpy warns, mlc does not), complex -> bool is `z != 0`; real -> complex has imag 0."""
    if is_complex(source) and is_complex(target):
        part = target.element_type  # type: ignore[attr-defined]
        re, im = (_float_to_float(s, s(op(x)), part) for op in (cx.ReOp, cx.ImOp))
        return s(cx.CreateOp(re, im, target))  # type: ignore[arg-type]
    if is_complex(source):
        part = source.element_type  # type: ignore[attr-defined]
        re = s(cx.ReOp(x))
        if is_bool(target):
            zero = s.c(0.0, part)
            return s(arith.OrIOp(s.cmpf("une", re, zero), s.cmpf("une", s(cx.ImOp(x)), zero)))
        return cast(s, re, part, target)
    part = target.element_type  # type: ignore[attr-defined]
    re = cast(s, x, source, part)
    return s(cx.CreateOp(re, s.c(0.0, part), target))  # type: ignore[arg-type]


def _float_to_float(s: ScalarBuilder, x: SSAValue, t: Attribute) -> SSAValue:
    source_width = 32 if isinstance(x.type, Float32Type) else 64
    target_width = 32 if isinstance(t, Float32Type) else 64
    if source_width < target_width:
        return s(arith.ExtFOp(x, t))
    if source_width > target_width:
        return s(arith.TruncFOp(x, t))
    return x


def _float_to_int(s: ScalarBuilder, x: SSAValue, target: Attribute) -> SSAValue:
    width = int_width(target)
    if width == 64:
        op = arith.FPToUIOp if is_unsigned(target) else arith.FPToSIOp
        return s(op(x, IntegerType(64)))
    return s(arith.TruncIOp(s(arith.FPToSIOp(x, i64)), IntegerType(width)))


def _int_to_int(s: ScalarBuilder, x: SSAValue, source: Attribute, t: Attribute) -> SSAValue:
    source_width, target_width = int_width(source), int_width(t)
    assert isinstance(t, IntegerType)
    if target_width > source_width:
        return s((arith.ExtUIOp if is_unsigned(source) else arith.ExtSIOp)(x, t))
    if target_width < source_width:
        return s(arith.TruncIOp(x, t))
    return x
