"""Neural-network ops (Theano's tensor.nnet): sigmoid, softplus, softmax, log_softmax, relu, losses."""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, GraphError, Op, TensorType, built_at
from mlc.graph.dtype import FLOATS, upgrade_to_float
from mlc.tensor.elemwise import cast, log, log1p, maximum, sigmoid, softplus, switch
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable
from mlc.tensor.conv import (conv2d, conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights,  # noqa: F401
                             conv2d_transpose, conv3d)


class Softmax(Op):
    """softmax (or log_softmax) along the last axis, computed stably (max shift); Theano's Softmax() op."""

    __props__ = ("log",)

    def __init__(self, log: bool = False):
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


class LogSoftmax(Softmax):
    """Theano's LogSoftmax op: LogSoftmax()(x) is log(softmax(x)) over the last axis (Softmax with log=True)."""

    def __init__(self):
        super().__init__(True)

    L_op = Softmax.L_op  # Softmax's rules, which read `log`
    batch = Softmax.batch


softmax_op = Softmax()
logsoftmax_op = LogSoftmax()


def softmax_grad(dy, sm):
    """Theano's SoftmaxGrad: the gradient dx of softmax at output `sm` for incoming gradient `dy`,
    dx = dy * sm - sum(dy * sm, last axis) * sm, row by row (1-d operands are taken as one row)."""
    dy, sm = as_tensor_variable(dy), as_tensor_variable(sm)
    if dy.ndim not in (1, 2) or dy.dtype not in FLOATS:
        raise ValueError(f"softmax_grad: dy must be a 1-d or 2-d tensor of floats, got {dy.type}{built_at(dy)}")
    dy = dy.dimshuffle("x", 0) if dy.ndim == 1 else dy
    sm = sm.dimshuffle("x", 0) if sm.ndim == 1 else sm
    dy_sm = dy * sm
    return dy_sm - dy_sm.sum(axis=-1, keepdims=True) * sm


class SoftmaxGrad(TheanoOpClass):
    """Theano's SoftmaxGrad()(dy, sm): softmax_grad(dy, sm)."""

    def build(self, dy, sm):
        return softmax_grad(dy, sm)


def _prepend_to_each_row(val, mat):
    """`mat` (a matrix) with a first column of `val` (cast to mat's dtype)."""
    from mlc.tensor.alloc import alloc
    from mlc.tensor.shape import concatenate

    mat = as_tensor_variable(mat)
    if mat.ndim != 2:
        raise TypeError(f"prepend_scalar_to_each_row: expected a matrix, got {mat} ({mat.type}){built_at(mat)}")
    val = as_tensor_variable(val)
    if val.ndim != 0:
        raise TypeError(f"prepend_scalar_to_each_row: expected a scalar value, got {val.type}{built_at(val)}")
    column = alloc(cast(val, mat.dtype), mat.shape[0], 1)
    return concatenate([column, mat], axis=1)


class Prepend_scalar_constant_to_each_row(TheanoOpClass):  # noqa: N801 (Theano's class name)
    """Theano's Prepend_scalar_constant_to_each_row(val)(mat): mat with a first column of the constant val."""

    __props__ = ("val",)

    def __init__(self, val=0):
        self.val = val

    def build(self, mat):
        return _prepend_to_each_row(self.val, mat)


class Prepend_scalar_to_each_row(TheanoOpClass):  # noqa: N801 (Theano's class name)
    """Theano's Prepend_scalar_to_each_row()(val, mat): mat with a first column of the scalar val (its
    gradient for val is the sum of that column's gradient; Theano returns the column itself)."""

    def build(self, val, mat):
        return _prepend_to_each_row(val, mat)


prepend_scalar_to_each_row = Prepend_scalar_to_each_row()
prepend_0_to_each_row = Prepend_scalar_constant_to_each_row(0.0)
prepend_1_to_each_row = Prepend_scalar_constant_to_each_row(1.0)


