"""The symbolic graph: Variable, Constant, Apply, Op.

A graph is a DAG of `Apply` nodes (one application of an `Op` to input
Variables, producing output Variables). Variables remember the first source
line outside mlc that created them, so that errors can point at the user's
code, and emission can attach it to the IR as a location.

This module knows nothing of tensors, IR or machines.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_MLC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COMPAT_FRAMES = ("<frozen runpy>", "runpy.py")


@dataclass(frozen=True)
class SourceLoc:
    """Where the user built a variable: file, line and enclosing function."""

    filename: str
    lineno: int
    function: str

    def __str__(self) -> str:
        where = f"{os.path.basename(self.filename)}:{self.lineno}"
        return where if self.function == "<module>" else f"{where}, in {self.function}"


def user_location() -> SourceLoc | None:
    """Return the innermost stack frame outside the mlc package."""
    frame = sys._getframe(1)
    while frame is not None:
        fname = frame.f_code.co_filename
        if not os.path.abspath(fname).startswith(_MLC_DIR + os.sep) and not fname.endswith(_COMPAT_FRAMES):
            return SourceLoc(fname, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def built_at(var: "Variable") -> str:
    """Human-readable '(built at file.py:12)' suffix for error messages."""
    loc = getattr(var, "loc", None)
    return f" (built at {loc})" if loc is not None else ""


class Scratchpad(dict):
    """A variable's `tag`: a dict whose keys are also attributes (Theano's `x.tag.test_value = ...`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"tag has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "test_value":
            validate = self.__dict__.get("_validate")
            if validate is not None:  # a variable's test value must fit its type (Theano filters it)
                value = validate(value)
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __reduce__(self):
        # `eval_cache` holds compiled functions keyed by ids of this process: not worth pickling
        return Scratchpad, (), None, None, iter([(k, v) for k, v in self.items() if k != "eval_cache"])


class GraphError(ValueError):
    """An invalid graph construction; the message names the user's line."""


_ids = itertools.count()


class Variable:
    """A symbolic value of some Type, possibly the output of an Apply."""

    def __init__(self, type: Any, owner: "Apply | None" = None, index: int | None = None, name: str | None = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.loc = user_location()
        self.tag = Scratchpad()
        filt = getattr(type, "filter", None)
        if filt is not None:
            object.__setattr__(self.tag, "_validate", lambda value: filt(value, what=f"test value of {self}"))
        self.auto_name = f"auto_{next(_ids)}"

    def clone(self) -> "Variable":
        v = type(self)(self.type, None, None, self.name)
        v.loc = self.loc
        return v

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = str(self.owner.op)
            if len(self.owner.outputs) == 1:
                return f"{op}.0"
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self) -> str:
        from mlc.config import config

        if config.print_test_value and "test_value" in self.tag:
            return f"{self}\n{self.tag['test_value']!r}"
        return str(self)

    def get_parents(self) -> list["Apply"]:
        return [self.owner] if self.owner is not None else []


class Constant(Variable):
    """A Variable with a fixed value (`data`), never an input of a function."""

    def __init__(self, type: Any, data: Any, name: str | None = None):
        super().__init__(type, None, None, name)
        self.data = data

    def clone(self) -> "Constant":
        c = type(self)(self.type, self.data, self.name)
        c.loc = self.loc
        return c

    def signature(self) -> tuple:
        """Hashable identity of the constant's value (for merging)."""
        import numpy as np

        a = np.asarray(self.data)
        return (self.type, a.shape, a.dtype.str, a.tobytes())

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        import numpy as np

        a = np.asarray(self.data)
        if a.size <= 8:
            text = np.array2string(a, separator=", ")
            return text
        return f"Constant{{{a.shape}}}"


class Apply:
    """One application of `op` to `inputs`, producing `outputs`."""

    def __init__(self, op: "Op", inputs: Sequence[Variable], output_types: Sequence[Any]):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = [t.make_variable(owner=self, index=i) for i, t in enumerate(output_types)]

    @classmethod
    def from_outputs(cls, op: "Op", inputs: Sequence[Variable], outputs: Sequence[Variable]) -> "Apply":
        """Theano's `Apply(op, inputs, outputs)`: a node over output variables made by the caller.

        The variables must be fresh (no owner yet); they become the node's outputs.
        """
        node = cls.__new__(cls)
        node.op, node.inputs, node.outputs = op, list(inputs), list(outputs)
        for i, o in enumerate(node.outputs):
            if not isinstance(o, Variable):
                raise TypeError(f"Apply: expected output variables (e.g. x.type()), got {o!r}")
            if o.owner is not None:
                raise ValueError(f"Apply: output {o} already belongs to {o.owner.op}; make a new one with "
                                 f"its type, e.g. x.type()")
            o.owner, o.index = node, i
        return node

    @property
    def out(self) -> Variable:
        (o,) = self.outputs
        return o

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"


