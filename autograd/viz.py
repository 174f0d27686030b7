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

import re
from collections import deque
from collections.abc import Callable, Collection, Iterable
from typing import Any

import graphviz
import numpy as np

from .engine import Node, topological_order

__all__ = ["draw", "graph_order", "render_svg", "save", "node_kind", "op_text", "format_array", "COLORS",
           "INSTALL_HINT"]

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

_SMALL = 6  # tensors with at most this many elements show their values


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


def _num(x: float) -> str:
    return f"{x:.4f}" if x == 0 or 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def format_array(a: Any, small: int = _SMALL) -> str:
    """A number as ``0.5000``; a small array as its values; a large one as ``mean .. std .. min .. max``."""
    if isinstance(a, (float, int, np.floating, np.integer)) and not isinstance(a, bool):
        return _num(float(a))
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(float(a))
    if a.size <= small:
        fmt = {"float_kind": "{:.4g}".format, "int": str}
        return np.array2string(a, separator=", ", max_line_width=10_000, formatter=fmt).replace("\n", "")
    if a.size == 0:
        return "[]"
    f = a.astype(np.float64)
    return f"mean {_num(f.mean())} std {_num(f.std())} min {_num(f.min())} max {_num(f.max())}"


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


def _ctx_axes(ctx: Any) -> str:
    axes, keepdims = ctx
    if axes is None:
        inner = ""
    elif len(axes) == 1:
        inner = f"axis={axes[0]}"
    else:
        inner = f"axis={tuple(axes)}"
    if keepdims:
        inner += (", " if inner else "") + "keepdims"
    return inner


def op_text(node: Node) -> str:
    """The operation that made ``node``, with its constant arguments: ``*``, ``**2``, ``sum(axis=1)``."""
    op, ctx = node._fn, node._ctx
    if op is None:
        return ""
    name = op.name
    if name in ("sum", "mean", "max", "min", "logsumexp"):
        inner = _ctx_axes(ctx)
        return f"{op.symbol}({inner})" if inner else op.symbol
    if name == "pow":
        return f"**{ctx:g}"
    if name in ("softmax", "log_softmax"):
        return f"{name}(axis={ctx})"
    if name == "leaky_relu":
        return f"{op.symbol}({ctx:g})"
    if name in ("reshape", "broadcast_to"):
        return f"{op.symbol}{tuple(ctx)}"
    if name == "transpose":
        return f"transpose{tuple(ctx)}"
    if name == "concatenate":
        return f"concat(axis={ctx[0]})"
    if name == "astype":
        return f"astype({ctx})"
    if name == "clip":
        return f"clip({ctx[0]}, {ctx[1]})"
    if name == "getitem":
        return "[" + _index_text(ctx) + "]"
    return op.symbol


