"""Result shapes and shape checks in native code, traced from the ops' own shape rules.

`mlc.function` needs every result's shape before it runs the compiled
kernel (it allocates the outputs), and must reject arguments whose shapes do
not fit the graph. `ShapePlan` (mlc.compile.function) does both by walking
the graph's shape rules (`Op.infer_shape`) in Python: a few microseconds per
node, and, for shapes that depend on scalar inputs (`x[i*bs:(i+1)*bs]`,
`arange(n)`, `alloc(v, n)`), on every call whose values are new.

Here the same rules are run once with *symbolic* integers (`Sym`): each
input dimension and each integer scalar input the shapes read is a `Sym`
carrying its value in the call being traced and an expression. Arithmetic
on `Sym`s builds expressions; every decision a rule takes on them (`if a !=
b: raise ...`, `max(0, n)`, `start < 0`, and any conversion to a plain
`int`) is recorded as a *guard*: a comparison and the outcome it had. The
result shapes are expressions too. That trace is compiled to a small LLVM
function (`shapes(ptr array_0, ..., ptr array_k, ptr out)`: each array is a
`PyArrayObject*`, its rank and dimensions and, for scalars, its value read
from numpy's struct as the kernel's array entry does) that checks the
ranks and every guard in order and writes the result shapes. A call whose
guards all hold has exactly the shapes the rules would give (they take the
same decisions on the same arithmetic); a failed guard (status k + 1 for
guard k, rank mismatches report -1 - input) sends the call to the Python
walk, which raises today's message naming the user's line, or, when the
arguments are fine and only took another branch (the short last
minibatch), returns its shapes, and that call is traced as one more variant.

What is not traced (the function keeps the Python plan):
- shapes that read tensor data (a boolean mask, `nonzero`, host ops like
  `unique`), or values of inputs that are not integer scalars;
- lazy `ifelse` (which nodes have shapes depends on a value);
- rules the symbolic integers cannot follow (they raise while tracing).
Index *bounds* (`check_value_inputs`: `x[i]`, gathers) read index data: those
nodes are traced for their shapes, and their rules rerun in Python with the
native shapes of their inputs (`checks`). For the gathers and scatters of
advanced indexing (`log(p)[arange(n), y]` and its gradient), after
`NATIVE_CHECKS_AFTER` such calls the checks become one compiled function
(`native_bounds_check`): it computes the index arrays from the arguments
and tells whether any index leaves [-n, n) of its axis (n from the native
shapes), before the kernel runs (so before any in-place write); only when
one does does the Python rule run, to raise today's message.
"""

from __future__ import annotations

import ctypes
import hashlib
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlc.graph import Constant
from mlc.tensor.shape import Shape

#: at most this many traced variants (branches of the rules) per function
MAX_TRACES = 4
#: calls rerunning a variant's index-bounds checks before they are compiled (`native_bounds_check`)
NATIVE_CHECKS_AFTER = 8


class NotTraceable(Exception):
    """The shape rules read something a trace cannot follow (tensor data, a float value, ...)."""


class Trace:
    """Expressions (hash-consed, in creation order), guards, and the order to evaluate them in."""

    def __init__(self):
        self.exprs: list[tuple] = []
        self._index: dict[tuple, int] = {}
        #: ('e', expr) / ('g', guard): evaluation order (a guard before the division it protects)
        self.events: list[tuple[str, int]] = []
        #: (boolean expr, the outcome it had)
        self.guards: list[tuple[int, bool]] = []
        self._guarded: set[tuple[int, bool]] = set()
        #: per guard, the node whose shape rule took the decision
        self.guard_nodes: list[Any] = []
        self.node: Any = None  # the node being traced
        self.recording = True

    def expr(self, *key) -> int:
        k = self._index.get(key)
        if k is None:
            k = self._index[key] = len(self.exprs)
            self.exprs.append(key)
            self.events.append(("e", k))
        return k

    def show(self, e: int) -> str:
        """Expression `e` as text over the arguments (`arg0.shape[1]`, `arg2` for a scalar's value)."""
        op, *args = self.exprs[e]
        if op == "const":
            return str(args[0])
        if op == "dim":
            return f"arg{args[0]}.shape[{args[1]}]"
        if op == "val":
            return f"arg{args[0]}"
        if op in ("max", "min"):
            return f"{op}({self.show(args[0])}, {self.show(args[1])})"
        sym = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//", "mod": "%", "lt": "<", "le": "<=",
               "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}[op]
        return f"({self.show(args[0])} {sym} {self.show(args[1])})"

    def describe(self, k: int) -> str:
        """Guard `k` as text: the condition that must hold, and the node whose rule requires it."""
        e, outcome = self.guards[k]
        text = self.show(e)
        return f"{text if outcome else 'not ' + text} (shape rule of {self.guard_nodes[k].op})"

    def guard(self, e: int, outcome: bool) -> None:
        if self.recording and self.exprs[e][0] != "const" and (e, bool(outcome)) not in self._guarded:
            self._guarded.add((e, bool(outcome)))
            self.guards.append((e, bool(outcome)))
            self.guard_nodes.append(self.node)
            self.events.append(("g", len(self.guards) - 1))


