"""chainrule's neural-network library, built only from autograd's differentiable operations.

Nothing here writes a derivative: every layer, activation and loss is composed of ``Value`` and ``Tensor``
operations, so ``loss.backward()`` flows through them with the engine's registered rules.
"""

from . import data, functional, init, interop, optim, plot, train
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
from .train import Callback, EarlyStopping, History, LambdaCallback, evaluate, fit, predict

__all__ = [
    "functional", "init", "optim", "data", "plot", "train",
    "DataLoader", "batches", "train_test_split",
    "fit", "evaluate", "predict", "Callback", "EarlyStopping", "History", "LambdaCallback",
    "Module", "StateDictError", "load_state", "save_state",
    "Perceptron", "Neuron", "Layer", "MLP",
    "Dense", "Sequential", "Dropout", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softplus", "Softmax", "Identity",
    "ACTIVATIONS", "get_activation",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HingeLoss",
    "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop", "clip_grad_norm_", "clip_grad_value_",
    "interop", "to_torch", "from_torch", "export_onnx", "ConversionError",
]
