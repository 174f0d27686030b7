"""The math namespaces a rule computes with: one rule, three kinds of numbers.

Every forward and derivative in :mod:`autograd.ops` is written with ordinary operators and the namespace ``F`` it
is handed:

* :class:`FloatMath` acts on Python floats (a ``Value``'s data),
* :class:`ArrayMath` acts on numpy arrays (a ``Tensor``'s data),
* :class:`NodeMath` acts on Values and Tensors themselves, so a backward pass run with it is recorded and can be
  differentiated again (``backward(create_graph=True)``). Its array cases (a ``where`` with an array condition, a
  scatter) make Tensors, so :class:`autograd.tensor.TensorMath` adds them: each node class names its own namespace
  (``Node._math``, ``Node._node_math``) and this module knows nothing of Value or Tensor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["DomainError", "FloatMath", "ArrayMath", "NodeMath"]


class DomainError(ValueError):
    """A scalar operation was asked for a value outside its domain (``log`` of -1.0, ``0 ** -1``)."""


# ----------------------------------------------------------------------------------------------------------------
# Math namespaces
# ----------------------------------------------------------------------------------------------------------------


def _float_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0: e^x cannot overflow
    return e / (1.0 + e)


def _float_pow(a: float, n: float) -> float:
    if a == 0 and n < 0:
        raise DomainError(f"pow: {a!r} ** {n!r} is undefined (division by zero)")
    if a < 0 and not float(n).is_integer():
        raise DomainError(f"pow: a negative base {a!r} with a non-integer exponent {n!r} has no real result")
    try:
        return float(a**n)
    except OverflowError:
        return math.copysign(math.inf, a) if int(n) % 2 else math.inf


class FloatMath:
    """Math on Python floats, for ``Value``. Domain errors are clear :class:`DomainError` s."""

    @staticmethod
    def raw(x: float) -> float:
        return x

    @staticmethod
    def exp(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf

    @staticmethod
    def log(x: float) -> float:
        if not x > 0:
            raise DomainError(f"log: input must be > 0, got {x!r}")
        return math.log(x)

    @staticmethod
    def sqrt(x: float) -> float:
        if x < 0:
            raise DomainError(f"sqrt: input must be >= 0, got {x!r}")
        return math.sqrt(x)

    @staticmethod
    def div(a: float, b: float) -> float:
        if b == 0:
            raise DomainError(f"div: division by zero ({a!r} / {b!r})")
        return a / b

    @staticmethod
    def sin(x: float) -> float:
        if math.isinf(x):
            raise DomainError(f"sin: input must be finite, got {x!r}")
        return math.sin(x)

    @staticmethod
    def cos(x: float) -> float:
        if math.isinf(x):
            raise DomainError(f"cos: input must be finite, got {x!r}")
        return math.cos(x)

    tanh = staticmethod(math.tanh)
    relu = staticmethod(lambda x: 0.0 if x <= 0 else x)  # NaN stays NaN
    sigmoid = staticmethod(_float_sigmoid)
    pow = staticmethod(_float_pow)
    abs = staticmethod(abs)

    @staticmethod
    def sign(x: float) -> float:
        return float((x > 0) - (x < 0))

    @staticmethod
    def log1p(x: float) -> float:
        return math.log1p(x)

    @staticmethod
    def expm1(x: float) -> float:
        try:
            return math.expm1(x)
        except OverflowError:
            return math.inf

    @staticmethod
    def softplus(x: float) -> float:
        """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which never overflows."""
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    @staticmethod
    def where(cond: bool, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def mulz(g: float, d: float) -> float:
        """g * d, except that a zero upstream gradient contributes zero even when d is infinite."""
        return 0.0 if g == 0 else g * d

    @staticmethod
    def ones_like(x: float) -> float:
        return 1.0

    @staticmethod
    def select(mask: bool, g: float) -> float:
        """g where mask, else an exact 0.0 (never g * 0, which is NaN for an infinite g)."""
        return g if mask else 0.0


class ArrayMath:
    """Math on numpy arrays, for ``Tensor``: numpy's own semantics (NaN/inf with a warning, no exceptions)."""

    raw = staticmethod(lambda x: x)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    div = staticmethod(np.true_divide)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    log1p = staticmethod(np.log1p)
    expm1 = staticmethod(np.expm1)
    where = staticmethod(np.where)
    relu = staticmethod(lambda x: np.maximum(x, 0))
    ones_like = staticmethod(np.ones_like)

    @staticmethod
    def broadcast_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """A new writable array of ``shape`` filled by broadcasting ``x`` (faster than np.broadcast_to)."""
        out = np.empty(shape, dtype=x.dtype)
        out[...] = x
        return out

    @staticmethod
    def pow(a: np.ndarray, n: float) -> np.ndarray:
        return np.power(a, n)

    @staticmethod
    def sigmoid(x: np.ndarray) -> np.ndarray:
        return np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + e^-x) = e^-log(1 + e^-x): never overflows

    @staticmethod
    def softplus(x: np.ndarray) -> np.ndarray:
        return np.logaddexp(0.0, x)  # log(e^0 + e^x), computed stably by numpy

    @staticmethod
    def select(mask: Any, g: np.ndarray) -> np.ndarray:
        """g where mask, else an exact 0 (g * mask would be NaN where g is infinite, so that case uses where;
        a product is 5x faster than np.where, and g is almost always finite)."""
        r = g * mask
        if not np.isfinite(g).all():
            r = np.where(mask, g, np.zeros((), dtype=r.dtype))
        return r

    @staticmethod
    def mulz(g: np.ndarray, d: np.ndarray) -> np.ndarray:
        r = g * d
        if not np.isfinite(d).all():
            r = np.where(g == 0, 0, r).astype(r.dtype, copy=False)
        return r

    @staticmethod
    def swap(x: np.ndarray) -> np.ndarray:
        return x.swapaxes(-1, -2)

    @staticmethod
    def scatter(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
        """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
        out = np.zeros(shape, dtype=g.dtype)
        if _may_repeat(index):
            np.add.at(out, index, g)  # integer arrays may name an element twice: accumulate
        else:
            out[index] = g  # slices, ints and masks name each element once: plain assignment, 10x faster
        return out


def _may_repeat(index: Any) -> bool:
    """Whether an index can select one element twice (only integer arrays or lists can)."""
    for i in index if isinstance(index, tuple) else (index,):
        if isinstance(i, list) or (isinstance(i, np.ndarray) and i.dtype != np.bool_):
            return True
    return False


class NodeMath:
    """Math on Values and Tensors: calling these records graph nodes (used by ``create_graph=True``)."""

    raw = staticmethod(lambda x: x.data)
    exp = staticmethod(lambda x: x.exp())
    log = staticmethod(lambda x: x.log())
    sqrt = staticmethod(lambda x: x.sqrt())
    div = staticmethod(lambda a, b: a / b)
    sin = staticmethod(lambda x: x.sin())
    cos = staticmethod(lambda x: x.cos())
    tanh = staticmethod(lambda x: x.tanh())
    sigmoid = staticmethod(lambda x: x.sigmoid())
    softplus = staticmethod(lambda x: x.softplus())
    expm1 = staticmethod(lambda x: x.exp() - 1)
    relu = staticmethod(lambda x: x.relu())
    abs = staticmethod(lambda x: abs(x))
    pow = staticmethod(lambda a, n: a**n)
    swap = staticmethod(lambda x: x.swapaxes(-1, -2))
    broadcast_to = staticmethod(lambda x, shape: x.broadcast_to(shape))

    sign = staticmethod(np.sign)  # applied to F.raw(x): a constant mask

    @classmethod
    def mulz(cls, g: Any, d: Any) -> Any:
        """g * d recorded, with a zero upstream gradient still giving zero where d is infinite. Only there: where d
        is finite, g * d stays a function of g (the seed of a Jacobian-vector product is often all zeros)."""
        zero = (g.data == 0) & ~np.isfinite(d.data if hasattr(d, "_fn") else d)
        if not np.any(zero):
            return g * d
        if np.ndim(zero) == 0:
            return g * 0
        return cls.where(zero, 0, g * d)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        """``a if cond else b`` for a scalar condition (an array condition needs Tensors: TensorMath)."""
        if isinstance(cond, (bool, np.bool_)):
            return a if cond else b
        raise TypeError(f"where: an array condition of shape {np.shape(cond)} needs Tensors, got "
                        f"{type(a).__name__} and {type(b).__name__}")

    @staticmethod
    def ones_like(x: Any) -> Any:
        return x * 0 + 1

    @classmethod
    def select(cls, mask: Any, g: Any) -> Any:
        """g where the constant mask holds, else an exact zero, recorded (a ``where`` node for a Tensor; a Value
        class names its own zero constant, see ``autograd.value.ValueMath``)."""
        return cls.where(mask, g, 0)
