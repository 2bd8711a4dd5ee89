"""Sorting (Theano's `theano.tensor.sort`): sort, argsort, topk, argtopk, topk_and_argtopk.

Host ops over numpy's sort / partition (see mlc.tensor.host): results
equal numpy's for every kind (quicksort, mergesort, heapsort, stable).
Gradients are Theano's: sort routes each output gradient back to the
position its value came from (an advanced-indexing gather with the inverse
permutation), topk scatters it into zeros at the selected positions.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, TensorType, built_at
from mlc.graph.dtype import INTS
from mlc.tensor.extra_ops import _axis
from mlc.tensor.host import HostOp
from mlc.tensor.var import as_tensor_variable

_KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _prepare(a, axis, what: str):
    a = as_tensor_variable(a)
    if axis is None:
        return a.flatten(), 0
    if a.ndim == 0:
        raise GraphError(f"{what}: expected a tensor of at least 1 dim (or axis=None), got {a} ({a.type})"
                         f"{built_at(a)}")
    return a, _axis(axis, a.ndim, what)


def _aranges_except(x, axis: int, at_axis):
    """Index arrays selecting x elementwise, with `at_axis` along `axis` (Theano's sort/topk gradient)."""
    from mlc.tensor.alloc import arange

    s = x.shape
    return tuple(at_axis if i == axis else arange(s[i]).dimshuffle(*([0] + ["x"] * (x.ndim - i - 1)))
                 for i in range(x.ndim))


class _SortOp(HostOp):
    """A sort along `axis` with numpy's `kind` (structured `order` is not supported: tensors have no fields)."""

    __props__ = ("kind", "axis", "order")

    def __init__(self, kind: str = "quicksort", axis: int = -1, order=None):
        if kind not in _KINDS:
            raise ValueError(f"{type(self).__name__}: expected kind in {_KINDS}, got {kind!r}")
        if order is not None:
            raise NotImplementedError(f"{type(self).__name__}: `order` (structured-array fields) is not supported")
        self.kind, self.axis, self.order = kind, axis, order

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]


class SortOp(_SortOp):
    """numpy.sort along `axis`."""

    def make_node(self, x) -> Apply:
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [np.sort(inputs[0], axis=self.axis, kind=self.kind)]

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        rev = argsort(argsort(x, self.axis, self.kind), self.axis, self.kind)
        return [g[_aranges_except(x, self.axis, rev)]]


class ArgSortOp(_SortOp):
    """numpy.argsort along `axis` (int64 indices)."""

    def make_node(self, x) -> Apply:
        return Apply(self, [x], [TensorType("int64", x.broadcastable)])

    def perform(self, node, inputs):
        return [np.argsort(inputs[0], axis=self.axis, kind=self.kind).astype("int64")]

    def grad(self, inputs, output_grads):
        return [inputs[0].zeros_like()]


def sort(a, axis=-1, kind="quicksort", order=None):
    """numpy.sort: `a` sorted along `axis` (flattened first when axis is None); a's dtype."""
    a, axis = _prepare(a, axis, "sort")
    return SortOp(kind, axis, order)(a)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """numpy.argsort: the int64 indices that sort `a` along `axis` (flattened when axis is None)."""
    a, axis = _prepare(a, axis, "argsort")
    return ArgSortOp(kind, axis, order)(a)


