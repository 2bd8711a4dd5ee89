"""complex64/complex128 compiled natively: every op vs numpy, upcasting, 0-d/empty/broadcast, dot via
complex BLAS, gradients (where Theano defines them) vs finite differences, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.graph import ancestors

DTYPES = ["complex64", "complex128"]
TOL = {"complex64": 2e-5, "complex128": 1e-12, "float32": 2e-5, "float64": 1e-12}
rng = np.random.default_rng(12)


def _c(shape, dtype):
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)


def _check(out, ref, tol):
    ref = np.asarray(ref)
    assert out.dtype == ref.dtype and out.shape == ref.shape, (out.dtype, out.shape, ref.dtype, ref.shape)
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def _native(inputs, output):
    f = mlc.function(inputs, output)
    assert "mt." in f.dump_ir("mt")  # compiled, not a host fallback
    return f


# op name -> (graph builder on (x, y), numpy on (a, b))
BINARY = {
    "add": (lambda x, y: x + y, np.add),
    "sub": (lambda x, y: x - y, np.subtract),
    "mul": (lambda x, y: x * y, np.multiply),
    "div": (lambda x, y: x / y, np.true_divide),
    "pow": (lambda x, y: x ** y, np.power),
    "eq": (T.eq, np.equal),
    "neq": (T.neq, np.not_equal),
}
UNARY = {
    "neg": (lambda x: -x, np.negative),
    "abs": (abs, np.abs),
    "real": (lambda x: x.real, np.real),
    "imag": (lambda x: x.imag, np.imag),
    "conj": (lambda x: x.conj(), np.conjugate),
    "angle": (T.angle, lambda a: np.angle(a).astype("float64")),  # Theano: angle is float64
    "exp": (T.exp, np.exp),
    "log": (T.log, np.log),
    "sqrt": (T.sqrt, np.sqrt),
    "inv": (T.inv, np.reciprocal),
    "sqr": (T.sqr, np.square),
    "isnan": (T.isnan, np.isnan),
    "isinf": (T.isinf, np.isinf),
    "sum": (lambda x: x.sum(), np.sum),
    "prod": (lambda x: x.prod(), np.prod),
    "mean": (lambda x: x.mean(), np.mean),
    "sum_axis": (lambda x: x.sum(axis=0), lambda a: a.sum(axis=0)),
}


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_ops_match_numpy(dtype):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    a, b = _c((3, 5), dtype), _c((3, 5), dtype)
    b[0, :2] = a[0, :2]  # some equal elements for eq/neq
    b[1, 0] = 0  # division by zero: numpy's inf/nan
    f = _native([x, y], [build(x, y) for build, _ in BINARY.values()])
    with np.errstate(all="ignore"):
        for out, (name, (_, ref)) in zip(f(a, b), BINARY.items()):
            r = ref(a, b)
            if name == "div":  # the zero divisor's element: both sides non-finite the same way
                assert np.array_equal(np.isfinite(out), np.isfinite(r)), name
                out, r = out[np.isfinite(r)], r[np.isfinite(r)]
            tol = TOL[dtype] * (100 if name == "pow" else 1)
            _check(out, r, tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_ops_match_numpy(dtype):
    x = T.matrix("x", dtype=dtype)
    a = _c((4, 3), dtype)
    a[0, 0] = 0
    a[0, 1] = -4  # sqrt(-4 + 0j) = 2j, log(-4) = log 4 + pi j
    a[0, 2] = complex(np.inf, 0)
    a[1, 0] = complex(np.nan, 1)
    f = _native([x], [build(x) for build, _ in UNARY.values()])
    with np.errstate(all="ignore"):
        for out, (name, (_, ref)) in zip(f(a), UNARY.items()):
            r = np.asarray(ref(a))
            part = TOL[dtype] * (10 if name in ("prod", "log") else 1)
            np.testing.assert_equal(out.dtype, r.dtype, err_msg=name)
            np.testing.assert_allclose(out, r, rtol=part, atol=part, err_msg=name)


def test_special_values_follow_numpy():
    z = T.zvector("z")
    a = np.array([0j, -0.0 - 4j, -4 + 0j, -4 - 0j, complex(0, np.inf), complex(-np.inf, 1), 1e300 + 1e300j])
    f = _native([z], [T.sqrt(z), abs(z), T.exp(z.real.astype("complex128")), T.angle(z)])
    with np.errstate(all="ignore"):
        for out, ref in zip(f(a), [np.sqrt(a), np.abs(a), np.exp(a.real.astype(complex)), np.angle(a)]):
            np.testing.assert_allclose(out, ref, rtol=1e-12)
    # abs does not overflow; division by a huge number does not underflow to 0 (Smith's algorithm)
    w = T.zvector("w")
    g = _native([z, w], z / w)
    num, den = np.array([1e300 + 1e300j, 1 + 1j]), np.array([1e300 + 1e300j, 1e-300 + 1e-300j])
    np.testing.assert_allclose(g(num, den), num / den, rtol=1e-12)


@pytest.mark.parametrize("real_dtype,cdtype", [("float32", "complex64"), ("float64", "complex64"),
                                               ("float32", "complex128"), ("int32", "complex64"),
                                               ("int8", "complex64")])
def test_mixed_real_complex_upcast(real_dtype, cdtype):
    r, z = T.vector("r", dtype=real_dtype), T.vector("z", dtype=cdtype)
    a, b = (rng.normal(size=4) * 5).astype(real_dtype), _c(4, cdtype)
    f = _native([r, z], [r * z, z + r, r / z, T.cast(r, cdtype)])
    refs = [a * b, b + a, a / b, a.astype(cdtype)]
    for out, ref in zip(f(a, b), refs):
        expected = np.result_type(a.dtype, b.dtype) if ref.dtype != np.dtype(cdtype) else np.dtype(cdtype)
        assert out.dtype == expected
        _check(out, ref.astype(expected), 2e-5)


def test_complex_constructor_and_casts():
    x, y = T.dvector("x"), T.fvector("y")
    i = T.ivector("i")
    a, b, n = rng.normal(size=3), rng.normal(size=3).astype("float32"), np.array([1, -2, 3], "int32")
    f = _native([x, y, i], [T.complex(x, x * 2), T.complex(y, y), T.complex(i, i), T.complex_from_polar(x, x),
                            T.cast(T.complex(y, y), "complex128"), T.cast(T.complex(x, x), "complex64")])
    outs = f(a, b, n)
    refs = [a + 2j * a, (b + 1j * b).astype("complex64"), (n + 1j * n).astype("complex128"),
            a * np.cos(a) + 1j * a * np.sin(a), (b + 1j * b).astype("complex64").astype("complex128"),
            (a + 1j * a).astype("complex64")]
    for out, ref in zip(outs, refs):
        _check(out, ref, 2e-6)
    # real of a real tensor is itself, imag is zero, angle is float64 (Theano)
    g = _native([y], [y.real, y.imag, T.angle(y), y.conj()])
    b[0] = -1.5
    for out, ref in zip(g(b), [b, np.zeros_like(b), np.angle(b).astype("float64"), b]):
        _check(out, ref, 1e-7)


def test_zero_d_empty_and_broadcast():
    s, v, m = T.zscalar("s"), T.cvector("v"), T.zmatrix("m")
    f = _native([s, v, m], [s * m, v + m, m.sum(axis=1), (s * v).sum(), abs(m)])
    a, b, c = np.complex128(1 - 2j), _c(3, "complex64"), _c((2, 3), "complex128")
    for out, ref in zip(f(a, b, c), [a * c, b + c, c.sum(axis=1), (a * b).sum(), np.abs(c)]):
        _check(out, ref, 1e-6)
    empty_v, empty_m = np.zeros(0, "complex64"), np.zeros((2, 0), "complex128")
    for out, ref in zip(f(a, empty_v, empty_m), [a * empty_m, empty_v + empty_m, empty_m.sum(axis=1),
                                                   (a * empty_v).sum(), np.abs(empty_m)]):
        _check(out, ref, 0)
    z = T.zscalar("z")
    g = _native([z], [z * z, T.exp(z), abs(z)])
    for out, ref in zip(g(np.complex128(0.5 + 2j)), [(0.5 + 2j) ** 2, np.exp(0.5 + 2j), abs(0.5 + 2j)]):
        assert out.ndim == 0
        _check(out, np.asarray(ref), 1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dot_shapes_use_complex_blas(dtype):
    M, N = T.matrix("M", dtype=dtype), T.matrix("N", dtype=dtype)
    v, w = T.vector("v", dtype=dtype), T.vector("w", dtype=dtype)
    a, b, x, y = _c((5, 4), dtype), _c((4, 3), dtype), _c(4, dtype), _c(4, dtype)
    tol = 1e-4 if dtype == "complex64" else 1e-11
    cases = [(T.dot(M, N), (a, b), a @ b), (T.dot(M, v), (a, x), a @ x), (T.dot(v, N), (b, x), x @ b),
             (T.dot(v, w), (x, y), x @ y), (T.dot(M.T, M), (a,), a.T @ a), (T.dot(M, N) + 1, (a, b), a @ b + 1),
             (T.tensordot(M, N, axes=1), (a, b), np.tensordot(a, b, 1)),
             (T.dot(M, N), (_c((0, 4), dtype), b), np.zeros((0, 3), dtype)),
             (T.dot(M, N), (_c((2, 0), dtype), _c((0, 3), dtype)), np.zeros((2, 3), dtype)),
             (T.dot(M, v), (_c((2, 0), dtype), _c(0, dtype)), np.zeros(2, dtype))]
    for expr, args, ref in cases:
        inputs = [i for i in (M, N, v, w) if any(i is q for q in ancestors([expr]))]
        order = {id(M): 0, id(N): 1, id(v): 2, id(w): 3}
        inputs.sort(key=lambda i: order[id(i)])
        f = mlc.function(inputs, expr)
        _check(f(*args), ref, tol)
    prefix = "c" if dtype == "complex64" else "z"
    ir = mlc.function([M, N], T.dot(M, N)).dump_ir("llvm")
    assert f"mlc_blas_{prefix}gemm" in ir
    assert f"mlc_blas_{prefix}gemv" in mlc.function([M, v], T.dot(M, v)).dump_ir("llvm")


def _numeric_grad(fn, a, eps=1e-6):
    """d fn / d a for a real-valued fn of a real array."""
    g = np.zeros_like(a)
    for k in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[k] = eps
        g[k] = (fn(a + d) - fn(a - d)) / (2 * eps)
    return g


def test_gradients_through_complex_numbers():
    x, y = T.dvector("x"), T.dvector("y")
    a, b = rng.normal(size=3), rng.normal(size=3)
    w = np.array([0.3 - 1.2j, 2 + 0.5j, -1 + 1j])
    W = np.array([[1 + 1j, 0.5], [-2j, 1 - 1j], [0.25 + 2j, -1]])
    z = T.complex(x, y)
    costs = {
        "abs": (abs(z).sum(), lambda p, q: np.abs(p + 1j * q).sum()),
        "real*imag": ((z * w).real.sum() + (z * z).imag.sum(),
                      lambda p, q: ((p + 1j * q) * w).real.sum() + ((p + 1j * q) ** 2).imag.sum()),
        "angle": (T.angle(z).sum(), lambda p, q: np.angle(p + 1j * q).sum()),
        "polar": (abs(T.complex_from_polar(x, y) + w).sum(),
                  lambda p, q: np.abs(p * np.exp(1j * q) + w).sum()),
        "conj-sub": (abs(z.conj() - w * 2).sum(), lambda p, q: np.abs((p - 1j * q) - w * 2).sum()),
        "dot": (abs(T.dot(z, W)).sum() + abs(T.dot(z, w)),
                lambda p, q: np.abs((p + 1j * q) @ W).sum() + np.abs((p + 1j * q) @ w)),
    }
    for name, (cost, ref) in costs.items():
        gx, gy = mlc.grad(cost, [x, y])
        f = mlc.function([x, y], [gx, gy])
        got_x, got_y = f(a, b)
        np.testing.assert_allclose(got_x, _numeric_grad(lambda p: ref(p, b), a), rtol=1e-5, atol=1e-7,
                                   err_msg=name)
        np.testing.assert_allclose(got_y, _numeric_grad(lambda q: ref(a, q), b), rtol=1e-5, atol=1e-7,
                                   err_msg=name)
    # a complex variable's gradient is dC/dRe + i dC/dIm
    c = T.zvector("c")
    g = mlc.function([c], mlc.grad(abs(c * w).sum(), c))
    v = a + 1j * b
    expected = _numeric_grad(lambda p: np.abs((p + 1j * b) * w).sum(), a) + 1j * _numeric_grad(
        lambda q: np.abs((a + 1j * q) * w).sum(), b)
    np.testing.assert_allclose(g(v), expected, rtol=1e-5)


def test_errors():
    z, x = T.zvector("z"), T.dvector("x")
    with pytest.raises(TypeError, match="ambiguous.*real\\(\\), imag\\(\\)"):
        T.cast(z, "float64")  # Theano's rule
    with pytest.raises(TypeError, match="complex"):
        T.complex(z, z)
    with pytest.raises(NotImplementedError, match="no gradient through complex numbers"):
        mlc.grad(abs(T.exp(T.complex(x, x))).sum(), x)
    with pytest.raises(TypeError, match="int_div"):  # Theano: no floor division of complex numbers
        z // z
    c = T.cvector("c")
    g = mlc.function([c], c * 2)
    with pytest.raises(TypeError, match="complex128"):
        g(np.zeros(3, "complex128"))  # a downcast: refused before native code runs
    np.testing.assert_array_equal(g(np.arange(3.0, dtype="float32")), np.arange(3.0) * 2)  # an upcast
