"""The LAPACK mt ops on memrefs: a private copy of the operands, then a `lapack.*` op (part of `bufferize`).

LAPACK overwrites what it is given, so each op copies its operands into
buffers it owns, contiguous and row-major whatever the layout of the
source (a transposed view, a slice):

    mt.cholesky %a   ->  %l = copy of %a;  lapack.cholesky %l
    mt.solve %a, %b  ->  %f = copy of %a;  %x = copy of %b;  lapack.solve %f, %x
    mt.inverse %a    ->  %i = copy of %a;  lapack.inverse %i
    mt.det %a        ->  %f = copy of %a;  %d = lapack.det %f;  a 0-d buffer holding %d

The result buffer is the function's result argument when bufferization
planned one (no copy at the end); the factor scratch of solve and det is
freed like every temporary.
"""

from __future__ import annotations

from xdsl.dialects import memref
from xdsl.dialects.builtin import DYNAMIC_INDEX, IndexType, MemRefType
from xdsl.ir import SSAValue

from mlc.dialects import lapack, mt
from mlc.dialects.utils.linalg_builders import const, emit


def _dims(bz, source: SSAValue) -> list[SSAValue]:
    rank = source.type.get_num_dims()  # type: ignore[attr-defined]
    return [emit(bz.b, memref.DimOp(source, const(bz.b, d, IndexType()))) for d in range(rank)]


def _fresh(bz, like: SSAValue, sizes: list[SSAValue]) -> SSAValue:
    t = MemRefType(like.type.element_type, like.type.get_shape())  # type: ignore[attr-defined]
    dyn = [v for v, d in zip(sizes, t.get_shape()) if d == DYNAMIC_INDEX]
    buffer = emit(bz.b, memref.AllocOp(dyn, [], t))
    bz.allocs.append(buffer)
    bz.writable.add(buffer)
    return buffer


def _result_copy(bz, result: SSAValue, source: SSAValue) -> SSAValue:
    """A buffer for `result` (its planned destination, else a new one) holding a copy of `source`."""
    target = bz.desired.get(result)
    buffer = bz.cast_to(target, result.type) if target is not None else _fresh(bz, result, _dims(bz, source))
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


def bufferize_inverse(bz, op: mt.InverseOp) -> None:
    out = _result_copy(bz, op.result, bz.buf(op.a))
    bz.b.insert(lapack.InverseOp(out))
    bz.buffers[op.result] = out


def bufferize_det(bz, op: mt.DetOp) -> None:
    factor = _scratch_copy(bz, bz.buf(op.a))
    value = emit(bz.b, lapack.DetOp(factor))
    target = bz.desired.get(op.result)
    out = bz.cast_to(target, op.result.type) if target is not None else _fresh(bz, op.result, [])
    bz.b.insert(memref.StoreOp.get(value, out, []))
    bz.buffers[op.result] = out


HANDLERS = {
    mt.CholeskyOp: bufferize_cholesky,
    mt.SolveOp: bufferize_solve,
    mt.InverseOp: bufferize_inverse,
    mt.DetOp: bufferize_det,
}
