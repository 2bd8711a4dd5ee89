"""Interleaved timing: every implementation of a workload is timed in the same
round-robin loop, so machine noise (frequency changes, other processes)
hits all of them alike, and ratios are taken between medians of one run.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def batch_time(fn: Callable[[], object], number: int) -> float:
    """Seconds per call, over `number` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn: Callable[[], object], min_batch: float) -> tuple[int, float]:
    """Calls per batch so that a batch lasts >= min_batch seconds (also warms up).

    Returns (number, seconds per call of the last batch).
    """
    fn()  # warm-up: caches, thread pools, lazy initialisation
    number = 1
    while True:
        t = batch_time(fn, number)
        if t * number >= min_batch or number >= 1 << 20:
            return number, t
        number = max(number * 2, int(min_batch / max(t, 1e-9) * 1.2))


def interleaved(fns: dict[str, Callable[[], object]], repeat: int, min_batch: float,
                budget: float, settle: float = 0.0) -> tuple[dict[str, float], dict[str, str], dict]:
    """Median seconds per call of each fn, timed round-robin.

    Each fn is warmed up and calibrated first; then `repeat` rounds (fewer if
    one round would exceed `budget` / repeat seconds, but at least 3) each
    time one batch of every fn, in an order rotated every round. A fn that
    raises is dropped; its error is returned in the second dict. The third
    says how it was timed: {name: {"rounds": ..., "calls_per_batch": ..., "min_s": ...}}.

    `settle` seconds of idling precede each batch: thread pools (OpenBLAS,
    XLA, OpenMP) busy-wait for a while after their last task, and numpy's
    OpenBLAS spinning would otherwise steal the cores from the next
    implementation's own pool (scipy's OpenBLAS, used by mlc), and back.
    """
    numbers, per_call, errors = {}, {}, {}
    for name, fn in fns.items():
        try:
            numbers[name], per_call[name] = calibrate(fn, min_batch)
        except Exception as exc:  # noqa: BLE001 - one failing implementation must not stop the run
            errors[name] = f"{type(exc).__name__}: {exc}"
    round_time = sum(per_call[n] * numbers[n] for n in numbers)
    rounds = max(3, min(repeat, int(budget / max(round_time, 1e-9))))
    times: dict[str, list[float]] = {n: [] for n in numbers}
    names = list(numbers)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            k = r % len(names) if names else 0
            for name in names[k:] + names[:k]:
                if name in errors:
                    continue
                time.sleep(settle)
                try:
                    times[name].append(batch_time(fns[name], numbers[name]))
                except Exception as exc:  # noqa: BLE001
                    errors[name] = f"{type(exc).__name__}: {exc}"
    finally:
        if gc_was_enabled:
            gc.enable()
    ok = [n for n, t in times.items() if n not in errors and t]
    return ({n: median(times[n]) for n in ok}, errors,
            {n: {"rounds": len(times[n]), "calls_per_batch": numbers[n], "min_s": min(times[n])} for n in ok})


def median(xs: list[float]) -> float:
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else 0.5 * (s[m - 1] + s[m])
