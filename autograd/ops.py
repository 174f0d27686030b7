"""Every differentiable operation, registered once: its forward and its derivative side by side.

Each rule is written with ordinary operators and the math namespace ``F`` it receives (:mod:`autograd.numeric`):
``FloatMath`` on a Value's float, ``ArrayMath`` on a Tensor's array, ``NodeMath`` on the nodes themselves (a
recorded backward, ``backward(create_graph=True)``).

``backward(F, ctx, g, out, *xs)`` receives the upstream gradient ``g``, the op's output ``out`` and its inputs
``xs`` and returns one gradient per input (the vector-Jacobian product). Masks of piecewise derivatives are taken
from ``F.raw(x)`` (the raw data), so they are constants in a recorded backward pass.

Two documented conventions: derivatives at kinks follow PyTorch (relu'(0) = 0, |x|'(0) = 0, clip's derivative is
1 at its bounds, ties of max/min/maximum/minimum share the gradient evenly); and ops whose local derivative can be
infinite (log, div, sqrt, pow) give *zero* where the upstream gradient is exactly zero (0 * inf = 0). That is why
``where(x > 0, log(x), 0)`` has a finite gradient at x = 0: the branch ``where`` did not select cannot leak NaN.
Where a derivative is exactly zero (relu for x < 0, clip outside its bounds, the losing side of maximum/minimum,
x ** 0) the upstream gradient is *selected*, not multiplied by a 0/1 mask, so an infinite upstream gives 0 there
(as PyTorch) rather than inf * 0 = NaN: ``sqrt(clip(d2, 0))`` of squared distances has a finite gradient. A NaN
input passes its gradient through relu, maximum, minimum, max and clip (the output is NaN; its gradient should
not hide where it came from). PyTorch does the same except for clip, which gives a NaN input zero gradient.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .engine import REGISTRY, Op, register
from .notation import SMALL, axes_text, format_array, index_text
from .numeric import ArrayMath, DomainError, FloatMath, NodeMath

# ----------------------------------------------------------------------------------------------------------------
# Element-wise operations (Value and Tensor)
# ----------------------------------------------------------------------------------------------------------------

ADD = register(Op(
    "add", symbol="+", arity=2,
    forward=lambda F, ctx, a, b: a + b,
    backward=lambda F, ctx, g, out, a, b: (g, g),
    formula=("1", "1"),
))

def _want(needs: Any, i: int) -> bool:
    """Whether input ``i`` needs a gradient (``needs`` is None when every input does); selective rules skip
    work for the others, such as the gradient of a data batch."""
    return needs is None or needs[i]


SUB = register(Op(
    "sub", symbol="-", arity=2, selective=True,
    forward=lambda F, ctx, a, b: a - b,
    backward=lambda F, ctx, g, out, a, b, needs=None: (g, -g if _want(needs, 1) else None),
    formula=("1", "-1"),
))


def _mul_backward(F, ctx, g, out, a, b, needs=None):
    return (g * b if _want(needs, 0) else None, g * a if _want(needs, 1) else None)


MUL = register(Op(
    "mul", symbol="*", arity=2, selective=True,
    forward=lambda F, ctx, a, b: a * b,
    backward=_mul_backward,
    formula=("b", "a"),
))

DIV = register(Op(
    "div", symbol="/", arity=2, selective=True,
    forward=lambda F, ctx, a, b: F.div(a, b),
    backward=lambda F, ctx, g, out, a, b, needs=None: (
        F.mulz(g, 1 / b) if _want(needs, 0) else None, F.mulz(g, -out / b) if _want(needs, 1) else None),
    formula=("1/b", "-a/b^2"),
))

NEG = register(Op(
    "neg", symbol="neg", arity=1,
    forward=lambda F, ctx, x: -x,
    backward=lambda F, ctx, g, out, x: (-g,),
    formula=("-1",),
))

POW = register(Op(  # x ** n with a constant exponent n (ctx)
    "pow", symbol="**", arity=1,
    forward=lambda F, ctx, x: F.pow(x, ctx),
    # x^0 = 1 has derivative exactly 0: selected, so an infinite upstream gradient gives 0, not inf * 0 = NaN
    backward=lambda F, ctx, g, out, x: (F.select(False, g) if ctx == 0 else F.mulz(g, ctx * x ** (ctx - 1)),),
    formula=("n * x^(n-1)",),
    values=lambda ctx, slot, xs, out: {"x": xs[0], "n": ctx},
    kinks=(0.0,),
    text=lambda ctx: f"**{ctx:g}",
    letters=lambda node, slot, names: f"x = {names[0]}, n = {node.ctx:g}",
    expression=lambda ctx, names: f"{names[0]} ** {ctx:g}",
    branch=lambda ctx, xs, out: (  # x**2 is smooth at 0; x**0.5 and x**-1 are not
        None if float(ctx).is_integer() and ctx >= 0 else np.stack([np.sign(np.asarray(xs[0]))])),
))

POWER = register(Op(  # a ** b where the exponent is itself a node
    "power", symbol="**", arity=2,
    forward=lambda F, ctx, a, b: F.pow(a, b),
    backward=lambda F, ctx, g, out, a, b: (  # where b = 0, d/da = 0 (a^0 = 1, as PyTorch: not 0 * 0^-1 = NaN);
        F.select(F.raw(b) != 0, F.mulz(g, b * a ** (b - 1))),  # at a = 0, a^b ln a -> 0 (as PyTorch)
        F.select(F.raw(a) != 0, F.mulz(g, out * F.log(a)))),
    formula=("b * a^(b-1)", "a^b * ln(a)"),
))

ABS = register(Op(
    "abs", symbol="abs", arity=1,
    forward=lambda F, ctx, x: F.abs(x),
    backward=lambda F, ctx, g, out, x: (g * F.sign(F.raw(x)),),
    formula=("sign(x)  (0 at x = 0)",),
    kinks=(0.0,),
))

EXP = register(Op(
    "exp", arity=1,
    forward=lambda F, ctx, x: F.exp(x),
    backward=lambda F, ctx, g, out, x: (g * out,),
    formula=("exp(x)",),
))

LOG = register(Op(
    "log", arity=1,
    forward=lambda F, ctx, x: F.log(x),
    backward=lambda F, ctx, g, out, x: (F.mulz(g, 1 / x),),
    formula=("1/x",),
))

SQRT = register(Op(
    "sqrt", arity=1,
    forward=lambda F, ctx, x: F.sqrt(x),
    backward=lambda F, ctx, g, out, x: (F.mulz(g, 0.5 / out),),
    formula=("1 / (2 * sqrt(x))",),
))

TANH = register(Op(
    "tanh", arity=1,
    forward=lambda F, ctx, x: F.tanh(x),
    backward=lambda F, ctx, g, out, x: (g * (1 - out * out),),
    formula=("1 - tanh(x)^2",),
))

SIGMOID = register(Op(
    "sigmoid", arity=1,
    forward=lambda F, ctx, x: F.sigmoid(x),
    backward=lambda F, ctx, g, out, x: (g * (out * (1 - out)),),
    formula=("sigmoid(x) * (1 - sigmoid(x))",),
))

def _above(x: Any, lo: Any) -> Any:
    """x > lo, or x is NaN (not x <= lo; floats and arrays): where a piecewise op passes its gradient on."""
    return not x <= lo if isinstance(x, float) else ~(x <= lo)


RELU = register(Op(
    "relu", symbol="ReLU", arity=1,
    forward=lambda F, ctx, x: F.relu(x),
    # selected, not multiplied: an infinite upstream gives 0 where x <= 0 (not inf * 0 = NaN); a NaN input is
    # not <= 0, so it passes the gradient on (as PyTorch): a NaN does not vanish from the backward pass
    backward=lambda F, ctx, g, out, x: (F.select(_above(F.raw(x), 0), g),),
    formula=("1 if x > 0 else 0",),
    kinks=(0.0,),
))

LEAKY_RELU = register(Op(  # ctx: the slope a for x <= 0
    "leaky_relu", symbol="LeakyReLU", arity=1,
    forward=lambda F, ctx, x: F.where(x > 0, x, x * ctx),
    backward=lambda F, ctx, g, out, x: (F.where(F.raw(x) > 0, g, g * ctx),),
    formula=("1 if x > 0 else a",),
    values=lambda ctx, slot, xs, out: {"x": xs[0], "a": ctx},
    kinks=(0.0,),
    text=lambda ctx: f"LeakyReLU({ctx:g})",
    letters=lambda node, slot, names: f"x = {names[0]}, a = {node.ctx:g}",
))


def softplus_ctx(beta: Any, threshold: Any) -> tuple[float, float]:
    """softplus's ctx (beta, threshold), checked: beta divides, so it must be a nonzero finite number."""
    beta, threshold = float(beta), float(threshold)
    if beta == 0 or not math.isfinite(beta):
        raise ValueError(f"softplus: beta must be a nonzero finite number (the result is log(1 + e^(beta x)) / "
                         f"beta), got {beta!r}; beta = 1 is the usual softplus")
    return beta, threshold


