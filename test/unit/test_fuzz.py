"""The fuzzers of test/fuzz: their fixed-seed slice (CI), and the vocabulary table's rows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
sys.path.insert(0, str(FUZZ))


def test_fixed_seed_slice_of_every_fuzzer(tmp_path):
    # graphs vs numpy, gradients vs finite differences, mlc-opt on mutated lit
    # files, bad calls: each case in a worker process, so a crash is counted.
    p = subprocess.run([sys.executable, str(FUZZ / "run.py"), "--slice", "--jobs", "1", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    print(p.stdout)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "crashes:             0" in p.stdout
    tried = int(re.search(r"graphs tried: +(\d+)", p.stdout).group(1))
    assert 40 <= tried <= 64, tried  # 2 batches of 32 (a graph whose every step numpy refused is dropped)


@pytest.mark.parametrize("name", [r.name for r in __import__("vocabulary").ROWS])
def test_every_row_builds_and_matches_its_reference_in_python(name):
    # Each row's mlc and numpy code agree on a small input (REFERENCE mode:
    # no compile), so a typo in the table cannot hide behind skipped steps.
    import mlc
    from graphs import Builder, Step, _accept
    from vocabulary import BY_NAME

    row = BY_NAME[name]
    rng = np.random.default_rng(0)
    for attempt in range(40):
        b = Builder()
        dtype = "int64" if row.dtypes == "int" else "float64"
        shape = [(3, 2), (2, 3), (3, 3), (2, 2)][attempt % 4]
        args = [b.add_input(f"i{k}", dtype, (False, False), (rng.integers(-4, 5, size=shape)).astype(dtype))
                for k in range(row.arity)]
        p = row.param(rng, args) if row.param else None
        if row.param and (p is None or isinstance(p, str) and p == "skip"):
            continue
        v = b.apply(Step("out", name, tuple(a.name for a in args), int(p) if isinstance(p, np.integer) else p))
        _accept(v)
        got = mlc.function([a.var for a in args], v.var, mode="REFERENCE")(*[a.ref for a in args])
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), v.ref.astype(np.float64), rtol=1e-6, atol=1e-9)
        return
    pytest.fail(f"row {name}: its parameter never applied")
