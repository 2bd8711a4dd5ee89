"""Workloads W0..W7 of issue 7, each written once per implementation.

An implementation builder takes the workload's input data (a dict of numpy
arrays it must not modify) and returns an `Impl`:
- `run()` does one call (one training step for W5/W6) and returns its
  outputs; it is what gets timed;
- `state()` returns the arrays a training step updates (else []).
Right after building, the harness calls `run()` once and compares outputs
and state with numpy's, all starting from the same data.

The "numpy" column is the direct numpy transcription of each expression
(what a numpy user writes, temporaries included); for W5/W6 it is the
training step with its gradient derived by hand. mlc and PyTensor share
one Theano-style graph (`Th` hides the few names that differ); JAX uses
`jax.jit` (and `jax.grad`) on inputs already on its device; Numba uses
hand-written `prange` loops where that is the natural Numba program,
`np.dot` (BLAS) for contractions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

F32 = np.float32


class Impl(NamedTuple):
    run: Callable[[], object]
    state: Callable[[], list] = lambda: []


@dataclass
class Workload:
    key: str  # row id: "W4.f64"
    name: str
    data: Callable[[bool], dict]  # quick -> inputs
    impls: dict[str, Callable[[dict], Impl]]
    work: Callable[[dict], tuple[float, str]] = lambda d: (0.0, "")  # (bytes|flops, "B"|"flop") per call
    note: str = field(default="")

    @property
    def id(self) -> str:
        return self.key.split(".")[0]


# ---------------------------------------------------------------------------
# The Theano-style libraries: mlc and PyTensor behind one vocabulary
# ---------------------------------------------------------------------------


#: "cpu" or "cuda" (bench/run.py --device): where mlc runs; JAX uses its default device
DEVICE = {"name": "cpu"}


class Th:
    def __init__(self, lib: str):
        if lib == "mlc":
            import mlc
            import mlc.tensor as T

            mlc.config.floatX = "float32"  # as Theano users do for float32 work: 0.1 * x stays float32
            self.function, self.shared, self.grad, self.T = mlc.function, mlc.shared, mlc.grad, T
            if DEVICE["name"] == "cuda":
                self.function = on_device
            self.softmax, self.log_softmax = T.nnet.softmax, T.nnet.log_softmax
        else:
            import pytensor
            import pytensor.tensor as pt

            pytensor.config.floatX = "float32"
            self.function, self.shared, self.grad, self.T = pytensor.function, pytensor.shared, pytensor.grad, pt
            self.softmax = lambda x: pt.special.softmax(x, axis=-1)
            self.log_softmax = lambda x: pt.special.log_softmax(x, axis=-1)


class on_device:
    """mlc.function on the GPU, benchmarked like JAX: inputs uploaded once (as jax.device_put),
    results left on the device, each call synchronized."""

    def __init__(self, inputs, outputs=None, **kwargs):
        import mlc

        self.f = mlc.function(inputs, outputs, target="cuda", return_device_arrays=True, **kwargs)
        self.uploaded: dict[int, tuple] = {}

    def __call__(self, *args):
        from mlc.runtime.cuda_driver import driver
        from mlc.runtime.gpu import to_device

        dev = []
        for a in args:
            hit = self.uploaded.get(id(a))
            if hit is None or hit[0] is not a:
                hit = self.uploaded[id(a)] = (a, to_device(np.asarray(a)))
            dev.append(hit[1])
        out = self.f(*dev)
        driver().synchronize()
        return out


def theano_style(graph: Callable) -> dict[str, Callable[[dict], Impl]]:
    """Builders for mlc and PyTensor from one `graph(th, data) -> Impl`."""
    return {"mlc": lambda d: graph(Th("mlc"), d), "pytensor": lambda d: graph(Th("pytensor"), d)}


def jax_x64():
    """jax, with float64 enabled (W4.f64); float32 inputs stay float32."""
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def jax_jit(fn: Callable, *names: str) -> Callable[[dict], Impl]:
    """A JAX builder for a pure function of the named inputs."""
    def build(d):
        jax = jax_x64()
        f = jax.jit(fn)
        args = [jax.device_put(d[n]) for n in names]
        return Impl(lambda: f(*args).block_until_ready())
    return build


def cupy_expr(fn: Callable, *names: str) -> Callable[[dict], Impl]:
    """A CuPy builder: inputs copied to the GPU once, each call synchronized."""
    def build(d):
        import cupy as cp

        args = [cp.asarray(d[n]) for n in names]

        def run():
            out = fn(cp, *args)
            cp.cuda.Device().synchronize()
            return out
        return Impl(run)
    return build


def cupy_step(numpy_step: Callable, d: dict) -> Impl:
    """A numpy training step (written against `np`) run by CuPy on the GPU."""
    import cupy as cp

    impl = numpy_step(d, np=cp)

    def run():
        out = impl.run()
        cp.cuda.Device().synchronize()
        return out
    return Impl(run, impl.state)


def njit(parallel: bool = False):
    import numba

    return numba.njit(parallel=parallel, cache=False)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def vec(n: int, lo=-1.0, hi=1.0) -> np.ndarray:
    return rng().uniform(lo, hi, n).astype(F32)


# ---------------------------------------------------------------------------
# W0 call overhead: s + 1 on 16 float32
# ---------------------------------------------------------------------------


def w0_theano(th, d):
    s = th.T.fvector("s")
    f = th.function([s], s + 1)
    return Impl(lambda: f(d["s"]))


def w0_numba(d):
    @njit()
    def f(s):
        return s + 1
    return Impl(lambda: f(d["s"]))


W0 = Workload(
    "W0", "call overhead: s + 1, 16 f32",
    lambda quick: {"s": np.arange(16, dtype=F32)},
    {"numpy": lambda d: Impl(lambda: d["s"] + 1),
     **theano_style(w0_theano),
     "jax": jax_jit(lambda s: s + 1, "s"),
     "numba": w0_numba})


# ---------------------------------------------------------------------------
# W1 fused elementwise: exp(2*x*y + y) * tanh(x) + log1p(x*x)
# ---------------------------------------------------------------------------


def w1_numpy(d):
    x, y = d["x"], d["y"]
    return Impl(lambda: np.exp(2 * x * y + y) * np.tanh(x) + np.log1p(x * x))


def w1_theano(th, d):
    T = th.T
    x, y = T.fvector("x"), T.fvector("y")
    f = th.function([x, y], T.exp(2 * x * y + y) * T.tanh(x) + T.log1p(x * x))
    return Impl(lambda: f(d["x"], d["y"]))


def w1_jax(x, y):
    import jax.numpy as jnp
    return jnp.exp(2 * x * y + y) * jnp.tanh(x) + jnp.log1p(x * x)


def w1_numba(d):
    import numba

    @njit(parallel=True)
    def f(x, y):
        out = np.empty_like(x)
        for i in numba.prange(x.shape[0]):
            a, b = x[i], y[i]
            out[i] = math.exp(2 * a * b + b) * math.tanh(a) + math.log1p(a * a)
        return out
    return Impl(lambda: f(d["x"], d["y"]))


W1 = Workload(
    "W1", "fused elementwise, 10M f32",
    lambda quick: {"x": vec(10_000 if quick else 10_000_000), "y": vec(10_000 if quick else 10_000_000, 0, 1)},
    {"numpy": w1_numpy, **theano_style(w1_theano), "jax": jax_jit(w1_jax, "x", "y"), "numba": w1_numba,
     "cupy": cupy_expr(lambda cp, x, y: cp.exp(2 * x * y + y) * cp.tanh(x) + cp.log1p(x * x), "x", "y")},
    lambda d: (3 * d["x"].nbytes, "B"))


# ---------------------------------------------------------------------------
# W2 (x * W).sum(), W shared
# ---------------------------------------------------------------------------


def w2_theano(th, d):
    x = th.T.fvector("x")
    W = th.shared(d["W"], "W")
    f = th.function([x], (x * W).sum())
    return Impl(lambda: f(d["x"]))


def w2_numba(d):
    import numba

    @njit(parallel=True)
    def f(x, w):
        acc = np.float32(0)
        for i in numba.prange(x.shape[0]):
            acc += x[i] * w[i]
        return acc
    return Impl(lambda: f(d["x"], d["W"]))


W2 = Workload(
    "W2", "(x * W).sum(), 10M f32",
    lambda quick: {"x": vec(10_000 if quick else 10_000_000), "W": vec(10_000 if quick else 10_000_000)[::-1].copy()},
    {"numpy": lambda d: Impl(lambda: (d["x"] * d["W"]).sum()),
     **theano_style(w2_theano),
     "jax": jax_jit(lambda x, W: (x * W).sum(), "x", "W"),
     "numba": w2_numba,
     "cupy": cupy_expr(lambda cp, x, W: (x * W).sum(), "x", "W")},
    lambda d: (2 * d["x"].nbytes, "B"))


# ---------------------------------------------------------------------------
# W3 row softmax
# ---------------------------------------------------------------------------


def w3_numpy(d):
    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return Impl(lambda: softmax(d["x"]))


def w3_theano(th, d):
    x = th.T.fmatrix("x")
    f = th.function([x], th.softmax(x))
    return Impl(lambda: f(d["x"]))


def w3_jax(x):
    import jax
    return jax.nn.softmax(x, axis=-1)


def w3_numba(d):
    import numba

    @njit(parallel=True)
    def f(x):
        out = np.empty_like(x)
        for i in numba.prange(x.shape[0]):
            m = x[i, 0]
            for j in range(x.shape[1]):
                m = max(m, x[i, j])
            s = np.float32(0)
            for j in range(x.shape[1]):
                e = math.exp(x[i, j] - m)
                out[i, j] = e
                s += e
            for j in range(x.shape[1]):
                out[i, j] /= s
        return out
    return Impl(lambda: f(d["x"]))


W3 = Workload(
    "W3", "row softmax, 4096x1024 f32",
    lambda quick: {"x": rng().standard_normal((64, 128) if quick else (4096, 1024)).astype(F32)},
    {"numpy": w3_numpy, **theano_style(w3_theano), "jax": jax_jit(w3_jax, "x"), "numba": w3_numba,
     "cupy": cupy_expr(lambda cp, x: (lambda e: e / e.sum(axis=1, keepdims=True))(
         cp.exp(x - x.max(axis=1, keepdims=True))), "x")},
    lambda d: (2 * d["x"].nbytes, "B"))


# ---------------------------------------------------------------------------
# W4 GEMM f32, f64 and A@B + beta*C
# ---------------------------------------------------------------------------


def w4(dtype: str, plus_c: bool) -> Workload:
    beta = 0.5

    def data(quick):
        n = 128 if quick else 1024
        r = rng()
        return {k: r.standard_normal((n, n)).astype(dtype) for k in "ABC"}

    def theano(th, d):
        A, B, C = (th.T.matrix(k, dtype=dtype) for k in "ABC")
        if plus_c:
            f = th.function([A, B, C], th.T.dot(A, B) + beta * C)
            return Impl(lambda: f(d["A"], d["B"], d["C"]))
        f = th.function([A, B], th.T.dot(A, B))
        return Impl(lambda: f(d["A"], d["B"]))

    def numba_(d):
        if plus_c:
            @njit()
            def f(A, B, C):
                return np.dot(A, B) + beta * C
            return Impl(lambda: f(d["A"], d["B"], d["C"]))

        @njit()
        def g(A, B):
            return np.dot(A, B)
        return Impl(lambda: g(d["A"], d["B"]))

    if plus_c:
        impls = {"numpy": lambda d: Impl(lambda: d["A"] @ d["B"] + beta * d["C"]),
                 "jax": jax_jit(lambda A, B, C: A @ B + beta * C, "A", "B", "C"),
                 "cupy": cupy_expr(lambda cp, A, B, C: A @ B + beta * C, "A", "B", "C")}
    else:
        impls = {"numpy": lambda d: Impl(lambda: d["A"] @ d["B"]),
                 "jax": jax_jit(lambda A, B: A @ B, "A", "B"),
                 "cupy": cupy_expr(lambda cp, A, B: A @ B, "A", "B")}
    short = "f32" if dtype == "float32" else "f64"
    return Workload(
        f"W4.{short}{'+C' if plus_c else ''}",
        f"{'A@B + 0.5*C' if plus_c else 'GEMM A@B'}, 1024^2 {short}",
        data, {**impls, **theano_style(theano), "numba": numba_},
        lambda d: (2 * d["A"].shape[0] ** 3 + (2 * d["A"].size if plus_c else 0), "flop"))


# ---------------------------------------------------------------------------
# W5 logistic regression step (Theano tutorial), 400x784 f32
# ---------------------------------------------------------------------------
# p = sigmoid(x.w + b); xent = -y log p - (1-y) log(1-p)
# cost = mean(xent) + 0.01 |w|^2; w -= 0.1 dcost/dw; b -= 0.1 dcost/db
# outputs: prediction p > 0.5, xent


def w5_data(quick):
    r = rng()
    n, feats = 400, 784
    return {"X": r.standard_normal((n, feats)).astype(F32), "y": (r.random(n) > 0.5).astype(F32),
            "w": (0.01 * r.standard_normal(feats)).astype(F32), "b": np.asarray(0.0, F32)}


def w5_numpy(d, np=np):
    """The hand-derived step; `np` may be CuPy (the same code on the GPU)."""
    X, y = np.asarray(d["X"]), np.asarray(d["y"])
    w, b = np.asarray(d["w"]).copy(), np.asarray(d["b"]).copy()
    n = X.shape[0]

    def step():
        p = 1 / (1 + np.exp(-(X @ w) - b))
        xent = -y * np.log(p) - (1 - y) * np.log(1 - p)
        dz = (p - y) / n  # dcost/dz for z = X@w + b
        w[...] -= 0.1 * (dz @ X + 0.02 * w)
        b[...] -= 0.1 * dz.sum()
        return p > 0.5, xent
    return Impl(step, lambda: [w, b])


def w5_theano(th, d):
    T = th.T
    x, y = T.fmatrix("x"), T.fvector("y")
    w, b = th.shared(d["w"].copy(), "w"), th.shared(d["b"].copy(), "b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = th.grad(cost, [w, b])
    train = th.function([x, y], [prediction, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    return Impl(lambda: train(d["X"], d["y"]), lambda: [w.get_value(), b.get_value()])


def w5_jax(d):
    jax = jax_x64()
    import jax.numpy as jnp

    def cost(params, X, y):
        w, b = params
        p = 1 / (1 + jnp.exp(-(X @ w) - b))
        xent = -y * jnp.log(p) - (1 - y) * jnp.log(1 - p)
        return xent.mean() + 0.01 * (w ** 2).sum(), (p > 0.5, xent)

    @jax.jit
    def step(params, X, y):
        g, aux = jax.grad(cost, has_aux=True)(params, X, y)
        return tuple(p - 0.1 * gp for p, gp in zip(params, g)), aux

    X, y = jax.device_put(d["X"]), jax.device_put(d["y"])
    state = {"params": (jax.device_put(d["w"]), jax.device_put(d["b"]))}

    def run():
        state["params"], aux = step(state["params"], X, y)
        return jax.block_until_ready(aux)
    return Impl(run, lambda: list(state["params"]))


def w5_numba(d):
    @njit()
    def step(X, y, w, b):
        p = 1 / (1 + np.exp(-np.dot(X, w) - b[0]))
        xent = -y * np.log(p) - (1 - y) * np.log(1 - p)
        dz = (p - y) / X.shape[0]
        w -= np.float32(0.1) * (np.dot(dz, X) + np.float32(0.02) * w)
        b[0] -= np.float32(0.1) * dz.sum()
        return p > 0.5, xent

    w, b = d["w"].copy(), d["b"].reshape(1).copy()
    return Impl(lambda: step(d["X"], d["y"], w, b), lambda: [w, b[0]])


W5 = Workload(
    "W5", "logistic regression step, 400x784 f32",
    w5_data, {"numpy": w5_numpy, **theano_style(w5_theano), "jax": w5_jax, "numba": w5_numba,
              "cupy": lambda d: cupy_step(w5_numpy, d)},
    lambda d: (4 * d["X"].size, "flop"))


# ---------------------------------------------------------------------------
# W6 MLP step: batch 256, 784-512-10, tanh hidden layer, log-softmax
# cross-entropy on one-hot targets, SGD lr 0.01
# ---------------------------------------------------------------------------

LR = 0.01


def w6_data(quick):
    r = rng()
    batch, n_in, n_hid, n_out = 256, 784, 512, 10

    def glorot(a, b):
        lim = math.sqrt(6 / (a + b))
        return r.uniform(-lim, lim, (a, b)).astype(F32)
    return {"X": r.standard_normal((batch, n_in)).astype(F32),
            "Y": np.eye(n_out, dtype=F32)[r.integers(0, n_out, batch)],
            "W1": glorot(n_in, n_hid), "b1": np.zeros(n_hid, F32),
            "W2": glorot(n_hid, n_out), "b2": np.zeros(n_out, F32)}


PARAMS = ("W1", "b1", "W2", "b2")


def w6_numpy(d, np=np):
    """The hand-derived step; `np` may be CuPy (the same code on the GPU)."""
    X, Y = np.asarray(d["X"]), np.asarray(d["Y"])
    params = [np.asarray(d[k]).copy() for k in PARAMS]
    W1, b1, W2, b2 = params

    def step():
        h = np.tanh(X @ W1 + b1)
        z = h @ W2 + b2
        zs = z - z.max(axis=1, keepdims=True)
        lsm = zs - np.log(np.exp(zs).sum(axis=1, keepdims=True))
        loss = -(lsm * Y).sum(axis=1).mean()
        dz = (np.exp(lsm) - Y) / X.shape[0]  # rows of Y sum to 1
        dh = (dz @ W2.T) * (1 - h * h)
        for p, g in zip(params, (X.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0))):
            p -= LR * g
        return loss
    return Impl(step, lambda: params)


def w6_theano(th, d):
    T = th.T
    x, y = T.fmatrix("x"), T.fmatrix("y")
    params = [th.shared(d[k].copy(), k) for k in PARAMS]
    W1, b1, W2, b2 = params
    h = T.tanh(T.dot(x, W1) + b1)
    lsm = th.log_softmax(T.dot(h, W2) + b2)
    loss = -(lsm * y).sum(axis=1).mean()
    grads = th.grad(loss, params)
    step = th.function([x, y], loss, updates=[(p, p - LR * g) for p, g in zip(params, grads)])
    return Impl(lambda: step(d["X"], d["Y"]), lambda: [p.get_value() for p in params])


def w6_jax(d):
    jax = jax_x64()
    import jax.numpy as jnp

    def loss(params, X, Y):
        W1, b1, W2, b2 = params
        h = jnp.tanh(X @ W1 + b1)
        lsm = jax.nn.log_softmax(h @ W2 + b2, axis=-1)
        return -(lsm * Y).sum(axis=1).mean()

    @jax.jit
    def step(params, X, Y):
        value, g = jax.value_and_grad(loss)(params, X, Y)
        return tuple(p - LR * gp for p, gp in zip(params, g)), value

    X, Y = jax.device_put(d["X"]), jax.device_put(d["Y"])
    state = {"params": tuple(jax.device_put(d[k]) for k in PARAMS)}

    def run():
        state["params"], value = step(state["params"], X, Y)
        return value.block_until_ready()
    return Impl(run, lambda: list(state["params"]))


def w6_numba(d):
    import numba

    @njit(parallel=True)
    def step(X, Y, W1, b1, W2, b2):
        lr = np.float32(LR)
        h = np.tanh(np.dot(X, W1) + b1)
        z = np.dot(h, W2) + b2
        dz = np.empty_like(z)
        losses = np.empty(z.shape[0], np.float32)
        for i in numba.prange(z.shape[0]):
            m = z[i].max()
            lse = m + np.log(np.exp(z[i] - m).sum())
            losses[i] = -((z[i] - lse) * Y[i]).sum()
            dz[i] = (np.exp(z[i] - lse) - Y[i]) / X.shape[0]
        dh = np.dot(dz, W2.T) * (1 - h * h)
        W2 -= lr * np.dot(h.T, dz)
        b2 -= lr * dz.sum(axis=0)
        W1 -= lr * np.dot(X.T, dh)
        b1 -= lr * dh.sum(axis=0)
        return losses.mean()

    params = [d[k].copy() for k in PARAMS]
    return Impl(lambda: step(d["X"], d["Y"], *params), lambda: params)


W6 = Workload(
    "W6", "MLP step, 256x784-512-10 f32",
    w6_data, {"numpy": w6_numpy, **theano_style(w6_theano), "jax": w6_jax, "numba": w6_numba,
              "cupy": lambda d: cupy_step(w6_numpy, d)},
    lambda d: (2 * d["X"].shape[0] * (2 * d["W1"].size + 3 * d["W2"].size), "flop"))


# ---------------------------------------------------------------------------
# W7 reductions on 8192x2048 f32
# ---------------------------------------------------------------------------


def w7(kind: str) -> Workload:
    exprs = {  # (numpy/jax/theano expression, description)
        "rowsq": (lambda m: (m * m).sum(axis=1), "row sum of squares"),
        "sumsq": (lambda m: (m * m).sum(), "sum of squares"),
        "sum": (lambda m: m.sum(), "sum"),
    }
    expr, desc = exprs[kind]

    def theano(th, d):
        m = th.T.fmatrix("m")
        f = th.function([m], expr(m))
        return Impl(lambda: f(d["m"]))

    def numba_(d):
        import numba

        if kind == "rowsq":
            @njit(parallel=True)
            def f(m):
                out = np.empty(m.shape[0], np.float32)
                for i in numba.prange(m.shape[0]):
                    acc = np.float32(0)
                    for j in range(m.shape[1]):
                        acc += m[i, j] * m[i, j]
                    out[i] = acc
                return out
        else:
            square = kind == "sumsq"

            @njit(parallel=True)
            def f(m):
                acc = np.float32(0)
                for i in numba.prange(m.shape[0]):
                    for j in range(m.shape[1]):
                        acc += m[i, j] * m[i, j] if square else m[i, j]
                return acc
        return Impl(lambda: f(d["m"]))

    return Workload(
        f"W7.{kind}", f"{desc}, 8192x2048 f32",
        lambda quick: {"m": rng().standard_normal((64, 256) if quick else (8192, 2048)).astype(F32)},
        {"numpy": lambda d: Impl(lambda: expr(d["m"])), **theano_style(theano),
         "jax": jax_jit(expr, "m"), "numba": numba_, "cupy": cupy_expr(lambda cp, m: expr(m), "m")},
        lambda d: (d["m"].nbytes, "B"))



# ---------------------------------------------------------------------------
# W9 RNN: 1000 steps of h = tanh(h W + x_t U), hidden 128, batch 32, f32;
# forward (the last h) and forward + gradient (BPTT) of sum_t sum(h_t)
# ---------------------------------------------------------------------------


def w9_data(quick):
    r = rng()
    steps, batch, hidden = (50 if quick else 1000), 32, 128
    scale = 1 / np.sqrt(hidden)
    return {"x": r.standard_normal((steps, batch, hidden)).astype(F32),
            "h0": np.zeros((batch, hidden), F32),
            "W": (scale * r.standard_normal((hidden, hidden))).astype(F32),
            "U": (scale * r.standard_normal((hidden, hidden))).astype(F32)}


def w9_numpy(grad: bool):
    def build(d):
        x, h0, W, U = d["x"], d["h0"], d["W"], d["U"]

        def forward():
            hs, h = [h0], h0
            for t in range(x.shape[0]):
                h = np.tanh(h @ W + x[t] @ U)
                hs.append(h)
            return hs

        def run():
            hs = forward()
            if not grad:
                return hs[-1]
            gW, gU, dh = np.zeros_like(W), np.zeros_like(U), np.zeros_like(h0)
            for t in range(x.shape[0] - 1, -1, -1):
                dz = (dh + 1) * (1 - hs[t + 1] ** 2)
                gW += hs[t].T @ dz
                gU += x[t].T @ dz
                dh = dz @ W.T
            return [np.float32(sum(h.sum(dtype=np.float64) for h in hs[1:])), gW, gU]
        return Impl(run)
    return build


def w9_theano(grad: bool):
    def graph(th, d):
        T = th.T
        x, h0, W, U = T.ftensor3("x"), T.fmatrix("h0"), T.fmatrix("W"), T.fmatrix("U")
        scan = _scan_of(th)
        hs, _ = scan(lambda x_t, h, W, U: T.tanh(T.dot(h, W) + T.dot(x_t, U)), sequences=x, outputs_info=h0,
                     non_sequences=[W, U])
        if grad:
            cost = hs.sum()
            f = th.function([x, h0, W, U], [cost, *th.grad(cost, [W, U])])
        else:
            f = th.function([x, h0, W, U], hs[-1])
        return Impl(lambda: f(d["x"], d["h0"], d["W"], d["U"]))
    return graph


def _scan_of(th):
    if th.function.__module__.startswith("mlc"):
        import mlc

        return mlc.scan
    import pytensor

    return pytensor.scan


def w9_jax(grad: bool):
    def build(d):
        jax = jax_x64()
        import jax.numpy as jnp

        def hs_of(x, h0, W, U):
            def step(h, x_t):
                h = jnp.tanh(h @ W + x_t @ U)
                return h, h
            return jax.lax.scan(step, h0, x)

        if grad:
            def cost(WU, x, h0):
                return hs_of(x, h0, *WU)[1].sum()

            vg = jax.jit(jax.value_and_grad(cost))
            f = lambda *a: (lambda c, g: [c, *g])(*vg((a[2], a[3]), a[0], a[1]))  # noqa: E731
        else:
            jf = jax.jit(lambda x, h0, W, U: hs_of(x, h0, W, U)[0])
            f = jf
        args = [jax.device_put(d[n]) for n in ("x", "h0", "W", "U")]
        return Impl(lambda: jax.block_until_ready(f(*args)))
    return build


W9_FWD = Workload(
    "W9.fwd", "RNN forward, 1000 steps h = tanh(hW + x_t U), batch 32, hidden 128, f32",
    w9_data, {"numpy": w9_numpy(False), **theano_style(w9_theano(False)), "jax": w9_jax(False)},
    lambda d: (4 * d["x"].size * d["W"].shape[0], "flop"))
W9_GRAD = Workload(
    "W9.grad", "RNN forward+grad (BPTT), 1000 steps, batch 32, hidden 128, f32",
    w9_data, {"numpy": w9_numpy(True), **theano_style(w9_theano(True)), "jax": w9_jax(True)},
    lambda d: (12 * d["x"].size * d["W"].shape[0], "flop"))


# ---------------------------------------------------------------------------
# W10 scan per-step overhead: 10000 steps of h = 0.5 h + x_t on one float32
# ---------------------------------------------------------------------------


def w10_numpy(d):
    x = d["x"]

    def run():
        out, h = np.empty_like(x), np.float32(0)
        for t in range(x.shape[0]):
            h = np.float32(0.5) * h + x[t]
            out[t] = h
        return out
    return Impl(run)


def w10_theano(th, d):
    T = th.T
    x = T.fvector("x")
    hs, _ = _scan_of(th)(lambda x_t, h: 0.5 * h + x_t, sequences=x, outputs_info=T.constant(np.float32(0)))
    f = th.function([x], hs)
    return Impl(lambda: f(d["x"]))


def w10_jax(d):
    jax = jax_x64()

    def run(x):
        def step(h, x_t):
            h = 0.5 * h + x_t
            return h, h
        return jax.lax.scan(step, jax.numpy.float32(0), x)[1]
    return jax_jit(run, "x")(d)


W10 = Workload(
    "W10", "scan per-step overhead: 10000 steps of h = 0.5 h + x_t, f32 scalar",
    lambda quick: {"x": vec(500 if quick else 10000)},
    {"numpy": w10_numpy, **theano_style(w10_theano), "jax": w10_jax},
    lambda d: (d["x"].size, "step"))

# ---------------------------------------------------------------------------
# W11 LeNet-5 training step (Theano's convolutional tutorial): batch 500 of
# 1x28x28 f32, conv 5x5 -> 20, 2x2 max pool, tanh; conv 5x5 -> 50, 2x2 max
# pool, tanh; 800 -> 500 tanh; 500 -> 10 log-softmax cross-entropy on
# one-hot targets; SGD lr 0.1. Theano's conv2d flips its filters (a true
# convolution): every implementation computes exactly that.
# ---------------------------------------------------------------------------

LENET = (20, 50, 500, 10)
LENET_PARAMS = ("W0", "b0", "W1", "b1", "W2", "b2", "W3", "b3")
LENET_LR = 0.1


def w11_data(quick):
    r = rng()
    batch = 32 if quick else 500
    k0, k1, hid, out = LENET

    def uni(shape, fan_in, fan_out):
        lim = math.sqrt(6 / (fan_in + fan_out))
        return r.uniform(-lim, lim, shape).astype(F32)
    return {"X": r.standard_normal((batch, 1, 28, 28)).astype(F32),
            "Y": np.eye(out, dtype=F32)[r.integers(0, out, batch)],
            "W0": uni((k0, 1, 5, 5), 25, k0 * 25 // 4), "b0": np.zeros(k0, F32),
            "W1": uni((k1, k0, 5, 5), k0 * 25, k1 * 25 // 4), "b1": np.zeros(k1, F32),
            "W2": uni((k1 * 16, hid), k1 * 16, hid), "b2": np.zeros(hid, F32),
            "W3": uni((hid, out), hid, out), "b3": np.zeros(out, F32)}


def _im2col(x, k):
    """(N, C, H, W) -> (N*OH*OW, C*k*k) patches of a valid k x k correlation."""
    n, c, h, w = x.shape
    v = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, OH, OW, k, k)
    return v.transpose(0, 2, 3, 1, 4, 5).reshape(n * (h - k + 1) * (w - k + 1), c * k * k)


def _col2im(cols, shape, k):
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    cols = cols.reshape(n, oh, ow, c, k, k)
    x = np.zeros(shape, cols.dtype)
    for a in range(k):
        for b in range(k):
            x[:, :, a:a + oh, b:b + ow] += cols[:, :, :, :, a, b].transpose(0, 3, 1, 2)
    return x


def w11_numpy(d):
    """The numpy im2col reference: forward and hand-derived backward."""
    X, Y = d["X"], d["Y"]
    params = [d[k].copy() for k in LENET_PARAMS]
    lr = F32(LENET_LR)

    def conv_pool(x, W, b):
        f = W.shape[0]
        wm = W[:, :, ::-1, ::-1].reshape(f, -1)  # flipped: a true convolution
        cols = _im2col(x, 5)
        n, _, h, w = x.shape
        z = (cols @ wm.T).reshape(n, h - 4, w - 4, f).transpose(0, 3, 1, 2)
        zr = z.reshape(n, f, (h - 4) // 2, 2, (w - 4) // 2, 2)
        p = zr.max(axis=(3, 5))
        a = np.tanh(p + b[None, :, None, None])
        return a, (x, cols, wm, zr, p, a)

    def conv_pool_back(da, saved, need_dx):
        x, cols, wm, zr, p, a = saved
        dp = da * (1 - a * a)
        db = dp.sum(axis=(0, 2, 3))
        mask = zr == p[:, :, :, None, :, None]
        dz = (mask * dp[:, :, :, None, :, None]).reshape(zr.shape[0], zr.shape[1], zr.shape[2] * 2, zr.shape[4] * 2)
        dzm = dz.transpose(0, 2, 3, 1).reshape(-1, zr.shape[1])
        dW = (dzm.T @ cols).reshape(zr.shape[1], x.shape[1], 5, 5)[:, :, ::-1, ::-1]
        dx = _col2im(dzm @ wm, x.shape, 5) if need_dx else None
        return dW, db, dx

    def step(X=X, Y=Y):
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        a0, s0 = conv_pool(X, W0, b0)
        a1, s1 = conv_pool(a0, W1, b1)
        f = a1.reshape(a1.shape[0], -1)
        h = np.tanh(f @ W2 + b2)
        z = h @ W3 + b3
        zs = z - z.max(axis=1, keepdims=True)
        lsm = zs - np.log(np.exp(zs).sum(axis=1, keepdims=True))
        loss = -(lsm * Y).sum(axis=1).mean()
        dz = (np.exp(lsm) - Y) / X.shape[0]
        dh = (dz @ W3.T) * (1 - h * h)
        df = (dh @ W2.T).reshape(a1.shape)
        dW1, db1, da0 = conv_pool_back(df, s1, True)
        dW0, db0, _ = conv_pool_back(da0, s0, False)
        grads = (dW0, db0, dW1, db1, f.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0))
        for p_, g in zip(params, grads):
            p_ -= lr * g
        return loss
    return Impl(step, lambda: params)  # step(X, Y): one step on another minibatch (bench/training.py)


def w11_mlc(d):
    import mlc
    import mlc.tensor as T
    from mlc.tensor.nnet import conv2d
    from mlc.tensor.signal.pool import pool_2d

    mlc.config.floatX = "float32"
    x, y = T.ftensor4("x"), T.fmatrix("y")
    params = [mlc.shared(d[k].copy(), k) for k in LENET_PARAMS]
    W0, b0, W1, b1, W2, b2, W3, b3 = params

    def layer(inp, W, b):
        return T.tanh(pool_2d(conv2d(inp, W), (2, 2), ignore_border=True) + b.dimshuffle("x", 0, "x", "x"))

    a1 = layer(layer(x, W0, b0), W1, b1)
    h = T.tanh(T.dot(a1.flatten(2), W2) + b2)
    lsm = T.nnet.log_softmax(T.dot(h, W3) + b3)
    loss = -(lsm * y).sum(axis=1).mean()
    grads = mlc.grad(loss, params)
    step = mlc.function([x, y], loss, updates=[(p, p - LENET_LR * g) for p, g in zip(params, grads)])
    return Impl(lambda: step(d["X"], d["Y"]), lambda: [p.get_value() for p in params])


def w11_jax(d):
    jax = jax_x64()
    import jax.numpy as jnp

    def layer(a, W, b):
        z = jax.lax.conv_general_dilated(a, W[:, :, ::-1, ::-1], (1, 1), "VALID")
        p = jax.lax.reduce_window(z, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        return jnp.tanh(p + b[None, :, None, None])

    def loss(params, X, Y):
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        a1 = layer(layer(X, W0, b0), W1, b1)
        h = jnp.tanh(a1.reshape(a1.shape[0], -1) @ W2 + b2)
        lsm = jax.nn.log_softmax(h @ W3 + b3, axis=-1)
        return -(lsm * Y).sum(axis=1).mean()

    @jax.jit
    def step(params, X, Y):
        value, g = jax.value_and_grad(loss)(params, X, Y)
        return tuple(p - LENET_LR * gp for p, gp in zip(params, g)), value

    X, Y = jax.device_put(d["X"]), jax.device_put(d["Y"])
    state = {"params": tuple(jax.device_put(d[k]) for k in LENET_PARAMS)}

    def run():
        state["params"], value = step(state["params"], X, Y)
        return value.block_until_ready()
    return Impl(run, lambda: list(state["params"]))


def w11_torch(d):
    import torch
    import torch.nn.functional as F

    X, Y = torch.from_numpy(d["X"]), torch.from_numpy(d["Y"])
    params = [torch.from_numpy(d[k].copy()).requires_grad_() for k in LENET_PARAMS]

    def layer(a, W, b):
        p = F.max_pool2d(F.conv2d(a, torch.flip(W, (2, 3))), 2)
        return torch.tanh(p + b[None, :, None, None])

    def run():
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        a1 = layer(layer(X, W0, b0), W1, b1)
        h = torch.tanh(a1.reshape(a1.shape[0], -1) @ W2 + b2)
        loss = -(torch.log_softmax(h @ W3 + b3, dim=-1) * Y).sum(dim=1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LENET_LR * p.grad
        return loss.detach().numpy()
    return Impl(run, lambda: [p.detach().numpy() for p in params])


def w11_flops(d):
    n = d["X"].shape[0]
    conv = 2 * n * (20 * 25 * 24 * 24 + 50 * 500 * 8 * 8)  # forward multiply-adds of both convolutions
    dense = 2 * n * (800 * 500 + 500 * 10)
    return (3 * (conv + dense), "flop")  # forward + two backward products each (roughly)


W11 = Workload(
    "W11", "LeNet-5 step, 500x1x28x28 f32",
    w11_data, {"numpy": w11_numpy, "mlc": w11_mlc, "jax": w11_jax, "torch": w11_torch}, w11_flops)


WORKLOADS = [W0, W1, W2, W3, w4("float32", False), w4("float64", False), w4("float32", True), W5, W6,
             w7("rowsq"), w7("sumsq"), w7("sum"), W9_FWD, W9_GRAD, W10, W11]
IMPLS = ("numpy", "mlc", "jax", "pytensor", "numba", "cupy", "torch")
