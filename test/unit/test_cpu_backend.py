"""The CPU path from the loop level down: lower_loops_to_llvm + the llvmlite JIT.

Hand-written loop-level modules (what bufferization hands over) are lowered,
compiled and run on numpy arrays, and compared with numpy: elementwise and
reduction kernels, every arith integer/float op and cast including the
cases LLVM leaves undefined (division by zero, INT_MIN / -1, NaN -> int,
over-wide shifts), i1 memrefs, 0-d and empty memrefs, every math op in f32
and f64, allocation, views, calls, scf.parallel and cf.switch.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from xdsl.context import Context
from xdsl.dialects import func, get_all_dialects
from xdsl.parser import Parser

from mlc.dialects.blas import Blas
from mlc.compile.pipeline import lower_loops_to_llvm
from mlc.runtime.cpu import CompiledModule, compile_module, llvm_ir_text

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def context() -> Context:
    ctx = Context()
    for name, load in get_all_dialects().items():
        ctx.register_dialect(name, load)
    ctx.load_dialect(Blas)
    return ctx


def compile_loops(text: str) -> CompiledModule:
    """Parse a loop-level module, lower it to llvm, JIT it; expose its public funcs."""
    module = Parser(context(), text).parse_module()
    module.verify()
    names = [
        op.sym_name.data
        for op in module.ops
        if isinstance(op, func.FuncOp) and op.sym_visibility is None and not op.is_declaration
    ]
    lower_loops_to_llvm(module)
    module.verify()
    return compile_module(module, names)


ID1 = "affine_map<(i) -> (i)>"
NP = {"f32": np.float32, "f64": np.float64, "i8": np.int8, "i16": np.int16, "i32": np.int32,
      "i64": np.int64, "i1": np.bool_}


def elementwise(name: str, ins: list[str], out: str, body: str, rank: int = 1) -> str:
    """A linalg.generic over same-shaped ?-memrefs; `body` uses %x0.. and defines %r."""
    shape = "?x" * rank
    dims = ", ".join(f"d{k}" for k in range(rank))
    idmap = f"affine_map<({dims}) -> ({dims})>"
    args = ", ".join(f"%a{k}: memref<{shape}{t}>" for k, t in enumerate(ins))
    names = ", ".join(f"%a{k}" for k in range(len(ins)))
    types = ", ".join(f"memref<{shape}{t}>" for t in ins)
    block_args = ", ".join(f"%x{k}: {t}" for k, t in enumerate(ins))
    maps = ", ".join([idmap] * (len(ins) + 1))
    iters = ", ".join(['"parallel"'] * rank)
    return f"""
func.func @{name}({args}, %out: memref<{shape}{out}>) {{
  linalg.generic {{indexing_maps = [{maps}], iterator_types = [{iters}]}}
      ins({names} : {types}) outs(%out : memref<{shape}{out}>) {{
  ^bb0({block_args}, %unused: {out}):
    {body}
    linalg.yield %r : {out}
  }}
  func.return
}}
"""


def assert_ulp_close(got: np.ndarray, want: np.ndarray, ulps: float, what: str = "") -> None:
    """|got - want| <= ulps * spacing(want), with NaN and infinities matched exactly."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan, err_msg=f"{what}: NaN positions")
    finite = np.isfinite(want)
    np.testing.assert_array_equal(got[~finite & ~nan], want[~finite & ~nan], err_msg=what)
    g, w = got[finite].astype(np.float64), want[finite]
    tol = ulps * np.spacing(np.abs(w)).astype(np.float64)
    bad = np.abs(g - w.astype(np.float64)) > tol
    assert not bad.any(), f"{what}: {np.count_nonzero(bad)} values off, e.g. x -> {g[bad][:4]} want {w[bad][:4]}"


# ---------------------------------------------------------------------------
# Elementwise and reductions
# ---------------------------------------------------------------------------

EXP_ADD = """
func.func @exp_add(%a: memref<?xf32>, %b: memref<?xf32>, %o: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%a, %b : memref<?xf32>, memref<?xf32>) outs(%o : memref<?xf32>) {
  ^bb0(%x: f32, %y: f32, %unused: f32):
    %e = math.exp %x : f32
    %s = arith.addf %e, %y : f32
    linalg.yield %s : f32
  }
  func.return
}
"""


@pytest.fixture(scope="module")
def exp_add() -> CompiledModule:
    return compile_loops(EXP_ADD)


@pytest.mark.parametrize("n", [0, 1, 7, 1003])
def test_exp_add(exp_add, n):
    rng = np.random.default_rng(n)
    a = rng.uniform(-5, 5, n).astype(np.float32)
    b = rng.uniform(-5, 5, n).astype(np.float32)
    out = np.full(n, np.nan, np.float32)
    exp_add.call("exp_add", [a, b, out])
    assert_ulp_close(out, np.exp(a.astype(np.float64)).astype(np.float32) + b, 1)


def test_callable_and_argument_checks(exp_add):
    a = np.ones(4, np.float32)
    out = np.empty(4, np.float32)
    exp_add["exp_add"](a, a, out)
    np.testing.assert_allclose(out, np.e + 1, rtol=1e-6)
    with pytest.raises(TypeError, match="dtype float32"):
        exp_add.call("exp_add", [a.astype(np.float64), a, out])
    with pytest.raises(ValueError, match="rank 1"):
        exp_add.call("exp_add", [a.reshape(2, 2), a, out])
    with pytest.raises(ValueError, match="C-contiguous"):
        exp_add.call("exp_add", [np.ones(8, np.float32)[::2], a, out])
    with pytest.raises(TypeError, match="expected 3 arrays"):
        exp_add.call("exp_add", [a, a])


