"""`fuse-elementwise`: inline elementwise producers into the linalg generics that consume them.

Pre-condition: linalg on tensors as `convert-mt-to-linalg` emits it (before
`bufferize`): `func.func`s whose top-level ops are `linalg.generic`,
`linalg.fill`, `linalg.matmul`, `tensor.*` and scalar code.

Afterwards every function computes the same values, with fewer loops and
fewer temporaries: each input of a consumer generic that `can_fuse`
accepts, and the policy allows, is replaced by what produces it:

* a `linalg.fill` becomes its scalar (no loop, no buffer);
* a tensor read at a constant position in every iteration (a broadcast
  scalar: map `(d0, d1) -> ()` or `-> (0, 0)` on static size-1 dims)
  becomes that element, read once before the loop (folded when it comes
  from `tensor.from_elements` or a dense constant);
* an elementwise generic (parallel loops, one result written through a
  permutation map and never read) has its body inlined: its input maps are
  composed with the map the consumer reads it through, and its
  `linalg.index` ops are rewritten in the consumer's loops. Broadcast and
  dimshuffle copies, slice/reshape/index gathers, casts and arithmetic all
  fuse this way, so a transpose or a broadcast feeding an elementwise op
  or a reduction is read through the consumer's indexing map and never
  copied;
* the fused generic reads each (tensor, map) pair once and drops inputs it
  no longer reads;
* an elementwise producer that a consumer's body reads at computed
  indices (`tensor.extract`: a gather, as mt.unpatches, mt.index and
  slices lower) and nothing else reads is computed there, when cheap
  (`EXTRACT_COST`): its inputs are read at the same position through its
  maps, so a max-pool gradient's mask never goes through a buffer.

A consumer is any generic on tensors with one result, including
reductions (an elementwise chain feeding a sum runs inside the reduction
loop), except a contraction that `bufferize` will turn into a BLAS
call (fusing into it would turn a gemm into a naive loop nest).

Policy (`FusionPolicy`, separate from `can_fuse`):

* a producer that has other users stays, so fusing it means computing it
  twice: allowed only when it is cheap (no `math` function, libm call or
  region, and at most `cheap_cost` arithmetic ops, a division counting 4);
* a consumer that reads the producer through a map dropping some of its
  loops (a broadcast) recomputes each producer element once per broadcast
  position: the same cheapness rule applies. `exp(v)` broadcast over the
  rows of a matrix is computed once into a buffer, `v * 2` is not;
* a consumer reads at most `max_inputs` operands (fusion stays linear);
* recomputation is bounded per consumer (`recompute_budget`): a consumer
  takes in at most that much cost of recomputed producers in all, so
  shared cheap values in a DAG (an elementwise chain's gradient) do not
  unroll into a tree, and fusion stays linear in the graph's size;
* consumers are visited last to first, so by the time a producer is
  considered, users that fused into one consumer count as one: in
  `e * e + e` with `e = exp(x)`, `exp` is computed once, inside the loop.

Post-condition: no generic left in the function could fuse an input under
the same policy (a fixed point); nothing is written in place (that is
`bufferize`'s and `reuse-buffers`' business).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func, scf, tensor
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IndexType,
    IntegerAttr,
    ModuleOp,
    ShapedType,
    TensorType,
    i32,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr, AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.dialects import mt
from mlc.dialects.utils.contractions import dims_of, maps_of, match_contraction
from mlc.dialects.utils.cost import is_expensive, op_cost
from mlc.dialects.utils.linalg_builders import const, element_type, is_blas_type
from mlc.dialects.utils.locations import first_known

# ===----------------------------------------------------------------------=== #
# What producers look like
# ===----------------------------------------------------------------------=== #


def through_casts(v: SSAValue) -> SSAValue:
    """The value under any chain of `tensor.cast`s (the same elements)."""
    while isinstance(v.owner, tensor.CastOp):
        v = v.owner.source
    return v


def iterators(op: linalg.GenericOp) -> list[str]:
    return [str(t.data) for t in op.iterator_types]


def is_permutation(m: AffineMap) -> bool:
    dims = dims_of(m)
    return dims is not None and sorted(dims) == list(range(m.num_dims))


def is_elementwise(op: Operation) -> bool:
    """A generic on tensors computing one result element per loop
    iteration: parallel loops, one output written through a permutation
    map, whose old contents are never read."""
    if not isinstance(op, linalg.GenericOp) or len(op.outputs) != 1 or len(op.results) != 1:
        return False
    if any(it != "parallel" for it in iterators(op)):
        return False
    if not is_permutation(maps_of(op)[-1]):
        return False
    return not op.body.block.args[-1].uses


def becomes_blas(op: Operation) -> bool:
    """`bufferize` will turn this op into a BLAS call."""
    if not op.results:
        return False
    contraction = match_contraction(op)
    return contraction is not None and is_blas_type(op.results[0].type.element_type)  # type: ignore[attr-defined]


def constant_position(m: AffineMap, source: SSAValue) -> tuple[int, ...] | None:
    """The one position `m` reads in every iteration, when that position
    surely exists (static dims): the read can then happen once, outside."""
    if not all(isinstance(e, AffineConstantExpr) for e in m.results):
        return None
    position = tuple(e.value for e in m.results)  # type: ignore[union-attr]
    t = source.type
    if isinstance(t, ShapedType):
        shape = t.get_shape()
        if len(shape) != len(position) or any(d < 0 or not 0 <= p < d for p, d in zip(position, shape)):
            return None
    elif position:
        return None
    return position


# ===----------------------------------------------------------------------=== #
# May I?
# ===----------------------------------------------------------------------=== #


@dataclass(frozen=True)
class Candidate:
    """Input `index` of `consumer` can be replaced by what `producer` computes.

    kind: "scalar" (a fill: its value), "element" (a read at a constant
    position: that element) or "generic" (inline the producer's body).
    """

    consumer: linalg.GenericOp
    index: int
    producer: Operation | None
    kind: str

    @property
    def value(self) -> SSAValue:
        return self.consumer.inputs[self.index]

    @property
    def consumer_map(self) -> AffineMap:
        return maps_of(self.consumer)[self.index]

    def to_producer_loops(self) -> AffineMap:
        """Consumer loops -> producer loops (for kind "generic")."""
        assert isinstance(self.producer, linalg.GenericOp)
        inverse = maps_of(self.producer)[-1].inverse_permutation()
        assert inverse is not None
        return inverse.compose(self.consumer_map)

    def other_uses(self) -> int:
        """Uses of the producer's result other than this operand (through casts)."""
        count = 0
        value = self.value
        while True:
            count += value.uses.get_length() - (1 if value is self.value else 0)
            if not isinstance(value.owner, tensor.CastOp):
                return count
            count -= 1  # the cast itself is the use that leads here
            value = value.owner.source


def is_consumer(op: Operation) -> bool:
    """A generic on tensors with one result that stays a loop nest."""
    return isinstance(op, linalg.GenericOp) and len(op.results) == 1 and len(op.outputs) == 1 and not becomes_blas(op)


def can_fuse(consumer: linalg.GenericOp, index: int) -> Candidate | None:
    """Whether input `index` of `consumer` can be fused, and how (None: no)."""
    if not is_consumer(consumer):
        return None
    value = consumer.inputs[index]
    if not isinstance(value.type, TensorType):
        return None
    m = maps_of(consumer)[index]
    source = through_casts(value)
    producer = source.owner
    if isinstance(producer, linalg.FillOp) and producer.results:
        c = Candidate(consumer, index, producer, "scalar")
        return c if keeps_loop_bounds(c, []) else None
    if constant_position(m, value) is not None:
        c = Candidate(consumer, index, producer if isinstance(producer, Operation) else None, "element")
        return c if keeps_loop_bounds(c, []) else None
    if not is_elementwise(producer):
        return None
    assert isinstance(producer, linalg.GenericOp)
    if not all(isinstance(e, AffineDimExpr | AffineConstantExpr) for e in m.results):
        return None  # linalg.index of the producer could not be rewritten
    c = Candidate(consumer, index, producer, "generic")
    loops = c.to_producer_loops()
    fused_maps = [pm.compose(loops) for pm in maps_of(producer)[: len(producer.inputs)]]
    return c if keeps_loop_bounds(c, fused_maps) else None


def keeps_loop_bounds(c: Candidate, new_maps: Sequence[AffineMap]) -> bool:
    """Every loop of the consumer still appears as a plain dim in some map:
    loop bounds are read off the operands' sizes, so a reduction loop that
    only the fused operand spanned (a sum over a gather or a broadcast)
    would lose its bound."""
    maps = [m for j, m in enumerate(maps_of(c.consumer)) if j != c.index] + list(new_maps)
    spanned = {e.position for m in maps for e in m.results if isinstance(e, AffineDimExpr)}
    return len(spanned) == len(c.consumer.iterator_types)


# ===----------------------------------------------------------------------=== #
# Policy
# ===----------------------------------------------------------------------=== #

def body_cost(op: linalg.GenericOp) -> float:
    """Cost of one iteration (`mlc.dialects.utils.cost`); calls, regions and
    transcendental math make it expensive (inf): never recomputed."""
    cost = 0.0
    for inner in op.body.block.ops:
        if is_expensive(inner):
            return float("inf")
        cost += op_cost(inner)
    return cost


@dataclass(frozen=True)
class FusionPolicy:
    """When a legal fusion is also worth it (see the module docstring)."""

    cheap_cost: float = 8
    """Producers costing at most this per element may be computed more than once."""

    recompute_budget: float = 32
    """Total cost of the recomputing fusions one consumer may take in. Each
    cheap producer alone is cheap, but in a DAG (the gradient of an
    elementwise chain reads every forward value twice) fusing shared
    producers into a consumer exposes their shared inputs, and without a
    bound the consumer's body grows into the DAG unrolled as a tree:
    exponential in the chain length, in compile time and at run time."""

    max_inputs: int = 32
    """A fusion that would leave the consumer reading more operands stops
    (the producer is computed into a buffer). Each fusion rebuilds the
    consumer, so unbounded inputs (a gradient chain fusing into one loop
    reading every forward value) make fusion quadratic in the graph; the
    bound keeps it linear, and a loop streaming from dozens of arrays
    gains nothing from one more."""

    defer_in_step: bool = True
    """A cheap producer that every user (this consumer too) reads in step
    (element i in iteration i of the same loops, parallel) is not recomputed:
    `fuse-multi-output` puts it and its users in one loop, where it is
    computed once. Recomputing it in each user instead made the gradient of
    an elementwise chain grow faster than the graph (each consumer stopped at
    `max_inputs` recomputed the shared values at its frontier)."""

    in_step: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    """Memo of `read_in_step_only` per producer (an op, while it exists, keeps its users' maps)."""

    def recomputes(self, c: Candidate) -> bool:
        """Fusing `c` computes some producer element more than once (the
        producer stays for its other users, or is read through a broadcast)."""
        if c.kind != "generic":
            return False  # a scalar or one element: nothing is recomputed
        broadcast = len(c.to_producer_loops().used_dims()) < len(c.consumer.iterator_types)
        return bool(broadcast or c.other_uses())

    def allows(self, c: Candidate, spent: float = 0.0) -> bool:
        """`spent`: cost of the recomputing fusions the consumer took in so far."""
        if c.kind == "generic":
            assert isinstance(c.producer, linalg.GenericOp)
            if len(c.consumer.inputs) - 1 + len(c.producer.inputs) > self.max_inputs:
                return False
        if not self.recomputes(c):
            return True
        assert isinstance(c.producer, linalg.GenericOp)
        cost = body_cost(c.producer)
        if cost > self.cheap_cost or spent + cost > self.recompute_budget:
            return False
        return not (self.defer_in_step and read_in_step_only(c.producer, self.in_step))


def read_in_step_only(producer: linalg.GenericOp, memo: dict | None = None) -> bool:
    """Every user of `producer`'s result is a generic over the same loops
    (`fuse-multi-output`'s members, the same loop sizes) reading it through
    the identity map. `memo`: what is known of ops so far (an op's maps and
    loops never change; a producer's answer is kept with the users it had)."""
    from mlc.passes.fuse_multi_output import is_member, loops_key

    memo = {} if memo is None else memo

    def member_key(op: Operation):
        known = memo.get(("member", op))
        if known is None:
            known = memo[("member", op)] = (loops_key(op),) if is_member(op) else ()
        return known

    users = tuple(u.operation for u in producer.results[0].uses)
    known = memo.get(producer)
    if known is not None and known[0] == users:
        return known[1]
    key = member_key(producer)
    answer = bool(key)
    identity = AffineMap.identity(len(producer.iterator_types))
    for use in producer.results[0].uses if answer else ():
        user = use.operation
        if not isinstance(user, linalg.GenericOp) or use.index >= len(user.inputs):
            answer = False
        elif member_key(user) != key or maps_of(user)[use.index] != identity:
            answer = False
        if not answer:
            break
    memo[producer] = (users, answer)
    return answer


# ===----------------------------------------------------------------------=== #
# Do it
# ===----------------------------------------------------------------------=== #


def _element(value: SSAValue, position: tuple[int, ...], before: Operation) -> SSAValue:
    """`value[position]`, folded through from_elements and dense constants,
    else a `tensor.extract` inserted before `before`."""
    root = through_casts(value)
    owner = root.owner
    # `value`'s shape is static where `position` lies (`constant_position`);
    # a cast keeps the elements, so the root's flat index is the same even
    # when its own type is dynamic (`tensor<?xf64>` cast to `tensor<1xf64>`).
    shape = value.type.get_shape()  # type: ignore[attr-defined]
    flat = int(np.ravel_multi_index(position, shape)) if position else 0
    if isinstance(owner, tensor.FromElementsOp):
        return owner.elements[flat]
    b = _builder(before)
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, DenseIntOrFPElementsAttr):
        elt = root.type.element_type  # type: ignore[attr-defined]
        return const(b, mt.to_numpy(owner.value).reshape(-1)[flat].item(), elt)
    indices = [const(b, p, IndexType()) for p in position]
    extract = tensor.ExtractOp(value, indices, value.type.element_type)  # type: ignore[attr-defined]
    b.insert(extract)
    return extract.results[0]


