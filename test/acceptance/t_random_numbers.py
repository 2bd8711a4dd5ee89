"""Theano's tutorial, "Using Random Numbers" (doc/tutorial/examples.txt), run unchanged, plus the Gibbs
sampling example of doc/tutorial/loop.txt (random draws inside scan's step).

Values printed in Theano 1.0.5's documentation are checked exactly (to the printed digits); the other
steps check what the text says (same / different numbers), and the Gibbs chain is checked against numpy
drawing from the same seeds in Theano's order.

    python -m mlc.compat.theano test/acceptance/t_random_numbers.py
"""
from __future__ import print_function

import numpy
import theano
import theano.tensor as T
from theano import function
from theano.tensor.shared_randomstreams import RandomStreams

# -- Brief Example ----------------------------------------------------------------------------------
srng = RandomStreams(seed=234)
rv_u = srng.uniform((2, 2))
rv_n = srng.normal((2, 2))
f = function([], rv_u)
g = function([], rv_n, no_default_updates=True)    # Not updating rv_n.rng
nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

f_val0 = f()
f_val1 = f()  # different numbers from f_val0
assert not numpy.allclose(f_val0, f_val1)
g_val0 = g()  # different numbers from f_val0 and f_val1
g_val1 = g()  # same numbers as g_val0!
assert numpy.array_equal(g_val0, g_val1)
assert numpy.allclose(nearly_zeros(), 0)

# the numbers are numpy's: the stream's RandomState(234) seeds each variable's RandomState
seeds = numpy.random.RandomState(234)
u_rng = numpy.random.RandomState(seeds.randint(2 ** 30))
n_rng = numpy.random.RandomState(seeds.randint(2 ** 30))
assert numpy.array_equal(f_val0, u_rng.uniform(size=(2, 2)))
assert numpy.array_equal(f_val1, u_rng.uniform(size=(2, 2)))
assert numpy.array_equal(g_val0, n_rng.normal(size=(2, 2)))

# -- Seeding Streams --------------------------------------------------------------------------------
rng_val = rv_u.rng.get_value(borrow=True)   # Get the rng for rv_u
rng_val.seed(89234)                         # seeds the generator
rv_u.rng.set_value(rng_val, borrow=True)    # Assign back seeded rng
assert numpy.array_equal(f(), numpy.random.RandomState(89234).uniform(size=(2, 2)))

srng.seed(902340)  # seeds rv_u and rv_n with different seeds each
seeds = numpy.random.RandomState(902340)
expect_u = numpy.random.RandomState(seeds.randint(2 ** 30)).uniform(size=(2, 2))
expect_n = numpy.random.RandomState(seeds.randint(2 ** 30)).normal(size=(2, 2))

# -- Sharing Streams Between Functions ----------------------------------------------------------------
state_after_v0 = rv_u.rng.get_value().get_state()
print(nearly_zeros())       # this affects rv_u's generator
v1 = f()
rng = rv_u.rng.get_value(borrow=True)
rng.set_state(state_after_v0)
rv_u.rng.set_value(rng, borrow=True)
v2 = f()             # v2 != v1
v3 = f()             # v3 == v1
assert not numpy.allclose(v1, v2)
assert numpy.array_equal(v3, v1)
assert numpy.array_equal(v2, expect_u)
assert numpy.array_equal(g(), expect_n)

# -- Copying Random State Between Theano Graphs -------------------------------------------------------
from theano.sandbox.rng_mrg import MRG_RandomStreams
from theano.tensor.shared_randomstreams import RandomStreams


class Graph():
    def __init__(self, seed=123):
        self.rng = RandomStreams(seed)
        self.y = self.rng.uniform(size=(1,))


g1 = Graph(seed=123)
f1 = theano.function([], g1.y)

g2 = Graph(seed=987)
f2 = theano.function([], g2.y)

# By default, the two functions are out of sync.
out1, out2 = f1(), f2()
print(out1)
print(out2)
assert numpy.allclose(out1, [0.72803009]) and numpy.allclose(out2, [0.55056769])   # the doc's numbers


def copy_random_state(g1, g2):
    if isinstance(g1.rng, MRG_RandomStreams):
        g2.rng.rstate = g1.rng.rstate
    for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
        su2[0].set_value(su1[0].get_value())


# We now copy the state of the theano random number generators.
copy_random_state(g1, g2)
out1, out2 = f1(), f2()
print(out1)
print(out2)
assert numpy.allclose(out1, [0.59044123]) and numpy.allclose(out2, [0.59044123])

# -- Other Implementations: "from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams" -----
mrg = MRG_RandomStreams(seed=234)
m_u = mrg.uniform((2, 2))
fm = function([], m_u)
m0, m1 = fm(), fm()
assert m0.shape == (2, 2) and not numpy.allclose(m0, m1) and ((0 < m0) & (m0 < 1)).all()

# -- doc/tutorial/loop.txt: Gibbs sampling, random draws in scan's step --------------------------------
rng = numpy.random
W_values = rng.RandomState(0).uniform(-0.5, 0.5, size=(5, 3))
bvis_values = numpy.zeros(5)
bhid_values = numpy.zeros(3)
W = theano.shared(W_values)
bvis = theano.shared(bvis_values)
bhid = theano.shared(bhid_values)

trng = T.shared_randomstreams.RandomStreams(1234)


def OneStep(vsample):
    hmean = T.nnet.sigmoid(theano.dot(vsample, W) + bhid)
    hsample = trng.binomial(size=hmean.shape, n=1, p=hmean)
    vmean = T.nnet.sigmoid(theano.dot(hsample, W.T) + bvis)
    return trng.binomial(size=vsample.shape, n=1, p=vmean,
                         dtype=theano.config.floatX)


sample = theano.tensor.vector()
values, updates = theano.scan(OneStep, outputs_info=sample, n_steps=10)
gibbs10 = theano.function([sample], values[-1], updates=updates)
v0 = numpy.ones(5, dtype=theano.config.floatX)
got = gibbs10(v0)

# the same chain with numpy: each binomial redrawn at every step from its own RandomState
seeds = numpy.random.RandomState(1234)
h_rng = numpy.random.RandomState(seeds.randint(2 ** 30))
v_rng = numpy.random.RandomState(seeds.randint(2 ** 30))


def numpy_gibbs10(v):
    for _ in range(10):
        hmean = 1 / (1 + numpy.exp(-(v.dot(W_values) + bhid_values)))
        h = h_rng.binomial(1, hmean, size=hmean.shape)
        vmean = 1 / (1 + numpy.exp(-(h.dot(W_values.T) + bvis_values)))
        v = v_rng.binomial(1, vmean, size=v.shape).astype(theano.config.floatX)
    return v


assert numpy.array_equal(got, numpy_gibbs10(v0)), got
# the updates carried the states forward: a second call continues both streams
assert numpy.array_equal(gibbs10(v0), numpy_gibbs10(v0))

print("t_random_numbers: OK")
