"""A stable text describing what a FunctionGraph compiles to: the key of the program cache.

`NativeProgram` looks compiled code up by this key *before* emitting any
IR, so a function compiled before (in this process or, through the disk
cache, in another one) costs no xDSL work at all - not even importing
xDSL. Everything emission and the pipeline read goes in:

* the types of the inputs (shared variables included) and of every node's
  outputs, the nodes in order with their ops and operand references, the
  constants' dtype, shape and bytes, the order of the results;
* each op's class and its `__props__` (the attributes Theano-style ops
  declare as defining them), or all its attributes if it declares none;
* the mode, the excluded passes and every config flag (the disk cache
  location aside), because rewrites consult them;
* by `mlc.runtime.cache.cache_key`: the target and the versions of mlc
  (a hash of its sources), xDSL and llvmlite.

Names and source locations do not change the code and are left out.

An attribute value that has no stable description (an arbitrary object
without `__dict__`, a graph variable, a deep object tree) makes
`describe_graph` return None: that graph is simply not cached at this
level (the LLVM-IR level cache in `compile_module` still applies).
"""

from __future__ import annotations

import enum
import hashlib
import types
from typing import Any

import numpy as np

from mlc.graph import Constant, Variable

_MAX_DEPTH = 6


class Unstable(Exception):
    """A value with no stable description."""


def describe_graph(fgraph, mode: str, excluding: tuple[str, ...] = ()) -> str | None:
    """The cache description of `fgraph` compiled in `mode`, or None if it has none."""
    try:
        return "\n".join(_lines(fgraph, mode, excluding))
    except Unstable:
        return None


def _lines(fgraph, mode: str, excluding: tuple[str, ...]) -> list[str]:
    from mlc.config import config

    flags = config.code_flags()
    lines = [f"mode {mode}; excluding {sorted(excluding)}; flags {describe(flags)}"]
    refs: dict[int, str] = {}
    for k, v in enumerate(fgraph.all_inputs):
        refs[id(v)] = f"%in{k}"
        lines.append(f"input {k}: {_type(v)}")

    def ref(v: Variable) -> str:
        name = refs.get(id(v))
        if name is None:  # a constant, described where it is first used
            if not isinstance(v, Constant):
                raise Unstable(f"unbound variable {v}")
            name = refs[id(v)] = f"%c{len(refs)}"
            lines.append(f"constant {name}: {_type(v)} = {describe(np.asarray(v.data))}")
        return name

    for j, node in enumerate(fgraph.nodes):
        operands = [ref(v) for v in node.inputs]
        outs = []
        for m, o in enumerate(node.outputs):
            refs[id(o)] = f"%n{j}.{m}"
            outs.append(_type(o))
        lines.append(f"node {j}: {describe_op(node.op)}({', '.join(operands)}) -> {', '.join(outs)}")
    results = [ref(v) for v in fgraph.results]
    lines.append(f"results {', '.join(results)}; outputs {len(fgraph.outputs)}")
    return lines


def _type(v: Variable) -> str:
    t = v.type
    return f"{type(t).__name__}({getattr(t, 'dtype', '?')}, {getattr(t, 'broadcastable', '?')})"


def describe_op(op: Any) -> str:
    cls = type(op)
    state = op._props() if getattr(op, "__props__", ()) else vars(op)
    return f"{cls.__module__}.{cls.__qualname__}{describe(state)}"


def describe(x: Any, depth: int = 0) -> str:
    """A text that is equal for equal values and stable across processes (else `Unstable`)."""
    if depth > _MAX_DEPTH:
        raise Unstable("too deep")
    if x is None or isinstance(x, (bool, int, float, complex, str)):
        return repr(x)
    if isinstance(x, bytes):
        return f"bytes:{hashlib.sha256(x).hexdigest()}"
    if isinstance(x, (tuple, list, frozenset, set)):
        items = [describe(v, depth + 1) for v in x]
        if isinstance(x, (set, frozenset)):
            items.sort()
        return f"{type(x).__name__}({', '.join(items)})"
    if isinstance(x, dict):
        items = sorted(f"{describe(k, depth + 1)}: {describe(v, depth + 1)}" for k, v in x.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(x, np.dtype):
        return f"dtype({x.str})"
    if isinstance(x, (np.ndarray, np.generic)):
        a = np.asarray(x)
        if not a.flags.c_contiguous:
            a = a.copy()
        if a.dtype.hasobject:
            raise Unstable("object array")
        return f"array({a.dtype.str}, {a.shape}, {hashlib.sha256(a.tobytes()).hexdigest()})"
    if isinstance(x, slice):
        return f"slice({describe((x.start, x.stop, x.step), depth + 1)})"
    if isinstance(x, enum.Enum):
        return f"{type(x).__qualname__}.{x.name}"
    if isinstance(x, type):
        return f"class {x.__module__}.{x.__qualname__}"
    if isinstance(x, np.ufunc):
        return f"ufunc {x.__name__}"
    if isinstance(x, types.FunctionType):
        return _describe_function(x, depth)
    if isinstance(x, (types.BuiltinFunctionType, types.MethodType)):
        owner = getattr(x, "__self__", None)
        owner_text = "" if owner is None or isinstance(owner, types.ModuleType) else describe(owner, depth + 1)
        return f"builtin {getattr(x, '__module__', '?')}.{x.__qualname__}{owner_text}"
    if isinstance(x, types.ModuleType):
        return f"module {x.__name__}"
    if isinstance(x, Variable):
        raise Unstable("a graph variable in an op's attributes")
    if hasattr(x, "__dict__"):
        return f"{type(x).__module__}.{type(x).__qualname__}{describe(vars(x), depth + 1)}"
    raise Unstable(f"no stable description of {type(x).__name__}")


def _describe_function(fn: types.FunctionType, depth: int) -> str:
    """Module, name, bytecode, constants and closure: two functions that differ in behaviour differ here."""
    code = fn.__code__
    cells = tuple(c.cell_contents for c in fn.__closure__ or ())
    return (f"function {fn.__module__}.{fn.__qualname__}[{_code_digest(code)}]"
            f"{describe(cells, depth + 1)}{describe(fn.__defaults__, depth + 1)}")


def _code_digest(code: types.CodeType) -> str:
    h = hashlib.sha256(code.co_code)
    h.update(repr(code.co_names).encode())
    for c in code.co_consts:
        h.update((_code_digest(c) if isinstance(c, types.CodeType) else repr(c)).encode())
    return h.hexdigest()[:16]