def _builder(before: Operation):
    from xdsl.builder import Builder

    return Builder(InsertPoint.before(before))


def _remap_indices(ops: Sequence[Operation], loops: AffineMap) -> None:
    """Rewrite the producer's `linalg.index d` as the consumer's loop
    expression `loops.results[d]` (a loop index or a constant)."""
    for top in ops:
        for inner in list(top.walk()):
            if not isinstance(inner, linalg.IndexOp):
                continue
            expr = loops.results[inner.dim.value.data]
            if isinstance(expr, AffineDimExpr):
                new: Operation = linalg.IndexOp(expr.position)
            else:
                assert isinstance(expr, AffineConstantExpr)
                new = arith.ConstantOp(IntegerAttr(expr.value, IndexType()))
            Rewriter.replace_op(inner, new)


def _inline_body(source: Block, block: Block, mapping: dict[SSAValue, SSAValue], move: bool) -> list[Operation]:
    """Put `source`'s ops but its yield at the start of `block`, reading
    `mapping`'s values for `source`'s arguments: moved when `source` is
    about to be erased (linear time along a chain), else cloned."""
    first = block.first_op
    ops = [op for op in source.ops if not isinstance(op, linalg.YieldOp)]
    if move:
        for old, new in mapping.items():
            old.replace_all_uses_with(new)
    placed = []
    for op in ops:
        if move:
            op.detach()
        else:
            op = op.clone(mapping)
        if first is None:
            block.add_op(op)
        else:
            block.insert_op_before(op, first)
        placed.append(op)
    return placed


