"""BLAS symbols for JIT code: f77 LP64 routines under `mlc_blas_<name>`.

`convert-blas-to-llvm` emits calls to `@mlc_blas_sgemm`, `@mlc_blas_dgemv`,
... with the Fortran 77 calling convention of `scipy.linalg.cython_blas`:
every argument by pointer, 32-bit integers (LP64), `char*` for the
transpose flags. The `?dot` functions are C functions returning the value
(`float` / `double`), so there is no g77/gfortran return-value ambiguity
for `sdot`.

Which BLAS answers:

1. **numpy's own OpenBLAS** (`numpy.libs/libscipy_openblas64_*`, in the
   process as soon as numpy is): the symbols are small adapters, compiled
   once (and cached like all code), that widen the 32-bit sizes to the
   library's 64-bit ones (ILP64) and call `scipy_sgemm_64_` /
   `scipy_cblas_sdot64_`. mlc's GEMM is then numpy's GEMM, and the
   process has one BLAS thread pool, not two: OpenBLAS threads spin after
   each call, and two pools spinning against each other on the same cores
   slowed both libraries' calls by 2-5x in interleaved benchmarks.
2. otherwise **scipy's** `cython_blas` (its own OpenBLAS). `import
   scipy.linalg` costs ~0.2 s, which would dominate loading a cached
   function, so the `cython_blas` extension is loaded on its own (~10 ms;
   see `cython_blas_capi`).

Medium `?gemm` calls are split by mlc, not threaded by OpenBLAS
(`_split_gemm`): OpenBLAS threads a GEMM whose m*n*k exceeds 65536 *
GEMM_MULTITHREAD_THRESHOLD (4 by default; `interface/gemm.c`) with a static
partition, and its threads spin (`sched_yield`) between calls. On a busy
machine that is the collapse of a parallel region on its preempted thread,
inside BLAS: a 20x784x500 `sgemm` (the MLP step's) took 1.5-6.5 ms wall
with 2 OpenBLAS threads at load 3 and 0.2 ms with one. So a call above that
threshold, whose output splits into at most `MAX_CHUNKS` blocks each below
it (blocks at least `MIN_WIDTH` rows or columns wide, so re-packing the
other operand per block stays cheap), runs as one call per block through
mlc's thread pool (`mlc_parallel_for`: dynamic, a preempted thread holds
up at most one block): OpenBLAS runs each block single-threaded in the
thread that took it. Block boundaries depend only on the sizes, so the
result is the same whatever the thread count. Larger GEMMs (where a
static partition costs little next to the call) go to OpenBLAS whole.

The `mlc_blas_` prefix keeps these apart from any other BLAS loaded in the
process. Registration happens once per process, on first use;
`MLC_BLAS=scipy` forces the second route.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import os
import sys
import threading

import llvmlite.binding as llvm

ROUTINES = ("sgemm", "dgemm", "sgemv", "dgemv", "sdot", "ddot", "cgemm", "zgemm", "cgemv", "zgemv")
PREFIX = "mlc_blas_"

_registered = False
_lock = threading.Lock()


def _capsule_pointer(capsule: object) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return get_pointer(capsule, get_name(capsule))


_MODULE = "scipy.linalg.cython_blas"


def cython_blas_capi() -> dict[str, object]:
    """The capsules of scipy.linalg.cython_blas (see `cython_capi`)."""
    return cython_capi(_MODULE)


def cython_capi(name: str) -> dict[str, object]:
    """The capsules of scipy.linalg's `name` (cython_blas, cython_lapack), without importing the rest of
    scipy.linalg if possible.

    The extension module is executed from its file and then taken out of
    `sys.modules` again: the interpreter keeps it in its table of loaded
    extensions, so a later `import scipy.linalg` gets the same module
    object (and binds it as the `scipy.linalg.cython_blas` attribute, which
    it would not do for a module already in `sys.modules`).
    """
    module = sys.modules.get(name)
    if module is not None:
        return module.__pyx_capi__  # type: ignore[attr-defined]
    try:
        scipy_spec = importlib.util.find_spec("scipy")  # finds the package without importing it
        assert scipy_spec is not None and scipy_spec.origin is not None
        folder = os.path.join(os.path.dirname(scipy_spec.origin), "linalg")
        leaf = name.rsplit(".", 1)[1]
        path = next(os.path.join(folder, leaf + suffix)
                    for suffix in importlib.machinery.EXTENSION_SUFFIXES
                    if os.path.exists(os.path.join(folder, leaf + suffix)))
        loader = importlib.machinery.ExtensionFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        return module.__pyx_capi__  # type: ignore[attr-defined]
    except Exception:  # an unusual scipy layout: the ordinary import
        return importlib.import_module(name).__pyx_capi__  # type: ignore[attr-defined]
    finally:
        if sys.modules.get(name) is module and module is not None and "scipy.linalg" not in sys.modules:
            del sys.modules[name]


def blas_addresses() -> dict[str, int]:
    """`mlc_blas_<routine>` -> address of scipy's cython_blas routine."""
    capi = cython_blas_capi()
    return {PREFIX + name: _capsule_pointer(capi[name]) for name in ROUTINES}


