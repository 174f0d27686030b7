"""Every engine's version of the workloads, one small function per (contender, workload family).

A contender is a row of the table: a name, the environment it runs in (``ours`` is the project's .venv, the others
live in ``out/bench-envs/<env>``), and one maker per workload family it can run. A maker takes the workload's data
(:func:`benchmarks.workloads.data`) and returns a step (no arguments, returns the loss as a float). Libraries are
imported inside the makers, so this module imports anywhere (the parent process has neither PyTorch nor JAX).

Adding a row is one function::

    @maker("ours compiled", "large", env="ours")
    def ours_compiled_large(d):
        ...
        return step
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .workloads import Step, chain


@dataclass
class Contender:
    """One row per workload: where it runs and how it is built."""

    name: str
    env: str
    makers: dict[str, Callable[[dict[str, Any]], Step]] = field(default_factory=dict)
    # numpy may be timed in the same process (False for libraries with their own thread pools: PyTorch, JAX)
    numpy_in_process: bool = True
    note: str = ""


CONTENDERS: dict[str, Contender] = {}
#: the envs whose libraries run thread pools of their own: hand numpy is timed in a separate process beside them
OWN_THREADS = {"torch", "jax", "tinygrad"}


def maker(name: str, *families: str, env: str, note: str = "") -> Callable[[Callable], Callable]:
    """Register ``fn(data) -> step`` as contender ``name``'s maker for the given workload families."""

    def register(fn: Callable) -> Callable:
        c = CONTENDERS.setdefault(name, Contender(name, env, numpy_in_process=env not in OWN_THREADS, note=note))
        if c.env != env:
            raise ValueError(f"contender {name!r} registered in two environments: {c.env!r} and {env!r}")
        for fam in families:
            c.makers[fam] = fn
        return fn

    return register


def _checked(step: Step, check: Callable[[], float]) -> Step:
    step.check = check  # type: ignore[attr-defined]  # what the losses are compared on, when not the step's return
    return step


# ----------------------------------------------------------------------------------------------------------------
# hand-written numpy (the reference; it runs in every environment)
# ----------------------------------------------------------------------------------------------------------------

HAND = "hand numpy"


def _hand(d: dict[str, Any], family: str) -> Step:
    from .workloads import HAND as H

    return H[family](d)


for _fam in ("large", "small", "chain", "demo", "digits"):
    maker(HAND, _fam, env="any")(lambda d, f=_fam: _hand(d, f))


# ----------------------------------------------------------------------------------------------------------------
# chainrule
# ----------------------------------------------------------------------------------------------------------------


def _our_params(d: dict[str, Any]) -> list[Any]:
    from autograd import Tensor

    return [Tensor(a.copy(), requires_grad=True) for pair in zip(d["Ws"], d["bs"]) for a in pair]


