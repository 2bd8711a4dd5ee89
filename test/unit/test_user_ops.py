"""User-defined ops (theano.Op subclasses, as_op, OpFromGraph) inside compiled functions."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.graph import Apply
from mlc.tensor.host import OpFromGraph, PythonOp, as_op

HERE = os.path.dirname(__file__)


@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
def test_extending_theano_tutorial_runs_unchanged(mode):
    env = {**os.environ, "MLC_FLAGS": f"mode={mode}"}
    r = subprocess.run([sys.executable, "-m", "mlc.compat.theano", os.path.join(HERE, "data", "extending_theano.py")],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "tutorial ok" in r.stdout


class SplitSign(PythonOp):
    """Two outputs, a data-dependent length (no infer_shape): positives and the count of negatives."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply.from_outputs(self, [x], [x.type(), T.lscalar()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x[x > 0]
        output_storage[1][0] = np.int64((x < 0).sum())


@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
def test_multi_output_op_with_data_dependent_shape(mode):
    x = T.dvector("x")
    pos, nneg = SplitSign()(T.sin(x))
    f = mlc.function([x], [pos * 2, nneg + 1], mode=mode)
    for v in (np.array([0.5, -1.0, 2.0]), np.array([-0.1, -0.2]), np.linspace(-3, 3, 50)):
        p, n = f(v)
        np.testing.assert_allclose(p, 2 * np.sin(v)[np.sin(v) > 0])
        assert n == (np.sin(v) < 0).sum() + 1


def test_bad_perform_results_are_reported():
    class NoStore(PythonOp):
        def make_node(self, x):
            return Apply.from_outputs(self, [x], [x.type()])

        def infer_shape(self, node, shapes):
            return shapes

        def perform(self, node, inputs, out):
            pass

    x = T.dvector("x")
    f = mlc.function([x], NoStore()(x) + 1)
    with pytest.raises(ValueError, match="stored no value"):
        f(np.ones(3))
    y = T.dvector("y")
    with pytest.raises(ValueError, match="already belongs"):
        Apply.from_outputs(NoStore(), [x], [x + 1])
    with pytest.raises(NotImplementedError, match="itypes"):
        PythonOp()(y)


def test_as_op_without_infer_shape_and_itypes_checks():
    @as_op(itypes=[T.dvector], otypes=[T.dvector])
    def cumulative_max(a):
        return np.maximum.accumulate(a)

    x = T.dvector("x")
    f = mlc.function([x], cumulative_max(x * 2) + 1)
    np.testing.assert_allclose(f(np.array([1.0, 3.0, 2.0])), [3.0, 7.0, 7.0])
    with pytest.raises(TypeError, match="must have type"):
        cumulative_max(T.fvector())
    with pytest.raises(NotImplementedError, match="gradient"):
        mlc.grad(cumulative_max(x).sum(), x)


def test_op_from_graph_is_inlined_with_its_gradient():
    a, b = T.dmatrices("a", "b")
    w = mlc.shared(np.full((2, 2), 0.5), "w")
    op = OpFromGraph([a, b], [T.tanh(a) * b + w])
    x = T.dmatrix("x")
    y = op(x, x.T).sum()
    f = mlc.function([x], [y, mlc.grad(y, x)])
    v = np.array([[0.1, 0.2], [0.3, 0.4]])
    val, g = f(v)
    np.testing.assert_allclose(val, (np.tanh(v) * v.T + 0.5).sum())
    assert not any(n.op.host for n in f.fgraph.nodes)  # inlined: nothing runs on the host
    eps = 1e-6
    num = np.zeros_like(v)
    for idx in np.ndindex(v.shape):
        d = np.zeros_like(v)
        d[idx] = eps
        num[idx] = ((np.tanh(v + d) * (v + d).T).sum() - (np.tanh(v - d) * (v - d).T).sum()) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-6)
    with pytest.raises(TypeError, match="expected 2 inputs"):
        op(x)
    with pytest.raises(NotImplementedError, match="grad_overrides"):
        OpFromGraph([a], [a], grad_overrides=lambda i, g: g)
