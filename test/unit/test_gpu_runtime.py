"""The GPU runtime (mlc.runtime.gpu).

Without a GPU (CI): the host program runs against a *host-memory driver*
(device pointers are host addresses) whose launches call the CPU emulation
of the same kernels, so allocation, views, argument marshalling, in-place
updates, shared variables on the device, `__cuda_array_interface__` and
DLPack inputs and `return_device_arrays` are all exercised; and nothing
imports pycuda or cuda-bindings unless a GPU function runs.

With a GPU (bench/gpu_check.sh): the same functions through the real driver
(pycuda or cuda-bindings) and cuBLAS against the CPU backend. Those tests
skip cleanly where no driver exists.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.runtime import cuda_driver
from mlc.runtime.gpu import DeviceArray, HostProgram, as_device
from mlc.target import GPUTarget

RNG = np.random.default_rng(41)


# ---------------------------------------------------------------------------
# A driver over host memory, kernels from the CPU emulation
# ---------------------------------------------------------------------------


class HostMemoryDriver(cuda_driver.Driver):
    name = "host-memory"

    def __init__(self):
        self.buffers: dict[int, np.ndarray] = {}
        self.launches: list[tuple[str, int, int]] = []

    def capability(self):
        return (8, 0)

    def version(self):
        return "host-memory 1"

    def alloc(self, nbytes):
        buf = np.empty(max(1, nbytes), np.uint8)
        self.buffers[buf.ctypes.data] = buf
        return buf.ctypes.data

    def free(self, ptr):
        del self.buffers[ptr]

    def htod(self, ptr, host):
        ctypes.memmove(ptr, host.ctypes.data, host.nbytes)

    def dtoh(self, host, ptr):
        ctypes.memmove(host.ctypes.data, ptr, host.nbytes)

    def dtod(self, dst, src, nbytes):
        ctypes.memmove(dst, src, nbytes)


class EmulatedLauncher:
    """Launches that run the kernel's CPU emulation (convert-gpu-to-loops), compiled natively."""

    def __init__(self, gpu_module, drv: HostMemoryDriver):
        from xdsl.dialects import func
        from xdsl.dialects.builtin import StringAttr

        from mlc.compile.pipeline import LOOPS_TO_LLVM as LOOPS_TO_LLVM_PIPELINE
        from mlc.passes import run_passes
        from mlc.runtime.cpu import compile_module

        m = gpu_module.clone()
        run_passes(m, ["convert-gpu-to-loops"])
        for f in list(m.ops):
            if isinstance(f, func.FuncOp) and f.sym_name.data == "main":
                f.detach()
                f.erase(safe_erase=False)
            elif isinstance(f, func.FuncOp):
                f.sym_visibility = StringAttr("public")
        run_passes(m, list(LOOPS_TO_LLVM_PIPELINE))
        self.compiled = compile_module(m, [])
        self.drv = drv

    def __call__(self, name, grid, block, args):
        self.drv.launches.append((name, grid, block))
        address = self.compiled.engine.get_function_address(name)
        fn = ctypes.CFUNCTYPE(None, ctypes.c_int64, *[type(a) for a in args])(address)
        fn(grid, *args)


@pytest.fixture
def host_gpu(monkeypatch):
    """mlc.function(target='cuda') running on HostMemoryDriver + the emulation."""
    import mlc.compile.gpu as compile_gpu
    import mlc.runtime.gpu as runtime_gpu

    drv = HostMemoryDriver()
    monkeypatch.setattr(runtime_gpu, "driver", lambda: drv)
    monkeypatch.setattr(compile_gpu, "_device_target", lambda target: GPUTarget(block_size=32, max_blocks=2))

    def executable(program):
        return HostProgram(program.gpu_module, None, program.gpu_target, program.in_place, drv=drv,
                           launcher=EmulatedLauncher(program.gpu_module, drv))

    monkeypatch.setattr(compile_gpu.GPUProgram, "_make_executable", executable)
    return drv


