"""The chain rule behind one gradient: every path from the loss to a weight, each factor named and valued.

>>> from autograd import Value
>>> from autograd.explain import explain
>>> x, w1 = Value(2.0, label="x"), Value(-0.5, label="w1")
>>> z1 = w1 * x; z1.label = "z1"
>>> y_hat = z1.sigmoid(); y_hat.label = "y_hat"
>>> J = (y_hat - 1.0) ** 2; J.label = "J"
>>> e = explain(J, w1)
>>> [f.name for f in e.paths[0].factors]
['dJ/d(#1)', 'd(#1)/dy_hat', 'dy_hat/dz1', 'dz1/dw1']
>>> round(e.total, 6)
-0.574939

The gradient dJ/dw is a sum over the paths from J down to w of the product of the local derivatives along each
path (one factor per edge, i.e. per parent *slot*: ``a * a`` has two edges from a). Each factor is the op's
registered derivative rule applied to an upstream gradient of 1, with its formula from the registry.

The number of paths can explode (an MLP weight has one per downstream unit and layer combination): they are
counted first, by dynamic programming over the topological order, and only the ``max_paths`` largest
contributions are listed (found by a best-first search, iterative and bounded), with the sum of the rest.
``explain(...).total`` is the sum over *all* paths, which equals what ``backward()`` puts in ``w.grad``.

For Tensors, ``explain(loss, W, index=(i, j))`` explains one element: the paths run through the elements of
the intermediate arrays that ``W[i, j]`` changes, and each factor is one entry of an op's Jacobian
(``dz[0, 1]/dW[1, 1]``), read from the op's own rule; the same text, table and drawing as for Values.
"""

from __future__ import annotations

import heapq
import html
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import Node, local_derivatives, topological_order, unbroadcast, vjp
from .stepping import formula_letters, graph_names, node_name, slot_formula
from .style import OKABE_ITO, dname
from .viz import COLORS, graph_order
from .viz import draw as _draw

__all__ = ["explain", "Explanation", "ChainPath", "Factor", "FACTOR_COLORS"]

#: factor colours in path order (Okabe–Ito, told apart with any common colour-vision deficiency)
FACTOR_COLORS = tuple(OKABE_ITO[c] for c in ("blue", "orange", "reddish_purple", "bluish_green", "sky_blue",
                                             "black"))  # colour-blind safe; vermillion is the highlight

HIGHLIGHT = COLORS["highlight"]


@dataclass(frozen=True)
class Factor:
    """One edge of a path: d(child)/d(parent) through the parent's slot ``slot`` of ``child``'s op."""

    child: Node
    parent: Node
    slot: int
    name: str  # "dz1/dw1"
    formula: str  # the registry's local derivative, e.g. "b"
    where: str  # what the formula's letters are here, e.g. "a = w1, b = x"
    value: float


@dataclass(frozen=True)
class ChainPath:
    """One path from the root down to the node: its factors (root side first) and their product."""

    factors: tuple[Factor, ...]
    product: float

    @property
    def edges(self) -> list[tuple[Node, int]]:
        """The path as ``(child, slot)`` edges, the form :func:`autograd.viz.draw` highlights."""
        return [(f.child, f.slot) for f in self.factors]


