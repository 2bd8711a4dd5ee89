"""`fuse-multi-output`: elementwise loops over the same iteration space become one multi-output loop.

Pre-condition: linalg on tensors after `fuse-elementwise` (before
`bufferize`): `func.func`s (and the blocks of `scf.for`/`scf.if` inside
them) whose top-level ops are generics, fills, `tensor.*` and scalar code.

`fuse-elementwise` inlines a producer into its consumer (vertical fusion);
a producer that several loops read, and that is not cheap enough to
compute again in each, stays a loop of its own and writes a buffer: the
forward values of a gradient (each `tanh` and `exp` of an elementwise
chain is read by the next layer and by the backward pass) make one loop
per value. This pass groups such loops:

* a *member* is a `linalg.generic` on tensors with parallel loops only,
  each output written through the identity map and never read (one result
  element per iteration; no BLAS contraction is one: those reduce);
* members join a group when their loops are the same: the same rank, and
  outputs of the same static sizes or the same dynamic size values (the
  same `tensor.empty` sizes, or the same init value);
* a member may read the results of earlier members of its group only
  through the identity map (element i of the iteration that computes it);
  such a read becomes the value itself, inside the one loop body;
* no value may flow from a group, through an op outside it, back into the
  group (the merged loop could then not be placed anywhere): tracked with
  two bit sets per op (groups it depends on; groups it depends on through
  an op outside them), so the whole pass is linear in the block;
* a group's body is bounded (`MAX_BODY_OPS`) and so are the arrays it reads
  (`MAX_INPUTS`): a longer chain is cut into several loops, so LLVM's work
  per function stays bounded;
* an op with an effect or a region other than a generic body (a call,
  an `scf.for`...) is a barrier: no group spans it, and no op moves
  across it.

Each group of two or more members becomes one generic at the place of
its last member: its inputs are the members' inputs (each (value, map)
pair once), its results the members' results that anything outside the
group reads (the others never reach memory), and its body the members'
bodies in order, with identical pure ops computed once (`fuse-elementwise`
recomputes cheap shared producers in each consumer; inside one loop the
copies are the same op). The ops of the block are then put back in an
order that respects every use (a stable topological order), so a user of
an early member's result that sat between members now comes after the
merged loop.

Post-condition: the same values, with fewer loops and fewer temporaries.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func, scf, tensor
from xdsl.dialects.builtin import AffineMapAttr, ArrayAttr, DenseArrayBase, MemRefType, ModuleOp, TensorType, i32
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.traits import IsTerminator

from mlc.dialects.utils.contractions import maps_of
from mlc.dialects.utils.locations import first_known

#: ops in one merged loop body at most (a longer group is cut)
MAX_BODY_OPS = 1500

#: operands a merged loop reads from outside it at most (`fuse-elementwise`'s `max_inputs`: a loop
#: streaming from dozens of arrays gains nothing from one more)
MAX_INPUTS = 32

#: how many of the latest open groups of the same loops a member tries to join
LOOKBACK = 8

_PURE_DIALECTS = ("arith.", "math.", "tensor.", "linalg.", "affine.apply", "index.", "complex.")


def body_size(op: linalg.GenericOp) -> int:
    return len(op.body.block.ops)


def is_member(op: Operation) -> bool:
    """A parallel generic on tensors writing each output element once, through the identity map."""
    if not isinstance(op, linalg.GenericOp):
        return False
    iterators = op.iterator_types.data
    if any(t.data != linalg.IteratorType.PARALLEL for t in iterators):  # type: ignore[attr-defined]
        return False
    results, outputs = op.results, op.outputs
    if not results or len(results) != len(outputs) or not all(isinstance(o.type, TensorType) for o in outputs):
        return False
    maps = op.indexing_maps.data
    n_in = len(maps) - len(outputs)
    identity = AffineMap.identity(len(iterators))
    if any(m.data != identity for m in maps[n_in:]):
        return False
    args = op.body.block.args
    if any(a.uses for a in args[n_in:]):
        return False  # an output's old contents are read
    return len(op.body.blocks) == 1  # (a BLAS contraction has a reduction loop: never a member)


def loops_key(op: linalg.GenericOp) -> tuple | None:
    """What decides the member's loops: its rank and the sizes of its (first) output."""
    init = op.outputs[0]
    t = init.type
    assert isinstance(t, TensorType)
    shape = tuple(t.get_shape())
    if all(d >= 0 for d in shape):  # (a dynamic size is negative)
        return ("static", shape)
    owner = init.owner
    if isinstance(owner, tensor.EmptyOp):
        return ("empty", shape, tuple(owner.dynamic_sizes))
    return ("value", init)


