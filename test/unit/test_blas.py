"""The `blas` dialect and its CPU lowering, against numpy.

gemm/gemv/dot in f32 and f64, every transpose combination, with and without
alpha/beta, static and dynamic shapes, and the degenerate sizes BLAS itself
gets wrong or rejects (K = 0, empty outputs, empty x).
"""

from __future__ import annotations

import itertools
import io

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import get_all_dialects
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from mlc.dialects.blas import Blas
from mlc.compile.pipeline import lower_loops_to_llvm
from mlc.runtime.cpu import CompiledModule, compile_module


def context() -> Context:
    ctx = Context()
    for name, load in get_all_dialects().items():
        ctx.register_dialect(name, load)
    ctx.load_dialect(Blas)
    return ctx


def compile_loops(text: str, names: list[str]) -> CompiledModule:
    module = Parser(context(), text).parse_module()
    module.verify()
    lower_loops_to_llvm(module)
    module.verify()
    return compile_module(module, names)


TOL = {"f32": dict(rtol=2e-5, atol=2e-5), "f64": dict(rtol=1e-12, atol=1e-12)}
DTYPE = {"f32": np.float32, "f64": np.float64}


def _scaled(
    kind: str, t: str, flags: str, operands: str, types: str, scaled: bool
) -> tuple[str, str, str]:
    """(extra args, loads, the op line) of one blas op; alpha/beta come from 0-d memrefs."""
    if scaled:
        head = f"%al: memref<{t}>, %be: memref<{t}>"
        loads = (
            f"  %alpha = memref.load %al[] : memref<{t}>\n"
            f"  %beta = memref.load %be[] : memref<{t}>\n"
        )
        scale = f" alpha(%alpha : {t}) beta(%beta : {t})"
    else:
        head, loads, scale = "", "", ""
    return head, loads, f"  blas.{kind} {flags}{operands}{scale} : {types}\n"


def gemm_module(t: str, transa: bool, transb: bool, scaled: bool, static: tuple | None = None) -> str:
    if static:
        m, n, k = static
        ta = f"memref<{k}x{m}x{t}>" if transa else f"memref<{m}x{k}x{t}>"
        tb = f"memref<{n}x{k}x{t}>" if transb else f"memref<{k}x{n}x{t}>"
        tc = f"memref<{m}x{n}x{t}>"
    else:
        ta = tb = tc = f"memref<?x?x{t}>"
    flags = ("transa " if transa else "") + ("transb " if transb else "")
    head, loads, call = _scaled("gemm", t, flags, "%a, %b, %c", f"{ta}, {tb}, {tc}", scaled)
    sep = ", " if head else ""
    return f"func.func @gemm(%a: {ta}, %b: {tb}, %c: {tc}{sep}{head}) {{\n{loads}{call}  func.return\n}}\n"


