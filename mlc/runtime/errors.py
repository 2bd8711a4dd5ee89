"""Failures inside native code, raised in Python once the call returns.

Two callbacks: `mlc_alloc_failed` (MemoryError, below) and
`mlc_linalg_failed(code, info)`, which LAPACK adapters call when a routine
reports a matrix it cannot handle (numpy.linalg.LinAlgError with numpy's
or scipy's words: see `LINALG_MESSAGES`).


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

#: (thread ident, bytes asked for or -1 on overflow, or a linalg failure (code, info)), appended by
#: native code; the calling thread removes its own entries (`raise_pending`)
PENDING: list[tuple[int, object]] = []

#: `mlc_linalg_failed` codes (mlc.runtime.lapack_symbols) -> the LinAlgError message numpy/scipy give
LINALG_MESSAGES = {
    1: "{info}-th leading minor of the array is not positive definite",  # scipy.linalg.cholesky
    2: "Matrix is singular.",  # scipy.linalg.solve
    3: "singular matrix: resolution failed at diagonal {diagonal}",  # scipy.linalg.solve_triangular
    4: "Singular matrix",  # numpy.linalg.inv
    5: "SVD did not converge",  # numpy.linalg.svd
    6: "Eigenvalues did not converge",  # numpy.linalg.eigh, numpy.linalg.eig
    7: "Array must not contain infs or NaNs",  # numpy.linalg.eig
    8: "SVD did not converge in Linear Least Squares",  # numpy.linalg.lstsq
}

_lock = threading.Lock()
_registered = False


@ctypes.CFUNCTYPE(None, ctypes.c_int64)
def _alloc_failed(nbytes: int) -> None:
    PENDING.append((threading.get_ident(), nbytes))


@ctypes.CFUNCTYPE(None, ctypes.c_int32, ctypes.c_int32)
def _linalg_failed(code: int, info: int) -> None:
    PENDING.append((threading.get_ident(), (code, info)))


def register_error_symbols() -> None:
    """Make `mlc_alloc_failed` and `mlc_linalg_failed` resolvable by JIT code (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if not _registered:
            llvm.add_symbol("mlc_alloc_failed", ctypes.cast(_alloc_failed, ctypes.c_void_p).value)
            llvm.add_symbol("mlc_linalg_failed", ctypes.cast(_linalg_failed, ctypes.c_void_p).value)
            _registered = True


def raise_pending(name: str = "main") -> None:
    """Raise MemoryError (a failed allocation) or LinAlgError (a LAPACK failure) that native code called
    from this thread reported."""
    me = threading.get_ident()
    with _lock:
        mine = [n for t, n in PENDING if t == me]
        PENDING[:] = [(t, n) for t, n in PENDING if t != me]
    if not mine:
        return
    memory = [n for n in mine if not isinstance(n, tuple)]
    if not memory:  # the first linalg failure (later ops ran on its unspecified results)
        import numpy as np

        code, info = mine[0]
        raise np.linalg.LinAlgError(LINALG_MESSAGES[code].format(info=info, diagonal=info - 1))
    nbytes = memory[0]
    if nbytes < 0:
        what = "its size in bytes overflows"
    else:
        what = f"{nbytes} bytes ({nbytes / 2**30:.3g} GiB) could not be allocated"
    raise MemoryError(f"compiled function @{name}: a temporary buffer is too large: {what}")
