"""func and cf -> llvm, including the memref calling convention (the ABI).

The ABI, fixed for the runtime and the GPU path:

* every memref argument becomes `!llvm.ptr` (noalias on public functions
  and on private ones marked `mlc.noalias`) followed by one i64 per
  dimension, static ones included, in order;
  a 0-d memref is the pointer alone; no strides (identity layout only);
* index arguments become i64, other scalars stay as they are;
* public functions keep their name and get external linkage, private ones
  with a body become internal, body-less declarations stay external.

A public function also records its memref signature as the attribute
`mlc.memref_abi` (the original function type), so the runtime can check
dtypes and ranks before entering native code.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects import cf, func, llvm
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AnyFloat,
    ArrayAttr,
    DictionaryAttr,
    IntegerAttr,
    IntegerType,
    MemRefType,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.rewriter import Rewriter

from mlc.lowering.convert_to_llvm.common import (
    PTR,
    ConvertToLLVMError,
    Emitter,
    Symbols,
    llvm_type,
)
from mlc.lowering.convert_to_llvm.lower_memref import Descriptor, is_identity_layout

MEMREF_ABI_ATTR = "mlc.memref_abi"
#: on a private function: its memref arguments never alias (set by parallelize-loops)
NOALIAS_ATTR = "mlc.noalias"
#: on a func.call: a parallel call (see mlc.passes.parallelize_loops)
PARALLEL_ATTR = "mlc.parallel_for"


def expand_type(t: Attribute, where: func.FuncOp) -> list[Attribute]:
    """The llvm argument types one function argument of type `t` becomes."""
    if isinstance(t, MemRefType):
        if not is_identity_layout(t):
            raise ConvertToLLVMError(
                where, f"@{where.sym_name.data}: memref argument {t} must have the identity layout"
            )
        return [PTR, *([i64] * t.get_num_dims())]
    return [llvm_type(t, where)]


def is_public(f: func.FuncOp) -> bool:
    return f.sym_visibility is None or f.sym_visibility.data == "public"


def llvm_signature(f: func.FuncOp) -> tuple[llvm.LLVMFunctionType, ArrayAttr]:
    inputs: list[Attribute] = []
    arg_attrs: list[DictionaryAttr] = []
    noalias = DictionaryAttr({"llvm.noalias": UnitAttr()})
    for t in f.function_type.inputs:
        expanded = expand_type(t, f)
        inputs += expanded
        noalias_args = (is_public(f) or NOALIAS_ATTR in f.attributes) and not f.is_declaration
        if isinstance(t, MemRefType) and noalias_args:
            arg_attrs += [noalias] + [DictionaryAttr({})] * (len(expanded) - 1)
        else:
            arg_attrs += [DictionaryAttr({})] * len(expanded)
    outputs = f.function_type.outputs.data
    if len(outputs) > 1:
        raise ConvertToLLVMError(f, f"@{f.sym_name.data}: at most one result is supported")
    output = llvm_type(outputs[0], f) if outputs else llvm.LLVMVoidType()
    return llvm.LLVMFunctionType(inputs, output), ArrayAttr(arg_attrs)


def convert_entry_block(f: func.FuncOp, symbols: Symbols) -> None:
    """Expand memref arguments into (ptr, sizes...) and rebuild each memref.

    The rebuilt memref is the descriptor cast at the top of the entry
    block; static sizes in it are constants, not the passed i64s.
    """
    entry = f.body.blocks.first
    assert entry is not None
    anchor = entry.first_op
    assert anchor is not None
    e = Emitter(anchor, symbols)
    for arg in list(entry.args):
        t = arg.type
        if isinstance(t, MemRefType):
            index = arg.index
            ptr = Rewriter.replace_value_with_new_type(arg, PTR)
            dims = [entry.insert_arg(i64, index + 1 + k) for k in range(t.get_num_dims())]
            sizes = [
                e.i64(static) if static != DYNAMIC_INDEX else dims[k]
                for k, static in enumerate(t.get_shape())
            ]
            memref_value = Descriptor(t, ptr, sizes, None).pack(e)
            cast = memref_value.owner
            ptr.replace_uses_with_if(memref_value, lambda use: use.operation is not cast)
        elif llvm_type(t, f) != t:
            Rewriter.replace_value_with_new_type(arg, llvm_type(t, f))


def convert_block_args(block: Block, f: func.FuncOp, symbols: Symbols) -> None:
    """A memref passed between blocks (the result of an `scf.if` on buffers)
    travels as its pointer and one i64 per dimension, as in calls."""
    for arg in list(block.args):
        t = arg.type
        if isinstance(t, MemRefType):
            if not is_identity_layout(t):
                raise ConvertToLLVMError(f, f"@{f.sym_name.data}: memref block argument {t} must have the identity layout")
            index = arg.index
            ptr = Rewriter.replace_value_with_new_type(arg, PTR)
            dims = [block.insert_arg(i64, index + 1 + k) for k in range(t.get_num_dims())]
            anchor = block.first_op
            assert anchor is not None
            e = Emitter(anchor, symbols)
            sizes = [e.i64(static) if static != DYNAMIC_INDEX else dims[k] for k, static in enumerate(t.get_shape())]
            memref_value = Descriptor(t, ptr, sizes, None).pack(e)
            cast = memref_value.owner
            ptr.replace_uses_with_if(memref_value, lambda use: use.operation is not cast)
        elif llvm_type(arg.type) != arg.type:
            Rewriter.replace_value_with_new_type(arg, llvm_type(arg.type))


def build_llvm_func(f: func.FuncOp) -> llvm.FuncOp:
    """The llvm.func replacing `f`; the body region is moved over, not copied."""
    ftype, arg_attrs = llvm_signature(f)
    if f.is_declaration:
        linkage = "external"
    else:
        linkage = "external" if is_public(f) else "internal"
    extra = {MEMREF_ABI_ATTR: f.function_type} if is_public(f) and not f.is_declaration else None
    return llvm.FuncOp(
        f.sym_name.data,
        ftype,
        linkage=llvm.LinkageAttr(linkage),
        body=Rewriter.move_region_contents_to_new_regions(f.body),
        other_props={"arg_attrs": arg_attrs},
        extra_attrs=extra,
    )


# ---------------------------------------------------------------------------
# Ops inside function bodies
# ---------------------------------------------------------------------------


def expand_operands(values: Sequence[SSAValue], e: Emitter, op) -> list[SSAValue]:
    """Call operands under the ABI: each memref becomes its ptr and sizes."""
    out: list[SSAValue] = []
    for v in values:
        if isinstance(v.type, MemRefType):
            d = Descriptor.of(v, op)
            if d.strides is not None:
                raise ConvertToLLVMError(op, "memref call arguments must have the identity layout")
            out += [d.ptr, *d.sizes]
        else:
            out.append(v)
    return out


def lower_call(op: func.CallOp, e: Emitter):
    if PARALLEL_ATTR in op.attributes:
        return lower_parallel_call(op, e)
    if len(op.res) > 1:
        raise ConvertToLLVMError(op, "calls with more than one result are not supported")
    result = llvm_type(op.res[0].type, op) if op.res else None
    call = llvm.CallOp(op.callee, *expand_operands(op.arguments, e, op), return_type=result)
    e.op(call)
    return list(call.results)


# ---------------------------------------------------------------------------
# Parallel calls (mlc.passes.parallelize_loops) -> the thread pool
# ---------------------------------------------------------------------------

#: `i64 mlc_parallel_for(ptr task, ptr args, i64 lo, i64 hi, i64 cost)`: see mlc.runtime.parallel
PARALLEL_FOR = "mlc_parallel_for"
TASK_SUFFIX = ".task"


def lower_parallel_call(op: func.CallOp, e: Emitter):
    """`func.call @f(lo, hi, chunk, cost, rest...) {mlc.parallel_for}` -> the runtime's parallel for.

    The `rest` operands (memrefs expanded to pointer and sizes) are stored
    in 8-byte slots of a stack buffer; `@f.task(ptr slots, i64 lo, i64 hi,
    i64 chunk)`, generated once per callee, loads them and calls `@f` with
    `cost` = 0. `mlc_parallel_for` runs the task over chunks of [lo, hi)
    and returns how many; that is the call's result.
    """
    lo, hi, _chunk, cost, *rest = expand_operands(op.arguments, e, op)
    callee = op.callee.string_value()
    task = _parallel_task(callee, [v.type for v in rest], e.symbols)
    entry = Emitter(_entry_anchor(op), e.symbols)
    slots = entry(llvm.AllocaOp(entry.i64(max(1, len(rest))), i64, alignment=8))
    for k, value in enumerate(rest):
        slot = e(llvm.GEPOp(slots, [k], i64))
        e.op(llvm.StoreOp(_to_slot(value, e), slot))
    task_ptr = e(llvm.AddressOfOp(task, PTR))
    e.symbols.declare(PARALLEL_FOR, [PTR, PTR, i64, i64, i64], i64)
    call = llvm.CallOp(PARALLEL_FOR, task_ptr, slots, lo, hi, cost, return_type=i64)
    e.op(call)
    return [call.returned]


def _entry_anchor(op: Operation) -> Operation:
    """The first op of the enclosing function's entry block (for hoisted allocas)."""
    region = op.parent_region()
    while region.parent_op() is not None and not isinstance(region.parent_op(), (func.FuncOp, llvm.FuncOp)):
        region = region.parent_op().parent_region()
    first = region.first_block.first_op
    assert first is not None
    return first