def register_blas_symbols() -> None:
    """Make the `mlc_blas_*` symbols resolvable by the JIT (idempotent)."""
    global _registered
    if _registered:
        return
    with _lock:  # a second thread waits until every symbol is bound
        if _registered:
            return
        addresses = None
        if os.environ.get("MLC_BLAS", "").lower() != "scipy":
            addresses = numpy_blas_addresses()
        if addresses is None:
            addresses = blas_addresses()
            for name, address in addresses.items():  # what the splitting wrappers call
                llvm.add_symbol(INNER + name[len(PREFIX):], address)
            addresses.update(_split_addresses(
                _SPLIT_DECLARATIONS + "".join(_split_gemm(p, INNER + f"{p}gemm") for p in SPLIT)))
        for name, address in addresses.items():
            llvm.add_symbol(name, address)
        _registered = True


# ---------------------------------------------------------------------------
# GEMMs split into single-threaded BLAS calls on mlc's thread pool
# ---------------------------------------------------------------------------

#: the GEMMs split (single and double precision real)
SPLIT = ("s", "d")
#: the largest m*n*k OpenBLAS runs in the calling thread (65536 * GEMM_MULTITHREAD_THRESHOLD, minus one)
SINGLE_THREAD_MNK = 65536 * 4 - 1
#: fewest rows or columns per block (each block re-packs the operand not split)
MIN_WIDTH = 8
#: most blocks per call (mlc_parallel_for's chunk limit)
MAX_BLOCKS = 256
#: what the splitting wrappers call on the scipy route (bound to cython_blas)
INNER = "mlc_cython_"

_ELEMENT_BYTES = {"s": 4, "d": 8}
_SPLIT_DECLARATIONS = "declare i64 @mlc_parallel_for(ptr, ptr, i64, i64, i64)\n"


#: the split GEMM's argument record, in field order: the caller stores these SSA values, each block's task loads
#: them back under the same names (one list, so the two sides cannot get out of step)
SPLIT_FIELDS = (("ta", "ptr"), ("tb", "ptr"), ("alpha", "ptr"), ("a", "ptr"), ("b", "ptr"), ("beta", "ptr"),
                ("c", "ptr"), ("m", "i64"), ("n", "i64"), ("k", "i64"), ("lda", "i64"), ("ldb", "i64"),
                ("ldc", "i64"), ("rows", "i64"), ("len", "i64"), ("blocks", "i64"))


def _split_fields(p: str, how: str) -> str:
    """LLVM IR: store every SPLIT_FIELDS value into the record %s (`how` 'store'), or load each back (`load`)."""
    lines = []
    for i, (name, ty) in enumerate(SPLIT_FIELDS):
        lines.append(f"  %p.{name} = getelementptr %split.{p}, ptr %s, i32 0, i32 {i}")
        lines.append(f"  store {ty} %{name}, ptr %p.{name}" if how == "store" else f"  %{name} = load {ty}, ptr %p.{name}")
    return "\n".join(lines)


