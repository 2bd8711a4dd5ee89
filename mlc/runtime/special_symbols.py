"""scipy.special's compiled scalar functions as JIT symbols (`mlc_special_<name>`).

`scipy.special.cython_special` exports its functions as C function
pointers (PyCapsules): `double f(double x, int skip_dispatch)` and, for
two arguments, `double f(double v, double x, int skip_dispatch)`. The
lowering calls `mlc_special_<name>` (mlc.lowering.convert_mt_to_linalg.scalar_math); this
module binds each name to scipy's double-precision variant. The functions
are pure C (nogil), so parallel loops may call them from any thread.
"""

from __future__ import annotations

import llvmlite.binding as llvm

from mlc.runtime.blas_symbols import _capsule_pointer

PREFIX = "mlc_special_"

#: mlc name -> cython_special capsule (the double version of fused functions)
FUNCTIONS = {
    "gammaln": "gammaln", "psi": "__pyx_fuse_1psi", "gamma": "__pyx_fuse_1gamma", "erfcinv": "erfcinv",
    "j0": "j0", "j1": "j1", "i0": "i0", "i1": "i1", "jv": "__pyx_fuse_1jv", "iv": "__pyx_fuse_1iv",
    "erfcx": "__pyx_fuse_1erfcx", "gammainc": "gammainc", "gammaincc": "gammaincc",
}

_registered = False


def special_addresses() -> dict[str, int]:
    """`mlc_special_<name>` -> address of scipy's compiled function."""
    from scipy.special import cython_special

    capi = cython_special.__pyx_capi__
    return {PREFIX + name: _capsule_pointer(capi[capsule]) for name, capsule in FUNCTIONS.items()}


def register_special_symbols() -> None:
    """Make the `mlc_special_*` symbols resolvable by the JIT (idempotent)."""
    global _registered
    if _registered:
        return
    for name, address in special_addresses().items():
        llvm.add_symbol(name, address)
    _registered = True
