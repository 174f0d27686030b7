"""The graph engine: one backward loop, one node protocol, one operation registry.

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
visiting every node once. Gradients flow through a buffer private to the call and are added to ``.grad`` when the
walk is done, so calling ``backward()`` twice gives exactly twice every gradient and a failed walk changes none.
Gradients that were broadcast in the forward pass are summed back to the input's shape in one place
(:func:`unbroadcast`, called from the Tensor loop). The loop itself comes first below.

This module imports nothing else from the package (numpy only).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

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
    "vjp",
    "local_derivatives",
    "unbroadcast",
]


# --------------------------------------------------------------------------------------------------------------
# Backward: the chain rule, node by node
# --------------------------------------------------------------------------------------------------------------
# By hand, the lecture starts at the loss with dJ/dJ = 1, takes the nodes from the loss back to the inputs, and at
# each node multiplies the node's gradient by its op's local derivative with respect to each input and adds the
# product to that input's gradient. `_walk` is that loop. In reverse topological order every consumer of a node
# comes before it, so a node's gradient is complete when its turn comes; the local rule is the op's registered
# `backward`. What Values do not need is chosen once, before the walk, never tested inside it: Tensors fit each
# gradient to its input's shape (`_walk_shaped`); a recorded backward (`_recorded_rule`), anomaly checks and
# `backward_steps` run the general loop (`_walk_general`). Gradients reach `.grad` when the walk is done
# (`_store`), so an error half way changes no `.grad`.


def backward(root: Node, grad: Any = None, *, create_graph: bool = False) -> None:
    """Add d(root)/d(node) to ``node.grad`` for every node ``root`` depends on (intermediate ones included).

    ``grad`` seeds the pass (required for a non-scalar root, as in PyTorch). With ``create_graph=True`` the
    backward pass is itself recorded, so the gradients are nodes you can differentiate again.
    """
    seed, order = _start(root, grad, create_graph)
    if create_graph or _mode.anomaly is not None:  # the rare modes: the general loop, run to its end
        grads: dict[Node, Any] = {}
        for _ in _walk_general(root, order, {root: seed}, grads, create_graph):
            pass
    else:
        with root._quiet():
            grads = (_walk_shaped if root._broadcasts else _walk)(order, {root: seed}, root._math)
    _store(grads, root._store_grad)


def _walk(order: list[Node], grads: dict[Node, Any], F: Any) -> dict[Node, Any]:
    """The backward loop (Values): ``grads`` starts as {root: 1} and ends with d(root)/d(node) for every node."""
    get = grads.get
    for node in reversed(order):  # consumers before the nodes they consume
        fn = node._fn
        if fn is None:
            continue  # a leaf: its gradient is complete and nothing lies below it
        g = get(node)  # d(root)/d(node): complete, every consumer has sent its share
        if g is None:
            continue  # the root does not depend on this node
        parents = node._parents
        try:  # the local rule: what each parent receives, g times d(node)/d(parent) (unpacked: the hottest line)
            if len(parents) == 1:
                sent = fn.backward(F, node._ctx, g, node.data, parents[0].data)
            elif len(parents) == 2:
                sent = fn.backward(F, node._ctx, g, node.data, parents[0].data, parents[1].data)
            else:
                sent = fn.backward(F, node._ctx, g, node.data, *[p.data for p in parents])
        except (ZeroDivisionError, OverflowError):  # float division by zero: redo it as numpy would (inf)
            sent = vjp(fn, F, node._ctx, g, node.data, [p.data for p in parents])
        if sent.__class__ is not tuple and sent.__class__ is not list or len(sent) != len(parents):
            _bad_rule(fn, sent, parents)
        for parent, pg in zip(parents, sent):  # accumulate: a node used twice receives the sum
            if pg is not None and parent.requires_grad:  # constants need no gradient
                prev = get(parent)
                grads[parent] = pg if prev is None else prev + pg
    return grads


# --------------------------------------------------------------------------------------------------------------
# Operations as data
# --------------------------------------------------------------------------------------------------------------


class Op:
    """One registered operation: forward, derivative (a vector-Jacobian product) and its formula, and how tools
    show and check it.

    ``formula`` holds one printable local derivative per input, e.g. ``("1 - tanh(x)^2",)``; ``kinks`` lists the
    input values where the op is not differentiable (gradcheck warns near them instead of failing). The optional
    hooks below let drawings, steps, explanations and gradcheck treat the op as well as any built-in one; each
    has a default that suits most ops (see the methods that read them):

    * ``text(ctx)``: how a drawing shows the op with its constant arguments (``**2``, ``sum(axis=1)``);
    * ``letters(node, slot, names)``: what the letters of the formula stand for at input ``slot`` of ``node``,
      given its parents' ``names`` (``'x = z1, n = 2'``);
    * ``expression(ctx, names)``: the node as its op applied to its parents' names (``'z1 ** 2'``);
    * ``formula_slot(ctx, slot)``: which registered formula belongs to input ``slot`` (ops of any arity);
    * ``branch(ctx, xs, out)``: an array that changes exactly when an input crosses a kink (None: smooth here);
    * ``values(ctx, slot, xs, out)``: the numbers the letters of the formula of input ``slot`` stand for
      (``{'x': ..., 'n': 2}``), so the formula can be evaluated and checked against ``backward``
      (:mod:`autograd.formula`); or a string saying why the formula cannot be evaluated element by element.
    """

    __slots__ = ("name", "symbol", "arity", "forward", "backward", "formula", "kinks", "selective", "doc",
                 "text", "letters", "expression", "formula_slot", "branch", "values")

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
        text: Callable[[Any], str] | None = None,
        letters: Callable[[Any, int, Sequence[str]], str] | None = None,
        expression: Callable[[Any, Sequence[str]], str] | None = None,
        formula_slot: Callable[[Any, int], int] | None = None,
        branch: Callable[[Any, Sequence[Any], Any], Any] | None = None,
        values: Callable[[Any, int, Sequence[Any], Any], dict[str, Any]] | str | None = None,
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
        self.text = text
        self.letters = letters
        self.expression = expression
        self.formula_slot = formula_slot
        self.branch = branch
        self.values = values

    def describe(self) -> str:
        """``'mul: d/da = b, d/db = a'``: the op's local derivatives, one per input."""
        names = "abcdefgh" if self.arity != 1 else "x"
        parts = [f"d/d{names[i]} = {f}" for i, f in enumerate(self.formula)]
        return f"{self.name}: " + ", ".join(parts)

    # what tools read: the hooks above, or their defaults ---------------------------------------------------------
    def show(self, ctx: Any) -> str:
        """How a drawing shows the op: ``text(ctx)``, else its symbol."""
        return self.symbol if self.text is None else self.text(ctx)

    def formula_for(self, ctx: Any, slot: int, n_inputs: int) -> str:
        """The registered local derivative with respect to input ``slot`` of ``n_inputs``: one formula per input,
        else the one ``formula_slot`` picks, else the last one for every further input (``concatenate``)."""
        if len(self.formula) == n_inputs:
            return self.formula[slot]
        if self.formula_slot is not None:
            return self.formula[self.formula_slot(ctx, slot)]
        return self.formula[min(slot, len(self.formula) - 1)]

    def letters_for(self, node: Any, slot: int, names: Sequence[str]) -> str:
        """What the formula's letters stand for: ``letters(...)``, else ``x = ...`` for one input and
        ``a = ..., b = ...`` for two (the letters of :meth:`describe`)."""
        if self.letters is not None:
            return self.letters(node, slot, names)
        if len(names) == 1:
            return f"x = {names[0]}"
        if len(names) == 2:
            return f"a = {names[0]}, b = {names[1]}"
        return ""

    def expression_for(self, ctx: Any, names: Sequence[str]) -> str:
        """The node as an expression of its parents' names: ``expression(...)``, else ``a * b`` for an operator
        symbol, else ``text(args)``."""
        if self.expression is not None:
            return self.expression(ctx, names)
        if len(names) == 2 and self.symbol in _INFIX:
            return f"{names[0]} {self.symbol} {names[1]}"
        return f"{self.show(ctx)}({', '.join(names)})"

    def branch_for(self, ctx: Any, xs: Sequence[Any], out: Any) -> Any:
        """Which piece of a piecewise op is active at inputs ``xs`` (gradcheck compares it on both sides of a
        finite difference): ``branch(...)``, else the sign of each input against each of ``kinks``, else None."""
        if self.branch is not None:
            return self.branch(ctx, xs, out)
        if self.kinks:
            return np.stack([np.sign(np.asarray(x) - k) for x in xs for k in self.kinks])
        return None

    def values_for(self, ctx: Any, slot: int, xs: Sequence[Any], out: Any) -> dict[str, Any]:
        """The numbers the letters of input ``slot``'s formula stand for: ``values(...)``, else ``x`` for one
        input and ``a``, ``b``, ... for more (the letters of :meth:`describe`); ``out`` is the op's output."""
        if callable(self.values):
            return self.values(ctx, slot, xs, out)
        if len(xs) == 1:
            return {"x": xs[0], "out": out}
        return {**dict(zip("abcdefgh", xs)), "out": out}

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __reduce__(self) -> tuple:
        return (_registered, (self.name,))  # an op pickles as its registry name (its rules are lambdas)


