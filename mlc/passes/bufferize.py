"""`bufferize`: linalg on tensors -> the loop-level contract on memrefs.

Pre-condition: what `convert-mt-to-linalg` produces: `func.func`s on
tensors whose bodies use `linalg.generic/fill/matmul` on tensors,
`tensor.empty/dim/extract/from_elements/cast`, dense `arith.constant`s and
scalar code.

Afterwards each function is in destination-passing style: tensor
arguments become identity-layout memrefs, each result becomes one more
memref argument (appended after the inputs, allocated by the caller with
the result's shape) and the function returns nothing. Bodies use only
`linalg.generic/yield/index/fill`, `scf`, `arith`, `math`,
`memref.load/store/dim/alloc/dealloc/copy/cast/collapse_shape/expand_shape`, `blas.*`, calls to the
declared libm functions, and `memref.get_global` of read-only
`memref.global`s holding constants of more than 16 elements.

The rules:

* the op producing a result writes straight into its result argument when
  it is a generic/fill/contraction/`from_elements`/constant; otherwise
  (a result that is an argument, or returned twice, ...) it is copied in
  with `memref.copy`. A `tensor.cast` between is a `memref.cast`;
  `tensor.collapse_shape/expand_shape` (reshapes) are the same views of
  the source's buffer (`memref.collapse_shape/expand_shape`);
* a DPS op writes in place into its init when that init has no other use
  and lives in a buffer this pass allocated; otherwise it gets a fresh
  buffer (and a `memref.copy` of the init when the body reads it). Every
  use of a `tensor.empty` is a fresh buffer (CSE may have merged them).
  Nothing is ever written into an input argument;
* a dense constant is a `linalg.fill` when it is a splat, element stores
  when small, else a read-only global (copied when it is a result);
* temporaries are `memref.alloc`ed before their producer, with the
  dynamic sizes of their `tensor.empty` (or `memref.dim`s), and
  `memref.dealloc`ed after their last use (or their views' last use);
* f32/f64 and complex contractions become BLAS: `linalg.matmul` (and the generic
  matmul forms, transposed operands included) -> `blas.gemm`, matrix @
  vector -> `blas.gemv` (`trans` for vector @ matrix), vector . vector ->
  `blas.dot` + `memref.store` (complex: `blas.gemv` of x viewed as a 1 x n
  matrix into the 0-d output viewed as a 1-vector, `memref.expand_shape`
  views; complex ?dotu returns a struct). A zero fill of the output is dropped (BLAS
  with no beta never reads C); any other init is passed as beta = 1; a
  scalar third input (`fuse-contraction`'s `acc + (a * b) * alpha` form,
  see `mlc.dialects.utils.contractions`) is alpha. Integer contractions become
  generics;
* `mt.mrg_uniform` (random numbers, which `convert-mt-to-linalg` leaves as
  it is: a recurrence has no linalg form) becomes loops over its streams
  writing its two results (`mlc.passes.bufferize_mrg`);
* a float `mt.csr_dot` (CSR x dense, left by `convert-mt-to-linalg`)
  becomes a parallel loop over rows whose innermost loop runs along rows of
  b and of the result (`mlc.passes.bufferize_sparse`).
* `mt.scatter` (left by `convert-mt-to-linalg`) updates dest's buffer
  (in place when dest is dead and ours, else a copy) in a loop over the
  index positions, in order, inside a parallel loop over blocks of the
  trailing columns (`mlc.passes.bufferize_scatter`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, tensor
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FunctionType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    i32,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import DiagnosticException

from mlc.dialects import blas, mt
from mlc.dialects.utils.buffer_uses import VIEWS
from mlc.dialects.utils.locations import stamp_inserted
from mlc.dialects.utils.contractions import (
    Contraction,
    is_zero_fill,
    maps_of,
    match_contraction,
)
from mlc.dialects.utils.linalg_builders import (
    const,
    emit,
    fill,
    fill_value,
    generic,
    index,
    is_blas_type,
    is_complex,
    is_float,
)
from mlc.passes.bufferize_lapack import HANDLERS as LAPACK_HANDLERS
from mlc.passes.bufferize_scatter import HANDLERS as SCATTER_HANDLERS
from mlc.passes.bufferize_sparse import HANDLERS as SPARSE_HANDLERS
from mlc.passes.bufferize_mrg import bufferize_mrg_uniform


class BufferizeError(DiagnosticException):
    """IR that `bufferize` does not understand."""


_MEMREF_TYPES: dict[Attribute, MemRefType] = {}


def memref_type(t: Attribute) -> MemRefType:
    """The identity-layout memref of a tensor type (cached: building types is slow)."""
    if t not in _MEMREF_TYPES:
        if not isinstance(t, TensorType):
            raise BufferizeError(f"mlc-bufferize: expected a tensor type, got {t}")
        _MEMREF_TYPES[t] = MemRefType(t.element_type, t.get_shape())
    return _MEMREF_TYPES[t]


def _uses(v: SSAValue) -> int:
    return v.uses.get_length()


# ===----------------------------------------------------------------------=== #
# Bufferizing one function
# ===----------------------------------------------------------------------=== #


@dataclass
class Bufferizer:
    """Converts one function's body; `buffers` maps tensors to memrefs."""

    b: Builder
    buffers: dict[SSAValue, SSAValue] = field(default_factory=dict)
    desired: dict[SSAValue, SSAValue] = field(default_factory=dict)
    writable: set[SSAValue] = field(default_factory=set)
    allocs: list[SSAValue] = field(default_factory=list)
    module: ModuleOp | None = None
    #: in a loop body: the buffers the loop carries (a stack's rows are written into them in place)
    loop_buffers: set[SSAValue] = field(default_factory=set)
    #: columns per block of a scatter's parallel loop (mlc.passes.bufferize_scatter; 1 for the GPU)
    scatter_columns: int = 256

    def nested(self, block: Block) -> Bufferizer:
        """A bufferizer for a region's `block` (a branch, a loop body): this one's buffers and settings."""
        return Bufferizer(Builder(InsertPoint.at_start(block)), buffers=self.buffers, module=self.module,
                          scatter_columns=self.scatter_columns)

    def global_constant(self, value: DenseIntOrFPElementsAttr) -> str:
        """A `memref.global "private" constant` holding `value` (added at the
        top of the module); returns its name."""
        assert self.module is not None, "constants need the module"
        taken = {op.sym_name.data for op in self.module.ops if hasattr(op, "sym_name")}
        name = next(f"__mlc_constant_{k}" for k in itertools.count() if f"__mlc_constant_{k}" not in taken)
        t = value.type
        assert isinstance(t, TensorType)
        glob = memref.GlobalOp.get(StringAttr(name), memref_type(t), value, constant=UnitAttr())
        self.module.body.block.insert_op_before(glob, self.module.body.block.first_op)  # type: ignore[arg-type]
        return name

    # -- buffers -----------------------------------------------------------------

    def buf(self, v: SSAValue) -> SSAValue:
        """The memref holding tensor `v` (a fresh one for a `tensor.empty`)."""
        if isinstance(v.type, MemRefType):
            return v
        if isinstance(v.owner, tensor.EmptyOp):
            return self.alloc(v)
        try:
            return self.buffers[v]
        except KeyError:
            raise BufferizeError(f"bufferize: no buffer for {v} (defined by an unsupported op?)") from None

    def alloc(self, like: SSAValue) -> SSAValue:
        """A new buffer shaped like tensor `like`: sized from its `tensor.empty`
        (through fills that were never materialized), else from its buffer."""
        t = memref_type(like.type)
        while fill_value(like.owner) is not None and like not in self.buffers:  # type: ignore[arg-type]
            like = like.owner.outputs[0]
        owner = like.owner
        if isinstance(owner, tensor.EmptyOp):
            sizes = list(owner.dynamic_sizes)
        else:
            source = self.buf(like)
            sizes = [
                emit(self.b, memref.DimOp(source, const(self.b, i, index)))
                for i, d in enumerate(t.get_shape())
                if d < 0
            ]
        buffer = emit(self.b, memref.AllocOp(sizes, [], t))
        self.allocs.append(buffer)
        self.writable.add(buffer)
        return buffer

    def cast_to(self, buffer: SSAValue, t: Attribute) -> SSAValue:
        """`buffer` seen with the memref type of tensor type `t`."""
        target = memref_type(t)
        if buffer.type == target:
            return buffer
        # Not writable: the buffer may still be read through the uncast
        # value, so only the original is ever updated in place.
        return emit(self.b, memref.CastOp.get(buffer, target))

    def planned_or_new(self, result: SSAValue,
                       sizes: Sequence[SSAValue] | Callable[[], Sequence[SSAValue]]) -> SSAValue:
        """The result argument planned for `result` (an op with no init: loops, LAPACK calls), else a new
        buffer of its type (`result` a tensor, or a memref to copy) whose dynamic dims are `sizes` (a callable:
        built only when needed)."""
        target = self.desired.get(result)
        if target is not None:
            return self.cast_to(target, result.type)
        t = MemRefType(result.type.element_type, result.type.get_shape())  # type: ignore[attr-defined]
        dims = sizes() if callable(sizes) else sizes
        buffer = emit(self.b, memref.AllocOp([v for v, d in zip(dims, t.get_shape()) if d == DYNAMIC_INDEX], [], t))
        self.allocs.append(buffer)
        self.writable.add(buffer)
        return buffer

    def destination(self, result: SSAValue, init: SSAValue, reads_init: bool) -> SSAValue:
        """Where a DPS op writes `result`, whose init is `init`.

        The desired buffer (a result argument) if any; else the init's own
        buffer when nobody else needs it; else a fresh buffer. The old
        contents are copied when the op reads them and they are elsewhere.
        """
        source = None
        if reads_init and not isinstance(init.owner, tensor.EmptyOp):
            source = self.buf(init)
        elif init in self.buffers:
            source = self.buffers[init]
        target = self.desired.get(result)
        if target is not None:
            target = self.cast_to(target, result.type)
        elif source is not None and source in self.writable and _uses(init) == 1:
            target = source
        else:
            target = self.alloc(init)
        if reads_init and source is not None and source is not target:
            self.copy(source, target)
        return target

    def copy(self, source: SSAValue, target: SSAValue) -> None:
        """`memref.copy`, or a copy generic out of a constant global (the CPU
        backend's memcpy cannot take globals of two different types yet)."""
        if not isinstance(cast_source(source).owner, memref.GetGlobalOp):
            self.b.insert(memref.CopyOp(source, target))
            return
        rank = len(source.type.get_shape())  # type: ignore[attr-defined]
        spec = tuple(range(rank))
        generic(self.b, [source], [target], [spec, spec], ["parallel"] * rank, lambda b, args: [args[0]])

    # -- ops -----------------------------------------------------------------------

    def convert(self, op: Operation) -> None:
        """Bufferize one top-level op (inserting before it); record its buffers."""
        handler = HANDLERS.get(type(op))
        # a linalg op without results already writes a buffer (a fill into a memref): leave it
        done = isinstance(op, DPS_OPS) and not op.results
        if handler is not None and not done:
            handler(self, op)
            return
        if any(isinstance(v.type, TensorType) for v in (*op.operands, *op.results)):
            raise BufferizeError(f"bufferize: cannot bufferize {op.name} on tensors")
        self.rewrite_nested(op)

    def rewrite_nested(self, op: Operation) -> None:
        """tensor.extract/dim inside regions (generic bodies) read buffers."""
        for inner in list(op.walk()):
            if inner is op:
                continue
            if isinstance(inner, tensor.ExtractOp | tensor.DimOp):
                b = Builder(InsertPoint.before(inner))
                new = _scalar_read(b, self, inner)
                inner.results[0].replace_all_uses_with(new)
                inner.detach()
                inner.erase()


