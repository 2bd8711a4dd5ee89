"""Theano's extra_ops and sort (cumsum ... topk, nonzero, x[mask]) against numpy, compiled and reference."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad

MODES = ["FAST_RUN", "REFERENCE"]
RNG = np.random.default_rng(0)


def _check(inputs, outputs, args, expected, mode):
    f = mlc.function(inputs, outputs, mode=mode)
    got = f(*args)
    for g, e in zip(got if isinstance(got, list) else [got], expected):
        e = np.asarray(e)
        assert g.shape == e.shape, (g.shape, e.shape)
        assert g.dtype == e.dtype, (g.dtype, e.dtype)
        np.testing.assert_allclose(g, e, rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_cumulative_and_diff(mode, dtype):
    x = T.tensor(dtype, (False, False), "x")
    v = (RNG.random((3, 4)) * 5).astype(dtype)
    outs = [T.cumsum(x), T.cumsum(x, 0), T.cumsum(x, -1), T.cumprod(x), T.cumprod(x, 1), T.diff(x), T.diff(x, 2, 0),
            T.diff(x, 0)]
    # Theano keeps x's dtype (numpy would widen int32 to int64)
    exp = [np.cumsum(v, dtype=dtype), np.cumsum(v, 0, dtype=dtype), np.cumsum(v, -1, dtype=dtype),
           np.cumprod(v, dtype=dtype), np.cumprod(v, 1, dtype=dtype), np.diff(v), np.diff(v, 2, 0), v]
    _check([x], outs, [v], exp, mode)
    e = T.tensor(dtype, (False,), "e")
    _check([e], [T.cumsum(e), T.diff(e)], [np.zeros(0, dtype)], [np.zeros(0, dtype), np.zeros(0, dtype)], mode)


def test_cumulative_and_diff_gradients():
    v = RNG.random((3, 4)) + 0.5
    verify_grad(lambda a: T.cumsum(a, 0) * T.cumsum(a).reshape((3, 4)), [v])
    verify_grad(lambda a: T.cumprod(a, 1) + T.cumprod(a).reshape((3, 4)), [v])
    verify_grad(lambda a: T.diff(a, 2, 1), [v])


@pytest.mark.parametrize("mode", MODES)
def test_counting_searching_and_indices(mode):
    i = T.lvector("i")
    w = T.dvector("w")
    s = T.dvector("s")
    iv = np.array([0, 3, 1, 3, 3, 7])
    wv = RNG.random(6)
    sv = np.sort(RNG.random(5))
    q = RNG.random((2, 3))
    qq = T.dmatrix("qq")
    outs = [T.bincount(i), T.bincount(i, wv, minlength=10), T.searchsorted(s, qq), T.searchsorted(s, qq, "right"),
            *T.unravel_index(i, (2, 4)), T.ravel_multi_index((i % 2, i), (2, 8)),
            *T.unravel_index(i, (4, 2), order="F")]
    exp = [np.bincount(iv), np.bincount(iv, wv, minlength=10), np.searchsorted(sv, q),
           np.searchsorted(sv, q, "right"), *np.unravel_index(iv, (2, 4)),
           np.ravel_multi_index((iv % 2, iv), (2, 8)), *np.unravel_index(iv, (4, 2), order="F")]
    exp = [np.asarray(e, dtype="int64") if np.asarray(e).dtype.kind == "i" else e for e in exp]
    f = mlc.function([i, s, qq], outs, mode=mode)
    for g, e in zip(f(iv, sv, q), exp):
        assert g.dtype == np.asarray(e).dtype and g.shape == np.shape(e)
        np.testing.assert_allclose(g, e)
    g = mlc.function([i], T.unravel_index(i, (2, 2)), mode=mode)
    with pytest.raises(ValueError):
        g(np.array([9]))


@pytest.mark.parametrize("mode", MODES)
def test_fill_diagonal_and_offset(mode):
    x = T.dmatrix("x")
    for shape in [(3, 3), (4, 2), (2, 5)]:
        v = RNG.random(shape)
        e1 = v.copy()
        np.fill_diagonal(e1, 5.0)
        e2 = v.copy()
        for r in range(shape[0]):
            if 0 <= r + 1 < shape[1]:
                e2[r, r + 1] = -1.0
        e3 = v.copy()
        for r in range(shape[0]):
            if 0 <= r - 2 < shape[1]:
                e3[r, r - 2] = 2.0
        _check([x], [T.fill_diagonal(x, 5.0), T.fill_diagonal_offset(x, -1.0, 1),
                     T.fill_diagonal_offset(x, 2.0, -2)], [v], [e1, e2, e3], mode)
    t = T.dtensor3("t")
    v = RNG.random((3, 3, 3))
    e = v.copy()
    np.fill_diagonal(e, 0.0)
    _check([t], [T.fill_diagonal(t, 0.0)], [v], [e], mode)
    with pytest.raises(TypeError):
        T.fill_diagonal(T.ivector(), 1)


def test_fill_diagonal_gradients():
    v = RNG.random((3, 4))
    verify_grad(lambda a, b: T.fill_diagonal(a, b) ** 2, [v, np.asarray(0.7)])
    verify_grad(lambda a, b: T.fill_diagonal_offset(a, b, 1) ** 2, [v, np.asarray(0.7)])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
def test_sort_argsort_topk(mode, dtype):
    x = T.tensor(dtype, (False, False), "x")
    v = RNG.permutation(20).reshape(4, 5).astype(dtype)
    outs = [T.sort(x), T.sort(x, 0), T.sort(x, None), T.argsort(x), T.argsort(x, 0, kind="mergesort"),
            T.argsort(x, None), T.topk(x, 2), T.argtopk(x, 2), T.topk(x, -3, axis=0), T.argtopk(x, 1, axis=None)]
    neg = -v
    exp = [np.sort(v), np.sort(v, 0), np.sort(v, None), np.argsort(v), np.argsort(v, 0), np.argsort(v, None),
           -np.sort(neg)[:, :2], np.argsort(neg)[:, :2], np.sort(v, 0)[:3], np.argsort(neg, None)[:1]]
    _check([x], outs, [v], exp, mode)
    # sorted=False: Theano's (numpy.partition) order; compare as sets
    vals, idx = mlc.function([x], list(T.topk_and_argtopk(x, 3, sorted=False)), mode=mode)(v)
    np.testing.assert_array_equal(np.sort(vals), np.sort(v)[:, -3:])
    np.testing.assert_array_equal(np.take_along_axis(v, idx, 1), vals)
    k = T.lscalar("k")
    with pytest.raises(ValueError, match="kth"):
        mlc.function([x, k], T.topk(x, k), mode=mode)(v, 0)


def test_sort_and_topk_gradients():
    v = RNG.permutation(12).reshape(3, 4) / 7.0
    verify_grad(lambda a: T.sort(a) * np.arange(4.0), [v])
    verify_grad(lambda a: T.sort(a, 0) * np.arange(3.0)[:, None], [v])
    verify_grad(lambda a: T.sort(a, None) * np.arange(12.0), [v])
    verify_grad(lambda a: T.topk(a, 2) ** 2, [v])
    verify_grad(lambda a: T.topk(a, -1, axis=0, sorted=False) ** 2, [v])


@pytest.mark.parametrize("mode", MODES)
def test_unique_and_nonzero(mode):
    x = T.dmatrix("x")
    v = np.floor(RNG.random((4, 5)) * 4) - 1
    outs = [T.unique(x), *T.unique(x, True, True, True), *T.nonzero(x), T.nonzero(x, return_matrix=True),
            T.flatnonzero(x), T.nonzero_values(x), T.unique(x, axis=0)]
    u = np.unique(v, return_index=True, return_inverse=True, return_counts=True)
    exp = [np.unique(v), u[0], u[1], u[2].reshape(-1), u[3], *np.nonzero(v), np.array(np.nonzero(v)),
           np.flatnonzero(v), v[v != 0], np.unique(v, axis=0)]
    _check([x], outs, [v], exp, mode)
    # the result's length follows the data from call to call
    f = mlc.function([x], T.flatnonzero(x), mode=mode)
    assert f(np.zeros((2, 2))).shape == (0,) and f(np.ones((2, 2))).shape == (4,)


@pytest.mark.parametrize("mode", MODES)
def test_boolean_mask_indexing(mode):
    x = T.dmatrix("x")
    v = RNG.standard_normal((4, 5))
    outs = [x[x > 0], x[x[:, 0] > 0], x[:, x[0] > 0], x[np.array([True, False, True, False])],
            T.set_subtensor(x[x > 0], 0.0), (x[x > 0] ** 2).sum(), T.compress(x[0] > 0, x, axis=1),
            T.compress(x[0] > 0, x[0])]
    exp = [v[v > 0], v[v[:, 0] > 0], v[:, v[0] > 0], v[[0, 2]], np.where(v > 0, 0.0, v), (v[v > 0] ** 2).sum(),
           np.compress(v[0] > 0, v, axis=1), np.compress(v[0] > 0, v[0])]
    _check([x], outs, [v], exp, mode)
    g = mlc.function([x], mlc.grad((x[x > 0] ** 2).sum(), x), mode=mode)(v)
    np.testing.assert_allclose(g, np.where(v > 0, 2 * v, 0.0))


@pytest.mark.parametrize("mode", MODES)
def test_split_squeeze_broadcast_patterns(mode):
    x = T.dmatrix("x")
    v = RNG.random((6, 3))
    sizes = T.lvector("sizes")
    a, b, c = T.split(x, [1, 2, 3], 3)
    d, e = T.split(x, sizes, 2, axis=1)
    f = mlc.function([x, sizes], [a, b, c, d, e], mode=mode)
    for g, ex in zip(f(v, np.array([2, 1])), [v[:1], v[1:3], v[3:], v[:, :2], v[:, 2:]]):
        np.testing.assert_array_equal(g, ex)
    r = T.row("r")
    assert T.unbroadcast(r, 0).broadcastable == (False, False)
    assert T.patternbroadcast(r, (False, True)).broadcastable == (False, True)
    assert T.addbroadcast(x, 1).broadcastable == (False, True)
    assert T.squeeze(r).broadcastable == (False,)
    assert T.unbroadcast(x, 0) is x
    h = mlc.function([r], [T.unbroadcast(r, 0), T.squeeze(r)], mode=mode)
    out = h(np.ones((1, 3)))
    assert out[0].shape == (1, 3) and out[1].shape == (3,)
    verify_grad(lambda m: T.split(m, [2, 4], 2)[1] ** 2, [v])


@pytest.mark.parametrize("mode", MODES)
def test_bartlett(mode):
    m = T.lscalar("m")
    f = mlc.function([m], T.bartlett(m), mode=mode)
    for n in (-2, 0, 1, 2, 5, 8):
        got = f(n)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, np.bartlett(n), atol=1e-15)
    np.testing.assert_allclose(T.bartlett(6).eval(), np.bartlett(6), atol=1e-15)
