"""Your own operations: register an :class:`~autograd.engine.Op` once, then apply it to Values or Tensors.

>>> from autograd import Op, Value, apply, register, unregister
>>> cube = register(Op("my_cube", arity=1,
...                    forward=lambda F, ctx, x: x * x * x,
...                    backward=lambda F, ctx, g, out, x: (g * 3 * x * x,),
...                    formula=("3 * x^2",)))
>>> x = Value(2.0)
>>> y = apply(cube, x)
>>> y.backward()
>>> y.data, x.grad
(8.0, 12.0)
>>> _ = unregister("my_cube")

The forward and the derivative receive a math namespace ``F`` (``F.exp``, ``F.log``, ``F.where``, ...) and are
written with ordinary operators, so one rule serves floats, numpy arrays and, for higher-order gradients, nodes.
``gradcheck`` checks a new op against finite differences and names it when its derivative is wrong.

Drawings, steps, explanations and gradcheck read everything else they need from the op too, so a few optional
hooks make yours as well shown as a built-in one: ``text`` (how a drawing shows it with its constant ``ctx``),
``letters`` (what its formula's letters stand for), ``values`` (the numbers they stand for, so that gradcheck
evaluates the formula and compares it with ``backward``: see :mod:`autograd.formula`), ``expression``,
``formula_slot`` and, for an op with kinks, ``kinks`` or ``branch`` (see :class:`~autograd.engine.Op`):

>>> from autograd import backward_steps
>>> scale = register(Op("my_scale", arity=1,
...                     forward=lambda F, ctx, x: x * ctx,
...                     backward=lambda F, ctx, g, out, x: (g * ctx,),
...                     formula=("k",),
...                     text=lambda k: f"scale({k:g})",
...                     letters=lambda node, slot, names: f"x = {names[0]}, k = {node.ctx:g}",
...                     values=lambda k, slot, xs, out: {"x": xs[0], "k": k}))
>>> x = Value(2.0, label="x")
>>> print(*backward_steps(apply(scale, x, ctx=3.0)))
step 0: J = scale(3)(x) | upstream dJ/dJ = 1 | x: k [x = x, k = 3] = 3, gets 3, total 3
>>> _ = unregister("my_scale")
"""

from __future__ import annotations

from typing import Any

from . import value as _value
from .engine import Op
from .numeric import FloatMath
from .tensor import Tensor, _lift


def apply(op: Op, *inputs: Any, ctx: Any = None) -> Any:
    """Apply a registered ``op`` to its inputs: Values (and numbers) give a Value, Tensors (and arrays or
    numbers beside them) give a Tensor. ``ctx`` holds the op's non-node arguments (an axis, an exponent)."""
    if op.arity >= 0 and len(inputs) != op.arity:
        raise TypeError(f"apply: op {op.name!r} takes {op.arity} inputs, got {len(inputs)}")
    if not inputs:
        raise TypeError(f"apply: op {op.name!r} needs at least one input")
    if any(isinstance(x, Tensor) for x in inputs):
        like = next(x for x in inputs if isinstance(x, Tensor)).data
        return Tensor._apply(op, tuple(_lift(x, like, op.name) for x in inputs), ctx)
    nodes = tuple(_value._lift(x, op.name) for x in inputs)
    return _value._new(op.forward(FloatMath, ctx, *[v.data for v in nodes]), nodes, op, ctx)