class TopKOp(HostOp):
    """The |k| largest (k > 0) or smallest (k < 0) elements along `axis`: values and/or indices.

    `sorted=False` gives numpy.partition's order (Theano's CPU result);
    `sorted=True` (which Theano 1.0.5 did not implement) orders them from the
    most extreme: descending for k > 0, ascending for k < 0.
    """

    __props__ = ("axis", "sorted", "return_values", "return_indices", "idx_dtype")
    shape_value_inputs = (1,)

    def __init__(self, axis=-1, sorted=True, idx_dtype="int64", return_values=True, return_indices=True):
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f'topk: "axis" must be an integer, got {axis!r}')
        if idx_dtype not in INTS:
            raise TypeError(f'topk: "idx_dtype" must be an integer dtype, got {idx_dtype!r}')
        if not (return_values or return_indices):
            raise ValueError("topk: return_values and return_indices cannot both be False")
        self.axis, self.sorted, self.idx_dtype = int(axis), bool(sorted), idx_dtype
        self.return_values, self.return_indices = bool(return_values), bool(return_indices)

    def make_node(self, x, kth) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise GraphError(f"topk: cannot take a scalar as input ({x}){built_at(x)}")
        _axis(self.axis, x.ndim, "topk")
        kth = as_tensor_variable(kth)
        if kth.ndim != 0 or kth.dtype not in INTS:
            raise TypeError(f"topk: kth must be an integer scalar, got {kth} ({kth.type}){built_at(kth)}")
        outs = []
        if self.return_values:
            outs.append(x.type)
        if self.return_indices:
            outs.append(TensorType(self.idx_dtype, x.broadcastable))
        return Apply(self, [x, kth], outs)

    def _select(self, x, k):
        axis = self.axis % x.ndim
        k = int(k)
        n = x.shape[axis]
        if k == 0:
            raise ValueError("topk: kth cannot be zero")
        if abs(k) > n:
            raise ValueError(f"topk: |kth| = {abs(k)} is larger than the size {n} of axis {axis}")
        if self.sorted:
            order = np.argsort(-x if k > 0 and x.dtype.kind != "b" else x, axis=axis, kind="stable")
            if k > 0 and x.dtype.kind == "b":
                order = np.flip(np.argsort(x, axis=axis, kind="stable"), axis)
            idx = np.take(order, np.arange(abs(k)), axis=axis)
        else:
            part = np.argpartition(x, -k if k > 0 else -k - 1, axis=axis) if abs(k) < n else \
                np.broadcast_to(np.arange(n).reshape([n if i == axis else 1 for i in range(x.ndim)]), x.shape)
            sel = np.arange(n - k, n) if k > 0 else np.arange(-k)
            idx = np.take(part, sel, axis=axis)
        return idx, np.take_along_axis(x, idx, axis=axis)

    def perform(self, node, inputs):
        idx, vals = self._select(inputs[0], inputs[1])
        out = []
        if self.return_values:
            out.append(vals)
        if self.return_indices:
            out.append(idx.astype(self.idx_dtype))
        return out

    def infer_shape(self, node, shapes, value):
        shp = list(shapes[0])
        k = int(value(1))
        axis = self.axis % len(shp)
        if k == 0 or abs(k) > shp[axis]:
            from mlc.graph import ShapeError

            raise ShapeError(f"topk: kth={k} must be nonzero and at most the size {shp[axis]} of axis {axis}")
        shp[axis] = abs(k)
        return [tuple(shp)] * len(node.outputs)

    def L_op(self, inputs, outputs, output_grads):
        from mlc.tensor.subtensor import set_subtensor

        x, _ = inputs
        if not self.return_indices:
            raise NotImplementedError("topk: the gradient needs the indices (return_indices=True)")
        g = output_grads[0]
        zeros = x.zeros_like(dtype=g.dtype)
        return [set_subtensor(zeros[_aranges_except(x, self.axis % x.ndim, outputs[-1])], g), None]

    def connection_pattern(self, node):
        return [[True] * len(node.outputs), [False] * len(node.outputs)]


def _topk_input(x, axis):
    x = as_tensor_variable(x)
    if axis is None:
        return x.flatten(), 0
    return x, axis


def topk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):
    """The |kth| largest elements of `x` along `axis` (smallest when kth < 0); see TopKOp for the order."""
    x, axis = _topk_input(x, axis)
    return TopKOp(axis, sorted, idx_dtype)(x, kth)[0]  # with the indices, which the gradient needs (Theano)


def argtopk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):
    """The indices along `axis` of the |kth| largest (kth > 0) or smallest elements of `x`."""
    x, axis = _topk_input(x, axis)
    return TopKOp(axis, sorted, idx_dtype, False, True)(x, kth)


def topk_and_argtopk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):
    """(topk, argtopk) computed together."""
    x, axis = _topk_input(x, axis)
    return tuple(TopKOp(axis, sorted, idx_dtype, True, True)(x, kth))
