"""`convert-mt-to-linalg` for mt.gather and mt.scatter (integer-array indexing).

* `mt.gather %x[%i, %j]` is a "gather" generic like mt.index's: only an
  output (of shape index-shape + x's trailing dims), whose body loads the
  positions from the index tensors with `tensor.extract`, wraps negatives
  once, clamps into range (so memory outside x is never read; the graph's
  shape rule has already rejected out-of-range indices) and reads x there.

* `mt.scatter` must apply repeated positions one after the other (mode add
  accumulates them, numpy.add.at; mode set keeps the last). bufferize
  takes linalg on tensors only (no `tensor.insert`, no `scf.for` on
  tensors), so the sequential loop is a generic with *reduction* loops over
  the index positions: its output is dest (the init, read), its loops are
  (dest's indexed dims: parallel, index dims: reduction, dest's trailing
  dims: parallel), and each step adds (or sets) src at the current index
  position when that position's indices point at the current dest row.
  Loops run in order, so repeats apply in index order (a dest that is a
  function argument is first copied by a copy generic). The cost is
  (indexed rows of dest) x (index count) compares plus the trailing copies
  where they hit: fine for gradients of batches and one-hot losses, slow
  for scattering a few rows into a huge table.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.builder import Builder
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import BlockArgument, SSAValue

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import Index, IndexLike, emit, generic
from mlc.lowering.convert_mt_to_linalg import scalar_math
from mlc.lowering.convert_mt_to_linalg.lowering import Lowering, cast_root, result_type
from mlc.lowering.convert_mt_to_linalg.shapes import if_else


def _index_sizes(cx: Lowering, indices: Sequence[SSAValue]) -> list[IndexLike]:
    """The index tensors' common shape, each dim from one that knows it statically."""
    rank = indices[0].type.get_num_dims()  # type: ignore[attr-defined]
    sizes: list[IndexLike] = []
    for d in range(rank):
        static = [i for i in indices if i.type.get_shape()[d] >= 0]  # type: ignore[attr-defined]
        sizes.append(cx.dim((static or list(indices))[0], d))
    return sizes


def _wrap(ix: Index, i: IndexLike, n: IndexLike) -> IndexLike:
    """A negative index counts from the end (once)."""
    return ix.select(ix.cmp("slt", i, 0), ix.add(i, n), i)


def lower_gather(cx: Lowering, op: mt.GatherOp) -> SSAValue:
    """x[i, j, ...]: out[s, t] = x[wrap(i[s]), wrap(j[s]), t], clamped into range."""
    x = cx.v(op.input)
    indices = [cx.v(i) for i in op.indices]
    m = len(indices)
    r = indices[0].type.get_num_dims()  # type: ignore[attr-defined]
    rank = x.type.get_num_dims()  # type: ignore[attr-defined]
    lengths = [cx.dim(x, k) for k in range(m)]
    sizes = [*_index_sizes(cx, indices), *(cx.dim(x, k) for k in range(m, rank))]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        rows: list[IndexLike] = []
        for index, n in zip(indices, lengths):
            i = _wrap(bix, bix.from_int(cx.extract(index, idx[:r], b)), n)
            rows.append(bix.max(bix.min(i, bix.sub(n, 1)), 0))
        return cx.extract(x, [*rows, *idx[r:]], b)

    return cx.gather(result_type(op), sizes, element)


def lower_scatter(cx: Lowering, op: mt.ScatterOp) -> SSAValue:
    """dest with src added (or set) at [i, j, ...], repeats in index order.

    Loops: (p: dest's m indexed dims, parallel; k: the r index dims,
    reduction; t: dest's trailing dims, parallel). The index tensors are
    inputs read at k; the output is dest at (p, t); the body writes
    src[k, t] where wrap(i[k]) == p[0], wrap(j[k]) == p[1], ... (an index
    out of range never matches: nothing is written)."""
    dest = cx.v(op.dest)
    if isinstance(cast_root(dest), BlockArgument):
        # bufferize never writes an argument and cannot size a copy of
        # one for an init it reads: start from a copy generic instead.
        dest = cx.map_elementwise([dest], result_type(op), lambda s, a: a[0])
    src = cx.v(op.src)
    indices = [cx.v(i) for i in op.indices]
    m = len(indices)
    r = indices[0].type.get_num_dims()  # type: ignore[attr-defined]
    rank = dest.type.get_num_dims()  # type: ignore[attr-defined]
    t = rank - m
    lengths = [cx.dim(dest, k) for k in range(m)]
    elt = cx.mt_type(op.dest).element_type
    k_loops = tuple(range(m, m + r))
    t_loops = tuple(range(m + r, m + r + t))

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        bix = Index(b)
        *positions, acc = args
        loops = [emit(b, linalg.IndexOp(i)) for i in range(m + r + t)]
        hit: bool | SSAValue = True
        for p, i, n in zip(loops[:m], positions, lengths):
            hit = bix.and_(hit, bix.cmp("eq", _wrap(bix, bix.from_int(i), n), p))

        def write(tb: Builder) -> SSAValue:
            new = cx.extract(src, [loops[k] for k in (*k_loops, *t_loops)], tb)
            if op.mode.data == "set":
                return new
            return scalar_math.binary(cx.scalar_emitter(tb), mt.AddOp, elt, acc, new)

        return [if_else(b, hit, write, lambda eb: acc)]

    iterators = ["parallel"] * m + ["reduction"] * r + ["parallel"] * t
    maps = [k_loops] * m + [(*range(m), *t_loops)]
    out = generic(cx.b, indices, [dest], maps, iterators, build)[0]
    assert out.type == result_type(op), (out.type, result_type(op))
    return cx.known_dims(out, cx.shape(dest))


__all__ = ["lower_gather", "lower_scatter"]
