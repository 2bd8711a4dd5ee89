"""`stabilize-mt`: replace numerically fragile formulas by stable equivalents.

Pre-condition: verified mt IR; constants may be emission chains (matched
through `splat_value`). Post-condition: none of the patterns below is
left; each replacement computes the same function, accurately where the
naive form overflows, underflows or cancels (real floats only).

Rewrites (name: before -> after, and why):
- `log1p`: log(1 + x) -> log1p(x) (1 + x rounds away x's digits for small x)
- `log-one-minus`: log(1 - x) -> log1p(-x) (same, for 1 - x)
- `expm1`: exp(x) - 1 -> expm1(x) (cancellation for small x)
- `sigmoid`: 1 / (1 + exp(y)) -> sigmoid(-y); so 1/(1+exp(-x)) -> sigmoid(x) (exp overflow)
- `softplus`: log1p(exp(x)) -> softplus(x) (exp overflow for large x)
- `log-sigmoid`: log(sigmoid(x)) -> -softplus(-x) (sigmoid underflows to 0, log gives -inf)
- `log-one-minus-sigmoid`: log(1 - sigmoid(x)) -> -softplus(x) (1 - sigmoid cancels)
- `div-one-plus-exp`: a / (1 + exp(y)) -> a * sigmoid(-y) (exp overflows to inf; gradients of
  1/(1+exp(-z)) divide by it)
- `sigmoid-times-exp`: sigmoid(-y) * exp(y) -> sigmoid(y), also inside a product a * sigmoid(-y)
  (inf * 0 is NaN; this is the rest of the gradient of 1/(1+exp(-z)))
- `one-minus-sigmoid`: 1 - sigmoid(x) -> sigmoid(-x) (1 - sigmoid rounds to 0 for x > ~37 in
  float64; gradients divide by it, e.g. the logistic loss's d/dp log(1 - p))
- `log-softmax`: log(softmax(x, a)) -> log_softmax(x, a) (softmax underflows to 0)
- `softmax`: exp(x) / broadcast(sum(exp(x), [a]) with a kept) -> softmax(x, a)
  (exp overflows to inf, inf/inf is NaN; mt.softmax subtracts the max)
- `logsumexp`: log(sum(exp(x), axes)) -> m + log(sum(exp(x - m), axes)), m = max(x, axes)
  (exp overflow for large x, log(0) for very negative x)
- `erfc`: 1 - erf(x) -> erfc(x) (cancellation for large x)

Float32 sums: the emitter sums float32 in float64 (`cast -> reduce_sum ->
cast back`); `softmax` and `logsumexp` match through such float casts.

`logsumexp` and edge cases: the shift m is the max with ±inf replaced by
0 (an all -inf slice gives log(0) + 0 = -inf, a +inf gives +inf, NaN
propagates), exactly the naive form's answer there. `mt.reduce_max` of an
empty slice is an error (numpy's meaning), while the naive sum of an empty
slice is 0 and its log -inf; so along every reduced dim that is not
statically non-empty, x gets a -inf slab concatenated before taking the
max (one copy of x; none when the reduced dims are static).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.dialects import tensor
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, op_type_rewrite_pattern

from mlc.dialects import mt
from mlc.passes.mt_rewriting import (
    Builder,
    MtRewrite,
    MtRewritePass,
    element_type,
    is_float,
    is_splat,
    owner,
    replace,
    strip_tensor_casts,
)

# ===----------------------------------------------------------------------=== #
# Matchers
# ===----------------------------------------------------------------------=== #


def one_plus(value: SSAValue) -> SSAValue | None:
    """x if value = 1 + x or x + 1."""
    add = owner(value, mt.AddOp)
    if add is None:
        return None
    if is_splat(add.lhs, 1):
        return add.rhs
    if is_splat(add.rhs, 1):
        return add.lhs
    return None


def one_minus(value: SSAValue) -> SSAValue | None:
    """x if value = 1 - x."""
    sub = owner(value, mt.SubOp)
    return sub.rhs if sub is not None and is_splat(sub.lhs, 1) else None


def through_float_casts(value: SSAValue) -> SSAValue:
    """`value` before casts between float types (tensor.cast or mt.cast)."""
    while isinstance(op := value.owner, mt.CastOp | tensor.CastOp):
        src = op.operands[0]
        if not (is_float(src) and is_float(value)):
            break
        value = src
    return value


def negated(b: Builder, x: SSAValue) -> SSAValue:
    """-x, without building --y when x is -y."""
    neg = owner(x, mt.NegOp)
    return neg.input if neg is not None else b.op(mt.NegOp(x))


def keepdims_pattern(rank: int, axes: list[int]) -> list[int]:
    """The dimshuffle pattern that puts back the reduced `axes` as size-1 dims."""
    pattern, j = [], 0
    for i in range(rank):
        if i in axes:
            pattern.append(-1)
        else:
            pattern.append(j)
            j += 1
    return pattern


# ===----------------------------------------------------------------------=== #
# log1p, expm1, erfc
# ===----------------------------------------------------------------------=== #


class Log1p(MtRewrite):
    """log(1 + x) -> log1p(x)."""

    name = "log1p"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.LogOp, rewriter: PatternRewriter) -> None:
        if is_float(op.input) and (x := one_plus(op.input)) is not None:
            replace(rewriter, op, Builder(rewriter, op).op(mt.Log1pOp(x)))


class LogOneMinus(MtRewrite):
    """log(1 - x) -> log1p(-x)."""

    name = "log-one-minus"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.LogOp, rewriter: PatternRewriter) -> None:
        if is_float(op.input) and (x := one_minus(op.input)) is not None:
            b = Builder(rewriter, op)
            replace(rewriter, op, b.op(mt.Log1pOp(negated(b, x))))


class Expm1(MtRewrite):
    """exp(x) - 1 -> expm1(x)."""

    name = "expm1"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SubOp, rewriter: PatternRewriter) -> None:
        e = owner(op.lhs, mt.ExpOp)
        if e is not None and is_float(op.lhs) and is_splat(op.rhs, 1):
            replace(rewriter, op, Builder(rewriter, op).op(mt.Expm1Op(e.input)))


class Erfc(MtRewrite):
    """1 - erf(x) -> erfc(x)."""

    name = "erfc"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SubOp, rewriter: PatternRewriter) -> None:
        e = owner(op.rhs, mt.ErfOp)
        if e is not None and is_splat(op.lhs, 1):
            replace(rewriter, op, Builder(rewriter, op).op(mt.ErfcOp(e.input)))


# ===----------------------------------------------------------------------=== #
# sigmoid, softplus
# ===----------------------------------------------------------------------=== #


class Sigmoid(MtRewrite):
    """1 / (1 + exp(y)) -> sigmoid(-y), also as reciprocal(1 + exp(y))."""

    name = "sigmoid"

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, mt.DivOp) and is_splat(op.lhs, 1):
            denominator = op.rhs
        elif isinstance(op, mt.ReciprocalOp):
            denominator = op.input
        else:
            return
        if not is_float(denominator):
            return
        x = one_plus(denominator)
        e = owner(x, mt.ExpOp) if x is not None else None
        if e is not None:
            b = Builder(rewriter, op)
            replace(rewriter, op, b.op(mt.SigmoidOp(negated(b, e.input))))


class Softplus(MtRewrite):
    """log1p(exp(x)) -> softplus(x) (log(1 + exp(x)) becomes log1p(exp(x)) first)."""

    name = "softplus"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.Log1pOp, rewriter: PatternRewriter) -> None:
        e = owner(op.input, mt.ExpOp)
        if e is not None and is_float(op.input):
            replace(rewriter, op, Builder(rewriter, op).op(mt.SoftplusOp(e.input)))


class LogSigmoid(MtRewrite):
    """log(sigmoid(x)) -> -softplus(-x)."""

    name = "log-sigmoid"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.LogOp, rewriter: PatternRewriter) -> None:
        s = owner(op.input, mt.SigmoidOp)
        if s is not None:
            b = Builder(rewriter, op)
            replace(rewriter, op, b.op(mt.NegOp(b.op(mt.SoftplusOp(negated(b, s.input))))))


class LogOneMinusSigmoid(MtRewrite):
    """log(1 - sigmoid(x)) -> -softplus(x)."""

    name = "log-one-minus-sigmoid"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.LogOp, rewriter: PatternRewriter) -> None:
        x = one_minus(op.input)
        s = owner(x, mt.SigmoidOp) if x is not None else None
        if s is not None:
            b = Builder(rewriter, op)
            replace(rewriter, op, b.op(mt.NegOp(b.op(mt.SoftplusOp(s.input)))))


class DivOnePlusExp(MtRewrite):
    """a / (1 + exp(y)) -> a * sigmoid(-y) (a = 1 is the `sigmoid` rewrite's)."""

    name = "div-one-plus-exp"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.DivOp, rewriter: PatternRewriter) -> None:
        if is_splat(op.lhs, 1) or not is_float(op.rhs):
            return
        x = one_plus(op.rhs)
        e = owner(x, mt.ExpOp) if x is not None else None
        if e is not None:
            b = Builder(rewriter, op)
            replace(rewriter, op, b.op(mt.MulOp(op.lhs, b.op(mt.SigmoidOp(negated(b, e.input))))))


