"""Theano's nnet.abstract_conv classes and shape helpers, over mlc's convolutions (mlc.tensor.conv).

`AbstractConv2d(imshp, kshp, border_mode, subsample, filter_flip, filter_dilation, num_groups, unshared)(img,
kern)` is `conv2d` with those settings (`imshp`/`kshp` the shape hints);
`AbstractConv2d_gradInputs(...)(kern, topgrad, shape)` the gradient with respect to an image of spatial
size `shape`, `AbstractConv2d_gradWeights(...)(img, topgrad, shape)` the one with respect to filters of
spatial size `shape`; likewise 3d and the dimension-generic `AbstractConv*(convdim, ...)`. Calling one builds
mlc's graph (they are graph builders, not ops of their own: the graph is that of `conv2d` and its gradients).
The constructor arguments are checked and normalized as Theano does (an int border_mode becomes a tuple,
an all-zero one 'valid').

`separable_conv2d`/`3d` (depthwise then pointwise), `causal_conv1d` and `bilinear_upsampling` /
`frac_bilinear_upsampling` are built from them as in Theano.

The `get_conv_*_shape` functions compute shapes from shapes (ints, None where unknown, or symbolic scalars)
with Theano's arithmetic (its gradweights shape divides by the dilation with `/`, as Theano 1.0.5 does).
"""

from __future__ import annotations

import numpy as np

from mlc.tensor.conv import _grad_wrt_inputs, _grad_wrt_weights, convolve


def _is(v, value) -> bool:
    """v is the Python value `value` (a symbolic v never is: comparing it would build a graph)."""
    return isinstance(v, (int, np.integer, str)) and v == value


def _pads_1axis(border_mode, dil_kernel_shape):
    if _is(border_mode, "half"):
        return dil_kernel_shape // 2, dil_kernel_shape // 2
    if _is(border_mode, "full"):
        return dil_kernel_shape - 1, dil_kernel_shape - 1
    if _is(border_mode, "valid"):
        return 0, 0
    pad_l, pad_r = border_mode if isinstance(border_mode, tuple) else (border_mode, border_mode)
    if any(isinstance(p, (int, np.integer)) and p < 0 for p in (pad_l, pad_r)):
        raise ValueError("border_mode must be >= 0")
    return pad_l, pad_r


def get_conv_shape_1axis(image_shape, kernel_shape, border_mode, subsample, dilation=1):
    """The convolution's output size along one axis (None if any argument is None)."""
    if any(v is None for v in (image_shape, kernel_shape, border_mode, subsample, dilation)):
        return None
    dil_kernel_shape = (kernel_shape - 1) * dilation + 1
    pad_l, pad_r = _pads_1axis(border_mode, dil_kernel_shape)
    out = image_shape - dil_kernel_shape
    for p in (pad_l, pad_r):
        if not _is(p, 0):
            out = out + p
    if not _is(subsample, 1):
        out = out // subsample
    return out + 1


def _per_axis(fn, a, b, border_mode, subsample, filter_dilation):
    if filter_dilation is None:
        filter_dilation = np.ones(len(subsample), dtype="int")
    modes = border_mode if isinstance(border_mode, tuple) else (border_mode,) * len(subsample)
    return tuple(fn(a[i], b[i], modes[i], subsample[i], filter_dilation[i]) for i in range(len(subsample)))


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample, filter_dilation=None):
    """(batch, filters, spatial output sizes...) of a convolution (kernel_shape 4/5 entries, or 6 unshared)."""
    convdim = len(image_shape) - 2
    return (image_shape[0], kernel_shape[0]) + _per_axis(get_conv_shape_1axis, image_shape[2:],
                                                         kernel_shape[-convdim:], border_mode, subsample,
                                                         filter_dilation)


def get_conv_gradweights_shape_1axis(image_shape, top_shape, border_mode, subsample, dilation):
    """The kernel size along one axis from the image and output sizes: None where it is not determined
    (subsample > 1, border_mode 'half', or an argument None)."""
    if any(v is None for v in (image_shape, top_shape, border_mode, subsample, dilation)):
        return None
    if not _is(subsample, 1) or _is(border_mode, "half"):
        return None
    if _is(border_mode, "full"):
        kernel_shape = top_shape - image_shape
    elif _is(border_mode, "valid"):
        kernel_shape = image_shape - top_shape
    else:
        pad_l, pad_r = _pads_1axis(border_mode, None)
        kernel_shape = image_shape + pad_l + pad_r - top_shape
    if dilation > 1:
        kernel_shape = kernel_shape / dilation  # Theano 1.0.5's true division
    return kernel_shape + 1