def _softplus_forward(F, ctx, x):
    beta, threshold = ctx
    if beta == 1:
        return F.where(x > threshold, x, F.softplus(x))
    return F.where(x * beta > threshold, x, F.softplus(x * beta) / beta)


SOFTPLUS = register(Op(  # ctx: (beta, threshold), PyTorch's defaults (1, 20)
    "softplus", arity=1,
    forward=_softplus_forward,
    # below the threshold out = softplus(beta x) / beta, and sigmoid(u) = 1 - e^-softplus(u) = -expm1(-beta out)
    backward=lambda F, ctx, g, out, x: (
        F.where(F.raw(x) * ctx[0] > ctx[1], g, g * -F.expm1(out * -ctx[0])),
    ),
    formula=("1 if beta * x > threshold else sigmoid(beta * x)",),
    values=lambda ctx, slot, xs, out: {"x": xs[0], "beta": ctx[0], "threshold": ctx[1]},
    letters=lambda node, slot, names: f"x = {names[0]}, beta = {node.ctx[0]:g}, threshold = {node.ctx[1]:g}",
    branch=lambda ctx, xs, out: np.asarray(xs[0]) * ctx[0] > ctx[1],  # past the threshold: x itself, slope 1
))

def _bce_forward(F, ctx, z, y):
    """softplus(z) - y z = -y log s(z) - (1 - y) log(1 - s(z)), arranged so that no inf - inf occurs:
    (1 - y) z + log1p(e^-z) for z > 0, -y z + log1p(e^z) otherwise. At an infinite logit this is the true limit
    (inf, or 0 when the target agrees exactly), where PyTorch gives NaN."""
    if isinstance(z, float):
        lin = (1 - y) * z if z > 0 else -y * z
        if lin != lin and z == z and y == y:
            lin = 0.0  # 0 * inf: an exact target at an infinite logit costs nothing
        return lin + math.log1p(math.exp(-abs(z)))
    with np.errstate(invalid="ignore", over="ignore"):
        lin = np.where(z > 0, (1 - y) * z, -y * z)
        if np.isnan(lin).any():  # (rare: checked first, the fix costs five more array ops)
            lin = np.where(np.isnan(lin) & ~np.isnan(z) & ~np.isnan(y), 0, lin)
        return lin + np.log1p(np.exp(-np.abs(z)))


