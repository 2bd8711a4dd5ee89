"""Array functions built from existing ops: grids, triangles, diagonals, tile/repeat/roll, ptp.

Theano's `tensor.basic` and `tensor.extra_ops` helpers that are exact
compositions of ops mlc already has (arange, alloc, dimshuffle, reshape,
slicing, join, switch, reductions), so they need no Op, shape rule or
lowering of their own and compile wherever those ops do. Each keeps
Theano's meaning, argument conventions and result dtype; where Theano's
formula was only approximately numpy's (`tril(m) = m * tri(...)` turns an
inf above the diagonal into nan), the numpy result is produced instead.

The rest of Theano's `extra_ops` follows: diff, bincount, fill_diagonal,
split and the broadcast-pattern helpers are compositions too (native);
cumsum/cumprod, searchsorted, unravel/ravel index and the data-dependent
unique and nonzero are host ops over numpy (mlc.tensor.host), with
Theano's gradients.
"""

from __future__ import annotations

import builtins

import numpy as np

from mlc.config import config
from mlc.graph import Apply, Constant, GraphError, TensorType, Variable, built_at
from mlc.graph.dtype import INTS, check_dtype, upcast
from mlc.tensor.alloc import alloc, arange
from mlc.tensor.elemwise import cast, eq, ge, maximum, minimum, switch
from mlc.tensor.host import HostOp
from mlc.tensor.opclass import TheanoOpClass
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
    return alloc_diag(v, k)


def alloc_diag(x, offset=0, axis1=0, axis2=1):
    """Theano's AllocDiag(offset, axis1, axis2)(x): x's last axis laid along diagonal `offset` of new
    square planes on axes (axis1, axis2) of a result with one more dim (the other axes: x's leading
    ones, in order); zeros elsewhere. The inverse of diagonal(...) (its gradient).

    Built as `switch(col - row == offset, x padded by |offset| zeros, 0)` on the last two axes, then
    moved into place, so it compiles natively.
    """
    x = as_tensor_variable(x)
    if x.ndim < 1:
        raise GraphError(f"AllocDiag: expected an input with 1 or more dimensions, got {x} ({x.type})"
                         f"{built_at(x)}")
    k = int(offset)
    out_ndim = x.ndim + 1
    axis1, axis2 = _axis(axis1, out_ndim, "AllocDiag"), _axis(axis2, out_ndim, "AllocDiag")
    if axis1 == axis2:
        raise GraphError(f"AllocDiag: axis1 and axis2 cannot be the same (both {axis1}){built_at(x)}")
    lead = list(range(x.ndim - 1))
    if k:
        pad_shape = [shape(x)[i] for i in lead] + [abs(k)]
        x = concatenate([x, alloc(_zero(x.dtype), *pad_shape)], axis=x.ndim - 1)
    idx = arange(shape(x)[x.ndim - 1])
    on_diag = eq(idx.dimshuffle("x", 0) - idx.dimshuffle(0, "x"), k)
    values = x.dimshuffle(*lead, x.ndim - 1, "x") if k >= 0 else x.dimshuffle(*lead, "x", x.ndim - 1)
    planes = switch(on_diag, values, _zero(x.dtype))  # (..., n, n)
    lo, hi = sorted((axis1, axis2))
    order = list(range(len(lead)))
    order.insert(lo, len(lead))
    order.insert(hi, len(lead) + 1)
    return planes if order == list(range(out_ndim)) else planes.dimshuffle(*order)


