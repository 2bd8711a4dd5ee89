"""Scan as a native loop: the Scan node emitted as one `scf.for` whose body is the step's graph.

A scan whose step holds no host op is not run from Python: `Scan.emit`
builds, at the tensor level,

    %n = <n_steps as index>
    %r:k = scf.for %t = 0 to %n step 1 iter_args(<state taps>..., <stacks>...) {
      <row t (or n-1-t) of each sequence: mt.index>
      <the step's graph on the rows, the taps and the non-sequences>
      <each collected value written as row t of its stack: tensor.insert_slice>
      scf.yield <the states shifted by one step>..., <the stacks>...
    }

A state with taps reading `window` steps back is carried as `window`
tensors, oldest first (yielded shifted: the newest is the step's value); a
state returned for every step and each mapped output are collected in a
stack of n rows, allocated before the loop (`tensor.empty`) and written in
place, row by row, once bufferized (`mlc-bufferize` gives each iter_arg one
buffer for the whole loop). The step is optimized, fused and lowered like
any graph, inside the loop body.

The stack of a mapped output is allocated before the first step runs, so
its dims must be known there: from the step's type when static, else from
an input of the step that provably has the output's shape
(`mlc.compile.pipeline.same_shape`). A scan whose mapped output's shape is
known only by running the step keeps the Python loop (`native_reason`).

With `until`, the number of steps is known only once the loop has run, so
the Scan stays a host node of its function (its outputs' shapes are left to
the run), and its thunk (`until_thunk`) calls one native function: an
`UntilLoop` node, emitted as

    %r:k = scf.while (%t = 0, %stop = false, <state taps>..., <stacks of n rows>...) {
      scf.condition(%t < %n and not %stop) %t, %stop, ...
    } do {
      <the step, as above>
      scf.yield %t + 1, <the step's stop condition>, <states shifted>..., <stacks>...
    }

whose last result is the number of steps taken (the step where the
condition became true included, Theano's rule). The stacks are allocated
for n_steps rows (the bound); the thunk returns the first `count` of them
(views).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlc.graph import Apply, Op, TensorType
from mlc.scan_module.op import Scan

#: the name `optimizer_excluding` (or Mode.excluding) takes to run every scan as a Python loop
EXCLUDE_NAME = "native-scan"


def native_reason(op: Scan) -> str | None:
    """Why `op` must run as a Python loop (a host op), or None when it compiles to a native loop."""
    from mlc.compile.pipeline import UNSUPPORTED_DTYPES
    from mlc.config import config
    from mlc.graph import ancestors

    if EXCLUDE_NAME in config.optimizer_excluding.split(":"):
        return f"'{EXCLUDE_NAME}' is excluded"
    fg = op.fgraph
    if fg.shared:
        return "the step reads shared variables directly"
    if any(n.op.host for n in fg.nodes):
        return "the step holds a host op"
    if any(getattr(v.type, "dtype", None) in UNSUPPORTED_DTYPES for v in ancestors(fg.outputs)):
        return "the step uses a dtype the native backend lacks"
    for j in range(op.n_mapped):
        if mapped_source(op, j) is None:
            return f"the shape of mapped output {j} is known only by running the step"
    return None


def mapped_source(op: Scan, j: int) -> int | None:
    """The inner input whose shape mapped output j provably has (-1: its shape is static), or None."""
    from mlc.compile.pipeline import same_shape

    out = op.inner_outputs[len(op.states) + j]
    if all(out.broadcastable):
        return -1
    if j < len(op.mapped_like) and op.mapped_like[j] is not None:
        return op.mapped_like[j]
    for k, v in enumerate(op.inner_inputs):
        if v.broadcastable == out.broadcastable and same_shape(out, v):
            return k
    return None


def emit_scan(op: Scan, ctx, node, operands):
    """The `scf.for` computing `node`'s outputs (see the module docstring)."""
    from xdsl.dialects import arith, scf, tensor
    from xdsl.dialects.builtin import DYNAMIC_INDEX, DenseArrayBase, IndexType, IntegerAttr, IntegerType, i32, i64
    from xdsl.ir import Block, Region

    from mlc.dialects import mt
    from mlc.lowering.emit import ir_type

    index = IndexType()

    def add(o):
        return ctx.add(o).results[0]

    def cidx(k: int):
        return add(arith.ConstantOp(IntegerAttr(k, index)))

    def dims(v) -> list:
        """Index values of the dims of tensor v (static ones as constants)."""
        return [cidx(d) if d >= 0 else add(tensor.DimOp(v, cidx(i))) for i, d in enumerate(v.type.get_shape())]

    def row(x, position, inner):
        """x[position] along axis 0 (position: an i64 scalar), with the type of the step's input `inner`."""
        pos = add(tensor.FromElementsOp(position, result_type=mt.tensor_type(i64, [])))
        return ctx.retype(add(mt.IndexOp(x, pos, 0)), ir_type(inner.type))

    s, R = op.n_seqs, len(op.states)
    seqs, inits, nonseqs = operands[1:1 + s], operands[1 + s:1 + s + R], operands[1 + s + R:]
    n64 = add(tensor.ExtractOp(operands[0], [], i64))
    n = add(arith.IndexCastOp(n64, index))
    # the carried values: each state's taps window, oldest first
    carried, first_tap = [], []
    k = s
    for r, st in enumerate(op.states):
        inner = op.inner_inputs[k]
        first_tap.append(len(carried))
        if st.stacked_init:
            carried += [row(inits[r], add(arith.ConstantOp(IntegerAttr(i, i64))), inner) for i in range(st.window)]
        else:
            carried.append(ctx.retype(inits[r], ir_type(inner.type)))
        k += len(st.taps)
    # the stacks: every step's value of keep_all states and of mapped outputs
    stacks, stacked = [], []  # stacked[q]: ('state', r) or ('mapped', j)
    out_types = [ir_type(o.type) for o in node.outputs]
    for r, st in enumerate(op.states):
        if st.keep_all:
            t = out_types[r]
            sizes = [n, *dims(carried[first_tap[r]])]
            stacks.append(add(tensor.EmptyOp([d for d, e in zip(sizes, t.get_shape()) if e < 0], t)))
            stacked.append(r)
    for j in range(op.n_mapped):
        t = out_types[R + j]
        source = mapped_source(op, j)
        if source == -1:
            inner_dims = [cidx(1)] * (t.get_num_dims() - 1)
        else:
            outer, tap = op.sources[source]
            if outer <= s:
                v = seqs[outer - 1]
                inner_dims = dims(v)[1:]
            elif outer <= s + R:
                r = outer - 1 - s
                inner_dims = dims(carried[first_tap[r]])
            else:
                inner_dims = dims(nonseqs[outer - 1 - s - R])
        sizes = [n, *inner_dims]
        stacks.append(add(tensor.EmptyOp([d for d, e in zip(sizes, t.get_shape()) if e < 0], t)))
        stacked.append(R + j)
    # the body
    iter_values = carried + stacks
    iter_types = [v.type for v in iter_values]
    outer_block = ctx.block
    if op.until:  # scf.while: (t, stop) then the carried tensors, in both regions
        i1 = IntegerType(1)
        before = Block(arg_types=[index, i1, *iter_types])
        ctx.block = before
        running = add(arith.CmpiOp(before.args[0], n, "slt"))
        go = add(arith.AndIOp(running, add(arith.XOrIOp(before.args[1], add(arith.ConstantOp(IntegerAttr(1, i1)))))))
        ctx.add(scf.ConditionOp(go, *before.args))
        body = Block(arg_types=[index, i1, *iter_types])
        first_carried = 2
    else:
        body = Block(arg_types=[index, *iter_types])
        first_carried = 1
    ctx.block = body
    t_index = body.args[0]
    hist = list(body.args[first_carried:first_carried + len(carried)])
    acc = list(body.args[first_carried + len(carried):])
    t64 = add(arith.IndexCastOp(t_index, i64))
    pos = add(arith.SubiOp(add(arith.SubiOp(n64, t64)), add(arith.ConstantOp(IntegerAttr(1, i64))))) \
        if op.go_backwards else t64
    inner_ops = [row(x, pos, op.inner_inputs[j]) for j, x in enumerate(seqs)]
    for r, st in enumerate(op.states):
        inner_ops += [hist[first_tap[r] + st.window + tap] for tap in st.taps]
    inner_ops += list(nonseqs)
    outs = ctx.emit_graph(op.inner_inputs, op.inner_outputs, inner_ops)
    new_hist = []
    for r, st in enumerate(op.states):
        taps = hist[first_tap[r]:first_tap[r] + st.window]
        new_hist += taps[1:] + [ctx.retype(outs[r], taps[-1].type)]
    new_acc = []
    for q, which in enumerate(stacked):
        value = outs[which]
        dest = acc[q]
        vdims = dims(value)
        rank = dest.type.get_num_dims()
        new_acc.append(add(tensor.InsertSliceOp.create(
            operands=[value, dest, t_index, *vdims],
            result_types=[dest.type],
            properties={
                "static_offsets": DenseArrayBase.from_list(i64, [DYNAMIC_INDEX] + [0] * (rank - 1)),
                "static_sizes": DenseArrayBase.from_list(i64, [1] + [DYNAMIC_INDEX] * (rank - 1)),
                "static_strides": DenseArrayBase.from_list(i64, [1] * rank),
                "operandSegmentSizes": DenseArrayBase.from_list(i32, [1, 1, 1, rank - 1, 0]),
            })))
    if op.until:
        stop = ctx.truth(outs[-1])
        ctx.add(scf.YieldOp(add(arith.AddiOp(t_index, cidx(1))), stop, *new_hist, *new_acc))
        ctx.block = outer_block
        false = add(arith.ConstantOp(IntegerAttr(0, IntegerType(1))))
        loop = ctx.add(scf.WhileOp([cidx(0), false, *iter_values], [index, IntegerType(1), *iter_types],
                                   Region(before), Region(body)))
        steps = add(arith.IndexCastOp(loop.results[0], i64))
        count = add(tensor.FromElementsOp(steps, result_type=mt.tensor_type(i64, [])))
        results = list(loop.results)[2:]
    else:
        ctx.add(scf.YieldOp(*new_hist, *new_acc))
        ctx.block = outer_block
        loop = ctx.add(scf.ForOp(cidx(0), n, cidx(1), iter_values, Region(body)))
        results = list(loop.results)
    out = []
    for r, st in enumerate(op.states):
        if st.keep_all:
            out.append(results[len(carried) + stacked.index(r)])
        else:
            out.append(results[first_tap[r] + st.window - 1])
    for j in range(op.n_mapped):
        out.append(results[len(carried) + stacked.index(R + j)])
    if op.until:
        out.append(count)
    return out