def test_simple_loop_vectorizes(exp_add):
    # O3 for the host CPU: the exp+add loop becomes a vector loop.
    assert "<4 x float>" in exp_add.ir or "<8 x float>" in exp_add.ir or "<16 x float>" in exp_add.ir
    assert "define void @exp_add" in exp_add.ir


def test_compile_from_llvm_ir_text():
    module = Parser(context(), EXP_ADD).parse_module()
    lower_loops_to_llvm(module)
    c = compile_module(llvm_ir_text(module, optimized=False), ["exp_add"])
    assert c.signatures["exp_add"].args[0].rank == 1
    a = np.zeros(3, np.float32)
    out = np.empty(3, np.float32)
    c.call("exp_add", [a, a, out])
    np.testing.assert_array_equal(out, 1.0)


def test_llvm_ir_text_shows_final_ir():
    module = Parser(context(), EXP_ADD).parse_module()
    lower_loops_to_llvm(module)
    text = llvm_ir_text(module)
    assert "define void @exp_add(ptr noalias" in text
    assert "vector.body" in text
    raw = llvm_ir_text(module, optimized=False)
    # float32 exp calls mlc's vector math library, linked into the text (mlc.lowering.convert_to_llvm.vecmath)
    assert "define internal float @mlc_vm_expf" in raw and "vector.body" not in raw


ROW_SUM = """
func.func @row_sum(%a: memref<?x?xf32>, %o: memref<?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<?x?xf32>) outs(%o : memref<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  func.return
}
func.func @col_max(%a: memref<?x5xf64>, %o: memref<5xf64>) {
  %ninf = arith.constant 0xFFF0000000000000 : f64
  linalg.fill ins(%ninf : f64) outs(%o : memref<5xf64>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<?x5xf64>) outs(%o : memref<5xf64>) {
  ^bb0(%x: f64, %acc: f64):
    %m = arith.maximumf %acc, %x : f64
    linalg.yield %m : f64
  }
  func.return
}
"""


@pytest.mark.parametrize("shape", [(3, 4), (0, 4), (4, 0), (17, 33)])
def test_2d_reductions(shape):
    c = compile_loops(ROW_SUM)
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = np.full(shape[0], np.nan, np.float32)
    c.call("row_sum", [a, out])
    np.testing.assert_allclose(out, a.sum(axis=1), rtol=1e-5, atol=1e-5)
    b = np.random.default_rng(1).standard_normal((shape[0], 5))
    if shape[0]:
        b[0, 2] = np.nan
    m = np.empty(5)
    c.call("col_max", [b, m])
    np.testing.assert_array_equal(m, b.max(axis=0, initial=-np.inf))
    with pytest.raises(ValueError, match="size 5 in dimension 1"):
        c.call("col_max", [np.zeros((2, 4)), m])


# ---------------------------------------------------------------------------
# Integer arithmetic: defined results where LLVM would trap or go poison
# ---------------------------------------------------------------------------

