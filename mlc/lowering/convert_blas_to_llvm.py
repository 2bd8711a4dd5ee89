"""convert-blas-to-llvm: `blas.*` ops -> calls of the f77 BLAS routines.

Pre-condition: `blas` ops on identity-layout memrefs (any other dialects
may surround them). Post-condition: no `blas` ops; each became an
`llvm.call` of an internal wrapper (`@mlc_gemm_f32`, `@mlc_gemv_f64`,
`@mlc_dot_f32`, ...) whose operands are built with `arith`/`memref` ops and
`memref -> !llvm.ptr` casts, all of which `convert-to-llvm` lowers next
(the cast becomes the memref's data pointer).

The wrappers (llvm dialect, inserted once per module, inlined by LLVM)
own everything BLAS is picky about:

* **row-major via the swap trick**: a row-major M x N matrix is the
  column-major N x M matrix of its transpose, so C = op(A) op(B) is
  computed as the column-major C^T = op(B)^T op(A)^T, i.e.
  `?gemm(transb, transa, N, M, K, alpha, B, ldb, A, lda, beta, C, N)`;
* **degenerate sizes**: an empty output returns before any call (so no
  leading dimension can be 0), and an empty inner dimension (K = 0 for
  gemm, len(x) = 0 for gemv) computes `C = beta * C` in a loop: reference
  gemv's quick return would otherwise leave y unscaled. beta == 0 writes
  zeros without reading the output (BLAS semantics);
* **the f77 LP64 ABI** of `scipy.linalg.cython_blas`: every argument by
  pointer (stack slots in the wrapper's entry block), 32-bit sizes, `char*`
  flags. Sizes above 2^31 - 1 are not supported. `?dot` returns its value
  (scipy's C wrapper), so it is called directly.

The BLAS routines are the symbols `mlc_blas_<routine>`, which the CPU
runtime binds to scipy's (`mlc.runtime.blas_symbols`).
"""

from __future__ import annotations

from functools import cache

from xdsl.context import Context
from xdsl.dialects import arith, llvm, memref
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    Builtin,
    ComplexType,
    Float32Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    UnrealizedConversionCastOp,
    i1,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.parser import Parser
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from mlc.dialects import blas

PTR = llvm.LLVMPointerType()

# ---------------------------------------------------------------------------
# The wrappers, in the llvm dialect. {T}: the element's llvm type, {N}: its name (f32, f64, c64,
# c128), {P}: a complex element's part type, {p}: the BLAS prefix (s, d, c, z).
# ---------------------------------------------------------------------------

_SCALE = """
// c[0:total] = beta * c[0:total]; beta == 0 writes zeros without reading c.
llvm.func internal @mlc_scale_{N}(%c: !llvm.ptr, %total: i64, %beta: {T}) {{
  %zero_i = llvm.mlir.constant(0 : i64) : i64
  %one_i = llvm.mlir.constant(1 : i64) : i64
  %zero = llvm.mlir.constant(0.0 : {T}) : {T}
  %beta_is_zero = llvm.fcmp "oeq" %beta, %zero : {T}
  llvm.br ^loop(%zero_i : i64)
^loop(%i: i64):
  %more = llvm.icmp "slt" %i, %total : i64
  llvm.cond_br %more, ^body, ^done
^body:
  %p = llvm.getelementptr inbounds %c[%i] : (!llvm.ptr, i64) -> !llvm.ptr, {T}
  %old = llvm.load %p : !llvm.ptr -> {T}
  %scaled = llvm.fmul %beta, %old : {T}
  %new = llvm.select %beta_is_zero, %zero, %scaled : i1, {T}
  llvm.store %new, %p : {T}, !llvm.ptr
  %next = llvm.add %i, %one_i : i64
  llvm.br ^loop(%next : i64)
^done:
  llvm.return
}}
"""

