"""A native entry point per compiled function: one C-level call for a whole repeat call.

The Python fast path (`mlc.compile.fastcall`) checks each argument, looks
its shapes up, allocates the outputs and calls the kernel through ctypes:
about 0.8 us, most of it Python bytecode and ctypes argument conversion,
which is more than numpy spends on `s + 1` for 16 floats.

`NativeDispatch` builds, from the function's traced shape rules
(`mlc.compile.native_shapes`), a builtin function (a `PyCFunction` with
the vectorcall convention, made with `PyCFunction_NewEx` over JIT code)
that does all of that in native code:

1. exactly one positional argument per input, no keywords;
2. each argument's type is exactly `numpy.ndarray`, its dtype object the
   input's (numpy's builtin dtypes are singletons: the identity test the
   Python fast path also uses) and it is C-contiguous;
3. the traced shape function checks ranks and every guard and gives the
   result shapes;
4. the outputs come from numpy's `PyArray_Empty`; the kernel runs (with
   the GIL released when the call moves at least `RELEASE_GIL_BYTES`);
   a failed temporary allocation reported by the kernel is raised by
   `mlc.runtime.errors.raise_pending`;
5. it returns the output (or the list of outputs).

Anything else - another type or dtype, a Python int, a failed guard,
keywords - calls the function's Python call path with the same arguments
(`PyObject_Vectorcall`), which converts, checks, raises today's errors or
learns a new shape variant. Only functions without shared variables,
updates, state or value checks get a dispatcher (those keep the Python
fast path).

Everything the code needs at run time (the fallback, the kernel's address,
dtype objects, numpy's allocator) is read from the builtin's `self`, a
`bytes` object of pointers, so the IR depends only on the function's
signature and trace and is cached like any module. Python objects named
there are kept alive by the `NativeDispatch`.
"""

from __future__ import annotations

import ctypes
import hashlib
import struct
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.compile.fastcall import RELEASE_GIL_BYTES
from mlc.compile.native_shapes import trace_ir

_PY_SYMBOLS = ("PyObject_Vectorcall", "Py_IncRef", "Py_DecRef", "PyList_New", "PyList_SetItem",
               "PyEval_SaveThread", "PyEval_RestoreThread", "PyObject_CallNoArgs")

METH_FASTCALL, METH_KEYWORDS = 0x80, 0x02


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


def _layout() -> dict[str, int] | None:
    """Byte offsets this code reads (numpy's array struct, CPython's list and bytes), found by looking."""
    from mlc.runtime.cpu import ndarray_layout

    base = ndarray_layout()
    if base is None or sys.implementation.name != "cpython" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    data_off, dims_off = base
    a = np.zeros((2, 3), np.float32)
    b = a[:, ::2]
    words = (ctypes.c_size_t * 12).from_address(id(a))
    descr = next((k * 8 for k in range(1, 12) if words[k] == id(a.dtype)), None)
    if descr is None or words[1] != id(np.ndarray):
        return None
    flags = descr + 8
    if not (ctypes.c_int.from_address(id(a) + flags).value & 1) or ctypes.c_int.from_address(id(b) + flags).value & 1:
        return None
    blob = b"probe"
    sval = sys.getsizeof(b"") - 1
    if ctypes.string_at(id(blob) + sval, len(blob)) != blob:
        return None
    lst = [1, 2, 3]
    if ctypes.c_ssize_t.from_address(id(lst) + 16).value != 3:
        return None
    return {"data": data_off, "dims": dims_off, "descr": descr, "flags": flags, "bytes": sval, "type": 8,
            "list_size": 16}


_LAYOUT: dict[str, int] | None | bool = False


def layout() -> dict[str, int] | None:
    global _LAYOUT
    if _LAYOUT is False:
        _LAYOUT = _layout()
    return _LAYOUT  # type: ignore[return-value]


def _array_api() -> int:
    """Address of numpy's C API table (the `_ARRAY_API` capsule)."""
    from numpy._core import _multiarray_umath

    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get(_multiarray_umath._ARRAY_API, None)


_SYMBOLS_ADDED = False