def test_host_program_runs_kernels_and_copies_results_back(host_gpu):
    x, v = T.fmatrix("x"), T.fvector("v")
    f = mlc.function([x, v], [T.exp(x) + v, x.sum(axis=1), x.sum(), T.nnet.softmax(x)], target="cuda")
    for shape in [(1, 1), (3, 33), (40, 7)]:
        a = RNG.normal(size=shape).astype("float32")
        b = RNG.normal(size=shape[1]).astype("float32")
        got = f(a, b)
        assert all(isinstance(g, np.ndarray) for g in got)
        e = np.exp(a - a.max(axis=1, keepdims=True))
        for g, w in zip(got, [np.exp(a) + b, a.sum(axis=1), a.sum(), e / e.sum(axis=1, keepdims=True)]):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    names = {n for n, _, _ in host_gpu.launches}
    assert len(names) >= 6 and all(n.startswith("main_k") for n in names)
    assert not host_gpu.buffers or len(host_gpu.buffers) < 8  # temporaries are freed


def test_empty_launches_are_skipped(host_gpu):
    x = T.fvector("x")
    f = mlc.function([x], [x * 2, x.sum()], target="cuda")
    before = len(host_gpu.launches)
    got = f(np.zeros(0, "float32"))
    assert got[0].shape == (0,) and got[1] == 0
    grids = [g for _, g, _ in host_gpu.launches[before:]]
    assert 0 not in grids


def test_shared_variables_live_on_the_device(host_gpu):
    W = mlc.shared(np.ones(4, "float32"), "W")
    x = T.fvector("x")
    step = mlc.function([x], (x * W).sum(), updates=[(W, W - np.float32(0.5) * x)], target="cuda")
    a = np.arange(4, dtype="float32")
    assert step(a) == pytest.approx(6.0)
    assert W.container.device is not None and W.container._host is None  # the update stayed on the device
    assert step(a) == pytest.approx(float((a * (1 - 0.5 * a)).sum()))
    np.testing.assert_allclose(W.get_value(), 1 - a)  # downloaded on demand
    W.set_value(np.full(4, 2, "float32"))  # uploaded again at the next call
    assert W.container.device is None
    assert step(a) == pytest.approx(12.0)
    cpu = mlc.function([x], (x * W).sum())  # a CPU function sees the device's update
    np.testing.assert_allclose(cpu(a), float((a * (2 - 0.5 * a)).sum()))


def test_device_inputs_without_copy_and_device_results(host_gpu):
    x = T.fvector("x")
    f = mlc.function([x], x + 1, target="cuda", return_device_arrays=True)
    host = np.arange(5, dtype="float32")

    class CAI:  # a foreign device array: __cuda_array_interface__ over (host-memory) "device" storage
        __cuda_array_interface__ = {"shape": (5,), "typestr": "<f4", "data": (host.ctypes.data, False),
                                    "version": 3, "strides": None}

    out = f(CAI())
    assert isinstance(out, DeviceArray)
    np.testing.assert_allclose(out.to_host(host_gpu), host + 1)
    d = as_device(CAI())
    assert d.ptr == host.ctypes.data  # no copy
    np.testing.assert_allclose(np.asarray(out), host + 1)
    assert out.__cuda_array_interface__["data"][0] == out.ptr


def test_dlpack_capsules_are_read_without_copy():
    from mlc.runtime.gpu import _from_dlpack

    host = np.arange(6, dtype="float64").reshape(2, 3)

    class FakeCUDA:  # numpy's capsule, presented as if on device 2 (kDLCUDA)
        def __dlpack__(self):
            cap = host.__dlpack__()
            get = ctypes.pythonapi.PyCapsule_GetPointer
            get.restype = ctypes.c_void_p
            get.argtypes = [ctypes.py_object, ctypes.c_char_p]
            ctypes.c_int32.from_address(get(cap, b"dltensor") + 8).value = 2
            return cap

    d = _from_dlpack(FakeCUDA())
    assert d.ptr == host.ctypes.data and d.shape == (2, 3) and d.dtype == np.float64
    with pytest.raises(TypeError, match="not a CUDA array"):
        _from_dlpack(host)


