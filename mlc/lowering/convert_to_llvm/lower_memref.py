"""memref -> llvm: descriptors, addressing, allocation.

A memref value is lowered to a *descriptor*: a pointer to its first element
(offsets already applied), one i64 size per dimension and, for non-identity
layouts only, one i64 stride per dimension. While a function is converted,
each memref value is produced by an `unrealized_conversion_cast` whose
operands are exactly that descriptor; consumers read it back with
`Descriptor.of(value)`. Once every consumer is lowered the casts are dead
and the driver erases them.

Static sizes and strides are llvm constants in the descriptor, even for
function arguments (whose i64 size arguments are then unused), so LLVM sees
every static shape.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import prod

from xdsl.dialects import llvm, memref
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ComplexType,
    DenseArrayBase,
    VectorType,
    i32,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    MemRefType,
    SymbolRefAttr,
    TensorType,
    UnrealizedConversionCastOp,
    i1,
    i8,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue

from mlc.dialects import gpux
from mlc.dialects.blas import (
    is_identity_layout,  # the one definition (also used from here)
)
from mlc.lowering.convert_to_llvm.common import (
    PTR,
    ConvertToLLVMError,
    Emitter,
    Symbols,
    byte_size,
    storage_type,
)

# memref.alloc of at most this many bytes with a static shape goes on the stack.
STACK_ALLOC_LIMIT = 1024
ALIGNMENT = 64


@dataclass
class Descriptor:
    """The lowered form of one memref value (see module docstring)."""

    type: MemRefType
    ptr: SSAValue
    sizes: list[SSAValue]
    strides: list[SSAValue] | None  # None: identity layout

    @property
    def element(self) -> Attribute:
        return self.type.get_element_type()

    @property
    def rank(self) -> int:
        return self.type.get_num_dims()

    @staticmethod
    def of(value: SSAValue, op: Operation | None = None) -> Descriptor:
        t = value.type
        cast = value.owner
        if not isinstance(t, MemRefType) or not isinstance(cast, UnrealizedConversionCastOp):
            raise ConvertToLLVMError(
                op, f"operand {value} of type {t} has no lowered memref descriptor"
            )
        rank = t.get_num_dims()
        parts = list(cast.inputs)
        strides = parts[1 + rank :] if len(parts) == 1 + 2 * rank and rank else None
        return Descriptor(t, parts[0], parts[1 : 1 + rank], strides)

    def pack(self, e: Emitter) -> SSAValue:
        """Emit the cast that stands for this memref until its users are lowered."""
        parts = [self.ptr, *self.sizes]
        if not is_identity_layout(self.type):
            parts += self.stride_values(e)
        return e(UnrealizedConversionCastOp.get(parts, [self.type]))

    def stride_values(self, e: Emitter) -> list[SSAValue]:
        if self.strides is not None:
            return self.strides
        strides: list[SSAValue] = []
        running: SSAValue | None = None
        for size in reversed(self.sizes):
            strides.append(running if running is not None else e.i64(1))
            running = size if running is None else e.mul(running, size)
        return strides[::-1]

    def num_elements(self, e: Emitter) -> SSAValue:
        return _count(e, self.sizes)

    def element_ptr(self, e: Emitter, indices: Sequence[SSAValue]) -> SSAValue:
        """Address of element `indices`: one inbounds GEP on a linear index."""
        if not indices:
            return self.ptr
        if self.strides is None:
            # Horner form: ((i0 * s1 + i1) * s2 + i2) ...
            linear = indices[0]
            for index, size in zip(indices[1:], self.sizes[1:]):
                linear = e.add(e.mul(linear, size), index)
        else:
            terms = [e.mul(i, s) for i, s in zip(indices, self.strides)]
            linear = terms[0]
            for term in terms[1:]:
                linear = e.add(linear, term)
        return e.gep(self.ptr, linear, storage_type(self.element))

    def with_type(self, t: MemRefType, e: Emitter) -> Descriptor:
        """The same memory seen through a cast-compatible memref type."""
        strides = None if is_identity_layout(t) else self.stride_values(e)
        return Descriptor(t, self.ptr, self.sizes, strides)


def _static_or(e: Emitter, static: int, dynamic: Iterator[SSAValue]) -> SSAValue:
    """A static value as a constant, else the next dynamic operand."""
    return e.i64(static) if static != DYNAMIC_INDEX else next(dynamic)


def _sizes_from(e: Emitter, t: MemRefType, dynamic: Sequence[SSAValue]) -> list[SSAValue]:
    it = iter(dynamic)
    return [e.i64(d) if d != DYNAMIC_INDEX else next(it) for d in t.get_shape()]


# ---------------------------------------------------------------------------
# Loads and stores
# ---------------------------------------------------------------------------


def load_element(e: Emitter, ptr: SSAValue, element: Attribute) -> SSAValue:
    value = e(llvm.LoadOp(ptr, storage_type(element)))
    if element == i1:  # a byte holding 0/1; any non-zero byte reads as true
        value = e.icmp("ne", value, e.const(0, i8))
    return value


def store_element(e: Emitter, value: SSAValue, ptr: SSAValue, element: Attribute) -> None:
    if element == i1:
        value = e(llvm.ZExtOp(value, i8))
    e.op(llvm.StoreOp(value, ptr))


def lower_load(op: memref.LoadOp, e: Emitter):
    d = Descriptor.of(op.memref, op)
    return [load_element(e, d.element_ptr(e, list(op.indices)), d.element)]


def lower_store(op: memref.StoreOp, e: Emitter):
    d = Descriptor.of(op.memref, op)
    store_element(e, op.value, d.element_ptr(e, list(op.indices)), d.element)


def lower_dim(op: memref.DimOp, e: Emitter):
    d = Descriptor.of(op.source, op)
    index_op = op.index.owner
    if isinstance(index_op, llvm.ConstantOp):
        return [d.sizes[index_op.value.value.data]]  # type: ignore[union-attr]
    result = e.i64(0)
    for k, size in enumerate(d.sizes):
        result = e.select(e.icmp("eq", op.index, e.i64(k)), size, result)
    return [result]


# ---------------------------------------------------------------------------
# Allocation
# ---------------------------------------------------------------------------


def _entry_anchor(op: Operation) -> Operation:
    """First op of the enclosing function's entry block (for hoisted allocas)."""
    region = op.parent_region()
    assert region is not None and region.first_block is not None
    first = region.first_block.first_op
    assert first is not None
    return first


