"""Draw a computation graph with Graphviz: every node, every edge, data and gradients.

>>> from autograd import Value
>>> from autograd.viz import draw
>>> a = Value(2.0, label="a")
>>> y = a + a                       # two parent slots, so two edges
>>> g = draw(y)                     # a graphviz.Digraph: shows inline in Jupyter
>>> g.source.count("n0 -> n1op")
2

How a drawing reads (``legend=True`` adds this key to the picture):

=====================  ====================================================================================
node                   drawn as
=====================  ====================================================================================
output (the root)      record box, pink fill ``#f9d5e5``, bold border
parameter / leaf       record box, blue fill ``#cfe2f3``: a leaf that requires grad (a Tensor with
                       ``requires_grad=True``, a labelled Value) or any leaf whose label is a dotted module
                       name such as ``dense1.W``
input / constant       record box, grey fill ``#eeeeee``, dashed border: a Tensor leaf without grad (data),
                       an unlabelled Value leaf (a number such as the 3 in ``3 * x``)
intermediate           record box, white
operation              ellipse, pale yellow ``#fff2cc``, showing the op (``*``, ``tanh``, ``@``,
                       ``sum(axis=1)``); one edge per parent *slot*, so ``a + a`` has two
highlighted            orange ``#e67e22`` border or edge, thicker (a backward step, an explained path)
collapsed              ``… N more nodes`` octagon: the part of a big graph beyond ``max_nodes``
=====================  ====================================================================================

A Value node shows its label, ``data`` and ``grad``; a Tensor node its label, shape and dtype, and its values
when it has at most six elements (otherwise mean, std, min and max), for data and grad alike. A node that never
receives a gradient (``requires_grad`` False: a constant, a data tensor) says ``constant`` in place of a grad.

Node ids are positions in :func:`graph_order` (the engine's topological order plus the data leaves it skips;
``n0`` ... ``n{N-1}``, the root last; the op that made node ``n7`` is ``n7op``), so the same graph gives
byte-identical DOT source in any process. The walk is the engine's own iterative one; a graph of 100,000 nodes
draws (collapsed beyond ``max_nodes``) without recursion.

Building a drawing needs only the ``graphviz`` Python package; rendering it to SVG/PNG needs Graphviz's
``dot`` program: :func:`render_svg` and :func:`save` say how to install it when it is missing.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import graphviz

from .engine import Node, topological_order
from .notation import format_array

__all__ = ["draw", "graph_order", "render_svg", "save", "node_kind", "op_text", "format_array", "COLORS",
           "INSTALL_HINT", "module_of"]

#: fill colours of the node kinds (see the module docstring)
COLORS = {
    "output": "#f9d5e5",
    "parameter": "#cfe2f3",
    "input": "#eeeeee",
    "intermediate": "#ffffff",
    "op": "#fff2cc",
    "highlight": "#e67e22",
    "collapsed": "#f4f4f4",
}

INSTALL_HINT = (
    "Graphviz's 'dot' program is needed to render a drawing (graph.source, the DOT text, works without it). "
    "Install it with 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS), "
    "'conda install -c conda-forge graphviz' or from https://graphviz.org/download/ (Windows), then retry."
)



# ------------------------------------------------------------------------------------------------------------
# Text of nodes
# ------------------------------------------------------------------------------------------------------------


def _esc_record(s: str) -> str:
    """Escape the characters a Graphviz record label treats as structure."""
    s = s.replace("\\", "\\\\")
    return re.sub(r'([{}|<>"])', r"\\\1", s)


def _count(n: int, noun: str) -> str:
    """``'1 node'``, ``'2 nodes'``: a count with its noun in the right number."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def node_kind(node: Node, root: Node | None = None) -> str:
    """``'output'``, ``'parameter'``, ``'input'`` or ``'intermediate'`` (how :func:`draw` colours a node)."""
    if node is root:
        return "output"
    if node._fn is not None:
        return "intermediate"
    label = node.label or ""
    if "." in label:
        return "parameter"
    if hasattr(node.data, "shape"):  # a Tensor: requires_grad is its own flag
        return "parameter" if node.requires_grad else "input"
    return "parameter" if label else "input"


def op_text(node: Node) -> str:
    """The operation that made ``node``, with its constant arguments: ``*``, ``**2``, ``sum(axis=1)`` (the op's
    registered ``text``, else its symbol)."""
    op = node._fn
    return "" if op is None else op.show(node._ctx)


