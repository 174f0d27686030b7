"""Draw a computation graph with Graphviz: every node, every edge, data and gradients.

>>> from autograd import Value
>>> from autograd.viz import draw
>>> a = Value(2.0, label="a")
>>> y = a + a                       # two parent slots, so two edges
>>> g = draw(y)                     # a graphviz.Digraph: shows inline in Jupyter
>>> g.source.count("n0 -> n1op")
2

How a drawing reads (the legend under the picture, on by default in Jupyter, says it too). The colours are
Okabe and Ito's colour-blind-safe palette, held with the names and the layout in :mod:`autograd.style`:

=====================  ====================================================================================
node                   drawn as
=====================  ====================================================================================
output (the root)      record box, light reddish purple, bold reddish purple border
parameter              record box, light sky blue, blue border: a leaf that is learned (a Tensor with
                       ``requires_grad=True``, an ``nn`` parameter, a labelled Value such as ``w1``)
input                  record box, light orange, dashed orange border: data (a Tensor leaf without grad,
                       ``nn``'s lifted inputs ``x1, x2``, a Value named as the lecture names data: ``x1``, ``y``)
constant               record box, grey, dashed: an unlabelled number such as the 3 in ``3 * x``
intermediate           record box, white
operation              ellipse, light yellow, showing the op (``*``, ``tanh``, ``@``, ``sum(axis=1)``); one
                       edge per parent *slot*, so ``a + a`` has two
highlighted            vermillion border or edge, thicker (a backward step, an explained path)
collapsed              ``… N more nodes`` octagon: the part of a big graph beyond ``max_nodes``
=====================  ====================================================================================

A Value node shows its name, ``data`` and ``grad`` one under another (narrow columns); a Tensor node its name,
shape and dtype, and its values when it has at most six elements (otherwise mean and std, then min and max on a
second line), for data and grad alike. A node that never receives a gradient (a constant, a data tensor) says
``constant`` in place of a grad. Names follow the lecture (:func:`autograd.style.node_names`): ``w0``, ``w1``,
``w[1]_{2,1}``, ``z[1]_2``, ``h[1]_2``, ``#3`` for other unlabelled intermediates, ``J`` for an unlabelled root.

The layout fits a notebook cell: left to right when the graph fits 1,000 points that way, else top to bottom
(ranked by depth), text never smaller than 10 pt, the caption (a step line) wrapped to the picture's width.
``rankdir=`` and ``size=`` override it.

Node ids are positions in :func:`graph_order` (the engine's topological order plus the data leaves it skips;
``n0`` ... ``n{N-1}``, the root last; the op that made node ``n7`` is ``n7op``), so the same graph gives
byte-identical DOT source in any process. The walk is the engine's own iterative one; a graph of 100,000 nodes
draws (collapsed beyond ``max_nodes``) without recursion.

Building a drawing needs only the ``graphviz`` Python package; rendering it to SVG/PNG needs Graphviz's
``dot`` program: :func:`render_svg` and :func:`save` say how to install it when it is missing.
"""

from __future__ import annotations

import html
import os
import re
import textwrap
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import graphviz

from . import style
from .engine import Node, topological_order
from .notation import format_array
from .style import COLORS, node_kind

__all__ = ["draw", "graph_order", "render_svg", "save", "node_kind", "op_text", "format_array", "COLORS",
           "INSTALL_HINT", "module_of"]

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
    # a long array summary goes on two lines (mean, std / min, max): half as wide
    body = " | ".join(_esc_record(f).replace(" min ", "\\nmin ") for f in fields)
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


def _text_width(label: str) -> float:
    """Estimated width in points of a record label at the drawing's font (longest line of its longest field
    when fields stack, the sum when they sit side by side is taken by the caller)."""
    lines = re.split(r"\\n| \| |[{}]", label)
    return max((len(x.strip()) for x in lines), default=0) * style.CHAR_PT + 2 * style.PAD_PT


