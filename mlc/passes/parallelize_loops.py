"""parallelize-loops: outline loop nests so the CPU runtime can run them on all cores.

Pre-condition: loop level (`linalg.generic` on memrefs, before
`convert-linalg-to-loops`). Post-condition: every `linalg.generic` that can
run in parallel (below) is gone; in its place a *parallel call* of a new
private function that runs a range of the nest's iterations:

    %chunks = func.call @main_par0(%lo, %hi, %chunk, %cost, <captures>...) {mlc.parallel_for}
        : (index, index, index, index, ...) -> index

    func.func private @main_par0(%lo: index, %hi: index, %chunk: index, %cost: index, ...) -> index
        // the generic's loop nest (scf.for), the chosen loop running from %lo to %hi

The parallel call contract (`convert-to-llvm` lowers it to the thread
pool, `mlc.runtime.parallel`): the runtime splits [%lo, %hi) into chunks
`0..n-1` of consecutive iterations, calls the function once per chunk
(with that chunk's bounds and index; `%cost` = 0) on up to n threads, and
returns n. `%cost` estimates one iteration's work; the runtime runs the
whole range in the calling thread, as one chunk, below a size threshold.
Executed sequentially - the call as written - the function runs the
whole range as chunk 0 and returns 1: both readings compute the same.

Which loop runs in parallel ("may I?", `plan`):

* the first *parallel* iterator that every output indexes by itself (so
  chunks write disjoint elements) and that every operand uses only as a
  plain index (`d1`, not `d0 + d1`): elementwise nests and reductions over
  inner dims (row sums) split their outer rows;
* else, a *full reduction* (all iterators reduction, 0-d outputs, each
  output's combiner one of add/mul/max/min/and/or/xor, see
  `COMBINER_IDENTITY`): each chunk reduces its part of the outermost loop
  into a private accumulator started at the combiner's identity and stores
  it in `partials[chunk]`; after the call the caller folds the partials
  into the output in chunk order. That regroups the reduction (as
  `reassociate-reductions` documents); for a given size and thread count
  the order is fixed, so results are deterministic.

and only if the body is plain scalar code (arith, math, loads) and every
capture is an index/integer/float scalar or an identity-layout memref.
Anything else is left for `convert-linalg-to-loops` (sequential).

A 1-d `scf.parallel` from 0 by 1 without reductions (loops made directly
at the loop level: `mt.mrg_uniform`'s streams) is outlined the same way
when its body is straight-line arith/math with loads and stores: its
iterations are independent by the op's definition, so chunks may run
concurrently (`plan_parallel`, `outline_parallel`).

Captured constants are cloned into the outlined function. When every
captured memref comes from a distinct buffer (allocation or entry
argument), the outlined function's memref arguments are marked `noalias`
(`mlc.noalias`), like the entry function's, so its loops vectorize without
run-time alias checks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AnyFloat,
    FunctionType,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    UnitAttr,
)
from xdsl.dialects.linalg.ops import GenericOp, IndexOp, YieldOp
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriteWalker
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.transforms.convert_linalg_to_loops import LowerLinalgStructuredOpPattern

from mlc.dialects.blas import is_identity_layout
from mlc.dialects.utils.buffer_uses import VIEWS
from mlc.dialects.utils.combiners import COMBINER_IDENTITY, combiner_of, identity_attr
from mlc.dialects.utils.cost import op_cost

PARALLEL_ATTR = "mlc.parallel_for"
NOALIAS_ATTR = "mlc.noalias"
#: the runtime function giving the size the partials buffer needs (the most chunks a call may run)
MAX_CHUNKS_FN = "mlc_parallel_max_chunks"


# body ops a parallel nest may contain besides arith and math: pure scalar code and reads, and
# inner loops of such code (a sum over a CSR row in mt.csr_dot, binary exponentiation)
_ALLOWED_OPS: tuple[type[Operation], ...] = (
    YieldOp,
    IndexOp,
    memref.LoadOp,
    memref.DimOp,
    scf.IfOp,
    scf.ForOp,
    scf.YieldOp,
)

#: an op inside an inner `scf.for` counts this many times in the weight (its trip count is unknown)
INNER_LOOP_TRIPS = 16



@dataclass
class Plan:
    """How to run one generic in parallel."""

    dim: int  # the loop that is split into chunks
    combiners: list[Operation] | None  # full reduction: one combiner per output; None: parallel loop
    captures: list[SSAValue]  # values from outside, in order (constants excluded)
    constants: list[Operation]  # arith.constant ops from outside, cloned into the function
    weight: int  # work of one innermost iteration


# ---------------------------------------------------------------------------
# May I? (and how)
# ---------------------------------------------------------------------------


def _plain_uses(generic: GenericOp, dim: int) -> bool:
    """Does every operand index `dim` only as a plain result (`d<dim>`), if at all?"""
    for m in generic.get_indexing_maps().data:
        for expr in m.data.results:
            if dim in _dims_of(expr) and not (isinstance(expr, AffineDimExpr) and expr.position == dim):
                return False
    return True


def _dims_of(expr) -> set[int]:
    if isinstance(expr, AffineDimExpr):
        return {expr.position}
    out: set[int] = set()
    for child in ("lhs", "rhs"):
        if hasattr(expr, child):
            out |= _dims_of(getattr(expr, child))
    return out


def _indexes_by(m, dim: int) -> bool:
    return any(isinstance(e, AffineDimExpr) and e.position == dim for e in m.data.results)


def _inside(value: SSAValue, op: Operation) -> bool:
    owner = value.owner
    if isinstance(value, BlockArgument):
        owner = value.block.parent_op()
    return owner is not None and (owner is op or op.is_ancestor(owner))


def _inner_loops(op: Operation, generic: Operation) -> int:
    """How many `scf.for` loops of the generic's body enclose `op`."""
    depth = 0
    parent = op.parent_op()
    while parent is not None and parent is not generic:
        depth += isinstance(parent, scf.ForOp)
        parent = parent.parent_op()
    return depth


