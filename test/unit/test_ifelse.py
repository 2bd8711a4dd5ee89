"""ifelse: Theano's lazy conditional, in the numpy reference and natively (an scf.if).

Each case runs in both modes (`mode` fixture): values and dtypes against
numpy, laziness (the branch not taken would fail if it ran), several
outputs, nested conditionals, different shapes per branch, type errors as
Theano words them, gradients against finite differences, ifelse inside
scan, and the IR (one scf.if, each branch's nodes inside its region).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad
from mlc.graph import Apply, Op
from mlc.ifelse import IfElse, ifelse
from mlc.tensor.host import PythonOp


@pytest.fixture(params=["REFERENCE", "FAST_RUN", "FAST_COMPILE"])
def mode(request):
    return request.param


def test_switch_vs_ifelse_values(mode):
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    f = mlc.function([a, b, x, y], [z_switch, z_lazy], mode=mode)
    xv, yv = np.full((3, 4), 2.0), np.full((2, 5), 7.0)
    for av, bv, want in ((0.0, 1.0, 2.0), (1.0, 0.0, 7.0), (1.0, 1.0, 7.0)):
        s, lz = f(av, bv, xv, yv)
        assert s == want and lz == want and lz.dtype == np.float64 and lz.shape == ()


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8", "float64"])
def test_condition_of_any_dtype_zero_is_false(mode, dtype):
    c = T.scalar("c", dtype=dtype)
    x = T.fvector("x")
    f = mlc.function([c, x], ifelse(c, x * 2, x - 1), mode=mode)
    xv = np.arange(3, dtype="float32")
    np.testing.assert_array_equal(f(np.asarray(1, dtype=dtype), xv), xv * 2)
    np.testing.assert_array_equal(f(np.asarray(0, dtype=dtype), xv), xv - 1)
    assert f(np.asarray(1, dtype=dtype), xv).dtype == np.float32


def test_nan_condition_is_true(mode):
    c = T.dscalar("c")
    f = mlc.function([c], ifelse(c, T.constant(1.0), T.constant(2.0)), mode=mode)
    assert f(np.nan) == 1.0 and f(0.0) == 2.0 and f(-0.0) == 2.0


def test_only_the_taken_branch_runs_out_of_bounds_index(mode):
    """x[i] with i out of bounds raises when computed: the branch not taken never is."""
    x = T.dvector("x")
    i = T.iscalar("i")
    f = mlc.function([x, i], ifelse(T.lt(i, x.shape[0]), x[i], x.sum()), mode=mode)
    assert f(np.arange(5.0), 2) == 2.0
    assert f(np.arange(5.0), 7) == 10.0  # x[7] would raise
    g = mlc.function([x, i], x[i], mode=mode)
    with pytest.raises((IndexError, ValueError)):
        g(np.arange(5.0), 7)


class _Boom(Op):
    """An op whose every evaluation (value or shape) raises: proves a branch was not run."""

    def make_node(self, x):
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        raise RuntimeError("the branch not taken was evaluated")

    def infer_shape(self, node, shapes, value):
        raise RuntimeError("the shapes of the branch not taken were evaluated")


def test_only_the_taken_branch_runs_raising_op():
    x = T.dvector("x")
    c = T.iscalar("c")
    f = mlc.function([c, x], ifelse(c, x + 1, _Boom()(x * 3)), mode="REFERENCE")
    np.testing.assert_array_equal(f(1, np.arange(3.0)), np.arange(3.0) + 1)
    with pytest.raises(RuntimeError, match="branch not taken"):
        f(0, np.arange(3.0))


def test_shapes_may_differ_between_branches(mode):
    x = T.dvector("x")
    c = T.iscalar("c")
    f = mlc.function([c, x], ifelse(c, x[1:], T.concatenate([x, x])), mode=mode)
    xv = np.arange(4.0)
    np.testing.assert_array_equal(f(1, xv), xv[1:])
    np.testing.assert_array_equal(f(0, xv), np.concatenate([xv, xv]))
    np.testing.assert_array_equal(f(1, xv), xv[1:])  # the shape cache keys on the condition


def test_several_outputs_and_list_or_tuple_results(mode):
    c = T.iscalar("c")
    x, y = T.dmatrices("x", "y")
    out_list = ifelse(c, [x + y, x.sum(axis=0)], [x - y, y.sum(axis=0)])
    out_tuple = ifelse(c, (x * 2,), (y * 2,))
    assert isinstance(out_list, list) and isinstance(out_tuple, tuple) and len(out_list) == 2
    f = mlc.function([c, x, y], [*out_list, *out_tuple], mode=mode)
    xv, yv = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    for cv in (1, 0):
        got = f(cv, xv, yv)
        want = [xv + yv, xv.sum(0), xv * 2] if cv else [xv - yv, yv.sum(0), yv * 2]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w)


def test_nested_ifelse_and_values_shared_between_branches(mode):
    c1, c2 = T.iscalars("c1", "c2")
    x = T.dvector("x")
    shared_part = T.exp(x)  # used by both branches: computed before the test
    inner = ifelse(c2, shared_part * 2, T.log1p(shared_part))
    out = ifelse(c1, inner + 1, shared_part - x)
    f = mlc.function([c1, c2, x], out, mode=mode)
    xv = np.linspace(-1, 1, 5)
    e = np.exp(xv)
    np.testing.assert_allclose(f(1, 1, xv), e * 2 + 1)
    np.testing.assert_allclose(f(1, 0, xv), np.log1p(e) + 1)
    np.testing.assert_allclose(f(0, 1, xv), e - xv)


def test_condition_used_inside_a_branch_and_output_used_twice(mode):
    a = T.dscalar("a")
    x = T.dvector("x")
    c = T.gt(a, 0)
    r = ifelse(c, x * c, x * a)
    f = mlc.function([a, x], [r, r.sum() + ifelse(c, a, -a)], mode=mode)
    xv = np.arange(3.0)
    r1, s1 = f(2.0, xv)
    np.testing.assert_allclose(r1, xv)
    assert s1 == 5.0
    r2, s2 = f(-2.0, xv)
    np.testing.assert_allclose(r2, -2 * xv)
    assert s2 == -6.0 + 2.0


def test_ifelse_with_shared_updates(mode):
    w = mlc.shared(np.zeros(3), "w")
    c = T.iscalar("c")
    step = mlc.function([c], [], updates=[(w, ifelse(c, w + 1, w * 0 - 5))], mode=mode)
    step(1)
    step(1)
    np.testing.assert_allclose(w.get_value(), [2.0, 2.0, 2.0])
    step(0)
    np.testing.assert_allclose(w.get_value(), [-5.0, -5.0, -5.0])


def test_type_errors_follow_theano():
    c = T.iscalar("c")
    with pytest.raises(TypeError, match="identical types"):
        ifelse(c, T.fvector(), T.dvector())
    with pytest.raises(TypeError, match="identical types"):
        ifelse(c, T.dvector(), T.dmatrix())
    with pytest.raises(ValueError, match="number of values on the `then` branch"):
        ifelse(c, [T.dvector(), T.dvector()], [T.dvector()])
    with pytest.raises(TypeError, match="has to be a scalar"):
        ifelse(T.ivector(), T.dvector(), T.dvector())
    with pytest.raises(TypeError, match="same types"):
        IfElse(1)(c, T.dvector(), T.fvector())
    assert str(IfElse(1, name="choose")) == "if{choose}" and str(IfElse(2)) == "if{}"
    assert IfElse(2) == IfElse(2, name="other") and IfElse(1) != IfElse(2)


def test_python_numbers_in_branches(mode):
    c = T.iscalar("c")
    f = mlc.function([c], ifelse(c, 3.0, 4.0), mode=mode)
    assert f(1) == 3.0 and f(0) == 4.0


# ----------------------------------------------------------------------------
# Gradients
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("taken", [1, 0])
def test_gradient_through_both_branches_matches_finite_differences(taken):
    rng = np.random.default_rng(0)

    def fun(x, y):
        return ifelse(T.constant(taken), T.tanh(x) * y, T.exp(y) + x ** 2)

    verify_grad(fun, [rng.normal(size=(3, 2)), rng.normal(size=(3, 2))], rng=rng)


def test_gradient_values_and_zero_for_the_branch_not_taken(mode):
    c = T.iscalar("c")
    x, y = T.dvectors("x", "y")
    cost = ifelse(c, (x ** 2).sum(), (3 * y).sum())
    gx, gy = mlc.grad(cost, [x, y])
    f = mlc.function([c, x, y], [gx, gy], mode=mode)
    xv, yv = np.arange(3.0), np.ones(3)
    gxv, gyv = f(1, xv, yv)
    np.testing.assert_allclose(gxv, 2 * xv)
    np.testing.assert_allclose(gyv, 0)
    gxv, gyv = f(0, xv, yv)
    np.testing.assert_allclose(gxv, 0)
    np.testing.assert_allclose(gyv, 3)


def test_gradient_several_outputs(mode):
    c = T.dscalar("c")
    x = T.dvector("x")
    a, b = ifelse(T.gt(c, 0), [x * c, x.sum()], [x / 2, c * 1.0])
    cost = a.sum() + 3 * b
    gx, gc = mlc.grad(cost, [x, c])
    f = mlc.function([c, x], [gx, gc], mode=mode)
    xv = np.arange(1.0, 4.0)
    gxv, gcv = f(2.0, xv)
    np.testing.assert_allclose(gxv, np.full(3, 2.0 + 3))
    assert gcv == xv.sum()
    gxv, gcv = f(-2.0, xv)
    np.testing.assert_allclose(gxv, np.full(3, 0.5))
    assert gcv == 3.0


# ----------------------------------------------------------------------------
# Inside scan, and the IR
# ----------------------------------------------------------------------------


def test_ifelse_inside_scan(mode):
    xs = T.dvector("xs")

    def step(x, acc):
        return ifelse(T.gt(x, 0), acc + x, acc * 0.5)

    out, _ = mlc.scan(step, sequences=xs, outputs_info=T.constant(np.asarray(1.0)))
    f = mlc.function([xs], out, mode=mode)
    xv = np.array([1.0, -1.0, 2.0, -3.0, 0.5])
    want, acc = [], 1.0
    for v in xv:
        acc = acc + v if v > 0 else acc * 0.5
        want.append(acc)
    np.testing.assert_allclose(f(xv), want)
    g = mlc.function([xs], mlc.grad(out[-1], xs), mode=mode)
    eps, num = 1e-6, []
    h = mlc.function([xs], out[-1], mode=mode)
    for k in range(len(xv)):
        d = np.zeros_like(xv)
        d[k] = eps
        num.append((h(xv + d) - h(xv - d)) / (2 * eps))
    np.testing.assert_allclose(g(xv), num, atol=1e-6)


def test_ir_is_one_scf_if_with_the_branch_nodes_inside():
    a = T.dscalar("a")
    x = T.dvector("x")
    f = mlc.function([a, x], ifelse(T.lt(a, 0), T.exp(x), T.log(x)))
    mt_ir = f.dump_ir("mt")
    assert mt_ir.count("scf.if") == 1
    then_part, else_part = mt_ir.split("scf.if")[1].split("} else {")
    assert "mt.exp" in then_part and "mt.log" not in then_part and "mt.log" in else_part
    loops = f.dump_ir("loops")
    assert "scf.if" in loops and "-> (memref<?xf64>)" in loops
    np.testing.assert_allclose(f(-1.0, np.arange(1.0, 3.0)), np.exp(np.arange(1.0, 3.0)))
    np.testing.assert_allclose(f(1.0, np.arange(1.0, 3.0)), np.log(np.arange(1.0, 3.0)))


# ----------------------------------------------------------------------------
# Host ops inside a branch (compiled functions run them from Python): only the taken branch's run
# ----------------------------------------------------------------------------


class _Counted(PythonOp):
    """A user op (a host op in compiled functions) that counts its runs and raises when told to."""

    __props__ = ()
    runs: list[str] = []

    def make_node(self, x):
        return Apply.from_outputs(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        if np.any(inputs[0] < 0):
            raise RuntimeError("the host op of the branch not taken ran")
        _Counted.runs.append("run")
        output_storage[0][0] = inputs[0] * 10

    def infer_shape(self, node, shapes):
        return shapes


@pytest.mark.parametrize("mode", ["REFERENCE", "FAST_RUN", "FAST_COMPILE"])
def test_host_ops_in_the_branch_not_taken_never_run(mode):
    x = T.dvector("x")
    c = T.iscalar("c")
    y = ifelse(c, _Counted()(x - 5) + 1, T.sort(x) * 2)  # x - 5 < 0 raises if the then branch runs
    f = mlc.function([c, x], y, mode=mode)
    xv = np.asarray([3.0, 1.0, 2.0])
    _Counted.runs.clear()
    np.testing.assert_array_equal(f(0, xv), np.sort(xv) * 2)
    assert _Counted.runs == []
    with pytest.raises(RuntimeError, match="branch not taken"):
        f(1, xv)
    np.testing.assert_array_equal(f(1, xv + 10), (xv + 5) * 10 + 1)
    assert _Counted.runs == ["run"]


@pytest.mark.parametrize("mode", ["FAST_RUN", "python-scan"])
def test_lazy_host_branches_nested_and_inside_scan(mode):
    """Nested ifelse with a host op two levels down, used inside a scan step (a Python loop then)."""
    if mode == "python-scan":
        mode = mlc.Mode(name="FAST_RUN").excluding("native-scan")
    x = T.dvector("x")
    c = T.iscalar("c")

    def step(v, acc, c):
        inner = ifelse(T.gt(v, 0), _Counted()(acc + v), acc - v)
        return ifelse(c, inner, acc + 100 * v)

    out, _ = mlc.scan(step, sequences=x, outputs_info=np.float64(0), non_sequences=c)
    f = mlc.function([x, c], out, mode=mode)
    xv = np.asarray([1.0, -2.0, 3.0])
    _Counted.runs.clear()
    np.testing.assert_allclose(f(xv, 0), [100, -100, 200])
    assert _Counted.runs == []
    np.testing.assert_allclose(f(xv, 1), [10, 12, 150])
    assert len(_Counted.runs) == 2  # once per positive v


def test_a_random_draw_in_the_branch_not_taken_is_not_drawn():
    """Without default updates the draw belongs to the branch: the stream advances only when it runs."""
    from mlc.tensor.shared_randomstreams import RandomStreams

    c = T.iscalar("c")
    srng = RandomStreams(seed=7)
    u = srng.uniform((3,))
    f = mlc.function([c], ifelse(c, u, T.zeros((3,))), no_default_updates=True)
    state = srng.state_updates[0][0]
    before = state.get_value().get_state()[1].copy()
    np.testing.assert_array_equal(f(0), np.zeros(3))
    first = f(1)
    assert np.all((first >= 0) & (first < 1))
    np.testing.assert_array_equal(f(1), first)  # no default update: the same numbers again
    np.testing.assert_array_equal(state.get_value().get_state()[1], before)
    dump = f.dump_ir("mt")
    assert "lazy if" in dump
