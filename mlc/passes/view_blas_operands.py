"""view-blas-operands: a BLAS operand copied from a range of a matrix's rows reads the matrix itself.

A Theano minibatch `data[i*bs:(i+1)*bs]` (and its transpose in the weight
gradient `x.T @ d`) reaches `bufferize` as a copy loop into a fresh buffer:

    %t = memref.alloc(%n, %cols)
    linalg.generic outs(%t) { %i = linalg.index 0 ; %j = linalg.index 1
                              %r = arith.addi %off, %i
                              %v = memref.load %X[%r, %j] ; linalg.yield %v }
    blas.gemm %t, %W, %C

When the copy takes whole rows of a row-major `%X` (its column count is
`%X`'s), rows `off .. off+n` of `%X` are themselves a row-major n x cols
matrix starting at row `off`: the operand becomes that view

    %v = memref.subview %X[%off, 0] [%n, %cols] [1, 1] : memref<?x?xf32> to memref<?x?xf32>

(identity-typed: the LLVM lowering puts the offset into the view's data
pointer, which is what BLAS is given). A transposed copy (`%X[%off + %j,
%i]`) becomes the same view with the operand's transpose flag flipped.
The copy, its buffer and its deallocation go when nothing else reads
them.

Applied only when `%X` is not written in the function (its uses are
loads, generic inputs, BLAS inputs and dims) and is no in-place update's
target (`mlc.inplace`), so the view reads what the copy would have; the
memory passes after it (`update-in-place`, `reuse-buffers`) see the view
as a read of `%X`.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    DenseArrayBase,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    UnitAttr,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass

from mlc.dialects import blas
from mlc.dialects.blas import is_identity_layout
from mlc.dialects.utils.buffer_uses import VIEWS, aliases

#: blas op -> {operand index: the property holding its transpose flag} (the matrix operands it reads)
_MATRIX_OPERANDS = {blas.GemmOp: {0: "transa", 1: "transb"}, blas.GemvOp: {0: "trans"}}
#: blas op -> operand indices it only reads
_BLAS_READS = {blas.GemmOp: (0, 1), blas.GemvOp: (0, 1), blas.DotOp: (0, 1)}


def _constant(value: SSAValue) -> int | None:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _index_dim(value: SSAValue, body: Block) -> int | None:
    """k if `value` is `linalg.index k` of `body`."""
    owner = value.owner
    if isinstance(owner, linalg.IndexOp) and owner.parent_block() is body:
        return owner.dim.value.data
    return None


def _row(value: SSAValue, body: Block) -> tuple[int, SSAValue | None] | None:
    """(k, off) if `value` is `linalg.index k` (off None) or `off + linalg.index k`, off defined outside."""
    k = _index_dim(value, body)
    if k is not None:
        return k, None
    owner = value.owner
    if isinstance(owner, arith.AddiOp):
        for index, off in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs)):
            k = _index_dim(index, body)
            if k is not None and not _defined_in(off, body):
                return k, off
    return None


def _defined_in(value: SSAValue, body: Block) -> bool:
    """Whether `value` is defined inside `body` (or anything nested in it)."""
    if isinstance(value, BlockArgument):
        block: Block | None = value.block
    else:
        block = value.owner.parent_block()  # type: ignore[union-attr]
    while block is not None:
        if block is body:
            return True
        parent = block.parent_op()
        block = parent.parent_block() if parent is not None else None
    return False


def _is_columns_of(size: SSAValue | int, matrix: SSAValue) -> bool:
    """Whether `size` (an alloc's dimension: a static int or an index value) is `matrix`'s column count."""
    static = matrix.type.get_shape()[1]  # type: ignore[attr-defined]
    if isinstance(size, int):
        return size != DYNAMIC_INDEX and size == static
    owner = size.owner
    if isinstance(owner, arith.MaxSIOp):  # max(dim, 0), how slices clamp sizes
        for a, b in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs)):
            if _constant(b) == 0:
                return _is_columns_of(a, matrix)
        return False
    return isinstance(owner, memref.DimOp) and owner.source == matrix and _constant(owner.index) == 1


class _Copy:
    """A copy loop `out[i, j] = X[off + i, j]` (or transposed: `X[off + j, i]`) of whole rows of X."""

    def __init__(self, generic: linalg.GenericOp, alloc: memref.AllocOp, matrix: SSAValue,
                 offset: SSAValue | None, transposed: bool):
        self.generic, self.alloc, self.matrix, self.offset, self.transposed = generic, alloc, matrix, offset, transposed

    def size(self, k: int) -> SSAValue | int:
        """The copy's size along its dimension k (static, or the alloc's operand)."""
        shape = self.alloc.memref.type.get_shape()
        if shape[k] != DYNAMIC_INDEX:
            return shape[k]
        dynamic = list(self.alloc.dynamic_sizes)
        return dynamic[sum(1 for d in shape[:k] if d == DYNAMIC_INDEX)]


def _match_copy(value: SSAValue) -> _Copy | None:
    alloc = value.owner
    if not isinstance(alloc, memref.AllocOp) or not is_identity_layout(value.type):  # type: ignore[arg-type]
        return None
    t = value.type
    assert isinstance(t, MemRefType)
    if t.get_num_dims() != 2:
        return None
    writers = [u.operation for u in value.uses if isinstance(u.operation, linalg.GenericOp)]
    if len(writers) != 1:
        return None
    generic = writers[0]
    if list(generic.inputs) or list(generic.outputs) != [value] or generic.parent_block() is not alloc.parent_block():
        return None
    if any(m.data != AffineMap.identity(2) for m in generic.indexing_maps):
        return None
    body = generic.body.block
    yield_op = body.last_op
    if not isinstance(yield_op, linalg.YieldOp) or len(yield_op.operands) != 1:
        return None
    load = yield_op.operands[0].owner
    if not isinstance(load, memref.LoadOp) or load.parent_block() is not body or len(load.indices) != 2:
        return None
    matrix = load.memref
    mt = matrix.type
    if (_defined_in(matrix, body) or not isinstance(mt, MemRefType) or not is_identity_layout(mt)
            or mt.get_element_type() != t.get_element_type()):
        return None
    row = _row(load.indices[0], body)
    col = _index_dim(load.indices[1], body)
    if row is None or col is None or {row[0], col} != {0, 1}:
        return None
    # nothing else in the body (index ops, the row arithmetic, the load, the yield)
    allowed = {load, yield_op, load.indices[0].owner, load.indices[1].owner}
    allowed |= {o.owner for o in getattr(load.indices[0].owner, "operands", ()) if _index_dim(o, body) is not None}
    if any(op not in allowed for op in body.ops):
        return None
    copy = _Copy(generic, alloc, matrix, row[1], transposed=row[0] == 1)
    # whole rows: the copy's column count (dim 1, or dim 0 when transposed) is X's
    if not _is_columns_of(copy.size(0 if copy.transposed else 1), matrix):
        return None
    return copy


def _read_only(matrix: SSAValue) -> bool:
    """`matrix` (and its views) only read in its function, and no in-place update's target."""
    for v in aliases(matrix):
        for use in v.uses:
            user = use.operation
            if isinstance(user, VIEWS) and use.index == 0:
                continue
            if isinstance(user, memref.LoadOp | memref.DimOp):
                continue
            if isinstance(user, linalg.GenericOp) and use.index < len(user.inputs):
                continue
            if type(user) in _BLAS_READS and use.index in _BLAS_READS[type(user)]:
                continue
            return False
    if isinstance(matrix, BlockArgument):
        owner = matrix.block.parent_op()
        if isinstance(owner, func.FuncOp):
            inplace = owner.attributes.get("mlc.inplace")
            if isinstance(inplace, DenseArrayBase) and matrix.index in inplace.get_values():
                return False
    return True


