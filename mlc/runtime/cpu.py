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
loops vectorize. The returned `CompiledModule` owns its execution engine
(one per module): keep it (or any callable taken from it, which references
it) alive while calling. When the last reference goes - the in-process
cache evicted it and no function uses it - the engine is disposed and its
code and data are unmapped.

Compiled object code is cached in this process and on disk
(`mlc.runtime.cache`). Each entry function also gets an *array entry*
(`compiled.array_entry(name, release_gil)`): the same function taking the
numpy arrays themselves, by address, for `mlc.function`'s fast call path.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import llvmlite.binding as llvm
import numpy as np

from mlc.runtime import errors
from mlc.target import Target

OPT_LEVEL = 3

#: Held while anything is compiled (IR built, passes run, LLVM run, code
#: loaded). xDSL's IR, the pass registries and LLVM's shared target machine
#: are not safe to use from several threads at once, and a thread that
#: waits here for another compiling the same function then finds it in the
#: in-process cache. Re-entrant: compiling may compile runtime helpers
#: (the thread pool, BLAS adapters). Calling compiled code takes no lock.
COMPILE_LOCK = threading.RLock()

_initialized = False


def _init_llvm() -> None:
    global _initialized
    if not _initialized:
        # llvmlite >= 0.44 initializes the core itself; only targets remain.
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        keep_freed_memory()
        _initialized = True


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed memory for reuse instead of unmapping it (Linux/glibc only).

    Compiled code allocates its large temporaries (im2col patches, layer
    activations: tens of MB) with malloc on every call. By default glibc
    serves blocks above 32 MB with a fresh mmap and returns them on free,
    so every call page-faults and zeroes all of that memory again: a
    third of a LeNet training step on a 2-core machine (3.5 s -> 2.2 s
    without it). With mmap off and trimming off, freed blocks are reused
    (the process keeps its peak heap, as an array pool would). Set
    MLC_MALLOC_DEFAULTS=1 to leave malloc as it is. Returns whether it applied.
    """
    import os
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("MLC_MALLOC_DEFAULTS") == "1":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    m_trim_threshold, m_mmap_max = -1, -4
    return bool(mallopt(m_mmap_max, 0)) and bool(mallopt(m_trim_threshold, 2**31 - 1))


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
    "complex<f32>": (np.dtype(np.complex64),),
    "complex<f64>": (np.dtype(np.complex128),),
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


class CompiledModule:
    """Owns the JIT engine; hands out callables for the entry functions.

    `ir` (the optimized LLVM IR) and `asm` are computed on demand: a module
    loaded from the compile cache has only its object code, and re-derives
    the IR from its source text (or from `ir_source()`) when asked.
    """

    def __init__(self, engine: llvm.ExecutionEngine, signatures: dict[str, Signature],
                 source: str | None = None, optimized: str | None = None,
                 ir_source: Callable[[], str] | None = None):
        self.engine = engine
        self.signatures = signatures
        self._source = source  # the unoptimized LLVM IR text, when known
        self._optimized = optimized
        self._ir_source = ir_source
        self.entry: Any = None  # the cache entry (object code) it was loaded from
        self._cfuncs: dict[str, Any] = {}
        self._entries: dict[tuple[str, bool], Any] = {}
        for name, sig in signatures.items():
            address = engine.get_function_address(name)
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
        if errors.PENDING:  # native code reported a failed allocation
            errors.raise_pending(name)

    def array_entry(self, name: str, release_gil: bool) -> Callable[..., None] | None:
        """The raw entry taking the arrays' `id()`s (see `ARRAY_ENTRY_SUFFIX`), or None.

        No checks at all: the caller has validated every array against
        `signatures[name]` (dtype, rank, static sizes, C-contiguity) and
        keeps the arrays alive during the call - and keeps this module
        alive while it holds the entry (its code is freed with the module). `release_gil=False` saves
        the GIL hand-off (~0.1 us) for short calls.
        """
        key = (name, release_gil)
        fn = self._entries.get(key)
        if fn is None:
            address = self.engine.get_function_address(name + ARRAY_ENTRY_SUFFIX)
            if not address:
                return None
            nargs = len(self.signatures[name].args)
            proto = ctypes.CFUNCTYPE if release_gil else ctypes.PYFUNCTYPE
            fn = self._entries[key] = proto(None, *([ctypes.c_void_p] * nargs))(address)
        return fn

    def __getitem__(self, name: str) -> Callable[..., None]:
        def run(*arrays: np.ndarray) -> None:
            self.call(name, arrays)

        run.__name__ = name
        run.compiled = self  # type: ignore[attr-defined]  # keeps the engine alive
        return run

    @property
    def ir(self) -> str:
        """The optimized LLVM IR (re-derived for a module loaded from the cache)."""
        with COMPILE_LOCK:
            return self._optimized_ir()

    def _optimized_ir(self) -> str:
        if self._optimized is None:
            source = self._source
            if source is None:
                if self._ir_source is None:
                    raise ValueError("this compiled module was loaded from the cache without its IR")
                source = self._ir_source()
            mod = _parse(_with_array_entries(source, self.signatures))
            optimize(mod, host_target_machine())
            self._optimized = str(mod)
        return self._optimized

    @property
    def llvm_ir(self) -> str:
        """The optimized LLVM IR (same as `ir`)."""
        return self.ir

    @property
    def llvm_module(self) -> llvm.ModuleRef:
        return llvm.parse_assembly(self.ir)

    @property
    def asm(self) -> str:
        """Native assembly of the optimized module."""
        module = self.llvm_module
        with COMPILE_LOCK:
            return host_target_machine().emit_assembly(module)


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


_timing = threading.local()


def record_times(rows: list | None) -> list | None:
    """Append (stage, wall s, cpu s) for each LLVM stage run by this thread
    to `rows` from now on (None: stop); returns the previous list."""
    previous = getattr(_timing, "rows", None)
    _timing.rows = rows
    return previous


@contextmanager
def _timed(stage: str) -> Iterator[None]:
    rows = getattr(_timing, "rows", None)
    if rows is None:
        yield
        return
    w0, c0 = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        rows.append((stage, time.perf_counter() - w0, time.thread_time() - c0))


def optimize(mod: llvm.ModuleRef, tm: llvm.TargetMachine, level: int = OPT_LEVEL) -> None:
    """The new pass manager's standard pipeline at `level`, with both vectorizers."""
    pto = llvm.create_pipeline_tuning_options(speed_level=level)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = True
    pb = llvm.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    try:
        mpm.run(mod, pb)
    finally:
        dispose_pass_manager(mpm)


