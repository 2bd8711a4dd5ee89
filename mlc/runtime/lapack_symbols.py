"""LAPACK for JIT code: `mlc_lapack_<op>_<f32|f64>` adapters (and `mlc_lapack_eig_c128`) over the process's LAPACK.

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
  into mlc's U buffer, both already row-major. `geev`, `gelsd` and `zgeev`
  get column-major copies (numpy's own calls: the same eigenvalue order),
  and geev's packed real eigenvectors become complex columns (a pair's
  vectors are column j +- i column j+1);
* **expm**: scipy's algorithm (Al-Mohy and Higham 2009, as in scipy's
  `pick_pade_structure` and `pade_UV_calc`) written out: the Pade degree
  from 1-norms of A^4 .. A^10 and of powers of |A| applied to ones (gemv),
  the powers and U, V by gemm, one `gesv`, the squarings by gemm. Two
  differences: n >= 400 takes the exact 1-norms of A^8 and A^10 where scipy
  estimates them, and U of degree 13 is the textbook A (A6 (...) + ...):
  scipy 1.17's carries an extra A^6 term (relative errors ~1e-13 against
  an eigendecomposition where this gives ~1e-15);
* **degenerate sizes**: n = 0 (or no right-hand side) returns before any
  call; det of a 0 x 0 matrix is 1; the full SVD of an empty matrix has
  identity U and Vt (numpy's);
* **workspace**: sizes are queried (lwork = -1) through shared helpers (`@workspace_<t>`,
  `@int_workspace`), pivots and scratch come from calloc (`@lapack_alloc`); a failed allocation calls
  `mlc_alloc_failed` (MemoryError);
* **errors**: info != 0 calls `mlc_linalg_failed(code, info)` (`@failed`), which the
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
import struct
import threading

import llvmlite.binding as llvm
import numpy as np

from mlc.runtime.blas_symbols import _capsule_pointer, cython_capi, numpy_openblas_symbols

PREFIX = "mlc_lapack_"
ROUTINES = ("potrf", "getrf", "getri", "getrs", "trtrs", "syevd", "gesdd", "geqrf", "orgqr", "geev", "gelsd", "gesv")
#: BLAS routines the expm adapter calls (from the same library, f77 interface)
BLAS_ROUTINES = ("gemm", "gemv")
#: complex routines (by full name)
COMPLEX_ROUTINES = ("zgeev",)
#: error codes of `mlc_linalg_failed` (their messages: `mlc.runtime.errors.LINALG_MESSAGES`)
CHOLESKY, SOLVE, SOLVE_TRIANGULAR, INVERSE, SVD, EIGH, NOT_FINITE, LSTSQ = 1, 2, 3, 4, 5, 6, 7, 8

_registered = False
_lock = threading.Lock()
_adapters = None  # keeps the compiled adapters alive


#: f77 routine -> its number of (pointer) arguments
_ARITY = {"potrf": 5, "getrf": 6, "getri": 7, "getrs": 9, "trtrs": 10, "syevd": 11, "gesdd": 14, "geqrf": 7,
          "orgqr": 8, "geev": 14, "gelsd": 14, "gesv": 8, "gemm": 13, "gemv": 11}
#: the JIT symbol of each raw routine, and the adapters' own names (neither contains PREFIX, so compiling
#: the adapters does not ask for this provider again)
RAW = "mlc_f77_"
OWN = "lapack_adapter_"


def _declarations(p: str) -> str:
    return "".join(f"declare void @{RAW}{p}{r}({', '.join(['ptr'] * _ARITY[r])})\n"
                   for r in ROUTINES + BLAS_ROUTINES)


def _ints(I: str) -> tuple[int, int, str, str, str]:
    """For LAPACK integers of type I: bytes of one, bits of eight, and the casts i64 -> I, I -> i64, I -> i32."""
    if I == "i32":
        return 4, 32, "trunc", "sext", "bitcast"
    return 8, 64, "bitcast", "bitcast", "trunc"


def _helpers_ir(I: str) -> str:
    """Helpers every adapter uses (element-type free): allocation, LAPACK integers, info checks."""
    ISZ, _, NARROW, _, TO32 = _ints(I)
    return f"""
; zeroed memory (at least one byte); NULL after reporting the failure (MemoryError)
define internal ptr @lapack_alloc(i64 %bytes) noinline {{
entry:
  %zero = icmp eq i64 %bytes, 0
  %ask = select i1 %zero, i64 1, i64 %bytes
  %p = call ptr @calloc(i64 %ask, i64 1)
  %no = icmp eq ptr %p, null
  br i1 %no, label %oom, label %ok
oom:
  call void @mlc_alloc_failed(i64 %bytes)
  br label %ok
ok:
  ret ptr %p
}}

; %count LAPACK integers
define internal ptr @lapack_ints(i64 %count) noinline {{
entry:
  %bytes = mul i64 %count, {ISZ}
  %p = call ptr @lapack_alloc(i64 %bytes)
  ret ptr %p
}}

; are the four pointers all allocated (pass one twice for fewer)
define internal i1 @allocated(ptr %a, ptr %b, ptr %c, ptr %d) noinline {{
entry:
  %na = icmp ne ptr %a, null
  %nb = icmp ne ptr %b, null
  %nc = icmp ne ptr %c, null
  %nd = icmp ne ptr %d, null
  %ab = and i1 %na, %nb
  %cd = and i1 %nc, %nd
  %all = and i1 %ab, %cd
  ret i1 %all
}}

; free four blocks (pass null for fewer)
define internal void @free4(ptr %a, ptr %b, ptr %c, ptr %d) noinline {{
entry:
  call void @free(ptr %a)
  call void @free(ptr %b)
  call void @free(ptr %c)
  call void @free(ptr %d)
  ret void
}}

define internal void @put_int(ptr %p, i64 %v) noinline {{
entry:
  %t = {NARROW} i64 %v to {I}
  store {I} %t, ptr %p
  ret void
}}

; did the routine fail (info != 0)? if so, report it under `code` (LinAlgError)
define internal i1 @failed(ptr %info, i32 %code) noinline {{
entry:
  %c = load {I}, ptr %info
  %bad = icmp ne {I} %c, 0
  br i1 %bad, label %report, label %ok
report:
  %c32 = {TO32} {I} %c to i32
  call void @mlc_linalg_failed(i32 %code, i32 %c32)
  br label %ok
ok:
  ret i1 %bad
}}

; max(0, ceil(q)) as an integer, as scipy's C computes `(int)ceil(q)` then clamps at 0 on x86-64: a value
; outside int's range (an overflowed norm: +inf; NaN) converts to INT_MIN, so counts as 0
define internal i64 @count_up(double %q) noinline {{
entry:
  %c = call double @llvm.ceil.f64(double %q)
  %pos = fcmp ogt double %c, 0.0
  %fits = fcmp olt double %c, 2147483648.0
  %use = and i1 %pos, %fits
  %c1 = select i1 %use, double %c, double 0.0
  %i = fptosi double %c1 to i64
  ret i64 %i
}}

; the integer workspace a query asked for (at least 1), its size stored into %liwork
define internal ptr @int_workspace(ptr %iquery, ptr %liwork) noinline {{
entry:
  %q = load {I}, ptr %iquery
  %small = icmp slt {I} %q, 1
  %li = select i1 %small, {I} 1, {I} %q
  store {I} %li, ptr %liwork
  %li64 = {_ints(I)[3]} {I} %li to i64
  %p = call ptr @lapack_ints(i64 %li64)
  ret ptr %p
}}
"""


def _elements_ir(T: str, tag: str, I: str) -> str:
    """Element helpers for one element type: strided copies, workspaces, sums, identities."""
    size = 4 if T == "float" else 8
    return f"""
