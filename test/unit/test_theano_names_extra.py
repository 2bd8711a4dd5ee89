"""Theano names that were NotImplementedError stubs, each against Theano 1.0.5's definition (numpy where equal)."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.tensor import nnet


def test_isclose_allclose_largest_smallest_divmod_ceil_intdiv():
    a, b = T.dvector(), T.dvector()
    f = mlc.function([a, b], [T.isclose(a, b), T.isclose(a, b, equal_nan=True), T.allclose(a, b),
                              T.largest(a, b, 2 * a), T.smallest(a, b), *T.divmod(a, b)])
    x = np.array([1e10, 1e-7, np.nan, np.inf, np.inf, 5.0, -3.0])
    y = np.array([1.00001e10, 1e-8, np.nan, np.inf, -np.inf, 2.0, 2.0])
    close, close_nan, allc, big, small, q, r = f(x, y)
    assert close.dtype == bool
    np.testing.assert_array_equal(close, np.isclose(x, y))
    np.testing.assert_array_equal(close_nan, np.isclose(x, y, equal_nan=True))
    assert not allc and mlc.function([a, b], T.allclose(a, b))(y[:2], y[:2])
    np.testing.assert_array_equal(big, np.maximum(np.maximum(x, y), 2 * x))
    np.testing.assert_array_equal(small, np.minimum(x, y))
    np.testing.assert_array_equal(q[-2:], [2.0, -2.0])
    np.testing.assert_array_equal(r[-2:], [1.0, 1.0])
    i, j = T.lvector(), T.lvector()
    np.testing.assert_array_equal(mlc.function([i, j], T.ceil_intdiv(i, j))(np.array([7, 6, -7, 0]),
                                                                           np.array([2, 2, 2, 3])), [4, 3, -3, 0])


def test_cov_and_conversions():
    m, y = T.dmatrix(), T.dmatrix()
    mv, yv = np.random.default_rng(0).standard_normal((3, 5)), np.random.default_rng(1).standard_normal((2, 5))
    got = mlc.function([m, y], [T.cov(m), T.cov(m, y), T.cov(m.T, rowvar=False, bias=True), T.cov(m, ddof=0)])(mv, yv)
    for g, w in zip(got, [np.cov(mv), np.cov(mv, yv), np.cov(mv, bias=True), np.cov(mv, ddof=0)]):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="fweights"):
        T.cov(m, fweights=[1, 2])
    s = T.dscalar()
    assert T.scalar_from_tensor(s) is s and T.tensor_from_scalar(s) is s
    with pytest.raises(mlc.graph.GraphError, match="0-d"):
        T.scalar_from_tensor(m)
    assert T.extract_constant(T.constant(3.0)) == 3.0 and T.extract_constant(m) is m


def test_clip_follows_theano_when_the_bounds_cross():
    x, lo, hi = T.dvector(), T.dvector(), T.dvector()
    f = mlc.function([x, lo, hi], [T.clip(x, lo, hi), *mlc.grad(T.clip(x, lo, hi).sum(), [x, lo, hi])])
    v, gx, glo, ghi = f(np.array([0.0, 1.0, 2.0, 3.0, 0.5]), np.array([1.0, 1.0, 1.0, 1.0, 2.0]),
                        np.array([2.0, 2.0, 2.0, 2.0, 1.0]))
    np.testing.assert_array_equal(v, [1.0, 1.0, 2.0, 2.0, 2.0])  # Theano's Clip: x < lo gives lo, even above hi
    np.testing.assert_array_equal(gx, [0, 1, 1, 0, 0])  # ties go to x, as Clip.grad
    np.testing.assert_array_equal(glo, [1, 0, 0, 0, 1])
    np.testing.assert_array_equal(ghi, [0, 0, 0, 1, 0])


def test_nnet_classes_confusion_matrix_and_variadic_add():
    m, v = T.dmatrix(), T.dvector()
    mv, vv = np.random.default_rng(2).standard_normal((2, 3)), np.random.default_rng(3).standard_normal(3)
    sm = np.exp(mv) / np.exp(mv).sum(axis=1, keepdims=True)
    got = mlc.function([m, v], [nnet.Softmax()(m), nnet.LogSoftmax()(m), nnet.SoftmaxWithBias()(m, v),
                                nnet.softmax_op(m), nnet.softmax_graph(m), nnet.scalar_sigmoid(v),
                                T.add(m), T.add(m, v, v), T.mul(m, v, 2), T.stack(v)])(mv, vv)
    smb = np.exp(mv + vv) / np.exp(mv + vv).sum(axis=1, keepdims=True)
    for g, w in zip(got, [sm, np.log(sm), smb, sm, sm, 1 / (1 + np.exp(-vv)), mv, mv + 2 * vv, mv * vv * 2,
                          vv[None]]):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    a, p = T.ivector(), T.ivector()
    conf, order = mlc.function([a, p], nnet.confusion_matrix(a, p))(np.array([2, 0, 2, 2, 0, 1], "int32"),
                                                                    np.array([0, 0, 2, 2, 0, 2], "int32"))
    np.testing.assert_array_equal(conf, [[2, 0, 0], [0, 0, 1], [1, 0, 2]])  # the example in Theano's docstring
    np.testing.assert_array_equal(order, [0, 1, 2])
    with pytest.raises(ValueError, match="actual must be 1-d"):
        nnet.confusion_matrix(m, p)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfcx_incomplete_gamma_chi2sf_against_scipy(dtype):
    import scipy.special as sp
    import scipy.stats as st

    from mlc.gradient import verify_grad

    x, k = T.vector(dtype=dtype), T.vector(dtype=dtype)
    f = mlc.function([x, k], [T.erfcx(x), T.gammainc(k, x), T.gammaincc(k, x), T.gammau(k, x), T.gammal(k, x),
                              T.chi2sf(x, k)])
    assert "mlc_special_gammainc" in f.dump_ir("llvm")
    xv = np.array([0.1, 1.0, 3.0, 10.0, 0.0], dtype)
    kv = np.array([0.5, 1.0, 2.5, 4.0, 3.0], dtype)
    want = [sp.erfcx(xv), sp.gammainc(kv, xv), sp.gammaincc(kv, xv), sp.gammaincc(kv, xv) * sp.gamma(kv),
            sp.gammainc(kv, xv) * sp.gamma(kv), st.chi2.sf(xv, kv)]
    for g, w in zip(f(xv, kv), want):
        assert g.dtype == dtype and g.shape == (5,)
        np.testing.assert_allclose(g, w, rtol=1e-5 if dtype == "float32" else 1e-13)
    e = np.array([], dtype)
    assert f(e, e)[0].shape == (0,)
    pts = np.array([0.3, 1.0, 2.5])
    verify_grad(T.erfcx, [pts], rng=np.random.default_rng(0))
    verify_grad(lambda a: T.gammainc(np.array([0.5, 1.0, 2.5]), a), [pts], rng=np.random.default_rng(1))
    verify_grad(lambda a: T.gammaincc(np.array([0.5, 1.0, 2.5]), a), [pts], rng=np.random.default_rng(2))
    with pytest.raises(Exception, match="with respect to k"):
        mlc.grad(T.gammainc(k, x).sum(), k)


def test_rebroadcast_and_symbolic_grad_scale():
    x, s = T.dmatrix(), T.dscalar()
    r = T.Rebroadcast((0, True))(x)
    assert r.broadcastable == (True, False)
    assert mlc.function([x], r)(np.ones((1, 3))).shape == (1, 3)
    with pytest.raises(ValueError):
        mlc.function([x], r)(np.ones((2, 3)))
    g = mlc.function([x, s], mlc.grad(mlc.gradient.grad_scale(x, s).sum(), x))(np.ones((1, 2)), 3.0)
    np.testing.assert_array_equal(g, [[3.0, 3.0]])
