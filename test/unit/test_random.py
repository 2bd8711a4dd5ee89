"""Random streams: Theano's numbers (numpy's RandomState, seeded as Theano seeds it), updates, scan, grad."""

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.tensor import raw_random
from mlc.tensor.shared_randomstreams import RandomStreams


def states(seed, n):
    """The RandomStates Theano gives the first n draws of RandomStreams(seed)."""
    gen = np.random.RandomState(seed)
    return [np.random.RandomState(int(gen.randint(2 ** 30))) for _ in range(n)]


def check(f, expect, dtype):
    got = f()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.asarray(expect, dtype=dtype))


# each case: (method, args, kwargs, numpy draw on the variable's RandomState, dtype)
CASES = [
    ("uniform", ((2, 3),), {}, lambda r: r.uniform(0.0, 1.0, (2, 3)), "float64"),
    ("uniform", ((4,),), {"low": -2.0, "high": 5.0, "dtype": "float32"}, lambda r: r.uniform(-2, 5, (4,)), "float32"),
    ("normal", ((3, 2),), {"avg": 1.0, "std": 2.0}, lambda r: r.normal(1.0, 2.0, (3, 2)), "float64"),
    ("binomial", ((5,),), {"n": 3, "p": 0.3}, lambda r: r.binomial(3, 0.3, (5,)), "int64"),
    ("binomial", ((2, 3),), {"p": np.array([0.1, 0.5, 0.9])}, lambda r: r.binomial(1, [0.1, 0.5, 0.9], (2, 3)),
     "int64"),
    ("random_integers", ((2, 2),), {"low": -3, "high": 4},
     lambda r: [[r.randint(-3, 5) for _ in range(2)] for _ in range(2)], "int64"),
    ("random_integers", (None,), {"low": np.array([0, 10]), "high": np.array([1, 20])},
     lambda r: [r.randint(0, 2), r.randint(10, 21)], "int64"),
    ("choice", ((3,),), {"a": 10}, lambda r: r.choice(10, (3,), True, None), "int64"),
    ("choice", ((2, 2),), {"a": np.array([5, 6, 7, 8]), "replace": False, "p": np.array([0.1, 0.2, 0.3, 0.4])},
     lambda r: r.choice([5, 6, 7, 8], (2, 2), False, [0.1, 0.2, 0.3, 0.4]), "int64"),
    ("poisson", ((6,),), {"lam": 3.5}, lambda r: r.poisson(3.5, (6,)), "int64"),
    ("permutation", ((2,),), {"n": 5}, lambda r: [r.permutation(5), r.permutation(5)], "int64"),
    ("permutation", (), {"n": 6}, lambda r: r.permutation(6), "int64"),
    ("multinomial", ((3,),), {"n": 4, "pvals": np.array([0.2, 0.3, 0.5])},
     lambda r: [r.multinomial(4, [0.2, 0.3, 0.5]) for _ in range(3)], "int64"),
]


@pytest.mark.parametrize("method,args,kwargs,draw,dtype", CASES, ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
@pytest.mark.parametrize("mode", ["FAST_RUN", "REFERENCE"])
def test_distributions_match_theano(method, args, kwargs, draw, dtype, mode):
    srng = RandomStreams(seed=4321)
    srng.uniform((1,))  # a first draw takes the first seed: the tested one gets the second
    rv = getattr(srng, method)(*args, **kwargs)
    f = mlc.function([], rv, mode=mode)
    rng = states(4321, 2)[1]
    for _ in range(3):  # each call advances the state
        check(f, draw(rng), dtype)
    srng.seed(77)  # re-seeding replays from the new seed
    rng = states(77, 2)[1]
    check(f, draw(rng), dtype)


def test_shapes_from_symbolic_sizes_and_broadcast_parameters():
    srng = RandomStreams(seed=3)
    x = T.dmatrix("x")
    rv = srng.normal(x.shape, avg=x, std=0.5)
    f = mlc.function([x], rv)
    xv = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(xv), states(3, 1)[0].normal(xv, 0.5, (2, 3)))
    rv2 = srng.uniform(size=(2, -1), low=np.zeros(4), high=1.0)
    assert rv2.broadcastable == (False, False)
    assert mlc.function([], rv2)().shape == (2, 4)


def test_shuffle_row_elements():
    srng = RandomStreams(seed=11)
    m = T.dmatrix("m")
    out = srng.shuffle_row_elements(m)
    f = mlc.function([m], [out, out.permutation])
    mv = np.arange(12.0).reshape(3, 4)
    got, perm = f(mv)
    rng = states(11, 1)[0]
    expect = np.stack([rng.permutation(4) for _ in range(3)])
    np.testing.assert_array_equal(perm, expect)
    np.testing.assert_array_equal(got, np.take_along_axis(mv, expect, 1))
    v = T.dvector("v")
    fv = mlc.function([v], srng.shuffle_row_elements(v))
    np.testing.assert_array_equal(fv(np.arange(5.0)), np.arange(5.0)[states(11, 2)[1].permutation(5)])


