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


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eigh_svd_pinv_tensorinv_tensorsolve(dtype):
    A, M = T.matrix(dtype=dtype), T.matrix(dtype=dtype)
    w, v = nlinalg.eigh(A)
    wu, vu = nlinalg.Eigh("U")(A)
    outs = [w, v, wu, vu, *nlinalg.svd(M), *nlinalg.svd(M, full_matrices=0), nlinalg.svd(M, compute_uv=0),
            nlinalg.pinv(M)]
    f = mlc.function([A, M], outs)
    ir = _no_host_ops(f)
    assert "mlc_lapack_eigh" in ir and "mlc_lapack_svd" in ir
    tol = TOL[dtype]
    for m, n in [(4, 6), (6, 4), (3, 3), (0, 3), (2, 0), (1, 1)]:
        a = RNG.standard_normal((5, 5)).astype(dtype)
        a_lower = np.tril(a) + np.tril(a, -1).T  # what eigh reads with UPLO='L'
        a_upper = np.triu(a) + np.triu(a, 1).T
        mm = RNG.standard_normal((m, n)).astype(dtype)
        got = f(a, mm)
        for (wg, vg), sym in ((got[0:2], a_lower), (got[2:4], a_upper)):
            wn, vn = np.linalg.eigh(sym.astype("float64"))
            np.testing.assert_allclose(wg, wn, **tol)
            np.testing.assert_allclose(np.abs(vg), np.abs(vn), **tol)  # eigenvectors up to sign
            np.testing.assert_allclose(vg @ np.diag(wg) @ vg.T, sym, rtol=1e-3 if dtype == "float32" else 1e-10,
                                       atol=1e-4 if dtype == "float32" else 1e-10)
        u, s, vt, ur, sr, vtr, s_only, p = got[4:]
        U, S, VT = np.linalg.svd(mm.astype("float64"))
        assert (u.shape, s.shape, vt.shape) == (U.shape, S.shape, VT.shape)
        assert (ur.shape, vtr.shape) == ((m, min(m, n)), (min(m, n), n))
        for x in got[4:]:
            assert x.dtype == dtype
        np.testing.assert_allclose(s, S, **tol)
        np.testing.assert_allclose(s_only, S, **tol)
        np.testing.assert_allclose((ur * sr) @ vtr, mm, rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-4 if
                                   dtype == "float32" else 1e-10)
        np.testing.assert_allclose(u @ u.T, np.eye(m), atol=1e-5 if dtype == "float32" else 1e-12)
        np.testing.assert_allclose(vt @ vt.T, np.eye(n), atol=1e-5 if dtype == "float32" else 1e-12)
        np.testing.assert_allclose(p, np.linalg.pinv(mm.astype("float64")), rtol=1e-3 if dtype == "float32" else
                                   1e-9, atol=1e-4 if dtype == "float32" else 1e-10)
    a4, a3, a3b, b = (T.tensor4(dtype=dtype), T.tensor3(dtype=dtype), T.tensor3(dtype=dtype),
                      T.vector(dtype=dtype))
    g = mlc.function([a4, a3, a3b, b], [nlinalg.tensorinv(a4, 2), nlinalg.tensorsolve(a3, b),
                                        nlinalg.tensorsolve(a3b, b, axes=(0,))])
    assert "mlc_lapack_inverse" in g.dump_ir("llvm")
    x4 = (RNG.standard_normal((6, 6)) + 3 * np.eye(6)).reshape(2, 3, 3, 2).astype(dtype)
    x3 = (RNG.standard_normal((6, 6)) + 3 * np.eye(6)).reshape(6, 2, 3).astype(dtype)
    x3b = np.ascontiguousarray(x3.reshape(6, 3, 2).transpose(2, 0, 1))  # axes=(0,) moves its first axis last
    bv = RNG.standard_normal(6).astype(dtype)
    want = [np.linalg.tensorinv(x4, 2), np.linalg.tensorsolve(x3, bv), np.linalg.tensorsolve(x3b, bv, axes=(0,))]
    for x, y in zip(g(x4, x3, x3b, bv), want):
        assert x.dtype == dtype and x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=1e-3 if dtype == "float32" else 1e-10, atol=1e-4)
    with pytest.raises(ValueError, match="tensorsolve: Input arrays must satisfy"):
        g(x4, x3, x3, bv)


def test_eigh_gradient_and_failures():
    sym = lambda x: (x + x.T) / 2  # noqa: E731
    c = RNG.standard_normal(3)
    C = RNG.standard_normal((3, 3))
    verify_grad(lambda x: (nlinalg.eigh(sym(x))[0] * c).sum() + ((nlinalg.eigh(sym(x))[1] ** 2) * C).sum(),
                [RNG.standard_normal((3, 3))], rng=np.random.default_rng(5))
    verify_grad(lambda x: nlinalg.pinv(x).sum(), [RNG.standard_normal((3, 2))], rng=np.random.default_rng(6))
    A = T.dmatrix()
    with pytest.raises(np.linalg.LinAlgError, match="SVD did not converge"):
        mlc.function([A], nlinalg.svd(A, compute_uv=0))(np.full((3, 3), np.nan))


