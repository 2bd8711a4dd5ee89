"""`mt` ops over compressed sparse row (CSR) arrays: `mt.csr_dot` and `mt.sampled_dot`.

A CSR matrix A (M x N) is three tensors: `data` (nnz values), `indices`
(nnz column numbers, i32) and `indptr` (M + 1 offsets, i32): row i holds
`data[indptr[i]:indptr[i+1]]` at columns `indices[indptr[i]:indptr[i+1]]`.
The arrays are ordinary tensors at this level (mlc.sparse's host ops take
them out of scipy matrices and check them), so these ops need no new type.

* `%c = mt.csr_dot %data, %indices, %indptr, %b`: C = A . B for dense B
  (N x K): `C[i, k] = sum over p in row i of data[p] * B[indices[p], k]`,
  an (M x K) tensor (M = len(indptr) - 1). theano.sparse's structured_dot.
* `%v = mt.sampled_dot %rows, %cols, %x, %y`: the dot products of chosen
  row pairs, `v[p] = sum over k of x[rows[p], k] * y[cols[p], k]` (nnz
  values): A's gradient in A . B with A's pattern (Theano's
  StructuredDotGradCSR, rows from indptr) and sampling_dot.

The `sparse` family of the mt package (`from mlc.dialects import mt; mt.CsrDotOp`).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType, i32
from xdsl.irdl import irdl_op_definition, operand_def, result_def

from mlc.dialects.mt.base import MtOp
from mlc.dialects.mt.types import DYN, NUMERIC, Value, _check_tensor, _fail, _type_of, numpy_dtype


def _check_i32_vector(op, what: str, value) -> None:
    t = value.type
    if not (isinstance(t, TensorType) and t.element_type == i32 and t.get_num_dims() == 1):
        raise _fail(op, f"{what} of type tensor<?xi32>", t)


def csr_dot_numpy(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The numpy meaning of mt.csr_dot (rows with no entries give zeros)."""
    m = len(indptr) - 1
    rows = np.repeat(np.arange(m), np.diff(indptr))
    out = np.zeros((m, b.shape[1]), dtype=np.result_type(data, b))
    np.add.at(out, rows, data[: len(rows), None] * b[indices[: len(rows)]])
    return out


def sampled_dot_numpy(rows: np.ndarray, cols: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The numpy meaning of mt.sampled_dot."""
    return np.einsum("pk,pk->p", x[rows], y[cols]) if len(rows) else np.zeros(0, dtype=np.result_type(x, y))


@irdl_op_definition
class CsrDotOp(MtOp):
    """`%c = mt.csr_dot %data, %indices, %indptr, %b`: CSR matrix times dense matrix.

    data: tensor<?xT>, indices and indptr: tensor<?xi32>, b: tensor<NxKxT>
    -> tensor<?xKxT>. Python: `CsrDotOp(data, indices, indptr, b)`.
    """

    name = "mt.csr_dot"
    data = operand_def(TensorType)
    indices = operand_def(TensorType)
    indptr = operand_def(TensorType)
    b = operand_def(TensorType)
    result = result_def(TensorType)

    def __init__(self, data: Value, indices: Value, indptr: Value, b: Value):
        super().__init__(operands=[data, indices, indptr, b], result_types=[self.infer(_type_of(b))])

    @staticmethod
    def infer(b: TensorType) -> TensorType:
        return TensorType(b.element_type, [DYN, b.get_shape()[1]])

    def verify_(self) -> None:
        d = _check_tensor(self, "data", self.data.type, NUMERIC)
        b = _check_tensor(self, "b", self.b.type, NUMERIC)
        _check_i32_vector(self, "indices", self.indices)
        _check_i32_vector(self, "indptr", self.indptr)
        if d.get_num_dims() != 1 or b.get_num_dims() != 2 or d.element_type != b.element_type:
            raise _fail(self, "data (rank 1) and b (rank 2) of one element type", (d, b))
        got = self.result.type
        want = self.infer(b)
        if not isinstance(got, TensorType) or got.element_type != b.element_type or got.get_num_dims() != 2 or (
                got.get_shape()[1] != want.get_shape()[1]):
            raise _fail(self, f"a result type like {want}", got)

    def evaluate(self, data, indices, indptr, b) -> np.ndarray:
        return csr_dot_numpy(data, indices, indptr, b).astype(numpy_dtype(self.result.type.element_type))


@irdl_op_definition
class SampledDotOp(MtOp):
    """`%v = mt.sampled_dot %rows, %cols, %x, %y`: v[p] = dot(x[rows[p], :], y[cols[p], :]).

    rows, cols: tensor<?xi32>; x: tensor<MxKxT>, y: tensor<NxKxT> -> tensor<?xT>.
    Python: `SampledDotOp(rows, cols, x, y)`.
    """

    name = "mt.sampled_dot"
    rows = operand_def(TensorType)
    cols = operand_def(TensorType)
    x = operand_def(TensorType)
    y = operand_def(TensorType)
    result = result_def(TensorType)

    def __init__(self, rows: Value, cols: Value, x: Value, y: Value):
        super().__init__(operands=[rows, cols, x, y], result_types=[TensorType(_type_of(x).element_type, [DYN])])

    def verify_(self) -> None:
        x = _check_tensor(self, "x", self.x.type, NUMERIC)
        y = _check_tensor(self, "y", self.y.type, NUMERIC)
        _check_i32_vector(self, "rows", self.rows)
        _check_i32_vector(self, "cols", self.cols)
        if x.get_num_dims() != 2 or y.get_num_dims() != 2 or x.element_type != y.element_type:
            raise _fail(self, "x and y of rank 2 and one element type", (x, y))
        kx, ky = x.get_shape()[1], y.get_shape()[1]
        if kx != DYN and ky != DYN and kx != ky:
            raise _fail(self, "x and y with the same number of columns", (x, y))
        got = self.result.type
        if not isinstance(got, TensorType) or got.element_type != x.element_type or got.get_num_dims() != 1:
            raise _fail(self, f"a result type like tensor<?x{x.element_type}>", got)

    def evaluate(self, rows, cols, x, y) -> np.ndarray:
        return sampled_dot_numpy(rows, cols, x, y).astype(numpy_dtype(self.result.type.element_type))


SPARSE_OPS = [CsrDotOp, SampledDotOp]

__all__ = ["CsrDotOp", "SampledDotOp", "SPARSE_OPS", "csr_dot_numpy", "sampled_dot_numpy"]
