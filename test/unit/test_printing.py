"""Printing graphs: pp/pprint and debugprint, in Theano's formats."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import mlc
import mlc.tensor as T
from mlc.printing import debugprint, pp, pprint, pydotprint


def lines(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.strip("\n").splitlines()]


# ----------------------------------------------------------------------------
# pp
# ----------------------------------------------------------------------------


def test_pp_of_a_sum_like_theano():
    x, y = T.dscalars("x", "y")
    assert pp(x + y) == "(x + y)"
    assert pprint(x + y) == "(x + y)"
    assert mlc.pp is pp


@pytest.mark.parametrize("build, text", [
    (lambda x, y, z: x - y, "(x - y)"),
    (lambda x, y, z: x * y, "(x * y)"),
    (lambda x, y, z: x / y, "(x / y)"),
    (lambda x, y, z: x // y, "(x // y)"),
    (lambda x, y, z: x % y, "(x % y)"),
    (lambda x, y, z: x ** y, "(x ** y)"),
    (lambda x, y, z: (x + y) * z, "((x + y) * z)"),
    (lambda x, y, z: x + y * z, "(x + (y * z))"),
    (lambda x, y, z: x * y * z, "((x * y) * z)"),
    (lambda x, y, z: -x, "(-x)"),
    (lambda x, y, z: -(x * y), "(-(x * y))"),
    (lambda x, y, z: abs(x - y), "|(x - y)|"),
    (lambda x, y, z: T.exp(x), "exp(x)"),
    (lambda x, y, z: T.maximum(x, T.log(y)), "maximum(x, log(y))"),
    (lambda x, y, z: x > y, "gt(x, y)"),
    (lambda x, y, z: T.eq(x, y), "eq(x, y)"),
    (lambda x, y, z: T.switch(x > 0, y, z), "switch(gt(x, TensorConstant{0}), y, z)"),
    (lambda x, y, z: x ** 2, "(x ** TensorConstant{2})"),
    (lambda x, y, z: x * 0.5, "(x * TensorConstant{0.5})"),
    (lambda x, y, z: 1 - x, "(TensorConstant{1} - x)"),
    (lambda x, y, z: T.sqr(x), "sqr(x)"),
])
def test_pp_forms(build, text):
    x, y, z = T.dscalars("x", "y", "z")
    assert pp(build(x, y, z)) == text


def test_pp_bitwise_operators():
    a, b = T.ivectors("a", "b")
    assert pp(a & b) == "(a & b)"
    assert pp(a | b) == "(a | b)"
    assert pp(a ^ b) == "(a ^ b)"
    assert pp(~a) == "(~a)"


def test_pp_constants():
    x = T.dvector("x")
    assert pp(x + np.array([1.0, 1.0, 1.0])) == "(x + TensorConstant{(3,) of 1.0})"
    assert pp(x + np.array([1, 2, 3])) == "(x + TensorConstant{[1 2 3]})"
    assert pp(x * np.arange(100.0)) == "(x * TensorConstant{[ 0.  1.  ... 98. 99.]})"  # 10 + .. + 10 chars
    assert pp(T.constant(7, name="seven") * x) == "(seven * x)"


def test_pp_hides_broadcasting_and_shows_transposes():
    m, v = T.dmatrices("m", "n")
    assert pp(m + T.dvector("v")) == "(m + v)"  # v is padded with a broadcastable dim
    assert pp(m.T) == "m.T"
    assert pp(m.dimshuffle(1, "x", 0)) == "DimShuffle{1, x, 0}(m)"
    assert pp(T.dot(m, v)) == "(m \\dot n)"
    assert pp(m @ v.T) == "(m \\dot n.T)"


def test_pp_shapes_indexing_and_other_ops():
    m = T.dmatrix("m")
    i = T.lscalar("i")
    assert pp(m.shape) == "m.shape"
    assert pp(m.shape[0]) == "m.shape[0]"
    assert pp(m[1:3, ::-1]) == "m[1:3, ::-1]"
    assert pp(m[i]) == "m[i]"
    assert pp(m[1, 2]) == "m[1, 2]"
    assert pp(m[:, i]) == "m[:, i]"
    assert pp(m[i:, :2]) == "m[i:, :2]"
    assert pp(m[2:, 0]) == "m[2:, 0]"
    assert pp(m.sum(axis=0)) == "Sum{axes=[0]}(m)"
    assert pp(T.concatenate([m, m], axis=1)) == "join(1, m, m)"
    assert pp(T.cast(m, "float32")).startswith("Cast{float32}(m)")
    assert pp(m.reshape((2, -1))).startswith("Reshape{2}(m, ")


def test_pp_of_the_tutorial_logistic_graph():
    rng = np.random.default_rng(0)
    x = T.matrix("x")
    w = mlc.shared(rng.standard_normal(5), name="w")
    b = mlc.shared(np.asarray(0.0), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    assert pp(prediction) == ("gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \\dot w)) - b)))), "
                              "TensorConstant{0.5})")


def test_pp_of_unnamed_inputs_lists_and_functions():
    assert pp(T.dscalar()) == "<TensorType(float64, scalar)>"
    x, y = T.dscalars("x", "y")
    assert pp([x + y, x * y]) == "(x + y)\n(x * y)"
    f = mlc.function([x, y], x - y, mode="REFERENCE")
    assert pp(f) == "(x - y)"
    with pytest.raises(TypeError, match="symbolic variable"):
        pp(3)


def test_pp_expands_named_intermediates_like_theano():
    x = T.dscalar("x")
    y = x * 2
    y.name = "y"
    assert pp(y + 1) == "((x * TensorConstant{2}) + TensorConstant{1})"


def test_pp_of_a_very_deep_graph():
    x = T.dscalar("x")
    s = x
    for _ in range(3000):
        s = s + x
    text = pp(s)
    assert text.startswith("(" * 3000 + "x + x)") and text.count("x") == 3001


# ----------------------------------------------------------------------------
# debugprint
# ----------------------------------------------------------------------------

LOGISTIC_TREE = """
Elemwise{gt,no_inplace} [id A] ''
 |Elemwise{true_div,no_inplace} [id B] ''
 | |InplaceDimShuffle{x} [id C] ''
 | | |TensorConstant{1} [id D]
 | |Elemwise{add,no_inplace} [id E] ''
 |   |InplaceDimShuffle{x} [id F] ''
 |   | |TensorConstant{1} [id D]
 |   |Elemwise{exp,no_inplace} [id G] ''
 |     |Elemwise{sub,no_inplace} [id H] ''
 |       |Elemwise{neg,no_inplace} [id I] ''
 |       | |dot [id J] ''
 |       |   |x [id K]
 |       |   |w [id L]
 |       |InplaceDimShuffle{x} [id M] ''
 |         |b [id N]
 |InplaceDimShuffle{x} [id O] ''
   |TensorConstant{0.5} [id P]
