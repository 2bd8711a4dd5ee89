"""`reconcile-unrealized-casts`: xDSL's pass, after checking the chains it can handle.

xDSL's pattern walks each chain of `builtin.unrealized_conversion_cast`s
that feed one another (a cast whose operands are exactly the previous
cast's results) and asserts that every cast in it has as many results as
the first has operands. A chain that turns two values into one (an
`(i64, i64) -> i32` cast read back as `i32`) breaks that assertion, so
this pass rejects such a chain first with a diagnostic naming the cast,
then runs xDSL's pass unchanged.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.passes import ModulePass
from xdsl.transforms.reconcile_unrealized_casts import reconcile_unrealized_casts
from xdsl.utils.exceptions import DiagnosticException


class ReconcileCastError(DiagnosticException):
    """A cast chain whose ends have different numbers of values."""

    def __init__(self, op: UnrealizedConversionCastOp, message: str):
        super().__init__(message)
        self.op = op


def check_chains(module: ModuleOp) -> None:
    """Raise `ReconcileCastError` for a chain xDSL's pattern would assert on
    (the same walk: a chain with a cast user that does not read exactly the
    previous results is left alone)."""
    for root in module.walk():
        if isinstance(root, UnrealizedConversionCastOp):
            _check_chain(root)


def _check_chain(root: UnrealizedConversionCastOp) -> None:
    stack = [root]
    while stack:
        cast = stack.pop()
        users = [use.operation for r in cast.results for use in r.uses]
        for user in users:
            if isinstance(user, UnrealizedConversionCastOp):
                if list(user.inputs) != list(cast.results):
                    return  # not unifiable: xDSL leaves the chain as it is
                stack.append(user)
        if len(cast.results) != len(root.inputs):
            raise ReconcileCastError(
                cast,
                f"reconcile-unrealized-casts: a cast chain from {len(root.inputs)} value(s) "
                f"reaches {len(cast.results)}; only chains of casts of one arity reconcile",
            )


class ReconcileUnrealizedCastsPass(ModulePass):
    """Remove chains of unrealized casts that cancel out (xDSL's pass, with its precondition checked).

    Pre: any IR. Post: every cast chain that returns to its input types is
    gone; a chain that changes the number of values is an error.
    """

    name = "reconcile-unrealized-casts"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_chains(op)
        reconcile_unrealized_casts(op)
