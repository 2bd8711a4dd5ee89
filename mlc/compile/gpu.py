"""The GPU pipelines behind `mlc.function(..., target='cuda' | 'ptx' | 'gpu-emulation')`.

    loops --convert-linalg-to-gpu--> host function + gpu.module of kernels
       host:   run by mlc.runtime.gpu (allocations, sizes, launches, cuBLAS)
       device: --GPU_DEVICE_STAGES--> llvm dialect --llvmlite NVPTX--> PTX (libdevice linked in)
       or, for 'gpu-emulation': --convert-gpu-to-loops--> the CPU pipeline (kernels run natively
       with block and thread ids as loop indices: how tests check kernel semantics without a GPU)

Every stage is a registered pass name (`mlc-opt -p` reproduces each one).
"""

from __future__ import annotations

import numpy as np

from mlc.compile.pipeline import LEVELS, NativeProgram, excluding_names, run_stages, stages
from mlc.compile.vm import PartitionedProgram, SubProgram
from mlc.graph import Constant
from mlc.target import GPUTarget

#: the device side, after convert-linalg-to-gpu: kernels -> llvm dialect ready for NVPTX
GPU_DEVICE_STAGES = (
    "convert-gpu-to-nvvm",  # gpu.func -> kernel functions; thread ids, barriers, shuffles -> NVVM intrinsics
    "convert-math-to-libdevice",  # math.* -> calls of libdevice's __nv_* functions
    "canonicalize",
    "cse",
    "convert-scf-to-cf",
    "convert-to-llvm",
    "reconcile-unrealized-casts",
    "dce",
)

#: targets accepted by mlc.function
TARGETS = ("cpu", "cuda", "ptx", "gpu-emulation")


def resolve_target(target: str | None) -> str:
    """`mlc.function`'s target: the given one, else from `config.device` ('cuda*'/'gpu*' -> 'cuda')."""
    if target is None:
        from mlc.config import config

        device = str(config.device)
        return "cuda" if device.startswith(("cuda", "gpu")) else "cpu"
    if target not in TARGETS:
        raise ValueError(f"function: expected target in {TARGETS}, got {target!r}")
    return target


def gpu_stages(mode: str, target: GPUTarget) -> list[str]:
    """From emitted mt to the outlined GPU module (host function + gpu.module).

    A scatter's parallel loop runs a column per iteration (a GPU thread each, see
    mlc.passes.bufferize_scatter), where each of the CPU's updates a run of 256 columns."""
    loops = [GPU_BUFFERIZE if s == "bufferize" else s for s in stages(mode, "loops")]
    return [*loops, target.outline_pass(), "vectorize-gpu-loads", "canonicalize", "cse"]


GPU_BUFFERIZE = "bufferize{scatter_columns=1}"


def device_value(container):
    """A shared variable's value for a GPU function: arrays live on the device (uploaded on first use;
    updates replace the device copy), other values (a RandomState) stay on the host."""
    if container.device is not None:
        return container.device
    value = container.value
    if not _numeric(value):
        return value
    from mlc.runtime.gpu import to_device

    container.device = to_device(value)
    return container.device


class EmulatedGPUProgram(NativeProgram):
    """The GPU kernels run on the CPU (convert-gpu-to-loops), through the CPU runtime."""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...] = (), target: GPUTarget | None = None):
        self.gpu_target = target or GPUTarget()
        self.target_key = f"gpu-emulation {self.gpu_target}"
        super().__init__(fgraph, mode, excluding)

    def stages(self, level: str, profiled: bool = False) -> list[str]:
        if level == "gpu":
            return gpu_stages(self.mode, self.gpu_target)
        if level != "llvm":
            return super().stages(level)
        from mlc.compile.pipeline import LOOPS_TO_LLVM as LOOPS_TO_LLVM_PIPELINE

        return [*gpu_stages(self.mode, self.gpu_target), "convert-gpu-to-loops", *LOOPS_TO_LLVM_PIPELINE]

    def dump(self, level: str, debuginfo: bool | None = None) -> str:
        if level == "gpu":
            with excluding_names(self.excluding):
                return str(run_stages(self.mt_module.clone(), self.stages("gpu")))
        return super().dump(level, debuginfo)


