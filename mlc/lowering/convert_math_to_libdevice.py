"""convert-math-to-libdevice: float `math` ops -> calls of NVIDIA's libdevice (`__nv_*`).

For the GPU (after `convert-gpu-to-nvvm`): NVPTX has no instruction and no
libm for most transcendental functions, and LLVM's NVPTX backend *aborts
the process* on `llvm.exp.f32` and friends (notes §5). libdevice
(`libdevice.10.bc`, linked into the module by `mlc.runtime.ptx`) provides
them all: `__nv_expf` for f32, `__nv_exp` for f64.

    %y = math.exp %x : f32   ->   %y = func.call @__nv_expf(%x) : (f32) -> f32

Declarations (`func.func private @__nv_expf(f32) -> f32`) are added once.
Integer math (`absi`, `ctpop`, `ipowi`, ...) is left alone (LLVM's NVPTX
backend handles the intrinsics it becomes).
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func, math
from xdsl.dialects.builtin import Float32Type, Float64Type, IntegerType, ModuleOp, i32
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

# math op -> libdevice base name (f32: base + "f", f64: base)
LIBDEVICE: dict[type[Operation], str] = {
    math.AbsFOp: "fabs",  # absf -> __nv_fabsf
    math.AcosOp: "acos",  # acos -> __nv_acosf
    math.AcoshOp: "acosh",  # acosh -> __nv_acoshf
    math.AsinOp: "asin",  # asin -> __nv_asinf
    math.AsinhOp: "asinh",  # asinh -> __nv_asinhf
    math.AtanOp: "atan",  # atan -> __nv_atanf
    math.Atan2Op: "atan2",  # atan2 -> __nv_atan2f
    math.AtanhOp: "atanh",  # atanh -> __nv_atanhf
    math.CbrtOp: "cbrt",  # cbrt -> __nv_cbrtf
    math.CeilOp: "ceil",  # ceil -> __nv_ceilf
    math.CopySignOp: "copysign",  # copysign -> __nv_copysignf
    math.CosOp: "cos",  # cos -> __nv_cosf
    math.CoshOp: "cosh",  # cosh -> __nv_coshf
    math.ErfOp: "erf",  # erf -> __nv_erff
    math.ExpOp: "exp",  # exp -> __nv_expf
    math.Exp2Op: "exp2",  # exp2 -> __nv_exp2f
    math.ExpM1Op: "expm1",  # expm1 -> __nv_expm1f
    math.FloorOp: "floor",  # floor -> __nv_floorf
    math.FmaOp: "fma",  # fma -> __nv_fmaf
    math.LogOp: "log",  # log -> __nv_logf
    math.Log10Op: "log10",  # log10 -> __nv_log10f
    math.Log1pOp: "log1p",  # log1p -> __nv_log1pf
    math.Log2Op: "log2",  # log2 -> __nv_log2f
    math.PowFOp: "pow",  # powf -> __nv_powf
    math.RoundEvenOp: "rint",  # roundeven -> __nv_rintf (ties to even)
    math.RoundOp: "round",  # round (half away from zero) -> __nv_roundf
    math.RsqrtOp: "rsqrt",  # rsqrt -> __nv_rsqrtf
    math.SinOp: "sin",  # sin -> __nv_sinf
    math.SinhOp: "sinh",  # sinh -> __nv_sinhf
    math.SqrtOp: "sqrt",  # sqrt -> __nv_sqrtf
    math.TanOp: "tan",  # tan -> __nv_tanf
    math.TanhOp: "tanh",  # tanh -> __nv_tanhf
    math.TruncOp: "trunc",  # trunc -> __nv_truncf
}


def libdevice_name(base: str, op: Operation) -> str:
    t = op.results[0].type
    if isinstance(t, Float32Type):
        return f"__nv_{base}f"
    if isinstance(t, Float64Type):
        return f"__nv_{base}"
    raise PassFailedException(f"convert-math-to-libdevice: '{op.name}': libdevice has no {base} for {t}")


class ConvertMathToLibdevicePass(ModulePass):
    """Float math ops -> calls of libdevice's __nv_* functions (see docstring)."""

    name = "convert-math-to-libdevice"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        declared = {f.sym_name.data for f in op.ops if isinstance(f, func.FuncOp)}
        for inner in list(op.walk()):
            if type(inner) in LIBDEVICE:
                name = libdevice_name(LIBDEVICE[type(inner)], inner)
                args = list(inner.operands)
                new: list[Operation] = []
            elif isinstance(inner, math.FPowIOp):  # x ** n, n an integer: __nv_powif(float, int)
                name = "__nv_powif" if isinstance(inner.result.type, Float32Type) else "__nv_powi"
                n = inner.rhs
                new = []
                if isinstance(n.type, IntegerType) and n.type.width.data != 32:
                    cast = arith.TruncIOp(n, i32) if n.type.width.data > 32 else arith.ExtSIOp(n, i32)
                    new.append(cast)
                    n = cast.result
                args = [inner.lhs, n]
            else:
                continue
            t = inner.results[0].type
            if name not in declared:
                op.body.block.add_op(func.FuncOp.external(name, [a.type for a in args], [t]))
                declared.add(name)
            call = func.CallOp(name, args, [t])
            Rewriter.insert_op(new, InsertPoint.before(inner))
            Rewriter.replace_op(inner, call)
