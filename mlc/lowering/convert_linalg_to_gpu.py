"""convert-linalg-to-gpu: outline the loop level's loop nests into GPU kernels.

Pre-condition: the bufferized loop level (`func.func`s over memrefs with
`linalg.generic`/`linalg.fill`, `memref.copy`, `blas.*`, host scalar code).
Post-condition: the module is a `gpu.container_module`; every loop nest and
every host access to array memory became a `gpu.func` kernel in
`gpu.module @kernels`, launched from the host function by `gpu.launch_func`.
What stays on the host: allocations, `memref.dim`, views, index arithmetic,
`blas.*` (cuBLAS on the device) and the launches. Each kernel runs with
`block_size` threads per block (the `gpu.known_block_size` attribute) and
takes its operands as memrefs (identity layout: a view is re-made inside
the kernel from its base buffer) and scalars.

Kernel kinds (`plan`), all deterministic for a given size:

* **map**: every point of the generic's parallel dims is one work item; the
  items are numbered innermost-dim-fastest (so neighbouring threads touch
  neighbouring elements) and a *grid-stride loop* covers them
  (`for i = bid*B + tid; i < n; i += B*grid`), the grid capped at
  `max_blocks`. Reduction dims, if any, run as a loop per item with the
  output value carried in a register (column sums: a thread per column).
* **row reduction** (the last dim reduces, every output has a known
  combiner, see `COMBINER_IDENTITY`): one block per row. Each thread folds a
  strided share of the row into a private accumulator started at the
  combiner's identity; the block combines the B accumulators through
  shared memory (a tree down to one warp, barriers between levels) and warp
  shuffles; thread 0 combines the result into the output.
* **full reduction** (no parallel dim): two passes. `grid = min(ceil(n/B),
  reduce_blocks)` blocks each fold a grid-strided share into `partials[bid]`
  (as above); one block then folds the partials in order into the output.
* **parallel loop** (`scf.parallel`, e.g. the MRG generator's streams):
  grid-stride over its iterations, like map; a host `scf.for` around it
  stays on the host and launches it once per iteration;
* **serial**: anything else (a nest whose outputs several items may write,
  a body op outside scalar code) and host scalar code (`memref.load`/`store`
  on the host, what depends on them) runs as written in one thread.

`gpu.launch_func` with a grid of 0 blocks means "nothing to do" (the
runtime and the emulation skip it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AnyFloat,
    ArrayAttr,
    FloatAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    UnitAttr,
)
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.dialects.linalg.ops import FillOp, GenericOp, IndexOp, YieldOp
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.traits import IsTerminator
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)
from xdsl.dialects.builtin import AffineMapAttr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from mlc.dialects import gpux
from mlc.dialects.blas import is_identity_layout
from mlc.dialects.utils.buffer_uses import VIEWS, top_level
from mlc.dialects.utils.combiners import combiner_of, identity_attr

KERNEL_MODULE = "kernels"
#: memory space of a block's shared memory (`#gpu.address_space<workgroup>` in MLIR)
SHARED_SPACE = 3
#: ops the host keeps (everything else touching memory moves into a kernel)
_HOST_MEMORY = (memref.AllocOp, memref.DeallocOp, memref.DimOp, *VIEWS)


class GPUOutlineError(PassFailedException):
    def __init__(self, op: Operation, message: str):
        super().__init__(f"convert-linalg-to-gpu: '{op.name}': {message}")


# ---------------------------------------------------------------------------
# A small builder: ops appended at the end of a block
# ---------------------------------------------------------------------------


class Builder:
    def __init__(self, block: Block):
        self.block = block

    def __call__(self, op: Operation) -> SSAValue:
        self.block.add_op(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    def index(self, value: int) -> SSAValue:
        return self(arith.ConstantOp(IntegerAttr.from_index_int_value(value)))

    def const(self, value, t: Attribute) -> SSAValue:
        if isinstance(t, AnyFloat):
            return self(arith.ConstantOp(FloatAttr(float(value), t)))
        if isinstance(t, IndexType):
            return self.index(int(value))
        return self(arith.ConstantOp(IntegerAttr(int(value), t, truncate_bits=True)))

    def for_loop(self, lb: SSAValue, ub: SSAValue, step: SSAValue, inits: Sequence[SSAValue],
                 body: Callable[[Builder, SSAValue, Sequence[SSAValue]], Sequence[SSAValue]]) -> list[SSAValue]:
        inner = Block(arg_types=[IndexType(), *[v.type for v in inits]])
        b = Builder(inner)
        results = body(b, inner.args[0], inner.args[1:])
        b(scf.YieldOp(*results))
        loop = scf.ForOp(lb, ub, step, list(inits), inner)
        self.block.add_op(loop)
        return list(loop.results)

    def if_then(self, cond: SSAValue, body: Callable[[Builder], None]) -> None:
        inner = Block()
        body(Builder(inner))
        inner.add_op(scf.YieldOp())
        self.block.add_op(scf.IfOp(cond, [], Region(inner)))

    def cmp(self, predicate: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(arith.CmpiOp(a, b, predicate))

    def thread_id(self) -> SSAValue:
        return self(gpu.ThreadIdOp(gpu.DimensionAttr(gpu.DimensionEnum.X)))

    def block_id(self) -> SSAValue:
        return self(gpu.BlockIdOp(gpu.DimensionAttr(gpu.DimensionEnum.X)))

    def grid_dim(self) -> SSAValue:
        return self(gpu.GridDimOp(gpu.DimensionAttr(gpu.DimensionEnum.X)))

    def delinearize(self, linear: SSAValue, sizes: Sequence[SSAValue]) -> list[SSAValue]:
        """The indices of flat position `linear` in a row-major space of `sizes`."""
        out: list[SSAValue] = []
        rest = linear
        for k in range(len(sizes) - 1, -1, -1):
            if k == 0:
                out.append(rest)
            else:
                out.append(self(arith.RemUIOp(rest, sizes[k])))
                rest = self(arith.DivUIOp(rest, sizes[k]))
        return out[::-1]

    def product(self, sizes: Sequence[SSAValue]) -> SSAValue:
        total = self.index(1)
        for s in sizes:
            total = self(arith.MuliOp(total, s))
        return total


def affine_value(b: Builder, expr: AffineExpr, dims: Sequence[SSAValue]) -> SSAValue:
    """Materialize an affine expression of the loop indices as index arithmetic."""
    if isinstance(expr, AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, AffineConstantExpr):
        return b.index(expr.value)
    assert isinstance(expr, AffineBinaryOpExpr), expr
    lhs, rhs = affine_value(b, expr.lhs, dims), affine_value(b, expr.rhs, dims)
    ops = {
        AffineBinaryOpKind.Add: arith.AddiOp,
        AffineBinaryOpKind.Mul: arith.MuliOp,
        AffineBinaryOpKind.Mod: arith.RemSIOp,
        AffineBinaryOpKind.FloorDiv: arith.FloorDivSIOp,
        AffineBinaryOpKind.CeilDiv: arith.CeilDivSIOp,
    }
    return b(ops[expr.kind](lhs, rhs))


# ---------------------------------------------------------------------------
# The generic's body, inlined at given loop indices
# ---------------------------------------------------------------------------


@dataclass
class Nest:
    """A linalg.generic as seen from inside its kernel (operands already mapped)."""

    generic: GenericOp
    mapping: dict[SSAValue, SSAValue]  # outside value -> kernel value
    #: the memrefs are seen flattened to 1-D (see `flatten_elementwise`): every array operand is
    #: indexed by the one linear index `ivs[0]`
    flat: bool = False

    @property
    def n_inputs(self) -> int:
        return len(self.generic.inputs)

    def operand(self, k: int) -> SSAValue:
        return self.mapping[self.generic.operands[k]]

    def maps(self) -> list[AffineMap]:
        return [m.data for m in self.generic.get_indexing_maps().data]

    def iterators(self) -> list[str]:
        return [str(it.data) for it in self.generic.iterator_types.data]

    def split_dims(self) -> tuple[list[int], list[int]]:
        """The parallel dims and the reduction dims, in order."""
        iterators = self.iterators()
        return ([d for d, it in enumerate(iterators) if it == "parallel"],
                [d for d, it in enumerate(iterators) if it != "parallel"])

    def sizes(self, b: Builder) -> list[SSAValue]:
        out = []
        for operand, dim_index, dim_size in self.generic.get_loop_bound_sources():
            if dim_size >= 0:
                out.append(b.index(dim_size))
            else:
                out.append(b(memref.DimOp(self.mapping[operand], b.index(dim_index))))
        return out

    def element(self, b: Builder, k: int, ivs: Sequence[SSAValue]) -> SSAValue:
        """Operand k's element at the loop indices (a scalar operand is itself)."""
        value = self.operand(k)
        if not isinstance(value.type, MemRefType):
            return value
        return b(memref.LoadOp.get(value, self._indices(b, k, value, ivs)))

    def store(self, b: Builder, k: int, value: SSAValue, ivs: Sequence[SSAValue]) -> None:
        out = self.operand(self.n_inputs + k)
        b(memref.StoreOp.get(value, out, self._indices(b, self.n_inputs + k, out, ivs)))

    def _indices(self, b: Builder, k: int, value: SSAValue, ivs: Sequence[SSAValue]) -> list[SSAValue]:
        if self.flat:
            return [ivs[0]] if value.type.get_num_dims() else []
        return [affine_value(b, e, ivs) for e in self.maps()[k].results]

    def body(self, b: Builder, ivs: Sequence[SSAValue], outs: Sequence[SSAValue | None]) -> list[SSAValue]:
        """Clone the body at `ivs`; `outs[k]` stands for output k's current value (None: load it).

        Returns the yielded values."""
        block = self.generic.body.block
        local = dict(self.mapping)
        for k, arg in enumerate(block.args):
            if not arg.uses:
                continue
            if k < self.n_inputs:
                local[arg] = self.element(b, k, ivs)
            else:
                given = outs[k - self.n_inputs]
                local[arg] = given if given is not None else self.element(b, k, ivs)
        for op in block.ops:
            if isinstance(op, YieldOp):
                return [local[v] for v in op.operands]
            if isinstance(op, IndexOp):
                local[op.result] = ivs[op.dim.value.data]
                continue
            clone = op.clone(value_mapper=local)
            b.block.add_op(clone)
        raise AssertionError("linalg.generic body without yield")  # pragma: no cover


