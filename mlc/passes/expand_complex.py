"""expand-complex: complex arithmetic -> arith/math on the real and imaginary parts.

Pre-condition: none (any function; complex ops may sit in `linalg.generic`
bodies, loops or a flat CFG). Post-condition: the only `complex` ops left
are `complex.create`, `complex.re` and `complex.im` (which `convert-to-llvm`
turns into `insertvalue`/`extractvalue` on `!llvm.struct<(f, f)>`); every
other one became scalar `arith`/`math` code on the parts, with numpy's
algorithms and corner cases (MLIR's complex-to-standard, numpy's numbers):

* `mul` is the textbook product (numpy does no inf recovery either);
* `div` is numpy's Smith division: scale by the larger part of the
  divisor, so |b| near the float range neither overflows nor underflows,
  and a zero divisor gives numpy's inf/nan parts;
* `abs` is hypot(re, im) (scaled by the larger part: no overflow),
  `angle` atan2(im, re);
* `exp`, `log`, `sqrt`, `pow` follow numpy's npy_cexp / npy_clog /
  npy_csqrt / npy_cpow: exp(x + 0j) keeps the zero imaginary part (so
  exp(inf) is inf + 0j), sqrt uses hypot and copysign (sqrt(-4 - 0j) is
  -2j) and returns (0, im) at 0 and (inf, im) for an infinite imaginary
  part; z ** 0 is 1, 0 ** w is 0 for real w > 0 and nan otherwise,
  else exp(w log z);
* `eq` compares both parts (ordered), `neq` is its negation (nan != nan);
* the elementary functions (`complex.sin/cos/tan/tanh/expm1/log1p` and
  `zmath.sinh/cosh/asin/acos/atan/asinh/acosh/atanh/exp2/log2/log10`):
  sinh/cosh/tanh on the parts (tanh: Kahan's algorithm), sin/cos/tan by
  z -> iz; the inverse functions by Kahan's formulas on sqrt(1 +- z)
  (atanh: log1p form on |x|, scaled past 1/eps); every special value of
  C99 Annex G (inf, nan, signed zeros) as numpy (glibc) returns it; exp
  and sinh/cosh avoid needless overflow (e^710 cos 1 is finite); log and
  log1p take log1p near |z| = 1. Within a few ulps of numpy.
"""

from __future__ import annotations

import math as pymath

from xdsl.context import Context
from xdsl.dialects import arith, math
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import ComplexType, Float32Type, FloatAttr, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from mlc.dialects import zmath

Pair = tuple[SSAValue, SSAValue]

# numpy's constants (npy_math.h), each correctly rounded to a double
LN2 = float("0.693147180559945309417232121458176568")
LOG2E = float("1.442695040888963407359924681001892137")
LOG10E = float("0.434294481903251827651128918916605082")


