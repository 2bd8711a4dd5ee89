"""`mt.csr_dot` on memrefs: a CSR matrix times a dense matrix as row loops (part of `bufferize`).

For float element types `convert-mt-to-linalg` leaves `mt.csr_dot`, and
it is bufferized straight into the loop nest scipy's csr_matvecs runs:

    scf.parallel (%i) = (0) to (M) {                  // rows: independent, split over threads
      scf.for %k = 0 to K { out[%i, %k] = 0 }
      scf.for %p = indptr[%i] to indptr[%i + 1] {     // the row's stored entries
        %j = indices[%p], %v = data[%p]
        scf.for %k = 0 to K { out[%i, %k] += %v * b[%j, %k] }   // contiguous: vectorizes
      }
    }

A gather generic (the form for other types: one element at a time, an
inner loop over the row's entries) reads b by columns; here the innermost
loop runs along a row of b and of the result, so LLVM vectorizes it, and
each output row stays in cache while its entries are added. The sums run
in storage order (the order scipy adds them in). `parallelize-loops`
outlines the row loop for the thread pool.
"""

from __future__ import annotations

from xdsl.builder import Builder
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import IndexType
from xdsl.ir import Block, Region
from xdsl.rewriter import InsertPoint

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import const, emit, for_loops, index


def _load_index(b: Builder, buf, at) -> object:
    return emit(b, arith.IndexCastOp(emit(b, memref.LoadOp.get(buf, at)), index))


def bufferize_csr_dot(bz, op: mt.CsrDotOp) -> None:
    """The loops of the module docstring, writing the op's result buffer."""
    b: Builder = bz.b
    data, indices, indptr, bmat = (bz.buf(v) for v in (op.data, op.indices, op.indptr, op.b))
    c0, c1 = const(b, 0, index), const(b, 1, index)
    rows = emit(b, arith.SubiOp(emit(b, memref.DimOp(indptr, c0)), c1))
    cols = emit(b, memref.DimOp(bmat, c1))
    out = bz.planned_or_new(op.result, [rows, cols])
    elt = op.result.type.element_type

    body = Block(arg_types=[IndexType()])
    pb = Builder(InsertPoint.at_end(body))
    i = body.args[0]
    zero = const(pb, 0.0, elt)
    for_loops(pb, [(0, cols)], lambda fb, ks: fb.insert(memref.StoreOp.get(zero, out, [i, ks[0]])))
    lo = _load_index(pb, indptr, [i])
    hi = _load_index(pb, indptr, [emit(pb, arith.AddiOp(i, const(pb, 1, index)))])

    def entry(eb: Builder, ps) -> None:
        p = ps[0]
        j = _load_index(eb, indices, [p])
        v = emit(eb, memref.LoadOp.get(data, [p]))

        def column(cb: Builder, ks) -> None:
            k = ks[0]
            acc = emit(cb, memref.LoadOp.get(out, [i, k]))
            term = emit(cb, arith.MulfOp(v, emit(cb, memref.LoadOp.get(bmat, [j, k]))))
            cb.insert(memref.StoreOp.get(emit(cb, arith.AddfOp(acc, term)), out, [i, k]))

        for_loops(eb, [(0, cols)], column)

    for_loops(pb, [(lo, hi)], entry)
    pb.insert(scf.ReduceOp())
    b.insert(scf.ParallelOp([c0], [rows], [c1], Region(body)))
    bz.buffers[op.result] = out


HANDLERS = {mt.CsrDotOp: bufferize_csr_dot}

__all__ = ["HANDLERS", "bufferize_csr_dot"]
