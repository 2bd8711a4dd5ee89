"""The symbolic front end: graph construction, operators and methods, indexing,
broadcasting rules, shared variables, and `function` (arguments, errors,
updates, givens). Functions run with the numpy reference (mode='REFERENCE')."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.function import MissingInputError, UnusedInputError
from mlc.graph import GraphError
from mlc.tensor.elemwise import DimShuffle, Elemwise

HERE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def reference_mode():
    with mlc.config.change_flags(mode="REFERENCE"):
        yield


def line() -> int:
    """The caller's line number."""
    return inspect.currentframe().f_back.f_lineno


def run(outputs, *pairs, **kwargs):
    """Compile `outputs` as a function of the variables in `pairs` ((var, value), ...) and call it."""
    f = mlc.function([v for v, _ in pairs], outputs, **kwargs)
    return f(*[a for _, a in pairs])


# ----------------------------------------------------------------------------
# Graph construction and source locations
# ----------------------------------------------------------------------------


def test_graph_structure():
    x, y = T.dscalars("x", "y")
    z = x + y
    assert x.owner is None and y.owner is None
    assert isinstance(z.owner.op, Elemwise) and z.owner.op.scalar.name == "add"
    assert z.owner.inputs == [x, y]
    assert z.owner.outputs == [z] and z.index == 0
    w = z * 2
    assert w.owner.inputs[0] is z
    c = w.owner.inputs[1]
    assert isinstance(c, T.TensorConstant) and c.data == 2
    assert set(map(id, mlc.graph.graph_inputs([w]))) == {id(x), id(y), id(c)}
    assert [n.op.scalar.name for n in mlc.graph.toposort([w])] == ["add", "mul"]


def test_variables_record_the_users_line():
    n = line()
    x = T.dscalar("x")
    y = x * 2
    assert x.loc.filename == __file__ and x.loc.lineno == n + 1
    assert y.loc.filename == __file__ and y.loc.lineno == n + 2
    assert x.loc.function == "test_variables_record_the_users_line"
    assert str(x.loc) == f"{HERE}:{n + 1}, in test_variables_record_the_users_line"


def test_intermediate_variables_of_composite_ops_get_the_users_line():
    n = line()
    x = T.dvector("x")
    v = x.var()  # built from several ops inside mlc
    for node in mlc.graph.toposort([v]):
        for out in node.outputs:
            assert out.loc.filename == __file__ and out.loc.lineno == n + 2


def test_names_and_str():
    x = T.dmatrix("x")
    assert str(x) == "x"
    assert str(T.dmatrix()) == "<TensorType(float64, matrix)>"
    y = x + 1
    y.name = "y"
    assert str(y) == "y"


# ----------------------------------------------------------------------------
# Operators
# ----------------------------------------------------------------------------

XV = np.array([[1.5, -2.0, 3.0], [4.0, 0.5, -6.0]])
YV = np.array([[2.0, 3.0, -1.0], [0.5, 2.0, 4.0]])


@pytest.mark.parametrize("name, fn", [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("truediv", lambda a, b: a / b),
    ("floordiv", lambda a, b: a // b),
    ("mod", lambda a, b: a % b),
    ("pow", lambda a, b: abs(a) ** b),
    ("lt", lambda a, b: a < b),
    ("le", lambda a, b: a <= b),
    ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b),
    ("radd", lambda a, b: 2 + a),
    ("rsub", lambda a, b: 2 - a),
    ("rmul", lambda a, b: 2 * a),
    ("rtruediv", lambda a, b: 2 / a),
    ("rfloordiv", lambda a, b: 7 // a),
    ("rmod", lambda a, b: 7 % a),
    ("rpow", lambda a, b: 2 ** a),
    ("neg", lambda a, b: -a),
    ("pos", lambda a, b: +a),
    ("abs", lambda a, b: abs(a)),
])
def test_arithmetic_operators(name, fn):
    x, y = T.dmatrices("x", "y")
    out = run(fn(x, y), (x, XV), (y, YV), on_unused_input="ignore")
    expected = fn(XV, YV)
    assert out.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(out, expected)


def test_matmul_operator():
    x, y = T.dmatrices("x", "y")
    np.testing.assert_allclose(run(x @ y.T, (x, XV), (y, YV)), XV @ YV.T)
    v = T.dvector("v")
    np.testing.assert_allclose(run(x @ v, (x, XV), (v, np.arange(3.0))), XV @ np.arange(3.0))
    np.testing.assert_allclose(run(XV @ v, (v, np.arange(3.0))), XV @ np.arange(3.0))


BITWISE = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "invert": lambda a, b: ~a,
    "rand": lambda a, b: 6 & a,
}