INT_BINARY = {
    "divsi": "arith.divsi",
    "remsi": "arith.remsi",
    "divui": "arith.divui",
    "remui": "arith.remui",
    "floordivsi": "arith.floordivsi",
    "ceildivsi": "arith.ceildivsi",
    "ceildivui": "arith.ceildivui",
    "shli": "arith.shli",
    "shrsi": "arith.shrsi",
    "shrui": "arith.shrui",
    "maxsi": "arith.maxsi",
    "minui": "arith.minui",
    "addi": "arith.addi",
    "muli": "arith.muli",
    "xori": "arith.xori",
}


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _ref_int(op: str, a: int, b: int, bits: int) -> int:
    """mlc's definition of each op on Python ints (then wrapped to `bits`)."""
    mask = (1 << bits) - 1
    ua, ub = a & mask, b & mask
    if op in ("divsi", "floordivsi", "ceildivsi", "remsi") and b == 0:
        return 0
    if op in ("divui", "remui", "ceildivui") and ub == 0:
        return 0
    match op:
        case "divsi":
            return _trunc_div(a, b)
        case "remsi":
            return a - b * _trunc_div(a, b)
        case "floordivsi":
            return a // b
        case "ceildivsi":
            return -((-a) // b)
        case "divui":
            return ua // ub
        case "remui":
            return ua % ub
        case "ceildivui":
            return -((-ua) // ub)
        case "shli":
            return 0 if ub >= bits else a << ub
        case "shrsi":
            return (-1 if a < 0 else 0) if ub >= bits else a >> ub
        case "shrui":
            return 0 if ub >= bits else ua >> ub
        case "maxsi":
            return max(a, b)
        case "minui":
            return min(ua, ub)
        case "addi":
            return a + b
        case "muli":
            return a * b
        case "xori":
            return a ^ b
    raise AssertionError(op)


def _wrap(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


@pytest.mark.parametrize("t", ["i8", "i32", "i64"])
def test_integer_ops(t):
    bits = int(t[1:])
    dtype = NP[t]
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    special = [lo, hi, -1, 0, 1, 2, 3, -3, 7, -7, lo + 1, bits - 1, bits, bits + 3]
    pairs = [(a, b) for a in special for b in special]
    rng = np.random.default_rng(bits)
    pairs += [(int(x), int(y)) for x, y in rng.integers(lo, hi, (200, 2), dtype=dtype, endpoint=True)]
    a = np.array([p[0] for p in pairs], dtype)
    b = np.array([p[1] for p in pairs], dtype)
    text = "".join(
        elementwise(name, [t, t], t, f"%r = {op} %x0, %x1 : {t}") for name, op in INT_BINARY.items()
    )
    c = compile_loops(text)
    for name in INT_BINARY:
        out = np.zeros_like(a)
        c.call(name, [a, b, out])
        want = np.array([_wrap(_ref_int(name, int(x), int(y), bits), bits) for x, y in pairs], dtype)
        bad = np.nonzero(out != want)[0]
        assert bad.size == 0, f"{name}({a[bad[0]]}, {b[bad[0]]}) = {out[bad[0]]}, want {want[bad[0]]}"


def test_negative_floor_division_matches_numpy():
    c = compile_loops(
        elementwise("floordiv", ["i32", "i32"], "i32", "%r = arith.floordivsi %x0, %x1 : i32")
        + elementwise("cmod", ["i32", "i32"], "i32", "%r = arith.remsi %x0, %x1 : i32")
    )
    a = np.array([-7, 7, -7, 7, -1, 0, -6, 5], np.int32)
    b = np.array([2, -2, -2, 2, 3, -5, 3, -10], np.int32)
    out = np.empty_like(a)
    c.call("floordiv", [a, b, out])
    np.testing.assert_array_equal(out, a // b)
    c.call("cmod", [a, b, out])
    np.testing.assert_array_equal(out, np.fmod(a, b))


def test_unsigned_compare_and_select():
    text = elementwise(
        "ult",
        ["i32", "i32"],
        "i32",
        "%c = arith.cmpi ult, %x0, %x1 : i32\n    %r = arith.select %c, %x0, %x1 : i32",
    ) + elementwise("uge", ["i32", "i32"], "i1", "%r = arith.cmpi uge, %x0, %x1 : i32")
    c = compile_loops(text)
    a = np.array([-1, 1, 0, -5, 2**31 - 1, -(2**31)], np.int32)
    b = np.array([1, -1, 0, -4, -(2**31), 5], np.int32)
    out = np.empty_like(a)
    c.call("ult", [a, b, out])
    ua, ub = a.view(np.uint32), b.view(np.uint32)
    np.testing.assert_array_equal(out.view(np.uint32), np.minimum(ua, ub))
    flags = np.empty(a.shape, np.bool_)
    c.call("uge", [a, b, flags])
    np.testing.assert_array_equal(flags, ua >= ub)


FLOAT_BINARY = {
    "addf": np.add,
    "subf": np.subtract,
    "mulf": np.multiply,
    "divf": np.divide,
    "maxnumf": np.fmax,  # NaN-ignoring
    "minnumf": np.fmin,
    "maximumf": np.maximum,  # NaN-propagating
    "minimumf": np.minimum,
}

CMPF = {
    "oeq": lambda a, b: a == b,
    "one": lambda a, b: (a != b) & ~np.isnan(a) & ~np.isnan(b),
    "olt": np.less,
    "ole": np.less_equal,
    "ogt": np.greater,
    "oge": np.greater_equal,
    "ord": lambda a, b: ~np.isnan(a) & ~np.isnan(b),
    "ueq": lambda a, b: (a == b) | np.isnan(a) | np.isnan(b),
    "une": np.not_equal,
    "ult": lambda a, b: ~(a >= b),
    "ule": lambda a, b: ~(a > b),
    "ugt": lambda a, b: ~(a <= b),
    "uge": lambda a, b: ~(a < b),
    "uno": lambda a, b: np.isnan(a) | np.isnan(b),
    "false": lambda a, b: np.zeros(a.shape, bool),
    "true": lambda a, b: np.ones(a.shape, bool),
}


@pytest.mark.parametrize("t", ["f32", "f64"])
def test_float_arith_and_compare(t):
    text = "".join(elementwise(n, [t, t], t, f"%r = arith.{n} %x0, %x1 : {t}") for n in FLOAT_BINARY)
    text += "".join(
        elementwise(f"cmp_{p}", [t, t], "i1", f"%r = arith.cmpf {p}, %x0, %x1 : {t}") for p in CMPF
    )
    c = compile_loops(text)
    values = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan], NP[t])
    a, b = (v.ravel() for v in np.meshgrid(values, values))
    for name, ref in FLOAT_BINARY.items():
        out = np.empty_like(a)
        c.call(name, [a, b, out])
        with np.errstate(all="ignore"):
            want = ref(a, b)
        np.testing.assert_array_equal(out, want, err_msg=name)
    for p, ref in CMPF.items():
        flags = np.empty(a.shape, np.bool_)
        c.call(f"cmp_{p}", [a, b, flags])
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(flags, ref(a, b), err_msg=p)


# ---------------------------------------------------------------------------
# Casts
# ---------------------------------------------------------------------------

CASTS = [
    # name, in, out, op
    ("fptosi_f32_i32", "f32", "i32", "arith.fptosi %x0 : f32 to i32"),
    ("fptosi_f64_i8", "f64", "i8", "arith.fptosi %x0 : f64 to i8"),
    ("fptosi_f64_i64", "f64", "i64", "arith.fptosi %x0 : f64 to i64"),
    ("fptoui_f32_i32", "f32", "i32", "arith.fptoui %x0 : f32 to i32"),
    ("sitofp_i64_f32", "i64", "f32", "arith.sitofp %x0 : i64 to f32"),
    ("uitofp_i64_f64", "i64", "f64", "arith.uitofp %x0 : i64 to f64"),
    ("uitofp_i64_f32", "i64", "f32", "arith.uitofp %x0 : i64 to f32"),
    ("uitofp_i32_f32", "i32", "f32", "arith.uitofp %x0 : i32 to f32"),
    ("uitofp_i8_f64", "i8", "f64", "arith.uitofp %x0 : i8 to f64"),
    ("sitofp_i1_f32", "i1", "f32", "arith.sitofp %x0 : i1 to f32"),
    ("uitofp_i1_f64", "i1", "f64", "arith.uitofp %x0 : i1 to f64"),
    ("extf_f32_f64", "f32", "f64", "arith.extf %x0 : f32 to f64"),
    ("truncf_f64_f32", "f64", "f32", "arith.truncf %x0 : f64 to f32"),
    ("extsi_i8_i32", "i8", "i32", "arith.extsi %x0 : i8 to i32"),
    ("extui_i8_i32", "i8", "i32", "arith.extui %x0 : i8 to i32"),
    ("extui_i1_i32", "i1", "i32", "arith.extui %x0 : i1 to i32"),
    ("trunci_i64_i16", "i64", "i16", "arith.trunci %x0 : i64 to i16"),
    ("bitcast_f32_i32", "f32", "i32", "arith.bitcast %x0 : f32 to i32"),
]


def _sat(values: np.ndarray, dtype, unsigned: bool = False) -> np.ndarray:
    """Saturating float -> int: NaN -> 0, out of range -> the nearest bound."""
    info = np.iinfo(np.dtype(dtype).name.replace("int", "uint") if unsigned else dtype)
    v = np.where(np.isnan(values), 0, np.trunc(values.astype(np.float64)))
    out = [info.min if x <= info.min else info.max if x >= info.max else int(x) for x in v]
    return np.array(out, dtype=object)


@pytest.fixture(scope="module")
def casts() -> CompiledModule:
    text = "".join(elementwise(n, [i], o, f"%r = {op}") for n, i, o, op in CASTS)
    text += elementwise(
        "index_roundtrip",
        ["i32"],
        "i64",
        "%i = arith.index_cast %x0 : i32 to index\n    %r = arith.index_cast %i : index to i64",
    )
    return compile_loops(text)


def _run(c, name, x, out_dtype):
    out = np.zeros(x.shape, out_dtype)
    c.call(name, [x, out])
    return out


def test_float_to_int_saturates(casts):
    f = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, 2.7, -2.7, 0.5, -0.5, 127.9, -128.9, 300.0])
    got = _run(casts, "fptosi_f32_i32", f.astype(np.float32), np.int32)
    np.testing.assert_array_equal(got, _sat(f.astype(np.float32), np.int32).astype(np.int32))
    got = _run(casts, "fptosi_f64_i8", f, np.int8)
    np.testing.assert_array_equal(got, _sat(f, np.int8).astype(np.int8))
    got = _run(casts, "fptosi_f64_i64", np.array([np.nan, 1e300, -1e300, 2.0**62]), np.int64)
    np.testing.assert_array_equal(got, [0, 2**63 - 1, -(2**63), 2**62])
    got = _run(casts, "fptoui_f32_i32", f.astype(np.float32), np.int32).view(np.uint32)
    np.testing.assert_array_equal(got, _sat(f.astype(np.float32), np.int32, unsigned=True).astype(np.uint32))


