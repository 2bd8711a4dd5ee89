"""`fuse-contraction`: fold transposes and `C + s*dot(A, B)` epilogues into BLAS contractions.

Pre-condition: linalg on tensors (after `convert-mt-to-linalg`; best after
`fuse-elementwise`, which gathers an epilogue into one generic). Only
f32/f64 contractions that `bufferize` turns into BLAS calls (see
`mlc.dialects.utils.contractions`) are touched.

Afterwards the same values are computed, with fewer loops and copies:

* transpose: a copy generic (body `yield %in`, its input read through a
  permutation) feeding an operand of a contraction is folded into that
  operand's indexing map; the contraction is rewritten as the
  equivalent generic, which `bufferize` still recognizes, now with
  `transa`/`transb` (gemm) or `trans` (gemv) set. `dot(A.T, B)` reads A
  in place instead of copying its transpose;
* epilogue: a parallel generic whose body is one of

      c + m * s,   c + s * m,   c + m,   m + c,   c - m,   c - m * s,   m * s,   s * m

  where `m` reads the contraction's result (its only use, through the
  identity map, the contraction's init a zero fill), `c` is not computed
  from `m` and `s` is loop-invariant (a value defined outside, a
  constant, or a scalar input), replaces the contraction and itself by one
  contraction that accumulates into `c` (BLAS beta = 1, the init is `c`:
  the tensor `c` reads when it is an input, else a new elementwise generic
  computing `c` from the epilogue's inputs) with the scalar as a third
  input (BLAS alpha):

      generic ins(%A, %B, %s) outs(%C) { acc + (a * b) * s }

  `C + s*dot(A, B)` becomes one `blas.gemm` with alpha = s, beta = 1
  writing into a copy of C (or C's own buffer when it is a dead
  temporary); `dot(A, v) + x` one `blas.gemv` with beta = 1.

`tanh(C) * 2 + 0.5 * dot(A, B)` is one loop computing `tanh(C) * 2` into
the result, then a gemm accumulating into it (alpha 0.5). Left out: beta
other than 1 (`b*C + dot` computes `b*C` in that loop rather than passing
beta = b); integer contractions are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, tensor
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    DenseArrayBase,
    IndexType,
    ModuleOp,
    ShapedType,
    TensorType,
    i32,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Block, BlockArgument, Operation, Region, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.dialects.utils.contractions import (
    Contraction,
    is_zero_fill,
    maps_of,
    match_contraction,
)
from mlc.dialects.utils.linalg_builders import const, emit, is_blas_type, is_complex
from mlc.passes.fuse_elementwise import (
    build_generic,
    constant_position,
    erase_if_dead,
    is_elementwise,
    is_permutation,
    through_casts,
)

Contractor = linalg.GenericOp | linalg.MatmulOp

# ===----------------------------------------------------------------------=== #
# Building contraction generics
# ===----------------------------------------------------------------------=== #


def blas_contraction(op: Operation) -> Contraction | None:
    """The contraction `op` computes if `bufferize` makes it a BLAS call."""
    if not isinstance(op, Contractor) or len(op.results) != 1:
        return None
    t = op.results[0].type
    if not isinstance(t, TensorType) or not is_blas_type(t.element_type) or is_complex(t.element_type):
        return None  # complex contractions are left as they are (the rewrites here build real arith)
    return match_contraction(op)


def _iterators(op: Contractor) -> ArrayAttr:
    if isinstance(op, linalg.GenericOp):
        return op.iterator_types
    kinds = {"parallel": IteratorTypeAttr.parallel(), "reduction": IteratorTypeAttr.reduction()}
    return ArrayAttr([kinds[k] for k in ("parallel", "parallel", "reduction")])


def contraction_generic(
    like: Contractor,
    ins: Sequence[SSAValue],
    in_maps: Sequence[AffineMap],
    init: SSAValue,
    alpha: SSAValue | None,
) -> linalg.GenericOp:
    """`acc + a * b` (or `acc + (a * b) * alpha`) over `like`'s loops, into `init`."""
    maps = list(in_maps)
    operands = list(ins)
    loops = maps_of(like)[0].num_dims
    if alpha is not None:
        operands.append(alpha)
        maps.append(AffineMap(loops, 0, ()))
    maps.append(maps_of(like)[-1])
    elt = init.type.element_type  # type: ignore[attr-defined]
    block = Block(arg_types=[elt] * (len(operands) + 1))
    b = Builder(InsertPoint.at_end(block))
    args = block.args
    product = emit(b, arith.MulfOp(args[0], args[1]))
    if alpha is not None:
        product = emit(b, arith.MulfOp(product, args[2]))
    b.insert(linalg.YieldOp(emit(b, arith.AddfOp(args[-1], product))))
    new = linalg.GenericOp.create(
        operands=[*operands, init],
        result_types=[init.type],
        properties={
            "indexing_maps": ArrayAttr([AffineMapAttr(m) for m in maps]),
            "iterator_types": _iterators(like),
            "operandSegmentSizes": DenseArrayBase.from_list(i32, [len(operands), 1]),
        },
        regions=[Region(block)],
    )
    new.location = like.location  # the contraction's line (the dot the user wrote)
    return new


