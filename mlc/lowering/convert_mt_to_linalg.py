"""`convert-mt-to-linalg`: the tensor-level dialect `mt` -> linalg on tensors.

Pre-condition: `func.func`s whose bodies are mt ops (plus `tensor.cast`),
on tensors of i1, i8..i64, ui8..ui64, f32 or f64 (f16 and complex are not
supported at the loop level and are rejected with an error).

Afterwards: no mt op is left; every function computes the same values
(numpy semantics, see `mlc.dialects.mt_reference`) with
`linalg.generic`/`linalg.fill`/`linalg.matmul` on tensors, `tensor.empty`,
`tensor.dim`, `tensor.extract`, `tensor.from_elements`, `tensor.cast`,
dense `arith.constant`s, and scalar `arith`/`math`/`scf` code, all with
signless element types (ui32 -> i32; the signedness is resolved into the
choice of op: `arith.divui`, `arith.cmpi ult`, `arith.uitofp`...). Calls to
libm (`fmod`, `erfc` and their `f` forms) are declared `func.func private`
in the module. `mlc-bufferize` takes it from here.

How ops map:

* elementwise ops, `mt.cast`, `mt.select`: one parallel `linalg.generic`
  whose body is the op's scalar meaning (`mlc.lowering.scalar_math`);
  splat-constant operands become scalar constants in the body; 0-d
  operands skip the generic: plain scalar code + `tensor.from_elements`;
* `mt.broadcast`/`mt.dimshuffle`: a copy generic, with constant-0 map
  results for broadcast dims and a permuted map for the shuffle;
* reductions: `linalg.fill` with the identity, then a generic with
  reduction iterators; `mt.argmax`/`argmin` carry (value, index) in two
  outputs so the first extreme (or first NaN) wins, as in numpy;
* `mt.dot`: `linalg.matmul` for matrix @ matrix, a contraction generic
  for the vector cases (`mlc-bufferize` turns f32/f64 ones into BLAS);
* `mt.slice`/`index`/`concatenate`/`reshape`/`arange`/`eye`: "gather"
  generics with only an output, whose body computes the source position
  from `linalg.index` and reads it with `tensor.extract`; Python slice
  semantics (`slice.indices(n)`) are computed in `arith` on index values,
  folded away when everything is static;
* `mt.shape`: `tensor.from_elements` of the dims; `mt.constant`:
  `arith.constant` with the dense value; softmax/log_softmax: max, then
  sum of exp(x - max), then the quotient (or difference of logs).
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, math, scf, tensor
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.builtin import (
    ComplexType,
    DenseIntOrFPElementsAttr,
    Float16Type,
    FunctionType,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import DiagnosticException

from mlc.dialects import mt
from mlc.lowering import scalar_math
from mlc.lowering.linalg_builders import (
    Index,
    IndexLike,
    MapSpec,
    const,
    emit,
    empty,
    fill,
    generic,
    i64,
    identity_spec,
    index,
    is_bool,
    is_float,
    is_unsigned,
    signless,
)
from mlc.lowering.scalar_math import Scalar


class LoweringError(DiagnosticException):
    """An mt op (or type) that has no loop-level lowering."""


# ===----------------------------------------------------------------------=== #
# The state of one function's conversion
# ===----------------------------------------------------------------------=== #


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

    def scalar_emitter(self, b: Builder | None = None) -> Scalar:
        return Scalar(b or self.b, self.externs)

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
        root = _cast_root(value)
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
        root = _cast_root(value)
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
        body: Callable[[Scalar, Sequence[SSAValue]], SSAValue],
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


def _cast_root(value: SSAValue) -> SSAValue:
    while isinstance(value.owner, tensor.CastOp):
        value = value.owner.source
    return value


def _result(op: Operation) -> TensorType:
    t = signless(op.results[0].type)
    assert isinstance(t, TensorType)
    return t


# ===----------------------------------------------------------------------=== #
# Elementwise ops, select, cast, constant
# ===----------------------------------------------------------------------=== #


def lower_unary(cx: Lowering, op: Operation) -> SSAValue:
    elt = cx.mt_type(op.operands[0]).element_type
    return cx.map_elementwise(
        [cx.v(op.operands[0])], _result(op), lambda s, a: scalar_math.unary(s, type(op), elt, a[0])
    )


def lower_binary(cx: Lowering, op: Operation) -> SSAValue:
    elt = cx.mt_type(op.operands[0]).element_type
    return cx.map_elementwise(
        [cx.v(o) for o in op.operands], _result(op), lambda s, a: scalar_math.binary(s, type(op), elt, a[0], a[1])
    )


def lower_select(cx: Lowering, op: mt.SelectOp) -> SSAValue:
    return cx.map_elementwise(
        [cx.v(o) for o in op.operands], _result(op), lambda s, a: s.select(a[0], a[1], a[2])
    )


def lower_cast(cx: Lowering, op: mt.CastOp) -> SSAValue:
    source = cx.mt_type(op.input).element_type
    target = op.result.type.element_type
    return cx.map_elementwise([cx.v(op.input)], _result(op), lambda s, a: scalar_math.cast(s, a[0], source, target))


def lower_constant(cx: Lowering, op: mt.ConstantOp) -> SSAValue:
    value = op.value
    t = signless(value.type)
    if t != value.type:
        assert isinstance(t, TensorType)
        value = DenseIntOrFPElementsAttr(t, value.data)
    return emit(cx.b, arith.ConstantOp(value))


def lower_tensor_cast(cx: Lowering, op: tensor.CastOp) -> SSAValue:
    t = signless(op.dest.type)
    assert isinstance(t, TensorType)
    return emit(cx.b, tensor.CastOp(cx.v(op.source), t))


# ===----------------------------------------------------------------------=== #
# Shape ops
# ===----------------------------------------------------------------------=== #


def lower_shape(cx: Lowering, op: mt.ShapeOp) -> SSAValue:
    x = cx.v(op.input)
    dims = [cx.ix.to_i64(d) for d in cx.shape(x)]
    if not dims:
        return empty(cx.b, _result(op), [0])
    return emit(cx.b, tensor.FromElementsOp(*dims, result_type=_result(op)))


def _shape_operand(cx: Lowering, shape: SSAValue | None, result: TensorType) -> list[IndexLike]:
    """The sizes a broadcast/reshape asks for: static dims, else its shape operand."""
    if shape is None:
        return list(result.get_shape())
    s = cx.v(shape)
    return [d if d >= 0 else cx.index_scalar(s, [k]) for k, d in enumerate(result.get_shape())]


def lower_broadcast(cx: Lowering, op: mt.BroadcastOp) -> SSAValue:
    result = _result(op)
    x = cx.v(op.input)
    sizes = _shape_operand(cx, op.shape, result)
    in_shape = cx.mt_type(op.input).get_shape()
    # A static 1 that becomes anything but a static 1 is read at index 0.
    in_map = tuple("0" if d == 1 and r != 1 else i for i, (d, r) in enumerate(zip(in_shape, result.get_shape())))
    return cx.map_elementwise([x], result, lambda s, a: a[0], maps=[in_map], sizes=sizes)


def lower_dimshuffle(cx: Lowering, op: mt.DimShuffleOp) -> SSAValue:
    result = _result(op)
    x = cx.v(op.input)
    pattern = list(op.pattern.get_values())
    # Input dim i is loop j where pattern[j] == i; dropped dims are static 1s.
    in_map = tuple(pattern.index(i) if i in pattern else "0" for i in range(cx.mt_type(op.input).get_num_dims()))
    sizes = [1 if p == -1 else cx.dim(x, p) for p in pattern]
    return cx.map_elementwise([x], result, lambda s, a: a[0], maps=[in_map], sizes=sizes)


def _strides(ix: Index, dims: Sequence[IndexLike]) -> list[IndexLike]:
    strides: list[IndexLike] = [1] * len(dims)
    for k in range(len(dims) - 2, -1, -1):
        strides[k] = ix.mul(strides[k + 1], dims[k + 1])
    return strides


def lower_reshape(cx: Lowering, op: mt.ReshapeOp) -> SSAValue:
    """Row-major reshape as a gather: flatten the output index, unflatten it
    over the input's dims. One shape entry may be -1 (numpy): it becomes
    size(x) / product(other entries), or 0 when that product is 0."""
    ix = cx.ix
    result = _result(op)
    x = cx.v(op.input)
    in_dims = cx.shape(x)
    sizes = _shape_operand(cx, op.shape, result)
    if op.shape is not None:
        total: IndexLike = 1
        for d in in_dims:
            total = ix.mul(total, d)
        known: IndexLike = 1
        for s in sizes:
            known = ix.mul(known, ix.select(ix.cmp("eq", s, -1), 1, s))
        known_nonzero = ix.cmp("ne", known, 0)
        inferred = ix.select(known_nonzero, ix.div(total, ix.select(known_nonzero, known, 1)), 0)
        sizes = [ix.select(ix.cmp("eq", s, -1), inferred, s) for s in sizes]
    out_strides = _strides(ix, sizes)
    in_strides = _strides(ix, in_dims)

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        flat: IndexLike = 0
        for i, stride in zip(idx, out_strides):
            flat = bix.add(flat, bix.mul(i, stride))
        source: list[IndexLike] = []
        for k, (stride, dim) in enumerate(zip(in_strides, in_dims)):
            position = bix.div(flat, stride)
            source.append(position if k == 0 else bix.rem(position, dim))
        return cx.extract(x, source, b)

    return cx.gather(result, sizes, element)


@dataclass
class SliceDim:
    start: IndexLike
    step: IndexLike
    length: IndexLike


def slice_indices(
    ix: Index, n: IndexLike, start: IndexLike | None, stop: IndexLike | None, step: IndexLike | None
) -> SliceDim:
    """Python's `slice(start, stop, step).indices(n)` and the slice length,
    on index values (None: an omitted field). Negative bounds wrap once,
    then clamp to [0, n] (or [-1, n - 1] for a negative step). With a
    static step only the IR for that step's sign is built."""
    step = 1 if step is None else step
    negative = ix.cmp("slt", step, 0)
    lower = ix.choose(negative, lambda: -1, lambda: 0)
    upper = ix.choose(negative, lambda: ix.sub(n, 1), lambda: n)

    def bound(value: IndexLike | None, default: IndexLike) -> IndexLike:
        if value is None:
            return default
        return ix.choose(ix.cmp("slt", value, 0), lambda: ix.max(ix.add(value, n), lower), lambda: ix.min(value, upper))

    first = bound(start, ix.choose(negative, lambda: upper, lambda: lower))
    last = bound(stop, ix.choose(negative, lambda: lower, lambda: upper))
    # length = ceil(span / |step|) when span > 0, else 0
    span = ix.choose(negative, lambda: ix.sub(first, last), lambda: ix.sub(last, first))
    magnitude = ix.choose(negative, lambda: ix.sub(0, step), lambda: step)
    if magnitude == 1:
        length = ix.max(span, 0)
    else:
        length = ix.select(ix.cmp("sgt", span, 0), ix.add(ix.div(ix.sub(span, 1), magnitude), 1), 0)
    return SliceDim(first, step, length)