def _gemm_case(t, transa, transb, scaled, m, n, k, static=False):
    c = compile_loops(gemm_module(t, transa, transb, scaled, (m, n, k) if static else None), ["gemm"])
    rng = np.random.default_rng(m * 100 + n * 10 + k)
    dtype = DTYPE[t]
    a = rng.standard_normal((k, m) if transa else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if transb else (k, n)).astype(dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    alpha, beta = (dtype(-1.5), dtype(0.25)) if scaled else (dtype(1), dtype(0))
    opa = a.T if transa else a
    opb = b.T if transb else b
    want = alpha * (opa.astype(np.float64) @ opb) + beta * c0
    out = c0.copy()
    if not scaled:
        out[...] = np.nan  # beta absent: the old C is never read
    args = [a, b, out] + ([np.array(alpha), np.array(beta)] if scaled else [])
    c.call("gemm", args)
    np.testing.assert_allclose(out, want, **TOL[t])


@pytest.mark.parametrize("t", ["f32", "f64"])
@pytest.mark.parametrize("transa,transb", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("m,n,k", [(4, 5, 3), (1, 7, 1), (33, 17, 65), (3, 4, 0), (0, 4, 3), (3, 0, 2), (0, 0, 0)])
def test_gemm(t, transa, transb, scaled, m, n, k):
    _gemm_case(t, transa, transb, scaled, m, n, k)


@pytest.mark.parametrize("t", ["f32", "f64"])
@pytest.mark.parametrize("transa,transb", [(False, False), (True, True), (False, True)])
def test_gemm_static_shapes(t, transa, transb):
    _gemm_case(t, transa, transb, True, 6, 2, 5, static=True)
    _gemm_case(t, transa, transb, False, 3, 3, 0, static=True)


def test_gemm_k0_beta0_zeroes_nan_output():
    # K = 0 and beta = 0: C becomes exactly 0 even if it held NaN.
    c = compile_loops(gemm_module("f64", False, False, True), ["gemm"])
    out = np.full((3, 2), np.nan)
    c.call("gemm", [np.zeros((3, 0)), np.zeros((0, 2)), out, np.array(2.0), np.array(0.0)])
    np.testing.assert_array_equal(out, 0.0)


def gemv_module(t: str, trans: bool, scaled: bool) -> str:
    ta, tv = f"memref<?x?x{t}>", f"memref<?x{t}>"
    head, loads, call = _scaled("gemv", t, "trans " if trans else "", "%a, %x, %y", f"{ta}, {tv}, {tv}", scaled)
    sep = ", " if head else ""
    return f"func.func @gemv(%a: {ta}, %x: {tv}, %y: {tv}{sep}{head}) {{\n{loads}{call}  func.return\n}}\n"


@pytest.mark.parametrize("t", ["f32", "f64"])
@pytest.mark.parametrize("trans", [False, True])
@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("rows,cols", [(4, 3), (1, 9), (40, 70), (0, 3), (3, 0), (0, 0)])
def test_gemv(t, trans, scaled, rows, cols):
    c = compile_loops(gemv_module(t, trans, scaled), ["gemv"])
    dtype = DTYPE[t]
    rng = np.random.default_rng(rows * 7 + cols)
    a = rng.standard_normal((rows, cols)).astype(dtype)
    opa = a.T if trans else a
    x = rng.standard_normal(opa.shape[1]).astype(dtype)
    y0 = rng.standard_normal(opa.shape[0]).astype(dtype)
    alpha, beta = (dtype(0.5), dtype(-2.0)) if scaled else (dtype(1), dtype(0))
    want = alpha * (opa.astype(np.float64) @ x) + beta * y0
    y = y0.copy()
    if not scaled:
        y[...] = np.nan
    c.call("gemv", [a, x, y] + ([np.array(alpha), np.array(beta)] if scaled else []))
    np.testing.assert_allclose(y, want, **TOL[t])


DOT = """
func.func @dot32(%x: memref<?xf32>, %y: memref<?xf32>, %r: memref<f32>) {
  %d = blas.dot %x, %y : memref<?xf32>, memref<?xf32> -> f32
  memref.store %d, %r[] : memref<f32>
  func.return
}
func.func @dot64(%x: memref<?xf64>, %y: memref<?xf64>, %r: memref<f64>) {
  %d = blas.dot %x, %y : memref<?xf64>, memref<?xf64> -> f64
  memref.store %d, %r[] : memref<f64>
  func.return
}
func.func @dot_static(%x: memref<3xf64>, %y: memref<3xf64>, %r: memref<f64>) {
  %d = blas.dot %x, %y : memref<3xf64>, memref<3xf64> -> f64
  %two = arith.constant 2.0 : f64
  %s = arith.mulf %d, %two : f64
  memref.store %s, %r[] : memref<f64>
  func.return
}
"""


@pytest.mark.parametrize("n", [0, 1, 5, 1000])
def test_dot(n):
    c = compile_loops(DOT, ["dot32", "dot64", "dot_static"])
    rng = np.random.default_rng(n)
    for t, name in [("f32", "dot32"), ("f64", "dot64")]:
        x = rng.standard_normal(n).astype(DTYPE[t])
        y = rng.standard_normal(n).astype(DTYPE[t])
        r = np.array(np.nan, DTYPE[t])
        c.call(name, [x, y, r])
        # sdot accumulates in float32: compare at float32 accuracy
        np.testing.assert_allclose(r, x.astype(np.float64) @ y, rtol=1e-4 if t == "f32" else 1e-12, atol=1e-4)
    r = np.zeros(())
    c.call("dot_static", [np.array([1.0, 2, 3]), np.array([4.0, 5, 6]), r])
    assert r == 64.0


# ---------------------------------------------------------------------------
# The dialect: verification and round-trip
# ---------------------------------------------------------------------------

ROUNDTRIP = """
func.func @f(%a: memref<4x3xf32>, %b: memref<3x5xf32>, %c: memref<4x5xf32>, %s: f32,
             %A: memref<?x?xf64>, %x: memref<?xf64>, %y: memref<?xf64>, %t: f64) {
  blas.gemm %a, %b, %c : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>
  blas.gemm transa transb %A, %A, %A alpha(%t : f64) beta(%t : f64) : memref<?x?xf64>, memref<?x?xf64>, memref<?x?xf64>
  blas.gemv trans %A, %x, %y beta(%t : f64) : memref<?x?xf64>, memref<?xf64>, memref<?xf64>
  %r = blas.dot %x, %y : memref<?xf64>, memref<?xf64> -> f64
  func.return
}
"""


def _print(module, generic: bool = False) -> str:
    out = io.StringIO()
    Printer(out, print_generic_format=generic).print_op(module)
    return out.getvalue()


def test_roundtrip():
    m = Parser(context(), ROUNDTRIP).parse_module()
    m.verify()
    for generic in (False, True):
        again = Parser(context(), _print(m, generic)).parse_module()
        assert again.is_structurally_equivalent(m)
    assert "blas.gemm transa transb %A, %A, %A alpha(%t : f64) beta(%t : f64)" in _print(m)


@pytest.mark.parametrize(
    "op,message",
    [
        (
            "blas.gemm %a, %a, %c : memref<4x3xf32>, memref<4x3xf32>, memref<4x5xf32>",
            "inner dimension of op(A) and op(B) mismatch: 3 vs 4",
        ),
        (
            "blas.gemm transa %a, %b, %c : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>",
            "inner dimension",
        ),
        (
            "blas.gemm %a, %b, %d : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf64>",
            "C has element type f64 but A has f32",
        ),
        (
            "blas.gemm %a, %b, %c alpha(%w : f64) : memref<4x3xf32>, memref<3x5xf32>, memref<4x5xf32>",
            "alpha must have type f32",
        ),
        ("blas.gemv %a, %v, %v : memref<4x3xf32>, memref<3xf32>, memref<3xf32>", "rows of op(A)"),
        ("%r = blas.dot %v, %w4 : memref<3xf32>, memref<4xf32> -> f32", "vector lengths mismatch"),
        ("%r = blas.dot %i, %i : memref<3xi32>, memref<3xi32> -> f32", "element type f32 or f64"),
        (
            "blas.gemv %a, %v, %a : memref<4x3xf32>, memref<3xf32>, memref<4x3xf32>",
            "operand y must have rank 1",
        ),
    ],
)
def test_verifier(op, message):
    text = f"""
func.func @f(%a: memref<4x3xf32>, %b: memref<3x5xf32>, %c: memref<4x5xf32>, %d: memref<4x5xf64>,
             %v: memref<3xf32>, %w4: memref<4xf32>, %i: memref<3xi32>, %w: f64) {{
  {op}
  func.return
}}
"""
    with pytest.raises(VerifyException, match=message.replace("(", r"\(").replace(")", r"\)")):
        Parser(context(), text).parse_module().verify()


# ---------------------------------------------------------------------------
# Medium GEMMs split into single-threaded BLAS calls on mlc's pool
# ---------------------------------------------------------------------------


def _f77_gemm_cases() -> int:
    """Call `mlc_blas_?gemm` (f77 LP64) on column-major operands with leading dimensions larger than the
    matrices, sizes that split by C's columns and by its rows (and some that do not split); compare with
    numpy and across thread counts. Returns the cases run."""
    import ctypes

    import llvmlite.binding as llvm

    from mlc.runtime import parallel
    from mlc.runtime.blas_symbols import register_blas_symbols

    register_blas_symbols()
    rng = np.random.default_rng(7)
    cases = 0
    for p, dtype, ctype, tol in (("s", np.float32, ctypes.c_float, 3e-5), ("d", np.float64, ctypes.c_double, 1e-12)):
        fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 13)(llvm.address_of_symbol(f"mlc_blas_{p}gemm"))
        # (m, n, k) in BLAS's column-major terms: m*n*k above 2^18, blocks of columns (m*k small) or rows
        for (m, n, k), ta, tb in itertools.product(
                [(500, 20, 784), (20, 500, 784), (10, 784, 600), (784, 10, 600), (37, 2001, 17), (300, 300, 300)],
                "NT", "nT"):
            opa = rng.standard_normal((m, k)).astype(dtype)
            opb = rng.standard_normal((k, n)).astype(dtype)
            a_rows, a_cols = (m, k) if ta == "N" else (k, m)
            b_rows, b_cols = (k, n) if tb in "nN" else (n, k)
            # column-major storage with a leading dimension 3 beyond the rows: a Fortran array's column j
            # starts at j * ld; an (ld, cols) Fortran-ordered buffer, of which the first rows are used
            a_buf = np.full((a_rows + 3, a_cols), np.nan, dtype, order="F")
            a_buf[:a_rows] = opa if ta == "N" else opa.T
            b_buf = np.full((b_rows + 3, b_cols), np.nan, dtype, order="F")
            b_buf[:b_rows] = opb if tb in "nN" else opb.T
            c0 = rng.standard_normal((m, n)).astype(dtype)
            alpha, beta = ctype(-1.5), ctype(0.5)
            results = []
            for threads in (4, 1):
                parallel.set_num_threads(threads)
                c_buf = np.full((m + 2, n), np.nan, dtype, order="F")
                c_buf[:m] = c0
                ints = [ctypes.c_int32(v) for v in (m, n, k, a_rows + 3, b_rows + 3, m + 2)]
                fn(ctypes.c_char_p(ta.encode()), ctypes.c_char_p(tb.encode()), *[ctypes.addressof(v) for v in ints[:3]],
                   ctypes.addressof(alpha), a_buf.ctypes.data, ctypes.addressof(ints[3]), b_buf.ctypes.data,
                   ctypes.addressof(ints[4]), ctypes.addressof(beta), c_buf.ctypes.data, ctypes.addressof(ints[5]))
                assert np.isnan(c_buf[m:]).all()  # rows beyond m untouched
                results.append(c_buf[:m].copy())
            want = -1.5 * (opa.astype(np.float64) @ opb) + 0.5 * c0
            np.testing.assert_allclose(results[0], want, rtol=tol, atol=tol * k)
            assert np.array_equal(results[0], results[1]), "the bits depend on the thread count"
            cases += 1
    return cases


def test_split_gemm_f77_symbol():
    from mlc.runtime import parallel

    before = parallel.num_threads()
    try:
        assert _f77_gemm_cases() == 2 * 6 * 4
    finally:
        parallel.set_num_threads(before)


def test_split_gemm_scipy_route():
    """The same through scipy's cython_blas (MLC_BLAS=scipy), in a fresh process."""
    import os
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, "test/unit")
        import test_blas
        print(test_blas._f77_gemm_cases())
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, MLC_BLAS="scipy")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == str(2 * 6 * 4)


def test_medium_gemm_runs_on_the_pool():
    """A 20x784 @ 784x500 matmul (the MLP step's) runs as blocks on mlc's threads (OpenBLAS would
    thread it itself, with a static partition): with 2 threads a fresh process starts the second."""
    import os
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import numpy as np, mlc, mlc.tensor as T
        from mlc.runtime import parallel
        a, b = T.fmatrix("a"), T.fmatrix("b")
        f = mlc.function([a, b], T.dot(a, b))
        x = np.ones((20, 784), np.float32); y = np.ones((784, 500), np.float32)
        r = f(x, y)
        assert (r == 784).all()
        print(parallel.threads_started())
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, MLC_NUM_THREADS="2")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-1] == "2"
