"""Indexing: slice and index, their value-semantics insertions, and gather/scatter (integer-array indexing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    NoneAttr,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer

from mlc.dialects.mt.types import (
    DYN,
    NUMERIC,
    Value,
    _cast_result,
    _check_axis,
    _check_index_tensor,
    _check_result,
    _check_tensor,
    _fail,
    _type_of,
)
from mlc.dialects.mt.base import (
    MtIdentityOp,
    MtOp,
)
from mlc.dialects.mt.shape import (
    _join_dims,
)



SLICE_NONE = -(2**63) + 1
"""`mt.slice` entry for an omitted field (`x[:5]`'s start); printed `_`."""

SLICE_DYNAMIC = -(2**63)
"""`mt.slice` entry taken from the next `dyn` operand; printed `?`."""

SliceEntry = int | None | SSAValue | Operation
"""A Python slice field: a static int, None (omitted) or an SSA value (dynamic)."""


def slice_length(n: int, start: int, stop: int, step: int) -> int:
    """Static length of one sliced dim, or DYN when it depends on run time."""
    fields = (start, stop, step)
    if start == stop == SLICE_NONE and step in (SLICE_NONE, 1):
        return n  # x[:] keeps the dim, static or dynamic
    if n == DYN or SLICE_DYNAMIC in fields:
        return DYN
    py = [None if f == SLICE_NONE else f for f in fields]
    return len(range(*slice(*py).indices(n)))


def _slice_properties(
    starts: Sequence[SliceEntry], stops: Sequence[SliceEntry], steps: Sequence[SliceEntry]
) -> tuple[dict[str, Attribute], list[SSAValue | Operation]]:
    """The starts/stops/steps properties (with sentinels) and the dynamic operands, in order."""
    is_dyn = lambda e: isinstance(e, SSAValue | Operation)  # noqa: E731
    dyn = [e for triple in zip(starts, stops, steps) for e in triple if is_dyn(e)]

    def static(entries: Sequence[SliceEntry]) -> DenseArrayBase:
        codes = [SLICE_NONE if e is None else SLICE_DYNAMIC if is_dyn(e) else int(e) for e in entries]
        return DenseArrayBase.from_list(i64, codes)

    return {"starts": static(starts), "stops": static(stops), "steps": static(steps)}, dyn


def _verify_slice_entries(
    op: Operation, t: TensorType, entries: list[tuple[int, int, int]], dyn: Sequence[SSAValue]
) -> list[int]:
    """Check slice entries against the sliced type `t`; return the slice's shape."""
    counts = tuple(len(op.properties[k]) for k in ("starts", "stops", "steps"))  # type: ignore[arg-type]
    if counts != (t.get_num_dims(),) * 3:
        expected = f"{t.get_num_dims()} starts, stops and steps (one per dim)"
        raise _fail(op, expected, ", ".join(map(str, counts)))
    n_dyn = sum(f == SLICE_DYNAMIC for e in entries for f in e)
    if n_dyn != len(dyn):
        raise _fail(op, f"{n_dyn} dynamic operands (one per `?`)", len(dyn))
    for v in dyn:
        _check_index_tensor(op, "dynamic slice operands", v, 0)
    if any(step == 0 for _, _, step in entries):
        raise _fail(op, "non-zero steps", [step for _, _, step in entries])
    return [slice_length(n, *e) for n, e in zip(t.get_shape(), entries)]


def _slice_index(entries: list[tuple[int, int, int]], dyn: Sequence[np.ndarray]) -> tuple[slice, ...]:
    """The numpy index of slice entries, `?` fields taken from `dyn` in order."""
    values = iter(int(d) for d in dyn)

    def field(f: int) -> int | None:
        return next(values) if f == SLICE_DYNAMIC else None if f == SLICE_NONE else f

    return tuple(slice(*(field(f) for f in e)) for e in entries)


def _print_slice_entries(printer: Printer, op: Operation, dyn: Sequence[SSAValue]) -> None:
    """` [%d, ...] starts [..] stops [..] steps [..]`, `_` omitted, `?` dynamic."""

    def entry(f: int) -> None:
        printer.print_string("_" if f == SLICE_NONE else "?" if f == SLICE_DYNAMIC else str(f))

    if dyn:
        printer.print_string(" [")
        printer.print_list(dyn, printer.print_operand)
        printer.print_string("]")
    for key in ("starts", "stops", "steps"):
        printer.print_string(f" {key} [")
        printer.print_list(op.properties[key].get_values(), entry)  # type: ignore[union-attr]
        printer.print_string("]")


def _parse_slice_entries(parser: Parser) -> tuple[list[Any], dict[str, Attribute]]:
    """Parse what `_print_slice_entries` prints: (unresolved dynamic operands, properties)."""

    def entry() -> int:
        if parser.parse_optional_keyword("_"):
            return SLICE_NONE
        if parser.parse_optional_punctuation("?"):
            return SLICE_DYNAMIC
        return parser.parse_integer(allow_boolean=False)

    dyn = parser.parse_optional_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_unresolved_operand) or []
    props: dict[str, Attribute] = {}
    for key in ("starts", "stops", "steps"):
        parser.parse_keyword(key)
        values = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, entry)
        props[key] = DenseArrayBase.from_list(i64, values)
    return dyn, props


