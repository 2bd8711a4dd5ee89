"""doc/tutorial/aliasing.txt: borrow on shared variables, get_value/set_value, In/Out (run unchanged)."""
import numpy, theano
np_array = numpy.ones(2, dtype='float32')

s_default = theano.shared(np_array)
s_false   = theano.shared(np_array, borrow=False)
s_true    = theano.shared(np_array, borrow=True)

np_array += 1 # now it is an array of 2.0 s

print(s_default.get_value())
print(s_false.get_value())
print(s_true.get_value())

s = theano.shared(np_array)

v_false = s.get_value(borrow=False) # N.B. borrow default is False
v_true = s.get_value(borrow=True)

v_internal = s.get_value(borrow=True, return_internal_type=True)

def some_inplace_fn(v):
    return v

s.set_value(
    some_inplace_fn(s.get_value(borrow=True)),
    borrow=True)

import theano, theano.tensor

x = theano.tensor.matrix()
y = 2 * x
f = theano.function([theano.In(x, borrow=True)], theano.Out(y, borrow=True))

# ---- checks of what the page documents ----
# the printed values: [ 1.  1.] twice (copies), then [ 2.  2.] (s_true uses np_array as its buffer)
assert numpy.array_equal(s_default.get_value(), [1., 1.]) and numpy.array_equal(s_false.get_value(), [1., 1.])
assert numpy.array_equal(s_true.get_value(), [2., 2.])
# get_value(borrow=False) is never aliased to the internal value; borrow=True may be (it is, on the CPU)
assert not numpy.may_share_memory(v_false, s.get_value(borrow=True))
assert v_true is s.get_value(borrow=True) and v_internal is v_true
assert isinstance(v_internal, numpy.ndarray)
# the set_value(borrow=True) pattern keeps the buffer: an in-place update on the CPU
assert s.get_value(borrow=True) is v_true
# In(borrow=True)/Out(borrow=True): the values are right; a borrowed output may be overwritten
# by the next call ("it may overwrite old return values through side-effect"): mlc reuses it
m = numpy.asarray([[1., 2.], [3., 4.]], dtype=theano.config.floatX)
r1 = f(m)
assert numpy.allclose(r1, 2 * m)
r2 = f(m + 1)
assert numpy.allclose(r2, 2 * (m + 1))
assert r2 is r1 and numpy.allclose(r1, 2 * (m + 1))
assert numpy.array_equal(m, [[1., 2.], [3., 4.]])  # a borrowed input is not modified
# the default (not borrowed) output is a fresh array each call
g = theano.function([x], y)
assert g(m) is not g(m)
print("aliasing tutorial: ok")