def _negation_of(a: SSAValue, b: SSAValue) -> bool:
    """Is a == -b (one of them an mt.neg of the other)?"""
    na, nb = owner(a, mt.NegOp), owner(b, mt.NegOp)
    return (na is not None and na.input == b) or (nb is not None and nb.input == a)


class SigmoidTimesExp(MtRewrite):
    """sigmoid(-y) * exp(y) -> sigmoid(y); with one more factor: (a * sigmoid(-y)) * exp(y) -> a * sigmoid(y)."""

    name = "sigmoid-times-exp"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.MulOp, rewriter: PatternRewriter) -> None:
        for e_side, other in ((op.rhs, op.lhs), (op.lhs, op.rhs)):
            e = owner(e_side, mt.ExpOp)
            if e is None:
                continue
            s = owner(other, mt.SigmoidOp)
            if s is not None and _negation_of(s.input, e.input):
                replace(rewriter, op, Builder(rewriter, op).op(mt.SigmoidOp(e.input)))
                return
            inner = owner(other, mt.MulOp)
            if inner is None:
                continue
            for s_side, a in ((inner.rhs, inner.lhs), (inner.lhs, inner.rhs)):
                s = owner(s_side, mt.SigmoidOp)
                if s is not None and _negation_of(s.input, e.input):
                    b = Builder(rewriter, op)
                    replace(rewriter, op, b.op(mt.MulOp(a, b.op(mt.SigmoidOp(e.input)))))
                    return


