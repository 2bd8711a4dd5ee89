"""LAPACK for JIT code: `mlc_lapack_<op>_<f32|f64>` adapters over scipy's `cython_lapack`.

`convert-lapack-to-llvm` lowers each `lapack.*` op to one call of an
adapter (`@mlc_lapack_cholesky_f64(n, a, lower, nan_on_error)`, ...). The
adapters are LLVM IR compiled once per process (and cached like all code);
they own what LAPACK is picky about, so the generated code stays small:

* **row-major storage**: a row-major n x n matrix is the column-major
  matrix of its transpose. Cholesky factors A = A^T with the other triangle
  (`potrf` 'U' gives U^T U = A, whose column-major upper triangle is the
  row-major lower one: L). LU factors A^T, so a solve is `getrs` with
  trans = 'T', and the inverse of A^T read row-major is A^-1. A triangular
  A read column-major is the transposed triangle, solved with the
  transposed op. Right-hand-side matrices are transposed into a
  column-major scratch and back;
* **degenerate sizes**: n = 0 (or no right-hand side) returns before any
  call; det of a 0 x 0 matrix is 1;
* **workspace**: `getri`'s size is queried (lwork = -1), pivots and scratch
  come from malloc; a failed malloc calls `mlc_alloc_failed` (MemoryError);
* **errors**: info > 0 calls `mlc_linalg_failed(code, info)`, which the
  runtime turns into numpy.linalg.LinAlgError once the call returns
  (`mlc.runtime.errors`); a singular matrix's det is 0, as numpy's.

The routines are scipy's `cython_lapack` ones (LP64: 32-bit sizes, every
argument by pointer); sizes above 2^31 - 1 are not supported.
"""

from __future__ import annotations

import threading

import llvmlite.binding as llvm

from mlc.runtime.blas_symbols import _capsule_pointer, cython_capi

PREFIX = "mlc_lapack_"
ROUTINES = ("potrf", "getrf", "getri", "getrs", "trtrs")
#: error codes of `mlc_linalg_failed` (see `mlc.runtime.errors.lapack_error`)
CHOLESKY, SOLVE, SOLVE_TRIANGULAR, INVERSE = 1, 2, 3, 4

_registered = False
_lock = threading.Lock()
_adapters = None  # keeps the compiled adapters alive


#: f77 routine -> its number of (pointer) arguments
_ARITY = {"potrf": 5, "getrf": 6, "getri": 7, "getrs": 9, "trtrs": 10}
#: the JIT symbol of each raw routine, and the adapters' own names (neither contains PREFIX, so compiling
#: the adapters does not ask for this provider again)
RAW = "mlc_f77_"
OWN = "lapack_adapter_"


def _declarations(p: str) -> str:
    return "".join(f"declare void @{RAW}{p}{r}({', '.join(['ptr'] * _ARITY[r])})\n" for r in ROUTINES)