def _our_sgd(params: list[Any], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad
        p.grad = None


@maker("chainrule Tensor", "large", env="ours", note="raw Tensor ops: x @ W + b, .relu(), log_softmax, indexing")
def ours_large(d):
    from autograd import Tensor

    params, x, y, lr = _our_params(d), Tensor(d["X"]), d["y"], d["lr"]
    rows = np.arange(len(y))

    def step() -> float:
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu()
        loss = -h.log_softmax(axis=1)[rows, y].mean()
        loss.backward()
        _our_sgd(params, lr)
        return loss.item()

    return step


@maker("chainrule Tensor", "small", env="ours")
def ours_small(d):
    from autograd import Tensor
    from nn.functional import binary_cross_entropy_with_logits as bce

    params, x, t, lr = _our_params(d), Tensor(d["X"]), Tensor(d["Y"]), d["lr"]
    W1, b1, W2, b2, W3, b3 = params

    def step() -> float:
        h = (x @ W1 + b1).tanh()
        h = (h @ W2 + b2).tanh()
        loss = bce(h @ W3 + b3, t)
        loss.backward()
        _our_sgd(params, lr)
        return loss.item()

    return step


@maker("chainrule Tensor", "chain", env="ours")
def ours_chain(d):
    from autograd import Tensor

    leaves = [Tensor(d[k].copy(), requires_grad=True) for k in "xwb"]
    n = d["n_ops"]
    if not d["backward"]:
        return lambda: chain(*leaves, n).sum().item()

    def step() -> float:
        out = chain(*leaves, n).sum()
        out.backward()
        for t in leaves:
            t.grad = None
        return out.item()

    return step


def _our_dense_model(d: dict[str, Any], activation: str) -> Any:
    import nn

    Ws, bs = d["Ws"], d["bs"]
    layers = [nn.Dense(W.shape[0], W.shape[1], activation if i < len(Ws) - 1 else None, dtype=W.dtype)
              for i, W in enumerate(Ws)]
    for layer, W, b in zip(layers, Ws, bs):
        layer.W.data[...] = W
        layer.b.data[...] = b
    return nn.Sequential(*layers)


@maker("chainrule nn (Sequential, nn loss, nn.SGD)", "large", "small", env="ours",
       note="Sequential of Dense, nn.CrossEntropyLoss / nn.BCEWithLogitsLoss, nn.SGD, zero_grad/backward/step")
def ours_nn(d):
    import nn

    large = "y" in d
    model = _our_dense_model(d, "relu" if large else "tanh")
    loss_fn = nn.CrossEntropyLoss() if large else nn.BCEWithLogitsLoss()
    opt = nn.SGD(model.parameters(), lr=d["lr"])
    x, t = d["X"], d["y"] if large else d["Y"]

    def step() -> float:
        loss = loss_fn(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


@maker("chainrule nn.fit", "digits", env="ours", note="nn.fit(epochs=1) per epoch, sharing optimizer and Generator")
def ours_fit(d):
    import nn

    model = _our_dense_model(d, "relu")
    opt = nn.Adam(model.parameters(), lr=d["lr"])
    gen = np.random.default_rng(d["seed"])

    def epoch() -> float:
        h = nn.fit(model, d["X"], d["y"], loss="cross_entropy", optimizer=opt, epochs=1, batch_size=d["batch"],
                   seed=gen, verbose=0)
        return float(h.history["loss"][-1])

    return epoch


def _demo_step(model: Callable, params: list[Any], value: type, d: dict[str, Any]) -> Step:
    """micrograd's demo loop body, the loss written as micrograd's README writes it (Python ``sum`` over the
    points' hinge losses times 1/n, plus alpha times ``sum(p * p)``): forward, zero grads, backward, SGD."""
    X, y = d["X"].tolist(), d["y"].tolist()
    lr, alpha = d["lr"], d["alpha"]

    def step() -> float:
        inputs = [[value(a) for a in row] for row in X]
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = alpha * sum(p * p for p in params)
        total = data_loss + reg_loss
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= lr * p.grad
        return total.data

    return step


@maker("chainrule Value, node for node", "demo", env="ours",
       note="each neuron sum((w_i * x_i for ...), b) as micrograd builds it: 2n nodes per neuron")
def ours_demo_nodes(d):
    from autograd import Value

    layers = [[([Value(w) for w in row], Value(b)) for row, b in zip(W.tolist(), bias.tolist())]
              for W, bias in d["weights"]]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]

    def model(x):
        for i, layer in enumerate(layers):
            zs = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = zs if i == len(layers) - 1 else [z.relu() for z in zs]
        return x[0]

    return _demo_step(model, params, Value, d)


@maker("chainrule nn.MLP", "demo", env="ours", note="nn.MLP(2, [16, 16, 1]): each neuron one weighted_sum node")
def ours_demo_mlp(d):
    import nn
    from autograd import Value

    model = nn.MLP(2, [16, 16, 1])
    for layer, (W, b) in zip(model.layers, d["weights"]):
        for neuron, row, bi in zip(layer.neurons, W.tolist(), b.tolist()):
            for wv, v in zip(neuron.w, row):
                wv.data = v
            neuron.b.data = bi
    params = model.parameters()
    return _demo_step(model, params, Value, d)


# ----------------------------------------------------------------------------------------------------------------
# chainrule, compiled (autograd.compile, issue 15): forward, loss and backward recorded once and replayed as
# straight-line numpy; the SGD update on .data after each call, as in the eager rows above. The first call traces
# and compiles (the worker reports it as the row's "first call"); it is never in the timed rounds.
# ----------------------------------------------------------------------------------------------------------------

COMPILED = "chainrule autograd.compile"


@maker(COMPILED, "large", "small", env="ours",
       note="autograd.compile of forward + loss + backward (the eager Tensor row's code); SGD on .data after the call")
def ours_compiled_mlp(d):
    import autograd
    from autograd import Tensor
    from nn.functional import binary_cross_entropy_with_logits as bce

    params, lr = _our_params(d), d["lr"]
    large = "y" in d
    x = Tensor(d["X"])
    t = Tensor(d["Y"]) if not large else None
    rows = np.arange(len(d["y"])) if large else None
    y = d["y"] if large else None

    @autograd.compile
    def forward_backward(x):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu() if large else h.tanh()
        loss = -h.log_softmax(axis=1)[rows, y].mean() if large else bce(h, t)
        loss.backward()
        return loss

    def step() -> float:
        loss = forward_backward(x)
        _our_sgd(params, lr)
        return loss.item()

    return step


@maker(COMPILED, "chain", env="ours", note="autograd.compile of the chain (and its backward)")
def ours_compiled_chain(d):
    import autograd
    from autograd import Tensor

    leaves = [Tensor(d[k].copy(), requires_grad=True) for k in "xwb"]
    n, backward = d["n_ops"], d["backward"]

    @autograd.compile
    def f(x, w, b):
        out = chain(x, w, b, n).sum()
        if backward:
            out.backward()
        return out

    def step() -> float:
        out = f(*leaves)
        for t in leaves:
            t.grad = None
        return out.item()

    return step


@maker(COMPILED, "demo", env="ours",
       note="autograd.compile of the node-for-node Value model's forward, loss and backward; the points are "
       "constants of the program; zero grads and SGD on .data after the call")
def ours_compiled_demo(d):
    import autograd
    from autograd import Value
    from autograd.value import Constant

    layers = [[([Value(w) for w in row], Value(b)) for row, b in zip(W.tolist(), bias.tolist())]
              for W, bias in d["weights"]]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    X, y = d["X"].tolist(), d["y"].tolist()
    lr, alpha = d["lr"], d["alpha"]

    def model(x):
        for i, layer in enumerate(layers):
            zs = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = zs if i == len(layers) - 1 else [z.relu() for z in zs]
        return x[0]

    @autograd.compile
    def forward_backward():  # _demo_step's loss, node for node
        inputs = [[Constant(a) for a in row] for row in X]
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in params)
        total.backward()
        return total

    def step() -> float:
        for p in params:
            p.grad = 0.0
        total = forward_backward()
        for p in params:
            p.data -= lr * p.grad
        return total.data

    return step


