"""Gradients: every rule against finite differences, the driver's contract, jacobian/hessian, emission.

Each elementwise row of SCALARS is checked by walking the table (a new row
is tested by being added), the other ops by case, with `verify_grad` in
float64 over several shapes including broadcasting. Functions are built
with `mode=MODE` (MLC_TEST_MODE, default REFERENCE) so the same checks run
natively when the pipeline is complete. The emission tests run each
gradient graph through `emit_function` and mt's numpy interpreter and
compare with the graph's reference program.
"""

from __future__ import annotations

import inspect
import os
import warnings
import zlib

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.function import FunctionGraph, ShapePlan
from mlc.compile.reference import ReferenceProgram
from mlc.dialects.mt.reference import parse_mt, run_mt
from mlc.gradient import (
    DisconnectedInputError,
    GradientError,
    Lop,
    NullTypeGradError,
    Rop,
    consider_constant,
    disconnected_grad,
    grad,
    grad_clip,
    grad_scale,
    hessian,
    jacobian,
    numeric_grad,
    verify_grad,
    zero_grad,
)
from mlc.graph import Apply, GraphError, Op, TensorType
from mlc.lowering.emit import emit_function
from mlc.tensor import alloc, contract, elemwise, nnet, reduce, shape, subtensor
from mlc.tensor.elemwise import SCALARS, apply_elemwise

MODE = os.environ.get("MLC_TEST_MODE", "REFERENCE")


def fn(ins, outs, **kw):
    return mlc.function(ins, outs, mode=MODE, on_unused_input="ignore", **kw)


def check_grad(f, *pt, seed=0, **kw):
    verify_grad(f, [np.asarray(p, dtype="float64") for p in pt], rng=np.random.default_rng(seed), mode=MODE, **kw)


# ----------------------------------------------------------------------------
# Elementwise: walk SCALARS
# ----------------------------------------------------------------------------

# inputs where each op is smooth, as (low, high) per argument
_DOMAIN = {
    "log": [(0.5, 2)],
    "log2": [(0.5, 2)],
    "log10": [(0.5, 2)],
    "sqrt": [(0.5, 2)],
    "log1p": [(-0.5, 2)],
    "arccosh": [(1.5, 3)],
    "arcsin": [(-0.8, 0.8)],
    "arccos": [(-0.8, 0.8)],
    "arctanh": [(-0.8, 0.8)],
    "erfinv": [(-0.8, 0.8)],
    "inv": [(0.5, 2)],
    "true_div": [(-2, 2), (0.5, 2)],
    "pow": [(0.5, 2), (-2, 2)],
    "mod": [(0.2, 0.8), (1.5, 2)],
    "tan": [(-1, 1)],
    "gammaln": [(0.5, 2)],
    "psi": [(0.5, 2)],
    "gamma": [(0.5, 2)],
    "erfcinv": [(0.2, 1.8)],
    "jv": [(0.5, 2), (0.5, 2)],
    "iv": [(0.5, 2), (0.5, 2)],
    "gammainc": [(0.5, 2), (0.5, 2)],
    "gammaincc": [(0.5, 2), (0.5, 2)],
    "erfcx": [(-1, 2)],
}
# inputs whose gradient the op leaves undefined (a Bessel function's order; tri_gamma's polygamma(2, x)):
# the finite-difference checks hold them constant
_UNDEFINED = {"jv": {0}, "iv": {0}, "tri_gamma": {0}, "gammainc": {0}, "gammaincc": {0}}
_SHAPES = {1: [[()], [(3,)], [(2, 3)]], 2: [[(2, 3), (2, 3)], [(2, 3), (1, 3)], [(2, 3), ()], [(3, 1), (1, 4)]]}
# (a complex result, `complex` of two reals, is checked through real costs in test_complex.py)
_DIFFERENTIABLE = sorted(n for n, s in SCALARS.items() if callable(s.grad) and "float64" in s.accepts
                         and len(_UNDEFINED.get(n, ())) < s.nin and s.out_dtype(*["float64"] * s.nin) != "complex128")
_PIECEWISE_CONSTANT = sorted(n for n, s in SCALARS.items() if s.grad is None)


