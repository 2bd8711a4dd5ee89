"""Every op, run with the numpy reference (mode='REFERENCE'), against numpy itself.

One parametrized test walks `mlc.tensor.elemwise.SCALARS`, so registering an
elementwise op is what gets it tested (it must also get an entry in
`NUMPY` below). The other ops are listed in `OTHER_CASES`; a coverage test
checks that every Op class of the tensor modules has at least one case.
Values, dtypes (Theano's rules, restated here independently) and shapes are
checked, over several dtypes and shapes including broadcasting, 0-d and
empty arrays; hypothesis explores shapes and axes.
"""

from __future__ import annotations

import importlib
import inspect
import warnings

import numpy as np
import pytest
import scipy.special as sps
from hypothesis import given, settings
from hypothesis import strategies as st

import mlc
import mlc.tensor as T
from mlc.graph import Op, TensorType
from mlc.tensor.elemwise import SCALARS, apply_elemwise

# (mlc.tensor.shape and mlc.tensor.alloc are also function names in mlc.tensor)
alloc, contract, elemwise, nnet, reduce, shape, advanced = (
    importlib.import_module(f"mlc.tensor.{m}") for m in ("alloc", "contract", "elemwise", "nnet", "reduce", "shape",
                                                         "advanced"))
compose = importlib.import_module("mlc.tensor.compose")

DTYPES = ["float32", "float64", "int32", "int64", "bool"]
HYPOTHESIS = settings(max_examples=100, deadline=None, derandomize=True)


def compile_ref(inputs, outputs, mode="REFERENCE"):
    return mlc.function(inputs, outputs, mode=mode, on_unused_input="ignore")


# ----------------------------------------------------------------------------
# Elementwise: the numpy meaning of each scalar op, and its dtype family
# ----------------------------------------------------------------------------


def _round_half_away(x):
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


def _invert(x):
    return np.logical_not(x) if x.dtype == bool else np.invert(x)


def _sign(x):
    return x.copy() if x.dtype == bool else np.sign(x)


# name -> (numpy function, dtype family): 'same' keeps the upcast input dtype,
# 'float' upgrades integers to float first (Theano's upgrade_to_float), 'bool' gives bool.
NUMPY = {
    "add": (np.add, "same"),
    "sub": (np.subtract, "same"),
    "mul": (np.multiply, "same"),
    "true_div": (np.true_divide, "float"),
    "int_div": (np.floor_divide, "same"),
    "mod": (np.mod, "same"),
    "pow": (np.power, "same"),
    "maximum": (np.maximum, "same"),
    "minimum": (np.minimum, "same"),
    "arctan2": (np.arctan2, "float"),
    "hypot": (np.hypot, "float"),
    "and_": (np.bitwise_and, "same"),
    "or_": (np.bitwise_or, "same"),
    "xor": (np.bitwise_xor, "same"),
    "eq": (np.equal, "bool"),
    "neq": (np.not_equal, "bool"),
    "lt": (np.less, "bool"),
    "le": (np.less_equal, "bool"),
    "gt": (np.greater, "bool"),
    "ge": (np.greater_equal, "bool"),
    "isnan": (np.isnan, "bool"),
    "isinf": (np.isinf, "bool"),
    "neg": (np.negative, "same"),
    "abs": (np.abs, "same"),
    "sgn": (_sign, "same"),
    "invert": (_invert, "same"),
    "identity": (lambda x: x, "same"),
    "exp": (np.exp, "float"),
    "exp2": (np.exp2, "float"),
    "expm1": (np.expm1, "float"),
    "log": (np.log, "float"),
    "log2": (np.log2, "float"),
    "log10": (np.log10, "float"),
    "log1p": (np.log1p, "float"),
    "sqrt": (np.sqrt, "float"),
    "sin": (np.sin, "float"),
    "cos": (np.cos, "float"),
    "tan": (np.tan, "float"),
    "arcsin": (np.arcsin, "float"),
    "arccos": (np.arccos, "float"),
    "arctan": (np.arctan, "float"),
    "sinh": (np.sinh, "float"),
    "cosh": (np.cosh, "float"),
    "tanh": (np.tanh, "float"),
    "arcsinh": (np.arcsinh, "float"),
    "arccosh": (np.arccosh, "float"),
    "arctanh": (np.arctanh, "float"),
    "floor": (np.floor, "float"),
    "ceil": (np.ceil, "float"),
    "trunc": (np.trunc, "float"),
    "round_half_to_even": (np.round, "float"),
    "round_half_away_from_zero": (_round_half_away, "float"),
    "erf": (sps.erf, "float"),
    "erfc": (sps.erfc, "float"),
    "erfinv": (sps.erfinv, "float"),
    "erfcinv": (sps.erfcinv, "float"),
    "gammaln": (sps.gammaln, "float"),
    "psi": (sps.psi, "float"),
    "tri_gamma": (lambda x: sps.polygamma(1, x), "float"),
    "gamma": (sps.gamma, "float"),
    "j0": (sps.j0, "float"),
    "j1": (sps.j1, "float"),
    "i0": (sps.i0, "float"),
    "i1": (sps.i1, "float"),
    "jv": (sps.jv, "float"),
    "iv": (sps.iv, "float"),
    "erfcx": (sps.erfcx, "float"),
    "gammainc": (sps.gammainc, "float"),
    "gammaincc": (sps.gammaincc, "float"),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), "float"),
    "softplus": (lambda x: np.logaddexp(0, x), "float"),
    "inv": (lambda x: 1 / x, "float"),
    "sqr": (lambda x: x * x, "same"),
    "real": (np.real, "same"),
    "imag": (np.imag, "same"),
    "angle": (np.angle, "float64"),
    "conj": (np.conjugate, "same"),
    "complex": (lambda a, b: a + 1j * b, "complex"),
}