BCE_WITH_LOGITS = register(Op(  # binary cross-entropy of logits z against targets y, element-wise, in one node
    "bce_with_logits", symbol="bce(z, y)", arity=2, selective=True,
    forward=_bce_forward,
    backward=lambda F, ctx, g, out, z, y, needs=None: (
        g * (F.sigmoid(z) - y) if _want(needs, 0) else None, g * -z if _want(needs, 1) else None),
    formula=("sigmoid(z) - y", "-z"),
    values=lambda ctx, slot, xs, out: {"z": xs[0], "y": xs[1]},
    letters=lambda node, slot, names: f"z = {names[0]}, y = {names[1]}",
))

SIN = register(Op(
    "sin", arity=1,
    forward=lambda F, ctx, x: F.sin(x),
    backward=lambda F, ctx, g, out, x: (g * F.cos(x),),
    formula=("cos(x)",),
))

COS = register(Op(
    "cos", arity=1,
    forward=lambda F, ctx, x: F.cos(x),
    backward=lambda F, ctx, g, out, x: (-g * F.sin(x),),
    formula=("-sin(x)",),
))

def _weighted_sum_forward(F, ctx, *v):
    n, bias = ctx
    return sum(map(operator.mul, v[:n], v[n:2 * n]), v[2 * n] if bias else 0.0)  # b + w_1 x_1 + ... + w_n x_n


