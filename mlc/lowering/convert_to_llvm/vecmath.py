"""mlc's vector math library: float32 exp, log, log1p, expm1, tanh (and sin, cos) that vectorize.

`convert-to-llvm` lowers these float32 `math` ops to calls of `@mlc_vm_<name>f`
(see `mlc.lowering.convert_to_llvm.lower_math`); `mlc.lowering.llvm_ir.to_llvm_ir` then
replaces each declaration with its definition from this module, written in
LLVM IR. The definitions are `internal alwaysinline` straight-line code
(no calls, no tables, no branches: selects), so once inlined into a loop
the loop vectorizer turns them into SIMD code like any other arithmetic.
Without them LLVM calls the scalar libm function once per element
(`expf`, `tanhf`, `log1pf`), which is 5-30x slower than numpy's SIMD loops.

Method: each float32 function is computed in float64 and rounded once.
With 53-bit intermediates, plain Taylor/atanh series on a reduced range
reach a relative error below 1e-12, far under float32's half ulp (3e-8),
so the result is the correctly rounded value except in rare near-halfway
cases: the error is at most 0.5 ulp + 1e-12 relative, i.e. < 1 ulp.
Checked exhaustively, all 2^32 float32 inputs against float64 numpy: the
largest error is 0.5000 ulp for each of exp, log, log1p, expm1 and tanh,
and every nan/inf/zero result matches. Rounding the float64 result to
float32 also handles overflow to inf and gradual underflow to subnormals
exactly.

Speed (4M float32, one core): exp 2.5 ms, log 3.0, log1p 3.5, expm1 3.5,
tanh 4.7 - numpy's own SIMD loops take 1.1-1.6 ms but err by up to 2.5-3.9
ulp; libmvec's were measured at 1.3-2.8 ms and 2.5 ulp (exp), 3.9 ulp
(log), so they miss the 2 ulp bar. Inside a fused loop the library runs
once per element with no temporaries, and parallel loops split it over
the cores. Special inputs (nan, +-inf, +-0, out-of-domain) are fixed up with
selects and match C99/numpy.

* exp(x) = 2^n e^r with n = round(x / ln 2), |r| <= ln(2)/2, e^r by its
  Taylor series to degree 11; 2^n built in the exponent bits (x is first
  clamped to [-104, 89], beyond which float32 exp is 0 or inf).
* log(x) = k ln 2 + log(m), m in [sqrt(1/2), sqrt(2)) from the bits,
  log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172, series to s^15.
* log1p(x) = log(1 + x): for a float32 x with |x| >= 2^-29, 1 + x is exact
  in float64 (24 significant bits shifted by at most 29 fit in 53); for
  smaller |x|, log1p(x) = x to float32 precision (and -0 stays -0).
* expm1(x): Taylor series to degree 12 for |x| < 1/2, exp(x) - 1 beyond
  (where the subtraction loses at most 2 bits of float64's 53).
* tanh(x) = sign(x) em / (em + 2), em = expm1(2|x|), |x| clamped to 20.
* sin, cos: glibc's libmvec through the vector-function ABI when the
  process has it (`_ZGVdN8v_sinf`: measured <= 1.9 ulp), else scalar libm.
  The scalar calls go to `mlc_libm_sinf`/`mlc_libm_cosf` (bound to libm's
  sinf/cosf by the runtime), because LLVM would turn a call of `sinf`
  itself into the `llvm.sin` intrinsic and scalarize it again.

float64 math keeps calling libm (correctly rounded in practice); libmvec's
float64 variants were measured at up to 3.3 ulp, worse than numpy.
"""

from __future__ import annotations

import re
import struct
from math import factorial

from mlc.target import GENERIC_CPU, Target

# math op (float32) -> library function name
FUNCTIONS = {
    "exp": "mlc_vm_expf",
    "log": "mlc_vm_logf",
    "log1p": "mlc_vm_log1pf",
    "expm1": "mlc_vm_expm1f",
    "tanh": "mlc_vm_tanhf",
    "sin": "mlc_vm_sinf",
    "cos": "mlc_vm_cosf",
}