def test_nothing_imports_a_driver_until_a_gpu_function_runs():
    code = ("import sys, numpy as np, mlc, mlc.tensor as T\n"
            "x = T.fvector('x')\n"
            "f = mlc.function([x], T.exp(x)); f(np.ones(3, 'float32'))\n"
            "g = mlc.function([x], T.exp(x), target='ptx'); g.dump_ir('gpu')\n"
            "bad = [m for m in sys.modules if m.startswith(('pycuda', 'cuda.bindings', 'cupy'))]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)


def test_no_driver_is_a_clean_error():
    if cuda_driver.available():
        pytest.skip("a GPU is present")
    with pytest.raises(cuda_driver.GPUUnavailable, match="no CUDA GPU available"):
        cuda_driver.driver()
    x = T.fvector("x")
    with pytest.raises(cuda_driver.GPUUnavailable):
        mlc.function([x], x + 1, target="cuda")


# ---------------------------------------------------------------------------
# On a GPU (skipped without a driver)
# ---------------------------------------------------------------------------


needs_gpu = pytest.mark.skipif(not cuda_driver.available(), reason="no CUDA driver/GPU")


@needs_gpu
def test_gpu_matches_cpu():
    x, v = T.fmatrix("x"), T.fvector("v")
    i = T.lvector("i")
    outs = [T.exp(x) + v, x.sum(axis=0), x.sum(axis=1), x.sum(), x.max(), T.nnet.softmax(x), x[i],
            T.inc_subtensor(x[i], np.float32(1))]
    gpu = mlc.function([x, v, i], outs, target="cuda")
    cpu = mlc.function([x, v, i], outs)
    for shape in [(1, 1), (31, 33), (1025, 257)]:
        a = RNG.normal(size=shape).astype("float32")
        b = RNG.normal(size=shape[1]).astype("float32")
        idx = RNG.integers(0, shape[0], size=7)
        for g, c in zip(gpu(a, b, idx), cpu(a, b, idx)):
            np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


@needs_gpu
def test_gpu_gemm_through_cublas_and_training_step():
    W = mlc.shared(RNG.normal(size=(20, 10)).astype("float32"), "W")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    loss = ((T.dot(x, W) - y) ** 2).mean()
    updates = [(W, W - np.float32(0.1) * mlc.grad(loss, W))]
    gpu = mlc.function([x, y], loss, updates=updates, target="cuda")
    W_cpu = mlc.shared(W.get_value(), "Wc")
    loss_c = ((T.dot(x, W_cpu) - y) ** 2).mean()
    cpu = mlc.function([x, y], loss_c, updates=[(W_cpu, W_cpu - np.float32(0.1) * mlc.grad(loss_c, W_cpu))])
    a, b = RNG.normal(size=(64, 20)).astype("float32"), RNG.normal(size=(64, 10)).astype("float32")
    for _ in range(3):
        np.testing.assert_allclose(gpu(a, b), cpu(a, b), rtol=1e-4)
    np.testing.assert_allclose(W.get_value(), W_cpu.get_value(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------
# cuBLAS calls (row-major -> column-major mapping) against a column-major reference
# ---------------------------------------------------------------------------


def _column_major(ptr, rows, cols, ld, dtype):
    """The column-major rows x cols matrix with leading dimension ld at host address ptr."""
    dtype = np.dtype(dtype)
    n = ld * (cols - 1) + rows if rows and cols else 0
    flat = np.ctypeslib.as_array((ctypes.c_char * max(n * dtype.itemsize, 1)).from_address(ptr)).view(dtype)
    return np.lib.stride_tricks.as_strided(flat, (rows, cols), (dtype.itemsize, ld * dtype.itemsize))


def fake_cublas():
    """cuBLAS's documented column-major semantics, in numpy, on host memory."""
    import types

    lib = types.SimpleNamespace(cublasCreate_v2=lambda handle: 0)

    def gemm(dtype):
        def fn(handle, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc):
            a = _column_major(A, k if ta else m, m if ta else k, lda, dtype)
            b = _column_major(B, n if tb else k, k if tb else n, ldb, dtype)
            c = _column_major(C, m, n, ldc, dtype)
            op_a, op_b = (a.T if ta else a), (b.T if tb else b)
            beta_v = beta._obj.value
            c[...] = alpha._obj.value * (op_a @ op_b) + (beta_v * c if beta_v else 0)
            return 0
        return fn

    def gemv(dtype):
        def fn(handle, trans, m, n, alpha, A, lda, x, incx, beta, y, incy):
            a = _column_major(A, m, n, lda, dtype)
            xs = _column_major(x, n if not trans else m, 1, max(n, m), dtype)[:, 0]
            ys = _column_major(y, m if not trans else n, 1, max(n, m), dtype)[:, 0]
            beta_v = beta._obj.value
            ys[...] = alpha._obj.value * ((a.T if trans else a) @ xs) + (beta_v * ys if beta_v else 0)
            return 0
        return fn

    def dot(dtype):
        def fn(handle, n, x, incx, y, incy, out):
            xs = _column_major(x, n, 1, n, dtype)[:, 0]
            ys = _column_major(y, n, 1, n, dtype)[:, 0]
            out._obj.value = float(xs @ ys)
            return 0
        return fn

    for p, dt in (("S", "float32"), ("D", "float64")):
        setattr(lib, f"cublas{p}gemm_v2", gemm(dt))
        setattr(lib, f"cublas{p}gemv_v2", gemv(dt))
        setattr(lib, f"cublas{p}dot_v2", dot(dt))
    return lib


def test_blas_ops_through_the_cublas_calling_convention(host_gpu, monkeypatch):
    """gemm (plain, transposed with alpha/beta), gemv (both ways), dot: mlc's row-major ops through
    CuBLAS's argument mapping, executed with cuBLAS's column-major meaning."""
    import mlc.runtime.cublas as cublas

    real = cublas.CuBLAS
    monkeypatch.setattr(cublas, "CuBLAS", lambda: real(lib=fake_cublas()))
    A, B, C = T.dmatrix("A"), T.dmatrix("B"), T.dmatrix("C")
    v, w = T.dvector("v"), T.dvector("w")
    outs = [T.dot(A, B), C + 0.5 * T.dot(A.T, A), T.dot(A, v), T.dot(A.T, w), T.dot(v, v)]
    f = mlc.function([A, B, C, v, w], outs, target="cuda")
    a, b = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 5))
    c, x, y = RNG.normal(size=(3, 3)), RNG.normal(size=3), RNG.normal(size=4)
    got = f(a, b, c, x, y)
    want = [a @ b, c + 0.5 * (a.T @ a), a @ x, a.T @ y, x @ x]
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-12)
    assert "blas.gemm" in f.dump_ir("gpu") and "blas.gemv" in f.dump_ir("gpu")