def _weighted_sum_backward(F, ctx, g, out, *v):
    n, bias = ctx
    grads = [g * x for x in v[n:2 * n]] + [g * w for w in v[:n]]  # dz/dw_i = x_i, dz/dx_i = w_i
    if bias:
        grads.append(g)  # dz/db = 1
    return grads


def _weighted_sum_letters(node: Any, slot: int, names: Any) -> str:
    n = node.ctx[0]
    if slot < n:
        return f"i = {slot + 1}, x_{slot + 1} = {names[n + slot]}"
    if slot < 2 * n:
        return f"i = {slot - n + 1}, w_{slot - n + 1} = {names[slot - n]}"
    return ""


WEIGHTED_SUM = register(Op(  # inputs: w_1..w_n, x_1..x_n[, b]; ctx: (n, has_bias). One node for a neuron's sum.
    "weighted_sum", symbol="b + Σ w·x", arity=-1,
    forward=_weighted_sum_forward,
    backward=_weighted_sum_backward,
    formula=("x_i  (for w_i)", "w_i  (for x_i)", "1  (for b)"),
    values=lambda ctx, slot, xs, out: (
        {"x_i": xs[ctx[0] + slot]} if slot < ctx[0] else {"w_i": xs[slot - ctx[0]]} if slot < 2 * ctx[0] else {}),
    formula_slot=lambda ctx, slot: 0 if slot < ctx[0] else 1 if slot < 2 * ctx[0] else 2,
    letters=_weighted_sum_letters,
))

#: the element-wise ops that Value and Tensor share
ELEMENTWISE = (ADD, SUB, MUL, DIV, NEG, POW, POWER, ABS, EXP, LOG, SQRT, TANH, SIGMOID, RELU, LEAKY_RELU,
               SOFTPLUS, BCE_WITH_LOGITS, SIN, COS)


# ----------------------------------------------------------------------------------------------------------------
# Tensor operations
# ----------------------------------------------------------------------------------------------------------------


def _matmul_backward(F, ctx, g, out, a, b, needs=None):
    """out = a @ b. A 1-D input is promoted to a matrix (a row for a, a column for b), as numpy does; the
    gradients are computed for the matrices and the promoted axis dropped again. Batch axes that were
    broadcast are summed away by the engine."""
    if a.ndim == 2 and b.ndim == 2:  # the common case, d/da = g b^T and d/db = a^T g
        return (g @ b.T if _want(needs, 0) else None, a.T @ g if _want(needs, 1) else None)
    a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
    if a.ndim == 1 and b.ndim == 1:
        g2 = g.reshape((1, 1))
    elif a.ndim == 1:
        g2 = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
    elif b.ndim == 1:
        g2 = g.reshape(g.shape + (1,))
    else:
        g2 = g
    ga = gb = None
    if _want(needs, 0):
        ga = g2 @ F.swap(b2)
        if a.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
    if _want(needs, 1):
        gb = F.swap(a2) @ g2
        if b.ndim == 1:
            gb = gb.reshape(gb.shape[:-1])
    return ga, gb


MATMUL = register(Op(
    "matmul", symbol="@", arity=2, selective=True,
    forward=lambda F, ctx, a, b: a @ b,
    backward=_matmul_backward,
    formula=("g @ b^T", "a^T @ g"),
    values="not element-wise: each input receives a matrix product with the upstream gradient g",
    letters=lambda node, slot, names: f"a = {names[0]}, b = {names[1]}, g = the upstream gradient",
))