def flatten_elementwise(nest: Nest, b: Builder) -> Nest | None:
    """An elementwise nest over contiguous buffers of its own shape, seen through 1-D memrefs.

    When every array operand is indexed by the identity map (0-d operands
    and scalars aside), each is contiguous (identity layout, or 1-D with
    unit stride: a slice with an offset) and the body does not read its
    indices, item i of the grid-stride loop is element i of every buffer:
    the kernel collapses the buffers to 1-D (no index arithmetic per item)
    and indexes them by the loop's own index, the form `vectorize-gpu-loads`
    turns into vector loads. None when the nest is not of that form."""
    generic = nest.generic
    if any(isinstance(op, IndexOp) for op in generic.body.walk()):
        return None
    par, red = nest.split_dims()
    if red or not par:
        return None
    rank = len(par)
    flat_values: dict[SSAValue, SSAValue] = {}
    for k, (operand, m) in enumerate(zip(generic.operands, nest.maps())):
        value = nest.mapping[operand]
        t = value.type
        if not isinstance(t, MemRefType) or t.get_num_dims() == 0:
            continue
        identity_map = list(m.results) == [AffineDimExpr(d) for d in range(rank)]
        if not identity_map or t.get_num_dims() != rank:
            return None
        if not (is_identity_layout(t) or gpux.unit_stride_1d(t)):
            return None
    for operand in generic.operands:
        value = nest.mapping[operand]
        t = value.type
        if not isinstance(t, MemRefType) or t.get_num_dims() <= 1 or value in flat_values:
            continue
        shape = t.get_shape()
        n = DYNAMIC_INDEX if any(d < 0 for d in shape) else math.prod(shape)
        flat_type = MemRefType(t.get_element_type(), [n])
        group = ArrayAttr([IntegerAttr(d, 64) for d in range(rank)])
        flat_values[value] = b(memref.CollapseShapeOp.create(
            operands=[value], result_types=[flat_type], properties={"reassociation": ArrayAttr([group])}))
    mapping = {o: flat_values.get(nest.mapping[o], nest.mapping[o]) for o in generic.operands}
    return Nest(generic, {**nest.mapping, **mapping}, flat=True)


