"""reassociate-reductions: let float reductions be summed in any order (so they vectorize).

Pre-condition: loop level (`linalg.generic` on memrefs). Post-condition:
in every `linalg.generic` with a reduction iterator, the op that combines
an output's running value with the new term (the "combiner": `arith.addf`,
`mulf`, `maximumf`, `minimumf`, `maxnumf`, `minnumf` whose one operand is
the output's block argument, used nowhere else, and whose result is
yielded for that output) carries `fastmath<reassoc>`. Nothing else changes.

Why: a float sum in loop order is a chain of dependent adds: one add per
4 cycles, ~15 ms for 16M elements, where a vectorized sum with several
partial accumulators runs at memory speed (~2.5 ms). LLVM may only split
the chain into partial sums when the add is marked `reassoc`.

Accuracy (what changes): the loop vectorizer keeps VF x UF (typically 16
to 32) partial sums, each over every 16th-32nd element, and adds them
together at the end; the thread pool (`mlc-parallelize`) adds one partial
per chunk in chunk order. The result is a fixed (deterministic for a given
size, machine and thread count) reordering of the same additions:

* float32 data summed in float64 (Theano's acc_dtype, what mlc emits for
  `sum`/`mean` of float32): each partial sum has error <= (n/16) 2^-53
  sum|x|, so the float64 total is far more accurate than float32 needs and
  the float32 result is the correctly rounded sum except in rare ties -
  more accurate than numpy's float32 pairwise summation;
* float64 data in float64: the error bound (n/16 + log2 32) 2^-53 sum|x| is
  better than the in-order bound n 2^-53 sum|x|, but the last bits differ
  from an in-order sum;
* max/min are exact in any order (nan still propagates through maximumf /
  minimumf); products reorder like sums.

Integer reductions need no flag (LLVM reassociates them freely).
`config.optimizer_excluding='reassociate-reductions'` keeps loop order.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, ModuleOp
from xdsl.dialects.linalg.ops import GenericOp, YieldOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

# combiners whose operands may be regrouped (the flag is what LLVM needs to vectorize them)
COMBINERS: tuple[type[Operation], ...] = (
    arith.AddfOp,
    arith.MulfOp,
    arith.MaximumfOp,
    arith.MinimumfOp,
    arith.MaxnumfOp,
    arith.MinnumfOp,
)


def reduction_combiners(op: GenericOp) -> list[Operation]:
    """The combiner of each float output of `op` that accumulates (see module docstring)."""
    if not any(str(it.data) == "reduction" for it in op.iterator_types.data):
        return []
    block = op.body.block
    yield_op = block.last_op
    assert isinstance(yield_op, YieldOp)
    n_in = len(op.inputs)
    found = []
    for k, value in enumerate(yield_op.operands):
        acc = block.args[n_in + k]
        combiner = value.owner
        if (
            isinstance(combiner, COMBINERS)
            and isinstance(acc.type, AnyFloat)
            and acc in combiner.operands
            and acc.has_one_use()
            and combiner.results[0].has_one_use()
        ):
            found.append(combiner)
    return found


def mark_reassoc(op: Operation) -> None:
    """Add `reassoc` to `op`'s fastmath flags (keeping the ones it has)."""
    current = op.fastmath.data if op.fastmath is not None else ()
    flags = {arith.FastMathFlag(f) for f in current} | {arith.FastMathFlag.REASSOC}
    op.fastmath = arith.FastMathFlagsAttr([f for f in arith.FastMathFlag if f in flags])


class ReassociateReductionsPass(ModulePass):
    """Mark the combiner of every float reduction `fastmath<reassoc>` (vectorizable; see docstring)."""

    name = "reassociate-reductions"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for generic in op.walk():
            if isinstance(generic, GenericOp):
                for combiner in reduction_combiners(generic):
                    mark_reassoc(combiner)
