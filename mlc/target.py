"""The target description: what generated code may assume about the machine.

The runtime gathers it once (`mlc.runtime.cpu.host_target()`: the LLVM
triple, CPU name and features, whether glibc's libmvec is loaded; later
the GPU arch) and hands it to the lowering as data. The lowering never
probes the machine itself, so the same IR and the same Target always give
the same code, and every cache key includes `Target.key()`. `mlc-opt`
lowers for `GENERIC_CPU` unless told otherwise.

This module imports nothing from mlc: every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    kind: str = "cpu"  # "cpu" (LLVM JIT) or "cuda" (NVPTX)
    triple: str = ""  # "" lets LLVM use the process's triple
    cpu: str = "generic"  # LLVM CPU name ("znver3", "skylake-avx512", ...)
    features: str = ""  # LLVM feature string: "+avx2,+fma,-avx512f,..."
    libmvec: bool = False  # glibc's vector math library is callable from JIT code
    gpu_arch: str = ""  # "sm_80", "sm_90" for kind == "cuda"

    def has_feature(self, name: str) -> bool:
        """Whether the feature string enables `name` (e.g. "avx2")."""
        return f"+{name}" in self.features.split(",")

    def key(self) -> str:
        """Everything code generation depends on, as one string (part of cache keys)."""
        return ";".join([self.kind, self.triple, self.cpu, self.features, f"libmvec={int(self.libmvec)}",
                         self.gpu_arch])


#: a CPU with no optional features and no libmvec: what `mlc-opt` lowers for by default
GENERIC_CPU = Target()
