"""``Value``: a differentiable real number, the unit a student builds a perceptron from.

>>> from autograd import Value
>>> x1, x2 = Value(-1.0, label="x1"), Value(2.0, label="x2")
>>> y = (1 + 3 * x1 - 2 * x2).sigmoid()        # the lecture's perceptron: g(1 + 3 x1 - 2 x2)
>>> round(y.data, 5)
0.00247
>>> y.backward()
>>> round(x1.grad, 6), round(x2.grad, 6)       # dy/dx1 = 3 g'(-6), dy/dx2 = -2 g'(-6)
(0.0074, -0.004933)

Every operation is an entry of the op registry (:mod:`autograd.ops`), where its forward and its derivative
stand side by side; a ``Value`` only records which op made it and from which parents.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .engine import Node, _mode
from .numeric import FloatMath, NodeMath

_object_new = object.__new__


def _new(data: float, parents: tuple, fn: Any, ctx: Any = None) -> Value:
    """A Value made by an op; records its parents only when grad mode is on."""
    mode = _mode  # (a thread-local: read once, this runs for every node)
    if mode.enabled:
        v = _object_new(Value)
        v.data, v.grad, v.label, v._ctx, v._parents, v._fn = data, 0.0, None, ctx, parents, fn
        if mode.anomaly is not None:
            mode.anomaly.forward(v)
    else:  # under no_grad a result is a constant, as a Tensor's: backward through it is a clear error, not a 0
        v = _object_new(Constant)
        v.data = data
        v.grad = 0.0
        v.label = None
        v._ctx = ctx
        v._parents = ()
        v._fn = None
    return v


def _lift(x: Any, op: str) -> Value:
    """A Python or numpy number becomes a constant leaf; anything else is a clear TypeError."""
    cls = x.__class__
    if cls is float or cls is int:  # the common case first: every literal of `2 * x` comes here
        c = _object_new(Constant)
        c.data, c.grad, c.label, c._parents, c._fn, c._ctx = float(x), 0.0, None, (), None, None
        return c
    if isinstance(x, Value):
        return x
    if isinstance(x, (numbers.Real, np.bool_)):
        return Constant(x)
    if hasattr(x, "shape") and hasattr(x, "_fn"):
        raise TypeError(
            f"{op}: cannot combine a Value with a Tensor of shape {x.shape}; use a 0-d Tensor "
            "(Tensor(value.data)) or the Value's .data"
        )
    raise TypeError(f"{op}: unsupported operand of type {type(x).__name__} (a Value needs a real number)")


class Value(Node):
    """A scalar that remembers how it was computed, so that ``backward()`` can apply the chain rule.

    ``data`` is a float, ``grad`` the derivative of the last backward root with respect to it (0.0 until then),
    ``label`` an optional name shown by ``repr`` and by drawings. Compatible with micrograd's ``Value``.
    A result computed inside ``no_grad`` is a :class:`Constant` (as a Tensor's requires no grad): backward
    through it is an error, never a silent 0.
    """

    __slots__ = ()
    __array_ufunc__ = None  # numpy scalars on the left defer to our reflected operators

    requires_grad = True
    _math = FloatMath
    _node_math: Any = None  # ValueMath, set below (it names Constant)
    _broadcasts = False

    def __init__(self, data: Any, label: str | None = None) -> None:
        if isinstance(data, Value):
            data = data.data
        if isinstance(data, (bool, np.bool_, numbers.Real)):
            self.data = float(data)
        elif isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "biuf":
            self.data = float(data)
        else:  # strings, complex numbers, Tensors (that would silently detach them), ...
            raise TypeError(f"Value: data must be a real number, got {type(data).__name__} {data!r}")
        self.grad = 0.0
        self.label = label
        self._parents = ()
        self._fn = None
        self._ctx = None

    # -- engine hooks ---------------------------------------------------------------------------------------
    def _seed(self, grad: Any, create_graph: bool) -> Any:
        if create_graph and isinstance(grad, Value) and grad.requires_grad:
            return grad  # the seed stays in the recorded graph (as PyTorch): d/du of a gradient seeded by u works
        g = 1.0 if grad is None else float(grad)
        return Value(g) if create_graph else g

    @staticmethod
    def _store_grad(node: Value, g: Any) -> None:
        node.grad = node.grad + g

    def zero_grad(self) -> None:
        """Reset this Value's gradient to 0."""
        self.grad = 0.0

    # -- arithmetic -----------------------------------------------------------------------------------------
    def _binary(self, other: Any, op: ops.Op, reflected: bool = False) -> Value:
        if other.__class__ is not Value:
            other = _lift(other, op.name)
        a, b = (other, self) if reflected else (self, other)
        return _new(op.forward(FloatMath, None, a.data, b.data), (a, b), op)

    def _unary(self, op: ops.Op, ctx: Any = None) -> Value:
        return _new(op.forward(FloatMath, ctx, self.data), (self,), op, ctx)

    def __add__(self, other: Any) -> Value:
        if other.__class__ is Value:  # the bulk of a Value network: add's forward (a + b) without the dispatch
            return _new(self.data + other.data, (self, other), ops.ADD)
        return self._binary(other, ops.ADD)

    def __radd__(self, other: Any) -> Value:
        return self._binary(other, ops.ADD, True)

    def __sub__(self, other: Any) -> Value:
        return self._binary(other, ops.SUB)

    def __rsub__(self, other: Any) -> Value:
        return self._binary(other, ops.SUB, True)

    def __mul__(self, other: Any) -> Value:
        if other.__class__ is Value:  # as __add__: mul's forward (a * b) without the dispatch
            return _new(self.data * other.data, (self, other), ops.MUL)
        return self._binary(other, ops.MUL)

    def __rmul__(self, other: Any) -> Value:
        return self._binary(other, ops.MUL, True)

    def __truediv__(self, other: Any) -> Value:
        return self._binary(other, ops.DIV)

    def __rtruediv__(self, other: Any) -> Value:
        return self._binary(other, ops.DIV, True)

    def __neg__(self) -> Value:
        return self._unary(ops.NEG)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return self._unary(ops.ABS)

    def __pow__(self, other: Any) -> Value:
        """``x ** n``: a constant exponent uses d/dx = n x^(n-1); a Value exponent also gets d/db = a^b ln a."""
        if isinstance(other, Value):
            return _power(self, other)
        if not isinstance(other, numbers.Real):
            raise TypeError(f"pow: the exponent must be a number or a Value, got {type(other).__name__}")
        return self._unary(ops.POW, float(other))

    def __rpow__(self, other: Any) -> Value:
        return _power(_lift(other, "pow"), self)

    # -- functions ------------------------------------------------------------------------------------------
    def exp(self) -> Value:
        """e^x; d/dx = e^x."""
        return self._unary(ops.EXP)

    def log(self) -> Value:
        """Natural logarithm, x > 0; d/dx = 1/x."""
        return self._unary(ops.LOG)

    def sqrt(self) -> Value:
        """Square root, x >= 0; d/dx = 1/(2 sqrt(x))."""
        return self._unary(ops.SQRT)

    def tanh(self) -> Value:
        """Hyperbolic tangent; d/dx = 1 - tanh(x)^2."""
        return self._unary(ops.TANH)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), computed without overflow for any float; d/dx = s(1 - s)."""
        return self._unary(ops.SIGMOID)

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 if x > 0 else 0 (0 at the kink, as PyTorch)."""
        return self._unary(ops.RELU)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope * x; d/dx = 1 or slope (slope at 0, as PyTorch)."""
        return self._unary(ops.LEAKY_RELU, float(slope))

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Value:
        """log(1 + e^(beta x)) / beta, and x itself once beta x > threshold (PyTorch); d/dx = sigmoid(beta x)."""
        return self._unary(ops.SOFTPLUS, ops.softplus_ctx(beta, threshold))

    def bce_with_logits(self, target: Any) -> Value:
        """Binary cross-entropy of this logit z against a target y in [0, 1], as one node:
        softplus(z) - y z, never overflowing; d/dz = sigmoid(z) - y."""
        return self._binary(target, ops.BCE_WITH_LOGITS)

    def sin(self) -> Value:
        """sin(x); d/dx = cos(x)."""
        return self._unary(ops.SIN)

    def cos(self) -> Value:
        """cos(x); d/dx = -sin(x)."""
        return self._unary(ops.COS)

    def abs(self) -> Value:
        """|x|; d/dx = sign(x) (0 at 0)."""
        return self._unary(ops.ABS)

    # -- comparisons compare data; equality and hashing stay by identity -----------------------------------
    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other)

    __hash__ = Node.__hash__

    def __float__(self) -> float:
        return self.data

    # -- the attributes a Tensor has, so code can treat a Value as a 0-d Tensor ---------------------------------
    @property
    def shape(self) -> tuple[()]:
        """``()``: a Value is a scalar (as a 0-d Tensor's shape)."""
        return ()

    @property
    def ndim(self) -> int:
        """0, as a 0-d Tensor."""
        return 0

    @property
    def size(self) -> int:
        """1, as a 0-d Tensor."""
        return 1

    def item(self) -> float:
        """The plain float (as ``Tensor.item()``)."""
        return self.data

    # -- micrograd compatibility ----------------------------------------------------------------------------
    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the parents (a set there; ``parents`` keeps order and repeats)."""
        return set(self._parents)

    @property
    def _op(self) -> str:
        """micrograd's op string: ``'+'``, ``'*'``, ``'ReLU'``..., ``''`` for a leaf."""
        return self._fn.symbol if self._fn is not None else ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Any], bias: Value | None = None) -> Value:
    """z = b + sum_i w_i x_i as *one* node: the lecture's weighted sum of a neuron, z = w0 + sum_j x_j w_j.

    Its local derivatives are dz/dw_i = x_i, dz/dx_i = w_i and dz/db = 1. One node instead of 2n keeps the
    graph of a Value MLP small (and fast); ``sum(w * x for ...)`` gives the same numbers, node by node.

    The arguments come in the order the formula writes them, ``b + sum_i w_i x_i`` read as (weights, inputs,
    bias), as :func:`autograd.linear` takes ``(x, W, b)`` for ``x @ W + b`` (where the order matters: a matrix
    product does not commute) and PyTorch's ``F.linear(input, weight, bias)``. Swapping weights and inputs gives
    the same numbers and gradients; only the drawing and the steps would call the weights inputs.
    """
    ws = [w if w.__class__ is Value else _lift(w, "weighted_sum") for w in weights]
    xs = [x if x.__class__ is Value else _lift(x, "weighted_sum") for x in inputs]
    if len(ws) != len(xs):
        raise ValueError(f"weighted_sum: {len(ws)} weights but {len(xs)} inputs")
    parents = (*ws, *xs) if bias is None else (*ws, *xs, _lift(bias, "weighted_sum"))
    ctx = (len(ws), bias is not None)
    return _new(ops.WEIGHTED_SUM.forward(FloatMath, ctx, *[p.data for p in parents]), parents, ops.WEIGHTED_SUM, ctx)


class Constant(Value):
    """A plain number that took part in an operation (the ``2`` of ``2 * x``). It is a leaf that needs no
    gradient, so backward leaves it out; drawings show it as a constant."""

    __slots__ = ()
    requires_grad = False


def _fmt(g: Any) -> str:
    return f"{g:.6g}" if isinstance(g, float) else repr(g)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _power(base: Value, exponent: Value) -> Value:
    if not base.data > 0:
        raise ops.DomainError(
            f"pow: with a Value exponent the base must be > 0 (d/db a^b = a^b ln a needs ln a), got base "
            f"{base.data!r}; use a plain number as the exponent to raise a non-positive base"
        )
    return _new(ops.POWER.forward(FloatMath, None, base.data, exponent.data), (base, exponent), ops.POWER)


class ValueMath(NodeMath):
    """:class:`~autograd.numeric.NodeMath` for Values: an exact zero is a :class:`Constant` (``g * 0`` would be
    NaN for an infinite ``g``)."""

    @staticmethod
    def select(mask: Any, g: Any) -> Any:
        return g if mask else Constant(0.0)


Value._node_math = ValueMath
