"""llvm dialect -> LLVM IR (llvmlite), and every workaround this needs.

`xdsl.backend.llvm.convert_module` does the bulk of the translation; this
module is the one place that patches around its gaps (xDSL 0.74, notes §7):

1. **Intrinsic names.** The named intrinsic ops (`llvm.intr.exp`, `.pow`,
   `.maxnum`, ...) are declared unmangled (`@"llvm.exp"`) and the first
   declaration is reused for every type, so a module using both `exp.f32`
   and `exp.f64` fails to build. Here they are declared type-mangled
   (`@llvm.exp.f32`), one per type.
2. **Linkage.** `convert_module` ignores `llvm.func`'s linkage, so every
   function comes out external. Here linkage is honoured, so internal
   helpers can be inlined and dropped.
3. **Function attributes.** Defined functions get `nounwind` (mlc code and
   what it calls never unwind), which lets LLVM drop unwind edges.
4. **fcmp `false`/`true`** predicates, which `convert_module` cannot print,
   become constants.
5. **Pointer arguments of intrinsics** (`llvm.memcpy`): llvmlite's pointers
   are typed, and an intrinsic is declared once with its first call's types;
   later calls on other element types are bitcast to them.
6. **Address spaces.** `llvm.mlir.addressof` of a global in another
   address space (a GPU kernel's shared memory, addrspace 3) typed as a
   generic `!llvm.ptr` becomes an `addrspacecast`, which the xDSL llvm
   dialect cannot spell; such globals get an `undef` initializer (NVPTX
   allows no other for shared memory).
7. **Vector math.** `to_llvm_ir` links in the definitions of the
   `@mlc_vm_*` functions (`mlc.lowering.convert_to_llvm.vecmath`).

`translate(module)` returns the llvmlite `ir.Module`; `to_llvm_ir(module)`
its text.
"""

from __future__ import annotations

from llvmlite import ir
from xdsl.backend.llvm import convert as xdsl_convert
from xdsl.backend.llvm.convert_op import convert_op as xdsl_convert_op
from xdsl.backend.llvm.convert_type import convert_type
from xdsl.dialects import llvm
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.utils.exceptions import LLVMTranslationException

from mlc.target import GENERIC_CPU, Target

# llvm.intr.* ops -> LLVM intrinsic base name (mangled with the operand type).
_NAMED_INTRINSICS: dict[type[Operation], str] = {
    llvm.FAbsOp: "llvm.fabs",
    llvm.FExpOp: "llvm.exp",
    llvm.FExp2Op: "llvm.exp2",
    llvm.FLogOp: "llvm.log",
    llvm.FLog2Op: "llvm.log2",
    llvm.FSqrtOp: "llvm.sqrt",
    llvm.FSinOp: "llvm.sin",
    llvm.FCosOp: "llvm.cos",
    llvm.FFloorOp: "llvm.floor",
    llvm.FCeilOp: "llvm.ceil",
    llvm.FPowOp: "llvm.pow",
    llvm.VectorFMaxOp: "llvm.maxnum",
    llvm.VectorFMinOp: "llvm.minnum",
    llvm.FCopySignOp: "llvm.copysign",
    llvm.FMAOp: "llvm.fma",
}

_TYPE_SUFFIX = {ir.FloatType: "f32", ir.DoubleType: "f64", ir.HalfType: "f16"}


def _suffix(t: ir.Type) -> str:
    if isinstance(t, ir.VectorType):
        return f"v{t.count}{_suffix(t.element)}"
    if isinstance(t, ir.IntType):
        return f"i{t.width}"
    return _TYPE_SUFFIX[type(t)]