class Explanation:
    """The result of :func:`explain`: prints as text, renders like the lecture slide in Jupyter, draws a path."""

    def __init__(self, root: Node, node: Node, paths: list[ChainPath], count: int, total: float,
                 names: dict[Node, str], max_paths: int, blocked: bool = False) -> None:
        self.root, self.node = root, node
        self.paths = paths  #: the listed paths, largest |contribution| first
        self.count = count  #: how many paths there are in all (an exact integer, however large)
        self.total = total  #: the sum over all paths: d(root)/d(node), as backward() computes it
        self.max_paths = max_paths
        self._names = names
        self._blocked = blocked  # paths exist, but each has a factor that is exactly 0 here (Tensor elements)

    @property
    def listed_sum(self) -> float:
        return math.fsum(p.product for p in self.paths)

    @property
    def rest(self) -> float:
        """The summed contribution of the paths not listed (0 when all are listed)."""
        return self.total - self.listed_sum if self.count > len(self.paths) else 0.0

    @property
    def name(self) -> str:
        return _dname(self._names[self.root], self._names[self.node])

    # -- text -------------------------------------------------------------------------------------------------
    def __str__(self) -> str:
        n = self.count
        if n == 0 and self._blocked:
            return (f"{self.name} = 0: every path from {self._names[self.root]} to {self._names[self.node]} has a "
                    "local derivative that is exactly 0 here (an element it does not touch, a relu that is off)")
        if n == 0:
            return (f"{self.name} = 0: {self._names[self.root]} does not depend on {self._names[self.node]} "
                    "(there is no path between them)")
        lines = [f"{self.name} = {self.total:.6g}: the sum over {n} path{'s' * (n != 1)} from "
                 f"{self._names[self.root]} to {self._names[self.node]} of the product of local derivatives"]
        for k, p in enumerate(self.paths):
            if not p.factors:
                lines.append(f"path {k + 1}: the node is the root itself, d/d(itself) = 1")
                continue
            names = " * ".join(f.name for f in p.factors)
            vals = " * ".join(f"({f.value:.6g})" for f in p.factors)
            lines.append(f"path {k + 1}: {names} = {vals} = {p.product:.6g}")
            for f in p.factors:
                where = f"  [{f.where}]" if f.where else ""
                lines.append(f"    {f.name} = {f.formula}{where} = {f.value:.6g}")
        if n > len(self.paths):
            lines.append(f"... {n - len(self.paths)} more paths not listed (max_paths={self.max_paths}); "
                         f"together they contribute {self.rest:.6g}")
        lines.append(f"sum over {'all ' * (n > 1)}{n} path{'s' * (n != 1)} = {self.total:.6g} "
                     "(what backward() adds to .grad)")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        out = [f"<div><p><b>{e(self.name)}</b> = <code>{self.total:.6g}</code>, the sum over "
               f"{self.count} path{'s' * (self.count != 1)}</p>"]
        for k, p in enumerate(self.paths):
            colored = " · ".join(
                f'<span style="color:{FACTOR_COLORS[i % len(FACTOR_COLORS)]};font-weight:bold;'
                f'border-bottom:3px solid {FACTOR_COLORS[i % len(FACTOR_COLORS)]}">{e(f.name)}</span>'
                for i, f in enumerate(p.factors)) or "1"
            out.append(f"<p>path {k + 1}: {colored} = <code>{p.product:.6g}</code></p>")
            rows = "".join(
                f'<tr><td style="color:{FACTOR_COLORS[i % len(FACTOR_COLORS)]}"><b>{e(f.name)}</b></td>'
                f"<td><code>{e(f.formula)}</code></td><td>{e(f.where)}</td><td><code>{f.value:.6g}</code></td></tr>"
                for i, f in enumerate(p.factors))
            if rows:
                out.append("<table><tr><th>factor</th><th>formula</th><th>where</th><th>value</th></tr>"
                           f"{rows}</table>")
        if self.count > len(self.paths):
            out.append(f"<p>… {self.count - len(self.paths)} more paths not listed; together they contribute "
                       f"<code>{self.rest:.6g}</code></p>")
        out.append(f"<p>sum over all paths = <code>{self.total:.6g}</code> = {e(self.name)}</p></div>")
        return "".join(out)

    # -- picture ----------------------------------------------------------------------------------------------
    def draw(self, path: int = 0, **kw: Any):
        """The graph of the root with listed path number ``path`` (0: the largest) highlighted."""
        if not 0 <= path < len(self.paths):
            raise IndexError(f"explain.draw: path {path} is not listed; {len(self.paths)} paths are (0 to "
                             f"{len(self.paths) - 1})")
        p = self.paths[path]
        hi: dict[Any, str] = {n: HIGHLIGHT for n in [self.root, self.node] + [f.parent for f in p.factors]}
        labels = {}
        for i, f in enumerate(p.factors):  # each factor's edge in its own colour, named and valued, as on the slide
            hi[(f.child, f.slot)] = FACTOR_COLORS[i % len(FACTOR_COLORS)]
            labels[(f.child, f.slot)] = f"{f.name} = {f.value:.4g}"
        kw.setdefault("title", f"path {path + 1} of {self.count}: " + " * ".join(f.name for f in p.factors)
                      + f" = {p.product:.6g}")
        return _draw(self.root, highlight=hi, edge_labels=labels, **kw)


