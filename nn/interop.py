"""Take a model (and its optimizer) to PyTorch and back, or to ONNX: the same numbers, in the other engine.

* :func:`to_torch` turns a ``Sequential`` of ``Dense``, activation, ``Dropout`` and ``Flatten`` layers (or an
  ``MLP`` / ``Layer`` / ``Neuron`` / ``Perceptron`` of Values) into a ``torch.nn.Sequential`` of ``Linear``,
  activation, ``Dropout`` and ``Flatten`` modules with the same weights; given the model's optimizer too it
  returns the matching ``torch.optim`` optimizer, its hyperparameters and state (momentum buffers, Adam's moments,
  step counts) carried over, so training goes on where it stopped.
* :func:`from_torch` does the reverse: a ``torch.nn.Sequential`` (or one module) becomes a ``Sequential`` of
  ``Dense`` layers (a ``Linear`` followed by an activation becomes one ``Dense`` with that activation).
* :func:`export_onnx` writes the model as a standard ONNX file (opset 18) that onnxruntime and other serving
  engines run; the batch dimension is dynamic.

Layouts. A ``Dense`` layer computes z = x @ W + b with W of shape (in, out), the lecture's sum over inputs;
``torch.nn.Linear`` computes x @ weight^T + bias with weight of shape (out, in). The conversion transposes, so
``linear.weight == dense.W.T``. A layer of Value neurons becomes one ``Linear`` whose row j holds neuron j's weights.
Optimizer state (a momentum buffer has its parameter's shape) is laid out the same way.

Everything here imports torch and onnx on first use, so ``import nn`` never does (install them with
``pip install -e '.[interop]'``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Tensor, Value

from . import functional as F
from . import optim
from .layers import (
    MLP,
    Dense,
    Dropout,
    Flatten,
    Identity,
    Layer,
    LeakyReLU,
    Neuron,
    Perceptron,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from .module import Module

__all__ = ["to_torch", "from_torch", "export_onnx", "optimizer_state_to_torch", "optimizer_state_from_torch",
           "ConversionError"]

INSTALL = "pip install -e '.[interop]' (torch==2.13.0, onnx, onnxruntime)"


class ConversionError(ValueError):
    """A model, layer or optimizer that has no counterpart on the other side."""


def _torch(who: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{who}: needs PyTorch, which is not installed; {INSTALL}") from None
    return torch


# ----------------------------------------------------------------------------------------------------------------
# A model as a plan: the layers in order, each Linear's weight and bias as indices into the flat parameter vector
# ----------------------------------------------------------------------------------------------------------------

#: activation functions of nn.functional and the (name, arguments) PyTorch knows them by
_FUNCTIONS: dict[Any, tuple[str, dict[str, Any]]] = {
    F.relu: ("relu", {}), F.sigmoid: ("sigmoid", {}), F.tanh: ("tanh", {}),
    F.leaky_relu: ("leaky_relu", {"negative_slope": 0.01}), F.softplus: ("softplus", {"beta": 1.0, "threshold": 20.0}),
    F.softmax: ("softmax", {"dim": -1}), F.log_softmax: ("log_softmax", {"dim": -1}),
}
_SUPPORTED = ("Sequential, Dense, MLP, Layer, Neuron, Perceptron, ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, Softmax, "
              "Identity, Dropout, Flatten and the activation functions of nn.functional")


@dataclass
class _Step:
    """One layer of the plan: kind 'linear' (weight (out, in), bias (out,) or None), 'act' (name, args),
    'dropout' (p) or 'flatten' (start_dim, end_dim)."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    """What both engines agree on: the steps, and how PyTorch's parameters sit in ours.

    ``theta`` is every parameter of ours raveled and joined in ``params`` order; PyTorch's k-th parameter is
    ``theta[index[k]]`` (an integer array of its shape), so one gather moves weights, and the same gather moves a
    momentum buffer. ``owner[i]`` is the position in ``params`` of the parameter that element i of theta belongs to.
    """

    steps: list[_Step]
    params: list[Any]
    index: list[np.ndarray]
    dtypes: list[np.dtype]
    owner: np.ndarray

    def gather(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """Our arrays (one per parameter, its shape) -> PyTorch's (one per torch parameter)."""
        theta = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)
        return [theta[ix].astype(dt) for ix, dt in zip(self.index, self.dtypes)]

    def scatter(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """PyTorch's arrays -> ours (the inverse of :meth:`gather`)."""
        theta = np.zeros(len(self.owner))
        for ix, a in zip(self.index, arrays):
            theta[ix] = np.asarray(a, dtype=np.float64)
        out, start = [], 0
        for p in self.params:
            shape, dtype = ((), np.float64) if isinstance(p, Value) else (p.shape, p.dtype)
            n = int(np.prod(shape))
            out.append(theta[start:start + n].reshape(shape).astype(dtype))
            start += n
        return out

    def sources(self, k: int) -> list[int]:
        """Positions in ``params`` of the parameters that torch parameter k is made of."""
        return sorted(set(self.owner[self.index[k]].ravel().tolist()))


def _activation_step(g: Any, where: str, who: str) -> _Step | None:
    """The step for an activation given as a function of nn.functional or an activation layer (None: identity)."""
    if g is F.identity or isinstance(g, Identity):
        return None
    if g in _FUNCTIONS:
        name, args = _FUNCTIONS[g]
        return _Step("act", {"name": name, **args})
    simple = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}
    if type(g) in simple:
        return _Step("act", {"name": simple[type(g)]})
    if isinstance(g, LeakyReLU):
        return _Step("act", {"name": "leaky_relu", "negative_slope": g.negative_slope})
    if isinstance(g, Softplus):
        return _Step("act", {"name": "softplus", "beta": g.beta, "threshold": g.threshold})
    if isinstance(g, Softmax):
        return _Step("act", {"name": "softmax", "dim": g.axis})
    raise ConversionError(
        f"{who}: {where} is {_describe(g)}, which has no PyTorch counterpart here; supported: {_SUPPORTED}"
    )


