"""The CPU performance machinery: compile cache, fast call path, vector math, parallel loops.

No timing is asserted here (the benchmark harness in bench/ measures);
these tests check that each mechanism is used and never changes a result
or an error: the disk cache across processes and against corrupt entries,
the fast call path against every argument check, the vector math library
against float64 numpy (ulp error, special values), reductions against
numpy, the thread pool against one thread, and after fork().
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.cache_key import describe_graph
from mlc.compile.function import FunctionGraph
from mlc.runtime import cache, parallel
from mlc.runtime.cpu import compile_module

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ADD_ONE = """
define void @f(ptr noalias %a, i64 %n, ptr noalias %o, i64 %m) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %exit, label %loop
loop:
  %i = phi i64 [0, %entry], [%i1, %loop]
  %p = getelementptr inbounds double, ptr %a, i64 %i
  %x = load double, ptr %p
  %y = fadd double %x, 1.0
  %q = getelementptr inbounds double, ptr %o, i64 %i
  store double %y, ptr %q
  %i1 = add i64 %i, 1
  %c = icmp slt i64 %i1, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}
"""


@pytest.fixture
def cache_dir(tmp_path):
    """A fresh, empty disk cache; the in-process cache emptied around the test."""
    cache.memory.clear()
    cache.stats.reset()
    with mlc.config.change_flags(cache_dir=str(tmp_path / "cache")):
        yield tmp_path / "cache"
    cache.memory.clear()


def entry_files(root) -> list:
    return sorted(p for p in root.rglob("*.mlco"))


# ---------------------------------------------------------------------------
# Compile cache
# ---------------------------------------------------------------------------


def test_compile_module_memory_then_disk_cache(cache_dir):
    a = np.arange(5.0)
    out = np.empty(5)
    first = compile_module(ADD_ONE, ["f"])
    assert (cache.stats.compiles, cache.stats.disk_writes) == (1, 1)
    assert compile_module(ADD_ONE, ["f"]) is first  # same IR in this process: same module
    assert cache.stats.memory_hits == 1
    cache.memory.clear()
    again = compile_module(ADD_ONE, ["f"])  # from the object file on disk, no LLVM
    assert again is not first and cache.stats.disk_hits == 1 and cache.stats.compiles == 1
    again["f"](a, out)
    np.testing.assert_array_equal(out, a + 1)
    assert "define void @f" in again.ir  # the IR is re-derived on demand
    assert not list(cache_dir.rglob(".tmp-*"))  # atomic writes leave no temporary files


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_corrupt_entry_is_ignored_and_rebuilt(cache_dir, damage):
    compile_module(ADD_ONE, ["f"])
    (path,) = entry_files(cache_dir)
    data = path.read_bytes()
    damaged = {"truncate": data[: len(data) // 2], "flip": data[:-10] + bytes([data[-10] ^ 1]) + data[-9:],
               "empty": b"", "garbage": b"not an entry at all" * 10}[damage]
    path.write_bytes(damaged)
    cache.memory.clear()
    compiled = compile_module(ADD_ONE, ["f"])
    assert cache.stats.compiles == 2 and cache.stats.disk_hits == 0
    assert path.read_bytes() == data  # rewritten
    out = np.empty(3)
    compiled["f"](np.zeros(3), out)
    np.testing.assert_array_equal(out, 1.0)


def test_entry_decode_rejects_bad_data():
    entry = cache.Entry(b"\x7fELF object", {"f": [[1, ["<f8"], [None]]]}, ["sin"])
    data = entry.encode()
    assert cache.Entry.decode(data) == entry
    assert cache.Entry.decode(data[:-1]) is None
    assert cache.Entry.decode(b"XXXX" + data[4:]) is None
    assert cache.Entry.decode(data + b"extra") is None


def test_unwritable_cache_dir_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    cache.memory.clear()
    with mlc.config.change_flags(cache_dir=str(blocker / "cache")):
        compiled = compile_module(ADD_ONE, ["f"])
    out = np.empty(2)
    compiled["f"](np.ones(2), out)
    np.testing.assert_array_equal(out, 2.0)


def test_same_graph_twice_in_process_reuses_the_program(cache_dir):
    x = T.dvector("x")
    f = mlc.function([x], T.exp(x) + 1)
    compiles = cache.stats.compiles
    g = mlc.function([x], T.exp(x) + 1)
    assert cache.stats.compiles == compiles and cache.stats.memory_hits >= 1
    assert g.program.compiled is f.program.compiled
    np.testing.assert_allclose(g(np.arange(3.0)), np.exp(np.arange(3.0)) + 1)


def test_graph_description_covers_what_changes_the_code():
    def describe(build, mode="FAST_RUN"):
        x = T.fvector("x")
        y = build(x)
        return describe_graph(FunctionGraph([x], [y], [], {}, "raise"), mode)

    base = describe(lambda x: x * 2 + 1)
    assert base == describe(lambda x: x * 2 + 1)
    assert base != describe(lambda x: x * 2 + 2)  # a constant's value
    assert base != describe(lambda x: x * 2 - 1)  # an op
    assert base != describe(lambda x: x * 2 + 1, mode="FAST_COMPILE")
    with mlc.config.change_flags(optimizer_excluding="fuse-elementwise"):
        assert base != describe(lambda x: x * 2 + 1)
    x64 = T.dvector("x")
    assert base != describe_graph(FunctionGraph([x64], [x64 * 2 + 1], [], {}, "raise"), "FAST_RUN")
    renamed = T.fvector("another_name")
    assert base == describe_graph(FunctionGraph([renamed], [renamed * 2 + 1], [], {}, "raise"), "FAST_RUN")


CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import mlc, mlc.tensor as T
    from mlc.runtime import cache
    x, y = T.fvector("x"), T.fvector("y")
    f = mlc.function([x, y], T.exp(2 * x * y + y) * T.tanh(x) + T.log1p(x * x))
    a = np.linspace(-1, 1, 1000, dtype=np.float32)
    print(json.dumps({"stats": vars(cache.stats), "sum": float(f(a, a).astype(np.float64).sum()),
                      "xdsl": "xdsl.ir" in sys.modules}))
""")