_INFIX = ("+", "-", "*", "/", "@", "**")  # symbols written between their two operands


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
    # hooks the engine reads, set or overridden by each node class --------------------------------------------
    #: math namespace whose functions act on this node's raw ``data`` (a plain, fast backward)
    _math: Any = None
    #: math namespace whose functions act on nodes of this class (a recorded backward, ``create_graph=True``)
    _node_math: Any = None
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
    def ctx(self) -> Any:
        """The op's constant arguments (an exponent, an axis, a mask), or ``None``."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._fn is None

    def backward(self, grad: Any = None, *, create_graph: bool = False) -> None:
        """Run the chain rule from this node; adds d(self)/d(node) to every node's ``.grad``."""
        backward(self, grad, create_graph=create_graph)

    def _seed(self, grad: Any, create_graph: bool) -> Any:  # pragma: no cover - overridden
        """d(self)/d(self) for a backward pass from this node (``grad``, checked, or one), a node if recorded."""
        raise NotImplementedError

    @staticmethod
    def _store_grad(node: Any, g: Any) -> None:  # pragma: no cover - overridden
        """Add the gradient ``g`` of a finished backward pass to ``node.grad``."""
        raise NotImplementedError

    @staticmethod
    def _quiet() -> Any:
        """A context for the backward pass (Tensor: numpy's divide warnings of 0 * inf = 0 cases silenced)."""
        return contextlib.nullcontext()

    # copying and pickling, iteratively: a chain of a million ops must not exhaust Python's recursion limit ----
    def __deepcopy__(self, memo: dict) -> Node:
        """A deep copy of the node and of the graph behind it, made parents first (no recursion)."""
        import copy

        for node in topological_order(self):  # parents first, so each node's parents are already copied
            if id(node) not in memo:
                new = object.__new__(type(node))
                memo[id(node)] = new
                for name, value in _slots_of(node).items():
                    if name == "_parents":  # (a constant parent is a leaf: copying it recurses one level)
                        value = tuple(memo[id(p)] if id(p) in memo else copy.deepcopy(p, memo) for p in value)
                    elif name != "_fn":  # an op is a registry entry, shared
                        value = copy.deepcopy(value, memo)
                    setattr(new, name, value)
        return memo[id(self)]

    def __copy__(self) -> Node:
        """A shallow copy: a new node with the same data, parents and op."""
        new = object.__new__(type(self))
        for name, value in _slots_of(self).items():
            setattr(new, name, value)
        return new

    def __reduce_ex__(self, protocol: Any) -> tuple:
        """Pickle a node with its graph. pickle recurses into a node's parents, so the first node pickled lists
        its whole graph, parents first, ahead of its own fields: each node then finds its parents already
        pickled, and the depth stays constant however long the chain."""
        flattening = _flattening()
        if id(self) in flattening or not self._parents:
            return (_shell, (type(self),), (None, _slots_of(self), None))
        ancestors = topological_order(self)[:-1]
        added = [id(n) for n in ancestors if id(n) not in flattening]
        flattening.update(added)
        return (_shell, (type(self),), (ancestors, _slots_of(self), _Release(added)))

    def __setstate__(self, state: tuple) -> None:
        for name, value in state[1].items():
            setattr(self, name, value)