"""


def logistic_prediction():
    x = T.matrix("x")
    w = mlc.shared(np.zeros(5), name="w")
    b = mlc.shared(np.asarray(0.0), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    return x, p_1 > 0.5


def test_debugprint_tree_matches_theano_tutorial():
    _, prediction = logistic_prediction()
    assert lines(debugprint(prediction, file="str")) == lines(LOGISTIC_TREE)


def test_debugprint_of_a_function_shows_the_execution_order():
    x = T.dvector("x")
    f = mlc.function([x], (x * 2).sum(), mode="REFERENCE")
    text = lines(debugprint(f, file="str"))
    assert text[0].startswith("Sum{axes=[0]} [id A] ''")
    order = [int(ln.split()[-1]) for ln in text if "''" in ln]
    assert sorted(order) == list(range(len(f.fgraph.nodes)))
    assert order[0] == len(f.fgraph.nodes) - 1  # the output is computed last
    assert any(ln.strip().startswith("|x [id") for ln in text)


def test_debugprint_of_a_function_with_updates_prints_the_updates_too():
    s = mlc.shared(np.float64(0.0), name="s")
    x = T.dscalar("x")
    f = mlc.function([x], x * 2, updates=[(s, s + x)], mode="REFERENCE")
    text = debugprint(f, file="str")
    assert "Elemwise{mul,no_inplace}" in text and "Elemwise{add,no_inplace}" in text and "|s [id" in text


def test_debugprint_files_and_return_values(capsys):
    x, y = T.dscalars("x", "y")
    z = x + y
    expected = "Elemwise{add,no_inplace} [id A] ''\n |x [id B]\n |y [id C]\n"
    assert debugprint(z, file="str") == expected
    buf = io.StringIO()
    assert debugprint(z, file=buf) is buf
    assert buf.getvalue() == expected
    assert debugprint(z) is sys.stdout
    assert capsys.readouterr().out == expected


def test_debugprint_options():
    x, y = T.dscalars("x", "y")
    z = (x + y) * (x - y)
    assert lines(debugprint(z, depth=2, file="str")) == [
        "Elemwise{mul,no_inplace} [id A] ''",
        " |Elemwise{add,no_inplace} [id B] ''",
        " |Elemwise{sub,no_inplace} [id C] ''",
    ]
    assert lines(debugprint(z, depth=1, file="str")) == ["Elemwise{mul,no_inplace} [id A] ''"]
    assert "[id 0]" in debugprint(z, ids="int", file="str")
    assert "[id" not in debugprint(z, ids="", file="str")
    typed = debugprint(z, print_type=True, file="str")
    assert "Elemwise{mul,no_inplace} [id A] <TensorType(float64, scalar)> ''" in typed
    assert " | |x [id C] <TensorType(float64, scalar)>" in typed
    with pytest.raises(ValueError, match="ids"):
        debugprint(z, ids="bogus", file="str")


def test_debugprint_prints_a_shared_node_once():
    x = T.dscalar("x")
    e = T.exp(x)
    z = e * e
    assert lines(debugprint(z, file="str")) == [
        "Elemwise{mul,no_inplace} [id A] ''",
        " |Elemwise{exp,no_inplace} [id B] ''",
        " | |x [id C]",
        " |Elemwise{exp,no_inplace} [id B] ''",
    ]


def test_debugprint_names_and_stop_on_name():
    x = T.dscalar("x")
    h = T.exp(x)
    h.name = "h"
    z = h + 1
    assert "Elemwise{exp,no_inplace} [id B] 'h'" in debugprint(z, file="str")
    text = lines(debugprint(z, stop_on_name=True, file="str"))
    assert not any("|x" in ln for ln in text)


def test_debugprint_lists_applies_and_errors():
    x, y = T.dscalars("x", "y")
    text = debugprint([x + y, x * y], file="str")
    assert "Elemwise{add,no_inplace} [id A]" in text and "Elemwise{mul,no_inplace} [id D]" in text
    assert "|x [id B]" in text.split("Elemwise{mul")[1]  # ids are shared across the list
    assert debugprint((x + y).owner, file="str").startswith("Elemwise{add,no_inplace} [id A]")
    with pytest.raises(TypeError, match="cannot print"):
        debugprint(42, file="str")


def test_debugprint_many_ids_and_deep_graphs():
    xs = T.dscalars(*[f"v{k}" for k in range(30)])
    s = xs[0]
    for v in xs[1:]:
        s = s + v
    text = debugprint(s, file="str")
    assert "[id BA]" in text  # after Z comes BA, as in Theano
    deep = xs[0]
    for _ in range(1500):
        deep = T.exp(deep)
    assert len(lines(debugprint(deep, file="str"))) == 1501


def test_pydotprint_writes_dot_text(tmp_path, capsys, monkeypatch):
    x, w = T.dvector("x"), mlc.shared(np.ones(2), "w")
    y = T.exp(x * w).sum()
    out = tmp_path / "g.dot"
    pydotprint(y, outfile=str(out), format="dot")
    text = out.read_text()
    assert text.startswith("digraph G {") and "Elemwise{exp" in text and "limegreen" in text and "darkgreen" in text
    assert "The output file is available at" in capsys.readouterr().out
    f = mlc.function([x], y)
    assert "Sum" in pydotprint(f, return_image=True, format="dot")
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)  # no graphviz: the DOT text instead of a png
    pydotprint(f, outfile=str(tmp_path / "g.png"), print_output_file=False)
    assert (tmp_path / "g.dot").read_text().startswith("digraph G {")


def test_debugprint_of_a_compiled_function_shows_the_optimized_graph():
    import mlc
    import mlc.tensor as T
    from mlc.printing import debugprint

    x = T.dvector("x")
    f = mlc.function([x], T.log(1 + T.exp(x)))
    text = debugprint(f, file="str")
    assert text.splitlines()[0].startswith("softplus [id A]")  # log(1+exp(x)) was stabilized
    assert " |x [id B]" in text
    assert "log" not in text
    assert debugprint(f, depth=1, file="str").strip() == "softplus [id A] ''   0"