def lower_slice(cx: Lowering, op: mt.SliceOp) -> SSAValue:
    ix = cx.ix
    result = _result(op)
    x = cx.v(op.input)
    dynamic = iter(op.dyn)

    def field_value(f: int) -> IndexLike | None:
        if f == mt.SLICE_NONE:
            return None
        if f == mt.SLICE_DYNAMIC:
            return cx.index_scalar(cx.v(next(dynamic)))
        return f

    dims: list[SliceDim] = []
    for k, entry in enumerate(op.entries()):
        start, stop, step = (field_value(f) for f in entry)
        dims.append(slice_indices(ix, cx.dim(x, k), start, stop, step))

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        return cx.extract(x, [bix.add(d.start, bix.mul(i, d.step)) for d, i in zip(dims, idx)], b)

    return cx.gather(result, [d.length for d in dims], element)


def lower_index(cx: Lowering, op: mt.IndexOp) -> SSAValue:
    """x[..., i, ...]: a negative i wraps; out-of-range i is clamped into
    range (numpy raises IndexError) so memory is never read outside x."""
    ix = cx.ix
    x = cx.v(op.input)
    axis = op.axis.value.data
    n = cx.dim(x, axis)
    i = cx.index_scalar(cx.v(op.index))
    i = ix.select(ix.cmp("slt", i, 0), ix.add(i, n), i)
    i = ix.max(ix.min(i, ix.sub(n, 1)), 0)
    sizes = [cx.dim(x, k) for k in range(cx.mt_type(op.input).get_num_dims()) if k != axis]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        return cx.extract(x, [*idx[:axis], i, *idx[axis:]], b)

    return cx.gather(_result(op), sizes, element)


