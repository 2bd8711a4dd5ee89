"""`simplify-mt`: arithmetic and shape-op simplification on `mt`.

Pre-condition: verified mt IR. Constants may still be emission chains
(`mt.constant -> mt.dimshuffle -> mt.cast -> mt.broadcast`): every rule
that matches a constant asks `splat_value`, which sees through them.
Post-condition: none of the rewrites below matches; results equal the
original's within floating-point tolerance, except where a rule is tagged
`nan-unsafe` or `signed-zero-unsafe` (see below). Every replacement has exactly the replaced op's
type (through a `tensor.cast` where only static dims differ).

Rewrites (name: before -> after). Trivial identities are tables, one line each:
- neutral operands: `add-zero` [signed-zero-unsafe] x+0, 0+x -> x; `sub-zero` x-(+0) -> x;
  `mul-one` x*1, 1*x -> x; `div-one` x/1 -> x; `pow-one` x**1 -> x
- `mul-zero-int`: x*0 -> 0 for integers only (for floats inf*0 is NaN)
- `zero-sub` [signed-zero-unsafe]: 0-x -> -x
- powers: `pow-zero` x**0 -> 1; `pow-two` x**2 -> x*x; `pow-half` x**0.5 -> sqrt(x);
  `pow-neg-one` x**-1 -> reciprocal(x)
- `neg-neg`: --x -> x (also a canonicalization pattern of mt.neg)
- `log-exp`: log(exp(x)) -> x (real floats)
- `sqrt-square`: sqrt(x*x) -> abs(x) (real floats)
- `sub-self` [nan-unsafe]: x-x -> zeros
- `mul-div-cancel` [nan-unsafe]: x*y/x, y*x/x -> y
- `dimshuffle-dimshuffle`: dimshuffle(dimshuffle(x, p), q) -> dimshuffle(x, p∘q) (A.T.T -> A)
- `reduce-reduce`: reduce_k(reduce_k(x, a), b) -> reduce_k(x, a ∪ b) (A.sum(0).sum() -> A.sum())
- `sum-scale`: sum(s*x) -> s*sum(x) for s broadcast along the summed axes
- `reshape-reshape`: reshape(reshape(x, s1), s2) -> reshape(x, s2)
- `reshape-own-shape`: reshape(x, shape(x)) -> x
- `slice-slice`: x[a:b:c][d:e:f] -> x[...] for static entries (x[2:][1:] -> x[3:])
- `select-same`: select(c, x, x) -> x
- `select-const-cond`: select(true, a, b) -> a, select(false, a, b) -> b
- `cast-cast`: cast(cast(x, B), C) -> cast(x, C) when x -> B is exact (not int -> float -> int)
- `broadcast-broadcast`: broadcast(broadcast(x, s1), s2) -> broadcast(x, s2)
- `broadcast-own-shape`: broadcast(x, shape(x)) -> x
- `shape-vector-entries`: concatenate([x.shape[0]], [x.shape[1]], ...) -> shape(x)
  (Theano's `alloc(x, *x.shape)`, `x.reshape(x.shape)`; static dims may appear as constants)

Numerics: `x + 0 -> x` keeps -0.0 where numpy gives +0.0 (and `0 - x ->
-x` gives -0.0 for x = +0.0): tagged `signed-zero-unsafe`, a difference
only 1/x, atan2 or copysign can see (Theano made the same trade); `x**0.5 ->
sqrt(x)` gives NaN at -inf (numpy's power gives +inf); `log(exp(x)) -> x`
and `sqrt(x*x) -> abs(x)` are exact where the original overflows to inf.
The merged reductions and `sum-scale` round once less (more accurate).
`nan-unsafe` rules give a number where the original is NaN: `x - x` for
x = ±inf/NaN, `x*y/x` for x = 0/±inf. Exclude the tag to keep IEEE
results: `config.optimizer_excluding = 'nan-unsafe'`.

Shape checks: the neutral-operand rules (x * ones((2, 3)) -> x),
`sub-self`, `mul-zero-int`, `select-*`, `broadcast-*`, `reshape-*`,
`slice-slice` and `mul-div-cancel` drop an op (or an operand) whose
run-time shape agreement the original would check; the
graph's ShapePlan checks every shape in Python before any IR runs, so no
error is hidden from the user (see `mlc.passes.mt_rewriting`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects import tensor
from xdsl.dialects.builtin import TensorType, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, op_type_rewrite_pattern

from mlc.dialects import mt
from mlc.passes.mt_rewriting import (
    Builder,
    MtRewrite,
    MtRewritePass,
    element_type,
    is_float,
    is_int,
    is_splat,
    lossless_cast,
    owner,
    replace,
    splat_value,
    strip_tensor_casts,
)

# ===----------------------------------------------------------------------=== #
# Tables: one-line identities
# ===----------------------------------------------------------------------=== #

Build = Callable[[Builder, SSAValue, SSAValue], SSAValue]
"""(builder, other operand, splat operand) -> replacement value."""


class SplatOperand(MtRewrite):
    """`op(x, c)` (or `op(c, x)` when `either_side`) with c a splat of `number` -> build(x, c).

    With `zero_sign`, a zero splat must also have the sign of `number` (x - (+0.0) is exactly x,
    x - (-0.0) is not for x = -0.0).
    """

    def __init__(
        self,
        name: str,
        op: type[Operation],
        number: float,
        build: Build,
        either_side: bool = False,
        when: Callable[[SSAValue], bool] = lambda x: True,
        zero_sign: bool = False,
        tags: tuple[str, ...] = (),
    ):
        self.name, self.op_type, self.number, self.build = name, op, number, build
        self.either_side, self.when, self.zero_sign, self.tags = either_side, when, zero_sign, tags

    def matches(self, c: SSAValue) -> bool:
        if not is_splat(c, self.number):
            return False
        v = splat_value(c)
        return not (
            self.zero_sign and isinstance(v, float) and math.copysign(1.0, v) != math.copysign(1.0, self.number)
        )

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if type(op) is not self.op_type:
            return
        lhs, rhs = op.operands
        for x, c in ((lhs, rhs), (rhs, lhs)) if self.either_side else ((lhs, rhs),):
            if self.when(x) and self.matches(c):
                replace(rewriter, op, self.build(Builder(rewriter, op), x, c))
                return


def _keep(b: Builder, x: SSAValue, c: SSAValue) -> SSAValue:
    return x


def _splat(b: Builder, x: SSAValue, c: SSAValue) -> SSAValue:
    return c


def _unary(cls: type[Operation]) -> Build:
    return lambda b, x, c: b.op(cls(x))


SZ = "signed-zero-unsafe"
"""Tag of rewrites that may turn a +0.0 result into -0.0 or back (seen only through 1/x, atan2, copysign)."""

SPLAT_OPERAND_RULES: list[MtRewrite] = [
    SplatOperand("add-zero", mt.AddOp, 0, _keep, either_side=True, tags=(SZ,)),  # x + 0 -> x
    SplatOperand("sub-zero", mt.SubOp, 0.0, _keep, zero_sign=True),  # x - (+0) -> x
    SplatOperand("mul-one", mt.MulOp, 1, _keep, either_side=True),  # x * 1 -> x
    SplatOperand("div-one", mt.DivOp, 1, _keep),  # x / 1 -> x
    SplatOperand("pow-one", mt.PowOp, 1, _keep),  # x ** 1 -> x
    SplatOperand("mul-zero-int", mt.MulOp, 0, _splat, either_side=True, when=is_int),  # x * 0 -> 0 (ints)
    SplatOperand("pow-zero", mt.PowOp, 0, lambda b, x, c: b.splat(1, x)),  # x ** 0 -> 1
    SplatOperand("pow-two", mt.PowOp, 2, lambda b, x, c: b.op(mt.MulOp(x, x))),  # x ** 2 -> x * x
    SplatOperand("pow-half", mt.PowOp, 0.5, _unary(mt.SqrtOp), when=is_float),  # x ** 0.5 -> sqrt(x)
    SplatOperand("pow-neg-one", mt.PowOp, -1, _unary(mt.ReciprocalOp), when=is_float),  # x ** -1 -> 1/x
]


class ZeroSub(MtRewrite):
    """0 - x -> -x (for x = +0.0 numpy gives +0.0, neg gives -0.0: tagged)."""

    name = "zero-sub"
    tags = (SZ,)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SubOp, rewriter: PatternRewriter) -> None:
        if is_splat(op.lhs, 0):
            replace(rewriter, op, Builder(rewriter, op).op(mt.NegOp(op.rhs)))


class UnaryOfUnary(MtRewrite):
    """`outer(inner(x))` -> build(x) for two elementwise unary ops."""

    def __init__(
        self,
        name: str,
        outer: type[Operation],
        inner: type[Operation],
        build: Callable[[Builder, SSAValue], SSAValue],
        when: Callable[[SSAValue], bool],
    ):
        self.name, self.outer, self.inner, self.build, self.when = name, outer, inner, build, when

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if type(op) is not self.outer or not isinstance(inner := op.operands[0].owner, self.inner):
            return
        x = inner.operands[0]
        if self.when(x):
            replace(rewriter, op, self.build(Builder(rewriter, op), x))


UNARY_RULES: list[MtRewrite] = [
    UnaryOfUnary("neg-neg", mt.NegOp, mt.NegOp, lambda b, x: x, lambda x: True),  # --x -> x
    UnaryOfUnary("log-exp", mt.LogOp, mt.ExpOp, lambda b, x: x, is_float),  # log(exp(x)) -> x
]


class SqrtSquare(MtRewrite):
    """sqrt(x*x) -> abs(x): no overflow of x*x, exact."""

    name = "sqrt-square"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SqrtOp, rewriter: PatternRewriter) -> None:
        m = owner(op.input, mt.MulOp)
        if m is not None and m.lhs is m.rhs and is_float(m.lhs):
            replace(rewriter, op, Builder(rewriter, op).op(mt.AbsOp(m.lhs)))


class SubSelf(MtRewrite):
    """x - x -> zeros (NaN for inf/NaN x in IEEE arithmetic, hence the tag)."""

    name = "sub-self"
    tags = ("nan-unsafe",)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SubOp, rewriter: PatternRewriter) -> None:
        if op.lhs is op.rhs:
            replace(rewriter, op, Builder(rewriter, op).splat(0, op.lhs))


class MulDivCancel(MtRewrite):
    """(x*y)/x -> y and (y*x)/x -> y (NaN for x = 0 or ±inf in IEEE arithmetic, hence the tag)."""

    name = "mul-div-cancel"
    tags = ("nan-unsafe",)

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.DivOp, rewriter: PatternRewriter) -> None:
        m = owner(op.lhs, mt.MulOp)
        if m is None or not is_float(op.lhs):
            return
        if m.lhs is op.rhs:
            replace(rewriter, op, m.rhs)
        elif m.rhs is op.rhs:
            replace(rewriter, op, m.lhs)


# ===----------------------------------------------------------------------=== #
# Shape ops
# ===----------------------------------------------------------------------=== #


class DimShuffleDimShuffle(MtRewrite):
    """dimshuffle(dimshuffle(x, p), q) -> dimshuffle(x, r), r[j] = -1 if q[j] == -1 else p[q[j]].

    `A.T.T` composes to the identity pattern, which canonicalize removes.
    """

    name = "dimshuffle-dimshuffle"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.DimShuffleOp, rewriter: PatternRewriter) -> None:
        inner = owner(op.input, mt.DimShuffleOp)
        if inner is None:
            return
        p, q = inner.pattern.get_values(), op.pattern.get_values()
        composed = [-1 if j == -1 else p[j] for j in q]
        replace(rewriter, op, Builder(rewriter, op).op(mt.DimShuffleOp(inner.input, composed)))


_FLOAT_ROUND_TRIP = (mt.f16, mt.f32, mt.f64)


def _through_round_trip(value: SSAValue) -> SSAValue | None:
    """The value a reduction's operand was computed from, or None if it has other uses.

    Skips tensor.casts and a float round trip cast(cast(y, B), A) with y of
    type A: the emitter reduces float32 in float64 and casts each result
    back, so `A.sum(0).sum()` has f64 -> f32 -> f64 between the two sums;
    skipping the round trip only drops a rounding step.
    """
    chain = [value]
    value = strip_tensor_casts(value)
    up = owner(value, mt.CastOp)
    if up is not None:
        down = strip_tensor_casts(up.input)
        if isinstance(d := down.owner, mt.CastOp | tensor.CastOp):
            src = strip_tensor_casts(d.operands[0])
            if element_type(src) == element_type(value) and element_type(value) in _FLOAT_ROUND_TRIP:
                chain += [value, up.input, down, d.operands[0]]
                value = src
    chain.append(value)
    if not all(v.has_one_use() for v in chain):
        return None
    return value


class ReduceReduce(MtRewrite):
    """reduce_k(reduce_k(x, a), b) -> reduce_k(x, a ∪ b) for one kind k (sum, prod, max, ...).

    Fires only when the inner reduction has no other use (else x would be
    reduced twice). The axes b of the outer op are renumbered into x's dims.
    """

    name = "reduce-reduce"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ReduceOp, rewriter: PatternRewriter) -> None:
        inner_value = _through_round_trip(op.input)
        if inner_value is None or type(inner := inner_value.owner) is not type(op):
            return
        assert isinstance(inner, mt.ReduceOp)
        x = inner.input
        first = list(inner.axes.get_values())
        kept = [i for i in range(x.type.get_num_dims()) if i not in first]
        merged = sorted(first + [kept[j] for j in op.axes.get_values()])
        if element_type(x) != element_type(op.result):
            return
        replace(rewriter, op, Builder(rewriter, op).op(type(op)(x, merged)))


class SumScale(MtRewrite):
    """sum(s*x, axes) -> s'*sum(x, axes) where s = broadcast(v) and v is 1 along the summed axes.

    s' is v without the summed axes, broadcast to the sum's shape: the
    multiplication runs on the (smaller) result. A widening cast between
    the product and the sum (float32 sums accumulate in float64) is kept,
    applied to x and v.
    """

    name = "sum-scale"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ReduceSumOp, rewriter: PatternRewriter) -> None:
        y = op.input
        cast = owner(y, mt.CastOp)
        if cast is not None:
            # Only float widening: an int8 product wraps where an int64 one would not.
            if not (is_float(cast.input) and lossless_cast(element_type(cast.input), element_type(y))):
                return
            if not y.has_one_use():
                return
            y = cast.input
        m = owner(y, mt.MulOp)
        if m is None or not y.has_one_use():
            return
        axes = list(op.axes.get_values())
        for s, x in ((m.lhs, m.rhs), (m.rhs, m.lhs)):
            b = owner(s, mt.BroadcastOp)
            if b is None:
                continue
            v_shape = b.input.type.get_shape()
            if axes and all(v_shape[a] == 1 for a in axes):
                build = Builder(rewriter, op)
                elem = element_type(op.result)
                total = build.op(mt.ReduceSumOp(build.cast(x, elem), axes))
                kept = [i for i in range(len(v_shape)) if i not in axes]
                scale = build.op(mt.DimShuffleOp(build.cast(b.input, elem), kept))
                replace(rewriter, op, build.op(mt.MulOp(build.broadcast_to(scale, total), total)))
                return


class ReshapeReshape(MtRewrite):
    """reshape(reshape(x, s1), s2) -> reshape(x, s2): row-major order is unchanged."""

    name = "reshape-reshape"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ReshapeOp, rewriter: PatternRewriter) -> None:
        inner = owner(strip_tensor_casts(op.input), mt.ReshapeOp)
        if inner is None:
            return
        new = mt.ReshapeOp(inner.input, op.result.type, op.shape)
        replace(rewriter, op, Builder(rewriter, op).op(new))


class ReshapeOwnShape(MtRewrite):
    """reshape(x, shape(x)) -> x (`x.reshape(x.shape)`)."""

    name = "reshape-own-shape"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ReshapeOp, rewriter: PatternRewriter) -> None:
        if op.shape is None:
            return
        s = owner(strip_tensor_casts(op.shape), mt.ShapeOp)
        x = strip_tensor_casts(op.input)
        if s is not None and strip_tensor_casts(s.input) is x and _same_dims(x.type, op.result.type):
            replace(rewriter, op, x)


def _compose_slice(n: int, inner: tuple[int, int, int], outer: tuple[int, int, int]):
    """One dim of x[inner][outer] as one slice of x, or None when it depends on run-time sizes."""
    NONE = mt.SLICE_NONE
    if mt.SLICE_DYNAMIC in inner + outer:
        return None
    identity = (NONE, NONE)
    if outer[:2] == identity and outer[2] in (NONE, 1):
        return inner
    if inner[:2] == identity and inner[2] in (NONE, 1):
        return outer

    def py(entry: tuple[int, ...]) -> tuple[int | None, ...]:
        return tuple(None if f == NONE else f for f in entry)

    def code(f: int | None) -> int:
        return NONE if f is None else f

    if n != mt.DYN:
        r = range(n)[slice(*py(inner))][slice(*py(outer))]
        if len(r) == 0:
            return (0, 0, NONE)
        stop = None if r.stop < 0 else r.stop
        composed = (r.start, stop, r.step)
        if range(n)[slice(*composed)] != r:
            return None
        return tuple(code(f) for f in composed)
    # Unknown size: compose only non-negative starts/stops with positive steps.
    (s1, e1, k1), (s2, e2, k2) = py(inner), py(outer)
    s1, k1, s2, k2 = s1 or 0, k1 or 1, s2 or 0, k2 or 1
    if min(s1, k1 - 1, s2, k2 - 1) < 0 or (e1 is not None and e1 < 0) or (e2 is not None and e2 < 0):
        return None
    stops = [e for e in (e1, None if e2 is None else s1 + e2 * k1) if e is not None]
    return (s1 + s2 * k1, code(min(stops)) if stops else NONE, k1 * k2 if k1 * k2 != 1 else NONE)


class SliceSlice(MtRewrite):
    """x[a:b:c][d:e:f] -> one slice of x, dim by dim, where the entries are static.

    With a static dim the composition is exact Python range arithmetic;
    with a dynamic one only non-negative starts/stops and positive steps
    compose (x[2:][1:] -> x[3:]).
    """

    name = "slice-slice"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SliceOp, rewriter: PatternRewriter) -> None:
        inner = owner(strip_tensor_casts(op.input), mt.SliceOp)
        if inner is None or op.dyn or inner.dyn:
            return
        dims = inner.input.type.get_shape()
        composed = [_compose_slice(n, i, o) for n, i, o in zip(dims, inner.entries(), op.entries())]
        if any(c is None for c in composed):
            return
        fields = [[None if f == mt.SLICE_NONE else f for f in c] for c in composed]
        starts, stops, steps = ([f[k] for f in fields] for k in range(3))
        new = mt.SliceOp(inner.input, starts, stops, steps)
        if not _same_dims(new.result.type, op.result.type):
            return
        replace(rewriter, op, Builder(rewriter, op).op(new))


def _same_dims(a, b) -> bool:
    """Types that differ at most in which dims are static (so tensor.cast relates them)."""
    assert isinstance(a, TensorType) and isinstance(b, TensorType)
    if a.element_type != b.element_type or a.get_num_dims() != b.get_num_dims():
        return False
    return all(x == y or mt.DYN in (x, y) for x, y in zip(a.get_shape(), b.get_shape()))


# ===----------------------------------------------------------------------=== #
# select, cast, broadcast
# ===----------------------------------------------------------------------=== #


class SelectSame(MtRewrite):
    """select(c, x, x) -> x."""

    name = "select-same"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SelectOp, rewriter: PatternRewriter) -> None:
        if op.on_true is op.on_false:
            replace(rewriter, op, op.on_true)


class SelectConstCond(MtRewrite):
    """select(true, a, b) -> a; select(false, a, b) -> b (a splat condition)."""

    name = "select-const-cond"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.SelectOp, rewriter: PatternRewriter) -> None:
        c = splat_value(op.cond)
        if c is not None:
            replace(rewriter, op, op.on_true if c else op.on_false)


class CastCast(MtRewrite):
    """cast(cast(x, B), C) -> cast(x, C) when every x value is exact in B (f32 -> f64 -> f32 is x)."""

    name = "cast-cast"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.CastOp, rewriter: PatternRewriter) -> None:
        inner = owner(op.input, mt.CastOp)
        if inner is None or not lossless_cast(element_type(inner.input), element_type(inner.result)):
            return
        a, b, c = (mt.numpy_dtype(element_type(v)).kind for v in (inner.input, inner.result, op.result))
        if a in "biu" and b in "fc" and c in "iu":
            return  # int -> float -> int: out-of-range float -> int differs from int -> int wrapping
        x = inner.input
        if x.type == op.result.type:
            replace(rewriter, op, x)
        else:
            replace(rewriter, op, Builder(rewriter, op).op(mt.CastOp(x, op.result.type)))


class BroadcastBroadcast(MtRewrite):
    """broadcast(broadcast(x, s1), s2) -> broadcast(x, s2)."""

    name = "broadcast-broadcast"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.BroadcastOp, rewriter: PatternRewriter) -> None:
        inner = owner(op.input, mt.BroadcastOp)
        if inner is not None:
            new = mt.BroadcastOp(inner.input, op.result.type, op.shape)
            replace(rewriter, op, Builder(rewriter, op).op(new))


class BroadcastOwnShape(MtRewrite):
    """broadcast(x, shape(x)) -> x: x already has the shape (a value of that shape)."""

    name = "broadcast-own-shape"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.BroadcastOp, rewriter: PatternRewriter) -> None:
        if op.shape is None:
            return
        s = owner(strip_tensor_casts(op.shape), mt.ShapeOp)
        same_value = s is not None and strip_tensor_casts(s.input) is strip_tensor_casts(op.input)
        if same_value and _same_dims(op.input.type, op.result.type):
            replace(rewriter, op, op.input)


def _shape_entries(part: SSAValue) -> list[tuple[SSAValue, int] | int] | None:
    """The entries of a rank-1 i64 part of a shape vector: (shape vector, index) or a constant."""
    part = strip_tensor_casts(part)
    op = part.owner
    if isinstance(op, mt.ConstantOp):
        return [int(d) for d in op.to_numpy().ravel()]
    if isinstance(op, mt.ShapeOp):
        return [(part, j) for j in range(op.input.type.get_num_dims())]
    if isinstance(op, mt.SliceOp) and not op.dyn:
        ((start, stop, step),) = op.entries()
        vec = strip_tensor_casts(op.input)
        if owner(vec, mt.ShapeOp) is None or step not in (1, mt.SLICE_NONE) or min(start, stop) < 0:
            return None
        return [(vec, j) for j in range(start, stop)]
    if isinstance(op, mt.DimShuffleOp) and op.pattern.get_values() == (-1,):
        index = owner(op.input, mt.IndexOp)
        if index is None or not isinstance(j := splat_value(index.index), int) or j < 0:
            return None
        return [(strip_tensor_casts(index.input), j)]
    return None


class ShapeVectorEntries(MtRewrite):
    """concatenate(x.shape[0], x.shape[1], ...) -> shape(x), entries in order.

    An entry may also be a constant equal to x's static dim there.
    """

    name = "shape-vector-entries"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ConcatenateOp, rewriter: PatternRewriter) -> None:
        if op.result.type.get_num_dims() != 1 or element_type(op.result) != i64:
            return
        entries: list[tuple[SSAValue, int] | int] = []
        for part in op.inputs:
            found = _shape_entries(part)
            if found is None:
                return
            entries += found
        vecs = {id(e[0]): e[0] for e in entries if isinstance(e, tuple)}
        if len(vecs) != 1:
            return
        (vec,) = vecs.values()
        shape = owner(vec, mt.ShapeOp)
        if shape is None or len(entries) != shape.input.type.get_num_dims():
            return
        dims = shape.input.type.get_shape()
        for k, e in enumerate(entries):
            if e != (vec, k) and e != dims[k]:
                return
        replace(rewriter, op, vec)


PATTERNS: list[MtRewrite] = [
    *SPLAT_OPERAND_RULES,
    ZeroSub(),
    *UNARY_RULES,
    SqrtSquare(),
    SubSelf(),
    MulDivCancel(),
    DimShuffleDimShuffle(),
    ReduceReduce(),
    SumScale(),
    ReshapeReshape(),
    ReshapeOwnShape(),
    SliceSlice(),
    SelectSame(),
    SelectConstCond(),
    CastCast(),
    BroadcastBroadcast(),
    BroadcastOwnShape(),
    ShapeVectorEntries(),
]


@dataclass(frozen=True)
class MtSimplifyPass(MtRewritePass):
    """Simplify mt arithmetic and shape ops to a fixed point (see the module docstring)."""

    name = "simplify-mt"
    PATTERNS: ClassVar = PATTERNS
