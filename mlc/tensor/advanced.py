"""Advanced (integer-array) indexing: `x[ivec]`, `x[i, j]`, `x[T.arange(n), y]`, and their updates.

Theano's four ops, each with its type rule, numpy reference, shape rule,
gradient, batching rule and emission side by side:

- `AdvancedSubtensor(n)(x, i_0, ..., i_{n-1})`: numpy's `x[i_0, ..., i_{n-1}]`
  with integer index arrays on x's n *leading* axes, broadcast against each
  other (only broadcastable dims broadcast, as everywhere in mlc); the
  result has the indices' shape followed by x's other dims. Emitted as
  `mt.gather`. `AdvancedSubtensor1` is the one-vector case `x[ivec]`.
- `AdvancedIncSubtensor(n, set_instead_of_inc)(x, y, i_0, ...)`: x with that
  region incremented by y (repeated positions accumulate, numpy.add.at) or
  set to y (the last repeat wins), y broadcast to the region. Emitted as
  `mt.scatter`. `AdvancedIncSubtensor1` is the one-vector case.

Negative indices count from the end. Index values are checked by the shape
rules (the ops list their indices in `check_value_inputs`), so an index out
of bounds is a ValueError naming the user's line before any code runs.

`x[...]` with integer arrays (`mlc.tensor.shape.getitem` sends them here)
follows numpy: slices are applied first, the indexed axes are moved to the
front for the gather, and the index dims are put back where numpy puts
them (at the first indexed axis when the indexed axes are adjacent, else in
front). Integer scalars next to arrays index like 0-d arrays. The
expression remembers how it was built, so `inc_subtensor(x[idx], y)` and
`set_subtensor(x[idx], y)` update x through the same path (the update is
one scatter; the moves and slices around it are exact inverses).

Not supported: boolean masks (`x[mask]` has a data-dependent shape; use
`T.switch(mask, ..., ...)` for updates), and `None` (new axes) mixed with
integer arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlc.graph import Apply, GraphError, Op, ShapeError, TensorType, Variable, built_at
from mlc.graph.dtype import BOOL, INTS
from mlc.tensor.elemwise import cast
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable, constant

# ----------------------------------------------------------------------------
# Index arrays
# ----------------------------------------------------------------------------


def is_array_index(item: Any) -> bool:
    """Does `item` make `x[...]` advanced indexing (an array, a list, a bool)?"""
    if isinstance(item, (list, tuple, np.ndarray)):
        return True
    if isinstance(item, (bool, np.bool_)):
        return True
    return isinstance(item, Variable) and (item.ndim > 0 or item.dtype in BOOL)


def _mask_error(x) -> NotImplementedError:
    return NotImplementedError(
        f"boolean-mask indexing x[mask] is not supported (its shape depends on the mask's values); "
        f"for an update use T.switch(mask, new, x), for a selection index with integer positions"
        f"{built_at(x)}"
    )


def as_index(item: Any, x=None) -> Variable:
    """An integer index (int, sequence, array or integer variable) as an int64 variable."""
    if isinstance(item, Variable):
        if item.dtype in BOOL:
            raise _mask_error(x if x is not None else item)
        if item.dtype not in INTS:
            raise TypeError(
                f"index arrays must be of an integer dtype, got {item} of type {item.type}{built_at(item)}"
            )
        return cast(item, "int64")
    if isinstance(item, (bool, np.bool_)):
        raise _mask_error(x)
    array = np.asarray(item)
    if array.dtype == object:
        raise TypeError(f"index arrays must be integer data or integer variables, got {item!r:.80}")
    if array.dtype.kind == "b":
        raise _mask_error(x)
    if array.size == 0:
        array = array.astype("int64")  # numpy: x[[]] is an empty integer index
    if array.dtype.kind not in "iu":
        raise IndexError(f"arrays used as indices must be of integer type, got dtype {array.dtype}{built_at(x)}")
    return constant(array.astype("int64"))


def _pad_indices(indices: list[Variable]) -> list[Variable]:
    """Left-pad the index arrays with broadcastable dims to one rank (numpy broadcasting)."""
    rank = max(i.ndim for i in indices)
    return [i if i.ndim == rank else i.dimshuffle(*(["x"] * (rank - i.ndim) + list(range(i.ndim)))) for i in indices]


def _index_broadcastable(indices: list[Variable]) -> tuple[bool, ...]:
    return tuple(all(bs) for bs in zip(*(i.broadcastable for i in indices)))


def _index_shape(node: Apply, name: str, shapes, indices: list[Variable]) -> tuple[int, ...]:
    """The broadcast shape of the index arrays; a ShapeError names the user's line."""
    out = []
    for d in range(indices[0].ndim):
        size = None
        for v, sh in zip(indices, shapes):
            if v.broadcastable[d]:
                continue
            if size is None:
                size = sh[d]
            elif sh[d] != size:
                shown = ", ".join(str(tuple(s)) for s in shapes)
                raise ShapeError(
                    f"{name}: index arrays of shapes {shown} do not broadcast (dimension {d}; only "
                    f"dimensions declared broadcastable may broadcast){built_at(node.outputs[0])}"
                )
        out.append(1 if size is None else size)
    return tuple(out)