def lower_concatenate(cx: Lowering, op: mt.ConcatenateOp) -> SSAValue:
    """A gather whose body picks the input by comparing the axis index with
    the running offsets (nested `scf.if`s, each reading only its input)."""
    ix = cx.ix
    result = _result(op)
    axis = op.axis.value.data
    inputs = [cx.v(v) for v in op.inputs]
    inputs = [v for v in inputs if v.type.get_shape()[axis] != 0] or inputs[:1]
    offsets: list[IndexLike] = [0]
    for v in inputs:
        offsets.append(ix.add(offsets[-1], cx.dim(v, axis)))
    first = inputs[0]
    sizes = [offsets[-1] if k == axis else cx.dim(first, k) for k in range(result.get_num_dims())]

    def pick(b: Builder, idx: list[IndexLike], j: int) -> SSAValue:
        bix = Index(b)
        position = [*idx[:axis], bix.sub(idx[axis], offsets[j]), *idx[axis + 1 :]]
        if j == len(inputs) - 1:
            return cx.extract(inputs[j], position, b)
        below = bix.cmp("slt", idx[axis], offsets[j + 1])
        if isinstance(below, bool):
            return cx.extract(inputs[j], position, b) if below else pick(b, idx, j + 1)
        then_block, else_block = Block(), Block()
        then_b = Builder(InsertPoint.at_end(then_block))
        then_b.insert(scf.YieldOp(cx.extract(inputs[j], position, then_b)))
        else_b = Builder(InsertPoint.at_end(else_block))
        else_b.insert(scf.YieldOp(pick(else_b, idx, j + 1)))
        return emit(b, scf.IfOp(bix.cond(below), [result.element_type], Region(then_block), Region(else_block)))

    return cx.gather(result, sizes, lambda b, idx: pick(b, idx, 0))


