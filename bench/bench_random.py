"""Random-number throughput: mlc's MRG31k3p (native) and RandomStreams (numpy host op) vs numpy.

    .venv/bin/python bench/bench_random.py [--n 1000000] [--repeat 15]

Numbers per second of uniform draws of n values, float32 and float64:
mlc `MRG_RandomStreams.uniform` (an `mt.mrg_uniform` loop over 15360
streams, Theano's default for that size, state updated in place; on mlc's
thread pool, and limited to one thread),
mlc `RandomStreams.uniform` (numpy's legacy RandomState in a host op, copy
of the state included), and numpy itself: `Generator.random` (PCG64, the
fast modern path) and `RandomState.uniform` (MT19937, what Theano's
RandomStreams draws). All timed round-robin in one run (bench/timing.py).
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import interleaved

import mlc
from mlc.runtime.parallel import num_threads, set_num_threads
from mlc.tensor.rng_mrg import MRG_RandomStreams
from mlc.tensor.shared_randomstreams import RandomStreams

DEFAULT_THREADS = num_threads()


def _one_thread(fn):
    """Call fn with mlc's parallel loops limited to the calling thread (then restore the default)."""
    set_num_threads(1)
    try:
        return fn()
    finally:
        set_num_threads(DEFAULT_THREADS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    n = args.n
    print(f"uniform draws of {n} values: numbers per second (higher is better); ratio = rate / numpy Generator")
    print("| dtype | implementation | numbers/s | ratio vs Generator.random |")
    print("|---|---|---|---|")
    for dtype in ("float32", "float64"):
        mrg = mlc.function([], MRG_RandomStreams(seed=1234).uniform((n,), dtype=dtype))
        rs = mlc.function([], RandomStreams(seed=1234).uniform((n,), dtype=dtype))
        gen = np.random.default_rng(1234)
        legacy = np.random.RandomState(1234)
        fns = {
            "numpy Generator.random": lambda gen=gen, dtype=dtype: gen.random(n, dtype=dtype),
            "numpy RandomState.uniform": lambda legacy=legacy, dtype=dtype: legacy.uniform(size=n).astype(dtype, copy=False),
            "mlc MRG_RandomStreams.uniform (native)": mrg,
            "mlc MRG_RandomStreams.uniform (native, 1 thread)": lambda mrg=mrg: _one_thread(mrg),
            "mlc RandomStreams.uniform (numpy host op)": rs,
        }
        times, errors, _ = interleaved(fns, repeat=args.repeat, min_batch=0.05, budget=20.0)
        base = times["numpy Generator.random"]
        for name, t in times.items():
            print(f"| {dtype} | {name} | {n / t:.3g} | {base / t:.2f} |")
        for name, err in errors.items():
            print(f"| {dtype} | {name} | n/a: {err} | |")


if __name__ == "__main__":
    main()