def _floordiv(a: int, b: int) -> int:
    return a // b


_ARITH = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "floordiv": _floordiv,
          "mod": operator.mod, "max": max, "min": min}
_CMP = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq,
        "ne": operator.ne}


class Sym:
    """An integer known by its value in the traced call and by an expression over the inputs."""

    __slots__ = ("t", "e", "v")

    def __init__(self, t: Trace, e: int, v: int):
        self.t, self.e, self.v = t, e, int(v)

    def _other(self, o) -> tuple[int, int] | None:
        if isinstance(o, Sym):
            return o.e, o.v
        if isinstance(o, (bool, np.bool_)):
            return None
        if isinstance(o, (int, np.integer)):
            return self.t.expr("const", int(o)), int(o)
        if isinstance(o, np.ndarray) and o.shape == () and o.dtype.kind in "iu":
            return self.t.expr("const", int(o)), int(o)
        return None

    def _bin(self, name: str, o, swap: bool = False):
        other = self._other(o)
        if other is None:  # a float (or something else): compute with the value, guarded
            a, b = (o, int(self)) if swap else (int(self), o)
            return _ARITH[name](a, b) if name in _ARITH else NotImplemented
        (ea, va), (eb, vb) = ((other, (self.e, self.v)) if swap else ((self.e, self.v), other))
        if name in ("floordiv", "mod"):
            if vb == 0:
                raise ZeroDivisionError("integer division or modulo by zero")
            self.t.guard(self.t.expr("ne", eb, self.t.expr("const", 0)), True)
        return Sym(self.t, self.t.expr(name, ea, eb), _ARITH[name](va, vb))

    def _cmp(self, name: str, o):
        other = self._other(o)
        if other is None:
            return _CMP[name](int(self), o)
        if other[0] == self.e:  # the same expression: decided without a guard
            return name in ("eq", "le", "ge")
        return SymBool(self.t, self.t.expr(name, self.e, other[0]), _CMP[name](self.v, other[1]))

    def __add__(self, o):
        return self._bin("add", o)

    def __radd__(self, o):
        return self._bin("add", o, True)

    def __sub__(self, o):
        return self._bin("sub", o)

    def __rsub__(self, o):
        return self._bin("sub", o, True)

    def __mul__(self, o):
        return self._bin("mul", o)

    def __rmul__(self, o):
        return self._bin("mul", o, True)

    def __floordiv__(self, o):
        return self._bin("floordiv", o)

    def __rfloordiv__(self, o):
        return self._bin("floordiv", o, True)

    def __mod__(self, o):
        return self._bin("mod", o)

    def __rmod__(self, o):
        return self._bin("mod", o, True)

    def __neg__(self):
        return Sym(self.t, self.t.expr("sub", self.t.expr("const", 0), self.e), -self.v)

    def __pos__(self):
        return self

    def __abs__(self):
        return self if self >= 0 else -self

    def __lt__(self, o):
        return self._cmp("lt", o)

    def __le__(self, o):
        return self._cmp("le", o)

    def __gt__(self, o):
        return self._cmp("gt", o)

    def __ge__(self, o):
        return self._cmp("ge", o)

    def __eq__(self, o):
        return self._cmp("eq", o)

    def __ne__(self, o):
        return self._cmp("ne", o)

    def __int__(self) -> int:
        """A plain int: the trace holds only while the value stays the same."""
        self.t.guard(self.t.expr("eq", self.e, self.t.expr("const", self.v)), True)
        return self.v

    __index__ = __int__

    def __float__(self) -> float:
        return float(int(self))

    def __bool__(self) -> bool:
        return bool(self != 0)

    def __hash__(self) -> int:
        return hash(int(self))

    def __repr__(self) -> str:
        return f"Sym({self.v}, e{self.e})"