def cast_source(buffer: SSAValue) -> SSAValue:
    """The memref under any chain of `memref.cast`s."""
    while isinstance(buffer.owner, memref.CastOp):
        buffer = buffer.owner.source
    return buffer


def _scalar_read(b: Builder, bz: Bufferizer, op: tensor.ExtractOp | tensor.DimOp) -> SSAValue:
    if isinstance(op, tensor.ExtractOp):
        return emit(b, memref.LoadOp.get(bz.buf(op.tensor), list(op.indices)))
    return emit(b, memref.DimOp(bz.buf(op.source), op.index))


# -- handlers, one per op kind ----------------------------------------------------


def bufferize_extract(bz: Bufferizer, op: Operation) -> None:
    new = _scalar_read(bz.b, bz, op)  # type: ignore[arg-type]
    op.results[0].replace_all_uses_with(new)


def bufferize_dim(bz: Bufferizer, op: tensor.DimOp) -> None:
    source = op.source
    if isinstance(source.owner, tensor.EmptyOp):
        # The size the tensor was created with: no buffer needed.
        i = op.index.owner
        if isinstance(i, arith.ConstantOp):
            t = source.type
            k = i.value.value.data  # type: ignore[union-attr]
            dims = t.get_shape()  # type: ignore[attr-defined]
            if dims[k] >= 0:
                op.results[0].replace_all_uses_with(const(bz.b, dims[k], index))
                return
            position = sum(1 for d in dims[:k] if d < 0)
            op.results[0].replace_all_uses_with(source.owner.dynamic_sizes[position])
            return
    bufferize_extract(bz, op)