#: `math.exp` with `fastmath<afn>` (float32): float32 arithmetic, < 2 ulp (see `_fast_expf`)
FAST_EXP = "mlc_vm_fast_expf"


def _d(x: float) -> str:
    """An LLVM IR double literal (exact: the IEEE bits in hex)."""
    return "0x%016X" % struct.unpack("<Q", struct.pack("<d", x))[0]


def _horner(var: str, coeffs: list[float], prefix: str) -> tuple[list[str], str]:
    """Lines computing c0 + var*(c1 + var*(c2 + ...)) in double; returns (lines, result name)."""
    lines = []
    acc = _d(coeffs[-1])
    for k, c in enumerate(reversed(coeffs[:-1])):
        lines.append(f"  %{prefix}m{k} = fmul contract double {acc}, %{var}")
        lines.append(f"  %{prefix}a{k} = fadd contract double %{prefix}m{k}, {_d(c)}")
        acc = f"%{prefix}a{k}"
    return lines, acc


def _exp_d() -> str:
    # e^r for |r| <= ln(2)/2: Taylor to degree 11 (truncation 5e-15 relative)
    poly, p = _horner("r", [1.0 / factorial(k) for k in range(12)], "p")
    body = "\n".join(poly)
    return f"""
; e^x in double for |x| <= 700 (callers clamp): 2^n * e^r
define internal double @mlc_vm_exp_d(double %x) alwaysinline nounwind {{
  %t = fmul double %x, {_d(1.4426950408889634)}
  %k = fadd double %t, {_d(6755399441055744.0)}
  %n = fsub double %k, {_d(6755399441055744.0)}
  %nl = fmul double %n, {_d(0.6931471805599453)}
  %r = fsub double %x, %nl
{body}
  %kb = bitcast double %k to i64
  %sb = shl i64 %kb, 52
  %eb = add i64 %sb, 4607182418800017408
  %scale = bitcast i64 %eb to double
  %res = fmul double {p}, %scale
  ret double %res
}}
"""


def _log_d() -> str:
    # log(m) = 2 atanh(s) = s * (2 + 2/3 z + 2/5 z^2 + ... + 2/15 z^7), z = s^2 <= 0.0295
    poly, q = _horner("z", [2.0 / (2 * k + 1) for k in range(8)], "q")
    body = "\n".join(poly)
    return f"""
; log(x) in double for finite x > 0 (callers handle 0, negative, inf, nan)
define internal double @mlc_vm_log_d(double %x) alwaysinline nounwind {{
  %xb = bitcast double %x to i64
  %t = sub i64 %xb, 4604544271217802189
  %k = ashr i64 %t, 52
  %ks = shl i64 %k, 52
  %mb = sub i64 %xb, %ks
  %m = bitcast i64 %mb to double
  %f = fsub double %m, 1.0
  %den = fadd double %f, 2.0
  %s = fdiv double %f, %den
  %z = fmul double %s, %s
{body}
  %lm = fmul double %s, {q}
  %kd = sitofp i64 %k to double
  %kl = fmul contract double %kd, {_d(0.6931471805599453)}
  %res = fadd contract double %kl, %lm
  ret double %res
}}
"""


def _expm1_d() -> str:
    # |x| < 1/2: x * (1 + x/2! + x^2/3! + ... + x^11/12!)
    poly, p = _horner("x", [1.0 / factorial(k + 1) for k in range(12)], "p")
    body = "\n".join(poly)
    return f"""
; e^x - 1 in double for |x| <= 700 (callers clamp)
define internal double @mlc_vm_expm1_d(double %x) alwaysinline nounwind {{
{body}
  %small = fmul double %x, {p}
  %e = call double @mlc_vm_exp_d(double %x)
  %big = fsub double %e, 1.0
  %ax = call double @llvm.fabs.f64(double %x)
  %is_small = fcmp olt double %ax, 0.5
  %res = select i1 %is_small, double %small, double %big
  ret double %res
}}
"""