class SymBool:
    """A comparison of `Sym`s: using it as a truth value records a guard."""

    __slots__ = ("t", "e", "v")

    def __init__(self, t: Trace, e: int, v: bool):
        self.t, self.e, self.v = t, e, bool(v)

    def __bool__(self) -> bool:
        self.t.guard(self.e, self.v)
        return self.v

    def __invert__(self):
        return not self


def _known(x) -> Any:
    """`x` (a Sym, an int, a 0-d object array of either) as a Sym or int; else None."""
    if isinstance(x, np.ndarray) and x.shape == () and (x.dtype == object or x.dtype.kind in "iu"):
        x = x.item()
    if isinstance(x, Sym):
        return x
    if isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)):
        return int(x)
    return None


# Elementwise integer ops on 0-d values the trace follows symbolically (Elemwise scalar name -> Python)
_SCALAR_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "int_div": operator.floordiv,
               "floor_div": operator.floordiv, "mod": operator.mod, "neg": operator.neg, "maximum": max,
               "minimum": min, "identity": lambda a: a}


def trace_shapes(plan, arrays: Sequence[np.ndarray]) -> tuple[Trace, list, list] | None:
    """Run `plan`'s shape rules on symbolic inputs (values from `arrays`).

    Returns (trace, result shapes as Sym/int tuples, checks) or None when
    the rules read something a trace cannot follow. `checks` lists, per
    node with `check_value_inputs`, (node, its input shapes, its output
    shapes, {id(v): shape} of what its value rules read): replayed in Python.
    """
    try:
        return _trace(plan, arrays)
    except Exception:  # noqa: BLE001 - any rule the trace cannot follow: the function keeps the Python plan
        return None