_dname = dname


def _mag(x: float) -> float:
    """|x| for ordering; NaN sorts first (largest), so a broken path is never hidden."""
    return math.inf if x != x else abs(x)


def explain(root: Node, node: Node, *, index: Any = None, max_paths: int = 10) -> Explanation:
    """Every path from ``root`` to ``node`` with its chain-rule factors, their product, and the sum over paths.

    ``max_paths`` caps the listing: the largest contributions come first and the rest are summed in one line.

    Tensors: ``root`` must hold one number (a loss) and ``index`` names the element of ``node`` to explain
    (``explain(loss, W, index=(i, j))``: d loss / d W[i, j]). The paths then run element by element: from
    ``W[i, j]`` through each element of each intermediate array it changes, each factor one entry of an op's
    Jacobian, d z[k] / d W[i, j], read from the op's own derivative rule (its vector-Jacobian product with an
    upstream of 1 at z[k] and 0 elsewhere). Entries that are exactly 0 at this point (a relu that is off, an
    element ``W[i, j]`` does not touch) carry nothing and are left out, so ``count`` counts the paths with a
    non-zero product. The sum over the paths is ``W.grad[i, j]`` as ``backward()`` computes it.
    """
    for what, x in (("root", root), ("node", node)):
        if not isinstance(x, Node):
            raise TypeError(f"explain: the {what} must be a Value or a Tensor, got {type(x).__name__} {x!r}")
    if isinstance(max_paths, bool) or not isinstance(max_paths, (int, np.integer)) or max_paths < 1:
        raise ValueError(f"explain: max_paths must be at least 1, got {max_paths!r} (an integer: paths to list)")
    arrays = hasattr(root.data, "shape") or hasattr(node.data, "shape")
    if not arrays and index is not None:
        raise ValueError(f"explain: index={index!r} picks an element of a Tensor; {node!r} is a single number")
    flat = _element(root, node, index) if arrays else None
    order = topological_order(root)
    names = graph_names(graph_order(root))  # the drawing's names
    if node not in names:  # the root does not depend on it: no path, gradient 0
        names[node] = node_name(node)
        if arrays:
            names[node] += _at(node, flat)
        return Explanation(root, node, [], 0, 0.0, names, max_paths)
    if node not in set(order):  # a constant: no gradient flows to it
        raise ValueError(f"explain: {node!r} requires no grad (a constant), so no gradient flows to it")

    # which nodes lead down to `node`
    reach: dict[Node, bool] = {}
    for n in order:  # parents first
        reach[n] = n is node or any(reach.get(p, False) for p in n._parents)  # constants: not in order
    if arrays:
        built = _element_paths(root, node, flat, order, reach, names)
        names = dict(names)  # the header names elements: dL/dW[0, 1]
        names[root] += _at(root, 0)
        names[node] += _at(node, flat)
        if built is None:  # every path has a factor that is 0 at this point
            return Explanation(root, node, [], 0, 0.0, names, max_paths, blocked=True)
    else:
        built = _node_paths(node, order, reach, names)
    down, factor, target = built
    start = len(down) - 1  # the root (or its one element) comes last in the topological order

    # count the paths and sum their products, both by dynamic programming from the root down
    count: dict[int, int] = {start: 1}
    adj: dict[int, float] = {start: 1.0}
    for i in range(len(down) - 1, -1, -1):
        if i not in count or i == target:
            continue
        c, a = count[i], adj[i]
        for p, _slot, d in down[i]:
            count[p] = count.get(p, 0) + c
            adj[p] = adj.get(p, 0.0) + a * d
    # the largest |product| from each key down to `node`: an exact bound for a best-first search
    best: list[float] = [0.0] * len(down)
    for i in range(len(down)):
        best[i] = 1.0 if i == target else max(_mag(d) * best[p] for p, _slot, d in down[i])

    paths = _largest_paths(start, target, down, best, factor, max_paths)
    return Explanation(root, node, paths, count.get(target, 0), adj.get(target, 0.0), names, max_paths)