def _adapters_ir(T: str, p: str, tag: str) -> str:
    """The four adapters for one element type (T: LLVM type, p: s/d, tag: f32/f64)."""
    nan = "0x7FF8000000000000"
    size = 4 if T == "float" else 8
    return f"""
define internal void @transpose_{tag}(ptr %dst, ptr %src, i64 %rows, i64 %cols) {{
entry:
  br label %outer
outer:
  %i = phi i64 [0, %entry], [%i1, %outer_next]
  %more_i = icmp slt i64 %i, %rows
  br i1 %more_i, label %inner, label %done
inner:
  %j = phi i64 [0, %outer], [%j1, %inner]
  %s_at = mul i64 %i, %cols
  %s_ij = add i64 %s_at, %j
  %d_at = mul i64 %j, %rows
  %d_ji = add i64 %d_at, %i
  %sp = getelementptr {T}, ptr %src, i64 %s_ij
  %dp = getelementptr {T}, ptr %dst, i64 %d_ji
  %v = load {T}, ptr %sp
  store {T} %v, ptr %dp
  %j1 = add i64 %j, 1
  %more_j = icmp slt i64 %j1, %cols
  br i1 %more_j, label %inner, label %outer_next
outer_next:
  %i1 = add i64 %i, 1
  br label %outer
done:
  ret void
}}

; a = L (lower) or U, the other triangle zeroed; not positive definite: NaNs or an error
define void @{OWN}cholesky_{tag}(i64 %n, ptr %a, i1 %lower, i1 %nan_on_error) {{
entry:
  %uplo = alloca i8
  %n32 = alloca i32
  %info = alloca i32
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %call
call:
  %c = select i1 %lower, i8 85, i8 76
  store i8 %c, ptr %uplo
  %nt = trunc i64 %n to i32
  store i32 %nt, ptr %n32
  call void @{RAW}{p}potrf(ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %info)
  %code = load i32, ptr %info
  %failed = icmp ne i32 %code, 0
  %total = mul i64 %n, %n
  br i1 %failed, label %fail, label %rows
fail:
  br i1 %nan_on_error, label %nan_loop, label %report
report:
  call void @mlc_linalg_failed(i32 {CHOLESKY}, i32 %code)
  br label %done
nan_loop:
  %k = phi i64 [0, %fail], [%k1, %nan_loop]
  %kp = getelementptr {T}, ptr %a, i64 %k
  store {T} {nan}, ptr %kp
  %k1 = add i64 %k, 1
  %more_k = icmp slt i64 %k1, %total
  br i1 %more_k, label %nan_loop, label %done
rows:
  %i = phi i64 [0, %call], [%i1, %row_next]
  %more_i = icmp slt i64 %i, %n
  br i1 %more_i, label %cols, label %done
cols:
  %j = phi i64 [0, %rows], [%j1, %col_next]
  %more_j = icmp slt i64 %j, %n
  br i1 %more_j, label %col_body, label %row_next
col_body:
  %above = icmp sgt i64 %j, %i
  %below = icmp slt i64 %j, %i
  %other = select i1 %lower, i1 %above, i1 %below
  br i1 %other, label %zero, label %col_next
zero:
  %at = mul i64 %i, %n
  %ij = add i64 %at, %j
  %p = getelementptr {T}, ptr %a, i64 %ij
  store {T} 0.0, ptr %p
  br label %col_next
col_next:
  %j1 = add i64 %j, 1
  br label %cols
row_next:
  %i1 = add i64 %i, 1
  br label %rows
done:
  ret void
}}

; b = x with op(a) x = b (b: n x nrhs, row-major); structure 0 general (a overwritten by LU), 1 lower, 2 upper
define void @{OWN}solve_{tag}(i64 %n, i64 %nrhs, ptr %a, ptr %b, i32 %structure, i1 %trans, i1 %unit) {{
entry:
  %n32 = alloca i32
  %k32 = alloca i32
  %info = alloca i32
  %ch_trans = alloca i8
  %ch_uplo = alloca i8
  %ch_diag = alloca i8
  %n_empty = icmp eq i64 %n, 0
  %k_empty = icmp eq i64 %nrhs, 0
  %empty = or i1 %n_empty, %k_empty
  br i1 %empty, label %done, label %start
start:
  %nt = trunc i64 %n to i32
  store i32 %nt, ptr %n32
  %kt = trunc i64 %nrhs to i32
  store i32 %kt, ptr %k32
  %several = icmp sgt i64 %nrhs, 1
  br i1 %several, label %scratch, label %solve
scratch:
  %count = mul i64 %n, %nrhs
  %bytes = mul i64 %count, {size}
  %w = call ptr @malloc(i64 %bytes)
  %no_w = icmp eq ptr %w, null
  br i1 %no_w, label %oom, label %to_cols
oom:
  call void @mlc_alloc_failed(i64 %bytes)
  br label %done
to_cols:
  call void @transpose_{tag}(ptr %w, ptr %b, i64 %n, i64 %nrhs)
  br label %solve
solve:
  %rhs = phi ptr [%b, %start], [%w, %to_cols]
  %general = icmp eq i32 %structure, 0
  br i1 %general, label %lu, label %triangular
lu:
  %ipiv_bytes = mul i64 %n, 4
  %ipiv = call ptr @malloc(i64 %ipiv_bytes)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %oom2, label %factor
oom2:
  call void @mlc_alloc_failed(i64 %ipiv_bytes)
  br label %finish
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  %code = load i32, ptr %info
  %singular = icmp ne i32 %code, 0
  br i1 %singular, label %lu_fail, label %lu_solve
lu_fail:
  call void @mlc_linalg_failed(i32 {SOLVE}, i32 %code)
  br label %lu_free
lu_solve:
  store i8 84, ptr %ch_trans
  call void @{RAW}{p}getrs(ptr %ch_trans, ptr %n32, ptr %k32, ptr %a, ptr %n32, ptr %ipiv, ptr %rhs, ptr %n32, ptr %info)
  br label %lu_free
lu_free:
  call void @free(ptr %ipiv)
  br label %finish
triangular:
  ; row-major lower = column-major upper of A^T: the opposite triangle, the opposite op
  %is_lower = icmp eq i32 %structure, 1
  %u = select i1 %is_lower, i8 85, i8 76
  store i8 %u, ptr %ch_uplo
  %t = select i1 %trans, i8 78, i8 84
  store i8 %t, ptr %ch_trans
  %d = select i1 %unit, i8 85, i8 78
  store i8 %d, ptr %ch_diag
  call void @{RAW}{p}trtrs(ptr %ch_uplo, ptr %ch_trans, ptr %ch_diag, ptr %n32, ptr %k32, ptr %a, ptr %n32, ptr %rhs, ptr %n32, ptr %info)
  %tcode = load i32, ptr %info
  %tsingular = icmp ne i32 %tcode, 0
  br i1 %tsingular, label %tri_fail, label %finish
tri_fail:
  call void @mlc_linalg_failed(i32 {SOLVE_TRIANGULAR}, i32 %tcode)
  br label %finish
finish:
  br i1 %several, label %to_rows, label %done
to_rows:
  call void @transpose_{tag}(ptr %b, ptr %rhs, i64 %nrhs, i64 %n)
  call void @free(ptr %rhs)
  br label %done
done:
  ret void
}}

; a = a^-1
define void @{OWN}inverse_{tag}(i64 %n, ptr %a) {{
entry:
  %n32 = alloca i32
  %info = alloca i32
  %lwork = alloca i32
  %query = alloca {T}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %start
start:
  %nt = trunc i64 %n to i32
  store i32 %nt, ptr %n32
  %ipiv_bytes = mul i64 %n, 4
  %ipiv = call ptr @malloc(i64 %ipiv_bytes)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %oom, label %factor
oom:
  call void @mlc_alloc_failed(i64 %ipiv_bytes)
  br label %done
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  %code = load i32, ptr %info
  %singular = icmp ne i32 %code, 0
  br i1 %singular, label %fail, label %ask
fail:
  call void @mlc_linalg_failed(i32 {INVERSE}, i32 %code)
  br label %free_ipiv
ask:
  store i32 -1, ptr %lwork
  call void @{RAW}{p}getri(ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %query, ptr %lwork, ptr %info)
  %q = load {T}, ptr %query
  %qi = fptosi {T} %q to i32
  %at_least_n = icmp slt i32 %qi, %nt
  %words = select i1 %at_least_n, i32 %nt, i32 %qi
  store i32 %words, ptr %lwork
  %words64 = sext i32 %words to i64
  %work_bytes = mul i64 %words64, {size}
  %work = call ptr @malloc(i64 %work_bytes)
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %oom_work, label %invert
oom_work:
  call void @mlc_alloc_failed(i64 %work_bytes)
  br label %free_ipiv
invert:
  call void @{RAW}{p}getri(ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %work, ptr %lwork, ptr %info)
  call void @free(ptr %work)
  br label %free_ipiv
free_ipiv:
  call void @free(ptr %ipiv)
  br label %done
done:
  ret void
}}

; det(a) from its LU factors (a overwritten); 1 for n = 0, 0 if singular
define {T} @{OWN}det_{tag}(i64 %n, ptr %a) {{
entry:
  %n32 = alloca i32
  %info = alloca i32
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %one, label %start
one:
  ret {T} 1.0
start:
  %nt = trunc i64 %n to i32
  store i32 %nt, ptr %n32
  %ipiv_bytes = mul i64 %n, 4
  %ipiv = call ptr @malloc(i64 %ipiv_bytes)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %oom, label %factor
oom:
  call void @mlc_alloc_failed(i64 %ipiv_bytes)
  ret {T} 0.0
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  br label %loop
loop:
  %i = phi i64 [0, %factor], [%i1, %loop]
  %acc = phi {T} [1.0, %factor], [%acc2, %loop]
  %row = mul i64 %i, %n
  %ii = add i64 %row, %i
  %dp = getelementptr {T}, ptr %a, i64 %ii
  %diag = load {T}, ptr %dp
  %acc1 = fmul {T} %acc, %diag
  %pp = getelementptr i32, ptr %ipiv, i64 %i
  %piv = load i32, ptr %pp
  %piv64 = sext i32 %piv to i64
  %self = add i64 %i, 1
  %swapped = icmp ne i64 %piv64, %self
  %neg = fneg {T} %acc1
  %acc2 = select i1 %swapped, {T} %neg, {T} %acc1
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %end
end:
  call void @free(ptr %ipiv)
  ret {T} %acc2
}}
"""


