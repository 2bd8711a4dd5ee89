"""Small builders for linalg-on-tensors IR: generics, fills, index arithmetic.

Used by `convert-mt-to-linalg` (and usable by any pass that emits linalg):

* `emit(b, op)` inserts an op and returns its (first) result;
* `Index` does index arithmetic on `int | SSAValue`, folding whenever the
  operands are static, so a slice with static bounds costs no IR at all;
* `generic(...)` builds a `linalg.generic` from maps given as tuples of
  loop positions / constants and a body callback;
* `fill`, `empty`, `const` and the element-type predicates.

Everything here is target-neutral and knows nothing about mt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from xdsl.builder import Builder
from xdsl.dialects import arith, scf, tensor
from xdsl.dialects import complex as cx
from xdsl.dialects.builtin import (
    AffineMapAttr,
    AnyFloat,
    ArrayAttr,
    ComplexType,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    Signedness,
    TensorType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.rewriter import InsertPoint

index = IndexType()
i1 = IntegerType(1)
i32 = IntegerType(32)
i64 = IntegerType(64)

IndexLike = int | SSAValue
"""An index-typed quantity: a Python int when static, else an SSA `index`."""

Cond = bool | SSAValue
"""A condition: a Python bool when static, else an SSA `i1`."""


def emit(b: Builder, op: Operation) -> SSAValue:
    """Insert `op` at `b`'s insertion point and return its first result."""
    b.insert(op)
    return op.results[0]


# ===----------------------------------------------------------------------=== #
# Element types
# ===----------------------------------------------------------------------=== #


def signless(t: Attribute) -> Attribute:
    """The loop-level spelling of a type: integers lose their signedness
    (`ui32` -> `i32`), tensors and memrefs convert their element type."""
    if isinstance(t, IntegerType) and t.signedness.data != Signedness.SIGNLESS:
        return IntegerType(t.width.data)
    if isinstance(t, TensorType):
        elt = signless(t.element_type)
        return t if elt == t.element_type else TensorType(elt, t.get_shape())
    if isinstance(t, MemRefType):
        elt = signless(t.element_type)
        return t if elt == t.element_type else MemRefType(elt, t.get_shape())
    return t


def is_float(t: Attribute) -> bool:
    return isinstance(t, AnyFloat)


def is_complex(t: Attribute) -> bool:
    return isinstance(t, ComplexType)


def is_bool(t: Attribute) -> bool:
    return isinstance(t, IntegerType) and t.width.data == 1


def is_unsigned(t: Attribute) -> bool:
    """True for mt's unsigned integers and for i1 (a bool compares unsigned)."""
    return isinstance(t, IntegerType) and (t.signedness.data == Signedness.UNSIGNED or t.width.data == 1)


def int_width(t: Attribute) -> int:
    assert isinstance(t, IntegerType)
    return t.width.data


def const(b: Builder, value: Any, t: Attribute) -> SSAValue:
    """A scalar `arith.constant` of (signless) type `t`; ints are wrapped to t's width."""
    t = signless(t)
    if isinstance(t, AnyFloat):
        return emit(b, arith.ConstantOp(FloatAttr(float(value), t)))
    if isinstance(t, ComplexType):  # `complex.constant [re, im]`
        z = complex(value)
        part = t.element_type
        attr = ArrayAttr([FloatAttr(z.real, part), FloatAttr(z.imag, part)])  # type: ignore[arg-type]
        return emit(b, cx.ConstantOp(attr, t))
    if isinstance(t, IndexType):
        return emit(b, arith.ConstantOp(IntegerAttr(int(value), t)))
    assert isinstance(t, IntegerType)
    width = t.width.data
    v = int(value) & ((1 << width) - 1)
    if width == 1:
        v = -v  # xDSL spells i1 true as -1 in the signless range
    elif v >= 1 << (width - 1):
        v -= 1 << width
    return emit(b, arith.ConstantOp(IntegerAttr(v, t)))