def _count(e: Emitter, sizes: Sequence[SSAValue]) -> SSAValue:
    """Number of elements: the product of the sizes (1 for rank 0)."""
    if not sizes:
        return e.i64(1)
    total = sizes[0]
    for size in sizes[1:]:
        total = e.mul(total, size)
    return total


def lower_alloc(op: memref.AllocOp, e: Emitter):
    t = op.memref.type
    sizes = _sizes_from(e, t, list(op.dynamic_sizes))
    element = storage_type(t.get_element_type())
    nelems = prod(t.get_shape()) if t.has_static_shape() else None
    if nelems is not None and nelems * byte_size(element) <= STACK_ALLOC_LIMIT:
        # Small static buffer: a stack slot in the entry block, so a loop
        # around this alloc reuses it instead of growing the stack.
        entry = Emitter(_entry_anchor(op), e.symbols)
        count = entry.i64(max(1, nelems))
        ptr = entry(llvm.AllocaOp(count, element, alignment=ALIGNMENT))
        e.symbols.stack_buffers.add(ptr)
    else:
        ptr = checked_alloc(e, sizes, byte_size(element))
    return [Descriptor(t, ptr, sizes, None).pack(e)]


#: memref memory space of a GPU block's shared memory (NVPTX addrspace(3))
SHARED_SPACE = 3

#: the runtime function told of an allocation that failed (`mlc.runtime.errors`);
#: its argument is the byte count asked for, or -1 when that count overflowed
ALLOC_FAILED = "mlc_alloc_failed"

#: no allocation may ask for more: sizes beyond it (or a product that wraps) count as overflow
MAX_BYTES = 1 << 62


