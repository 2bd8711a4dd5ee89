"""scan with `until` (Theano's as_while): a native `scf.while` loop that counts its steps.

Every case runs three ways (`mode` fixture: the numpy reference, native
code, native code with every scan run as a Python loop) against a plain
numpy loop: the step where the condition becomes true is included, n_steps
is the upper bound, and the outputs have one row per step taken. Also:
the function's shape rules never run the loop (the rows are known only
after it), outputs used downstream, gradients (Theano's rule: zero for the
rows the loop did not reach) against finite differences, and the IR.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad
from mlc.scan_module import Scan, until


@pytest.fixture(params=["REFERENCE", "FAST_RUN", "python-loop"])
def mode(request):
    if request.param == "python-loop":
        return mlc.Mode(name="FAST_RUN").excluding("native-scan")
    return request.param


def _until_nodes(f):
    return [n for n in f.fgraph.nodes if isinstance(n.op, Scan) and n.op.until]


def test_stops_after_the_step_where_the_condition_becomes_true(mode):
    x0 = T.dscalar("x0")
    n = T.iscalar("n")
    out, _ = mlc.scan(lambda prev: (prev * 2, until(prev * 2 > 40)), outputs_info=x0, n_steps=n)
    f = mlc.function([x0, n], out, mode=mode)

    def numpy_loop(x, steps):
        rows = []
        for _ in range(steps):
            x = x * 2
            rows.append(x)
            if x > 40:
                break
        return np.asarray(rows, dtype="float64")

    for x, steps in ((1.0, 100), (1.0, 3), (50.0, 10), (1.0, 0), (-1.0, 7), (20.5, 1)):
        got = f(x, steps)
        want = numpy_loop(x, steps)
        assert got.shape == want.shape and got.dtype == np.float64, (x, steps, got)
        np.testing.assert_array_equal(got, want)


def test_sequences_mapped_outputs_and_taps(mode):
    """Fibonacci-like taps [-2, -1], a mapped output and a sequence; stop once the sum passes a bound."""
    x = T.dvector("x")
    bound = T.dscalar("bound")
    init = T.dvector("init")

    def step(x_t, a, b, bound):
        c = a + b + x_t
        return [c, c * x_t], until(c > bound)

    (fib, prod), _ = mlc.scan(step, sequences=x, outputs_info=[dict(initial=init, taps=[-2, -1]), None],
                              non_sequences=bound)
    f = mlc.function([x, init, bound], [fib, prod, fib.sum(), fib.shape[0]], mode=mode)

    def numpy_loop(xv, iv, bv):
        a, b = iv
        fibs, prods = [], []
        for x_t in xv:
            c = a + b + x_t
            fibs.append(c)
            prods.append(c * x_t)
            a, b = b, c
            if c > bv:
                break
        return np.asarray(fibs), np.asarray(prods)

    rng = np.random.default_rng(0)
    xv = rng.uniform(0, 1, size=12)
    for bv in (-10.0, 5.0, 30.0, 1e9):
        fb, pr, total, count = f(xv, np.asarray([1.0, 1.0]), bv)
        wf, wp = numpy_loop(xv, (1.0, 1.0), bv)
        np.testing.assert_allclose(fb, wf, rtol=1e-12)
        np.testing.assert_allclose(pr, wp, rtol=1e-12)
        np.testing.assert_allclose(total, wf.sum(), rtol=1e-12)
        assert count == len(wf)


def test_go_backwards_matrix_state_and_last_value_only(mode):
    """Rows of a matrix state, read from the end of the sequence; foldr-style keep-last output too."""
    xs = T.dtensor3("xs")
    h0 = T.dmatrix("h0")

    def step(x_t, h):
        new = T.tanh(h + x_t)
        return new, until(new.sum() > 2.0)

    hs, _ = mlc.scan(step, sequences=xs, outputs_info=h0, go_backwards=True)
    last, _ = mlc.scan(step, sequences=xs, outputs_info=h0, go_backwards=True, _keep_last=True)
    f = mlc.function([xs, h0], [hs, last], mode=mode)

    def numpy_loop(xv, h):
        rows = []
        for x_t in xv[::-1]:
            h = np.tanh(h + x_t)
            rows.append(h)
            if h.sum() > 2.0:
                break
        return np.asarray(rows).reshape(-1, *h.shape), h

    rng = np.random.default_rng(1)
    for scale in (0.1, 1.0):
        xv = scale * rng.standard_normal((7, 2, 3))
        h0v = np.zeros((2, 3))
        got, got_last = f(xv, h0v)
        want, want_last = numpy_loop(xv, h0v)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_allclose(got_last, want_last, rtol=1e-12)


def test_float32_state_and_integer_counter(mode):
    """Two states, one int64: count up until the float32 state passes 1."""
    v0 = T.fscalar("v0")

    def step(v, k):
        return [v * np.float32(1.5), k + 1], until(v * np.float32(1.5) > 1)

    (v, k), _ = mlc.scan(step, outputs_info=[v0, T.constant(np.int64(0))], n_steps=50)
    f = mlc.function([v0], [v, k], mode=mode)
    got_v, got_k = f(np.float32(0.1))
    want = [np.float32(0.1)]
    while len(want) < 51:
        want.append(np.float32(want[-1] * np.float32(1.5)))
        if want[-1] > 1:
            break
    want = np.asarray(want[1:], dtype="float32")
    assert got_v.dtype == np.float32 and got_k.dtype == np.int64
    np.testing.assert_array_equal(got_v, want)
    np.testing.assert_array_equal(got_k, np.arange(1, len(want) + 1))


def test_shape_rules_do_not_run_the_loop():
    """The function's shapes are computed without running the step: the rows are known only after."""
    x0 = T.dscalar("x0")
    out, _ = mlc.scan(lambda p: (p + 1, until(p + 1 >= 5)), outputs_info=x0, n_steps=1000)
    f = mlc.function([x0], out)
    (node,) = _until_nodes(f)
    arrays = [np.asarray(0.0)]
    assert f.shape_plan.result_shapes(arrays) == [None]  # no step ran to learn it
    program = node.op._programs
    assert any(mode.startswith("until:") for mode, _ in program)  # the native loop ...
    assert not any(mode == "REFERENCE" for mode, _ in program)  # ... and no Python step program
    np.testing.assert_array_equal(f(0.0), [1, 2, 3, 4, 5])


