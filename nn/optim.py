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

from ._util import parameters_of

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop", "clip_grad_norm_", "clip_grad_value_"]

Param = Value | Tensor


def _param_list(params: Any, who: str, first: int = 0) -> list[Param]:
    """The parameters of one group, checked; ``first`` is the index of its first parameter, for messages."""
    out: list[Param] = []
    seen: set[int] = set()
    for i, p in enumerate(parameters_of(params), start=first):
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


def _checked_grad(p: Param, i: int, who: str) -> Any:
    """Parameter ``i``'s gradient as a number (a Value) or an array of the parameter's dtype (a Tensor), after
    checking it is numeric and has exactly the parameter's shape."""
    g = p.grad
    if isinstance(p, Value):
        if type(g) is float:  # the common case first: a micrograd-style model has hundreds of Values
            return np.float64(g)
        shape: tuple[int, ...] = ()
    else:
        shape = p.shape
        if g.__class__ is np.ndarray and g.dtype is p.data.dtype and g.shape == shape:
            return g  # the common case for a Tensor, checked without conversions: the engine's own gradient
    try:
        arr = np.asarray(g)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{who}.step: {_name(p, i)} of shape {shape} has a .grad that is not a real number array "
            f"({type(g).__name__} of dtype {arr.dtype}); nothing was updated"
        )
    if arr.shape != shape:
        raise ValueError(
            f"{who}.step: {_name(p, i)} has shape {shape} but its .grad has shape {arr.shape}; a gradient must have "
            "its parameter's exact shape (it is never broadcast). Nothing was updated"
        )
    return np.float64(arr) if isinstance(p, Value) else arr.astype(p.data.dtype, copy=False)


def _name(p: Param, i: int) -> str:
    """How messages name a parameter: its index, and its label when a Module gave it one."""
    return f"parameter {i}" + (f" ({p.label!r})" if getattr(p, "label", None) else "")


def _check_state_shapes(p: Param, state: dict[str, Any], i: int, who: str) -> None:
    """The state of parameter ``i`` must still have its shape: a parameter whose ``.data`` was replaced by an array
    of another shape would be broadcast against (or crash on) the old state."""
    shape = () if isinstance(p, Value) else p.shape
    for k, v in state.items():
        if k != "step" and np.shape(v) != shape:
            raise ValueError(
                f"{who}.step: {_name(p, i)} has shape {shape} but its state {k!r} has shape {np.shape(v)} (its .data "
                "was replaced by an array of another shape); create a new optimizer for it. Nothing was updated"
            )


