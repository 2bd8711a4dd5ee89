"""Batch normalization (Theano's tensor.nnet.bn), composed from elementwise ops and reductions.

Gradients come from the pieces; they equal Theano's AbstractBatchNormTrainGrad
(the usual formula) up to rounding.
"""

from __future__ import annotations

import builtins

import numpy as np

from mlc.tensor.elemwise import cast, sqrt
from mlc.tensor.opclass import TheanoOpClass
from mlc.tensor.var import as_tensor_variable


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """(inputs - mean) * (gamma / std) + beta, elementwise with broadcasting (mode is accepted)."""
    if mode not in ("low_mem", "high_mem"):
        raise ValueError('mode must be either "low_mem", "high_mem"')
    inputs, gamma, beta = as_tensor_variable(inputs), as_tensor_variable(gamma), as_tensor_variable(beta)
    mean, std = as_tensor_variable(mean), as_tensor_variable(std)
    return (inputs - mean) * (gamma / std) + beta


def _axes(axes, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if axes == "per-activation":
        axes = (0,)
    elif axes == "spatial":
        axes = (0, *range(2, ndim))
    elif isinstance(axes, (tuple, list, np.ndarray)):
        axes = tuple(int(a) for a in axes)
    else:
        raise ValueError(f"invalid axes: {axes}")
    axes = tuple(sorted(axes))
    if len(axes) == 0:
        raise ValueError("there should be at least one normalization axis")
    if min(axes) < 0 or max(axes) >= ndim:
        raise ValueError(f"axes should be less than ndim (<{ndim}), but {axes} given")
    return axes, tuple(i for i in range(ndim) if i not in axes)


def _params(values, axes, non_bc, ndim, what: str):
    """gamma/beta/mean/var: either with the inputs' rank, or one dim per non-normalized axis."""
    out = []
    for v in values:
        v = as_tensor_variable(v)
        if v.ndim == ndim:
            out.append(v)
        elif v.ndim == len(non_bc):
            pattern = ["x"] * ndim
            for i, axis in enumerate(non_bc):
                pattern[axis] = i
            out.append(v.dimshuffle(*pattern))
        else:
            raise ValueError(f"{what} dimensionality must match the number of non-normalized axes, or have the "
                             f"same number of dimensions as the inputs; got {v.ndim} instead of {len(non_bc)}")
    return out


def _train(x, scale, bias, axes, epsilon, factor, running_mean, running_var) -> list:
    """[out, mean, invstd(, new running mean, new running var)] from the batch statistics over `axes`
    (Theano's AbstractBatchNormTrain.perform; every operand has x's rank, statistics keep their dims)."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    invstd = 1.0 / sqrt(var + epsilon)
    results = [(x - mean) * (scale * invstd) + bias, mean, invstd]
    if running_mean is not None:
        m = 1
        for a in axes:
            m = m * x.shape[a]
        m = cast(m, x.dtype)
        results.append(running_mean * (1.0 - factor) + mean * factor)
        results.append(running_var * (1.0 - factor) + (m / (m - 1)) * var * factor)
    return results


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None, running_var=None):
    """Normalize by the batch statistics over `axes`: (out, mean, invstd[, new running mean, new running var]).

    out = (x - mean) * gamma / sqrt(var + epsilon) + beta; mean and invstd
    have gamma's shape; the running averages move by running_average_factor,
    the variance's unbiased (m / (m - 1), m the normalized element count).
    """
    inputs = as_tensor_variable(inputs)
    ndim = inputs.ndim
    axes, non_bc = _axes(axes, ndim)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be given or both be None")
    if epsilon < 1e-5:
        raise ValueError(f"epsilon must be at least 1e-5, got {epsilon}")
    params_ndim = as_tensor_variable(gamma).ndim
    gamma, beta = _params([gamma, beta], axes, non_bc, ndim, "gamma and beta")
    if running_mean is not None:
        running_mean, running_var = _params([running_mean, running_var], axes, non_bc, ndim,
                                            "running_mean and running_var")
    results = _train(inputs, gamma, beta, axes, epsilon, running_average_factor, running_mean, running_var)
    if params_ndim != ndim:
        results = [results[0]] + [r.dimshuffle(*non_bc) for r in results[1:]]
    return tuple(results)


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation", epsilon=1e-4):
    """(x - mean) * gamma / sqrt(var + epsilon) + beta with given statistics."""
    inputs = as_tensor_variable(inputs)
    axes, non_bc = _axes(axes, inputs.ndim)
    if epsilon < 1e-5:
        raise ValueError(f"epsilon must be at least 1e-5, got {epsilon}")
    gamma, beta, mean, var = _params([gamma, beta, mean, var], axes, non_bc, inputs.ndim, "gamma, beta, mean, var")
    return _inference(inputs, gamma, beta, mean, var, epsilon)


def _inference(x, scale, bias, mean, var, epsilon):
    return (x - mean) * (scale / sqrt(var + epsilon)) + bias


__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]


def _op_axes(axes, ndim: int, what: str) -> tuple[int, ...]:
    if not builtins.all(0 <= a < ndim for a in axes):
        raise ValueError(f"{what}: axes should be less than ndim (<{ndim}), but {axes} given")
    return axes


def _same_rank(what: str, x, *operands):
    for v in operands:
        if v.ndim != x.ndim:
            raise ValueError(f"{what}: every operand must have the input's {x.ndim} dims, got {v} ({v.type})")


class AbstractBatchNormTrain(TheanoOpClass):
    """Theano's AbstractBatchNormTrain(axes)(x, scale, bias, epsilon=1e-4, running_average_factor=0.1,
    running_mean=None, running_var=None): [out, mean, invstd(, new running mean, new running var)], every
    operand of x's rank (what batch_normalization_train builds after reshaping its parameters)."""

    __props__ = ("axes",)

    def __init__(self, axes=(0,)):
        if not isinstance(axes, (tuple, list)) or not axes:
            raise ValueError(f"AbstractBatchNormTrain: axes must be a non-empty tuple, got {axes!r}")
        self.axes = tuple(int(a) for a in axes)

    def build(self, x, scale, bias, epsilon=1e-4, running_average_factor=0.1, running_mean=None,
              running_var=None):
        if (running_mean is None) != (running_var is None):
            raise ValueError("running_mean and running_var must either both be given or both be None")
        x, scale, bias = (as_tensor_variable(v) for v in (x, scale, bias))
        running = [as_tensor_variable(v) for v in (running_mean, running_var) if v is not None]
        _same_rank("AbstractBatchNormTrain", x, scale, bias, *running)
        axes = _op_axes(self.axes, x.ndim, "AbstractBatchNormTrain")
        return _train(x, scale, bias, axes, epsilon, running_average_factor, *(running or [None, None]))