def build_generic(
    like: linalg.GenericOp,
    inputs: Sequence[SSAValue],
    maps: Sequence[AffineMap],
    block: Block,
) -> linalg.GenericOp:
    """A generic like `like` (loops, outputs, results) with new inputs and
    body, reading each (input, map) pair once and only inputs it uses.
    `maps` has one entry per input, then `like`'s output maps follow."""
    kept: list[int] = []
    seen: dict[tuple[SSAValue, AffineMap], int] = {}
    for j, (v, m) in enumerate(zip(inputs, maps)):
        arg = block.args[j]
        if (v, m) in seen:
            arg.replace_all_uses_with(block.args[seen[(v, m)]])
        elif arg.uses:
            seen[(v, m)] = j
            kept.append(j)
    for j in reversed(range(len(inputs))):
        if j not in kept:
            block.erase_arg(block.args[j])
    out_maps = maps_of(like)[len(like.inputs) :]
    new_maps = [maps[j] for j in kept] + list(out_maps)
    new = linalg.GenericOp.create(
        operands=[*(inputs[j] for j in kept), *like.outputs],
        result_types=[r.type for r in like.results],
        properties={
            **like.properties,
            "indexing_maps": ArrayAttr([AffineMapAttr(m) for m in new_maps]),
            "operandSegmentSizes": DenseArrayBase.from_list(i32, [len(kept), len(like.outputs)]),
        },
        attributes=dict(like.attributes),
        regions=[Region(block)],
    )
    new.location = like.location
    return new


