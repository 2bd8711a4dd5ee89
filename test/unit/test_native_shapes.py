"""Result shapes and shape checks computed by native code traced from the shape rules
(`mlc.compile.native_shapes`): the Python shape walk runs only to learn a new branch or to
explain an error. Each test checks values and shapes against numpy, and which path ran."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.function import ShapePlan
from mlc.compile.native_shapes import Sym, Trace
from mlc.tensor.shape import slice_length

THIS_FILE = __file__.rsplit("/", 1)[-1]


@pytest.fixture
def counted(monkeypatch):
    """Counts calls of the Python shape plan (ShapePlan.result_shapes) in `counted.plan` (not those of
    a compiled index-bounds check's own plan: its first call)."""
    class Counter:
        plan = 0

    real = ShapePlan.result_shapes

    def result_shapes(self, arrays):
        if not getattr(self, "bounds_check", False):
            Counter.plan += 1
        return real(self, arrays)

    monkeypatch.setattr(ShapePlan, "result_shapes", result_shapes)
    return Counter


def test_minibatch_index_changes_without_python_shape_work(counted):
    """The tutorial step: x and y sliced by i from shared data, NLL through arange(n). After the
    first call every full batch gets its shapes from native code: no walk, no Python plan."""
    rng = np.random.default_rng(0)
    data = mlc.shared(rng.random((53, 4)).astype("float32"), "data")
    labels = mlc.shared(rng.integers(0, 3, 53).astype("int32"), "labels")
    W = mlc.shared(np.zeros((4, 3), "float32"), "W")
    i = T.lscalar("i")
    x, y = T.fmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(x, W))
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    bs = 5
    step = mlc.function([i], nll, updates=[(W, W - np.float32(0.5) * mlc.grad(nll, W))],
                        givens={x: data[i * bs:(i + 1) * bs], y: labels[i * bs:(i + 1) * bs]})
    native, plan = step.native_shapes, step.shape_plan
    Wn = np.zeros((4, 3), "float32")
    for call, k in enumerate([0, 3, 1, 7, 2, 9, 4, 8, 5, 6, 10, 0, 10]):  # batch 10 (rows 50..52) is short
        got = step(k)
        xb, yb = data.get_value()[k * bs:(k + 1) * bs], labels.get_value()[k * bs:(k + 1) * bs]
        a = xb @ Wn
        e = np.exp(a - a.max(axis=1, keepdims=True))
        pb = e / e.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(got, -np.mean(np.log(pb[np.arange(len(yb)), yb])), rtol=1e-5)
        assert got.shape == () and got.dtype == np.float32
        pb[np.arange(len(yb)), yb] -= 1
        Wn = Wn - np.float32(0.5) * xb.T @ pb / len(yb)
        if call < 10:
            assert (plan.walks, counted.plan, native.traces) == (1, 1, 1), k
    assert native.traces == 2 and plan.walks == 2 and counted.plan == 2  # the short batch: one more branch
    np.testing.assert_allclose(W.get_value(), Wn, rtol=1e-4, atol=1e-6)
    assert native.calls >= 12


def test_mismatched_shapes_are_caught_natively_with_todays_message(counted):
    x, y = T.dvector("x"), T.dvector("y")
    z = x * 2 + y  # the line the error names
    f = mlc.function([x, y], z)
    np.testing.assert_allclose(f(np.ones(3), np.arange(3.0)), [2, 3, 4])
    np.testing.assert_allclose(f(np.ones(5), np.ones(5)), np.full(5, 3.0))  # new shapes: native, no walk
    assert f.shape_plan.walks == 1 and f.native_shapes.traces == 1
    with pytest.raises(ValueError, match=r"do not match in dimension 0") as err:
        f(np.ones(3), np.ones(4))
    assert THIS_FILE in str(err.value) and "(3,) and (4,)" in str(err.value)
    assert f.native_shapes.last_status > 0  # a guard of the traced rules failed, natively
    assert "arg0.shape[0]" in f.native_shapes.failed_check and "arg1.shape[0]" in f.native_shapes.failed_check
    assert "add" in f.native_shapes.failed_check  # the node whose rule it is