_SCALE_COMPLEX = """
// c[0:total] = beta * c[0:total] on complex numbers ({T} = {{re, im}}); beta == 0 writes zeros.
llvm.func internal @mlc_scale_{N}(%c: !llvm.ptr, %total: i64, %beta: {T}) {{
  %zero_i = llvm.mlir.constant(0 : i64) : i64
  %one_i = llvm.mlir.constant(1 : i64) : i64
  %zero = llvm.mlir.constant(0.0 : {P}) : {P}
  %br = llvm.extractvalue %beta[0] : {T}
  %bi = llvm.extractvalue %beta[1] : {T}
  %br_zero = llvm.fcmp "oeq" %br, %zero : {P}
  %bi_zero = llvm.fcmp "oeq" %bi, %zero : {P}
  %beta_is_zero = llvm.and %br_zero, %bi_zero : i1
  %undef = llvm.mlir.undef : {T}
  llvm.br ^loop(%zero_i : i64)
^loop(%i: i64):
  %more = llvm.icmp "slt" %i, %total : i64
  llvm.cond_br %more, ^body, ^done
^body:
  %p = llvm.getelementptr inbounds %c[%i] : (!llvm.ptr, i64) -> !llvm.ptr, {T}
  %old = llvm.load %p : !llvm.ptr -> {T}
  %or = llvm.extractvalue %old[0] : {T}
  %oi = llvm.extractvalue %old[1] : {T}
  %rr = llvm.fmul %br, %or : {P}
  %ii = llvm.fmul %bi, %oi : {P}
  %ri = llvm.fmul %br, %oi : {P}
  %ir = llvm.fmul %bi, %or : {P}
  %re = llvm.fsub %rr, %ii : {P}
  %im = llvm.fadd %ri, %ir : {P}
  %new_re = llvm.select %beta_is_zero, %zero, %re : i1, {P}
  %new_im = llvm.select %beta_is_zero, %zero, %im : i1, {P}
  %with_re = llvm.insertvalue %new_re, %undef[0] : {T}
  %new = llvm.insertvalue %new_im, %with_re[1] : {T}
  llvm.store %new, %p : {T}, !llvm.ptr
  %next = llvm.add %i, %one_i : i64
  llvm.br ^loop(%next : i64)
^done:
  llvm.return
}}
"""

_GEMM = """
// Row-major C[m x n] = alpha * op(A)[m x k] @ op(B)[k x n] + beta * C.
llvm.func internal @mlc_gemm_{N}(%ta: i1, %tb: i1, %m: i64, %n: i64, %k: i64, %alpha: {T}, %a: !llvm.ptr, %b: !llvm.ptr, %beta: {T}, %c: !llvm.ptr) {{
  %one = llvm.mlir.constant(1 : i32) : i32
  %p_tra = llvm.alloca %one x i8 : (i32) -> !llvm.ptr
  %p_trb = llvm.alloca %one x i8 : (i32) -> !llvm.ptr
  %p_m = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_n = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_k = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_lda = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_ldb = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_ldc = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_alpha = llvm.alloca %one x {T} : (i32) -> !llvm.ptr
  %p_beta = llvm.alloca %one x {T} : (i32) -> !llvm.ptr
  %zero = llvm.mlir.constant(0 : i64) : i64
  %m_empty = llvm.icmp "eq" %m, %zero : i64
  %n_empty = llvm.icmp "eq" %n, %zero : i64
  %empty = llvm.or %m_empty, %n_empty : i1
  llvm.cond_br %empty, ^done, ^nonempty
^nonempty:
  %k_empty = llvm.icmp "eq" %k, %zero : i64
  llvm.cond_br %k_empty, ^scale, ^call
^scale:
  %total = llvm.mul %m, %n : i64
  llvm.call @mlc_scale_{N}(%c, %total, %beta) : (!llvm.ptr, i64, {T}) -> ()
  llvm.br ^done
^call:
  // Row lengths as stored: A is m x k (k x m if transposed), B is k x n (n x k).
  %lda = llvm.select %ta, %m, %k : i1, i64
  %ldb = llvm.select %tb, %k, %n : i1, i64
  %char_n = llvm.mlir.constant(78 : i8) : i8
  %char_t = llvm.mlir.constant(84 : i8) : i8
  %tra = llvm.select %ta, %char_t, %char_n : i1, i8
  %trb = llvm.select %tb, %char_t, %char_n : i1, i8
  llvm.store %tra, %p_tra : i8, !llvm.ptr
  llvm.store %trb, %p_trb : i8, !llvm.ptr
  %m32 = llvm.trunc %m : i64 to i32
  %n32 = llvm.trunc %n : i64 to i32
  %k32 = llvm.trunc %k : i64 to i32
  %lda32 = llvm.trunc %lda : i64 to i32
  %ldb32 = llvm.trunc %ldb : i64 to i32
  llvm.store %m32, %p_m : i32, !llvm.ptr
  llvm.store %n32, %p_n : i32, !llvm.ptr
  llvm.store %k32, %p_k : i32, !llvm.ptr
  llvm.store %lda32, %p_lda : i32, !llvm.ptr
  llvm.store %ldb32, %p_ldb : i32, !llvm.ptr
  llvm.store %n32, %p_ldc : i32, !llvm.ptr
  llvm.store %alpha, %p_alpha : {T}, !llvm.ptr
  llvm.store %beta, %p_beta : {T}, !llvm.ptr
  // Column-major C^T[n x m] = op(B)^T @ op(A)^T: B first, flags swapped.
  llvm.call @mlc_blas_{p}gemm(%p_trb, %p_tra, %p_n, %p_m, %p_k, %p_alpha, %b, %p_ldb, %a, %p_lda, %p_beta, %c, %p_ldc) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
  llvm.br ^done
^done:
  llvm.return
}}
"""