class AllocDiag(TheanoOpClass):
    """Theano's AllocDiag(offset=0, axis1=0, axis2=1)(x): alloc_diag(x, offset, axis1, axis2)."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset=0, axis1=0, axis2=1):
        self.offset, self.axis1, self.axis2 = offset, axis1, axis2

    def build(self, x):
        return alloc_diag(x, self.offset, self.axis1, self.axis2)


class ExtractDiag(TheanoOpClass):
    """Theano's ExtractDiag(offset=0, axis1=0, axis2=1, view=False)(x): diagonal(x, offset, axis1, axis2)
    (always a copy: `view` is Theano's memory hint)."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset=0, axis1=0, axis2=1, view=False):
        self.offset, self.axis1, self.axis2 = offset, axis1, axis2

    def build(self, x):
        return diagonal(x, self.offset, self.axis1, self.axis2)


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


# ----------------------------------------------------------------------------
# Theano's extra_ops: cumulative ops, differences, counting, searching
# ----------------------------------------------------------------------------


class CumOp(HostOp):
    """numpy.cumsum / numpy.cumprod along `axis` (flattened when None): Theano's CumOp, run on the host."""

    __props__ = ("axis", "mode")

    def __init__(self, axis=None, mode="add"):
        if mode not in ("add", "mul"):
            raise ValueError(f'CumOp: unknown mode "{mode}" (expected "add" or "mul")')
        self.axis, self.mode = axis, mode

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is None:
            out = TensorType(x.dtype, (False,))
        else:
            _axis(self.axis, x.ndim, "cumsum" if self.mode == "add" else "cumprod")
            out = x.type
        return Apply(self, [x], [out])

    def perform(self, node, inputs):
        fn = np.cumsum if self.mode == "add" else np.cumprod
        return [fn(inputs[0], axis=self.axis).astype(node.out.dtype, copy=False)]

    def infer_shape(self, node, shapes, value):
        if self.axis is None:
            return [(int(np.prod(shapes[0], dtype="int64")),)]
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        (x,), (gi,) = inputs, output_grads
        if self.axis is None:
            rev = gi[::-1]
            if self.mode == "add":
                return [reshape(cumsum(rev)[::-1], shape(x), ndim=x.ndim)]
            fx = cumprod(x)
            return [reshape(cumsum((fx * gi)[::-1])[::-1], shape(x), ndim=x.ndim) / x]
        ax = self.axis % x.ndim
        rev = (slice(None),) * ax + (slice(None, None, -1),)
        if self.mode == "add":
            return [cumsum(gi[rev], ax)[rev]]
        fx = cumprod(x, axis=ax)
        return [cumsum((fx * gi)[rev], ax)[rev] / x]

    def __str__(self) -> str:
        return f"CumOp{{{self.axis}, {self.mode}}}"


class CumsumOp(TheanoOpClass):
    """Theano's (deprecated) CumsumOp(axis)(x): cumsum(x, axis)."""

    __props__ = ("axis",)

    def __init__(self, axis=None):
        self.axis = axis

    def build(self, x):
        return cumsum(x, self.axis)


class CumprodOp(CumsumOp):
    """Theano's (deprecated) CumprodOp(axis)(x): cumprod(x, axis)."""

    def build(self, x):
        return cumprod(x, self.axis)


def cumsum(x, axis=None):
    """numpy.cumsum: cumulative sum along `axis` (of the flattened tensor when axis is None)."""
    return CumOp(axis=axis, mode="add")(x)


def cumprod(x, axis=None):
    """numpy.cumprod: cumulative product along `axis` (of the flattened tensor when axis is None)."""
    return CumOp(axis=axis, mode="mul")(x)


def diff(x, n=1, axis=-1):
    """numpy.diff: the n-th discrete difference along `axis` (x[1:] - x[:-1], n times).

    Built from slices and a subtraction, so it compiles natively and has a
    gradient for every rank (Theano's DiffOp had one only for vectors).
    """
    x = as_tensor_variable(x)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: order must be a non-negative integer, got {n!r}")
    axis = _axis(axis, x.ndim, "diff")
    before = (slice(None),) * axis
    for _ in range(int(n)):
        x = x[before + (slice(1, None),)] - x[before + (slice(None, -1),)]
    return x


def bincount(x, weights=None, minlength=None, assert_nonneg=False):
    """numpy.bincount of a vector of non-negative ints (Theano's composition: zeros + inc_subtensor).

    The result has max(x) + 1 bins (at least `minlength`), x's dtype without
    weights, the weights' dtype with them. `assert_nonneg` is accepted;
    a negative value raises IndexError when the function runs (mlc checks
    index bounds) instead of silently wrapping.
    """
    from mlc.tensor.advanced import advanced_inc_subtensor1
    from mlc.tensor.alloc import zeros

    x = as_tensor_variable(x)
    if x.ndim != 1:
        raise TypeError(f"bincount: inputs must be of dimension 1, got {x} ({x.type}){built_at(x)}")
    n = cast(_max(x) + 1, "int64")
    if minlength is not None:
        n = maximum(n, minlength)
    if weights is None:
        return advanced_inc_subtensor1(zeros([n], dtype=x.dtype), constant(np.asarray(1, dtype=x.dtype)), x)
    weights = as_tensor_variable(weights)
    return advanced_inc_subtensor1(zeros([n], dtype=weights.dtype), weights, x)


def squeeze(x):
    """`x` without its broadcastable dimensions (Theano's squeeze: a dimshuffle)."""
    return as_tensor_variable(x).squeeze()


def compress(condition, x, axis=None):
    """numpy.compress: the slices of `x` along `axis` (flattened when None) where `condition` is nonzero."""
    x = as_tensor_variable(x)
    return x.take(flatnonzero(condition), axis=axis)


def bartlett(M):
    """numpy.bartlett: the Bartlett (triangular) window of `M` points, float64 (an int or integer scalar).

    Built as numpy does it: n = arange(1 - M, M, 2), 1 + n / (M - 1) where
    n <= 0 and 1 - n / (M - 1) elsewhere (a native composition).
    """
    m = _scalar_int(M, "bartlett")
    n = cast(arange(1 - m, m, 2), "float64")
    denom = cast(maximum(as_tensor_variable(m) - 1, 1), "float64")
    return switch(ge(0, n), 1 + n / denom, 1 - n / denom)


class SearchsortedOp(HostOp):
    """numpy.searchsorted(x, v, side, sorter): int64 insertion points, v's shape."""

    __props__ = ("side",)

    def __init__(self, side="left"):
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: '{side}' is an invalid value for keyword 'side'")
        self.side = side

    def make_node(self, x, v, sorter=None) -> Apply:
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"searchsorted: x must be a vector, got {x} ({x.type}){built_at(x)}")
        ins = [x, v]
        if sorter is not None:
            sorter = as_tensor_variable(sorter)
            if sorter.ndim != 1 or sorter.dtype not in INTS:
                raise TypeError(f"searchsorted: sorter must be an integer vector, got {sorter} ({sorter.type})")
            ins.append(sorter)
        return Apply(self, ins, [TensorType("int64", v.broadcastable)])

    def perform(self, node, inputs):
        sorter = inputs[2] if len(inputs) == 3 else None
        return [np.asarray(np.searchsorted(inputs[0], inputs[1], side=self.side, sorter=sorter), dtype="int64")]

    def infer_shape(self, node, shapes, value):
        return [shapes[1]]

    def grad(self, inputs, output_grads):
        from mlc.gradient import _float_zeros_like

        return [_float_zeros_like(inputs[0]), _float_zeros_like(inputs[1])] + [None] * (len(inputs) - 2)

    def connection_pattern(self, node):
        return [[True], [True]] + [[False]] * (len(node.inputs) - 2)


