"""The symbolic graph core: variables, applies, ops, types, graph walks."""

from mlc.graph.basic import (Apply, Constant, GraphError, Op, ShapeError, SourceLoc, Variable, ancestors,
                             built_at, clone_replace, copy_nodes, graph_inputs, toposort, user_location)
from mlc.graph.type import RandomStateType, TensorType, random_state_type

__all__ = ["Apply", "Constant", "GraphError", "Op", "RandomStateType", "ShapeError", "SourceLoc", "TensorType",
           "Variable", "ancestors", "built_at", "clone_replace", "copy_nodes", "graph_inputs", "random_state_type",
           "toposort", "user_location"]
