"""Random graphs over `vocabulary.ROWS`: values against numpy, gradients against finite differences.

A graph is generated step by step, the mlc graph and its numpy reference in
lockstep (`Builder`): a step whose reference is not finite, too large, or
raises is dropped, so every kept graph is one numpy computes cleanly. A
`Graph` is plain data (inputs, steps as code, outputs) so it can be rebuilt
from its seed, minimized and printed as a reproducer (`Graph.source`).

Graphs are compiled in batches (several graphs' outputs in one
`mlc.function`, each graph with its own inputs) because compiling is what
costs; a batch that fails is retried graph by graph to find the culprit.
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vocabulary import BY_NAME, LIMIT, REF_NAMESPACE, ROWS, Row

#: rows that take only exact operands (discontinuous where a rounding residue would flip the result) but
#: whose results are not exact: nothing discontinuous may be applied to them in turn
INEXACT_RESULTS = {"sparse_structured_exp", "complex_inverse_trig", "complex_inverse_hyperbolic"}

#: rows that keep exact values exact (on the inputs' 1/8 grid, in float64)
PRESERVES_EXACT = {"neg", "abs", "add", "sub", "mul", "maximum", "minimum", "transpose", "dimshuffle", "flatten",
                   "reshape", "slice", "index", "concatenate", "tile", "repeat", "diag", "sort", "max", "min",
                   "cast_f64", "zeros_like", "clip", "sum", "sum_keepdims", "cumsum", "floor", "ceil", "round",
                   "trunc", "sgn", "cast_int"}


#: rows that take boolean operands (comparisons' results) with numpy's meaning
BOOL_OK = {"cast_f32", "cast_f64", "cast_int", "sum", "any", "eq", "neq", "transpose", "dimshuffle", "flatten",
           "reshape", "slice", "index", "concatenate", "tile", "repeat", "diag"}


@dataclass
class Step:
    name: str  # the value it defines
    row: str
    args: tuple[str, ...]
    p: Any = None

    def code(self, ns: str) -> str:
        """`ns` is "mlc" or "ref"."""
        row = BY_NAME[self.row]
        template = row.mlc if ns == "mlc" else row.ref
        names = dict(zip("abc", self.args))
        return template.format(p=self.p, **names)


@dataclass
class Graph:
    label: str
    inputs: list[tuple[str, str, tuple[bool, ...], np.ndarray]]  # name, dtype, broadcastable, value
    steps: list[Step]
    outputs: list[str]
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # gradient graphs: cost = sum(w * out)

    def rows(self) -> list[str]:
        return [s.row for s in self.steps]

    def pruned(self, outputs: list[str]) -> Graph:
        """The same graph computing only `outputs` (steps and inputs they need)."""
        need = set(outputs)
        steps = []
        for s in reversed(self.steps):
            if s.name in need:
                steps.append(s)
                need |= set(s.args)
        steps.reverse()
        inputs = [i for i in self.inputs if i[0] in need]
        return Graph(self.label, inputs, steps, list(outputs), {k: v for k, v in self.weights.items() if k in outputs})

    def source(self, grad: bool = False) -> str:
        """A standalone Python reproducer: builds, compiles, compares with numpy."""
        here = str(__import__("pathlib").Path(__file__).resolve().parent)
        lines = ["import sys", f"sys.path.insert(0, {here!r})  # test/fuzz, for the reference helpers",
                 "import numpy as np", "import mlc, mlc.tensor as T, mlc.sparse as S",
                 "from mlc.tensor import slinalg", "from vocabulary import REF_NAMESPACE",
                 "globals().update({k: v for k, v in REF_NAMESPACE.items() if k != 'np'})", ""]
        for name, dtype, bc, value in self.inputs:
            lines.append(f"{name} = T.TensorType({dtype!r}, {bc!r})({name!r})")
        for s in self.steps:
            lines.append(f"{s.name} = {s.code('mlc')}")
        inputs = ", ".join(i[0] for i in self.inputs)
        if grad:
            terms = " + ".join(f"({o} * np.array({self.weights[o].tolist()!r})).sum()" for o in self.outputs)
            lines.append(f"cost = {terms}")
            lines.append(f"f = mlc.function([{inputs}], mlc.grad(cost, [{inputs}], disconnected_inputs='ignore'))")
        else:
            lines.append(f"f = mlc.function([{inputs}], [{', '.join(self.outputs)}], on_unused_input='ignore')")
        lines.append("")
        for name, dtype, bc, value in self.inputs:
            lines.append(f"r_{name} = np.array({value.tolist()!r}, dtype={dtype!r}).reshape({value.shape!r})")
        for s in self.steps:
            ref = Step(s.name, s.row, tuple(f"r_{a}" for a in s.args), s.p).code("ref")
            lines.append(f"r_{s.name} = np.asarray({ref})")
        lines.append(f"got = f({', '.join('r_' + i[0] for i in self.inputs)})")
        if not grad:
            lines.append(f"for g, want in zip(got, [{', '.join('r_' + o for o in self.outputs)}]):")
            lines.append("    print(g.dtype, g.shape, want.dtype, want.shape)")
            lines.append("    print(np.max(np.abs(g - want)) if g.size and g.shape == want.shape else (g, want))")
        else:
            lines.append("print(got)")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------


@dataclass
class Val:
    name: str
    ref: np.ndarray
    var: Any
    exact: bool

    @property
    def bc(self) -> tuple[bool, ...]:
        return tuple(self.var.broadcastable)

    @property
    def kind(self) -> str:
        if self.ref.dtype.kind == "b":
            return "bool"  # numpy computes float16 from bools (np.round(True)): only BOOL_OK rows take them
        return "int" if self.ref.dtype.kind in "iu" else "float"


def _dims(rng) -> list[int]:
    return [int(rng.choice([0, 1, 2, 3, 4, 5], p=[0.05, 0.15, 0.25, 0.25, 0.15, 0.15])) for _ in range(3)]


def _input(rng, name: str, dims: list[int], grad: bool):
    rank = int(rng.integers(0, 4))
    bc = tuple(bool(rng.random() < 0.2) for _ in range(rank))
    shape = tuple(1 if b else d for b, d in zip(bc, dims[3 - rank:]))
    if grad:
        dtype = "float64"
        value = rng.uniform(-1.5, 1.5, size=shape)
    else:
        dtype = str(rng.choice(["float64", "float32", "int64"], p=[0.5, 0.3, 0.2]))
        if dtype == "int64":
            value = rng.integers(-5, 6, size=shape)
        else:
            value = rng.integers(-16, 17, size=shape) / 8.0
    return name, dtype, bc, np.asarray(value, dtype=dtype)


def _broadcast_ok(a: Val, b: Val) -> bool:
    """Theano's rule: aligned right, a dim broadcasts only if declared broadcastable."""
    for da, db, ba, bb in zip(reversed(a.ref.shape), reversed(b.ref.shape), reversed(a.bc), reversed(b.bc)):
        if not (ba or bb or da == db):
            return False
    return True


