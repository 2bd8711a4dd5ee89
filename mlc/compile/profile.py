"""Where compiling a function spends its time, stage by stage.

Every `mlc.function` compile records one `CompileProfile` (cheap: two
clock reads per stage) and keeps it as `Function.compile_profile`. Rows
are, in order: graph preparation, emission (graph -> mt), each pass of
the pipeline by its registered name (a pass run twice has two rows), the
llvm dialect -> LLVM IR text, and LLVM's own stages (parse, optimize,
codegen, load). Wall time and this thread's CPU time are both given: on
a loaded machine wall time includes waiting for a core.

With `MLC_FLAGS=profile_optimizer=True` the table is printed to stderr
after each compile that ran the pipeline (a cache hit has one row).
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class CompileProfile:
    """Stage timings of one compile: rows of (stage, wall seconds, cpu seconds)."""

    def __init__(self, name: str = "function"):
        self.name = name
        self.rows: list[tuple[str, float, float]] = []

    def add(self, stage: str, wall: float, cpu: float) -> None:
        self.rows.append((stage, wall, cpu))

    @property
    def total(self) -> float:
        return sum(r[1] for r in self.rows)

    def by_stage(self) -> dict[str, float]:
        """Wall seconds per stage name (repeated passes summed)."""
        out: dict[str, float] = {}
        for stage, wall, _ in self.rows:
            out[stage] = out.get(stage, 0.0) + wall
        return out

    def table(self) -> str:
        total = self.total or 1e-12
        width = max([len(r[0]) for r in self.rows] + [5])
        lines = [f"compile profile of {self.name}: {self.total * 1e3:.1f} ms",
                 f"  {'stage':<{width}}  {'wall ms':>9}  {'cpu ms':>9}  {'%':>5}"]
        for stage, wall, cpu in self.rows:
            lines.append(f"  {stage:<{width}}  {wall * 1e3:9.2f}  {cpu * 1e3:9.2f}  {100 * wall / total:5.1f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


_local = threading.local()


def active() -> CompileProfile | None:
    return getattr(_local, "profile", None)


@contextmanager
def recording(profile: CompileProfile) -> Iterator[CompileProfile]:
    """Record the stages run in this thread into `profile` (nested: the inner one wins)."""
    from mlc.runtime.cpu import record_times

    previous = active()
    _local.profile = profile
    llvm_rows: list = []
    previous_rows = record_times(llvm_rows)
    try:
        yield profile
    finally:
        record_times(previous_rows)
        profile.rows += llvm_rows
        _local.profile = previous


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a stage into the active profile (no-op without one)."""
    profile = active()
    if profile is None:
        yield
        return
    w0, c0 = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        profile.add(name, time.perf_counter() - w0, time.thread_time() - c0)


def report(profile: CompileProfile) -> None:
    from mlc.config import config

    if getattr(config, "profile_optimizer", False) and len(profile.rows) > 1:
        print(profile.table(), file=sys.stderr)
