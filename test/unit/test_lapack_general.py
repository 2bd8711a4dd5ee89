"""eig (geev), lstsq (gelsd) and expm from native code, against numpy/scipy: values, dtypes, shapes (0x0,
empty, rank-deficient), errors, gradients as Theano 1.0.5 defines them."""

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.tensor import nlinalg as N


def _calls(f, adapter: str) -> bool:
    """Does the compiled function call the LAPACK adapter from native code?"""
    return f"mlc_lapack_{adapter}" in f.dump_ir("llvm")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_eig_real_parts_as_theano(dtype):
    x = T.matrix("x", dtype=dtype)
    f = mlc.function([x], N.eig(x))
    rng = np.random.default_rng(1)
    for n in (0, 1, 2, 5, 9):  # 5, 9: complex pairs (their vectors share the real part)
        a = rng.standard_normal((n, n)).astype(dtype)
        w, v = f(a)
        rw, rv = np.linalg.eig(a)
        assert w.dtype == v.dtype == dtype and w.shape == (n,) and v.shape == (n, n)
        np.testing.assert_allclose(w, rw.real.astype(dtype), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, rv.real.astype(dtype), rtol=1e-5, atol=1e-6)
    assert _calls(f, "eig")


def test_eig_complex_core_int_input_and_transposed_operand():
    x = T.lmatrix("x")
    w, v = N.EigComplex()(x.T)
    f = mlc.function([x], [w, v, N.eig(x)[0]])
    a = np.array([[0, 1, 0], [-1, 0, 0], [0, 0, 2]])
    cw, cv, rw = f(a)
    ew, ev = np.linalg.eig(a.T)
    assert cw.dtype == cv.dtype == "complex128" and rw.dtype == "float64"
    np.testing.assert_allclose(cw, ew, atol=1e-12)
    np.testing.assert_allclose(cv, ev, atol=1e-12)
    np.testing.assert_allclose(rw, np.linalg.eig(a)[0].real, atol=1e-12)
    np.testing.assert_allclose(a.T @ cv, cv * cw, atol=1e-12)  # A v = v diag(w)