def _check_bounds(node: Apply, op: _IndexArrays, x_shape, value, first: int) -> None:
    """Every index of input `first + j` must lie in [-n, n) for axis j of x (numpy's rule)."""
    for j in range(op.n_indices):
        i = np.asarray(value(first + j))
        n = x_shape[j]
        if i.size == 0:
            continue
        low, high = int(i.min()), int(i.max())
        if low < -n or high >= n:
            bad = high if high >= n else low
            raise ShapeError(
                f"{op}: index {bad} is out of bounds for axis {op.axes[j]} with size {n}{built_at(node.outputs[0])}"
            )


def _inverse(pattern: list[int]) -> list[int]:
    return [pattern.index(k) for k in range(len(pattern))]


def _moved_front(n: int, at: int, rank: int) -> list[int]:
    """The pattern putting dims [at, at + n) first, the others after, in order."""
    return [*range(at, at + n), *range(at), *range(at + n, rank)]


class _IndexArrays:
    """What the gather and the scatter ops share (a mixin): n index arrays on the leading axes."""

    __props__: tuple[str, ...] = ("n_indices",)

    def __init__(self, n_indices: int | None = None, axes: tuple[int, ...] | None = None):
        # None: Theano's parameterless op (`AdvancedSubtensor()(x, *index)`), which builds x[index] (below)
        self.n_indices = None if n_indices is None else int(n_indices)
        # the user's axis numbers, for messages only (the op indexes leading axes)
        self.axes = tuple(axes) if axes is not None else tuple(range(self.n_indices or 0))

    def _indices(self, x, indices, what: str) -> list[Variable]:
        if len(indices) != self.n_indices:
            raise GraphError(f"{what}: expected {self.n_indices} index arrays, got {len(indices)}{built_at(x)}")
        if not 1 <= self.n_indices <= x.ndim:
            raise GraphError(
                f"{what}: {self.n_indices} index arrays for {x} with {x.ndim} dims; expected between 1 and "
                f"{x.ndim}{built_at(x)}"
            )
        return _pad_indices([as_index(i, x) for i in indices])

    def _region(self, node: Apply, x_shape, index_shapes, value, first: int) -> tuple[int, ...]:
        """The gathered region's shape; the index arrays are inputs `first`, ... (values checked)."""
        indices = node.inputs[first : first + self.n_indices]
        idx_shape = _index_shape(node, str(self), index_shapes, indices)
        _check_bounds(node, self, x_shape, value, first)
        return idx_shape + tuple(x_shape[self.n_indices :])


def _emit_indices(ctx, node: Apply, operands: list, first: int) -> list:
    """The index operands broadcast to their common shape (mt never broadcasts implicitly)."""
    variables = node.inputs[first:]
    common = TensorType("int64", _index_broadcastable(variables))
    values = operands[first:]
    return [ctx.broadcast_to(v, var.type, common, variables, values) for v, var in zip(values, variables)]


# ----------------------------------------------------------------------------
# The gather: x[i, j, ...]
# ----------------------------------------------------------------------------