def _split_gemm(p: str, inner: str, declare: bool = True) -> str:
    """LLVM IR: `mlc_split_<p>gemm`, the f77 LP64 `?gemm` that calls `inner` (the same signature; declared
    here unless `declare` is false) once, or once per block of C's columns or rows through
    `mlc_parallel_for` (see the module docstring; `_SPLIT_DECLARATIONS` goes once before these)."""
    es = _ELEMENT_BYTES[p]
    head = f"declare void @{inner}({', '.join(['ptr'] * 13)})\n" if declare else ""
    return head + f"""
; transa, transb, alpha, a, b, beta, c (pointers); m, n, k, lda, ldb, ldc, split (1: rows), len, blocks
%split.{p} = type {{ {', '.join(t for _, t in SPLIT_FIELDS)} }}

define internal i1 @mlc_split_{p}.plain(ptr %flag) {{
  %f = load i8, ptr %flag
  %upper = icmp eq i8 %f, 78
  %lower = icmp eq i8 %f, 110
  %plain = or i1 %upper, %lower
  ret i1 %plain
}}

define internal void @mlc_split_{p}gemm.task(ptr %s, i64 %begin, i64 %end, i64 %chunk) {{
entry:
{_split_fields(p, 'load')}
  %by_rows = icmp ne i64 %rows, 0
  %a_plain = call i1 @mlc_split_{p}.plain(ptr %ta)
  %b_plain = call i1 @mlc_split_{p}.plain(ptr %tb)
  %sm = alloca i32
  %sn = alloca i32
  %sk = alloca i32
  %slda = alloca i32
  %sldb = alloca i32
  %sldc = alloca i32
  %k32 = trunc i64 %k to i32
  store i32 %k32, ptr %sk
  %lda32 = trunc i64 %lda to i32
  store i32 %lda32, ptr %slda
  %ldb32 = trunc i64 %ldb to i32
  store i32 %ldb32, ptr %sldb
  %ldc32 = trunc i64 %ldc to i32
  store i32 %ldc32, ptr %sldc
  br label %loop
loop:
  %i = phi i64 [ %begin, %entry ], [ %i1, %body ]
  %more = icmp slt i64 %i, %end
  br i1 %more, label %body, label %done
body:
  ; block i: [len * i / blocks, len * (i + 1) / blocks) of C's rows (split m) or columns (split n)
  %i1 = add i64 %i, 1
  %x0 = mul i64 %len, %i
  %lo = udiv i64 %x0, %blocks
  %x1 = mul i64 %len, %i1
  %hi = udiv i64 %x1, %blocks
  %count = sub i64 %hi, %lo
  %bm = select i1 %by_rows, i64 %count, i64 %m
  %bn = select i1 %by_rows, i64 %n, i64 %count
  %bm32 = trunc i64 %bm to i32
  store i32 %bm32, ptr %sm
  %bn32 = trunc i64 %bn to i32
  store i32 %bn32, ptr %sn
  ; rows of C: rows of op(A) (A's rows if plain, its columns if transposed); C moves by rows
  %a_step = select i1 %a_plain, i64 1, i64 %lda
  %a_off0 = mul i64 %lo, %a_step
  %a_off = select i1 %by_rows, i64 %a_off0, i64 0
  %a_bytes = mul i64 %a_off, {es}
  %ba = getelementptr i8, ptr %a, i64 %a_bytes
  ; columns of C: columns of op(B) (B's columns if plain, its rows if transposed); C moves by ldc
  %b_step = select i1 %b_plain, i64 %ldb, i64 1
  %b_off0 = mul i64 %lo, %b_step
  %b_off = select i1 %by_rows, i64 0, i64 %b_off0
  %b_bytes = mul i64 %b_off, {es}
  %bb = getelementptr i8, ptr %b, i64 %b_bytes
  %c_step = select i1 %by_rows, i64 1, i64 %ldc
  %c_off = mul i64 %lo, %c_step
  %c_bytes = mul i64 %c_off, {es}
  %bc = getelementptr i8, ptr %c, i64 %c_bytes
  call void @{inner}(ptr %ta, ptr %tb, ptr %sm, ptr %sn, ptr %sk, ptr %alpha, ptr %ba, ptr %slda, ptr %bb, ptr %sldb, ptr %beta, ptr %bc, ptr %sldc)
  br label %loop
done:
  ret void
}}

define void @mlc_split_{p}gemm(ptr %ta, ptr %tb, ptr %pm, ptr %pn, ptr %pk, ptr %alpha, ptr %a, ptr %plda, ptr %b, ptr %pldb, ptr %beta, ptr %c, ptr %pldc) {{
entry:
  %m32 = load i32, ptr %pm
  %m = sext i32 %m32 to i64
  %n32 = load i32, ptr %pn
  %n = sext i32 %n32 to i64
  %k32 = load i32, ptr %pk
  %k = sext i32 %k32 to i64
  %mk = mul i64 %m, %k
  %nk = mul i64 %n, %k
  %mk_pos = icmp sgt i64 %mk, 0
  %nk_pos = icmp sgt i64 %nk, 0
  %sizes = and i1 %mk_pos, %nk_pos
  br i1 %sizes, label %sized, label %direct
sized:
  ; m*n*k <= SINGLE_THREAD_MNK (without overflow): n <= T / (m*k)
  %wn = udiv i64 {SINGLE_THREAD_MNK}, %mk
  %wm = udiv i64 {SINGLE_THREAD_MNK}, %nk
  %small = icmp sle i64 %n, %wn
  br i1 %small, label %direct, label %large
large:
  ; split C's columns (each block re-packs A, m x k) or rows (re-packs B, k x n): the wider blocks
  %by_cols = icmp uge i64 %wn, %wm
  %w = select i1 %by_cols, i64 %wn, i64 %wm
  %len = select i1 %by_cols, i64 %n, i64 %m
  %wide = icmp sge i64 %w, {MIN_WIDTH}
  %w_pos = select i1 %wide, i64 %w, i64 1
  %w1 = sub i64 %w_pos, 1
  %len_up = add i64 %len, %w1
  %blocks = udiv i64 %len_up, %w_pos
  %few = icmp sle i64 %blocks, {MAX_BLOCKS}
  %several = icmp sgt i64 %blocks, 1
  %ok0 = and i1 %wide, %few
  %ok = and i1 %ok0, %several
  br i1 %ok, label %split, label %direct
split:
  %lda32 = load i32, ptr %plda
  %lda = sext i32 %lda32 to i64
  %ldb32 = load i32, ptr %pldb
  %ldb = sext i32 %ldb32 to i64
  %ldc32 = load i32, ptr %pldc
  %ldc = sext i32 %ldc32 to i64
  %rows = select i1 %by_cols, i64 0, i64 1
  %s = alloca %split.{p}
{_split_fields(p, 'store')}
  ; a cost above the pool's grain: one chunk per block
  %r = call i64 @mlc_parallel_for(ptr @mlc_split_{p}gemm.task, ptr %s, i64 0, i64 %blocks, i64 1073741824)
  ret void
direct:
  call void @{inner}(ptr %ta, ptr %tb, ptr %pm, ptr %pn, ptr %pk, ptr %alpha, ptr %a, ptr %plda, ptr %b, ptr %pldb, ptr %beta, ptr %c, ptr %pldc)
  ret void
}}
"""