def _describe(x: Any) -> str:
    if isinstance(x, Module):
        return f"a {type(x).__name__} ({type(x).__module__}.{type(x).__qualname__})"
    return f"{getattr(x, '__name__', type(x).__name__)!r}"


def _plan(model: Any, who: str) -> _Plan:
    """Read a model into a plan, or raise ConversionError naming the first layer that has no counterpart."""
    if not isinstance(model, Module):
        raise ConversionError(f"{who}: expected a chainrule nn.Module, got {type(model).__name__}")
    params = model.parameters()
    offset, start = {}, 0
    for p in params:
        offset[id(p)] = start
        start += 1 if isinstance(p, Value) else p.size
    owner = np.concatenate([np.full(1 if isinstance(p, Value) else p.size, i) for i, p in enumerate(params)]) \
        if params else np.zeros(0, dtype=int)
    steps: list[_Step] = []
    index: list[np.ndarray] = []
    dtypes: list[np.dtype] = []

    def linear(weights: list[list[Value]], biases: list[Value] | None, act: Any, where: str) -> None:
        ix = np.array([[offset[id(w)] for w in row] for row in weights], dtype=np.int64)
        steps.append(_Step("linear", {"in_features": ix.shape[1], "out_features": ix.shape[0],
                                      "bias": biases is not None}))
        index.append(ix)
        dtypes.append(np.dtype(np.float64))
        if biases is not None:
            index.append(np.array([offset[id(b)] for b in biases], dtype=np.int64))
            dtypes.append(np.dtype(np.float64))
        a = _activation_step(act, f"the activation of {where}", who)
        if a is not None:
            steps.append(a)

    todo: list[tuple[str, Any]] = [("", model)]
    while todo:
        where_, m = todo.pop(0)
        where = f"layer {where_!r}" if where_ else "the model"
        if isinstance(m, Sequential):
            todo[0:0] = [(f"{where_}.{i}" if where_ else str(i), sub) for i, sub in enumerate(m.layers)]
        elif isinstance(m, MLP):
            todo[0:0] = [(f"{where_}.layers.{i}" if where_ else f"layers.{i}", sub) for i, sub in enumerate(m.layers)]
        elif isinstance(m, Dense):
            n_in, n_out = m.in_features, m.out_features
            ix = offset[id(m.W)] + np.arange(n_in * n_out).reshape(n_in, n_out).T  # torch's weight = W^T
            steps.append(_Step("linear", {"in_features": n_in, "out_features": n_out, "bias": m.b is not None}))
            index.append(ix)
            dtypes.append(m.W.dtype)
            if m.b is not None:
                index.append(offset[id(m.b)] + np.arange(n_out))
                dtypes.append(m.b.dtype)
            a = _activation_step(m._g, f"the activation of {where}", who)
            if a is not None:
                steps.append(a)
        elif isinstance(m, Perceptron):
            linear([m.W], [m.w0], m._g, where)
        elif isinstance(m, Neuron):
            linear([m.w], [m.b], m._g, where)
        elif isinstance(m, Layer):
            acts = {F.activation_name(n.activation) for n in m.neurons}
            if len(acts) > 1:
                raise ConversionError(f"{who}: the neurons of {where} have different activations {sorted(acts)}; "
                                      "a torch Linear layer has one")
            linear([n.w for n in m.neurons], [n.b for n in m.neurons], m.neurons[0]._g, where)
        elif isinstance(m, Dropout):
            steps.append(_Step("dropout", {"p": m.p}))
        elif isinstance(m, Flatten):
            steps.append(_Step("flatten", {"start_dim": m.start_dim, "end_dim": m.end_dim}))
        else:
            a = _activation_step(m, where, who)
            if a is not None:
                steps.append(a)
    covered = np.zeros(len(owner), dtype=int)
    for ix in index:
        np.add.at(covered, ix.ravel(), 1)
    if (covered != 1).any():
        raise ConversionError(f"{who}: a parameter is used by more than one layer (shared weights); a torch "
                              "Sequential gives each Linear its own")
    return _Plan(steps, params, index, dtypes, owner)


