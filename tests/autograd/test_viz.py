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
from autograd.viz import COLORS, INSTALL_HINT, draw, format_array, graph_order, node_kind, op_text, render_svg, save


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


def _caption(src: str) -> str:
    """The caption under a picture as one line of text (its wrapped lines joined)."""
    return " ".join(t.strip() for t in re.findall(r'<td align="left" balign="left">(.*?)</td>', src))


def _edges(src: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", src, re.M)


def test_value_nodes_show_label_data_grad_and_op_nodes_the_op() -> None:
    x1, w1, z, y = _lecture_perceptron()
    src = draw(y).source
    nodes = _node_lines(src)
    # rankdir LR (chosen: it fits): no braces, so a node's fields stack and its column stays narrow
    assert 'label="y_hat | data 0.0025 | grad 1.0000"' in nodes["n9"]
    assert any('"w1 | data 3.0000 | grad -0.0025"' in v for v in nodes.values())  # dy/dw1 = x1 g'(-6)
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

    for root, const in ((y, '"data 3.0000 | constant"'), (t, '"d (2,) float64 | data [1, -1] | constant"')):
        for src in (draw(root).source, draw(root, grad_text=grad_text).source):
            assert any(const in v for v in _node_lines(src).values())
            assert "grad 0.0000" not in src and "grad None" not in src
    assert asked and all(n.requires_grad for n in asked)  # grad_text is never asked about a constant
    assert '"x | data 2.0000 | grad seen"' in draw(y, grad_text=grad_text).source


def test_collapsed_counts_are_pluralised() -> None:
    x = Value(0.5, label="x")
    y = (x.tanh() * 2.0).exp()  # x, tanh, 2.0, *, exp: 5 nodes
    one = draw(y, max_nodes=4).source
    assert "… 1 more node" in _node_lines(one)["more"] and "1 more nodes" not in one
    assert "showing the 4 nodes nearest the output of 5; 1 more is drawn as one node" in _caption(one)
    two = draw(y, max_nodes=1).source
    assert "… 4 more nodes" in _node_lines(two)["more"]
    assert "showing the 1 node nearest the output of 5; 4 more are drawn as one node" in _caption(two)


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
    assert node_kind(Value(3.0)) == "constant"  # an unlabelled number: a constant, not an input
    assert node_kind(Value(3.0, label="x1") * 1.0) == "intermediate"
    from autograd.value import Constant
    assert node_kind(Constant(1.0, label="x1")) == "input" and node_kind(Constant(2.0)) == "constant"
    nodes = _node_lines(draw(y).source)
    W_line, x_line = _by_label(nodes, "W ("), _by_label(nodes, "x (")
    assert COLORS["parameter"] in W_line and COLORS["input"] in x_line and "dashed" in x_line
    assert COLORS["output"] in nodes["n3"] and "bold" in nodes["n3"]
    assert COLORS["intermediate"] in nodes["n2"]
    legend = draw(y, legend=True).source
    assert all(w in legend for w in ("parameter (learned)", "input (data)", "constant", "output", "highlighted"))
    assert "parameter (learned)" not in draw(y, legend=False).source
    assert "parameter (learned)" not in draw(y).source  # outside IPython the legend is off by default


def test_tensor_nodes_show_shape_dtype_small_values_and_large_summaries() -> None:
    small = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), requires_grad=True, label="s")
    big = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, label="big")
    y = small.sum() + big.sum(axis=1).mean()
    y.backward()
    nodes = _node_lines(draw(y).source)
    text = "\n".join(nodes.values())
    # rankdir LR: no outer braces, so a tensor's fields stack one under another and the picture stays narrow
    assert '"s (2, 2) float32 | data [[1, 2], [3, 4]] | grad [[1, 1], [1, 1]]"' in text
    # a long summary takes two lines (\n in a record label): the column stays narrow
    assert '"big (3, 4) float64 | data mean 5.5000 std 3.4521\\nmin 0.0000 max 11.0000 |' in text
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
    # a Sequential's layers.0.W has a lecture name, W[1], and needs no box; dense1 is only a name: boxed
    assert set(boxes) == {"dense1"}
    dense = boxes["dense1"]
    # inside its module's box a parameter shows the rest of its name; the ops that read it sit in the box too
    assert '"W | data 0.5000' in dense and '"b | data 0.1000' in dense and "layers" not in dense
    assert "label=\"*\"" in dense and "label=\"+\"" in dense
    assert '"W[1] | data -1.0000' in src and "W[1]" not in dense
    # the caption sits at the bottom; box titles must stay on top (Graphviz would inherit labelloc=b)
    assert src.count("labelloc=t") == 1 and "labelloc=b" in src
    flat = draw(y, cluster=False).source
    assert "subgraph" not in flat and '"dense1.W | data 0.5000' in flat