def _split_addresses(ir: str) -> dict[str, int]:
    """Compile the splitting wrappers `ir` (the symbols they call already bound): `mlc_blas_<p>gemm` -> address."""
    global _splitters
    from mlc.runtime import cache
    from mlc.runtime.cpu import COMPILE_LOCK, compile_module

    with COMPILE_LOCK, cache.runtime_modules():
        _splitters = compile_module(ir, [])
    return {f"{PREFIX}{p}gemm": _splitters.engine.get_function_address(f"mlc_split_{p}gemm") for p in SPLIT}


_splitters = None  # keeps the compiled splitting wrappers alive


# ---------------------------------------------------------------------------
# numpy's OpenBLAS (ILP64) behind LP64 adapters
# ---------------------------------------------------------------------------

#: routine -> (Fortran/CBLAS symbol in numpy's OpenBLAS, argument count, indices of integer arguments)
_NUMPY_ROUTINES = {
    "sgemm": ("scipy_sgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "dgemm": ("scipy_dgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "sgemv": ("scipy_sgemv_64_", 11, (1, 2, 5, 7, 10)),
    "dgemv": ("scipy_dgemv_64_", 11, (1, 2, 5, 7, 10)),
    "sdot": ("scipy_cblas_sdot64_", 5, (0, 2, 4)),
    "ddot": ("scipy_cblas_ddot64_", 5, (0, 2, 4)),
    "cgemm": ("scipy_cgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "zgemm": ("scipy_zgemm_64_", 13, (2, 3, 4, 7, 9, 12)),
    "cgemv": ("scipy_cgemv_64_", 11, (1, 2, 5, 7, 10)),
    "zgemv": ("scipy_zgemv_64_", 11, (1, 2, 5, 7, 10)),
}


def numpy_openblas_path() -> str | None:
    """The OpenBLAS library numpy's wheel ships (ILP64, `scipy_` prefixed), if there is one."""
    import glob

    import numpy

    root = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for pattern in ("numpy.libs/libscipy_openblas64_*.so*", "numpy/.dylibs/libscipy_openblas64_*.dylib"):
        found = sorted(glob.glob(os.path.join(root, pattern)))
        if found:
            return found[0]
    return None


def _adapter(routine: str) -> str:
    """LLVM IR: `mlc_ilp64_<routine>` with the LP64 f77 signature, calling numpy's ILP64 routine."""
    target, nargs, ints = _NUMPY_ROUTINES[routine]
    params = ", ".join(f"ptr %a{k}" for k in range(nargs))
    body = []
    for k in ints:
        body += [f"  %n{k} = load i32, ptr %a{k}", f"  %w{k} = sext i32 %n{k} to i64"]
    if routine.endswith("dot"):  # CBLAS: sizes by value, returns the result
        t = "float" if routine[0] == "s" else "double"
        args = ", ".join(f"i64 %w{k}" if k in ints else f"ptr %a{k}" for k in range(nargs))
        return (f"declare {t} @{target}({', '.join('i64' if k in ints else 'ptr' for k in range(nargs))})\n"
                f"define {t} @mlc_ilp64_{routine}({params}) {{\n" + "\n".join(body)
                + f"\n  %r = call {t} @{target}({args})\n  ret {t} %r\n}}\n")
    for k in ints:  # Fortran: sizes by pointer, now to 64-bit slots
        body += [f"  %p{k} = alloca i64", f"  store i64 %w{k}, ptr %p{k}"]
    args = ", ".join(f"ptr %p{k}" if k in ints else f"ptr %a{k}" for k in range(nargs))
    return (f"declare void @{target}({', '.join(['ptr'] * nargs)})\n"
            f"define void @mlc_ilp64_{routine}({params}) {{\n" + "\n".join(body)
            + f"\n  call void @{target}({args})\n  ret void\n}}\n")


_adapters = None  # keeps the compiled adapters alive


def numpy_openblas_symbols(names) -> dict[str, int] | None:
    """name -> address in numpy's OpenBLAS (made visible to the JIT); None if numpy has none or lacks one."""
    path = numpy_openblas_path()
    if path is None:
        return None
    try:
        llvm.load_library_permanently(path)  # already mapped by numpy: its symbols, for the JIT
    except RuntimeError:
        return None
    found = {name: llvm.address_of_symbol(name) for name in names}
    return found if all(found.values()) else None


def numpy_blas_addresses() -> dict[str, int] | None:
    """`mlc_blas_<routine>` -> an adapter calling numpy's OpenBLAS; None if numpy has none."""
    global _adapters
    if numpy_openblas_symbols(target for target, _, _ in _NUMPY_ROUTINES.values()) is None:
        return None
    from mlc.runtime import cache
    from mlc.runtime.cpu import COMPILE_LOCK, compile_module

    # the adapters, and the splitting wrappers (`mlc_blas_?gemm`) calling them
    ir = "".join(_adapter(r) for r in ROUTINES) + _SPLIT_DECLARATIONS + "".join(
        _split_gemm(p, f"mlc_ilp64_{p}gemm", declare=False) for p in SPLIT)
    with COMPILE_LOCK, cache.runtime_modules():  # apart from the user's cache_dir
        _adapters = compile_module(ir, [])
    found = {PREFIX + r: _adapters.engine.get_function_address(f"mlc_ilp64_{r}") for r in ROUTINES}
    found.update({f"{PREFIX}{p}gemm": _adapters.engine.get_function_address(f"mlc_split_{p}gemm") for p in SPLIT})
    return found
