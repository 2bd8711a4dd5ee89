"""Batch normalization (Theano's tensor.nnet.bn), composed from elementwise ops and reductions.

Gradients come from the pieces; they equal Theano's AbstractBatchNormTrainGrad
(the usual formula) up to rounding.
"""

from __future__ import annotations

import numpy as np

from mlc.tensor.elemwise import cast, sqrt
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
    mean = inputs.mean(axis=axes, keepdims=True)
    var = inputs.var(axis=axes, keepdims=True)
    invstd = 1.0 / sqrt(var + epsilon)
    out = (inputs - mean) * (gamma * invstd) + beta
    results = [out, mean, invstd]
    if running_mean is not None:
        running_mean, running_var = _params([running_mean, running_var], axes, non_bc, ndim,
                                            "running_mean and running_var")
        m = 1
        for a in axes:
            m = m * inputs.shape[a]
        m = cast(m, inputs.dtype)
        f = running_average_factor
        results.append(running_mean * (1.0 - f) + mean * f)
        results.append(running_var * (1.0 - f) + (m / (m - 1)) * var * f)
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
    return (inputs - mean) * (gamma / sqrt(var + epsilon)) + beta


__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]
