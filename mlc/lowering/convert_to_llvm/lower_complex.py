"""complex -> llvm: a `complex<f32>` is the struct `!llvm.struct<(f32, f32)>` (C99's and numpy's layout).

Only the three structural ops reach this lowering (`expand-complex` wrote
every other complex op as arith/math on the parts):
`complex.create` is two `insertvalue`s into an `undef`, `complex.re` and
`complex.im` are `extractvalue [0]` and `[1]`. Loads, stores, selects and
block arguments of complex type simply carry the struct (see
`common.llvm_type`); LLVM's SROA splits it back into registers.
"""

from __future__ import annotations

from xdsl.dialects import complex as cx
from xdsl.dialects import llvm
from xdsl.dialects.builtin import DenseArrayBase, i64

from mlc.lowering.convert_to_llvm.common import Emitter, llvm_type


def _position(k: int) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [k])


def lower_create(op: cx.CreateOp, e: Emitter):
    t = llvm_type(op.complex.type, op)
    z = e(llvm.UndefOp(t))
    z = e(llvm.InsertValueOp(_position(0), z, op.real))
    return [e(llvm.InsertValueOp(_position(1), z, op.imaginary))]


def lower_part(op: cx.ReOp | cx.ImOp, e: Emitter):
    k = 0 if isinstance(op, cx.ReOp) else 1
    return [e(llvm.ExtractValueOp(_position(k), op.complex, op.result.type))]


LOWERINGS = {
    cx.CreateOp: lower_create,
    cx.ReOp: lower_part,
    cx.ImOp: lower_part,
}
