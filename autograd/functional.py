"""Gradients as functions: ``grad``, ``value_and_grad``, ``hessian``, ``hvp`` (in the style of JAX and HIPS autograd).

>>> from autograd.functional import grad
>>> f = lambda x: x * x * x            # f(x) = x^3
>>> grad(f)(2.0)                       # 3 x^2
12.0
>>> grad(grad(f))(2.0)                 # 6 x
12.0

Called with plain numbers (floats, numpy arrays) the functions wrap them in fresh leaves (a ``Value`` for a
scalar, a ``Tensor`` for an array; float arguments not differentiated become constants) and return plain numbers.
Called with nodes among the arguments (as happens inside another ``grad``) they differentiate with
``backward(create_graph=True)`` and return nodes, so the result can be differentiated again. Either way the
``.grad`` of every node the function touched is left as it was.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import Node, enable_grad, topological_order
from .tensor import Tensor, stack
from .value import Constant, Value

__all__ = ["grad", "value_and_grad", "hessian", "hvp"]


def _wrap(x: Any, i: int, who: str) -> tuple[Node, bool]:
    """A leaf to differentiate with respect to, and whether the caller passed a node."""
    if isinstance(x, Value):
        return (x, True) if x.requires_grad else (Value(x.data), True)  # a Constant gets a leaf of its own
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            raise TypeError(f"{who}: argument {i} is a Tensor of dtype {x.dtype}; gradients need floats "
                            f"(use .astype(np.float64))")
        return (x, True) if x.requires_grad else (Tensor(x.data.copy(), requires_grad=True), True)
    if isinstance(x, (bool, np.bool_)) or isinstance(x, numbers.Integral):
        raise TypeError(f"{who}: argument {i} is the integer {x!r}; gradients need floats (pass {float(x)!r})")
    if isinstance(x, numbers.Real):
        return Value(float(x)), False
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        raise TypeError(f"{who}: argument {i} has dtype {arr.dtype}; gradients need floats "
                        f"(pass np.asarray(x, dtype=np.float64))")
    return Tensor(np.array(arr, copy=True), requires_grad=True), False


def _constant(x: Any) -> Any:
    """Floats and float arrays not differentiated become constant nodes (so ``x.sin()`` works); others pass."""
    if isinstance(x, (float, np.floating)):
        return Constant(float(x))
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return Tensor(x)
    return x


def _check_argnums(argnums: Any, who: str) -> None:
    ok = isinstance(argnums, int) or (isinstance(argnums, tuple) and all(isinstance(a, int) for a in argnums))
    if not ok:
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r} "
                        "(the positions of the arguments to differentiate, e.g. 0 or (0, 1))")


def _argnums(argnums: int | tuple[int, ...], nargs: int, who: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(f"{who}: argnums {a} is out of range for {nargs} positional argument(s)")
    return tuple(a % nargs for a in nums)


def _scalar(out: Any, who: str) -> Node | None:
    """The output as a scalar node (None when it is a constant), or a clear error."""
    if isinstance(out, Value):
        return out
    if isinstance(out, Tensor):
        if out.data.size != 1:
            raise ValueError(f"{who}: f returned a Tensor of shape {out.shape}, not a scalar; reduce it first "
                             "(e.g. return loss.sum() or loss.mean()), or differentiate each element separately")
        return out if out.requires_grad else None
    if isinstance(out, numbers.Real) or (isinstance(out, np.ndarray) and out.size == 1):
        return None  # f does not depend on its inputs through autograd: its gradient is zero
    raise TypeError(f"{who}: f must return a scalar Value or Tensor, got {type(out).__name__}")


def _zero_like(leaf: Node, nested: bool) -> Any:
    if isinstance(leaf, Value):
        return Value(0.0) if nested else 0.0
    z = np.zeros_like(leaf.data)
    return Tensor(z) if nested else z


def _gradients(out: Node | None, leaves: list[Node], nested: bool) -> list[Any]:
    """d out / d leaf for each leaf, leaving every node's ``.grad`` as it was."""
    if out is None:
        return [_zero_like(leaf, nested) for leaf in leaves]
    nodes = topological_order(out)
    saved = {node: node.grad for node in nodes}
    saved.update({leaf: leaf.grad for leaf in leaves})
    for leaf in leaves:
        leaf.grad = 0.0 if isinstance(leaf, Value) else None
    try:
        out.backward(create_graph=nested)
        grads = []
        for leaf in leaves:
            g = leaf.grad
            if g is None or (isinstance(g, float) and nested):
                g = _zero_like(leaf, nested) if g is None else Value(g)
            elif not nested and isinstance(g, Node):  # pragma: no cover - backward without create_graph
                g = g.data
            grads.append(g)
    finally:
        for node, g in saved.items():
            node.grad = g
    return grads