@irdl_op_definition
class SliceOp(MtIdentityOp):
    """`%r = mt.slice %x [%d...] starts [..] stops [..] steps [..] : T -> R`.

    numpy basic slicing on every dim of x, Python's `slice(start, stop,
    step).indices(n)` semantics (negatives wrap, out-of-range clamps, step
    != 0). One entry per dim in each array; `_` (SLICE_NONE) is an omitted
    field and `?` (SLICE_DYNAMIC) takes its value from the next `dyn`
    operand (a `tensor<i64>`), in order start/stop/step of dim 0, then dim
    1, .... Result dims are static where computable, else `?`.
    Python: `SliceOp(x, starts, stops, steps)`, each a list with one
    `int | None | SSAValue` per dim; the result type is inferred.
    """

    name = "mt.slice"
    input = operand_def(TensorType)
    dyn = var_operand_def(TensorType)
    starts = prop_def(DenseArrayBase.constr(i64))
    stops = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))
    result = result_def(TensorType)

    def __init__(
        self,
        input: Value,
        starts: Sequence[SliceEntry],
        stops: Sequence[SliceEntry],
        steps: Sequence[SliceEntry],
    ):
        t = _type_of(input)
        if not len(starts) == len(stops) == len(steps) == t.get_num_dims():
            raise _fail(self, f"{t.get_num_dims()} starts, stops and steps (one per dim)", t)
        props, dyn = _slice_properties(starts, stops, steps)
        entries = zip(*(props[k].get_values() for k in ("starts", "stops", "steps")))  # type: ignore[union-attr]
        shape = [slice_length(n, *e) for n, e in zip(t.get_shape(), entries)]
        super().__init__(
            operands=[input, dyn], properties=props, result_types=[TensorType(t.element_type, shape)]
        )

    def entries(self) -> list[tuple[int, int, int]]:
        """(start, stop, step) per dim, with the sentinel values."""
        return list(zip(self.starts.get_values(), self.stops.get_values(), self.steps.get_values()))

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        shape = _verify_slice_entries(self, t, self.entries(), self.dyn)
        _check_result(self, TensorType(t.element_type, shape))

    def is_identity(self) -> bool:
        return all(s == e == SLICE_NONE and st in (SLICE_NONE, 1) for s, e, st in self.entries())

    def evaluate(self, x: np.ndarray, *dyn: np.ndarray) -> np.ndarray:
        return x[_slice_index(self.entries(), dyn)].copy()

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_operand(self.input)
        _print_slice_entries(printer, self, self.dyn)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.input.type)
        printer.print_string(" -> ")
        printer.print_attribute(self.result.type)

    @classmethod
    def parse(cls, parser: Parser) -> SliceOp:
        x = parser.parse_unresolved_operand()
        dyn, props = _parse_slice_entries(parser)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        in_type = parser.parse_type()
        parser.parse_punctuation("->")
        out_type = parser.parse_type()
        index_type = TensorType(i64, [])
        operands = [parser.resolve_operand(x, in_type), *(parser.resolve_operand(d, index_type) for d in dyn)]
        return cls.create(operands=operands, properties=props, attributes=attrs, result_types=[out_type])