def test_int_to_float(casts):
    u64 = np.array([0, 1, 2**53 + 1, 2**63, 2**63 + 2**11 + 1, 2**64 - 1, 12345, 2**64 - 2**10], np.uint64)
    got = _run(casts, "uitofp_i64_f64", u64.view(np.int64), np.float64)
    np.testing.assert_array_equal(got, u64.astype(np.float64))
    got = _run(casts, "uitofp_i64_f32", u64.view(np.int64), np.float32)
    np.testing.assert_array_equal(got, u64.astype(np.float32))
    u32 = np.array([0, 1, 2**31, 2**32 - 1, 2**24 + 1], np.uint32)
    got = _run(casts, "uitofp_i32_f32", u32.view(np.int32), np.float32)
    np.testing.assert_array_equal(got, u32.astype(np.float32))
    got = _run(casts, "uitofp_i8_f64", np.array([-1, 5, -128], np.int8), np.float64)
    np.testing.assert_array_equal(got, [255.0, 5.0, 128.0])
    i64 = np.array([-(2**63), 2**53 + 1, -7], np.int64)
    np.testing.assert_array_equal(_run(casts, "sitofp_i64_f32", i64, np.float32), i64.astype(np.float32))
    b = np.array([True, False])
    np.testing.assert_array_equal(_run(casts, "sitofp_i1_f32", b, np.float32), [-1.0, 0.0])
    np.testing.assert_array_equal(_run(casts, "uitofp_i1_f64", b, np.float64), [1.0, 0.0])


