"""fuse-multi-output: loops over the same iteration space merged into one multi-output loop.

Numerics against numpy (several dtypes, broadcasting, 0-d, empty), the loop
counts it promises, and the size of the chain gradient's loop-level IR
growing linearly with the chain (the compile-time goal of issue 15).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T


def generics(f) -> int:
    return f.dump_ir("loops").count("linalg.generic")


def excluded(*names):
    return mlc.Mode(name="FAST_RUN").excluding(*names)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (), (0,), (4, 0)])
def test_siblings_and_chains_are_one_loop(dtype, shape):
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    e, t = T.exp(x), T.tanh(x * 0.5)
    outs = [e * t, e + 1, t * 2 - e, T.sqrt(T.abs(x))]
    f = mlc.function([x], outs)
    a = np.random.default_rng(0).normal(size=shape).astype(dtype)
    ea, tb = np.exp(a), np.tanh(a * np.asarray(0.5, dtype))
    want = [ea * tb, ea + 1, tb * 2 - ea, np.sqrt(np.abs(a))]
    for got, w in zip(f(a), want):
        assert got.dtype == w.dtype and got.shape == w.shape
        np.testing.assert_allclose(got, w, rtol=1e-6 if dtype == "float32" else 1e-14)
    if shape:  # (0-d: scalar code, no loop)
        assert generics(f) == 1
        assert generics(mlc.function([x], outs, mode=excluded("fuse-multi-output"))) > 1


def test_groups_reading_each_other_both_ways():
    """x and y have sizes the graph does not tie: two groups, each reading the other's values
    (e * t in x's loops, t * 2 - e in y's): as single loops they would wait on each other, so
    members go back to loops of their own until an order exists."""
    x, y = T.fvector("x"), T.fvector("y")
    e, t = T.exp(x), T.tanh(y)
    f = mlc.function([x, y], [e * t, e + 1, t * 2 - e, T.sqrt(T.abs(y))])
    a, b = np.random.default_rng(2).normal(size=(2, 6)).astype("float32")
    want = [np.exp(a) * np.tanh(b), np.exp(a) + 1, np.tanh(b) * 2 - np.exp(a), np.sqrt(np.abs(b))]
    for got, w in zip(f(a, b), want):
        np.testing.assert_allclose(got, w, rtol=1e-6)


def test_broadcast_reads_stay_inputs_and_other_shapes_stay_apart():
    """A row vector broadcast into the loops is an input of the merged loop; a loop over other sizes is not merged."""
    x, r, z = T.dmatrix("x"), T.drow("r"), T.dvector("z")
    e = T.exp(x)
    f = mlc.function([x, r, z], [e * r, e - r, T.exp(z) * 3])
    a, b, c = np.random.default_rng(1).normal(size=(3, 4)), np.arange(4.0).reshape(1, 4), np.arange(5.0)
    got = f(a, b, c)
    np.testing.assert_allclose(got[0], np.exp(a) * b, rtol=1e-14)
    np.testing.assert_allclose(got[1], np.exp(a) - b, rtol=1e-14)
    np.testing.assert_allclose(got[2], np.exp(c) * 3, rtol=1e-14)
    assert generics(f) == 2


def test_value_read_through_a_reduction_is_not_merged_into_its_user():
    """softmax-like x/sum(x): the divide reads e and sum(e); e and the divide cannot be one loop."""
    x = T.dvector("x")
    e = T.exp(x)
    f = mlc.function([x], [e / e.sum(), e * 2])
    a = np.linspace(-1, 1, 9)
    got = f(a)
    np.testing.assert_allclose(got[0], np.exp(a) / np.exp(a).sum(), rtol=1e-14)
    np.testing.assert_allclose(got[1], np.exp(a) * 2, rtol=1e-14)


def _chain_grad(n):
    x, c = T.dvector("x"), T.dscalar("c")
    z = x
    for _ in range(n):
        z = T.tanh(z * c) + T.exp(-z) * 0.01
    return [x, c], [z.sum(), mlc.grad(z.sum(), x)]


def test_chain_gradient_loops_stay_few_and_values_exact():
    ins, outs = _chain_grad(12)
    f = mlc.function(ins, outs)
    want = mlc.function(ins, outs, mode="REFERENCE")
    a = np.linspace(-1, 1, 11)
    for got, w in zip(f(a, 0.7), want(a, 0.7)):
        np.testing.assert_allclose(got, w, rtol=1e-12)
    assert generics(f) <= 3  # forward values, gradient and the sum's operand in one loop; the sum


def test_chain_gradient_ir_grows_linearly():
    """Loop-level IR of the chain gradient per layer does not grow with the chain (it did: shared
    values recomputed at every fused loop's frontier)."""
    def size(n):
        ins, outs = _chain_grad(n)
        return len(mlc.function(ins, outs).dump_ir("loops").splitlines())

    small, large = size(8), size(32)
    assert (large - small) / 24 <= 1.2 * small / 8
