"""convert-to-llvm: func/arith/math/cf/memref/index -> the llvm dialect.

Pre-condition: a module of `func.func`s whose bodies are a flat CFG
(`convert-linalg-to-loops`, `convert-scf-to-cf` done) over `arith`, `math`,
`cf`, `memref`, `func.call` and `complex.create/re/im` (`expand-complex` done); memref function arguments have the identity
layout. `blas.*` ops must already be lowered (`convert-blas-to-llvm`).

Post-condition: only `llvm.*` ops (plus `llvm.mlir.global`s), functions
following the memref ABI described in `mlc.lowering.convert_to_llvm.lower_func_cf`, ready for
`mlc.lowering.llvm_ir` and the CPU runtime.

How: each function is converted in one walk over its blocks in reverse
post-order, so every value is lowered before its uses (dominance). Each op
is replaced through the per-dialect tables in `mlc.lowering.convert_to_llvm`. memref
values travel as descriptor casts between producer and consumers (see
`mlc.lowering.convert_to_llvm.lower_memref`); the dead casts are erased at the end.

The whole loop-level -> llvm stage list is `mlc.compile.pipeline.LOOPS_TO_LLVM`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.context import Context
from xdsl.dialects import func, llvm, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp, UnrealizedConversionCastOp
from xdsl.dialects.llvm import LLVMPointerType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from mlc.lowering.convert_to_llvm import lower_arith as arith_lowering
from mlc.lowering.convert_to_llvm import lower_complex as complex_lowering
from mlc.lowering.convert_to_llvm import lower_func_cf
from mlc.lowering.convert_to_llvm import lower_math as math_lowering
from mlc.lowering.convert_to_llvm import lower_memref as memref_lowering
from mlc.lowering.convert_to_llvm.common import ConvertToLLVMError, Emitter, Symbols
from mlc.lowering.convert_to_llvm.lower_memref import Descriptor

Lowering = Callable[[Operation, Emitter], Sequence[SSAValue] | None]

LOWERINGS: dict[type[Operation], Lowering] = {
    **arith_lowering.LOWERINGS,
    **math_lowering.LOWERINGS,
    **complex_lowering.LOWERINGS,
    **memref_lowering.LOWERINGS,
    **lower_func_cf.LOWERINGS,
}  # type: ignore[dict-item]



class ConvertToLLVMPass(ModulePass):
    """Lower func/arith/math/cf/memref to the llvm dialect with mlc's memref ABI."""

    name = "convert-to-llvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        convert_module(op)


def convert_module(module: ModuleOp) -> None:
    symbols = Symbols(module)
    for op in list(module.ops):
        if isinstance(op, memref.GlobalOp):
            memref_lowering.lower_global(op, symbols)
            module.body.block.erase_op(op)
    for op in list(module.ops):
        if isinstance(op, func.FuncOp):
            convert_function(op, symbols)


def convert_function(f: func.FuncOp, symbols: Symbols) -> None:
    if not f.is_declaration:
        lower_func_cf.convert_entry_block(f, symbols)
        blocks = blocks_in_rpo(f.body)
        for block in blocks[1:]:
            lower_func_cf.convert_block_args(block, f, symbols)
        for op in [op for block in blocks for op in block.ops]:
            lower_op(op, symbols)
        erase_dead_descriptors(f.body)
    Rewriter.replace_op(f, lower_func_cf.build_llvm_func(f))


def lower_op(op: Operation, symbols: Symbols) -> None:
    if op.dialect_name() == "llvm":
        return
    if isinstance(op, UnrealizedConversionCastOp):
        lower_pointer_cast(op)
        return
    lowering = LOWERINGS.get(type(op))
    if lowering is None:
        hint = " (run convert-linalg-to-loops / convert-scf-to-cf first)" if op.regions else ""
        raise ConvertToLLVMError(op, f"no lowering to the llvm dialect{hint}")
    results = lowering(op, Emitter(op, symbols))
    if results is None:
        if op.results:
            raise ConvertToLLVMError(op, "lowering produced no results")  # pragma: no cover
        op.parent_block().erase_op(op)  # type: ignore[union-attr]
    else:
        Rewriter.replace_op(op, [], list(results))


def lower_pointer_cast(op: UnrealizedConversionCastOp) -> None:
    """`memref -> !llvm.ptr` casts (left by convert-blas-to-llvm): the data pointer."""
    if (
        len(op.inputs) == 1
        and len(op.outputs) == 1
        and isinstance(op.inputs[0].type, MemRefType)
        and isinstance(op.outputs[0].type, LLVMPointerType)
    ):
        Rewriter.replace_op(op, [], [Descriptor.of(op.inputs[0], op).ptr])


def blocks_in_rpo(region: Region) -> list[Block]:
    """Reverse post-order from the entry block, then any unreachable blocks."""
    entry = region.blocks.first
    assert entry is not None
    seen: set[Block] = {entry}
    order: list[Block] = []
    stack: list[tuple[Block, int]] = [(entry, 0)]
    while stack:
        block, k = stack.pop()
        successors = block.last_op.successors if block.last_op is not None else ()
        if k < len(successors):
            stack.append((block, k + 1))
            succ = successors[k]
            if succ not in seen:
                seen.add(succ)
                stack.append((succ, 0))
        else:
            order.append(block)
    order.reverse()
    return order + [b for b in region.blocks if b not in seen]


def erase_dead_descriptors(region: Region) -> None:
    """Erase the descriptor casts (all used up by now) and constants nobody used.

    Static sizes are materialized as constants whether or not a consumer
    needs them; dropping the unused ones keeps the output readable.
    """
    for block in region.blocks:
        for op in reversed(list(block.ops)):
            dead = not any(r.uses for r in op.results)
            if dead and (
                isinstance(op, llvm.ConstantOp)
                or (
                    isinstance(op, UnrealizedConversionCastOp)
                    and all(isinstance(r.type, MemRefType) for r in op.results)
                )
            ):
                block.erase_op(op)
