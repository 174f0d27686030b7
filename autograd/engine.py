"""The graph engine: one node protocol, one operation registry, one backward loop.

Every differentiable object (the scalar :class:`~autograd.value.Value`, the numpy-backed
:class:`~autograd.tensor.Tensor`) is a :class:`Node`:

* ``data``      the number or array it holds,
* ``grad``      the gradient of the last ``backward()`` root with respect to it,
* ``_parents``  an *ordered tuple* of the nodes it was computed from (``a + a`` has two slots),
* ``_fn``       the :class:`Op` that made it (``None`` for a leaf),
* ``_ctx``      the op's non-node arguments (an exponent, an axis, a mask) or ``None``.

An :class:`Op` is registered once, with its forward computation, its derivative and a printable formula of the
derivative. The derivative is a vector-Jacobian product written with ordinary operators and the math namespace
``F`` it is handed, so the *same* rule runs on raw floats and arrays (a fast first-order backward) and on nodes
(a recorded, differentiable backward for higher-order gradients)::

    backward(F, ctx, g, out, *inputs) -> one gradient (or None) per input

Backward walks the graph in reverse topological order, found iteratively (an explicit stack, never recursion),
visiting every node once. Gradients flow through a buffer private to the call and are added to ``.grad`` when a
node's total is known, so calling ``backward()`` twice gives exactly twice every gradient. Gradients that were
broadcast in the forward pass are summed back to the input's shape in one place, :func:`unbroadcast`.

This module imports nothing else from the package.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "Op",
    "REGISTRY",
    "register",
    "unregister",
    "Node",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "topological_order",
    "backward",
    "backward_steps",
    "Step",
    "unbroadcast",
]


# --------------------------------------------------------------------------------------------------------------
# Operations as data
# --------------------------------------------------------------------------------------------------------------


class Op:
    """One registered operation: forward, derivative (a vector-Jacobian product) and its formula.

    ``formula`` holds one printable local derivative per input, e.g. ``("1 - tanh(x)^2",)``; ``kinks`` lists the
    input values where the op is not differentiable (gradcheck warns near them instead of failing).
    """

    __slots__ = ("name", "symbol", "arity", "forward", "backward", "formula", "kinks", "selective", "doc")

    def __init__(
        self,
        name: str,
        *,
        arity: int,
        forward: Callable[..., Any],
        backward: Callable[..., tuple],
        formula: tuple[str, ...],
        symbol: str | None = None,
        kinks: tuple[float, ...] = (),
        selective: bool = False,
        doc: str = "",
    ) -> None:
        if len(formula) != arity and arity >= 0:
            raise ValueError(f"op {name!r}: {arity} inputs but {len(formula)} derivative formulas")
        self.name = name
        self.symbol = symbol or name
        self.arity = arity  # -1: any number of inputs
        self.forward = forward
        self.backward = backward
        self.formula = formula
        self.kinks = kinks
        self.selective = selective  # backward takes needs=(bool, ...) and skips unneeded inputs
        self.doc = doc

    def describe(self) -> str:
        """``'mul: d/da = b, d/db = a'``: the op's local derivatives, one per input."""
        names = "abcdefgh" if self.arity != 1 else "x"
        parts = [f"d/d{names[i]} = {f}" for i, f in enumerate(self.formula)]
        return f"{self.name}: " + ", ".join(parts)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __reduce__(self) -> tuple:
        return (_registered, (self.name,))  # an op pickles as its registry name (its rules are lambdas)


REGISTRY: dict[str, Op] = {}
"""Every registered operation by name (``REGISTRY["tanh"].describe()`` gives ``tanh: d/dx = 1 - tanh(x)^2``):
the one table that backward, gradcheck, the drawings, the steps, explain and trace read."""


def _registered(name: str) -> Op:
    return REGISTRY[name]


def register(op: Op) -> Op:
    """Add ``op`` to :data:`REGISTRY`; each name is registered once."""
    if op.name in REGISTRY:
        raise ValueError(f"an op named {op.name!r} is already registered")
    REGISTRY[op.name] = op
    return op


def unregister(name: str) -> Op:
    """Remove the op called ``name`` from :data:`REGISTRY` (for ops a test or notebook registered)."""
    if name not in REGISTRY:
        raise KeyError(f"no op named {name!r} is registered")
    return REGISTRY.pop(name)


# --------------------------------------------------------------------------------------------------------------
# Grad mode (per thread)
# --------------------------------------------------------------------------------------------------------------


