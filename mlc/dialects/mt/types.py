"""Element types, numpy dtypes, the dtype sets ops accept, and the type-rule helpers ("op: expected X, got Y")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    BytesAttr,
    ComplexType,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    NoneAttr,
    Signedness,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    VarConstraint,
)
from xdsl.irdl.constraints import VerificationContext
from xdsl.utils.exceptions import VerifyException

from mlc.dialects.mt import scalars



Value = SSAValue | Operation
"""What the Python constructors accept as an operand."""

DYN = DYNAMIC_INDEX
"""A dynamic (`?`) dimension in a shape tuple."""

FOLD_LIMIT = 1 << 20
"""Tensors with more elements than this are never constant-folded."""

# ===----------------------------------------------------------------------=== #
# Element types and numpy
# ===----------------------------------------------------------------------=== #

i1 = IntegerType(1)
i8, i16, i32 = IntegerType(8), IntegerType(16), IntegerType(32)
ui8 = IntegerType(8, Signedness.UNSIGNED)
ui16 = IntegerType(16, Signedness.UNSIGNED)
ui32 = IntegerType(32, Signedness.UNSIGNED)
ui64 = IntegerType(64, Signedness.UNSIGNED)
f16, f32, f64 = Float16Type(), Float32Type(), Float64Type()
c64, c128 = ComplexType(f32), ComplexType(f64)

# element type <-> numpy dtype, one entry per mt element type
_NUMPY_DTYPES: dict[Attribute, np.dtype[Any]] = {
    i1: np.dtype(np.bool_),
    i8: np.dtype(np.int8),
    i16: np.dtype(np.int16),
    i32: np.dtype(np.int32),
    i64: np.dtype(np.int64),
    ui8: np.dtype(np.uint8),
    ui16: np.dtype(np.uint16),
    ui32: np.dtype(np.uint32),
    ui64: np.dtype(np.uint64),
    f16: np.dtype(np.float16),
    f32: np.dtype(np.float32),
    f64: np.dtype(np.float64),
    c64: np.dtype(np.complex64),
    c128: np.dtype(np.complex128),
}
_ELEMENT_TYPES: dict[np.dtype[Any], Attribute] = {d: t for t, d in _NUMPY_DTYPES.items()}


def numpy_dtype(element_type: Attribute) -> np.dtype[Any]:
    """The numpy dtype of an mt element type (`i1` -> bool, `ui32` -> uint32...)."""
    try:
        return _NUMPY_DTYPES[element_type]
    except KeyError:
        raise ValueError(f"{element_type} is not an mt element type") from None


def element_type_of(dtype: Any) -> Attribute:
    """The mt element type of a numpy dtype (bool -> `i1`, uint32 -> `ui32`...)."""
    dt = np.dtype(dtype)
    try:
        return _ELEMENT_TYPES[dt.newbyteorder("=")]
    except KeyError:
        raise ValueError(f"numpy dtype {dt} has no mt element type") from None


@dataclass(frozen=True)
class Dtypes:
    """A named set of element types, as an op's type rule accepts them."""

    description: str
    types: frozenset[Attribute]

    def __or__(self, other: Dtypes) -> Dtypes:
        return Dtypes(f"{self.description} or {other.description}", self.types | other.types)

    def __contains__(self, element_type: Attribute) -> bool:
        return element_type in self.types


def _dtype_set(names: tuple[str, ...]) -> Dtypes:
    return Dtypes(scalars.DESCRIPTIONS[names], frozenset(element_type_of(n) for n in names))


# the dtype sets of `scalars`, as mt element types
BOOL = _dtype_set(scalars.BOOL)
SINT = _dtype_set(scalars.SINT)
UINT = _dtype_set(scalars.UINT)
FLOAT = _dtype_set(scalars.FLOAT)
COMPLEX = _dtype_set(scalars.COMPLEX)
INT = _dtype_set(scalars.INT)
INEXACT = _dtype_set(scalars.INEXACT)
REAL = _dtype_set(scalars.ORDERED)  # ordered types: comparisons, max/min, argmax
NUMERIC = _dtype_set(scalars.ARITHMETIC)  # arithmetic: everything but bool
ANY = _dtype_set(scalars.ANY)