class Builder:
    """Builds a graph's mlc variables and numpy values in lockstep."""

    def __init__(self, prefix: str = ""):
        import mlc.sparse as S
        import mlc.tensor as T
        import mlc.tensor.slinalg  # noqa: F401  (the LAPACK rows' `slinalg.`)

        self.T = T
        self.S = S
        self.prefix = prefix
        self.vals: dict[str, Val] = {}

    def add_input(self, name, dtype, bc, value) -> Val:
        var = self.T.TensorType(dtype, bc)(self.prefix + name)
        v = self.vals[name] = Val(name, value, var, True)
        return v

    def apply(self, step: Step) -> Val:
        """Evaluate one step (raises on any trouble, including numpy warnings)."""
        args = [self.vals[a] for a in step.args]
        mlc_ns = {"T": self.T, "S": self.S, "slinalg": self.T.slinalg, **{a.name: a.var for a in args}}
        ref_ns = {**REF_NAMESPACE, **{a.name: a.ref for a in args}}
        with np.errstate(all="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            ref = np.asarray(eval(step.code("ref"), ref_ns))  # noqa: S307 - our own table's code
        var = eval(step.code("mlc"), mlc_ns)  # noqa: S307
        row = BY_NAME[step.row]
        exact = all(a.exact for a in args) and (row.exact and step.row not in INEXACT_RESULTS
                                                or step.row in PRESERVES_EXACT) and \
            all(a.ref.dtype == np.float64 or a.kind == "int" for a in args)
        v = self.vals[step.name] = Val(step.name, ref, var, exact)
        return v


class Rejected(Exception):
    """A step that cannot be used (numpy says no, or the value leaves the safe range)."""


def _accept(v: Val) -> None:
    ref = v.ref
    if ref.dtype.kind == "f" and not np.all(np.isfinite(ref)):
        raise Rejected("not finite")
    if ref.size and ref.dtype.kind in "fiu" and np.max(np.abs(ref)) > LIMIT:
        raise Rejected("too large")
    if ref.dtype == object or ref.dtype.kind == "c":
        raise Rejected("dtype")
    if ref.ndim != v.var.ndim:
        raise ShapeRuleMismatch(f"{v.name}: numpy gives rank {ref.ndim} {ref.shape}, mlc's type is {v.var.type}")
    for d, (b, n) in enumerate(zip(v.bc, ref.shape)):
        if b and n != 1:
            raise ShapeRuleMismatch(f"{v.name}: dim {d} is broadcastable in {v.var.type} but numpy's size is {n}")


class ShapeRuleMismatch(Exception):
    """mlc's static type disagrees with numpy's result (a finding, not a rejection)."""


def generate(label: str, seed: int, grad: bool = False) -> tuple[Graph, list[str]]:
    """A random graph (and the findings made while building it: shape-rule mismatches)."""
    rng = np.random.default_rng(seed)
    dims = _dims(rng)
    builder = Builder()
    inputs = []
    for k in range(int(rng.integers(1, 4))):
        inp = _input(rng, f"i{k}", dims, grad)
        builder.add_input(*inp)
        inputs.append(inp)
    rows = [r for r in ROWS if r.smooth] if grad else ROWS
    steps: list[Step] = []
    findings: list[str] = []
    target = int(rng.integers(1, 9))
    attempts = 0
    while len(steps) < target and attempts < 60:
        attempts += 1
        row: Row = rows[int(rng.integers(len(rows)))]
        pool = list(builder.vals.values())
        if row.exact:
            pool = [v for v in pool if v.exact]
        if row.dtypes == "float":
            pool = [v for v in pool if v.kind == "float"]
        elif row.dtypes == "int":
            pool = [v for v in pool if v.kind == "int"]
        elif row.name not in BOOL_OK:
            pool = [v for v in pool if v.kind != "bool"]
        if not pool:
            continue
        args = [pool[int(rng.integers(len(pool)))] for _ in range(row.arity)]
        if row.arity == 2 and row.shapes == "same" and not _broadcast_ok(*args):
            continue
        p = None
        if row.param is not None:
            p = row.param(rng, args)
            if p is None or (isinstance(p, str) and p == "skip"):
                continue
            if isinstance(p, np.integer):
                p = int(p)
        step = Step(f"v{len(steps)}", row.name, tuple(a.name for a in args), p)
        try:
            v = builder.apply(step)
            _accept(v)
        except ShapeRuleMismatch as e:
            findings.append(f"shape rule of {row.name}: {e}")
            builder.vals.pop(step.name, None)
            continue
        except Exception:  # numpy refuses, a warning, mlc refuses at build time, out of range
            builder.vals.pop(step.name, None)
            continue
        steps.append(step)
    if not steps:
        return Graph(label, inputs, [], []), findings
    names = [s.name for s in steps]
    outputs = [names[-1]]
    if len(names) > 1 and rng.random() < 0.4:
        outputs.append(names[int(rng.integers(len(names) - 1))])
    graph = Graph(label, inputs, steps, outputs)
    if grad:
        graph.weights = {o: rng.uniform(-1, 1, size=builder.vals[o].ref.shape) for o in outputs}
    return graph.pruned(outputs), findings


# ---------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------


def _tolerance(dtype: np.dtype, want: np.ndarray) -> tuple[float, float]:
    scale = 1.0 + (float(np.max(np.abs(want))) if want.size else 0.0)
    if dtype == np.float32:
        return 2e-3, 2e-3 * scale
    return 1e-6, 1e-6 * scale


def _rebuild(graph: Graph, prefix: str) -> Builder:
    b = Builder(prefix)
    for inp in graph.inputs:
        b.add_input(*inp)
    for s in graph.steps:
        b.apply(s)
    return b


def compare(graph: Graph, outputs: list[np.ndarray], b: Builder) -> str | None:
    """None if every output matches numpy (dtype as mlc's type says, shape, values), else why not."""
    for o, got in zip(graph.outputs, outputs):
        v = b.vals[o]
        want = v.ref
        if got.dtype != np.dtype(v.var.dtype):
            return f"{o}: dtype {got.dtype}, mlc's type says {v.var.dtype}"
        if got.shape != want.shape:
            return f"{o}: shape {got.shape}, numpy {want.shape}"
        if got.dtype.kind in "biu" or want.dtype.kind in "biu":
            if not np.array_equal(got.astype(np.float64), want.astype(np.float64)):
                return f"{o}: values differ (exact): got {got.ravel()[:6]}, numpy {want.ravel()[:6]}"
            continue
        # a float64 output computed from single-precision values (an int64 * float32 upcast) carries
        # their rounding: one ulp of a float32 tanh, amplified by what follows, is far above float64's bound
        single = any(u.ref.dtype in (np.float32, np.complex64, np.float16) for u in b.vals.values())
        rtol, atol = _tolerance(np.dtype(np.float32) if single else got.dtype, want)
        if not np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol):
            err = np.max(np.abs(got.astype(np.float64) - want))
            return f"{o}: values differ by {err:.3g} (rtol {rtol}, atol {atol:.3g})"
    return None


