# The examples of Theano 1.0.5's "Extending Theano" tutorial (doc/extending/extending_theano.txt), unchanged,
# plus an op without infer_shape between native code and OpFromGraph; run through mlc.compat.theano.
import theano
import numpy
from theano import function
from theano.compile.ops import as_op

class DoubleOp1(theano.Op):
    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        # Note: using x_.type() is dangerous, as it copies x's broadcasting
        # behaviour
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return eval_points
        return self.grad(inputs, eval_points)

doubleOp1 = DoubleOp1()

class DoubleOp2(theano.Op):
    __props__ = ()

    itypes = [theano.tensor.dmatrix]
    otypes = [theano.tensor.dmatrix]

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

doubleOp2 = DoubleOp2()

x = theano.tensor.matrix()
f = theano.function([x], DoubleOp1()(x))
inp = numpy.random.rand(5, 4)
out = f(inp)
assert numpy.allclose(inp * 2, out)

x = theano.tensor.matrix()
f = theano.function([x], DoubleOp2()(x))
inp = numpy.random.rand(5, 4)
out = f(inp)
assert numpy.allclose(inp * 2, out)

class AXPBOp(theano.Op):
    """
    This creates an Op that takes x to a*x+b.
    """
    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b
        super(AXPBOp, self).__init__()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = self.a * x + self.b

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [a * output_grads[0] + b]

mult4plus5op = AXPBOp(4, 5)
another_mult4plus5op = AXPBOp(4, 5)
mult2plus3op = AXPBOp(2, 3)

assert mult4plus5op == another_mult4plus5op
assert mult4plus5op != mult2plus3op

x = theano.tensor.matrix()
f = theano.function([x], mult4plus5op(x))
g = theano.function([x], mult2plus3op(x))

inp = numpy.random.rand(5, 4).astype(numpy.float32)
assert numpy.allclose(4 * inp + 5, f(inp))
assert numpy.allclose(2 * inp + 3, g(inp))

theano.gradient.verify_grad(doubleOp1, [numpy.random.rand(5, 7, 2)])
def infer_shape_numpy_dot(node, input_shapes):
    ashp, bshp = input_shapes
    return [ashp[:-1] + bshp[-1:]]

@as_op(itypes=[theano.tensor.fmatrix, theano.tensor.fmatrix],
       otypes=[theano.tensor.fmatrix], infer_shape=infer_shape_numpy_dot)
def numpy_dot(a, b):
   return numpy.dot(a, b)

x = theano.tensor.fmatrix()
y = theano.tensor.fmatrix()
f = function([x, y], numpy_dot(x, y))
inp1 = numpy.random.rand(5, 4).astype('float32')
inp2 = numpy.random.rand(4, 7).astype('float32')
out = f(inp1, inp2)
assert numpy.allclose(out, inp1.dot(inp2))
# an op without infer_shape, mixed with native code, and its gradient
class Sq(theano.gof.Op):
    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.gof.Apply(self, [x], [x.type()])
    def perform(self, node, inputs, out):
        out[0][0] = inputs[0] ** 2
    def grad(self, inputs, g):
        return [2 * inputs[0] * g[0]]
s = Sq()
assert s != Sq() and s == s
x = theano.tensor.dvector()
c = (s(theano.tensor.exp(x)) * 3).sum()
f = theano.function([x], [c, theano.grad(c, x)])
v = numpy.array([0.1, 0.2])
r = f(v)
assert numpy.allclose(r[0], (numpy.exp(v) ** 2 * 3).sum()) and numpy.allclose(r[1], 6 * numpy.exp(2 * v))
a, b = theano.tensor.dmatrices('a', 'b')
op = theano.OpFromGraph([a, b], [a + b * 2, a.dot(b)])
e, d = op(x.dimshuffle('x', 0), theano.tensor.ones((2, 2)))
print(theano.function([x], [e, d])(v))
print("tutorial ok")
