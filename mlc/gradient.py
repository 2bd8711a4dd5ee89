"""Symbolic differentiation (Theano's `theano.gradient`).

`grad(cost, wrt)` builds the gradient as an ordinary graph by one reverse
pass over the ops between `wrt` and `cost`. Each op owns its rule
(`Op.grad`, or `Op.L_op` when it reuses its outputs), defined next to the op
in mlc.tensor; this module only walks the graph, adds up the terms a
variable receives from its consumers, and enforces Theano's contract:

- a term has the rank of its input; it is summed over the input's
  broadcastable dims (the elementwise broadcasting rule, for every op) and
  cast to the input's dtype, so a gradient keeps the dtype of the variable
  it is taken with respect to;
- integer and bool inputs, and inputs reaching the cost only through
  integer or bool outputs (comparisons, argmax, casts to int), get zero
  gradients; an input only used for shapes or indices (`connection_pattern`)
  is *disconnected*, which `grad` reports as an error unless told otherwise;
- known-zero terms are dropped rather than added, so the gradient of
  `switch(x > 0, x, 0)` has no `0 * ...` left from the comparison.

Built on it: `Lop`, `Rop` (the transpose of the transpose: the gradient of
`Lop(f, wrt, u) . v` with respect to the dummy `u`), `jacobian` and
`hessian` (see `jacobian`), `verify_grad` (finite differences along a
random projection), and the identity ops with a special gradient:
`consider_constant`, `zero_grad`, `disconnected_grad`, `grad_clip`,
`grad_scale`.
"""

from __future__ import annotations

import builtins
import time
import warnings
from typing import Any, ClassVar

import numpy as np

from mlc.config import config
from mlc.graph import Apply, Constant, Op, TensorType, Variable, built_at, toposort
from mlc.graph.dtype import COMPLEX, CONTINUOUS, FLOATS

__all__ = [
    "DisconnectedInputError",
    "DisconnectedType",
    "GradientError",
    "Lop",
    "NullGrad",
    "NullType",
    "NullTypeGradError",
    "UndefinedGrad",
    "Rop",
    "consider_constant",
    "disconnected_grad",
    "grad",
    "grad_clip",
    "format_as",
    "grad_not_implemented",
    "grad_scale",
    "grad_undefined",
    "hessian",
    "jacobian",
    "numeric_grad",
    "subgraph_grad",
    "verify_grad",
    "undefined_grad",
    "zero_grad",
]


class DisconnectedInputError(ValueError):
    """`grad` was asked for the gradient with respect to a variable the cost does not depend on."""


#: seconds spent in `grad` by this process (Theano's theano.gradient.grad_time)
grad_time = 0


class NullTypeGradError(TypeError):
    """A gradient on the path is mathematically undefined (an op's rule said so)."""


class _Zero:
    """Marker: a gradient term known to be zero (kept symbolic only if nothing else arrives)."""

    def __repr__(self) -> str:
        return "ZERO"


ZERO = _Zero()


class NullGrad:
    """Marker an op's rule may return for an input whose gradient is undefined (a Theano NullType variable)."""

    def __init__(self, why: str):
        self.why = why

    def __repr__(self) -> str:
        return f"NullGrad({self.why!r})"


def grad_undefined(op: Op, index: int, x: Variable, comment: str = "") -> NullGrad:
    """The term an op's rule returns for input `index` when its gradient is undefined."""
    return NullGrad(
        f"{op}.grad: the gradient with respect to input {index} ({x}) is undefined"
        + (f": {comment}" if comment else "")
    )


def grad_not_implemented(op: Op, index: int, x: Variable, comment: str = "") -> NullGrad:
    """The term an op's rule returns for input `index` when nobody wrote its gradient (taking it raises
    NullTypeGradError, as for an undefined one)."""
    return NullGrad(f"This variable is Null because the grad method for input {index} ({x}) of the {op} op is "
                    f"not implemented. {comment}")


class _TermType:
    """Theano's types of gradient terms that hold no value: all instances of one are equal."""

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __str__(self) -> str:
        return type(self).__name__


class NullType(_TermType):
    """Theano's NullType(why_null): `NullType(why)()` is the term for an undefined gradient (a NullGrad)."""

    def __init__(self, why_null: str = "(no explanation given)"):
        self.why_null = why_null

    def __call__(self, name=None) -> NullGrad:
        return NullGrad(self.why_null)


class DisconnectedType(_TermType):
    """Theano's DisconnectedType: `DisconnectedType()()` is the term an op's rule returns for an input its
    output does not depend on; in mlc that term is None (the op's connection_pattern says so)."""

    def __call__(self, name=None):
        return None


null_type = NullType()
disconnected_type = DisconnectedType()


