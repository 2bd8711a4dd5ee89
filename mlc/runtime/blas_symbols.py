"""BLAS symbols for JIT code: scipy's f77 LP64 routines under `mlc_blas_<name>`.

`convert-blas-to-llvm` emits calls to `@mlc_blas_sgemm`, `@mlc_blas_dgemv`,
... with the Fortran 77 calling convention of `scipy.linalg.cython_blas`:
every argument by pointer, 32-bit integers (LP64), `char*` for the
transpose flags. The `?dot` functions are C functions returning the value
(`float` / `double`): scipy wraps the Fortran ones, so there is no
g77/gfortran return-value ambiguity for `sdot`.

The `mlc_blas_` prefix keeps these apart from any other BLAS loaded in the
process. Registration happens once per process, on first use.
"""

from __future__ import annotations

import ctypes

import llvmlite.binding as llvm

ROUTINES = ("sgemm", "dgemm", "sgemv", "dgemv", "sdot", "ddot")
PREFIX = "mlc_blas_"

_registered = False


def _capsule_pointer(capsule: object) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return get_pointer(capsule, get_name(capsule))


def blas_addresses() -> dict[str, int]:
    """`mlc_blas_<routine>` -> address of scipy's cython_blas routine."""
    from scipy.linalg import cython_blas

    capi = cython_blas.__pyx_capi__  # type: ignore[attr-defined]
    return {PREFIX + name: _capsule_pointer(capi[name]) for name in ROUTINES}


def register_blas_symbols() -> None:
    """Make the `mlc_blas_*` symbols resolvable by the JIT (idempotent)."""
    global _registered
    if _registered:
        return
    for name, address in blas_addresses().items():
        llvm.add_symbol(name, address)
    _registered = True