def bufferize_empty(bz: Bufferizer, op: tensor.EmptyOp) -> None:
    pass  # allocated at each use


def bufferize_cast(bz: Bufferizer, op: tensor.CastOp) -> None:
    bz.buffers[op.dest] = bz.cast_to(bz.buf(op.source), op.dest.type)


def bufferize_reshape(bz: Bufferizer, op: tensor.CollapseShapeOp | tensor.ExpandShapeOp) -> None:
    """A view of the source's buffer (never written in place: the source
    may still be read)."""
    t = memref_type(op.result.type)
    props = {k: v for k, v in op.properties.items()}
    operands = [bz.buf(op.src), *op.operands[1:]]
    kind = memref.CollapseShapeOp if isinstance(op, tensor.CollapseShapeOp) else memref.ExpandShapeOp
    bz.buffers[op.result] = emit(bz.b, kind.create(operands=operands, result_types=[t], properties=props))


def bufferize_from_elements(bz: Bufferizer, op: tensor.FromElementsOp) -> None:
    t = op.result.type
    target = bz.desired.get(op.result)
    if target is not None:
        target = bz.cast_to(target, t)
    else:
        target = emit(bz.b, memref.AllocOp([], [], memref_type(t)))
        bz.allocs.append(target)
        bz.writable.add(target)
    shape = t.get_shape()
    for flat, element in enumerate(op.elements):
        idx = [const(bz.b, i, index) for i in np.unravel_index(flat, shape)] if shape else []
        bz.b.insert(memref.StoreOp.get(element, target, idx))
    bz.buffers[op.result] = target


def bufferize_constant(bz: Bufferizer, op: arith.ConstantOp) -> None:
    """A dense constant: a fill when it is a splat, stores when it is small,
    else a read-only `memref.global` (never written: not writable)."""
    value = op.value
    if not isinstance(value, DenseIntOrFPElementsAttr):
        return
    t = op.result.type
    array = mt.to_numpy(value).reshape(-1)
    flat_bytes = array.view(np.uint8).reshape(array.size, -1) if array.size else array
    splat = array.size > 0 and bool(np.all(flat_bytes == flat_bytes[:1]))
    target = bz.desired.get(op.result)
    if target is None and not splat and array.size > STORED_CONSTANT_LIMIT:
        bz.buffers[op.result] = emit(bz.b, memref.GetGlobalOp(bz.global_constant(value), memref_type(t)))
        return
    if target is not None:
        target = bz.cast_to(target, t)
    else:
        target = emit(bz.b, memref.AllocOp([], [], memref_type(t)))
        bz.allocs.append(target)
        bz.writable.add(target)
    elt = t.element_type  # type: ignore[attr-defined]
    if splat:
        fill(bz.b, const(bz.b, array[0].item(), elt), target)
    elif array.size > STORED_CONSTANT_LIMIT:
        source = emit(bz.b, memref.GetGlobalOp(bz.global_constant(value), memref_type(t)))
        bz.copy(source, target)
    else:
        shape = t.get_shape()  # type: ignore[attr-defined]
        for flat, item in enumerate(array):
            idx = [const(bz.b, i, index) for i in np.unravel_index(flat, shape)] if shape else []
            bz.b.insert(memref.StoreOp.get(const(bz.b, item.item(), elt), target, idx))
    bz.buffers[op.result] = target