def test_second_process_loads_the_object_code(tmp_path):
    env = dict(os.environ, MLC_FLAGS=f"cache_dir={tmp_path / 'cache'}")

    def child() -> dict:
        proc = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    cold, warm = child(), child()
    assert cold["stats"]["compiles"] >= 1 and cold["stats"]["disk_writes"] >= 1
    assert warm["stats"]["compiles"] == 0 and warm["stats"]["disk_hits"] >= 1
    assert not warm["xdsl"]  # a cached program is loaded without building any IR
    assert warm["sum"] == cold["sum"]


# ---------------------------------------------------------------------------
# Fast call path
# ---------------------------------------------------------------------------


def test_fast_path_is_used_and_gives_the_same_results():
    x = T.fvector("x")
    W = mlc.shared(np.arange(4, dtype=np.float32), "W")
    f = mlc.function([x], [x + W, (x * W).sum()])
    a = np.ones(4, np.float32)
    first = f(a)
    assert f._fast is not None and len(f._fast.plans) == 1
    for _ in range(3):
        again = f(a)
        np.testing.assert_array_equal(again[0], first[0])
        assert again[1] == first[1] and again[0] is not first[0]  # fresh outputs every call
    W.set_value(np.full(4, 2, np.float32))
    np.testing.assert_array_equal(f(a)[0], a + 2)  # shared values are read at each call


@pytest.mark.parametrize("calls", [2, 9])
def test_fast_path_keeps_every_argument_check(calls):
    """After 2 calls the Python fast path answers; after 9 the native entry (mlc.compile.dispatch)."""
    from mlc.compile.function import DISPATCH_AFTER_CALLS

    x = T.fmatrix("x")
    v = T.frow("v")  # broadcastable first dim
    f = mlc.function([x, v], x + v)
    good_x, good_v = np.ones((3, 4), np.float32), np.ones((1, 4), np.float32)
    for _ in range(calls):
        f(good_x, good_v)  # the shapes are learned now
    assert (f._dispatch is not None) == (calls > DISPATCH_AFTER_CALLS)
    with pytest.raises(TypeError, match="expected at most 2 arguments"):
        f(good_x, good_v, good_v)
    with pytest.raises(TypeError, match="missing argument"):
        f(good_x)
    with pytest.raises(TypeError, match="dtype"):
        f(good_x.astype(np.float64), good_v)
    with pytest.raises(TypeError, match="2-d"):
        f(np.ones(4, np.float32), good_v)
    with pytest.raises(TypeError, match="broadcastable"):
        f(good_x, np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match="do not match in dimension 1"):
        f(good_x, np.ones((1, 5), np.float32))
    # converted by the full path: lists, non-contiguous arrays, subclasses, keywords
    np.testing.assert_array_equal(f([[1.0] * 4] * 3, good_v), 2.0)
    np.testing.assert_array_equal(f(np.ones((4, 3), np.float32).T, good_v), 2.0)
    np.testing.assert_array_equal(f(x=good_x, v=good_v), 2.0)

    class Sub(np.ndarray):
        pass

    np.testing.assert_array_equal(f(good_x.view(Sub), good_v), 2.0)


