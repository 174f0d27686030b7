"""How numbers, arrays, axes and indices are written in drawings, steps and op texts: decided once, here.

>>> from autograd.notation import format_array, index_text
>>> format_array(0.5), format_array([1.0, -0.0, 2.5])
('0.5000', '[1, 0, 2.5]')
>>> index_text((slice(None), 0))
':, 0'
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["format_array", "axes_text", "index_text", "SMALL"]

SMALL = 6  # tensors with at most this many elements show their values


def _num(x: float) -> str:
    x = x + 0.0  # -0.0 prints as 0.0000, not -0.0000
    return f"{x:.4f}" if x == 0 or 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def format_array(a: Any, small: int = SMALL) -> str:
    """A number as ``0.5000``; a small array as its values; a large one as ``mean .. std .. min .. max``."""
    if isinstance(a, (float, int, np.floating, np.integer)) and not isinstance(a, bool):
        return _num(float(a))
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(float(a))
    if a.size <= small:
        a = a + 0 if a.dtype.kind == "f" else a  # -0.0 -> 0.0
        fmt: Any = {"float_kind": "{:.4g}".format, "int": str, "bool": str}
        return np.array2string(a, separator=", ", max_line_width=10_000, formatter=fmt).replace("\n", "")
    if a.size == 0:
        return "[]"
    f = a.astype(np.float64)
    return f"mean {_num(f.mean())} std {_num(f.std())} min {_num(f.min())} max {_num(f.max())}"


def axes_text(ctx: Any) -> str:
    """``axis=1, keepdims`` for the ``(axes, keepdims)`` argument of a reduction (``''`` for all axes)."""
    axes, keepdims = ctx
    if axes is None:
        inner = ""
    elif len(axes) == 1:
        inner = f"axis={axes[0]}"
    else:
        inner = f"axis={tuple(axes)}"
    if keepdims:
        inner += (", " if inner else "") + "keepdims"
    return inner


def index_text(ix: Any) -> str:
    """An index as written between brackets: ``:, 0``, ``mask(3, 3)``, ``...``."""
    parts = ix if isinstance(ix, tuple) else (ix,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            out.append(":" if p == slice(None) else f"{'' if p.start is None else p.start}:"
                       f"{'' if p.stop is None else p.stop}" + ("" if p.step is None else f":{p.step}"))
        elif p is Ellipsis:
            out.append("...")
        elif p is None:
            out.append("None")
        elif isinstance(p, np.ndarray):
            kind = "mask" if p.dtype == bool else "array"
            out.append(f"{kind}{p.shape}" if p.size > SMALL else format_array(p))
        else:
            out.append(repr(p))
    return ", ".join(out)
