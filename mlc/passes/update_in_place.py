"""`update-in-place`: write the new value of a shared variable into its own storage.

Pre-condition: `bufferize`'s output (destination-passing style: the
inputs, then one memref argument per result, in order). A function may
carry `mlc.inplace = array<i64: ...>`, one entry per result: `j >= 0`
says "result k is the new value of argument j, it has argument j's shape,
and the caller wants it written into argument j's storage"; -1 says "a
result like any other". `mlc.function` sets it for the updates of shared
variables whose new value provably has the old value's shape (see
`mlc.compile.pipeline.in_place_updates`), so the runtime can pass the
shared storage instead of allocating a result.

Afterwards the result argument of every `j >= 0` entry is gone (the
function type lists the inputs, then the remaining results); the new value
is in argument j when the function returns, and every read of argument j
saw the old value, as Theano's updates demand (outputs are computed from
the old values, then the updates are applied):

* in place: when every op reading argument j comes before the first op
  writing the result, or is that op itself reading element i just before
  writing element i (`reads_in_step`: an elementwise update such as
  `W - lr * g`, fused into one loop), or is a copy of the old value
  into the result (then updated, e.g. by a BLAS call accumulating into it
  with beta = 1: `W - lr * dot(x.T, d)` is one gemv), the result is
  argument j itself: no allocation, no copy, the update streams over the
  storage once;
* otherwise the result goes to a temporary that is copied into argument j
  just before the function returns, after every read of the old value.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FunctionType,
    MemRefType,
    ModuleOp,
    i64,
)
from xdsl.ir import Block, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.dialects.utils.buffer_uses import accesses, positions, reads_in_step
from mlc.dialects.utils.linalg_builders import const, emit, index

INPLACE_ATTR = "mlc.inplace"


def in_place_entries(f: func.FuncOp) -> list[int] | None:
    attr = f.attributes.get(INPLACE_ATTR)
    if not isinstance(attr, DenseArrayBase):
        return None
    return [int(v) for v in attr.get_values()]


def mark_in_place(module: ModuleOp, entries: Sequence[int], name: str = "main") -> None:
    """Set `mlc.inplace` on function `name` (what the runtime will pass)."""
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            op.attributes[INPLACE_ATTR] = DenseArrayBase.from_list(i64, list(entries))


def can_write_in_place(block: Block, old: SSAValue, new: SSAValue) -> bool:
    """Every read of `old` happens before the first write of `new`, or in
    step with it (see the module docstring)."""
    order = positions(block)
    writes = accesses(new, block)
    if not writes:
        return False
    first = min((a.op for a in writes), key=order.__getitem__)
    reads = accesses(old, block)
    late = [a for a in reads if order[a.op] >= order[first]]
    if any(a.op is not first for a in late):
        return False
    if isinstance(first, memref.CopyOp) and first.destination is new:
        return True  # the old value copied into place: a copy onto itself, dropped
    return not late or reads_in_step(first, late, new)


def _root(v: SSAValue) -> SSAValue:
    while isinstance(v.owner, memref.CastOp):
        v = v.owner.source
    return v


def _buffer_like(b, old: SSAValue, t: MemRefType) -> SSAValue:
    sizes = [emit(b, memref.DimOp(old, const(b, i, index))) for i, d in enumerate(t.get_shape()) if d < 0]
    return emit(b, memref.AllocOp(sizes, [], t))


def update_function(f: func.FuncOp) -> int:
    """Apply the `mlc.inplace` entries of one function; returns how many
    updates were written in place (the others go through a temporary)."""
    entries = in_place_entries(f)
    if f.is_declaration or entries is None or not any(j >= 0 for j in entries):
        return 0
    block = f.body.blocks[0]
    n_in = len(block.args) - len(entries)
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp)
    direct = 0
    for k in reversed(range(len(entries))):  # erasing arguments from the back keeps indices valid
        j = entries[k]
        if j < 0:
            continue
        old, new = block.args[j], block.args[n_in + k]
        if old.type != new.type and not isinstance(old.type, MemRefType):
            raise ValueError(f"{INPLACE_ATTR}: result {k} ({new.type}) cannot live in argument {j} ({old.type})")
        b = _builder(InsertPoint.at_start(block))
        target = old if old.type == new.type else emit(b, memref.CastOp.get(old, new.type))
        if can_write_in_place(block, old, new):
            new.replace_all_uses_with(target)
            for op in list(block.ops):
                if isinstance(op, memref.CopyOp) and _root(op.source) is _root(op.destination):
                    Rewriter.erase_op(op)
            direct += 1
        else:
            temporary = _buffer_like(b, old, new.type)  # type: ignore[arg-type]
            new.replace_all_uses_with(temporary)
            end = _builder(InsertPoint.before(ret))
            end.insert(memref.CopyOp(temporary, target))
            end.insert(memref.DeallocOp.get(temporary))
        block.erase_arg(new)
    f.function_type = FunctionType.from_lists([a.type for a in block.args], [])
    return direct


def _builder(at: InsertPoint):
    from xdsl.builder import Builder

    return Builder(at)


class UpdateInPlacePass(ModulePass):
    """Write shared-variable updates into their own storage (`mlc.inplace`), in place when legal.

    Pre: bufferize's output; `mlc.inplace` on the functions whose
    caller passes shared storage. Post: those result arguments are gone;
    the new values are in the shared arguments, computed from the old ones.
    """

    name = "update-in-place"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                update_function(f)
