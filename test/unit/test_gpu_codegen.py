"""The GPU backend without a GPU: every kernel through ptxas, kernel semantics on the CPU.

* Emulation (target='gpu-emulation'): the kernels `convert-linalg-to-gpu`
  outlines are run natively with block and thread ids as loop indices
  (`convert-gpu-to-loops`) and compared with numpy, for each op family -
  elementwise, broadcasting, reductions over each axis (row, column and
  two-pass full reductions), softmax, gather/scatter, shared-variable
  updates - at the grid edges (sizes 0, 1, 31, 32, 33, 1023, 1025). A small
  launch shape (32 threads, at most 2 blocks, 3 reduction blocks) makes the
  grid-stride loops and the partials of full reductions run several rounds;
  the default shape (256 threads) runs the whole shared-memory tree.
* PTX (target='ptx'): the same functions' kernels, assembled by ptxas for
  sm_80 and sm_90; an error fails the test; registers and spills are
  collected and printed in the pytest summary.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.target import GPUTarget

SMALL = GPUTarget(block_size=32, max_blocks=2, reduce_blocks=3)
EDGES = (0, 1, 31, 32, 33, 1023, 1025)
RNG = np.random.default_rng(14)


def emulated(inputs, outputs, updates=None, target=SMALL):
    return mlc.function(inputs, outputs, updates=updates, target="gpu-emulation", gpu_target=target)


def _close(got, want, rtol=1e-5, atol=1e-6):
    want = np.asarray(want)
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# The functions every test below compiles (one compilation each, many sizes)
# ---------------------------------------------------------------------------


def elementwise_graph():
    x, y = T.fvector("x"), T.fvector("y")
    d = T.dvector("d")
    i = T.lvector("i")
    outs = [T.exp(x) * y + 1, T.log1p(abs(x)) - T.tanh(y), T.sqrt(abs(x)) + x ** 3,
            T.switch(x > y, x, y), T.sin(d) + T.erf(d) / (1 + d * d), i * 3 - (i // 2), T.cast(x, "int32")]
    reference = [lambda x, y, d, i: np.exp(x) * y + 1,
                 lambda x, y, d, i: np.log1p(abs(x)) - np.tanh(y),
                 lambda x, y, d, i: np.sqrt(abs(x)) + x ** 3,
                 lambda x, y, d, i: np.where(x > y, x, y),
                 lambda x, y, d, i: np.sin(d) + _erf(d) / (1 + d * d),
                 lambda x, y, d, i: i * 3 - (i // 2),
                 lambda x, y, d, i: x.astype("int32")]
    return [x, y, d, i], outs, reference


def _erf(d):
    from scipy.special import erf

    return erf(d)


def reduction_graph():
    m = T.fmatrix("m")
    t = T.dtensor3("t")
    k = T.lmatrix("k")
    outs = [m.sum(axis=0), m.sum(axis=1), m.sum(), m.max(axis=1), m.min(axis=0),
            t.sum(axis=0), t.sum(axis=1), t.sum(axis=2), t.prod(axis=2), t.sum(), k.sum(axis=1), k.max(),
            T.nnet.softmax(m)]
    return [m, t, k], outs


def _softmax(m):
    e = np.exp(m - m.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def elementwise():
    ins, outs, ref = elementwise_graph()
    return emulated(ins, outs), ref


@pytest.fixture(scope="module")
def reductions():
    ins, outs = reduction_graph()
    return emulated(ins, outs)


# ---------------------------------------------------------------------------
# Emulation: values against numpy
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", EDGES)
def test_elementwise_at_grid_edges(elementwise, n):
    f, ref = elementwise
    x = RNG.normal(size=n).astype("float32")
    y = RNG.normal(size=n).astype("float32")
    d = RNG.normal(size=n)
    i = RNG.integers(-50, 50, size=n).astype("int64")
    for got, want in zip(f(x, y, d, i), ref):
        _close(got, want(x, y, d, i), rtol=2e-5)


@pytest.mark.parametrize("rows,cols", [(0, 5), (1, 1), (3, 31), (2, 33), (33, 2), (1, 1025), (1025, 3)])
def test_broadcasting(rows, cols):
    m, v, s = T.fmatrix("m"), T.fvector("v"), T.fscalar("s")
    col = T.fcol("c")
    f = _broadcast_fn()
    a = RNG.normal(size=(rows, cols)).astype("float32")
    b = RNG.normal(size=cols).astype("float32")
    c = RNG.normal(size=(rows, 1)).astype("float32")
    got = f(a, b, np.float32(0.5), c)
    _close(got[0], a * b + np.float32(0.5))
    _close(got[1], a - c * b)
    del m, v, s, col


_BROADCAST = {}


def _broadcast_fn():
    if "f" not in _BROADCAST:
        m, v, s, c = T.fmatrix("m"), T.fvector("v"), T.fscalar("s"), T.fcol("c")
        _BROADCAST["f"] = emulated([m, v, s, c], [m * v + s, m - c * v])
    return _BROADCAST["f"]


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 31, 3), (3, 2, 33), (1, 1, 1025), (33, 1, 32), (2, 1023, 1)])
def test_reductions_over_each_axis(reductions, shape):
    m = RNG.normal(size=shape[1:]).astype("float32")
    t = RNG.normal(size=shape)
    k = RNG.integers(-9, 9, size=shape[:2]).astype("int64")
    got = reductions(m, t, k)
    want = [m.sum(axis=0), m.sum(axis=1), m.sum(), m.max(axis=1), m.min(axis=0),
            t.sum(axis=0), t.sum(axis=1), t.sum(axis=2), t.prod(axis=2), t.sum(), k.sum(axis=1), k.max(),
            _softmax(m)]
    for g, w in zip(got, want):
        _close(g, np.asarray(w, dtype=g.dtype), rtol=1e-5, atol=1e-5)


def test_empty_reductions():
    m = T.fmatrix("m")
    f = emulated([m], [m.sum(axis=0), m.sum(axis=1), m.sum(), m.prod()])
    for shape in [(0, 3), (3, 0), (0, 0)]:
        a = np.zeros(shape, "float32")
        for got, want in zip(f(a), [a.sum(axis=0), a.sum(axis=1), a.sum(), a.prod()]):
            _close(got, want)


def test_default_block_runs_the_shared_memory_tree():
    """256 threads: tree levels 128, 64, 32 through shared memory, then shuffles."""
    m = T.dmatrix("m")
    f = emulated([m], [m.sum(axis=1), m.max(), T.nnet.softmax(m)], target=GPUTarget())
    for shape in [(3, 1), (2, 255), (4, 257), (1, 1025)]:
        a = RNG.normal(size=shape)
        got = f(a)
        _close(got[0], a.sum(axis=1), rtol=1e-12)
        _close(got[1], a.max())
        _close(got[2], _softmax(a), rtol=1e-12)


def test_full_reduction_is_deterministic_and_matches_numpy():
    v = T.fvector("v")
    f = emulated([v], v.sum(), target=GPUTarget())
    a = RNG.normal(size=300_001).astype("float32")
    first = f(a)
    assert f(a).tobytes() == first.tobytes()
    np.testing.assert_allclose(first, a.astype("float64").sum(), rtol=1e-5)


@pytest.mark.parametrize("n", [0, 1, 33, 1025])
def test_gather_and_scatter(n):
    f = _gather_fn()
    x = RNG.normal(size=(7, 3)).astype("float32")
    idx = RNG.integers(-7, 7, size=n).astype("int64")
    got_gather, got_scatter = f(x, idx)
    _close(got_gather, x[idx])
    want = x.copy()
    np.add.at(want, idx, np.float32(1.5))
    _close(got_scatter, want)


_GATHER = {}


def _gather_fn():
    if "f" not in _GATHER:
        x, i = T.fmatrix("x"), T.lvector("i")
        _GATHER["f"] = emulated([x, i], [x[i], T.inc_subtensor(x[i], np.float32(1.5))])
    return _GATHER["f"]


def test_shared_variable_updates_and_host_scalar_code():
    """In-place updates, and a full reduction read back by host scalar code (a one-thread kernel)."""
    W = mlc.shared(np.ones((5, 4), "float32"), "W")
    x = T.fmatrix("x")
    y = T.dot(x, W)  # blas stays on the host in the emulation's CPU pipeline
    loss = ((y - 1) ** 2).mean()
    g = mlc.grad(loss, W)
    step = emulated([x], loss, updates=[(W, W - np.float32(0.1) * g)])
    ref_W = np.ones((5, 4), "float32")
    a = RNG.normal(size=(6, 5)).astype("float32")
    for _ in range(3):
        ya = a @ ref_W
        want = ((ya - 1) ** 2).mean()
        grad = a.T @ (2 * (ya - 1) / ya.size)
        got = step(a)
        np.testing.assert_allclose(got, want, rtol=1e-5)
        ref_W = ref_W - np.float32(0.1) * grad
        np.testing.assert_allclose(W.get_value(), ref_W, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# Vector loads (vectorize-gpu-loads): aligned 16-byte accesses, scalar tail, unaligned fallback
# ---------------------------------------------------------------------------

VECTOR_SIZES = (0, 1, 3, 4, 5, 31, 32, 33, 1023, 1025)
_VECTOR = {}


def _vector_fn():
    """Elementwise over whole buffers (vectorized), over views at offsets 1 (never aligned) and 4 (aligned
    when the buffer is), f64 (2 lanes), f32 next to f64 (2 lanes) and a 2-D buffer (collapsed)."""
    if "f" not in _VECTOR:
        x, y, d, m = T.fvector("x"), T.fvector("y"), T.dvector("d"), T.fmatrix("m")
        outs = [T.exp(x) * y + 1, x[1:] * 2 + y[1:], x[4:] - y[4:], d * d - 1, T.cast(x, "float64") + d,
                T.tanh(m) * 3]
        _VECTOR["f"] = emulated([x, y, d, m], outs)
    return _VECTOR["f"]


def _vector_reference(x, y, d, m):
    return [np.exp(x) * y + 1, x[1:] * 2 + y[1:], x[4:] - y[4:], d * d - 1, x.astype("float64") + d,
            np.tanh(m) * 3]


@pytest.mark.parametrize("n", VECTOR_SIZES)
def test_vector_loads_at_sizes(n):
    f = _vector_fn()
    x, y = (RNG.normal(size=n).astype("float32") for _ in range(2))
    d = RNG.normal(size=n)
    m = RNG.normal(size=(3, n)).astype("float32")
    for got, want in zip(f(x, y, d, m), _vector_reference(x, y, d, m)):
        _close(got, want, rtol=2e-5)


def test_vector_loads_with_unaligned_buffers():
    """Inputs whose base pointers are 4 bytes past a 16-byte boundary: the scalar loop does all of it."""
    f = _vector_fn()
    for n in (5, 33, 1025):
        def unaligned(k, dtype):
            itemsize = np.dtype(dtype).itemsize
            raw = np.empty((k + 4) * itemsize + 16, np.uint8)
            start = (-raw.ctypes.data) % 16 + 4
            a = np.frombuffer(raw.data, dtype, count=k, offset=start)
            a[...] = RNG.normal(size=k)
            assert a.ctypes.data % 16 == 4
            return a

        x, y, d = unaligned(n, "float32"), unaligned(n, "float32"), unaligned(n, "float64")
        m = unaligned(3 * n, "float32").reshape(3, n)
        for got, want in zip(f(x, y, d, m), _vector_reference(x, y, d, m)):
            _close(got, want, rtol=2e-5)


def test_vector_loads_are_in_the_ir():
    text = _vector_fn().dump_ir("gpu")
    assert text.count("gpux.load_lanes") >= 6 and "gpux.store_lanes" in text
    assert "-> f32, f32, f32, f32" in text and "-> f64, f64" in text


# ---------------------------------------------------------------------------
# PTX: every kernel above through ptxas, for sm_80 and sm_90
# ---------------------------------------------------------------------------


def _ptx_tools():
    from mlc.runtime.ptx import find_libdevice, find_ptxas

    if find_ptxas() is None or find_libdevice() is None:
        pytest.skip("ptxas/libdevice not found (pip install nvidia-cuda-nvcc-cu12)")


PTX_CASES = {
    "elementwise": lambda: elementwise_graph()[:2],
    "reductions": reduction_graph,
    "broadcast": lambda: ([m := T.fmatrix("m"), v := T.fvector("v"), c := T.fcol("c")], [m * v + 2, m - c * v]),
    "gather_scatter": lambda: ([x := T.fmatrix("x"), i := T.lvector("i")],
                               [x[i], T.inc_subtensor(x[i], np.float32(1.5))]),
    "f64_int_shuffles": lambda: ([d := T.dmatrix("d"), k := T.imatrix("k"), b := T.bmatrix("b")],
                                 [d.sum(axis=1), d.max(), k.sum(axis=1), k.min(), b.max(axis=1), b.sum()]),
    "mrg": lambda: ([], _mrg_graph()[1]),
    "vector_loads": lambda: ([x := T.fvector("x"), y := T.fvector("y"), d := T.dvector("d")],
                             [T.exp(x) * y + 1, x[1:] - y[1:], d * 2]),
}


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("case", sorted(PTX_CASES))
def test_kernels_pass_ptxas(case, arch, gpu_kernel_report):
    _ptx_tools()
    from mlc.runtime.ptx import ptxas

    ins, outs = PTX_CASES[case]()
    f = mlc.function(ins, outs, target="ptx", gpu_target=GPUTarget(arch))
    ptx = f.dump_ir("ptx")
    assert f".target {arch}" in ptx
    assert "llvm.exp" not in ptx and ".extern .func" not in ptx  # math went to libdevice, all of it linked
    report = ptxas(ptx, arch)
    assert set(report.kernels) == set(f.program.kernel_names())
    if case == "vector_loads":  # 16-byte accesses: 4 x f32, 2 x f64 (LLVM spells them .b32/.b64)
        assert re.search(r"ld\.global(\.nc)?\.v4\.(f32|b32)", ptx) and re.search(r"st\.global\.v4\.(f32|b32)", ptx)
        assert re.search(r"ld\.global(\.nc)?\.v2\.(f64|b64)", ptx)
    gpu_kernel_report.append(f"{case} {arch}: {report.summary()}")


def test_ptx_target_compiles_anywhere_and_refuses_to_run():
    _ptx_tools()
    x = T.fvector("x")
    f = mlc.function([x], T.exp(x), target="ptx")
    text = f.dump_ir("ptx")
    assert ".visible .entry main_k0" in text and "ex2.approx" in text
    assert "gpu.launch_func" in f.dump_ir("gpu")
    assert "llvm.nvvm.read.ptx.sreg.tid.x" in f.dump_ir("llvm-ir")
    with pytest.raises(RuntimeError, match="target='ptx'"):
        f(np.ones(3, "float32"))


def test_device_flag_selects_cuda():
    from mlc.compile.gpu import resolve_target

    with mlc.config.change_flags(device="cuda"):
        assert resolve_target(None) == "cuda"
    with mlc.config.change_flags(device="cpu"):
        assert resolve_target(None) == "cpu"
    with pytest.raises(ValueError, match="expected target in"):
        resolve_target("tpu")


# ---------------------------------------------------------------------------
# The MRG generator (scf.parallel over streams inside a host loop over rows)
# ---------------------------------------------------------------------------


def _mrg_graph():
    from mlc.tensor.rng_mrg import MRG_RandomStreams

    srng = MRG_RandomStreams(seed=1234)
    return srng, [srng.uniform((1025,), dtype="float32"), srng.normal((33, 31), dtype="float64")]


def test_mrg_generator_emulated_matches_cpu():
    """Same seed, same draws, same state updates: integer recurrences, bit for bit."""
    srng_gpu, outs_gpu = _mrg_graph()
    srng_cpu, outs_cpu = _mrg_graph()
    gpu = emulated([], outs_gpu)
    cpu = mlc.function([], outs_cpu)
    for _ in range(2):  # the second call starts from the updated states
        for g, c in zip(gpu(), cpu()):
            assert g.dtype == c.dtype and g.shape == c.shape
            np.testing.assert_array_equal(g, c)
    assert "scf.parallel" not in gpu.dump_ir("gpu")

