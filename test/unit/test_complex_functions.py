"""Complex elementary functions compiled natively (expand-complex, the `zmath` dialect): sin ... arctanh,
exp2/log2/log10, expm1/log1p, numpy's order (lt/le/gt/ge, maximum/minimum), against numpy in ulps over
values spanning the branch cuts, and C99/numpy special values (inf, nan, signed zeros) exactly."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T

DTYPES = ["complex64", "complex128"]
FUNCTIONS = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
             "arctanh", "expm1", "exp2", "log2", "log10", "exp", "log", "sqrt", "log1p"]
MAX_ULPS = 8  # normwise: |out - ref| / (eps |ref|); measured <= 3.5 everywhere but log1p (numpy's, below)


def _compiled(dtype, names):
    z = T.vector("z", dtype=dtype)
    f = mlc.function([z], [getattr(T, n)(z) for n in names])
    assert "mt." in f.dump_ir("mt")  # compiled, not a host fallback
    return f


def _log1p_reference(a):
    """log(1 + z) in long double: numpy's nc_log1p takes log(hypot(1 + x, y)), which loses the digits of a
    small z (log1p(1e-8 + 0j) is 0 in numpy); mlc keeps them, so its reference is the true value."""
    x, y = a.real.astype(np.longdouble), a.imag.astype(np.longdouble)
    re = np.where(np.hypot(1 + x, y) < 2, 0.5 * np.log1p(x * (2 + x) + y * y), np.log(np.hypot(1 + x, y)))
    return re, np.arctan2(y, 1 + x)


def _ulps(out, ref_re, ref_im, eps):
    ref_re, ref_im = np.asarray(ref_re, np.longdouble), np.asarray(ref_im, np.longdouble)
    err = np.hypot(out.real.astype(np.longdouble) - ref_re, out.imag.astype(np.longdouble) - ref_im)
    return err / (np.hypot(ref_re, ref_im) * np.longdouble(eps))


def _sample(dtype, rng):
    """Random magnitudes 1e-6..1e2.5 in all four quadrants, plus the real and imaginary axes from -5 to 5
    with both signed zeros (the branch cuts)."""
    n = 3000
    mag = 10.0 ** rng.uniform(-6, 2.5 if dtype == "complex128" else 1.5, size=(2, n))
    sign = rng.choice([-1, 1], size=(2, n))
    axis = np.linspace(-5, 5, 81)
    cuts = [complex(c, s) for c in axis for s in (0.0, -0.0)] + [complex(s, c) for c in axis for s in (0.0, -0.0)]
    return np.concatenate([sign[0] * mag[0] + 1j * sign[1] * mag[1], cuts]).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_functions_within_ulps_of_numpy_across_branch_cuts(dtype):
    a = _sample(dtype, np.random.default_rng(7))
    eps = np.finfo(a.real.dtype).eps
    f = _compiled(dtype, FUNCTIONS)
    with np.errstate(all="ignore"):
        for name, out in zip(FUNCTIONS, f(a)):
            assert out.dtype == np.dtype(dtype) and out.shape == a.shape, name
            ref = getattr(np, name)(a) if name != "log1p" else None
            re, im = (ref.real, ref.imag) if ref is not None else _log1p_reference(a)
            finite = np.isfinite(re) & np.isfinite(im) & ((re != 0) | (im != 0))
            ulps = _ulps(out[finite], re[finite], im[finite], eps)
            assert ulps.max() <= MAX_ULPS, (name, float(ulps.max()), a[finite][np.argmax(ulps)])
            # on the cuts the side is the signed zero's: both parts' signs as numpy's
            on_cut = ~np.isfinite(a) | (a.real == 0) | (a.imag == 0)
            if ref is not None:
                nonzero = np.abs(ref[on_cut]) > 1e-3
                for part in ("real", "imag"):
                    o, r = getattr(out[on_cut], part), getattr(ref[on_cut], part)
                    big = nonzero & (np.abs(r) > 1e-3)
                    np.testing.assert_array_equal(np.sign(o[big]), np.sign(r[big]), err_msg=f"{name} {part}")


def _special_grid(dtype):
    f = np.finfo(np.float32 if dtype == "complex64" else np.float64)
    huge = 89.0 if dtype == "complex64" else 710.0  # e^x overflows, e^x cos y need not
    parts = [0.0, -0.0, float(f.tiny), 1e-8, 0.5, 1.0, -1.0, 1 - float(f.eps), 1 + 2 * float(f.eps), 2.0, -2.0,
             9.5, 30.0, -30.0, huge, 1e10, -1e10, float(f.max) / 4, np.inf, -np.inf, np.nan]
    return np.array([complex(x, y) for x in parts for y in parts], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values_match_numpy(dtype):
    """inf, nan, signed zeros, tiny/huge parts, |z| = 1 +- eps: nan where numpy has nan, the same infinities,
    the same signs of zero parts, finite values within MAX_ULPS (log1p: numpy's is inaccurate, see above)."""
    a = _special_grid(dtype)
    names = [n for n in FUNCTIONS if n != "log1p"]
    f = _compiled(dtype, names)
    eps = np.finfo(a.real.dtype).eps
    with np.errstate(all="ignore"):
        for name, out in zip(names, f(a)):
            ref = getattr(np, name)(a)
            for part in ("real", "imag"):
                o, r = getattr(out, part), getattr(ref, part)
                np.testing.assert_array_equal(np.isnan(o), np.isnan(r), err_msg=f"{name} {part} nan")
                inf = np.isinf(r) | np.isinf(o)
                np.testing.assert_array_equal(o[inf], r[inf], err_msg=f"{name} {part} inf")
                zero = (r == 0) & (o == 0)
                np.testing.assert_array_equal(np.signbit(o[zero]), np.signbit(r[zero]),
                                              err_msg=f"{name} {part} signed zero at {a[zero]}")
            finite = np.isfinite(ref) & np.isfinite(out) & (ref != 0)
            ulps = _ulps(out[finite], ref[finite].real, ref[finite].imag, eps)
            assert ulps.max() <= MAX_ULPS, (name, float(ulps.max()), a[finite][np.argmax(ulps)])
            np.testing.assert_array_equal(out[np.isfinite(ref) & (ref == 0)], 0, err_msg=name)


def test_log1p_keeps_small_arguments():
    f = _compiled("complex128", ["log1p"])
    a = np.array([1e-8 + 0j, 1e-8j, 1e-20 + 1e-20j, -0.5 + 1e-9j])
    re, im = _log1p_reference(a)
    assert _ulps(f(a)[0], re, im, np.finfo(np.float64).eps).max() <= 4
    assert f(a)[0][0].real == pytest.approx(1e-8, rel=1e-15)  # numpy gives 0 here


@pytest.mark.parametrize("dtype", DTYPES)
def test_order_and_max_min_follow_numpy(dtype):
    """numpy's lexicographic order with its nan rules (a nan imaginary part makes < false unless the real
    parts tie, ...); maximum/minimum keep the first operand when it has a nan part."""
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    nan = np.nan
    pairs = [(1 + 1j, 2 + 0j), (complex(1, nan), 2 + 0j), (complex(nan, 1), 1 + 1j), (1 + 2j, 1 + 1j),
             (complex(2, nan), 1 + 0j), (1 + 1j, complex(1, nan)), (complex(nan, 0), 1 + 0j), (1 + 1j, 1 + 0j),
             (1 + 1j, 1 + 1j), (-0.0 + 0j, 0j), (2 + 0j, complex(2, nan)), (3 - 1j, 3 + 1j)]
    a = np.array([p for p, _ in pairs], dtype)
    b = np.array([q for _, q in pairs], dtype)
    ops = [T.lt, T.le, T.gt, T.ge, T.maximum, T.minimum]
    refs = [np.less, np.less_equal, np.greater, np.greater_equal, np.maximum, np.minimum]
    f = mlc.function([x, y], [op(x, y) for op in ops] + [op(y, x) for op in ops])
    with np.errstate(invalid="ignore"):
        expected = [r(a, b) for r in refs] + [r(b, a) for r in refs]
    for out, ref, name in zip(f(a, b), expected, [r.__name__ for r in refs] * 2):
        assert out.dtype == ref.dtype, name
        np.testing.assert_array_equal(out, ref, err_msg=name)  # nan parts where numpy has them


def test_shapes_0d_empty_broadcast_and_mixed_dtypes():
    s, m = T.zscalar("s"), T.cmatrix("m")
    r = T.fvector("r")
    f = mlc.function([s, m, r], [T.sin(s), T.arctanh(m * s), T.maximum(m, r), T.tanh(m) + T.cosh(r),
                                 T.lt(s, m)])
    a = np.complex128(0.3 - 0.7j)
    rng = np.random.default_rng(3)
    b = (rng.normal(size=(2, 3)) + 1j * rng.normal(size=(2, 3))).astype("complex64")
    c = rng.normal(size=3).astype("float32")
    refs = [np.sin(a), np.arctanh(b * a), np.maximum(b, c), np.tanh(b) + np.cosh(c), np.less(a, b)]
    for out, ref in zip(f(a, b, c), refs):
        ref = np.asarray(ref)
        assert out.shape == ref.shape and out.dtype == ref.dtype, (out.dtype, ref.dtype)
        np.testing.assert_allclose(out, ref, rtol=1e-5)
    e = np.zeros((0, 3), "complex64")
    for out, ref in zip(f(a, e, c), [np.sin(a), np.arctanh(e * a), np.maximum(e, c), np.tanh(e) + np.cosh(c),
                                     np.less(a, e)]):
        assert out.shape == np.shape(ref) and out.dtype == np.asarray(ref).dtype


def test_no_gradient_through_complex_functions_as_theano():
    x = T.dvector("x")
    with pytest.raises(NotImplementedError, match="sin: no gradient through complex numbers"):
        mlc.grad(abs(T.sin(T.complex(x, x))).sum(), x)
    with pytest.raises(TypeError, match="sgn"):  # Theano: "complex has no sgn"
        T.sgn(T.zvector("z"))


def test_reference_mode_agrees():
    z = T.zvector("z")
    exprs = [T.arcsin(z), T.tanh(z), T.log10(z), T.maximum(z, z.conj())]
    a = np.array([0.5 + 2j, -3 - 0.1j, 2 + 0j, 1e-3j])
    native, ref = mlc.function([z], exprs), mlc.function([z], exprs, mode="REFERENCE")
    for out, expected in zip(native(a), ref(a)):
        np.testing.assert_allclose(out, expected, rtol=1e-14)
