"""Theano's tensor.nnet.neighbours: images2neibs / neibs2images, on mt.patches / mt.unpatches.

images2neibs(x, (c, d), step) lists every c x d window of every image
plane of a 4-d x as one row of a (N*C*rows*cols, c*d) matrix (windows in
row-major order), which is `mt.patches` reshaped (a view). The gradient is
`mt.unpatches` (overlapping windows accumulate), Theano's too.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Constant, GraphError, built_at
from mlc.tensor.var import as_tensor_variable
from mlc.tensor.window import Unpatches, Window, patches

MODES = ("valid", "ignore_borders", "half", "full")


def _pair(v, what: str) -> tuple[int, int]:
    if isinstance(v, Constant):
        v = np.asarray(v.data).tolist()
    if hasattr(v, "owner"):
        raise GraphError(f"images2neibs: mlc needs {what} known when the graph is built, got {v}{built_at(v)}")
    t = tuple(int(x) for x in np.asarray(v).reshape(-1))
    if len(t) != 2 or min(t) <= 0:
        raise ValueError(f"images2neibs: {what} must be 2 positive ints, got {v!r}")
    return t  # type: ignore[return-value]


def _window(neib_shape, neib_step, mode: str) -> Window:
    if mode not in MODES:
        if mode == "wrap_centered":
            raise NotImplementedError("images2neibs: mode 'wrap_centered' is not supported by mlc")
        raise TypeError(f"Images2Neibs: unknow mode '{mode}'")
    c, d = _pair(neib_shape, "neib_shape")
    step = (c, d) if neib_step is None else _pair(neib_step, "neib_step")
    pads = {"half": (c // 2, d // 2), "full": (c - 1, d - 1)}.get(mode, (0, 0))
    return Window((c, d), step, (1, 1), pads, pads)


def images2neibs(ten4, neib_shape, neib_step=None, mode="valid"):
    """Every neib_shape window (moved by neib_step, default neib_shape) of each image plane, one per row.

    Modes: 'valid' (windows inside the image), 'ignore_borders' (the same;
    Theano's 'valid' also requires the windows to tile the image exactly,
    which mlc does not check), 'half' and 'full' (zero padding of c // 2
    and c - 1). 'wrap_centered' is not supported.
    """
    x = as_tensor_variable(ten4)
    if x.ndim != 4:
        raise TypeError(f"images2neibs: expected a 4-d tensor, got {x.type}{built_at(x)}")
    w = _window(neib_shape, neib_step, mode)
    from mlc.tensor.shape import reshape

    p = patches(x, w)
    s = p.shape
    return reshape(p, [s[0] * s[1] * s[2] * s[3], w.window[0] * w.window[1]], ndim=2)


def neibs2images(neibs, neib_shape, original_shape, mode="valid"):
    """The inverse of images2neibs with neib_step = neib_shape: the rows put back in their windows.

    Modes 'valid' and 'ignore_borders' (positions no window covers are 0).
    """
    if mode not in ("valid", "ignore_borders"):
        raise NotImplementedError(f"neibs2images do not support mode={mode}")
    neibs = as_tensor_variable(neibs)
    w = _window(neib_shape, None, mode)
    from mlc.tensor.shape import reshape, stack
    from mlc.tensor.elemwise import cast

    shape = [cast(as_tensor_variable(e), "int64") for e in list(original_shape)] if isinstance(
        original_shape, (tuple, list)) else [as_tensor_variable(original_shape)[i] for i in range(4)]
    c, d = w.window
    rows = (shape[2] - c) // c + 1
    cols = (shape[3] - d) // d + 1
    p = reshape(neibs, [shape[0], shape[1], rows, cols, c, d], ndim=6)
    return Unpatches(w)(p, stack([shape[2], shape[3]]))


__all__ = ["images2neibs", "neibs2images"]
