"""Special functions (gammaln ... iv) compiled natively against scipy.special, and their gradients."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad

X = np.array([-2.5, -0.3, 1e-3, 0.2, 1.0, 2.0, 7.5, 30.0, 170.5, np.inf, -np.inf, np.nan, 0.0, -1.0])
POS = np.array([1e-3, 0.2, 1.0, 2.0, 7.5, 30.0, 600.0, np.inf, 0.0])
UNARY = [
    (T.gammaln, sp.gammaln, X), (T.psi, sp.psi, X), (T.tri_gamma, lambda a: sp.polygamma(1, a), X),
    (T.gamma, sp.gamma, X), (T.j0, sp.j0, X), (T.j1, sp.j1, X), (T.i0, sp.i0, X), (T.i1, sp.i1, X),
    (T.erfcinv, sp.erfcinv, np.array([0.0, 1e-300, 0.01, 0.5, 1.0, 1.7, 2.0, 2.5, np.nan])),
    (lambda a: T.jv(2.5, a), lambda a: sp.jv(2.5, a), X), (lambda a: T.iv(1.5, a), lambda a: sp.iv(1.5, a), POS),
    (lambda a: T.jv(a, 3.0), lambda a: sp.jv(a, 3.0), X), (lambda a: T.iv(a, 2.0), lambda a: sp.iv(a, 2.0), X),
]


@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_values_match_scipy(mode, dtype):
    x = T.vector("x", dtype=dtype)
    out_dtype = "float32" if dtype == "float32" else "float64"
    for fn, ref, values in UNARY:
        v = values if dtype != "int32" else np.arange(-3, 8)
        v = v.astype(dtype)
        g = mlc.function([x], fn(x), mode=mode)
        got = g(v)
        with np.errstate(all="ignore"):
            want = np.asarray(ref(v.astype(out_dtype))).astype(out_dtype)
        assert got.dtype == out_dtype
        rtol = 2e-6 if out_dtype == "float32" else 1e-12
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300, equal_nan=True, err_msg=str(fn))


def test_tri_gamma_accuracy_over_a_wide_range():
    x = T.dvector("x")
    v = np.concatenate([np.linspace(-20.3, 20.7, 301), np.geomspace(1e-8, 1e12, 100)])
    np.testing.assert_allclose(mlc.function([x], T.tri_gamma(x))(v), sp.polygamma(1, v), rtol=1e-12)


def test_gradients():
    v = np.array([0.7, 1.3, 2.9])
    for fn in (T.gammaln, T.psi, T.gamma, T.j0, T.j1, T.i0, T.i1, lambda a: T.jv(2.5, a), lambda a: T.iv(1.5, a),
               lambda a: T.erfcinv(a / 4)):
        verify_grad(fn, [v])
    x = T.dvector("x")
    with pytest.raises(mlc.gradient.NullTypeGradError, match="order"):
        mlc.grad(T.jv(x, 2.0).sum(), x)
    with pytest.raises(mlc.gradient.NullTypeGradError, match="tri_gamma"):
        mlc.grad(T.tri_gamma(x).sum(), x)


def test_compiled_code_calls_scipy_natively():
    x = T.dvector("x")
    ir = mlc.function([x], T.gammaln(x) + T.jv(1.5, x)).dump_ir("llvm-ir")
    assert "@mlc_special_gammaln" in ir and "@mlc_special_jv" in ir
