"""Explaining a gradient: the sum over paths of the products of local derivatives equals backward's."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from graphs import value_graphs
from hypothesis import given
from hypothesis import strategies as st

from autograd import Tensor, Value, topological_order, weighted_sum
from autograd.explain import FACTOR_COLORS, explain


@st.composite
def leaf_and_root(draw):
    """A random Value graph (tests/support/graphs.py) and one of its leaves."""
    leaves, root = draw(value_graphs(max_leaves=3, max_ops=14))
    return leaves[draw(st.integers(0, len(leaves) - 1))], root


def _fresh_grad(root: Value, node: Value) -> float:
    for n in topological_order(root):
        n.zero_grad()
    root.backward()
    return node.grad


@given(leaf_and_root())
def test_sum_over_paths_equals_backward(graph) -> None:
    leaf, root = graph
    e = explain(root, leaf, max_paths=10_000)
    grad = _fresh_grad(root, leaf)
    assert e.count == len(e.paths)
    listed = [p.product for p in e.paths]
    scale = max(abs(grad), math.fsum(abs(c) for c in listed))  # reassociating a sum: relative to its terms
    assert abs(e.listed_sum - grad) <= 1e-12 * scale
    assert abs(e.total - grad) <= 1e-12 * scale
    for p in e.paths:  # each product is the product of its factors, each factor the rule's output at upstream 1
        assert p.product == pytest.approx(math.prod(f.value for f in p.factors), rel=1e-12, abs=0)
        assert p.factors[0].child is root and p.factors[-1].parent is leaf
        for f in p.factors:
            assert f.parent is f.child.parents[f.slot] and f.formula in f.child.op.formula
    mags = [abs(c) for c in listed]
    assert mags == sorted(mags, reverse=True)


@given(leaf_and_root(), st.integers(1, 3))
def test_capped_listing_is_the_largest_and_the_rest_adds_up(graph, cap) -> None:
    leaf, root = graph
    full = explain(root, leaf, max_paths=10_000)
    e = explain(root, leaf, max_paths=cap)
    assert e.count == full.count and len(e.paths) == min(cap, full.count)
    top = sorted((abs(p.product) for p in full.paths), reverse=True)[:cap]
    assert [abs(p.product) for p in e.paths] == pytest.approx(top, rel=1e-12)
    assert e.listed_sum + e.rest == pytest.approx(e.total, rel=1e-12, abs=1e-300)
    if e.count > cap:
        assert f"{e.count - cap} more paths not listed (max_paths={cap})" in str(e)


def _lecture_net():
    """x -> z1 = w1 * x -> y_hat = g(z1) -> J = (y - y_hat)^2, the slide's chain."""
    x, w1 = Value(2.0, label="x"), Value(-0.5, label="w1")
    z1 = w1 * x
    z1.label = "z1"
    y_hat = z1.sigmoid()
    y_hat.label = "y_hat"
    J = (1.0 - y_hat) ** 2
    J.label = "J"
    return x, w1, z1, y_hat, J


def test_lecture_example_names_the_slides_factors() -> None:
    x, w1, z1, y_hat, J0 = _lecture_net()
    e = explain(J0, w1)  # J = (1 - y_hat)^2: the unlabelled 1 - y_hat node sits between J and y_hat
    names = [f.name for f in e.paths[0].factors]
    assert names[-2:] == ["dy_hat/dz1", "dz1/dw1"] and names[0].startswith("dJ/d")
    assert e.count == 1 and e.name == "dJ/dw1"
    by = {f.name: f for f in e.paths[0].factors}
    s = 1 / (1 + math.exp(1.0))
    assert by["dy_hat/dz1"].formula == "sigmoid(x) * (1 - sigmoid(x))" and by["dy_hat/dz1"].where == "x = z1"
    assert by["dy_hat/dz1"].value == pytest.approx(s * (1 - s), rel=1e-15)
    assert by["dz1/dw1"].formula == "b" and by["dz1/dw1"].where == "a = w1, b = x" and by["dz1/dw1"].value == 2.0
    assert e.total == pytest.approx(-2 * (1 - s) * s * (1 - s) * 2.0, rel=1e-14)
    assert e.total == _fresh_grad(J0, w1)


