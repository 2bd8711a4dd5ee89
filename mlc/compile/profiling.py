"""Profiling compiled functions (Theano's `theano.compile.profiling.ProfileStats`).

    f = mlc.function([x], y, profile=True)       # or config.profile = True
    f(...)
    f.profile.summary()                          # Theano's layout, to stderr

A `ProfileStats` collects, for the functions that share it:

* calls of `Function.__call__` and their time, and the time spent in the
  compiled program (Theano's "Time in Function.fn.__call__");
* per *kernel*: each native loop nest (a fused elementwise chain, a
  reduction, ...) and each BLAS call is timed in native code when the
  function was compiled with profiling on (the `profile-kernels` pass adds
  the timer calls; code compiled without profiling has none); host ops
  (scan loops, Print) are timed from Python. These are the "Apply" rows;
  "Class" and "Ops" rows group them by kind;
* compile time, split per compile pass (the "Optimizer Profile").

With `config.profile` set, every function gets its own ProfileStats and
their summaries are printed when the process exits (to
`config.profiling__destination`: stderr, stdout or a file name).
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
import time
from collections import defaultdict
from typing import Any

from mlc.config import config

_imported_at = time.time()
_atexit_list: list[ProfileStats] = []
_atexit_registered = False

#: per thread, the ProfileStats that compile and run hooks report to (a stack: inner functions, scan
#: steps): two threads running profiled functions each report to their own function's stats
_local = threading.local()

#: guards every accumulation into a ProfileStats (functions sharing one may run in several threads)
_stats_lock = threading.Lock()


class Kernel:
    """One timed unit of a compiled function: a native loop nest / BLAS call, or a host node."""

    def __init__(self, name: str, kind: str, impl: str, label: str):
        self.name, self.kind, self.impl, self.label = name, kind, impl, label

    def __str__(self) -> str:
        return self.label


class ProfileStats:
    """Timings of one or more functions (see the module docstring); Theano's attribute names."""

    def __init__(self, atexit_print: bool = True, message: str | None = None, flag_time_thunks=None,
                 gpu_checks: bool = True, **kwargs: Any):
        self.message = message
        self.compile_time = 0.0
        self.fct_call_time = 0.0
        self.fct_callcount = 0
        self.vm_call_time = 0.0
        self.optimizer_time = 0.0
        self.linker_time = 0.0
        self.validate_time = 0.0
        self.import_time = 0.0
        self.linker_node_make_thunks = 0.0
        self.linker_make_thunk_time: dict = {}
        self.nb_nodes = 0
        self.line_width = config.profiling__output_line_width
        self.flag_time_thunks = True if flag_time_thunks is None else flag_time_thunks
        #: kernel -> accumulated seconds / number of runs (Theano's apply_time / apply_callcount)
        self.apply_time: dict[Kernel, float] = defaultdict(float)
        self.apply_callcount: dict[Kernel, int] = defaultdict(int)
        #: compile pass name -> (seconds, runs)
        self.pass_time: dict[str, list] = {}
        self.fgraphs: list = []
        self.variable_shape: dict = {}
        self.variable_strides: dict = {}
        self.optimizer_profile = None
        for k, v in kwargs.items():
            setattr(self, k, v)
        if atexit_print:
            _register_atexit(self)

    def reset(self) -> None:
        self.fct_call_time = self.vm_call_time = 0.0
        self.fct_callcount = 0
        self.apply_time.clear()
        self.apply_callcount.clear()

    # -- hooks ---------------------------------------------------------------
    def add_kernel_time(self, kernel: Kernel, seconds: float, calls: int = 1) -> None:
        with _stats_lock:
            self.apply_time[kernel] += seconds
            self.apply_callcount[kernel] += calls

    def add_kernel_times(self, rows) -> None:
        """(kernel, seconds, runs) rows of one call, accumulated at once."""
        with _stats_lock:
            for kernel, seconds, calls in rows:
                self.apply_time[kernel] += seconds
                self.apply_callcount[kernel] += calls

    def add_call(self, call_time: float, vm_time: float) -> None:
        """One call of a function: its time in Function.__call__ and in the compiled program."""
        with _stats_lock:
            self.fct_callcount += 1
            self.fct_call_time += call_time
            self.vm_call_time += vm_time

    def add_pass_time(self, name: str, seconds: float) -> None:
        with _stats_lock:
            entry = self.pass_time.setdefault(name, [0.0, 0])
            entry[0] += seconds
            entry[1] += 1
            self.optimizer_time += seconds

    # -- grouping ------------------------------------------------------------
    def _group(self, key) -> tuple[dict, dict, dict, dict]:
        times: dict = defaultdict(float)
        calls: dict = defaultdict(int)
        nodes: dict = defaultdict(int)
        impl: dict = {}
        for k, t in self.apply_time.items():
            g = key(k)
            times[g] += t
            calls[g] += self.apply_callcount[k]
            nodes[g] += 1
            impl[g] = k.impl
        return times, calls, nodes, impl

    def class_time(self) -> dict:
        return self._group(lambda k: k.kind)[0]

    def op_time(self) -> dict:
        return self._group(lambda k: k.name)[0]

    # -- printing (Theano's layout) ------------------------------------------
    def summary_function(self, file) -> None:
        print("Function profiling", file=file)
        print("==================", file=file)
        print(f"  Message: {self.message}", file=file)
        print(f"  Time in {self.fct_callcount} calls to Function.__call__: {self.fct_call_time:e}s", file=file)
        if self.fct_call_time > 0:
            print(f"  Time in Function.fn.__call__: {self.vm_call_time:e}s "
                  f"({100 * self.vm_call_time / self.fct_call_time:.3f}%)", file=file)
            local = sum(self.apply_time.values())
            if local > 0:
                print(f"  Time in thunks: {local:e}s ({100 * local / self.fct_call_time:.3f}%)", file=file)
        print(f"  Total compile time: {self.compile_time:e}s", file=file)
        print(f"    Number of Apply nodes: {self.nb_nodes}", file=file)
        print(f"    Theano Optimizer time: {self.optimizer_time:e}s", file=file)
        print(f"       Theano validate time: {self.validate_time:e}s", file=file)
        print(f"    Theano Linker time (includes C, CUDA code generation/compiling): {self.linker_time:e}s",
              file=file)
        print(f"       Import time {self.import_time:e}s", file=file)
        print(f"       Node make_thunk time {self.linker_node_make_thunks:e}s", file=file)
        print("", file=file)

    def summary_globals(self, file) -> None:
        from mlc import gradient

        print(f"Time in all call to theano.grad() {getattr(gradient, 'grad_time', 0.0):e}s", file=file)
        print(f"Time since theano import {time.time() - _imported_at:.3f}s", file=file)

    def _table(self, file, title: str, underline: str, rows, n: int | None, what: str, name_head: str,
               with_type: bool) -> None:
        local = sum(self.apply_time.values())
        print(title, file=file)
        print(underline, file=file)
        hs = ["<% time>", "<sum %>", "<apply time>", "<time per call>"]
        es = ["  %4.1f%% ", " %5.1f%% ", "   %7.3fs ", "     %8.2es "]
        if with_type:
            hs += ["<type>", "<#call>", "<#apply>"]
            es += ["   %2s ", "%6d  ", " %4d  "]
        else:
            hs += ["<#call>", "<id>"]
            es += [" %4d  ", "%3d"]
        maxlen = max(self.line_width - (sum(len(h) for h in hs) + len(hs)), 0)
        print(" ".join(hs + [name_head]), file=file)
        fmt = " ".join(es + ["%s"])
        n = len(rows) if n is None else n
        tot = 0.0
        for row in rows[:n]:
            t, label = row[1], row[-1]
            tot += t
            print(fmt % (row[0], tot * 100 / local, *row[1:-1], str(label)[:maxlen]), file=file)
        rest = rows[n:]
        print(f"   ... (remaining {max(0, len(rest))} {what} account for {sum(r[0] for r in rest):6.2f}%"
              f"({sum(r[1] for r in rest):.2f}s) of the runtime)", file=file)
        print("", file=file)

    def _summary_grouped(self, file, N, key, method: str, title: str, what: str, head: str) -> None:
        """The Class or Ops table: kernels grouped by `key`, most time first."""
        local = sum(self.apply_time.values())
        if local == 0:
            print(f"ProfileStats.{method}: total time 0 (did you forget to enable counters?)", file=file)
            return
        times, calls, nodes, impl = self._group(key)
        rows = sorted(((t * 100 / local, t, t / max(calls[g], 1), impl[g], calls[g], nodes[g], g)
                       for g, t in times.items()), key=lambda r: (r[1], r[4], r[5]), reverse=True)
        self._table(file, title, "---", rows, N, what, head, True)

    def summary_class(self, file=sys.stderr, N=None) -> None:
        self._summary_grouped(file, N, lambda k: k.kind, "summary_class", "Class", "Classes", "<Class name>")

    def summary_ops(self, file=sys.stderr, N=None) -> None:
        self._summary_grouped(file, N, lambda k: k.name, "summary_ops", "Ops", "Ops", "<Op name>")

    def summary_nodes(self, file=sys.stderr, N=None) -> None:
        local = sum(self.apply_time.values())
        if local == 0:
            print("ProfileStats.summary_nodes: total time 0 (did you forget to enable counters?)", file=file)
            return
        order = {k: i for i, k in enumerate(self.apply_time)}
        rows = sorted(((t * 100 / local, t, t / max(self.apply_callcount[k], 1), self.apply_callcount[k],
                        order[k], k) for k, t in self.apply_time.items()), key=lambda r: (r[1], r[4]), reverse=True)
        self._table(file, "Apply", "------", rows, N, "Apply instances", "<Apply name>", False)

    def summary_passes(self, file) -> None:
        if not self.pass_time:
            return
        total = sum(t for t, _ in self.pass_time.values())
        print("Optimizer Profile", file=file)
        print("-----------------", file=file)
        print(f"  compile passes: {total:.6f}s in {len(self.pass_time)} passes (time, runs, name)", file=file)
        for name, (t, runs) in sorted(self.pass_time.items(), key=lambda kv: -kv[1][0]):
            print(f"    {t:.6f}s {runs:4d} {name}", file=file)
        print("", file=file)

    def summary(self, file=sys.stderr, n_ops_to_print: int = 20, n_apply_to_print: int = 20) -> None:
        self.summary_function(file)
        self.summary_globals(file)
        if sum(self.apply_time.values()) > 0:
            self.summary_class(file, n_ops_to_print)
            self.summary_ops(file, n_ops_to_print)
            self.summary_nodes(file, n_apply_to_print)
        elif self.fct_callcount > 0:
            print("  No execution time accumulated (hint: try config profiling.time_thunks=1)", file=file)
        self.summary_passes(file)
        print("Here are tips to potentially make your code run faster\n"
              "                 (if you think of new ones, suggest them on the mailing list).\n"
              "                 Test them first, as they are not guaranteed to always provide a speedup.", file=file)
        self.print_tips(file)

    def print_tips(self, file) -> None:
        tips = []
        if config.floatX == "float64":
            tips.append("  - Try the Theano flag floatX=float32")
        print("\n".join(tips) if tips else "  Sorry, no tip for today.", file=file)