def test_fast_path_with_updates():
    x = T.dvector("x")
    acc = mlc.shared(np.zeros(3), "acc")
    step = mlc.function([x], acc.sum(), updates=[(acc, acc + x)])
    for k in range(4):
        assert step(np.ones(3)) == 3.0 * k
    np.testing.assert_array_equal(acc.get_value(), 4.0)


def test_fast_path_with_updates_in_place():
    """W -= lr * g writes into W's storage; an argument overlapping it takes the full path (copied)."""
    x = T.dvector("x")
    W = mlc.shared(np.zeros(4), "W")
    step = mlc.function([x], (W * x).sum(), updates=[(W, W + x)])
    assert any(j >= 0 for j in step.program.in_place)
    storage = W.get_value(borrow=True)
    for k in range(3):
        assert step(np.ones(4)) == 4.0 * k  # the old W, then W + x
    assert W.get_value(borrow=True) is storage  # updated where it lives
    np.testing.assert_array_equal(storage, 3.0)
    view = W.get_value(borrow=True)[:]  # overlaps W: must read the old values
    assert step(view) == (3.0 * 3.0) * 4
    np.testing.assert_array_equal(W.get_value(), 6.0)
    assert step(W.get_value(borrow=True)) == 6.0 * 6.0 * 4  # W itself as the argument
    np.testing.assert_array_equal(W.get_value(), 12.0)


def test_concurrent_calls_from_threads():
    x = T.dvector("x")
    f = mlc.function([x], T.sqrt(x * x + 1))
    data = [np.random.default_rng(k).random(200_000) for k in range(4)]
    f(data[0])
    results: dict[int, np.ndarray] = {}

    def work(k):
        for _ in range(3):
            results[k] = f(data[k])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        np.testing.assert_allclose(results[k], np.sqrt(data[k] ** 2 + 1))


# ---------------------------------------------------------------------------
# Vector math (float32)
# ---------------------------------------------------------------------------

MATH = {
    "exp": (T.exp, np.exp, [(-104, 89), (-1, 1)], 1.0),
    "log": (T.log, np.log, [(1e-30, 1e30), (0.5, 2)], 1.0),
    "log1p": (T.log1p, np.log1p, [(-0.999, 10), (-1e-6, 1e-6), (1e3, 1e30)], 1.0),
    "expm1": (T.expm1, np.expm1, [(-20, 20), (-0.6, 0.6), (-1e-5, 1e-5)], 1.0),
    "tanh": (T.tanh, np.tanh, [(-10, 10), (-0.01, 0.01)], 1.0),
    "sin": (T.sin, np.sin, [(-100, 100)], 2.0),
    "cos": (T.cos, np.cos, [(-100, 100)], 2.0),
}

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, 1e-45, -1e-45, 1e-30, 88.7, 89.0,
                    -103.9, -120.0, 3e38, -3e38, 0.5, -0.5], np.float32)


def ulp_error(got: np.ndarray, exact: np.ndarray) -> float:
    ok = np.isfinite(exact) & (np.abs(exact) < 3.4e38)
    exact = np.where(ok, exact, 0.0)
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    ulp = np.maximum(ulp, np.spacing(np.float32(0)))
    return float(np.max(np.abs(got.astype(np.float64)[ok] - exact[ok]) / ulp[ok]))


@pytest.mark.parametrize("name", sorted(MATH))
def test_float32_math_accuracy(name):
    op, ref, ranges, bound = MATH[name]
    x = T.fvector("x")
    f = mlc.function([x], op(x))
    rng = np.random.default_rng(0)
    for lo, hi in ranges:
        if lo > 0 and hi / lo > 1e3:  # log-uniform over many decades
            a = np.exp(rng.uniform(np.log(lo), np.log(hi), 200_000)).astype(np.float32)
        else:
            a = rng.uniform(lo, hi, 200_000).astype(np.float32)
        assert ulp_error(f(a), ref(a.astype(np.float64))) <= bound, (name, lo, hi)
    with np.errstate(all="ignore"):
        want = ref(SPECIAL.astype(np.float64)).astype(np.float32)
    got = f(SPECIAL)
    # Exact only where the answer is a special value (nan, inf, signed zero);
    # elsewhere the documented ulp bound, since libm and libmvec differ by CPU.
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    special = np.isinf(want) | (want == 0)
    np.testing.assert_array_equal(got[special], want[special])
    np.testing.assert_array_equal(np.signbit(got[special]), np.signbit(want[special]))  # -0.0 kept
    with np.errstate(all="ignore"):
        exact = ref(SPECIAL.astype(np.float64))
    normal = np.isfinite(want) & (want != 0)
    assert ulp_error(got[normal], exact[normal]) <= bound, (name, SPECIAL[normal], got[normal])