# ===----------------------------------------------------------------------=== #
# Reductions
# ===----------------------------------------------------------------------=== #


def _extreme(elt: Attribute, largest: bool) -> int | float:
    """The identity of max (largest=False gives the smallest value) / min."""
    if is_float(elt):
        return pymath.inf if largest else -pymath.inf
    width = elt.width.data  # type: ignore[attr-defined]
    if is_unsigned(elt):
        return (1 << width) - 1 if largest else 0
    return (1 << (width - 1)) - 1 if largest else -(1 << (width - 1))


# mt reduction -> (identity for an element type, combine(s, elt, acc, x))
REDUCTIONS: dict[type, tuple[Callable[[Attribute], int | float], scalar_math.Binary]] = {
    mt.ReduceSumOp: (lambda elt: 0, scalar_math.BINARY[mt.AddOp]),
    mt.ReduceProdOp: (lambda elt: 1, scalar_math.BINARY[mt.MulOp]),
    mt.ReduceMaxOp: (lambda elt: _extreme(elt, False), scalar_math.BINARY[mt.MaxOp]),
    mt.ReduceMinOp: (lambda elt: _extreme(elt, True), scalar_math.BINARY[mt.MinOp]),
    mt.ReduceAnyOp: (lambda elt: 0, scalar_math.BINARY[mt.OrOp]),
    mt.ReduceAllOp: (lambda elt: 1, scalar_math.BINARY[mt.AndOp]),
}