class AdvancedSubtensor(_IndexArrays, Op):
    """`x[i_0, ..., i_{n-1}]`: integer index arrays (broadcast together) on x's n leading axes.

    Result: the indices' broadcast shape followed by x.shape[n:], x's dtype.
    """

    @property
    def check_value_inputs(self):  # bounds checks only: shapes come from the indices' shapes
        return tuple(range(1, 1 + self.n_indices))

    def __str__(self) -> str:
        return "AdvancedSubtensor"

    def __call__(self, x, *index, **kwargs):
        if self.n_indices is None:  # Theano's AdvancedSubtensor(): any index tuple, numpy's rules
            return advanced_subtensor(x, *index)
        return super().__call__(x, *index, **kwargs)

    def make_node(self, x, *indices) -> Apply:
        x = as_tensor_variable(x)
        indices = self._indices(x, indices, str(self))
        bcast = _index_broadcastable(indices) + x.broadcastable[self.n_indices :]
        return Apply(self, [x, *indices], [TensorType(x.dtype, bcast)])

    def perform(self, node, inputs):
        x, *indices = inputs
        return [np.asarray(np.asarray(x)[tuple(indices)])]

    def infer_shape(self, node, shapes, value):
        return [self._region(node, shapes[0], shapes[1:], value, 1)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt
        from mlc.lowering.emit import ir_type

        indices = _emit_indices(ctx, node, operands, 1)
        op = ctx.add(mt.GatherOp(operands[0], indices))
        return [ctx.retype(op.results[0], ir_type(node.out.type))]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * self.n_indices

    def grad(self, inputs, output_grads):
        from mlc.tensor.alloc import zeros_like

        x, *indices = inputs
        (g,) = output_grads
        inc = _inc_op(self, False)(zeros_like(x, dtype=g.dtype), g, *indices)
        return [inc] + [None] * self.n_indices

    def batch(self, node, inputs, batched):
        if any(batched[1:]):
            raise NotImplementedError("advanced indexing with a batch of index arrays is not supported")
        x, *indices = inputs
        n, rank = self.n_indices, x.ndim
        # the batch dim goes behind the indexed axes, and back in front of the result
        gathered = type(self)(n, self.axes)(x.dimshuffle(*_moved_front(n, 1, rank)), *indices)
        r = gathered.ndim - (rank - n)
        return [gathered.dimshuffle(*_moved_front(1, r, gathered.ndim))]


class AdvancedSubtensor1(AdvancedSubtensor):
    """`x[ivec]`: one integer vector along axis 0 (Theano's AdvancedSubtensor1)."""

    def __init__(self, n_indices: int = 1, axes: tuple[int, ...] | None = None):
        if n_indices != 1:
            raise GraphError(f"AdvancedSubtensor1 takes one index vector, not {n_indices}")
        super().__init__(1, axes)

    def __str__(self) -> str:
        return "AdvancedSubtensor1"

    def make_node(self, x, ilist) -> Apply:
        node = super().make_node(x, ilist)
        if node.inputs[1].ndim != 1:
            raise TypeError(f"AdvancedSubtensor1: the index must be a vector, got {node.inputs[1].type}"
                            f"{built_at(node.inputs[1])}")
        return node


# ----------------------------------------------------------------------------
# The scatter: x with x[i, j, ...] incremented by / set to y
# ----------------------------------------------------------------------------


class AdvancedIncSubtensor(_IndexArrays, Op):
    """x with `x[i_0, ..., i_{n-1}]` incremented by y (repeats accumulate) or set to y (last wins).

    Inputs: x, y (cast to x's dtype, left-padded to the region's rank,
    broadcastable where it broadcasts), then the n index arrays.
    """

    __props__ = ("n_indices", "set_instead_of_inc")
    #: the output always has x's shape: a shared variable's update `inc_subtensor(W[i], y)` is written
    #: into W's storage (update-in-place; the scatter's loop then touches the indexed rows only)
    same_shape_outputs = {0: 0}

    def __init__(self, n_indices: int | None = None, set_instead_of_inc: bool = False,
                 axes: tuple[int, ...] | None = None, inplace: bool = False):
        # n_indices None: Theano's AdvancedIncSubtensor(set_instead_of_inc=...) (`inplace` is Theano's
        # optimizer flag: mlc decides in-place updates itself)
        super().__init__(n_indices, axes)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __call__(self, x, y, *index, **kwargs):
        if self.n_indices is None:  # Theano's op: x with x[index] incremented by (set to) y, any index tuple
            return advanced_inc_subtensor(x, y, *index, set_instead_of_inc=self.set_instead_of_inc)
        return super().__call__(x, y, *index, **kwargs)

    @property
    def check_value_inputs(self):  # bounds checks only: shapes come from the indices' shapes
        return tuple(range(2, 2 + self.n_indices))

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{'set' if self.set_instead_of_inc else 'inc'}}}"

    def make_node(self, x, y, *indices) -> Apply:
        from mlc.tensor.subtensor import _prepare_update

        x = as_tensor_variable(x)
        what = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        if not self.set_instead_of_inc and x.dtype in BOOL:
            raise TypeError(f"inc_subtensor: cannot increment a bool tensor {x}{built_at(x)}")
        indices = self._indices(x, indices, str(self))
        region_ndim = indices[0].ndim + x.ndim - self.n_indices
        y = _prepare_update(x, y, region_ndim, what)
        return Apply(self, [x, y, *indices], [x.type])

    def perform(self, node, inputs):
        x, y, *indices = inputs
        out = np.array(x, copy=True)
        if self.set_instead_of_inc:
            out[tuple(indices)] = y
        else:
            np.add.at(out, tuple(indices), y)
        return [out]

    def infer_shape(self, node, shapes, value):
        from mlc.tensor.subtensor import _check_fits

        region = self._region(node, shapes[0], shapes[2:], value, 2)
        _check_fits(str(self), node, shapes[1], region)
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt
        from mlc.lowering.emit import ir_type
        from mlc.tensor.subtensor import _broadcast_src

        x, y = operands[:2]
        indices = _emit_indices(ctx, node, operands, 2)
        region = mt.GatherOp.infer(x.type, indices)
        src, needs_broadcast = _broadcast_src(ctx, y, region)
        if needs_broadcast:
            shape = None if region.has_static_shape() else _region_shape(ctx, x, indices)
            target = mt.tensor_type(src.type.element_type, region.get_shape())
            src = ctx.add(mt.BroadcastOp(src, target, shape)).results[0]
        mode = "set" if self.set_instead_of_inc else "add"
        op = ctx.add(mt.ScatterOp(x, src, indices, mode))
        return [ctx.retype(op.results[0], ir_type(node.out.type))]

    def connection_pattern(self, node):
        return [[True], [True]] + [[False]] * self.n_indices

    def grad(self, inputs, output_grads):
        indices = inputs[2:]
        (g,) = output_grads
        gx = g
        if self.set_instead_of_inc:  # the overwritten entries of x do not reach the output
            gx = type(self)(self.n_indices, True, self.axes)(g, np.zeros((), g.dtype), *indices)
        gy = _gather_op(self)(g, *indices)
        return [gx, gy] + [None] * self.n_indices

    def batch(self, node, inputs, batched):
        from mlc.tensor.vectorize import batch_size, to_batched

        if any(batched[2:]):
            raise NotImplementedError("set/inc_subtensor with a batch of index arrays is not supported")
        x, y, *indices = inputs
        if not batched[0]:
            x = to_batched(x, batch_size(inputs, batched))
        if not batched[1]:
            y = y.dimshuffle("x", *range(y.ndim))
        n, rank = self.n_indices, x.ndim
        r = y.ndim - (rank - n)  # y: (batch, index dims..., x's other dims...)
        # the batch dim goes behind the indexed axes of x and behind the index dims of y
        x_moved = x.dimshuffle(*_moved_front(n, 1, rank))
        y_moved = y.dimshuffle(*_moved_front(r, 1, y.ndim))
        out = type(self)(n, self.set_instead_of_inc, self.axes)(x_moved, y_moved, *indices)
        return [out.dimshuffle(*_inverse(_moved_front(n, 1, rank)))]


