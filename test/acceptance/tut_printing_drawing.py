"""doc/tutorial/printing_drawing.txt: pprint, debugprint, pydotprint (the picture, or DOT text without graphviz)."""
import os
import tempfile

import numpy
import theano
import theano.tensor as T

rng = numpy.random
N = 400
feats = 784
D = (rng.randn(N, feats).astype(theano.config.floatX), rng.randint(size=N,low=0, high=2).astype(theano.config.floatX))
training_steps = 10000
x = T.matrix("x")
y = T.vector("y")
w = theano.shared(rng.randn(feats).astype(theano.config.floatX), name="w")
b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
x.tag.test_value = D[0]
y.tag.test_value = D[1]
p_1 = 1 / (1 + T.exp(-T.dot(x, w)-b)) # Probability of having a one
prediction = p_1 > 0.5 # The prediction that is done: 0 or 1
xent = -y*T.log(p_1) - (1-y)*T.log(1-p_1) # Cross-entropy
cost = xent.mean() + 0.01*(w**2).sum() # The cost to optimize
gw,gb = T.grad(cost, [w,b])
train = theano.function(inputs=[x,y], outputs=[prediction, xent], updates=[[w, w-0.01*gw], [b, b-0.01*gb]], name = "train")
predict = theano.function(inputs=[x], outputs=prediction, name = "predict")

text = theano.printing.pprint(prediction)
print(text)
assert text.startswith("gt(") and "exp" in text

pre = theano.printing.debugprint(prediction, file="str")
print(pre)
assert pre.startswith("Elemwise{gt,no_inplace} [id A] ''")
assert theano.printing.debugprint(predict, file="str")
assert "<TensorType(" in theano.printing.debugprint(prediction, print_type=True, file="str")
assert "[id" not in theano.printing.debugprint(prediction, ids="", file="str")

os.chdir(tempfile.mkdtemp())
os.makedirs("pics")
theano.printing.pydotprint(prediction, outfile="pics/logreg_pydotprint_prediction.png", var_with_name_simple=True)
theano.printing.pydotprint(predict, outfile="pics/logreg_pydotprint_predict.png", var_with_name_simple=True)
theano.printing.pydotprint(train, outfile="pics/logreg_pydotprint_train.png", var_with_name_simple=True)
made = sorted(os.listdir("pics"))
print(made)
assert len(made) == 3  # pngs with graphviz's dot, else the DOT text of each graph
theano.printing.pydotprint(train, outfile="train.dot", format="dot")
assert open("train.dot").read().startswith("digraph G {")
print("ok")
