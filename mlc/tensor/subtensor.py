"""set_subtensor / inc_subtensor: a new tensor with one region replaced or incremented.

Theano's API: the first argument is an indexing expression `x[idx]`, the
result is x with that region set to (or incremented by) y, broadcast to the
region's shape; x itself is unchanged (value semantics). Two ops, mirroring
the two indexing ops of mlc.tensor.shape:

- `IncSubtensor(slices, set_instead_of_inc)(x, y, *bounds)`: the region of
  `Subtensor(slices)`, emitted as `mt.insert_slice`;
- `IncIndex(axis, set_instead_of_inc)(x, y, i)`: the region of
  `IndexOp(axis)`, emitted as `mt.insert_index`.

An expression like `x[1:3, 0, None]` is several indexing nodes; the helpers
unwind them back to x, incrementing (or setting) the innermost region and
setting each enclosing one.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, Op, ShapeError, built_at
from mlc.graph.dtype import BOOL, upcast
from mlc.tensor.elemwise import DimShuffle, cast
from mlc.tensor.shape import SLICE_INPUT, IndexOp, Subtensor
from mlc.tensor.var import as_tensor_variable


def _prepare_update(x, y, region_ndim: int, what: str):
    """y cast to x's dtype (only if no precision is lost) and padded on the left to the region's rank."""
    y = as_tensor_variable(y)
    if y.dtype != x.dtype:
        if upcast(x.dtype, y.dtype) != x.dtype:
            raise TypeError(
                f"{what}: cannot put values of dtype {y.dtype} ({y}) into {x} of dtype {x.dtype} "
                f"without losing precision; cast them with .astype({x.dtype!r}){built_at(y)}"
            )
        y = cast(y, x.dtype)
    if y.ndim > region_ndim:
        raise GraphError(
            f"{what}: the value {y} has {y.ndim} dims, more than the {region_ndim} of the indexed "
            f"region of {x}{built_at(y)}"
        )
    if y.ndim < region_ndim:
        y = y.dimshuffle(*(["x"] * (region_ndim - y.ndim) + list(range(y.ndim))))
    return y


def _check_fits(name: str, node, y_shape, region) -> None:
    """y's non-broadcastable dims must equal the region's (a dynamic dim never broadcasts)."""
    y = node.inputs[1]
    for d, (b, n, r) in enumerate(zip(y.broadcastable, y_shape, region)):
        if not b and n != r:
            raise ShapeError(
                f"{name}: a value of shape {tuple(y_shape)} does not fit the indexed region of shape "
                f"{tuple(region)} (dimension {d}; only broadcastable dims may broadcast)"
                f"{built_at(node.out)}"
            )


def _broadcast_src(ctx, src, target):
    """Bring `src` to the region type `target`: refine `?` dims the region knows, broadcast its 1s."""
    from mlc.dialects import mt

    src_shape, shape = src.type.get_shape(), target.get_shape()
    refined = [r if s == mt.DYN else s for s, r in zip(src_shape, shape)]
    src = ctx.retype(src, mt.tensor_type(src.type.element_type, refined))
    if src.type.get_shape() == shape:
        return src, False
    return src, True


class IncSubtensor(Op):
    """x with `x[slices]` set to / incremented by y (broadcast); slices as in Subtensor.

    Inputs: x, y (of x's rank and dtype, broadcastable where it broadcasts),
    then the int64 scalars for the SLICE_INPUT slice fields.
    """

    __props__ = ("slices", "set_instead_of_inc")

    def __init__(self, slices, set_instead_of_inc: bool):
        self.slices = tuple(tuple(s) for s in slices)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self._view = Subtensor(self.slices)

    @property
    def shape_value_inputs(self):
        return tuple(range(2, 2 + len(self._view.shape_value_inputs)))

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        return f"{kind}{self._view!s}"

    def make_node(self, x, y, *dyn) -> Apply:
        x = as_tensor_variable(x)
        what = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        if not self.set_instead_of_inc and x.dtype in BOOL:
            raise TypeError(f"inc_subtensor: cannot increment a bool tensor {x}{built_at(x)}")
        y = _prepare_update(x, y, x.ndim, what)
        return Apply(self, [x, y, *dyn], [x.type])

    def perform(self, node, inputs):
        x, y = inputs[:2]
        out = np.array(x, copy=True)
        index = tuple(self._view._concrete(lambda k: inputs[k + 1]))  # Subtensor's input k is our k + 1
        if self.set_instead_of_inc:
            out[index] = y
        else:
            out[index] += y
        return [out]

    def infer_shape(self, node, shapes, value):
        (region,) = self._view.infer_shape(node, [shapes[0]], lambda i: value(i + 1))  # bounds follow y
        _check_fits(str(self), node, shapes[1], region)
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt
        from mlc.lowering.emit import ir_type

        x, y, *dyn = operands
        it = iter(dyn)
        fields = [[next(it) if v == SLICE_INPUT else v for v in s] for s in self.slices]
        fields += [[None, None, None]] * (node.inputs[0].ndim - len(fields))
        starts, stops, steps = ([f[j] for f in fields] for j in range(3))
        region = ctx.add(mt.SliceOp(x, starts, stops, steps)).results[0]
        src, needs_broadcast = _broadcast_src(ctx, y, region.type)
        if needs_broadcast:
            shape = None if region.type.has_static_shape() else ctx.shape_of(region)
            target = mt.tensor_type(src.type.element_type, region.type.get_shape())
            src = ctx.add(mt.BroadcastOp(src, target, shape)).results[0]
        mode = "set" if self.set_instead_of_inc else "add"
        op = ctx.add(mt.InsertSliceOp(x, src, starts, stops, steps, mode))
        return [ctx.retype(op.results[0], ir_type(node.out.type))]

    def connection_pattern(self, node):
        return [[True], [True]] + [[False]] * (len(node.inputs) - 2)

    def grad(self, inputs, output_grads):
        dyn = inputs[2:]
        (g,) = output_grads
        gx = IncSubtensor(self.slices, True)(g, np.zeros((), g.dtype), *dyn) if self.set_instead_of_inc else g
        return [gx, Subtensor(self.slices)(g, *dyn)] + [None] * len(dyn)

    def batch(self, node, inputs, batched):
        from mlc.tensor.vectorize import batch_size, to_batched

        if any(batched[2:]):
            raise NotImplementedError("set/inc_subtensor with a batch of slice bounds is not supported")
        x, y, *dyn = inputs
        if not batched[0]:
            x = to_batched(x, batch_size(inputs, batched))
        if not batched[1]:
            y = y.dimshuffle("x", *range(y.ndim))
        return [IncSubtensor(((None, None, None),) + self.slices, self.set_instead_of_inc)(x, y, *dyn)]


class IncIndex(Op):
    """x with `x[..., i, ...]` (at `axis`) set to / incremented by y (broadcast); i as in IndexOp."""

    __props__ = ("axis", "set_instead_of_inc")
    check_value_inputs = (2,)  # the bounds check only

    def __init__(self, axis: int, set_instead_of_inc: bool):
        self.axis = int(axis)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        return f"{kind}Index{{axis={self.axis}}}"

    def make_node(self, x, y, i) -> Apply:
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim:
            raise GraphError(f"{self}: axis {self.axis} out of range for {x} with {x.ndim} dims{built_at(x)}")
        what = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        if not self.set_instead_of_inc and x.dtype in BOOL:
            raise TypeError(f"inc_subtensor: cannot increment a bool tensor {x}{built_at(x)}")
        y = _prepare_update(x, y, x.ndim - 1, what)
        i = cast(as_tensor_variable(i), "int64")
        return Apply(self, [x, y, i], [x.type])

    def perform(self, node, inputs):
        x, y, i = inputs
        out = np.array(x, copy=True)
        index = (slice(None),) * self.axis + (int(i),)
        if self.set_instead_of_inc:
            out[index] = y
        else:
            out[index] += y
        return [out]

    def infer_shape(self, node, shapes, value):
        (region,) = IndexOp(self.axis).infer_shape(node, [shapes[0], ()], lambda k: value(2))
        _check_fits(str(self), node, shapes[1], region)
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt
        from mlc.lowering.emit import ir_type

        x, y, i = operands
        region = ctx.add(mt.IndexOp(x, i, self.axis)).results[0]
        src, needs_broadcast = _broadcast_src(ctx, y, region.type)
        if needs_broadcast:
            shape = None if region.type.has_static_shape() else ctx.shape_of(region)
            target = mt.tensor_type(src.type.element_type, region.type.get_shape())
            src = ctx.add(mt.BroadcastOp(src, target, shape)).results[0]
        mode = "set" if self.set_instead_of_inc else "add"
        op = ctx.add(mt.InsertIndexOp(x, src, i, self.axis, mode))
        return [ctx.retype(op.results[0], ir_type(node.out.type))]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, output_grads):
        i = inputs[2]
        (g,) = output_grads
        gx = IncIndex(self.axis, True)(g, np.zeros((), g.dtype), i) if self.set_instead_of_inc else g
        return [gx, IndexOp(self.axis)(g, i), None]

    def batch(self, node, inputs, batched):
        from mlc.tensor.vectorize import batch_size, to_batched

        if batched[2]:
            raise NotImplementedError("set/inc_subtensor with a batch of indices (a scatter) is not supported")
        x, y, i = inputs
        if not batched[0]:
            x = to_batched(x, batch_size(inputs, batched))
        if not batched[1]:
            y = y.dimshuffle("x", *range(y.ndim))
        return [IncIndex(self.axis + 1, self.set_instead_of_inc)(x, y, i)]


# ----------------------------------------------------------------------------
# The user's API
# ----------------------------------------------------------------------------


def _new_axes_only(op: DimShuffle) -> bool:
    kept = [p for p in op.new_order if p != "x"]
    return kept == list(range(len(op.input_broadcastable)))


def _whole(v, y, set_mode: bool, what: str):
    """v with all of it set to / incremented by y (broadcast to v's shape, v's pattern kept)."""
    from mlc.tensor import addbroadcast
    from mlc.tensor.alloc import fill

    y = _prepare_update(v, y, v.ndim, what)
    lost = [d for d, (bv, by) in enumerate(zip(v.broadcastable, y.broadcastable)) if bv and not by]
    if lost:
        y = addbroadcast(y, *lost)
    return fill(v, y) if set_mode else v + y


def _update(v, y, set_mode: bool, base, what: str):
    """A new version of `base` with the region `v` (an indexing expression of base) updated by y."""
    from mlc.tensor.advanced import AdvancedSubtensor

    if v is base:
        return _whole(v, y, set_mode, what)
    node = v.owner
    op = node.op if node is not None else None
    if isinstance(op, Subtensor):
        parent = node.inputs[0]
        new_parent = IncSubtensor(op.slices, set_mode)(parent, y, *node.inputs[1:])
    elif isinstance(op, IndexOp):
        parent = node.inputs[0]
        new_parent = IncIndex(op.axis, set_mode)(parent, y, node.inputs[1])
    elif isinstance(op, AdvancedSubtensor):
        from mlc.tensor.advanced import _inc_op

        parent = node.inputs[0]
        new_parent = _inc_op(op, set_mode)(parent, y, *node.inputs[1:])
    elif isinstance(op, DimShuffle) and _new_axes_only(op):
        parent = node.inputs[0]
        new_v = _whole(v, y, set_mode, what)
        # drop the new axes again (broadcastable in new_v, as in v)
        new_parent = DimShuffle(new_v.broadcastable, [i for i, p in enumerate(op.new_order) if p != "x"])(new_v)
    else:
        raise TypeError(
            f"{what}: the first argument must be an indexing expression x[...] "
            f"(slices, integers, None), got {v}{built_at(v)}"
        )
    return new_parent if parent is base else _update(parent, new_parent, True, base, what)


def inc_subtensor(x, y, inplace=False, set_instead_of_inc=False, tolerate_inplace_aliasing=False):
    """`x[idx] += y` as a new tensor: the array indexed by the expression `x` (x = a[idx]), updated.

    `x` is an indexing expression `a[idx]` (slices, integers, integer
    scalars, None, or integer arrays: see mlc.tensor.advanced); the result
    is a new version of `a` with that region incremented by `y` (or
    replaced, with set_instead_of_inc=True), y broadcast to the region's
    shape; `a` is unchanged. With integer arrays a repeated position is
    incremented once per occurrence (numpy.add.at). y is cast to a's
    dtype (a precision-losing cast is an error). Emits mt.insert_slice /
    mt.insert_index / mt.scatter. `inplace` is accepted for Theano
    compatibility.
    """
    from mlc.tensor.advanced import AdvancedSubtensor

    what = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    x = as_tensor_variable(x)
    advanced = x.tag.get("advanced_index")
    if advanced is not None:  # x = a[integer arrays...]: one scatter (repeats accumulate)
        return advanced.update(y, bool(set_instead_of_inc), what)
    base = x.tag.get("indexed_from")
    if base is None:
        node = x.owner
        if node is not None and isinstance(node.op, (Subtensor, IndexOp, AdvancedSubtensor)):
            base = node.inputs[0]  # one indexing op built outside getitem: Theano's rule
        else:
            base = x  # x[:] and x[...] are x itself: the whole tensor
    return _update(x, y, bool(set_instead_of_inc), base, what)


def set_subtensor(x, y, inplace=False, tolerate_inplace_aliasing=False):
    """`x[idx] = y` as a new tensor: see inc_subtensor (x = a[idx]; a is unchanged)."""
    return inc_subtensor(x, y, inplace, set_instead_of_inc=True, tolerate_inplace_aliasing=tolerate_inplace_aliasing)


__all__ = ["IncIndex", "IncSubtensor", "inc_subtensor", "set_subtensor"]