STORED_CONSTANT_LIMIT = 16
"""Constants up to this many elements are stored element by element; larger
ones live in a read-only `memref.global`."""


def _only_blas_overwrites(fill: SSAValue) -> bool:
    """`fill` is a zero fill read only as the output of BLAS calls, which (without beta) never read it."""
    return is_zero_fill(fill) and all(_becomes_blas(use.operation) and use.index >= len(use.operation.inputs)
                                      for use in fill.uses)


def bufferize_fill(bz: Bufferizer, op: linalg.FillOp) -> None:
    if _only_blas_overwrites(op.results[0]):
        return  # no fill, no buffer (a zero *operand* is read)
    target = bz.destination(op.results[0], op.outputs[0], reads_init=False)
    bz.b.insert(linalg.FillOp(list(op.inputs), [target], res=[]))
    bz.buffers[op.results[0]] = target


def _reads_output(op: linalg.GenericOp, j: int) -> bool:
    arg = op.body.block.args[len(op.inputs) + j]
    return _uses(arg) > 0


def bufferize_generic(bz: Bufferizer, op: linalg.GenericOp) -> None:
    if len(op.results) == 1 and _only_blas_overwrites(op.results[0]):
        return  # the generic fill of a complex zero, as in `bufferize_fill`
    contraction = match_contraction(op)
    if contraction is not None and is_blas_type(op.results[0].type.element_type):  # type: ignore[attr-defined]
        bufferize_blas(bz, op, contraction)
        return
    ins = [bz.buf(v) if isinstance(v.type, TensorType) else v for v in op.inputs]
    outs = [bz.destination(r, init, _reads_output(op, j)) for j, (r, init) in enumerate(zip(op.results, op.outputs))]
    bz.rewrite_nested(op)
    # The same op on buffers, without results: `create` keeps its properties
    # and moves its body (much cheaper than the checked constructor).
    segments = DenseArrayBase.from_list(i32, [len(ins), len(outs)])
    new = linalg.GenericOp.create(
        operands=[*ins, *outs],
        properties={**op.properties, "operandSegmentSizes": segments},
        attributes=dict(op.attributes),
        regions=[op.detach_region(op.body)],
    )
    bz.b.insert(new)
    for r, target in zip(op.results, outs):
        bz.buffers[r] = target


def bufferize_matmul(bz: Bufferizer, op: linalg.MatmulOp) -> None:
    elt = op.results[0].type.element_type  # type: ignore[attr-defined]
    if (contraction := match_contraction(op)) is not None and is_blas_type(elt):
        bufferize_blas(bz, op, contraction)
        return
    # Integer matmul: the same computation as a generic.
    ins = [bz.buf(v) for v in op.inputs]
    out = bz.destination(op.results[0], op.outputs[0], reads_init=True)
    maps = [AffineMapAttr(m) for m in maps_of(op)]

    def body(b: Builder, args: Sequence[SSAValue]) -> list[SSAValue]:
        a, c, acc = args
        if is_float(elt):
            return [emit(b, arith.AddfOp(acc, emit(b, arith.MulfOp(a, c))))]
        return [emit(b, arith.AddiOp(acc, emit(b, arith.MuliOp(a, c))))]

    specs = [tuple(e.position for e in m.data.results) for m in maps]  # type: ignore[attr-defined]
    generic(bz.b, ins, [out], specs, ["parallel", "parallel", "reduction"], body)
    bz.buffers[op.results[0]] = out


def bufferize_blas(bz: Bufferizer, op: linalg.GenericOp | linalg.MatmulOp, c: Contraction) -> None:
    """BLAS call writing the contraction's output; a zero-filled init is
    dropped (no beta), any other init is accumulated with beta = 1; a scalar
    third input is alpha."""
    a, x = (bz.buf(v) for v in op.inputs[:2])
    init = op.outputs[0]
    result = op.results[0]
    elt = result.type.element_type  # type: ignore[attr-defined]
    fresh = is_zero_fill(init)
    out = bz.destination(result, init, reads_init=not fresh)
    beta = None if fresh else const(bz.b, 1.0, elt)
    if c.kind == "gemm":
        bz.b.insert(blas.GemmOp(a, x, out, alpha=c.alpha, beta=beta, transa=c.trans_a, transb=c.trans_b))
    elif c.kind == "gemv":
        matrix, vector = (x, a) if c.trans_b else (a, x)
        bz.b.insert(blas.GemvOp(matrix, vector, out, alpha=c.alpha, beta=beta, trans=c.trans_a))
    elif is_complex(elt):
        # complex ?dotu returns a struct by value (an ABI the f77 interface leaves to the compiler):
        # x . y is the 1 x n matrix x times y, one ?gemv writing the output seen as a 1-vector
        bz.b.insert(blas.GemvOp(_unit_view(bz, a), x, _unit_view(bz, out), alpha=c.alpha, beta=beta))
    else:
        value = emit(bz.b, blas.DotOp(a, x))
        if c.alpha is not None:
            value = emit(bz.b, arith.MulfOp(value, c.alpha))
        if not fresh:
            value = emit(bz.b, arith.AddfOp(emit(bz.b, memref.LoadOp.get(out, [])), value))
        bz.b.insert(memref.StoreOp.get(value, out, []))
    bz.buffers[result] = out


