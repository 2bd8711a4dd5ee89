"""The CPU thread pool behind parallel loops: native, small, dynamic, sleeping when idle.

Compiled code calls (see `parallelize-loops` and `convert-to-llvm`)

    i64 mlc_parallel_for(ptr task, ptr args, i64 lo, i64 hi, i64 cost)
    i64 mlc_parallel_max_chunks()

`mlc_parallel_for` splits [lo, hi) into n chunks of consecutive iterations
with fixed boundaries - chunk c is [lo + (hi-lo)*c/n, lo + (hi-lo)*(c+1)/n)
- runs `task(args, begin, end, c)` once per chunk and returns n.

* n = min(MAX_CHUNKS, (hi - lo) / max(1, GRAIN / cost)): a chunk carries
  at least GRAIN units of work (`cost` = estimated units per iteration,
  one unit ~ one add), so n depends only on the loop, never on the thread
  count or on timing: a reduction (per-chunk partials combined in chunk
  order) gives the same bits whatever the threads and the machine's load.
* Small work runs serially: n <= 1 is one inline call; with one thread
  the chunks run inline in order. Nothing is woken, no lock is taken.
* Dynamic scheduling: the caller and the pool threads take chunks from a
  shared counter (a compare-and-swap on one word holding the region's
  generation and the next chunk, so a thread that wakes late can never
  take a chunk of a later region). Nobody owns a fixed share, so a
  preempted or late thread delays a region by at most the one chunk it
  holds (there are up to MAX_CHUNKS, each ~GRAIN units), not by its whole
  share: on a busy machine the caller and whichever threads run do it all.
* Spin, then sleep: a thread that runs out of chunks watches for the next
  region for SPIN_NS (back-to-back calls then start without a wake-up),
  then sleeps in `pthread_cond_wait` (no CPU use between calls). The
  caller waiting for chunks still running elsewhere spins as long, then
  sleeps, which frees its core for the thread it waits on.
* Threads are created on first need (pthread_create, from native code),
  at most `threads - 1` of them. They run only compiled code (never
  Python) and need no GIL; the caller may hold it or not.
* One parallel region runs at a time (a second caller waits on a mutex);
  regions never nest, because a task is a loop nest without calls.
* After `fork()` the child starts with a fresh pool (its parent's threads
  do not exist there).

The thread count is `config.num_threads` / `MLC_NUM_THREADS` if set, else
the CPUs this process may run on (`os.sched_getaffinity`), at most
`MAX_THREADS`; `set_num_threads(n)` changes it (1 runs everything inline).

The pool is written in LLVM IR below and compiled once per process through
the same cache as all compiled code.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from typing import Any

MAX_THREADS = 256
#: most chunks one call splits into (the size of a reduction's partials buffer)
MAX_CHUNKS = 256
#: work units (~ adds) below which a chunk is not worth a thread
GRAIN = 1 << 15
#: how long an idle thread (or a waiting caller) spins before sleeping
SPIN_NS = 50_000
#: bytes reserved for each pthread object (glibc: mutex 40, cond 48; macOS: mutex 64)
_SYNC_BYTES = 128


def _pause() -> tuple[str, str]:
    """The spin-wait hint instruction of this CPU, and its declaration."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i386", "i686"):
        return "call void @llvm.x86.sse2.pause()", "declare void @llvm.x86.sse2.pause()"
    if machine in ("aarch64", "arm64"):
        return "call void @llvm.aarch64.hint(i32 1)", "declare void @llvm.aarch64.hint(i32)"
    return "", ""


_PAUSE, _PAUSE_DECL = _pause()

