"""`mlc.function`: compile a symbolic graph into a callable on numpy arrays.

This is the one place that ties the graph, the compile pipeline (emission,
passes, lowering) and the runtime together. A `Function`:

1. prepares the graph (givens substituted, shared variables collected,
   updates checked),
2. compiles it (`mlc.compile.pipeline`) unless mode is 'REFERENCE' (the
   numpy interpreter of the graph, used by tests as the definition),
3. at each call validates the arguments (count, dtype, rank, broadcastable
   dims), computes the result shapes and checks every shape constraint
   (natively, with the ops' shape rules traced into a shape function:
   `mlc.compile.native_shapes`; the Python walk of the rules, `ShapePlan`,
   runs on the first call, to learn a new branch of the rules, and to raise
   a clear ValueError naming the user's line on incompatible shapes, before
   any kernel runs), allocates the outputs and runs the code, then applies
   the updates. Repeat calls take the fast path (`mlc.compile.fastcall`),
   and hot functions a native entry (`mlc.compile.dispatch`).
"""

from __future__ import annotations

import contextlib
import copy
import operator
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.compile.fastcall import MISS as FAST_MISS
from mlc.compile.fastcall import FastCall
from mlc.compile.native_shapes import NativeShapes
from mlc.config import config
from mlc.graph import Constant, ShapeError, Variable, ancestors, built_at, clone_replace, graph_inputs, toposort
from mlc.graph.lazy import UNKNOWN, LazySchedule
from mlc.sharedvalue import Container, SharedVariable
from mlc.tensor.shape import Shape
from mlc.tensor.var import TensorVariable, as_tensor_variable


def is_sparse(v) -> bool:
    """Is `v` a sparse variable (mlc.sparse: its values are scipy.sparse matrices, never ndarrays)?"""
    return getattr(v.type, "sparse", False)


def _as_result(x) -> Variable:
    """`x` as a variable a function may compute or be given: a tensor variable, or a sparse variable."""
    if isinstance(x, Variable) and is_sparse(x):
        return x
    return as_tensor_variable(x)


def _value_key(a) -> tuple | bytes:
    """The cache key of a value that decides shapes: its bytes (a sparse matrix: those of its arrays)."""
    if isinstance(a, np.ndarray):
        return a.tobytes()
    return (a.format, a.shape, a.data.tobytes(), a.indices.tobytes(), a.indptr.tobytes())


