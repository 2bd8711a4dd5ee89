"""Recognizing contractions (matmul, matvec, dot) in linalg, in BLAS terms.

Shared by `bufferize` (which turns f32/f64 contractions into `blas.*`
calls) and the loop-level passes that must not break that
(`fuse-elementwise` declines them as consumers; `fuse-contraction` folds
transposes and `C + s*dot(A, B)` epilogues into them).

A contraction generic has two tensor inputs A and B, optionally a third,
scalar input `alpha` (map `(...) -> ()`), one output, and the body

    acc + a * b            or      acc + (a * b) * alpha

(either operand order of each op). Its init is what BLAS calls C with
beta = 1; a zero fill of it means beta = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import ShapedType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap


def maps_of(op: linalg.GenericOp | linalg.MatmulOp) -> tuple[AffineMap, ...]:
    return tuple(m.data for m in op.get_indexing_maps())


def dims_of(m: AffineMap) -> tuple[int, ...] | None:
    """The loop positions of a map made only of dims, else None."""
    if not all(isinstance(e, AffineDimExpr) for e in m.results):
        return None
    return tuple(e.position for e in m.results)  # type: ignore[union-attr]


def _is(op: Operation | None, kinds: tuple[type, ...], operands: set[SSAValue]) -> bool:
    return isinstance(op, kinds) and {op.operands[0], op.operands[1]} == operands


MUL = (arith.MulfOp, arith.MuliOp, cx.MulOp)
ADD = (arith.AddfOp, arith.AddiOp, cx.AddOp)


def is_multiply_add(op: linalg.GenericOp) -> bool:
    """The body is `yield acc + a * b` or, with a third (alpha) input,
    `yield acc + (a * b) * alpha` (float or int, either operand order)."""
    args = op.body.block.args
    if len(op.inputs) == 3:
        a, b, alpha, acc = args
    elif len(op.inputs) == 2:
        (a, b, acc), alpha = args, None
    else:
        return False
    ops = list(op.body.block.ops)
    if len(ops) != (4 if alpha is not None else 3):
        return False
    product = ops[0]
    if not _is(product, MUL, {a, b}):
        return False
    if alpha is not None:
        scaled = ops[1]
        if not _is(scaled, MUL, {product.results[0], alpha}):
            return False
        product = scaled
    add, yld = ops[-2:]
    if not _is(add, ADD, {acc, product.results[0]}):
        return False
    return isinstance(yld, linalg.YieldOp) and list(yld.operands) == [add.results[0]]


@dataclass(frozen=True)
class Contraction:
    """What a contraction computes, in BLAS terms."""

    kind: str  # "gemm", "gemv" or "dot"
    trans_a: bool = False
    trans_b: bool = False
    alpha: SSAValue | None = None  # the scalar scale; None means 1


def match_contraction(op: Operation) -> Contraction | None:
    """Recognize matmul (any operand transposed), matvec, vecmat and dot."""
    if isinstance(op, linalg.MatmulOp):
        if dims_of(maps_of(op)[0]) == (0, 2) and dims_of(maps_of(op)[1]) == (2, 1):
            return Contraction("gemm")
        return None
    if not isinstance(op, linalg.GenericOp) or len(op.inputs) not in (2, 3) or len(op.outputs) != 1:
        return None
    alpha = None
    if len(op.inputs) == 3:
        alpha = op.inputs[2]
        if isinstance(alpha.type, ShapedType) or maps_of(op)[2].results:
            return None
    if not is_multiply_add(op):
        return None
    iterators = [str(t.data) for t in op.iterator_types]
    a, b, c = (dims_of(m) for m in (*maps_of(op)[:2], maps_of(op)[-1]))
    if None in (a, b, c):
        return None
    if iterators == ["parallel", "parallel", "reduction"] and c == (0, 1):
        if a in ((0, 2), (2, 0)) and b in ((2, 1), (1, 2)):
            return Contraction("gemm", trans_a=a == (2, 0), trans_b=b == (1, 2), alpha=alpha)
    if iterators == ["parallel", "reduction"] and c == (0,):
        if b == (1,) and a in ((0, 1), (1, 0)):
            return Contraction("gemv", trans_a=a == (1, 0), alpha=alpha)  # A @ x
        if a == (1,) and b in ((1, 0), (0, 1)):
            return Contraction("gemv", trans_a=b == (1, 0), trans_b=True, alpha=alpha)  # x @ B: B^T @ x
    if iterators == ["reduction"] and a == (0,) and b == (0,) and c == ():
        return Contraction("dot", alpha=alpha)
    return None


def is_zero_fill(v: SSAValue) -> bool:
    """`v` is `linalg.fill` of a zero constant (BLAS without beta overwrites it)."""
    from mlc.dialects.utils.linalg_builders import fill_value

    filled = fill_value(v.owner)  # type: ignore[arg-type]
    if filled is None:
        return False
    value = filled.owner
    if isinstance(value, cx.ConstantOp):  # complex.constant [0.0, 0.0]
        return all(part.value.data == 0 for part in value.value.data)  # type: ignore[attr-defined]
    return isinstance(value, arith.ConstantOp) and value.value.value.data == 0  # type: ignore[union-attr]
