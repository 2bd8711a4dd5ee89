"""The founding example: y = sum(x * W), printed as mt IR, then run."""
import numpy

import mlc
import mlc.tensor as T
from mlc.compile.function import FunctionGraph
from mlc.lowering.emit import emit_function

x = T.fvector('x')
W = mlc.shared(numpy.asarray([0.2, 0.7]), 'W')
y = (x * W).sum()

print("mt IR of y = (x * W).sum():")
print(emit_function(FunctionGraph([x], [y], [], {}, "raise")))