@pytest.mark.parametrize("name, dtype", [(n, d) for n in BITWISE for d in ("int32", "int64", "bool")
                                         if not (n == "rand" and d == "bool")])  # 6 & bool mixes types
def test_bitwise_operators(name, dtype):
    fn = BITWISE[name]
    av = np.array([0, 1, 5, 6, 3]).astype(dtype)
    bv = np.array([1, 1, 3, 0, 2]).astype(dtype)
    a, b = T.TensorType(dtype, (False,))("a"), T.TensorType(dtype, (False,))("b")
    out = run(fn(a, b), (a, av), (b, bv), on_unused_input="ignore")
    expected = fn(av, bv)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_equality_is_identity_like_theano():
    x = T.dscalar()
    assert (x == x) is True
    assert T.eq(x, x).dtype == "bool"


def test_symbolic_variables_have_no_truth_value_or_length():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="no truth value"):
        bool(x > 0)
    with pytest.raises(TypeError, match="len"):
        len(x)
    with pytest.raises(TypeError, match="iterate"):
        iter(x)


# ----------------------------------------------------------------------------
# Attributes and methods
# ----------------------------------------------------------------------------

A3 = np.arange(24.0).reshape(2, 3, 4) - 7.0


def test_attributes():
    x = T.ftensor3("x")
    assert x.ndim == 3 and x.dtype == "float32" and x.broadcastable == (False, False, False)
    assert x.T.broadcastable == (False, False, False)
    r = T.frow()
    assert r.T.broadcastable == (False, True)
    np.testing.assert_array_equal(run(x.shape, (x, A3.astype("float32"))), [2, 3, 4])
    assert run(x.shape, (x, A3.astype("float32"))).dtype == np.int64
    np.testing.assert_array_equal(run(x.T, (x, A3.astype("float32"))), A3.T)
    assert run(x.shape[1], (x, A3.astype("float32"))) == 3
    assert run(x.size, (x, A3.astype("float32"))) == 24


def test_dimshuffle_transpose_reshape_flatten():
    x = T.dtensor3("x")
    np.testing.assert_array_equal(run(x.dimshuffle(2, 0, 1), (x, A3)), A3.transpose(2, 0, 1))
    np.testing.assert_array_equal(run(x.dimshuffle((1, "x", 0, 2)), (x, A3)), A3.transpose(1, 0, 2)[:, None])
    assert x.dimshuffle("x", 0, 1, 2).broadcastable == (True, False, False, False)
    np.testing.assert_array_equal(run(x.transpose(1, 2, 0), (x, A3)), A3.transpose(1, 2, 0))
    np.testing.assert_array_equal(run(x.reshape((6, 4)), (x, A3)), A3.reshape(6, 4))
    np.testing.assert_array_equal(run(x.reshape((-1, 2), ndim=2), (x, A3)), A3.reshape(-1, 2))
    np.testing.assert_array_equal(run(x.reshape((x.shape[0], -1)), (x, A3)), A3.reshape(2, -1))
    np.testing.assert_array_equal(run(x.flatten(), (x, A3)), A3.ravel())
    np.testing.assert_array_equal(run(x.flatten(2), (x, A3)), A3.reshape(2, 12))
    assert x.reshape((1, 24)).broadcastable == (True, False)


def test_dimshuffle_drops_only_broadcastable_dims():
    r = T.drow("r")
    v = r.dimshuffle(1)
    assert v.broadcastable == (False,)
    np.testing.assert_array_equal(run(v, (r, np.array([[1.0, 2.0]]))), [1.0, 2.0])
    x = T.dmatrix("x")
    n = line()
    with pytest.raises(GraphError, match=rf"cannot drop dimension 1.*{HERE}:{n - 1}"):
        x.dimshuffle(0)
    with pytest.raises(GraphError, match="out of range"):
        x.dimshuffle(0, 2)
    with pytest.raises(GraphError, match="repeats"):
        x.dimshuffle(0, 0)


