"""mlc's dialects, one file each; this table lists them for lazy loading.

Each value is "module:DialectObject".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from xdsl.ir import Dialect

DIALECTS: dict[str, str] = {
    "blas": "mlc.dialects.blas:Blas",
    "gpux": "mlc.dialects.gpux:GPUX",
    "mt": "mlc.dialects.mt:MT",
}


def _loader(target: str) -> Callable[[], Dialect]:
    def load() -> Dialect:
        module, obj = target.split(":")
        return getattr(importlib.import_module(module), obj)

    return load


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Return mlc's dialects as xDSL expects them: name -> zero-arg loader."""
    return {name: _loader(target) for name, target in sorted(DIALECTS.items())}