def format_as(use_list: bool, use_tuple: bool, outputs):
    """`outputs` as a list (use_list), a tuple (use_tuple) or, with neither, a single element unwrapped
    (Theano's format_as)."""
    if use_list and use_tuple:
        raise ValueError("format_as: use_list and use_tuple cannot both be true")
    if (use_list or use_tuple) and not isinstance(outputs, (list, tuple)):
        return [outputs] if use_list else (outputs,)
    if not (use_list or use_tuple) and isinstance(outputs, (list, tuple)):
        if len(outputs) != 1:
            raise ValueError(f"format_as: expected a one-element list, got {len(outputs)} elements")
        return outputs[0]
    if use_list or use_tuple:
        return list(outputs) if use_list else tuple(outputs)
    return outputs


# ----------------------------------------------------------------------------
# Small graph helpers
# ----------------------------------------------------------------------------


def _float_dtype(dtype: str) -> str:
    return dtype if dtype in CONTINUOUS else config.floatX


def _float_zeros_like(x: Variable) -> Variable:
    """Zeros of x's shape and broadcastable pattern, in x's dtype if float, else floatX (Theano)."""
    from mlc.tensor.alloc import zeros_like

    if getattr(x.type, "sparse", False):  # mlc.sparse: an empty sparse matrix of x's shape
        return x.zeros_like(dtype=_float_dtype(x.dtype))
    return zeros_like(x, dtype=_float_dtype(x.dtype))


def _float_ones_like(x: Variable) -> Variable:
    from mlc.tensor.alloc import ones_like
    from mlc.tensor.var import constant

    dtype = _float_dtype(x.dtype)
    if x.ndim == 0:
        return constant(np.asarray(1, dtype=dtype))
    return ones_like(x, dtype=dtype)


def is_zero(v: Any) -> bool:
    """Is `v` ZERO, a constant of zeros, or zeros broadcast/cast/dimshuffled (as zeros_like builds)?"""
    from mlc.tensor.alloc import Alloc
    from mlc.tensor.elemwise import Cast, DimShuffle

    if v is ZERO:
        return True
    while isinstance(v, Variable) and v.owner is not None and isinstance(v.owner.op, (Alloc, Cast, DimShuffle)):
        v = v.owner.inputs[0]
    return isinstance(v, Constant) and np.asarray(v.data).size <= 1 << 16 and not np.any(v.data)


def fit_term(term: Variable, var: Variable, op: Op | None = None) -> Variable:
    """`term` as a gradient for `var`: summed over var's broadcastable dims, var's pattern and dtype.

    A term non-broadcastable where var is broadcastable was broadcast by the
    op, so its entries add up (kept as a size-1 dim); a term broadcastable
    where var is not is spread to var's shape.
    """
    from mlc.tensor.alloc import fill
    from mlc.tensor.elemwise import cast
    from mlc.tensor.reduce import sum as _sum
    from mlc.tensor.var import as_tensor_variable

    if getattr(var.type, "sparse", False) or getattr(getattr(term, "type", None), "sparse", False):
        return _fit_sparse_term(term, var, op)
    term = as_tensor_variable(term)
    if term.ndim != var.ndim:
        who = f"{op}.grad" if op is not None else "a gradient"
        raise TypeError(
            f"{who} returned a term of rank {term.ndim} ({term.type}) for an input of rank {var.ndim} "
            f"({var} of type {var.type}){built_at(var)}"
        )
    if term.dtype in COMPLEX and var.dtype not in COMPLEX:
        from mlc.tensor.elemwise import real

        term = real(term)  # g = dC/dRe + i dC/dIm: a real variable's gradient is the real part
    if term.dtype not in CONTINUOUS:
        term = cast(term, _float_dtype(var.dtype))
    axes = [i for i, (b, t) in enumerate(zip(var.broadcastable, term.broadcastable)) if b and not t]
    if axes:
        term = _sum(term, axis=axes, keepdims=True, dtype=term.dtype)
    if any(t and not b for b, t in zip(var.broadcastable, term.broadcastable)):
        term = fill(var, term)
    if var.dtype in CONTINUOUS and term.dtype != var.dtype:
        term = cast(term, var.dtype)
    return term


def _fit_sparse_term(term, var: Variable, op: Op | None) -> Variable:
    """A gradient term where the variable or the term is sparse (mlc.sparse): a 2-d term in var's float dtype.

    Theano lets a sparse variable's gradient be dense (sparse.dot's regular
    gradient) and a dense variable's be sparse; only rank and dtype are fitted.
    """
    from mlc.tensor.elemwise import cast

    if term.ndim != var.ndim:
        who = f"{op}.grad" if op is not None else "a gradient"
        raise TypeError(f"{who} returned a term of rank {term.ndim} ({term.type}) for {var} of type {var.type}"
                        f"{built_at(var)}")
    want = _float_dtype(var.dtype)
    if term.dtype != want:
        term = term.astype(want) if getattr(term.type, "sparse", False) else cast(term, want)
    if not getattr(var.type, "sparse", False):  # a dense variable's gradient is dense
        from mlc.sparse.basic import dense_from_sparse

        term = dense_from_sparse(term)
    return term