_GEMV = """
// y = alpha * op(A) @ x + beta * y, A row-major rows x cols.
llvm.func internal @mlc_gemv_{N}(%t: i1, %rows: i64, %cols: i64, %alpha: {T}, %a: !llvm.ptr, %x: !llvm.ptr, %beta: {T}, %y: !llvm.ptr) {{
  %one = llvm.mlir.constant(1 : i32) : i32
  %p_tr = llvm.alloca %one x i8 : (i32) -> !llvm.ptr
  %p_m = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_n = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_inc = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_alpha = llvm.alloca %one x {T} : (i32) -> !llvm.ptr
  %p_beta = llvm.alloca %one x {T} : (i32) -> !llvm.ptr
  %zero = llvm.mlir.constant(0 : i64) : i64
  %ylen = llvm.select %t, %cols, %rows : i1, i64
  %xlen = llvm.select %t, %rows, %cols : i1, i64
  %y_empty = llvm.icmp "eq" %ylen, %zero : i64
  llvm.cond_br %y_empty, ^done, ^nonempty
^nonempty:
  %x_empty = llvm.icmp "eq" %xlen, %zero : i64
  llvm.cond_br %x_empty, ^scale, ^call
^scale:
  llvm.call @mlc_scale_{N}(%y, %ylen, %beta) : (!llvm.ptr, i64, {T}) -> ()
  llvm.br ^done
^call:
  // Row-major A is the column-major cols x rows matrix A^T (lda = cols):
  // op(A) = A is its transpose ('T'), op(A) = A^T is itself ('N').
  %char_n = llvm.mlir.constant(78 : i8) : i8
  %char_t = llvm.mlir.constant(84 : i8) : i8
  %tr = llvm.select %t, %char_n, %char_t : i1, i8
  llvm.store %tr, %p_tr : i8, !llvm.ptr
  %m32 = llvm.trunc %cols : i64 to i32
  %n32 = llvm.trunc %rows : i64 to i32
  llvm.store %m32, %p_m : i32, !llvm.ptr
  llvm.store %n32, %p_n : i32, !llvm.ptr
  llvm.store %one, %p_inc : i32, !llvm.ptr
  llvm.store %alpha, %p_alpha : {T}, !llvm.ptr
  llvm.store %beta, %p_beta : {T}, !llvm.ptr
  llvm.call @mlc_blas_{p}gemv(%p_tr, %p_m, %p_n, %p_alpha, %a, %p_m, %x, %p_inc, %p_beta, %y, %p_inc) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
  llvm.br ^done
^done:
  llvm.return
}}
"""

