"""`convert-mt-to-linalg` for mt.patches (im2col) and mt.unpatches (col2im).

* `mt.patches` is a "gather" generic over its result: each element
  computes its input position `o * stride + k * dilation - pad_lo` per
  spatial dim and reads the input there with `tensor.extract`; where the
  position can fall outside the input (padding, Theano's partial pooling
  windows) it is clamped into range and the pad value selected instead.
  Dims that can never leave the input (no padding, floor mode) get no
  test at all, so a valid convolution's im2col is a plain strided copy.

* `mt.unpatches` is a gather generic over the input image (parallel, no
  write conflicts): element l sums, over the window offsets k (unrolled:
  windows are small and static), the patch entry at
  `o = (l + pad_lo - k * dilation) / stride` where that is a whole patch
  index in range. Stride 1 needs no divisibility test; a dim whose
  windows do not overlap (pooling) has one offset per position, computed
  directly (`(l + pad_lo) mod stride`) instead of tried.

Both run in parallel over every result dim once `parallelize-loops`
marks them, and `fuse-elementwise` may fuse them into their consumers.
"""

from __future__ import annotations

import itertools

import numpy as np

from xdsl.builder import Builder
from xdsl.dialects import arith
from xdsl.ir import SSAValue

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import Index, IndexLike, const
from mlc.lowering.convert_mt_to_linalg import scalar_math
from mlc.lowering.convert_mt_to_linalg.lowering import Lowering, result_type


def _in_bounds(w: mt.Window, i: int) -> bool:
    """Every position read along dim i lies inside the input (no test needed)."""
    return w.pads_lo[i] == 0 and w.pads_hi[i] == 0 and not w.ceil


def lower_patches(cx: Lowering, op: mt.PatchesOp) -> SSAValue:
    """out[perm(lead, o, k)] = x[lead, o*s + k*dil - lo] (or the pad value outside x)."""
    x = cx.v(op.input)
    w = op.spec
    d = w.ndim
    rank = x.type.get_num_dims()  # type: ignore[attr-defined]
    nlead = rank - d
    perm = op.perm.get_values()
    lengths = [cx.dim(x, nlead + i) for i in range(d)]
    logical_sizes = [*(cx.dim(x, i) for i in range(nlead)),
                     *(w.out_size(i, n, cx.ix) for i, n in enumerate(lengths)), *w.window]
    sizes = [logical_sizes[p] for p in perm]
    elt = result_type(op).element_type
    fill = mt.pad_value(op.pad.data, mt.numpy_dtype(cx.mt_type(op.input).element_type))

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        logical: list[IndexLike] = [0] * len(perm)
        for j, p in enumerate(perm):
            logical[p] = idx[j]
        at: list[IndexLike] = list(logical[:nlead])
        inside: bool | SSAValue = True
        for i in range(d):
            o, k = logical[nlead + i], logical[nlead + d + i]
            pos = bix.sub(bix.add(bix.mul(o, w.strides[i]), bix.mul(k, w.dilations[i])), w.pads_lo[i])
            if not _in_bounds(w, i):
                inside = bix.and_(inside, bix.and_(bix.cmp("sge", pos, 0), bix.cmp("slt", pos, lengths[i])))
                pos = bix.max(bix.min(pos, bix.sub(lengths[i], 1)), 0)
            at.append(pos)
        value = cx.extract(x, at, b)
        if inside is True:
            return value
        return emit_select(b, bix.cond(inside), value, const(b, np.asarray(fill).item(), elt))

    return cx.gather(result_type(op), sizes, element)


def emit_select(b: Builder, cond: SSAValue, a: SSAValue, c: SSAValue) -> SSAValue:
    return b.insert(arith.SelectOp(cond, a, c)).result


def lower_unpatches(cx: Lowering, op: mt.UnpatchesOp) -> SSAValue:
    """out[lead, l] = sum over k of p[perm(lead, (l + lo - k*dil) / s, k)] where that patch exists."""
    p = cx.v(op.input)
    sizes_vec = cx.v(op.sizes)
    w = op.spec
    d = w.ndim
    prank = p.type.get_num_dims()  # type: ignore[attr-defined]
    nlead = prank - 2 * d
    perm = op.perm.get_values()
    where = {logical: j for j, logical in enumerate(perm)}  # logical dim -> result dim of the patches
    counts = [cx.dim(p, where[nlead + i]) for i in range(d)]
    lengths = [cx.index_scalar(sizes_vec, [i]) for i in range(d)]
    sizes = [*(cx.dim(p, where[i]) for i in range(nlead)), *lengths]
    elt = result_type(op).element_type
    scalar_elt = cx.mt_type(op.input).element_type

    # a dim whose windows do not overlap (dilation 1, stride >= window) has at most one window
    # offset per position: computed directly instead of tried one by one
    direct = [w.dilations[i] == 1 and w.strides[i] >= w.window[i] for i in range(d)]
    offsets = [range(1) if direct[i] else range(w.window[i]) for i in range(d)]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        total: SSAValue | None = None
        for k in itertools.product(*offsets):
            inside: bool | SSAValue = True
            logical: list[IndexLike] = [*idx[:nlead], *([0] * (2 * d))]
            for i in range(d):
                s = w.strides[i]
                if direct[i]:
                    t = bix.add(idx[nlead + i], w.pads_lo[i])
                    o = bix.floordiv(t, s)
                    kk = bix.sub(t, bix.mul(o, s))
                    inside = bix.and_(inside, bix.and_(bix.cmp("sge", t, 0), bix.cmp("slt", o, counts[i])))
                    if s != w.window[i]:
                        inside = bix.and_(inside, bix.cmp("slt", kk, w.window[i]))
                    logical[nlead + d + i] = bix.max(bix.min(kk, w.window[i] - 1), 0)
                else:
                    t = bix.sub(bix.add(idx[nlead + i], w.pads_lo[i]), k[i] * w.dilations[i])
                    o = bix.floordiv(t, s)
                    inside = bix.and_(inside, bix.and_(bix.cmp("sge", t, 0), bix.cmp("slt", o, counts[i])))
                    if s != 1:
                        inside = bix.and_(inside, bix.cmp("eq", bix.mul(o, s), t))
                    logical[nlead + d + i] = k[i]
                logical[nlead + i] = bix.max(bix.min(o, bix.sub(counts[i], 1)), 0)
            value = cx.extract(p, [logical[q] for q in perm], b)
            if inside is not True:
                value = emit_select(b, bix.cond(inside), value, const(b, 0, elt))
            total = value if total is None else scalar_math.binary(
                cx.scalar_emitter(b), mt.AddOp, scalar_elt, total, value)
        assert total is not None
        return total

    return cx.gather(result_type(op), sizes, element)


__all__ = ["lower_patches", "lower_unpatches"]
