"""Theano's memory contract of compiled functions: Out(borrow=), In(borrow=, mutable=), output_subset."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc import In, Out


def _aliases(r, *others) -> bool:
    return any(np.may_share_memory(r, o) for o in others)


def test_out_borrow_reuses_the_output_buffer_and_keeps_values_right():
    x = T.dvector("x")
    f = mlc.function([x], Out(2 * x + 1, borrow=True))
    a = np.arange(4.0)
    r1 = f(a)
    np.testing.assert_array_equal(r1, 2 * a + 1)
    r2 = f(a + 10)
    np.testing.assert_array_equal(r2, 2 * (a + 10) + 1)
    # the second call wrote into the array the first returned (Theano: "may overwrite old return values")
    assert r2 is r1
    np.testing.assert_array_equal(r1, 2 * (a + 10) + 1)
    # another shape: its own buffer; the first shape's buffer is reused again later
    r3 = f(np.ones(2))
    np.testing.assert_array_equal(r3, [3.0, 3.0])
    assert r3 is not r1
    assert f(a) is r1
    # the buffer (or a view of it) passed back as the argument: fresh output, argument untouched
    before = r1.copy()
    r4 = f(r1)
    np.testing.assert_array_equal(r4, 2 * before + 1)
    np.testing.assert_array_equal(r1, before)
    assert not _aliases(r4, r1)
    r5 = f(r4[:])
    np.testing.assert_array_equal(r5, 2 * (2 * before + 1) + 1)
    assert not _aliases(r5, r4)


def test_out_borrow_per_output_and_with_shared_updates():
    x = T.dmatrix("x")
    s = mlc.shared(np.zeros((2, 3)), "s")
    f = mlc.function([x], [Out(x * 2, borrow=True), x.sum(axis=0), Out(T.exp(x), borrow=False)],
                     updates=[(s, s + x)])
    m = np.arange(6.0).reshape(2, 3)
    a1, b1, c1 = f(m)
    a2, b2, c2 = f(m + 1)
    assert a2 is a1  # borrowed: reused
    assert b2 is not b1 and c2 is not c1  # not borrowed: fresh each call
    np.testing.assert_array_equal(b1, m.sum(axis=0))
    np.testing.assert_allclose(c1, np.exp(m))
    np.testing.assert_array_equal(a1, (m + 1) * 2)
    np.testing.assert_array_equal(s.get_value(), 2 * m + 1)
    assert not _aliases(a1, s.get_value(borrow=True), m)
    # a shared value set (borrowed) to the output buffer: the call must not write through it
    s.set_value(a1, borrow=True)
    a3, _, _ = f(m)
    assert not _aliases(a3, a1)
    np.testing.assert_array_equal(s.get_value(), (m + 1) * 2 + m)


@pytest.mark.parametrize("borrow", [False, True])
def test_results_not_borrowed_are_never_aliased(borrow):
    """Theano's insert_deepcopy: an output is no input, no shared value, no other output."""
    x = T.dvector("x")
    s = mlc.shared(np.arange(3.0), "s")
    a = np.arange(3.0)
    cases = [([In(x, borrow=borrow)], x), ([In(x, borrow=borrow)], [x * 2, x * 2]), ([], s),
             ([], s + 1), ([In(x, borrow=borrow)], x.reshape((3,)))]
    for ins, outs in cases:
        f = mlc.function(ins, outs, updates=[(s, s + 1)] if outs is not s else None)
        for _ in range(3):
            r = f(a) if ins else f()
            rs = r if isinstance(r, list) else [r]
            for k, q in enumerate(rs):
                assert not _aliases(q, a, s.get_value(borrow=True)), (ins, outs)
                assert not any(_aliases(q, o) for o in rs[k + 1:])
        np.testing.assert_array_equal(a, np.arange(3.0))


