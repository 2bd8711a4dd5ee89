"""Saving and profiling a compiled training step (issue 13's numbers).

    .venv/bin/python bench/bench_pickle_profile.py

Builds the MLP training step of the tutorials (784-256-10, tanh, softmax,
cross-entropy with L2, SGD updates of four shared variables), then

* pickles the compiled function with its shared variables and reports the
  pickle's size and the time a *fresh process* takes to load it: the whole
  process (interpreter + mlc import + unpickle + first call) and, inside it,
  `pickle.load` alone (the function is recompiled from the disk cache, so no
  LLVM runs: the process reports its compile-cache counters);
* prints `f.profile.summary()` of 20 profiled calls (kernels timed in native
  code), in Theano's layout.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

import mlc
import mlc.tensor as T
from mlc.tensor import nnet


def build(profile=None):
    rng = np.random.default_rng(0)
    x, y = T.dmatrix("x"), T.ivector("y")
    W1 = mlc.shared(rng.normal(size=(784, 256)) * 0.05, "W1")
    b1 = mlc.shared(np.zeros(256), "b1")
    W2 = mlc.shared(rng.normal(size=(256, 10)) * 0.05, "W2")
    b2 = mlc.shared(np.zeros(10), "b2")
    h = T.tanh(T.dot(x, W1) + b1)
    p = nnet.softmax(T.dot(h, W2) + b2)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + 1e-4 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    params = [W1, b1, W2, b2]
    grads = mlc.grad(cost, params)
    train = mlc.function([x, y], cost, updates=[(q, q - 0.1 * g) for q, g in zip(params, grads)],
                         name="mlp_train_step", profile=profile)
    X = rng.normal(size=(128, 784))
    Y = rng.integers(0, 10, 128).astype("int32")
    return train, params, X, Y


def main() -> None:
    cache_dir = tempfile.mkdtemp(prefix="mlc-bench-cache-")
    with mlc.config.change_flags(cache_dir=cache_dir):
        t0 = time.perf_counter()
        train, params, X, Y = build()
        compile_s = time.perf_counter() - t0
        train(X, Y)
        data = pickle.dumps((train, params), protocol=pickle.HIGHEST_PROTOCOL)
    path = os.path.join(cache_dir, "train.pkl")
    with open(path, "wb") as fh:
        fh.write(data)
    params_bytes = sum(p.get_value(borrow=True).nbytes for p in params)
    script = textwrap.dedent(f"""
        import time; t0 = time.perf_counter()
        import pickle, numpy as np, mlc
        from mlc.runtime import cache
        t1 = time.perf_counter()
        with open({path!r}, 'rb') as fh:
            train, params = pickle.load(fh)
        t2 = time.perf_counter()
        X = np.random.default_rng(0).normal(size=(128, 784)); Y = np.zeros(128, dtype='int32')
        train(X, Y)
        t3 = time.perf_counter()
        print(t1 - t0, t2 - t1, t3 - t2, cache.stats.compiles, cache.stats.disk_hits)
    """)
    env = dict(os.environ, MLC_FLAGS=f"cache_dir={cache_dir}")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    process_s = time.perf_counter() - start
    imp, load, call, compiles, hits = out.stdout.split()
    print("## Pickling the compiled MLP training step")
    print(f"compile in this process (cold cache): {compile_s:.2f} s")
    print(f"pickle size: {len(data)} bytes ({params_bytes} bytes of them the four parameters' values, "
          f"{len(data) - params_bytes} bytes graph, options and framing)")
    print(f"fresh process: total {process_s:.2f} s = import mlc {float(imp):.3f} s + pickle.load {float(load):.3f} s "
          f"+ first call {float(call):.3f} s (+ interpreter start); LLVM compiles: {compiles}, "
          f"disk cache hits: {hits}")
    print()
    print("## Profile of 20 calls")
    with mlc.config.change_flags(cache_dir=cache_dir):
        train, params, X, Y = build(profile=True)
        for _ in range(20):
            train(X, Y)
        train.profile.summary(file=sys.stdout)


if __name__ == "__main__":
    main()