def test_default_updates_and_no_default_updates():
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = mlc.function([], rv_u)
    g = mlc.function([], rv_u, no_default_updates=True)
    h = mlc.function([], rv_u, no_default_updates=[rv_u.rng])
    a = g()
    np.testing.assert_array_equal(g(), a)  # g never advances the state
    np.testing.assert_array_equal(h(), a)
    np.testing.assert_array_equal(f(), a)  # f draws the same numbers, then advances
    b = f()
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(g(), _nth(234, 0, 3))
    nearly_zeros = mlc.function([], rv_u + rv_u - 2 * rv_u)  # one draw per call, however often it appears
    assert np.allclose(nearly_zeros(), 0)
    assert srng.updates() == srng.state_updates and srng.updates()[0][0] is rv_u.rng


def _nth(seed, k, call):
    """The `call`-th (1-based) uniform((2, 2)) draw of the k-th variable of RandomStreams(seed)."""
    rng = states(seed, k + 1)[k]
    for _ in range(call - 1):
        rng.uniform(size=(2, 2))
    return rng.uniform(size=(2, 2))


def test_state_is_a_shared_random_state():
    srng = RandomStreams(seed=5)
    rv = srng.uniform((3,))
    f = mlc.function([], rv)
    state = rv.rng.get_value().get_state()
    first = f()
    rng = rv.rng.get_value(borrow=True)
    rng.set_state(state)
    rv.rng.set_value(rng, borrow=True)
    np.testing.assert_array_equal(f(), first)
    assert srng[rv.rng] is rv.rng.get_value(borrow=True)
    with pytest.raises(TypeError, match="RandomState"):
        rv.rng.set_value(np.zeros(3))


def test_raw_random_with_an_explicit_state():
    r = mlc.shared(np.random.RandomState(9))
    assert isinstance(r.type, raw_random.RandomStateType) and r.type == raw_random.random_state_type
    new_r, sample = raw_random.normal(r, (4,), 0.0, 1.0)
    f = mlc.function([], sample, updates=[(r, new_r)])
    rng = np.random.RandomState(9)
    np.testing.assert_array_equal(f(), rng.normal(size=(4,)))
    np.testing.assert_array_equal(f(), rng.normal(size=(4,)))
    op = raw_random.RandomFunction("exponential", T.dvector().type)
    new_r, e = op(r, T.constant([3], dtype="int64"), 2.0)
    np.testing.assert_array_equal(mlc.function([], e)(), rng.exponential(2.0, (3,)))


def test_rv_redrawn_at_each_scan_step():
    srng = RandomStreams(seed=8)
    outside = srng.uniform((2,))  # defined outside the step, used inside: still redrawn per step

    def step(acc):
        return acc + srng.normal((2,)) + outside

    out, updates = mlc.scan(step, outputs_info=T.zeros((2,), "float64"), n_steps=4)
    f = mlc.function([], out, updates=updates)
    r_out, r_in = states(8, 2)
    acc, rows = np.zeros(2), []
    for _ in range(4):
        noise = r_in.normal(size=(2,))
        acc = acc + noise + r_out.uniform(size=(2,))
        rows.append(acc)
    np.testing.assert_allclose(f(), np.stack(rows), rtol=0, atol=1e-12)
    second = f()  # the final states were updates: the next call continues both streams
    acc, rows = np.zeros(2), []
    for _ in range(4):
        noise = r_in.normal(size=(2,))
        acc = acc + noise + r_out.uniform(size=(2,))
        rows.append(acc)
    np.testing.assert_allclose(second, np.stack(rows), rtol=0, atol=1e-12)


