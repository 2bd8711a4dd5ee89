"""Array functions built from existing ops: grids, triangles, diagonals, tile/repeat/roll, ptp.

Theano's `tensor.basic` and `tensor.extra_ops` helpers that are exact
compositions of ops mlc already has (arange, alloc, dimshuffle, reshape,
slicing, join, switch, reductions), so they need no Op, shape rule or
lowering of their own and compile wherever those ops do. Each keeps
Theano's meaning, argument conventions and result dtype; where Theano's
formula was only approximately numpy's (`tril(m) = m * tri(...)` turns an
inf above the diagonal into nan), the numpy result is produced instead.
"""

from __future__ import annotations

import builtins

import numpy as np

from mlc.config import config
from mlc.graph import GraphError, Variable, built_at
from mlc.graph.dtype import check_dtype, upcast
from mlc.tensor.alloc import alloc, arange
from mlc.tensor.elemwise import cast, eq, ge, maximum, minimum, switch
from mlc.tensor.reduce import max as _max
from mlc.tensor.reduce import min as _min
from mlc.tensor.shape import _scalar_int, concatenate, flatten, reshape, shape
from mlc.tensor.var import as_tensor_variable, constant


def _axis(axis, ndim: int, what: str) -> int:
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{what}: expected an integer axis, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise GraphError(f"{what}: axis {axis} is out of range for a {ndim}-d tensor")
    return int(axis) % ndim


def _dims(x) -> list:
    """x's dims as ints (1 where broadcastable) or int64 scalars."""
    s = shape(x)
    return [1 if b else s[i] for i, b in enumerate(x.broadcastable)]


def _zero(dtype: str):
    return constant(np.zeros((), dtype=dtype))


# ----------------------------------------------------------------------------
# Grids
# ----------------------------------------------------------------------------


class _NdGrid:
    """`mgrid[a:b:s, ...]` / `ogrid[...]`: one arange per slice, as a dense or open mesh (Theano's _nd_grid)."""

    def __init__(self, sparse: bool):
        self.sparse = sparse

    def __getitem__(self, key):
        single = isinstance(key, slice)
        slices = (key,) if single else tuple(key)
        for sl in slices:
            if not isinstance(sl, slice):
                raise TypeError(f"{self._name()}: expected slices such as [0:5, 0:3], got {sl!r}")
            if isinstance(sl.step, complex):
                raise NotImplementedError(f"{self._name()}: a complex step (a number of points) is not supported")
            if sl.stop is None:
                raise TypeError(f"{self._name()}: every slice needs a stop, got {sl!r}")
        ndim = len(slices)
        ranges = [arange(0 if sl.start is None else sl.start, sl.stop, 1 if sl.step is None else sl.step)
                  for sl in slices]
        # range j varies along axis j and has length 1 elsewhere
        ranges = [r.dimshuffle(*(["x"] * j + [0] + ["x"] * (ndim - 1 - j))) for j, r in enumerate(ranges)]
        if self.sparse:
            grids = ranges
        else:
            # Theano multiplies by ones_like of every range: the dtypes upcast, the values broadcast
            dtype = upcast(*[r.dtype for r in ranges])
            lengths = [shape(r)[j] for j, r in enumerate(ranges)]
            grids = [alloc(cast(r, dtype), *lengths) for r in ranges]
        return grids[0] if single else grids

    def _name(self) -> str:
        return "ogrid" if self.sparse else "mgrid"


mgrid = _NdGrid(sparse=False)
mgrid.__doc__ = """Dense mesh grid: `mgrid[0:5, 0:3]` is a list of two 5x3 int64 tensors (numpy.mgrid's values).

Bounds and steps are ints, floats or scalars; the grids share the upcast
dtype of all the ranges (Theano's rule). A single slice gives one tensor.
"""
ogrid = _NdGrid(sparse=True)
ogrid.__doc__ = """Open mesh grid: `ogrid[0:5, 0:3]` is [a 5x1 tensor, a 1x3 tensor] (numpy.ogrid's values).

Each range keeps its own dtype (Theano's rule); the size-1 dims are broadcastable.
"""


# ----------------------------------------------------------------------------
# Triangles and diagonals
# ----------------------------------------------------------------------------


def tri(N, M=None, k=0, dtype=None):
    """An N x M tensor with ones at and below diagonal `k`, zeros elsewhere (numpy.tri).

    `N`, `M`, `k` are ints or integer scalars; dtype defaults to floatX.
    Built as `arange(N)[:, None] + k >= arange(M)[None, :]`, cast to dtype.
    """
    dtype = check_dtype(dtype or config.floatX)
    n = _scalar_int(N, "tri")
    m = n if M is None else _scalar_int(M, "tri")
    k = _scalar_int(k, "tri")
    rows = arange(n).dimshuffle(0, "x")
    cols = arange(m).dimshuffle("x", 0)
    return cast(ge(rows + k, cols), dtype)