_DOT = """
// sum(x[i] * y[i]); ?dot returns 0 for n == 0.
llvm.func internal @mlc_dot_{N}(%n: i64, %x: !llvm.ptr, %y: !llvm.ptr) -> {T} {{
  %one = llvm.mlir.constant(1 : i32) : i32
  %p_n = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %p_inc = llvm.alloca %one x i32 : (i32) -> !llvm.ptr
  %n32 = llvm.trunc %n : i64 to i32
  llvm.store %n32, %p_n : i32, !llvm.ptr
  llvm.store %one, %p_inc : i32, !llvm.ptr
  %r = llvm.call @mlc_blas_{p}dot(%p_n, %x, %p_inc, %y, %p_inc) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> {T}
  llvm.return %r : {T}
}}
"""

# wrapper kind -> (template, the wrappers it calls, the BLAS routine it calls)
_WRAPPERS = {
    "scale": (_SCALE, (), None),
    "gemm": (_GEMM, ("scale",), "gemm"),
    "gemv": (_GEMV, ("scale",), "gemv"),
    "dot": (_DOT, (), "dot"),
}

_BLAS_ARITY = {"gemm": 13, "gemv": 11, "dot": 5}


#: element type name -> (its llvm type, its part type, the BLAS prefix)
_ELEMENTS = {
    "f32": ("f32", "f32", "s"),
    "f64": ("f64", "f64", "d"),
    "c64": ("!llvm.struct<(f32, f32)>", "f32", "c"),
    "c128": ("!llvm.struct<(f64, f64)>", "f64", "z"),
}


def _element_name(element: Attribute) -> str:
    if isinstance(element, ComplexType):
        return "c64" if isinstance(element.element_type, Float32Type) else "c128"
    return "f32" if isinstance(element, Float32Type) else "f64"


@cache
def _parsed_wrapper(kind: str, n: str) -> ModuleOp:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(llvm.LLVM)
    t, part, prefix = _ELEMENTS[n]
    template = _SCALE_COMPLEX if kind == "scale" and n.startswith("c") else _WRAPPERS[kind][0]
    text = template.format(T=t, P=part, N=n, p=prefix)
    return Parser(ctx, f"builtin.module {{{text}}}").parse_module()


def _ensure_wrapper(module: ModuleOp, kind: str, element: Attribute) -> str:
    """Insert `@mlc_<kind>_<f32|f64|c64|c128>` (and what it needs) into `module` once."""
    t = _element_name(element)
    name = f"mlc_{kind}_{t}"
    existing = {op.sym_name.data for op in module.ops if isinstance(op, llvm.FuncOp)}
    if name in existing:
        return name
    _, needs, routine = _WRAPPERS[kind]
    for dep in needs:
        _ensure_wrapper(module, dep, element)
    if routine is not None:
        symbol = f"mlc_blas_{_ELEMENTS[t][2]}{routine}"
        if symbol not in existing:
            result = element if routine == "dot" else llvm.LLVMVoidType()
            ftype = llvm.LLVMFunctionType([PTR] * _BLAS_ARITY[routine], result)
            module.body.block.add_op(
                llvm.FuncOp(symbol, ftype, linkage=llvm.LinkageAttr("external"))
            )
    for op in _parsed_wrapper(kind, t).ops:
        module.body.block.add_op(op.clone())
    return name


# ---------------------------------------------------------------------------
# Call sites
# ---------------------------------------------------------------------------


