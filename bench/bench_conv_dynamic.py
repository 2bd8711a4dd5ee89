"""conv2d with the filters' kernel sizes known when the graph is built (static: im2col as a strided view) vs
only at run time (dynamic: the patches by a gather, its gradient a scatter-add), shared and unshared.

    .venv/bin/python bench/bench_conv_dynamic.py [--n 32] [--c 8] [--size 16] [--f 16] [--k 3] [--repeat 7]

One layer's forward and both gradients (of sum(y * p)) in one compiled function per variant, timed
round-robin in one run (bench/timing.py); ratio = static time / dynamic time (below 1: the dynamic path is
slower). The max difference between the two is printed. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from timing import interleaved

import mlc
import mlc.tensor as T
from mlc.tensor.conv import conv2d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--c", type=int, default=8)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--f", type=int, default=16)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, c, s, f, k = args.n, args.c, args.size, args.f, args.k
    o = s - k + 1
    xv = rng.standard_normal((n, c, s, s)).astype("float32")
    pv = rng.standard_normal((n, f, o, o)).astype("float32")
    print(f"conv2d forward + both gradients, x {xv.shape} float32, {k}x{k} filters, {f} outputs, 'valid'; "
          f"load: {os.getloadavg()[0]:.2f}")
    print("| layer | static ms | dynamic ms | ratio static/dynamic | max abs diff |")
    print("|---|---:|---:|---:|---:|")
    for unshared in (False, True):
        wshape = (f, o, o, c, k, k) if unshared else (f, c, k, k)
        wv = (rng.standard_normal(wshape) / np.sqrt(c * k * k)).astype("float32")
        x, p = T.ftensor4("x"), T.ftensor4("p")
        w = T.TensorType("float32", (False,) * len(wshape))("w")
        fns = {}
        for name, hint in (("static", wshape), ("dynamic", None)):
            y = conv2d(x, w, filter_shape=hint, unshared=unshared)
            fn = mlc.function([x, w, p], [y, *mlc.grad((y * p).sum(), [x, w])])
            fns[name] = lambda fn=fn: fn(xv, wv, pv)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(fns["static"](), fns["dynamic"]()))
        times, errors, _ = interleaved(fns, args.repeat, 0.05, 10.0)
        if errors:
            print(errors)
            continue
        print(f"| {'unshared' if unshared else 'shared'} | {times['static'] * 1e3:.3f} | "
              f"{times['dynamic'] * 1e3:.3f} | {times['static'] / times['dynamic']:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
