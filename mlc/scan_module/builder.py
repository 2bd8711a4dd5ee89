"""`mlc.scan` (Theano's theano.scan) and the loops built on it: map, reduce, foldl, foldr.

`scan` calls the user's `fn` once, on placeholders for one step's values
(sequence slices, previous outputs) and on the non-sequences themselves, and
turns what fn returns into one `Scan` node:

- every node of fn's graph that depends on a placeholder belongs to the
  step; every value it reads from outside (non-sequences, shared variables,
  any variable of the enclosing graph, and whatever fn computed from those
  alone, such as the parts of `T.grad` that do not depend on the step) is
  a loop-invariant input of the node, computed once before the loop;
- shared variables that fn updates become states: inside the loop they hold
  the current value, and scan returns their final values as updates for
  `function(updates=...)`;
- an initial state whose dtype or broadcastable pattern differs from what
  fn returns is widened (when that loses nothing) and fn traced again, so
  `outputs_info=0` works for a float recurrence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlc.graph import Constant, TensorType, Variable, built_at, copy_nodes, toposort, user_location
from mlc.scan_module.op import Scan, State
from mlc.sharedvalue import SharedVariable
from mlc.tensor.var import as_tensor_variable
from mlc.updates import OrderedUpdates


class until:
    """A stop condition for `scan`: fn returns `until(cond)` with its outputs; the loop ends after the
    first step where cond is true (the outputs then have that many steps)."""

    def __init__(self, condition):
        self.condition = as_tensor_variable(condition)
        if self.condition.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, got {self.condition} "
                            f"({self.condition.type}){built_at(self.condition)}")


@dataclass
class _Seq:
    var: Variable
    taps: list[int]


@dataclass
class _Out:
    init: Variable | None  # None: a mapped output (no feedback)
    taps: list[int]

    @property
    def stacked(self) -> bool:
        return self.taps != [-1]


# ----------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _taps(taps, what: str) -> list[int]:
    taps = _as_list(taps)
    if not all(isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in taps):
        raise TypeError(f"scan: {what} taps must be integers, got {taps!r}")
    return [int(t) for t in taps]


def _sequences(sequences) -> list[_Seq]:
    out = []
    for k, s in enumerate(_as_list(sequences)):
        if isinstance(s, dict):
            if "input" not in s:
                raise ValueError(f"scan: sequences[{k}] is a dict without an 'input' entry: {s!r}")
            var, taps = s["input"], _taps(s.get("taps", [0]), f"sequences[{k}]")
        else:
            var, taps = s, [0]
        var = as_tensor_variable(var)
        if var.ndim == 0:
            raise TypeError(f"scan: sequences[{k}] ({var}, {var.type}) is a scalar; a sequence needs an axis to "
                            f"iterate over{built_at(var)}")
        if not taps:
            raise ValueError(f"scan: sequences[{k}] has no taps")
        out.append(_Seq(var, taps))
    return out


def _outputs_info(outputs_info) -> list[_Out]:
    out = []
    items = outputs_info if isinstance(outputs_info, (list, tuple)) else ([] if outputs_info is None
                                                                         else [outputs_info])
    for k, o in enumerate(items):
        if o is None:
            out.append(_Out(None, []))
            continue
        if isinstance(o, dict):
            init = o.get("initial")
            if init is None:
                if o.get("taps"):
                    raise ValueError(f"scan: outputs_info[{k}] has taps {o['taps']} but no initial value")
                out.append(_Out(None, []))
                continue
            taps = _taps(o.get("taps", [-1]), f"outputs_info[{k}]")
        else:
            init, taps = o, [-1]
        if not taps:
            out.append(_Out(None, []))
            continue
        if any(t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{k}] taps must be negative (-1 is the previous step), got {taps}")
        init = as_tensor_variable(init)
        need = 0 if taps == [-1] else 1
        if init.ndim < need:
            raise TypeError(f"scan: outputs_info[{k}] has taps {taps}, so its initial value needs a leading time "
                            f"axis with the {-min(taps)} values before step 0; got the scalar {init}{built_at(init)}")
        out.append(_Out(init, taps))
    return out


def _n_steps(n_steps, sliced: list[Variable]) -> Variable:
    from mlc.tensor.elemwise import cast, minimum

    if n_steps is not None:
        if isinstance(n_steps, (int, np.integer)) and not isinstance(n_steps, bool):
            if n_steps < 0:
                raise ValueError(f"scan: n_steps must be >= 0, got {n_steps}")
            return as_tensor_variable(np.int64(n_steps))
        n = as_tensor_variable(n_steps)
        if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n} ({n.type}){built_at(n)}")
        return n if n.dtype == "int64" else cast(n, "int64")
    if not sliced:
        raise ValueError("scan: no information about the number of steps: give n_steps or at least one sequence")
    n = sliced[0].shape[0]
    for s in sliced[1:]:
        n = minimum(n, s.shape[0])
    return n


def _tap_slices(seq: _Seq) -> list[Variable]:
    """The sequence shifted once per tap, so that step t reads row t of each (Theano's cutting rule)."""
    lo, hi = min(min(seq.taps), 0), max(max(seq.taps), 0)
    out = []
    for tap in seq.taps:
        start, cut = tap - lo, hi - tap
        out.append(seq.var if start == 0 and cut == 0 else seq.var[start:(-cut if cut else None)])
    return out


# ----------------------------------------------------------------------------
# What fn returns
# ----------------------------------------------------------------------------


def _is_updates(x) -> bool:
    if isinstance(x, dict):
        return True
    return (isinstance(x, (list, tuple)) and len(x) > 0
            and all(isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in x))


def _is_outputs(x) -> bool:
    item = (Variable, np.ndarray, np.generic, int, float)
    return isinstance(x, item) or (isinstance(x, (list, tuple)) and all(isinstance(e, item) for e in x))


_RETURN_FORMS = ("fn must return its outputs (a variable or a list of them), an updates dict, until(cond), "
                 "or a tuple of outputs, updates and until(cond)")


def _parse_return(raw) -> tuple[list, list, Any]:
    """(outputs, update pairs, condition or None) from what fn returned (Theano's forms)."""
    if isinstance(raw, until):
        return [], [], raw.condition
    if _is_outputs(raw) and not _is_updates(raw):
        return _as_list(raw), [], None
    if _is_updates(raw):
        return [], list(raw.items()) if isinstance(raw, dict) else [tuple(p) for p in raw], None
    if not isinstance(raw, (list, tuple)) or not 2 <= len(raw) <= 3:
        raise TypeError(f"scan: {_RETURN_FORMS}; got {raw!r:.200}")
    outputs, updates, cond = None, None, None
    for k, item in enumerate(raw):
        if isinstance(item, until) and cond is None:
            cond = item.condition
        elif (_is_updates(item) or (k > 0 and item == [])) and updates is None:
            updates = list(item.items()) if isinstance(item, dict) else [tuple(p) for p in item]
        elif _is_outputs(item) and outputs is None:
            outputs = _as_list(item)
        else:
            raise TypeError(f"scan: {_RETURN_FORMS}; got {raw!r:.200}")
    return outputs or [], updates or [], cond


def _as_output(v, k: int) -> Variable:
    try:
        return as_tensor_variable(v)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scan: fn's output {k} is not a tensor: {v!r:.80} ({exc})") from None


# ----------------------------------------------------------------------------
# scan
# ----------------------------------------------------------------------------


def scan(fn: Callable, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, profile=False, allow_gc=None, strict=False, return_list=False,
         _keep_last=False):
    """Repeat `fn` over sequences, feeding outputs back (Theano's theano.scan); returns (outputs, updates).

    fn is called with, in order: one value per sequence tap (`sequences`:
    variables iterated over their first axis, or dict(input=x, taps=[-1, 0,
    1])), one value per tap of each fed-back output (`outputs_info`: an
    initial value for taps [-1], dict(initial=x, taps=[-2, -1]) with x
    holding the values before step 0 along its first axis, or None for an
    output not fed back), then the `non_sequences`. It returns its outputs
    (a variable or a list), optionally with an updates dict for shared
    variables and an `until(cond)` stop condition. The loop runs `n_steps`
    times (an int or an integer scalar), or as many times as the shortest
    sequence allows; `go_backwards` iterates the sequences from their end.

    outputs: every step's value of each output, stacked along a new first
    axis (a single variable for one output unless return_list; None for
    none). updates: an OrderedUpdates of shared variable -> value after the
    last step, for `function(updates=...)`.

    fn may use any variable of the enclosing graph (and shared variables)
    without listing it in non_sequences, and may call `grad`. A step
    without host ops compiles into one native loop (an `scf.for`; with
    `until`, an `scf.while` run for at most n_steps steps, whose outputs
    have one row per step taken, the stopping step included); otherwise the
    loop runs from Python over its step compiled natively once
    (mlc.compile.vm); mode='REFERENCE' runs the step with numpy. `mode`, `profile` and
    `allow_gc` are accepted for compatibility.
    """
    loc = user_location()
    seqs = _sequences(sequences)
    outs = _outputs_info(outputs_info)
    non_seqs = [v if isinstance(v, Variable) else as_tensor_variable(v) for v in _as_list(non_sequences)]
    sliced = [[s for s in _tap_slices(q)] for q in seqs]
    n = _n_steps(n_steps, [s for group in sliced for s in group])
    if name is None and getattr(fn, "__name__", "<lambda>") != "<lambda>":
        name = fn.__name__

    state_types = [_state_type(o) for o in outs]
    for _attempt in range(3):
        traced = _trace(fn, seqs, outs, state_types, non_seqs)
        if not outs:  # outputs_info None: every output is mapped
            outs = [_Out(None, []) for _ in traced.outputs]
            state_types = [None] * len(outs)
            traced.state_args = [[] for _ in outs]
        elif len(traced.outputs) != len(outs):
            raise ValueError(f"scan: fn returned {len(traced.outputs)} outputs, but outputs_info has {len(outs)} "
                             f"entries; give one entry per output (None for an output that is not fed back)")
        widened = _unify_states(outs, state_types, traced.outputs)
        if widened is None:
            break
        state_types = widened
    else:
        raise TypeError("scan: the types of fn's outputs keep changing with the types of its inputs")
    if strict:
        _check_strict(traced, non_seqs)

    # 1. fed-back outputs, then shared variables fn updates, become states
    states: list[tuple[Variable, list[Variable], State, Variable]] = []
    mapped: list[Variable] = []
    order: list[tuple[str, int]] = []
    for k, (o, t) in enumerate(zip(outs, state_types)):
        if o.init is None:
            order.append(("mapped", len(mapped)))
            mapped.append(traced.outputs[k])
            continue
        init = o.init
        if init.dtype != t.dtype:
            from mlc.tensor.elemwise import cast

            init = cast(init, t.dtype)
        order.append(("state", len(states)))
        states.append((init, traced.state_args[k], State(tuple(o.taps), o.stacked, not _keep_last),
                       traced.outputs[k]))
    replace: dict[int, Variable] = {}
    for shared, expr in traced.updates:
        ph = shared.type(shared.name)
        replace[id(shared)] = ph
        states.append((shared, [ph], State((-1,), False, False), expr))
    # 2. inside the loop, an updated shared variable is its current value
    roots = [st[3] for st in states] + mapped + ([traced.condition] if traced.condition is not None else [])
    if replace:
        roots = _substitute(roots, replace)
        ns = len(states)
        states = [(a, b, c, r) for (a, b, c, _), r in zip(states, roots[:ns])]
        mapped = roots[ns:ns + len(mapped)]
    condition = roots[-1] if traced.condition is not None else None

    seq_inputs = [(outer, ph) for group, phs in zip(sliced, traced.seq_args) for outer, ph in zip(group, phs)]
    results = make_scan(n, seq_inputs, states, mapped, condition, go_backwards, truncate_gradient, name, loc)

    user = []
    n_states = len(states) - len(traced.updates)
    for kind, i in order:
        user.append(results[i] if kind == "state" else results[len(states) + i])
    updates = OrderedUpdates()
    for j, (shared, _) in enumerate(traced.updates):
        updates[shared] = results[n_states + j]
    if len(user) == 1 and not return_list:
        return user[0], updates
    return (user if user else None), updates


def _substitute(roots: list[Variable], replace: dict[int, Variable]) -> list[Variable]:
    """`roots` with the variables in `replace` (id -> variable) substituted; nodes not depending on them kept."""
    reached = set(replace)
    nodes = []
    for node in toposort(roots):
        if any(id(v) in reached for v in node.inputs):
            nodes.append(node)
            reached.update(id(o) for o in node.outputs)
    memo = copy_nodes(nodes, replace)
    return [memo.get(id(v), v) for v in roots]


def _state_type(o: _Out) -> TensorType | None:
    if o.init is None:
        return None
    t = o.init.type
    return TensorType(t.dtype, t.broadcastable[1:]) if o.stacked else t


@dataclass
class _Traced:
    seq_args: list[list[Variable]]
    state_args: list[list[Variable]]
    outputs: list[Variable]
    updates: list[tuple[SharedVariable, Variable]]
    condition: Variable | None


def _trace(fn, seqs: list[_Seq], outs: list[_Out], state_types, non_seqs) -> _Traced:
    """Call fn once on placeholders for one step's values."""
    seq_args = []
    for q in seqs:
        t = TensorType(q.var.dtype, q.var.broadcastable[1:])
        base = q.var.name or "seq"
        seq_args.append([t(f"{base}[t{tap:+d}]" if tap else f"{base}[t]") for tap in q.taps])
    state_args = []
    for k, (o, t) in enumerate(zip(outs, state_types)):
        base = o.init.name if o.init is not None and o.init.name else f"out{k}"
        state_args.append([t(f"{base}[t{tap:+d}]") for tap in o.taps] if t is not None else [])
    args = [a for group in seq_args for a in group] + [a for group in state_args for a in group] + non_seqs
    outputs, updates, cond = _parse_return(fn(*args))
    outputs = [_as_output(v, k) for k, v in enumerate(outputs)]
    pairs = []
    seen: set[int] = set()
    for s, u in updates:
        if not isinstance(s, SharedVariable):
            raise TypeError(f"scan: fn's updates must map shared variables to new values, got the key {s!r}")
        if id(s) in seen:
            raise ValueError(f"scan: fn updates the shared variable {s} twice")
        seen.add(id(s))
        u = as_tensor_variable(u)
        if u.ndim != s.ndim or u.dtype != s.dtype:
            raise TypeError(f"scan: fn's update of shared variable {s} ({s.type}) must keep its type, got {u} "
                            f"({u.type}){built_at(u)}")
        pairs.append((s, u))
    if cond is not None and cond.dtype != "bool":
        from mlc.tensor.elemwise import neq

        cond = neq(cond, 0)
    pairs += _default_updates(outputs + [u for _, u in pairs] + ([cond] if cond is not None else []), seen)
    return _Traced(seq_args, state_args, outputs, pairs, cond)


def _default_updates(roots: list[Variable], seen: set[int]) -> list[tuple[SharedVariable, Variable]]:
    """States for the shared variables the step reads that carry a `default_update` fn does not override.

    A random variable's state is one: inside the loop it holds the state
    after the previous step's draw, so the variable is drawn anew at every
    step (Theano's semantics), and its final state is one of scan's updates.
    """
    from mlc.graph import graph_inputs

    found: list[tuple[SharedVariable, Variable]] = []
    while True:
        new = [v for v in graph_inputs(roots) if isinstance(v, SharedVariable) and id(v) not in seen
               and getattr(v, "default_update", None) is not None]
        if not new:
            return found
        for v in new:
            seen.add(id(v))
            found.append((v, v.default_update))
            roots = roots + [v.default_update]


def _unify_states(outs: list[_Out], state_types, outputs) -> list | None:
    """New state types if fn's outputs need wider ones (dtype upcast, fewer broadcastable dims), else None."""
    changed = False
    new_types = list(state_types)
    for k, (o, t) in enumerate(zip(outs, state_types)):
        if t is None:
            continue
        y = outputs[k]
        where = f"the initial value {o.init} of output {k}{built_at(o.init)}"
        if y.ndim != t.ndim:
            raise TypeError(f"scan: fn returns a {y.ndim}-d value for output {k} ({y}, {y.type}{built_at(y)}), but "
                            f"{where} gives a {t.ndim}-d state ({t}); they must have the same rank")
        dtype = t.dtype
        if y.dtype != t.dtype:
            if not (np.can_cast(t.dtype, y.dtype, "safe") or _fits(o.init, y.dtype)):
                raise TypeError(f"scan: fn returns dtype {y.dtype} for output {k} ({y}{built_at(y)}), but {where} "
                                f"has dtype {t.dtype}; cast the initial value or fn's result so they match")
            dtype = y.dtype
        bcast = tuple(a and b for a, b in zip(t.broadcastable, y.broadcastable))
        if dtype != t.dtype or bcast != t.broadcastable:
            new_types[k] = TensorType(dtype, bcast)
            changed = True
    return new_types if changed else None


def _fits(init: Variable, dtype: str) -> bool:
    """Is `init` a constant whose values `dtype` holds exactly (outputs_info=0. for a float32 loop)?"""
    if not isinstance(init, Constant):
        return False
    a = np.asarray(init.data)
    with np.errstate(all="ignore"):
        return bool(np.all(a.astype(dtype).astype(a.dtype) == a))


def _check_strict(traced: _Traced, non_seqs: list[Variable]) -> None:
    from mlc.graph import graph_inputs

    given = {id(v) for v in non_seqs} | {id(s) for s, _ in traced.updates}
    roots = traced.outputs + [u for _, u in traced.updates]
    for v in graph_inputs(roots):
        if isinstance(v, SharedVariable) and id(v) not in given:
            raise ValueError(f"scan(strict=True): fn uses the shared variable {v}, which is not in non_sequences"
                             f"{built_at(v)}")


# ----------------------------------------------------------------------------
# The node
# ----------------------------------------------------------------------------


def make_scan(n_steps: Variable, seq_inputs: list[tuple[Variable, Variable]],
              states: list[tuple[Variable, list[Variable], State, Variable]], mapped: list[Variable],
              condition: Variable | None, go_backwards: bool = False, truncate_gradient: int = -1,
              name: str | None = None, loc=None, mapped_like: list[Variable | None] | None = None) -> list[Variable]:
    """Build a Scan node from a step written on placeholders; returns its outputs (states, then mapped).

    seq_inputs: (outer sequence, already shifted for its tap; its step placeholder).
    states: (outer initial value, one placeholder per tap, State, next value).
    mapped: the values of the outputs not fed back. Every node depending on
    a placeholder is copied into the step; every other value the step reads
    becomes a loop-invariant (non-sequence) input of the node.
    """
    roots = [st[3] for st in states] + list(mapped) + ([condition] if condition is not None else [])
    placeholders = [ph for _, ph in seq_inputs] + [ph for st in states for ph in st[1]]
    varying = {id(p) for p in placeholders}
    constant: set[int] = set()  # scalars computed from constants alone (casts of indices) stay in the step
    inner_nodes = []
    for node in toposort(roots, blockers=placeholders):
        if any(id(v) in varying for v in node.inputs):
            inner_nodes.append(node)
            varying.update(id(o) for o in node.outputs)
        elif (all(isinstance(v, Constant) or id(v) in constant for v in node.inputs)
              and all(o.ndim == 0 for o in node.outputs)):
            inner_nodes.append(node)
            constant.update(id(o) for o in node.outputs)
    varying |= constant
    invariant: dict[int, Variable] = {}
    for v in [v for node in inner_nodes for v in node.inputs] + roots:
        if id(v) not in varying and not isinstance(v, Constant) and id(v) not in invariant:
            invariant[id(v)] = v
    inner_of = {k: _fresh(v) for k, v in invariant.items()}
    memo = copy_nodes(inner_nodes, inner_of)
    inner_outputs = [memo.get(id(v), v) for v in roots]
    like = tuple(next((k for k, ph in enumerate(placeholders) if ph is v), None) if v is not None else None
                 for v in (mapped_like or []))
    op = Scan(placeholders + list(inner_of.values()), inner_outputs, len(seq_inputs), [st[2] for st in states],
              len(mapped), go_backwards, condition is not None, truncate_gradient, name, loc, mapped_like=like)
    node = op.make_node(n_steps, *[s for s, _ in seq_inputs], *[st[0] for st in states], *invariant.values())
    return node.outputs


def _fresh(v: Variable) -> Variable:
    ph = v.type(v.name)
    ph.loc = v.loc
    return ph


# ----------------------------------------------------------------------------
# map, reduce, foldl, foldr
# ----------------------------------------------------------------------------


def map(fn, sequences, non_sequences=None, truncate_gradient=-1, go_backwards=False, mode=None, name=None):
    """fn applied to each step of the sequences (scan without fed-back outputs); returns (outputs, updates)."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode, name=name)


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False, mode=None, name=None):
    """Like scan, but only the last step's outputs are kept; returns (outputs, updates)."""
    outs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                         go_backwards=go_backwards, mode=mode, name=name, return_list=True, _keep_last=True)
    last = [o if _last_only(o) else o[-1] for o in (outs or [])]
    return (last[0] if len(last) == 1 else last), updates


def _last_only(o: Variable) -> bool:
    """Is `o` a scan state output that holds only the last step's value?"""
    node = o.owner
    return (node is not None and isinstance(node.op, Scan) and o.index < len(node.op.states)
            and not node.op.states[o.index].keep_all)


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """reduce from the start of the sequences."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name)


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """reduce from the end of the sequences."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name)