class AdvancedIncSubtensor1(AdvancedIncSubtensor):
    """x with `x[ivec]` incremented by / set to y: one integer vector along axis 0."""

    def __init__(self, n_indices: int = 1, set_instead_of_inc: bool = False, axes: tuple[int, ...] | None = None):
        if n_indices != 1:
            raise GraphError(f"AdvancedIncSubtensor1 takes one index vector, not {n_indices}")
        super().__init__(1, set_instead_of_inc, axes)

    def make_node(self, x, y, ilist) -> Apply:
        node = super().make_node(x, y, ilist)
        if node.inputs[2].ndim != 1:
            raise TypeError(f"AdvancedIncSubtensor1: the index must be a vector, got {node.inputs[2].type}"
                            f"{built_at(node.inputs[2])}")
        return node


def _inc_op(gather: AdvancedSubtensor, set_mode: bool) -> AdvancedIncSubtensor:
    if isinstance(gather, AdvancedSubtensor1):
        return AdvancedIncSubtensor1(1, set_mode, gather.axes)
    return AdvancedIncSubtensor(gather.n_indices, set_mode, gather.axes)


def _gather_op(inc: AdvancedIncSubtensor) -> AdvancedSubtensor:
    if isinstance(inc, AdvancedIncSubtensor1):
        return AdvancedSubtensor1(1, inc.axes)
    return AdvancedSubtensor(inc.n_indices, inc.axes)


