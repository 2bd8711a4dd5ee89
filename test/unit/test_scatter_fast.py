"""mt.scatter's loop over the index positions (mlc/passes/bufferize_scatter.py), compiled natively.

Values against numpy (`np.add.at`, and a Python loop for set: the last
repeat wins) over float32/float64/int32/complex128, 1-d/2-d/3-d dest,
one or several index arrays, a 2-d and a 0-d index, an empty index,
repeated and negative indices, a broadcast src; a dest that is an argument
stays unchanged; a shared table updated in place reads its old rows; the
loop skips an index out of range (run below the graph's check, on the IR);
and the IR: one sequential loop over the positions inside the parallel
block loop, no per-destination compare.
"""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import memref, scf
from xdsl.dialects.linalg import ops as linalg
from xdsl.parser import Parser

import mlc
import mlc.tensor as T
from mlc.tensor.advanced import AdvancedIncSubtensor

RNG = np.random.default_rng(11)


def _add_at(x, index, y):
    out = x.copy()
    np.add.at(out, index, y)
    return out


def _set_last(x, index, y):
    """x with x[index] = y, repeats applied in index order (the last wins)."""
    out = x.copy()
    index = np.broadcast_arrays(*index)
    y = np.broadcast_to(y, x[tuple(index)].shape)
    for pos in np.ndindex(*index[0].shape):
        out[tuple(int(i[pos]) for i in index)] = y[pos]
    return out


def _values(shape, dtype):
    v = RNG.normal(size=shape) * 4
    if np.dtype(dtype).kind == "c":
        v = v + 1j * RNG.normal(size=shape)
    return v.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "complex128"])
def test_scatter_matches_numpy(dtype):
    x1, x2, x3 = (T.tensor(dtype, (False,) * k, name=f"x{k}") for k in (1, 2, 3))
    y1, y2, y3, y4 = (T.tensor(dtype, (False,) * k, name=f"y{k}") for k in (1, 2, 3, 4))
    i, j, k = T.lvector("i"), T.ivector("j"), T.lvector("k")
    m, s = T.lmatrix("m"), T.lscalar("s")
    outs = [
        T.inc_subtensor(x1[i], y1),  # 1-d dest, repeats, negatives
        T.set_subtensor(x1[i], y1),  # the last repeat wins
        T.inc_subtensor(x2[i], y2),  # rows (one trailing dim)
        T.set_subtensor(x2[i, j], y1),  # pairs: no trailing dim
        T.inc_subtensor(x3[m], y4),  # a 2-d index, two trailing dims
        T.inc_subtensor(x3[k, j], y3[:, 0]),  # pairs, one trailing dim
        T.inc_subtensor(x2[i], y1[:3]),  # src broadcast along the positions (a row of x2's width)
        T.set_subtensor(x3[k], np.asarray(3, dtype)),  # a scalar src
        AdvancedIncSubtensor(1)(x2, y1[:3], s),  # a 0-d index: one row
        T.inc_subtensor(x1[i[:0]], y1[:0]),  # no position at all
    ]
    f = mlc.function([x1, x2, x3, y1, y2, y3, y4, i, j, k, m, s], outs)
    iv = np.array([3, -1, 0, 3, -5, 3])
    jv = np.array([1, 0, -2, 1, 2, 1], "int32")
    kv = np.array([2, -4, 3, 2, -1, 2])
    mv = np.array([[1, -4], [1, 2], [0, 1]])
    xv1, xv2, xv3 = _values(5, dtype), _values((5, 3), dtype), _values((4, 3, 2), dtype)
    yv1, yv2 = _values(6, dtype), _values((6, 3), dtype)
    yv3, yv4 = _values((6, 3, 2), dtype), _values((3, 2, 3, 2), dtype)
    keep = [a.copy() for a in (xv1, xv2, xv3)]
    got = f(xv1, xv2, xv3, yv1, yv2, yv3, yv4, iv, jv, kv, mv, 2)
    want = [
        _add_at(xv1, (iv,), yv1), _set_last(xv1, (iv,), yv1), _add_at(xv2, (iv,), yv2),
        _set_last(xv2, (iv, jv), yv1), _add_at(xv3, (mv,), yv4), _add_at(xv3, (kv, jv), yv3[:, 0]),
        _add_at(xv2, (iv,), np.broadcast_to(yv1[:3], (6, 3))), _set_last(xv3, (kv,), np.asarray(3, dtype)),
        _add_at(xv2, (2,), yv1[:3]), xv1,
    ]
    for n, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == np.dtype(dtype) and g.shape == w.shape, (n, g.dtype, g.shape, w.shape)
        if np.dtype(dtype).kind in "iu":
            np.testing.assert_array_equal(g, w, err_msg=f"output {n}")
        else:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=f"output {n}")
    for a, b in zip((xv1, xv2, xv3), keep):  # a dest that is an argument is never written
        np.testing.assert_array_equal(a, b)


