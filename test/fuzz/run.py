"""Run the four fuzzers and print their figures.

    python test/fuzz/run.py --slice            # the fixed-seed slice CI runs (make test)
    python test/fuzz/run.py --minutes 30       # make fuzz MINUTES=30
    python test/fuzz/run.py --worker graphs --seed 7 --start 12 --count 1   # replay one case

Kinds of case (a worker process runs a chunk of cases of one kind, so a
crash kills only that worker: the case it was running counts as a crash
and the chunk goes on in a new worker):

* graphs: a batch of BATCH random graphs (`graphs.generate`) compiled as
  one function, each output compared with numpy (compile time grows with
  the graphs compiled, not with the functions: a batch costs about what
  its graphs would one by one, without each function's fixed costs);
* grads: random smooth graphs, `mlc.grad` against finite differences;
* mlir: `mlc-opt` on a mutated test/lit file (`mutate_mlir`);
* calls: a compiled function called with bad arguments (`bad_calls`).

A failing graph is minimized (`graphs.minimize`) and written as a
standalone reproducer under --out. Exit status 1 if anything failed.

Workers live long (CHUNK cases each: importing mlc and its dialects costs
as much as compiling a few batches) and, in a timed run, stop starting
cases at the deadline. The compile cache is off for generated graphs
(each is compiled once: disk writes would only cost) and the in-process
cache is kept small; only the bad-calls worker, which compiles the same
few functions in every worker, uses a disk cache shared by the run.
Figures count what was checked: "graphs tried" is the graphs whose
outputs were compared with numpy (or that raised or were found wrong),
not the graphs of a batch a crash interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BATCH = 32  # graphs per compiled function
KINDS = ("graphs", "grads", "mlir", "calls")
#: cases per worker process (a timed run's workers also stop at its deadline), and the share of its workers
CHUNK = {"graphs": 40, "grads": 60, "mlir": 600, "calls": 4000}
SHARE = {"graphs": 0.6, "grads": 0.2, "mlir": 0.12, "calls": 0.08}
#: the CI slice: cases of each kind (fixed seed)
SLICE = {"graphs": 2, "grads": 8, "mlir": 120, "calls": 1000}


# ---------------------------------------------------------------------------
# worker side
# ---------------------------------------------------------------------------


def _emit(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def worker(kind: str, seed: int, start: int, count: int, out: str, until: float | None = None) -> None:
    """Run cases [start, start + count), none started after `until` (time.time())."""
    import warnings

    warnings.simplefilter("ignore")
    import mlc
    from mlc.runtime import cache

    mlc.config.cache_dir = os.environ.get("MLC_FUZZ_CACHE", "") if kind == "calls" else ""
    cache.memory.capacity = 4  # a long-lived worker keeps only the last few modules
    tmp = tempfile.mkdtemp(prefix="mlc-fuzz-")
    for index in range(start, start + count):
        if until is not None and time.time() >= until:
            break
        _emit({"start": index})
        base = (seed * 1_000_003 + index) * 97 + KINDS.index(kind)
        if kind in ("graphs", "grads"):
            results = _graph_case(kind, seed, index, base, out)
        elif kind == "mlir":
            from mutate_mlir import case

            status, detail, data, args = case(base, tmp)
            if status != "ok":
                path = _save(out, f"mlir-{seed}-{index}.mlir", data)
                detail += f" [input: {path}; mlc-opt {' '.join(args)}]"
            results = [[status, detail]]
        else:
            from bad_calls import case as call_case

            results = [list(call_case(base))]
        _emit({"done": index, "results": results})


def _graph_case(kind: str, seed: int, index: int, base: int, out: str) -> list[list[str]]:
    from graphs import generate, minimize, run_grads, run_values

    grad = kind == "grads"
    graphs, results = [], []
    for j in range(1 if grad else BATCH):
        g, findings = generate(f"{kind}-{seed}-{index}-{j}", base * 31 + j, grad=grad)
        # a finding about the graph being built (not a graph of its own: not counted as one tried)
        results += [["rule-mismatch", f"{g.label}: {f}"] for f in findings]
        if g.steps:
            graphs.append(g)
    run = run_grads if grad else run_values
    for g, (status, detail) in zip(graphs, run(graphs)):
        if status != "ok":
            small = minimize(g, lambda c: run([c])[0][0] != "ok")
            path = _save(out, f"{g.label}.py", small.source(grad).encode())
            detail = f"{g.label} ({' '.join(small.rows())}): {detail} [reproducer: {path}]"
        results.append([status, detail])
    if not graphs:
        results.append(["empty", ""])
    return results


def _save(out: str, name: str, data: bytes) -> str:
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


# ---------------------------------------------------------------------------
# parent side
# ---------------------------------------------------------------------------


class Tally:
    def __init__(self):
        self.count = Counter()  # (kind, status) -> n
        self.failures: list[str] = []

    def add(self, kind: str, status: str, detail: str) -> None:
        self.count[kind, status] += 1
        if status not in ("ok", "empty"):
            self.failures.append(f"[{kind}] {status}: {detail}")

    def bad(self) -> int:
        return sum(n for (k, s), n in self.count.items() if s not in ("ok", "empty"))

    def report(self, elapsed: float) -> str:
        c = self.count

        def n(kind, *statuses):
            return sum(c[kind, s] for s in statuses)

        tried = {k: sum(v for (kk, s), v in c.items() if kk == k and s not in ("empty", "rule-mismatch"))
                 for k in KINDS}
        lines = [
            f"fuzz: {elapsed / 60:.1f} min",
            f"  graphs tried:        {tried['graphs']} (in batches of {BATCH} per compiled function; "
            f"{tried['graphs'] / max(elapsed / 60, 1e-9):.0f} per minute)",
            f"  gradient graphs:     {tried['grads']}",
            f"  mutated .mlir files: {tried['mlir']}",
            f"  bad calls:           {tried['calls']}",
            f"  crashes:             {sum(c[k, 'crash'] for k in KINDS)}",
            f"  hangs:               {sum(c[k, 'hang'] for k in KINDS)}",
            f"  mismatches:          {sum(n(k, 'mismatch', 'rule-mismatch') for k in KINDS)}",
            f"  internal errors:     {sum(n(k, 'error', 'internal') for k in KINDS)}",
        ]
        for f in self.failures[:50]:
            lines.append("  " + f)
        return "\n".join(lines)


#: a case giving no result within this many seconds is a hang: its worker is killed (a graphs case
#: whose batch fails compiles each graph alone and minimizes the culprit: minutes on a loaded machine)
CASE_TIMEOUT = {"graphs": 900, "grads": 300, "mlir": 60, "calls": 60}


def run_chunk(kind: str, seed: int, start: int, count: int, out: str, tally: Tally, env: dict,
              until: float | None = None) -> None:
    """Run cases [start, start + count) in workers, restarting after a crash or a hang;
    no case is started after `until` (time.time())."""
    import queue
    import threading

    while count > 0 and (until is None or time.time() < until):
        cmd = [sys.executable, str(HERE / "run.py"), "--worker", kind, "--seed", str(seed),
               "--start", str(start), "--count", str(count), "--out", out]
        if until is not None:
            cmd += ["--until", repr(until)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in p.stdout] + [lines.put(None)], daemon=True).start()
        err: list[str] = []
        threading.Thread(target=lambda: err.append(p.stderr.read()), daemon=True).start()
        current, finished, hung = None, start, False
        while True:
            try:
                line = lines.get(timeout=CASE_TIMEOUT[kind])
            except queue.Empty:
                hung = True
                p.kill()
                break
            if line is None:
                break
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "start" in msg:
                current = msg["start"]
            elif "done" in msg:
                for status, detail in msg["results"]:
                    tally.add(kind, status, detail)
                finished = msg["done"] + 1
                current = None
        p.wait()
        if p.returncode == 0 and current is None and not hung:
            return
        crashed = current if current is not None else finished
        replay = f"python test/fuzz/run.py --worker {kind} --seed {seed} --start {crashed} --count 1"
        what = f"hang (no result in {CASE_TIMEOUT[kind]} s)" if hung else f"exit status {p.returncode}"
        tally.add(kind, "hang" if hung else "crash", f"{what} in case {crashed} ({replay}): {''.join(err)[-300:]}")
        count -= crashed + 1 - start
        start = crashed + 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--slice", action="store_true", help="the fixed-seed CI slice")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2)))
    ap.add_argument("--only", default=",".join(KINDS))
    ap.add_argument("--out", default=str(Path.cwd() / "build" / "fuzz"))
    ap.add_argument("--worker", choices=KINDS)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--until", type=float, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.seed or 0, args.start, args.count, args.out, args.until)
        return 0
    kinds = [k for k in args.only.split(",") if k]
    seed = args.seed if args.seed is not None else (1 if args.slice else int(time.time()))
    # glibc's checking allocator in the workers: a write past a heap block aborts at the next malloc/free
    # of the case that made it (without it, corruption surfaced cases later, or never, and the crash
    # could not be pinned on a case); the perturb byte makes reads of freed or uninitialised memory show
    env = {**os.environ, "MLC_FUZZ_CACHE": tempfile.mkdtemp(prefix="mlc-fuzz-cache-"),
           "MALLOC_CHECK_": "3", "MALLOC_PERTURB_": "165"}
    tally = Tally()
    t0 = time.monotonic()
    if args.slice or args.minutes is None:
        for kind in kinds:
            run_chunk(kind, seed, 0, SLICE[kind], args.out, tally, env)
    else:
        _timed(kinds, seed, args, tally, env, time.time() + 60 * args.minutes)
    print(f"seed {seed}")
    print(tally.report(time.monotonic() - t0))
    return 1 if tally.bad() else 0


def _timed(kinds, seed, args, tally, env, deadline) -> None:
    """Keep `jobs` workers busy until the deadline (time.time()), kinds in proportion to SHARE."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    next_start = dict.fromkeys(kinds, 0)
    weights = {k: SHARE[k] for k in kinds}
    launched = Counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        running = set()
        while True:
            while len(running) < args.jobs and time.time() < deadline:
                kind = min(kinds, key=lambda k: launched[k] / weights[k])
                launched[kind] += 1
                start = next_start[kind]
                next_start[kind] += CHUNK[kind]
                running.add(pool.submit(run_chunk, kind, seed, start, CHUNK[kind], args.out, tally, env,
                                        deadline))
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            running = set(running)


if __name__ == "__main__":
    sys.exit(main())
