"""Native sparse products: structured_dot (CSR x dense) and sampling_dot, with their gradients.

The graph ops here work on the CSR arrays of a matrix (data, indices,
indptr: ordinary tensors, taken out of the scipy value by the host op
`csm_properties`) and emit `mt.csr_dot` / `mt.sampled_dot`
(mlc.dialects.mt.sparse), which lower to loops parallel over rows.

    structured_dot(A, B) = CSRDot(data, indices, indptr, shape, B)

(a csc A is converted to csr first, on the host). Gradients, as Theano's
StructuredDot defines them:

* w.r.t. B: A.T . G, the same native product on A's transpose (its CSR
  arrays come from the host op CSRTranspose);
* w.r.t. A: Theano's StructuredDotGradCSR, the dot products
  `G[i, :] . B[j, :]` at A's stored entries (i, j) only, computed natively
  by SampledDot; csm_properties' gradient puts them back in A's pattern.

Before native code runs, the shape rules check every index against the
shapes (`check_value_inputs`), so malformed CSR arrays give a ValueError,
never a wild read.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from mlc.graph import Apply, Op, ShapeError, TensorType, built_at
from mlc.graph.dtype import upcast
from mlc.sparse.basic import CSM, AsFormat, SparseOp, csm_properties
from mlc.sparse.type import as_sparse_variable, complex_dtypes

_NATIVE_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64")


def _check_csr(where: str, indices, indptr, ncols: int, nnz: int, node) -> None:
    """indptr: non-decreasing from 0 to nnz; indices in [0, ncols). Raises ShapeError otherwise."""
    indptr = np.asarray(indptr)
    indices = np.asarray(indices)
    bad = None
    if len(indptr) == 0 or indptr[0] != 0 or indptr[-1] != nnz:
        bad = f"indptr must run from 0 to nnz={nnz}"
    elif np.any(np.diff(indptr) < 0):
        bad = "indptr must be non-decreasing"
    elif len(indices) and (indices.min() < 0 or indices.max() >= ncols):
        bad = f"indices must lie in [0, {ncols})"
    if bad:
        raise ShapeError(f"{where}: malformed CSR arrays: {bad}{built_at(node.outputs[0])}")


class CSRDot(Op):
    """(data, indices, indptr, shape, b) -> A . b for the CSR matrix A = (data, indices, indptr) of `shape`."""

    shape_value_inputs = (3,)
    check_value_inputs = (1, 2)

    def make_node(self, data, indices, indptr, shape, b):
        from mlc.tensor.var import as_tensor_variable

        data, indices, indptr, shape, b = map(as_tensor_variable, (data, indices, indptr, shape, b))
        if b.ndim != 2:
            raise TypeError(f"structured_dot: the dense operand must be a matrix, got {b} ({b.type}){built_at(b)}")
        if data.dtype != b.dtype or data.dtype not in _NATIVE_DTYPES:
            raise TypeError(f"CSRDot: data and b must have one real dtype, got {data.dtype} and {b.dtype}")
        return Apply(self, [data, indices, indptr, shape, b], [TensorType(b.dtype, (False, b.broadcastable[1]))])

    def perform(self, node, inputs):
        from mlc.dialects.mt.sparse import csr_dot_numpy

        data, indices, indptr, shape, b = inputs
        return [csr_dot_numpy(np.asarray(data), np.asarray(indices), np.asarray(indptr), np.asarray(b))]

    def infer_shape(self, node, shapes, value):
        sd, si, sp, _, sb = (tuple(s) for s in shapes)
        m, n = (int(v) for v in value(3))
        if sd != si or sp != (m + 1,) or sb[0] != n:
            raise ShapeError(f"structured_dot: a sparse matrix of shape ({m}, {n}) cannot multiply a matrix of "
                             f"shape {sb}{built_at(node.outputs[0])}")
        _check_csr("structured_dot", value(1), value(2), n, sd[0], node)
        return [(m, sb[1])]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        data, indices, indptr, _, b = operands
        return [ctx.add(mt.CsrDotOp(data, indices, indptr, b)).results[0]]

    def connection_pattern(self, node):
        return [[True], [False], [False], [False], [True]]

    def grad(self, inputs, output_grads):
        data, indices, indptr, shape, b = inputs
        (g,) = output_grads
        g_data = SampledDot()(csr_rows(indptr), indices, g, b)
        t_data, t_indices, t_indptr, t_shape = CSRTranspose()(data, indices, indptr, shape)
        g_b = CSRDot()(t_data, t_indices, t_indptr, t_shape, g)
        return [g_data, None, None, None, g_b]


class SampledDot(Op):
    """(rows, cols, x, y) -> v with v[p] = x[rows[p], :] . y[cols[p], :] (native, mt.sampled_dot)."""

    check_value_inputs = (0, 1)

    def make_node(self, rows, cols, x, y):
        from mlc.tensor.var import as_tensor_variable

        rows, cols, x, y = map(as_tensor_variable, (rows, cols, x, y))
        if x.ndim != 2 or y.ndim != 2 or x.dtype != y.dtype or x.dtype not in _NATIVE_DTYPES:
            raise TypeError(f"SampledDot: x and y must be matrices of one real dtype, got {x.type} and {y.type}")
        return Apply(self, [rows, cols, x, y], [TensorType(x.dtype, (False,))])

    def perform(self, node, inputs):
        from mlc.dialects.mt.sparse import sampled_dot_numpy

        rows, cols, x, y = (np.asarray(a) for a in inputs)
        return [sampled_dot_numpy(rows, cols, x, y)]

    def infer_shape(self, node, shapes, value):
        sr, sc, sx, sy = (tuple(s) for s in shapes)
        if sr != sc or sx[1] != sy[1]:
            raise ShapeError(f"sampling_dot: {sr[0]} rows and {sc[0]} columns, x of shape {sx} and y of shape {sy} "
                             f"do not fit{built_at(node.outputs[0])}")
        for what, v, n in (("row", value(0), sx[0]), ("column", value(1), sy[0])):
            v = np.asarray(v)
            if len(v) and (v.min() < 0 or v.max() >= n):
                raise ShapeError(f"sampling_dot: a {what} index is outside [0, {n}){built_at(node.outputs[0])}")
        return [sr]

    def emit(self, ctx, node, operands):
        from mlc.dialects import mt

        return [ctx.add(mt.SampledDotOp(*operands)).results[0]]

    def connection_pattern(self, node):
        return [[False], [False], [True], [True]]

    def grad(self, inputs, output_grads):
        from mlc.tensor.shape import shape, stack

        rows, cols, x, y = inputs
        (g,) = output_grads
        m, n = shape(x)[0], shape(y)[0]
        # dx = S . y and dy = S.T . x for the matrix S holding g at (rows, cols)
        d, i, p, s = COOToCSR()(g, rows, cols, stack([m, n]))
        dt, it, pt, st = COOToCSR()(g, cols, rows, stack([n, m]))
        return [None, None, CSRDot()(d, i, p, s, y), CSRDot()(dt, it, pt, st, x)]


class CSRRows(SparseOp):
    """indptr -> the row of each stored entry (int32), in storage order."""

    shape_value_inputs = (0,)

    def make_node(self, indptr):
        return Apply(self, [indptr], [TensorType("int32", (False,))])

    def perform(self, node, inputs):
        indptr = np.asarray(inputs[0])
        return [np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))]

    def infer_shape(self, node, shapes, value):
        indptr = np.asarray(value(0))
        return [(int(indptr[-1]) if len(indptr) else 0,)]

    def connection_pattern(self, node):
        return [[False]]


def csr_rows(indptr):
    return CSRRows()(indptr)


class CSRTranspose(SparseOp):
    """(data, indices, indptr, shape) of A -> the same four arrays of A.T, in CSR (sorted) form."""

    shape_value_inputs = (0, 1, 2, 3)

    def make_node(self, data, indices, indptr, shape):
        return Apply(self, [data, indices, indptr, shape],
                     [TensorType(data.dtype, (False,)), *(TensorType("int32", (False,)) for _ in range(3))])

    def perform(self, node, inputs):
        data, indices, indptr, shape = inputs
        m, n = (int(v) for v in shape)
        t = scipy.sparse.csr_matrix((data, indices, indptr), (m, n)).T.tocsr()
        return [t.data, t.indices.astype("int32"), t.indptr.astype("int32"), np.asarray([n, m], dtype="int32")]

    def infer_shape(self, node, shapes, value):
        n = int(value(3)[1])
        return [shapes[0], shapes[0], (n + 1,), (2,)]

    def connection_pattern(self, node):
        return [[False] * 4 for _ in node.inputs]


class COOToCSR(SparseOp):
    """(values, rows, cols, shape) -> CSR arrays (data, indices, indptr, shape), duplicates summed."""

    shape_value_inputs = (1, 2, 3)

    def make_node(self, values, rows, cols, shape):
        return Apply(self, [values, rows, cols, shape],
                     [TensorType(values.dtype, (False,)), *(TensorType("int32", (False,)) for _ in range(3))])

    def perform(self, node, inputs):
        values, rows, cols, shape = inputs
        m, n = (int(v) for v in shape)
        a = scipy.sparse.coo_matrix((values, (rows, cols)), (m, n)).tocsr()
        a.sum_duplicates()
        return [a.data, a.indices.astype("int32"), a.indptr.astype("int32"), np.asarray([m, n], dtype="int32")]

    def infer_shape(self, node, shapes, value):
        m, n = (int(v) for v in value(3))
        rows, cols = np.asarray(value(1)), np.asarray(value(2))
        nnz = len(np.unique(rows.astype(np.int64) * max(n, 1) + cols)) if len(rows) else 0
        return [(nnz,), (nnz,), (m + 1,), (2,)]

    def connection_pattern(self, node):
        return [[False] * 4 for _ in node.inputs]


def structured_dot_sd(a, b):
    """Sparse a . dense b natively (see the module doc)."""
    from mlc.tensor.elemwise import cast
    from mlc.tensor.var import as_tensor_variable

    a, b = as_sparse_variable(a), as_tensor_variable(b)
    if b.ndim != 2:
        raise NotImplementedError(f"structured_dot: non-matrix b ({b} of type {b.type}){built_at(b)}")
    dtype = upcast(a.dtype, b.dtype)
    if dtype in complex_dtypes:
        raise NotImplementedError(f"structured_dot of complex matrices is not supported by mlc (got {dtype})")
    csr = a if a.format == "csr" else AsFormat("csr")(a)
    data, indices, indptr, shape = csm_properties(csr)
    if data.dtype != dtype:
        data = cast(data, dtype)
    if b.dtype != dtype:
        b = cast(b, dtype)
    return CSRDot()(data, indices, indptr, shape, b)


def sampling_dot(x, y, p):
    """p * (x . y.T) at p's stored entries only, natively: a matrix with p's pattern and dtype."""
    from mlc.tensor.elemwise import cast
    from mlc.tensor.var import as_tensor_variable

    x, y, p = as_tensor_variable(x), as_tensor_variable(y), as_sparse_variable(p)
    if x.ndim != 2 or y.ndim != 2:
        raise TypeError(f"sampling_dot: x and y must be matrices, got {x.type} and {y.type}")
    dtype = upcast(x.dtype, y.dtype)
    if dtype in complex_dtypes:
        raise NotImplementedError(f"sampling_dot of complex matrices is not supported by mlc (got {dtype})")
    data, indices, indptr, shape = csm_properties(p)
    major = csr_rows(indptr)
    rows, cols = (major, indices) if p.format == "csr" else (indices, major)
    dots = SampledDot()(rows, cols, cast(x, dtype) if x.dtype != dtype else x, cast(y, dtype) if y.dtype != dtype
                        else y)
    vals = dots * data
    if vals.dtype != p.dtype:
        vals = cast(vals, p.dtype)
    return CSM(p.format)(vals, indices, indptr, shape)


__all__ = ["CSRDot", "CSRRows", "CSRTranspose", "COOToCSR", "SampledDot", "sampling_dot", "structured_dot_sd"]
