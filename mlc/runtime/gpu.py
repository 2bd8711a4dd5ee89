"""The GPU engine: runs a program `convert-linalg-to-gpu` produced, on device buffers.

The host side of a GPU program is its host function (allocations, sizes,
views, kernel launches, BLAS calls, loops, ifelse branches); `HostProgram`
translates it once into a list of Python closures and runs that list per
call (no IR is read at call time), so a launch costs a few microseconds of
Python plus the driver's launch. The kernels come from the PTX (`mlc.runtime.ptx`), loaded through
the driver layer (`mlc.runtime.cuda_driver`: pycuda or cuda-bindings), and
the loaded image is cached on disk like CPU object code: the key is the PTX,
the architecture and the versions; the entry holds the cubin when `ptxas`
is available (else the PTX, which the driver compiles itself).

Arrays:

* numpy inputs are copied to the device; device arrays are taken without a
  copy: `DeviceArray` (mlc's own), anything with `__cuda_array_interface__`
  (CuPy, PyTorch, Numba, pycuda's GPUArray, JAX) or DLPack (`__dlpack__`
  on a CUDA device);
* results are numpy arrays, or `DeviceArray`s (which have
  `__cuda_array_interface__`, so CuPy/PyTorch take them without a copy)
  when `return_device_arrays=True`;
* shared variables of a GPU function live on the device: the first call
  uploads the value, updates replace the device copy, `get_value()`
  downloads it (see `mlc.shared`).

Nothing here imports pycuda or cuda-bindings until a GPU function runs.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.runtime.cuda_driver import Driver, GPUUnavailable, driver
from mlc.target import GPUTarget

__all__ = ["DeviceArray", "GPUUnavailable", "HostProgram", "as_device", "device_target", "to_device"]


def device_target() -> GPUTarget:
    """The description of this process's GPU (GPUUnavailable without one)."""
    major, minor = driver().capability()
    return GPUTarget.for_capability(major, minor)


# ---------------------------------------------------------------------------
# Device arrays
# ---------------------------------------------------------------------------


class _Allocation:
    """Device memory owned by mlc: freed when the last array using it goes."""

    __slots__ = ("driver", "ptr", "__weakref__")

    def __init__(self, drv: Driver, nbytes: int):
        self.driver = drv
        self.ptr = drv.alloc(nbytes)

    def __del__(self):
        try:
            self.driver.free(self.ptr)
        except Exception:  # interpreter shutdown, context gone
            pass


class DeviceArray:
    """A C-contiguous (or strided view of an) array in device memory.

    `owner` keeps the memory alive: an `_Allocation`, or the foreign object
    (CuPy array, capsule...) the pointer came from.
    """

    def __init__(self, ptr: int, shape: tuple[int, ...], dtype, owner: Any = None,
                 strides: tuple[int, ...] | None = None):
        self.ptr = int(ptr)
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.owner = owner
        self.strides = strides if strides is not None else _contiguous_strides(self.shape, self.dtype.itemsize)

    @staticmethod
    def empty(shape, dtype, drv: Driver | None = None) -> DeviceArray:
        drv = drv or driver()
        dtype = np.dtype(dtype)
        alloc = _Allocation(drv, int(np.prod(shape, dtype=np.int64)) * dtype.itemsize)
        return DeviceArray(alloc.ptr, tuple(shape), dtype, alloc)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def c_contiguous(self) -> bool:
        return self.size <= 1 or self.strides == _contiguous_strides(self.shape, self.dtype.itemsize)

    def to_host(self, drv: Driver | None = None) -> np.ndarray:
        if not self.c_contiguous:
            raise ValueError("DeviceArray.to_host: only contiguous arrays are copied back")
        out = np.empty(self.shape, self.dtype)
        (drv or driver()).dtoh(out, self.ptr)
        return out

    get = to_host  # pycuda's GPUArray spelling

    def tobytes(self) -> bytes:  # (shape plans key their cache on the values they read)
        return self.to_host().tobytes()

    def copy(self) -> DeviceArray:
        drv = driver()
        out = DeviceArray.empty(self.shape, self.dtype, drv)
        drv.dtod(out.ptr, self.ptr, self.nbytes)
        return out

    def __array__(self, dtype=None, copy=None):
        host = self.to_host()
        return host if dtype is None else host.astype(dtype)

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.ptr, False), "version": 3,
                "strides": None if self.c_contiguous else self.strides}

    def __repr__(self) -> str:
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype}, ptr=0x{self.ptr:x})"