class OneMinusSigmoid(MtRewrite):
    """1 - sigmoid(x) -> sigmoid(-x)."""

    name = "one-minus-sigmoid"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SubOp, rewriter: PatternRewriter) -> None:
        if not is_splat(op.lhs, 1):
            return
        if op.result.uses and all(isinstance(u.operation, mt.LogOp) for u in op.result.uses):
            return  # log(1 - sigmoid(x)) is log-one-minus-sigmoid's, one rewrite to -softplus(x)
        s = owner(op.rhs, mt.SigmoidOp)
        if s is not None:
            b = Builder(rewriter, op)
            replace(rewriter, op, b.op(mt.SigmoidOp(negated(b, s.input))))


# ===----------------------------------------------------------------------=== #
# softmax, log_softmax, logsumexp
# ===----------------------------------------------------------------------=== #


class LogSoftmax(MtRewrite):
    """log(softmax(x, a)) -> log_softmax(x, a)."""

    name = "log-softmax"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.LogOp, rewriter: PatternRewriter) -> None:
        s = owner(op.input, mt.SoftmaxOp)
        if s is not None:
            new = mt.LogSoftmaxOp(s.input, s.axis.value.data)
            replace(rewriter, op, Builder(rewriter, op).op(new))


def sum_of_exp(value: SSAValue) -> tuple[mt.ReduceSumOp, mt.ExpOp] | None:
    """(sum, exp) if value = [float casts] reduce_sum([float casts] exp(x), axes)."""
    s = owner(through_float_casts(value), mt.ReduceSumOp)
    if s is None:
        return None
    e = owner(through_float_casts(s.input), mt.ExpOp)
    return (s, e) if e is not None else None


class Softmax(MtRewrite):
    """exp(x) / broadcast(dimshuffle(sum(exp(x), [a]))) -> softmax(x, a).

    The denominator is the sum over one axis put back as a size-1 dim
    (Theano's keepdims) and broadcast to x's shape; the two exps may be
    different ops (before CSE) on the same x.
    """

    name = "softmax"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.DivOp, rewriter: PatternRewriter) -> None:
        num = owner(op.lhs, mt.ExpOp)
        if num is None or not is_float(op.lhs):
            return
        x = num.input
        d = strip_tensor_casts(op.rhs)
        if (b := owner(d, mt.BroadcastOp)) is not None:
            d = strip_tensor_casts(b.input)
        ds = owner(d, mt.DimShuffleOp)
        found = sum_of_exp(ds.input) if ds is not None else None
        if found is None:
            return
        s, e = found
        axes = list(s.axes.get_values())
        rank = x.type.get_num_dims()
        if e.input is not x or len(axes) != 1 or list(ds.pattern.get_values()) != keepdims_pattern(rank, axes):
            return
        replace(rewriter, op, Builder(rewriter, op).op(mt.SoftmaxOp(x, axes[0])))


