"""Shape ops: shape, broadcast, dimshuffle, reshape, concatenate, and the constructors arange and eye."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    var_operand_def,
)

from mlc.dialects.mt.types import (
    DYN,
    FLOAT,
    INT,
    Value,
    _check_axis,
    _check_index_tensor,
    _check_result,
    _check_tensor,
    _fail,
    _type_of,
    from_numpy,
    numpy_dtype,
)
from mlc.dialects.mt.base import (
    MtIdentityOp,
    MtOp,
)

# ===----------------------------------------------------------------------=== #
# Shape ops
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class ShapeOp(MtOp):
    """`%s = mt.shape %x : tensor<?x4xf32> -> tensor<2xi64>`: x's dims as i64.

    Python: `ShapeOp(x)`. Folds to a constant when x's type is static.
    """

    name = "mt.shape"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: Value):
        super().__init__(operands=[input], result_types=[TensorType(i64, [_type_of(input).get_num_dims()])])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_result(self, TensorType(i64, [t.get_num_dims()]))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        return np.array(x.shape, dtype=np.int64)

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        t = self.input.type
        if isinstance(t, TensorType) and t.has_static_shape():
            return (from_numpy(np.array(t.get_shape(), dtype=np.int64)),)
        return None


def _shape_operand_rule(op: Operation, shape: SSAValue | None, result: TensorType) -> None:
    """broadcast/reshape: a shape operand gives dynamic result dims their size."""
    if shape is None:
        if not result.has_static_shape():
            raise _fail(op, "a shape operand, since the result type has dynamic dims", result)
        return
    _check_index_tensor(op, "a shape operand", shape, result.get_num_dims())


@irdl_op_definition
class BroadcastOp(MtIdentityOp):
    """`%r = mt.broadcast %x[, %shape] : tensor<1x4xf32>[, tensor<2xi64>] -> tensor<?x4xf32>`.

    numpy.broadcast_to at the same rank: each input dim equals the result
    dim or is 1. The shape operand (tensor<Rxi64>) is required when the
    result has dynamic dims.
    Python: `BroadcastOp(x, result_type, shape=None)`.
    """

    name = "mt.broadcast"
    input = operand_def(TensorType)
    shape = opt_operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input (`,` $shape^)? attr-dict `:` type($input) (`,` type($shape)^)? `->` type($result)"
    )

    def __init__(self, input: Value, result_type: Attribute, shape: Value | None = None):
        super().__init__(operands=[input, [shape] if shape is not None else []], result_types=[result_type])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        r = _check_tensor(self, "result", self.result.type)
        if r.element_type != t.element_type or r.get_num_dims() != t.get_num_dims():
            raise _fail(self, f"a result of element type {t.element_type} and rank {t.get_num_dims()}", r)
        for i, (d, rd) in enumerate(zip(t.get_shape(), r.get_shape())):
            if d != rd and d != 1:
                expected = f"input dim {i} to be 1 or equal to the result's dim (dynamic dims never broadcast)"
                raise _fail(self, expected, f"{t} -> {r}")
        _shape_operand_rule(self, self.shape, r)

    def is_identity(self) -> bool:
        return self.input.type == self.result.type

    def evaluate(self, x: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
        dims = self.result.type.get_shape() if shape is None else tuple(int(d) for d in shape)
        return np.array(np.broadcast_to(x, dims))


@irdl_op_definition
class DimShuffleOp(MtIdentityOp):
    """`%r = mt.dimshuffle %x [1, -1, 0] : tensor<?x4xf32> -> tensor<4x1x?xf32>`.

    Theano's DimShuffle: result dim j is input dim `pattern[j]`, or a new
    broadcastable dim where `pattern[j] == -1` (Theano's 'x'). Input dims
    not mentioned are dropped and must be static 1.
    Python: `DimShuffleOp(x, pattern)`; the result type is inferred.
    """

    name = "mt.dimshuffle"
    input = operand_def(TensorType)
    pattern = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)
    assembly_format = "$input $pattern attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: Value, pattern: Sequence[int]):
        t = _type_of(input)
        pattern = [-1 if p == "x" else int(p) for p in pattern]
        super().__init__(
            operands=[input],
            properties={"pattern": DenseArrayBase.from_list(i64, pattern)},
            result_types=[self.infer(t, pattern)],
        )

    @classmethod
    def infer(cls, t: TensorType, pattern: Sequence[int]) -> TensorType:
        shape = t.get_shape()
        kept = [p for p in pattern if p != -1]
        for p in kept:
            if not 0 <= p < len(shape):
                raise _fail(cls, f"pattern entries in [0, {len(shape)}) or -1", list(pattern))
        if len(set(kept)) != len(kept):
            raise _fail(cls, "each input dim at most once in the pattern", list(pattern))
        for i, d in enumerate(shape):
            if i not in kept and d != 1:
                raise _fail(cls, f"dropped input dim {i} to be static 1", t)
        return TensorType(t.element_type, [1 if p == -1 else shape[p] for p in pattern])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_result(self, self.infer(t, self.pattern.get_values()))

    def is_identity(self) -> bool:
        return self.pattern.get_values() == tuple(range(self.input.type.get_num_dims()))

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        pattern = self.pattern.get_values()
        kept = [p for p in pattern if p != -1]
        dropped = [i for i in range(x.ndim) if i not in kept]
        out = [1 if p == -1 else x.shape[p] for p in pattern]
        return np.transpose(x, kept + dropped).reshape(out)


@irdl_op_definition
class ReshapeOp(MtIdentityOp):
    """`%r = mt.reshape %x[, %shape] : tensor<2x3xf32>[, tensor<1xi64>] -> tensor<6xf32>`.

    numpy.reshape (row-major). The shape operand (tensor<Rxi64>; one entry
    may be -1, as in numpy) is required when the result has dynamic dims;
    static element counts must agree.
    Python: `ReshapeOp(x, result_type, shape=None)`.
    """

    name = "mt.reshape"
    input = operand_def(TensorType)
    shape = opt_operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input (`,` $shape^)? attr-dict `:` type($input) (`,` type($shape)^)? `->` type($result)"
    )

    def __init__(self, input: Value, result_type: Attribute, shape: Value | None = None):
        super().__init__(operands=[input, [shape] if shape is not None else []], result_types=[result_type])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        r = _check_tensor(self, "result", self.result.type)
        if r.element_type != t.element_type:
            raise _fail(self, f"a result of element type {t.element_type}", r)
        if t.has_static_shape() and r.has_static_shape():
            if math.prod(t.get_shape()) != math.prod(r.get_shape()):
                raise _fail(self, f"a result with {math.prod(t.get_shape())} elements like {t}", r)
        _shape_operand_rule(self, self.shape, r)

    def is_identity(self) -> bool:
        # Equal types with at most one dynamic dim: equal element counts force
        # that dim to match too.
        t = self.input.type
        return t == self.result.type and list(t.get_shape()).count(DYN) <= 1

    def evaluate(self, x: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
        dims = self.result.type.get_shape() if shape is None else tuple(int(d) for d in shape)
        return np.reshape(x, dims).copy()

def _join_dims(dims: Sequence[int]) -> int | None:
    """The common value of dims that must be equal: static if any is, None on conflict."""
    static = {d for d in dims if d != DYN}
    if len(static) > 1:
        return None
    return static.pop() if static else DYN


@irdl_op_definition
class ConcatenateOp(MtOp):
    """`%r = mt.concatenate %a, %b axis 0 : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x4xf32>`.

    numpy.concatenate: same element type and rank; non-axis dims equal
    where static (a `?` takes the static size of the others).
    Python: `ConcatenateOp(inputs, axis)`; the result type is inferred.
    """

    name = "mt.concatenate"
    inputs = var_operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = "$inputs `axis` $axis attr-dict `:` type($inputs) `->` type($result)"

    def __init__(self, inputs: Sequence[Value], axis: int):
        types = [_type_of(v) for v in inputs]
        super().__init__(
            operands=[inputs],
            properties={"axis": IntegerAttr(axis, i64)},
            result_types=[self.infer(types, axis)],
        )

    @classmethod
    def infer(cls, types: Sequence[TensorType], axis: int) -> TensorType:
        if not types:
            raise _fail(cls, "at least one operand", 0)
        first = types[0]
        rank = first.get_num_dims()
        if any(t.element_type != first.element_type or t.get_num_dims() != rank for t in types):
            expected = f"operands of element type {first.element_type} and rank {rank}"
            raise _fail(cls, expected, ", ".join(map(str, types)))
        _check_axis(cls, axis, rank)
        shape: list[int] = []
        for i in range(rank):
            dims = [t.get_shape()[i] for t in types]
            if i == axis:
                shape.append(DYN if DYN in dims else sum(dims))
            elif (d := _join_dims(dims)) is None:
                raise _fail(cls, f"equal sizes in non-concatenated dim {i}", ", ".join(map(str, types)))
            else:
                shape.append(d)
        return TensorType(first.element_type, shape)

    def verify_(self) -> None:
        types = [_check_tensor(self, "operands", v.type) for v in self.inputs]
        _check_result(self, self.infer(types, self.axis.value.data))

    def evaluate(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=self.axis.value.data)



# ===----------------------------------------------------------------------=== #
# Constructors: arange, eye
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class ArangeOp(MtOp):
    """`%r = mt.arange %start, %stop, %step : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?xi64>`.

    numpy.arange: ceil((stop - start) / step) elements, never negative.
    Operands are 0-d tensors of the result's element type (int or float).
    Python: `ArangeOp(start, stop, step, result_type=None)`; by default
    `tensor<?xT>` with T the operands' element type.
    """

    name = "mt.arange"
    start = operand_def(TensorType)
    stop = operand_def(TensorType)
    step = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$start `,` $stop `,` $step attr-dict "
        "`:` type($start) `,` type($stop) `,` type($step) `->` type($result)"
    )

    def __init__(self, start: Value, stop: Value, step: Value, result_type: Attribute | None = None):
        if result_type is None:
            result_type = TensorType(_type_of(start).element_type, [DYN])
        super().__init__(operands=[start, stop, step], result_types=[result_type])

    def verify_(self) -> None:
        r = _check_tensor(self, "result", self.result.type, INT | FLOAT)
        if r.get_num_dims() != 1:
            raise _fail(self, "a rank-1 result", r)
        for v in (self.start, self.stop, self.step):
            if v.type != TensorType(r.element_type, []):
                raise _fail(self, f"operands of type tensor<{r.element_type}>", v.type)

    def evaluate(self, start: np.ndarray, stop: np.ndarray, step: np.ndarray) -> np.ndarray:
        dtype = numpy_dtype(self.result.type.element_type)
        return np.arange(start[()], stop[()], step[()], dtype=dtype)


@irdl_op_definition
class EyeOp(MtOp):
    """`%r = mt.eye %n, %m, %k : tensor<i64>, tensor<i64>, tensor<i64> -> tensor<?x?xf64>`.

    numpy.eye(n, m, k): an n x m matrix with ones on diagonal k.
    Python: `EyeOp(n, m, k, result_type)`; `result_type` may be just an
    element type, meaning `tensor<?x?xT>`.
    """

    name = "mt.eye"
    n = operand_def(TensorType)
    m = operand_def(TensorType)
    k = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$n `,` $m `,` $k attr-dict `:` type($n) `,` type($m) `,` type($k) `->` type($result)"

    def __init__(self, n: Value, m: Value, k: Value, result_type: Attribute):
        if not isinstance(result_type, TensorType):
            result_type = TensorType(result_type, [DYN, DYN])
        super().__init__(operands=[n, m, k], result_types=[result_type])

    def verify_(self) -> None:
        r = _check_tensor(self, "result", self.result.type)
        if r.get_num_dims() != 2:
            raise _fail(self, "a rank-2 result", r)
        for v in (self.n, self.m, self.k):
            _check_index_tensor(self, "operands", v, 0)

    def evaluate(self, n: np.ndarray, m: np.ndarray, k: np.ndarray) -> np.ndarray:
        dtype = numpy_dtype(self.result.type.element_type)
        return np.eye(int(n), int(m), int(k), dtype=dtype)


