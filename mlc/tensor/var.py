"""TensorVariable (operator overloads and methods), TensorConstant, as_tensor_variable."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlc.graph import Constant, GraphError, TensorType, Variable, built_at
from mlc.graph.dtype import autocast_python_scalar


class _TensorMethods:
    """Methods shared by tensor variables and constants (Theano's _tensor_py_operators)."""

    type: TensorType

    # numpy must not turn `ndarray + x` into an object array of variables: this makes its
    # operators return NotImplemented, so Python calls ours (`x.__radd__`), as Theano's
    # __array_priority__ did.
    __array_ufunc__ = None

    # -- attributes ---------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def shape(self):
        from mlc.tensor.shape import shape

        return shape(self)

    @property
    def size(self):
        from mlc.tensor.reduce import prod

        return prod(self.shape)

    @property
    def T(self):
        return self.transpose()

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other):
        return _ew("add", self, other)

    def __radd__(self, other):
        return _ew("add", other, self)

    def __sub__(self, other):
        return _ew("sub", self, other)

    def __rsub__(self, other):
        return _ew("sub", other, self)

    def __mul__(self, other):
        return _ew("mul", self, other)

    def __rmul__(self, other):
        return _ew("mul", other, self)

    def __truediv__(self, other):
        return _ew("true_div", self, other)

    def __rtruediv__(self, other):
        return _ew("true_div", other, self)

    def __floordiv__(self, other):
        return _ew("int_div", self, other)

    def __rfloordiv__(self, other):
        return _ew("int_div", other, self)

    def __mod__(self, other):
        return _ew("mod", self, other)

    def __rmod__(self, other):
        return _ew("mod", other, self)

    def __pow__(self, other):
        return _ew("pow", self, other)

    def __rpow__(self, other):
        return _ew("pow", other, self)

    def __matmul__(self, other):
        from mlc.tensor.contract import dot

        return dot(self, other)

    def __rmatmul__(self, other):
        from mlc.tensor.contract import dot

        return dot(other, self)

    def __neg__(self):
        return _ew("neg", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew("abs", self)

    @property
    def real(self):
        """The real part (Theano: `x.real`)."""
        return _ew("real", self)

    @property
    def imag(self):
        """The imaginary part (Theano: `x.imag`)."""
        return _ew("imag", self)

    def conj(self):
        """The complex conjugate (Theano: `x.conj()`)."""
        return _ew("conj", self)

    conjugate = conj

    def __invert__(self):
        return _ew("invert", self)

    def __and__(self, other):
        return _ew("and_", self, other)

    def __rand__(self, other):
        return _ew("and_", other, self)

    def __or__(self, other):
        return _ew("or_", self, other)

    def __ror__(self, other):
        return _ew("or_", other, self)

    def __xor__(self, other):
        return _ew("xor", self, other)

    def __rxor__(self, other):
        return _ew("xor", other, self)

    # Comparisons build graphs; == stays identity (as in Theano: use T.eq).
    def __lt__(self, other):
        return _ordered(_ew("lt", self, other))

    def __le__(self, other):
        return _ordered(_ew("le", self, other))

    def __gt__(self, other):
        return _ordered(_ew("gt", self, other))

    def __ge__(self, other):
        return _ordered(_ew("ge", self, other))

    __hash__ = object.__hash__

    #: Theano's rule: a variable is true (`if not W:` tests for None), except the result of an
    #: ordering comparison (`<`, `<=`, `>`, `>=`), whose truth value would silently misread
    #: `a < b < c` or `if x > 0:`; that raises.
    _is_nonzero = True

    def __bool__(self):
        if self._is_nonzero:
            return True
        raise TypeError(f"the comparison {self} is symbolic and has no truth value; use mlc.tensor.switch or "
                        f"mlc.ifelse.ifelse for conditions{built_at(self)}")

    def __iter__(self):
        raise TypeError(f"cannot iterate over symbolic variable {self}; index it explicitly{built_at(self)}")

    def __len__(self):
        raise TypeError(f"len() of symbolic variable {self} is unknown until it is computed; "
                        f"use x.shape[0]{built_at(self)}")

    # -- shape methods ------------------------------------------------------
    def dimshuffle(self, *pattern):
        from mlc.tensor.elemwise import DimShuffle

        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = tuple(pattern[0])
        try:
            op = DimShuffle(self.broadcastable, pattern)
        except GraphError as exc:  # the op does not know the variable: name it and its line here
            raise GraphError(f"{exc}; input {self}{built_at(self)}") from None
        return op(self)

    def transpose(self, *axes):
        if not axes:
            axes = tuple(reversed(range(self.ndim)))
        elif len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        return self.dimshuffle(*axes)

    def reshape(self, shape, *more, ndim=None):
        from mlc.tensor.shape import reshape

        if more:
            shape = (shape, *more)
        return reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1, outdim=None):
        from mlc.tensor.shape import flatten

        return flatten(self, outdim if outdim is not None else ndim)

    def ravel(self):
        return self.flatten()

    def astype(self, dtype):
        from mlc.tensor.elemwise import cast

        return cast(self, dtype)

    def squeeze(self):
        return self.dimshuffle(*[i for i, b in enumerate(self.broadcastable) if not b])

    def __getitem__(self, index):
        from mlc.tensor.shape import getitem

        return getitem(self, index)

    def take(self, indices, axis=None, mode="raise"):
        from mlc.tensor.advanced import take

        return take(self, indices, axis, mode)

    def swapaxes(self, axis1, axis2):
        from mlc.tensor.extra_ops import swapaxes

        return swapaxes(self, axis1, axis2)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        from mlc.tensor.extra_ops import diagonal

        return diagonal(self, offset, axis1, axis2)

    def repeat(self, repeats, axis=None):
        from mlc.tensor.extra_ops import repeat

        return repeat(self, repeats, axis)

    # -- reductions ---------------------------------------------------------
    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        from mlc.tensor.reduce import sum as _sum

        return _sum(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        from mlc.tensor.reduce import prod

        return prod(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        from mlc.tensor.reduce import mean

        return mean(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def max(self, axis=None, keepdims=False):
        from mlc.tensor.reduce import max as _max

        return _max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        from mlc.tensor.reduce import min as _min

        return _min(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        from mlc.tensor.reduce import var

        return var(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        from mlc.tensor.reduce import std

        return std(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def argmax(self, axis=None, keepdims=False):
        from mlc.tensor.reduce import argmax

        return argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        from mlc.tensor.reduce import argmin

        return argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        from mlc.tensor.reduce import any as _any

        return _any(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        from mlc.tensor.reduce import all as _all

        return _all(self, axis=axis, keepdims=keepdims)

    def ptp(self, axis=None):
        from mlc.tensor.extra_ops import ptp

        return ptp(self, axis)

    def norm(self, L, axis=None):
        if L == 1:
            return abs(self).sum(axis=axis)
        if L == 2:
            return (self * self).sum(axis=axis) ** 0.5
        return (abs(self) ** L).sum(axis=axis) ** (1.0 / L)

    # -- misc ---------------------------------------------------------------
    def dot(self, other):
        from mlc.tensor.contract import dot

        return dot(self, other)

    def clip(self, a_min, a_max):
        from mlc.tensor.elemwise import clip

        return clip(self, a_min, a_max)

    def round(self, mode=None):
        from mlc.tensor.elemwise import round as _round

        return _round(self, mode)

    def nonzero_values(self):
        raise NotImplementedError("nonzero_values has a data-dependent shape and is not supported yet")

    def copy(self, name=None):
        from mlc.tensor.elemwise import tensor_copy

        out = tensor_copy(self)
        out.name = name
        return out

    def zeros_like(self, dtype=None):
        from mlc.tensor.alloc import zeros_like

        return zeros_like(self, dtype=dtype)

    def ones_like(self, dtype=None):
        from mlc.tensor.alloc import ones_like

        return ones_like(self, dtype=dtype)

    def eval(self, inputs_to_values: dict | None = None):
        """Compile (once per set of inputs) and evaluate this variable."""
        from mlc.compile.function import eval_variable

        return eval_variable(self, inputs_to_values or {})


class TensorVariable(_TensorMethods, Variable):
    """A symbolic tensor: the output of an op or an input of a function."""

    #: config.warn_float64 reports float64 variables (not shared variables, as in Theano)
    _warn_float64 = True

    def __init__(self, type, owner=None, index=None, name=None):
        super().__init__(type, owner, index, name)
        if type.dtype == "float64" and self._warn_float64:
            from mlc.config import config

            if config.warn_float64 != "ignore":
                _report_float64(config.warn_float64)


def _report_float64(action: str) -> None:
    """config.warn_float64 (Theano's): a float64 variable was created."""
    msg = ("You are creating a TensorVariable with float64 dtype. You requested an action via the Theano flag "
           "warn_float64={ignore,warn,raise,pdb}.")
    if action == "warn":
        import warnings

        from mlc.graph.basic import user_location

        loc = user_location()
        warnings.warn(msg + (f" (at {loc})" if loc else ""), stacklevel=4)
    elif action == "raise":
        raise Exception(msg)
    elif action == "pdb":
        import pdb

        pdb.set_trace()


class TensorConstant(_TensorMethods, Constant):
    """A tensor with a fixed value."""

    @property
    def value(self) -> np.ndarray:
        return self.data


TensorType.variable_class = TensorVariable
TensorType.constant_class = TensorConstant


def _ew(name: str, *args: Any):
    from mlc.tensor.elemwise import apply_elemwise

    if any(getattr(getattr(a, "type", None), "sparse", False) for a in args):
        return NotImplemented  # Python then asks the sparse operand (mlc.sparse: sparse + dense, ...)
    return apply_elemwise(name, *args)


def _ordered(v):
    """The result of `<`, `<=`, `>`, `>=`: a variable whose truth value raises (Theano's _is_nonzero)."""
    if v is NotImplemented:  # a sparse operand: Python asks it next (dense < sparse is sparse > dense)
        return v
    v._is_nonzero = False
    return v


def constant(x: Any, name: str | None = None, ndim: int | None = None, dtype: str | None = None) -> TensorConstant:
    """A TensorConstant holding `x`; dims of length 1 are broadcastable.

    Python scalars get Theano's autocast dtype (the smallest that holds them).
    """
    if isinstance(x, TensorConstant):
        return x
    if dtype is not None:
        data = np.asarray(x, dtype=dtype)
    elif isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        data = autocast_python_scalar(x)
    else:
        data = np.asarray(x)
        if data.dtype.kind in "OUSV" or data.dtype == object:
            raise TypeError(f"expected numeric data for a constant, got {type(x).__name__}: {x!r:.80}")
        if data.dtype.kind == "f" and data.dtype.name not in ("float16", "float32", "float64"):
            data = data.astype("float64")
    if isinstance(x, (list, tuple)) and dtype is None and data.size == 0:
        from mlc.config import config

        data = data.astype(config.floatX)  # Theano: an empty list becomes floatX
    if ndim is not None and data.ndim != ndim:
        if data.ndim > ndim:
            raise GraphError(f"constant of shape {data.shape} cannot have ndim {ndim}")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    t = TensorType(data.dtype, tuple(n == 1 for n in data.shape))
    return TensorConstant(t, np.array(data, order="C"), name)


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None) -> Variable:
    """Return `x` as a tensor variable: variables pass through, data becomes a constant."""
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"expected a tensor variable, got {x} of type {x.type}{built_at(x)}")
        if ndim is not None and x.ndim != ndim:
            raise GraphError(f"expected a {ndim}-d tensor, got {x} with {x.ndim} dims{built_at(x)}")
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in x):
        from mlc.tensor.shape import stack

        return stack([as_tensor_variable(e) for e in x])
    return constant(x, name=name, ndim=ndim)