def _alpha(op: Contractor) -> SSAValue | None:
    return op.inputs[2] if len(op.inputs) == 3 else None


# ===----------------------------------------------------------------------=== #
# Transposes -> BLAS flags
# ===----------------------------------------------------------------------=== #


def transposed_copy(v: SSAValue) -> linalg.GenericOp | None:
    """The generic producing `v` if it only copies its input through a permutation."""
    op = through_casts(v).owner
    if not is_elementwise(op) or len(op.inputs) != 1:  # type: ignore[arg-type]
        return None
    assert isinstance(op, linalg.GenericOp)
    yld = op.body.block.last_op
    if len(op.body.block.ops) != 1 or not isinstance(yld, linalg.YieldOp):
        return None
    if list(yld.operands) != [op.body.block.args[0]] or not is_permutation(maps_of(op)[0]):
        return None
    return op


def fold_transposes(op: Contractor) -> Contractor:
    """Fold transpose copies feeding `op`'s A/B operands into its maps,
    keeping it a BLAS contraction; returns the (possibly new) op."""
    if blas_contraction(op) is None:
        return op
    ins = list(op.inputs[:2])
    maps = list(maps_of(op)[:2])
    folded = []
    for j in range(2):
        copy = transposed_copy(ins[j])
        if copy is None:
            continue
        inverse = maps_of(copy)[-1].inverse_permutation()
        assert inverse is not None
        maps[j] = maps_of(copy)[0].compose(inverse.compose(maps[j]))
        folded.append(ins[j])
        ins[j] = copy.inputs[0]
    if not folded:
        return op
    new = contraction_generic(op, ins, maps, op.outputs[0], _alpha(op))
    if match_contraction(new) is None:
        return op
    Rewriter.replace_op(op, new)
    for v in folded:
        erase_if_dead(v)
    return new


# ===----------------------------------------------------------------------=== #
# Epilogues -> alpha, beta = 1
# ===----------------------------------------------------------------------=== #


def _defined_in(v: SSAValue, op: Operation) -> bool:
    """`v` is defined inside `op`'s regions."""
    block = v.owner if isinstance(v.owner, Block) else v.owner.parent
    while block is not None:
        parent = block.parent_op()
        if parent is op:
            return True
        block = parent.parent if parent is not None else None
    return False


def _invariant(g: linalg.GenericOp, v: SSAValue) -> tuple[str, SSAValue | int] | None:
    """How to get the loop-invariant scalar `v` outside `g`: ("value", v)
    when defined outside, ("constant", op-owned constant), ("input", j) for
    a scalar input or a tensor read at a constant position."""
    if isinstance(v, BlockArgument) and v.block is g.body.block:
        j = v.index
        if j >= len(g.inputs):
            return None
        source = g.inputs[j]
        if not isinstance(source.type, ShapedType) or constant_position(maps_of(g)[j], source) is not None:
            return ("input", j)
        return None
    if not _defined_in(v, g):
        return ("value", v)
    if isinstance(v.owner, arith.ConstantOp):
        return ("constant", v)
    return None


def _hoist(g: linalg.GenericOp, how: tuple[str, SSAValue | int], b: Builder) -> SSAValue:
    kind, what = how
    if kind == "value":
        return what  # type: ignore[return-value]
    if kind == "constant":
        return emit(b, what.owner.clone())  # type: ignore[union-attr]
    j = what
    assert isinstance(j, int)
    source = g.inputs[j]
    if not isinstance(source.type, ShapedType):
        return source
    position = constant_position(maps_of(g)[j], source)
    assert position is not None
    indices = [const(b, p, IndexType()) for p in position]
    return emit(b, tensor.ExtractOp(source, indices, source.type.element_type))  # type: ignore[attr-defined]


def _split_product(v: SSAValue, m: SSAValue) -> SSAValue | None | bool:
    """v == m -> True (no scale); v == m * s or s * m -> s; else None."""
    if v is m:
        return True
    op = v.owner
    if isinstance(op, arith.MulfOp):
        if op.lhs is m and op.rhs is not m:
            return op.rhs
        if op.rhs is m and op.lhs is not m:
            return op.lhs
    return None


def _depends_on(block: Block, root: SSAValue) -> set[SSAValue]:
    """The values of `block` computed from `root` (root included)."""
    dependent = {root}
    for op in block.ops:
        if any(o in dependent for inner in op.walk() for o in inner.operands):
            dependent.update(op.results)
    return dependent


