"""convert-gpu-to-nvvm: the device side of a GPU module, with NVVM intrinsics.

Pre-condition: the output of `convert-linalg-to-gpu`. Post-condition: a
module holding only the kernels, for `nvptx64-nvidia-cuda`
(`llvm.target_triple`): each `gpu.func` is a public `func.func` marked
`mlc.kernel` (the PTX emitter gives it the `ptx_kernel` calling
convention); the host functions and the `gpu.module` are gone (the host
side is run by `mlc.runtime.gpu` from the module before this pass).

Inside the kernels (one table, `SREGS`, for the ids):

    gpu.thread_id x    -> llvm.nvvm.read.ptx.sreg.tid.x     (i32, cast to index)
    gpu.block_id x     -> llvm.nvvm.read.ptx.sreg.ctaid.x
    gpu.block_dim x    -> llvm.nvvm.read.ptx.sreg.ntid.x
    gpu.grid_dim x     -> llvm.nvvm.read.ptx.sreg.nctaid.x
    gpu.barrier        -> llvm.nvvm.barrier.cta.sync.aligned.all(0)   (bar.sync 0)
    gpux.shuffle_down  -> llvm.nvvm.shfl.sync.down.{i32,f32}(0xffffffff, v, offset, 31);
                          64-bit values as two 32-bit shuffles, narrower ints widened

Shared memory (`memref.alloca` in memory space 3) stays as it is here;
`convert-to-llvm` turns it into an `addrspace(3)` global. Math is left to
`convert-math-to-libdevice`.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func, gpu, llvm
from xdsl.dialects.builtin import (
    AnyFloat,
    Float32Type,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    i32,
    i64,
)
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from mlc.dialects import gpux

TRIPLE = "nvptx64-nvidia-cuda"
KERNEL_ATTR = "mlc.kernel"

# gpu id op -> PTX special register
SREGS: dict[type[Operation], str] = {
    gpu.ThreadIdOp: "tid",  # thread_id -> %tid
    gpu.BlockIdOp: "ctaid",  # block_id -> %ctaid
    gpu.BlockDimOp: "ntid",  # block_dim -> %ntid
    gpu.GridDimOp: "nctaid",  # grid_dim -> %nctaid
}

BARRIER = "llvm.nvvm.barrier.cta.sync.aligned.all"
FULL_MASK = -1  # all 32 lanes (0xffffffff as an i32)
SHUFFLE_CLAMP = 31  # shfl.down: the last lane of the (whole) warp


def _i32(value: int) -> arith.ConstantOp:
    return arith.ConstantOp(IntegerAttr(value, i32, truncate_bits=True))


def lower_id(op: Operation) -> list[Operation]:
    dim = op.dimension.data.value  # type: ignore[attr-defined]
    read = llvm.CallIntrinsicOp(f"llvm.nvvm.read.ptx.sreg.{SREGS[type(op)]}.{dim}", [], [i32])
    return [read, arith.IndexCastOp(read.results[0], IndexType())]


def _shuffle32(value: SSAValue, offset: int, t) -> list[Operation]:
    mask, off, clamp = _i32(FULL_MASK), _i32(offset), _i32(SHUFFLE_CLAMP)
    kind = "f32" if isinstance(t, Float32Type) else "i32"
    call = llvm.CallIntrinsicOp(f"llvm.nvvm.shfl.sync.down.{kind}", [mask.result, value, off.result, clamp.result],
                                [t])
    return [mask, off, clamp, call]


def lower_shuffle(op: gpux.ShuffleDownOp) -> list[Operation]:
    """Shuffles of 32-bit values directly; others through i32 pieces (the result is the last op's)."""
    v, t, offset = op.value, op.value.type, op.offset.value.data
    if t == i32 or isinstance(t, Float32Type):
        return _shuffle32(v, offset, t)
    ops: list[Operation] = []
    if isinstance(t, AnyFloat):  # f64 (f16 would need a widening; not produced by mlc yet)
        if t.bitwidth != 64:
            raise PassFailedException(f"convert-gpu-to-nvvm: no shuffle for {t}")
        bits = arith.BitcastOp(v, i64)
        ops.append(bits)
        v64 = bits.result
    elif isinstance(t, IndexType):
        cast = arith.IndexCastOp(v, i64)
        ops.append(cast)
        v64 = cast.result
    else:
        assert isinstance(t, IntegerType)
        width = t.width.data
        if width < 32:
            wide = arith.ExtUIOp(v, i32)
            ops += [wide, *_shuffle32(wide.result, offset, i32)]
            ops.append(arith.TruncIOp(ops[-1].results[0], t))
            return ops
        v64 = v
    # 64 bits: low and high halves
    low = arith.TruncIOp(v64, i32)
    c32 = arith.ConstantOp(IntegerAttr(32, i64))
    shifted = arith.ShRUIOp(v64, c32.result)
    high = arith.TruncIOp(shifted.result, i32)
    ops += [low, c32, shifted, high]
    sl = _shuffle32(low.result, offset, i32)
    sh = _shuffle32(high.result, offset, i32)
    ops += sl + sh
    lo64 = arith.ExtUIOp(sl[-1].results[0], i64)
    hi64 = arith.ExtUIOp(sh[-1].results[0], i64)
    hi_shift = arith.ShLIOp(hi64.result, c32.result)
    joined = arith.OrIOp(lo64.result, hi_shift.result)
    ops += [lo64, hi64, hi_shift, joined]
    if isinstance(t, AnyFloat):
        ops.append(arith.BitcastOp(joined.result, t))
    elif isinstance(t, IndexType):
        ops.append(arith.IndexCastOp(joined.result, t))
    return ops


def lower_kernel(kernel: gpu.FuncOp) -> func.FuncOp:
    for op in list(kernel.walk()):
        new: list[Operation] | None = None
        if type(op) in SREGS:
            new = lower_id(op)
        elif isinstance(op, gpu.BarrierOp):
            zero = _i32(0)
            new = [zero, llvm.CallIntrinsicOp(BARRIER, [zero.result], [])]
            Rewriter.insert_op(new, InsertPoint.before(op))
            Rewriter.erase_op(op)
            continue
        elif isinstance(op, gpux.ShuffleDownOp):
            new = lower_shuffle(op)
        elif isinstance(op, gpu.ReturnOp):
            Rewriter.replace_op(op, func.ReturnOp())
            continue
        if new is not None:
            Rewriter.insert_op(new, InsertPoint.before(op))
            op.results[0].replace_all_uses_with(new[-1].results[0])
            Rewriter.erase_op(op)
    body = kernel.body.clone()
    f = func.FuncOp(kernel.sym_name.data, kernel.function_type, body)
    f.attributes[KERNEL_ATTR] = UnitAttr()
    return f


class ConvertGPUToNVVMPass(ModulePass):
    """The kernels of a GPU module as NVPTX functions with NVVM intrinsics; host code dropped (see docstring)."""

    name = "convert-gpu-to-nvvm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels: list[func.FuncOp] = []
        for k in [k for k in op.ops if isinstance(k, gpu.ModuleOp)]:
            kernels += [lower_kernel(f) for f in k.body.block.ops if isinstance(f, gpu.FuncOp)]
        for top in list(op.ops):
            Rewriter.erase_op(top, safe_erase=False)
        op.body.block.add_ops(kernels)
        op.attributes.pop("gpu.container_module", None)
        op.attributes["llvm.target_triple"] = StringAttr(TRIPLE)
