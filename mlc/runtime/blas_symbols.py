"""BLAS symbols for JIT code: f77 LP64 routines under `mlc_blas_<name>`.

`convert-blas-to-llvm` emits calls to `@mlc_blas_sgemm`, `@mlc_blas_dgemv`,
... with the Fortran 77 calling convention of `scipy.linalg.cython_blas`:
every argument by pointer, 32-bit integers (LP64), `char*` for the
transpose flags. The `?dot` functions are C functions returning the value
(`float` / `double`), so there is no g77/gfortran return-value ambiguity
for `sdot`.

Which BLAS answers:

1. **numpy's own OpenBLAS** (`numpy.libs/libscipy_openblas64_*`, in the
   process as soon as numpy is): the symbols are small adapters, compiled
   once (and cached like all code), that widen the 32-bit sizes to the
   library's 64-bit ones (ILP64) and call `scipy_sgemm_64_` /
   `scipy_cblas_sdot64_`. mlc's GEMM is then numpy's GEMM, and the
   process has one BLAS thread pool, not two: OpenBLAS threads spin after
   each call, and two pools spinning against each other on the same cores
   slowed both libraries' calls by 2-5x in interleaved benchmarks.
2. otherwise **scipy's** `cython_blas` (its own OpenBLAS). `import
   scipy.linalg` costs ~0.2 s, which would dominate loading a cached
   function, so the `cython_blas` extension is loaded on its own (~10 ms;
   see `cython_blas_capi`).

The `mlc_blas_` prefix keeps these apart from any other BLAS loaded in the
process. Registration happens once per process, on first use;
`MLC_BLAS=scipy` forces the second route.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import os
import sys
import threading

import llvmlite.binding as llvm

ROUTINES = ("sgemm", "dgemm", "sgemv", "dgemv", "sdot", "ddot", "cgemm", "zgemm", "cgemv", "zgemv")
PREFIX = "mlc_blas_"

_registered = False
_lock = threading.Lock()


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
    """The capsules of scipy.linalg.cython_blas (see `cython_capi`)."""
    return cython_capi(_MODULE)


def cython_capi(name: str) -> dict[str, object]:
    """The capsules of scipy.linalg's `name` (cython_blas, cython_lapack), without importing the rest of
    scipy.linalg if possible.

    The extension module is executed from its file and then taken out of
    `sys.modules` again: the interpreter keeps it in its table of loaded
    extensions, so a later `import scipy.linalg` gets the same module
    object (and binds it as the `scipy.linalg.cython_blas` attribute, which
    it would not do for a module already in `sys.modules`).
    """
    module = sys.modules.get(name)
    if module is not None:
        return module.__pyx_capi__  # type: ignore[attr-defined]
    try:
        scipy_spec = importlib.util.find_spec("scipy")  # finds the package without importing it
        assert scipy_spec is not None and scipy_spec.origin is not None
        folder = os.path.join(os.path.dirname(scipy_spec.origin), "linalg")
        leaf = name.rsplit(".", 1)[1]
        path = next(os.path.join(folder, leaf + suffix)
                    for suffix in importlib.machinery.EXTENSION_SUFFIXES
                    if os.path.exists(os.path.join(folder, leaf + suffix)))
        loader = importlib.machinery.ExtensionFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module.__pyx_capi__  # type: ignore[attr-defined]
    except Exception:  # an unusual scipy layout: the ordinary import
        return importlib.import_module(name).__pyx_capi__  # type: ignore[attr-defined]
    finally:
        if sys.modules.get(name) is module and module is not None and "scipy.linalg" not in sys.modules:
            del sys.modules[name]


def blas_addresses() -> dict[str, int]:
    """`mlc_blas_<routine>` -> address of scipy's cython_blas routine."""
    capi = cython_blas_capi()
    return {PREFIX + name: _capsule_pointer(capi[name]) for name in ROUTINES}


def register_blas_symbols() -> None:
    """Make the `mlc_blas_*` symbols resolvable by the JIT (idempotent)."""
    global _registered
    if _registered:
        return
    with _lock:  # a second thread waits until every symbol is bound
        if _registered:
            return
        addresses = None
        if os.environ.get("MLC_BLAS", "").lower() != "scipy":
            addresses = numpy_blas_addresses()
        for name, address in (addresses or blas_addresses()).items():
            llvm.add_symbol(name, address)
        _registered = True


