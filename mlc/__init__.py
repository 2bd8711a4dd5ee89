"""mlc: a multi-level array compiler with Theano's API.

    import mlc
    import mlc.tensor as T
    x = T.fvector('x')
    W = mlc.shared(numpy.asarray([0.2, 0.7]), 'W')
    f = mlc.function([x], (x * W).sum())
"""

from mlc.config import config
from mlc import tensor  # noqa: F401  (registers TensorVariable with TensorType)
from mlc.compile.function import Function, In, Out, function
from mlc.compile.mode import FAST_COMPILE, FAST_RUN, Mode, get_mode
from mlc.compile.profiling import ProfileStats
from mlc.graph import Apply, Constant, Op, Variable
from mlc import gradient  # noqa: E402  (mlc.gradient.jacobian, as theano.gradient after import theano)
from mlc.shared import SharedVariable, shared
from mlc import printing  # noqa: E402
from mlc.printing import pp
from mlc.scan_module import foldl, foldr, map, reduce, scan  # noqa: A004  (theano.map, ...; not in __all__)
from mlc import scan_module  # noqa: E402  (theano.scan_module)

__version__ = "0.1.0"


grad = gradient.grad



__all__ = ["Apply", "Constant", "FAST_COMPILE", "FAST_RUN", "Function", "In", "Mode", "Op", "Out", "ProfileStats",
           "SharedVariable", "Variable", "config", "function", "grad", "gradient", "pp", "printing", "scan",
           "scan_module", "shared", "tensor"]