def test_mrg_generator_through_the_host_program(host_gpu):
    """A host loop over rows launching the stream kernel, a loop bound read back from the device."""
    from mlc.tensor.rng_mrg import MRG_RandomStreams

    draws = []
    for target in ("cuda", "cpu"):
        srng = MRG_RandomStreams(seed=99)
        f = mlc.function([], srng.uniform((100,), dtype="float32"), target=target)
        draws.append([f(), f()])
    for g, c in zip(*draws):
        np.testing.assert_array_equal(g, c)


# ---------------------------------------------------------------------------
# Host ops in GPU functions: inputs copied to the host, run there, outputs copied back
# ---------------------------------------------------------------------------


def _host_op_graph():
    from mlc.tensor.host import as_op
    from mlc.tensor.shared_randomstreams import RandomStreams

    seen = []

    @as_op(itypes=[T.fvector], otypes=[T.fvector])
    def flip(a):
        seen.append(type(a))
        return a[::-1].copy()

    x = T.fvector("x")
    srng = RandomStreams(seed=3)
    r, _ = mlc.scan(lambda a, acc: acc + a * 2, sequences=[x], outputs_info=[np.float32(0)])
    outs = [T.sort(x * 2) + 1, flip(T.exp(x)) * 3, srng.uniform((5,)) + 1, r[-1] + x.sum()]
    return x, outs, seen


