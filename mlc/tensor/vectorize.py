"""Vectorization: rebuild a graph for a batch of values of some of its variables (JAX's vmap).

`vectorize(outputs, {v: batch})` swaps v for `batch` (one more leading dim)
and rebuilds every node that depends on it with its op's `batch` rule
(`Op.batch(node, inputs, batched)`, next to each op); nodes that do not
depend on v are shared. mlc.gradient.jacobian and hessian use it to run a
reverse pass for a whole batch of cotangents at once, without scan. The
helpers below are what the ops' batch rules use.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from mlc.graph import Variable, built_at, toposort

__all__ = ["batch_size", "to_batched", "vectorize"]


def batch_size(inputs: Sequence[Variable], batched: Sequence[bool]) -> Variable:
    """The (symbolic) batch length: dim 0 of the first batched input."""
    for v, b in zip(inputs, batched):
        if b:
            return v.shape[0]
    raise ValueError("batch_size: no batched input")


def to_batched(x: Variable, n: Variable) -> Variable:
    """An unbatched `x` repeated along a new leading dim of length n."""
    from mlc.tensor.alloc import alloc

    s = x.shape
    return alloc(x, n, *[1 if b else s[i] for i, b in enumerate(x.broadcastable)])


def _conform(new: Variable, old: Variable) -> Variable:
    """Keep the broadcastable dims the unbatched variable had (a batched op may lose them)."""
    from mlc.tensor import addbroadcast

    lost = [i + 1 for i, (b, nb) in enumerate(zip(old.broadcastable, new.broadcastable[1:])) if b and not nb]
    return addbroadcast(new, *lost) if lost else new


def vectorize(outputs: Sequence[Variable], replace: dict[Variable, Variable]) -> list[tuple[Variable, bool]]:
    """Rebuild `outputs` with each key of `replace` swapped for a batch of values (one more leading dim).

    Every node depending on a replaced variable is rebuilt by its op's
    `batch` rule; the rest of the graph is shared. Returns (variable,
    batched) pairs: an output not depending on any replaced variable comes
    back unchanged, with batched=False.
    """
    memo: dict[int, Variable] = {}
    for old, new in replace.items():
        if new.ndim != old.ndim + 1:
            raise TypeError(f"vectorize: the batch for {old} ({old.type}) must have one more dim, got {new.type}")
        memo[id(old)] = _conform(new, old)
    for node in toposort(list(outputs), blockers=list(replace)):
        batched = [id(v) in memo for v in node.inputs]
        if not builtins.any(batched):
            continue
        ins = [memo.get(id(v), v) for v in node.inputs]
        try:
            outs = node.op.batch(node, ins, batched)
        except NotImplementedError as exc:
            raise NotImplementedError(
                f"jacobian/hessian: {exc} (batching {node.outputs[0]}{built_at(node.outputs[0])})"
            ) from None
        for o, n in zip(node.outputs, outs):
            if n.ndim != o.ndim + 1:
                raise TypeError(f"{node.op}.batch returned {n.type} for an output of type {o.type}")
            memo[id(o)] = _conform(n, o)
    return [(memo[id(o)], True) if id(o) in memo else (o, False) for o in outputs]
