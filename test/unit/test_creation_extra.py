"""specify_shape, stacklists, mgrid/ogrid, tri/tril/triu, diag/diagonal, roll, tile, repeat, ptp, swapaxes.

Values, dtypes and shapes against numpy (Theano's dtype rules where they
differ), symbolic arguments, empty and broadcastable inputs, and the errors:
at graph-building time for what the types decide, at call time (ValueError
naming the shapes and the user's line) for what the values decide.
Functions run in MLC_TEST_MODE (REFERENCE by default).
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlc
import mlc.tensor as T
from mlc.graph import GraphError, toposort
from mlc.tensor.shape import SpecifyShape

MODE = os.environ.get("MLC_TEST_MODE", "REFERENCE")
HYPOTHESIS = settings(max_examples=40, deadline=None, derandomize=True)
RNG = np.random.default_rng(7)
A34 = RNG.uniform(-2, 2, (3, 4))
C234 = RNG.uniform(-2, 2, (2, 3, 4))


def fn(inputs, outputs):
    return mlc.function(inputs, outputs, mode=MODE, on_unused_input="ignore")


def check(got, want, dtype=None):
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == np.dtype(dtype or want.dtype), (got.dtype, dtype or want.dtype)
    np.testing.assert_array_equal(got, want)


def line_here() -> int:
    return inspect.currentframe().f_back.f_lineno


# ----------------------------------------------------------------------------
# specify_shape
# ----------------------------------------------------------------------------


def test_specify_shape_is_an_identity_of_the_same_type():
    x = T.fmatrix("x")
    y = T.specify_shape(x, (2, 3))
    assert y.type == x.type and isinstance(y.owner.op, SpecifyShape)
    v = RNG.uniform(size=(2, 3)).astype("float32")
    check(fn([x], y)(v), v)
    check(fn([x], y * 2)(v), v * 2)


def test_specify_shape_output_shape_is_used_downstream():
    # the tutorial's case: the shape of a function of the specified variable
    x = T.matrix("x")
    f = fn([x], (T.specify_shape(x, (2, 2)) ** 2).shape)
    check(f(np.ones((2, 2), mlc.config.floatX)), [2, 2], "int64")
    assert f.shape_plan.result_shapes([np.ones((2, 2))]) == [(2,)]


def test_specify_shape_wrong_shape_raises_at_call_time_naming_shapes_and_line():
    x = T.dmatrix("x")
    y = T.specify_shape(x, (2, 2)); line = line_here()  # noqa: E702
    f = fn([x], y.sum())
    with pytest.raises(ValueError) as info:
        f(np.ones((3, 2)))
    msg = str(info.value)
    assert "specify_shape: expected shape (2, 2), got (3, 2)" in msg
    assert f"test_creation_extra.py:{line}" in msg
    assert "x with shape (3, 2)" in msg
    # even when only the shape of the result is asked for
    with pytest.raises(ValueError, match=r"expected shape \(2, 2\), got \(2, 5\)"):
        fn([x], y.shape)(np.ones((2, 5)))


def test_specify_shape_with_symbolic_dims_and_vectors():
    x = T.dmatrix("x")
    n = T.iscalar("n")
    f = fn([x, n], T.specify_shape(x, (n, x.shape[0] + 1)))
    check(f(A34[:3, :4], 3), A34[:3, :4])
    with pytest.raises(ValueError, match=r"expected shape \(2, 4\), got \(3, 4\)"):
        f(A34, 2)
    s = T.lvector("s")
    g = fn([x, s], T.specify_shape(x, s) + 1)
    check(g(A34, np.array([3, 4])), A34 + 1)
    with pytest.raises(ValueError, match=r"expected shape \(3, 4, 1\), got \(3, 4\)"):
        g(A34, np.array([3, 4, 1]))


def test_specify_shape_empty_and_0d():
    x = T.dmatrix("x")
    check(fn([x], T.specify_shape(x, [0, 3]))(np.zeros((0, 3))), np.zeros((0, 3)))
    s = T.dscalar("s")
    check(fn([s], T.specify_shape(s, ()) * 2)(np.float64(1.5)), np.float64(3.0))


def test_specify_shape_graph_errors():
    x = T.dmatrix("x")
    with pytest.raises(GraphError, match=r"shape \(2,\) has 1 entries, but x has 2 dims"):
        T.specify_shape(x, (2,))
    with pytest.raises(TypeError, match="partial shapes are not supported"):
        T.specify_shape(x, (None, 3))
    with pytest.raises(TypeError, match="integer"):
        T.specify_shape(x, (2.5, 3))
    with pytest.raises(TypeError, match="integer vector shape"):
        T.specify_shape(x, T.dvector())
    with pytest.raises(GraphError, match="has 3 entries"):
        SpecifyShape()(x, np.array([1, 2, 3]))


# ----------------------------------------------------------------------------
# stacklists
# ----------------------------------------------------------------------------


def test_stacklists_scalars_and_matrices():
    a, b, c, d = T.dscalars("abcd")
    check(fn([a, b, c, d], T.stacklists([[a, b], [c, d]]))(1, 2, 3, 4), [[1.0, 2.0], [3.0, 4.0]])
    m = T.fmatrices("abcd")
    x = np.arange(12, dtype="float32").reshape(3, 4)
    got = fn(m, T.stacklists([[m[0], m[1]], [m[2], m[3]]]))(x, x + 1, x + 2, x + 3)
    check(got, np.array([[x, x + 1], [x + 2, x + 3]]))


def test_stacklists_nesting_tuples_and_dtypes():
    i, f = T.iscalar("i"), T.fscalar("f")
    out = T.stacklists(([(i, i), (f, i)], [(i, f), (f, f)]))
    assert out.ndim == 3 and out.dtype == "float64"  # int32 with float32 upcasts to float64
    got = fn([i, f], out)(np.int32(3), np.float32(0.5))
    check(got, [[[3, 3], [0.5, 3]], [[3, 0.5], [0.5, 0.5]]], "float64")
    assert T.stacklists(i) is i


# ----------------------------------------------------------------------------
# mgrid / ogrid
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [(slice(0, 5), slice(0, 3)), (slice(1, 7, 2), slice(4, 0, -1), slice(0, 2)),
                                 (slice(0, 1, 0.25), slice(-1, 1)), (slice(3, 3), slice(0, 2))],
                         ids=["2d", "3d-steps", "float-step", "empty"])
def test_mgrid_ogrid_match_numpy(key):
    dense, want = T.mgrid[key], np.mgrid[key]
    assert isinstance(dense, list) and len(dense) == len(key)
    for g, w in zip(fn([], dense)(), want):
        check(g, w)
    for g, w in zip(fn([], T.ogrid[key])(), np.ogrid[key]):
        np.testing.assert_array_equal(g, w)
        assert g.shape == w.shape


def test_mgrid_dtypes_follow_theano():
    g = T.mgrid[0:3, 0:1:0.5]
    assert [v.dtype for v in g] == ["float64", "float64"]  # dense grids share the upcast dtype
    o = T.ogrid[0:3, 0:1:0.5]
    # open grids keep their own: the step 0.5 is a float32 constant (Theano's autocast), so is its range
    assert [v.dtype for v in o] == ["int64", "float32"]
    assert o[0].broadcastable == (False, True) and o[1].broadcastable == (True, False)
    assert g[0].broadcastable == (False, False)


def test_mgrid_symbolic_bounds_and_single_slice():
    n = T.lscalar("n")
    f = fn([n], T.mgrid[0:n, 1:n:2])
    for g, w in zip(f(5), np.mgrid[0:5, 1:5:2]):
        check(g, w)
    check(fn([n], T.mgrid[2:n])(6), np.mgrid[2:6])


def test_grid_errors():
    with pytest.raises(NotImplementedError, match="complex step"):
        T.mgrid[0:1:5j]
    with pytest.raises(TypeError, match="stop"):
        T.ogrid[0:]
    with pytest.raises(TypeError, match="slices"):
        T.mgrid[0:2, 3]


# ----------------------------------------------------------------------------
# tri / tril / triu
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("k", [-5, -1, 0, 1, 3, 6])
def test_tri_tril_triu_match_numpy(k):
    x = T.dmatrix("x")
    got = fn([x], [T.tri(3, 4, k), T.tri(3, k=k, dtype="int32"), T.tril(x, k), T.triu(x, k)])(A34)
    want = [np.tri(3, 4, k), np.tri(3, k=k, dtype="int32"), np.tril(A34, k), np.triu(A34, k)]
    for g, w in zip(got, want):
        check(g, w)


def test_tril_triu_keep_dtype_zero_infs_and_use_last_two_axes():
    m = T.imatrix("m")
    v = np.arange(1, 10, dtype="int32").reshape(3, 3)
    check(fn([m], T.tril(m))(v), np.tril(v))
    x = T.dmatrix("x")
    inf = np.full((2, 2), np.inf)
    check(fn([x], [T.tril(x)])(inf)[0], np.tril(inf))  # not nan: the zeros are selected, not multiplied in
    c = T.dtensor3("c")
    got = fn([c], [T.tril(c, -1), T.triu(c, 1)])(C234)
    check(got[0], np.tril(C234, -1))
    check(got[1], np.triu(C234, 1))
    b = T.bmatrix("b").astype("bool")
    check(fn([b.owner.inputs[0]], T.triu(b))(np.ones((2, 3), "int8")), np.triu(np.ones((2, 3), bool)))


def test_tri_symbolic_sizes_and_offset_and_errors():
    n, k = T.lscalar("n"), T.iscalar("k")
    x = T.dmatrix("x")
    got = fn([n, k, x], [T.tri(n, n + 1, k), T.tril(x, k), T.triu(x, k)])(3, -1, A34)
    for g, w in zip(got, [np.tri(3, 4, -1), np.tril(A34, -1), np.triu(A34, -1)]):
        check(g, w)
    check(fn([x], T.tril(x))(np.zeros((0, 3))), np.zeros((0, 3)))
    with pytest.raises(GraphError, match="at least 2 dims"):
        T.tril(T.dvector())
    with pytest.raises(TypeError, match="integer"):
        T.tri(3, 3, 0.5)


# ----------------------------------------------------------------------------
# diagonal / diag
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-4, -3, -1, 0, 1, 2, 3, 4, 9])
def test_diagonal_of_a_matrix(offset):
    x = T.dmatrix("x")
    got = fn([x], [T.diagonal(x, offset), x.diagonal(offset), T.diag(x, offset)])(A34)
    for g in got:
        check(g, np.diagonal(A34, offset))


@pytest.mark.parametrize("offset,axis1,axis2", [(0, 0, 1), (1, 2, 0), (-1, 1, 2), (2, -1, 0), (0, 2, 1)])
def test_diagonal_of_a_3d_tensor(offset, axis1, axis2):
    c = T.itensor3("c")
    v = RNG.integers(-9, 9, (2, 3, 4)).astype("int32")
    check(fn([c], c.diagonal(offset, axis1, axis2))(v), v.diagonal(offset, axis1, axis2))


def test_diagonal_symbolic_offset_and_empty():
    x, k = T.dmatrix("x"), T.lscalar("k")
    f = fn([x, k], T.diagonal(x, k))
    for off in (-3, -1, 0, 2, 5):
        check(f(A34, off), np.diagonal(A34, off))
    check(fn([x], T.diagonal(x))(np.zeros((0, 3))), np.zeros(0))


@pytest.mark.parametrize("k", [-2, 0, 1, 3])
def test_diag_of_a_vector(k):
    v = T.ivector("v")
    data = np.array([4, -1, 7], "int32")
    check(fn([v], T.diag(v, k))(data), np.diag(data, k))
    check(fn([v], T.diag(v, k))(np.zeros(0, "int32")), np.diag(np.zeros(0, "int32"), k))


def test_diagonal_errors():
    with pytest.raises(GraphError, match="vector or a tensor of at least 2 dims"):
        T.diag(T.dscalar())
    with pytest.raises(GraphError, match="cannot be the same"):
        T.diagonal(T.dmatrix(), 0, 1, -1)
    with pytest.raises(GraphError, match="out of range"):
        T.diagonal(T.dmatrix(), 0, 0, 2)
    with pytest.raises(TypeError, match="integer k"):
        T.diag(T.dvector(), T.lscalar())


# ----------------------------------------------------------------------------
# swapaxes / roll / tile / repeat / ptp
# ----------------------------------------------------------------------------


def test_swapaxes():
    c = T.dtensor3("c")
    got = fn([c], [T.swapaxes(c, 0, 2), c.swapaxes(-1, 1)])(C234)
    check(got[0], np.swapaxes(C234, 0, 2))
    check(got[1], np.swapaxes(C234, -1, 1))


@pytest.mark.parametrize("shift", [-7, -1, 0, 1, 3, 12])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_roll_matches_numpy(shift, axis):
    x = T.dmatrix("x")
    check(fn([x], T.roll(x, shift, axis))(A34), np.roll(A34, shift, axis))


def test_roll_symbolic_shift_tuples_empty_and_0d():
    x, s = T.imatrix("x"), T.lscalar("s")
    v = np.arange(12, dtype="int32").reshape(3, 4)
    f = fn([x, s], T.roll(x, s, 1))
    for shift in (-5, 0, 2, 4):
        check(f(v, shift), np.roll(v, shift, 1))
    check(fn([x], T.roll(x, (1, -2), (0, 1)))(v), np.roll(v, (1, -2), (0, 1)))
    check(fn([x], T.roll(x, 2, (0, 1)))(v), np.roll(v, 2, (0, 1)))
    check(fn([x, s], T.roll(x, s, 0))(np.zeros((0, 2), "int32"), 3), np.zeros((0, 2), "int32"))
    d = T.dscalar("d")
    check(fn([d], T.roll(d, 3))(np.float64(2.0)), np.roll(np.float64(2.0), 3))
    with pytest.raises(GraphError, match="out of range"):
        T.roll(x, 1, 2)


@pytest.mark.parametrize("reps", [2, (2,), (2, 3), (3, 1, 2), (0, 2), (1, 1)])
def test_tile_matches_numpy(reps):
    x = T.fmatrix("x")
    v = A34.astype("float32")
    check(fn([x], T.tile(x, reps))(v), np.tile(v, reps))


def test_tile_symbolic_reps_ndim_and_broadcastable():
    x, r = T.dvector("x"), T.iscalar("r")
    v = np.array([1.0, 2.0, 3.0])
    check(fn([x, r], T.tile(x, (r, 2)))(v, 2), np.tile(v, (2, 2)))
    check(fn([x, r], T.tile(x, r))(v, 3), np.tile(v, 3))
    check(fn([x], T.tile(x, 2, ndim=3))(v), np.tile(v, (1, 1, 2)))
    row = T.drow("row")
    out = T.tile(row, (1, 2))
    assert out.broadcastable == (True, False)  # a broadcastable dim tiled once stays broadcastable
    check(fn([row], [out, T.tile(row, (3, 1))])(v[None])[1], np.tile(v[None], (3, 1)))
    with pytest.raises(GraphError, match="ndim=1 must be at least"):
        T.tile(T.dmatrix(), 2, ndim=1)
    with pytest.raises(GraphError, match="must not exceed ndim"):
        T.tile(x, (1, 2, 3), ndim=2)
    with pytest.raises(NotImplementedError, match="symbolic vector"):
        T.tile(x, T.ivector())
    with pytest.raises(TypeError, match="integer"):
        T.tile(x, 1.5)
    with pytest.raises(ValueError, match="negative"):
        fn([x, r], T.tile(x, r))(v, -1)


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 0), (2, 1), (0, 1), (2, -1), (1, None), ([2], 0)])
def test_repeat_matches_numpy(repeats, axis):
    x = T.lmatrix("x")
    v = np.arange(12).reshape(3, 4)
    check(fn([x], [T.repeat(x, repeats, axis), x.repeat(repeats, axis)])(v)[0], np.repeat(v, repeats, axis))


def test_repeat_symbolic_count_0d_and_errors():
    x, n = T.dvector("x"), T.iscalar("n")
    v = np.array([1.5, -2.0])
    check(fn([x, n], T.repeat(x, n))(v, 3), np.repeat(v, 3))
    check(fn([x, n], T.repeat(x, n))(v, 0), np.repeat(v, 0))
    b = T.lvector("b")
    bcast = T.addbroadcast(b, 0)
    check(fn([x, b], T.repeat(x, bcast))(v, np.array([2])), np.repeat(v, 2))
    s = T.dscalar("s")
    check(fn([s], T.repeat(s, 3))(np.float64(4.0)), np.repeat(np.float64(4.0), 3))
    with pytest.raises(NotImplementedError, match="count per element"):
        T.repeat(x, [1, 2])
    with pytest.raises(NotImplementedError, match="count per element"):
        T.repeat(x, T.lvector())
    with pytest.raises(GraphError, match="out of range"):
        T.repeat(x, 2, axis=1)
    with pytest.raises(GraphError, match="negative"):
        T.repeat(x, -1)
    with pytest.raises(ValueError, match="negative"):
        fn([x, n], T.repeat(x, n))(v, -2)


def test_ptp():
    x = T.imatrix("x")
    v = RNG.integers(-50, 50, (3, 4)).astype("int32")
    got = fn([x], [T.ptp(x), x.ptp(0), T.ptp(x, axis=1)])(v)
    for g, w in zip(got, [np.ptp(v), np.ptp(v, 0), np.ptp(v, 1)]):
        check(g, w)


# ----------------------------------------------------------------------------
# Random shapes
# ----------------------------------------------------------------------------

SHAPES = st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple)


@HYPOTHESIS
@given(shp=SHAPES, data=st.data())
def test_roll_tile_repeat_random(shp, data):
    v = np.arange(int(np.prod(shp)), dtype="float64").reshape(shp)
    x = T.tensor(dtype="float64", broadcastable=(False,) * len(shp))
    axis = data.draw(st.sampled_from([None, *range(len(shp))]))
    shift = data.draw(st.integers(-6, 6))
    reps = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4).map(tuple))
    count = data.draw(st.integers(0, 3))
    got = fn([x], [T.roll(x, shift, axis), T.tile(x, reps), T.repeat(x, count, axis)])(v)
    for g, w in zip(got, [np.roll(v, shift, axis), np.tile(v, reps), np.repeat(v, count, axis)]):
        check(g, w)


@HYPOTHESIS
@given(n=st.integers(0, 5), m=st.integers(0, 5), k=st.integers(-6, 6))
def test_triangles_and_diagonals_random(n, m, k):
    v = np.arange(n * m, dtype="float64").reshape(n, m)
    x = T.dmatrix("x")
    got = fn([x], [T.tril(x, k), T.triu(x, k), T.diagonal(x, k), T.tri(n, m, k)])(v)
    for g, w in zip(got, [np.tril(v, k), np.triu(v, k), np.diagonal(v, k), np.tri(n, m, k)]):
        check(g, w)


# ----------------------------------------------------------------------------
# The Theano names
# ----------------------------------------------------------------------------


def test_theano_names_are_the_mlc_functions():
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano

        for name in ("specify_shape", "stacklists", "mgrid", "ogrid", "tri", "tril", "triu", "diag", "diagonal",
                     "roll", "tile", "repeat", "ptp", "swapaxes"):
            assert getattr(theano.tensor, name) is getattr(T, name), name
        assert theano.tensor.extra_ops.repeat is T.repeat
        assert theano.compile.specify_shape is T.specify_shape
    finally:
        compat.uninstall()


def test_composed_functions_add_no_op_of_their_own():
    x = T.dmatrix("x")
    outs = [T.tril(x), T.diagonal(x, 1), T.roll(x, 1), T.tile(x, 2), T.repeat(x, 2), *T.mgrid[0:2, 0:3]]
    ops = {type(n.op).__module__ for n in toposort(outs)}
    assert ops <= {"mlc.tensor.elemwise", "mlc.tensor.shape", "mlc.tensor.alloc", "mlc.tensor.reduce"}, ops
