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
  column-major scratch and back. `syevd`'s eigenvectors (columns, column-
  major) are transposed in place. The SVD of A^T = V S U^T is A's with the
  roles swapped: `gesdd` writes its U into mlc's Vt buffer and its V^T
  into mlc's U buffer, both already row-major;
* **degenerate sizes**: n = 0 (or no right-hand side) returns before any
  call; det of a 0 x 0 matrix is 1; the full SVD of an empty matrix has
  identity U and Vt (numpy's);
* **workspace**: `getri`'s, `syevd`'s and `gesdd`'s sizes are queried (lwork = -1), pivots and scratch
  come from malloc; a failed malloc calls `mlc_alloc_failed` (MemoryError);
* **errors**: info > 0 calls `mlc_linalg_failed(code, info)`, which the
  runtime turns into numpy.linalg.LinAlgError once the call returns
  (`mlc.runtime.errors`); a singular matrix's det is 0, as numpy's.

The routines are numpy's OpenBLAS ones (ILP64, `scipy_dgesdd_64_`: the
LAPACK numpy.linalg calls, and the library mlc's BLAS calls, so the
process has one OpenBLAS), with 64-bit integers; where numpy ships none
(or `MLC_LAPACK=scipy`), scipy's `cython_lapack` (LP64: 32-bit integers,
sizes above 2^31 - 1 unsupported). Every argument is passed by pointer.
Loading both libraries' LAPACK does not work: once numpy's OpenBLAS is
global (the JIT resolves symbols in it), scipy's LP64 LAPACK loaded later
binds some of its own helper routines to numpy's ILP64 ones and returns
garbage (a NaN workspace size from `dgesdd`).
"""

from __future__ import annotations

import os
import threading

import llvmlite.binding as llvm

from mlc.runtime.blas_symbols import _capsule_pointer, cython_capi, numpy_openblas_symbols

PREFIX = "mlc_lapack_"
ROUTINES = ("potrf", "getrf", "getri", "getrs", "trtrs", "syevd", "gesdd", "geqrf", "orgqr")
#: error codes of `mlc_linalg_failed` (their messages: `mlc.runtime.errors.LINALG_MESSAGES`)
CHOLESKY, SOLVE, SOLVE_TRIANGULAR, INVERSE, SVD, EIGH = 1, 2, 3, 4, 5, 6

_registered = False
_lock = threading.Lock()
_adapters = None  # keeps the compiled adapters alive


#: f77 routine -> its number of (pointer) arguments
_ARITY = {"potrf": 5, "getrf": 6, "getri": 7, "getrs": 9, "trtrs": 10, "syevd": 11, "gesdd": 14, "geqrf": 7,
          "orgqr": 8}
#: the JIT symbol of each raw routine, and the adapters' own names (neither contains PREFIX, so compiling
#: the adapters does not ask for this provider again)
RAW = "mlc_f77_"
OWN = "lapack_adapter_"


def _declarations(p: str) -> str:
    return "".join(f"declare void @{RAW}{p}{r}({', '.join(['ptr'] * _ARITY[r])})\n" for r in ROUTINES)


def _adapters_ir(T: str, p: str, tag: str, I: str) -> str:
    """The four adapters for one element type (T: LLVM type, p: s/d, tag: f32/f64)."""
    nan = "0x7FF8000000000000"
    ISZ, ISZ8 = (4, 32) if I == "i32" else (8, 64)  # noqa: F841 (bytes of one LAPACK int, of eight)
    NARROW, WIDEN, TO32 = ("trunc", "sext", "bitcast") if I == "i32" else ("bitcast", "bitcast", "trunc")  # noqa: F841
    size = 4 if T == "float" else 8
    return f"""
