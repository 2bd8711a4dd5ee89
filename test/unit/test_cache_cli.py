"""The disk cache's size limit (least recently used eviction) and `python -m mlc.cache`."""

from __future__ import annotations

import os

import mlc
from mlc import cache as cli
from mlc.runtime import cache


def _fill(root, n, size):
    paths = []
    for k in range(n):
        key = f"{k:02d}" + "0" * 62
        path = cache.entry_path(str(root), key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(b"x" * size)
        os.utime(path, (1000 + k, 1000 + k))  # entry k was used at time 1000 + k
        paths.append(path)
    return paths


def test_eviction_removes_least_recently_used_first(tmp_path):
    paths = _fill(tmp_path, 6, 300_000)
    os.utime(paths[0], (5000, 5000))  # entry 0 was just used
    removed = cache.evict(str(tmp_path), max_mb=1.0)  # 6 x 0.29 MB > 1 MB: keep 3
    assert removed == 3
    left = {p for p, _, _ in cache.disk_entries(str(tmp_path))}
    assert left == {paths[0], paths[4], paths[5]}
    assert cache.evict(str(tmp_path), max_mb=0) == 0  # 0: no limit


def test_cli_list_stats_clear(tmp_path, capsys):
    _fill(tmp_path, 3, 1000)
    with mlc.config.change_flags(cache_dir=str(tmp_path)):
        assert cli.main(["stats"]) == 0
        out = capsys.readouterr().out
        assert "entries: 3" in out and str(tmp_path) in out and "limit:" in out
        assert cli.main(["list"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 3 and lines[0].startswith("02")  # most recently used first
        assert cli.main(["clear"]) == 0
        assert "removed 3 entries" in capsys.readouterr().out
        assert cache.disk_entries(str(tmp_path)) == []
        assert cli.main(["frobnicate"]) == 2


def test_a_compile_writes_and_respects_the_limit(tmp_path):
    import mlc.tensor as T

    with mlc.config.change_flags(cache_dir=str(tmp_path), cache_max_mb=0.004):  # about one small entry
        x = T.dvector("x")
        mlc.function([x], T.cosh(x) * 3)
        mlc.function([x], T.sinh(x) * 5)
        total = sum(size for _, size, _ in cache.disk_entries(str(tmp_path)))
        assert 0 < total <= 0.004 * 1024 * 1024