def _declare(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    existing = module.globals.get(name)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return ir.Function(module, fnty, name=name)


def _convert_named_intrinsic(
    op: Operation, builder: ir.IRBuilder, val_map: dict[SSAValue, ir.Value]
) -> None:
    args = [val_map[v] for v in op.operands]
    t = args[0].type
    name = f"{_NAMED_INTRINSICS[type(op)]}.{_suffix(t)}"
    fn = _declare(builder.module, name, ir.FunctionType(t, [a.type for a in args]))
    val_map[op.results[0]] = builder.call(fn, args)


def _convert_fcmp(
    op: llvm.FCmpOp, builder: ir.IRBuilder, val_map: dict[SSAValue, ir.Value]
) -> bool:
    predicate = op.predicate.value.data
    if predicate in (0, 15):  # "_false" / "_true"
        val_map[op.res] = ir.Constant(ir.IntType(1), 1 if predicate == 15 else 0)
        return True
    return False


def convert_op(
    op: Operation,
    builder: ir.IRBuilder,
    val_map: dict[SSAValue, ir.Value],
    block_map: dict[Block, ir.Block],
) -> None:
    """xDSL's op translation, with mlc's overrides tried first."""
    if type(op) in _NAMED_INTRINSICS:
        _convert_named_intrinsic(op, builder, val_map)
        return
    if isinstance(op, llvm.FCmpOp) and _convert_fcmp(op, builder, val_map):
        return
    if isinstance(op, llvm.AddressOfOp):
        g = builder.module.get_global(op.global_name.root_reference.data)
        space = getattr(g.type, "addrspace", 0)
        if space and convert_type(op.result.type) == ir.PointerType():
            val_map[op.result] = builder.addrspacecast(g, ir.PointerType())
            return
    if isinstance(op, llvm.CallIntrinsicOp):
        saved = {a: val_map[a] for a in op.args}
        _match_pointer_args(op, builder, val_map)
        xdsl_convert_op(op, builder, val_map, block_map)
        val_map.update(saved)  # the casts serve this call only
        return
    xdsl_convert_op(op, builder, val_map, block_map)


def _match_pointer_args(op: llvm.CallIntrinsicOp, builder: ir.IRBuilder, val_map: dict[SSAValue, ir.Value]) -> None:
    """An intrinsic taking pointers (`llvm.memcpy.p0.p0.i64`) is declared with the pointer types of its first
    call (llvmlite's pointers are typed: `double*`); later calls on other element types get their pointer
    arguments bitcast to the declared types."""
    try:
        declared = builder.module.get_global(op.intrin.data)
    except KeyError:
        return
    for arg, expected in zip(op.args, declared.function_type.args):
        value = val_map[arg]
        if isinstance(value.type, ir.PointerType) and value.type != expected:
            val_map[arg] = builder.bitcast(value, expected)


def _convert_body(op: llvm.FuncOp, fn: ir.Function) -> None:
    """Like xDSL's `_convert_func`, but through `convert_op` above."""
    block_map: dict[Block, ir.Block] = {}
    val_map: dict[SSAValue, ir.Value] = {}
    for i, block in enumerate(op.body.blocks):
        block_map[block] = fn.append_basic_block(name=block.name_hint or "")
        if i == 0:
            val_map.update(zip(block.args, fn.args))
    for i, block in enumerate(op.body.blocks):
        if i and block.args:
            builder = ir.IRBuilder(block_map[block])
            for arg in block.args:
                val_map[arg] = builder.phi(convert_type(arg.type))
    for block in op.body.blocks:
        builder = ir.IRBuilder(block_map[block])
        if block_map[block].instructions:
            builder.position_after(block_map[block].instructions[-1])
        for inner in block.ops:
            convert_op(inner, builder, val_map, block_map)


def translate(
    module: ModuleOp, *, triple: str | None = None, data_layout: str = ""
) -> ir.Module:
    """Translate an llvm-dialect module to an llvmlite `ir.Module`.

    `triple` defaults to the module's `llvm.target_triple`, then the host's.
    """
    out = ir.Module()
    module_triple = module.attributes.get("llvm.target_triple")
    if isinstance(module_triple, StringAttr):
        out.triple = module_triple.data
    elif triple is not None:
        out.triple = triple
    else:
        from llvmlite import binding

        out.triple = binding.get_default_triple()
    if data_layout:
        out.data_layout = data_layout

    funcs: list[llvm.FuncOp] = []
    for op in module.ops:
        if isinstance(op, llvm.GlobalOp):
            xdsl_convert._convert_global(op, out)  # pyright: ignore[reportPrivateUsage]
            g = out.get_global(op.sym_name.data)
            if op.addr_space.value.data and op.value is None:
                g.initializer = ir.Constant(g.value_type, ir.Undefined)
        elif isinstance(op, llvm.FuncOp):
            funcs.append(op)
        else:
            raise LLVMTranslationException(
                f"llvm_ir: top-level op '{op.name}' is not llvm.func/llvm.mlir.global"
            )
    for op in funcs:
        xdsl_convert._declare_func(op, out)  # pyright: ignore[reportPrivateUsage]
    for op in funcs:
        fn = out.get_global(op.sym_name.data)
        assert isinstance(fn, ir.Function)
        if op.body.blocks:
            _convert_body(op, fn)
            fn.linkage = "" if op.linkage.linkage.data == "external" else op.linkage.linkage.data
            fn.attributes.add("nounwind")
    return out


def to_llvm_ir(module: ModuleOp, target: Target = GENERIC_CPU, *, triple: str | None = None,
               data_layout: str = "") -> str:
    """The (unoptimized) LLVM IR text of an llvm-dialect module.

    Calls of mlc's vector math library (`@mlc_vm_*`) get their definitions
    (`mlc.lowering.convert_to_llvm.vecmath`), so the text is complete.
    """
    from mlc.lowering.convert_to_llvm import vecmath

    return vecmath.link(str(translate(module, triple=triple, data_layout=data_layout)), target)
