"""The CPU thread pool behind parallel loops: native, small, sleeping when idle.

Compiled code calls (see `parallelize-loops` and `convert-to-llvm`)

    i64 mlc_parallel_for(ptr task, ptr args, i64 lo, i64 hi, i64 cost)
    i64 mlc_parallel_max_chunks()

`mlc_parallel_for` runs `task(args, begin, end, chunk)` over a static
partition of [lo, hi) into n chunks of consecutive iterations - chunk c is
[lo + (hi-lo)*c/n, lo + (hi-lo)*(c+1)/n) - and returns n. The calling
thread runs chunk 0, pool threads 1..n-1; it returns when all are done.

* n = min(threads, (hi - lo) / max(1, GRAIN / cost)): below GRAIN units of
  work per chunk (`cost` = estimated units per iteration, one unit ~ one
  add) a chunk is not worth waking a thread (~5-20 us), so small calls run
  inline in the caller as one chunk, at the cost of one indirect call.
* The partition depends only on (hi - lo, cost, threads): a reduction
  (per-chunk partials combined in chunk order) gives the same bits for
  the same inputs and thread count.
* Threads are created on first need (pthread_create, from native code),
  at most `threads - 1` of them, and wait in `pthread_cond_wait` when
  idle: no spinning, no CPU use between calls. They run only compiled
  code (never Python) and need no GIL; the caller may hold it or not.
* One parallel region runs at a time (a second caller waits on a mutex);
  regions never nest, because a task is a loop nest without calls.
* After `fork()` the child starts with a fresh pool (its parent's threads
  do not exist there).

The thread count is `MLC_NUM_THREADS` if set, else the CPUs this process
may run on (`os.sched_getaffinity`), at most `MAX_THREADS`;
`set_num_threads(n)` changes it (1 runs everything inline).

The pool is written in LLVM IR below (about 150 lines) and compiled once
per process through the same cache as all compiled code.
"""

from __future__ import annotations

import os
import threading
from typing import Any

MAX_THREADS = 256
#: work units (~ adds) below which a chunk is not worth a thread
GRAIN = 1 << 15
#: bytes reserved for each pthread object (glibc: mutex 40, cond 48; macOS: mutex 64)
_SYNC_BYTES = 128