def profile_for(profile, name: str | None) -> ProfileStats | None:
    """The ProfileStats a function reports to: `profile=` (True, a name, a ProfileStats) or config.profile."""
    if profile is None or profile is False:
        if not config.profile:
            return None
        profile = True
    if isinstance(profile, ProfileStats):
        return profile
    if isinstance(profile, str):
        return ProfileStats(message=profile)
    return ProfileStats(message=name)


def current() -> ProfileStats | None:
    """The ProfileStats this thread reports to now (None outside profiled compiles and calls)."""
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


@contextlib.contextmanager
def active(prof: ProfileStats):
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(prof)
    try:
        yield prof
    finally:
        stack.pop()


def time_host(kernel: Kernel, fn, *args):
    """Run `fn(*args)`, reporting its time as `kernel` to the active ProfileStats (if any)."""
    prof = current()
    if prof is None:
        return fn(*args)
    t0 = time.perf_counter()
    try:
        return fn(*args)
    finally:
        prof.add_kernel_time(kernel, time.perf_counter() - t0)


def _register_atexit(prof: ProfileStats) -> None:
    global _atexit_registered
    _atexit_list.append(prof)
    if not _atexit_registered:
        atexit.register(_print_at_exit)
        _atexit_registered = True


def _print_at_exit() -> None:
    if not config.profile:
        return
    dest = config.profiling__destination
    out = sys.stderr if dest == "stderr" else sys.stdout if dest == "stdout" else open(dest, "w")
    for ps in sorted(_atexit_list, key=lambda p: p.compile_time + p.fct_call_time, reverse=True):
        if ps.fct_callcount >= 1 or ps.compile_time > 1:
            ps.summary(file=out, n_ops_to_print=config.profiling__n_ops, n_apply_to_print=config.profiling__n_apply)
        else:
            print("Skipping empty Profile", file=out)
    if out not in (sys.stderr, sys.stdout):
        out.close()