def test_eig_errors_and_no_gradient():
    x = T.dmatrix("x")
    f = mlc.function([x], N.eig(x))
    with pytest.raises(np.linalg.LinAlgError, match="Array must not contain infs or NaNs"):
        f(np.array([[np.nan, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        f(np.ones((2, 3)))
    with pytest.raises(AttributeError, match="'Eig' object has no attribute 'grad'"):  # Theano: no Eig.grad
        mlc.grad(N.eig(x)[0].sum(), x)


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_eig_complex_matrix(dtype):
    c = T.matrix("c", dtype=dtype)
    f = mlc.function([c], N.eig(c))
    assert _calls(f, "eig_c128")  # zgeev (numpy computes complex64 in complex128 too)
    rng = np.random.default_rng(5)
    for n in (0, 1, 6):
        a = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(dtype)
        w, v = f(a)
        rw, rv = np.linalg.eig(a)
        assert w.dtype == v.dtype == dtype and v.shape == (n, n)
        np.testing.assert_allclose(w, rw, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, rv, rtol=1e-5, atol=1e-6)
    with pytest.raises(np.linalg.LinAlgError, match="Array must not contain infs or NaNs"):
        f(np.array([[np.inf, 1], [0, 1]], dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstsq_as_numpy(dtype):
    rng = np.random.default_rng(2)
    for bdim in (1, 2):
        a = T.matrix("a", dtype=dtype)
        b = T.vector("b", dtype=dtype) if bdim == 1 else T.matrix("b", dtype=dtype)
        f = mlc.function([a, b], N.lstsq()(a, b, -1))
        # tall (residuals), wide, square, rank-deficient tall (no residuals), empty in every way
        for m, n, k in [(6, 3, 2), (3, 5, 2), (4, 4, 1), (0, 3, 2), (3, 0, 2), (3, 2, 0), (0, 0, 1)]:
            if bdim == 1 and k != 2:
                continue
            A = rng.standard_normal((m, n)).astype(dtype)
            B = rng.standard_normal((m, k) if bdim == 2 else (m,)).astype(dtype)
            got = f(A, B)
            ref = np.linalg.lstsq(A, B, rcond=-1)
            for g, r in zip(got, ref):
                assert g.shape == np.shape(r), (m, n, k, g.shape, np.shape(r))
                np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)
            assert [g.dtype for g in got] == [dtype, dtype, "int64", dtype]
        assert _calls(f, "lstsq")
        from mlc.tensor.host import HostOp  # the residuals' run-time length is native too: no host step

        assert not [n for n in f.maker.fgraph.toposort() if isinstance(n.op, HostOp)]
    deficient = np.ones((5, 3), dtype)
    x, res, rank, s = f(deficient, np.arange(10.0, dtype=dtype).reshape(5, 2))
    assert rank == 1 and res.shape == (0,)


def test_lstsq_rcond_errors_and_no_gradient():
    a, b, rc = T.dmatrix("a"), T.dvector("b"), T.dscalar("rc")
    outs = N.lstsq()(a, b, rc)
    f = mlc.function([a, b, rc], outs)
    A = np.diag([1.0, 1e-3, 1e-9])
    B = np.ones(3)
    for r in (-1.0, 1e-6, 1e-2):
        assert f(A, B, r)[2] == np.linalg.lstsq(A, B, rcond=r)[2]
    with pytest.raises(ValueError, match="Incompatible dimensions"):
        f(A, np.ones(4), -1.0)
    g = mlc.function([a, b], N.lstsq()(a, b, None)[2])  # numpy's default rcond: eps * max(m, n)
    C = np.diag([1.0, 3e-16, 1.0])
    assert g(C, B) == np.linalg.lstsq(C, B, rcond=None)[2] == 2 and f(C, B, -1.0)[2] == 3
    with pytest.raises(AttributeError, match="'lstsq' object has no attribute 'grad'"):
        mlc.grad(outs[0].sum(), a)
    with pytest.raises(np.linalg.LinAlgError, match="SVD did not converge in Linear Least Squares"):
        f(np.full((3, 3), np.nan), B, -1.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_expm_as_scipy(dtype):
    import scipy.linalg as sl

    from mlc.tensor import slinalg as S

    x = T.matrix("x", dtype=dtype)
    f = mlc.function([x], S.expm(x))
    assert _calls(f, "expm")
    rng = np.random.default_rng(3)
    tol = 1e-12 if dtype == "float64" else 2e-5
    # every Pade degree (3, 5, 7, 9, 13) and scalings, 0x0 and 1x1, triangular and diagonal inputs
    cases = [rng.standard_normal((n, n)) * s for n in (0, 1, 2, 6, 17) for s in (1e-4, 0.05, 0.3, 1.0, 6.0)]
    cases += [np.triu(rng.standard_normal((5, 5))) * 3, np.tril(rng.standard_normal((4, 4))), np.diag([1.0, -2, 3])]
    cases += [np.triu(rng.standard_normal((6, 6))) * 30, np.tril(np.ones((4, 4))) * 4]  # triangular, scaled
    cases += [rng.standard_normal((5, 5)) * 30]  # float32: the |A|^19 estimate overflows (scipy then ignores it)
    for a in cases:
        a = a.astype(dtype)
        got, ref = f(a), sl.expm(a)
        assert got.dtype == dtype and got.shape == a.shape
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * max(np.abs(ref).max(initial=0), 1))
        if np.array_equal(a, np.triu(a)):  # a triangular input keeps its zero triangle exactly
            assert np.all(np.tril(got, -1) == 0)
    sym = rng.standard_normal((8, 8))
    sym = sym + sym.T
    w, v = np.linalg.eigh(sym)
    if dtype == "float64":  # against the eigendecomposition: as accurate as scipy or better
        exact = (v * np.exp(w)) @ v.T
        assert np.abs(f(sym) - exact).max() <= 10 * max(np.abs(sl.expm(sym) - exact).max(), 1e-15 * np.abs(exact).max())
    ints = T.lmatrix("i")
    np.testing.assert_allclose(mlc.function([ints], S.expm(ints))(np.array([[0, 1], [-1, 0]])),
                               sl.expm(np.array([[0.0, 1], [-1, 0]])), atol=1e-14)
    with pytest.raises(ValueError, match="square"):
        f(np.ones((2, 3), dtype))
    with np.errstate(all="ignore"):  # non-finite input: NaN as scipy's
        assert np.isnan(f(np.array([[np.nan, 1], [2, 3]], dtype))).all()
        assert np.isnan(f(np.array([[np.inf, 1], [2, 3]], dtype))).all()


def test_expm_gradient_is_theanos_expm_grad_natively():
    from mlc.gradient import verify_grad
    from mlc.tensor import slinalg as S

    A, G = T.dmatrix("A"), T.dmatrix("G")
    out = S.ExpmGrad()(A, G)
    f = mlc.function([A, G], out)
    assert _calls(f, "eig") and _calls(f, "inverse")
    rng = np.random.default_rng(4)
    for n in (1, 2, 5):
        a, g = rng.standard_normal((n, n)), rng.standard_normal((n, n))
        np.testing.assert_allclose(f(a, g), S.ExpmGrad().perform(out.owner, [a, g])[0], rtol=1e-10, atol=1e-12)
    verify_grad(lambda a: S.expm(a * 0.5), [rng.standard_normal((4, 4))])
    verify_grad(lambda a: S.expm(a.T - a), [rng.standard_normal((3, 3))])  # complex eigenvalues
    x = T.fmatrix("x")
    assert mlc.function([x], mlc.grad(S.expm(x).sum(), x))(np.eye(2, dtype="f")).dtype == "float32"