class _CallSite:
    """Builds a wrapper's operands right before the blas op being replaced."""

    def __init__(self, rewriter: PatternRewriter):
        self.rewriter = rewriter

    def _add(self, op: Operation) -> SSAValue:
        self.rewriter.insert(op)
        return op.results[0]

    def flag(self, value: bool) -> SSAValue:
        return self._add(arith.ConstantOp(IntegerAttr(int(value), i1)))

    def pointer(self, value: SSAValue) -> SSAValue:
        """The memref's data pointer (resolved by convert-to-llvm)."""
        return self._add(UnrealizedConversionCastOp.get([value], [PTR]))

    def dim(self, value: SSAValue, k: int) -> SSAValue:
        t = value.type
        assert isinstance(t, MemRefType)
        static = t.get_shape()[k]
        if static != DYNAMIC_INDEX:
            return self._add(arith.ConstantOp(IntegerAttr(static, i64)))
        index = self._add(arith.ConstantOp(IntegerAttr(k, IndexType())))
        size = self._add(memref.DimOp(value, index))
        return self._add(arith.IndexCastOp(size, i64))

    def scalar(self, value: SSAValue | None, default: float, t: Attribute) -> SSAValue:
        if value is not None:
            return value
        if isinstance(t, ComplexType):  # complex.constant, which expand-complex and convert-to-llvm lower
            parts = ArrayAttr([FloatAttr(default, t.element_type), FloatAttr(0.0, t.element_type)])  # type: ignore[arg-type]
            return self._add(cx.ConstantOp(parts, t))
        return self._add(arith.ConstantOp(FloatAttr(default, t)))  # type: ignore[arg-type]

    def call(self, name: str, args: list[SSAValue], result: Attribute | None) -> llvm.CallOp:
        call = llvm.CallOp(name, *args, return_type=result)
        self.rewriter.insert(call)
        return call


def _element(op: Operation) -> Attribute:
    t = op.operands[0].type
    assert isinstance(t, MemRefType)
    return t.get_element_type()


class LowerGemm(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: blas.GemmOp, rewriter: PatternRewriter, /):
        t = _element(op)
        site = _CallSite(rewriter)
        module = op.get_toplevel_object()
        assert isinstance(module, ModuleOp)
        name = _ensure_wrapper(module, "gemm", t)
        transa, transb = op.transa is not None, op.transb is not None
        args = [
            site.flag(transa),
            site.flag(transb),
            site.dim(op.c, 0),  # m
            site.dim(op.c, 1),  # n
            site.dim(op.a, 0 if transa else 1),  # k
            site.scalar(op.alpha, 1.0, t),
            site.pointer(op.a),
            site.pointer(op.b),
            site.scalar(op.beta, 0.0, t),
            site.pointer(op.c),
        ]
        site.call(name, args, None)
        rewriter.erase(op)


class LowerGemv(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: blas.GemvOp, rewriter: PatternRewriter, /):
        t = _element(op)
        site = _CallSite(rewriter)
        module = op.get_toplevel_object()
        assert isinstance(module, ModuleOp)
        name = _ensure_wrapper(module, "gemv", t)
        args = [
            site.flag(op.trans is not None),
            site.dim(op.a, 0),  # rows
            site.dim(op.a, 1),  # cols
            site.scalar(op.alpha, 1.0, t),
            site.pointer(op.a),
            site.pointer(op.x),
            site.scalar(op.beta, 0.0, t),
            site.pointer(op.y),
        ]
        site.call(name, args, None)
        rewriter.erase(op)


class LowerDot(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: blas.DotOp, rewriter: PatternRewriter, /):
        t = _element(op)
        site = _CallSite(rewriter)
        module = op.get_toplevel_object()
        assert isinstance(module, ModuleOp)
        name = _ensure_wrapper(module, "dot", t)
        call = site.call(name, [site.dim(op.x, 0), site.pointer(op.x), site.pointer(op.y)], t)
        rewriter.replace(op, [], list(call.results))


class ConvertBlasToLLVMPass(ModulePass):
    """Lower blas.gemm/gemv/dot to calls of the f77 BLAS (via internal wrappers)."""

    name = "convert-blas-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([LowerGemm(), LowerGemv(), LowerDot()]),
            apply_recursively=False,
        ).rewrite_module(op)
