"""Issue 16: defects found by the fuzzers, each kept as a regression test."""

from __future__ import annotations

import numpy as np
import pytest

import mlc
import mlc.tensor as T


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_reshape_to_static_shape_fuses(dtype):
    # fuse-elementwise read element 0 of `reshape(b, (1,))` (a cast of a
    # tensor<?x..>) and raveled the position against the dynamic shape.
    a, b = T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)
    f = mlc.function([a, b], a + T.reshape(b, (1,)))
    np.testing.assert_array_equal(f(np.array([1, 2], dtype), np.array([3], dtype)), [4, 5])


def test_grad_with_empty_constant_compiles():
    # reuse-buffers replaced a buffer whose cast came first by one allocated
    # later: convert-to-llvm then met a cast of a not-yet-lowered memref.
    v, M = T.dvector("v"), T.dmatrix("M")
    cost = (T.constant(np.zeros((8, 0))) * (M / v.dot(M))).sum()
    f = mlc.function([v, M], mlc.grad(cost, [v, M]))
    gv, gM = f(np.ones(8), np.ones((8, 0)))
    assert gv.shape == (8,) and gM.shape == (8, 0)
    np.testing.assert_array_equal(gv, 0)


THREADS_SCRIPT = r"""
import sys, tempfile, threading
import numpy as np
import mlc, mlc.tensor as T
mlc.config.cache_dir = sys.argv[1]
errors = []
start = threading.Barrier(8)

def work(k):
    try:
        x = T.dmatrix("x")
        c = float(k % 4)  # threads k and k + 4 compile the same function
        f_graph = (T.exp(x) * c + T.tanh(x)).sum(axis=0) + T.dot(x, x.T).sum()
        start.wait()
        f = mlc.function([x], f_graph)
        a = np.random.default_rng(k).random((64, 300))
        np.testing.assert_allclose(f(a), (np.exp(a) * c + np.tanh(a)).sum(0) + (a @ a.T).sum(), rtol=1e-10)
    except BaseException as e:
        errors.append(f"thread {k}: {type(e).__name__}: {e}")

threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(errors) or "ok")
"""


def test_eight_threads_compile_at_once(tmp_path):
    # A fresh process: the thread pool's symbols are registered by the first
    # compile (another thread used to see them missing), and nothing is cached.
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "ok", p.stdout


JIT_MEMORY_SCRIPT = r"""
import gc, json, sys, weakref
import numpy as np
import mlc, mlc.tensor as T
from mlc.runtime import cache, cpu
mlc.config.cache_dir = ""
cache.memory.capacity = 8
if sys.argv[1] == "prefix":  # the code before the fix: every compile's pass pipeline stays in memory
    cpu.dispose_pass_manager = lambda pm: None

def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])

IR = "define void @f(ptr %%out) {\n  store double %r, ptr %%out\n  ret void\n}\n"

def compile_one(i):
    c = cpu.compile_module(IR % (i + 0.5), ["f"])
    out = np.zeros(())
    c.call("f", [out])
    assert out == i + 0.5, (out, i)
    return c

x = T.dvector("x")
f = mlc.function([x], (x * 2.0).sum())  # compiled first: its module leaves the cache below
held = compile_one(-1)["f"]              # a callable of a module that leaves the cache
dropped = weakref.ref(compile_one(-2))   # a module nothing uses once it leaves the cache
for i in range(15):                      # warm-up (allocator, LLVM's one-time state)
    compile_one(i)
gc.collect()
before = rss_kb()
n = 60
for i in range(15, 15 + n):
    compile_one(i)
gc.collect()
growth = (rss_kb() - before) / n
out = np.zeros(())
held(out)
print(json.dumps({"growth_kb": growth, "f": float(f(np.arange(4.0))), "held": float(out),
                  "dropped_alive": dropped() is not None, "cached": len(cache.memory)}))
"""


def test_evicted_modules_free_their_jit_memory():
    # Each compile used to keep ~85 KB for good (llvmlite never frees a pass
    # pipeline: cpu.dispose_pass_manager), so 60 compiles with a cache of 8
    # added 22 MB. Fresh process: the resident set of this one says nothing.
    import json
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", JIT_MEMORY_SCRIPT, "fixed"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["cached"] == 8
    assert not r["dropped_alive"]  # evicted and unused: freed (its engine with it)
    assert r["f"] == 12.0 and r["held"] == -0.5  # evicted but still used: still works
    # measured 2-3 KB per compile (llvmlite's leaked PassInstrumentationCallbacks); 57 KB with the
    # script's "prefix" argument (the code before the fix)
    assert r["growth_kb"] < 20, r


def test_huge_temporaries_raise_memory_error():
    # Temporaries used to be allocated unchecked: NULL (or a wrapped size) was
    # written through and the process died with SIGSEGV.
    n = T.lscalar("n")
    f = mlc.function([n], T.arange(n).sum())
    assert f(10) == 45
    with pytest.raises(MemoryError, match="8796093022208 bytes"):
        f(2**40)  # 8 TiB: the allocator says no
    with pytest.raises(MemoryError, match="overflows"):
        f(2**62)  # 2^62 elements * 8 bytes wraps around 2^64
    g = mlc.function([n], T.zeros((n, n)).sum())
    with pytest.raises(MemoryError):
        g(2**20)
    with pytest.raises(MemoryError, match="overflows"):
        g(2**32)
    # the functions still work afterwards
    assert f(5) == 10 and g(3) == 0


def test_grad_of_minimum_maximum_counts_ties_for_both_operands():
    # Kept as Theano does it (documented in maximum/minimum): at a tie both operands get the gradient.
    a, b = T.dvector("a"), T.dvector("b")
    ga, gb = mlc.function([a, b], mlc.grad(T.minimum(T.maximum(a, b), b).sum(), [a, b]))([1.0, 2.0], [1.0, 1.0])
    # element 0 ties everywhere: a gets 1 through max, b gets 1 directly plus 1 through max (a
    # subgradient would give 1 in total); element 1 (a=2 > b=1): min picks b, nothing reaches a.
    np.testing.assert_array_equal(ga, [1.0, 0.0])
    np.testing.assert_array_equal(gb, [2.0, 1.0])
    assert "Theano's convention" in T.maximum.__doc__ and "Theano's convention" in T.minimum.__doc__
