"""Shared machinery of `convert-to-llvm`: types, the op emitter, module symbols.

Every lowering function in this package has the shape
`lower(op, e: Emitter) -> Sequence[SSAValue] | None`: it builds llvm-dialect
ops with `e`, which inserts them right before `op`, and returns the values
that replace `op`'s results (None for ops without results, which the driver
then simply erases).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import func, llvm
from xdsl.dialects.builtin import (
    AnyFloat,
    ComplexType,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from mlc.lowering import LoweringError

PTR = llvm.LLVMPointerType()


class ConvertToLLVMError(LoweringError):
    """convert-to-llvm met IR outside its contract: `ConvertToLLVMError(op, message)`."""

    def __init__(self, op: Operation | None, message: str):
        where = f"'{op.name}': " if op is not None else ""
        super().__init__(f"convert-to-llvm: {where}{message}")


# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------


def llvm_type(t: Attribute, op: Operation | None = None) -> Attribute:
    """The llvm-dialect type of a scalar value: index -> i64, the rest unchanged."""
    if isinstance(t, IndexType):
        return i64
    if isinstance(t, ComplexType):
        return complex_struct(t)
    if isinstance(t, MemRefType):
        raise ConvertToLLVMError(op, f"memref value {t} cannot become a scalar")
    return t


def complex_struct(t: ComplexType) -> llvm.LLVMStructType:
    """`complex<f64>` -> `!llvm.struct<(f64, f64)>`: real part first, numpy's layout."""
    return llvm.LLVMStructType.from_type_list([t.element_type, t.element_type])


def storage_type(element: Attribute) -> Attribute:
    """How one memref element sits in memory.

    `i1` occupies one byte holding 0 or 1 (numpy's bool layout), `index`
    is an i64; everything else is stored as itself.
    """
    if element == i1:
        return i8
    if isinstance(element, IndexType):
        return i64
    if isinstance(element, ComplexType):
        return complex_struct(element)
    return element


def bit_width(t: Attribute) -> int:
    if isinstance(t, IntegerType):
        return t.width.data
    if isinstance(t, IndexType):
        return 64
    if isinstance(t, llvm.LLVMStructType):  # a complex number: two parts
        return sum(bit_width(part) for part in t.types.data)
    assert isinstance(t, AnyFloat), t
    return t.bitwidth


