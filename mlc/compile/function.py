"""`mlc.function`: compile a symbolic graph into a callable on numpy arrays.

This is the one place that ties the graph, the compile pipeline (emission,
passes, lowering) and the runtime together. A `Function`:

1. prepares the graph (givens substituted, shared variables collected,
   updates checked),
2. compiles it (`mlc.compile.pipeline`) unless mode is 'REFERENCE' (the
   numpy interpreter of the graph, used by tests as the definition),
3. at each call validates the arguments (count, dtype, rank, broadcastable
   dims), computes all shapes with the ops' shape rules (cached per input
   shapes; raising a clear ValueError on incompatible shapes before any
   native code runs), allocates the outputs and runs the code, then applies
   the updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.compile.fastcall import MISS as FAST_MISS
from mlc.compile.fastcall import FastCall
from mlc.config import config
from mlc.graph import Constant, ShapeError, Variable, ancestors, built_at, clone_replace, graph_inputs, toposort
from mlc.sharedvalue import SharedVariable
from mlc.tensor.shape import Shape
from mlc.tensor.var import TensorVariable, as_tensor_variable


class In:
    """An input with options (Theano's `In`): a default `value`, a keyword `name`."""

    def __init__(self, variable: Variable, name: str | None = None, value: Any = None, update=None,
                 mutable: bool = False, borrow: bool = False, strict: bool = False,
                 allow_downcast: bool | None = None, implicit: bool = False):
        self.variable = variable
        self.name = name if name is not None else variable.name
        self.value = value
        self.has_default = value is not None
        self.update = update
        self.mutable = mutable
        self.borrow = borrow
        self.strict = strict
        self.allow_downcast = allow_downcast


class Out:
    """An output with options (Theano's `Out`); `borrow` is accepted (outputs are always fresh)."""

    def __init__(self, variable: Variable, borrow: bool = False):
        self.variable = variable
        self.borrow = borrow


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
        u = as_tensor_variable(u)
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
        new = as_tensor_variable(new)
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
        self.nodes = toposort(self.outputs + [u for _, u in self.updates])

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
        # key -> (result shapes, checking nodes to replay with their input shapes, all shapes)
        self.cache: dict[tuple, tuple] = {}

    def result_shapes(self, arrays: Sequence[np.ndarray]) -> list[tuple[int, ...]]:
        key = tuple(a.shape for a in arrays) + tuple(arrays[k].tobytes() for k in self.value_inputs)
        hit = self.cache.get(key)
        if hit is None:
            hit = self._walk(arrays)
            if len(self.cache) > 256:
                self.cache.clear()
            self.cache[key] = hit
        elif hit[1]:
            self._run(arrays, hit[1], hit[2])
        return hit[0]

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
                for n in toposort([v], blockers=fg.all_inputs):
                    if id(n.outputs[0]) not in values:
                        outs = n.op.perform(n, [value_of(i) for i in n.inputs])
                        for o, r in zip(n.outputs, outs):
                            values[id(o)] = r
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
            raise ValueError(f"{exc}\n  while computing {node.op} on inputs with shapes "
                             f"{', '.join(str(tuple(s)) for s in ins)}{self._culprits(node, arrays)}") from None

    def _walk(self, arrays) -> tuple[list[tuple[int, ...]], list]:
        fg = self.fg
        shapes: dict[int, tuple[int, ...]] = {id(v): a.shape for v, a in zip(fg.all_inputs, arrays)}
        shape_of, value_of = self._evaluator(arrays, shapes)
        checks = {id(n) for n in self.check_nodes}
        replay = []
        for node in fg.nodes:
            ins = [shape_of(v) for v in node.inputs]
            outs = self._infer(node, ins, value_of, arrays)
            if id(node) in checks:
                replay.append((node, ins))
            for o, s in zip(node.outputs, outs):
                shapes[id(o)] = tuple(int(n) for n in s)
        return [tuple(shape_of(v)) for v in fg.results], replay, shapes if replay else None

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


class Function:
    """A compiled function (the object `mlc.function` returns)."""

    def __init__(self, inputs, outputs, updates=None, givens=None, mode=None, name=None,
                 on_unused_input=None, allow_input_downcast=None, accept_inplace=False, profile=None,
                 rebuild_strict=True, no_default_updates=False):
        self.name = name
        self.ins = [i if isinstance(i, In) else In(i) for i in (inputs or [])]
        for i in self.ins:
            if i.allow_downcast is None:
                i.allow_downcast = allow_input_downcast
        self.single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if self.single else list(outputs)
        if outputs is None:
            outs, self.single = [], False
        self.output_vars = [as_tensor_variable(o.variable if isinstance(o, Out) else o) for o in outs]
        self.update_pairs = _as_update_pairs(updates)
        self.update_pairs += _default_updates(self.output_vars, self.update_pairs, no_default_updates)
        self.fgraph = FunctionGraph([i.variable for i in self.ins], self.output_vars, self.update_pairs,
                                    _as_givens(givens), on_unused_input or config.on_unused_input)
        self.mode = _mode_name(mode)
        self.shape_plan = ShapePlan(self.fgraph)
        self._by_name = {i.name: k for k, i in enumerate(self.ins) if i.name}
        self._types = [v.type for v in self.fgraph.inputs]
        if self.mode == "REFERENCE":
            from mlc.compile.reference import ReferenceProgram

            self.program = ReferenceProgram(self.fgraph)
        elif any(node.op.host for node in self.fgraph.nodes):  # scan: native segments around Python loops
            from mlc.compile.vm import PartitionedProgram

            self.program = PartitionedProgram(self.fgraph, self.mode, tuple(getattr(mode, "excluded", ())))
        else:
            from mlc.compile.pipeline import compile_graph

            self.program = compile_graph(self.fgraph, self.mode, tuple(getattr(mode, "excluded", ())))
        # the fast path skips shape rules: only for graphs whose checks depend on shapes alone
        plan = self.shape_plan
        self._fast = FastCall.build(self.fgraph, self.program, self.single,
                                    plan.value_inputs + [n for n in plan.checked_inputs if plan.check_nodes])

    # -- calling -------------------------------------------------------------
    def _arguments(self, args, kwargs) -> list[np.ndarray]:
        n = len(self.ins)
        if len(args) > n:
            raise TypeError(f"{self._label()}: expected at most {n} arguments "
                            f"({', '.join(map(str, self.fgraph.inputs))}), got {len(args)}")
        vals: list[Any] = list(args) + [_MISSING] * (n - len(args))
        for key, v in kwargs.items():
            k = self._by_name.get(key)
            if k is None:
                raise TypeError(f"{self._label()}: unknown keyword argument {key!r}; inputs are "
                                f"{[i.name for i in self.ins]}")
            if vals[k] is not _MISSING:
                raise TypeError(f"{self._label()}: argument {key!r} given twice")
            vals[k] = v
        out = []
        for k, (spec, v) in enumerate(zip(self.ins, vals)):
            if v is _MISSING:
                if not spec.has_default:
                    raise TypeError(f"{self._label()}: missing argument {k} ({spec.variable}, {spec.variable.type}); "
                                    f"expected {n} arguments, got {len(args) + len(kwargs)}")
                v = spec.value
            t = self._types[k]
            a = t.filter(v, strict=spec.strict, allow_downcast=spec.allow_downcast,
                         what=f"{self._label()} argument {k} ({spec.variable})")
            out.append(a if a.flags.c_contiguous else np.array(a, order="C"))
        for s in self.fgraph.shared:
            out.append(s.container.value)
        return out

    def __call__(self, *args, **kwargs):
        fast = self._fast
        if fast is not None and not kwargs:  # shapes seen before: see mlc.compile.fastcall
            out = fast._fast(args)
            if out is not FAST_MISS:
                return out
        arrays = self._arguments(args, kwargs)
        shapes = self.shape_plan.result_shapes(arrays)
        results = self.program.run(arrays, shapes)
        if fast is not None:
            fast.learn(arrays, shapes)
        nout = len(self.fgraph.outputs)
        for (s, _), r in zip(self.fgraph.updates, results[nout:]):
            s.container.value = r
        outs = results[:nout]
        return outs[0] if self.single else outs

    def _label(self) -> str:
        return f"function {self.name!r}" if self.name else "function"

    # -- introspection -------------------------------------------------------
    @property
    def inputs(self):
        return self.ins

    @property
    def outputs(self):
        return self.fgraph.outputs

    @property
    def maker(self):
        return self

    @property
    def fgraph_outputs(self):
        return self.fgraph.outputs

    def dump_ir(self, level: str = "mt") -> str:
        """The IR at one level: 'mt', 'mt-opt', 'loops', 'llvm' (llvm dialect) or 'llvm-ir' (LLVM IR text)."""
        if self.mode == "REFERENCE":
            raise ValueError("a function compiled with mode='REFERENCE' has no IR")
        return self.program.dump(level)

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None):
        """A new Function over the same graph (Theano's Function.copy)."""
        ins = [In(i.variable, name=i.name, value=i.value, strict=i.strict, allow_downcast=i.allow_downcast)
               for i in self.ins]
        upd = [] if delete_updates else self.update_pairs
        if swap:
            upd = [(swap.get(s, s), u) for s, u in upd]
        return Function(ins, self.output_vars if not self.single else self.output_vars[0], updates=upd,
                        mode=self.mode, name=name or self.name, on_unused_input="ignore")


_MISSING = object()


def _mode_name(mode) -> str:
    if mode is None:
        mode = config.mode
    name = getattr(mode, "name", mode)
    name = str(name)
    if name in ("Mode", "DebugMode", "DEBUG_MODE", "ProfileMode"):
        name = "FAST_RUN"
    if name not in ("FAST_RUN", "FAST_COMPILE", "REFERENCE"):
        raise ValueError(f"function: expected mode 'FAST_RUN', 'FAST_COMPILE' or 'REFERENCE', got {mode!r}")
    return name


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None) -> Function:
    """Compile `outputs` as a function of `inputs` (Theano's theano.function).

    `updates` (pairs or dict) give new values of shared variables, applied
    after all outputs are computed from the old values; `givens` substitute
    variables before compiling. Outputs are fresh numpy arrays (0-d for
    scalars); a single output is returned as an array, a list as a list.
    """
    return Function(inputs, outputs, updates=updates, givens=givens, mode=mode, name=name,
                    on_unused_input=on_unused_input, allow_input_downcast=allow_input_downcast,
                    no_default_updates=no_default_updates)


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
