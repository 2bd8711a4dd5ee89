"""Row softmax with one exp per element, and the float32 `afn` exp it uses.

`convert-mt-to-linalg` lowers softmax to max, e = exp(x - max), sum(e), e / sum
(log_softmax: sum(exp(x - max)), (x - max) - log(sum)); float32 exps there are
marked `afn` and call `mlc_vm_fast_expf` (float32 arithmetic). Checked here:
that exp's error in ulp over sampled and special inputs, and softmax /
log_softmax values against numpy in float64 over dtypes, shapes (empty rows,
one column, other axes) and rows holding inf, -inf and nan.
"""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.parser import Parser

import mlc
import mlc.tensor as T
from mlc.compile.pipeline import lower_loops_to_llvm
from mlc.dialects import context
from mlc.runtime.cpu import compile_module

FAST_EXP = """
func.func @fast_exp(%x: memref<?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a fastmath<afn> : f32
    linalg.yield %e : f32
  }
  func.return
}
"""


def _fast_exp():
    module = Parser(context(), FAST_EXP).parse_module()
    lower_loops_to_llvm(module)
    compiled = compile_module(module, ["fast_exp"])
    return lambda x: (y := np.empty_like(x), compiled.call("fast_exp", [x, y]))[0]


def test_fast_exp_error_below_two_ulp():
    exp = _fast_exp()
    r = np.random.default_rng(0)
    x = np.concatenate([r.uniform(-104, 89, 400_000), r.uniform(-1, 1, 100_000), r.uniform(-88, -86, 50_000),
                        r.uniform(-104, -87, 50_000)]).astype(np.float32)  # the last: subnormal results
    got = exp(x).astype(np.float64)
    want = np.exp(x.astype(np.float64))
    with np.errstate(over="ignore"):
        w32 = want.astype(np.float32)
    finite = np.isfinite(w32)
    ulp = np.spacing(np.abs(w32[finite])).astype(np.float64)
    err = np.abs(got[finite] - want[finite]) / ulp
    assert err.max() < 2.0, (err.max(), x[finite][np.argmax(err)])
    assert np.array_equal(np.isinf(got), np.isinf(w32))
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 88.72, 88.73, 89.5, -103.97, -104.5, -1e30],
                       np.float32)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(exp(special), np.exp(special.astype(np.float64)).astype(np.float32))


def np_softmax(x: np.ndarray, axis: int, log: bool) -> np.ndarray:
    x = x.astype(np.float64)
    if x.shape[axis] == 0:
        return x.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        m = x.max(axis=axis, keepdims=True)
        s = np.exp(x - m).sum(axis=axis, keepdims=True)
        return (x - m) - np.log(s) if log else np.exp(x - m) / s


def _scaled_error(got: np.ndarray, want: np.ndarray, axis: int, log: bool) -> float:
    if not want.size:
        return 0.0
    scale = np.abs(want).max(axis=axis, keepdims=True) if not log else np.maximum(np.abs(want), 1.0)
    return float(np.max(np.abs(got.astype(np.float64) - want) / np.maximum(scale, 1e-300)))


@pytest.mark.parametrize("dtype, tol", [("float32", 2e-6), ("float64", 1e-13)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_values(dtype, tol, log):
    x = T.matrix("x", dtype=dtype)
    fn = T.nnet.log_softmax if log else T.nnet.softmax
    rows, cols = mlc.function([x], fn(x)), mlc.function([x], fn(x, axis=0))
    r = np.random.default_rng(1)
    for shape in [(64, 128), (3, 1), (1, 1), (5, 0), (0, 4), (7, 1000), (2, 33)]:
        xv = (r.standard_normal(shape) * 8).astype(dtype)
        for f, axis in ((rows, 1), (cols, 0)):
            got = f(xv)
            assert got.dtype == xv.dtype and got.shape == xv.shape
            assert _scaled_error(got, np_softmax(xv, axis, log), axis, log) < tol, (shape, axis)


@pytest.mark.parametrize("log", [False, True])
def test_softmax_special_rows(log):
    x = T.fmatrix("x")
    f = mlc.function([x], (T.nnet.log_softmax if log else T.nnet.softmax)(x))
    inf, nan = np.inf, np.nan
    xv = np.array([[-inf, -inf, 1.0], [inf, 0.0, 1.0], [nan, 0.0, 1.0], [-inf, -inf, -inf],
                   [1e4, -1e4, 0.0], [100.0, 0.0, -100.0]], np.float32)
    want = np_softmax(xv, 1, log)
    got = f(xv)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], rtol=2e-6, atol=1e-30)


def test_softmax_3d_last_axis():
    x = T.tensor3("x", dtype="float32")
    f = mlc.function([x], T.nnet.softmax(x))
    xv = np.random.default_rng(2).standard_normal((3, 4, 50)).astype(np.float32)
    np.testing.assert_allclose(f(xv), np_softmax(xv, -1, False), rtol=2e-6, atol=1e-9)


def test_softmax_module_has_one_exp_loop():
    """The fused loop nests of a row softmax compute exp once (its max/sum/divide loops have none)."""
    x = T.fmatrix("x")
    loops = mlc.function([x], T.nnet.softmax(x)).dump_ir("loops")
    generics = loops.split("linalg.generic")[1:]
    assert len(generics) == 4
    assert sum("math.exp" in g.split("linalg.yield")[0] for g in generics) == 1
    assert "fastmath<afn>" in loops
