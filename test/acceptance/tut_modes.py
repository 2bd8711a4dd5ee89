"""doc/tutorial/modes.txt: printing the config, the modes exercise, DebugMode."""
import os

import numpy
import theano
import theano.tensor as T

text = str(theano.config)
assert "floatX" in text and "Value:" in text and "mode" in text

rng = numpy.random

N = 400
feats = 784
D = (rng.randn(N, feats).astype(theano.config.floatX),
rng.randint(size=N,low=0, high=2).astype(theano.config.floatX))
training_steps = int(os.environ.get('TUTORIAL_TRAINING_STEPS', 10000))  # the page: 10000

# Declare Theano symbolic variables
x = T.matrix("x")
y = T.vector("y")
w = theano.shared(rng.randn(feats).astype(theano.config.floatX), name="w")
b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
x.tag.test_value = D[0]
y.tag.test_value = D[1]

# Construct Theano expression graph
p_1 = 1 / (1 + T.exp(-T.dot(x, w)-b)) # Probability of having a one
prediction = p_1 > 0.5 # The prediction that is done: 0 or 1
xent = -y*T.log(p_1) - (1-y)*T.log(1-p_1) # Cross-entropy
cost = xent.mean() + 0.01*(w**2).sum() # The cost to optimize
gw,gb = T.grad(cost, [w,b])

# Compile expressions to functions
train = theano.function(
            inputs=[x,y],
            outputs=[prediction, xent],
            updates=[(w, w-0.01*gw), (b, b-0.01*gb)],
            name = "train")
predict = theano.function(inputs=[x], outputs=prediction,
            name = "predict")

nodes = train.maker.fgraph.toposort()
assert nodes and all(hasattr(n, "op") for n in nodes)
print("train has", len(nodes), "nodes; its class names:", sorted({n.op.__class__.__name__ for n in nodes}))

before = (predict(D[0]) == D[1]).mean()
for i in range(training_steps):
    pred, err = train(D[0], D[1])

print("target values for D")
print(D[1])
print("prediction on D")
print(predict(D[0]))
assert (predict(D[0]) == D[1]).mean() > before

# -- Mode names and constructors
for mode in ('FAST_COMPILE', 'FAST_RUN', 'DebugMode', 'NanGuardMode',
             theano.compile.mode.Mode(linker='py', optimizer='fast_compile'),
             theano.compile.mode.Mode(linker='cvm', optimizer='fast_run'),
             theano.compile.debugmode.DebugMode()):
    g = theano.function([x], (x * 2).sum(), mode=mode)
    assert numpy.isclose(g(D[0][:3]), 2 * D[0][:3].sum())
assert theano.compile.mode.get_mode('FAST_RUN').optimizer == 'fast_run'

# -- Using DebugMode
x = T.dvector('x')
f = theano.function([x], 10 * x, mode='DebugMode')
f([5])
f([0])
f([7])
assert list(f([7])) == [70.0]
print("ok")