class UntilLoop(Op):
    """An until-scan as one native loop (`scf.while`, see the module docstring).

    Inputs: the Scan node's. Outputs: the Scan's outputs, those returned for
    every step with n_steps rows of which the first `count` are written, then
    `count` (int64 scalar): the steps taken. Only `until_thunk` builds it.
    """

    def __init__(self, scan: Scan):
        self.scan = scan

    # identity, as Scan
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __str__(self) -> str:
        return f"UntilLoop{{{self.scan.name}}}" if self.scan.name else "UntilLoop"

    @property
    def shape_value_inputs(self) -> tuple[int, ...]:
        return self.scan.shape_value_inputs

    def make_node(self, *inputs) -> Apply:
        node = self.scan.make_node(*inputs)
        return Apply(self, node.inputs, [o.type for o in node.outputs] + [TensorType("int64", ())])

    def infer_shape(self, node, shapes, value):
        return [*self.scan.loop_shapes(node, shapes, value, bounded=True), ()]

    def perform(self, node, inputs):
        """The numpy reference: the Python loop's outputs, padded with zero rows to n_steps."""
        scan = self.scan
        outs, count = scan.loop_with_count(inputs, scan.step_program("REFERENCE"))
        n = int(inputs[0])
        full = [st.keep_all for st in scan.states] + [True] * scan.n_mapped
        padded = [np.concatenate([o, np.zeros((n - count, *o.shape[1:]), o.dtype)]) if f else o
                  for o, f in zip(outs, full)]
        return [*padded, np.asarray(count, dtype="int64")]

    def emit(self, ctx, node, operands):
        return emit_scan(self.scan, ctx, node, operands)


def until_thunk(op: Scan, node, mode: str, excluding: tuple[str, ...] = ()) -> Callable:
    """The host thunk of an until-scan: its `UntilLoop` compiled on its own (now, once); each call runs
    it and returns the rows of the steps taken (views of the n_steps rows it wrote)."""
    from mlc.compile.function import FunctionGraph
    from mlc.compile.vm import SubProgram

    key = (f"until:{mode}", tuple(excluding))
    program = op._programs.get(key)
    if program is None:
        inputs = [v.type(v.name or f"in{k}") for k, v in enumerate(node.inputs)]
        loop = UntilLoop(op).make_node(*inputs)
        program = op._programs[key] = SubProgram(FunctionGraph(inputs, loop.outputs, [], {}, "ignore"), mode,
                                                 tuple(excluding))
    full = [st.keep_all for st in op.states] + [True] * op.n_mapped

    def thunk(inputs):
        *outs, count = program(inputs)
        steps = int(count)
        return [o[:steps] if f else o for o, f in zip(outs, full)]

    return thunk
