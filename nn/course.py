"""What the course notebooks share: show a drawing, state a claim, check an exercise.

* :func:`show` -- a graph drawing inline, or its DOT text when Graphviz's ``dot`` is not installed;
* :func:`claim` -- a sentence of the notebook that the numbers must support. In a student's run a claim that no
  longer holds (after changing a learning rate, a seed, ...) prints a short note and the notebook goes on; under
  the test suite (``CHAINRULE_STRICT_CLAIMS=1``) it raises :class:`ClaimNotShown`, so the text cannot drift
  away from what the code computes;
* :func:`check` -- an exercise's automatic check: it runs the student's function on test inputs, compares with
  the library's answer and says which element is wrong, what was expected, what came back, and which formula of
  the lecture to look at. :func:`verdict` is the same without printing (for tests).

Importing this module imports numpy and autograd only; matplotlib and IPython are imported when needed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["show", "claim", "ClaimNotShown", "strict", "check", "verdict", "Verdict", "EXERCISES", "STRICT_ENV"]

#: the environment variable the notebook tests set: claims that fail raise instead of printing a note
STRICT_ENV = "CHAINRULE_STRICT_CLAIMS"


def strict() -> bool:
    """True under the test suite (``CHAINRULE_STRICT_CLAIMS`` set to anything but "", "0" or "false")."""
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no")


# ----------------------------------------------------------------------------------------------------------------
# Showing
# ----------------------------------------------------------------------------------------------------------------


def _display(obj: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:  # a plain Python session
        print(obj)
        return
    display(obj)


def show(graph: Any, chars: int = 800) -> None:
    """Show a drawing (a ``graphviz`` object) inline; without Graphviz's ``dot``, print its first ``chars`` of
    DOT text instead, so the notebook still runs."""
    if shutil.which("dot"):
        _display(graph)
    else:
        print("(Graphviz's `dot` program is not installed, so here is the drawing as DOT text)")
        print(getattr(graph, "source", str(graph))[:chars])


# ----------------------------------------------------------------------------------------------------------------
# Claims
# ----------------------------------------------------------------------------------------------------------------


class ClaimNotShown(AssertionError):
    """Raised under the test suite when a notebook states something its numbers do not show."""


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    if isinstance(v, np.ndarray):
        return np.array2string(v, precision=6, threshold=12)
    return repr(v)


def claim(condition: Any, text: str, **numbers: Any) -> bool:
    """State that the numbers show ``text``; ``condition`` is the test of it (anything with a truth value).

    Returns the truth of ``condition``. When it is false, a student's run prints one line, "the numbers no longer
    show: <text>", with ``numbers`` (name=value) to see why, and goes on; under the test suite
    (``CHAINRULE_STRICT_CLAIMS=1``) it raises :class:`ClaimNotShown` with the same line.

    >>> claim(1 + 1 == 2, "one plus one is two")
    True
    """
    try:
        ok = bool(np.all(condition)) if isinstance(condition, np.ndarray) else bool(condition)
    except Exception as error:  # an ambiguous truth value is a bug in the notebook, not a failed claim
        raise TypeError(f"claim({text!r}): the condition has no single truth value ({error})") from None
    if ok:
        return True
    details = ", ".join(f"{k} = {_fmt(v)}" for k, v in numbers.items())
    line = f"the numbers no longer show: {text}" + (f" ({details})" if details else "")
    if strict():
        raise ClaimNotShown(line)
    print(f"Note: {line}. The text next to this cell was written for the original settings.")
    return False


# ----------------------------------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The outcome of an exercise's check: ``ok`` and a message saying what is right or precisely what is not."""

    exercise: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message


class _Wrong(Exception):
    """Raised inside a checker with the message for the student."""


@dataclass(frozen=True)
class Exercise:
    name: str
    notebook: str
    checker: Callable[[Callable[..., Any]], str]
    hint: str


#: every exercise of the course by name
EXERCISES: dict[str, Exercise] = {}


def _exercise(name: str, notebook: str, hint: str) -> Callable:
    def register(checker: Callable[[Callable[..., Any]], str]) -> Callable:
        EXERCISES[name] = Exercise(name, notebook, checker, hint)
        return checker

    return register