def _trace(plan, arrays):
    from mlc.compile.function import _value_ancestors
    from mlc.tensor.elemwise import Cast, Elemwise

    fg = plan.fg
    if plan.schedule.lazy:
        raise NotTraceable("ifelse")
    t = Trace()
    shapes: dict[int, tuple] = {}
    values: dict[int, Any] = {}
    value_set = set(plan.value_inputs)
    for k, (v, a) in enumerate(zip(fg.all_inputs, arrays)):
        bcast = getattr(v.type, "broadcastable", None)
        if bcast is None or len(bcast) != a.ndim:
            raise NotTraceable(f"input {v}")
        dims = [Sym(t, t.expr("dim", k, d), n) for d, n in enumerate(a.shape)]
        for d, b in enumerate(bcast):
            if b and not dims[d] == 1:  # a broadcastable dim must be 1 (guarded: the native entry checks it)
                raise NotTraceable(f"{v}: broadcastable dimension {d} has size {a.shape[d]}")
        # then it is the constant 1 the rules assume
        shapes[id(v)] = tuple(1 if b else n for b, n in zip(bcast, dims))
        if k in value_set:
            if a.ndim != 0 or a.dtype.kind not in "iub":
                raise NotTraceable(f"the shapes read the values of {v} ({a.dtype}, rank {a.ndim})")
            values[id(v)] = np.array(Sym(t, t.expr("val", k, a.dtype.str), int(a)), dtype=object)
    free = set(map(id, fg.all_inputs))

    def shape_of(v, read=None):
        if isinstance(v, Constant):
            return np.shape(v.data)
        if read is not None:
            read[id(v)] = shapes[id(v)]
        return shapes[id(v)]

    def make_value_of(store, read=None):
        def value_of(v):
            if isinstance(v, Constant):
                return v.data
            if id(v) in store:
                return store[id(v)]
            if v.owner is None:
                if id(v) in free and read is not None:  # a check reads real data, replayed per call
                    return arrays[fg.all_inputs.index(v)]
                raise NotTraceable(f"a shape reads the data of {v}")
            node = v.owner
            if isinstance(node.op, Shape):
                dims = list(shape_of(node.inputs[0], read))
                # a check computes with plain values (it reruns on every call); shape rules with Syms
                r = (np.array([getattr(d, "v", d) for d in dims], dtype=np.int64) if read is not None
                     else np.array(dims + [0], dtype=object)[:-1])
                store[id(v)] = r
                return r
            ins = [value_of(i) for i in node.inputs]
            scalar = getattr(getattr(node.op, "scalar", None), "name", None)
            if isinstance(node.op, (Elemwise, Cast)) and all(np.ndim(x) == 0 for x in ins) and \
                    v.dtype[:3] in ("int", "uin") and (isinstance(node.op, Cast) or scalar in _SCALAR_OPS):
                known = [_known(x) for x in ins]
                if all(x is not None for x in known) and any(isinstance(x, Sym) for x in known):
                    r = known[0] if isinstance(node.op, Cast) else _SCALAR_OPS[scalar](*known)
                    store[id(v)] = np.array(r, dtype=object)
                    return store[id(v)]
            outs = node.op.perform(node, ins)
            for o, r in zip(node.outputs, outs):
                store[id(o)] = r
            return store[id(v)]

        return value_of

    value_of = make_value_of(values)
    # (a check of constants and shapes only, like shape(y)[0], is traced like any rule: its guards hold it)
    check_ids = {id(n) for n in plan.check_nodes}
    checks = []
    del _value_ancestors

    for node in fg.nodes:
        t.node = node
        ins = [shape_of(v) for v in node.inputs]
        if id(node) in check_ids:
            # a bounds check reads index data: traced for its shapes without guards, rerun per call
            read: dict[int, tuple] = {}
            t.recording = False
            try:
                outs = node.op.infer_shape(node, ins, lambda i, f=make_value_of({}, read): f(node.inputs[i]))
            finally:
                t.recording = True
            outs = [tuple(s) for s in outs]
            checks.append((node, [tuple(s) for s in ins], outs, read))
        else:
            outs = node.op.infer_shape(node, ins, lambda i: value_of(node.inputs[i]))
        for o, s in zip(node.outputs, outs):
            dims = tuple(_known(n) for n in s)
            if any(d is None for d in dims):
                raise NotTraceable(f"shape {s} of {o}")
            shapes[id(o)] = dims
    results = [tuple(shape_of(v)) for v in fg.results]
    return t, results, checks


# ---------------------------------------------------------------------------
# LLVM IR of a trace
# ---------------------------------------------------------------------------

#: numpy dtype kind + size -> (LLVM type, extension to i64) for reading an integer scalar input
_LOADS = {"b1": ("i8", "zext"), "i1": ("i8", "sext"), "u1": ("i8", "zext"), "i2": ("i16", "sext"),
          "u2": ("i16", "zext"), "i4": ("i32", "sext"), "u4": ("i32", "zext"), "i8": ("i64", None),
          "u8": ("i64", None)}