class In:
    """An input with options (Theano's `theano.compile.io.In`).

    `value`: a default, which makes the argument optional; with `update` (an
    expression of the function's variables) the value is *state* kept by the
    function between calls (read and set with `f[var]`, `f.value[name]`).
    `mutable=True`: the function may destroy the argument's contents (Theano's
    destructive in-place ops): mlc writes the first output of the
    argument's shape and dtype into the argument's own array when the code
    can (the output returned is then that array). Without it an argument is
    never modified. `borrow=True`: the function may alias the value
    (arguments of the right dtype are used without a copy either way).
    `implicit`: the caller may not pass it (shared variables' inputs).
    """

    def __init__(self, variable: Variable, name: str | None = None, value: Any = None, update=None,
                 mutable: bool | None = None, strict: bool = False, allow_downcast: bool | None = None,
                 autoname: bool = True, implicit: bool | None = None, borrow: bool | None = None,
                 shared: bool = False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In: expected a symbolic variable, got {type(variable).__name__} {variable!r}")
        if update is not None:
            update = _as_result(update)
            if update.type != variable.type:
                raise TypeError(f"Variable '{variable}' has type {variable.type} but an update of type "
                                f"{update.type}. The type of the update should be the same as the type of the "
                                f"variable{built_at(update)}")
        self.variable = variable
        self.name = variable.name if autoname and name is None else name
        self.update = update
        self.mutable = (update is not None) if mutable is None else bool(mutable)
        self.borrow = self.mutable if borrow is None else bool(borrow)
        if self.mutable and not self.borrow:
            raise AssertionError(f"Symbolic input for variable {variable} (name={name}) has flags mutable=True, "
                                 f"borrow=False. This combination is incompatible since mutable=True implies that "
                                 f"the input variable may be both aliased (borrow=True) and overwritten.")
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.shared = shared
        self.value = value
        self.implicit = isinstance(value, (Container, SharedVariable)) if implicit is None else bool(implicit)
        if self.implicit and value is None:
            raise TypeError("An implicit input must be given a default value")

    @property
    def has_default(self) -> bool:
        return self.value is not None

    def __repr__(self) -> str:
        return f"In({self.variable})"


class Out:
    """An output with options (Theano's `Out`).

    `borrow=True` allows the function to return its internal storage, which
    a later call may overwrite: mlc keeps the output's array per input
    shapes and has the native code write the next call's values into it
    (`mlc.compile.fastcall`), so an array returned earlier may change (and
    two threads calling the function at once share that array). With
    `borrow=False` (the default) every call returns fresh arrays, aliased to
    no input, shared value or other output.
    """

    def __init__(self, variable: Variable, borrow: bool = False):
        self.variable = variable
        self.borrow = borrow

    def __repr__(self) -> str:
        return f"Out({self.variable},{self.borrow})"


class UnusedInputError(ValueError):
    pass


class MissingInputError(ValueError):
    pass


# ----------------------------------------------------------------------------
# Graph preparation
# ----------------------------------------------------------------------------


def _as_update_pairs(updates) -> list[tuple[SharedVariable, Variable]]:
    if updates is None:
        return []
    if isinstance(updates, dict):
        pairs = list(updates.items())
    else:
        pairs = [tuple(p) for p in updates]
    out = []
    seen = set()
    for p in pairs:
        if len(p) != 2:
            raise TypeError(f"updates: expected (shared_variable, new_expression) pairs, got {p!r}")
        s, u = p
        if not isinstance(s, SharedVariable):
            raise TypeError(f"updates: expected a shared variable to update, got {s!r}{built_at(s)}")
        if id(s) in seen:
            raise ValueError(f"updates: shared variable {s} is updated more than once")
        seen.add(id(s))
        u = _as_result(u)
        if (is_sparse(s) or is_sparse(u)) and u.type != s.type:
            raise TypeError(f"updates: the update of {s} ({s.type}) must have the same type, got {u} ({u.type})"
                            f"{built_at(u)}")
        if u.ndim != s.ndim:
            raise TypeError(f"updates: the update of {s} ({s.type}) must have the same type, got {u} ({u.type})"
                            f"{built_at(u)}")
        if u.dtype != s.dtype:
            raise TypeError(f"updates: the update of {s} must have dtype {s.dtype}, got {u.dtype} ({u.type}); "
                            f"cast it with .astype({s.dtype!r}) or make the expression keep {s.dtype}"
                            f"{built_at(u)}")
        out.append((s, u))
    return out


def _default_updates(outputs, pairs, no_default_updates) -> list[tuple[SharedVariable, Variable]]:
    """The `default_update`s of the shared variables the graph reads and `pairs` does not update.

    A random stream's state carries its own update (the state after the
    draw), so every function that draws advances it (Theano's rule).
    `no_default_updates=True` turns them all off; a list turns off those of
    the shared variables it names. Updates may read further shared variables
    with default updates: those are added too.
    """
    if no_default_updates is True:
        return []
    skip = {id(v) for v in (no_default_updates or ())}
    done = {id(s) for s, _ in pairs}
    found: list[tuple[SharedVariable, Variable]] = []
    roots = list(outputs) + [u for _, u in pairs]
    while True:
        new = [v for v in graph_inputs(roots) if isinstance(v, SharedVariable) and id(v) not in done
               and id(v) not in skip and getattr(v, "default_update", None) is not None]
        if not new:
            return found
        for v in new:
            done.add(id(v))
            found.extend(_as_update_pairs([(v, v.default_update)]))
            roots.append(found[-1][1])


def _as_givens(givens) -> dict[Variable, Variable]:
    if givens is None:
        return {}
    pairs = list(givens.items()) if isinstance(givens, dict) else [tuple(p) for p in givens]
    out = {}
    for old, new in pairs:
        if not isinstance(old, Variable):
            raise TypeError(f"givens: expected a variable to replace, got {old!r}")
        new = _as_result(new)
        if getattr(old, "ndim", None) != new.ndim:
            raise TypeError(f"givens: {old} ({old.type}) cannot be replaced by {new} ({new.type}): ranks differ")
        if old.type.dtype != new.type.dtype:
            raise TypeError(f"givens: {old} ({old.type}) cannot be replaced by {new} ({new.type}): dtypes differ")
        out[old] = new
    return out


class FunctionGraph:
    """The prepared graph of a function: inputs, shared inputs, outputs and updates."""

    def __init__(self, inputs: list[Variable], outputs: list[Variable], updates: list[tuple[SharedVariable, Variable]],
                 givens: dict[Variable, Variable], on_unused_input: str):
        for v in inputs:
            if not isinstance(v, Variable):
                raise TypeError(f"function inputs must be symbolic variables, got {v!r}")
            if isinstance(v, Constant):
                raise TypeError(f"function inputs cannot be constants, got {v}")
            if v.owner is not None:
                raise TypeError(f"function input {v} is computed by {v.owner.op}; inputs must be free variables "
                                f"(use givens= to replace an intermediate){built_at(v)}")
        if len(set(map(id, inputs))) != len(inputs):
            raise ValueError(f"function: an input is given twice in {inputs}")
        roots = outputs + [u for _, u in updates]
        if givens:
            roots = clone_replace(roots, givens)
        self.outputs = roots[:len(outputs)]
        self.updates = [(s, r) for (s, _), r in zip(updates, roots[len(outputs):])]
        self.inputs = list(inputs)
        used = set(map(id, ancestors(roots)))
        for v in inputs:
            if id(v) not in used:
                msg = f"function: input {v} is not used to compute any output{built_at(v)}"
                if on_unused_input == "raise":
                    raise UnusedInputError(msg + " (pass on_unused_input='ignore' to allow it)")
                if on_unused_input == "warn":
                    import warnings

                    warnings.warn(msg, stacklevel=4)
        free = graph_inputs(roots)
        given_ids = set(map(id, inputs))
        self.shared = [v for v in free if isinstance(v, SharedVariable) and id(v) not in given_ids]
        self.shared.sort(key=lambda v: v.auto_name)
        for s, _ in self.updates:
            if id(s) not in set(map(id, self.shared)) and id(s) not in given_ids:
                self.shared.append(s)
        missing = [v for v in free if not isinstance(v, (Constant, SharedVariable)) and id(v) not in given_ids]
        if missing:
            v = missing[0]
            raise MissingInputError(f"function: the graph needs input {v} ({v.type}), which is not in the "
                                    f"inputs list{built_at(v)}")
        self.all_inputs = self.inputs + self.shared
        #: indices of inputs whose storage the code may overwrite (In(mutable=True); set by Function)
        self.mutable_inputs: tuple[int, ...] = ()
        self.nodes = toposort(self.outputs + [u for _, u in self.updates])
        #: (input, output) pairs whose output is the input's next value in a loop that gives the old
        #: value up (a scan's carried state): like an update, a host op may advance that input in place
        self.carried: list[tuple[Variable, Variable]] = []

    @property
    def results(self) -> list[Variable]:
        """Everything the compiled code computes: outputs, then new values of updated shared variables."""
        return self.outputs + [u for _, u in self.updates]


# ----------------------------------------------------------------------------
# Shapes (validation before any native code runs)
# ----------------------------------------------------------------------------


class ShapePlan:
    """Concrete shapes of every variable, computed with the ops' shape rules.

    Value-dependent shapes (reshape to a symbolic shape, arange, symbolic
    slices) evaluate the small scalar subgraphs they need with the numpy
    reference. Results are cached per input shapes (and, when shapes depend
    on input values, per those values). Ops whose input values are only
    checked (`check_value_inputs`: index bounds) do not enter the key: on a
    cache hit just their checks run again.
    """

    def __init__(self, fg: FunctionGraph):
        self.fg = fg
        value_vars = [n.inputs[i] for n in fg.nodes for i in n.op.shape_value_inputs if i < len(n.inputs)]
        reached = set(map(id, _value_ancestors(value_vars)))
        # inputs whose values (not only shapes) decide some shape: part of the cache key
        self.value_inputs = [k for k, v in enumerate(fg.all_inputs) if id(v) in reached]
        check_vars = [n.inputs[i] for n in fg.nodes for i in n.op.check_value_inputs]
        checked = set(map(id, _value_ancestors(check_vars)))
        #: inputs whose values some shape rule checks (or needs): a nested plan must get real values
        self.checked_inputs = [k for k, v in enumerate(fg.all_inputs) if id(v) in checked]
        free = set(map(id, fg.all_inputs))
        self.check_nodes = [n for n in fg.nodes if n.op.check_value_inputs and any(
            id(v) in free for v in _value_ancestors([n.inputs[i] for i in n.op.check_value_inputs]))]
        # key -> (result shapes, checking nodes to replay with their input shapes, all shapes,
        #         value-reading nodes with their input and output shapes)
        self.cache: dict[tuple, tuple] = {}
        self.schedule = LazySchedule(fg.nodes, fg.results)  # ifelse: shapes of the taken branch only
        #: nodes whose shape rules read values (slices with symbolic bounds, arange, alloc, reshape)
        self.value_nodes = {id(n) for n in fg.nodes if any(i < len(n.inputs) for i in n.op.shape_value_inputs)}
        # With values in the key, a new index value (x[i*bs:(i+1)*bs]) would walk the whole graph again.
        # Instead, per input shapes, the last walks are kept and only their value-reading shape rules rerun:
        # when each gives the shapes it gave then, every other shape is the same too (the other rules
        # read shapes only). Not with ifelse: which nodes have shapes depends on values.
        self.by_shapes: dict[tuple, list] | None = {} if self.value_inputs and not any(
            n.op.lazy_branches(n) for n in fg.nodes) else None
        #: how many times the whole graph's shape rules ran (tests count them)
        self.walks = 0
        #: id(variable) -> the schedule computing its value (value_of)
        self._value_schedules: dict[int, LazySchedule] = {}
        self._value_needs: dict[int, set[int]] = {}  # id(variable) -> ids of what its value reads

    def result_shapes(self, arrays: Sequence[np.ndarray]) -> list[tuple[int, ...]]:
        shape_key = tuple(a.shape for a in arrays)
        key = shape_key + tuple(_value_key(arrays[k]) for k in self.value_inputs)
        hit = self.cache.get(key)
        if hit is None and self.by_shapes is not None:
            for last in self.by_shapes.get(shape_key, ()):
                if self._same_value_shapes(arrays, last):
                    if last[1]:
                        self._run(arrays, last[1], last[2])
                    return last[0]
        if hit is None:
            hit = self._walk(arrays)
            if len(self.cache) > 256:
                self.cache.clear()
            self.cache[key] = hit
            if self.by_shapes is not None:
                if len(self.by_shapes) > 64:
                    self.by_shapes.clear()
                # the last few walks per input shapes (a full batch and the short last one)
                self.by_shapes[shape_key] = [hit, *self.by_shapes.get(shape_key, [])[:3]]
        elif hit[1]:
            self._run(arrays, hit[1], hit[2])
        return hit[0]

    def _same_value_shapes(self, arrays, hit) -> bool:
        """Rerun the value-reading shape rules of `hit`'s walk with these values: same outputs?"""
        shape_of, value_of = self._evaluator(arrays, hit[2])
        for node, ins, outs in hit[3]:
            got = self._infer(node, ins, value_of, arrays)
            if tuple(None if s is None else tuple(int(n) for n in s) for s in got) != outs:
                return False
        return True

    def _evaluator(self, arrays, shapes):
        fg = self.fg
        values: dict[int, Any] = {id(v): a for v, a in zip(fg.all_inputs, arrays)}

        def shape_of(v):
            if isinstance(v, Constant):
                return np.shape(v.data)
            return shapes[id(v)]

        def value_of(v):
            if isinstance(v, Constant):
                return v.data
            if v.owner is not None and isinstance(v.owner.op, Shape):
                return np.asarray(shape_of(v.owner.inputs[0]), dtype="int64")
            if id(v) not in values:
                # only what v's value needs: a shape(x) on the way is read from the shapes, never
                # by computing x (no tensor op is evaluated to learn a shape)
                needed = self._value_needs.get(id(v))
                if needed is None:
                    needed = self._value_needs[id(v)] = set(map(id, _value_ancestors([v])))

                def compute(n):
                    # any output counts: a random draw is the second output of its node
                    wanted = any(id(o) in needed for o in n.outputs)
                    if wanted and isinstance(n.op, Shape) and (
                            isinstance(n.inputs[0], Constant) or id(n.inputs[0]) in shapes):
                        values[id(n.outputs[0])] = np.asarray(shape_of(n.inputs[0]), dtype="int64")
                    elif wanted and not all(id(o) in values for o in n.outputs):
                        outs = n.op.perform(n, [values.get(id(i)) if n.op.lazy_branches(n) else value_of(i)
                                                for i in n.inputs])
                        for o, r in zip(n.outputs, outs):
                            values[id(o)] = r

                schedule = self._value_schedules.get(id(v))
                if schedule is None:
                    schedule = self._value_schedules[id(v)] = LazySchedule(
                        toposort([v], blockers=fg.all_inputs), [v])
                schedule.walk(compute, lambda n, i: value_of(n.inputs[i]))
            return values[id(v)]

        return shape_of, value_of

    def _run(self, arrays, steps, shapes) -> None:
        """Re-apply the checking shape rules (node, input shapes) with these arrays' values."""
        shape_of, value_of = self._evaluator(arrays, shapes)
        for node, ins in steps:
            self._infer(node, ins, value_of, arrays)

    def _infer(self, node, ins, value_of, arrays):
        try:
            return node.op.infer_shape(node, ins, lambda i: value_of(node.inputs[i]))
        except ShapeError as exc:
            # a subclass keeps its class (and so its other base: Theano raises TypeError for some sizes)
            cls = ValueError if type(exc) is ShapeError else type(exc)
            raise cls(f"{exc}\n  while computing {node.op} on inputs with shapes "
                             f"{', '.join(str(tuple(s)) for s in ins)}{self._culprits(node, arrays)}") from None

    def _walk(self, arrays) -> tuple[list[tuple[int, ...]], list]:
        fg = self.fg
        shapes: dict[int, tuple[int, ...]] = {id(v): a.shape for v, a in zip(fg.all_inputs, arrays)}
        shape_of, value_of = self._evaluator(arrays, shapes)
        checks = {id(n) for n in self.check_nodes}
        replay: list = []
        valued: list = []
        # values whose shapes are known only once their node has run (an until-scan's outputs:
        # a host node), and everything computed from them: their shapes are left to the run
        # (a later native segment's own plan checks them)
        deferred: set[int] = set()
        self.walks += 1

        def visit(node):
            if any(id(v) in deferred for v in node.inputs):
                deferred.update(id(o) for o in node.outputs)
                return
            # an input from the branch an ifelse does not take has no shape (None)
            ins = [shape_of(v) if isinstance(v, Constant) or id(v) in shapes else None for v in node.inputs]
            outs = self._infer(node, ins, value_of, arrays)
            if id(node) in checks:
                replay.append((node, ins))
            for o, s in zip(node.outputs, outs):
                if s is None:
                    deferred.add(id(o))
                else:
                    shapes[id(o)] = tuple(int(n) for n in s)
            if id(node) in self.value_nodes:
                valued.append((node, ins, tuple(shapes.get(id(o)) for o in node.outputs)))

        def condition(node, i):
            v = node.inputs[i]
            return UNKNOWN if id(v) in deferred else value_of(v)

        self.schedule.walk(visit, condition)
        keep = replay or (valued and self.by_shapes is not None)
        results = [None if id(v) in deferred else tuple(shape_of(v)) for v in fg.results]
        return results, replay, shapes if keep else None, valued

    def _culprits(self, node, arrays) -> str:
        deps = set(map(id, ancestors(node.inputs)))
        named = [f"{v} with shape {a.shape}" for v, a in zip(self.fg.all_inputs, arrays) if id(v) in deps]
        return f"\n  function arguments involved: {', '.join(named)}" if named else ""


def _value_ancestors(outputs) -> list[Variable]:
    """Variables whose values `outputs` depend on; `shape(x)` needs x's shape, not its values."""
    return ancestors(outputs, stop=lambda node: isinstance(node.op, Shape))


# ----------------------------------------------------------------------------
# Function
# ----------------------------------------------------------------------------



@contextlib.contextmanager
def _gc_paused():
    """Python's cyclic garbage collector off while compiling.

    The IR is millions of small objects in reference cycles (ops, uses,
    blocks); every full collection walks all of them, so with the collector
    on, compile time grew faster than the graph (20% of a 500-op gradient's
    compile, more for larger graphs). The cycles freed meanwhile are
    collected when it is back on (+10% peak memory at 1,000 ops)."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Function:
    """A compiled function (the object `mlc.function` returns; Theano's `Function`).

    Besides calling it: `f[var]` / `f.value[...]` / `f.container[...]` give the
    value or container of an input (by position, variable or name), which is
    how the state of `In(value=, update=)` inputs is read and set;
    `f.maker` (`fgraph`, `inputs`, `outputs`, `mode`) describes it; `f.copy()`
    makes a variant; `f.profile` collects timings when profiling is on.
    A Function pickles as its graph and options (and the current values of
    its state) and is recompiled on load, from the disk cache when the same
    graph was compiled before.
    """

    #: Theano's flag to skip argument checks; mlc always checks (the fast path makes that cheap)
    trust_input = False

    def __init__(self, inputs, outputs, updates=None, givens=None, mode=None, name=None,
                 on_unused_input=None, allow_input_downcast=None, accept_inplace=False, profile=None,
                 rebuild_strict=True, no_default_updates=False, target=None, gpu_target=None,
                 return_device_arrays=False):
        from mlc.compile.gpu import resolve_target

        self.name = name
        #: 'cpu', 'cuda', 'ptx' or 'gpu-emulation' (mlc.compile.gpu)
        self.target = resolve_target(target)
        self._gpu_options = (gpu_target, return_device_arrays)
        self.ins = _as_ins(inputs)
        for i in self.ins:
            if i.allow_downcast is None:
                i.allow_downcast = allow_input_downcast
        self.single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if self.single else list(outputs)
        if outputs is None:
            outs, self.single = [], False
        self.outs = [o if isinstance(o, Out) else Out(o) for o in outs]
        self.output_vars = [_as_result(o.variable) for o in self.outs]
        self.update_pairs = _as_update_pairs(updates)
        self.update_pairs += _default_updates(self.output_vars, self.update_pairs, no_default_updates)
        #: the In inputs with an update: their new values are extra outputs of the graph
        self.state_updates = [k for k, i in enumerate(self.ins) if i.update is not None]
        self.nout = len(self.output_vars)
        self.fgraph = FunctionGraph([i.variable for i in self.ins],
                                    self.output_vars + [self.ins[k].update for k in self.state_updates],
                                    self.update_pairs, _as_givens(givens), on_unused_input or config.on_unused_input)
        from mlc.compile.mode import Mode, get_mode

        self.mode_obj = get_mode(mode)
        if not isinstance(self.mode_obj, Mode):
            raise TypeError(f"function: mode must be a mode name or a Mode, got {mode!r}")
        self.mode = self.mode_obj.compile_name
        self.excluding = tuple(self.mode_obj.excluded)
        #: arguments whose storage the compiled code may overwrite (In(mutable=True), see In)
        self.fgraph.mutable_inputs = self._clobberable()
        self._setup_inputs()
        from mlc.compile.profiling import profile_for

        self.profile = profile_for(profile, self.name)
        self._compile()

    def _clobberable(self) -> tuple[int, ...]:
        """In(mutable=True) arguments the native CPU code may write into: explicit ones without a
        default or state (a value kept between calls is never destroyed), in modes that run the
        program once per call (DebugMode and the like rerun nodes on the arguments)."""
        from mlc.compile.mode import Mode

        if self.target != "cpu" or self.mode == "REFERENCE" or type(self.mode_obj).wrap is not Mode.wrap:
            return ()
        return tuple(k for k, i in enumerate(self.ins) if i.mutable and i.value is None and not i.implicit)

    def _setup_inputs(self) -> None:
        self._by_name: dict[str, int] = {}
        for k, i in enumerate(self.ins):
            if i.name:
                self._by_name[i.name] = -1 if i.name in self._by_name else k  # -1: ambiguous
        self._types = [v.type for v in self.fgraph.inputs]
        self._explicit = [k for k, i in enumerate(self.ins) if not i.implicit]
        # one container per input with a value: its default (refed after each call) or its state
        self.containers: list[Container | None] = []
        self._refeed: list[tuple[int, np.ndarray]] = []
        for k, i in enumerate(self.ins):
            if isinstance(i.value, SharedVariable):
                c = i.value.container
            elif isinstance(i.value, Container):
                c = i.value
            elif i.value is not None:
                c = Container(self._filter(k, i.value))
                if i.update is None:
                    self._refeed.append((k, c.value))
            else:
                c = None
            self.containers.append(c)

    def _compile(self) -> None:
        t0 = time.perf_counter()
        from mlc.compile.pipeline import excluding_names
        from mlc.compile.vm import compile_program

        with _profiling(self.profile), _timing_passes(self.profile, self.name) as pass_times, _gc_paused():
            if self.target != "cpu" and self.mode != "REFERENCE":
                from mlc.compile.gpu import compile_for

                with excluding_names(self.excluding):
                    program = compile_for(self.target, self.fgraph, self.mode, self.excluding, *self._gpu_options)
            else:
                with excluding_names(self.excluding):  # an excluded name may decide which ops run on the host
                    program = compile_program(self.fgraph, self.mode, self.excluding)
            self.program = self.mode_obj.wrap(self.fgraph, program, self.mode, self.excluding)
        if pass_times is not None and config.profile_optimizer:
            _print_pass_times(self._label(), pass_times, time.perf_counter() - t0)
        self.shape_plan = ShapePlan(self.fgraph)
        plan = self.shape_plan
        #: the shape rules traced into native code (mlc.compile.native_shapes); None: the Python plan only
        self.native_shapes = NativeShapes.build(plan) if self.mode != "REFERENCE" and self.target == "cpu" else None
        self._dispatch = None  # the native entry, built once the function is hot (mlc.compile.dispatch)
        self._calls = 0
        # the fast path skips shape rules (only for graphs whose checks depend on shapes alone) and
        # knows neither In state nor profiling
        stateful = (any(c is not None for c in self.containers) or self.profile is not None
                    or self.program is not program or self.target in ("cuda", "ptx")
                    or any(is_sparse(v) for v in self.fgraph.all_inputs + self.fgraph.results))
        self._fast = None if stateful else FastCall.build(
            self.fgraph, self.program, self.single, plan.value_inputs + [n for n in plan.checked_inputs
                                                                        if plan.check_nodes],
            [k for k, o in enumerate(self.outs) if o.borrow], self.native_shapes)
        if self.profile is not None:
            elapsed = time.perf_counter() - t0
            self.profile.compile_time += elapsed
            self.profile.linker_time += max(0.0, elapsed - sum(t for _, t in pass_times or ()))
            self.profile.nb_nodes = len(self.fgraph.nodes)
            self.profile.fgraphs.append(self.fgraph)

    # -- pickling: the graph and options; the code is recompiled (a disk cache hit) --------------
    def __reduce__(self):
        ins = []
        for i, c in zip(self.ins, self.containers):
            j = copy.copy(i)
            if c is not None and not isinstance(i.value, (SharedVariable, Container)):
                j.value = c.value  # the state as it is now (Theano pickles the input storage)
            ins.append(j)
        nres = len(self.fgraph.outputs)
        state = {"ins": ins, "outs": [Out(v, o.borrow) for v, o in zip(self.fgraph.outputs[:self.nout], self.outs)],
                 "state_updates": self.fgraph.outputs[self.nout:nres], "updates": self.fgraph.updates,
                 "single": self.single, "mode": self.mode_obj, "name": self.name,
                 "profile": self.profile is not None, "target": self.target}
        return _unpickle_function, (state,)

    # -- calling -------------------------------------------------------------
    def _filter(self, k: int, v: Any) -> np.ndarray:
        spec = self.ins[k]
        a = self._types[k].filter(v, strict=spec.strict, allow_downcast=spec.allow_downcast,
                                  what=f"{self._label()} argument {k} ({spec.variable})")
        if not isinstance(a, np.ndarray):  # a scipy.sparse matrix (mlc.sparse)
            return a
        return a if a.flags.c_contiguous else np.array(a, order="C")

    def _arguments(self, args, kwargs) -> list[np.ndarray]:
        n = len(self._explicit)
        if len(args) > n:
            raise TypeError(f"{self._label()}: expected at most {n} arguments "
                            f"({', '.join(str(self.ins[k].variable) for k in self._explicit)}), got {len(args)}")
        vals: list[Any] = [_MISSING] * len(self.ins)
        for k, v in zip(self._explicit, args):
            vals[k] = v
        for key, v in kwargs.items():
            k = self._find(key, "keyword argument")
            if self.ins[k].implicit:
                raise TypeError(f"Tried to provide value for implicit input: {self.ins[k].variable}")
            if vals[k] is not _MISSING:
                raise TypeError(f"Multiple values for input: {self.ins[k].variable} ({self._label()}: argument "
                                f"{key!r} given twice)")
            vals[k] = v
        out = []
        for k, v in enumerate(vals):
            if v is _MISSING:
                c = self.containers[k]
                if c is None:
                    spec = self.ins[k]
                    raise TypeError(f"Missing required input: {spec.variable} ({self._label()}: missing argument {k}, "
                                    f"{spec.variable.type}; expected {n} arguments, got {len(args) + len(kwargs)})")
                v = c.value
            if self.target == "cuda" and _is_device_array(v):
                spec = self.ins[k]
                out.append(_device_argument(v, self._types[k], f"{self._label()} argument {k} ({spec.variable})"))
                continue
            out.append(self._filter(k, v))
        if self.target == "cuda":  # shared variables live on the device
            out += [self.program.device_value(s.container) for s in self.fgraph.shared]
            return out
        for s in self.fgraph.shared:
            out.append(s.container.value)
        return out

    def __call__(self, *args, **kwargs):
        dispatch = self._dispatch
        if dispatch is not None:  # the native entry: checks, shapes, outputs, kernel (mlc.compile.dispatch)
            return dispatch(*args, **kwargs)
        self._calls += 1
        if self._calls == DISPATCH_AFTER_CALLS:
            self._build_dispatch()
        return self._call(*args, **kwargs)

    def _build_dispatch(self) -> None:
        """Compile the native entry (one small LLVM module) once the function is called often."""
        native = self.native_shapes
        if self._fast is None or self._fast.borrowed or native is None or not native.traces:
            return  # (borrowed outputs: the fast path writes them into kept storage)
        from mlc.compile.dispatch import NativeDispatch

        built = NativeDispatch.build(self.fgraph, self.program, native, self._call, self.single)
        if built is not None:
            self._native_dispatch = built  # keeps what its code reads alive
            self._dispatch = built.call

    def _call(self, *args, **kwargs):
        fast = self._fast
        if fast is not None and not kwargs:  # shapes seen before: see mlc.compile.fastcall
            out = fast._fast(args)
            if out is not FAST_MISS:
                return out
        subset = kwargs.pop("output_subset", None) if kwargs else None
        prof = self.profile
        if prof is not None:
            t0 = time.perf_counter()
        arrays = self._arguments(args, kwargs)
        native = self.native_shapes
        shapes = native.result_shapes(arrays) if native is not None else None
        if shapes is None:  # no trace yet, or its checks failed: the Python walk explains (or learns)
            shapes = self.shape_plan.result_shapes(arrays)
            if native is not None:
                native.learn(arrays)
        if prof is not None:
            with _profiling(prof):
                t1 = time.perf_counter()
                results = self.program.run(arrays, shapes)
                vm_time = time.perf_counter() - t1
        else:
            results = self.program.run(arrays, shapes)
        if fast is not None and fast.native is None:
            fast.learn(arrays, shapes, results)
        nout, nres = self.nout, len(self.fgraph.outputs)
        for k, r in zip(self.state_updates, results[nout:nres]):
            self.containers[k].value = r
        for (s, _), r in zip(self.fgraph.updates, results[nres:]):
            s.container.value = r
        for k, default in self._refeed:
            self.containers[k].value = default
        if prof is not None:
            prof.add_call(time.perf_counter() - t0, vm_time)
        outs = results[:nout]
        if subset is not None:  # Theano's output_subset: these outputs (by index), as a list
            return self._subset(outs, subset)
        return outs[0] if self.single else outs

    def _subset(self, outs: list, subset) -> list:
        try:
            return [outs[operator.index(k)] for k in subset]
        except (TypeError, IndexError):
            raise TypeError(f"{self._label()}: output_subset must be a list of output indices in "
                            f"0..{len(outs) - 1}, got {subset!r}") from None

    def _label(self) -> str:
        return f"function {self.name!r}" if self.name else "function"

    # -- values and containers of inputs (Theano's f[x], f.value[x], f.container[x]) ---------------
    def _find(self, key, what: str = "input or state") -> int:
        if isinstance(key, int) and not isinstance(key, bool):
            if 0 <= key < len(self.ins):
                return key
        elif isinstance(key, str):
            k = self._by_name.get(key)
            if k == -1:
                raise TypeError(f"Ambiguous name: {key} - please check the names of the inputs of your function "
                                f"for duplicates.")
            if k is not None:
                return k
        else:
            for k, i in enumerate(self.ins):
                if i.variable is key:
                    return k
            for s in self.fgraph.shared:
                if s is key:
                    raise TypeError(f"{key} is a shared variable: read it with {key}.get_value()")
        named = [i.name for i in self.ins if i.name]
        unnamed = len(self.ins) - len(named)
        info = (f"The function has {len(named)} named input{'s' if len(named) != 1 else ''} ({', '.join(named)})")
        if unnamed:
            info += (f", and {unnamed} unnamed input{'s' if unnamed != 1 else ''} which thus cannot be accessed "
                     f"through keyword argument (use 'name=...' in a variable's constructor to give it a name)")
        kind = f" ({self._label()}: unknown {what} {key!r})" if what != "input or state" else ""
        raise TypeError(f"Unknown input or state: {key}{kind}. {info}.")

    def _container(self, key) -> Container:
        k = self._find(key)
        c = self.containers[k]
        if c is None:  # a required input has storage only while a call runs
            c = self.containers[k] = Container(None)
        return c

    @property
    def value(self) -> _ValueView:
        """`f.value[x]`: the current value of input x (by position, variable or name); assignable."""
        return _ValueView(self)

    @property
    def container(self) -> _ContainerView:
        """`f.container[x]`: the Container holding input x's value (read-only mapping)."""
        return _ContainerView(self)

    def __getitem__(self, key):
        return self.value[key]

    def __setitem__(self, key, value) -> None:
        self.value[key] = value

    def __contains__(self, key) -> bool:
        try:
            self._find(key)
        except TypeError:
            return False
        return True

    # -- introspection -------------------------------------------------------
    @property
    def inputs(self):
        return self.ins

    @property
    def outputs(self):
        return self.fgraph.outputs[:self.nout]

    @property
    def maker(self) -> FunctionMaker:
        """Theano's `f.maker`: `fgraph` (inputs, outputs, toposort()), `inputs` (In), `outputs` (Out), `mode`."""
        return FunctionMaker(self)

    @property
    def fgraph_outputs(self):
        return self.fgraph.outputs

    def dump_ir(self, level: str = "mt", debuginfo: bool | None = None) -> str:
        """The IR at one level: 'mt', 'mt-opt', 'loops', 'llvm' (llvm dialect) or 'llvm-ir' (LLVM IR text);
        for the GPU targets also 'gpu' (host function + kernels) and 'ptx' ('llvm'/'llvm-ir': the kernels).

        At the tensor levels each op keeps its source location (`loc("f.py":12:0)`), so `mlc-opt
        --print-debuginfo` on the dumped text shows the user's lines; `debuginfo=` overrides that.
        """
        if self.mode == "REFERENCE":
            raise ValueError("a function compiled with mode='REFERENCE' has no IR")
        from mlc.compile.pipeline import NativeProgram

        if debuginfo is not None and isinstance(self.program, NativeProgram):
            return self.program.dump(level, debuginfo)
        return self.program.dump(level)

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None, profile=None):
        """A copy of this function (Theano's Function.copy).

        `swap` maps shared variables of this function to other shared
        variables of the same type, which the copy reads and updates instead
        (only in the copy); `delete_updates` drops every update; `name`
        defaults to this name + " copy". Inputs with a value start with this
        function's current value; shared variables not swapped stay shared.
        As in Theano, the copy returns a list of outputs. The compiled code
        comes from the compile cache, so copying costs no LLVM run.
        `share_memory` is accepted (mlc keeps no intermediate storage).
        """
        swap = dict(swap or {})
        sv = {id(s): s for s in self.fgraph.shared}
        for old, new in swap.items():
            if id(old) not in sv:
                raise ValueError(f"SharedVariable: {getattr(old, 'name', old)} not found")
            if not isinstance(new, SharedVariable):
                raise TypeError(f"Value of swap should be SharedVariable, given: {new!r} type {type(new)}")
            if new.type != old.type:
                raise TypeError(f"Type of given SharedVariable conflicts with original one: "
                                f"Type of given SharedVariable: {new.type}, type of original SharedVariable: "
                                f"{old.type}")
        ins = []
        for i, c in zip(self.ins, self.containers):
            j = copy.copy(i)
            if c is not None and not isinstance(i.value, (SharedVariable, Container)):
                j.value = c.value
            if delete_updates:
                j.update = None
            ins.append(j)
        upd = [] if delete_updates else [(swap.get(s, s), u) for s, u in self.fgraph.updates]
        if not name and self.name:
            name = self.name + " copy"
        if profile is None and self.profile is not None:
            profile = True
        mode = self.mode_obj
        return Function(ins, [Out(v, o.borrow) for v, o in zip(self.fgraph.outputs[:self.nout], self.outs)],
                        updates=upd, givens=swap or None, mode=mode, name=name, on_unused_input="ignore",
                        profile=profile, no_default_updates=True, target=self.target)

    def __copy__(self):
        return self.copy()

    def free(self) -> None:
        """Theano's Function.free (drop intermediate storage): mlc keeps none between calls."""


class _ValueView:
    def __init__(self, f: Function):
        self.f = f

    def __getitem__(self, key):
        return self.f._container(key).value

    def __setitem__(self, key, value) -> None:
        f = self.f
        k = f._find(key)
        f._container(k).value = f._filter(k, value)

    def __contains__(self, key) -> bool:
        return key in self.f


class _ContainerView:
    def __init__(self, f: Function):
        self.f = f

    def __getitem__(self, key) -> Container:
        return self.f._container(key)

    def __contains__(self, key) -> bool:
        return key in self.f


class FunctionGraphView:
    """Theano's `f.maker.fgraph`: inputs (shared variables included), outputs (updates included), nodes."""

    def __init__(self, fg: FunctionGraph):
        self._fg = fg
        self.inputs = list(fg.all_inputs)
        self.outputs = list(fg.results)

    def toposort(self) -> list:
        return list(self._fg.nodes)

    @property
    def apply_nodes(self) -> set:
        return set(self._fg.nodes)

    @property
    def variables(self) -> set:
        return set(ancestors(self.outputs))

    def __str__(self) -> str:
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"


class FunctionMaker:
    """What made a Function (Theano's `f.maker`): its graph, inputs, outputs and mode."""

    def __init__(self, f: Function):
        self.function = f
        self.fgraph = FunctionGraphView(f.fgraph)
        implicit = [In(s, value=s.container, update=u, implicit=True, shared=True, mutable=u is not None,
                       borrow=True)
                    for s, u in _shared_updates(f.fgraph)]
        self.inputs = list(f.ins) + implicit
        self.expanded_inputs = self.inputs
        self.outputs = list(f.outs)
        self.mode = f.mode_obj
        self.profile = f.profile
        self.on_unused_input = None


def _shared_updates(fg: FunctionGraph):
    ups = {id(s): u for s, u in fg.updates}
    return [(s, ups.get(id(s))) for s in fg.shared]


def _unpickle_function(state: dict) -> Function:
    from mlc.config import config as cfg

    if not cfg.unpickle_function:
        return None
    mode = state["mode"]
    outs = state["outs"][0] if state["single"] else state["outs"]
    ins = state["ins"]
    for i, u in zip([i for i in ins if i.update is not None], state["state_updates"]):
        i.update = u
    return Function(ins, outs, updates=state["updates"], mode=mode, name=state["name"],
                    on_unused_input="ignore", profile=state["profile"] or None, no_default_updates=True,
                    target=state.get("target"))


def _as_ins(inputs) -> list[In]:
    """The inputs list as In objects; the two classic mistakes get errors that say what to write."""
    if inputs is None:
        return []
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"Input variables of a Theano function should be contained in a list, even when there is "
                        f"a single input: write function([x], ...), not function(x, ...) (got "
                        f"{type(inputs).__name__} {_short(inputs)})")
    out = []
    for k, i in enumerate(inputs):
        if isinstance(i, In):
            out.append(i)
        elif isinstance(i, Variable):
            out.append(In(i))
        else:
            raise TypeError(f"function: inputs must be symbolic variables (e.g. T.matrix('x'), made before "
                            f"building the outputs from them); input {k} is {type(i).__name__} {_short(i)}. "
                            f"Numeric values are given when calling the compiled function: f(value)")
    return out


