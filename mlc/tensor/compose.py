"""Theano's tensor functions that are compositions of other ops (theano.tensor.basic's helpers).

isclose/allclose (with Theano's handling of NaN and signed infinities),
largest/smallest, ceil_intdiv, divmod, cov, extract_constant and the
scalar/tensor conversions (mlc has no separate scalar type: a scalar is a
0-d tensor, so they check the rank and return their argument).
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, built_at
from mlc.tensor.host import HostOp
from mlc.tensor.constants import extract_constant  # noqa: F401  (a theano.tensor.basic helper)
from mlc.tensor.opclass import TheanoOpClass
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


class ScalarFromTensor(TheanoOpClass):
    """Theano's ScalarFromTensor()(t): scalar_from_tensor(t)."""

    def build(self, t):
        return scalar_from_tensor(t)


class TensorFromScalar(TheanoOpClass):
    """Theano's TensorFromScalar()(s): tensor_from_scalar(s)."""

    def build(self, s):
        return tensor_from_scalar(s)


def default(x, default):
    """Theano's default(x, default): x, or `default` where x is None. A tensor value is never None, so
    for two tensors this is x (after Theano's check that both have the same type)."""
    if x is None:
        return as_tensor_variable(default)
    x, d = as_tensor_variable(x), as_tensor_variable(default)
    if x.type != d.type:
        raise TypeError(f"default: both arguments must have the same type, got {x.type} and {d.type}{built_at(x)}")
    return x


class Default(TheanoOpClass):
    """Theano's Default()(x, default): default(x, default)."""

    def build(self, x, default_value):
        return default(x, default_value)


setdefault = default  # Theano's legacy name


def div_proxy(x, y):
    """Theano's div_proxy(x, y): x / y as true division (Theano's default config.int_division='floatX',
    so two integers give a float, like x / y)."""
    from mlc.tensor.elemwise import true_div

    return true_div(x, y)


class ComplexError(NotImplementedError):
    """Theano's error for complex operands of an operation numpy deprecated for them (mod, floor division)."""


def mod_check(x, y):
    """Theano's mod_check(x, y): x % y, refusing complex operands (numpy deprecated complex mod)."""
    from mlc.graph.dtype import COMPLEX
    from mlc.tensor.elemwise import mod

    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.dtype in COMPLEX or y.dtype in COMPLEX:
        raise ComplexError("Theano does not support the mod operator (%) on complex numbers, since numpy "
                           "deprecated it.")
    return mod(x, y)


# Theano's default tolerances per dtype (theano.tensor.basic, config.tensor.cmp_sloppy=0), which Theano's
# tests read and rebind; mlc.gradient.verify_grad has its own per-dtype tolerances.
float16_atol, float16_rtol = 1e-3, 1e-3
float32_atol, float32_rtol = 1e-5, 1e-5
float64_atol, float64_rtol = 1e-8, 1.0000000000000001e-05

__all__ += ["ComplexError", "ScalarFromTensor", "TensorFromScalar", "Default", "default", "setdefault", "div_proxy",
            "mod_check",
            "float16_atol", "float16_rtol", "float32_atol", "float32_rtol", "float64_atol", "float64_rtol"]


class Assert(HostOp):
    """Theano's Assert(msg)(x, *conditions) (theano.tensor.opt.Assert): x, once every 0-d condition is
    true at run time; a false (zero) one raises AssertionError(msg). Runs on the host (a check)."""

    __props__ = ("msg",)

    def __init__(self, msg="Theano Assert failed!"):
        self.msg = msg

    def make_node(self, value, *conds) -> Apply:
        value = as_tensor_variable(value)
        conds = [as_tensor_variable(c) for c in conds]
        for c in conds:
            if c.ndim != 0:
                raise TypeError(f"Assert: every condition must be a scalar (0-d), got {c} ({c.type}){built_at(c)}")
        return Apply(self, [value, *conds], [value.type])

    def perform(self, node, inputs):
        value, *conds = inputs
        for c in conds:
            if not np.all(c):
                raise AssertionError(self.msg)
        return [value]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def grad(self, inputs, output_grads):
        return [output_grads[0]] + [None] * (len(inputs) - 1)


def assert_op(value, *conds):
    """Theano's assert_op: Assert()(value, *conds)."""
    return Assert()(value, *conds)


__all__ += ["Assert", "assert_op"]
