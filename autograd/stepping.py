"""Backpropagation one node at a time, with each step able to print, tabulate and draw itself.

>>> from autograd import Value
>>> from autograd.stepping import backward_steps
>>> x, w1 = Value(-1.0, label="x"), Value(3.0, label="w1")
>>> z1 = w1 * x; z1.label = "z1"
>>> J = z1 ** 2; J.label = "J"
>>> for step in backward_steps(J):
...     print(step)
step 0: J = z1 ** 2 | upstream dJ/dJ = 1 | z1: n * x^(n-1) [x = z1, n = 2] = -6, gets -6, total -6
step 1: z1 = w1 * x | upstream dJ/dz1 = -6 | w1: b [a = w1, b = x] = -1, gets 6, total 6 | x: a [a = w1, b = x] = 3, ...

Each step is the engine's own :class:`~autograd.engine.Step` (the backward loop paused after one node), so
running the steps to the end leaves exactly the gradients ``J.backward()`` leaves. A step holds the node, its
upstream gradient d(root)/d(node), and for each parent slot the local derivative (its formula from the op
registry and its number), the contribution sent down that edge and the parent's total so far. For tensors, a
contribution whose shape differs from its parent's is shown with the shape it is summed back to (broadcasting
undone).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import engine
from .engine import Node, Op, Step, unbroadcast
from .notation import format_array
from .style import display_label, dname, node_names
from .viz import draw as _draw
from .viz import graph_order

__all__ = ["backward_steps", "RichStep", "slot_formula", "node_name", "graph_names", "formula_letters"]


def slot_formula(op: Op, ctx: Any, slot: int, n_inputs: int) -> str:
    """The registered local derivative of ``op`` with respect to its input number ``slot`` (:meth:`Op.formula_for`:
    ``weighted_sum`` has one formula for the weights, one for the inputs and one for the bias; ``concatenate``
    one for every piece)."""
    return op.formula_for(ctx, slot, n_inputs)


def node_name(node: Node, index: int | None = None) -> str:
    """A node's name on its own, outside any graph: the lecture's name of its label (:func:`autograd.style.
    display_label`), else its op's name (with ``#index`` when given), else ``const 3`` / ``input(2, 3)`` for an
    unlabelled leaf. Within a graph, steps, explanations and drawings use :func:`graph_names`."""
    if node.label:
        return display_label(node.label)
    suffix = "" if index is None else f"#{index}"
    if node._fn is not None:
        return node._fn.name + suffix
    if hasattr(node.data, "shape") and np.ndim(node.data) > 0:
        return f"input{tuple(node.data.shape)}" + suffix
    return f"const {float(np.asarray(node.data)):g}"


def graph_names(order: list[Node]) -> dict[Node, str]:
    """Every node of a graph (``order``: :func:`autograd.viz.graph_order`) with its name in steps, explanations
    and drawings alike (:func:`autograd.style.node_names`; an unlabelled leaf is ``const 3`` or ``input(2, 3)``)."""
    names = node_names(order)
    for node, name in names.items():
        if not name:
            names[node] = node_name(node)
    return names


def formula_letters(node: Node, slot: int, name: Callable[[Node], str]) -> str:
    """What the letters of the registered formula of ``node``'s op stand for at slot ``slot``:
    ``'a = w1, b = x'`` for ``w1 * x``, ``'x = z1, n = 2'`` for ``z1 ** 2`` (``name``: node -> its name;
    the op's :meth:`Op.letters_for`)."""
    return node._fn.letters_for(node, slot, [name(p) for p in node._parents])


def _brief(x: Any) -> str:
    """A number as ``%.4g``; a small array by its values; a big one by shape and mean."""
    if x is None:
        return "-"
    if isinstance(x, (float, int, np.floating, np.integer)):
        return f"{float(x):.4g}"
    a = np.asarray(x)
    if a.ndim == 0:
        return f"{float(a):.4g}"
    if a.size <= 6:
        return format_array(a)
    return f"{a.shape} mean {float(a.mean()):.4g}"


def _is_upstream_times(upstream: Any, local: Any, contribution: Any) -> bool:
    """True when ``contribution`` is ``upstream * local`` (element by element, to rounding): then the local
    derivative printed as a number is honest. False for a vector-Jacobian product that is not element-wise
    (matmul's ``a^T @ g`` with an upstream other than ones, a sum, softmax)."""
    if local is None or contribution is None:
        return False
    if not hasattr(contribution, "shape"):
        return True  # scalars: the rule is always upstream * local
    try:
        product = np.asarray(upstream) * np.asarray(local)
    except ValueError:  # shapes that do not even broadcast together
        return False
    with np.errstate(all="ignore"):
        return product.shape == np.shape(contribution) and bool(
            np.allclose(product, contribution, rtol=1e-12, atol=0.0, equal_nan=True))


class _Run:
    """What the steps of one backward pass share: the root, the order, the gradients known so far."""

    __slots__ = ("root", "order", "index", "names", "first_consumer", "history", "cursor", "pending")

    def __init__(self, root: Node) -> None:
        self.root = root
        self.order = graph_order(root)  # the drawing's numbering: names match its n{i} ids
        self.index = {node: i for i, node in enumerate(self.order)}
        self.names = graph_names(self.order)
        # backward visits the order in reverse, so a node's last contribution comes from its earliest consumer
        self.first_consumer: dict[Node, int] = {}
        for i, node in enumerate(self.order):
            for p in node._parents:
                self.first_consumer.setdefault(p, i)
        self.history: list[tuple[Node, Any]] = []  # (node, its gradient), in the order backward stored them
        self.cursor = len(self.order)  # everything at index >= cursor has had its turn
        self.pending: dict[Node, Any] = {}

    def advance(self, step: RichStep) -> None:
        """Record the leaves stored since the previous step, then the step's own node."""
        i = self.index[step.node]
        for j in range(self.cursor - 1, i, -1):
            node = self.order[j]
            if node in self.pending:
                self.history.append((node, self.pending[node]))
        self.history.append((step.node, step.upstream))
        self.cursor = i
        self.pending = step.pending


class RichStep(Step):
    """An engine :class:`~autograd.engine.Step` that prints as one line, renders as an HTML table in Jupyter
    and draws the graph as it stands at this step (``step.draw()``)."""

    __slots__ = ("_run", "_known")

    # -- what the step holds, per parent slot ----------------------------------------------------------------
    def name(self, node: Node) -> str:
        run = getattr(self, "_run", None)
        if run is not None and node in run.names:
            return run.names[node]
        return node_name(node)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per parent slot: parent, formula, local derivative (the rule applied to an upstream of ones),
        contribution (as the op's rule produced it from the real upstream, and as summed back to the parent's
        shape), ``receives`` (what the parent gets: the summed contribution if there is one), ``elementwise``
        (True when the contribution is the upstream times the local derivative element by element, always for
        scalars; for arrays only for element-wise ops: matmul, sums, softmax... apply their formula to the
        upstream ``g``, the vector-Jacobian product) and the parent's total so far."""
        op, node = self.op, self.node
        locs = self.local_derivatives()
        out = []
        for slot, parent in enumerate(node._parents):
            c = self.contributions[slot] if slot < len(self.contributions) else None
            needs = parent.requires_grad and c is not None
            summed = None
            if needs and node._broadcasts and np.shape(c) != np.shape(parent.data):
                summed = unbroadcast(c, parent.data.shape)
            out.append({
                "slot": slot,
                "parent": parent,
                "formula": slot_formula(op, node._ctx, slot, len(node._parents)),
                "local": locs[slot] if needs and slot < len(locs) else None,
                "contribution": c if needs else None,
                "summed": summed,
                "receives": (c if summed is None else summed) if needs else None,
                "elementwise": needs and slot < len(locs) and _is_upstream_times(self.upstream, locs[slot], c),
                "total": self.totals[slot] if needs else None,
            })
        return out

    def root_name(self) -> str:
        """The name of the root whose gradient is being computed (``J``: the header reads ``dJ/dw1``)."""
        run = getattr(self, "_run", None)
        return self.name(run.root if run is not None else self.node)

    # -- text ------------------------------------------------------------------------------------------------
    def expression(self) -> str:
        """The node as its op applied to its parents' names: ``z1 * w2``, ``error ** 2``, ``sigmoid(z)``."""
        node = self.node
        return node._fn.expression_for(node._ctx, [self.name(p) for p in node._parents])

    def __str__(self) -> str:
        node = self.node
        parts = [f"step {self.index}: {self.name(node)} = {self.expression()}",
                 f"upstream {dname(self.root_name(), self.name(node))} = {_brief(self.upstream)}"]
        for r in self.rows():
            who = self.name(r["parent"])
            if r["contribution"] is None:
                parts.append(f"{who}: no gradient (constant)")
                continue
            sent = _brief(r["contribution"])
            if r["summed"] is not None:
                shapes = f"{np.shape(r['contribution'])} summed to {np.shape(r['summed'])}"
                sent = f"{shapes} {_brief(r['summed'])}"
            local, total = _brief(r["local"]), _brief(r["total"])
            letters = formula_letters(node, r["slot"], self.name)
            formula = f"{r['formula']} [{letters}]" if letters else r["formula"]
            if r["elementwise"]:
                parts.append(f"{who}: {formula} = {local}, gets {sent}, total {total}")
            else:  # the formula applied to the real upstream: there is no separate local number to print
                parts.append(f"{who}: {formula} = {sent} (what it receives: the vector-Jacobian product), "
                             f"total {total}")
        return " | ".join(parts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        node = self.node
        who = e(self.name(node))
        head = (f"<b>step {self.index}</b>: <code>{who} = {e(self.expression())}</code>"
                f" &nbsp; upstream {e(dname(self.root_name(), self.name(node)))} = "
                f"<code>{e(_brief(self.upstream))}</code>")
        arrays = node._broadcasts
        cells = ["parent", "local derivative", "where", "value",
                 "parent receives (vector-Jacobian product of the upstream)" if arrays
                 else "contribution (upstream × local)", "parent's total so far"]
        rows = ["<tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>"]
        for r in self.rows():
            sent = _brief(r["contribution"])
            if r["summed"] is not None:
                shapes = f"{np.shape(r['contribution'])} → {np.shape(r['summed'])}"
                sent += f" → summed over broadcast axes {shapes}: "
                sent += _brief(r["summed"])
            local = _brief(r["local"])
            if arrays and r["contribution"] is not None:
                local = (f"{local} (upstream × this, element by element)" if r["elementwise"]
                         else "- (not element-wise: the formula is applied to the upstream g)")
            vals = [self.name(r["parent"]), r["formula"], formula_letters(node, r["slot"], self.name),
                    local, sent, _brief(r["total"])]
            rows.append("<tr>" + "".join(f"<td><code>{e(v)}</code></td>" for v in vals) + "</tr>")
        note = ("<p><small>Arrays: each parent receives the vector-Jacobian product of the upstream gradient g: "
                "for an element-wise op, g times the local derivative element by element; for matmul, sums, "
                "softmax and the like, the formula applied to g. A gradient that was broadcast is summed back to "
                "the parent's shape.</small></p>" if arrays else "")
        return f"<div>{head}<table>{''.join(rows)}</table>{note}</div>"

    # -- picture ---------------------------------------------------------------------------------------------
    def known_grads(self) -> tuple[dict[Node, Any], dict[Node, Any]]:
        """``(done, pending)``: the gradients of nodes that have had their turn by this step, and the partial
        sums of nodes still waiting."""
        run = getattr(self, "_run", None)
        if run is None:
            return {}, dict(self.pending)
        return dict(run.history[: self._known]), dict(self.pending)

    def is_final(self, node: Node) -> bool:
        """True when ``node``'s gradient can grow no more after this step: every node that consumes it has had
        its turn (backward runs the topological order in reverse, so its earliest consumer comes last)."""
        run = getattr(self, "_run", None)
        if run is None:
            return node is self.node
        first = run.first_consumer.get(node)
        return first is None or first >= run.index[self.node]

    def draw(self, **kw: Any):
        """The graph with this node and its edges highlighted and the gradients known at this step filled in
        (``grad 0.5``: final, every consumer has sent its share; ``so far 0.5``: a partial sum still waiting
        for consumers; ``grad ?``: not reached yet; ``constant``: a node that needs no gradient).
        Keyword arguments go to :func:`autograd.viz.draw`."""
        run = getattr(self, "_run", None)
        root = run.root if run is not None else self.node
        done, pending = self.known_grads()

        def grad_text(node: Node) -> str:
            if node in done:
                return format_array(done[node])
            if node in pending:
                return ("" if self.is_final(node) else "so far ") + format_array(pending[node])
            return "?"

        hi = [self.node] + [(self.node, i) for i in range(len(self.node._parents))]
        kw.setdefault("title", str(self))
        return _draw(root, highlight=hi, grad_text=grad_text, **kw)


def backward_steps(root: Node, grad: Any = None, *, into: dict[Node, Any] | None = None) -> Iterator[RichStep]:
    """``root``'s backward pass one operation node at a time: an iterator of :class:`RichStep`.

    It is :func:`autograd.engine.backward_steps` itself (the engine's general backward loop: the arithmetic of
    ``backward()``), with rich steps; each
    step also remembers which gradients were known when it was taken, so ``steps[3].draw()`` after the loop
    has run shows step 3's picture. As with ``backward()``, ``.grad`` is filled in when the last step is done.
    ``into``: a dict that receives the gradients in place of ``.grad`` (see :func:`autograd.engine.backward_steps`).
    """
    run = _Run(root)
    for step in engine.backward_steps(root, grad, step_class=RichStep, into=into):
        run.advance(step)
        step._run = run
        step._known = len(run.history)
        yield step