class Op:
    """Base of every graph operation.

    Subclasses define, in one place (JAX style):
    - `make_node(*inputs) -> Apply`: the type rule (dtype, broadcastable);
    - `perform(node, inputs) -> list[np.ndarray]`: the numpy reference;
    - `infer_shape(node, shapes, value) -> list[tuple[int, ...]]`: concrete
      output shapes from concrete input shapes (and, for ops whose shapes
      depend on values, `value(i)` gives input i's value); raises ShapeError
      on incompatible inputs;
    - `emit(ctx, node, operands) -> list[SSAValue]`: emission to `mt`;
    - `grad(inputs, output_grads)` (or `L_op(inputs, outputs, output_grads)`
      when the rule needs the outputs): the gradient rule, one symbolic term
      per input (see `mlc.gradient`), with `connection_pattern(node)` saying
      which inputs an output depends on differentiably at all;
    - `batch(node, inputs, batched)`: the vectorization rule (an extra
      leading dim on some inputs), which jacobian/hessian use.
    `__props__` names the attributes that define equality (for merging).
    """

    __props__: tuple[str, ...] = ()
    #: indices of inputs whose *values* (not only shapes) determine output shapes
    shape_value_inputs: tuple[int, ...] = ()
    #: indices of inputs whose values `infer_shape` only checks (index bounds): shapes do not
    #: depend on them, so compiled functions re-run just those checks when the values change
    check_value_inputs: tuple[int, ...] = ()
    #: a host op (scan) cannot be emitted into native code: it runs from Python between
    #: natively compiled segments of the graph (mlc.compile.vm), via `make_host_thunk`
    host: bool = False

    def lazy_branches(self, node: Apply) -> "tuple[int, list[list[int]]] | None":
        """A lazy op (ifelse): (its condition input, the input indices of each branch).

        Only the inputs of the branch `pick_branch(condition value)` names are
        computed (mlc.graph.lazy); None for an ordinary op, whose inputs are all computed.
        """
        return None

    def pick_branch(self, condition: Any) -> int:
        """The branch a lazy op takes for this condition value (see `lazy_branches`)."""
        raise NotImplementedError(f"{self} is not a lazy op")

    def make_node(self, *inputs: Any) -> Apply:
        raise NotImplementedError

    def __call__(self, *inputs: Any, **kwargs: Any):
        node = self.make_node(*inputs, **kwargs)
        from mlc.config import config

        if config.compute_test_value != "off":
            compute_test_value(node, config.compute_test_value)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def perform(self, node: Apply, inputs: list[Any]) -> list[Any]:
        raise NotImplementedError(f"{self} has no numpy reference implementation")

    def infer_shape(self, node: Apply, shapes: list[tuple[int, ...]], value) -> list[tuple[int, ...]]:
        raise NotImplementedError(f"{self} has no shape rule")

    def emit(self, ctx: Any, node: Apply, operands: list[Any]) -> list[Any]:
        raise NotImplementedError(f"{self} cannot be compiled yet")

    def grad(self, inputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        """One gradient term per input, given the gradients of the outputs (Theano's Op.grad).

        A term has the input's rank; mlc.gradient sums it over the input's
        broadcastable dims and casts it to the input's dtype. Entries for
        inputs that `connection_pattern` declares disconnected are ignored
        (use None). Integer inputs always get zero gradients.
        """
        raise NotImplementedError(f"the gradient of {self} is not implemented yet")

    def L_op(self, inputs: list[Variable], outputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        """`grad` for rules that reuse the node's outputs (exp: g * y); defaults to `grad`."""
        return self.grad(inputs, output_grads)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """pattern[i][j]: does output j depend differentiably on input i? (all True by default)

        False marks inputs that only give shapes or indices (reshape's shape,
        a slice's bounds): their gradient is disconnected, not zero.
        """
        return [[True] * len(node.outputs) for _ in node.inputs]

    def batch(self, node: Apply, inputs: list[Variable], batched: list[bool]) -> list[Variable]:
        """The node's outputs with a leading batch dim, for `inputs` of which `batched[i]` have one.

        The vectorization rule (JAX's vmap, PyTensor's vectorize_node) that
        mlc.gradient.jacobian and hessian use to evaluate a gradient for a
        whole batch of cotangents at once.
        """
        raise NotImplementedError(f"{self} has no vectorization (batching) rule")

    def _props(self) -> tuple:
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._props() == other._props()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        if not self.__props__:
            return type(self).__name__
        return f"{type(self).__name__}{{{', '.join(str(p) for p in self._props())}}}"

    def __repr__(self) -> str:
        return str(self)


def _test_value(v: Variable) -> Any:
    """v's test value: a constant's data, a shared variable's value, or tag.test_value (else KeyError)."""
    import numpy as np

    if isinstance(v, Constant):
        return v.data
    container = getattr(v, "container", None)
    if container is not None:
        return container.value
    value = v.tag["test_value"]
    dtype = getattr(v.type, "dtype", None)
    return np.asarray(value, dtype=dtype) if dtype is not None else value


def compute_test_value(node: Apply, policy: str) -> None:
    """Run `node` on its inputs' test values and tag its outputs (Theano's compute_test_value).

    `policy` is config.compute_test_value: for an input without a test
    value, 'ignore' skips the node, 'warn' warns and skips it, 'raise' (and
    'pdb') raise. Errors of the op itself (incompatible shapes) propagate,
    so they surface at the line that builds the node.
    """
    values = []
    for i, v in enumerate(node.inputs):
        try:
            values.append(_test_value(v))
        except KeyError:
            if policy == "ignore":
                return
            msg = (f"Cannot compute test value: input {i} ({v}) of Op {node.op} missing default value; "
                   f"give it one with {v}.tag.test_value = ...{built_at(v)}")
            if policy == "warn":
                import warnings

                warnings.warn(msg, stacklevel=4)
                return
            raise ValueError(msg) from None
    shapes = [getattr(a, "shape", ()) for a in values]
    try:
        node.op.infer_shape(node, shapes, lambda k: values[k])
    except NotImplementedError:
        pass
    except ShapeError as exc:
        raise ValueError(f"{exc} (while computing the test value of {node.op} on inputs with shapes "
                         f"{', '.join(str(tuple(s)) for s in shapes)})") from None
    outs = node.op.perform(node, values)
    for o, r in zip(node.outputs, outs):
        o.tag["test_value"] = r


class ShapeError(ValueError):
    """Concrete shapes that an op cannot accept (raised at call time)."""


# ----------------------------------------------------------------------------
# Graph walks
# ----------------------------------------------------------------------------


def ancestors(outputs: Iterable[Variable], blockers: Iterable[Variable] = (),
              stop: "Callable[[Apply], bool] | None" = None) -> list[Variable]:
    """All variables that `outputs` depend on (including themselves).

    The walk does not go above `blockers`, nor into the inputs of a node for
    which `stop(node)` is true.
    """
    blocked = set(map(id, blockers))
    seen: dict[int, Variable] = {}
    stack = list(outputs)
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen[id(v)] = v
        if v.owner is not None and id(v) not in blocked and not (stop is not None and stop(v.owner)):
            stack.extend(v.owner.inputs)
    return list(seen.values())


def graph_inputs(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Variable]:
    """Variables without an owner (or blocked) that `outputs` depend on."""
    blocked = set(map(id, blockers))
    return [v for v in ancestors(outputs, blockers) if v.owner is None or id(v) in blocked]


def toposort(outputs: Iterable[Variable], blockers: Iterable[Variable] = ()) -> list[Apply]:
    """The Apply nodes computing `outputs`, each after the nodes it uses.

    Iterative (no recursion limit on deep graphs); deterministic order.
    """
    blocked = set(map(id, blockers))
    order: list[Apply] = []
    done: set[int] = set()
    for out in outputs:
        stack: list[tuple[Apply, int]] = []
        if out.owner is not None and id(out) not in blocked and id(out.owner) not in done:
            stack.append((out.owner, 0))
        while stack:
            node, i = stack.pop()
            if id(node) in done:
                continue
            if i < len(node.inputs):
                stack.append((node, i + 1))
                v = node.inputs[i]
                if v.owner is not None and id(v) not in blocked and id(v.owner) not in done:
                    stack.append((v.owner, 0))
            else:
                done.add(id(node))
                order.append(node)
    return order


def clone_replace(outputs: Sequence[Variable], replace: dict[Variable, Variable]) -> list[Variable]:
    """Rebuild `outputs` with every variable in `replace` substituted.

    Nodes not depending on a replaced variable are shared, not copied.
    """
    memo: dict[int, Variable] = {id(k): v for k, v in replace.items()}
    for node in toposort(outputs, blockers=list(replace)):
        new_inputs = [memo.get(id(v), v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        new_node = node.op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            new.loc = old.loc
            memo[id(old)] = new
    return [memo.get(id(o), o) for o in outputs]


def copy_nodes(nodes: Sequence[Apply], replace: dict[int, Variable]) -> dict[int, Variable]:
    """Copy `nodes` (toposorted) with their inputs substituted through `replace` (id -> variable).

    The copies apply the same ops to values of the same types, so no type
    rule runs again (unlike clone_replace); names and source lines are kept.
    Returns `replace` extended with each old output's id -> its copy.
    """
    memo = dict(replace)
    for node in nodes:
        new = Apply(node.op, [memo.get(id(v), v) for v in node.inputs], [o.type for o in node.outputs])
        for old, o in zip(node.outputs, new.outputs):
            o.name, o.loc = old.name, old.loc
            memo[id(old)] = o
    return memo