def _node_paths(node: Node, order: list[Node], reach: dict[Node, bool], names: dict[Node, str]):
    """Scalars: one key per node that leads to ``node``; each edge's factor is the op's local derivative."""
    keys = [n for n in order if reach[n]]  # parents first; the root last
    ids = {n: i for i, n in enumerate(keys)}
    down: list[list[tuple[int, int, float]]] = []  # per key: (parent key, slot, local derivative)
    for n in keys:
        if n._fn is None or n is node:
            down.append([])
            continue
        local = local_derivatives(n)  # the rule at upstream 1
        down.append([(ids[p], slot, d) for slot, (p, d) in enumerate(zip(n._parents, local)) if reach.get(p, False)])

    def factor(c: int, slot: int, p: int, d: float) -> Factor:
        return _factor(keys[c], slot, d, names, names)

    return down, factor, ids[node]


#: at most this many rows of Jacobians are computed for a Tensor explanation (one vector-Jacobian product each)
MAX_ELEMENTS = 20_000


def _element(root: Node, node: Node, index: Any) -> int:
    """The flat position of ``index`` in ``node``, after checking that ``root`` is one number."""
    rshape = tuple(np.shape(root.data))
    if int(np.prod(rshape)) != 1:
        raise ValueError(f"explain: the root has shape {rshape}; explain needs one number to differentiate (a "
                         "loss): call .sum() or .mean() on it first")
    shape = tuple(np.shape(node.data))
    if index is None:
        if int(np.prod(shape)) == 1:
            return 0
        raise ValueError(f"explain: the node has shape {shape}; say which element to explain with index=, e.g. "
                         f"explain(loss, W, index={tuple(0 for _ in shape)})")
    ix = (index,) if isinstance(index, (int, np.integer)) else tuple(index)
    if len(ix) != len(shape) or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in ix):
        raise ValueError(f"explain: index={index!r} must be {len(shape)} integers for a node of shape {shape}")
    if not all(-n <= i < n for i, n in zip(ix, shape)):
        raise IndexError(f"explain: index={index!r} is out of range for a node of shape {shape}")
    return int(np.ravel_multi_index(tuple(int(i) % n for i, n in zip(ix, shape)), shape))


def _at(node: Node, flat: int) -> str:
    """``'[1, 0]'``: an element's index as the user would write it (nothing for a 0-d array or a Value)."""
    shape = np.shape(node.data)
    if not shape:
        return ""
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) + "]"


def _jacobians(n: Node, reach: dict[Node, bool]) -> list[Any]:
    """For each parent slot of ``n`` (None for a parent that does not lead to the explained node), the Jacobian
    d n / d parent as a (n.size, parent.size) matrix, row k from the op's rule with an upstream of 1 at n[k]."""
    parents, op = n._parents, n._fn
    out = [np.zeros((n.data.size, p.data.size)) if reach.get(p, False) else None for p in parents]
    needs = [p.requires_grad for p in parents]
    xs = [p.data for p in parents]
    with n._quiet():
        for k in range(n.data.size):
            g = np.zeros(n.data.shape, dtype=n.data.dtype)
            g.flat[k] = 1
            grads = vjp(op, n._math, n._ctx, g, n.data, xs, needs)
            for slot, (p, pg) in enumerate(zip(parents, grads)):
                if out[slot] is None or pg is None:
                    continue
                pg = np.asarray(pg)
                if pg.shape != p.data.shape:
                    pg = unbroadcast(pg, p.data.shape)  # as the engine does: broadcasting undone
                out[slot][k] = pg.ravel()
    return out


