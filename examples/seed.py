"""The founding example: y = sum(x * W), shown at the tensor level, then compiled and run."""
import numpy

import mlc
import mlc.tensor as T

x = T.fvector('x')                                  # float32, shape (?,)
W = mlc.shared(numpy.asarray([0.2, 0.7]), 'W')      # float64, lives across calls
y = (x * W).sum()                                   # float32 * float64 -> float64
f = mlc.function([x], y)

print("mt IR of y = (x * W).sum():")
print(f.dump_ir("mt"))
print("f([1.0, 1.0]) =", repr(f([1.0, 1.0])))       # array(0.9)
W.set_value(numpy.asarray([1.0, 2.0]))
print("after W.set_value([1, 2]): f([3.0, 4.0]) =", repr(f([3.0, 4.0])))   # array(11.0)