def _capture_ok(value: SSAValue) -> bool:
    t = value.type
    if isinstance(t, MemRefType):
        return is_identity_layout(t)
    return isinstance(t, (IndexType, IntegerType, AnyFloat))


def plan(generic: GenericOp) -> Plan | None:
    """How `generic` runs in parallel, or None if it does not (see module docstring)."""
    if generic.res or not generic.iterator_types.data:
        return None
    iterators = [str(it.data) for it in generic.iterator_types.data]
    maps = generic.get_indexing_maps().data
    out_maps = maps[len(generic.inputs):]
    dim = next((d for d, it in enumerate(iterators)
                if it == "parallel" and _plain_uses(generic, d)
                and all(_indexes_by(m, d) for m in out_maps)), None)
    combiners = None
    if dim is None:
        if "parallel" in iterators or not _plain_uses(generic, 0):
            return None
        if not all(isinstance(o.type, MemRefType) and o.type.get_num_dims() == 0 for o in generic.outputs):
            return None
        combiners = [combiner_of(generic, k) for k in range(len(generic.outputs))]
        if any(c is None for c in combiners):
            return None
        dim = 0
    weight = 0
    captures: list[SSAValue] = []
    constants: list[Operation] = []
    for op in generic.body.walk():
        if op is generic:
            continue
        if op.dialect_name() not in ("arith", "math") and not isinstance(op, _ALLOWED_OPS):
            return None
        weight += op_cost(op) * INNER_LOOP_TRIPS ** _inner_loops(op, generic)
        for v in op.operands:
            if not _inside(v, generic):
                if isinstance(v.owner, arith.ConstantOp):
                    if v.owner not in constants:
                        constants.append(v.owner)
                elif v not in captures:
                    captures.append(v)
    # the outputs of a full reduction are replaced by private accumulators: not captured
    operands = generic.inputs if combiners is not None else generic.operands
    for v in operands:
        if v not in captures:
            captures.append(v)
    if not all(_capture_ok(v) for v in captures):
        return None
    return Plan(dim, combiners, captures, constants, max(weight, 1))