def test_zero_fill_read_by_a_dot_is_materialized():
    """A zeros_like operand of a dot (here from eigh's gradient with gv disconnected) used to be skipped by
    bufferize as if it were a BLAS output it never reads: "no buffer for linalg.fill"."""
    x = T.dmatrix()
    np.testing.assert_array_equal(mlc.function([x], T.dot(x, T.zeros_like(x).T))(np.ones((2, 3))), np.zeros((2, 2)))


def test_reference_interpreter_runs_the_mt_ops():
    from mlc.dialects.mt.reference import run_mt_text

    a = spd(4)
    m = RNG.standard_normal((3, 5))
    src = """func.func @f(%a: tensor<?x?xf64>, %m: tensor<?x?xf64>) -> (tensor<?xf64>, tensor<?xf64>, tensor<f64>, tensor<?x?xf64>) {
      %w, %v = mt.eigh %a {lower} : tensor<?x?xf64> -> tensor<?xf64>, tensor<?x?xf64>
      %s = mt.svd %m : tensor<?x?xf64> -> tensor<?xf64>
      %d = mt.det %a : tensor<?x?xf64> -> tensor<f64>
      %l = mt.cholesky %a {lower} : tensor<?x?xf64> -> tensor<?x?xf64>
      func.return %w, %s, %d, %l : tensor<?xf64>, tensor<?xf64>, tensor<f64>, tensor<?x?xf64>
    }"""
    w, s, d, l = run_mt_text(src, a, m)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=1e-12)
    np.testing.assert_allclose(s, np.linalg.svd(m, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(l, np.linalg.cholesky(a), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_qr_all_modes_and_eigvalsh(dtype):
    M = T.matrix(dtype=dtype)
    outs = [*nlinalg.qr(M), *nlinalg.qr(M, "complete"), nlinalg.qr(M, "r"), *nlinalg.qr(M, "raw")]
    f = mlc.function([M], outs)
    assert "mlc_lapack_qr" in _no_host_ops(f)
    for shape in [(5, 3), (3, 5), (4, 4), (0, 3), (3, 0), (1, 1)]:
        m = RNG.standard_normal(shape).astype(dtype)
        want = [*np.linalg.qr(m), *np.linalg.qr(m, "complete"), np.linalg.qr(m, "r"), *np.linalg.qr(m, "raw")]
        for got, w in zip(f(m), want):
            assert got.dtype == dtype and got.shape == w.shape
            np.testing.assert_allclose(np.abs(got), np.abs(w), **TOL[dtype])  # signs: the same LAPACK, but allow
    A, B = T.matrix(dtype=dtype), T.matrix(dtype=dtype)
    g = mlc.function([A, B], [slinalg.eigvalsh(A), slinalg.eigvalsh(A, B), slinalg.eigvalsh(A, B, lower=False)])
    assert "mlc_lapack_eigh" in _no_host_ops(g)
    a = RNG.standard_normal((4, 4)).astype(dtype)
    b = spd(4, dtype)
    for got, w in zip(g(a, b), [sl.eigvalsh(a), sl.eigvalsh(a, b), sl.eigvalsh(a, b, lower=False)]):
        np.testing.assert_allclose(got, w, rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-4 if
                                   dtype == "float32" else 1e-10)
    sym = lambda x: (x + x.T) / 2  # noqa: E731
    verify_grad(lambda x, y: slinalg.eigvalsh(sym(x), y.dot(y.T) + 3 * T.eye(3)),
                [RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))], rng=np.random.default_rng(8))


_EMPTY_SIDES = r'''
import numpy as np, scipy.linalg as sl, mlc, mlc.tensor as T
from mlc.tensor import nlinalg, slinalg
mlc.config.cache_dir = ""
x, y = T.dmatrix("x"), T.dmatrix("y")
for mode in ("reduced", "complete", "r", "raw"):
    f = mlc.function([x], nlinalg.qr(x, mode))
    for shape in ((5, 0), (0, 5), (0, 0), (4, 1)):
        a = np.arange(np.prod(shape), dtype="float64").reshape(shape)
        for _ in range(50):
            got = f(a)
        want = np.linalg.qr(a, mode)
        got = got if isinstance(got, (list, tuple)) else [got]
        want = want if isinstance(want, tuple) else [want]
        assert [g.shape for g in got] == [w.shape for w in want], (mode, shape)
s = mlc.function([x, y], slinalg.solve(x, y))
for _ in range(50):
    got = s(np.eye(5) * 2, np.zeros((5, 0)))
assert got.shape == (5, 0)
print("ok")
'''


def test_matrices_without_columns_do_not_write_past_their_buffers():
    """The adapters' transpose entered its column loop once per row even with no columns: a (5, 0) QR or
    a solve with no right-hand sides wrote past a one-element buffer (found by the fuzzer as heap
    corruption). glibc's checking allocator (MALLOC_CHECK_=3) turns such a write into an abort."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, MALLOC_CHECK_="3", MALLOC_PERTURB_="165")
    done = subprocess.run([sys.executable, "-c", _EMPTY_SIDES], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