_IR = f"""
@mlc_pool.mutex = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.work = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.done = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.region = internal global [{_SYNC_BYTES} x i8] zeroinitializer, align 64
@mlc_pool.handles = internal global [{MAX_THREADS} x i64] zeroinitializer, align 64
@mlc_pool.claim = internal global i64 0, align 64     ; generation << 32 | next chunk to take
@mlc_pool.finished = internal global i64 0, align 64  ; chunks of this region finished
@mlc_pool.generation = internal global i64 0, align 64 ; bumped for each region
@mlc_pool.size = internal global i64 1        ; threads a region may use, the caller included
@mlc_pool.started = internal global i64 1     ; threads running, the caller included
@mlc_pool.sleepers = internal global i64 0    ; threads in pthread_cond_wait (under the mutex)
@mlc_pool.task = internal global ptr null
@mlc_pool.args = internal global ptr null
@mlc_pool.lo = internal global i64 0
@mlc_pool.hi = internal global i64 0
@mlc_pool.chunks = internal global i64 0
@mlc_pool.users = internal global i64 0       ; threads (caller included) this region may use

declare i32 @pthread_mutex_init(ptr, ptr)
declare i32 @pthread_cond_init(ptr, ptr)
declare i32 @pthread_mutex_lock(ptr)
declare i32 @pthread_mutex_unlock(ptr)
declare i32 @pthread_cond_wait(ptr, ptr)
declare i32 @pthread_cond_broadcast(ptr)
declare i32 @pthread_create(ptr, ptr, ptr, ptr)
declare i32 @clock_gettime(i32, ptr)
{_PAUSE_DECL}

; (Re)initialize: at load, and in a forked child. No thread runs the pool then.
define void @mlc_pool_init(i64 %size) {{
  %1 = call i32 @pthread_mutex_init(ptr @mlc_pool.mutex, ptr null)
  %2 = call i32 @pthread_mutex_init(ptr @mlc_pool.region, ptr null)
  %3 = call i32 @pthread_cond_init(ptr @mlc_pool.work, ptr null)
  %4 = call i32 @pthread_cond_init(ptr @mlc_pool.done, ptr null)
  store i64 %size, ptr @mlc_pool.size
  store i64 1, ptr @mlc_pool.started
  store i64 0, ptr @mlc_pool.generation
  store i64 0, ptr @mlc_pool.claim
  store i64 0, ptr @mlc_pool.finished
  store i64 0, ptr @mlc_pool.sleepers
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
  ret i64 {MAX_CHUNKS}
}}

define internal i64 @mlc_pool.now() {{
  %ts = alloca [2 x i64], align 8
  %r = call i32 @clock_gettime(i32 {time.CLOCK_MONOTONIC}, ptr %ts)
  %s = load i64, ptr %ts
  %p = getelementptr [2 x i64], ptr %ts, i64 0, i64 1
  %ns = load i64, ptr %p
  %s1 = mul i64 %s, 1000000000
  %t = add i64 %s1, %ns
  ret i64 %t
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

; Take and run chunks of region %gen until none is left (or the region is over).
define internal void @mlc_pool.take(i64 %gen, ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %n) {{
entry:
  %tag = shl i64 %gen, 32
  br label %loop
loop:
  %w = load atomic i64, ptr @mlc_pool.claim acquire, align 8
  %wtag = and i64 %w, -4294967296
  %mine = icmp eq i64 %wtag, %tag
  br i1 %mine, label %next, label %out
next:
  %c = and i64 %w, 4294967295
  %left = icmp slt i64 %c, %n
  br i1 %left, label %try, label %out
try:
  %w1 = add i64 %w, 1
  %x = cmpxchg ptr @mlc_pool.claim, i64 %w, i64 %w1 acq_rel acquire
  %ok = extractvalue {{ i64, i1 }} %x, 1
  br i1 %ok, label %run, label %loop
run:
  call void @mlc_pool.run(ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %c, i64 %n)
  %f = atomicrmw add ptr @mlc_pool.finished, i64 1 acq_rel
  %f1 = add i64 %f, 1
  %all = icmp eq i64 %f1, %n
  br i1 %all, label %signal, label %loop
signal:
  %l = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  %b = call i32 @pthread_cond_broadcast(ptr @mlc_pool.done)
  %u = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  br label %loop
out:
  ret void
}}

; Spin (for at most SPIN_NS) while (*%p == %v) is %equal; true when that stopped holding in time.
define internal i1 @mlc_pool.spin(ptr %p, i64 %v, i1 %equal) {{
entry:
  %t0 = call i64 @mlc_pool.now()
  br label %spin
spin:
  %i = phi i64 [ 0, %entry ], [ %i1, %pause ], [ 0, %clock ]
  %x = load atomic i64, ptr %p acquire, align 8
  %eq = icmp eq i64 %x, %v
  %holds = icmp eq i1 %eq, %equal
  br i1 %holds, label %pause, label %changed
pause:
  {_PAUSE}
  %i1 = add i64 %i, 1
  %check = icmp eq i64 %i1, 64
  br i1 %check, label %clock, label %spin
clock:
  %t = call i64 @mlc_pool.now()
  %dt = sub i64 %t, %t0
  %long = icmp sgt i64 %dt, {SPIN_NS}
  br i1 %long, label %timeout, label %spin
changed:
  ret i1 true
timeout:
  ret i1 false
}}

; A pool thread: spin a while for a new region, else sleep; take chunks; repeat.
define internal ptr @mlc_pool.worker(ptr %arg) {{
entry:
  %me = ptrtoint ptr %arg to i64
  br label %idle
idle:
  %seen = phi i64 [ 0, %entry ], [ %g2, %took ], [ %g2, %skip ]
  %new = call i1 @mlc_pool.spin(ptr @mlc_pool.generation, i64 %seen, i1 true)
  br i1 %new, label %got, label %sleep
sleep:
  %l0 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  %s0 = load i64, ptr @mlc_pool.sleepers
  %s1 = add i64 %s0, 1
  store i64 %s1, ptr @mlc_pool.sleepers
  br label %sleeping
sleeping:
  %gs = load atomic i64, ptr @mlc_pool.generation acquire, align 8
  %woke = icmp ne i64 %gs, %seen
  br i1 %woke, label %awake, label %wait
wait:
  %w = call i32 @pthread_cond_wait(ptr @mlc_pool.work, ptr @mlc_pool.mutex)
  br label %sleeping
awake:
  %s2 = load i64, ptr @mlc_pool.sleepers
  %s3 = sub i64 %s2, 1
  store i64 %s3, ptr @mlc_pool.sleepers
  %u0 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  br label %got
got:
  ; a consistent snapshot of the region (published under the mutex)
  %l1 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  %g2 = load i64, ptr @mlc_pool.generation
  %task = load ptr, ptr @mlc_pool.task
  %args = load ptr, ptr @mlc_pool.args
  %lo = load i64, ptr @mlc_pool.lo
  %hi = load i64, ptr @mlc_pool.hi
  %n = load i64, ptr @mlc_pool.chunks
  %users = load i64, ptr @mlc_pool.users
  %u1 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  %allowed = icmp slt i64 %me, %users
  br i1 %allowed, label %work, label %skip
work:
  call void @mlc_pool.take(i64 %g2, ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %n)
  br label %took
took:
  br label %idle
skip:
  br label %idle
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
  ; iterations a chunk needs to be worth a thread: max(1, GRAIN / max(cost, 1))
  %cost_pos = icmp sgt i64 %cost, 0
  %cost1 = select i1 %cost_pos, i64 %cost, i64 1
  %per = udiv i64 {GRAIN}, %cost1
  %per_pos = icmp sgt i64 %per, 0
  %per1 = select i1 %per_pos, i64 %per, i64 1
  %by_work = sdiv i64 %len, %per1
  %capped = icmp sgt i64 %by_work, {MAX_CHUNKS}
  %n = select i1 %capped, i64 {MAX_CHUNKS}, i64 %by_work
  %one = icmp sle i64 %n, 1
  br i1 %one, label %inline, label %several
inline:
  call void %task(ptr %args, i64 %lo, i64 %hi, i64 0)
  ret i64 1
several:
  %size = load i64, ptr @mlc_pool.size
  %alone = icmp sle i64 %size, 1
  br i1 %alone, label %serial, label %parallel
serial:
  %c = phi i64 [ 0, %several ], [ %c1, %serial ]
  call void @mlc_pool.run(ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %c, i64 %n)
  %c1 = add i64 %c, 1
  %more = icmp slt i64 %c1, %n
  br i1 %more, label %serial, label %serial_done
serial_done:
  ret i64 %n
parallel:
  %r0 = call i32 @pthread_mutex_lock(ptr @mlc_pool.region)
  %m0 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  %few = icmp slt i64 %n, %size
  %want = select i1 %few, i64 %n, i64 %size
  %have = call i64 @mlc_pool.grow(i64 %want)
  %short = icmp slt i64 %have, %want
  %users = select i1 %short, i64 %have, i64 %want
  store ptr %task, ptr @mlc_pool.task
  store ptr %args, ptr @mlc_pool.args
  store i64 %lo, ptr @mlc_pool.lo
  store i64 %hi, ptr @mlc_pool.hi
  store i64 %n, ptr @mlc_pool.chunks
  store i64 %users, ptr @mlc_pool.users
  store atomic i64 0, ptr @mlc_pool.finished release, align 8
  %g = load i64, ptr @mlc_pool.generation
  %g1 = add i64 %g, 1
  %gen = and i64 %g1, 4294967295
  %tag = shl i64 %gen, 32
  store atomic i64 %tag, ptr @mlc_pool.claim release, align 8
  store atomic i64 %gen, ptr @mlc_pool.generation release, align 8
  %sl = load i64, ptr @mlc_pool.sleepers
  %any = icmp sgt i64 %sl, 0
  br i1 %any, label %wake, label %published
wake:
  %b = call i32 @pthread_cond_broadcast(ptr @mlc_pool.work)
  br label %published
published:
  %m1 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  call void @mlc_pool.take(i64 %gen, ptr %task, ptr %args, i64 %lo, i64 %hi, i64 %n)
  ; chunks others still run: spin a while, then sleep
  %all = call i1 @mlc_pool.spin(ptr @mlc_pool.finished, i64 %n, i1 false)
  br i1 %all, label %finished, label %sleep
sleep:
  %m2 = call i32 @pthread_mutex_lock(ptr @mlc_pool.mutex)
  br label %join
join:
  %p = load atomic i64, ptr @mlc_pool.finished acquire, align 8
  %busy = icmp slt i64 %p, %n
  br i1 %busy, label %wait, label %joined
wait:
  %w = call i32 @pthread_cond_wait(ptr @mlc_pool.done, ptr @mlc_pool.mutex)
  br label %join
joined:
  %m3 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.mutex)
  br label %finished
finished:
  %r1 = call i32 @pthread_mutex_unlock(ptr @mlc_pool.region)
  ret i64 %n
}}
"""

_lock = threading.RLock()
_loading = False
_ready = False
_module: Any = None
_functions: dict[str, Any] = {}


def default_threads() -> int:
    """`MLC_NUM_THREADS`, else the CPUs this process may use (at most MAX_THREADS).
    (`config.num_threads`, set before the pool loads, is passed on through
    MLC_NUM_THREADS; set later, it calls `set_num_threads`.)"""
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

    from mlc.runtime import cache
    from mlc.runtime.cpu import COMPILE_LOCK, compile_module

    with COMPILE_LOCK, cache.runtime_modules():  # apart from the user's cache_dir
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