# ---------------------------------------------------------------------------
# May I? (which kernel kind)
# ---------------------------------------------------------------------------


def _dims(expr: AffineExpr) -> set[int]:
    if isinstance(expr, AffineDimExpr):
        return {expr.position}
    if isinstance(expr, AffineBinaryOpExpr):
        return _dims(expr.lhs) | _dims(expr.rhs)
    return set()


def _outputs_private(generic: GenericOp) -> bool:
    """Is every output element written by exactly one point of the parallel dims?

    True when each output is indexed by plain parallel dims only, all of them."""
    iterators = [str(it.data) for it in generic.iterator_types.data]
    parallel = {d for d, it in enumerate(iterators) if it == "parallel"}
    for m in generic.get_indexing_maps().data[len(generic.inputs):]:
        results = m.data.results
        if not all(isinstance(e, AffineDimExpr) and e.position in parallel for e in results):
            return False
        if {e.position for e in results} != parallel:  # type: ignore[union-attr]
            return False
    return True


def _scalar_body(generic: GenericOp) -> bool:
    allowed = (YieldOp, IndexOp, memref.LoadOp, memref.DimOp, scf.IfOp, scf.YieldOp, scf.ForOp)
    return all(op.dialect_name() in ("arith", "math") or isinstance(op, allowed)
               for op in generic.body.walk())


def plan(generic: GenericOp) -> str:
    """'map', 'row', 'full' or 'serial' (see the module docstring)."""
    if generic.res or not _scalar_body(generic):
        return "serial"
    iterators = [str(it.data) for it in generic.iterator_types.data]
    if "reduction" not in iterators:
        return "map" if _outputs_private(generic) else "serial"
    inputs = set(generic.inputs)
    combiners_known = (all(combiner_of(generic, k) is not None for k in range(len(generic.outputs)))
                       and not inputs & set(generic.outputs))
    if "parallel" not in iterators:
        return "full" if combiners_known else "serial"
    if not _outputs_private(generic):
        return "serial"
    if iterators[-1] == "reduction" and combiners_known:
        # parallel dims first, then reductions: rows of contiguous reduced elements
        first_red = iterators.index("reduction")
        if all(it == "reduction" for it in iterators[first_red:]):
            return "row"
    return "map"


# ---------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------


@dataclass
class Kernel:
    """A kernel under construction: its block, arguments and the host values they stand for."""

    block: Block = field(default_factory=Block)
    captures: list[SSAValue] = field(default_factory=list)
    mapping: dict[SSAValue, SSAValue] = field(default_factory=dict)
    #: host scalar code (loads of 0-d arrays and what they feed) re-computed inside the kernel
    sunk: set[Operation] = field(default_factory=set)

    @property
    def b(self) -> Builder:
        return Builder(self.block)

    def capture(self, value: SSAValue) -> SSAValue:
        """The kernel's value for host value `value` (an argument, a cloned constant or view)."""
        if value in self.mapping:
            return self.mapping[value]
        owner = value.owner
        if isinstance(owner, arith.ConstantOp):
            clone = owner.clone()
            self.block.add_op(clone)
            self.mapping[value] = clone.result
            return clone.result
        if owner in self.sunk:
            operands = [self.capture(v) for v in owner.operands]
            clone = owner.clone(value_mapper=dict(zip(owner.operands, operands)))
            self.block.add_op(clone)
            self.mapping[value] = clone.results[0]
            return clone.results[0]
        if isinstance(owner, VIEWS) or (isinstance(value.type, MemRefType)
                                         and not is_identity_layout(value.type)):
            if not isinstance(owner, VIEWS):
                raise GPUOutlineError(owner if isinstance(owner, Operation) else value.owner.parent_op(),
                                      f"a kernel operand {value.type} has a layout the kernel ABI cannot pass")
            operands = [self.capture(v) for v in owner.operands]
            clone = owner.clone(value_mapper=dict(zip(owner.operands, operands)))
            self.block.add_op(clone)
            self.mapping[value] = clone.results[0]
            return clone.results[0]
        t = value.type
        if not isinstance(t, (MemRefType, IndexType, IntegerType, AnyFloat)):
            raise GPUOutlineError(value.owner if isinstance(value.owner, Operation) else value.owner.parent_op(),
                                  f"a kernel cannot take a value of type {t}")
        arg = self.block.insert_arg(t, len(self.block.args))
        arg.name_hint = value.name_hint
        self.captures.append(value)
        self.mapping[value] = arg
        return arg

    def capture_uses(self, ops: Sequence[Operation]) -> None:
        """Capture every value the ops (and their regions) use from outside them."""
        inside: set[SSAValue] = set()
        for op in ops:
            for inner in op.walk():
                inside.update(inner.results)
                for region in inner.regions:
                    for block in region.blocks:
                        inside.update(block.args)
        for op in ops:
            for inner in op.walk():
                for v in inner.operands:
                    if v not in inside:
                        self.capture(v)


