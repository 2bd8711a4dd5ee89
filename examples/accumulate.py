"""Shared state, updates and several outputs: a running mean and variance of batches."""
import numpy

import mlc
import mlc.tensor as T

batch = T.dmatrix('batch')
count = mlc.shared(0.0, 'count')
total = mlc.shared(numpy.zeros(3), 'total')
total_sq = mlc.shared(numpy.zeros(3), 'total_sq')

n = count + batch.shape[0]
s = total + batch.sum(axis=0)
sq = total_sq + (batch ** 2).sum(axis=0)
mean = s / n
var = sq / n - mean ** 2
step = mlc.function([batch], [mean, T.sqrt(var)],
                    updates=[(count, n), (total, s), (total_sq, sq)])

rng = numpy.random.default_rng(0)
data = rng.normal(loc=[1.0, -2.0, 0.5], scale=[1.0, 0.5, 2.0], size=(1000, 3))
for chunk in numpy.array_split(data, 4):
    m, sd = step(chunk)
print("running mean:", m, " numpy:", data.mean(axis=0))
print("running std: ", sd, " numpy:", data.std(axis=0))
assert numpy.allclose(m, data.mean(axis=0)) and numpy.allclose(sd, data.std(axis=0))