def run_values(graphs: list[Graph], mode: str | None = None) -> list[tuple[str, str]]:
    """Compile the graphs as one function and compare; per graph (status, detail).

    status: "ok", "mismatch" or "error" (mlc raised on a graph numpy computes)."""
    import mlc

    builders = [_rebuild(g, f"g{j}_") for j, g in enumerate(graphs)]
    ins = [b.vals[i[0]].var for g, b in zip(graphs, builders) for i in g.inputs]
    outs = [b.vals[o].var for g, b in zip(graphs, builders) for o in g.outputs]
    values = [i[3] for g in graphs for i in g.inputs]
    try:
        f = mlc.function(ins, outs, mode=mode, on_unused_input="ignore")
        got = f(*values)
    except Exception as e:
        if len(graphs) > 1:
            return [r for g in graphs for r in run_values([g], mode)]
        return [("error", _summary(e))]
    got = got if isinstance(got, list) else [got]
    results, k = [], 0
    for g, b in zip(graphs, builders):
        n = len(g.outputs)
        why = compare(g, [np.asarray(x) for x in got[k:k + n]], b)
        k += n
        results.append(("ok", "") if why is None else ("mismatch", why))
    return results


def run_grads(graphs: list[Graph]) -> list[tuple[str, str]]:
    """mlc.grad of cost = sum(w * outputs) against central finite differences of numpy's cost."""
    import mlc

    results = []
    for g in graphs:
        try:
            b = _rebuild(g, "")
            cost = sum((b.vals[o].var * g.weights[o]).sum() for o in g.outputs)
            wrt = [b.vals[i[0]].var for i in g.inputs]
            f = mlc.function(wrt, mlc.grad(cost, wrt, disconnected_inputs="ignore"), on_unused_input="ignore")
            got = f(*[i[3] for i in g.inputs])
        except Exception as e:
            results.append(("error", _summary(e)))
            continue
        got = got if isinstance(got, list) else [got]
        why = None
        for (name, dtype, bc, value), gi in zip(g.inputs, got):
            fd = _finite_difference(g, name, value)
            gi = np.asarray(gi)
            if gi.shape != value.shape:
                why = f"d/d{name}: shape {gi.shape}, input {value.shape}"
            elif not np.allclose(gi, fd, rtol=1e-4, atol=1e-5 * (1 + float(np.max(np.abs(fd), initial=0)))):
                why = f"d/d{name}: max error {np.max(np.abs(gi - fd)):.3g} against finite differences"
            if why:
                break
        results.append(("ok", "") if why is None else ("mismatch", why))
    return results