_SLOTS: dict[type, tuple[str, ...]] = {}
_pickling = threading.local()


def _slots_of(node: Node) -> dict[str, Any]:
    """The node's fields (every ``__slots__`` entry of its class and bases that is set)."""
    cls = type(node)
    names = _SLOTS.get(cls)
    if names is None:
        names = _SLOTS[cls] = tuple(n for c in cls.__mro__ for n in c.__dict__.get("__slots__", ())
                                    if n not in ("__weakref__", "__dict__"))
    return {n: getattr(node, n) for n in names if hasattr(node, n)}


def _shell(cls: type) -> Node:
    return object.__new__(cls)


def _flattening() -> set[int]:
    """ids of the nodes whose graph this thread's pickler is writing out parents first (see Node.__reduce_ex__)."""
    ids = getattr(_pickling, "ids", None)
    if ids is None:
        ids = _pickling.ids = set()
    return ids


def _nothing() -> None:
    return None


class _Release:
    """Pickled after a graph's nodes: forgets their ids (the pickle stores a None in its place)."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __reduce_ex__(self, protocol: Any) -> tuple:
        _flattening().difference_update(self.ids)
        return (_nothing, ())


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
# The pieces the backward loop is made of, and its variants
# --------------------------------------------------------------------------------------------------------------


def _start(root: Node, grad: Any, create_graph: bool) -> tuple[Any, list[Node]]:
    """The seed gradient d(root)/d(root) and the order of the walk."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: the root does not require grad (nothing in its graph does, or it was computed inside "
            "no_grad). Create the inputs you want gradients for with requires_grad=True (a Value always does), "
            "outside no_grad."
        )
    return root._seed(grad, create_graph), topological_order(root)