# ---------------------------------------------------------------------------
# Do it
# ---------------------------------------------------------------------------


def _root(value: SSAValue) -> SSAValue:
    """The buffer a memref value views (through casts, subviews, reshapes)."""
    while isinstance(value.owner, VIEWS):
        value = value.owner.operands[0]
    return value


def _distinct_buffers(memrefs: list[SSAValue]) -> bool:
    roots = [_root(v) for v in memrefs]
    for r in roots:
        if not (isinstance(r, BlockArgument) or isinstance(r.owner, (memref.AllocOp, memref.AllocaOp))):
            return False
    return len(set(roots)) == len(roots)


def _identity(combiner: Operation, t: Attribute) -> arith.ConstantOp:
    return arith.ConstantOp(identity_attr(combiner, t))


def _index(value: int) -> arith.ConstantOp:
    return arith.ConstantOp(IntegerAttr.from_index_int_value(value))


def _loop_nest(region: Region) -> list[scf.ForOp]:
    """The perfect scf.for nest convert-linalg-to-loops made in `region`, outermost first."""
    nest: list[scf.ForOp] = []
    block = region.block
    while True:
        loop = next((op for op in block.ops if isinstance(op, scf.ForOp)), None)
        if loop is None:
            return nest
        nest.append(loop)
        block = loop.body.block


def outline(generic: GenericOp, p: Plan, name: str, module: ModuleOp) -> None:
    """Replace `generic` by a parallel call of a new function `name` (see module docstring)."""
    index = IndexType()
    reduce = p.combiners is not None
    acc_types = [o.type.get_element_type() for o in generic.outputs] if reduce else []
    partial_types = [MemRefType(t, [DYNAMIC_INDEX]) for t in acc_types]

    # 1. The function: (lo, hi, chunk, cost, partials..., captures...) -> index
    arg_types = [index] * 4 + partial_types + [v.type for v in p.captures]
    block = Block(arg_types=arg_types)
    lo, hi, chunk, _cost = block.args[:4]
    for arg, hint in zip(block.args, ("lo", "hi", "chunk", "cost")):
        arg.name_hint = hint
    for arg, value in zip(block.args[4 + len(partial_types):], p.captures):
        arg.name_hint = value.name_hint
    partial_args = block.args[4:4 + len(partial_types)]
    for arg in partial_args:
        arg.name_hint = "partials"
    mapping: dict[SSAValue, SSAValue] = dict(zip(p.captures, block.args[4 + len(partial_types):]))
    for const in p.constants:
        clone = const.clone()
        block.add_op(clone)
        mapping[const.result] = clone.result
    body_generic = generic.clone(value_mapper=mapping)
    accumulators = []
    if reduce:  # private accumulators, started at the identity, stand in for the outputs
        outs = []
        for combiner, t in zip(p.combiners, acc_types):
            acc = memref.AllocaOp.get(t, shape=[])
            init = _identity(combiner, t)
            block.add_ops([acc, init, memref.StoreOp.get(init, acc, [])])
            outs.append(acc.memref)
        accumulators = outs
        n_in = len(generic.inputs)
        body_generic.operands = [*body_generic.operands[:n_in], *outs]
    block.add_op(body_generic)
    for acc, partials in zip(accumulators, partial_args):
        value = memref.LoadOp.get(acc, [])
        block.add_ops([value, memref.StoreOp.get(value, partials, [chunk])])
    one = _index(1)
    block.add_ops([one, func.ReturnOp(one)])
    outlined = func.FuncOp(name, FunctionType.from_lists(arg_types, [index]), Region(block), "private")
    memref_captures = [v for v in p.captures if isinstance(v.type, MemRefType)]
    if _distinct_buffers(memref_captures):
        outlined.attributes[NOALIAS_ATTR] = UnitAttr()
    module.body.block.add_op(outlined)

    # 2. Lower the nest to loops there, and give the chosen loop the chunk's bounds.
    PatternRewriteWalker(LowerLinalgStructuredOpPattern(), apply_recursively=False).rewrite_region(outlined.body)
    nest = _loop_nest(outlined.body)
    assert len(nest) > p.dim, "convert-linalg-to-loops made an unexpected nest"
    loop = nest[p.dim]
    loop.operands = [lo, hi, *loop.operands[2:]]

    # 3. The call site: bounds, cost estimate, partials, the call, the fold of the partials.
    sources = generic.get_loop_bound_sources()
    ops: list[Operation] = []

    def size(d: int) -> SSAValue:
        operand, dim_index, dim_size = sources[d]
        if dim_size != DYNAMIC_INDEX:
            c = _index(dim_size)
            ops.append(c)
            return c.result
        k = _index(dim_index)
        dim_op = memref.DimOp(operand, k)
        ops.extend([k, dim_op])
        return dim_op.result

    zero = _index(0)
    ops.append(zero)
    upper = size(p.dim)
    cost_op = _index(p.weight)
    ops.append(cost_op)
    cost = cost_op.result
    for d in range(len(sources)):
        if d != p.dim:
            mul = arith.MuliOp(cost, size(d))
            ops.append(mul)
            cost = mul.result
    partial_buffers = []
    if reduce:
        max_chunks = func.CallOp(MAX_CHUNKS_FN, [], [index])
        ops.append(max_chunks)
        for t in partial_types:
            alloc = memref.AllocOp([max_chunks.res[0]], [], t)
            ops.append(alloc)
            partial_buffers.append(alloc.memref)
    call = func.CallOp(name, [zero.result, upper, zero.result, cost, *partial_buffers, *p.captures], [index])
    call.attributes[PARALLEL_ATTR] = UnitAttr()
    ops.append(call)
    if reduce:
        for out, partials, combiner in zip(generic.outputs, partial_buffers, p.combiners):
            ops.extend(_fold_partials(out, partials, combiner, zero.result, call.res[0]))
            ops.append(memref.DeallocOp.get(partials))
    Rewriter.insert_op(ops, InsertPoint.before(generic))
    Rewriter.erase_op(generic)