def _sample(rng, shape, low_high):
    low, high = low_high
    x = rng.uniform(low, high, size=shape)
    return np.where(np.abs(x) < 0.1, x + np.copysign(0.2, x), x)  # away from the kink of abs at 0


def test_every_scalar_op_has_a_gradient_column():
    missing = sorted(n for n, s in SCALARS.items() if s.grad == "missing")
    assert not missing, f"give these SCALARS rows a grad (a rule, or None if piecewise constant): {missing}"


@pytest.mark.parametrize("name", _DIFFERENTIABLE)
def test_elementwise_gradient_matches_finite_differences(name):
    s = SCALARS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    domain = _DOMAIN.get(name, [(-2, 2)] * s.nin)
    fixed = _UNDEFINED.get(name, set())
    for shapes in _SHAPES[s.nin]:
        pt = [_sample(rng, sh, d) for sh, d in zip(shapes, domain)]
        held = {k: T.constant(pt[k]) for k in fixed}
        free = [p for k, p in enumerate(pt) if k not in fixed]

        def f(*xs, held=held):
            it = iter(xs)
            return apply_elemwise(name, *[held[k] if k in held else next(it) for k in range(s.nin)])

        check_grad(f, *free)


def test_undefined_elementwise_gradients_raise():
    x = T.dvector("x")
    for name, inputs in _UNDEFINED.items():
        for k in inputs:
            args = [x if j == k else T.constant(1.5) for j in range(SCALARS[name].nin)]
            with pytest.raises(NullTypeGradError, match=name):
                grad(apply_elemwise(name, *args).sum(), x)


@pytest.mark.parametrize("name", _PIECEWISE_CONSTANT)
def test_piecewise_constant_ops_have_zero_gradients(name):
    s = SCALARS[name]
    dtype = "float64" if "float64" in s.accepts else "int32"
    xs = [T.TensorType(dtype, (False,))(f"x{k}") for k in range(s.nin)]
    out = apply_elemwise(name, *xs)
    cost = T.cast(out, "float64").sum() if out.dtype != "float64" else out.sum()
    gs = grad(cost, xs)
    assert all(g.dtype == ("float64" if dtype == "float64" else mlc.config.floatX) for g in gs)
    args = [np.arange(1, 4).astype(dtype) for _ in xs]
    for g in fn(xs, gs)(*args):
        np.testing.assert_array_equal(g, np.zeros(3))


# ----------------------------------------------------------------------------
# Other ops, by family
# ----------------------------------------------------------------------------

R = np.random.default_rng(1)
A34 = R.uniform(-1, 1, (3, 4))
B42 = R.uniform(-1, 1, (4, 2))
V3, V4 = R.uniform(-1, 1, 3), R.uniform(-1, 1, 4)
C234 = R.uniform(-1, 1, (2, 3, 4))