def test_output_subset():
    x = T.dvector("x")
    f = mlc.function([x], [x + 1, x * 2, x.sum()])
    a = np.arange(3.0)
    got = f(a, output_subset=[2, 0])
    assert isinstance(got, list) and len(got) == 2
    np.testing.assert_array_equal(got[0], 3.0)
    np.testing.assert_array_equal(got[1], a + 1)
    single = mlc.function([x], x * 3)
    got = single(a, output_subset=[0])
    assert isinstance(got, list)
    np.testing.assert_array_equal(got[0], a * 3)
    # updates always run, whatever the subset
    s = mlc.shared(0.0, "s")
    g = mlc.function([x], [x + s, x - s], updates=[(s, s + 1)])
    g(a, output_subset=[1])
    assert s.get_value() == 1.0
    with pytest.raises(TypeError, match="output_subset"):
        f(a, output_subset=[3])


def test_inputs_are_never_modified_without_mutable():
    x, y = T.dvector("x"), T.dvector("y")
    s = mlc.shared(np.zeros(3), "s")
    f = mlc.function([x, In(y, borrow=True)], [T.exp(x) * 2 + y, (x * y).sum()], updates=[(s, s + x)])
    a, b = np.arange(3.0), np.ones(3)
    for args in [(a, b), (a, a), (a, a[::-1].copy())]:
        kept = [v.copy() for v in args]
        for _ in range(3):  # the full path, then the fast path
            f(*args)
        for v, k in zip(args, kept):
            np.testing.assert_array_equal(v, k)
    np.testing.assert_array_equal(s.get_value(), 9 * a)


def test_mutable_input_receives_an_output_and_values_stay_right():
    x, y = T.dvector("x"), T.dvector("y")
    f = mlc.function([In(x, mutable=True), y], T.exp(x) * 2 + y)
    assert "memref.alloc" not in f.dump_ir("loops")  # written straight into x's storage
    b = np.ones(3)
    for _ in range(3):
        a = np.arange(3.0)
        r = f(a, b)
        np.testing.assert_allclose(r, np.exp(np.arange(3.0)) * 2 + 1)
        assert r is a  # Theano: the input may be destroyed (here: it holds the output)
    np.testing.assert_array_equal(b, np.ones(3))
    # an argument that cannot take it: converted (a list, another dtype) or read-only
    got = f([0.0, 1.0, 2.0], b)
    np.testing.assert_allclose(got, np.exp(np.arange(3.0)) * 2 + 1)
    ro = np.arange(3.0)
    ro.flags.writeable = False
    for _ in range(2):
        got = f(ro, b)
        np.testing.assert_allclose(got, np.exp(np.arange(3.0)) * 2 + 1)
        assert not _aliases(got, ro)
    np.testing.assert_array_equal(ro, np.arange(3.0))


def test_mutable_input_read_by_other_outputs():
    """An output goes into a mutable argument only when nothing else reads the argument (another
    reader may come after the write); the values are right either way."""
    x, y = T.dvector("x"), T.dvector("y")
    f = mlc.function([In(x, mutable=True)], [x * 3, x.sum(), x + 1])
    assert "mlc.inplace" not in f.dump_ir("loops")
    for _ in range(3):
        a = np.arange(4.0)
        r, total, plus = f(a)
        np.testing.assert_array_equal(r, np.arange(4.0) * 3)
        np.testing.assert_array_equal(total, 6.0)
        np.testing.assert_array_equal(plus, np.arange(4.0) + 1)
        assert not _aliases(plus, r) and not _aliases(r, a)
    # y is read by its own output only: that output goes into y (x, read twice, gets none)
    g = mlc.function([In(x, mutable=True), In(y, mutable=True)], [T.exp(x) * y, x.sum()])
    for _ in range(3):
        a, b = np.arange(3.0), np.ones(3)
        prod, total = g(a, b)
        assert prod is b
        np.testing.assert_allclose(prod, np.exp(np.arange(3.0)))
        np.testing.assert_array_equal(total, 3.0)