def adapters_ir() -> str:
    head = ("declare ptr @malloc(i64)\ndeclare void @free(ptr)\ndeclare void @mlc_alloc_failed(i64)\n"
            "declare void @mlc_linalg_failed(i32, i32)\n")
    return head + "".join(_declarations(p) + _adapters_ir(T, p, tag)
                          for T, p, tag in (("float", "s", "f32"), ("double", "d", "f64")))


ADAPTERS = tuple(f"mlc_lapack_{op}_{tag}" for op in ("cholesky", "solve", "inverse", "det") for tag in ("f32", "f64"))


def register_lapack_symbols() -> None:
    """Make the `mlc_lapack_*` symbols resolvable by the JIT (idempotent, thread-safe)."""
    global _registered, _adapters
    if _registered:
        return
    with _lock:  # a second thread waits until every symbol is bound
        if _registered:
            return
        from mlc.runtime.errors import register_error_symbols

        register_error_symbols()
        capi = cython_capi("scipy.linalg.cython_lapack")
        for p in "sd":
            for r in ROUTINES:
                llvm.add_symbol(f"{RAW}{p}{r}", _capsule_pointer(capi[p + r]))
        from mlc.runtime.cpu import compile_module

        _adapters = compile_module(adapters_ir(), [])
        for name in ADAPTERS:
            llvm.add_symbol(name, _adapters.engine.get_function_address(OWN + name[len(PREFIX):]))
        _registered = True
