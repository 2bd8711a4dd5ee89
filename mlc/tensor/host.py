"""Host ops: ops whose numpy `perform` runs from Python inside compiled functions.

A `HostOp` is an ordinary graph op (type rule, shape rule, gradient) whose
computation is its numpy reference: a compiled function that contains one
is partitioned (mlc.compile.vm) into native segments and host steps, and
the host step calls `perform` on the arrays the segments produced. This is
the home of the ops that are data-dependent (unique, nonzero: the shape of
the result is known only once the input's values are), of ops wrapping a
library routine (sorting, LAPACK through numpy/scipy), and of user-defined
Theano ops.

Shape rules of data-dependent ops list the inputs they read in
`shape_value_inputs`: mlc's ShapePlan evaluates those values (with the
numpy reference, cached per value) before any native code runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlc.graph import Apply, Op


class HostOp(Op):
    """An op run by its numpy `perform` (from Python) inside compiled functions."""

    host = True

    def make_host_thunk(self, node: Apply, mode: str, excluding: tuple[str, ...] = ()) -> Callable:
        dtypes = [o.type.dtype for o in node.outputs]
        perform = self.perform

        def thunk(args: list[Any]) -> list[np.ndarray]:
            outs = perform(node, args)
            return [np.asarray(r, dtype=d, order="C") for r, d in zip(outs, dtypes)]  # (0-d stays 0-d)

        return thunk

    def infer_shape(self, node: Apply, shapes, value):
        """By default: the shapes of `perform`'s results on the input values.

        Only valid when every input is listed in `shape_value_inputs` (the
        shape plan caches shapes per those values); ops with a shape rule
        override this.
        """
        outs = self.perform(node, [value(i) for i in range(len(node.inputs))])
        return [np.shape(r) for r in outs]


# ----------------------------------------------------------------------------
# User-defined ops, Theano style ("Extending Theano")
# ----------------------------------------------------------------------------

#: `shape_value_inputs` of an op whose shapes are found by running it: every input (clipped per node)
ALL_INPUTS = tuple(range(1024))


class PythonOp(HostOp):
    """Base of user-defined ops written as in Theano (`class MyOp(theano.Op)`).

    A subclass defines what Theano's tutorial asks for, with Theano's
    signatures: `make_node(*inputs)` returning `theano.Apply(self, inputs,
    [x.type()])` (or class attributes `itypes` / `otypes`),
    `perform(node, inputs, output_storage)` storing each result in
    `output_storage[i][0]`, and optionally `grad(inputs, output_grads)`,
    `infer_shape(node, input_shapes)` and `__props__`. Inside compiled
    functions the op runs on the host between native segments. Without
    `infer_shape`, output shapes are found by running `perform` on the
    input values (cached per value). Without `__props__`, two instances are
    equal only if they are the same object (Theano's rule).
    """

    itypes = None
    otypes = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        d = cls.__dict__
        # keep the user's Theano-signature methods aside; mlc calls the adapters below
        if "perform" in d and d["perform"] is not PythonOp.perform:
            cls._user_perform = d["perform"]
            cls.perform = PythonOp.perform
        if "infer_shape" in d and d["infer_shape"] is not PythonOp.infer_shape:
            cls._user_infer_shape = d["infer_shape"]
            cls.infer_shape = PythonOp.infer_shape

    _user_perform = None
    _user_infer_shape = None

    @property
    def shape_value_inputs(self) -> tuple[int, ...]:  # type: ignore[override]
        return () if self._user_infer_shape is not None else ALL_INPUTS

    def make_node(self, *inputs):
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(f"{type(self).__name__}: define make_node, or the class attributes itypes "
                                      f"and otypes")
        from mlc.tensor.var import as_tensor_variable

        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self}: expected {len(self.itypes)} inputs, got {len(inputs)}")
        inputs = [as_tensor_variable(x) for x in inputs]
        for k, (x, t) in enumerate(zip(inputs, self.itypes)):
            if x.type != t:
                raise TypeError(f"{self}: input {k} must have type {t}, got {x} ({x.type})")
        return Apply(self, inputs, list(self.otypes))

    def perform(self, node: Apply, inputs, output_storage=None, params=None):
        if output_storage is not None:  # called with Theano's signature
            return self._user_perform(node, inputs, output_storage)
        if self._user_perform is None:
            raise NotImplementedError(f"{type(self).__name__} defines no perform (a Python implementation)")
        storage = [[None] for _ in node.outputs]
        self._user_perform(node, list(inputs), storage)
        outs = []
        for o, cell in zip(node.outputs, storage):
            if cell[0] is None:
                raise ValueError(f"{type(self).__name__}.perform stored no value for output {o.index} "
                                 f"(set output_storage[{o.index}][0])")
            a = np.asarray(cell[0])
            if a.ndim != o.type.ndim:
                raise ValueError(f"{type(self).__name__}.perform: output {o.index} must have {o.type.ndim} dims "
                                 f"({o.type}), got an array of shape {a.shape}")
            outs.append(a.astype(o.type.dtype, copy=False))
        return outs

    def infer_shape(self, node: Apply, shapes, value=None):
        if value is None:  # called with Theano's signature
            return self._user_infer_shape(node, shapes)
        if self._user_infer_shape is None:
            return HostOp.infer_shape(self, node, shapes, value)
        res = self._user_infer_shape(node, [tuple(int(d) for d in s) for s in shapes])
        out = []
        for s in res:
            try:
                out.append(tuple(int(d) for d in s))
            except TypeError:
                raise TypeError(f"{type(self).__name__}.infer_shape returned {s!r}: mlc calls it with concrete "
                                f"input shapes and needs integer results (drop infer_shape to have the shapes "
                                f"found by running perform)") from None
        return out

    def __eq__(self, other: object) -> bool:
        if "__props__" not in _class_dicts(type(self)):
            return self is other
        return super().__eq__(other)

    def __hash__(self) -> int:
        if "__props__" not in _class_dicts(type(self)):
            return id(self)
        return super().__hash__()


def _class_dicts(cls) -> set[str]:
    """Names defined by `cls` and its bases below PythonOp."""
    names: set[str] = set()
    for c in cls.__mro__:
        if c is PythonOp:
            break
        names.update(c.__dict__)
    return names


class FromFunctionOp(PythonOp):
    """The op `as_op` makes from a Python function over numpy arrays (Theano's compile.ops.FromFunctionOp)."""

    __props__ = ("fn", "itypes", "otypes", "infer_shape_fn")

    def __init__(self, fn, itypes, otypes, infer_shape=None):
        self.fn, self.itypes, self.otypes, self.infer_shape_fn = fn, tuple(itypes), tuple(otypes), infer_shape
        self.__name__ = getattr(fn, "__name__", "fn")

    @property
    def _user_infer_shape(self):  # type: ignore[override]
        return self.infer_shape_fn

    def _user_perform(self, node, inputs, output_storage):
        outs = self.fn(*inputs)
        if len(self.otypes) == 1:
            outs = [outs]
        for cell, r in zip(output_storage, outs):
            cell[0] = r

    def __str__(self) -> str:
        return f"FromFunctionOp{{{self.__name__}}}"

    def grad(self, inputs, output_grads):
        raise NotImplementedError(f"{self}: an op made by as_op has no gradient (define a theano.Op with grad)")


def as_op(itypes, otypes, infer_shape=None):
    """Decorator: a Python function over numpy arrays -> an op on tensors (Theano's compile.ops.as_op).

    `itypes` / `otypes` are lists of tensor types (T.dmatrix, ...);
    `infer_shape(node, input_shapes)` is optional (without it the function
    runs to learn the output shapes).
    """
    if not isinstance(itypes, (list, tuple)):
        itypes = [itypes]
    if not isinstance(otypes, (list, tuple)):
        otypes = [otypes]
    if infer_shape is not None and not callable(infer_shape):
        raise TypeError("as_op: infer_shape must be callable")

    def make(fn):
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return make


class OpFromGraph:
    """A graph used as an op (Theano's OpFromGraph), inlined where it is applied.

    `OpFromGraph(inputs, outputs)(a, b)` is the graph `outputs` with
    `inputs` replaced by `a`, `b`, so it compiles natively with the rest of
    the function and has the ordinary gradient of its graph. Shared
    variables used inside stay shared. `grad_overrides` / `lop_overrides`
    / `rop_overrides` (custom gradients) are not supported.
    """

    def __init__(self, inputs, outputs, inline=False, grad_overrides="default", rop_overrides="default",
                 lop_overrides="default", connection_pattern=None, name=None, **kwargs):
        from mlc.graph import Constant, Variable

        for k, v in (("grad_overrides", grad_overrides), ("lop_overrides", lop_overrides),
                     ("rop_overrides", rop_overrides)):
            if not (isinstance(v, str) and v == "default"):
                raise NotImplementedError(f"OpFromGraph: {k} (a custom gradient) is not supported by mlc")
        if not isinstance(outputs, (list, tuple)):
            raise TypeError(f"OpFromGraph: outputs must be a list, got {outputs!r}")
        for v in inputs:
            if not isinstance(v, Variable) or v.owner is not None or isinstance(v, Constant):
                raise TypeError(f"OpFromGraph: inputs must be free variables, got {v!r}")
        self.inputs, self.outputs, self.name = list(inputs), list(outputs), name

    def __call__(self, *args):
        from mlc.graph import clone_replace
        from mlc.tensor.var import as_tensor_variable

        if len(args) != len(self.inputs):
            raise TypeError(f"OpFromGraph{'' if self.name is None else ' ' + self.name}: expected "
                            f"{len(self.inputs)} inputs, got {len(args)}")
        given = []
        for k, (a, v) in enumerate(zip(args, self.inputs)):
            a = as_tensor_variable(a)
            if a.type != v.type:
                if a.dtype == v.dtype and a.ndim == v.ndim and all(
                        not bv or ba for ba, bv in zip(a.broadcastable, v.broadcastable)):
                    pass  # a broadcastable dim where the graph allows any length: fine
                else:
                    raise TypeError(f"OpFromGraph: input {k} must have type {v.type}, got {a} ({a.type})")
            given.append(a)
        outs = clone_replace(self.outputs, dict(zip(self.inputs, given)))
        return outs[0] if len(outs) == 1 else outs