def is_barrier(op: Operation) -> bool:
    """An op the pass neither moves nor lets a group span: anything with an effect or a foreign region."""
    if op.has_trait(IsTerminator):
        return True
    if isinstance(op, linalg.GenericOp):
        return not all(isinstance(r.type, TensorType) for r in op.results) or not op.results
    if op.regions:
        return True
    if not op.name.startswith(_PURE_DIALECTS):
        return True
    return any(isinstance(v.type, MemRefType) for v in (*op.operands, *op.results))


@dataclass(eq=False)
class Group:
    key: tuple
    members: list[linalg.GenericOp] = field(default_factory=list)
    size: int = 0
    inputs: set = field(default_factory=set)  # (value, map) pairs read from outside the group


def outside_inputs(op: linalg.GenericOp, group_of: dict, gid: int | None) -> set:
    return {(v, m) for v, m in zip(op.inputs, maps_of(op)) if gid is None or group_of.get(v.owner) != gid}


def _top_level(op: Operation, block: Block) -> Operation | None:
    while op.parent_block() is not block:
        parent = op.parent_op()
        if parent is None:
            return None
        op = parent
    return op


def _operands(op: Operation):
    """Every value `op` reads, from its operands and from inside its regions."""
    yield from op.operands
    for region in op.regions:
        for inner in region.walk():
            yield from inner.operands


class _Grouper:
    """The groups of one block (see the module docstring)."""

    def __init__(self, block: Block):
        self.block = block
        self.groups: list[Group] = []
        self.group_of: dict[Operation, int] = {}
        self.reach: dict[Operation, int] = {}  # groups the op depends on
        self.outside: dict[Operation, int] = {}  # groups it depends on through an op outside them
        self.open: dict[tuple, list[int]] = {}

    def producers(self, op: Operation) -> list[Operation]:
        seen: dict[Operation, None] = {}
        for v in _operands(op):
            owner = v.owner
            if isinstance(owner, Operation):
                top = owner if owner.parent_block() is self.block else _top_level(owner, self.block)
                if top is not None and top is not op and top in self.reach:
                    seen[top] = None
        return list(seen)

    def reads_ok(self, op: linalg.GenericOp, gid: int) -> bool:
        """Every read of group `gid`'s results by `op` is an input read through the identity map."""
        n_in = len(op.inputs)
        maps = maps_of(op)
        identity = AffineMap.identity(len(op.iterator_types))
        for j, v in enumerate(op.operands):
            if self.group_of.get(v.owner) == gid and (j >= n_in or maps[j] != identity):  # type: ignore[arg-type]
                return False
        for region in op.regions:
            for inner in region.walk():
                if any(self.group_of.get(v.owner) == gid for v in inner.operands):  # type: ignore[arg-type]
                    return False
        return True

    def visit(self, op: Operation) -> None:
        if is_barrier(op):
            self.open.clear()
        deps = self.producers(op)
        reach = outside = 0
        for d in deps:
            reach |= self.reach[d]
            outside |= self.outside[d]
        gid = None
        if not is_barrier(op) and is_member(op):
            assert isinstance(op, linalg.GenericOp)
            key = loops_key(op)
            size = body_size(op)
            candidates = self.open.setdefault(key, [])
            for g in reversed(candidates[-LOOKBACK:]):
                group = self.groups[g]
                if outside >> g & 1 or group.size + size > MAX_BODY_OPS or not self.reads_ok(op, g):
                    continue
                ins = outside_inputs(op, self.group_of, g)
                if len(group.inputs | ins) > MAX_INPUTS:
                    continue
                gid = g
                break
            if gid is None:
                gid = len(self.groups)
                self.groups.append(Group(key))
                candidates.append(gid)
                ins = outside_inputs(op, self.group_of, None)
            group = self.groups[gid]
            group.members.append(op)
            group.size += size
            group.inputs |= ins
            self.group_of[op] = gid
            bit = 1 << gid
            self.reach[op] = reach | bit
            self.outside[op] = outside | (reach & ~bit)
        else:
            self.reach[op] = reach
            self.outside[op] = outside | reach