def fuse(c: Candidate) -> linalg.GenericOp:
    """Replace `c.consumer` by the fused generic (returned); erase the
    producer (and casts to it) once nothing else uses it.

    The consumer's body block is kept (the producer's inputs become new
    arguments after argument `index`, which is then replaced and erased),
    and a producer with no other user has its ops moved rather than
    cloned, so fusing a chain of n ops costs O(n), not O(n^2)."""
    consumer, k = c.consumer, c.index
    c_ins = list(consumer.inputs)
    c_maps = list(maps_of(consumer))
    n_in = len(c_ins)
    block = consumer.body.detach_block(0)
    arg = block.args[k]
    if c.kind == "scalar":
        assert isinstance(c.producer, linalg.FillOp)
        p_ins, p_maps = [], []
        replacement = c.producer.inputs[0]
    elif c.kind == "element":
        position = constant_position(c.consumer_map, c.value)
        assert position is not None
        p_ins, p_maps = [], []
        replacement = _element(c.value, position, consumer)
    else:
        producer = c.producer
        assert isinstance(producer, linalg.GenericOp)
        p_ins = list(producer.inputs)
        loops = c.to_producer_loops()
        p_maps = [m.compose(loops) for m in maps_of(producer)[: len(p_ins)]]
        p_block = producer.body.block
        new_args = [block.insert_arg(element_type(v.type), k + 1 + j) for j, v in enumerate(p_ins)]
        mapping: dict[SSAValue, SSAValue] = dict(zip(p_block.args[: len(p_ins)], new_args))
        placed = _inline_body(p_block, block, mapping, move=c.other_uses() == 0)
        _remap_indices(placed, loops)
        yielded = p_block.last_op
        assert isinstance(yielded, linalg.YieldOp) and len(yielded.operands) == 1
        replacement = mapping.get(yielded.operands[0], yielded.operands[0])  # clones are in `mapping`
    arg.replace_all_uses_with(replacement)
    block.erase_arg(arg)
    inputs = [*c_ins[:k], *p_ins, *c_ins[k + 1 :]]
    maps = [*c_maps[:k], *p_maps, *c_maps[k + 1 : n_in]]
    fused = build_generic(consumer, inputs, maps, block)
    # a fused chain names where it starts: the producer's line (the consumer's when it has none)
    fused.location = first_known(c.producer if c.kind not in ("scalar", "element") else None, consumer)
    Rewriter.replace_op(consumer, fused)
    erase_if_dead(c.value)
    return fused


