"""doc/library/compile/io.txt: In (value, update, names, containers) and Out (borrow)."""
import numpy
import theano
import theano.tensor as T
from theano import function
from theano.compile.io import In, Out

u, x, s = T.scalars('u', 'x', 's')
inc = function([u, In(x, value=3), In(s, update=(s+x*u), value=10.0)], [])
assert inc(5) == []         # update s with 10+3*5
print(inc[s])
assert inc[s] == 25.0
assert inc(3, 4) == []      # update s with 25 + 3*4
print(inc[s])
assert inc[s] == 37.0
print(inc[x])   # the override value of 4 was only temporary
assert inc[x] == 3.0
assert inc(3, 4, 7) == []      # update s with 7 + 3*4
print(inc[s])
assert inc[s] == 19.0
inc[s] = 10
print(repr(inc[s]))
assert inc[s] == 10.0

a, b, c = T.scalars('xys') # set the internal names of graph nodes
fn = function([a, b, In(c, value=10.0, update=c + a + b)], [])
assert fn['s'] is fn.value[c]
assert fn['s'] is fn.container[c].value
assert fn['s'] == 10.0
fn(1, 2)
assert fn['s'] == 13.0
fn['s'] = 99.0
fn(1, 0)
assert fn['s'] == 100.0
fn.value[c] = 99.0
fn(1, 0)
assert fn['s'] == 100.0
assert fn['s'] == fn.value[c]
assert fn['s'] == fn.container[c].value

x = T.scalar()
y = T.scalar('y')
z = T.scalar('z')
w = T.scalar('w')
fn = theano.function(inputs=[x, y, In(z, value=42), In(w, value=0, update=w + x)], outputs=x + y + z)
try:
    fn(1)
    raise AssertionError("two arguments are required")
except TypeError as e:
    assert "Missing required input: y" in str(e), e
assert fn(1, 2) == 45.0            # legal, z is 42, w goes 0 -> 1 (because w <- w + x)
assert fn(1, y=2) == 45.0          # legal, z is 42, w goes 1 -> 2
try:
    fn(x=1, y=2)    # illegal because x was not named
    raise AssertionError("x has no name")
except TypeError as e:
    assert str(e).startswith("Unknown input or state: x") and "3 named inputs (y, z, w)" in str(e), e
assert fn(1, 2, 3) == 6.0          # legal, z is 3, w goes 2 -> 3
assert fn(1, z=3, y=2) == 6.0      # legal, z is 3, w goes 3 -> 4
assert fn(1, 2, w=400) == 45.0     # legal, z is 42 again, w goes 400 -> 401
assert fn(1, 2) == 45.0            # legal, z is 42, w goes 401 -> 402
assert fn['w'] == 402

x, y, s = T.matrices('xys')
fn1 = theano.function([x], [x+x, Out((x+x).T, borrow=True)])
r = fn1(numpy.asarray([[1,0],[0,1]]))
print(r)
assert isinstance(r, list) and len(r) == 2 and numpy.array_equal(r[1], [[2., 0.], [0., 2.]])
fn2 = theano.function([x], [x+x])
r = fn2(numpy.asarray([[1,0],[0,1]]))
assert isinstance(r, list) and len(r) == 1
fn3 = theano.function([x], outputs=x+x)
r = fn3(numpy.asarray([[1,0],[0,1]]))
assert isinstance(r, numpy.ndarray) and numpy.array_equal(r, [[2., 0.], [0., 2.]])
print("ok")
