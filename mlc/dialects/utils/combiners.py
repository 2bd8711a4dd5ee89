"""Reduction combiners of `linalg.generic` bodies: which ops they may be, and their identities.

A reduction's body yields `combine(acc, term)`; when `combine` is one of
`COMBINER_IDENTITY`'s ops (all associative and commutative), the reduction
may be split into partial results started at the identity and combined in
any grouping (the CPU thread pool's chunks, the GPU's block trees).
"""

from __future__ import annotations

from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, FloatAttr, IntegerAttr, IntegerType
from xdsl.dialects.linalg.ops import GenericOp, YieldOp
from xdsl.ir import Attribute, Operation

# combiner -> its identity (as a function of the element type): partial results start there
COMBINER_IDENTITY: dict[type[Operation], object] = {
    arith.AddfOp: -0.0,  # x + -0.0 == x, also for x == -0.0
    arith.MulfOp: 1.0,
    arith.MaximumfOp: float("-inf"),  # nan-propagating max: max(nan, -inf) is nan
    arith.MinimumfOp: float("inf"),
    arith.MaxnumfOp: float("nan"),  # maxnum ignores a nan operand: nan is its identity
    arith.MinnumfOp: float("nan"),
    arith.AddiOp: 0,
    arith.MuliOp: 1,
    arith.OrIOp: 0,
    arith.XOrIOp: 0,
    arith.AndIOp: -1,  # all ones
    arith.MaxSIOp: "smin",
    arith.MinSIOp: "smax",
    arith.MaxUIOp: 0,
    arith.MinUIOp: -1,
}


def combiner_of(generic: GenericOp, k: int) -> Operation | None:
    """The op combining output `k`'s running value with the new term, if it is a known combiner."""
    block = generic.body.block
    yield_op = block.last_op
    assert isinstance(yield_op, YieldOp)
    acc = block.args[len(generic.inputs) + k]
    combiner = yield_op.operands[k].owner
    if (
        type(combiner) in COMBINER_IDENTITY
        and acc in combiner.operands
        and acc.has_one_use()
        and combiner.results[0].has_one_use()
    ):
        return combiner
    return None


def identity_attr(combiner: Operation, t: Attribute) -> FloatAttr | IntegerAttr:
    """The combiner's identity as a constant of element type `t`."""
    value = COMBINER_IDENTITY[type(combiner)]
    if isinstance(t, AnyFloat):
        return FloatAttr(float(value), t)
    assert isinstance(t, IntegerType)
    width = t.width.data
    if value == "smin":
        value = -(1 << (width - 1)) if width > 1 else -1
    elif value == "smax":
        value = (1 << (width - 1)) - 1 if width > 1 else 0
    return IntegerAttr(value, t, truncate_bits=True)
