"""`mt.scatter` on memrefs: one loop over the index positions, in order (part of `bufferize`).

`convert-mt-to-linalg` leaves mt.scatter (on signless operands): linalg on
tensors has no sequential loop that writes where its data says. It is
bufferized straight into loops writing dest's buffer (dest itself when it
is dead and ours, else a copy of it):

    scf.parallel (%c) = (0) to (ceil(T / W)) {          // blocks of W columns of the last trailing
                                                        // dim: disjoint writes, so independent
      scf.for %k = 0 to K {                             // the index positions, in order (one loop
                                                        // per dim of the index tensors)
        %i = wrap(index_j[%k]) for each index tensor j  // + n_j when negative, once
        %ok = every %i_j in [0, n_j)                    // out of range: nothing is touched
        scf.for %t0 = 0 to (%ok ? T0 : 0) {             // dest's other trailing dims, if any
          scf.for %t = %c*W to min(%c*W + W, T) {       // contiguous: vectorizes
            dest[%i.., %t0.., %t] = dest[..] + src[%k.., %t0.., %t]     // set: = src[..]
    }}}}

The cost is (index positions) x (trailing elements): nothing per row of
dest. Repeated positions apply one after the other in index order, so
mode add accumulates them (numpy.add.at) and mode set keeps the last. With
no trailing dim there is one block and the innermost loop runs %ok ? 1 : 0
times. The loop bounds are the smaller of the index tensors', src's and
dest's sizes, so no load or store leaves its buffer even for operands
the graph's shape rule did not check. W is bufferize's `scatter_columns`
(256 by default: a block's columns vectorize on the CPU, and
`parallelize-loops` outlines the block loop for the thread pool, which
splits a wide table's columns). The GPU pipeline asks for W = 1: the
backend makes the block loop a grid-stride kernel, a thread per column
running the position loop, neighbouring threads on neighbouring columns.
"""

from __future__ import annotations

from xdsl.builder import Builder
from xdsl.dialects import arith, memref, scf
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import AnyFloat, ComplexType, IndexType, MemRefType, StringAttr
from xdsl.ir import Block, Region, SSAValue
from xdsl.rewriter import InsertPoint

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import Index, IndexLike, const, emit, for_loops, index, is_bool
from mlc.passes.profile_kernels import KERNEL_NAME


def _dim(b: Builder, buf: SSAValue, i: int) -> IndexLike:
    size = buf.type.get_shape()[i]  # type: ignore[attr-defined]
    return size if size >= 0 else emit(b, memref.DimOp(buf, const(b, i, index)))


def _combine(b: Builder, old: SSAValue, new: SSAValue) -> SSAValue:
    """old + new in the element type (a bool adds as `or`, numpy's add on bools)."""
    t = old.type
    if isinstance(t, AnyFloat):
        return emit(b, arith.AddfOp(old, new))
    if isinstance(t, ComplexType):
        return emit(b, cx.AddOp(old, new))
    if is_bool(t):
        return emit(b, arith.OrIOp(old, new))
    return emit(b, arith.AddiOp(old, new))


def bufferize_scatter(bz, op: mt.ScatterOp) -> None:
    """The loops of the module docstring, writing the op's result buffer."""
    b: Builder = bz.b
    ix = Index(b)
    if isinstance(op.dest.type, MemRefType):  # an argument (never written): a copy, in the result's buffer
        out = bz.planned_or_new(op.result, [_dim(b, op.dest, j) for j in range(len(op.dest.type.get_shape()))])
        bz.copy(op.dest, out)
    else:
        out = bz.destination(op.result, op.dest, True)
    src = bz.buf(op.src)
    indices = [bz.buf(i) for i in op.indices]
    m = len(indices)
    r = len(indices[0].type.get_shape())  # type: ignore[attr-defined]
    t = len(out.type.get_shape()) - m  # type: ignore[attr-defined]
    lengths = [_dim(b, out, j) for j in range(m)]
    positions: list[IndexLike] = []  # the index tensors' common shape, as far as src agrees
    for d in range(r):
        size = _dim(b, src, d)
        for i in indices:
            size = ix.min(size, _dim(b, i, d))
        positions.append(size)
    trailing = [ix.min(_dim(b, out, m + e), _dim(b, src, r + e)) for e in range(t)]
    last = trailing[-1] if t else 1
    width = max(1, int(bz.scatter_columns))  # columns per block (a block re-reads the indices)
    blocks = ix.div(ix.add(last, width - 1), width) if t else 1
    add = op.mode.data == "add"

    body = Block(arg_types=[IndexType()])
    pb = Builder(InsertPoint.at_end(body))
    pix = Index(pb)
    lo = pix.mul(body.args[0], width) if t else 0
    hi = pix.min(pix.add(lo, width), last) if t else 1

    def position(kb: Builder, ks: list[SSAValue]) -> None:
        kix = Index(kb)
        rows: list[SSAValue] = []
        ok: bool | SSAValue = True
        for i, n in zip(indices, lengths):
            raw = kix.from_int(emit(kb, memref.LoadOp.get(i, ks)))
            row = kix.value(kix.select(kix.cmp("slt", raw, 0), kix.add(raw, n), raw))
            rows.append(row)  # a negative `row` is a huge unsigned one: one compare checks both ends
            ok = kix.and_(ok, emit(kb, arith.CmpiOp(row, kix.value(n), "ult")))
        bounds: list[tuple[IndexLike, IndexLike]] = [(0, size) for size in trailing[:-1]] + [(lo, hi)]
        first_lo, first_hi = bounds[0]
        bounds[0] = (first_lo, kix.select(ok, first_hi, first_lo))  # gate the outermost: no iteration

        def element(eb: Builder, ts: list[SSAValue]) -> None:
            ts = ts if t else []
            new = emit(eb, memref.LoadOp.get(src, [*ks, *ts]))
            if add:
                new = _combine(eb, emit(eb, memref.LoadOp.get(out, [*rows, *ts])), new)
            eb.insert(memref.StoreOp.get(new, out, [*rows, *ts]))

        for_loops(kb, bounds, element)

    for_loops(pb, [(0, size) for size in positions], position)
    pb.insert(scf.ReduceOp())
    loop = scf.ParallelOp([const(b, 0, index)], [ix.value(blocks)], [const(b, 1, index)], Region(body))
    loop.attributes[KERNEL_NAME] = StringAttr(f"scatter{{{op.mode.data}}}")  # its name in profiles
    b.insert(loop)
    bz.buffers[op.result] = out


HANDLERS = {mt.ScatterOp: bufferize_scatter}

__all__ = ["HANDLERS", "bufferize_scatter"]
