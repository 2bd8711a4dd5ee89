"""`resolve-mt-shapes`: shape computations never compute the tensor.

Pre-condition: verified mt IR. Post-condition: no `mt.shape` reads the
result of an op whose shape is known from its operands (elementwise ops,
casts, select, softmax, broadcast, reshape to a constant shape,
reductions, dimshuffle, dot, tensor.cast); it reads an operand's shape, or
a shape vector built from operands' shapes, instead. So `(x**2).shape`
computes no power: once nothing else uses it, the power is dead and the
driver erases it.

Rewrites (name: before -> after):
- same-shape ops, a table:
  `shape-of-elementwise` shape(f(a, b)) -> shape(a) (prefers a function argument)
  `shape-of-cast` shape(cast(x)) -> shape(x)
  `shape-of-select` shape(select(c, a, b)) -> shape(a)
  `shape-of-softmax` shape(softmax(x)) -> shape(x) (and log_softmax)
  `shape-of-tensor-cast` shape(tensor.cast(x)) -> shape(x)
- `shape-of-broadcast`: shape(broadcast(x, s)) -> s
- `shape-of-reshape`: shape(reshape(x, c)) -> c for a constant c without -1, or for a c
  built from shapes (sums, products, moves of dims: never -1)
- `shape-of-patches`: shape(patches(x)) -> x's lead dims, the patch counts, the window
- `shape-of-reduce`: shape(reduce(x, axes)) -> shape(x) without those axes (argmax/argmin too)
- `shape-of-dimshuffle`: shape(dimshuffle(x, p)) -> shape(x) permuted, 1 for new dims
- `shape-of-dot`: shape(dot(a, b)) -> rows of a ++ columns of b

Shape checks: shape(f(a, b)) -> shape(a) no longer depends on b; a
mismatch of a and b is reported by the graph's ShapePlan before any IR
runs (see `mlc.passes.mt_rewriting`). A partly static shape vector (some
dims static) still reads the operand's shape; `canonicalize` folds the
fully static ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.dialects import tensor
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, op_type_rewrite_pattern

from mlc.dialects import mt
from mlc.passes.mt_rewriting import (
    Builder,
    MtRewrite,
    MtRewritePass,
    owner,
    replace,
    strip_tensor_casts,
)


def cheapest_shape_source(values: Sequence[SSAValue]) -> SSAValue:
    """Among values of one shape, the one whose shape is cheapest to know.

    A function argument's shape is known on entry; a broadcast's shape is
    its shape operand; anything else may need more rewriting.
    """
    for v in values:
        if isinstance(v, BlockArgument):
            return v
    for v in values:
        if (b := owner(v, mt.BroadcastOp)) is not None and b.shape is not None:
            return v
    return values[0]


class ShapeOfSameShape(MtRewrite):
    """shape(op(...)) -> shape(source) for an op whose result has `source`'s shape."""

    def __init__(
        self, name: str, ops: type[Operation] | tuple[type[Operation], ...], source: Callable[[Operation], SSAValue]
    ):
        self.name, self.ops, self.source = name, ops, source

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if isinstance(inner, self.ops):
            replace(rewriter, op, Builder(rewriter, op).shape(self.source(inner)))


_ELEMENTWISE = (mt.UnaryOp, mt.BinaryOp, mt.CompareOp, mt.PredicateOp)

SAME_SHAPE_RULES: list[MtRewrite] = [
    # shape(f(a, b)) -> shape(a)
    ShapeOfSameShape("shape-of-elementwise", _ELEMENTWISE, lambda o: cheapest_shape_source(o.operands)),
    # shape(cast(x)) -> shape(x)
    ShapeOfSameShape("shape-of-cast", mt.CastOp, lambda o: o.operands[0]),
    # shape(select(c, a, b)) -> shape(a)
    ShapeOfSameShape("shape-of-select", mt.SelectOp, lambda o: cheapest_shape_source(o.operands)),
    # shape(softmax(x)) -> shape(x)
    ShapeOfSameShape("shape-of-softmax", mt.SoftmaxFamilyOp, lambda o: o.operands[0]),
    # shape(tensor.cast(x)) -> shape(x)
    ShapeOfSameShape("shape-of-tensor-cast", tensor.CastOp, lambda o: o.operands[0]),
]


class ShapeOfBroadcast(MtRewrite):
    """shape(broadcast(x, s)) -> s."""

    name = "shape-of-broadcast"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        b = owner(op.input, mt.BroadcastOp)
        if b is not None and b.shape is not None:
            replace(rewriter, op, b.shape)


class ShapeOfReshape(MtRewrite):
    """shape(reshape(x, c)) -> c when c is a constant with no -1 entry."""

    name = "shape-of-reshape"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        r = owner(op.input, mt.ReshapeOp)
        if r is None or r.shape is None:
            return
        c = owner(strip_tensor_casts(r.shape), mt.ConstantOp)
        if c is not None and np.all((dims := c.to_numpy()) >= 0):
            replace(rewriter, op, Builder(rewriter, op).const(dims.astype(np.int64)))
        elif nonnegative(r.shape):
            replace(rewriter, op, r.shape)


