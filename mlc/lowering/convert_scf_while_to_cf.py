"""`convert-scf-while-to-cf`: `scf.while` loops (until-scans) lowered to blocks and branches.

xDSL's `convert-scf-to-cf` lowers `scf.if`, `scf.for` and `scf.index_switch`
but not `scf.while`; this pass runs just before it. The loop

    %r = scf.while (%a = %init) : (T) -> T { <before>; scf.condition(%go) %v } do {
    ^bb(%x : T): <after>; scf.yield %y }

becomes

    cf.br ^before(%init)
  ^before(%a : T):  <before>; cf.cond_br %go, ^after(%v), ^end(%v)
  ^after(%x : T):   <after>; cf.br ^before(%y)
  ^end(%r : T):     <what followed the loop>

Both regions are moved into the enclosing region (every block they hold),
so loops nested in them are left for `convert-scf-to-cf`.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import cf, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import BlockInsertPoint, InsertPoint


class WhileLowering(RewritePattern):
    """One `scf.while` -> a condition block, the body blocks and a continuation block."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: scf.WhileOp, rewriter: PatternRewriter):
        init_block = op.parent_block()
        if init_block is None:
            return
        end_block = init_block.split_before(op)
        results = [end_block.insert_arg(r.type, k) for k, r in enumerate(op.res)]
        before_first, before_last = op.before_region.first_block, op.before_region.last_block
        after_first, after_last = op.after_region.first_block, op.after_region.last_block
        assert before_first is not None and before_last is not None
        assert after_first is not None and after_last is not None
        condition = before_last.last_op
        yielded = after_last.last_op
        assert isinstance(condition, scf.ConditionOp) and isinstance(yielded, scf.YieldOp)
        rewriter.inline_region(op.before_region, BlockInsertPoint.before(end_block))
        rewriter.inline_region(op.after_region, BlockInsertPoint.before(end_block))
        rewriter.replace(condition, cf.ConditionalBranchOp(
            condition.condition, after_first, condition.args, end_block, condition.args))
        rewriter.replace(yielded, cf.BranchOp(before_first, *yielded.operands))
        rewriter.insert(cf.BranchOp(before_first, *op.arguments), InsertPoint.at_end(init_block))
        rewriter.replace(op, [], results)


class ConvertScfWhileToCfPass(ModulePass):
    """Lower `scf.while` to `cf` branches between blocks (before `convert-scf-to-cf`).

    Pre: `scf.while` ops anywhere (tensors already bufferized). Post: none
    left; each is a condition block, its body blocks and a continuation.
    """

    name = "convert-scf-while-to-cf"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(GreedyRewritePatternApplier([WhileLowering()]), apply_recursively=False).rewrite_module(op)