# ---------------------------------------------------------------------------
# numpy's OpenBLAS (ILP64) behind LP64 adapters
# ---------------------------------------------------------------------------

#: routine -> (Fortran/CBLAS symbol in numpy's OpenBLAS, argument count, indices of integer arguments)
_NUMPY_ROUTINES = {
    "sgemm": ("scipy_sgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "dgemm": ("scipy_dgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "sgemv": ("scipy_sgemv_64_", 11, (1, 2, 5, 7, 10)),
    "dgemv": ("scipy_dgemv_64_", 11, (1, 2, 5, 7, 10)),
    "sdot": ("scipy_cblas_sdot64_", 5, (0, 2, 4)),
    "ddot": ("scipy_cblas_ddot64_", 5, (0, 2, 4)),
    "cgemm": ("scipy_cgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "zgemm": ("scipy_zgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "cgemv": ("scipy_cgemv_64_", 11, (1, 2, 5, 7, 10)),
    "zgemv": ("scipy_zgemv_64_", 11, (1, 2, 5, 7, 10)),
}


def numpy_openblas_path() -> str | None:
    """The OpenBLAS library numpy's wheel ships (ILP64, `scipy_` prefixed), if there is one."""
    import glob

    import numpy

    root = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for pattern in ("numpy.libs/libscipy_openblas64_*.so*", "numpy/.dylibs/libscipy_openblas64_*.dylib"):
        found = sorted(glob.glob(os.path.join(root, pattern)))
        if found:
            return found[0]
    return None


def _adapter(routine: str) -> str:
    """LLVM IR: `mlc_ilp64_<routine>` with the LP64 f77 signature, calling numpy's ILP64 routine."""
    target, nargs, ints = _NUMPY_ROUTINES[routine]
    params = ", ".join(f"ptr %a{k}" for k in range(nargs))
    body = []
    for k in ints:
        body += [f"  %n{k} = load i32, ptr %a{k}", f"  %w{k} = sext i32 %n{k} to i64"]
    if routine.endswith("dot"):  # CBLAS: sizes by value, returns the result
        t = "float" if routine[0] == "s" else "double"
        args = ", ".join(f"i64 %w{k}" if k in ints else f"ptr %a{k}" for k in range(nargs))
        return (f"declare {t} @{target}({', '.join('i64' if k in ints else 'ptr' for k in range(nargs))})\n"
                f"define {t} @mlc_ilp64_{routine}({params}) {{\n" + "\n".join(body)
                + f"\n  %r = call {t} @{target}({args})\n  ret {t} %r\n}}\n")
    for k in ints:  # Fortran: sizes by pointer, now to 64-bit slots
        body += [f"  %p{k} = alloca i64", f"  store i64 %w{k}, ptr %p{k}"]
    args = ", ".join(f"ptr %p{k}" if k in ints else f"ptr %a{k}" for k in range(nargs))
    return (f"declare void @{target}({', '.join(['ptr'] * nargs)})\n"
            f"define void @mlc_ilp64_{routine}({params}) {{\n" + "\n".join(body)
            + f"\n  call void @{target}({args})\n  ret void\n}}\n")


_adapters = None  # keeps the compiled adapters alive


def numpy_openblas_symbols(names) -> dict[str, int] | None:
    """name -> address in numpy's OpenBLAS (made visible to the JIT); None if numpy has none or lacks one."""
    path = numpy_openblas_path()
    if path is None:
        return None
    try:
        llvm.load_library_permanently(path)  # already mapped by numpy: its symbols, for the JIT
    except RuntimeError:
        return None
    found = {name: llvm.address_of_symbol(name) for name in names}
    return found if all(found.values()) else None


def numpy_blas_addresses() -> dict[str, int] | None:
    """`mlc_blas_<routine>` -> an adapter calling numpy's OpenBLAS; None if numpy has none."""
    global _adapters
    if numpy_openblas_symbols(target for target, _, _ in _NUMPY_ROUTINES.values()) is None:
        return None
    from mlc.runtime import cache
    from mlc.runtime.cpu import COMPILE_LOCK, compile_module

    with COMPILE_LOCK, cache.runtime_modules():  # apart from the user's cache_dir
        _adapters = compile_module("".join(_adapter(r) for r in ROUTINES), [])
    return {PREFIX + r: _adapters.engine.get_function_address(f"mlc_ilp64_{r}") for r in ROUTINES}
