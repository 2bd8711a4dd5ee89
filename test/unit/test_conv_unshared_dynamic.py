"""Unshared (locally connected) conv2d with filter sizes known only at run time (a plain symbolic 6-d filter
tensor, as Theano 1.0.5 accepts): one compiled function over several kernel sizes, against a loops-based numpy
reference, its adjoint (checked by finite differences) and directional finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_conv_pool import border_pads, numeric_grad, ref_unshared

import mlc
import mlc.tensor as T
from mlc.tensor.conv import conv2d, conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights

RNG = np.random.default_rng(4321)

CONFIGS = [
    dict(border_mode="valid"),
    dict(border_mode="full", subsample=(2, 1), filter_dilation=(1, 2), filter_flip=False),
    dict(border_mode="half", subsample=(1, 2), filter_dilation=(2, 1), num_groups=2),
    dict(border_mode=1, subsample=(2, 2)),
    dict(border_mode=((1, 0), 2), filter_flip=False, num_groups=2),
]


def _args(cfg, kernel):
    dil = cfg.get("filter_dilation", (1, 1))
    return (border_pads(cfg["border_mode"], kernel, dil), cfg.get("subsample", (1, 1)), dil,
            cfg.get("filter_flip", True), cfg.get("num_groups", 1))


def _out_size(xshape, kernel, pads, strides, dilation):
    return tuple(max((xshape[2 + i] + sum(pads[i]) - (kernel[i] - 1) * dilation[i] - 1) // strides[i] + 1, 0)
                 for i in range(2))


def ref_unshared_adjoint(x, w, gy, pads, strides, dilation, flip, groups):
    """The gradients (of sum(ref_unshared(x, w) * gy)) with respect to x and w, by the same loops."""
    wf = w[:, :, :, :, ::-1, ::-1] if flip else w
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    gxp, gwf = np.zeros_like(xp), np.zeros_like(wf)
    f, oh, ow, cg, kh, kw = w.shape
    fg = f // groups
    for i, j, u, v in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        r, c = i * strides[0] + u * dilation[0], j * strides[1] + v * dilation[1]
        for g in range(groups):
            fs, cs = slice(g * fg, (g + 1) * fg), slice(g * cg, (g + 1) * cg)
            gxp[:, cs, r, c] += gy[:, fs, i, j] @ wf[fs, i, j, :, u, v]
            gwf[fs, i, j, :, u, v] += gy[:, fs, i, j].T @ xp[:, cs, r, c]
    gx = gxp[:, :, pads[0][0]:pads[0][0] + x.shape[2], pads[1][0]:pads[1][0] + x.shape[3]]
    return gx, (gwf[:, :, :, :, ::-1, ::-1] if flip else gwf)


def _directional(loss, v, grad, n=2):
    """grad against central differences of the (bilinear: exact up to rounding) loss along random directions."""
    for _ in range(n):
        d = RNG.standard_normal(v.shape)
        fd = (loss(v + d) - loss(v - d)) / 2
        np.testing.assert_allclose((grad * d).sum(), fd, rtol=1e-9, atol=1e-9)


def test_adjoint_reference_matches_finite_differences():
    cfg = CONFIGS[2]
    xv = RNG.standard_normal((1, 2, 4, 5))
    pads, *rest = _args(cfg, (2, 3))
    wv = RNG.standard_normal((2, *_out_size(xv.shape, (2, 3), pads, rest[0], rest[1]), 1, 2, 3))
    gy = RNG.standard_normal(ref_unshared(xv, wv, pads, *rest).shape)
    gx, gw = ref_unshared_adjoint(xv, wv, gy, pads, *rest)
    np.testing.assert_allclose(gx, numeric_grad(lambda t: (ref_unshared(t, wv, pads, *rest) * gy).sum(), xv.copy()),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gw, numeric_grad(lambda t: (ref_unshared(xv, t, pads, *rest) * gy).sum(), wv.copy()),
                               rtol=1e-6, atol=1e-7)


def test_unshared_with_run_time_filter_sizes(monkeypatch):
    """Every border mode, subsample, dilation, flip, groups in one function, called over several kernel sizes
    without recompiling; an empty output; Theano's error when the filters' output-position dims do not match."""
    x = T.dtensor4("x")
    ws = [T.dtensor6(f"w{i}") for i in range(len(CONFIGS))]
    ps = [T.dtensor4(f"p{i}") for i in range(len(CONFIGS))]
    ys = [conv2d(x, w, unshared=True, **cfg) for w, cfg in zip(ws, CONFIGS)]
    cost = sum((y * p).sum() for y, p in zip(ys, ps))
    f = mlc.function([x, *ws, *ps], [*ys, *mlc.grad(cost, [x, *ws])])
    import mlc.compile.pipeline as pipeline

    monkeypatch.setattr(pipeline, "compile_graph", lambda *a, **k: pytest.fail("recompiled"))
    n = len(CONFIGS)
    for kernel in [(3, 2), (1, 1), (2, 3), (8, 1)]:  # (8, 1): the 'valid' output is empty
        xv = RNG.standard_normal((2, 4, 7, 6))
        args = [_args(cfg, kernel) for cfg in CONFIGS]
        wvs = [RNG.standard_normal((4, *_out_size(xv.shape, kernel, a[0], a[1], a[2]), 4 // a[4], *kernel))
               for a in args]
        wants = [ref_unshared(xv, wv, *a) for wv, a in zip(wvs, args)]
        pvs = [RNG.standard_normal(want.shape) for want in wants]
        res = f(xv, *wvs, *pvs)
        outs, gx, gws = res[:n], res[n], res[n + 1:]
        if kernel == (8, 1):
            assert outs[0].shape == (2, 4, 0, 6) and gws[0].shape == (4, 0, 6, 4, 8, 1)
        want_gx = np.zeros_like(xv)
        for out, want, wv, pv, a, gw in zip(outs, wants, wvs, pvs, args, gws):
            assert out.shape == want.shape and out.dtype == np.float64
            np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-10)
            rgx, rgw = ref_unshared_adjoint(xv, wv, pv, *a)
            want_gx += rgx
            np.testing.assert_allclose(gw, rgw, rtol=1e-10, atol=1e-10)
            _directional(lambda t, a=a, pv=pv: (ref_unshared(xv, t, *a) * pv).sum(), wv, gw)
        np.testing.assert_allclose(gx, want_gx, rtol=1e-10, atol=1e-10)
        total = lambda t: sum((ref_unshared(t, wv, *a) * pv).sum() for wv, a, pv in zip(wvs, args, pvs))  # noqa: E731
        _directional(total, xv, gx)
    # the filters' output-position dims must be the output size (Theano's ValueError), even when their product is
    good = [np.zeros((4, *_out_size(xv.shape, (2, 2), a[0], a[1], a[2]), 4 // a[4], 2, 2))
            for a in (_args(cfg, (2, 2)) for cfg in CONFIGS)]
    zeros_p = [np.zeros((2, 4, *w.shape[1:3])) for w in good]
    for bad in [(5, 6), (3, 10), (6, 4)]:
        with pytest.raises(ValueError, match=rf"Kernel shape \({bad[0]}, {bad[1]}\) does not match computed "
                                             r"output size \(6, 5\)"):
            f(xv, np.zeros((4, *bad, 4, 2, 2)), *good[1:], *zeros_p)
    # channels that do not match the kernel's (Theano's ValueErrors, not a product over part of them)
    with pytest.raises(ValueError, match="number of input channels"):
        f(RNG.standard_normal((2, 5, 7, 6)), *good, *zeros_p)
    assert f(xv, *good, *zeros_p)[0].shape == (2, 4, 6, 5)  # still callable after the errors


def test_static_and_run_time_paths_agree_and_reference_mode():
    cfg = dict(border_mode="half", subsample=(2, 1), filter_dilation=(1, 2), num_groups=2)
    xv = RNG.standard_normal((2, 4, 6, 7)).astype("float32")
    a = _args(cfg, (3, 2))
    wv = RNG.standard_normal((6, *_out_size(xv.shape, (3, 2), a[0], a[1], a[2]), 2, 3, 2)).astype("float32")
    x, w = T.ftensor4("x"), T.ftensor6("w")
    y_dyn = conv2d(x, w, unshared=True, **cfg)
    y_static = conv2d(x, w, filter_shape=wv.shape, unshared=True, **cfg)
    outs = mlc.function([x, w], [y_dyn, y_static])(xv, wv)
    ref_y, ref_gx, ref_gw = mlc.function([x, w], [y_dyn, *mlc.grad((y_dyn ** 2).sum(), [x, w])],
                                         mode="REFERENCE")(xv, wv)
    x64, w64 = xv.astype("float64"), wv.astype("float64")
    want = ref_unshared(x64, w64, *a)
    assert outs[0].dtype == np.float32 and ref_y.dtype == np.float32
    for got in (outs[0], outs[1], ref_y):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    for got, ref in zip((ref_gx, ref_gw), ref_unshared_adjoint(x64, w64, 2 * want, *a)):
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    f_ref = mlc.function([x, w], y_dyn, mode="REFERENCE")
    with pytest.raises(ValueError, match="does not match computed output size"):
        f_ref(xv, wv[:, 1:])
    with pytest.raises(ValueError, match="number of filters must be divisible by num_groups: 5 filters, 2 groups"):
        f_ref(xv, wv[:5])


def test_gradient_functions_unshared_with_symbolic_shapes():
    """conv2d_grad_wrt_inputs without filter_shape, conv2d_grad_wrt_weights with a symbolic 6-entry shape."""
    cfg = dict(border_mode=(1, 2), subsample=(2, 1), filter_flip=False, num_groups=2)
    x, w, g = T.dtensor4("x"), T.dtensor6("w"), T.dtensor4("g")
    gi = conv2d_grad_wrt_inputs(g, w, [x.shape[i] for i in range(4)], unshared=True, **cfg)
    gw = conv2d_grad_wrt_weights(x, g, [w.shape[i] for i in range(6)], unshared=True, **cfg)
    f = mlc.function([x, w, g], [gi, gw])
    for kernel in [(2, 3), (3, 1)]:
        xv = RNG.standard_normal((2, 4, 5, 4))
        a = _args(cfg, kernel)
        wv = RNG.standard_normal((4, *_out_size(xv.shape, kernel, a[0], a[1], a[2]), 2, *kernel))
        gv = RNG.standard_normal(ref_unshared(xv, wv, *a).shape)
        gi_v, gw_v = f(xv, wv, gv)
        want_gi, want_gw = ref_unshared_adjoint(xv, wv, gv, *a)
        np.testing.assert_allclose(gi_v, want_gi, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(gw_v, want_gw, rtol=1e-10, atol=1e-10)
