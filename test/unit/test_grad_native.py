"""Gradients are ordinary graphs: they go through the same passes and compile natively.

The logistic-regression training step of Theano's tutorial must compile to
a stable expression (no exp left to overflow: sigmoids and softplus) with
the elementwise work fused around two BLAS gemv calls, and train.
"""

from __future__ import annotations

import numpy as np

import mlc
import mlc.tensor as T


def logistic_step(feats=5):
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = mlc.shared(np.zeros(feats), "w")
    b = mlc.shared(0.0, "b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = mlc.grad(cost, [w, b])
    train = mlc.function([x, y], [xent.mean(), gw], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    return train, w, b


def test_logistic_gradient_compiles_to_a_fused_stable_expression():
    train, w, _ = logistic_step()
    mt = train.dump_ir("mt-opt")
    assert "mt.exp" not in mt, mt          # 1/(1+exp(-z)) and its gradient became sigmoids
    assert "mt.sigmoid" in mt and "mt.softplus" in mt
    loops = train.dump_ir("loops")
    assert loops.count("blas.gemv") == 2   # x @ w and x.T @ dz
    assert loops.count("linalg.generic") <= 8, loops  # sigmoid parts, loss, dz, gw and new w


def test_logistic_step_trains_and_matches_numpy():
    train, w, b = logistic_step(feats=4)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4))
    Y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype("float64")
    losses = [float(train(X, Y)[0]) for _ in range(30)]
    assert losses[-1] < losses[0]
    # one more step against a hand-written numpy step
    w0, b0 = w.get_value(), float(b.get_value())
    z = X @ w0 + b0
    p = 1 / (1 + np.exp(-z))
    dz = (p - Y) / len(Y)
    gw = X.T @ dz + 0.02 * w0
    _, got_gw = train(X, Y)
    np.testing.assert_allclose(got_gw, gw, rtol=1e-10)
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * gw, rtol=1e-10)
    np.testing.assert_allclose(b.get_value(), b0 - 0.1 * dz.sum(), rtol=1e-10)


def test_logistic_cost_is_finite_for_saturated_logits():
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = T.dvector("w")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w)))
    cost = (-y * T.log(p_1) - (1 - y) * T.log(1 - p_1)).sum()
    f = mlc.function([x, y, w], cost)
    X = np.array([[1.0], [-1.0]])
    # z = +-1000: the naive formula gives inf (log(0)); the stabilized one the exact 2000
    np.testing.assert_allclose(f(X, np.array([0.0, 1.0]), np.array([1000.0])), 2000.0)