def checked_alloc(e: Emitter, sizes: Sequence[SSAValue], element_bytes: int) -> SSAValue:
    """`aligned_alloc` of `prod(sizes) * element_bytes` bytes, never trusted blindly.

    The byte count is computed with overflow checks (each product is
    divided back; any count above `MAX_BYTES` counts as overflow). On
    overflow, or when the allocator returns NULL for a non-empty buffer, the
    function calls `ALLOC_FAILED` and returns (`Emitter.return_if`): the
    caller gets a MemoryError instead of code writing through NULL.
    """
    overflow = e.const(0, i1)
    total = e.i64(element_bytes)
    for size in sizes:
        # size in [0, MAX_BYTES] and total * size / size == total
        product = e.mul(total, size)
        nonzero = e.icmp("ne", size, e.i64(0))
        safe = e.select(nonzero, size, e.i64(1))
        wrapped = e.icmp("ne", e(llvm.UDivOp(product, safe)), total)
        big = e.icmp("ugt", size, e.i64(MAX_BYTES))
        overflow = e(llvm.OrOp(overflow, e(llvm.OrOp(big, e(llvm.AndOp(nonzero, wrapped))))))
        total = product
    overflow = e(llvm.OrOp(overflow, e.icmp("ugt", total, e.i64(MAX_BYTES))))
    # aligned_alloc wants a size that is a multiple of the alignment. An empty
    # buffer still gets ALIGNMENT bytes: loops that clamp an index into range
    # and discard what they read (col2im over zero windows) read element 0.
    rounded = e(llvm.AndOp(e.add(total, e.i64(ALIGNMENT - 1)), e.i64(-ALIGNMENT)))
    rounded = e.select(e.icmp("eq", total, e.i64(0)), e.i64(ALIGNMENT), rounded)
    ptr = e.call("aligned_alloc", [e.i64(ALIGNMENT), e.select(overflow, e.i64(-ALIGNMENT), rounded)], PTR)
    assert ptr is not None
    null = e.icmp("eq", e(llvm.PtrToIntOp(ptr, i64)), e.i64(0))
    failed = e(llvm.OrOp(overflow, e(llvm.AndOp(null, e.icmp("ne", total, e.i64(0))))))
    e.return_if(failed, ALLOC_FAILED, [e.select(overflow, e.i64(-1), total)])
    return ptr


def lower_alloca(op: memref.AllocaOp, e: Emitter):
    t = op.memref.type
    sizes = _sizes_from(e, t, list(op.dynamic_sizes))
    element = storage_type(t.get_element_type())
    if isinstance(t.memory_space, IntegerAttr) and t.memory_space.value.data == SHARED_SPACE:
        return [_shared_buffer(op, t, element, sizes, e)]
    ptr = e(llvm.AllocaOp(_count(e, sizes), element, alignment=ALIGNMENT))
    return [Descriptor(t, ptr, sizes, None).pack(e)]


def _shared_buffer(op: memref.AllocaOp, t: MemRefType, element, sizes, e: Emitter) -> SSAValue:
    """A GPU kernel's shared memory: an `addrspace(3)` global, addressed through a generic pointer."""
    if not t.has_static_shape():
        raise LoweringError(op, "shared memory must have a static shape")
    k = 0
    while f"__mlc_shared_{k}" in e.symbols.names:
        k += 1
    name = f"__mlc_shared_{k}"
    array = llvm.LLVMArrayType(max(1, prod(t.get_shape())), element)
    e.symbols.insert(llvm.GlobalOp(array, name, linkage=llvm.LinkageAttr("internal"),
                                   addr_space=SHARED_SPACE, alignment=ALIGNMENT))
    ptr = e(llvm.AddressOfOp(name, PTR))  # llvm_ir casts the addrspace(3) address to a generic one
    return Descriptor(t, ptr, sizes, None).pack(e)


def lower_dealloc(op: memref.DeallocOp, e: Emitter):
    d = Descriptor.of(op.memref, op)
    incoming = e.symbols.incoming_stack.get(d.ptr)
    if incoming is not None:  # a buffer that came through a block argument (an scf.if's result)
        if all(incoming):
            return
        if any(incoming):
            raise ConvertToLLVMError(op, "dealloc of a buffer that is on the stack on some paths only")
    elif d.ptr in e.symbols.stack_buffers:
        return
    e.call("free", [d.ptr], None)


# ---------------------------------------------------------------------------
# Views: cast, subview, reshapes
# ---------------------------------------------------------------------------


def lower_cast(op: memref.CastOp, e: Emitter):
    t = op.dest.type
    if not isinstance(t, MemRefType):
        raise ConvertToLLVMError(op, "unranked memrefs are not supported")
    return [Descriptor.of(op.source, op).with_type(t, e).pack(e)]