ERASABLE = (
    linalg.GenericOp,
    linalg.FillOp,
    linalg.MatmulOp,
    tensor.CastOp,
    tensor.EmptyOp,
    tensor.FromElementsOp,
    tensor.ExtractOp,
    tensor.DimOp,
)
"""Value-semantics ops (on tensors): unused, they can go."""


def erase_if_dead(value: SSAValue) -> None:
    """Erase the unused op defining `value`, then the ops feeding it that
    only it used (on tensors: no side effect is lost)."""
    op = value.owner
    if not isinstance(op, ERASABLE) or any(r.uses for r in op.results):
        return
    if isinstance(op, linalg.GenericOp | linalg.FillOp | linalg.MatmulOp) and not op.results:
        return  # on memrefs: it writes
    operands = list(op.operands)
    Rewriter.erase_op(op)
    for o in operands:
        erase_if_dead(o)


def compact(consumer: linalg.GenericOp) -> linalg.GenericOp:
    """The consumer reading each (input, map) pair once and only what it uses."""
    pairs = list(zip(consumer.inputs, maps_of(consumer)))
    args = consumer.body.block.args
    if len(set(pairs)) == len(pairs) and all(a.uses for a in args[: len(pairs)]):
        return consumer
    block = consumer.body.detach_block(0)
    fused = build_generic(consumer, [v for v, _ in pairs], [m for _, m in pairs], block)
    Rewriter.replace_op(consumer, fused)
    for v, _ in pairs:
        erase_if_dead(v)
    return fused


