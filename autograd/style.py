"""How a graph looks, decided once: the palette, the names of nodes, the layout. Drawings (:mod:`autograd.viz`),
steps (:mod:`autograd.stepping`), explanations (:mod:`autograd.explain`) and the stepper's player share it.

Names follow the lecture. A parameter of an ``nn`` model keeps its dotted module path as its ``label`` (the key of
``named_parameters()`` and ``state_dict()``); what a picture prints is :func:`display_label` of it:

>>> display_label("W.0"), display_label("w0")                       # the perceptron: bias w0, weights w1..wn
('w1', 'w0')
>>> display_label("layers.0.neurons.1.w.0")                         # MLP: input 1 -> neuron 2 of layer 1
'w[1]_{1,2}'
>>> display_label("layers.1.neurons.0.b")                           # a neuron's bias is its weight w_{0,i}
'w[2]_{0,1}'
>>> display_label("layers.2.W"), display_label("dense1.W")          # Tensor layers: one matrix per layer
('W[3]', 'dense1.W')

An unlabelled node is named from its role where the library knows it (a neuron's weighted sum ``z[k]_i`` and its
activation ``h[k]_i``; the perceptron's ``z`` and ``y_hat``), otherwise by a short number counted per graph in
topological order (``#1``, ``#2``, ...): the same graph always gets the same names.

The palette is Okabe and Ito's, which readers with any common colour-vision deficiency tell apart (no red/green
pair): parameters blue, inputs orange, constants grey, the output reddish purple, highlights vermillion.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Iterable
from typing import Any

__all__ = ["dname", "OKABE_ITO", "COLORS", "BORDERS", "KIND_TEXT", "display_label", "node_names", "node_kind",
           "in_notebook", "FONT", "FONTSIZE"]

#: Okabe & Ito (2008), "Color Universal Design": eight colours distinguishable under common colour blindness
OKABE_ITO = {
    "orange": "#e69f00", "sky_blue": "#56b4e9", "bluish_green": "#009e73", "yellow": "#f0e442",
    "blue": "#0072b2", "vermillion": "#d55e00", "reddish_purple": "#cc79a7", "black": "#000000",
}

#: fill colours of the node kinds: light tints of the Okabe–Ito colours, so black text stays readable on them
COLORS = {
    "output": "#f2d4e5",        # reddish purple, light
    "parameter": "#cce7f8",     # sky blue, light
    "input": "#fbe5b3",         # orange, light
    "constant": "#eeeeee",      # grey
    "intermediate": "#ffffff",
    "op": "#f7f3c6",            # yellow, light
    "highlight": OKABE_ITO["vermillion"],
    "collapsed": "#f4f4f4",
    "final": OKABE_ITO["bluish_green"],  # a stepper's node whose gradient is complete
}
#: border colours of the node kinds (the full Okabe–Ito colour: the kind reads from the outline too)
BORDERS = {
    "output": OKABE_ITO["reddish_purple"], "parameter": OKABE_ITO["blue"], "input": OKABE_ITO["orange"],
    "constant": "#888888", "intermediate": "#444444", "op": "#888888", "collapsed": "#888888",
}
#: the legend's words for the kinds, in the order it lists them
KIND_TEXT = {
    "parameter": "parameter (learned)", "input": "input (data)", "constant": "constant",
    "intermediate": "intermediate", "output": "output", "op": "operation",
}
FONT, FONTSIZE = "Helvetica", "11"  # Graphviz's 10 pt is the smallest text a picture uses

# layout: a notebook cell shows an SVG 1 px per pt, about 1,000 px wide; a picture wider than that shrinks its text
MAX_WIDTH = 1000.0  #: widest picture (points) the automatic layout aims for
RANKSEP, NODESEP = "0.25", "0.12"  #: Graphviz's gaps between ranks and between nodes of a rank (inches)
RANKSEP_PT, NODESEP_PT = 0.25 * 72, 0.12 * 72
CHAR_PT, PAD_PT = 6.1, 6.0  #: estimated width of one character of FONTSIZE Helvetica, and a record's side margin
CAPTION_CHARS = 90  #: a caption (a step line) wraps at this many characters at most: about 550 points
CAPTION_MIN_CHARS = 40  #: ... and at the picture's estimated width, but never narrower than this


def in_notebook() -> bool:
    """True inside IPython/Jupyter (where a drawing shows its legend by default)."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


_NEURON = re.compile(r"(?:(?P<pre>.+?)\.)??(?:layers\.(?P<k>\d+)\.)?neurons\.(?P<i>\d+)\.(?:w\.(?P<j>\d+)|b)")
_DENSE = re.compile(r"(?:(?P<pre>.+)\.)?layers\.(?P<k>\d+)\.(?P<p>W|b)")
_PERCEPTRON = re.compile(r"(?:(?P<pre>.+)\.)?[Ww]\.(?P<j>\d+)")


def _join(pre: str | None, name: str) -> str:
    return name if not pre else f"{pre}.{name}"


