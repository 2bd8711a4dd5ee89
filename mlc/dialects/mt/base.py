"""The mt op base (Pure, one result, numpy meaning, generic constant folding), mt.constant, and the identity canonicalization."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    ComplexType,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    TensorType,
)
from xdsl.interfaces import HasCanonicalizationPatternsInterface, HasFolderInterface
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure

from mlc.dialects.mt.types import (
    FOLD_LIMIT,
    _check_tensor,
    _fail,
    from_numpy,
    to_numpy,
)

# ===----------------------------------------------------------------------=== #
# The op base: Pure, single result, numpy meaning, constant folding
# ===----------------------------------------------------------------------=== #


class MtOp(IRDLOperation, HasFolderInterface):
    """Base of every mt op: Pure, one result, `evaluate` gives its numpy meaning.

    The folder is generic: when every operand is a constant and the result
    type is static (at most FOLD_LIMIT elements), the op is evaluated with
    numpy and replaced by an `mt.constant` of exactly its result type.
    """

    traits = traits_def(Pure())

    def evaluate(self, *operands: np.ndarray) -> np.ndarray:
        """The op's result for numpy operand values, in the result's dtype."""
        raise NotImplementedError(f"{self.name} has no numpy meaning")

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        result_type = self.results[0].type
        if not isinstance(result_type, TensorType) or not result_type.has_static_shape():
            return None
        if math.prod(result_type.get_shape()) > FOLD_LIMIT:
            return None
        values = [ConstantLike.get_constant_value(v) for v in self.operands]
        if not all(isinstance(v, DenseIntOrFPElementsAttr) for v in values):
            return None
        if any(math.prod(v.get_shape()) > FOLD_LIMIT for v in values):  # type: ignore[union-attr]
            return None
        try:
            with np.errstate(all="ignore"):
                out = self.evaluate(*(to_numpy(v) for v in values))  # type: ignore[arg-type]
        except (ArithmeticError, ValueError, IndexError):
            return None  # e.g. an int to a negative power: leave it to run time
        if out.shape != result_type.get_shape():
            return None
        return (from_numpy(out, result_type.element_type),)


class MtIdentityOp(MtOp, HasCanonicalizationPatternsInterface):
    """An op that is sometimes the identity on its first operand.

    `is_identity()` says when; canonicalize then replaces the op by that
    operand (cast to the same type, dimshuffle [0, 1], reduce over no axes...).
    """

    def is_identity(self) -> bool:
        raise NotImplementedError

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return (ReplaceIdentityByInput(),)


# ===----------------------------------------------------------------------=== #
# mt.constant
# ===----------------------------------------------------------------------=== #


@irdl_op_definition
class ConstantOp(IRDLOperation, HasFolderInterface):
    """`%c = mt.constant dense<[1.0, 2.0]> : tensor<2xf32>`.

    Python: `ConstantOp(value: DenseIntOrFPElementsAttr)` or
    `ConstantOp.from_numpy(array, element_type=None)`.
    """

    name = "mt.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @classmethod
    def from_numpy(cls, array: Any, element_type: Attribute | None = None) -> ConstantOp:
        """A constant holding `array` (a numpy array or scalar, or anything
        `np.asarray` takes), converted to `element_type` when given; the
        dtype maps to the element type (bool -> i1, float32 -> f32, ...)."""
        return cls(from_numpy(array, element_type))

    def to_numpy(self) -> np.ndarray:
        return to_numpy(self.value)

    def evaluate(self) -> np.ndarray:
        return self.to_numpy()

    def fold(self) -> Sequence[SSAValue | Attribute]:
        return (self.value,)

    def verify_(self) -> None:
        _check_tensor(self, "value", self.value.type)
        if self.value.type != self.result.type:
            raise _fail(self, f"result type {self.value.type} (the value's type)", self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        value = self.value
        inexact = isinstance(value.get_element_type(), Float16Type | Float32Type | Float64Type | ComplexType)
        if inexact and not np.all(np.isfinite(array := to_numpy(value))):
            # xDSL prints NaN/inf as hex integers inside `dense<[...]>` and its
            # own parser reads those back as integers; the hex string of the
            # raw (full, little-endian) data round-trips exactly.
            printer.print_string(f'dense<"0x{from_numpy(array).data.data.hex().upper()}"> : ')
            printer.print_attribute(value.type)
        else:
            printer.print_attribute(value)
        printer.print_op_attributes(self.attributes)

    @classmethod
    def parse(cls, parser: Parser) -> ConstantOp:
        pos = parser.pos
        value = parser.parse_attribute()
        if not isinstance(value, DenseIntOrFPElementsAttr):
            parser.raise_error("expected a dense attribute, e.g. dense<1.0> : tensor<2xf32>", pos, parser.pos)
        op = cls(value)
        op.attributes.update(parser.parse_optional_attr_dict())
        return op



# ===----------------------------------------------------------------------=== #
# Canonicalization patterns (trivial, obviously right; algebra lives in passes)
# ===----------------------------------------------------------------------=== #


class ReplaceIdentityByInput(RewritePattern):
    """op(x) -> x when `op.is_identity()`: cast/broadcast/reshape to x's own
    type, dimshuffle [0, 1, ...], reduce over no axes, slice [:, :]."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MtIdentityOp, rewriter: PatternRewriter) -> None:
        if op.is_identity():
            rewriter.replace(op, [], [op.operands[0]])