def dispose_pass_manager(pm: Any) -> None:
    """Free an llvmlite pass manager now (llvmlite never frees one itself).

    In llvmlite 0.44-0.50 `ModulePassManager(ObjectRef, NewPassManager)`
    inherits ObjectRef's no-op `_dispose` ahead of NewPassManager's, so
    every pipeline built by `optimize` - with the state its passes keep
    from the run - stayed in memory: ~85 KB per compile, never returned
    (the resident set grew by that much per compiled module, long after
    the module itself was freed). Detached afterwards, so an llvmlite that
    frees it itself does not free it twice. What llvmlite still leaks is
    the `PassInstrumentationCallbacks` that `create_pass_builder` allocates
    and never deletes (~1.5 KB per compile; not reachable from Python).
    """
    from llvmlite.binding import newpassmanagers

    dispose = getattr(newpassmanagers.NewPassManager, "_dispose", None)
    if dispose is not None and not pm.closed:
        dispose(pm)
        pm.detach()


def llvm_ir_text(module: Any, *, optimized: bool = True) -> str:
    """The final LLVM IR of an llvm-dialect module (or IR text), as the JIT sees it."""
    with COMPILE_LOCK:
        mod = _parse(module)
        if optimized:
            optimize(mod, host_target_machine())
        return str(mod)


def _ir_text(module: Any) -> str:
    if isinstance(module, str):
        return module
    from mlc.lowering.llvm_ir import to_llvm_ir

    return to_llvm_ir(module, host_target())


def _parse(module: Any) -> llvm.ModuleRef:
    tm = host_target_machine()
    mod = llvm.parse_assembly(_ir_text(module))
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    mod.verify()
    return mod


