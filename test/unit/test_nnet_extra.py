"""Theano's nnet activations, losses, batch normalization, neighbours and to_one_hot against numpy.

Values over float32 and float64 in one compiled function per dtype;
gradients against finite differences (float64).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import verify_grad
from mlc.tensor import bn, neighbours, nnet

RNG = np.random.default_rng(7)


def np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_ultra_fast_sigmoid(x):
    u = np.abs(0.5 * x)
    z = np.where(u < 1.7, 1.5 * u / (1 + u), np.where(u < 3, 0.935409070603099 + 0.0458812946797165 * (u - 1.7),
                                                      0.99505475368673))
    return 0.5 * (np.where(x >= 0, z, -z) + 1.0)


ELEMENTWISE = {  # name: (mlc builder, numpy reference)
    "relu": (nnet.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (lambda x: nnet.relu(x, 0.25), lambda x: np.where(x > 0, x, 0.25 * x)),
    "elu": (nnet.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "selu": (nnet.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "softsign": (nnet.softsign, lambda x: x / (1 + np.abs(x))),
    "hard_sigmoid": (nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    "ultra_fast_sigmoid": (nnet.ultra_fast_sigmoid, np_ultra_fast_sigmoid),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activations_and_losses_values(dtype):
    tol = 1e-5 if dtype == "float32" else 1e-12
    xv = (RNG.standard_normal((6, 5)) * 3).astype(dtype)
    pv = RNG.uniform(0.05, 0.95, (6, 5)).astype(dtype)
    tv = RNG.uniform(0, 1, (6, 5)).astype(dtype)
    yv = RNG.integers(0, 5, 6).astype("int64")
    bv = RNG.standard_normal(5).astype(dtype)
    x, p, t, b = (T.TensorType(dtype, (False,) * n)(name) for n, name in ((2, "x"), (2, "p"), (2, "t"), (1, "b")))
    y = T.lvector("y")
    outs = [f(x) for f, _ in ELEMENTWISE.values()]
    nll, sm, am = nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    nll1, sm1 = nnet.crossentropy_softmax_1hot(x, y)
    outs += [nnet.binary_crossentropy(p, t), nnet.sigmoid_binary_crossentropy(x, t),
             nnet.softmax_with_bias(x, b), nll, sm, am, nll1, sm1,
             nnet.crossentropy_categorical_1hot(p, y), nnet.categorical_crossentropy(p, t),
             nnet.to_one_hot(y, 5, dtype=dtype), nnet.logsoftmax(x)]
    got = mlc.function([x, p, t, b, y], outs)(xv, pv, tv, bv, yv)
    for (name, (_, ref)), g in zip(ELEMENTWISE.items(), got):
        # Theano's selu multiplies by Python floats that float32 cannot hold: float64 (floatX) there too
        assert g.dtype == ("float64" if name == "selu" else dtype), name
        np.testing.assert_allclose(g, ref(xv), rtol=tol, atol=tol, err_msg=name)
    rows = np.arange(6)
    z = xv + bv
    want = [-(tv * np.log(pv) + (1 - tv) * np.log(1 - pv)),
            -(tv * np.log(1 / (1 + np.exp(-xv))) + (1 - tv) * np.log(1 - 1 / (1 + np.exp(-xv)))),
            np_softmax(z), -np.log(np_softmax(z))[rows, yv], np_softmax(z), np.argmax(z, axis=1),
            -np.log(np_softmax(xv))[rows, yv], np_softmax(xv), -np.log(pv[rows, yv]),
            -(tv * np.log(pv)).sum(axis=1), np.eye(5, dtype=dtype)[yv], np.log(np_softmax(xv))]
    for g, w in zip(got[len(ELEMENTWISE):], want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=10 * tol, atol=10 * tol)
    assert got[len(ELEMENTWISE) + 5].dtype == np.int64  # the argmax, in y_idx's dtype


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_activation_gradients(name):
    xv = np.array([-3.5, -2.0, -0.7, 0.3, 1.1, 2.2, 4.0, 6.5])  # away from the kinks
    verify_grad(ELEMENTWISE[name][0], [xv], rng=np.random.default_rng(0))


def test_relu_gradient_at_zero_is_theanos_half():
    x = T.dvector("x")
    g = mlc.function([x], mlc.grad(nnet.relu(x).sum(), x))(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 1.0])


def test_loss_gradients():
    xv = RNG.standard_normal((4, 3))
    bv = RNG.standard_normal(3)
    yv = np.array([0, 2, 1, 2])
    verify_grad(lambda x, b: nnet.crossentropy_softmax_1hot_with_bias(x, b, mlc.tensor.constant(yv))[0], [xv, bv],
                rng=np.random.default_rng(1))
    verify_grad(lambda x, b: nnet.softmax_with_bias(x, b), [xv, bv], rng=np.random.default_rng(2))
    tv = RNG.uniform(0, 1, (4, 3))
    verify_grad(lambda x, t: nnet.sigmoid_binary_crossentropy(x, t), [xv, tv], rng=np.random.default_rng(3))
    verify_grad(lambda p: nnet.binary_crossentropy(p, tv), [RNG.uniform(0.1, 0.9, (4, 3))],
                rng=np.random.default_rng(4))


def test_binary_crossentropy_of_a_sigmoid_is_stabilized():
    x, t = T.dvector("x"), T.dvector("t")
    loss = nnet.binary_crossentropy(nnet.sigmoid(x), t)
    f = mlc.function([x, t], [loss, mlc.grad(loss.sum(), x)])
    xv, tv = np.array([-60.0, -5.0, 0.0, 5.0, 60.0]), np.array([1.0, 0.0, 0.5, 1.0, 0.0])
    value, grad = f(xv, tv)
    np.testing.assert_allclose(value, tv * np.logaddexp(0, -xv) + (1 - tv) * np.logaddexp(0, xv), rtol=1e-12)
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-xv)) - tv, rtol=1e-9, atol=1e-12)


def test_batch_normalization_train_test_and_gradient():
    xv = RNG.standard_normal((5, 3, 4, 2))
    gv, bv = RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3)
    x = T.dtensor4("x")
    g, b, m, v = T.dvector("g"), T.dvector("b"), T.dvector("m"), T.dvector("v")
    out, mean, invstd, new_m, new_v = bn.batch_normalization_train(x, g, b, "spatial", 1e-4, 0.3, m, v)
    test_out = bn.batch_normalization_test(x, g, b, m, v, "spatial", 1e-3)
    plain = bn.batch_normalization(x, g.dimshuffle("x", 0, "x", "x"), b.dimshuffle("x", 0, "x", "x"),
                                   m.dimshuffle("x", 0, "x", "x"), v.dimshuffle("x", 0, "x", "x"))
    res = mlc.function([x, g, b, m, v], [out, mean, invstd, new_m, new_v, test_out, plain])(xv, gv, bv, rm, rv)
    axes = (0, 2, 3)
    mu, var = xv.mean(axis=axes), xv.var(axis=axes)
    sh = (1, 3, 1, 1)
    inv = 1 / np.sqrt(var + 1e-4)
    count = 5 * 4 * 2
    want = [(xv - mu.reshape(sh)) * (gv * inv).reshape(sh) + bv.reshape(sh), mu, inv, rm * 0.7 + mu * 0.3,
            rv * 0.7 + count / (count - 1) * var * 0.3,
            (xv - rm.reshape(sh)) * (gv / np.sqrt(rv + 1e-3)).reshape(sh) + bv.reshape(sh),
            (xv - rm.reshape(sh)) * (gv / rv).reshape(sh) + bv.reshape(sh)]
    for r, w in zip(res, want):
        assert r.shape == w.shape
        np.testing.assert_allclose(r, w, rtol=1e-10, atol=1e-12)
    verify_grad(lambda x_, g_, b_: bn.batch_normalization_train(x_, g_, b_, "per-activation")[0],
                [RNG.standard_normal((4, 3)), gv, bv], rng=np.random.default_rng(5))
    with pytest.raises(ValueError, match="epsilon"):
        bn.batch_normalization_train(x, g, b, "spatial", epsilon=1e-6)


@pytest.mark.parametrize("mode, shape, step, image", [
    ("valid", (2, 2), None, (4, 6)), ("valid", (3, 2), (1, 2), (5, 6)), ("ignore_borders", (2, 3), (1, 2), (5, 6)),
    ("half", (3, 3), (2, 2), (5, 7)), ("half", (2, 3), (1, 2), (5, 7)), ("full", (2, 2), (1, 1), (5, 6)),
    ("full", (3, 2), (3, 2), (5, 6))])
def test_images2neibs_against_theano_loops(mode, shape, step, image):
    xv = RNG.standard_normal((2, 3, *image))
    c, d = shape
    sx, sy = step or shape
    pad = {"half": (c // 2, d // 2), "full": (c - 1, d - 1)}.get(mode, (0, 0))
    xp = np.pad(xv, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])])
    gc, gd = (xp.shape[2] - c) // sx + 1, (xp.shape[3] - d) // sy + 1
    want = np.array([xp[n, s, i * sx:i * sx + c, j * sy:j * sy + d].reshape(-1)
                     for n in range(2) for s in range(3) for i in range(gc) for j in range(gd)])
    x = T.dtensor4("x")
    got = mlc.function([x], neighbours.images2neibs(x, shape, step, mode))(xv)
    np.testing.assert_array_equal(got, want)


def _wrap_centered_loops(xv, c, d, sx, sy):
    """Theano 1.0.5's Images2Neibs.perform for 'wrap_centered', as loops."""
    n_, s_, h, w = xv.shape
    gc, gd = -(-h // sx), -(-w // sy)
    out = np.empty((n_ * s_ * gc * gd, c * d), xv.dtype)
    for n in range(n_):
        for s in range(s_):
            for a in range(gc):
                for b in range(gd):
                    row = b + gd * (a + gc * (s + s_ * n))
                    for i in range(c):
                        for j in range(d):
                            out[row, j + d * i] = xv[n, s, (i + a * sx - c // 2) % h, (j + b * sy - d // 2) % w]
    return out


@pytest.mark.parametrize("image, shape, step", [((5, 6), (3, 3), None), ((4, 7), (3, 1), (1, 1)),
                                                ((9, 5), (5, 3), (2, 3)), ((8, 8), (3, 3), (8, 8)),
                                                ((3, 3), (1, 1), (4, 4)), ((3, 3), (3, 3), (1, 1))])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_images2neibs_wrap_centered(image, shape, step, dtype):
    xv = (RNG.standard_normal((2, 2, *image)) * 10).astype(dtype)
    x = T.tensor4("x", dtype=dtype)
    got = mlc.function([x], neighbours.images2neibs(x, shape, step, "wrap_centered"))(xv)
    want = _wrap_centered_loops(xv, *shape, *(step or shape))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_images2neibs_rejects_what_theano_rejects():
    x = T.dtensor4("x")
    with pytest.raises(TypeError, match="odd shapes"):
        neighbours.images2neibs(x, (2, 3), mode="wrap_centered")
    with pytest.raises(NotImplementedError, match="wrap_centered"):
        neighbours.images2neibs(x, (2, 2), mode="same")
    cases = [("wrap_centered", (3, 3), None, (2, 5), r"smaller then the patch shapes: neib_shape=\(3,3\)"),
             ("valid", (2, 2), None, (5, 6), r"neib_shape\[0\]=2, neib_step\[0\]=2 and ten4.shape\[2\]=5"),
             ("half", (3, 3), (2, 2), (5, 6), r"neib_shape\[1\]=3, neib_step\[1\]=2 and ten4.shape\[3\]=6"),
             ("full", (3, 2), (2, 2), (4, 6), r"neib_shape\[0\]=3, neib_step\[0\]=2 and ten4.shape\[2\]=4")]
    for mode, shape, step, image, msg in cases:
        f = mlc.function([x], neighbours.images2neibs(x, shape, step, mode))
        with pytest.raises(TypeError, match=msg):
            f(np.zeros((1, 1, *image)))


def test_images2neibs_wrap_centered_gradient():
    verify_grad(lambda t: neighbours.images2neibs(t, (3, 3), (2, 1), "wrap_centered"),
                [RNG.standard_normal((1, 2, 4, 3))], rng=np.random.default_rng(7))


def test_neibs2images_inverts_and_is_the_gradient():
    xv = RNG.standard_normal((2, 2, 4, 6))
    x = T.dtensor4("x")
    nb = neighbours.images2neibs(x, (2, 3))
    back = neighbours.neibs2images(nb, (2, 3), x.shape)
    cut = neighbours.images2neibs(x, (3, 4), mode="ignore_borders")
    res = mlc.function([x], [back, mlc.grad((nb ** 2).sum(), x),
                             neighbours.neibs2images(cut, (3, 4), xv.shape, mode="ignore_borders")])(xv)
    np.testing.assert_array_equal(res[0], xv)
    np.testing.assert_allclose(res[1], 2 * xv)
    want = np.zeros_like(xv)
    want[:, :, :3, :4] = xv[:, :, :3, :4]
    np.testing.assert_array_equal(res[2], want)
    verify_grad(lambda t: neighbours.images2neibs(t, (2, 2), (1, 1)), [RNG.standard_normal((1, 2, 3, 3))],
                rng=np.random.default_rng(6))
