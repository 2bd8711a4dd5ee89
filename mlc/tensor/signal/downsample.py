"""Theano's old tensor.signal.downsample names for pooling."""

from mlc.tensor.signal.pool import max_pool_2d, max_pool_2d_same_size, pool_2d  # noqa: F401

__all__ = ["max_pool_2d", "max_pool_2d_same_size", "pool_2d"]
