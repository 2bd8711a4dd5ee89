"""Failures inside native code, raised in Python once the call returns.

Compiled code cannot raise. When an allocation of a temporary fails (the
allocator returned NULL, or its byte count overflowed: see
`mlc.lowering.llvm.memref.checked_alloc`), the code calls
`mlc_alloc_failed(nbytes)` and returns at once. That function (a ctypes
callback bound for the JIT here) records the failure for the calling
thread; `CompiledModule.call` and the fast call path then see it and raise
`MemoryError`. Temporaries allocated before the failure are not freed
(one leak per failed call, not a crash).
"""

from __future__ import annotations

import ctypes
import threading

import llvmlite.binding as llvm

#: (thread ident, bytes asked for or -1 on overflow), appended by native code;
#: the calling thread removes its own entries (`raise_pending`)
PENDING: list[tuple[int, int]] = []

_lock = threading.Lock()
_registered = False


@ctypes.CFUNCTYPE(None, ctypes.c_int64)
def _alloc_failed(nbytes: int) -> None:
    PENDING.append((threading.get_ident(), nbytes))


def register_error_symbols() -> None:
    """Make `mlc_alloc_failed` resolvable by JIT code (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if not _registered:
            llvm.add_symbol("mlc_alloc_failed", ctypes.cast(_alloc_failed, ctypes.c_void_p).value)
            _registered = True


def raise_pending(name: str = "main") -> None:
    """Raise MemoryError if native code called from this thread reported a failed allocation."""
    me = threading.get_ident()
    with _lock:
        mine = [n for t, n in PENDING if t == me]
        PENDING[:] = [(t, n) for t, n in PENDING if t != me]
    if not mine:
        return
    nbytes = mine[0]
    if nbytes < 0:
        what = "its size in bytes overflows"
    else:
        what = f"{nbytes} bytes ({nbytes / 2**30:.3g} GiB) could not be allocated"
    raise MemoryError(f"compiled function @{name}: a temporary buffer is too large: {what}")
