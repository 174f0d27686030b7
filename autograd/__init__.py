"""chainrule's automatic differentiation engine.

``Value`` (a differentiable scalar) and ``Tensor`` (a differentiable numpy array) record the operations applied to
them; ``backward()`` applies the chain rule over the recorded graph in reverse topological order. Around that one
engine: ``draw`` (Graphviz), ``backward_steps`` (backprop one node at a time), ``Stepper`` (forward and back
through it, with a widget and a kernel-free HTML player), ``explain`` (the chain-rule factors behind one
gradient), ``gradcheck`` (finite differences that say where and why), higher-order ``grad``, ``hessian`` and
``hvp``, and ``detect_anomaly``. Hypothesis strategies live in ``autograd.strategies``.
"""

import importlib
import sys
import types
from typing import Any

from . import ops
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
from .numeric import DomainError
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
from .value import Constant, Value, weighted_sum

#: the tools around the engine load on first use (PEP 562), so ``import autograd`` stays as quick as numpy's and
#: pulls in neither graphviz nor the tools: name -> the submodule that defines it
_LAZY = {
    "draw": "viz",
    "backward_steps": "stepping",
    "explain": "explain",
    "gradcheck": "gradcheck",
    "gradgradcheck": "gradcheck",
    "GradcheckReport": "gradcheck",
    "GradcheckError": "gradcheck",
    "GradcheckKinkWarning": "gradcheck",
    "grad": "functional",
    "value_and_grad": "functional",
    "hessian": "functional",
    "hvp": "functional",
    "detect_anomaly": "anomaly",
    "AnomalyError": "anomaly",
    "is_anomaly_enabled": "anomaly",
    "Stepper": "stepper",
    "trace": "trace",
    "compile": "trace",
    "Program": "trace",
    "TraceError": "trace",
    "eager": "trace",
    "export_onnx": "onnx",
    "OnnxExportError": "onnx",
}
_SUBMODULES = ("anomaly", "custom", "engine", "explain", "functional", "gradcheck", "notation", "numeric", "onnx",
               "ops", "player", "stepper", "stepping", "strategies", "tensor", "trace", "value", "viz")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value  # looked up once
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


class _Package(types.ModuleType):
    """``autograd.explain`` and ``autograd.gradcheck`` name functions, as they always have, although modules of
    the same name exist: importing such a module (which sets the package attribute) keeps the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
