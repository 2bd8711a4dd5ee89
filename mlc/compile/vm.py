"""Partitioned programs: graphs with host ops run as native segments and Python-driven nodes.

A host op (`Op.host = True`, e.g. `Scan`) cannot be emitted into the one
native function `compile_graph` builds: its node runs from Python (a loop
calling its own compiled step). A graph containing one is split into

    native segment 0, host nodes of level 0, native segment 1, host nodes of level 1, ...

Each native node goes into the earliest segment its inputs allow, and each
host node runs as soon as its inputs exist, so the number of segments is the
length of the longest chain of host nodes plus one. Every segment is an
ordinary FunctionGraph (inputs: the values it reads; outputs: the values
read later or returned), compiled unchanged by `compile_graph` and called
with shapes from its own ShapePlan; a host node runs the callable its op
returns from `make_host_thunk(node, mode, excluding)`.

`SubProgram` (a FunctionGraph compiled on its own and called on arrays) is
also what host ops use for the graphs inside them (scan's step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.graph import Apply, Constant, Variable, copy_nodes


def has_host_ops(fgraph) -> bool:
    """Does the graph contain a node that must run from Python (a host op)?"""
    return any(node.op.host for node in fgraph.nodes) or any(
        getattr(v.type, "sparse", False) for v in fgraph.all_inputs + fgraph.results)  # scipy.sparse values


def compile_program(fgraph, mode: str, excluding: tuple[str, ...] = ()):
    """The program that runs `fgraph` in `mode`: numpy reference, one native function, or partitioned."""
    if mode == "REFERENCE":
        from mlc.compile.reference import ReferenceProgram

        return ReferenceProgram(fgraph)
    if has_host_ops(fgraph):
        return PartitionedProgram(fgraph, mode, excluding)
    from mlc.compile.pipeline import compile_graph

    return compile_graph(fgraph, mode, excluding)


class SubProgram:
    """A FunctionGraph compiled on its own, called on arrays: shapes from its ShapePlan, then its program."""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...] = ()):
        from mlc.compile.function import ShapePlan

        self.fgraph = fgraph
        self.plan = ShapePlan(fgraph)
        self.program = compile_program(fgraph, mode, excluding)

    def __call__(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.program.run(arrays, self.plan.result_shapes(arrays))

    def dump(self, level: str) -> str:
        if not hasattr(self.program, "dump"):
            return "// (runs with the numpy reference: no IR)\n"
        return self.program.dump(level)


# ----------------------------------------------------------------------------
# Partitioning
# ----------------------------------------------------------------------------


def schedule(nodes: Sequence[Apply]) -> list[tuple[str, list[Apply]]]:
    """Group toposorted nodes into ('native', nodes) segments and ('host', [node]) steps, in run order.

    A host node's level is one more than the highest level of the host
    nodes it depends on (0 if none). Segment k runs before the host nodes
    of level k and after those of level k - 1; a native node goes into the
    latest segment that still precedes every consumer (so constants and
    shape arithmetic stay next to their use instead of travelling between
    segments as arrays), which is never before its inputs exist.
    """
    host_level: dict[int, int] = {}
    after: dict[int, int] = {}  # id(node) -> number of host levels that must have run before it
    for node in nodes:
        need = 0
        for v in node.inputs:
            p = v.owner
            if p is not None and id(p) in after:
                need = max(need, host_level[id(p)] + 1 if p.op.host else after[id(p)])
        after[id(node)] = need
        if node.op.host:
            host_level[id(node)] = need
    top = max(host_level.values(), default=-1) + 1
    consumers: dict[int, list[Apply]] = {}
    for node in nodes:
        for v in node.inputs:
            consumers.setdefault(id(v), []).append(node)
    segment: dict[int, int] = {}
    for node in reversed(nodes):
        if node.op.host:
            continue
        latest = top
        for o in node.outputs:
            for c in consumers.get(id(o), ()):
                latest = min(latest, host_level[id(c)] if c.op.host else segment[id(c)])
        segment[id(node)] = latest
    steps: list[tuple[str, list[Apply]]] = []
    for k in range(top + 1):
        native = [n for n in nodes if not n.op.host and segment[id(n)] == k]
        if native:
            steps.append(("native", native))
        steps.extend(("host", [n]) for n in nodes if n.op.host and host_level[id(n)] == k)
    return steps


class _NativeStep:
    """One native segment: a FunctionGraph over fresh inputs, compiled by the usual pipeline."""

    def __init__(self, nodes: list[Apply], keep: set[int], mode: str, excluding: tuple[str, ...], segment=None):
        from mlc.compile.function import FunctionGraph

        produced = {id(o) for n in nodes for o in n.outputs}
        self.reads: list[Variable] = []
        replace: dict[int, Variable] = {}
        for n in nodes:
            for v in n.inputs:
                if id(v) not in produced and id(v) not in replace and not isinstance(v, Constant):
                    replace[id(v)] = fresh = v.type(v.name or str(v))  # the name shows in the segment's IR
                    fresh.loc = v.loc
                    self.reads.append(v)
        self.writes = [o for n in nodes for o in n.outputs if id(o) in keep]
        memo = copy_nodes(nodes, replace)
        inputs = [replace[id(v)] for v in self.reads]
        self.fgraph = FunctionGraph(inputs, [memo[id(v)] for v in self.writes], [], {}, "ignore")
        self.program = segment(self.fgraph) if segment is not None else SubProgram(self.fgraph, mode, excluding)

    def label(self) -> str:
        return f"native segment ({len(self.fgraph.nodes)} nodes) computing {', '.join(map(str, self.writes))}"

    def run(self, env: dict[int, Any]) -> None:
        outs = self.program([env[id(v)] for v in self.reads])
        for v, a in zip(self.writes, outs):
            env[id(v)] = a

    def dump(self, level: str) -> str:
        return self.program.dump(level)


class _HostStep:
    """One host node, run by the callable its op makes (e.g. scan's loop over its compiled step)."""

    def __init__(self, node: Apply, mode: str, excluding: tuple[str, ...], inplace: bool = False):
        self.node = node
        make = getattr(node.op, "make_inplace_thunk", None) if inplace else None
        self.thunk = (make or node.op.make_host_thunk)(node, mode, excluding)
        self.kernel = None  # its row in a profile

    def label(self) -> str:
        return f"host node {self.node.op} computing {', '.join(map(str, self.node.outputs))}"

    def run(self, env: dict[int, Any]) -> None:
        from mlc.compile import profiling

        args = [_constant_array(v) if isinstance(v, Constant) else env[id(v)] for v in self.node.inputs]
        if profiling.current() is not None:
            if self.kernel is None:
                self.kernel = profiling.Kernel(str(self.node.op), "host", "py", f"host {self.node.op}")
            outs = profiling.time_host(self.kernel, self.thunk, args)
        else:
            outs = self.thunk(args)
        for v, a in zip(self.node.outputs, outs):
            env[id(v)] = a

    def dump(self, level: str) -> str:
        dump = getattr(self.node.op, "dump_host", None)
        try:
            return dump(self.node, level) if dump is not None else ""
        except ValueError:  # a level of another backend ('gpu', 'ptx'): the host node has none
            return f"// (runs on the host: no {level!r} code)\n"


def _constant_array(v: Constant) -> np.ndarray:
    if getattr(v.type, "sparse", False):
        return v.data  # a scipy.sparse matrix (mlc.sparse)
    return np.array(v.data, dtype=v.type.dtype, order="C")  # (np.ascontiguousarray makes 0-d arrays 1-d)


def in_place_host_nodes(fgraph) -> set[int]:
    """Host nodes that may overwrite their input `op.inplace_input` (ids of the nodes).

    A random draw's state (a shared RandomState) is advanced in place, as
    Theano's `random_make_inplace` does, when the function updates that
    shared variable with the node's new state (output 0) and nothing else
    reads the old one: then no copy of the state is made. Otherwise (e.g.
    `no_default_updates`) the op copies it.
    """
    readers: dict[int, int] = {}
    for node in fgraph.nodes:
        for v in node.inputs:
            readers[id(v)] = readers.get(id(v), 0) + 1
    for v in fgraph.results:
        readers[id(v)] = readers.get(id(v), 0) + 1
    owned = set()
    for s, u in fgraph.updates:
        node = u.owner
        k = getattr(getattr(node, "op", None), "inplace_input", None)
        if k is not None and u is node.outputs[0] and node.inputs[k] is s and readers.get(id(s)) == 1:
            owned.add(id(node))
    return owned


class PartitionedProgram:
    """A FunctionGraph with host ops: native segments and host nodes run in turn (see the module doc).

    `segment(fgraph)`, if given, compiles each native segment (a callable on
    arrays with `dump(level)`, like `SubProgram`: the GPU backend's segments
    run on the device); `before_host` sees a host node's inputs before it runs."""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...] = (), segment=None):
        self.fgraph = fgraph
        self.mode = mode
        plan = schedule(fgraph.nodes)
        # a value is written by a segment if a later step or the caller reads it
        later: list[set[int]] = []
        seen: set[int] = {id(v) for v in fgraph.results}
        for _, nodes in reversed(plan):
            later.append(set(seen))
            for n in nodes:
                seen.update(id(v) for v in n.inputs)
        later.reverse()
        self.steps: list[_NativeStep | _HostStep] = []
        owned = in_place_host_nodes(fgraph)
        for (kind, nodes), keep in zip(plan, later):
            if kind == "native":
                self.steps.append(_NativeStep(nodes, keep, mode, excluding, segment))
            else:
                self.steps.append(_HostStep(nodes[0], mode, excluding, inplace=id(nodes[0]) in owned))

    def run(self, arrays: Sequence[np.ndarray], shapes) -> list[np.ndarray]:
        fg = self.fgraph
        env: dict[int, Any] = {id(v): a for v, a in zip(fg.all_inputs, arrays)}
        for step in self.steps:
            if isinstance(step, _HostStep):
                self.before_host(step.node, env)
            step.run(env)
        return self.collect(env, arrays, shapes)

    def before_host(self, node: Apply, env: dict[int, Any]) -> None:
        """Hook: the host node `node` runs next on the values in `env`."""

    def collect(self, env: dict[int, Any], arrays, shapes) -> list[np.ndarray]:
        fg = self.fgraph
        # results are fresh arrays: never an argument, a constant, or another result
        taken = {id(a) for a in arrays}
        results = []
        for v, shape in zip(fg.results, shapes):
            a = _constant_array(v) if isinstance(v, Constant) else env[id(v)]
            if getattr(v.type, "sparse", False):  # a scipy.sparse matrix (host ops may return views: copied)
                a = a.copy()
            elif id(a) in taken or not a.flags.c_contiguous:
                a = np.array(a, dtype=v.type.dtype, order="C")
            taken.add(id(a))
            if a.shape != tuple(shape):
                raise RuntimeError(f"internal error: {v} has shape {a.shape} at run time, its shape rule said "
                                   f"{tuple(shape)}")
            results.append(a)
        return results

    def dump(self, level: str) -> str:
        """Each step's IR at `level`, in run order, host nodes with the IR of the graphs they run."""
        head = (f"// this function contains host ops, so it runs in {len(self.steps)} steps "
                f"(native segments compiled separately, host nodes driven from Python)\n")
        out = [head]
        for k, step in enumerate(self.steps):
            out.append(f"// ---- step {k}: {step.label()}\n")
            out.append(step.dump(level))
            if out[-1] and not out[-1].endswith("\n"):
                out.append("\n")
        return "".join(out)
