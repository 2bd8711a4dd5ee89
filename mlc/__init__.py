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
from mlc.graph import Apply, Constant, Op, Variable
from mlc import gradient  # noqa: E402  (mlc.gradient.jacobian, as theano.gradient after import theano)
from mlc.shared import SharedVariable, shared
from mlc import printing  # noqa: E402
from mlc.printing import pp
from mlc.scan_module import foldl, foldr, map, reduce, scan  # noqa: A004  (theano.map, ...; not in __all__)
from mlc import scan_module  # noqa: E402  (theano.scan_module)
from mlc import ifelse  # noqa: E402  (theano.ifelse: mlc.ifelse.ifelse, mlc.ifelse.IfElse)

__version__ = "0.1.0"


grad = gradient.grad


class Mode:
    """A compilation mode: `Mode(linker=None, optimizer='fast_run')`, or by name."""

    def __init__(self, linker=None, optimizer="fast_run", name=None):
        self.name = name or ("FAST_COMPILE" if optimizer in ("fast_compile", None, "None") else "FAST_RUN")
        self.excluded: tuple[str, ...] = ()
        self.included: tuple[str, ...] = ()

    def excluding(self, *names):
        m = Mode(name=self.name)
        m.excluded, m.included = self.excluded + names, self.included
        return m

    def including(self, *names):
        m = Mode(name=self.name)
        m.excluded, m.included = self.excluded, self.included + names
        return m

    def __repr__(self):
        return f"Mode({self.name!r})"


FAST_RUN = Mode(name="FAST_RUN")
FAST_COMPILE = Mode(name="FAST_COMPILE")

__all__ = ["Apply", "Constant", "FAST_COMPILE", "FAST_RUN", "Function", "In", "Mode", "Op", "Out",
           "SharedVariable", "Variable", "config", "function", "grad", "gradient", "pp", "printing", "scan",
           "scan_module", "shared", "tensor", "ifelse"]