# Theano's upgrade_to_float
_TO_FLOAT = {"bool": "float32", "int8": "float32", "int16": "float32", "uint8": "float32", "uint16": "float32",
             "int32": "float64", "int64": "float64", "uint32": "float64", "uint64": "float64"}


def expected_dtype(family: str, dtypes: list[str]) -> str:
    if family == "bool":
        return "bool"
    if family == "float64":  # Theano's angle
        return "float64"
    if family == "complex":  # Theano's complex(): complex128 for 64-bit floats and 32/64-bit ints
        wide = np.result_type(*dtypes).name in ("float64", "int64", "uint64", "int32", "uint32")
        return "complex128" if wide else "complex64"
    if family == "float":
        dtypes = [_TO_FLOAT.get(d, d) for d in dtypes]
    return np.result_type(*dtypes).name


def values(dtype: str, shape: tuple[int, ...], rng: np.random.Generator, role: str = "any") -> np.ndarray:
    """Test data: small values, both signs; exponents of integer powers stay non-negative."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("int"):
        low = 0 if role == "exponent" else -4
        return rng.integers(low, 5 if role != "exponent" else 4, size=shape).astype(dtype)
    v = rng.uniform(-3, 3, size=shape)
    if role == "exponent":
        v = np.round(v)
    return v.astype(dtype)


# (input shapes, broadcastable patterns): scalar, vector, row broadcast, col + row, empty, rank padding
UNARY_CASES = [((), ()), ((5,), (False,)), ((2, 3), (False, False)), ((0, 3), (False, False)),
               ((1, 4), (True, False))]
BINARY_CASES = [
    (((), ()), ((), ())),
    (((5,), (False,)), ((5,), (False,))),
    (((2, 3), (False, False)), ((1, 3), (True, False))),
    (((2, 1), (False, True)), ((1, 3), (True, False))),
    (((0, 3), (False, False)), ((1, 3), (True, False))),
    (((3,), (False,)), ((), ())),
]


def tolerance(dtype: str) -> dict:
    return {"rtol": 2e-6, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}


def test_every_scalar_op_has_a_numpy_reference():
    assert set(NUMPY) == set(SCALARS), "add the new elementwise op to NUMPY in this file"


def check_elementwise(name: str, in_dtypes: list[str], case, seed: int = 0, mode: str = "REFERENCE"):
    s = SCALARS[name]
    fn, family = NUMPY[name]
    inputs = [TensorType(d, bcast)(f"in{k}") for k, (d, (_, bcast)) in enumerate(zip(in_dtypes, case))]
    if any(d not in s.accepts for d in in_dtypes) or (name == "sub" and set(in_dtypes) == {"bool"}):
        with pytest.raises(TypeError):
            apply_elemwise(name, *inputs)
        return
    out = apply_elemwise(name, *inputs)
    want_dtype = expected_dtype(family, in_dtypes)
    if name == "abs":
        want_dtype = in_dtypes[0]
    assert out.dtype == want_dtype, (name, in_dtypes)
    rng = np.random.default_rng(seed)
    roles = ["any", "exponent"] if name == "pow" else ["any"] * len(in_dtypes)
    data = [values(d, shp, rng, role) for d, (shp, _), role in zip(in_dtypes, case, roles)]
    got = compile_ref(inputs, out, mode)(*data)
    compute = want_dtype if family != "bool" else np.result_type(*in_dtypes).name
    if family == "complex":
        compute = {"complex64": "float32", "complex128": "float64"}[want_dtype]
    if family == "float64":  # angle: computed in the input's precision, returned as float64 (Theano)
        compute = in_dtypes[0]
    with np.errstate(all="ignore"):
        want = np.asarray(fn(*[a.astype(compute) for a in data])).astype(want_dtype)
    assert got.dtype == np.dtype(want_dtype)
    assert got.shape == np.broadcast_shapes(*[a.shape for a in data])
    if want_dtype.startswith("float"):
        np.testing.assert_allclose(got, want, equal_nan=True, **tolerance(want_dtype))
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SCALARS))
def test_elementwise_op_against_numpy(name, dtype):
    cases = UNARY_CASES if SCALARS[name].nin == 1 else BINARY_CASES
    for k, case in enumerate(cases):
        case = (case,) if SCALARS[name].nin == 1 else case
        check_elementwise(name, [dtype] * SCALARS[name].nin, case, seed=k)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "true_div", "int_div", "maximum", "lt", "eq", "pow",
                                  "arctan2", "and_"])
@pytest.mark.parametrize("pair", [("float32", "float64"), ("int32", "float32"), ("int64", "int32"),
                                  ("bool", "int64"), ("int8", "float32"), ("bool", "float64")])
def test_mixed_dtype_elementwise(name, pair):
    check_elementwise(name, list(pair), BINARY_CASES[2])


@given(data=st.data())
@HYPOTHESIS
def test_broadcasting_matches_numpy(data):
    """Random shapes where some dims are declared broadcastable (length 1) and broadcast."""
    ndim = data.draw(st.integers(0, 4), label="ndim")
    full = data.draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim), label="shape")
    shapes, patterns = [], []
    for _ in range(2):
        bcast = tuple(data.draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim)))
        rank = data.draw(st.integers(0, ndim))  # lower ranks are padded on the left
        bcast = bcast[ndim - rank:]
        patterns.append(bcast)
        shapes.append(tuple(1 if b else n for b, n in zip(bcast, full[ndim - rank:])))
    name = data.draw(st.sampled_from(["add", "mul", "maximum", "true_div", "gt"]))
    dtype = data.draw(st.sampled_from(["float64", "int32"]))
    check_elementwise(name, [dtype, dtype], list(zip(shapes, patterns)), seed=1)


def test_round_modes_edge_cases():
    x = T.dvector("x")
    f = compile_ref([x], T.round(x, "half_away_from_zero"))
    np.testing.assert_array_equal(f([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994]), [1, 2, 3, -1, -3, 0])
    # Theano 1.0.5's default mode is half_to_even (numpy's)
    for g in (compile_ref([x], T.round(x, "half_to_even")), compile_ref([x], T.round(x))):
        np.testing.assert_array_equal(g([0.5, 1.5, 2.5, -0.5]), [0, 2, 2, -0])


def test_integer_division_and_negative_powers_are_defined():
    a, b = T.lvectors("a", "b")
    f = compile_ref([a, b], [a // b, a % b, a ** b])
    q, r, p = f([7, -7, 3, 1, -1, 2], [0, 2, 0, -2, -3, -1])
    np.testing.assert_array_equal(q, [0, -4, 0, -1, 0, -2])  # x // 0 == 0 (numpy's integer result)
    np.testing.assert_array_equal(r, [0, 1, 0, -1, -1, 0])
    np.testing.assert_array_equal(p, [1, 49, 1, 1, -1, 0])


# ----------------------------------------------------------------------------
# The other ops
# ----------------------------------------------------------------------------

RNG = np.random.default_rng(42)
A = RNG.uniform(-2, 2, (3, 4))
B = RNG.uniform(-2, 2, (4, 5))
V4 = RNG.uniform(-2, 2, 4)
V3 = RNG.uniform(-2, 2, 3)
C3 = RNG.uniform(-2, 2, (2, 3, 4))
I34 = RNG.integers(-5, 5, (3, 4))


class Case:
    """One op application: symbolic inputs (type, value), the graph, the numpy result."""

    def __init__(self, id: str, ops: tuple[type, ...], inputs, build, numpy, dtype: str | None = None,
                 tol: float = 1e-12):
        self.id, self.ops, self.inputs, self.build, self.numpy = id, ops, inputs, build, numpy
        self.dtype, self.tol = dtype, tol


def _t(dtype, ndim):
    return TensorType(dtype, (False,) * ndim)


def _add_at(x, index, y):
    out = x.copy()
    np.add.at(out, index, y)
    return out


def _set_at(x, index, y):
    out = x.copy()
    out[index] = y
    return out


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


Reduce, Argmax = reduce.Reduce, reduce.Argmax
Elemwise, DimShuffle, Cast, Switch = elemwise.Elemwise, elemwise.DimShuffle, elemwise.Cast, elemwise.Switch
Shape, Reshape, Subtensor, IndexOp, Join = shape.Shape, shape.Reshape, shape.Subtensor, shape.IndexOp, shape.Join
Dot, Alloc, ARange, Eye, Softmax = contract.Dot, alloc.Alloc, alloc.ARange, alloc.Eye, nnet.Softmax

OTHER_CASES = [
    # reductions
    *[Case(f"{k}-{d}-axis{ax}", (Reduce,), [(_t(d, 2), I34.astype(d))],
           lambda x, k=k, ax=ax: getattr(T, k)(x, axis=ax),
           lambda x, k=k, ax=ax: getattr(np, k)(x.astype("float64" if k in ("sum", "prod") and d == "float32"
                                                         else x.dtype), axis=ax), tol=1e-6)
      for k in ("sum", "prod", "max", "min", "any", "all") for d in ("float32", "int32", "bool")
      for ax in (None, 0, 1, (0, 1))
      if not (d == "bool" and k in ("max", "min"))],
    Case("sum-empty", (Reduce,), [(_t("float64", 2), np.zeros((0, 3)))], lambda x: x.sum(axis=0),
         lambda x: x.sum(axis=0)),
    Case("prod-empty-all", (Reduce,), [(_t("int64", 2), np.zeros((0, 3), "int64"))], lambda x: x.prod(),
         lambda x: x.prod()),
    Case("sum-0d", (Reduce,), [(_t("float64", 0), np.float64(2.5))], lambda x: x.sum(), lambda x: x.sum()),
    Case("mean-int", (Reduce,), [(_t("int32", 2), I34.astype("int32"))], lambda x: x.mean(axis=1),
         lambda x: x.mean(axis=1)),
    Case("mean-float32", (Reduce,), [(_t("float32", 2), A.astype("float32"))], lambda x: x.mean(),
         lambda x: x.mean(dtype="float64").astype("float32"), tol=1e-6),
    Case("var-std", (Reduce,), [(_t("float64", 3), C3)], lambda x: [x.var(axis=(0, 2)), x.std(axis=1, ddof=1)],
         lambda x: [x.var(axis=(0, 2)), x.std(axis=1, ddof=1)]),
    *[Case(f"{k}-axis{ax}", (Argmax,), [(_t("float64", 3), C3)], lambda x, k=k, ax=ax: getattr(T, k)(x, axis=ax),
           lambda x, k=k, ax=ax: getattr(np, k)(x, axis=ax)) for k in ("argmax", "argmin") for ax in (None, 0, 2)],
    Case("argmax-int-keepdims", (Argmax,), [(_t("int64", 2), I34)], lambda x: T.argmax(x, axis=1, keepdims=True),
         lambda x: np.argmax(x, axis=1, keepdims=True)),
    # casts
    *[Case(f"cast-{a}-{b}", (Cast,), [(_t(a, 1), np.array([-2.7, -0.5, 0.0, 1.5, 3.9]).astype(a))],
           lambda x, b=b: T.cast(x, b), lambda x, b=b: x.astype(b))
      for a in ("float64", "float32", "int64", "bool") for b in ("float32", "int32", "int8", "bool", "uint8")
      if a != b and not (a.startswith("float") and b == "uint8")],
    # switch
    Case("switch", (Switch,), [(_t("bool", 1), np.array([True, False, True])), (_t("float32", 1), V3.astype("f4")),
                               (_t("int32", 0), np.int32(7))],
         lambda c, a, b: T.switch(c, a, b), lambda c, a, b: np.where(c, a, b).astype("float64")),
    Case("switch-int-cond", (Switch,), [(_t("int64", 2), I34), (_t("float64", 2), A)],
         lambda c, a: T.switch(c, a, -a), lambda c, a: np.where(c != 0, a, -a)),
    Case("clip", (Elemwise,), [(_t("float64", 2), A)], lambda x: T.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    # shapes
    Case("dimshuffle", (DimShuffle,), [(_t("float64", 3), C3)], lambda x: x.dimshuffle(2, "x", 0, 1),
         lambda x: x.transpose(2, 0, 1)[:, None]),
    Case("dimshuffle-drop", (DimShuffle,), [(TensorType("int32", (True, False, True)), np.ones((1, 4, 1), "int32"))],
         lambda x: x.dimshuffle(1), lambda x: x.reshape(4)),
    Case("shape", (Shape,), [(_t("float64", 3), np.zeros((2, 0, 5)))], lambda x: x.shape,
         lambda x: np.array(x.shape, "int64")),
    Case("specify_shape", (shape.SpecifyShape,), [(_t("float64", 3), C3)], lambda x: T.specify_shape(x, (2, 3, 4)),
         lambda x: x),
    Case("reshape", (Reshape,), [(_t("float64", 3), C3)], lambda x: x.reshape((4, -1)), lambda x: x.reshape(4, -1)),
    Case("reshape-symbolic", (Reshape,), [(_t("float64", 3), C3)], lambda x: x.reshape((x.shape[2], x.shape[0], -1)),
         lambda x: x.reshape(4, 2, -1)),
    Case("reshape-empty", (Reshape,), [(_t("float64", 2), np.zeros((0, 4)))], lambda x: x.reshape((2, 0, 2)),
         lambda x: x.reshape(2, 0, 2)),
    Case("flatten", (Reshape,), [(_t("int64", 3), np.arange(24).reshape(2, 3, 4))], lambda x: x.flatten(2),
         lambda x: x.reshape(2, 12)),
    Case("subtensor", (Subtensor,), [(_t("float64", 3), C3)], lambda x: x[::-1, 1:, ::2],
         lambda x: x[::-1, 1:, ::2]),
    Case("subtensor-empty", (Subtensor,), [(_t("float64", 2), A)], lambda x: x[5:, 2:1], lambda x: x[5:, 2:1]),
    Case("subtensor-symbolic", (Subtensor,), [(_t("float64", 2), A), (_t("int32", 0), np.int32(1))],
         lambda x, i: x[i:, :-i], lambda x, i: x[i:, :-i]),
    Case("index", (IndexOp,), [(_t("float64", 3), C3), (_t("int64", 0), np.int64(-1))], lambda x, i: x[1, i],
         lambda x, i: x[1, i]),
    Case("advanced-subtensor", (advanced.AdvancedSubtensor1, advanced.AdvancedSubtensor),
         [(_t("float64", 3), C3), (_t("int32", 1), np.array([1, -1, 0, 1], "int32"))],
         lambda x, i: [x[i], x[i, [2, 0, -1, 2]], x[:, i[:2]], x.take(i, axis=2)],
         lambda x, i: [x[i], x[i, [2, 0, -1, 2]], x[:, i[:2]], x.take(i, axis=2)]),
    Case("advanced-inc-subtensor", (advanced.AdvancedIncSubtensor1, advanced.AdvancedIncSubtensor),
         [(_t("float64", 2), A), (_t("int64", 1), np.array([2, 0, 2])), (_t("float64", 1), V3)],
         lambda x, i, y: [T.inc_subtensor(x[i], y[:, None]), T.set_subtensor(x[i, [1, 1, -1]], y)],
         lambda x, i, y: [_add_at(x, i, y[:, None]), _set_at(x, (i, [1, 1, -1]), y)]),
    Case("join", (Join,), [(_t("float64", 2), A), (_t("int32", 2), I34.astype("int32"))],
         lambda a, b: T.concatenate([a, b, a], axis=1), lambda a, b: np.concatenate([a, b, a], axis=1)),
    Case("stack", (Join,), [(_t("float32", 1), V3.astype("f4")), (_t("float32", 1), V3.astype("f4") * 2)],
         lambda a, b: T.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1)),
    Case("stack-scalars", (Join,), [(_t("int64", 0), np.int64(3)), (_t("int64", 0), np.int64(-1))],
         lambda a, b: T.stack([a, b]), lambda a, b: np.stack([a, b])),
    # contractions
    Case("dot-mm", (Dot,), [(_t("float64", 2), A), (_t("float64", 2), B)], T.dot, np.dot),
    Case("dot-mv", (Dot,), [(_t("float32", 2), A.astype("f4")), (_t("float32", 1), V4.astype("f4"))], T.dot,
         lambda a, b: np.dot(a, b), tol=1e-5),
    Case("dot-vm", (Dot,), [(_t("float64", 1), V4), (_t("float64", 2), B)], T.dot, np.dot),
    Case("dot-vv", (Dot,), [(_t("float64", 1), V4), (_t("float64", 1), V4)], T.dot, np.dot),
    Case("dot-int", (Dot,), [(_t("int32", 2), I34.astype("int32")), (_t("int64", 2), I34.T.copy())], T.dot, np.dot),
    Case("dot-mixed", (Dot,), [(_t("float32", 2), A.astype("f4")), (_t("float64", 1), V4)], T.dot,
         lambda a, b: np.dot(a.astype("f8"), b)),
    Case("dot-empty", (Dot,), [(_t("float64", 2), np.zeros((3, 0))), (_t("float64", 2), np.zeros((0, 2)))], T.dot,
         np.dot),
    Case("tensordot", (Dot,), [(_t("float64", 3), C3), (_t("float64", 2), B)],
         lambda a, b: T.tensordot(a, b, [[2], [0]]), lambda a, b: np.tensordot(a, b, [[2], [0]])),
    Case("tensordot-int-axes", (Dot,), [(_t("float64", 3), C3), (_t("float64", 3), C3)],
         lambda a, b: T.tensordot(a, b, [[1, 2], [1, 2]]), lambda a, b: np.tensordot(a, b, [[1, 2], [1, 2]])),
    Case("outer", (Dot,), [(_t("float64", 1), V3), (_t("float64", 1), V4)], T.outer, np.outer),
    Case("batched_dot", (Elemwise,), [(_t("float64", 3), C3), (_t("float64", 3), C3.transpose(0, 2, 1).copy())],
         T.batched_dot, lambda a, b: np.einsum("bij,bjk->bik", a, b)),
    # creation
    Case("alloc", (Alloc,), [(_t("float64", 1), V3), (_t("int64", 0), np.int64(2))],
         lambda v, n: T.alloc(v, n, 3), lambda v, n: np.broadcast_to(v, (2, 3))),
    Case("zeros-ones", (Alloc,), [(_t("int32", 0), np.int32(3))],
         lambda n: [T.zeros((n, 2)), T.ones((2, n), dtype="int8")],
         lambda n: [np.zeros((3, 2)), np.ones((2, 3), "int8")]),
    Case("zeros_like-ones_like-fill", (Alloc,), [(_t("float32", 2), A.astype("f4"))],
         lambda x: [T.zeros_like(x), T.ones_like(x, dtype="int64"), T.fill(x, 3.0), T.full_like(x, 2)],
         lambda x: [np.zeros_like(x), np.ones_like(x, "int64"), np.full(x.shape, 3.0, "float32"),
                    np.full_like(x, 2)]),
    Case("alloc-empty", (Alloc,), [(_t("int64", 0), np.int64(0))], lambda n: T.zeros((n, 4)),
         lambda n: np.zeros((0, 4))),
    Case("arange", (ARange,), [(_t("int32", 0), np.int32(2)), (_t("int64", 0), np.int64(11))],
         lambda a, b: [T.arange(a, b, 3), T.arange(b, a, -2), T.arange(b, a)],
         lambda a, b: [np.arange(a, b, 3, "int64"), np.arange(b, a, -2, "int64"), np.arange(b, a, dtype="int64")]),
    Case("arange-float", (ARange,), [(_t("float64", 0), np.float64(0.5))], lambda s: T.arange(0.0, 2.0, s),
         lambda s: np.arange(0.0, 2.0, s)),
    Case("eye", (Eye,), [(_t("int64", 0), np.int64(3))], lambda n: [T.eye(n), T.eye(n, n + 1, 1, dtype="int32")],
         lambda n: [np.eye(3), np.eye(3, 4, 1, dtype="int32")]),
    # nnet
    Case("softmax", (Softmax,), [(_t("float64", 2), A * 50)], nnet.softmax, _softmax),
    Case("softmax-axis0", (Softmax,), [(_t("float32", 2), A.astype("f4"))], lambda x: nnet.softmax(x, axis=0),
         lambda x: _softmax(x.T).T, tol=1e-6),
    Case("log_softmax", (nnet.LogSoftmax,), [(_t("float64", 2), A * 300)], nnet.log_softmax,
         lambda x: x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True))),
    Case("softmax-int", (Softmax,), [(_t("int32", 1), np.array([1, 2, 3], "int32"))], nnet.softmax,
         lambda x: _softmax(x.astype("float64"))),
    Case("relu-elu-selu", (Elemwise,), [(_t("float64", 1), V4)],
         lambda x: [nnet.relu(x), nnet.relu(x, 0.1), nnet.elu(x), nnet.softsign(x), nnet.hard_sigmoid(x)],
         lambda x: [np.maximum(x, 0), np.where(x > 0, x, 0.1 * x), np.where(x > 0, x, np.expm1(x)),
                    x / (1 + np.abs(x)), np.clip(0.2 * x + 0.5, 0, 1)]),
    Case("crossentropies", (Elemwise,), [(_t("float64", 2), sps.expit(A)), (_t("float64", 2), (A > 0) * 1.0)],
         lambda o, t: [nnet.binary_crossentropy(o, t), nnet.categorical_crossentropy(o, t),
                       nnet.sigmoid_binary_crossentropy(T.log(o / (1 - o)), t)],
         lambda o, t: [-(t * np.log(o) + (1 - t) * np.log(1 - o)), -(t * np.log(o)).sum(axis=-1),
                       -(t * np.log(o) + (1 - t) * np.log(1 - o))]),
    # Theano's op classes mlc builds from other ops (mlc.tensor.opclass), and its Assert
    Case("alloc-diag", (Join,), [(_t("int32", 2), (A * 4).astype("int32"))],
         lambda x: [T.AllocDiag(1)(x), T.AllocDiag(-1, 2, 0)(x)],
         lambda x: [np.moveaxis(np.stack([np.diag(r, 1) for r in x]), 0, 2),
                    np.moveaxis(np.stack([np.diag(r, -1) for r in x]), 0, 1)]),
    Case("softmax-grad", (Softmax,), [(_t("float64", 2), A), (_t("float64", 2), A[::-1])],
         lambda dy, z: nnet.SoftmaxGrad()(dy, nnet.softmax(z)),
         lambda dy, z: dy * _softmax(z) - (dy * _softmax(z)).sum(-1, keepdims=True) * _softmax(z)),
    Case("prepend-to-each-row", (Join,), [(_t("float32", 2), A.astype("float32"))],
         lambda x: [nnet.prepend_1_to_each_row(x), nnet.prepend_scalar_to_each_row(2.5, x)],
         lambda x: [np.hstack([np.ones((3, 1), "float32"), x]), np.hstack([np.full((3, 1), 2.5, "float32"), x])]),
    Case("assert", (compose.Assert,), [(_t("float64", 2), A)], lambda x: compose.Assert("never")(x, T.all(x < 9)) * 2,
         lambda x: x * 2),
]


def _op_classes() -> set[type]:
    found = set()
    for module in (elemwise, reduce, shape, contract, alloc, nnet, advanced):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Op) and cls is not Op and cls.__module__ == module.__name__:
                found.add(cls)
    return found


def test_every_op_class_has_a_case():
    covered = {op for case in OTHER_CASES for op in case.ops}
    missing = sorted(c.__name__ for c in _op_classes() - covered)
    assert not missing, f"add cases to OTHER_CASES for {missing}"


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda c: c.id)
def test_op_against_numpy(case):
    check_other_case(case, "REFERENCE")


def check_other_case(case, mode):
    inputs = [t(f"in{k}") for k, (t, _) in enumerate(case.inputs)]
    data = [np.asarray(v) for _, v in case.inputs]
    outs = case.build(*inputs)
    single = not isinstance(outs, list)
    outs = [outs] if single else outs
    used = {type(n.op) for n in mlc.graph.toposort(outs)}
    assert used & set(case.ops), f"the graph does not use {case.ops}: {used}"
    got = compile_ref(inputs, outs, mode)(*data)
    want = case.numpy(*data)
    want = [want] if single else want
    for g, w, o in zip(got, want, outs):
        w = np.asarray(w)
        assert g.shape == w.shape, (case.id, g.shape, w.shape)
        assert g.dtype == np.dtype(o.dtype)
        if case.id.startswith(("sum", "prod", "max", "min", "any", "all")) and "empty" not in case.id:
            assert g.dtype == w.dtype or o.dtype in ("int64", "float32"), (g.dtype, w.dtype)
        if g.dtype.kind == "f":
            np.testing.assert_allclose(g, w.astype(g.dtype), rtol=max(case.tol, 1e-12), atol=case.tol)
        else:
            np.testing.assert_array_equal(g, w)


# ----------------------------------------------------------------------------
# Shapes and axes, explored
# ----------------------------------------------------------------------------

SHAPES = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@given(shp=SHAPES, data=st.data())
@HYPOTHESIS
def test_reductions_over_random_axes(shp, data):
    kind = data.draw(st.sampled_from(["sum", "prod", "any", "all", "mean", "max"]))
    dtype = data.draw(st.sampled_from(["float64", "int32", "bool"]))
    if kind == "mean" and dtype == "bool":
        dtype = "int32"
    axes = data.draw(st.lists(st.integers(0, max(len(shp) - 1, 0)), unique=True, max_size=len(shp))
                     if shp else st.just([]))
    axis = tuple(axes) if axes else None
    keepdims = data.draw(st.booleans())
    x = TensorType(dtype, (False,) * len(shp))("x")
    value = values(dtype, shp, np.random.default_rng(len(shp)))
    out = getattr(x, kind)(axis=axis, keepdims=keepdims)
    f = compile_ref([x], out)
    reduced = range(len(shp)) if axis is None else axis
    if kind == "max" and any(shp[a] == 0 for a in reduced) and (dtype != "bool"):
        with pytest.raises(ValueError, match="empty|identity"):
            f(value)
        return
    if kind == "max" and dtype == "bool":
        return
    got = f(value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: "Mean of empty slice"
        want = getattr(np, kind)(value, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


@given(shp=SHAPES, data=st.data())
@HYPOTHESIS
def test_dimshuffle_and_reshape_random(shp, data):
    perm = data.draw(st.permutations(range(len(shp))))
    x = TensorType("int64", (False,) * len(shp))("x")
    value = np.arange(int(np.prod(shp)), dtype="int64").reshape(shp)
    t = x.dimshuffle(*perm)
    r = t.flatten()
    f = compile_ref([x], [t, r])
    got_t, got_r = f(value)
    np.testing.assert_array_equal(got_t, value.transpose(perm))
    np.testing.assert_array_equal(got_r, value.transpose(perm).ravel())


@given(data=st.data())
@HYPOTHESIS
def test_slicing_random(data):
    shp = data.draw(st.lists(st.integers(0, 6), min_size=1, max_size=3).map(tuple))
    bound = st.one_of(st.none(), st.integers(-8, 8))
    step = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))
    index = tuple(slice(data.draw(bound), data.draw(bound), data.draw(step)) for _ in shp)
    x = TensorType("float64", (False,) * len(shp))("x")
    value = np.random.default_rng(0).random(shp)
    got = compile_ref([x], x[index])(value)
    np.testing.assert_array_equal(got, value[index])
