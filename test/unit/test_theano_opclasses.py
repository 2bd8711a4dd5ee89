"""Theano 1.0.5 names served by mlc: Op classes by name, the gradient helpers, compile helpers and fixes.

Each name against numpy (values, dtypes, shapes incl. 0-d/empty), gradients
against finite differences; references written from Theano's `perform`.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import (NullTypeGradError, UndefinedGrad, consider_constant_, disconnected_grad_, mode_not_slow,
                          undefined_grad, verify_grad, zero_grad_)
from mlc.tensor import bn, conv, extra_ops, nnet
from mlc.tensor.compose import Assert, ComplexError

RNG = np.random.default_rng(7)


def run(inputs, outputs, *values):
    return mlc.function(inputs, outputs, on_unused_input="ignore")(*values)


# ----------------------------------------------------------------------------
# gradient helpers
# ----------------------------------------------------------------------------


def test_undefined_grad_passes_values_and_refuses_gradients():
    x = T.dvector("x")
    y = undefined_grad(x) * 2
    assert np.allclose(run([x], y, [1.0, 2.0]), [2.0, 4.0])
    with pytest.raises(NullTypeGradError, match="undefined"):
        mlc.grad(y.sum(), x)
    assert isinstance(mlc.grad(y.sum(), x, null_gradients="return"), mlc.gradient.NullGrad)
    assert isinstance(UndefinedGrad()(x).owner.op, UndefinedGrad)
    # only the path through undefined_grad is undefined
    w = T.dvector("w")
    assert np.allclose(run([x, w], mlc.grad((undefined_grad(x) * w).sum(), w), [1.0, 2.0], [0.0, 0.0]), [1, 2])


def test_gradient_op_instances():
    x = T.dscalar("x")
    assert mlc.grad(zero_grad_(x) * x, x).eval({x: 3.0}) == 3.0
    assert mlc.grad(consider_constant_(x) * x, x).eval({x: 3.0}) == 3.0
    assert mlc.grad(disconnected_grad_(x) * x, x).eval({x: 3.0}) == 3.0


def test_grad_time_accumulates_and_mode_not_slow():
    from mlc.compile.mode import DebugMode

    before = mlc.gradient.grad_time
    x = T.dscalar("x")
    mlc.grad(x * x, x)
    assert mlc.gradient.grad_time > before
    assert mode_not_slow("FAST_COMPILE").name == "FAST_RUN"
    assert not isinstance(mode_not_slow(DebugMode()), DebugMode)
    m = mlc.Mode(name="REFERENCE")
    assert mode_not_slow(m) is m


def test_get_mode_returns_non_strings_and_function_rejects_them():
    from mlc.compile.mode import get_mode

    sentinel = object()
    assert get_mode(sentinel) is sentinel
    x = T.dscalar()
    with pytest.raises(TypeError, match="mode"):
        mlc.function([x], x, mode=3)


def test_shared_constructor_registry():
    from mlc.sharedvalue import shared_constructor

    made = []

    @shared_constructor
    def lists(value, name=None, strict=False, allow_downcast=None, **kw):
        if not isinstance(value, list):
            raise TypeError("not mine")
        made.append(name)
        return mlc.shared(np.asarray(value, dtype="float32"), name)

    try:
        s = mlc.shared([1, 2], name="l")
        assert s.dtype == "float32" and made == ["l"]
        assert mlc.shared(np.zeros(2)).dtype == "float64"  # not a list: the next constructor
    finally:
        shared_constructor(lists, remove=True)
    assert mlc.shared([1, 2]).dtype == "int64"


# ----------------------------------------------------------------------------
# fixes of existing names
# ----------------------------------------------------------------------------


def test_join_one_tensor_and_constant_axis():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    assert T.join(x, y) is y  # Theano returns the single tensor, whatever the axis
    a = np.ones((2, 3))
    assert run([x, y], T.join(T.constant(1), x, y), a, a).shape == (2, 6)
    assert run([x, y], T.Join()(0, x, y), a, a).shape == (4, 3)


def test_norm_with_a_symbolic_order():
    x, p = T.dvector("x"), T.dvector("p")
    xv, pv = np.array([0.5, -1.5, 2.0]), np.array([1.0, 2.0, 3.0])
    want = np.sum(np.abs(xv) ** pv) ** (1.0 / pv)  # Theano's formula, elementwise in the order
    assert np.allclose(run([x, p], T.nlinalg.norm(x, p), xv, pv), want)
    s = T.dscalar("s")
    assert np.isclose(run([x, s], T.nlinalg.norm(x, s), xv, 3.0), np.linalg.norm(xv, 3))


def test_logsoftmax_class():
    x = T.dmatrix("x")
    v = RNG.normal(size=(3, 4))
    got = run([x], nnet.LogSoftmax()(x), v)
    assert np.allclose(got, v - np.log(np.exp(v).sum(1, keepdims=True)))
    assert nnet.LogSoftmax() == nnet.logsoftmax_op


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_advanced_subtensor_any_index(dtype):
    x = T.matrix("x", dtype=dtype)
    v = np.arange(12, dtype=dtype).reshape(3, 4)
    i = T.lvector("i")
    outs = [T.advanced_subtensor(x), T.advanced_subtensor(x, i), T.advanced_subtensor(x, slice(None), i),
            T.advanced_boolean_subtensor(x, x > 4), T.AdvancedSubtensor()(x, i, i),
            T.AdvancedBooleanSubtensor()(x, x > 4)]
    got = run([x, i], outs, v, [2, 0])
    want = [v, v[[2, 0]], v[:, [2, 0]], v[v > 4], v[[2, 0], [2, 0]], v[v > 4]]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w)


def test_advanced_inc_and_set_any_index():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    v, w = np.arange(6.0).reshape(2, 3), np.full((2, 3), 10.0)
    i = T.lvector("i")
    outs = [T.advanced_inc_subtensor(x, y), T.advanced_set_subtensor(x, y),
            T.advanced_inc_subtensor(x, 1.0, i, i), T.advanced_boolean_set_subtensor(x, 0.0, x > 2),
            T.advanced_boolean_inc_subtensor(x, y[0], x > 2), T.AdvancedIncSubtensor(set_instead_of_inc=True)(x, y),
            T.AdvancedBooleanIncSubtensor()(x, 1.0, x > 2), T.BaseAdvancedIncSubtensor()(x, y)]
    got = run([x, y, i], outs, v, w, [1, 1])
    e1 = v.copy()
    np.add.at(e1, ([1, 1], [1, 1]), 1.0)
    e2 = v.copy()
    e2[v > 2] = 0
    e3 = v.copy()
    e3[v > 2] += w[0][: (v > 2).sum()]
    e4 = v.copy()
    e4[v > 2] += 1
    for g, e in zip(got, [v + w, w, e1, e2, e3, w, e4, v + w]):
        assert np.array_equal(g, e)


# ----------------------------------------------------------------------------
# Op classes by name
# ----------------------------------------------------------------------------


def theano_alloc_diag(x, offset=0, axis1=0, axis2=1):
    """Theano 1.0.5 AllocDiag.perform, transcribed."""
    axis1, axis2 = min(axis1, axis2), max(axis1, axis2)
    result = np.zeros(x.shape[:-1] + (x.shape[-1] + abs(offset),) * 2, dtype=x.dtype)
    idxs = np.arange(x.shape[-1])
    result[(len(result.shape) - 2) * (slice(None),) + (idxs + max(0, -offset), idxs + max(0, offset))] = x
    if x.ndim > 1:
        axes = list(range(x.ndim - 1))
        last = axes[-1]
        axes = axes[:axis1] + [last + 1] + axes[axis1:]
        axes = axes[:axis2] + [last + 2] + axes[axis2:]
        result = result.transpose(axes)
    return result


@pytest.mark.parametrize("shape, offset, axes", [
    ((3,), 0, (0, 1)), ((3,), 2, (0, 1)), ((3,), -1, (1, 0)), ((0,), 1, (0, 1)),
    ((2, 3), 0, (0, 1)), ((2, 3), 1, (0, 2)), ((2, 3), -2, (1, 2)), ((2, 0, 3), 1, (3, 1)),
])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_alloc_diag_against_theano(shape, offset, axes, dtype):
    x = T.tensor(dtype, (False,) * len(shape))
    v = (RNG.normal(size=shape) * 5).astype(dtype)
    got = run([x], T.AllocDiag(offset, *axes)(x), v)
    want = theano_alloc_diag(v, offset, *axes)
    assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    # ExtractDiag undoes it (AllocDiag orders its axes; numpy.diagonal's orientation follows axis1, axis2)
    back = run([x], T.ExtractDiag(offset, *sorted(axes))(T.AllocDiag(offset, *axes)(x)), v)
    assert np.array_equal(back, v)


def test_alloc_diag_gradient_and_diag():
    verify_grad(lambda a: T.AllocDiag(1, 0, 2)(a) * np.arange(36.0).reshape(3, 4, 3)[:, :3, :],
                [RNG.normal(size=(3, 2))], rng=RNG)
    v = T.dvector()
    assert np.array_equal(run([v], T.diag(v, -1), np.array([1.0, 2.0])), np.diag([1.0, 2.0], -1))


def test_reduction_and_shape_classes():
    x = T.dmatrix("x")
    v = RNG.normal(size=(3, 4))
    outs = [T.Sum()(x), T.Sum(axis=0, dtype="float32")(x), T.Mean(axis=1)(x), T.Prod(axis=(0, 1))(x),
            T.All(0)(x > 0), T.Any()(x > 0), T.Flatten()(x), T.Flatten(2)(x.dimshuffle(0, "x", 1)),
            T.Shape()(x), T.Nonzero()(x > 0), T.Alloc()(x[0, 0], 2, 3), T.Alloc()(x[0, 0]), T.Dot()(x, x.T),
            T.ScalarFromTensor()(x[0, 0]), T.Reshape(1)(x, [12])]
    got = run([x], outs, v)
    want = [v.sum(), v.sum(0).astype("float32"), v.mean(1), v.prod(), (v > 0).all(0), (v > 0).any(),
            v.reshape(-1), v.reshape(3, 4), np.array([3, 4]), np.array(np.nonzero(v > 0)),
            np.full((2, 3), v[0, 0]), v[0, 0], v @ v.T, v[0, 0], v.reshape(-1)]
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype and np.allclose(g, w)
    assert T.Sum(axis=[0]) == T.Sum(axis=(0,)) and hash(T.Sum(0)) == hash(T.Sum(0))


def test_default_div_proxy_mod_check():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    assert T.default(x, y) is x and T.Default()(x, y) is x and T.setdefault is T.default
    assert T.default(None, y) is y
    with pytest.raises(TypeError, match="same type"):
        T.default(x, T.fmatrix())
    i, j = T.lvector("i"), T.lvector("j")
    got = run([i, j], [T.div_proxy(i, j), T.mod_check(i, j)], [7, -7], [2, 2])
    assert got[0].dtype == "float64" and np.array_equal(got[0], [3.5, -3.5])
    assert np.array_equal(got[1], [1, 1])  # numpy's sign rule
    with pytest.raises(ComplexError):
        T.mod_check(T.zvector(), i)
    assert (T.float32_atol, T.float64_rtol) == (1e-5, 1.0000000000000001e-05)
    assert T.isinf_ is T.isinf and T.isnan_ is T.isnan


def test_extra_ops_classes():
    x = T.dmatrix("x")
    s = T.dscalar("s")
    v = RNG.normal(size=(3, 4))
    outs = [extra_ops.DiffOp()(x), extra_ops.DiffOp(2, 0)(x), extra_ops.FillDiagonal()(x, s),
            extra_ops.fill_diagonal_(x, s), extra_ops.FillDiagonalOffset()(x, s, 1), extra_ops.CumsumOp(1)(x),
            extra_ops.CumprodOp()(x), extra_ops.RepeatOp(0)(x, 2), extra_ops.Bartlett()(5),
            extra_ops.CpuContiguous()(x.T), extra_ops.cpu_contiguous(x[:, ::2])]
    got = run([x, s], outs, v, 9.0)
    fd, fo = v.copy(), v.copy()
    np.fill_diagonal(fd, 9.0)
    fo[[0, 1, 2], [1, 2, 3]] = 9.0
    want = [np.diff(v), np.diff(v, 2, 0), fd, fd, fo, np.cumsum(v, 1), np.cumprod(v), np.repeat(v, 2, 0),
            np.bartlett(5), v.T, v[:, ::2]]
    for g, w in zip(got, want):
        assert g.shape == w.shape and np.allclose(g, w)
    assert got[-2].flags.c_contiguous and got[-1].flags.c_contiguous


# ----------------------------------------------------------------------------
# nnet
# ----------------------------------------------------------------------------


def theano_softmax_grad(dy, sm):
    """Theano 1.0.5 SoftmaxGrad.perform, transcribed."""
    dx = np.zeros_like(sm)
    for i in range(sm.shape[0]):
        dy_times_sm_i = dy[i] * sm[i]
        dx[i] = dy_times_sm_i - sum(dy_times_sm_i) * sm[i]
    return dx


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(3, 4), (1, 1), (0, 3), (4,)])
def test_softmax_grad_against_theano(dtype, shape):
    dy, z = T.tensor(dtype, (False,) * len(shape)), T.tensor(dtype, (False,) * len(shape))
    dv, zv = RNG.normal(size=shape).astype(dtype), RNG.normal(size=shape).astype(dtype)
    sm = np.exp(zv - zv.max(-1, keepdims=True)) if zv.size else zv
    sm = sm / sm.sum(-1, keepdims=True) if zv.size else sm
    got = run([dy, z], nnet.SoftmaxGrad()(dy, nnet.softmax(z)), dv, zv)
    want = theano_softmax_grad(np.atleast_2d(dv), np.atleast_2d(sm))
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)
    # it is the gradient of softmax
    if len(shape) == 2 and zv.size:
        g = mlc.grad((nnet.softmax(z) * dy).sum(), z)
        np.testing.assert_allclose(run([dy, z], g, dv, zv), got, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="floats"):
        nnet.softmax_grad(T.lmatrix(), T.dmatrix())


def test_softmax_grad_gradient():
    verify_grad(lambda dy, z: nnet.softmax_grad(dy, nnet.softmax(z)), [RNG.normal(size=(2, 3)),
                                                                         RNG.normal(size=(2, 3))], rng=RNG)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_prepend_to_each_row(dtype):
    x = T.matrix("x", dtype=dtype)
    s = T.dscalar("s")
    v = (RNG.normal(size=(3, 2)) * 4).astype(dtype)
    got = run([x, s], [nnet.prepend_0_to_each_row(x), nnet.prepend_1_to_each_row(x),
                       nnet.prepend_scalar_to_each_row(s, x), nnet.Prepend_scalar_constant_to_each_row(7)(x)],
              v, 2.5)
    for g, c in zip(got, [0, 1, 2.5, 7]):
        assert g.dtype == dtype
        assert np.array_equal(g, np.concatenate([np.full((3, 1), c).astype(dtype), v], 1))
    empty = run([x], nnet.prepend_1_to_each_row(x), np.zeros((0, 2), dtype))
    assert empty.shape == (0, 3)
    with pytest.raises(TypeError, match="matrix"):
        nnet.prepend_0_to_each_row(T.dvector())
    verify_grad(lambda s, m: nnet.prepend_scalar_to_each_row(s, m) ** 2, [np.float64(0.5), RNG.normal(size=(3, 2))],
                rng=RNG)


def _theano_bn_train(x, scale, bias, axes, eps, f=None, rm=None, rv=None):
    """Theano 1.0.5 AbstractBatchNormTrain.perform, transcribed."""
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    invstd = 1.0 / np.sqrt(var + eps)
    out = [(x - mean) * (scale * invstd) + bias, mean, invstd]
    if rm is not None:
        m = float(np.prod(x.shape) / np.prod(scale.shape))
        out += [rm * (1.0 - f) + mean * f, rv * (1.0 - f) + (m / (m - 1)) * var * f]
    return out


@pytest.mark.parametrize("axes", [(0,), (0, 2)])
def test_abstract_batch_norm_train_and_inference(axes):
    x = T.tensor3("x")
    p = [T.tensor("float64", tuple(i in axes for i in range(3)), n) for n in ("g", "b", "rm", "rv")]
    xv = RNG.normal(size=(4, 3, 2))
    pshape = tuple(1 if i in axes else n for i, n in enumerate(xv.shape))
    pv = [RNG.uniform(0.5, 1.5, size=pshape) for _ in range(4)]
    op = bn.AbstractBatchNormTrain(axes)
    got = run([x, *p], op(x, p[0], p[1], 1e-3, 0.2, p[2], p[3]), xv, *pv)
    want = _theano_bn_train(xv, pv[0], pv[1], axes, 1e-3, 0.2, pv[2], pv[3])
    for g, w in zip(got, want):
        assert g.shape == w.shape and np.allclose(g, w)
    inf = run([x, *p], bn.AbstractBatchNormInference(axes)(x, p[0], p[1], p[2], p[3]), xv, *pv)
    assert np.allclose(inf, (xv - pv[2]) * (pv[0] / np.sqrt(pv[3] + 1e-4)) + pv[1])
    assert len(op(x, p[0], p[1])) == 3
    with pytest.raises(ValueError, match="axes"):
        bn.AbstractBatchNormTrain((3,))(x, p[0], p[1])
    with pytest.raises(ValueError, match="both"):
        op(x, p[0], p[1], running_mean=p[2])
    verify_grad(lambda a: bn.AbstractBatchNormTrain((0,))(a, np.ones((1, 3)) * 2, np.zeros((1, 3)))[0] ** 2,
                [RNG.normal(size=(4, 3))], rng=RNG)


# ----------------------------------------------------------------------------
# Assert and the abstract_conv helpers
# ----------------------------------------------------------------------------


def test_assert_op():
    x = T.dvector("x")
    y = Assert("too short")(x, T.ge(x.shape[0], 2), T.all(x > 0)) * 2
    f = mlc.function([x], y)
    assert np.array_equal(f([1.0, 2.0]), [2.0, 4.0])
    with pytest.raises(AssertionError, match="too short"):
        f([1.0])
    with pytest.raises(AssertionError, match="too short"):
        f([1.0, -2.0])
    assert np.allclose(run([x], mlc.grad(y.sum(), x), [1.0, 2.0]), [2.0, 2.0])
    with pytest.raises(TypeError, match="scalar"):
        Assert()(x, x > 0)
    assert np.array_equal(run([x], Assert()(x), np.zeros(0)), np.zeros(0))


def test_assert_shape_follows_the_config_flag():
    x = T.dmatrix("x")
    assert conv.assert_shape(x, (2, None)) is x  # Theano's default: conv.assert_shape off
    with mlc.config.change_flags(conv__assert_shape=True):
        f = mlc.function([x], conv.assert_shape(x, (2, None), "bad shape"))
    assert f(np.zeros((2, 5))).shape == (2, 5)
    with pytest.raises(AssertionError, match="bad shape"):
        f(np.zeros((3, 5)))


@pytest.mark.parametrize("ratio", [1, 2, 3, 2.5])
def test_bilinear_kernels(ratio):
    r = T.dscalar("r")
    k1, k2, k1n = run([r], [conv.bilinear_kernel_1D(r), conv.bilinear_kernel_2D(r),
                            conv.bilinear_kernel_1D(r, normalize=False)], ratio)
    half = np.arange(1, ratio + 1, dtype="float64")
    want = np.concatenate([half, half[-2::-1]])
    assert np.allclose(k1n, want) and np.allclose(k1, want / ratio)
    assert np.allclose(k2, np.outer(want / ratio, want / ratio))
    rect = run([r], conv.bilinear_kernel_2D((r, r + 1)), ratio)
    assert rect.shape == (2 * len(half) - 1, 2 * len(np.arange(1, ratio + 2)) - 1)


# ----------------------------------------------------------------------------
# through the Theano facade
# ----------------------------------------------------------------------------


def test_names_through_the_facade():
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano

        assert theano.gradient.UndefinedGrad is UndefinedGrad
        assert theano.gradient.undefined_grad is undefined_grad
        assert theano.scan_module.clone is theano.ifelse.clone
        assert theano.compile.shared_constructor is mlc.sharedvalue.shared_constructor
        assert theano.tensor.elemwise.Sum is T.Sum
        assert theano.tensor.opt.Assert is Assert
        assert theano.tensor.nnet.abstract_conv.Assert is Assert
        assert theano.tensor.nlinalg.ExtractDiag is T.ExtractDiag
        assert theano.PY3 is True
    finally:
        compat.uninstall()


# ----------------------------------------------------------------------------
# constants, batched_tensordot, permutations, choose
# ----------------------------------------------------------------------------


def test_get_scalar_constant_value():
    from mlc.tensor.constants import EmptyConstantError, NotScalarConstantError, get_scalar_constant_value as gscv

    x, r = T.dmatrix("x"), T.row("r")
    assert gscv(r.shape[0]) == 1 and gscv(T.constant(np.zeros((2, 5))).shape[1]) == 5
    assert gscv(T.cast(T.constant(2.5), "int64") + 1) == 3
    assert gscv(T.stack([T.constant(2), T.constant(3)])[1]) == 3
    assert gscv(T.maximum(T.constant(2), 5)) == 5 and gscv(T.switch(T.constant(1), 4.0, 5.0)) == 4.0
    assert gscv(T.alloc(T.constant(7.0), 3)) == 7.0 and gscv(2) == 2 and gscv(np.float32(1.5)) == 1.5
    assert gscv(T.constant(np.ones((1, 1)))).shape == (1, 1)  # one element: returned as is, like Theano
    with pytest.raises(NotScalarConstantError):
        gscv(x.shape[0])
    with pytest.raises(NotScalarConstantError):
        gscv(T.constant(2) + 1, elemwise=False)
    with pytest.raises(NotScalarConstantError):
        gscv(T.constant(2) + 1, only_process_constants=True)
    with pytest.raises(NotScalarConstantError):
        gscv(T.constant(np.arange(3.0)))
    with pytest.raises(EmptyConstantError):
        gscv(T.constant(np.zeros(0)))
    assert T.extract_constant(x) is x and T.extract_constant(T.constant(2) * 3) == 6
    assert T.get_vector_length(x.shape) == 2 and T.get_vector_length(T.stack([x[0, 0], 1.0, 2.0])) == 3
    assert T.get_vector_length(T.constant(np.arange(4))) == 4 and T.get_vector_length(r[:, 0]) == 1
    with pytest.raises(ValueError, match="length"):
        T.get_vector_length(T.dvector())
    with pytest.raises(TypeError):
        T.get_vector_length(x)


@pytest.mark.parametrize("shapes, axes", [
    (((2, 3, 4), (2, 4, 5)), 1), (((2, 3, 4), (2, 3, 4)), [[1, 2], [1, 2]]), (((3, 4), (3, 4)), [[1], [1]]),
    (((2, 3, 4, 5), (2, 5, 4)), [[2, 3], [2, 1]]), (((0, 3, 4), (0, 4, 2)), 1), (((2, 3, 0), (2, 0, 2)), 1),
])
def test_batched_tensordot(shapes, axes):
    a, b = (RNG.normal(size=s) for s in shapes)
    x, y = (T.tensor("float64", (False,) * len(s)) for s in shapes)
    got = run([x, y], T.batched_tensordot(x, y, axes), a, b)
    ax = axes
    if isinstance(ax, int):
        ax = [list(range(a.ndim - ax, a.ndim)), list(range(1, ax + 1))]
    want = np.stack([np.tensordot(a[i], b[i], [[d - 1 for d in ax[0]], [d - 1 for d in ax[1]]])
                     for i in range(a.shape[0])]) if a.shape[0] else np.zeros(got.shape)
    assert got.shape == want.shape and np.allclose(got, want)
    if a.size and b.size:
        verify_grad(lambda p, q: T.batched_tensordot(p, q, axes), [a, b], rng=RNG)
    with pytest.raises(mlc.graph.GraphError, match="batch axis"):
        T.batched_tensordot(x, y, [[0], [0]])


def theano_permute_rows(x, y, inverse):
    """Theano 1.0.5 PermuteRowElements._rec_perform, transcribed (for same-rank operands)."""
    out = np.empty(np.broadcast_shapes(x.shape, y.shape), dtype=x.dtype)

    def rec(x, y, out):
        if x.ndim == 1:
            if inverse:
                out[y] = x[:]
            else:
                out[:] = x[y]
            return
        for i in range(out.shape[0]):
            rec(x[i if x.shape[0] > 1 else 0], y[i if y.shape[0] > 1 else 0], out[i])

    rec(x, y, out)
    return out


@pytest.mark.parametrize("xs, ys", [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((1, 4), (3, 4)),
                                    ((2, 1, 3), (4, 3)), ((0, 3), (3,))])
@pytest.mark.parametrize("inverse", [0, 1])
def test_permute_row_elements_against_theano(xs, ys, inverse):
    xv = RNG.normal(size=xs)
    yv = np.stack([RNG.permutation(ys[-1]) for _ in range(int(np.prod(ys[:-1])))]).reshape(ys)
    x = T.tensor("float64", tuple(n == 1 for n in xs))
    y = T.tensor("int64", tuple(n == 1 for n in ys))
    got = run([x, y], T.permute_row_elements(x, y, inverse), xv, yv)
    nd = max(len(xs), len(ys))
    want = theano_permute_rows(xv.reshape((1,) * (nd - len(xs)) + xs), yv.reshape((1,) * (nd - len(ys)) + ys),
                               inverse)
    assert got.shape == want.shape and np.array_equal(got, want)
    if xv.size:
        verify_grad(lambda a: T.permute_row_elements(a, T.constant(yv), inverse), [xv], rng=RNG)


def test_inverse_permutation():
    p = T.lmatrix("p")
    pv = np.stack([RNG.permutation(5) for _ in range(3)])
    got = run([p], T.inverse_permutation(p), pv)
    assert got.dtype == "int64" and np.array_equal(np.take_along_axis(pv, got, 1), np.tile(np.arange(5), (3, 1)))
    v = T.ivector("v")
    assert np.array_equal(run([v], T.inverse_permutation(v), np.array([2, 0, 1], "int32")), [1, 2, 0])


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose(mode):
    a = T.lmatrix("a")
    c0, c1, c2 = T.dvector("c0"), T.dmatrix("c1"), T.fscalar("c2")
    av = np.array([[0, 1, 2], [2, 1, 0]])
    vals = [np.array([1.0, 2, 3]), RNG.normal(size=(2, 3)), np.float32(7)]
    shift = 0 if mode == "raise" else 4
    got = run([a, c0, c1, c2], [T.choose(a + shift, [c0, c1, c2], mode=mode),
                                T.Choose(mode)(a // 2 + shift, T.stack([c1, c1 * 2]))], av, *vals)
    assert np.array_equal(got[0], np.choose(av + shift, vals, mode=mode)) and got[0].dtype == "float64"
    assert np.array_equal(got[1], np.choose(av // 2 + shift, [vals[1], vals[1] * 2], mode=mode))
    if mode == "raise":
        f = mlc.function([a, c0, c1, c2], T.choose(a, [c0, c1, c2]))
        with pytest.raises(AssertionError, match="invalid entry"):
            f(av + 1, *vals)
    with pytest.raises(TypeError, match="integers"):
        T.choose(c1, [c0])


def test_gradient_types_and_subgraph_grad():
    from mlc.gradient import (DisconnectedType, NullGrad, NullType, format_as, grad_not_implemented,
                              subgraph_grad)

    x, w1, w2 = T.dvector("x"), T.dvector("w1"), T.dvector("w2")
    h = T.tanh(x * w1)
    cost = (h * w2).sum() + (w1 ** 2).sum()
    # Theano's example: the upper piece first, its gradient at h fed to the lower piece
    (g2,), (gh,) = subgraph_grad([w2], [h], cost=(h * w2).sum())
    (g1,), _ = subgraph_grad([w1], [x], start={h: gh}, cost=(w1 ** 2).sum())
    full = mlc.grad(cost, [w1, w2])
    got = run([x, w1, w2], [g1, g2, *full], [1.0, 2.0], [0.5, 0.3], [2.0, 1.0])
    assert np.allclose(got[0], got[2]) and np.allclose(got[1], got[3])
    with pytest.raises(ValueError):
        subgraph_grad([w1], [x])
    assert isinstance(NullType("why")(), NullGrad) and DisconnectedType()() is None
    assert "not implemented" in grad_not_implemented(nnet.softmax_op, 0, x).why
    assert format_as(True, False, 1) == [1] and format_as(False, True, [1, 2]) == (1, 2)
    assert format_as(False, False, [5]) == 5


# ----------------------------------------------------------------------------
# more Op classes: nnet cross-entropies, batch-norm gradient, neighbours, tensor classes
# ----------------------------------------------------------------------------


def theano_dx(dy, sm, y_idx):
    """Theano 1.0.5 CrossentropySoftmax1HotWithBiasDx.perform, transcribed."""
    dx = np.zeros_like(sm)
    dy = dy[None] if dy.ndim == 0 else dy
    incr = int(dy.shape[0] > 1)
    for i in range(sm.shape[0]):
        dx[i] = dy[i * incr] * sm[i]
        dx[i, y_idx[i]] -= dy[i * incr]
    return dx


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crossentropy_classes(dtype):
    sm, dy, y = T.matrix("sm", dtype=dtype), T.vector("dy", dtype=dtype), T.lvector("y")
    s = T.scalar("s", dtype=dtype)
    smv = np.asarray(RNG.uniform(0.1, 1, size=(4, 3)), dtype)
    dyv, yv = np.asarray(RNG.normal(size=4), dtype), np.array([2, 0, 1, 2])
    got = run([dy, sm, y, s], [nnet.CrossentropySoftmax1HotWithBiasDx()(dy, sm, y),
                               nnet.crossentropy_softmax_1hot_with_bias_dx(s, sm, y),
                               nnet.CrossentropyCategorical1HotGrad()(dy, sm, y),
                               nnet.CrossentropyCategorical1Hot()(sm, y)], dyv, smv, yv, np.asarray(1.5, dtype))
    g = np.zeros_like(smv)
    g[np.arange(4), yv] = -dyv / smv[np.arange(4), yv]
    want = [theano_dx(dyv, smv, yv), theano_dx(np.asarray(1.5, dtype), smv, yv), g,
            -np.log(smv[np.arange(4), yv])]
    for a, b in zip(got, want):
        assert a.dtype == dtype and np.allclose(a, b, rtol=1e-5)
    # it is the gradient the names say
    z = T.matrix("z", dtype=dtype)
    nll = nnet.crossentropy_categorical_1hot(nnet.softmax(z), y)
    gz = mlc.grad((nll * dy).sum(), z)
    both = run([z, dy, y], [gz, nnet.crossentropy_softmax_1hot_with_bias_dx(dy, nnet.softmax(z), y)], smv, dyv, yv)
    assert np.allclose(both[0], both[1], rtol=1e-4, atol=1e-5)
    with pytest.raises(AssertionError, match="out of bounds"):
        run([dy, sm, y], nnet.crossentropy_softmax_1hot_with_bias_dx(dy, sm, y), dyv, smv, -yv)
    x, b = T.matrix("x", dtype=dtype), T.vector("b", dtype=dtype)
    nll2, sm2, am = nnet.CrossentropySoftmaxArgmax1HotWithBias()(x, b, y)
    r = run([x, b, y], [nll2, am], smv, np.zeros(3, dtype), yv)
    assert np.array_equal(r[1], smv.argmax(1))


def test_abstract_batch_norm_train_grad_is_the_gradient():
    x, dy = T.dmatrix("x"), T.dmatrix("dy")
    g, b = T.row("g", dtype="float64"), T.row("b", dtype="float64")
    out, mean, invstd = bn.AbstractBatchNormTrain((0,))(x, g, b)
    want = mlc.grad((out * dy).sum(), [x, g, b])
    got = bn.AbstractBatchNormTrainGrad((0,))(x, dy, g, mean, invstd)
    xv, dyv = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    gv, bv = RNG.uniform(0.5, 2, size=(1, 3)), RNG.normal(size=(1, 3))
    a = run([x, dy, g, b], want + got, xv, dyv, gv, bv)
    for w, h in zip(a[:3], a[3:]):
        assert w.shape == h.shape and np.allclose(w, h, atol=1e-5)


def test_images2neibs_class_and_h_softmax():
    from mlc.tensor.neighbours import Images2Neibs

    t4 = T.tensor4("t4")
    v = np.arange(32.0).reshape(1, 2, 4, 4)
    assert np.array_equal(run([t4], Images2Neibs()(t4, (2, 2)), v), run([t4], nnet.images2neibs(t4, (2, 2)), v))
    B, dx, nc, nopc, no = 4, 5, 3, 3, 8
    W1v, b1v = RNG.normal(size=(dx, nc)), RNG.normal(size=nc)
    W2v, b2v = RNG.normal(size=(nc, dx, nopc)), RNG.normal(size=(nc, nopc))
    x, t = T.dmatrix("x"), T.ivector("t")
    W1, b1, W2, b2 = (mlc.shared(a) for a in (W1v, b1v, W2v, b2v))
    full = nnet.h_softmax(x, B, no, nc, nopc, W1, b1, W2, b2)
    picked = nnet.h_softmax(x, B, no, nc, nopc, W1, b1, W2, b2, t)
    xv, tv = RNG.normal(size=(B, dx)), np.array([0, 4, 7, 5], "int32")
    got_full, got_picked = run([x, t], [full, picked], xv, tv)

    def sm(a):
        e = np.exp(a - a.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    cp = sm(xv @ W1v + b1v)
    ref = np.concatenate([cp[:, [c]] * sm(xv @ W2v[c] + b2v[c]) for c in range(nc)], 1)[:, :no]
    assert np.allclose(got_full, ref) and np.allclose(got_picked, ref[np.arange(B), tv])
    gw = mlc.grad(-T.log(picked).mean(), W2)
    assert run([x, t], gw, xv, tv).shape == W2v.shape


def test_tensor_op_classes_with_theano_signatures():
    from mlc.tensor.shared_randomstreams import randomstate_constructor

    x = T.dmatrix("x")
    v = np.arange(6.0).reshape(2, 3)
    got = run([x], [T.AllocEmpty("float32")(2, 3), *T.MaxAndArgmax(1)(x), T.Split(2)(x, 1, [1, 2])[1],
                    T.Tri("int32")(3, 3, 0), T.ARange("int64")(0, 5, 2), T.Eye("float64")(2, 3, 1),
                    T.DimShuffle((False, False), (1, "x", 0))(x)], v)
    want = [np.zeros((2, 3), "float32"), v.max(1), v.argmax(1), v[:, 1:], np.tri(3, dtype="int32"), np.arange(0, 5, 2),
            np.eye(2, 3, 1), v.T[:, None, :]]
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype and np.array_equal(g, w)
    r = randomstate_constructor(np.random.RandomState(3), name="r")
    assert r.name == "r"
    with pytest.raises(TypeError):
        randomstate_constructor(np.zeros(2))


def test_mrg_constants_and_jumps():
    from mlc.tensor import rng_mrg

    s = np.array([12345] * 6, "int32")
    # the next substream of Theano's default seed, as Theano 1.0.5 computes it
    assert np.array_equal(rng_mrg.ff_2p72(s), [1613322692, 623311037, 1722317882, 1563970864, 792350268, 619030428])
    assert np.array_equal(rng_mrg.matVecModM(rng_mrg.A1p134, s[:3], rng_mrg.M1), [336690377, 597094797, 1245771585])
    assert rng_mrg.NORM == 2.0 ** -31 and (rng_mrg.MASK12, rng_mrg.MASK13, rng_mrg.MASK2) == (511, 2 ** 24 - 1, 65535)


def test_more_names_through_the_facade():
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano
        import theano.tensor as TT
        from theano.tensor.subtensor import set_subtensor

        assert set_subtensor is T.set_subtensor and TT.grad_undefined is mlc.gradient.grad_undefined
        from mlc.tensor.shape import Shape_i, Subtensor

        assert TT.Subtensor is Subtensor and TT.get_scalar_constant_value is T.get_scalar_constant_value
        assert theano.gof.MissingInputError is mlc.compile.function.MissingInputError
        assert theano.gradient.NullType is mlc.gradient.NullType and theano.subgraph_grad is mlc.gradient.subgraph_grad
        assert theano.tensor.nnet.h_softmax is nnet.h_softmax and theano.compile.Shape_i is Shape_i
        assert theano.sandbox.rng_mrg.NORM == 2.0 ** -31
    finally:
        compat.uninstall()