def tensor_type(element_type: Attribute, shape: Sequence[int | None]) -> TensorType[Attribute]:
    """`tensor<shape x element_type>`; `None` or `DYN` in `shape` is a `?` dim."""
    return TensorType(element_type, [DYN if d is None or d == DYN else d for d in shape])


def to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The value of a dense attribute as a (writable) numpy array."""
    dtype = numpy_dtype(attr.get_element_type())
    shape = attr.get_shape()
    # xDSL stores i1 as one byte per element (true = 0xFF), everything else
    # little-endian in the element type's own layout, which is numpy's.
    storage = np.dtype(np.int8) if dtype == np.bool_ else dtype.newbyteorder("<")
    flat = np.frombuffer(attr.data.data, dtype=storage)
    flat = flat != 0 if dtype == np.bool_ else flat.astype(dtype)
    if flat.size == 1 and math.prod(shape) != 1:
        return np.full(shape, flat[0], dtype=dtype)
    return flat.reshape(shape)


def from_numpy(array: Any, element_type: Attribute | None = None) -> DenseIntOrFPElementsAttr:
    """A dense attribute holding `array` (converted to `element_type` if given)."""
    if element_type is not None:
        array = np.asarray(array, dtype=numpy_dtype(element_type))
    arr = np.asarray(array)
    elt = element_type_of(arr.dtype)
    if arr.dtype == np.bool_:
        data = np.where(arr, -1, 0).astype(np.int8).tobytes()
    else:
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return DenseIntOrFPElementsAttr(TensorType(elt, arr.shape), BytesAttr(data))


def _cast_result(value: Any, result_type: Attribute) -> np.ndarray:
    """Hold a numpy result in the op's declared element type."""
    assert isinstance(result_type, TensorType)
    return np.asarray(value).astype(numpy_dtype(result_type.element_type), copy=False)



# ===----------------------------------------------------------------------=== #
# Type-rule helpers: one error template, "op: expected X, got Y"
# ===----------------------------------------------------------------------=== #


def _fail(op: Operation | type[Operation], expected: str, got: object) -> VerifyException:
    return VerifyException(f"{op.name}: expected {expected}, got {got}")


def _check_tensor(op: Operation, what: str, type_: Attribute, dtypes: Dtypes = ANY) -> TensorType:
    """Check that `type_` is a plain tensor whose element type is in `dtypes`."""
    if not isinstance(type_, TensorType) or type_.encoding != NoneAttr():
        raise _fail(op, f"{what} to be a tensor without encoding", type_)
    if type_.element_type not in dtypes:
        raise _fail(op, f"{what} to be a tensor of {dtypes.description}", type_)
    return type_


def _check_result(op: Operation, inferred: Attribute) -> None:
    """Ops whose result type is fully determined check it against the rule."""
    got = op.results[0].type
    if got != inferred:
        raise _fail(op, f"result type {inferred}", got)


def _check_index_tensor(op: Operation, what: str, value: SSAValue, rank: int | None) -> None:
    """Index-like operands: `tensor<i64>` (rank 0) or `tensor<Nxi64>` (rank 1)."""
    want = "tensor<i64>" if rank == 0 else f"tensor<{rank if rank is not None else 'N'}xi64>"
    t = value.type
    ok = isinstance(t, TensorType) and t.element_type == i64 and t.encoding == NoneAttr()
    if ok and rank == 0:
        ok = t.get_num_dims() == 0
    elif ok:
        ok = t.get_num_dims() == 1 and (rank is None or t.get_shape()[0] in (rank, DYN))
    if not ok:
        raise _fail(op, f"{what} of type {want}", t)


def _check_axis(op: Operation | type[Operation], axis: int, rank: int) -> None:
    if not 0 <= axis < rank:
        raise _fail(op, f"an axis in [0, {rank})", axis)


def _type_of(value: Value) -> TensorType:
    t = SSAValue.get(value).type
    if not isinstance(t, TensorType):
        raise ValueError(f"expected a tensor value, got one of type {t}")
    return t


class SameType(VarConstraint[Attribute]):
    """A `VarConstraint` whose mismatch message explains mt's no-implicit-cast rule."""

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        first = constraint_context.get_variable(self.name)
        if first is not None and first != attr:
            raise VerifyException(
                f"expected {first}, the type of the other operands and the result "
                f"(mt never broadcasts or casts implicitly), got {attr}"
            )
        super().verify(attr, constraint_context)


