"""Time complex64/complex128 functions compiled by mlc against numpy (issue 12).

    .venv/bin/python bench/bench_complex.py [--n 1000000] [--m 512] [--repeat 7]

Rows: an elementwise chain on n complex numbers (abs(x * y + exp(x) / y)), a
complex sum, a matrix product m x m (zgemm/cgemm through mlc's BLAS
wrappers vs numpy's), and vector . vector of 10^3 and n elements (one
cgemv/zgemv of the 1 x n matrix x, vs numpy's cdotu/zdotu). Median seconds per call, timed round-robin in one run
(`timing.interleaved`); the ratio is mlc / numpy (below 1: mlc is faster).
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from timing import interleaved  # noqa: E402

import mlc  # noqa: E402
import mlc.tensor as T  # noqa: E402


def _seconds(t: float) -> str:
    return f"{t * 1e3:.2f}ms" if t >= 1e-3 else f"{t * 1e6:.2f}us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--m", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'workload':<44} {'mlc':>10} {'numpy':>10} {'mlc/numpy':>10} {'max rel err':>12}")
    for dtype in ("complex64", "complex128"):
        def c(shape):
            return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)

        x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
        a, b = c(args.n), c(args.n)
        A, B = T.matrix("A", dtype=dtype), T.matrix("B", dtype=dtype)
        p, q = c((args.m, args.m)), c((args.m, args.m))
        rows = {
            f"abs(x*y + exp(x)/y) n={args.n}": (mlc.function([x, y], abs(x * y + T.exp(x) / y)), (a, b),
                                                 lambda: np.abs(a * b + np.exp(a) / b)),
            f"sum(x * y) n={args.n}": (mlc.function([x, y], (x * y).sum()), (a, b), lambda: (a * b).sum()),
            f"dot {args.m}x{args.m}": (mlc.function([A, B], T.dot(A, B)), (p, q), lambda: p @ q),
            f"dot(x, y) n={args.n}": (mlc.function([x, y], T.dot(x, y)), (a, b), lambda: np.dot(a, b)),
        }
        u, w = a[:1000].copy(), b[:1000].copy()
        rows["dot(x, y) n=1000"] = (mlc.function([x, y], T.dot(x, y)), (u, w), lambda: np.dot(u, w))
        for name, (f, inputs, ref) in rows.items():
            times, errors, _ = interleaved({"mlc": lambda: f(*inputs), "numpy": ref}, args.repeat, 0.05, 20.0)
            expected = np.asarray(ref())
            err = float(np.max(np.abs(f(*inputs) - expected)) / max(np.max(np.abs(expected)), 1e-30))
            ratio = times["mlc"] / times["numpy"]
            print(f"{dtype + ' ' + name:<44} {_seconds(times['mlc']):>10} {_seconds(times['numpy']):>10} "
                  f"{ratio:>10.2f} {err:>12.1e}")


if __name__ == "__main__":
    main()
