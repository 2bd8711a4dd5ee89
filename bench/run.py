"""mlc's benchmark harness (issue 7): mlc against numpy, JAX, PyTensor, Numba.

    make bench                          # all workloads, full sizes
    .venv/bin/python bench/run.py --quick --only W0,W1 --impls numpy,mlc

Workloads W0..W7, W9 and W11 (LeNet-5 training step) (bench/workloads.py) run in this process; every
implementation of a workload is timed round-robin in one loop (warm-up
and calibration first, medians over repeats), and reported as
t / t_numpy from the same run, with compile time and max error vs numpy.
W8 measures mlc's compile latency of W1, W5, W6 in fresh processes with
an empty cache_dir (cold) and then the same cache_dir (warm). W9.train
(bench/training.py) times Theano-style training epochs, quiet and beside
two busy processes; W10.compile (bench/compile_scaling.py) measures compile time
against graph size. The
machine's limits (bandwidth, numpy GEMM) are measured first. Prints
Markdown tables; writes JSON (--out, default bench/results.json).
JAX, PyTensor, Numba and PyTorch (W11) are optional (`pip install -e '.[bench]'`):
missing ones are reported as n/a, as is any implementation that fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import machine
import report
from timing import interleaved
from workloads import IMPLS, WORKLOADS

HERE = os.path.dirname(os.path.abspath(__file__))
W8_KEYS = ("W1", "W5", "W6")


def reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"n/a: {type(exc).__name__}: {text[0] if text else ''}"[:300]


def installed(lib: str) -> bool:
    return lib in ("numpy", "mlc") or importlib.util.find_spec(lib) is not None


def as_arrays(x) -> list[np.ndarray]:
    if isinstance(x, (list, tuple)):
        return [a for item in x for a in as_arrays(item)]
    if hasattr(x, "get") and not isinstance(x, np.ndarray):  # CuPy (and mlc's DeviceArray): to the host
        x = x.get()
    return [np.array(x, dtype=np.float64)]  # a copy: state arrays change on later calls


def max_err(got: list[np.ndarray], ref: list[np.ndarray]) -> tuple[float, str]:
    if len(got) != len(ref):
        return float("inf"), f"{len(got)} outputs, numpy has {len(ref)}"
    worst = 0.0
    for a, b in zip(got, ref):
        if a.shape != b.shape:
            return float("inf"), f"shape {a.shape}, numpy's {b.shape}"
        if a.size:
            scale = max(float(np.max(np.abs(b))), 1e-30)
            worst = max(worst, float(np.max(np.abs(a - b))) / scale)
            if np.isnan(a).any() and not np.isnan(b).any():
                return float("nan"), "NaN where numpy has none"
    return worst, ""


def bench_workload(w, impls: list[str], args) -> dict:
    data = w.data(args.quick)
    amount, unit = w.work(data)
    results: dict[str, dict] = {}
    runs, first, ref = {}, {}, None
    for name in impls:
        if name not in w.impls:
            continue
        if not installed(name):
            results[name] = {"status": "n/a: not installed"}
            continue
        try:
            start = time.perf_counter()
            impl = w.impls[name](data)
            got = as_arrays([impl.run(), impl.state()])
            first[name] = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - report the row, keep going
            results[name] = {"status": reason(exc)}
            continue
        runs[name] = impl.run
        if name == "numpy":
            ref = got
            results[name] = {"max_err": None, "err_note": ""}
        elif ref is None:
            results[name] = {"status": "n/a: numpy reference failed"}
            runs.pop(name)
        else:
            err, why = max_err(got, ref)
            results[name] = {"max_err": err, "err_note": why}
    if "numpy" not in runs:
        return {"key": w.key, "name": row_name(w, data, args.quick), "work": amount, "unit": unit, "results": results}
    times, errors, how = interleaved(runs, args.repeat, args.min_batch, args.budget, args.settle)
    for name, why in errors.items():
        results[name] = {"status": f"n/a: {why}"[:300]}
    t_np = times.get("numpy")
    for name, t in times.items():
        results[name].update(status="ok", time_s=t, ratio=t / t_np if t_np else None, **how[name],
                             compile_s=None if name == "numpy" else max(first[name] - t, 0.0))
    return {"key": w.key, "name": row_name(w, data, args.quick), "work": amount, "unit": unit,
            "results": {n: results[n] for n in impls if n in results}}


def row_name(w, data: dict, quick: bool) -> str:
    if not quick:
        return w.name
    big = max(data.values(), key=lambda a: a.size)
    return f"{w.name.split(',')[0]}, quick: {'x'.join(map(str, big.shape))}"


# ---------------------------------------------------------------------------
# W8: compile latency in fresh processes
# ---------------------------------------------------------------------------


def compile_child(key: str) -> None:
    """Run in a fresh process: import mlc, build W<key>'s mlc function, call it once; print JSON."""
    try:
        start = time.perf_counter()
        import mlc  # noqa: F401
        import_s = time.perf_counter() - start
        w = next(w for w in WORKLOADS if w.key == key)
        data = w.data(True)
        start = time.perf_counter()
        impl = w.impls["mlc"](data)
        compile_s = time.perf_counter() - start
        start = time.perf_counter()
        impl.run()
        first_call_s = time.perf_counter() - start
        print(json.dumps({"import_s": import_s, "compile_s": compile_s, "first_call_s": first_call_s}))
    except Exception as exc:  # noqa: BLE001
        print(json.dumps({"error": reason(exc)}))