def _region_shape(ctx, x, indices):
    """The shape vector of the gathered region: the indices' shape ++ x.shape[n:]."""
    from mlc.dialects import mt

    n, rank = len(indices), x.type.get_num_dims()
    parts = []
    if indices[0].type.get_num_dims():
        parts.append(ctx.shape_of(indices[0]))
    if rank > n:
        shape = ctx.shape_of(x)
        parts.append(ctx.add(mt.SliceOp(shape, [n], [None], [None])).results[0])
    if len(parts) == 1:
        return parts[0]
    return ctx.add(mt.ConcatenateOp(parts, 0)).results[0]


# ----------------------------------------------------------------------------
# x[...] with integer arrays, and updating through it
# ----------------------------------------------------------------------------


@dataclass
class AdvancedIndex:
    """How `x[index]` was built, so set/inc_subtensor can update x through the same path.

    base --Subtensor(slices)--> sliced --dimshuffle(front)--> moved --gather--> gathered
    --dimshuffle(back)--> the result (each step only when needed).
    """

    base: Variable
    slices: list | None
    dyn: list
    front: list[int] | None
    gather: AdvancedSubtensor
    indices: list[Variable]
    back: list[int] | None
    moved: Variable
    result: Variable

    def update(self, y, set_mode: bool, what: str):
        """A new version of `base` with the indexed entries incremented by (or set to) y."""
        from mlc.tensor.elemwise import DimShuffle
        from mlc.tensor.subtensor import IncSubtensor, _prepare_update

        y = _prepare_update(self.result, y, self.result.ndim, what)
        if self.back is not None:
            y = DimShuffle(y.broadcastable, _inverse(self.back))(y)
        new = _inc_op(self.gather, set_mode)(self.moved, y, *self.indices)
        if self.front is not None:
            new = DimShuffle(new.broadcastable, _inverse(self.front))(new)
        if self.slices is not None:  # a slice never repeats an entry: setting it back is exact
            new = IncSubtensor(self.slices, True)(self.base, new, *self.dyn)
        return new


def _expand_masks(index: tuple) -> tuple:
    """Boolean masks of rank k in `index` replaced by their k nonzero index vectors (numpy's rule).

    A symbolic mask's positions are found when the function runs (a host
    op, mlc.tensor.extra_ops.NonZero), so `x[x > 0]` has a data-dependent
    length; a constant mask is expanded now. 0-d masks stay (unsupported).
    """
    from mlc.tensor.extra_ops import nonzero

    out: list = []
    for it in index:
        if isinstance(it, Variable) and it.dtype in BOOL and it.ndim > 0:
            out.extend(nonzero(it))
        elif isinstance(it, (list, tuple, np.ndarray)) and np.asarray(it).dtype.kind == "b" and np.ndim(it) > 0:
            out.extend(constant(i.astype("int64")) for i in np.nonzero(np.asarray(it)))
        else:
            out.append(it)
    return tuple(out)