def _hashable_key(op: Operation, operands: tuple) -> tuple | None:
    """What makes two pure region-less ops the same computation, or None (not merged)."""
    if op.regions or op.successors or not op.results:
        return None
    try:
        key = (op.name, operands, tuple(r.type for r in op.results),
               tuple(sorted(op.properties.items())), tuple(sorted(op.attributes.items())))
        hash(key)
    except TypeError:
        return None
    return key


def merge(members: list[linalg.GenericOp], block: Block) -> linalg.GenericOp:
    """One generic computing what `members` (in order, one group) compute; their results replaced."""
    member_set = set(members)
    rank = len(members[0].iterator_types)
    identity = AffineMap.identity(rank)
    inputs: list[SSAValue] = []
    in_maps: list[AffineMap] = []
    arg_types = []
    arg_of: dict[tuple[SSAValue, AffineMap], int] = {}
    for m in members:
        for j, (v, mp) in enumerate(zip(m.inputs, maps_of(m))):
            if v.owner in member_set or (v, mp) in arg_of:
                continue
            arg_of[(v, mp)] = len(inputs)
            inputs.append(v)
            in_maps.append(mp)
            arg_types.append(m.body.block.args[j].type)
    kept: list[tuple[linalg.GenericOp, int]] = []
    for m in members:
        for k, r in enumerate(m.results):
            if any(_top_level(u.operation, block) not in member_set for u in r.uses):
                kept.append((m, k))
    n_in = len(inputs)
    out_types = [m.body.block.args[len(m.inputs) + k].type for m, k in kept]
    new_block = Block(arg_types=[*arg_types, *out_types])
    value_of: dict[SSAValue, SSAValue] = {}  # a member result -> its element inside the new body
    yielded: dict[tuple[linalg.GenericOp, int], SSAValue] = {}
    seen: dict[tuple, Operation] = {}
    for m in members:
        mapping: dict[SSAValue, SSAValue] = {}
        for j, (v, mp) in enumerate(zip(m.inputs, maps_of(m))):
            arg = m.body.block.args[j]
            mapping[arg] = value_of[v] if v.owner in member_set else new_block.args[arg_of[(v, mp)]]
        for inner in m.body.block.ops:
            if isinstance(inner, linalg.YieldOp):
                for k, y in enumerate(inner.operands):
                    value = mapping.get(y, y)
                    value_of[m.results[k]] = value
                    yielded[(m, k)] = value
                continue
            key = _hashable_key(inner, tuple(mapping.get(o, o) for o in inner.operands))
            if key is not None and key in seen:
                for old, new in zip(inner.results, seen[key].results):
                    mapping[old] = new
                continue
            clone = inner.clone(mapping)
            new_block.add_op(clone)
            if key is not None:
                seen[key] = clone
    new_block.add_op(linalg.YieldOp(*(yielded[mk] for mk in kept)))
    first = members[0]
    maps = [*in_maps, *([identity] * len(kept))]
    new = linalg.GenericOp.create(
        operands=[*inputs, *(m.outputs[k] for m, k in kept)],
        result_types=[m.results[k].type for m, k in kept],
        properties={
            **first.properties,
            "indexing_maps": ArrayAttr([AffineMapAttr(mp) for mp in maps]),
            "operandSegmentSizes": DenseArrayBase.from_list(i32, [n_in, len(kept)]),
        },
        attributes=dict(first.attributes),
        regions=[Region(new_block)],
    )
    new.location = first_known(*members)
    for (m, k), r in zip(kept, new.results):
        m.results[k].replace_all_uses_with(r)
    return new