def _short(v) -> str:
    text = repr(v).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


@contextlib.contextmanager
def _timing_passes(prof, name):
    """Time each compile pass (for `prof` and for config.profile_optimizer); yields the list of times."""
    if prof is None and not config.profile_optimizer:
        yield None
        return
    from mlc.passes import timing_passes

    times: list[tuple[str, float]] = []

    def record(pass_name: str, seconds: float) -> None:
        times.append((pass_name, seconds))
        if prof is not None:
            prof.add_pass_time(pass_name, seconds)

    from mlc.runtime.cpu import record_times

    llvm: list[tuple[str, float, float]] = []  # LLVM's stages (ir text, parse, optimize, codegen, load)
    previous = record_times(llvm)
    try:
        with timing_passes(record):
            yield times
    finally:
        record_times(previous)
        for stage, wall, _cpu in llvm:
            record(stage, wall)


def _print_pass_times(label: str, times: list[tuple[str, float]], total: float) -> None:
    """config.profile_optimizer: each compile pass's time (none when the program came from the cache)."""
    import sys

    out = sys.stderr
    passes = sum(t for _, t in times)
    print(f"Optimizer profile of {label}: compiled in {total:.4f}s, {len(times)} passes took {passes:.4f}s"
          + (" (the code came from the compile cache)" if not times else ""), file=out)
    per: dict[str, list] = {}
    for n, t in times:
        per.setdefault(n, [0.0, 0])
        per[n][0] += t
        per[n][1] += 1
    for n, (t, runs) in sorted(per.items(), key=lambda kv: -kv[1][0]):
        print(f"  {t:9.6f}s {runs:3d} {n}", file=out)