def test_host_ops_run_on_the_host_between_device_segments(host_gpu):
    """Python-loop scan, a RandomStreams draw, a user op and sort inside one GPU function."""
    W = mlc.shared(np.zeros(7, "float32"), "W")
    x, outs, seen = _host_op_graph()
    f = mlc.function([x], outs, updates=[(W, W + T.sort(x))], target="cuda")
    x_cpu, cpu_outs, _ = _host_op_graph()
    cpu = mlc.function([x_cpu], cpu_outs)
    a = RNG.normal(size=7).astype("float32")
    text = f.dump_ir("gpu")
    assert "host node" in text and "gpu.launch_func" in text  # segments on the device, host nodes between
    for call in range(2):  # the second call draws from the advanced state
        got, want = f(a), cpu(a)
        assert all(isinstance(g, np.ndarray) for g in got)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[0], np.sort(a * 2) + 1, rtol=1e-6)
        np.testing.assert_allclose(got[3], 3 * a.sum(), rtol=1e-5)
    assert seen and all(t is np.ndarray for t in seen)  # the user op saw host arrays
    assert W.container.device is not None  # the update stayed on the device
    np.testing.assert_allclose(W.get_value(), 2 * np.sort(a), rtol=1e-6)
    assert len({n for n, _, _ in host_gpu.launches}) >= 3
    d = mlc.function([x], outs[:2], target="cuda", return_device_arrays=True)(a)
    assert all(isinstance(o, DeviceArray) for o in d)
    np.testing.assert_allclose(d[0].to_host(host_gpu), np.sort(a * 2) + 1, rtol=1e-6)


def test_host_ops_on_the_emulation_and_ptx():
    x, outs, _ = _host_op_graph()
    a = RNG.normal(size=5).astype("float32")
    got = mlc.function([x], outs[:2] + outs[3:], target="gpu-emulation")(a)
    np.testing.assert_allclose(got[0], np.sort(a * 2) + 1, rtol=1e-6)
    np.testing.assert_allclose(got[1], np.exp(a)[::-1] * 3, rtol=1e-5)
    np.testing.assert_allclose(got[2], 3 * a.sum(), rtol=1e-5)
    p = mlc.function([x], outs[0], target="ptx")
    assert ".entry" in p.dump_ir("ptx") and "host node" in p.dump_ir("ptx")
    with pytest.raises(RuntimeError, match="target='ptx'"):
        p(a)


# ---------------------------------------------------------------------------
# ifelse: a host scf.if; only the taken branch's kernels run
# ---------------------------------------------------------------------------


def _ifelse_graph():
    from mlc.ifelse import ifelse

    c, x = T.fscalar("c"), T.fvector("x")
    big = ifelse(T.gt(x.shape[0], 3), x * 10, x)  # a condition on a shape: evaluated on the host
    return [c, x], [ifelse(T.gt(c.sum(), 0), T.exp(x) * 2, x.sum() + x), big]