def run_child(key: str, cache_dir: str) -> dict:
    env = dict(os.environ)
    env["MLC_FLAGS"] = ",".join(filter(None, [env.get("MLC_FLAGS", ""), f"cache_dir={cache_dir}"]))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.join(HERE, "run.py"), "--compile-child", key],
                          env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        out = {"error": f"n/a: child exited {proc.returncode}: {tail}"[:300]}
    out["process_s"] = wall
    return out


def compile_latency(repeat: int) -> list[dict]:
    rows = []
    for key in W8_KEYS:
        runs = {"cold": [], "warm": []}
        error = None
        for _ in range(repeat):
            cache_dir = tempfile.mkdtemp(prefix="mlc-bench-cache-")
            try:
                for kind in ("cold", "warm"):
                    r = run_child(key, cache_dir)
                    if "error" in r:
                        error = r["error"]
                    runs[kind].append(r)
            finally:
                shutil.rmtree(cache_dir, ignore_errors=True)
            if error:
                break
        if error:
            rows.append({"key": key, "error": error})
            continue
        med = {kind: {f: float(np.median([r[f] for r in rs])) for f in rs[0]} for kind, rs in runs.items()}
        rows.append({"key": key, **med, "runs": runs})
        print(f"  W8.{key}: cold {med['cold']['compile_s'] * 1e3:.0f} ms, warm {med['warm']['compile_s'] * 1e3:.0f} ms",
              file=sys.stderr)
    return rows


# ---------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="mlc benchmark harness (issue 7)")
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke test)")
    p.add_argument("--only", default="", help="comma-separated workloads or rows: W1,W4,W7.sum,W8")
    p.add_argument("--impls", default=",".join(IMPLS), help=f"comma-separated, from {','.join(IMPLS)}")
    p.add_argument("--out", default=os.path.join(HERE, "results.json"), help="JSON file to write")
    p.add_argument("--repeat", type=int, default=None, help="timed rounds per workload")
    p.add_argument("--settle", type=float, default=None,
                   help="idle seconds before each timed batch, so one library's spinning threads "
                        "do not slow the next (default 0.15; --quick: 0.01)")
    p.add_argument("--budget", type=float, default=None, help="seconds per workload, all implementations "
                   "(default 20; --quick: 2)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                   help="where mlc runs (cuda: inputs uploaded once, results left on the GPU, like JAX/CuPy)")
    p.add_argument("--compile-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    import workloads

    workloads.DEVICE["name"] = args.device
    if args.compile_child:
        compile_child(args.compile_child)
        return 0
    args.repeat = args.repeat or (5 if args.quick else 21)
    args.min_batch = 0.002 if args.quick else 0.02  # seconds per timed batch
    args.budget = args.budget or (2.0 if args.quick else 20.0)  # seconds per workload, all implementations
    if args.settle is None:  # idle seconds before each batch (see timing.py)
        args.settle = 0.01 if args.quick else 0.15
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    impls = ["numpy"] + [i for i in args.impls.split(",") if i and i != "numpy"]
    unknown = [i for i in impls if i not in IMPLS]
    if unknown:
        p.error(f"unknown implementations {unknown}; expected some of {IMPLS}")

    def selected(key: str) -> bool:
        return not only or any(key == s or key.split(".")[0] == s for s in only)

    print("measuring the machine's limits ...", file=sys.stderr)
    limits = machine.measure(args.quick)
    if args.device == "cuda":
        from mlc.runtime.cuda_driver import GPUUnavailable

        try:
            limits.update(machine.measure_gpu(args.quick))
        except GPUUnavailable as exc:
            print(f"--device cuda: {exc}", file=sys.stderr)
            return 2
    limits["load_before"] = os.getloadavg()[0]
    rows = []
    for w in WORKLOADS:
        if selected(w.key):
            print(f"{w.key}: {w.name} ...", file=sys.stderr)
            rows.append(bench_workload(w, impls, args))
    latency = []
    if selected("W8") and "mlc" in impls:
        print("W8: compile latency in fresh processes ...", file=sys.stderr)
        latency = compile_latency(1 if args.quick else 3)
    training = []
    if selected("W9.train") and "mlc" in impls:
        import training as training_loops

        print("W9: training loops, quiet and beside two busy processes ...", file=sys.stderr)
        loops = [m for name in impls for m in ([name, "numpy-1blas"] if name == "numpy" else [name])]
        training = training_loops.measure(args.quick, loops, log=lambda s: print(s, file=sys.stderr))
    scaling = []
    if selected("W10.compile") and "mlc" in impls:
        import compile_scaling

        print("W10: compile time vs graph size ...", file=sys.stderr)
        scaling = compile_scaling.measure(args.quick, log=lambda s: print(s, file=sys.stderr))
    limits["load_after"] = os.getloadavg()[0]
    print(machine.describe(limits))
    print()
    print(report.markdown(rows, impls, limits, latency))
    if training:
        print()
        print("\n".join(training_loops.markdown(training)))
    if scaling:
        print()
        print("\n".join(compile_scaling.markdown(scaling)))
    report.write_json(args.out, {"quick": args.quick, "impls": impls, "machine": limits,
                                 "workloads": rows, "compile_latency": latency, "training": training,
                                 "compile_scaling": scaling})
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
