"""BLAS symbols for JIT code: scipy's f77 LP64 routines under `mlc_blas_<name>`.

`convert-blas-to-llvm` emits calls to `@mlc_blas_sgemm`, `@mlc_blas_dgemv`,
... with the Fortran 77 calling convention of `scipy.linalg.cython_blas`:
every argument by pointer, 32-bit integers (LP64), `char*` for the
transpose flags. The `?dot` functions are C functions returning the value
(`float` / `double`): scipy wraps the Fortran ones, so there is no
g77/gfortran return-value ambiguity for `sdot`.

The `mlc_blas_` prefix keeps these apart from any other BLAS loaded in the
process. Registration happens once per process, on first use.

`import scipy.linalg` costs ~0.2 s (it pulls in much of scipy), which would
dominate loading a cached function; the `cython_blas` extension module is
loaded on its own instead (~10 ms; see `cython_blas_capi`).
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import os
import sys

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


_MODULE = "scipy.linalg.cython_blas"


def cython_blas_capi() -> dict[str, object]:
    """The capsules of scipy.linalg.cython_blas, without importing the rest of scipy.linalg if possible.

    The extension module is executed from its file and then taken out of
    `sys.modules` again: the interpreter keeps it in its table of loaded
    extensions, so a later `import scipy.linalg` gets the same module
    object (and binds it as the `scipy.linalg.cython_blas` attribute, which
    it would not do for a module already in `sys.modules`).
    """
    module = sys.modules.get(_MODULE)
    if module is not None:
        return module.__pyx_capi__  # type: ignore[attr-defined]
    try:
        scipy_spec = importlib.util.find_spec("scipy")  # finds the package without importing it
        assert scipy_spec is not None and scipy_spec.origin is not None
        folder = os.path.join(os.path.dirname(scipy_spec.origin), "linalg")
        path = next(os.path.join(folder, "cython_blas" + suffix)
                    for suffix in importlib.machinery.EXTENSION_SUFFIXES
                    if os.path.exists(os.path.join(folder, "cython_blas" + suffix)))
        loader = importlib.machinery.ExtensionFileLoader(_MODULE, path)
        spec = importlib.util.spec_from_file_location(_MODULE, path, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module.__pyx_capi__  # type: ignore[attr-defined]
    except Exception:  # an unusual scipy layout: the ordinary import
        from scipy.linalg import cython_blas

        return cython_blas.__pyx_capi__  # type: ignore[attr-defined]
    finally:
        if sys.modules.get(_MODULE) is module and module is not None and "scipy.linalg" not in sys.modules:
            del sys.modules[_MODULE]


def blas_addresses() -> dict[str, int]:
    """`mlc_blas_<routine>` -> address of scipy's cython_blas routine."""
    capi = cython_blas_capi()
    return {PREFIX + name: _capsule_pointer(capi[name]) for name in ROUTINES}


def register_blas_symbols() -> None:
    """Make the `mlc_blas_*` symbols resolvable by the JIT (idempotent)."""
    global _registered
    if _registered:
        return
    for name, address in blas_addresses().items():
        llvm.add_symbol(name, address)
    _registered = True
