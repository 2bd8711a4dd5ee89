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
* `eq` compares both parts (ordered), `neq` is its negation (nan != nan).
"""

from __future__ import annotations

import math as pymath

from xdsl.context import Context
from xdsl.dialects import arith, math
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import ComplexType, FloatAttr, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

Pair = tuple[SSAValue, SSAValue]


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
        """e^x (cos y + i sin y); a zero imaginary part stays exact (exp(inf + 0j) = inf + 0j)."""
        x, y = z
        e = self(math.ExpOp(x))
        re, im = self.mul(e, self(math.CosOp(y))), self.mul(e, self(math.SinOp(y)))
        real_axis = self.cmp("oeq", y, self.c(0.0))
        return self.select(real_axis, e, re), self.select(real_axis, y, im)

    def log(self, z: Pair) -> Pair:
        return self(math.LogOp(self.hypot(*z))), self.angle(z)

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


UNARY = (cx.NegOp, cx.ConjOp, cx.AbsOp, cx.AngleOp, cx.ExpOp, cx.LogOp, cx.SqrtOp)
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