def compile_module(module: Any, entry_names: Sequence[str]) -> CompiledModule:
    """Compile an llvm-dialect `ModuleOp` (or LLVM IR text) for this CPU.

    `entry_names` are the functions to expose. With an xDSL module, their
    `mlc.memref_abi` attribute gives dtypes and static shapes to check;
    with IR text only the ranks are known.

    The object code is cached (`mlc.runtime.cache`), keyed by the LLVM IR
    text, the entry names, the target and the versions: compiling the same
    IR again in this process returns the same module, and another process
    loads the object file instead of running LLVM.
    """
    with COMPILE_LOCK:
        return _compile_module(module, entry_names)


def _compile_module(module: Any, entry_names: Sequence[str]) -> CompiledModule:
    from mlc.runtime import cache

    with _timed("llvm-ir-text"):
        text = _ir_text(module)
    signatures = _signatures(module, entry_names)
    # The signatures (dtypes checked before calls) are part of the key: two
    # modules may share their IR (a 4-byte copy is a 4-byte copy) but not them.
    sigs = repr(sorted((name, signature_to_json(sig)) for name, sig in signatures.items()))
    material = cache.key_material("llvm-ir", text, sigs)
    key = cache.key_of(material)
    compiled = cache.memory.get(key)
    if compiled is not None:
        cache.stats.memory_hits += 1
        return compiled
    compiled = _load_from_disk(key, material, source=text)
    if compiled is None:
        with cache.compiling(key):  # another process compiling it: wait, then load its entry
            compiled = _load_from_disk(key, material, source=text)
            if compiled is None:
                entry, optimized = build_entry(text, signatures)
                cache.stats.compiles += 1
                if cache.disk_put(key, entry, material):
                    cache.stats.disk_writes += 1
                compiled = load_entry(entry, source=text, optimized=optimized)
                assert compiled is not None, "freshly built object code did not load"
    cache.memory.put(key, compiled)
    return compiled


def _load_from_disk(key: str, material: bytes, **kwargs: Any) -> CompiledModule | None:
    from mlc.runtime import cache

    entry = cache.disk_get(key, material)
    compiled = load_entry(entry, **kwargs) if entry is not None else None
    if compiled is not None:
        cache.stats.disk_hits += 1
    return compiled


def compile_described(description: str | None, build: Callable[[], Any],
                      entry_names: Sequence[str]) -> CompiledModule:
    """`compile_module(build(), entry_names)`, looked up first by `description`.

    `description` is a text that determines the module `build()` would
    return (mlc.function's graph description, see `mlc.compile.cache_key`),
    or None. On a hit - in this process or on disk - `build` is never
    called: no IR is built at all. The IR of such a module is re-derived
    by calling `build` only if someone asks for it (`CompiledModule.ir`).
    """
    with COMPILE_LOCK:
        return _compile_described(description, build, entry_names)


def _compile_described(description: str | None, build: Callable[[], Any],
                       entry_names: Sequence[str]) -> CompiledModule:
    from mlc.runtime import cache

    if description is None:
        return compile_module(build(), entry_names)
    material = cache.key_material("program", description, "\n".join(entry_names))
    key = cache.key_of(material)
    compiled = cache.memory.get(key)
    if compiled is not None:
        cache.stats.memory_hits += 1
        return compiled
    ir_source = lambda: _ir_text(build())  # noqa: E731
    compiled = _load_from_disk(key, material, ir_source=ir_source)
    if compiled is None:
        with cache.compiling(key):  # another process compiling it: wait, then load its entry
            compiled = _load_from_disk(key, material, ir_source=ir_source)
            if compiled is None:
                compiled = compile_module(build(), entry_names)
                if compiled.entry is not None and cache.disk_put(key, compiled.entry, material):
                    cache.stats.disk_writes += 1
    cache.memory.put(key, compiled)
    return compiled


def build_entry(text: str, signatures: dict[str, Signature]) -> tuple[Any, str]:
    """Run LLVM: IR text -> optimized module -> native object file (a cache `Entry`).

    Returns the entry and the optimized IR text.
    """
    from mlc.runtime.cache import Entry

    _register_providers(text)
    with _timed("llvm-parse"):
        mod = _parse(_with_array_entries(text, signatures))
    with _timed("llvm-optimize"):
        optimize(mod, host_target_machine())
    symbols = _check_symbols(mod)
    with _timed("llvm-codegen"):
        obj = host_target_machine().emit_object(mod)
    sigs = {name: signature_to_json(sig) for name, sig in signatures.items()}
    return Entry(obj, sigs, symbols), str(mod)


