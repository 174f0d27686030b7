"""Step through backward and back again, without touching ``.grad`` until you say so.

>>> from autograd import Value, Stepper
>>> x, w1 = Value(-1.0, label="x"), Value(3.0, label="w1")
>>> z1 = w1 * x; z1.label = "z1"
>>> J = z1 ** 2; J.label = "J"
>>> s = Stepper(J)
>>> len(s), s.position
(2, 0)
>>> print(s.next())
step 1: z1 = w1 * x | upstream dJ/dz1 = -6 | w1: b [a = w1, b = x] = -1, gets 6, total 6 | x: a [a = w1, b = x] = 3, ...
>>> w1.grad                      # nothing is added to .grad while stepping
0.0
>>> s.prev().index, s.goto(-1).index
(0, 1)
>>> s.commit(); w1.grad          # adds exactly what J.backward() adds, once
True
6.0
>>> s.commit()                   # a second commit (a re-run cell) adds nothing
False

The steps are those of :func:`autograd.stepping.backward_steps`, which is the loop ``backward()`` runs, asked
to put every gradient into a private dict instead of ``.grad`` (``engine.backward_steps(..., into=buffer)``).
The whole pass is computed once, when the stepper is made; moving the cursor only chooses which step is shown,
so stepping back, restarting or re-running a cell can never add a gradient twice. ``commit()`` adds the buffer
to ``.grad`` in backward's own order with backward's own accumulation rule, so the result is bit for bit what
``root.backward()`` gives.

In Jupyter a stepper shows itself as a widget (first / previous / play / next / last and a slider) when
ipywidgets has a front end, and otherwise as the self-contained player of :meth:`Stepper.to_html`: every frame an
inline SVG, a few lines of JavaScript, nothing fetched from the network, so the walk survives in a saved notebook.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import style, viz
from .engine import Node, topological_order
from .stepping import RichStep, backward_steps

__all__ = ["Stepper", "FINAL_COLOR"]

#: border of nodes whose gradient is final (every consumer has sent its share): Okabe–Ito bluish green against the
#: vermillion of the current step (autograd.style holds both)
FINAL_COLOR = style.COLORS["final"]
HIGHLIGHT = style.COLORS["highlight"]


class Stepper:
    """The backward pass of ``root`` as steps you can move through: ``next()``, ``prev()``, ``goto(k)``,
    ``reset()``, ``len(stepper)``, ``stepper.current``; ``commit()`` adds the gradients to ``.grad``.

    ``grad`` seeds the pass as in ``root.backward(grad)`` (needed for a non-scalar root). Gradients are computed
    into a private buffer when the stepper is made (see the module docstring); no ``.grad`` changes until
    :meth:`commit`. Differs from ``backward_steps``, which stores into ``.grad`` as it goes (it is the loop a
    script runs), and has no PyTorch counterpart.
    """

    #: frames a player draws at most (each is the whole graph, so a page grows with steps x nodes: 160 steps of
    #: a 160-node chain took 52 s and 54 MB when every step was drawn)
    MAX_FRAMES = 40

    def __init__(self, root: Node, grad: Any = None) -> None:
        if not isinstance(root, Node):
            raise TypeError(f"Stepper: root must be a Value or a Tensor, got {type(root).__name__}")
        self.root = root
        self._buffer: dict[Node, Any] = {}
        self._steps: list[RichStep] = list(backward_steps(root, grad, into=self._buffer))
        self._position = 0
        self._committed = False
        self._svgs: dict[int, str] = {}
        # every leaf's data as it was (inputs and constants too: a weight's gradient is made of them), so commit()
        # can refuse gradients of a graph that has since changed
        leaves = {id(q): q for n in topological_order(root) for q in (n, *n._parents) if q._fn is None}
        self._snapshot = [(n, np.array(n.data, copy=True)) for n in leaves.values()]

    # -- moving ---------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        """The number of steps: one per operation node that receives a gradient."""
        return len(self._steps)

    def __iter__(self) -> Iterator[RichStep]:
        """Every step in order (the cursor does not move)."""
        return iter(self._steps)

    def __getitem__(self, k: int) -> RichStep:
        return self._steps[self._index(k, "stepper[k]")]

    @property
    def position(self) -> int:
        """The index of the current step (0 is the root's turn)."""
        return self._position

    @property
    def current(self) -> RichStep | None:
        """The step at the cursor (``None`` only when there are no steps: the root is a leaf)."""
        return self._steps[self._position] if self._steps else None

    @property
    def at_end(self) -> bool:
        """True at the last step (``next()`` would stay there)."""
        return self._position >= len(self._steps) - 1

    def next(self) -> RichStep | None:
        """Move one step forward and return the new current step; at the last step, stay there."""
        self._position = min(self._position + 1, max(len(self._steps) - 1, 0))
        return self.current

    def prev(self) -> RichStep | None:
        """Move one step back and return the new current step; at step 0, stay there."""
        self._position = max(self._position - 1, 0)
        return self.current

    def goto(self, k: int) -> RichStep:
        """Move to step ``k`` (negative counts from the end, as in a list) and return it."""
        self._position = self._index(k, "goto")
        return self._steps[self._position]

    def reset(self) -> RichStep | None:
        """Back to step 0. Nothing to undo: no ``.grad`` changed while stepping."""
        self._position = 0
        return self.current

    def _index(self, k: int, what: str) -> int:
        n = len(self._steps)
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
            raise TypeError(f"Stepper.{what}: the step must be an integer, got {type(k).__name__} {k!r}")
        if not -n <= k < n:
            raise IndexError(f"Stepper.{what}: step {k} does not exist; this pass has {n} steps, 0 to {n - 1}"
                             + (" (the root is a leaf: it has no operation to step through)" if n == 0 else ""))
        return int(k) % n

    # -- gradients ------------------------------------------------------------------------------------------------
    @property
    def gradients(self) -> dict[Node, Any]:
        """What ``backward()`` would add to each node's ``.grad`` (node -> gradient, in backward's order)."""
        return dict(self._buffer)

    def known(self, k: int | None = None) -> tuple[dict[Node, Any], dict[Node, Any]]:
        """``(final, partial)`` at step ``k`` (default: the current one): the gradients that can grow no more
        (every consumer has sent its share) and the partial sums of nodes still waiting for a consumer."""
        step = self._step(k)
        if step is None:
            return dict(self._buffer), {}
        done, pending = step.known_grads()
        final = dict(done)
        partial = {}
        for n, g in pending.items():
            (final if step.is_final(n) else partial)[n] = g
        return final, partial

    @property
    def committed(self) -> bool:
        """True once :meth:`commit` has added the gradients to ``.grad``."""
        return self._committed

    def commit(self) -> bool:
        """Add the gradients to ``.grad``, exactly as ``root.backward()`` would (same order, same accumulation, so
        bit for bit the same), whatever step the cursor is at. Only the first call adds; later calls change
        nothing and return False, so re-running a notebook cell cannot double a gradient.

        Raises :class:`RuntimeError`, changing nothing, when the data of any leaf of the graph (a weight, an input,
        a constant) changed since the stepper was made (an optimizer step, a reused input buffer): the gradients
        belong to the old values.
        """
        if self._committed:
            return False
        changed = [n for n, data in self._snapshot if not np.array_equal(np.asarray(n.data), data, equal_nan=True)]
        if changed:
            names = ", ".join(n.label or repr(n) for n in changed[:5])
            raise RuntimeError(
                f"Stepper.commit: the data of {names} changed since this stepper computed its gradients (an "
                "optimizer step?); they would be gradients of the old values. Make a new Stepper(root) on the "
                "graph as it is now (re-run the forward pass first)."
            )
        store = self.root._store_grad
        for node, g in self._buffer.items():  # the engine's own storing, as backward() does it (engine._store)
            if isinstance(g, np.ndarray):
                g = g.copy()  # .grad gets its own array: changing it in place never changes this stepper
            if node._fn is None:
                store(node, g)
            elif node.grad is None:
                node.grad = g
            else:
                store(node, g)
        self._committed = True
        return True

    # -- pictures ---------------------------------------------------------------------------------------------
    def _step(self, k: int | None) -> RichStep | None:
        if k is None:
            return self.current
        return self._steps[self._index(k, "draw")]

    def draw(self, k: int | None = None, **kw: Any):
        """The graph at step ``k`` (default: the current step): the step's node and edges in orange, nodes whose
        gradient is final with a bluish green border, each node's gradient as known then (``so far ...``: a partial sum
        still waiting for consumers; ``?``: not reached yet). Keyword arguments go to :func:`autograd.viz.draw`.
        """
        step = self._step(k)
        if step is None:
            return viz.draw(self.root, **kw)
        final, partial = self.known(step.index)

        def grad_text(node: Node) -> str:
            if node in final:
                return viz.format_array(final[node])
            if node in partial:
                return "so far " + viz.format_array(partial[node])
            return "?"

        hi: dict[Any, str] = {n: FINAL_COLOR for n in final}
        hi[step.node] = HIGHLIGHT
        hi.update({(step.node, i): HIGHLIGHT for i in range(len(step.node._parents))})
        return viz.draw(self.root, highlight=hi, grad_text=grad_text, **kw)

    def svg(self, k: int | None = None) -> str:
        """Step ``k``'s picture as inline SVG (rendered by Graphviz's ``dot``, cached)."""
        step = self._step(k)
        key = -1 if step is None else step.index
        if key not in self._svgs:
            text = viz.render_svg(self.draw(k))
            self._svgs[key] = text[text.index("<svg"):]  # no XML prolog or DOCTYPE: it goes inside HTML
        return self._svgs[key]

    def caption_html(self, k: int | None = None) -> str:
        """The step line of step ``k`` as HTML: the step's table (formula, numbers) and the final gradients."""
        step = self._step(k)
        if step is None:
            return ("<p>The root is a leaf: there is no operation to step through; its gradient is the seed "
                    f"<code>{html.escape(viz.format_array(self._buffer.get(self.root)))}</code>.</p>")
        final, partial = self.known(step.index)
        names = [html.escape(step.name(n)) for n in final]
        waiting = [html.escape(step.name(n)) for n in partial]
        lines = [step._repr_html_(),
                 f"<p class='cr-known'><b>final</b> (green border): {', '.join(names) or '-'}"
                 f" &nbsp; <b>still adding up</b> (so far): {', '.join(waiting) or '-'}</p>"]
        return "".join(lines)

    def frame_html(self, k: int | None = None) -> str:
        """One frame: the step line above the picture (the picture scrolls sideways if it is wide)."""
        return (f"<div class='cr-caption'>{self.caption_html(k)}</div>"
                f"<div class='cr-svg' style='overflow:auto;max-height:75vh'>{self.svg(k)}</div>")

    def to_html(self, *, title: str | None = None, max_frames: int | None = None) -> str:
        """The walk as one self-contained HTML document: every frame an inline SVG, the same buttons and slider
        as :meth:`widget`, a few lines of plain JavaScript and nothing fetched from the network.

        Each frame draws the whole graph, so the page grows with steps x nodes: at most ``max_frames`` frames
        (default :attr:`MAX_FRAMES`) from the current step on are drawn, and the page says which;
        ``max_frames=len(stepper)`` draws them all."""
        from .player import document

        return document(self._player(max_frames), title=title or f"backward pass of {self._root_name()}")

    def _root_name(self) -> str:
        return self._steps[0].name(self.root) if self._steps else (self.root.label or "the root")

    def _player(self, max_frames: int | None = None) -> str:
        from .player import player

        cap = self.MAX_FRAMES if max_frames is None else max_frames
        if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 1:
            raise ValueError(f"Stepper.to_html: max_frames must be an integer >= 1, got {max_frames!r}")
        n = max(len(self._steps), 1)
        lo = min(self._position, max(n - cap, 0))  # a window from the current step (shifted to end at the last)
        hi = min(lo + cap, n)
        frames = [self.frame_html(k if self._steps else None) for k in range(lo, hi)]
        nodes = [f"n{s._run.index[s.node]}" for s in self._steps[lo:hi]] or [""]
        note = "" if (lo, hi) == (0, n) else (
            f"<p class='cr-window'>Steps {lo} to {hi - 1} of 0 to {n - 1}: a player draws at most {cap} frames "
            "(each is the whole graph). Move the stepper (<code>stepper.goto(k)</code>) and show it again, or "
            "call <code>stepper.to_html(max_frames=len(stepper))</code> for all.</p>")
        return player(frames, nodes, start=self._position - lo, offset=lo, total=n, note=note)

    def _repr_html_(self) -> str:
        return self._player()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """A live widget where a Jupyter kernel with ipywidgets is running (its front end shows it), and the
        kernel-free player as the HTML fallback that saved notebooks, GitHub and nbviewer show."""
        bundle = {"text/plain": repr(self), "text/html": self._player()}
        if _in_kernel():
            try:
                bundle.update(self.widget()._repr_mimebundle_() or {})
                bundle["text/plain"] = repr(self)
            except ImportError:
                pass
        return bundle

    def __repr__(self) -> str:
        state = "committed" if self._committed else "not committed"
        head = f"Stepper({self._root_name()}: step {self._position} of {len(self)} steps, {state})"
        return head + (f"\n{self.current}" if self._steps else "")

    def widget(self):
        """An ipywidgets view: first / previous / play / next / last buttons, a slider, the step line and the
        picture. Moving it moves this stepper's cursor. Needs ipywidgets (``pip install chainrule[course]``)."""
        try:
            import ipywidgets as w
        except ImportError as e:
            raise ImportError("Stepper.widget needs ipywidgets: pip install ipywidgets (or the course extra); "
                              "stepper.to_html() needs nothing but Graphviz") from e
        last = max(len(self._steps) - 1, 0)
        slider = w.IntSlider(value=self._position, min=0, max=last, description="step", continuous_update=False)
        play = w.Play(value=self._position, min=0, max=last, interval=1200, description="play")
        w.jslink((play, "value"), (slider, "value"))
        view = w.HTML(self.frame_html())

        def button(text: str, tip: str, to: Any) -> Any:
            b = w.Button(description=text, tooltip=tip, layout=w.Layout(width="auto"))
            b.on_click(lambda _: setattr(slider, "value", to()))
            return b

        buttons = [button("⏮ first", "step 0", lambda: 0),
                   button("◀ prev", "one step back", lambda: max(slider.value - 1, 0)),
                   button("next ▶", "one step forward", lambda: min(slider.value + 1, last)),
                   button("last ⏭", f"step {last}", lambda: last)]

        def show(change: dict) -> None:
            if self._steps:
                self.goto(change["new"])
            view.value = self.frame_html()

        slider.observe(show, names="value")
        box = w.VBox([w.HBox(buttons[:2] + [play] + buttons[2:] + [slider]), view])
        box.stepper_controls = {"first": buttons[0], "prev": buttons[1], "next": buttons[2], "last": buttons[3],
                                "play": play, "slider": slider, "view": view}
        return box


def _in_kernel() -> bool:
    """True inside a running Jupyter kernel (where a widget can have a front end)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None
