"""Smoke test of the benchmark harness (bench/run.py): it runs, prints its
tables and writes valid JSON with ratios. No timing is asserted."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bench_quick_runs(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "run.py"), "--quick", "--only", "W0,W1,W2",
         "--impls", "numpy,mlc", "--repeat", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "MLC_FLAGS": f"cache_dir={tmp_path / 'cache'}"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| row | workload | numpy ms | mlc |" in proc.stdout
    assert "GB/s" in proc.stdout and "GFLOP/s" in proc.stdout  # the machine's limits
    data = json.loads(out.read_text())
    assert data["machine"]["copy_GBps"] > 0 and data["machine"]["gemm_float32_GFLOPs"] > 0
    rows = {row["key"]: row for row in data["workloads"]}
    assert set(rows) == {"W0", "W1", "W2"}
    for key, row in rows.items():
        numpy_res, mlc_res = row["results"]["numpy"], row["results"]["mlc"]
        assert numpy_res["status"] == "ok" and numpy_res["ratio"] == 1.0
        assert mlc_res["status"] == "ok", (key, mlc_res)
        assert mlc_res["ratio"] > 0 and mlc_res["time_s"] > 0 and mlc_res["compile_s"] >= 0
        assert mlc_res["max_err"] < 1e-4, (key, mlc_res)
        assert f"| {key} |" in proc.stdout
    assert data["compile_latency"] == []  # W8 not selected
