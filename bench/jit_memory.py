"""Resident memory over many distinct compiles (issue 16): is the JIT memory of evicted modules freed?

    .venv/bin/python bench/jit_memory.py                 # 1,000 compiles, fixed and pre-fix code
    .venv/bin/python bench/jit_memory.py --compiles 300 --only fixed

Each variant runs in a fresh process: `mlc.function` on N distinct graphs
(`(x * c_i + 1).sum()`, each called once and dropped) with the in-process
cache at capacity 8 and the disk cache off, so every graph is compiled and
all but 8 modules are evicted. It prints the resident set (VmRSS) after
100, 500 and 1,000 compiles and the growth per compile between them.
`prefix` is the code before the fix: `cpu.dispose_pass_manager` made a
no-op, so every compile's LLVM pass pipeline stays in memory as it did.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARKS = (100, 500, 1000)


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(compiles: int, variant: str) -> None:
    import numpy as np

    import mlc
    import mlc.tensor as T
    from mlc.runtime import cache, cpu

    mlc.config.cache_dir = ""
    cache.memory.capacity = 8
    if variant == "prefix":
        cpu.dispose_pass_manager = lambda pm: None
    x = T.dvector("x")
    a = np.arange(5.0)
    marks = [m for m in MARKS if m <= compiles] or [compiles]
    rows, t0 = [], time.perf_counter()
    for i in range(1, compiles + 1):
        f = mlc.function([x], (x * float(i) + 1.0).sum())
        assert abs(float(f(a)) - float((a * i + 1.0).sum())) < 1e-9
        del f
        if i in marks:
            gc.collect()
            rows.append({"compiles": i, "rss_mb": rss_kb() / 1024, "seconds": time.perf_counter() - t0})
    print(json.dumps(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compiles", type=int, default=1000)
    ap.add_argument("--only", choices=("fixed", "prefix"))
    ap.add_argument("--child", choices=("fixed", "prefix"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.compiles, args.child)
        return
    variants = [args.only] if args.only else ["prefix", "fixed"]
    print(f"{args.compiles} distinct compiles, in-process cache capacity 8, disk cache off\n")
    print("| code | " + " | ".join(f"RSS after {m}" for m in MARKS if m <= args.compiles)
          + " | growth per compile | time |")
    print("|---|" + "---|" * (len([m for m in MARKS if m <= args.compiles]) + 2))
    for variant in variants:
        out = subprocess.run([sys.executable, __file__, "--child", variant, "--compiles", str(args.compiles)],
                             capture_output=True, text=True, check=True)
        rows = json.loads(out.stdout.strip().splitlines()[-1])
        first, last = rows[0], rows[-1]
        span = last["compiles"] - first["compiles"]
        growth = (last["rss_mb"] - first["rss_mb"]) * 1024 / span if span else float("nan")
        cells = " | ".join(f"{r['rss_mb']:.1f} MB" for r in rows)
        print(f"| {variant} | {cells} | {growth:.1f} KB ({first['compiles']}->{last['compiles']}) "
              f"| {last['seconds']:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
