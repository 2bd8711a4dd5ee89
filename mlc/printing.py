"""Printing graphs as text, in Theano's formats.

- `pp(var)` / `pprint(var)`: a math-like expression. Arithmetic is infix and
  fully parenthesized, as Theano prints it (`pp(x + y) == "(x + y)"`, `(-x)`,
  `(x \\dot w)` for dot), other elementwise ops are calls (`exp(x)`,
  `gt(a, b)`), constants print as `TensorConstant{2}`, broadcasting
  dimshuffles are invisible and transposes print as `x.T`.
- `debugprint(obj)`: one line per variable, indented as a tree
  (`Elemwise{add,no_inplace} [id A] ''` with ` |` under it), for a variable,
  a list of variables, an Apply or a compiled Function.
- `pydotprint`: a picture of the graph through graphviz's `dot` program
  (DOT text when it is missing or with format='dot').
- `Print`: an identity op printing its input's value at run time.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

from mlc.graph import Apply, Constant, Op, Variable

__all__ = ["Print", "debugprint", "pp", "pprint", "pydotprint"]

# ----------------------------------------------------------------------------
# pp / pprint
# ----------------------------------------------------------------------------

#: elementwise ops printed infix, Theano's OperatorPrinter symbols
_INFIX = {"add": "+", "sub": "-", "mul": "*", "true_div": "/", "int_div": "//", "mod": "%", "pow": "**",
          "and_": "&", "or_": "|", "xor": "^"}
#: unary elementwise ops printed as a prefix operator
_PREFIX = {"neg": "-", "invert": "~"}
#: elementwise ops whose printed function name differs from the op's name
_CALL_NAME = {"identity": "tensor_copy"}


def _constant_text(c: Constant) -> str:
    """Theano's TensorConstant.__str__: the value, or '(shape) of v' for a uniform array."""
    if c.name is not None:
        return c.name
    data = np.asarray(c.data)
    if data.ndim > 0 and data.size > 1 and np.all(data == data.flat[0]):
        text = f"{data.shape} of {data.flat[0]}"
    else:
        text = str(data)
    if len(text) > 20:
        text = text[:10] + ".." + text[-10:]
    return f"TensorConstant{{{text}}}"


def _leaf_text(v: Variable) -> str:
    if isinstance(v, Constant):
        return _constant_text(v)
    return str(v)


def _slice_text(parts, dyn: list[str]) -> str:
    """'a:b:c' for one (start, stop, step) triple, with symbolic parts taken from `dyn`."""
    from mlc.tensor.shape import SLICE_INPUT

    shown = [dyn.pop(0) if p == SLICE_INPUT else ("" if p is None else str(p)) for p in parts]
    text = f"{shown[0]}:{shown[1]}"
    return text + f":{shown[2]}" if shown[2] else text