def _store(grads: dict[Node, Any], store: Callable[[Any, Any], None]) -> None:
    """Add the gradients of a finished walk to ``.grad`` (``store``: the node class's own way, ``_store_grad``)."""
    for node, g in grads.items():
        if node._fn is not None and node.grad is None:
            node.grad = g  # an intermediate node's first gradient: kept for inspection and drawing
        else:
            store(node, g)


def vjp(op: Op, F: Any, ctx: Any, g: Any, out: Any, xs: Any, needs: Any = None) -> tuple:
    """``op``'s registered rule applied once: the gradient each input ``xs[i]`` receives when the output ``out``
    receives ``g`` (a vector-Jacobian product), in the math namespace ``F``. ``needs[i]`` False lets a selective
    rule skip input ``i``. On float division by zero or overflow it is redone in numpy (inf, as numpy gives)."""
    try:
        if op.selective:
            return op.backward(F, ctx, g, out, *xs, needs=needs)
        return op.backward(F, ctx, g, out, *xs)
    except (ZeroDivisionError, OverflowError):
        with np.errstate(all="ignore"):
            args = [np.float64(x) if isinstance(x, float) else x for x in xs]
            res = vjp(op, F, ctx, np.float64(g), np.float64(out), args, needs)
        return tuple(None if r is None else float(r) for r in res)