class Outliner:
    """Per host function: turns its loop nests into kernels and launches."""

    def __init__(self, module: ModuleOp, kernels: gpu.ModuleOp, options: ConvertLinalgToGPUPass):
        self.module = module
        self.kernels = kernels
        self.block_size = options.block_size
        self.max_blocks = options.max_blocks
        self.reduce_blocks = options.reduce_blocks
        self.taken = {op.sym_name.data for op in kernels.body.block.ops if isinstance(op, gpu.FuncOp)}
        self.sunk: set[Operation] = set()

    def kernel(self) -> Kernel:
        return Kernel(sunk=self.sunk)

    # -- kernels and launches ---------------------------------------------------

    def finish(self, kernel: Kernel, base: str, threads: int) -> str:
        name, k = f"{base}_k0", 0
        while name in self.taken:
            k += 1
            name = f"{base}_k{k}"
        self.taken.add(name)
        kernel.block.add_op(gpu.ReturnOp([]))
        types = [a.type for a in kernel.block.args]
        f = gpu.FuncOp(name, (types, []), Region(kernel.block), kernel=True,
                       known_block_size=[threads, 1, 1])
        self.kernels.body.block.add_op(f)
        return name

    def launch(self, name: str, kernel: Kernel, grid: SSAValue, threads: int, host: Builder) -> None:
        one = host.index(1)
        host(gpu.LaunchFuncOp(SymbolRefAttr(KERNEL_MODULE, [name]), [grid, one, one],
                              [host.index(threads), one, one], kernelOperands=list(kernel.captures)))

    @staticmethod
    def _ceil_div_min(host: Builder, n: SSAValue, block: int, cap: int) -> SSAValue:
        blocks = host(arith.CeilDivUIOp(n, host.index(block)))
        return host(arith.MinUIOp(blocks, host.index(cap)))

    # -- one generic --------------------------------------------------------------

    def outline_generic(self, generic: GenericOp, base: str) -> list[Operation]:
        kind = plan(generic)
        host_block = Block()
        host = Builder(host_block)
        if kind == "full":
            self.full_reduction(generic, base, host)
        else:
            kernel = self.kernel()
            kernel.capture_uses([generic])
            nest = Nest(generic, kernel.mapping)
            threads = self.block_size
            if kind == "serial":
                self.serial_nest(nest, kernel)
                grid, threads = host.index(1), 1
            elif kind == "map":
                grid = self.map_nest(nest, kernel, host)
            else:
                grid = self.row_nest(nest, kernel, host)
            self.launch(self.finish(kernel, base, threads), kernel, grid, threads, host)
        ops = list(host_block.ops)
        for op in ops:
            op.detach()
        return ops

    def _host_sizes(self, generic: GenericOp, host: Builder, dims: Sequence[int]) -> SSAValue:
        """The host-side product of the loop sizes of `dims`."""
        sources = generic.get_loop_bound_sources()
        sizes = []
        for d in dims:
            operand, dim_index, dim_size = sources[d]
            if dim_size >= 0:
                sizes.append(host.index(dim_size))
            else:
                sizes.append(host(memref.DimOp(operand, host.index(dim_index))))
        return host.product(sizes)

    def map_nest(self, nest: Nest, kernel: Kernel, host: Builder) -> SSAValue:
        par, red = nest.split_dims()
        b = kernel.b
        sizes = nest.sizes(b)
        total = b.product([sizes[d] for d in par])
        start = b(arith.AddiOp(b(arith.MuliOp(b.block_id(), b.index(self.block_size))), b.thread_id()))
        stride = b(arith.MuliOp(b.grid_dim(), b.index(self.block_size)))
        n_out = len(nest.generic.outputs)
        flat = flatten_elementwise(nest, b)

        def flat_item(ib: Builder, linear: SSAValue, _args):
            for k, v in enumerate(flat.body(ib, [linear], [None] * n_out)):
                flat.store(ib, k, v, [linear])
            return []

        def item(ib: Builder, linear: SSAValue, _args):
            ivs: list[SSAValue | None] = [None] * (len(par) + len(red))
            for d, v in zip(par, ib.delinearize(linear, [sizes[d] for d in par])):
                ivs[d] = v
            if not red:
                values = nest.body(ib, ivs, [None] * n_out)
            else:
                inits = [nest.element(ib, nest.n_inputs + k, ivs) for k in range(n_out)]
                values = self._reduction_loops(ib, nest, ivs, red, sizes, inits)
            for k, v in enumerate(values):
                nest.store(ib, k, v, ivs)
            return []

        b.for_loop(start, total, stride, [], flat_item if flat is not None else item)
        return self._ceil_div_min(host, self._host_sizes(nest.generic, host, par), self.block_size,
                                  self.max_blocks)

    @staticmethod
    def _reduction_loops(b: Builder, nest: Nest, ivs: list, red: list[int], sizes, accs) -> list[SSAValue]:
        """Nested loops over the reduction dims carrying the outputs' values."""
        if not red:
            return nest.body(b, ivs, accs)
        d = red[0]

        def step(ib: Builder, iv: SSAValue, args):
            ivs[d] = iv
            return Outliner._reduction_loops(ib, nest, ivs, red[1:], sizes, list(args))

        return b.for_loop(b.index(0), sizes[d], b.index(1), accs, step)

    def serial_nest(self, nest: Nest, kernel: Kernel) -> None:
        """The whole nest in thread 0 of block 0, loads and stores at every point (linalg's own meaning)."""
        b = kernel.b
        sizes = nest.sizes(b)
        first = b(arith.AndIOp(b.cmp("eq", b.thread_id(), b.index(0)), b.cmp("eq", b.block_id(), b.index(0))))
        n_out = len(nest.generic.outputs)

        def nest_loops(ib: Builder, ivs: list, d: int):
            if d == len(sizes):
                for k, v in enumerate(nest.body(ib, ivs, [None] * n_out)):
                    nest.store(ib, k, v, ivs)
                return

            def step(lb: Builder, iv, _args):
                nest_loops(lb, [*ivs, iv], d + 1)
                return []

            ib.for_loop(ib.index(0), sizes[d], ib.index(1), [], step)

        b.if_then(first, lambda ib: nest_loops(ib, [], 0))

    def _identities(self, b: Builder, generic: GenericOp) -> tuple[list[Operation], list[SSAValue]]:
        combiners = [combiner_of(generic, k) for k in range(len(generic.outputs))]
        types = [o.type.get_element_type() for o in generic.outputs]
        return combiners, [identity(b, c, t) for c, t in zip(combiners, types)]  # type: ignore[arg-type]

    def row_nest(self, nest: Nest, kernel: Kernel, host: Builder) -> SSAValue:
        par, red = nest.split_dims()
        b = kernel.b
        sizes = nest.sizes(b)
        combiners, inits = self._identities(b, nest.generic)
        shared = self._shared(b, nest.generic)
        ivs: list[SSAValue | None] = [None] * (len(par) + len(red))
        for d, v in zip(par, b.delinearize(b.block_id(), [sizes[d] for d in par])):
            ivs[d] = v
        red_total = b.product([sizes[d] for d in red])

        def step(ib: Builder, linear: SSAValue, accs):
            row_ivs = list(ivs)
            for d, v in zip(red, ib.delinearize(linear, [sizes[d] for d in red])):
                row_ivs[d] = v
            return nest.body(ib, row_ivs, list(accs))

        accs = b.for_loop(b.thread_id(), red_total, b.index(self.block_size), inits, step)
        totals = block_reduce(b, accs, combiners, shared, self.block_size)

        def write(ib: Builder):
            for k, (c, total) in enumerate(zip(combiners, totals)):
                old = nest.element(ib, nest.n_inputs + k, ivs)
                nest.store(ib, k, combine(ib, c, old, total), ivs)

        b.if_then(b.cmp("eq", b.thread_id(), b.index(0)), write)
        return self._host_sizes(nest.generic, host, par)

    def _shared(self, b: Builder, generic: GenericOp) -> list[SSAValue]:
        return [b(memref.AllocaOp.get(o.type.get_element_type(), shape=[self.block_size],
                                      memory_space=IntegerAttr(SHARED_SPACE, 64)))
                for o in generic.outputs]

    def full_reduction(self, generic: GenericOp, base: str, host: Builder) -> None:
        iterators = [str(it.data) for it in generic.iterator_types.data]
        B = self.block_size
        n = self._host_sizes(generic, host, list(range(len(iterators))))
        grid = self._ceil_div_min(host, n, B, self.reduce_blocks)
        types = [o.type.get_element_type() for o in generic.outputs]
        partials = [host(memref.AllocOp([grid], [], MemRefType(t, [DYNAMIC_INDEX]))) for t in types]

        # pass 1: each block folds a grid-strided share into partials[bid]
        k1 = self.kernel()
        k1.capture_uses([generic])
        part_args = [k1.capture(p) for p in partials]
        nest = Nest(generic, k1.mapping)
        b = k1.b
        sizes = nest.sizes(b)
        combiners, inits = self._identities(b, generic)
        shared = self._shared(b, generic)
        total = b.product(sizes)
        start = b(arith.AddiOp(b(arith.MuliOp(b.block_id(), b.index(B))), b.thread_id()))
        stride = b(arith.MuliOp(b.grid_dim(), b.index(B)))

        def step(ib: Builder, linear: SSAValue, accs):
            return nest.body(ib, ib.delinearize(linear, sizes), list(accs))

        accs = b.for_loop(start, total, stride, inits, step)
        totals = block_reduce(b, accs, combiners, shared, B)

        def write_partials(ib: Builder):
            for p, t in zip(part_args, totals):
                ib(memref.StoreOp.get(t, p, [ib.block_id()]))

        b.if_then(b.cmp("eq", b.thread_id(), b.index(0)), write_partials)
        self.launch(self.finish(k1, base, B), k1, grid, B, host)

        # pass 2: one block folds the partials, in order of their index, into the outputs
        k2 = self.kernel()
        outs = [k2.capture(o) for o in generic.outputs]
        parts = [k2.capture(p) for p in partials]
        count = k2.capture(grid)
        b = k2.b
        inits2 = [identity(b, c, t) for c, t in zip(combiners, types)]
        shared2 = self._shared(b, generic)

        def fold(ib: Builder, j: SSAValue, accs2):
            return [combine(ib, c, a, ib(memref.LoadOp.get(p, [j]))) for c, a, p in zip(combiners, accs2, parts)]

        accs2 = b.for_loop(b.thread_id(), count, b.index(B), inits2, fold)
        totals2 = block_reduce(b, accs2, combiners, shared2, B)

        def write(ib: Builder):
            for c, o, t in zip(combiners, outs, totals2):
                old = ib(memref.LoadOp.get(o, []))
                ib(memref.StoreOp.get(combine(ib, c, old, t), o, []))

        b.if_then(b.cmp("eq", b.thread_id(), b.index(0)), write)
        self.launch(self.finish(k2, base, B), k2, host.index(1), B, host)
        for p in partials:
            host(memref.DeallocOp.get(p))

    # -- scf.parallel ------------------------------------------------------------------

    def outline_parallel(self, loop: scf.ParallelOp, base: str) -> list[Operation]:
        """An scf.parallel nest (independent iterations) as a grid-stride kernel over its iterations."""
        if loop.initVals:
            raise GPUOutlineError(loop, "scf.parallel with reductions is not supported on the GPU yet")
        B = self.block_size
        kernel = self.kernel()
        kernel.capture_uses([loop])
        b = kernel.b

        def counts(bb: Builder, value) -> list[SSAValue]:
            zero = bb.index(0)
            out = []
            for lb, ub, step in zip(loop.lowerBound, loop.upperBound, loop.step):
                span = bb(arith.MaxSIOp(bb(arith.SubiOp(value(ub), value(lb))), zero))
                out.append(bb(arith.CeilDivUIOp(span, value(step))))
            return out

        sizes = counts(b, kernel.capture)
        total = b.product(sizes)
        start = b(arith.AddiOp(b(arith.MuliOp(b.block_id(), b.index(B))), b.thread_id()))
        stride = b(arith.MuliOp(b.grid_dim(), b.index(B)))

        def item(ib: Builder, linear: SSAValue, _args):
            local = dict(kernel.mapping)
            for arg, c, lb, step in zip(loop.body.block.args, ib.delinearize(linear, sizes),
                                        loop.lowerBound, loop.step):
                local[arg] = ib(arith.AddiOp(kernel.capture(lb), ib(arith.MuliOp(c, kernel.capture(step)))))
            for op in loop.body.block.ops:
                if not isinstance(op, scf.ReduceOp):
                    ib.block.add_op(op.clone(value_mapper=local))
            return []

        b.for_loop(start, total, stride, [], item)
        host_block = Block()
        host = Builder(host_block)
        grid = self._ceil_div_min(host, host.product(counts(host, lambda v: v)), B, self.max_blocks)
        self.launch(self.finish(kernel, base, B), kernel, grid, B, host)
        out = list(host_block.ops)
        for op in out:
            op.detach()
        return out

    # -- host scalar code -----------------------------------------------------------

    def outline_serial_ops(self, ops: list[Operation], base: str) -> list[Operation]:
        """Host ops touching array memory (and what they feed) as a one-thread kernel."""
        kernel = self.kernel()
        kernel.capture_uses(ops)
        b = kernel.b
        first = b(arith.AndIOp(b.cmp("eq", b.thread_id(), b.index(0)), b.cmp("eq", b.block_id(), b.index(0))))
        inner = Block()
        for op in ops:
            op.detach()
            inner.add_op(op)
            for i, v in enumerate(op.operands):
                if v in kernel.mapping:
                    op.operands[i] = kernel.mapping[v]
            for nested in op.walk():
                for i, v in enumerate(nested.operands):
                    if v in kernel.mapping:
                        nested.operands[i] = kernel.mapping[v]
        inner.add_op(scf.YieldOp())
        b(scf.IfOp(first, [], Region(inner)))
        host_block = Block()
        host = Builder(host_block)
        self.launch(self.finish(kernel, base, 1), kernel, host.index(1), 1, host)
        out = list(host_block.ops)
        for op in out:
            op.detach()
        return out