# ----------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------

_TORCH_ACTS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "leaky_relu": "LeakyReLU", "softplus": "Softplus",
               "softmax": "Softmax", "log_softmax": "LogSoftmax"}


def _torch_module(plan: _Plan, torch: Any) -> Any:
    arrays = plan.gather([np.asarray(p.data) for p in plan.params])
    modules, k = [], 0
    tnn = torch.nn
    for s in plan.steps:
        a = dict(s.args)
        if s.kind == "linear":
            dtype = getattr(torch, str(plan.dtypes[k]))
            lin = tnn.Linear(a["in_features"], a["out_features"], bias=a["bias"], dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(arrays[k]))
                if a["bias"]:
                    lin.bias.copy_(torch.from_numpy(arrays[k + 1]))
            k += 2 if a["bias"] else 1
            modules.append(lin)
        elif s.kind == "act":
            modules.append(getattr(tnn, _TORCH_ACTS[a.pop("name")])(**a))
        elif s.kind == "dropout":
            modules.append(tnn.Dropout(a["p"]))
        else:
            modules.append(tnn.Flatten(a["start_dim"], a["end_dim"]))
    return tnn.Sequential(*modules)


def to_torch(model: Module, optimizer: optim.Optimizer | None = None) -> Any:
    """The model as a ``torch.nn.Sequential`` with the same weights (and mode); with ``optimizer``, also the
    matching ``torch.optim`` optimizer, state included: returns ``(module, torch_optimizer)``::

        tmodel = nn.to_torch(model)
        tmodel, topt = nn.to_torch(model, opt)     # to continue training in PyTorch

    ``Dense(2, 3, "relu")`` becomes ``Linear(2, 3), ReLU()`` with ``weight = W.T`` (PyTorch's (out, in) layout);
    an ``MLP``/``Layer``/``Neuron``/``Perceptron`` of Values becomes ``Linear`` layers of float64 (row j is neuron
    j). The module's outputs equal the model's up to rounding (1e-12 in float64, 1e-6 in float32; dropout draws
    its own masks). The optimizer must train exactly ``model.parameters()``; its parameter groups carry over.
    Raises :class:`ConversionError` naming the first layer with no PyTorch counterpart.
    """
    torch = _torch("to_torch")
    plan = _plan(model, "to_torch")
    module = _torch_module(plan, torch)
    module.train(model.training)
    if optimizer is None:
        return module
    return module, _optimizer_to_torch(optimizer, plan, list(module.parameters()), torch)