def _unit_view(bz: Bufferizer, v: SSAValue) -> SSAValue:
    """`v` with a leading unit dimension, as a view (`memref.expand_shape`, no copy): a vector of n
    elements as the 1 x n matrix, a 0-d memref as a vector of one element."""
    t = v.type
    assert isinstance(t, MemRefType)
    shape = list(t.get_shape())
    sizes = [emit(bz.b, memref.DimOp(v, const(bz.b, k, index))) for k, d in enumerate(shape) if d == DYNAMIC_INDEX]
    group = ArrayAttr([IntegerAttr(d, i64) for d in range(len(shape) + 1)])
    view = memref.ExpandShapeOp.create(
        operands=[v, *sizes],
        result_types=[MemRefType(t.get_element_type(), [1, *shape])],
        properties={"reassociation": ArrayAttr([group] if shape else []),
                    "static_output_shape": DenseArrayBase.from_list(i64, [1, *shape])},
    )
    return emit(bz.b, view)


def _becomes_blas(op: Operation) -> bool:
    if not isinstance(op, linalg.GenericOp | linalg.MatmulOp) or not op.results:
        return False
    contraction = match_contraction(op)
    return contraction is not None and is_blas_type(op.results[0].type.element_type)  # type: ignore[attr-defined]


def convert_body(inner: Bufferizer, block: Block) -> tuple[scf.YieldOp, list[Operation]]:
    """Bufferize the ops of a region's block (an scf.if branch, an scf.for body) with `inner`, which
    is left inserting before the block's `scf.yield`; returns that yield and the converted ops."""
    old_yield = block.last_op
    assert isinstance(old_yield, scf.YieldOp)
    ops = [o for o in block.ops if o is not old_yield]
    for o in ops:
        inner.b.insertion_point = InsertPoint.before(o)
        inner.convert(o)
    inner.b.insertion_point = InsertPoint.before(old_yield)
    return old_yield, ops


def bufferize_if(bz: Bufferizer, op: scf.IfOp) -> None:
    """`scf.if` on tensors (a lazy ifelse): each branch bufferized on its own,
    yielding buffers it owns, so the result is a fresh buffer either way.

    A branch yields the buffer it allocated for the value when nothing else
    in the branch keeps it (else a copy of the value into a new buffer: an
    argument, a constant, an outer value). Its other temporaries are freed at
    the end of the branch; the `scf.if`'s results are temporaries of the
    enclosing block (writable, freed after their last use).
    """
    if not any(isinstance(r.type, TensorType) for r in op.results):
        bz.rewrite_nested(op)  # a scalar scf.if (from a gather's lowering): reads of tensors become loads
        return
    types = [memref_type(r.type) if isinstance(r.type, TensorType) else r.type for r in op.results]
    regions = []
    for region in (op.true_region, op.false_region):
        block = region.block
        inner = bz.nested(block)
        old_yield, ops = convert_body(inner, block)
        yielded: list[SSAValue] = []
        owned: set[SSAValue] = set()
        for v, r, t in zip(old_yield.operands, op.results, types):
            if not isinstance(r.type, TensorType):
                yielded.append(v)
                continue
            buffer = inner.buf(v)
            root = cast_source(buffer)
            # (a buffer of the result's type or a static one: both branches then pass a stack slot, or neither)
            if (root in inner.allocs and root not in owned and isinstance(root.owner, memref.AllocOp)
                    and (root.type == t or t.has_static_shape())):  # type: ignore[attr-defined]
                owned.add(root)
            else:
                sizes = [emit(inner.b, memref.DimOp(buffer, const(inner.b, i, index)))
                         for i, d in enumerate(t.get_shape()) if d < 0]  # type: ignore[attr-defined]
                fresh = emit(inner.b, memref.AllocOp(sizes, [], t))
                inner.copy(inner.cast_to(buffer, r.type), fresh)
                buffer = fresh
            yielded.append(buffer if buffer.type == t else emit(inner.b, memref.CastOp.get(buffer, t)))
        inner.b.insert(scf.YieldOp(*yielded))
        old_yield.detach()
        old_yield.erase()
        drop_tensor_ops(ops)
        insert_deallocs(block, [a for a in inner.allocs if a not in owned])
        regions.append(op.detach_region(region))
    new = scf.IfOp(op.cond, types, regions[0], regions[1])
    bz.b.insert(new)
    for r, buffer in zip(op.results, new.results):
        if isinstance(r.type, TensorType):
            bz.buffers[r] = buffer
            bz.allocs.append(buffer)
            bz.writable.add(buffer)