class _PP:
    """The pretty printer: one method per form, dispatched on the op's class."""

    def __init__(self) -> None:
        from mlc.tensor.contract import Dot
        from mlc.tensor.elemwise import DimShuffle, Elemwise, Switch
        from mlc.tensor.alloc import Alloc
        from mlc.tensor.shape import IndexOp, Join, Shape, Subtensor

        self.rules: dict[type, Callable[[Apply, Variable], str]] = {
            Elemwise: self.elemwise,
            DimShuffle: self.dimshuffle,
            Dot: lambda node, out: self.infix("\\dot", node),
            Shape: lambda node, out: f"{self(node.inputs[0])}.shape",
            Switch: lambda node, out: self.call("switch", node.inputs),
            Alloc: lambda node, out: self.call("alloc", node.inputs),
            Join: lambda node, out: f"join({node.op.axis}, {', '.join(self(v) for v in node.inputs)})",
            Subtensor: self.indexing,
            IndexOp: self.indexing,
        }

        # Text of each variable already printed. A variable prints the same wherever it
        # appears (everything is parenthesized), so printing bottom-up with this memo
        # keeps the recursion one level deep however deep the graph is.
        self.memo: dict[int, str] = {}

    def print_graph(self, v: Variable) -> str:
        from mlc.graph import toposort

        for node in toposort([v]):
            for out in node.outputs:
                self(out)
        return self(v)

    def __call__(self, v: Variable) -> str:
        text = self.memo.get(id(v))
        if text is None:
            text = self.memo[id(v)] = self._text(v)
        return text

    def _text(self, v: Variable) -> str:
        node = v.owner
        if node is None:
            return _leaf_text(v)
        for cls in type(node.op).__mro__:
            rule = self.rules.get(cls)
            if rule is not None:
                return rule(node, v)
        return self.call(str(node.op), node.inputs)

    def call(self, name: str, inputs) -> str:
        return f"{name}({', '.join(self(v) for v in inputs)})"

    def infix(self, symbol: str, node: Apply) -> str:
        # Theano parenthesizes every operator expression ("in doubt, we parenthesize everything").
        if len(node.inputs) == 1:
            return f"({symbol}{self(node.inputs[0])})"
        return "(" + f" {symbol} ".join(self(v) for v in node.inputs) + ")"

    def elemwise(self, node: Apply, out: Variable) -> str:
        name = node.op.scalar.name
        if name in _INFIX:
            return self.infix(_INFIX[name], node)
        if name in _PREFIX:
            return self.infix(_PREFIX[name], node)
        if name == "abs":
            return f"|{self(node.inputs[0])}|"
        return self.call(_CALL_NAME.get(name, name), node.inputs)

    def dimshuffle(self, node: Apply, out: Variable) -> str:
        order = list(node.op.new_order)
        while order and order[0] == "x":  # broadcasting pads on the left: not shown
            order = order[1:]
        x = node.inputs[0]
        if order == list(range(x.ndim)):
            return self(x)
        if order == list(reversed(range(x.ndim))):
            return f"{self(x)}.T"
        return f"DimShuffle{{{', '.join(map(str, node.op.new_order))}}}({self(x)})"

    def indexing(self, node: Apply, out: Variable) -> str:
        """`x[1:3, ::-1]`, `x[i]`; a chain of integer indexings from one `x[i, j]` prints as one."""
        from mlc.tensor.shape import IndexOp, Subtensor

        ints: dict[int, Variable] = {}
        v = out
        while v.owner is not None and isinstance(v.owner.op, IndexOp):
            axis = v.owner.op.axis
            if ints and axis <= max(ints):  # not applied highest-axis-first: a separate indexing
                break
            ints[axis] = v.owner.inputs[1]
            v = v.owner.inputs[0]
        base_node = v.owner if v.owner is not None and isinstance(v.owner.op, Subtensor) else None
        if base_node is not None:
            dyn = [self(d) for d in base_node.inputs[1:]]
            parts = [_slice_text(s, dyn) for s in base_node.op.slices]
            x = base_node.inputs[0]
        else:
            x = v
            parts = [":"] * (max(ints) + 1 if ints else 0)
        for axis, i in ints.items():
            parts[axis] = self._index_text(i)
        while len(parts) > 1 and parts[-1] == ":":
            parts.pop()
        return f"{self(x)}[{', '.join(parts)}]"

    def _index_text(self, i: Variable) -> str:
        from mlc.tensor.elemwise import Cast

        if i.owner is not None and isinstance(i.owner.op, Cast):  # the int64 cast IndexOp adds
            i = i.owner.inputs[0]
        if isinstance(i, Constant) and i.name is None and np.ndim(i.data) == 0:
            return str(np.asarray(i.data).item())
        return self(i)


def pprint(var: Any) -> str:
    """A math-like expression for `var` (Theano's `theano.printing.pprint` / `pp`).

    Lists and tuples of variables print one expression per line; a compiled
    Function prints its outputs.
    """
    from mlc.compile.function import Function

    if isinstance(var, Function):
        var = var.fgraph.results
    items = list(var) if isinstance(var, (list, tuple)) else [var]
    for v in items:
        if not isinstance(v, Variable):
            raise TypeError(f"pprint: expected a symbolic variable, got {type(v).__name__}")
    printer = _PP()
    return "\n".join(printer.print_graph(v) for v in items)