def identity(b: Builder, combiner: Operation, t: Attribute) -> SSAValue:
    return b(arith.ConstantOp(identity_attr(combiner, t)))


def combine(b: Builder, combiner: Operation, x: SSAValue, y: SSAValue) -> SSAValue:
    """The combiner op applied to (x, y) (every known combiner is commutative)."""
    op = combiner.clone_without_regions()
    op.operands = [x, y]
    return b(op)


def block_reduce(b: Builder, values: Sequence[SSAValue], combiners: Sequence[Operation],
                 shared: Sequence[SSAValue], block_size: int) -> list[SSAValue]:
    """Combine one value per thread across the block; the result is valid in thread 0.

    Shared memory halves the values down to one warp (a barrier after each
    level), then five warp shuffles finish. Every thread runs every step
    (the ones without work only skip the tree's `if`), so barriers and
    shuffles are reached by the whole block."""
    tid = b.thread_id()
    for s, v in zip(shared, values):
        b(memref.StoreOp.get(v, s, [tid]))
    b(gpu.BarrierOp())
    half = block_size // 2
    while half >= gpux.WARP_SIZE:
        h = half

        def level(ib: Builder):
            other = ib(arith.AddiOp(tid, ib.index(h)))
            for c, s in zip(combiners, shared):
                mine = ib(memref.LoadOp.get(s, [tid]))
                theirs = ib(memref.LoadOp.get(s, [other]))
                ib(memref.StoreOp.get(combine(ib, c, mine, theirs), s, [tid]))

        b.if_then(b.cmp("ult", tid, b.index(h)), level)
        b(gpu.BarrierOp())
        half //= 2
    out = []
    for c, s in zip(combiners, shared):
        v = b(memref.LoadOp.get(s, [tid]))
        offset = gpux.WARP_SIZE // 2
        while offset >= 1:
            v = combine(b, c, v, b(gpux.ShuffleDownOp(v, offset)))
            offset //= 2
        out.append(v)
    return out