def _view(copy: _Copy) -> memref.SubviewOp:
    """Rows off .. off+n of X as an identity-layout n x cols memref, inserted after the copy loop."""
    t = copy.alloc.memref.type
    assert isinstance(t, MemRefType)
    rows, cols = (copy.size(1), copy.size(0)) if copy.transposed else (copy.size(0), copy.size(1))
    shape = [r if isinstance(r, int) else DYNAMIC_INDEX for r in (rows, cols)]
    sizes = [r for r in (rows, cols) if not isinstance(r, int)]
    offsets = [copy.offset] if copy.offset is not None else []
    static_offsets = [DYNAMIC_INDEX if copy.offset is not None else 0, 0]
    view = memref.SubviewOp(copy.matrix, offsets, sizes, [], static_offsets, shape, [1, 1],
                            MemRefType(t.get_element_type(), shape))
    block = copy.generic.parent_block()
    assert block is not None
    block.insert_op_after(view, copy.generic)
    return view


def _rewrite(op: Operation) -> bool:
    changed = False
    for index, flag in _MATRIX_OPERANDS[type(op)].items():
        copy = _match_copy(op.operands[index])
        if copy is None or copy.generic.parent_block() is not op.parent_block() or not _read_only(copy.matrix):
            continue
        block = op.parent_block()
        assert block is not None
        if block.get_operation_index(copy.generic) > block.get_operation_index(op):
            continue
        view = _view(copy)
        op.operands[index] = view.result
        if copy.transposed:  # op(copy) = op(view^T): flip the flag
            if op.properties.get(flag) is None:
                op.properties[flag] = UnitAttr()
            else:
                del op.properties[flag]
        changed = True
        buffer = copy.alloc.memref
        if all(u.operation is copy.generic or isinstance(u.operation, memref.DeallocOp) for u in buffer.uses):
            for use in list(buffer.uses):
                if isinstance(use.operation, memref.DeallocOp):
                    use.operation.detach()
                    use.operation.erase()
            copy.generic.detach()
            copy.generic.erase()
            copy.alloc.detach()
            copy.alloc.erase()
    return changed


class ViewBlasOperandsPass(ModulePass):
    """BLAS operands copied from whole rows of a matrix read the matrix (a view; transposes by flag)."""

    name = "view-blas-operands"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for blas_op in [o for o in op.walk() if type(o) in _MATRIX_OPERANDS]:
            _rewrite(blas_op)