class Parts:
    """Emits real arith/math ops before the op being expanded, on parts of type `t`."""

    def __init__(self, rewriter: PatternRewriter, t: Attribute):
        self.rewriter = rewriter
        self.t = t

    def __call__(self, op: Operation) -> SSAValue:
        self.rewriter.insert(op)
        return op.results[0]

    def c(self, value: float) -> SSAValue:
        return self(arith.ConstantOp(FloatAttr(value, self.t)))  # type: ignore[arg-type]

    def split(self, z: SSAValue) -> Pair:
        if isinstance(z.owner, cx.CreateOp):  # a value built here: its parts directly
            return z.owner.real, z.owner.imaginary
        return self(cx.ReOp(z)), self(cx.ImOp(z))

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.AddfOp(a, b))

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.SubfOp(a, b))

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.MulfOp(a, b))

    def div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.DivfOp(a, b))

    def neg(self, a: SSAValue) -> SSAValue:
        return self(arith.NegfOp(a))

    def cmp(self, pred: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.CmpfOp(a, b, pred))

    def select(self, c: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.SelectOp(c, a, b))

    def both(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.AndIOp(a, b))

    def either(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.OrIOp(a, b))

    def pick(self, c: SSAValue, a: Pair, b: Pair) -> Pair:
        return self.select(c, a[0], b[0]), self.select(c, a[1], b[1])

    # ---- the complex functions, on parts --------------------------------

    def multiply(self, a: Pair, b: Pair) -> Pair:
        (ar, ai), (br, bi) = a, b
        return self.sub(self.mul(ar, br), self.mul(ai, bi)), self.add(self.mul(ar, bi), self.mul(ai, br))

    def divide(self, a: Pair, b: Pair) -> Pair:
        """numpy's complex division (Smith's algorithm; loops_arithm: @TYPE@_divide)."""
        (ar, ai), (br, bi) = a, b
        abs_r, abs_i = self(math.AbsFOp(br)), self(math.AbsFOp(bi))
        one, zero = self.c(1.0), self.c(0.0)
        # |br| >= |bi| (false when either is nan, like C's >=)
        rat = self.div(bi, br)
        scl = self.div(one, self.add(br, self.mul(bi, rat)))
        real_major = (self.mul(self.add(ar, self.mul(ai, rat)), scl), self.mul(self.sub(ai, self.mul(ar, rat)), scl))
        by_zero = (self.div(ar, abs_r), self.div(ai, abs_r))  # complex inf or nan, as numpy
        is_zero = self.both(self.cmp("oeq", abs_r, zero), self.cmp("oeq", abs_i, zero))
        real_major = self.pick(is_zero, by_zero, real_major)
        rat2 = self.div(br, bi)
        scl2 = self.div(one, self.add(bi, self.mul(br, rat2)))
        imag_major = (self.mul(self.add(self.mul(ar, rat2), ai), scl2), self.mul(self.sub(self.mul(ai, rat2), ar), scl2))
        return self.pick(self.cmp("oge", abs_r, abs_i), real_major, imag_major)

    def hypot(self, x: SSAValue, y: SSAValue) -> SSAValue:
        """sqrt(x^2 + y^2) as m * sqrt(1 + (n/m)^2), m = max(|x|, |y|): no overflow; hypot(inf, nan) is inf."""
        ax, ay = self(math.AbsFOp(x)), self(math.AbsFOp(y))
        m, n = self(arith.MaximumfOp(ax, ay)), self(arith.MinimumfOp(ax, ay))
        r = self.div(n, m)
        h = self.mul(m, self(math.SqrtOp(self.add(self.c(1.0), self.mul(r, r)))))
        zero, inf = self.c(0.0), self.c(pymath.inf)
        h = self.select(self.cmp("oeq", m, zero), zero, h)
        return self.select(self.either(self.cmp("oeq", ax, inf), self.cmp("oeq", ay, inf)), inf, h)

    def angle(self, z: Pair) -> SSAValue:
        return self(math.Atan2Op(z[1], z[0]))

    def exp(self, z: Pair) -> Pair:
        """e^x (cos y + i sin y); a zero imaginary part stays exact (exp(inf + 0j) = inf + 0j); past
        x = 700 (f64) / 85 (f32) as (e^(x/2) cos y) e^(x/2), so e^710 cos(1) stays finite; C99's
        infinite x with a non-finite y: (inf, nan) and (0, +-0)."""
        x, y = z
        e = self(math.ExpOp(x))
        c, s = self(math.CosOp(y)), self(math.SinOp(y))
        h = self(math.ExpOp(self.mul(x, self.c(0.5))))
        big = self.cmp("ogt", x, self.c(85.0 if self.single else 700.0))
        re = self.select(big, self.mul(self.mul(h, c), h), self.mul(e, c))
        im = self.select(big, self.mul(self.mul(h, s), h), self.mul(e, s))
        real_axis = self.cmp("oeq", y, self.c(0.0))
        re, im = self.select(real_axis, e, re), self.select(real_axis, y, im)
        nonfinite_y = self.cmp("uge", self.fabs(y), self.c(pymath.inf))
        inf_x = self.both(self.isinf(x), nonfinite_y)
        positive = self.cmp("ogt", x, self.c(0.0))
        zero = self.c(0.0)
        re = self.select(inf_x, self.select(positive, x, zero), re)
        im = self.select(inf_x, self.select(positive, self.c(pymath.nan), self.copysign(zero, y)), im)
        return re, im

    def log(self, z: Pair) -> Pair:
        """(log |z|, angle z); for 1/2 <= |z| <= 2 the real part is log1p((x - 1)(x + 1) + y^2) / 2,
        accurate near |z| = 1 (log(1 + 1e-8 i) has real part 5e-17, not 0)."""
        x, y = z
        h = self.hypot(x, y)
        one = self.c(1.0)
        near = self.both(self.cmp("oge", h, self.c(0.5)), self.cmp("ole", h, self.c(2.0)))
        t = self.add(self.mul(self.sub(x, one), self.add(x, one)), self.mul(y, y))
        re = self.select(near, self.mul(self(math.Log1pOp(t)), self.c(0.5)), self(math.LogOp(h)))
        return re, self.angle(z)

    def sqrt(self, z: Pair) -> Pair:
        """npy_csqrt: t = sqrt((|a| + |z|) / 2); a >= 0: (t, b / 2t), else (|b| / 2t, copysign(t, b))."""
        a, b = z
        zero, inf = self.c(0.0), self.c(pymath.inf)
        t = self(math.SqrtOp(self.mul(self.add(self(math.AbsFOp(a)), self.hypot(a, b)), self.c(0.5))))
        two_t = self.add(t, t)
        nonnegative = (t, self.div(b, two_t))
        negative = (self.div(self(math.AbsFOp(b)), two_t), self(math.CopySignOp(t, b)))
        r = self.pick(self.cmp("oge", a, zero), nonnegative, negative)
        r = self.pick(self.cmp("oeq", self(math.AbsFOp(b)), inf), (inf, b), r)
        at_zero = self.both(self.cmp("oeq", a, zero), self.cmp("oeq", b, zero))
        return self.pick(at_zero, (zero, b), r)

    # ---- helpers for the elementary functions --------------------------

    @property
    def single(self) -> bool:
        return isinstance(self.t, Float32Type)

    def fabs(self, a: SSAValue) -> SSAValue:
        return self(math.AbsFOp(a))

    def copysign(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(math.CopySignOp(a, b))

    def isnan(self, a: SSAValue) -> SSAValue:
        return self.cmp("uno", a, a)

    def isinf(self, a: SSAValue) -> SSAValue:
        return self.cmp("oeq", self.fabs(a), self.c(pymath.inf))

    def finite(self, a: SSAValue) -> SSAValue:
        return self.cmp("olt", self.fabs(a), self.c(pymath.inf))

    def is_zero(self, a: SSAValue) -> SSAValue:
        return self.cmp("oeq", a, self.c(0.0))

    def nan_not_inf(self, z: Pair) -> SSAValue:
        """A part is nan and none is infinite."""
        inf = self.c(pymath.inf)
        some_nan = self.either(self.isnan(z[0]), self.isnan(z[1]))
        return self.both(some_nan, self.both(self.cmp("ult", self.fabs(z[0]), inf), self.cmp("ult", self.fabs(z[1]), inf)))

    def scaled(self, z: Pair, k: float) -> Pair:
        c = self.c(k)
        return self.mul(z[0], c), self.mul(z[1], c)

    # ---- the elementary functions (numpy's meaning: C99 Annex G's special values) ----

    def _sinh_cosh_parts(self, x: SSAValue, y: SSAValue) -> tuple[SSAValue, SSAValue, SSAValue, SSAValue]:
        """(sinh x cos y, cosh x cos y, sinh x sin y, cosh x sin y) without needless overflow: for |x| past
        a threshold (where e^-|x| no longer counts) sinh and cosh are e^|x| / 2, taken as (h / 2) * h with
        h = e^(|x|/2), so a product like cosh(710) sin(1e-300) stays finite."""
        c, s = self(math.CosOp(y)), self(math.SinOp(y))
        sh, ch = self(math.SinhOp(x)), self(math.CoshOp(x))
        ax = self.fabs(x)
        h = self(math.ExpOp(self.mul(ax, self.c(0.5))))
        half = self.mul(h, self.c(0.5))
        half_signed = self.copysign(half, x)
        big = self.cmp("oge", ax, self.c(9.0 if self.single else 20.0))

        def prod(small_a: SSAValue, big_a: SSAValue, b: SSAValue) -> SSAValue:
            return self.select(big, self.mul(self.mul(big_a, b), h), self.mul(small_a, b))

        return prod(sh, half_signed, c), prod(ch, half, c), prod(sh, half_signed, s), prod(ch, half, s)

    def sinh(self, z: Pair) -> Pair:
        x, y = z
        sh_c, _, _, ch_s = self._sinh_cosh_parts(x, y)
        nonfinite_y = self.cmp("uge", self.fabs(y), self.c(pymath.inf))  # inf or nan
        re = self.select(self.both(self.isinf(x), nonfinite_y), self.c(pymath.inf), sh_c)  # glibc: +inf
        re = self.select(self.both(self.is_zero(x), nonfinite_y), x, re)
        im = self.select(self.is_zero(y), y, ch_s)
        return re, im

    def cosh(self, z: Pair) -> Pair:
        x, y = z
        _, ch_c, sh_s, _ = self._sinh_cosh_parts(x, y)
        nonfinite_y = self.cmp("uge", self.fabs(y), self.c(pymath.inf))
        zero, inf = self.c(0.0), self.c(pymath.inf)
        re = self.select(self.both(self.isinf(x), nonfinite_y), inf, ch_c)
        im = self.select(self.both(self.is_zero(x), nonfinite_y), zero, sh_s)
        y_signed = self.select(self.isnan(x), y, self.mul(y, self.copysign(self.c(1.0), x)))
        im = self.select(self.is_zero(y), y_signed, im)
        return re, im

    def tanh(self, z: Pair) -> Pair:
        """Kahan's algorithm (as FreeBSD's ctanh): t = tan y, s = sinh x, rho = sqrt(1 + s^2),
        (beta rho s, t) / (1 + beta s^2) with beta = 1 + t^2; for large |x| (sign x, 4 sin y cos y e^-2|x|)."""
        x, y = z
        one, zero, nan = self.c(1.0), self.c(0.0), self.c(pymath.nan)
        t = self(math.TanOp(y))
        beta = self.add(one, self.mul(t, t))
        s = self(math.SinhOp(x))
        ss = self.mul(s, s)
        rho = self(math.SqrtOp(self.add(one, ss)))
        denom = self.add(one, self.mul(beta, ss))
        re, im = self.div(self.mul(self.mul(beta, rho), s), denom), self.div(t, denom)
        sin_y, cos_y = self(math.SinOp(y)), self(math.CosOp(y))
        e = self(math.ExpOp(self.neg(self.fabs(x))))
        sign_x = self.copysign(one, x)
        big = self.cmp("oge", self.fabs(x), self.c(9.0 if self.single else 22.0))
        re = self.select(big, sign_x, re)
        im = self.select(big, self.mul(self.mul(self.mul(self.mul(self.c(4.0), sin_y), cos_y), e), e), im)
        # y infinite or nan with x finite: (x if x == 0 else nan, nan)
        bad_y = self.both(self.finite(x), self.cmp("uge", self.fabs(y), self.c(pymath.inf)))
        re = self.select(bad_y, self.select(self.is_zero(x), x, nan), re)
        im = self.select(bad_y, nan, im)
        # x infinite: (sign x, +-0 with the sign of sin y cos y, or of y when y is infinite)
        sign_src = self.select(self.isinf(y), y, self.mul(sin_y, cos_y))
        re = self.select(self.isinf(x), sign_x, re)
        im = self.select(self.isinf(x), self.copysign(zero, sign_src), im)
        # x nan: (nan, y if y == 0 else nan)
        re = self.select(self.isnan(x), x, re)
        im = self.select(self.isnan(x), self.select(self.is_zero(y), y, nan), im)
        return re, im

    def times_i(self, z: Pair) -> Pair:
        return self.neg(z[1]), z[0]

    def times_minus_i(self, z: Pair) -> Pair:
        return z[1], self.neg(z[0])

    def sin(self, z: Pair) -> Pair:
        """sin z = -i sinh(iz); for an infinite y with a non-finite x the imaginary part is +inf (glibc's
        choice of the sign C99 leaves open)."""
        re, im = self.times_minus_i(self.sinh(self.times_i(z)))
        x, y = z
        odd = self.both(self.isinf(y), self.cmp("uge", self.fabs(x), self.c(pymath.inf)))
        return re, self.select(odd, self.fabs(im), im)

    def cos(self, z: Pair) -> Pair:
        return self.cosh(self.times_i(z))  # cos z = cosh(iz)

    def tan(self, z: Pair) -> Pair:
        return self.times_minus_i(self.tanh(self.times_i(z)))  # tan z = -i tanh(iz)

    def _sqrt_1pm(self, z: Pair) -> tuple[Pair, Pair]:
        """sqrt(1 - z), sqrt(1 + z) (the signed zero of -y kept: the cuts of Kahan's formulas)."""
        one = self.c(1.0)
        return self.sqrt((self.sub(one, z[0]), self.neg(z[1]))), self.sqrt((self.add(one, z[0]), z[1]))

    def _asin_finite(self, z: Pair) -> Pair:
        """Kahan: asin z = (atan(x / Re(s1 s2)), asinh(Im(conj(s1) s2))), s1 = sqrt(1 - z), s2 = sqrt(1 + z)."""
        (a, b), (c, d) = self._sqrt_1pm(z)
        re = self(math.AtanOp(self.div(z[0], self.sub(self.mul(a, c), self.mul(b, d)))))
        im = self(math.AsinhOp(self.sub(self.mul(a, d), self.mul(b, c))))
        return re, im

    def asinh(self, z: Pair) -> Pair:
        """asinh z = -i asin(iz) on finite values; C99's casinh special values."""
        x, y = z
        re, im = self.times_minus_i(self._asin_finite(self.times_i(z)))
        # an infinite part: (+-inf with x's sign, atan2(y, |x|)) — covers (inf, nan) and (nan, inf)
        any_inf = self.either(self.isinf(x), self.isinf(y))
        re = self.select(any_inf, self.copysign(self.c(pymath.inf), x), re)
        im = self.select(any_inf, self(math.Atan2Op(y, self.fabs(x))), im)
        # a nan part, no infinite one: (nan, y if y == 0 else nan)
        some_nan = self.nan_not_inf(z)
        nan = self.c(pymath.nan)
        re = self.select(some_nan, nan, re)
        im = self.select(some_nan, self.select(self.is_zero(y), y, nan), im)
        return re, im

    def asin(self, z: Pair) -> Pair:
        return self.times_minus_i(self.asinh(self.times_i(z)))  # asin z = -i asinh(iz)

    def acos(self, z: Pair) -> Pair:
        """Kahan: acos z = (2 atan(Re s1 / Re s2), asinh(Im(conj(s2) s1))); C99's cacos special values."""
        x, y = z
        (a, b), (c, d) = self._sqrt_1pm(z)
        re = self.mul(self.c(2.0), self(math.AtanOp(self.div(a, c))))
        im = self(math.AsinhOp(self.sub(self.mul(c, b), self.mul(d, a))))
        inf, nan = self.c(pymath.inf), self.c(pymath.nan)
        any_inf = self.either(self.isinf(x), self.isinf(y))
        re = self.select(any_inf, self(math.Atan2Op(self.fabs(y), x)), re)
        im = self.select(any_inf, self.neg(self.copysign(inf, y)), im)
        some_nan = self.nan_not_inf(z)
        re = self.select(some_nan, self.select(self.is_zero(x), self.c(pymath.pi / 2), nan), re)
        im = self.select(some_nan, nan, im)
        return re, im

    def acosh(self, z: Pair) -> Pair:
        """From acos z = (rx, ry): (|ry|, rx with y's sign); NaN parts as FreeBSD's cacosh."""
        rx, ry = self.acos(z)
        re = self.fabs(ry)
        im = self.copysign(rx, z[1])
        ry_nan = self.isnan(ry)  # (nan, rx): rx is pi/2 for acosh(+-0 + i nan), as numpy (glibc), else nan
        re = self.select(ry_nan, ry, re)
        im = self.select(self.either(ry_nan, self.isnan(rx)), rx, im)
        return re, im

    def atanh(self, z: Pair) -> Pair:
        """On |x| (atanh is odd; x's sign put back): re = log1p(4|x| / ((1-|x|)^2 + y^2)) / 4,
        im = atan2(2y, (1-|x|)(1+|x|) - y^2) / 2; past 1/eps (where y^2 could overflow): re = (x/h)/h with
        h = hypot(x, y), im = +-pi/2; C99's catanh special values."""
        x, y = z
        one, inf, nan = self.c(1.0), self.c(pymath.inf), self.c(pymath.nan)
        ax = self.fabs(x)
        omx = self.sub(one, ax)
        den = self.add(self.mul(omx, omx), self.mul(y, y))
        q = self.div(self.mul(self.c(4.0), ax), den)
        re = self.mul(self(math.Log1pOp(q)), self.c(0.25))
        # q past 2^(2 mant): log1p(q) = log q = 2 log(2 sqrt|x| / hypot(1-|x|, y)), taken without forming den
        # (which underflows for |x| = 1 and a tiny y)
        log_q_half = self.sub(self.add(self.c(LN2), self.mul(self(math.LogOp(ax)), self.c(0.5))),
                              self(math.LogOp(self.hypot(omx, y))))
        far = self.cmp("ugt", q, self.c(2.0 ** (48 if self.single else 106)))
        re = self.select(far, self.mul(log_q_half, self.c(0.5)), re)
        im = self.mul(self(math.Atan2Op(self.add(y, y), self.sub(self.mul(omx, self.add(one, ax)), self.mul(y, y)))),
                      self.c(0.5))
        half_pi = self.copysign(self.c(pymath.pi / 2), y)
        h = self.hypot(x, y)
        huge = self.cmp("ogt", self(arith.MaximumfOp(ax, self.fabs(y))), self.c(2.0 ** (24 if self.single else 53)))
        re = self.select(huge, self.div(self.div(ax, h), h), re)
        im = self.select(huge, half_pi, im)
        re = self.copysign(re, x)
        re = self.select(self.is_zero(x), x, re)
        any_inf = self.either(self.isinf(x), self.isinf(y))
        re = self.select(any_inf, self.copysign(self.c(0.0), x), re)
        im = self.select(any_inf, self.select(self.isnan(y), y, half_pi), im)
        return re, im

    def atan(self, z: Pair) -> Pair:
        return self.times_minus_i(self.atanh(self.times_i(z)))  # atan z = -i atanh(iz)

    def expm1(self, z: Pair) -> Pair:
        """numpy's nc_expm1: (expm1(x) cos y - 2 sin^2(y/2), e^x sin y)."""
        x, y = z
        h = self(math.SinOp(self.mul(y, self.c(0.5))))
        re = self.sub(self.mul(self(math.ExpM1Op(x)), self(math.CosOp(y))), self.mul(self.c(2.0), self.mul(h, h)))
        return re, self.mul(self(math.ExpOp(x)), self(math.SinOp(y)))

    def log1p(self, z: Pair) -> Pair:
        """(log |1 + z|, atan2(y, 1 + x)); for 1/2 <= |1 + z| <= 2 the real part is
        log1p(x (2 + x) + y^2) / 2. (numpy's nc_log1p takes log hypot(1 + x, y), which loses the digits of
        a small z: log1p(1e-6 + 1e-6 i) off by ~1e6 ulps; here a few ulps of the true value.)"""
        x, y = z
        xp1 = self.add(x, self.c(1.0))
        h = self.hypot(xp1, y)
        near = self.both(self.cmp("oge", h, self.c(0.5)), self.cmp("ole", h, self.c(2.0)))
        t = self.add(self.mul(x, self.add(x, self.c(2.0))), self.mul(y, y))
        re = self.select(near, self.mul(self(math.Log1pOp(t)), self.c(0.5)), self(math.LogOp(h)))
        return re, self(math.Atan2Op(y, xp1))

    def power(self, a: Pair, b: Pair) -> Pair:
        """npy_cpow without its small-integer shortcut: 1 for b == 0; for a == 0, 0 if b is real and > 0, else nan;
        otherwise exp(b log a)."""
        zero, one, nan = self.c(0.0), self.c(1.0), self.c(pymath.nan)
        general = self.exp(self.multiply(b, self.log(a)))
        a_zero = self.both(self.cmp("oeq", a[0], zero), self.cmp("oeq", a[1], zero))
        positive_real = self.both(self.cmp("ogt", b[0], zero), self.cmp("oeq", b[1], zero))
        at_zero = self.pick(positive_real, (zero, zero), (nan, nan))
        r = self.pick(a_zero, at_zero, general)
        b_zero = self.both(self.cmp("oeq", b[0], zero), self.cmp("oeq", b[1], zero))
        return self.pick(b_zero, (one, zero), r)


def _unary(p: Parts, op: Operation, z: Pair) -> Pair | SSAValue:
    x, y = z
    match op:
        case cx.NegOp():
            return p.neg(x), p.neg(y)
        case cx.ConjOp():
            return x, p.neg(y)
        case cx.AbsOp():
            return p.hypot(x, y)
        case cx.AngleOp():
            return p.angle(z)
        case cx.ExpOp():
            return p.exp(z)
        case cx.LogOp():
            return p.log(z)
        case cx.SqrtOp():
            return p.sqrt(z)
        case cx.SinOp():
            return p.sin(z)
        case cx.CosOp():
            return p.cos(z)
        case cx.TanOp():
            return p.tan(z)
        case cx.TanhOp():
            return p.tanh(z)
        case cx.Expm1Op():
            return p.expm1(z)
        case cx.Log1pOp():
            return p.log1p(z)
        case zmath.SinhOp():
            return p.sinh(z)
        case zmath.CoshOp():
            return p.cosh(z)
        case zmath.AsinOp():
            return p.asin(z)
        case zmath.AcosOp():
            return p.acos(z)
        case zmath.AtanOp():
            return p.atan(z)
        case zmath.AsinhOp():
            return p.asinh(z)
        case zmath.AcoshOp():
            return p.acosh(z)
        case zmath.AtanhOp():
            return p.atanh(z)
        case zmath.Exp2Op():  # numpy's nc_exp2: exp of the parts times ln 2
            return p.exp(p.scaled(z, LN2))
        case zmath.Log2Op():  # numpy's nc_log2: the parts of log z times log2(e)
            return p.scaled(p.log(z), LOG2E)
        case zmath.Log10Op():
            return p.scaled(p.log(z), LOG10E)
    raise NotImplementedError(op.name)


def _binary(p: Parts, op: Operation, a: Pair, b: Pair) -> Pair | SSAValue:
    match op:
        case cx.AddOp():
            return p.add(a[0], b[0]), p.add(a[1], b[1])
        case cx.SubOp():
            return p.sub(a[0], b[0]), p.sub(a[1], b[1])
        case cx.MulOp():
            return p.multiply(a, b)
        case cx.DivOp():
            return p.divide(a, b)
        case cx.PowOp():
            return p.power(a, b)
        case cx.EqualOp():
            return p.both(p.cmp("oeq", a[0], b[0]), p.cmp("oeq", a[1], b[1]))
        case cx.NotEqualOp():
            return p.either(p.cmp("une", a[0], b[0]), p.cmp("une", a[1], b[1]))
    raise NotImplementedError(op.name)


UNARY = (cx.NegOp, cx.ConjOp, cx.AbsOp, cx.AngleOp, cx.ExpOp, cx.LogOp, cx.SqrtOp, cx.SinOp, cx.CosOp, cx.TanOp,
         cx.TanhOp, cx.Expm1Op, cx.Log1pOp, *zmath.ZMath.operations)
BINARY = (cx.AddOp, cx.SubOp, cx.MulOp, cx.DivOp, cx.PowOp, cx.EqualOp, cx.NotEqualOp)


class ExpandComplex(RewritePattern):
    """One complex op -> arith/math on parts (+ complex.create for a complex result)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        if isinstance(op, cx.ConstantOp):
            t = op.complex.type
            assert isinstance(t, ComplexType)
            p = Parts(rewriter, t.element_type)
            re, im = (p.c(part.value.data) for part in op.value.data)  # type: ignore[attr-defined]
            rewriter.replace(op, cx.CreateOp(re, im, t))
            return
        if isinstance(op, cx.ReOp | cx.ImOp) and isinstance(op.complex.owner, cx.CreateOp):
            create = op.complex.owner  # re(create(a, b)) -> a
            rewriter.replace(op, [], [create.real if isinstance(op, cx.ReOp) else create.imaginary])
            return
        if not isinstance(op, UNARY + BINARY):
            return
        t = op.operands[0].type
        assert isinstance(t, ComplexType)
        p = Parts(rewriter, t.element_type)
        parts = [p.split(v) for v in op.operands]
        r = _unary(p, op, parts[0]) if isinstance(op, UNARY) else _binary(p, op, parts[0], parts[1])
        if isinstance(r, tuple):
            rewriter.replace(op, cx.CreateOp(r[0], r[1], t))
        else:
            rewriter.replace(op, [], [r])


class ExpandComplexPass(ModulePass):
    """Write complex arithmetic as arith/math on the parts (numpy's algorithms); keep create/re/im."""

    name = "expand-complex"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ExpandComplex(), apply_recursively=True).rewrite_module(op)