def _to_slot(value: SSAValue, e: Emitter) -> SSAValue:
    """A scalar argument as the i64 its slot holds (bits kept; narrow ones zero-extended)."""
    t = value.type
    if isinstance(t, llvm.LLVMPointerType):
        return e(llvm.PtrToIntOp(value, i64))
    if isinstance(t, AnyFloat):
        bits = IntegerType(t.bitwidth)
        value = e(llvm.BitcastOp(value, bits))
        t = bits
    if t == i64:
        return value
    return e(llvm.ZExtOp(value, i64))


def _from_slot(word: SSAValue, t: Attribute, e: Emitter) -> SSAValue:
    """The inverse of `_to_slot`."""
    if isinstance(t, llvm.LLVMPointerType):
        return e(llvm.IntToPtrOp(word))
    bits = IntegerType(t.bitwidth) if isinstance(t, AnyFloat) else t
    if bits != i64:
        word = e(llvm.TruncOp(word, bits))
    return e(llvm.BitcastOp(word, t)) if isinstance(t, AnyFloat) else word


def _parallel_task(callee: str, types: Sequence[Attribute], symbols: Symbols) -> str:
    """Declare `@<callee>.task` (once): unpack the slots, call `@<callee>`."""
    name = callee + TASK_SUFFIX
    if name in symbols.names:
        return name
    block = Block(arg_types=[PTR, i64, i64, i64])
    slots, lo, hi, chunk = block.args
    zero = llvm.ConstantOp(IntegerAttr(0, i64), i64)
    block.add_op(zero)
    values = []
    anchor = llvm.UnreachableOp()  # placeholder, replaced by the call below
    block.add_op(anchor)
    e = Emitter(anchor, symbols)
    for k, t in enumerate(types):
        slot = e(llvm.GEPOp(slots, [k], i64))
        values.append(_from_slot(e(llvm.LoadOp(slot, i64)), t, e))
    call = llvm.CallOp(callee, lo, hi, chunk, zero.result, *values, return_type=i64)
    block.add_ops([call, llvm.ReturnOp()])
    block.erase_op(anchor)
    ftype = llvm.LLVMFunctionType([PTR, i64, i64, i64], llvm.LLVMVoidType())
    symbols.insert(llvm.FuncOp(name, ftype, linkage=llvm.LinkageAttr("internal"), body=Region(block)))
    return name


