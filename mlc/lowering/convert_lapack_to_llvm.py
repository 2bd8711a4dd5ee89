"""convert-lapack-to-llvm: `lapack.*` ops -> calls of the runtime's LAPACK adapters.

Pre-condition: `lapack` ops on identity-layout memrefs (bufferize gives
them private contiguous copies). Post-condition: no `lapack` ops; each
became one `llvm.call` of an external adapter

    lapack.cholesky        -> @mlc_lapack_cholesky_<t>(n, a, lower, nan_on_error)
    lapack.solve           -> @mlc_lapack_solve_<t>(n, nrhs, a, b, structure, trans, unit_diagonal)
    lapack.inverse         -> @mlc_lapack_inverse_<t>(n, a)
    lapack.expm            -> @mlc_lapack_expm_<t>(n, a)
    %d = lapack.det        -> %d = @mlc_lapack_det_<t>(n, a)
    lapack.eigh            -> @mlc_lapack_eigh_<t>(n, a, w, lower)
    lapack.svd             -> @mlc_lapack_svd_<t>(m, n, a, s, u, vt, job)   (job 0: s only, 1: reduced, 2: full)
    lapack.qr              -> @mlc_lapack_qr_<t>(m, n, a, out0, out1, mode)  (mode 0 reduced, 1 complete, 2 r, 3 raw)
    lapack.eig             -> @mlc_lapack_eig_<t>(n, a, w, v)                (w, v complex; t also c128)
    %r = lapack.lstsq      -> %r = @mlc_lapack_lstsq_<t>(m, n, nrhs, a, b, rcond, x, s, resid)

whose operands are built with `arith`/`memref` ops and `memref -> !llvm.ptr`
casts that `convert-to-llvm` lowers next (as for `convert-blas-to-llvm`).
The adapters own the row-major mapping onto the column-major f77 routines,
workspaces and error reporting; the CPU runtime binds them
(`mlc.runtime.lapack_symbols`). Structure codes: 0 general, 1 lower
triangular, 2 upper triangular.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, llvm
from xdsl.dialects.builtin import ComplexType, Float32Type, IntegerAttr, ModuleOp, i1, i32, i64
from xdsl.ir import Attribute, Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from mlc.dialects import lapack
from mlc.lowering.convert_blas_to_llvm import PTR, _CallSite, _element

STRUCTURE_CODES = {"general": 0, "lower_triangular": 1, "upper_triangular": 2}


def _adapter(op: Operation, kind: str, params: list[Attribute], result: Attribute | None) -> str:
    """Declare `@mlc_lapack_<kind>_<t>` in the module (once) and return its name."""
    t = _element(op)
    if isinstance(t, ComplexType):
        tag = "c64" if isinstance(t.element_type, Float32Type) else "c128"
    else:
        tag = "f32" if isinstance(t, Float32Type) else "f64"
    name = f"mlc_lapack_{kind}_{tag}"
    module = op.get_toplevel_object()
    assert isinstance(module, ModuleOp)
    if not any(isinstance(o, llvm.FuncOp) and o.sym_name.data == name for o in module.ops):
        ftype = llvm.LLVMFunctionType(params, result if result is not None else llvm.LLVMVoidType())
        module.body.block.add_op(llvm.FuncOp(name, ftype, linkage=llvm.LinkageAttr("external")))
    return name


class LowerCholesky(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.CholeskyOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "cholesky", [i64, PTR, i1, i1], None)
        site.call(name, [site.dim(op.a, 0), site.pointer(op.a), site.flag(op.lower is not None),
                         site.flag(op.nan_on_error is not None)], None)
        rewriter.erase(op)


class LowerSolve(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.SolveOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "solve", [i64, i64, PTR, PTR, i32, i1, i1], None)
        matrix = op.b.type.get_num_dims() == 2  # type: ignore[attr-defined]
        nrhs = site.dim(op.b, 1) if matrix else site._add(arith.ConstantOp(IntegerAttr(1, i64)))
        structure = site._add(arith.ConstantOp(IntegerAttr(STRUCTURE_CODES[op.structure.data], i32)))
        site.call(name, [site.dim(op.a, 0), nrhs, site.pointer(op.a), site.pointer(op.b), structure,
                         site.flag(op.trans is not None), site.flag(op.unit_diagonal is not None)], None)
        rewriter.erase(op)


class LowerInPlace(RewritePattern):
    """lapack.inverse and lapack.expm: (n, a)."""

    KINDS = {lapack.InverseOp: "inverse", lapack.ExpmOp: "expm"}

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /):
        kind = self.KINDS.get(type(op))
        if kind is None:
            return
        site = _CallSite(rewriter)
        name = _adapter(op, kind, [i64, PTR], None)
        site.call(name, [site.dim(op.operands[0], 0), site.pointer(op.operands[0])], None)
        rewriter.erase(op)


class LowerDet(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.DetOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        t = _element(op)
        name = _adapter(op, "det", [i64, PTR], t)
        call = site.call(name, [site.dim(op.a, 0), site.pointer(op.a)], t)
        rewriter.replace(op, [], list(call.results))


class LowerEigh(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.EighOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "eigh", [i64, PTR, PTR, i1], None)
        site.call(name, [site.dim(op.a, 0), site.pointer(op.a), site.pointer(op.w), site.flag(op.lower is not None)],
                  None)
        rewriter.erase(op)


class LowerSvd(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.SvdOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "svd", [i64, i64, PTR, PTR, PTR, PTR, i32], None)
        s = site.pointer(op.s)
        if op.u is None or op.vt is None:  # s only: the vector pointers are never read
            u = vt = s
            job = 0
        else:
            u, vt = site.pointer(op.u), site.pointer(op.vt)
            job = 2 if op.full_matrices is not None else 1
        code = site._add(arith.ConstantOp(IntegerAttr(job, i32)))
        site.call(name, [site.dim(op.a, 0), site.dim(op.a, 1), site.pointer(op.a), s, u, vt, code], None)
        rewriter.erase(op)


QR_CODES = {"reduced": 0, "complete": 1, "r": 2, "raw": 3}


class LowerQr(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.QrOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "qr", [i64, i64, PTR, PTR, PTR, i32], None)
        outs = [site.pointer(v) for v in op.outs]
        first, second = (outs[0], outs[0]) if len(outs) == 1 else outs  # mode r: r goes second
        code = site._add(arith.ConstantOp(IntegerAttr(QR_CODES[op.mode.data], i32)))
        site.call(name, [site.dim(op.a, 0), site.dim(op.a, 1), site.pointer(op.a), first, second, code], None)
        rewriter.erase(op)


class LowerEig(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.EigOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "eig", [i64, PTR, PTR, PTR], None)
        site.call(name, [site.dim(op.a, 0), site.pointer(op.a), site.pointer(op.w), site.pointer(op.v)], None)
        rewriter.erase(op)


class LowerLstsq(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: lapack.LstsqOp, rewriter: PatternRewriter, /):
        site = _CallSite(rewriter)
        name = _adapter(op, "lstsq", [i64, i64, i64, PTR, PTR, _element(op), PTR, PTR, PTR], i64)
        matrix = op.b.type.get_num_dims() == 2  # type: ignore[attr-defined]
        nrhs = site.dim(op.b, 1) if matrix else site._add(arith.ConstantOp(IntegerAttr(1, i64)))
        call = site.call(name, [site.dim(op.a, 0), site.dim(op.a, 1), nrhs, site.pointer(op.a), site.pointer(op.b),
                                op.rcond, site.pointer(op.x), site.pointer(op.s), site.pointer(op.resid)], i64)
        rewriter.replace(op, [], list(call.results))


class ConvertLapackToLLVMPass(ModulePass):
    """Lower lapack.cholesky/solve/inverse/expm/det/eigh/svd/qr/eig/lstsq to calls of the runtime's LAPACK adapters."""

    name = "convert-lapack-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([LowerCholesky(), LowerSolve(), LowerInPlace(), LowerDet(), LowerEigh(),
                                         LowerSvd(), LowerQr(), LowerEig(), LowerLstsq()]),
            apply_recursively=False,
        ).rewrite_module(op)
