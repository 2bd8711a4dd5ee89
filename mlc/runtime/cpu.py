"""The CPU engine: LLVM IR -> optimized native code (llvmlite MCJIT) -> callables.

    compiled = compile_module(llvm_dialect_module, ["f"])
    compiled.call("f", [a, b, out])     # numpy arrays; outputs written in place
    compiled["f"](a, b, out)            # the same

The calling convention is the memref ABI of `convert-to-llvm`: each array is
passed as its data pointer followed by one int64 per dimension; 0-d arrays
as the pointer alone. Arrays must be C-contiguous with the right dtype (an
`i1` element is numpy's 1-byte bool); `call` checks that before entering
native code, because native code cannot check anything.

Code is optimized at O3 for the host CPU (name and features), so simple
loops vectorize. The returned `CompiledModule` owns the execution engine:
keep it (or any callable taken from it, which references it) alive while
calling.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import llvmlite.binding as llvm
import numpy as np

OPT_LEVEL = 3

_initialized = False


def _init_llvm() -> None:
    global _initialized
    if not _initialized:
        # llvmlite >= 0.44 initializes the core itself; only targets remain.
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _initialized = True


_target_machine: llvm.TargetMachine | None = None


def new_host_target_machine() -> llvm.TargetMachine:
    """A target machine for the host (triple, CPU name, CPU features), JIT-ready."""
    _init_llvm()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=OPT_LEVEL,
        jit=True,
        codemodel="jitdefault",
    )


def host_target_machine() -> llvm.TargetMachine:
    """The shared host target machine used to optimize and print (never given to an engine)."""
    global _target_machine
    if _target_machine is None:
        _target_machine = new_host_target_machine()
    return _target_machine


# ---------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------

# memref element type (as printed by xDSL) -> numpy dtypes accepted for it
_ELEMENT_DTYPES: dict[str, tuple[np.dtype, ...]] = {
    "i1": (np.dtype(np.bool_),),
    "i8": (np.dtype(np.int8), np.dtype(np.uint8)),
    "i16": (np.dtype(np.int16), np.dtype(np.uint16)),
    "i32": (np.dtype(np.int32), np.dtype(np.uint32)),
    "i64": (np.dtype(np.int64), np.dtype(np.uint64)),
    "index": (np.dtype(np.int64),),
    "f16": (np.dtype(np.float16),),
    "f32": (np.dtype(np.float32),),
    "f64": (np.dtype(np.float64),),
}


@dataclass(frozen=True)
class ArgSpec:
    """One memref argument: its rank and, if known, the accepted dtypes."""

    rank: int
    dtypes: tuple[np.dtype, ...] | None = None
    shape: tuple[int | None, ...] | None = None  # None entries are dynamic


@dataclass(frozen=True)
class Signature:
    name: str
    args: tuple[ArgSpec, ...]

    @property
    def ctypes_args(self) -> list[Any]:
        out: list[Any] = []
        for a in self.args:
            out += [ctypes.c_void_p] + [ctypes.c_int64] * a.rank
        return out


def _signature_from_abi(name: str, abi: Any) -> Signature:
    """From the `mlc.memref_abi` attribute (the function's memref type)."""
    from xdsl.dialects.builtin import DYNAMIC_INDEX, MemRefType

    specs = []
    for t in abi.inputs:
        if not isinstance(t, MemRefType):
            raise TypeError(f"@{name}: argument {t} is not a memref; the entry ABI takes memrefs only")
        element = str(t.get_element_type())
        shape = tuple(None if d == DYNAMIC_INDEX else d for d in t.get_shape())
        specs.append(ArgSpec(len(shape), _ELEMENT_DTYPES.get(element), shape))
    return Signature(name, tuple(specs))


def _signature_from_ir(fn: llvm.ValueRef) -> Signature:
    """From LLVM IR alone: a `ptr` and the i64s after it make one memref."""
    specs: list[int] = []
    for arg in fn.arguments:
        kind = str(arg.type)
        if kind == "ptr":
            specs.append(0)
        elif kind == "i64" and specs:
            specs[-1] += 1
        else:
            raise TypeError(f"@{fn.name}: argument type {kind} does not fit the memref ABI")
    return Signature(fn.name, tuple(ArgSpec(rank) for rank in specs))


# ---------------------------------------------------------------------------
# The compiled module
# ---------------------------------------------------------------------------


@dataclass
class CompiledModule:
    """Owns the JIT engine; hands out callables for the entry functions."""

    engine: llvm.ExecutionEngine
    llvm_module: llvm.ModuleRef
    signatures: dict[str, Signature]
    ir: str  # the optimized LLVM IR
    _cfuncs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, sig in self.signatures.items():
            address = self.engine.get_function_address(name)
            if not address:
                raise KeyError(f"@{name} was not compiled")
            self._cfuncs[name] = ctypes.CFUNCTYPE(None, *sig.ctypes_args)(address)

    def call(self, name: str, arrays: Sequence[np.ndarray]) -> None:
        """Run entry function `name` on numpy arrays (outputs are written in place)."""
        sig = self.signatures[name]
        if len(arrays) != len(sig.args):
            raise TypeError(f"@{name}: expected {len(sig.args)} arrays, got {len(arrays)}")
        flat: list[int] = []
        for k, (a, spec) in enumerate(zip(arrays, sig.args)):
            _check_array(name, k, a, spec)
            flat.append(a.ctypes.data)
            flat += a.shape
        self._cfuncs[name](*flat)

    def __getitem__(self, name: str) -> Callable[..., None]:
        def run(*arrays: np.ndarray) -> None:
            self.call(name, arrays)

        run.__name__ = name
        run.compiled = self  # type: ignore[attr-defined]  # keeps the engine alive
        return run

    @property
    def llvm_ir(self) -> str:
        """The optimized LLVM IR (same as `ir`)."""
        return self.ir

    @property
    def asm(self) -> str:
        """Native assembly of the optimized module."""
        return host_target_machine().emit_assembly(self.llvm_module)


def _check_array(name: str, k: int, a: Any, spec: ArgSpec) -> None:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"@{name}: argument {k} must be a numpy array, got {type(a).__name__}")
    if a.ndim != spec.rank:
        raise ValueError(f"@{name}: argument {k} must have rank {spec.rank}, got shape {a.shape}")
    if spec.dtypes is not None and a.dtype not in spec.dtypes:
        expected = " or ".join(str(d) for d in spec.dtypes)
        raise TypeError(f"@{name}: argument {k} must have dtype {expected}, got {a.dtype}")
    if not a.flags.c_contiguous:
        raise ValueError(f"@{name}: argument {k} must be C-contiguous")
    if spec.shape is not None:
        for d, (got, want) in enumerate(zip(a.shape, spec.shape)):
            if want is not None and got != want:
                raise ValueError(
                    f"@{name}: argument {k} must have size {want} in dimension {d}, "
                    f"got shape {a.shape}"
                )


