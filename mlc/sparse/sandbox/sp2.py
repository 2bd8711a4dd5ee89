"""theano.sparse.sandbox.sp2: sparse random sampling (Poisson, Binomial, Multinomial) and Theano's aliases.

As in Theano these ops draw from numpy's global random state
(`np.random.seed` makes a run reproducible) and are not deterministic: two
calls of a compiled function give different samples. Host ops over
scipy.sparse; no gradients (Theano's: undefined).
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Apply, built_at
from mlc.sparse.basic import (CSC, CSM, CSR, Cast, CSMProperties, MulSV, SparseOp,  # noqa: F401
                              StructuredAddSV, add_s_s, bcast, ccast, csm_data, csm_indices, csm_indptr,
                              csm_properties, csm_shape, dcast, dot, fcast, icast, lcast, mul_s_d, mul_s_s, mul_s_v,
                              neg, sampling_dot, structured_add, structured_add_s_v, structured_exp, structured_log,
                              structured_maximum, structured_minimum, structured_monoid, structured_pow,
                              structured_sigmoid, wcast, zcast)
from mlc.sparse.structure import (AddSSData, HStack, Remove0, SamplingDot, VStack, add_s_s_data,  # noqa: F401
                                  hstack, remove0, vstack)
from mlc.sparse.type import (FORMATS, SparseType, as_sparse_variable, discrete_dtypes,  # noqa: F401
                             float_dtypes)

# Theano's compatibility aliases
EliminateZeros = Remove0
eliminate_zeros = remove0


def _tensor(x):
    from mlc.tensor.var import as_tensor_variable

    return as_tensor_variable(x)


def _undefined(op, i, x, what):
    from mlc.gradient import grad_undefined

    return grad_undefined(op, i, x, f"No gradient exists for {what} in class {type(op).__name__} of "
                                    f"theano/sparse/sandbox/sp2.py")


class Poisson(SparseOp):
    """A matrix of x's pattern whose entries are Poisson draws with mean x's entries (zeros removed)."""

    __props__ = ()

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        out = inputs[0].copy()
        out.data = np.asarray(np.random.poisson(out.data), dtype=out.dtype)
        out.eliminate_zeros()
        return [out]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def grad(self, inputs, output_grads):
        return [_undefined(self, 0, inputs[0], "the mean")]


poisson = Poisson()


class Binomial(SparseOp):
    """A sparse matrix of `shape` whose entries are binomial(n, p) draws (Theano's Binomial)."""

    __props__ = ("format", "dtype")
    shape_value_inputs = (2,)

    def __init__(self, format: str, dtype: str):
        if format not in FORMATS:
            raise ValueError(f"Binomial: format must be 'csr' or 'csc', got {format!r}")
        self.format, self.dtype = format, str(np.dtype(dtype))

    def __str__(self) -> str:
        return f"Binomial{{{self.format},{self.dtype}}}"

    def make_node(self, n, p, shape):
        n, p, shape = _tensor(n), _tensor(p), _tensor(shape)
        if n.dtype not in discrete_dtypes:
            raise TypeError(f"Binomial: n must be integer, got {n} ({n.type}){built_at(n)}")
        if p.dtype not in float_dtypes:
            raise TypeError(f"Binomial: p must be a float, got {p} ({p.type}){built_at(p)}")
        if shape.dtype not in discrete_dtypes or shape.ndim != 1:
            raise TypeError(f"Binomial: shape must be an integer vector, got {shape} ({shape.type}){built_at(shape)}")
        return Apply(self, [n, p, shape], [SparseType(self.format, self.dtype)])

    def perform(self, node, inputs):
        n, p, shape = inputs
        draws = np.random.binomial(n, p, size=tuple(int(s) for s in shape))
        return [FORMATS[self.format](draws, dtype=self.dtype)]

    def infer_shape(self, node, shapes, value):
        shape = value(2)
        if len(shape) != 2:
            raise ValueError(f"Binomial: shape must have 2 entries, got {list(shape)}{built_at(node.outputs[0])}")
        return [(int(shape[0]), int(shape[1]))]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, output_grads):
        n, p, _ = inputs
        return [_undefined(self, 0, n, "the number of samples"), _undefined(self, 1, p, "the prob of success"),
                None]


csr_fbinomial = Binomial("csr", "float32")
csc_fbinomial = Binomial("csc", "float32")
csr_dbinomial = Binomial("csr", "float64")
csc_dbinomial = Binomial("csc", "float64")


class Multinomial(SparseOp):
    """Per row i of the csr matrix p (each row a probability vector over its stored entries): a multinomial
    draw of n (or n[i]) experiments, stored in p's pattern (Theano's Multinomial)."""

    __props__ = ()

    def make_node(self, n, p):
        n, p = _tensor(n), as_sparse_variable(p)
        if n.ndim > 1:
            raise TypeError(f"Multinomial: n must be a scalar or a vector, got {n} ({n.type}){built_at(n)}")
        return Apply(self, [n, p], [p.type])

    def perform(self, node, inputs):
        n, p = inputs
        if p.format != "csr":
            raise NotImplementedError("Multinomial: p must be a csr matrix")
        n = np.asarray(n)
        if n.ndim == 1 and n.shape[0] != p.shape[0]:
            raise ValueError("The number of element of n must be the same as the number of row of p.")
        out = p.copy()
        for i in range(p.shape[0]):
            k, stop = p.indptr[i], p.indptr[i + 1]
            out.data[k:stop] = np.random.multinomial(n if n.ndim == 0 else n[i], p.data[k:stop])
        return [out]

    def infer_shape(self, node, shapes, value):
        return [shapes[1]]

    def grad(self, inputs, output_grads):
        n, p = inputs
        return [_undefined(self, 0, n, "the number of samples"), _undefined(self, 1, p, "the prob of success")]


multinomial = Multinomial()