def _contiguous_strides(shape: Sequence[int], itemsize: int) -> tuple[int, ...]:
    strides, step = [], itemsize
    for s in reversed(shape):
        strides.append(step)
        step *= max(int(s), 1)
    return tuple(reversed(strides))


def to_device(a: np.ndarray, drv: Driver | None = None) -> DeviceArray:
    """Copy a numpy array to a new device array."""
    drv = drv or driver()
    a = np.asarray(a)
    if not a.flags.c_contiguous:  # (np.ascontiguousarray would make a 0-d array 1-d)
        a = np.ascontiguousarray(a)
    out = DeviceArray.empty(a.shape, a.dtype, drv)
    drv.htod(out.ptr, a)
    return out


# DLPack (the C struct behind `__dlpack__` capsules)
class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_DL_CUDA = (2, 13)  # kDLCUDA, kDLCUDAManaged
_DL_CODES = {0: "i", 1: "u", 2: "f", 6: "b"}


def _from_dlpack(x) -> DeviceArray:
    capsule = x.__dlpack__()
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    t = _DLTensor.from_address(get(capsule, b"dltensor"))
    if t.device.device_type not in _DL_CUDA:
        raise TypeError(f"a DLPack array on device type {t.device.device_type} is not a CUDA array")
    kind = _DL_CODES.get(t.dtype.code)
    if kind is None or t.dtype.lanes != 1:
        raise TypeError(f"DLPack dtype code {t.dtype.code} ({t.dtype.bits} bits) is not supported")
    dtype = np.dtype("bool") if kind == "b" else np.dtype(f"{kind}{t.dtype.bits // 8}")
    shape = tuple(t.shape[k] for k in range(t.ndim))
    strides = None if not t.strides else tuple(t.strides[k] * dtype.itemsize for k in range(t.ndim))
    # the capsule (kept as owner) keeps the producer's memory alive; it is never consumed
    return DeviceArray(t.data + t.byte_offset, shape, dtype, owner=(x, capsule), strides=strides)


def as_device(x, dtype: np.dtype | None = None, drv: Driver | None = None) -> DeviceArray:
    """`x` as a DeviceArray: device arrays without a copy, anything else copied (as `dtype`)."""
    if isinstance(x, DeviceArray):
        return x
    cai = getattr(x, "__cuda_array_interface__", None)
    if cai is not None:
        shape = tuple(cai["shape"])
        dt = np.dtype(cai["typestr"])
        strides = cai.get("strides")
        return DeviceArray(cai["data"][0], shape, dt, owner=x, strides=tuple(strides) if strides else None)
    if hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__") and x.__dlpack_device__()[0] in _DL_CUDA:
        return _from_dlpack(x)
    return to_device(np.asarray(x, dtype=dtype), drv)


# ---------------------------------------------------------------------------
# Kernels: loading (cached) and argument marshalling
# ---------------------------------------------------------------------------


def load_image(ptx: str, target: GPUTarget, drv: Driver) -> bytes:
    """What to give the driver for `ptx`: a cubin from the disk cache or ptxas, else the PTX itself."""
    from mlc.runtime import cache

    key = cache.cache_key("cuda-module", ptx, target.arch, drv.version())
    entry = cache.disk_get(key)
    if entry is not None and entry.extra.get("arch") == target.arch:
        return entry.obj
    image = ptx.encode()
    kind = "ptx"
    try:
        from mlc.runtime.ptx import find_ptxas

        exe = find_ptxas()
        if exe is not None:
            image, kind = _ptxas_cubin(ptx, target.arch, exe), "cubin"
    except Exception:  # ptxas failing here is not fatal: the driver compiles the PTX itself
        image, kind = ptx.encode(), "ptx"
    cache.disk_put(key, cache.Entry(image, {}, [], {"arch": target.arch, "kind": kind}))
    return image


def _ptxas_cubin(ptx: str, arch: str, exe: str) -> bytes:
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "k.ptx"), os.path.join(d, "k.cubin")
        with open(src, "w") as f:
            f.write(ptx)
        subprocess.run([exe, f"-arch={arch}", src, "-o", out], check=True, capture_output=True, timeout=300)
        with open(out, "rb") as f:
            return f.read()