def _state_index(key: Any) -> int | None:
    """A state dict key as a parameter index: an integer, or its decimal text (a state dict that went through
    JSON); None for anything else (a float, a bool, a name)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str):
        try:
            return int(key)
        except ValueError:
            return None
    return None


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
    ``_update(theta, g, state, hp)`` returns the new theta and puts new arrays into ``state`` (a copy that
    :meth:`step` keeps only when every parameter's update succeeded), never changing an array in place.
    """

    def __init__(self, params: Iterable[Param] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        object.__setattr__(self, "defaults", dict(defaults))
        self._validate(self.defaults)
        object.__setattr__(self, "param_groups", [])
        self.state: list[dict[str, Any]] = []
        params = list(parameters_of(params))
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
        """Update every parameter that has a gradient (one whose ``grad`` is None is skipped).

        A gradient must have its parameter's exact shape: a (1, n) or 0-d gradient for an (n,) parameter is an
        error, never broadcast. Every gradient is checked and every update computed (into new state) before any
        parameter or state changes, so a step that fails changes nothing and later correct steps work.
        """
        who = type(self).__name__
        states = self.state
        todo = []  # (parameter, its index, theta, g, hyperparameters, is it a Value)
        i = 0
        for group in self.param_groups:
            hp = {k: v for k, v in group.items() if k != "params"}
            flip = hp.get("maximize")
            for p in group["params"]:
                i += 1
                if p.grad is None:
                    continue
                g = _checked_grad(p, i - 1, who)
                scalar = isinstance(p, Value)
                if not scalar and states[i - 1]:  # a Value's state is checked to be scalar when it is loaded
                    _check_state_shapes(p, states[i - 1], i - 1, who)
                theta = np.float64(p.data) if scalar else p.data
                todo.append((p, i - 1, theta, -g if flip else g, hp, scalar))
        done = []
        for p, k, theta, g, hp, scalar in todo:
            state = dict(states[k])  # _update writes into a copy: kept only once every update succeeded
            new = self._update(theta, g, state, hp)
            if scalar:
                new = float(new)
            elif new.__class__ is not np.ndarray or new.dtype is not theta.dtype:
                new = np.asarray(new, dtype=theta.dtype)
            done.append((p, k, new, state, scalar))
        for p, k, new, state, scalar in done:
            if state:
                states[k].update(state)
            if scalar:
                p.data = new
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
        if not isinstance(state_dict, dict):
            raise TypeError(f"{who}.load_state_dict: expected the dict state_dict() returns, got "
                            f"{type(state_dict).__name__}")
        states = state_dict.get("state", {})
        problems = []
        saved_groups = state_dict.get("param_groups")
        if saved_groups is None:
            problems.append("the state has no 'param_groups' entry (load what state_dict() returned)")
            saved_groups = [{"params": g["params"]} for g in self.param_groups]  # so the other checks still run
        if not isinstance(saved_groups, (list, tuple)) or not all(
            isinstance(g, dict) and isinstance(g.get("params"), (list, tuple, range)) for g in saved_groups
        ):
            raise ValueError(f"{who}.load_state_dict: nothing was loaded; 'param_groups' must be a list of dicts "
                             f"each with a 'params' list, got {saved_groups!r}")
        if not isinstance(states, dict):
            raise ValueError(f"{who}.load_state_dict: nothing was loaded; 'state' must be a dict "
                             f"{{parameter index: {{name: array}}}}, got {type(states).__name__}")
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
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        given: dict[int, Any] = {}
        for key, s in states.items():
            i = _state_index(key)
            if i is None:
                problems.append(f"state key {key!r} is not a parameter index (an integer 0, 1, ...)")
                continue
            if i in given:
                problems.append(f"state for parameter {i} is given twice (keys {given[i]!r} and {key!r})")
                continue
            given[i] = key
            if not 0 <= i < len(self.params):
                problems.append(f"state for parameter {i}, but there are {len(self.params)} parameters")
                continue
            if not isinstance(s, dict):
                problems.append(f"parameter {i}: its state must be a dict {{name: array}}, got {type(s).__name__}")
                continue
            p = self.params[i]
            shape, dtype = ((), np.float64) if isinstance(p, Value) else (p.shape, p.dtype)
            for k, v in s.items():
                try:
                    arr = np.asarray(v)
                except (TypeError, ValueError):  # a ragged list, say
                    arr = np.asarray(None)
                if arr.dtype.kind not in "iuf":
                    problems.append(f"parameter {i}: state {k!r} is {v!r}, not a number or numeric array")
                elif k == "step":
                    if arr.shape != () or not (arr >= 0 and arr == np.floor(arr)):
                        problems.append(f"parameter {i}: state 'step' is {v!r}, not a count (an integer >= 0)")
                    else:
                        new_state[i][k] = np.array(arr, copy=True)
                elif arr.shape != shape:
                    problems.append(f"parameter {i}: state {k!r} has shape {arr.shape}, parameter {shape}")
                else:
                    new_state[i][k] = np.array(arr, dtype=dtype)  # a copy in the parameter's dtype, as PyTorch
        if problems:
            raise ValueError(f"{who}.load_state_dict: nothing was loaded; " + "; ".join(problems))
        self.state = new_state
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
        m = b1 * (state["exp_avg"] if "exp_avg" in state else 0 * g) + (1 - b1) * g  # (0 * g made only when needed)
        v = b2 * (state["exp_avg_sq"] if "exp_avg_sq" in state else 0 * g) + (1 - b2) * g * g
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
    ``momentum`` accumulates b = mu b + g / (sqrt(v) + eps) and steps by lr b.

    Differs from PyTorch on purpose: the centered v - gbar^2 is a variance, so it is clamped at 0. When the
    gradient barely varies, rounding can make it -1e-17; PyTorch then takes sqrt of a negative number and the
    parameter is NaN for good (a constant gradient 1.7 with alpha = 0.9 does it at step 331)."""

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
            v = np.maximum(v - gbar * gbar, 0.0)  # a variance: rounding must not make it negative (sqrt -> NaN)
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
    return [p for p in parameters_of(params) if p.grad is not None]


def _grad_array(p: Param) -> np.ndarray:
    return np.asarray(p.grad, dtype=np.float64)


def _set_grad(p: Param, g: np.ndarray) -> None:
    if isinstance(p, Value):
        p.grad = float(g)
    else:
        p.grad = np.asarray(g, dtype=p.grad.dtype).reshape(p.grad.shape)


def _vector_norm(x: np.ndarray, p: float) -> float:
    """The p-norm of the elements of ``x`` (PyTorch's ``vector_norm``): (sum |x|^p)^(1/p); p = inf the largest |x|,
    -inf the smallest, 0 the number of non-zeros. A NaN anywhere gives NaN (numpy's max and min propagate it),
    except for p = 0. An empty gradient has norm 0 for p >= 0 (PyTorch raises for p = +-inf: no identity)."""
    a = np.abs(x.ravel())
    if a.size == 0:
        return 0.0 if p >= 0 else math.inf
    if math.isinf(p):
        return float(np.max(a) if p > 0 else np.min(a))
    if p == 0:
        return float(np.count_nonzero(a))  # a NaN is not 0, so it counts (PyTorch)
    with np.errstate(divide="ignore", over="ignore"):
        return float(np.sum(a**p) ** (1.0 / p))


@eager  # in-place on .grad: a compiled training step must clip on every call, not only while tracing
def clip_grad_norm_(
    params: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Rescale the gradients in place so their joint ``norm_type``-norm is at most ``max_norm`` (PyTorch).

    total = || (||g_1||_p, ..., ||g_k||_p) ||_p (for p = inf the largest |g|), coef = min(1, max_norm /
    (total + 1e-6)), and *every* gradient is multiplied by coef. Returns total, the norm before clipping
    (0.0 when no parameter has a gradient). A NaN in any gradient makes total NaN, and then, as in PyTorch,
    every gradient becomes NaN (coef is NaN) unless ``error_if_nonfinite=True``, which raises and changes nothing.
    """
    if not isinstance(max_norm, (int, float, np.integer, np.floating)) or math.isnan(max_norm):
        raise ValueError(f"clip_grad_norm_: max_norm must be a number, got {max_norm!r}")
    try:
        norm_type = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(
            f"clip_grad_norm_: norm_type must be a number (2.0, 1.0, inf, ...), got {norm_type!r}"
        ) from None
    ps = _with_grads(params)
    if not ps:
        return 0.0
    grads = [_grad_array(p) for p in ps]
    total = _vector_norm(np.array([_vector_norm(g, norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, not finite; "
            "no gradient was changed"
        )
    coef = max_norm / (total + 1e-6)
    if not coef < 1.0 and not math.isnan(coef):  # min(1, coef) that keeps a NaN (Python's min would drop it)
        coef = 1.0
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in PyTorch
        for p, g in zip(ps, grads):
            _set_grad(p, g * coef)
    return total


@eager
def clip_grad_value_(params: Any, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place (PyTorch)."""
    if not isinstance(clip_value, (int, float, np.integer, np.floating)) or not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0 (a number), got {clip_value!r}")
    for p in _with_grads(params):
        _set_grad(p, np.clip(_grad_array(p), -clip_value, clip_value))
