"""W10.compile: compile time against graph size (issue 15): seconds per 1,000 ops.

Each graph is built, then compiled with `mlc.function` into an empty
cache_dir in this process (imports already warm), so the time is the
pipeline's: emission, the passes, LLVM. Graph families:

- chain: z -> tanh(z*c) + exp(-z)*0.01 repeated (elementwise ops only);
- chain-grad: the chain's sum and its gradient (the DAG that made
  fuse-elementwise exponential);
- mlp: an L-layer tanh MLP's cross-entropy training step (grad and SGD
  updates of every weight), L from 2 to 64;
- scan: a scan whose step is a long elementwise chain, with its gradient.

Size is the number of Apply nodes of the prepared graph (what the user
built: gradients included, before any rewrite). Reported: ops, wall and
CPU seconds of `function()`, and seconds per 1,000 ops (CPU: on a
loaded machine wall time includes waiting for a core).
"""

from __future__ import annotations

import tempfile
import time

import numpy as np

#: per family: the size parameter giving about 100, 1,000 and 10,000 ops (quick: the first)
SIZES = {
    "chain": (12, 125, 1250),
    "chain-grad": (5, 52, 520),
    "mlp": (2, 16, 64),
    "scan": (3, 30, 300),
}


def chain(n: int, grad: bool):
    import mlc
    import mlc.tensor as T

    x, c = T.dvector("x"), T.dscalar("c")
    z = x
    for _ in range(n):
        z = T.tanh(z * c) + T.exp(-z) * 0.01
    outs = [z.sum(), mlc.grad(z.sum(), x)] if grad else [z]
    return [x, c], outs, None


def mlp(layers: int):
    import mlc
    import mlc.tensor as T

    rng = np.random.default_rng(0)
    x, y = T.fmatrix("x"), T.ivector("y")
    h, params = x, []
    for i in range(layers):
        n_out = 10 if i == layers - 1 else 32
        n_in = 16 if i == 0 else 32
        W = mlc.shared(rng.normal(0, 0.1, (n_in, n_out)).astype("float32"), f"W{i}")
        b = mlc.shared(np.zeros(n_out, "float32"), f"b{i}")
        params += [W, b]
        a = T.dot(h, W) + b
        h = T.nnet.softmax(a) if i == layers - 1 else T.tanh(a)
    cost = -T.mean(T.log(h)[T.arange(y.shape[0]), y])
    grads = mlc.grad(cost, params)
    return [x, y], [cost], [(p, p - np.float32(0.01) * g) for p, g in zip(params, grads)]


def scan(n: int):
    import mlc
    import mlc.tensor as T

    x0, c = T.dvector("x0"), T.dscalar("c")

    def step(z, c):
        for _ in range(n):
            z = T.tanh(z * c) + T.exp(-z) * 0.01
        return z

    zs, _ = mlc.scan(step, outputs_info=[x0], non_sequences=[c], n_steps=20)
    cost = zs[-1].sum()
    return [x0, c], [cost, mlc.grad(cost, x0)], None


def build(family: str, size: int):
    if family == "chain":
        return chain(size, False)
    if family == "chain-grad":
        return chain(size, True)
    if family == "mlp":
        return mlp(size)
    return scan(size)


def count_ops(f) -> int:
    """Apply nodes of the prepared graph, scan bodies included."""
    total = 0
    for node in f.fgraph.nodes:
        total += 1
        inner = getattr(node.op, "fgraph", None) or getattr(node.op, "inner_fgraph", None)
        if inner is not None and hasattr(inner, "nodes"):
            total += len(inner.nodes)
    return total


def measure(quick: bool, families=None, log=None) -> list[dict]:
    import mlc

    rows = []
    old = mlc.config.cache_dir
    try:
        mlc.config.cache_dir = tempfile.mkdtemp(prefix="mlc-w10-")
        ins, outs, upd = chain(2, True)
        mlc.function(ins, outs)  # imports and one-time setup out of the way
        for family, sizes in SIZES.items():
            if families and family not in families:
                continue
            for size in sizes[:1] if quick else sizes:
                ins, outs, upd = build(family, size)
                mlc.config.cache_dir = tempfile.mkdtemp(prefix="mlc-w10-")
                w0, c0 = time.perf_counter(), time.process_time()
                try:
                    f = mlc.function(ins, outs, updates=upd, profile=True)
                except Exception as exc:  # noqa: BLE001 - report the row, keep going
                    rows.append({"family": family, "size": size, "error": f"{type(exc).__name__}: {exc}"[:300]})
                    continue
                wall, cpu = time.perf_counter() - w0, time.process_time() - c0
                ops = count_ops(f)
                stages = {name: t for name, (t, _) in f.profile.pass_time.items()}
                top = sorted(stages.items(), key=lambda kv: -kv[1])[:3]
                row = {"family": family, "size": size, "ops": ops, "wall_s": wall, "cpu_s": cpu,
                       "cpu_s_per_kop": cpu / ops * 1e3, "wall_s_per_kop": wall / ops * 1e3,
                       "top_stages": [[k, v] for k, v in top]}
                rows.append(row)
                if log:
                    log(f"  W10 {family}({size}): {ops} ops, {cpu:.2f} s cpu, {wall:.2f} s wall")
    finally:
        mlc.config.cache_dir = old
    return rows


def markdown(rows: list[dict]) -> list[str]:
    out = ["W10.compile: mlc compile time vs graph size (one process, empty cache; "
           "ops: Apply nodes of the prepared graph)",
           "",
           "| family | size | ops | cpu s | wall s | cpu s / 1,000 ops | slowest stages (wall s) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['family']} | {r['size']} | | | | | n/a: {r['error']} |")
            continue
        top = ", ".join(f"{k} {v:.2f}" for k, v in r["top_stages"])
        out.append(f"| {r['family']} | {r['size']} | {r['ops']} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | "
                   f"{r['cpu_s_per_kop']:.2f} | {top} |")
    return out