_IR = f"""
@mlc_pool.mutex = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.work = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.done = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.region = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.handles = internal global [{MAX_THREADS} x i64] zeroinitializer, align 64
@mlc_pool.size = internal global i64 1        ; threads a region may use, the caller included
@mlc_pool.started = internal global i64 1     ; threads running, the caller included
@mlc_pool.generation = internal global i64 0  ; bumped for each region
@mlc_pool.task = internal global ptr null
@mlc_pool.args = internal global ptr null
@mlc_pool.lo = internal global i64 0
@mlc_pool.hi = internal global i64 0
@mlc_pool.chunks = internal global i64 0
@mlc_pool.pending = internal global i64 0     ; chunks 1..n-1 not finished yet

declare i32 @pthread_mutex_init(ptr, ptr)
declare i32 @pthread_cond_init(ptr, ptr)
declare i32 @pthread_mutex_lock(ptr)
declare i32 @pthread_mutex_unlock(ptr)
declare i32 @pthread_cond_wait(ptr, ptr)
declare i32 @pthread_cond_broadcast(ptr)
declare i32 @pthread_cond_signal(ptr)
declare i32 @pthread_create(ptr, ptr, ptr, ptr)

; (Re)initialize: at load, and in a forked child. No thread runs the pool then.
define void @mlc_pool_init(i64 %size) {{
  %1 = call i32 @pthread_mutex_init(ptr @mlc_pool.mutex, ptr null)
  %2 = call i32 @pthread_mutex_init(ptr @mlc_pool.region, ptr null)
  %3 = call i32 @pthread_cond_init(ptr @mlc_pool.work, ptr null)
  %4 = call i32 @pthread_cond_init(ptr @mlc_pool.done, ptr null)
  store i64 %size, ptr @mlc_pool.size
  store i64 1, ptr @mlc_pool.started
  store i64 0, ptr @mlc_pool.generation
  store i64 0, ptr @mlc_pool.pending
  ret void
}}

define void @mlc_pool_set_size(i64 %size) {{
  %1 = call i32 @pthread_mutex_lock(ptr @mlc_pool.region)
  store i64 %size, ptr @mlc_pool.size
  %2 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.region)
  ret void
}}

define i64 @mlc_pool_started() {{
  %n = load i64, ptr @mlc_pool.started
  ret i64 %n
}}

define i64 @mlc_parallel_max_chunks() {{
  ret i64 {MAX_THREADS}
}}

; chunk c of n over [lo, hi): [lo + (hi-lo)*c/n, lo + (hi-lo)*(c+1)/n)
define internal void @mlc_pool.run(ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %c, i64 %n) {{
  %len = sub i64 %hi, %lo
  %c1 = add i64 %c, 1
  %m0 = mul i64 %len, %c
  %m1 = mul i64 %len, %c1
  %d0 = udiv i64 %m0, %n
  %d1 = udiv i64 %m1, %n
  %b0 = add i64 %lo, %d0
  %b1 = add i64 %lo, %d1
  call void %task(ptr %args, i64 %b0, i64 %b1, i64 %c)
  ret void
}}

; A pool thread: wait for a new region, run its chunk (if it has one), report, repeat.
define internal ptr @mlc_pool.worker(ptr %arg) {{
entry:
  %me = ptrtoint ptr %arg to i64
  %l0 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  br label %wait
wait:
  %seen = phi i64 [ 0, %entry ], [ %seen, %sleep ], [ %gen, %check ], [ %gen, %report ]
  %gen = load i64, ptr @mlc_pool.generation
  %same = icmp eq i64 %gen, %seen
  br i1 %same, label %sleep, label %check
sleep:
  %w = call i32 @pthread_cond_wait(ptr @mlc_pool.work, ptr @mlc_pool.mutex)
  br label %wait
check:
  %n = load i64, ptr @mlc_pool.chunks
  %mine = icmp slt i64 %me, %n
  br i1 %mine, label %run, label %wait
run:
  %task = load ptr, ptr @mlc_pool.task
  %args = load ptr, ptr @mlc_pool.args
  %lo = load i64, ptr @mlc_pool.lo
  %hi = load i64, ptr @mlc_pool.hi
  %u0 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  call void @mlc_pool.run(ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %me, i64 %n)
  %l1 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  %p = load i64, ptr @mlc_pool.pending
  %p1 = sub i64 %p, 1
  store i64 %p1, ptr @mlc_pool.pending
  %last = icmp eq i64 %p1, 0
  br i1 %last, label %signal, label %report
signal:
  %s = call i32 @pthread_cond_signal(ptr @mlc_pool.done)
  br label %report
report:
  br label %wait
}}

; Start threads until `want` run (caller included); returns how many run. Holds the mutex.
define internal i64 @mlc_pool.grow(i64 %want) {{
entry:
  br label %loop
loop:
  %have = load i64, ptr @mlc_pool.started
  %enough = icmp sge i64 %have, %want
  br i1 %enough, label %done, label %create
create:
  %handle = getelementptr [{MAX_THREADS} x i64], ptr @mlc_pool.handles, i64 0, i64 %have
  %arg = inttoptr i64 %have to ptr
  %rc = call i32 @pthread_create(ptr %handle, ptr null, ptr @mlc_pool.worker, ptr %arg)
  %ok = icmp eq i32 %rc, 0
  br i1 %ok, label %created, label %done
created:
  %have1 = add i64 %have, 1
  store i64 %have1, ptr @mlc_pool.started
  br label %loop
done:
  %n = load i64, ptr @mlc_pool.started
  ret i64 %n
}}

define i64 @mlc_parallel_for(ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %cost) {{
entry:
  %len = sub i64 %hi, %lo
  %size = load i64, ptr @mlc_pool.size
  ; iterations a chunk needs to be worth a thread: max(1, GRAIN / max(cost, 1))
  %cost_pos = icmp sgt i64 %cost, 0
  %cost1 = select i1 %cost_pos, i64 %cost, i64 1
  %per = udiv i64 {GRAIN}, %cost1
  %per_pos = icmp sgt i64 %per, 0
  %per1 = select i1 %per_pos, i64 %per, i64 1
  %by_work = sdiv i64 %len, %per1
  %fewer = icmp slt i64 %by_work, %size
  %n0 = select i1 %fewer, i64 %by_work, i64 %size
  %capped = icmp sgt i64 %n0, {MAX_THREADS}
  %n = select i1 %capped, i64 {MAX_THREADS}, i64 %n0
  %serial = icmp sle i64 %n, 1
  br i1 %serial, label %inline, label %parallel
inline:
  call void %task(ptr %args, i64 %lo, i64 %hi, i64 0)
  ret i64 1
parallel:
  %r0 = call i32 @pthread_mutex_lock(ptr @mlc_pool.region)
  %m0 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  %have = call i64 @mlc_pool.grow(i64 %n)
  %short = icmp slt i64 %have, %n
  %chunks = select i1 %short, i64 %have, i64 %n
  store ptr %task, ptr @mlc_pool.task
  store ptr %args, ptr @mlc_pool.args
  store i64 %lo, ptr @mlc_pool.lo
  store i64 %hi, ptr @mlc_pool.hi
  store i64 %chunks, ptr @mlc_pool.chunks
  %others = sub i64 %chunks, 1
  store i64 %others, ptr @mlc_pool.pending
  %g = load i64, ptr @mlc_pool.generation
  %g1 = add i64 %g, 1
  store i64 %g1, ptr @mlc_pool.generation
  %b = call i32 @pthread_cond_broadcast(ptr @mlc_pool.work)
  %m1 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  call void @mlc_pool.run(ptr %task, ptr %args, i64 %lo, i64 %hi, i64 0, i64 %chunks)
  %m2 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  br label %join
join:
  %p = load i64, ptr @mlc_pool.pending
  %busy = icmp sgt i64 %p, 0
  br i1 %busy, label %sleep, label %finished
sleep:
  %w = call i32 @pthread_cond_wait(ptr @mlc_pool.done, ptr @mlc_pool.mutex)
  br label %join
finished:
  %m3 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  %r1 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.region)
  ret i64 %chunks
}}
"""

