"""The GPU pipelines behind `mlc.function(..., target='cuda' | 'ptx' | 'gpu-emulation')`.

    loops --convert-linalg-to-gpu--> host function + gpu.module of kernels
       host:   run by mlc.runtime.gpu (allocations, sizes, launches, cuBLAS)
       device: --GPU_DEVICE_STAGES--> llvm dialect --llvmlite NVPTX--> PTX (libdevice linked in)
       or, for 'gpu-emulation': --convert-gpu-to-loops--> the CPU pipeline (kernels run natively
       with block and thread ids as loop indices: how tests check kernel semantics without a GPU)

Every stage is a registered pass name (`mlc-opt -p` reproduces each one).
"""

from __future__ import annotations

from mlc.compile.pipeline import LEVELS, NativeProgram, excluding_names, run_stages, stages
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
    """From emitted mt to the outlined GPU module (host function + gpu.module)."""
    return [*stages(mode, "loops"), target.outline_pass(), "vectorize-gpu-loads", "canonicalize", "cse"]


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
        from mlc.lowering.emit import emit_function

        self.fgraph = fgraph
        self.mode = mode
        self.excluding = tuple(excluding)
        self.target = target
        self.return_device_arrays = return_device_arrays
        self.gpu_target = gpu_target or _device_target(target)
        self.mt_module = emit_function(fgraph)
        with excluding_names(self.excluding):
            self.in_place = in_place_updates(fgraph) if "update-in-place" not in self.excluding else ()
        if any(j >= 0 for j in self.in_place):
            from mlc.passes.update_in_place import mark_in_place

            mark_in_place(self.mt_module, self.in_place)
        with excluding_names(self.excluding):
            self.gpu_module = run_stages(self.mt_module.clone(), gpu_stages(mode, self.gpu_target))
        import numpy as np

        self.dtypes = [np.dtype(v.dtype) for v in fgraph.results]
        self._device_llvm = None
        self._ptx: str | None = None
        self._executable = None

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

    def device_value(self, container):
        """A shared variable's value on the device (uploaded on first use; updates replace it there)."""
        from mlc.runtime.gpu import to_device

        if container.device is None:
            container.device = to_device(container.value)
        return container.device

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


def _device_target(target: str) -> GPUTarget:
    """sm_80 for 'ptx'; for 'cuda' the architecture of the device (mlc.runtime.gpu asks the driver)."""
    if target == "cuda":
        from mlc.runtime.gpu import device_target

        return device_target()
    return GPUTarget()


def compile_for(target: str, fgraph, mode: str, excluding: tuple[str, ...] = (),
                gpu_target: GPUTarget | None = None, return_device_arrays: bool = False):
    """The program for `target` (not 'cpu')."""
    from mlc.compile.pipeline import UNSUPPORTED_DTYPES
    from mlc.graph import ancestors, built_at

    from mlc.compile.vm import has_host_ops

    if has_host_ops(fgraph):
        raise NotImplementedError(f"target={target!r}: graphs with host ops (scan, host random streams, "
                                  "user ops) run on the CPU only for now")
    for v in ancestors(fgraph.results):
        if getattr(v.type, "dtype", None) in UNSUPPORTED_DTYPES:
            raise NotImplementedError(f"the GPU backend does not support {v.type.dtype} yet ({v}, {v.type})"
                                      f"{built_at(v)}")
    if target == "gpu-emulation":
        return EmulatedGPUProgram(fgraph, mode, excluding, gpu_target)
    return GPUProgram(fgraph, mode, excluding, target, gpu_target, return_device_arrays)
