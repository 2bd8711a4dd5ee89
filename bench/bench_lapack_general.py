"""eig, lstsq and expm (and expm's gradient) from native code vs the host ops they were, vs numpy/scipy.

    .venv/bin/python bench/bench_lapack_general.py [--sizes 4 100] [--repeat 7]

For each size n (float64): numpy/scipy called directly, the same call as a
host op inside a compiled function (what mlc ran before: Python in the
middle of the compiled program), and mlc's native op (LAPACK geev / gelsd,
scipy's Pade algorithm with gemm + gesv, ExpmGrad in native ops), each as a
compiled function of the matrix. lstsq solves an n x n system with one
right-hand side. Timed round-robin in one run (bench/timing.py); the max
relative difference of the native result from numpy/scipy is printed. Not a
test: nothing is asserted.
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.linalg as sl
from timing import interleaved

import mlc
import mlc.tensor as T
from mlc.graph import Apply, TensorType
from mlc.tensor import nlinalg as N
from mlc.tensor import slinalg as S
from mlc.tensor.host import HostOp


class HostCall(HostOp):
    """fn(*arrays) from Python inside a compiled function, with results of the given ranks (float64)."""

    __props__ = ("name",)

    def __init__(self, name, fn, ranks):
        self.name, self.fn, self.ranks = name, fn, ranks

    def make_node(self, *xs) -> Apply:
        xs = [T.as_tensor_variable(x) for x in xs]
        return Apply(self, xs, [TensorType("float64", (False,) * r) for r in self.ranks])

    def perform(self, node, inputs):
        return [np.asarray(r, "float64") for r in self.fn(*inputs)]

    def infer_shape(self, node, shapes, value):
        return [tuple(shapes[0][:r]) for r in self.ranks]


def cases(n: int, rng):
    a = rng.standard_normal((n, n))
    b = rng.standard_normal(n)
    g = rng.standard_normal((n, n))
    x, y, gx = T.dmatrix("a"), T.dvector("b"), T.dmatrix("g")
    s = a / np.abs(a).sum(1).max()  # norm 1: Pade degree 13 without much squaring for n = 100
    grad_node = S.ExpmGrad()(x, gx)
    return [
        ("eig", [a], lambda a: [np.real(v) for v in np.linalg.eig(a)],
         HostCall("eig", lambda a: [np.real(v) for v in np.linalg.eig(a)], (1, 2))(x), N.eig(x), [x]),
        ("lstsq", [a, b], lambda a, b: np.linalg.lstsq(a, b, rcond=-1)[:1],
         HostCall("lstsq", lambda a, b: np.linalg.lstsq(a, b, rcond=-1)[:1], (1,))(x, y),
         N.lstsq()(x, y, -1)[0], [x, y]),
        ("expm", [s], lambda a: [sl.expm(a)], HostCall("expm", lambda a: [sl.expm(a)], (2,))(x), S.expm(x), [x]),
        ("expm gradient", [s, g], lambda a, g: S.ExpmGrad().perform(grad_node.owner, [a, g]),
         HostCall("expm_grad", lambda a, g: S.ExpmGrad().perform(grad_node.owner, [a, g]), (2,))(x, gx),
         grad_node, [x, gx]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 100])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("| op | n | numpy/scipy µs | host op µs | mlc native µs | host op / native | max rel diff |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        for name, arrays, direct, host, native, ins in cases(n, rng):
            host_f = mlc.function(ins, host)
            native_f = mlc.function(ins, native)
            fns = {"direct": lambda: direct(*arrays), "host": lambda: host_f(*arrays),
                   "native": lambda: native_f(*arrays)}
            times, errors, _ = interleaved(fns, repeat=args.repeat, min_batch=0.05, budget=10.0)
            want = direct(*arrays)[0]
            got = native_f(*arrays)
            got = got[0] if isinstance(got, list) else got
            diff = np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)
            us = {k: f"{v * 1e6:.1f}" for k, v in times.items()}
            print(f"| {name} | {n} | {us.get('direct', errors.get('direct'))} | {us.get('host', errors.get('host'))} "
                  f"| {us.get('native', errors.get('native'))} | {times['host'] / times['native']:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