def local_derivatives(node: Node) -> tuple[Any, ...]:
    """d(node)/d(parent) for each parent of ``node``, as numbers: its op's rule applied to an upstream gradient of
    ones (for a Tensor, the vector-Jacobian product with ones: a per-element derivative for element-wise ops)."""
    op = node._fn
    if op is None:
        return ()
    F = node._math
    return tuple(vjp(op, F, node._ctx, F.ones_like(node.data), node.data, [p.data for p in node._parents]))


def _walk_shaped(order: list[Node], grads: dict[Node, Any], F: Any) -> dict[Node, Any]:
    """:func:`_walk` for Tensors: selective rules skip inputs that need no gradient, and each gradient is fitted to
    its input (:func:`_send_shaped`, written out here because this loop is hot)."""
    get = grads.get
    for node in reversed(order):
        fn = node._fn
        if fn is None:
            continue
        g = get(node)
        if g is None:
            continue
        parents = node._parents
        try:
            if len(parents) == 1:
                sent = fn.backward(F, node._ctx, g, node.data, parents[0].data)
            elif len(parents) == 2:
                a, b = parents
                if fn.selective:
                    sent = fn.backward(F, node._ctx, g, node.data, a.data, b.data,
                                       needs=(a.requires_grad, b.requires_grad))
                else:
                    sent = fn.backward(F, node._ctx, g, node.data, a.data, b.data)
            elif fn.selective:
                sent = fn.backward(F, node._ctx, g, node.data, *[p.data for p in parents],
                                   needs=tuple(p.requires_grad for p in parents))
            else:
                sent = fn.backward(F, node._ctx, g, node.data, *[p.data for p in parents])
        except (ZeroDivisionError, OverflowError):
            sent = vjp(fn, F, node._ctx, g, node.data, [p.data for p in parents])
        if sent.__class__ is not tuple and sent.__class__ is not list or len(sent) != len(parents):
            _bad_rule(fn, sent, parents)
        for parent, pg in zip(parents, sent):
            if pg is None or not parent.requires_grad:
                continue
            pdata = parent.data  # the one place where broadcasting is undone and dtypes are kept
            if pg.shape != pdata.shape:
                pg = _fit(pg, pdata.shape, fn)
            if pg.dtype is not pdata.dtype and pg.dtype != pdata.dtype:
                pg = pg.astype(pdata.dtype)
            elif pg is g and parent._fn is None:
                pg = pg.copy()  # a leaf's .grad must not be the very array another node holds
            prev = get(parent)
            grads[parent] = pg if prev is None else prev + pg
    return grads


def _rule(fn: Op, F: Any, node: Node, g: Any) -> tuple:
    """The local rule on raw data (floats, arrays): fast, and recorded nowhere."""
    parents = node._parents
    needs = tuple(p.requires_grad for p in parents) if node._broadcasts and len(parents) > 1 else None
    return vjp(fn, F, node._ctx, g, node.data, [p.data for p in parents], needs)


def _recorded_rule(fn: Op, F: Any, node: Node, g: Any) -> tuple:
    """The local rule on the nodes themselves (``create_graph=True``): the backward pass is recorded, so its
    gradients can be differentiated again."""
    anomaly = _mode.anomaly
    if anomaly is not None:
        anomaly.recording = node  # so a NaN made inside the rule is blamed on this node's op
    try:
        sent = vjp(fn, F, node._ctx, g, node, node._parents, [p.requires_grad for p in node._parents])
    except ValueError as e:  # e.g. sqrt's 1/(2 sqrt x) recorded at x = 0 (a DomainError for a Value)
        raise type(e)(f"backward of {fn.name} (recorded, create_graph=True): {e}") from e
    if anomaly is not None:
        anomaly.recording = None
    return sent


def _send(grads: dict[Node, Any], parents: tuple, sent: Any, g: Any, fn: Op, recorded: bool) -> None:
    """Accumulate what a node sends to its parents (scalars: nothing to fit)."""
    for parent, pg in zip(parents, sent):
        if pg is not None and parent.requires_grad:
            prev = grads.get(parent)
            grads[parent] = pg if prev is None else prev + pg