def fill_as_generic(fill: FillOp) -> GenericOp:
    """linalg.fill as the generic writing its value everywhere."""
    out = fill.outputs[0]
    rank = out.type.get_num_dims()
    block = Block(arg_types=[out.type.get_element_type()])
    block.add_op(YieldOp(fill.inputs[0]))
    m = AffineMapAttr(AffineMap(rank, 0, tuple(AffineDimExpr(d) for d in range(rank))))
    return GenericOp([], [out], Region(block), [m], [IteratorTypeAttr.parallel()] * rank)


def copy_as_generic(copy: memref.CopyOp) -> GenericOp:
    rank = copy.source.type.get_num_dims()
    block = Block(arg_types=[copy.source.type.get_element_type(), copy.destination.type.get_element_type()])
    block.add_op(YieldOp(block.args[0]))
    m = AffineMapAttr(AffineMap(rank, 0, tuple(AffineDimExpr(d) for d in range(rank))))
    return GenericOp([copy.source], [copy.destination], Region(block), [m, m],
                     [IteratorTypeAttr.parallel()] * rank)


# ---------------------------------------------------------------------------
# The host function
# ---------------------------------------------------------------------------


def _is_host_op(op: Operation) -> bool:
    """Does `op` stay on the host (no access to array memory, no loop nest)?"""
    if isinstance(op, _HOST_MEMORY) or op.dialect_name() in ("blas", "gpu"):
        return True
    if isinstance(op, func.ReturnOp | func.CallOp | scf.YieldOp):
        return True
    return op.dialect_name() in ("arith", "math", "index") and not op.regions