class GPUProgram:
    """A FunctionGraph compiled for an NVIDIA GPU: a host program and PTX.

    target='ptx' stops there (inspection and tests on any machine); 'cuda'
    also loads the PTX through the driver on first call (mlc.runtime.gpu).
    """

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...] = (), target: str = "cuda",
                 gpu_target: GPUTarget | None = None, return_device_arrays: bool = False):
        from mlc.compile.pipeline import in_place_updates

        self.fgraph = fgraph
        self.mode = mode
        self.excluding = tuple(excluding)
        self.target = target
        self.return_device_arrays = return_device_arrays
        self.gpu_target = gpu_target or _device_target(target)
        with excluding_names(self.excluding):
            self.in_place = in_place_updates(fgraph) if "update-in-place" not in self.excluding else ()
        self.dtypes = [np.dtype(v.dtype) for v in fgraph.results]
        self._device_llvm = None
        self._ptx: str | None = None
        self._executable = None
        self._mt_module = None
        #: the graph-level cache: the same graph, options and GPU description (in any process) load the
        #: host program and the PTX from the disk cache, without running a pass or LLVM
        self._cache = _cache_key(fgraph, mode, self.excluding, self.in_place, self.gpu_target)
        self.from_cache = False
        entry = cache_get(self._cache)
        if entry is not None:
            from xdsl.parser import Parser

            from mlc.dialects import context

            self.gpu_module = Parser(context(), entry.extra["host"]).parse_module()
            self._ptx = entry.obj.decode()
            self.from_cache = True
            return
        with excluding_names(self.excluding):
            self.gpu_module = run_stages(self.mt_module.clone(), gpu_stages(mode, self.gpu_target))

    @property
    def mt_module(self):
        """The emitted mt module (emitted on first use: a cached program skips emission)."""
        if self._mt_module is None:
            from mlc.lowering.emit import emit_function

            self._mt_module = emit_function(self.fgraph)
            if any(j >= 0 for j in self.in_place):
                from mlc.passes.update_in_place import mark_in_place

                mark_in_place(self._mt_module, self.in_place)
        return self._mt_module

    # -- the device code -----------------------------------------------------------
    def device_llvm(self):
        """The kernels in the llvm dialect (GPU_DEVICE_STAGES on a copy of the outlined module)."""
        if self._device_llvm is None:
            self._device_llvm = run_stages(self.gpu_module.clone(), list(GPU_DEVICE_STAGES))
        return self._device_llvm

    @property
    def ptx(self) -> str:
        if self._ptx is None:
            from mlc.runtime.ptx import compile_ptx

            self._ptx = compile_ptx(self.device_llvm(), self.gpu_target).ptx
            cache_put(self._cache, self._ptx, str(self.gpu_module))
        return self._ptx

    def kernel_names(self) -> list[str]:
        from xdsl.dialects import gpu

        return [f.sym_name.data for k in self.gpu_module.ops if isinstance(k, gpu.ModuleOp)
                for f in k.body.block.ops if isinstance(f, gpu.FuncOp)]

    # -- running ---------------------------------------------------------------------
    def run(self, arrays, shapes):
        if self.target == "ptx":
            raise RuntimeError("this function was compiled with target='ptx' (code only); "
                               "compile it with target='cuda' to run it on a GPU")
        if self._executable is None:
            self._executable = self._make_executable()
        return self._executable.run(arrays, shapes, self.dtypes, len(self.fgraph.outputs),
                                    self.return_device_arrays)

    def _make_executable(self):
        from mlc.runtime.gpu import HostProgram

        return HostProgram(self.gpu_module, self.ptx, self.gpu_target, self.in_place)

    device_value = staticmethod(device_value)

    def dump(self, level: str) -> str:
        if level == "mt":
            return str(self.mt_module)
        if level == "gpu":
            return str(self.gpu_module)
        if level == "ptx":
            return self.ptx
        if level == "llvm":
            return str(self.device_llvm())
        if level == "llvm-ir":
            from mlc.runtime.ptx import device_llvm_ir

            return device_llvm_ir(self.device_llvm(), self.gpu_target)
        if level in LEVELS:
            with excluding_names(self.excluding):
                return str(run_stages(self.mt_module.clone(), stages(self.mode, level)))
        raise ValueError(f"dump_ir: expected level 'mt', 'mt-opt', 'loops', 'gpu', 'llvm', 'llvm-ir' or 'ptx', "
                         f"got {level!r}")

    def optimized_mt(self):
        with excluding_names(self.excluding):
            return run_stages(self.mt_module.clone(), stages(self.mode, "mt-opt"))


