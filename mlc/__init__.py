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
    "Mode": ("mlc.compile.mode", "Mode"),
    "FAST_RUN": ("mlc.compile.mode", "FAST_RUN"),
    "FAST_COMPILE": ("mlc.compile.mode", "FAST_COMPILE"),
    "get_mode": ("mlc.compile.mode", "get_mode"),
    "ProfileStats": ("mlc.compile.profiling", "ProfileStats"),
    "ifelse": ("mlc.ifelse", None),  # theano.ifelse: mlc.ifelse.ifelse, mlc.ifelse.IfElse
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


def set_num_threads(n: int) -> None:
    """Let parallel loops use up to `n` threads, the caller included (1: run
    everything in the calling thread; 0: every CPU). Same as `config.num_threads = n`."""
    config.num_threads = n


def get_num_threads() -> int:
    """How many threads a parallel loop may use, the caller included."""
    from mlc.runtime import parallel

    return parallel.num_threads()


__all__ = ["Apply", "Constant", "FAST_COMPILE", "FAST_RUN", "Function", "In", "Mode", "Op", "Out", "ProfileStats",
           "SharedVariable", "Variable", "config", "function", "grad", "gradient", "pp", "printing", "scan",
           "scan_module", "set_num_threads", "get_num_threads", "shared", "tensor", "ifelse"]