def constant_value(v: SSAValue) -> DenseIntOrFPElementsAttr | IntegerAttr | FloatAttr | None:
    """The attribute of an `arith.constant` producing `v`, else None."""
    owner = v.owner
    if isinstance(owner, arith.ConstantOp):
        return owner.value  # type: ignore[return-value]
    return None


# ===----------------------------------------------------------------------=== #
# Index arithmetic that folds
# ===----------------------------------------------------------------------=== #


class Index:
    """Index arithmetic on `int | SSAValue` values: static operands fold.

    Conditions are `bool | SSAValue(i1)`. Division follows C (truncation)
    for `div` and Python (floor) for `floordiv`; both assume a non-zero
    divisor.
    """

    def __init__(self, b: Builder, constants: dict[tuple[int, Attribute], SSAValue] | None = None):
        self.b = b
        self.constants = constants

    def const(self, x: int, t: Attribute) -> SSAValue:
        """A constant; reused from `constants` when given (only for a
        builder that stays in one block, where earlier values dominate)."""
        if self.constants is None:
            return const(self.b, x, t)
        key = (x, t)
        if key not in self.constants:
            self.constants[key] = const(self.b, x, t)
        return self.constants[key]

    def value(self, x: IndexLike) -> SSAValue:
        return self.const(x, index) if isinstance(x, int) else x

    def cond(self, c: Cond) -> SSAValue:
        return self.const(int(c), i1) if isinstance(c, bool) else c

    def from_int(self, v: SSAValue) -> IndexLike:
        """An integer SSA value (any width) as an index, folding constants."""
        attr = constant_value(v)
        if isinstance(attr, IntegerAttr):
            return attr.value.data
        if isinstance(v.type, IndexType):
            return v
        owner = v.owner
        if isinstance(owner, arith.IndexCastOp) and isinstance(owner.input.type, IndexType) and v.type == i64:
            return owner.input  # index -> i64 -> index is the identity
        return emit(self.b, arith.IndexCastOp(v, index))

    def to_i64(self, x: IndexLike) -> SSAValue:
        if isinstance(x, int):
            return self.const(x, i64)
        return emit(self.b, arith.IndexCastOp(x, i64))

    def _binary(self, a: IndexLike, c: IndexLike, fold: Callable[[int, int], int], op: type[Operation]) -> IndexLike:
        if isinstance(a, int) and isinstance(c, int):
            return fold(a, c)
        return emit(self.b, op(self.value(a), self.value(c)))

    def add(self, a: IndexLike, c: IndexLike) -> IndexLike:
        if a == 0:
            return c
        if c == 0:
            return a
        return self._binary(a, c, lambda x, y: x + y, arith.AddiOp)

    def sub(self, a: IndexLike, c: IndexLike) -> IndexLike:
        if c == 0:
            return a
        return self._binary(a, c, lambda x, y: x - y, arith.SubiOp)

    def mul(self, a: IndexLike, c: IndexLike) -> IndexLike:
        if a == 1:
            return c
        if c == 1:
            return a
        if a == 0 or c == 0:
            return 0
        return self._binary(a, c, lambda x, y: x * y, arith.MuliOp)

    def div(self, a: IndexLike, c: IndexLike) -> IndexLike:
        """C division (toward zero)."""
        if c == 1:
            return a
        return self._binary(a, c, _cdiv, arith.DivSIOp)

    def floordiv(self, a: IndexLike, c: IndexLike) -> IndexLike:
        if c == 1:
            return a
        return self._binary(a, c, lambda x, y: x // y, arith.FloorDivSIOp)

    def rem(self, a: IndexLike, c: IndexLike) -> IndexLike:
        """C remainder (sign of the dividend)."""
        if c == 1:
            return 0
        return self._binary(a, c, lambda x, y: x - y * _cdiv(x, y), arith.RemSIOp)

    def min(self, a: IndexLike, c: IndexLike) -> IndexLike:
        return self._binary(a, c, min, arith.MinSIOp)

    def max(self, a: IndexLike, c: IndexLike) -> IndexLike:
        return self._binary(a, c, max, arith.MaxSIOp)

    def cmp(self, pred: str, a: IndexLike, c: IndexLike) -> Cond:
        """`pred` is an arith.cmpi predicate on signed values: eq ne slt sle sgt sge."""
        if isinstance(a, int) and isinstance(c, int):
            return _CMP[pred](a, c)
        return emit(self.b, arith.CmpiOp(self.value(a), self.value(c), pred))

    def select(self, c: Cond, a: IndexLike, d: IndexLike) -> IndexLike:
        if isinstance(c, bool):
            return a if c else d
        if isinstance(a, int) and isinstance(d, int) and a == d:
            return a
        return emit(self.b, arith.SelectOp(c, self.value(a), self.value(d)))

    def choose(self, c: Cond, a: Callable[[], IndexLike], d: Callable[[], IndexLike]) -> IndexLike:
        """`select(c, a(), d())`, building only the chosen side when c is static."""
        if isinstance(c, bool):
            return a() if c else d()
        return self.select(c, a(), d())

    def and_(self, a: Cond, c: Cond) -> Cond:
        if isinstance(a, bool):
            return c if a else False
        if isinstance(c, bool):
            return a if c else False
        return emit(self.b, arith.AndIOp(a, c))

    def or_(self, a: Cond, c: Cond) -> Cond:
        if isinstance(a, bool):
            return True if a else c
        if isinstance(c, bool):
            return True if c else a
        return emit(self.b, arith.OrIOp(a, c))


def _cdiv(x: int, y: int) -> int:
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y >= 0) else -q