def reduce(
    cx: Lowering,
    x: SSAValue,
    axes: Sequence[int],
    result: TensorType,
    identity: int | float,
    combine: Callable[[Scalar, SSAValue, Sequence[SSAValue]], SSAValue],
    extra: Sequence[SSAValue] = (),
) -> SSAValue:
    """Reduce x over `axes` into a fresh tensor filled with `identity`.

    `combine(s, acc, [x_elt, *extra_elts])`; `extra` operands have the
    result's dims (read at the kept loops), e.g. the max in softmax.
    """
    rank = x.type.get_num_dims()  # type: ignore[attr-defined]
    kept = tuple(i for i in range(rank) if i not in axes)
    if not extra and cx.scalarizable(x):
        shape = list(_cast_root(x).type.get_shape())  # type: ignore[attr-defined]

        def element(idx: list[int]) -> SSAValue:
            s = cx.scalar_emitter()
            acc = const(cx.b, identity, result.element_type)
            for inner in np.ndindex(*[shape[a] for a in axes]):
                position = dict(zip(kept, idx)) | dict(zip(axes, inner))
                acc = combine(s, acc, [cx.extract(x, [position[i] for i in range(rank)])])
            return acc

        if (out := cx.from_grid(result, [shape[i] for i in kept], element)) is not None:
            return out
    init = cx.filled(result, [cx.dim(x, i) for i in kept], identity)
    iterators = ["reduction" if i in axes else "parallel" for i in range(rank)]

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        *elements, acc = args
        return [combine(cx.scalar_emitter(b), acc, elements)]

    maps = [identity_spec(rank), *[kept] * len(extra), kept]
    out = generic(cx.b, [x, *extra], [init], maps, iterators, build)[0]
    return cx.known_dims(out, [cx.dim(init, i) for i in range(len(kept))])


def lower_reduce(cx: Lowering, op: mt.ReduceOp) -> SSAValue:
    x = cx.v(op.input)
    elt = cx.mt_type(op.input).element_type
    axes = list(op.axes.get_values())
    if not axes:
        return cx.map_elementwise([x], _result(op), lambda s, a: a[0])
    identity, combine = REDUCTIONS[type(op)]
    return reduce(cx, x, axes, _result(op), identity(elt), lambda s, acc, e: combine(s, elt, acc, e[0]))


def lower_argreduce(cx: Lowering, op: mt.ArgReduceOp) -> SSAValue:
    """The index of the best element so far is the only output (filled with
    0); the body reads the best value back from x at that index. A
    candidate replaces it only if strictly better, or if it is the first
    NaN: numpy's first-occurrence rule (the loop runs the axis in order).

    One output rather than a (value, index) pair: no temporary buffer, and
    xDSL cannot parse back the printed form of a two-result generic."""
    x = cx.v(op.input)
    elt = cx.mt_type(op.input).element_type
    rank = cx.mt_type(op.input).get_num_dims()
    axis = op.axis.value.data
    kept = tuple(i for i in range(rank) if i != axis)
    sizes = [cx.dim(x, i) for i in kept]
    positions = cx.filled(_result(op), sizes, 0)
    better_type = mt.GtOp if isinstance(op, mt.ArgMaxOp) else mt.LtOp

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        s = cx.scalar_emitter(b)
        candidate, best_index = args
        loops = [emit(b, linalg.IndexOp(i)) for i in range(rank)]
        at_best = [*loops[:axis], emit(b, arith.IndexCastOp(best_index, index)), *loops[axis + 1 :]]
        best = cx.extract(x, at_best, b)
        better = scalar_math.compare(s, better_type, elt, candidate, best)
        if is_float(elt):
            first_nan = s(arith.AndIOp(s.cmpf("uno", candidate, candidate), s.cmpf("ord", best, best)))
            better = s(arith.OrIOp(better, first_nan))
        return [s.select(better, s(arith.IndexCastOp(loops[axis], i64)), best_index)]

    iterators = ["reduction" if i == axis else "parallel" for i in range(rank)]
    out = generic(cx.b, [x], [positions], [identity_spec(rank), kept], iterators, build)[0]
    return cx.known_dims(out, sizes)