def _element_paths(root: Node, node: Node, flat: int, order: list[Node], reach: dict[Node, bool],
                   names: dict[Node, str]):
    """Arrays: one key per (node, element) on a path from the root's element down to ``node[flat]``."""
    sub = [n for n in order if reach[n]]
    work = sum(n.data.size for n in sub if n._fn is not None and n is not node)
    if work > MAX_ELEMENTS:
        raise ValueError(f"explain: this graph has {work} elements between the root and the node; explaining one "
                         f"element computes a Jacobian row for each and the limit is {MAX_ELEMENTS} "
                         "(autograd.explain.MAX_ELEMENTS). Explain a smaller batch or model.")
    jac = {n: _jacobians(n, reach) for n in sub if n._fn is not None and n is not node}
    dep: dict[Node, Any] = {}  # the elements of each node that W[i, j] changes
    for n in sub:
        if n is node:
            dep[n] = np.zeros(n.data.size, dtype=bool)
            dep[n][flat] = True
        else:
            dep[n] = np.zeros(n.data.size, dtype=bool)
            for p, J in zip(n._parents, jac[n]):
                if J is not None:
                    dep[n] |= (J[:, dep[p]] != 0).any(axis=1)
    on: dict[Node, Any] = {}  # ... and that change the root: the elements on a path
    back: dict[Node, Any] = {n: np.zeros(n.data.size, dtype=bool) for n in sub}
    back[root][:] = True
    for n in reversed(sub):
        on[n] = dep[n] & back[n]
        if n is node:
            continue
        for p, J in zip(n._parents, jac[n]):
            if J is not None:
                back[p] |= (J[on[n]] != 0).any(axis=0)
    if not on[node][flat]:
        return None
    keys: list[tuple[Node, int]] = [(n, int(k)) for n in sub for k in np.flatnonzero(on[n])]
    ids = {(id(n), k): i for i, (n, k) in enumerate(keys)}  # by identity: a node's == compares its data
    down: list[list[tuple[int, int, float]]] = []
    for n, k in keys:
        edges = []
        if n is not node:
            for slot, (p, J) in enumerate(zip(n._parents, jac[n])):
                if J is not None:
                    edges += [(ids[(id(p), int(m))], slot, float(J[k, m])) for m in np.flatnonzero(on[p] & (J[k] != 0))]
        down.append(edges)

    def elem(i: int) -> str:
        n, k = keys[i]
        return names[n] + _at(n, k)

    def factor(c: int, slot: int, p: int, d: float) -> Factor:
        child, parent = keys[c][0], keys[p][0]
        f = _factor(child, slot, d, {child: elem(c), parent: elem(p)}, names)
        where = f.where
        if re.search(r"\bg\b", f.formula):  # a rule written with the upstream g: which entry of it this is
            where = f"{where}; " * bool(where) + f"read at {elem(p)} with g = 1 at {elem(c)}, 0 elsewhere"
        return Factor(child, parent, slot, f.name, f.formula, where, f.value)

    return down, factor, ids[(id(node), flat)]


def _largest_paths(start, target, down, best, factor, max_paths) -> list[ChainPath]:
    """Best-first (A*) search from the root: a partial path's priority is |its product| times the best
    completion, so complete paths come off the heap largest first. Ties go depth first (newest entry), so each
    path takes at most one pop per edge: the work is bounded by max_paths * depth * fan-out."""
    heap: list[tuple] = [(-_mag(1.0) * best[start], 0, start, 1.0, None)]
    counter = 0
    found: list[ChainPath] = []
    while heap and len(found) < max_paths:
        _, _, i, prod, link = heapq.heappop(heap)
        if i == target:
            edges = []
            while link is not None:
                edge, link = link
                edges.append(edge)
            edges.reverse()
            found.append(ChainPath(tuple(factor(*e) for e in edges), prod))
            continue
        for p, slot, d in down[i]:
            counter += 1
            q = prod * d
            heapq.heappush(heap, (-(_mag(q) * best[p]), -counter, p, q, ((i, slot, p, d), link)))
    found.sort(key=lambda path: -_mag(path.product))
    return found


def _factor(child: Node, slot: int, value: float, names: dict, node_names: dict) -> Factor:
    """One factor: ``names`` names the child and the parent in the factor's name (elements for arrays),
    ``node_names`` the nodes in the formula's letters."""
    parent = child._parents[slot]
    name = _dname(names[child], names[parent])
    if sum(p is parent for p in child._parents) > 1:  # (identity: a Tensor's == compares its data)
        name += f" [arg {slot + 1}]"
    formula = slot_formula(child._fn, child._ctx, slot, len(child._parents))
    letters = formula_letters(child, slot, node_names.__getitem__)
    return Factor(child, parent, slot, name, formula, letters, float(value))