@irdl_op_definition
class IndexOp(MtOp):
    """`%r = mt.index %x, %i axis 0 : tensor<?x4xf32>, tensor<i64> -> tensor<4xf32>`.

    x[..., i, ...] at `axis`, dropping that dim; a negative i wraps (numpy).
    Python: `IndexOp(x, index, axis)`; the result type is inferred.
    """

    name = "mt.index"
    input = operand_def(TensorType)
    index = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    result = result_def(TensorType)
    assembly_format = (
        "$input `,` $index `axis` $axis attr-dict `:` type($input) `,` type($index) `->` type($result)"
    )

    def __init__(self, input: Value, index: Value, axis: int):
        t = _type_of(input)
        super().__init__(
            operands=[input, index],
            properties={"axis": IntegerAttr(axis, i64)},
            result_types=[self.infer(t, axis)],
        )

    @classmethod
    def infer(cls, t: TensorType, axis: int) -> TensorType:
        _check_axis(cls, axis, t.get_num_dims())
        shape = list(t.get_shape())
        del shape[axis]
        return TensorType(t.element_type, shape)

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_index_tensor(self, "an index", self.index, 0)
        _check_result(self, self.infer(t, self.axis.value.data))

    def evaluate(self, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        return np.take(x, int(i), axis=self.axis.value.data)



# ===----------------------------------------------------------------------=== #
# Insertion: the value-semantics counterparts of slice and index
# ===----------------------------------------------------------------------=== #

INSERT_MODES = ("set", "add")
"""`set` replaces the addressed entries of dest by src; `add` adds src to them."""


def _insert_mode(op: Operation, mode: StringAttr, dest: TensorType) -> None:
    if mode.data not in INSERT_MODES:
        raise _fail(op, "mode 'set' or 'add'", repr(mode.data))
    if mode.data == "add" and dest.element_type not in NUMERIC:
        raise _fail(op, "a dest of int, float or complex for mode 'add'", dest)


def _insert(mode: str, dest: np.ndarray, index: tuple[Any, ...], src: np.ndarray, op_name: str) -> np.ndarray:
    """dest with dest[index] set to (or incremented by) src, which must have exactly that region's shape."""
    out = dest.copy()
    region = out[index]
    if src.shape != region.shape:
        raise ValueError(f"{op_name}: src of shape {src.shape} does not fit the region of shape {region.shape}")
    if mode == "set":
        out[index] = src
    else:
        out[index] = region + src
    return out


def _parse_mode(parser: Parser) -> str:
    mode = parser.parse_optional_keyword_in(INSERT_MODES)
    if mode is None:
        parser.raise_error("expected the insertion mode, 'set' or 'add'")
    return mode


@irdl_op_definition
class InsertSliceOp(MtOp):
    """`%r = mt.insert_slice set %src into %dest [%d...] starts [..] stops [..] steps [..] : S into T`.

    The value-semantics `dest[start:stop:step, ...] = src` (mode `set`) or
    `+= src` (mode `add`): the result is dest (its type too) with the
    entries that `mt.slice` with the same entries would read replaced by
    (or incremented by) src. The entries follow mt.slice exactly: one per
    dim of dest, `_` omitted, `?` from the next `dyn` operand (tensor<i64>),
    Python's slice semantics. src has dest's element type and rank and
    exactly the slice's shape (static dims must agree; no broadcasting).
    Python: `InsertSliceOp(dest, src, starts, stops, steps, mode)`.
    """

    name = "mt.insert_slice"
    dest = operand_def(TensorType)
    src = operand_def(TensorType)
    dyn = var_operand_def(TensorType)
    starts = prop_def(DenseArrayBase.constr(i64))
    stops = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))
    mode = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(
        self,
        dest: Value,
        src: Value,
        starts: Sequence[SliceEntry],
        stops: Sequence[SliceEntry],
        steps: Sequence[SliceEntry],
        mode: str = "set",
    ):
        t = _type_of(dest)
        if not len(starts) == len(stops) == len(steps) == t.get_num_dims():
            raise _fail(self, f"{t.get_num_dims()} starts, stops and steps (one per dim)", t)
        props, dyn = _slice_properties(starts, stops, steps)
        props["mode"] = StringAttr(mode)
        super().__init__(operands=[dest, src, dyn], properties=props, result_types=[t])

    def entries(self) -> list[tuple[int, int, int]]:
        """(start, stop, step) per dim, with the sentinel values."""
        return list(zip(self.starts.get_values(), self.stops.get_values(), self.steps.get_values()))

    def verify_(self) -> None:
        t = _check_tensor(self, "dest", self.dest.type)
        _insert_mode(self, self.mode, t)
        region = _verify_slice_entries(self, t, self.entries(), self.dyn)
        s = _check_tensor(self, "src", self.src.type)
        if s.element_type != t.element_type or s.get_num_dims() != t.get_num_dims():
            raise _fail(self, f"src of element type {t.element_type} and rank {t.get_num_dims()}", s)
        for i, (want, got) in enumerate(zip(region, s.get_shape())):
            if DYN not in (want, got) and want != got:
                raise _fail(self, f"src dim {i} to be {want} (the length of the slice of {t})", s)
        _check_result(self, t)

    def evaluate(self, dest: np.ndarray, src: np.ndarray, *dyn: np.ndarray) -> np.ndarray:
        index = _slice_index(self.entries(), dyn)
        return _cast_result(_insert(self.mode.data, dest, index, src, self.name), self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.mode.data} ")
        printer.print_operand(self.src)
        printer.print_string(" into ")
        printer.print_operand(self.dest)
        _print_slice_entries(printer, self, self.dyn)
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.src.type)
        printer.print_string(" into ")
        printer.print_attribute(self.dest.type)

    @classmethod
    def parse(cls, parser: Parser) -> InsertSliceOp:
        mode = _parse_mode(parser)
        src = parser.parse_unresolved_operand()
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        dyn, props = _parse_slice_entries(parser)
        props["mode"] = StringAttr(mode)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_keyword("into")
        dest_type = parser.parse_type()
        index_type = TensorType(i64, [])
        operands = [
            parser.resolve_operand(dest, dest_type),
            parser.resolve_operand(src, src_type),
            *(parser.resolve_operand(d, index_type) for d in dyn),
        ]
        return cls.create(operands=operands, properties=props, attributes=attrs, result_types=[dest_type])