def test_dot_mismatch_names_the_user_line():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = mlc.function([a, b], T.dot(a, b).sum())
    assert f(np.ones((2, 3)), np.ones((3, 4))) == 24
    assert f(np.ones((1, 5)), np.ones((5, 2))) == 10
    with pytest.raises(ValueError) as err:
        f(np.ones((2, 3)), np.ones((4, 4)))
    assert THIS_FILE in str(err.value)
    assert f.native_shapes.last_status > 0 and f.shape_plan.walks == 2  # the walk only explains


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8"])
def test_symbolic_slices_for_every_bound(dtype):
    """x[a:b:c] with scalar bounds of several dtypes: every length numpy gives, empty ones included,
    from the traced slice rule (new values take a new branch only at the clamping edges)."""
    x = T.dvector("x")
    a, b = T.scalar("a", dtype=dtype), T.scalar("b", dtype=dtype)
    f = mlc.function([x, a, b], [x[a:b], x[a:b:2] * 2, x[b:a:-1]])
    rng = np.random.default_rng(1)
    signed = dtype != "uint8"
    for n in [0, 1, 7]:
        xv = rng.random(n)
        for av, bv in [(0, 3), (2, 6), (1, 1), (5, 2), (0, 100), (3, 0), (-2, 5), (-9, -1), (6, 6)]:
            if not signed and (av < 0 or bv < 0):
                continue
            got = f(xv, np.asarray(av, dtype), np.asarray(bv, dtype))
            want = [xv[av:bv], xv[av:bv:2] * 2, xv[bv:av:-1]]
            for g, w in zip(got, want):
                assert g.shape == w.shape and g.dtype == w.dtype
                np.testing.assert_allclose(g, w)
    ns = f.native_shapes
    assert 1 <= ns.traces <= 4 and ns.calls > ns.failed


def test_alloc_arange_and_reshape_from_scalars():
    n, m = T.lscalar("n"), T.iscalar("m")
    v = T.fvector("v")
    f = mlc.function([v, n, m], [T.alloc(v, n, v.shape[0]) * 2, T.arange(n * m), T.arange(m, n, 2)])
    for nv, mv in [(3, 2), (4, 1), (0, 5), (6, 0), (5, 5), (2, 7)]:
        vv = np.arange(mv + 1, dtype="float32")
        got = f(vv, nv, np.int32(mv))
        want = [np.broadcast_to(vv, (nv, len(vv))) * 2, np.arange(nv * mv), np.arange(mv, nv, 2)]
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w)
    assert f.native_shapes.traces >= 1 and f.native_shapes.calls > 0
    with pytest.raises(ValueError, match="negative"):
        f(np.ones(2, "float32"), -1, np.int32(1))


def test_zero_d_empty_and_broadcasting(counted):
    s, r, M = T.dscalar("s"), T.drow("r"), T.dmatrix("M")
    f = mlc.function([s, r, M], [s * 2, r + M, (M * s).sum(axis=0)])
    rng = np.random.default_rng(2)
    for rows, cols in [(2, 3), (0, 3), (4, 0), (0, 0), (1, 1), (5, 2)]:
        rv, Mv = rng.random((1, cols)), rng.random((rows, cols))
        got = f(1.5, rv, Mv)
        for g, w in zip(got, [np.asarray(3.0), rv + Mv, (Mv * 1.5).sum(axis=0)]):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w)
    assert counted.plan == 1 and f.shape_plan.walks == 1  # every later shape from native code
    with pytest.raises(ValueError, match="do not match in dimension 1"):
        f(1.0, np.ones((1, 2)), np.ones((3, 4)))


def test_shapes_that_read_data_keep_the_python_plan():
    x = T.dvector("x")
    f = mlc.function([x], x[T.nonzero(x > 0.5)[0]] * 2)
    for xv in [np.array([0.1, 0.7, 0.9]), np.array([0.6]), np.zeros(4)]:
        np.testing.assert_allclose(f(xv), xv[xv > 0.5] * 2)
    assert f.native_shapes is None or f.native_shapes.traces == 0