def test_mlp_parameters_and_neurons_are_named_as_the_lecture_writes_them() -> None:
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
    # w[k]_{j,i}: from input j (0: the bias) to neuron i of layer k, 1-based as the formulas count
    heads = sorted(_label(v).strip("{ }").split(" | ")[0].replace("\\", "")
                   for k, v in _node_lines(src).items() if not k.endswith("op"))
    assert heads == ["#1", "J", "data 1.0000", "h[1]_1", "h[1]_2", "h[2]_1", "w[1]_{0,1}", "w[1]_{0,2}",
                     "w[1]_{1,1}", "w[1]_{1,2}", "w[1]_{2,1}", "w[1]_{2,2}", "w[2]_{0,1}", "w[2]_{1,1}",
                     "w[2]_{2,1}", "x1", "x2", "z[1]_1", "z[1]_2", "z[2]_1"]
    assert "subgraph" not in src and "layers" not in src  # the names say where a weight belongs: no boxes


def test_unlabelled_intermediate_nodes_show_the_name_steps_and_explain_use() -> None:
    x = Value(0.5, label="x")
    y = (x * 2.0).tanh()
    nodes = _node_lines(draw(y).source)
    # numbered per graph in topological order (#1), the unlabelled root is J: the same in every process
    assert '"#1 | data 1.0000' in nodes["n2"] and '"J | data' in nodes["n3"]
    assert '"x | data' in nodes["n0"] and '"data 2.0000 | constant"' in nodes["n1"]  # leaves: no #
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
    b_id = next(k for k, v in nodes.items() if "\"b |" in v)
    a_id = next(k for k, v in nodes.items() if "\"a |" in v)
    assert (f'{b_id} -> n2op [color="#abcdef" fontcolor="#abcdef" fontname=Helvetica fontsize=10 penwidth=3 '
            'xlabel="dy/db = 2"]') in src  # an xlabel: placed after the layout, it never spreads the ranks
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
    assert "showing the 300 nodes nearest the output of 100001" in _caption(src)
    assert "n100000" in nodes  # the root is kept


def test_bad_arguments_are_named() -> None:
    y = Value(1.0) * 2
    with pytest.raises(ValueError, match="max_nodes must be at least 1, got 0"):
        draw(y, max_nodes=0)
    with pytest.raises(ValueError, match=r"rankdir must be 'LR', 'RL', 'TB', 'BT' or None \(choose\), got 'XY'"):
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
    assert {"y_hat", "w1", "x1", "sigmoid", "data 0.0025", "grad 1.0000", "parameter (learned)"} <= texts
    path = save(draw(y), str(tmp_path / "g.svg"))
    ET.parse(path)


# ------------------------------------------------------------------------------------------------------------
# Pictures that fit a notebook cell (about 1,000 px, 1 px per pt), in the lecture's notation
# ------------------------------------------------------------------------------------------------------------


def _nn_graphs():
    """The lecture's perceptron (by hand and from nn), a 2-3-1 MLP's loss, and a Dense 2-16-16-1 loss on a batch."""
    import nn

    x1, w0, z, y = None, None, None, None
    x1, x2 = Value(-1.0, label="x1"), Value(2.0, label="x2")
    w0, w1, w2 = Value(1.0, label="w0"), Value(3.0, label="w1"), Value(-2.0, label="w2")
    z = w0 + x1 * w1 + x2 * w2
    z.label = "z"
    y = z.sigmoid()
    y.label = "y_hat"
    p = nn.Perceptron(2, activation="sigmoid", w0=1.0, W=(3.0, -2.0))([-1.0, 2.0])
    mlp = (nn.MLP(2, [3, 1], rng=0)([1.0, -2.0]) - 1.0) ** 2
    model = nn.Sequential(nn.Dense(2, 16, activation="relu", rng=0), nn.Dense(16, 16, activation="relu", rng=1),
                          nn.Dense(16, 1, rng=2))
    batch = Tensor(np.random.default_rng(0).normal(size=(8, 2)))
    seq = nn.MSELoss()(model(batch), Tensor(np.zeros((8, 1))))
    return {"perceptron": y, "nn.Perceptron": p, "MLP 2-3-1": mlp, "Sequential 2-16-16-1": seq}


def _svg_size(graph) -> tuple[float, float, list[float]]:
    svg = render_svg(graph)
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return float(m.group(1)), float(m.group(2)), sizes


