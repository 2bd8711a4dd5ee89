"""`convert-mt-to-linalg` for mt's shape ops and constructors.

broadcast and dimshuffle are copy generics (a constant-0 map result for a
broadcast dim, a permuted map for a shuffle); `fuse-elementwise` folds them
into their consumers' maps. reshape is a view (`tensor.collapse_shape` +
`tensor.expand_shape`, no copy once bufferized). slice, index,
concatenate, insert_slice, insert_index, arange and eye (and reshapes of
0-d or small known tensors) are "gather" generics: only an output, and a body that computes the source position
from `linalg.index` and reads it with `tensor.extract` (the inserts pass
over all of dest and read src under an `scf.if` where it is written).
Python's slice rules (`slice.indices(n)`) and
numpy's reshape -1 are computed in index arithmetic that folds away when
everything is static. mt.shape is `tensor.from_elements` of the dims.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import prod

from xdsl.builder import Builder
from xdsl.dialects import arith, math, scf, tensor
from xdsl.dialects.builtin import DYNAMIC_INDEX, ArrayAttr, IntegerAttr, TensorType
from xdsl.ir import Block, Region, SSAValue
from xdsl.rewriter import InsertPoint

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import (
    Index,
    IndexLike,
    const,
    emit,
    empty,
    i64,
    is_bool,
    is_float,
)
from mlc.lowering.convert_mt_to_linalg import scalar_math
from mlc.lowering.convert_mt_to_linalg.lowering import Lowering, result_type


def lower_shape(cx: Lowering, op: mt.ShapeOp) -> SSAValue:
    x = cx.v(op.input)
    dims = [cx.ix.to_i64(d) for d in cx.shape(x)]
    if not dims:
        return empty(cx.b, result_type(op), [0])
    return emit(cx.b, tensor.FromElementsOp(*dims, result_type=result_type(op)))


def _shape_operand(cx: Lowering, shape: SSAValue | None, result: TensorType) -> list[IndexLike]:
    """The sizes a broadcast/reshape asks for: static dims, else its shape operand."""
    if shape is None:
        return list(result.get_shape())
    s = cx.v(shape)
    return [d if d >= 0 else cx.index_scalar(s, [k]) for k, d in enumerate(result.get_shape())]


def lower_broadcast(cx: Lowering, op: mt.BroadcastOp) -> SSAValue:
    result = result_type(op)
    x = cx.v(op.input)
    sizes = _shape_operand(cx, op.shape, result)
    in_shape = cx.mt_type(op.input).get_shape()
    # A static 1 that becomes anything but a static 1 is read at index 0.
    in_map = tuple("0" if d == 1 and r != 1 else i for i, (d, r) in enumerate(zip(in_shape, result.get_shape())))
    return cx.map_elementwise([x], result, lambda s, a: a[0], maps=[in_map], sizes=sizes)


def lower_dimshuffle(cx: Lowering, op: mt.DimShuffleOp) -> SSAValue:
    result = result_type(op)
    x = cx.v(op.input)
    pattern = list(op.pattern.get_values())
    # Input dim i is loop j where pattern[j] == i; dropped dims are static 1s.
    in_map = tuple(pattern.index(i) if i in pattern else "0" for i in range(cx.mt_type(op.input).get_num_dims()))
    sizes = [1 if p == -1 else cx.dim(x, p) for p in pattern]
    return cx.map_elementwise([x], result, lambda s, a: a[0], maps=[in_map], sizes=sizes)


def _strides(ix: Index, dims: Sequence[IndexLike]) -> list[IndexLike]:
    strides: list[IndexLike] = [1] * len(dims)
    for k in range(len(dims) - 2, -1, -1):
        strides[k] = ix.mul(strides[k + 1], dims[k + 1])
    return strides


def lower_reshape(cx: Lowering, op: mt.ReshapeOp) -> SSAValue:
    """Row-major reshape: a view (`reshape_view`) of the same elements, or,
    for 0-d operands/results and small known tensors (shape vectors, which
    then fold), a gather: flatten the output index, unflatten it over the
    input's dims. One shape entry may be -1 (numpy): it becomes size(x) /
    product(other entries), or 0 when that product is 0."""
    ix = cx.ix
    result = result_type(op)
    x = cx.v(op.input)
    in_dims = cx.shape(x)
    sizes = _shape_operand(cx, op.shape, result)
    if op.shape is not None:
        total: IndexLike = 1
        for d in in_dims:
            total = ix.mul(total, d)
        known: IndexLike = 1
        for s in sizes:
            known = ix.mul(known, ix.select(ix.cmp("eq", s, -1), 1, s))
        known_nonzero = ix.cmp("ne", known, 0)
        inferred = ix.select(known_nonzero, ix.div(total, ix.select(known_nonzero, known, 1)), 0)
        sizes = [ix.select(ix.cmp("eq", s, -1), inferred, s) for s in sizes]
    if in_dims and sizes and not cx.scalarizable(x):
        return reshape_view(cx, x, result, sizes)
    out_strides = _strides(ix, sizes)
    in_strides = _strides(ix, in_dims)

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        flat: IndexLike = 0
        for i, stride in zip(idx, out_strides):
            flat = bix.add(flat, bix.mul(i, stride))
        source: list[IndexLike] = []
        for k, (stride, dim) in enumerate(zip(in_strides, in_dims)):
            position = bix.div(flat, stride)
            source.append(position if k == 0 else bix.rem(position, dim))
        return cx.extract(x, source, b)

    return cx.gather(result, sizes, element)


def _reassociation(rank: int) -> ArrayAttr:
    """All dims in one group: `[[0, 1, ..., rank - 1]]`."""
    return ArrayAttr([ArrayAttr([IntegerAttr(d, i64) for d in range(rank)])])


def reshape_view(cx: Lowering, x: SSAValue, result: TensorType, sizes: Sequence[IndexLike]) -> SSAValue:
    """Reshape as a view: `tensor.collapse_shape` to one dim, then
    `tensor.expand_shape` to the result's. Buffers are contiguous and
    row-major, so bufferized these are `memref.collapse_shape/expand_shape`
    of the same memory: no element is copied (memory aliasing)."""
    elt = result.element_type
    flat = x
    rank = x.type.get_num_dims()  # type: ignore[attr-defined]
    if rank > 1:
        shape = x.type.get_shape()  # type: ignore[attr-defined]
        n = DYNAMIC_INDEX if any(d < 0 for d in shape) else prod(shape)
        flat_type = TensorType(elt, [n])
        collapse = tensor.CollapseShapeOp.create(
            operands=[x], result_types=[flat_type], properties={"reassociation": _reassociation(rank)}
        )
        flat = emit(cx.b, collapse)
    if result.get_num_dims() == 1:
        out = flat if flat.type == result else emit(cx.b, tensor.CastOp(flat, result))
        return cx.known_dims(out, sizes)
    static = list(result.get_shape())
    dynamic = [cx.ix.value(s) for s, d in zip(sizes, static) if d < 0]
    expand = tensor.ExpandShapeOp(flat, dynamic, _reassociation(len(static)), static, result)
    return cx.known_dims(emit(cx.b, expand), sizes)


@dataclass
class SliceDim:
    start: IndexLike
    step: IndexLike
    length: IndexLike
    full: bool = False  # `:` -- every index, in order


def slice_indices(
    ix: Index, n: IndexLike, start: IndexLike | None, stop: IndexLike | None, step: IndexLike | None
) -> SliceDim:
    """Python's `slice(start, stop, step).indices(n)` and the slice length,
    on index values (None: an omitted field). Negative bounds wrap once,
    then clamp to [0, n] (or [-1, n - 1] for a negative step). With a
    static step only the IR for that step's sign is built. A run-time step
    of 0 (numpy raises) gives an empty slice rather than a division trap."""
    step = 1 if step is None else step
    zero_step = ix.cmp("eq", step, 0)
    step = ix.select(zero_step, 1, step)
    negative = ix.cmp("slt", step, 0)
    lower = ix.choose(negative, lambda: -1, lambda: 0)
    upper = ix.choose(negative, lambda: ix.sub(n, 1), lambda: n)

    def bound(value: IndexLike | None, default: IndexLike) -> IndexLike:
        if value is None:
            return default
        return ix.choose(ix.cmp("slt", value, 0), lambda: ix.max(ix.add(value, n), lower), lambda: ix.min(value, upper))

    first = bound(start, ix.choose(negative, lambda: upper, lambda: lower))
    last = bound(stop, ix.choose(negative, lambda: lower, lambda: upper))
    # length = ceil(span / |step|) when span > 0, else 0
    span = ix.choose(negative, lambda: ix.sub(first, last), lambda: ix.sub(last, first))
    magnitude = ix.choose(negative, lambda: ix.sub(0, step), lambda: step)
    if magnitude == 1:
        length = ix.max(span, 0)
    else:
        length = ix.select(ix.cmp("sgt", span, 0), ix.add(ix.div(ix.sub(span, 1), magnitude), 1), 0)
    return SliceDim(first, step, ix.select(zero_step, 0, length))


def slice_dims(
    cx: Lowering, x: SSAValue, entries: Sequence[tuple[int, int, int]], dyn: Sequence[SSAValue]
) -> list[SliceDim]:
    """The start, step and length of mt.slice-style entries on each dim of
    (new) tensor x; `?` fields come from the (old) `dyn` operands in order."""
    dynamic = iter(dyn)

    def field_value(f: int) -> IndexLike | None:
        if f == mt.SLICE_NONE:
            return None
        if f == mt.SLICE_DYNAMIC:
            return cx.index_scalar(cx.v(next(dynamic)))
        return f

    dims: list[SliceDim] = []
    for k, entry in enumerate(entries):
        start, stop, step = (field_value(f) for f in entry)
        dim = slice_indices(cx.ix, cx.dim(x, k), start, stop, step)
        dim.full = start is None and stop is None and step in (None, 1)
        dims.append(dim)
    return dims


def lower_slice(cx: Lowering, op: mt.SliceOp) -> SSAValue:
    x = cx.v(op.input)
    dims = slice_dims(cx, x, op.entries(), op.dyn)

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        return cx.extract(x, [bix.add(d.start, bix.mul(i, d.step)) for d, i in zip(dims, idx)], b)

    return cx.gather(result_type(op), [d.length for d in dims], element)


def if_else(
    b: Builder, cond: bool | SSAValue, then: Callable[[Builder], SSAValue], otherwise: Callable[[Builder], SSAValue]
) -> SSAValue:
    """`scf.if` yielding `then(b)` or `otherwise(b)`, each built in its own
    branch (so a read happens only where it is in bounds); a static
    condition builds one side inline."""
    if isinstance(cond, bool):
        return then(b) if cond else otherwise(b)
    then_block, else_block = Block(), Block()
    then_b = Builder(InsertPoint.at_end(then_block))
    value = then(then_b)
    then_b.insert(scf.YieldOp(value))
    else_b = Builder(InsertPoint.at_end(else_block))
    else_b.insert(scf.YieldOp(otherwise(else_b)))
    return emit(b, scf.IfOp(cond, [value.type], Region(then_block), Region(else_block)))


def _inserted(
    cx: Lowering, op: mt.InsertSliceOp | mt.InsertIndexOp, b: Builder, old: SSAValue, src_at: list[IndexLike]
) -> SSAValue:
    """The new element at a written position: src (mode set) or old + src (add)."""
    new = cx.extract(cx.v(op.src), src_at, b)
    if op.mode.data == "set":
        return new
    elt = cx.mt_type(op.dest).element_type
    return scalar_math.binary(cx.scalar_emitter(b), mt.AddOp, elt, old, new)


def lower_insert_slice(cx: Lowering, op: mt.InsertSliceOp) -> SSAValue:
    """dest with its slice set to (or incremented by) src, in one pass over
    dest: position p is in the slice iff, on every dim, j = (p - start) /
    step is exact and in [0, length); then it takes src[j]."""
    dest = cx.v(op.dest)
    dims = slice_dims(cx, dest, op.entries(), op.dyn)

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        inside: bool | SSAValue = True
        src_at: list[IndexLike] = []
        for d, i in zip(dims, idx):
            if d.full:
                src_at.append(i)
                continue
            offset = bix.sub(i, d.start)
            j = bix.div(offset, d.step)
            ok = bix.and_(bix.cmp("sge", j, 0), bix.cmp("slt", j, d.length))
            if d.step not in (1, -1):
                ok = bix.and_(ok, bix.cmp("eq", bix.rem(offset, d.step), 0))
            inside = bix.and_(inside, ok)
            src_at.append(j)
        old = cx.extract(dest, idx, b)
        return if_else(b, inside, lambda tb: _inserted(cx, op, tb, old, src_at), lambda eb: old)

    return cx.gather(result_type(op), cx.shape(dest), element)


def lower_insert_index(cx: Lowering, op: mt.InsertIndexOp) -> SSAValue:
    """dest with dest[..., i, ...] set to (or incremented by) src, in one
    pass over dest; a negative i wraps once, an out-of-range i (numpy
    raises) writes nothing."""
    ix = cx.ix
    dest = cx.v(op.dest)
    axis = op.axis.value.data
    n = cx.dim(dest, axis)
    i = cx.index_scalar(cx.v(op.index))
    i = ix.select(ix.cmp("slt", i, 0), ix.add(i, n), i)

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        old = cx.extract(dest, idx, b)
        src_at = [*idx[:axis], *idx[axis + 1 :]]
        hit = bix.cmp("eq", idx[axis], i)
        return if_else(b, hit, lambda tb: _inserted(cx, op, tb, old, src_at), lambda eb: old)

    return cx.gather(result_type(op), cx.shape(dest), element)


def lower_index(cx: Lowering, op: mt.IndexOp) -> SSAValue:
    """x[..., i, ...]: a negative i wraps; out-of-range i is clamped into
    range (numpy raises IndexError) so memory is never read outside x."""
    ix = cx.ix
    x = cx.v(op.input)
    axis = op.axis.value.data
    n = cx.dim(x, axis)
    i = cx.index_scalar(cx.v(op.index))
    i = ix.select(ix.cmp("slt", i, 0), ix.add(i, n), i)
    i = ix.max(ix.min(i, ix.sub(n, 1)), 0)
    sizes = [cx.dim(x, k) for k in range(cx.mt_type(op.input).get_num_dims()) if k != axis]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        return cx.extract(x, [*idx[:axis], i, *idx[axis:]], b)

    return cx.gather(result_type(op), sizes, element)


def lower_concatenate(cx: Lowering, op: mt.ConcatenateOp) -> SSAValue:
    """A gather whose body picks the input by comparing the axis index with
    the running offsets (nested `scf.if`s, each reading only its input)."""
    ix = cx.ix
    result = result_type(op)
    axis = op.axis.value.data
    inputs = [cx.v(v) for v in op.inputs]
    inputs = [v for v in inputs if v.type.get_shape()[axis] != 0] or inputs[:1]
    offsets: list[IndexLike] = [0]
    for v in inputs:
        offsets.append(ix.add(offsets[-1], cx.dim(v, axis)))
    first = inputs[0]
    sizes = [offsets[-1] if k == axis else cx.dim(first, k) for k in range(result.get_num_dims())]

    def pick(b: Builder, idx: list[IndexLike], j: int) -> SSAValue:
        bix = Index(b)
        position = [*idx[:axis], bix.sub(idx[axis], offsets[j]), *idx[axis + 1 :]]
        if j == len(inputs) - 1:
            return cx.extract(inputs[j], position, b)
        below = bix.cmp("slt", idx[axis], offsets[j + 1])
        return if_else(b, below, lambda tb: cx.extract(inputs[j], position, tb), lambda eb: pick(eb, idx, j + 1))

    return cx.gather(result, sizes, lambda b, idx: pick(b, idx, 0))


# ===----------------------------------------------------------------------=== #
# Constructors: arange, eye
# ===----------------------------------------------------------------------=== #


def lower_arange(cx: Lowering, op: mt.ArangeOp) -> SSAValue:
    """numpy.arange: ceil((stop - start) / step) elements (at least 0).

    Floats are numpy's fill: v[1] = start + step, v[i] = start + i * delta
    with delta = (start + step) - start. Where numpy raises (a zero step,
    a non-finite length) the result is empty: never a trap or a huge
    allocation."""
    ix = cx.ix
    result = result_type(op)
    elt = op.result.type.element_type
    start, stop, step = (cx.extract(cx.v(v)) for v in (op.start, op.stop, op.step))
    s = cx.scalar_emitter()
    if is_float(elt):
        count = s(math.CeilOp(s(arith.DivfOp(s(arith.SubfOp(stop, start)), step))))
        t = count.type
        sane = s(arith.AndIOp(s.cmpf("oge", count, s.c(0.0, t)), s.cmpf("olt", count, s.c(2.0**62, t))))
        count = s.select(sane, count, s.c(0.0, t))
        length = ix.from_int(s(arith.FPToSIOp(count, i64)))
        second = s(arith.AddfOp(start, step))
        delta = s(arith.SubfOp(second, start))

        def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
            es = cx.scalar_emitter(b)
            i = Index(b).to_i64(idx[0])
            value = es(arith.AddfOp(start, es(arith.MulfOp(es(arith.SIToFPOp(i, result.element_type)), delta))))
            return es.select(es.cmpi("eq", i, es.c(1, i64)), second, value)

    else:
        first, last, stride = (ix.from_int(v) for v in (start, stop, step))
        nonzero = ix.cmp("ne", stride, 0)
        # ceil(a / b) == -floor(-a / b)
        quotient = ix.floordiv(ix.sub(first, last), ix.select(nonzero, stride, 1))
        length = ix.select(nonzero, ix.max(ix.sub(0, quotient), 0), 0)

        def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
            es = cx.scalar_emitter(b)
            i = scalar_math.cast(es, Index(b).to_i64(idx[0]), i64, result.element_type)
            return es(arith.AddiOp(start, es(arith.MuliOp(i, step))))

    return cx.gather(result, [length], element)


def lower_eye(cx: Lowering, op: mt.EyeOp) -> SSAValue:
    ix = cx.ix
    result = result_type(op)
    n, m, k = (cx.index_scalar(cx.v(v)) for v in (op.n, op.m, op.k))
    sizes = [ix.max(n, 0), ix.max(m, 0)]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        on_diagonal = bix.cond(bix.cmp("eq", bix.sub(idx[1], idx[0]), k))
        if is_bool(result.element_type):
            return on_diagonal
        one, zero = const(b, 1, result.element_type), const(b, 0, result.element_type)
        return emit(b, arith.SelectOp(on_diagonal, one, zero))

    return cx.gather(result, sizes, element)
