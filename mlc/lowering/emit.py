"""Emission: a FunctionGraph -> `builtin.module` with one `func.func` of `mt` ops.

Inputs (then shared variables) become the function's arguments; outputs
(then the new values of updated shared variables) its results; constants
become `mt.constant`. A broadcastable dim is the static size 1 and every
other dim is `?`. Broadcasting, dtype conversion and rank padding are made
explicit here (`mt.broadcast`, `mt.cast`, `mt.dimshuffle`), so elementwise
ops see operands of one type. Each op carries the user's source line as
its location (`mlc-opt --print-debuginfo` shows it).

Ops emit themselves (`Op.emit(ctx, node, operands)`): this module only
provides the context they call back into.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from xdsl.dialects import func, scf, tensor
from xdsl.dialects.builtin import (
    FileLineColLoc,
    IntAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnknownLoc,
)
from xdsl.ir import Block, Operation, Region, SSAValue

from mlc.dialects import mt
from mlc.graph import Constant, Variable
from mlc.graph.lazy import LazySchedule
from mlc.graph.type import TensorType as GraphTensorType

_OPS: dict[str, type[Operation]] = {op.name[len("mt."):]: op for op in mt.MT.operations}

# bool arithmetic in numpy is logic: add -> or, mul -> and, max -> or, min -> and
_BOOL_OPS = {"add": "or", "mul": "and", "max": "or", "min": "and"}


def ir_type(t: GraphTensorType) -> TensorType:
    """The mt type of a graph type: broadcastable dims are 1, the others `?`."""
    return mt.tensor_type(mt.element_type_of(t.dtype), [1 if b else None for b in t.broadcastable])


def _loc(var: Variable | None):
    loc = getattr(var, "loc", None)
    if loc is None:
        return UnknownLoc()
    return FileLineColLoc(StringAttr(loc.filename), IntAttr(loc.lineno), IntAttr(0))


class EmitContext:
    """What an op's `emit` may use: build mt ops at the current point."""

    def __init__(self, block: Block):
        self.block = block
        self._shape_cache: dict[tuple[int, ...], SSAValue] = {}
        self._loc_var: Variable | None = None

    # -- building -------------------------------------------------------------
    def add(self, op: Operation) -> Operation:
        op.location = _loc(self._loc_var)
        self.block.add_op(op)
        return op

    def mt(self, node, name: str, operands: list[SSAValue], out_type=None, shape=None, **attrs: Any) -> SSAValue:
        """Build `mt.<name>` on `operands` with its attributes; return its result as the graph type."""
        if name in _BOOL_OPS and mt.numpy_dtype(_elem(operands[0])) == np.bool_:
            name = _BOOL_OPS[name]
        cls = _OPS[name]
        target = ir_type(out_type if out_type is not None else node.outputs[0].type)
        if name in ("dimshuffle",):
            op = cls(operands[0], attrs["pattern"])
        elif name.startswith("reduce_"):
            op = cls(operands[0], attrs["axes"])
        elif name in ("argmax", "argmin", "softmax", "log_softmax"):
            op = cls(operands[0], attrs["axis"])
        elif name == "index":
            op = cls(operands[0], operands[1], attrs["axis"])
        elif name == "concatenate":
            op = cls(operands, attrs["axis"])
        elif name == "reshape":
            op = cls(operands[0], target, shape)
        elif name in ("arange", "eye"):
            op = cls(*operands, target)
        else:
            op = cls(*operands)
        self.add(op)
        # the op's result may carry more static dims than the graph knows; its
        # element type is the op's own (the node casts afterwards if needed)
        res = op.results[0]
        return self.retype(res, mt.tensor_type(_elem(res), [1 if d == 1 else None for d in target.get_shape()]))

    def retype(self, value: SSAValue, target: TensorType) -> SSAValue:
        """`tensor.cast` a value whose inferred static type is more precise than the graph's."""
        if value.type == target:
            return value
        assert _elem(value) == target.element_type, f"tensor.cast cannot change {value.type} to {target}"
        return self.add(tensor.CastOp(value, target)).results[0]

    def const(self, data: np.ndarray, graph_type: GraphTensorType | None = None) -> SSAValue:
        c = self.add(mt.ConstantOp.from_numpy(np.asarray(data)))
        v = c.results[0]
        return self.retype(v, ir_type(graph_type)) if graph_type is not None else v

    def cast(self, value: SSAValue, dtype: str, node=None) -> SSAValue:
        elem = mt.element_type_of(dtype)
        if _elem(value) == elem:
            return value
        return self.add(mt.CastOp(value, elem)).results[0]

    def emit_graph(self, inputs, outputs, operands: list[SSAValue]) -> list[SSAValue]:
        """Emit the graph from variables `inputs` (bound to `operands`) to `outputs` at the current block
        (an op holding a graph of its own, scan's step, builds its body with this)."""
        from mlc.graph import toposort

        values = {id(v): x for v, x in zip(inputs, operands)}
        saved = self._loc_var, dict(self._shape_cache)
        outs = GraphEmitter(self, values, getattr(self, "_used", set())).run(
            toposort(outputs, blockers=inputs), outputs)
        self._loc_var, self._shape_cache = saved
        return outs

    def truth(self, value: SSAValue) -> SSAValue:
        """The i1 of a 0-d tensor condition: anything but 0 is true (NaN included)."""
        if _elem(value) != mt.element_type_of("bool"):
            zero = self.const(np.zeros((), dtype=mt.numpy_dtype(_elem(value))))
            value = self.add(mt.NeOp(value, zero)).results[0]
        return self.add(tensor.ExtractOp(value, [], _elem(value))).results[0]

    def shape_of(self, value: SSAValue) -> SSAValue:
        return self.add(mt.ShapeOp(value)).results[0]

    def broadcast_to(self, value: SSAValue, in_type: GraphTensorType, out_type: GraphTensorType,
                     inputs: list[Variable], operands: list[SSAValue]) -> SSAValue:
        """Broadcast one operand of an elementwise node to the node's result shape."""
        if in_type.broadcastable == out_type.broadcastable:
            return value
        target = mt.tensor_type(_elem(value), [1 if b else None for b in out_type.broadcastable])
        shape = None
        if not target.has_static_shape():
            shape = self._result_shape(out_type, inputs, operands)
        return self.add(mt.BroadcastOp(value, target, shape)).results[0]

    def _result_shape(self, out_type, inputs, operands) -> SSAValue:
        """The shape vector of an elementwise result: each dynamic dim from an operand that has it."""
        key = tuple(map(id, operands))
        if key in self._shape_cache:
            return self._shape_cache[key]
        nd = len(out_type.broadcastable)
        provider: list[int | None] = [None] * nd
        for i in range(nd):
            for k, v in enumerate(inputs):
                if not v.broadcastable[i]:
                    provider[i] = k
                    break
        ks = sorted({k for k in provider if k is not None})
        result = self.shape_of(operands[ks[0]])
        for k in ks[1:]:
            mask = np.asarray([provider[i] == k for i in range(nd)])
            cond = self.const(mask)
            result = self.add(mt.SelectOp(cond, self.shape_of(operands[k]), result)).results[0]
        self._shape_cache[key] = result
        return result

    def slice(self, node, x: SSAValue, fields) -> SSAValue:
        """`fields`: (start, stop, step) per sliced dim, each None, an int or an int64 scalar value."""
        starts, stops, steps = ([f[j] for f in fields] for j in range(3))
        nd = node.inputs[0].ndim
        for _ in range(len(fields), nd):
            starts.append(None)
            stops.append(None)
            steps.append(None)
        op = self.add(mt.SliceOp(x, starts, stops, steps))
        return self.retype(op.results[0], ir_type(node.out.type))

    def alloc(self, node, value: SSAValue, dims: list[SSAValue]) -> SSAValue:
        """Broadcast `value` (padded on the left) to the shape given by int64 scalars."""
        out_t = node.out.type
        vt = node.inputs[0].type
        nd = out_t.ndim
        if vt.ndim < nd:
            value = self.add(mt.DimShuffleOp(value, [-1] * (nd - vt.ndim) + list(range(vt.ndim)))).results[0]
        target = ir_type(out_t)
        shape = None
        if not target.has_static_shape():
            parts = [self.add(mt.DimShuffleOp(d, [-1])).results[0] for d in dims]
            shape = self.add(mt.ConcatenateOp(parts, 0)).results[0] if len(parts) > 1 else parts[0]
        # a dynamic value dim that must be 1 here (the shape rule checks it at run time)
        src = value.type.get_shape()
        pinned = [1 if d == mt.DYN and t == 1 else d for d, t in zip(src, target.get_shape())]
        value = self.retype(value, mt.tensor_type(_elem(value), pinned))
        if value.type == target:
            return value
        return self.add(mt.BroadcastOp(value, target, shape)).results[0]


