"""Theano's tensor.signal: pooling (`pool`, and its old name `downsample`)."""

from mlc.tensor.signal import downsample, pool  # noqa: F401