def outline_function(f: func.FuncOp, outliner: Outliner) -> None:
    outline_ops(list(f.body.block.ops), outliner, f.sym_name.data, _host_loads(f), f)


def _at_host_level(op: Operation) -> bool:
    parent = op.parent_op()
    while isinstance(parent, (scf.ForOp, scf.IfOp)):
        parent = parent.parent_op()
    return isinstance(parent, func.FuncOp)


def _host_loads(f: func.FuncOp) -> set[Operation]:
    """Host loads whose values the host itself needs (loop bounds, allocation sizes).

    They stay on the host: the runtime reads the element from the device
    (a synchronizing copy of a few bytes)."""
    needed: list[SSAValue] = []
    for op in f.walk():
        if not _at_host_level(op):
            continue
        if isinstance(op, scf.ForOp):
            needed += [op.lb, op.ub, op.step, *op.iter_args]
        elif isinstance(op, scf.IfOp):  # ifelse: the host reads the condition and runs one branch
            needed.append(op.cond)
        elif isinstance(op, scf.ParallelOp):
            needed += [*op.lowerBound, *op.upperBound, *op.step]
        elif isinstance(op, memref.AllocOp):
            needed += list(op.dynamic_sizes)
    loads: set[Operation] = set()
    seen: set[SSAValue] = set()
    while needed:
        v = needed.pop()
        if v in seen or not isinstance(v.owner, Operation):
            continue
        seen.add(v)
        if isinstance(v.owner, memref.LoadOp):
            loads.add(v.owner)
            needed += list(v.owner.indices)
        elif v.owner.dialect_name() == "arith":
            needed += list(v.owner.operands)
    return loads


def outline_ops(ops: list[Operation], outliner: Outliner, base: str, host_loads: set[Operation],
                where: Operation) -> None:
    """Outline the nests of one host block (the function's, or a host loop's body, recursively)."""
    # host scalar code that reads array memory: loads, and everything depending on them
    tainted: set[SSAValue] = set()
    serial: list[Operation] = []
    for op in ops:
        if isinstance(op, (*_NESTS, scf.ParallelOp, scf.ForOp, scf.IfOp)) or op in host_loads:
            if isinstance(op, scf.ForOp) and any(v in tainted for v in op.operands):
                raise GPUOutlineError(op, "a host loop bounded by array values is not supported on the GPU")
            if isinstance(op, scf.IfOp) and op.cond in tainted:
                raise GPUOutlineError(op, "a host branch on a value computed on the device is not supported "
                                          "on the GPU")
            continue
        reads = isinstance(op, (memref.LoadOp, memref.StoreOp)) or any(v in tainted for v in op.operands)
        if not reads and op.regions:
            raise GPUOutlineError(op, "host control flow is not supported by the GPU backend yet")
        if reads and not isinstance(op, (memref.DeallocOp, func.ReturnOp, scf.YieldOp)):
            if op.dialect_name() not in ("arith", "math", "memref") or op.regions:
                raise GPUOutlineError(op, "host code depending on array values is not supported on the GPU")
            tainted.update(op.results)
            serial.append(op)
        elif not _is_host_op(op):
            raise GPUOutlineError(op, "no GPU lowering for this op at the host level")
    if any(isinstance(o, (func.ReturnOp, scf.YieldOp)) and any(v in tainted for v in o.operands) for o in ops):
        raise GPUOutlineError(where, "a host function or loop returning array values is not supported on the GPU")
    block = ops[0].parent_block() if ops else None
    sunk = _sinkable(serial, ops)
    outliner.sunk |= sunk
    serial = [op for op in serial if op not in sunk]

    # runs of serial ops (deallocs between them are moved after the run)
    run: list[Operation] = []
    deferred: list[Operation] = []

    def flush(before: Operation) -> None:
        nonlocal run, deferred
        if run:
            escaping = [v for o in run for v in o.results
                        if any(u.operation not in run for u in v.uses)]
            if escaping and _may_pass(run, before):
                return  # the run moves after `before` (a nest or host op it does not depend on)
            if escaping:
                raise GPUOutlineError(run[0], "a host value computed from array memory is used outside "
                                              "its kernel; not supported on the GPU")
            new = outliner.outline_serial_ops(run, base)
            Rewriter.insert_op([*new, *[d for d in deferred]], InsertPoint.before(before))
        run, deferred = [], []

    for op in ops:
        if op in serial:
            run.append(op)
            continue
        if run and isinstance(op, memref.DeallocOp):
            op.detach()
            deferred.append(op)
            continue
        if run and _pure_index(op, tainted):
            continue  # index arithmetic between serial ops stays on the host, before the kernel
        flush(op)
        if isinstance(op, _NESTS):
            generic = (fill_as_generic(op) if isinstance(op, FillOp)
                       else copy_as_generic(op) if isinstance(op, memref.CopyOp) else op)
            new = outliner.outline_generic(generic, base)
            Rewriter.insert_op(new, InsertPoint.before(op))
            Rewriter.erase_op(op)
            if generic is not op:
                generic.erase()
        elif isinstance(op, scf.ParallelOp):
            Rewriter.insert_op(outliner.outline_parallel(op, base), InsertPoint.before(op))
            Rewriter.erase_op(op)
        elif isinstance(op, scf.ForOp):  # a host loop: its body's nests become launches in the loop
            outline_ops(list(op.body.block.ops), outliner, base, host_loads, op)
        elif isinstance(op, scf.IfOp):  # ifelse: each branch's nests become launches in that branch
            for region in op.regions:
                if region.blocks:
                    outline_ops(list(region.block.ops), outliner, base, host_loads, op)
    if block is not None:
        _deallocate_after_last_use(block)
    for op in reversed(ops):  # host scalar code that was re-computed inside kernels
        if op in sunk and not any(r.uses for r in op.results):
            Rewriter.erase_op(op)


