"""chainrule's neural-network library, built only from autograd's differentiable operations.

Nothing here writes a derivative: every layer, activation and loss is composed of ``Value`` and ``Tensor``
operations, so ``loss.backward()`` flows through them with the engine's registered rules.

Laid out by job, as Keras: ``module`` (Module), ``layers``, ``functional`` (activations, losses), ``init``,
``optim``, ``data``, ``train`` (fit, evaluate, predict), ``callbacks``, ``metrics``, and ``plot``, which (with
matplotlib) is imported only when first used: ``import nn`` stays light.
"""

import importlib
from typing import Any

from . import callbacks, data, functional, init, interop, metrics, optim, train
from .callbacks import Callback, EarlyStopping, History, LambdaCallback, ProgressBar
from .data import DataLoader, batches, train_test_split
from .functional import ACTIVATIONS, get_activation
from .interop import ConversionError, export_onnx, from_torch, to_torch
from .layers import (
    MLP,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dense,
    Dropout,
    Flatten,
    HingeLoss,
    Identity,
    Layer,
    LeakyReLU,
    MSELoss,
    Neuron,
    NeuronLayer,
    Perceptron,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from .module import Module, StateDictError, load_state, save_state
from .optim import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop, clip_grad_norm_, clip_grad_value_
from .train import evaluate, fit, predict

__all__ = [
    "functional", "init", "optim", "data", "plot", "train", "callbacks", "metrics",
    "DataLoader", "batches", "train_test_split",
    "fit", "evaluate", "predict", "Callback", "EarlyStopping", "History", "LambdaCallback", "ProgressBar",
    "Module", "StateDictError", "load_state", "save_state",
    "Perceptron", "Neuron", "NeuronLayer", "Layer", "MLP",
    "Dense", "Sequential", "Dropout", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softplus", "Softmax", "Identity",
    "ACTIVATIONS", "get_activation",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss",
    "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop", "clip_grad_norm_", "clip_grad_value_",
    "interop", "to_torch", "from_torch", "export_onnx", "ConversionError",
]

#: submodules imported on first use (PEP 562), so that ``import nn`` does not pay for them
_LAZY_MODULES = ("plot", "demo")


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module  # the next access is an ordinary attribute
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES))
