"""Tensor creation: alloc/fill/zeros/ones/*_like, arange, eye."""

from __future__ import annotations

import numpy as np

from mlc.config import config
from mlc.graph import Apply, Constant, GraphError, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import FLOATS, INTS, check_dtype, upcast
from mlc.tensor.elemwise import cast
from mlc.tensor.shape import _scalar_int, scalar_value, shape
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable, constant


class Alloc(Op):
    """A tensor of the given shape filled by broadcasting `value` (Theano's alloc).

    Inputs: value, then one int64 scalar per output dim.
    """

    __props__ = ("bcast",)

    def __init__(self, bcast: tuple[bool, ...] | None = None):
        # None: Theano's Alloc()(value, *shape), which builds alloc(value, *shape)
        self.bcast = None if bcast is None else tuple(bcast)

    def __call__(self, value, *shape, **kwargs):
        if self.bcast is None:
            return alloc(value, *shape)
        return super().__call__(value, *shape, **kwargs)

    @property
    def shape_value_inputs(self):
        return tuple(range(1, 1 + len(self.bcast)))

    def make_node(self, value, *dims) -> Apply:
        value = as_tensor_variable(value)
        if value.ndim > len(dims):
            raise GraphError(f"alloc: the value has {value.ndim} dims but only {len(dims)} were given"
                             f"{built_at(value)}")
        return Apply(self, [value, *dims], [TensorType(value.dtype, self.bcast)])

    def perform(self, node, inputs):
        shp = tuple(int(d) for d in inputs[1:])
        return [np.broadcast_to(inputs[0], shp).astype(node.out.dtype, copy=True)]

    def infer_shape(self, node, shapes, value):
        shp = tuple(scalar_value(value(i)) for i in range(1, len(node.inputs)))
        if any(n < 0 for n in shp):
            raise ShapeError(f"alloc: negative dimensions are not allowed, got shape {shp}{built_at(node.out)}")
        vs = shapes[0]
        for k, n in enumerate(vs):
            j = len(shp) - len(vs) + k
            if n != 1 and n != shp[j]:
                raise ShapeError(f"alloc: value of shape {tuple(vs)} cannot be broadcast to {shp}{built_at(node.out)}")
        for j, b in enumerate(self.bcast):
            if b and shp[j] != 1:
                raise ShapeError(f"alloc: dimension {j} is broadcastable but was given length {shp[j]}")
        return [shp]

    def emit(self, ctx, node, operands):
        return [ctx.alloc(node, operands[0], operands[1:])]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def grad(self, inputs, output_grads):
        # the value was broadcast: its gradient sums g over the new leading dims
        # (and mlc.gradient sums over the value's own broadcastable dims)
        from mlc.tensor.reduce import sum as _sum

        value, g = inputs[0], output_grads[0]
        lead = list(range(g.ndim - value.ndim))
        return [_sum(g, axis=lead, dtype=g.dtype) if lead else g] + [None] * (len(inputs) - 1)

    def batch(self, node, inputs, batched):
        from mlc.tensor.vectorize import batch_size

        if any(batched[1:]):
            raise NotImplementedError("alloc with a batch of shapes is not supported")
        value, *dims = inputs
        n = batch_size(inputs, batched)
        # the value's batch dim must line up with the result's: pad its other dims on the left
        pad = len(self.bcast) - (value.ndim - 1)
        value = value.dimshuffle(0, *(["x"] * pad), *range(1, value.ndim))
        return [Alloc((False,) + self.bcast)(value, n, *dims)]


def alloc(value, *shape):
    """A tensor of `shape` filled with `value` (broadcast); dims equal to constant 1 are broadcastable."""
    value = as_tensor_variable(value)
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    dims, bcast = [], []
    for s in shape:
        d = _scalar_int(as_tensor_variable(s) if not isinstance(s, (int, np.integer)) else s, "alloc")
        if isinstance(d, int):
            if d < 0:
                raise GraphError(f"alloc: negative dimension {d} in shape {shape}")
            bcast.append(d == 1)
            dims.append(constant(np.asarray(d, dtype="int64")))
        else:
            bcast.append(False)
            dims.append(d)
    return Alloc(tuple(bcast))(value, *dims)


def _shape_args(shape):
    if isinstance(shape, (int, np.integer)):
        return (shape,)
    if hasattr(shape, "type") and shape.ndim == 1:  # a symbolic shape vector
        n = len(shape.data) if isinstance(shape, Constant) else None
        if n is None:
            raise GraphError("zeros/ones: the length of a symbolic shape vector is unknown; "
                             "pass a tuple of scalars")
        return tuple(shape[i] for i in range(n))
    return tuple(shape)


def zeros(shape, dtype=None):
    """A tensor of zeros (dtype defaults to floatX)."""
    return alloc(constant(np.asarray(0, dtype=check_dtype(dtype or config.floatX))), *_shape_args(shape))


def ones(shape, dtype=None):
    """A tensor of ones (dtype defaults to floatX)."""
    return alloc(constant(np.asarray(1, dtype=check_dtype(dtype or config.floatX))), *_shape_args(shape))


