"""`profile-kernels`: time each kernel of a function in native code (profiling).

Runs on the loop level (after bufferization, before loops are lowered). A
*kernel* is an op of a function's body that does the work of one step of
the program: a loop nest (`linalg.generic`, which after fusion is a whole
elementwise chain with its reduction, `linalg.fill`, other linalg ops,
`scf` loops) or a BLAS call (`blas.*`), or a buffer copy. Kernel k (numbered
in order through the module) is bracketed with

    func.call @mlc_prof_enter(%k) : (i64) -> ()
    <kernel>
    func.call @mlc_prof_exit(%k) : (i64) -> ()

and the module gets `mlc.kernels = ["kind|label|file.py:12", ...]` naming
them (`kernel_labels`): the last part is the user's line of the op the kernel
came from (its location, which conversions and fusions carry down from the
mt op; a fused chain names its first op), left out when unknown. The timers are in `mlc.runtime.profiler`. Only profiled
functions run this pass (`function(..., profile=True)`), so ordinary code
has no timer calls at all.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from mlc.dialects.utils.locations import describe

ENTER, EXIT = "mlc_prof_enter", "mlc_prof_exit"
#: a loop's name in profiles, set by the lowering that made it (`scatter{add}`: mlc.passes.bufferize_scatter)
KERNEL_NAME = "mlc.kernel"


def is_kernel(op: Operation) -> bool:
    if op.name in ("linalg.yield", "scf.yield"):
        return False
    return op.dialect_name() in ("linalg", "blas", "scf") or op.name == "memref.copy"


def kernel_kind(op: Operation) -> str:
    """The 'Class' of a kernel in a profile: 'blas', 'loop nest' or 'copy'."""
    if op.dialect_name() == "blas":
        return "blas"
    return "copy" if op.name == "memref.copy" else "loop nest"


def kernel_label(op: Operation) -> str:
    """`blas.gemm`, `linalg.generic{addf,tanh,addf}` (the scalar ops of a loop nest), `linalg.fill`, ..."""
    if op.name == "linalg.generic" and op.regions:
        body = [o.name.split(".", 1)[-1] for o in op.regions[0].walk()
                if o.dialect_name() == "math" or (o.dialect_name() == "arith" and o.name.endswith("f"))
                or o.name == "memref.load"]
        if len(body) > 8:
            body = body[:8] + ["..."]
        reduction = any(str(t).endswith('"reduction">') or "reduction" in str(t)
                        for t in getattr(op, "iterator_types", ()))
        return f"{'reduction' if reduction else 'elementwise'}{{{','.join(body)}}}"
    named = op.attributes.get(KERNEL_NAME)  # loops a lowering made directly say what they are
    return named.data if isinstance(named, StringAttr) else op.name


def kernel_ops(module: ModuleOp) -> list[Operation]:
    """The kernels of every function defined in `module`, in order (what the pass numbers)."""
    out = []
    for f in module.ops:
        if isinstance(f, func.FuncOp) and not f.is_declaration and f.sym_name.data not in (ENTER, EXIT):
            for block in f.body.blocks:
                out += [op for op in block.ops if is_kernel(op)]
    return out


def kernel_row(op: Operation) -> tuple[str, str, str]:
    """(kind, label, the user's `file.py:line` or '') of a kernel."""
    return kernel_kind(op), kernel_label(op), describe(op)


def kernel_labels(module: ModuleOp) -> list[tuple[str, str, str]]:
    """(kind, label, where) of each kernel of an instrumented module (its `mlc.kernels` attribute)."""
    attr = module.attributes.get("mlc.kernels")
    if attr is None:
        return []
    return [tuple((s.data.split("|", 2) + ["", ""])[:3]) for s in attr.data]  # type: ignore[misc]


class ProfileKernelsPass(ModulePass):
    """Bracket each kernel with timer calls (see the module docstring)."""

    name = "profile-kernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_ops(op)
        if not kernels:
            return
        names = {f.sym_name.data for f in op.ops if isinstance(f, func.FuncOp)}
        for callee in (ENTER, EXIT):
            if callee not in names:
                op.body.block.add_op(func.FuncOp.external(callee, [i64], []))
        for k, kernel in enumerate(kernels):
            block = kernel.parent_block()
            assert block is not None
            ident = arith.ConstantOp(IntegerAttr(k, i64))
            block.insert_ops_before([ident, func.CallOp(ENTER, [ident], [])], kernel)
            block.insert_op_after(func.CallOp(EXIT, [ident], []), kernel)
        op.attributes["mlc.kernels"] = ArrayAttr([StringAttr("|".join(p for p in kernel_row(k) if p))
                                                  for k in kernels])