GRAD_CASES = [
    # reductions, with axes and keepdims
    ("sum", lambda a: a.sum(), [C234]),
    ("sum-axis", lambda a: a.sum(axis=1), [C234]),
    ("sum-axes-keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), [C234]),
    ("sum-of-row", lambda a: a.sum(axis=0), [A34[:1]]),
    ("mean", lambda a: a.mean(axis=-1), [C234]),
    ("var", lambda a: a.var(axis=0), [A34]),
    ("std", lambda a: a.std(), [A34]),
    ("prod", lambda a: a.prod(axis=1), [A34]),
    ("prod-all", lambda a: a.prod(), [A34]),
    ("prod-with-zeros", lambda a: a.prod(axis=1), [np.array([[1.5, 0, 2], [0, 0, 3], [1, 2, 3], [0, -2, 0.5]])]),
    ("max", lambda a: a.max(axis=1), [A34]),
    ("max-all", lambda a: a.max(), [A34]),
    ("min", lambda a: a.min(axis=(0, 2)), [C234]),
    # contractions
    ("dot-mm", T.dot, [A34, B42]),
    ("dot-mv", T.dot, [A34, V4]),
    ("dot-vm", T.dot, [V4, B42]),
    ("dot-vv", T.dot, [V4, V4 + 1]),
    ("dot-row-col", T.dot, [A34[:1], B42[:, :1]]),
    ("tensordot", lambda a, b: T.tensordot(a, b, [[1, 2], [0, 1]]), [C234, R.uniform(-1, 1, (3, 4, 2))]),
    ("tensordot-int", lambda a, b: T.tensordot(a, b, 1), [C234, B42]),
    ("outer", T.outer, [V3, V4]),
    ("batched-dot", T.batched_dot, [C234, R.uniform(-1, 1, (2, 4, 2))]),
    ("matmul-3d", lambda a, b: T.dot(a, b), [C234, B42]),
    # shapes
    ("dimshuffle", lambda a: a.dimshuffle(2, "x", 0, 1), [C234]),
    ("transpose", lambda a: a.T * 1.5, [A34]),
    ("dimshuffle-drop", lambda a: a.dimshuffle(1), [A34[:1]]),
    ("reshape", lambda a: a.reshape((4, 3)), [A34]),
    ("reshape-minus-one", lambda a: a.reshape((2, -1, 2)), [C234]),
    ("flatten", lambda a: a.flatten(), [C234]),
    ("flatten-2", lambda a: a.flatten(2), [C234]),
    ("squeeze-row", lambda a: a.squeeze() * 2, [A34[:1]]),
    # indexing
    ("slice", lambda a: a[1:, ::-2], [A34]),
    ("slice-negative-step", lambda a: a[::-1, 3:0:-2, 1:], [C234]),
    ("index", lambda a: a[1], [A34]),
    ("index-negative", lambda a: a[:, -1], [C234]),
    ("index-and-slice", lambda a: a[1:, 2, None], [C234]),
    ("newaxis", lambda a: a[None, :, None] * 2, [V4]),
    ("set-subtensor", lambda a, b: T.set_subtensor(a[1:, ::2], b), [A34, R.uniform(-1, 1, (2, 2))]),
    ("inc-subtensor-broadcast", lambda a, b: T.inc_subtensor(a[:, 1:3], b), [A34, R.uniform(-1, 1, (1, 2))]),
    ("set-index", lambda a, b: T.set_subtensor(a[:, 1, :], b), [C234, R.uniform(-1, 1, (2, 4))]),
    ("inc-index-scalar", lambda a, b: T.inc_subtensor(a[2], b), [V4, np.float64(0.7)]),
    ("set-nested", lambda a, b: T.set_subtensor(a[1:, 0, None], b), [C234, R.uniform(-1, 1, (1, 4))]),
    # join and stack
    ("concatenate", lambda a, b: T.concatenate([a, b, a], axis=1), [A34, R.uniform(-1, 1, (3, 2))]),
    ("concatenate-0", lambda a, b: T.concatenate([a, b]), [V3, V4]),
    ("stack", lambda a, b: T.stack([a, b], axis=1), [V4, V4 * 2]),
    ("join-row", lambda a, b: T.join(0, a, b), [A34[:1], A34]),
    # selection and clipping
    ("switch", lambda a, b: T.switch(a > 0, a * b, b), [A34, R.uniform(-1, 1, (1, 4))]),
    ("clip", lambda a: T.clip(a, -0.5, 0.5), [A34]),
    ("maximum-broadcast", T.maximum, [A34, V4]),
    ("minimum-scalar", lambda a: T.minimum(a, 0.1), [A34]),
    ("relu", lambda a: T.nnet.relu(a, 0.1), [A34]),
    ("abs-norm", lambda a: a.norm(2, axis=1), [A34]),
    # casts
    (
        "cast-f32-roundtrip",
        lambda a: T.cast(T.cast(a, "float32") * 3, "float64"),
        [A34],
        {"eps": 1e-3, "abs_tol": 1e-3, "rel_tol": 1e-3},
    ),  # the float32 values round: a coarser step
    ("cast-int-is-zero", lambda a: T.cast(T.cast(a * 10, "int32"), "float64") + a, [A34]),
    # creation
    ("alloc", lambda a: T.alloc(a, 2, 3, 4), [V4]),
    ("alloc-row", lambda a: T.alloc(a, 3, 4), [A34[:1]]),
    ("fill", lambda a, b: T.fill(a, b), [A34, np.float64(2.0)]),
    ("zeros-like-plus", lambda a: T.zeros_like(a) + a * a, [A34]),
    ("arange-values", lambda a: a * T.arange(4), [A34]),
    # nnet
    ("softmax", T.nnet.softmax, [A34]),
    ("softmax-axis0", lambda a: T.nnet.softmax(a, axis=0), [A34]),
    ("log-softmax", T.nnet.log_softmax, [A34]),
    ("softmax-3d", T.nnet.softmax, [C234]),
    ("sigmoid", T.nnet.sigmoid, [A34]),
    ("softplus", T.nnet.softplus, [A34 * 5]),
    ("binary-crossentropy", lambda a, t: T.nnet.binary_crossentropy(T.nnet.sigmoid(a), t), [A34, A34 * 0 + 0.3]),
    (
        "categorical-crossentropy",
        lambda a, t: T.nnet.categorical_crossentropy(T.nnet.softmax(a), t),
        [A34, np.eye(3, 4)],
    ),
    # a small network: the logistic regression loss
    (
        "logistic-loss",
        lambda x, w, b: (-T.log(1 / (1 + T.exp(-T.dot(x, w) - b)))).mean() + 0.01 * (w**2).sum(),
        [A34, V4, np.float64(0.1)],
    ),
    # Theano's op classes built from other ops
    ("alloc-diag", lambda a: T.AllocDiag(-1, 1, 0)(a) * 1.5, [A34[:2]]),
    ("softmax-grad", lambda dy, a: T.nnet.softmax_grad(dy, T.nnet.softmax(a)), [A34, A34 * 0.5]),
    ("prepend-scalar", lambda s, a: T.nnet.prepend_scalar_to_each_row(s, a) ** 2, [np.float64(0.3), A34]),
    # helpers with special gradients still pass the value through
    ("grad-clip-and-scale", lambda a: grad_clip(a, -9, 9) * 2 + grad_scale(a, 1.0), [A34]),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: c[0])
def test_op_gradient_matches_finite_differences(case):
    _, f, pt, *options = case
    check_grad(f, *pt, **(options[0] if options else {}))


def _op_classes() -> set[type]:
    found = set()
    for module in (elemwise, reduce, shape, contract, alloc, nnet, subtensor):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Op) and cls is not Op and cls.__module__ == module.__name__:
                found.add(cls)
    return found


