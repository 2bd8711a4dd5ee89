"""convert-gpu-to-loops: run GPU kernels on the CPU (the emulation that tests kernel semantics).

Pre-condition: the output of `convert-linalg-to-gpu` (a `gpu.module` of
kernels with `gpu.known_block_size`, host functions launching them).
Post-condition: no gpu ops; each kernel is a private `func.func` taking the
grid size first, and each launch a call of it:

    gpu.launch_func @kernels::@main_k0 blocks in (%g, %c1, %c1) threads in (%c256, %c1, %c1) args(%x : ...)
    ->  func.call @main_k0(%g, %x) : (index, ...) -> ()

    func.func private @main_k0(%grid: index, %x: ...) {
      scf.for %bid = 0 to %grid {            // blocks, one after the other
        <uniform code: constants, sizes, views, shared memory>
        scf.for %tid = 0 to 256 { phase 0 }   // threads, up to the first barrier
        scf.for %tid = 0 to 256 { phase 1 }   // ... and so on: a barrier ends a phase
      }
    }

This is the standard way to run a block on one core (MCUDA, POCL): every
thread finishes a phase before any thread starts the next one, which is
what `gpu.barrier` guarantees. A per-thread value defined in one phase and
used in a later one is kept in a buffer of one element per thread. A warp
shuffle becomes a store to a scratch buffer, a barrier, a load of the
partner lane's slot and a barrier. Barriers and shuffles must be at the
kernel's top level (`convert-linalg-to-gpu` puts them there); elsewhere the
pass fails with a diagnostic. Block and thread ids become the loop indices,
`gpu.block_dim` the known block size, `gpu.grid_dim` the grid argument.
Vector accesses (`gpux.load_lanes`/`store_lanes`) become scalar ones that
check their alignment: a misaligned one (where a GPU would fault) reads or
writes poison (NaN, all ones), so the tests catch a wrong alignment check.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref, scf
from xdsl.dialects.builtin import (
    AnyFloat,
    FloatAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    NoneAttr,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from mlc.dialects import gpux
from mlc.dialects.utils.buffer_uses import VIEWS



class EmulationError(PassFailedException):
    def __init__(self, op: Operation, message: str):
        super().__init__(f"convert-gpu-to-loops: '{op.name}': {message}")


def _index(value: int) -> arith.ConstantOp:
    return arith.ConstantOp(IntegerAttr.from_index_int_value(value))


def _tid() -> gpu.ThreadIdOp:
    return gpu.ThreadIdOp(gpu.DimensionAttr(gpu.DimensionEnum.X))


def block_size_of(kernel: gpu.FuncOp) -> int:
    if kernel.known_block_size is None:
        raise EmulationError(kernel, f"@{kernel.sym_name.data} needs gpu.known_block_size to be emulated")
    x, y, z = kernel.known_block_size.get_values()
    if y != 1 or z != 1:
        raise EmulationError(kernel, "only one-dimensional blocks are emulated")
    return x


def lower_shuffles(body: Block, size: int) -> None:
    """Each top-level shuffle -> store; barrier; load of the partner's slot; barrier."""
    scratch: dict[object, SSAValue] = {}
    for op in list(body.ops):
        if not isinstance(op, gpux.ShuffleDownOp):
            for inner in op.walk():
                if isinstance(inner, (gpux.ShuffleDownOp, gpu.BarrierOp)) and inner is not op:
                    raise EmulationError(inner, "barriers and shuffles are emulated only at a kernel's top level")
            continue
        t = op.value.type
        if t not in scratch:
            alloca = memref.AllocaOp.get(t, shape=[size], memory_space=IntegerAttr(3, 64))  # shared
            body.insert_op_before(alloca, body.first_op)
            scratch[t] = alloca.memref
        buf = scratch[t]
        tid = _tid()
        lane = arith.RemUIOp(tid, _index(gpux.WARP_SIZE).result)
        warp, offset = _index(gpux.WARP_SIZE), _index(op.offset.value.data)
        source = arith.AddiOp(lane, offset)
        inside = arith.CmpiOp(source, warp, "ult")
        partner = arith.AddiOp(tid, offset)
        slot = arith.SelectOp(inside, partner, tid)
        load = memref.LoadOp.get(buf, [slot])
        new = [tid, memref.StoreOp.get(op.value, buf, [tid]), gpu.BarrierOp(), lane.operands[1].owner, lane,
               warp, offset, source, inside, partner, slot, load, gpu.BarrierOp()]
        Rewriter.insert_op(new, InsertPoint.before(op))
        op.result.replace_all_uses_with(load.res)
        Rewriter.erase_op(op)


