"""Hypothesis strategies for property-testing gradients (shapes, broadcast pairs, tensors, safe floats).

>>> from hypothesis import given
>>> from autograd.strategies import floats_away_from, tensors
>>> from autograd.gradcheck import gradcheck
>>> @given(tensors(shape=(3,), kinks=(0.0,)))
... def test_relu(x):
...     assert gradcheck(lambda t: t.relu().sum(), x)
>>> test_relu()

Needs hypothesis: ``pip install 'chainrule[test]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "autograd.strategies needs the hypothesis package: pip install 'chainrule[test]' (or pip install hypothesis)"
    ) from e

import numpy as np

from .tensor import Tensor
from .value import Value

__all__ = [
    "floats_away_from",
    "shapes",
    "broadcastable_shapes",
    "arrays",
    "tensors",
    "transposed",
    "values",
]

Shape = tuple[int, ...]


def floats_away_from(
    kinks: Sequence[float] = (0.0,), min_value: float = -3.0, max_value: float = 3.0, margin: float = 1e-3,
    width: int = 64,
) -> st.SearchStrategy[float]:
    """Finite floats in [min_value, max_value] at least ``margin`` away from every kink (relu's 0, say), so that a
    central difference with a small step never straddles one. The allowed intervals are drawn from directly (no
    filtering), with bounds a float of ``width`` bits cannot represent rounded inwards."""
    return _floats(kinks, min_value, max_value, margin, width, "floats_away_from")


def _floats(kinks: Sequence[float], min_value: float, max_value: float, margin: float, width: int,
            who: str) -> st.SearchStrategy[float]:
    if min_value >= max_value:
        raise ValueError(f"{who}: min_value {min_value} must be below max_value {max_value}")
    if not margin >= 0:
        raise ValueError(f"{who}: margin must be >= 0, got {margin}")
    ftype = {16: np.float16, 32: np.float32, 64: np.float64}[width]
    top = float(np.finfo(ftype).max)
    if max(abs(min_value), abs(max_value)) > top:
        raise ValueError(f"{who}: [{min_value:g}, {max_value:g}] is outside the range of {np.dtype(ftype).name} "
                         f"(+-{top:g})")
    ks = tuple(float(k) for k in kinks)
    segments, lo = [], float(min_value)
    for k in sorted(ks):  # [min, k1 - margin], [k1 + margin, k2 - margin], ..., [kn + margin, max]
        segments.append((lo, min(k - margin, max_value)))
        lo = max(lo, k + margin)
    segments.append((lo, float(max_value)))
    parts = []
    for a, b in segments:
        a32, b32 = ftype(a), ftype(b)  # round inwards to floats of the width
        a32 = a32 if float(a32) >= a else np.nextafter(a32, ftype(np.inf))
        b32 = b32 if float(b32) <= b else np.nextafter(b32, ftype(-np.inf))
        if a32 <= b32:
            parts.append(st.floats(float(a32), float(b32), allow_nan=False, allow_infinity=False, width=width))
    if not parts:
        raise ValueError(f"{who}: no float in [{min_value:g}, {max_value:g}] is {margin:g} away from the kinks "
                         f"{ks}; widen the range or lower the margin")
    return st.one_of(*parts)


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy[Shape]:
    """Array shapes: ``min_dims``..``max_dims`` axes of ``min_side``..``max_side`` elements each."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(max_dims: int = 4, max_side: int = 4) -> st.SearchStrategy[tuple[Shape, Shape]]:
    """Pairs of shapes that broadcast together, e.g. ``((3, 1), (4,))``: the pairs a binary op must accept."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=max_dims, max_side=max_side).map(
        lambda r: r.input_shapes)


def _elements(dtype: Any, min_value: float, max_value: float, kinks: Sequence[float], margin: float, who: str):
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{who}: dtype {dt} is not a float type; gradients need floats (np.float64, np.float32)")
    return _floats(kinks, min_value, max_value, margin, dt.itemsize * 8, who)


def arrays(
    shape: Shape | st.SearchStrategy[Shape] | None = None, dtype: Any = np.float64, min_value: float = -3.0,
    max_value: float = 3.0, kinks: Sequence[float] = (), margin: float = 1e-3,
) -> st.SearchStrategy[np.ndarray]:
    """numpy arrays of ``dtype``, of a given shape (or a strategy of shapes; default: :func:`shapes`), with
    elements in [min_value, max_value] kept ``margin`` away from ``kinks``."""
    return _arrays(shape, dtype, min_value, max_value, kinks, margin, "arrays")


def _arrays(shape: Any, dtype: Any, min_value: float, max_value: float, kinks: Sequence[float], margin: float,
            who: str) -> st.SearchStrategy[np.ndarray]:
    elements = _elements(dtype, min_value, max_value, kinks, margin, who)
    return hnp.arrays(np.dtype(dtype), shapes() if shape is None else shape, elements=elements)


def tensors(
    shape: Shape | st.SearchStrategy[Shape] | None = None, dtype: Any = np.float64, requires_grad: bool = True,
    min_value: float = -3.0, max_value: float = 3.0, kinks: Sequence[float] = (), margin: float = 1e-3,
) -> st.SearchStrategy[Tensor]:
    """Tensors built from :func:`arrays` (same arguments), requiring grad by default."""
    return _arrays(shape, dtype, min_value, max_value, kinks, margin, "tensors").map(
        lambda a: Tensor(a, requires_grad=requires_grad))


def transposed(
    shape: Shape | st.SearchStrategy[Shape] | None = None, dtype: Any = np.float64, requires_grad: bool = True,
    min_value: float = -3.0, max_value: float = 3.0, kinks: Sequence[float] = (), margin: float = 1e-3,
) -> st.SearchStrategy[Tensor]:
    """Tensors of ``shape`` whose data is a *non-contiguous* view (the transpose of an array of the reversed
    shape), to catch code that assumes a C-contiguous layout."""
    shape = shapes(min_dims=2) if shape is None else shape
    shape_st = shape if isinstance(shape, st.SearchStrategy) else st.just(tuple(shape))
    return shape_st.flatmap(
        lambda s: arrays(tuple(reversed(s)), dtype, min_value, max_value, kinks, margin).map(
            lambda a: Tensor(a.T, requires_grad=requires_grad)))  # arrays() checks the arguments lazily


def values(
    min_value: float = -3.0, max_value: float = 3.0, kinks: Sequence[float] = (), margin: float = 1e-3
) -> st.SearchStrategy[Value]:
    """Scalar Values with data from :func:`floats_away_from`."""
    return floats_away_from(kinks, min_value, max_value, margin).map(Value)