def advanced_getitem(x, index: tuple):
    """numpy indexing with at least one integer array in `index` (see the module docstring)."""
    from mlc.tensor.shape import Subtensor, _slice_part

    x = as_tensor_variable(x)
    if any(it is None for it in index):
        raise NotImplementedError(
            f"new axes (None) mixed with integer-array indices are not supported; index first, then add "
            f"the axis with dimshuffle{built_at(x)}"
        )
    index = _expand_masks(index)
    for it in index:
        if isinstance(it, (bool, np.bool_)) or (isinstance(it, Variable) and it.dtype in BOOL):
            raise _mask_error(x)
        if isinstance(it, (list, tuple, np.ndarray)) and np.asarray(it).dtype.kind == "b":
            raise _mask_error(x)
    if sum(1 for it in index if it is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    n_real = sum(1 for it in index if it is not Ellipsis)
    if n_real > x.ndim:
        raise IndexError(f"too many indices for {x}: it has {x.ndim} dims, {n_real} were indexed{built_at(x)}")
    expanded: list = []
    for it in index:
        expanded.extend([slice(None)] * (x.ndim - n_real) if it is Ellipsis else [it])
    expanded.extend([slice(None)] * (x.ndim - len(expanded)))

    # 1. slices first (they keep their axes), as one Subtensor
    slices, dyn, adv = [], [], []
    for k, it in enumerate(expanded):
        if isinstance(it, slice):
            parts = [_slice_part(v, "slice") for v in (it.start, it.stop, it.step)]
            if parts[2][0] == 0:
                raise ValueError("slice step cannot be zero")
            slices.append(tuple(p[0] for p in parts))
            dyn.extend(p[1] for p in parts if p[1] is not None)
        else:
            slices.append((None, None, None))
            adv.append(k)
    full = all(s == (None, None, None) for s in slices)
    sliced = x if full else Subtensor(slices)(x, *dyn)
    # 2. the indexed axes to the front, 3. the gather
    indices = [as_index(expanded[k], x) for k in adv]
    front = adv + [k for k in range(x.ndim) if k not in adv]
    moved = sliced if front == list(range(x.ndim)) else sliced.dimshuffle(*front)
    if adv == [0] and indices[0].ndim == 1:
        gather: AdvancedSubtensor = AdvancedSubtensor1(1, tuple(adv))
    else:
        gather = AdvancedSubtensor(len(adv), tuple(adv))
    gathered = gather(moved, *indices)
    # 4. numpy puts the index dims at the first indexed axis when the indexed axes are adjacent
    r = gathered.ndim - (x.ndim - len(adv))
    adjacent = adv == list(range(adv[0], adv[0] + len(adv)))
    back = None
    result = gathered
    if adjacent and adv[0] > 0:
        back = _inverse(_moved_front(r, adv[0], gathered.ndim))
        result = gathered.dimshuffle(*back)
    result.tag.advanced_index = AdvancedIndex(
        x, None if full else slices, dyn, None if moved is sliced else front, gather, gathered.owner.inputs[1:],
        back, moved, result,
    )
    result.tag.indexed_from = x
    return result


# ----------------------------------------------------------------------------
# Theano's functions
# ----------------------------------------------------------------------------


def advanced_subtensor1(x, ilist):
    """`x[ilist]` for an integer vector `ilist` along axis 0 (negative entries count from the end)."""
    return AdvancedSubtensor1()(x, ilist)


def advanced_subtensor(x, *index):
    """Theano's advanced_subtensor(x, *index): `x[index]` with numpy's rules for any mix of integer and
    boolean index arrays, slices and scalars (`x` itself for an empty index)."""
    return as_tensor_variable(x)[tuple(index)]


def advanced_inc_subtensor1(x, y, ilist, set_instead_of_inc=False):
    """x with `x[ilist]` incremented by y; repeated indices accumulate (numpy.add.at)."""
    return AdvancedIncSubtensor1(1, set_instead_of_inc)(x, y, ilist)


def advanced_set_subtensor1(x, y, ilist):
    """x with `x[ilist]` set to y (for a repeated index, the last value wins)."""
    return AdvancedIncSubtensor1(1, True)(x, y, ilist)


def advanced_inc_subtensor(x, y, *index, set_instead_of_inc=False):
    """x with `x[index]` incremented by y (repeated positions accumulate), or set to y; `index` as in
    advanced_subtensor (an empty index: all of x)."""
    from mlc.tensor.subtensor import inc_subtensor, set_subtensor

    region = advanced_subtensor(x, *index)
    return (set_subtensor if set_instead_of_inc else inc_subtensor)(region, y)


def advanced_set_subtensor(x, y, *index):
    """x with `x[index]` set to y (for a repeated position, the last value wins)."""
    return advanced_inc_subtensor(x, y, *index, set_instead_of_inc=True)


#: Theano's boolean-mask variants: mlc's indexing takes boolean masks in any index, so they are the same
advanced_boolean_subtensor = advanced_subtensor
advanced_boolean_inc_subtensor = advanced_inc_subtensor
advanced_boolean_set_subtensor = advanced_set_subtensor


class BaseAdvancedSubtensor(TheanoOpClass):
    """Theano's BaseAdvancedSubtensor()(x, *index): advanced_subtensor(x, *index)."""

    def build(self, x, *index):
        return advanced_subtensor(x, *index)


class AdvancedBooleanSubtensor(BaseAdvancedSubtensor):
    """Theano's AdvancedBooleanSubtensor()(x, *index) (boolean masks allowed): advanced_subtensor."""


class BaseAdvancedIncSubtensor(TheanoOpClass):
    """Theano's BaseAdvancedIncSubtensor(inplace, set_instead_of_inc)(x, y, *index)."""

    __props__ = ("set_instead_of_inc",)

    def __init__(self, inplace=False, set_instead_of_inc=False):
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def build(self, x, y, *index):
        return advanced_inc_subtensor(x, y, *index, set_instead_of_inc=self.set_instead_of_inc)


class AdvancedBooleanIncSubtensor(BaseAdvancedIncSubtensor):
    """Theano's AdvancedBooleanIncSubtensor(inplace, set_instead_of_inc)(x, y, *index)."""


def take(a, indices, axis=None, mode="raise"):
    """numpy.take: the entries of `a` at integer `indices` along `axis` (flattened `a` if None).

    The result has shape a.shape[:axis] + indices.shape + a.shape[axis+1:].
    mode 'raise' rejects an index out of bounds before any code runs;
    'wrap' takes indices modulo the axis length, 'clip' clamps them into range.
    Emits mt.gather (or mt.index for a scalar index).
    """
    from mlc.tensor.elemwise import clip
    from mlc.tensor.shape import getitem

    a = as_tensor_variable(a)
    if axis is None:
        a = a.flatten()
        axis = 0
    if not isinstance(axis, (int, np.integer)) or not -a.ndim <= axis < a.ndim:
        raise GraphError(f"take: axis {axis!r} out of range for {a} with {a.ndim} dims{built_at(a)}")
    axis = int(axis) % a.ndim
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    i = as_index(indices, a)
    if mode != "raise":
        n = a.shape[axis]
        i = i % n if mode == "wrap" else clip(i, 0, n - 1)
    if i.ndim == 0:
        return getitem(a, (slice(None),) * axis + (i,))
    return advanced_getitem(a, (slice(None),) * axis + (i,))


__all__ = [
    "AdvancedBooleanIncSubtensor",
    "AdvancedBooleanSubtensor",
    "AdvancedIncSubtensor",
    "AdvancedIncSubtensor1",
    "AdvancedSubtensor",
    "AdvancedSubtensor1",
    "BaseAdvancedIncSubtensor",
    "BaseAdvancedSubtensor",
    "advanced_boolean_inc_subtensor",
    "advanced_boolean_set_subtensor",
    "advanced_boolean_subtensor",
    "advanced_getitem",
    "advanced_inc_subtensor",
    "advanced_inc_subtensor1",
    "advanced_set_subtensor",
    "advanced_set_subtensor1",
    "advanced_subtensor",
    "advanced_subtensor1",
    "take",
]