def test_shared_table_updated_in_place_reads_its_old_rows():
    t0 = RNG.normal(size=(50, 4))
    table = mlc.shared(t0.copy(), "table")
    i = T.lvector("i")
    # the increment reads rows of the old table (some of them rows the update writes)
    step = mlc.function([i], table[i].sum(), updates=[(table, T.inc_subtensor(table[i], 2 * table[i[::-1]]))])
    storage = table.get_value(borrow=True)
    iv = np.array([7, -1, 7, 0, 49])
    want = t0.copy()
    for _ in range(2):
        total = step(iv)
        np.testing.assert_allclose(total, want[iv].sum())
        want = _add_at(want, (iv,), 2 * want[iv[::-1]])
        np.testing.assert_allclose(table.get_value(), want)
    assert table.get_value(borrow=True) is storage  # written in place (mlc.inplace), not a new table


def _native(mt_text: str, name: str):
    """An mt module compiled natively through the FAST_RUN stages (no graph: no index check before)."""
    from mlc.compile.pipeline import context, run_stages, stages
    from mlc.runtime.cpu import compile_module

    module = Parser(context(), mt_text).parse_module()
    run_stages(module, stages("FAST_RUN", "llvm"))
    return compile_module(module, [name])


def test_an_index_out_of_range_touches_no_memory():
    compiled = _native("""
    func.func @f(%x: tensor<?x3xf64>, %s: tensor<?x3xf64>, %i: tensor<?xi64>) -> tensor<?x3xf64> {
      %r = mt.scatter add %s into %x[%i] : tensor<?x3xf64> into tensor<?x3xf64>[tensor<?xi64>]
      func.return %r : tensor<?x3xf64>
    }""", "f")
    x, s = RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3))
    i = np.array([1, 4, -5, 10**12, -2])  # 4, -5 and 10**12 are outside [-4, 4): skipped
    out = np.empty_like(x)
    compiled.call("f", [x, s, i, out])
    want = x.copy()
    want[1] += s[0]
    want[-2] += s[4]
    np.testing.assert_allclose(out, want)


def test_the_loop_runs_over_positions_not_over_destination_rows():
    """Loop level: the scatter is a parallel loop over column blocks holding one sequential scf.for
    over the index positions (the loads of the index); no linalg.generic with reduction loops
    compares positions against destination rows any more."""
    from mlc.compile.pipeline import context

    x, y, i = T.dmatrix("x"), T.dmatrix("y"), T.lvector("i")
    f = mlc.function([x, i, y], T.inc_subtensor(x[i], y))
    module = Parser(context(), f.dump_ir("loops")).parse_module()
    main = next(op for op in module.walk() if getattr(op, "sym_name", None) and op.sym_name.data == "main")
    index_arg = main.body.block.args[1]
    assert not [op for op in main.walk() if isinstance(op, linalg.GenericOp)
                and any(str(t.data) == "reduction" for t in op.iterator_types)]
    loads = [op for op in main.walk() if isinstance(op, memref.LoadOp) and op.memref is index_arg]
    assert len(loads) == 1
    loop = loads[0].parent_op()
    assert isinstance(loop, scf.ForOp) and isinstance(loop.parent_op(), scf.ParallelOp)
    assert loop.parent_op().parent_op() is main  # (the block loop: top level, the positions inside)
    assert loop.parent_op().attributes["mlc.kernel"].data == "scatter{add}"  # (its name in profiles)
    assert not [op for op in main.walk() if op.name == "arith.cmpi" and op.predicate.value.data == 0]  # no `eq`
    xv, iv, yv = RNG.normal(size=(6, 2)), np.array([5, 0, 5, -6]), RNG.normal(size=(4, 2))
    np.testing.assert_allclose(f(xv, iv, yv), _add_at(xv, (iv,), yv))