# ===----------------------------------------------------------------------=== #
# Contraction
# ===----------------------------------------------------------------------=== #

# (lhs rank, rhs rank) -> (loops, lhs map, rhs map, out map, iterators)
CONTRACTIONS: dict[tuple[int, int], tuple[MapSpec, MapSpec, MapSpec, tuple[str, ...]]] = {
    (2, 2): ((0, 2), (2, 1), (0, 1), ("parallel", "parallel", "reduction")),  # matmul
    (2, 1): ((0, 1), (1,), (0,), ("parallel", "reduction")),  # matvec
    (1, 2): ((1,), (1, 0), (0,), ("parallel", "reduction")),  # vecmat
    (1, 1): ((0,), (0,), (), ("reduction",)),  # dot
}


def contraction_body(elt: Attribute) -> Callable[[Builder, Sequence[BlockArgument]], list[SSAValue]]:
    """acc + a * b."""

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        a, c, acc = args
        if is_float(elt):
            return [emit(b, arith.AddfOp(acc, emit(b, arith.MulfOp(a, c))))]
        return [emit(b, arith.AddiOp(acc, emit(b, arith.MuliOp(a, c))))]

    return build


def lower_dot(cx: Lowering, op: mt.DotOp) -> SSAValue:
    a, c = cx.v(op.lhs), cx.v(op.rhs)
    ranks = (a.type.get_num_dims(), c.type.get_num_dims())  # type: ignore[attr-defined]
    result = _result(op)
    sizes = [cx.dim(a, 0)] if ranks[0] == 2 else []
    if ranks[1] == 2:
        sizes.append(cx.dim(c, 1))
    init = cx.filled(result, sizes, 0)
    if ranks == (2, 2):
        matmul = linalg.MatmulOp([a, c], [init])
        cx.b.insert(matmul)
        return cx.known_dims(matmul.results[0], sizes)
    lhs, rhs, out, iterators = CONTRACTIONS[ranks]
    body = contraction_body(result.element_type)
    return cx.known_dims(generic(cx.b, [a, c], [init], [lhs, rhs, out], iterators, body)[0], sizes)


# ===----------------------------------------------------------------------=== #
# Constructors: arange, eye
# ===----------------------------------------------------------------------=== #


def lower_arange(cx: Lowering, op: mt.ArangeOp) -> SSAValue:
    """numpy.arange: ceil((stop - start) / step) elements (at least 0).

    Floats are numpy's fill: v[1] = start + step, v[i] = start + i * delta
    with delta = (start + step) - start."""
    ix = cx.ix
    result = _result(op)
    elt = op.result.type.element_type
    start, stop, step = (cx.extract(cx.v(v)) for v in (op.start, op.stop, op.step))
    s = cx.scalar_emitter()
    if is_float(elt):
        count = s(arith.DivfOp(s(arith.SubfOp(stop, start)), step))
        count = s(arith.FPToSIOp(s(math.CeilOp(count)), i64))
        length = ix.max(ix.from_int(count), 0)
        second = s(arith.AddfOp(start, step))
        delta = s(arith.SubfOp(second, start))

        def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
            es = cx.scalar_emitter(b)
            i = Index(b).to_i64(idx[0])
            value = es(arith.AddfOp(start, es(arith.MulfOp(es(arith.SIToFPOp(i, result.element_type)), delta))))
            return es.select(es.cmpi("eq", i, es.c(1, i64)), second, value)

    else:
        first, last, stride = (ix.from_int(v) for v in (start, stop, step))
        # ceil(a / b) == -floor(-a / b)
        length = ix.max(ix.sub(0, ix.floordiv(ix.sub(first, last), stride)), 0)

        def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
            es = cx.scalar_emitter(b)
            i = scalar_math.cast(es, Index(b).to_i64(idx[0]), i64, result.element_type)
            return es(arith.AddiOp(start, es(arith.MuliOp(i, step))))

    return cx.gather(result, [length], element)