# ----------------------------------------------------------------------------------------------------------------
# micrograd 0.1.0
# ----------------------------------------------------------------------------------------------------------------


@maker("micrograd 0.1.0", "demo", env="micrograd", note="micrograd.nn.MLP, the same loss code")
def micrograd_demo(d):
    import random

    from micrograd.engine import Value
    from micrograd.nn import MLP

    state = random.getstate()
    model = MLP(2, [16, 16, 1])
    random.setstate(state)
    flat = [v for W, b in d["weights"] for row, bi in zip(W.tolist(), b.tolist()) for v in (*row, bi)]
    params = model.parameters()
    for p, v in zip(params, flat, strict=True):
        p.data = v
    return _demo_step(model, params, Value, d)


# ----------------------------------------------------------------------------------------------------------------
# PyTorch (eager, default threads)
# ----------------------------------------------------------------------------------------------------------------


def _torch_params(d: dict[str, Any]) -> list[Any]:
    import torch

    return [torch.from_numpy(a.copy()).requires_grad_() for pair in zip(d["Ws"], d["bs"]) for a in pair]


def _torch_sgd(params: list[Any], lr: float) -> None:
    import torch

    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


@maker("PyTorch functional", "large", "small", env="torch", note="torch ops and F.cross_entropy / "
       "F.binary_cross_entropy_with_logits, update under no_grad")