def get_conv_gradweights_shape(image_shape, top_shape, border_mode, subsample, filter_dilation=None, num_groups=1,
                               unshared=False):
    """The filters' shape from the image and output shapes (None entries where not determined)."""
    nkern, nchan = image_shape[1], top_shape[1]
    if num_groups > 1:
        nchan = nchan // num_groups
    out = _per_axis(get_conv_gradweights_shape_1axis, image_shape[2:], top_shape[2:], border_mode, subsample,
                    filter_dilation)
    if unshared:
        return (nchan,) + tuple(top_shape[2:]) + (nkern,) + out
    return (nchan, nkern) + out


def get_conv_gradinputs_shape_1axis(kernel_shape, top_shape, border_mode, subsample, dilation):
    """The image size along one axis from the kernel and output sizes (None where subsample > 1)."""
    if any(v is None for v in (kernel_shape, top_shape, border_mode, subsample, dilation)):
        return None
    if not _is(subsample, 1):
        return None
    dil_kernel_shape = (kernel_shape - 1) * dilation + 1
    pad_l, pad_r = _pads_1axis(border_mode, dil_kernel_shape)
    image_shape = top_shape + dil_kernel_shape - 1
    for p in (pad_l, pad_r):
        if not (isinstance(p, (int, np.integer)) and p <= 0):
            image_shape = image_shape - p
    return image_shape


def get_conv_gradinputs_shape(kernel_shape, top_shape, border_mode, subsample, filter_dilation=None, num_groups=1):
    """The image shape from the filters' and output shapes (None entries where not determined)."""
    convdim = len(top_shape) - 2
    nkern = kernel_shape[1]
    if num_groups > 1:
        nkern = nkern * num_groups
    return (top_shape[0], nkern) + _per_axis(get_conv_gradinputs_shape_1axis, kernel_shape[-convdim:],
                                             top_shape[2:], border_mode, subsample, filter_dilation)


def check_conv_gradinputs_shape(image_shape, kernel_shape, output_shape, border_mode, subsample,
                                filter_dilation=None):
    """False when a convolution of these image and kernel shapes cannot give output_shape; True otherwise
    (also where an entry is None or symbolic: not checkable)."""
    from mlc.tensor.constants import NotScalarConstantError, get_scalar_constant_value

    image_shape, kernel_shape, output_shape = tuple(image_shape), tuple(kernel_shape), tuple(output_shape)
    if len(image_shape) != len(kernel_shape) or len(image_shape) != len(output_shape):
        return False
    if len(image_shape) - 2 != len(subsample):
        return False
    if filter_dilation is not None and len(image_shape) - 2 != len(filter_dilation):
        return False
    computed = get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample, filter_dilation)

    def same(given, comp) -> bool:
        if given is None or comp is None:
            return True
        try:
            return int(get_scalar_constant_value(given)) == int(get_scalar_constant_value(comp))
        except NotScalarConstantError:
            return True

    return all(same(g, c) for g, c in zip(output_shape, computed))


def assert_conv_shape(shape):
    """shape, with its constant entries checked (batch and channels >= 0, the rest > 0: ValueError) and its
    symbolic ones wrapped in an Assert that checks them at run time."""
    from mlc.tensor.compose import Assert
    from mlc.tensor.constants import NotScalarConstantError, get_scalar_constant_value
    from mlc.tensor.elemwise import ge, gt

    out = []
    for i, n in enumerate(shape):
        rel = "<" if i < 2 else "<="
        try:
            value = get_scalar_constant_value(n)
        except NotScalarConstantError:
            out.append(Assert(f"The convolution would produce an invalid shape (dim[{i}] {rel} 0).")(
                n, ge(n, 0) if i < 2 else gt(n, 0)))
            continue
        if value < 0 or (i >= 2 and value == 0):
            raise ValueError(f"The convolution would produce an invalid shape (dim[{i}]: {value} {rel} 0).")
        out.append(n)
    return tuple(out)


