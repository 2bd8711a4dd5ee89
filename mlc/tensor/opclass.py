"""Theano's Op classes by name, for the ops mlc builds from other ops.

Theano programs sometimes instantiate an Op class directly: `T.Sum(axis=0)(x)`,
`T.extra_ops.DiffOp(n=2)(x)`, `nnet.SoftmaxGrad()(dy, sm)`. Where mlc builds
that computation from its own ops (a reduction, a slice difference, an
elementwise composition), the Theano name is a `TheanoOpClass`: constructed
with Theano's parameters, called on variables it returns the graph of the
mlc function that computes the same thing (`build`). Such a class is
defined next to its function, in the function's module.

It is not an mlc `Op`: it never appears in a graph, so `isinstance(node.op,
T.Sum)` does not find it. Ops that exist as one mlc op under Theano's name
(`Dot`, `Shape`, `Nonzero`, `Softmax`, ...) are served as themselves.
"""

from __future__ import annotations

from typing import Any

from mlc.graph import Op


class TheanoOpClass:
    """Base of Theano's Op classes that mlc builds from other ops (see the module docstring).

    A subclass lists its parameters in `__props__`, sets them in `__init__`
    (Theano's signature and defaults) and defines `build(*inputs)`.
    """

    __props__: tuple[str, ...] = ()

    def build(self, *inputs: Any, **kwargs: Any):
        raise NotImplementedError(f"{type(self).__name__}.build")

    def __call__(self, *inputs: Any, **kwargs: Any):
        return self.build(*inputs, **kwargs)

    # equal when of one class with equal __props__, as mlc's Ops
    _props, __eq__, __hash__ = Op._props, Op.__eq__, Op.__hash__

    def __repr__(self) -> str:
        props = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.__props__)
        return f"{type(self).__name__}{{{props}}}" if props else type(self).__name__

    __str__ = __repr__


__all__ = ["TheanoOpClass"]