_SIZE_ARITHMETIC = (mt.AddOp, mt.MulOp, mt.MaxOp, mt.FloordivOp, mt.ReduceProdOp, mt.ReduceSumOp)
_SIZE_MOVES = (mt.DimShuffleOp, mt.SliceOp, mt.IndexOp, mt.ConcatenateOp, mt.ReshapeOp, tensor.CastOp)


def nonnegative(value: SSAValue, depth: int = 12) -> bool:
    """Every entry of this integer vector is >= 0: built from shapes, non-negative constants, and sums,
    products, maxima, floor quotients and moves of such (so a reshape to it has no -1 entry)."""
    o = value.owner
    if depth == 0 or o is None:
        return False
    if isinstance(o, mt.ShapeOp):
        return True
    if isinstance(o, mt.ConstantOp):
        return bool(np.all(o.to_numpy() >= 0))
    if isinstance(o, mt.MaxOp):
        return any(nonnegative(v, depth - 1) for v in o.operands)
    if isinstance(o, _SIZE_ARITHMETIC):
        return all(nonnegative(v, depth - 1) for v in o.operands)
    if isinstance(o, _SIZE_MOVES):
        data = [o.operands[0]] if isinstance(o, mt.IndexOp | mt.ReshapeOp | mt.SliceOp) else o.operands
        return all(nonnegative(v, depth - 1) for v in data)
    return False


class ShapeOfReduce(MtRewrite):
    """shape(reduce(x, axes)) -> the entries of shape(x) not in axes (also argmax/argmin)."""

    name = "shape-of-reduce"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        r = op.input.owner
        if isinstance(r, mt.ReduceOp):
            axes = set(r.axes.get_values())
        elif isinstance(r, mt.ArgReduceOp):
            axes = {r.axis.value.data}
        else:
            return
        x = r.operands[0]
        b = Builder(rewriter, op)
        vec = b.shape(x)
        kept = [(vec, i) for i in range(x.type.get_num_dims()) if i not in axes]
        replace(rewriter, op, b.gather_dims(kept))


class ShapeOfDimShuffle(MtRewrite):
    """shape(dimshuffle(x, p)) -> [shape(x)[p[j]] or 1 for p[j] == -1]."""

    name = "shape-of-dimshuffle"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        d = owner(op.input, mt.DimShuffleOp)
        if d is None:
            return
        b = Builder(rewriter, op)
        vec = b.shape(d.input)
        replace(rewriter, op, b.gather_dims([None if p == -1 else (vec, p) for p in d.pattern.get_values()]))


class ShapeOfDot(MtRewrite):
    """shape(dot(a, b)) -> shape(a)[:-1] ++ shape(b)[1:] (b's columns only for a matrix b)."""

    name = "shape-of-dot"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        d = owner(op.input, mt.DotOp)
        if d is None:
            return
        b = Builder(rewriter, op)
        lhs, rhs = b.shape(d.lhs), b.shape(d.rhs)
        ra, rb = d.lhs.type.get_num_dims(), d.rhs.type.get_num_dims()
        dims = [(lhs, i) for i in range(ra - 1)] + [(rhs, i) for i in range(1, rb) if rb == 2]
        replace(rewriter, op, b.gather_dims(dims))


class ShapeOfPatches(MtRewrite):
    """shape(patches(x)) -> [lead dims of x, max((L + shift) // stride + 1, least), window] permuted."""

    name = "shape-of-patches"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        p = owner(op.input, mt.PatchesOp)
        if p is None:
            return
        w = p.spec
        b = Builder(rewriter, op)
        rank = p.input.type.get_num_dims()
        nlead = rank - w.ndim
        vec = b.shape(p.input)
        spatial = b.op(mt.SliceOp(vec, [nlead], [rank], [None]))
        rules = [w.out_rule(i) for i in range(w.ndim)]
        shifted = b.op(mt.AddOp(spatial, b.const(np.asarray([r[0] for r in rules], dtype=np.int64))))
        quotient = b.op(mt.FloordivOp(shifted, b.const(np.asarray(w.strides, dtype=np.int64))))
        counts = b.op(mt.MaxOp(b.op(mt.AddOp(quotient, b.const(np.ones(w.ndim, dtype=np.int64)))),
                               b.const(np.asarray([r[1] for r in rules], dtype=np.int64))))
        parts = [b.op(mt.SliceOp(vec, [0], [nlead], [None]))] if nlead else []
        parts += [counts, b.const(np.asarray(w.window, dtype=np.int64))]
        logical = b.op(mt.ConcatenateOp(parts, 0))
        replace(rewriter, op, b.gather_dims([(logical, q) for q in p.perm.get_values()]))


PATTERNS: list[MtRewrite] = [
    *SAME_SHAPE_RULES,
    ShapeOfBroadcast(),
    ShapeOfReshape(),
    ShapeOfReduce(),
    ShapeOfDimShuffle(),
    ShapeOfDot(),
    ShapeOfPatches(),
]


@dataclass(frozen=True)
class MtShapeOfPass(MtRewritePass):
    """Compute shapes from operands' shapes, never from the tensor (see the module docstring)."""

    name = "resolve-mt-shapes"
    PATTERNS: ClassVar = PATTERNS
