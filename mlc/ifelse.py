"""Lazy conditionals: `ifelse(condition, then_branch, else_branch)` (Theano's theano.ifelse).

Unlike `switch` (elementwise, both sides computed), `ifelse` takes a scalar
condition (0 is False, anything else True) and computes only the branch it
picks: the nodes that only the other branch needs never run, in compiled
code (each branch is a region of an `scf.if`) as in the numpy reference.
Which nodes a branch owns is decided by `mlc.graph.lazy`: a value used
outside the branch too is computed before the condition is tested.

Several outputs share one condition: `ifelse(c, [a, b], [x, y])` returns
`[a, b]` or `[x, y]`; the branches must pair up with identical types.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlc.config import config
from mlc.graph import Apply, Op, Variable, built_at
from mlc.tensor.var import as_tensor_variable

__all__ = ["IfElse", "ifelse"]


class IfElse(Op):
    """`if{name}`: inputs (condition, then_1..then_n, else_1..else_n), outputs n values.

    `as_view` and `gpu` are accepted for Theano compatibility: outputs are
    always fresh values, and the device comes from `config.device`.
    """

    __props__ = ("n_outs", "as_view", "gpu")
    shape_value_inputs = (0,)  # the condition decides which branch's shapes the outputs have

    def __init__(self, n_outs: int, as_view: bool = False, gpu: bool = False, name: str | None = None):
        self.n_outs = n_outs
        self.as_view = as_view
        self.gpu = gpu
        self.name = name

    def __str__(self) -> str:
        args = [a for a in (self.name, "inplace" if self.as_view else None, "gpu" if self.gpu else None) if a]
        return f"if{{{','.join(args)}}}"

    def make_node(self, c, *args) -> Apply:
        if len(args) != 2 * self.n_outs:
            raise TypeError(f"{self}: expected a condition and {2 * self.n_outs} branch values "
                            f"({self.n_outs} per branch), got {len(args)} branch values")
        c = as_tensor_variable(c)
        args = [as_tensor_variable(x) for x in args]
        ts, fs = args[:self.n_outs], args[self.n_outs:]
        for k, (t, f) in enumerate(zip(ts, fs)):
            if t.type != f.type:
                raise TypeError(f"IfElse requires same types for true and false return values: output {k} is "
                                f"{t} ({t.type}) on the then branch and {f} ({f.type}) on the else branch"
                                f"{built_at(f)}")
        if c.ndim > 0:
            raise TypeError(f"Condition given to the op has to be a scalar with 0 standing for False, anything "
                            f"else for True; got {c} ({c.type}){built_at(c)}")
        return Apply(self, [c, *args], [t.type for t in ts])

    # -- laziness -------------------------------------------------------------
    def lazy_branches(self, node):
        n = self.n_outs
        return 0, [list(range(1, n + 1)), list(range(n + 1, 2 * n + 1))]

    def pick_branch(self, condition) -> int:
        return 0 if np.asarray(condition).item() != 0 else 1

    # -- rules ------------------------------------------------------------------
    def perform(self, node, inputs):
        b = self.pick_branch(inputs[0])
        values = inputs[1 + b * self.n_outs: 1 + (b + 1) * self.n_outs]
        return [np.array(v, dtype=o.dtype, copy=True) for v, o in zip(values, node.outputs)]

    def infer_shape(self, node, shapes, value):
        b = self.pick_branch(value(0))
        return [tuple(s) for s in shapes[1 + b * self.n_outs: 1 + (b + 1) * self.n_outs]]

    def emit(self, ctx, node, operands):
        raise NotImplementedError("ifelse is emitted as an scf.if by the emitter (mlc.lowering.emit)")

    def grad(self, inputs, output_grads):
        """Theano's rule: each branch input gets the output's gradient when its branch is taken, else zeros."""
        from mlc.tensor.alloc import zeros_like

        c, ts, fs = inputs[0], inputs[1:self.n_outs + 1], inputs[self.n_outs + 1:]
        name_t = name_f = None
        if self.name is not None:
            name_t, name_f = self.name + "_grad_t", self.name + "_grad_f"
        zeros_t = [zeros_like(t, dtype=g.dtype) for t, g in zip(ts, output_grads)]
        zeros_f = [zeros_like(f, dtype=g.dtype) for f, g in zip(fs, output_grads)]
        if_true = _outputs(IfElse(self.n_outs, self.as_view, self.gpu, name_t)(c, *output_grads, *zeros_t))
        if_false = _outputs(IfElse(self.n_outs, self.as_view, self.gpu, name_f)(c, *zeros_f, *output_grads))
        return [zeros_like(c).astype(config.floatX), *if_true, *if_false]

    def R_op(self, inputs, eval_points):
        return _outputs(self(inputs[0], *eval_points[1:]))


def _outputs(r) -> list[Variable]:
    return list(r) if isinstance(r, (list, tuple)) else [r]


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: str | None = None):
    """`then_branch` if `condition` (a scalar: 0 is False) else `else_branch`, computing only that one.

    Each branch is a variable or a list/tuple of them, pairing up by type
    with the other branch's; the result has the then branch's form (a
    single variable, a list or a tuple).
    """
    rval_type = list if type(then_branch) is list else tuple if type(then_branch) is tuple else None
    if type(then_branch) not in (list, tuple):
        then_branch = [then_branch]
    if type(else_branch) not in (list, tuple):
        else_branch = [else_branch]
    then_vars, else_vars = [], []
    for t, f in zip(then_branch, else_branch):
        t = t if isinstance(t, Variable) else as_tensor_variable(t)
        f = f if isinstance(f, Variable) else as_tensor_variable(f)
        if t.type != f.type:
            raise TypeError(f"The two branches should have identical types, but they are {t.type} and {f.type} "
                            f"respectively. This error could be raised if for example you provided a one element "
                            f"list on the `then` branch but a tensor on the `else` branch.{built_at(f)}")
        then_vars.append(t)
        else_vars.append(f)
    if len(then_branch) != len(else_branch):
        raise ValueError(f"The number of values on the `then` branch should have the same number of variables as "
                         f"the `else` branch : (variables on `then` {len(then_branch)}, variables on `else` "
                         f"{len(else_branch)})")
    rval = _outputs(IfElse(len(then_vars), name=name)(condition, *then_vars, *else_vars))
    if rval_type is None:
        return rval[0]
    return rval_type(rval)
