"""Loop-level passes, end to end: graphs built in Python, compiled with
`mlc.function`, checked against numpy, and the rewrite proven to fire by
reading `f.dump_ir('loops')` (and proven to stop when the pass is
excluded or the mode skips it).

Passes: fuse-elementwise, fuse-contraction (mlc/passes/); the tensor-level
resolve-mt-shapes is checked end to end for `(x**2).shape`.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.compile.pipeline import stages

RNG = np.random.default_rng(0)


def rand(*shape, dtype="float32"):
    return RNG.normal(size=shape).astype(dtype)


def generics(f) -> int:
    return f.dump_ir("loops").count("linalg.generic")


def allocs(f) -> int:
    return f.dump_ir("loops").count("memref.alloc")


# ===----------------------------------------------------------------------=== #
# fuse-elementwise
# ===----------------------------------------------------------------------=== #


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elementwise_chain_is_one_loop(dtype):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    out = T.exp(2 * x * y + y) * T.tanh(x) + T.log1p(x * x)
    f = mlc.function([x, y], out)
    a, b = rand(1000, dtype=dtype) * 0.5, rand(1000, dtype=dtype) * 0.5
    want = np.exp(2 * a * b + b) * np.tanh(a) + np.log1p(a * a)
    np.testing.assert_allclose(f(a, b), want, rtol=1e-5 if dtype == "float32" else 1e-12)
    assert generics(f) == 1 and allocs(f) == 0  # one loop, no temporary
    # the same graph unfused: FAST_COMPILE, or the pass excluded
    slow = mlc.function([x, y], out, mode="FAST_COMPILE")
    assert generics(slow) > 5
    np.testing.assert_allclose(slow(a, b), want, rtol=1e-5 if dtype == "float32" else 1e-12)
    unfused = mlc.function([x, y], out, mode=mlc.Mode(name="FAST_RUN").excluding("fuse-elementwise",
                                                                                 "fuse-multi-output"))
    assert generics(unfused) > 5
    with mlc.config.change_flags(optimizer_excluding="fuse-elementwise:fuse-multi-output"):
        assert generics(mlc.function([x, y], out)) > 5
    # without fuse-elementwise, fuse-multi-output alone still makes one loop (with a temporary per value
    # no other loop reads: none)
    merged = mlc.function([x, y], out, mode=mlc.Mode(name="FAST_RUN").excluding("fuse-elementwise"))
    assert generics(merged) == 1
    np.testing.assert_allclose(merged(a, b), want, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_elementwise_into_reduction():
    """(x*W).sum() on float32 (accumulated in float64): one reduction loop."""
    x = T.fvector("x")
    W = mlc.shared(rand(5000), "W")
    f = mlc.function([x], (x * W).sum())
    a = rand(5000)
    np.testing.assert_allclose(f(a), (a.astype("f8") * W.get_value()).sum(), rtol=1e-6)
    loops = f.dump_ir("loops")
    assert generics(f) == 1 and '["reduction"]' in loops
    assert (
        "arith.mulf" in loops and "arith.extf" in loops and "memref.alloc(%" not in loops
    )  # only the 0-d f64 accumulator


def test_broadcast_and_transpose_are_read_through_maps():
    """A row, a column and a transposed matrix feed one loop: no copies."""
    A, B = T.fmatrix("A"), T.fmatrix("B")
    r, c = T.fvector("r"), T.fvector("c")
    out = T.exp(A.T) * r.dimshuffle("x", 0) + c.dimshuffle(0, "x") - B
    f = mlc.function([A, B, r, c], out)
    a, b, rv, cv = rand(4, 3), rand(3, 4), rand(4), rand(3)
    np.testing.assert_allclose(f(a, b, rv, cv), np.exp(a.T) * rv[None, :] + cv[:, None] - b, rtol=1e-5)
    loops = f.dump_ir("loops")
    assert generics(f) == 1 and "memref.alloc" not in loops
    assert "affine_map<(d0, d1) -> (d1, d0)>" in loops  # A read transposed
    assert "affine_map<(d0, d1) -> (d1)>" in loops and "affine_map<(d0, d1) -> (d0)>" in loops


def test_slice_and_reshape_are_read_in_place():
    """x[1:] * 2 + x[:-1] reads x twice at shifted positions; a reshape
    feeding an elementwise op is read through index arithmetic."""
    x = T.fvector("x")
    f = mlc.function([x], x[1:] * 2 + x[:-1])
    a = rand(10)
    np.testing.assert_allclose(f(a), a[1:] * 2 + a[:-1], rtol=1e-6)
    assert generics(f) == 1 and "memref.alloc" not in f.dump_ir("loops")
    m = T.fmatrix("m")
    g = mlc.function([m], T.sqrt(abs(m.reshape((m.shape[0] * m.shape[1],)))) + 1)
    b = rand(3, 4)
    np.testing.assert_allclose(g(b), np.sqrt(abs(b.reshape(-1))) + 1, rtol=1e-6)
    loops = g.dump_ir("loops")
    assert generics(g) == 1 and "memref.alloc" not in loops and "memref.collapse_shape %m" in loops


def test_reshape_is_a_view():
    """A reshape of contiguous data is a view of the same memory
    (collapse + expand), even where the consumer is a BLAS call."""
    x, W = T.ftensor3("x"), T.fmatrix("W")
    f = mlc.function([x, W], T.dot(x.reshape((x.shape[0], -1)), W))
    a, w = rand(2, 3, 4), rand(12, 5)
    np.testing.assert_allclose(f(a, w), a.reshape(2, -1) @ w, rtol=1e-5)
    loops = f.dump_ir("loops")
    assert "memref.collapse_shape %x" in loops and "memref.expand_shape" in loops
    assert generics(f) == 0 and "memref.alloc" not in loops and "memref.copy" not in loops
    # a temporary viewed by a reshape lives until the view's last use
    y = T.fmatrix("y")
    g = mlc.function([y], (T.exp(y).reshape((y.shape[0] * y.shape[1],)) * (T.exp(y) + 1).flatten()).sum())
    b = rand(3, 4)
    np.testing.assert_allclose(g(b), (np.exp(b).reshape(-1) * (np.exp(b) + 1).reshape(-1)).sum(), rtol=1e-5)
    loops = g.dump_ir("loops")
    buffer = re.search(r"(%\d+) = memref.alloc", loops).group(1)
    assert loops.rindex(f"memref.dealloc {buffer}") > loops.rindex("linalg.generic")


def test_shared_expensive_value_computed_once():
    """e = exp(x) used twice in one expression is fused once; used by two
    results, it is computed once (policy: no recompute of math functions;
    the two results' loops are one), while a cheap value is recomputed by each user."""
    x = T.dvector("x")
    e = T.exp(x)
    f = mlc.function([x], e * e + e)
    a = rand(7, dtype="float64")
    np.testing.assert_allclose(f(a), np.exp(a) ** 2 + np.exp(a))
    assert generics(f) == 1 and f.dump_ir("loops").count("math.exp") == 1
    g = mlc.function([x], [T.exp(x) * 2, T.exp(x) + 1])
    np.testing.assert_allclose(g(a)[1], np.exp(a) + 1)
    # both results in one loop (fuse-multi-output): exp once, no temporary
    assert g.dump_ir("loops").count("math.exp") == 1 and allocs(g) == 0 and generics(g) == 1
    h = mlc.function([x], [(x + 1) * 2, (x + 1) * 3])
    assert allocs(h) == 0 and h.dump_ir("loops").count("arith.addf") == 1 and generics(h) == 1  # one loop
    np.testing.assert_allclose(h(a), [(a + 1) * 2, (a + 1) * 3])
    # without fuse-multi-output each user recomputes the cheap value
    h2 = mlc.function([x], [(x + 1) * 2, (x + 1) * 3], mode=mlc.Mode(name="FAST_RUN").excluding("fuse-multi-output"))
    assert allocs(h2) == 0 and h2.dump_ir("loops").count("arith.addf") == 2


def _chain_gradient_loops(n: int) -> str:
    """The loop-level IR of z -> tanh(z*c) + exp(-z)*0.01 (n layers) and its gradient."""
    from mlc.compile.function import FunctionGraph
    from mlc.compile.pipeline import lower
    from mlc.lowering.emit import emit_function

    x, c = T.dvector("x"), T.dscalar("c")
    z = x
    for _ in range(n):
        z = T.tanh(z * c) + T.exp(-z) * 0.01
    fg = FunctionGraph([x, c], [z.sum(), mlc.grad(z.sum(), x)], [], {}, "raise")
    return str(lower(emit_function(fg), "FAST_RUN", "loops"))


def test_chain_gradient_fuses_linearly():
    """The gradient of an elementwise chain reads every forward value twice:
    fusing shared cheap producers without a bound unrolled that DAG into a
    tree (exponential code and compile time). With the per-consumer
    recompute budget and the bound on inputs, doubling the chain at most
    doubles the code (plus a constant)."""
    small, large = _chain_gradient_loops(6), _chain_gradient_loops(12)
    for op in ("arith.mulf", "arith.addf", "linalg.generic"):
        assert large.count(op) <= 2 * small.count(op) + 8, op
    assert large.count("math.tanh") <= 12 and large.count("math.exp") <= 12  # each computed once
    x, c = T.dvector("x"), T.dscalar("c")
    z = x
    for _ in range(12):
        z = T.tanh(z * c) + T.exp(-z) * 0.01
    f = mlc.function([x, c], mlc.grad(z.sum(), x))
    a = rand(9, dtype="float64")
    want = mlc.function([x, c], mlc.grad(z.sum(), x), mode="REFERENCE")(a, 0.7)
    np.testing.assert_allclose(f(a, 0.7), want, rtol=1e-12, atol=1e-300)


def test_fused_loop_inputs_are_bounded():
    """A consumer stops fusing at `FusionPolicy.max_inputs` operands."""
    from mlc.passes.fuse_elementwise import FusionPolicy

    xs = [T.dvector(f"x{i}") for i in range(3 * FusionPolicy.max_inputs)]
    total = xs[0]
    for v in xs[1:]:
        total = total * 1.5 + T.exp(v)
    f = mlc.function(xs, total)
    args = [rand(5, dtype="float64") for _ in xs]
    want = args[0]
    for a in args[1:]:
        want = want * 1.5 + np.exp(a)
    np.testing.assert_allclose(f(*args), want)
    loops = f.dump_ir("loops")
    assert all(line.count("%") <= 2 * FusionPolicy.max_inputs + 8
               for line in loops.splitlines() if "linalg.generic" in line)


def test_softmax_of_affine_fuses_the_bias():
    """softmax(x @ W + b): the bias add fuses into the softmax loops, the gemm stays BLAS."""
    x, W, b = T.fmatrix("x"), T.fmatrix("W"), T.fvector("b")
    f = mlc.function([x, W, b], T.nnet.softmax(T.dot(x, W) + b))
    xv, wv, bv = rand(5, 4), rand(4, 3), rand(3)
    z = xv @ wv + bv
    want = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(f(xv, wv, bv), want / want.sum(1, keepdims=True), rtol=1e-5)
    assert "blas.gemm" in f.dump_ir("loops")


# ===----------------------------------------------------------------------=== #
# fuse-contraction (BLAS)
# ===----------------------------------------------------------------------=== #


def blas_calls(f) -> list[str]:
    return re.findall(r"blas\.\w+.*", f.dump_ir("loops"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_epilogue_is_alpha_and_beta(dtype):
    A, B, C = (T.matrix(n, dtype=dtype) for n in "ABC")
    s = T.scalar("s", dtype=dtype)
    f = mlc.function([A, B, C, s], C + s * T.dot(A, B))
    a, b, c = rand(4, 3, dtype=dtype), rand(3, 5, dtype=dtype), rand(4, 5, dtype=dtype)
    np.testing.assert_allclose(f(a, b, c, 0.5), c + 0.5 * (a @ b), rtol=1e-5)
    (call,) = blas_calls(f)
    assert call.startswith("blas.gemm") and "alpha(" in call and "beta(" in call
    assert generics(f) == 0
    # a constant scale, and subtraction (alpha = -s)
    g = mlc.function([A, B, C], C - 0.25 * T.dot(A, B))
    np.testing.assert_allclose(g(a, b, c), c - 0.25 * (a @ b), rtol=1e-5)
    assert len(blas_calls(g)) == 1 and generics(g) == 0
    unfused = mlc.function(
        [A, B, C, s], C + s * T.dot(A, B), mode=mlc.Mode(name="FAST_RUN").excluding("fuse-contraction")
    )
    assert "alpha(" not in unfused.dump_ir("loops") and generics(unfused) == 1


def test_computed_c_is_written_then_accumulated():
    """tanh(C) * 2 + 0.5 * dot(A, B): one loop writes tanh(C) * 2 into the
    result, the gemm accumulates into it (alpha 0.5, beta 1): no temporary."""
    A, B, C = T.dmatrix("A"), T.dmatrix("B"), T.dmatrix("C")
    f = mlc.function([A, B, C], T.tanh(C) * 2 + 0.5 * T.dot(A, B))
    a, b, c = rand(3, 4, dtype="f8"), rand(4, 5, dtype="f8"), rand(3, 5, dtype="f8")
    np.testing.assert_allclose(f(a, b, c), np.tanh(c) * 2 + 0.5 * (a @ b))
    loops = f.dump_ir("loops")
    (call,) = blas_calls(f)
    assert "alpha(" in call and "beta(" in call and generics(f) == 1
    assert "memref.alloc" not in loops and "memref.copy" not in loops


def test_gemv_epilogue_is_beta():
    A, v, x = T.fmatrix("A"), T.fvector("v"), T.fvector("x")
    f = mlc.function([A, v, x], T.dot(A, v) + x)
    a, vv, xv = rand(6, 4), rand(4), rand(6)
    np.testing.assert_allclose(f(a, vv, xv), a @ vv + xv, rtol=1e-5)
    (call,) = blas_calls(f)
    assert call.startswith("blas.gemv") and "beta(" in call and generics(f) == 0


@pytest.mark.parametrize(
    "build, want, flag",
    [
        (lambda A, B, v: T.dot(A.T, B), lambda a, b, v: a.T @ b, "blas.gemm transa"),
        (lambda A, B, v: T.dot(B, A.T), lambda a, b, v: b @ a.T, "blas.gemm transb"),
        (lambda A, B, v: T.dot(A.T, v), lambda a, b, v: a.T @ v, "blas.gemv trans"),
        (lambda A, B, v: T.dot(v, A.T), lambda a, b, v: v @ a.T, "blas.gemv "),
    ],
)
def test_transposes_are_blas_flags(build, want, flag):
    A, B, v = T.dmatrix("A"), T.dmatrix("B"), T.dvector("v")
    a, b, vv = rand(4, 3, dtype="f8"), rand(4, 3, dtype="f8"), rand(4, dtype="f8")
    if flag == "blas.gemv ":
        vv = rand(3, dtype="f8")
    if "transb" in flag:
        b = rand(5, 3, dtype="f8")
    f = mlc.function([A, B, v], build(A, B, v), on_unused_input="ignore")
    np.testing.assert_allclose(f(a, b, vv), want(a, b, vv))
    calls = blas_calls(f)
    assert len(calls) == 1 and calls[0].startswith(flag), calls
    assert generics(f) == 0 and "memref.alloc" not in f.dump_ir("loops")  # no transposed copy


def test_shape_computes_no_power():
    """(x**2).shape reads x's shape: the power is never computed."""
    x = T.fmatrix("x")
    f = mlc.function([x], (x**2).shape)
    np.testing.assert_array_equal(f(rand(3, 5)), [3, 5])
    loops = f.dump_ir("loops")
    assert "linalg.generic" not in loops and "mulf" not in loops and "powf" not in loops


# ===----------------------------------------------------------------------=== #
# The pipeline is the list of names
# ===----------------------------------------------------------------------=== #


def test_mlc_opt_reproduces_the_loop_level(tmp_path):
    x, y = T.fvector("x"), T.fvector("y")
    f = mlc.function([x, y], T.exp(2 * x * y + y) * T.tanh(x) + (x * y).sum())
    path = tmp_path / "f.mlir"
    path.write_text(f.dump_ir("mt"))
    names = stages("FAST_RUN", "loops")
    assert "fuse-elementwise" in names and "fuse-contraction" in names
    assert "fuse-elementwise" not in stages("FAST_COMPILE", "loops")
    cmd = [sys.executable, "-m", "mlc.tools.mlc_opt", str(path), "-p", ",".join(names)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert out.strip() == f.dump_ir("loops").strip()


# ===----------------------------------------------------------------------=== #
# reuse-buffers
# ===----------------------------------------------------------------------=== #


def test_dead_temporaries_are_reused():
    """Unfused (FAST_COMPILE), each op of a chain writes over the temporary
    its operand died in: two buffers instead of eight."""
    x, y = T.fvector("x"), T.fvector("y")
    out = T.exp(2 * x * y + y) * T.tanh(x) + T.log1p(x * x)
    f = mlc.function([x, y], out, mode="FAST_COMPILE")
    a, b = rand(100) * 0.5, rand(100) * 0.5
    np.testing.assert_allclose(f(a, b), np.exp(2 * a * b + b) * np.tanh(a) + np.log1p(a * a), rtol=1e-5)
    loops = f.dump_ir("loops")
    assert allocs(f) == 2 and re.search(r"ins\((%\d+)\b.*outs\(\1 :", loops)  # an op over its dead operand
    g = mlc.function([x, y], out, mode=mlc.Mode(name="FAST_COMPILE").excluding("reuse-buffers"))
    assert allocs(g) == 9  # the fill of the 2.0 included
    np.testing.assert_allclose(g(a, b), f(a, b))


# ===----------------------------------------------------------------------=== #
# update-in-place
# ===----------------------------------------------------------------------=== #


def sgd_function(W, **kw):
    x, y = T.fmatrix("x"), T.fvector("y")
    p = T.nnet.sigmoid(T.dot(x, W))
    cost = T.nnet.binary_crossentropy(p, y).mean()
    g = mlc.grad(cost, W)
    return mlc.function([x, y], cost, updates=[(W, W - np.float32(0.5) * g)], **kw)


def test_shared_update_is_written_in_place():
    """A training step writes W's new value over its storage: no result
    array, no copy, the values of Theano's semantics."""
    w0 = rand(4)
    W = mlc.shared(w0.copy(), "W")
    f = sgd_function(W)
    storage = W.get_value(borrow=True)
    xv, yv = rand(16, 4), (rand(16) > 0).astype("float32")
    w = w0.astype("f8")
    for _ in range(3):
        p = 1 / (1 + np.exp(-(xv @ w)))
        want_cost = -np.mean(yv * np.log(p) + (1 - yv) * np.log(1 - p))
        w = w - 0.5 * xv.T @ (p - yv) / len(yv)
        np.testing.assert_allclose(f(xv, yv), want_cost, rtol=1e-5)
        np.testing.assert_allclose(W.get_value(), w, rtol=1e-5, atol=1e-6)
    assert W.get_value(borrow=True) is storage  # updated in place
    loops = f.dump_ir("loops")
    assert "mlc.inplace = array<i64: -1, 2>" in loops and "memref.copy" not in loops
    # W - 0.5 * dot(x.T, d): one gemv (transposed x, alpha -0.5, beta 1) into W itself
    assert re.search(r"blas\.gemv trans %x, %\d+, %W alpha\(", loops), loops
    # excluded: a fresh array each call
    W2 = mlc.shared(w0.copy(), "W")
    g = sgd_function(W2, mode=mlc.Mode(name="FAST_RUN").excluding("update-in-place"))
    before = W2.get_value(borrow=True)
    g(xv, yv)
    assert W2.get_value(borrow=True) is not before and "mlc.inplace" not in g.dump_ir("loops")


def test_update_read_after_write_goes_through_a_temporary():
    """Outputs see the old values: an output computed after the update
    (here reading both) makes the update go to a temporary, copied last."""
    W = mlc.shared(np.arange(4, dtype="float64"), "W")
    new = W + 1
    f = mlc.function([], [new * W, W * 2], updates=[(W, new)])
    first, second = f()
    np.testing.assert_array_equal(first, [0, 2, 6, 12])
    np.testing.assert_array_equal(second, [0, 2, 4, 6])
    np.testing.assert_array_equal(W.get_value(), [1, 2, 3, 4])
    # fuse-multi-output makes the three one loop reading W[i] before writing it: in place, no copy
    assert "memref.copy" not in f.dump_ir("loops") and generics(f) == 1
    W.set_value(np.arange(4, dtype="float64"))
    g = mlc.function([], [new * W, W * 2], updates=[(W, new)],
                     mode=mlc.Mode(name="FAST_RUN").excluding("fuse-multi-output"))
    first, second = g()
    np.testing.assert_array_equal(first, [0, 2, 6, 12])
    np.testing.assert_array_equal(second, [0, 2, 4, 6])
    np.testing.assert_array_equal(W.get_value(), [1, 2, 3, 4])
    assert "memref.copy" in g.dump_ir("loops")


def test_updates_reading_each_other_see_old_values():
    """A <- A + B and B <- B - A both read the old A and B."""
    a0, b0 = np.array([1.0, 2.0]), np.array([10.0, 20.0])
    A, B = mlc.shared(a0.copy(), "A"), mlc.shared(b0.copy(), "B")
    f = mlc.function([], [], updates=[(A, A + B), (B, B - A)])
    f()
    np.testing.assert_array_equal(A.get_value(), a0 + b0)
    np.testing.assert_array_equal(B.get_value(), b0 - a0)
    assert "mlc.inplace = array<i64: 0, 1>" in f.dump_ir("loops")


def test_input_aliasing_shared_storage_is_not_clobbered():
    """An argument that is the shared storage itself keeps its old values."""
    W = mlc.shared(np.ones(3, dtype="float32"), "W")
    x = T.fvector("x")
    f = mlc.function([x], (x * W).sum(), updates=[(W, W * 2 + x)])
    storage = W.get_value(borrow=True)
    assert f(storage) == 3.0
    np.testing.assert_array_equal(W.get_value(), [3, 3, 3])


def test_shape_changing_update_keeps_a_fresh_array():
    W = mlc.shared(np.arange(5.0), "W")
    f = mlc.function([], [], updates=[(W, W[1:] * 2)])
    f()
    np.testing.assert_array_equal(W.get_value(), [2, 4, 6, 8])
    assert "mlc.inplace" not in f.dump_ir("mt")


def test_compile_profile_per_pass(capsys):
    """MLC_FLAGS=profile_optimizer=True prints each compile pass's time, LLVM's stages included."""
    x = T.dvector("x")
    with mlc.config.change_flags(profile_optimizer=True):
        mlc.function([x], T.exp(x * 3.0 + 1.7).sum() * 1.25)
    err = capsys.readouterr().err
    assert "Optimizer profile of" in err
    if "(the code came from the compile cache)" not in err:
        for name in ("fuse-elementwise", "convert-to-llvm", "llvm-optimize", "llvm-codegen"):
            assert name in err, name


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_gathers_compute_cheap_producers_in_place(dtype):
    """fuse-elementwise computes a cheap elementwise producer where a gather reads it (index, slice, advanced
    index, a pooling gradient's unpatches): same values as numpy, fewer loop nests than with the producer in a
    buffer; an expensive producer (exp) keeps its buffer."""
    from mlc.tensor.signal.pool import pool_2d

    rng = np.random.default_rng(5)
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    i = T.lvector("i")
    # each producer read by one gather only (a producer with several readers keeps its buffer)
    outs = [(x * y.T + 1)[::-1, 1:], (x - y.T)[i], (x * 2)[i, i[::-1]], (x + y.T)[2], T.exp(x)[i] * 1]
    xv = (rng.standard_normal((5, 4)) * 4).astype(dtype)
    yv = (rng.standard_normal((4, 5)) * 4).astype(dtype)
    iv = np.array([3, 0, 3, -1, 2], dtype="int64")
    expected = [(xv * yv.T + 1)[::-1, 1:], (xv - yv.T)[iv], (xv * 2)[iv, iv[::-1]], (xv + yv.T)[2],
                np.exp(xv)[iv]]
    f = mlc.function([x, y, i], outs)
    for got, want in zip(f(xv, yv, iv), expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype != "float32" else 1e-5)
    # at most the five gathers and exp's buffer (fuse-multi-output may merge some); each producer apart: 9+
    assert f.dump_ir("loops").count("linalg.generic") <= 6
    with mlc.config.change_flags(optimizer_excluding="fuse-elementwise"):
        assert mlc.function([x, y, i], outs).dump_ir("loops").count("linalg.generic") >= 9

    if dtype == "float32":  # a max-pool gradient: the mask is computed inside the unpatches gather
        z, g = T.ftensor4("z"), T.ftensor4("g")
        dz = mlc.grad((pool_2d(z, (2, 2), ignore_border=True) * g).sum(), z)
        f = mlc.function([z, g], dz)
        zv = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
        gv = rng.standard_normal((2, 3, 2, 2)).astype(dtype)
        zr = zv[:, :, :4, :4].reshape(2, 3, 2, 2, 2, 2)
        mx = zr.max(axis=(3, 5))
        want = np.zeros_like(zv)
        want[:, :, :4, :4] = ((zr == mx[:, :, :, None, :, None]) * gv[:, :, :, None, :, None]).reshape(2, 3, 4, 4)
        np.testing.assert_array_equal(f(zv, gv), want)
        # the windows (read by the max's reduction loops), the max, the gradient: no 6-d mask buffer
        assert f.dump_ir("loops").count("linalg.generic") == 3