def _as_list(x, what: str) -> tuple[list, Any]:
    """(list of x, a function giving a result list back in x's form: single, list or tuple)."""
    if isinstance(x, set):
        raise TypeError(f"{what} must be a variable, a list or a tuple, not a set (its order is undefined)")
    if isinstance(x, (list, tuple)):
        kind = type(x)
        return list(x), (lambda r: kind(r))
    return [x], (lambda r: r[0])


def _check_variable(v, what: str) -> Variable:
    if not isinstance(v, Variable):
        raise TypeError(f"{what}: expected a symbolic variable, got {type(v).__name__}: {v!r:.80}")
    return v


# ----------------------------------------------------------------------------
# The reverse pass
# ----------------------------------------------------------------------------


def _depends_on(nodes: list[Apply], sources: list[Variable]) -> set[int]:
    """Ids of the variables (among `sources` and the nodes' outputs) that depend on a source."""
    reached = set(map(id, sources))
    for node in nodes:
        if any(id(v) in reached for v in node.inputs):
            reached.update(map(id, node.outputs))
    return reached


class _Grads:
    """Gradient terms received by each variable; the total is summed once, on first use."""

    def __init__(self, cost_name: str | None):
        self.terms: dict[int, list] = {}
        self.totals: dict[int, Any] = {}
        self.cost_name = cost_name

    def add(self, var: Variable, term) -> None:
        assert id(var) not in self.totals, f"gradient term for {var} arrived after its total was used"
        self.terms.setdefault(id(var), []).append(term)

    def total(self, var: Variable):
        """None (disconnected), ZERO, a NullGrad, or the symbolic sum of the terms."""
        key = id(var)
        if key in self.totals:
            return self.totals[key]
        terms = self.terms.get(key)
        if not terms:
            out = None
        else:
            undefined = [t for t in terms if isinstance(t, NullGrad)]
            live = [t for t in terms if not isinstance(t, NullGrad) and not is_zero(t)]
            if undefined:
                out = undefined[0]
            elif not live:
                out = ZERO
            else:
                out = live[0]
                for t in live[1:]:
                    out = out + t
                if self.cost_name is not None and var.name is not None and out.owner is not None:
                    out.name = f"(d{self.cost_name}/d{var.name})"
        self.totals[key] = out
        return out


def _is_discrete(v: Variable) -> bool:
    return getattr(v, "dtype", None) not in CONTINUOUS


def _node_terms(node: Apply, out_grads: list, wanted: list[bool]) -> list:
    """The terms `node` sends to its inputs (None: disconnected), given its outputs' gradients."""
    pattern = node.op.connection_pattern(node)
    connected = [
        builtins.any(pattern[i][j] and out_grads[j] is not None for j in range(len(node.outputs)))
        for i in range(len(node.inputs))
    ]
    result: list = [None] * len(node.inputs)
    if not builtins.any(c and w for c, w in zip(connected, wanted)):
        return result
    live = [j for j, g in enumerate(out_grads) if g is not None and g is not ZERO]
    undefined = [g for g in out_grads if isinstance(g, NullGrad)]
    # Gradients cannot flow back through integer or bool outputs: comparisons,
    # argmax, casts to int, ... give zero gradients (Theano's rule).
    if undefined or not live or builtins.all(_is_discrete(node.outputs[j]) for j in live):
        fill_with = undefined[0] if undefined else ZERO
        return [fill_with if c else None for c in connected]
    grads = []
    for out, g in zip(node.outputs, out_grads):
        if g is None or g is ZERO:
            g = _float_zeros_like(out)
        grads.append(g)
    try:
        terms = node.op.L_op(list(node.inputs), list(node.outputs), grads)
    except NotImplementedError as exc:
        out = node.outputs[0]
        raise NotImplementedError(f"mlc.grad: {exc} (needed to differentiate through {out}{built_at(out)})") from None
    if len(terms) != len(node.inputs):
        raise TypeError(f"{node.op}.grad returned {len(terms)} terms for {len(node.inputs)} inputs")
    for i, (x, term) in enumerate(zip(node.inputs, terms)):
        if not (connected[i] and wanted[i]):
            continue
        if isinstance(term, NullGrad) or term is ZERO:
            result[i] = term
        elif term is None:
            raise TypeError(
                f"{node.op}.grad returned None for input {i} ({x}), which its connection_pattern "
                f"declares connected; return zeros for a zero gradient"
            )
        elif _is_discrete(x) or is_zero(term):
            result[i] = ZERO
        else:
            result[i] = fit_term(term, x, node.op)
    return result