def verdict(name: str, answer: Callable[..., Any]) -> Verdict:
    """Run exercise ``name``'s check on the student's ``answer`` (a function) and return a :class:`Verdict`."""
    if name not in EXERCISES:
        raise KeyError(f"check: no exercise called {name!r}; the exercises are {sorted(EXERCISES)}")
    ex = EXERCISES[name]
    if not callable(answer):
        return Verdict(name, False, f"✗ {name}: pass your function itself (got a {type(answer).__name__})")
    try:
        praise = ex.checker(answer)
    except _Wrong as wrong:
        return Verdict(name, False, f"✗ {name}: {wrong}\n  Hint: {ex.hint}")
    return Verdict(name, True, f"✓ {name}: right. {praise}")


def check(name: str, answer: Callable[..., Any]) -> None:
    """Check the student's ``answer`` to exercise ``name`` and print the verdict. Never raises on a wrong
    answer: a blank or wrong exercise must not stop "Run All"."""
    print(verdict(name, answer).message)


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """The student's function on ``args``; what it raises or leaves blank becomes a message."""
    shown = ", ".join(_fmt(a) if not callable(a) else getattr(a, "__name__", "f") for a in args)
    try:
        out = fn(*args)
    except NotImplementedError:
        raise _Wrong("not written yet (the function raises NotImplementedError): replace it with your code") from None
    except Exception as error:
        raise _Wrong(f"calling it on ({shown}) raised {type(error).__name__}: {error}") from None
    if out is ... or out is None:
        raise _Wrong(f"on ({shown}) it returned {'...' if out is ... else 'None'}: "
                     "replace the `...` with your code and `return` the result")
    return out