def test_other_casts(casts):
    x = np.array([1.5, -2.25, np.nan, np.inf, 1e-40], np.float32)
    np.testing.assert_array_equal(_run(casts, "extf_f32_f64", x, np.float64), x.astype(np.float64))
    d = np.array([1e300, 1 / 3, -0.0, 1e-50])
    with np.errstate(over="ignore"):
        want = d.astype(np.float32)
    np.testing.assert_array_equal(_run(casts, "truncf_f64_f32", d, np.float32), want)
    i8 = np.array([-128, -1, 0, 127], np.int8)
    np.testing.assert_array_equal(_run(casts, "extsi_i8_i32", i8, np.int32), i8.astype(np.int32))
    np.testing.assert_array_equal(_run(casts, "extui_i8_i32", i8, np.int32), i8.view(np.uint8))
    np.testing.assert_array_equal(_run(casts, "extui_i1_i32", np.array([True, False]), np.int32), [1, 0])
    i64 = np.array([2**40 + 5, -1, 70000], np.int64)
    np.testing.assert_array_equal(_run(casts, "trunci_i64_i16", i64, np.int16), i64.astype(np.int16))
    np.testing.assert_array_equal(_run(casts, "bitcast_f32_i32", x, np.int32), x.view(np.int32))
    i32 = np.array([-5, 2**31 - 1], np.int32)
    np.testing.assert_array_equal(_run(casts, "index_roundtrip", i32, np.int64), i32.astype(np.int64))


# ---------------------------------------------------------------------------
# i1 memrefs, 0-d and empty memrefs
# ---------------------------------------------------------------------------


def test_bool_memrefs_are_bytes():
    # An i1 element occupies one byte holding 0/1: numpy's bool layout.
    body = """%gt = arith.cmpf ogt, %x2, %zero : f32
    %ab = arith.xori %x0, %x1 : i1
    %r = arith.ori %ab, %gt : i1"""
    text = elementwise("bools", ["i1", "i1", "f32"], "i1", body).replace(
        "  ^bb0", "  ^bb0"
    ).replace("linalg.generic", "%zero = arith.constant 0.0 : f32\n  linalg.generic", 1)
    text += elementwise("pick", ["i1", "f32"], "f32", "%n = arith.negf %x1 : f32\n    %r = arith.select %x0, %x1, %n : f32")
    c = compile_loops(text)
    rng = np.random.default_rng(3)
    a, b = rng.random(65) > 0.5, rng.random(65) > 0.5
    x = rng.standard_normal(65).astype(np.float32)
    out = np.empty(65, np.bool_)
    c.call("bools", [a, b, x, out])
    np.testing.assert_array_equal(out, (a ^ b) | (x > 0))
    assert set(np.unique(out.view(np.uint8))) <= {0, 1}
    picked = np.empty(65, np.float32)
    c.call("pick", [a, x, picked])
    np.testing.assert_array_equal(picked, np.where(a, x, -x))
    # any non-zero byte reads as true
    weird = np.array([0, 1, 2, 255], np.uint8).view(np.bool_)
    picked = np.empty(4, np.float32)
    c.call("pick", [weird, np.ones(4, np.float32), picked])
    np.testing.assert_array_equal(picked, [-1, 1, 1, 1])


ZERO_D = """
func.func @scalar(%a: memref<f32>, %b: memref<f64>, %flag: memref<i1>, %o: memref<f64>) {
  %x = memref.load %a[] : memref<f32>
  %y = memref.load %b[] : memref<f64>
  %f = memref.load %flag[] : memref<i1>
  %xd = arith.extf %x : f32 to f64
  %p = arith.mulf %xd, %y : f64
  %n = arith.negf %p : f64
  %r = arith.select %f, %p, %n : f64
  memref.store %r, %o[] : memref<f64>
  func.return
}
"""


def test_zero_d_memrefs():
    c = compile_loops(ZERO_D)
    out = np.zeros((), np.float64)
    c.call("scalar", [np.array(1.5, np.float32), np.array(-4.0), np.array(True), out])
    assert out == -6.0
    c.call("scalar", [np.array(1.5, np.float32), np.array(-4.0), np.array(False), out])
    assert out == 6.0


def test_empty_memrefs():
    for shape in [(0,), (0, 3), (3, 0)]:
        c = compile_loops(elementwise("neg", ["f64"], "f64", "%r = arith.negf %x0 : f64", rank=len(shape)))
        a = np.zeros(shape)
        out = np.zeros(shape)
        c.call("neg", [a, out])
        assert out.shape == shape


# ---------------------------------------------------------------------------
# math: every op vs numpy, f32 and f64
# ---------------------------------------------------------------------------

RNG = np.random.default_rng(42)


def _domain(lo: float, hi: float, n: int = 400) -> np.ndarray:
    return RNG.uniform(lo, hi, n)


def _round_half_away(x):
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))