def _f(x: float) -> str:
    """An LLVM IR float literal: LLVM writes floats as the double of the same value (exact for a float32)."""
    return _d(struct.unpack("<f", struct.pack("<f", x))[0])


def _fast_expf() -> str:
    """e^x in float32 arithmetic, for `math.exp` marked `afn` (the softmax lowering).

    2^n e^r with n = round(x log2 e), r = x - n ln2 in two float32 steps
    (ln2's high part has 12 trailing zero bits, so n * hi is exact), e^r by
    its Taylor series to degree 7 in float32 (truncation 5e-9 relative for
    |r| <= ln(2)/2), and 2^n applied as two exact power-of-two factors so
    that results in the subnormal range are rounded once. Sampled against
    float64 (test_fast_exp_error): < 2 ulp, about 4x the speed of
    `mlc_vm_expf` (16 float32 lanes per AVX-512 vector, not 8 doubles).
    nan stays nan, -inf and x < -104 give 0, x > 89 gives inf."""
    ln2_hi = struct.unpack("<f", struct.pack("<I", 0x3F317200))[0]
    ln2_lo = 0.6931471805599453 - ln2_hi
    lines = []
    acc = _f(1.0 / factorial(7))
    for k, c in enumerate(reversed([1.0 / factorial(i) for i in range(7)])):
        lines.append(f"  %pm{k} = fmul contract float {acc}, %r")
        lines.append(f"  %pa{k} = fadd contract float %pm{k}, {_f(c)}")
        acc = f"%pa{k}"
    poly = "\n".join(lines)
    return f"""
define internal float @mlc_vm_fast_expf(float %x) alwaysinline nounwind {{
  %hi = fcmp ogt float %x, {_f(89.0)}
  %x1 = select i1 %hi, float {_f(89.0)}, float %x
  %lo = fcmp olt float %x1, {_f(-104.0)}
  %xc = select i1 %lo, float {_f(-104.0)}, float %x1
  %t = fmul float %xc, {_f(1.4426950408889634)}
  %n = call float @llvm.rint.f32(float %t)
  %nh = fmul float %n, {_f(ln2_hi)}
  %r0 = fsub float %xc, %nh
  %nl = fmul float %n, {_f(ln2_lo)}
  %r = fsub float %r0, %nl
{poly}
  %ni = fptosi float %n to i32
  %h = ashr i32 %ni, 1
  %n2 = sub i32 %ni, %h
  %e1 = add i32 %h, 127
  %b1 = shl i32 %e1, 23
  %s1 = bitcast i32 %b1 to float
  %e2 = add i32 %n2, 127
  %b2 = shl i32 %e2, 23
  %s2 = bitcast i32 %b2 to float
  %y1 = fmul float {acc}, %s1
  %y = fmul float %y1, %s2
  %nan = fcmp uno float %x, 0.0
  %res = select i1 %nan, float %x, float %y
  ret float %res
}}
"""


_CLAMP = """  %{out}.hi = fcmp ogt double %{x}, {hi}
  %{out}.1 = select i1 %{out}.hi, double {hi}, double %{x}
  %{out}.lo = fcmp olt double %{out}.1, {lo}
  %{out} = select i1 %{out}.lo, double {lo}, double %{out}.1"""


def _clamp(x: str, out: str, lo: float, hi: float) -> str:
    """Clamp to [lo, hi] with selects; nan stays nan (both compares are false)."""
    return _CLAMP.format(x=x, out=out, lo=_d(lo), hi=_d(hi))