def _hoistable(op: Operation, uniform: set[SSAValue]) -> bool:
    """Same value in every thread of a block, no side effects: computed once per block."""
    if not all(v in uniform for v in op.operands):
        return False
    if isinstance(op, memref.AllocaOp):
        return op.memref.type.memory_space != NoneAttr()  # shared memory; other allocas are per thread
    if isinstance(op, (gpu.BlockIdOp, gpu.GridDimOp, gpu.BlockDimOp, memref.DimOp, *VIEWS)):
        return True
    return op.dialect_name() == "arith" and not op.regions


def _poison(t) -> arith.ConstantOp:
    if isinstance(t, AnyFloat):
        return arith.ConstantOp(FloatAttr(float("nan"), t))
    return arith.ConstantOp(IntegerAttr(-1, t, truncate_bits=True))


def lower_vector_access(kernel: gpu.FuncOp) -> None:
    """gpux.load_lanes / store_lanes as scalar accesses, checked: where the access is not aligned to its
    width (a GPU faults: misaligned address), the lanes read or write a poison value (NaN, all ones),
    so a test sees a vector access the alignment check should have prevented."""
    for op in [o for o in kernel.walk() if isinstance(o, (gpux.LoadLanesOp, gpux.StoreLanesOp))]:
        t = op.memref.type
        element = t.get_element_type()
        n = len(op.results) if isinstance(op, gpux.LoadLanesOp) else len(op.values)
        itemsize = gpux.element_bytes(element)
        new: list[Operation] = [
            zero := _index(0), size := _index(itemsize), width := _index(n * itemsize),
            address := gpux.AddressOp(op.memref),
            offset := arith.MuliOp(op.index, size), at := arith.AddiOp(address.result, offset.result),
            rem := arith.RemUIOp(at.result, width.result), ok := arith.CmpiOp(rem.result, zero.result, "eq"),
            poison := _poison(element)]
        lanes: list[SSAValue] = []
        for k in range(n):
            c = _index(k)
            i = arith.AddiOp(op.index, c.result)
            new += [c, i]
            if isinstance(op, gpux.LoadLanesOp):
                load = memref.LoadOp.get(op.memref, [i.result])
                pick = arith.SelectOp(ok.result, load.res, poison.result)
                new += [load, pick]
                lanes.append(pick.result)
            else:
                pick = arith.SelectOp(ok.result, op.values[k], poison.result)
                new += [pick, memref.StoreOp.get(pick.result, op.memref, [i.result])]
        Rewriter.insert_op(new, InsertPoint.before(op))
        if lanes:
            for r, v in zip(op.results, lanes):
                r.replace_all_uses_with(v)
        Rewriter.erase_op(op)