def _same(got: Any, expected: Any, what: str, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Compare element by element; name the first element that differs, with expected and got."""
    exp = np.asarray(expected, dtype=np.float64)
    try:
        arr = np.asarray(getattr(got, "data", got), dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"{what}: expected numbers, got {type(got).__name__} {got!r:.60}") from None
    if arr.shape != exp.shape:
        if arr.size == exp.size:
            raise _Wrong(f"{what}: the numbers may be right but the shape is {arr.shape}, expected {exp.shape}")
        raise _Wrong(f"{what}: shape {arr.shape}, expected {exp.shape}")
    bad = ~np.isclose(arr, exp, rtol=rtol, atol=atol, equal_nan=False)
    if bad.any():
        k = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" element {k if len(k) > 1 else k[0]}" if exp.ndim else ""
        raise _Wrong(f"{what}:{where} expected {exp[k]:.8g}, got {arr[k]:.8g}"
                     f" ({int(bad.sum())} of {exp.size} wrong)")


# ---- 01 the perceptron ------------------------------------------------------------------------------------------


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@_exercise("perceptron_output", "01_perceptron",
           "the lecture's forward pass: y_hat = g(w0 + sum_i x_i w_i) with g the sigmoid 1 / (1 + e^-z)")
def _check_perceptron_output(fn: Callable) -> str:
    from autograd import Value

    cases = [((-1.0, 2.0), 1.0, (3.0, -2.0)), ((0.5, 0.25), -0.5, (1.0, 4.0)),
             ((2.0, -1.0, 3.0), 0.1, (0.2, 0.3, -0.4))]
    for x, w0, W in cases:
        z = Value(w0) + sum((Value(xi) * Value(wi) for xi, wi in zip(x, W)), Value(0.0))
        _same(_call(fn, list(x), w0, list(W)), z.sigmoid().data, f"for x = {list(x)}, w0 = {w0}, W = {list(W)}")
    return "g(1 + 3*(-1) - 2*2) = g(-6) = 0.00247, as on the slide."


@_exercise("decision_line", "01_perceptron",
           "on the line the sigmoid's argument is 0: w0 + w1 x1 + w2 x2 = 0; solve it for x2")
def _check_decision_line(fn: Callable) -> str:
    for w0, w1, w2 in ((1.0, 3.0, -2.0), (-0.5, 1.0, 2.0), (2.0, -1.0, 4.0)):
        x1 = np.linspace(-2, 2, 5)
        _same(_call(fn, w0, w1, w2, x1), -(w0 + w1 * x1) / w2, f"for w0 = {w0}, w1 = {w1}, w2 = {w2}, x1 = {x1}")
    return "With the lecture's weights the line is x2 = 1/2 + 3/2 x1."


# ---- 02 activations ---------------------------------------------------------------------------------------------


def _slope(name: str, z: np.ndarray) -> np.ndarray:
    from autograd import Tensor

    t = Tensor(z, requires_grad=True)
    getattr(t, name)().sum().backward()
    return t.grad


_Z = np.array([-6.0, -2.0, -0.5, 0.0, 0.3, 1.0, 4.0])


@_exercise("sigmoid_prime", "02_activations", "the lecture's g'(z) = g(z) (1 - g(z)), with g(z) = 1 / (1 + e^-z)")
def _check_sigmoid_prime(fn: Callable) -> str:
    _same(_call(fn, _Z.copy()), _slope("sigmoid", _Z), f"g'(z) at z = {_Z}")
    return "Your formula matches backward() at every z."


@_exercise("tanh_prime", "02_activations", "the lecture's g'(z) = 1 - g(z)^2 with g = tanh (np.tanh)")
def _check_tanh_prime(fn: Callable) -> str:
    _same(_call(fn, _Z.copy()), _slope("tanh", _Z), f"g'(z) at z = {_Z}")
    return "Your formula matches backward() at every z."


@_exercise("relu_prime", "02_activations",
           "the lecture's g'(z) = 1 if z > 0, otherwise 0 (so 0 at z = 0, as PyTorch does); try np.where")
def _check_relu_prime(fn: Callable) -> str:
    _same(_call(fn, _Z.copy()), _slope("relu", _Z), f"g'(z) at z = {_Z}")
    return "Including the kink: g'(0) = 0."


# ---- 03 from perceptron to network -----------------------------------------------------------------------------


def _dense_case(rng: np.random.Generator, m: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return rng.normal(size=m).round(2), rng.normal(size=(m, d)).round(2), rng.normal(size=d).round(2)


@_exercise("dense_z", "03_perceptron_to_network",
           "z_i = w_{0,i} + sum_j x_j w_{j,i}; W[j, i] is w_{j,i}: row j is input j, column i is output i "
           "(so x @ W + w0)")
def _check_dense_z(fn: Callable) -> str:
    from autograd import Tensor, linear

    rng = np.random.default_rng(3)
    for m, d in ((2, 3), (4, 2)):
        x, W, w0 = _dense_case(rng, m, d)
        expected = linear(Tensor(x.reshape(1, -1)), Tensor(W), Tensor(w0)).data.reshape(-1)
        got = _call(fn, x.copy(), W.copy(), w0.copy())
        if m != d and np.size(got) == m:
            raise _Wrong(f"with {m} inputs and {d} outputs you returned {m} numbers: sum over j (the rows of W), "
                         f"one z_i per column")
        _same(got, expected, f"with m = {m} inputs and {d} outputs, x = {x}")
    return "Your loop (or product) is the Dense layer's x @ W + w0."


@_exercise("hidden_layer", "03_perceptron_to_network",
           "the lecture's single hidden layer: z_j = w0_1[j] + sum_i x_i W1[i, j], then "
           "y_hat_i = g(w0_2[i] + sum_j g(z_j) W2[j, i]) with g the sigmoid")
def _check_hidden_layer(fn: Callable) -> str:
    rng = np.random.default_rng(4)
    x, W1, b1 = _dense_case(rng, 3, 4)
    W2, b2 = rng.normal(size=(4, 2)).round(2), rng.normal(size=2).round(2)
    import nn
    from autograd import Tensor

    model = nn.Sequential(nn.Dense(3, 4, "sigmoid"), nn.Dense(4, 2, "sigmoid"))
    layers: list[Any] = list(model)
    for layer, (W, b) in zip(layers, ((W1, b1), (W2, b2))):
        layer.W.data[:] = W
        layer.b.data[:] = b
    expected = model(Tensor(x.reshape(1, -1))).data.reshape(-1)
    got = _call(fn, x.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy())
    if np.size(getattr(got, "data", got)) == 4:
        raise _Wrong("you returned 4 numbers, one per hidden unit: feed g(z) into the second layer (2 outputs)")
    _same(got, expected, f"y_hat for x = {x}")
    return "The same numbers as nn.Sequential(Dense(3, 4, 'sigmoid'), Dense(4, 2, 'sigmoid'))."


# ---- 04 training ------------------------------------------------------------------------------------------------


_Y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
_P = np.array([0.9, 0.2, 0.4, 0.99, 0.7])


@_exercise("binary_cross_entropy", "04_training",
           "J(W) = -(1/n) sum_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ]: mind the minus sign and the mean")
def _check_bce(fn: Callable) -> str:
    from autograd import Tensor
    from nn import functional as F

    expected = F.binary_cross_entropy(Tensor(_P), Tensor(_Y)).item()
    got = _call(fn, _Y.copy(), _P.copy())
    if np.size(got) != 1:
        raise _Wrong(f"expected one number (the mean over the {len(_Y)} examples), got shape {np.shape(got)}")
    if np.isclose(float(np.ravel(got)[0]), -expected):
        raise _Wrong(f"expected {expected:.8g}, got {float(np.ravel(got)[0]):.8g}: the sign is flipped")
    if np.isclose(float(np.ravel(got)[0]), expected * len(_Y)):
        raise _Wrong(f"expected {expected:.8g}, got the sum {float(np.ravel(got)[0]):.8g}: divide by n")
    _same(float(np.ravel(got)[0]), expected, f"for y = {_Y}, p = {_P}")
    return "Equal to nn.functional.binary_cross_entropy."


@_exercise("mse", "04_training", "the mean squared error J(W) = (1/n) sum_i (y_hat_i - y_i)^2")
def _check_mse(fn: Callable) -> str:
    from autograd import Tensor
    from nn import functional as F

    y_hat = np.array([2.5, 0.0, -1.0, 3.0])
    y = np.array([3.0, -0.5, -1.0, 1.0])
    got = _call(fn, y.copy(), y_hat.copy())
    if np.size(got) != 1:
        raise _Wrong(f"expected one number (the mean over the {len(y)} examples), got shape {np.shape(got)}")
    _same(float(np.ravel(got)[0]), F.mse_loss(Tensor(y_hat), Tensor(y)).item(), f"for y = {y}, y_hat = {y_hat}")
    return "Equal to nn.functional.mse_loss."


@_exercise("gradient_descent_step", "04_training",
           "the lecture's update W <- W - eta dJ/dW: a step *against* the gradient, scaled by eta")
def _check_gd_step(fn: Callable) -> str:
    import nn
    from autograd import Tensor

    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    grad = np.array([[0.1, -0.4], [1.5, 0.0]])
    p = Tensor(W.copy(), requires_grad=True)
    p.grad = grad.copy()
    nn.optim.SGD([p], lr=0.1).step()
    got = _call(fn, W.copy(), grad.copy(), 0.1)
    if np.allclose(np.asarray(got, float), W + 0.1 * grad):
        raise _Wrong("you stepped *with* the gradient (uphill): subtract eta * grad")
    _same(got, p.data, "W after one step with eta = 0.1")
    return "The same step as nn.optim.SGD(lr=0.1)."


# ---- 05 backprop ------------------------------------------------------------------------------------------------


def _tiny_grads(x: float, y: float, w1: float, w2: float) -> tuple[float, float]:
    from autograd import Constant, Value

    a, b = Value(w1), Value(w2)
    J = ((b * (a * Constant(x)).tanh()).sigmoid() - Constant(y)) ** 2
    J.backward()
    return a.grad, b.grad


_TINY = [(2.0, 1.0, -0.5, 0.8), (1.0, 0.0, 0.3, -1.2), (-1.5, 1.0, 0.7, 0.4)]


@_exercise("dJ_dw2", "05_backprop_step_by_step",
           "dJ/dw2 = dJ/dy_hat * dy_hat/dw2 = 2 (y_hat - y) * y_hat (1 - y_hat) h1, with h1 = tanh(w1 x)")
def _check_dJ_dw2(fn: Callable) -> str:
    for x, y, w1, w2 in _TINY:
        _same(_call(fn, x, y, w1, w2), _tiny_grads(x, y, w1, w2)[1], f"for x = {x}, y = {y}, w1 = {w1}, w2 = {w2}")
    return "Purple times red, as on the slide; backward() agrees."


@_exercise("dJ_dw1", "05_backprop_step_by_step",
           "dJ/dw1 = 2 (y_hat - y) * y_hat (1 - y_hat) w2 (1 - h1^2) * x: purple, red (three local "
           "derivatives: sigmoid, product, tanh), blue")
def _check_dJ_dw1(fn: Callable) -> str:
    for x, y, w1, w2 in _TINY:
        _same(_call(fn, x, y, w1, w2), _tiny_grads(x, y, w1, w2)[0], f"for x = {x}, y = {y}, w1 = {w1}, w2 = {w2}")
    return "Purple times red times blue; backward() agrees."


# ---- 06 testing gradients ---------------------------------------------------------------------------------------


@_exercise("central_difference", "06_testing_gradients", "(f(x + h) - f(x - h)) / (2h): one step each side")
def _check_central(fn: Callable) -> str:
    cases: list[tuple[Callable[[Any], Any], float, float]] = [
        (np.sin, 0.7, 1e-4), (np.exp, -1.0, 1e-3), (lambda v: v**3, 2.0, 1e-2)]
    for f, x, h in cases:
        expected = (f(x + h) - f(x - h)) / (2 * h)
        got = _call(fn, f, x, h)
        forward = (f(x + h) - f(x)) / h
        if np.isclose(float(np.ravel(got)[0]), forward, rtol=1e-12) and not np.isclose(forward, expected, rtol=1e-12):
            raise _Wrong(f"for f = {getattr(f, '__name__', 'x**3')} at x = {x}, h = {h}: that is the forward "
                         f"difference {forward:.10g}; the central one is {expected:.10g}")
        _same(float(np.ravel(got)[0]), expected, f"for f at x = {x}, h = {h}", rtol=1e-10, atol=1e-12)
    return "Error ~ h^2, as the plot shows."


@_exercise("numerical_gradient", "06_testing_gradients",
           "for each element k: nudge w[k] by +h and -h (the others unchanged), "
           "(J(w + h e_k) - J(w - h e_k)) / (2h); put w[k] back afterwards")
def _check_numerical_gradient(fn: Callable) -> str:
    from autograd import Tensor

    w = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.7]])

    def J(v: np.ndarray) -> float:
        return float(np.sum(np.tanh(v) * v) + v[0, 0] * v[1, 2])

    t = Tensor(w.copy(), requires_grad=True)
    ((t.tanh() * t).sum() + t[0, 0] * t[1, 2]).backward()
    before = w.copy()
    got = _call(fn, J, w, 1e-6)
    if not np.array_equal(w, before):
        raise _Wrong("your function changed w: put each element back after nudging it (or work on a copy)")
    _same(got, t.grad, "the gradient of J", rtol=1e-6, atol=1e-8)
    return "It agrees with backward() at every element."


# ---- 07 optimizers ----------------------------------------------------------------------------------------------


def _optimizer_run(make: Callable, grads: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    from autograd import Tensor

    p = Tensor(w.copy(), requires_grad=True)
    opt = make([p])
    for g in grads:
        p.grad = g.copy()
        opt.step()
    return p.data


_GRADS = [np.array([0.5, -2.0, 0.0]), np.array([0.4, -1.0, 0.2]), np.array([0.3, 1.0, 0.1])]


@_exercise("momentum_step", "07_optimizers",
           "b <- mu b + g, then w <- w - eta b (PyTorch's form; b starts at 0, so the first b is g)")
def _check_momentum(fn: Callable) -> str:
    import nn

    w, b = np.array([1.0, 1.0, 1.0]), np.zeros(3)
    expected_path = []
    for t in range(len(_GRADS)):
        expected_path.append(_optimizer_run(lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), _GRADS[: t + 1],
                                            np.ones(3)))
    for t, g in enumerate(_GRADS):
        out = _call(fn, w.copy(), b.copy(), g.copy(), 0.1, 0.9)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise _Wrong(f"return the pair (w, b), the new weights and the new running sum; got {type(out).__name__}")
        w, b = (np.asarray(v, dtype=np.float64) for v in out)
        _same(w, expected_path[t], f"w after step {t + 1} (gradients {[list(x) for x in _GRADS[: t + 1]]})")
    return "Three steps equal to nn.optim.SGD(lr=0.1, momentum=0.9)."


@_exercise("rmsprop_step", "07_optimizers",
           "v <- alpha v + (1 - alpha) g^2, then w <- w - eta g / (sqrt(v) + eps), element by element")
def _check_rmsprop(fn: Callable) -> str:
    import nn

    w, v = np.ones(3), np.zeros(3)
    for t, g in enumerate(_GRADS):
        out = _call(fn, w.copy(), v.copy(), g.copy(), 0.01, 0.99, 1e-8)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise _Wrong(f"return the pair (w, v), the new weights and the new average of g^2; "
                         f"got {type(out).__name__}")
        w, v = (np.asarray(x, dtype=np.float64) for x in out)
        expected = _optimizer_run(lambda p: nn.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8), _GRADS[: t + 1],
                                  np.ones(3))
        _same(w, expected, f"w after step {t + 1}")
    return "Three steps equal to nn.optim.RMSprop(lr=0.01, alpha=0.99, eps=1e-8)."


# ---- 08 overfitting ---------------------------------------------------------------------------------------------


@_exercise("inverted_dropout", "08_overfitting",
           "keep where mask is 1, zero where it is 0, and scale the survivors by 1 / (1 - p) so the mean stays")
def _check_dropout(fn: Callable) -> str:
    x = np.array([[1.0, -2.0, 3.0, 0.5], [4.0, 1.5, -1.0, 2.0]])
    mask = np.array([[1, 0, 1, 1], [0, 0, 1, 1]], dtype=np.float64)
    for p in (0.5, 0.25):
        got = _call(fn, x.copy(), mask.copy(), p)
        if np.allclose(np.asarray(getattr(got, "data", got), float), x * mask):
            raise _Wrong(f"with p = {p}: zeros are right but the survivors are not scaled by 1 / (1 - p) = "
                         f"{1 / (1 - p):g}")
        _same(got, x * mask / (1 - p), f"with p = {p}")
    return "That is nn.Dropout in training mode, with its random mask given."


@_exercise("early_stopping", "08_overfitting",
           "keep the best (lowest) validation loss so far and its epoch; stop at the first epoch that is "
           "`patience` epochs after the best one. Epochs count from 0")
def _check_early_stopping(fn: Callable) -> str:
    cases = [
        ([1.0, 0.8, 0.7, 0.75, 0.72, 0.9, 0.95], 2, (2, 4)),
        ([1.0, 0.9, 0.8, 0.7], 2, (3, None)),
        ([0.5, 0.6, 0.4, 0.45, 0.41, 0.42, 0.39, 0.5], 3, (2, 5)),
    ]
    for losses, patience, (best, stop) in cases:
        out = _call(fn, list(losses), patience)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise _Wrong(f"return the pair (best_epoch, stopped_epoch); got {out!r}")
        if out[0] != best:
            raise _Wrong(f"for validation losses {losses} with patience {patience}: best epoch expected {best}, "
                         f"got {out[0]}")
        if out[1] != stop:
            raise _Wrong(f"for validation losses {losses} with patience {patience}: stopped epoch expected "
                         f"{stop}, got {out[1]}" + (" (None: it never stops)" if stop is None else ""))
    return "The rule nn.train.EarlyStopping follows (patience counted from the best epoch)."