def _pad_for_max(b: Builder, x: SSAValue, axes: list[int]) -> SSAValue:
    """x with a -inf slab concatenated along each reduced dim not known to be non-empty."""
    t = x.type
    assert isinstance(t, TensorType)
    rank, dtype = t.get_num_dims(), mt.numpy_dtype(t.element_type)
    for a in axes:
        if t.get_shape()[a] not in (mt.DYN, 0):
            continue
        xt = x.type
        assert isinstance(xt, TensorType)
        dims = list(xt.get_shape())
        dims[a] = 1
        slab_t = TensorType(xt.element_type, dims)
        if slab_t.has_static_shape():
            slab = b.const(np.full(dims, -np.inf, dtype=dtype))
        else:
            mask = b.const(np.arange(rank) == a)
            ones = b.const(np.ones(rank, dtype=np.int64))
            shape = b.op(mt.SelectOp(mask, ones, b.shape(x)))
            small = b.const(np.full((1,) * rank, -np.inf, dtype=dtype))
            slab = b.op(mt.BroadcastOp(small, slab_t, shape))
        x = b.op(mt.ConcatenateOp([x, slab], a))
    return x


def is_max_shifted(x: SSAValue) -> bool:
    """x = y - broadcast(max(...)) (maybe with the ±inf guard): exp(x) cannot overflow.

    Keeps `logsumexp` from matching its own output, and leaves a
    hand-written `log(sum(exp(x - max(x)))) + max(x)` alone.
    """
    sub = owner(x, mt.SubOp)
    if sub is None:
        return False
    shift = sub.rhs
    while isinstance(op := shift.owner, mt.BroadcastOp | mt.DimShuffleOp | tensor.CastOp):
        shift = op.operands[0]
    if (guard := owner(shift, mt.SelectOp)) is not None:
        shift = guard.on_false
    return owner(shift, mt.ReduceMaxOp) is not None


class LogSumExp(MtRewrite):
    """log(sum(exp(x), axes)) -> m + log(sum(exp(x - m), axes)), m = max(x, axes), ±inf -> 0."""

    name = "logsumexp"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.LogOp, rewriter: PatternRewriter) -> None:
        found = sum_of_exp(op.input)
        if found is None or not is_float(op.input):
            return
        s, e = found
        x = e.input
        axes = list(s.axes.get_values())
        if not axes or is_max_shifted(x):
            return
        b = Builder(rewriter, op)
        # 1. The shift: the max over the reduced axes, 0 where it is ±inf (or the slice is empty).
        m = b.op(mt.ReduceMaxOp(_pad_for_max(b, x, axes), axes))
        m = b.op(mt.SelectOp(b.op(mt.IsinfOp(m)), b.splat(0, m), m))
        shift = b.broadcast_to(b.op(mt.DimShuffleOp(m, keepdims_pattern(x.type.get_num_dims(), axes))), x)
        # 2. The sum of the shifted exps, accumulated in the original sum's element type.
        shifted = b.op(mt.ExpOp(b.op(mt.SubOp(x, shift))))
        total = b.op(mt.ReduceSumOp(b.cast(shifted, element_type(s.input)), axes))
        total = b.retype(b.cast(total, element_type(op.input)), op.input.type)
        # 3. log, plus the shift back.
        log = b.op(mt.LogOp(total))
        replace(rewriter, op, b.op(mt.AddOp(log, b.retype(b.cast(m, element_type(log)), log.type))))


PATTERNS: list[MtRewrite] = [
    # On log: the sigmoid forms before the generic log(1 - x), softmax before logsumexp.
    LogOneMinusSigmoid(),
    LogSigmoid(),
    LogSoftmax(),
    LogSumExp(),
    Log1p(),
    LogOneMinus(),
    Softplus(),
    Expm1(),
    Erfc(),
    Sigmoid(),
    DivOnePlusExp(),
    SigmoidTimesExp(),
    OneMinusSigmoid(),
    Softmax(),
]


@dataclass(frozen=True)
class MtStabilizePass(MtRewritePass):
    """Replace numerically fragile mt formulas by stable ones (see the module docstring)."""

    name = "stabilize-mt"
    PATTERNS: ClassVar = PATTERNS
