"""`fold-mt-constants`: evaluate at compile time what depends only on constants.

Pre-condition: verified mt IR (any mix of `mt`, `tensor.cast`, `func`).
Post-condition: no mt op whose operands are all `mt.constant`s (and whose
result is static, at most `mt.FOLD_LIMIT` elements) is left; every
`mt.shape` of a statically shaped value is a constant; an elementwise op
whose operands are all broadcasts of small constants is one broadcast of
a folded small constant, so `exp(c) + x` computes no `exp` at run time.
Results are numpy's numbers in the result's dtype, exactly what `run_mt`
would compute.

Rewrites (name: before -> after):
- `fold-constant-op`: op(const...) -> const (the op's own `fold`, numpy meaning)
- `fold-static-shape`: shape(x : static type) -> const
- `fold-static-dim`: index(shape(x), i) -> const when dim i of x is static (x.shape[1] of a column is 1)
- `fold-splat-elementwise`: f(broadcast(c1, s), c2...) -> broadcast(f(c1, c2...), s)

Shape checks: `fold-splat-elementwise` keeps the shape vector of the first
broadcast operand; that the others agree at run time is checked on the
graph before any IR runs (see `mlc.passes.mt_rewriting`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, op_type_rewrite_pattern

from mlc.dialects import mt
from mlc.passes.mt_rewriting import (
    Builder,
    MtRewrite,
    MtRewritePass,
    splat_value,
    strip_tensor_casts,
)


def _constant(value) -> mt.ConstantOp | None:
    op = value.owner
    return op if isinstance(op, mt.ConstantOp) else None


class FoldConstantOp(MtRewrite):
    """op(const...) -> const, by the op's `fold` (its numpy meaning)."""

    name = "fold-constant-op"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.MtOp, rewriter: PatternRewriter) -> None:
        if not op.operands or not all(_constant(v) for v in op.operands):
            return
        folded = op.fold()
        if folded and isinstance(attr := folded[0], DenseIntOrFPElementsAttr):
            rewriter.replace(op, mt.ConstantOp(attr))


class FoldStaticShape(MtRewrite):
    """shape(x) -> const when x's type is fully static (x itself is never computed)."""

    name = "fold-static-shape"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.ShapeOp, rewriter: PatternRewriter) -> None:
        t = op.input.type
        if isinstance(t, TensorType) and t.has_static_shape():
            rewriter.replace(op, mt.ConstantOp.from_numpy(np.array(t.get_shape(), dtype=np.int64)))


class FoldStaticDim(MtRewrite):
    """index(shape(x), i) -> const when x's dim i is static (Theano's `x.shape[i]`)."""

    name = "fold-static-dim"

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: mt.IndexOp, rewriter: PatternRewriter) -> None:
        shape = strip_tensor_casts(op.input).owner
        i = splat_value(op.index)
        if not isinstance(shape, mt.ShapeOp) or not isinstance(i, int) or isinstance(i, bool):
            return
        dims = shape.input.type.get_shape()
        if -len(dims) <= i < len(dims) and dims[i] != mt.DYN:
            rewriter.replace(op, mt.ConstantOp.from_numpy(np.int64(dims[i])))


_ELEMENTWISE = (mt.UnaryOp, mt.BinaryOp, mt.CompareOp, mt.PredicateOp, mt.SelectOp, mt.CastOp)


class FoldSplatElementwise(MtRewrite):
    """f(broadcast(c1, s), c2, ...) -> broadcast(f(c1, c2, ...), s) for elementwise f.

    An elementwise op commutes with broadcasting, so it is evaluated once
    on the small constants (numpy broadcasting them against each other)
    and the small result is broadcast to the op's (dynamic) type.
    """

    name = "fold-splat-elementwise"

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, _ELEMENTWISE):
            return
        smalls: list[np.ndarray] = []
        shape = None
        for v in op.operands:
            if (b := v.owner) and isinstance(b, mt.BroadcastOp):
                if b.shape is not None and shape is None:
                    shape = b.shape
                v = b.input
            c = _constant(v)
            if c is None or math.prod(c.value.get_shape()) > mt.FOLD_LIMIT:
                return
            smalls.append(c.to_numpy())
        if shape is None:
            return  # a static result: fold-constant-op's business once the broadcasts fold
        try:
            with np.errstate(all="ignore"):
                small = np.asarray(op.evaluate(*smalls))  # type: ignore[attr-defined]
        except (ArithmeticError, ValueError, IndexError):
            return
        result_t = op.results[0].type
        assert isinstance(result_t, TensorType)
        if small.ndim != result_t.get_num_dims() or small.size > mt.FOLD_LIMIT:
            return
        build = Builder(rewriter, op)
        c = build.const(small, result_t.element_type)
        rewriter.replace(op, [], [build.op(mt.BroadcastOp(c, result_t, shape))])


PATTERNS: list[MtRewrite] = [
    FoldConstantOp(),
    FoldStaticShape(),
    FoldStaticDim(),
    FoldSplatElementwise(),
]


@dataclass(frozen=True)
class MtFoldConstantsPass(MtRewritePass):
    """Fold constant mt subexpressions and shapes of static values (see the module docstring)."""

    name = "fold-mt-constants"
    PATTERNS: ClassVar = PATTERNS