def load_entry(entry: Any, source: str | None = None, optimized: str | None = None,
               ir_source: Callable[[], str] | None = None) -> CompiledModule | None:
    """Load a cache `Entry`'s object code into a new engine; None if a symbol it needs is missing."""
    try:
        signatures = {name: signature_from_json(name, data) for name, data in entry.signatures.items()}
    except (TypeError, ValueError, KeyError):
        return None
    _register_providers("\n".join(entry.symbols))
    if not all(_in_process(name) for name in entry.symbols):
        return None
    _init_llvm()
    with _timed("llvm-load"):
        # The engine takes ownership of its target machine: give it its own.
        engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), new_host_target_machine())
        engine.add_object_file(llvm.ObjectFileRef.from_data(entry.obj))
        engine.finalize_object()
    compiled = CompiledModule(engine, signatures, source=source, optimized=optimized, ir_source=ir_source)
    compiled.entry = entry
    return compiled


def signature_to_json(sig: Signature) -> list[Any]:
    return [
        [a.rank, None if a.dtypes is None else [d.str for d in a.dtypes],
         None if a.shape is None else list(a.shape)]
        for a in sig.args
    ]


def signature_from_json(name: str, data: list[Any]) -> Signature:
    args = []
    for rank, dtypes, shape in data:
        args.append(ArgSpec(int(rank), None if dtypes is None else tuple(np.dtype(d) for d in dtypes),
                            None if shape is None else tuple(shape)))
    return Signature(name, tuple(args))


#: symbol prefix -> the function that makes those symbols resolvable (imported lazily)
_PROVIDERS: dict[str, str] = {
    "mlc_blas_": "mlc.runtime.blas_symbols:register_blas_symbols",
    "mlc_libm_": "mlc.runtime.math_symbols:register_math_symbols",
    "_ZGV": "mlc.runtime.math_symbols:register_math_symbols",
    "mlc_parallel_": "mlc.runtime.parallel:register_parallel_symbols",
    "mlc_special_": "mlc.runtime.special_symbols:register_special_symbols",
    "mlc_alloc_failed": "mlc.runtime.errors:register_error_symbols",
    "mlc_linalg_failed": "mlc.runtime.errors:register_error_symbols",
    "mlc_lapack_": "mlc.runtime.lapack_symbols:register_lapack_symbols",
    "mlc_prof_": "mlc.runtime.profiler:register_profiler_symbols",
}


def _register_providers(text: str) -> None:
    """Register the runtime symbols `text` (IR, or a list of symbol names) mentions."""
    import importlib

    for prefix, target in _PROVIDERS.items():
        if prefix in text:
            module, fn = target.split(":")
            getattr(importlib.import_module(module), fn)()


# ---------------------------------------------------------------------------
# Array entries: the same functions, taking numpy arrays by object address
# ---------------------------------------------------------------------------

#: `<name>` + this suffix: `void (ptr array_0, ..., ptr array_k)`, each a
#: `PyArrayObject*` (Python's `id(array)`): it reads each array's data
#: pointer and sizes from numpy's array struct and calls `<name>`. Calling it
#: with ctypes costs ~0.2 us instead of ~0.8 us per array for `a.ctypes.data`.
ARRAY_ENTRY_SUFFIX = ".arrays"


def ndarray_layout() -> tuple[int, int] | None:
    """Byte offsets of `data` and `dimensions` in numpy's `PyArrayObject`, or None.

    numpy's public struct is `PyObject_HEAD; char *data; int nd;
    npy_intp *dimensions; ...`. The offsets are found by looking, not
    assumed, so an interpreter with a larger object header still works;
    if the layout is not recognized the array entries are not built.
    """
    global _layout
    if _layout is None:
        _layout = _probe_layout()
    return _layout or None


_layout: tuple[int, int] | tuple[()] | None = None


def _probe_layout() -> tuple[int, int] | tuple[()]:
    a = np.zeros((3, 5, 7), np.int8)
    word = ctypes.sizeof(ctypes.c_void_p)
    words = (ctypes.c_size_t * 8).from_address(id(a))
    for k in range(1, 6):
        if words[k] != a.ctypes.data:
            continue
        nd = ctypes.c_int.from_address(id(a) + (k + 1) * word).value
        dims_ptr = words[k + 2]
        if nd == 3 and dims_ptr and tuple((ctypes.c_ssize_t * 3).from_address(dims_ptr)) == a.shape:
            return (k * word, (k + 2) * word)
    return ()