# ---------------------------------------------------------------------------
# Compilation
# ---------------------------------------------------------------------------


def optimize(mod: llvm.ModuleRef, tm: llvm.TargetMachine, level: int = OPT_LEVEL) -> None:
    """The new pass manager's standard pipeline at `level`, with both vectorizers."""
    pto = llvm.create_pipeline_tuning_options(speed_level=level)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)


def llvm_ir_text(module: Any, *, optimized: bool = True) -> str:
    """The final LLVM IR of an llvm-dialect module (or IR text), as the JIT sees it."""
    mod = _parse(module)
    if optimized:
        optimize(mod, host_target_machine())
    return str(mod)


def _ir_text(module: Any) -> str:
    if isinstance(module, str):
        return module
    from mlc.lowering.llvm_ir import to_llvm_ir

    return to_llvm_ir(module)


def _parse(module: Any) -> llvm.ModuleRef:
    tm = host_target_machine()
    mod = llvm.parse_assembly(_ir_text(module))
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    mod.verify()
    return mod


_BLAS_PREFIX = "mlc_blas_"


def compile_module(module: Any, entry_names: Sequence[str]) -> CompiledModule:
    """Compile an llvm-dialect `ModuleOp` (or LLVM IR text) for this CPU.

    `entry_names` are the functions to expose. With an xDSL module, their
    `mlc.memref_abi` attribute gives dtypes and static shapes to check;
    with IR text only the ranks are known.
    """
    text = _ir_text(module)
    if _BLAS_PREFIX in text:
        from mlc.runtime.blas_symbols import register_blas_symbols

        register_blas_symbols()
    signatures = _signatures(module, entry_names)
    tm = host_target_machine()
    mod = _parse(text)
    optimize(mod, tm)
    _check_symbols(mod)
    # The engine takes ownership of its target machine: give it its own.
    engine = llvm.create_mcjit_compiler(mod, new_host_target_machine())
    engine.finalize_object()
    return CompiledModule(engine, mod, signatures, str(mod))


_PROCESS = ctypes.CDLL(None)  # dlsym(RTLD_DEFAULT, ...): everything loaded
_LIBM = ctypes.CDLL(ctypes.util.find_library("m"))  # libm and, through it, libc


def _in_process(name: str) -> bool:
    return bool(llvm.address_of_symbol(name)) or hasattr(_PROCESS, name)


def _check_symbols(mod: llvm.ModuleRef) -> None:
    """Catch what would otherwise crash inside native code.

    * every external function must resolve (MCJIT would call address 0);
    * no defined function may shadow a C library symbol: LLVM lowers
      `llvm.pow.f32` to a call of `powf`, which would then call a JIT
      function named `powf` instead of libm's.
    """
    for fn in mod.functions:
        if fn.name.startswith("llvm."):
            continue
        if fn.is_declaration and not _in_process(fn.name):
            raise RuntimeError(f"JIT: external function @{fn.name} is not defined in this process")
        if not fn.is_declaration and hasattr(_LIBM, fn.name):
            raise ValueError(
                f"JIT: function @{fn.name} has the name of a C library function; rename it"
            )


def _signatures(module: Any, entry_names: Sequence[str]) -> dict[str, Signature]:
    if isinstance(module, str):
        mod = llvm.parse_assembly(module)
        return {n: _signature_from_ir(mod.get_function(n)) for n in entry_names}
    from xdsl.dialects import llvm as llvm_dialect

    funcs = {
        op.sym_name.data: op for op in module.ops if isinstance(op, llvm_dialect.FuncOp)
    }
    out = {}
    for name in entry_names:
        if name not in funcs:
            raise KeyError(f"no function @{name} in the module")
        abi = funcs[name].attributes.get("mlc.memref_abi")
        if abi is None:
            raise ValueError(f"@{name} has no mlc.memref_abi attribute (not lowered by convert-to-llvm?)")
        out[name] = _signature_from_abi(name, abi)
    return out