def _choose_rankdir(order: list[Node], kept: set[Node], widths: dict[Node, float]) -> tuple[str, float]:
    """``('LR', width)`` when the graph drawn left to right fits :data:`style.MAX_WIDTH` points, else
    ``('TB', width)`` (ranked by depth: each rank as wide as its nodes side by side); ``width``: the estimate.
    Ranks are estimated as dot makes them: a node sits
    one rank (two with the op between) before its farthest consumer, counted from the root."""
    depth: dict[Node, int] = {}
    for node in reversed(order):  # consumers before their parents
        if node not in kept:
            continue
        d = depth.setdefault(node, 0)
        if node._fn is not None:
            for p in node._parents:
                if p in kept and depth.get(p, -1) < d + 2:
                    depth[p] = d + 2
    columns: dict[int, float] = {}
    rows: dict[int, float] = {}
    for node, d in depth.items():
        columns[d] = max(columns.get(d, 0.0), widths[node])
        rows[d] = rows.get(d, 0.0) + widths[node] + style.NODESEP_PT
        if node._fn is not None:
            w = len(op_text(node)) * style.CHAR_PT + 2 * style.PAD_PT
            columns[d + 1] = max(columns.get(d + 1, 0.0), w)
            rows[d + 1] = rows.get(d + 1, 0.0) + w + style.NODESEP_PT
    lr = sum(columns.values()) + style.RANKSEP_PT * max(len(columns) - 1, 0)
    return ("LR", lr) if lr <= style.MAX_WIDTH else ("TB", max(rows.values(), default=0.0))


def _reading_order(root: Node, kept: set[Node]) -> list[Node]:
    """The drawn nodes in the order Graphviz should meet them: depth first from the root, parents in slot order,
    each node after its parents. dot keeps that order within a rank where it can, so the first neuron, its
    bias and its first weight come first (on top, or on the left) and the rest follow in index order."""
    out: list[Node] = []
    done: set[Node] = set()
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, k = stack.pop()
        parents = [p for p in node._parents if p in kept] if node._fn is not None else []
        if k < len(parents):
            stack.append((node, k + 1))
            if parents[k] not in done:
                stack.append((parents[k], 0))
        elif node not in done:
            done.add(node)
            out.append(node)
    return out


def _caption_lines(text: str, width: int) -> list[str]:
    """A caption as lines of at most ``width`` characters: a step line breaks at its ``|`` separators first."""
    out: list[str] = []
    for part in text.replace(" | ", "\n").split("\n"):
        out.extend(textwrap.wrap(part, width, subsequent_indent="    ") or [""])
    return out