def test_float32_transcendentals_vectorize():
    x = T.fvector("x")
    f = mlc.function([x], T.exp(x) * T.tanh(x) + T.log1p(x * x))
    ir = f.dump_ir("llvm-ir")
    assert "x double>" in ir  # the float64 evaluation runs on vectors
    for libm in ("@expf(", "@tanhf(", "@log1pf("):
        assert libm not in ir  # no scalar libm call per element


# ---------------------------------------------------------------------------
# Reductions and parallel loops
# ---------------------------------------------------------------------------


@pytest.fixture
def threads():
    """Run with 4 pool threads (more than this machine may have: still correct), then restore."""
    before = parallel.num_threads()
    parallel.set_num_threads(4)
    yield 4
    parallel.set_num_threads(before)


def test_float32_sums_are_reassociated_and_accurate():
    X = T.fmatrix("X")
    f = mlc.function([X], [X.sum(), (X ** 2).sum(axis=1), X.max(axis=0)])
    assert "reassoc" in f.dump_ir("llvm-ir")
    a = np.random.default_rng(1).standard_normal((1000, 300)).astype(np.float32)
    total, rowsq, colmax = f(a)
    exact = a.astype(np.float64).sum()
    assert abs(float(total) - exact) <= np.spacing(np.float32(abs(exact))) * 1  # float64 accumulation
    np.testing.assert_allclose(rowsq, (a.astype(np.float64) ** 2).sum(axis=1), rtol=1e-6)
    np.testing.assert_array_equal(colmax, a.max(axis=0))
    with mlc.config.change_flags(optimizer_excluding="reassociate-reductions"):
        g = mlc.function([X], X.sum())
    assert "reassoc" not in g.dump_ir("llvm-ir")
    assert abs(float(g(a)) - exact) <= np.spacing(np.float32(abs(exact)))


def test_parallel_loops_match_numpy(threads):
    rng = np.random.default_rng(2)
    x, y = T.fvector("x"), T.fvector("y")
    X = T.dmatrix("X")
    iv = T.lvector("iv")
    f = mlc.function([x, y], T.exp(2 * x * y + y) * T.tanh(x) + T.log1p(x * x))
    g = mlc.function([X], [X.sum(), X.sum(axis=0), X.sum(axis=1), X.max(), X.min(), X.prod(axis=1)])
    h = mlc.function([iv], [iv.sum(), iv.max()])
    a, b = rng.uniform(-1, 1, 3_000_001).astype(np.float32), rng.uniform(0, 1, 3_000_001).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    want = np.exp(2 * a64 * b64 + b64) * np.tanh(a64) + np.log1p(a64 * a64)
    np.testing.assert_allclose(f(a, b), want, rtol=1e-6, atol=1e-6)  # the terms cancel near 0
    assert parallel.threads_started() > 1
    M = rng.uniform(0.5, 1.5, (1500, 700))
    got = g(M)
    for value, expect in zip(got, [M.sum(), M.sum(axis=0), M.sum(axis=1), M.max(), M.min(), M.prod(axis=1)]):
        np.testing.assert_allclose(value, expect, rtol=1e-12)
    M[700, 3] = np.nan
    assert np.isnan(g(M)[3])  # nan propagates through a parallel max
    ints = rng.integers(-1000, 1000, 2_000_000)
    s, m = h(ints)
    assert s == ints.sum() and m == ints.max()


def test_parallel_results_are_deterministic_per_thread_count(threads):
    """Chunk boundaries depend on the loop alone (not on the threads or on
    which thread takes which chunk), so a parallel reduction gives the same
    bits with 1, 2, 4 or 16 threads (more threads than cores: oversubscribed)."""
    X = T.fvector("x")
    f = mlc.function([X], [(X * X).sum(), T.exp(X * 0.1).sum()])
    a = np.random.default_rng(3).standard_normal(5_000_000).astype(np.float32)
    runs = set()
    for n in (4, 1, 2, 16, 4):
        parallel.set_num_threads(n)
        runs |= {b"".join(r.tobytes() for r in f(a)) for _ in range(3)}
    assert len(runs) == 1
    np.testing.assert_allclose(f(a)[0], (a.astype(np.float64) ** 2).sum(), rtol=1e-6)


