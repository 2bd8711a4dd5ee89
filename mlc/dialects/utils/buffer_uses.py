"""Who touches a buffer, and when: shared by the memref-level passes
`update-in-place` and `reuse-buffers` (not a pass itself).

At the loop level a function body is a straight list of top-level ops on
memrefs (what `bufferize` writes). A buffer is touched by a top-level
op when the op, or anything nested in it (a `memref.load` in a generic's
body), uses the buffer or one of its aliases (`memref.cast` and the view
ops). `memref.dealloc` and the alias-making ops themselves are not
accesses. Positions are indices in the block, so "before" is program order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from xdsl.dialects import memref
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

VIEWS = (memref.CastOp, memref.SubviewOp, memref.CollapseShapeOp, memref.ExpandShapeOp, memref.ReinterpretCastOp)
"""The memref view ops (the one list): a result that is its first operand's memory, so a
buffer lives as long as its views and a write through a view is a write of the buffer."""


def aliases(buffer: SSAValue) -> list[SSAValue]:
    """`buffer` and every view of it (transitively)."""
    out = [buffer]
    k = 0
    while k < len(out):
        for use in out[k].uses:
            if isinstance(use.operation, VIEWS) and use.index == 0:
                out.append(use.operation.results[0])
        k += 1
    return out


def top_level(op: Operation, block: Block) -> Operation:
    """The op of `block` that is or contains `op`."""
    while op.parent is not block:
        parent = op.parent_op()
        assert parent is not None, "op is not inside the block"
        op = parent
    return op


@dataclass(frozen=True)
class Access:
    """`user` (nested in the top-level `op`, or `op` itself) uses `value`
    (the buffer or one of its views) as operand `index`."""

    op: Operation
    user: Operation
    value: SSAValue
    index: int


def accesses(buffer: SSAValue, block: Block) -> list[Access]:
    """Every access to `buffer` or its views by ops of `block`, in no particular order."""
    out = []
    for v in aliases(buffer):
        for use in v.uses:
            user = use.operation
            if isinstance(user, memref.DeallocOp) or (isinstance(user, VIEWS) and use.index == 0):
                continue
            out.append(Access(top_level(user, block), user, v, use.index))
    return out


def positions(block: Block) -> dict[Operation, int]:
    return {op: k for k, op in enumerate(block.ops)}


def is_permutation(m: AffineMap) -> bool:
    dims = [e.position for e in m.results if isinstance(e, AffineDimExpr)]
    return len(dims) == len(m.results) == m.num_dims and sorted(dims) == list(range(m.num_dims))


def reads_in_step(op: Operation, reads: Iterable[Access], written: SSAValue) -> bool:
    """`op` writes `written` (one output, a permutation map, all loops
    parallel) and every one of `reads` is an input of `op` read through
    that same map: iteration i reads element M(i) of the old buffer before
    it writes element M(i) of `written`, and no other iteration touches it.
    So `written` may be the very buffer those reads see."""
    if not isinstance(op, linalg.GenericOp):
        return False
    if any(str(t.data) != "parallel" for t in op.iterator_types):
        return False
    maps = [m.data for m in op.indexing_maps]
    n_in = len(op.inputs)
    outs = [k for k, v in enumerate(op.outputs) if v is written]
    if len(outs) != 1 or written in op.inputs:
        return False
    out_map = maps[n_in + outs[0]]
    if not is_permutation(out_map):
        return False
    if op.body.block.args[n_in + outs[0]].uses:
        return False  # the old contents of `written` are read
    return all(a.user is op and a.index < n_in and maps[a.index] == out_map for a in reads)
