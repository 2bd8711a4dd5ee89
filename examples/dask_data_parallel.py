"""Data-parallel training on a Dask cluster with one compiled function.

A small MLP classifier is trained by full-batch gradient descent twice:

* single-process: one compiled function gives the loss and the gradients
  on the whole data set;
* data-parallel: the data is split into equal shards, one per Dask task;
  each worker runs the *same* compiled function on its shard (the function
  travels to the workers pickled as its graph, and they load it from the
  compile cache), the driver averages the shard gradients and applies the
  update.

With equal shards, the average of the shard means is the full mean, so
both runs print the same loss curve (up to float rounding).

    python examples/dask_data_parallel.py            # needs dask[distributed]
"""
import sys

import numpy

import mlc
import mlc.tensor as T
from mlc.tensor import nnet

try:
    from dask.distributed import Client, LocalCluster
except ImportError:
    print("this example needs Dask: pip install 'dask[distributed]'")
    sys.exit(0)

STEPS, LR, WORKERS = 15, 0.5, 2

# -- the model: loss and gradients as a function of the parameters and one batch
X, y = T.dmatrix("X"), T.ivector("y")
W1, b1, W2, b2 = T.dmatrix("W1"), T.dvector("b1"), T.dmatrix("W2"), T.dvector("b2")
hidden = T.tanh(T.dot(X, W1) + b1)
prob = nnet.softmax(T.dot(hidden, W2) + b2)
loss = -T.mean(T.log(prob)[T.arange(y.shape[0]), y])
params = [W1, b1, W2, b2]
loss_and_grads = mlc.function([X, y] + params, [loss] + mlc.grad(loss, params))

rng = numpy.random.default_rng(0)
data = rng.normal(size=(800, 10))
labels = (data[:, 0] + data[:, 1] ** 2 > 1).astype("int32") + (data[:, 2] > 0.5)
init = [rng.normal(scale=0.3, size=(10, 16)), numpy.zeros(16), rng.normal(scale=0.3, size=(16, 3)), numpy.zeros(3)]


def train_single():
    theta = [p.copy() for p in init]
    curve = []
    for _ in range(STEPS):
        out = loss_and_grads(data, labels, *theta)
        curve.append(float(out[0]))
        theta = [p - LR * g for p, g in zip(theta, out[1:])]
    return curve


def shard_step(fn, shard, theta):
    """On a worker: loss and gradients of one shard (fn is the compiled function)."""
    Xs, ys = shard
    return fn(Xs, ys, *theta)


def train_parallel(client):
    shards = list(zip(numpy.array_split(data, WORKERS * 2), numpy.array_split(labels, WORKERS * 2)))
    shard_futures = client.scatter(shards)
    fn = client.scatter(loss_and_grads, broadcast=True)  # sent once, loaded once per worker
    theta = [p.copy() for p in init]
    curve = []
    for _ in range(STEPS):
        outs = client.gather(client.map(shard_step, [fn] * len(shards), shard_futures, [theta] * len(shards),
                                        pure=False))
        curve.append(float(numpy.mean([o[0] for o in outs])))
        grads = [numpy.mean([o[k] for o in outs], axis=0) for k in range(1, 5)]
        theta = [p - LR * g for p, g in zip(theta, grads)]
    return curve


if __name__ == "__main__":
    single = train_single()
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        parallel = train_parallel(client)
    print("step  single-process  data-parallel")
    for k, (a, b) in enumerate(zip(single, parallel)):
        print(f"{k:4d}  {a:.10f}    {b:.10f}")
    assert numpy.allclose(single, parallel, rtol=1e-10), "the two loss curves differ"
    assert single[-1] < single[0]
    print("same loss curve on", WORKERS, "workers")