def emulate_kernel(kernel: gpu.FuncOp) -> func.FuncOp:
    size = block_size_of(kernel)
    body = kernel.body.block
    lower_shuffles(body, size)
    lower_vector_access(kernel)

    grid_block = Block(arg_types=[IndexType(), *kernel.function_type.inputs.data])
    grid = grid_block.args[0]
    grid.name_hint = "grid"
    for old, new in zip(body.args, grid_block.args[1:]):
        new.name_hint = old.name_hint
        old.replace_all_uses_with(new)

    # ids inside nested regions: moved to the top level, right before their top-level ancestor
    for op in list(body.walk()):
        if isinstance(op, (gpu.ThreadIdOp, gpu.BlockIdOp, gpu.GridDimOp, gpu.BlockDimOp)) \
                and op.parent_block() is not body:
            anchor = op
            while anchor.parent_block() is not body:
                anchor = anchor.parent_op()  # type: ignore[assignment]
            op.detach()
            body.insert_op_before(op, anchor)

    # 1. classify the top-level ops: once per block (uniform) or per thread, in phases
    uniform: set[SSAValue] = set(grid_block.args)
    hoisted: list[Operation] = []
    phases: list[list[Operation]] = [[]]
    phase_of: dict[Operation, int] = {}
    for op in list(body.ops):
        if isinstance(op, gpu.ReturnOp):
            continue
        if isinstance(op, gpu.BarrierOp):
            phases.append([])
            continue
        if _hoistable(op, uniform):
            hoisted.append(op)
            uniform.update(op.results)
        else:
            phases[-1].append(op)
            phase_of[op] = len(phases) - 1

    def phase_of_use(user: Operation) -> int:
        while user.parent_block() is not body:
            user = user.parent_op()  # type: ignore[assignment]
        return phase_of[user]

    # 2. per-thread values crossing a barrier: spilled to one slot per thread
    spills: list[tuple[SSAValue, int, set[int]]] = []
    for p, ops in enumerate(phases):
        for op in ops:
            if isinstance(op, gpu.ThreadIdOp):
                continue
            for r in op.results:
                later = {phase_of_use(u.operation) for u in r.uses} - {p}
                if later:
                    spills.append((r, p, later))

    # uses to rewire, found before anything moves: thread ids and spilled values, per phase
    rewire: list[tuple[Operation, int, SSAValue | None, int]] = []  # (user, operand, spilled value, phase)
    for ops in phases:
        for op in ops:
            if isinstance(op, gpu.ThreadIdOp):
                rewire += [(u.operation, u.index, None, phase_of_use(u.operation)) for u in op.result.uses]
    for value, def_phase, _later in spills:
        rewire += [(u.operation, u.index, value, phase_of_use(u.operation)) for u in value.uses
                   if phase_of_use(u.operation) != def_phase]

    # 3. the block loop: uniform code, spill slots, then one thread loop per phase
    bid_block = Block(arg_types=[IndexType()])
    bid = bid_block.args[0]
    bid.name_hint = "bid"
    for op in hoisted:
        op.detach()
        if isinstance(op, gpu.BlockIdOp):
            op.result.replace_all_uses_with(bid)
            op.erase()
        elif isinstance(op, gpu.GridDimOp):
            op.result.replace_all_uses_with(grid)
            op.erase()
        elif isinstance(op, gpu.BlockDimOp):
            c = _index(size)
            bid_block.add_op(c)
            op.result.replace_all_uses_with(c.result)
            op.erase()
        elif isinstance(op, memref.AllocaOp):  # shared memory: one buffer per block
            t = op.memref.type
            plain = memref.AllocaOp.get(t.get_element_type(), shape=t.get_shape())
            grid_block.add_op(plain)  # once per call: every block writes before it reads
            op.memref.replace_all_uses_with(plain.memref)
            op.erase()
        else:
            bid_block.add_op(op)
    slots = {}
    for value, _p, _later in spills:
        if isinstance(value.type, MemRefType):
            raise EmulationError(value.owner, "a per-thread buffer used across a barrier cannot be emulated")
        slot = memref.AllocaOp.get(value.type, shape=[size])
        grid_block.add_op(slot)
        slots[value] = slot.memref
    threads = [Block(arg_types=[IndexType()]) for _ in phases]
    reloads: dict[tuple[SSAValue, int], SSAValue] = {}
    for p, (value, _d, later) in [(p, s) for s in spills for p in sorted(s[2])]:
        load = memref.LoadOp.get(slots[value], [threads[p].args[0]])
        threads[p].add_op(load)
        reloads[(value, p)] = load.res
    for user, k, value, p in rewire:
        user.operands[k] = threads[p].args[0] if value is None else reloads[(value, p)]
    for thread, ops in zip(threads, phases):
        thread.args[0].name_hint = "tid"
        for op in ops:
            op.detach()
            if isinstance(op, gpu.ThreadIdOp):
                op.erase()
                continue
            thread.add_op(op)
            for r in op.results:
                if r in slots:
                    thread.add_op(memref.StoreOp.get(r, slots[r], [thread.args[0]]))
        thread.add_op(scf.YieldOp())
        zero, top, one = _index(0), _index(size), _index(1)
        bid_block.add_ops([zero, top, one, scf.ForOp(zero, top, one, [], thread)])
    bid_block.add_op(scf.YieldOp())
    zero, one = _index(0), _index(1)
    grid_block.add_ops([zero, one, scf.ForOp(zero, grid, one, [], bid_block), func.ReturnOp()])
    ftype = FunctionType.from_lists(list(grid_block.arg_types), [])
    return func.FuncOp(kernel.sym_name.data, ftype, Region(grid_block), "private")


class ConvertGPUToLoopsPass(ModulePass):
    """Emulate GPU kernels on the CPU: blocks and threads become loops, launches calls (see docstring)."""

    name = "convert-gpu-to-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernels in [k for k in op.ops if isinstance(k, gpu.ModuleOp)]:
            for kernel in [f for f in kernels.body.block.ops if isinstance(f, gpu.FuncOp)]:
                op.body.block.add_op(emulate_kernel(kernel))
            Rewriter.erase_op(kernels, safe_erase=False)
        for launch in [o for o in op.walk() if isinstance(o, gpu.LaunchFuncOp)]:
            refs = launch.kernel.nested_references.data
            name = refs[-1].data if refs else launch.kernel.root_reference.data
            call = func.CallOp(name, [launch.gridSizeX, *launch.kernelOperands], [])
            Rewriter.replace_op(launch, call)
        op.attributes.pop("gpu.container_module", None)