def softmax_graph(c):
    """exp(c) / sum(exp(c)) over the last axis, as Theano writes it (mlc computes it stably)."""
    return softmax(c)


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
        return logsoftmax_op(x.dimshuffle(*perm)).dimshuffle(*perm)
    return logsoftmax_op(x)


logsoftmax = log_softmax


def relu(x, alpha=0):
    """Theano's relu: 0.5 * (x + |x|) (so its gradient at 0 is 0.5), or with slope `alpha` below zero
    (0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * |x|). Integer inputs take max(x, 0)."""
    from mlc.graph.dtype import FLOATS

    x = as_tensor_variable(x)
    if x.dtype not in FLOATS and alpha == 0:
        return maximum(x, 0)
    if alpha == 0:
        return 0.5 * (x + abs(x))
    alpha = as_tensor_variable(alpha)
    return 0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * abs(x)


def elu(x, alpha=1):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    from mlc.tensor.elemwise import expm1

    x = as_tensor_variable(x)
    return switch(x > 0, x, alpha * expm1(x))


def selu(x):
    """Scaled elu (Klambauer et al.): 1.0507... * elu(x, 1.6732...)."""
    return 1.0507009873554804934193349852946 * elu(x, 1.6732632423543772848170429916717)


def softsign(x):
    """x / (1 + |x|)."""
    x = as_tensor_variable(x)
    return x / (1 + abs(x))


def hard_sigmoid(x):
    """clip(0.2 * x + 0.5, 0, 1), in x's float type."""
    from mlc.tensor.elemwise import clip

    from mlc.tensor.var import constant

    x = as_tensor_variable(x)
    dtype = upgrade_to_float(x.dtype)
    x = cast(x, dtype)
    slope, shift = constant(np.asarray(0.2, dtype=dtype)), constant(np.asarray(0.5, dtype=dtype))
    return clip(x * slope + shift, 0, 1)


def ultra_fast_sigmoid(x):
    """Theano's piecewise approximation of sigmoid (max error ~0.02): 0.5 * (t(x / 2) + 1) with
    t(u) = sign(u) * (1.5|u| / (1 + |u|) below 1.7, 0.9354 + 0.04588 (|u| - 1.7) below 3, else 0.99505).
    Theano defines no gradient for it; mlc differentiates the pieces."""
    x = as_tensor_variable(x)
    x = cast(x, upgrade_to_float(x.dtype))
    u = abs(x * 0.5)
    z = switch(u < 1.7, 1.5 * u / (1 + u), switch(u < 3, 0.935409070603099 + 0.0458812946797165 * (u - 1.7),
                                                     0.99505475368673))
    z = switch(x >= 0, z, -z)
    return cast(0.5 * (z + 1.0), x.dtype)


def binary_crossentropy(output, target):
    """-(target*log(output) + (1-target)*log(1-output)), elementwise."""
    # Theano's spelling: stabilize-mt turns log(1 - sigmoid(x)) into -softplus(x) and log(sigmoid(x)) into
    # -softplus(-x), so binary_crossentropy(sigmoid(x), t) stays finite; any other log(1 - p) becomes log1p(-p)
    return -(target * log(output) + (1 - target) * log(1 - output))


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


def softmax_with_bias(x, b):
    """softmax(x + b) of a matrix x and a bias vector b (Theano's SoftmaxWithBias)."""
    x, b = as_tensor_variable(x), as_tensor_variable(b)
    if x.ndim != 2 or b.ndim != 1:
        raise ValueError(f"softmax_with_bias: expected a matrix x and a vector b, got {x.type} and {b.type}"
                         f"{built_at(x)}")
    return softmax(x + b.dimshuffle("x", 0))


class SoftmaxWithBias:
    """Theano's SoftmaxWithBias op: SoftmaxWithBias()(x, b) is softmax_with_bias(x, b)."""

    def __call__(self, x, b):
        return softmax_with_bias(x, b)