def _elem(value: SSAValue):
    return value.type.element_type


def _sanitize(name: str | None, used: set[str]) -> str | None:
    if not name:
        return None
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not s or s[0].isdigit():
        s = "v_" + s
    base, k = s, 1
    while s in used:
        s, k = f"{base}_{k}", k + 1
    used.add(s)
    return s


class GraphEmitter:
    """Emits the nodes of a graph at the EmitContext's current block; `values` binds variables to SSA values.

    Lazy nodes (ifelse) become `scf.if`s whose regions hold the nodes only
    their branch needs; an op that holds a graph of its own (scan's step)
    emits it through `EmitContext.emit_graph`, which uses a nested emitter.
    """

    def __init__(self, ctx: EmitContext, values: dict[int, SSAValue], used: set[str]):
        self.ctx, self.values, self.used = ctx, values, used

    def get(self, v: Variable) -> SSAValue:
        if id(v) not in self.values:
            assert isinstance(v, Constant), f"unbound variable {v}"
            self.ctx._loc_var = v
            self.values[id(v)] = self.ctx.const(v.data, v.type)
        return self.values[id(v)]

    def run(self, nodes, results) -> list[SSAValue]:
        """Emit `nodes` (toposorted, computing `results`) and return the results' values."""
        self.schedule = LazySchedule(nodes, results)
        self.emit_nodes(self.schedule.top)
        return [self.get(v) for v in results]

    def emit_nodes(self, nodes) -> None:
        ctx = self.ctx
        for node in nodes:
            ctx._loc_var = node.outputs[0]
            ctx._shape_cache.clear()
            if node.op.lazy_branches(node) is not None:
                results = self.emit_lazy(node)
            else:
                results = node.op.emit(ctx, node, [self.get(v) for v in node.inputs])
            for o, r in zip(node.outputs, results):
                r = ctx.retype(r, ir_type(o.type))
                assert r.type == ir_type(o.type), (node, r.type, o.type)
                hint = _sanitize(o.name, self.used)
                if hint and r.name_hint is None:
                    r.name_hint = hint
                self.values[id(o)] = r

    def emit_lazy(self, node) -> list[SSAValue]:
        """A lazy node (ifelse): `scf.if` whose regions compute each branch's own nodes and yield its values."""
        ctx = self.ctx
        cond_index, branches = node.op.lazy_branches(node)
        assert len(branches) == 2, "lazy ops with more than two branches are not supported"
        flag = ctx.truth(self.get(node.inputs[cond_index]))
        outer_block, outer_values = ctx.block, self.values
        regions = []
        for b, members in enumerate(branches):
            ctx.block = Block()
            self.values = dict(outer_values)  # what a branch defines is not visible after it
            self.emit_nodes(self.schedule.branches[id(node)][b])
            ctx._loc_var = node.outputs[0]
            ctx.add(scf.YieldOp(*[ctx.retype(self.get(node.inputs[i]), ir_type(o.type))
                                  for i, o in zip(members, node.outputs)]))
            regions.append(Region(ctx.block))
        ctx.block, self.values = outer_block, outer_values
        op = ctx.add(scf.IfOp(flag, [ir_type(o.type) for o in node.outputs], regions[0], regions[1]))
        return list(op.results)


def emit_function(fgraph, name: str = "main") -> ModuleOp:
    """Emit a prepared FunctionGraph as `module { func.func @name(...) -> (...) }`."""
    arg_types = [ir_type(v.type) for v in fgraph.all_inputs]
    block = Block(arg_types=arg_types)
    used: set[str] = set()
    values: dict[int, SSAValue] = {}
    for v, arg in zip(fgraph.all_inputs, block.args):
        hint = _sanitize(v.name, used)
        if hint:
            arg.name_hint = hint
        values[id(v)] = arg
    ctx = EmitContext(block)
    ctx._used = used
    outs = GraphEmitter(ctx, values, used).run(fgraph.nodes, fgraph.results)
    ctx._loc_var = None
    ctx.add(func.ReturnOp(*outs))
    fn = func.FuncOp(name, (arg_types, [o.type for o in outs]), Region(block))
    return ModuleOp([fn])