; dst[i * drow + j * dcol] = src[i * srow + j * scol] for i < rows, j < cols (a transpose, or a copy into a
; column-major array with a leading dimension)
define internal void @copy2d_{tag}(ptr %dst, i64 %drow, i64 %dcol, ptr %src, i64 %srow, i64 %scol, i64 %rows, i64 %cols) noinline {{
entry:
  %none = icmp eq i64 %cols, 0
  br i1 %none, label %done, label %outer
outer:
  %i = phi i64 [0, %entry], [%i1, %inner]
  %more_i = icmp slt i64 %i, %rows
  br i1 %more_i, label %row, label %done
row:
  %s_at = mul i64 %i, %srow
  %d_at = mul i64 %i, %drow
  br label %inner_body
inner_body:
  %j = phi i64 [0, %row], [%j1, %inner_body]
  %s_j = mul i64 %j, %scol
  %d_j = mul i64 %j, %dcol
  %s_ij = add i64 %s_at, %s_j
  %d_ij = add i64 %d_at, %d_j
  %sp = getelementptr {T}, ptr %src, i64 %s_ij
  %dp = getelementptr {T}, ptr %dst, i64 %d_ij
  %v = load {T}, ptr %sp
  store {T} %v, ptr %dp
  %j1 = add i64 %j, 1
  %more_j = icmp slt i64 %j1, %cols
  br i1 %more_j, label %inner_body, label %inner
inner:
  %i1 = add i64 %i, 1
  br label %outer
done:
  ret void
}}

define internal void @transpose_{tag}(ptr %dst, ptr %src, i64 %rows, i64 %cols) noinline {{
entry:
  call void @copy2d_{tag}(ptr %dst, i64 1, i64 %rows, ptr %src, i64 %cols, i64 1, i64 %rows, i64 %cols)
  ret void
}}

; the real workspace a query asked for (at least 1 element), its size stored into %lwork
define internal ptr @workspace_{tag}(ptr %query, ptr %lwork) noinline {{
entry:
  %q = load {T}, ptr %query
  %qi = fptosi {T} %q to {I}
  %small = icmp slt {I} %qi, 1
  %lw = select i1 %small, {I} 1, {I} %qi
  store {I} %lw, ptr %lwork
  %lw64 = {_ints(I)[3]} {I} %lw to i64
  %bytes = mul i64 %lw64, {size}
  %p = call ptr @lapack_alloc(i64 %bytes)
  ret ptr %p
}}

; %count elements of type {T}
define internal ptr @elements_{tag}(i64 %count) noinline {{
entry:
  %bytes = mul i64 %count, {size}
  %p = call ptr @lapack_alloc(i64 %bytes)
  ret ptr %p
}}

; sum of p[k * stride]^2 for k < count
define internal {T} @sumsq_{tag}(ptr %p, i64 %count, i64 %stride) noinline {{
entry:
  %none = icmp eq i64 %count, 0
  br i1 %none, label %done, label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %acc = phi {T} [0.0, %entry], [%acc1, %loop]
  %at = mul i64 %k, %stride
  %xp = getelementptr {T}, ptr %p, i64 %at
  %x = load {T}, ptr %xp
  %x2 = fmul {T} %x, %x
  %acc1 = fadd {T} %acc, %x2
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %done
done:
  %r = phi {T} [0.0, %entry], [%acc1, %loop]
  ret {T} %r
}}

; are all %count elements finite
define internal i1 @all_finite_{tag}(ptr %p, i64 %count) noinline {{
entry:
  %none = icmp eq i64 %count, 0
  br i1 %none, label %yes, label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %next]
  %xp = getelementptr {T}, ptr %p, i64 %k
  %x = load {T}, ptr %xp
  %d = fsub {T} %x, %x
  %ok = fcmp ord {T} %d, 0.0
  br i1 %ok, label %next, label %no
next:
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %yes
no:
  ret i1 0
yes:
  ret i1 1
}}