def _backprop(
    seeds: dict[int, tuple[Variable, Variable]], wrt: list[Variable], blockers: list[Variable], cost_name: str | None
) -> list:
    """Totals of the gradients of `wrt`, from `seeds` (id -> (variable, its gradient))."""
    roots = [v for v, _ in seeds.values()]
    nodes = toposort(roots, blockers=blockers)
    reached = _depends_on(nodes, wrt)
    grads = _Grads(cost_name)
    for v, g in seeds.values():
        grads.add(v, g)
    seeded = set(seeds)
    for node in reversed(nodes):
        wanted = [id(v) in reached for v in node.inputs]
        if not builtins.any(wanted):
            continue
        out_grads = [grads.total(o) for o in node.outputs]
        if builtins.all(g is None for g in out_grads):
            continue
        for x, term in zip(node.inputs, _node_terms(node, out_grads, wanted)):
            if term is not None and id(x) not in seeded:
                grads.add(x, term)
    return [grads.total(v) for v in wrt]


def _disconnected(var: Variable, policy: str, who: str = "grad") -> None:
    message = (
        f"{who}: asked for the gradient with respect to {var} ({var.type}), which the cost does not "
        f"depend on, or only through non-differentiable uses (shapes, indices){built_at(var)}; pass "
        f"disconnected_inputs='ignore' (or 'warn') to get zeros"
    )
    if policy == "ignore":
        return
    if policy == "warn":
        warnings.warn(message, stacklevel=3)
    elif policy == "raise":
        raise DisconnectedInputError(message)
    else:
        raise ValueError(f"{who}: disconnected_inputs must be 'ignore', 'warn' or 'raise', got {policy!r}")