# ops whose outputs carry no gradient: integer results, or only shapes
_NOT_DIFFERENTIABLE = {"Argmax", "Shape", "Eye", "ARange"}


def test_every_op_class_has_gradient_and_batching_rules():
    missing_grad, missing_batch = [], []
    for cls in _op_classes():
        if cls.__name__ in _NOT_DIFFERENTIABLE:
            continue
        if "grad" not in cls.__dict__ and "L_op" not in cls.__dict__:
            missing_grad.append(cls.__name__)
        if "batch" not in cls.__dict__:
            missing_batch.append(cls.__name__)
    assert not missing_grad, f"give these ops a grad (or L_op) rule and a GRAD_CASES entry: {sorted(missing_grad)}"
    assert not missing_batch, f"give these ops a batch rule (jacobian/hessian need it): {sorted(missing_batch)}"


# ----------------------------------------------------------------------------
# set_subtensor / inc_subtensor values
# ----------------------------------------------------------------------------


def test_set_and_inc_subtensor_values_leave_x_unchanged():
    a, b = T.dmatrix("a"), T.dvector("b")
    i = T.iscalar("i")
    outs = [
        T.set_subtensor(a[1:, ::2], b),
        T.inc_subtensor(a[1:, ::2], b),
        T.set_subtensor(a[i], 5),
        T.inc_subtensor(a[:, i], b[0]),
        T.set_subtensor(a[1:i, 0, None], 7.0),
        T.inc_subtensor(a[None], 1),
        T.set_subtensor(a[-1, 1:3], b),
        a,
    ]
    av, bv = np.arange(12.0).reshape(3, 4), np.array([10.0, 20.0])
    want = [av.copy() for _ in range(7)]
    want[0][1:, ::2] = bv
    want[1][1:, ::2] += bv
    want[2][2] = 5
    want[3][:, 2] += bv[0]
    want[4][1:2, 0] = 7.0
    want[5] += 1
    want[6][-1, 1:3] = bv
    got = fn([a, b, i], outs)(av, bv, 2)
    for k, (g, w) in enumerate(zip(got, want + [av])):
        np.testing.assert_array_equal(g, w, err_msg=f"output {k}")
    np.testing.assert_array_equal(av, np.arange(12.0).reshape(3, 4))


