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
            return [np.ascontiguousarray(np.asarray(r, dtype=d)) for r, d in zip(outs, dtypes)]

        return thunk

    def infer_shape(self, node: Apply, shapes, value):
        """By default: the shapes of `perform`'s results on the input values.

        Only valid when every input is listed in `shape_value_inputs` (the
        shape plan caches shapes per those values); ops with a shape rule
        override this.
        """
        outs = self.perform(node, [value(i) for i in range(len(node.inputs))])
        return [np.shape(r) for r in outs]