def bufferize_for(bz: Bufferizer, op: scf.ForOp) -> None:
    """`scf.for` carrying tensors (a native scan): one buffer per carried value for the whole loop.

    Each iter_arg's buffer is allocated before the loop (the function's
    result argument when the loop's result is returned; the init's own
    buffer when nothing else reads it; else a fresh one, with a copy of
    the init unless it is a `tensor.empty`). The body reads the buffers
    through its block arguments and its own temporaries are freed within
    each iteration; at the end of an iteration each yielded value is copied
    into its buffer unless it already is that buffer (the rows written by
    `tensor.insert_slice` into a carried stack are in place). Yielding the
    buffer of a later iter_arg is allowed (copies run in order: a window of
    taps shifts by one), an earlier one is not.
    """
    carried = [k for k, r in enumerate(op.results) if isinstance(r.type, TensorType)]
    if not carried:
        bz.rewrite_nested(op)
        return
    if len(carried) != len(op.iter_args):
        raise BufferizeError("mlc-bufferize: scf.for mixing tensor and scalar iter_args is not supported")
    block = op.body.block
    loop_buffers = _loop_buffers(bz, op.iter_args, op.results)
    _bufferize_loop_body(bz, block, block.args[1:], loop_buffers, "scf.for")
    for arg in list(block.args[1:]):
        block.erase_arg(arg)
    new = scf.ForOp(op.lb, op.ub, op.step, [], op.detach_region(op.body))
    bz.b.insert(new)
    for r, buffer in zip(op.results, loop_buffers):
        bz.buffers[r] = buffer


def bufferize_while(bz: Bufferizer, op: scf.WhileOp) -> None:
    """`scf.while` carrying tensors (an until-scan): as `scf.for`, one buffer per carried tensor for
    the whole loop; scalars (the step counter, the stop flag) stay carried.

    The condition region may only forward the carried tensors (it decides
    from scalars); the body region is bufferized like an `scf.for` body.
    """
    tensors = [k for k, r in enumerate(op.res) if isinstance(r.type, TensorType)]
    if not tensors:
        bz.rewrite_nested(op)
        return
    before, after = op.before_region.block, op.after_region.block
    cond = before.last_op
    assert isinstance(cond, scf.ConditionOp)
    for k in tensors:
        if cond.args[k] is not before.args[k] or any(u.operation is not cond for u in before.args[k].uses):
            raise BufferizeError("mlc-bufferize: an scf.while whose condition region reads or changes a carried "
                                 "tensor is not supported")
    loop_buffers = _loop_buffers(bz, [op.arguments[k] for k in tensors], [op.res[k] for k in tensors])
    scalars = [k for k in range(len(op.arguments)) if k not in tensors]
    _bufferize_loop_body(bz, after, [after.args[k] for k in tensors], loop_buffers, "scf.while",
                         keep=scalars)
    Rewriter.replace_op(cond, scf.ConditionOp(cond.condition, *[cond.args[k] for k in scalars]))
    for k in reversed(tensors):
        before.erase_arg(before.args[k])
        after.erase_arg(after.args[k])
    regions = [op.before_region, op.after_region]
    for region in regions:
        op.detach_region(region)
    new = scf.WhileOp([op.arguments[k] for k in scalars], [op.res[k].type for k in scalars], *regions)
    bz.b.insert(new)
    for k, r in zip(scalars, new.res):
        op.res[k].replace_all_uses_with(r)
    for k, buffer in zip(tensors, loop_buffers):
        bz.buffers[op.res[k]] = buffer


def _loop_buffers(bz: Bufferizer, inits: Sequence[SSAValue], results: Sequence[SSAValue]) -> list[SSAValue]:
    """The buffer of each carried tensor of a loop (see `bufferize_for`), its init copied in."""
    loop_buffers = []
    for init, r in zip(inits, results):
        target = bz.desired.get(r)
        empty = isinstance(init.owner, tensor.EmptyOp)
        if target is not None:
            target = bz.cast_to(target, r.type)
            if not empty:
                bz.copy(bz.cast_to(bz.buf(init), r.type), target)
        elif isinstance(init.type, MemRefType):  # a function argument: never written, so copied
            t = memref_type(r.type)
            sizes = [emit(bz.b, memref.DimOp(init, const(bz.b, i, index))) for i, d in enumerate(t.get_shape()) if d < 0]
            target = emit(bz.b, memref.AllocOp(sizes, [], t))
            bz.allocs.append(target)
            bz.writable.add(target)
            bz.copy(bz.cast_to(init, r.type), target)
        else:
            target = bz.cast_to(bz.destination(r, init, reads_init=not empty), r.type)
        loop_buffers.append(target)
    return loop_buffers


def _bufferize_loop_body(bz: Bufferizer, block: Block, args: Sequence[SSAValue], loop_buffers: list[SSAValue],
                         what: str, keep: Sequence[int] = ()) -> None:
    """Bufferize a loop body whose block arguments `args` are the carried tensors held in
    `loop_buffers`: yielded values are copied into their buffers; the new `scf.yield` yields the
    old one's operands at positions `keep` (scalars). `args` are left unused (the caller erases them)."""
    inner = bz.nested(block)
    inner.loop_buffers = {cast_source(b) for b in loop_buffers}
    for arg, buffer in zip(args, loop_buffers):
        bz.buffers[arg] = buffer
    old_yield, ops = convert_body(inner, block)
    carried = [v for k, v in enumerate(old_yield.operands) if k not in keep]
    for k, (v, target) in enumerate(zip(carried, loop_buffers)):
        source = inner.buf(v)
        if cast_source(source) is cast_source(target):
            continue
        earlier = [j for j in range(k) if cast_source(loop_buffers[j]) is cast_source(source)]
        if earlier:
            raise BufferizeError(f"mlc-bufferize: {what} yields iter_arg {earlier[0]} as iter_arg {k}, "
                                 f"which is overwritten first")
        inner.copy(inner.cast_to(source, v.type), target)
    inner.b.insert(scf.YieldOp(*[old_yield.operands[k] for k in keep]))
    old_yield.detach()
    old_yield.erase()
    drop_tensor_ops(ops)
    insert_deallocs(block, inner.allocs)
    for arg in args:
        bz.buffers.pop(arg, None)
        if arg.uses:
            raise BufferizeError("mlc-bufferize: a carried tensor is still used after bufferizing the loop body")


