"""The machine's limits, measured with numpy, to read each result against.

- copy: `np.copyto(dst, src)` on arrays far larger than the caches;
  bandwidth counts the bytes read plus written (2 x size), as STREAM does.
- triad: `a = b + s*c` as numpy runs it, in two passes without temporaries
  (`multiply(c, s, out=a)`, `add(a, b, out=a)`): 5 x size bytes moved.
  numpy runs both on one core, so they are one core's bandwidth.
- GEMM: numpy's `A @ B` (its BLAS, all cores), 2*n^3 flops.
"""

from __future__ import annotations

import os
import platform

import numpy as np

from timing import interleaved


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_name() -> str:
    try:
        deps = np.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{deps.get('name', '?')} {deps.get('version', '')}".strip()
    except (AttributeError, KeyError, TypeError):
        return "?"


def measure(quick: bool) -> dict:
    n_bytes = (16 if quick else 512) << 20
    n = n_bytes // 8
    rng = np.random.default_rng(0)
    src, dst = rng.random(n), np.empty(n)
    b, c = rng.random(n), rng.random(n)
    s = 3.0

    def triad():
        np.multiply(c, s, out=dst)
        np.add(dst, b, out=dst)

    repeat, batch, budget = (3, 0.01, 1.0) if quick else (9, 0.2, 10.0)
    t, _, _ = interleaved({"copy": lambda: np.copyto(dst, src), "triad": triad}, repeat, batch, budget)
    out = {
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
        "blas": blas_name(),
        "copy_GBps": 2 * n_bytes / t["copy"] / 1e9,
        "triad_GBps": 5 * n_bytes / t["triad"] / 1e9,
        "array_MiB": n_bytes >> 20,
    }
    g = 512 if quick else 2048
    for dtype in ("float32", "float64"):
        A = rng.standard_normal((g, g)).astype(dtype)
        B = rng.standard_normal((g, g)).astype(dtype)
        C = np.empty((g, g), dtype)
        t, _, _ = interleaved({"gemm": lambda: np.matmul(A, B, out=C)}, repeat, batch, budget)
        out[f"gemm_{dtype}_GFLOPs"] = 2 * g**3 / t["gemm"] / 1e9
    out["gemm_n"] = g
    return out


def describe(m: dict) -> str:
    return (f"Machine: {m['cpu']}, {m['cores']} cores; numpy {m['numpy']} with {m['blas']}\n"
            f"Limits (numpy): copy {m['copy_GBps']:.1f} GB/s, triad {m['triad_GBps']:.1f} GB/s "
            f"(one core, {m['array_MiB']} MiB arrays); GEMM {m['gemm_n']}^3 "
            f"f32 {m['gemm_float32_GFLOPs']:.1f} GFLOP/s, f64 {m['gemm_float64_GFLOPs']:.1f} GFLOP/s\n"
            f"Load average (1 min) before/after the run: {m.get('load_before', 0):.1f} / "
            f"{m.get('load_after', 0):.1f} on {m['cores']} cores (other processes make every number noisier)"
            + (f"\nGPU: {m['gpu']}; device-to-device copy {m['gpu_d2d_GBps']:.0f} GB/s (read + write)"
               if "gpu" in m else ""))


def measure_gpu(quick: bool) -> dict:
    """The GPU's name and device-to-device copy bandwidth (read + write), through mlc's driver layer."""
    import time

    from mlc.runtime.cuda_driver import driver

    drv = driver()
    n_bytes = (64 if quick else 1024) << 20
    src, dst = drv.alloc(n_bytes), drv.alloc(n_bytes)
    try:
        drv.dtod(dst, src, n_bytes)
        drv.synchronize()
        best = float("inf")
        for _ in range(5 if quick else 20):
            start = time.perf_counter()
            drv.dtod(dst, src, n_bytes)
            drv.synchronize()
            best = min(best, time.perf_counter() - start)
    finally:
        drv.free(src)
        drv.free(dst)
    major, minor = drv.capability()
    return {"gpu": f"{drv.device_name()} (sm_{major}{minor}, {drv.name})", "gpu_d2d_GBps": 2 * n_bytes / best / 1e9}