def test_reshape_to_symbolic_sizes_is_guarded():
    x = T.dvector("x")
    n = T.lscalar("n")
    f = mlc.function([x, n], x.reshape((n, -1)) + 1)
    for nv, size in [(2, 6), (3, 6), (2, 8), (4, 8), (1, 5), (5, 5), (2, 6)]:
        xv = np.arange(float(size))
        np.testing.assert_allclose(f(xv, nv), xv.reshape((nv, -1)) + 1)
    with pytest.raises(ValueError):
        f(np.arange(5.0), 2)


def test_sym_arithmetic_follows_python():
    """The traced integers agree with Python's ints (floor division and modulo of negatives)."""
    t = Trace()
    for a in [-7, -1, 0, 3, 8]:
        for b in [-3, -1, 2, 5]:
            sa, sb = Sym(t, t.expr("dim", 0, 0), a), Sym(t, t.expr("dim", 0, 1), b)
            assert ((sa // sb).v, (sa % sb).v, (sa - 2 * sb).v, (-sa).v) == (a // b, a % b, a - 2 * b, -a)
            assert bool(sa < sb) == (a < b) and max(sa, sb).v == max(a, b)
    for n in range(4):
        for start in [None, -5, -1, 0, 2, 9]:
            for stop in [None, -4, 0, 1, 3, 10]:
                for step in [None, 1, 2, -1, -3]:
                    assert slice_length(start, stop, step, n) == len(range(*slice(start, stop, step).indices(n)))


# ---------------------------------------------------------------------------
# The native entry (mlc.compile.dispatch)
# ---------------------------------------------------------------------------


def _hot(f, *args):
    from mlc.compile.function import DISPATCH_AFTER_CALLS

    for _ in range(DISPATCH_AFTER_CALLS + 1):
        out = f(*args)
    assert f._dispatch is not None
    return out


def test_native_entry_new_shapes_and_fresh_outputs():
    """(Every argument check through the native entry: test_runtime_perf's fast path test, calls=9.)"""
    x = T.fmatrix("x")
    v = T.frow("v")
    f = mlc.function([x, v], x + v)
    good_x, good_v = np.ones((3, 4), np.float32), np.ones((1, 4), np.float32)
    np.testing.assert_array_equal(_hot(f, good_x, good_v), 2.0)
    # new shapes, empty and one-element ones: natively, fresh outputs each call
    for rows, cols in [(5, 2), (0, 4), (3, 0), (1, 1)]:
        a, b = np.arange(rows * cols, dtype=np.float32).reshape(rows, cols), np.full((1, cols), 2, np.float32)
        out = f(a, b)
        assert out.shape == (rows, cols) and out.dtype == np.float32 and out is not f(a, b)
        np.testing.assert_array_equal(out, a + b)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int8", "bool"])
def test_native_entry_outputs_of_every_rank_and_dtype(dtype):
    import sys

    a = T.tensor(dtype, (False, False), "a")
    s = T.tensor(dtype, (), "s")
    f = mlc.function([a, s], [a * s, (a * s).sum(axis=1), T.cast(a, "float64").sum(), a.T])
    rng = np.random.default_rng(3)
    av = (rng.random((3, 4)) * 5).astype(dtype)
    sv = np.asarray(2 if dtype != "bool" else True, dtype)
    want = [av * sv, (av * sv).sum(axis=1, dtype=None if dtype != "bool" else "int64"), av.astype("float64").sum(),
            av.T]
    got = _hot(f, av, sv)
    for g, w in zip(got, want):
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g, w)
    refs = sys.getrefcount(av), sys.getrefcount(sv), sys.getrefcount(av.dtype)
    for _ in range(200):
        f(av, sv)
    assert (sys.getrefcount(av), sys.getrefcount(sv), sys.getrefcount(av.dtype)) == refs  # nothing leaks


def test_native_entry_large_calls_and_memory_errors():
    x = T.dvector("x")
    f = mlc.function([x], T.exp(x) * 2)
    big = np.linspace(0, 1, 100_000)  # > RELEASE_GIL_BYTES: runs with the GIL released
    np.testing.assert_allclose(_hot(f, big), np.exp(big) * 2)
    n = T.lscalar("n")
    g = mlc.function([n], T.arange(n).sum())
    assert _hot(g, np.asarray(10)) == 45
    with pytest.raises(MemoryError, match="8796093022208 bytes"):
        g(np.asarray(2**40))
    assert g(np.asarray(5)) == 10 and g(7) == 21


def test_index_bounds_are_checked_natively_before_in_place_updates():
    """The NLL step's gather `log(p)[arange(n), y]` and its gradient's scatter: after warm-up their
    bounds checks are one compiled function (no Python rule per call while the index changes); an
    out-of-bounds label then still gets today's message, before the in-place updates run; negative
    labels in [-n, 0) index from the end, as in numpy."""
    from mlc.compile.native_shapes import NATIVE_CHECKS_AFTER

    rng = np.random.default_rng(5)
    data = mlc.shared(rng.random((60, 4)).astype("float32"), "data")
    y0 = rng.integers(-3, 3, 60).astype("int32")
    labels = mlc.shared(y0.copy(), "labels")
    W = mlc.shared(np.zeros((4, 3), "float32"), "W")
    i = T.lscalar("i")
    x, y = T.fmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(x, W))
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    bs = 6
    step = mlc.function([i], nll, updates=[(W, W - np.float32(0.5) * mlc.grad(nll, W))],
                        givens={x: data[i * bs:(i + 1) * bs], y: labels[i * bs:(i + 1) * bs]})
    native = step.native_shapes
    Wn = np.zeros((4, 3), "float32")
    for call, k in enumerate([0, 3, 1, 7, 2, 9, 4, 8, 5, 6, 0, 9, 3, 1, 2, 8, 4, 7, 6, 5]):
        got = step(k)
        xb, yb = data.get_value()[k * bs:(k + 1) * bs], y0[k * bs:(k + 1) * bs]
        a = xb @ Wn
        e = np.exp(a - a.max(axis=1, keepdims=True))
        pb = e / e.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(got, -np.mean(np.log(pb[np.arange(len(yb)), yb])), rtol=1e-5)
        pb[np.arange(len(yb)), yb] -= 1
        Wn = Wn - np.float32(0.5) * xb.T @ pb / len(yb)
    np.testing.assert_allclose(W.get_value(), Wn, rtol=1e-4, atol=1e-6)
    assert native.python_checks == NATIVE_CHECKS_AFTER  # the rules ran until the check was compiled
    for bad in (3, -4):
        y1 = y0.copy()
        y1[15] = bad
        labels.set_value(y1)
        before = W.get_value().copy()
        with pytest.raises(ValueError, match=f"index {bad} is out of bounds for axis 1 with size 3") as info:
            step(2)  # rows 12..17
        assert THIS_FILE in str(info.value)
        np.testing.assert_array_equal(W.get_value(), before)  # nothing was written
    labels.set_value(y0)
    step(2)
    assert native.python_checks == NATIVE_CHECKS_AFTER


def test_index_drawn_by_a_host_op_keeps_python_bounds_checks():
    """An index array drawn by a random stream (a host op, whose second evaluation would draw other
    numbers) is not recomputed by a compiled check: its bounds keep the Python rule on every call."""
    from mlc.tensor.shared_randomstreams import RandomStreams

    x = T.fmatrix("x")
    idx = RandomStreams(7).random_integers((5,), 0, 9)
    f = mlc.function([x], x[idx, T.arange(5)])
    a = np.arange(50, dtype=np.float32).reshape(10, 5)
    for _ in range(12):
        r = f(a)
        assert r.shape == (5,) and (r % 5 == np.arange(5)).all() and (r < 50).all()
    native = f.native_shapes
    assert native is not None and native.python_checks >= 10
    assert all(v is False for v in native._bounds.values())
