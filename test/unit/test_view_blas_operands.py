"""view-blas-operands: BLAS reads minibatch row ranges in place (a view) and their transposes by flag.

Values against numpy and against the same function compiled without the pass,
for the row ranges it rewrites (plain, transposed, both operands, gemv, a short
last batch, an empty range, negative bounds) and the ones it must leave alone
(not whole rows, strided rows, a transposed matrix's rows, a matrix written by
an in-place update in the same call).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T


def _both(inputs, outputs, **kw):
    """The function compiled with the pass, and without it (which has no view)."""
    f = mlc.function(inputs, outputs, **kw)
    with mlc.config.change_flags(optimizer_excluding="view-blas-operands"):
        g = mlc.function(inputs, outputs, **kw)
        assert _views(g) == 0
    return f, g


def _views(f) -> int:
    return f.dump_ir("loops").count("memref.subview")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_ranges_of_an_input(dtype):
    X, W, D, v = T.matrix("X", dtype=dtype), T.matrix("W", dtype=dtype), T.matrix("D", dtype=dtype), \
        T.vector("v", dtype=dtype)
    a, b = T.lscalar("a"), T.lscalar("b")
    outs = [T.dot(X[a:b], W),            # gemm, A a view
            T.dot(X[a:b].T, D),          # gemm, A a transposed view (flag)
            T.dot(W.T, X[a:b].T),        # gemm, B a transposed view
            T.dot(X[a:b], X[a:b].T),     # both operands
            T.dot(X[a:b], v)]            # gemv
    f, g = _both([X, W, D, v, a, b], outs)
    assert _views(f) >= 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 7)).astype(dtype)
    w = rng.standard_normal((7, 5)).astype(dtype)
    vv = rng.standard_normal(7).astype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for lo, hi in [(0, 50), (10, 30), (40, 60), (-20, -5), (30, 30), (45, 44), (-100, 3)]:
        xs = x[lo:hi]
        d = rng.standard_normal((len(xs), 3)).astype(dtype)
        want = [xs @ w, xs.T @ d, w.T @ xs.T, xs @ xs.T, xs @ vv]
        got = f(x, w, d, vv, lo, hi)
        for r, e, r0 in zip(got, want, g(x, w, d, vv, lo, hi)):
            assert r.shape == e.shape and r.dtype == e.dtype
            np.testing.assert_allclose(r, e, rtol=tol, atol=tol)
            np.testing.assert_allclose(r, r0, rtol=tol, atol=tol)


def test_ranges_that_are_not_whole_rows_stay_copies():
    X, W = T.fmatrix("X"), T.fmatrix("W")
    a, b = T.lscalar("a"), T.lscalar("b")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 8)).astype(np.float32)
    cases = [(T.dot(X[a:b, 1:], W), lambda x, w, lo, hi: x[lo:hi, 1:] @ w, (7, 5)),  # not whole rows
             (T.dot(X[a:b:2], W), lambda x, w, lo, hi: x[lo:hi:2] @ w, (8, 5)),  # every other row
             (T.dot(X.T[a:b], W), lambda x, w, lo, hi: x.T[lo:hi] @ w, (40, 5))]  # rows of X.T: columns of X
    for out, ref, shape in cases:
        f = mlc.function([X, W, a, b], out)
        assert _views(f) == 0
        w = rng.standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(f(x, w, 3, 8), ref(x, w, 3, 8), rtol=1e-5, atol=1e-5)


def test_matrix_updated_in_place_keeps_its_copy():
    """The minibatch's matrix is also an in-place update's target: the product reads the old rows."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 6)).astype(np.float32)
    w = rng.standard_normal((6, 4)).astype(np.float32)
    X = mlc.shared(x.copy(), "X")
    W = T.fmatrix("W")
    i = T.lscalar("i")
    f = mlc.function([W, i], T.dot(X[i * 10:(i + 1) * 10].T, T.dot(X[i * 10:(i + 1) * 10], W)),
                     updates=[(X, X * 2)])
    expect = x.copy()
    for k in (0, 2, 1):
        got = f(w, k)
        xs = expect[k * 10:(k + 1) * 10]
        np.testing.assert_allclose(got, xs.T @ (xs @ w), rtol=1e-4, atol=1e-4)
        expect *= 2
    np.testing.assert_allclose(X.get_value(), expect)


def test_logistic_regression_steps_match_numpy():
    """The W9 logistic-regression step (givens minibatch of a shared dataset, SGD updates): the same
    parameters as a numpy loop, with the short last batch."""
    rng = np.random.default_rng(3)
    n, bs, lr = 230, 50, np.float32(0.13)
    x = rng.random((n, 20), dtype=np.float32)
    y = rng.integers(0, 4, n).astype(np.int32)
    X, Y = mlc.shared(x, "X"), mlc.shared(y, "Y")
    W, b = mlc.shared(np.zeros((20, 4), np.float32), "W"), mlc.shared(np.zeros(4, np.float32), "b")
    index = T.lscalar("index")
    xs, ys = T.fmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(xs, W) + b)
    nll = -T.mean(T.log(p)[T.arange(ys.shape[0]), ys])
    gW, gb = mlc.grad(nll, [W, b])
    step = mlc.function([index], nll, updates=[(W, W - lr * gW), (b, b - lr * gb)],
                        givens={xs: X[index * bs:(index + 1) * bs], ys: Y[index * bs:(index + 1) * bs]})
    assert _views(step) >= 1
    w, bb = np.zeros((20, 4), np.float32), np.zeros(4, np.float32)
    for i in [0, 1, 4, 2, 3, 4]:
        xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
        a = xb @ w + bb
        e = np.exp(a - a.max(axis=1, keepdims=True))
        pr = e / e.sum(axis=1, keepdims=True)
        cost = -np.mean(np.log(pr[np.arange(len(yb)), yb]))
        pr[np.arange(len(yb)), yb] -= 1
        d = pr / np.float32(len(yb))
        w, bb = w - lr * (xb.T @ d), bb - lr * d.sum(axis=0)
        np.testing.assert_allclose(step(i), cost, rtol=1e-5)
        np.testing.assert_allclose(W.get_value(), w, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b.get_value(), bb, rtol=1e-4, atol=1e-6)
