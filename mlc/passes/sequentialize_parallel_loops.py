"""sequentialize-parallel-loops: run `scf.parallel` loops sequentially, as nested `scf.for`.

Pre-condition: none. Post-condition: no `scf.parallel`/`scf.reduce` left;
each parallel loop is a nest of `scf.for`, outermost dimension first, and
its reductions are loop-carried values combined in iteration order by
inlining the `scf.reduce` regions into the innermost body.

mlc's own lowerings make no `scf.parallel` (loop nests that may run on
threads are outlined from `linalg.generic` by `parallelize-loops`); this
pass runs any that hand-written or imported IR contains, sequentially.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import scf
from xdsl.dialects.builtin import IndexType, ModuleOp
from xdsl.ir import Block, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)


class ParallelToNestedFor(RewritePattern):
    """scf.parallel (i, j) ... reduce -> scf.for i { scf.for j { ...; combine } }."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: scf.ParallelOp, rewriter: PatternRewriter, /):
        body = op.body.block
        reduce_op = body.last_op
        assert isinstance(reduce_op, scf.ReduceOp)
        acc_types = [v.type for v in op.initVals]
        ndims = len(op.lowerBound)
        blocks = [Block(arg_types=[IndexType(), *acc_types]) for _ in range(ndims)]
        innermost = blocks[-1]

        # 1. The parallel body becomes the innermost body, on the loops' ivs.
        for k, arg in enumerate(body.args):
            arg.replace_all_uses_with(blocks[k].args[0])
        for inner_op in list(body.ops):
            if inner_op is not reduce_op:
                inner_op.detach()
                innermost.add_op(inner_op)

        # 2. Each reduction combines the carried value with this iteration's.
        combined: list[SSAValue] = []
        for region, operand, acc in zip(
            reduce_op.reductions, reduce_op.args, innermost.args[1:]
        ):
            value_map: dict[SSAValue, SSAValue] = {
                region.block.args[0]: acc,
                region.block.args[1]: operand,
            }
            for red_op in region.block.ops:
                if isinstance(red_op, scf.ReduceReturnOp):
                    combined.append(value_map.get(red_op.result, red_op.result))
                    break
                clone = red_op.clone(value_mapper=value_map)
                innermost.add_op(clone)
        innermost.add_op(scf.YieldOp(*combined))

        # 3. Wrap from the inside out: each block runs the next loop.
        for d in range(ndims - 2, -1, -1):
            inner = scf.ForOp(
                op.lowerBound[d + 1],
                op.upperBound[d + 1],
                op.step[d + 1],
                list(blocks[d].args[1:]),
                blocks[d + 1],
            )
            blocks[d].add_ops([inner, scf.YieldOp(*inner.results)])
        outer = scf.ForOp(
            op.lowerBound[0], op.upperBound[0], op.step[0], list(op.initVals), blocks[0]
        )
        rewriter.replace(op, outer)


class ScfParallelToForPass(ModulePass):
    """Lower scf.parallel to nested scf.for (sequential), reductions included."""

    name = "sequentialize-parallel-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ParallelToNestedFor(), apply_recursively=True).rewrite_module(op)