def _node_label(node: Node, show: Collection[str], grad_text: str | None, *, name: str | None = None,
                braces: bool = True) -> str:
    """The record label of a node. ``name`` replaces its label (a short name inside a module's box, ``#7`` for
    an unlabelled intermediate node). ``braces`` flips the record: with rankdir LR its fields sit side by side
    (Values, as in micrograd), without them one under another (Tensors, whose summaries are long)."""
    fields = []
    is_tensor = hasattr(node.data, "shape")
    if "label" in show or is_tensor:
        head = (name if name is not None else node.label or "") if "label" in show else ""
        if is_tensor:
            head = (head + " " if head else "") + f"{tuple(node.data.shape)} {node.data.dtype}"
        if head:
            fields.append(head)
    if "data" in show:
        fields.append("data " + format_array(node.data))
    if "grad" in show:
        if not node.requires_grad:  # a constant or a data tensor: no gradient ever flows to it
            fields.append("constant")
        else:
            fields.append("grad " + (grad_text if grad_text is not None else _grad_text(node.grad)))
    body = " | ".join(_esc_record(f) for f in fields)
    return "{ " + body + " }" if braces else body


def _grad_text(g: Any) -> str:
    return "None" if g is None else format_array(g)


# ------------------------------------------------------------------------------------------------------------
# Drawing
# ------------------------------------------------------------------------------------------------------------


def graph_order(root: Node) -> list[Node]:
    """:func:`autograd.engine.topological_order` plus the leaves it leaves out because no gradient flows to them
    (data tensors, constants), each placed just before its first consumer. A drawing's node ``n{i}`` is
    ``graph_order(root)[i]``."""
    order = topological_order(root)
    full: list[Node] = []
    seen: set[Node] = set(order)
    for node in order:
        for p in node._parents:
            if p not in seen:  # a parent the engine skipped: a leaf that requires no grad
                seen.add(p)
                full.append(p)
        full.append(node)
    return full


def _nearest(root: Node, limit: int) -> set[Node]:
    """The ``limit`` nodes closest to ``root`` (breadth first over parents, iterative)."""
    kept = {root}
    queue = deque([root])
    while queue and len(kept) < limit:
        node = queue.popleft()
        for p in node._parents:
            if p not in kept:
                kept.add(p)
                queue.append(p)
                if len(kept) >= limit:
                    break
    return kept


def module_of(label: str | None) -> str | None:
    """The module a dotted parameter label belongs to: ``'dense1.W'`` -> ``'dense1'``,
    ``'layers.0.neurons.1.w.0'`` -> ``'layers.0.neurons.1'`` (an index into a list of weights is part of the
    parameter's name); ``None`` for a plain label such as ``'w1'``."""
    if not label or "." not in label:
        return None
    parts = label.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1]) or None