def searchsorted(x, v, side="left", sorter=None):
    """numpy.searchsorted: indices into sorted vector `x` where `v`'s elements would be inserted (int64)."""
    return SearchsortedOp(side=side)(x, v, sorter)


def _fill_val(a, val, what: str):
    a, val = as_tensor_variable(a), as_tensor_variable(val)
    if a.ndim < 2:
        raise TypeError(f"{what}: first parameter must have at least two dimensions, got {a} ({a.type})"
                        f"{built_at(a)}")
    if val.ndim != 0:
        raise TypeError(f"{what}: second parameter must be a scalar, got {val} ({val.type}){built_at(val)}")
    if upcast(a.dtype, val.dtype) != a.dtype:
        raise TypeError(f"{what}: type of second parameter must be the same as the first's "
                        f"({val.dtype} does not fit in {a.dtype}){built_at(val)}")
    return a, cast(val, a.dtype)


def fill_diagonal(a, val):
    """A copy of `a` with its main diagonal set to the scalar `val` (numpy.fill_diagonal, as a result).

    For a matrix, a[i, i] for i < min(rows, cols) (rectangular allowed);
    for more dims, the positions whose indices are all equal. Built as a
    switch on an index mask, so it compiles natively; the gradient is the
    incoming one with the diagonal zeroed (for a) and its diagonal's sum
    (for val), as Theano defines it.
    """
    a, val = _fill_val(a, val, "fill_diagonal")
    s = shape(a)
    idx = [arange(s[i]).dimshuffle(*(["x"] * i + [0] + ["x"] * (a.ndim - i - 1))) for i in range(a.ndim)]
    mask = eq(idx[0], idx[1])
    for i in range(2, a.ndim):
        mask = mask & eq(idx[0], idx[i])
    return switch(mask, val, a)