def test_scan_advances_the_random_state_in_place(monkeypatch):
    """A draw in the step advances the scan's RandomState in place: no copy per step; no copy at all when
    the function owns the state (its update is the scan's final state), one per call when it does not."""
    import copy

    import mlc.scan_module.op as scan_op

    copies = []
    deepcopy = copy.deepcopy

    def counting(x, memo=None):
        if memo is None:  # (a top-level copy, not numpy's recursion into a boxed state)
            copies.append("copy")
        return deepcopy(x, memo)

    srng = RandomStreams(seed=3)
    out, updates = mlc.scan(lambda acc: acc + srng.uniform((2,)), outputs_info=T.zeros((2,), "float64"),
                            n_steps=5)
    owns = mlc.function([], out, updates=updates)
    borrows = mlc.function([], out, no_default_updates=True)
    (state,) = updates.keys()
    monkeypatch.setattr(raw_random.copy, "deepcopy", counting)
    monkeypatch.setattr(scan_op.copy, "deepcopy", counting)
    (r,) = states(3, 1)
    before = state.get_value(borrow=True)
    for _ in range(2):  # Theano's numbers: the five draws of a step each, then the next five
        np.testing.assert_array_equal(owns(), np.cumsum([r.uniform(size=(2,)) for _ in range(5)], axis=0))
    assert copies == [] and state.get_value(borrow=True) is before  # advanced in place
    again = np.cumsum([r.uniform(size=(2,)) for _ in range(5)], axis=0)
    for _ in range(2):  # not owned: one copy of the state per call, and the shared state stays
        np.testing.assert_array_equal(borrows(), again)
    assert copies == ["copy"] * 2 and state.get_value(borrow=True) is before
    np.testing.assert_array_equal(owns(), again)


def test_grad_treats_draws_as_constants():
    srng = RandomStreams(seed=1)
    w = mlc.shared(np.array([1.0, 2.0, 3.0]), "w")
    mask = srng.binomial((3,), p=0.5, dtype="float64")
    cost = (w * mask * srng.uniform((3,), low=w, high=w + 1)).sum()
    gw = mlc.grad(cost, w)
    f = mlc.function([], [gw, mask], no_default_updates=True)
    g, m = f()
    r_mask, r_u = states(1, 2)
    np.testing.assert_array_equal(m, r_mask.binomial(1, 0.5, (3,)))
    np.testing.assert_allclose(g, m * r_u.uniform([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], (3,)))


def test_bad_sizes_are_clear_errors():
    srng = RandomStreams(seed=1)
    with pytest.raises(ValueError, match="ndim should be equal"):
        srng.uniform((2, 3), ndim=1)
    s = T.lvector("s")
    rv = srng.uniform(s, ndim=2)
    f = mlc.function([s], rv)
    assert f(np.array([2, 3])).shape == (2, 3)
    with pytest.raises(ValueError, match="shape"):
        f(np.array([2, 3, 4]))


def test_theano_test_suite_cases():
    """Cases of Theano's own test_shared_randomstreams.py, with its seeding and expectations."""
    seed = 4321
    first = np.random.RandomState(int(np.random.RandomState(seed).randint(2 ** 30)))

    random = RandomStreams(seed)
    fn = mlc.function([], random.permutation((20,), 10), updates=random.updates())
    rng = np.random.RandomState(int(np.random.RandomState(seed).randint(2 ** 30)))
    for _ in range(2):
        np.testing.assert_array_equal(fn(), np.asarray([rng.permutation(10) for _ in range(20)]))

    random = RandomStreams(seed)
    fn = mlc.function([], random.multinomial((4, 4), 1, [0.1] * 10), updates=random.updates())
    rng = np.random.RandomState(int(np.random.RandomState(seed).randint(2 ** 30)))
    for _ in range(2):
        np.testing.assert_array_equal(fn(), rng.multinomial(1, [0.1] * 10, size=(4, 4)))

    random = RandomStreams(seed)
    m = T.dmatrix()
    f = mlc.function([m], random.shuffle_row_elements(m), updates=random.updates())
    in_mval = np.random.RandomState(seed + 42).uniform(-2, 2, size=(20, 5))
    for _ in range(2):
        expect = in_mval.copy()
        for row in expect:
            first.shuffle(row)
        np.testing.assert_array_equal(f(in_mval), expect)


def test_state_advanced_in_place_only_when_the_function_owns_it():
    srng = RandomStreams(seed=6)
    rv = srng.uniform((3,))
    f = mlc.function([], rv)
    rng = rv.rng.get_value(borrow=True)
    first = f()
    assert rv.rng.get_value(borrow=True) is rng  # advanced in place (Theano's random_make_inplace), no copy
    np.testing.assert_array_equal(first, states(6, 1)[0].uniform(size=(3,)))
    # two draws reading one explicit state, one of them updating it: both must see the old state
    r = mlc.shared(np.random.RandomState(3))
    new_a, a = raw_random.uniform(r, (2,))
    _, b = raw_random.uniform(r, (2,))
    g = mlc.function([], [a, b], updates=[(r, new_a)])
    old = r.get_value(borrow=True)
    ga, gb = g()
    np.testing.assert_array_equal(ga, gb)
    np.testing.assert_array_equal(ga, np.random.RandomState(3).uniform(size=(2,)))
    assert r.get_value(borrow=True) is not old  # the update is a copy, the old state untouched
    np.testing.assert_array_equal(old.uniform(size=(2,)), ga)