def grad(
    cost,
    wrt,
    consider_constant=None,
    disconnected_inputs="raise",
    add_names=True,
    known_grads=None,
    return_disconnected="zero",
    null_gradients="raise",
):
    """Symbolic gradient of the scalar `cost` with respect to `wrt` (Theano's theano.grad).

    `wrt` is a variable, or a list/tuple of them (the result has the same
    form). `consider_constant` lists variables the gradient does not flow
    through; `known_grads` maps variables to gradients given from outside
    (then `cost` may be None). A variable the cost does not depend on is an
    error unless `disconnected_inputs` is 'ignore' or 'warn'; its gradient
    is then zeros (`return_disconnected='zero'`), None ('None') or the
    variable-free marker ('Disconnected'). Gradients have the dtype of the
    variable; integer variables get float (floatX) zeros, as in Theano.
    The result is an ordinary graph: it compiles and optimizes like any other.
    """
    from mlc.tensor.var import as_tensor_variable

    global grad_time
    start = time.perf_counter()
    if cost is None and not known_grads:
        raise ValueError("grad: cost is None and there are no known_grads: nothing to differentiate")
    if return_disconnected not in ("zero", "None", "Disconnected"):
        raise ValueError(
            f"grad: return_disconnected must be 'zero', 'None' or 'Disconnected', got {return_disconnected!r}"
        )
    if null_gradients not in ("raise", "return"):
        raise ValueError(f"grad: null_gradients must be 'raise' or 'return', got {null_gradients!r}")
    if disconnected_inputs not in ("ignore", "warn", "raise"):
        raise ValueError(f"grad: disconnected_inputs must be 'ignore', 'warn' or 'raise', got {disconnected_inputs!r}")
    wrt_list, form = _as_list(wrt, "grad: wrt")
    wrt_list = [_check_variable(v, "grad: wrt") for v in wrt_list]
    seeds: dict[int, tuple[Variable, Variable]] = {}
    if cost is not None:
        cost = _check_variable(cost, "grad: cost")
        if getattr(cost, "ndim", None) != 0:
            raise TypeError(
                f"grad: cost must be a scalar (0-d), got {cost} of type {cost.type} with "
                f"{getattr(cost, 'ndim', '?')} dims{built_at(cost)}; sum or index it first, "
                f"or use jacobian() for a vector"
            )
    for v, g in (known_grads or {}).items():
        v = _check_variable(v, "grad: known_grads key")
        g = as_tensor_variable(g)
        if g.ndim != v.ndim:
            raise TypeError(f"grad: known gradient of {v} ({v.type}) must have its rank, got {g.type}{built_at(g)}")
        seeds[id(v)] = (v, fit_term(g, v))
    if cost is not None and id(cost) not in seeds:
        seeds[id(cost)] = (cost, _float_ones_like(cost))
    consider = [_check_variable(v, "grad: consider_constant") for v in (consider_constant or [])]
    cost_name = cost.name if (add_names and cost is not None) else None
    totals = _backprop(seeds, wrt_list, consider, cost_name)
    out = []
    for v, g in zip(wrt_list, totals):
        if isinstance(g, NullGrad):
            if null_gradients == "raise":
                raise NullTypeGradError(f"grad: the gradient with respect to {v} is undefined: {g.why}")
            out.append(g)
        elif g is None:
            _disconnected(v, disconnected_inputs)
            out.append(
                _float_zeros_like(v)
                if return_disconnected == "zero"
                else None
                if return_disconnected == "None"
                else DISCONNECTED
            )
        elif g is ZERO:
            out.append(_float_zeros_like(v))
        else:
            out.append(g)
    grad_time += time.perf_counter() - start
    return form(out)


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """Theano's subgraph_grad: gradients of one piece of a graph, for backpropagating piece by piece.

    `end` lists the variables where this piece starts (its inputs, held constant), `start` maps variables
    of this piece to gradients known from the pieces above, `cost` adds a cost of its own. Returns the
    gradients with respect to `wrt` and to `end` (feed the latter as `start` of the piece below); with
    `details`, also the parts from `start` and from `cost`.
    """
    if cost is None and start is None:
        raise ValueError("subgraph_grad: give a cost, a start (known gradients) or both")
    if not isinstance(end, list) or not isinstance(wrt, list):
        raise TypeError("subgraph_grad: wrt and end must be lists of variables")
    if start is not None and not isinstance(start, dict):
        raise TypeError("subgraph_grad: start must be a dict {variable: its known gradient}")
    params = list({id(v): v for v in wrt + end}.values())
    start_grads = cost_grads = None
    if start is not None:
        start_grads = list(grad(None, params, known_grads=start, consider_constant=end, disconnected_inputs="ignore"))
    if cost is not None:
        cost_grads = list(grad(cost, params, consider_constant=end, disconnected_inputs="ignore"))
    if start is None:
        grads = cost_grads
    else:
        grads = list(start_grads)
        if cost_grads is not None:
            grads = [g + c for g, c in zip(grads, cost_grads)]
    by_id = {id(p): g for p, g in zip(params, grads)}
    wrt_grads, end_grads = [by_id[id(v)] for v in wrt], [by_id[id(v)] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads


class _DisconnectedMarker:
    """What grad returns for a disconnected input with return_disconnected='Disconnected'."""

    def __repr__(self) -> str:
        return "DisconnectedType()"


DISCONNECTED = _DisconnectedMarker()


# ----------------------------------------------------------------------------
# L-operator and R-operator
# ----------------------------------------------------------------------------


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """`eval_points` times the Jacobian of `f` with respect to `wrt` (vector-Jacobian product).

    `f` and `eval_points` are a variable or lists of equal length (each
    point of its output's shape); the result has `wrt`'s form.
    """
    fs, _ = _as_list(f, "Lop: f")
    evs, _ = _as_list(eval_points, "Lop: eval_points")
    if len(fs) != len(evs):
        raise ValueError(f"Lop: f has {len(fs)} outputs but eval_points has {len(evs)} entries")
    known = {}
    for out, ev in zip(fs, evs):
        known[_check_variable(out, "Lop: f")] = ev
    return grad(
        None, wrt, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs, known_grads=known
    )


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """The Jacobian of `f` with respect to `wrt` times `eval_points` (Jacobian-vector product).

    `wrt` and `eval_points` are a variable or lists of equal length (each
    point of its variable's shape); the result has `f`'s form. Built from
    reverse mode: with a dummy cotangent `u` for each output, Lop(f, wrt, u)
    is linear in u, and its gradient along eval_points with respect to u is
    J @ eval_points. The dummy is then replaced by zeros (only its shape
    could remain in the graph), so the result needs no extra input.
    """
    from mlc.graph import clone_replace
    from mlc.tensor.var import as_tensor_variable

    fs, form = _as_list(f, "Rop: f")
    wrts, _ = _as_list(wrt, "Rop: wrt")
    evs, _ = _as_list(eval_points, "Rop: eval_points")
    if len(wrts) != len(evs):
        raise ValueError(f"Rop: wrt has {len(wrts)} entries but eval_points has {len(evs)}")
    fs = [_check_variable(v, "Rop: f") for v in fs]
    evs = [as_tensor_variable(e) for e in evs]
    for w, e in zip(wrts, evs):
        _check_variable(w, "Rop: wrt")
        if e.ndim != w.ndim:
            raise TypeError(f"Rop: the evaluation point for {w} ({w.type}) must have its rank, got {e.type}")
    dummies = [TensorType(_float_dtype(v.dtype), v.broadcastable)(f"rop_cotangent_{k}") for k, v in enumerate(fs)]
    left = Lop(fs, wrts, dummies, disconnected_inputs="ignore")
    inner = None
    for lg, e in zip(left, evs):
        if is_zero(lg):
            continue
        term = (lg * e).sum()
        inner = term if inner is None else inner + term
    out = []
    if inner is not None:
        totals = grad(inner, dummies, disconnected_inputs="ignore", return_disconnected="None")
    else:
        totals = [None] * len(fs)
    for v, r in zip(fs, totals):
        if r is None:
            if disconnected_outputs == "raise":
                raise DisconnectedInputError(
                    f"Rop: output {v} does not depend on any variable in wrt "
                    f"{wrts}{built_at(v)}; pass disconnected_outputs='ignore'"
                )
            if disconnected_outputs == "warn":
                warnings.warn(f"Rop: output {v} does not depend on wrt", stacklevel=2)
            r = _float_zeros_like(v) if return_disconnected == "zero" else None
        out.append(r)
    live = [r for r in out if r is not None]
    zeros = {d: _float_zeros_like(v) for d, v in zip(dummies, fs)}
    replaced = iter(clone_replace(live, zeros))
    return form([next(replaced) if r is not None else None for r in out])


# ----------------------------------------------------------------------------
# Jacobian, Hessian
# ----------------------------------------------------------------------------


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """Jacobian of the vector `expression` with respect to `wrt` (Theano's theano.gradient.jacobian).

    For each variable x of `wrt` the result has shape (len(expression),) +
    x.shape: row i is grad(expression[i], x). A scalar expression gives
    grad(expression, wrt).

    Without scan, the rows are computed together: the gradient is built
    once with a symbolic cotangent v (`Lop(expression, wrt, v)`, linear in
    v), then that graph is vectorized over v = the rows of eye(n) by each
    op's batching rule, a reverse pass with a batch of cotangents. Any
    symbolic length n works, and the result is an ordinary graph.
    """
    from mlc.tensor.alloc import eye
    from mlc.tensor.var import as_tensor_variable
    from mlc.tensor.vectorize import to_batched, vectorize

    expression = as_tensor_variable(expression)
    wrts, form = _as_list(wrt, "jacobian: wrt")
    if expression.ndim == 0:
        return form(
            grad(expression, wrts, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        )
    if expression.ndim != 1:
        raise TypeError(
            f"jacobian: expression must be a vector (1-d) or a scalar, got {expression} of type "
            f"{expression.type}{built_at(expression)}; flatten it first"
        )
    dtype = _float_dtype(expression.dtype)
    v = TensorType(dtype, expression.broadcastable)("jacobian_cotangent")
    gs = grad(
        None,
        wrts,
        consider_constant=consider_constant,
        disconnected_inputs=disconnected_inputs,
        known_grads={expression: v},
    )
    n = expression.shape[0]
    rows = eye(n, n, 0, dtype=dtype)
    out = []
    for (g, batched), x in zip(vectorize(gs, {v: rows}), wrts):
        out.append(g if batched else to_batched(g, n))
    return form(out)


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """Hessian of the scalar `cost` with respect to each vector of `wrt`: jacobian(grad(cost, x), x)."""
    from mlc.tensor.var import as_tensor_variable

    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: cost must be a scalar (0-d), got {cost} of type {cost.type}{built_at(cost)}")
    wrts, form = _as_list(wrt, "hessian: wrt")
    out = []
    for x in wrts:
        _check_variable(x, "hessian: wrt")
        if x.ndim != 1:
            raise TypeError(f"hessian: wrt must be vectors (1-d), got {x} of type {x.type}{built_at(x)}")
        g = grad(cost, x, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        out.append(jacobian(g, x, consider_constant=consider_constant, disconnected_inputs="ignore"))
    return form(out)


# ----------------------------------------------------------------------------
# Identity ops with a special gradient
# ----------------------------------------------------------------------------


class _ViewOp(Op):
    """Identity in the forward pass (emits nothing: the operand is the result)."""

    def make_node(self, x) -> Apply:
        from mlc.tensor.var import as_tensor_variable

        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0]]

    def infer_shape(self, node, shapes, value):
        return [shapes[0]]

    def emit(self, ctx, node, operands):
        return [operands[0]]

    def batch(self, node, inputs, batched):
        return [self(inputs[0])]


class ConsiderConstant(_ViewOp):
    """consider_constant(x): x, whose gradient is zero (Theano's ConsiderConstant)."""

    def grad(self, inputs, output_grads):
        return [ZERO]


class ZeroGrad(_ViewOp):
    """zero_grad(x): x, whose gradient is zero (the input stays connected)."""

    def grad(self, inputs, output_grads):
        return [ZERO]


class DisconnectedGrad(_ViewOp):
    """disconnected_grad(x): x, through which no gradient flows (the input is disconnected)."""

    def connection_pattern(self, node):
        return [[False]]

    def grad(self, inputs, output_grads):
        return [None]


class GradClip(_ViewOp):
    """grad_clip(x, lower, upper): x, whose gradient is clipped to [lower, upper]."""

    __props__ = ("lower", "upper")

    def __init__(self, lower: float, upper: float):
        if not lower <= upper:
            raise ValueError(f"grad_clip: lower bound {lower} must not exceed upper bound {upper}")
        self.lower, self.upper = float(lower), float(upper)

    def grad(self, inputs, output_grads):
        from mlc.tensor.elemwise import clip

        return [clip(output_grads[0], self.lower, self.upper)]


class GradScale(_ViewOp):
    """grad_scale(x, multiplier): x, whose gradient is multiplied by `multiplier`."""

    __props__ = ("multiplier",)

    def __init__(self, multiplier):
        # a number, or a symbolic scalar/tensor (Theano allows any: the gradient is multiplied by it)
        self.multiplier = multiplier if hasattr(multiplier, "owner") else float(multiplier)

    def grad(self, inputs, output_grads):
        return [output_grads[0] * self.multiplier]


class UndefinedGrad(_ViewOp):
    """undefined_grad(x): x, whose gradient is undefined: taking a gradient through it raises
    NullTypeGradError (or, with grad(..., null_gradients='return'), returns the NullGrad marker)."""

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, 0, inputs[0])]