def test_ifelse_launches_only_the_taken_branch(host_gpu):
    ins, outs = _ifelse_graph()
    f = mlc.function(ins, outs, target="cuda")
    text = f.dump_ir("gpu")
    assert "scf.if" in text and "gpu.launch_func" in text
    a = RNG.normal(size=5).astype("float32")
    counts = []
    for c in (1.0, -1.0, 2.0):
        before = len(host_gpu.launches)
        got = f(np.float32(c), a)
        counts.append(len(host_gpu.launches) - before)
        want = np.exp(a) * 2 if c > 0 else a.sum() + a
        np.testing.assert_allclose(got[0], want, rtol=1e-5)
        np.testing.assert_allclose(got[1], a * 10, rtol=1e-6)
    assert counts[0] == counts[2] != counts[1]  # the two branches launch different kernels
    np.testing.assert_allclose(f(np.float32(1), a[:2])[1], a[:2], rtol=1e-6)


@pytest.mark.parametrize("n", [0, 1, 33])
def test_ifelse_on_the_emulation(n):
    if "f" not in _IFELSE:
        ins, outs = _ifelse_graph()
        _IFELSE["f"] = mlc.function(ins, outs, target="gpu-emulation")
    f = _IFELSE["f"]
    a = RNG.normal(size=n).astype("float32")
    for c in (1.0, -1.0):
        got = f(np.float32(c), a)
        np.testing.assert_allclose(got[0], np.exp(a) * 2 if c > 0 else a.sum() + a, rtol=1e-5)
        np.testing.assert_allclose(got[1], a * 10 if n > 3 else a, rtol=1e-6)


_IFELSE: dict = {}


def test_gpu_check_script_is_valid_and_fits_its_budget():
    """bench/gpu_check.sh: bash syntax, the step timeouts within 8 minutes, the files and flags it uses exist."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    script = root / "bench" / "gpu_check.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    budgets = [int(t) for t in re.findall(r"^run (\d+) ", text, re.M)]
    assert len(budgets) >= 5 and sum(budgets) <= 480, budgets
    for path in re.findall(r"test/unit/\S+\.py", text) + ["bench/run.py"]:
        assert (root / path).exists(), path
    run_py = (root / "bench" / "run.py").read_text()
    for flag in re.findall(r"bench/run\.py([^\n]*\n[^\n]*)", text)[0].split():
        if flag.startswith("--"):
            assert f'"{flag}"' in run_py, flag


def test_graph_level_cache_of_gpu_programs(host_gpu, tmp_path, monkeypatch):
    """The same graph and options, here or in a fresh process: host program and PTX from the disk cache,
    no pass and no LLVM run; the loaded program runs."""
    import mlc.compile.gpu as compile_gpu

    monkeypatch.setattr(mlc.config, "cache_dir", str(tmp_path))
    x = T.fvector("x")
    first = mlc.function([x], T.tanh(x) * 2 + x.sum(), target="cuda")
    a = RNG.normal(size=9).astype("float32")
    want = np.tanh(a) * 2 + a.sum()
    np.testing.assert_allclose(first(a), want, rtol=1e-5)
    assert not first.program.from_cache
    first.program.ptx  # (the fake driver's executable needs no PTX; a real one makes it, and the entry)

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(compile_gpu, "run_stages", no_compiling)
    x = T.fvector("x")
    again = mlc.function([x], T.tanh(x) * 2 + x.sum(), target="cuda")
    assert again.program.from_cache
    np.testing.assert_allclose(again(a), want, rtol=1e-5)
    assert again.program.ptx == first.program.ptx
    child = f"""
import mlc, mlc.tensor as T, mlc.compile.gpu as g, mlc.runtime.ptx as p
from mlc.target import GPUTarget
def no(*a, **k): raise AssertionError("compiled again")
g.run_stages = p.compile_ptx = no
mlc.config.cache_dir = {str(tmp_path)!r}
x = T.fvector("x")
f = mlc.function([x], T.tanh(x) * 2 + x.sum(), target="ptx", gpu_target=GPUTarget(block_size=32, max_blocks=2))
assert f.program.from_cache
print(f.dump_ir("ptx") == open({str(tmp_path / "ptx")!r}).read())
"""
    (tmp_path / "ptx").write_text(first.program.ptx)
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr[-2000:]