def byte_size(element: Attribute) -> int:
    return max(1, bit_width(storage_type(element)) // 8)


# ---------------------------------------------------------------------------
# Module-level symbols: external functions (libm, libc, BLAS) and helpers
# ---------------------------------------------------------------------------


class Symbols:
    """Per-module lowering state: external declarations, stack-promoted buffers.

    Declares each external function once, at the module's top.
    """

    def __init__(self, module: ModuleOp):
        self.module = module
        # Every symbol already there, func.func included: a user declaration
        # `func.func private @erff(f32) -> f32` becomes the llvm.func itself.
        self.names = {
            op.sym_name.data
            for op in module.ops
            if isinstance(op, llvm.FuncOp | llvm.GlobalOp | func.FuncOp)
        }
        # Pointers of memref.alloc buffers placed on the stack: their
        # memref.dealloc lowers to nothing.
        self.stack_buffers: set[SSAValue] = set()
        #: pointer block arguments (memrefs an scf.if yields): whether each incoming pointer is a stack buffer
        self.incoming_stack: dict[SSAValue, list[bool]] = {}

    def declare(self, name: str, inputs: Sequence[Attribute], output: Attribute) -> str:
        """Declare `name : (inputs) -> output` as an external C function."""
        if name not in self.names:
            ftype = llvm.LLVMFunctionType(list(inputs), output)
            decl = llvm.FuncOp(name, ftype, linkage=llvm.LinkageAttr("external"))
            self.insert(decl)
        return name

    def insert(self, op: llvm.FuncOp | llvm.GlobalOp) -> None:
        block = self.module.body.block
        if block.first_op is None:
            block.add_op(op)
        else:
            block.insert_op_before(op, block.first_op)
        self.names.add(op.sym_name.data)


# ---------------------------------------------------------------------------
# The emitter
# ---------------------------------------------------------------------------


class Emitter:
    """Inserts new ops right before `anchor`, wherever `anchor` currently lives.

    Block splitting (see `counted_loop`) moves the anchor into a new block;
    the emitter follows it, so lowering code never tracks insertion points.
    """

    def __init__(self, anchor: Operation, symbols: Symbols):
        self.anchor = anchor
        self.symbols = symbols

    def op(self, new_op: Operation) -> Operation:
        block = self.anchor.parent_block()
        assert block is not None
        block.insert_op_before(new_op, self.anchor)
        return new_op

    def __call__(self, new_op: Operation) -> SSAValue:
        """Insert `new_op` and return its single result."""
        self.op(new_op)
        return new_op.results[0]

    # constants ------------------------------------------------------------

    def const(self, value: int | float | bool, t: Attribute) -> SSAValue:
        if isinstance(t, AnyFloat):
            return self(llvm.ConstantOp(FloatAttr(float(value), t), t))
        assert isinstance(t, IntegerType), t
        if t.width.data == 1:
            value = 1 if value else 0
        return self(llvm.ConstantOp(IntegerAttr(int(value), t), t))

    def i64(self, value: int) -> SSAValue:
        return self.const(value, i64)

    def i32(self, value: int) -> SSAValue:
        return self.const(value, i32)

    # common instruction shapes ---------------------------------------------

    def icmp(self, predicate: str, lhs: SSAValue, rhs: SSAValue) -> SSAValue:
        flag = llvm.ICmpPredicateFlag(predicate)
        return self(llvm.ICmpOp(lhs, rhs, IntegerAttr(flag.to_int(), i64)))

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(llvm.SelectOp(cond, a, b))

    def intrinsic(
        self, name: str, args: Sequence[SSAValue], result: Attribute | None
    ) -> SSAValue | None:
        """Call `llvm.<name>` by its full, type-mangled name (`llvm.smax.i32`)."""
        op = llvm.CallIntrinsicOp(name, list(args), [result] if result else [])
        self.op(op)
        return op.results[0] if result else None

    def call(
        self, name: str, args: Sequence[SSAValue], result: Attribute | None
    ) -> SSAValue | None:
        """Call an external C function, declaring it on first use."""
        self.symbols.declare(
            name, [a.type for a in args], result or llvm.LLVMVoidType()
        )
        op = llvm.CallOp(name, *args, return_type=result)
        self.op(op)
        return op.results[0] if result else None

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(llvm.MulOp(a, b))

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self(llvm.AddOp(a, b))

    def gep(self, ptr: SSAValue, index: SSAValue, element: Attribute) -> SSAValue:
        """`getelementptr inbounds element, ptr, index` on a linear element index."""
        return self(
            llvm.GEPOp(
                ptr, [llvm.GEP_USE_SSA_VAL], element, ssa_indices=[index], inbounds=True
            )
        )

    # control flow -------------------------------------------------------------

    def return_if(self, failed: SSAValue, hook: str, args: Sequence[SSAValue]) -> None:
        """If `failed`: call the runtime's `hook(args)` and return from the function.

        Native code cannot raise: a failure (an allocation that returned
        NULL) is reported to the runtime, which raises in Python once the
        call returns; the function stops here instead of using the result.

            pre:   ...; cond_br failed, ^fail, ^rest
            ^fail: call hook(args); ret (a zero of the result type, if any)
            ^rest: anchor; rest of the original block
        """
        pre = self.anchor.parent_block()
        assert pre is not None and pre.parent is not None
        rest = pre.split_before(self.anchor)
        fail = Block()
        pre.parent.insert_block_after([fail], pre)
        pre.add_op(llvm.CondBrOp(failed, fail, [], rest, []))
        placeholder = llvm.UnreachableOp()
        fail.add_op(placeholder)
        inner = Emitter(placeholder, self.symbols)
        inner.call(hook, args, None)
        outputs = _enclosing_function_outputs(self.anchor)
        value = inner(llvm.ZeroOp(llvm_type(outputs[0]))) if outputs else None
        inner.op(llvm.ReturnOp(value))
        fail.erase_op(placeholder)

    def counted_loop(
        self,
        count: SSAValue,
        inits: Sequence[SSAValue],
        body: Callable[[Emitter, SSAValue, Sequence[SSAValue]], Sequence[SSAValue]],
    ) -> Sequence[SSAValue]:
        """Emit `for i in range(count)` with loop-carried values; return them at exit.

        The current block is split at the anchor:

            pre:  ...; br ^header(0, inits)
            ^header(i, args): cond_br i < count, ^body, ^exit
            ^body: new = body(i, args); br ^header(i + 1, new)
            ^exit: anchor; rest of the original block
        """
        pre = self.anchor.parent_block()
        assert pre is not None and pre.parent is not None
        region = pre.parent
        exit_block = pre.split_before(self.anchor)
        header = Block(arg_types=[i64, *(v.type for v in inits)])
        body_block = Block()
        region.insert_block_after([header, body_block], pre)

        zero = llvm.ConstantOp(IntegerAttr(0, i64), i64)
        pre.add_ops([zero, llvm.BrOp(header, zero.result, *inits)])

        iv, *args = header.args
        cond = llvm.ICmpOp(
            iv, count, IntegerAttr(llvm.ICmpPredicateFlag("slt").to_int(), i64)
        )
        header.add_ops([cond, llvm.CondBrOp(cond.res, body_block, [], exit_block, [])])

        one = llvm.ConstantOp(IntegerAttr(1, i64), i64)
        body_block.add_op(one)
        latch_anchor = llvm.UnreachableOp()  # placeholder, replaced below
        body_block.add_op(latch_anchor)
        inner = Emitter(latch_anchor, self.symbols)
        new_args = body(inner, iv, args)
        next_iv = inner(llvm.AddOp(iv, one.result))
        inner.op(llvm.BrOp(header, next_iv, *new_args))
        # a nested loop in `body` may have moved the placeholder to a later block
        latch_anchor.parent_block().erase_op(latch_anchor)  # type: ignore[union-attr]
        return args


def _enclosing_function_outputs(op: Operation) -> list[Attribute]:
    """Result types of the `func.func` (or already converted `llvm.func`) around `op`."""
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp | llvm.FuncOp):
        parent = parent.parent_op()
    if isinstance(parent, func.FuncOp):
        return list(parent.function_type.outputs.data)
    if isinstance(parent, llvm.FuncOp):
        out = parent.function_type.output
        return [] if isinstance(out, llvm.LLVMVoidType) else [out]
    return []