def _linear_backward(F, ctx, g, out, x, W, b, needs=None):
    """out = x @ W + b: the matrix product's two gradients, and g itself for b (the engine sums it over the
    batch axes, as for any broadcast input)."""
    gx, gW = _matmul_backward(F, ctx, g, out, x, W, None if needs is None else needs[:2])
    return gx, gW, (g if _want(needs, 2) else None)


LINEAR = register(Op(  # a dense layer's z = x @ W + b in one node (the lecture's z_i = w_0,i + sum_j x_j w_j,i)
    "linear", symbol="x @ W + b", arity=3, selective=True,
    forward=lambda F, ctx, x, W, b: x @ W + b,
    backward=_linear_backward,
    formula=("g @ W^T", "x^T @ g", "1  (summed over the batch)"),
    values="not element-wise: x and W receive matrix products with the upstream gradient g",
    letters=lambda node, slot, names: f"x = {names[0]}, W = {names[1]}, g = the upstream gradient",
    expression=lambda ctx, names: f"{names[0]} @ {names[1]} + {names[2]}",
))


def _with_axes(symbol: str, ctx: Any) -> str:
    """``sum(axis=1)``: a reduction's symbol with its axes (just the symbol for a full reduction)."""
    inner = axes_text(ctx)
    return f"{symbol}({inner})" if inner else symbol


def _keep(g: Any, axes: tuple[int, ...] | None, keepdims: bool, shape: tuple[int, ...]) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input (put the reduced axes back as 1s)."""
    if keepdims or axes is None:
        return g  # a full reduction's 0-d gradient broadcasts as it is
    kept = tuple(1 if (axes is None or i in axes) else n for i, n in enumerate(shape))
    return g.reshape(kept)


SUM = register(Op(  # ctx: (axes or None, keepdims)
    "sum", symbol="sum", arity=1,
    forward=lambda F, ctx, x: x.sum(axis=ctx[0], keepdims=ctx[1]),
    backward=lambda F, ctx, g, out, x: (F.broadcast_to(_keep(g, ctx[0], ctx[1], x.shape), x.shape),),
    formula=("1  (the gradient is copied to every summed element)",),
    text=lambda ctx: _with_axes("sum", ctx),
))


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    return math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)


def _mean_forward(F, ctx, x):
    """sum / n; float16 is summed in float32 and the mean cast back, as numpy and PyTorch do (a float16 sum of
    1,000 values of 100 overflows to inf). numpy's own mean goes through slow Python code, so not used."""
    if not x.size:
        return x.mean(axis=ctx[0], keepdims=ctx[1])
    n = max(_count(x.shape, ctx[0]), 1)
    if x.dtype == np.float16:
        return (np.add.reduce(x, axis=ctx[0], keepdims=ctx[1], dtype=np.float32) / n).astype(np.float16)
    return np.add.reduce(x, axis=ctx[0], keepdims=ctx[1]) / n


MEAN = register(Op(  # ctx: (axes or None, keepdims)
    "mean", symbol="mean", arity=1,
    forward=_mean_forward,
    backward=lambda F, ctx, g, out, x: (
        F.broadcast_to(_keep(g, ctx[0], ctx[1], x.shape) / max(_count(x.shape, ctx[0]), 1), x.shape),
    ),
    formula=("1/n",),
    values=lambda ctx, slot, xs, out: {"x": xs[0], "n": max(_count(np.shape(xs[0]), ctx[0]), 1)},
    text=lambda ctx: _with_axes("mean", ctx),
    letters=lambda node, slot, names: (
        f"x = {names[0]}, n = {int(np.size(node.parents[0].data) // max(np.size(node.data), 1))}"),
))


def _extreme_backward(F, ctx, g, out, x):
    axes, keepdims = ctx
    rx, rout = F.raw(x), _keep(F.raw(out), axes, keepdims, x.shape)
    hit = (rx == rout) | ((rx != rx) & (rout != rout))  # every tie is hit; a NaN result: the NaNs that made it
    share = hit / hit.sum(axis=axes, keepdims=True)  # ties split the gradient evenly
    return (_share(F, _keep(g, axes, keepdims, x.shape), share.astype(rx.dtype, copy=False)),)  # 0 off the extreme


