"""Drawing graphs: DOT source for small graphs, SVG when Graphviz is installed, big graphs collapsed."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest
from markers import needs_dot

from autograd import Tensor, Value, weighted_sum
from autograd.tensor import where
from autograd.viz import COLORS, INSTALL_HINT, draw, format_array, node_kind, op_text, render_svg, save


def _lecture_perceptron():
    x1, x2 = Value(-1.0, label="x1"), Value(2.0, label="x2")
    w1, w2 = Value(3.0, label="w1"), Value(-2.0, label="w2")
    z = w1 * x1 + w2 * x2 + 1.0
    z.label = "z"
    y = z.sigmoid()
    y.label = "y_hat"
    y.backward()
    return x1, w1, z, y


def _node_lines(src: str) -> dict[str, str]:
    """node id -> its attribute text, from DOT source."""
    found = {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\w+) \[(.*)\]$", src, re.M)}
    return {k: v for k, v in found.items() if k not in ("graph", "node", "edge")}


def _label(attrs: str) -> str:
    """The label attribute of one node line, unquoted."""
    m = re.search(r'label=("(?:[^"\\]|\\.)*"|\S+)', attrs)
    return m.group(1).strip('"')


def _by_label(nodes: dict[str, str], start: str) -> str:
    (hit,) = [v for v in nodes.values() if _label(v).startswith(start)]
    return hit


def _edges(src: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", src, re.M)


def test_value_nodes_show_label_data_grad_and_op_nodes_the_op() -> None:
    x1, w1, z, y = _lecture_perceptron()
    src = draw(y).source
    nodes = _node_lines(src)
    assert 'label="{ y_hat | data 0.0025 | grad 1.0000 }"' in nodes["n9"]
    assert any("{ w1 | data 3.0000 | grad -0.0025 }" in v for v in nodes.values())  # dy/dw1 = x1 g'(-6)
    assert "label=sigmoid" in nodes["n9op"]
    ops = sorted(_label(v) for k, v in nodes.items() if k.endswith("op"))
    assert ops == ["*", "*", "+", "+", "sigmoid"]
    # 10 nodes; 4 binary ops + 1 unary = 9 slot edges, plus 5 edges from an op to its result
    assert len(nodes) == 15 and len(_edges(src)) == 14
    assert src.startswith("digraph chainrule {") and "rankdir=LR" in src


def test_show_selects_the_fields() -> None:
    *_, y = _lecture_perceptron()
    nodes = _node_lines(draw(y, show=("label",), rankdir="TB").source)
    assert 'label="{ y_hat }"' in nodes["n9"]
    assert "grad" not in "".join(nodes.values())


def test_a_plus_a_draws_two_edges() -> None:
    a = Value(2.0, label="a")
    y = a + a
    y.backward()
    src = draw(y).source
    assert _edges(src).count(("n0", "n1op")) == 2
    assert "grad 2.0000" in _node_lines(src)["n0"]


def test_nodes_that_need_no_gradient_say_constant_even_with_grad_text() -> None:
    x = Value(2.0, label="x")
    y = (x * 3.0).exp()
    w = Tensor(np.array([0.5, 2.0]), requires_grad=True, label="w")
    t = (Tensor(np.array([1.0, -1.0]), label="d") * w).sum()
    y.backward()
    t.backward()
    asked = []

    def grad_text(node):
        asked.append(node)
        return "seen"

    for root, const in ((y, "{ data 3.0000 | constant }"), (t, '"d (2,) float64 | data [1, -1] | constant"')):
        for src in (draw(root).source, draw(root, grad_text=grad_text).source):
            assert any(const in v for v in _node_lines(src).values())
            assert "grad 0.0000" not in src and "grad None" not in src
    assert asked and all(n.requires_grad for n in asked)  # grad_text is never asked about a constant
    assert "{ x | data 2.0000 | grad seen }" in draw(y, grad_text=grad_text).source


def test_collapsed_counts_are_pluralised() -> None:
    x = Value(0.5, label="x")
    y = (x.tanh() * 2.0).exp()  # x, tanh, 2.0, *, exp: 5 nodes
    one = draw(y, max_nodes=4).source
    assert "… 1 more node" in _node_lines(one)["more"] and "1 more nodes" not in one
    assert "showing the 4 nodes nearest the output of 5; 1 more is drawn as one node" in one
    two = draw(y, max_nodes=1).source
    assert "… 4 more nodes" in _node_lines(two)["more"]
    assert "showing the 1 node nearest the output of 5; 4 more are drawn as one node" in two


def test_highlight_marks_nodes_and_single_slot_edges() -> None:
    a = Value(2.0, label="a")
    y = a * a
    src = draw(y, highlight=[y, (y, 1)]).source
    lines = [ln.strip() for ln in src.splitlines()]
    slot_edges = [ln for ln in lines if ln.startswith("n0 -> n1op")]
    assert slot_edges == ["n0 -> n1op", f'n0 -> n1op [color="{COLORS["highlight"]}" penwidth=3]']
    assert f'color="{COLORS["highlight"]}"' in _node_lines(src)["n1"]
    assert "penwidth" not in _node_lines(src)["n0"]


def test_kinds_are_visually_distinct() -> None:
    W = Tensor(np.ones((2, 2)), requires_grad=True, label="W")
    x = Tensor(np.ones((1, 2)), label="x")
    k = Value(1.0, label="layer.k")
    y = (x @ W).sum()
    assert [node_kind(n, y) for n in (W, x, y)] == ["parameter", "input", "output"]
    assert node_kind(k) == "parameter" and node_kind(Value(1.0, "w")) == "parameter"
    assert node_kind(Value(3.0)) == "input"
    nodes = _node_lines(draw(y).source)
    W_line, x_line = _by_label(nodes, "W ("), _by_label(nodes, "x (")
    assert COLORS["parameter"] in W_line and COLORS["input"] in x_line and "dashed" in x_line
    assert COLORS["output"] in nodes["n3"] and "bold" in nodes["n3"]
    assert COLORS["intermediate"] in nodes["n2"]
    legend = draw(y, legend=True).source
    assert "subgraph cluster_legend" in legend and "parameter / leaf" in legend and "input / constant" in legend


def test_tensor_nodes_show_shape_dtype_small_values_and_large_summaries() -> None:
    small = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), requires_grad=True, label="s")
    big = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, label="big")
    y = small.sum() + big.sum(axis=1).mean()
    y.backward()
    nodes = _node_lines(draw(y).source)
    text = "\n".join(nodes.values())
    # rankdir LR: no outer braces, so a tensor's fields stack one under another and the picture stays narrow
    assert '"s (2, 2) float32 | data [[1, 2], [3, 4]] | grad [[1, 1], [1, 1]]"' in text
    assert '"big (3, 4) float64 | data mean 5.5000 std 3.4521 min 0.0000 max 11.0000 |' in text
    tb = draw(y, rankdir="TB").source  # TB: braces flip the record so the fields stack again
    assert "{ s (2, 2) float32 | data [[1, 2], [3, 4]] | grad [[1, 1], [1, 1]] }" in tb
    ops = sorted(_label(v) for k, v in nodes.items() if k.endswith("op"))
    assert ops == ["+", "mean", "sum", "sum(axis=1)"]


def test_op_text_shows_constant_arguments() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True, label="x")
    y = ((x**2).reshape(3, 2).transpose()[0].leaky_relu(0.1).softmax(axis=0)).max(axis=0, keepdims=True)
    labels = [_label(v) for k, v in _node_lines(draw(y).source).items() if k.endswith("op")]
    assert labels == ["**2", "reshape(3, 2)", "transpose(1, 0)", "[0]", "LeakyReLU(0.1)", "softmax(axis=0)",
                      "max(axis=0, keepdims)"]


def _clusters(src: str) -> dict[str, str]:
    """cluster title -> the DOT text of its box (nested boxes included), from DOT source."""
    out = {}
    for m in re.finditer(r"subgraph (cluster_\d+) \{", src):
        depth, i = 1, m.end()
        while depth:  # the matching brace
            depth += {"{": 1, "}": -1}.get(src[i], 0)
            i += 1
        body = src[m.end(): i - 1]
        out[re.search(r"\blabel=(\"[^\"]*\"|\S+)", body).group(1).strip('"')] = body
    return out


def test_clusters_group_dotted_labels_by_module() -> None:
    W1 = Value(0.5, label="dense1.W")
    b1 = Value(0.1, label="dense1.b")
    W2 = Value(-1.0, label="layers.0.W")
    y = (W1 * 2.0 + b1) * W2
    src = draw(y, title="a caption").source
    boxes = _clusters(src)
    assert set(boxes) == {"dense1", "layers.0"}
    dense, layers = boxes["dense1"], boxes["layers.0"]
    # inside its module's box a parameter shows the rest of its name; the ops that read it sit in the box too
    assert "{ W | data 0.5000" in dense and "{ b | data 0.1000" in dense and "layers" not in dense
    assert "label=\"*\"" in dense and "label=\"+\"" in dense
    assert "{ W | data -1.0000" in layers and "dense1" not in layers
    # the caption sits at the bottom; box titles must stay on top (Graphviz would inherit labelloc=b)
    assert src.count("labelloc=t") == 2 and "labelloc=b" in src
    flat = draw(y, cluster=False).source
    assert "subgraph" not in flat and "{ dense1.W | data 0.5000" in flat


def test_mlp_clusters_nest_neurons_in_layers_with_list_indices_in_the_name() -> None:
    # nn.MLP's Value neurons label their weights layers.<l>.neurons.<j>.w.<i>: w.0, w.1 and b are one neuron
    ps = {name: Value(v, label=name) for v, name in [
        (0.5, "layers.0.neurons.0.w.0"), (-0.5, "layers.0.neurons.0.w.1"), (0.1, "layers.0.neurons.0.b"),
        (0.3, "layers.0.neurons.1.w.0"), (0.7, "layers.0.neurons.1.w.1"), (0.2, "layers.0.neurons.1.b"),
        (1.5, "layers.1.neurons.0.w.0"), (-2.0, "layers.1.neurons.0.w.1"), (0.0, "layers.1.neurons.0.b")]}
    x = [Value(1.0, label="x1"), Value(2.0, label="x2")]

    def neuron(prefix, inputs):
        return weighted_sum([ps[f"{prefix}.w.{i}"] for i in range(2)], inputs, ps[f"{prefix}.b"]).tanh()

    h = [neuron(f"layers.0.neurons.{j}", x) for j in range(2)]
    loss = (neuron("layers.1.neurons.0", h) - 1.0) ** 2
    loss.backward()
    src = draw(loss).source
    boxes = _clusters(src)
    assert set(boxes) == {"layers.0", "layers.1", "neurons.0", "neurons.1"}  # nested boxes: relative titles
    assert boxes["layers.0"].count("subgraph cluster_") == 2 and boxes["layers.1"].count("subgraph cluster_") == 1
    neuron0 = boxes["layers.0"][boxes["layers.0"].index("label=\"neurons.0\""):]
    assert all(f"{{ {n} | data" in src for n in ("w.0", "w.1", "b"))
    assert "label=\"layers.0.neurons" not in src and "layers" not in "".join(_node_lines(src).values())
    assert "b + Σ w·x" in neuron0.split("}")[0] or "b + Σ w·x" in boxes["layers.0"]
    assert "x1 |" not in "".join(boxes.values())  # inputs stay outside every box


def test_unlabelled_intermediate_nodes_show_the_name_steps_and_explain_use() -> None:
    x = Value(0.5, label="x")
    y = (x * 2.0).tanh()
    nodes = _node_lines(draw(y).source)
    assert "{ #2 | data 1.0000" in nodes["n2"] and "{ #3 | data" in nodes["n3"]
    assert "{ x | data" in nodes["n0"] and "{ data 2.0000 | constant }" in nodes["n1"]  # leaves: no #
    assert "#" not in _label(_node_lines(draw(y, show=("data",)).source)["n2"])


def test_negative_zero_prints_as_zero() -> None:
    assert format_array(-0.0) == "0.0000" and format_array(np.array([-0.0, 1.5])) == "[0, 1.5]"
    w = Value(-1.0, label="w")
    y = (w * 0.0).tanh()
    y.backward()
    assert "grad 0.0000" in draw(y).source and "-0.0000" not in draw(y).source


def test_highlight_mapping_colours_items_and_edge_labels_are_written() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = a * b
    src = draw(y, highlight={y: "#123456", (y, 1): "#abcdef"}, edge_labels={(y, 1): "dy/db = 2"}).source
    nodes = _node_lines(src)
    assert 'color="#123456"' in nodes["n2"]
    b_id = next(k for k, v in nodes.items() if "{ b |" in v)
    a_id = next(k for k, v in nodes.items() if "{ a |" in v)
    assert (f'{b_id} -> n2op [label="dy/db = 2" color="#abcdef" fontcolor="#abcdef" fontname=Helvetica '
            "fontsize=10 penwidth=3]") in src
    assert f"{a_id} -> n2op\n" in src  # the other slot is plain
    assert 'n2op -> n2 [color="#abcdef" penwidth=3]' in src  # the op's result edge takes the slot's colour


def test_op_text_of_where_and_masks() -> None:
    x = Tensor(np.arange(9.0).reshape(3, 3) - 2, requires_grad=True, label="x")
    small = where(np.array([True, False, True]), x, 0.0)  # a small condition shows its values
    big = where(x.data > 0, x, x * 0.1)
    masked = x[x.data > 0]
    assert [op_text(t) for t in (small, big, masked)] == ["where([True, False, True])", "where(cond(3, 3))",
                                                          "[mask(3, 3)]"]


def test_record_special_characters_are_escaped() -> None:
    a = Value(1.0, label="a|b {c} <d>")
    src = draw(a * 2).source
    assert r"a\|b \{c\} \<d\>" in src


def test_same_graph_gives_byte_identical_source_in_another_process() -> None:
    program = textwrap.dedent(
        """
        import numpy as np
        from autograd import Value, Tensor
        from autograd.viz import draw
        rng = np.random.default_rng(3)
        xs = [Value(float(v), label=f"m{i % 3}.x{i}") for i, v in enumerate(rng.standard_normal(12))]
        y = xs[0]
        for i, x in enumerate(xs[1:]):
            y = (y * x + xs[i // 2]).tanh() if i % 2 else y + x * x
        y.backward()
        W = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="W")
        t = (Tensor(rng.standard_normal((4, 3))) @ W + 1.0).relu().sum()
        t.backward()
        print(draw(y).source + draw(t, legend=True).source, end="")
        """
    )
    runs = [
        subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}, cwd=str(_repo())).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and "label=m1" in runs[0] and "{ x4 | data" in runs[0]


def _repo():
    import pathlib

    return pathlib.Path(__file__).resolve().parents[2]


def test_hundred_thousand_nodes_draw_collapsed_without_recursion() -> None:
    x = Value(0.5, label="x")
    y = x
    for i in range(50_000):  # 50,000 ops + 50,000 constants = 100,001 nodes
        y = y * 1.0001 if i % 2 else y + 0.001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk would fail at once
    try:
        g = draw(y, max_nodes=300)
    finally:
        sys.setrecursionlimit(limit)
    src = g.source
    nodes = _node_lines(src)
    data_nodes = [k for k in nodes if re.fullmatch(r"n\d+", k)]
    assert len(data_nodes) == 300
    assert "… 99701 more nodes" in nodes["more"]
    assert "showing the 300 nodes nearest the output of 100001" in src
    assert "n100000" in nodes  # the root is kept


def test_bad_arguments_are_named() -> None:
    y = Value(1.0) * 2
    with pytest.raises(ValueError, match="max_nodes must be at least 1, got 0"):
        draw(y, max_nodes=0)
    with pytest.raises(ValueError, match="rankdir must be 'LR', 'RL', 'TB' or 'BT', got 'XY'"):
        draw(y, rankdir="XY")
    with pytest.raises(ValueError, match=r"show may hold 'label', 'data', 'grad'; got \['value'\]"):
        draw(y, show=("value",))


def test_format_array() -> None:
    assert format_array(0.5) == "0.5000" and format_array(1e-7) == "1.000e-07"
    assert format_array(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert format_array(np.zeros((0, 3))) == "[]"
    assert format_array(np.arange(10.0)).startswith("mean 4.5000 std 2.8723 min 0.0000 max 9.0000")


def test_rendering_without_dot_says_how_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no 'dot' anywhere
    g = draw(Value(1.0, label="a") * 2)
    assert "digraph" in g.source  # building works
    with pytest.raises(RuntimeError, match="apt-get install graphviz") as e:
        render_svg(g)
    assert isinstance(e.value.__cause__, graphviz.ExecutableNotFound)
    with pytest.raises(RuntimeError, match="brew install graphviz"):
        save(g, str(tmp_path / "g.png"))
    assert save(g, str(tmp_path / "g.dot")).endswith("g.dot")
    assert (tmp_path / "g.dot").read_text() == g.source
    assert "graph.source" in INSTALL_HINT


@needs_dot
def test_svg_is_valid_and_contains_the_labels(tmp_path) -> None:
    *_, y = _lecture_perceptron()
    svg = render_svg(draw(y, highlight=[y], legend=True))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = {t.text for t in root.iter() if t.tag.endswith("text")}
    assert {"y_hat", "w1", "x1", "sigmoid", "data 0.0025", "grad 1.0000", "legend"} <= texts
    path = save(draw(y), str(tmp_path / "g.svg"))
    ET.parse(path)
