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