# narrow integers travel in 4 bytes: the driver copies the parameter's size from the kernel image,
# and the low bytes of a little-endian int32 are the value whether that size is 1, 2 or 4
_SCALAR_CTYPES = {"i1": ctypes.c_int32, "i8": ctypes.c_int32, "i16": ctypes.c_int32, "i32": ctypes.c_int32,
                  "i64": ctypes.c_int64, "index": ctypes.c_int64, "f32": ctypes.c_float, "f64": ctypes.c_double}


def kernel_arguments(types: Sequence[Any], values: Sequence[Any]) -> list[Any]:
    """The kernel's parameters in the memref ABI: a pointer and the sizes per memref, scalars as they are."""
    from xdsl.dialects.builtin import MemRefType

    out: list[Any] = []
    for t, v in zip(types, values):
        if isinstance(t, MemRefType):
            if not v.c_contiguous:
                raise ValueError(f"kernel argument {t}: a strided view cannot be passed to a kernel")
            if len(v.shape) != t.get_num_dims():
                raise ValueError(f"kernel argument {t}: expected a {t.get_num_dims()}-d array, got shape {v.shape}")
            out.append(ctypes.c_void_p(v.ptr))
            out += [ctypes.c_int64(s) for s in v.shape]
        else:
            out.append(_SCALAR_CTYPES[str(t)](v))
    return out


class DriverLauncher:
    """Kernels from PTX, loaded through the driver."""

    def __init__(self, ptx: str, target: GPUTarget, drv: Driver):
        self.drv = drv
        self.module = drv.load_module(load_image(ptx, target, drv))
        self.functions: dict[str, Any] = {}

    def __call__(self, name: str, grid: int, block: int, args: list[Any]) -> None:
        fn = self.functions.get(name)
        if fn is None:
            fn = self.functions[name] = self.drv.function(self.module, name)
        self.drv.launch(fn, grid, block, args)


# ---------------------------------------------------------------------------
# The host program
# ---------------------------------------------------------------------------


