"""The Scan op: a loop whose body is a graph (Theano's scan), run from the host.

One node of the outer graph holds the graph of one step (its inner inputs
and outputs, built by `mlc.scan` from the user's `fn`):

    outer inputs   n_steps, sequences..., initial states..., non-sequences...
    inner inputs   sequence slices..., state taps..., non-sequences...
    inner outputs  next states..., mapped outputs..., [stop condition]
    outer outputs  states..., mapped outputs...

A sequence input holds one tap of a user's sequence, already shifted so that
step t reads its row t (or row n_steps-1-t going backwards). A state has
taps (-1 is the previous step) and a window of its -min(taps) latest values;
its initial value is the state itself when the only tap is -1, else a
stack whose first `window` rows are the values before step 0. A state's
output is every step's value, (n_steps, ...), or only the last one (the
new value of a shared variable that `fn` updates). A mapped output (no
feedback) is every step's value. Non-sequences are loop-invariant values:
the user's, and everything `fn` read from outside the loop.

Compiled, a scan whose step holds no host op is one native loop (`emit`:
an `scf.for` whose body is the step, see mlc.scan_module.native). With an
`until` condition it is a host node whose thunk calls one native loop (an
`scf.while`, `UntilLoop`) writing n_steps rows and returning the number of
steps it took; the outputs are that prefix of the rows. Otherwise the op is
a host op: compiled functions (mlc.compile.vm) loop in Python over the step
compiled natively once (`make_host_thunk`), as
`Mode.excluding('native-scan')` asks for every scan. `perform` loops in
Python over the numpy reference of the step. `infer_shape` runs the step's
shape rules on the first step's input shapes, so shape errors (a sequence
too short, an initial state that does not match what fn returns) surface
before any native code runs. With an `until` condition the number of steps
is known only by running them: the rows of the outputs returned for every
step have no shape before the run (None, see mlc.compile.function.ShapePlan);
n_steps is their upper bound.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlc.graph import Apply, Op, ShapeError, TensorType, Variable, built_at
from mlc.tensor.var import as_tensor_variable


@dataclass(frozen=True)
class State:
    """A recurrent output: its taps, the layout of its initial value, and what the loop returns of it."""

    taps: tuple[int, ...]  # negative: -1 reads the previous step's value
    stacked_init: bool  # the initial value has a leading time axis (its first `window` rows are used)
    keep_all: bool  # return every step's value (n_steps, ...), else only the last one

    @property
    def window(self) -> int:
        return -min(self.taps)


class Scan(Op):
    """A loop over the graph of one step; see the module docstring for the layout of its inputs."""

    def __init__(self, inner_inputs: Sequence[Variable], inner_outputs: Sequence[Variable], n_seqs: int,
                 states: Sequence[State], n_mapped: int, go_backwards: bool = False, until: bool = False,
                 truncate_gradient: int = -1, name: str | None = None, loc: Any = None,
                 mapped_like: Sequence[int | None] = ()):
        self.inner_inputs = list(inner_inputs)
        self.inner_outputs = list(inner_outputs)
        self.n_seqs = n_seqs
        self.states = tuple(states)
        self.n_mapped = n_mapped
        self.go_backwards = bool(go_backwards)
        self.until = bool(until)
        self.truncate_gradient = int(truncate_gradient)
        self.name = name
        self.loc = loc
        #: per mapped output: an inner input known to have its shape (None: unknown), see native.py
        self.mapped_like = tuple(mapped_like)
        self.n_taps = sum(len(s.taps) for s in self.states)
        self.n_nonseqs = len(self.inner_inputs) - n_seqs - self.n_taps
        assert self.n_nonseqs >= 0 and len(self.inner_outputs) == len(self.states) + n_mapped + self.until
        # inner input k reads outer input `self.sources[k][0]`; [1] is the tap for states, else None
        self.sources: list[tuple[int, int | None]] = [(1 + j, None) for j in range(n_seqs)]
        for r, st in enumerate(self.states):
            self.sources += [(1 + n_seqs + r, tap) for tap in st.taps]
        first_nonseq = 1 + n_seqs + len(self.states)
        self.sources += [(first_nonseq + j, None) for j in range(self.n_nonseqs)]
        self._fgraph = None
        self._plan = None
        self._programs: dict[tuple, Any] = {}

    @property
    def host(self) -> bool:
        """Run from Python (a host op) unless the loop compiles natively (mlc.scan_module.native).

        An until-scan is always a host node (its outputs' shapes are known only by running it); its
        thunk runs the native `scf.while` loop when the step compiles natively."""
        from mlc.scan_module.native import native_reason

        return self.until or native_reason(self) is not None

    def emit(self, ctx, node, operands):
        from mlc.scan_module.native import emit_scan

        return emit_scan(self, ctx, node, operands)

    # identity, not props: two scans are equal only if they are the same loop
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __str__(self) -> str:
        return f"Scan{{{self.name}}}" if self.name else "Scan"

    # -- the step graph ----------------------------------------------------------
    @property
    def fgraph(self):
        """The step as a FunctionGraph (inner inputs -> inner outputs)."""
        if self._fgraph is None:
            from mlc.compile.function import FunctionGraph

            self._fgraph = FunctionGraph(self.inner_inputs, self.inner_outputs, [], {}, "ignore")
            # a state the step advances with a host op that may work in place (a RandomStreams draw):
            # the loop gives each step's value up, so the step's program lets the op advance it in place
            self._fgraph.carried = [(self.inner_inputs[self._state_input(r)], self.inner_outputs[r])
                                    for r in self.states_advanced_in_place()]
        return self._fgraph

    def _state_input(self, r: int) -> int:
        """The inner input of state r's first tap."""
        return self.n_seqs + sum(len(s.taps) for s in self.states[:r])

    def states_advanced_in_place(self) -> list[int]:
        """The states (tap -1, only the last value returned) whose next value is output 0 of a host op
        that may advance its input `inplace_input` (a random draw's RandomState) from the state itself."""
        found = []
        for r, st in enumerate(self.states):
            if st.taps != (-1,) or st.stacked_init or st.keep_all:
                continue
            out, node = self.inner_outputs[r], self.inner_outputs[r].owner
            k = getattr(getattr(node, "op", None), "inplace_input", None)
            if k is not None and out is node.outputs[0] and node.inputs[k] is self.inner_inputs[self._state_input(r)]:
                found.append(r)
        return found

    def in_place_pairs(self, node) -> list[tuple[int, int]]:
        """(input, output) pairs of the node the loop may advance in place (mlc.compile.vm.in_place_host_nodes):
        when the function owns those states, the loop skips its one copy of each (see `run_loop`)."""
        return [(1 + self.n_seqs + r, r) for r in self.states_advanced_in_place()]

    def shape_plan(self):
        if self._plan is None:
            from mlc.compile.function import ShapePlan

            self._plan = ShapePlan(self.fgraph)
        return self._plan

    def step_program(self, mode: str, excluding: tuple[str, ...] = ()):
        """The step compiled on its own in `mode` (once per mode): a callable on the inner inputs' arrays."""
        key = (mode, tuple(excluding))
        prog = self._programs.get(key)
        if prog is None:
            from mlc.compile.vm import SubProgram

            prog = self._programs[key] = SubProgram(self.fgraph, mode, tuple(excluding))
        return prog

    @property
    def shape_value_inputs(self) -> tuple[int, ...]:
        plan = self.shape_plan()
        needed = {self.sources[k][0] for k in (*plan.value_inputs, *plan.checked_inputs)}
        return (0, *sorted(needed))

    # -- the type rule -----------------------------------------------------------
    def make_node(self, n_steps, *inputs) -> Apply:
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or n_steps.dtype != "int64":
            raise TypeError(f"{self}: n_steps must be an int64 scalar, got {n_steps} ({n_steps.type})")
        inputs = [as_tensor_variable(v) for v in inputs]
        expected = self.n_seqs + len(self.states) + self.n_nonseqs
        if len(inputs) != expected:
            raise TypeError(f"{self}: expected {expected} inputs after n_steps, got {len(inputs)}")
        for k, (outer, tap) in enumerate(self.sources):
            inner, v = self.inner_inputs[k], inputs[outer - 1]
            lead = 1 if self._has_time_axis(outer) else 0
            if v.dtype != inner.dtype or v.ndim != inner.ndim + lead:
                raise TypeError(f"{self}: input {outer} ({v}, {v.type}) does not match the step's input {inner} "
                                f"({inner.type}){' with a leading time axis' if lead else ''}{built_at(v)}")
        return Apply(self, [n_steps, *inputs], self._output_types())

    def _has_time_axis(self, outer: int) -> bool:
        s, r = self.n_seqs, len(self.states)
        if outer <= s:
            return True
        if outer <= s + r:
            return self.states[outer - 1 - s].stacked_init
        return False

    def _state_type(self, r: int) -> TensorType:
        first = self.n_seqs + sum(len(s.taps) for s in self.states[:r])
        return self.inner_inputs[first].type

    def _output_types(self) -> list[TensorType]:
        types = []
        for r, st in enumerate(self.states):
            t = self._state_type(r)
            types.append(TensorType(t.dtype, (False, *t.broadcastable)) if st.keep_all else t)
        for out in self.inner_outputs[len(self.states):len(self.states) + self.n_mapped]:
            types.append(TensorType(out.dtype, (False, *out.broadcastable)))
        return types

    def connection_pattern(self, node):
        return [[False] * len(node.outputs)] + [[True] * len(node.outputs) for _ in node.inputs[1:]]

    # -- shapes ------------------------------------------------------------------
    def _where(self) -> str:
        return f" (scan built at {self.loc})" if self.loc is not None else ""

    def infer_shape(self, node, shapes, value):
        """The outputs' shapes; with `until`, None for those with a row per step (known only by running)."""
        return self.loop_shapes(node, shapes, value, bounded=not self.until)

    def loop_shapes(self, node, shapes, value, bounded: bool):
        """The outputs' shapes with n_steps rows per stacked output, or None for those when not `bounded`."""
        n = int(value(0))
        if n < 0:
            raise ShapeError(f"scan: n_steps must be >= 0, got {n}{self._where()}")
        for j in range(self.n_seqs):
            if shapes[1 + j][0] < n:
                raise ShapeError(f"scan: sequence {node.inputs[1 + j]} has {shapes[1 + j][0]} entries (after "
                                 f"its taps), fewer than the {n} steps to run{built_at(node.inputs[1 + j])}"
                                 f"{self._where()}")
        for r, st in enumerate(self.states):
            init = node.inputs[1 + self.n_seqs + r]
            if st.stacked_init and shapes[1 + self.n_seqs + r][0] < st.window:
                raise ShapeError(f"scan: the initial value {init} of an output with taps {list(st.taps)} needs "
                                 f"at least {st.window} entries along its first axis, got shape "
                                 f"{tuple(shapes[1 + self.n_seqs + r])}{built_at(init)}")
        step_shapes = self._step_shapes(node, shapes, value, n)
        out = []
        for r, st in enumerate(self.states):
            state = self._state_shape(r, shapes)
            # (None: the step's shape is known only by running it, an until-scan inside: checked at each step)
            if step_shapes[r] is not None and step_shapes[r] != state:
                init = node.inputs[1 + self.n_seqs + r]
                raise ShapeError(f"scan: fn returns shape {step_shapes[r]} for output {r}, but its state (from "
                                 f"the initial value {init}{built_at(init)}) has shape {state}; they must be "
                                 f"equal{self._where()}")
            out.append(((n, *state) if bounded else None) if st.keep_all else state)
        for s in step_shapes[len(self.states):len(self.states) + self.n_mapped]:
            out.append((n, *s) if bounded and s is not None else None)
        return out

    def _state_shape(self, r: int, shapes) -> tuple[int, ...]:
        s = tuple(shapes[1 + self.n_seqs + r])
        return s[1:] if self.states[r].stacked_init else s

    def _step_shapes(self, node, shapes, value, n: int) -> list[tuple[int, ...]]:
        """The inner outputs' shapes at the first step (input values where the step's shapes need them)."""
        plan = self.shape_plan()
        need = set(plan.value_inputs) | set(plan.checked_inputs)
        arrays = []
        for k, (outer, tap) in enumerate(self.sources):
            inner = self.inner_inputs[k]
            shape = tuple(shapes[outer])
            if self._has_time_axis(outer):
                shape = shape[1:]
            for d, b in enumerate(inner.broadcastable):
                if b and shape[d] != 1:
                    src = f"{node.inputs[outer]}{built_at(node.inputs[outer])}" if node is not None else outer
                    raise ShapeError(f"scan: the step's input {inner} is broadcastable in dimension {d}, but the "
                                     f"value it comes from ({src}) has shape {tuple(shapes[outer])}{self._where()}")
            if k in need:
                arrays.append(self._first_value(node, k, np.asarray(value(outer)), shape, n))
            else:
                arrays.append(np.broadcast_to(np.zeros((), inner.dtype), shape))
        try:
            return plan.result_shapes(arrays)
        except ValueError as exc:
            raise ShapeError(f"scan: in the step function{self._where()}: {exc}") from None

    def _first_value(self, node, k: int, array: np.ndarray, shape, n: int) -> np.ndarray:
        outer, tap = self.sources[k]
        if outer <= self.n_seqs:
            if n == 0:
                return np.zeros(shape, array.dtype)
            return array[n - 1 if self.go_backwards else 0, ...]
        r = outer - 1 - self.n_seqs
        if r < len(self.states) and self.states[r].stacked_init:
            return array[self.states[r].window + tap, ...]
        return array

    # -- running -----------------------------------------------------------------
    def perform(self, node, inputs):
        return self.run_loop(inputs, self.step_program("REFERENCE"))

    def make_host_thunk(self, node, mode: str, excluding: tuple[str, ...] = ()) -> Callable:
        """A callable on the node's inputs (compiled now, once): an until-scan's native `scf.while` loop,
        else the loop in Python over the step compiled natively."""
        from mlc.scan_module.native import native_reason, until_thunk

        if self.until and native_reason(self) is None:
            return until_thunk(self, node, mode, excluding)
        step = self.step_program(mode, excluding)
        return lambda inputs: self.run_loop(inputs, step)

    def make_inplace_thunk(self, node, mode: str, excluding: tuple[str, ...] = ()) -> Callable:
        """The loop for a function that owns the states advanced in place (`in_place_pairs`): no copy."""
        step = self.step_program(mode, excluding)
        return lambda inputs: self.run_loop(inputs, step, owned=True)

    def dump_host(self, node, level: str) -> str:
        loops = [p for (mode, _), p in self._programs.items() if mode.startswith("until:")]
        if loops:
            head = (f"// {self}: one native loop (scf.while) writing n_steps rows; the outputs are the rows "
                    f"of the steps it took:\n")
            return head + loops[0].dump(level)
        progs = [p for (mode, _), p in self._programs.items() if mode != "REFERENCE"]
        head = f"// {self}: a loop in Python; its step, compiled once on its own, runs once per iteration:\n"
        return head + (progs[0].dump(level) if progs else "// (step not compiled)\n")

    def run_loop(self, inputs: Sequence[np.ndarray], step: Callable, owned: bool = False):
        """Run the loop, calling `step(inner input arrays) -> inner output arrays` once per iteration.

        The states the step advances in place (`states_advanced_in_place`: RandomStates) are copied
        once before the first step, unless `owned` (the function gives their old values up)."""
        return self.loop_with_count(inputs, step, owned)[0]

    def loop_with_count(self, inputs: Sequence[np.ndarray], step: Callable,
                        owned: bool = False) -> tuple[list[np.ndarray], int]:
        """`run_loop`'s outputs and the number of steps taken."""
        n = int(inputs[0])
        s, r = self.n_seqs, len(self.states)
        seqs = inputs[1:1 + s]
        inits = list(inputs[1 + s:1 + s + r])
        if not owned:
            for k in self.states_advanced_in_place():
                inits[k] = copy.deepcopy(inits[k])
        nonseqs = list(inputs[1 + s + r:])
        # history[r]: the state's latest `window` values, oldest first (tap k reads history[r][window + k])
        history = []
        stacked: list[np.ndarray | None] = []
        for st, init in zip(self.states, inits):
            w = st.window
            hist = [init[i, ...] for i in range(w)] if st.stacked_init else [init]
            history.append(hist)
            if st.keep_all:
                buf = np.empty((n + w, *hist[0].shape), dtype=hist[0].dtype)
                buf[:w] = np.stack(hist)
                history[-1] = [buf[i, ...] for i in range(w)]
                stacked.append(buf)
            else:
                stacked.append(None)
        mapped: list[np.ndarray | None] = [None] * self.n_mapped
        done = n
        reads = [[st.window + tap for tap in st.taps] for st in self.states]  # history rows of each tap
        windows = [st.window for st in self.states]
        for t in range(n):
            pos = n - 1 - t if self.go_backwards else t
            args = [q[pos, ...] for q in seqs]
            for rows, hist in zip(reads, history):
                args += [hist[i] for i in rows]
            try:
                outs = step(args + nonseqs)
            except ValueError as exc:
                raise ValueError(f"scan: at step {t}{self._where()}: {exc}") from None
            for k, hist in enumerate(history):
                new = outs[k]
                if new.shape != hist[-1].shape:
                    raise ValueError(f"scan: at step {t}, fn returned shape {new.shape} for output {k}, whose state "
                                     f"has shape {hist[-1].shape}{self._where()}")
                buf = stacked[k]
                if buf is not None:
                    buf[windows[k] + t] = new
                    new = buf[windows[k] + t, ...]
                hist.pop(0)
                hist.append(new)
            for j in range(self.n_mapped):
                new = outs[r + j]
                if mapped[j] is None:
                    mapped[j] = np.empty((n, *new.shape), dtype=new.dtype)
                elif new.shape != mapped[j].shape[1:]:
                    raise ValueError(f"scan: at step {t}, fn returned shape {new.shape} for output {r + j}, "
                                     f"shape {mapped[j].shape[1:]} at step 0; mapped outputs must keep their "
                                     f"shape{self._where()}")
                mapped[j][t] = new
            if self.until and bool(outs[-1]):
                done = t + 1
                break
        results = []
        for k, (st, hist) in enumerate(zip(self.states, history)):
            if st.keep_all:
                results.append(stacked[k][st.window:st.window + done])
            else:
                last = hist[-1]
                results.append(np.array(last, copy=True) if done == 0 or last.base is not None else last)
        for j, arr in enumerate(mapped):
            if arr is None:  # no step ran: the shapes come from the shape rule
                shapes = [np.shape(a) for a in inputs]
                step_shapes = self._step_shapes(None, shapes, lambda i: inputs[i], 0)
                out = self.inner_outputs[r + j]
                arr = np.empty((0, *step_shapes[r + j]), dtype=out.dtype)
            results.append(arr[:done])
        return results, done

    # -- gradient ----------------------------------------------------------------
    def L_op(self, inputs, outputs, output_grads):
        from mlc.scan_module.grad import scan_grad

        return scan_grad(self, inputs, outputs, output_grads)

    def batch(self, node, inputs, batched):
        from mlc.scan_module.batch import batch_scan

        return batch_scan(self, inputs, batched)