# Theano's op instances (consider_constant_ is what consider_constant applies, and so on)
consider_constant_ = ConsiderConstant()
zero_grad_ = ZeroGrad()
disconnected_grad_ = DisconnectedGrad()
undefined_grad_ = UndefinedGrad()


def consider_constant(x):
    """`x`, treated as a constant by grad: the gradient through it is zero."""
    return consider_constant_(x)


def zero_grad(x):
    """`x` in the forward pass; its gradient is zero (Theano's zero_grad)."""
    return zero_grad_(x)


def disconnected_grad(x):
    """`x` in the forward pass; gradients do not flow through it (asking for one raises)."""
    return disconnected_grad_(x)


def undefined_grad(x):
    """`x` in the forward pass; its gradient is undefined: grad through it raises NullTypeGradError."""
    return undefined_grad_(x)


def mode_not_slow(mode):
    """The mode verify_grad compiles with: `mode` (a name or a Mode), except that FAST_COMPILE and
    DebugMode become FAST_RUN (Theano's mode_not_slow)."""
    from mlc.compile.mode import FAST_RUN, DebugMode, get_mode

    if mode == "FAST_COMPILE":
        return FAST_RUN
    mode = get_mode(mode)
    return FAST_RUN if isinstance(mode, DebugMode) else mode