def _send_shaped(grads: dict[Node, Any], parents: tuple, sent: Any, g: Any, fn: Op, recorded: bool) -> None:
    """Accumulate what a node sends to its parents, each summed back to its parent's shape (broadcasting undone in
    one place), cast to its dtype, and never the very array another node holds."""
    for parent, pg in zip(parents, sent):
        if pg is None or not parent.requires_grad:
            continue
        pdata = parent.data
        if pg.shape != pdata.shape:
            pg = _fit(pg, pdata.shape, fn)
        if pg.dtype is not pdata.dtype and pg.dtype != pdata.dtype:
            pg = pg.astype(pdata.dtype)
        elif pg is g and parent._fn is None and not recorded:
            pg = pg.copy()
        prev = grads.get(parent)
        grads[parent] = pg if prev is None else prev + pg


def _walk_general(
    root: Node, order: list[Node], pending: dict[Node, Any], done: dict[Node, Any], create_graph: bool
) -> Iterator[tuple[Node, Any, tuple]]:
    """:func:`_walk` with every option, slower and the same arithmetic: the rule recorded or not, gradients
    fitted or not, the anomaly checker called after each rule. A generator that pauses after each op node with
    ``(node, upstream, sent)``; ``pending`` holds the partial gradients of nodes still waiting for their turn,
    ``done`` the gradients of the nodes that had it (to :func:`_store` when the walk ends)."""
    F = root._node_math if create_graph else root._math
    rule = _recorded_rule if create_graph else _rule
    send = _send_shaped if root._broadcasts else _send
    anomaly = _mode.anomaly
    # a recorded backward must record even inside no_grad; a plain one computes on raw data and records nothing
    with enable_grad() if create_graph else contextlib.nullcontext(), root._quiet():
        for node in reversed(order):
            g = pending.pop(node, None)
            if g is None:
                continue
            done[node] = g
            fn = node._fn
            if fn is None:
                continue
            sent = rule(fn, F, node, g)
            if sent.__class__ is not tuple and sent.__class__ is not list or len(sent) != len(node._parents):
                _bad_rule(fn, sent, node._parents)
            if anomaly is not None:
                anomaly.backward(node, g, sent)
            send(pending, node._parents, sent, g, fn, create_graph)
            yield node, g, sent


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
        return local_derivatives(self.node)

    def __repr__(self) -> str:
        from_ = self.node.label or (self.op.symbol if self.op else "leaf")
        return f"Step({self.index}, {from_}, upstream={self.upstream!r})"


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


def backward_steps(
    root: Node, grad: Any = None, *, step_class: type[Step] | None = None, into: dict[Node, Any] | None = None
) -> Iterator[Step]:
    """The backward pass one node at a time: an iterator of :class:`Step` (or of ``step_class``, a subclass
    that knows how to display itself).

    It is the engine's general loop, paused after each op node; running it to the end leaves exactly the
    gradients ``root.backward()`` leaves (stored in ``.grad`` when the last step is done, as backward does).
    With ``into`` (a dict) no ``.grad`` changes: each node's gradient, which backward would add to its ``.grad``,
    goes into ``into[node]`` instead, in the order backward adds them (:class:`autograd.Stepper` computes in such
    a private buffer and adds it on ``commit()``).
    """
    make = step_class or Step
    seed, order = _start(root, grad, False)
    pending: dict[Node, Any] = {root: seed}
    done: dict[Node, Any] = {}
    F = root._math
    for index, (node, g, sent) in enumerate(_walk_general(root, order, pending, done, False)):
        totals = tuple(pending.get(p) if p.requires_grad else None for p in node._parents)
        yield make(index, node, g, tuple(sent), totals, dict(pending), F)
    if into is None:
        _store(done, root._store_grad)
    else:
        into.update(done)
