"""`convert-mt-to-linalg` for mt.gather and mt.scatter (integer-array indexing).

* `mt.gather %x[%i, %j]` is a "gather" generic like mt.index's: only an
  output (of shape index-shape + x's trailing dims), whose body loads the
  positions from the index tensors with `tensor.extract`, wraps negatives
  once, clamps into range (so memory outside x is never read; the graph's
  shape rule has already rejected out-of-range indices) and reads x there.

* `mt.scatter` must apply repeated positions one after the other (mode add
  accumulates them, numpy.add.at; mode set keeps the last): a sequential
  loop over the index positions, which linalg on tensors cannot say (the
  former form, a generic with reduction loops over the positions that
  compared every position against every indexed row of dest, cost rows x
  positions). So the op stays, on the converted (signless) operands, and
  `bufferize` writes the loop on memrefs (`mlc.passes.bufferize_scatter`):
  positions x trailing elements, nothing per destination row.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.builder import Builder
from xdsl.ir import SSAValue

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import Index, IndexLike
from mlc.lowering.convert_mt_to_linalg.lowering import Lowering, result_type


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
    """mt.scatter again, on the signless operands: `bufferize` makes its loop."""
    dest = cx.v(op.dest)
    new = mt.ScatterOp(dest, cx.v(op.src), [cx.v(i) for i in op.indices], op.mode.data)
    cx.b.insert(new)
    assert new.result.type == result_type(op), (new.result.type, result_type(op))
    for d in range(dest.type.get_num_dims()):  # type: ignore[attr-defined]
        if (dest, d) in cx.dims:  # the result has dest's shape: its dims known already stay known
            cx.dims[(new.result, d)] = cx.dims[(dest, d)]
    return new.result


__all__ = ["lower_gather", "lower_scatter"]