_FLOAT32 = {
    "mlc_vm_expf": (["mlc_vm_exp_d"], f"""
define internal float @mlc_vm_expf(float %x) alwaysinline nounwind {{
  %xd = fpext float %x to double
{_clamp("xd", "xc", -104.0, 89.0)}
  %e = call double @mlc_vm_exp_d(double %xc)
  %r = fptrunc double %e to float
  ret float %r
}}
"""),
    "mlc_vm_logf": (["mlc_vm_log_d"], """
define internal float @mlc_vm_logf(float %x) alwaysinline nounwind {
  %xd = fpext float %x to double
  %l = call double @mlc_vm_log_d(double %xd)
  %r = fptrunc double %l to float
  %is_zero = fcmp oeq float %x, 0.0
  %r1 = select i1 %is_zero, float 0xFFF0000000000000, float %r
  %is_inf = fcmp oeq float %x, 0x7FF0000000000000
  %r2 = select i1 %is_inf, float 0x7FF0000000000000, float %r1
  %is_bad = fcmp ult float %x, 0.0
  %r3 = select i1 %is_bad, float 0x7FF8000000000000, float %r2
  %is_nan = fcmp uno float %x, 0.0
  %r4 = select i1 %is_nan, float %x, float %r3
  ret float %r4
}
"""),
    "mlc_vm_log1pf": (["mlc_vm_log_d"], """
define internal float @mlc_vm_log1pf(float %x) alwaysinline nounwind {
  %xd = fpext float %x to double
  %u = fadd double %xd, 1.0
  %l = call double @mlc_vm_log_d(double %u)
  %ax = call double @llvm.fabs.f64(double %xd)
  %tiny = fcmp olt double %ax, 0x3E20000000000000
  %s = select i1 %tiny, double %xd, double %l
  %r = fptrunc double %s to float
  %is_m1 = fcmp oeq float %x, -1.0
  %r1 = select i1 %is_m1, float 0xFFF0000000000000, float %r
  %is_inf = fcmp oeq float %x, 0x7FF0000000000000
  %r2 = select i1 %is_inf, float 0x7FF0000000000000, float %r1
  %is_bad = fcmp ult float %x, -1.0
  %r3 = select i1 %is_bad, float 0x7FF8000000000000, float %r2
  %is_nan = fcmp uno float %x, 0.0
  %r4 = select i1 %is_nan, float %x, float %r3
  ret float %r4
}
"""),
    "mlc_vm_expm1f": (["mlc_vm_expm1_d", "mlc_vm_exp_d"], f"""
define internal float @mlc_vm_expm1f(float %x) alwaysinline nounwind {{
  %xd = fpext float %x to double
{_clamp("xd", "xc", -110.0, 89.0)}
  %e = call double @mlc_vm_expm1_d(double %xc)
  %r = fptrunc double %e to float
  ret float %r
}}
"""),
    "mlc_vm_tanhf": (["mlc_vm_expm1_d", "mlc_vm_exp_d"], """
define internal float @mlc_vm_tanhf(float %x) alwaysinline nounwind {
  %xd = fpext float %x to double
  %a = call double @llvm.fabs.f64(double %xd)
  %big = fcmp ogt double %a, 20.0
  %ac = select i1 %big, double 20.0, double %a
  %y = fmul double %ac, 2.0
  %em = call double @mlc_vm_expm1_d(double %y)
  %den = fadd double %em, 2.0
  %t = fdiv double %em, %den
  %s = call double @llvm.copysign.f64(double %t, double %xd)
  %r = fptrunc double %s to float
  ret float %r
}
"""),
}

_FLOAT32[FAST_EXP] = ([], _fast_expf())

_HELPERS = {
    "mlc_vm_exp_d": ([], _exp_d()),
    "mlc_vm_log_d": ([], _log_d()),
    "mlc_vm_expm1_d": (["mlc_vm_exp_d"], _expm1_d()),
}

# intrinsics the definitions call: declared unless the module already does
_INTRINSICS = {
    "llvm.fabs.f64": "declare double @llvm.fabs.f64(double)\n",
    "llvm.copysign.f64": "declare double @llvm.copysign.f64(double, double)\n",
    "llvm.rint.f32": "declare float @llvm.rint.f32(float)\n",
}