def bufferize_insert_slice(bz: Bufferizer, op: tensor.InsertSliceOp) -> None:
    """`dest[offsets] = source` (unit strides, rows of a stack): written in place into a loop's
    carried buffer (or a dead writable one), else into a copy of dest, by a loop nest of loads
    and stores."""
    rank = len(op.dest.type.get_shape())  # type: ignore[attr-defined]
    src_rank = len(op.source.type.get_shape())  # type: ignore[attr-defined]
    if any(x != 1 for x in op.static_strides.get_values()) or op.strides:
        raise BufferizeError("mlc-bufferize: tensor.insert_slice with strides is not supported")
    dynamic = iter(op.offsets)
    offsets = [next(dynamic) if x == DYNAMIC_INDEX else const(bz.b, x, index)
               for x in op.static_offsets.get_values()]
    sizes = list(op.static_sizes.get_values())
    dropped = [d for d in range(rank) if sizes[d] == 1][: rank - src_rank]  # rank-reduced unit dims
    dest = bz.buf(op.dest)
    in_place = cast_source(dest) in bz.loop_buffers or (
        dest in bz.writable and _uses(op.dest) == 1)
    if not in_place:
        fresh = bz.alloc(op.dest)
        bz.copy(dest, fresh)
        dest = fresh
    source = bz.buf(op.source)
    b = bz.b
    ivs: list[SSAValue] = []
    loops = []
    for d in range(src_rank):
        upper = emit(b, memref.DimOp(source, const(b, d, index)))
        body = Block(arg_types=[index])
        loop = scf.ForOp(const(b, 0, index), upper, const(b, 1, index), [], Region(body))
        b.insert(loop)
        loops.append(loop)
        ivs.append(body.args[0])
        b = Builder(InsertPoint.at_end(body))
    value = emit(b, memref.LoadOp.get(source, ivs))
    it = iter(ivs)
    where = [offsets[d] if d in dropped else emit(b, arith.AddiOp(offsets[d], next(it))) for d in range(rank)]
    b.insert(memref.StoreOp.get(value, dest, where))
    for loop in reversed(loops):
        Builder(InsertPoint.at_end(loop.body.block)).insert(scf.YieldOp())
    bz.buffers[op.result] = dest


HANDLERS = {
    scf.IfOp: bufferize_if,
    scf.ForOp: bufferize_for,
    scf.WhileOp: bufferize_while,
    tensor.InsertSliceOp: bufferize_insert_slice,
    tensor.ExtractOp: bufferize_extract,
    tensor.DimOp: bufferize_dim,
    tensor.EmptyOp: bufferize_empty,
    tensor.CastOp: bufferize_cast,
    tensor.CollapseShapeOp: bufferize_reshape,
    tensor.ExpandShapeOp: bufferize_reshape,
    tensor.FromElementsOp: bufferize_from_elements,
    arith.ConstantOp: bufferize_constant,
    linalg.FillOp: bufferize_fill,
    linalg.GenericOp: bufferize_generic,
    linalg.MatmulOp: bufferize_matmul,
    mt.MrgUniformOp: bufferize_mrg_uniform,  # the random-number op convert-mt-to-linalg leaves: loops
    **LAPACK_HANDLERS,  # the LAPACK ops it leaves: lapack.* calls on private copies
    **SPARSE_HANDLERS,  # a float mt.csr_dot: row loops (mlc.passes.bufferize_sparse)
    **SCATTER_HANDLERS,  # mt.scatter: a loop over the index positions (mlc.passes.bufferize_scatter)
}


# ===----------------------------------------------------------------------=== #
# Destinations, deallocation, the function
# ===----------------------------------------------------------------------=== #

DPS_OPS = (linalg.GenericOp, linalg.FillOp, linalg.MatmulOp)



def plan_destinations(
    bz: Bufferizer, ops: Sequence[Operation], ret: func.ReturnOp, outs: Sequence[SSAValue]
) -> list[int]:
    """Assign result arguments to the ops producing returned values; returns
    the positions that need a `memref.copy` at the end instead."""
    copies: list[int] = []
    for k, (value, out) in enumerate(zip(ret.operands, outs)):
        root = value
        while isinstance(root.owner, tensor.CastOp) and root not in bz.desired:
            root = root.owner.source
        producer = root.owner
        direct = isinstance(producer, (*DPS_OPS, tensor.FromElementsOp, mt.MrgUniformOp, *LAPACK_HANDLERS,
                                       *SPARSE_HANDLERS, *SCATTER_HANDLERS, scf.ForOp, scf.WhileOp)) or (
            isinstance(producer, arith.ConstantOp) and isinstance(producer.value, DenseIntOrFPElementsAttr)
        )
        if direct and root not in bz.desired:
            bz.desired[root] = out
        else:
            copies.append(k)
    # Push destinations back through single-use inits: the producer of an
    # init writes where the consumer will update it in place.
    for op in reversed(ops):
        if isinstance(op, (*DPS_OPS, mt.ScatterOp)):  # (a scatter updates its dest like an init)
            pairs = [(op.result, op.dest)] if isinstance(op, mt.ScatterOp) else zip(op.results, op.outputs)
            for r, init in pairs:
                if r in bz.desired and _uses(init) == 1 and isinstance(init.owner, DPS_OPS) and init not in bz.desired:
                    if not (_becomes_blas(op) and is_zero_fill(init)):
                        bz.desired[init] = bz.desired[r]
    return copies


