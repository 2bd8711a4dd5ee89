"""`blas.*` ops on the GPU: cuBLAS through ctypes.

The library comes from the `nvidia-cublas-cu12` wheel (`nvidia/cublas/lib/
libcublas.so.12`), `MLC_CUBLAS`, or the system (`libcublas.so`). One handle
per process, on the default stream, scalars by host pointer.

mlc's matrices are row-major; cuBLAS is column-major. A row-major M x N
matrix is the column-major N x M matrix with the same bytes, so

    C = op(A) @ op(B)    ->   C^T = op(B)^T @ op(A)^T:  gemm(opB, opA, N, M, K, B, ldb, A, lda, C, N)
    y = op(A) @ x        ->   gemv(op(A) flipped, cols, rows, A, cols, x, y)

Not run in CI (no GPU there); bench/gpu_check.sh runs it on a GPU.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
from typing import Any

import numpy as np

OP_N, OP_T = 0, 1


def find_cublas() -> str | None:
    candidates = [os.environ.get("MLC_CUBLAS", "")]
    for p in sys.path:
        candidates += sorted(glob.glob(os.path.join(p, "nvidia", "cublas", "lib", "libcublas.so*")))
    candidates += ["libcublas.so.12", "libcublas.so.13", "libcublas.so"]
    for c in candidates:
        if not c:
            continue
        try:
            return ctypes.CDLL(c, mode=ctypes.RTLD_GLOBAL)._name  # type: ignore[attr-defined]
        except OSError:
            continue
    return None


class CuBLAS:
    """The process's cuBLAS handle and the blas.* ops on DeviceArrays (`lib`: the library, for tests)."""

    def __init__(self, lib: Any = None):
        if lib is None:
            path = find_cublas()
            if path is None:
                raise RuntimeError("cuBLAS not found: pip install nvidia-cublas-cu12, or set MLC_CUBLAS")
            lib = ctypes.CDLL(path)
        self.lib = lib
        self.handle = ctypes.c_void_p()
        self._check(self.lib.cublasCreate_v2(ctypes.byref(self.handle)), "cublasCreate")
        p, i, v = ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
        for prefix in "SD":
            getattr(self.lib, f"cublas{prefix}gemm_v2").argtypes = [p, i, i, i, i, i, v, p, i, p, i, v, p, i]
            getattr(self.lib, f"cublas{prefix}gemv_v2").argtypes = [p, i, i, i, v, p, i, p, i, v, p, i]
            getattr(self.lib, f"cublas{prefix}dot_v2").argtypes = [p, i, p, i, p, i, v]

    @staticmethod
    def _check(status: int, what: str) -> None:
        if status != 0:
            raise RuntimeError(f"cuBLAS: {what} failed with status {status}")

    def run(self, op, env: dict) -> Any:
        kind = op.name.split(".", 1)[1]
        return getattr(self, kind)(op, env)

    def _scalar(self, op, env, name: str, default: float, dtype):
        value = getattr(op, name)
        s = default if value is None else env[value]
        return (ctypes.c_float if dtype == np.float32 else ctypes.c_double)(s)

    def gemm(self, op, env) -> None:
        a, b, c = env[op.a], env[op.b], env[op.c]
        ta, tb = op.transa is not None, op.transb is not None
        m, n = c.shape
        k = a.shape[0] if ta else a.shape[1]
        if m == 0 or n == 0:
            return
        prefix = "S" if c.dtype == np.float32 else "D"
        alpha = self._scalar(op, env, "alpha", 1.0, c.dtype)
        beta = self._scalar(op, env, "beta", 0.0, c.dtype)
        fn = getattr(self.lib, f"cublas{prefix}gemm_v2")
        self._check(fn(self.handle, OP_T if tb else OP_N, OP_T if ta else OP_N, n, m, k, ctypes.byref(alpha),
                       b.ptr, max(b.shape[1], 1), a.ptr, max(a.shape[1], 1), ctypes.byref(beta), c.ptr, max(n, 1)),
                    "gemm")

    def gemv(self, op, env) -> None:
        a, x, y = env[op.a], env[op.x], env[op.y]
        trans = op.trans is not None
        rows, cols = a.shape
        if y.shape[0] == 0:
            return
        prefix = "S" if y.dtype == np.float32 else "D"
        alpha = self._scalar(op, env, "alpha", 1.0, y.dtype)
        beta = self._scalar(op, env, "beta", 0.0, y.dtype)
        fn = getattr(self.lib, f"cublas{prefix}gemv_v2")
        self._check(fn(self.handle, OP_N if trans else OP_T, cols, rows, ctypes.byref(alpha), a.ptr, max(cols, 1),
                       x.ptr, 1, ctypes.byref(beta), y.ptr, 1), "gemv")

    def dot(self, op, env) -> float:
        x, y = env[op.x], env[op.y]
        prefix = "S" if x.dtype == np.float32 else "D"
        out = (ctypes.c_float if x.dtype == np.float32 else ctypes.c_double)()
        fn = getattr(self.lib, f"cublas{prefix}dot_v2")
        self._check(fn(self.handle, x.shape[0], x.ptr, 1, y.ptr, 1, ctypes.byref(out)), "dot")
        return out.value