def test_num_threads_setting():
    """`mlc.set_num_threads`, `config.num_threads` (0: all CPUs) and the pool follow each other."""
    before = mlc.config.num_threads
    try:
        mlc.set_num_threads(3)
        assert mlc.config.num_threads == 3 and parallel.num_threads() == 3 == mlc.get_num_threads()
        with mlc.config.change_flags(num_threads=1):
            assert parallel.num_threads() == 1
        assert parallel.num_threads() == 3
        mlc.config.num_threads = 0
        assert parallel.num_threads() == parallel.default_threads()
        with pytest.raises(ValueError, match="non-negative integer"):
            mlc.config.num_threads = -2
    finally:
        mlc.config.num_threads = before


def test_small_calls_run_inline():
    """Below the size threshold nothing wakes a thread: a fresh process never starts one."""
    code = textwrap.dedent("""
        import numpy as np, mlc, mlc.tensor as T
        from mlc.runtime import parallel
        x = T.dvector("x")
        f = mlc.function([x], T.exp(x).sum())
        for _ in range(100):
            f(np.ones(1000))
        print(parallel.threads_started())
    """)
    env = dict(os.environ, MLC_NUM_THREADS="8")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "1"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_parallel_loops_after_fork(threads):
    x = T.dvector("x")
    f = mlc.function([x], T.sqrt(x).sum())
    a = np.arange(4_000_000, dtype=np.float64)
    want = f(a)
    assert parallel.threads_started() > 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's pool threads do not exist here
        try:
            os.write(write, f(a).tobytes())
        finally:
            os._exit(0)
    os.close(write)
    data = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert np.frombuffer(data, np.float64)[0] == want


def test_num_threads_validation():
    with pytest.raises(ValueError, match="positive integer"):
        parallel.set_num_threads(0)


def test_shape_walks_stop_after_warm_up_while_the_index_changes(monkeypatch):
    """A Theano training step: minibatch `data[i*bs:(i+1)*bs]` by givens, labels
    indexed by arange(n). Each new i used to miss the shape cache and walk the
    whole graph's shape rules in Python; now only the value-reading rules (the
    slices, arange) rerun, and the walk happens again only when a shape changes."""
    rng = np.random.default_rng(5)
    data = mlc.shared(rng.random((103, 6)), "data")
    labels = mlc.shared(rng.integers(0, 3, 103).astype("int32"), "labels")
    W = mlc.shared(np.zeros((6, 3)), "W")
    i = T.lscalar("i")
    x, y = T.dmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(x, W))
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    bs = 10
    step = mlc.function([i], nll, updates=[(W, W - 0.1 * mlc.grad(nll, W))],
                        givens={x: data[i * bs:(i + 1) * bs], y: labels[i * bs:(i + 1) * bs]})
    plan = step.shape_plan
    from mlc.tensor import contract

    performed = []
    for cls in {type(n.op) for n in step.fgraph.nodes if type(n.op).__module__ == contract.__name__}:
        monkeypatch.setattr(cls, "perform", lambda self, node, inputs: performed.append(node) or 1 / 0)
    Wn = np.zeros((6, 3))
    for k in range(11):  # the last batch (rows 100..102) is shorter
        got = float(step(k))
        xb, yb = data.get_value()[k * bs:(k + 1) * bs], labels.get_value()[k * bs:(k + 1) * bs]
        a = xb @ Wn
        e = np.exp(a - a.max(axis=1, keepdims=True))
        pb = e / e.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(got, -np.mean(np.log(pb[np.arange(len(yb)), yb])), rtol=1e-10)
        pb[np.arange(len(yb)), yb] -= 1
        Wn = Wn - 0.1 * xb.T @ pb / len(yb)
        if k == 0:
            assert plan.walks == 1
        elif k < 10:
            assert plan.walks == 1, k  # new index, same shapes: no walk
    assert plan.walks == 2  # the short batch changed shapes
    np.testing.assert_allclose(W.get_value(), Wn, rtol=1e-10)
    assert float(step(3)) > 0 and plan.walks == 2
    step(12)  # an empty minibatch: numpy's mean of nothing is nan; checked, not crashed
    assert not performed  # no dot was ever computed in numpy to learn a shape
