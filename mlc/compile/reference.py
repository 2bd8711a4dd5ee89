"""The numpy reference program: runs a FunctionGraph with each op's `perform`.

This is the executable definition of the graph's semantics (mode='REFERENCE');
tests compare compiled code against it.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Constant


class ReferenceProgram:
    def __init__(self, fgraph):
        self.fg = fgraph

    def run(self, arrays, shapes):
        fg = self.fg
        values = {id(v): a for v, a in zip(fg.all_inputs, arrays)}

        def get(v):
            return v.data if isinstance(v, Constant) else values[id(v)]

        for node in fg.nodes:
            outs = node.op.perform(node, [get(v) for v in node.inputs])
            for o, r in zip(node.outputs, outs):
                values[id(o)] = r
        results = []
        for v, shape in zip(fg.results, shapes):
            r = np.array(get(v), dtype=v.dtype, copy=True, order="C")  # outputs are always fresh arrays
            assert r.shape == tuple(shape), (v, r.shape, shape)
            results.append(r)
        return results