def confusion_matrix(actual, pred):
    """(the confusion matrix of the label vectors, the sorted labels) as Theano computes it: the counts
    conf[i, j] of samples labelled order[i] and predicted order[j] (int64)."""
    from mlc.tensor.contract import dot
    from mlc.tensor.elemwise import eq
    from mlc.tensor.extra_ops import unique
    from mlc.tensor.shape import concatenate

    actual, pred = as_tensor_variable(actual), as_tensor_variable(pred)
    if actual.ndim != 1:
        raise ValueError("actual must be 1-d tensor variable")
    if pred.ndim != 1:
        raise ValueError("pred must be 1-d tensor variable")
    order = unique(concatenate([actual, pred]))
    one_hot_a = eq(actual.dimshuffle(0, "x"), order).astype("int64")
    one_hot_p = eq(pred.dimshuffle(0, "x"), order).astype("int64")
    return [dot(one_hot_a.T, one_hot_p), order]


def scalar_sigmoid(x):
    """Theano's scalar sigmoid op (a scalar is a 0-d tensor in mlc): sigmoid(x)."""
    return sigmoid(x)


def _label_vector(y_idx, who: str):
    from mlc.graph.dtype import DISCRETE

    y_idx = as_tensor_variable(y_idx)
    if y_idx.ndim != 1 or y_idx.dtype not in DISCRETE:
        raise ValueError(f"{who}: y_idx must be 1-d tensor of [u]ints, got {y_idx.type}{built_at(y_idx)}")
    return y_idx


def crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx):
    """(nll, softmax(x + b), argmax(x + b)) per row, with nll[i] = -log softmax(x + b)[i, y_idx[i]]."""
    from mlc.tensor.alloc import arange
    from mlc.tensor.reduce import argmax

    x, b = as_tensor_variable(x), as_tensor_variable(b)
    y_idx = _label_vector(y_idx, "crossentropy_softmax_argmax_1hot_with_bias")
    if x.ndim != 2 or b.ndim != 1:
        raise ValueError(f"crossentropy_softmax_argmax_1hot_with_bias: expected a matrix x and a vector b, got "
                         f"{x.type} and {b.type}{built_at(x)}")
    row = x + b.dimshuffle("x", 0)
    nll = -log_softmax(row)[arange(row.shape[0]), y_idx]
    return nll, softmax(row), cast(argmax(row, axis=1), y_idx.dtype)


def crossentropy_softmax_1hot_with_bias(x, b, y_idx):
    """(nll, softmax(x + b)): see crossentropy_softmax_argmax_1hot_with_bias."""
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)[:2]


def crossentropy_softmax_1hot(x, y_idx):
    """(nll, softmax(x)) for integer labels y_idx, one per row of x."""
    from mlc.tensor.alloc import zeros_like

    x = as_tensor_variable(x)
    return crossentropy_softmax_1hot_with_bias(x, zeros_like(x[0, :]), y_idx)


def crossentropy_softmax_max_and_argmax_1hot_with_bias(x, b, y_idx):
    """(nll, softmax, max probability, argmax) per row."""
    from mlc.tensor.reduce import max_and_argmax

    xent, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx)
    max_pr, argmax = max_and_argmax(sm, axis=-1)
    return xent, sm, max_pr, argmax


def crossentropy_softmax_max_and_argmax_1hot(x, y_idx):
    from mlc.tensor.alloc import zeros_like

    x = as_tensor_variable(x)
    return crossentropy_softmax_max_and_argmax_1hot_with_bias(x, zeros_like(x[0, :]), y_idx)


def crossentropy_categorical_1hot(coding_dist, true_one_of_n):
    """-log(coding_dist[i, true_one_of_n[i]]) per row (labels as integers)."""
    return categorical_crossentropy(coding_dist, _label_vector(true_one_of_n, "crossentropy_categorical_1hot"))


