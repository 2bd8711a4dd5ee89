"""nlinalg / slinalg against numpy.linalg / scipy.linalg, gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad
from mlc.tensor import nlinalg as N
from mlc.tensor import slinalg as S

RNG = np.random.default_rng(0)
A = RNG.random((4, 4)) + 4 * np.eye(4)
B = RNG.random((4, 3))
BV = RNG.random(4)


@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_match_numpy_and_scipy(mode, dtype):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    v = T.vector("v", dtype=dtype)
    a, b, bv = A.astype(dtype), B.astype(dtype), BV.astype(dtype)
    sym, pos = a + a.T, a @ a.T
    cases = [
        (N.matrix_inverse(x), np.linalg.inv(a)), (N.pinv(y), np.linalg.pinv(b)), (N.det(x), np.linalg.det(a)),
        (N.eigh(x + x.T)[0], np.linalg.eigh(sym)[0]), (N.eig(x + x.T)[0], np.linalg.eig(sym)[0]),
        (N.svd(y, compute_uv=0), np.linalg.svd(b, compute_uv=False)), (N.qr(y, "r"), np.linalg.qr(b, "r")),
        (N.trace(x), np.trace(a)), (N.diag(v), np.diag(bv)), (N.diag(x), np.diag(a)),
        (N.alloc_diag(v), np.diag(bv)), (N.AllocDiag()(v), np.diag(bv)),
        (N.QRFull("complete")(y)[1], np.linalg.qr(b, "complete")[1]), (N.extract_diag(x, 1), np.diagonal(a, 1)),
        (N.matrix_dot(x, y, y.T), a @ b @ b.T), (N.matrix_power(x, 5), np.linalg.matrix_power(a, 5)),
        (N.matrix_power(x, 0), np.eye(4)), (N.matrix_power(x, -1), np.linalg.inv(a)),
        (N.norm(x, None), np.linalg.norm(a)), (N.norm(x, "inf"), np.linalg.norm(a, np.inf)),
        (N.norm(x, 1), np.linalg.norm(a, 1)), (N.norm(x, -1), np.linalg.norm(a, -1)),
        (N.norm(v, None), np.linalg.norm(bv)), (N.norm(v, 3), np.linalg.norm(bv, 3)),
        (N.norm(v, "-inf"), np.linalg.norm(bv, -np.inf)), (N.norm(v, 0), np.count_nonzero(bv)),
        (S.cholesky(x.dot(x.T)), sl.cholesky(pos, lower=True)),
        (S.Cholesky(lower=False)(x.dot(x.T)), sl.cholesky(pos)),
        (S.solve(x, y), sl.solve(a, b)), (S.solve(x, v), sl.solve(a, bv)),
        (S.solve(x + x.T, y, assume_a="sym"), sl.solve(sym, b)),
        (S.solve_lower_triangular(x, y), sl.solve_triangular(a, b, lower=True)),
        (S.solve_triangular(x, y, trans=1), sl.solve_triangular(a, b, trans=1)),
        (S.solve_triangular(x, v, lower=True, unit_diagonal=True),
         sl.solve_triangular(a, bv, lower=True, unit_diagonal=True)),
        (S.cho_solve((S.cholesky(x.dot(x.T)), True), y), sl.cho_solve((sl.cholesky(pos, lower=True), True), b)),
        (S.cho_solve((S.Cholesky(False)(x.dot(x.T)), False), v), sl.cho_solve((sl.cholesky(pos), False), bv)),
        (S.eigvalsh(x + x.T), sl.eigvalsh(sym)), (S.eigvalsh(x + x.T, x.dot(x.T)), sl.eigvalsh(sym, pos)),
        (S.expm(x * np.asarray(0.1, dtype)), sl.expm(a * np.asarray(0.1, dtype))), (S.kron(x, y), np.kron(a, b)),
        (S.kron(v, y), np.multiply.outer(bv, b).transpose(1, 0, 2).ravel()),  # Theano's 3-d rule
        (N.tensorinv(x.reshape((2, 2, 2, 2))), np.linalg.tensorinv(a.reshape(2, 2, 2, 2))),
        (N.tensorsolve(x.reshape((2, 2, 2, 2)), y[:2, :2]), np.linalg.tensorsolve(a.reshape(2, 2, 2, 2), b[:2, :2])),
    ]
    f = mlc.function([x, y, v], [c[0] for c in cases], mode=mode, on_unused_input="ignore")
    tol = 1e-4 if dtype == "float32" else 1e-9
    for got, (var, want) in zip(f(a, b, bv), cases):
        want = np.asarray(want)
        assert got.shape == want.shape, (var, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=str(var))
        if want.dtype.kind == "f":
            assert got.dtype == dtype, (var, got.dtype)


def test_multi_output_decompositions():
    y = T.dmatrix("y")
    u, s, vt = N.svd(y, full_matrices=0)
    q, r = N.qr(y)
    qc, rc = N.qr(y, "complete")
    w, vec = N.eigh(y.dot(y.T), "U")
    x, res, rank, sv = N.lstsq()(y, y.sum(1), -1)  # Theano's spelling
    f = mlc.function([y], [u, s, vt, q, r, qc, rc, w, vec, x, res, rank, sv])
    got = f(B)
    np.testing.assert_allclose(got[0] * got[1] @ got[2], B, atol=1e-12)
    np.testing.assert_allclose(got[3] @ got[4], B, atol=1e-12)
    assert got[5].shape == (4, 4) and got[6].shape == (4, 3)
    np.testing.assert_allclose(got[8] @ np.diag(got[7]) @ got[8].T, B @ B.T, atol=1e-12)
    ref = np.linalg.lstsq(B, B.sum(1), rcond=None)
    for g, e in zip(got[9:], ref):
        np.testing.assert_allclose(g, e, atol=1e-10)


def test_errors_are_clear():
    x = T.dmatrix("x")
    f = mlc.function([x], N.matrix_inverse(x))
    with pytest.raises(np.linalg.LinAlgError):
        f(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="square"):
        f(np.ones((2, 3)))
    with pytest.raises(GraphErrorOrType):
        N.det(T.dvector())
    g = mlc.function([x], S.Cholesky(on_error="nan")(x))
    assert np.isnan(g(-np.eye(2))).all()
    with pytest.raises(np.linalg.LinAlgError):
        mlc.function([x], S.cholesky(x))(-np.eye(2))
    with pytest.raises(ValueError, match="structure"):
        S.Solve("weird")


GraphErrorOrType = (ValueError, TypeError)


def test_gradients_match_finite_differences():
    verify_grad(N.matrix_inverse, [A])
    verify_grad(N.det, [A])
    verify_grad(N.pinv, [B])
    verify_grad(lambda a: N.eigh(a + a.T)[0] * np.arange(4.0) + N.eigh(a + a.T)[1][0] ** 2, [A])
    verify_grad(lambda a: N.matrix_power(a, 3) + N.trace(a) + N.norm(a, None), [A])
    verify_grad(lambda a: S.cholesky(a.dot(a.T)), [A])
    verify_grad(lambda a: S.Cholesky(lower=False)(a.dot(a.T)), [A])
    verify_grad(S.solve, [A, B])
    verify_grad(lambda a, b: S.solve_triangular(a, b, lower=True), [A, B])
    verify_grad(lambda a, b: S.solve_triangular(a, b, trans=1), [A, BV])
    verify_grad(lambda a, b: S.cho_solve((S.cholesky(a.dot(a.T)), True), b), [A, BV])
    verify_grad(lambda a: S.eigvalsh(a + a.T), [A])
    verify_grad(lambda a, c: S.eigvalsh(a + a.T, c.dot(c.T)), [A, A])
    verify_grad(lambda a: S.expm(a * 0.1), [A])
    verify_grad(S.kron, [A, B])