class _GradMode(threading.local):
    enabled = True
    #: an anomaly checker (see autograd.anomaly.detect_anomaly) or None: when set, every recorded node is
    #: passed to ``anomaly.forward(node)`` and every backward step to ``anomaly.backward(node, upstream, grads)``
    anomaly: Any = None

    def __init__(self) -> None:
        self.saved: list[bool] = []  # grad modes to restore, innermost last (one stack per thread)


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside :class:`no_grad` (in this thread)."""
    return _mode.enabled


class no_grad:
    """Context manager (and decorator, with or without parentheses): operations inside record no graph.
    Thread-safe and re-entrant."""

    _enable = False

    def __new__(cls, func: Callable | None = None) -> Any:
        if func is not None:  # used bare, as @no_grad
            return cls()(func)
        return super().__new__(cls)

    def __enter__(self) -> None:
        _mode.saved.append(_mode.enabled)  # a per-thread stack: one instance may be nested or shared
        _mode.enabled = self._enable

    def __exit__(self, *exc: object) -> None:
        _mode.enabled = _mode.saved.pop()

    def __call__(self, func: Callable) -> Callable:
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Context manager: record graphs again, even inside :class:`no_grad`."""

    _enable = True


# --------------------------------------------------------------------------------------------------------------
# The node protocol
# --------------------------------------------------------------------------------------------------------------


class Node:
    """Base of Value and Tensor: what the engine, the stepper and the renderer read."""

    __slots__ = ("data", "grad", "label", "_parents", "_fn", "_ctx", "__weakref__")
    # the slots' types, for type checkers (annotations only: no class attribute is created)
    data: Any
    grad: Any
    label: str | None
    _parents: tuple[Node, ...]
    _fn: Op | None
    _ctx: Any

    requires_grad: bool = True
    #: math namespace whose functions act on this node's raw ``data`` (set by subclasses)
    _math: Any = None
    #: True when data have shapes, so gradients may need summing over broadcast axes
    _broadcasts: bool = False

    @property
    def parents(self) -> tuple[Node, ...]:
        """The nodes this one was computed from, in argument order (repeats included)."""
        return self._parents

    @property
    def op(self) -> Op | None:
        """The registered :class:`Op` that made this node, or ``None`` for a leaf."""
        return self._fn

    @property
    def is_leaf(self) -> bool:
        return self._fn is None

    def backward(self, grad: Any = None, *, create_graph: bool = False) -> None:
        """Run the chain rule from this node; adds d(self)/d(node) to every node's ``.grad``."""
        backward(self, grad, create_graph=create_graph)

    # hooks a subclass overrides -------------------------------------------------------------------------------
    def _seed(self, grad: Any, create_graph: bool) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def _quiet() -> Any:
        """A context for the backward pass (Tensor: numpy's divide warnings of 0 * inf = 0 cases silenced)."""
        return contextlib.nullcontext()


# --------------------------------------------------------------------------------------------------------------
# Topological order
# --------------------------------------------------------------------------------------------------------------

_EXIT = object()  # stack marker: "all parents of the node beneath me are done"


def topological_order(root: Node) -> list[Node]:
    """Every node ``root`` depends on, once each, parents before children; ``root`` is last.

    An iterative depth-first search: each node is pushed, then a marker, then its unvisited parents; when the
    marker comes back off the stack all the node's parents are placed, so the node is placed next. Linear in the
    number of edges, no recursion, and deterministic (it depends only on the order of ``_parents``). Parents that
    do not require grad (constants and data tensors) are left out: no gradient flows to them.
    """
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[Any] = [root]
    push, pop, place, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node = pop()
        if node is _EXIT:
            place(pop())
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(_EXIT)
        for parent in node._parents:
            if parent.requires_grad and parent not in seen:  # constants need no gradient: skip them
                push(parent)
    return order


# --------------------------------------------------------------------------------------------------------------
# Broadcasting, undone in one place
# --------------------------------------------------------------------------------------------------------------


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, so it takes ``shape``.

    Works on numpy arrays and on Tensors alike (both have ``.shape``, ``.sum`` and ``.reshape``).
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    stretched = tuple(i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1)
    if not stretched:  # only leading axes were added (a bias broadcast over a batch): one sum, no reshape
        return g.sum(axis=tuple(range(lead)))
    g = g.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return g.reshape(shape)


# --------------------------------------------------------------------------------------------------------------
# Backward: one loop, used by backward() and, a step at a time, by backward_steps()
# --------------------------------------------------------------------------------------------------------------