def test_astype():
    x = T.dvector("x")
    y = x.astype("int32")
    assert y.dtype == "int32"
    np.testing.assert_array_equal(run(y, (x, np.array([1.7, -2.5]))), [1, -2])
    assert x.astype("float64") is x


@pytest.mark.parametrize("method, axis", [(m, a) for m in ("sum", "mean", "max", "min", "prod", "var", "std",
                                                          "argmax", "argmin")
                                          for a in (None, 0, 1, -1, (0, 2))
                                          if not (m.startswith("arg") and isinstance(a, tuple))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_methods(method, axis, keepdims):
    x = T.dtensor3("x")
    out = run(getattr(x, method)(axis=axis, keepdims=keepdims), (x, A3))
    expected = getattr(np, method)(A3, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out, expected)


def test_reduction_result_broadcastable():
    x = T.dtensor3()
    assert x.sum(axis=1).broadcastable == (False, False)
    assert x.sum(axis=1, keepdims=True).broadcastable == (False, True, False)
    assert x.max().ndim == 0


# ----------------------------------------------------------------------------
# Indexing
# ----------------------------------------------------------------------------

M = np.arange(20.0).reshape(4, 5)


@pytest.mark.parametrize("index", [
    (slice(1, 3), slice(None, None, -1)),
    (slice(None), 2),
    (1,),
    (-1, slice(1, None, 2)),
    (None,),
    (Ellipsis, 0),
    (slice(None), None, slice(2, 4)),
    (slice(5, 1, -1),),
    (slice(10, 20),),
    (2, 3),
])
def test_constant_indexing(index):
    x = T.dmatrix("x")
    out = run(x[index], (x, M))
    np.testing.assert_array_equal(out, M[index])
    assert out.shape == M[index].shape


def test_symbolic_integer_index_and_slice_bounds():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    j = T.iscalar("j")
    f = mlc.function([x, i], x[i])
    np.testing.assert_array_equal(f(M, 2), M[2])
    np.testing.assert_array_equal(f(M, -1), M[-1])
    g = mlc.function([x, i, j], x[i:, :j])
    np.testing.assert_array_equal(g(M, 1, 3), M[1:, :3])
    with pytest.raises(ValueError, match="out of bounds"):
        f(M, 4)


def test_new_axis_is_broadcastable():
    x = T.dvector("x")
    assert x[None].broadcastable == (True, False)
    assert x[:, None].broadcastable == (False, True)
    assert x[None, :, None].broadcastable == (True, False, True)


def test_unsupported_indexing_raises_clearly():
    x = T.dmatrix("x")
    with pytest.raises(NotImplementedError, match="boolean-mask"):
        x[T.constant(True)]  # arrays and masks of rank >= 1 are supported (test_extra_ops.py); 0-d masks not
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(TypeError, match="integer"):
        x[T.dscalar()]


# ----------------------------------------------------------------------------
# Broadcasting
# ----------------------------------------------------------------------------


def test_row_plus_col_is_matrix():
    r, c = T.drow("r"), T.dcol("c")
    s = r + c
    assert s.broadcastable == (False, False)
    rv, cv = np.arange(3.0).reshape(1, 3), np.arange(2.0).reshape(2, 1)
    np.testing.assert_array_equal(run(s, (r, rv), (c, cv)), rv + cv)


def test_lower_rank_operands_are_padded_on_the_left():
    x, v = T.dmatrix("x"), T.dvector("v")
    s = x + v
    pad = s.owner.inputs[1]
    assert isinstance(pad.owner.op, DimShuffle) and pad.broadcastable == (True, False)
    np.testing.assert_array_equal(run(s, (x, M), (v, np.arange(5.0))), M + np.arange(5.0))


def test_non_broadcastable_dims_do_not_broadcast_at_run_time():
    x, y = T.dmatrices("x", "y")
    n = line()
    s = x + y
    f = mlc.function([x, y], s)
    with pytest.raises(ValueError) as info:
        f(np.zeros((3, 3)), np.zeros((3, 1)))
    msg = str(info.value)
    assert "(3, 3)" in msg and "(3, 1)" in msg
    assert f"{HERE}:{n + 1}" in msg
    assert f(np.zeros((3, 1)), np.zeros((3, 1))).shape == (3, 1)


def test_broadcastable_patterns_allow_broadcasting():
    x = T.dmatrix("x")
    yc = T.TensorType("float64", (False, True))("y")
    np.testing.assert_array_equal(run(x + yc, (x, np.ones((3, 3))), (yc, np.arange(3.0)[:, None])),
                                  np.ones((3, 3)) + np.arange(3.0)[:, None])
    y = T.dmatrix("y")
    np.testing.assert_array_equal(run(x + T.addbroadcast(y, 1), (x, np.ones((3, 3))), (y, np.ones((3, 1)))),
                                  np.full((3, 3), 2.0))
    with pytest.raises(ValueError):
        run(x + T.addbroadcast(y, 1), (x, np.ones((3, 3))), (y, np.ones((3, 3))))


def test_constants_are_broadcastable_where_their_length_is_one():
    assert T.constant(np.zeros((3, 1))).broadcastable == (False, True)
    assert T.constant(np.zeros((1, 1, 2))).broadcastable == (True, True, False)


def test_constants_of_mismatched_shapes_fail_at_build_time():
    a = T.constant(np.zeros(3))
    n = line()
    b = T.constant(np.zeros(4))
    with pytest.raises(GraphError, match=rf"\(3,\).*\(4,\).*{HERE}:{n - 1}"):
        a + b
    with pytest.raises(GraphError, match="do not broadcast"):
        T.switch(T.constant(np.ones(2, bool)), a, 0)
    assert (a + T.constant(np.zeros(1))).broadcastable == (False,)


def test_other_build_time_errors_name_the_users_line():
    from mlc.tensor.contract import Dot

    n = line()
    t3 = T.dtensor3("t3")
    with pytest.raises(GraphError, match=rf"dot: expected 1-d or 2-d.*{HERE}:{n + 1}"):
        Dot()(t3, T.dmatrix())
    with pytest.raises(GraphError, match="has 3 entries, expected ndim=2"):
        T.dmatrix().reshape((2, 3, 4), ndim=2)
    with pytest.raises(GraphError, match="same rank"):
        T.concatenate([T.dmatrix(), T.dvector()])
    with pytest.raises(GraphError, match="axis 3 is out of range"):
        t3.sum(axis=3)
    with pytest.raises(TypeError, match="expected inputs of dtype"):
        T.dvector() & T.dvector()


def test_dot_of_higher_ranks_follows_numpy():
    a, b = T.dtensor3("a"), T.dtensor3("b")
    av, bv = np.random.rand(2, 3, 4), np.random.rand(5, 4, 2)
    np.testing.assert_allclose(run(T.dot(a, b), (a, av), (b, bv)), np.dot(av, bv))
    s = T.dscalar("s")
    np.testing.assert_allclose(run(T.dot(s, a), (s, 2.0), (a, av)), 2.0 * av)


# ----------------------------------------------------------------------------
# Shared variables
# ----------------------------------------------------------------------------


def test_shared_value_copy_and_borrow():
    a = np.ones(3)
    s = mlc.shared(a)
    sb = mlc.shared(a, borrow=True)
    a += 1
    np.testing.assert_array_equal(s.get_value(), [1, 1, 1])
    np.testing.assert_array_equal(sb.get_value(), [2, 2, 2])
    v = s.get_value()
    v += 100
    np.testing.assert_array_equal(s.get_value(), [1, 1, 1])
    inner = s.get_value(borrow=True)
    assert inner is s.get_value(borrow=True)


def test_shared_set_value_and_type_checks():
    s = mlc.shared(np.zeros(2), name="s")
    s.set_value([3, 4])
    np.testing.assert_array_equal(s.get_value(), [3.0, 4.0])
    b = np.array([5.0, 6.0])
    s.set_value(b)
    b[0] = 0
    assert s.get_value()[0] == 5.0  # copied unless borrow=True
    with pytest.raises(TypeError, match="1-d"):
        s.set_value(np.zeros((2, 2)))
    i = mlc.shared(0)
    with pytest.raises(TypeError, match="lose precision"):
        i.set_value(np.float64(0.5))


def test_shared_dtype_and_broadcastable():
    assert mlc.shared(0).dtype == "int64"
    assert mlc.shared(0.5).dtype == "float64"
    assert mlc.shared(True).dtype == "bool"
    s = mlc.shared(np.zeros((1, 3)))
    assert s.broadcastable == (False, False)
    s = mlc.shared(np.zeros((1, 3)), broadcastable=(True, False))
    assert s.broadcastable == (True, False)
    with pytest.raises(TypeError, match="broadcastable"):
        mlc.shared(np.zeros((2, 3)), broadcastable=(True, False))
    with pytest.raises(TypeError, match="symbolic"):
        mlc.shared(T.dvector())


def test_shared_variable_in_a_function_reads_the_current_value():
    w = mlc.shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    f = mlc.function([x], (x * w).sum())
    assert f([1, 1]) == 3.0
    w.set_value(np.array([10.0, 20.0]))
    assert f([1, 1]) == 30.0


# ----------------------------------------------------------------------------
# function: arguments and their validation
# ----------------------------------------------------------------------------


def test_outputs_single_list_and_dtypes():
    x = T.dscalar("x")
    r = mlc.function([x], x * 2)(3)
    assert isinstance(r, np.ndarray) and r.shape == () and r.dtype == np.float64 and r == 6
    rs = mlc.function([x], [x * 2, x + 1])(3)
    assert isinstance(rs, list) and [float(v) for v in rs] == [6.0, 4.0]
    assert mlc.function([x], [x * 2])(3)[0] == 6
    assert mlc.function([x], [], on_unused_input="ignore")(3) == []


def test_outputs_are_fresh_arrays():
    x = T.dvector("x")
    f = mlc.function([x], x)
    a = np.ones(3)
    out = f(a)
    assert out is not a and not np.shares_memory(out, a)


def test_wrong_argument_count():
    x, y = T.dscalars("x", "y")
    f = mlc.function([x, y], x + y)
    with pytest.raises(TypeError, match="missing argument 1"):
        f(1)
    with pytest.raises(TypeError, match="at most 2 arguments"):
        f(1, 2, 3)


def test_keyword_arguments_and_defaults():
    x, y = T.dscalars("x", "y")
    f = mlc.function([x, mlc.In(y, value=10.0)], x - y)
    assert f(1) == -9.0
    assert f(1, 2) == -1.0
    assert f(x=5, y=1) == 4.0
    with pytest.raises(TypeError, match="unknown keyword"):
        f(z=1)
    with pytest.raises(TypeError, match="given twice"):
        f(1, x=2)


def test_wrong_dtype_needs_allow_input_downcast():
    x = T.fvector("x")
    f = mlc.function([x], x * 2)
    with pytest.raises(TypeError, match="float32.*allow_input_downcast"):
        f(np.zeros(3))  # float64 array
    g = mlc.function([x], x * 2, allow_input_downcast=True)
    assert g(np.ones(3)).dtype == np.float32
    assert f([1.0, 2.0]).dtype == np.float32  # Python data converts when no precision is lost
    i = T.ivector("i")
    h = mlc.function([i], i + 1)
    with pytest.raises(TypeError, match="lose precision"):
        h([1.5, 2.0])
    np.testing.assert_array_equal(h([1, 2]), [2, 3])
    np.testing.assert_array_equal(mlc.function([x], x * 2)(np.ones(3, dtype="int8")), [2, 2, 2])  # upcast ok


def test_wrong_rank_and_broadcastable_length():
    x = T.dvector("x")
    f = mlc.function([x], x * 2)
    with pytest.raises(TypeError, match="expected 1-d array.*2-d"):
        f(np.zeros((2, 2)))
    r = T.drow("r")
    g = mlc.function([r], r * 2)
    with pytest.raises(TypeError, match="dimension 0 is broadcastable.*length 1.*\\(3, 2\\)"):
        g(np.zeros((3, 2)))
    assert g(np.zeros((1, 2))).shape == (1, 2)


def test_incompatible_shapes_at_call_time_name_shapes_and_line():
    a, b = T.dmatrices("a", "b")
    n = line()
    c = T.dot(a, b)
    f = mlc.function([a, b], c)
    with pytest.raises(ValueError) as info:
        f(np.zeros((2, 3)), np.zeros((4, 5)))
    msg = str(info.value)
    assert "(2, 3)" in msg and "(4, 5)" in msg and f"{HERE}:{n + 1}" in msg
    x, y = T.dvectors("x", "y")
    g = mlc.function([x, y], T.concatenate([x[None], y[None]]))
    with pytest.raises(ValueError, match="join"):
        g(np.zeros(3), np.zeros(4))


def test_unused_input():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match="input y is not used"):
        mlc.function([x, y], x * 2)
    f = mlc.function([x, y], x * 2, on_unused_input="ignore")
    assert f(2, 5) == 4
    with pytest.warns(UserWarning, match="not used"):
        mlc.function([x, y], x * 2, on_unused_input="warn")


def test_missing_input_names_the_variable():
    x, y = T.dscalars("x", "y")
    n = line()
    z = T.dscalar("zed")
    with pytest.raises(MissingInputError, match=rf"needs input zed.*{HERE}:{n + 1}"):
        mlc.function([x], x + z)


def test_bad_inputs_list():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="computed by"):
        mlc.function([x * 2], x)
    with pytest.raises(TypeError, match="constants"):
        mlc.function([T.constant(1.0)], x)
    with pytest.raises(ValueError, match="given twice"):
        mlc.function([x, x], x)