def torch_fn(d):
    import torch
    import torch.nn.functional as F

    params, lr = _torch_params(d), d["lr"]
    large = "y" in d
    x = torch.from_numpy(d["X"])
    t = torch.from_numpy(d["y"].astype(np.int64)) if large else torch.from_numpy(d["Y"])
    act = torch.relu if large else torch.tanh

    def step() -> float:
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = act(h)
        loss = F.cross_entropy(h, t) if large else F.binary_cross_entropy_with_logits(h, t)
        loss.backward()
        _torch_sgd(params, lr)
        return loss.item()

    return step


@maker("PyTorch functional", "chain", env="torch")
def torch_chain(d):
    import torch

    leaves = [torch.tensor(d[k], requires_grad=True) for k in "xwb"]
    n = d["n_ops"]
    if not d["backward"]:
        return lambda: chain(*leaves, n).sum().item()

    def step() -> float:
        out = chain(*leaves, n).sum()
        out.backward()
        for t in leaves:
            t.grad = None
        return out.item()

    return step


def _torch_module(d: dict[str, Any], act: Any) -> Any:
    import torch

    layers: list[Any] = []
    for i, (W, b) in enumerate(zip(d["Ws"], d["bs"])):
        lin = torch.nn.Linear(*W.shape, dtype=torch.float64 if W.dtype == np.float64 else torch.float32)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(d["Ws"]) - 1:
            layers.append(act())
    return torch.nn.Sequential(*layers)


@maker("PyTorch nn.Module + torch.optim", "large", "small", env="torch",
       note="nn.Sequential of nn.Linear, nn.CrossEntropyLoss / nn.BCEWithLogitsLoss, optim.SGD")