def test_mutable_inputs_aliased_to_other_arguments_are_copied_first():
    """Theano copies every argument but the first of a group sharing memory when one is mutable."""
    x, z = T.dvector("x"), T.dvector("z")
    s = mlc.shared(np.arange(3.0), "s")
    f = mlc.function([In(x, mutable=True), z], x * 2 + z + s)
    for _ in range(3):
        a = np.arange(3.0)
        r = f(a, a)
        np.testing.assert_array_equal(r, np.arange(3.0) * 3 + np.arange(3.0))
    v = np.arange(6.0)
    r = f(v[:3], v[1:4])  # overlapping views
    np.testing.assert_array_equal(r, np.arange(3.0) * 2 + np.arange(1.0, 4.0) + np.arange(3.0))
    np.testing.assert_array_equal(v[3:], [3.0, 4.0, 5.0])
    # a shared value passed as the mutable argument: the shared value is not destroyed
    r = f(s.get_value(borrow=True), np.zeros(3))
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0))
    np.testing.assert_array_equal(r, np.arange(3.0) * 3)


def test_mutable_is_ignored_where_the_value_is_kept_or_checked():
    x = T.dvector("x")
    a = np.arange(3.0)
    f = mlc.function([In(x, mutable=True, value=a.copy())], x * 2)  # a default value is never destroyed
    for _ in range(2):
        np.testing.assert_array_equal(f(), np.arange(3.0) * 2)
    g = mlc.function([In(x, mutable=True)], x * 2, mode="DebugMode")
    g(a)
    np.testing.assert_array_equal(a, np.arange(3.0))
    with pytest.raises(AssertionError, match="mutable=True, borrow=False"):
        In(x, mutable=True, borrow=False)


def test_mutable_input_holds_a_temporary():
    """tanh(x) feeding a BLAS call is computed over x itself (reuse-buffers' mlc.clobber)."""
    x, W = T.dmatrix("x"), T.dmatrix("W")
    f = mlc.function([In(x, mutable=True), W], T.dot(T.tanh(x), W))
    ir = f.dump_ir("loops")
    assert "mlc.clobber" in ir and "memref.alloc" not in ir
    plain = mlc.function([x, W], T.dot(T.tanh(x), W))
    assert "mlc.clobber" not in plain.dump_ir("loops") and "memref.alloc" in plain.dump_ir("loops")
    rng = np.random.default_rng(0)
    for _ in range(3):
        a, w = rng.normal(size=(4, 3)), rng.normal(size=(3, 5))
        a0, w0 = a.copy(), w.copy()
        np.testing.assert_allclose(f(a, w), np.tanh(a0) @ w0)
        np.testing.assert_array_equal(w, w0)
        kept = a0.copy()
        np.testing.assert_allclose(plain(a0, w), np.tanh(kept) @ w0)
        np.testing.assert_array_equal(a0, kept)
    s = rng.normal(size=(3, 3))
    s0 = s.copy()
    np.testing.assert_allclose(f(s, s), np.tanh(s0) @ s0)  # W is x: W is copied before x is clobbered


@pytest.mark.parametrize("case", range(6))
def test_mutable_arguments_give_the_same_results_as_plain_ones(case):
    """Graphs where mutable arguments may hold outputs or temporaries, against the same graphs without."""
    x, y, W = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("W")
    graphs = [
        ([x, y], [T.exp(x) * y, x.sum()]),
        ([x, W], [T.dot(T.tanh(x), W) + x.sum(axis=1, keepdims=True)]),
        ([x], [T.nnet.softmax(x), x.max()]),
        ([x, y], [x + y, y * 2, (x * y).sum()]),
        ([x, W], [T.dot(T.tanh(x), W), x * 2]),
        ([x, y, W], [T.dot(T.exp(x), W) - T.dot(T.log1p(y * y), W), (x - y).sum(axis=0)]),
    ]
    ins, outs = graphs[case]
    mutable = mlc.function([In(v, mutable=True) for v in ins], outs)
    plain = mlc.function(ins, outs)
    rng = np.random.default_rng(case)
    for _ in range(3):  # full path, then the fast path
        args = [rng.normal(size=(4, 4)) for _ in ins]
        want = plain(*[a.copy() for a in args])
        got = mutable(*args)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        same = [args[0]] * len(ins)  # one array as every argument
        want = plain(*[a.copy() for a in same])
        got = mutable(*same)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
