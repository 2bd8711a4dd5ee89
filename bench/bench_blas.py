"""Time `blas.gemm` (JIT -> scipy's f77 BLAS) against numpy.dot for 1024x1024.

    .venv/bin/python bench/bench_blas.py [--n 1024] [--repeat 15]

Prints the median wall time of C = A @ B for f32 and f64, through mlc's
CPU path (loop-level `blas.gemm` -> convert-blas-to-llvm -> JIT) and
through numpy.dot, and their ratio. Both sides use OpenBLAS (scipy's and
numpy's builds, each with its own thread pool); set OPENBLAS_NUM_THREADS=1
for single-threaded numbers. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from xdsl.context import Context
from xdsl.dialects import get_all_dialects
from xdsl.parser import Parser

from mlc.dialects.blas import Blas
from mlc.compile.pipeline import lower_loops_to_llvm
from mlc.runtime.cpu import compile_module

GEMM = """
func.func @matmul(%a: memref<?x?x{t}>, %b: memref<?x?x{t}>, %c: memref<?x?x{t}>) {{
  blas.gemm %a, %b, %c : memref<?x?x{t}>, memref<?x?x{t}>, memref<?x?x{t}>
  func.return
}}
"""


def compile_matmul(t: str):
    ctx = Context()
    for name, load in get_all_dialects().items():
        ctx.register_dialect(name, load)
    ctx.load_dialect(Blas)
    module = Parser(ctx, GEMM.format(t=t)).parse_module()
    lower_loops_to_llvm(module)
    return compile_module(module, ["matmul"])["matmul"]


def median_time(fn, repeat: int) -> float:
    fn()  # warm up (thread pools, caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    n = args.n
    print(f"{n}x{n} @ {n}x{n}, median of {args.repeat}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"{os.cpu_count()} CPUs")
    rng = np.random.default_rng(0)
    for t, dtype in [("f32", np.float32), ("f64", np.float64)]:
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        c = np.empty((n, n), dtype)
        matmul = compile_matmul(t)
        matmul(a, b, c)
        err = np.abs(c - a @ b).max() / np.abs(a @ b).max()
        mlc_t = median_time(lambda: matmul(a, b, c), args.repeat)
        np_t = median_time(lambda: np.dot(a, b, out=c), args.repeat)
        gflops = 2 * n**3 / mlc_t / 1e9
        print(f"{t}: mlc blas.gemm {mlc_t * 1e3:8.2f} ms ({gflops:6.1f} GFLOP/s)   "
              f"numpy.dot {np_t * 1e3:8.2f} ms   ratio {mlc_t / np_t:5.2f}   rel.err {err:.1e}")


if __name__ == "__main__":
    main()