def _top_level(op: Operation, block_ops: dict[Operation, int]) -> Operation:
    while op not in block_ops:
        parent = op.parent_op()
        assert parent is not None
        op = parent
    return op


def insert_deallocs(block: Block, allocs: Sequence[SSAValue]) -> None:
    """`memref.dealloc` after the last op of `block` using each alloc (or a
    cast of it); unused allocs are removed (an unused buffer an `scf.if`
    returns is freed right after it)."""
    order = {op: i for i, op in enumerate(block.ops)}
    for buffer in allocs:
        aliases = [buffer]
        last: Operation | None = None
        while aliases:
            v = aliases.pop()
            for use in v.uses:
                user = _top_level(use.operation, order)
                if isinstance(use.operation, VIEWS):
                    aliases.append(use.operation.results[0])
                if last is None or order[user] > order[last]:
                    last = user
        alloc_op = buffer.owner
        assert isinstance(alloc_op, Operation)
        if last is None and not isinstance(alloc_op, memref.AllocOp):
            last = alloc_op
        if last is None:
            alloc_op.detach()
            alloc_op.erase()
            continue
        Rewriter.insert_op(memref.DeallocOp.get(buffer), InsertPoint.after(last))


def bufferize_function(f: func.FuncOp, module: ModuleOp | None = None, scatter_columns: int = 256) -> None:
    if f.is_declaration:
        return
    block = f.body.blocks[0]
    ret = block.last_op
    if not isinstance(ret, func.ReturnOp):
        raise BufferizeError(f"bufferize: @{f.sym_name.data} must end with func.return")
    # 1. Arguments: tensors -> memrefs; one more memref argument per result.
    result_types = list(f.function_type.outputs.data)
    for t in result_types:
        if not isinstance(t, TensorType):
            raise BufferizeError(
                f"mlc-bufferize: @{f.sym_name.data} returns {t}; expected tensor results "
                "(each becomes a memref argument written in place)"
            )
    for arg in list(block.args):
        if isinstance(arg.type, TensorType):
            Rewriter.replace_value_with_new_type(arg, memref_type(arg.type))
    outs = [block.insert_arg(memref_type(t), len(block.args)) for t in result_types]
    bz = Bufferizer(Builder(InsertPoint.at_start(block)), writable=set(outs), module=module,
                    scatter_columns=scatter_columns)
    ops = [op for op in block.ops if op is not ret]
    copies = plan_destinations(bz, ops, ret, outs)
    # 2. Each op, in order; the tensor ops stay until step 3.
    for op in ops:
        bz.b.insertion_point = InsertPoint.before(op)
        before = op.prev_op
        bz.convert(op)
        stamp_inserted(block, before, op, op)  # the buffer ops keep the user's line
    bz.b.insertion_point = InsertPoint.before(ret)
    for k in copies:
        bz.copy(bz.cast_to(bz.buf(ret.operands[k]), result_types[k]), outs[k])
    bz.b.insert(func.ReturnOp())
    # 3. Drop the tensor ops, users first.
    ret.detach()
    ret.erase()
    drop_tensor_ops(ops)
    f.function_type = FunctionType.from_lists([a.type for a in block.args], [])
    insert_deallocs(block, bz.allocs)


def drop_tensor_ops(ops: Sequence[Operation]) -> None:
    """Erase the (now unused) tensor ops among `ops`, users first."""
    for op in reversed(ops):
        if op.parent is None or not _produces_tensors(op):
            continue
        for r in op.results:
            for use in list(r.uses):
                if not _produces_tensors(use.operation) and use.operation.parent is not None:
                    raise BufferizeError(f"bufferize: {use.operation.name} still uses a tensor")
        op.detach()
        op.erase(safe_erase=False)


def _produces_tensors(op: Operation) -> bool:
    return isinstance(op, (*DPS_OPS, *HANDLERS)) and (
        any(isinstance(r.type, TensorType) for r in op.results) or isinstance(op, tensor.ExtractOp | tensor.DimOp)
    )


@dataclass(frozen=True)
class MlcBufferizePass(ModulePass):
    """Bufferize linalg-on-tensors into the loop-level contract (DPS memrefs, BLAS).

    Pre: convert-mt-to-linalg's output. Post: funcs over identity-layout
    memrefs, inputs then one argument per result, returning nothing; only
    linalg.generic/fill, scf, arith, math, memref.*, blas.* and calls.
    Option `scatter_columns`: the trailing columns one iteration of a
    scatter's parallel loop updates (256: long rows that vectorize on the
    CPU; the GPU pipeline takes 1, a thread per column).
    """

    name = "bufferize"

    scatter_columns: int = 256

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                bufferize_function(f, op, self.scatter_columns)