class CrossentropyCategorical1Hot(TheanoOpClass):
    """Theano's CrossentropyCategorical1Hot()(coding_dist, true_one_of_n): crossentropy_categorical_1hot."""

    def build(self, coding_dist, true_one_of_n):
        return crossentropy_categorical_1hot(coding_dist, true_one_of_n)


def _one_hot_mask(labels, like):
    """mask[i, j] = (j == labels[i]) for a matrix `like`."""
    from mlc.tensor.alloc import arange
    from mlc.tensor.elemwise import eq

    return eq(arange(like.shape[1]).dimshuffle("x", 0), labels.dimshuffle(0, "x"))


def crossentropy_categorical_1hot_grad(g_y, coding_dist, true_one_of_n):
    """Theano's CrossentropyCategorical1HotGrad: the gradient of crossentropy_categorical_1hot with respect
    to coding_dist: -g_y[i] / coding_dist[i, t[i]] at (i, t[i]), zero elsewhere."""
    from mlc.tensor.alloc import arange

    g_y, coding = as_tensor_variable(g_y), as_tensor_variable(coding_dist)
    t = _label_vector(true_one_of_n, "crossentropy_categorical_1hot_grad")
    picked = coding[arange(coding.shape[0]), t]
    return switch(_one_hot_mask(t, coding), (-g_y / picked).dimshuffle(0, "x"), cast(0, coding.dtype))


class CrossentropyCategorical1HotGrad(TheanoOpClass):
    """Theano's CrossentropyCategorical1HotGrad()(g_y, coding_dist, true_one_of_n)."""

    def build(self, g_y, coding_dist, true_one_of_n):
        return crossentropy_categorical_1hot_grad(g_y, coding_dist, true_one_of_n)


def crossentropy_softmax_1hot_with_bias_dx(dy, sm, y_idx):
    """Theano's CrossentropySoftmax1HotWithBiasDx: the gradient of the 1-hot softmax cross-entropy with
    respect to the softmax's input: dx[i] = dy[i] * (sm[i] - onehot(y_idx[i])) (dy a vector or a scalar).
    A negative label raises at run time (Theano: "y_i value out of bounds")."""
    from mlc.tensor.compose import Assert
    from mlc.tensor.elemwise import ge
    from mlc.tensor.reduce import all as _all

    dy, sm = as_tensor_variable(dy), as_tensor_variable(sm)
    y_idx = _label_vector(y_idx, "crossentropy_softmax_1hot_with_bias_dx")
    if dy.ndim > 1 or dy.dtype not in FLOATS:
        raise ValueError(f"dy must be a 0-d or 1-d tensor of floats, got {dy.type}{built_at(dy)}")
    if sm.ndim != 2 or sm.dtype not in FLOATS:
        raise ValueError(f"sm must be a 2-d tensor of floats, got {sm.type}{built_at(sm)}")
    y_idx = Assert("y_i value out of bounds")(y_idx, _all(ge(y_idx, 0)))
    col = dy.dimshuffle(0, "x") if dy.ndim == 1 else dy
    return cast(col * (sm - cast(_one_hot_mask(y_idx, sm), sm.dtype)), sm.dtype)


class CrossentropySoftmax1HotWithBiasDx(TheanoOpClass):
    """Theano's CrossentropySoftmax1HotWithBiasDx()(dy, sm, y_idx): crossentropy_softmax_1hot_with_bias_dx."""

    def build(self, dy, sm, y_idx):
        return crossentropy_softmax_1hot_with_bias_dx(dy, sm, y_idx)


class CrossentropySoftmaxArgmax1HotWithBias(TheanoOpClass):
    """Theano's CrossentropySoftmaxArgmax1HotWithBias()(x, b, y_idx): (nll, softmax, argmax) per row."""

    def build(self, x, b, y_idx):
        return list(crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx))


