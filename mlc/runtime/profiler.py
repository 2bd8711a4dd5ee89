"""Kernel timers for profiled code (`function(..., profile=True)`).

The `profile-kernels` pass brackets each kernel of a profiled function (a
loop nest, a BLAS call) with `mlc_prof_enter(k)` / `mlc_prof_exit(k)`; code
compiled without profiling has no such calls. Both are defined here in LLVM
IR: enter stores `clock_gettime(CLOCK_MONOTONIC)` for timer k, exit adds the
elapsed nanoseconds to `total[k]` and counts the run in `runs[k]`. The
caller reads and clears the first n timers around each call of a profiled
function (`take(n)`), so timers are per call, not per process; kernels of
one call run one after the other in the calling thread. The timers are
global to the process, so a profiled call holds `timers()` from `clear` to
`take`: profiled calls from several threads run one at a time (their
timings stay apart; code compiled without profiling never waits).
"""

from __future__ import annotations

import threading

import numpy as np

#: timers available to one compiled function (kernels beyond it are not timed)
CAPACITY = 1 << 14

_IR = f"""
@mlc_prof.start = internal global [{CAPACITY} x i64] zeroinitializer, align 64
@mlc_prof.total = global [{CAPACITY} x i64] zeroinitializer, align 64
@mlc_prof.runs = global [{CAPACITY} x i64] zeroinitializer, align 64

declare i32 @clock_gettime(i32, ptr)

define internal i64 @mlc_prof.now() {{
  %ts = alloca [2 x i64], align 8
  %r = call i32 @clock_gettime(i32 1, ptr %ts)
  %s = load i64, ptr %ts, align 8
  %nsp = getelementptr [2 x i64], ptr %ts, i64 0, i64 1
  %ns = load i64, ptr %nsp, align 8
  %sns = mul i64 %s, 1000000000
  %t = add i64 %sns, %ns
  ret i64 %t
}}

define void @mlc_prof_enter(i64 %k) {{
  %t = call i64 @mlc_prof.now()
  %p = getelementptr [{CAPACITY} x i64], ptr @mlc_prof.start, i64 0, i64 %k
  store i64 %t, ptr %p, align 8
  ret void
}}

define void @mlc_prof_exit(i64 %k) {{
  %t = call i64 @mlc_prof.now()
  %sp = getelementptr [{CAPACITY} x i64], ptr @mlc_prof.start, i64 0, i64 %k
  %s = load i64, ptr %sp, align 8
  %d = sub i64 %t, %s
  %tp = getelementptr [{CAPACITY} x i64], ptr @mlc_prof.total, i64 0, i64 %k
  %tot = load i64, ptr %tp, align 8
  %tot2 = add i64 %tot, %d
  store i64 %tot2, ptr %tp, align 8
  %rp = getelementptr [{CAPACITY} x i64], ptr @mlc_prof.runs, i64 0, i64 %k
  %n = load i64, ptr %rp, align 8
  %n2 = add i64 %n, 1
  store i64 %n2, ptr %rp, align 8
  ret void
}}
"""

_module = None
_loading = False  # compiling the timers mentions their own symbols: registering them then is a no-op
_total: np.ndarray | None = None
_runs: np.ndarray | None = None
_lock = threading.Lock()
#: held by a profiled call from clearing its timers to taking them (reentrant: a host op of a
#: profiled program may call another profiled function, whose timers come after the caller's)
_timers_lock = threading.RLock()


def timers() -> threading.RLock:
    """The lock a profiled call holds around `clear` ... run ... `take` (see the module docstring)."""
    return _timers_lock


def register_profiler_symbols() -> None:
    """Compile (or load from the cache) the timers and make their symbols resolvable (idempotent)."""
    global _module, _total, _runs, _loading
    if _module is not None or _loading:
        return
    with _lock:
        if _module is not None or _loading:
            return
        _loading = True
        try:
            _load()
        finally:
            _loading = False


def _load() -> None:
    global _module, _total, _runs
    import ctypes

    import llvmlite.binding as llvm

    from mlc.runtime.cpu import compile_module

    module = compile_module(_IR, [])
    engine = module.engine
    for name in ("mlc_prof_enter", "mlc_prof_exit"):
        llvm.add_symbol(name, engine.get_function_address(name))
    arrays = []
    for name in ("mlc_prof.total", "mlc_prof.runs"):
        address = engine.get_global_value_address(name)
        arrays.append(np.ctypeslib.as_array((ctypes.c_int64 * CAPACITY).from_address(address)))
    _total, _runs = arrays
    _module = module


def take(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and runs of timers 0..n-1 since the last take; clears them."""
    register_profiler_symbols()
    n = min(n, CAPACITY)
    seconds = _total[:n] * 1e-9
    runs = _runs[:n].copy()
    _total[:n] = 0
    _runs[:n] = 0
    return seconds, runs


def clear(n: int) -> None:
    """Reset timers 0..n-1 (before a profiled call)."""
    register_profiler_symbols()
    _total[:min(n, CAPACITY)] = 0
    _runs[:min(n, CAPACITY)] = 0
