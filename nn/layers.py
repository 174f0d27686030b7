"""Layers, in two flavours, all composed of autograd operations.

Scalar flavour (``Value`` s, for the lecture's first notebooks):

* :class:`Perceptron` -- y = g(w0 + sum_i x_i w_i), weights settable by hand;
* :class:`Neuron`, :class:`NeuronLayer`, :class:`MLP` -- micrograd's network, each neuron's weighted sum one graph
  node (:func:`autograd.weighted_sum`). micrograd calls the list of neurons ``Layer``; ``nn.Layer`` is kept as
  another name for :class:`NeuronLayer` (a Keras user would read ``Layer`` as the base class, which is
  :class:`nn.Module` here).

Tensor flavour (``Tensor`` s, a batch at a time):

* :class:`Dense` -- z = x @ W + b with W of shape (in_features, out_features), the lecture's
  z_i = w_0,i + sum_j x_j w_j,i, then an activation;
* :class:`Sequential`, :class:`Dropout`, :class:`Flatten` and the activation layers :class:`ReLU`,
  :class:`Sigmoid`, :class:`Tanh`, :class:`LeakyReLU`, :class:`Softplus`, :class:`Softmax`, :class:`Identity`.

The two flavours do not mix: a Tensor layer given Values (or a list of Tensors that require grad), or a Value
layer given a Tensor that requires grad, raises a TypeError instead of reading the numbers, which would cut the
layers before it from the graph (they would never train). We refuse rather than convert: joining Values into a
Tensor would need a derivative written in nn, and one model in one flavour is what the lecture builds.

Random initialisation takes ``rng``: a ``numpy.random.Generator`` or an integer seed. ``None`` draws a fresh
unseeded generator, so pass a seed (or one Generator shared by all layers) to make a model repeatable.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, linear, weighted_sum
from autograd.value import Constant

from . import functional as F
from . import init as initializers
from ._util import RNG, as_generator
from .module import Module

__all__ = [
    "Perceptron", "Neuron", "NeuronLayer", "Layer", "MLP",
    "Dense", "Sequential", "Dropout", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softplus", "Softmax", "Identity",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss",
]

Activation = str | Callable[[Any], Any] | None


def _size(n: Any, what: str, layer: str) -> int:
    """A layer size: an integer >= 0 (2.5 used to become 2 without a word)."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{layer}: {what} must be an integer >= 0, got {n!r}")
    return int(n)


