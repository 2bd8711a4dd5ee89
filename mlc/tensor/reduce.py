"""Reductions: sum, prod, max, min, any, all (one Op), argmax/argmin; mean, var, std composed."""

from __future__ import annotations

import builtins

import numpy as np

from mlc.graph import Apply, GraphError, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import check_dtype
from mlc.tensor.elemwise import cast, eq, sqrt, true_div
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable

# Theano's default result dtypes: small ints accumulate as 64-bit.
_SUM_DTYPE = {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
              "uint8": "uint64", "uint16": "uint64", "uint32": "uint64"}
# Theano accumulates float32/float16 in a wider type for accuracy.
_ACC_DTYPE = {**_SUM_DTYPE, "float16": "float32", "float32": "float64", "complex64": "complex128"}

_KINDS = {
    # kind: (numpy function, mt op)
    "sum": (np.sum, "reduce_sum"),
    "prod": (np.prod, "reduce_prod"),
    "max": (np.max, "reduce_max"),
    "min": (np.min, "reduce_min"),
    "any": (np.any, "reduce_any"),
    "all": (np.all, "reduce_all"),
}


def normalize_axes(x, axis) -> tuple[int, ...]:
    """Theano/numpy axis argument -> sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"expected integer axes, got {axis!r} (symbolic axes are not supported)")
        if not -x.ndim <= a < builtins.max(x.ndim, 1) or (x.ndim == 0 and a not in (0, -1)):
            raise GraphError(f"axis {a} is out of range for {x} with {x.ndim} dims{built_at(x)}")
        out.append(int(a) % builtins.max(x.ndim, 1))
    if len(set(out)) != len(out):
        raise GraphError(f"repeated axis in {axis!r}")
    return tuple(sorted(out)) if x.ndim else ()


class Reduce(Op):
    """Reduce `x` over `axes` with one of sum/prod/max/min/any/all."""

    __props__ = ("kind", "axes", "dtype", "acc_dtype")

    def __init__(self, kind: str, axes: tuple[int, ...], dtype: str, acc_dtype: str):
        self.kind, self.axes, self.dtype, self.acc_dtype = kind, tuple(axes), dtype, acc_dtype

    def __str__(self) -> str:
        return f"{self.kind.capitalize()}{{axes={list(self.axes)}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        bcast = tuple(b for i, b in enumerate(x.broadcastable) if i not in self.axes)
        return Apply(self, [x], [TensorType(self.dtype, bcast)])

    def perform(self, node, inputs):
        fn = _KINDS[self.kind][0]
        x = np.asarray(inputs[0]).astype(self.acc_dtype, copy=False)
        if self.kind in ("max", "min") and builtins.any(x.shape[a] == 0 for a in self.axes):
            raise ShapeError(f"{self.kind}: zero-size reduction has no identity{built_at(node.out)}")
        return [np.asarray(fn(x, axis=self.axes)).astype(self.dtype)]

    def infer_shape(self, node, shapes, value):
        (sh,) = shapes
        if self.kind in ("max", "min") and builtins.any(sh[a] == 0 for a in self.axes):
            raise ShapeError(f"{self.kind}: cannot reduce an empty dimension of shape {tuple(sh)} "
                             f"(no identity){built_at(node.out)}")
        return [tuple(n for i, n in enumerate(sh) if i not in self.axes)]

    def emit(self, ctx, node, operands):
        x = ctx.cast(operands[0], self.acc_dtype)
        if not self.axes:
            r = x
        else:
            r = ctx.mt(node, _KINDS[self.kind][1], [x], axes=list(self.axes))
        return [ctx.cast(r, self.dtype)]

    def L_op(self, inputs, outputs, output_grads):
        from mlc.tensor.alloc import fill

        (x,), (y,), (g,) = inputs, outputs, output_grads
        g_e, y_e = _keep(g, x, self.axes, True), _keep(y, x, self.axes, True)
        if self.kind == "sum":
            return [fill(x, g_e)]
        if self.kind in ("max", "min"):
            # Theano's rule: every position equal to the extreme gets the gradient (ties included)
            return [g_e * eq(y_e, x)]
        if self.kind == "prod":
            return [g_e * _prod_of_others(x, y_e, self.axes)]
        raise NotImplementedError(f"{self} has no gradient rule")

    def batch(self, node, inputs, batched):
        return [Reduce(self.kind, tuple(a + 1 for a in self.axes), self.dtype, self.acc_dtype)(inputs[0])]


def _prod_of_others(x, p_e, axes):
    """For each entry of x, the product of the other entries of its reduced group (exact with zeros).

    No zero in the group: p / x. One zero: the product of the non-zeros at the
    zero, 0 elsewhere. Two or more zeros: 0 everywhere (Theano's Prod.grad).
    """
    from mlc.tensor.elemwise import switch

    is_zero = eq(x, 0)
    zeros = _keep(sum(is_zero, axis=axes), x, axes, True)
    nonzero_prod = _keep(prod(switch(is_zero, 1, x), axis=axes), x, axes, True)
    single = switch(is_zero & eq(zeros, 1), nonzero_prod, 0)
    return switch(eq(zeros, 0), p_e / x, single)


def _keep(r, x, axes, keepdims):
    if not keepdims:
        return r
    pattern, j = [], 0
    for i in range(x.ndim):
        if i in axes:
            pattern.append("x")
        else:
            pattern.append(j)
            j += 1
    return r.dimshuffle(*pattern)


def _reduce(kind, x, axis, dtype, keepdims, acc_dtype):
    x = as_tensor_variable(x)
    axes = normalize_axes(x, axis)
    if kind in ("sum", "prod"):
        out = check_dtype(dtype) if dtype is not None else _SUM_DTYPE.get(x.dtype, x.dtype)
        acc = check_dtype(acc_dtype) if acc_dtype is not None else _ACC_DTYPE.get(out, out)
    elif kind in ("any", "all"):
        out = acc = "bool"
    else:
        out = acc = x.dtype
    r = Reduce(kind, axes, out, acc)(x)
    return _keep(r, x, axes, keepdims)


def sum(input, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Sum over `axis` (None: all). Small ints sum as int64, float32 accumulates in float64."""
    return _reduce("sum", input, axis, dtype, keepdims, acc_dtype)


def prod(input, axis=None, dtype=None, keepdims=False, acc_dtype=None, no_zeros_in_input=False):
    """Product over `axis` (None: all), with sum's dtype rules."""
    return _reduce("prod", input, axis, dtype, keepdims, acc_dtype)


def max(x, axis=None, keepdims=False):
    """Maximum over `axis`; an empty reduction raises at call time (as numpy does)."""
    return _reduce("max", x, axis, None, keepdims, None)


def min(x, axis=None, keepdims=False):
    """Minimum over `axis`; an empty reduction raises at call time (as numpy does)."""
    return _reduce("min", x, axis, None, keepdims, None)


def any(x, axis=None, keepdims=False):
    return _reduce("any", x, axis, None, keepdims, None)


def all(x, axis=None, keepdims=False):
    return _reduce("all", x, axis, None, keepdims, None)


def _count(x, axes, dtype):
    from mlc.tensor.shape import shape

    n = None
    for a in axes:
        d = shape(x)[a]
        n = d if n is None else n * d
    if n is None:
        from mlc.tensor.var import constant

        return constant(np.asarray(1, dtype=dtype))
    return cast(n, dtype)


def mean(input, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Mean over `axis`: float inputs keep their dtype, integers give float64."""
    x = as_tensor_variable(input)
    axes = normalize_axes(x, axis)
    s = sum(x, axis=axes, dtype=dtype, acc_dtype=acc_dtype)
    if s.dtype in ("float16", "float32", "float64", "complex64", "complex128"):
        r = true_div(s, _count(x, axes, s.dtype))
    else:
        r = true_div(cast(s, "float64"), _count(x, axes, "float64"))
    return _keep(r, x, axes, keepdims)


def var(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Variance over `axis` (ddof=1 or corrected=True for the unbiased estimate)."""
    x = as_tensor_variable(input)
    axes = normalize_axes(x, axis)
    if corrected:
        ddof = 1
    centered = x - mean(x, axis=axes, keepdims=True)
    sq = sum(centered * centered, axis=axes)
    n = _count(x, axes, sq.dtype if sq.dtype.startswith("float") else "float64")
    if ddof:
        n = n - ddof
    return _keep(true_div(sq, n), x, axes, keepdims)


def std(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Standard deviation over `axis` (sqrt of var)."""
    return sqrt(var(input, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected))


class Argmax(Op):
    """Index of the max (or min) along one axis, as int64 (first occurrence, like numpy)."""

    __props__ = ("kind", "axis")

    def __init__(self, kind: str, axis: int):
        self.kind, self.axis = kind, axis

    def __str__(self) -> str:
        return f"{self.kind.capitalize()}{{axis={self.axis}}}"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        bcast = tuple(b for i, b in enumerate(x.broadcastable) if i != self.axis)
        return Apply(self, [x], [TensorType("int64", bcast)])

    def perform(self, node, inputs):
        fn = np.argmax if self.kind == "argmax" else np.argmin
        return [np.asarray(fn(inputs[0], axis=self.axis)).astype("int64")]

    def infer_shape(self, node, shapes, value):
        (sh,) = shapes
        if sh[self.axis] == 0:
            raise ShapeError(f"{self.kind}: attempt to get {self.kind} of an empty sequence "
                             f"(shape {tuple(sh)}){built_at(node.out)}")
        return [tuple(n for i, n in enumerate(sh) if i != self.axis)]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, self.kind, operands, axis=self.axis)]

    def batch(self, node, inputs, batched):
        return [Argmax(self.kind, self.axis + 1)(inputs[0])]


def _arg(kind, x, axis, keepdims):
    x = as_tensor_variable(x)
    if axis is None:
        flat = x.flatten() if x.ndim != 1 else x
        r = Argmax(kind, 0)(flat)
        if keepdims:
            r = r.dimshuffle(*(["x"] * x.ndim))
        return r
    (a,) = normalize_axes(x, axis) if not isinstance(axis, (list, tuple)) or len(axis) == 1 else (None,)
    if a is None:
        raise NotImplementedError(f"{kind} over several axes is not supported; got axis={axis!r}")
    return _keep(Argmax(kind, a)(x), x, (a,), keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along `axis` (None: of the flattened array), int64."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along `axis` (None: of the flattened array), int64."""
    return _arg("argmin", x, axis, keepdims)


def max_and_argmax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims), argmax(x, axis, keepdims)


# ----------------------------------------------------------------------------
# Theano's reduction Op classes (theano.tensor.elemwise / basic): the functions above
# ----------------------------------------------------------------------------


class _ReduceClass(TheanoOpClass):
    __props__ = ("axis",)

    def __init__(self, axis=None):
        self.axis = axis if axis is None or isinstance(axis, int) else tuple(axis)


class Sum(_ReduceClass):
    """Theano's Sum(axis, dtype, acc_dtype)(x): sum(x, axis, dtype, acc_dtype=acc_dtype)."""

    __props__ = ("axis", "dtype", "acc_dtype")

    def __init__(self, axis=None, dtype=None, acc_dtype=None):
        super().__init__(axis)
        self.dtype, self.acc_dtype = dtype, acc_dtype

    def build(self, x):
        return sum(x, self.axis, dtype=self.dtype, acc_dtype=self.acc_dtype)


class Prod(Sum):
    """Theano's Prod(axis, dtype, acc_dtype, no_zeros_in_input)(x): prod(x, axis, ...)."""

    __props__ = ("axis", "dtype", "acc_dtype", "no_zeros_in_input")

    def __init__(self, axis=None, dtype=None, acc_dtype=None, no_zeros_in_input=False):
        super().__init__(axis, dtype, acc_dtype)
        self.no_zeros_in_input = bool(no_zeros_in_input)

    def build(self, x):
        return prod(x, self.axis, dtype=self.dtype, acc_dtype=self.acc_dtype,
                    no_zeros_in_input=self.no_zeros_in_input)


class Mean(_ReduceClass):
    """Theano's Mean(axis)(x): mean(x, axis)."""

    def build(self, x):
        return mean(x, self.axis)


class All(_ReduceClass):
    """Theano's All(axis)(x): all(x, axis) (bool)."""

    def build(self, x):
        return all(x, self.axis)


class Any(_ReduceClass):
    """Theano's Any(axis)(x): any(x, axis) (bool)."""

    def build(self, x):
        return any(x, self.axis)


class MaxAndArgmax(_ReduceClass):
    """Theano's MaxAndArgmax(axis)(x): [max(x, axis), argmax(x, axis)]."""

    def build(self, x):
        return list(max_and_argmax(x, self.axis))