def match_epilogue(g: linalg.GenericOp) -> tuple[int, SSAValue | None, SSAValue | None, bool] | None:
    """(input of the contraction result m, the value c added to it or None,
    scale s or None, negate) when `g`'s body is one of the module
    docstring's forms; c is any value of the body not computed from m."""
    if not is_elementwise(g) or maps_of(g)[-1] != AffineMap.identity(len(g.iterator_types)):
        return None
    yld = g.body.block.last_op
    assert isinstance(yld, linalg.YieldOp)
    y = yld.operands[0]
    args = g.body.block.args
    for i, v in enumerate(g.inputs):
        k = through_casts(v).owner
        if not isinstance(k, Contractor) or blas_contraction(k) is None or _alpha(k) is not None:
            continue
        if not is_zero_fill(k.outputs[0]) or v.uses.get_length() != 1 or v.owner is not k:
            continue
        if maps_of(g)[i] != maps_of(g)[-1]:
            continue
        m = args[i]
        # m * s, s * m (no c)
        scale = _split_product(y, m)
        if scale is not None and scale is not True:
            return (i, None, scale, False)  # type: ignore[return-value]
        op = y.owner
        if not isinstance(op, arith.AddfOp | arith.SubfOp):
            continue
        from_m = _depends_on(g.body.block, m)
        sides = [(op.lhs, op.rhs)] if isinstance(op, arith.SubfOp) else [(op.lhs, op.rhs), (op.rhs, op.lhs)]
        for c_val, t in sides:
            scale = _split_product(t, m)
            if scale is None or c_val in from_m or (scale is not True and scale in from_m):
                continue
            return (i, c_val, None if scale is True else scale, isinstance(op, arith.SubfOp))  # type: ignore[return-value]
    return None


def _init_of(g: linalg.GenericOp, c_val: SSAValue) -> SSAValue:
    """The tensor of the values `c_val` takes in `g`'s loop: the input it
    reads when it is one read through the output's map, else a new
    elementwise generic computing it (the part of `g`'s body it needs)."""
    block = g.body.block
    n_in = len(g.inputs)
    if isinstance(c_val, BlockArgument) and c_val.block is block and c_val.index < n_in:
        j = c_val.index
        if maps_of(g)[j] == maps_of(g)[-1] and isinstance(g.inputs[j].type, TensorType):
            return g.inputs[j]
    needed: set[SSAValue] = {c_val}
    ops: list[Operation] = []
    for op in reversed(list(block.ops)):
        if any(r in needed for r in op.results):
            ops.append(op)
            needed.update(o for inner in op.walk() for o in inner.operands)
    new_block = Block(arg_types=[a.type for a in block.args])
    mapping: dict[SSAValue, SSAValue] = dict(zip(block.args, new_block.args))
    for op in reversed(ops):
        new_block.add_op(op.clone(mapping))
    new_block.add_op(linalg.YieldOp(mapping.get(c_val, c_val)))
    x = build_generic(g, list(g.inputs), list(maps_of(g)[:n_in]), new_block)
    Rewriter.insert_op(x, InsertPoint.before(g))
    return x.results[0]


def fold_epilogue(g: linalg.GenericOp) -> linalg.GenericOp | None:
    """Replace `g` and the contraction it finishes by one contraction
    (returned), or None when `g` is no epilogue."""
    found = match_epilogue(g)
    if found is None:
        return None
    i, c_val, scale, negate = found
    k = g.inputs[i].owner
    assert isinstance(k, Contractor)
    result_type = k.results[0].type
    how = None
    if scale is not None:
        how = _invariant(g, scale)
        if how is None:
            return None
    b = Builder(InsertPoint.before(g))
    alpha = _hoist(g, how, b) if how is not None else None
    if negate:
        alpha = emit(b, arith.NegfOp(alpha)) if alpha is not None else const(b, -1.0, result_type.element_type)
    init = k.outputs[0] if c_val is None else _init_of(g, c_val)
    if init.type != result_type:
        init = emit(b, tensor.CastOp(init, result_type))
    new = contraction_generic(k, list(k.inputs[:2]), list(maps_of(k)[:2]), init, alpha)
    b.insert(new)
    result = new.results[0]
    if result.type != g.results[0].type:
        result = emit(b, tensor.CastOp(result, g.results[0].type))
    g.results[0].replace_all_uses_with(result)
    operands = list(g.operands)
    Rewriter.erase_op(g)
    for v in operands:
        erase_if_dead(v)
    return new


# ===----------------------------------------------------------------------=== #
# The pass
# ===----------------------------------------------------------------------=== #


def fuse_contractions(f: func.FuncOp) -> int:
    """Fold transposes into every BLAS contraction, then epilogues; returns
    the number of rewrites."""
    if f.is_declaration:
        return 0
    count = 0
    block = f.body.blocks[0]
    for op in list(block.ops):
        if op.parent is None:
            continue
        if isinstance(op, Contractor) and blas_contraction(op) is not None:
            new = fold_transposes(op)
            count += new is not op
    for op in list(block.ops):
        if op.parent is not None and isinstance(op, linalg.GenericOp) and fold_epilogue(op) is not None:
            count += 1
    return count


class FuseContractionPass(ModulePass):
    """Fold transposes (BLAS trans flags) and `C + s*dot(A, B)` epilogues (alpha, beta = 1) into contractions.

    Pre: linalg on tensors. Post: the same values; transpose copies feeding
    BLAS contractions and their elementwise epilogues are gone.
    """

    name = "fuse-contraction"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, func.FuncOp):
                fuse_contractions(f)