def fill_diagonal_offset(a, val, offset):
    """A copy of matrix `a` with diagonal `offset` (above the main one when > 0) set to `val`."""
    a, val = _fill_val(a, val, "fill_diagonal_offset")
    if a.ndim != 2:
        raise TypeError(f"fill_diagonal_offset: expected a matrix, got {a} ({a.type}){built_at(a)}")
    offset = _scalar_int(offset, "fill_diagonal_offset")
    s = shape(a)
    rows, cols = arange(s[0]).dimshuffle(0, "x"), arange(s[1]).dimshuffle("x", 0)
    return switch(eq(cols - rows, offset), val, a)


class FillDiagonal(TheanoOpClass):
    """Theano's FillDiagonal()(a, val): fill_diagonal(a, val)."""

    def build(self, a, val):
        return fill_diagonal(a, val)


class FillDiagonalOffset(TheanoOpClass):
    """Theano's FillDiagonalOffset()(a, val, offset): fill_diagonal_offset(a, val, offset)."""

    def build(self, a, val, offset):
        return fill_diagonal_offset(a, val, offset)


fill_diagonal_ = FillDiagonal()
fill_diagonal_offset_ = FillDiagonalOffset()


class DiffOp(TheanoOpClass):
    """Theano's DiffOp(n=1, axis=-1)(x): diff(x, n, axis)."""

    __props__ = ("n", "axis")

    def __init__(self, n=1, axis=-1):
        self.n, self.axis = n, axis

    def build(self, x):
        return diff(x, self.n, self.axis)


class RepeatOp(TheanoOpClass):
    """Theano's RepeatOp(axis=None)(x, repeats): repeat(x, repeats, axis)."""

    __props__ = ("axis",)

    def __init__(self, axis=None):
        self.axis = axis

    def build(self, x, repeats):
        return repeat(x, repeats, self.axis)


class Bartlett(TheanoOpClass):
    """Theano's Bartlett()(M): bartlett(M)."""

    def build(self, M):  # noqa: N803 (Theano's argument name)
        return bartlett(M)


bartlett_ = Bartlett()


def cpu_contiguous(x):
    """Theano's cpu_contiguous(x): x as a C-contiguous array. Every array mlc's compiled code produces or
    passes on is C-contiguous already, so this is x (a graph no-op)."""
    return as_tensor_variable(x)


class CpuContiguous(TheanoOpClass):
    """Theano's CpuContiguous()(x): cpu_contiguous(x)."""

    def build(self, x):
        return cpu_contiguous(x)


