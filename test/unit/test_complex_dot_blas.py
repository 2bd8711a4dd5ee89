"""A complex vector . vector is one ?gemv call (the 1 x n matrix x times y; complex ?dotu, which
returns a struct by value, is never called), not a compiled loop: values and dtypes vs numpy over
complex64/complex128, empty/short/long, strided and reversed views, mixed real x complex, 0-d,
inside scan; the loop-level IR; a gradient through it vs finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad

DTYPES = ["complex64", "complex128"]
EPS = {"complex64": np.finfo(np.float32).eps, "complex128": np.finfo(np.float64).eps}
rng = np.random.default_rng(2026)


def _c(n, dtype):
    return (rng.normal(size=n) + 1j * rng.normal(size=n)).astype(dtype)


def _check_dot(out, x, y, ref_dtype=None):
    """`out` is x . y: numpy's dtype and shape, and within a rounding bound relative to sum |x_i y_i|
    (complex64 accumulates in single precision, as numpy's cdotu does)."""
    ref = np.dot(x, y)
    dtype = np.dtype(ref_dtype or ref.dtype)
    assert out.dtype == dtype and out.shape == (), (out.dtype, out.shape, dtype)
    scale = float(np.sum(np.abs(x.astype("complex128")) * np.abs(y.astype("complex128"))))
    bound = 64 * EPS[str(dtype)] * (scale + 1e-30) * max(1.0, np.sqrt(len(x)))
    assert abs(complex(out) - complex(np.dot(x.astype("complex128"), y.astype("complex128")))) <= bound


@pytest.mark.parametrize("dtype", DTYPES)
def test_values_lengths_and_views(dtype):
    u, v = T.vector("u", dtype=dtype), T.vector("v", dtype=dtype)
    f = mlc.function([u, v], T.dot(u, v))
    g = mlc.function([u, v], [T.dot(u[::2], v[::2]), T.dot(u[::-1], v), T.dot(u[::-2], v[::-2][::-1])])
    for n in (0, 1, 2, 7, 1000):
        x, y = _c(n, dtype), _c(n, dtype)
        _check_dot(f(x, y), x, y)
        _check_dot(f(x[::2], y[::2]), x[::2], y[::2])  # non-contiguous numpy arguments
        _check_dot(f(x[::-1], y), x[::-1], y)
        for out, (a, b) in zip(g(x, y), [(x[::2], y[::2]), (x[::-1], y), (x[::-2], y[::-2][::-1])]):
            _check_dot(out, a, b)
    zero = f(np.zeros(0, dtype), np.zeros(0, dtype))
    assert zero == 0 and zero.dtype == dtype


@pytest.mark.parametrize("real, cplx, result", [("float32", "complex64", "complex64"),
                                                ("float64", "complex64", "complex128"),
                                                ("float64", "complex128", "complex128"),
                                                ("int32", "complex64", "complex128")])
def test_mixed_real_and_complex(real, cplx, result):
    x, z = T.vector("x", dtype=real), T.vector("z", dtype=cplx)
    f = mlc.function([x, z], [T.dot(x, z), T.dot(z, x)])
    for n in (0, 3, 1000):
        a = (rng.normal(size=n) * 5).astype(real)
        c = _c(n, cplx)
        assert np.result_type(a, c) == result  # Theano's upcast is numpy's here
        xz, zx = f(a, c)
        _check_dot(xz, a, c)
        _check_dot(zx, c, a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_d_broadcast_and_contractions(dtype):
    s, u, v = T.scalar("s", dtype=dtype), T.vector("u", dtype=dtype), T.vector("v", dtype=dtype)
    x, y, k = _c(6, dtype), _c(6, dtype), np.asarray(0.5 - 2j, dtype)
    tol = 1e-5 if dtype == "complex64" else 1e-12
    f = mlc.function([s, u, v], [T.dot(s, u), T.dot(u, s), T.tensordot(u, v, axes=1), T.dot(u, v) * s + 1,
                                 T.dot(u, v.conj()), T.dot(u, u)])
    refs = [k * x, x * k, np.tensordot(x, y, 1), np.dot(x, y) * k + 1, np.dot(x, y.conj()), np.dot(x, x)]
    for out, ref in zip(f(k, x, y), refs):
        ref = np.asarray(ref, dtype)
        assert out.dtype == ref.dtype and out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dot_inside_scan(dtype):
    U, V = T.matrix("U", dtype=dtype), T.matrix("V", dtype=dtype)
    rows, _ = mlc.scan(lambda a, b: T.dot(a, b), sequences=[U, V])
    f = mlc.function([U, V], rows)
    assert "blas.gemv" in f.dump_ir("loops")  # the call in the loop over rows
    a, b = _c((4, 9), dtype), _c((4, 9), dtype)
    out = f(a, b)
    assert out.dtype == dtype and out.shape == (4,)
    for r, x, y in zip(out, a, b):
        _check_dot(r, x, y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_dot_is_one_gemv_call_and_no_loop(dtype):
    u, v = T.vector("u", dtype=dtype), T.vector("v", dtype=dtype)
    f = mlc.function([u, v], T.dot(u, v))
    loops = f.dump_ir("loops")
    assert loops.count("blas.gemv") == 1
    assert "expand_shape" in loops  # x viewed as the 1 x n matrix, the 0-d output as a 1-vector: no copy
    for loop in ("linalg.generic", "scf.for", "scf.parallel", "complex.mul", "memref.copy", "memref.alloc"):
        assert loop not in loops, loop
    assert "blas.dot" not in loops
    llvm = f.dump_ir("llvm")
    prefix = "c" if dtype == "complex64" else "z"
    assert f"llvm.call @mlc_blas_{prefix}gemv(" in llvm
    assert "dotu" not in llvm and "dotc" not in llvm
    # float dots keep ?dot
    x, y = T.dvector("x"), T.dvector("y")
    assert "blas.dot" in mlc.function([x, y], T.dot(x, y)).dump_ir("loops")


def test_gradient_of_a_real_function_of_a_complex_dot():
    w = np.array([0.3 - 1.2j, 2 + 0.5j, -1 + 1j, 0.25j])

    def cost(x, y):
        z = T.complex(x, y)
        return abs(T.dot(z, w)) + T.dot(z, z).real + T.dot(w, z.conj()).imag

    x, y = T.dvector("x"), T.dvector("y")
    assert mlc.function([x, y], cost(x, y)).dump_ir("loops").count("blas.gemv") == 3
    verify_grad(cost, [rng.normal(size=4), rng.normal(size=4)], rng=rng)  # vs central differences
