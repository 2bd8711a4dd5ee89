"""Advanced (integer-array) indexing end to end: x[ivec], x[i, j], x[T.arange(n), y], updates.

Values, dtypes and shapes against numpy in the numpy reference (REFERENCE)
and compiled natively (FAST_RUN); negative and empty index arrays; index
values checked before any code runs; gradients with repeated indices
against finite differences; the batching rules through jacobian/hessian;
the Theano tutorial's MLP loss trained natively; categorical_crossentropy
with integer labels; take. Functions gather many outputs each, so few
native compilations are needed.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.gradient import hessian, jacobian, verify_grad
from mlc.tensor.advanced import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    advanced_inc_subtensor1,
    advanced_set_subtensor,
    advanced_subtensor,
    take,
)

MODES = ["REFERENCE", "FAST_RUN"]
RNG = np.random.default_rng(7)
X3 = RNG.normal(size=(4, 5, 3))


def _check(got, want, dtype=None):
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == (np.dtype(dtype) if dtype else want.dtype), (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def _ops(outputs):
    return {type(n.op) for n in mlc.graph.toposort(outputs)}


# ----------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------

# (numpy index, built from the symbolic index vectors i = [3, -1, 0, 3] (int64) and j = [2, 0, -3, 4] (int32))
READ_CASES = [
    lambda i, j: (i,),  # AdvancedSubtensor1, negative entry, a repeat
    lambda i, j: (i, j),  # several vectors on the leading axes
    lambda i, j: (i, j, 1),  # an int next to arrays indexes like a 0-d array
    lambda i, j: (slice(None), j),  # a slice before: index dims stay at axis 1
    lambda i, j: (slice(1, None), j[:2]),  # a partial slice, then the array
    lambda i, j: (i, slice(None), [2, 2, 0, 1]),  # not adjacent: index dims go first
    lambda i, j: (0, j),
    lambda i, j: (Ellipsis, [2, 0]),
    lambda i, j: (np.array([[0, 1], [3, 3]]),),  # a matrix of rows
    lambda i, j: (np.array([[0], [-1]]), np.array([[1, 2, 3]])),  # column x row broadcast
    lambda i, j: ([],),  # an empty index
]


@pytest.mark.parametrize("mode", MODES)
def test_reading_matches_numpy(mode):
    x = T.dtensor3("x")
    i, j = T.lvector("i"), T.ivector("j")
    iv, jv = np.array([3, -1, 0, 3]), np.array([2, 0, -3, 4], "int32")
    outs = [x[case(i, j)] for case in READ_CASES]
    assert AdvancedSubtensor1 in _ops(outs[:1]) and AdvancedSubtensor in _ops(outs[1:2])
    got = mlc.function([x, i, j], outs, mode=mode)(X3, iv, jv)
    for case, g in zip(READ_CASES, got):
        index = tuple(np.asarray([], "int64") if isinstance(k, list) and not k else k for k in case(iv, jv))
        _check(g, X3[index])


@pytest.mark.parametrize("mode", MODES)
def test_dtypes_and_empty_sources(mode):
    f32, i32 = T.fmatrix("f"), T.imatrix("n")
    flags = T.TensorType("bool", (False, False))("flags")
    rows = T.lvector("rows")
    empty = T.dmatrix("empty")
    outs = [f32[rows], i32[rows, rows], flags[:, rows], empty[[], 1], empty[rows[:0]]]
    fn = mlc.function([f32, i32, flags, rows, empty], outs, mode=mode)
    fv = RNG.normal(size=(3, 3)).astype("float32")
    nv = RNG.integers(-9, 9, (3, 3)).astype("int32")
    bv = RNG.random((3, 3)) > 0.5
    rv = np.array([2, -3, 1])
    ev = np.zeros((0, 2))
    got = fn(fv, nv, bv, rv, ev)
    _check(got[0], fv[rv])
    _check(got[1], nv[rv, rv])
    _check(got[2], bv[:, rv])
    _check(got[3], ev[np.array([], "int64"), 1])
    _check(got[4], ev[rv[:0]])


# ----------------------------------------------------------------------------
# Updating: inc_subtensor / set_subtensor
# ----------------------------------------------------------------------------

# (numpy index with repeats, how y's shape follows it)
UPDATE_CASES = [
    (lambda: ([1, 1, 0, -3],), None),
    (lambda: (slice(None), [4, 4, 0]), None),
    (lambda: (slice(1, None), [4, -1]), None),  # -1 and 4 are the same column
    (lambda: ([0, 0], slice(None), [2, 2]), None),
    (lambda: ([3, 3], [1, 1]), ()),  # y a scalar, broadcast to the region
    (lambda: ([2, 0, 2],), (3,)),  # y a row, broadcast over the indexed rows
]


def _np_update(x, index, y, set_mode):
    out = x.copy()
    if set_mode:
        out[index] = y
    else:
        np.add.at(out, index, y)
    return out


@pytest.mark.parametrize("mode", MODES)
def test_updates_accumulate_repeats_like_numpy_add_at(mode):
    x = T.dtensor3("x")
    ys, values, outs, expected = [], [], [], []
    for k, (index, y_shape) in enumerate(UPDATE_CASES):
        region = X3[index()].shape
        shape = region if y_shape is None else y_shape
        yv = RNG.normal(size=shape)
        y = T.TensorType("float64", (False,) * len(shape))(f"y{k}")
        ys.append(y)
        values.append(yv)
        outs += [T.inc_subtensor(x[index()], y), T.set_subtensor(x[index()], y)]
        expected += [_np_update(X3, index(), yv, False), _np_update(X3, index(), yv, True)]
    assert {AdvancedIncSubtensor, AdvancedIncSubtensor1} <= _ops(outs)
    got = mlc.function([x, *ys], outs, mode=mode)(X3, *values)
    for g, w in zip(got, expected):  # set with repeats: numpy and mlc keep the last value
        _check(g, w)


@pytest.mark.parametrize("mode", MODES)
def test_updates_of_ints_bools_and_symbolic_indices(mode):
    n = T.ivector("n")
    flags = T.TensorType("bool", (False,))("flags")
    i = T.lvector("i")
    outs = [
        T.inc_subtensor(n[i], 10),  # an int update accumulates
        T.set_subtensor(flags[i], True),
        advanced_inc_subtensor1(n, n[:3], i[:3]),
        T.inc_subtensor(n[i[:0]], 5),  # an empty index changes nothing
        T.set_subtensor(n[[]], 5),
    ]
    nv = np.arange(6, dtype="int32")
    fv = np.zeros(6, bool)
    iv = np.array([5, 5, -1, 0])
    got = mlc.function([n, flags, i], outs, mode=mode)(nv, fv, iv)
    _check(got[0], _np_update(nv, iv, 10, False))
    _check(got[1], _np_update(fv, iv, True, True))
    _check(got[2], _np_update(nv, iv[:3], nv[:3], False))
    _check(got[3], nv)
    _check(got[4], nv)


def test_update_type_errors():
    x = T.ivector("x")
    with pytest.raises(TypeError, match="without losing precision"):
        T.inc_subtensor(x[[0, 1]], T.dvector("y"))
    with pytest.raises(TypeError, match="cannot increment a bool"):
        T.inc_subtensor(T.TensorType("bool", (False,))("b")[[0]], True)
    with pytest.raises(mlc.graph.GraphError, match="more than the 1"):
        T.set_subtensor(x[[0, 1]], T.imatrix("m"))


# ----------------------------------------------------------------------------
# Errors before any code runs
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_out_of_bounds_indices_raise_naming_the_users_line(mode):
    x = T.dmatrix("x")
    i = T.lvector("i")
    g = x[i]  # the line the error must name
    line = g.owner.outputs[0].loc.lineno
    fn = mlc.function([x, i], [g, T.inc_subtensor(x[:, i], 1.0)], mode=mode)
    xv = np.zeros((3, 4))
    for bad, value in (([0, 3], 3), ([-4, 1], -4)):
        with pytest.raises(ValueError, match=rf"index {value} is out of bounds for axis 0 with size 3 "
                                             rf"\(built at test_advanced_indexing.py:{line}"):
            fn(xv, np.array(bad))
    # the update x[:, i] checks i against the user's axis 1
    with pytest.raises(ValueError, match="index 3 is out of bounds for axis 1 with size 3"):
        fn(np.zeros((4, 3)), np.array([3]))
    with pytest.raises(ValueError, match="out of bounds for axis 0 with size 0"):
        fn(np.zeros((0, 4)), np.array([0]))
    np.testing.assert_array_equal(fn(np.zeros((0, 4)), np.zeros(0, "int64"))[0], np.zeros((0, 4)))


def test_index_arrays_that_do_not_broadcast_and_unsupported_indices():
    x = T.dmatrix("x")
    i, j = T.lvector("i"), T.lvector("j")
    fn = mlc.function([x, i, j], x[i, j], mode="REFERENCE")
    with pytest.raises(ValueError, match=r"index arrays of shapes \(2,\), \(3,\) do not broadcast"):
        fn(np.zeros((3, 3)), np.zeros(2, "int64"), np.zeros(3, "int64"))
    x[x > 0], x[[True, False]]  # boolean masks are supported (test_extra_ops.py)
    with pytest.raises(NotImplementedError, match="new axes"):
        x[i, None]
    with pytest.raises(IndexError, match="integer type"):
        x[np.array([0.5])]
    with pytest.raises(TypeError, match="integer dtype"):
        x[T.dvector("f")]
    with pytest.raises(IndexError, match="too many indices"):
        x[i, i, i]


# ----------------------------------------------------------------------------
# Gradients
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_gradients_with_repeated_indices(mode):
    xv = RNG.normal(size=(4, 3))
    rng = np.random.default_rng(1)
    verify_grad(lambda x: x[[1, 1, 0, -1]] ** 2, [xv], rng=rng, mode=mode)
    verify_grad(lambda x, y: T.inc_subtensor(x[[2, 2, 0], [1, 1, -1]], y), [xv, RNG.normal(size=3)], rng=rng,
                mode=mode)
    if mode == "REFERENCE":  # more shapes, cheaply
        verify_grad(lambda x: x[1:, [2, 2, 0]] * x[[0, 0, 3]], [xv], rng=rng, mode=mode)
        verify_grad(lambda x, y: T.set_subtensor(x[[1, 3, 0]], y * 2), [xv, RNG.normal(size=(3, 3))], rng=rng,
                    mode=mode)
        verify_grad(lambda x, y: T.inc_subtensor(x[[1, 1, 0]], y), [xv, RNG.normal(size=(3,))], rng=rng, mode=mode)


def test_gradient_of_a_repeated_row_is_the_sum_of_its_uses():
    x = T.dmatrix("x")
    w = T.dmatrix("w")
    i = T.lvector("i")
    g = T.grad((x[i] * w).sum(), x)
    xv, wv, iv = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 2)), np.array([2, 0, 2, -1])
    want = np.zeros_like(xv)
    np.add.at(want, iv, wv)
    np.testing.assert_allclose(mlc.function([x, w, i], g)(xv, wv, iv), want)
    # an index is disconnected (not zero): asking for its gradient is an error
    with pytest.raises(mlc.gradient.DisconnectedInputError):
        T.grad(x[i].sum(), i)


def test_jacobian_and_hessian_batch_through_gather_and_scatter():
    x = T.dvector("x")
    m = T.dmatrix("m")
    i = T.lvector("i")
    xv, mv, iv = RNG.normal(size=5), RNG.normal(size=(3, 4)), np.array([0, 3, 3, -1])
    fn = mlc.function([x, m, i], [
        jacobian(x[i] ** 2, x),
        hessian((x[i] ** 3).sum(), x),
        jacobian(T.set_subtensor(m[:, [0, 2]], x[:2] * m[:, [1, 1]]).sum(axis=0), x),
        jacobian(T.inc_subtensor(x[i], x[:4] ** 2), x),
    ], mode="REFERENCE")
    j1, h, j2, j3 = fn(xv, mv, iv)
    want1 = np.zeros((4, 5))
    want_h = np.zeros((5, 5))
    for r, k in enumerate(iv):
        want1[r, k] += 2 * xv[k]
        want_h[k, k] += 6 * xv[k]
    np.testing.assert_allclose(j1, want1)
    np.testing.assert_allclose(h, want_h)
    want2 = np.zeros((4, 5))
    want2[0, 0] = want2[2, 1] = mv[:, 1].sum()
    np.testing.assert_allclose(j2, want2)
    want3 = np.eye(5)
    for r, k in enumerate(iv):
        want3[k, r] += 2 * xv[r]
    np.testing.assert_allclose(j3, want3)


# ----------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------


def test_tutorial_mlp_loss_trains_natively_like_numpy():
    n_in, n_hidden, n_out, n = 6, 5, 4, 30
    xv = RNG.normal(size=(n, n_in))
    yv = RNG.integers(0, n_out, n).astype("int32")
    w1v, w2v = RNG.normal(size=(n_in, n_hidden)) * 0.5, RNG.normal(size=(n_hidden, n_out)) * 0.5
    x, y = T.dmatrix("x"), T.ivector("y")
    w1, w2 = mlc.shared(w1v.copy(), "W1"), mlc.shared(w2v.copy(), "W2")
    b = mlc.shared(np.zeros(n_out), "b")
    p_y_given_x = T.nnet.softmax(T.dot(T.tanh(T.dot(x, w1)), w2) + b)
    loss = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])
    params = [w1, w2, b]
    grads = T.grad(loss, params)
    train = mlc.function([x, y], loss, updates=[(p, p - 0.3 * g) for p, g in zip(params, grads)])
    losses = [float(train(xv, yv)) for _ in range(8)]

    a, c, bn = w1v.copy(), w2v.copy(), np.zeros(n_out)
    want = []
    for _ in range(8):
        h = np.tanh(xv @ a)
        z = h @ c + bn
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        want.append(-np.mean(np.log(p[np.arange(n), yv])))
        d = p.copy()
        d[np.arange(n), yv] -= 1
        d /= n
        dh = (d @ c.T) * (1 - h**2)
        a, c, bn = a - 0.3 * xv.T @ dh, c - 0.3 * h.T @ d, bn - 0.3 * d.sum(axis=0)
    np.testing.assert_allclose(losses, want, rtol=1e-10)
    np.testing.assert_allclose(w1.get_value(), a, rtol=1e-10)
    assert losses[-1] < losses[0]


def test_categorical_crossentropy_with_integer_labels():
    logits, probs = T.dmatrix("logits"), T.dmatrix("probs")
    labels = T.ivector("labels")
    ce_softmax = T.nnet.categorical_crossentropy(T.nnet.softmax(logits), labels)
    ce_probs = T.nnet.categorical_crossentropy(probs, labels)
    g = T.grad(ce_softmax.sum(), logits)
    fn = mlc.function([logits, probs, labels], [ce_softmax, ce_probs, g])
    lv = RNG.normal(size=(5, 3)) * 3
    lv[0] = [800.0, 0.0, -800.0]  # softmax underflows to 0 for the label: log_softmax stays finite
    pv = RNG.random((5, 3)) + 0.1
    yv = np.array([2, 0, 1, 1, -1], "int32")
    ce1, ce2, gv = fn(lv, pv, yv)
    shifted = lv - lv.max(axis=1, keepdims=True)
    log_sm = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(ce1, -log_sm[np.arange(5), yv])
    assert ce1[0] == pytest.approx(1600.0)
    np.testing.assert_allclose(ce2, -np.log(pv[np.arange(5), yv]))
    onehot = np.eye(3)[yv]
    np.testing.assert_allclose(gv, np.exp(log_sm) - onehot, atol=1e-12)
    with pytest.raises(ValueError, match="index 3 is out of bounds for axis 1 with size 3"):
        fn(lv, pv, np.array([0, 1, 2, 3, 0], "int32"))
    with pytest.raises(TypeError, match="integer labels"):
        T.nnet.categorical_crossentropy(probs, T.dvector("soft"))


# ----------------------------------------------------------------------------
# take, the Theano-named functions, native corner cases
# ----------------------------------------------------------------------------


def test_take_and_the_theano_named_functions():
    a = T.dmatrix("a")
    i = T.lvector("i")
    av, iv = RNG.normal(size=(3, 4)), np.array([1, -1, 5])
    outs = [take(a, i), take(a, i[:2], axis=1), take(a, i, axis=0, mode="wrap"), take(a, i, axis=1, mode="clip"),
            take(a, 2, axis=1), a.take(i[:2], axis=0),
            advanced_subtensor(a, i[:2], i[:2]), advanced_set_subtensor(a, 0.0, i[:2], i[:2])]
    got = mlc.function([a, i], outs, mode="REFERENCE")(av, iv)
    want = [np.take(av, iv), np.take(av, iv[:2], axis=1), np.take(av, iv, axis=0, mode="wrap"),
            np.take(av, iv, axis=1, mode="clip"), np.take(av, 2, axis=1), np.take(av, iv[:2], axis=0),
            av[iv[:2], iv[:2]], _np_update(av, (iv[:2], iv[:2]), 0.0, True)]
    for g, w in zip(got, want):
        _check(g, w)
    with pytest.raises(ValueError, match="mode must be"):
        take(a, i, mode="nearest")


def test_native_gather_and_scatter_on_temporaries_and_shared_updates():
    x = T.dmatrix("x")
    i = T.lvector("i")
    emb = mlc.shared(np.arange(12.0).reshape(6, 2), "emb")
    doubled = x * 2
    # gathers and scatters that may share buffers with dead temporaries
    outs = [doubled[i], T.inc_subtensor((x + 1)[i], doubled[i]), T.set_subtensor(doubled[i[::-1]], doubled[i])]
    step = mlc.function([x, i], outs, updates=[(emb, T.inc_subtensor(emb[i % 6], -1.0))])
    xv, iv = RNG.normal(size=(4, 2)), np.array([3, 0, 3, 1])
    for k in range(2):
        got = step(xv, iv)
        _check(got[0], 2 * xv[iv])
        _check(got[1], _np_update(xv + 1, iv, 2 * xv[iv], False))
        _check(got[2], _np_update(2 * xv, iv[::-1], 2 * xv[iv], True))
    want = np.arange(12.0).reshape(6, 2)
    np.add.at(want, iv, -2.0)
    np.testing.assert_array_equal(emb.get_value(), want)


def test_mt_gather_and_scatter_constructors_and_reference():
    from xdsl.dialects.builtin import TensorType as IRTensor

    from mlc.dialects import mt
    from mlc.dialects.mt.reference import run_mt_text

    src = """
    func.func @f(%x: tensor<?x3xf32>, %i: tensor<?xi64>, %s: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
      %g = mt.gather %x[%i] : tensor<?x3xf32>[tensor<?xi64>] -> tensor<?x3xf32>
      %r = mt.scatter add %s into %x[%i] : tensor<?x3xf32> into tensor<?x3xf32>[tensor<?xi64>]
      func.return %g, %r : tensor<?x3xf32>, tensor<?x3xf32>
    }
    """
    xv = RNG.normal(size=(4, 3)).astype("float32")
    iv, sv = np.array([1, 1, -4]), RNG.normal(size=(3, 3)).astype("float32")
    g, r = run_mt_text(src, xv, iv, sv)
    _check(g, xv[iv])
    _check(r, _np_update(xv, iv, sv, False))
    x = mt.ConstantOp.from_numpy(xv)
    i = mt.ConstantOp.from_numpy(np.array([[0, 1]], "int64"))
    assert mt.GatherOp(x, [i]).result.type == IRTensor(mt.f32, [1, 2, 3])
    assert mt.GatherOp(x, [i, i]).result.type == IRTensor(mt.f32, [1, 2])
    with pytest.raises(Exception, match="between 1 and 2 index tensors"):
        mt.GatherOp(x, [i, i, i])