class AbstractBatchNormInference(TheanoOpClass):
    """Theano's AbstractBatchNormInference(axes)(x, scale, bias, estimated_mean, estimated_variance,
    epsilon=1e-4): (x - mean) * scale / sqrt(variance + epsilon) + bias, every operand of x's rank."""

    __props__ = ("axes",)

    def __init__(self, axes=(0,)):
        self.axes = tuple(int(a) for a in axes)

    def build(self, x, scale, bias, estimated_mean, estimated_variance, epsilon=1e-4):
        x, scale, bias, mean, var = (as_tensor_variable(v) for v in (x, scale, bias, estimated_mean,
                                                                     estimated_variance))
        _same_rank("AbstractBatchNormInference", x, scale, bias, mean, var)
        _op_axes(self.axes, x.ndim, "AbstractBatchNormInference")
        return _inference(x, scale, bias, mean, var, epsilon)


class AbstractBatchNormTrainGrad(TheanoOpClass):
    """Theano's AbstractBatchNormTrainGrad(axes)(x, dy, scale, x_mean, x_invstd, epsilon=1e-4): the gradients
    [d inputs, d scale, d bias] of batch normalization in training, from the saved mean and invstd."""

    __props__ = ("axes",)

    def __init__(self, axes=(0,)):
        self.axes = tuple(int(a) for a in axes)

    def build(self, x, dy, scale, x_mean, x_invstd, epsilon=1e-4):
        x, dy, scale, x_mean, x_invstd = (as_tensor_variable(v) for v in (x, dy, scale, x_mean, x_invstd))
        _same_rank("AbstractBatchNormTrainGrad", x, dy, scale, x_mean, x_invstd)
        axes = _op_axes(self.axes, x.ndim, "AbstractBatchNormTrainGrad")
        x_diff = x - x_mean
        mean_dy_x_diff = (dy * x_diff).mean(axis=axes, keepdims=True)
        c = dy * x_invstd - x_diff * mean_dy_x_diff * x_invstd ** 3
        return [scale * (c - c.mean(axis=axes, keepdims=True)),
                (dy * x_invstd * x_diff).sum(axis=axes, keepdims=True), dy.sum(axis=axes, keepdims=True)]


__all__ += ["AbstractBatchNormTrain", "AbstractBatchNormInference", "AbstractBatchNormTrainGrad"]