def _extreme_letters(ctx: Any, x: Any, out: Any) -> dict[str, Any]:
    """The letters of max's (min's) formula: m the extreme broadcast against x, k how many elements equal it."""
    axes, keepdims = ctx
    m = _keep(np.asarray(out), axes, keepdims, np.shape(x))
    k = (np.asarray(x) == m).sum(axis=axes, keepdims=True)
    return {"x": x, "m": m, "k": k}


def _extreme_branch(ctx: Any, xs: Any, out: Any) -> Any:
    """Which elements are the max (min): a tie made or broken is a kink."""
    axes, keepdims = ctx
    o = np.asarray(out)
    if axes is not None and not keepdims:
        o = np.expand_dims(o, axes)
    return np.asarray(xs[0]) == o


MAX = register(Op(  # ctx: (axes or None, keepdims)
    "max", symbol="max", arity=1,
    forward=lambda F, ctx, x: x.max(axis=ctx[0], keepdims=ctx[1]),
    backward=_extreme_backward,
    formula=("1/k if x == m else 0  (m the maximum, k how many elements tie for it)",),
    values=lambda ctx, slot, xs, out: _extreme_letters(ctx, xs[0], out),
    text=lambda ctx: _with_axes("max", ctx),
    branch=_extreme_branch,
))

MIN = register(Op(
    "min", symbol="min", arity=1,
    forward=lambda F, ctx, x: x.min(axis=ctx[0], keepdims=ctx[1]),
    backward=_extreme_backward,
    formula=("1/k if x == m else 0  (m the minimum, k how many elements tie for it)",),
    values=lambda ctx, slot, xs, out: _extreme_letters(ctx, xs[0], out),
    text=lambda ctx: _with_axes("min", ctx),
    branch=_extreme_branch,
))


def _pairwise_share(a: Any, b: Any) -> Any:
    """Weight of ``a`` in maximum(a, b): 1 where a wins, 1/2 on ties, 0 where b wins; 1 for both where either is
    NaN (the output is NaN then, and both inputs get the gradient, as in PyTorch: a NaN must not vanish)."""
    return (a > b) + 0.5 * (a == b) + ((a != a) | (b != b))


def _share(F: Any, g: Any, share: Any) -> Any:
    """g * share, with an exact 0 where share is 0 (selected first, so an infinite g gives 0 there, not NaN)."""
    return F.select(share != 0, g) * share


MAXIMUM = register(Op(
    "maximum", arity=2,
    forward=lambda F, ctx, a, b: np.maximum(a, b),
    backward=lambda F, ctx, g, out, a, b: (
        _share(F, g, _pairwise_share(F.raw(a), F.raw(b))), _share(F, g, _pairwise_share(F.raw(b), F.raw(a)))),
    formula=("1 if a > b else (1/2 if a == b else 0)", "1 if b > a else (1/2 if a == b else 0)"),
    branch=lambda ctx, xs, out: np.sign(np.asarray(xs[0]) - np.asarray(xs[1])),
))

MINIMUM = register(Op(
    "minimum", arity=2,
    forward=lambda F, ctx, a, b: np.minimum(a, b),
    backward=lambda F, ctx, g, out, a, b: (
        _share(F, g, _pairwise_share(F.raw(b), F.raw(a))), _share(F, g, _pairwise_share(F.raw(a), F.raw(b)))),
    formula=("1 if a < b else (1/2 if a == b else 0)", "1 if b < a else (1/2 if a == b else 0)"),
    branch=lambda ctx, xs, out: np.sign(np.asarray(xs[0]) - np.asarray(xs[1])),
))


def _clip_backward(F, ctx, g, out, x):
    """1 inside [lo, hi] (bounds included, as PyTorch's clamp), an exact 0 outside (selected, so an infinite
    upstream gradient gives 0 there, not NaN). A NaN input passes the gradient on (PyTorch gives it 0): the
    output is NaN, and the gradient should say so rather than hide where it came from."""
    lo, hi = ctx
    rx = F.raw(x)
    inside = (True if lo is None else rx >= lo) & (True if hi is None else rx <= hi)
    return (F.select(inside | (rx != rx), g),)