def _reference_cost(g: Graph, values: dict[str, np.ndarray]) -> float:
    env = dict(values)
    for s in g.steps:
        ns = {**REF_NAMESPACE, **{a: env[a] for a in s.args}}
        env[s.name] = np.asarray(eval(s.code("ref"), ns), dtype=np.float64)  # noqa: S307
    return float(sum((env[o] * g.weights[o]).sum() for o in g.outputs))


def _finite_difference(g: Graph, name: str, value: np.ndarray) -> np.ndarray:
    base = {i[0]: i[3] for i in g.inputs}
    out = np.zeros(value.shape)
    flat = value.reshape(-1)
    for k in range(flat.size):
        h = 1e-6 * (1 + abs(flat[k]))
        hi, lo = flat.copy(), flat.copy()
        hi[k] += h
        lo[k] -= h
        fp = _reference_cost(g, {**base, name: hi.reshape(value.shape)})
        fm = _reference_cost(g, {**base, name: lo.reshape(value.shape)})
        out.reshape(-1)[k] = (fp - fm) / (2 * h)
    return out


def _summary(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/mlc/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}{where}"[:400]


def minimize(graph: Graph, fails) -> Graph:
    """A smaller graph that still fails: one output, then the earliest value that fails."""
    best = graph
    for o in graph.outputs:
        cand = graph.pruned([o])
        if len(graph.outputs) > 1 and fails(cand):
            best = cand
            break
    for s in best.steps[:-1]:
        cand = best.pruned([s.name])
        if best.weights:
            cand.weights = {s.name: np.ones_like(_rebuild(best, "").vals[s.name].ref, dtype=np.float64)}
        if fails(cand):
            return cand
    return best
