"""W9.train: Theano-style training loops (issue 15): one call per minibatch, the
minibatch taken by `givens={x: data[i*bs:(i+1)*bs]}` from shared data.

- logreg: logistic regression 784 -> 10, SGD, batch 600 (the Theano
  tutorial's `sgd_optimization_mnist`);
- mlp: 784 -> 500 (tanh) -> 10 softmax, batch 20, L2 0.0001 (the tutorial MLP);
- lenet: the tutorial's LeNet-5 (conv 5x5 -> 20, 2x2 max pool, tanh; conv 5x5
  -> 50, pool, tanh; 800 -> 500 tanh; 500 -> 10 softmax), batch 500, SGD
  0.1, the W11 step (bench/workloads.py) in an epoch loop.

Data are synthetic, MNIST-shaped (float32 pixels in [0, 1), int32 labels).
Whole-epoch time for: a numpy loop (gradient by hand), mlc (the Theano
program), JAX (a jitted step in a Python loop, indexing device arrays),
PyTensor (the same Theano program) where installed. Each epoch is run
again beside two busy processes (pure-Python spin loops, one per core on a
2-core machine), reported as the slowdown of each implementation.

`numpy-1blas` is the numpy loop with numpy's OpenBLAS held to one thread
during its epochs: OpenBLAS threads a GEMM above m*n*k = 2^18 with a static
partition and spinning threads, which on a loaded machine (other
processes, not only the two busy ones) made numpy's own epoch 5-20x slower
than this single-threaded loop and its "quiet" time, the slowdown's
denominator, swing by 2-3x between runs. mlc runs such GEMMs as blocks on
its own pool (`mlc.runtime.blas_symbols`).
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import time

import numpy as np

F32 = np.float32


def dataset(n: int, seed: int = 0, image: bool = False):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=F32)
    y = rng.integers(0, 10, n).astype(np.int32)
    return (x.reshape(n, 1, 28, 28) if image else x), y


def init(kind: str):
    rng = np.random.default_rng(1)
    if kind == "lenet":
        from workloads import LENET_PARAMS, w11_data

        d = w11_data(True)
        return [d[k] for k in LENET_PARAMS]
    if kind == "logreg":
        return [np.zeros((784, 10), F32), np.zeros(10, F32)]
    bound = np.sqrt(6.0 / (784 + 500))
    return [rng.uniform(-bound, bound, (784, 500)).astype(F32), np.zeros(500, F32),
            np.zeros((500, 10), F32), np.zeros(10, F32)]


SETTINGS = {"logreg": (600, F32(0.13), F32(0.0)), "mlp": (20, F32(0.01), F32(0.0001)),
            "lenet": (500, F32(0.1), F32(0.0))}


# --------------------------------------------------------------------------- numpy


def numpy_epoch(kind, x, y):
    bs, lr, l2 = SETTINGS[kind]
    params = init(kind)
    if kind == "lenet":
        from workloads import LENET_PARAMS, w11_numpy

        step = w11_numpy(dict(zip(LENET_PARAMS, params), X=x[:bs], Y=np.eye(10, dtype=F32)[y[:bs]])).run
        onehot = np.eye(10, dtype=F32)

        def lenet_epoch():
            cost = 0.0
            for i in range(len(x) // bs):
                cost = step(x[i * bs:(i + 1) * bs], onehot[y[i * bs:(i + 1) * bs]])
            return float(cost)
        return lenet_epoch

    def softmax_grad(a, yb):
        a = a - a.max(axis=1, keepdims=True)
        e = np.exp(a)
        p = e / e.sum(axis=1, keepdims=True)
        cost = -np.mean(np.log(p[np.arange(len(yb)), yb]))
        p[np.arange(len(yb)), yb] -= 1
        return cost, p / F32(len(yb))

    def epoch():
        cost = 0.0
        for i in range(len(x) // bs):
            xb, yb = x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]
            if kind == "logreg":
                W, b = params
                cost, d = softmax_grad(xb @ W + b, yb)
                W -= lr * (xb.T @ d)
                b -= lr * d.sum(axis=0)
            else:
                W1, b1, W2, b2 = params
                h = np.tanh(xb @ W1 + b1)
                cost, d = softmax_grad(h @ W2 + b2, yb)
                dh = (d @ W2.T) * (1 - h * h)
                W2 -= lr * (h.T @ d + 2 * l2 * W2)
                b2 -= lr * d.sum(axis=0)
                W1 -= lr * (xb.T @ dh + 2 * l2 * W1)
                b1 -= lr * dh.sum(axis=0)
        return cost

    return epoch


# --------------------------------------------------------------------------- Theano-style


def one_blas_thread(epoch):
    """`epoch` with numpy's OpenBLAS held to one thread while it runs (None without numpy's OpenBLAS)."""
    import ctypes

    from mlc.runtime.blas_symbols import numpy_openblas_path

    path = numpy_openblas_path()
    if path is None:
        return None
    lib = ctypes.CDLL(path)
    get, put = lib.scipy_openblas_get_num_threads64_, lib.scipy_openblas_set_num_threads64_

    def run():
        before = get()
        put(1)
        try:
            return epoch()
        finally:
            put(before)

    return run


def theano_epoch(lib, kind, x, y):
    if lib == "mlc":
        import mlc as th
        import mlc.tensor as T
    else:
        import pytensor as th
        import pytensor.tensor as T
    bs, lr, l2 = SETTINGS[kind]
    X, Y = th.shared(x, "X"), th.shared(y, "Y")
    params = [th.shared(p, f"p{k}") for k, p in enumerate(init(kind))]
    index = T.lscalar("index")
    xs, ys = T.matrix("x", dtype="float32"), T.ivector("y")
    if kind == "lenet":
        xs = T.tensor4("x", dtype="float32")
        if lib == "mlc":
            from mlc.tensor.nnet import conv2d
            from mlc.tensor.signal.pool import pool_2d
        else:
            from pytensor.tensor.conv import conv2d
            from pytensor.tensor.signal.pool import pool_2d  # absent from recent PyTensor: the row says so

        def layer(inp, W, b):
            return T.tanh(pool_2d(conv2d(inp, W), (2, 2), ignore_border=True) + b.dimshuffle("x", 0, "x", "x"))

        W0, b0, W1, b1, W2, b2, W3, b3 = params
        h = T.tanh(T.dot(layer(layer(xs, W0, b0), W1, b1).flatten(2), W2) + b2)
        a = T.dot(h, W3) + b3
        p = T.nnet.softmax(a) if lib == "mlc" else T.special.softmax(a, axis=1)
        reg = 0
    elif kind == "logreg":
        W, b = params
        p = T.nnet.softmax(T.dot(xs, W) + b) if lib == "mlc" else T.special.softmax(T.dot(xs, W) + b, axis=1)
        reg = 0
    else:
        W1, b1, W2, b2 = params
        h = T.tanh(T.dot(xs, W1) + b1)
        a = T.dot(h, W2) + b2
        p = T.nnet.softmax(a) if lib == "mlc" else T.special.softmax(a, axis=1)
        reg = l2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    nll = -T.mean(T.log(p)[T.arange(ys.shape[0]), ys])
    cost = nll + reg
    grads = th.grad(cost, params)
    step = th.function([index], nll, updates=[(q, q - lr * g) for q, g in zip(params, grads)],
                       givens={xs: X[index * bs:(index + 1) * bs], ys: Y[index * bs:(index + 1) * bs]})
    n = len(x) // bs

    def epoch():
        cost = 0.0
        for i in range(n):
            cost = step(i)
        return float(cost)

    return epoch


# --------------------------------------------------------------------------- JAX


def jax_epoch(kind, x, y):
    import jax
    import jax.numpy as jnp

    bs, lr, l2 = SETTINGS[kind]
    X, Y = jnp.asarray(x), jnp.asarray(y)
    params = [jnp.asarray(p) for p in init(kind)]

    def layer(a, W, b):
        z = jax.lax.conv_general_dilated(a, W[:, :, ::-1, ::-1], (1, 1), "VALID")
        p = jax.lax.reduce_window(z, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
        return jnp.tanh(p + b[None, :, None, None])

    def loss(ps, xb, yb):
        if kind == "lenet":
            W0, b0, W1, b1, W2, b2, W3, b3 = ps
            a1 = layer(layer(xb, W0, b0), W1, b1)
            a, reg = jnp.tanh(a1.reshape(a1.shape[0], -1) @ W2 + b2) @ W3 + b3, 0.0
        elif kind == "logreg":
            W, b = ps
            a, reg = xb @ W + b, 0.0
        else:
            W1, b1, W2, b2 = ps
            a = jnp.tanh(xb @ W1 + b1) @ W2 + b2
            reg = l2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
        logp = jax.nn.log_softmax(a)
        nll = -jnp.mean(logp[jnp.arange(bs), yb])
        return nll + reg, nll

    @jax.jit
    def step(ps, i):
        xb = jax.lax.dynamic_slice_in_dim(X, i * bs, bs)
        yb = jax.lax.dynamic_slice_in_dim(Y, i * bs, bs)
        (_, nll), gs = jax.value_and_grad(loss, has_aux=True)(ps, xb, yb)
        return [p - lr * g for p, g in zip(ps, gs)], nll

    n = len(x) // bs
    state = {"ps": params}

    def epoch():
        ps, nll = state["ps"], None
        for i in range(n):
            ps, nll = step(ps, i)
        state["ps"] = ps
        return float(nll)

    return epoch


# --------------------------------------------------------------------------- harness


def _spin(stop):
    while not stop.is_set():
        sum(range(1000))


def _median_epoch(epoch, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def measure(quick: bool, impls: list[str], log=None, kinds=("logreg", "mlp", "lenet")) -> list[dict]:
    repeat = 2 if quick else 3
    rows = []
    for kind in kinds:
        # LeNet: 4 (quick: 2) batches of 500 per epoch, the others 12,000 (quick: 2,400) samples
        n = (1000 if quick else 2000) if kind == "lenet" else (2400 if quick else 12000)
        x, y = dataset(n, image=kind == "lenet")
        epochs = {}
        for name in impls:
            try:
                if name == "numpy":
                    epochs[name] = numpy_epoch(kind, x, y)
                elif name == "numpy-1blas":
                    single = one_blas_thread(numpy_epoch(kind, x, y))
                    if single is None:
                        continue
                    epochs[name] = single
                elif name in ("mlc", "pytensor"):
                    if importlib.util.find_spec(name) is None:
                        continue
                    epochs[name] = theano_epoch(name, kind, x, y)
                elif name == "jax":
                    if importlib.util.find_spec("jax") is None:
                        continue
                    epochs[name] = jax_epoch(kind, x, y)
                else:
                    continue
                # compile and warm up: at least 10 calls (mlc compiles per-call helpers, the native
                # entry and bounds checks, after 8 calls: not inside a timed epoch)
                for _ in range(-(-10 // (n // SETTINGS[kind][0]))):
                    epochs[name]()
            except Exception as exc:  # noqa: BLE001 - report the row, keep going
                rows.append({"kind": kind, "impl": name, "error": f"{type(exc).__name__}: {exc}"[:200]})
                epochs.pop(name, None)
        quiet = {name: _median_epoch(e, repeat) for name, e in epochs.items()}
        stop = multiprocessing.Event()
        busy = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(2)]
        for p in busy:
            p.start()
        try:
            time.sleep(0.2)
            loaded = {name: _median_epoch(e, repeat) for name, e in epochs.items()}
        finally:
            stop.set()
            for p in busy:
                p.join(5)
        for name in epochs:
            rows.append({"kind": kind, "impl": name, "batches": n // SETTINGS[kind][0], "epoch_s": quiet[name],
                         "ratio": quiet[name] / quiet["numpy"], "busy_epoch_s": loaded[name],
                         "slowdown": loaded[name] / quiet[name]})
            if log:
                log(f"  W9 {kind} {name}: {quiet[name] * 1e3:.0f} ms/epoch, busy {loaded[name] * 1e3:.0f} ms")
    return rows


def markdown(rows: list[dict]) -> list[str]:
    out = ["W9.train: training loops, one call per minibatch (givens index into shared data): "
           "whole-epoch time; 'busy': beside two busy processes",
           "",
           "| loop | impl | batches | epoch ms | vs numpy | busy epoch ms | slowdown when busy |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['kind']} | {r['impl']} | | n/a: {r['error']} | | | |")
            continue
        out.append(f"| {r['kind']} | {r['impl']} | {r['batches']} | {r['epoch_s'] * 1e3:.1f} | {r['ratio']:.2f} | "
                   f"{r['busy_epoch_s'] * 1e3:.1f} | {r['slowdown']:.2f}x |")
    return out


if __name__ == "__main__":
    import sys

    quick = "--quick" in sys.argv
    rows = measure(quick, ["numpy", "numpy-1blas", "mlc", "jax", "pytensor"], log=lambda s: print(s, file=sys.stderr))
    print("\n".join(markdown(rows)))