class UnravelIndex(HostOp):
    """numpy.unravel_index: `ndim` int64 coordinate arrays, each of `indices`' shape."""

    __props__ = ("ndim", "order")

    def __init__(self, ndim, order="C"):
        if order not in ("C", "F"):
            raise ValueError(f"unravel_index: order must be 'C' or 'F', got {order!r}")
        self.ndim, self.order = int(ndim), order

    def make_node(self, indices, dims) -> Apply:
        indices, dims = as_tensor_variable(indices), as_tensor_variable(dims)
        if indices.dtype not in INTS:
            raise TypeError(f"unravel_index: '{indices.dtype}' object cannot be interpreted as an index")
        if dims.dtype not in INTS or dims.ndim != 1:
            raise TypeError(f"unravel_index: dims must be a vector of ints, got {dims} ({dims.type})")
        return Apply(self, [indices, dims], [TensorType("int64", indices.broadcastable)] * self.ndim)

    def perform(self, node, inputs):
        indices, dims = inputs
        if len(dims) != self.ndim:
            raise ValueError(f"unravel_index: dims has {len(dims)} entries, the op was built for ndim={self.ndim}")
        return [np.asarray(r, dtype="int64") for r in np.unravel_index(indices, tuple(dims), order=self.order)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]] * self.ndim


def unravel_index(indices, dims, order="C", ndim=None):
    """numpy.unravel_index: flat indices into arrays of shape `dims` -> a tuple of coordinate arrays.

    `ndim` (the length of dims) is needed when `dims` is symbolic and its
    length is not known from its type (Theano's rule). Out-of-range indices
    raise ValueError when the function runs (numpy's check).
    """
    if ndim is None:
        if isinstance(dims, (list, tuple, np.ndarray)):
            ndim = len(dims)
        else:
            d = as_tensor_variable(dims)
            if isinstance(d, Constant):
                ndim = len(np.atleast_1d(d.data))
            elif d.ndim == 1 and d.broadcastable[0]:
                ndim = 1
            else:
                raise ValueError(f"unravel_index: the length of the provided dimension list ({dims}) cannot be "
                                 f"determined automatically; pass ndim=")
    res = UnravelIndex(ndim=ndim, order=order)(indices, dims)
    return (res,) if ndim == 1 else tuple(res)


class RavelMultiIndex(HostOp):
    """numpy.ravel_multi_index: flat int64 indices from one index array per dimension."""

    __props__ = ("mode", "order")

    def __init__(self, mode="raise", order="C"):
        if mode not in ("raise", "wrap", "clip") or order not in ("C", "F"):
            raise ValueError(f"ravel_multi_index: mode must be raise/wrap/clip and order C/F, got {mode!r}, "
                             f"{order!r}")
        self.mode, self.order = mode, order

    def make_node(self, *inp) -> Apply:
        multi = [as_tensor_variable(i) for i in inp[:-1]]
        dims = as_tensor_variable(inp[-1])
        for i in multi + [dims]:
            if i.dtype not in INTS:
                raise TypeError(f"ravel_multi_index: '{i.dtype}' object cannot be interpreted as an index")
        if dims.ndim != 1:
            raise TypeError("ravel_multi_index: dims must be a 1D array")
        return Apply(self, multi + [dims], [TensorType("int64", (False,) * multi[0].ndim)])

    def perform(self, node, inputs):
        return [np.asarray(np.ravel_multi_index(tuple(inputs[:-1]), tuple(inputs[-1]), mode=self.mode,
                                                order=self.order), dtype="int64")]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """numpy.ravel_multi_index: a tuple of index arrays into arrays of shape `dims` -> flat indices."""
    if not isinstance(multi_index, (tuple, list)):
        raise TypeError("ravel_multi_index: multi_index must be a tuple or a list")
    return RavelMultiIndex(mode=mode, order=order)(*multi_index, dims)


# ----------------------------------------------------------------------------
# Data-dependent shapes: unique, nonzero (host ops whose shape rule reads values)
# ----------------------------------------------------------------------------


