"""Convolutions (Theano's tensor.nnet.abstract_conv, nnet.conv): im2col + one gemm per group.

`conv2d(x, w)` for x (N, C, H, W) and filters w (F, C/groups, KH, KW):
`mt.patches` reads x out as (N, OH, OW, C, KH, KW), a (N*OH*OW, C*KH*KW)
matrix once reshaped (a view), which multiplies the transposed filters
(C*KH*KW, F) in one BLAS gemm per group, giving (N, OH, OW, F),
transposed to (N, F, OH, OW) by the consumer. With few patch rows
(C*KH*KW <= SMALL_PATCH, a first layer) the product is taken the other
way round, (F, C*KH*KW) @ (C*KH*KW, N*OH*OW), which OpenBLAS runs faster
there. Padding, strides and dilation are the window's; with
filter_flip (the default, a true convolution) the filters are reversed
first. The gradients are those of the pieces: the filters' is a gemm
with the patches, the input's a gemm followed by `mt.unpatches` (col2im).

The window is static when the filters' spatial sizes are known when the
graph is built: from `filter_shape`, a constant, or a shared variable's
value (a run-time shape that disagrees is a shape error). Filters whose
sizes are known only at run time (a symbolic tensor without
`filter_shape`, as Theano allows) take `_convolve_dynamic`: the same
im2col + gemm, the patches gathered with index arrays computed from the
run-time shapes (padding, strides, dilation, groups, flip as above), so
one compiled function serves every filter size, gradients included
(those of the gather, a scatter-add). The static path stays the fast
one (its patches are a strided view, not a gather).

Unshared (locally connected, 2-d only as in Theano) convolutions take
filters (F, OH, OW, C/groups, KH, KW), one kernel per output position:
the patches laid out (OH*OW, N, C*KH*KW) times the filters laid out
(OH*OW, C*KH*KW, F), a batched product over the positions. Their
kernel sizes may also be known only at run time (`_unshared_dynamic`:
the patches by the same gather); `UnsharedCheck` raises Theano's
ValueError when the filters' (OH, OW) are not the output size, from the
static window or from the one the run-time kernel sizes give. Channel and
filter counts that do not fit the groups are Theano's ValueErrors too
(`ChannelCheck`; with one group and static kernel sizes the gemm refuses
them), never a product over part of the channels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mlc.graph import Apply, Constant, Op, ShapeError, built_at
from mlc.graph.dtype import upcast
from mlc.tensor.elemwise import cast
from mlc.tensor.var import as_tensor_variable
from mlc.tensor.window import Window, patches


def _known_int(v) -> int | None:
    if v is None:
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, Constant):
        return int(np.asarray(v.data))
    return None


SMALL_PATCH = 64
"""Patch rows (C * prod(kernel)) up to which the filters come first in the gemm (measured with OpenBLAS:
LeNet's first layer, 25 rows, runs 4x faster that way; its second, 500 rows, 2-10x slower)."""


def _filter_dims(w, filter_shape) -> list:
    """The filters' dims where known when the graph is built (else None)."""
    if filter_shape is not None:
        return [_known_int(s) for s in filter_shape]
    if isinstance(w, Constant):
        return list(np.shape(w.data))
    get_value = getattr(w, "get_value", None)
    if get_value is not None:
        return list(np.shape(get_value(borrow=True)))
    return [None] * w.ndim


def _kernel_sizes(w, filter_shape, d: int, who: str) -> tuple[int, ...] | None:
    """The filters' spatial sizes when known when the graph is built, else None."""
    if filter_shape is not None:
        sizes = [_known_int(s) for s in list(filter_shape)[-d:]]
        if all(s is not None for s in sizes):
            return tuple(sizes)  # type: ignore[arg-type]
    if isinstance(w, Constant):
        return tuple(np.shape(w.data)[-d:])
    get_value = getattr(w, "get_value", None)
    if get_value is not None:
        return tuple(np.shape(get_value(borrow=True))[-d:])
    return None  # known at run time only: `_convolve_dynamic`


def _pads(border_mode, kernel: Sequence[int], dilation: Sequence[int], who: str) -> list[tuple[int, int]]:
    """Theano's border_mode for dilated kernel extents: (before, after) per spatial dim."""
    d = len(kernel)
    extent = [(k - 1) * r + 1 for k, r in zip(kernel, dilation)]
    if isinstance(border_mode, str):
        if border_mode == "valid":
            return [(0, 0)] * d
        if border_mode == "full":
            return [(e - 1, e - 1) for e in extent]
        if border_mode == "half":
            return [(e // 2, e // 2) for e in extent]
        raise ValueError(f"{who}: invalid border_mode {border_mode!r}, expected 'valid', 'full', 'half', an int "
                         f"or a tuple of {d}")
    if isinstance(border_mode, (int, np.integer)):
        if border_mode < 0:
            raise ValueError(f"{who}: border_mode must be >= 0, got {border_mode}")
        return [(int(border_mode), int(border_mode))] * d
    if isinstance(border_mode, (tuple, list)) and len(border_mode) == d:
        out = []
        for m in border_mode:
            if isinstance(m, (int, np.integer)) and m >= 0:
                out.append((int(m), int(m)))
            elif isinstance(m, (tuple, list)) and len(m) == 2 and min(m) >= 0 and d == 2:
                out.append((int(m[0]), int(m[1])))
            else:
                raise ValueError(f"{who}: invalid border_mode {border_mode!r}: entries must be ints >= 0 or (for "
                                 f"2-d) pairs of ints")
        return out
    raise ValueError(f"{who}: invalid border_mode {border_mode!r}, expected 'valid', 'full', 'half', an int or a "
                     f"tuple of {d}")


def _tuple(v, d: int, what: str, who: str) -> tuple[int, ...]:
    t = tuple(int(x) for x in (v if isinstance(v, (tuple, list)) else (v,) * d))
    if len(t) != d or min(t) < 1:
        raise ValueError(f"{who}: {what} must be {d} ints >= 1, got {v!r}")
    return t


def _out_size(window: Window, i: int, length):
    """Patches along spatial dim i, from the input's symbolic length (so no shape reads the patches)."""
    shift, least = window.out_rule(i)
    from mlc.tensor.elemwise import maximum

    return maximum((length + shift) // window.strides[i] + 1, least)


def _flip(w, d: int):
    return w[(slice(None), slice(None), *([slice(None, None, -1)] * d))]


class ChannelCheck(Op):
    """The filters w, unchanged, after Theano's checks of x's channels and w's filter count against the
    groups (its ValueErrors, where a product over part of the channels would give garbage)."""

    __props__ = ("groups",)

    def __init__(self, groups: int):
        self.groups = int(groups)

    def make_node(self, w, x) -> Apply:
        return Apply(self, [w, x], [w.type])

    def perform(self, node, inputs):
        self.check(node, inputs[0].shape, inputs[1].shape)
        return [inputs[0]]

    def infer_shape(self, node, shapes, value):
        self.check(node, *shapes)
        return [shapes[0]]

    def check(self, node, wshape, xshape) -> None:
        g, channels = self.groups, wshape[len(wshape) - len(xshape) + 1]  # (F, [O...,] C/g, K...)
        if xshape[1] % g:
            raise ShapeError(f"number of input channels must be divisible by num_groups: {xshape[1]} channels, "
                             f"{g} groups{built_at(node.inputs[0])}")
        if wshape[0] % g:
            raise ShapeError(f"number of filters must be divisible by num_groups: {wshape[0]} filters, {g} groups"
                             f"{built_at(node.inputs[0])}")
        if xshape[1] // g != channels:
            raise ShapeError(f"the number of input channels in the kernel should specify the number of channels "
                             f"of 1 group: {channels} in the kernel, {xshape[1]} // {g} in the input"
                             f"{built_at(node.inputs[0])}")

    def emit(self, ctx, node, operands):
        return [operands[0]]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        return [output_grads[0], None]


class UnsharedCheck(ChannelCheck):
    """The unshared filters, unchanged, after Theano's check that they hold one kernel per output position,
    then `ChannelCheck`'s.

    The window is the static one, or (window None: kernel sizes known at run time) the one built from the
    filters' run-time kernel sizes and the border mode, strides and dilation."""

    __props__ = ("window", "groups", "border_mode", "strides", "dilation")

    def __init__(self, window: Window | None, groups: int = 1, border_mode=None, strides=None, dilation=None):
        super().__init__(groups)
        self.window = window
        if isinstance(border_mode, (tuple, list)):  # hashable, for __props__
            border_mode = tuple(tuple(m) if isinstance(m, (tuple, list)) else m for m in border_mode)
        self.border_mode, self.strides, self.dilation = border_mode, strides, dilation

    def window_for(self, wshape) -> Window:
        if self.window is not None:
            return self.window
        kernel = tuple(int(k) for k in wshape[-len(self.strides):])
        if min(kernel) < 1:
            raise ShapeError(f"conv2d: unshared filters of shape {tuple(wshape)}: kernel sizes must be >= 1")
        pads = _pads(self.border_mode, kernel, self.dilation, "conv2d")
        return Window(kernel, self.strides, self.dilation, tuple(p[0] for p in pads), tuple(p[1] for p in pads))

    def check(self, node, wshape, xshape) -> None:
        window = self.window_for(wshape)
        d = window.ndim
        out = tuple(max(o, 0) for o in window.out_shape(xshape[2:]))
        if tuple(wshape[1:1 + d]) != out:
            raise ShapeError(f"Kernel shape {tuple(wshape[1:1 + d])} does not match computed output size {out}"
                             f"{built_at(node.inputs[0])}")
        super().check(node, wshape, xshape)


def convolve(x, w, *, d: int, border_mode="valid", subsample=None, filter_flip=True, filter_dilation=None,
             num_groups=1, filter_shape=None, input_shape=None, unshared=False, who="conv2d"):
    """The d-dim convolution of x (N, C, S...) with w (F, C/num_groups, K...); see the module doc."""
    x, w = as_tensor_variable(x), as_tensor_variable(w)
    if unshared and d != 2:
        raise NotImplementedError(f"Unshared convolution not implemented for {d}D")
    wdims = d + 2 + (d if unshared else 0)
    if x.ndim != d + 2:
        raise TypeError(f"{who}: img must be {d + 2}D tensor, got {x.type}{built_at(x)}")
    if w.ndim != wdims:
        raise TypeError(f"{who}: kern must be {wdims}D tensor{' for unshared convolution' if unshared else ''}, "
                        f"got {w.type}{built_at(w)}")
    strides = _tuple(subsample if subsample is not None else 1, d, "subsample", who)
    dilation = _tuple(filter_dilation if filter_dilation is not None else 1, d, "filter_dilation", who)
    if int(num_groups) < 1:
        raise ValueError(f"{who}: num_groups must be >= 1, got {num_groups}")
    kernel = _kernel_sizes(w, filter_shape, d, who)
    if kernel is None and not unshared:
        return _convolve_dynamic(x, w, d, border_mode, strides, dilation, int(num_groups), filter_flip, who)
    if kernel is None:
        _pads(border_mode, [1] * d, [1] * d, who)  # a bad border_mode is refused when the graph is built
    else:
        pads = _pads(border_mode, kernel, dilation, who)
        window = Window(kernel, strides, dilation, tuple(p[0] for p in pads), tuple(p[1] for p in pads))
    out_dtype = x.dtype
    dtype = upcast(x.dtype, w.dtype)
    channels = _known_int(_filter_dims(w, filter_shape)[1])  # of the filters as given (a shared value's), before the flip
    x, w = cast(x, dtype), cast(w, dtype)
    if filter_flip:
        w = _flip(w, d) if not unshared else w[(*([slice(None)] * (d + 2)), *([slice(None, None, -1)] * d))]
    from mlc.tensor.contract import dot
    from mlc.tensor.shape import concatenate, reshape

    if unshared and kernel is None:  # kernel sizes known at run time: the patches by a gather
        w = UnsharedCheck(None, int(num_groups), border_mode, strides, dilation)(w, x)
        return cast(_unshared_dynamic(x, w, border_mode, strides, dilation, int(num_groups), who), out_dtype)
    ksize = math.prod(kernel)
    if unshared:
        w = UnsharedCheck(window, int(num_groups))(w, x)
        return cast(_unshared(x, w, window, int(num_groups), ksize), out_dtype)
    if int(num_groups) > 1:  # (with one group the gemm itself refuses channels that do not match)
        w = ChannelCheck(int(num_groups))(w, x)
    xs, ws = x.shape, w.shape
    outs = [_out_size(window, i, xs[2 + i]) for i in range(d)]
    n_pix = xs[0]
    for o in outs:
        n_pix = n_pix * o
    g = int(num_groups)
    rows, fs = ws[1] * ksize, ws[0] // g
    w2 = reshape(w, [ws[0], rows], ndim=2)
    if channels is not None and channels * ksize <= SMALL_PATCH:
        # few patch rows (a first layer): (F, C*K...) @ (C*K..., N*O...), patches laid out (C, K..., N, O...)
        cols = patches(x, window, (1, *range(2 + d, 2 + 2 * d), 0, *range(2, 2 + d)))
        cols2 = reshape(cols, [xs[1] * ksize, n_pix], ndim=2)
        if g == 1:  # no slices: a slice's gradient would be a zero-filled copy, its transpose another copy
            out2 = dot(w2, cols2)
        else:
            out2 = concatenate([dot(w2[i * fs:(i + 1) * fs], cols2[i * rows:(i + 1) * rows]) for i in range(g)], axis=0)
        out = reshape(out2, [ws[0], xs[0], *outs], ndim=d + 2).dimshuffle(1, 0, *range(2, 2 + d))
    else:
        # (N*O..., C*K...) @ (C*K..., F), patches laid out (N, O..., C, K...): the filters' gradient is
        # then (C*K..., N*O...) @ (N*O..., F), a shape BLAS runs well (its (F, N*O...) @ (N*O..., C*K...)
        # transpose runs up to 10x slower in OpenBLAS)
        cols = patches(x, window, (0, *range(2, 2 + d), 1, *range(2 + d, 2 + 2 * d)))
        out = _patches_first_product(reshape(cols, [n_pix, xs[1] * ksize], ndim=2), w2, g, rows, xs, ws, outs)
    return cast(out, out_dtype)


def _patches_first_product(cols2, w2, g: int, rows, xs, ws, outs):
    """The (N*O..., C*K...) patch matrix times the (F, C/g*K...) filters transposed, one gemm per group (one
    group: no slices, whose gradients would be zero-filled copies), as the (N, F, O...) result."""
    from mlc.tensor.contract import dot
    from mlc.tensor.shape import concatenate, reshape

    fs = ws[0] // g
    if g == 1:
        out2 = dot(cols2, w2.T)
    else:
        out2 = concatenate([dot(cols2[:, i * rows:(i + 1) * rows], w2[i * fs:(i + 1) * fs].T) for i in range(g)],
                           axis=1)
    d = len(outs)
    return reshape(out2, [xs[0], *outs, ws[0]], ndim=d + 2).dimshuffle(0, d + 1, *range(1, d + 1))


def _dynamic_pads(border_mode, kernel, dilation, who: str) -> list[tuple]:
    """`_pads` with symbolic kernel sizes: (before, after) per spatial dim (ints or scalars)."""
    d = len(kernel)
    if isinstance(border_mode, str) and border_mode in ("full", "half"):
        extent = [(k - 1) * r + 1 for k, r in zip(kernel, dilation)]
        if border_mode == "full":
            return [(e - 1, e - 1) for e in extent]
        return [(e // 2, e // 2) for e in extent]
    return _pads(border_mode, [1] * d, [1] * d, who)  # the rest does not depend on the kernel


def _gathered_patches(x, kernel, border_mode, strides, dilation, who: str):
    """im2col by a gather, for kernel sizes known at run time: (patches (N, C, O0, K0, O1, K1, ...), outs, ksize).

    Pad x (zeros of the run-time padded shape, x written inside), then for spatial dim i the rows read by
    output position o and kernel tap k are o * stride + k * dilation: one index array per dim, shaped to
    broadcast as (O0, K0, 1, 1, ...), (1, 1, O1, K1, ...), ..., so x_p[:, :, idx0, idx1, ...] is the patch
    tensor. `outs` are the output sizes (symbolic), `ksize` the product of the kernel sizes."""
    from mlc.tensor.alloc import arange, zeros
    from mlc.tensor.elemwise import maximum
    from mlc.tensor.subtensor import set_subtensor

    d = len(kernel)
    xs = x.shape
    pads = _dynamic_pads(border_mode, kernel, dilation, who)
    if any(not (isinstance(p, int) and p == 0) for pair in pads for p in pair):
        padded = [xs[2 + i] + pads[i][0] + pads[i][1] for i in range(d)]
        inner = tuple(slice(pads[i][0], pads[i][0] + xs[2 + i]) for i in range(d))
        x = set_subtensor(zeros([xs[0], xs[1], *padded], dtype=x.dtype)[(slice(None), slice(None), *inner)], x)
    ps = x.shape
    outs = [maximum((ps[2 + i] - (kernel[i] - 1) * dilation[i] - 1) // strides[i] + 1, 0) for i in range(d)]
    index = []
    for i in range(d):
        rows = (arange(outs[i]) * strides[i]).dimshuffle(0, "x") + (arange(kernel[i]) * dilation[i]).dimshuffle("x", 0)
        pattern = ["x"] * (2 * d)
        pattern[2 * i], pattern[2 * i + 1] = 0, 1
        index.append(rows.dimshuffle(*pattern))
    ksize = kernel[0]
    for k in kernel[1:]:
        ksize = ksize * k
    return x[(slice(None), slice(None), *index)], outs, ksize


def _convolve_dynamic(x, w, d: int, border_mode, strides, dilation, g: int, filter_flip: bool, who: str):
    """The convolution with filter sizes known at run time: the patches of `_gathered_patches` laid out
    (N, O..., C, K...), the (N*O..., C*K...) matrix that multiplies the filters (F, C/g*K...) transposed,
    one gemm per group."""
    from mlc.tensor.shape import reshape

    out_dtype = x.dtype
    dtype = upcast(x.dtype, w.dtype)
    x, w = cast(x, dtype), cast(w, dtype)
    if filter_flip:
        w = _flip(w, d)
    w = ChannelCheck(g)(w, x)
    xs, ws = x.shape, w.shape
    cols, outs, ksize = _gathered_patches(x, [ws[2 + i] for i in range(d)], border_mode, strides, dilation, who)
    order = (0, *range(2, 2 + 2 * d, 2), 1, *range(3, 3 + 2 * d, 2))  # (N, O..., C, K...)
    n_pix = xs[0]
    for o in outs:
        n_pix = n_pix * o
    cols2 = reshape(cols.dimshuffle(*order), [n_pix, xs[1] * ksize], ndim=2)
    rows = ws[1] * ksize
    w2 = reshape(w, [ws[0], rows], ndim=2)
    return cast(_patches_first_product(cols2, w2, g, rows, xs, ws, outs), out_dtype)


def _unshared(x, w, window: Window, g: int, ksize: int):
    """Locally connected 2-d: y[n, f, i, j] = sum over (c, u, v) of patch(n, i, j)[c, u, v] * w[f, i, j, c, u, v]."""
    from mlc.tensor.shape import reshape

    xs = x.shape
    oh, ow = (_out_size(window, i, xs[2 + i]) for i in range(2))
    cols = patches(x, window, (0, 2, 3, 1, 4, 5))  # (N, OH, OW, C, KH, KW)
    p = reshape(cols, [xs[0], oh * ow, xs[1] * ksize], ndim=3).dimshuffle(1, 0, 2)
    return _unshared_product(p, w, oh, ow, xs[0], g, ksize)


def _unshared_dynamic(x, w, border_mode, strides, dilation, g: int, who: str):
    """`_unshared` with kernel sizes known at run time: the patches of `_gathered_patches`
    (N, C, OH, KH, OW, KW) laid out (OH*OW, N, C*KH*KW)."""
    from mlc.tensor.shape import reshape

    xs, ws = x.shape, w.shape
    cols, (oh, ow), ksize = _gathered_patches(x, [ws[4], ws[5]], border_mode, strides, dilation, who)
    p = reshape(cols.dimshuffle(2, 4, 0, 1, 3, 5), [oh * ow, xs[0], xs[1] * ksize], ndim=3)
    return _unshared_product(p, w, oh, ow, xs[0], g, ksize)


def _unshared_product(p, w, oh, ow, n, g: int, ksize):
    """The patches p (OH*OW, N, C*K) times the filters w (F, OH, OW, C/g, KH, KW): one batched product over
    the output positions per group, giving (N, F, OH, OW)."""
    from mlc.tensor.contract import batched_dot
    from mlc.tensor.shape import concatenate, reshape

    ws = w.shape
    k = reshape(w, [ws[0], ws[1] * ws[2], ws[3] * ksize], ndim=3).dimshuffle(1, 2, 0)
    # (one group slices too: batched_dot on the slices' contiguous copies ran 1.5x faster than on the
    # strided views, forward + gradients of a 32x8x16x16 layer)
    rows, fs = ws[3] * ksize, ws[0] // g
    parts = [batched_dot(p[:, :, i * rows:(i + 1) * rows], k[:, :, i * fs:(i + 1) * fs]) for i in range(g)]
    out = parts[0] if g == 1 else concatenate(parts, axis=2)  # (OH*OW, N, F)
    return reshape(out, [oh, ow, n, ws[0]], ndim=4).dimshuffle(2, 3, 0, 1)


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
           filter_flip=True, filter_dilation=(1, 1), num_groups=1, unshared=False, image_shape=None, **kwargs):
    """Theano's conv2d: convolve (N, C, H, W) images with (F, C/num_groups, KH, KW) filters.

    border_mode 'valid' | 'full' | 'half' | int | (int or (before, after), ...);
    subsample (strides), filter_flip (True: a convolution, False: a
    correlation), filter_dilation, num_groups, unshared (filters
    (F, OH, OW, C/num_groups, KH, KW)). input_shape is a hint;
    filter_shape (or filters that are a constant or shared variable) gives
    the kernel size when the graph is built (the faster path); without it
    the kernel size is read at run time.
    """
    if image_shape is not None:
        if input_shape is not None:
            raise ValueError("conv2d: input_shape and image_shape should not be provided at the same time.")
        input_shape = image_shape
    return convolve(input, filters, d=2, border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                    filter_dilation=filter_dilation, num_groups=num_groups, filter_shape=filter_shape,
                    input_shape=input_shape, unshared=unshared, who="conv2d")


def conv3d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1, 1),
           filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    """Theano's conv3d: (N, C, D, H, W) images with (F, C/num_groups, KD, KH, KW) filters (see conv2d)."""
    return convolve(input, filters, d=3, border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                    filter_dilation=filter_dilation, num_groups=num_groups, filter_shape=filter_shape,
                    input_shape=input_shape, who="conv3d")


def _shape_entries(shape, n: int, who: str):
    entries = list(shape)
    if len(entries) != n:
        raise ValueError(f"{who}: expected a shape of {n} entries, got {shape!r}")
    if any(e is None for e in entries):
        raise ValueError(f"{who}: mlc needs every entry of the shape {shape!r} (None given)")
    return tuple(e if isinstance(e, (int, np.integer)) else cast(as_tensor_variable(e), "int64") for e in entries)


def _grad_wrt_inputs(output_grad, filters, input_shape, d, who, **kw):
    from mlc.gradient import grad
    from mlc.tensor.alloc import zeros

    output_grad, filters = as_tensor_variable(output_grad), as_tensor_variable(filters)
    dtype = output_grad.dtype
    x = zeros(_shape_entries(input_shape, d + 2, who), dtype=dtype)
    out = convolve(x, filters, d=d, who=who, **kw)
    return grad((out * output_grad).sum(), x)


def _grad_wrt_weights(input, output_grad, filter_shape, d, who, **kw):
    from mlc.gradient import grad
    from mlc.tensor.alloc import zeros

    input, output_grad = as_tensor_variable(input), as_tensor_variable(output_grad)
    w = zeros(_shape_entries(filter_shape, d + 2 + (d if kw.get("unshared") else 0), who), dtype=input.dtype)
    out = convolve(input, w, d=d, who=who, filter_shape=filter_shape, **kw)
    return grad((out * output_grad).sum(), w)


def conv2d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None, border_mode="valid",
                           subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1, unshared=False):
    """The gradient of conv2d(x, filters) with respect to x (of `input_shape`) for the output gradient."""
    return _grad_wrt_inputs(output_grad, filters, input_shape, 2, "conv2d_grad_wrt_inputs", filter_shape=filter_shape,
                            border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                            filter_dilation=filter_dilation, num_groups=num_groups, unshared=unshared)


def conv2d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None, border_mode="valid",
                            subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1,
                            unshared=False):
    """The gradient of conv2d(input, w) with respect to the filters w (of `filter_shape`)."""
    return _grad_wrt_weights(input, output_grad, filter_shape, 2, "conv2d_grad_wrt_weights",
                             border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                             filter_dilation=filter_dilation, num_groups=num_groups, unshared=unshared)


def conv3d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None, border_mode="valid",
                           subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    return _grad_wrt_inputs(output_grad, filters, input_shape, 3, "conv3d_grad_wrt_inputs", filter_shape=filter_shape,
                            border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                            filter_dilation=filter_dilation, num_groups=num_groups)


def conv3d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None, border_mode="valid",
                            subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    return _grad_wrt_weights(input, output_grad, filter_shape, 3, "conv3d_grad_wrt_weights",
                             border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                             filter_dilation=filter_dilation, num_groups=num_groups)


def conv2d_transpose(input, filters, output_shape, filter_shape=None, border_mode="valid", input_dilation=(1, 1),
                     filter_flip=True, filter_dilation=(1, 1), num_groups=1, unshared=False):
    """The transposed convolution: conv2d_grad_wrt_inputs of `input` with the output of `output_shape`."""
    return conv2d_grad_wrt_inputs(input, filters, output_shape, filter_shape, border_mode, input_dilation,
                                  filter_flip, filter_dilation, num_groups, unshared)


def old_conv2d(input, filters, image_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1),
               **kwargs):
    """theano.tensor.nnet.conv.conv2d (deprecated there): a true convolution, border_mode 'valid' or 'full'."""
    if border_mode not in ("valid", "full"):
        raise ValueError(f"conv.conv2d: border_mode must be 'valid' or 'full', got {border_mode!r}")
    return convolve(input, filters, d=2, border_mode=border_mode, subsample=subsample, filter_flip=True,
                    filter_shape=filter_shape, input_shape=image_shape, who="conv.conv2d")


__all__ = ["conv2d", "conv3d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "conv3d_grad_wrt_inputs",
           "conv3d_grad_wrt_weights", "conv2d_transpose", "old_conv2d", "convolve"]


# ----------------------------------------------------------------------------
# Theano's abstract_conv helpers
# ----------------------------------------------------------------------------


def assert_shape(x, expected_shape, msg="Unexpected shape."):
    """Theano's assert_shape: x, checked at run time to have `expected_shape` (None entries unchecked)
    when config.conv__assert_shape is on (Theano's default: off, and then x itself)."""
    from mlc.config import config
    from mlc.tensor.compose import Assert
    from mlc.tensor.elemwise import eq

    if expected_shape is None or not config.conv__assert_shape:
        return x
    x = as_tensor_variable(x)
    tests = [eq(x.shape[i], expected_shape[i]) for i in range(x.ndim) if expected_shape[i] is not None]
    return Assert(msg)(x, *tests) if tests else x


def bilinear_kernel_1D(ratio, normalize=True):  # noqa: N802 (Theano's name)
    """Theano's bilinear_kernel_1D: the 1-d bilinear upsampling kernel [1, 2, ..., ratio, ..., 2, 1]
    (floatX), divided by `ratio` when `normalize`; `ratio` may be symbolic."""
    from mlc.config import config
    from mlc.tensor.alloc import arange
    from mlc.tensor.shape import concatenate

    half = arange(1, ratio + 1, dtype=config.floatX)
    kern = concatenate([half, half[-2::-1]])
    return kern / cast(ratio, config.floatX) if normalize else kern


def bilinear_kernel_2D(ratio, normalize=True):  # noqa: N802 (Theano's name)
    """Theano's bilinear_kernel_2D: the outer product of the 1-d kernels for (rows, columns); `ratio` is
    one number or a (vertical, horizontal) pair."""
    ratio_v, ratio_h = ratio if isinstance(ratio, tuple) else (ratio, ratio)
    hkern = bilinear_kernel_1D(ratio_h, normalize).dimshuffle("x", 0)
    vkern = bilinear_kernel_1D(ratio_v, normalize).dimshuffle(0, "x")
    return vkern * hkern


__all__ += ["assert_shape", "bilinear_kernel_1D", "bilinear_kernel_2D"]