def _values(x: Any, n: int, layer: str) -> list[Any]:
    """The inputs of a Value layer as a list of n numbers or Values."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    if isinstance(x, Tensor):
        if x.requires_grad:  # its .data would be cut from the graph: the Tensor layers before would never train
            raise TypeError(
                f"{layer}: got a Tensor of shape {x.shape} that requires grad; a Value layer reads plain numbers, so "
                "the layers that made it would never train. Build the model from one kind: Tensor layers (Dense) "
                "or Value layers (Neuron, Layer, MLP); for data, pass x.detach() or a numpy array"
            )
        x = x.data
    if not isinstance(x, (np.ndarray, list, tuple)):
        raise TypeError(f"{layer}: expects {n} inputs (a list, a 1-d array or a Value), got {type(x).__name__}")
    xs = list(np.asarray(x).tolist()) if isinstance(x, np.ndarray) else list(x)
    if len(xs) != n:
        raise ValueError(f"{layer}: expects {n} inputs, got {len(xs)}")
    return xs


def _inputs(x: Any, n: int, layer: str) -> list[Any]:
    """The inputs of a Value layer, each plain number lifted once to a constant labelled as the lecture writes
    it (x1, x2, ...), so every neuron reading input j shares one graph node (a drawing shows x1 once, with an
    edge to each neuron, not one copy per neuron). Values are passed on as they are."""
    xs = _values(x, n, layer)
    return [v if isinstance(v, Value) else Constant(_number(v, layer), label=f"x{j + 1}") for j, v in enumerate(xs)]


def _number(v: Any, layer: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise TypeError(f"{layer}: inputs must be real numbers or Values, got {type(v).__name__} {v!r}")
    return float(v)


# ----------------------------------------------------------------------------------------------------------------
# Scalar flavour
# ----------------------------------------------------------------------------------------------------------------


class Perceptron(Module):
    """The lecture's perceptron: y = g(w0 + sum_i x_i w_i) with Value weights.

    >>> p = Perceptron(2, activation="sigmoid", w0=1.0, W=(3.0, -2.0))
    >>> round(p([-1.0, 2.0]).data, 5)                 # g(1 + 3(-1) - 2(2)) = g(-6)
    0.00247

    ``w0`` is the bias and ``W`` the weights; without them the weights are drawn from U(-1, 1) and the bias is 0.
    Set them later with ``p.w0.data = 1.0`` or ``p.set_weights(w0, W)``.
    """

    def __init__(
        self,
        n_inputs: int,
        activation: Activation = "sigmoid",
        *,
        w0: float | None = None,
        W: Sequence[float] | None = None,
        rng: RNG = None,
    ) -> None:
        super().__init__()
        self.n_inputs = _size(n_inputs, "n_inputs", "Perceptron")
        self.activation = activation
        self._g = F.get_activation(activation)
        if W is None:
            W = initializers.uniform(self.n_inputs, -1.0, 1.0, rng=rng).tolist()
        elif len(W) != self.n_inputs:
            raise ValueError(f"Perceptron: {self.n_inputs} inputs but {len(W)} weights in W")
        self.w0 = Value(0.0 if w0 is None else w0)
        self.W = [Value(w) for w in W]

    def set_weights(self, w0: float, W: Sequence[float]) -> None:
        """Set the bias and the weights by hand (the parameters stay the same objects)."""
        if len(W) != self.n_inputs:
            raise ValueError(f"Perceptron.set_weights: {self.n_inputs} inputs but {len(W)} weights")
        self.w0.data = float(w0)
        for p, w in zip(self.W, W):
            p.data = float(w)

    def forward(self, x: Sequence[Any]) -> Value:
        z = weighted_sum(self.W, _inputs(x, self.n_inputs, "Perceptron"), self.w0)
        return self._g(z)

    def extra_repr(self) -> str:
        return f"{self.n_inputs}, activation={F.activation_name(self.activation)}"


class Neuron(Module):
    """micrograd's neuron: act(b + sum_i w_i x_i), weights from U(-1, 1), bias 0; the sum is one graph node."""

    def __init__(self, n_inputs: int, activation: Activation = "relu", *, rng: RNG = None) -> None:
        super().__init__()
        self.activation = activation
        self._g = F.get_activation(activation)
        n = _size(n_inputs, "n_inputs", "Neuron")
        self.w = [Value(w) for w in initializers.uniform(n, -1.0, 1.0, rng=rng).tolist()]
        self.b = Value(0.0)

    def forward(self, x: Sequence[Any]) -> Value:
        return self._g(weighted_sum(self.w, _inputs(x, len(self.w), "Neuron"), self.b))

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={F.activation_name(self.activation)}"


class NeuronLayer(Module):
    """``n_outputs`` neurons reading the same inputs. Returns a list of Values, or one Value if it has width 1
    (as micrograd does).

    micrograd names this class ``Layer``; ``nn.Layer`` is the same class under that name. It is not a base class
    of layers (Keras's ``Layer``): every layer and model here derives from :class:`nn.Module`.
    """

    def __init__(self, n_inputs: int, n_outputs: int, activation: Activation = "relu", *, rng: RNG = None) -> None:
        super().__init__()
        gen = as_generator(rng)
        n = _size(n_outputs, "n_outputs", "NeuronLayer")
        self.neurons = [Neuron(n_inputs, activation, rng=gen) for _ in range(n)]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        if self.neurons:  # lift plain numbers once, so every neuron reads the same x1, x2, ... nodes
            x = _inputs(x, len(self.neurons[0].w), "NeuronLayer")
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        n = self.neurons[0] if self.neurons else None
        act = F.activation_name(n.activation) if n else "-"
        return f"{len(n.w) if n else 0} -> {len(self.neurons)}, activation={act}"


Layer = NeuronLayer
"""micrograd's name for this list of neurons, an alias of :class:`NeuronLayer` so micrograd code runs unchanged.
Every layer's base class is :class:`nn.Module`, not this (Keras's ``Layer`` is a base class)."""