class Unique(HostOp):
    """numpy.unique with its optional outputs (index, inverse, counts), Theano's Unique op."""

    __props__ = ("return_index", "return_inverse", "return_counts", "axis")
    shape_value_inputs = (0,)

    def __init__(self, return_index=False, return_inverse=False, return_counts=False, axis=None):
        self.return_index, self.return_inverse = bool(return_index), bool(return_inverse)
        self.return_counts, self.axis = bool(return_counts), axis

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is None:
            bcast = (False,)
        else:
            ax = _axis(self.axis, x.ndim, "unique")
            bcast = tuple(False if i == ax else b for i, b in enumerate(x.broadcastable))
        outs = [TensorType(x.dtype, bcast)]
        outs += [TensorType("int64", (False,))] * (self.return_index + self.return_inverse + self.return_counts)
        return Apply(self, [x], outs)

    def perform(self, node, inputs):
        r = np.unique(inputs[0], return_index=self.return_index, return_inverse=self.return_inverse,
                      return_counts=self.return_counts, axis=self.axis)
        r = list(r) if isinstance(r, tuple) else [r]
        if self.return_inverse:  # numpy >= 2 gives the inverse x's shape when axis is None; Theano's is flat
            k = 1 + self.return_index
            r[k] = np.asarray(r[k]).reshape(-1)
        return [np.asarray(a, dtype=o.dtype) for a, o in zip(r, node.outputs)]


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """numpy.unique: sorted unique values (and first indices, inverse, counts when asked)."""
    out = Unique(return_index, return_inverse, return_counts, axis)(ar)
    return out if isinstance(out, Variable) else list(out)


class NonZero(HostOp):
    """The int64 (ndim, nnz) matrix of the positions of `a`'s nonzero elements (numpy.nonzero, stacked)."""

    __props__ = ()
    shape_value_inputs = (0,)

    def make_node(self, a) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"nonzero only supports non-scalar arrays, got {a} ({a.type}){built_at(a)}")
        return Apply(self, [a], [TensorType("int64", (a.ndim == 1, False))])

    def perform(self, node, inputs):
        return [np.asarray(np.nonzero(inputs[0]), dtype="int64").reshape(inputs[0].ndim, -1)]

    def infer_shape(self, node, shapes, value):
        return [(len(shapes[0]), int(np.count_nonzero(value(0))))]

    def grad(self, inputs, output_grads):
        return [inputs[0].zeros_like()]


def nonzero(a, return_matrix=False):
    """numpy.nonzero: a tuple of int64 index vectors (one per dim), or the (ndim, nnz) matrix."""
    m = NonZero()(a)
    if return_matrix:
        return m
    return tuple(m[i] for i in range(m.type.ndim and as_tensor_variable(a).ndim))


def flatnonzero(a):
    """numpy.flatnonzero: int64 positions of the nonzero elements of `a` flattened."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError(f"flatnonzero: expected a tensor of at least 1 dim, got {a} ({a.type}){built_at(a)}")
    return NonZero()(a.flatten())[0]


def nonzero_values(a):
    """The nonzero elements of `a` flattened (a[a != 0] in numpy)."""
    a = as_tensor_variable(a)
    return a.flatten()[flatnonzero(a)]


# ----------------------------------------------------------------------------
# Splitting and broadcastable patterns
# ----------------------------------------------------------------------------


def split(x, splits_size, n_splits, axis=0):
    """Theano's split: `n_splits` consecutive pieces of `x` along `axis`, of lengths `splits_size`.

    `splits_size` is a list of ints / integer scalars or an integer vector;
    the pieces are slices computed natively. Theano raises when the lengths
    do not sum to x.shape[axis]; here the slices clamp as numpy's do (no
    run-time check, which would cost a host step).
    """
    x = as_tensor_variable(x)
    axis = _axis(axis, x.ndim, "split")
    if isinstance(splits_size, Variable):
        if splits_size.ndim != 1 or splits_size.dtype not in INTS:
            raise TypeError(f"split: splits_size must be an integer vector, got {splits_size} "
                            f"({splits_size.type})")
        sizes = [splits_size[i] for i in range(int(n_splits))]
    else:
        sizes = list(splits_size)
        if len(sizes) != n_splits:
            raise ValueError(f"split: len(splits_size)={len(sizes)} must equal n_splits={n_splits}")
    before = (slice(None),) * axis
    out, start = [], 0
    for s in sizes:
        stop = start + s
        out.append(x[before + (slice(start, stop),)])
        start = stop
    return out


def unbroadcast(x, *axes):
    """`x` with `axes` made non-broadcastable (their length becomes a run-time length)."""
    x = as_tensor_variable(x)
    for a in axes:
        _axis(a, x.ndim, "unbroadcast")
    axes = {a % x.ndim for a in axes}
    if not any(x.broadcastable[a] for a in axes):
        return x
    s = shape(x)
    dims = [s[i] if (i in axes or not b) else 1 for i, b in enumerate(x.broadcastable)]
    return reshape(x, dims, ndim=x.ndim)


def addbroadcast(x, *axes):
    """`x` with `axes` marked broadcastable (their length must be 1 at run time)."""
    x = as_tensor_variable(x)
    for a in axes:
        _axis(a, x.ndim, "addbroadcast")
    axes = {a % x.ndim for a in axes}
    if all(x.broadcastable[a] for a in axes):
        return x
    dims = [1 if (i in axes or b) else d for i, (b, d) in enumerate(zip(x.broadcastable, _dims(x)))]
    return reshape(x, dims, ndim=x.ndim)


def patternbroadcast(x, broadcastable):
    """`x` with exactly the broadcastable pattern `broadcastable` (Theano's Rebroadcast)."""
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: pattern {tuple(broadcastable)} has {len(broadcastable)} entries, "
                         f"{x} has {x.ndim} dims{built_at(x)}")
    x = addbroadcast(x, *[i for i, b in enumerate(broadcastable) if b])
    return unbroadcast(x, *[i for i, b in enumerate(broadcastable) if not b])


