"""`reuse-buffers`: a temporary that dies is reused by the next op that needs one like it.

Pre-condition: `bufferize`'s output: top-level `memref.alloc`s (each
with its `memref.dealloc` after its last use) written and read by the
top-level ops of a function (generics, fills, BLAS calls, copies, loads
and stores, also from inside generic bodies). Function arguments and
constant globals are never candidates: only buffers this function
allocated are reused, so no input array (or shared variable) is written.

Afterwards fewer buffers are allocated. For each `memref.alloc` A, in the
order of the first op W that touches it, another allocated buffer B of
the same type and the same size operands takes its place when

* B is dead before W (its last access comes earlier): A becomes B;
* B dies at W and W reads it in step (`reads_in_step`: an elementwise
  generic reading element i of B just before writing element i of A, the
  same map): W writes its result over its dead operand;
* W is `memref.copy(B, A)` and B dies there: A is B, the copy is gone.

Among dead candidates the one freed last is taken (its lines are likely
still in cache). Deallocations are then re-placed after each surviving
buffer's last access.

A function may list arguments whose contents the caller allows it to
destroy (`mlc.clobber = array<i64: j, ...>`: `In(mutable=True)` arguments
of `mlc.function`). Such an argument is a candidate too, from its last
access on, for a temporary of its type whose size operands are the
argument's own `memref.dim`s: e.g. `tanh(x)` feeding a BLAS call is
computed over x itself. An argument is never deallocated, and one whose
contents are a result (`mlc.inplace`) must not be listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.dialects.utils.buffer_uses import VIEWS, accesses, positions, reads_in_step


CLOBBER_ATTR = "mlc.clobber"


@dataclass
class Buffer:
    """A top-level `memref.alloc` (or a clobberable argument) and the span of top-level ops touching it."""

    value: SSAValue
    first: int
    last: int
    argument_key: tuple | None = None  # a clobberable argument: (type, its dims, ())

    @cached_property
    def key(self) -> tuple:  # cached: `_choose` compares it with every kept buffer's
        if self.argument_key is not None:
            return self.argument_key
        alloc = self.value.owner
        assert isinstance(alloc, memref.AllocOp)
        return (self.value.type, tuple(alloc.dynamic_sizes), tuple(alloc.symbol_operands))


def clobber_entries(f: func.FuncOp) -> list[int]:
    """The argument indices `mlc.clobber` lists (none without the attribute)."""
    attr = f.attributes.get(CLOBBER_ATTR)
    return [int(v) for v in attr.get_values()] if isinstance(attr, DenseArrayBase) else []


def mark_clobber(module: ModuleOp, indices, name: str = "main") -> None:
    """Set `mlc.clobber` on function `name`: arguments whose contents it may destroy."""
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            op.attributes[CLOBBER_ATTR] = DenseArrayBase.from_list(i64, list(indices))


def _argument_buffer(arg: SSAValue, block: Block, order: dict[Operation, int]) -> Buffer | None:
    """A clobberable argument as a candidate: its dims (`memref.dim %arg, i` in the body) key it."""
    t = arg.type
    if not isinstance(t, MemRefType):
        return None
    dims = {}
    for use in arg.uses:
        op = use.operation
        if isinstance(op, memref.DimOp) and op.parent_block() is block and isinstance(op.index.owner, arith.ConstantOp):
            value = op.index.owner.value
            if isinstance(value, IntegerAttr):
                dims.setdefault(value.value.data, op.result)
    sizes = [dims.get(i) for i, d in enumerate(t.get_shape()) if d < 0]
    if any(v is None for v in sizes):
        return None
    span = _span(arg, block, order)
    first, last = span if span is not None else (-1, -1)
    return Buffer(arg, first, last, (t, tuple(sizes), ()))


def _span(value: SSAValue, block: Block, order: dict[Operation, int]) -> tuple[int, int] | None:
    found = [order[a.op] for a in accesses(value, block)]
    return (min(found), max(found)) if found else None


def reuse_in_block(block: Block, clobber: list[int] = ()) -> int:
    """Reuse dead buffers in one function body (and the arguments `clobber` lists); returns how many
    allocations were removed."""
    order = positions(block)
    ops = list(block.ops)
    buffers: list[Buffer] = []
    arguments = [b for j in clobber if j < len(block.args)
                 for b in [_argument_buffer(block.args[j], block, order)] if b is not None]
    for op in ops:
        if isinstance(op, memref.AllocOp) and not any(isinstance(u.operation, func.ReturnOp) for u in op.memref.uses):
            span = _span(op.memref, block, order)
            if span is not None:
                buffers.append(Buffer(op.memref, *span))
    buffers.sort(key=lambda buf: buf.first)
    kept: list[Buffer] = list(arguments)
    removed = 0
    for a in buffers:
        writer = ops[a.first]
        choice = _choose(a, writer, kept, block)
        if choice is None:
            kept.append(a)
            continue
        b, copy = choice
        if copy is not None:
            Rewriter.erase_op(copy)
        _drop_deallocs(a.value)
        alloc = a.value.owner
        assert isinstance(alloc, Operation)
        if b.argument_key is None:
            _hoist_before(b.value.owner, alloc, block)
        a.value.replace_all_uses_with(b.value)
        Rewriter.erase_op(alloc)
        b.last = max(b.last, a.last)
        removed += 1
    if removed:
        order = positions(block)  # inserting deallocs keeps the order of the accesses (numbered once: linear)
        for b in kept:
            if b.argument_key is not None:
                continue  # the caller's storage: never deallocated
            _drop_deallocs(b.value)
            last = max((a.op for a in accesses(b.value, block)), key=order.__getitem__)
            Rewriter.insert_op(memref.DeallocOp.get(b.value), InsertPoint.after(last))
    return removed


def _choose(a: Buffer, writer: Operation, kept: list[Buffer], block: Block) -> tuple[Buffer, Operation | None] | None:
    """The buffer A can be (and the copy to drop), or None."""
    dead: list[Buffer] = []
    for b in kept:
        if b.key != a.key:
            continue
        if b.last < a.first:
            dead.append(b)
        elif b.last == a.first:
            at_writer = [x for x in accesses(b.value, block) if x.op is writer]
            if isinstance(writer, memref.CopyOp) and writer.source is b.value and writer.destination is a.value:
                return b, writer
            if reads_in_step(writer, at_writer, a.value) and not _viewed(a.value):
                return b, None
    if dead:
        return max(dead, key=lambda b: b.last), None
    return None


def _hoist_before(b_alloc: Operation, a_alloc: Operation, block: Block) -> None:
    """Move B's alloc up to A's when it comes later: A's views (casts) may sit
    before B is allocated, though A is first accessed after B died. B's
    size operands are A's (same key), so they are defined there too."""
    if block.get_operation_index(b_alloc) > block.get_operation_index(a_alloc):
        b_alloc.detach()
        block.insert_op_before(b_alloc, a_alloc)


def _viewed(value: SSAValue) -> bool:
    return any(isinstance(u.operation, VIEWS) for u in value.uses)


def _drop_deallocs(value: SSAValue) -> None:
    for use in list(value.uses):
        if isinstance(use.operation, memref.DeallocOp):
            Rewriter.erase_op(use.operation)


class ReuseBuffersPass(ModulePass):
    """Reuse a dead temporary buffer for the next one of the same type and size (or write over a dead operand).

    Pre: bufferize's output. Post: the same values with fewer
    `memref.alloc`s; no function argument is written by this pass except
    those `mlc.clobber` lists.
    """

    name = "reuse-buffers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp) and not f.is_declaration:
                reuse_in_block(f.body.blocks[0], clobber_entries(f))
