"""theano.sparse on mlc (mlc.sparse): every op against scipy.sparse / numpy, gradients against finite differences.

Values in and out are scipy matrices: each result is checked for format,
dtype, shape and values. Matrices include empty ones and rows/columns with
no stored entries. structured_dot is native (mt.csr_dot): checked for csr
and csc operands against scipy, with both gradients.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import mlc
import mlc.gradient
import mlc.sparse as S
import mlc.tensor as T


def _rand(m, n, density, fmt, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = sp.random(m, n, density=density, format="csr", random_state=seed, dtype="float64")
    if a.nnz:
        a.data = rng.uniform(0.5, 2.0, a.nnz) * rng.choice([-1, 1], a.nnz)
    if np.dtype(dtype).kind in "iu":
        a.data = np.round(a.data * 3)
        a.data[a.data == 0] = 1
        if np.dtype(dtype).kind == "u":
            a.data = np.abs(a.data)
    return a.astype(dtype).asformat(fmt)


def _with_empty_row(a):
    """a with its row 1 (and column 1) emptied: rows with no entries."""
    d = a.toarray()
    if d.shape[0] > 1:
        d[1, :] = 0
    if d.shape[1] > 1:
        d[:, 1] = 0
    return type(a)(d)


def _check_sparse(got, want, fmt, dtype, rtol=1e-6):
    assert sp.issparse(got), type(got)
    assert got.format == fmt, (got.format, fmt)
    assert str(got.dtype) == dtype, (got.dtype, dtype)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.toarray(), want.toarray() if sp.issparse(want) else want, rtol=rtol, atol=1e-6)


FMTS = ["csr", "csc"]


# ----------------------------------------------------------------------------
# Types, constructors, shared variables, argument checks
# ----------------------------------------------------------------------------


def test_types_and_constructors():
    x = S.csr_matrix("x", dtype="float32")
    assert x.type == S.SparseType("csr", "float32") and x.format == "csr" and x.dtype == "float32"
    assert x.ndim == 2 and str(x.type) == "Sparse[float32, csr]"
    y = S.csc_matrix()
    assert y.dtype == mlc.config.floatX and y.format == "csc"
    assert S.SparseType("csr", "float64") != S.SparseType("csc", "float64")
    assert S.SparseType("csr", "float64") != T.TensorType("float64", (False, False))
    with pytest.raises(NotImplementedError, match="format"):
        S.SparseType("coo", "float64")
    c = S.as_sparse_variable(sp.eye(3, format="csc"))
    assert isinstance(c, S.SparseConstant) and c.format == "csc"
    assert S.as_sparse_variable(x) is x
    with pytest.raises(TypeError):
        S.as_sparse_variable(T.dmatrix())
    assert S.as_sparse_or_tensor_variable(np.ones((2, 2))).type == T.TensorType("float64", (False, False))
    with pytest.raises(TypeError, match="tensor variable"):  # sparse is never a dense tensor by accident
        T.exp(x)


@pytest.mark.parametrize("fmt", FMTS)
def test_identity_function_and_filtering(fmt):
    x = S.matrix(fmt, "x", dtype="float64")
    f = mlc.function([x], x)
    a = _rand(4, 3, 0.5, fmt, "float64")
    out = f(a)
    _check_sparse(out, a, fmt, "float64")
    assert out is not a and out.data is not a.data
    # another format is converted (Theano's filter); another dtype is refused
    _check_sparse(f(a.asformat("csr" if fmt == "csc" else "csc")), a, fmt, "float64")
    with pytest.raises(TypeError, match="float64"):
        f(a.astype("float32"))
    with pytest.raises(TypeError):
        mlc.function([x], x, mode=mlc.Mode(optimizer=None))(None)


def test_shared_sparse_variable_and_updates():
    a = _rand(5, 4, 0.4, "csr", "float64")
    s = mlc.shared(a, name="s")
    assert isinstance(s, S.SparseSharedVariable) and s.type == S.SparseType("csr", "float64")
    assert s.get_value() is not a
    _check_sparse(s.get_value(), a, "csr", "float64")
    f = mlc.function([], S.sp_sum(s), updates=[(s, s * 2.0)])
    assert float(f()) == pytest.approx(a.sum())
    _check_sparse(s.get_value(), 2 * a, "csr", "float64")
    s.set_value(a)
    _check_sparse(s.get_value(), a, "csr", "float64")
    assert S.shared(a, format="csc").format == "csc"


# ----------------------------------------------------------------------------
# Ops vs scipy over formats and dtypes
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_conversions_transpose_neg_sum(fmt, dtype):
    x = S.matrix(fmt, "x", dtype=dtype)
    d = T.matrix("d", dtype=dtype)
    for a in (_with_empty_row(_rand(5, 4, 0.5, fmt, dtype)), S.SparseType(fmt, dtype).value_zeros((3, 2)),
              S.SparseType(fmt, dtype).value_zeros((0, 4))):
        dense, xt, nx, tot, s0, s1 = mlc.function([x], [S.dense_from_sparse(x), x.T, -x, S.sp_sum(x),
                                                        S.sp_sum(x, axis=0), S.sp_sum(x, axis=1)])(a)
        assert dense.dtype == dtype and dense.shape == a.shape
        np.testing.assert_array_equal(dense, a.toarray())
        _check_sparse(xt, a.T, "csc" if fmt == "csr" else "csr", dtype)
        _check_sparse(nx, -a, fmt, dtype)
        np.testing.assert_allclose(tot, a.sum(), rtol=1e-6)
        np.testing.assert_allclose(s0, np.asarray(a.sum(0)).ravel(), rtol=1e-6)
        np.testing.assert_allclose(s1, np.asarray(a.sum(1)).ravel(), rtol=1e-6)
        for conv, want in ((S.csr_from_dense, "csr"), (S.csc_from_dense, "csc")):
            _check_sparse(mlc.function([d], conv(d))(a.toarray()), a, want, dtype)


@pytest.mark.parametrize("fmt", FMTS)
def test_csm_properties_and_csm(fmt):
    x = S.matrix(fmt, "x", dtype="float64")
    a = _with_empty_row(_rand(5, 6, 0.4, fmt, "float64"))
    data, ind, ptr, shape = mlc.function([x], S.csm_properties(x))(a)
    np.testing.assert_array_equal(data, a.data)
    np.testing.assert_array_equal(ind, a.indices)
    np.testing.assert_array_equal(ptr, a.indptr)
    assert list(shape) == [5, 6] and ind.dtype == np.int32
    dv, iv, pv, sv = T.dvector(), T.ivector(), T.ivector(), T.ivector()
    built = mlc.function([dv, iv, pv, sv], S.CSM(fmt)(dv, iv, pv, sv))(data, ind, ptr, shape)
    _check_sparse(built, a, fmt, "float64")
    sz = mlc.function([x], x.shape)(a)
    assert list(sz) == [5, 6]


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
                                    ("int32", "float64")])
def test_add_sub_mul(fmt, dtypes):
    dx, dy = dtypes
    out = np.result_type(dx, dy).name
    x, y = S.matrix(fmt, "x", dtype=dx), S.matrix(fmt, "y", dtype=dy)
    d, s = T.matrix("d", dtype=dy), T.scalar("s", dtype=dy)
    a, b = _with_empty_row(_rand(4, 5, 0.5, fmt, dx, 1)), _rand(4, 5, 0.5, fmt, dy, 2)
    dd = np.random.default_rng(3).uniform(-1, 1, (4, 5)).astype(dy)
    f = mlc.function([x, y, d, s], [x + y, x - y, x * y, x + d, d + x, x * d, d * x, x * s, x - d])
    ss_add, ss_sub, ss_mul, sd_add, ds_add, sd_mul, ds_mul, sc_mul, sd_sub = f(a, b, dd, np.asarray(3, dtype=dy))
    A, B = a.toarray(), b.toarray()
    _check_sparse(ss_add, A + B, fmt, out)
    _check_sparse(ss_sub, A - B, fmt, out)
    _check_sparse(ss_mul, A * B, fmt, out)
    for got in (sd_add, ds_add):
        assert isinstance(got, np.ndarray) and got.dtype == out
        np.testing.assert_allclose(got, A + dd, rtol=1e-6)
    np.testing.assert_allclose(sd_sub, A - dd, rtol=1e-6)
    _check_sparse(sd_mul, A * dd, fmt, out)
    _check_sparse(ds_mul, A * dd, fmt, out)
    _check_sparse(sc_mul, A * 3, fmt, out)
    assert sd_mul.nnz <= a.nnz  # the product keeps x's pattern


def test_mismatched_shapes_raise_before_running():
    x, y = S.csr_matrix("x", dtype="float64"), S.csr_matrix("y", dtype="float64")
    f = mlc.function([x, y], x + y)
    with pytest.raises(ValueError, match="differ"):
        f(_rand(3, 4, 0.5, "csr", "float64"), _rand(4, 3, 0.5, "csr", "float64"))
    w = T.dmatrix("w")
    g = mlc.function([x, w], S.structured_dot(x, w))
    with pytest.raises(ValueError, match="cannot multiply"):
        g(_rand(3, 4, 0.5, "csr", "float64"), np.ones((5, 2)))


@pytest.mark.parametrize("fmt", FMTS)
def test_structured_elementwise(fmt):
    x = S.matrix(fmt, "x", dtype="float64")
    a = _with_empty_row(_rand(4, 5, 0.5, fmt, "float64"))
    a.data = np.abs(a.data)
    funcs = [(S.structured_sigmoid(x), lambda v: 1 / (1 + np.exp(-v))), (S.structured_exp(x), np.exp),
             (S.structured_log(x), np.log), (S.structured_pow(x, 2), lambda v: v ** 2),
             (S.structured_minimum(x, 1.0), lambda v: np.minimum(v, 1.0)),
             (S.structured_maximum(x, 1.0), lambda v: np.maximum(v, 1.0)),
             (S.structured_add(x, 2.0), lambda v: v + 2.0), (S.sqrt(x), np.sqrt), (S.tanh(x), np.tanh),
             (S.sqr(x), np.square), (S.floor(x), np.floor)]
    outs = mlc.function([x], [e for e, _ in funcs])(a)
    for got, (_, fn) in zip(outs, funcs):
        assert got.format == fmt and got.dtype == "float64" and got.shape == a.shape
        np.testing.assert_array_equal(got.indices, a.indices)  # the pattern is kept
        np.testing.assert_allclose(got.data, fn(a.data), rtol=1e-12)


@pytest.mark.parametrize("xfmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_structured_dot_native_vs_scipy(xfmt, dtype):
    x = S.matrix(xfmt, "x", dtype=dtype)
    w = T.matrix("w", dtype=dtype)
    f = mlc.function([x, w], S.structured_dot(x, w))
    rng = np.random.default_rng(0)
    for a in (_with_empty_row(_rand(7, 5, 0.4, xfmt, dtype)), S.SparseType(xfmt, dtype).value_zeros((3, 5)),
              S.SparseType(xfmt, dtype).value_zeros((0, 5))):
        b = rng.integers(-3, 4, (5, 4)).astype(dtype)
        got = f(a, b)
        assert got.dtype == dtype and got.shape == (a.shape[0], 4)
        np.testing.assert_allclose(got, a @ b, rtol=1e-5)
    # dense . sparse: (y.T . x.T).T
    y = S.matrix(xfmt, "y", dtype=dtype)
    d = T.matrix("d", dtype=dtype)
    a = _rand(5, 6, 0.4, xfmt, dtype)
    dd = rng.integers(-3, 4, (3, 5)).astype(dtype)
    np.testing.assert_allclose(mlc.function([d, y], S.structured_dot(d, y))(dd, a), dd @ a.toarray(), rtol=1e-5)
    # the product is native: an mt.csr_dot in the IR
    assert "mt.csr_dot" in f.dump_ir("mt")


def test_structured_dot_rejects_malformed_csr():
    dv, iv, pv, sv = T.dvector(), T.ivector(), T.ivector(), T.ivector()
    w = T.dmatrix()
    f = mlc.function([dv, iv, pv, sv, w], S.structured_dot(S.CSR(dv, iv, pv, sv), w))
    ok = (np.ones(2), np.asarray([0, 1], "int32"), np.asarray([0, 1, 2], "int32"), np.asarray([2, 2], "int32"))
    np.testing.assert_allclose(f(*ok, np.eye(2)), np.eye(2))
    with pytest.raises(ValueError, match="indices"):
        f(ok[0], np.asarray([0, 7], "int32"), *ok[2:], np.eye(2))


@pytest.mark.parametrize("fmt", FMTS)
def test_dot_true_dot(fmt):
    x, y = S.matrix(fmt, "x", dtype="float64"), S.matrix(fmt, "y", dtype="float64")
    d = T.dmatrix("d")
    a, b = _with_empty_row(_rand(4, 5, 0.5, fmt, "float64", 1)), _rand(5, 3, 0.5, fmt, "float64", 2)
    rng = np.random.default_rng(0)
    bd = rng.standard_normal((5, 3))
    sd, ss, td, tt = mlc.function([x, y, d], [S.dot(x, d), S.dot(x, y), S.true_dot(x, d), S.true_dot(x, y)])(a, b, bd)
    np.testing.assert_allclose(sd, a @ bd)
    np.testing.assert_allclose(ss, (a @ b).toarray())
    _check_sparse(td, a @ bd, fmt, "float64")
    _check_sparse(tt, a @ b, fmt, "float64")


@pytest.mark.parametrize("fmt", FMTS)
def test_sampling_dot_vs_scipy(fmt):
    d, e, p = T.dmatrix("d"), T.dmatrix("e"), S.matrix(fmt, "p", dtype="float64")
    rng = np.random.default_rng(0)
    xv, yv = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    pv = _with_empty_row(_rand(4, 5, 0.5, fmt, "float64"))
    got = mlc.function([d, e, p], S.sampling_dot(d, e, p))(xv, yv, pv)
    _check_sparse(got, pv.multiply(xv @ yv.T), fmt, "float64", rtol=1e-12)


# ----------------------------------------------------------------------------
# Gradients vs finite differences (over the stored entries, as Theano's verify_grad_sparse)
# ----------------------------------------------------------------------------


def _numeric_grad_data(fn, a, eps=1e-6):
    """d fn / d a.data by central differences (fn: scipy matrix -> float)."""
    g = np.zeros(len(a.data))
    for k in range(len(a.data)):
        p, m = a.copy(), a.copy()
        p.data[k] += eps
        m.data[k] -= eps
        g[k] = (fn(p) - fn(m)) / (2 * eps)
    return g


def _numeric_grad_dense(fn, v, eps=1e-6):
    g = np.zeros_like(v)
    for idx in np.ndindex(v.shape):
        p, m = v.copy(), v.copy()
        p[idx] += eps
        m[idx] -= eps
        g[idx] = (fn(p) - fn(m)) / (2 * eps)
    return g


def _pattern_grad(gx, a):
    """gx (sparse) read at a's stored entries, in a's storage order."""
    r, c = (np.repeat(np.arange(len(a.indptr) - 1), np.diff(a.indptr)), a.indices)
    if a.format == "csc":
        r, c = c, r
    return np.asarray(gx.toarray()[r, c]).ravel()


@pytest.mark.parametrize("fmt", FMTS)
def test_structured_dot_gradients(fmt):
    x, w = S.matrix(fmt, "x", dtype="float64"), T.dmatrix("w")
    c = T.dmatrix("c")
    cost = (T.tanh(S.structured_dot(x, w)) * c).sum()
    gx, gw = mlc.grad(cost, [x, w])
    fc = mlc.function([x, w, c], cost)
    fg = mlc.function([x, w, c], [gx, gw])
    rng = np.random.default_rng(0)
    a = _with_empty_row(_rand(5, 4, 0.5, fmt, "float64"))
    wv, cv = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    gxv, gwv = fg(a, wv, cv)
    assert sp.issparse(gxv) and gxv.format == fmt and gxv.nnz <= a.nnz  # structured: a's pattern only
    np.testing.assert_allclose(_pattern_grad(gxv, a), _numeric_grad_data(lambda m: float(fc(m, wv, cv)), a),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gwv, _numeric_grad_dense(lambda v: float(fc(a, v, cv)), wv), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fmt", FMTS)
def test_op_gradients_vs_finite_differences(fmt):
    x, y = S.matrix(fmt, "x", dtype="float64"), S.matrix(fmt, "y", dtype="float64")
    d = T.dmatrix("d")
    rng = np.random.default_rng(1)
    a, b = _with_empty_row(_rand(4, 5, 0.5, fmt, "float64", 1)), _rand(4, 5, 0.5, fmt, "float64", 2)
    dv = rng.standard_normal((4, 5))
    costs = {
        "dense_from_sparse": lambda: (S.dense_from_sparse(x) ** 2 * d).sum(),
        "add_ss": lambda: S.sp_sum(S.structured_exp(x + y) * 1.0),
        "mul_sd": lambda: S.sp_sum((x * d) * (x * d)),
        "mul_ss": lambda: S.sp_sum(x * y),
        "sub_neg_transpose": lambda: (S.dense_from_sparse((x - y).T) * d.T).sum(),
        "sp_sum_axis": lambda: (S.sp_sum(S.structured_sigmoid(x), axis=0) ** 2).sum() + (S.sp_sum(x, axis=1) ** 2).sum(),
        "structured_pow": lambda: S.sp_sum(S.structured_pow(x, 3) + x),
        "dot": lambda: T.sin(S.dot(x, d.T)).sum(),
        "sampling_dot": lambda: S.sp_sum(S.sampling_dot(d[:, :3], d.T[:, :3], x) * x),
    }
    for name, make in costs.items():
        cost = make()
        gx = mlc.grad(cost, x)
        fc = mlc.function([x, y, d], cost, on_unused_input="ignore")
        fg = mlc.function([x, y, d], gx, on_unused_input="ignore")
        got = fg(a, b, dv)
        want = _numeric_grad_data(lambda m: float(fc(m, b, dv)), a)
        got_at = _pattern_grad(got if sp.issparse(got) else sp.csr_matrix(got), a)
        np.testing.assert_allclose(got_at, want, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("fmt", FMTS)
def test_vector_ops_and_scaling(fmt):
    x, v = S.matrix(fmt, "x", dtype="float64"), T.dvector("v")
    r = T.dvector("r")
    a = _with_empty_row(_rand(4, 5, 0.5, fmt, "float64"))
    vv, rv = np.arange(1.0, 6.0), np.arange(1.0, 5.0)
    msv, asv, cs, rs = mlc.function([x, v, r], [S.mul_s_v(x, v), S.structured_add_s_v(x, v), S.col_scale(x, v),
                                                S.row_scale(x, r)])(a, vv, rv)
    A = a.toarray()
    _check_sparse(msv, A * vv, fmt, "float64")
    _check_sparse(asv, np.where(A != 0, A + vv, 0), fmt, "float64")
    _check_sparse(cs, A * vv, fmt, "float64")
    _check_sparse(rs, A * rv[:, None], fmt, "float64")
    ones, zeros = mlc.function([x], [S.sp_ones_like(x), S.sp_zeros_like(x)])(a)
    _check_sparse(ones, (A != 0).astype(float), fmt, "float64")
    assert zeros.nnz == 0 and zeros.shape == a.shape and zeros.format == fmt
    _check_sparse(mlc.function([x], S.cast(x, "float32"))(a), A, fmt, "float32")


@pytest.mark.parametrize("fmt", FMTS)
def test_verify_grad_sparse(fmt):
    a = _with_empty_row(_rand(4, 5, 0.5, fmt, "float64"))
    rng = np.random.RandomState(0)
    vv = rng.uniform(1, 2, 5)
    S.verify_grad_sparse(S.mul_s_v, [a, vv], structured=True, rng=rng)
    S.verify_grad_sparse(lambda x: S.sp_sum(x, axis=0, sparse_grad=True), [a], structured=True, rng=rng)
    S.verify_grad_sparse(lambda x, y: S.structured_dot(x, y), [a, rng.standard_normal((5, 2))], structured=True,
                         rng=rng)
    S.verify_grad_sparse(lambda x, y: S.true_dot(x, y), [a, rng.standard_normal((5, 2))], structured=False,
                         rng=rng)
    with pytest.raises(mlc.gradient.GradientError):
        # a structured gradient is not the regular one: varying every entry exposes it
        S.verify_grad_sparse(lambda x: S.structured_exp(x), [a], structured=False, rng=rng)


def test_sampling_dot_gradient_wrt_dense():
    d, e, p = T.dmatrix("d"), T.dmatrix("e"), S.csr_matrix("p", dtype="float64")
    rng = np.random.default_rng(2)
    xv, yv = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    pv = _with_empty_row(_rand(4, 5, 0.5, "csr", "float64"))
    cost = S.sp_sum(S.structured_sin(S.sampling_dot(d, e, p)) if hasattr(S, "structured_sin")
                    else S.sin(S.sampling_dot(d, e, p)))
    gd, ge = mlc.grad(cost, [d, e])
    fc = mlc.function([d, e, p], cost)
    gdv, gev = mlc.function([d, e, p], [gd, ge])(xv, yv, pv)
    np.testing.assert_allclose(gdv, _numeric_grad_dense(lambda v: float(fc(v, yv, pv)), xv), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gev, _numeric_grad_dense(lambda v: float(fc(xv, v, pv)), yv), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------
# A Theano-style program: logistic regression on sparse input
# ----------------------------------------------------------------------------


def test_logistic_regression_with_sparse_input():
    rng = np.random.default_rng(0)
    n, d = 60, 30
    X = sp.random(n, d, density=0.2, format="csr", random_state=1)
    true_w = rng.standard_normal(d)
    Y = (X @ true_w > 0).astype("float64")
    x, y = S.csr_matrix("x", dtype="float64"), T.dvector("y")
    w = mlc.shared(np.zeros((d, 1)), name="w")
    b = mlc.shared(0.0, name="b")
    p = T.nnet.sigmoid(S.structured_dot(x, w)[:, 0] + b)
    cost = T.nnet.binary_crossentropy(p, y).mean()
    gw, gb = mlc.grad(cost, [w, b])
    train = mlc.function([x, y], cost, updates=[(w, w - 1.0 * gw), (b, b - 1.0 * gb)])
    first = float(train(X, Y))
    for _ in range(60):
        last = float(train(X, Y))
    assert last < 0.6 * first
    predict = mlc.function([x], p > 0.5)
    assert (predict(X) == Y).mean() > 0.85


@pytest.mark.parametrize("flags", ["floatX=float32", "mode=REFERENCE"])
def test_theano_program_runs_unchanged(flags):
    script = os.path.join(os.path.dirname(__file__), "data", "sparse_logreg.py")
    r = subprocess.run([sys.executable, "-m", "mlc.compat.theano", script], capture_output=True, text=True,
                       env={**os.environ, "MLC_FLAGS": flags}, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    first, last = map(float, lines["cost"].split())
    assert last < 0.75 * first and float(lines["accuracy"]) > 0.85
    assert lines["grad"] == "csr_matrix csr True"  # structured: the gradient keeps x's pattern


def test_theano_sparse_facade():
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano.sparse as TS
        from theano.sparse.basic import structured_dot
        from theano.sparse.sharedvar import SparseTensorSharedVariable
        from theano.sparse.type import SparseType

        assert TS.csr_matrix is S.csr_matrix and structured_dot is S.structured_dot
        assert SparseType is S.SparseType and SparseTensorSharedVariable is S.SparseSharedVariable
        assert isinstance(TS.shared(sp.eye(2, format="csr")), S.SparseSharedVariable)
        assert TS.bsr_matrix is S.bsr_matrix and TS.opt is not None
    finally:
        compat.uninstall()
