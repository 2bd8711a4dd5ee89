"""doc/tutorial/loading_and_saving.txt: pickling (short-term) and theano.misc.pkl_utils (robust)."""
import os
import tempfile

import numpy
import numpy as np
import pickle as cPickle  # the page uses six.moves.cPickle, which is pickle on Python 3
import theano
import theano.tensor as T
from theano.misc.pkl_utils import dump, load

here = tempfile.mkdtemp()
os.chdir(here)

x = T.dmatrix('x')
w = theano.shared(np.arange(6.0).reshape(3, 2), name='w')
b = theano.shared(np.zeros(2), name='b')
out = T.tanh(T.dot(x, w) + b).sum()
gw = T.grad(out, w)
train = theano.function([x], out, updates=[(w, w - 0.1 * gw)], name='train')
my_obj = (train, w, b)

f = open('obj.save', 'wb')
cPickle.dump(my_obj, f, protocol=cPickle.HIGHEST_PROTOCOL)
f.close()

f = open('obj.save', 'rb')
loaded_obj = cPickle.load(f)
f.close()

train2, w2, b2 = loaded_obj
xv = np.ones((4, 3))
assert np.isclose(train2(xv), train(xv))
assert np.allclose(w2.get_value(), w.get_value())    # the loaded function updated the loaded w

obj1, obj2, obj3 = w, out, train
f = open('objects.save', 'wb')
for obj in [obj1, obj2, obj3]:
    cPickle.dump(obj, f, protocol=cPickle.HIGHEST_PROTOCOL)
f.close()
f = open('objects.save', 'rb')
loaded_objects = []
for i in range(3):
    loaded_objects.append(cPickle.load(f))
f.close()
assert loaded_objects[0].name == 'w' and callable(loaded_objects[2])

foo_1 = theano.shared(0, name='foo')
foo_2 = theano.shared(1, name='foo')
with open('model.zip', 'wb') as f:
    dump((foo_1, foo_2, np.array(2)), f)
keys = sorted(np.load('model.zip').keys())
print(keys)
assert keys == ['array_0', 'foo', 'foo_2', 'pkl']
assert np.load('model.zip')['foo'] == 0
with open('model.zip', 'rb') as f:
    foo_1, foo_2, array = load(f)
print(repr(array))
assert array == 2 and foo_2.get_value() == 1

# Long-term serialization: save the shared values themselves
with open('w.npy', 'wb') as f:
    numpy.save(f, w.get_value())
assert np.array_equal(numpy.load('w.npy'), w.get_value())
print("ok")