@irdl_op_definition
class InsertIndexOp(MtOp):
    """`%r = mt.insert_index add %src into %dest, %i axis 1 : tensor<?xf32> into tensor<?x4xf32>`.

    The value-semantics `dest[..., i, ...] = src` (mode `set`) or `+= src`
    (mode `add`) at `axis`: the result is dest (its type too) with the
    entries `mt.index` would read replaced by (or incremented by) src. A
    negative i wraps once (numpy); i must be in [-n, n) for the axis length
    n. src has dest's element type and dest's shape without `axis` (static
    dims must agree; no broadcasting); i is a tensor<i64>.
    Python: `InsertIndexOp(dest, src, index, axis, mode)`.
    """

    name = "mt.insert_index"
    dest = operand_def(TensorType)
    src = operand_def(TensorType)
    index = operand_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    mode = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(self, dest: Value, src: Value, index: Value, axis: int, mode: str = "set"):
        super().__init__(
            operands=[dest, src, index],
            properties={"axis": IntegerAttr(axis, i64), "mode": StringAttr(mode)},
            result_types=[_type_of(dest)],
        )

    def verify_(self) -> None:
        t = _check_tensor(self, "dest", self.dest.type)
        _insert_mode(self, self.mode, t)
        axis = self.axis.value.data
        _check_axis(self, axis, t.get_num_dims())
        _check_index_tensor(self, "an index", self.index, 0)
        s = _check_tensor(self, "src", self.src.type)
        region = [d for i, d in enumerate(t.get_shape()) if i != axis]
        if s.element_type != t.element_type or s.get_num_dims() != len(region):
            raise _fail(self, f"src of element type {t.element_type} and rank {len(region)}", s)
        for i, (want, got) in enumerate(zip(region, s.get_shape())):
            if DYN not in (want, got) and want != got:
                raise _fail(self, f"src dim {i} to be {want} (dest's shape without axis {axis})", s)
        _check_result(self, t)

    def evaluate(self, dest: np.ndarray, src: np.ndarray, i: np.ndarray) -> np.ndarray:
        index = (slice(None),) * self.axis.value.data + (int(i),)
        return _cast_result(_insert(self.mode.data, dest, index, src, self.name), self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.mode.data} ")
        printer.print_operand(self.src)
        printer.print_string(" into ")
        printer.print_operand(self.dest)
        printer.print_string(", ")
        printer.print_operand(self.index)
        printer.print_string(f" axis {self.axis.value.data}")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.src.type)
        printer.print_string(" into ")
        printer.print_attribute(self.dest.type)

    @classmethod
    def parse(cls, parser: Parser) -> InsertIndexOp:
        mode = _parse_mode(parser)
        src = parser.parse_unresolved_operand()
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        parser.parse_punctuation(",")
        index = parser.parse_unresolved_operand()
        parser.parse_keyword("axis")
        axis = parser.parse_integer(allow_boolean=False)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_keyword("into")
        dest_type = parser.parse_type()
        operands = [
            parser.resolve_operand(dest, dest_type),
            parser.resolve_operand(src, src_type),
            parser.resolve_operand(index, TensorType(i64, [])),
        ]
        props = {"axis": IntegerAttr(axis, i64), "mode": StringAttr(mode)}
        return cls.create(operands=operands, properties=props, attributes=attrs, result_types=[dest_type])