def _activation_from_torch(m: Any, tnn: Any) -> tuple[Any, bool]:
    """(our activation for a Dense, is it an activation at all) for a torch module."""
    simple = {tnn.ReLU: "relu", tnn.Sigmoid: "sigmoid", tnn.Tanh: "tanh", tnn.Identity: None}
    if type(m) in simple:
        return simple[type(m)], True
    if type(m) is tnn.LeakyReLU:
        return ("leaky_relu" if m.negative_slope == 0.01 else LeakyReLU(m.negative_slope)), True
    if type(m) is tnn.Softplus:
        return ("softplus" if (m.beta, m.threshold) == (1.0, 20.0) else Softplus(m.beta, m.threshold)), True
    if type(m) is tnn.Softmax:
        if m.dim is None:
            raise ConversionError("from_torch: Softmax(dim=None) picks its axis by a legacy rule; give dim")
        return ("softmax" if m.dim == -1 else Softmax(m.dim)), True
    if type(m) is tnn.LogSoftmax:  # what to_torch writes for F.log_softmax, so the round trip closes
        if m.dim != -1:
            raise ConversionError(f"from_torch: LogSoftmax(dim={m.dim}) has no layer here; nn.functional.log_softmax "
                                  "works over the last axis (dim=-1)")
        return F.log_softmax, True
    return None, False


def _as_layer(act: Any) -> Any:
    if isinstance(act, Module) or callable(act):
        return act  # a layer, or a function of nn.functional (a Sequential calls it)
    return {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU, "softplus": Softplus,
            "softmax": Softmax, None: Identity}[act]()


def from_torch(module: Any, optimizer: Any = None, *, rng: Any = None) -> Any:
    """A ``torch.nn.Sequential`` (or one module) as a chainrule ``Sequential`` with the same weights and mode;
    with a ``torch.optim`` ``optimizer`` over ``module.parameters()``, also ours with its state:
    returns ``(model, optimizer)``.

    ``Linear`` becomes ``Dense`` with ``W = weight.T``, joined with the activation that follows it
    (``Linear, ReLU`` -> ``Dense(..., activation="relu")``, as chainrule models are written); ``ReLU``, ``Sigmoid``,
    ``Tanh``, ``LeakyReLU``, ``Softplus``, ``Softmax``, ``LogSoftmax`` (dim=-1, as ``nn.functional.log_softmax``),
    ``Identity``, ``Dropout`` (masks from ``rng``) and
    ``Flatten`` map to the layers of the same names; nested ``Sequential`` s are flattened. Anything else raises
    :class:`ConversionError` naming the first unsupported module.
    """
    torch = _torch("from_torch")
    tnn = torch.nn
    if not isinstance(module, tnn.Module):
        raise ConversionError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    flat: list[tuple[str, Any]] = []
    todo: list[tuple[str, Any]] = [("", module)]
    while todo:
        name, m = todo.pop(0)
        if isinstance(m, tnn.Sequential):
            todo[0:0] = [(f"{name}.{n}" if name else n, sub) for n, sub in m.named_children()]
        else:
            flat.append((name, m))
    layers: list[Any] = []
    i = 0
    while i < len(flat):
        name, m = flat[i]
        where = f"module {name!r}" if name else "the module"
        if type(m) is tnn.Linear:
            act = None
            if i + 1 < len(flat):
                nxt, is_act = _activation_from_torch(flat[i + 1][1], tnn)
                if is_act:
                    act, i = nxt, i + 1
            dtype = str(m.weight.dtype).removeprefix("torch.")
            if dtype not in ("float16", "float32", "float64"):
                raise ConversionError(f"from_torch: {where}, {m!r}, has {dtype} weights, which numpy has no float "
                                      "type for; convert it first (module.float() or module.double())")
            d = Dense(m.in_features, m.out_features, act, bias=m.bias is not None, dtype=np.dtype(dtype), rng=0)
            d.W.data[...] = m.weight.detach().cpu().numpy().T
            if m.bias is not None:
                d.b.data[...] = m.bias.detach().cpu().numpy()
            layers.append(d)
        elif type(m) is tnn.Dropout:
            layers.append(Dropout(m.p, rng=rng))
        elif type(m) is tnn.Flatten:
            layers.append(Flatten(m.start_dim, m.end_dim))
        else:
            act, is_act = _activation_from_torch(m, tnn)
            if not is_act:
                raise ConversionError(
                    f"from_torch: cannot convert {where}, {m!r} ({type(m).__module__}.{type(m).__qualname__}): "
                    "supported are Sequential, Linear, ReLU, Sigmoid, Tanh, LeakyReLU, Softplus, Softmax, LogSoftmax, "
                    "Identity, Dropout and Flatten"
                )
            layers.append(_as_layer(act))
        i += 1
    model = Sequential(*layers)
    model.train(module.training)
    if optimizer is None:
        return model
    plan = _plan(model, "from_torch")
    tparams = list(module.parameters())
    for k, (tp, ix) in enumerate(zip(tparams, plan.index)):
        if tuple(tp.shape) != ix.shape:  # pragma: no cover - the plan is built from this very module
            raise ConversionError(f"from_torch: parameter {k} has shape {tuple(tp.shape)}, expected {ix.shape}")
    return model, _optimizer_from_torch(optimizer, plan, tparams, torch)


