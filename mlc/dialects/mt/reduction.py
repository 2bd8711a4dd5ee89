"""Reductions (sum, prod, max, min, any, all, argmax, argmin) and the softmax family."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    TensorType,
    i64,
)
from xdsl.irdl import (
    base,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
)

from mlc.dialects.mt.types import (
    ANY,
    BOOL,
    Dtypes,
    FLOAT,
    NUMERIC,
    REAL,
    SameType,
    Value,
    _cast_result,
    _check_axis,
    _check_result,
    _check_tensor,
    _fail,
    _type_of,
)
from mlc.dialects.mt.base import (
    MtIdentityOp,
    MtOp,
)

# ===----------------------------------------------------------------------=== #
# Reductions
# ===----------------------------------------------------------------------=== #


class ReduceOp(MtIdentityOp):
    """`%r = mt.reduce_<op> %x axes [0] : tensor<?x4xf32> -> tensor<4xf32>`.

    Reduces over `axes` (sorted, unique, in range), removing them from the
    result type; the element type is kept (sums wrap like numpy with
    `dtype=` the input dtype).
    Python: `<Op>(x, axes=None)`; None means every axis; the result type is
    inferred.
    """

    input = operand_def(TensorType)
    axes = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)
    assembly_format = "$input `axes` $axes attr-dict `:` type($input) `->` type($result)"

    DTYPES: ClassVar[Dtypes] = ANY
    NUMPY: ClassVar[Callable[..., np.ndarray]]

    def __init__(self, input: Value, axes: Sequence[int] | None = None):
        t = _type_of(input)
        axes = list(range(t.get_num_dims())) if axes is None else list(axes)
        super().__init__(
            operands=[input],
            properties={"axes": DenseArrayBase.from_list(i64, axes)},
            result_types=[self.infer(t, axes)],
        )

    @classmethod
    def infer(cls, t: TensorType, axes: Sequence[int]) -> TensorType:
        rank = t.get_num_dims()
        if list(axes) != sorted(set(axes)) or any(not 0 <= a < rank for a in axes):
            raise _fail(cls, f"sorted unique axes in [0, {rank})", list(axes))
        shape = [d for i, d in enumerate(t.get_shape()) if i not in axes]
        return TensorType(t.element_type, shape)

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, self.DTYPES)
        _check_result(self, self.infer(t, self.axes.get_values()))

    def is_identity(self) -> bool:
        return len(self.axes) == 0

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x, axis=self.axes.get_values()), self.result.type)


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    name = "mt.reduce_sum"
    DTYPES: ClassVar = NUMERIC
    NUMPY = staticmethod(np.sum)


@irdl_op_definition
class ReduceProdOp(ReduceOp):
    name = "mt.reduce_prod"
    DTYPES: ClassVar = NUMERIC
    NUMPY = staticmethod(np.prod)


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    """Maximum; NaN propagates; an empty reduction is an error (numpy.max)."""

    name = "mt.reduce_max"
    DTYPES: ClassVar = REAL
    NUMPY = staticmethod(np.max)


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    """Minimum; NaN propagates; an empty reduction is an error (numpy.min)."""

    name = "mt.reduce_min"
    DTYPES: ClassVar = REAL
    NUMPY = staticmethod(np.min)


@irdl_op_definition
class ReduceAnyOp(ReduceOp):
    name = "mt.reduce_any"
    DTYPES: ClassVar = BOOL
    NUMPY = staticmethod(np.any)


@irdl_op_definition
class ReduceAllOp(ReduceOp):
    name = "mt.reduce_all"
    DTYPES: ClassVar = BOOL
    NUMPY = staticmethod(np.all)


class ArgReduceOp(MtOp):
    """`%r = mt.argmax %x axis 1 : tensor<?x4xf32> -> tensor<?xi64>`.

    Index of the first extreme value along `axis` (numpy semantics: a NaN
    counts as the extreme), as i64, with that dim removed.
    Python: `<Op>(x, axis)`; the result type is inferred.
    """

    input = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = "$input `axis` $axis attr-dict `:` type($input) `->` type($result)"

    NUMPY: ClassVar[Callable[..., np.ndarray]]

    def __init__(self, input: Value, axis: int):
        t = _type_of(input)
        super().__init__(
            operands=[input],
            properties={"axis": IntegerAttr(axis, i64)},
            result_types=[self.infer(t, axis)],
        )

    @classmethod
    def infer(cls, t: TensorType, axis: int) -> TensorType:
        _check_axis(cls, axis, t.get_num_dims())
        shape = [d for i, d in enumerate(t.get_shape()) if i != axis]
        return TensorType(i64, shape)

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, REAL)
        _check_result(self, self.infer(t, self.axis.value.data))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x, axis=self.axis.value.data), self.result.type)


@irdl_op_definition
class ArgMaxOp(ArgReduceOp):
    name = "mt.argmax"
    NUMPY = staticmethod(np.argmax)


@irdl_op_definition
class ArgMinOp(ArgReduceOp):
    name = "mt.argmin"
    NUMPY = staticmethod(np.argmin)



# ===----------------------------------------------------------------------=== #
# Softmax
# ===----------------------------------------------------------------------=== #


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


class SoftmaxFamilyOp(MtOp):
    """`%r = mt.softmax %x axis 1 : tensor<?x?xf32>`: float only, same type.

    Computed stably (the max along `axis` is subtracted first).
    Python: `<Op>(x, axis)`.
    """

    T: ClassVar = SameType("T", base(TensorType))
    input = operand_def(T)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(T)
    assembly_format = "$input `axis` $axis attr-dict `:` type($result)"

    NUMPY: ClassVar[Callable[[np.ndarray, int], np.ndarray]]

    def __init__(self, input: Value, axis: int):
        super().__init__(
            operands=[input], properties={"axis": IntegerAttr(axis, i64)}, result_types=[_type_of(input)]
        )

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type, FLOAT)
        _check_axis(self, self.axis.value.data, t.get_num_dims())

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return _cast_result(type(self).NUMPY(x, self.axis.value.data), self.result.type)


@irdl_op_definition
class SoftmaxOp(SoftmaxFamilyOp):
    name = "mt.softmax"
    NUMPY = staticmethod(_softmax)


@irdl_op_definition
class LogSoftmaxOp(SoftmaxFamilyOp):
    name = "mt.log_softmax"
    NUMPY = staticmethod(_log_softmax)