# ===----------------------------------------------------------------------=== #
# Gather and scatter: integer-array (advanced) indexing
# ===----------------------------------------------------------------------=== #


def _index_arrays_shape(op: Operation | type[Operation], indices: Sequence[SSAValue], rank: int) -> list[int]:
    """The common shape of gather/scatter index tensors: i64, one shape (a `?`
    takes the static size of the others), at least one and at most `rank`."""
    if not 1 <= len(indices) <= rank:
        raise _fail(op, f"between 1 and {rank} index tensors (one per leading dim)", len(indices))
    types = [v.type for v in indices]
    for t in types:
        if not isinstance(t, TensorType) or t.element_type != i64 or t.encoding != NoneAttr():
            raise _fail(op, "index tensors of i64", t)
    ndim = types[0].get_num_dims()
    joined = [_join_dims([t.get_shape()[d] for t in types]) for d in range(ndim)]
    if any(t.get_num_dims() != ndim for t in types) or None in joined:
        raise _fail(op, "index tensors of one shape (the emitter broadcasts them)", ", ".join(map(str, types)))
    return joined  # type: ignore[return-value]


def _index_tuple(indices: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(i, dtype=np.int64) for i in indices)


@irdl_op_definition
class GatherOp(MtOp):
    """`%r = mt.gather %x[%i, %j] : tensor<?x?x4xf32>[tensor<?xi64>, tensor<?xi64>] -> tensor<?x4xf32>`.

    numpy's integer-array indexing on the leading dims: `x[i, j]` with k
    index tensors of one shape S (i64; the emitter broadcasts them) for the
    first k dims of x; the result has shape S + x.shape[k:], and its element
    at (s, t) is x[i[s], j[s], t]. A negative index wraps once; an index
    outside [-n, n) is undefined (numpy raises; the graph's shape rule
    rejects it before any code runs).
    Python: `GatherOp(x, indices)`; the result type is inferred.
    """

    name = "mt.gather"
    input = operand_def(TensorType)
    indices = var_operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input `[` $indices `]` attr-dict `:` type($input) `[` type($indices) `]` `->` type($result)"
    )

    def __init__(self, input: Value, indices: Sequence[Value]):
        result = self.infer(_type_of(input), [SSAValue.get(i) for i in indices])
        super().__init__(operands=[input, list(indices)], result_types=[result])

    @classmethod
    def infer(cls, t: TensorType, indices: Sequence[SSAValue]) -> TensorType:
        shape = _index_arrays_shape(cls, indices, t.get_num_dims())
        return TensorType(t.element_type, [*shape, *t.get_shape()[len(indices) :]])

    def verify_(self) -> None:
        t = _check_tensor(self, "operand", self.input.type)
        _check_result(self, self.infer(t, self.indices))

    def evaluate(self, x: np.ndarray, *indices: np.ndarray) -> np.ndarray:
        return x[_index_tuple(indices)]


