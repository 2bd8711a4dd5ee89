"""The `gpux` dialect: the few GPU ops xDSL's `gpu` dialect (0.74) lacks.

    %r = gpux.shuffle_down %v, 16 : f32

`shuffle_down` is a warp shuffle: every lane of a warp (32 consecutive
threads of a block, all of which execute it together) gets the value `%v`
of lane `lane + offset`, or its own `%v` when that lane is outside the warp
(CUDA's `__shfl_down_sync(0xffffffff, v, offset)`). `convert-gpu-to-nvvm`
lowers it to `llvm.nvvm.shfl.sync.down.*`; `convert-gpu-to-loops` (the CPU
emulation) to a store, a barrier and a load through a scratch buffer.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import I32, AnyFloat, IndexType, IntegerAttr, IntegerType, i32
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


GPUX = Dialect("gpux", [ShuffleDownOp], [])