def border_mode_to_pad(mode, convdim, kshp):
    """((before, after), ...) per spatial dim for a border_mode and the (dilated) kernel sizes kshp."""
    if isinstance(mode, tuple):
        if len(mode) != convdim:
            raise ValueError(f"invalid border_mode {mode} which must be a tuple of length {convdim}")
        pads = []
        for m in mode:
            if isinstance(m, (int, np.integer)) and m >= 0:
                pads.append((m, m))
            elif isinstance(m, tuple) and all(isinstance(b, (int, np.integer)) for b in m) and min(m) >= 0:
                if len(m) != 2:
                    raise NotImplementedError(f"Asymmetric padding not implemented for {len(m)}d")
                pads.append((m[0], m[1]))
            else:
                raise ValueError(f"invalid border mode {mode}. The tuple can only contain integers or tuples of "
                                 f"length 2")
        return tuple(pads)
    if _is(mode, "full"):
        return tuple((kshp[i] - 1,) * 2 for i in range(convdim))
    if _is(mode, "half"):
        return tuple((kshp[i] // 2,) * 2 for i in range(convdim))
    if _is(mode, "valid"):
        return ((0, 0),) * convdim
    raise ValueError(f'invalid border_mode {mode}, which must be either "valid", "full", "half", an integer or a '
                     f"tuple of length {convdim}")


class BaseAbstractConv:
    """The settings of a convolution, checked and normalized as Theano's BaseAbstractConv does."""

    __props__ = ("convdim", "border_mode", "subsample", "filter_flip", "imshp", "kshp", "filter_dilation",
                 "num_groups", "unshared")

    def __init__(self, convdim, imshp=None, kshp=None, border_mode="valid", subsample=None, filter_flip=True,
                 filter_dilation=None, num_groups=1, unshared=False):
        if convdim not in (2, 3):
            raise ValueError(f"convolution dimension {convdim} is not supported")
        self.convdim = convdim
        subsample = (1,) * convdim if subsample is None else subsample
        filter_dilation = (1,) * convdim if filter_dilation is None else filter_dilation
        if isinstance(border_mode, (int, np.integer)):
            if border_mode < 0:
                raise ValueError(f"invalid border_mode {border_mode}, which must be a non-negative integer")
            border_mode = (int(border_mode),) * convdim
        elif isinstance(border_mode, tuple):
            if len(border_mode) != convdim:
                raise ValueError(f"invalid border_mode {border_mode}, which must be a tuple of length {convdim}")
            modes = []
            for m in border_mode:
                pair = (isinstance(m, tuple) and len(m) == 2 and all(isinstance(b, (int, np.integer)) for b in m)
                        and min(m) >= 0)
                if not (pair or (isinstance(m, (int, np.integer)) and m >= 0)):
                    raise ValueError(f"invalid border mode {border_mode}. The tuple can only contain integers "
                                     f"or pairs of integers")
                if pair and convdim != 2:
                    raise NotImplementedError(f"Asymmetric padding not implemented for {convdim}D")
                modes.append(m[0] if pair and m[0] == m[1] else m)
            border_mode = tuple(modes)
        elif border_mode not in ("valid", "full", "half"):
            raise ValueError(f'invalid border_mode {border_mode}, which must be either "valid", "full", "half", '
                             f"an integer or a tuple of length {convdim}")
        if isinstance(border_mode, tuple) and all(m == 0 or m == (0, 0) for m in border_mode):
            border_mode = "valid"
        self.border_mode = border_mode
        self.imshp = self._hint(imshp, 2 + convdim, "imshp")
        self.kshp = self._hint(kshp, 2 + convdim * (2 if unshared else 1), "kshp")
        self.filter_flip = filter_flip
        if len(subsample) != convdim:
            raise ValueError(f"subsample must have {convdim} elements")
        self.subsample = tuple(subsample)
        if len(filter_dilation) != convdim:
            raise ValueError(f"filter_dilation must have {convdim} elements")
        self.filter_dilation = tuple(filter_dilation)
        if num_groups < 1:
            raise ValueError("num_groups must have value greater than zero")
        self.num_groups = num_groups
        if unshared and convdim != 2:
            raise NotImplementedError(f"Unshared convolution not implemented for {convdim}D")
        self.unshared = unshared

    @staticmethod
    def _hint(shape, n: int, what: str) -> tuple:
        from mlc.tensor.constants import NotScalarConstantError, get_scalar_constant_value

        if not shape:
            return (None,) * n
        shape = tuple(shape)
        for s in shape:
            if s is not None:
                try:
                    get_scalar_constant_value(s, only_process_constants=True)
                except NotScalarConstantError:
                    raise ValueError(f"{what} should be None or a tuple of constant int values") from None
        return shape

    def _settings(self) -> dict:
        return dict(border_mode=self.border_mode, subsample=self.subsample, filter_flip=self.filter_flip,
                    filter_dilation=self.filter_dilation, num_groups=self.num_groups, unshared=self.unshared)

    def _filter_hint(self):
        return self.kshp if any(s is not None for s in self.kshp) else None

    def _props(self) -> tuple:
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}{{{', '.join(f'{p}={getattr(self, p)!r}' for p in self.__props__)}}}"


def _entries(shape, n: int) -> list:
    """The first n entries of a shape given as a tuple/list or as a symbolic vector."""
    return [shape[i] for i in range(n)]


class AbstractConv(BaseAbstractConv):
    """The forward convolution: `op(img, kern)` is conv2d/conv3d(img, kern) with the op's settings."""

    def __call__(self, img, kern):
        hint = self.imshp if any(s is not None for s in self.imshp) else None
        return convolve(img, kern, d=self.convdim, filter_shape=self._filter_hint(), input_shape=hint,
                        who=type(self).__name__, **self._settings())


class AbstractConv_gradWeights(BaseAbstractConv):  # noqa: N801 (Theano's name)
    """`op(img, topgrad, shape)`: the gradient with respect to filters of spatial size `shape`."""

    def __call__(self, img, topgrad, shape, add_assert_shape=True):
        from mlc.tensor.var import as_tensor_variable

        img, topgrad, d = as_tensor_variable(img), as_tensor_variable(topgrad), self.convdim
        fallback = [topgrad.shape[1], *([topgrad.shape[2 + i] for i in range(d)] if self.unshared else []),
                    img.shape[1] // self.num_groups, *_entries(shape, d)]
        kshp = [f if k is None else k for k, f in zip(self.kshp, fallback)]
        return _grad_wrt_weights(img, topgrad, kshp, d, type(self).__name__, **self._settings())


class AbstractConv_gradInputs(BaseAbstractConv):  # noqa: N801 (Theano's name)
    """`op(kern, topgrad, shape)`: the gradient with respect to an image of spatial size `shape`."""

    def __call__(self, kern, topgrad, shape, add_assert_shape=True):
        from mlc.tensor.var import as_tensor_variable

        kern, topgrad, d = as_tensor_variable(kern), as_tensor_variable(topgrad), self.convdim
        fallback = [topgrad.shape[0], kern.shape[kern.ndim - d - 1] * self.num_groups, *_entries(shape, d)]
        imshp = [f if s is None else s for s, f in zip(self.imshp, fallback)]
        return _grad_wrt_inputs(topgrad, kern, imshp, d, type(self).__name__, filter_shape=self._filter_hint(),
                                **self._settings())


def _fixed(base, convdim: int, doc: str, unshared: bool = True):
    """The 2d/3d class of `base` (Theano's AbstractConv2d & co.: the same arguments less convdim)."""
    defaults = (1,) * convdim

    if unshared:
        def __init__(self, imshp=None, kshp=None, border_mode="valid",  # noqa: N807
                     subsample=defaults, filter_flip=True, filter_dilation=defaults, num_groups=1, unshared=False):
            base.__init__(self, convdim, imshp, kshp, border_mode, subsample, filter_flip, filter_dilation,
                          num_groups, unshared)
    else:
        def __init__(self, imshp=None, kshp=None, border_mode="valid",  # noqa: N807
                     subsample=defaults, filter_flip=True, filter_dilation=defaults, num_groups=1):
            base.__init__(self, convdim, imshp, kshp, border_mode, subsample, filter_flip, filter_dilation,
                          num_groups)

    name = base.__name__.replace("AbstractConv", f"AbstractConv{convdim}d")
    return type(name, (base,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


AbstractConv2d = _fixed(AbstractConv, 2, "The forward 2-d convolution (unshared allowed): conv2d's graph.")
AbstractConv3d = _fixed(AbstractConv, 3, "The forward 3-d convolution: conv3d's graph.", unshared=False)
AbstractConv2d_gradWeights = _fixed(AbstractConv_gradWeights, 2, "conv2d's gradient with respect to the filters.")
AbstractConv3d_gradWeights = _fixed(AbstractConv_gradWeights, 3, "conv3d's gradient with respect to the filters.",
                                    unshared=False)
AbstractConv2d_gradInputs = _fixed(AbstractConv_gradInputs, 2, "conv2d's gradient with respect to the image.")
AbstractConv3d_gradInputs = _fixed(AbstractConv_gradInputs, 3, "conv3d's gradient with respect to the image.",
                                   unshared=False)


def _separable(d: int, input, depthwise_filters, pointwise_filters, num_channels, input_shape,
               depthwise_filter_shape, pointwise_filter_shape, border_mode, subsample, filter_flip, filter_dilation):
    """A depthwise convolution (one group per input channel) then a pointwise (1x1...) one mixing channels."""
    from mlc.tensor.conv import conv2d, conv3d

    depthwise = (AbstractConv2d if d == 2 else AbstractConv3d)(
        imshp=input_shape, kshp=depthwise_filter_shape, border_mode=border_mode, subsample=subsample,
        filter_flip=filter_flip, filter_dilation=filter_dilation, num_groups=num_channels)
    hint = None
    if input_shape is not None and depthwise_filter_shape is not None:
        hint = get_conv_output_shape(input_shape, depthwise_filter_shape, depthwise.border_mode, depthwise.subsample,
                                     depthwise.filter_dilation)
    return (conv2d if d == 2 else conv3d)(depthwise(input, depthwise_filters), pointwise_filters, input_shape=hint,
                                          filter_shape=pointwise_filter_shape, filter_flip=filter_flip)


def separable_conv2d(input, depthwise_filters, pointwise_filters, num_channels, input_shape=None,
                     depthwise_filter_shape=None, pointwise_filter_shape=None, border_mode="valid", subsample=(1, 1),
                     filter_flip=True, filter_dilation=(1, 1)):
    """Theano's separable_conv2d: depthwise filters (num_channels * M, 1, KH, KW) with the convolution's
    settings, then pointwise filters (F, num_channels * M, 1, 1)."""
    return _separable(2, input, depthwise_filters, pointwise_filters, num_channels, input_shape,
                      depthwise_filter_shape, pointwise_filter_shape, border_mode, subsample, filter_flip,
                      filter_dilation)


def separable_conv3d(input, depthwise_filters, pointwise_filters, num_channels, input_shape=None,
                     depthwise_filter_shape=None, pointwise_filter_shape=None, border_mode="valid",
                     subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1)):
    """separable_conv2d's 3-d form."""
    return _separable(3, input, depthwise_filters, pointwise_filters, num_channels, input_shape,
                      depthwise_filter_shape, pointwise_filter_shape, border_mode, subsample, filter_flip,
                      filter_dilation)


def causal_conv1d(input, filters, filter_shape, input_shape=None, subsample=1, filter_flip=True, filter_dilation=1,
                  num_groups=1, unshared=False):
    """Theano's causal_conv1d: input (N, C, T) and filters (F, C/num_groups, K); the output at time t reads
    the inputs up to t only (padding (K - 1) * filter_dilation zeros on the left)."""
    from mlc.tensor.var import as_tensor_variable

    input, filters = as_tensor_variable(input), as_tensor_variable(filters)
    if filters.ndim != 3:
        raise ValueError("Filters should be 3D for causal convolution")
    if input_shape is not None:
        if len(input_shape) != 3:
            raise ValueError(f"causal_conv1d: input_shape must have 3 entries, got {input_shape!r}")
        input_shape = (*input_shape, 1)
    if len(filter_shape) != 3:
        raise ValueError(f"causal_conv1d: filter_shape must have 3 entries, got {filter_shape!r}")
    filter_shape = (*filter_shape, 1)
    op = AbstractConv2d(imshp=input_shape, kshp=filter_shape,
                        border_mode=((filter_dilation * (filter_shape[2] - 1), 0), 0), subsample=(subsample, 1),
                        filter_flip=filter_flip, filter_dilation=(filter_dilation, 1), num_groups=num_groups,
                        unshared=unshared)
    return op(input.dimshuffle(0, 1, 2, "x"), filters.dimshuffle(0, 1, 2, "x"))[:, :, :, 0]


def _edge_padded(input):
    """input (N, C, R, K) as (N*C, 1, R + 2, K + 2), its first and last rows and columns repeated."""
    from mlc.tensor.shape import concatenate

    up = input.reshape((-1, 1, input.shape[2], input.shape[3]))
    up = concatenate([up[:, :, :1, :], up, up[:, :, -1:, :]], axis=2)
    return concatenate([up[:, :, :, :1], up, up[:, :, :, -1:]], axis=3)


def frac_bilinear_upsampling(input, frac_ratio):
    """Theano's frac_bilinear_upsampling: (N, C, R, K) upsampled by the fractions p/q in `frac_ratio` (one
    (p, q) pair, or one pair per axis), by bilinear interpolation: the edge-padded image is the (dilated by
    p, strided by q) kernel of a convolution over the zero-padded bilinear kernel."""
    from math import gcd

    from mlc.config import config
    from mlc.tensor.alloc import zeros
    from mlc.tensor.conv import bilinear_kernel_2D, conv2d
    from mlc.tensor.shape import concatenate
    from mlc.tensor.var import as_tensor_variable

    input = as_tensor_variable(input)
    if not isinstance(frac_ratio, tuple):
        raise ValueError("frac_ratio must be a tuple")
    pairs = frac_ratio if isinstance(frac_ratio[0], tuple) else (frac_ratio, frac_ratio)
    pairs = tuple((p // gcd(p, q), q // gcd(p, q)) for p, q in pairs)
    ratio, subsample = tuple(p for p, _ in pairs), tuple(q for _, q in pairs)
    concat = _edge_padded(input)
    kern = bilinear_kernel_2D(ratio=ratio).dimshuffle("x", "x", 0, 1)
    sizes = (input.shape[2], input.shape[3])
    for axis in (2, 3):
        double_pad = (2 * sizes[axis - 2] - 1) * ratio[axis - 2] + 1
        pad = double_pad // 2
        shape = [kern.shape[i] for i in range(4)]
        before, after = list(shape), list(shape)
        before[axis], after[axis] = pad, double_pad - pad
        kern = concatenate([zeros(before, dtype=config.floatX), kern, zeros(after, dtype=config.floatX)], axis=axis)
    up = conv2d(kern, concat, border_mode="valid", filter_dilation=ratio, subsample=subsample)
    return up.reshape((input.shape[0], input.shape[1], up.shape[2], up.shape[3]))


def bilinear_upsampling(input, ratio=None, frac_ratio=None, batch_size=None, num_input_channels=None,
                        use_1D_kernel=True):  # noqa: N803 (Theano's name)
    """Theano's bilinear_upsampling: (N, C, R, K) to (N, C, R * ratio, K * ratio) by bilinear interpolation
    (the edge-padded image, transposed-convolved with the bilinear kernel: two 1-d passes, or one 2-d);
    `frac_ratio` for fractional ratios (`frac_bilinear_upsampling`, 2-d kernel only)."""
    from mlc.tensor.conv import bilinear_kernel_1D, bilinear_kernel_2D, conv2d_grad_wrt_inputs
    from mlc.tensor.var import as_tensor_variable

    if ratio and frac_ratio:
        raise ValueError("can't use ratio and frac_ratio together")
    if not (ratio or frac_ratio):
        raise ValueError("No ratio (or frac_ratio) provided")
    if frac_ratio:
        if use_1D_kernel:
            raise ValueError("For fractional ratios 1D kernel method not implemented. You may want to pass "
                             "use_1D_kernel as False")
        return frac_bilinear_upsampling(input, frac_ratio=frac_ratio)
    input = as_tensor_variable(input)
    rows, cols = input.shape[2], input.shape[3]
    concat = _edge_padded(input)
    batch = concat.shape[0] if batch_size is None or num_input_channels is None else batch_size * num_input_channels
    pad = 2 * ratio - (ratio - 1) // 2 - 1
    if use_1D_kernel:
        kern = bilinear_kernel_1D(ratio=ratio, normalize=True)
        up_rows = conv2d_grad_wrt_inputs(concat, kern.dimshuffle("x", "x", 0, "x"), (batch, 1, rows * ratio, cols + 2),
                                         filter_shape=(1, 1, None, 1), border_mode=(pad, 0), subsample=(ratio, 1))
        up = conv2d_grad_wrt_inputs(up_rows, kern.dimshuffle("x", "x", "x", 0), (batch, 1, rows * ratio, cols * ratio),
                                    filter_shape=(1, 1, 1, None), border_mode=(0, pad), subsample=(1, ratio))
    else:
        kern = bilinear_kernel_2D(ratio=ratio, normalize=True)
        up = conv2d_grad_wrt_inputs(concat, kern.dimshuffle("x", "x", 0, 1), (batch, 1, rows * ratio, cols * ratio),
                                    filter_shape=(1, 1, None, None), border_mode=(pad, pad),
                                    subsample=(ratio, ratio))
    return up.reshape((input.shape[0], input.shape[1], rows * ratio, cols * ratio))