def _dropped_dims(source: MemRefType, sizes: Sequence[int], result: MemRefType) -> set[int]:
    """Dimensions a rank-reducing subview drops: unit dims, leftmost first."""
    to_drop = source.get_num_dims() - result.get_num_dims()
    dropped: set[int] = set()
    for k, size in enumerate(sizes):
        if len(dropped) == to_drop:
            break
        if size == 1:
            dropped.add(k)
    return dropped


def lower_subview(op: memref.SubviewOp, e: Emitter):
    src = Descriptor.of(op.source, op)
    t = op.result.type
    src_strides = src.stride_values(e)
    offsets, sizes, strides = (iter(v) for v in (op.offsets, op.sizes, op.strides))
    static_offsets = op.static_offsets.get_values()
    static_sizes = op.static_sizes.get_values()
    static_strides = op.static_strides.get_values()

    linear: SSAValue | None = None
    new_sizes: list[SSAValue] = []
    new_strides: list[SSAValue] = []
    dropped = _dropped_dims(src.type, static_sizes, t)
    for k in range(src.rank):
        offset = _static_or(e, static_offsets[k], offsets)
        size = _static_or(e, static_sizes[k], sizes)
        step = _static_or(e, static_strides[k], strides)
        term = e.mul(offset, src_strides[k])
        linear = term if linear is None else e.add(linear, term)
        if k not in dropped:
            new_sizes.append(size)
            new_strides.append(e.mul(step, src_strides[k]))
    ptr = src.ptr if linear is None else e.gep(src.ptr, linear, storage_type(src.element))
    view = Descriptor(t, ptr, new_sizes, new_strides)
    if is_identity_layout(t):
        view.strides = None
    return [view.pack(e)]


def lower_collapse_shape(op: memref.CollapseShapeOp, e: Emitter):
    src = Descriptor.of(op.src, op)
    if src.strides is not None:
        raise ConvertToLLVMError(op, "only contiguous (identity-layout) sources are supported")
    sizes = []
    for group in op.reassociation:
        dims = [d.value.data for d in group]  # type: ignore[attr-defined]
        total = src.sizes[dims[0]] if dims else e.i64(1)
        for d in dims[1:]:
            total = e.mul(total, src.sizes[d])
        sizes.append(total)
    return [Descriptor(op.result.type, src.ptr, sizes, None).pack(e)]


def lower_expand_shape(op: memref.ExpandShapeOp, e: Emitter):
    src = Descriptor.of(op.src, op)
    if src.strides is not None:
        raise ConvertToLLVMError(op, "only contiguous (identity-layout) sources are supported")
    sizes = []
    dynamic = iter(op.output_shape)
    for d in op.static_output_shape.get_values():
        sizes.append(e.i64(d) if d != DYNAMIC_INDEX else next(dynamic))
    return [Descriptor(op.result.type, src.ptr, sizes, None).pack(e)]


def lower_extract_aligned_pointer(op: memref.ExtractAlignedPointerAsIndexOp, e: Emitter):
    return [e(llvm.PtrToIntOp(Descriptor.of(op.source, op).ptr, i64))]


# ---------------------------------------------------------------------------
# Copy
# ---------------------------------------------------------------------------


def lower_copy(op: memref.CopyOp, e: Emitter):
    src = Descriptor.of(op.source, op)
    dst = Descriptor.of(op.destination, op)
    if src.strides is None and dst.strides is None:
        nbytes = e.mul(src.num_elements(e), e.i64(byte_size(src.element)))
        e.intrinsic(
            "llvm.memcpy.p0.p0.i64", [dst.ptr, src.ptr, nbytes, e.const(0, i1)], None
        )
        return
    _copy_loop_nest(e, src, dst, 0, [])


def _copy_loop_nest(
    e: Emitter, src: Descriptor, dst: Descriptor, dim: int, ivs: list[SSAValue]
) -> None:
    if dim == src.rank:
        value = e(llvm.LoadOp(src.element_ptr(e, ivs), storage_type(src.element)))
        e.op(llvm.StoreOp(value, dst.element_ptr(e, ivs)))
        return

    def body(inner: Emitter, iv: SSAValue, _args: Sequence[SSAValue]):
        _copy_loop_nest(inner, src, dst, dim + 1, [*ivs, iv])
        return []

    e.counted_loop(src.sizes[dim], [], body)


