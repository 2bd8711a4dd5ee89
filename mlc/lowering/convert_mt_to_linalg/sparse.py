"""`convert-mt-to-linalg` for mt.csr_dot and mt.sampled_dot (CSR sparse products).

Both are gather generics over their result whose element is an `scf.for`
reduction with a data-dependent trip count:

* `mt.csr_dot` of integers (a float one is left for `bufferize`, which
  makes it row loops that vectorize along the columns:
  `mlc.passes.bufferize_sparse`): element (i, k) loops over the stored entries p of row i,
  `indptr[i] <= p < indptr[i+1]`, summing `data[p] * b[indices[p], k]`
  (a row with no entries gives zero). parallelize-loops runs the generic
  in parallel over rows (and columns of b): no two elements write the same
  place.
* `mt.sampled_dot`: element p loops over k, summing
  `x[rows[p], k] * y[cols[p], k]`.

Index values are trusted here: mlc.sparse checks indices and indptr
against the shapes (a shape rule) before native code runs.
"""

from __future__ import annotations

from xdsl.builder import Builder
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType
from xdsl.ir import Block, Region, SSAValue
from xdsl.rewriter import InsertPoint

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import Index, IndexLike, const, signless
from mlc.lowering.convert_mt_to_linalg import scalar_math
from mlc.lowering.convert_mt_to_linalg.lowering import Lowering, result_type


def _sum_loop(cx: Lowering, b: Builder, lower: IndexLike, upper: IndexLike, elt, term) -> SSAValue:
    """`scf.for p in [lower, upper)` summing `term(builder, p)` (an `elt` scalar), from zero."""
    bix = Index(b)
    body = Block(arg_types=[IndexType(), signless(elt)])
    bb = Builder(InsertPoint.at_end(body))
    p, acc = body.args
    total = scalar_math.binary(cx.scalar_emitter(bb), mt.AddOp, elt, acc, term(bb, p))
    if isinstance(total.owner, arith.AddfOp):  # a sum: any order (partial sums, as reassociate-reductions allows)
        total.owner.fastmath = arith.FastMathFlagsAttr([arith.FastMathFlag.REASSOC])
    bb.insert(scf.YieldOp(total))
    loop = scf.ForOp(bix.value(lower), bix.value(upper), bix.value(1), [const(b, 0, elt)], Region(body))
    b.insert(loop)
    return loop.results[0]


def lower_csr_dot(cx: Lowering, op: mt.CsrDotOp) -> SSAValue:
    """out[i, k] = sum over p in [indptr[i], indptr[i+1]) of data[p] * b[indices[p], k]."""
    data, indices, indptr, bmat = (cx.v(v) for v in (op.data, op.indices, op.indptr, op.b))
    elt = cx.mt_type(op.b).element_type
    rows = cx.ix.sub(cx.dim(indptr, 0), 1)
    sizes = [rows, cx.dim(bmat, 1)]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        i, k = idx
        start = bix.from_int(cx.extract(indptr, [i], b))
        stop = bix.from_int(cx.extract(indptr, [bix.add(i, 1)], b))

        def term(bb: Builder, p: SSAValue) -> SSAValue:
            j = Index(bb).from_int(cx.extract(indices, [p], bb))
            return scalar_math.binary(cx.scalar_emitter(bb), mt.MulOp, elt, cx.extract(data, [p], bb),
                                      cx.extract(bmat, [j, k], bb))

        return _sum_loop(cx, b, start, stop, elt, term)

    return cx.gather(result_type(op), sizes, element)


def lower_sampled_dot(cx: Lowering, op: mt.SampledDotOp) -> SSAValue:
    """out[p] = sum over k of x[rows[p], k] * y[cols[p], k]."""
    rows, cols, x, y = (cx.v(v) for v in (op.rows, op.cols, op.x, op.y))
    elt = cx.mt_type(op.x).element_type
    depth = cx.dim(x, 1)

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        (p,) = idx
        r = bix.from_int(cx.extract(rows, [p], b))
        c = bix.from_int(cx.extract(cols, [p], b))

        def term(bb: Builder, k: SSAValue) -> SSAValue:
            return scalar_math.binary(cx.scalar_emitter(bb), mt.MulOp, elt, cx.extract(x, [r, k], bb),
                                      cx.extract(y, [c, k], bb))

        return _sum_loop(cx, b, 0, depth, elt, term)

    return cx.gather(result_type(op), [cx.dim(rows, 0)], element)


__all__ = ["lower_csr_dot", "lower_sampled_dot"]
