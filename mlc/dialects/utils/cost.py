"""One cost model for the loop level: the work of one scalar op, in units of "one add".

Fusion (`fuse-elementwise`: may a producer be recomputed per use?) and
parallelization (`parallelize-loops`: is a loop worth a thread?) both read
it, so they agree on what is cheap:

    arith (add, mul, compare, select, cast), cheap math (abs, floor, fma...)  1
    divisions and remainders, sqrt                                           4
    transcendental math (exp, log, tanh, sin, pow, erf...)                   8
    calls and ops with regions (libm calls, scf.if/for/while)                8, and `opaque`
"""

from __future__ import annotations

from xdsl.dialects import arith, func, math, scf
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation

CHEAP_MATH = (math.AbsFOp, math.AbsIOp, math.CopySignOp, math.FmaOp, math.FloorOp, math.CeilOp, math.TruncOp,
              math.RoundEvenOp)  # fmt: skip
DIVISIONS = (arith.DivfOp, arith.DivSIOp, arith.DivUIOp, arith.RemSIOp, arith.RemUIOp, arith.FloorDivSIOp,
             arith.CeilDivSIOp, arith.CeilDivUIOp, math.SqrtOp)  # fmt: skip
OPAQUE = (func.CallOp, scf.IfOp, scf.ForOp, scf.WhileOp)
FREE = (linalg.YieldOp, linalg.IndexOp, arith.ConstantOp)

DIVISION_COST = 4
TRANSCENDENTAL_COST = 8


def is_free(op: Operation) -> bool:
    """Ops that do no work per iteration (yields, index reads, constants)."""
    return isinstance(op, FREE)


def is_expensive(op: Operation) -> bool:
    """Calls, regions and transcendental math: never worth recomputing."""
    return isinstance(op, OPAQUE) or (op.dialect_name() == "math" and not isinstance(op, CHEAP_MATH + DIVISIONS))


def op_cost(op: Operation) -> int:
    """The work of one op, in adds (0 for free ops)."""
    if is_free(op):
        return 0
    if is_expensive(op):
        return TRANSCENDENTAL_COST
    return DIVISION_COST if isinstance(op, DIVISIONS) else 1
