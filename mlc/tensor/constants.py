"""What a graph fixes when it is built: Theano's get_scalar_constant_value and its relatives.

`get_scalar_constant_value(v)` digs through the ops that keep a constant
scalar constant (allocs, dimshuffles, casts, comparisons and arithmetic on
constants, the shape of a broadcastable dim, an element of a stacked
vector...) and returns its numpy value, or raises NotScalarConstantError.
`extract_constant` returns the value or, if there is none, the variable;
`get_vector_length` is the static length of a 1-d variable.
"""

from __future__ import annotations

import builtins

import numpy as np

from mlc.graph import Constant, Variable, built_at
from mlc.tensor.var import as_tensor_variable


class NotScalarConstantError(Exception):
    """Raised by get_scalar_constant_value when the variable is not a constant scalar."""


class EmptyConstantError(NotScalarConstantError):
    """Raised by get_scalar_constant_value for a constant with no element."""


def numpy_scalar(data):
    """`data` (a numpy array) when it holds one number, else NotScalarConstantError (EmptyConstantError for
    an empty array), as Theano's numpy_scalar."""
    data = np.asarray(data)
    if data.ndim > 0 and builtins.max(data.shape) == 0:
        raise EmptyConstantError(f"the constant {data!r} has no element")
    if data.size != 1 or data.dtype.kind not in "biufc":
        raise NotScalarConstantError(f"v.data is non-numeric, non-scalar, or has more than one unique value: {data!r}")
    return data


#: elementwise ops get_scalar_constant_value evaluates on constant operands (Theano's list)
_FOLDED = frozenset(("neq", "eq", "lt", "gt", "le", "ge", "sub", "add", "mod", "mul", "int_div", "true_div",
                     "minimum", "maximum"))


def _index_value(v: Variable, max_recur: int):
    """The next variable to look at (or a final value) for `v = x[i]` (an IndexOp on axis 0 of a vector)."""
    from mlc.tensor.shape import Join, Shape

    x, i = v.owner.inputs
    i = int(get_scalar_constant_value(i, max_recur=max_recur))
    if isinstance(x, Constant):
        return None, np.asarray(np.asarray(x.data)[i]).copy()
    owner = x.owner
    if owner is not None and isinstance(owner.op, Shape) and x.ndim == 1:
        inp = owner.inputs[0]
        if isinstance(inp, Constant):
            return None, np.asarray(np.shape(inp.data)[i], dtype="int64")
        if inp.broadcastable[i]:
            return None, np.asarray(1, dtype="int64")
        raise NotScalarConstantError(f"the length of dim {i} of {inp} is not fixed")
    if owner is not None and isinstance(owner.op, Join) and owner.op.axis == 0 and x.ndim == 1:
        start = 0
        for part in owner.inputs:
            n = get_vector_length(part)
            if i < start + n:
                return part[i - start], None
            start += n
    if owner is not None and x.ndim == 1 and owner.inputs[0].ndim == 0 and type(owner.op).__name__ == "DimShuffle":
        return owner.inputs[0], None
    raise NotScalarConstantError(f"{v} is not a constant scalar")


def get_scalar_constant_value(orig_v, elemwise=True, only_process_constants=False, max_recur=10):
    """The constant scalar value underlying `orig_v` (a 0-d numpy array), digging through allocs,
    dimshuffles, casts, views, switches, comparisons and arithmetic of constants (when `elemwise`), the
    length of a broadcastable dim and elements of stacked vectors; NotScalarConstantError if there is none.
    With `only_process_constants`, only a Constant itself is read.
    """
    from mlc.gradient import _ViewOp
    from mlc.tensor.alloc import Alloc
    from mlc.tensor.compose import Assert
    from mlc.tensor.elemwise import Cast, DimShuffle, Elemwise, Switch
    from mlc.tensor.shape import IndexOp, SpecifyShape

    v = orig_v
    while True:
        if v is None:
            raise NotScalarConstantError("None is not a constant")
        if isinstance(v, (bool, int, float, np.integer, np.floating)):
            return np.asarray(v)
        if isinstance(v, np.ndarray):
            return numpy_scalar(v).copy()
        if isinstance(v, Constant):
            return numpy_scalar(v.data).copy()
        owner = getattr(v, "owner", None)
        if only_process_constants or owner is None or max_recur <= 0:
            raise NotScalarConstantError(f"{v} is not a constant scalar")
        max_recur -= 1
        op = owner.op
        if isinstance(op, (Alloc, DimShuffle, _ViewOp, SpecifyShape)):
            v = owner.inputs[0]
        elif isinstance(op, Assert):
            conds = [get_scalar_constant_value(c, max_recur=max_recur) for c in owner.inputs[1:]]
            if not builtins.all(c.ndim == 0 and c != 0 for c in conds):
                raise NotScalarConstantError(f"{v}: an assertion on it is not known to hold")
            v = owner.inputs[0]
        elif isinstance(op, (Cast, Switch)) or (elemwise and isinstance(op, Elemwise) and op.scalar.name in _FOLDED):
            values = [get_scalar_constant_value(i, max_recur=max_recur) for i in owner.inputs]
            if builtins.any(x.ndim != 0 for x in values):
                raise NotScalarConstantError(f"{v} is not a scalar")
            return np.asarray(op.perform(owner, values)[0]).copy()
        elif isinstance(op, IndexOp) and op.axis == 0 and v.ndim == 0:
            nxt, value = _index_value(v, max_recur)
            if value is not None:
                return value.astype(v.dtype)
            v = nxt
        else:
            raise NotScalarConstantError(f"{v} is not a constant scalar")


def extract_constant(x, elemwise=True, only_process_constants=False):
    """x's constant scalar value (get_scalar_constant_value) when it has one, else x itself."""
    try:
        return get_scalar_constant_value(x, elemwise=elemwise, only_process_constants=only_process_constants)
    except NotScalarConstantError:
        return x


def get_vector_length(v) -> int:
    """The length of the 1-d variable `v` when the graph fixes it (a broadcastable dim, a constant, a shape,
    a join of vectors of known lengths such as a stack of scalars); ValueError otherwise."""
    from mlc.tensor.shape import Join, Shape

    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"argument must be symbolic vector, got '{v}' ({v.type})")
    if v.broadcastable[0]:
        return 1
    if isinstance(v, Constant):
        return len(v.data)
    owner = v.owner
    if owner is not None and isinstance(owner.op, Shape):
        return owner.inputs[0].ndim
    if owner is not None and isinstance(owner.op, Join) and owner.op.axis == 0:
        return builtins.sum(get_vector_length(p) for p in owner.inputs)
    raise ValueError(f"length not known: the length of {v} is not fixed by the graph{built_at(v)}")


__all__ = ["EmptyConstantError", "NotScalarConstantError", "extract_constant", "get_scalar_constant_value",
           "get_vector_length", "numpy_scalar"]