def trace_ir(name: str, t: Trace, ranks: Sequence[int], outputs: Sequence, layout: tuple[int, int]) -> str:
    """LLVM IR of `void name(ptr a0, ..., ptr out)`: out[0] = status, out[1:] = `outputs`' values.

    `outputs` is a flat list of Sym/int; status 0 when every guard holds, k + 1 when guard k fails,
    -1 - j when array j has the wrong rank.
    """
    data_off, dims_off = layout
    nd_off = data_off + 8
    n = len(ranks)
    params = ", ".join([f"ptr %a{k}" for k in range(n)] + ["ptr %out"])
    lines = [f'define void @"{name}"({params}) nounwind {{',
             "entry:"]
    fails: list[tuple[str, int]] = []
    label = 0

    def check(cond: str, status: int) -> None:
        nonlocal label
        label += 1
        fails.append((f"fail{label}", status))
        lines.append(f"  br i1 {cond}, label %fail{label}, label %ok{label}")
        lines.append(f"ok{label}:")

    for k, r in enumerate(ranks):
        lines += [f"  %nd{k}.p = getelementptr i8, ptr %a{k}, i64 {nd_off}",
                  f"  %nd{k} = load i32, ptr %nd{k}.p",
                  f"  %nd{k}.bad = icmp ne i32 %nd{k}, {r}"]
        check(f"%nd{k}.bad", -1 - k)
        if r:
            lines += [f"  %dims{k}.p = getelementptr i8, ptr %a{k}, i64 {dims_off}",
                      f"  %dims{k} = load ptr, ptr %dims{k}.p"]
    preds = {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq", "ne": "ne"}
    for kind, k in t.events:
        if kind == "g":
            e, outcome = t.guards[k]
            lines.append(f"  %g{k} = icmp ne i1 %e{e}, {'true' if outcome else 'false'}")
            check(f"%g{k}", k + 1)
            continue
        op, *args = t.exprs[k]
        r = f"%e{k}"
        if op == "const":
            lines.append(f"  {r} = add i64 0, {args[0]}")
        elif op == "dim":
            j, d = args
            lines += [f"  {r}.p = getelementptr i64, ptr %dims{j}, i64 {d}", f"  {r} = load i64, ptr {r}.p"]
        elif op == "val":
            j, dt = args
            ty, ext = _LOADS[dt[1:]]
            lines += [f"  {r}.pd = getelementptr i8, ptr %a{j}, i64 {data_off}", f"  {r}.d = load ptr, ptr {r}.pd"]
            if ext is None:
                lines.append(f"  {r} = load i64, ptr {r}.d")
            else:
                lines += [f"  {r}.v = load {ty}, ptr {r}.d", f"  {r} = {ext} {ty} {r}.v to i64"]
        elif op in preds:
            a, b = args
            lines.append(f"  {r} = icmp {preds[op]} i64 %e{a}, %e{b}")
        elif op in ("add", "sub", "mul"):
            a, b = args
            lines.append(f"  {r} = {op} i64 %e{a}, %e{b}")
        elif op in ("max", "min"):
            a, b = args
            lines += [f"  {r}.c = icmp {'sgt' if op == 'max' else 'slt'} i64 %e{a}, %e{b}",
                      f"  {r} = select i1 {r}.c, i64 %e{a}, i64 %e{b}"]
        elif op in ("floordiv", "mod"):  # Python's floor semantics (the divisor is guarded nonzero)
            a, b = args  # a zero divisor (from an unguarded check rule's arithmetic) divides by 1: no trap
            lines += [f"  {r}.z = icmp eq i64 %e{b}, 0", f"  {r}.d = select i1 {r}.z, i64 1, i64 %e{b}",
                      f"  {r}.q = sdiv i64 %e{a}, {r}.d", f"  {r}.r = srem i64 %e{a}, {r}.d",
                      f"  {r}.nz = icmp ne i64 {r}.r, 0", f"  {r}.x = xor i64 {r}.r, {r}.d",
                      f"  {r}.neg = icmp slt i64 {r}.x, 0", f"  {r}.adj = and i1 {r}.nz, {r}.neg"]
            if op == "floordiv":
                lines += [f"  {r}.s = zext i1 {r}.adj to i64", f"  {r} = sub i64 {r}.q, {r}.s"]
            else:
                lines += [f"  {r}.b = select i1 {r}.adj, i64 {r}.d, i64 0", f"  {r} = add i64 {r}.r, {r}.b"]
        else:  # pragma: no cover - every kind Sym builds is above
            raise ValueError(f"unknown shape expression {op}")
    for j, v in enumerate(outputs):
        val = str(v) if isinstance(v, int) else f"%e{v.e}"
        lines += [f"  %o{j}.p = getelementptr i64, ptr %out, i64 {j + 1}", f"  store i64 {val}, ptr %o{j}.p"]
    lines += ["  store i64 0, ptr %out", "  ret void"]
    for lab, status in fails:
        lines += [f"{lab}:", f"  store i64 {status}, ptr %out", "  ret void"]
    lines.append("}")
    return "\n".join(lines) + "\n"


class NativeShapes:
    """The traced shape functions of one `ShapePlan` (see the module docstring).

    `result_shapes(arrays)` gives the result shapes from native code (None
    when no trace's guards hold: the caller walks in Python and calls
    `learn`). `calls` counts native calls, `failed` those whose guards did
    not hold, `traces` the traced variants.
    """

    def __init__(self, plan):
        self.plan = plan
        #: per traced variant: (ctypes function, its output buffer type, checks, trace)
        self.variants: list[tuple[Any, Any, list, Trace]] = []
        self._results: list[list] = []  # per variant: the result shapes (Sym/int tuples)
        self._flat: list[list] = []  # per variant: what its native function writes after the status
        self.ranks = [getattr(v.type, "ndim", None) for v in plan.fg.all_inputs]
        self.out_ranks = [v.ndim for v in plan.fg.results]
        self.nout = sum(self.out_ranks)
        self.gave_up = False
        self.calls = 0
        self.failed = 0
        #: the last status a native call returned (0: shapes fine; k + 1: guard k failed)
        self.last_status = 0
        #: the check the last failed native call names (e.g. `(arg0.shape[0] != arg1.shape[0]) ...`)
        self.failed_check = ""
        #: per set of checking nodes: the compiled bounds check (False: none possible), or calls so far
        self._bounds: dict[int, Any] = {}
        #: calls whose checks reran the Python rules (tests count them)
        self.python_checks = 0

    @staticmethod
    def build(plan) -> NativeShapes | None:
        from mlc.runtime.cpu import ndarray_layout

        if any(getattr(v.type, "sparse", False) for v in plan.fg.all_inputs + plan.fg.results):
            return None  # scipy.sparse values: the Python plan
        if ndarray_layout() is None or plan.schedule.lazy or any(r is None for r in
                                                                [getattr(v.type, "ndim", None)
                                                                 for v in plan.fg.all_inputs]):
            return None
        return NativeShapes(plan)

    @property
    def traces(self) -> int:
        return len(self.variants)

    def learn(self, arrays: Sequence[np.ndarray]) -> None:
        """Trace the rules on this (successful) call and compile the trace as one more variant."""
        if self.gave_up or len(self.variants) >= MAX_TRACES:
            return
        traced = trace_shapes(self.plan, arrays)
        if traced is None:
            self.gave_up = True  # the rules read data (or a rule the trace cannot follow): keep the plan
            return
        t, results, checks = traced
        flat = [d for s in results for d in s]
        extra = []  # the shapes the per-call checks need, after the results
        layout_checks = []
        for node, ins, outs, read in checks:
            spans = []
            for group in (ins, outs, list(read.values())):
                spans.append([])
                for s in group:
                    spans[-1].append((len(flat) + len(extra) + 1, len(s)))
                    extra += list(s)
            layout_checks.append((node, spans[0], spans[1], list(zip(read.keys(), spans[2]))))
        flat += extra
        # compiled on first use: a function whose calls all take the native entry (mlc.compile.dispatch,
        # which inlines the trace) or the per-shape plans never needs this module
        self.variants.append((None, ctypes.c_int64 * (len(flat) + 1), layout_checks, t))
        self._flat.append(flat)
        self._results.append(results)

    def result_layout(self, t: Trace) -> list:
        """The result shapes (Sym/int tuples) of traced variant `t`."""
        return self._results[[v[3] for v in self.variants].index(t)]

    def _compile(self, t: Trace, flat: list):
        from mlc.runtime.cpu import compile_module, ndarray_layout

        layout = ndarray_layout()
        body = trace_ir("shapes", t, self.ranks, flat, layout)
        name = "mlc_shapes_" + hashlib.sha1(body.encode()).hexdigest()[:16]
        text = body.replace('@"shapes"', f'@"{name}"', 1)
        compiled = compile_module(text, [name])
        address = compiled.engine.get_function_address(name)
        if not address:
            return None
        fn = ctypes.PYFUNCTYPE(None, *([ctypes.c_void_p] * (len(self.ranks) + 1)))(address)
        fn.compiled = compiled  # keeps the engine alive
        return fn

    def result_shapes(self, arrays: Sequence[np.ndarray]) -> list[tuple[int, ...]] | None:
        """The result shapes from the first variant whose guards hold (then the checks rerun), or None."""
        ids = [id(a) for a in arrays]
        if not all(isinstance(a, np.ndarray) for a in arrays):  # native code reads numpy's struct
            return None
        for k, (fn, buftype, checks, _trace) in enumerate(self.variants):
            if fn is None:
                fn = self._compile(_trace, self._flat[k])
                if fn is None:  # not compiled: keep the Python plan
                    self.gave_up, self.variants = True, []
                    return None
                self.variants[k] = (fn, buftype, checks, _trace)
            self.calls += 1
            buf = buftype()  # one per call: another thread may call meanwhile
            fn(*ids, ctypes.addressof(buf))
            status = buf[0]
            self.last_status = status
            if status != 0:
                self.failed += 1
                self.failed_check = (f"argument {-1 - status} has the wrong rank" if status < 0
                                     else _trace.describe(status - 1))
                continue
            vals = buf[:]
            if checks and not self._checks(arrays, checks, vals):
                continue
            out, pos = [], 1
            for r in self.out_ranks:
                out.append(tuple(vals[pos:pos + r]))
                pos += r
            return out
        return None

    def _checks(self, arrays, checks, vals) -> bool:
        """Rerun the bounds-checking rules with the native shapes; False if one gives other shapes.

        Compiled (`native_bounds_check`) once the same checks ran `NATIVE_CHECKS_AFTER` times: then
        False when an index is out of bounds (the Python walk explains it)."""
        key = tuple(id(node) for node, *_ in checks)  # the same nodes in every variant: one compile
        bounded = self._bounds.get(key, 0)
        if isinstance(bounded, int) and bounded is not False:
            self._bounds[key] = bounded + 1
            if bounded + 1 >= NATIVE_CHECKS_AFTER:
                self._bounds[key] = native_bounds_check(self.plan.fg, checks) or False
        if bounded is not False and not isinstance(bounded, int):
            sizes = [int(vals[ins[0][0] + j]) for node, ins, _outs, _read in checks
                     for j in range(len(node.op.check_value_inputs))]
            return not bool(bounded(*arrays, *sizes))
        self.python_checks += 1
        plan = self.plan
        shapes = {k: tuple(vals[p:p + n]) for _node, _ins, _outs, read in checks for k, (p, n) in read}
        shape_of, value_of = plan._evaluator(arrays, shapes)  # one evaluator: values computed once
        for node, ins, outs, read in checks:
            got = plan._infer(node, [tuple(vals[p:p + n]) for p, n in ins], value_of, arrays)
            if [tuple(int(d) for d in s) for s in got] != [tuple(vals[p:p + n]) for p, n in outs]:
                return False
        return True


def native_bounds_check(fg, checks):
    """One compiled function `(*arguments, *sizes) -> bool`: whether any index array of the checking
    nodes `checks` (advanced-indexing gathers and scatters) has an index outside [-n, n), n being
    `sizes`' entry for its axis (x.shape[j] for index array j: the native shapes give it). The index
    arrays are computed from the function's arguments as the kernel computes them. None where that
    does not apply (another kind of check, an index computed by a host op such as a random draw,
    which a second evaluation would change)."""
    from mlc.graph.basic import ancestors, clone_replace
    from mlc.tensor.advanced import _IndexArrays
    from mlc.tensor.host import HostOp

    if not checks or not all(isinstance(node.op, _IndexArrays) for node, *_ in checks):
        return None
    indices = [node.inputs[k] for node, *_ in checks for k in node.op.check_value_inputs]
    if any(v.owner is not None and isinstance(v.owner.op, HostOp)
           for v in ancestors(indices, blockers=fg.all_inputs)):
        return None
    import mlc.tensor as T
    from mlc.compile.function import function

    try:
        fresh = [v.type() for v in fg.all_inputs]
        sizes = [T.lscalar(f"size{k}") for k in range(len(indices))]
        bad = None
        for index, n in zip(indices, sizes):
            out = T.or_(T.lt(index, -n), T.ge(index, n)).any()
            bad = out if bad is None else T.or_(bad, out)
        [bad] = clone_replace([bad], dict(zip(fg.all_inputs, fresh)))
        check = function(fresh + sizes, bad, on_unused_input="ignore")
    except Exception:  # noqa: BLE001 - a graph the check cannot be built for: the Python rules stay
        return None
    check.shape_plan.bounds_check = True  # (its own first call walks its plan once: tests tell them apart)
    return check
