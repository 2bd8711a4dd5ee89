"""The PTX emitter: GPU kernels in the llvm dialect -> PTX text (llvmlite's NVPTX target).

    ptx = compile_ptx(device_module, GPUTarget("sm_90"))   # PTXModule: .ptx, .kernels, .llvm_ir
    report = ptxas(ptx.ptx, "sm_90")                       # registers, spills; PtxasError on failure

Steps: translate (mlc.lowering.llvm_ir) with the `nvptx64-nvidia-cuda`
triple and NVPTX data layout; every defined public function is a kernel
(`ptx_kernel` calling convention, which the xDSL llvm dialect cannot
express); libdevice is linked in and everything but the kernels made
internal (otherwise the whole of libdevice ends up in the PTX); O3; PTX.

No GPU and no driver are needed: only llvmlite and libdevice. libdevice
and ptxas are looked up, in order, from `MLC_LIBDEVICE`/`MLC_PTXAS`, the
`nvidia-cuda-nvcc-cu12` wheel (`nvidia/cuda_nvcc/{nvvm/libdevice,bin}`),
`PATH` (ptxas) and `CUDA_HOME`/`CUDA_PATH`/`/usr/local/cuda*`.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm

from mlc.target import GPUTarget

_nvptx_ready = False


def _init_nvptx() -> None:
    global _nvptx_ready
    if not _nvptx_ready:
        llvm.initialize_all_targets()
        llvm.initialize_all_asmprinters()
        _nvptx_ready = True


_machines: dict[str, llvm.TargetMachine] = {}


def target_machine(target: GPUTarget) -> llvm.TargetMachine:
    tm = _machines.get(target.arch)
    if tm is None:
        _init_nvptx()
        tm = llvm.Target.from_triple(target.triple).create_target_machine(
            cpu=target.arch, features=target.ptx_features, opt=3)
        _machines[target.arch] = tm
    return tm


# ---------------------------------------------------------------------------
# Tools from the CUDA toolkit (or the nvidia-cuda-nvcc wheel)
# ---------------------------------------------------------------------------


def _wheel_paths(*parts: str) -> list[str]:
    """`nvidia/cuda_nvcc/<parts>` in every sys.path entry (the nvidia-cuda-nvcc-cu12 wheel's layout)."""
    return [os.path.join(p, "nvidia", "cuda_nvcc", *parts) for p in sys.path if p]


def _toolkit_paths(*parts: str) -> list[str]:
    roots = [os.environ.get(v) for v in ("CUDA_HOME", "CUDA_PATH")]
    roots += sorted(glob.glob("/usr/local/cuda*"), reverse=True)
    return [os.path.join(r, *parts) for r in roots if r]


def find_libdevice() -> str | None:
    """libdevice.10.bc, or None."""
    candidates = [os.environ.get("MLC_LIBDEVICE", "")]
    candidates += _wheel_paths("nvvm", "libdevice", "libdevice.10.bc")
    candidates += _toolkit_paths("nvvm", "libdevice", "libdevice.10.bc")
    return next((c for c in candidates if c and os.path.isfile(c)), None)


def find_ptxas() -> str | None:
    """The ptxas executable, or None."""
    candidates = [os.environ.get("MLC_PTXAS", "")]
    candidates += _wheel_paths("bin", "ptxas")
    candidates.append(shutil.which("ptxas") or "")
    candidates += _toolkit_paths("bin", "ptxas")
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


_libdevice: Any = None


def _libdevice_module() -> Any:
    """libdevice, parsed once (about 20 ms); each link consumes a clone."""
    global _libdevice
    path = find_libdevice()
    if path is None:
        raise RuntimeError("libdevice.10.bc not found: install the GPU test tools (pip install "
                           "nvidia-cuda-nvcc-cu12) or set MLC_LIBDEVICE / CUDA_HOME")
    if _libdevice is None:
        with open(path, "rb") as f:
            _libdevice = f.read()
    return llvm.parse_bitcode(_libdevice)


# ---------------------------------------------------------------------------
# llvm dialect -> PTX
# ---------------------------------------------------------------------------


@dataclass
class PTXModule:
    ptx: str
    kernels: list[str]
    llvm_ir: str  # optimized, libdevice linked in
    arch: str = "sm_80"


def device_llvm_ir(module, target: GPUTarget) -> tuple[str, list[str]] | str:
    """The unoptimized LLVM IR text of a device module (kernels with the ptx_kernel convention)."""
    return _device_ir(module, target)[0]


def _device_ir(module, target: GPUTarget) -> tuple[str, list[str]]:
    from mlc.lowering.llvm_ir import translate

    tm = target_machine(target)
    irm = translate(module, triple=target.triple, data_layout=str(tm.target_data))
    kernels = []
    for fn in irm.functions:
        if fn.blocks and fn.linkage in ("", "external"):
            fn.calling_convention = "ptx_kernel"
            kernels.append(fn.name)
    return str(irm), kernels


_ptx_cache: dict[tuple[str, str], PTXModule] = {}


def compile_ptx(module, target: GPUTarget) -> PTXModule:
    """PTX for the kernels of an llvm-dialect device module (see the module docstring)."""
    text, kernels = _device_ir(module, target)
    return compile_ptx_ir(text, kernels, target)


def compile_ptx_ir(text: str, kernels: list[str], target: GPUTarget) -> PTXModule:
    key = (text, target.arch)
    hit = _ptx_cache.get(key)
    if hit is not None:
        return hit
    tm = target_machine(target)
    mod = llvm.parse_assembly(text)
    if any(f.is_declaration and f.name.startswith("__nv_") for f in mod.functions):
        mod.link_in(_libdevice_module())
    for f in mod.functions:
        if not f.is_declaration and f.name not in kernels:
            f.linkage = llvm.Linkage.internal
    for g in mod.global_variables:
        if not g.is_declaration:
            g.linkage = llvm.Linkage.internal
    from mlc.runtime.cpu import optimize

    optimize(mod, tm)
    out = PTXModule(tm.emit_assembly(mod), kernels, str(mod), target.arch)
    _ptx_cache[key] = out
    return out


# ---------------------------------------------------------------------------
# ptxas: the check the tests run on every kernel
# ---------------------------------------------------------------------------


class PtxasError(RuntimeError):
    pass


@dataclass
class KernelResources:
    registers: int = 0
    spill_stores: int = 0
    spill_loads: int = 0
    shared_bytes: int = 0


@dataclass
class PtxasReport:
    arch: str
    kernels: dict[str, KernelResources] = field(default_factory=dict)
    log: str = ""

    def summary(self) -> str:
        """One line: kernel count, the largest register count (and its kernel), spills, shared memory."""
        if not self.kernels:
            return "no kernels"
        worst = max(self.kernels, key=lambda k: self.kernels[k].registers)
        spills = sum(r.spill_stores + r.spill_loads for r in self.kernels.values())
        smem = max(r.shared_bytes for r in self.kernels.values())
        return (f"{len(self.kernels)} kernels, max {self.kernels[worst].registers} registers ({worst}), "
                f"{spills} bytes spilled, max {smem} B shared")


_FUNC_RE = re.compile(r"Compiling entry function '(\w+)'")
_REGS_RE = re.compile(r"Used (\d+) registers")
_SPILL_RE = re.compile(r"(\d+) bytes spill stores, (\d+) bytes spill loads")
_SMEM_RE = re.compile(r"(\d+) bytes smem")


def ptxas(ptx: str, arch: str, executable: str | None = None) -> PtxasReport:
    """Assemble `ptx` for `arch` with `ptxas -v`; the per-kernel resources, or PtxasError."""
    exe = executable or find_ptxas()
    if exe is None:
        raise FileNotFoundError("ptxas not found: install nvidia-cuda-nvcc-cu12 or a CUDA toolkit, or set MLC_PTXAS")
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "kernels.ptx")
        with open(src, "w") as f:
            f.write(ptx)
        proc = subprocess.run([exe, "-v", f"-arch={arch}", src, "-o", os.path.join(d, "kernels.cubin")],
                              capture_output=True, text=True, timeout=120)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise PtxasError(f"ptxas -arch={arch} failed (exit {proc.returncode}):\n{log}")
    report = PtxasReport(arch, log=log)
    current = None
    for line in log.splitlines():
        m = _FUNC_RE.search(line)
        if m:
            current = report.kernels.setdefault(m.group(1), KernelResources())
            continue
        if current is None:
            continue
        if (m := _SPILL_RE.search(line)):
            current.spill_stores, current.spill_loads = int(m.group(1)), int(m.group(2))
        if (m := _REGS_RE.search(line)):
            current.registers = int(m.group(1))
        if (m := _SMEM_RE.search(line)):
            current.shared_bytes = int(m.group(1))
    return report