_lock = threading.RLock()
_loading = False
_ready = False
_module: Any = None
_functions: dict[str, Any] = {}


def default_threads() -> int:
    """`MLC_NUM_THREADS`, else the CPUs this process may use (at most MAX_THREADS)."""
    text = os.environ.get("MLC_NUM_THREADS", "").strip()
    if text:
        try:
            return max(1, min(MAX_THREADS, int(text)))
        except ValueError:
            raise ValueError(f"MLC_NUM_THREADS: expected a positive integer, got {text!r}") from None
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, count))


def _load() -> None:
    """Compile (or load from the cache) the pool, bind its symbols for JIT code, initialize it."""
    global _module
    import ctypes

    import llvmlite.binding as llvm

    from mlc.runtime.cpu import compile_module

    _module = compile_module(_IR, [])
    engine = _module.engine
    for name, restype, argtypes in (
        ("mlc_pool_init", None, [ctypes.c_int64]),
        ("mlc_pool_set_size", None, [ctypes.c_int64]),
        ("mlc_pool_started", ctypes.c_int64, []),
        ("mlc_parallel_for", ctypes.c_int64, [ctypes.c_void_p] * 2 + [ctypes.c_int64] * 3),
        ("mlc_parallel_max_chunks", ctypes.c_int64, []),
    ):
        address = engine.get_function_address(name)
        llvm.add_symbol(name, address)
        _functions[name] = ctypes.CFUNCTYPE(restype, *argtypes)(address)
    _functions["mlc_pool_init"](_threads)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork)


_threads = default_threads()


def _after_fork() -> None:
    _functions["mlc_pool_init"](_threads)


def register_parallel_symbols() -> None:
    """Make `mlc_parallel_for` and `mlc_parallel_max_chunks` resolvable by JIT code (idempotent).

    Thread-safe: another thread asking while the pool loads waits for it
    (the lock is re-entrant: compiling the pool asks for its own symbols,
    a no-op in the loading thread). `_ready` is set only once every symbol
    is bound, so the unlocked fast path never sees a half-loaded pool.
    """
    global _loading, _ready
    if _ready:
        return
    with _lock:
        if not _ready and not _loading:
            _loading = True
            try:
                _load()
                _ready = True
            finally:
                _loading = False


def num_threads() -> int:
    """How many threads a parallel loop may use (the caller included)."""
    return _threads


def set_num_threads(n: int) -> None:
    """Let parallel loops use up to `n` threads (1: run everything in the calling thread)."""
    global _threads
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {n!r}")
    _threads = min(n, MAX_THREADS)
    if _module is not None:
        _functions["mlc_pool_set_size"](_threads)


def threads_started() -> int:
    """Threads the pool has started so far, the caller counted (1 until a loop ran in parallel)."""
    return _functions["mlc_pool_started"]() if _module is not None else 1