# ===----------------------------------------------------------------------=== #
# Producers read at computed positions (a gather's `tensor.extract`)
# ===----------------------------------------------------------------------=== #

EXTRACT_COST = 32
"""Producers up to this cost per element are computed where a consumer's body reads them at computed indices (a
gather: `mt.unpatches`, an index, a slice) instead of into a buffer first. A gather reads each position a bounded
number of times (once for a non-overlapping window's gradient), so a cheap body is worth more than the trip through
memory; a transcendental one (`is_expensive`) always gets its buffer."""

EXTRACT_FUSIONS = 16
"""At most this many producers are pulled into one consumer's body this way (each may expose the next)."""


_SUM_OR_PRODUCT = (AffineBinaryOpKind.Add, AffineBinaryOpKind.Mul)


def _evaluable(expr: AffineExpr) -> bool:
    """`expr` is a sum/product of loops and constants (what `_affine_value` evaluates)."""
    if isinstance(expr, AffineBinaryOpExpr):
        return expr.kind in _SUM_OR_PRODUCT and _evaluable(expr.lhs) and _evaluable(expr.rhs)
    return isinstance(expr, AffineDimExpr | AffineConstantExpr)


def _affine_value(b, expr: AffineExpr, dims: Sequence[SSAValue]) -> SSAValue:
    """`expr` (`_evaluable`) on the producer's loops, evaluated on `dims` with arith ops."""
    if isinstance(expr, AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, AffineConstantExpr):
        return const(b, expr.value, IndexType())
    assert isinstance(expr, AffineBinaryOpExpr) and expr.kind in _SUM_OR_PRODUCT
    lhs, rhs = _affine_value(b, expr.lhs, dims), _affine_value(b, expr.rhs, dims)
    op = arith.AddiOp(lhs, rhs) if expr.kind == AffineBinaryOpKind.Add else arith.MuliOp(lhs, rhs)
    b.insert(op)
    return op.result


def extract_producer(extract: tensor.ExtractOp) -> linalg.GenericOp | None:
    """The elementwise generic `extract` reads, when that read is its only use, its body is cheap and its
    input maps are sums/products of loops and constants."""
    producer = extract.tensor.owner
    if not isinstance(producer, linalg.GenericOp) or not is_elementwise(producer) or becomes_blas(producer):
        return None
    if extract.tensor.uses.get_length() != 1 or body_cost(producer) > EXTRACT_COST:
        return None
    if not all(_evaluable(e) for m in maps_of(producer)[: len(producer.inputs)] for e in m.results):
        return None
    return producer


def fuse_extract(extract: tensor.ExtractOp, producer: linalg.GenericOp) -> None:
    """Compute `producer` (`extract_producer`'s) element at `extract`'s indices in place of the read: its inputs
    read there (through their maps), its body cloned, its `linalg.index` ops the indices."""
    loops: list[SSAValue] = list(extract.indices)  # reordered below: the output map is a permutation
    for k, e in enumerate(maps_of(producer)[-1].results):
        assert isinstance(e, AffineDimExpr)
        loops[e.position] = extract.indices[k]
    b = _builder(extract)
    reads: list[SSAValue] = []
    for v, m in zip(producer.inputs, maps_of(producer)[: len(producer.inputs)]):
        if not isinstance(v.type, TensorType):
            reads.append(v)
            continue
        read = tensor.ExtractOp(v, [_affine_value(b, e, loops) for e in m.results], v.type.element_type)  # type: ignore[arg-type]
        b.insert(read)
        reads.append(read.results[0])
    block = producer.body.block
    mapping: dict[SSAValue, SSAValue] = dict(zip(block.args[: len(producer.inputs)], reads))
    yielded = block.last_op
    assert isinstance(yielded, linalg.YieldOp) and len(yielded.operands) == 1
    clones = []
    for op in block.ops:
        if op is yielded:
            break
        clones.append(op.clone(mapping))  # records each result in `mapping`, for the ops after it
        b.insert(clones[-1])
    for clone in clones:  # once all are placed (`mapping` holds the clones' index results until then)
        for inner in list(clone.walk()):
            if isinstance(inner, linalg.IndexOp):
                inner.result.replace_all_uses_with(loops[inner.dim.value.data])
                Rewriter.erase_op(inner)
    extract.result.replace_all_uses_with(mapping.get(yielded.operands[0], yielded.operands[0]))
    source = extract.tensor
    Rewriter.erase_op(extract)
    erase_if_dead(source)


