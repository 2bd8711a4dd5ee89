"""Theano's nnet.abstract_conv classes (AbstractConv2d & co., unshared included) and shape helpers
(mlc.tensor.abstract_conv), against the direct numpy references of test_conv_pool and hand-computed shapes.

The graphs are those of conv2d/conv3d and their gradients (natively tested in test_conv_pool and
test_conv_unshared_dynamic): here they run in REFERENCE mode (no compile), to keep the file fast."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_conv_pool import border_pads, numeric_grad, ref_conv, ref_unshared

import mlc
import mlc.tensor as T
from mlc.tensor import abstract_conv as ac

RNG = np.random.default_rng(99)


def _ref_fn(*args, **kw):
    return mlc.function(*args, mode="REFERENCE", **kw)


def test_conv_shape_helpers_match_the_convolution():
    x = T.dtensor4("x")
    xv = RNG.standard_normal((2, 3, 7, 6))
    for mode, sub, dil, kernel in [("valid", (1, 1), (1, 1), (3, 2)), ("full", (2, 1), (1, 2), (2, 3)),
                                   ("half", (1, 2), (2, 1), (3, 3)), ((1, 2), (2, 2), (1, 1), (1, 2)),
                                   (((1, 0), 2), (1, 1), (1, 1), (2, 2))]:
        w = T.dtensor4("w")
        y = ac.AbstractConv2d(border_mode=mode, subsample=sub, filter_dilation=dil)(x, w)
        wv = RNG.standard_normal((4, 3, *kernel))
        got = _ref_fn([x, w], y)(xv, wv)
        assert ac.get_conv_output_shape(xv.shape, wv.shape, mode, sub, dil) == got.shape
        np.testing.assert_allclose(got, ref_conv(xv, wv, border_pads(mode, kernel, dil), sub, dil, True, 1))
        assert ac.check_conv_gradinputs_shape(xv.shape, wv.shape, got.shape, mode, sub, dil)
        assert not ac.check_conv_gradinputs_shape(xv.shape, wv.shape, (2, 4, 99, got.shape[3]), mode, sub, dil)
        if sub == (1, 1) and mode != "half":  # where Theano's inverse shape rules are exact
            assert ac.get_conv_gradinputs_shape(wv.shape, got.shape, mode, sub, dil) == xv.shape
            kshape = ac.get_conv_gradweights_shape(xv.shape, got.shape, mode, sub, dil)
            assert kshape == (4, 3, *kernel)  # (the top's channels, the image's)
            assert all(isinstance(k, float) == (r > 1) for k, r in zip(kshape[2:], dil))  # Theano's true division
    # symbolic and unknown entries, groups and unshared layouts
    h = T.lscalar("h")
    out = ac.get_conv_output_shape((None, 3, h, 6), (4, 3, 3, 3), "half", (2, 1))
    assert out[:2] == (None, 4) and out[3] == 6 and int(out[2].eval({h: 9})) == 5
    assert ac.get_conv_shape_1axis(None, 3, "valid", 1) is None
    assert ac.get_conv_gradweights_shape((2, 4, 7, 6), (2, 6, 5, 5), "valid", (1, 1), num_groups=2,
                                         unshared=True) == (3, 5, 5, 4, 3, 2)
    assert ac.get_conv_gradweights_shape((2, 4, 7, 6), (2, 6, 3, 5), "valid", (2, 1))[2] is None
    assert ac.get_conv_gradinputs_shape((6, 2, 3, 2), (2, 6, 5, 5), "valid", (1, 1), num_groups=2) == (2, 4, 7, 6)
    assert ac.get_conv_gradinputs_shape((6, 2, 3, 2), (2, 6, 5, 5), "valid", (1, 2))[3] is None
    with pytest.raises(ValueError, match="border_mode must be >= 0"):
        ac.get_conv_shape_1axis(5, 3, -1, 1)
    assert ac.border_mode_to_pad("half", 2, (3, 5)) == ((1, 1), (2, 2))
    assert ac.border_mode_to_pad("full", 3, (3, 1, 2)) == ((2, 2), (0, 0), (1, 1))
    assert ac.border_mode_to_pad((1, (2, 0)), 2, (3, 3)) == ((1, 1), (2, 0))
    assert ac.border_mode_to_pad("valid", 2, (3, 3)) == ((0, 0), (0, 0))
    for bad, err in [("same", ValueError), ((1,), ValueError), ((1, (1, 2, 3)), NotImplementedError),
                     ((1, -1), ValueError)]:
        with pytest.raises(err):
            ac.border_mode_to_pad(bad, 2, (3, 3))


def test_assert_conv_shape():
    assert ac.assert_conv_shape((0, 3, 5, 5)) == (0, 3, 5, 5)
    with pytest.raises(ValueError, match=r"dim\[2\]: 0 <= 0"):
        ac.assert_conv_shape((1, 3, 0, 5))
    with pytest.raises(ValueError, match=r"dim\[1\]: -1 < 0"):
        ac.assert_conv_shape((1, -1, 3, 5))
    n = T.lscalar("n")
    checked = ac.assert_conv_shape((1, 3, n, 5))[2]
    f = _ref_fn([n], checked)
    assert int(f(4)) == 4
    with pytest.raises(AssertionError, match=r"invalid shape \(dim\[2\] <= 0\)"):
        f(0)


def test_abstract_conv_settings_are_checked_and_normalized_like_theano():
    op = ac.AbstractConv2d(border_mode=2)
    assert op.border_mode == (2, 2) and op.subsample == (1, 1) and op.kshp == (None,) * 4
    assert ac.AbstractConv2d(border_mode=((1, 1), 0)).border_mode == (1, 0)
    assert ac.AbstractConv2d(border_mode=(0, (0, 0))).border_mode == "valid"
    assert ac.AbstractConv2d(unshared=True).kshp == (None,) * 6
    assert ac.AbstractConv2d(border_mode=1) == ac.AbstractConv2d(border_mode=(1, 1))
    assert ac.AbstractConv3d().convdim == 3 and ac.AbstractConv(3).subsample == (1, 1, 1)
    for kw, err in [(dict(border_mode="same"), ValueError), (dict(border_mode=-1), ValueError),
                    (dict(border_mode=(1, 2, 3)), ValueError), (dict(subsample=(1,)), ValueError),
                    (dict(filter_dilation=(1, 1, 1)), ValueError), (dict(num_groups=0), ValueError),
                    (dict(kshp=(2, 3, T.lscalar(), 3)), ValueError)]:
        with pytest.raises(err):
            ac.AbstractConv2d(**kw)
    with pytest.raises(NotImplementedError, match="Unshared convolution not implemented for 3D"):
        ac.AbstractConv(3, unshared=True)
    with pytest.raises(NotImplementedError, match="Asymmetric padding"):
        ac.AbstractConv3d(border_mode=((1, 0), 1, 1))
    with pytest.raises(ValueError, match="convolution dimension 1"):
        ac.BaseAbstractConv(1)


@pytest.mark.parametrize("unshared", [False, True])
def test_abstract_conv2d_and_its_gradient_ops(unshared):
    """op(img, kern), gradInputs(kern, topgrad, shape) and gradWeights(img, topgrad, shape) with kernel sizes
    known only at run time, against the references and their finite differences."""
    settings = dict(border_mode=(1, 2), subsample=(2, 1), filter_flip=False, num_groups=2, unshared=unshared)
    x, g = T.dtensor4("x"), T.dtensor4("g")
    w = T.TensorType("float64", (False,) * (6 if unshared else 4))("w")
    y = ac.AbstractConv2d(**settings)(x, w)
    gi = ac.AbstractConv2d_gradInputs(**settings)(w, g, x.shape[2:])
    gw = ac.AbstractConv2d_gradWeights(**settings)(x, g, w.shape[-2:])
    f = _ref_fn([x, w, g], [y, gi, gw])
    xv, kernel = RNG.standard_normal((1, 4, 5, 4)), (3, 2)
    pads = border_pads((1, 2), kernel, (1, 1))
    out_sp = ac.get_conv_output_shape(xv.shape, (4, 2, *kernel), (1, 2), (2, 1))[2:]
    wv = RNG.standard_normal((4, *out_sp, 2, *kernel) if unshared else (4, 2, *kernel))
    ref = ref_unshared if unshared else ref_conv
    want = ref(xv, wv, pads, (2, 1), (1, 1), False, 2)
    gv = RNG.standard_normal(want.shape)
    yv, giv, gwv = f(xv, wv, gv)
    np.testing.assert_allclose(yv, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(giv, numeric_grad(lambda t: (ref(t, wv, pads, (2, 1), (1, 1), False, 2) * gv).sum(),
                                                 xv.copy()), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gwv, numeric_grad(lambda t: (ref(xv, t, pads, (2, 1), (1, 1), False, 2) * gv).sum(),
                                                 wv.copy()), rtol=1e-6, atol=1e-7)
    if unshared:  # Theano's check, through the op
        with pytest.raises(ValueError, match="does not match computed output size"):
            f(xv, wv[:, :1], gv)


def test_abstract_conv3d_ops_with_shape_hints():
    kshp = (3, 2, 2, 1, 2)
    x, w, g = (T.TensorType("float64", (False,) * 5)(n) for n in "xwg")
    settings = dict(kshp=kshp, border_mode="half", subsample=(1, 2, 1))
    y = ac.AbstractConv3d(**settings)(x, w)
    gi = ac.AbstractConv3d_gradInputs(**settings)(w, g, (4, 5, 3))
    gw = ac.AbstractConv3d_gradWeights(**settings)(x, g, (2, 1, 2))
    xv, wv = RNG.standard_normal((2, 2, 4, 5, 3)), RNG.standard_normal(kshp)
    pads = border_pads("half", kshp[2:], (1, 1, 1))
    want = ref_conv(xv, wv, pads, (1, 2, 1), (1, 1, 1), True, 1)
    gv = RNG.standard_normal(want.shape)
    yv, giv, gwv = _ref_fn([x, w, g], [y, gi, gw])(xv, wv, gv)
    np.testing.assert_allclose(yv, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(giv, numeric_grad(
        lambda t: (ref_conv(t, wv, pads, (1, 2, 1), (1, 1, 1), True, 1) * gv).sum(), xv.copy()), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gwv, numeric_grad(
        lambda t: (ref_conv(xv, t, pads, (1, 2, 1), (1, 1, 1), True, 1) * gv).sum(), wv.copy()), rtol=1e-6, atol=1e-7)


def test_theano_facade_serves_the_classes():
    from mlc.compat import theano as compat

    compat.install()
    try:
        from theano.tensor.nnet import abstract_conv

        assert abstract_conv.AbstractConv2d is ac.AbstractConv2d
        assert abstract_conv.get_conv_output_shape is ac.get_conv_output_shape
    finally:
        compat.uninstall()


def test_separable_and_causal_convolutions():
    x, dw, pw = T.dtensor4("x"), T.dtensor4("dw"), T.dtensor4("pw")
    xv = RNG.standard_normal((2, 3, 6, 5))
    dwv, pwv = RNG.standard_normal((6, 1, 3, 2)), RNG.standard_normal((4, 6, 1, 1))  # 2 depthwise maps a channel
    settings = dict(border_mode="half", subsample=(1, 2), filter_dilation=(2, 1))
    y = ac.separable_conv2d(x, dw, pw, 3, input_shape=xv.shape, depthwise_filter_shape=dwv.shape,
                            pointwise_filter_shape=pwv.shape, **settings)
    pads = border_pads("half", (3, 2), (2, 1))
    depthwise = ref_conv(xv, dwv, pads, (1, 2), (2, 1), True, 3)
    want = ref_conv(depthwise, pwv, [(0, 0)] * 2, (1, 1), (1, 1), True, 1)
    np.testing.assert_allclose(_ref_fn([x, dw, pw], y)(xv, dwv, pwv), want, rtol=1e-12, atol=1e-12)
    x5, dw5, pw5 = (T.TensorType("float64", (False,) * 5)(n) for n in ("x5", "dw5", "pw5"))
    xv5, dwv5, pwv5 = (RNG.standard_normal(s) for s in ((1, 2, 4, 3, 3), (2, 1, 2, 2, 1), (3, 2, 1, 1, 1)))
    want5 = ref_conv(ref_conv(xv5, dwv5, [(0, 0)] * 3, (1, 1, 1), (1, 1, 1), True, 2), pwv5, [(0, 0)] * 3,
                     (1, 1, 1), (1, 1, 1), True, 1)
    np.testing.assert_allclose(_ref_fn([x5, dw5, pw5], ac.separable_conv3d(x5, dw5, pw5, 2))(xv5, dwv5, pwv5),
                               want5, rtol=1e-12, atol=1e-12)
    # causal: the output at time t reads inputs up to t (left padding (K - 1) * dilation)
    s, w3 = T.dtensor3("s"), T.dtensor3("w3")
    sv, wv = RNG.standard_normal((2, 2, 9)), RNG.standard_normal((3, 2, 3))
    got = _ref_fn([s, w3], ac.causal_conv1d(s, w3, wv.shape, filter_dilation=2, subsample=2))(sv, wv)
    want = ref_conv(sv[..., None], wv[..., None], [(4, 0), (0, 0)], (2, 1), (2, 1), True, 1)[..., 0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    sv2 = sv.copy()
    sv2[..., 5:] += 1.0  # a change at t >= 5 leaves outputs before t = 5 alone
    got2 = _ref_fn([s, w3], ac.causal_conv1d(s, w3, wv.shape))(sv2, wv)
    np.testing.assert_allclose(got2[..., :5], _ref_fn([s, w3], ac.causal_conv1d(s, w3, wv.shape))(sv, wv)[..., :5])
    with pytest.raises(ValueError, match="Filters should be 3D"):
        ac.causal_conv1d(s, T.dtensor4("w"), (1, 2, 3, 1))


def ref_bilinear_upsampling(x, r):
    """The edge-padded image transposed-convolved (stride r, padding 2r - (r-1)//2 - 1) with the bilinear
    kernel [1, ..., r, ..., 1] / r in each axis, by loops:
    out[i, j] = sum over (a, b) of xp[a, b] k[i + pad - a r] k[j + pad - b r]."""
    k = np.concatenate([np.arange(1, r + 1), np.arange(r - 1, 0, -1)]) / r
    pad = 2 * r - (r - 1) // 2 - 1
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], mode="edge")
    out = np.zeros(x.shape[:2] + (x.shape[2] * r, x.shape[3] * r))
    for i, j, a, b in itertools.product(range(out.shape[2]), range(out.shape[3]), range(xp.shape[2]),
                                        range(xp.shape[3])):
        u, v = i + pad - a * r, j + pad - b * r
        if 0 <= u < len(k) and 0 <= v < len(k):
            out[:, :, i, j] += xp[:, :, a, b] * k[u] * k[v]
    return out


def test_bilinear_upsampling():
    x = T.dtensor4("x")
    xv = RNG.standard_normal((2, 3, 3, 4))
    for r in (2, 3, 4):
        f = _ref_fn([x], [ac.bilinear_upsampling(x, r), ac.bilinear_upsampling(x, r, use_1D_kernel=False),
                          ac.bilinear_upsampling(x, r, batch_size=2, num_input_channels=3)])
        want = ref_bilinear_upsampling(xv, r)
        for got in f(xv):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # a linear image is sampled linearly: rows at 0, 1/7, 5/7, 1 of the way (ratio 7/4), columns 0, .2, .8, 1 (5/3)
    lin = (np.arange(3)[:, None, None] * 4 + 1 + 2 * np.arange(2)[:, None] + np.arange(2)).reshape(1, 3, 2, 2)
    got = _ref_fn([x], ac.bilinear_upsampling(x, frac_ratio=((7, 4), (5, 3)), use_1D_kernel=False))(lin)
    want = lin[:, :, :1, :1] + 2 * np.array([0, 1 / 7, 5 / 7, 1])[:, None] + np.array([0, 0.2, 0.8, 1])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert _ref_fn([x], ac.frac_bilinear_upsampling(x, (6, 5)))(np.ones((1, 2, 10, 5))).shape == (1, 2, 12, 6)
    for kw, msg in [(dict(ratio=2, frac_ratio=(3, 2)), "together"), (dict(), "No ratio"),
                    (dict(frac_ratio=(3, 2)), "1D kernel")]:
        with pytest.raises(ValueError, match=msg):
            ac.bilinear_upsampling(x, **kw)
    with pytest.raises(ValueError, match="must be a tuple"):
        ac.frac_bilinear_upsampling(x, 1.5)
