"""chainrule's automatic differentiation engine.

``Value`` (a differentiable scalar) and ``Tensor`` (a differentiable numpy array) record the operations applied to
them; ``backward()`` applies the chain rule over the recorded graph in reverse topological order.
"""

from . import ops
from .engine import (
    REGISTRY,
    Op,
    Step,
    backward,
    backward_steps,
    enable_grad,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from .ops import DomainError
from .tensor import ShapeError, Tensor, cat, concatenate, maximum, minimum, one_hot, stack, tensor, where
from .value import Value, weighted_sum

__all__ = [
    "Value",
    "weighted_sum",
    "Tensor",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "backward",
    "backward_steps",
    "Step",
    "topological_order",
    "REGISTRY",
    "Op",
    "ops",
    "DomainError",
    "ShapeError",
    "where",
    "maximum",
    "minimum",
    "concatenate",
    "cat",
    "stack",
    "one_hot",
]

__version__ = "0.1.0"
