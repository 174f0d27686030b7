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

from autograd import Tensor, Value, eager

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop", "clip_grad_norm_", "clip_grad_value_"]

Param = Value | Tensor


def _param_list(params: Any, who: str, first: int = 0) -> list[Param]:
    """The parameters of one group, checked; ``first`` is the index of its first parameter, for messages."""
    if isinstance(params, (Value, Tensor)):
        params = [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    out: list[Param] = []
    seen: set[int] = set()
    for i, p in enumerate(params, start=first):
        if isinstance(p, dict):
            raise TypeError(f"{who}: parameter {i} is a dict; give either parameters or a list of groups (dicts)")
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
    return out


def _check(who: str, name: str, value: float, ok: Any, rule: str) -> None:
    """Raise unless ``ok``; a value that cannot even be compared (None, a string) is reported the same way."""
    try:
        good = bool(ok(value) if callable(ok) else ok)
    except TypeError:
        good = False
    if not good:
        raise ValueError(f"{who}: invalid {name}={value!r} ({rule})")


def _nonneg(who: str, hp: dict[str, Any], *names: str) -> None:
    for name in names:
        _check(who, name, hp[name], lambda v: v >= 0, "must be a number >= 0")


class Optimizer:
    """Base class: holds the parameters in groups with their hyperparameters, and per-parameter state.

    ``params`` is an iterable of parameters (or a module), or PyTorch's list of groups, each a dict with
    ``"params"`` and any hyperparameters that differ from the defaults::

        SGD([{"params": model.dense1.parameters()}, {"params": model.dense2.parameters(), "lr": 1e-3}], lr=0.1)

    Hyperparameters live in ``param_groups`` (as in PyTorch, ``opt.param_groups[0]["lr"] = 0.1`` works). They are
    also attributes: ``opt.lr`` reads the first group's, and ``opt.lr = 0.1`` sets it in every group.
    Subclasses implement :meth:`_update` on numpy arrays and :meth:`_validate` on a group's hyperparameters.
    """

    def __init__(self, params: Iterable[Param] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        object.__setattr__(self, "defaults", dict(defaults))
        self._validate(self.defaults)
        object.__setattr__(self, "param_groups", [])
        self.state: list[dict[str, Any]] = []
        if isinstance(params, (Value, Tensor)):
            params = [params]
        elif hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        params = list(params)
        groups = params if params and all(isinstance(g, dict) for g in params) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add parameters with their own hyperparameters (the missing ones come from the defaults)."""
        who = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{who}.add_param_group: a group is a dict with a 'params' entry, got {group!r}")
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(
                f"{who}: unknown hyperparameter(s) {', '.join(unknown)} in a parameter group; "
                f"{who} has {', '.join(self.defaults)}"
            )
        params = _param_list(group["params"], who, first=len(self.params))
        if not params:
            raise ValueError(f"{who}: got an empty parameter list")
        taken = {id(p) for p in self.params}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{who}: some parameters appear in more than one parameter group")
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self._validate(full)
        self.param_groups.append({"params": params, **full})
        self.state.extend({} for _ in params)

    @property
    def params(self) -> list[Param]:
        """Every parameter, group after group (the order of ``state`` and of ``state_dict``'s indices)."""
        return [p for g in self.__dict__.get("param_groups", []) for p in g["params"]]

    def __getattr__(self, name: str) -> Any:
        groups = self.__dict__.get("param_groups")
        if groups and name in groups[0] and name != "params":
            return groups[0][name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        groups = self.__dict__.get("param_groups")
        if groups and name in groups[0] and name != "params":
            for g in groups:
                g[name] = value
        else:
            object.__setattr__(self, name, value)

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The first group's hyperparameters."""
        return {k: v for k, v in self.param_groups[0].items() if k != "params"}

    def _validate(self, hp: dict[str, Any]) -> None:
        """Raise ValueError for a hyperparameter outside its range (PyTorch's checks)."""

    @eager  # a compiled training step calls it again on every call (see autograd.trace)
    def zero_grad(self) -> None:
        """Reset every parameter's gradient (a Tensor's to None, as PyTorch's default; a Value's to 0.0)."""
        for p in self.params:
            p.zero_grad()

    @eager
    def step(self) -> None:
        """Update every parameter that has a gradient (a Tensor whose ``grad`` is None is skipped)."""
        i = 0
        for group in self.param_groups:
            hp = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                state = self.state[i]
                i += 1
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
        """{'state': {index: {name: array}}, 'param_groups': [{'params': [indices], hyperparameters...}]}: copies,
        safe to keep. Parameters are numbered group after group, as in PyTorch."""
        groups, i = [], 0
        for g in self.param_groups:
            n = len(g["params"])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": list(range(i, i + n))})
            i += n
        return {
            "state": {i: {k: np.array(v, copy=True) for k, v in s.items()} for i, s in enumerate(self.state) if s},
            "param_groups": groups,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, for the same parameters in the same groups.

        Everything is checked first (group sizes, state shapes, hyperparameter ranges); a failed load changes
        nothing."""
        who = type(self).__name__
        states = state_dict.get("state", {})
        problems = []
        saved_groups = state_dict.get("param_groups")
        if saved_groups is None:  # an older state dict: one group's hyperparameters
            saved_groups = [{**state_dict.get("hyperparameters", {}), "params": list(range(len(self.params)))}]
        sizes, saved_sizes = [len(g["params"]) for g in self.param_groups], [len(g["params"]) for g in saved_groups]
        if sizes != saved_sizes:
            problems.append(f"the state has parameter groups of sizes {saved_sizes}, this optimizer {sizes}")
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            hp = {k: v for k, v in group.items() if k != "params"}
            hp.update({k: v for k, v in saved.items() if k in hp})
            try:
                self._validate(hp)
            except ValueError as e:
                problems.append(str(e))
            new_groups.append(hp)
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
            raise ValueError(f"{who}.load_state_dict: nothing was loaded; " + "; ".join(problems))
        self.state = [{} for _ in self.params]
        for i, s in states.items():
            self.state[int(i)] = {k: np.array(v, copy=True) for k, v in s.items()}
        for group, hp in zip(self.param_groups, new_groups):
            group.update(hp)

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        groups = f", {len(self.param_groups)} groups" if len(self.param_groups) > 1 else ""
        return f"{type(self).__name__}({len(self.params)} parameters{groups}, {hp})"


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
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _validate(self, hp):
        _nonneg("SGD", hp, "lr", "momentum", "weight_decay")
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={hp['momentum']}, "
                f"dampening={hp['dampening']}"
            )

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
    v seen; ``weight_decay`` is coupled L2 unless ``decoupled_weight_decay=True`` (that is AdamW).

    At step t with gradient g: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
    theta -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    """

    def __init__(
        self, params: Iterable[Param], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay))

    def _validate(self, hp):
        who = type(self).__name__
        _nonneg(who, hp, "lr", "eps", "weight_decay")
        betas = hp["betas"]
        _check(who, "betas", betas, lambda b: len(b) == 2, "a pair (beta1, beta2)")
        for k in (0, 1):
            _check(who, f"betas[{k}]", betas[k], lambda b: 0 <= b < 1, "must lie in [0, 1)")

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
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _validate(self, hp):
        _nonneg("Adagrad", hp, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

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
    (PyTorch's default 1.0 is Zeiler's method).

    v = rho v + (1 - rho) g^2, d = sqrt(u + eps) / sqrt(v + eps) * g, u = rho u + (1 - rho) d^2, theta -= lr * d.
    """

    def __init__(
        self, params: Iterable[Param], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
        weight_decay: float = 0.0, *, maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _validate(self, hp):
        _nonneg("Adadelta", hp, "lr", "eps", "weight_decay")
        _check("Adadelta", "rho", hp["rho"], lambda r: 0 <= r <= 1, "must lie in [0, 1]")

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
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _validate(self, hp):
        _nonneg("RMSprop", hp, "lr", "alpha", "eps", "momentum", "weight_decay")

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