def draw(
    root: Node,
    *,
    show: Collection[str] = ("label", "data", "grad"),
    rankdir: str | None = None,
    size: str | None = None,
    max_nodes: int = 500,
    highlight: Iterable[Any] | Mapping[Any, str] | None = None,
    cluster: bool = True,
    legend: bool | None = None,
    grad_text: Callable[[Node], str | None] | None = None,
    title: str | None = None,
    edge_labels: Mapping[tuple[Node, int], str] | None = None,
) -> graphviz.Digraph:
    """The graph of ``root`` as a :class:`graphviz.Digraph` (shows inline in Jupyter; save with :func:`save`).

    ``show``: which of ``"label"``, ``"data"``, ``"grad"`` each node prints. Nodes are named as the lecture names
    them (:func:`autograd.style.node_names`: ``w1``, ``w[1]_{2,1}``, ``z[1]_2``, ``#3`` for an unlabelled
    intermediate), the names steps and explanations use. ``rankdir``: ``"LR"`` (inputs on the left), ``"TB"``
    (top to bottom), or ``None`` (default): left to right when that fits in 1,000 points, else top to bottom, so a
    drawing shown in a notebook cell keeps its text readable. ``size``: Graphviz's ``size`` attribute
    (``"8,6"``, inches: a picture larger than that is scaled down). ``max_nodes``: at most this many nodes (the
    ones nearest the root) are drawn; the rest become one ``… N more nodes`` node and the picture says so.
    ``highlight``: nodes, and edges given as ``(child, slot)`` pairs (the edge from ``child.parents[slot]`` into
    ``child``'s op), drawn in vermillion; or a mapping from such items to colours. ``cluster``: draw the
    parameters of a named module (labels such as ``dense1.W``, whose lecture name is not known) in one box per
    module, nested as the modules are, with the operations that read them. ``legend``: add the colour key under
    the picture (default: on inside IPython/Jupyter, off elsewhere). ``grad_text``: optional ``node -> str``
    overriding the grad shown (``None`` keeps ``node.grad``; it is not asked about nodes that need no gradient,
    which say ``constant``); the stepper uses it to show the gradients known at one step. ``title``: a caption
    under the picture, wrapped (never wider than the picture needs). ``edge_labels``: text written on
    ``(child, slot)`` edges.
    """
    if max_nodes < 1:
        raise ValueError(f"draw: max_nodes must be at least 1, got {max_nodes}")
    if rankdir is not None and rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw: rankdir must be 'LR', 'RL', 'TB', 'BT' or None (choose), got {rankdir!r}")
    unknown = set(show) - {"label", "data", "grad"}
    if unknown:
        raise ValueError(f"draw: show may hold 'label', 'data', 'grad'; got {sorted(unknown)}")
    if legend is None:
        legend = style.in_notebook()
    order = graph_order(root)
    index = {node: i for i, node in enumerate(order)}
    kept = set(order) if len(order) <= max_nodes else _nearest(root, max_nodes)
    names = style.node_names(order, None if len(kept) == len(order) else kept)
    hot = COLORS["highlight"]
    hi_nodes, hi_edges = _normalise_highlight(highlight, hot)
    notes = {(id(c), int(s)): t for (c, s), t in (edge_labels or {}).items()}

    # which module box each drawn node (and the op that made it) goes in: a parameter by its label when the
    # lecture has no name for it (dense1.W), an operation that reads parameters of one module in that box
    home: dict[Node, str] = {}
    if cluster:
        for node in order:
            if node not in kept:
                continue
            m = module_of(node.label) if names[node] == node.label else None
            if m is None and node._fn is not None:
                owners = {module_of(p.label) for p in node._parents
                          if p._fn is None and p in kept and p.label and names[p] == p.label}
                owners.discard(None)
                if len(owners) == 1:
                    m = owners.pop()
            if m is not None:
                home[node] = m

    def short_name(node: Node) -> str:
        m = home.get(node)
        label = node.label
        if label and m is not None and label.startswith(m + "."):
            return label[len(m) + 1:]
        return names[node]

    # the record labels first: their widths choose the layout. Fields one under another (narrow columns)
    labels: dict[Node, str] = {}
    for node in order:
        if node in kept:
            gt = grad_text(node) if grad_text is not None and node.requires_grad else None
            labels[node] = _node_label(node, show, gt, name=short_name(node), braces=False)
    chosen, estimate = _choose_rankdir(order, kept, {n: _text_width(t) for n, t in labels.items()})
    rankdir = rankdir or chosen
    # a caption wraps to the picture's estimated width (under-estimated a little), so it never widens it
    chars = max(style.CAPTION_MIN_CHARS, min(style.CAPTION_CHARS, int(0.85 * estimate / style.CHAR_PT)))
    braces = rankdir in ("TB", "BT")  # a record's fields stack: across the rank direction, braces flip them

    dot = graphviz.Digraph(name="chainrule", graph_attr={
        "rankdir": rankdir, "ranksep": style.RANKSEP, "nodesep": style.NODESEP, **({"size": size} if size else {})})
    dot.attr("node", fontname=style.FONT, fontsize=style.FONTSIZE, margin="0.06,0.03")
    dot.attr("edge", arrowsize="0.6", color="#555555")
    hidden = len(order) - len(kept)
    caption = []
    if title:
        caption.extend(_caption_lines(title, chars))
    if hidden:
        caption.extend(_caption_lines(
            f"collapsed: showing the {_count(len(kept), 'node')} nearest the output of {len(order)}; "
            f"{hidden} more {'is' if hidden == 1 else 'are'} drawn as one node (raise max_nodes to see "
            f"{'it' if hidden == 1 else 'them'})", chars))
    if caption or legend:
        dot.attr(label=_graph_label(caption, legend), labelloc="b", labeljust="l", fontname=style.FONT,
                 fontsize=style.FONTSIZE)

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
                              color="#777777", fontname=style.FONT, fontsize=style.FONTSIZE)
            outer = b

    def target(node: Node) -> graphviz.Digraph:
        m = home.get(node)
        return dot if m is None else boxes[m]

    reading = _reading_order(root, kept)
    for node in reading:
        kind = node_kind(node, root)
        line = "filled,dashed" if kind in ("input", "constant") else "filled,bold" if kind == "output" else "filled"
        attrs = {"shape": "record", "style": line, "fillcolor": COLORS[kind], "color": style.BORDERS[kind]}
        if id(node) in hi_nodes:
            attrs.update(color=hi_nodes[id(node)], penwidth="3")
        label = labels[node]
        target(node).node(f"n{index[node]}", graphviz.nohtml("{ " + label + " }" if braces else label), **attrs)

    more = "more"
    if hidden:
        dot.node(more, graphviz.nohtml("… " + _count(hidden, "more node")), shape="octagon", style="filled",
                 fillcolor=COLORS["collapsed"])
    for node in reading:
        if node._fn is None:
            continue
        i = index[node]
        attrs = {"shape": "ellipse", "style": "filled", "fillcolor": COLORS["op"], "color": style.BORDERS["op"],
                 "margin": "0.04,0.02", "height": "0.3"}
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
                # an xlabel is placed after the layout: a long factor name never spreads the ranks apart
                eattrs.update(xlabel=graphviz.nohtml(_esc_plain(notes[key])), fontcolor=eattrs.get("color", "black"),
                              fontname=style.FONT, fontsize="10")
            if parent in kept:
                dot.edge(f"n{index[parent]}", f"n{i}op", **eattrs)
            elif not seen_more:  # one edge from the collapsed part is enough
                seen_more = True
                dot.edge(more, f"n{i}op", style="dashed")
    for b in reversed(list(boxes)):  # innermost first: a box is complete before it goes into its parent
        outer = parent_box[b]
        (dot if outer is None else boxes[outer]).subgraph(boxes[b])
    return dot


