"""MRG_RandomStreams: native MRG31k3p against L'Ecuyer's reference numbers and a plain numpy recurrence."""

from pathlib import Path

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.dialects.mt.random import M1, M2, mrg_step, mrg_uniform_reference
from mlc.tensor.rng_mrg import MRG_RandomStreams, ff_2p72, ff_2p134, guess_n_streams

#: L'Ecuyer et al.'s Java implementation, seed [12345]*6: 12 streams x 7 substreams x 5 draws (shipped with
#: Theano as theano/sandbox/samples_MRG31k3p_12_7_5.txt)
JAVA = np.loadtxt(Path(__file__).parent / "data" / "samples_MRG31k3p_12_7_5.txt")


def python_step(x):
    """One MRG31k3p step of one stream in exact integer arithmetic (the generator's definition, no wrapping)."""
    x11, x12, x13, x21, x22, x23 = (int(v) for v in x)
    y1 = ((x12 & 511) << 22) + (x12 >> 9) + ((x13 & 16777215) << 7) + (x13 >> 24)  # 2^22 x12 + 2^7 x13 mod M1
    y1 = (y1 + x13) % M1
    z1 = (((x21 & 65535) << 15) + 21069 * (x21 >> 16)) % M2
    z2 = (((x23 & 65535) << 15) + 21069 * (x23 >> 16) + x23 + z1) % M2
    new = [y1, x11, x12, z2, x21, x22]
    return new, (y1 - z2 + M1 if y1 <= z2 else y1 - z2)


def test_numpy_recurrence_matches_exact_integers():
    rng = np.random.RandomState(0)
    state = np.concatenate([rng.randint(1, M1, (50, 3)), rng.randint(1, M2, (50, 3))], axis=1).astype("int32")
    state[0] = [M1 - 1, M1 - 1, M1 - 1, M2 - 1, M2 - 1, M2 - 1]  # the largest values (int32 wrap-around paths)
    for _ in range(20):
        expect = [python_step(row) for row in state]
        draws = mrg_step(state)
        assert state.tolist() == [e[0] for e in expect]
        assert draws.tolist() == [e[1] for e in expect]


@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
def test_java_reference_samples(mode):
    rng = MRG_RandomStreams(seed=12345)
    samples = []
    for _ in range(12):
        u = rng.uniform(size=(7,), nstreams=7, dtype="float64")
        f = mlc.function([], u, mode=mode)
        samples.append(np.array([f() for _ in range(5)]).T.flatten())
    np.testing.assert_allclose(np.array(samples).flatten(), JAVA, rtol=0, atol=1e-15)


def test_substreams_and_streams():
    r = MRG_RandomStreams(seed=12345)
    states = r.get_substream_rstates(3, "float64")
    np.testing.assert_array_equal(states[0], [12345] * 6)
    np.testing.assert_array_equal(states[1], ff_2p72(states[0]))
    np.testing.assert_array_equal(r.rstate, ff_2p134(np.array([12345] * 6, "int32")))
    # 2^72 steps: the jump equals the matrices' definition A^(2^72), checked on a small power: A^1 is one step
    state = np.array([[12345] * 6], "int32")
    a1 = np.array([[0, 4194304, 129], [1, 0, 0], [0, 1, 0]], "int64")  # one step of the first component
    a2 = np.array([[32768, 0, 32769], [1, 0, 0], [0, 1, 0]], "int64")
    one = np.concatenate([np.sum((a1 * state[0, :3]) % M1, 1) % M1, np.sum((a2 * state[0, 3:]) % M2, 1) % M2])
    mrg_step(state)
    np.testing.assert_array_equal(state[0], one)
    assert guess_n_streams((2, 3)) == 6 and guess_n_streams((60, 10)) == 100 and guess_n_streams((T.iscalar(),)) == 15360


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size,nstreams", [((10, 20), None), ((5,), 7), ((3, 3), 4), ((1,), None), ((13,), 5)])
def test_uniform_native_equals_numpy_reference(dtype, size, nstreams):
    r = MRG_RandomStreams(seed=42)
    u = r.uniform(size, low=-1.0, high=3.0, dtype=dtype, nstreams=nstreams)
    rstate = r.state_updates[0][0]
    state0 = rstate.get_value()
    f = mlc.function([], u)
    state = state0
    for _ in range(3):  # several calls: the state advances in place
        state, flat = mrg_uniform_reference(state, int(np.prod(size)), dtype)
        t = np.dtype(dtype).type
        expect = (flat * (t(3.0) - t(-1.0)) + t(-1.0)).reshape(size)
        got = f()
        assert got.dtype == np.dtype(dtype) and got.shape == size
        np.testing.assert_array_equal(got, expect)
        np.testing.assert_array_equal(rstate.get_value(borrow=True), state)
    assert ((got > -1) & (got < 3)).all()


def test_state_updated_in_place_and_reseeding_replays():
    r = MRG_RandomStreams(seed=7)
    u = r.uniform((4, 5))
    rstate = r.state_updates[0][0]
    f = mlc.function([], u)
    storage = rstate.get_value(borrow=True)
    a, b = f(), f()
    assert rstate.get_value(borrow=True) is storage  # the int32 state matrix is written in place
    assert not np.allclose(a, b)
    g = mlc.function([], u, no_default_updates=True)
    c = g()
    np.testing.assert_array_equal(g(), c)
    r.seed(7)
    np.testing.assert_array_equal(f(), a)
    np.testing.assert_array_equal(f(), b)
    r.seed(99)
    assert not np.allclose(f(), a)
    assert r.updates()[0][0] is rstate