# ---------------------------------------------------------------------------
# Globals (constant buffers)
# ---------------------------------------------------------------------------


def lower_global(op: memref.GlobalOp, symbols: Symbols) -> None:
    """memref.global -> llvm.mlir.global of a flat array (only initialized ones)."""
    t = op.type
    element = t.get_element_type()
    n = prod(t.get_shape())
    value = op.initial_value
    if not isinstance(value, DenseIntOrFPElementsAttr):
        raise ConvertToLLVMError(op, "only memref.global with an initial value is supported")
    values = value.get_values()
    if len(values) == 1 and n != 1:
        values = values * n  # splat
    if element == i1:
        values = [1 if v else 0 for v in values]
    if isinstance(element, ComplexType):  # stored as the interleaved parts, numpy's layout
        values = [part for z in values for part in (z.real, z.imag)]
        element, n = element.element_type, 2 * n
    array = llvm.LLVMArrayType(n, storage_type(element))
    flat = DenseIntOrFPElementsAttr.from_list(
        TensorType(storage_type(element), [n]), list(values)
    )
    glob = llvm.GlobalOp(
        array,
        op.sym_name,
        linkage=llvm.LinkageAttr("internal"),
        constant=op.constant is not None,
        value=flat,
        alignment=ALIGNMENT,
    )
    symbols.insert(glob)


def lower_get_global(op: memref.GetGlobalOp, e: Emitter):
    name: SymbolRefAttr = op.name_
    ptr = e(llvm.AddressOfOp(name.root_reference.data, PTR))
    t = op.memref.type
    return [Descriptor(t, ptr, _sizes_from(e, t, []), None).pack(e)]


# ---------------------------------------------------------------------------
# Vector access (gpux.load_lanes / store_lanes: one aligned vector load or store)
# ---------------------------------------------------------------------------


def lower_address(op: gpux.AddressOp, e: Emitter):
    return [e(llvm.PtrToIntOp(Descriptor.of(op.memref, op).ptr, i64))]


def lower_load_lanes(op: gpux.LoadLanesOp, e: Emitter):
    """One `load <n x T>, align n*sizeof(T)`; each lane taken out by a one-element shuffle and a bitcast."""
    d = Descriptor.of(op.memref, op)
    n, element = len(op.lanes), storage_type(d.element)
    vec = e(llvm.LoadOp(d.element_ptr(e, [op.index]), VectorType(element, [n]),
                        alignment=n * byte_size(d.element)))
    out = []
    for k in range(n):
        one = e(llvm.ShuffleVectorOp(vec, vec, DenseArrayBase.from_list(i32, [k]), VectorType(element, [1])))
        out.append(e(llvm.BitcastOp(one, element)))
    return out


def lower_store_lanes(op: gpux.StoreLanesOp, e: Emitter):
    d = Descriptor.of(op.memref, op)
    n, element = len(op.values), storage_type(d.element)
    vec = e(llvm.UndefOp(VectorType(element, [n])))
    for k, v in enumerate(op.values):
        vec = e(llvm.InsertElementOp(vec, v, e.const(k, i32)))
    e.op(llvm.StoreOp(vec, d.element_ptr(e, [op.index]), alignment=n * byte_size(d.element)))


LOWERINGS = {
    gpux.AddressOp: lower_address,
    gpux.LoadLanesOp: lower_load_lanes,
    gpux.StoreLanesOp: lower_store_lanes,
    memref.LoadOp: lower_load,
    memref.StoreOp: lower_store,
    memref.DimOp: lower_dim,
    memref.AllocOp: lower_alloc,
    memref.AllocaOp: lower_alloca,
    memref.DeallocOp: lower_dealloc,
    memref.CastOp: lower_cast,
    memref.SubviewOp: lower_subview,
    memref.CollapseShapeOp: lower_collapse_shape,
    memref.ExpandShapeOp: lower_expand_shape,
    memref.ExtractAlignedPointerAsIndexOp: lower_extract_aligned_pointer,
    memref.CopyOp: lower_copy,
    memref.GetGlobalOp: lower_get_global,
}

