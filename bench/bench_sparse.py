"""theano.sparse's structured_dot: mlc's native CSR x dense product vs scipy.sparse.

    .venv/bin/python bench/bench_sparse.py [--n 10000] [--density 0.01] [--k 64] [--repeat 7]

An n x n CSR matrix with the given density (float64 and float32) times an
n x k dense matrix: scipy's `A @ B` (its compiled csr_matvecs, one thread),
mlc's `structured_dot` (a compiled function: the host step taking the CSR
arrays out and checking them, then `mt.csr_dot` lowered to loops parallel
over rows, on mlc's thread pool and limited to one thread), and the same
for csc input (converted to csr on the host first). Also the gradient step
of a sparse-input layer, d/dA and d/dB of sum(A . B * C), mlc vs scipy/numpy
written by hand. Timed round-robin in one run (bench/timing.py); the max
error vs scipy is printed. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sp
from bench_random import DEFAULT_THREADS, _one_thread
from timing import interleaved

import mlc
import mlc.sparse as S
import mlc.tensor as T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--density", type=float, default=0.01)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n, k = args.n, args.k
    print(f"structured_dot: {n}x{n} CSR, density {args.density}, times {n}x{k} dense; "
          f"threads: {DEFAULT_THREADS}; ratio = scipy time / time (higher is better)")
    print("| dtype | implementation | ms | ratio vs scipy | max rel err |")
    print("|---|---|---:|---:|---:|")
    for dtype in ("float64", "float32"):
        a = sp.random(n, n, density=args.density, format="csr", random_state=0, dtype=dtype)
        ac = a.tocsc()
        b = np.random.default_rng(0).standard_normal((n, k)).astype(dtype)
        c = np.random.default_rng(1).standard_normal((n, k)).astype(dtype)
        x, xc, w = S.csr_matrix("x", dtype=dtype), S.csc_matrix("xc", dtype=dtype), T.matrix("w", dtype=dtype)
        f = mlc.function([x, w], S.structured_dot(x, w))
        fc = mlc.function([xc, w], S.structured_dot(xc, w))
        cw = T.matrix("c", dtype=dtype)
        gx, gw = mlc.grad((S.structured_dot(x, w) * cw).sum(), [x, w])
        fg = mlc.function([x, w, cw], [gx, gw])

        def scipy_grad():
            rows = np.repeat(np.arange(n), np.diff(a.indptr))
            gdata = np.einsum("pk,pk->p", c[rows], b[a.indices])
            return sp.csr_matrix((gdata, a.indices, a.indptr), a.shape), a.T @ c

        want = a @ b
        scale = np.abs(want).max()
        fns = {
            "scipy A @ B (csr)": lambda: a @ b,
            "mlc structured_dot (csr, native)": lambda: f(a, b),
            "mlc structured_dot (csr, native, 1 thread)": lambda: _one_thread(lambda: f(a, b)),
            "mlc structured_dot (csc input)": lambda: fc(ac, b),
            "scipy A @ B (csc)": lambda: ac @ b,
            "gradient: numpy/scipy by hand": scipy_grad,
            "gradient: mlc (native)": lambda: fg(a, b, c),
        }
        times, errors, _ = interleaved(fns, repeat=args.repeat, min_batch=0.2, budget=60.0)
        errs = {"mlc structured_dot (csr, native)": np.abs(f(a, b) - want).max() / scale,
                "mlc structured_dot (csc input)": np.abs(fc(ac, b) - want).max() / scale}
        g_m, g_s = fg(a, b, c), scipy_grad()
        errs["gradient: mlc (native)"] = max(np.abs(g_m[0] - g_s[0]).max() / np.abs(g_s[0].data).max(),
                                             np.abs(g_m[1] - g_s[1]).max() / np.abs(g_s[1]).max())
        base = times["scipy A @ B (csr)"]
        grad_base = times["gradient: numpy/scipy by hand"]
        for name, t in times.items():
            ref = grad_base if name.startswith("gradient") else base
            err = f"{errs[name]:.1e}" if name in errs else ""
            print(f"| {dtype} | {name} | {t * 1e3:.1f} | {ref / t:.2f} | {err} |")
        for name, e in errors.items():
            print(f"| {dtype} | {name} | n/a: {e} | | |")


if __name__ == "__main__":
    main()
