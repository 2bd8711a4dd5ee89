"""Issue 16: the disk cache across processes - compile once, stale locks,
orphaned temporary files, entries that prove which function they are."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.runtime import cache

pytestmark = pytest.mark.skipif(cache.fcntl is None, reason="needs fcntl (POSIX)")

COMPILE_SAME = r"""
import os, sys, time
import mlc, mlc.tensor as T
from mlc.runtime import cache
mlc.config.cache_dir = sys.argv[1]
x = T.dvector("x")
mlc.function([x], x + 1)  # warm up: the runtime's own modules are loaded now
open(os.path.join(sys.argv[2], f"ready-{os.getpid()}"), "w").close()
while len(os.listdir(sys.argv[2])) < int(sys.argv[3]):
    time.sleep(0.01)
cache.stats.reset()
f = mlc.function([x], (T.exp(x) * 3 + T.tanh(x) / (1 + x * x)).sum())
import numpy as np
v = np.array([0.5, 1.0])
assert np.isclose(f(v), (np.exp(v) * 3 + np.tanh(v) / (1 + v * v)).sum())
print(cache.stats.compiles)
"""


def test_processes_compiling_one_function_compile_it_once(tmp_path):
    store, ready = tmp_path / "cache", tmp_path / "ready"
    ready.mkdir()
    n = 4
    procs = [subprocess.Popen([sys.executable, "-c", COMPILE_SAME, str(store), str(ready), str(n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-1000:] for _, err in outs]
    compiles = [int(out.split()[-1]) for out, _ in outs]
    assert sum(compiles) == 1, compiles  # one compiled; the others waited and loaded its entry


HOLD_LOCK = r"""
import sys, time
import mlc
from mlc.runtime import cache
mlc.config.cache_dir = sys.argv[1]
with cache.compiling(sys.argv[2]):
    print("locked", flush=True)
    time.sleep(600)
"""


def _holder(store, key):
    p = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store), key], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_lock_of_a_killed_process_is_broken_and_waits_are_bounded(tmp_path, monkeypatch):
    key = "ab" + "0" * 62
    with mlc.config.change_flags(cache_dir=str(tmp_path)):
        p = _holder(tmp_path, key)
        try:
            # a live holder: the wait is bounded, then this process goes on
            monkeypatch.setattr(cache, "LOCK_WAIT_SECONDS", 0.5)
            start = time.monotonic()
            with cache.compiling(key):
                pass
            assert 0.4 < time.monotonic() - start < 10
        finally:
            p.kill()  # kill -9 while holding the lock
            p.wait()
        monkeypatch.setattr(cache, "LOCK_WAIT_SECONDS", 60)
        start = time.monotonic()
        with cache.compiling(key):
            pass
        assert time.monotonic() - start < 5  # the kernel dropped the dead holder's lock


def test_orphaned_temporary_files_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = tmp_path / f"v{cache.FORMAT_VERSION}" / "ab"
    folder.mkdir(parents=True)
    orphan = folder / f".tmp-{dead.pid}-x1.mlco"  # its writer was killed
    stale = folder / f".tmp-{os.getpid()}-x2.mlco"  # a live pid, but two hours old
    fresh = folder / f".tmp-{os.getpid()}-x3.mlco"  # being written right now
    for f in (orphan, stale, fresh):
        f.write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert cache.remove_orphans(str(tmp_path)) == 2
    assert not orphan.exists() and not stale.exists() and fresh.exists()
    # a process's first write to the cache sweeps it
    orphan.write_bytes(b"partial")
    cache._swept.discard(str(tmp_path))
    with mlc.config.change_flags(cache_dir=str(tmp_path)):
        assert cache.disk_put("cd" + "0" * 62, cache.Entry(b"obj", {}))
    assert not orphan.exists()


def test_an_entry_of_another_function_is_never_loaded(tmp_path):
    x = T.dvector("x")
    with mlc.config.change_flags(cache_dir=str(tmp_path)):
        mlc.function([x], x * 2)
        mlc.function([x], x * 3)
        entries = sorted((tmp_path / f"v{cache.FORMAT_VERSION}").rglob("*.mlco"), key=os.path.getmtime)
        assert len(entries) >= 4  # per function: its program key and its LLVM IR key
        for path in entries:  # every entry replaced by the first function's program entry
            if path != entries[0]:
                shutil.copyfile(entries[0], path)
        cache.memory.clear()
        cache.stats.reset()
        f3 = mlc.function([x], x * 3)
        np.testing.assert_array_equal(f3([1.0, 2.0]), [3.0, 6.0])
        assert cache.stats.compiles == 1 and cache.stats.disk_hits == 0
