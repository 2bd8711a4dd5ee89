"""Emission graph -> mt: the IR reads like the math, verifies, round-trips, and means the same.

The strongest check here: for every op of the vocabulary, the emitted mt
function, run by mt's numpy interpreter (`run_mt`), gives exactly what the
graph's own numpy reference gives.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.function import FunctionGraph
from mlc.compile.reference import ReferenceProgram
from mlc.compile.function import ShapePlan
from mlc.dialects.mt.reference import parse_mt, run_mt
from mlc.lowering.emit import emit_function
from mlc.tensor.elemwise import SCALARS


def emit(ins, outs, updates=()):
    fg = FunctionGraph(list(ins), list(outs), list(updates), {}, "ignore")
    m = emit_function(fg)
    m.verify()
    return fg, m


def check_same(ins, outs, *args):
    """The emitted mt means what the graph means: run_mt == graph reference."""
    fg, m = emit(ins, outs)
    arrays = [v.type.filter(a) for v, a in zip(fg.inputs, args)] + [s.container.value for s in fg.shared]
    want = ReferenceProgram(fg).run(arrays, ShapePlan(fg).result_shapes(arrays))
    got = run_mt(m, *arrays)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-6, equal_nan=True)
    return m


def test_seed_ir():
    x = T.fvector("x")
    W = mlc.shared(np.asarray([0.2, 0.7]), "W")
    _, m = emit([x], [(x * W).sum()])
    text = str(m)
    assert "func.func @main(%x: tensor<?xf32>, %W: tensor<?xf64>) -> tensor<f64>" in text
    assert "mt.cast %x : tensor<?xf32> -> tensor<?xf64>" in text
    assert "mt.reduce_sum" in text and "axes [0]" in text


def test_roundtrip_custom_and_generic():
    from xdsl.printer import Printer
    import io

    a, r = T.dmatrix("a"), T.drow("r")
    i = T.iscalar("i")
    _, m = emit([a, r, i], [T.exp(a + r)[1:i, ::-1], a.sum(axis=0), T.dot(a, a.T), a.reshape((i, -1))])
    text = str(m)
    again = parse_mt(text)
    assert str(again) == text
    buf = io.StringIO()
    Printer(stream=buf, print_generic_format=True).print_op(m)
    assert str(parse_mt(buf.getvalue())) == text


def test_broadcast_is_explicit():
    a, r, c = T.dmatrix("a"), T.drow("r"), T.dcol("c")
    _, m = emit([a, r, c], [a + r, r + c])
    text = str(m)
    assert "mt.broadcast %r" in text and "mt.broadcast %c" in text
    assert "mt.select" in text  # shape of row+col comes from both operands


def test_locations_point_at_user_line():
    from xdsl.printer import Printer
    import io

    x = T.dvector("x")
    y = T.exp(x)  # this line
    line = y.loc.lineno
    _, m = emit([x], [y])
    buf = io.StringIO()
    Printer(stream=buf, print_debuginfo=True).print_op(m)
    assert f"test_emit.py\":{line}:0" in buf.getvalue() or f"test_emit.py:{line}" in buf.getvalue()


def _sample(dtype, shape, rng, positive=False):
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        lo = 1 if positive else (0 if dtype.startswith("u") else -5)
        return rng.integers(lo, 6, size=shape).astype(dtype)
    v = rng.uniform(0.1 if positive else -2, 2, size=shape)
    return v.astype(dtype)


_POSITIVE = {"log", "log2", "log10", "sqrt", "arccosh", "int_div", "mod", "pow", "true_div", "inv"}
_UNIT = {"arcsin", "arccos", "arctanh", "erfinv"}


@pytest.mark.parametrize("name", sorted(SCALARS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_every_elementwise_op_emits_its_meaning(name, dtype):
    s = SCALARS[name]
    if dtype not in s.accepts or (name == "sub" and dtype == "bool") or (name == "neg" and dtype == "bool"):
        pytest.skip("dtype outside the op's domain")
    rng = np.random.default_rng(0)
    pos = name in _POSITIVE
    xs = [T.TensorType(dtype, (False, False))(f"x{k}") for k in range(s.nin)]
    if s.nin == 2:  # also exercise broadcasting: second operand is a row
        xs[1] = T.TensorType(dtype, (True, False))("x1")
    args = [_sample(dtype, (3, 4) if not v.broadcastable[0] else (1, 4), rng, pos) for v in xs]
    if name in _UNIT and dtype.startswith("float"):
        args = [a * 0.4 for a in args]
    from mlc.tensor.elemwise import apply_elemwise

    check_same(xs, [apply_elemwise(name, *xs)], *args)


def test_shape_and_creation_ops_emit_their_meaning():
    a = T.dmatrix("a")
    i = T.iscalar("i")
    v = T.lvector("v")
    outs = [a[1:i, ::-1], a[i], a[-1], a[None, :, 0], a.reshape((i, -1)), a.flatten(), T.zeros((i, 3)),
            T.arange(i), T.arange(1.0, 2.0, 0.25), T.eye(i, 3, 1), a.T, a.argmax(1), a.argmin(),
            a.mean(), a.var(axis=0), a.max(axis=1, keepdims=True), T.dot(a, a.T), T.dot(a[0], a.T),
            T.concatenate([a, a], 1), T.stack([a[0], a[1]]), T.switch(a > 0, a, 0), T.clip(a, -1, 1),
            a.shape, T.ones_like(a), T.alloc(a[0], 2, a.shape[1]), T.tensordot(a, a, [[1], [1]]),
            T.outer(v, v), T.nnet.softmax(a), T.nnet.log_softmax(a), a.prod(0), (a > 0).any(1), a.astype("int32")]
    check_same([a, i, v], outs, np.arange(12.0).reshape(3, 4) - 5, 2, np.arange(3))


def test_empty_and_zero_d():
    a = T.dmatrix("a")
    s = T.dscalar("s")
    check_same([a, s], [a * s + 1, a.sum(axis=0), s * 2, T.exp(s)], np.zeros((0, 3)), 1.5)
