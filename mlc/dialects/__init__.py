"""mlc's dialects, one file each; this table lists them for lazy loading.

Each value is "module:DialectObject".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xdsl.context import Context
    from xdsl.ir import Dialect

DIALECTS: dict[str, str] = {
    "blas": "mlc.dialects.blas:Blas",
    "gpux": "mlc.dialects.gpux:GPUX",
    "lapack": "mlc.dialects.lapack:Lapack",
    "mt": "mlc.dialects.mt:MT",
    "zmath": "mlc.dialects.zmath:ZMath",
}


def _loader(target: str) -> Callable[[], Dialect]:
    def load() -> Dialect:
        module, obj = target.split(":")
        return getattr(importlib.import_module(module), obj)

    return load


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    """Return mlc's dialects as xDSL expects them: name -> zero-arg loader."""
    return {name: _loader(target) for name, target in sorted(DIALECTS.items())}


_CONTEXT: Context | None = None


def context() -> Context:
    """The one xDSL context knowing xDSL's dialects and mlc's, built once and
    shared by `mlc-opt`, the passes and the compile pipeline (canonicalize
    needs it to materialize folded `mt.constant`s). Dialects load lazily."""
    global _CONTEXT
    if _CONTEXT is None:
        from xdsl.context import Context
        from xdsl.dialects import get_all_dialects as xdsl_dialects

        ctx = Context(allow_unregistered=False)
        for name, load in {**xdsl_dialects(), **get_all_dialects()}.items():
            ctx.register_dialect(name, load)
        _CONTEXT = ctx
    return _CONTEXT
