"""The CUDA driver layer: the few calls mlc's GPU runtime makes, behind one small interface.

Two implementations, picked at first use (`MLC_GPU_DRIVER=pycuda|cuda-bindings`
forces one):

* `PyCUDADriver`: pycuda (`pip install -e '.[gpu]'` builds it from source on
  a machine with a CUDA toolkit and driver);
* `CudaBindingsDriver`: NVIDIA's `cuda-bindings` wheel (`cuda.bindings.driver`),
  a binary wheel that installs anywhere (it loads libcuda.so only when
  called), so it serves where pycuda cannot be built.

Both give one context per process (the device's primary context, made
current in the calling thread), created lazily. Nothing here is imported
until a GPU function is built or called, and importing this module imports
neither pycuda nor cuda-bindings.

    drv = driver()                # GPUUnavailable if there is no driver or device
    p = drv.alloc(nbytes); drv.htod(p, array); drv.dtoh(array, p)
    mod = drv.load_module(ptx_or_cubin_bytes); fn = drv.function(mod, "main_k0")
    drv.launch(fn, grid, block, [ctypes.c_void_p(p), ctypes.c_int64(n)])
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

import numpy as np


class GPUUnavailable(RuntimeError):
    """No usable CUDA driver layer or device in this process."""


class Driver:
    """The interface (see the module docstring); device pointers are ints."""

    name = "abstract"

    def capability(self) -> tuple[int, int]: ...
    def device_name(self) -> str: ...
    def version(self) -> str: ...
    def alloc(self, nbytes: int) -> int: ...
    def free(self, ptr: int) -> None: ...
    def htod(self, ptr: int, host: np.ndarray) -> None: ...
    def dtoh(self, host: np.ndarray, ptr: int) -> None: ...
    def dtod(self, dst: int, src: int, nbytes: int) -> None: ...
    def load_module(self, image: bytes) -> Any: ...
    def function(self, module: Any, name: str) -> Any: ...
    def launch(self, fn: Any, grid: int, block: int, args: list[Any]) -> None: ...
    def synchronize(self) -> None: ...


# ---------------------------------------------------------------------------
# cuda-bindings (cuda.bindings.driver)
# ---------------------------------------------------------------------------


class CudaBindingsDriver(Driver):
    name = "cuda-bindings"

    def __init__(self):
        try:
            from cuda.bindings import driver as cu
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise GPUUnavailable("cuda-bindings is not installed (pip install cuda-bindings)") from exc
        self.cu = cu
        try:
            self._check(cu.cuInit(0), "cuInit")
            count = self._check(cu.cuDeviceGetCount(), "cuDeviceGetCount")
        except GPUUnavailable:
            raise
        except Exception as exc:  # libcuda.so missing: the bindings raise on first use
            raise GPUUnavailable(f"the CUDA driver library could not be loaded: {exc}") from exc
        if not count:
            raise GPUUnavailable("no CUDA device found")
        index = int(os.environ.get("MLC_CUDA_DEVICE", "0"))
        self.device = self._check(cu.cuDeviceGet(index), "cuDeviceGet")
        self.context = self._check(cu.cuDevicePrimaryCtxRetain(self.device), "cuDevicePrimaryCtxRetain")
        self._check(cu.cuCtxSetCurrent(self.context), "cuCtxSetCurrent")

    def _check(self, result, what: str):
        err, *rest = result if isinstance(result, tuple) else (result,)
        if int(err) != 0:
            _, text = self.cu.cuGetErrorString(err)
            message = text.decode() if isinstance(text, bytes) else str(text)
            if what in ("cuInit", "cuDeviceGetCount"):
                raise GPUUnavailable(f"{what}: {message}")
            raise RuntimeError(f"CUDA driver: {what} failed: {message}")
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else tuple(rest)

    def _current(self) -> None:
        self._check(self.cu.cuCtxSetCurrent(self.context), "cuCtxSetCurrent")

    def capability(self):
        cu = self.cu
        attr = cu.CUdevice_attribute
        major = self._check(cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, self.device),
                            "cuDeviceGetAttribute")
        minor = self._check(cu.cuDeviceGetAttribute(attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, self.device),
                            "cuDeviceGetAttribute")
        return int(major), int(minor)

    def device_name(self):
        raw = self._check(self.cu.cuDeviceGetName(256, self.device), "cuDeviceGetName")
        return raw.split(b"\0", 1)[0].decode()

    def version(self):
        return f"cuda-driver {self._check(self.cu.cuDriverGetVersion(), 'cuDriverGetVersion')}"

    def alloc(self, nbytes):
        self._current()
        return int(self._check(self.cu.cuMemAlloc(max(1, nbytes)), "cuMemAlloc"))

    def free(self, ptr):
        self._check(self.cu.cuMemFree(ptr), "cuMemFree")

    def htod(self, ptr, host):
        if host.nbytes:
            self._check(self.cu.cuMemcpyHtoD(ptr, host.ctypes.data, host.nbytes), "cuMemcpyHtoD")

    def dtoh(self, host, ptr):
        if host.nbytes:
            self._check(self.cu.cuMemcpyDtoH(host.ctypes.data, ptr, host.nbytes), "cuMemcpyDtoH")

    def dtod(self, dst, src, nbytes):
        if nbytes:
            self._check(self.cu.cuMemcpyDtoD(dst, src, nbytes), "cuMemcpyDtoD")

    def load_module(self, image):
        self._current()
        buf = ctypes.create_string_buffer(image if _is_elf(image) else image + b"\0", len(image) + 1)
        return self._check(self.cu.cuModuleLoadData(ctypes.addressof(buf)), "cuModuleLoadData")

    def function(self, module, name):
        return self._check(self.cu.cuModuleGetFunction(module, name.encode()), "cuModuleGetFunction")

    def launch(self, fn, grid, block, args):
        # kernelParams: an array of pointers to the argument values (ctypes objects kept alive here)
        pointers = (ctypes.c_void_p * len(args))(*[ctypes.addressof(a) for a in args])
        self._check(self.cu.cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, 0, 0, ctypes.addressof(pointers), 0),
                    "cuLaunchKernel")

    def synchronize(self):
        self._check(self.cu.cuCtxSynchronize(), "cuCtxSynchronize")


def _is_elf(data: bytes) -> bool:
    return data[:4] == b"\x7fELF"


# ---------------------------------------------------------------------------
# pycuda
# ---------------------------------------------------------------------------


class PyCUDADriver(Driver):
    name = "pycuda"

    def __init__(self):
        try:
            import pycuda.driver as cuda
        except ImportError as exc:
            raise GPUUnavailable("pycuda is not installed (pip install -e '.[gpu]')") from exc
        self.cuda = cuda
        self._allocations: dict[int, Any] = {}
        try:
            cuda.init()
            if cuda.Device.count() == 0:
                raise GPUUnavailable("no CUDA device found")
            self.device = cuda.Device(int(os.environ.get("MLC_CUDA_DEVICE", "0")))
            self.context = self.device.retain_primary_context()
            self.context.push()
        except cuda.Error as exc:
            raise GPUUnavailable(f"CUDA driver: {exc}") from exc

    def capability(self):
        return self.device.compute_capability()

    def device_name(self):
        return self.device.name()

    def version(self):
        return f"cuda-driver {self.cuda.get_driver_version()}"

    def alloc(self, nbytes):
        allocation = self.cuda.mem_alloc(max(1, nbytes))
        self._allocations[int(allocation)] = allocation
        return int(allocation)

    def free(self, ptr):
        allocation = self._allocations.pop(ptr, None)
        if allocation is not None:
            allocation.free()

    def htod(self, ptr, host):
        if host.nbytes:
            self.cuda.memcpy_htod(ptr, host)

    def dtoh(self, host, ptr):
        if host.nbytes:
            self.cuda.memcpy_dtoh(host, ptr)

    def dtod(self, dst, src, nbytes):
        if nbytes:
            self.cuda.memcpy_dtod(dst, src, nbytes)

    def load_module(self, image):
        return self.cuda.module_from_buffer(image if _is_elf(image) else image + b"\0")

    def function(self, module, name):
        return module.get_function(name)

    def launch(self, fn, grid, block, args):
        # pycuda packs numpy scalars by their dtype: pointers as uint64, sizes as int64
        values = [np.uint64(a.value or 0) if isinstance(a, ctypes.c_void_p) else np.dtype(_CTYPE_DTYPE[type(a)]).type(a.value)
                  for a in args]
        fn(*values, grid=(grid, 1, 1), block=(block, 1, 1))

    def synchronize(self):
        self.context.synchronize()


_CTYPE_DTYPE = {ctypes.c_int64: "int64", ctypes.c_int32: "int32", ctypes.c_int16: "int16", ctypes.c_int8: "int8",
                ctypes.c_uint8: "uint8", ctypes.c_float: "float32", ctypes.c_double: "float64",
                ctypes.c_bool: "bool"}

_DRIVERS = {"pycuda": PyCUDADriver, "cuda-bindings": CudaBindingsDriver}
_driver: Driver | None = None
_failure: GPUUnavailable | None = None


def driver() -> Driver:
    """The process's driver layer (created once); GPUUnavailable when none works."""
    global _driver, _failure
    if _driver is not None:
        return _driver
    if _failure is not None:
        raise _failure
    wanted = os.environ.get("MLC_GPU_DRIVER", "")
    order = [wanted] if wanted else ["pycuda", "cuda-bindings"]
    reasons = []
    for name in order:
        if name not in _DRIVERS:
            raise ValueError(f"MLC_GPU_DRIVER: expected one of {sorted(_DRIVERS)}, got {name!r}")
        try:
            _driver = _DRIVERS[name]()
            return _driver
        except GPUUnavailable as exc:
            reasons.append(f"{name}: {exc}")
    _failure = GPUUnavailable("no CUDA GPU available (" + "; ".join(reasons) + ")")
    raise _failure


def available() -> bool:
    try:
        driver()
        return True
    except GPUUnavailable:
        return False
