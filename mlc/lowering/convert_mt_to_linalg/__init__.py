"""`convert-mt-to-linalg`: the tensor-level dialect `mt` -> linalg on tensors.

Pre-condition: `func.func`s whose bodies are mt ops (plus `tensor.cast`),
on tensors of i1, i8..i64, ui8..ui64, f32, f64, complex<f32> or complex<f64>
(f16 is not supported at the loop level and is rejected with an error).
Complex scalars are `complex` dialect ops in the bodies (`complex.add`,
`complex.re`, ...), which `expand-complex` writes out in arith/math.

Afterwards: no mt op is left but `mt.mrg_uniform` (random numbers: a
recurrence, which `bufferize` turns into loops) and the LAPACK ops
(`mt.cholesky`, `mt.solve`, `mt.inverse`, `mt.det`, `mt.eigh`, `mt.svd`, `mt.qr`, which `bufferize`
turns into `lapack.*` calls), a float `mt.csr_dot` (CSR x dense, which
`bufferize` turns into row loops) and `mt.scatter` (on signless operands:
`bufferize` writes its sequential loop over the index positions); every function computes the same values
(numpy semantics, see `mlc.dialects.mt.reference`) with
`linalg.generic`/`linalg.fill`/`linalg.matmul` on tensors, `tensor.empty`,
`tensor.dim`, `tensor.extract`, `tensor.from_elements`, `tensor.cast`,
dense `arith.constant`s, and scalar `arith`/`math`/`scf` code, all with
signless element types (ui32 -> i32; the signedness is resolved into the
choice of op: `arith.divui`, `arith.cmpi ult`, `arith.uitofp`...). Calls to
libm (`fmod`, `erfc` and their `f` forms) are declared `func.func private`
in the module. `bufferize` takes it from here.

How ops map:

* elementwise ops, `mt.cast`, `mt.select`: one parallel `linalg.generic`
  whose body is the op's scalar meaning (`mlc.lowering.convert_mt_to_linalg.scalar_math`);
  splat-constant operands become scalar constants in the body; 0-d
  operands skip the generic: plain scalar code + `tensor.from_elements`;
* `mt.broadcast`/`mt.dimshuffle`: a copy generic, with constant-0 map
  results for broadcast dims and a permuted map for the shuffle;
* reductions: `linalg.fill` with the identity, then a generic with
  reduction iterators; `mt.argmax`/`argmin` carry (value, index) in two
  outputs so the first extreme (or first NaN) wins, as in numpy;
* `mt.dot`: `linalg.matmul` for matrix @ matrix, a contraction generic
  for the vector cases (`bufferize` turns f32/f64 ones into BLAS);
* `mt.slice`/`index`/`concatenate`/`reshape`/`arange`/`eye`: "gather"
  generics with only an output, whose body computes the source position
  from `linalg.index` and reads it with `tensor.extract`; Python slice
  semantics (`slice.indices(n)`) are computed in `arith` on index values,
  folded away when everything is static;
* `mt.shape`: `tensor.from_elements` of the dims; `mt.constant`:
  `arith.constant` with the dense value; softmax/log_softmax: max, then
  sum of exp(x - max), then the quotient (or difference of logs).
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

import numpy as np
from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, math, tensor
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    Float16Type,
    FunctionType,
    ModuleOp,
    TensorType,
    UnknownLoc,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.dialects import mt
from mlc.dialects.utils.locations import stamp_inserted
from mlc.dialects.utils.linalg_builders import (
    MapSpec,
    const,
    emit,
    generic,
    i64,
    identity_spec,
    index,
    is_complex,
    is_float,
    is_unsigned,
    signless,
)
from mlc.lowering.convert_mt_to_linalg import scalar_math
from mlc.lowering.convert_mt_to_linalg.gather import lower_gather, lower_scatter
from mlc.lowering.convert_mt_to_linalg.sparse import lower_csr_dot, lower_sampled_dot
from mlc.lowering.convert_mt_to_linalg.window import lower_patches, lower_unpatches
from mlc.lowering import LoweringError
from mlc.lowering.convert_mt_to_linalg.lowering import (
    Lowering,
    LoweringFn,
    cast_root,
    result_type,
)
from mlc.lowering.convert_mt_to_linalg.scalar_math import ScalarBuilder
from mlc.lowering.convert_mt_to_linalg.shapes import (
    lower_arange,
    lower_broadcast,
    lower_concatenate,
    lower_dimshuffle,
    lower_eye,
    lower_index,
    lower_insert_index,
    lower_insert_slice,
    lower_reshape,
    lower_shape,
    lower_slice,
)

# ===----------------------------------------------------------------------=== #
# Elementwise ops, select, cast, constant
# ===----------------------------------------------------------------------=== #


def lower_unary(cx: Lowering, op: Operation) -> SSAValue:
    elt = cx.mt_type(op.operands[0]).element_type
    return cx.map_elementwise(
        [cx.v(op.operands[0])], result_type(op), lambda s, a: scalar_math.unary(s, type(op), elt, a[0])
    )


def lower_binary(cx: Lowering, op: Operation) -> SSAValue:
    elt = cx.mt_type(op.operands[0]).element_type
    return cx.map_elementwise(
        [cx.v(o) for o in op.operands], result_type(op), lambda s, a: scalar_math.binary(s, type(op), elt, a[0], a[1])
    )


def lower_select(cx: Lowering, op: mt.SelectOp) -> SSAValue:
    return cx.map_elementwise([cx.v(o) for o in op.operands], result_type(op), lambda s, a: s.select(a[0], a[1], a[2]))


def lower_cast(cx: Lowering, op: mt.CastOp) -> SSAValue:
    source = cx.mt_type(op.input).element_type
    target = op.result.type.element_type
    return cx.map_elementwise([cx.v(op.input)], result_type(op), lambda s, a: scalar_math.cast(s, a[0], source, target))


def lower_constant(cx: Lowering, op: mt.ConstantOp) -> SSAValue:
    value = op.value
    t = signless(value.type)
    if t != value.type:
        assert isinstance(t, TensorType)
        value = DenseIntOrFPElementsAttr(t, value.data)
    return emit(cx.b, arith.ConstantOp(value))


def lower_tensor_cast(cx: Lowering, op: tensor.CastOp) -> SSAValue:
    t = signless(op.dest.type)
    assert isinstance(t, TensorType)
    return emit(cx.b, tensor.CastOp(cx.v(op.source), t))


# ===----------------------------------------------------------------------=== #
# Reductions
# ===----------------------------------------------------------------------=== #


def _extreme(elt: Attribute, largest: bool) -> int | float:
    """The identity of max (largest=False gives the smallest value) / min."""
    if is_float(elt):
        return pymath.inf if largest else -pymath.inf
    width = elt.width.data  # type: ignore[attr-defined]
    if is_unsigned(elt):
        return (1 << width) - 1 if largest else 0
    return (1 << (width - 1)) - 1 if largest else -(1 << (width - 1))


# mt reduction -> (identity for an element type, combine(s, elt, acc, x))
REDUCTIONS: dict[type, tuple[Callable[[Attribute], int | float], scalar_math.Binary]] = {
    mt.ReduceSumOp: (lambda elt: 0, scalar_math.BINARY[mt.AddOp]),
    mt.ReduceProdOp: (lambda elt: 1, scalar_math.BINARY[mt.MulOp]),
    mt.ReduceMaxOp: (lambda elt: _extreme(elt, False), scalar_math.BINARY[mt.MaxOp]),
    mt.ReduceMinOp: (lambda elt: _extreme(elt, True), scalar_math.BINARY[mt.MinOp]),
    mt.ReduceAnyOp: (lambda elt: 0, scalar_math.BINARY[mt.OrOp]),
    mt.ReduceAllOp: (lambda elt: 1, scalar_math.BINARY[mt.AndOp]),
}


def reduce(
    cx: Lowering,
    x: SSAValue,
    axes: Sequence[int],
    result: TensorType,
    identity: int | float,
    combine: Callable[[ScalarBuilder, SSAValue, Sequence[SSAValue]], SSAValue],
    extra: Sequence[SSAValue] = (),
) -> SSAValue:
    """Reduce x over `axes` into a fresh tensor filled with `identity`.

    `combine(s, acc, [x_elt, *extra_elts])`; `extra` operands have the
    result's dims (read at the kept loops), e.g. the max in softmax.
    """
    rank = x.type.get_num_dims()  # type: ignore[attr-defined]
    kept = tuple(i for i in range(rank) if i not in axes)
    if not extra and cx.scalarizable(x):
        shape = list(cast_root(x).type.get_shape())  # type: ignore[attr-defined]

        def element(idx: list[int]) -> SSAValue:
            s = cx.scalar_emitter()
            acc = const(cx.b, identity, result.element_type)
            for inner in np.ndindex(*[shape[a] for a in axes]):
                position = dict(zip(kept, idx)) | dict(zip(axes, inner))
                acc = combine(s, acc, [cx.extract(x, [position[i] for i in range(rank)])])
            return acc

        if (out := cx.from_grid(result, [shape[i] for i in kept], element)) is not None:
            return out
    init = cx.filled(result, [cx.dim(x, i) for i in kept], identity)
    iterators = ["reduction" if i in axes else "parallel" for i in range(rank)]

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        *elements, acc = args
        return [combine(cx.scalar_emitter(b), acc, elements)]

    maps = [identity_spec(rank), *[kept] * len(extra), kept]
    out = generic(cx.b, [x, *extra], [init], maps, iterators, build)[0]
    return cx.known_dims(out, [cx.dim(init, i) for i in range(len(kept))])


def lower_reduce(cx: Lowering, op: mt.ReduceOp) -> SSAValue:
    x = cx.v(op.input)
    elt = cx.mt_type(op.input).element_type
    axes = list(op.axes.get_values())
    if not axes:
        return cx.map_elementwise([x], result_type(op), lambda s, a: a[0])
    identity, combine = REDUCTIONS[type(op)]
    return reduce(cx, x, axes, result_type(op), identity(elt), lambda s, acc, e: combine(s, elt, acc, e[0]))


def lower_argreduce(cx: Lowering, op: mt.ArgReduceOp) -> SSAValue:
    """The index of the best element so far is the only output (filled with
    0); the body reads the best value back from x at that index. A
    candidate replaces it only if strictly better, or if it is the first
    NaN: numpy's first-occurrence rule (the loop runs the axis in order).

    One output rather than a (value, index) pair: no temporary buffer, and
    xDSL cannot parse back the printed form of a two-result generic."""
    x = cx.v(op.input)
    elt = cx.mt_type(op.input).element_type
    rank = cx.mt_type(op.input).get_num_dims()
    axis = op.axis.value.data
    kept = tuple(i for i in range(rank) if i != axis)
    sizes = [cx.dim(x, i) for i in kept]
    positions = cx.filled(result_type(op), sizes, 0)
    better_type = mt.GtOp if isinstance(op, mt.ArgMaxOp) else mt.LtOp

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        s = cx.scalar_emitter(b)
        candidate, best_index = args
        loops = [emit(b, linalg.IndexOp(i)) for i in range(rank)]
        at_best = [*loops[:axis], emit(b, arith.IndexCastOp(best_index, index)), *loops[axis + 1 :]]
        best = cx.extract(x, at_best, b)
        better = scalar_math.compare(s, better_type, elt, candidate, best)
        if is_float(elt):
            first_nan = s(arith.AndIOp(s.cmpf("uno", candidate, candidate), s.cmpf("ord", best, best)))
            better = s(arith.OrIOp(better, first_nan))
        return [s.select(better, s(arith.IndexCastOp(loops[axis], i64)), best_index)]

    iterators = ["reduction" if i == axis else "parallel" for i in range(rank)]
    out = generic(cx.b, [x], [positions], [identity_spec(rank), kept], iterators, build)[0]
    return cx.known_dims(out, sizes)


# ===----------------------------------------------------------------------=== #
# Contraction
# ===----------------------------------------------------------------------=== #

# (lhs rank, rhs rank) -> (loops, lhs map, rhs map, out map, iterators)
CONTRACTIONS: dict[tuple[int, int], tuple[MapSpec, MapSpec, MapSpec, tuple[str, ...]]] = {
    (2, 2): ((0, 2), (2, 1), (0, 1), ("parallel", "parallel", "reduction")),  # matmul
    (2, 1): ((0, 1), (1,), (0,), ("parallel", "reduction")),  # matvec
    (1, 2): ((1,), (1, 0), (0,), ("parallel", "reduction")),  # vecmat
    (1, 1): ((0,), (0,), (), ("reduction",)),  # dot
}


def contraction_body(elt: Attribute) -> Callable[[Builder, Sequence[BlockArgument]], list[SSAValue]]:
    """acc + a * b."""

    def build(b: Builder, args: Sequence[BlockArgument]) -> list[SSAValue]:
        a, c, acc = args
        add, mul = scalar_math.BINARY[mt.AddOp], scalar_math.BINARY[mt.MulOp]
        s = ScalarBuilder(b, {})
        return [add(s, elt, acc, mul(s, elt, a, c))]

    return build


def lower_dot(cx: Lowering, op: mt.DotOp) -> SSAValue:
    a, c = cx.v(op.lhs), cx.v(op.rhs)
    ranks = (a.type.get_num_dims(), c.type.get_num_dims())  # type: ignore[attr-defined]
    result = result_type(op)
    sizes = [cx.dim(a, 0)] if ranks[0] == 2 else []
    if ranks[1] == 2:
        sizes.append(cx.dim(c, 1))
    init = cx.filled(result, sizes, 0)
    if ranks == (2, 2) and not is_complex(result.element_type):  # xDSL's linalg.matmul: int and float only
        matmul = linalg.MatmulOp([a, c], [init])
        cx.b.insert(matmul)
        return cx.known_dims(matmul.results[0], sizes)
    lhs, rhs, out, iterators = CONTRACTIONS[ranks]
    body = contraction_body(result.element_type)
    return cx.known_dims(generic(cx.b, [a, c], [init], [lhs, rhs, out], iterators, body)[0], sizes)


# ===----------------------------------------------------------------------=== #
# Softmax
# ===----------------------------------------------------------------------=== #


def lower_softmax(cx: Lowering, op: mt.SoftmaxFamilyOp) -> SSAValue:
    """Stable, with one exp per element: m = max(x, axis);
    softmax: e = exp(x - m), s = sum(e, axis), e / s;
    log_softmax: s = sum(exp(x - m), axis), (x - m) - log(s).

    The exp dominates the cost (a float32 exp costs ~10x a memory pass), so
    softmax stores e and sums it rather than computing exp twice (or, as an
    online softmax does, max and sum in one pass, at the price of a second
    exp per element when the output is written); `fuse-elementwise` keeps
    e in a buffer since it has two users and costs a math function. The
    float32 exps are marked `afn`: the float32-arithmetic exp (< 2 ulp),
    whose error the division's and the sum's rounding are of the same size as."""
    x = cx.v(op.input)
    result = result_type(op)
    elt = result.element_type
    rank = result.get_num_dims()
    axis = op.axis.value.data
    kept = tuple(i for i in range(rank) if i != axis)
    reduced = TensorType(elt, [d for i, d in enumerate(result.get_shape()) if i != axis])
    maximum = reduce(cx, x, [axis], reduced, -pymath.inf, lambda s, acc, e: s(arith.MaximumfOp(acc, e[0])))
    maps = [identity_spec(rank), kept]
    approx = arith.FastMathFlagsAttr(["afn"])

    def shifted(s: ScalarBuilder, e: Sequence[SSAValue]) -> SSAValue:
        return s(arith.SubfOp(e[0], e[1]))

    def exp(s: ScalarBuilder, v: SSAValue) -> SSAValue:
        return s(math.ExpOp(v, approx))

    if isinstance(op, mt.SoftmaxOp):
        e = cx.map_elementwise([x, maximum], result, lambda s, a: exp(s, shifted(s, a)), maps=maps,
                               sizes=cx.shape(x))
        total = reduce(cx, e, [axis], reduced, 0.0, lambda s, acc, a: s(arith.AddfOp(acc, a[0])))
        return cx.map_elementwise([e, total], result, lambda s, a: s(arith.DivfOp(a[0], a[1])), maps=maps,
                                  sizes=cx.shape(x))

    def add_exp(s: ScalarBuilder, acc: SSAValue, a: Sequence[SSAValue]) -> SSAValue:
        return s(arith.AddfOp(acc, exp(s, shifted(s, a))))

    total = reduce(cx, x, [axis], reduced, 0.0, add_exp, extra=[maximum])

    def body(s: ScalarBuilder, a: Sequence[SSAValue]) -> SSAValue:
        return s(arith.SubfOp(shifted(s, a), s(math.LogOp(a[2]))))

    return cx.map_elementwise([x, maximum, total], result, body, maps=[identity_spec(rank), kept, kept],
                              sizes=cx.shape(x))


# ===----------------------------------------------------------------------=== #
# The table and the pass
# ===----------------------------------------------------------------------=== #

LOWERINGS: dict[type[Operation], LoweringFn] = {
    mt.ConstantOp: lower_constant,  # mt.constant -> arith.constant dense<...>
    mt.SelectOp: lower_select,  # -> generic { arith.select }
    mt.CastOp: lower_cast,  # -> generic { ext/trunc/itofp/fptoi/cmp ne 0 }
    mt.ShapeOp: lower_shape,  # -> tensor.from_elements of tensor.dim
    mt.BroadcastOp: lower_broadcast,  # -> copy generic, constant-0 map dims
    mt.DimShuffleOp: lower_dimshuffle,  # -> copy generic, permuted map
    mt.ReshapeOp: lower_reshape,  # -> gather generic
    mt.SliceOp: lower_slice,  # -> gather generic
    mt.IndexOp: lower_index,  # -> gather generic
    mt.ConcatenateOp: lower_concatenate,  # -> gather generic with scf.if
    mt.InsertSliceOp: lower_insert_slice,  # -> gather generic over dest with scf.if
    mt.InsertIndexOp: lower_insert_index,  # -> gather generic over dest with scf.if
    mt.GatherOp: lower_gather,  # -> gather generic, indices read with tensor.extract
    mt.ScatterOp: lower_scatter,  # -> mt.scatter on signless operands: bufferize writes its loop
    mt.ArgMaxOp: lower_argreduce,  # -> fill 0 + reduction generic over indices
    mt.ArgMinOp: lower_argreduce,
    mt.DotOp: lower_dot,  # -> fill + linalg.matmul / contraction generic
    mt.ArangeOp: lower_arange,  # -> gather generic
    mt.EyeOp: lower_eye,  # -> gather generic
    mt.SoftmaxOp: lower_softmax,  # -> 2 reductions + generic
    mt.PatchesOp: lower_patches,  # -> gather generic (im2col), pad value where it reads outside
    mt.UnpatchesOp: lower_unpatches,  # -> gather generic over the image (col2im), window unrolled
    mt.LogSoftmaxOp: lower_softmax,
    mt.CsrDotOp: lower_csr_dot,  # -> gather generic over (row, col), scf.for over the row's entries
    mt.SampledDotOp: lower_sampled_dot,  # -> gather generic over the entries, scf.for over the depth
    tensor.CastOp: lower_tensor_cast,  # -> tensor.cast with signless types
    **{t: lower_reduce for t in REDUCTIONS},  # -> fill + reduction generic
    **{t: lower_unary for t in [*scalar_math.FLOAT_MATH, *scalar_math.UNARY]},  # -> generic
    **{t: lower_binary for t in [*scalar_math.BINARY, *scalar_math.COMPARE]},  # -> generic
}

UNSUPPORTED_ELEMENTS = (Float16Type,)


def _where(op: Operation) -> str:
    """` (at <loc>)` when the op carries a location (the user's line)."""
    return "" if isinstance(op.location, UnknownLoc) else f" (at {op.location})"


def _check_types(op: Operation) -> None:
    for v in (*op.operands, *op.results):
        t = v.type
        if isinstance(t, TensorType) and isinstance(t.element_type, UNSUPPORTED_ELEMENTS):
            raise LoweringError(
                f"convert-mt-to-linalg: {op.name} on {t}: {t.element_type} tensors are not "
                f"supported at the loop level (element types: i1, i8-i64, ui8-ui64, f32, f64){_where(op)}"
            )


def convert_function(f: func.FuncOp, externs: dict[str, FunctionType]) -> None:
    """Convert one function's body and signature (see the module docstring)."""
    if f.is_declaration:
        return
    block = f.body.blocks[0]
    cx = Lowering(Builder(InsertPoint.at_start(block)), externs)
    # 1. Signless arguments, remembering the mt types for signedness.
    for arg in list(block.args):
        new_type = signless(arg.type)
        if new_type != arg.type:
            old_type = arg.type
            new_arg = Rewriter.replace_value_with_new_type(arg, new_type)
            cx.arg_types[new_arg] = old_type
    # 2. Lower each op in order; the old ops stay until step 3.
    lowered: list[Operation] = []
    lower_block(cx, block, lowered)
    # 3. Drop the old ops, users first.
    for op in reversed(lowered):
        op.detach()
        op.erase()
    inputs = [a.type for a in block.args]
    outputs = [signless(t) for t in f.function_type.outputs.data]
    f.function_type = FunctionType.from_lists(inputs, outputs)


def _left_for_bufferize(op: Operation) -> bool:
    """mt ops `bufferize` turns into loops or calls itself: LAPACK, and a float `mt.csr_dot`
    (row loops whose innermost loop runs along rows of b: mlc.passes.bufferize_sparse)."""
    if isinstance(op, mt.lapack.LAPACK_OPS):
        return True
    return isinstance(op, mt.CsrDotOp) and isinstance(op.result.type.element_type, AnyFloat)


def lower_block(cx: Lowering, block: Block, lowered: list[Operation]) -> None:
    """Lower the mt ops of `block` in order (and those in the regions of its
    other ops: the branches of an `scf.if`), appending them to `lowered`."""
    for op in list(block.ops):
        lower = None if _left_for_bufferize(op) else LOWERINGS.get(type(op))
        if lower is None:
            if isinstance(op, mt.MtOp) and not _left_for_bufferize(op):
                raise LoweringError(f"convert-mt-to-linalg: no lowering for {op.name}{_where(op)}")
            for i, v in enumerate(op.operands):
                op.operands[i] = cx.v(v)
            if op.regions:
                lower_regions(cx, op, lowered)
            continue
        _check_types(op)
        cx.b.insertion_point = InsertPoint.before(op)
        before = op.prev_op
        cx.values[op.results[0]] = lower(cx, op)
        stamp_inserted(block, before, op, op)  # the new ops keep the user's line
        lowered.append(op)


def lower_regions(cx: Lowering, op: Operation, lowered: list[Operation]) -> None:
    """The regions of a control-flow op (`scf.if`, `scf.for` on tensors): each block lowered
    on its own (index constants and dims made inside stay inside), and the
    op's tensor results made signless like every other tensor."""
    for region in op.regions:
        for inner in region.blocks:
            for arg in list(inner.args):  # a loop's carried tensors
                new_type = signless(arg.type) if isinstance(arg.type, TensorType) else arg.type
                if new_type != arg.type:
                    old_type = arg.type
                    cx.arg_types[Rewriter.replace_value_with_new_type(arg, new_type)] = old_type
            saved = dict(cx.dims), dict(cx.constants)
            lower_block(cx, inner, lowered)
            cx.dims, cx.constants = saved
    for r in op.results:
        new_type = signless(r.type) if isinstance(r.type, TensorType) else r.type
        if new_type != r.type:
            old_type = r.type
            cx.arg_types[Rewriter.replace_value_with_new_type(r, new_type)] = old_type


def declare_externs(module: ModuleOp, externs: dict[str, FunctionType]) -> None:
    """Add `func.func private @name(...)` for each libm function called."""
    existing = {op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)}
    for name, t in sorted(externs.items()):
        if name not in existing:
            decl = func.FuncOp.external(name, t.inputs.data, t.outputs.data)
            module.body.block.add_op(decl)


class ConvertMtToLinalgPass(ModulePass):
    """Lower mt ops to linalg on tensors (+ tensor/arith/math/scf), signless.

    Pre: func.funcs of mt ops on i1/int/uint/f32/f64 tensors.
    Post: no mt op; linalg.generic/fill/matmul on tensors, tensor.empty/dim/
    extract/from_elements/cast, arith/math/scf scalars; libm calls declared.
    """

    name = "convert-mt-to-linalg"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        externs: dict[str, FunctionType] = {}
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                convert_function(f, externs)
        declare_externs(op, externs)