_CMP: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda x, y: x == y,
    "ne": lambda x, y: x != y,
    "slt": lambda x, y: x < y,
    "sle": lambda x, y: x <= y,
    "sgt": lambda x, y: x > y,
    "sge": lambda x, y: x >= y,
}


# ===----------------------------------------------------------------------=== #
# Tensors and linalg ops
# ===----------------------------------------------------------------------=== #

MapSpec = Sequence[int | str]
"""One indexing map as a tuple of results: an int is a loop position, the
string "0" is the constant 0 (a broadcast dim). `()` maps a 0-d operand."""

Body = Callable[[Builder, Sequence[BlockArgument]], Sequence[SSAValue]]
"""Builds a generic's scalar body from its block arguments; returns the
values to yield, one per output."""


def affine_map(num_loops: int, spec: MapSpec) -> AffineMapAttr:
    exprs = [AffineExpr.constant(int(e)) if isinstance(e, str) else AffineExpr.dimension(e) for e in spec]
    return AffineMapAttr(AffineMap(num_loops, 0, tuple(exprs)))


def identity_spec(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


def element_type(t: Attribute) -> Attribute:
    return t.element_type if isinstance(t, TensorType | MemRefType) else t


def empty(b: Builder, t: TensorType, sizes: Sequence[IndexLike]) -> SSAValue:
    """`tensor.empty` of type `t`; `sizes` has one entry per dim (static
    entries of a dynamic dim are materialized as constants)."""
    ix = Index(b)
    dynamic = [ix.value(s) for s, d in zip(sizes, t.get_shape(), strict=True) if d < 0]
    return emit(b, tensor.EmptyOp(dynamic, t))


def generic(
    b: Builder,
    ins: Sequence[SSAValue],
    outs: Sequence[SSAValue],
    maps: Sequence[MapSpec],
    iterators: Sequence[str],
    body: Body,
) -> list[SSAValue]:
    """A `linalg.generic` over `len(iterators)` loops ("parallel" or
    "reduction"), one map per operand (ins then outs). On tensors it
    returns the results, on memrefs nothing."""
    num_loops = len(iterators)
    block = Block(arg_types=[element_type(v.type) for v in (*ins, *outs)])
    inner = Builder(InsertPoint.at_end(block))
    yielded = body(inner, block.args)
    inner.insert(linalg.YieldOp(*yielded))
    kinds = {"parallel": IteratorTypeAttr.parallel(), "reduction": IteratorTypeAttr.reduction()}
    result_types = [v.type for v in outs if isinstance(v.type, TensorType)]
    # `create` skips the checked constructor, which costs more than the
    # rest of the op; the module is verified after the pass anyway.
    op = linalg.GenericOp.create(
        operands=[*ins, *outs],
        result_types=result_types,
        properties={
            "indexing_maps": ArrayAttr([affine_map(num_loops, m) for m in maps]),
            "iterator_types": ArrayAttr([kinds[k] for k in iterators]),
            "operandSegmentSizes": DenseArrayBase.from_list(i32, [len(ins), len(outs)]),
        },
        regions=[Region(block)],
    )
    b.insert(op)
    return list(op.results)


def fill(b: Builder, value: SSAValue, init: SSAValue) -> SSAValue | None:
    """`linalg.fill` of `init` with the scalar `value` (result on tensors).

    A complex value (xDSL's `linalg.fill` takes only int and float scalars)
    is written by a generic without inputs that yields it (`fill_value`
    recognizes both forms)."""
    if isinstance(value.type, ComplexType):
        rank = len(init.type.get_shape())  # type: ignore[attr-defined]
        results = generic(b, [], [init], [identity_spec(rank)], ["parallel"] * rank, lambda _b, _args: [value])
        return results[0] if results else None
    op = linalg.FillOp([value], [init], res=None if isinstance(init.type, TensorType) else [])
    b.insert(op)
    return op.results[0] if op.results else None


def fill_value(op: Operation | None) -> SSAValue | None:
    """The scalar a `fill` wrote (a `linalg.fill`, or the generic fill of a complex value), else None."""
    if isinstance(op, linalg.FillOp):
        return op.inputs[0]
    if isinstance(op, linalg.GenericOp) and op.regions and not op.inputs and len(op.outputs) == 1:
        ops = list(op.body.block.ops)
        if len(ops) == 1 and isinstance(ops[0], linalg.YieldOp):
            value = ops[0].operands[0]
            if not (isinstance(value, BlockArgument) and value.block is op.body.block):
                return value
    return None


def is_blas_type(t: Attribute) -> bool:
    """Whether a contraction (gemm, gemv or dot) on elements `t` becomes a BLAS call: f32/f64
    (?gemm/?gemv/?dot) and complex<f32>/complex<f64>: ?gemm/?gemv, a dot as the ?gemv of the
    1 x n matrix x times y (complex ?dotu returns a struct by value, an ABI the f77 interface
    leaves to the compiler, so it is never called)."""
    if isinstance(t, Float32Type | Float64Type):
        return True
    return isinstance(t, ComplexType) and isinstance(t.element_type, Float32Type | Float64Type)


def for_loops(b: Builder, bounds: Sequence[tuple[IndexLike, IndexLike]],
              body: Callable[[Builder, list[SSAValue]], None]) -> None:
    """Nested `scf.for`s over `bounds` (outermost first, step 1); `body(builder, ivs)` builds the innermost."""
    if not bounds:
        body(b, [])
        return
    (lo, hi), rest = bounds[0], bounds[1:]
    ix = Index(b)
    block = Block(arg_types=[IndexType()])
    inner = Builder(InsertPoint.at_end(block))
    for_loops(inner, rest, lambda ib, ivs: body(ib, [block.args[0], *ivs]))
    inner.insert(scf.YieldOp())
    b.insert(scf.ForOp(ix.value(lo), ix.value(hi), const(b, 1, index), [], Region(block)))
