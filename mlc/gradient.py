"""Symbolic differentiation (Theano's `theano.gradient`): not implemented yet.

The names exist so that programs importing them load, and so that calling
one says clearly what is missing instead of failing with an AttributeError:
`grad`, `jacobian`, `hessian`, `Rop`, `Lop`, `verify_grad`, and the helpers
`consider_constant`, `zero_grad`, `disconnected_grad`,
`grad_clip`. Each raises NotImplementedError when called.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["Lop", "Rop", "consider_constant", "disconnected_grad", "grad", "grad_clip", "hessian", "jacobian",
           "verify_grad", "zero_grad"]


def _missing(name: str) -> NoReturn:
    raise NotImplementedError(f"mlc.gradient.{name}: symbolic gradients are not implemented yet in mlc "
                              f"(no op has a gradient rule); {name}() cannot be computed")


def grad(cost: Any, wrt: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Gradient of a scalar `cost` with respect to `wrt` (a variable or a list): not implemented yet."""
    _missing("grad")


def jacobian(expression: Any, wrt: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Jacobian of a vector `expression` with respect to `wrt`: not implemented yet."""
    _missing("jacobian")


def hessian(cost: Any, wrt: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Hessian of a scalar `cost` with respect to `wrt`: not implemented yet."""
    _missing("hessian")


def Rop(f: Any, wrt: Any, eval_points: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Jacobian of `f` times `eval_points` (R-operator): not implemented yet."""
    _missing("Rop")


def Lop(f: Any, wrt: Any, eval_points: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """`eval_points` times the Jacobian of `f` (L-operator): not implemented yet."""
    _missing("Lop")


def verify_grad(fun: Any, pt: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Check a gradient against finite differences: not implemented yet."""
    _missing("verify_grad")


def consider_constant(x: Any) -> NoReturn:
    """`x` treated as a constant by grad: not implemented yet."""
    _missing("consider_constant")


def zero_grad(x: Any) -> NoReturn:
    """`x` whose gradient is zero: not implemented yet."""
    _missing("zero_grad")


def disconnected_grad(x: Any) -> NoReturn:
    """`x` whose gradient is disconnected: not implemented yet."""
    _missing("disconnected_grad")


def grad_clip(x: Any, lower_bound: Any, upper_bound: Any) -> NoReturn:
    """`x` whose gradient is clipped: not implemented yet."""
    _missing("grad_clip")