@irdl_op_definition
class ScatterOp(MtOp):
    """`%r = mt.scatter add %src into %dest[%i] : tensor<?x4xf32> into tensor<?x4xf32>[tensor<?xi64>]`.

    The value-semantics counterpart of mt.gather: dest (its type too) with
    the entries `mt.gather %dest[%i, %j]` would read replaced by (mode
    `set`) or incremented by (mode `add`) src, which has exactly the
    gather's shape (static dims must agree; no broadcasting). Repeated
    positions accumulate in mode `add` (numpy.add.at, Theano's
    inc_subtensor); in mode `set` the last one wins. Negative indices wrap
    once; an index outside [-n, n) writes nothing at the loop level
    (numpy raises; the graph's shape rule rejects it before any code runs).
    Python: `ScatterOp(dest, src, indices, mode)`.
    """

    name = "mt.scatter"
    dest = operand_def(TensorType)
    src = operand_def(TensorType)
    indices = var_operand_def(TensorType)
    mode = prop_def(StringAttr)
    result = result_def(TensorType)

    def __init__(self, dest: Value, src: Value, indices: Sequence[Value], mode: str = "set"):
        super().__init__(
            operands=[dest, src, list(indices)],
            properties={"mode": StringAttr(mode)},
            result_types=[_type_of(dest)],
        )

    def verify_(self) -> None:
        t = _check_tensor(self, "dest", self.dest.type)
        _insert_mode(self, self.mode, t)
        region = GatherOp.infer(t, self.indices).get_shape()
        s = _check_tensor(self, "src", self.src.type)
        if s.element_type != t.element_type or s.get_num_dims() != len(region):
            raise _fail(self, f"src of element type {t.element_type} and rank {len(region)}", s)
        for i, (want, got) in enumerate(zip(region, s.get_shape())):
            if DYN not in (want, got) and want != got:
                raise _fail(self, f"src dim {i} to be {want} (the shape of the gathered region of {t})", s)
        _check_result(self, t)

    def evaluate(self, dest: np.ndarray, src: np.ndarray, *indices: np.ndarray) -> np.ndarray:
        index = _index_tuple(indices)
        region = dest[index]
        if src.shape != region.shape:
            raise ValueError(f"{self.name}: src of shape {src.shape} does not fit the region of shape {region.shape}")
        out = dest.copy()
        if self.mode.data == "set":
            out[index] = src
        else:
            np.add.at(out, index, src)
        return _cast_result(out, self.result.type)

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.mode.data} ")
        printer.print_operand(self.src)
        printer.print_string(" into ")
        printer.print_operand(self.dest)
        printer.print_string("[")
        printer.print_list(self.indices, printer.print_operand)
        printer.print_string("]")
        printer.print_op_attributes(self.attributes)
        printer.print_string(" : ")
        printer.print_attribute(self.src.type)
        printer.print_string(" into ")
        printer.print_attribute(self.dest.type)
        printer.print_string("[")
        printer.print_list([v.type for v in self.indices], printer.print_attribute)
        printer.print_string("]")

    @classmethod
    def parse(cls, parser: Parser) -> ScatterOp:
        mode = _parse_mode(parser)
        src = parser.parse_unresolved_operand()
        parser.parse_keyword("into")
        dest = parser.parse_unresolved_operand()
        indices = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_unresolved_operand)
        attrs = parser.parse_optional_attr_dict()
        parser.parse_punctuation(":")
        src_type = parser.parse_type()
        parser.parse_keyword("into")
        dest_type = parser.parse_type()
        start = parser.pos
        index_types = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_type)
        if len(index_types) != len(indices):
            message = f"expected {len(indices)} index types (one per index operand), got {len(index_types)}"
            parser.raise_error(message, start, parser.pos)
        operands = [
            parser.resolve_operand(dest, dest_type),
            parser.resolve_operand(src, src_type),
            *(parser.resolve_operand(i, t) for i, t in zip(indices, index_types)),
        ]
        return cls.create(
            operands=operands, properties={"mode": StringAttr(mode)}, attributes=attrs, result_types=[dest_type]
        )


