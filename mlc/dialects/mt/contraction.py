"""Contraction: mt.dot."""

from __future__ import annotations


import numpy as np
from xdsl.dialects.builtin import (
    TensorType,
)
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    result_def,
)

from mlc.dialects.mt.types import (
    DYN,
    NUMERIC,
    Value,
    _cast_result,
    _check_result,
    _check_tensor,
    _fail,
    _type_of,
)
from mlc.dialects.mt.base import (
    MtOp,
)

# ===----------------------------------------------------------------------=== #
# Contraction
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class DotOp(MtOp):
    """`%r = mt.dot %a, %b : tensor<?x?xf32>, tensor<?xf32> -> tensor<?xf32>`.

    numpy.dot for rank-1/rank-2 operands of one element type: matrix @
    matrix, matrix @ vector, vector @ matrix, vector @ vector (0-d result).
    Static inner dims must agree.
    Python: `DotOp(lhs, rhs)`; the result type is inferred.
    """

    name = "mt.dot"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)"

    def __init__(self, lhs: Value, rhs: Value):
        super().__init__(operands=[lhs, rhs], result_types=[self.infer(_type_of(lhs), _type_of(rhs))])

    @classmethod
    def infer(cls, a: TensorType, b: TensorType) -> TensorType:
        if a.element_type != b.element_type:
            raise _fail(cls, f"operands of one element type, {a.element_type}", b)
        if a.get_num_dims() not in (1, 2) or b.get_num_dims() not in (1, 2):
            raise _fail(cls, "operands of rank 1 or 2", f"{a}, {b}")
        *rows, inner_a = a.get_shape()
        inner_b, *cols = b.get_shape() if b.get_num_dims() == 2 else (*b.get_shape(),)
        if DYN not in (inner_a, inner_b) and inner_a != inner_b:
            raise _fail(cls, "equal contracted dims", f"{a}, {b}")
        return TensorType(a.element_type, [*rows, *cols])

    def verify_(self) -> None:
        a = _check_tensor(self, "operands", self.lhs.type, NUMERIC)
        b = _check_tensor(self, "operands", self.rhs.type, NUMERIC)
        _check_result(self, self.infer(a, b))

    def evaluate(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _cast_result(np.dot(a, b), self.result.type)