CLIP = register(Op(  # ctx: (lo, hi); either may be None
    "clip", arity=1,
    forward=lambda F, ctx, x: np.clip(x, ctx[0], ctx[1]),
    backward=_clip_backward,
    formula=("1 if lo <= x <= hi else 0",),
    values=lambda ctx, slot, xs, out: {  # a missing bound is no bound
        "x": xs[0], "lo": -math.inf if ctx[0] is None else ctx[0], "hi": math.inf if ctx[1] is None else ctx[1]},
    text=lambda ctx: f"clip({ctx[0]}, {ctx[1]})",
    letters=lambda node, slot, names: f"x = {names[0]}, lo = {node.ctx[0]}, hi = {node.ctx[1]}",
    branch=lambda ctx, xs, out: np.stack(
        [np.sign(np.asarray(xs[0]) - b) if b is not None else np.zeros_like(np.asarray(xs[0])) for b in ctx]),
))

WHERE = register(Op(  # ctx: the boolean condition (a constant)
    "where", arity=2,
    forward=lambda F, ctx, a, b: np.where(ctx, a, b),
    backward=lambda F, ctx, g, out, a, b: (F.where(ctx, g, 0), F.where(ctx, 0, g)),
    formula=("1 if cond else 0", "0 if cond else 1"),
    values=lambda ctx, slot, xs, out: {"a": xs[0], "b": xs[1], "cond": np.asarray(ctx, dtype=bool)},
    text=lambda ctx: f"where({format_array(ctx) if np.size(ctx) <= SMALL else f'cond{np.shape(ctx)}'})",
    letters=lambda node, slot, names: (
        f"a = {names[0]}, b = {names[1]}, cond = a fixed mask of shape {np.shape(node.ctx)}"),
    branch=lambda ctx, xs, out: np.asarray(ctx, dtype=bool),
))

RESHAPE = register(Op(  # ctx: the new shape
    "reshape", arity=1,
    forward=lambda F, ctx, x: x.reshape(ctx),
    backward=lambda F, ctx, g, out, x: (g.reshape(x.shape),),
    formula=("1  (the gradient is reshaped back)",),
    text=lambda ctx: f"reshape{tuple(ctx)}",
))

TRANSPOSE = register(Op(  # ctx: the permutation of axes
    "transpose", arity=1,
    forward=lambda F, ctx, x: x.transpose(ctx),
    backward=lambda F, ctx, g, out, x: (g.transpose(tuple(np.argsort(ctx))),),
    formula=("1  (the gradient is transposed back)",),
    text=lambda ctx: f"transpose{tuple(ctx)}",
))

EXPAND = register(Op(  # ctx: the target shape; the engine sums the gradient back (unbroadcast)
    "broadcast_to", symbol="expand", arity=1,
    forward=lambda F, ctx, x: np.broadcast_to(x, ctx),
    backward=lambda F, ctx, g, out, x: (g,),
    formula=("1  (summed over the broadcast axes)",),
    text=lambda ctx: f"expand{tuple(ctx)}",
))

def _digest(obj: Any) -> bytes:
    """The bytes of an index: equal exactly when two indices select the same elements."""
    if isinstance(obj, np.ndarray):
        return str(obj.shape).encode() + obj.tobytes()
    if isinstance(obj, tuple):
        return b"(" + b"|".join(_digest(o) for o in obj) + b")"
    return repr(obj).encode()


GETITEM = register(Op(  # ctx: the index
    "getitem", symbol="[]", arity=1,
    forward=lambda F, ctx, x: x[ctx],
    backward=lambda F, ctx, g, out, x: (F.scatter(g, ctx, x.shape),),
    formula=("1 at the selected elements (repeats accumulate), else 0",),
    values="an index, not a letter: the gradient is 1 at the selected elements and 0 elsewhere",
    text=lambda ctx: f"[{index_text(ctx)}]",
    branch=lambda ctx, xs, out: np.frombuffer(_digest(ctx), dtype=np.uint8),  # x[x > 0]: the index moves
))

