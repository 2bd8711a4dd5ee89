"""Pickling graphs, shared variables and compiled functions; pkl_utils; compiled functions on Dask."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc import In
from mlc.misc import pkl_utils
from mlc.tensor import nnet


def _mlp():
    x, y = T.dmatrix("x"), T.ivector("y")
    W = mlc.shared(np.linspace(-1, 1, 12).reshape(3, 4), "W")
    b = mlc.shared(np.zeros(4), "b")
    p = nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gW, gb = mlc.grad(cost, [W, b])
    train = mlc.function([x, y], cost, updates=[(W, W - 0.1 * gW), (b, b - 0.1 * gb)], name="train")
    return x, y, W, b, cost, train


DATA = (np.arange(15.0).reshape(5, 3) / 10, np.array([0, 1, 2, 3, 0], dtype="int32"))


def test_graph_and_shared_variables_pickle():
    x, y, W, b, cost, train = _mlp()
    x2, y2, W2, cost2 = pickle.loads(pickle.dumps((x, y, W, cost)))
    assert W2.get_value().tolist() == W.get_value().tolist() and W2.name == "W"
    f = mlc.function([x2, y2], cost2)
    g = mlc.function([x, y], cost)
    assert np.allclose(f(*DATA), g(*DATA))


def test_function_pickles_with_its_shared_state():
    x, y, W, b, cost, train = _mlp()
    train(*DATA)
    f2, W2 = pickle.loads(pickle.dumps((train, W)))
    assert W2 is not W and np.array_equal(W2.get_value(), W.get_value())
    expected = train(*DATA)
    assert np.allclose(f2(*DATA), expected)
    assert np.allclose(W2.get_value(), W.get_value())  # the copy updated its own W, as the original did
    assert f2.name == "train"


def test_function_state_and_options_survive_pickling():
    u, s = T.dscalars("u", "s")
    acc = mlc.function([u, In(s, value=10.0, update=s + u)], s * 2)
    acc(5)
    acc2 = pickle.loads(pickle.dumps(acc))
    assert acc2["s"] == 15.0  # (the unpickled function has its own copies of the variables)
    assert acc2(1) == 30.0 and acc2["s"] == 16.0
    assert acc["s"] == 15.0  # independent state
    single = pickle.loads(pickle.dumps(mlc.function([u], [u + 1])))
    assert isinstance(single(1), list)


def test_unpickle_function_flag():
    u = T.dscalar("u")
    data = pickle.dumps(mlc.function([u], u + 1))
    with mlc.config.change_flags(unpickle_function=False):
        assert pickle.loads(data) is None


def test_function_loads_in_a_fresh_process_from_the_disk_cache(tmp_path):
    x, y, W, b, cost, train = _mlp()
    path = tmp_path / "train.pkl"
    path.write_bytes(pickle.dumps((train, W)))
    # The runtime's own modules (thread pool, BLAS adapters) are loaded first and not counted: an
    # earlier test of this process may have compiled them into another cache_dir, so this one may lack them.
    script = textwrap.dedent(f"""
        import pickle, numpy as np
        from mlc.runtime import cache
        from mlc.runtime.blas_symbols import register_blas_symbols
        from mlc.runtime.parallel import register_parallel_symbols
        register_parallel_symbols()
        register_blas_symbols()
        before = cache.stats.compiles
        train, W = pickle.load(open({str(path)!r}, 'rb'))
        x = np.arange(15.0).reshape(5, 3) / 10
        y = np.array([0, 1, 2, 3, 0], dtype='int32')
        print(float(train(x, y)), cache.stats.compiles - before, cache.stats.disk_hits)
    """)
    env = dict(os.environ, MLC_FLAGS=f"cache_dir={mlc.config.cache_dir}")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    value, compiles, hits = out.stdout.split()
    assert np.isclose(float(value), train(*DATA))
    assert int(compiles) == 0 and int(hits) >= 1  # recompiled from the disk cache, no LLVM run


def test_pkl_utils_dump_load_and_numpy_readable(tmp_path):
    foo_1 = mlc.shared(np.arange(3.0), name="foo")
    foo_2 = mlc.shared(1, name="foo")
    u = T.dscalar("u")
    f = mlc.function([u], u * foo_2, updates=[(foo_2, foo_2 + 1)])
    path = tmp_path / "model.zip"
    with open(path, "wb") as fh:
        pkl_utils.dump((foo_1, foo_2, np.array(2), f), fh)
    npz = np.load(path)
    assert {"foo", "foo_2", "pkl"} <= set(npz.keys())
    assert npz["foo"].tolist() == [0.0, 1.0, 2.0]
    with open(path, "rb") as fh:
        a, b, c, g = pkl_utils.load(fh)
    assert a.get_value().tolist() == [0.0, 1.0, 2.0] and c == 2
    assert g(3) == 3 and b.get_value() == 2  # the loaded function updates the loaded variable


def test_strip_pickler_drops_test_values():
    x = T.dvector("x")
    x.tag.test_value = np.ones(2)
    x.tag.keep = 1
    buf = io.BytesIO()
    pkl_utils.StripPickler(buf, protocol=-1).dump(x * 2)
    y = pickle.loads(buf.getvalue())
    (x2,) = y.owner.inputs[0].owner.inputs if y.owner.inputs[0].owner else (y.owner.inputs[0],)
    assert "test_value" not in x2.tag and x2.tag.keep == 1
    assert "test_value" in x.tag


def test_compiled_function_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    da = pytest.importorskip("dask.array")
    x = T.dvector("x")
    f = mlc.function([x], T.tanh(x) * 2)
    # the function as Dask sends it to a worker
    g = distributed.protocol.deserialize(*distributed.protocol.serialize(f))
    assert np.allclose(g(np.ones(3)), np.tanh(1) * 2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        a = np.linspace(-1, 1, 8)
        assert np.allclose(client.submit(f, a).result(), np.tanh(a) * 2)
        parts = client.gather(client.map(f, [a, a + 1, a + 2]))
        assert all(np.allclose(p, np.tanh(a + k) * 2) for k, p in enumerate(parts))
        arr = da.from_array(np.linspace(-2, 2, 40), chunks=10)
        assert np.allclose(arr.map_blocks(f, dtype="float64").compute(), np.tanh(np.linspace(-2, 2, 40)) * 2)
