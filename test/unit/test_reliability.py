"""Issue 16: defects found by the fuzzers, each kept as a regression test."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_reshape_to_static_shape_fuses(dtype):
    # fuse-elementwise read element 0 of `reshape(b, (1,))` (a cast of a
    # tensor<?x..>) and raveled the position against the dynamic shape.
    a, b = T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)
    f = mlc.function([a, b], a + T.reshape(b, (1,)))
    np.testing.assert_array_equal(f(np.array([1, 2], dtype), np.array([3], dtype)), [4, 5])


def test_grad_with_empty_constant_compiles():
    # reuse-buffers replaced a buffer whose cast came first by one allocated
    # later: convert-to-llvm then met a cast of a not-yet-lowered memref.
    v, M = T.dvector("v"), T.dmatrix("M")
    cost = (T.constant(np.zeros((8, 0))) * (M / v.dot(M))).sum()
    f = mlc.function([v, M], mlc.grad(cost, [v, M]))
    gv, gM = f(np.ones(8), np.ones((8, 0)))
    assert gv.shape == (8,) and gM.shape == (8, 0)
    np.testing.assert_array_equal(gv, 0)
