"""The target description: what generated code may assume about the machine.

The runtime gathers it once (`mlc.runtime.cpu.host_target()`: the LLVM
triple, CPU name and features, whether glibc's libmvec is loaded; later
the GPU arch) and hands it to the lowering as data. The lowering never
probes the machine itself, so the same IR and the same Target always give
the same code, and every cache key includes `Target.key()`. `mlc-opt`
lowers for `GENERIC_CPU` unless told otherwise.

For the GPU, `GPUTarget` adds what the GPU lowering needs (the launch
shape: threads per block, grid caps) and hands it to `convert-linalg-to-gpu`
as pass options, so `mlc-opt -p 'convert-linalg-to-gpu{block_size=256}'`
reproduces what `mlc.function(..., target='cuda')` ran.

This module imports nothing from mlc: every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


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


#: the architectures whose PTX the tests check with ptxas, and the PTX ISA version each needs
PTX_FEATURES = {"sm_70": "+ptx64", "sm_75": "+ptx64", "sm_80": "+ptx70", "sm_86": "+ptx71",
                "sm_89": "+ptx78", "sm_90": "+ptx78"}


@dataclass(frozen=True)
class GPUTarget:
    """An NVIDIA GPU as the GPU lowering sees it.

    * `arch`: the `sm_XX` the PTX is generated (and ptxas-checked) for;
    * `block_size`: threads per block of every kernel (a power of two, at
      least a warp): elementwise kernels stride over the grid by it, block
      reductions build their shared-memory tree for it;
    * `max_blocks`: the most blocks an elementwise (grid-stride) kernel is
      launched with; more elements loop;
    * `reduce_blocks`: blocks of the first pass of a full reduction (each
      folds a strided share into one partial; the second pass folds the
      partials in order, so the result depends only on the size).
    """

    arch: str = "sm_80"
    block_size: int = 256
    max_blocks: int = 4096
    reduce_blocks: int = 1024
    warp_size: int = 32
    triple: str = "nvptx64-nvidia-cuda"

    def __post_init__(self):
        if self.arch not in PTX_FEATURES:
            raise ValueError(f"GPUTarget: expected arch in {sorted(PTX_FEATURES)}, got {self.arch!r}")
        b = self.block_size
        if b < self.warp_size or b & (b - 1):
            raise ValueError(f"GPUTarget: block_size must be a power of two >= {self.warp_size}, got {b}")
        if self.max_blocks < 1 or self.reduce_blocks < 1:
            raise ValueError("GPUTarget: max_blocks and reduce_blocks must be >= 1")

    @property
    def ptx_features(self) -> str:
        return PTX_FEATURES[self.arch]

    @property
    def compute_capability(self) -> tuple[int, int]:
        digits = self.arch[3:]
        return int(digits[:-1]), int(digits[-1])

    def outline_pass(self) -> str:
        """The `convert-linalg-to-gpu` stage with this target's launch shape."""
        return (f"convert-linalg-to-gpu{{block_size={self.block_size} max_blocks={self.max_blocks} "
                f"reduce_blocks={self.reduce_blocks}}}")

    def target(self) -> Target:
        """The generic target description of this GPU (cache keys, the PTX emitter)."""
        return Target(kind="cuda", triple=self.triple, cpu=self.arch, features=self.ptx_features,
                      gpu_arch=self.arch)

    def with_arch(self, arch: str) -> GPUTarget:
        return replace(self, arch=arch)

    @staticmethod
    def for_capability(major: int, minor: int) -> GPUTarget:
        """The closest description the backend knows for a device of compute capability major.minor."""
        known = sorted(PTX_FEATURES, key=lambda a: int(a[3:]))
        wanted = major * 10 + minor
        arch = [a for a in known if int(a[3:]) <= wanted]
        return GPUTarget(arch[-1] if arch else known[0])
