"""The `gpux` dialect: the few GPU ops xDSL's `gpu` dialect (0.74) lacks.

    %r = gpux.shuffle_down %v, 16 : f32

`shuffle_down` is a warp shuffle: every lane of a warp (32 consecutive
threads of a block, all of which execute it together) gets the value `%v`
of lane `lane + offset`, or its own `%v` when that lane is outside the warp
(CUDA's `__shfl_down_sync(0xffffffff, v, offset)`). `convert-gpu-to-nvvm`
lowers it to `llvm.nvvm.shfl.sync.down.*`; `convert-gpu-to-loops` (the CPU
emulation) to a store, a barrier and a load through a scratch buffer.

Vector memory access (`vectorize-gpu-loads` makes them; `convert-to-llvm`
lowers them to one aligned LLVM vector load/store, `ld.global.v4.f32` on
NVPTX, a vector move on the CPU emulation):

    %a = gpux.address %m : memref<?xf32>                  // element 0's address, offset applied (index)
    %x0, %x1, %x2, %x3 = gpux.load_lanes %m[%i] : memref<?xf32> -> f32, f32, f32, f32
    gpux.store_lanes (%y0, %y1, %y2, %y3 : f32, f32, f32, f32), %m[%i] : memref<?xf32>

`load_lanes`/`store_lanes` access elements i .. i+lanes-1 of a 1-D memref
with unit stride as one access of `lanes * itemsize` bytes (8 or 16). The
caller guarantees the alignment: element i's address is a multiple of that
width (`address` checked at run time, i a multiple of `lanes`).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import (
    I32,
    AnyFloat,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StridedLayoutAttr,
    i32,
)
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import (
    AnyOf,
    IRDLOperation,
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.utils.exceptions import VerifyException

WARP_SIZE = 32


@irdl_op_definition
class ShuffleDownOp(IRDLOperation):
    """Warp shuffle down by a constant offset (see the module docstring)."""

    name = "gpux.shuffle_down"
    T: ClassVar = VarConstraint("T", AnyOf([base(IntegerType), base(IndexType), base(AnyFloat)]))
    value = operand_def(T)
    offset = prop_def(IntegerAttr[I32])
    result = result_def(T)

    assembly_format = "$value `,` $offset attr-dict `:` type($value)"

    def __init__(self, value: SSAValue, offset: int):
        super().__init__(operands=[value], result_types=[value.type], properties={"offset": IntegerAttr(offset, i32)})

    def verify_(self) -> None:
        if not 0 < self.offset.value.data < WARP_SIZE:
            raise VerifyException(f"gpux.shuffle_down: offset must be in [1, {WARP_SIZE}), got {self.offset.value.data}")


def element_bytes(t) -> int | None:
    """Bytes of an element type a vector access may move (32/64-bit floats and integers), else None."""
    if isinstance(t, Float32Type) or (isinstance(t, IntegerType) and t.width.data == 32):
        return 4
    if isinstance(t, Float64Type) or (isinstance(t, IntegerType) and t.width.data == 64):
        return 8
    return None


def unit_stride_1d(t) -> bool:
    """A 1-D memref whose elements are contiguous (identity layout, or a strided one with stride 1)."""
    if not isinstance(t, MemRefType) or t.get_num_dims() != 1:
        return False
    layout = t.layout
    if isinstance(layout, StridedLayoutAttr):
        return [s.data if hasattr(s, "data") else s for s in layout.strides.data] == [1]
    return True


def _check_lanes(op, t, types) -> None:
    if not unit_stride_1d(t):
        raise VerifyException(f"{op.name}: expected a 1-D memref with unit stride, got {t}")
    width = element_bytes(t.element_type)
    if width is None or len(types) * width not in (8, 16):
        raise VerifyException(f"{op.name}: expected 2 or 4 lanes of 32/64-bit elements moving 8 or 16 bytes, "
                              f"got {len(types)} x {t.element_type}")
    if any(x != t.element_type for x in types):
        raise VerifyException(f"{op.name}: expected lanes of {t.element_type}, got {', '.join(map(str, types))}")


@irdl_op_definition
class AddressOp(IRDLOperation):
    """The address of a memref's element 0 (its offset applied), as an index (alignment checks)."""

    name = "gpux.address"
    memref = operand_def(MemRefType)
    result = result_def(IndexType)

    assembly_format = "$memref attr-dict `:` type($memref)"

    def __init__(self, memref: SSAValue):
        super().__init__(operands=[memref], result_types=[IndexType()])


@irdl_op_definition
class LoadLanesOp(IRDLOperation):
    """Elements index .. index+lanes-1 of a unit-stride 1-D memref in one aligned access."""

    name = "gpux.load_lanes"
    memref = operand_def(MemRefType)
    index = operand_def(IndexType)
    lanes = var_result_def()

    assembly_format = "$memref `[` $index `]` attr-dict `:` type($memref) `->` type($lanes)"

    def __init__(self, memref: SSAValue, index: SSAValue, lanes: int):
        super().__init__(operands=[memref, index], result_types=[[memref.type.element_type] * lanes])

    def verify_(self) -> None:
        _check_lanes(self, self.memref.type, [r.type for r in self.lanes])


@irdl_op_definition
class StoreLanesOp(IRDLOperation):
    """Stores its values at index .. index+lanes-1 of a unit-stride 1-D memref in one aligned access."""

    name = "gpux.store_lanes"
    values = var_operand_def()
    memref = operand_def(MemRefType)
    index = operand_def(IndexType)

    assembly_format = "`(` $values `:` type($values) `)` `,` $memref `[` $index `]` attr-dict `:` type($memref)"

    def __init__(self, values, memref: SSAValue, index: SSAValue):
        super().__init__(operands=[list(values), memref, index])

    def verify_(self) -> None:
        _check_lanes(self, self.memref.type, [v.type for v in self.values])


GPUX = Dialect("gpux", [ShuffleDownOp, AddressOp, LoadLanesOp, StoreLanesOp], [])