def test_inc_subtensor_errors():
    a, v = T.dmatrix("a"), T.dvector("v")
    with pytest.raises(TypeError, match="without losing precision"):
        T.set_subtensor(T.imatrix("m")[0], v)
    with pytest.raises(GraphError, match="more than the 1"):
        T.set_subtensor(a[0], a)
    # a variable that is not an indexing expression is the whole tensor (x[:] is x itself in mlc)
    np.testing.assert_array_equal(fn([a], T.set_subtensor(a.T, 1.0))(np.zeros((2, 3))), np.ones((3, 2)))
    f = fn([a, v], T.set_subtensor(a[0], v))
    with pytest.raises(ValueError, match=r"does not fit the indexed region of shape \(4,\)"):
        f(np.zeros((3, 4)), np.zeros(3))
    ints = fn([a], T.inc_subtensor(T.cast(a, "int32")[1:], 2))(np.ones((3, 2)))
    assert ints.dtype == np.int32 and ints.tolist() == [[1, 1], [3, 3], [3, 3]]


# ----------------------------------------------------------------------------
# The driver's contract
# ----------------------------------------------------------------------------


def test_tutorial_gradients():
    x = T.dscalar("x")
    assert fn([x], grad(x**2, x))(4) == 8.0
    m = T.dmatrix("m")
    dlogistic = fn([m], grad(T.sum(1 / (1 + T.exp(-m))), m))
    np.testing.assert_allclose(dlogistic([[0, 1], [-1, -2]]), [[0.25, 0.19661193], [0.19661193, 0.10499359]], rtol=1e-7)
    a, b = T.dscalars("a", "b")
    ga, gb = grad(a * b + a**2, [a, b])
    assert fn([a, b], [ga, gb])(3.0, 5.0) == [11.0, 3.0]


def test_wrt_forms_and_names():
    a, b = T.dscalars("a", "b")
    cost = a * b
    cost.name = "cost"
    assert isinstance(grad(cost, [a, b]), list) and isinstance(grad(cost, (a, b)), tuple)
    g = grad(cost, a)
    assert isinstance(g, T.TensorVariable) and g.name == "(dcost/da)"
    assert grad(cost, a, add_names=False).name is None
    with pytest.raises(TypeError, match="not a set"):
        grad(cost, {a, b})


def test_non_scalar_cost_names_the_users_line():
    x = T.dvector("x")
    y = x * 2  # the offending line
    with pytest.raises(TypeError, match=rf"cost must be a scalar.*test_grad.py:{y.loc.lineno}"):
        grad(y, x)


def test_disconnected_input():
    x, z = T.dvector("x"), T.dvector("z")
    cost = (x**2).sum()
    with pytest.raises(DisconnectedInputError, match=r"with respect to z \(.*test_grad.py"):
        grad(cost, [x, z])
    with pytest.raises(DisconnectedInputError):
        grad(cost * z.shape[0], z)  # only its shape is used
    _, gz = grad(cost, [x, z], disconnected_inputs="ignore")
    np.testing.assert_array_equal(fn([x, z], gz)([1.0, 2.0], [3.0, 4.0, 5.0]), np.zeros(3))
    with pytest.warns(UserWarning, match="does not"):
        grad(cost, z, disconnected_inputs="warn")
    assert grad(cost, [x, z], disconnected_inputs="ignore", return_disconnected="None")[1] is None
    with pytest.raises(ValueError, match="disconnected_inputs"):
        grad(cost, x, disconnected_inputs="sometimes")


def test_integer_wrt_and_integer_paths_give_float_zeros():
    i = T.ivector("i")
    x = T.dvector("x")
    gi = grad((i * x).sum(), i)  # Theano: zeros of floatX, not an error
    assert gi.dtype == mlc.config.floatX
    np.testing.assert_array_equal(fn([i, x], gi)([1, 2], [3.0, 4.0]), [0.0, 0.0])
    gx = grad(T.cast(T.argmax(x), "float64") + (x > 0).sum() + T.floor(x).sum(), x)
    np.testing.assert_array_equal(fn([x], gx)([1.5, -2.0]), [0.0, 0.0])
    assert grad(i.sum(), i).dtype == mlc.config.floatX


