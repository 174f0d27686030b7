"""The chain rule behind one gradient: every path from the loss to a weight, each factor named and valued.

>>> from autograd import Value
>>> from autograd.explain import explain
>>> x, w1 = Value(2.0, label="x"), Value(-0.5, label="w1")
>>> z1 = w1 * x; z1.label = "z1"
>>> y_hat = z1.sigmoid(); y_hat.label = "y_hat"
>>> J = (y_hat - 1.0) ** 2; J.label = "J"
>>> e = explain(J, w1)
>>> [f.name for f in e.paths[0].factors]
['dJ/d(sub#5)', 'd(sub#5)/dy_hat', 'dy_hat/dz1', 'dz1/dw1']
>>> round(e.total, 6)
-0.574939

The gradient dJ/dw is a sum over the paths from J down to w of the product of the local derivatives along each
path (one factor per edge, i.e. per parent *slot*: ``a * a`` has two edges from a). Each factor is the op's
registered derivative rule applied to an upstream gradient of 1, with its formula from the registry.

The number of paths can explode (an MLP weight has one per downstream unit and layer combination): they are
counted first, by dynamic programming over the topological order, and only the ``max_paths`` largest
contributions are listed (found by a best-first search, iterative and bounded), with the sum of the rest.
``explain(...).total`` is the sum over *all* paths, which equals what ``backward()`` puts in ``w.grad``.
"""

from __future__ import annotations

import heapq
import html
import math
import re
from dataclasses import dataclass
from typing import Any

from .engine import Node, local_derivatives, topological_order
from .stepping import formula_letters, node_name, slot_formula
from .viz import COLORS, graph_order
from .viz import draw as _draw

__all__ = ["explain", "Explanation", "ChainPath", "Factor", "FACTOR_COLORS"]

#: factor colours in path order, as on the lecture slide: dJ/dy_hat purple, dy_hat/dz1 red, dz1/dw1 blue, ...
FACTOR_COLORS = ("#7b2cbf", "#d62828", "#1d4ed8", "#2a9d8f", "#e76f51", "#6a994e", "#b5179e", "#8d6e63")

HIGHLIGHT = COLORS["highlight"]
_IDENT = re.compile(r"[A-Za-z_][\w.]*\Z")


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
                 names: dict[Node, str], max_paths: int) -> None:
        self.root, self.node = root, node
        self.paths = paths  #: the listed paths, largest |contribution| first
        self.count = count  #: how many paths there are in all (an exact integer, however large)
        self.total = total  #: the sum over all paths: d(root)/d(node), as backward() computes it
        self.max_paths = max_paths
        self._names = names

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


def _dname(top: str, bottom: str) -> str:
    """``dJ/dy_hat`` for simple names, ``d(tanh#4)/d(z1)`` otherwise."""
    t = top if _IDENT.match(top) else f"({top})"
    b = bottom if _IDENT.match(bottom) else f"({bottom})"
    return f"d{t}/d{b}"


def _mag(x: float) -> float:
    """|x| for ordering; NaN sorts first (largest), so a broken path is never hidden."""
    return math.inf if x != x else abs(x)


def explain(root: Node, node: Node, *, max_paths: int = 10) -> Explanation:
    """Every path from ``root`` to ``node`` with its chain-rule factors, their product, and the sum over paths.

    ``max_paths`` caps the listing: the largest contributions come first and the rest are summed in one line.
    Value graphs only: for a Tensor the factors are Jacobians rather than numbers, and a
    :class:`NotImplementedError` says what to use instead.
    """
    for what, n in (("root", root), ("node", node)):
        if hasattr(n.data, "shape"):
            raise NotImplementedError(
                f"explain: the {what} is a Tensor of shape {tuple(n.data.shape)}; explain lists numeric chain-rule "
                "factors for Value graphs only (the lecture's scalars). For Tensors, step through backward with "
                "autograd.stepping.backward_steps(root) to see each op's local derivative and contribution, or "
                "build the computation from Values"
            )
    if max_paths < 1:
        raise ValueError(f"explain: max_paths must be at least 1, got {max_paths}")
    order = topological_order(root)
    names = {n: node_name(n, i) for i, n in enumerate(graph_order(root))}  # the drawing's numbering
    if node not in names:  # the root does not depend on it: no path, gradient 0
        names[node] = node_name(node)
        return Explanation(root, node, [], 0, 0.0, names, max_paths)
    if node not in set(order):  # a constant: no gradient flows to it
        raise ValueError(f"explain: {node!r} requires no grad (a constant), so no gradient flows to it")

    # which nodes lead down to `node`, and the local derivatives of their ops (upstream 1)
    reach: dict[Node, bool] = {}
    local: dict[Node, tuple] = {}
    for n in order:  # parents first
        reach[n] = n is node or any(reach.get(p, False) for p in n._parents)  # constants: not in order
        if reach[n] and n._fn is not None and n is not node:
            local[n] = local_derivatives(n)

    # count the paths and sum their products, both by dynamic programming from the root down
    count: dict[Node, int] = {root: 1}
    adj: dict[Node, float] = {root: 1.0}
    for n in reversed(order):
        if n not in count or n is node or n not in local:
            continue
        c, a = count[n], adj[n]
        for p, d in zip(n._parents, local[n]):
            if reach.get(p, False):
                count[p] = count.get(p, 0) + c
                adj[p] = adj.get(p, 0.0) + a * d
    # the largest |product| from each node down to `node`: an exact bound for a best-first search
    best: dict[Node, float] = {}
    for n in order:
        if not reach[n]:
            continue
        if n is node:
            best[n] = 1.0
        else:
            best[n] = max(_mag(d) * best[p] for p, d in zip(n._parents, local[n]) if reach.get(p, False))

    paths = _largest_paths(root, node, local, reach, best, names, max_paths)
    return Explanation(root, node, paths, count[node], adj[node], names, max_paths)


def _largest_paths(root, node, local, reach, best, names, max_paths) -> list[ChainPath]:
    """Best-first (A*) search from the root: a partial path's priority is |its product| times the best
    completion, so complete paths come off the heap largest first. Ties go depth first (newest entry), so each
    path takes at most one pop per edge: the work is bounded by max_paths * depth * fan-out."""
    heap: list[tuple] = [(-_mag(1.0) * best[root], 0, root, 1.0, None)]
    counter = 0
    found: list[ChainPath] = []
    while heap and len(found) < max_paths:
        _, _, n, prod, link = heapq.heappop(heap)
        if n is node:
            edges = []
            while link is not None:
                (child, slot), link = link
                edges.append((child, slot))
            edges.reverse()
            found.append(ChainPath(tuple(_factor(c, s, local, names) for c, s in edges), prod))
            continue
        for slot, (p, d) in enumerate(zip(n._parents, local[n])):
            if reach.get(p, False):
                counter += 1
                q = prod * d
                heapq.heappush(heap, (-(_mag(q) * best[p]), -counter, p, q, ((n, slot), link)))
    found.sort(key=lambda path: -_mag(path.product))
    return found


def _factor(child: Node, slot: int, local: dict, names: dict) -> Factor:
    parent = child._parents[slot]
    name = _dname(names[child], names[parent])
    if child._parents.count(parent) > 1:
        name += f" [arg {slot + 1}]"
    formula = slot_formula(child._fn, child._ctx, slot, len(child._parents))
    letters = formula_letters(child, slot, names.__getitem__)
    return Factor(child, parent, slot, name, formula, letters, float(local[child][slot]))
