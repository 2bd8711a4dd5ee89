"""theano.d3viz: a self-contained interactive HTML picture of a graph, and its DOT text."""

from __future__ import annotations

import inspect
import os
import re
import stat
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import mlc
import mlc.d3viz as d3v
import mlc.tensor as T


def _layer():
    x, b = T.dmatrix("x"), T.dvector("b")
    W = mlc.shared(np.ones((3, 2)), "W")
    y = T.tanh(T.dot(x, W) + b).sum(axis=1); line = inspect.currentframe().f_lineno  # noqa: E702
    return mlc.function([x, b], y, name="layer"), line


def _svg(page: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))


def test_d3viz_writes_a_self_contained_page_with_tooltips(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no graphviz: mlc's own layout
    f, line = _layer()
    out = tmp_path / "sub" / "graph.html"
    d3v.d3viz(f, str(out))
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "layered layout (graphviz" in page
    # nothing loaded from anywhere (the only URL is the SVG namespace), nothing copied next to it
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]
    assert " src=" not in page and "<link" not in page
    assert os.listdir(out.parent) == ["graph.html"]
    svg = _svg(page)
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g for g in svg.iter(f"{ns}g") if g.get("class") == "node"]
    tips = [g.find(f"{ns}title").text for g in nodes]
    labels = [g.find(f"{ns}text").text for g in nodes]
    assert "dot" in labels and "Elemwise{tanh,no_inplace}" in labels and "Sum{axes=[1]}" in labels
    here = f"{os.path.basename(__file__)}:{line}"
    dot_tip = tips[labels.index("dot")]
    assert "op: Dot" in dot_tip and "TensorType(float64, matrix) (?, ?)" in dot_tip and f"built at {here}" in dot_tip
    w_tip = next(t for t in tips if t.startswith("shared: W"))
    assert "value shape: (3, 2)" in w_tip
    # every edge goes down the page (sources above what they feed)
    edges = [g.find(f"{ns}path").get("d") for g in svg.iter(f"{ns}g") if g.get("class") == "edge"]
    assert len(edges) >= 6
    for d in edges:
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
        assert nums[1] < nums[-1], d
    # the tooltips as JSON for the info panel, the DOT text for copying
    assert '<script type="application/json" id="tips">' in page and "DOT source" in page


def test_d3viz_uses_graphviz_svg_when_dot_exists(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "dot"  # a stand-in for graphviz's dot: checks the DOT it is given, prints an SVG
    fake.write_text("#!/bin/sh\ncat > \"$0.in\"\nprintf '<?xml version=\"1.0\"?>\\n<svg width=\"10pt\" "
                    "height=\"10pt\" viewBox=\"0 0 10 10\"><g class=\"node\"><title>n0</title></g></svg>\\n'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    f, _ = _layer()
    d3v.d3viz(f, str(tmp_path / "g.html"))
    page = (tmp_path / "g.html").read_text()
    assert "Layout: graphviz dot" in page and "<?xml" not in page
    assert '<svg width="10pt"' in page
    given = (bindir / "dot.in").read_text()
    assert given.startswith("digraph G {") and "tooltip=" in given


def test_d3write_and_variables_and_errors(tmp_path):
    x = T.dvector("x")
    y = (x * 2).sum()
    d3v.d3write(y, str(tmp_path / "y.dot"))
    text = (tmp_path / "y.dot").read_text()
    assert text.startswith("digraph G {") and "Sum" in text and 'tooltip="input: x' in text
    d3v.d3viz([y, x + 1], str(tmp_path / "two.html"), False, compact=False)
    assert "Elemwise{add,no_inplace}" in (tmp_path / "two.html").read_text()
    with pytest.raises(TypeError, match="d3viz: expected a variable"):
        d3v.d3viz(None, str(tmp_path / "bad.html"))
    with pytest.raises(TypeError, match="d3viz: unknown option 'colour'"):
        d3v.d3viz(y, str(tmp_path / "bad.html"), colour=1)


def test_theano_d3viz_under_the_compat_hook(tmp_path):
    from mlc.compat import theano as compat

    compat.install()
    try:
        import theano
        import theano.d3viz as d3v_theano

        x = theano.tensor.dmatrix("x")
        f = theano.function([x], x.sum())
        d3v_theano.d3viz(f, str(tmp_path / "f.html"))
        assert (tmp_path / "f.html").exists()
    finally:
        compat.uninstall()