def full(shape, fill_value, dtype=None):
    v = as_tensor_variable(fill_value)
    if dtype is not None:
        v = cast(v, dtype)
    return alloc(v, *_shape_args(shape))


def _like(model, value, dtype):
    model = as_tensor_variable(model)
    dtype = check_dtype(dtype) if dtype is not None else model.dtype
    s = shape(model)
    dims = [1 if b else s[i] for i, b in enumerate(model.broadcastable)]
    return alloc(constant(np.asarray(value, dtype=dtype)), *dims)


def zeros_like(model, dtype=None, opt=False):
    """Zeros with the shape (and broadcastable pattern) of `model`."""
    return _like(model, 0, dtype)


def ones_like(model, dtype=None, opt=False):
    """Ones with the shape (and broadcastable pattern) of `model`."""
    return _like(model, 1, dtype)


def full_like(model, fill_value, dtype=None):
    model = as_tensor_variable(model)
    v = as_tensor_variable(fill_value)
    v = cast(v, dtype if dtype is not None else model.dtype)
    s = shape(model)
    return alloc(v, *[1 if b else s[i] for i, b in enumerate(model.broadcastable)])


def fill(model, value):
    """Theano's fill: `value` broadcast to the shape of `model` (value's dtype)."""
    model = as_tensor_variable(model)
    v = as_tensor_variable(value)
    s = shape(model)
    return alloc(v, *[1 if b else s[i] for i, b in enumerate(model.broadcastable)])


second = fill


class ARange(Op):
    """numpy.arange(start, stop, step) of a given dtype; length max(ceil((stop-start)/step), 0)."""

    __props__ = ("dtype",)
    shape_value_inputs = (0, 1, 2)

    def __init__(self, dtype: str):
        self.dtype = dtype

    def make_node(self, start, stop, step) -> Apply:
        ins = [cast(as_tensor_variable(v), self.dtype) for v in (start, stop, step)]
        for v in ins:
            if v.ndim != 0:
                raise TypeError(f"arange: expected scalar bounds, got {v} ({v.type}){built_at(v)}")
        return Apply(self, ins, [TensorType(self.dtype, (False,))])

    def perform(self, node, inputs):
        start, stop, step = (np.asarray(v).item() for v in inputs)
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def infer_shape(self, node, shapes, value):
        start, stop, step = (np.asarray(value(i)).item() for i in range(3))
        if step == 0:
            raise ShapeError(f"arange: step must not be zero{built_at(node.out)}")
        return [(len(np.arange(start, stop, step, dtype=self.dtype)),)] if self.dtype in FLOATS else \
            [(max(0, -(-(stop - start) // step)),)]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, "arange", operands, out_type=node.out.type)]

    def connection_pattern(self, node):
        return [[True], [False], [True]]  # stop only sets the length (Theano)

    def grad(self, inputs, output_grads):
        from mlc.gradient import ZERO

        return [ZERO, None, ZERO]  # Theano's rule: zero for start and step


def arange(start, stop=None, step=1, dtype=None):
    """numpy.arange with symbolic bounds. Integer bounds give int64 (Theano's rule)."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        dtype = upcast(start.dtype, stop.dtype, step.dtype)
        if dtype in INTS or dtype == "bool":
            dtype = "uint64" if dtype.startswith("u") else "int64"
    return ARange(check_dtype(dtype))(start, stop, step)


class Eye(Op):
    """An n x m matrix with ones on diagonal k (numpy.eye)."""

    __props__ = ("dtype",)
    shape_value_inputs = (0, 1)

    def __init__(self, dtype: str):
        self.dtype = dtype

    def make_node(self, n, m, k) -> Apply:
        ins = [cast(as_tensor_variable(v), "int64") for v in (n, m, k)]
        return Apply(self, ins, [TensorType(self.dtype, (False, False))])

    def perform(self, node, inputs):
        n, m, k = (int(v) for v in inputs)
        return [np.eye(n, m, k, dtype=self.dtype)]

    def infer_shape(self, node, shapes, value):
        n, m = int(value(0)), int(value(1))
        if n < 0 or m < 0:
            raise ShapeError(f"eye: negative dimensions ({n}, {m}){built_at(node.out)}")
        return [(n, m)]

    def emit(self, ctx, node, operands):
        return [ctx.mt(node, "eye", operands, out_type=node.out.type)]

    def connection_pattern(self, node):
        return [[False], [False], [False]]  # sizes and a diagonal offset


def eye(n, m=None, k=0, dtype=None):
    """numpy.eye(n, m, k) with symbolic sizes (dtype defaults to floatX)."""
    return Eye(check_dtype(dtype or config.floatX))(n, n if m is None else m, k)


def identity_like(x, dtype=None):
    x = as_tensor_variable(x)
    s = shape(x)
    return eye(s[0], s[1], 0, dtype=dtype or x.dtype)


class AllocEmpty(TheanoOpClass):
    """Theano's AllocEmpty(dtype)(*shape): an array of `shape` whose values are unspecified (mlc gives zeros,
    which is one of them)."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = str(dtype)

    def build(self, *shape):
        return zeros(shape, dtype=self.dtype)