@contextlib.contextmanager
def _profiling(prof):
    """Make `prof` the ProfileStats that compile and run hooks report to (none when None)."""
    if prof is None:
        yield
        return
    from mlc.compile import profiling

    with profiling.active(prof):
        yield


_MISSING = object()

#: a function called this many times gets its native entry (mlc.compile.dispatch): its compile
#: (~20-80 ms of LLVM) is not worth it for a function called once or twice
DISPATCH_AFTER_CALLS = 8


def _is_device_array(v) -> bool:
    """A GPU array taken without a copy: __cuda_array_interface__, or DLPack on a CUDA device."""
    if hasattr(v, "__cuda_array_interface__"):
        return True
    try:
        return hasattr(v, "__dlpack_device__") and v.__dlpack_device__()[0] in (2, 13)
    except Exception:
        return False


def _device_argument(v, t, what: str):
    """`v` as a device array of type `t` (dtype exact, rank, broadcastable dims of size 1)."""
    from mlc.runtime.gpu import as_device

    d = as_device(v)
    if d.dtype != np.dtype(t.dtype) or d.ndim != len(t.broadcastable):
        raise TypeError(f"{what}: expected a device array of dtype {t.dtype} and rank {len(t.broadcastable)} "
                        f"for {t}, got dtype {d.dtype}, shape {d.shape} (device arrays are not converted)")
    if not d.c_contiguous:
        raise TypeError(f"{what}: expected a C-contiguous device array, got strides {d.strides}")
    bad = [k for k, (b, n) in enumerate(zip(t.broadcastable, d.shape)) if b and n != 1]
    if bad:
        raise TypeError(f"{what}: dimension {bad[0]} is broadcastable in {t} and must have size 1, got shape {d.shape}")
    return d


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None, target=None, gpu_target=None, return_device_arrays=False) -> Function:
    """Compile `outputs` as a function of `inputs` (Theano's theano.function).

    `updates` (pairs or dict) give new values of shared variables, applied
    after all outputs are computed from the old values; `givens` substitute
    variables before compiling. Outputs are fresh numpy arrays (0-d for
    scalars) unless marked `Out(var, borrow=True)` (then a later call may
    reuse the array) or written into an `In(x, mutable=True)` argument; a
    single output is returned as an array, a list as a list.

    `target`: 'cpu', 'cuda' (an NVIDIA GPU through the driver), 'ptx' (the
    GPU code only, compiled on any machine: see `dump_ir('ptx')`) or
    'gpu-emulation' (the GPU kernels run on the CPU); default from
    `config.device`. `gpu_target` (a `mlc.target.GPUTarget`) overrides the
    GPU description; with `return_device_arrays=True` a 'cuda' function
    returns device arrays instead of numpy arrays.
    """
    return Function(inputs, outputs, updates=updates, givens=givens, mode=mode, name=name,
                    on_unused_input=on_unused_input, allow_input_downcast=allow_input_downcast, profile=profile,
                    no_default_updates=no_default_updates, target=target, gpu_target=gpu_target,
                    return_device_arrays=return_device_arrays)


# ----------------------------------------------------------------------------
# Variable.eval
# ----------------------------------------------------------------------------


def eval_variable(var: TensorVariable, inputs_to_values: dict) -> np.ndarray:
    """Compile `var` as a function of the given inputs (cached on the variable) and run it."""
    keys = tuple(inputs_to_values)
    cache = var.tag.setdefault("eval_cache", {})
    key = tuple(map(id, keys))
    fn = cache.get(key)
    if fn is None:
        fn = cache[key] = function(list(keys), var, on_unused_input="ignore")
    return fn(*[inputs_to_values[k] for k in keys])
