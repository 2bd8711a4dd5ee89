"""Theano's tensor.nnet.neighbours: images2neibs / neibs2images, on mt.patches / mt.unpatches.

images2neibs(x, (c, d), step) lists every c x d window of every image
plane of a 4-d x as one row of a (N*C*rows*cols, c*d) matrix (windows in
row-major order), which is `mt.patches` reshaped (a view). The gradient is
`mt.unpatches` (overlapping windows accumulate), Theano's too.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, Constant, GraphError, Op, ShapeError, built_at
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable
from mlc.tensor.window import Unpatches, Window, patches

MODES = ("valid", "ignore_borders", "half", "full", "wrap_centered")


class NeibsShapeError(ShapeError, TypeError):
    """Image and window sizes Images2Neibs rejects (Theano raises TypeError, mlc's shape errors are ValueErrors)."""


class NeibsCheck(Op):
    """The image passed through unchanged, after Theano's size checks for its mode.

    Theano's Images2Neibs checks the image's spatial sizes when it runs:
    'valid', 'half' and 'full' need the windows to tile the (padded) image
    exactly, 'wrap_centered' needs an image at least as large as the
    window. mlc builds images2neibs from padding and `patches`, which would
    accept those sizes, so this identity op states the checks (they run
    with the other shape rules, before any kernel).
    """

    __props__ = ("mode", "window", "step")

    def __init__(self, mode: str, window: tuple[int, int], step: tuple[int, int]):
        self.mode, self.window, self.step = mode, window, step

    def make_node(self, x) -> Apply:
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        self.check(inputs[0].shape, node)
        return [inputs[0]]

    def infer_shape(self, node, shapes, value):
        self.check(shapes[0], node)
        return [shapes[0]]

    def check(self, shape, node) -> None:
        if self.mode == "wrap_centered":
            (c, d), (h, w) = self.window, shape[2:]
            if h < c or w < d:
                raise NeibsShapeError(
                    "Images2Neibs: in wrap_centered mode, don't support image shapes smaller then the patch "
                    f"shapes: neib_shape=({c},{d}), ten4[2:]=[{h},{w}]{built_at(node.inputs[0])}")
            return
        for k in range(2):
            c, step, size = self.window[k], self.step[k], shape[2 + k]
            extent = {"valid": size - c, "half": size - c % 2, "full": size + c - 2}[self.mode]
            if size < c or extent % step:
                raise NeibsShapeError(f"neib_shape[{k}]={c}, neib_step[{k}]={step} and ten4.shape[{2 + k}]={size} "
                                      f"not consistent{built_at(node.inputs[0])}")

    def emit(self, ctx, node, operands):
        return [operands[0]]

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


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
        raise NotImplementedError(f"Only modes {', '.join(MODES)} have been implemented for Images2Neibs, got {mode!r}")
    c, d = _pair(neib_shape, "neib_shape")
    step = (c, d) if neib_step is None else _pair(neib_step, "neib_step")
    if mode == "wrap_centered" and (c % 2 != 1 or d % 2 != 1):
        raise TypeError("Images2Neibs: in mode wrap_centered need patch with odd shapes")
    pads = {"half": (c // 2, d // 2), "full": (c - 1, d - 1)}.get(mode, (0, 0))
    return Window((c, d), step, (1, 1), pads, pads)


def images2neibs(ten4, neib_shape, neib_step=None, mode="valid"):
    """Every neib_shape window (moved by neib_step, default neib_shape) of each image plane, one per row.

    Modes (Theano's): 'valid' (windows inside the image, which they must
    tile exactly), 'ignore_borders' (the windows that fit), 'half' and
    'full' (zero padding of c // 2 and c - 1; the windows must tile the
    padded image), 'wrap_centered' (odd windows centred on every step-th
    pixel, reading across the borders as if the image were a torus).
    """
    x = as_tensor_variable(ten4)
    if x.ndim != 4:
        raise TypeError(f"images2neibs: expected a 4-d tensor, got {x.type}{built_at(x)}")
    w = _window(neib_shape, neib_step, mode)
    from mlc.tensor.shape import reshape

    if mode != "ignore_borders":
        x = NeibsCheck(mode, w.window, w.strides)(x)
    if mode == "wrap_centered":
        x, w = _wrap(x, w), Window(w.window, w.strides, (1, 1), (0, 0), (0, 0))
    p = patches(x, w)
    s = p.shape
    return reshape(p, [s[0] * s[1] * s[2] * s[3], w.window[0] * w.window[1]], ndim=2)


def _wrap(x, w: Window):
    """x extended along both image axes by the rows/columns a wrapped window reads.

    Window (a, b) starts at a * step - c // 2 (modulo the size); with
    ceil(size / step) windows, the last one ends `extra` = (n - 1) * step
    + c // 2 + 1 - size past the end. Prepending the last c // 2 and
    appending the first max(extra, 0) entries makes those windows the
    'valid' windows of the result (and no others: see the test).
    """
    from mlc.tensor.elemwise import maximum
    from mlc.tensor.shape import concatenate

    for axis, (c, step) in enumerate(zip(w.window, w.strides), start=2):
        size = x.shape[axis]
        n = (size + step - 1) // step
        extra = maximum((n - 1) * step + c // 2 + 1 - size, 0)
        front = [slice(None)] * axis + [slice(size - c // 2, None)]
        back = [slice(None)] * axis + [slice(0, extra)]
        x = concatenate([x[tuple(front)], x, x[tuple(back)]], axis=axis)
    return x


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


class Images2Neibs(TheanoOpClass):
    """Theano's Images2Neibs(mode)(ten4, neib_shape, neib_step=None): images2neibs(..., mode=mode)."""

    __props__ = ("mode",)

    def __init__(self, mode="valid"):
        self.mode = mode

    def build(self, ten4, neib_shape, neib_step=None):
        return images2neibs(ten4, neib_shape, neib_step, mode=self.mode)


__all__ = ["Images2Neibs", "images2neibs", "neibs2images"]
