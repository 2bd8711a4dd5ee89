"""The symbolic graph core: variables, applies, ops, types, graph walks."""

from mlc.graph.basic import (Apply, Constant, GraphError, Op, ShapeError, SourceLoc, Variable, ancestors,
                             built_at, clone_replace, copy_nodes, graph_inputs, toposort, user_location)
from mlc.graph.type import TensorType

__all__ = ["Apply", "Constant", "GraphError", "Op", "ShapeError", "SourceLoc", "TensorType", "Variable",
           "ancestors", "built_at", "clone_replace", "copy_nodes", "graph_inputs", "toposort", "user_location"]
