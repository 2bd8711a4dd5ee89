"""Profiling: ProfileStats in Theano's layout, kernels timed in native code, compile time per pass."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np

import mlc
import mlc.tensor as T
from mlc.compile.profiling import ProfileStats
from mlc.printing import Print


def _layer():
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    return [x, W, b], T.tanh(T.dot(x, W) + b).sum(axis=1)


def test_profile_summary_has_theanos_sections_and_native_kernels():
    ins, out = _layer()
    f = mlc.function(ins, out, profile=True, name="layer")
    args = [np.ones((4, 3)), np.ones((3, 5)), np.ones(5)]
    for _ in range(3):
        assert np.allclose(f(*args), 5 * np.tanh(4.0))
    p = f.profile
    assert p.fct_callcount == 3 and p.fct_call_time > 0 and p.compile_time > 0
    kinds = {k.kind for k in p.apply_time}
    assert {"blas", "loop nest"} <= kinds
    assert all(p.apply_callcount[k] == 3 for k in p.apply_time)
    buf = io.StringIO()
    p.summary(file=buf)
    text = buf.getvalue()
    for part in ("Function profiling", "Message: layer", "Time in 3 calls to Function.__call__",
                 "Time in thunks", "Total compile time", "Class\n---", "Ops\n---", "Apply\n------",
                 "<% time> <sum %> <apply time> <time per call> <type> <#call> <#apply> <Class name>",
                 "blas.gemm", "reduction{addf,tanh,addf}", "Optimizer Profile", "convert-to-llvm"):
        assert part in text, part


def test_only_profiled_code_has_timer_calls():
    ins, out = _layer()
    plain = mlc.function(ins, out)
    profiled = mlc.function(ins, out, profile=True)
    assert not plain.program.profiled and profiled.program.profiled
    assert "mlc_prof_enter" not in plain.program.compiled.llvm_ir
    if profiled.program.compiled.llvm_ir:  # (empty when the object code came from the disk cache)
        assert "mlc_prof_enter" in profiled.program.compiled.llvm_ir
    assert plain.program.compiled is not profiled.program.compiled


def test_profile_stats_shared_between_functions_and_host_ops():
    shared = ProfileStats(atexit_print=False, message="both")
    x = T.dvector("x")
    f = mlc.function([x], (x * 2).sum(), profile=shared)
    g = mlc.function([x], Print("v", attrs=("shape",))(x) + 1, profile=shared)
    f(np.ones(3))
    g(np.ones(3))
    g(np.ones(3))
    assert shared.fct_callcount == 3 and f.profile is g.profile is shared
    host = [k for k in shared.apply_time if k.kind == "host"]
    assert host and shared.apply_callcount[host[0]] == 2


def test_config_profile_prints_at_exit_and_profile_optimizer():
    script = ("import numpy as np, mlc, mlc.tensor as T\n"
              "x = T.dvector('x')\n"
              "f = mlc.function([x], T.exp(x).sum(), name='expsum')\n"
              "f(np.ones(4))\n")
    env = dict(os.environ, MLC_FLAGS=f"profile=True,profile_optimizer=True,cache_dir={mlc.config.cache_dir}")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    assert "Optimizer profile of function 'expsum'" in out.stderr
    assert "Function profiling" in out.stderr and "Message: expsum" in out.stderr


def test_profiled_calls_from_two_threads_keep_their_timings_apart():
    """Timers are the process's: each profiled call holds them; each thread reports to its own stats."""
    import threading

    ins, out = _layer()
    f = mlc.function(ins, out, profile=True, name="f")
    g = mlc.function(ins, out * 2, profile=True, name="g")
    shared = ProfileStats(atexit_print=False)
    h = mlc.function(ins, out + 1, profile=shared)
    h2 = mlc.function(ins, out - 1, profile=shared)
    args = [np.ones((64, 48)), np.ones((48, 64)), np.ones(64)]
    n = 40
    errors = []

    def loop(fn):
        try:
            for _ in range(n):
                fn(*args)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(fn,)) for fn in (f, g, h, h2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for fn in (f, g):
        p = fn.profile
        assert p.fct_callcount == n
        assert set(p.apply_time) <= set(fn.program.kernels())  # no other function's rows
        assert p.apply_time and all(p.apply_callcount[k] == n for k in p.apply_time)
    assert shared.fct_callcount == 2 * n
    assert all(shared.apply_callcount[k] == n for k in shared.apply_time)


def test_kernel_rows_name_the_users_line():
    import inspect

    x, W = T.dmatrix("x"), T.dmatrix("W")
    h = T.tanh(T.dot(x, W) + 1.0); dot_line = inspect.currentframe().f_lineno  # noqa: E702
    y = (h * 2).sum(axis=1); sum_line = inspect.currentframe().f_lineno  # noqa: E702
    f = mlc.function([x, W], y, profile=True)
    f(np.ones((3, 4)), np.ones((4, 5)))
    rows = {str(k) for k in f.profile.apply_time}
    here = os.path.basename(__file__)
    assert any(r.startswith("blas.gemm") and r.endswith(f" at {here}:{dot_line}") for r in rows), rows
    assert any(r.startswith("reduction{") and r.endswith(f" at {here}:{dot_line}") for r in rows), rows
    assert any(r.endswith(f" at {here}:{sum_line}") for r in rows), rows
    buf = io.StringIO()
    f.profile.summary(file=buf)
    assert f"blas.gemm #0 at {here}:{dot_line}" in buf.getvalue()
    # the code from the compile cache (no pass ran): the kernels are numbered and located again
    g = mlc.function([x, W], y, profile=True)
    g(np.ones((3, 4)), np.ones((4, 5)))
    assert {str(k) for k in g.profile.apply_time} == rows