def _order(block: Block, nodes: list[Operation], rep: dict) -> list | None:
    """A stable topological order of `nodes` (a stretch of `block` between barriers, in order),
    each member standing for its group (`rep`: member -> group token), or None: a cycle."""
    order: list = []
    priority: dict = {}
    for i, op in enumerate(nodes):
        r = rep.get(op, op)
        if r not in priority:
            order.append(r)
        priority[r] = i  # a group goes where its last member was
    index = {r: k for k, r in enumerate(order)}
    users: dict = {r: [] for r in order}
    waiting = dict.fromkeys(order, 0)
    deps_of: dict = {r: set() for r in order}
    for op in nodes:
        r = rep.get(op, op)
        for v in _operands(op):
            top = v.owner
            # the op of this stretch holding the definition (a merged op is not in the block yet)
            while isinstance(top, Operation) and top not in rep and top.parent_block() is not block:
                top = top.parent_op()
            if isinstance(top, Operation):
                d = rep.get(top, top)
                if d in index and d is not r:
                    deps_of[r].add(d)
    for r, deps in deps_of.items():
        for d in deps:
            users[d].append(r)
        waiting[r] = len(deps)
    ready = [(priority[r], index[r]) for r in order if not waiting[r]]
    heapq.heapify(ready)
    placed = []
    while ready:
        _, k = heapq.heappop(ready)
        r = order[k]
        placed.append(r)
        for u in users[r]:
            waiting[u] -= 1
            if not waiting[u]:
                heapq.heappush(ready, (priority[u], index[u]))
    return placed if len(placed) == len(order) else None


def _stretches(ops: list[Operation]) -> list[list[Operation]]:
    out: list[list[Operation]] = [[]]
    for op in ops:
        if is_barrier(op):
            out.append([])
        else:
            out[-1].append(op)
    return [s for s in out if s]


def merge_block(block: Block) -> int:
    """Group and merge the loops of one block; returns how many loops were removed."""
    ops = list(block.ops)
    grouper = _Grouper(block)
    for op in ops:
        grouper.visit(op)
    groups = [g for g in grouper.groups if len(g.members) >= 2]
    if not groups:
        return 0
    stretches = _stretches(ops)
    # Members of one group may read each other's neighbours both ways (a reads b's group, b's
    # group reads a's): the groups, as single nodes, would form a cycle. Then the last member of
    # each group left unordered goes back to a loop of its own, until an order exists.
    orders: list[list] = []
    for _ in range(64):
        rep = {m: g for g in groups for m in g.members}
        orders = [_order(block, s, rep) for s in stretches if any(o in rep for o in s)]
        if all(o is not None for o in orders):
            break
        unordered = {r for s, o in zip([s for s in stretches if any(x in rep for x in s)], orders) if o is None
                     for r in {rep.get(x, x) for x in s}}
        for g in groups:
            if g in unordered:
                g.members.pop()
        groups = [g for g in groups if len(g.members) >= 2]
    else:
        return 0
    if not groups:
        return 0
    merged = {g: merge(g.members, block) for g in groups}
    rep = {m: g for g in groups for m in g.members} | {op: g for g, op in merged.items()}
    for s in stretches:
        if not any(o in rep for o in s):
            continue
        order = _order(block, s, rep)
        assert order is not None
        anchor = s[-1].next_op
        for r in order:
            op = merged.get(r, r) if isinstance(r, Group) else r
            if op.parent is not None:
                op.detach()
            if anchor is None:
                block.add_op(op)
            else:
                block.insert_op_before(op, anchor)
    members = {m for g in groups for m in g.members}
    for m in reversed([op for op in ops if op in members]):  # users before what they use
        m.detach()
        m.erase()
    return sum(len(g.members) - 1 for g in groups)


def merge_function(f: func.FuncOp) -> int:
    """Merge the loops of `f`'s body and of each `scf.for`/`scf.if` block in it."""
    if f.is_declaration:
        return 0
    count = 0
    blocks = [f.body.blocks[0]]
    while blocks:
        block = blocks.pop()
        blocks += [r.block for op in block.ops if isinstance(op, scf.IfOp | scf.ForOp) for r in op.regions
                   if r.blocks]
        count += merge_block(block)
    return count


class FuseMultiOutputPass(ModulePass):
    """Merge elementwise loops over the same iteration space into multi-output loops.

    Pre: linalg on tensors (after fuse-elementwise). Post: the same values;
    parallel generics of the same loops, not separated by an op outside
    them, are one generic (at most `MAX_BODY_OPS` body ops) writing only
    the results something else reads.
    """

    name = "fuse-multi-output"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                merge_function(f)
