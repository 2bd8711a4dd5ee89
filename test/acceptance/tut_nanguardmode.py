"""doc/library/compile/nanguardmode.txt (the debugging tutorial's NaN guard), unchanged, with its documented error."""
import numpy
import theano
import theano.tensor as T
from theano.compile.nanguardmode import NanGuardMode

x = T.matrix()
w = theano.shared(numpy.random.randn(5, 7).astype(theano.config.floatX))
y = T.dot(x, w)
fun = theano.function(
    [x], y,
    mode=NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True)
)
assert fun(numpy.ones((3, 5), dtype=theano.config.floatX)).shape == (3, 7)

infa = numpy.tile(
    (numpy.asarray(100.) ** 1000000).astype(theano.config.floatX), (3, 5))
try:
    fun(infa)
    raise SystemExit("NanGuardMode must raise on an inf input")
except AssertionError as e:
    print("AssertionError:", str(e).splitlines()[0])
    assert "Inf detected" in str(e)
print("ok")
