"""vectorize-gpu-loads: elementwise GPU kernels move 16 bytes per thread (`ld.global.v4.f32`).

Pre-condition: the output of `convert-linalg-to-gpu`. It fires on a kernel's
top-level grid-stride loop

    scf.for %i = (block_id * B + thread_id) to %n step (grid_dim * B)     // B: the known block size

whose body touches array memory only through `memref.load`/`memref.store`
of 1-D unit-stride memrefs at `%i` or `%i + c` (c loop-invariant: a slice's
offset) (the flattened elementwise
form `convert-linalg-to-gpu` emits for elementwise nests over contiguous
buffers), plus loads of 0-d memrefs and scalar code (arith, math, scf.if).
Post-condition: before the loop,

    %ok = ((address(m) + c * itemsize(m)) % (L * itemsize(m)) == 0) for every such access m[%i + c]
    %nv = %ok ? %n / L : 0
    scf.for %v = (block_id * B + thread_id) to %nv step (grid_dim * B) {
      %x0, ..., %x{L-1} = gpux.load_lanes %m[%v * L + c]   // one aligned vector load per input
      <the body, once per lane k, at index %v * L + k>
      gpux.store_lanes (%y0, ..., %y{L-1}), %o[%v * L + c]  // one aligned vector store per output
    }

and the original loop, now starting at `%nv * L + block_id * B + thread_id`,
is the scalar tail: the last `n mod L` elements, or all of them when a
base pointer (a view with an offset, a foreign device array) is not aligned.
The launches of a vectorized kernel get `ceil(grid / L)` blocks (each
thread now takes L elements per step; the grid-stride loops stay correct
for any grid).
L = 16 / (the widest element's bytes): 4 lanes of f32/i32 (16-byte
accesses), 2 of f64/i64, and f32 next to f64 gives 2 lanes (8 and 16
bytes). Neighbouring threads take neighbouring 16-byte chunks, so a warp's
accesses stay coalesced. Kernels with other element types (bool, 8/16-bit)
or other accesses are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, gpu, memref, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.dialects import gpux

#: bytes one thread moves per access
VECTOR_BYTES = 16


def _constant(v: SSAValue) -> int | None:
    op = v.owner
    if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
        return op.value.value.data
    return None


def _product_of(v: SSAValue, id_op: type[Operation], factor: int) -> bool:
    """Is `v` `id_op x * factor` (either operand order)?"""
    op = v.owner
    if not isinstance(op, arith.MuliOp):
        return False
    for a, b in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
        if isinstance(a.owner, id_op) and a.owner.dimension.data.value == "x" and _constant(b) == factor:
            return True
    return False


def is_grid_stride(loop: scf.ForOp, block_size: int) -> bool:
    """lb = block_id.x * B + thread_id.x and step = grid_dim.x * B: together the threads cover [0, ub)."""
    add = loop.lb.owner
    if not isinstance(add, arith.AddiOp) or not _product_of(loop.step, gpu.GridDimOp, block_size):
        return False
    for a, b in ((add.lhs, add.rhs), (add.rhs, add.lhs)):
        if isinstance(b.owner, gpu.ThreadIdOp) and b.owner.dimension.data.value == "x" \
                and _product_of(a, gpu.BlockIdOp, block_size):
            return True
    return False


Access = tuple[SSAValue, "SSAValue | None"]  # (memref, loop-invariant offset or None)


@dataclass
class Plan:
    loads: dict[memref.LoadOp, Access]
    stores: dict[memref.StoreOp, Access]
    lanes: int

    @property
    def accesses(self) -> list[Access]:
        out: list[Access] = []
        for a in [*self.loads.values(), *self.stores.values()]:
            if a not in out:
                out.append(a)
        return out


_SCALAR_OPS = (memref.DimOp, scf.IfOp, scf.YieldOp)


def _offset_of(index: SSAValue, iv: SSAValue, loop: scf.ForOp) -> tuple[bool, SSAValue | None]:
    """Is `index` the induction variable plus a loop-invariant offset? (ok, offset or None)"""
    if index is iv:
        return True, None
    op = index.owner
    if isinstance(op, arith.AddiOp):
        for a, b in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            if a is iv and not loop.is_ancestor(b.owner):
                return True, b
    return False, None


def plan(loop: scf.ForOp) -> Plan | None:
    """The accesses to vectorize and the lane count, or None if the body is not of the form."""
    body = loop.body.block
    iv = body.args[0]
    loads: dict[memref.LoadOp, Access] = {}
    stores: dict[memref.StoreOp, Access] = {}
    stored: set[SSAValue] = set()
    for op in loop.body.walk():
        if isinstance(op, (memref.LoadOp, memref.StoreOp)):
            t = op.memref.type
            if isinstance(op, memref.LoadOp) and t.get_num_dims() == 0:
                if op.memref in stored:
                    return None
                continue
            if len(op.indices) != 1 or not gpux.unit_stride_1d(t) or op.parent_block() is not body:
                return None
            ok, offset = _offset_of(op.indices[0], iv, loop)
            if not ok or gpux.element_bytes(t.element_type) is None or op.memref in stored:
                return None  # (also: a load or a second store after a store to the same buffer)
            if isinstance(op, memref.LoadOp):
                loads[op] = (op.memref, offset)
            else:
                stored.add(op.memref)
                stores[op] = (op.memref, offset)
        elif not (op.dialect_name() in ("arith", "math") or isinstance(op, _SCALAR_OPS)):
            return None
    if not loads and not stores:
        return None
    widest = max(gpux.element_bytes(m.type.element_type) for m, _ in [*loads.values(), *stores.values()])
    return Plan(loads, stores, VECTOR_BYTES // widest)


def vectorize(loop: scf.ForOp, p: Plan) -> None:
    """Insert the aligned vector loop before `loop` and make `loop` the scalar tail (module docstring)."""
    L = p.lanes
    ops: list[Operation] = []

    def add(op: Operation) -> SSAValue:
        ops.append(op)
        return op.results[0]

    def index(v: int) -> SSAValue:
        return add(arith.ConstantOp(IntegerAttr.from_index_int_value(v)))

    zero, lanes = index(0), index(L)
    constants: dict[int, SSAValue] = {}
    aligned: SSAValue | None = None
    for m, offset in p.accesses:  # element `offset` of m (the vector loop's first) is aligned to the access
        itemsize = gpux.element_bytes(m.type.element_type)
        for c in (itemsize, L * itemsize):
            if c not in constants:
                constants[c] = index(c)
        address = add(gpux.AddressOp(m))
        if offset is not None:
            address = add(arith.AddiOp(address, add(arith.MuliOp(offset, constants[itemsize]))))
        rem = add(arith.RemUIOp(address, constants[L * itemsize]))
        ok = add(arith.CmpiOp(rem, zero, "eq"))
        aligned = ok if aligned is None else add(arith.AndIOp(aligned, ok))
    assert aligned is not None
    n_vectors = add(arith.SelectOp(aligned, add(arith.DivUIOp(loop.ub, lanes)), zero))

    body = Block(arg_types=[loop.lb.type])
    inner: list[Operation] = []

    def emit(op: Operation) -> SSAValue:
        inner.append(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    base = emit(arith.MuliOp(body.args[0], lanes))
    at: dict[Access, SSAValue] = {}
    for m, offset in p.accesses:
        at[(m, offset)] = base if offset is None else emit(arith.AddiOp(base, offset))
    lane_values: dict[Access, list[SSAValue]] = {}
    for access in p.loads.values():
        if access not in lane_values:
            load = gpux.LoadLanesOp(access[0], at[access], L)
            emit(load)
            lane_values[access] = list(load.results)
    old_iv = loop.body.block.args[0]
    stored: dict[Access, list[SSAValue]] = {a: [] for a in p.stores.values()}
    accesses = {*p.loads, *p.stores}
    # the `%i + c` of the accesses, needed by nothing else: not cloned
    index_ops = {op.indices[0].owner for op in accesses if op.indices[0] is not old_iv}
    index_ops = {o for o in index_ops if all(u.operation in accesses for u in o.results[0].uses)}
    iv_used = any(u.operation not in accesses and u.operation not in index_ops for u in old_iv.uses)
    for k in range(L):
        mapping: dict[SSAValue, SSAValue] = {old_iv: base}
        if iv_used and k:
            mapping[old_iv] = emit(arith.AddiOp(base, emit(arith.ConstantOp(IntegerAttr.from_index_int_value(k)))))
        for op in loop.body.block.ops:
            if op in p.loads:
                mapping[op.res] = lane_values[p.loads[op]][k]
            elif op in p.stores:
                stored[p.stores[op]].append(mapping.get(op.value, op.value))
            elif not isinstance(op, scf.YieldOp) and op not in index_ops:
                emit(op.clone(value_mapper=mapping))
    for access, values in stored.items():
        emit(gpux.StoreLanesOp(values, access[0], at[access]))
    emit(scf.YieldOp())
    body.add_ops(inner)
    ops.append(scf.ForOp(loop.lb, n_vectors, loop.step, [], body))
    tail = add(arith.AddiOp(add(arith.MuliOp(n_vectors, lanes)), loop.lb))
    Rewriter.insert_op(ops, InsertPoint.before(loop))
    loop.operands[0] = tail


class VectorizeGPULoadsPass(ModulePass):
    """Aligned vector loads/stores (4 x f32, 2 x f64 per thread) in elementwise kernels (see docstring)."""

    name = "vectorize-gpu-loads"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lanes: dict[str, int] = {}
        for kernel in op.walk():
            if not isinstance(kernel, gpu.FuncOp) or kernel.known_block_size is None:
                continue
            block_size = kernel.known_block_size.get_values()[0]
            for loop in [o for o in kernel.body.block.ops if isinstance(o, scf.ForOp)]:
                if loop.iter_args or not is_grid_stride(loop, block_size):
                    continue
                p = plan(loop)
                if p is not None:
                    vectorize(loop, p)
                    lanes[kernel.sym_name.data] = max(lanes.get(kernel.sym_name.data, 1), p.lanes)
        for launch in [o for o in op.walk() if isinstance(o, gpu.LaunchFuncOp)]:
            refs = launch.kernel.nested_references.data
            n = lanes.get(refs[-1].data if refs else launch.kernel.root_reference.data)
            if n:  # a thread now takes n elements per step: n times fewer blocks (0 stays 0)
                c = arith.ConstantOp(IntegerAttr.from_index_int_value(n))
                grid = arith.CeilDivUIOp(launch.gridSizeX, c.result)
                Rewriter.insert_op([c, grid], InsertPoint.before(launch))
                launch.operands[0] = grid.result