def h_softmax(x, batch_size, n_outputs, n_classes, n_outputs_per_class, W1, b1, W2, b2, target=None):  # noqa: N803
    """Theano's two-level hierarchical softmax: p(output) = p(class) * p(output | class).

    The first level is softmax(x W1 + b1) over `n_classes`; output o belongs to class o //
    n_outputs_per_class and its second level is softmax(x W2[class] + b2[class]) over the class's
    outputs. Without `target`: all (batch_size, n_outputs) probabilities; with integer targets (one per
    row, flattened): (batch_size,) probabilities of those outputs only, computing one class per row.
    """
    from mlc.tensor.alloc import arange
    from mlc.tensor.contract import batched_dot, dot, tensordot
    from mlc.tensor.shape import reshape

    x = as_tensor_variable(x)
    class_probs = softmax(dot(x, W1) + b1)
    if target is None:
        activations = tensordot(x, W2, (1, 1)) + b2
        output_probs = softmax(reshape(activations, (-1, n_outputs_per_class)))
        output_probs = reshape(output_probs, (batch_size, n_classes, -1))
        output_probs = class_probs.dimshuffle(0, 1, "x") * output_probs
        return reshape(output_probs, (batch_size, -1))[:, :n_outputs]
    target = as_tensor_variable(target).flatten()
    target_classes = target // n_outputs_per_class
    target_outputs_in_class = target % n_outputs_per_class
    W2, b2 = as_tensor_variable(W2), as_tensor_variable(b2)
    activations = batched_dot(x, W2[target_classes]) + b2[target_classes]
    rows = arange(batch_size)
    return class_probs[rows, target_classes] * softmax(activations)[rows, target_outputs_in_class]


def to_one_hot(y, nb_class, dtype=None):
    """A (len(y), nb_class) matrix with a 1 at (i, y[i]) and 0 elsewhere (dtype floatX by default)."""
    from mlc.tensor.advanced import advanced_set_subtensor
    from mlc.tensor.alloc import arange, zeros

    y = as_tensor_variable(y)
    ret = zeros((y.shape[0], nb_class), dtype=dtype)
    return advanced_set_subtensor(ret, 1, arange(y.shape[0]), y)


__all__ = ["Softmax", "LogSoftmax", "SoftmaxWithBias", "softmax_op", "logsoftmax_op", "softmax_graph",
           "SoftmaxGrad", "softmax_grad", "h_softmax", "CrossentropyCategorical1Hot", "CrossentropyCategorical1HotGrad",
           "crossentropy_categorical_1hot_grad", "CrossentropySoftmax1HotWithBiasDx",
           "crossentropy_softmax_1hot_with_bias_dx", "CrossentropySoftmaxArgmax1HotWithBias", "Prepend_scalar_constant_to_each_row", "Prepend_scalar_to_each_row",
           "prepend_scalar_to_each_row", "prepend_0_to_each_row", "prepend_1_to_each_row",
           "confusion_matrix", "scalar_sigmoid", "sigmoid", "softplus", "softmax", "log_softmax", "logsoftmax", "relu", "elu", "selu", "softsign",
           "hard_sigmoid", "ultra_fast_sigmoid", "binary_crossentropy", "sigmoid_binary_crossentropy",
           "categorical_crossentropy", "softmax_with_bias", "crossentropy_softmax_argmax_1hot_with_bias",
           "crossentropy_softmax_1hot_with_bias", "crossentropy_softmax_1hot", "crossentropy_categorical_1hot",
           "crossentropy_softmax_max_and_argmax_1hot_with_bias", "crossentropy_softmax_max_and_argmax_1hot",
           "to_one_hot", "conv2d", "conv3d", "conv2d_transpose", "conv2d_grad_wrt_inputs",
           "conv2d_grad_wrt_weights", "batch_normalization", "images2neibs", "neibs2images"]


def __getattr__(name):  # the bn and neighbours names, imported on first use
    if name == "batch_normalization":
        from mlc.tensor.bn import batch_normalization

        return batch_normalization
    if name in ("images2neibs", "neibs2images"):
        from mlc.tensor import neighbours

        return getattr(neighbours, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
