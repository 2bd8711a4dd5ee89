"""Convolution and pooling (mt.patches / mt.unpatches) against direct numpy references, natively compiled.

Each case compiles one function returning the result and both gradients
of a random projection of it, and compares them with a direct numpy
reference (loops over the window offsets; Theano's Pool.perform for
pooling) and that reference's finite differences.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.dialects import mt
from mlc.tensor.conv import conv2d, conv2d_grad_wrt_inputs, convolve, conv2d_grad_wrt_weights, conv2d_transpose, conv3d
from mlc.tensor.signal.pool import max_pool_2d_same_size, pool_2d, pool_3d

RNG = np.random.default_rng(1234)


# ----------------------------------------------------------------------------
# numpy references
# ----------------------------------------------------------------------------


def ref_conv(x, w, pads, strides, dilation, flip, groups):
    """Direct convolution: out[n, f, o] = sum_{c, k} xpad[n, g*Cg + c, o*s + k*dil] * w'[f, c, k]."""
    d = x.ndim - 2
    if flip:
        w = w[(slice(None), slice(None), *([slice(None, None, -1)] * d))]
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    kernel = w.shape[2:]
    out_sp = [(xp.shape[2 + i] - (kernel[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(d)]
    n, c = x.shape[:2]
    f, cg = w.shape[:2]
    fg = f // groups
    out = np.zeros((n, f, *out_sp), dtype=np.float64)
    for g in range(groups):
        for k in itertools.product(*(range(s) for s in kernel)):
            index = tuple(slice(k[i] * dilation[i], k[i] * dilation[i] + (out_sp[i] - 1) * strides[i] + 1,
                                strides[i]) for i in range(d))
            patch = xp[(slice(None), slice(g * cg, (g + 1) * cg), *index)]  # (n, cg, o...)
            wk = w[(slice(g * fg, (g + 1) * fg), slice(None), *k)]  # (fg, cg)
            out[:, g * fg:(g + 1) * fg] += np.einsum("nc...,fc->nf...", patch, wk)
    return out


def border_pads(mode, kernel, dilation):
    extent = [(k - 1) * r + 1 for k, r in zip(kernel, dilation)]
    if mode == "valid":
        return [(0, 0)] * len(kernel)
    if mode == "full":
        return [(e - 1, e - 1) for e in extent]
    if mode == "half":
        return [(e // 2, e // 2) for e in extent]
    if isinstance(mode, int):
        return [(mode, mode)] * len(kernel)
    return [(m, m) if isinstance(m, int) else tuple(m) for m in mode]


def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar function f at x (float64)."""
    g = np.zeros_like(x)
    flat, gf = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f(x)
        flat[i] = old - eps
        lo = f(x)
        flat[i] = old
        gf[i] = (hi - lo) / (2 * eps)
    return g


def ref_pool(x, ws, ignore_border, stride, pad, mode):
    """Theano 1.0.5's Pool.perform, for any number of pooled dims."""
    nd = len(ws)
    stride = ws if stride is None else stride
    img = [x.shape[-nd + i] + 2 * pad[i] for i in range(nd)]

    def size(v, k, s):
        if ignore_border:
            return max((v - k) // s + 1, 0)
        return (v - 1) // s + 1 if s >= k else max(0, (v - 1 - k + s) // s) + 1

    out = [size(img[i], ws[i], stride[i]) for i in range(nd)]
    y = np.zeros(x.shape[:-nd] + tuple(img), dtype=x.dtype)
    y[(Ellipsis, *(slice(pad[i], img[i] - pad[i]) for i in range(nd)))] = x
    z = np.zeros(x.shape[:-nd] + tuple(out), dtype=x.dtype)
    func = {"max": np.max, "sum": np.sum}.get(mode, np.mean)
    regions = []
    for i in range(nd):
        r = []
        for j in range(out[i]):
            s, e = j * stride[i], min(j * stride[i] + ws[i], img[i])
            if mode != "average_inc_pad":
                s, e = max(s, pad[i]), min(e, img[i] - pad[i])
            r.append(slice(s, e))
        regions.append(r)
    axes = tuple(range(-nd, 0))
    for o in itertools.product(*(range(n) for n in out)):
        z[(Ellipsis, *o)] = func(y[(Ellipsis, *(regions[i][o[i]] for i in range(nd)))], axis=axes)
    return z


def ref_max_pool_grad(x, ws, ignore_border, stride, pad, gz):
    """Theano's MaxPoolGrad: every position equal to its window's max gets the window's gradient."""
    nd = len(ws)
    stride = ws if stride is None else stride
    z = ref_pool(x, ws, ignore_border, stride, pad, "max")
    gx = np.zeros_like(x)
    for lead in np.ndindex(*x.shape[:-nd]):
        for o in np.ndindex(*z.shape[-nd:]):
            sl = tuple(slice(max(o[i] * stride[i] - pad[i], 0), min(o[i] * stride[i] + ws[i] - pad[i],
                                                                       x.shape[-nd + i])) for i in range(nd))
            region = x[lead + sl]
            gx[lead + sl] += np.where(region == z[lead + o], gz[lead + o], 0)
    return gx


# ----------------------------------------------------------------------------
# convolution
# ----------------------------------------------------------------------------

# (border_mode, subsample, filter_flip, filter_dilation, num_groups): every value of every setting appears
CONV_CASES = [
    ("valid", (1, 1), True, (1, 1), 1),
    ("full", (1, 1), False, (1, 1), 1),
    ("half", (2, 1), True, (1, 1), 2),
    (1, (1, 2), False, (2, 1), 1),
    ((2, 1), (2, 2), True, (1, 2), 1),
    (((1, 0), (0, 2)), (1, 1), True, (1, 1), 2),
    ("full", (2, 2), True, (2, 2), 1),
    ("half", (1, 1), False, (2, 2), 2),
    ("valid", (3, 2), False, (1, 1), 1),
]


@pytest.mark.parametrize("border_mode, subsample, flip, dilation, groups, small_patch",
                         [(*case, 0 if i % 2 else 10**6) for i, case in enumerate(CONV_CASES)])
def test_conv2d_against_direct_reference(border_mode, subsample, flip, dilation, groups, small_patch, monkeypatch):
    """Both gemm layouts (filters first for small patches, patches first otherwise) across the cases."""
    monkeypatch.setattr("mlc.tensor.conv.SMALL_PATCH", small_patch)
    n, c, h, wd, f, kh, kw = 2, 4, 7, 6, 4, 3, 2
    x_val = RNG.standard_normal((n, c, h, wd))
    w_val = RNG.standard_normal((f, c // groups, kh, kw))
    pads = border_pads(border_mode, (kh, kw), dilation)
    expected = ref_conv(x_val, w_val, pads, subsample, dilation, flip, groups)
    proj = RNG.standard_normal(expected.shape)

    x, w = T.dtensor4("x"), T.dtensor4("w")
    y = conv2d(x, w, filter_shape=w_val.shape, border_mode=border_mode, subsample=subsample, filter_flip=flip,
               filter_dilation=dilation, num_groups=groups)
    gx, gw = mlc.grad((y * proj).sum(), [x, w])
    out, gx_val, gw_val = mlc.function([x, w], [y, gx, gw])(x_val, w_val)
    assert out.dtype == np.float64 and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)

    def cost_x(xv):
        return float((ref_conv(xv, w_val, pads, subsample, dilation, flip, groups) * proj).sum())

    def cost_w(wv):
        return float((ref_conv(x_val, wv, pads, subsample, dilation, flip, groups) * proj).sum())

    np.testing.assert_allclose(gx_val, numeric_grad(cost_x, x_val.copy()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw_val, numeric_grad(cost_w, w_val.copy()), rtol=1e-5, atol=1e-6)


def test_conv2d_float32_shared_filters_and_old_interface():
    from mlc.tensor.conv import old_conv2d

    x_val = RNG.standard_normal((3, 2, 8, 8)).astype(np.float32)
    w_val = RNG.standard_normal((5, 2, 3, 3)).astype(np.float32)
    W = mlc.shared(w_val, "W")
    x = T.ftensor4("x")
    f = mlc.function([x], [conv2d(x, W), old_conv2d(x, W, border_mode="full", subsample=(2, 2))])
    out, old = f(x_val)
    assert out.dtype == np.float32 and old.dtype == np.float32
    np.testing.assert_allclose(out, ref_conv(x_val, w_val, [(0, 0)] * 2, (1, 1), (1, 1), True, 1), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(old, ref_conv(x_val, w_val, [(2, 2)] * 2, (2, 2), (1, 1), True, 1), rtol=1e-4,
                               atol=1e-4)


def test_conv2d_layout_follows_shared_filters_and_one_group_takes_no_slices():
    """A shared filter's channel count picks the gemm layout (filters first for a first layer: the patches laid
    out (C, K..., N, O...)) although the filters are flipped first; with one group the patches and filters are
    not sliced, so the gradients hold no zero-filled copy of a slice's gradient (mt.insert_slice)."""
    x_val = RNG.standard_normal((3, 1, 8, 7)).astype(np.float32)
    for channels, w_shape, first in ((1, (4, 1, 3, 3), True), (8, (2, 8, 3, 3), False)):
        w_val = RNG.standard_normal(w_shape).astype(np.float32)
        xv = RNG.standard_normal((3, channels, 8, 7)).astype(np.float32) if channels > 1 else x_val
        W = mlc.shared(w_val, "W")
        x = T.ftensor4("x")
        y = conv2d(x, W)
        proj = RNG.standard_normal((3, w_shape[0], 6, 5)).astype(np.float32)
        gx, gw = mlc.grad((y * proj).sum(), [x, W])
        f = mlc.function([x], [y, gx, gw])
        ir = f.dump_ir("mt")
        assert ("perm = array<i64: 1, 4, 5, 0, 2, 3>" in ir) == first
        assert ("perm = array<i64: 0, 2, 3, 1, 4, 5>" in ir) == (not first)
        slices = [ln for ln in ir.splitlines() if ("mt.slice" in ln or "mt.insert_slice" in ln)
                  and "steps [_, _, -1, -1]" not in ln and "tensor<?xi64>" not in ln]  # not the flip, not shapes
        assert slices == []
        out, gx_val, gw_val = f(xv)
        np.testing.assert_allclose(out, ref_conv(xv, w_val, [(0, 0)] * 2, (1, 1), (1, 1), True, 1), rtol=1e-4,
                                   atol=1e-4)
        x64, w64 = xv.astype(np.float64), w_val.astype(np.float64)
        np.testing.assert_allclose(gw_val, numeric_grad(lambda w_: (ref_conv(x64, w_, [(0, 0)] * 2, (1, 1), (1, 1),
                                                                              True, 1) * proj).sum(), w64.copy()),
                                   rtol=2e-3, atol=2e-3)
        np.testing.assert_allclose(gx_val, numeric_grad(lambda x_: (ref_conv(x_, w64, [(0, 0)] * 2, (1, 1), (1, 1),
                                                                             True, 1) * proj).sum(), x64.copy()),
                                   rtol=2e-3, atol=2e-3)


def test_conv2d_explicit_gradient_functions_and_transpose():
    x_val = RNG.standard_normal((2, 3, 6, 5))
    w_val = RNG.standard_normal((4, 3, 3, 2))
    kw = dict(border_mode=1, subsample=(2, 1), filter_flip=False)
    y_val = ref_conv(x_val, w_val, [(1, 1), (1, 1)], (2, 1), (1, 1), False, 1)
    g_val = RNG.standard_normal(y_val.shape)
    x, w, g = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("g")
    gi = conv2d_grad_wrt_inputs(g, w, x_val.shape, filter_shape=w_val.shape, **kw)
    gw = conv2d_grad_wrt_weights(x, g, w_val.shape, **kw)
    tr = conv2d_transpose(g, w, x_val.shape, filter_shape=w_val.shape, border_mode=1, input_dilation=(2, 1),
                          filter_flip=False)
    gi_val, gw_val, tr_val = mlc.function([x, w, g], [gi, gw, tr], on_unused_input="ignore")(x_val, w_val, g_val)
    want_gi = numeric_grad(lambda xv: float((ref_conv(xv, w_val, [(1, 1)] * 2, (2, 1), (1, 1), False, 1)
                                             * g_val).sum()), x_val.copy())
    want_gw = numeric_grad(lambda wv: float((ref_conv(x_val, wv, [(1, 1)] * 2, (2, 1), (1, 1), False, 1)
                                             * g_val).sum()), w_val.copy())
    np.testing.assert_allclose(gi_val, want_gi, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tr_val, want_gi, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw_val, want_gw, rtol=1e-5, atol=1e-6)


def test_conv3d_against_direct_reference(monkeypatch):
    monkeypatch.setattr("mlc.tensor.conv.SMALL_PATCH", 0)
    x_val = RNG.standard_normal((2, 2, 4, 5, 4))
    w_val = RNG.standard_normal((3, 2, 2, 3, 2))
    x, w = T.TensorType("float64", (False,) * 5)("x"), T.TensorType("float64", (False,) * 5)("w")
    y = conv3d(x, w, filter_shape=w_val.shape, border_mode="half", subsample=(1, 2, 1))
    proj = RNG.standard_normal(ref_conv(x_val, w_val, border_pads("half", (2, 3, 2), (1, 1, 1)), (1, 2, 1),
                                        (1, 1, 1), True, 1).shape)
    gw = mlc.grad((y * proj).sum(), w)
    out, gw_val = mlc.function([x, w], [y, gw])(x_val, w_val)
    pads = border_pads("half", (2, 3, 2), (1, 1, 1))
    np.testing.assert_allclose(out, ref_conv(x_val, w_val, pads, (1, 2, 1), (1, 1, 1), True, 1), rtol=1e-10)
    want = numeric_grad(lambda wv: float((ref_conv(x_val, wv, pads, (1, 2, 1), (1, 1, 1), True, 1) * proj).sum()),
                        w_val.copy())
    np.testing.assert_allclose(gw_val, want, rtol=1e-5, atol=1e-6)


def test_conv_errors_name_the_problem():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    with pytest.raises(ValueError, match="border_mode"):  # unshared, kernel sizes known at run time: when built
        conv2d(x, T.TensorType("float64", (False,) * 6)("w6"), unshared=True, border_mode="same")
    with pytest.raises(ValueError, match="border_mode"):
        conv2d(x, w, filter_shape=(1, 1, 3, 3), border_mode="same")
    f = mlc.function([x, w], conv2d(x, w, filter_shape=(1, 1, 3, 3)))
    with pytest.raises(ValueError, match="smaller than the window"):
        f(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)))


def test_conv_channel_counts_are_checked_like_theano():
    """Channels that do not match the filters' (times the groups) are Theano's ValueErrors, never a product
    over part of them: grouped with static kernel sizes, and with run-time ones."""
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = mlc.function([x, w], conv2d(x, w, filter_shape=(4, 2, 2, 2), num_groups=2))
    f_one = mlc.function([x, w], conv2d(x, w))  # one group, kernel sizes at run time
    np.testing.assert_allclose(f(np.ones((1, 4, 3, 3)), np.ones((4, 2, 2, 2))), np.full((1, 4, 2, 2), 8.0))
    for xs, ws, msg in [((1, 6, 3, 3), (4, 2, 2, 2), "input channels in the kernel should specify"),
                        ((1, 3, 3, 3), (4, 2, 2, 2), "input channels must be divisible by num_groups"),
                        ((1, 4, 3, 3), (3, 2, 2, 2), "filters must be divisible by num_groups")]:
        with pytest.raises(ValueError, match=msg):
            f(np.ones(xs), np.ones(ws))
    with pytest.raises(ValueError, match="2 in the kernel, 3 // 1 in the input"):
        f_one(np.ones((1, 3, 3, 3)), np.ones((4, 2, 2, 2)))
    np.testing.assert_allclose(f_one(np.ones((1, 2, 3, 3)), np.ones((4, 2, 2, 2))), np.full((1, 4, 2, 2), 8.0))


def test_conv_with_filter_sizes_known_at_run_time():
    """Filters without filter_shape (Theano compiles conv2d with any filter tensor): one compiled function
    serves several filter sizes, over border modes, strides, dilation, flip and groups, with both gradients."""
    configs = [dict(border_mode="valid"), dict(border_mode="full", subsample=(2, 1), filter_dilation=(1, 2),
                                               filter_flip=False),
               dict(border_mode="half", subsample=(1, 2), filter_dilation=(2, 1)),
               dict(border_mode=(1, 2), subsample=(2, 2), num_groups=2)]
    x, w, w2 = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("w2")
    projs = [T.dtensor4(f"p{i}") for i in range(len(configs))]
    ys = [conv2d(x, w2 if cfg.get("num_groups") else w, **cfg) for cfg in configs]
    cost = sum((y * p).sum() for y, p in zip(ys, projs))
    f = mlc.function([x, w, w2, *projs], [*ys, *mlc.grad(cost, [x, w, w2])])

    def refs(xv, wv, w2v):
        out = []
        for cfg in configs:
            dil = cfg.get("filter_dilation", (1, 1))
            filters = w2v if cfg.get("num_groups") else wv
            out.append(ref_conv(xv, filters, border_pads(cfg["border_mode"], filters.shape[2:], dil),
                                cfg.get("subsample", (1, 1)), dil, cfg.get("filter_flip", True),
                                cfg.get("num_groups", 1)))
        return out

    for kh, kw in [(3, 2), (1, 1), (2, 3)]:
        x_val = RNG.standard_normal((2, 4, 7, 6))
        w_val, w2_val = RNG.standard_normal((4, 4, kh, kw)), RNG.standard_normal((4, 2, kh, kw))
        expected = refs(x_val, w_val, w2_val)
        p_vals = [RNG.standard_normal(e.shape) for e in expected]
        *outs, gx, gw, gw2 = f(x_val, w_val, w2_val, *p_vals)
        for out, want in zip(outs, expected):
            assert out.shape == want.shape
            np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-10)

        def total(xv, wv, w2v):
            return float(sum((r * p).sum() for r, p in zip(refs(xv, wv, w2v), p_vals)))

        np.testing.assert_allclose(gx, numeric_grad(lambda v: total(v, w_val, w2_val), x_val.copy()), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(gw, numeric_grad(lambda v: total(x_val, v, w2_val), w_val.copy()), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(gw2, numeric_grad(lambda v: total(x_val, w_val, v), w2_val.copy()), rtol=1e-5,
                                   atol=1e-6)
    # a window taller than the input: an empty 'valid' output, as the reference
    w_big = RNG.standard_normal((4, 4, 8, 1))
    expected = refs(x_val, w_big, w2_val)
    outs = f(x_val, w_big, w2_val, *[np.zeros(e.shape) for e in expected])[:len(configs)]
    assert outs[0].shape == (2, 4, 0, 6)
    for out, want in zip(outs, expected):
        np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-10)


def test_conv3d_and_gradient_functions_with_run_time_filter_sizes():
    x_val = RNG.standard_normal((2, 2, 4, 5, 4))
    w_val = RNG.standard_normal((3, 2, 2, 3, 2))
    x, w = T.TensorType("float64", (False,) * 5)("x"), T.TensorType("float64", (False,) * 5)("w")
    y = conv3d(x, w, border_mode="half", subsample=(1, 2, 1))
    pads = border_pads("half", (2, 3, 2), (1, 1, 1))
    np.testing.assert_allclose(mlc.function([x, w], y)(x_val, w_val),
                               ref_conv(x_val, w_val, pads, (1, 2, 1), (1, 1, 1), True, 1), rtol=1e-10)
    # conv2d_grad_wrt_weights with a symbolic filter_shape, conv2d_grad_wrt_inputs without one
    x2, w2, g = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("g")
    kw = dict(border_mode=1, subsample=(2, 1), filter_flip=False)
    xv, wv = RNG.standard_normal((2, 3, 6, 5)), RNG.standard_normal((4, 3, 3, 2))
    gv = RNG.standard_normal(ref_conv(xv, wv, [(1, 1)] * 2, (2, 1), (1, 1), False, 1).shape)
    gi = conv2d_grad_wrt_inputs(g, w2, [x2.shape[i] for i in range(4)], **kw)
    gw = conv2d_grad_wrt_weights(x2, g, [w2.shape[i] for i in range(4)], **kw)
    gi_val, gw_val = mlc.function([x2, w2, g], [gi, gw])(xv, wv, gv)
    want_gi = numeric_grad(lambda v: float((ref_conv(v, wv, [(1, 1)] * 2, (2, 1), (1, 1), False, 1) * gv).sum()),
                           xv.copy())
    want_gw = numeric_grad(lambda v: float((ref_conv(xv, v, [(1, 1)] * 2, (2, 1), (1, 1), False, 1) * gv).sum()),
                           wv.copy())
    np.testing.assert_allclose(gi_val, want_gi, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw_val, want_gw, rtol=1e-5, atol=1e-6)


def ref_unshared(x, w, pads, strides, dilation, flip, groups):
    """Theano's unshared2d: out[n, f, i, j] = sum_{c, u, v} xpad[n, g*Cg + c, i*s + u*dil, j*s + v*dil] * w'[f, i, j, c, u, v]."""
    if flip:
        w = w[:, :, :, :, ::-1, ::-1]
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    f, oh, ow, cg, kh, kw = w.shape
    fg = f // groups
    out = np.zeros((x.shape[0], f, oh, ow))
    for i, j, u, v in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        pix = xp[:, :, i * strides[0] + u * dilation[0], j * strides[1] + v * dilation[1]]  # (n, c)
        for g in range(groups):
            out[:, g * fg:(g + 1) * fg, i, j] += pix[:, g * cg:(g + 1) * cg] @ w[g * fg:(g + 1) * fg, i, j, :, u, v].T
    return out


@pytest.mark.parametrize("border_mode, subsample, flip, dilation, groups", [
    ("valid", (1, 1), True, (1, 1), 1), ("half", (2, 1), False, (1, 1), 2), ((1, 2), (1, 2), True, (2, 1), 1),
    ("full", (2, 2), True, (1, 1), 1)])
def test_unshared_conv2d_against_theano_loops(border_mode, subsample, flip, dilation, groups):
    x, w = T.dtensor4("x"), T.dtensor6("w")
    xv = RNG.standard_normal((2, 4, 6, 5))
    kernel = (3, 2)
    pads = border_pads(border_mode, kernel, dilation)
    xp_shape = [6 + sum(pads[0]), 5 + sum(pads[1])]
    out_sp = [(xp_shape[i] - (kernel[i] - 1) * dilation[i] - 1) // subsample[i] + 1 for i in range(2)]
    wv = RNG.standard_normal((4, *out_sp, 4 // groups, *kernel))
    y = conv2d(x, w, filter_shape=wv.shape, border_mode=border_mode, subsample=subsample, filter_flip=flip,
               filter_dilation=dilation, num_groups=groups, unshared=True)
    gx, gw = mlc.grad((y ** 2).sum(), [x, w])
    got, gxv, gwv = mlc.function([x, w], [y, gx, gw])(xv, wv)
    want = ref_unshared(xv, wv, pads, subsample, dilation, flip, groups)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    loss = lambda xx, ww: (ref_unshared(xx, ww, pads, subsample, dilation, flip, groups) ** 2).sum()
    np.testing.assert_allclose(gxv, numeric_grad(lambda t: loss(t, wv), xv.copy()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gwv, numeric_grad(lambda t: loss(xv, t), wv.copy()), rtol=1e-5, atol=1e-6)


def test_unshared_conv2d_checks_like_theano():
    x, w6 = T.dtensor4("x"), T.dtensor6("w")
    with pytest.raises(TypeError, match="kern must be 6D tensor for unshared"):
        conv2d(x, T.dtensor4("w"), filter_shape=(1, 1, 3, 3), unshared=True)
    with pytest.raises(NotImplementedError, match="3D"):
        convolve(T.dtensor5("x"), T.dtensor5("w"), d=3, filter_shape=(1, 1, 1, 1, 1), unshared=True)
    f = mlc.function([x, w6], conv2d(x, w6, filter_shape=(2, 3, 3, 1, 2, 2), unshared=True))
    with pytest.raises(ValueError, match=r"Kernel shape \(3, 3\) does not match computed output size \(3, 4\)"):
        f(np.zeros((1, 1, 4, 5)), np.zeros((2, 3, 3, 1, 2, 2)))
    # a filter count that matches the product of the output size (3 * 3 = 9 = 1 * 9) is still refused
    with pytest.raises(ValueError, match="does not match"):
        f(np.zeros((1, 1, 2, 10)), np.zeros((2, 3, 3, 1, 2, 2)))
    with pytest.raises(ValueError, match="input channels in the kernel"):  # not a product over one of the two
        f(np.zeros((1, 2, 4, 4)), np.zeros((2, 3, 3, 1, 2, 2)))


# ----------------------------------------------------------------------------
# pooling
# ----------------------------------------------------------------------------

POOL_CASES = [  # ws, ignore_border, stride, pad
    ((2, 2), True, None, (0, 0)),
    ((2, 2), False, None, (0, 0)),
    ((3, 2), False, (1, 2), (0, 0)),
    ((3, 3), True, (2, 1), (1, 2)),
    ((2, 3), False, (3, 3), (0, 0)),
]


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
def test_pool_2d_against_theano_perform(mode):
    x_val = RNG.standard_normal((2, 3, 5, 7))
    x = T.dtensor4("x")
    outs, grads, projs = [], [], []
    for ws, ib, st, pad in POOL_CASES:
        y = pool_2d(x, ws, ignore_border=ib, stride=st, pad=pad, mode=mode)
        proj = RNG.standard_normal(ref_pool(x_val, ws, ib, st, pad, mode).shape)
        outs.append(y)
        grads.append(mlc.grad((y * proj).sum(), x))
        projs.append(proj)
    results = mlc.function([x], outs + grads)(x_val)
    for (ws, ib, st, pad), out, gx, proj in zip(POOL_CASES, results[:len(outs)], results[len(outs):], projs):
        expected = ref_pool(x_val, ws, ib, st, pad, mode)
        assert out.shape == expected.shape, (ws, ib, st, pad)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
        if mode == "max":
            want = ref_max_pool_grad(x_val, ws, ib, st, pad, proj)
        else:
            want = numeric_grad(lambda xv: float((ref_pool(xv, ws, ib, st, pad, mode) * proj).sum()), x_val.copy())
        np.testing.assert_allclose(gx, want, rtol=1e-6, atol=1e-7)


def test_max_pool_routes_ties_like_theano_and_same_size():
    x_val = np.array([[[[1.0, 3.0, 3.0, 0.0], [2.0, 3.0, -1.0, 5.0], [0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 4.0, 1.0]]]])
    x = T.dtensor4("x")
    y = pool_2d(x, (2, 2), ignore_border=True)
    g = mlc.grad(y.sum(), x)
    same = max_pool_2d_same_size(x, (2, 2))
    y_val, g_val, same_val = mlc.function([x], [y, g, same])(x_val)
    np.testing.assert_array_equal(y_val, [[[[3.0, 5.0], [0.0, 4.0]]]])
    np.testing.assert_array_equal(g_val, ref_max_pool_grad(x_val, (2, 2), True, None, (0, 0), np.ones((1, 1, 2, 2))))
    assert g_val[0, 0, 2:, :2].sum() == 4.0  # four tied zeros each get the gradient (Theano's rule)
    np.testing.assert_array_equal(same_val, np.where(g_val > 0, x_val, 0.0))


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_pool_dtypes_and_3d(dtype):
    x_val = (RNG.standard_normal((2, 4, 5, 3)) * 10).astype(dtype)
    x = T.TensorType(dtype, (False,) * 4)("x")
    f = mlc.function([x], [pool_2d(x, (2, 2), ignore_border=False, mode="max"),
                           pool_3d(x, (2, 2, 2), ignore_border=True, mode="sum"),
                           pool_3d(x, (3, 2, 2), ignore_border=True, stride=(1, 1, 1), pad=(1, 1, 0),
                                   mode="max")])
    m2, s3, m3 = f(x_val)
    assert m2.dtype == dtype and s3.dtype == dtype
    np.testing.assert_array_equal(m2, ref_pool(x_val, (2, 2), False, None, (0, 0), "max"))
    np.testing.assert_allclose(s3, ref_pool(x_val, (2, 2, 2), True, None, (0, 0, 0), "sum"), rtol=1e-5)
    np.testing.assert_array_equal(m3, ref_pool(x_val, (3, 2, 2), True, (1, 1, 1), (1, 1, 0), "max"))


def test_pool_argument_errors():
    x = T.dtensor4("x")
    with pytest.raises(ValueError, match="mode"):
        pool_2d(x, (2, 2), True, mode="median")
    with pytest.raises(NotImplementedError, match="ignore_border=True"):
        pool_2d(x, (2, 2), False, pad=(1, 1))
    with pytest.raises(NotImplementedError, match="smaller"):
        pool_2d(x, (2, 2), True, pad=(2, 0))


def test_patches_numpy_meaning_is_the_adjoint_of_unpatches():
    """<patches(x), p> == <x, unpatches(p)> for a padded, strided, dilated, ceil-mode window."""
    w = mt.Window((3, 2), (2, 1), (1, 2), (1, 0), (2, 1), ceil=False)
    x = RNG.standard_normal((2, 3, 6, 5))
    px = mt.patches_numpy(x, w, perm=(1, 4, 5, 0, 2, 3))
    p = RNG.standard_normal(px.shape)
    back = mt.unpatches_numpy(p, (6, 5), w, perm=(1, 4, 5, 0, 2, 3))
    assert back.shape == x.shape
    np.testing.assert_allclose((px * p).sum(), (x * back).sum(), rtol=1e-12)


def test_pool_gradient_with_no_windows_is_zero():
    # ignore_border with an image smaller than the window: no output, and col2im reads nothing real
    # (an empty patches buffer still has storage, so its clamped read stays inside it)
    import mlc
    from mlc.tensor.signal.pool import pool_2d

    x = T.dtensor4("x")
    y = pool_2d(x, ws=(3, 3), ignore_border=True, mode="max")
    f = mlc.function([x], [y, mlc.grad(y.sum(), x)])
    for shape in [(1, 1, 2, 2), (2, 3, 1, 5), (1, 1, 0, 0)]:
        a = np.random.default_rng(0).standard_normal(shape)
        out, ga = f(a)
        assert 0 in out.shape[2:] and ga.shape == a.shape and not ga.any()
