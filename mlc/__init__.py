"""mlc: a multi-level array compiler with Theano's API.

    import mlc
    import mlc.tensor as T
    x = T.fvector('x')
    W = mlc.shared(numpy.asarray([0.2, 0.7]), 'W')
    f = mlc.function([x], (x * W).sum())
"""

import importlib
from typing import Any

from mlc.config import config  # eager and cheap: `mlc.config` must be the object, never the submodule

__version__ = "0.1.0"

# The public API loads lazily (PEP 562): `import mlc.dialects.mt` or starting
# `mlc-opt` runs this file but loads no frontend module; `mlc.function` loads
# the frontend on first use. name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "Function": ("mlc.compile.function", "Function"),
    "In": ("mlc.compile.function", "In"),
    "Out": ("mlc.compile.function", "Out"),
    "function": ("mlc.compile.function", "function"),
    "Apply": ("mlc.graph", "Apply"),
    "Constant": ("mlc.graph", "Constant"),
    "Op": ("mlc.graph", "Op"),
    "Variable": ("mlc.graph", "Variable"),
    "gradient": ("mlc.gradient", None),
    "grad": ("mlc.gradient", "grad"),
    "SharedVariable": ("mlc.sharedvalue", "SharedVariable"),
    "shared": ("mlc.sharedvalue", "shared"),
    "printing": ("mlc.printing", None),
    "pp": ("mlc.printing", "pp"),
    "scan_module": ("mlc.scan_module", None),
    "scan": ("mlc.scan_module", "scan"),
    "map": ("mlc.scan_module", "map"),  # theano.map, ...; not in __all__
    "reduce": ("mlc.scan_module", "reduce"),
    "foldl": ("mlc.scan_module", "foldl"),
    "foldr": ("mlc.scan_module", "foldr"),
    "tensor": ("mlc.tensor", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mlc' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    importlib.import_module("mlc.tensor")  # registers TensorVariable with TensorType before any graph is built
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
           "scan_module", "shared", "tensor"]