def _add_python_symbols() -> None:
    global _SYMBOLS_ADDED
    if not _SYMBOLS_ADDED:
        import llvmlite.binding as llvm

        for name in _PY_SYMBOLS:
            llvm.add_symbol(name, ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value)
        _SYMBOLS_ADDED = True


def dispatch_ir(name: str, shapes_name: str, in_ranks: Sequence[int], in_sizes: Sequence[int],
                out_ranks: Sequence[int], out_sizes: Sequence[int], lay: dict[str, int], single: bool) -> str:
    """LLVM IR of the dispatcher `ptr name(ptr self, ptr args, i64 nargsf, ptr kwnames)`.

    `self`'s bytes are i64 slots: 0 fallback, 1 ndarray type, 2 PyArray_Empty, 3 kernel,
    4 the PENDING list, 5 raise_pending, then the inputs' and the outputs' dtype objects.
    """
    n, m = len(in_ranks), len(out_ranks)
    nslots = sum(out_ranks) + 1
    L = [f'define ptr @"{name}"(ptr %self, ptr %args, i64 %nargsf, ptr %kw) {{', "entry:",
         f"  %ctx = getelementptr i8, ptr %self, i64 {lay['bytes']}"]
    for j in range(6 + n + m):
        L += [f"  %s{j}.p = getelementptr i64, ptr %ctx, i64 {j}", f"  %s{j} = load ptr, ptr %s{j}.p"]
    L += ["  %kwnull = icmp eq ptr %kw, null", "  br i1 %kwnull, label %nargs, label %fallback", "nargs:",
          "  %n = and i64 %nargsf, 9223372036854775807", f"  %nok = icmp eq i64 %n, {n}",
          "  br i1 %nok, label %arg0, label %fallback"]
    for k in range(n):
        nxt = f"arg{k + 1}" if k + 1 < n else "shapes"
        L += [f"arg{k}:", f"  %a{k}.pp = getelementptr ptr, ptr %args, i64 {k}", f"  %a{k} = load ptr, ptr %a{k}.pp",
              f"  %a{k}.tp = getelementptr i8, ptr %a{k}, i64 {lay['type']}", f"  %a{k}.t = load ptr, ptr %a{k}.tp",
              f"  %a{k}.dp = getelementptr i8, ptr %a{k}, i64 {lay['descr']}",
              f"  %a{k}.d = load ptr, ptr %a{k}.dp",
              f"  %a{k}.fp = getelementptr i8, ptr %a{k}, i64 {lay['flags']}",
              f"  %a{k}.f = load i32, ptr %a{k}.fp", f"  %a{k}.c = and i32 %a{k}.f, 1",
              f"  %a{k}.ok1 = icmp eq ptr %a{k}.t, %s1", f"  %a{k}.ok2 = icmp eq ptr %a{k}.d, %s{6 + k}",
              f"  %a{k}.ok3 = icmp ne i32 %a{k}.c, 0", f"  %a{k}.ok12 = and i1 %a{k}.ok1, %a{k}.ok2",
              f"  %a{k}.ok = and i1 %a{k}.ok12, %a{k}.ok3", f"  br i1 %a{k}.ok, label %{nxt}, label %fallback"]
    if n == 0:
        L += ["  br label %shapes"]  # not reached: the nargs block branches to arg0 only when n > 0
        L[L.index("  br i1 %nok, label %arg0, label %fallback")] = "  br i1 %nok, label %shapes, label %fallback"
        L.pop()
    L += ["shapes:", f"  %buf = alloca [{nslots} x i64]"]
    L += [f'  call void @"{shapes_name}"({"".join(f"ptr %a{k}, " for k in range(n))}ptr %buf)',
          "  %st = load i64, ptr %buf", "  %stok = icmp eq i64 %st, 0", "  br i1 %stok, label %alloc0, label %fallback"]
    # outputs
    pos = 1
    out_dims: list[list[str]] = []
    nomem: list[str] = []
    for j, r in enumerate(out_ranks):
        nxt = f"alloc{j + 1}" if j + 1 < m else "run"
        L += [f"alloc{j}:", f"  %o{j}.dims = getelementptr i64, ptr %buf, i64 {pos}",
              f"  call void @Py_IncRef(ptr %s{6 + n + j})",
              f"  %o{j} = call ptr %s2(i32 {r}, ptr %o{j}.dims, ptr %s{6 + n + j}, i32 0)",
              f"  %o{j}.null = icmp eq ptr %o{j}, null", f"  br i1 %o{j}.null, label %nomem{j}, label %{nxt}"]
        out_dims.append([f"%o{j}.n{d}" for d in range(r)])  # read in `run`, after every allocation
        pos += r
        nomem += [f"nomem{j}:"] + [f"  call void @Py_DecRef(ptr %o{i})" for i in range(j)] + ["  ret ptr null"]
    L += ["run:"]
    pos = 1
    for j, r in enumerate(out_ranks):
        for d in range(r):
            L += [f"  %o{j}.n{d}.p = getelementptr i64, ptr %buf, i64 {pos + d}",
                  f"  %o{j}.n{d} = load i64, ptr %o{j}.n{d}.p"]
        pos += r
    call_args: list[str] = []
    total = ["0"]
    for k, r in enumerate(in_ranks):
        L += [f"  %a{k}.datap = getelementptr i8, ptr %a{k}, i64 {lay['data']}", f"  %a{k}.data = load ptr, ptr %a{k}.datap"]
        call_args.append(f"ptr %a{k}.data")
        if r:
            L += [f"  %a{k}.dimsp = getelementptr i8, ptr %a{k}, i64 {lay['dims']}",
                  f"  %a{k}.dims = load ptr, ptr %a{k}.dimsp"]
        size = str(in_sizes[k])
        for d in range(r):
            L += [f"  %a{k}.n{d}.p = getelementptr i64, ptr %a{k}.dims, i64 {d}", f"  %a{k}.n{d} = load i64, ptr %a{k}.n{d}.p",
                  f"  %a{k}.sz{d} = mul i64 {size}, %a{k}.n{d}"]
            size = f"%a{k}.sz{d}"
            call_args.append(f"i64 %a{k}.n{d}")
        L.append(f"  %tot.a{k} = add i64 {total[-1]}, {size}")
        total.append(f"%tot.a{k}")
    for j in range(m):
        L += [f"  %o{j}.datap = getelementptr i8, ptr %o{j}, i64 {lay['data']}", f"  %o{j}.data = load ptr, ptr %o{j}.datap"]
        call_args.append(f"ptr %o{j}.data")
        size = str(out_sizes[j])
        for d, v in enumerate(out_dims[j]):
            L.append(f"  %o{j}.sz{d} = mul i64 {size}, {v}")
            size = f"%o{j}.sz{d}"
            call_args.append(f"i64 {v}")
        L.append(f"  %tot.o{j} = add i64 {total[-1]}, {size}")
        total.append(f"%tot.o{j}")
    L += [f"  %big = icmp sge i64 {total[-1]}, {RELEASE_GIL_BYTES}", "  br i1 %big, label %released, label %held",
          "held:", f"  call void %s3({', '.join(call_args)})", "  br label %ran",
          "released:", "  %ts = call ptr @PyEval_SaveThread()", f"  call void %s3({', '.join(call_args)})",
          "  call void @PyEval_RestoreThread(ptr %ts)", "  br label %ran",
          "ran:", f"  %pl.p = getelementptr i8, ptr %s4, i64 {lay['list_size']}", "  %pl = load i64, ptr %pl.p",
          "  %pending = icmp ne i64 %pl, 0", "  br i1 %pending, label %pend, label %done",
          "pend:", "  %pr = call ptr @PyObject_CallNoArgs(ptr %s5)", "  %prnull = icmp eq ptr %pr, null",
          "  br i1 %prnull, label %perr, label %pok",
          "perr:"] + [f"  call void @Py_DecRef(ptr %o{j})" for j in range(m)] + ["  ret ptr null",
          "pok:", "  call void @Py_DecRef(ptr %pr)", "  br label %done", "done:"]
    if single:
        L += ["  ret ptr %o0"]
    else:
        L += [f"  %lst = call ptr @PyList_New(i64 {m})", "  %lnull = icmp eq ptr %lst, null",
              "  br i1 %lnull, label %lerr, label %lok", "lerr:"] + \
             [f"  call void @Py_DecRef(ptr %o{j})" for j in range(m)] + ["  ret ptr null", "lok:"] + \
             [f"  %set{j} = call i32 @PyList_SetItem(ptr %lst, i64 {j}, ptr %o{j})" for j in range(m)] + \
             ["  ret ptr %lst"]
    L += nomem
    L += ["fallback:", "  %r = call ptr @PyObject_Vectorcall(ptr %s0, ptr %args, i64 %nargsf, ptr %kw)",
          "  ret ptr %r", "}"]
    decls = ["declare ptr @PyObject_Vectorcall(ptr, ptr, i64, ptr)", "declare void @Py_IncRef(ptr)",
             "declare void @Py_DecRef(ptr)", "declare ptr @PyList_New(i64)", "declare i32 @PyList_SetItem(ptr, i64, ptr)",
             "declare ptr @PyEval_SaveThread()", "declare void @PyEval_RestoreThread(ptr)",
             "declare ptr @PyObject_CallNoArgs(ptr)"]
    return "\n".join(decls) + "\n\n" + "\n".join(L) + "\n"


