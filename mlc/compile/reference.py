"""The numpy reference program: runs a FunctionGraph with each op's `perform`.

This is the executable definition of the graph's semantics (mode='REFERENCE');
tests compare compiled code against it.
"""

from __future__ import annotations

import numpy as np

from mlc.graph import Constant
from mlc.graph.lazy import LazySchedule


class ReferenceProgram:
    def __init__(self, fgraph):
        self.fg = fgraph
        self.schedule = LazySchedule(fgraph.nodes, fgraph.results)  # ifelse: only the taken branch runs

    def run(self, arrays, shapes):
        fg = self.fg
        values = {id(v): a for v, a in zip(fg.all_inputs, arrays)}

        def get(v):
            return v.data if isinstance(v, Constant) else values[id(v)]

        def visit(node):
            # a lazy node's inputs from the branch not taken were never computed: None
            outs = node.op.perform(node, [v.data if isinstance(v, Constant) else values.get(id(v))
                                          for v in node.inputs])
            for o, r in zip(node.outputs, outs):
                values[id(o)] = r

        self.schedule.walk(visit, lambda node, i: get(node.inputs[i]))
        results = []
        for v, shape in zip(fg.results, shapes):
            if getattr(v.type, "sparse", False):  # a scipy.sparse matrix (mlc.sparse)
                r = get(v).copy()
                results.append(r)
                continue
            r = np.array(get(v), dtype=v.dtype, copy=True, order="C")  # outputs are always fresh arrays
            assert shape is None or r.shape == tuple(shape), (v, r.shape, shape)  # None: known by running
            results.append(r)
        return results