def test_gradients_keep_the_variables_dtype():
    x = T.fvector("x")
    w = mlc.shared(np.ones(3, dtype="float32"), "w")
    cost = T.sum(T.exp(x * w) / 3.0) + T.sum(T.cast(x, "float64") ** 2)
    gx, gw = grad(cost, [x, w])
    assert gx.dtype == "float32" and gw.dtype == "float32"
    r = fn([x], gx)(np.array([0.0, 1.0, 2.0], dtype="float32"))
    np.testing.assert_allclose(r, np.exp([0.0, 1.0, 2.0]) / 3 + 2 * np.array([0.0, 1.0, 2.0]), rtol=1e-6)
    check_grad(lambda a: T.exp(a) * 2, np.array([0.5, 1.0], dtype="float32"))


def test_broadcast_gradients_are_summed():
    m, r, s = T.dmatrix("m"), T.drow("r"), T.dscalar("s")
    gr, gs = grad(((m + r) * s).sum(), [r, s])
    assert gr.broadcastable == (True, False) and gs.ndim == 0
    got = fn([m, r, s], [gr, gs])(np.arange(6.0).reshape(2, 3), np.ones((1, 3)), 2.0)
    np.testing.assert_allclose(got[0], [[4.0, 4.0, 4.0]])
    np.testing.assert_allclose(got[1], (np.arange(6.0).reshape(2, 3) + 1).sum())


def test_consider_constant_known_grads_and_helpers():
    x, y = T.dscalars("x", "y")
    z = x * y
    cost = z * x
    assert fn([x, y], grad(cost, x, consider_constant=[z]))(2.0, 3.0) == 6.0  # z held fixed
    assert fn([x, y], grad(cost, x))(2.0, 3.0) == 12.0
    assert fn([x, y], grad(None, x, known_grads={z: T.constant(1.0)}))(2.0, 3.0) == 3.0
    assert fn([x, y], grad(zero_grad(x) * x, x))(2.0, 3.0) == 2.0
    assert fn([x, y], grad(consider_constant(x) * x, x))(2.0, 3.0) == 2.0
    assert fn([x, y], consider_constant(x) + zero_grad(y) + disconnected_grad(x))(2.0, 3.0) == 7.0
    assert fn([x, y], grad(grad_clip(x, -1.0, 1.0) * 5, x))(2.0, 3.0) == 1.0
    assert fn([x, y], grad(grad_scale(x, 3.0) * 2, x))(2.0, 3.0) == 6.0
    with pytest.raises(DisconnectedInputError):
        grad(disconnected_grad(x) * y, x)
    assert fn([x, y], grad(disconnected_grad(x) * y + x, x))(2.0, 3.0) == 1.0
    with pytest.raises(ValueError, match="lower bound"):
        grad_clip(x, 1.0, -1.0)


def test_lop_and_rop():
    a, x, v, u = T.dmatrix("a"), T.dvector("x"), T.dvector("v"), T.dvector("u")
    y = T.tanh(T.dot(a, x))
    av, xv, vv, uv = R.uniform(-1, 1, (2, 3)), R.uniform(-1, 1, 3), R.uniform(-1, 1, 3), R.uniform(-1, 1, 2)
    jac = (1 - np.tanh(av @ xv) ** 2)[:, None] * av
    np.testing.assert_allclose(fn([a, x, v], Rop(y, x, v))(av, xv, vv), jac @ vv, rtol=1e-12)
    np.testing.assert_allclose(fn([a, x, u], Lop(y, x, u))(av, xv, uv), uv @ jac, rtol=1e-12)
    np.testing.assert_allclose(fn([a, x, u], T.Lop(y, [x], [u])[0])(av, xv, uv), uv @ jac, rtol=1e-12)
    _, r2 = T.Rop([y, x.sum()], [x], [v])
    np.testing.assert_allclose(fn([a, x, v], r2)(av, xv, vv), vv.sum())
    with pytest.raises(DisconnectedInputError):
        Rop(a.sum(), x, v)