def fuse_extracts(consumer: linalg.GenericOp, policy: FusionPolicy) -> int:
    """Pull the cheap elementwise producers that `consumer`'s body reads by `tensor.extract` (and nothing else
    reads) into the body, each after its own inputs were fused into it. Returns the number pulled in."""
    count = 0
    progress = True
    while progress and count < EXTRACT_FUSIONS:
        progress = False
        for extract in [op for op in consumer.body.walk() if isinstance(op, tensor.ExtractOp)]:
            producer = extract_producer(extract)
            if producer is None:
                continue
            fuse_into(producer, policy)  # its own inputs first (it comes before: not visited yet); may replace it
            producer = extract_producer(extract)  # (the rebuilt op, if it still qualifies)
            if producer is not None:
                fuse_extract(extract, producer)
                count += 1
                progress = True
                break  # the walk's list is stale
    return count


# ===----------------------------------------------------------------------=== #
# The pass
# ===----------------------------------------------------------------------=== #


def fuse_into(consumer: linalg.GenericOp, policy: FusionPolicy) -> tuple[linalg.GenericOp, int]:
    """Fuse every allowed input into `consumer`, until none is left.
    Returns the final op and the number of fusions.

    Linear in the fusions and inputs: after fusing input k the scan goes on
    at k (the producer's inputs take its place; inputs before k keep their
    positions), and a whole pass that fuses nothing ends it."""
    if not is_consumer(consumer):
        return consumer, 0
    consumer = compact(consumer)
    count = 0
    spent = 0.0
    progress = True
    while progress:
        progress = False
        k = 0
        while k < len(consumer.inputs):
            c = can_fuse(consumer, k)
            if c is not None and policy.allows(c, spent):
                if policy.recomputes(c):
                    assert isinstance(c.producer, linalg.GenericOp)
                    spent += body_cost(c.producer)
                consumer = compact(fuse(c))
                count += 1
                progress = True
            else:
                k += 1
    return consumer, count + fuse_extracts(consumer, policy)


def fuse_function(f: func.FuncOp, policy: FusionPolicy) -> int:
    """Visit the top-level generics last to first (see the policy), then
    those of each branch of an `scf.if` (a lazy ifelse) and of each `scf.for` body
    (a native scan) the same way."""
    if f.is_declaration:
        return 0
    count = 0
    blocks = [f.body.blocks[0]]
    while blocks:
        op = blocks.pop().last_op
        while op is not None:
            if isinstance(op, linalg.GenericOp):
                op, n = fuse_into(op, policy)
                count += n
            elif isinstance(op, scf.IfOp | scf.ForOp):
                blocks += [r.block for r in op.regions if r.blocks]
            op = op.prev_op
    return count


class FuseElementwisePass(ModulePass):
    """Fuse elementwise linalg generics (fills, broadcasts, copies, gathers) into their consumers.

    Pre: linalg on tensors (after convert-mt-to-linalg). Post: the same
    values; chains of elementwise ops and elementwise producers of
    reductions are one generic each, under `FusionPolicy`.
    """

    name = "fuse-elementwise"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from mlc.config import config

        # values shared in step are left to fuse-multi-output, unless it is excluded (then recomputed)
        policy = FusionPolicy(defer_in_step="fuse-multi-output" not in config.optimizer_excluding.split(":"))
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                fuse_function(f, policy)