class GPUSegment(SubProgram):
    """A native segment of a partitioned GPU function: its own GPU program, called on device arrays."""

    def __init__(self, fgraph, program):
        from mlc.compile.function import ShapePlan

        self.fgraph = fgraph
        self.plan = ShapePlan(fgraph)
        self.program = program


class GPUPartitionedProgram(PartitionedProgram):
    """A GPU function whose graph has host ops (Python-loop scan, RandomStreams draws, sort, user ops).

    The native segments around the host nodes are GPU programs (their
    values stay on the device from one segment to the next); a host node's
    device inputs are copied to the host, it runs there (as on the CPU), and
    the segment reading its outputs copies them to the device. Outputs are
    numpy arrays (device arrays with `return_device_arrays`), new values of
    shared variables stay on the device."""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...], target: str, gpu_target: GPUTarget | None,
                 return_device_arrays: bool):
        self.target = target
        self.gpu_target = gpu_target or _device_target(target)
        self.return_device_arrays = return_device_arrays
        self.excluding = tuple(excluding)
        super().__init__(fgraph, mode, excluding, segment=self._segment)

    def _segment(self, fgraph) -> GPUSegment:
        if self.target == "gpu-emulation":
            return GPUSegment(fgraph, EmulatedGPUProgram(fgraph, self.mode, self.excluding, self.gpu_target))
        return GPUSegment(fgraph, GPUProgram(fgraph, self.mode, self.excluding, self.target, self.gpu_target,
                                             return_device_arrays=True))

    def run(self, arrays, shapes):
        if self.target == "ptx":
            raise RuntimeError("this function was compiled with target='ptx' (code only); "
                               "compile it with target='cuda' to run it on a GPU")
        return super().run(arrays, shapes)

    def before_host(self, node, env) -> None:
        for v in node.inputs:
            a = env.get(id(v))
            if a is not None and _on_device(a):
                env[id(v)] = a.to_host()

    def collect(self, env, arrays, shapes):
        if self.target == "gpu-emulation":
            return super().collect(env, arrays, shapes)
        from mlc.compile.vm import _constant_array
        from mlc.runtime.gpu import as_device

        taken = {id(a) for a in arrays}
        n = len(self.fgraph.outputs)
        results = []
        for k, (v, shape) in enumerate(zip(self.fgraph.results, shapes)):
            a = _constant_array(v) if isinstance(v, Constant) else env[id(v)]
            if k < n and not self.return_device_arrays:  # an output, to the host
                a = a.to_host() if _on_device(a) else np.array(a, dtype=v.type.dtype, order="C",
                                                                copy=id(a) in taken or None)
            elif _on_device(a) or _numeric(a):
                a = as_device(np.asarray(a, dtype=v.type.dtype)) if not _on_device(a) else (
                    a.copy() if id(a) in taken else a)
            taken.add(id(a))
            if shape is not None and tuple(np.shape(a) if not _on_device(a) else a.shape) != tuple(shape):
                raise RuntimeError(f"internal error: {v} has shape {a.shape} at run time, its shape rule said "
                                   f"{tuple(shape)}")
            results.append(a)
        return results

    device_value = staticmethod(device_value)

    def kernel_names(self) -> list[str]:
        return [name for step in self.steps if hasattr(step, "program")
                for name in step.program.program.kernel_names()]


