"""Math symbols for JIT code: libm aliases and glibc's libmvec.

`mlc.lowering.convert_to_llvm.vecmath` calls float32 sin/cos as `mlc_libm_sinf` /
`mlc_libm_cosf` (an alias LLVM does not recognize as a library function,
so it keeps the call and its vector-function-ABI attribute instead of
turning it into a scalarized intrinsic). The aliases are bound here to
libm's `sinf`/`cosf`. The vector variants (`_ZGVdN8v_sinf`, ...) live in
glibc's libmvec, which is loaded into the process once if it exists.
"""

from __future__ import annotations

import ctypes
import threading

import llvmlite.binding as llvm

#: alias -> libm function
ALIASES = {"mlc_libm_sinf": "sinf", "mlc_libm_cosf": "cosf"}

_libmvec: bool | None = None
_registered = False
_lock = threading.RLock()


def libmvec_available() -> bool:
    """Load glibc's libmvec into the process (once); False if there is none."""
    global _libmvec
    if _libmvec is None:
        _libmvec = False
        for name in ("libmvec.so.1", "libmvec.so"):
            try:
                llvm.load_library_permanently(name)
            except RuntimeError:
                continue
            _libmvec = bool(llvm.address_of_symbol("_ZGVbN4v_sinf"))
            break
    return _libmvec


def register_math_symbols() -> None:
    """Bind the `mlc_libm_*` aliases (idempotent) and load libmvec if present."""
    global _registered
    if _registered:
        return
    from mlc.runtime.cpu import libm

    with _lock:  # a second thread waits until every symbol is bound and libmvec loaded
        if _registered:
            return
        for alias, target in ALIASES.items():
            llvm.add_symbol(alias, ctypes.cast(getattr(libm(), target), ctypes.c_void_p).value)
        libmvec_available()
        _registered = True
