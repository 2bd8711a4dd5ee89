"""The LAPACK mt ops on memrefs: a private copy of the operands, then a `lapack.*` op (part of `bufferize`).

LAPACK overwrites what it is given, so each op copies its operands into
buffers it owns, contiguous and row-major whatever the layout of the
source (a transposed view, a slice):

    mt.cholesky %a   ->  %l = copy of %a;  lapack.cholesky %l
    mt.solve %a, %b  ->  %f = copy of %a;  %x = copy of %b;  lapack.solve %f, %x
    mt.inverse %a    ->  %i = copy of %a;  lapack.inverse %i   (mt.expm: lapack.expm likewise)
    mt.det %a        ->  %f = copy of %a;  %d = lapack.det %f;  a 0-d buffer holding %d
    mt.eigh %a       ->  %v = copy of %a;  lapack.eigh %v, %w
    mt.svd %a        ->  %f = copy of %a;  lapack.svd %f, %s vectors(%u, %vt)
    mt.qr %a         ->  lapack.qr %a, %q, %r   (the adapter copies a itself: it needs it column-major)
    mt.eig %a        ->  %f = copy of %a;  lapack.eig %f, %w, %v
    mt.lstsq %a, %b, %rcond  ->  copies of %a, %b;  %rank = lapack.lstsq %a', %b', rcond, %x, %s, %resid

The result buffer is the function's result argument when bufferization
planned one (no copy at the end); the factor scratch of solve and det is
freed like every temporary.
"""

from __future__ import annotations

from xdsl.dialects import arith, memref
from xdsl.dialects.builtin import IndexType
from xdsl.ir import SSAValue

from mlc.dialects import lapack, mt
from mlc.dialects.utils.linalg_builders import const, emit


def _dims(bz, source: SSAValue) -> list[SSAValue]:
    rank = source.type.get_num_dims()  # type: ignore[attr-defined]
    return [emit(bz.b, memref.DimOp(source, const(bz.b, d, IndexType()))) for d in range(rank)]


def _fresh(bz, like: SSAValue, sizes: list[SSAValue]) -> SSAValue:
    """A new buffer shaped like `like` (a tensor or a memref), freed like every temporary."""
    return bz.planned_or_new(like, sizes)  # `like` has no planned destination: always a new buffer


def _result_copy(bz, result: SSAValue, source: SSAValue) -> SSAValue:
    """A buffer for `result` (its planned destination, else a new one) holding a copy of `source`."""
    buffer = bz.planned_or_new(result, lambda: _dims(bz, source))
    bz.copy(source, buffer)
    return buffer


def _scratch_copy(bz, source: SSAValue) -> SSAValue:
    buffer = _fresh(bz, source, _dims(bz, source))
    bz.copy(source, buffer)
    return buffer


def bufferize_cholesky(bz, op: mt.CholeskyOp) -> None:
    out = _result_copy(bz, op.result, bz.buf(op.a))
    bz.b.insert(lapack.CholeskyOp(out, lower=op.lower is not None, nan_on_error=op.nan_on_error is not None))
    bz.buffers[op.result] = out


def bufferize_solve(bz, op: mt.SolveOp) -> None:
    factor = _scratch_copy(bz, bz.buf(op.a))
    out = _result_copy(bz, op.result, bz.buf(op.b))
    bz.b.insert(lapack.SolveOp(factor, out, op.structure.data, trans=op.trans is not None,
                               unit_diagonal=op.unit_diagonal is not None))
    bz.buffers[op.result] = out


def bufferize_in_place(bz, op: mt.InverseOp | mt.ExpmOp) -> None:
    out = _result_copy(bz, op.result, bz.buf(op.a))
    bz.b.insert({mt.InverseOp: lapack.InverseOp, mt.ExpmOp: lapack.ExpmOp}[type(op)](out))
    bz.buffers[op.result] = out


def bufferize_det(bz, op: mt.DetOp) -> None:
    factor = _scratch_copy(bz, bz.buf(op.a))
    value = emit(bz.b, lapack.DetOp(factor))
    out = bz.planned_or_new(op.result, lambda: [])
    bz.b.insert(memref.StoreOp.get(value, out, []))
    bz.buffers[op.result] = out


