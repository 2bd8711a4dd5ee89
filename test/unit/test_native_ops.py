"""Every op compiled to native code (mode FAST_RUN) against numpy.

The cases are those of test_reference_ops.py (one table of numpy meanings,
one list of other-op cases), run through the whole pipeline: emission, mt
passes, lowering to loops and BLAS, LLVM, JIT. Also: non-contiguous and
negative-stride inputs, 0-d/empty arrays, argument validation before native
code runs, and inputs never modified.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlc
import mlc.tensor as T
from mlc.graph import TensorType
from mlc.tensor.elemwise import SCALARS

from test_reference_ops import (BINARY_CASES, DTYPES, OTHER_CASES, UNARY_CASES, check_elementwise,
                                check_other_case)

MODE = "FAST_RUN"
FEW = settings(max_examples=12, deadline=None, derandomize=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SCALARS))
def test_elementwise_op_native(name, dtype):
    nin = SCALARS[name].nin
    cases = UNARY_CASES if nin == 1 else BINARY_CASES
    for k, case in enumerate(cases):
        check_elementwise(name, [dtype] * nin, (case,) if nin == 1 else case, seed=k, mode=MODE)


@pytest.mark.parametrize("name", ["add", "true_div", "int_div", "maximum", "lt", "pow", "and_"])
@pytest.mark.parametrize("pair", [("float32", "float64"), ("int32", "float32"), ("bool", "int64"),
                                  ("int8", "float32")])
def test_mixed_dtype_elementwise_native(name, pair):
    check_elementwise(name, list(pair), BINARY_CASES[2], mode=MODE)


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda c: c.id)
def test_op_native(case):
    check_other_case(case, MODE)


@given(data=st.data())
@FEW
def test_slicing_native(data):
    shp = data.draw(st.lists(st.integers(0, 6), min_size=1, max_size=3).map(tuple))
    bound = st.one_of(st.none(), st.integers(-8, 8))
    step = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))
    index = tuple(slice(data.draw(bound), data.draw(bound), data.draw(step)) for _ in shp)
    x = TensorType("float64", (False,) * len(shp))("x")
    value = np.random.default_rng(0).random(shp)
    got = mlc.function([x], x[index], mode=MODE)(value)
    np.testing.assert_array_equal(got, value[index])


def test_symbolic_slices_and_indices():
    x = T.dmatrix("x")
    i, j, k = T.lscalars("ijk")
    f = mlc.function([x, i, j, k], [x[i:j:k], x[i], x[:, j], x[-1, ::-1], x[i:, None]], mode=MODE)
    v = np.arange(20.0).reshape(4, 5)
    for a, b, c in [(0, 3, 1), (3, 0, -1), (-2, 4, 2), (1, 1, 1), (-4, 4, 3)]:
        got = f(v, a, b, c)
        want = [v[a:b:c], v[a], v[:, b], v[-1, ::-1], v[a:, None]]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


@given(shp=st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple), data=st.data())
@FEW
def test_reductions_native(shp, data):
    kind = data.draw(st.sampled_from(["sum", "prod", "mean", "max", "min", "any", "all"]))
    dtype = data.draw(st.sampled_from(["float32", "float64", "int32", "bool"]))
    if kind in ("mean", "max", "min") and dtype == "bool":
        dtype = "int32"
    axis = data.draw(st.one_of(st.none(), st.integers(0, len(shp) - 1)))
    keepdims = data.draw(st.booleans())
    reduced = range(len(shp)) if axis is None else [axis]
    if kind in ("max", "min") and any(shp[a] == 0 for a in reduced):
        return
    x = TensorType(dtype, (False,) * len(shp))("x")
    rng = np.random.default_rng(3)
    value = (rng.random(shp) > 0.3) if dtype == "bool" else (rng.uniform(-3, 3, shp).astype(dtype))
    got = mlc.function([x], getattr(x, kind)(axis=axis, keepdims=keepdims), mode=MODE)(value)
    want = getattr(np, kind)(value, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_strided_and_negative_stride_inputs_are_handled():
    x, y = T.dmatrices("x", "y")
    f = mlc.function([x, y], T.exp(x) * y + 1, mode=MODE)
    base = np.random.default_rng(0).random((6, 8))
    a = base[::2, ::-1]             # non-contiguous, negative stride
    b = np.asfortranarray(base[:3, :8])
    np.testing.assert_allclose(f(a, b), np.exp(a) * b + 1)


def test_inputs_are_never_modified_and_outputs_are_fresh():
    x = T.dvector("x")
    f = mlc.function([x], [x, x * 2, x], mode=MODE)
    v = np.arange(4.0)
    keep = v.copy()
    a, b, c = f(v)
    np.testing.assert_array_equal(v, keep)
    assert a is not v and c is not v and a is not c
    a[0] = 100
    np.testing.assert_array_equal(c, keep)


def test_zero_d_and_empty():
    s = T.dscalar("s")
    m = T.fmatrix("m")
    f = mlc.function([s, m], [s * 2 + 1, T.exp(m) + s, m.sum(axis=0), m.sum()], mode=MODE)
    r = f(1.5, np.zeros((0, 3), dtype="float32"))
    assert r[0].shape == () and r[0] == 4.0 and r[0].dtype == np.float64
    assert r[1].shape == (0, 3) and r[1].dtype == np.float64
    np.testing.assert_array_equal(r[2], np.zeros(3, dtype="float32"))
    assert r[3] == 0 and r[3].dtype == np.float32


def test_dot_shapes_and_dtypes():
    for dt in ("float32", "float64", "int32"):
        A = TensorType(dt, (False, False))("A")
        v = TensorType(dt, (False,))("v")
        f = mlc.function([A, v], [T.dot(A, A.T), T.dot(A, v[:A.shape[1]]), T.dot(v, v), T.dot(A.T, A)], mode=MODE)
        rng = np.random.default_rng(1)
        a = (rng.uniform(-2, 2, (5, 3)) * 3).astype(dt)
        w = (rng.uniform(-2, 2, 3) * 3).astype(dt)
        got = f(a, w)
        want = [a @ a.T, a @ w, w @ w, a.T @ a]
        for g, x in zip(got, want):
            assert g.dtype == np.dtype(dt)
            np.testing.assert_allclose(g, x, rtol=1e-5)


# -- argument validation before native code runs -----------------------------


def test_bad_arguments_raise_clear_errors():
    x = T.fvector("x")
    A = T.dmatrix("A")
    f = mlc.function([x, A], T.dot(A, x), mode=MODE)
    with pytest.raises(TypeError, match="expected at most 2 arguments"):
        f([1.0], np.ones((1, 1)), 3)
    with pytest.raises(TypeError, match="missing argument"):
        f([1.0])
    with pytest.raises(TypeError, match="dtype"):
        f(np.ones(2, dtype="float64"), np.ones((2, 2)))
    with pytest.raises(TypeError, match="2-d"):
        f(np.ones(2, dtype="float32"), np.ones(2))
    with pytest.raises(ValueError, match=r"dot: shapes \(3, 4\) and \(2,\) not aligned"):
        f(np.ones(2, dtype="float32"), np.ones((3, 4)))
    r = T.drow("r")
    g = mlc.function([r], r * 2, mode=MODE)
    with pytest.raises(TypeError, match="broadcastable"):
        g(np.ones((2, 3)))
    h = mlc.function([A, r], A + r, mode=MODE)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(1, 4\)"):
        h(np.ones((2, 3)), np.ones((1, 4)))


def test_index_out_of_bounds_is_an_error_not_a_crash():
    x = T.dvector("x")
    i = T.lscalar("i")
    f = mlc.function([x, i], x[i], mode=MODE)
    assert f([1.0, 2.0], -1) == 2.0
    with pytest.raises(ValueError, match="out of bounds"):
        f([1.0, 2.0], 2)


def test_seed_program():
    x = T.fvector("x")
    W = mlc.shared(np.asarray([0.2, 0.7]), "W")
    f = mlc.function([x], (x * W).sum(), mode=MODE)
    out = f([1.0, 1.0])
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64
    assert np.allclose(out, 0.9)
    W.set_value(np.asarray([1.0, 2.0]))
    assert np.allclose(f([3.0, 4.0]), 11.0)


def test_updates_are_atomic():
    a = mlc.shared(np.asarray(1.0), "a")
    b = mlc.shared(np.asarray(2.0), "b")
    f = mlc.function([], [a + b], updates=[(a, b), (b, a)], mode=MODE)  # swap
    assert f()[0] == 3.0
    assert a.get_value() == 2.0 and b.get_value() == 1.0


def test_dump_ir_levels():
    x = T.dvector("x")
    f = mlc.function([x], T.exp(x) + 1, mode=MODE)
    assert "mt.exp" in f.dump_ir("mt")
    assert "linalg.generic" in f.dump_ir("loops")
    assert "llvm.func @main" in f.dump_ir("llvm")
    assert "define" in f.dump_ir("llvm-ir")
    with pytest.raises(ValueError, match="level"):
        f.dump_ir("nope")


@pytest.mark.parametrize("ctor", [T.zvector, T.cvector])
def test_complex_compiles_natively(ctor):
    z = ctor("z")
    np.testing.assert_allclose(mlc.function([z], z * 2, mode=MODE)([1 + 2j]), [2 + 4j])
    f = mlc.function([z], T.tanh(z), mode=MODE)  # every elementwise op numpy defines on complex (test_complex_functions)
    assert "mt.tanh" in f.dump_ir("mt")
    np.testing.assert_allclose(f([1 + 2j]), np.tanh([1 + 2j]), rtol=1e-6)


def test_mode_excluding_turns_a_rewrite_off():
    x = T.dvector("x")
    y = T.log(1 + x)
    on = mlc.function([x], y, mode=MODE)
    off = mlc.function([x], y, mode=mlc.Mode(name=MODE).excluding("log1p"))
    assert "mt.log1p" in on.dump_ir("mt-opt")
    assert "mt.log1p" not in off.dump_ir("mt-opt") and "mt.log " in off.dump_ir("mt-opt")
    np.testing.assert_allclose(off([1e-3]), on([1e-3]))
    with mlc.config.change_flags(optimizer_excluding="stabilize-mt"):
        assert "mt.log1p" not in mlc.function([x], y, mode=MODE).dump_ir("mt-opt")
