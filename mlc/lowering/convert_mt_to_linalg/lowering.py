"""The state of one function's `convert-mt-to-linalg` conversion.

`Lowering` maps old (mt) values to new (linalg-on-tensors) ones and knows
how to build what every op lowering needs: dims (folded when static or
already known), scalars read out of tensors (folded through constants,
`tensor.from_elements` and `tensor.cast`), elementwise generics, output-only
"gather" generics and filled tensors. Small static tensors made of known
scalars (shape vectors) are built element by element as scalar code.
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.builder import Builder
from xdsl.dialects import arith, tensor
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, FunctionType, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, BlockArgument, Operation, SSAValue

from mlc.dialects import mt
from mlc.dialects.utils.linalg_builders import (
    Index,
    IndexLike,
    MapSpec,
    const,
    emit,
    empty,
    fill,
    generic,
    identity_spec,
    index,
    signless,
)
from mlc.lowering.convert_mt_to_linalg.scalar_math import ScalarBuilder


@dataclass
class Lowering:
    """Converts one function: maps old (mt) values to new (linalg) ones.

    The mt ops stay in place, untouched, until the whole function is
    converted, so `mt_type` can always read an operand's original type
    (with its signedness); new ops are inserted before the op being lowered.
    """

    b: Builder
    externs: dict[str, FunctionType]
    values: dict[SSAValue, SSAValue] = field(default_factory=dict)
    arg_types: dict[SSAValue, Attribute] = field(default_factory=dict)
    dims: dict[tuple[SSAValue, int], SSAValue] = field(default_factory=dict)
    constants: dict[tuple[int, Attribute], SSAValue] = field(default_factory=dict)

    # -- values and types ------------------------------------------------------

    def v(self, old: SSAValue) -> SSAValue:
        return self.values.get(old, old)

    def mt_type(self, old: SSAValue) -> TensorType:
        t = self.arg_types.get(old, old.type)
        assert isinstance(t, TensorType), f"expected a tensor, got {t}"
        return t

    @property
    def ix(self) -> Index:
        """Index arithmetic at the top level (constants are shared)."""
        return Index(self.b, self.constants)

    def scalar_emitter(self, b: Builder | None = None) -> ScalarBuilder:
        return ScalarBuilder(b or self.b, self.externs)

    # -- shapes ----------------------------------------------------------------

    def dim(self, value: SSAValue, i: int) -> IndexLike:
        """Dim `i` of a (new) tensor: an int when static, else `tensor.dim`
        (or the size it was created with)."""
        t = value.type
        assert isinstance(t, TensorType)
        size = t.get_shape()[i]
        if size >= 0:
            return size
        if isinstance(value.owner, tensor.CastOp):
            return self.dim(value.owner.source, i)
        key = (value, i)
        if key not in self.dims:
            self.dims[key] = emit(self.b, tensor.DimOp(value, self.ix.const(i, index)))
        return self.dims[key]

    def shape(self, value: SSAValue) -> list[IndexLike]:
        t = value.type
        assert isinstance(t, TensorType)
        return [self.dim(value, i) for i in range(t.get_num_dims())]

    def sizes(self, result: TensorType, dynamic: Sequence[IndexLike]) -> list[IndexLike]:
        """Result sizes: the type's static dims, else the computed ones."""
        return [d if d >= 0 else s for d, s in zip(result.get_shape(), dynamic, strict=True)]

    def known_dims(self, value: SSAValue, sizes: Sequence[IndexLike]) -> SSAValue:
        """Remember the sizes of a new tensor, so `dim` never asks for them."""
        for i, size in enumerate(sizes):
            if not isinstance(size, int):
                self.dims[(value, i)] = size
        return value

    # -- scalars out of tensors ----------------------------------------------

    def extract(self, value: SSAValue, indices: Sequence[IndexLike] = (), b: Builder | None = None) -> SSAValue:
        """`value[indices]`, folded through constants, `tensor.from_elements`
        and `tensor.cast` when the indices are static."""
        ix = self.ix if b is None else Index(b)
        b = b or self.b
        t = value.type
        assert isinstance(t, TensorType)
        root = cast_root(value)
        owner = root.owner
        static = all(isinstance(i, int) for i in indices) and root.type.has_static_shape()  # type: ignore[attr-defined]
        if static and isinstance(owner, tensor.FromElementsOp | arith.ConstantOp):
            shape = root.type.get_shape()  # type: ignore[attr-defined]
            flat = int(np.ravel_multi_index(tuple(indices), shape)) if indices else 0
            if isinstance(owner, tensor.FromElementsOp):
                return owner.elements[flat]
            if isinstance(owner.value, DenseIntOrFPElementsAttr):
                return const(b, mt.to_numpy(owner.value).reshape(-1)[flat].item(), t.element_type)
        return emit(b, tensor.ExtractOp(value, [ix.value(i) for i in indices], t.element_type))

    def scalarizable(self, value: SSAValue) -> bool:
        """True for a 0-d tensor (one load) or a small tensor whose elements
        are known scalars (a shape vector, a constant): ops on such
        operands are computed element by element."""
        root = cast_root(value)
        t = root.type
        if not isinstance(t, TensorType) or not t.has_static_shape():
            return False
        if t.get_num_dims() == 0:
            return True
        known = isinstance(root.owner, tensor.FromElementsOp | arith.ConstantOp)
        return known and pymath.prod(t.get_shape()) <= SCALARIZE_LIMIT

    def from_grid(
        self, result: TensorType, sizes: Sequence[IndexLike], element: Callable[[list[int]], SSAValue]
    ) -> SSAValue | None:
        """`tensor.from_elements` of `element(idx)` over static small `sizes`
        (cast to `result` if it has `?` dims); None if the sizes don't allow it."""
        if not all(isinstance(d, int) for d in sizes) or pymath.prod(sizes) > SCALARIZE_LIMIT:  # type: ignore[arg-type]
            return None
        static = TensorType(result.element_type, list(sizes))  # type: ignore[arg-type]
        values = [element(list(idx)) for idx in np.ndindex(*sizes)]  # type: ignore[arg-type]
        if values:
            out = emit(self.b, tensor.FromElementsOp(*values, result_type=static))
        else:
            out = emit(self.b, tensor.EmptyOp([], static))
        return out if static == result else emit(self.b, tensor.CastOp(out, result))

    def index_scalar(self, value: SSAValue, indices: Sequence[IndexLike] = ()) -> IndexLike:
        """An integer element of a (new) tensor as an index (an int when constant)."""
        return self.ix.from_int(self.extract(value, indices))

    def splat(self, value: SSAValue) -> int | float | bool | None:
        """The element of a splat constant tensor, else None."""
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, DenseIntOrFPElementsAttr):
            array = mt.to_numpy(owner.value)
            flat = array.reshape(-1)
            if flat.size and np.all(flat.view(np.uint8).reshape(flat.size, -1) == flat[:1].view(np.uint8)):
                return flat[0].item()
        return None

    # -- generic builders ------------------------------------------------------

    def map_elementwise(
        self,
        operands: Sequence[SSAValue],
        result: TensorType,
        body: Callable[[ScalarBuilder, Sequence[SSAValue]], SSAValue],
        maps: Sequence[MapSpec] | None = None,
        sizes: Sequence[IndexLike] | None = None,
    ) -> SSAValue:
        """Apply `body` to the elements of `operands` (new values).

        By default operands have the result's shape (identity maps) and the
        sizes come from the first non-constant operand. 0-d results are
        computed as plain scalar code. Splat constants become scalar
        constants inside the body rather than inputs.
        """
        rank = result.get_num_dims()
        if rank == 0 and all(isinstance(o.type, TensorType) and o.type.get_num_dims() == 0 for o in operands):
            value = body(self.scalar_emitter(), [self.extract(o) for o in operands])
            return emit(self.b, tensor.FromElementsOp(value, result_type=result))
        maps = list(maps) if maps is not None else [identity_spec(rank)] * len(operands)
        splats = [self.splat(o) for o in operands]
        if sizes is None:
            source = next((o for o, c in zip(operands, splats) if c is None), operands[0] if operands else None)
            sizes = self.shape(source) if source is not None else [d for d in result.get_shape()]
        sizes = self.sizes(result, sizes)
        if all(self.scalarizable(o) for o in operands):

            def element(idx: list[int]) -> SSAValue:
                positions = [[0 if isinstance(m, str) else idx[m] for m in spec] for spec in maps]
                return body(self.scalar_emitter(), [self.extract(o, p) for o, p in zip(operands, positions)])

            if (out := self.from_grid(result, sizes, element)) is not None:
                return out
        init = empty(self.b, result, sizes)
        if operands and all(c is not None for c in splats):  # e.g. zeros((n, 3)): a fill
            scalars = [const(self.b, c, o.type.element_type) for o, c in zip(operands, splats)]
            out = fill(self.b, body(self.scalar_emitter(), scalars), init)
            assert out is not None
            return self.known_dims(out, sizes)
        ins = [o for o, c in zip(operands, splats) if c is None]
        in_maps = [m for m, c in zip(maps, splats) if c is None]

        def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
            it = iter(args)
            scalars = [next(it) if c is None else const(b, c, o.type.element_type) for o, c in zip(operands, splats)]
            return [body(self.scalar_emitter(b), scalars)]

        out = generic(self.b, ins, [init], [*in_maps, identity_spec(rank)], ["parallel"] * rank, build)[0]
        return self.known_dims(out, sizes)

    def gather(
        self,
        result: TensorType,
        sizes: Sequence[IndexLike],
        element: Callable[[Builder, list[IndexLike]], SSAValue],
    ) -> SSAValue:
        """A tensor whose element at `idx` is `element(b, idx)`: an output-only
        generic reading its sources with `tensor.extract`. Small static
        results are built element by element (`idx` are then ints)."""
        rank = result.get_num_dims()
        if rank == 0:
            return emit(self.b, tensor.FromElementsOp(element(self.b, []), result_type=result))
        sizes = self.sizes(result, sizes)
        if (out := self.from_grid(result, sizes, lambda idx: element(self.b, idx))) is not None:  # type: ignore[arg-type]
            return out
        init = empty(self.b, result, sizes)

        def build(b: Builder, args: Sequence[BlockArgument]) -> list[IndexLike]:
            idx = [emit(b, linalg.IndexOp(i)) for i in range(rank)]
            return [element(b, idx)]

        out = generic(self.b, [], [init], [identity_spec(rank)], ["parallel"] * rank, build)[0]
        return self.known_dims(out, sizes)

    def filled(self, result: TensorType, sizes: Sequence[IndexLike], value: int | float) -> SSAValue:
        sizes = self.sizes(result, sizes)
        init = empty(self.b, result, sizes)
        out = fill(self.b, const(self.b, value, result.element_type), init)
        assert out is not None
        return self.known_dims(out, sizes)


LoweringFn = Callable[[Lowering, Operation], SSAValue]

SCALARIZE_LIMIT = 16
"""Static tensors up to this many elements, built from known scalars (shape
vectors...), are computed as scalar code and `tensor.from_elements`."""


def cast_root(value: SSAValue) -> SSAValue:
    """The value under any chain of `tensor.cast`s (same elements)."""
    while isinstance(value.owner, tensor.CastOp):
        value = value.owner.source
    return value


def result_type(op: Operation) -> TensorType:
    """The (signless) tensor type of `op`'s result."""
    t = signless(op.results[0].type)
    assert isinstance(t, TensorType)
    return t