pp = pprint


# ----------------------------------------------------------------------------
# debugprint
# ----------------------------------------------------------------------------


def _char_id(n: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'BA' (Theano's char_from_number)."""
    if n == 0:
        return "A"
    text = ""
    while n:
        text = chr(ord("A") + n % 26) + text
        n //= 26
    return text


def _op_label(op: Any) -> str:
    """The op as Theano 1.0 names it in a debugprint (`Elemwise{add,no_inplace}`, `dot`)."""
    from mlc.tensor.contract import Dot
    from mlc.tensor.elemwise import DimShuffle, Elemwise

    if isinstance(op, Elemwise):
        return f"Elemwise{{{op.scalar.name},no_inplace}}"
    if isinstance(op, DimShuffle):
        # Theano 1.0's DimShuffle is a view ("inplace"); so is mlc's.
        return f"InplaceDimShuffle{{{','.join(map(str, op.new_order))}}}"
    if isinstance(op, Dot):
        return "dot"
    return str(op)


class _DebugPrinter:
    def __init__(self, file: TextIO, depth: int, print_type: bool, ids: str, stop_on_name: bool,
                 done: dict | None, order: list[Apply]):
        self.file, self.depth, self.print_type, self.ids = file, depth, print_type, ids
        self.stop_on_name = stop_on_name
        self.done: dict[Any, str] = {} if done is None else done
        self.order = {id(n): i for i, n in enumerate(order)}
        self.inner: list[Apply] = []  # nodes holding a graph of their own (scan), printed after the roots

    def _key(self, obj: Any) -> Any:
        # Equal constants share one id, as Theano's cached constants do.
        if isinstance(obj, Constant):
            try:
                return ("constant", obj.signature())
            except Exception:
                return id(obj)
        return id(obj)

    def _id(self, obj: Any) -> str:
        key = self._key(obj)
        if key in self.done:
            return self.done[key]
        if self.ids == "CHAR":
            text = f"[id {_char_id(len(self.done))}]"
        elif self.ids == "int":
            text = f"[id {len(self.done)}]"
        elif self.ids == "id":
            text = f"[id {id(obj)}]"
        elif self.ids == "":
            text = ""
        else:
            raise ValueError(f"debugprint: expected ids in ('CHAR', 'int', 'id', ''), got {self.ids!r}")
        self.done[key] = text
        return text

    def print(self, root: Variable, prefix: str = "") -> None:
        # Iterative depth-first walk (deep graphs must not hit the recursion limit).
        stack: list[tuple[Variable, str, str, int]] = [(root, prefix, prefix, self.depth)]
        while stack:
            v, prefix, prefix_child, depth = stack.pop()
            if depth == 0:
                continue
            type_text = f" <{v.type}>" if self.print_type else ""
            node = v.owner
            if node is None:
                print(f"{prefix}{_leaf_text(v)} {self._id(v)}{type_text}", file=self.file)
                continue
            seen = self._key(node) in self.done
            if not seen and hasattr(node.op, "inner_outputs"):
                self.inner.append(node)
            idx = "" if len(node.outputs) == 1 else f".{node.outputs.index(v)}"
            pos = self.order.get(id(node))
            tail = "" if pos is None else f"   {pos}"
            name = v.name if v.name is not None else ""
            print(f"{prefix}{_op_label(node.op)}{idx} {self._id(node)}{type_text} '{name}'{tail}", file=self.file)
            if seen or (self.stop_on_name and v.name is not None):
                continue
            children = []
            for k, inp in enumerate(node.inputs):
                last = k == len(node.inputs) - 1
                children.append((inp, prefix_child + " |", prefix_child + ("  " if last else " |"), depth - 1))
            stack.extend(reversed(children))


def debugprint(obj: Any, depth: int = -1, print_type: bool = False, file: Any = None, ids: str = "CHAR",
               stop_on_name: bool = False, done: dict | None = None, print_storage: bool = False,
               print_clients: bool = False, used_ids: dict | None = None):
    """Print a graph as an indented tree, one line per variable (Theano's debugprint).

    `obj` is a variable, an Apply, a list/tuple of them, or a compiled
    Function (its outputs and update expressions, each node followed by its
    position in the execution order). `depth` limits how deep the tree is
    printed (-1: everything); `print_type` adds each variable's type; `ids`
    chooses the identifiers ('CHAR': A, B, ..., 'int', 'id', or '').
    A node reached a second time is printed once more with its id, without
    its inputs. Returns the text if `file='str'`, else the file written to
    (stdout by default).
    """
    from mlc.compile.function import Function

    order: list[Apply] = []
    if isinstance(obj, Variable):
        roots = [obj]
    elif isinstance(obj, Apply):
        roots = list(obj.outputs)
    elif isinstance(obj, Function) and hasattr(obj.program, "optimized_mt"):
        # a compiled function shows what it computes: the graph after optimization
        return _emit_text(_print_optimized(obj, depth, print_type, ids), file)
    elif isinstance(obj, Function):
        roots = list(obj.fgraph.results)
        order = list(obj.fgraph.nodes)
    elif isinstance(obj, (list, tuple)):
        roots = []
        for item in obj:
            if isinstance(item, Variable):
                roots.append(item)
            elif isinstance(item, Apply):
                roots.extend(item.outputs)
            else:
                raise TypeError(f"debugprint: expected variables in the list, got {type(item).__name__}")
    else:
        raise TypeError(f"debugprint: cannot print an object of type {type(obj).__name__}; expected a "
                        f"variable, an Apply, a list of variables or a compiled function")
    out: TextIO = io.StringIO() if file == "str" else (sys.stdout if file is None else file)
    printer = _DebugPrinter(out, depth, print_type, ids, stop_on_name, done, order)
    for r in roots:
        printer.print(r)
    if printer.inner:  # Theano's "Inner graphs of the scan ops": each step's outputs, prefixed by ' >'
        print("\nInner graphs:\n", file=out)
        for node in printer.inner:  # grows while printing (nested loops)
            print(f"{_op_label(node.op)} {printer._id(node)}", file=out)
            for r in node.op.inner_outputs:
                printer.print(r, " >")
    if file == "str":
        return out.getvalue()
    out.flush()
    return out


def _emit_text(text: str, file: Any):
    if file == "str":
        return text
    out = sys.stdout if file is None else file
    out.write(text)
    out.flush()
    return out


def _ir_label(op: Any) -> str:
    """`mt.reduce_sum {axes [0]}` -> `reduce_sum{axes=[0]}`: the op and its properties."""
    name = op.name[3:] if op.name.startswith("mt.") else op.name
    props = []
    for key, attr in op.properties.items():
        values = getattr(attr, "get_values", None)
        props.append(f"{key}={list(values()) if values else attr}")
    return f"{name}{{{', '.join(props)}}}" if props else name


def _print_optimized(fn: Any, depth: int, print_type: bool, ids: str) -> str:
    """debugprint of a compiled function's optimized tensor-level IR, one tree per result."""
    from xdsl.dialects import func

    from mlc.dialects import mt

    module = fn.program.optimized_mt()
    (main,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    block = main.body.blocks[0]
    order = {id(op): i for i, op in enumerate(block.ops)}
    names = {id(a): v.name or f"<{v.type}>" for a, v in zip(block.args, fn.fgraph.all_inputs)}
    seen: dict[int, str] = {}
    lines: list[str] = []

    def ident(key: int) -> str:
        if key not in seen:
            n = len(seen)
            seen[key] = {"CHAR": f"[id {_char_id(n)}]", "int": f"[id {n}]", "": ""}.get(ids, f"[id {n}]")
        return seen[key]

    ret = block.last_op
    for root in ret.operands:
        stack = [(root, "", "", depth)]
        while stack:
            v, prefix, child, d = stack.pop()
            if d == 0:
                continue
            type_text = f" <{v.type}>" if print_type else ""
            op = v.owner
            if id(v) in names:
                lines.append(f"{prefix}{names[id(v)]} {ident(id(v))}{type_text}")
                continue
            if isinstance(op, mt.ConstantOp):
                lines.append(f"{prefix}TensorConstant{{{_short_constant(op)}}} {ident(id(op))}{type_text}")
                continue
            again = id(op) in seen
            lines.append(f"{prefix}{_ir_label(op)} {ident(id(op))}{type_text} ''   {order.get(id(op), '')}")
            if again:
                continue
            ins = list(op.operands)
            stack.extend(reversed([(x, child + " |", child + ("  " if k == len(ins) - 1 else " |"), d - 1)
                                   for k, x in enumerate(ins)]))
    return "\n".join(lines) + "\n"


def _short_constant(op: Any) -> str:
    from mlc.dialects import mt

    a = mt.to_numpy(op.value)
    return str(a.reshape(-1)[0]) if a.size and (a == a.reshape(-1)[0]).all() else f"{a.shape}"


# ----------------------------------------------------------------------------
# Pictures (graphviz)
# ----------------------------------------------------------------------------


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class GraphPicture:
    """The nodes and edges of a graph picture (shared by `pydotprint` and `mlc.d3viz`).

    `nodes`: dicts with `id`, `label`, `kind` ('apply', 'input', 'shared',
    'constant', 'output', 'variable'), `color` (Theano's), `shape` ('box' or
    'ellipse') and `tooltip` (type, shape, the user's line); `edges`:
    (source id, target id, label or None).
    """

    def __init__(self):
        self.nodes: list[dict] = []
        self.edges: list[tuple[str, str, str | None]] = []


def _static_shape(v: Variable) -> str:
    bc = getattr(v.type, "broadcastable", None)
    if bc is None:
        return ""
    return "(" + ", ".join("1" if b else "?" for b in bc) + ("," if len(bc) == 1 else "") + ")"


def _var_tooltip(v: Variable, kind: str) -> str:
    parts = [f"{kind}: {v.name or v}", f"type: {v.type}"]
    shape = _static_shape(v)
    if shape:
        parts.append(f"shape: {shape} (? = any size)")
    if isinstance(v, Constant):
        parts.append(f"value: {_constant_text(v)}")
    container = getattr(v, "container", None)
    value_shape = getattr(getattr(container, "value", None), "shape", None)
    if value_shape is not None:
        parts.append(f"value shape: {tuple(value_shape)}")
    loc = getattr(v, "loc", None)
    if loc is not None and v.owner is not None:
        parts.append(f"built at {loc}")
    return "\n".join(parts)


def _apply_tooltip(node: Any) -> str:
    parts = [f"op: {node.op}"]
    parts += [f"input {k}: {v.type} {_static_shape(v)}" for k, v in enumerate(node.inputs)]
    parts += [f"output {k}: {v.type} {_static_shape(v)}" for k, v in enumerate(node.outputs)]
    loc = getattr(node.outputs[0], "loc", None) if node.outputs else None
    if loc is not None:
        parts.append(f"built at {loc}")
    return "\n".join(parts)


def graph_picture(obj: Any, max_label_size: int = 70, with_ids: bool = False,
                  var_with_name_simple: bool = False, compact: bool = True, what: str = "pydotprint") -> GraphPicture:
    """The picture of a graph (variables, a list of them, or a compiled Function), in Theano's colors.

    Apply nodes are boxes (ellipses for the ops of Theano's elementwise
    family), function inputs green, shared variables dark green, outputs
    blue, constants grey; an edge is labelled with the input position when
    an op has several inputs.
    """
    from mlc.compile.function import Function
    from mlc.graph import ancestors, toposort

    if isinstance(obj, Function):
        outputs = list(obj.fgraph.results)
        fn_inputs = set(map(id, obj.fgraph.inputs))
    else:
        outputs = list(obj) if isinstance(obj, (list, tuple)) else [obj]
        for v in outputs:
            if not isinstance(v, Variable):
                raise TypeError(f"{what}: expected a variable, a list of variables or a compiled function, "
                                f"got {type(v).__name__}")
        fn_inputs = {id(v) for v in ancestors(outputs) if v.owner is None and not isinstance(v, Constant)}
    nodes = toposort(outputs)
    index = {id(n): k for k, n in enumerate(nodes)}
    out_ids = set(map(id, outputs))
    names: dict[int, str] = {}
    pic = GraphPicture()

    def clip(text: str) -> str:
        return text if len(text) <= max_label_size else text[:max_label_size - 3] + "..."

    def var_node(v: Variable) -> str:
        key = id(v)
        if key in names:
            return names[key]
        name = names[key] = f"v{len(names)}"
        if isinstance(v, Constant):
            label, color, kind = _constant_text(v), "grey", "constant"
        elif getattr(v, "container", None) is not None:
            label, color, kind = str(v), "darkgreen", "shared"
        elif key in fn_inputs:
            label, color, kind = str(v), "limegreen", "input"
        elif key in out_ids:
            label, color, kind = (str(v) if v.name else "output"), "dodgerblue", "output"
        else:
            label, color, kind = (v.name or str(v.type)), "lightgrey", "variable"
        if not var_with_name_simple and v.name is not None and not isinstance(v, Constant):
            label = f"{v.name} {v.type}"
        if with_ids:
            label = f"{label} id={len(names) - 1}"
        pic.nodes.append({"id": name, "label": clip(label), "kind": kind, "color": color, "shape": "box",
                          "tooltip": _var_tooltip(v, kind)})
        return name

    for k, node in enumerate(nodes):
        apply_name = f"n{k}"
        label = _op_label(node.op)
        if with_ids:
            label += f" id={k}"
        shape = "ellipse" if type(node.op).__name__ in ("Elemwise", "DimShuffle") else "box"
        pic.nodes.append({"id": apply_name, "label": clip(label), "kind": "apply", "color": "white", "shape": shape,
                          "tooltip": _apply_tooltip(node)})
        for pos, v in enumerate(node.inputs):
            if v.owner is not None and compact and v.name is None and id(v) not in out_ids:
                src = f"n{index[id(v.owner)]}"
            else:
                src = var_node(v)
            pic.edges.append((src, apply_name, str(pos) if len(node.inputs) > 1 else None))
        for v in node.outputs:
            if id(v) in out_ids or (not compact or v.name is not None):
                pic.edges.append((apply_name, var_node(v), None))
    for v in outputs:
        if v.owner is None:
            var_node(v)
    return pic


def picture_to_dot(pic: GraphPicture) -> str:
    """DOT text of a picture (each node with its tooltip: graphviz's SVG shows it on hover)."""
    lines = ["digraph G {", "  graph [bgcolor=white];"]
    for n in pic.nodes:
        fill = ", style=filled, fillcolor=" + n["color"] if n["kind"] != "apply" else ""
        tooltip = _dot_quote(n["tooltip"]).replace("\n", "\\n")
        lines.append(f"  {n['id']} [label={_dot_quote(n['label'])}, shape={n['shape']}{fill}, tooltip={tooltip}];")
    for src, dst, label in pic.edges:
        lines.append(f"  {src} -> {dst}{f' [label={label}]' if label is not None else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_to_dot(obj: Any, max_label_size: int = 70, with_ids: bool = False,
                 var_with_name_simple: bool = False, compact: bool = True, high_contrast: bool = True) -> str:
    """The DOT text of a graph (variables, a list of them, or a compiled Function): see `graph_picture`."""
    return picture_to_dot(graph_picture(obj, max_label_size, with_ids, var_with_name_simple, compact))


def pydotprint(fct: Any, outfile: str | None = None, compact: bool = True, format: str = "png",
               with_ids: bool = False, high_contrast: bool = True, cond_highlight=None, colorCodes=None,
               max_label_size: int = 70, scan_graphs: bool = False, var_with_name_simple: bool = False,
               print_output_file: bool = True, return_image: bool = False):
    """Draw a graph with graphviz (Theano's pydotprint): a variable, a list of them or a Function.

    The graph is written as DOT text and rendered by graphviz's `dot`
    program into `outfile` (default: `<cache_dir>/theano.pydotprint.<format>`).
    With `format='dot'`, or when the `dot` program is not installed, the DOT
    text itself is written (to `outfile`, its extension changed to .dot if
    it named an image) and a note says how to render it. `return_image=True`
    returns the rendered bytes (or the DOT text) instead of writing a file.
    """
    import os
    import shutil
    import subprocess

    from mlc.config import config

    text = graph_to_dot(fct, max_label_size=max_label_size, with_ids=with_ids,
                        var_with_name_simple=var_with_name_simple, compact=compact, high_contrast=high_contrast)
    dot = shutil.which("dot")
    if return_image:
        if format == "dot" or dot is None:
            return text
        return subprocess.run([dot, f"-T{format}"], input=text.encode(), capture_output=True, check=True).stdout
    if outfile is None:
        outfile = os.path.join(os.path.expanduser(config.cache_dir or "."), f"theano.pydotprint.{format}")
    os.makedirs(os.path.dirname(os.path.abspath(outfile)), exist_ok=True)
    if format != "dot" and dot is not None:
        proc = subprocess.run([dot, f"-T{format}", "-o", outfile], input=text.encode(), capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"pydotprint: graphviz's dot failed: {proc.stderr.decode(errors='replace').strip()}")
    else:
        if format != "dot":
            root, ext = os.path.splitext(outfile)
            outfile = root + ".dot" if ext.lstrip(".") == format else outfile
        with open(outfile, "w") as fh:
            fh.write(text)
        if format != "dot" and print_output_file:
            print(f"pydotprint: graphviz's `dot` program was not found, so the graph was written as DOT text; "
                  f"render it with `dot -T{format} {outfile} -o image.{format}`")
    if print_output_file:
        print("The output file is available at", outfile)
    return None


def _print_fn(op: Print, value: np.ndarray) -> None:
    """Theano's default global_fn: `message attr = value` for each attribute in `op.attrs`."""
    for attr in op.attrs:
        temp = getattr(value, attr)
        shown = temp() if callable(temp) else temp
        print(op.message, attr, "=", shown)


class Print(Op):
    """An identity that prints its input's value when the function runs (Theano's Print).

    `Print('message')(x)` is x; each run prints `message __str__ = <value>`
    (one line per name in `attrs`: `Print('x', attrs=('shape',))(x)` prints
    its shape), or calls `global_fn(op, value)`. It runs from Python between
    the natively compiled parts of the function (a host op), so everything
    around it stays native; only its own input is handed over.
    """

    __props__ = ("message", "attrs", "global_fn")
    host = True

    def __init__(self, message: str = "", attrs: tuple[str, ...] = ("__str__",), global_fn=_print_fn):
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def __str__(self) -> str:
        return f"Print{{message={self.message}, attrs={self.attrs}}}"

    def make_node(self, x) -> Apply:
        from mlc.tensor.var import as_tensor_variable

        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        (x,) = inputs
        self.global_fn(self, x)
        return [np.array(x, copy=True)]

    def make_host_thunk(self, node, mode: str, excluding: tuple[str, ...] = ()):
        return lambda inputs: self.perform(node, inputs)

    def infer_shape(self, node, shapes, value):
        return [tuple(shapes[0])]

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def batch(self, node, inputs, batched):
        return [self(inputs[0])]