def _esc_plain(s: str) -> str:
    """Escape a plain (non-record) label: only the backslash is special."""
    return s.replace("\\", "\\\\")


def _graph_label(caption: list[str], legend: bool) -> str:
    """The text under the picture as a Graphviz HTML label: the caption's lines (left-aligned) and, with
    ``legend``, the colour key as a small table of swatches, three to a row (never wider than a caption line)."""
    rows = [f'<tr><td align="left" balign="left">{html.escape(line)}</td></tr>' for line in caption]
    if legend:
        cells = []
        for kind, text in style.KIND_TEXT.items():
            dashed = ' style="dashed"' if kind in ("input", "constant") else ""
            cells.append(f'<td bgcolor="{COLORS[kind]}" color="{style.BORDERS.get(kind, "#444444")}" border="1"'
                         f'{dashed}>{html.escape(text)}</td>')
        cells.append(f'<td color="{COLORS["highlight"]}" border="2">highlighted</td>')
        grid = "".join("<tr>" + "".join(cells[k:k + 4]) + "</tr>" for k in range(0, len(cells), 4))
        rows.append(f'<tr><td align="left"><table border="0" cellspacing="3" cellpadding="2">{grid}</table></td></tr>')
    return f'<<table border="0" cellspacing="0" cellpadding="1">{"".join(rows)}</table>>'


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