define internal void @transpose_{tag}(ptr %dst, ptr %src, i64 %rows, i64 %cols) {{
entry:
  br label %outer
outer:
  %i = phi i64 [0, %entry], [%i1, %outer_next]
  %more_i = icmp slt i64 %i, %rows
  ; the inner loop tests at its end: a matrix with no columns must not enter it (one store per row
  ; would land past a destination of no elements)
  %has_cols = icmp sgt i64 %cols, 0
  %enter = and i1 %more_i, %has_cols
  br i1 %enter, label %inner, label %done
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
  %n32 = alloca {I}
  %info = alloca {I}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %call
call:
  %c = select i1 %lower, i8 85, i8 76
  store i8 %c, ptr %uplo
  %nt = {NARROW} i64 %n to {I}
  store {I} %nt, ptr %n32
  call void @{RAW}{p}potrf(ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %info)
  %code = load {I}, ptr %info
  %failed = icmp ne {I} %code, 0
  %total = mul i64 %n, %n
  br i1 %failed, label %fail, label %rows
fail:
  br i1 %nan_on_error, label %nan_loop, label %report
report:
  %code32 = {TO32} {I} %code to i32
  call void @mlc_linalg_failed(i32 {CHOLESKY}, i32 %code32)
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
  %n32 = alloca {I}
  %k32 = alloca {I}
  %info = alloca {I}
  %ch_trans = alloca i8
  %ch_uplo = alloca i8
  %ch_diag = alloca i8
  %n_empty = icmp eq i64 %n, 0
  %k_empty = icmp eq i64 %nrhs, 0
  %empty = or i1 %n_empty, %k_empty
  br i1 %empty, label %done, label %start
start:
  %nt = {NARROW} i64 %n to {I}
  store {I} %nt, ptr %n32
  %kt = {NARROW} i64 %nrhs to {I}
  store {I} %kt, ptr %k32
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
  %ipiv_bytes = mul i64 %n, {ISZ}
  %ipiv = call ptr @malloc(i64 %ipiv_bytes)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %oom2, label %factor
oom2:
  call void @mlc_alloc_failed(i64 %ipiv_bytes)
  br label %finish
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  %code = load {I}, ptr %info
  %singular = icmp ne {I} %code, 0
  br i1 %singular, label %lu_fail, label %lu_solve
lu_fail:
  %code32 = {TO32} {I} %code to i32
  call void @mlc_linalg_failed(i32 {SOLVE}, i32 %code32)
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
  %tcode = load {I}, ptr %info
  %tsingular = icmp ne {I} %tcode, 0
  br i1 %tsingular, label %tri_fail, label %finish
tri_fail:
  %tcode32 = {TO32} {I} %tcode to i32
  call void @mlc_linalg_failed(i32 {SOLVE_TRIANGULAR}, i32 %tcode32)
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
  %n32 = alloca {I}
  %info = alloca {I}
  %lwork = alloca {I}
  %query = alloca {T}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %start
start:
  %nt = {NARROW} i64 %n to {I}
  store {I} %nt, ptr %n32
  %ipiv_bytes = mul i64 %n, {ISZ}
  %ipiv = call ptr @malloc(i64 %ipiv_bytes)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %oom, label %factor
oom:
  call void @mlc_alloc_failed(i64 %ipiv_bytes)
  br label %done
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  %code = load {I}, ptr %info
  %singular = icmp ne {I} %code, 0
  br i1 %singular, label %fail, label %ask
fail:
  %code32 = {TO32} {I} %code to i32
  call void @mlc_linalg_failed(i32 {INVERSE}, i32 %code32)
  br label %free_ipiv
ask:
  store {I} -1, ptr %lwork
  call void @{RAW}{p}getri(ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %query, ptr %lwork, ptr %info)
  %q = load {T}, ptr %query
  %qi = fptosi {T} %q to {I}
  %at_least_n = icmp slt {I} %qi, %nt
  %words = select i1 %at_least_n, {I} %nt, {I} %qi
  store {I} %words, ptr %lwork
  %words64 = {WIDEN} {I} %words to i64
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
  %n32 = alloca {I}
  %info = alloca {I}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %one, label %start
one:
  ret {T} 1.0
start:
  %nt = {NARROW} i64 %n to {I}
  store {I} %nt, ptr %n32
  %ipiv_bytes = mul i64 %n, {ISZ}
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
  %pp = getelementptr {I}, ptr %ipiv, i64 %i
  %piv = load {I}, ptr %pp
  %piv64 = {WIDEN} {I} %piv to i64
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


def _decompositions_ir(T: str, p: str, tag: str, I: str) -> str:
    """eigh (syevd) and svd (gesdd) adapters for one element type."""
    size = 4 if T == "float" else 8
    ISZ, ISZ8 = (4, 32) if I == "i32" else (8, 64)  # noqa: F841 (bytes of one LAPACK int, of eight)
    NARROW, WIDEN, TO32 = ("trunc", "sext", "bitcast") if I == "i32" else ("bitcast", "bitcast", "trunc")  # noqa: F841
    return f"""
define internal void @identity_{tag}(ptr %a, i64 %n) {{
entry:
  %total = mul i64 %n, %n
  %empty = icmp eq i64 %total, 0
  br i1 %empty, label %done, label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %row = udiv i64 %k, %n
  %col = urem i64 %k, %n
  %on = icmp eq i64 %row, %col
  %v = select i1 %on, {T} 1.0, {T} 0.0
  %p = getelementptr {T}, ptr %a, i64 %k
  store {T} %v, ptr %p
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %total
  br i1 %more, label %loop, label %done
done:
  ret void
}}

; w = eigenvalues (ascending), a = eigenvectors as columns (only the `lower` or upper triangle of a is read)
define void @{OWN}eigh_{tag}(i64 %n, ptr %a, ptr %w, i1 %lower) {{
entry:
  %jobz = alloca i8
  %uplo = alloca i8
  %n32 = alloca {I}
  %lwork = alloca {I}
  %liwork = alloca {I}
  %info = alloca {I}
  %wq = alloca {T}
  %iwq = alloca {I}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %start
start:
  store i8 86, ptr %jobz
  %u = select i1 %lower, i8 85, i8 76
  store i8 %u, ptr %uplo
  %nt = {NARROW} i64 %n to {I}
  store {I} %nt, ptr %n32
  store {I} -1, ptr %lwork
  store {I} -1, ptr %liwork
  call void @{RAW}{p}syevd(ptr %jobz, ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %w, ptr %wq, ptr %lwork, ptr %iwq, ptr %liwork, ptr %info)
  %q = load {T}, ptr %wq
  %qi = fptosi {T} %q to {I}
  %q_small = icmp slt {I} %qi, 1
  %lw = select i1 %q_small, {I} 1, {I} %qi
  store {I} %lw, ptr %lwork
  %iq = load {I}, ptr %iwq
  %iq_small = icmp slt {I} %iq, 1
  %li = select i1 %iq_small, {I} 1, {I} %iq
  store {I} %li, ptr %liwork
  %lw64 = {WIDEN} {I} %lw to i64
  %work_bytes = mul i64 %lw64, {size}
  %li64 = {WIDEN} {I} %li to i64
  %iwork_bytes = mul i64 %li64, {ISZ}
  %work = call ptr @malloc(i64 %work_bytes)
  %iwork = call ptr @malloc(i64 %iwork_bytes)
  %no_work = icmp eq ptr %work, null
  %no_iwork = icmp eq ptr %iwork, null
  %no_memory = or i1 %no_work, %no_iwork
  br i1 %no_memory, label %oom, label %call
oom:
  %asked = add i64 %work_bytes, %iwork_bytes
  call void @mlc_alloc_failed(i64 %asked)
  call void @free(ptr %work)
  call void @free(ptr %iwork)
  br label %done
call:
  call void @{RAW}{p}syevd(ptr %jobz, ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %w, ptr %work, ptr %lwork, ptr %iwork, ptr %liwork, ptr %info)
  call void @free(ptr %work)
  call void @free(ptr %iwork)
  %code = load {I}, ptr %info
  %failed = icmp ne {I} %code, 0
  br i1 %failed, label %fail, label %rows
fail:
  %code32 = {TO32} {I} %code to i32
  call void @mlc_linalg_failed(i32 {EIGH}, i32 %code32)
  br label %done
rows:
  %i = phi i64 [0, %call], [%i1, %row_next]
  %more_i = icmp slt i64 %i, %n
  br i1 %more_i, label %row_start, label %done
row_start:
  %j0 = add i64 %i, 1
  br label %cols
cols:
  %j = phi i64 [%j0, %row_start], [%j1, %swap]
  %more_j = icmp slt i64 %j, %n
  br i1 %more_j, label %swap, label %row_next
swap:
  %at_i = mul i64 %i, %n
  %ij = add i64 %at_i, %j
  %at_j = mul i64 %j, %n
  %ji = add i64 %at_j, %i
  %p_ij = getelementptr {T}, ptr %a, i64 %ij
  %p_ji = getelementptr {T}, ptr %a, i64 %ji
  %x = load {T}, ptr %p_ij
  %y = load {T}, ptr %p_ji
  store {T} %y, ptr %p_ij
  store {T} %x, ptr %p_ji
  %j1 = add i64 %j, 1
  br label %cols
row_next:
  %i1 = add i64 %i, 1
  br label %rows
done:
  ret void
}}

; a (m x n, overwritten) = u diag(s) vt; job 0: s only, 1: reduced u (m x k) and vt (k x n), 2: full (m x m, n x n)
define void @{OWN}svd_{tag}(i64 %m, i64 %n, ptr %a, ptr %s, ptr %u, ptr %vt, i32 %job) {{
entry:
  %jobz = alloca i8
  %mm = alloca {I}
  %nn = alloca {I}
  %ldu = alloca {I}
  %ldvt = alloca {I}
  %lwork = alloca {I}
  %info = alloca {I}
  %wq = alloca {T}
  %m_small = icmp slt i64 %m, %n
  %k = select i1 %m_small, i64 %m, i64 %n
  %full = icmp eq i32 %job, 2
  %empty = icmp eq i64 %k, 0
  br i1 %empty, label %degenerate, label %start
degenerate:
  br i1 %full, label %identities, label %done
identities:
  call void @identity_{tag}(ptr %u, i64 %m)
  call void @identity_{tag}(ptr %vt, i64 %n)
  br label %done
start:
  %none = icmp eq i32 %job, 0
  %c_sa = select i1 %full, i8 65, i8 83
  %c = select i1 %none, i8 78, i8 %c_sa
  store i8 %c, ptr %jobz
  ; the column-major problem is A^T: n x m
  %mt = {NARROW} i64 %m to {I}
  %nt = {NARROW} i64 %n to {I}
  %kt = {NARROW} i64 %k to {I}
  store {I} %nt, ptr %mm
  store {I} %mt, ptr %nn
  %ldu_v = select i1 %none, {I} 1, {I} %nt
  store {I} %ldu_v, ptr %ldu
  %ldvt_sa = select i1 %full, {I} %mt, {I} %kt
  %ldvt_v = select i1 %none, {I} 1, {I} %ldvt_sa
  store {I} %ldvt_v, ptr %ldvt
  %uu = select i1 %none, ptr %s, ptr %vt
  %vv = select i1 %none, ptr %s, ptr %u
  %iwork_bytes = mul i64 %k, {ISZ8}
  %iwork = call ptr @malloc(i64 %iwork_bytes)
  %no_iwork = icmp eq ptr %iwork, null
  br i1 %no_iwork, label %oom_i, label %query
oom_i:
  call void @mlc_alloc_failed(i64 %iwork_bytes)
  br label %done
query:
  store {I} -1, ptr %lwork
  call void @{RAW}{p}gesdd(ptr %jobz, ptr %mm, ptr %nn, ptr %a, ptr %mm, ptr %s, ptr %uu, ptr %ldu, ptr %vv, ptr %ldvt, ptr %wq, ptr %lwork, ptr %iwork, ptr %info)
  %q = load {T}, ptr %wq
  %qi = fptosi {T} %q to {I}
  %q_small = icmp slt {I} %qi, 1
  %lw = select i1 %q_small, {I} 1, {I} %qi
  store {I} %lw, ptr %lwork
  %lw64 = {WIDEN} {I} %lw to i64
  %work_bytes = mul i64 %lw64, {size}
  %work = call ptr @malloc(i64 %work_bytes)
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %oom_w, label %call
oom_w:
  call void @mlc_alloc_failed(i64 %work_bytes)
  br label %free_i
call:
  call void @{RAW}{p}gesdd(ptr %jobz, ptr %mm, ptr %nn, ptr %a, ptr %mm, ptr %s, ptr %uu, ptr %ldu, ptr %vv, ptr %ldvt, ptr %work, ptr %lwork, ptr %iwork, ptr %info)
  call void @free(ptr %work)
  %code = load {I}, ptr %info
  %failed = icmp ne {I} %code, 0  ; numpy: any nonzero info (a NaN input is info = -4 in LAPACK >= 3.10)
  br i1 %failed, label %fail, label %free_i
fail:
  %code32 = {TO32} {I} %code to i32
  call void @mlc_linalg_failed(i32 {SVD}, i32 %code32)
  br label %free_i
free_i:
  call void @free(ptr %iwork)
  br label %done
done:
  ret void
}}
; QR of a (m x n, row-major, read only). mode 0: q (m x k), r (k x n); 1: q (m x m), r (m x n); 2: r (k x n)
; in p2; 3 (numpy's 'raw'): h (n x m: the column-major factors) in p1, tau (k) in p2
define void @{OWN}qr_{tag}(i64 %m, i64 %n, ptr %a, ptr %p1, ptr %p2, i32 %mode) {{
entry:
  %mm = alloca {I}
  %nn = alloca {I}
  %kk = alloca {I}
  %qq = alloca {I}
  %lda = alloca {I}
  %lwork = alloca {I}
  %info = alloca {I}
  %wq = alloca {T}
  %m_small = icmp slt i64 %m, %n
  %k = select i1 %m_small, i64 %m, i64 %n
  %complete = icmp eq i32 %mode, 1
  %raw = icmp eq i32 %mode, 3
  %m_big = icmp sgt i64 %m, %n
  %wide = select i1 %m_big, i64 %m, i64 %n
  %cols = select i1 %complete, i64 %wide, i64 %n
  %cells = mul i64 %m, %cols
  %cells1 = add i64 %cells, 1
  %a_bytes = mul i64 %cells1, {size}
  %k1 = add i64 %k, 1
  %tau_bytes = mul i64 %k1, {size}
  %own_a = call ptr @malloc(i64 %a_bytes)
  %own_tau = call ptr @malloc(i64 %tau_bytes)
  %work_a = select i1 %raw, ptr %p1, ptr %own_a
  %tau = select i1 %raw, ptr %p2, ptr %own_tau
  %no_a = icmp eq ptr %own_a, null
  %no_tau = icmp eq ptr %own_tau, null
  %no_memory = or i1 %no_a, %no_tau
  br i1 %no_memory, label %oom, label %start
oom:
  %asked = add i64 %a_bytes, %tau_bytes
  call void @mlc_alloc_failed(i64 %asked)
  br label %cleanup
start:
  call void @transpose_{tag}(ptr %work_a, ptr %a, i64 %m, i64 %n)
  %mt = {NARROW} i64 %m to {I}
  %nt = {NARROW} i64 %n to {I}
  %kt = {NARROW} i64 %k to {I}
  store {I} %mt, ptr %mm
  store {I} %nt, ptr %nn
  store {I} %kt, ptr %kk
  %m_zero = icmp eq i64 %m, 0
  %ld = select i1 %m_zero, {I} 1, {I} %mt
  store {I} %ld, ptr %lda
  %qcols = select i1 %complete, i64 %m, i64 %k
  %qt = {NARROW} i64 %qcols to {I}
  store {I} %qt, ptr %qq
  ; one workspace for both routines: the larger of their queries
  store {I} -1, ptr %lwork
  call void @{RAW}{p}geqrf(ptr %mm, ptr %nn, ptr %work_a, ptr %lda, ptr %tau, ptr %wq, ptr %lwork, ptr %info)
  %q1 = load {T}, ptr %wq
  call void @{RAW}{p}orgqr(ptr %mm, ptr %qq, ptr %kk, ptr %work_a, ptr %lda, ptr %tau, ptr %wq, ptr %lwork, ptr %info)
  %q2 = load {T}, ptr %wq
  %q_more = fcmp ogt {T} %q1, %q2
  %q = select i1 %q_more, {T} %q1, {T} %q2
  %qi = fptosi {T} %q to {I}
  %q_small = icmp slt {I} %qi, 1
  %lw = select i1 %q_small, {I} 1, {I} %qi
  store {I} %lw, ptr %lwork
  %lw64 = {WIDEN} {I} %lw to i64
  %work_bytes = mul i64 %lw64, {size}
  %work = call ptr @malloc(i64 %work_bytes)
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %oom_w, label %factor
oom_w:
  call void @mlc_alloc_failed(i64 %work_bytes)
  br label %cleanup
factor:
  %k_zero = icmp eq i64 %k, 0
  br i1 %k_zero, label %factored, label %geqrf
geqrf:
  call void @{RAW}{p}geqrf(ptr %mm, ptr %nn, ptr %work_a, ptr %lda, ptr %tau, ptr %work, ptr %lwork, ptr %info)
  br label %factored
factored:
  br i1 %raw, label %free_work, label %r_part
r_part:
  ; r[i][j] = factor(i, j) for i <= j (column-major, ld m), 0 below; rows: m (complete) or k
  %rrows = select i1 %complete, i64 %m, i64 %k
  %r_total = mul i64 %rrows, %n
  %r_empty = icmp eq i64 %r_total, 0
  br i1 %r_empty, label %r_done, label %r_loop
r_loop:
  %c = phi i64 [0, %r_part], [%c1, %r_loop]
  %i = udiv i64 %c, %n
  %j = urem i64 %c, %n
  %above = icmp sle i64 %i, %j
  %at_j = mul i64 %j, %m
  %ji = add i64 %at_j, %i
  %src = getelementptr {T}, ptr %work_a, i64 %ji
  %val = load {T}, ptr %src
  %rv = select i1 %above, {T} %val, {T} 0.0
  %dst = getelementptr {T}, ptr %p2, i64 %c
  store {T} %rv, ptr %dst
  %c1 = add i64 %c, 1
  %more_c = icmp slt i64 %c1, %r_total
  br i1 %more_c, label %r_loop, label %r_done
r_done:
  %r_only = icmp eq i32 %mode, 2
  br i1 %r_only, label %free_work, label %q_part
q_part:
  %q_cells = mul i64 %m, %qcols
  %q_empty = icmp eq i64 %q_cells, 0
  br i1 %q_empty, label %free_work, label %orgqr
orgqr:
  call void @{RAW}{p}orgqr(ptr %mm, ptr %qq, ptr %kk, ptr %work_a, ptr %lda, ptr %tau, ptr %work, ptr %lwork, ptr %info)
  call void @transpose_{tag}(ptr %p1, ptr %work_a, i64 %qcols, i64 %m)
  br label %free_work
free_work:
  call void @free(ptr %work)
  br label %cleanup
cleanup:
  call void @free(ptr %own_a)
  call void @free(ptr %own_tau)
  ret void
}}
"""


def adapters_ir(I: str = "i32") -> str:
    """The adapters' LLVM IR for LAPACK integers of type `I` (i32: LP64, i64: ILP64)."""
    head = ("declare ptr @malloc(i64)\ndeclare void @free(ptr)\ndeclare void @mlc_alloc_failed(i64)\n"
            "declare void @mlc_linalg_failed(i32, i32)\n")
    return head + "".join(_declarations(p) + _adapters_ir(T, p, tag, I) + _decompositions_ir(T, p, tag, I)
                          for T, p, tag in (("float", "s", "f32"), ("double", "d", "f64")))


ADAPTERS = tuple(f"mlc_lapack_{op}_{tag}" for op in ("cholesky", "solve", "inverse", "det", "eigh", "svd", "qr")
                 for tag in ("f32", "f64"))


def _numpy_lapack() -> dict[str, int] | None:
    """routine -> address in numpy's OpenBLAS (ILP64, `scipy_<routine>_64_`), or None where numpy has none."""
    found = numpy_openblas_symbols(f"scipy_{p}{r}_64_" for p in "sd" for r in ROUTINES)
    return None if found is None else {name[len("scipy_"):-len("_64_")]: a for name, a in found.items()}


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
        routines = _numpy_lapack() if os.environ.get("MLC_LAPACK", "").lower() != "scipy" else None
        int_type = "i64"
        if routines is None:
            capi = cython_capi("scipy.linalg.cython_lapack")
            routines = {p + r: _capsule_pointer(capi[p + r]) for p in "sd" for r in ROUTINES}
            int_type = "i32"
        for name, address in routines.items():
            llvm.add_symbol(f"{RAW}{name}", address)
        from mlc.runtime.cpu import compile_module

        _adapters = compile_module(adapters_ir(int_type), [])
        for name in ADAPTERS:
            llvm.add_symbol(name, _adapters.engine.get_function_address(OWN + name[len(PREFIX):]))
        _registered = True
