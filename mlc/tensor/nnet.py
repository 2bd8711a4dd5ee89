"""Neural-network ops (Theano's tensor.nnet): sigmoid, softplus, softmax, log_softmax, relu, losses."""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, Op, TensorType, built_at
from mlc.graph.dtype import upgrade_to_float
from mlc.tensor.elemwise import cast, log, log1p, maximum, sigmoid, softplus, switch
from mlc.tensor.var import as_tensor_variable
from mlc.tensor.conv import (conv2d, conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights,  # noqa: F401
                             conv2d_transpose, conv3d)


class Softmax(Op):
    """softmax (or log_softmax) along the last axis, computed stably (max shift)."""

    __props__ = ("log",)

    def __init__(self, log: bool):
        self.log = log

    def __str__(self) -> str:
        return "LogSoftmax" if self.log else "Softmax"

    def make_node(self, x) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise GraphError(f"{self}: expected at least a 1-d input, got a scalar{built_at(x)}")
        x = cast(x, upgrade_to_float(x.dtype))
        return Apply(self, [x], [TensorType(x.dtype, x.broadcastable)])

    def perform(self, node, inputs):
        x = np.asarray(inputs[0])
        m = np.max(x, axis=-1, keepdims=True) if x.shape[-1] else 0
        z = x - m
        lse = np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
        return [(z - lse if self.log else np.exp(z - lse)).astype(x.dtype)]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        name = "log_softmax" if self.log else "softmax"
        return [ctx.mt(node, name, operands, axis=node.inputs[0].ndim - 1)]

    def L_op(self, inputs, outputs, output_grads):
        from mlc.tensor.elemwise import exp

        (y,), (g,) = outputs, output_grads
        if self.log:  # y = x - logsumexp(x): dx = g - softmax(x) * sum(g)
            return [g - exp(y) * g.sum(axis=-1, keepdims=True)]
        return [(g - (g * y).sum(axis=-1, keepdims=True)) * y]  # dx = y * (g - <g, y>)

    def batch(self, node, inputs, batched):
        return [self(inputs[0])]  # still the last axis


def softmax(x, axis=-1):
    """Row-wise softmax (over the last axis), numerically stable."""
    x = as_tensor_variable(x)
    if axis not in (-1, x.ndim - 1):
        perm = list(range(x.ndim))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return Softmax(False)(x.dimshuffle(*perm)).dimshuffle(*perm)
    return Softmax(False)(x)


def log_softmax(x, axis=-1):
    """log(softmax(x)) over the last axis, computed without overflow."""
    x = as_tensor_variable(x)
    if axis not in (-1, x.ndim - 1):
        perm = list(range(x.ndim))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return Softmax(True)(x.dimshuffle(*perm)).dimshuffle(*perm)
    return Softmax(True)(x)


logsoftmax = log_softmax


def relu(x, alpha=0):
    """max(x, 0), or leaky relu with slope `alpha` below zero."""
    x = as_tensor_variable(x)
    if alpha == 0:
        return maximum(x, 0)
    return switch(x > 0, x, alpha * x)


def elu(x, alpha=1):
    from mlc.tensor.elemwise import expm1

    return switch(x > 0, x, alpha * expm1(x))


def selu(x):
    return 1.0507009873554804934193349852946 * elu(x, 1.6732632423543772848170429916717)


def softsign(x):
    return x / (1 + abs(as_tensor_variable(x)))


def hard_sigmoid(x):
    from mlc.tensor.elemwise import clip

    return clip(as_tensor_variable(x) * 0.2 + 0.5, 0, 1)


ultra_fast_sigmoid = sigmoid


def binary_crossentropy(output, target):
    """-(target*log(output) + (1-target)*log(1-output)), elementwise."""
    return -(target * log(output) + (1 - target) * log1p(-output))


def sigmoid_binary_crossentropy(output, target):
    """binary_crossentropy(sigmoid(output), target) computed stably from logits."""
    return target * softplus(-output) + (1 - target) * softplus(output)


def categorical_crossentropy(coding_dist, true_dist):
    """Cross-entropy between each row of `coding_dist` (probabilities) and its target.

    `true_dist` is one-hot rows or probabilities (same rank: -sum(true_dist *
    log(coding_dist), axis=-1)) or a vector of integer class labels, one per
    row of the matrix `coding_dist` (-log(coding_dist[i, true_dist[i]]), by
    advanced indexing; a label outside [-n_classes, n_classes) is an error
    before any code runs). For `softmax(x)` with labels the log-probability
    is log_softmax(x), which stays finite where softmax underflows.
    """
    true_dist = as_tensor_variable(true_dist)
    coding_dist = as_tensor_variable(coding_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -(true_dist * log(coding_dist)).sum(axis=-1)
    from mlc.graph.dtype import INTS

    if coding_dist.ndim != 2 or true_dist.ndim != 1 or true_dist.dtype not in INTS:
        raise TypeError(f"categorical_crossentropy: expected a matrix of probabilities and targets of the same "
                        f"rank or a vector of integer labels, got {coding_dist.type} and {true_dist.type}"
                        f"{built_at(true_dist)}")
    from mlc.tensor.alloc import arange

    rows = arange(coding_dist.shape[0])
    owner = coding_dist.owner
    if owner is not None and isinstance(owner.op, Softmax) and not owner.op.log:
        return -log_softmax(owner.inputs[0])[rows, true_dist]
    return -log(coding_dist[rows, true_dist])


__all__ = ["sigmoid", "softplus", "softmax", "log_softmax", "logsoftmax", "relu", "elu", "selu", "softsign",
           "hard_sigmoid", "ultra_fast_sigmoid", "binary_crossentropy", "sigmoid_binary_crossentropy",
           "categorical_crossentropy"]
