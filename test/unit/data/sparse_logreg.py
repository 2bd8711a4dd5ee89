"""A Theano 1.0.5 program, unchanged: logistic regression on sparse (csr) input, trained with SGD.

Run by test_sparse.py through `python -m mlc.compat.theano`; prints the first and last costs and the
training accuracy, and the sparse gradient's format.
"""
from __future__ import print_function

import numpy as np
import scipy.sparse as sp
import theano
import theano.sparse as S
import theano.tensor as T

rng = np.random.RandomState(0)
n, d = 80, 40
X = sp.random(n, d, density=0.15, format="csr", random_state=rng, dtype=theano.config.floatX)
Y = (X.dot(rng.randn(d)) > 0).astype(theano.config.floatX)

x = S.csr_matrix("x")
y = T.vector("y")
w = theano.shared(np.zeros(d, dtype=theano.config.floatX), name="w")
b = theano.shared(np.asarray(0.0, dtype=theano.config.floatX), name="b")
p_1 = T.nnet.sigmoid(S.structured_dot(x, w.dimshuffle(0, "x")).flatten() + b)
xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
cost = xent.mean() + 0.001 * (w ** 2).sum()
gw, gb = T.grad(cost, [w, b])
train = theano.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
predict = theano.function([x], p_1 > 0.5)

costs = [float(train(X, Y)) for _ in range(100)]
gx = theano.function([x, y], T.grad(cost, x))(X, Y)
print("cost", round(costs[0], 4), round(costs[-1], 4))
print("accuracy", float((predict(X) == Y).mean()))
print("grad", type(gx).__name__, gx.format, gx.nnz <= X.nnz)