def test_native_loop_is_one_scf_while():
    x = T.fvector("x")
    out, _ = mlc.scan(lambda v, acc: (acc + v, until(acc + v > 3)), sequences=x,
                      outputs_info=T.constant(np.float32(0)))
    f = mlc.function([x], out)
    mt_ir = f.dump_ir("mt")
    assert "scf.while" in mt_ir and "scf.condition" in mt_ir
    llvm_ir = "\n".join(line for line in f.dump_ir("llvm").splitlines() if not line.startswith("//"))
    assert "scf." not in llvm_ir and "llvm.cond_br" in llvm_ir
    np.testing.assert_array_equal(f(np.ones(10, dtype="float32")), [1, 2, 3, 4])


def test_until_scan_inside_a_python_loop_scan(mode):
    """An until-scan in the step of another scan (which then loops in Python over its compiled step)."""
    xs = T.dmatrix("xs")

    def outer(row):
        inner, _ = mlc.scan(lambda v, acc: (acc + v, until(acc + v > 1.0)), sequences=row,
                            outputs_info=np.float64(0))
        return inner[-1]

    out, _ = mlc.scan(outer, sequences=xs)
    f = mlc.function([xs], out, mode=mode)
    xv = np.abs(np.random.default_rng(2).standard_normal((4, 6)))
    want = []
    for row in xv:
        acc = 0.0
        for v in row:
            acc += v
            if acc > 1.0:
                break
        want.append(acc)
    np.testing.assert_allclose(f(xv), want, rtol=1e-12)


def test_gradient_follows_theano_zero_beyond_the_steps_taken(mode):
    """h = tanh(W h + x_t) until a flag sequence says stop: d/dx is zero on the rows not reached."""
    x = T.dmatrix("x")
    flags = T.lvector("flags")
    W = T.dmatrix("W")
    h0 = T.dvector("h0")
    hs, _ = mlc.scan(lambda x_t, f_t, h, W: (T.tanh(T.dot(W, h) + x_t), until(T.eq(f_t, 1))),
                     sequences=[x, flags], outputs_info=h0, non_sequences=W)
    cost = (hs ** 2).sum()
    f = mlc.function([x, flags, W, h0], [cost, *mlc.grad(cost, [x, W, h0])], mode=mode)
    rng = np.random.default_rng(3)
    xv, Wv, h0v = rng.standard_normal((6, 3)), 0.5 * rng.standard_normal((3, 3)), rng.standard_normal(3)
    fv = np.asarray([0, 0, 1, 0, 1, 0])

    def numpy_cost(xv, Wv, h0v):
        h, total = h0v, 0.0
        for x_t, f_t in zip(xv, fv):
            h = np.tanh(Wv @ h + x_t)
            total += (h ** 2).sum()
            if f_t == 1:
                break
        return total

    c, gx, gW, gh = f(xv, fv, Wv, h0v)
    np.testing.assert_allclose(c, numpy_cost(xv, Wv, h0v), rtol=1e-12)
    assert np.all(gx[3:] == 0) and np.any(gx[:3] != 0)
    eps = 1e-6
    for got, arg in ((gx, 0), (gW, 1), (gh, 2)):
        args = [xv, Wv, h0v]
        num = np.zeros_like(args[arg])
        for i in np.ndindex(num.shape):
            hi = [a.copy() for a in args]
            lo = [a.copy() for a in args]
            hi[arg][i] += eps
            lo[arg][i] -= eps
            num[i] = (numpy_cost(*hi) - numpy_cost(*lo)) / (2 * eps)
        np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)


def test_gradient_go_backwards_and_last_value_vs_finite_differences():
    rng = np.random.default_rng(4)

    def loop(x, w):
        out, _ = mlc.scan(lambda x_t, h, w: (T.sin(h * w + x_t), until(T.abs(x_t) > 10)),
                          sequences=x, outputs_info=T.constant(0.5), non_sequences=w, go_backwards=True,
                          _keep_last=True)
        return out

    xv = rng.uniform(-1, 1, size=7)
    xv[2] = 50.0  # going backwards the loop stops at row 2 (the fifth step)
    verify_grad(loop, [xv, np.asarray(0.7)], rng=rng, mode="FAST_RUN")