def _fold_partials(out: SSAValue, partials: SSAValue, combiner: Operation, zero: SSAValue,
                   count: SSAValue) -> list[Operation]:
    """out[] = combine(...combine(out[], partials[0])..., partials[count-1])."""
    one = _index(1)
    init = memref.LoadOp.get(out, [])
    body = Block(arg_types=[IndexType(), init.res.type])
    k, acc = body.args
    part = memref.LoadOp.get(partials, [k])
    combined = combiner.clone_without_regions()
    combined.operands = [acc, part.res]
    body.add_ops([part, combined, scf.YieldOp(combined.results[0])])
    loop = scf.ForOp(zero, count, one, [init.res], body)
    return [one, init, loop, memref.StoreOp.get(loop.results[0], out, [])]


# ---------------------------------------------------------------------------
# scf.parallel loops (loops built directly at the loop level: random numbers)
# ---------------------------------------------------------------------------

#: ops the body of an outlined `scf.parallel` may contain besides arith and math
_PARALLEL_BODY_OPS: tuple[type[Operation], ...] = (memref.LoadOp, memref.StoreOp, memref.DimOp, scf.ReduceOp,
                                                    scf.ForOp, scf.YieldOp)


def plan_parallel(par: scf.ParallelOp) -> Plan | None:
    """How a 1-d `scf.parallel` from 0 by 1 without reductions runs in chunks, or None.

    Its iterations are independent by the op's definition (each may run
    before, after or during any other), so any split of the range is
    correct; the body must be scalar code, loads and stores, possibly in inner
    `scf.for` loops (mt.csr_dot's loops over a row's entries and columns).
    """
    if len(par.lowerBound) != 1 or par.initVals or len(par.body.blocks) != 1:
        return None
    for bound, value in ((par.lowerBound[0], 0), (par.step[0], 1)):
        if not (isinstance(bound.owner, arith.ConstantOp) and bound.owner.value.value.data == value):
            return None
    weight = 0
    captures: list[SSAValue] = []
    constants: list[Operation] = []
    for op in par.body.walk():
        if op.dialect_name() not in ("arith", "math") and not isinstance(op, _PARALLEL_BODY_OPS):
            return None
        if isinstance(op, scf.ReduceOp) and op.operands:
            return None
        weight += op_cost(op) * INNER_LOOP_TRIPS ** _inner_loops(op, par)
        for v in op.operands:
            if not _inside(v, par):
                if isinstance(v.owner, arith.ConstantOp):
                    if v.owner not in constants:
                        constants.append(v.owner)
                elif v not in captures:
                    captures.append(v)
    if not all(_capture_ok(v) for v in captures):
        return None
    return Plan(0, None, captures, constants, max(weight, 1))