def grad_clip(x, lower_bound, upper_bound):
    """`x` in the forward pass; its gradient is clipped elementwise to [lower_bound, upper_bound]."""
    return GradClip(lower_bound, upper_bound)(x)


def grad_scale(x, multiplier):
    """`x` in the forward pass; its gradient is scaled by `multiplier`."""
    return GradScale(multiplier)(x)


# ----------------------------------------------------------------------------
# Finite differences
# ----------------------------------------------------------------------------


class GradientError(Exception):
    """verify_grad: the symbolic gradient disagrees with finite differences."""

    def __init__(self, arg, err_pos, shape, val1, val2, abs_err, rel_err, abs_tol, rel_tol):
        super().__init__()
        self.arg, self.err_pos, self.shape = arg, err_pos, shape
        self.val1, self.val2 = val1, val2
        self.abs_err, self.rel_err = abs_err, rel_err
        self.abs_tol, self.rel_tol = abs_tol, rel_tol

    def __str__(self) -> str:
        return (
            f"GradientError: numeric gradient and analytic gradient exceed tolerance:\n"
            f"        At position {self.err_pos} of argument {self.arg} with shape {self.shape},\n"
            f"            val1 = {self.val1:f}      ,  val2 = {self.val2:f}\n"
            f"            abs. error = {self.abs_err:f},  abs. tolerance = {self.abs_tol:f}\n"
            f"            rel. error = {self.rel_err:f},  rel. tolerance = {self.rel_tol:f}\n"
            f"(val1 is the analytic gradient, val2 the finite-difference one)"
        )


class numeric_grad:
    """Gradient of a scalar function of arrays by central finite differences (Theano's numeric_grad).

    `f(*pt)` must return a scalar; `eps` defaults to `type_eps` of the most
    precise input dtype. `self.gf` holds one array per point.
    """

    type_eps: ClassVar[dict[str, float]] = {"float64": 1e-7, "float32": 3e-4, "float16": 1e-1}

    def __init__(self, f, pt, eps=None, out_type=None):
        pt = [np.array(p) for p in pt]
        dtype = str(np.result_type(*[p.dtype for p in pt])) if pt else "float64"
        if eps is None:
            eps = builtins.max(self.type_eps.get(str(p.dtype), 1e-7) for p in pt)
        self.eps = eps
        self.gf = []
        for k, p in enumerate(pt):
            g = np.zeros(p.shape, dtype=dtype)
            flat = p.reshape(-1)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                hi = float(np.asarray(f(*pt)))
                flat[j] = orig - eps
                lo = float(np.asarray(f(*pt)))
                flat[j] = orig
                g.reshape(-1)[j] = (hi - lo) / (2 * eps)
            self.gf.append(g)

    @staticmethod
    def abs_rel_err(a, b):
        """Elementwise absolute and relative errors (relative to |a| + |b|, Theano's definition)."""
        abs_err = np.abs(a - b)
        rel_err = abs_err / np.maximum(np.abs(a) + np.abs(b), 1e-8)
        return abs_err, rel_err

    def max_err(self, g_pt, abs_tol, rel_tol):
        """(argument, flat position, max abs error, max rel error) of the worst entry."""
        if len(g_pt) != len(self.gf):
            raise ValueError("numeric_grad.max_err: argument count mismatch")
        worst = (-1, -1, 0.0, 0.0, -1.0)
        for i, (a, b) in enumerate(zip(g_pt, self.gf)):
            a = np.asarray(a)
            if a.shape != b.shape:
                raise ValueError(f"argument {i}: analytic gradient of shape {a.shape}, numeric {b.shape}")
            if a.size == 0:
                continue
            abs_err, rel_err = self.abs_rel_err(a, b)
            # an entry fails only when both errors exceed their tolerances
            scaled = np.minimum(abs_err / abs_tol, rel_err / rel_tol)
            pos = int(np.argmax(scaled))
            if scaled.reshape(-1)[pos] > worst[4]:
                worst = (
                    i,
                    pos,
                    float(abs_err.reshape(-1)[pos]),
                    float(rel_err.reshape(-1)[pos]),
                    float(scaled.reshape(-1)[pos]),
                )
        return worst[:4]