class _WrongDouble(Op):
    """2 * x with a wrong gradient rule (g instead of 2 g): verify_grad must catch it."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [2 * inputs[0]]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


def test_verify_grad_catches_a_wrong_rule():
    with pytest.raises(GradientError) as info:
        check_grad(_WrongDouble(), np.array([1.0, 2.0]))
    assert info.value.abs_err > 0.5 and verify_grad.E_grad is GradientError
    assert "analytic" in str(info.value)
    with pytest.raises(TypeError, match="floating point"):
        verify_grad(T.exp, [np.array([1, 2])], rng=np.random.default_rng(0))
    check_grad(lambda x: x * 2, np.array([1.0, 2.0]), n_tests=3, abs_tol=1e-6, rel_tol=1e-6)
    ng = numeric_grad(lambda p: np.sum(p**3), [np.array([1.0, 2.0])])
    np.testing.assert_allclose(ng.gf[0], [3.0, 12.0], rtol=1e-6)


# ----------------------------------------------------------------------------
# Jacobian, Hessian, second derivatives
# ----------------------------------------------------------------------------


def _fd_jacobian(f, x, eps=1e-6):
    cols = []
    for k in range(x.size):
        d = np.zeros_like(x)
        d.flat[k] = eps
        cols.append((np.asarray(f(x + d)) - np.asarray(f(x - d))) / (2 * eps))
    return np.stack(cols, axis=-1).reshape(np.shape(f(x)) + x.shape)


def test_tutorial_jacobian_and_hessian():
    x = T.dvector("x")
    y = x**2
    np.testing.assert_allclose(fn([x], jacobian(y, x))([4, 4]), [[8.0, 0.0], [0.0, 8.0]])
    np.testing.assert_allclose(fn([x], hessian(y.sum(), x))([4, 4]), [[2.0, 0.0], [0.0, 2.0]])


SECOND_ORDER = [
    ("exp-log", lambda x: (T.exp(x) * T.log(x * x + 1)).sum()),
    ("dot-tanh", lambda x: T.tanh(T.dot(np.arange(12.0).reshape(3, 4) / 10, x)).sum()),
    ("prod", lambda x: x.prod()),
    ("softmax-entropy", lambda x: -(T.nnet.softmax(x) * T.nnet.log_softmax(x)).sum()),
    ("max-sqr", lambda x: x.max() ** 2 + (x**3).sum()),
    ("slices", lambda x: (x[1:] * x[:-1]).sum() + T.concatenate([x, x[::-1]]).prod()),
    ("set-subtensor", lambda x: (T.set_subtensor(x[1:3], x[:2] ** 2) ** 2).sum()),
    ("sigmoid-pow", lambda x: (T.nnet.sigmoid(x) ** 3 / (1 + x * x)).mean()),
    ("switch-reshape", lambda x: T.switch(x > 0, x**3, -x).reshape((x.shape[0], 1)).sum()),
]


@pytest.mark.parametrize("case", SECOND_ORDER, ids=lambda c: c[0])
def test_hessian_matches_finite_differences_of_the_gradient(case):
    _, f = case
    x = T.dvector("x")
    cost = f(x)
    g = fn([x], grad(cost, x))
    h = fn([x], hessian(cost, x))
    pt = np.array([0.3, -0.7, 1.1, 0.5])
    np.testing.assert_allclose(h(pt), _fd_jacobian(g, pt), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: c[0])
def test_jacobian_matches_finite_differences(case):
    """Every op's batching rule, through the vectorized Jacobian of each gradient case."""
    _, f, pt, *options = case
    pt = [np.asarray(p, dtype="float64") for p in pt]
    ins = [TensorType("float64", [n == 1 for n in p.shape])(f"in{k}") for k, p in enumerate(pt)]
    out = f(*ins).flatten() if f(*ins).ndim != 1 else f(*ins)
    got = fn(ins, jacobian(out, ins, disconnected_inputs="ignore"))(*pt)
    value = fn(ins, out)
    eps = options[0]["eps"] if options else 1e-6
    for k, p in enumerate(pt):
        want = _fd_jacobian(lambda v, k=k: value(*pt[:k], v, *pt[k + 1 :]), p, eps)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=100 * eps)


