"""func and cf -> llvm, including the memref calling convention (the ABI).

The ABI, fixed for the runtime and the GPU path:

* every memref argument becomes `!llvm.ptr` (noalias on public functions)
  followed by one i64 per dimension, static ones included, in order;
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
    ArrayAttr,
    DictionaryAttr,
    MemRefType,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Block, SSAValue
from xdsl.rewriter import Rewriter

from mlc.lowering.llvm.common import PTR, Emitter, LoweringError, Symbols, llvm_type
from mlc.lowering.llvm.memref import Descriptor, is_identity_layout

MEMREF_ABI_ATTR = "mlc.memref_abi"


def expand_type(t: Attribute, where: func.FuncOp) -> list[Attribute]:
    """The llvm argument types one function argument of type `t` becomes."""
    if isinstance(t, MemRefType):
        if not is_identity_layout(t):
            raise LoweringError(
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
        if isinstance(t, MemRefType) and is_public(f) and not f.is_declaration:
            arg_attrs += [noalias] + [DictionaryAttr({})] * (len(expanded) - 1)
        else:
            arg_attrs += [DictionaryAttr({})] * len(expanded)
    outputs = f.function_type.outputs.data
    if len(outputs) > 1:
        raise LoweringError(f, f"@{f.sym_name.data}: at most one result is supported")
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


def convert_block_args(block: Block, f: func.FuncOp) -> None:
    for arg in list(block.args):
        if isinstance(arg.type, MemRefType):
            raise LoweringError(
                f, f"@{f.sym_name.data}: memref values passed between blocks are not supported"
            )
        if llvm_type(arg.type) != arg.type:
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
                raise LoweringError(op, "memref call arguments must have the identity layout")
            out += [d.ptr, *d.sizes]
        else:
            out.append(v)
    return out


def lower_call(op: func.CallOp, e: Emitter):
    if len(op.res) > 1:
        raise LoweringError(op, "calls with more than one result are not supported")
    result = llvm_type(op.res[0].type, op) if op.res else None
    call = llvm.CallOp(op.callee, *expand_operands(op.arguments, e, op), return_type=result)
    e.op(call)
    return list(call.results)


def lower_return(op: func.ReturnOp, e: Emitter):
    e.op(llvm.ReturnOp(op.arguments[0] if op.arguments else None))


def lower_br(op: cf.BranchOp, e: Emitter):
    e.op(llvm.BrOp(op.successor, *op.arguments))


def lower_cond_br(op: cf.ConditionalBranchOp, e: Emitter):
    e.op(
        llvm.CondBrOp(
            op.cond, op.then_block, list(op.then_arguments), op.else_block, list(op.else_arguments)
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