# ---------------------------------------------------------------------------
# sin, cos: libmvec through the vector-function ABI (VFABI)
# ---------------------------------------------------------------------------

#: libmvec variants by x86 ISA letter: (letter, lanes for float32, CPU feature needed)
_MVEC_ISAS = (("b", 4, "sse4.2"), ("d", 8, "avx2"), ("e", 16, "avx512f"))


def _libm_call(name: str, mvec_isas: list[tuple[str, int]]) -> tuple[str, list[str]]:
    """`mlc_vm_<name>f`: a call of libm's `<name>f`, with the VFABI variants available here."""
    scalar = f"mlc_libm_{name}f"
    attrs = "nounwind willreturn memory(none)"
    decls = [f"declare float @{scalar}(float)"]
    used = []
    if mvec_isas:
        variants = ",".join(f"_ZGV_LLVM_N{n}v_{scalar}(_ZGV{isa}N{n}v_{name}f)" for isa, n in mvec_isas)
        attrs += f' "vector-function-abi-variant"="{variants}"'
        for isa, n in mvec_isas:
            decls.append(f"declare <{n} x float> @_ZGV{isa}N{n}v_{name}f(<{n} x float>)")
            used.append(f"ptr @_ZGV{isa}N{n}v_{name}f")
    text = "\n".join(decls) + f"""
define internal float @mlc_vm_{name}f(float %x) alwaysinline nounwind {{
  %r = call float @{scalar}(float %x) {attrs}
  ret float %r
}}
"""
    return text, used


# ---------------------------------------------------------------------------
# Linking into a module's IR text
# ---------------------------------------------------------------------------

_DECLARE = re.compile(r'^declare [^@\n]*@"?(mlc_vm_[A-Za-z0-9_]+)"?\(.*$', re.MULTILINE)


def link(ir_text: str, target: Target = GENERIC_CPU) -> str:
    """Replace the `mlc_vm_*` declarations in `ir_text` by their definitions.

    sin/cos may call the libmvec variants that `target` has (`mvec_isas`);
    the machine is never probed here.
    """
    wanted = set(_DECLARE.findall(ir_text))
    if not wanted:
        return ir_text
    text = _DECLARE.sub("", ir_text)
    parts: list[str] = []
    compiler_used: list[str] = []
    done: set[str] = set()

    def add(name: str) -> None:
        if name in done:
            return
        done.add(name)
        if name in _FLOAT32 or name in _HELPERS:
            deps, body = (_FLOAT32.get(name) or _HELPERS[name])
            for dep in deps:
                add(dep)
            parts.append(body)
        elif name in ("mlc_vm_sinf", "mlc_vm_cosf"):
            body, used = _libm_call(name[len("mlc_vm_"):-1], mvec_isas(target))
            parts.append(body)
            compiler_used.extend(used)
        else:
            raise KeyError(f"vecmath: no function @{name}")

    for name in sorted(wanted):
        add(name)
    for name, decl in _INTRINSICS.items():
        if not re.search(rf'^declare [^\n]*@"?{re.escape(name)}"?\(', text, re.MULTILINE):
            parts.insert(0, decl)
    if compiler_used:
        # keeps the vector variants' declarations alive until the loop vectorizer runs
        parts.append(f"@llvm.compiler.used = appending global [{len(compiler_used)} x ptr] "
                     f"[{', '.join(compiler_used)}], section \"llvm.metadata\"\n")
    return text + "\n" + "\n".join(parts)


def mvec_isas(target: Target) -> list[tuple[str, int]]:
    """The libmvec float32 variants `target` can call ((ISA letter, lanes)); none without libmvec."""
    if not target.libmvec:
        return []
    return [(isa, n) for isa, n, feature in _MVEC_ISAS if target.has_feature(feature)]