def test_jacobian_of_vectors_and_lists():
    x, a = T.dvector("x"), T.dmatrix("a")
    y = T.nnet.softmax(T.dot(a, x)) * x.sum()
    jx, ja = jacobian(y, [x, a])
    av, xv = R.uniform(-1, 1, (3, 3)), R.uniform(-1, 1, 3)
    fy = fn([a, x], y)
    gx, ga = fn([a, x], [jx, ja])(av, xv)
    np.testing.assert_allclose(gx, _fd_jacobian(lambda p: fy(av, p), xv), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ga, _fd_jacobian(lambda p: fy(p, xv), av), rtol=1e-6, atol=1e-8)
    z = T.dvector("z")
    jz = jacobian(x * 2, z, disconnected_inputs="ignore")
    assert fn([x, z], jz)([1.0, 2.0], [1.0, 2.0, 3.0]).shape == (2, 3)
    assert fn([x], jacobian((x**2).sum(), x))([1.0, 2.0]).tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match="vector"):
        jacobian(a, x)
    with pytest.raises(TypeError, match="vectors"):
        hessian(a.sum(), a)


# ----------------------------------------------------------------------------
# Emission: gradient graphs emit to mt that means what the graph means
# ----------------------------------------------------------------------------


def check_emits(ins, outs, *args):
    fg = FunctionGraph(list(ins), list(outs), [], {}, "ignore")
    m = emit_function(fg)
    m.verify()
    assert str(parse_mt(str(m))) == str(m)
    arrays = [v.type.filter(a) for v, a in zip(fg.inputs, args)]
    want = ReferenceProgram(fg).run(arrays, ShapePlan(fg).result_shapes(arrays))
    got = run_mt(m, *arrays)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
    return m


def test_every_elementwise_gradient_emits():
    xs = [T.dmatrix("a"), T.drow("b")]
    rng = np.random.default_rng(2)
    args = [rng.uniform(0.6, 0.9, (2, 3)), rng.uniform(1.2, 1.4, (1, 3))]
    cost = 0
    for name in _DIFFERENTIABLE:  # a in (0.6, 0.9) suits every domain but arccosh's; b > 1
        ins = xs if SCALARS[name].nin == 2 else [xs[1] if name == "arccosh" else xs[0]]
        ins = [T.constant(1.5) if k in _UNDEFINED.get(name, ()) else v for k, v in enumerate(ins)]
        cost = cost + apply_elemwise(name, *ins).sum()
    check_emits(xs, grad(cost, xs), *args)


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: c[0])
def test_gradient_graphs_emit(case):
    _, f, pt, *_ = case
    ins = [TensorType("float64", [n == 1 for n in np.shape(p)])(f"in{k}") for k, p in enumerate(pt)]
    out = f(*ins)
    proj = np.random.default_rng(3).uniform(0.5, 1.5, size=fn(ins, out)(*pt).shape)
    check_emits(ins, grad((out * proj).sum(), ins, disconnected_inputs="ignore"), *pt)


def test_jacobian_and_hessian_graphs_emit():
    x, a = T.dvector("x"), T.dmatrix("a")
    cost = (T.nnet.sigmoid(T.dot(a, x)) ** 2).sum() + T.set_subtensor(x[1:], x[:-1] * 3).prod()
    m = check_emits(
        [a, x],
        [hessian(cost, x), jacobian(T.dot(a, x) * x[0], [x, a])[1]],
        R.uniform(-1, 1, (3, 3)),
        R.uniform(-1, 1, 3),
    )
    text = str(m)
    assert "mt.eye" in text and "mt.insert_slice" in text


def test_grad_of_logistic_loss_is_an_ordinary_graph():
    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = mlc.shared(np.zeros(4), "w"), mlc.shared(0.0, "b")
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    cost = (-y * T.log(p) - (1 - y) * T.log(1 - p)).mean() + 0.01 * (w**2).sum()
    gw, gb = grad(cost, [w, b])
    train = fn([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
    xv = R.uniform(-1, 1, (20, 4))
    yv = (xv @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype("float64")
    first = train(xv, yv)
    for _ in range(30):
        last = train(xv, yv)
    assert last < first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emit_function(FunctionGraph([x, y], [gw, gb], [], {}, "ignore")).verify()