def _unwrap(x: Any, nested: bool) -> Any:
    if nested or not isinstance(x, Node):
        return x
    return x.data


def value_and_grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient)``; the gradient is d f / d args[argnums] (a tuple of
    gradients when ``argnums`` is a tuple). ``f`` must return a scalar Value or a one-element Tensor.
    ``f`` is recorded even when called inside ``no_grad`` (as ``torch.func.grad`` does)."""
    _check_argnums(argnums, "grad")

    @enable_grad()
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums = _argnums(argnums, len(args), "grad")
        args = list(args)
        # inside another grad some argument is a node: record this backward so it can be differentiated again
        nested = any(isinstance(a, Node) for a in args) or any(isinstance(a, Node) for a in kwargs.values())
        leaves = []
        for i in nums:
            args[i] = _wrap(args[i], i, "grad")[0]
            leaves.append(args[i])
        for i, a in enumerate(args):
            if i not in nums:
                args[i] = _constant(a)
        out = f(*args, **kwargs)
        grads = _gradients(_scalar(out, "grad"), leaves, nested)
        value = out.item() if isinstance(out, Tensor) and not nested else _unwrap(out, nested)
        grads = [_unwrap(g, nested) for g in grads]
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    wrapped.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    wrapped.__doc__ = f"(value, gradient) of {getattr(f, '__name__', 'f')} with respect to argument(s) {argnums}."
    return wrapped


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The gradient of a scalar function, as a function: ``grad(f)(x) = df/dx``.

    ``argnums`` selects the argument(s) to differentiate (an int or a tuple, giving a tuple of gradients).
    ``grad(grad(f))`` is the second derivative. Integer arguments raise TypeError; a non-scalar output raises
    ValueError (reduce it with ``.sum()`` or ``.mean()``).
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    wrapped.__doc__ = f"Gradient of {getattr(f, '__name__', 'f')} with respect to argument(s) {argnums}."
    return wrapped


def _jacobian_rows(y: Any, leaf: Node, nested: bool) -> Any:
    """The Jacobian of the node ``y`` (a gradient, same shape as ``leaf``) with respect to ``leaf``, row by row."""
    if isinstance(leaf, Value):
        return _gradients(y if isinstance(y, Value) else None, [leaf], nested)[0]
    shape = leaf.shape
    if not isinstance(y, Tensor) or not y.requires_grad:
        z = np.zeros(shape + shape)
        return Tensor(z) if nested else z
    flat = y.reshape(-1)
    rows = [_gradients(flat[i], [leaf], nested)[0] for i in range(flat.shape[0])]
    if nested:
        return stack(rows).reshape(shape + shape)
    return np.stack(rows).reshape(shape + shape)


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The matrix of second derivatives H[i, j] = d^2 f / dx_i dx_j, for one (small) argument.

    For an argument of shape ``s`` the Hessian has shape ``s + s`` (a float for a scalar argument). It is the
    Jacobian of the gradient, one backward pass per element, so keep the argument small.
    """
    if not isinstance(argnums, int):
        raise TypeError("hessian: argnums must be one int (the Hessian of one argument at a time)")

    @enable_grad()
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        (i,) = _argnums(argnums, len(args), "hessian")
        args = list(args)
        leaf, nested = _wrap(args[i], i, "hessian")
        args[i] = leaf
        g = grad(f, i)(*args, **kwargs)  # a node: leaf is a node, so the gradient is recorded
        return _unwrap(_jacobian_rows(g, leaf, nested), nested)

    wrapped.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return wrapped


@enable_grad()
def hvp(f: Callable[..., Any], x: Any, v: Any) -> Any:
    """The Hessian-vector product H(x) v of a scalar function, without forming H: the gradient of
    ``grad(f)(x) . v`` with respect to x (two backward passes)."""
    leaf, nested = _wrap(x, 0, "hvp")
    g = grad(f)(leaf)
    if isinstance(leaf, Value):
        if not isinstance(v, Value) and np.ndim(v) != 0:
            raise ValueError(f"hvp: x is a scalar, so v must be one number; got shape {np.shape(v)}")
        vv = v if isinstance(v, Value) else float(v)
        dot = g * vv if isinstance(g, Value) else None
    else:
        vt = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=leaf.dtype))
        if vt.shape != leaf.shape:
            raise ValueError(f"hvp: v has shape {vt.shape} but x has shape {leaf.shape}")
        dot = (g * vt).sum() if isinstance(g, Tensor) and g.requires_grad else None
    return _unwrap(_gradients(dot, [leaf], nested)[0], nested)