define internal void @identity_{tag}(ptr %a, i64 %n) noinline {{
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
"""


def _adapters_ir(T: str, p: str, tag: str, I: str) -> str:
    """cholesky, solve, inverse and det for one element type (T: LLVM type, p: s/d, tag: f32/f64)."""
    nan = "0x7FF8000000000000"
    return f"""
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
  call void @put_int(ptr %n32, i64 %n)
  call void @{RAW}{p}potrf(ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %info)
  %total = mul i64 %n, %n
  br i1 %nan_on_error, label %quiet, label %loud
loud:
  %failed = call i1 @failed(ptr %info, i32 {CHOLESKY})
  br i1 %failed, label %done, label %rows
quiet:
  %code = load {I}, ptr %info
  %bad = icmp ne {I} %code, 0
  br i1 %bad, label %nan_loop, label %rows
nan_loop:
  %k = phi i64 [0, %quiet], [%k1, %nan_loop]
  %kp = getelementptr {T}, ptr %a, i64 %k
  store {T} {nan}, ptr %kp
  %k1 = add i64 %k, 1
  %more_k = icmp slt i64 %k1, %total
  br i1 %more_k, label %nan_loop, label %done
rows:
  %i = phi i64 [0, %loud], [0, %quiet], [%i1, %row_next]
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
  call void @put_int(ptr %n32, i64 %n)
  call void @put_int(ptr %k32, i64 %nrhs)
  %several = icmp sgt i64 %nrhs, 1
  br i1 %several, label %scratch, label %solve
scratch:
  %count = mul i64 %n, %nrhs
  %w = call ptr @elements_{tag}(i64 %count)
  %no_w = icmp eq ptr %w, null
  br i1 %no_w, label %done, label %to_cols
to_cols:
  call void @transpose_{tag}(ptr %w, ptr %b, i64 %n, i64 %nrhs)
  br label %solve
solve:
  %rhs = phi ptr [%b, %start], [%w, %to_cols]
  %general = icmp eq i32 %structure, 0
  br i1 %general, label %lu, label %triangular
lu:
  %ipiv = call ptr @lapack_ints(i64 %n)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %finish, label %factor
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  %singular = call i1 @failed(ptr %info, i32 {SOLVE})
  br i1 %singular, label %lu_free, label %lu_solve
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
  %tsingular = call i1 @failed(ptr %info, i32 {SOLVE_TRIANGULAR})
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
  call void @put_int(ptr %n32, i64 %n)
  %ipiv = call ptr @lapack_ints(i64 %n)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %done, label %factor
factor:
  call void @{RAW}{p}getrf(ptr %n32, ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %info)
  %singular = call i1 @failed(ptr %info, i32 {INVERSE})
  br i1 %singular, label %free_ipiv, label %ask
ask:
  call void @put_int(ptr %lwork, i64 -1)
  call void @{RAW}{p}getri(ptr %n32, ptr %a, ptr %n32, ptr %ipiv, ptr %query, ptr %lwork, ptr %info)
  %work = call ptr @workspace_{tag}(ptr %query, ptr %lwork)
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %free_ipiv, label %invert
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
  call void @put_int(ptr %n32, i64 %n)
  %ipiv = call ptr @lapack_ints(i64 %n)
  %no_ipiv = icmp eq ptr %ipiv, null
  br i1 %no_ipiv, label %oom, label %factor
oom:
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
  %piv64 = {_ints(I)[3]} {I} %piv to i64
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
    """eigh (syevd), svd (gesdd) and qr (geqrf + orgqr) adapters for one element type."""
    return f"""
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
  call void @put_int(ptr %n32, i64 %n)
  call void @put_int(ptr %lwork, i64 -1)
  call void @put_int(ptr %liwork, i64 -1)
  call void @{RAW}{p}syevd(ptr %jobz, ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %w, ptr %wq, ptr %lwork, ptr %iwq, ptr %liwork, ptr %info)
  %work = call ptr @workspace_{tag}(ptr %wq, ptr %lwork)
  %iwork = call ptr @int_workspace(ptr %iwq, ptr %liwork)
  %have = call i1 @allocated(ptr %work, ptr %iwork, ptr %work, ptr %work)
  br i1 %have, label %call, label %cleanup
call:
  call void @{RAW}{p}syevd(ptr %jobz, ptr %uplo, ptr %n32, ptr %a, ptr %n32, ptr %w, ptr %work, ptr %lwork, ptr %iwork, ptr %liwork, ptr %info)
  %failed = call i1 @failed(ptr %info, i32 {EIGH})
  br i1 %failed, label %cleanup, label %rows
rows:
  %i = phi i64 [0, %call], [%i1, %row_next]
  %more_i = icmp slt i64 %i, %n
  br i1 %more_i, label %row_start, label %cleanup
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
cleanup:
  call void @free(ptr %work)
  call void @free(ptr %iwork)
  br label %done
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
  call void @put_int(ptr %mm, i64 %n)
  call void @put_int(ptr %nn, i64 %m)
  %ldu_v = select i1 %none, i64 1, i64 %n
  call void @put_int(ptr %ldu, i64 %ldu_v)
  %ldvt_sa = select i1 %full, i64 %m, i64 %k
  %ldvt_v = select i1 %none, i64 1, i64 %ldvt_sa
  call void @put_int(ptr %ldvt, i64 %ldvt_v)
  %uu = select i1 %none, ptr %s, ptr %vt
  %vv = select i1 %none, ptr %s, ptr %u
  %k8 = mul i64 %k, 8
  %iwork = call ptr @lapack_ints(i64 %k8)
  %no_iwork = icmp eq ptr %iwork, null
  br i1 %no_iwork, label %done, label %query
query:
  call void @put_int(ptr %lwork, i64 -1)
  call void @{RAW}{p}gesdd(ptr %jobz, ptr %mm, ptr %nn, ptr %a, ptr %mm, ptr %s, ptr %uu, ptr %ldu, ptr %vv, ptr %ldvt, ptr %wq, ptr %lwork, ptr %iwork, ptr %info)
  %work = call ptr @workspace_{tag}(ptr %wq, ptr %lwork)
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %free_i, label %call
call:
  call void @{RAW}{p}gesdd(ptr %jobz, ptr %mm, ptr %nn, ptr %a, ptr %mm, ptr %s, ptr %uu, ptr %ldu, ptr %vv, ptr %ldvt, ptr %work, ptr %lwork, ptr %iwork, ptr %info)
  call void @free(ptr %work)
  ; numpy: any nonzero info (a NaN input is info = -4 in LAPACK >= 3.10)
  %failed = call i1 @failed(ptr %info, i32 {SVD})
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
  %own_a = call ptr @elements_{tag}(i64 %cells)
  %own_tau = call ptr @elements_{tag}(i64 %k)
  %work_a = select i1 %raw, ptr %p1, ptr %own_a
  %tau = select i1 %raw, ptr %p2, ptr %own_tau
  %have = call i1 @allocated(ptr %own_a, ptr %own_tau, ptr %own_a, ptr %own_a)
  br i1 %have, label %start, label %cleanup
start:
  call void @transpose_{tag}(ptr %work_a, ptr %a, i64 %m, i64 %n)
  call void @put_int(ptr %mm, i64 %m)
  call void @put_int(ptr %nn, i64 %n)
  call void @put_int(ptr %kk, i64 %k)
  %m_zero = icmp eq i64 %m, 0
  %ld = select i1 %m_zero, i64 1, i64 %m
  call void @put_int(ptr %lda, i64 %ld)
  %qcols = select i1 %complete, i64 %m, i64 %k
  call void @put_int(ptr %qq, i64 %qcols)
  ; one workspace for both routines: the larger of their queries
  call void @put_int(ptr %lwork, i64 -1)
  call void @{RAW}{p}geqrf(ptr %mm, ptr %nn, ptr %work_a, ptr %lda, ptr %tau, ptr %wq, ptr %lwork, ptr %info)
  %q1 = load {T}, ptr %wq
  call void @{RAW}{p}orgqr(ptr %mm, ptr %qq, ptr %kk, ptr %work_a, ptr %lda, ptr %tau, ptr %wq, ptr %lwork, ptr %info)
  %q2 = load {T}, ptr %wq
  %q_more = fcmp ogt {T} %q1, %q2
  %q = select i1 %q_more, {T} %q1, {T} %q2
  store {T} %q, ptr %wq
  %work = call ptr @workspace_{tag}(ptr %wq, ptr %lwork)
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %cleanup, label %factor
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


def _general_ir(T: str, p: str, tag: str, I: str) -> str:
    """eig (geev) and lstsq (gelsd) adapters for one element type."""
    return f"""
; v[i][j] = re[i] + sign * im[i] i (complex, row-major n x n) for every row i; im null: the imaginary parts are 0
define internal void @put_column_{tag}(ptr %v, i64 %n, i64 %j, ptr %re, ptr %im, {T} %sign) noinline {{
entry:
  %real = icmp eq ptr %im, null
  br label %loop
loop:
  %i = phi i64 [0, %entry], [%i1, %loop]
  %rp = getelementptr {T}, ptr %re, i64 %i
  %r = load {T}, ptr %rp
  %ip = getelementptr {T}, ptr %im, i64 %i
  %safe = select i1 %real, ptr %re, ptr %ip
  %x = load {T}, ptr %safe
  %y = fmul {T} %x, %sign
  %c = select i1 %real, {T} 0.0, {T} %y
  %at = mul i64 %i, %n
  %ij = add i64 %at, %j
  %k = mul i64 %ij, 2
  %vr = getelementptr {T}, ptr %v, i64 %k
  %vi = getelementptr {T}, ptr %vr, i64 1
  store {T} %r, ptr %vr
  store {T} %c, ptr %vi
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}}

; w (n, complex) and v (n x n, complex, row-major: the right eigenvectors as columns) of the general matrix
; a (n x n, row-major, read only); numpy.linalg.eig's results (geev on the column-major copy)
define void @{OWN}eig_{tag}(i64 %n, ptr %a, ptr %w, ptr %v) {{
entry:
  %jobvl = alloca i8
  %jobvr = alloca i8
  %nn = alloca {I}
  %one = alloca {I}
  %lwork = alloca {I}
  %info = alloca {I}
  %wq = alloca {T}
  %work_slot = alloca ptr
  store ptr null, ptr %work_slot
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %check
check:
  %total = mul i64 %n, %n
  %finite = call i1 @all_finite_{tag}(ptr %a, i64 %total)
  br i1 %finite, label %start, label %not_finite
not_finite:
  call void @mlc_linalg_failed(i32 {NOT_FINITE}, i32 0)
  br label %done
start:
  %col = call ptr @elements_{tag}(i64 %total)
  %vr = call ptr @elements_{tag}(i64 %total)
  %wr = call ptr @elements_{tag}(i64 %n)
  %wi = call ptr @elements_{tag}(i64 %n)
  %have = call i1 @allocated(ptr %col, ptr %vr, ptr %wr, ptr %wi)
  br i1 %have, label %query, label %cleanup
query:
  store i8 78, ptr %jobvl
  store i8 86, ptr %jobvr
  call void @put_int(ptr %nn, i64 %n)
  call void @put_int(ptr %one, i64 1)
  call void @transpose_{tag}(ptr %col, ptr %a, i64 %n, i64 %n)
  call void @put_int(ptr %lwork, i64 -1)
  call void @{RAW}{p}geev(ptr %jobvl, ptr %jobvr, ptr %nn, ptr %col, ptr %nn, ptr %wr, ptr %wi, ptr %vr, ptr %one, ptr %vr, ptr %nn, ptr %wq, ptr %lwork, ptr %info)
  %work = call ptr @workspace_{tag}(ptr %wq, ptr %lwork)
  store ptr %work, ptr %work_slot
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %cleanup, label %call
call:
  call void @{RAW}{p}geev(ptr %jobvl, ptr %jobvr, ptr %nn, ptr %col, ptr %nn, ptr %wr, ptr %wi, ptr %vr, ptr %one, ptr %vr, ptr %nn, ptr %work, ptr %lwork, ptr %info)
  %failed = call i1 @failed(ptr %info, i32 {EIGH})
  br i1 %failed, label %cleanup, label %values
values:
  call void @copy2d_{tag}(ptr %w, i64 2, i64 1, ptr %wr, i64 1, i64 0, i64 %n, i64 1)
  %w_im = getelementptr {T}, ptr %w, i64 1
  call void @copy2d_{tag}(ptr %w_im, i64 2, i64 1, ptr %wi, i64 1, i64 0, i64 %n, i64 1)
  br label %vectors
vectors:
  ; LAPACK's packing: a real eigenvalue's vector is column j; a complex pair's vectors are
  ; column j +- column j+1 i
  %j = phi i64 [0, %values], [%j_next, %next]
  %more = icmp slt i64 %j, %n
  br i1 %more, label %column, label %cleanup
column:
  %imp = getelementptr {T}, ptr %wi, i64 %j
  %im = load {T}, ptr %imp
  %at = mul i64 %j, %n
  %re_col = getelementptr {T}, ptr %vr, i64 %at
  %is_real = fcmp oeq {T} %im, 0.0
  br i1 %is_real, label %real, label %pair
real:
  call void @put_column_{tag}(ptr %v, i64 %n, i64 %j, ptr %re_col, ptr null, {T} 1.0)
  %j1 = add i64 %j, 1
  br label %next
pair:
  %im_col = getelementptr {T}, ptr %re_col, i64 %n
  %j_conj = add i64 %j, 1
  call void @put_column_{tag}(ptr %v, i64 %n, i64 %j, ptr %re_col, ptr %im_col, {T} 1.0)
  call void @put_column_{tag}(ptr %v, i64 %n, i64 %j_conj, ptr %re_col, ptr %im_col, {T} -1.0)
  %j2 = add i64 %j, 2
  br label %next
next:
  %j_next = phi i64 [%j1, %real], [%j2, %pair]
  br label %vectors
cleanup:
  %work_f = load ptr, ptr %work_slot
  call void @free4(ptr %work_f, ptr %col, ptr %vr, ptr null)
  call void @free4(ptr %wr, ptr %wi, ptr null, ptr null)
  br label %done
done:
  ret void
}}

; numpy.linalg.lstsq of a (m x n) and b (m x nrhs), both row-major and read only (gelsd, rcond as given:
; negative = machine precision): x (n x nrhs), s (min(m, n) singular values) and resid (nrhs: the squared
; residual norms when m > n and the rank is n, else 0); returns the rank
define i64 @{OWN}lstsq_{tag}(i64 %m, i64 %n, i64 %nrhs, ptr %a, ptr %b, {T} %rcond, ptr %x, ptr %s, ptr %resid) {{
entry:
  %mm = alloca {I}
  %nn = alloca {I}
  %kk = alloca {I}
  %lda = alloca {I}
  %ldb = alloca {I}
  %rank = alloca {I}
  %lwork = alloca {I}
  %liwork = alloca {I}
  %info = alloca {I}
  %rc = alloca {T}
  %wq = alloca {T}
  %iwq = alloca {I}
  %work_slot = alloca ptr
  %iwork_slot = alloca ptr
  store ptr null, ptr %work_slot
  store ptr null, ptr %iwork_slot
  %r_bytes = mul i64 %nrhs, {4 if T == "float" else 8}
  call void @llvm.memset.p0.i64(ptr %resid, i8 0, i64 %r_bytes, i1 0)
  %m0 = icmp eq i64 %m, 0
  %n0 = icmp eq i64 %n, 0
  %empty = or i1 %m0, %n0
  br i1 %empty, label %degenerate, label %start
degenerate:
  ; rank 0, x = 0; with no unknowns the residuals are |b|^2
  %x_cells = mul i64 %n, %nrhs
  %x_bytes = mul i64 %x_cells, {4 if T == "float" else 8}
  call void @llvm.memset.p0.i64(ptr %x, i8 0, i64 %x_bytes, i1 0)
  br i1 %n0, label %b_norms, label %no_rank
b_norms:
  %j_b = phi i64 [0, %degenerate], [%j_b1, %b_norm]
  %more_b = icmp slt i64 %j_b, %nrhs
  br i1 %more_b, label %b_norm, label %no_rank
b_norm:
  %b_j = getelementptr {T}, ptr %b, i64 %j_b
  %nb = call {T} @sumsq_{tag}(ptr %b_j, i64 %m, i64 %nrhs)
  %rb = getelementptr {T}, ptr %resid, i64 %j_b
  store {T} %nb, ptr %rb
  %j_b1 = add i64 %j_b, 1
  br label %b_norms
no_rank:
  ret i64 0
start:
  ; lapack cannot take nrhs = 0: one zero column then
  %k0 = icmp eq i64 %nrhs, 0
  %cols = select i1 %k0, i64 1, i64 %nrhs
  %m_big = icmp sgt i64 %m, %n
  %ld = select i1 %m_big, i64 %m, i64 %n
  %a_cells = mul i64 %m, %n
  %b_cells = mul i64 %ld, %cols
  %acol = call ptr @elements_{tag}(i64 %a_cells)
  %bcol = call ptr @elements_{tag}(i64 %b_cells)
  %have = call i1 @allocated(ptr %acol, ptr %bcol, ptr %acol, ptr %acol)
  br i1 %have, label %query, label %cleanup
query:
  call void @transpose_{tag}(ptr %acol, ptr %a, i64 %m, i64 %n)
  call void @copy2d_{tag}(ptr %bcol, i64 1, i64 %ld, ptr %b, i64 %nrhs, i64 1, i64 %m, i64 %nrhs)
  call void @put_int(ptr %mm, i64 %m)
  call void @put_int(ptr %nn, i64 %n)
  call void @put_int(ptr %kk, i64 %cols)
  call void @put_int(ptr %lda, i64 %m)
  call void @put_int(ptr %ldb, i64 %ld)
  store {T} %rcond, ptr %rc
  call void @put_int(ptr %lwork, i64 -1)
  call void @{RAW}{p}gelsd(ptr %mm, ptr %nn, ptr %kk, ptr %acol, ptr %lda, ptr %bcol, ptr %ldb, ptr %s, ptr %rc, ptr %rank, ptr %wq, ptr %lwork, ptr %iwq, ptr %info)
  %work = call ptr @workspace_{tag}(ptr %wq, ptr %lwork)
  store ptr %work, ptr %work_slot
  %iwork = call ptr @int_workspace(ptr %iwq, ptr %liwork)
  store ptr %iwork, ptr %iwork_slot
  %have_work = call i1 @allocated(ptr %work, ptr %iwork, ptr %work, ptr %work)
  br i1 %have_work, label %solve, label %cleanup
solve:
  call void @{RAW}{p}gelsd(ptr %mm, ptr %nn, ptr %kk, ptr %acol, ptr %lda, ptr %bcol, ptr %ldb, ptr %s, ptr %rc, ptr %rank, ptr %work, ptr %lwork, ptr %iwork, ptr %info)
  %failed = call i1 @failed(ptr %info, i32 {LSTSQ})
  br i1 %failed, label %cleanup, label %results
results:
  call void @copy2d_{tag}(ptr %x, i64 %nrhs, i64 1, ptr %bcol, i64 1, i64 %ld, i64 %n, i64 %nrhs)
  %r = load {I}, ptr %rank
  %r64 = {_ints(I)[3]} {I} %r to i64
  %full = icmp eq i64 %r64, %n
  %residuals = and i1 %full, %m_big
  br i1 %residuals, label %norms, label %cleanup
norms:
  %j = phi i64 [0, %results], [%j1, %norm]
  %more = icmp slt i64 %j, %nrhs
  br i1 %more, label %norm, label %cleanup
norm:
  %at = mul i64 %j, %ld
  %below = add i64 %at, %n
  %tail = getelementptr {T}, ptr %bcol, i64 %below
  %excess = sub i64 %m, %n
  %sq = call {T} @sumsq_{tag}(ptr %tail, i64 %excess, i64 1)
  %rj = getelementptr {T}, ptr %resid, i64 %j
  store {T} %sq, ptr %rj
  %j1 = add i64 %j, 1
  br label %norms
cleanup:
  %ran = phi i1 [0, %start], [1, %query], [1, %solve], [1, %results], [1, %norms]
  %work_f = load ptr, ptr %work_slot
  %iwork_f = load ptr, ptr %iwork_slot
  call void @free4(ptr %work_f, ptr %iwork_f, ptr %acol, ptr %bcol)
  %found = load {I}, ptr %rank
  %found64 = {_ints(I)[3]} {I} %found to i64
  %rank_out = select i1 %ran, i64 %found64, i64 0
  ret i64 %rank_out
}}
"""


#: scipy's Pade structure constants (Al-Mohy and Higham 2009): theta_m, and the backward-error coefficients
#: of degrees 3, 5, 7, 9, 13 for single and double precision (scipy's _matfuncs_expm tables)
_THETA = (1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001, 2.097847961257068e+000, 4.25)
_ELL = {"f32": (6.0081481933593750e-03, 5.9956512451171875e+02, 2.6750196800000000e+08, 3.5252480874905600e+14,
                6.7502722515508048e+27),
        "f64": (1.1191048088221578e-11, 1.1167770708198077e-06, 4.9826124310493469e-01, 6.5662862500000000e+05,
                1.2573361865339437e+19)}
#: the Pade numerator coefficients b_0 .. b_m (b_m = 1) of each degree
_PADE = {3: (120., 60., 12., 1.), 5: (30240., 15120., 3360., 420., 30., 1.),
         7: (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.),
         9: (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880., 3960., 90., 1.),
         13: (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
              10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)}


def _const(value: float, T: str) -> str:
    """An LLVM literal of type T (hex: a float literal must be exact)."""
    v = float(np.float32(value)) if T == "float" else float(value)
    return "0x" + struct.pack(">d", v).hex().upper()


def _expm_ir(T: str, p: str, tag: str, I: str) -> str:
    """expm (scipy's scaling and squaring with Pade approximants: gemm, gemv, gesv) for one element type."""
    size = 4 if T == "float" else 8
    ft = "f32" if T == "float" else "f64"
    c = lambda v: _const(v, T)  # noqa: E731
    d = lambda v: _const(v, "double")  # noqa: E731
    theta, ell = _THETA, _ELL[tag]

    def comb(dst: str, terms: list[tuple[float, str]], eye: float) -> str:
        """dst = sum of coefficient * matrix (at most four) + eye * I."""
        terms = terms + [(0.0, "%p0")] * (4 - len(terms))
        args = ", ".join(f"{T} {c(k)}, ptr {m}" for k, m in terms)
        return f"  call void @comb_{tag}(i64 %n, ptr {dst}, {args}, {T} {c(eye)})\n"

    def pade(m: int) -> str:
        b = _PADE[m]
        powers = ["%p1", "%p2", "%p3", "%p4"]  # A^2, A^4, A^6, A^8
        if m == 13:  # U = A (A6 (A6 + b11 A4 + b9 A2) + b7 A6 + b5 A4 + b3 A2 + b1 I), V likewise
            return (comb("%p4", [(b[12], "%p3"), (b[10], "%p2"), (b[8], "%p1")], 0.0)
                    + comb("%p5", [(1.0, "%p3"), (b[11], "%p2"), (b[9], "%p1")], 0.0)
                    + comb("%p7", [(b[7], "%p3"), (b[5], "%p2"), (b[3], "%p1")], b[1])
                    + comb("%p1", [(b[6], "%p3"), (b[4], "%p2"), (b[2], "%p1")], b[0])
                    + f"  call void @mm_{tag}(i64 %n, ptr %p4, ptr %p3, ptr %p1, {T} 1.0)\n"
                    + f"  call void @mm_{tag}(i64 %n, ptr %p5, ptr %p3, ptr %p7, {T} 1.0)\n"
                    + f"  call void @mm_{tag}(i64 %n, ptr %p0, ptr %p7, ptr %p6, {T} 0.0)\n")
        k = (m - 1) // 2  # powers A^2 .. A^(m-1)
        odd = [(b[2 * j + 1], powers[j - 1]) for j in range(k, 0, -1)]
        even = [(b[2 * j], powers[j - 1]) for j in range(k, 0, -1)]
        return (comb("%p5", odd, b[1]) + f"  call void @mm_{tag}(i64 %n, ptr %p0, ptr %p5, ptr %p6, {T} 0.0)\n"
                + comb("%p1", even, b[0]))

    def degree(m: int, eta: str, ell_m: float, spins: int, theta_m: float, otherwise: str) -> str:
        """Spin |A| `spins` more times (|A|^(2m+1) 1 in %y); Pade degree m when eta < theta_m and
        max(0, ceil(log2(max(|A|^(2m+1) 1) / normA / ell_m) / 2m)) is 0 (no scaling needed), else `otherwise`."""
        return f"""  call void @spin_{tag}(i64 %n, ptr %p7, ptr %y, ptr %y2, i64 {spins})
  %top{m} = call {T} @vmax_{tag}(ptr %y, i64 %n)
  %wide{m} = call double @wide_{tag}({T} %top{m})
  %ratio{m} = fdiv double %wide{m}, %normA
  %r{m} = fdiv double %ratio{m}, {d(ell_m)}
  %lg{m} = call double @llvm.log2.f64(double %r{m})
  %q{m} = fdiv double %lg{m}, {d(2 * m)}
  %lm{m} = call i64 @count_up(double %q{m})
  %small{m} = fcmp olt double {eta}, {d(theta_m)}
  %zero{m} = icmp eq i64 %lm{m}, 0
  %is{m} = and i1 %small{m}, %zero{m}
  br i1 %is{m}, label %pade{m}, label %{otherwise}
"""

    return f"""
define internal double @wide_{tag}({T} %x) alwaysinline {{
entry:
  {'%w = fpext float %x to double' if T == 'float' else '%w = fadd double %x, 0.0'}
  ret double %w
}}

define internal void @abs_{tag}(ptr %dst, ptr %src, i64 %count) noinline {{
entry:
  br label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %sp = getelementptr {T}, ptr %src, i64 %k
  %x = load {T}, ptr %sp
  %ax = call {T} @llvm.fabs.{ft}({T} %x)
  %dp = getelementptr {T}, ptr %dst, i64 %k
  store {T} %ax, ptr %dp
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %done
done:
  ret void
}}

define internal void @fill_{tag}(ptr %dst, i64 %count, {T} %v) noinline {{
entry:
  br label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %dp = getelementptr {T}, ptr %dst, i64 %k
  store {T} %v, ptr %dp
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %done
done:
  ret void
}}

define internal void @scale_{tag}(ptr %dst, i64 %count, double %f) noinline {{
entry:
  {'%ft = fptrunc double %f to float' if T == 'float' else '%ft = fadd double %f, 0.0'}
  br label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %dp = getelementptr {T}, ptr %dst, i64 %k
  %x = load {T}, ptr %dp
  %y = fmul {T} %x, %ft
  store {T} %y, ptr %dp
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %done
done:
  ret void
}}

; 3: diagonal, 1: lower triangular (nothing above the diagonal), 2: upper triangular, 0: neither
define internal i32 @band_{tag}(i64 %n, ptr %a) noinline {{
entry:
  %total = mul i64 %n, %n
  br label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %above = phi i1 [0, %entry], [%above1, %loop]
  %below = phi i1 [0, %entry], [%below1, %loop]
  %row = udiv i64 %k, %n
  %col = urem i64 %k, %n
  %xp = getelementptr {T}, ptr %a, i64 %k
  %x = load {T}, ptr %xp
  %nz = fcmp une {T} %x, 0.0
  %is_above = icmp sgt i64 %col, %row
  %is_below = icmp slt i64 %col, %row
  %na = and i1 %nz, %is_above
  %nb = and i1 %nz, %is_below
  %above1 = or i1 %above, %na
  %below1 = or i1 %below, %nb
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %total
  br i1 %more, label %loop, label %done
done:
  %lo = select i1 %above1, i32 0, i32 1
  %up = select i1 %below1, i32 0, i32 2
  %code = or i32 %lo, %up
  ret i32 %code
}}

; for a triangular a (band 1 lower, 2 upper) and `on`: x's diagonal = exp(diag(a) / 2^i) and, with
; `off`, its first sub- (lower) or super-diagonal (upper) = (e^y - e^x) / (y - x) * a[k][k+-1] / 2^i for
; x, y = a's consecutive diagonal entries / 2^i (e^x where they are equal: scipy's _exp_sinch)
define internal void @refine_{tag}(i64 %n, ptr %x, ptr %a, i64 %i, i32 %band, i1 %on, i1 %off) noinline {{
entry:
  br i1 %on, label %start, label %done
start:
  %if = sitofp i64 %i to double
  %neg = fneg double %if
  %f = call double @llvm.exp2.f64(double %neg)
  %lower = icmp eq i32 %band, 1
  br label %loop
loop:
  %k = phi i64 [0, %start], [%k1, %next]
  %row = mul i64 %k, %n
  %kk = add i64 %row, %k
  %ap = getelementptr {T}, ptr %a, i64 %kk
  %av = load {T}, ptr %ap
  %ad = call double @wide_{tag}({T} %av)
  %x0 = fmul double %ad, %f
  %e0 = call double @llvm.exp.f64(double %x0)
  %xp = getelementptr {T}, ptr %x, i64 %kk
  {'%e0t = fptrunc double %e0 to float' if T == 'float' else '%e0t = fadd double %e0, 0.0'}
  store {T} %e0t, ptr %xp
  %k1 = add i64 %k, 1
  %inside = icmp slt i64 %k1, %n
  %sd = and i1 %inside, %off
  br i1 %sd, label %offdiag, label %next
offdiag:
  %row1 = mul i64 %k1, %n
  %kk1 = add i64 %row1, %k1
  %bp = getelementptr {T}, ptr %a, i64 %kk1
  %bv = load {T}, ptr %bp
  %bd = call double @wide_{tag}({T} %bv)
  %x1 = fmul double %bd, %f
  %e1 = call double @llvm.exp.f64(double %x1)
  %de = fsub double %e1, %e0
  %dx = fsub double %x1, %x0
  %q = fdiv double %de, %dx
  %same = fcmp oeq double %dx, 0.0
  %sinch = select i1 %same, double %e0, double %q
  %below = add i64 %row1, %k
  %above = add i64 %row, %k1
  %at = select i1 %lower, i64 %below, i64 %above
  %sp = getelementptr {T}, ptr %a, i64 %at
  %sv = load {T}, ptr %sp
  %sw = call double @wide_{tag}({T} %sv)
  %ss = fmul double %sw, %f
  %v = fmul double %sinch, %ss
  {'%vt = fptrunc double %v to float' if T == 'float' else '%vt = fadd double %v, 0.0'}
  %dst = getelementptr {T}, ptr %x, i64 %at
  store {T} %vt, ptr %dst
  br label %next
next:
  %more = icmp slt i64 %k1, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}}

; zero the triangle a triangular input (band 1 or 2) has zero
define internal void @keep_triangle_{tag}(i64 %n, ptr %a, i32 %band) noinline {{
entry:
  %total = mul i64 %n, %n
  %lower = icmp eq i32 %band, 1
  %upper = icmp eq i32 %band, 2
  %any = or i1 %lower, %upper
  br i1 %any, label %loop, label %done
loop:
  %k = phi i64 [0, %entry], [%k1, %next]
  %row = udiv i64 %k, %n
  %col = urem i64 %k, %n
  %is_above = icmp sgt i64 %col, %row
  %is_below = icmp slt i64 %col, %row
  %za = and i1 %lower, %is_above
  %zb = and i1 %upper, %is_below
  %z = or i1 %za, %zb
  br i1 %z, label %zero, label %next
zero:
  %xp = getelementptr {T}, ptr %a, i64 %k
  store {T} 0.0, ptr %xp
  br label %next
next:
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %total
  br i1 %more, label %loop, label %done
done:
  ret void
}}

; dst = c4 x4 + c3 x3 + c2 x2 + c1 x1 + c0 I (n x n, elementwise: dst may be one of the x)
define internal void @comb_{tag}(i64 %n, ptr %dst, {T} %c4, ptr %x4, {T} %c3, ptr %x3, {T} %c2, ptr %x2, {T} %c1, ptr %x1, {T} %c0) noinline {{
entry:
  br label %rows
rows:
  %i = phi i64 [0, %entry], [%i1, %row_done]
  %at = mul i64 %i, %n
  br label %loop
loop:
  %j = phi i64 [0, %rows], [%j1, %loop]
  %k = add i64 %at, %j
  %p4 = getelementptr {T}, ptr %x4, i64 %k
  %p3 = getelementptr {T}, ptr %x3, i64 %k
  %p2 = getelementptr {T}, ptr %x2, i64 %k
  %p1 = getelementptr {T}, ptr %x1, i64 %k
  %v4 = load {T}, ptr %p4
  %v3 = load {T}, ptr %p3
  %v2 = load {T}, ptr %p2
  %v1 = load {T}, ptr %p1
  %t4 = fmul {T} %c4, %v4
  %t3 = fmul {T} %c3, %v3
  %t2 = fmul {T} %c2, %v2
  %t1 = fmul {T} %c1, %v1
  %s43 = fadd {T} %t4, %t3
  %s2 = fadd {T} %s43, %t2
  %s1 = fadd {T} %s2, %t1
  %on = icmp eq i64 %i, %j
  %e = select i1 %on, {T} %c0, {T} 0.0
  %v = fadd {T} %s1, %e
  %dp = getelementptr {T}, ptr %dst, i64 %k
  store {T} %v, ptr %dp
  %j1 = add i64 %j, 1
  %more = icmp slt i64 %j1, %n
  br i1 %more, label %loop, label %row_done
row_done:
  %i1 = add i64 %i, 1
  %more_i = icmp slt i64 %i1, %n
  br i1 %more_i, label %rows, label %done
done:
  ret void
}}

; c = a b + beta c (row-major n x n: the column-major product b^T a^T)
define internal void @mm_{tag}(i64 %n, ptr %a, ptr %b, ptr %c, {T} %beta) noinline {{
entry:
  %nn = alloca {I}
  %tr = alloca i8
  %one = alloca {T}
  %bt = alloca {T}
  call void @put_int(ptr %nn, i64 %n)
  store i8 78, ptr %tr
  store {T} 1.0, ptr %one
  store {T} %beta, ptr %bt
  call void @{RAW}{p}gemm(ptr %tr, ptr %tr, ptr %nn, ptr %nn, ptr %nn, ptr %one, ptr %b, ptr %nn, ptr %a, ptr %nn, ptr %bt, ptr %c, ptr %nn)
  ret void
}}

; y = |A| x, count times over (x, y alternating through tmp: y holds the last); |A| row-major n x n
define internal void @spin_{tag}(i64 %n, ptr %absa, ptr %y, ptr %tmp, i64 %count) noinline {{
entry:
  %nn = alloca {I}
  %inc = alloca {I}
  %tr = alloca i8
  %one = alloca {T}
  %zero = alloca {T}
  call void @put_int(ptr %nn, i64 %n)
  call void @put_int(ptr %inc, i64 1)
  store i8 84, ptr %tr
  store {T} 1.0, ptr %one
  store {T} 0.0, ptr %zero
  %bytes = mul i64 %n, {size}
  br label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  call void @{RAW}{p}gemv(ptr %tr, ptr %nn, ptr %nn, ptr %one, ptr %absa, ptr %nn, ptr %y, ptr %inc, ptr %zero, ptr %tmp, ptr %inc)
  call void @llvm.memcpy.p0.p0.i64(ptr %y, ptr %tmp, i64 %bytes, i1 0)
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %done
done:
  ret void
}}

define internal {T} @vmax_{tag}(ptr %p, i64 %count) noinline {{
entry:
  br label %loop
loop:
  %k = phi i64 [0, %entry], [%k1, %loop]
  %acc = phi {T} [0.0, %entry], [%acc1, %loop]
  %xp = getelementptr {T}, ptr %p, i64 %k
  %x = load {T}, ptr %xp
  %acc1 = call {T} @llvm.maxnum.{ft}({T} %acc, {T} %x)
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %count
  br i1 %more, label %loop, label %done
done:
  ret {T} %acc1
}}

; the 1-norm (largest column sum of |a|) of the row-major n x n a, in double
define internal double @norm1_{tag}(i64 %n, ptr %a) noinline {{
entry:
  br label %cols
cols:
  %j = phi i64 [0, %entry], [%j1, %col_done]
  %best = phi double [0.0, %entry], [%best1, %col_done]
  br label %rows
rows:
  %i = phi i64 [0, %cols], [%i1, %rows]
  %acc = phi double [0.0, %cols], [%acc1, %rows]
  %at = mul i64 %i, %n
  %ij = add i64 %at, %j
  %xp = getelementptr {T}, ptr %a, i64 %ij
  %x = load {T}, ptr %xp
  %ax = call {T} @llvm.fabs.{ft}({T} %x)
  %axd = call double @wide_{tag}({T} %ax)
  %acc1 = fadd double %acc, %axd
  %i1 = add i64 %i, 1
  %more_i = icmp slt i64 %i1, %n
  br i1 %more_i, label %rows, label %col_done
col_done:
  %best1 = call double @llvm.maxnum.f64(double %best, double %acc1)
  %j1 = add i64 %j, 1
  %more_j = icmp slt i64 %j1, %n
  br i1 %more_j, label %cols, label %done
done:
  ret double %best1
}}

; a = expm(a) (row-major n x n, in place): scipy.linalg.expm's algorithm (Al-Mohy and Higham 2009):
; a diagonal matrix: exp of the diagonal; else the Pade degree m in 3, 5, 7, 9, 13 and the scaling s
; from 1-norms of powers of A and of |A|, U and V from the powers, (V - U) X = V + U by gesv, X squared s
; times; a triangular input keeps its zero triangle
define void @{OWN}expm_{tag}(i64 %n, ptr %a) {{
entry:
  %ipiv_slot = alloca ptr
  %nn = alloca {I}
  %info = alloca {I}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %shape
shape:
  %band = call i32 @band_{tag}(i64 %n, ptr %a)
  %diagonal = icmp eq i32 %band, 3
  br i1 %diagonal, label %diag_loop, label %start
diag_loop:
  %dk = phi i64 [0, %shape], [%dk1, %diag_loop]
  %drow = mul i64 %dk, %n
  %dkk = add i64 %drow, %dk
  %dp = getelementptr {T}, ptr %a, i64 %dkk
  %dv = load {T}, ptr %dp
  %de = call {T} @llvm.exp.{ft}({T} %dv)
  store {T} %de, ptr %dp
  %dk1 = add i64 %dk, 1
  %dmore = icmp slt i64 %dk1, %n
  br i1 %dmore, label %diag_loop, label %done
start:
  %n2 = mul i64 %n, %n
  %cells8 = mul i64 %n2, 8
  %twon = mul i64 %n, 2
  %cells = add i64 %cells8, %twon
  %p0 = call ptr @elements_{tag}(i64 %cells)
  %ipiv = call ptr @lapack_ints(i64 %n)
  %have = call i1 @allocated(ptr %p0, ptr %ipiv, ptr %p0, ptr %p0)
  br i1 %have, label %powers, label %cleanup
powers:
  %p1 = getelementptr {T}, ptr %p0, i64 %n2
  %p2 = getelementptr {T}, ptr %p1, i64 %n2
  %p3 = getelementptr {T}, ptr %p2, i64 %n2
  %p4 = getelementptr {T}, ptr %p3, i64 %n2
  %p5 = getelementptr {T}, ptr %p4, i64 %n2
  %p6 = getelementptr {T}, ptr %p5, i64 %n2
  %p7 = getelementptr {T}, ptr %p6, i64 %n2
  %y = getelementptr {T}, ptr %p7, i64 %n2
  %y2 = getelementptr {T}, ptr %y, i64 %n
  %bytes = mul i64 %n2, {size}
  %bytes_n = mul i64 %n, {size}
  call void @llvm.memcpy.p0.p0.i64(ptr %p0, ptr %a, i64 %bytes, i1 0)
  call void @abs_{tag}(ptr %p7, ptr %a, i64 %n2)
  call void @fill_{tag}(ptr %y2, i64 %n, {T} 1.0)
  ; normA = max(|A| 1) (scipy's first spin), A^2, A^4, A^6, d4, d6
  call void @spin_{tag}(i64 %n, ptr %p7, ptr %y2, ptr %y, i64 1)
  %top0 = call {T} @vmax_{tag}(ptr %y2, i64 %n)
  call void @llvm.memcpy.p0.p0.i64(ptr %y, ptr %y2, i64 %bytes_n, i1 0)
  %normA = call double @wide_{tag}({T} %top0)
  call void @mm_{tag}(i64 %n, ptr %p0, ptr %p0, ptr %p1, {T} 0.0)
  call void @mm_{tag}(i64 %n, ptr %p1, ptr %p1, ptr %p2, {T} 0.0)
  call void @mm_{tag}(i64 %n, ptr %p2, ptr %p1, ptr %p3, {T} 0.0)
  %n4 = call double @norm1_{tag}(i64 %n, ptr %p2)
  %n6 = call double @norm1_{tag}(i64 %n, ptr %p3)
  %d4 = call double @llvm.pow.f64(double %n4, double 0.25)
  %d6 = call double @llvm.pow.f64(double %n6, double {d(1.0 / 6.0)})
  %eta0 = call double @llvm.maxnum.f64(double %d4, double %d6)
{degree(3, "%eta0", ell[0], 6, theta[0], "try5")}try5:
{degree(5, "%eta0", ell[1], 4, theta[1], "try7")}try7:
  call void @mm_{tag}(i64 %n, ptr %p2, ptr %p2, ptr %p4, {T} 0.0)
  %n8 = call double @norm1_{tag}(i64 %n, ptr %p4)
  %d8 = call double @llvm.pow.f64(double %n8, double 0.125)
  %eta2 = call double @llvm.maxnum.f64(double %d6, double %d8)
{degree(7, "%eta2", ell[2], 4, theta[2], "try9")}try9:
{degree(9, "%eta2", ell[3], 4, theta[3], "try13")}try13:
  ; A^10 = A^6 A^4 (in the A^8 slot, free from here), s from eta4, then the |A|^27 check on A / 2^s
  call void @mm_{tag}(i64 %n, ptr %p3, ptr %p2, ptr %p4, {T} 0.0)
  %n10 = call double @norm1_{tag}(i64 %n, ptr %p4)
  %d10 = call double @llvm.pow.f64(double %n10, double 0.1)
  %eta3 = call double @llvm.maxnum.f64(double %d8, double %d10)
  %eta4 = call double @llvm.minnum.f64(double %eta2, double %eta3)
  %e4 = fdiv double %eta4, {d(theta[4])}
  %lg_s = call double @llvm.log2.f64(double %e4)
  %s0 = call i64 @count_up(double %lg_s)
  %s0f = sitofp i64 %s0 to double
  %neg_s0 = fneg double %s0f
  %down = call double @llvm.exp2.f64(double %neg_s0)
  %down19f = fmul double %neg_s0, 19.0
  %down19 = call double @llvm.exp2.f64(double %down19f)
  call void @scale_{tag}(ptr %p7, i64 %n2, double %down)
  call void @scale_{tag}(ptr %y, i64 %n, double %down19)
  %normA13 = fmul double %normA, %down
  call void @spin_{tag}(i64 %n, ptr %p7, ptr %y, ptr %y2, i64 8)
  %top13 = call {T} @vmax_{tag}(ptr %y, i64 %n)
  %wide13 = call double @wide_{tag}({T} %top13)
  %ratio13 = fdiv double %wide13, %normA13
  %r13 = fdiv double %ratio13, {d(ell[4])}
  %lg13 = call double @llvm.log2.f64(double %r13)
  %q13 = fdiv double %lg13, 26.0
  %lm13 = call i64 @count_up(double %q13)
  %s = add i64 %s0, %lm13
  %sf = sitofp i64 %s to double
  %neg_s = fneg double %sf
  %s1 = call double @llvm.exp2.f64(double %neg_s)
  %neg_2s = fmul double %neg_s, 2.0
  %s2 = call double @llvm.exp2.f64(double %neg_2s)
  %neg_4s = fmul double %neg_s, 4.0
  %s4 = call double @llvm.exp2.f64(double %neg_4s)
  %neg_6s = fmul double %neg_s, 6.0
  %s6 = call double @llvm.exp2.f64(double %neg_6s)
  call void @scale_{tag}(ptr %p0, i64 %n2, double %s1)
  call void @scale_{tag}(ptr %p1, i64 %n2, double %s2)
  call void @scale_{tag}(ptr %p2, i64 %n2, double %s4)
  call void @scale_{tag}(ptr %p3, i64 %n2, double %s6)
  br label %pade13
pade3:
{pade(3)}  br label %solve
pade5:
{pade(5)}  br label %solve
pade7:
{pade(7)}  br label %solve
pade9:
{pade(9)}  br label %solve
pade13:
{pade(13)}  br label %solve
solve:
  %squarings = phi i64 [0, %pade3], [0, %pade5], [0, %pade7], [0, %pade9], [%s, %pade13]
  ; X = (V - U)^-1 (V + U) = 2 (V - U)^-1 U + I; U and V commute, so row-major X (V - U) = U: the
  ; column-major system (V - U)^T X^T = U^T, as stored
{comb("%p1", [(1.0, "%p1"), (-1.0, "%p6")], 0.0)}  call void @put_int(ptr %nn, i64 %n)
  call void @{RAW}{p}gesv(ptr %nn, ptr %nn, ptr %p1, ptr %nn, ptr %ipiv, ptr %p6, ptr %nn, ptr %info)
  %singular = call i1 @failed(ptr %info, i32 {SOLVE})
  br i1 %singular, label %cleanup, label %unit
unit:
{comb("%p6", [(2.0, "%p6")], 1.0)}  ; a triangular A: the diagonal and the first off-diagonal exactly at each scale (scipy's
  ; Code Fragment 2.1 of Al-Mohy and Higham)
  %triangular = icmp ne i32 %band, 0
  %scaled = icmp sgt i64 %squarings, 0
  %refine = and i1 %triangular, %scaled
  call void @refine_{tag}(i64 %n, ptr %p6, ptr %a, i64 %squarings, i32 %band, i1 %refine, i1 0)
  br label %square
square:
  %k = phi i64 [0, %unit], [%k1, %squared]
  %x = phi ptr [%p6, %unit], [%other, %squared]
  %other = phi ptr [%p5, %unit], [%x, %squared]
  %more = icmp slt i64 %k, %squarings
  br i1 %more, label %squared, label %result
squared:
  call void @mm_{tag}(i64 %n, ptr %x, ptr %x, ptr %other, {T} 0.0)
  %k1 = add i64 %k, 1
  %scale_left = sub i64 %squarings, %k1
  call void @refine_{tag}(i64 %n, ptr %other, ptr %a, i64 %scale_left, i32 %band, i1 %refine, i1 1)
  br label %square
result:
  call void @llvm.memcpy.p0.p0.i64(ptr %a, ptr %x, i64 %bytes, i1 0)
  call void @keep_triangle_{tag}(i64 %n, ptr %a, i32 %band)
  br label %cleanup
cleanup:
  call void @free(ptr %p0)
  call void @free(ptr %ipiv)
  br label %done
done:
  ret void
}}
"""


def _complex_ir(I: str) -> str:
    """eig of a complex128 matrix (zgeev): complex elements are pairs of doubles (numpy's layout)."""
    return f"""
declare void @{RAW}zgeev({', '.join(['ptr'] * 14)})

; a row-major n x n complex matrix to column-major (or back): the real and the imaginary parts as two
; strided real copies
define internal void @transpose_c128(ptr %dst, ptr %src, i64 %n) noinline {{
entry:
  %two_n = mul i64 %n, 2
  call void @copy2d_f64(ptr %dst, i64 2, i64 %two_n, ptr %src, i64 %two_n, i64 2, i64 %n, i64 %n)
  %dst_im = getelementptr double, ptr %dst, i64 1
  %src_im = getelementptr double, ptr %src, i64 1
  call void @copy2d_f64(ptr %dst_im, i64 2, i64 %two_n, ptr %src_im, i64 %two_n, i64 2, i64 %n, i64 %n)
  ret void
}}

; w (n) and v (n x n, row-major: the right eigenvectors as columns) of the complex a (n x n, row-major,
; read only): numpy.linalg.eig's results (zgeev on the column-major copy)
define void @{OWN}eig_c128(i64 %n, ptr %a, ptr %w, ptr %v) {{
entry:
  %jobvl = alloca i8
  %jobvr = alloca i8
  %nn = alloca {I}
  %one = alloca {I}
  %lwork = alloca {I}
  %info = alloca {I}
  %wq = alloca [2 x double]
  %work_slot = alloca ptr
  store ptr null, ptr %work_slot
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %check
check:
  %total = mul i64 %n, %n
  %reals = mul i64 %total, 2
  %finite = call i1 @all_finite_f64(ptr %a, i64 %reals)
  br i1 %finite, label %start, label %not_finite
not_finite:
  call void @mlc_linalg_failed(i32 {NOT_FINITE}, i32 0)
  br label %done
start:
  %col = call ptr @elements_f64(i64 %reals)
  %vr = call ptr @elements_f64(i64 %reals)
  %rwork = call ptr @elements_f64(i64 %reals)
  %have = call i1 @allocated(ptr %col, ptr %vr, ptr %rwork, ptr %col)
  br i1 %have, label %query, label %cleanup
query:
  store i8 78, ptr %jobvl
  store i8 86, ptr %jobvr
  call void @put_int(ptr %nn, i64 %n)
  call void @put_int(ptr %one, i64 1)
  call void @transpose_c128(ptr %col, ptr %a, i64 %n)
  call void @put_int(ptr %lwork, i64 -1)
  call void @{RAW}zgeev(ptr %jobvl, ptr %jobvr, ptr %nn, ptr %col, ptr %nn, ptr %w, ptr %vr, ptr %one, ptr %vr, ptr %nn, ptr %wq, ptr %lwork, ptr %rwork, ptr %info)
  %query_words = call ptr @workspace_f64(ptr %wq, ptr %lwork)
  call void @free(ptr %query_words)
  %lw = load {I}, ptr %lwork
  %lw64 = {_ints(I)[3]} {I} %lw to i64
  %lw2 = mul i64 %lw64, 2
  %work = call ptr @elements_f64(i64 %lw2)
  store ptr %work, ptr %work_slot
  %no_work = icmp eq ptr %work, null
  br i1 %no_work, label %cleanup, label %call
call:
  call void @{RAW}zgeev(ptr %jobvl, ptr %jobvr, ptr %nn, ptr %col, ptr %nn, ptr %w, ptr %vr, ptr %one, ptr %vr, ptr %nn, ptr %work, ptr %lwork, ptr %rwork, ptr %info)
  %failed = call i1 @failed(ptr %info, i32 {EIGH})
  br i1 %failed, label %cleanup, label %vectors
vectors:
  call void @transpose_c128(ptr %v, ptr %vr, i64 %n)
  br label %cleanup
cleanup:
  %work_f = load ptr, ptr %work_slot
  call void @free4(ptr %work_f, ptr %col, ptr %vr, ptr %rwork)
  br label %done
done:
  ret void
}}
"""


def adapters_ir(I: str = "i32") -> str:
    """The adapters' LLVM IR for LAPACK integers of type `I` (i32: LP64, i64: ILP64)."""
    head = ("declare ptr @calloc(i64, i64)\ndeclare void @free(ptr)\ndeclare void @mlc_alloc_failed(i64)\n"
            "declare void @mlc_linalg_failed(i32, i32)\ndeclare void @llvm.memset.p0.i64(ptr, i8, i64, i1)\n"
            "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)\n"
            + "".join(f"declare double @llvm.{f}.f64({', '.join(['double'] * k)})\n"
                      for f, k in (("log2", 1), ("pow", 2), ("exp2", 1), ("ceil", 1), ("minnum", 2)))
            + "".join(f"declare {t} @llvm.{f}.{s}({', '.join([t] * k)})\n" for t, s in (("float", "f32"), ("double", "f64"))
                      for f, k in (("fabs", 1), ("exp", 1), ("maxnum", 2))))
    return head + _helpers_ir(I) + "".join(
        _declarations(p) + _elements_ir(T, tag, I) + _adapters_ir(T, p, tag, I) + _decompositions_ir(T, p, tag, I)
        + _general_ir(T, p, tag, I) + _expm_ir(T, p, tag, I) for T, p, tag in (("float", "s", "f32"), ("double", "d", "f64"))
    ) + _complex_ir(I)


ADAPTERS = tuple(f"mlc_lapack_{op}_{tag}" for op in ("cholesky", "solve", "inverse", "det", "eigh", "svd", "qr",
                                                       "eig", "lstsq", "expm")
                 for tag in ("f32", "f64")) + ("mlc_lapack_eig_c128",)


def _numpy_lapack() -> dict[str, int] | None:
    """routine -> address in numpy's OpenBLAS (ILP64, `scipy_<routine>_64_`), or None where numpy has none."""
    found = numpy_openblas_symbols([f"scipy_{p}{r}_64_" for p in "sd" for r in ROUTINES + BLAS_ROUTINES]
                                   + [f"scipy_{r}_64_" for r in COMPLEX_ROUTINES])
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
            blas = cython_capi("scipy.linalg.cython_blas")
            routines = {p + r: _capsule_pointer(capi[p + r]) for p in "sd" for r in ROUTINES}
            routines.update({p + r: _capsule_pointer(blas[p + r]) for p in "sd" for r in BLAS_ROUTINES})
            routines.update({r: _capsule_pointer(capi[r]) for r in COMPLEX_ROUTINES})
            int_type = "i32"
        for name, address in routines.items():
            llvm.add_symbol(f"{RAW}{name}", address)
        from mlc.runtime.cpu import compile_module

        _adapters = compile_module(adapters_ir(int_type), [])
        for name in ADAPTERS:
            llvm.add_symbol(name, _adapters.engine.get_function_address(OWN + name[len(PREFIX):]))
        _registered = True