def _boxes(module: str) -> list[str]:
    """The nested boxes a module is drawn in, outermost first: every prefix that is a module rather than a
    list of them (``layers.0.neurons.1`` -> ``layers.0``, ``layers.0.neurons.1``; ``layers`` and
    ``layers.0.neurons`` only hold numbered items and get no box of their own)."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1) if k == len(parts) or not parts[k].isdigit()]


def _normalise_highlight(highlight: Any, color: str) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """``{id(node): colour}`` and ``{(id(child), slot): colour}`` from a list or a mapping of items."""
    items = highlight.items() if isinstance(highlight, Mapping) else ((h, color) for h in highlight or ())
    nodes: dict[int, str] = {}
    edges: dict[tuple[int, int], str] = {}
    for h, c in items:
        if isinstance(h, tuple):
            edges[(id(h[0]), int(h[1]))] = c
        else:
            nodes[id(h)] = c
    return nodes, edges


def draw(
    root: Node,
    *,
    show: Collection[str] = ("label", "data", "grad"),
    rankdir: str = "LR",
    max_nodes: int = 500,
    highlight: Iterable[Any] | Mapping[Any, str] | None = None,
    cluster: bool = True,
    legend: bool = False,
    grad_text: Callable[[Node], str | None] | None = None,
    title: str | None = None,
    edge_labels: Mapping[tuple[Node, int], str] | None = None,
) -> graphviz.Digraph:
    """The graph of ``root`` as a :class:`graphviz.Digraph` (shows inline in Jupyter; save with :func:`save`).

    ``show``: which of ``"label"``, ``"data"``, ``"grad"`` each node prints (an unlabelled intermediate node is
    named ``#i``, the name steps and explanations use). ``rankdir``: ``"LR"`` (inputs on the left) or ``"TB"``.
    ``max_nodes``: at most this many nodes (the ones nearest the root) are drawn; the rest become one
    ``… N more nodes`` node and the picture says so. ``highlight``: nodes, and edges given as ``(child, slot)``
    pairs (the edge from ``child.parents[slot]`` into ``child``'s op), drawn in orange; or a mapping from such
    items to colours. ``cluster``: draw each module's parameters (labels ``module.name``) in one box per module,
    nested as the modules are, with the operations that read them; inside a box a parameter shows the rest of
    its name (``W`` in the box ``layers.0``). ``legend``: add the colour key. ``grad_text``: optional
    ``node -> str`` overriding the grad shown (``None`` keeps ``node.grad``; it is not asked about nodes that
    need no gradient, which say ``constant``); the stepper uses it to show the gradients known at one step.
    ``title``: a caption under the picture. ``edge_labels``: text written on ``(child, slot)`` edges.
    """
    if max_nodes < 1:
        raise ValueError(f"draw: max_nodes must be at least 1, got {max_nodes}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    unknown = set(show) - {"label", "data", "grad"}
    if unknown:
        raise ValueError(f"draw: show may hold 'label', 'data', 'grad'; got {sorted(unknown)}")
    order = graph_order(root)
    index = {node: i for i, node in enumerate(order)}
    kept = set(order) if len(order) <= max_nodes else _nearest(root, max_nodes)
    hot = COLORS["highlight"]
    hi_nodes, hi_edges = _normalise_highlight(highlight, hot)
    notes = {(id(c), int(s)): t for (c, s), t in (edge_labels or {}).items()}
    tensor_braces = rankdir in ("TB", "BT")  # Tensor fields one under another in either direction

    dot = graphviz.Digraph(name="chainrule", graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", arrowsize="0.7")
    hidden = len(order) - len(kept)
    caption = []
    if title:
        caption.append(title)
    if hidden:
        caption.append(
            f"collapsed: showing the {_count(len(kept), 'node')} nearest the output of {len(order)}; "
            f"{hidden} more {'is' if hidden == 1 else 'are'} drawn as one node (raise max_nodes to see "
            f"{'it' if hidden == 1 else 'them'})"
        )
    if caption:
        dot.attr(label=graphviz.nohtml("\\n".join(c.replace("\\", "\\\\") for c in caption)), labelloc="b")

    # which module box each drawn node (and the op that made it) goes in: a parameter by its label, an
    # operation that reads parameters of one module (and no other's) in that module's box
    home: dict[Node, str] = {}
    if cluster:
        for node in order:
            if node not in kept:
                continue
            m = module_of(node.label)
            if m is None and node._fn is not None:
                owners = {module_of(p.label) for p in node._parents if p._fn is None and p in kept}
                owners.discard(None)
                if len(owners) == 1:
                    m = owners.pop()
            if m is not None:
                home[node] = m
    boxes: dict[str, graphviz.Digraph] = {}
    parent_box: dict[str, str | None] = {}
    for m in dict.fromkeys(home.values()):  # first appearance order: deterministic
        outer = None
        for b in _boxes(m):
            if b not in boxes:
                boxes[b] = graphviz.Digraph(name=f"cluster_{len(boxes)}")
                parent_box[b] = outer
                title_ = b if outer is None else b[len(outer) + 1:]
                boxes[b].attr(label=graphviz.nohtml(_esc_plain(title_)), labelloc="t", style="rounded,dashed",
                              color="#777777", fontname="Helvetica", fontsize="11")
            outer = b

    def target(node: Node) -> graphviz.Digraph:
        m = home.get(node)
        return dot if m is None else boxes[m]

    def short_name(node: Node) -> str | None:
        m = home.get(node)
        label = node.label
        if label and m is not None and label.startswith(m + "."):
            return label[len(m) + 1:]
        if not label and node._fn is not None:
            return f"#{index[node]}"
        return None

    def add_node(node: Node) -> None:
        i = index[node]
        kind = node_kind(node, root)
        style = "filled,dashed" if kind == "input" else "filled,bold" if kind == "output" else "filled"
        attrs = {"shape": "record", "style": style, "fillcolor": COLORS[kind]}
        if id(node) in hi_nodes:
            attrs.update(color=hi_nodes[id(node)], penwidth="3")
        gt = grad_text(node) if grad_text is not None and node.requires_grad else None
        braces = tensor_braces if hasattr(node.data, "shape") else True
        label = _node_label(node, show, gt, name=short_name(node), braces=braces)
        target(node).node(f"n{i}", graphviz.nohtml(label), **attrs)

    for node in order:
        if node in kept:
            add_node(node)

    more = "more"
    if hidden:
        dot.node(more, graphviz.nohtml("… " + _count(hidden, "more node")), shape="octagon", style="filled",
                 fillcolor=COLORS["collapsed"])
    for node in order:
        if node not in kept or node._fn is None:
            continue
        i = index[node]
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": COLORS["op"]}
        mine = hi_nodes.get(id(node))
        if mine is not None:
            attrs.update(color=mine, penwidth="3")
        box = target(node)
        box.node(f"n{i}op", graphviz.nohtml(_esc_plain(op_text(node))), **attrs)
        # the op's edge into its result takes the colour of the highlighted slot, else of the node
        into = next((hi_edges[(id(node), s)] for s in range(len(node._parents)) if (id(node), s) in hi_edges),
                    mine)
        box.edge(f"n{i}op", f"n{i}", **({"color": into, "penwidth": "3"} if into is not None else {}))
        seen_more = False
        for slot, parent in enumerate(node._parents):
            key = (id(node), slot)
            eattrs = {"color": hi_edges[key], "penwidth": "3"} if key in hi_edges else {}
            if key in notes:
                eattrs.update(label=graphviz.nohtml(_esc_plain(notes[key])), fontcolor=eattrs.get("color", "black"),
                              fontname="Helvetica", fontsize="10")
            if parent in kept:
                dot.edge(f"n{index[parent]}", f"n{i}op", **eattrs)
            elif not seen_more:  # one edge from the collapsed part is enough
                seen_more = True
                dot.edge(more, f"n{i}op", style="dashed")
    for b in reversed(list(boxes)):  # innermost first: a box is complete before it goes into its parent
        outer = parent_box[b]
        (dot if outer is None else boxes[outer]).subgraph(boxes[b])
    if legend:
        _add_legend(dot)
    return dot


def _esc_plain(s: str) -> str:
    """Escape a plain (non-record) label: only the backslash is special."""
    return s.replace("\\", "\\\\")


def _add_legend(dot: graphviz.Digraph) -> None:
    with dot.subgraph(name="cluster_legend") as key:
        key.attr(label="legend", style="rounded", color="#999999")
        rows = [
            ("output", "output (root)", "filled,bold"),
            ("parameter", "parameter / leaf", "filled"),
            ("input", "input / constant", "filled,dashed"),
            ("intermediate", "intermediate", "filled"),
        ]
        for kind, text, style in rows:
            key.node(f"legend_{kind}", text, shape="box", style=style, fillcolor=COLORS[kind])
        key.node("legend_op", "operation", shape="ellipse", style="filled", fillcolor=COLORS["op"])
        key.node("legend_highlight", "highlighted", shape="box", color=COLORS["highlight"], penwidth="3")


# ------------------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------------------


def render_svg(graph: graphviz.Digraph) -> str:
    """The drawing as SVG text; a :class:`RuntimeError` says how to install Graphviz if `dot` is missing."""
    try:
        return graph.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as e:
        raise RuntimeError(f"render_svg: {INSTALL_HINT}") from e


def save(graph: graphviz.Digraph, path: str, format: str | None = None) -> str:
    """Write the drawing to ``path``; the suffix gives the format (.svg, .png, .pdf; .dot/.gv: the source).

    Returns the path. Rendering needs Graphviz's ``dot``; without it a :class:`RuntimeError` says how to
    install it (``.dot``/``.gv`` files are written without it).
    """
    stem, ext = os.path.splitext(path)
    fmt = format or ext.lstrip(".").lower() or "svg"
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(graph.source)
        return path
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as e:
        raise RuntimeError(f"save: {INSTALL_HINT}") from e
    with open(path, "wb") as f:
        f.write(data)
    return path