# ----------------------------------------------------------------------------
# Updates and givens
# ----------------------------------------------------------------------------


def test_updates_as_pairs_and_dict():
    state = mlc.shared(0)
    inc = T.iscalar("inc")
    acc = mlc.function([inc], state, updates=[(state, state + inc)])
    assert acc(1) == 0 and state.get_value() == 1
    assert acc(300) == 1 and state.get_value() == 301
    dec = mlc.function([inc], state, updates={state: state - inc})
    assert dec(1) == 301 and state.get_value() == 300


def test_all_outputs_and_updates_use_old_values():
    a = mlc.shared(np.float64(1.0), name="a")
    b = mlc.shared(np.float64(10.0), name="b")
    f = mlc.function([], [a, b, a + b], updates=[(a, b), (b, a)])  # swap
    out = f()
    assert [float(v) for v in out] == [1.0, 10.0, 11.0]
    assert a.get_value() == 10.0 and b.get_value() == 1.0


def test_update_errors():
    s = mlc.shared(np.zeros(2))
    x = T.dvector("x")
    with pytest.raises(TypeError, match="shared variable"):
        mlc.function([x], x, updates=[(x, x + 1)])
    with pytest.raises(TypeError, match="dtype float64"):
        mlc.function([], s, updates=[(s, s.astype("float32"))])
    with pytest.raises(TypeError, match="same type"):
        mlc.function([], s, updates=[(s, s.sum())])
    with pytest.raises(ValueError, match="more than once"):
        mlc.function([], s, updates=[(s, s + 1), (s, s + 2)])


def test_givens_replace_variables():
    state = mlc.shared(0)
    inc = T.iscalar("inc")
    foo = T.scalar(dtype=state.dtype)
    f = mlc.function([inc, foo], state * 2 + inc, givens=[(state, foo)])
    assert f(1, 3) == 7
    assert state.get_value() == 0
    x, y = T.dvectors("x", "y")
    g = mlc.function([y], (x * 2).sum(), givens={x: y + 1})
    assert g([1.0, 2.0]) == 10.0
    with pytest.raises(TypeError, match="dtypes differ"):
        mlc.function([inc], state, givens=[(state, T.dscalar())])


def test_eval_caches_and_recomputes():
    x, y = T.dscalars("x", "y")
    z = x + y
    assert z.eval({x: 16.3, y: 12.1}) == pytest.approx(28.4)
    assert z.eval({x: 1.0, y: 2.0}) == 3.0
    assert T.constant(2.0).eval() == 2.0
    assert (T.constant(np.arange(3)) * 2).eval().tolist() == [0, 2, 4]
