"""Sliding-window graph ops: Patches (im2col) and Unpatches (col2im), each the other's gradient.

Convolution (`mlc.tensor.conv`) and pooling (`mlc.tensor.pool`) are built
from these and existing ops (dot, reshape, reductions), so their
gradients come from the rules already there. Both emit one mt op
(`mt.patches`, `mt.unpatches`; see `mlc.dialects.mt.window` for the
window semantics and the numpy meaning the `perform`s share).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlc.dialects.mt.window_spec import Window, patches_numpy, unpatches_numpy
from mlc.graph import Apply, GraphError, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import INTS
from mlc.tensor.elemwise import cast
from mlc.tensor.var import as_tensor_variable


def _logical_to_layout(perm: Sequence[int], logical: Sequence) -> tuple:
    return tuple(logical[p] for p in perm)


class Patches(Op):
    """x (lead..., L...) -> [lead..., O..., K...] permuted by `perm`: every window position read out.

    `pad` is "zero" or "lowest" (what positions outside x read: max
    pooling uses the lowest value). With `strict`, a window that fits
    nowhere (an output size < 1) is a shape error, as for a convolution.
    """

    __props__ = ("window", "perm", "pad", "strict")

    def __init__(self, window: Window, perm: Sequence[int] | None = None, pad: str = "zero", strict: bool = True):
        self.window = window
        self.perm = tuple(perm) if perm is not None else None
        self.pad = pad
        self.strict = strict

    def __str__(self) -> str:
        return f"Patches{{{self.window.window}, stride={self.window.strides}}}"

    def _perm(self, rank: int) -> tuple[int, ...]:
        return self.perm if self.perm is not None else tuple(range(rank))

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        w = self.window
        if x.ndim < w.ndim:
            raise GraphError(f"patches: expected an input with at least {w.ndim} dims, got {x.type}{built_at(x)}")
        nlead = x.ndim - w.ndim
        logical = [*x.broadcastable[:nlead], *([False] * w.ndim), *(k == 1 for k in w.window)]
        return Apply(self, [x], [TensorType(x.dtype, _logical_to_layout(self._perm(len(logical)), logical))])

    def perform(self, node, inputs):
        return [patches_numpy(np.asarray(inputs[0]), self.window, self.pad, self._perm(node.out.ndim))]

    def infer_shape(self, node, shapes, value):
        (s,) = shapes
        w = self.window
        nlead = len(s) - w.ndim
        out = w.out_shape(s[nlead:])
        if self.strict and any(o < 1 for o in out):
            raise ShapeError(f"{self}: an input of spatial shape {tuple(s[nlead:])} (padded by {w.pads_lo}/"
                             f"{w.pads_hi}) is smaller than the window {w.window} with dilation "
                             f"{w.dilations}{built_at(node.out)}")
        logical = [*s[:nlead], *out, *w.window]
        return [_logical_to_layout(self._perm(len(logical)), logical)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        op = ctx.add(mt.PatchesOp(operands[0], self.window, self._perm(node.out.ndim), self.pad))
        return [op.results[0]]

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        from mlc.tensor.shape import shape

        sizes = shape(x)[x.ndim - self.window.ndim:]
        return [Unpatches(self.window, self.perm)(g, sizes)]


class Unpatches(Op):
    """The adjoint of Patches: patch entries summed back onto the (lead..., L...) positions they read.

    `sizes` is the int vector of the spatial lengths L (they cannot be
    recovered from the patch counts).
    """

    __props__ = ("window", "perm")
    shape_value_inputs = (1,)

    def __init__(self, window: Window, perm: Sequence[int] | None = None):
        self.window = window
        self.perm = tuple(perm) if perm is not None else None

    def __str__(self) -> str:
        return f"Unpatches{{{self.window.window}, stride={self.window.strides}}}"

    def _perm(self, rank: int) -> tuple[int, ...]:
        return self.perm if self.perm is not None else tuple(range(rank))

    def _logical(self, layout: Sequence) -> list:
        perm = self._perm(len(layout))
        logical = [None] * len(layout)
        for j, p in enumerate(perm):
            logical[p] = layout[j]
        return logical

    def make_node(self, p, sizes) -> Apply:
        p, sizes = as_tensor_variable(p), as_tensor_variable(sizes)
        d = self.window.ndim
        if p.ndim < 2 * d:
            raise GraphError(f"unpatches: expected patches with at least {2 * d} dims, got {p.type}{built_at(p)}")
        if sizes.ndim != 1 or sizes.dtype not in INTS:
            raise TypeError(f"unpatches: expected an integer vector of {d} sizes, got {sizes.type}{built_at(sizes)}")
        sizes = cast(sizes, "int64")
        lead = self._logical(p.broadcastable)[: p.ndim - 2 * d]
        return Apply(self, [p, sizes], [TensorType(p.dtype, (*lead, *([False] * d)))])

    def perform(self, node, inputs):
        p, sizes = inputs
        return [unpatches_numpy(np.asarray(p), [int(n) for n in sizes], self.window, self._perm(p.ndim))]

    def infer_shape(self, node, shapes, value):
        w, d = self.window, self.window.ndim
        logical = self._logical(shapes[0])
        nlead = len(logical) - 2 * d
        sizes = tuple(int(n) for n in value(1))
        if len(sizes) != d or tuple(logical[nlead + d:]) != w.window or w.out_shape(sizes) != tuple(
                logical[nlead:nlead + d]):
            raise ShapeError(f"{self}: patches of shape {tuple(logical)} (logical order) do not come from an "
                             f"input of spatial shape {sizes}{built_at(node.out)}")
        return [(*logical[:nlead], *sizes)]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        op = ctx.add(mt.UnpatchesOp(operands[0], operands[1], self.window, self._perm(node.inputs[0].ndim)))
        return [op.results[0]]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [Patches(self.window, self.perm, "zero", strict=False)(g), None]


def patches(x, window: Window, perm=None, pad: str = "zero", strict: bool = True):
    return Patches(window, perm, pad, strict)(x)


__all__ = ["Patches", "Unpatches", "Window", "patches"]
