"""Theano's tensor functions that are compositions of other ops (theano.tensor.basic's helpers).

isclose/allclose (with Theano's handling of NaN and signed infinities),
largest/smallest, ceil_intdiv, divmod, cov, extract_constant and the
scalar/tensor conversions (mlc has no separate scalar type: a scalar is a
0-d tensor, so they check the rank and return their argument).
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Constant, GraphError, built_at
from mlc.tensor.var import as_tensor_variable


def isclose(a, b, rtol=1.0e-5, atol=1.0e-8, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b| (numpy's isclose, not symmetric); NaNs are close only with
    equal_nan, infinities only to infinities of the same sign. A bool tensor."""
    from mlc.tensor.elemwise import isinf, isnan, le, sgn

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    close = le(abs(a - b), atol + rtol * abs(b))
    a_nan, b_nan, a_inf, b_inf = isnan(a), isnan(b), isinf(a), isinf(b)
    close = close & ~((a_nan | b_nan) | (a_inf | b_inf))
    both_infs = a_inf & b_inf
    close = close | (both_infs & _eq(a_inf * sgn(a), b_inf * sgn(b)))
    if equal_nan:
        close = close | (a_nan & b_nan)
    return close


def _eq(a, b):
    from mlc.tensor.elemwise import eq

    return eq(a, b)


def allclose(a, b, rtol=1.0e-5, atol=1.0e-8, equal_nan=False):
    """All of isclose(a, b, ...): a 0-d bool tensor."""
    from mlc.tensor.reduce import all as _all

    return _all(isclose(a, b, rtol, atol, equal_nan))


def largest(*args):
    """The elementwise largest of its arguments (Python's max over tensors)."""
    from mlc.tensor.elemwise import gt, switch
    from mlc.tensor.reduce import max as _max
    from mlc.tensor.shape import stack

    if len(args) == 2:
        a, b = args
        return switch(gt(a, b), a, b)
    return _max(stack(list(args)), axis=0)


def smallest(*args):
    """The elementwise smallest of its arguments (Python's min over tensors)."""
    from mlc.tensor.elemwise import lt, switch
    from mlc.tensor.reduce import min as _min
    from mlc.tensor.shape import stack

    if len(args) == 2:
        a, b = args
        return switch(lt(a, b), a, b)
    return _min(stack(list(args)), axis=0)


def ceil_intdiv(a, b):
    """ceil(a / b) for integers: a // b, plus one where the division leaves a remainder."""
    from mlc.tensor.elemwise import cast, int_div, neq

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    div = int_div(a, b)
    return cast(neq(a % b, 0), div.dtype) + div


def divmod(x, y):  # noqa: A001 (Theano's name)
    """(x // y, x % y), elementwise (Python's divmod)."""
    from mlc.tensor.elemwise import floor_div, mod

    return floor_div(x, y), mod(x, y)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """numpy.cov of the rows (rowvar) or columns of m, with y's appended; fweights/aweights unsupported
    (Theano 1.0.5 raises NotImplementedError for them too)."""
    from mlc.tensor.shape import concatenate

    if fweights is not None:
        raise NotImplementedError("fweights are not implemented")
    if aweights is not None:
        raise NotImplementedError("aweights are not implemented")
    m = as_tensor_variable(m)
    if not rowvar and m.ndim == 2:
        m = m.T
    if y is not None:
        y = as_tensor_variable(y)
        if not rowvar and y.ndim == 2:
            y = y.T
        m = concatenate((m, y), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    fact = m.shape[1] - ddof
    m = m - m.mean(axis=1, keepdims=True)
    c = m.dot(m.T) * (1.0 / fact)
    return _squeeze(c)


def _squeeze(x):
    from mlc.tensor.extra_ops import squeeze

    return squeeze(x)


def extract_constant(x, elemwise=True, only_process_constants=False):
    """x's value when it is a constant (a numpy 0-d array or scalar for a 0-d constant), else x itself."""
    if isinstance(x, Constant):
        data = np.asarray(x.data)
        return data[()] if data.ndim == 0 else x
    if isinstance(x, (int, float, np.number)):
        return x
    return x


def scalar_from_tensor(t):
    """The 0-d tensor t as a scalar (in mlc a scalar is a 0-d tensor: t itself)."""
    t = as_tensor_variable(t)
    if t.ndim != 0:
        raise GraphError(f"scalar_from_tensor: expected a 0-d tensor, got {t.type}{built_at(t)}")
    return t


def tensor_from_scalar(s):
    """The scalar s as a 0-d tensor (in mlc the same thing)."""
    return scalar_from_tensor(s)


__all__ = ["isclose", "allclose", "largest", "smallest", "ceil_intdiv", "divmod", "cov", "extract_constant",
           "scalar_from_tensor", "tensor_from_scalar"]


class ViewOp:
    """Theano's ViewOp: ViewOp()(x) is x (Theano returns a view; with mlc's value semantics, a copy)."""

    def __call__(self, x):
        from mlc.tensor.elemwise import tensor_copy

        return tensor_copy(x)


class DeepCopyOp(ViewOp):
    """Theano's DeepCopyOp: DeepCopyOp()(x) is a copy of x."""


class Rebroadcast:
    """Theano's Rebroadcast((axis, bool), ...): x with those dims' broadcastable flags set (checked at run
    time where a dim becomes broadcastable)."""

    def __init__(self, *axis_and_bools):
        self.axis = {int(a): bool(b) for a, b in axis_and_bools}

    def __call__(self, x):
        from mlc.tensor.extra_ops import patternbroadcast

        x = as_tensor_variable(x)
        pattern = list(x.broadcastable)
        for a, b in self.axis.items():
            if not 0 <= a < x.ndim:
                raise ValueError(f"Rebroadcast: axis {a} is out of range for {x.type}{built_at(x)}")
            pattern[a] = b
        return patternbroadcast(x, pattern)


view_op = ViewOp()
deep_copy_op = DeepCopyOp()
__all__ += ["ViewOp", "DeepCopyOp", "view_op", "deep_copy_op", "Rebroadcast"]
