"""doc/tutorial/debug_faq.txt: error messages, test values, print_test_value, Print, MonitorMode."""
from __future__ import print_function
import contextlib
import io

import numpy as np
import numpy
import theano
import theano.tensor as T

# -- Interpreting error messages: the shapes that do not match, at call time
x = T.vector()
y = T.vector()
z = x + x
z = z + y
f = theano.function([x, y], z)
try:
    f(np.ones((2,)), np.ones((3,)))
    raise AssertionError("shapes (2,) and (3,) must not add")
except ValueError as e:
    print("ValueError:", str(e).splitlines()[0])
    assert "(2,)" in str(e) and "(3,)" in str(e)

# -- Using test values: with compute_test_value off, the error comes when f is called
theano.config.compute_test_value = 'off' # Use 'warn' to activate this feature
W1val = numpy.random.rand(2, 10, 10).astype(theano.config.floatX)
W1 = theano.shared(W1val, 'W1')
W2val = numpy.random.rand(15, 20).astype(theano.config.floatX)
W2 = theano.shared(W2val, 'W2')
x  = T.matrix('x')
func_of_W1 = W1.dimshuffle(2, 0, 1).flatten(2).T
h1 = T.dot(x, func_of_W1)
h2 = T.dot(h1, W2.T)
f = theano.function([x], h2)
try:
    f(numpy.random.rand(5, 10))
    raise AssertionError("a (5, 10) x (20, 10) product must fail")
except ValueError as e:
    print("ValueError:", str(e).splitlines()[0])

# with test values the error is raised by the line that builds the bad node
theano.config.compute_test_value = 'warn'
x  = T.matrix('x')
x.tag.test_value = numpy.random.rand(5, 10)
func_of_W1 = W1.dimshuffle(2, 0, 1).flatten(2).T
try:
    h1 = T.dot(x, func_of_W1); BAD_LINE = True
    raise AssertionError("the test value must make T.dot fail here")
except ValueError as e:
    print("ValueError while building the graph:", str(e).splitlines()[0])
ok = T.dot(x, W1.dimshuffle(2, 0, 1).flatten(2))
assert ok.tag.test_value.shape == (5, 20)    # intermediate results get test values
theano.config.compute_test_value = 'off'

x = T.scalar('x')
x.tag.test_value = 42
theano.config.print_test_value = True
shown = x.__repr__()
print(shown)
assert shown.split("\n") == ["x", "array(42.)"] or shown.split("\n") == ["x", "array(42.0)"], shown
theano.config.print_test_value = False
print(x.__repr__())
assert x.__repr__() == "x"

# -- "How do I Print an Intermediate Value in a Function?"
x = theano.tensor.dvector('x')
x_printed = theano.printing.Print('this is a very important value')(x)
f = theano.function([x], x * 5)
f_with_print = theano.function([x], x_printed * 5)
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    #this runs the graph without any printing
    assert numpy.all( f([1, 2, 3]) == [5, 10, 15])
assert buf.getvalue() == ""
with contextlib.redirect_stdout(buf):
    #this runs the graph with the message, and value printed
    assert numpy.all( f_with_print([1, 2, 3]) == [5, 10, 15])
print(buf.getvalue(), end="")
assert buf.getvalue() == "this is a very important value __str__ = [1. 2. 3.]\n"

# -- "How do I Step through a Compiled Function?"
def inspect_inputs(i, node, fn):
    print(i, node, "input(s) value(s):", [input[0] for input in fn.inputs],
          end='')

def inspect_outputs(i, node, fn):
    print(" output(s) value(s):", [output[0] for output in fn.outputs])

x = theano.tensor.dscalar('x')
f = theano.function([x], [5 * x],
                    mode=theano.compile.MonitorMode(
                        pre_func=inspect_inputs,
                        post_func=inspect_outputs))
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    f(3)
print(buf.getvalue(), end="")
assert buf.getvalue().startswith("0 ") and "output(s) value(s): [array(15.)]" in buf.getvalue()

def detect_nan(i, node, fn):
    for output in fn.outputs:
        if (not isinstance(output[0], numpy.random.RandomState) and
            numpy.isnan(output[0]).any()):
            print('*** NaN detected ***')
            theano.printing.debugprint(node)
            print('Inputs : %s' % [input[0] for input in fn.inputs])
            print('Outputs: %s' % [output[0] for output in fn.outputs])
            break

x = theano.tensor.dscalar('x')
f = theano.function([x], [theano.tensor.log(x) * x],
                    mode=theano.compile.MonitorMode(
                        post_func=detect_nan))
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    f(0)  # log(0) * 0 = -inf * 0 = NaN
print(buf.getvalue(), end="")
assert buf.getvalue().startswith("*** NaN detected ***") and "Outputs: [array(nan)]" in buf.getvalue()

mode = theano.compile.MonitorMode(post_func=detect_nan).excluding(
    'local_elemwise_fusion', 'inplace')
f = theano.function([x], [theano.tensor.log(x) * x],
                    mode=mode)
with contextlib.redirect_stdout(io.StringIO()) as out:
    f(0)
assert "*** NaN detected ***" in out.getvalue()
assert theano.compile.monitormode.detect_nan is not None
print("ok")
