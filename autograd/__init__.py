"""chainrule's automatic differentiation engine.

``Value`` (a differentiable scalar) and ``Tensor`` (a differentiable numpy array) record the operations applied to
them; ``backward()`` applies the chain rule over the recorded graph in reverse topological order. Around that one
engine: ``draw`` (Graphviz), ``backward_steps`` (backprop one node at a time), ``Stepper`` (forward and back
through it, with a widget and a kernel-free HTML player), ``explain`` (the chain-rule factors behind one
gradient), ``gradcheck`` (finite differences that say where and why), higher-order ``grad``, ``hessian`` and
``hvp``, and ``detect_anomaly``. Hypothesis strategies live in ``autograd.strategies``.
"""

from . import ops
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .custom import apply
from .engine import (
    REGISTRY,
    Op,
    Step,
    backward,
    enable_grad,
    is_grad_enabled,
    no_grad,
    register,
    topological_order,
    unregister,
)
from .explain import explain
from .functional import grad, hessian, hvp, value_and_grad
from .gradcheck import GradcheckError, GradcheckKinkWarning, GradcheckReport, gradcheck, gradgradcheck
from .onnx import OnnxExportError, export_onnx
from .ops import DomainError
from .stepper import Stepper
from .stepping import backward_steps
from .tensor import (
    ShapeError,
    Tensor,
    cat,
    concatenate,
    linear,
    maximum,
    minimum,
    one_hot,
    stack,
    tensor,
    where,
)
from .trace import Program, TraceError, compile, eager, trace
from .value import Constant, Value, weighted_sum
from .viz import draw

__all__ = [
    "Value",
    "Constant",
    "weighted_sum",
    "Tensor",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "backward",
    "backward_steps",
    "Stepper",
    "Step",
    "topological_order",
    "REGISTRY",
    "Op",
    "register",
    "unregister",
    "apply",
    "ops",
    "DomainError",
    "ShapeError",
    "where",
    "linear",
    "maximum",
    "minimum",
    "concatenate",
    "cat",
    "stack",
    "one_hot",
    "draw",
    "explain",
    "gradcheck",
    "gradgradcheck",
    "GradcheckReport",
    "GradcheckError",
    "GradcheckKinkWarning",
    "grad",
    "value_and_grad",
    "hessian",
    "hvp",
    "detect_anomaly",
    "AnomalyError",
    "is_anomaly_enabled",
    "trace",
    "compile",
    "Program",
    "TraceError",
    "eager",
    "export_onnx",
    "OnnxExportError",
]

__version__ = "0.1.0"
