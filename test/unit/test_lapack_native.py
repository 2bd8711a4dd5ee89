"""Native LAPACK: cholesky, solve, solve_triangular, matrix_inverse, det compiled to calls from native code.

Values against numpy/scipy over dtypes, layouts (transposed and sliced
operands), vector and matrix right-hand sides and empty matrices; LAPACK
failures raise LinAlgError with numpy's/scipy's words (Cholesky's
on_error='nan' gives NaNs); no host op is left in the compiled function;
gradients against finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad
from mlc.tensor import nlinalg, slinalg

RNG = np.random.default_rng(42)
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def spd(n, dtype="float64"):
    m = RNG.standard_normal((n, n))
    return (m @ m.T / max(n, 1) + np.eye(n)).astype(dtype)


def _no_host_ops(f):
    ir = f.dump_ir("llvm")
    assert "mlc_lapack_" in ir
    return ir


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 4, 33])
def test_values_against_numpy_and_scipy(dtype, n):
    A, b, B = T.matrix(dtype=dtype), T.vector(dtype=dtype), T.matrix(dtype=dtype)
    outs = [nlinalg.matrix_inverse(A), nlinalg.det(A), slinalg.cholesky(A), slinalg.Cholesky(lower=False)(A),
            slinalg.solve(A, b), slinalg.solve(A, B), slinalg.solve_triangular(A, B, lower=True),
            slinalg.solve_triangular(A, b, lower=False, trans=1, unit_diagonal=True),
            slinalg.solve_triangular(A, B, lower=False, trans="T")]
    f = mlc.function([A, b, B], outs)
    _no_host_ops(f)
    a, bv, Bv = spd(n, dtype), RNG.standard_normal(n).astype(dtype), RNG.standard_normal((n, 3)).astype(dtype)
    a64 = a.astype("float64")
    want = [np.linalg.inv(a64), np.linalg.det(a64), sl.cholesky(a64, lower=True), sl.cholesky(a64),
            sl.solve(a64, bv), sl.solve(a64, Bv), sl.solve_triangular(a64, Bv, lower=True),
            sl.solve_triangular(a64, bv, lower=False, trans=1, unit_diagonal=True),
            sl.solve_triangular(a64, Bv, lower=False, trans=1)]
    for got, w in zip(f(a, bv, Bv), want):
        assert got.dtype == dtype and got.shape == np.shape(w)
        scale = max(1.0, float(np.max(np.abs(w)))) if np.size(w) else 1.0
        np.testing.assert_allclose(got / scale, np.asarray(w) / scale, **TOL[dtype])


def test_layouts_and_integers():
    A, B = T.dmatrix(), T.dmatrix()
    f = mlc.function([A, B], [nlinalg.matrix_inverse(A.T), slinalg.solve(A[::2, ::2], B[::2].T.T),
                              nlinalg.det(A[1:, 1:])])
    a, bv = spd(6), RNG.standard_normal((6, 2))
    got = f(a, bv)
    np.testing.assert_allclose(got[0], np.linalg.inv(a.T), rtol=1e-10)
    np.testing.assert_allclose(got[1], np.linalg.solve(a[::2, ::2], bv[::2]), rtol=1e-10)
    np.testing.assert_allclose(got[2], np.linalg.det(a[1:, 1:]), rtol=1e-10)
    ai = T.imatrix()
    g = mlc.function([ai], [nlinalg.matrix_inverse(ai), nlinalg.det(ai)])
    iv = np.array([[2, 1], [1, 3]], dtype="int32")
    inv, det = g(iv)
    assert inv.dtype == "float64" and det.dtype == "float64"
    np.testing.assert_allclose(inv, np.linalg.inv(iv), rtol=1e-12)
    np.testing.assert_allclose(det, 5.0, rtol=1e-12)


def test_failures_raise_linalgerror_with_numpys_and_scipys_words():
    A, b = T.dmatrix(), T.dvector()
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        mlc.function([A], nlinalg.matrix_inverse(A))(singular)
    with pytest.raises(np.linalg.LinAlgError, match="Matrix is singular"):
        mlc.function([A, b], slinalg.solve(A, b))(singular, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="resolution failed at diagonal 1"):
        mlc.function([A, b], slinalg.solve_triangular(A, b, lower=True))(np.array([[1.0, 0], [1, 0]]), np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="2-th leading minor of the array is not positive definite"):
        mlc.function([A], slinalg.cholesky(A))(np.array([[1.0, 2.0], [2.0, 1.0]]))
    nan = mlc.function([A], slinalg.Cholesky(on_error="nan")(A))(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert np.isnan(nan).all()
    assert mlc.function([A], nlinalg.det(A))(singular) == 0.0
    # the function still works after a failure
    f = mlc.function([A], nlinalg.matrix_inverse(A))
    with pytest.raises(np.linalg.LinAlgError):
        f(singular)
    np.testing.assert_allclose(f(np.eye(2) * 2), np.eye(2) / 2)
    with pytest.raises(ValueError, match="square"):
        f(np.ones((2, 3)))


def test_gradients_through_native_lapack():
    a = spd(3)
    verify_grad(lambda x: nlinalg.det(x), [a], rng=np.random.default_rng(1))
    verify_grad(lambda x: nlinalg.matrix_inverse(x).sum(), [a], rng=np.random.default_rng(2))
    verify_grad(lambda x, y: slinalg.solve(x, y), [a, RNG.standard_normal((3, 2))], rng=np.random.default_rng(3))
    verify_grad(lambda x: slinalg.cholesky(x.dot(x.T) + 3 * T.eye(3)), [RNG.standard_normal((3, 3))],
                rng=np.random.default_rng(4))


def test_reference_mode_agrees():
    A, b = T.dmatrix(), T.dvector()
    outs = [nlinalg.det(A), slinalg.solve(A, b), slinalg.cholesky(A)]
    a, bv = spd(4), RNG.standard_normal(4)
    native = mlc.function([A, b], outs)(a, bv)
    ref = mlc.function([A, b], outs, mode="REFERENCE")(a, bv)
    for x, y in zip(native, ref):
        np.testing.assert_allclose(x, y, rtol=1e-10)
