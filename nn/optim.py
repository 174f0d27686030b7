"""Optimizers with PyTorch's semantics and defaults, and gradient clipping.

An optimizer holds parameters (``Value`` s or ``Tensor`` s) and, at each :meth:`Optimizer.step`, moves each one
using its ``.grad``. The updates are plain numpy arithmetic on ``.data`` (no graph is recorded). Notation:
theta a parameter, g its gradient, lr the learning rate, t the step count (1 on the first update).

=============  ================================================================================================
SGD            b = mu b + (1 - dampening) g (b = g on the first step); theta -= lr (g + mu b if nesterov else b)
Adam           m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
               theta -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
AdamW          Adam with decoupled weight decay: theta *= 1 - lr * weight_decay first
Adagrad        S += g^2;  theta -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(S) + eps)
Adadelta       E[g^2] = rho E[g^2] + (1 - rho) g^2;  d = sqrt(E[d^2] + eps) / sqrt(E[g^2] + eps) * g;
               E[d^2] = rho E[d^2] + (1 - rho) d^2;  theta -= lr d
RMSprop        v = alpha v + (1 - alpha) g^2;  theta -= lr g / (sqrt(v) + eps)  (+ momentum, centered variants)
=============  ================================================================================================

``weight_decay`` is PyTorch's coupled L2 (g += weight_decay * theta) everywhere except in AdamW.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor, Value

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop", "clip_grad_norm_", "clip_grad_value_"]

Param = Value | Tensor


def _param_list(params: Any, who: str) -> list[Param]:
    if isinstance(params, (Value, Tensor)):
        params = [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    out: list[Param] = []
    seen: set[int] = set()
    for i, p in enumerate(params):
        if isinstance(p, Tensor):
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(
                    f"{who}: parameter {i} (shape {p.shape}) is not a trainable leaf tensor; create it with "
                    "requires_grad=True"
                )
            if p.dtype.kind != "f":
                raise ValueError(f"{who}: parameter {i} has dtype {p.dtype}; parameters must be floating point")
        elif not isinstance(p, Value):
            raise TypeError(f"{who}: parameter {i} is a {type(p).__name__}, not a Value or a Tensor")
        if id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    if not out:
        raise ValueError(f"{who}: got an empty parameter list")
    return out


def _check(who: str, name: str, value: float, ok: bool, rule: str) -> None:
    if not ok:
        raise ValueError(f"{who}: invalid {name}={value!r} ({rule})")


class Optimizer:
    """Base class: holds the parameters, one hyperparameter group and per-parameter state.

    Hyperparameters live in ``param_groups[0]`` (as in PyTorch, so ``opt.param_groups[0]["lr"] = 0.1`` works) and
    are also attributes (``opt.lr = 0.1``). Subclasses implement :meth:`_update` on numpy arrays.
    """

    def __init__(self, params: Iterable[Param], defaults: dict[str, Any]) -> None:
        self.params = _param_list(params, type(self).__name__)
        self.param_groups = [{"params": self.params, **defaults}]
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def __getattr__(self, name: str) -> Any:
        groups = self.__dict__.get("param_groups")
        if groups and name in groups[0] and name != "params":
            return groups[0][name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        groups = self.__dict__.get("param_groups")
        if groups and name in groups[0] and name != "params":
            groups[0][name] = value
        else:
            object.__setattr__(self, name, value)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return {k: v for k, v in self.param_groups[0].items() if k != "params"}

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (a Tensor's to None, as PyTorch's default; a Value's to 0.0)."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter that has a gradient (a Tensor whose ``grad`` is None is skipped)."""
        hp = self.hyperparameters
        for p, state in zip(self.params, self.state):
            if isinstance(p, Value):
                theta, g = np.float64(p.data), np.float64(p.grad)
            else:
                if p.grad is None:
                    continue
                theta, g = p.data, np.asarray(p.grad, dtype=p.data.dtype)
            if hp.get("maximize"):
                g = -g
            new = self._update(theta, g, state, hp)
            if isinstance(p, Value):
                p.data = float(new)
            elif p.data.flags.writeable:
                p.data[...] = new  # in place: anything holding the array sees the new values
            else:
                p.data = np.array(new, dtype=p.data.dtype)

    def _update(self, theta: Any, g: Any, state: dict[str, Any], hp: dict[str, Any]) -> Any:
        raise NotImplementedError

    # -- state ----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {name: array or number}}, 'hyperparameters': {...}}: copies, safe to keep."""
        return {
            "state": {i: {k: np.array(v, copy=True) for k, v in s.items()} for i, s in enumerate(self.state) if s},
            "hyperparameters": dict(self.hyperparameters),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (for the same parameters, in the same order)."""
        states = state_dict.get("state", {})
        problems = []
        for i, s in states.items():
            i = int(i)
            if not 0 <= i < len(self.params):
                problems.append(f"state for parameter {i}, but there are {len(self.params)} parameters")
                continue
            p = self.params[i]
            shape = () if isinstance(p, Value) else p.shape
            for k, v in s.items():
                if k != "step" and np.shape(v) != shape:
                    problems.append(f"parameter {i}: state {k!r} has shape {np.shape(v)}, parameter {shape}")
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        self.state = [{} for _ in self.params]
        for i, s in states.items():
            self.state[int(i)] = {k: np.array(v, copy=True) for k, v in s.items()}
        for k, v in state_dict.get("hyperparameters", {}).items():
            if k in self.param_groups[0] and k != "params":
                self.param_groups[0][k] = v

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hp})"


# --------------------------------------------------------------------------------------------------------------


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay.

    theta <- theta - lr * d, where d = g (no momentum), b (momentum) or g + mu b (Nesterov), and
    b_1 = g, b_t = mu b_{t-1} + (1 - dampening) g (PyTorch: the first step copies g, ignoring dampening).
    """

    def __init__(
        self, params: Iterable[Param], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
        weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
    ) -> None:
        who = "SGD"
        _check(who, "lr", lr, lr >= 0, "the learning rate must be >= 0")
        _check(who, "momentum", momentum, momentum >= 0, "must be >= 0")
        _check(who, "weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                f"dampening={dampening}"
            )
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, theta, g, state, hp):
        if hp["weight_decay"]:
            g = g + hp["weight_decay"] * theta
        mu = hp["momentum"]
        if mu:
            if "momentum_buffer" not in state:
                b = np.array(g, copy=True)
            else:
                b = mu * state["momentum_buffer"] + (1 - hp["dampening"]) * g
            state["momentum_buffer"] = b
            g = g + mu * b if hp["nesterov"] else b
        return theta - hp["lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) with PyTorch's bias correction and epsilon placement; ``amsgrad`` keeps the largest raw
    v seen; ``weight_decay`` is coupled L2 unless ``decoupled_weight_decay=True`` (that is AdamW)."""

    def __init__(
        self, params: Iterable[Param], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        who = type(self).__name__
        _check(who, "lr", lr, lr >= 0, "the learning rate must be >= 0")
        _check(who, "eps", eps, eps >= 0, "must be >= 0")
        _check(who, "weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
        b1, b2 = betas
        _check(who, "betas[0]", b1, 0 <= b1 < 1, "must lie in [0, 1)")
        _check(who, "betas[1]", b2, 0 <= b2 < 1, "must lie in [0, 1)")
        super().__init__(params, dict(lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, theta, g, state, hp):
        lr, (b1, b2), eps, wd = hp["lr"], hp["betas"], hp["eps"], hp["weight_decay"]
        if wd:
            if hp["decoupled_weight_decay"]:
                theta = theta * (1 - lr * wd)
            else:
                g = g + wd * theta
        t = int(state.get("step", 0)) + 1
        m = b1 * state.get("exp_avg", 0 * g) + (1 - b1) * g
        v = b2 * state.get("exp_avg_sq", 0 * g) + (1 - b2) * g * g
        state.update(step=t, exp_avg=m, exp_avg_sq=v)
        if hp["amsgrad"]:
            v = np.maximum(state.get("max_exp_avg_sq", 0 * g), v)
            state["max_exp_avg_sq"] = v
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        return theta - (lr / (1 - b1**t)) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): theta <- theta (1 - lr wd), then the Adam step.

    PyTorch's default ``weight_decay=0.01``."""

    def __init__(
        self, params: Iterable[Param], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class Adagrad(Optimizer):
    """Adagrad: S += g^2; theta -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(S) + eps). PyTorch: S starts at
    ``initial_accumulator_value`` = 0, so the first step is lr * sign(g)."""

    def __init__(
        self, params: Iterable[Param], lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False,
    ) -> None:
        who = "Adagrad"
        _check(who, "lr", lr, lr >= 0, "the learning rate must be >= 0")
        _check(who, "lr_decay", lr_decay, lr_decay >= 0, "must be >= 0")
        _check(who, "weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
        _check(who, "initial_accumulator_value", initial_accumulator_value, initial_accumulator_value >= 0,
               "must be >= 0")
        _check(who, "eps", eps, eps >= 0, "must be >= 0")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _update(self, theta, g, state, hp):
        if hp["weight_decay"]:
            g = g + hp["weight_decay"] * theta
        t = int(state.get("step", 0)) + 1
        s = state.get("sum", 0 * g + hp["initial_accumulator_value"]) + g * g
        state.update(step=t, sum=s)
        lr = hp["lr"] / (1 + (t - 1) * hp["lr_decay"])
        return theta - lr * g / (np.sqrt(s) + hp["eps"])


class Adadelta(Optimizer):
    """Adadelta (Zeiler): step sizes from running averages of g^2 and of past updates; lr is a plain multiplier
    (PyTorch's default 1.0 is Zeiler's method)."""

    def __init__(
        self, params: Iterable[Param], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
        weight_decay: float = 0.0, *, maximize: bool = False,
    ) -> None:
        who = "Adadelta"
        _check(who, "lr", lr, lr >= 0, "the learning rate must be >= 0")
        _check(who, "rho", rho, 0 <= rho <= 1, "must lie in [0, 1]")
        _check(who, "eps", eps, eps >= 0, "must be >= 0")
        _check(who, "weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, theta, g, state, hp):
        rho, eps = hp["rho"], hp["eps"]
        if hp["weight_decay"]:
            g = g + hp["weight_decay"] * theta
        sq = rho * state.get("square_avg", 0 * g) + (1 - rho) * g * g
        delta = np.sqrt(state.get("acc_delta", 0 * g) + eps) / np.sqrt(sq + eps) * g
        acc = rho * state.get("acc_delta", 0 * g) + (1 - rho) * delta * delta
        state.update(step=int(state.get("step", 0)) + 1, square_avg=sq, acc_delta=acc)
        return theta - hp["lr"] * delta


class RMSprop(Optimizer):
    """RMSprop (Hinton): v = alpha v + (1 - alpha) g^2; theta -= lr g / (sqrt(v) + eps). No bias correction, so with
    alpha = 0.99 the first step is about 10 lr. ``centered`` subtracts the squared running mean of g from v;
    ``momentum`` accumulates b = mu b + g / (sqrt(v) + eps) and steps by lr b."""

    def __init__(
        self, params: Iterable[Param], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
        weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *, maximize: bool = False,
    ) -> None:
        who = "RMSprop"
        _check(who, "lr", lr, lr >= 0, "the learning rate must be >= 0")
        _check(who, "alpha", alpha, alpha >= 0, "must be >= 0")
        _check(who, "eps", eps, eps >= 0, "must be >= 0")
        _check(who, "momentum", momentum, momentum >= 0, "must be >= 0")
        _check(who, "weight_decay", weight_decay, weight_decay >= 0, "must be >= 0")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, theta, g, state, hp):
        alpha = hp["alpha"]
        if hp["weight_decay"]:
            g = g + hp["weight_decay"] * theta
        v = alpha * state.get("square_avg", 0 * g) + (1 - alpha) * g * g
        state.update(step=int(state.get("step", 0)) + 1, square_avg=v)
        if hp["centered"]:
            gbar = alpha * state.get("grad_avg", 0 * g) + (1 - alpha) * g
            state["grad_avg"] = gbar
            v = v - gbar * gbar
        denom = np.sqrt(v) + hp["eps"]
        if hp["momentum"] > 0:
            b = hp["momentum"] * state.get("momentum_buffer", 0 * g) + g / denom
            state["momentum_buffer"] = b
            return theta - hp["lr"] * b
        return theta - hp["lr"] * g / denom


# --------------------------------------------------------------------------------------------------------------
# Gradient clipping
# --------------------------------------------------------------------------------------------------------------


def _with_grads(params: Any) -> list[Param]:
    if isinstance(params, (Value, Tensor)):
        params = [params]
    elif hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    return [p for p in params if isinstance(p, Value) or p.grad is not None]


def _grad_array(p: Param) -> np.ndarray:
    return np.asarray(p.grad, dtype=np.float64)


def _set_grad(p: Param, g: np.ndarray) -> None:
    if isinstance(p, Value):
        p.grad = float(g)
    else:
        p.grad = np.asarray(g, dtype=p.grad.dtype).reshape(p.grad.shape)


def clip_grad_norm_(
    params: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Rescale the gradients in place so their joint ``norm_type``-norm is at most ``max_norm`` (PyTorch).

    total = || (||g_1||_p, ..., ||g_k||_p) ||_p (for p = inf the largest |g|), coef = min(1, max_norm /
    (total + 1e-6)), and *every* gradient is multiplied by coef. Returns total, the norm before clipping
    (0.0 when no parameter has a gradient).
    """
    norm_type = float(norm_type)
    ps = _with_grads(params)
    if not ps:
        return 0.0
    grads = [_grad_array(p) for p in ps]
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [float(np.sum(np.abs(g) ** norm_type)) for g in grads]
        total = float(sum(norms) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, not finite"
        )
    coef = min(1.0, max_norm / (total + 1e-6))
    for p, g in zip(ps, grads):
        _set_grad(p, g * coef)
    return total


def clip_grad_value_(params: Any, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place (PyTorch)."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(params):
        _set_grad(p, np.clip(_grad_array(p), -clip_value, clip_value))
