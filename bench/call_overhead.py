"""Where a call of a compiled function spends its time, each path measured in one run.

    .venv/bin/python bench/call_overhead.py [--quick]

W0 (s + 1 on 16 float32, the call overhead row): numpy, Numba (if
installed), mlc through its native entry (`mlc.compile.dispatch`) and mlc
through the Python fast path alone (what every call took before the native
entry), timed round-robin in one process; ratios to numpy.

The tutorial MLP training step (784-H-10, batch 20, minibatch by a
`givens` slice of shared data, NLL through `arange(n)`): the per-call time
with native shapes (`mlc.compile.native_shapes`) and with the Python shape
plan (`ShapePlan`, the path such functions took before), alternating epochs
in one process; H=5 isolates the call overhead, H=500 is the real step.
Python shape walks are counted (none after the first call in either path).
"""

from __future__ import annotations

import argparse
import time
import timeit

import numpy as np

import mlc
import mlc.tensor as T


def w0(repeats: int) -> dict[str, float]:
    s = T.fvector("s")
    x = np.arange(16, dtype=np.float32)
    native, python = mlc.function([s], s + 1), mlc.function([s], s + 1)
    for _ in range(20):
        native(x), python(x)
    python._dispatch, python._calls = None, -(10**9)  # never hot: the Python fast path only
    cands = {"numpy": lambda: x + 1, "mlc native entry": lambda: native(x), "mlc Python fast path": lambda: python(x)}
    try:
        from numba import njit

        nb = njit()(lambda v: v + 1)
        nb(x)
        cands["numba"] = lambda: nb(x)
    except ImportError:
        pass
    best = dict.fromkeys(cands, float("inf"))
    for _ in range(repeats):
        for k, fn in cands.items():
            best[k] = min(best[k], timeit.timeit(fn, number=20000) / 20000)
    return best


def mlp_step(hidden: int, epochs: int) -> dict[str, float]:
    rng = np.random.default_rng(5)
    n, bs = 2000, 20
    data = mlc.shared(rng.random((n, 784)).astype("float32"), "data")
    labels = mlc.shared(rng.integers(0, 10, n).astype("int32"), "labels")
    W1 = mlc.shared((rng.standard_normal((784, hidden)) * 0.01).astype("float32"))
    b1 = mlc.shared(np.zeros(hidden, "float32"))
    W2, b2 = mlc.shared(np.zeros((hidden, 10), "float32")), mlc.shared(np.zeros(10, "float32"))
    i, x, y = T.lscalar("i"), T.fmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2) + b2)
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    params = [W1, b1, W2, b2]
    step = mlc.function([i], nll, updates=[(q, q - np.float32(0.01) * g) for q, g in zip(params, mlc.grad(nll, params))],
                        givens={x: data[i * bs:(i + 1) * bs], y: labels[i * bs:(i + 1) * bs]})
    batches = n // bs
    for k in range(batches):
        step(k)
    paths = {"native shapes": (step.native_shapes, step._fast), "Python shape plan": (None, None)}
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(epochs):
        for name, (native, fast) in paths.items():
            step.native_shapes, step._fast = native, fast
            t0 = time.perf_counter()
            for k in range(batches):
                step(k)
            best[name] = min(best[name], (time.perf_counter() - t0) / batches)
    best["walks"] = step.shape_plan.walks
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats, epochs = (5, 2) if args.quick else (15, 5)
    t = w0(repeats)
    print("| W0 path | ns per call | / numpy |\n|---|---:|---:|")
    for k, v in t.items():
        print(f"| {k} | {v * 1e9:.0f} | {v / t['numpy']:.2f} |")
    print("\n| MLP step | H | us per call | walks after warm-up |\n|---|---:|---:|---:|")
    for hidden in (5, 500):
        r = mlp_step(hidden, epochs)
        for k in ("native shapes", "Python shape plan"):
            print(f"| {k} | {hidden} | {r[k] * 1e6:.0f} | {int(r['walks']) - 1} |")


if __name__ == "__main__":
    main()