class Step:
    """One node's turn in the backward pass (see :func:`backward_steps`).

    ``upstream`` is d(root)/d(node); ``contributions[i]`` what the node sends to ``parents[i]``
    (upstream times the local derivative); ``totals[i]`` that parent's gradient so far, after this step;
    ``pending`` the partial gradients of every node still waiting for its turn.
    """

    __slots__ = ("index", "node", "upstream", "contributions", "totals", "pending", "_math")

    def __init__(self, index, node, upstream, contributions, totals, pending, math) -> None:
        self.index = index
        self.node = node
        self.upstream = upstream
        self.contributions = contributions
        self.totals = totals
        self.pending = pending
        self._math = math

    @property
    def op(self) -> Op | None:
        return self.node._fn

    @property
    def parents(self) -> tuple[Node, ...]:
        return self.node._parents

    @property
    def formulas(self) -> tuple[str, ...]:
        """The local derivative of the node with respect to each parent, as registered."""
        return self.op.formula if self.op is not None else ()

    def local_derivatives(self) -> tuple[Any, ...]:
        """d(node)/d(parent) for each parent, as numbers: the op's rule applied to an upstream gradient of 1.

        For tensors this is the vector-Jacobian product with a gradient of ones (a per-element derivative for
        element-wise ops).
        """
        node, op = self.node, self.op
        if op is None:
            return ()
        xs = [p.data for p in node._parents]
        one = self._math.ones_like(self.upstream)
        grads = _call_rule(op, self._math, node._ctx, one, node.data, xs, None)
        return tuple(grads)

    def __repr__(self) -> str:
        from_ = self.node.label or (self.op.symbol if self.op else "leaf")
        return f"Step({self.index}, {from_}, upstream={self.upstream!r})"


def _call_rule(op: Op, F: Any, ctx: Any, g: Any, out: Any, xs: Any, needs: Any) -> tuple:
    """Apply ``op``'s derivative; on float division by zero or overflow, redo it in numpy (inf, like numpy)."""
    try:
        if op.selective:
            return op.backward(F, ctx, g, out, *xs, needs=needs)
        return op.backward(F, ctx, g, out, *xs)
    except (ZeroDivisionError, OverflowError):
        import numpy as np

        with np.errstate(all="ignore"):
            args = [np.float64(x) if isinstance(x, float) else x for x in xs]
            res = _call_rule(op, F, ctx, np.float64(g), np.float64(out), args, needs)
        return tuple(None if r is None else float(r) for r in res)


