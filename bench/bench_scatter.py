"""Advanced-index scatter (`inc_subtensor(x[idx], y)`, the gradient of `x[idx]`): mlc vs numpy.

    .venv/bin/python bench/bench_scatter.py [--repeat 7]

Rows, each timed round-robin in one run (bench/timing.py), the median of
`--repeat` rounds in ms, ratio = numpy time / mlc time (higher is better):

- logreg step: one SGD step of Theano's logistic-regression tutorial
  (batch 600, 784 -> 10, float32; the loss `-mean(log(p)[arange(n), y])`,
  whose gradient is a scatter-add into a 600x10 zero matrix), minibatch from
  shared data by `givens`; numpy: the same step with the gradient by hand;
- inc_subtensor 100 rows into a 100000x64 float32 table, as a function
  of the table (the result is a new table: both sides copy it) and as an
  update of a shared table (mlc writes it in place; numpy `np.add.at` on
  the array itself).

Not a test: nothing is asserted; the max abs difference vs numpy is printed.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from timing import interleaved

import mlc
import mlc.tensor as T

F32 = np.float32


def logreg(n_batches: int = 4, bs: int = 600):
    rng = np.random.default_rng(0)
    data_x = rng.random((n_batches * bs, 784), dtype=F32)
    data_y = rng.integers(0, 10, n_batches * bs).astype(np.int32)
    sx, sy = mlc.shared(data_x), mlc.shared(data_y)
    W, b = mlc.shared(np.zeros((784, 10), F32), "W"), mlc.shared(np.zeros(10, F32), "b")
    x, y, i = T.fmatrix("x"), T.ivector("y"), T.lscalar("i")
    p = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gW, gb = mlc.grad(cost, [W, b])
    lr = F32(0.13)
    step = mlc.function([i], cost, updates=[(W, W - lr * gW), (b, b - lr * gb)],
                        givens={x: sx[i * bs:(i + 1) * bs], y: sy[i * bs:(i + 1) * bs]})
    Wn, bn = np.zeros((784, 10), F32), np.zeros(10, F32)

    def numpy_step(k):
        xb, yb = data_x[k * bs:(k + 1) * bs], data_y[k * bs:(k + 1) * bs]
        a = xb @ Wn + bn
        a = a - a.max(axis=1, keepdims=True)
        e = np.exp(a)
        q = e / e.sum(axis=1, keepdims=True)
        c = -np.mean(np.log(q[np.arange(bs), yb]))
        q[np.arange(bs), yb] -= 1
        d = q / F32(bs)
        Wn[...] -= lr * (xb.T @ d)
        bn[...] -= lr * d.sum(axis=0)
        return c

    counter = {"mlc": 0, "numpy": 0}

    def run_mlc():
        counter["mlc"] = (counter["mlc"] + 1) % n_batches
        step(counter["mlc"])

    def run_numpy():
        counter["numpy"] = (counter["numpy"] + 1) % n_batches
        numpy_step(counter["numpy"])

    def check():  # the same steps from the same start, after the timing
        W.set_value(np.zeros((784, 10), F32))
        b.set_value(np.zeros(10, F32))
        Wn[...], bn[...] = 0, 0
        for k in range(n_batches):
            step(k)
            numpy_step(k)
        return float(np.abs(W.get_value() - Wn).max())

    return run_mlc, run_numpy, check


def table(rows: int = 100_000, width: int = 64, k: int = 100):
    rng = np.random.default_rng(1)
    t0 = rng.standard_normal((rows, width)).astype(F32)
    idx = rng.integers(-rows, rows, k)
    src = rng.standard_normal((k, width)).astype(F32)
    x, y, i = T.fmatrix("x"), T.fmatrix("y"), T.lvector("i")
    f = mlc.function([x, i, y], T.inc_subtensor(x[i], y))
    shared = mlc.shared(t0.copy(), "table")
    upd = mlc.function([i, y], [], updates=[(shared, T.inc_subtensor(shared[i], y))])
    own = t0.copy()

    def numpy_fn():
        out = t0.copy()
        np.add.at(out, idx, src)
        return out

    def check():
        want = numpy_fn()
        err = float(np.abs(f(t0, idx, src) - want).max())
        shared.set_value(t0.copy())
        upd(idx, src)
        return max(err, float(np.abs(shared.get_value() - want).max()))

    return ((lambda: f(t0, idx, src)), numpy_fn, (lambda: upd(idx, src)),
            (lambda: np.add.at(own, idx, src)), check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min); ratio = numpy time / mlc time (higher is better)")
    print("| row | mlc ms | numpy ms | ratio | max abs diff |")
    print("|---|---:|---:|---:|---:|")
    m, n, check = logreg()
    t = interleaved({"mlc": m, "numpy": n}, args.repeat, 0.05, 10.0, settle=0.05)[0]  # (OpenBLAS threads spin)
    print(f"| logreg step (batch 600, 784x10) | {t['mlc'] * 1e3:.3f} | {t['numpy'] * 1e3:.3f} "
          f"| {t['numpy'] / t['mlc']:.2f} | {check():.1e} |")
    fm, fn, um, un, check = table()
    t = interleaved({"f": fm, "fn": fn, "u": um, "un": un}, args.repeat, 0.05, 10.0)[0]
    err = check()
    print(f"| inc_subtensor 100 rows into 100000x64 (new table) | {t['f'] * 1e3:.3f} | {t['fn'] * 1e3:.3f} "
          f"| {t['fn'] / t['f']:.2f} | {err:.1e} |")
    print(f"| inc_subtensor 100 rows into 100000x64 (shared, in place) | {t['u'] * 1e3:.3f} "
          f"| {t['un'] * 1e3:.3f} | {t['un'] / t['u']:.2f} | |")


if __name__ == "__main__":
    main()