# ----------------------------------------------------------------------------
# Gathers along the last axis / from a list of choices (Theano's PermuteRowElements, Choose)
# ----------------------------------------------------------------------------


def _grid(ndim: int, sizes, take_first, total: int) -> list:
    """Index arrays (of `total` dims) for dims 0..ndim-1 that broadcast against each other: arange(size)
    along dim d, or a single 0 where `take_first[d]` (a broadcastable dim of the indexed tensor)."""
    out = []
    for d in range(ndim):
        if take_first[d]:  # a broadcastable 0 (a constant of 1s in shape broadcasts)
            out.append(constant(np.zeros((1,) * total, dtype="int64")))
            continue
        pattern = ["x"] * d + [0] + ["x"] * (total - d - 1)
        out.append(arange(sizes[d]).dimshuffle(*pattern))
    return out


def permute_row_elements(x, y, inverse=0):
    """Theano's permute_row_elements: each row (last axis) of x reordered by the permutation in the matching
    row of y, out[..., i] = x[..., y[..., i]] (with `inverse`, out[..., y[..., i]] = x[..., i]); x and y are
    left-padded to a common rank and broadcast over their leading axes. A gather (native), x's dtype."""
    from mlc.tensor.sort import argsort

    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if y.dtype not in INTS:
        raise TypeError(f"permute_row_elements: the permutations must be integers, got {y} ({y.type}){built_at(y)}")
    if x.ndim == 0 or y.ndim == 0:
        raise GraphError(f"permute_row_elements: expected operands of at least 1 dim, got {x.type} and {y.type}"
                         f"{built_at(x)}")
    nd = builtins.max(x.ndim, y.ndim)
    x = x.dimshuffle(*(["x"] * (nd - x.ndim) + list(range(x.ndim))))
    y = y.dimshuffle(*(["x"] * (nd - y.ndim) + list(range(y.ndim))))
    if inverse:
        y = argsort(y, axis=-1)
    sx = shape(x)
    lead = _grid(nd - 1, [sx[d] for d in range(nd - 1)], x.broadcastable, nd)
    out = x[tuple(lead) + (y,)]
    bcast = tuple(a and b for a, b in zip(x.broadcastable, y.broadcastable))
    return patternbroadcast(out, bcast) if out.broadcastable != bcast else out


def inverse_permutation(perm):
    """Theano's inverse_permutation: the inverse of each permutation in the rows (last axis) of `perm`."""
    perm = as_tensor_variable(perm)
    return permute_row_elements(arange(shape(perm)[perm.ndim - 1], dtype=perm.dtype), perm, inverse=True)