@needs_dot
@pytest.mark.parametrize("legend", [False, True])
def test_the_lecture_pictures_fit_1000_pt_with_text_of_at_least_10_pt(legend) -> None:
    from autograd.stepper import Stepper
    from autograd.stepping import backward_steps

    for name, root in _nn_graphs().items():
        width, _, fonts = _svg_size(draw(root, legend=legend))
        assert width <= 1000, f"{name}: {width} pt wide"
        assert fonts and min(fonts) >= 10, f"{name}: text of {min(fonts)} pt"
        steps = list(backward_steps(root))  # the gradients are in now: the plain picture as the steps see it
        plain, _, _ = _svg_size(draw(root, legend=legend))
        for step in (steps[0], steps[len(steps) // 2], steps[-1]):
            w, _, fonts = _svg_size(step.draw(legend=legend))
            assert w <= plain, f"{name}, step {step.index}: {w} pt, the plain drawing {plain} pt"
            assert min(fonts) >= 10
        w, _, _ = _svg_size(Stepper(root).draw(1, legend=legend))
        assert w <= plain


@needs_dot
def test_explain_pictures_are_no_wider_than_the_plain_drawing() -> None:
    from autograd import explain

    graphs = _nn_graphs()
    y = graphs["perceptron"]
    y.backward()
    w1 = next(n for n in graph_order(y) if n.label == "w1")
    plain, _, _ = _svg_size(draw(y))
    assert _svg_size(explain(y, w1).draw())[0] <= plain


def test_a_user_still_chooses_rankdir_and_size() -> None:
    root = _nn_graphs()["MLP 2-3-1"]
    assert "rankdir=TB" in draw(root, rankdir="TB").source and "rankdir=LR" in draw(root, rankdir="LR").source
    assert 'size="4,3"' in draw(root, size="4,3").source and 'size="' not in draw(root).source
    big = _nn_graphs()["Sequential 2-16-16-1"]  # a chain of wide tensor nodes: too wide left to right
    assert "rankdir=TB" in draw(big).source


def test_the_same_network_built_twice_gives_byte_identical_dot() -> None:
    first = {k: draw(v).source for k, v in _nn_graphs().items()}
    second = {k: draw(v).source for k, v in _nn_graphs().items()}
    assert first == second
    src = first["MLP 2-3-1"]
    assert src.count('"x1 |') == 1 and src.count('"x2 |') == 1  # each input once, shared by the 3 neurons


def test_inputs_are_lifted_once_and_shared_by_every_neuron() -> None:
    import nn

    out = nn.MLP(2, [3, 1], rng=0)([1.0, -2.0])
    xs = [n for n in graph_order(out) if n.label in ("x1", "x2")]
    assert [n.label for n in xs] == ["x1", "x2"] or sorted(n.label for n in xs) == ["x1", "x2"]
    assert len(xs) == 2 and all(not n.requires_grad for n in xs)
    assert all(node_kind(n) == "input" for n in xs)


def test_neurons_and_their_weights_are_emitted_in_index_order() -> None:
    src = draw(_nn_graphs()["MLP 2-3-1"]).source
    heads = [m.group(1) for m in re.finditer(r'label="(?:\{ )?([^|"]+?) \|', src)]
    firsts = [h for h in heads if h.startswith(("z[1]", "h[1]"))]
    assert firsts == ["z[1]_1", "h[1]_1", "z[1]_2", "h[1]_2", "z[1]_3", "h[1]_3"]
    weights = [h.replace("\\", "") for h in heads if h.startswith("w[1]")]
    assert weights[:3] == ["w[1]_{1,1}", "w[1]_{2,1}", "w[1]_{0,1}"]  # neuron 1 first, in its input slots


def test_the_perceptron_reads_w0_w1_w2_and_steps_name_the_root() -> None:
    from autograd.stepping import backward_steps

    p = _nn_graphs()["nn.Perceptron"]
    src = draw(p).source
    assert all(f'"{n} |' in src for n in ("w0", "w1", "w2", "x1", "x2", "z", "y_hat"))
    steps = list(backward_steps(p))
    assert str(steps[0]).startswith("step 0: y_hat = sigmoid(z) | upstream dy_hat/dy_hat = 1")
    assert "dy_hat/dz = " in str(steps[1])


def test_the_legend_is_on_by_default_in_a_notebook(monkeypatch) -> None:
    import types

    from autograd import style

    y = Value(2.0, label="w") * Value(3.0, label="x")
    assert "parameter (learned)" not in draw(y).source
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: object()  # a running shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert style.in_notebook()
    assert "parameter (learned)" in draw(y).source and "parameter (learned)" not in draw(y, legend=False).source


def test_the_palette_is_okabe_ito_and_kinds_differ() -> None:
    from autograd import style

    kinds = ("parameter", "input", "constant", "intermediate", "output")
    assert len({COLORS[k] for k in kinds}) == 5 and len({style.BORDERS[k] for k in kinds}) == 5
    assert COLORS["highlight"] == style.OKABE_ITO["vermillion"] and style.BORDERS["parameter"] == "#0072b2"


def test_lecture_names_are_display_only_and_state_dict_keys_stay() -> None:
    import nn

    p = nn.Perceptron(2, w0=1.0, W=(3.0, -2.0))
    assert p.lecture_names() == {"w0": "w0", "W.0": "w1", "W.1": "w2"}
    m = nn.MLP(2, [3, 1], rng=0)
    names = m.lecture_names()
    assert names["layers.0.neurons.1.w.0"] == "w[1]_{1,2}" and names["layers.1.neurons.0.b"] == "w[2]_{0,1}"
    assert list(names) == [k for k, _ in m.named_parameters()] == list(m.state_dict())
    assert all(p.label == k for k, p in m.named_parameters())  # labels stay the dotted keys
    s = nn.Sequential(nn.Dense(2, 3, rng=0), nn.Dense(3, 1, rng=1))
    assert s.lecture_names() == {"layers.0.W": "W[1]", "layers.0.b": "b[1]", "layers.1.W": "W[2]",
                                 "layers.1.b": "b[2]"}