# name -> (op, numpy reference on float64, input domain, ulps)
UNARY_MATH = {
    "exp": ("math.exp", np.exp, (-20, 20), 2),
    "exp2": ("math.exp2", np.exp2, (-30, 30), 2),
    "expm1": ("math.expm1", np.expm1, (-5, 5), 2),
    "log": ("math.log", np.log, (1e-3, 1e3), 2),
    "log2": ("math.log2", np.log2, (1e-3, 1e3), 2),
    "log10": ("math.log10", np.log10, (1e-3, 1e3), 2),
    "log1p": ("math.log1p", np.log1p, (-0.9, 10), 2),
    "sqrt": ("math.sqrt", np.sqrt, (0, 1e4), 1),
    "rsqrt": ("math.rsqrt", lambda x: 1 / np.sqrt(x), (1e-3, 1e4), 2),
    "sin": ("math.sin", np.sin, (-10, 10), 2),
    "cos": ("math.cos", np.cos, (-10, 10), 2),
    "tan": ("math.tan", np.tan, (-1.5, 1.5), 2),
    "asin": ("math.asin", np.arcsin, (-1, 1), 2),
    "acos": ("math.acos", np.arccos, (-1, 1), 2),
    "atan": ("math.atan", np.arctan, (-10, 10), 2),
    "sinh": ("math.sinh", np.sinh, (-10, 10), 2),
    "cosh": ("math.cosh", np.cosh, (-10, 10), 2),
    "tanh": ("math.tanh", np.tanh, (-10, 10), 2),
    "asinh": ("math.asinh", np.arcsinh, (-10, 10), 2),
    "acosh": ("math.acosh", np.arccosh, (1, 10), 2),
    "atanh": ("math.atanh", np.arctanh, (-0.99, 0.99), 2),
    "erf": ("math.erf", scipy.special.erf, (-4, 4), 2),
    "cbrt": ("math.cbrt", np.cbrt, (-100, 100), 2),
    "floor": ("math.floor", np.floor, (-10, 10), 0),
    "ceil": ("math.ceil", np.ceil, (-10, 10), 0),
    "round": ("math.round", _round_half_away, (-10, 10), 0),
    "roundeven": ("math.roundeven", np.rint, (-10, 10), 0),
    "trunc": ("math.trunc", np.trunc, (-10, 10), 0),
    "absf": ("math.absf", np.abs, (-10, 10), 0),
}

BINARY_MATH = {
    "powf": ("math.powf", np.power, (0.01, 5), (-5, 5), 2),
    "atan2": ("math.atan2", np.arctan2, (-5, 5), (-5, 5), 2),
    "copysign": ("math.copysign", np.copysign, (-5, 5), (-5, 5), 0),
}

EDGES = np.array([0.0, -0.0, 0.5, -0.5, 1.5, -2.5, np.inf, -np.inf, np.nan])


@pytest.fixture(scope="module", params=["f32", "f64"])
def math_module(request):
    t = request.param
    text = "".join(
        elementwise(f"m_{name}", [t], t, f"%r = {op} %x0 : {t}")
        for name, (op, *_rest) in UNARY_MATH.items()
    )
    text += "".join(
        elementwise(f"m_{name}", [t, t], t, f"%r = {op} %x0, %x1 : {t}")
        for name, (op, *_rest) in BINARY_MATH.items()
    )
    text += elementwise("m_fma", [t, t, t], t, f"%r = math.fma %x0, %x1, %x2 : {t}")
    text += elementwise("fpowi", [t, "i32"], t, f"%r = math.fpowi %x0, %x1 : {t}, i32")
    return t, compile_loops(text)


@pytest.mark.parametrize("name", list(UNARY_MATH))
def test_unary_math(math_module, name):
    t, c = math_module
    dtype = NP[t]
    _, ref, (lo, hi), ulps = UNARY_MATH[name]
    x = np.concatenate([_domain(lo, hi), EDGES]).astype(dtype)
    out = np.empty_like(x)
    c.call(f"m_{name}", [x, out])
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64)).astype(dtype)
    assert_ulp_close(out, want, ulps, f"{name} {t}")


@pytest.mark.parametrize("name", list(BINARY_MATH))
def test_binary_math(math_module, name):
    t, c = math_module
    dtype = NP[t]
    _, ref, da, db, ulps = BINARY_MATH[name]
    x = _domain(*da).astype(dtype)
    y = _domain(*db).astype(dtype)
    out = np.empty_like(x)
    c.call(f"m_{name}", [x, y, out])
    want = ref(x.astype(np.float64), y.astype(np.float64)).astype(dtype)
    assert_ulp_close(out, want, ulps, f"{name} {t}")


def test_fma_and_fpowi(math_module):
    t, c = math_module
    dtype = NP[t]
    x, y, z = (_domain(-3, 3).astype(dtype) for _ in range(3))
    out = np.empty_like(x)
    c.call("m_fma", [x, y, z, out])
    want = (x.astype(np.longdouble) * y + z).astype(dtype)
    assert_ulp_close(out, want, 1, f"fma {t}")
    n = RNG.integers(-6, 7, x.shape).astype(np.int32)
    c.call("fpowi", [x, n, out])
    want = np.power(x.astype(np.float64), n.astype(np.float64)).astype(dtype)
    assert_ulp_close(out, want, 2, f"fpowi {t}")


def test_integer_math():
    text = "".join(
        elementwise(name, ["i32"], "i32", f"%r = {op} %x0 : i32")
        for name, op in [("absi", "math.absi"), ("ctlz", "math.ctlz"), ("cttz", "math.cttz"), ("ctpop", "math.ctpop")]
    )
    text += elementwise("ipowi", ["i32", "i32"], "i32", "%r = math.ipowi %x0, %x1 : i32")
    c = compile_loops(text)
    x = np.array([0, 1, -1, 5, -(2**31), 2**31 - 1, 12, -12], np.int32)
    out = np.empty_like(x)
    c.call("absi", [x, out])
    np.testing.assert_array_equal(out, np.abs(x))  # abs(INT_MIN) wraps, like numpy
    u = x.view(np.uint32)
    c.call("ctpop", [x, out])
    np.testing.assert_array_equal(out, [bin(int(v)).count("1") for v in u])
    c.call("ctlz", [x, out])
    np.testing.assert_array_equal(out, [32 - int(v).bit_length() for v in u])
    c.call("cttz", [x, out])
    np.testing.assert_array_equal(out, [32 if v == 0 else (int(v) & -int(v)).bit_length() - 1 for v in u])
    base = np.array([2, -3, 7, 0, 1, -1, -1, 5, 2, 0, 3], np.int32)
    exp = np.array([10, 3, 0, 0, -4, -3, -2, -1, 31, 5, 40], np.int32)
    out = np.empty_like(base)
    c.call("ipowi", [base, exp, out])
    want = [
        (1 if b == 1 else (-1 if e % 2 else 1) if b == -1 else 0) if e < 0 else _wrap(int(b) ** int(e), 32)
        for b, e in zip(base, exp)
    ]
    np.testing.assert_array_equal(out, want)