def _propagate(
    root: Node, grad: Any, create_graph: bool, stepping: bool, step_class: type[Step] | None = None,
    into: dict[Node, Any] | None = None,
) -> Iterator[Step]:
    """The backward pass. A generator so that :func:`backward_steps` can pause it; :func:`backward` runs it
    to the end (it never yields then). With ``into``, what would be added to each ``.grad`` goes into that dict
    instead (node -> gradient, in the order backward adds them) and no ``.grad`` changes."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: the root does not require grad (nothing in its graph does). Create the inputs you want "
            "gradients for with requires_grad=True."
        )
    seed = root._seed(grad, create_graph)
    order = topological_order(root)
    broadcasts = root._broadcasts
    F = root._node_math if create_graph else root._math
    store = root._store_grad if into is None else into.__setitem__
    anomaly = _mode.anomaly
    buffer: dict[Node, Any] = {root: seed}
    pop, get = buffer.pop, buffer.get
    index = 0
    # a recorded backward must record even inside no_grad; a plain one computes on raw data and records nothing
    with enable_grad() if create_graph else contextlib.nullcontext(), root._quiet():
        for node in reversed(order):
            g = pop(node, None)
            if g is None:
                continue
            fn = node._fn
            if fn is None:
                store(node, g)  # a leaf: the class decides how its .grad accumulates (and copies arrays)
                continue
            if node.grad is None and into is None:
                node.grad = g  # an intermediate node's first gradient: kept for inspection and drawing
            else:
                store(node, g)
            parents = node._parents
            if create_graph:  # the rule runs on the nodes themselves, so it is recorded
                if anomaly is not None:
                    anomaly.recording = node  # so a NaN made inside the rule is blamed on this node's op
                try:
                    grads = _call_rule(fn, F, node._ctx, g, node, parents, [p.requires_grad for p in parents])
                except ValueError as e:  # e.g. sqrt's 1/(2 sqrt x) recorded at x = 0 (a DomainError for a Value)
                    raise type(e)(f"backward of {fn.name} (recorded, create_graph=True): {e}") from e
                if anomaly is not None:
                    anomaly.recording = None
            else:
                try:  # unpacked by arity: this is the hottest line of the engine
                    if len(parents) == 1:
                        grads = fn.backward(F, node._ctx, g, node.data, parents[0].data)
                    elif len(parents) == 2:
                        a, b = parents
                        if broadcasts and fn.selective:
                            grads = fn.backward(F, node._ctx, g, node.data, a.data, b.data,
                                                needs=(a.requires_grad, b.requires_grad))
                        else:
                            grads = fn.backward(F, node._ctx, g, node.data, a.data, b.data)
                    elif broadcasts and fn.selective:
                        grads = fn.backward(F, node._ctx, g, node.data, *[p.data for p in parents],
                                            needs=tuple(p.requires_grad for p in parents))
                    else:
                        grads = fn.backward(F, node._ctx, g, node.data, *[p.data for p in parents])
                except (ZeroDivisionError, OverflowError):  # float division by zero: redo it as numpy would
                    grads = _call_rule(fn, F, node._ctx, g, node.data, [p.data for p in parents], None)
            if grads.__class__ is not tuple and grads.__class__ is not list or len(grads) != len(parents):
                _bad_rule(fn, grads, parents)
            if anomaly is not None:
                anomaly.backward(node, g, grads)
            if broadcasts:
                for parent, pg in zip(parents, grads):
                    if pg is None or not parent.requires_grad:
                        continue
                    pdata = parent.data  # the one place where broadcasting is undone and dtypes are kept
                    if pg.shape != pdata.shape:
                        pg = _fit(pg, pdata.shape, fn)
                    if pg.dtype is not pdata.dtype and pg.dtype != pdata.dtype:
                        pg = pg.astype(pdata.dtype)
                    elif pg is g and parent._fn is None and not create_graph:
                        pg = pg.copy()  # a leaf's .grad must not be the very array another node holds
                    prev = get(parent)
                    buffer[parent] = pg if prev is None else prev + pg
            else:  # scalars: nothing to unbroadcast, the tightest loop over the edges
                for parent, pg in zip(parents, grads):
                    if pg is not None and parent.requires_grad:
                        prev = get(parent)
                        buffer[parent] = pg if prev is None else prev + pg
            if stepping:
                totals = tuple(get(p) if p.requires_grad else None for p in parents)
                yield (step_class or Step)(index, node, g, tuple(grads), totals, dict(buffer), F)
                index += 1


def _fit(g: Any, shape: tuple[int, ...], fn: Op) -> Any:
    """:func:`unbroadcast`, or a clear error when ``fn``'s rule returned a gradient that cannot have come from
    broadcasting the input (a rule of your own with a bug, say)."""
    try:
        fitted = unbroadcast(g, shape)
    except ValueError:
        fitted = None
    if fitted is None or fitted.shape != shape:
        raise ValueError(
            f"backward of {fn.name}: its rule returned a gradient of shape {tuple(g.shape)} for an input of shape "
            f"{shape}; a gradient must have the input's shape (or a shape that broadcasts from it)"
        )
    return fitted


def _bad_rule(fn: Op, grads: Any, parents: tuple) -> None:
    raise TypeError(
        f"backward of {fn.name}: its rule must return one gradient (or None) per input, a tuple of "
        f"{len(parents)}; it returned {type(grads).__name__}"
        + (f" of {len(grads)}" if isinstance(grads, (tuple, list)) else "")
    )


def backward(root: Node, grad: Any = None, *, create_graph: bool = False) -> None:
    """Add d(root)/d(node) to ``node.grad`` for every node ``root`` depends on (intermediate ones included).

    ``grad`` seeds the pass (required for a non-scalar root, as in PyTorch). With ``create_graph=True`` the
    backward pass is itself recorded, so the gradients are nodes you can differentiate again.
    """
    for _ in _propagate(root, grad, create_graph, stepping=False):
        pass  # pragma: no cover - never yields when not stepping


def backward_steps(
    root: Node, grad: Any = None, *, step_class: type[Step] | None = None, into: dict[Node, Any] | None = None
) -> Iterator[Step]:
    """The backward pass one node at a time: an iterator of :class:`Step` (or of ``step_class``, a subclass
    that knows how to display itself).

    It is the same loop as :func:`backward`, paused after each node; running it to the end leaves exactly the
    gradients ``root.backward()`` leaves. With ``into`` (a dict) no ``.grad`` changes: each node's gradient,
    which backward would add to its ``.grad``, goes into ``into[node]`` instead, in the order backward adds them
    (:class:`autograd.Stepper` computes in such a private buffer and adds it on ``commit()``).
    """
    return _propagate(root, grad, False, stepping=True, step_class=step_class, into=into)