def test_lecture_example_with_a_direct_loss_node_reads_dj_dy_hat() -> None:
    x, w1 = Value(2.0, label="x"), Value(-0.5, label="w1")
    z1 = weighted_sum([w1], [x])
    z1.label = "z1"
    y_hat = z1.tanh()
    y_hat.label = "y_hat"
    J = y_hat**2
    J.label = "J"
    e = explain(J, w1)
    assert [f.name for f in e.paths[0].factors] == ["dJ/dy_hat", "dy_hat/dz1", "dz1/dw1"]
    assert [f.formula for f in e.paths[0].factors] == ["n * x^(n-1)", "1 - tanh(x)^2", "x_i  (for w_i)"]
    assert e.paths[0].factors[2].where == "i = 1, x_1 = x"
    text = str(e)
    assert text.startswith("dJ/dw1 = ") and "path 1: dJ/dy_hat * dy_hat/dz1 * dz1/dw1 = " in text
    assert "sum over 1 path = " in text
    page = e._repr_html_()
    for color, name in zip(FACTOR_COLORS, ["dJ/dy_hat", "dy_hat/dz1", "dz1/dw1"]):
        assert f'<span style="color:{color};font-weight:bold;border-bottom:3px solid {color}">{name}</span>' in page
    assert FACTOR_COLORS[:3] == ("#0072b2", "#e69f00", "#cc79a7")  # Okabe–Ito: blue, orange, reddish purple
    assert "∋" not in page and "<p>path 1: <span" in page
    src = e.draw(path=0).source
    assert src.count("penwidth=3") >= 7 and "path 1 of 1: dJ/dy_hat * dy_hat/dz1 * dz1/dw1" in src
    # the slide: each factor's edge in its own colour, labelled with its name and value
    for color, text in zip(FACTOR_COLORS, ["dJ/dy_hat = ", "dy_hat/dz1 = ", "dz1/dw1 = 2"]):
        assert re.search(rf'-> n\d+op \[color="{color}" fontcolor="{color}" [^]]*xlabel="{re.escape(text)}[^"]*"', src)


def test_repeated_slots_are_separate_paths() -> None:
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    e = explain(y, a)
    assert e.count == 2
    assert sorted(f.name for p in e.paths for f in p.factors) == ["dy/da [arg 1]", "dy/da [arg 2]"]
    assert [p.product for p in e.paths] == [3.0, 3.0] and e.total == 6.0
    hi = e.draw(path=1).source
    slot_edges = [ln.strip() for ln in hi.splitlines() if ln.strip().startswith("n0 -> n1op")]
    assert len(slot_edges) == 2 and sum("penwidth" in ln for ln in slot_edges) == 1


def test_many_paths_are_counted_without_enumerating() -> None:
    x = Value(0.3, label="x")
    h = x
    for _ in range(80):  # each layer doubles the paths: 2**80 of them
        h = (h + h) * 0.5
    h.label = "out"
    e = explain(h, x, max_paths=3)
    assert e.count == 2**80 and len(e.paths) == 3
    assert e.total == pytest.approx(_fresh_grad(h, x), rel=1e-12)
    assert f"{2**80 - 3} more paths not listed (max_paths=3)" in str(e)
    assert "more paths not listed" in e._repr_html_()


def test_mlp_weight_lists_largest_contributions_first() -> None:
    rng = np.random.default_rng(0)
    xs = [Value(float(v), label=f"x{i}") for i, v in enumerate(rng.standard_normal(3))]
    W1 = [[Value(float(rng.standard_normal()), label=f"l1.w{i}{j}") for j in range(3)] for i in range(4)]
    hidden = [weighted_sum(W1[i], xs).tanh() for i in range(4)]
    W2 = [Value(float(rng.standard_normal()), label=f"l2.w{i}") for i in range(4)]
    out = weighted_sum(W2, hidden).sigmoid()
    e = explain(out, xs[0], max_paths=2)
    assert e.count == 4 and len(e.paths) == 2
    full = explain(out, xs[0], max_paths=100)
    assert [abs(p.product) for p in e.paths] == sorted((abs(p.product) for p in full.paths), reverse=True)[:2]
    assert e.listed_sum + e.rest == pytest.approx(_fresh_grad(out, xs[0]), rel=1e-12)


def test_root_itself_and_errors() -> None:
    a = Value(1.0, label="a")
    e = explain(a, a)
    assert e.count == 1 and e.total == 1.0 and e.paths[0].factors == ()
    y = a * 2
    other = explain(y, Value(5.0, label="other"))
    assert other.count == 0 and other.total == 0.0 and other.paths == []
    assert str(other) == "dJ/dother = 0: J does not depend on other (there is no path between them)"
    with pytest.raises(ValueError, match="requires no grad \\(a constant\\)"):
        explain(y, y.parents[1])
    with pytest.raises(ValueError, match="max_paths must be at least 1, got 0"):
        explain(y, a, max_paths=0)
    with pytest.raises(IndexError, match="path 3 is not listed; 1 paths are"):
        explain(y, a).draw(path=3)
    t = Tensor([1.0, 2.0], requires_grad=True)  # a Tensor element is explained with index= (test_explain_tensor)
    with pytest.raises(ValueError, match=r"the node has shape \(2,\); say which element to explain with index="):
        explain((t * t).sum(), t)