# ---------------------------------------------------------------------------
# memory: alloc/dealloc, views, copies, globals
# ---------------------------------------------------------------------------

MEMORY = """
func.func @temp(%a: memref<?xf32>, %o: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  %t = memref.alloc(%n) : memref<?xf32>
  %small = memref.alloc() : memref<4xf32>
  %two = arith.constant 2.0 : f32
  %one = arith.constant 1.0 : f32
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %t[%i] : memref<?xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %k = arith.remui %i, %c1 : index
    memref.store %one, %small[%k] : memref<4xf32>
    %s = memref.load %small[%k] : memref<4xf32>
    %y = memref.load %t[%i] : memref<?xf32>
    %z = arith.addf %y, %s : f32
    memref.store %z, %o[%i] : memref<?xf32>
  }
  memref.dealloc %small : memref<4xf32>
  memref.dealloc %t : memref<?xf32>
  func.return
}
func.func @window(%a: memref<?x?xf32>, %o: memref<2x3xf32>) {
  %v = memref.subview %a[1, 0] [2, 3] [1, 2] : memref<?x?xf32> to memref<2x3xf32, strided<[?, 2], offset: ?>>
  "memref.copy"(%v, %o) : (memref<2x3xf32, strided<[?, 2], offset: ?>>, memref<2x3xf32>) -> ()
  func.return
}
func.func @row(%a: memref<4x5xf64>, %o: memref<5xf64>) {
  %r = memref.subview %a[2, 0] [1, 5] [1, 1] : memref<4x5xf64> to memref<5xf64, strided<[1], offset: 10>>
  "memref.copy"(%r, %o) : (memref<5xf64, strided<[1], offset: 10>>, memref<5xf64>) -> ()
  func.return
}
func.func @corner(%a: memref<?x?xf32>, %o: memref<2x2xf32>) {
  // offset 0, but the row stride is the source's: not the identity layout
  %v = memref.subview %a[0, 0] [2, 2] [1, 1] : memref<?x?xf32> to memref<2x2xf32, strided<[?, 1]>>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x = memref.load %v[%c1, %c0] : memref<2x2xf32, strided<[?, 1]>>
  %y = memref.load %v[%c1, %c1] : memref<2x2xf32, strided<[?, 1]>>
  memref.store %x, %o[%c0, %c0] : memref<2x2xf32>
  memref.store %y, %o[%c1, %c1] : memref<2x2xf32>
  func.return
}
func.func @flat_copy(%a: memref<?x?xi16>, %o: memref<?x?xi16>) {
  "memref.copy"(%a, %o) : (memref<?x?xi16>, memref<?x?xi16>) -> ()
  func.return
}
func.func @reshaped(%a: memref<2x6xi32>, %o: memref<12xi32>) {
  %f = memref.collapse_shape %a [[0, 1]] : memref<2x6xi32> into memref<12xi32>
  %d = "memref.cast"(%f) : (memref<12xi32>) -> memref<?xi32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %d, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %d[%i] : memref<?xi32>
    memref.store %x, %o[%i] : memref<12xi32>
  }
  func.return
}
"memref.global"() <{sym_name = "table", sym_visibility = "private", type = memref<4xf32>,
                    initial_value = dense<[1.0, 2.0, 4.0, 8.0]> : tensor<4xf32>, constant}> : () -> ()
func.func @lookup(%idx: memref<?xi32>, %o: memref<?xf32>) {
  %t = "memref.get_global"() <{name = @table}> : () -> memref<4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %idx, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %k = memref.load %idx[%i] : memref<?xi32>
    %kk = arith.index_cast %k : i32 to index
    %v = memref.load %t[%kk] : memref<4xf32>
    memref.store %v, %o[%i] : memref<?xf32>
  }
  func.return
}
"""


@pytest.fixture(scope="module")
def memory() -> CompiledModule:
    return compile_loops(MEMORY)


def test_alloc_dealloc(memory):
    for n in (0, 5, 10000):
        a = np.arange(n, dtype=np.float32)
        out = np.zeros(n, np.float32)
        memory.call("temp", [a, out])
        np.testing.assert_array_equal(out, 2 * a + 1)