def _last_two(m, what: str):
    m = as_tensor_variable(m)
    if m.ndim < 2:
        raise GraphError(f"{what}: expected a tensor of at least 2 dims, got {m} ({m.type}){built_at(m)}")
    s = shape(m)
    return m, s[m.ndim - 2], s[m.ndim - 1]


def tril(m, k=0):
    """Copy of `m` with the elements above diagonal `k` zeroed (numpy.tril; the last two axes).

    Same dtype and shape as `m`; `k` is an int or an integer scalar.
    The zeros are selected (switch), not multiplied in, so inf/nan above the
    diagonal become 0 as in numpy.
    """
    m, rows, cols = _last_two(m, "tril")
    return switch(tri(rows, cols, k, dtype="bool"), m, _zero(m.dtype))


def triu(m, k=0):
    """Copy of `m` with the elements below diagonal `k` zeroed (numpy.triu; the last two axes)."""
    m, rows, cols = _last_two(m, "triu")
    k = _scalar_int(k, "triu")
    return switch(tri(rows, cols, k - 1, dtype="bool"), _zero(m.dtype), m)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal `offset` of the 2-d subarrays on `axis1`, `axis2` (numpy.diagonal; a copy).

    The result drops both axes and appends the diagonal as its last axis.
    `offset` is an int or an integer scalar. Built as a strided slice of the
    flattened (axis1, axis2) plane, so it costs a copy of that plane when the
    axes are not the last two in order.
    """
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise GraphError(f"diagonal: expected a tensor of at least 2 dims, got {a} ({a.type}){built_at(a)}")
    axis1, axis2 = _axis(axis1, a.ndim, "diagonal"), _axis(axis2, a.ndim, "diagonal")
    if axis1 == axis2:
        raise GraphError(f"diagonal: axis1 and axis2 cannot be the same (both {axis1}){built_at(a)}")
    rest = [i for i in range(a.ndim) if i not in (axis1, axis2)]
    plane = a.dimshuffle(*rest, axis1, axis2)
    s = shape(plane)
    n, m = s[a.ndim - 2], s[a.ndim - 1]
    flat = flatten(plane, a.ndim - 1)
    k = _scalar_int(offset, "diagonal")
    # element i of the diagonal sits at start + i*(m+1) in the flattened plane
    if isinstance(k, int) and k >= 0:
        start, length = k, minimum(maximum(m - k, 0), n)
    elif isinstance(k, int):
        start, length = -k * m, minimum(maximum(n + k, 0), m)
    else:
        start = switch(ge(k, 0), k, -k * m)
        length = switch(ge(k, 0), minimum(maximum(m - k, 0), n), minimum(maximum(n + k, 0), m))
    step = m + 1
    return flat[..., start:start + length * step:step]


def diag(v, k=0):
    """numpy.diag: for a vector, a square matrix with `v` on diagonal `k`; else `diagonal(v, k)`.

    `k` is a Python int here. The matrix is `switch(col - row == k, v, 0)`,
    with `v` padded by |k| zeros and laid along the rows (k >= 0) or columns.
    """
    v = as_tensor_variable(v)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"diag: expected an integer k, got {k!r}")
    k = int(k)
    if v.ndim >= 2:
        return diagonal(v, offset=k)
    if v.ndim != 1:
        raise GraphError(f"diag: expected a vector or a tensor of at least 2 dims, got {v} ({v.type})"
                         f"{built_at(v)}")
    pad = v if k == 0 else concatenate([v, alloc(_zero(v.dtype), abs(k))])
    size = shape(pad)[0]
    idx = arange(size)
    on_diag = eq(idx.dimshuffle("x", 0) - idx.dimshuffle(0, "x"), k)
    values = pad.dimshuffle(0, "x") if k >= 0 else pad.dimshuffle("x", 0)
    return switch(on_diag, values, _zero(v.dtype))


# ----------------------------------------------------------------------------
# Rearranging
# ----------------------------------------------------------------------------


def swapaxes(y, axis1, axis2):
    """`y` with axes `axis1` and `axis2` exchanged (numpy.swapaxes; a dimshuffle)."""
    y = as_tensor_variable(y)
    order = list(range(y.ndim))
    a, b = _axis(axis1, y.ndim, "swapaxes"), _axis(axis2, y.ndim, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return y.dimshuffle(*order)


def roll(x, shift, axis=None):
    """numpy.roll: elements shifted by `shift` along `axis` (flattened when axis is None).

    `shift` is an int or an integer scalar; `shift` and `axis` may also be
    equal-length tuples (each axis rolled in turn). Built as a join of two
    slices at `shift mod length`; an empty axis rolls to itself.
    """
    x = as_tensor_variable(x)
    if isinstance(shift, (tuple, list)) or isinstance(axis, (tuple, list)):
        shifts = list(shift) if isinstance(shift, (tuple, list)) else [shift]
        axes = list(axis) if isinstance(axis, (tuple, list)) else [axis]
        if len(shifts) == 1:
            shifts = shifts * len(axes)
        if len(axes) == 1:
            axes = axes * len(shifts)
        if len(shifts) != len(axes) or None in axes:
            raise GraphError(f"roll: shift {shift!r} and axis {axis!r} must be ints or tuples of one length")
        for s, ax in zip(shifts, axes):
            x = roll(x, s, ax)
        return x
    if axis is None:
        if x.ndim == 0:
            return x
        if x.ndim > 1:
            return reshape(roll(x.flatten(), shift, axis=0), _dims(x), ndim=x.ndim)
        axis = 0
    axis = _axis(axis, x.ndim, "roll")
    shift = _scalar_int(shift, "roll")
    n = shape(x)[axis]
    # shift mod length, in [0, length); max(length, 1) keeps an empty axis from dividing by zero
    s = as_tensor_variable(shift) % maximum(n, 1)
    before = (slice(None),) * axis
    return concatenate([x[before + (slice(-s, None),)], x[before + (slice(0, -s),)]], axis=axis)


def tile(x, reps, ndim=None):
    """numpy.tile: `x` repeated `reps[i]` times along each dim i (Theano's tile).

    `reps` is an int, an integer scalar, or a list of those; it is padded on
    the left with 1s to `ndim` (default max(x.ndim, len(reps))), and `x` is
    padded with leading dims. Built as alloc + dimshuffle + reshape.
    """
    x = as_tensor_variable(x)
    if ndim is not None and ndim < x.ndim:
        raise GraphError(f"tile: ndim={ndim} must be at least x.ndim={x.ndim}{built_at(x)}")
    if isinstance(reps, Variable) and reps.ndim > 0:
        raise NotImplementedError("tile: reps as a symbolic vector is not supported; pass a list of ints or "
                                  "integer scalars")
    if not isinstance(reps, (list, tuple)):
        reps = [reps]
    reps = [_scalar_int(r, "tile") for r in reps]
    for r in reps:
        if isinstance(r, int) and r < 0:
            raise GraphError(f"tile: negative repetitions are not allowed, got reps={reps}")
    if ndim is not None and len(reps) > ndim:
        raise GraphError(f"tile: len(reps)={len(reps)} must not exceed ndim={ndim}")
    if ndim is None:
        ndim = builtins.max(len(reps), x.ndim)
    reps = [1] * (ndim - len(reps)) + reps
    dims = [1] * (ndim - x.ndim) + _dims(x)
    # (r0, .., rn-1, d0, .., dn-1) -> (r0, d0, r1, d1, ..) -> (r0*d0, r1*d1, ..)
    y = alloc(x, *reps, *dims)
    y = y.dimshuffle(*[k for i in range(ndim) for k in (i, ndim + i)])
    return reshape(y, [d * r for d, r in zip(dims, reps)], ndim=ndim)


def repeat(x, repeats, axis=None):
    """numpy.repeat with one repeat count for every element (Theano's repeat, scalar count).

    `repeats` is an int, an integer scalar or a length-1 broadcastable
    vector; the input is flattened when `axis` is None. Built as dimshuffle
    + alloc + reshape. Per-element counts (a vector) are not supported.
    """
    x = as_tensor_variable(x)
    if isinstance(repeats, Variable) and repeats.ndim == 1 and repeats.broadcastable[0]:
        repeats = repeats[0]
    elif isinstance(repeats, (list, tuple, np.ndarray)) and np.size(repeats) == 1:
        repeats = np.asarray(repeats).reshape(()).item()
    if isinstance(repeats, Variable) and repeats.ndim > 1:
        raise GraphError("repeat: the dimension of repeats should not exceed 1")
    if isinstance(repeats, (list, tuple, np.ndarray)) or (isinstance(repeats, Variable) and repeats.ndim == 1):
        raise NotImplementedError("repeat: a different count per element gives a data-dependent shape; only "
                                  "one count (an int or an integer scalar) is supported")
    count = _scalar_int(repeats, "repeat")
    if isinstance(count, int) and count < 0:
        raise GraphError(f"repeat: negative repetitions are not allowed, got {count}")
    if axis is None:
        x, axis = x.flatten(), 0
    else:
        axis = _axis(axis, x.ndim, "repeat")
    dims = _dims(x)
    pattern = list(range(x.ndim))
    pattern.insert(axis + 1, "x")
    y = alloc(x.dimshuffle(*pattern), *dims[:axis + 1], count, *dims[axis + 1:])
    dims[axis] = dims[axis] * count
    return reshape(y, dims, ndim=x.ndim)


# ----------------------------------------------------------------------------
# Reductions
# ----------------------------------------------------------------------------


def ptp(a, axis=None):
    """Peak to peak: max(a, axis) - min(a, axis) (numpy.ptp, Theano's ptp); a's dtype."""
    a = as_tensor_variable(a)
    return _max(a, axis) - _min(a, axis)