def lower_eye(cx: Lowering, op: mt.EyeOp) -> SSAValue:
    ix = cx.ix
    result = _result(op)
    n, m, k = (cx.index_scalar(cx.v(v)) for v in (op.n, op.m, op.k))
    sizes = [ix.max(n, 0), ix.max(m, 0)]

    def element(b: Builder, idx: list[IndexLike]) -> SSAValue:
        bix = Index(b)
        on_diagonal = bix.cond(bix.cmp("eq", bix.sub(idx[1], idx[0]), k))
        if is_bool(result.element_type):
            return on_diagonal
        one, zero = const(b, 1, result.element_type), const(b, 0, result.element_type)
        return emit(b, arith.SelectOp(on_diagonal, one, zero))

    return cx.gather(result, sizes, element)


# ===----------------------------------------------------------------------=== #
# Softmax
# ===----------------------------------------------------------------------=== #


def lower_softmax(cx: Lowering, op: mt.SoftmaxFamilyOp) -> SSAValue:
    """Stable: m = max(x, axis); s = sum(exp(x - m), axis); then
    exp(x - m) / s (softmax) or (x - m) - log(s) (log_softmax)."""
    x = cx.v(op.input)
    result = _result(op)
    elt = result.element_type
    rank = result.get_num_dims()
    axis = op.axis.value.data
    kept = tuple(i for i in range(rank) if i != axis)
    reduced = TensorType(elt, [d for i, d in enumerate(result.get_shape()) if i != axis])
    maximum = reduce(cx, x, [axis], reduced, -pymath.inf, lambda s, acc, e: s(arith.MaximumfOp(acc, e[0])))

    def shifted(s: Scalar, e: Sequence[SSAValue]) -> SSAValue:
        return s(arith.SubfOp(e[0], e[1]))

    def add_exp(s: Scalar, acc: SSAValue, e: Sequence[SSAValue]) -> SSAValue:
        return s(arith.AddfOp(acc, s(math.ExpOp(shifted(s, e)))))

    total = reduce(cx, x, [axis], reduced, 0.0, add_exp, extra=[maximum])
    if isinstance(op, mt.SoftmaxOp):

        def body(s: Scalar, e: Sequence[SSAValue]) -> SSAValue:
            return s(arith.DivfOp(s(math.ExpOp(shifted(s, e))), e[2]))

    else:

        def body(s: Scalar, e: Sequence[SSAValue]) -> SSAValue:
            return s(arith.SubfOp(shifted(s, e), s(math.LogOp(e[2]))))

    maps = [identity_spec(rank), kept, kept]
    return cx.map_elementwise([x, maximum, total], result, body, maps=maps, sizes=cx.shape(x))


# ===----------------------------------------------------------------------=== #
# The table and the pass
# ===----------------------------------------------------------------------=== #

LOWERINGS: dict[type[Operation], LoweringFn] = {
    mt.ConstantOp: lower_constant,  # mt.constant -> arith.constant dense<...>
    mt.SelectOp: lower_select,  # -> generic { arith.select }
    mt.CastOp: lower_cast,  # -> generic { ext/trunc/itofp/fptoi/cmp ne 0 }
    mt.ShapeOp: lower_shape,  # -> tensor.from_elements of tensor.dim
    mt.BroadcastOp: lower_broadcast,  # -> copy generic, constant-0 map dims
    mt.DimShuffleOp: lower_dimshuffle,  # -> copy generic, permuted map
    mt.ReshapeOp: lower_reshape,  # -> gather generic
    mt.SliceOp: lower_slice,  # -> gather generic
    mt.IndexOp: lower_index,  # -> gather generic
    mt.ConcatenateOp: lower_concatenate,  # -> gather generic with scf.if
    mt.ArgMaxOp: lower_argreduce,  # -> fill x2 + generic with two outputs
    mt.ArgMinOp: lower_argreduce,
    mt.DotOp: lower_dot,  # -> fill + linalg.matmul / contraction generic
    mt.ArangeOp: lower_arange,  # -> gather generic
    mt.EyeOp: lower_eye,  # -> gather generic
    mt.SoftmaxOp: lower_softmax,  # -> 2 reductions + generic
    mt.LogSoftmaxOp: lower_softmax,
    tensor.CastOp: lower_tensor_cast,  # -> tensor.cast with signless types
    **{t: lower_reduce for t in REDUCTIONS},  # -> fill + reduction generic
    **{t: lower_unary for t in [*scalar_math.FLOAT_MATH, *scalar_math.UNARY]},  # -> generic
    **{t: lower_binary for t in [*scalar_math.BINARY, *scalar_math.COMPARE]},  # -> generic
}