def test_views_and_copies(memory):
    a = np.arange(30, dtype=np.float32).reshape(5, 6)
    out = np.zeros((2, 3), np.float32)
    memory.call("window", [a, out])
    np.testing.assert_array_equal(out, a[1:3, 0:6:2])
    b = np.arange(20, dtype=np.float64).reshape(4, 5)
    row = np.zeros(5)
    memory.call("row", [b, row])
    np.testing.assert_array_equal(row, b[2])
    corner = np.zeros((2, 2), np.float32)
    memory.call("corner", [a, corner])
    np.testing.assert_array_equal(corner, [[a[1, 0], 0], [0, a[1, 1]]])
    s = np.arange(12, dtype=np.int16).reshape(3, 4)
    t = np.zeros_like(s)
    memory.call("flat_copy", [s, t])
    np.testing.assert_array_equal(s, t)
    m = np.arange(12, dtype=np.int32).reshape(2, 6)
    flat = np.zeros(12, np.int32)
    memory.call("reshaped", [m, flat])
    np.testing.assert_array_equal(flat, m.ravel())


def test_global_constant(memory):
    out = np.zeros(5, np.float32)
    memory.call("lookup", [np.array([3, 0, 1, 2, 3], np.int32), out])
    np.testing.assert_array_equal(out, [8, 1, 2, 4, 8])


# ---------------------------------------------------------------------------
# Calls, scf.parallel, cf.switch
# ---------------------------------------------------------------------------

CONTROL = """
func.func private @square(%x: f32) -> f32 {
  %y = arith.mulf %x, %x : f32
  func.return %y : f32
}
func.func private @fill(%m: memref<?xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %m, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.store %v, %m[%i] : memref<?xf32>
  }
  func.return
}
func.func @calls(%a: memref<f32>, %o: memref<?xf32>) {
  %x = memref.load %a[] : memref<f32>
  %s = func.call @square(%x) : (f32) -> f32
  func.call @fill(%o, %s) : (memref<?xf32>, f32) -> ()
  func.return
}
func.func @par_sum(%a: memref<?x?xf64>, %o: memref<f64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?x?xf64>
  %m = memref.dim %a, %c1 : memref<?x?xf64>
  %zero = arith.constant 0.0 : f64
  // (xDSL 0.74 has no custom format for scf.parallel)
  %sum = "scf.parallel"(%c0, %c0, %n, %m, %c1, %c1, %zero)
      <{operandSegmentSizes = array<i32: 2, 2, 2, 1>}> ({
  ^bb0(%i: index, %j: index):
    %x = memref.load %a[%i, %j] : memref<?x?xf64>
    scf.reduce(%x : f64) {
    ^bb0(%l: f64, %r: f64):
      %s = arith.addf %l, %r : f64
      scf.reduce.return %s : f64
    }
  }) : (index, index, index, index, index, index, f64) -> f64
  memref.store %sum, %o[] : memref<f64>
  func.return
}
func.func @par_scale(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  %three = arith.constant 3.0 : f32
  "scf.parallel"(%c0, %n, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.mulf %x, %three : f32
    memref.store %y, %a[%i] : memref<?xf32>
    scf.reduce
  }) : (index, index, index) -> ()
  func.return
}
func.func @switch(%k: memref<i32>, %o: memref<f32>) {
  %flag = memref.load %k[] : memref<i32>
  cf.switch %flag : i32, [
    default: ^other,
    0: ^zero,
    5: ^five(%flag : i32)
  ]
^zero:
  %a = arith.constant 10.0 : f32
  memref.store %a, %o[] : memref<f32>
  func.return
^five(%v: i32):
  %b = arith.sitofp %v : i32 to f32
  memref.store %b, %o[] : memref<f32>
  func.return
^other:
  %c = arith.constant -1.0 : f32
  memref.store %c, %o[] : memref<f32>
  func.return
}
"""


@pytest.fixture(scope="module")
def control() -> CompiledModule:
    return compile_loops(CONTROL)


def test_calls_between_functions(control):
    out = np.zeros(6, np.float32)
    control.call("calls", [np.array(3.0, np.float32), out])
    np.testing.assert_array_equal(out, 9.0)
    assert set(control.signatures) == {"calls", "par_sum", "par_scale", "switch"}


def test_scf_parallel_runs_sequentially(control):
    a = np.random.default_rng(5).standard_normal((7, 9))
    out = np.zeros(())
    control.call("par_sum", [a, out])
    np.testing.assert_allclose(out, a.sum())
    x = np.arange(5, dtype=np.float32)
    control.call("par_scale", [x])
    np.testing.assert_array_equal(x, 3 * np.arange(5))


def test_switch(control):
    out = np.zeros((), np.float32)
    for k, want in [(0, 10.0), (5, 5.0), (3, -1.0), (-5, -1.0)]:
        control.call("switch", [np.array(k, np.int32), out])
        assert out == want, k


def test_unknown_external_function_is_an_error():
    text = """
func.func private @no_such_function(f64) -> f64
func.func @f(%a: memref<f64>) {
  %x = memref.load %a[] : memref<f64>
  %y = func.call @no_such_function(%x) : (f64) -> f64
  memref.store %y, %a[] : memref<f64>
  func.return
}
"""
    with pytest.raises(RuntimeError, match="no_such_function"):
        compile_loops(text)


def test_external_libm_declaration_is_callable():
    # Escape hatch for functions the math dialect lacks (erfc): declare and call libm.
    text = """
func.func private @erfc(f64) -> f64
func.func @f(%a: memref<f64>) {
  %x = memref.load %a[] : memref<f64>
  %y = func.call @erfc(%x) : (f64) -> f64
  memref.store %y, %a[] : memref<f64>
  func.return
}
"""
    c = compile_loops(text)
    a = np.array(0.5)
    c.call("f", [a])
    np.testing.assert_allclose(a, scipy.special.erfc(0.5), rtol=1e-15)
