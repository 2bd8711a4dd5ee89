"""Interactive pictures of graphs in one HTML file (Theano's `theano.d3viz`).

    import mlc.d3viz as d3v                     # theano.d3viz under the compat hook
    d3v.d3viz(f, "graph.html")                  # open it in a browser
    d3v.d3write(f, "graph.dot")                 # the DOT text

The HTML file is self-contained: no script, style sheet or font is loaded
from anywhere, so it opens offline and can be mailed. It shows the graph as
an SVG picture in Theano's colors (inputs green, shared variables dark
green, outputs blue, constants grey, elementwise ops as ellipses): laid out
by graphviz's `dot` program when it is installed, otherwise by a simple
layered layout computed here. Hovering a node shows its type, its
broadcastable shape (`(?, 1)`) and the user's line that built it, in a panel
and as a tooltip; the mouse wheel zooms, dragging pans, a double click
resets the view. The DOT text is in the page too (under "DOT source").

Unlike Theano's, nothing is copied next to the file: `copy_deps` is
accepted and has nothing to do.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from typing import Any

from mlc.printing import GraphPicture, graph_picture, picture_to_dot

__all__ = ["d3viz", "d3write"]

_PICTURE_OPTIONS = ("compact", "with_ids", "max_label_size", "var_with_name_simple")


def _picture(fct: Any, what: str, args: tuple, kwargs: dict) -> GraphPicture:
    if args:
        if len(args) > 1:
            raise TypeError(f"{what}: expected at most one extra positional argument (compact), got {len(args)}")
        kwargs = {"compact": args[0], **kwargs}
    unknown = sorted(set(kwargs) - set(_PICTURE_OPTIONS))
    if unknown:
        raise TypeError(f"{what}: unknown option {unknown[0]!r}; expected one of {', '.join(_PICTURE_OPTIONS)}")
    return graph_picture(fct, what=what, **kwargs)


def d3write(fct: Any, path: str, *args: Any, **kwargs: Any) -> None:
    """Write the DOT text of `fct` (a Function, a variable or a list of them) to `path`."""
    text = picture_to_dot(_picture(fct, "d3write", args, kwargs))
    _makedirs_for(path)
    with open(path, "w") as fh:
        fh.write(text)


def d3viz(fct: Any, outfile: str, copy_deps: bool = True, *args: Any, **kwargs: Any) -> None:
    """Write an interactive, self-contained HTML picture of `fct` to `outfile` (see the module docstring).

    `fct`: a compiled Function, a variable or a list of variables. Extra
    options (`compact`, `with_ids`, `max_label_size`, `var_with_name_simple`)
    are those of `pydotprint`'s picture.
    """
    pic = _picture(fct, "d3viz", args, kwargs)
    dot_text = picture_to_dot(pic)
    svg, engine = _graphviz_svg(dot_text), "graphviz dot"
    if svg is None:
        svg, engine = layered_svg(pic), "mlc's layered layout (graphviz's dot was not found)"
    title = getattr(fct, "name", None) or "mlc graph"
    page = _PAGE.format(title=html.escape(str(title)), engine=html.escape(engine), svg=svg,
                        dot=html.escape(dot_text), tips=_script_json({n["id"]: n["tooltip"] for n in pic.nodes}),
                        script=_SCRIPT, style=_STYLE)
    _makedirs_for(outfile)
    with open(outfile, "w", encoding="utf-8") as fh:
        fh.write(page)


def _makedirs_for(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)


def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element (Theano's safe_json: no '<' can close it)."""
    return json.dumps(obj).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _graphviz_svg(dot_text: str) -> str | None:
    """The SVG graphviz's `dot` draws (its XML prolog dropped), or None without a working `dot`."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        proc = subprocess.run([dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    text = proc.stdout.decode("utf-8", errors="replace")
    start = text.find("<svg")
    if proc.returncode != 0 or start < 0:
        return None
    return text[start:]


# ----------------------------------------------------------------------------
# A layered layout for machines without graphviz
# ----------------------------------------------------------------------------

_CHAR_W, _PAD, _NODE_H, _GAP_X, _GAP_Y = 7.2, 22, 34, 28, 70
_DARK = {"darkgreen", "dodgerblue", "grey"}


def layered_svg(pic: GraphPicture) -> str:
    """The picture as SVG: each node on the layer after its deepest source, layers top to bottom,
    nodes in a layer ordered by the mean position of their sources (fewer crossings)."""
    ids = [n["id"] for n in pic.nodes]
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for src, dst, _ in pic.edges:
        preds[dst].append(src)
        succs[src].append(dst)
    # longest-path layers, in a topological order (Kahn)
    indegree = {i: len(preds[i]) for i in ids}
    order = [i for i in ids if indegree[i] == 0]
    layer = {i: 0 for i in order}
    for i in order:
        for j in succs[i]:
            layer[j] = max(layer.get(j, 0), layer[i] + 1)
            indegree[j] -= 1
            if indegree[j] == 0:
                order.append(j)
    layers: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for i in ids:  # a node left out (a cycle cannot happen in a graph) goes on layer 0
        layers[layer.get(i, 0)].append(i)
    width = {n["id"]: max(60.0, _CHAR_W * len(n["label"]) + _PAD) for n in pic.nodes}
    x: dict[str, float] = {}
    for row in layers:
        if x:
            row.sort(key=lambda i: sum(x[p] for p in preds[i]) / len(preds[i]) if preds[i] else 0.0)
        pos = 0.0
        for i in row:
            x[i] = pos + width[i] / 2
            pos += width[i] + _GAP_X
    total = max((sum(width[i] for i in row) + _GAP_X * (len(row) - 1) for row in layers), default=0.0)
    for row in layers:  # center each layer
        used = sum(width[i] for i in row) + _GAP_X * (len(row) - 1)
        for i in row:
            x[i] += (total - used) / 2 + 20
    y = {i: 20 + layer.get(i, 0) * (_NODE_H + _GAP_Y) + _NODE_H / 2 for i in ids}
    height = 40 + len(layers) * (_NODE_H + _GAP_Y) - _GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total + 40:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {total + 40:.0f} {height:.0f}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>']
    for src, dst, label in pic.edges:
        x0, y0, x1, y1 = x[src], y[src] + _NODE_H / 2, x[dst], y[dst] - _NODE_H / 2
        mid = (y0 + y1) / 2
        parts.append(f'<g class="edge"><path d="M {x0:.1f} {y0:.1f} C {x0:.1f} {mid:.1f}, {x1:.1f} {mid:.1f}, '
                     f'{x1:.1f} {y1:.1f}" fill="none" stroke="#333" marker-end="url(#arrow)"/>')
        if label is not None:
            parts.append(f'<text x="{(x0 + x1) / 2 + 4:.1f}" y="{mid:.1f}" class="elabel">{html.escape(label)}</text>')
        parts.append("</g>")
    for n in pic.nodes:
        i, w = n["id"], width[n["id"]]
        fill = n["color"]
        if n["shape"] == "ellipse":
            shape = f'<ellipse cx="{x[i]:.1f}" cy="{y[i]:.1f}" rx="{w / 2:.1f}" ry="{_NODE_H / 2:.1f}" fill="{fill}" stroke="#222"/>'
        else:
            shape = (f'<rect x="{x[i] - w / 2:.1f}" y="{y[i] - _NODE_H / 2:.1f}" width="{w:.1f}" height="{_NODE_H}" '
                     f'rx="4" fill="{fill}" stroke="#222"/>')
        color = "white" if fill in _DARK else "black"
        parts.append(f'<g class="node" data-id="{html.escape(i)}"><title>{html.escape(n["tooltip"])}</title>{shape}'
                     f'<text x="{x[i]:.1f}" y="{y[i] + 4:.1f}" text-anchor="middle" fill="{color}">'
                     f'{html.escape(n["label"])}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


_STYLE = """
body { font-family: sans-serif; margin: 0; }
header { padding: 6px 12px; background: #f0f0f0; border-bottom: 1px solid #ccc; font-size: 14px; }
#view { overflow: hidden; height: 75vh; cursor: grab; border-bottom: 1px solid #ccc; }
#view svg { width: 100%; height: 100%; }
#view text { font-size: 12px; font-family: monospace; pointer-events: none; }
#view .elabel { font-size: 10px; fill: #555; }
#view g.node:hover ellipse, #view g.node:hover rect, #view g.node:hover polygon { stroke: red; stroke-width: 2; }
#info { white-space: pre; font-family: monospace; font-size: 12px; padding: 6px 12px; min-height: 4em; }
details { padding: 6px 12px; } pre { font-size: 11px; }
"""

_SCRIPT = r"""
(function () {
  var tips = JSON.parse(document.getElementById("tips").textContent);
  var view = document.getElementById("view"), svg = view.querySelector("svg"), info = document.getElementById("info");
  if (!svg) return;
  var box0 = svg.viewBox.baseVal && svg.viewBox.baseVal.width ? [svg.viewBox.baseVal.x, svg.viewBox.baseVal.y,
    svg.viewBox.baseVal.width, svg.viewBox.baseVal.height] : [0, 0, svg.width.baseVal.value, svg.height.baseVal.value];
  var box = box0.slice();
  function apply() { svg.setAttribute("viewBox", box.join(" ")); }
  svg.removeAttribute("width"); svg.removeAttribute("height"); apply();
  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    var r = svg.getBoundingClientRect(), f = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    var px = box[0] + (e.clientX - r.left) / r.width * box[2], py = box[1] + (e.clientY - r.top) / r.height * box[3];
    box = [px - (px - box[0]) * f, py - (py - box[1]) * f, box[2] * f, box[3] * f]; apply();
  }, {passive: false});
  var drag = null;
  view.addEventListener("mousedown", function (e) { drag = [e.clientX, e.clientY, box[0], box[1]]; });
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var r = svg.getBoundingClientRect();
    box[0] = drag[2] - (e.clientX - drag[0]) / r.width * box[2];
    box[1] = drag[3] - (e.clientY - drag[1]) / r.height * box[3]; apply();
  });
  view.addEventListener("dblclick", function () { box = box0.slice(); apply(); });
  Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) {
    var t = g.querySelector("title"), id = g.getAttribute("data-id") || (t && t.textContent);
    g.addEventListener("mouseenter", function () { info.textContent = tips[id] || id; });
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header><b>{title}</b> &mdash; wheel: zoom, drag: pan, double click: reset; hover a node for its type, shape and
line. Layout: {engine}.</header>
<div id="view">
{svg}
</div>
<div id="info">Hover a node.</div>
<details><summary>DOT source</summary><pre>{dot}</pre></details>
<script type="application/json" id="tips">{tips}</script>
<script>{script}</script>
</body>
</html>
"""
