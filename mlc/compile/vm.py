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
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlc.graph import Apply, Constant, Op, Variable, copy_nodes
from mlc.graph.lazy import placements


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
    """Host nodes that may overwrite the inputs they name (ids of the nodes).

    A random draw's state (a shared RandomState) is advanced in place, as
    Theano's `random_make_inplace` does, when the function updates that
    shared variable with the node's new state (output 0) and nothing else
    reads the old one: then no copy of the state is made. Otherwise (e.g.
    `no_default_updates`) the op copies it. The same holds for a loop's
    carried value (`fgraph.carried`: a scan step's RandomState) and for a
    scan whose random states are such updates (`op.in_place_pairs`: every
    (input, output) pair it names must be owned).
    """
    readers: dict[int, int] = {}
    for node in fgraph.nodes:
        for v in node.inputs:
            readers[id(v)] = readers.get(id(v), 0) + 1
    for v in fgraph.results:
        readers[id(v)] = readers.get(id(v), 0) + 1
    given_up = {id(u): s for s, u in (*fgraph.updates, *getattr(fgraph, "carried", ()))}
    owned = set()
    for node in {id(u.owner): u.owner for s, u in (*fgraph.updates, *getattr(fgraph, "carried", ()))
                 if u.owner is not None}.values():
        op = node.op
        k = getattr(op, "inplace_input", None)
        pairs = op.in_place_pairs(node) if hasattr(op, "in_place_pairs") else [(k, 0)] if k is not None else []
        if pairs and all(given_up.get(id(node.outputs[out])) is node.inputs[i] and readers.get(id(node.inputs[i])) == 1
                         for i, out in pairs):
            owned.add(id(node))
    return owned


class LazyHostBranches(Op):
    """A lazy node (ifelse) whose branches hold host ops, run as one host step: it picks the branch
    from its condition and runs only that branch's nodes (a SubProgram per branch), so a host op
    of the branch not taken never runs. Inputs: the condition, then every value the branches read
    from outside; outputs: the lazy node's."""

    host = True

    def __init__(self, node: Apply, branches: list[list[Apply]]):
        self.node = node
        cond_index, members = node.op.lazy_branches(node)
        self.inputs: list[Variable] = [node.inputs[cond_index]]
        self.graphs = []  # per branch: (FunctionGraph over fresh inputs, positions of those in self.inputs)
        for nodes, results in zip(branches, members):
            produced = {id(o) for n in nodes for o in n.outputs}
            yielded = [node.inputs[i] for i in results]
            replace: dict[int, Variable] = {}
            reads: list[Variable] = []
            for v in [v for n in nodes for v in n.inputs] + yielded:
                if id(v) not in produced and id(v) not in replace and not isinstance(v, Constant):
                    replace[id(v)] = fresh = v.type(v.name or str(v))
                    fresh.loc = v.loc
                    reads.append(v)
            memo = copy_nodes(nodes, replace)
            positions = []
            for v in reads:
                if not any(v is w for w in self.inputs):
                    self.inputs.append(v)
                positions.append(next(k for k, w in enumerate(self.inputs) if w is v))
            self.graphs.append(([memo[id(v)] for v in reads], [memo.get(id(v), v) for v in yielded], positions))

    def __str__(self) -> str:
        return f"lazy {self.node.op}"

    def make_host_thunk(self, node, mode: str, excluding: tuple[str, ...] = ()):
        from mlc.compile.function import FunctionGraph

        programs = [(SubProgram(FunctionGraph(ins, outs, [], {}, "ignore"), mode, excluding), positions)
                    for ins, outs, positions in self.graphs]
        self.programs = [p for p, _ in programs]
        pick = self.node.op.pick_branch

        def thunk(args):
            program, positions = programs[pick(args[0])]
            return program([args[k] for k in positions])

        return thunk

    def dump_host(self, node, level: str) -> str:
        out = [f"// {self.node.op}: its branches hold host ops; the condition picks one, which runs alone\n"]
        for b, program in enumerate(getattr(self, "programs", ())):
            out.append(f"// -- branch {b}\n{program.dump(level)}")
        return "".join(out)


@dataclass
class _GroupNode:
    """A node of the partitioned schedule standing for a whole group (its outputs are the group's)."""

    op: LazyHostBranches
    inputs: list[Variable]
    outputs: list[Variable]


def lazy_host_groups(nodes: Sequence[Apply], results: Sequence[Variable]) -> list[Apply]:
    """`nodes` (toposorted) with each outermost lazy node whose branches hold a host op, and the nodes of
    its branches, replaced by one `LazyHostBranches` node (its outputs: the lazy node's own)."""
    if not any(n.op.lazy_branches(n) is not None for n in nodes):
        return list(nodes)
    place = placements(nodes, results)
    outer = {place[id(n)][0][0] for n in nodes if n.op.host and place[id(n)]}
    if not outer:
        return list(nodes)
    out = []
    for n in nodes:
        p = place[id(n)]
        if p and p[0][0] in outer:
            continue  # runs inside its group
        if id(n) in outer:
            lazy = n.op.lazy_branches(n)
            branches = [[m for m in nodes if place[id(m)] and place[id(m)][0] == (id(n), b)]
                        for b in range(len(lazy[1]))]
            group = LazyHostBranches(n, branches)
            out.append(_GroupNode(group, group.inputs, list(n.outputs)))
            continue
        out.append(n)
    return out


class PartitionedProgram:
    """A FunctionGraph with host ops: native segments and host nodes run in turn (see the module doc).

    A lazy node (ifelse) whose branches hold host ops runs as one host step
    (`LazyHostBranches`) after its condition: only the branch taken runs.

    `segment(fgraph)`, if given, compiles each native segment (a callable on
    arrays with `dump(level)`, like `SubProgram`: the GPU backend's segments
    run on the device); `before_host` sees a host node's inputs before it runs."""

    def __init__(self, fgraph, mode: str, excluding: tuple[str, ...] = (), segment=None):
        self.fgraph = fgraph
        self.mode = mode
        plan = schedule(lazy_host_groups(fgraph.nodes, fgraph.results))
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
            if shape is not None and a.shape != tuple(shape):  # (None: known only by running, an until-scan)
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