# ----------------------------------------------------------------------------------------------------------------
# Optimizers
# ----------------------------------------------------------------------------------------------------------------

_OPTIMIZERS = ("SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop")


def _groups_to_torch(opt: optim.Optimizer, plan: _Plan) -> list[list[int]]:
    """For each of our parameter groups, the indices of the torch parameters it holds."""
    pos = {id(p): i for i, p in enumerate(plan.params)}
    if len(opt.params) != len(plan.params) or any(id(p) not in pos for p in opt.params):
        raise ConversionError(
            f"to_torch: the {type(opt).__name__} optimizer must train exactly the model's parameters "
            f"({len(plan.params)}), it has {len(opt.params)} (of which "
            f"{sum(id(p) in pos for p in opt.params)} are the model's)"
        )
    group_of = np.empty(len(plan.params), dtype=int)
    for gi, g in enumerate(opt.param_groups):
        for p in g["params"]:
            group_of[pos[id(p)]] = gi
    groups: list[list[int]] = [[] for _ in opt.param_groups]
    for k in range(len(plan.index)):
        gs = set(group_of[plan.sources(k)].tolist())
        if len(gs) > 1:
            raise ConversionError(f"to_torch: torch parameter {k} is made of parameters in different groups "
                                  f"{sorted(gs)}; put a layer's neurons in one group")
        groups[gs.pop()].append(k)
    return groups


def optimizer_state_to_torch(opt: optim.Optimizer, model: Module) -> dict[str, Any]:
    """``opt.state_dict()`` in PyTorch's form, for a ``torch.optim`` optimizer of the same class over
    ``to_torch(model).parameters()`` in groups as ours (:func:`to_torch` with the optimizer builds that one).

    The state entries have PyTorch's names already (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``,
    ``max_exp_avg_sq``, ``sum``, ``square_avg``, ``acc_delta``, ``grad_avg``); arrays take the torch layout and
    ``step`` becomes a float32 tensor, as PyTorch keeps it.
    """
    torch = _torch("optimizer_state_to_torch")
    plan = _plan(model, "optimizer_state_to_torch")
    return _state_to_torch(opt, plan, _groups_to_torch(opt, plan), torch)


def _state_to_torch(opt: optim.Optimizer, plan: _Plan, groups: list[list[int]], torch: Any) -> dict[str, Any]:
    who = "to_torch"
    ours = opt.state_dict()
    pos = {id(p): i for i, p in enumerate(plan.params)}
    state_of: list[dict[str, Any]] = [{} for _ in plan.params]  # by model position
    for i, s in ours["state"].items():
        state_of[pos[id(opt.params[int(i)])]] = s
    order = [k for g in groups for k in g]  # torch numbers parameters group after group
    tstate: dict[int, dict[str, Any]] = {}
    gathered: dict[str, list[np.ndarray]] = {}  # state entry -> its arrays in torch's layout
    for t, k in enumerate(order):
        src = plan.sources(k)
        keys = {key for j in src for key in state_of[j]}
        entry: dict[str, Any] = {}
        for key in sorted(keys):
            if key not in gathered and key != "step":
                arrays = [np.asarray(s.get(key, np.zeros(np.shape(p.data)))) for s, p in zip(state_of, plan.params)]
                gathered[key] = plan.gather(arrays)
            have = [key in state_of[j] for j in src]
            if not all(have):
                raise ConversionError(f"{who}: torch parameter {k} joins parameters of which only some have "
                                      f"optimizer state {key!r}; take a step with all of them first")
            if key == "step":
                steps = {int(state_of[j]["step"]) for j in src}
                if len(steps) > 1:
                    raise ConversionError(f"{who}: torch parameter {k} joins parameters at different steps "
                                          f"{sorted(steps)}")
                entry["step"] = torch.tensor(float(steps.pop()), dtype=torch.float32)
            else:
                entry[key] = torch.from_numpy(np.ascontiguousarray(gathered[key][k]))
        if not entry and type(opt).__name__ == "Adagrad":  # torch's Adagrad expects its state from the start
            init = float(opt.param_groups[next(i for i, ks in enumerate(groups) if k in ks)]
                         ["initial_accumulator_value"])
            entry = {"step": torch.tensor(0.0, dtype=torch.float32),
                     "sum": torch.full(tuple(plan.index[k].shape), init, dtype=getattr(torch, str(plan.dtypes[k])))}
        if entry:
            tstate[t] = entry
    start, tgroups = 0, []
    for g, ks in zip(opt.param_groups, groups):
        hp = {key: v for key, v in g.items() if key != "params"}
        if type(opt).__name__ == "AdamW":
            hp.pop("decoupled_weight_decay", None)
        tgroups.append({**hp, "params": list(range(start, start + len(ks)))})
        start += len(ks)
    return {"state": tstate, "param_groups": tgroups}