def torch_module(d):
    import torch

    large = "y" in d
    model = _torch_module(d, torch.nn.ReLU if large else torch.nn.Tanh)
    loss_fn = torch.nn.CrossEntropyLoss() if large else torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.SGD(model.parameters(), lr=d["lr"])
    x = torch.from_numpy(d["X"])
    t = torch.from_numpy(d["y"].astype(np.int64)) if large else torch.from_numpy(d["Y"])

    def step() -> float:
        loss = loss_fn(model(x), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


@maker("PyTorch nn.Module + torch.optim", "digits", env="torch")
def torch_digits(d):
    import torch

    from .workloads import epoch_orders

    model = _torch_module(d, torch.nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=d["lr"])
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(d["X"]), torch.from_numpy(d["y"])
    order_of, batch = epoch_orders(len(X), d["seed"]), d["batch"]

    def epoch() -> float:
        order = torch.from_numpy(order_of())
        total = 0.0
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            loss = loss_fn(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)  # the epoch's mean loss, as a user logs it
        return total / len(X)

    return epoch


# ----------------------------------------------------------------------------------------------------------------
# JAX (CPU; float64 enabled so that the float64 rows are float64)
# ----------------------------------------------------------------------------------------------------------------


def _jax_loss(d: dict[str, Any]) -> tuple[Callable, list[Any], tuple[Any, ...]]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    params = [jnp.asarray(a) for pair in zip(d["Ws"], d["bs"]) for a in pair]
    large = "y" in d
    x = jnp.asarray(d["X"])
    t = jnp.asarray(d["y"]) if large else jnp.asarray(d["Y"])
    act = jax.nn.relu if large else jnp.tanh

    def loss(params, x, t):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = act(h)
        if large:
            return -jnp.take_along_axis(jax.nn.log_softmax(h, axis=1), t[:, None], axis=1).mean()
        return (jax.nn.softplus(h) - t * h).mean()

    return loss, params, (x, t)


@maker("JAX jax.grad (eager)", "large", "small", env="jax", note="value_and_grad called op by op, no jit")
def jax_eager(d):
    import jax

    loss, params, args = _jax_loss(d)
    vg, lr = jax.value_and_grad(loss), d["lr"]
    state = [params]

    def step() -> float:
        value, grads = vg(state[0], *args)
        state[0] = [p - lr * g for p, g in zip(state[0], grads)]
        return float(value)

    return step


@maker("JAX jax.jit(value_and_grad + update)", "large", "small", env="jax",
       note="one jitted function: loss, gradients and the SGD update; its compile time is excluded (first call)")
def jax_jit(d):
    import jax

    loss, params, args = _jax_loss(d)
    vg, lr = jax.value_and_grad(loss), d["lr"]

    @jax.jit
    def update(params, x, t):
        value, grads = vg(params, x, t)
        return value, [p - lr * g for p, g in zip(params, grads)]

    state = [params]

    def step() -> float:
        value, state[0] = update(state[0], *args)
        return float(value)

    return step


@maker("JAX jax.grad (eager)", "chain", env="jax")
def jax_chain(d):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    leaves = tuple(jnp.asarray(d[k]) for k in "xwb")
    n = d["n_ops"]

    def f(leaves):
        return chain(*leaves, n, jnp.tanh, jnp.exp).sum()

    if not d["backward"]:
        return lambda: float(f(leaves))
    vg = jax.value_and_grad(f)

    def step() -> float:
        value, grads = vg(leaves)
        jax.block_until_ready(grads)
        return float(value)

    return step


# ----------------------------------------------------------------------------------------------------------------
# HIPS autograd (its own environment: the import name is ``autograd``)
# ----------------------------------------------------------------------------------------------------------------


def _hips_loss(d: dict[str, Any]) -> tuple[Callable, list[Any]]:
    import autograd.numpy as anp

    large = "y" in d
    x, t = d["X"], d["y"] if large else d["Y"]
    rows = np.arange(len(t))

    def loss(params):
        h = x
        for i in range(0, len(params), 2):
            h = anp.dot(h, params[i]) + params[i + 1]
            if i < len(params) - 2:
                h = anp.maximum(h, 0) if large else anp.tanh(h)
        if large:  # log-sum-exp by hand: autograd.scipy would need scipy in this environment
            m = anp.max(h, axis=1, keepdims=True)
            lse = m[:, 0] + anp.log(anp.sum(anp.exp(h - m), axis=1))
            return -anp.mean(h[rows, t] - lse)
        return anp.mean(anp.logaddexp(0, h) - t * h)

    return loss, [a.copy() for pair in zip(d["Ws"], d["bs"]) for a in pair]


@maker("HIPS autograd", "large", "small", env="hips", note="autograd.value_and_grad of a numpy loss over a list")
def hips_mlp(d):
    from autograd import value_and_grad

    loss, params = _hips_loss(d)
    vg, lr = value_and_grad(loss), d["lr"]

    def step() -> float:
        value, grads = vg(params)
        for p, g in zip(params, grads):
            p -= lr * g
        return float(value)

    return step


@maker("HIPS autograd", "chain", env="hips")
def hips_chain(d):
    import autograd.numpy as anp

    from autograd import value_and_grad

    leaves, n = [d[k].copy() for k in "xwb"], d["n_ops"]

    def f(leaves):
        return anp.sum(chain(*leaves, n, anp.tanh, anp.exp))

    if not d["backward"]:
        return lambda: float(f(leaves))
    vg = value_and_grad(f)
    return lambda: float(vg(leaves)[0])


# ----------------------------------------------------------------------------------------------------------------
# tinygrad (when it installs and runs; CPU)
# ----------------------------------------------------------------------------------------------------------------


@maker("tinygrad", "large", "small", env="tinygrad", note="Tensor ops, its SGD, default CPU device, no TinyJit")
def tinygrad_mlp(d):
    from tinygrad import Tensor, dtypes
    from tinygrad.nn.optim import SGD

    large = "y" in d
    params = [Tensor(a.copy()).requires_grad_() for pair in zip(d["Ws"], d["bs"]) for a in pair]
    x = Tensor(d["X"])
    t = Tensor(d["y"].astype(np.int32), dtype=dtypes.int32) if large else Tensor(d["Y"])
    opt = SGD(params, lr=d["lr"])

    def step() -> float:
        Tensor.training = True
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu() if large else h.tanh()
        loss = h.sparse_categorical_crossentropy(t) if large else h.binary_crossentropy_logits(t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


#: the order of rows in the table
ORDER = [HAND, "chainrule Tensor", "chainrule nn (Sequential, nn loss, nn.SGD)", "chainrule nn.fit",
         "chainrule Value, node for node", "chainrule nn.MLP", COMPILED, "PyTorch functional",
         "PyTorch nn.Module + torch.optim",
         "JAX jax.grad (eager)", "JAX jax.jit(value_and_grad + update)", "HIPS autograd", "micrograd 0.1.0",
         "tinygrad"]