def _cache_key(fgraph, mode: str, excluding, in_place, target: GPUTarget) -> tuple[str, bytes] | None:
    """(key, material) of a GPU program in the disk cache: the graph's description (as for the CPU
    cache), the in-place updates and the GPU description; the versions are part of every key."""
    from mlc.compile.cache_key import describe_graph
    from mlc.runtime import cache

    description = describe_graph(fgraph, mode, tuple(excluding))
    if description is None:
        return None
    description += f"\nin place {list(in_place)}\ngpu {target!r}"
    material = cache.key_material("gpu-program", description)
    return cache.key_of(material), material


def cache_get(key: tuple[str, bytes] | None):
    from mlc.runtime import cache

    if key is None:
        return None
    entry = cache.disk_get(*key)
    return entry if entry is not None and "host" in entry.extra else None


def cache_put(key: tuple[str, bytes] | None, ptx: str, host: str) -> None:
    from mlc.runtime import cache

    if key is not None:
        cache.disk_put(key[0], cache.Entry(ptx.encode(), {}, [], {"host": host}), key[1])


def _numeric(a) -> bool:
    """A numpy array of numbers or booleans (a RandomState in a 0-d object array is not)."""
    return isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind in "biufc"


def _on_device(a) -> bool:
    return hasattr(a, "to_host") and not isinstance(a, np.ndarray)


def _device_target(target: str) -> GPUTarget:
    """sm_80 for 'ptx'; for 'cuda' the architecture of the device (mlc.runtime.gpu asks the driver)."""
    if target == "cuda":
        from mlc.runtime.gpu import device_target

        return device_target()
    return GPUTarget()


#: what the GPU targets exclude: scans run as Python loops over their (CPU-compiled) step, a host op
#: whose inputs are copied to the host (a native scan's loop would keep host scalar code that reads
#: array memory across kernels, which `convert-linalg-to-gpu` refuses)
GPU_EXCLUDING = ("native-scan",)


def compile_for(target: str, fgraph, mode: str, excluding: tuple[str, ...] = (),
                gpu_target: GPUTarget | None = None, return_device_arrays: bool = False):
    """The program for `target` (not 'cpu')."""
    excluding = (*excluding, *[n for n in GPU_EXCLUDING if n not in excluding])
    with excluding_names(excluding):
        return _compile_for(target, fgraph, mode, excluding, gpu_target, return_device_arrays)


def _compile_for(target: str, fgraph, mode: str, excluding: tuple[str, ...], gpu_target: GPUTarget | None,
                 return_device_arrays: bool):
    from mlc.compile.pipeline import GPU_UNSUPPORTED_DTYPES
    from mlc.graph import ancestors, built_at

    from mlc.compile.vm import has_host_ops

    for v in ancestors(fgraph.results):
        if getattr(v.type, "dtype", None) in GPU_UNSUPPORTED_DTYPES:
            raise NotImplementedError(f"the GPU backend does not support {v.type.dtype} yet ({v}, {v.type})"
                                      f"{built_at(v)}")
    if has_host_ops(fgraph):
        return GPUPartitionedProgram(fgraph, mode, excluding, target, gpu_target, return_device_arrays)
    if target == "gpu-emulation":
        return EmulatedGPUProgram(fgraph, mode, excluding, gpu_target)
    return GPUProgram(fgraph, mode, excluding, target, gpu_target, return_device_arrays)