def _optimizer_to_torch(opt: optim.Optimizer, plan: _Plan, tparams: list[Any], torch: Any) -> Any:
    name = type(opt).__name__
    if name not in _OPTIMIZERS or not isinstance(opt, getattr(optim, name)):
        raise ConversionError(f"to_torch: {type(opt).__name__} has no torch.optim counterpart here; "
                              f"supported: {', '.join(_OPTIMIZERS)}")
    groups = _groups_to_torch(opt, plan)
    converted = _state_to_torch(opt, plan, groups, torch)
    tgroups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [tparams[k] for k in ks]}
               for g, ks in zip(converted["param_groups"], groups)]
    topt = getattr(torch.optim, name)(tgroups)
    saved = topt.state_dict()  # PyTorch's own group entries (foreach, fused, ...), then our hyperparameters
    for sg, cg in zip(saved["param_groups"], converted["param_groups"]):
        sg.update(cg)
    topt.load_state_dict({"state": converted["state"], "param_groups": saved["param_groups"]})
    return topt


def optimizer_state_from_torch(topt: Any, model: Module, module: Any) -> dict[str, Any]:
    """A ``torch.optim`` optimizer's state as our ``state_dict()``, for the same class over ``model.parameters()``
    in groups as PyTorch's (:func:`from_torch` with the optimizer builds that one). ``model`` must have the
    structure :func:`from_torch` gives ``module``."""
    torch = _torch("optimizer_state_from_torch")
    plan = _plan(model, "optimizer_state_from_torch")
    return _state_from_torch(topt, plan, list(module.parameters()), torch)[1]


def _state_from_torch(topt: Any, plan: _Plan, tparams: list[Any], torch: Any) -> tuple[list[dict], dict]:
    who = "from_torch"
    tpos = {id(p): k for k, p in enumerate(tparams)}
    tgroups = topt.param_groups
    if sorted(tpos.get(id(p), -1) for g in tgroups for p in g["params"]) != list(range(len(tparams))):
        raise ConversionError(f"{who}: the {type(topt).__name__} optimizer must train exactly the module's "
                              f"parameters ({len(tparams)})")
    name = type(topt).__name__
    cls = getattr(optim, name)
    our_keys = set(cls([Value(0.0)]).defaults)
    groups: list[dict[str, Any]] = []
    states: dict[int, Any] = {}
    keys = {key for s in topt.state.values() for key, v in s.items() if v is not None and key != "step"}
    flats = {}
    for key in keys:
        arrays = []
        for tp in tparams:
            v = topt.state.get(tp, {}).get(key)
            arrays.append(np.zeros(tuple(tp.shape)) if v is None else v.detach().cpu().numpy())
        flats[key] = plan.scatter(arrays)
    ours_in_order: list[int] = []
    for g in tgroups:
        ks = [tpos[id(p)] for p in g["params"]]
        members = sorted({j for k in ks for j in plan.sources(k)})
        hp = {}
        for key, v in g.items():
            if key in our_keys:
                hp[key] = float(v) if hasattr(v, "item") else tuple(float(b) for b in v) if key == "betas" else v
        groups.append({"params": [plan.params[j] for j in members], **hp})
        for j in members:
            t = next(k for k in ks if j in plan.sources(k))
            s = topt.state.get(tparams[t], {})
            entry = {key: flats[key][j] for key in keys if s.get(key) is not None}
            if "step" in s:
                entry["step"] = np.array(int(float(s["step"])))
            states[len(ours_in_order)] = entry
            ours_in_order.append(j)
    hps = [{k: v for k, v in g.items() if k != "params"} for g in groups]
    start, sgroups = 0, []
    for g, hp in zip(groups, hps):
        sgroups.append({**hp, "params": list(range(start, start + len(g["params"])))})
        start += len(g["params"])
    return groups, {"state": {i: s for i, s in states.items() if s}, "param_groups": sgroups}