def lower_return(op: func.ReturnOp, e: Emitter):
    e.op(llvm.ReturnOp(op.arguments[0] if op.arguments else None))


def _branch_operands(values: Sequence[SSAValue], successor: Block, e: Emitter, op) -> list[SSAValue]:
    """Branch operands under the ABI; records, per pointer argument of `successor`,
    whether the buffer passed is a stack slot (its dealloc then frees nothing)."""
    out = expand_operands(values, e, op)
    for v, arg in zip(out, successor.args):
        if v.type == PTR:
            e.symbols.incoming_stack.setdefault(arg, []).append(v in e.symbols.stack_buffers)
    return out


def lower_br(op: cf.BranchOp, e: Emitter):
    e.op(llvm.BrOp(op.successor, *_branch_operands(op.arguments, op.successor, e, op)))


def lower_cond_br(op: cf.ConditionalBranchOp, e: Emitter):
    e.op(
        llvm.CondBrOp(
            op.cond,
            op.then_block,
            _branch_operands(op.then_arguments, op.then_block, e, op),
            op.else_block,
            _branch_operands(op.else_arguments, op.else_block, e, op),
        )
    )


def lower_switch(op: cf.SwitchOp, e: Emitter):
    """A chain of compare-and-branch blocks (convert_module has no `switch`)."""
    flag = op.flag
    cases = op.case_values.get_values() if op.case_values is not None else ()
    segments = op.case_operand_segments.get_values()
    operands = list(op.case_operands)
    starts = [sum(segments[:k]) for k in range(len(segments))]
    block = op.parent_block()
    assert block is not None and block.parent is not None
    current = e
    previous = block
    for k, (value, dest) in enumerate(zip(cases, op.case_blocks)):
        args = operands[starts[k] : starts[k] + segments[k]]
        hit = current.icmp("eq", flag, current.const(value, flag.type))
        if k + 1 < len(cases):
            next_block = Block()
            block.parent.insert_block_after(next_block, previous)
            current.op(llvm.CondBrOp(hit, dest, args, next_block, []))
            anchor = llvm.UnreachableOp()
            next_block.add_op(anchor)
            current = Emitter(anchor, e.symbols)
            previous = next_block
        else:
            current.op(llvm.CondBrOp(hit, dest, args, op.default_block, list(op.default_operands)))
            break
    else:
        current.op(llvm.BrOp(op.default_block, *op.default_operands))
    if current.anchor is not op:
        current.anchor.parent_block().erase_op(current.anchor)  # type: ignore[union-attr]


def lower_assert(op: cf.AssertOp, e: Emitter):
    """Dropped: argument checks happen in the runtime, before native code runs."""
    return None


LOWERINGS = {
    func.CallOp: lower_call,
    func.ReturnOp: lower_return,
    cf.BranchOp: lower_br,
    cf.ConditionalBranchOp: lower_cond_br,
    cf.SwitchOp: lower_switch,
    cf.AssertOp: lower_assert,
}
