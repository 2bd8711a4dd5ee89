"""Pooling (Theano's tensor.signal.pool, signal.downsample): window reductions over the last 2 or 3 dims.

`pool_2d(x, ws, ignore_border, stride, pad, mode)` reads the windows out
with `mt.patches` (window dims last) and reduces over them:

* max: padding reads the lowest value, so it never wins; the gradient is
  Theano's MaxPoolGrad: every position equal to its window's maximum gets
  that window's gradient (ties included), summed over overlapping windows;
* sum: padding reads 0;
* average_inc_pad / average_exc_pad: the sum divided by the window's size
  counting (inc) or not counting (exc) the padding; a partial window at
  the end (ignore_border=False) counts only its part, as Theano's.

The gradients are those of the pieces (the reduction's, then
`mt.unpatches`), which is exactly Theano's MaxPoolGrad/AveragePoolGrad.
`ws`, `stride` and `pad` must be known when the graph is built.
"""

from __future__ import annotations

import warnings

import numpy as np

from mlc.graph import Constant, GraphError, built_at
from mlc.tensor.var import as_tensor_variable
from mlc.tensor.window import Window, patches

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _ints(v, nd: int, what: str) -> tuple[int, ...]:
    if isinstance(v, Constant):
        v = np.asarray(v.data).tolist()
    if hasattr(v, "owner") and not isinstance(v, Constant):
        raise GraphError(f"pool: mlc needs {what} known when the graph is built, got the variable {v}{built_at(v)}")
    t = tuple(int(x) for x in np.asarray(v).reshape(-1))
    if len(t) != nd:
        raise ValueError(f"pool: {what} must have {nd} entries, got {v!r}")
    return t


def _window_counts(x, p, w: Window, mode: str):
    """The number of elements each window averages over, shaped to broadcast against the pooled result."""
    from mlc.tensor.alloc import arange
    from mlc.tensor.elemwise import cast, maximum, minimum

    nd = w.ndim
    nlead = x.ndim - nd
    count = None
    for i in range(nd):
        j = arange(p.shape[nlead + i])
        length = x.shape[nlead + i]
        pad = w.pads_lo[i]
        start = j * w.strides[i]
        end = minimum(start + w.window[i], length + 2 * pad)
        if mode == "average_exc_pad":
            start = maximum(start, pad)
            end = minimum(end, length + pad)
        c = end - start
        pattern = ["x"] * (nlead + nd)
        pattern[nlead + i] = 0
        c = c.dimshuffle(*pattern)
        count = c if count is None else count * c
    return cast(count, x.dtype)


def pool(input, ws, ignore_border, stride, pad, mode: str, nd: int):
    """Pool the last `nd` dims of `input` (see the module doc)."""
    x = as_tensor_variable(input)
    if mode == "max_deterministic":
        mode = "max"
    if mode not in MODES:
        raise ValueError(f"Pool mode parameter only support 'max', 'sum', 'average_inc_pad' and 'average_exc_pad'. "
                         f"Got {mode}")
    if x.ndim < nd:
        raise NotImplementedError(f"pool_{nd}d requires a dimension >= {nd}")
    ws = _ints(ws, nd, "ws")
    stride = ws if stride is None else _ints(stride, nd, "stride")
    pad = (0,) * nd if pad is None else _ints(pad, nd, "pad")
    if max(pad) != 0 and not ignore_border:
        raise NotImplementedError("padding works only with ignore_border=True")
    if any(p >= k for p, k in zip(pad, ws)):
        raise NotImplementedError("padding must be smaller than strides")
    w = Window(ws, stride, (1,) * nd, pad, pad, ceil=not ignore_border)
    p = patches(x, w, pad="lowest" if mode == "max" else "zero", strict=False)
    axes = tuple(range(x.ndim, x.ndim + nd))
    if mode == "max":
        out = p.max(axis=axes)
    else:
        out = p.sum(axis=axes)
        if mode != "sum":
            out = out / _window_counts(x, out, w, mode)
    from mlc.tensor.elemwise import cast

    return cast(out, x.dtype)


def _renamed(new, old, new_name: str, old_name: str, default=None):
    if old is not None:
        if new is not None and new != default:
            raise ValueError(f"You can't provide a tuple value to both '{old_name}' and '{new_name}'. "
                             f"Please provide a value only to '{new_name}'.")
        warnings.warn(f"DEPRECATION: the '{old_name}' parameter is not going to exist anymore as it is going to be "
                      f"replaced by the parameter '{new_name}'.", stacklevel=3)
        return old
    return new


def _ignore_border(ignore_border, nd: int) -> bool:
    if ignore_border is None:
        warnings.warn(f"pool_{nd}d() will have the parameter ignore_border default value changed to True "
                      f"(currently False). To have consistent behavior with all Theano version, explicitly add "
                      f"the parameter ignore_border=True.", stacklevel=3)
        return False
    return bool(ignore_border)


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Theano's pool_2d: pool the last 2 dims with windows `ws` (see the module doc)."""
    ws = _renamed(ws, ds, "ws", "ds")
    if ws is None:
        raise ValueError("You must provide a tuple value for the window size.")
    stride = _renamed(stride, st, "stride", "st")
    pad = _renamed(pad, padding, "pad", "padding", (0, 0))
    return pool(input, ws, _ignore_border(ignore_border, 2), stride, pad, mode, 2)


def pool_3d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0, 0), mode="max", ds=None, st=None,
            padding=None):
    """Theano's pool_3d: pool the last 3 dims with windows `ws`."""
    ws = _renamed(ws, ds, "ws", "ds")
    if ws is None:
        raise ValueError("You must provide a tuple value for the window size.")
    stride = _renamed(stride, st, "stride", "st")
    pad = _renamed(pad, padding, "pad", "padding", (0, 0, 0))
    return pool(input, ws, _ignore_border(ignore_border, 3), stride, pad, mode, 3)


def max_pool_2d_same_size(input, patch_size):
    """Keep each non-overlapping patch's maximum (every tie) in place and zero the rest (Theano's)."""
    from mlc.gradient import grad

    x = as_tensor_variable(input)
    z = pool(x, patch_size, True, None, (0, 0), "max", 2)
    # Theano's MaxPoolGrad(x, z, gz=z): the maximum routed back onto the positions that hold it
    return grad(None, x, known_grads={z: z})


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """The old signal.downsample.max_pool_2d spelling of pool_2d."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding, mode=mode)


__all__ = ["pool_2d", "pool_3d", "max_pool_2d_same_size", "max_pool_2d", "pool", "MODES"]