def choose(a, choices, out=None, mode="raise"):
    """numpy.choose (Theano's choose): out[I] = choices[a[I]][I], `a` broadcast against each choice.

    `choices` is a list/tuple of tensors, or one tensor whose first axis lists them. mode 'raise'
    checks at run time that every a is in [0, n) (ValueError as numpy... here AssertionError naming it);
    'wrap' takes a modulo n, 'clip' clamps it. A gather (native), the choices' common dtype.
    """
    from mlc.tensor.compose import Assert
    from mlc.tensor.elemwise import clip, lt
    from mlc.tensor.reduce import all as _all
    from mlc.tensor.shape import stack

    if out is not None:
        raise TypeError("choose: out= is not supported (mlc functions return new arrays)")
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    a = as_tensor_variable(a)
    if a.dtype not in INTS:
        raise TypeError(f"choose: the index array must be integers, got {a} ({a.type}){built_at(a)}")
    if isinstance(choices, (list, tuple)):
        parts = [as_tensor_variable(c) for c in choices]
        nd = builtins.max(p.ndim for p in parts)
        parts = [p.dimshuffle(*(["x"] * (nd - p.ndim) + list(range(p.ndim)))) for p in parts]
        dtype = upcast(*[p.dtype for p in parts])
        common = [builtins.all(p.broadcastable[d] for p in parts) for d in range(nd)]
        sizes = [next((shape(p)[d] for p in parts if not p.broadcastable[d]), 1) for d in range(nd)]
        parts = [p if p.broadcastable == tuple(common) else
                 alloc(cast(p, dtype), *[1 if common[d] else sizes[d] for d in range(nd)]) for p in parts]
        choices = stack([cast(p, dtype) for p in parts])
    choices = as_tensor_variable(choices)
    if choices.ndim == 0:
        raise GraphError(f"choose: choices must have at least 1 dim, got {choices.type}{built_at(choices)}")
    n = shape(choices)[0]
    if mode == "wrap":
        a = a % n
    elif mode == "clip":
        a = clip(a, 0, n - 1)
    nd = builtins.max(a.ndim, choices.ndim - 1)
    a = a.dimshuffle(*(["x"] * (nd - a.ndim) + list(range(a.ndim))))
    c = choices.dimshuffle(0, *(["x"] * (nd - choices.ndim + 1)), *range(1, choices.ndim))
    sc = shape(c)
    grid = _grid(nd, [sc[d + 1] for d in range(nd)], c.broadcastable[1:], nd)
    if mode == "raise":
        a = Assert("choose: invalid entry in choice array (a value of `a` is not in [0, n))")(
            a, _all(ge(a, 0) & lt(a, n)))
    return c[(a, *grid)]


class PermuteRowElements(TheanoOpClass):
    """Theano's PermuteRowElements()(x, y, inverse): permute_row_elements(x, y, inverse)."""

    def build(self, x, y, inverse=0):
        return permute_row_elements(x, y, inverse)


class Choose(TheanoOpClass):
    """Theano's Choose(mode)(a, choices): choose(a, choices, mode=mode)."""

    __props__ = ("mode",)

    def __init__(self, mode="raise"):
        self.mode = mode

    def build(self, a, choices):
        return choose(a, choices, mode=self.mode)


class Split(TheanoOpClass):
    """Theano's Split(len_splits)(x, axis, splits): split(x, splits, len_splits, axis)."""

    __props__ = ("len_splits",)

    def __init__(self, len_splits):
        self.len_splits = int(len_splits)

    def build(self, x, axis, splits):
        return split(x, splits, self.len_splits, axis)


class Tri(TheanoOpClass):
    """Theano's Tri(dtype)(N, M, k): tri(N, M, k, dtype)."""

    __props__ = ("dtype",)

    def __init__(self, dtype=None):
        self.dtype = dtype

    def build(self, N, M, k):  # noqa: N803 (numpy's names)
        return tri(N, M, k, dtype=self.dtype)