def _normal_reference(flat_uniform, n, dtype):
    t = np.dtype(dtype).type
    half = flat_uniform.shape[0] // 2
    u1, u2 = flat_uniform[:half], flat_uniform[half:]
    radius = np.sqrt(t(-2.0) * np.log(u1))
    theta = t(2.0 * np.pi) * u2
    return np.concatenate([radius * np.cos(theta), radius * np.sin(theta)])[:n], np.cos(theta), np.sin(theta)


@pytest.mark.parametrize("size", [(3, 5), (7,), (1,)])
def test_normal_box_muller_with_odd_sizes(size):
    r = MRG_RandomStreams(seed=3)
    z = r.normal(size, avg=2.0, std=3.0, dtype="float64")
    f = mlc.function([], z)
    n = int(np.prod(size))
    state = r.state_updates[0][0].get_value()
    assert state.shape == (15360, 6)  # the uniform's size is symbolic: Theano's 60 * 256 streams
    _, flat = mrg_uniform_reference(state, n + n % 2, "float64")
    expect = _normal_reference(flat, n, "float64")[0].reshape(size) * 3.0 + 2.0
    np.testing.assert_allclose(f(), expect, rtol=1e-13, atol=1e-13)


def test_normal_float32_and_statistics():
    r = MRG_RandomStreams(seed=5)
    z = r.normal((200, 50), dtype="float32")
    v = mlc.function([], z)()
    assert v.dtype == np.float32 and v.shape == (200, 50)
    assert abs(v.mean()) < 0.03 and abs(v.std() - 1) < 0.03


def test_truncated_normal():
    r = MRG_RandomStreams(seed=11)
    z = r.truncated_normal((2000,), avg=1.0, std=0.5, dtype="float64")
    f = mlc.function([], z)
    first_state = r.state_updates[0][0].get_value()
    fix_state = r.state_updates[1][0].get_value()
    got = f()
    assert ((got >= 1.0 - 2 * 0.5 / 0.87962566103423978 - 1e-12) & (got <= 1.0 + 1.1369 + 1e-4)).all()
    _, flat = mrg_uniform_reference(first_state, 2000, "float64")
    _, cos_t, sin_t = _normal_reference(flat, 2000, "float64")
    half = 1000
    radius = np.sqrt(-2.0 * np.log(flat[:half]))
    z0, z1 = radius * cos_t, radius * sin_t
    fix0, fix1 = np.abs(z0) > 2, np.abs(z1) > 2
    _, u = mrg_uniform_reference(fix_state, int(fix0.sum() + fix1.sum()), "float64")
    low = 1.0 / np.e ** 2
    rf = np.sqrt(-2.0 * np.log(u * (1.0 - low) + low))
    n0 = int(fix0.sum())
    joined = np.concatenate([z0[~fix0], rf[:n0] * cos_t[fix0], z1[~fix1], rf[n0:] * sin_t[fix1]])
    np.testing.assert_allclose(got, joined * (0.5 / 0.87962566103423978) + 1.0, rtol=1e-12, atol=1e-12)


def test_binomial_multinomial_choice():
    r = MRG_RandomStreams(seed=21)
    p = T.dmatrix("p")
    b = r.binomial((6,), p=0.3)
    m = r.multinomial(pvals=p, n=2)
    c = r.choice(size=2, p=p, replace=False)
    states = [s.get_value() for s, _, _, _ in r.state_updates]
    f = mlc.function([p], [b, m, c])
    pv = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    gb, gm, gc = f(pv)
    _, ub = mrg_uniform_reference(states[0], 6, "float64")
    np.testing.assert_array_equal(gb, (ub < 0.3).astype("int64"))
    _, um = mrg_uniform_reference(states[1], 4, "float64")
    expect = np.zeros((2, 3), "int64")
    for k, u in enumerate(um):
        row = k % 2
        expect[row, np.argmax(np.cumsum(pv[row]) > u)] += 1
    np.testing.assert_array_equal(gm, expect)
    assert gm.sum(axis=1).tolist() == [2, 2]
    _, uc = mrg_uniform_reference(states[2], 4, "float64")
    picks = np.zeros((2, 2), "int64")
    for row in range(2):
        q = pv[row].copy()
        for c_ in range(2):
            j = int(np.argmax(np.cumsum(q) > uc[c_ * 2 + row]))
            picks[row, c_] = j
            q[j] = 0
            q = q / q.sum()
    np.testing.assert_array_equal(gc, picks)
    assert all(len(set(row)) == 2 for row in gc.tolist())


def test_mrg_redrawn_at_each_scan_step():
    r = MRG_RandomStreams(seed=13)

    def step(acc):
        return acc + r.uniform((3,), nstreams=2)

    out, updates = mlc.scan(step, outputs_info=T.zeros((3,), "float64"), n_steps=4)
    f = mlc.function([], out, updates=updates)
    state = r.state_updates[0][0].get_value()
    acc, rows = np.zeros(3), []
    for _ in range(4):
        state, u = mrg_uniform_reference(state, 3, "float64")
        acc = acc + u
        rows.append(acc)
    np.testing.assert_allclose(f(), np.stack(rows), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(r.state_updates[0][0].get_value(), state)


def test_grad_through_dropout_mask_and_seed_checks():
    r = MRG_RandomStreams(seed=1)
    w = mlc.shared(np.arange(1.0, 5.0), "w")
    mask = r.binomial((4,), p=0.5, dtype="float64")
    g = mlc.grad((w * mask).sum(), w)
    gv, mv = mlc.function([], [g, mask], no_default_updates=True)()
    np.testing.assert_array_equal(gv, mv)
    with pytest.raises(ValueError, match="should not be 0"):
        MRG_RandomStreams(0)
    with pytest.raises(ValueError, match="less than"):
        MRG_RandomStreams([M1, 1, 1, 1, 1, 1])
    with pytest.raises(NotImplementedError, match="n > 1"):
        r.binomial((2,), n=3)