UNSUPPORTED_ELEMENTS = (Float16Type, ComplexType)


def _check_types(op: Operation) -> None:
    for v in (*op.operands, *op.results):
        t = v.type
        if isinstance(t, TensorType) and isinstance(t.element_type, UNSUPPORTED_ELEMENTS):
            raise LoweringError(
                f"convert-mt-to-linalg: {op.name} on {t}: {t.element_type} tensors are not "
                "supported at the loop level (element types: i1, i8-i64, ui8-ui64, f32, f64)"
            )


def convert_function(f: func.FuncOp, externs: dict[str, FunctionType]) -> None:
    """Convert one function's body and signature (see the module docstring)."""
    if f.is_declaration:
        return
    block = f.body.blocks[0]
    cx = Lowering(Builder(InsertPoint.at_start(block)), externs)
    # 1. Signless arguments, remembering the mt types for signedness.
    for arg in list(block.args):
        new_type = signless(arg.type)
        if new_type != arg.type:
            old_type = arg.type
            new_arg = Rewriter.replace_value_with_new_type(arg, new_type)
            cx.arg_types[new_arg] = old_type
    # 2. Lower each op in order; the old ops stay until step 3.
    lowered: list[Operation] = []
    for op in list(block.ops):
        if isinstance(op, func.ReturnOp):
            for i, v in enumerate(op.operands):
                op.operands[i] = cx.v(v)
            continue
        lower = LOWERINGS.get(type(op))
        if lower is None:
            if isinstance(op, mt.MtOp):
                raise LoweringError(f"convert-mt-to-linalg: no lowering for {op.name}")
            for i, v in enumerate(op.operands):
                op.operands[i] = cx.v(v)
            continue
        _check_types(op)
        cx.b.insertion_point = InsertPoint.before(op)
        cx.values[op.results[0]] = lower(cx, op)
        lowered.append(op)
    # 3. Drop the old ops, users first.
    for op in reversed(lowered):
        op.detach()
        op.erase()
    inputs = [a.type for a in block.args]
    outputs = [signless(t) for t in f.function_type.outputs.data]
    f.function_type = FunctionType.from_lists(inputs, outputs)


def declare_externs(module: ModuleOp, externs: dict[str, FunctionType]) -> None:
    """Add `func.func private @name(...)` for each libm function called."""
    existing = {op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)}
    for name, t in sorted(externs.items()):
        if name not in existing:
            decl = func.FuncOp.external(name, t.inputs.data, t.outputs.data)
            module.body.block.add_op(decl)


class ConvertMtToLinalgPass(ModulePass):
    """Lower mt ops to linalg on tensors (+ tensor/arith/math/scf), signless.

    Pre: func.funcs of mt ops on i1/int/uint/f32/f64 tensors.
    Post: no mt op; linalg.generic/fill/matmul on tensors, tensor.empty/dim/
    extract/from_elements/cast, arith/math/scf scalars; libm calls declared.
    """

    name = "convert-mt-to-linalg"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        externs: dict[str, FunctionType] = {}
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                convert_function(f, externs)
        declare_externs(op, externs)