class HostProgram:
    """Runs the host function of an outlined GPU module (see the module docstring)."""

    def __init__(self, gpu_module, ptx: str | None, target: GPUTarget, in_place: Sequence[int] = (),
                 drv: Driver | None = None, launcher: Any = None):
        from xdsl.dialects import func, gpu

        self.target = target
        self.in_place = tuple(in_place)
        self.main = next(op for op in gpu_module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main")
        self.kernel_types = {f.sym_name.data: list(f.function_type.inputs.data)
                             for k in gpu_module.ops if isinstance(k, gpu.ModuleOp)
                             for f in k.body.block.ops if isinstance(f, gpu.FuncOp)}
        self.drv = drv or driver()
        self.launch = launcher or DriverLauncher(ptx or "", target, self.drv)
        self._blas = None
        self._steps = self._compile(self.main.body.block.ops)
        self._n_args = len(self.main.body.block.args)

    def run(self, arrays, shapes, dtypes, n_outputs: int | None = None, return_device_arrays: bool = False):
        """Inputs (numpy or device arrays), result shapes and dtypes -> results.

        The first `n_outputs` results (all by default) are copied to numpy
        unless `return_device_arrays`; the rest (new values of shared
        variables) stay DeviceArrays."""
        ins = [as_device(a, drv=self.drv) for a in arrays]
        targets = {j for j in self.in_place if j >= 0}
        for i, a in enumerate(ins):  # an input overlapping storage updated in place keeps its old values
            if any(i != j and _overlaps(a, ins[j]) for j in targets):
                ins[i] = ins[i].copy()
        results = [ins[j] if j >= 0 else DeviceArray.empty(s, d, self.drv)
                   for j, s, d in zip(self.in_place or [-1] * len(shapes), shapes, dtypes)]
        fresh = [r for r, j in zip(results, self.in_place or [-1] * len(shapes)) if j < 0]
        args = ins + fresh
        if len(args) != self._n_args:
            raise TypeError(f"GPU program: expected {self._n_args} arrays, got {len(args)}")
        self.execute(args)
        n = len(results) if n_outputs is None else n_outputs
        if return_device_arrays:
            return results
        return [r.to_host(self.drv) if k < n else r for k, r in enumerate(results)]

    def execute(self, args: list[DeviceArray]) -> None:
        env: dict[Any, Any] = dict(zip(self.main.body.block.args, args))
        _run(self._steps, env)

    # The host function is translated once into a list of steps (closures over the op's values and
    # constants), so a call runs the launches without re-reading the IR: a few microseconds of Python
    # per launch. A step returns None, or the values of the scf.yield / func.return ending its block.

    def _compile(self, ops) -> list:
        return [self._step(op) for op in ops]

    def _step(self, op):
        from xdsl.dialects import arith, func, gpu, memref, scf

        if isinstance(op, arith.ConstantOp):
            r, value = op.result, _constant(op)
            return lambda env: env.__setitem__(r, value)
        if op.dialect_name() == "arith":
            r, operands = op.results[0], list(op.operands)
            fn = _arith_fn(op)
            return lambda env: env.__setitem__(r, fn(*[env[v] for v in operands]))
        if isinstance(op, memref.DimOp):
            r, src, index = op.result, op.source, op.index
            return lambda env: env.__setitem__(r, env[src].shape[env[index]])
        if isinstance(op, memref.AllocOp):
            t, r, dynamic = op.memref.type, op.memref, list(op.dynamic_sizes)
            static, dtype = t.get_shape(), _numpy_dtype(t.get_element_type())

            def alloc(env):
                sizes = iter(env[v] for v in dynamic)
                env[r] = DeviceArray.empty(tuple(next(sizes) if d < 0 else d for d in static), dtype, self.drv)
            return alloc
        if isinstance(op, memref.DeallocOp):
            m = op.memref

            def dealloc(env):
                env.pop(m, None)
            return dealloc
        if isinstance(op, gpu.LaunchFuncOp):
            refs = op.kernel.nested_references.data
            name = refs[-1].data if refs else op.kernel.root_reference.data
            grid_v, block_v, operands = op.gridSizeX, op.blockSizeX, list(op.kernelOperands)
            types = self.kernel_types[name]

            def launch(env):
                grid = env[grid_v]
                if grid:
                    self.launch(name, int(grid), int(env[block_v]), kernel_arguments(types, [env[v] for v in operands]))
            return launch
        if op.dialect_name() == "blas":
            def blas(env):
                result = self.blas(op, env)
                if op.results:
                    env[op.results[0]] = result
            return blas
        if isinstance(op, (memref.CollapseShapeOp, memref.ExpandShapeOp, memref.CastOp)):
            r, src_v, t, dyn_v = op.results[0], op.operands[0], op.results[0].type, list(op.operands[1:])

            def view(env):
                src = env[src_v]
                env[r] = DeviceArray(src.ptr, _view_shape(t, src, iter(env[v] for v in dyn_v)), src.dtype, owner=src)
            return view
        if isinstance(op, memref.SubviewOp):
            r = op.result
            return lambda env: env.__setitem__(r, _subview(op, env))
        if isinstance(op, scf.ForOp):
            body, lb, ub, step, inits = self._compile(op.body.block.ops), op.lb, op.ub, op.step, list(op.iter_args)
            iv, args, results = op.body.block.args[0], list(op.body.block.args[1:]), list(op.results)

            def loop(env):
                values = [env[v] for v in inits]
                for i in range(env[lb], env[ub], env[step]):
                    env[iv] = i
                    env.update(zip(args, values))
                    values = _run(body, env) or []
                env.update(zip(results, values))
            return loop
        if isinstance(op, scf.IfOp):  # ifelse: only the taken branch's kernels are launched
            then = self._compile(op.true_region.block.ops)
            other = self._compile(op.false_region.block.ops) if op.false_region.blocks else []
            cond, results = op.cond, list(op.results)

            def branch(env):
                env.update(zip(results, _run(then if env[cond] else other, env) or []))
            return branch
        if isinstance(op, scf.YieldOp):
            operands = list(op.operands)
            return lambda env: [env[v] for v in operands]
        if isinstance(op, memref.LoadOp):  # a scalar the host needs (a loop bound, a branch): read it
            r, m, indices = op.res, op.memref, list(op.indices)
            return lambda env: env.__setitem__(r, _element(env[m], [env[i] for i in indices], self.drv))
        if isinstance(op, func.ReturnOp):
            return lambda env: []
        raise NotImplementedError(f"GPU runtime: host op '{op.name}' is not supported")

    def blas(self, op, env):
        if self._blas is None:
            from mlc.runtime.cublas import CuBLAS

            self._blas = CuBLAS()
        return self._blas.run(op, env)


def _element(a: DeviceArray, indices: Sequence[int], drv: Driver) -> Any:
    host = np.empty((), a.dtype)
    drv.dtoh(host, a.ptr + sum(i * s for i, s in zip(indices, a.strides)))
    return host.item()


def _overlaps(a: DeviceArray, b: DeviceArray) -> bool:
    return a.ptr < b.ptr + b.nbytes and b.ptr < a.ptr + a.nbytes and a.nbytes > 0 and b.nbytes > 0


def _subview(op, env) -> DeviceArray:
    """memref.subview on the host: the same memory at an offset, with the view's sizes and strides."""
    src: DeviceArray = env[op.source]

    def values(static, dynamic):
        dyn = iter(env[v] for v in dynamic)
        return [next(dyn) if x == -(1 << 63) or x < 0 else x for x in static.get_values()]

    offsets = values(op.static_offsets, op.offsets)
    sizes = values(op.static_sizes, op.sizes)
    steps = values(op.static_strides, op.strides)
    ptr = src.ptr + sum(o * s for o, s in zip(offsets, src.strides))
    dims = [(n, st * s) for n, st, s in zip(sizes, steps, src.strides)]
    rank = op.result.type.get_num_dims()
    while len(dims) > rank:  # rank-reducing: drop unit dims, leftmost first
        k = next(i for i, (n, _) in enumerate(dims) if n == 1)
        dims.pop(k)
    return DeviceArray(ptr, tuple(n for n, _ in dims), src.dtype, owner=src, strides=tuple(st for _, st in dims))


def _view_shape(t, src: DeviceArray, dynamic) -> tuple[int, ...]:
    shape = []
    for d in t.get_shape():
        shape.append(next(dynamic, None) if d < 0 else d)
    if any(s is None for s in shape):  # a reshape with unknown sizes: infer the one left
        known = math.prod(s for s in shape if s is not None)
        shape = [src.size // max(known, 1) if s is None else s for s in shape]
    return tuple(int(s) for s in shape)


def _numpy_dtype(t) -> np.dtype:
    name = str(t)
    return np.dtype({"i1": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
                     "index": "int64", "f16": "float16", "f32": "float32", "f64": "float64"}[name])


def _constant(op) -> Any:
    v = op.value
    return v.value.data if hasattr(v, "value") else v


def _run(steps, env: dict) -> list[Any] | None:
    for step in steps:
        out = step(env)
        if out is not None:
            return out
    return None


def _arith_fn(op):
    """The Python function computing a host arith op from its operands' values."""
    name = op.name.split(".", 1)[1]
    if name == "cmpi":
        predicate = ("eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge")[op.predicate.value.data]
        return _CMP[predicate]
    if name == "select":
        return lambda c, a, b: a if c else b
    if name in ("index_cast", "index_castui", "extsi", "extui", "trunci", "sitofp", "extf", "truncf"):
        return lambda a: a
    fn = _ARITH.get(name)
    if fn is None:
        raise NotImplementedError(f"GPU runtime: host arithmetic '{op.name}' is not supported")
    return fn


_CMP = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "slt": lambda a, b: a < b,
        "sle": lambda a, b: a <= b, "sgt": lambda a, b: a > b, "sge": lambda a, b: a >= b,
        "ult": lambda a, b: a < b, "ule": lambda a, b: a <= b, "ugt": lambda a, b: a > b,
        "uge": lambda a, b: a >= b}

# host index arithmetic (sizes are non-negative: unsigned and signed forms agree on them)
_ARITH = {
    "addi": lambda a, b: a + b, "subi": lambda a, b: a - b, "muli": lambda a, b: a * b,
    "divui": lambda a, b: a // b, "divsi": lambda a, b: int(a / b), "remui": lambda a, b: a % b,
    "remsi": lambda a, b: int(math.fmod(a, b)), "ceildivui": lambda a, b: -(-a // b),
    "ceildivsi": lambda a, b: -(-a // b), "floordivsi": lambda a, b: a // b,
    "minui": min, "minsi": min, "maxui": max, "maxsi": max,
    "andi": lambda a, b: a & b, "ori": lambda a, b: a | b, "xori": lambda a, b: a ^ b,
    "addf": lambda a, b: a + b, "subf": lambda a, b: a - b, "mulf": lambda a, b: a * b,
    "divf": lambda a, b: a / b, "negf": lambda a: -a,
}