SCATTER_ADD = register(Op(  # ctx: (index, shape): zeros of shape with x added at index; getitem's derivative
    "scatter_add", arity=1,
    forward=lambda F, ctx, x: ArrayMath.scatter(x, ctx[0], ctx[1]),
    backward=lambda F, ctx, g, out, x: (g[ctx[0]],),
    formula=("1  (the gradient is read back at the index)",),
))


def _concat_backward(F, ctx, g, out, *xs):
    axis, edges = ctx
    lead = (slice(None),) * (axis % g.ndim)
    return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:]))


CONCATENATE = register(Op(  # ctx: (axis, offsets of the pieces along it)
    "concatenate", symbol="concat", arity=-1,
    forward=lambda F, ctx, *xs: np.concatenate(xs, axis=ctx[0]),
    backward=_concat_backward,
    formula=("1  (on its own slice of the result)",),
    text=lambda ctx: f"concat(axis={ctx[0]})",
))

SOFTMAX = register(Op(  # ctx: axis
    "softmax", arity=1,
    forward=lambda F, ctx, x: _softmax(x, ctx),
    backward=lambda F, ctx, g, out, x: (out * (g - (g * out).sum(axis=ctx, keepdims=True)),),
    formula=("diag(s) - s s^T  (s = softmax(x))",),
    values="not element-wise: a Jacobian matrix, applied to the upstream g as s * (g - sum(g * s))",
    text=lambda ctx: f"softmax(axis={ctx})",
))

LOG_SOFTMAX = register(Op(  # ctx: axis
    "log_softmax", arity=1,
    forward=lambda F, ctx, x: _log_softmax(x, ctx),
    backward=lambda F, ctx, g, out, x: (g - F.exp(out) * g.sum(axis=ctx, keepdims=True),),
    formula=("I - softmax(x) 1^T",),
    values="not element-wise: a Jacobian matrix, applied to the upstream g as g - softmax(x) * sum(g)",
    text=lambda ctx: f"log_softmax(axis={ctx})",
))

LOGSUMEXP = register(Op(  # ctx: (axes or None, keepdims)
    "logsumexp", arity=1,
    forward=lambda F, ctx, x: _logsumexp(x, ctx[0], ctx[1]),
    backward=lambda F, ctx, g, out, x: (
        _keep(g, ctx[0], ctx[1], x.shape) * F.exp(x - _keep(out, ctx[0], ctx[1], x.shape)),),
    formula=("exp(x - L)  (softmax(x), with L = logsumexp(x))",),
    values=lambda ctx, slot, xs, out: {"x": xs[0], "L": _keep(out, ctx[0], ctx[1], np.shape(xs[0]))},
    text=lambda ctx: _with_axes("logsumexp", ctx),
))

ASTYPE = register(Op(  # ctx: the dtype; the gradient is cast back to the input's dtype
    "astype", arity=1,
    forward=lambda F, ctx, x: x.astype(ctx),
    backward=lambda F, ctx, g, out, x: (g.astype(x.dtype),),
    formula=("1",),
    text=lambda ctx: f"astype({ctx})",
))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    if x.shape[axis] == 0:  # an empty axis: an empty result, as PyTorch
        return x.copy()
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """(x - m) - log(sum(exp(x - m))) with m the maximum: never x - logsumexp(x), whose m + log(...) loses the
    log-sum next to a huge m (log_softmax([1e16, 1e16]) would be [0, 0] instead of -log 2 each)."""
    if x.shape[axis] == 0:
        return x.copy()
    m = x.max(axis=axis, keepdims=True)
    shifted = x - np.where(np.isfinite(m), m, 0)  # an all -inf row gives -inf - log 0: NaN, as PyTorch
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _logsumexp(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    if x.size == 0:  # the log of an empty sum is -inf (PyTorch too); an empty result stays empty
        with np.errstate(divide="ignore"):
            return np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))
    m = x.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # all -inf rows give -inf, not NaN
    r = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    if not keepdims:
        r = r.squeeze(axis=axis)
    return r


__all__ = ["DomainError", "FloatMath", "ArrayMath", "NodeMath", "REGISTRY", "ELEMENTWISE"] + [
    name for name, v in list(globals().items()) if isinstance(v, Op)
]