_TYPE_TOL = {"float16": 5e-2, "float32": 1e-2, "float64": 1e-4}


def verify_grad(
    fun,
    pt,
    n_tests=2,
    rng=None,
    eps=None,
    out_type=None,
    abs_tol=None,
    rel_tol=None,
    mode=None,
    cast_to_output_type=False,
    no_debug_ref=True,
):
    """Check the symbolic gradient of `fun` at the point `pt` against finite differences.

    `fun` takes one symbolic variable per array of `pt` (float arrays) and
    returns one variable. Its output is projected on a random array R (so
    every output entry matters): cost = sum(R * fun(...)). The gradient of
    that cost from `grad` is compared with central finite differences,
    `n_tests` times with fresh projections. Raises `GradientError` (also
    `verify_grad.E_grad`) when an entry exceeds both `abs_tol` and `rel_tol`
    (defaults by dtype: 1e-4 for float64, 1e-2 float32, 5e-2 float16).
    `rng` is a numpy RandomState or Generator; `mode` is passed to function.
    """
    import mlc
    from mlc.tensor.reduce import sum as _sum

    pt = [np.array(p) for p in pt]
    for i, p in enumerate(pt):
        if p.dtype.name not in FLOATS:
            raise TypeError(
                f"verify_grad can work only with floating point inputs, but input {i} has dtype {p.dtype.name!r}"
            )
    if abs_tol is None:
        abs_tol = builtins.max(_TYPE_TOL[p.dtype.name] for p in pt)
    if rel_tol is None:
        rel_tol = builtins.max(_TYPE_TOL[p.dtype.name] for p in pt)
    if rng is None:
        rng = np.random.default_rng()

    def compile_(inputs, output):
        return mlc.function(inputs, output, mode=mode, on_unused_input="ignore", allow_input_downcast=True)

    symbolic = [TensorType(p.dtype.name, [n == 1 for n in p.shape])(f"input {i}") for i, p in enumerate(pt)]
    out = fun(*symbolic)
    if isinstance(out, (list, tuple)):
        raise NotImplementedError("verify_grad: fun must return one variable (several outputs are not supported)")
    out_value = compile_(symbolic, out)(*[p.copy() for p in pt])

    def projection():
        r = np.asarray(rng.random(np.shape(out_value))) + 0.5  # RandomState and Generator alike
        if cast_to_output_type and out.dtype == "float32":
            return np.asarray(r, dtype=out.dtype)
        return np.asarray(r, dtype="float64")

    r = mlc.shared(projection(), name="random_projection")
    cost = _sum(r * out)
    cost_fn = compile_(symbolic, cost)
    grad_fn = compile_(symbolic, grad(cost, symbolic, disconnected_inputs="ignore"))
    for test in range(n_tests):
        try:
            numeric = numeric_grad(cost_fn, [p.copy() for p in pt], eps, out_type)
            analytic = grad_fn(*[p.copy() for p in pt])
            arg, pos, abs_err, rel_err = numeric.max_err(analytic, abs_tol, rel_tol)
            if abs_err > abs_tol and rel_err > rel_tol:
                raise GradientError(
                    arg,
                    pos,
                    analytic[arg].shape,
                    float(np.asarray(analytic[arg]).reshape(-1)[pos]),
                    float(numeric.gf[arg].reshape(-1)[pos]),
                    abs_err,
                    rel_err,
                    abs_tol,
                    rel_tol,
                )
            if test < n_tests - 1:
                r.set_value(projection())
        except GradientError as exc:
            exc.args += ("The error happened with the following inputs:", pt, "eps:", eps)
            raise


verify_grad.E_grad = GradientError  # type: ignore[attr-defined]