_NESTS = (GenericOp, FillOp, memref.CopyOp)


def _sinkable(serial: list[Operation], ops: list[Operation]) -> set[Operation]:
    """Host scalar ops whose values only feed loop nests: the kernels re-compute them.

    A load qualifies only if nothing between it and its last use may write
    the array it reads (a nest writing it, a store, a BLAS call, a call)."""
    block = ops[0].parent_block() if ops else None
    position = {op: k for k, op in enumerate(ops)}
    sunk: set[Operation] = set()
    for op in reversed(serial):
        if isinstance(op, memref.StoreOp) or not op.results:
            continue
        users = [top_level(u.operation, block) for r in op.results for u in r.uses]
        if not users or not all(isinstance(u, _NESTS) or u in sunk for u in users):
            continue
        if isinstance(op, memref.LoadOp):
            last = max(position[u] for u in users)
            source = op.memref
            writers = [o for o in ops[position[op] + 1:last + 1]
                       if (isinstance(o, GenericOp) and source in o.outputs)
                       or (isinstance(o, FillOp) and source in o.outputs)
                       or (isinstance(o, memref.CopyOp) and o.destination is source)
                       or (isinstance(o, memref.StoreOp) and o.memref is source)
                       or o.dialect_name() == "blas" or isinstance(o, func.CallOp)]
            if writers:
                continue
        sunk.add(op)
    return sunk


def _deallocate_after_last_use(block: Block) -> None:
    """Move each dealloc after the last launch (or other op) of the block using its buffer.

    A load sunk into a kernel (`x.sum() + x`: the sum read inside the
    elementwise kernel) uses its buffer later than the host load did."""
    ops = list(block.ops)
    position = {op: k for k, op in enumerate(ops)}
    for dealloc in [o for o in ops if isinstance(o, memref.DeallocOp)]:
        users = [_in_block(u.operation, block) for u in dealloc.memref.uses if u.operation is not dealloc]
        users = [u for u in users if u is not None]
        last = max(users, key=lambda u: position[u], default=None)
        if last is not None and position[last] > position[dealloc] and not last.has_trait(IsTerminator):
            dealloc.detach()
            Rewriter.insert_op(dealloc, InsertPoint.after(last))


def _in_block(op: Operation | None, block: Block) -> Operation | None:
    """The op of `block` that is or contains `op`, or None if `op` is not inside the block."""
    while op is not None and op.parent is not block:
        op = op.parent_op()
    return op


def _buffer(v: SSAValue) -> SSAValue:
    """The buffer a memref value views (through view ops)."""
    while isinstance(v.owner, VIEWS):
        v = v.owner.operands[0]
    return v


def _may_pass(run: list[Operation], op: Operation) -> bool:
    """May the host scalar ops `run` (still to be outlined) move after `op`?

    Yes when `op` is a loop nest or a host allocation, view or size that uses
    none of the run's values, writes no buffer the run touches and reads
    none the run writes (buffers compared through views). Moving the run
    lets its values reach host scalar code after a kernel (`a[-1] + b.sum()`)."""
    values = {v for o in run for v in o.results}
    if any(v in values for inner in op.walk() for v in inner.operands):
        return False
    reads = {_buffer(o.memref) for o in run if isinstance(o, memref.LoadOp)}
    writes = {_buffer(o.memref) for o in run if isinstance(o, memref.StoreOp)}
    if isinstance(op, (memref.AllocOp, memref.DimOp, *VIEWS)) or (
            op.dialect_name() == "arith" and not op.regions):
        return True
    if isinstance(op, (GenericOp, FillOp)):
        outs, ins = set(map(_buffer, op.outputs)), set(map(_buffer, op.inputs))
    elif isinstance(op, memref.CopyOp):
        outs, ins = {_buffer(op.destination)}, {_buffer(op.source)}
    else:
        return False
    return not (outs & (reads | writes)) and not (ins & writes)


def _pure_index(op: Operation, tainted: set[SSAValue]) -> bool:
    return (op.dialect_name() == "arith" and not op.regions and not any(v in tainted for v in op.operands))


@dataclass(frozen=True)
class ConvertLinalgToGPUPass(ModulePass):
    """Outline loop nests into GPU kernels (gpu.func) launched by the host function (see docstring)."""

    name = "convert-linalg-to-gpu"

    block_size: int = 256
    max_blocks: int = 4096
    reduce_blocks: int = 1024

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.block_size < gpux.WARP_SIZE or self.block_size & (self.block_size - 1):
            raise PassFailedException(f"convert-linalg-to-gpu: block_size must be a power of two >= "
                                      f"{gpux.WARP_SIZE}, got {self.block_size}")
        kernels = next((k for k in op.ops if isinstance(k, gpu.ModuleOp)), None)
        if kernels is None:
            kernels = gpu.ModuleOp(StringAttr(KERNEL_MODULE), Region(Block()))  # type: ignore[arg-type]
            op.body.block.add_op(kernels)
        outliner = Outliner(op, kernels, self)
        for f in [f for f in op.ops if isinstance(f, func.FuncOp) and not f.is_declaration]:
            outline_function(f, outliner)
        op.attributes["gpu.container_module"] = UnitAttr()