class MLP(Module):
    """micrograd's multi-layer perceptron of Values: ``MLP(2, [16, 16, 1])`` is 2 -> 16 -> 16 -> 1.

    Hidden layers use ``activation`` (ReLU by default), the last layer ``output_activation`` (linear by default),
    as micrograd does. Parameter names look like ``layers.0.neurons.3.w.1``.
    """

    def __init__(
        self,
        n_inputs: int,
        n_outputs: Sequence[int],
        activation: Activation = "relu",
        output_activation: Activation = None,
        *,
        rng: RNG = None,
    ) -> None:
        super().__init__()
        gen = as_generator(rng)
        sizes = [_size(n, "every size", "MLP") for n in [n_inputs, *n_outputs]]
        last = len(sizes) - 2
        self.layers = [
            NeuronLayer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng=gen)
            for i in range(len(sizes) - 1)
        ]

    def forward(self, x: Sequence[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x


# ----------------------------------------------------------------------------------------------------------------
# Tensor flavour
# ----------------------------------------------------------------------------------------------------------------


def _as_tensor(x: Any, layer: str) -> Tensor:
    """A Tensor stays itself; an array keeps its float dtype (float32 stays float32); other data become float64.
    Values, or Tensors that require grad inside a list, are a TypeError: reading their numbers would cut them
    from the graph (we refuse rather than convert: a Value layer feeding a Tensor layer is two models in one)."""
    if isinstance(x, Tensor):
        return x
    F._refuse_graph_nodes(x, layer)
    try:
        arr = np.asarray(x)
    except ValueError as e:  # a ragged nested list
        raise ValueError(f"{layer}: the input is not a rectangular array of numbers ({e})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{layer}: the input must be real numbers, got dtype {arr.dtype} from {type(x).__name__}")
    return Tensor(arr if arr.dtype.kind == "f" else arr.astype(np.float64))


class Dense(Module):
    """A fully connected layer: y = activation(x @ W + b), W of shape (in_features, out_features).

    Defaults as Keras: W from :func:`nn.init.glorot_uniform`, b zeros. ``init`` / ``bias_init`` take an
    initialiser name (see ``nn.init.INITIALIZERS``) or a function ``(shape, rng) -> array``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: Activation = None,
        bias: bool = True,
        init: str | Callable[..., np.ndarray] = "glorot_uniform",
        bias_init: str | Callable[..., np.ndarray] = "zeros",
        *,
        rng: RNG = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        layer = f"Dense({in_features!r}, {out_features!r})"
        self.in_features = _size(in_features, "in_features", layer)
        self.out_features = _size(out_features, "out_features", layer)
        self.activation = activation
        self._g = F.get_activation(activation)
        gen = as_generator(rng)
        w = initializers.get_initializer(init)((self.in_features, self.out_features), rng=gen)
        self.W = Tensor(np.asarray(w, dtype=dtype), requires_grad=True)
        if bias:
            b = initializers.get_initializer(bias_init)((self.out_features,), rng=gen)
            self.b = Tensor(np.asarray(b, dtype=dtype), requires_grad=True)
        else:
            self.b = None

    def forward(self, x: Any) -> Tensor:
        if x.__class__ is not Tensor:  # (the layer's name is only needed for an error)
            x = _as_tensor(x, f"Dense({self.in_features} -> {self.out_features})")
        shape = x.shape  # (not x.data: a compiled step forbids reading an argument's data outside autograd's ops)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Dense({self.in_features} -> {self.out_features}): input of shape {x.shape} has "
                f"{x.shape[-1] if x.ndim else 0} features in its last axis, expected {self.in_features}"
            )
        z = linear(x, self.W, self.b)  # x @ W + b as one graph node (x @ W without a bias)
        return self._g(z)

    def extra_repr(self) -> str:
        extra = "" if self.b is not None else ", bias=False"
        return f"{self.in_features} -> {self.out_features}, activation={F.activation_name(self.activation)}{extra}"


class Sequential(Module):
    """Layers applied one after the other: ``Sequential(Dense(2, 16, "relu"), Dense(16, 1))``.

    Parameter names are ``layers.0.W``, ``layers.0.b``, ...
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a module or function")
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def append(self, layer: Module) -> Sequential:
        """Add a layer at the end (and label its parameters)."""
        self.layers = self.layers + [layer]
        return self

    def __getitem__(self, i: int | slice) -> Any:
        """``model[0]`` is a layer; ``model[1:]`` a new Sequential of those (shared) layers, as in PyTorch."""
        if isinstance(i, slice):
            return Sequential(*self.layers[i])
        return self.layers[i]

    def __setitem__(self, i: int, layer: Module) -> None:
        """Replace a layer (and label its parameters)."""
        layers = list(self.layers)
        layers[i] = layer
        self.layers = layers

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the rest by 1/(1 - p);
    in evaluation mode (``model.eval()``) the identity. ``rng``: a Generator or seed for the masks."""

    def __init__(self, p: float = 0.5, *, rng: RNG = None) -> None:
        super().__init__()
        if not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is the probability of zeroing an element and must lie in [0, 1], got {p}")
        self.p = float(p)
        self._rng = as_generator(rng)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(_as_tensor(x, "Dropout"), self.p, training=self.training, rng=self._rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Flatten axes ``start_dim`` .. ``end_dim`` into one; by default (PyTorch's start_dim=1, end_dim=-1) keep
    the batch axis and flatten the rest: (N, d1, d2, ...) -> (N, d1 * d2 * ...)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x, "Flatten")
        if x.ndim == 0:
            raise ValueError("Flatten: needs at least a batch axis, got a 0-d tensor")
        start = self.start_dim + x.ndim if self.start_dim < 0 else self.start_dim
        end = self.end_dim + x.ndim if self.end_dim < 0 else self.end_dim
        if x.ndim == 1 and (start, end) == (1, 0):  # the default on a 1-d input: (N,) -> (N, 1), as Keras
            return x.reshape(x.shape[0], 1)
        if not 0 <= start <= end < x.ndim:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): no such axes in an input of shape "
                f"{x.shape}"
            )
        merged = int(np.prod(x.shape[start:end + 1]))  # explicit, so an empty batch (0, 3, 4) works too
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1:])

    def extra_repr(self) -> str:
        if (self.start_dim, self.end_dim) == (1, -1):
            return ""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _act_input(x: Any, layer: str) -> Any:
    """Tensors, Values and flat lists of Values pass through (element-wise, in the graph); arrays and nested lists
    of numbers become Tensors."""
    if isinstance(x, (Tensor, Value)) or (
        isinstance(x, (list, tuple)) and all(isinstance(v, (Value, numbers.Real)) for v in x)
        and any(isinstance(v, Value) for v in x)
    ):
        return x
    return _as_tensor(x, layer)


class _Activation(Module):
    fn: Callable[..., Any] = staticmethod(F.identity)

    def forward(self, x: Any) -> Any:
        return type(self).fn(_act_input(x, type(self).__name__))


class ReLU(_Activation):
    """max(0, x) element-wise."""

    fn = staticmethod(F.relu)


class Sigmoid(_Activation):
    """1 / (1 + e^-x) element-wise."""

    fn = staticmethod(F.sigmoid)


class Tanh(_Activation):
    """tanh x element-wise."""

    fn = staticmethod(F.tanh)


class Identity(_Activation):
    """Returns its input."""

    fn = staticmethod(F.identity)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x (PyTorch's default slope 0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(_act_input(x, "LeakyReLU"), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, and x once beta x > threshold (PyTorch's defaults 1, 20)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: Any) -> Any:
        return F.softplus(_act_input(x, "Softplus"), self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default)."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = int(axis)

    def forward(self, x: Any) -> Any:
        return F.softmax(_act_input(x, "Softmax"), self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


# ----------------------------------------------------------------------------------------------------------------
# Losses as modules (PyTorch's classes); the formulas are in nn.functional
# ----------------------------------------------------------------------------------------------------------------


class _Loss(Module):
    #: what the loss reads (see :func:`nn.functional.takes_logits`); subclasses inherit it
    takes_logits = False
    one_column_per_class = False

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error, ``loss_fn(prediction, target)``; see :func:`nn.functional.mse_loss`."""

    def forward(self, pred: Any, target: Any) -> Any:
        return F.mse_loss(pred, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (log clamped at -100); see :func:`nn.functional.binary_cross_entropy`."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weight = weight

    def forward(self, pred: Any, target: Any) -> Any:
        return F.binary_cross_entropy(pred, target, weight=self._weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on raw scores, numerically stable; ``pos_weight`` weights the positive term.

    See :func:`nn.functional.binary_cross_entropy_with_logits`."""

    takes_logits = True

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self._weight, self._pos_weight = weight, pos_weight

    def forward(self, logits: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(
            logits, target, weight=self._weight, pos_weight=self._pos_weight, reduction=self.reduction
        )


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits with class labels or probabilities; see :func:`nn.functional.cross_entropy`."""

    takes_logits = True
    one_column_per_class = True

    def __init__(
        self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> None:
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must lie in [0, 1], got {label_smoothing}")
        self._weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, logits: Any, target: Any) -> Tensor:
        return F.cross_entropy(logits, target, weight=self._weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class HingeLoss(_Loss):
    """micrograd's max-margin loss mean(relu(1 - y s)) for labels in {-1, +1}; see :func:`nn.functional.hinge_loss`."""

    takes_logits = True

    def forward(self, scores: Any, target: Any) -> Any:
        return F.hinge_loss(scores, target, reduction=self.reduction)
