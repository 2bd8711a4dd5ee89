"""scan: Theano's loop, in the numpy reference and natively (a loop over a step compiled once).

Every behaviour runs in both modes (`mode` fixture). The cases follow
Theano's loop tutorial (power by iteration, polynomial evaluation,
accumulation, taps, go_backwards, symbolic n_steps, shared-variable updates,
Jacobians with grad inside fn), then errors, gradients through scan
(finite differences), and the partitioned program (vm) itself.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.vm import PartitionedProgram, schedule
from mlc.gradient import verify_grad
from mlc.scan_module import Scan, until


@pytest.fixture(params=["REFERENCE", "FAST_RUN", "python-loop"])
def mode(request):
    """The numpy reference, native code (a scan without host ops is one native loop), and native code
    with every scan run as a Python loop over its compiled step (`native-scan` excluded)."""
    if request.param == "python-loop":
        return mlc.Mode(name="FAST_RUN").excluding("native-scan")
    return request.param


def fn(ins, outs, mode, **kw):
    return mlc.function(ins, outs, mode=mode, **kw)


# ----------------------------------------------------------------------------
# The tutorial's examples
# ----------------------------------------------------------------------------


def test_power_by_iteration(mode):
    k = T.iscalar("k")
    A = T.dvector("A")
    result, updates = mlc.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A,
                               n_steps=k)
    assert not updates
    power = fn([A, k], result[-1], mode, updates=updates)
    np.testing.assert_allclose(power(np.arange(10.0), 2), np.arange(10.0) ** 2)
    all_steps = fn([A, k], result, mode)
    np.testing.assert_allclose(all_steps(np.arange(4.0), 3), [np.arange(4.0) ** p for p in (1, 2, 3)])


def test_polynomial_with_sequences_and_arange(mode):
    coefficients = T.dvector("coefficients")
    x = T.dscalar("x")
    components, _ = mlc.scan(lambda c, power, x: c * (x ** power), outputs_info=None,
                             sequences=[coefficients, T.arange(1000)], non_sequences=x)
    poly = fn([coefficients, x], components.sum(), mode)
    assert poly(np.asarray([1, 0, 2], dtype="float64"), 3) == 19.0  # the shortest sequence decides


def test_accumulation_widens_an_integer_initial_value(mode):
    v = T.fvector("v")
    # outputs_info=0 is an int8 constant; fn returns float32: the state becomes float32
    total, _ = mlc.scan(lambda x, acc: acc + x, sequences=v, outputs_info=0)
    f = fn([v], total, mode)
    out = f(np.asarray([1.5, 2, 3], dtype="float32"))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [1.5, 3.5, 6.5])


def test_taps_on_sequences_and_outputs(mode):
    s = T.dvector("s")
    second_diff, _ = mlc.scan(lambda a, b, c: a - 2 * b + c, sequences=dict(input=s, taps=[-1, 0, 1]))
    x = np.arange(6.0) ** 3
    np.testing.assert_allclose(fn([s], second_diff, mode)(x), x[:-2] - 2 * x[1:-1] + x[2:])

    f0 = T.dvector("f0")
    n = T.iscalar("n")
    fib, _ = mlc.scan(lambda a, b: a + b, outputs_info=dict(initial=f0, taps=[-2, -1]), n_steps=n)
    f = fn([f0, n], fib, mode)
    np.testing.assert_allclose(f([0, 1], 8), [1, 2, 3, 5, 8, 13, 21, 34])
    np.testing.assert_allclose(f([5, 0, 1], 2), [5, 5])  # taps use the first -min(taps) rows
    assert f([0, 1], 0).shape == (0,)


def test_go_backwards(mode):
    s = T.dvector("s")
    out, _ = mlc.scan(lambda a, acc: acc + a, sequences=s, outputs_info=np.float64(0), go_backwards=True)
    np.testing.assert_allclose(fn([s], out, mode)(np.arange(4.0)), np.cumsum(np.arange(4.0)[::-1]))
    n = T.iscalar("n")  # with fewer steps than rows, going backwards starts at row n-1 (Theano)
    out, _ = mlc.scan(lambda a: a * 10, sequences=s, n_steps=n, go_backwards=True)
    np.testing.assert_allclose(fn([s, n], out, mode)(np.arange(5.0), 3), [20, 10, 0])


def test_symbolic_n_steps_and_zero_steps(mode):
    n = T.lscalar("n")
    x0 = T.dvector("x0")
    out, _ = mlc.scan(lambda x: x * 2, outputs_info=x0, n_steps=n)
    mapped, _ = mlc.scan(lambda x: x.sum(), sequences=T.ones((n, 3)))
    f = fn([x0, n], [out, mapped], mode)
    a, b = f([1.0, 2.0], 3)
    np.testing.assert_allclose(a, [[2, 4], [4, 8], [8, 16]])
    np.testing.assert_allclose(b, [3, 3, 3])
    a, b = f([1.0, 2.0], 0)
    assert a.shape == (0, 2) and b.shape == (0,)


def test_shared_variable_updates_from_fn(mode):
    k = mlc.shared(np.int64(0), "k")
    n = T.iscalar("n")
    out, updates = mlc.scan(lambda: {k: k + 1}, n_steps=n)
    assert out is None and list(updates) == [k]
    count = fn([n], [], mode, updates=updates)
    count(5)
    count(2)
    assert k.get_value() == 7

    # a random walk whose position is a shared state: fn returns (outputs, updates)
    pos = mlc.shared(np.zeros(2), "pos")
    steps = T.dmatrix("steps")
    visited, updates = mlc.scan(lambda s: (pos + s, OrderedDict([(pos, pos + s)])), sequences=steps)
    walk = fn([steps], visited, mode, updates=updates)
    moves = np.asarray([[1.0, 0], [0, 1], [-2, 0.5]])
    np.testing.assert_allclose(walk(moves), np.cumsum(moves, axis=0))
    np.testing.assert_allclose(pos.get_value(), moves.sum(0))
    np.testing.assert_allclose(walk(moves)[0], moves.sum(0) + moves[0])  # it continues from there


def test_shared_variables_and_outer_variables_are_implicit_non_sequences(mode):
    W = mlc.shared(np.asarray([[1.0, 2.0], [3.0, 4.0]]), "W")
    b = T.dvector("b")
    X = T.dmatrix("X")
    out, _ = mlc.scan(lambda x: T.dot(x, W) + b, sequences=X)
    f = fn([X, b], out, mode)
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(f(x, [1.0, -1.0]), x @ W.get_value() + [1.0, -1.0])
    node = out.owner
    assert isinstance(node.op, Scan) and W in node.inputs and b in node.inputs


def test_several_outputs_and_return_forms(mode):
    s = T.dvector("s")
    (acc, sq), _ = mlc.scan(lambda x, a: [a + x, x ** 2], sequences=s, outputs_info=[np.float64(0), None])
    a, q = fn([s], [acc, sq], mode)(np.arange(4.0))
    np.testing.assert_allclose(a, [0, 1, 3, 6])
    np.testing.assert_allclose(q, [0, 1, 4, 9])
    one, _ = mlc.scan(lambda x: x + 1, sequences=s, return_list=True)
    assert isinstance(one, list) and len(one) == 1


def test_until_stops_the_loop(mode):
    out, _ = mlc.scan(lambda prev: (prev * 2, until(prev * 2 > 40)), outputs_info=np.float64(1), n_steps=100)
    np.testing.assert_allclose(fn([], out, mode)(), [2, 4, 8, 16, 32, 64])


def test_map_reduce_foldl_foldr(mode):
    s = T.dvector("s")
    sq, _ = mlc.map(lambda v: v ** 2, sequences=s)
    total, _ = mlc.reduce(lambda v, acc: acc + v, sequences=s, outputs_info=np.float64(0))
    left, _ = mlc.foldl(lambda v, acc: acc * 10 + v, sequences=s, outputs_info=np.float64(0))
    right, _ = mlc.foldr(lambda v, acc: acc * 10 + v, sequences=s, outputs_info=np.float64(0))
    assert total.ndim == 0
    sq, total, left, right = fn([s], [sq, total, left, right], mode)(np.arange(4.0))
    np.testing.assert_allclose(sq, [0, 1, 4, 9])
    assert (total, left, right) == (6, 123, 3210)


def test_nested_scan(mode):
    M = T.dmatrix("M")

    def row_sum(row):
        sums, _ = mlc.scan(lambda v, acc: acc + v, sequences=row, outputs_info=np.float64(0))
        return sums[-1]

    out, _ = mlc.scan(row_sum, sequences=M)
    np.testing.assert_allclose(fn([M], out, mode)(np.arange(6.0).reshape(2, 3)), [3, 12])


def test_jacobian_and_hessian_with_grad_inside_fn(mode):
    x = T.dvector("x")
    y = T.tanh(x) * x.sum()
    J, updates = mlc.scan(lambda i, y, x: mlc.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    H, _ = mlc.scan(lambda i: mlc.grad(mlc.grad(y.sum(), x)[i], x), sequences=T.arange(x.shape[0]))
    f = fn([x], [J, H, mlc.gradient.jacobian(y, x), mlc.gradient.hessian(y.sum(), x)], mode, updates=updates)
    j, h, j_ref, h_ref = f([0.3, -0.2, 0.9])
    np.testing.assert_allclose(j, j_ref)
    np.testing.assert_allclose(h, h_ref, atol=1e-12)


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------


def test_sequence_shorter_than_n_steps_names_the_line(mode):
    s = T.dvector("s")
    n = T.iscalar("n")
    out, _ = mlc.scan(lambda a: a + 1, sequences=s, n_steps=n)
    f = fn([s, n], out, mode)
    with pytest.raises(ValueError, match=r"sequence s has 3 entries .*fewer than the 5 steps.*test_scan.py"):
        f(np.zeros(3), 5)
    with pytest.raises(ValueError, match="n_steps must be >= 0, got -1"):
        f(np.zeros(3), -1)


def test_initial_state_shape_must_match_what_fn_returns(mode):
    x0 = T.dvector("x0")
    W = T.dmatrix("W")
    out, _ = mlc.scan(lambda h: T.dot(h, W), outputs_info=x0, n_steps=2)
    f = fn([x0, W], out, mode)
    with pytest.raises(ValueError, match=r"fn returns shape \(3,\) for output 0, but its state .*x0.* has shape "
                                         r"\(2,\)"):
        f(np.zeros(2), np.zeros((2, 3)))
    taps, _ = mlc.scan(lambda a, b: a + b, outputs_info=dict(initial=x0, taps=[-3, -1]), n_steps=2)
    with pytest.raises(ValueError, match=r"taps \[-3, -1\] needs at least 3 entries"):
        fn([x0], taps, mode)(np.zeros(2))


def test_build_time_errors():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="no information about the number of steps"):
        mlc.scan(lambda: x)
    with pytest.raises(TypeError, match="fn returns a 1-d value for output 0.*they must have the same rank"):
        mlc.scan(lambda h: T.stack([h, h]), outputs_info=T.dscalar("h0"), n_steps=2)
    with pytest.raises(TypeError, match="fn returns dtype int64 for output 0.*cast"):
        mlc.scan(lambda h: T.cast(h, "int64"), outputs_info=x, n_steps=2)
    with pytest.raises(ValueError, match="fn returned 2 outputs, but outputs_info has 1"):
        mlc.scan(lambda a: [a, a], sequences=x, outputs_info=[None])
    with pytest.raises(ValueError, match="taps must be negative"):
        mlc.scan(lambda a: a, outputs_info=dict(initial=x, taps=[1]), n_steps=2)
    with pytest.raises(TypeError, match="is a scalar; a sequence needs an axis"):
        mlc.scan(lambda a: a, sequences=T.dscalar())
    with pytest.raises(TypeError, match="fn must return"):
        mlc.scan(lambda a: "nope", sequences=x)
    W = mlc.shared(np.zeros(2), "W")
    with pytest.raises(ValueError, match="strict=True.*shared variable W"):
        mlc.scan(lambda a: a + W, sequences=x, strict=True)


# ----------------------------------------------------------------------------
# Gradients through scan
# ----------------------------------------------------------------------------


def test_grad_through_a_recurrence(mode):
    rng = np.random.default_rng(0)

    def rnn(x, h0, W, U):
        out, _ = mlc.scan(lambda xt, h, W, U: T.tanh(T.dot(h, W) + T.dot(xt, U)), sequences=x, outputs_info=h0,
                          non_sequences=[W, U])
        return (out ** 2).sum()

    verify_grad(rnn, [rng.normal(size=(4, 3)), rng.normal(size=2), rng.normal(size=(2, 2)),
                      rng.normal(size=(3, 2))], rng=rng, mode=mode)


def test_grad_through_taps_go_backwards_and_reduce(mode):
    rng = np.random.default_rng(1)

    def taps(x0, a):
        out, _ = mlc.scan(lambda p2, p1, a: a * p2 + T.sin(p1), outputs_info=dict(initial=x0, taps=[-2, -1]),
                          non_sequences=a, n_steps=4)
        return out.sum() + (out[-1] ** 2).sum()

    def seq_taps(x, c):
        (acc, prod), _ = mlc.scan(lambda a, b, acc, c: [acc * c + a * b, a * b],
                                  sequences=dict(input=x, taps=[-1, 1]), outputs_info=[np.float64(0), None],
                                  non_sequences=c, go_backwards=True)
        return acc.sum() + (prod ** 3).sum()

    def folded(x, w):
        total, _ = mlc.reduce(lambda v, acc, w: acc * w + v ** 2, sequences=x, outputs_info=T.zeros_like(x[0]),
                              non_sequences=w)
        return total.sum()

    verify_grad(taps, [rng.normal(size=(3, 2)), rng.normal(size=2)], rng=rng, mode=mode)
    verify_grad(seq_taps, [rng.normal(size=6), rng.normal()], rng=rng, mode=mode)
    verify_grad(folded, [rng.normal(size=(4, 2)), rng.normal(size=2)], rng=rng, mode=mode)


def test_truncated_gradient(mode):
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    out, _ = mlc.scan(lambda xt, h: h * 0.5 + xt, sequences=x, outputs_info=h0, truncate_gradient=2)
    gx, gh = fn([x, h0], mlc.grad(out[-1], [x, h0]), mode)(np.ones(5), 1.0)
    np.testing.assert_allclose(gx, [0, 0, 0, 0.5, 1])
    assert gh == 0


def test_hessian_through_scan_batches_the_loop(mode):
    x = T.dvector("x")
    out, _ = mlc.scan(lambda xt, h: h * xt + T.sin(xt), sequences=x, outputs_info=np.float64(1.0))
    cost = out[-1]
    g = mlc.grad(cost, x)
    by_scan, _ = mlc.scan(lambda i: mlc.grad(g[i], x), sequences=T.arange(x.shape[0]))
    h, h_scan = fn([x], [mlc.gradient.hessian(cost, x), by_scan], mode)([0.3, 0.5, 0.9])
    np.testing.assert_allclose(h, h_scan)
    np.testing.assert_allclose(h, h.T)


# ----------------------------------------------------------------------------
# The partitioned program
# ----------------------------------------------------------------------------


@mlc.config.change_flags(optimizer_excluding="native-scan")  # the Python loop (a host node)
def test_partitioned_program_segments_and_dump():
    k = T.iscalar("k")
    A = T.dvector("A")
    result, _ = mlc.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    f = mlc.function([A, k], [result[-1] * 2, A + 1], mode="FAST_RUN")
    assert isinstance(f.program, PartitionedProgram)
    kinds = [kind for kind, _ in schedule(f.fgraph.nodes)]
    assert kinds == ["native", "host", "native"]
    text = f.dump_ir("mt")
    assert "runs in 3 steps" in text and "step 1: host node Scan" in text and "mt.mul" in text
    assert "llvm.func" in f.dump_ir("llvm")
    out, a1 = f(np.asarray([1.0, 2.0]), 3)
    np.testing.assert_allclose(out, [2, 16])
    np.testing.assert_allclose(a1, [2, 3])
    text = mlc.printing.debugprint(f, file="str")
    assert "Inner graphs:" in text and " >Elemwise{mul" in text


def test_results_are_fresh_arrays():
    s = T.dvector("s")
    out, _ = mlc.scan(lambda a: a, sequences=s)
    f = mlc.function([s], [out, out, s], mode="FAST_RUN")
    x = np.arange(3.0)
    a, b, c = f(x)
    assert not np.shares_memory(a, b) and not np.shares_memory(c, x)
    a[0] = 7
    np.testing.assert_allclose(b, x)


def test_theano_names(tmp_path):
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano
        import theano.tensor as tt

        assert theano.scan is mlc.scan and theano.scan_module.scan is mlc.scan
        assert theano.scan_module.until is until and theano.map is mlc.map
        v = tt.dvector("v")
        out, updates = theano.scan(lambda x: x * 2, sequences=v)
        assert isinstance(updates, theano.updates.OrderedUpdates)
    finally:
        compat.uninstall()


# ----------------------------------------------------------------------------
# The native loop
# ----------------------------------------------------------------------------


def _host_nodes(f):
    return [n for n in f.fgraph.nodes if n.op.host]


def test_a_scan_without_host_ops_is_one_native_loop():
    x = T.fvector("x")
    hs, _ = mlc.scan(lambda x_t, h: 0.5 * h + x_t, sequences=x, outputs_info=T.constant(np.float32(0)))
    f = mlc.function([x], hs)
    assert not _host_nodes(f)
    mt_ir, loops = f.dump_ir("mt"), f.dump_ir("loops")
    assert mt_ir.count("scf.for") == 1 and "tensor.insert_slice" in mt_ir
    # one loop, no iter_args left: the state and the output rows live in buffers, written in place
    assert "iter_args" not in loops and "memref.store" in loops
    xv = np.random.default_rng(0).standard_normal(50).astype("float32")
    want, h = [], np.float32(0)
    for v in xv:
        h = np.float32(0.5) * h + v
        want.append(h)
    np.testing.assert_allclose(f(xv), want, rtol=1e-6)
    assert f(xv[:0]).shape == (0,)


def test_native_loop_and_python_loop_agree_on_an_rnn():
    rng = np.random.default_rng(1)
    x, h0, W, U = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("W"), T.dmatrix("U")
    hs, _ = mlc.scan(lambda x_t, h, W, U: T.tanh(T.dot(h, W) + T.dot(x_t, U)), sequences=x, outputs_info=h0,
                     non_sequences=[W, U])
    cost = (hs ** 2).sum()
    outs = [hs, *mlc.grad(cost, [W, U, h0, x])]
    native = mlc.function([x, h0, W, U], outs)
    python = mlc.function([x, h0, W, U], outs, mode=mlc.Mode(name="FAST_RUN").excluding("native-scan"))
    assert not _host_nodes(native)  # the backward (BPTT) scan is native too
    args = [rng.standard_normal((6, 3, 4)), rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((4, 4)),
            0.5 * rng.standard_normal((4, 4))]
    for a, b in zip(native(*args), python(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_native_bptt_matches_finite_differences():
    rng = np.random.default_rng(2)

    def rnn(x, W):
        hs, _ = mlc.scan(lambda x_t, h_tm2, h_tm1, W: T.tanh(T.dot(h_tm1, W) + x_t) + 0.5 * h_tm2,
                         sequences=x, outputs_info=[dict(initial=T.zeros((2, 3), dtype="float64"), taps=[-2, -1])],
                         non_sequences=W)
        return hs

    verify_grad(rnn, [rng.standard_normal((5, 3)), 0.5 * rng.standard_normal((3, 3))], rng=rng, mode="FAST_RUN")


def test_an_until_scan_is_a_host_node_running_one_native_loop():
    """Its rows are known only after it ran (test_scan_until.py has the rest)."""
    x = T.dvector("x")
    out, _ = mlc.scan(lambda v: (v * 2, until(v > 2)), sequences=x)
    f = mlc.function([x], out)
    assert [str(n.op) for n in _host_nodes(f)] == ["Scan"]
    np.testing.assert_allclose(f(np.arange(6.0)), [0, 2, 4, 6])
    from mlc.scan_module.native import native_reason

    assert native_reason(_host_nodes(f)[0].op) is None
    assert "scf.while" in f.dump_ir("mt")


@pytest.mark.parametrize("dtype", ["uint8", "int32", "bool"])
def test_native_loop_on_integer_and_bool_states(dtype):
    x = T.vector("x", dtype=dtype)
    if dtype == "bool":
        step = lambda v, acc: T.xor(acc, v)  # noqa: E731
        init = np.asarray(False)
    else:
        step = lambda v, acc: acc + v  # noqa: E731
        init = np.asarray(0, dtype=dtype)
    out, _ = mlc.scan(step, sequences=x, outputs_info=T.constant(init))
    f = mlc.function([x], out)
    assert not _host_nodes(f)
    xv = (np.arange(7) % 2).astype(dtype) if dtype == "bool" else np.asarray([250, 3, 4, 1, 0, 7, 9], dtype=dtype)
    want = np.logical_xor.accumulate(xv) if dtype == "bool" else np.cumsum(xv, dtype=dtype)
    got = f(xv)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