def _optimizer_from_torch(topt: Any, plan: _Plan, tparams: list[Any], torch: Any) -> optim.Optimizer:
    name = type(topt).__name__
    if name not in _OPTIMIZERS or type(topt) is not getattr(torch.optim, name):
        raise ConversionError(f"from_torch: {type(topt).__module__}.{type(topt).__qualname__} has no counterpart "
                              f"in nn.optim; supported: {', '.join(_OPTIMIZERS)}")
    groups, state = _state_from_torch(topt, plan, tparams, torch)
    opt = getattr(optim, name)(groups)
    opt.load_state_dict(state)
    return opt


# ----------------------------------------------------------------------------------------------------------------
# ONNX
# ----------------------------------------------------------------------------------------------------------------


def _tensor_twin(model: Module, dtype: Any) -> Module:
    """A Value model (MLP, Perceptron, ...) as the Sequential of Dense layers that computes the same, a batch at a
    time; Tensor models are returned as they are."""
    if not any(isinstance(p, Value) for p in model.parameters()):
        return model
    plan = _plan(model, "export_onnx")
    arrays = plan.gather([np.asarray(p.data) for p in plan.params])
    layers: list[Any] = []
    k = 0
    for s in plan.steps:
        a = dict(s.args)
        if s.kind == "linear":
            d = Dense(a["in_features"], a["out_features"], bias=a["bias"], dtype=dtype, rng=0)
            d.W.data[...] = arrays[k].T
            if a["bias"]:
                d.b.data[...] = arrays[k + 1]
            k += 2 if a["bias"] else 1
            layers.append(d)
        elif s.kind == "act":
            name = a.pop("name")
            if name == "log_softmax":
                layers.append(F.log_softmax)
            elif name == "softmax":
                layers.append(Softmax(a["dim"]))
            else:
                layers.append({"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU,
                               "softplus": Softplus}[name](**a))
        elif s.kind == "dropout":
            layers.append(Dropout(a["p"]))
        else:
            layers.append(Flatten(a["start_dim"], a["end_dim"]))
    return Sequential(*layers)


def export_onnx(
    model: Module, path: str | os.PathLike, example_input: Any, *, input_name: str = "input",
    output_name: str = "output",
) -> Any:
    """Write ``model`` to ``path`` as an ONNX model (opset 18) with a dynamic batch dimension; returns the
    ``onnx.ModelProto``.

    The model is traced on ``example_input`` (a batch, shape (N, ...)) in evaluation mode, so dropout is left out,
    as every serving engine expects; its mode is restored afterwards. The ONNX graph is the engine's own graph,
    written down op by op (see :func:`autograd.export_onnx`): a ``Dense`` layer is one ``Gemm`` node, its
    activation one ``Relu``/``Tanh``/``Sigmoid``/``Softmax``/... node. A Value model (``MLP``, ``Perceptron``)
    is exported as the equivalent Dense layers, in the example input's float dtype (float64 for other data).
    Run it with ``onnxruntime.InferenceSession(path).run(None, {input_name: x})``.
    """
    from autograd.onnx import export_onnx as trace_export

    if not isinstance(model, Module):
        raise TypeError(f"export_onnx: model must be a chainrule nn.Module, got {type(model).__name__}; export a "
                        "function with autograd.export_onnx(f, example_args, path)")
    x = np.asarray(example_input.data if isinstance(example_input, Tensor) else example_input)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if x.ndim < 2:  # (n,) is one sample to a Dense layer: its feature axis would be written as the dynamic batch
        raise ValueError(f"export_onnx: example_input must be a batch (N, features...) whose axis 0 is the batch, got "
                         f"shape {x.shape}" + (f"; for one sample pass x[None] (shape (1, {x.shape[0]}))"
                                                if x.ndim == 1 else ""))
    twin = _tensor_twin(model, x.dtype)
    was_training = model.training
    twin.eval()
    try:
        return trace_export(twin, (x,), path, input_names=[input_name], output_names=[output_name],
                            dynamic_batch=True)
    finally:
        twin.train(was_training)
        model.train(was_training)