def display_label(label: str) -> str:
    """The lecture's name of a parameter from its dotted module path (other labels are returned as they are).

    A neuron's weight from input j to neuron i of layer k is ``w[k]_{j,i}`` (1-based, as the formulas count) and
    its bias ``w[k]_{0,i}``; a perceptron's (or a lone neuron's) weights are ``w1..wn``; a Tensor layer's matrix
    and bias ``W[k]`` and ``b[k]``. Only the picture changes: ``label`` stays the key of ``state_dict()``.
    """
    m = _NEURON.fullmatch(label)
    if m:
        j = 0 if m["j"] is None else int(m["j"]) + 1
        layer = "" if m["k"] is None else f"[{int(m['k']) + 1}]"
        return _join(m["pre"], f"w{layer}_{{{j},{int(m['i']) + 1}}}")
    m = _DENSE.fullmatch(label)
    if m:
        return _join(m["pre"], f"{m['p']}[{int(m['k']) + 1}]")
    m = _PERCEPTRON.fullmatch(label)
    if m:
        return _join(m["pre"], f"w{int(m['j']) + 1}")
    return label


def _neuron_of(label: str | None) -> tuple[str, bool] | None:
    """``('[k]_i', is_weight)`` for a parameter of neuron i of layer k (``'_i'`` without layers; ``''`` for a
    perceptron's ``W.j`` and ``w0``); None for any other label. ``is_weight``: a weight, not the bias."""
    if not label:
        return None
    m = _NEURON.fullmatch(label)
    if m:
        return ("" if m["k"] is None else f"[{int(m['k']) + 1}]") + f"_{int(m['i']) + 1}", m["j"] is not None
    if _PERCEPTRON.fullmatch(label):
        return "", True
    if label.rsplit(".", 1)[-1] == "w0":
        return "", False
    return None


#: a Value leaf with one of these names is data, as the lecture writes it: x, x1, x_2, y, y_true, target
_DATA_NAME = re.compile(r"(x|y)(_?\d+|_\w+)?|target|inputs?")


def node_kind(node: Any, root: Any = None) -> str:
    """``'output'``, ``'parameter'``, ``'input'``, ``'constant'`` or ``'intermediate'``: how a picture colours a
    node. A Tensor leaf is a parameter when it requires grad, else an input (a 0-d one without a label: a
    constant). Every Value can receive a gradient, so a Value leaf is told by its name: an ``nn`` parameter
    (dotted label) or any other name is a parameter, except the lecture's names of data (``x1``, ``x``, ``y``,
    ``y_true``, ``target``) and labelled constants (``nn``'s lifted inputs), which are inputs; an unlabelled
    number (the 3 in ``3 * x``) is a constant."""
    if node is root:
        return "output"
    if node._fn is not None:
        return "intermediate"
    label = node.label or ""
    if hasattr(node.data, "shape"):
        if node.requires_grad:
            return "parameter"
        return "input" if label or getattr(node.data, "ndim", 0) > 0 else "constant"
    if not label:
        return "constant"
    if not node.requires_grad or ("." not in label and _DATA_NAME.fullmatch(label)):
        return "input"
    return "parameter"


def node_names(order: Iterable[Any], only: Collection[Any] | None = None) -> dict[Any, str]:
    """The name of every node of a graph (``order``: :func:`autograd.viz.graph_order`), as pictures, steps and
    explanations print it: :func:`display_label` of a label; a role name for the nodes of a neuron (``z[k]_i``,
    ``h[k]_i``; the perceptron's ``z`` and ``y_hat``); ``#n`` (n counted from 1 in topological order) for other
    unlabelled intermediates, except an unlabelled root, which is ``J``; ``''`` for an unlabelled leaf (a picture
    shows its value). ``only``: name just these nodes (a collapsed drawing), counting as if all were named."""
    order = list(order)
    names: dict[Any, str] = {}
    role: dict[Any, str] = {}
    taken = {n.label for n in order if n.label}
    counter = 0
    for node in order:
        label = node.label
        if label:
            if only is None or node in only:
                names[node] = display_label(label)
            continue
        if node._fn is None:
            if only is None or node in only:
                names[node] = ""
            continue
        name = None
        parents = node._parents
        tagged = [p.label for p in parents if p.label and p._fn is None]  # most nodes have none: fast
        if tagged:
            found = [t for t in map(_neuron_of, tagged) if t is not None]
            tags = {tag for tag, _ in found}
            if len(tags) == 1 and any(w for _, w in found):  # reads the weights of one neuron: its weighted sum
                name = "z" + tags.pop()
                role[node] = name
        elif len(parents) == 1 and parents[0] in role:  # the activation of a neuron's sum
            z = role[parents[0]]
            name = "y_hat" if z == "z" else "h" + z[1:]
        if name is None or name in taken:
            counter += 1
            if only is None or node in only:
                names[node] = f"#{counter}"
            continue
        taken.add(name)
        if only is None or node in only:
            names[node] = name
    root = order[-1] if order else None
    if root in names and names[root].startswith("#") and "J" not in taken:
        names[root] = "J"  # an unlabelled root: the lecture's name of what is differentiated (dJ/dw1)
    return names


_SIMPLE = re.compile(r"[A-Za-z_][\w.]*(\[[\d, ]*\])?(_\{[\d,]*\}|_\d+)?(\[[\d, ]*\])?\Z")


def dname(top: str, bottom: str) -> str:
    """The derivative of ``top`` with respect to ``bottom`` as steps and explanations write it: ``dJ/dw1``,
    ``dJ/dw[1]_{2,1}``; a name that is not one word gets parentheses: ``d(#4)/dz``."""
    t = top if _SIMPLE.match(top) else f"({top})"
    b = bottom if _SIMPLE.match(bottom) else f"({bottom})"
    return f"d{t}/d{b}"