def _index_text(ix: Any) -> str:
    parts = ix if isinstance(ix, tuple) else (ix,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            out.append(":" if p == slice(None) else f"{'' if p.start is None else p.start}:"
                       f"{'' if p.stop is None else p.stop}" + ("" if p.step is None else f":{p.step}"))
        elif p is Ellipsis:
            out.append("...")
        elif p is None:
            out.append("None")
        elif isinstance(p, np.ndarray):
            out.append(f"array{p.shape}" if p.size > _SMALL else np.array2string(p, separator=","))
        else:
            out.append(repr(p))
    return ", ".join(out)


def _node_label(node: Node, show: Collection[str], grad_text: str | None) -> str:
    fields = []
    is_tensor = hasattr(node.data, "shape")
    if "label" in show or is_tensor:
        head = node.label or ""
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
    return "{ " + " | ".join(_esc_record(f) for f in fields) + " }"


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


def draw(
    root: Node,
    *,
    show: Collection[str] = ("label", "data", "grad"),
    rankdir: str = "LR",
    max_nodes: int = 500,
    highlight: Iterable[Any] | None = None,
    cluster: bool = True,
    legend: bool = False,
    grad_text: Callable[[Node], str | None] | None = None,
    title: str | None = None,
) -> graphviz.Digraph:
    """The graph of ``root`` as a :class:`graphviz.Digraph` (shows inline in Jupyter; save with :func:`save`).

    ``show``: which of ``"label"``, ``"data"``, ``"grad"`` each node prints. ``rankdir``: ``"LR"`` (inputs on
    the left) or ``"TB"``. ``max_nodes``: at most this many nodes (the ones nearest the root) are drawn; the
    rest become one ``… N more nodes`` node and the picture says so. ``highlight``: nodes, and edges given as
    ``(child, slot)`` pairs (the edge from ``child.parents[slot]`` into ``child``'s op), drawn in orange.
    ``cluster``: group nodes labelled ``module.name`` in one box per module. ``legend``: add the colour key.
    ``grad_text``: optional ``node -> str`` overriding the grad shown (``None`` keeps ``node.grad``; it is not
    asked about nodes that need no gradient, which say ``constant``); the stepper uses it to show the gradients
    known at one step. ``title``: a caption under the picture.
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
    hi_nodes: set[Node] = set()
    hi_edges: set[tuple[Node, int]] = set()
    for h in highlight or ():
        if isinstance(h, tuple):
            hi_edges.add((h[0], int(h[1])))
        else:
            hi_nodes.add(h)

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

    clusters: dict[str, list[Node]] = {}
    plain: list[Node] = []
    for node in order:
        if node not in kept:
            continue
        label = node.label or ""
        if cluster and "." in label:
            clusters.setdefault(label.rsplit(".", 1)[0], []).append(node)
        else:
            plain.append(node)

    def add_node(g: graphviz.Digraph, node: Node) -> None:
        i = index[node]
        kind = node_kind(node, root)
        style = "filled,dashed" if kind == "input" else "filled,bold" if kind == "output" else "filled"
        attrs = {"shape": "record", "style": style, "fillcolor": COLORS[kind]}
        if node in hi_nodes:
            attrs.update(color=COLORS["highlight"], penwidth="3")
        gt = grad_text(node) if grad_text is not None and node.requires_grad else None
        g.node(f"n{i}", graphviz.nohtml(_node_label(node, show, gt)), **attrs)

    for node in plain:
        add_node(dot, node)
    for k, (prefix, members) in enumerate(clusters.items()):
        with dot.subgraph(name=f"cluster_{k}") as sub:
            sub.attr(label=graphviz.nohtml(prefix.replace("\\", "\\\\")), style="rounded,dashed",
                     color="#777777")
            for node in members:
                add_node(sub, node)

    more = "more"
    if hidden:
        dot.node(more, graphviz.nohtml("… " + _count(hidden, "more node")), shape="octagon", style="filled",
                 fillcolor=COLORS["collapsed"])
    for node in order:
        if node not in kept or node._fn is None:
            continue
        i = index[node]
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": COLORS["op"]}
        if node in hi_nodes:
            attrs.update(color=COLORS["highlight"], penwidth="3")
        dot.node(f"n{i}op", graphviz.nohtml(op_text(node).replace("\\", "\\\\")), **attrs)
        hot = {"color": COLORS["highlight"], "penwidth": "3"}
        dot.edge(f"n{i}op", f"n{i}", **(hot if node in hi_nodes else {}))
        seen_more = False
        for slot, parent in enumerate(node._parents):
            eattrs = {"color": COLORS["highlight"], "penwidth": "3"} if (node, slot) in hi_edges else {}
            if parent in kept:
                dot.edge(f"n{index[parent]}", f"n{i}op", **eattrs)
            elif not seen_more:  # one edge from the collapsed part is enough
                seen_more = True
                dot.edge(more, f"n{i}op", style="dashed")
    if legend:
        _add_legend(dot)
    return dot


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
    import os

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