def bufferize_eigh(bz, op: mt.EighOp) -> None:
    a = bz.buf(op.a)
    v = _result_copy(bz, op.v, a)
    w = bz.planned_or_new(op.w, lambda: _dims(bz, a)[:1])
    bz.b.insert(lapack.EighOp(v, w, lower=op.lower is not None))
    bz.buffers[op.v], bz.buffers[op.w] = v, w


def bufferize_svd(bz, op: mt.SvdOp) -> None:
    a = bz.buf(op.a)
    m, n = _dims(bz, a)
    k = emit(bz.b, arith.MinUIOp(m, n))
    factor = _scratch_copy(bz, a)
    if len(op.outs) == 1:
        s = bz.planned_or_new(op.outs[0], lambda: [k])
        bz.b.insert(lapack.SvdOp(factor, s))
        bz.buffers[op.outs[0]] = s
        return
    full = op.full_matrices is not None
    u = bz.planned_or_new(op.outs[0], lambda: [m, m if full else k])
    s = bz.planned_or_new(op.outs[1], lambda: [k])
    vt = bz.planned_or_new(op.outs[2], lambda: [n if full else k, n])
    bz.b.insert(lapack.SvdOp(factor, s, u, vt, full_matrices=full))
    for r, buffer in zip(op.outs, (u, s, vt)):
        bz.buffers[r] = buffer


def bufferize_qr(bz, op: mt.QrOp) -> None:
    a = bz.buf(op.a)
    m, n = _dims(bz, a)
    k = emit(bz.b, arith.MinUIOp(m, n))
    sizes = {"reduced": [[m, k], [k, n]], "complete": [[m, m], [m, n]], "r": [[k, n]], "raw": [[n, m], [k]]}
    outs = [bz.planned_or_new(r, lambda s=s: s) for r, s in zip(op.outs, sizes[op.mode.data])]
    bz.b.insert(lapack.QrOp(a, outs, op.mode.data))
    for r, buffer in zip(op.outs, outs):
        bz.buffers[r] = buffer


def bufferize_eig(bz, op: mt.EigOp) -> None:
    a = _scratch_copy(bz, bz.buf(op.a))  # contiguous; the adapter reads it only
    n = _dims(bz, a)[0]
    w = bz.planned_or_new(op.w, lambda: [n])
    v = bz.planned_or_new(op.v, lambda: [n, n])
    bz.b.insert(lapack.EigOp(a, w, v))
    bz.buffers[op.w], bz.buffers[op.v] = w, v


def bufferize_lstsq(bz, op: mt.LstsqOp) -> None:
    a, b = _scratch_copy(bz, bz.buf(op.a)), _scratch_copy(bz, bz.buf(op.b))  # contiguous; read only
    m, n = _dims(bz, a)
    k = emit(bz.b, arith.MinUIOp(m, n))
    rhs = _dims(bz, b)[1:]
    x = bz.planned_or_new(op.x, lambda: [n, *rhs])
    s = bz.planned_or_new(op.s, lambda: [k])
    resid = bz.planned_or_new(op.resid, lambda: rhs or [const(bz.b, 1, IndexType())])
    rcond = emit(bz.b, memref.LoadOp.get(bz.buf(op.rcond), []))
    rank = emit(bz.b, lapack.LstsqOp(a, b, rcond, x, s, resid))
    rank_buffer = bz.planned_or_new(op.rank, lambda: [])
    bz.b.insert(memref.StoreOp.get(rank, rank_buffer, []))
    for r, buffer in zip(op.results, (x, s, rank_buffer, resid)):
        bz.buffers[r] = buffer


HANDLERS = {
    mt.EigOp: bufferize_eig,
    mt.LstsqOp: bufferize_lstsq,
    mt.CholeskyOp: bufferize_cholesky,
    mt.SolveOp: bufferize_solve,
    mt.InverseOp: bufferize_in_place,
    mt.ExpmOp: bufferize_in_place,
    mt.DetOp: bufferize_det,
    mt.EighOp: bufferize_eigh,
    mt.SvdOp: bufferize_svd,
    mt.QrOp: bufferize_qr,
}