def outline_parallel(par: scf.ParallelOp, p: Plan, name: str, module: ModuleOp) -> None:
    """Replace `par` by a parallel call of a new function `name` running its body from lo to hi."""
    index = IndexType()
    arg_types = [index] * 4 + [v.type for v in p.captures]
    block = Block(arg_types=arg_types)
    lo, hi, _chunk, _cost = block.args[:4]
    for arg, hint in zip(block.args, ("lo", "hi", "chunk", "cost")):
        arg.name_hint = hint
    mapping: dict[SSAValue, SSAValue] = dict(zip(p.captures, block.args[4:]))
    for const in p.constants:
        clone = const.clone()
        block.add_op(clone)
        mapping[const.result] = clone.result
    one = _index(1)
    block.add_op(one)
    body = Block(arg_types=[index])
    mapping[par.body.block.args[0]] = body.args[0]
    for op in par.body.block.ops:
        if not isinstance(op, scf.ReduceOp):
            body.add_op(op.clone(value_mapper=mapping))
    body.add_op(scf.YieldOp())
    block.add_ops([scf.ForOp(lo, hi, one.result, [], body), func.ReturnOp(one)])
    outlined = func.FuncOp(name, FunctionType.from_lists(arg_types, [index]), Region(block), "private")
    memref_captures = [v for v in p.captures if isinstance(v.type, MemRefType)]
    if _distinct_buffers(memref_captures):
        outlined.attributes[NOALIAS_ATTR] = UnitAttr()
    module.body.block.add_op(outlined)
    zero = _index(0)
    cost = _index(p.weight)
    call = func.CallOp(name, [zero.result, par.upperBound[0], zero.result, cost.result, *p.captures], [index])
    call.attributes[PARALLEL_ATTR] = UnitAttr()
    Rewriter.insert_op([zero, cost, call], InsertPoint.before(par))
    Rewriter.erase_op(par)


def declare_runtime(module: ModuleOp) -> None:
    """Declare `mlc_parallel_max_chunks` once if some function calls it."""
    names = {op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)}
    if MAX_CHUNKS_FN in names:
        return
    for op in module.walk():
        if isinstance(op, func.CallOp) and op.callee.string_value() == MAX_CHUNKS_FN:
            decl = func.FuncOp.external(MAX_CHUNKS_FN, [], [IndexType()])
            module.body.block.add_op(decl)
            return


class ParallelizeLoopsPass(ModulePass):
    """Outline parallel loop nests into functions the CPU runtime runs on all cores (see docstring)."""

    name = "parallelize-loops"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        taken = {f.sym_name.data for f in op.ops if isinstance(f, func.FuncOp)}
        for f in [f for f in op.ops if isinstance(f, func.FuncOp) and not f.is_declaration]:
            names = (f"{f.sym_name.data}_par{k}" for k in itertools.count())
            loops = [(g, plan, outline) for g in f.walk() if isinstance(g, GenericOp)]
            loops += [(q, plan_parallel, outline_parallel) for q in f.walk() if isinstance(q, scf.ParallelOp)]
            for loop, planner, outliner in loops:
                p = planner(loop)
                if p is None:
                    continue
                name = next(n for n in names if n not in taken)
                taken.add(name)
                outliner(loop, p, name, op)
        declare_runtime(op)