def _with_array_entries(text: str, signatures: dict[str, Signature]) -> str:
    """`text` plus an array entry for each signature (when numpy's layout is known)."""
    layout = ndarray_layout()
    if layout is None:
        return text
    data_offset, dims_offset = layout
    out = [text]
    for name, sig in signatures.items():
        params = ", ".join(f"ptr %a{k}" for k in range(len(sig.args)))
        body: list[str] = []
        call_args: list[str] = []
        for k, spec in enumerate(sig.args):
            body.append(f"  %a{k}.pd = getelementptr i8, ptr %a{k}, i64 {data_offset}")
            body.append(f"  %a{k}.data = load ptr, ptr %a{k}.pd")
            call_args.append(f"ptr %a{k}.data")
            if spec.rank:
                body.append(f"  %a{k}.pdims = getelementptr i8, ptr %a{k}, i64 {dims_offset}")
                body.append(f"  %a{k}.dims = load ptr, ptr %a{k}.pdims")
            for d in range(spec.rank):
                body.append(f"  %a{k}.p{d} = getelementptr i64, ptr %a{k}.dims, i64 {d}")
                body.append(f"  %a{k}.n{d} = load i64, ptr %a{k}.p{d}")
                call_args.append(f"i64 %a{k}.n{d}")
        out.append(
            f'\ndefine void @"{name}{ARRAY_ENTRY_SUFFIX}"({params}) nounwind {{\n'
            + "\n".join(body)
            + f'\n  call void @"{name}"({", ".join(call_args)})\n  ret void\n}}\n'
        )
    return "".join(out)


_host_target: Target | None = None


def host_target() -> Target:
    """This process's target description, gathered once: triple, CPU name and
    features, and whether libmvec is loaded. The lowering receives it as
    data (`to_llvm_ir(module, host_target())`) and never probes the machine."""
    global _host_target
    if _host_target is None:
        from mlc.runtime.math_symbols import libmvec_available

        _init_llvm()
        _host_target = Target(
            kind="cpu",
            triple=llvm.get_process_triple(),
            cpu=llvm.get_host_cpu_name(),
            features=llvm.get_host_cpu_features().flatten(),
            libmvec=libmvec_available(),
        )
    return _host_target


def target_description() -> str:
    """What compiled code depends on besides its IR: the target, options, numpy's array layout."""
    global _target_description
    if _target_description is None:
        _target_description = ";".join([host_target().key(), f"O{OPT_LEVEL}", f"ndarray={ndarray_layout()}"])
    return _target_description


_target_description: str | None = None


_PROCESS = ctypes.CDLL(None)  # dlsym(RTLD_DEFAULT, ...): everything loaded


def _load_libm() -> ctypes.CDLL:
    """libm (and, through it, libc); `find_library` runs a subprocess, so try the usual names first."""
    for name in ("libm.so.6", "libm.dylib"):
        try:
            return ctypes.CDLL(name)
        except OSError:
            pass
    from ctypes.util import find_library  # runs a subprocess: the last resort

    return ctypes.CDLL(find_library("m"))


_LIBM = _load_libm()


def libm() -> ctypes.CDLL:
    """The C math library of this process."""
    return _LIBM


def _in_process(name: str) -> bool:
    return bool(llvm.address_of_symbol(name)) or hasattr(_PROCESS, name)


def _check_symbols(mod: llvm.ModuleRef) -> list[str]:
    """Catch what would otherwise crash inside native code; return the external symbols.

    * every external function must resolve (MCJIT would call address 0);
    * no defined function may shadow a C library symbol: LLVM lowers
      `llvm.pow.f32` to a call of `powf`, which would then call a JIT
      function named `powf` instead of libm's.
    """
    external: list[str] = []
    for fn in mod.functions:
        if fn.name.startswith("llvm."):
            continue
        if fn.is_declaration:
            if not _in_process(fn.name):
                raise RuntimeError(f"JIT: external function @{fn.name} is not defined in this process")
            external.append(fn.name)
        if not fn.is_declaration and hasattr(_LIBM, fn.name):
            raise ValueError(
                f"JIT: function @{fn.name} has the name of a C library function; rename it"
            )
    return external


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
