"""theano.sparse's indexing, stacks, diagonals, comparisons, clean-up ops, usmm and sparse x sparse structured_dot.

Each op against scipy.sparse / numpy over csr and csc, float32 / float64
(and int where Theano allows), empty matrices; formats, dtypes and stored
entries as Theano gives them; gradients against finite differences
(structured ones on the stored entries only); error cases.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import mlc
import mlc.gradient
import mlc.sparse as S
import mlc.tensor as T
from test_sparse import _numeric_grad_data as _num_grad_data
from test_sparse import _numeric_grad_dense as _num_grad
from test_sparse import _pattern_grad as _at_pattern

FMTS = ["csr", "csc"]


def _rand(m, n, fmt, dtype, density=0.5, seed=0):
    rng = np.random.default_rng(seed)
    a = sp.random(m, n, density=density, format="coo", random_state=seed, dtype="float64")
    if a.nnz:
        a.data = rng.uniform(0.5, 2.0, a.nnz) * rng.choice([-1, 1], a.nnz)
        if np.dtype(dtype).kind in "iu":
            a.data = np.round(a.data * 3) + 7 * (np.dtype(dtype).kind == "u")
    return a.astype(dtype).asformat(fmt)


def _check(got, want, fmt, dtype):
    assert sp.issparse(got) and got.format == fmt, (type(got), fmt)
    assert str(got.dtype) == dtype, (got.dtype, dtype)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.toarray(), want.toarray() if sp.issparse(want) else want, rtol=1e-6)


# ----------------------------------------------------------------------------
# Indexing
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_indexing_vs_scipy(fmt, dtype):
    x = S.matrix(fmt, "x", dtype=dtype)
    i, j, k = T.lscalar("i"), T.iscalar("j"), T.lscalar("k")
    a = _rand(6, 5, fmt, dtype)
    outs = [x[[0, -1, 2, 2]], x[[0, 3, -1], [4, 0, -2]], x[1:4], x[::2, 1:], x[i:, :k], x[-4:-1:2, ::-1],
            x[1, 2], x[i, j], x[-1, -1], S.get_item_list(x, np.array([1, 3], dtype="int8")),
            S.get_item_2d(x, (slice(None, 2),)), S.get_item_scalar(x, (0, 0))]
    got = mlc.function([x, i, j, k], outs)(a, 2, 3, 4)
    d = a.toarray()
    _check(got[0], d[[0, -1, 2, 2]], fmt, dtype)
    assert got[1].dtype == dtype and got[1].shape == (3,)
    np.testing.assert_array_equal(got[1], d[[0, 3, -1], [4, 0, -2]])
    for g, w in zip(got[2:6], [d[1:4], d[::2, 1:], d[2:, :4], d[-4:-1:2, ::-1]]):
        _check(g, w, fmt, dtype)
    for g, w in zip(got[6:9], [d[1, 2], d[2, 3], d[-1, -1]]):
        assert np.shape(g) == () and g.dtype == dtype and g == w
    _check(got[9], d[[1, 3]], fmt, dtype)
    _check(got[10], d[:2], fmt, dtype)
    assert got[11] == d[0, 0]


@pytest.mark.parametrize("fmt", FMTS)
def test_indexing_empty_and_errors(fmt):
    x = S.matrix(fmt, "x", dtype="float64")
    e = sp.csr_matrix((0, 3)).asformat(fmt)
    rows, sl, ent = mlc.function([x], [S.get_item_list(x, np.zeros(0, dtype="int64")), x[0:0, 1:], S.get_item_2lists(
        x, np.zeros(0, "int64"), np.zeros(0, "int64"))])(e)
    assert rows.shape == (0, 3) and sl.shape == (0, 2) and ent.shape == (0,) and rows.format == fmt
    a = _rand(3, 4, fmt, "float64")
    np.testing.assert_array_equal(mlc.function([x], x[[0, 2, 1], [3]])(a), a.toarray()[[0, 2, 1], [3]])  # broadcast
    with pytest.raises(ValueError, match="pair up"):
        mlc.function([x], x[[0, 2, 1], [3, 1]])(a)
    with pytest.raises(NotImplementedError, match="sparse vector"):
        x[1]
    with pytest.raises(NotImplementedError, match="sparse vector"):
        x[1:3, 2]
    with pytest.raises(ValueError, match="Advanced indexing"):
        x[np.array([1, 2])]
    with pytest.raises(ValueError, match="slice where start"):
        x[1.5:3]
    with pytest.raises(TypeError, match="integers"):
        S.get_item_list(x, T.dvector())
    f = mlc.function([x], x[[5]])
    with pytest.raises(IndexError, match="out of bounds"):
        f(_rand(3, 3, fmt, "float64"))
    with pytest.raises(IndexError, match="out of bounds"):
        mlc.function([x], x[3, 0])(_rand(3, 3, fmt, "float64"))


@pytest.mark.parametrize("fmt", FMTS)
def test_indexing_gradients(fmt):
    x, d = S.matrix(fmt, "x", dtype="float64"), T.dmatrix("d")
    a = _rand(5, 4, fmt, "float64", seed=3)
    dv = np.random.default_rng(0).standard_normal((3, 4))
    cost = (S.DenseFromSparse(structured=False)(x[[3, 0, -1]]) * d).sum() + (x[[1, 2, 0], [0, 3, 2]] ** 2).sum()
    gx = mlc.grad(cost, x)
    fc, fg = mlc.function([x, d], cost), mlc.function([x, d], gx)
    g = fg(a, dv)
    assert sp.issparse(g) and g.format == fmt
    # the gradient of a row selection is regular: every entry of the selected rows (checked through the dense form)
    dense_fn = lambda m: float(fc(type(a)(m), dv))  # noqa: E731
    np.testing.assert_allclose(g.toarray(), _num_grad(dense_fn, a.toarray()), rtol=1e-6, atol=1e-8)
    # a repeated row: Theano's get_item_list_grad assigns, the last occurrence wins
    gz = sp.csr_matrix(np.array([[1.0, 2, 0, 0], [5, 0, 0, 7]]))
    got = mlc.function([x], S.get_item_list_grad(x, [1, 1], S.as_sparse_variable(gz)))(a)
    want = np.zeros((5, 4))
    want[1] = [5, 0, 0, 7]
    _check(got, want, fmt, "float64")
    got = mlc.function([x], S.get_item_2lists_grad(x, [0, 0, 4], [1, 1, 3], np.array([1.0, 2.0, 3.0])))(a)
    want = np.zeros((5, 4))
    want[0, 1], want[4, 3] = 2.0, 3.0
    _check(got, want, fmt, "float64")
    with pytest.raises(NotImplementedError, match="get_item_2d"):
        mlc.grad(S.sp_sum(x[1:3]), x)
    with pytest.raises(NotImplementedError, match="get_item_scalar"):
        mlc.grad(x[1, 1], x)
    idx = T.lvector("idx")
    with pytest.raises(mlc.gradient.NullTypeGradError):
        mlc.grad(S.sp_sum(S.get_item_list(x, idx)), idx)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_construct_sparse_from_list(dtype):
    x, v, il = T.matrix("x", dtype=dtype), T.matrix("v", dtype=dtype), T.lvector("il")
    out = S.construct_sparse_from_list(x, v, il)
    assert out.type == S.SparseType("csc", dtype)
    rng = np.random.default_rng(1)
    vv, xv = rng.standard_normal((3, 4)).astype(dtype), np.zeros((6, 4), dtype)
    ilv = np.array([4, 0, 4])
    got = mlc.function([x, v, il], out)(xv, vv, ilv)
    want = np.zeros((6, 4), dtype)
    np.add.at(want, ilv, vv)
    _check(got, want, "csc", dtype)
    assert got.nnz == 12  # every value stored, repeated rows too (their sum is the value)
    c = T.matrix("c", dtype=dtype)
    cost = (S.DenseFromSparse(structured=False)(out) * c).sum()
    gv = mlc.grad(cost, v)
    cv = rng.standard_normal((6, 4)).astype(dtype)
    np.testing.assert_allclose(mlc.function([x, v, il, c], gv)(xv, vv, ilv, cv), cv[ilv], rtol=1e-6)
    with pytest.raises(ValueError):
        mlc.function([x, v, il], out)(np.zeros((6, 3), dtype), vv, ilv)
    with pytest.raises(TypeError, match="index must be integers"):
        S.construct_sparse_from_list(x, v, T.dvector())


# ----------------------------------------------------------------------------
# Stacks, diagonals, clean-up
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FMTS)
def test_hstack_vstack(fmt):
    x, y = S.matrix(fmt, "x", dtype="float32"), S.matrix("csr", "y", dtype="float64")
    z = S.matrix(fmt, "z", dtype="int32")
    a, b, c = _rand(3, 4, fmt, "float32"), _rand(3, 2, "csr", "float64", seed=1), _rand(3, 4, fmt, "int32", seed=2)
    h = S.hstack([x, y, z])
    v = S.vstack([x, z], format="csr")
    h32 = S.hstack([x, x], format="csr", dtype="float32")
    assert h.type == S.SparseType("csc", "float64") and v.type == S.SparseType("csr", "float64")
    hv, vv, h32v = mlc.function([x, y, z], [h, v, h32])(a, b, c)
    _check(hv, np.hstack([a.toarray(), b.toarray(), c.toarray()]), "csc", "float64")
    _check(vv, np.vstack([a.toarray(), c.toarray()]), "csr", "float64")
    _check(h32v, np.hstack([a.toarray()] * 2), "csr", "float32")
    e = mlc.function([x], S.vstack([x, x]))(sp.csr_matrix((0, 4), dtype="float32").asformat(fmt))
    assert e.shape == (0, 4) and e.format == "csc"
    with pytest.raises(ValueError, match="rows"):
        mlc.function([x, y], S.hstack([x, y]))(a, _rand(2, 2, "csr", "float64"))
    with pytest.raises(ValueError, match="empty list"):
        S.hstack([])
    with pytest.raises(ValueError, match="dtype must be specified"):
        S.HStack("csr")


@pytest.mark.parametrize("fmt", FMTS)
def test_stack_gradients_are_regular(fmt):
    rng = np.random.RandomState(0)
    a, b = _rand(3, 4, fmt, "float64", seed=4), _rand(2, 4, fmt, "float64", seed=5)
    S.verify_grad_sparse(lambda x, y: S.vstack([x, y], format=fmt), [a, b], structured=False, rng=rng)
    S.verify_grad_sparse(lambda x, y: S.hstack([x, y.T]), [a, sp.csr_matrix(rng.standard_normal((4, 3)))],
                         structured=False, rng=rng)


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_diag_square_diagonal(fmt, dtype):
    x, v = S.matrix(fmt, "x", dtype=dtype), T.vector("v", dtype=dtype)
    a = _rand(4, 4, fmt, dtype)
    vv = np.array([1, 0, 3], dtype=dtype)
    dg, sq = mlc.function([x, v], [S.diag(x), S.square_diagonal(v)])(a, vv)
    assert dg.dtype == dtype
    np.testing.assert_array_equal(dg, a.diagonal())
    _check(sq, np.diag(vv), "csc", dtype)
    assert sq.nnz == 3  # every diagonal entry stored, the zero too (Theano's)
    assert mlc.function([v], S.square_diagonal(v))(np.zeros(0, dtype)).shape == (0, 0)
    with pytest.raises(ValueError, match="square"):
        mlc.function([x], S.diag(x))(_rand(3, 4, fmt, dtype))
    with pytest.raises(TypeError, match="vector"):
        S.square_diagonal(T.matrix(dtype=dtype))


def test_diag_gradients():
    rng = np.random.RandomState(1)
    S.verify_grad_sparse(S.diag, [_rand(4, 4, "csc", "float64", seed=6)], structured=False, rng=rng)
    mlc.gradient.verify_grad(lambda v: S.dense_from_sparse(S.square_diagonal(v)) * 3.0, [rng.standard_normal(4)],
                             rng=rng)


def _messy(fmt, dtype):
    """A matrix with explicit zeros and unsorted indices (and a duplicate-free pattern)."""
    data = np.array([0, 2, 1, 0, 3], dtype=dtype)
    indices = np.array([2, 0, 1, 0, 2])
    indptr = np.array([0, 3, 3, 5])
    return sp.csr_matrix((data, indices, indptr), shape=(3, 3)).asformat(fmt) if fmt == "csr" else \
        sp.csc_matrix((data, indices, indptr), shape=(3, 3))


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int16"])
def test_remove0_clean_ensure_sorted(fmt, dtype):
    x = S.matrix(fmt, "x", dtype=dtype)
    m = _messy(fmt, dtype)
    assert m.nnz == 5 and not m.has_sorted_indices
    r0, srt, cl, keep = mlc.function([x], [S.remove0(x), S.ensure_sorted_indices(x), S.clean(x), x * 1])(m)
    for got in (r0, srt, cl):
        _check(got, m, fmt, dtype)
    assert r0.nnz == 3 and not np.any(r0.data == 0)
    assert srt.nnz == 5 and srt.has_sorted_indices and all(
        np.all(np.diff(srt.indices[srt.indptr[k]:srt.indptr[k + 1]]) > 0) for k in range(3))
    assert cl.nnz == 3 and cl.has_sorted_indices
    e = mlc.function([x], S.clean(x))(sp.csr_matrix((0, 0), dtype=dtype).asformat(fmt))
    assert e.shape == (0, 0) and e.format == fmt


@pytest.mark.parametrize("fmt", FMTS)
def test_cleanup_gradients_are_regular(fmt):
    rng = np.random.RandomState(2)
    a = _rand(4, 3, fmt, "float64", seed=7)
    for op in (S.remove0, S.ensure_sorted_indices, S.clean):
        S.verify_grad_sparse(op, [a], structured=False, rng=rng)


@pytest.mark.parametrize("fmt", FMTS)
def test_add_s_s_data(fmt):
    x, y = S.matrix(fmt, "x", dtype="float64"), S.matrix(fmt, "y", dtype="float64")
    a = _rand(4, 3, fmt, "float64")
    b = a.copy()
    b.data = np.arange(1.0, b.nnz + 1)
    _check(mlc.function([x, y], S.add_s_s_data(x, y))(a, b), a.toarray() + b.toarray(), fmt, "float64")
    with pytest.raises(ValueError, match="sparsity pattern"):
        mlc.function([x, y], S.add_s_s_data(x, y))(a, _rand(4, 3, fmt, "float64", density=0.9, seed=8))
    with pytest.raises(NotImplementedError, match="dtypes"):
        S.add_s_s_data(x, S.matrix(fmt, dtype="float32"))
    gx = mlc.function([x, y], mlc.grad(S.sp_sum(S.sin(S.add_s_s_data(x, y))), x))(a, b)
    np.testing.assert_allclose(_at_pattern(gx, a), np.cos(a.data + b.data), rtol=1e-7)


# ----------------------------------------------------------------------------
# Comparisons
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_comparisons_vs_numpy(fmt, dtype):
    x, y, d = S.matrix(fmt, "x", dtype=dtype), S.matrix(fmt, "y", dtype=dtype), T.matrix("d", dtype="float64")
    a, b = _rand(4, 5, fmt, dtype, seed=1), _rand(4, 5, fmt, dtype, seed=2)
    b = b + a.multiply(a > 0)  # some equal entries
    b = b.asformat(fmt).astype(dtype)
    dv = np.round(np.random.default_rng(0).standard_normal((4, 5)))
    names = ["eq", "neq", "lt", "gt", "le", "ge"]
    npf = [np.equal, np.not_equal, np.less, np.greater, np.less_equal, np.greater_equal]
    outs = [getattr(S, n)(x, y) for n in names] + [getattr(S, n)(x, d) for n in names] + \
        [getattr(S, n)(d, x) for n in names] + [x < y, x >= d, d > x, d <= x]
    got = mlc.function([x, y, d], outs)(a, b, dv)
    A, B = a.toarray(), b.toarray()
    for k, f in enumerate(npf):
        _check(got[k], f(A, B).astype("uint8"), fmt, "uint8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
            assert got[k].nnz == getattr(operator, names[k].replace("neq", "ne"))(a, b).nnz  # scipy's stored entries
        for g, w in ((got[6 + k], f(A, dv)), (got[12 + k], f(dv, A))):
            assert isinstance(g, np.ndarray) and g.dtype == np.uint8
            np.testing.assert_array_equal(g, w.astype("uint8"), err_msg=names[k])
    _check(got[18], (A < B).astype("uint8"), fmt, "uint8")
    np.testing.assert_array_equal(got[19], A >= dv)
    np.testing.assert_array_equal(got[20], dv > A)
    np.testing.assert_array_equal(got[21], dv <= A)
    e = sp.csr_matrix((0, 2), dtype=dtype).asformat(fmt)
    assert mlc.function([x, y], S.eq(x, y))(e, e).shape == (0, 2)


def test_comparison_errors():
    x, y = S.csr_matrix("x", dtype="float64"), S.csc_matrix("y", dtype="float64")
    with pytest.raises(NotImplementedError, match="format"):
        S.eq(x, y)
    with pytest.raises(TypeError, match="matrix"):
        S.lt(x, T.dvector())
    with pytest.raises(TypeError, match="sparse"):
        S.gt(T.dmatrix(), T.dmatrix())
    f = mlc.function([x, y], S.le(x, S.csr_from_dense(S.dense_from_sparse(y))))
    with pytest.raises(ValueError):
        f(sp.csr_matrix((2, 3)), sp.csc_matrix((3, 2)))
    # the uint8 results carry no gradient: zero
    g = mlc.grad(S.sp_sum(S.cast(S.lt(x, x * 2.0), "float64")) + S.sp_sum(x), x)
    a = _rand(3, 3, "csr", "float64")
    np.testing.assert_allclose(_at_pattern(mlc.function([x], g)(a), a), np.ones(a.nnz))


# ----------------------------------------------------------------------------
# Products: sparse x sparse structured_dot, the structured gradient ops, usmm
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("xfmt,yfmt", [("csr", "csr"), ("csc", "csr"), ("csr", "csc")])
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"), ("float32", "float64"),
                                    ("int32", "int32")])
def test_structured_dot_sparse_sparse(xfmt, yfmt, dtypes):
    x, y = S.matrix(xfmt, "x", dtype=dtypes[0]), S.matrix(yfmt, "y", dtype=dtypes[1])
    out = S.structured_dot(x, y)
    want_dtype = str(np.result_type(*dtypes))
    assert out.type == S.SparseType(xfmt, want_dtype)
    a, b = _rand(5, 4, xfmt, dtypes[0], seed=1), _rand(4, 3, yfmt, dtypes[1], seed=2)
    _check(mlc.function([x, y], out)(a, b), (a @ b).toarray(), xfmt, want_dtype)
    e = mlc.function([x, y], out)(sp.csr_matrix((0, 4), dtype=dtypes[0]).asformat(xfmt), b)
    assert e.shape == (0, 3)
    with pytest.raises(ValueError, match="aligned"):
        mlc.function([x, y], out)(a, _rand(3, 3, yfmt, dtypes[1]))


@pytest.mark.parametrize("fmt", FMTS)
def test_structured_dot_sparse_sparse_gradients(fmt):
    x, y, c = S.matrix(fmt, "x", dtype="float64"), S.csc_matrix("y", dtype="float64"), T.dmatrix("c")
    cost = (T.tanh(S.dense_from_sparse(S.structured_dot(x, y))) * c).sum()
    gx, gy = mlc.grad(cost, [x, y])
    fc, fg = mlc.function([x, y, c], cost), mlc.function([x, y, c], [gx, gy])
    a, b = _rand(4, 5, fmt, "float64", seed=3), _rand(5, 3, "csc", "float64", seed=4)
    cv = np.random.default_rng(3).standard_normal((4, 3))
    gxv, gyv = fg(a, b, cv)
    assert sp.issparse(gxv) and gxv.format == fmt and gxv.nnz <= a.nnz  # structured: x's pattern
    np.testing.assert_allclose(_at_pattern(gxv, a), _num_grad_data(lambda m: float(fc(m, b, cv)), a), rtol=1e-5,
                               atol=1e-8)
    np.testing.assert_allclose(_at_pattern(gyv, b), _num_grad_data(lambda m: float(fc(a, m, cv)), b), rtol=1e-5,
                               atol=1e-8)


@pytest.mark.parametrize("fmt", FMTS)
def test_structured_dot_grad_ops(fmt):
    rng = np.random.default_rng(5)
    a = _rand(4, 5, fmt, "float64", seed=5)
    bv, gv = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    x, b, g = S.matrix(fmt, "x", dtype="float64"), T.dmatrix("b"), T.dmatrix("g")
    got = mlc.function([x, b, g], S.structured_dot_grad(x, b, g))(a, bv, gv)
    want = (gv @ bv.T) * (a.toarray() != 0)
    _check(got, want, fmt, "float64")
    assert got.nnz == a.nnz
    sdg = S.sdg_csr if fmt == "csr" else S.sdg_csc
    data = mlc.function([x, b, g], sdg(S.csm_indices(x), S.csm_indptr(x), b, g))(a, bv, gv)
    np.testing.assert_allclose(data, _at_pattern(sp.csr_matrix(gv @ bv.T), a), rtol=1e-12)


@pytest.mark.parametrize("fmt", FMTS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_usmm(fmt, dtype):
    x, d, z = S.matrix(fmt, "x", dtype=dtype), T.matrix("d", dtype=dtype), T.matrix("z", dtype=dtype)
    alpha = T.scalar("alpha", dtype=dtype)
    a = _rand(4, 5, fmt, dtype)
    rng = np.random.default_rng(6)
    dv, zv = rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)
    r1, r2 = mlc.function([alpha, x, d, z], [S.usmm(alpha, x, d, z), S.usmm(alpha, d.T, x.T, z.T)])(
        np.asarray(-2.0, dtype), a, dv, zv)
    assert r1.dtype == dtype and r2.dtype == dtype
    np.testing.assert_allclose(r1, -2.0 * (a @ dv) + zv, rtol=1e-5)
    np.testing.assert_allclose(r2, -2.0 * (dv.T @ a.toarray().T) + zv.T, rtol=1e-5)
    with pytest.raises(TypeError, match="sparse"):
        S.usmm(alpha, d, d, z)
    with pytest.raises(NotImplementedError, match="gradient"):
        mlc.grad(S.usmm(alpha, x, d, z).sum(), d)


# ----------------------------------------------------------------------------
# The public names of Theano 1.0.5's theano.sparse
# ----------------------------------------------------------------------------


def test_theano_sparse_names():
    names = """add_s_s_data AddSSData ColScaleCSC RowScaleCSC ConstructSparseFromList construct_sparse_from_list Diag
    diag SquareDiagonal square_diagonal EnsureSortedIndices ensure_sorted_indices Remove0 remove0 clean HStack VStack
    hstack vstack GetItemList GetItemListGrad GetItem2Lists GetItem2ListsGrad GetItem2d GetItemScalar get_item_list
    get_item_list_grad get_item_2lists get_item_2lists_grad get_item_2d get_item_scalar eq neq lt gt le ge
    EqualSS EqualSD NotEqualSS NotEqualSD LessThanSS LessThanSD GreaterThanSS GreaterThanSD LessEqualSS LessEqualSD
    GreaterEqualSS GreaterEqualSD equal_s_s equal_s_d not_equal_s_s not_equal_s_d less_than_s_s less_than_s_d
    greater_than_s_s greater_than_s_d less_equal_s_s less_equal_s_d greater_equal_s_s greater_equal_s_d Usmm usmm
    StructuredDot StructuredDotGradCSC StructuredDotGradCSR sdg_csc sdg_csr structured_dot_grad SamplingDot
    AddSD AddSS MulSD MulSS MulSV Neg StructuredAddSV bcast wcast icast lcast fcast dcast ccast zcast csm_grad
    structured_monoid bsr_matrix bsr_dmatrix bsr_fmatrix SparseConstantSignature""".split()
    assert [n for n in names if not hasattr(S, n)] == []
    assert set(names) <= set(S.__all__)
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano.sparse as TS

        assert TS.hstack is S.hstack and TS.get_item_list is S.get_item_list and TS.usmm is S.usmm
        assert TS.bsr_fmatrix is S.bsr_fmatrix
        from theano.sparse.sandbox import sp2 as tsp2

        from mlc.sparse.sandbox import sp2

        assert tsp2.poisson is sp2.poisson and tsp2.Binomial is sp2.Binomial
        with pytest.raises(NotImplementedError, match="specializations"):
            tsp2.mul_s_d_csc()
        from theano.sparse.sandbox import sp as tsp

        from mlc.sparse.sandbox import sp

        assert tsp.convolve is sp.convolve and tsp.max_pool is sp.max_pool
        with pytest.raises(NotImplementedError, match="theano.sparse.opt"):
            TS.opt.sd_csr()
    finally:
        compat.uninstall()
    p = np.random.default_rng(0).standard_normal
    xv, yv = p((3, 2)), p((4, 2))
    pv = _rand(3, 4, "csr", "float64")
    x, y, pp = T.dmatrix(), T.dmatrix(), S.csr_matrix(dtype="float64")
    _check(mlc.function([x, y, pp], S.SamplingDot()(x, y, pp))(xv, yv, pv), pv.multiply(xv @ yv.T), "csr", "float64")
    s = T.dvector("s")
    cs, rs = mlc.function([pp, s], [S.ColScaleCSC()(pp, s[:4]), S.RowScaleCSC()(pp, s[:3])])(pv, np.arange(1.0, 5))
    _check(cs, pv.toarray() * np.arange(1.0, 5), "csr", "float64")
    _check(rs, pv.toarray() * np.arange(1.0, 4)[:, None], "csr", "float64")


# ----------------------------------------------------------------------------
# theano.sparse.sandbox.sp2: random sampling (numpy's global random state, as in Theano)
# ----------------------------------------------------------------------------


def test_sandbox_sp2_sampling():
    from mlc.sparse.sandbox import sp2

    x, n, p, sh = S.csr_matrix("x", dtype="float64"), T.lscalar("n"), T.dscalar("p"), T.lvector("sh")
    a = _rand(40, 30, "csr", "float64", density=0.3)
    a.data = np.abs(a.data) * 5
    rows = sp.diags(1.0 / np.maximum(np.asarray(a.sum(axis=1)).ravel(), 1e-300)) @ a  # rows sum to one
    rows = sp.csr_matrix(rows)
    f = mlc.function([x, n, p, sh], [sp2.poisson(x), sp2.csc_dbinomial(n, p, sh)])
    np.random.seed(0)
    pois, binom = f(a, 20, 0.25, np.array([50, 60]))
    assert pois.format == "csr" and pois.dtype == np.float64 and not np.any(pois.data == 0)
    assert set(zip(*pois.nonzero())) <= set(zip(*a.nonzero()))  # x's pattern, zero draws removed
    assert np.all(pois.data == np.round(pois.data))
    assert abs(pois.sum() / a.sum() - 1) < 0.1
    assert binom.format == "csc" and binom.dtype == np.float64 and binom.shape == (50, 60)
    assert binom.data.min() >= 1 and binom.data.max() <= 20 and abs(binom.sum() / (50 * 60 * 20 * 0.25) - 1) < 0.05
    nonempty = np.diff(rows.indptr) > 0
    nv = T.lvector("nv")
    f2 = mlc.function([x, n, nv], [sp2.multinomial(n, x), sp2.multinomial(nv, x)])
    mult, multv = f2(rows, 20, np.arange(40))
    np.testing.assert_array_equal(np.asarray(mult.sum(axis=1)).ravel(), np.where(nonempty, 20, 0))
    np.testing.assert_array_equal(np.asarray(multv.sum(axis=1)).ravel(), np.where(nonempty, np.arange(40), 0))
    assert mult.nnz == rows.nnz  # p's pattern (draws of zero stay stored)
    np.random.seed(0)
    again = mlc.function([x], sp2.poisson(x))(a)
    np.random.seed(0)
    assert (mlc.function([x], sp2.poisson(x))(a) != again).nnz == 0  # np.random.seed makes it reproducible
    with pytest.raises(ValueError, match="number of element of n"):
        f2(rows, 20, np.arange(3))
    q = S.csc_matrix("q", dtype="float64")
    with pytest.raises(NotImplementedError, match="csr"):
        mlc.function([n, q], sp2.multinomial(n, q))(3, sp.csc_matrix(np.eye(2)))
    with pytest.raises(TypeError, match="integer"):
        sp2.csr_fbinomial(p, p, sh)
    with pytest.raises(mlc.gradient.NullTypeGradError):
        mlc.grad(S.sp_sum(sp2.poisson(x)), x)
    assert sp2.EliminateZeros is S.Remove0 and sp2.hstack is S.hstack


def test_sparse_constant_signature():
    a, b = sp.eye(3, format="csr"), sp.eye(3, format="csr") * 1.0000001
    sa, sb = S.as_sparse_variable(a).signature(), S.as_sparse_variable(b).signature()
    assert isinstance(sa, S.SparseConstantSignature) and sa == sb and hash(sa) == hash(sb)  # Theano's 1e-6 rule
    assert sa != S.as_sparse_variable(a * 2).signature()
    assert sa != S.as_sparse_variable(a.tocsc()).signature()
    assert sa != S.as_sparse_variable(sp.eye(4, format="csr")).signature()


def test_bsr_matrices_as_theano_takes_them():
    # Theano's bsr: a type, dense_from_sparse, shape, structured_dot (no gradient); the other ops take csr/csc
    x = S.bsr_matrix("x", dtype="float64")
    assert x.type == S.bsr_dmatrix and x.format == "bsr" and S.bsr_fmatrix.dtype == "float32"
    d = T.dmatrix("d")
    a = sp.bsr_matrix(_rand(4, 6, "csr", "float64").toarray(), blocksize=(2, 2))
    dv = np.random.default_rng(0).standard_normal((6, 3))
    dense, shape, prod = mlc.function([x, d], [S.dense_from_sparse(x), x.shape, S.structured_dot(x, d)])(a, dv)
    np.testing.assert_array_equal(dense, a.toarray())
    assert tuple(shape) == (4, 6)
    np.testing.assert_allclose(prod, a @ dv, rtol=1e-12)
    f = mlc.function([x], S.dense_from_sparse(x))
    np.testing.assert_array_equal(f(a.tocsr()), a.toarray())  # other formats are converted on the way in
    sv = mlc.shared(a, name="s")
    assert sv.type == S.bsr_dmatrix and sv.get_value().format == "bsr"
    with pytest.raises(NotImplementedError, match="bsr matrices are not supported"):
        x + x
    with pytest.raises(NotImplementedError, match="bsr matrices are not supported"):
        x.T
    with pytest.raises(NotImplementedError, match="bsr"):
        mlc.grad(S.structured_dot(x, d).sum(), x)
    with pytest.raises(NotImplementedError, match="format"):
        S.SparseType("coo", "float64")


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_sandbox_sp_convolve_and_max_pool(mode):
    # Theano's sandbox convolution: cross-correlation of image rows with kernel rows through a sparse patch
    # matrix; output maps contiguous; step = (dx, dy): dy between output rows (Theano's convention)
    from scipy.signal import correlate2d

    from mlc.sparse.sandbox import sp

    kerns, bias, inp = T.dmatrix("k"), T.dvector("b"), T.dmatrix("i")
    rng = np.random.RandomState(3)
    bsize, nf, imshp, kshp, nkern = 2, 2, (7, 6), (3, 2), 3
    filters, biasv = rng.randn(nkern, nf * 6), rng.randn(nkern)
    imgs = rng.randn(bsize, nf, *imshp)
    steps = ((1, 1), (2, 2), (1, 2)) if mode == "valid" else ((1, 2),)
    outs = [sp.convolve(kerns, kshp, nkern, inp, (nf,) + imshp, step, bias=bias, mode=mode) for step in steps]
    gots = mlc.function([kerns, bias, inp], [o for o, _ in outs])(filters, biasv, imgs.reshape(bsize, -1))
    for step, (_, outshp), got in zip(steps, outs, gots):
        want = np.stack([np.stack([sum(correlate2d(imgs[b, f], filters[n, f * 6:(f + 1) * 6].reshape(kshp), mode)
                                       for f in range(nf))[::step[1], ::step[0]] + biasv[n] for n in range(nkern)])
                         for b in range(bsize)])
        assert list(outshp) == [nkern, *want.shape[2:]]
        np.testing.assert_allclose(got, want.reshape(bsize, -1), rtol=1e-10, atol=1e-12)
    indices, indptr, shape, sptype, oshp = sp.convolution_indices.conv_eval((nf,) + imshp, kshp, (1, 1), mode)
    assert sptype == "csc" and shape == (int(np.prod(oshp)) * 6 * nf, nf * 42) and len(indptr) == nf * 42 + 1
    if mode == "full":  # gradients (through structured_dot and dot) against finite differences
        cw = rng.randn(1, 2 * 5 * 2)
        cost = (sp.convolve(kerns, (2, 2), 2, inp, (2, 4, 3), (2, 1), mode=mode)[0] * cw).sum()
        fc, fg = mlc.function([kerns, inp], cost), mlc.function([kerns, inp], mlc.grad(cost, [kerns, inp]))
        kv, iv = rng.randn(2, 8), rng.randn(1, 24)
        gk, gi = fg(kv, iv)
        np.testing.assert_allclose(gk, _num_grad(lambda v: float(fc(v, iv)), kv), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(gi, _num_grad(lambda v: float(fc(kv, v)), iv), rtol=1e-6, atol=1e-8)
    if mode == "valid":
        # windows of 2 rows x 3 columns; rows step 3, columns step 2 (Theano's step convention, applied as is)
        pooled, pshp = sp.max_pool(inp, (nf, 6, 5), (2, 3))
        im = imgs[:, :, :6, :5]
        got = mlc.function([inp], pooled)(im.reshape(bsize, -1))
        assert list(pshp) == [2, 2]
        want = np.array([[[im[b, f, 3 * y:3 * y + 2, 2 * x:2 * x + 3].max() for y in range(2) for x in range(2)]
                          for f in range(nf)] for b in range(bsize)])
        np.testing.assert_array_equal(got, want.reshape(bsize, -1))
        pooled, pshp = sp.max_pool(inp, (4, 4), (2, 2))
        got = mlc.function([inp], pooled)(im[:, 0, :4, :4].reshape(bsize, -1))
        np.testing.assert_array_equal(got, im[:, 0, :4, :4].reshape(bsize, 2, 2, 2, 2).max(axis=(2, 4))
                                      .reshape(bsize, -1))
    with pytest.raises(ValueError, match="Invalid kernel"):
        sp.convolve(kerns, (9, 9), nkern, inp, imshp, mode="valid")