class NativeDispatch:
    """The builtin callable for one compiled function (see the module docstring); `call` is it."""

    def __init__(self, call: Any, keep: list):
        self.call = call
        self._keep = keep  # the objects whose addresses the code reads, and the method definition

    @staticmethod
    def build(fgraph, program, native, fallback, single: bool) -> NativeDispatch | None:
        """A dispatcher for `program` using `native`'s first traced variant; None where it does not apply.

        `single`: the function returns its one output itself, else a list of its outputs."""
        lay = layout()
        compiled = getattr(program, "compiled", None)
        if (lay is None or compiled is None or fgraph.shared or fgraph.updates or native is None
                or not fgraph.results or (single and len(fgraph.results) != 1)
                or not native.variants or any(j >= 0 for j in getattr(program, "in_place", ()))
                or getattr(program, "clobber", ())):  # (storage written in arguments: the fast path checks it)
            return None
        fn, _buftype, checks, trace = native.variants[0]
        if checks:
            return None
        from mlc.runtime import errors
        from mlc.runtime.cpu import compile_module

        kernel = compiled.engine.get_function_address("main")
        if not kernel:
            return None
        in_dtypes = [np.dtype(v.type.dtype) for v in fgraph.inputs]
        out_dtypes = [np.dtype(d) for d in program.dtypes]
        in_ranks = [v.type.ndim for v in fgraph.inputs]
        out_ranks = [v.ndim for v in fgraph.results]
        flat = [d for s in native.result_layout(trace) for d in s]
        body = trace_ir("shapes", trace, in_ranks, flat, (lay["data"], lay["dims"]))
        disp = dispatch_ir("dispatch", "shapes", in_ranks, [d.itemsize for d in in_dtypes], out_ranks,
                           [d.itemsize for d in out_dtypes], lay, single)
        digest = hashlib.sha1((body + disp).encode()).hexdigest()[:16]
        sname, dname = f"mlc_shapes_{digest}", f"mlc_dispatch_{digest}"
        text = (body.replace('@"shapes"', f'@"{sname}"') + "\n" +
                disp.replace('@"dispatch"', f'@"{dname}"').replace('@"shapes"', f'@"{sname}"'))
        _add_python_symbols()
        module = compile_module(text, [sname])
        address = module.engine.get_function_address(dname)
        if not address:
            return None
        empty = ctypes.c_void_p.from_address(_array_api() + 184 * 8).value
        keep: list[Any] = [fallback, np.ndarray, errors.PENDING, errors.raise_pending, *in_dtypes, *out_dtypes,
                           module, compiled]
        slots = [id(fallback), id(np.ndarray), empty, kernel, id(errors.PENDING), id(errors.raise_pending)]
        slots += [id(d) for d in in_dtypes] + [id(d) for d in out_dtypes]
        ctx = struct.pack(f"<{len(slots)}Q", *slots)
        mdef = _MethodDef(b"mlc_function", address, METH_FASTCALL | METH_KEYWORDS, None)
        new = ctypes.pythonapi.PyCFunction_NewEx
        new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]
        call = new(ctypes.addressof(mdef), ctx, None)
        keep += [mdef, ctx]
        return NativeDispatch(call, keep)
