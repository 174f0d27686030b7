"""NaN provenance: find the first operation, forward or backward, that produces a NaN or an infinity.

>>> import numpy as np
>>> from autograd import Tensor
>>> from autograd.anomaly import detect_anomaly, AnomalyError
>>> p = Tensor([0.5, 0.0], requires_grad=True)
>>> with detect_anomaly():
...     try:
...         loss = -(p.log()).sum()
...     except AnomalyError as e:
...         print(str(e).splitlines()[0])
detect_anomaly: log produced -inf (1 of 2 elements) in its output (forward pass)

Off by default; when off, the engine pays one ``is not None`` test per node. When on, every new node is checked
as it is made (and remembers the line of your code that made it), and every backward step is checked as it runs.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import sys
import threading
import weakref
from typing import Any

import numpy as np

from . import engine
from .engine import Node

__all__ = ["detect_anomaly", "AnomalyError", "is_anomaly_enabled"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

#: what usually goes wrong, by op
_HINTS = {
    "log": "log(x) is -inf at x = 0 and NaN for x < 0: clip the input (x.clip(min=1e-12)), or use a stable form "
           "(log_softmax instead of log(softmax), softplus instead of log(1 + exp)).",
    "div": "a division by zero: add a small epsilon to the denominator, or mask the zero entries.",
    "sqrt": "sqrt(x) is NaN for x < 0 and its derivative 1/(2 sqrt x) infinite at 0: use sqrt(x + 1e-12) (a norm "
            "of a zero vector is the usual case).",
    "pow": "x ** n with n < 0 is infinite at 0, and with a fractional n NaN for x < 0 (its derivative n x^(n-1) "
           "can be infinite at 0): keep x away from 0, e.g. x.clip(min=1e-12) ** n.",
    "power": "a ** b needs a > 0 (its derivative a^b ln a): clip the base, e.g. a.clip(min=1e-12) ** b.",
    "exp": "exp overflows to inf for inputs above ~709 (float64) or ~88 (float32): subtract the maximum first "
           "(logsumexp, softmax and log_softmax do) or clip the input.",
    "logsumexp": "logsumexp of an all -inf slice is -inf: check for rows that are entirely masked.",
    "log_softmax": "a row of all -inf logits gives NaN: check for rows that are entirely masked.",
}
_MASKABLE = ("log", "div", "sqrt", "pow", "power")
_WHERE_NOTE = (
    "If this value is masked out later with where(cond, ..., ...), the gradient is still safe here (chainrule "
    "gives the unselected branch exactly zero gradient, and 0 * inf = 0 for log/div/sqrt/pow), but the forward "
    "value itself is not finite. To keep it finite too, use the double where: "
    "where(x > 0, log(where(x > 0, x, 1)), 0)."
)


class AnomalyError(FloatingPointError):
    """A NaN or an infinity appeared under :func:`detect_anomaly`; the message says where and why."""


def _summary(x: Any) -> str:
    if isinstance(x, float):
        return f"value {x!r}"
    a = np.asarray(x)
    if a.size == 0:
        return f"shape {a.shape}, empty"
    with np.errstate(all="ignore"):
        finite = a[np.isfinite(a)]
        rng = f"min {finite.min():.4g}, max {finite.max():.4g}" if finite.size else "no finite values"
    flags = [f"{int(np.isnan(a).sum())} nan" if np.isnan(a).any() else "",
             f"{int(np.isinf(a).sum())} inf" if np.isinf(a).any() else ""]
    flags = [f for f in flags if f] or ["no nan/inf"]
    return f"shape {a.shape}, {rng}, {', '.join(flags)}"


def _finite(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return math.isfinite(x)
    a = np.asarray(x)
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def _has_nan(x: Any) -> bool:
    a = np.asarray(x.data if isinstance(x, Node) else x)
    return a.dtype.kind in "fc" and bool(np.isnan(a).any())


def _what(x: Any) -> str:
    if isinstance(x, Node):
        x = x.data
    a = np.asarray(x, dtype=np.float64)
    kinds = [k for k, hit in (("nan", np.isnan(a).any()), ("inf", np.isposinf(a).any()),
                              ("-inf", np.isneginf(a).any())) if hit]
    count = int((~np.isfinite(a)).sum())
    return " and ".join(kinds) + (f" ({count} of {a.size} elements)" if a.size > 1 else "")


def _user_site() -> str:
    """The first stack frame outside the autograd package: the user's line that made the node."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE:
        frame = frame.f_back
    if frame is None:  # pragma: no cover - always called from user code
        return "an unknown place"
    fname, line = frame.f_code.co_filename, frame.f_lineno
    src = linecache.getline(fname, line).strip()
    return f"{fname}:{line} in {frame.f_code.co_name}" + (f"\n      {src}" if src else "")


def _raise(lines: list[str], op: str, *more: str) -> None:
    """Raise the report: its lines, the op's hint when there is one, then anything more."""
    hint = [f"  hint: {_HINTS[op]}"] if op in _HINTS else []
    raise AnomalyError("\n".join([*lines, *hint, *more]))


class _Detector:
    """What the engine calls when anomaly detection is on (see ``engine._mode.anomaly``)."""

    def __init__(self) -> None:
        # id(node) -> (weak reference to the node, where it was made). A weak reference keeps no graph alive, and
        # its callback forgets the entry when the node is freed, so a long training loop does not hoard memory.
        self.sites: dict[int, tuple[weakref.ref, str]] = {}
        #: the node whose derivative rule backward(create_graph=True) is recording right now (set by the engine)
        self.recording: Node | None = None

    def _describe_inputs(self, node: Node) -> str:
        return "\n".join(f"    input {i}: {_summary(p.data)}" for i, p in enumerate(node._parents))

    def _site(self, node: Node) -> str:
        ref, site = self.sites.get(id(node), (None, ""))
        if ref is not None and ref() is node:
            return site
        return "an unknown place (made before detect_anomaly was entered)"

    def forward(self, node: Node) -> None:
        site, recording, key = _user_site(), self.recording, id(node)
        self.sites[key] = (weakref.ref(node, lambda _, key=key, sites=self.sites: sites.pop(key, None)), site)
        if _finite(node.data):
            return
        bad_inputs = sum(not _finite(p.data) for p in node._parents)
        if bad_inputs and not (_has_nan(node.data) and not any(_has_nan(p.data) for p in node._parents)):
            return  # an input was already non-finite (that op was reported, or it came from outside, as a -inf
            # mask does), unless this op turned infinities into a NaN
        name = node._fn.name if node._fn is not None else "a leaf"
        if recording is not None and recording._fn is not None:  # a step of a derivative rule being recorded
            self._recorded_backward(node, recording)
        inputs = f"its inputs ({bad_inputs} non-finite):" if bad_inputs else "its inputs (all finite):"
        lines = [f"detect_anomaly: {name} produced {_what(node.data)} in its output (forward pass)",
                 f"  created at {site}", f"  {inputs}", self._describe_inputs(node)]
        if name in _MASKABLE:
            _raise(lines, name, f"  {_WHERE_NOTE}")
        _raise(lines, name)

    def _recorded_backward(self, step: Node, node: Node) -> None:
        """A NaN/inf made while ``backward(create_graph=True)`` records the rule of ``node``: name that op."""
        name = node._fn.name
        lines = [f"detect_anomaly: the backward of {name} produced {_what(step.data)} (recorded with "
                 f"create_graph=True, in its {step._fn.name} step)",
                 f"  local derivative: {node._fn.describe()}",
                 f"  the node was created at {self._site(node)}", "  its inputs:", self._describe_inputs(node)]
        _raise(lines, name)

    def backward(self, node: Node, upstream: Any, grads: Any) -> None:
        if not _finite(upstream):
            return  # reported where it first appeared
        for i, g in enumerate(grads):
            if _finite(g):
                continue
            name = node._fn.name if node._fn is not None else "a leaf"
            site = self._site(node)
            formula = node._fn.formula[min(i, len(node._fn.formula) - 1)] if node._fn is not None else "?"
            lines = [f"detect_anomaly: the backward of {name} produced {_what(g)} in the gradient of its input {i} "
                     f"from a finite upstream gradient ({_summary(getattr(upstream, 'data', upstream))})",
                     f"  local derivative: d/d(input {i}) = {formula}",
                     f"  the node was created at {site}", "  its inputs:", self._describe_inputs(node)]
            _raise(lines, name)


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager (and decorator): raise :class:`AnomalyError` at the first NaN or inf.

    In the forward pass the error names the op that produced it (the first one whose inputs were all finite),
    the line of your code that made the node, the inputs' shapes and ranges, and a hint; in the backward pass,
    the op whose derivative turned a finite upstream gradient into NaN/inf, and where that node was made.
    Thread-local and nestable (an inner block shares the outer one's records); ``enabled=False`` turns
    detection off inside the block.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def _recreate_cm(self) -> detect_anomaly:  # a fresh instance per decorated call (re-entrant)
        return type(self)(self.enabled)

    def __enter__(self) -> detect_anomaly:
        # what to restore goes on a per-thread stack, not on the instance: one instance may be entered twice,
        # nested or from two threads at once, and each exit restores exactly what its own entry replaced
        prev = engine._mode.anomaly
        if self.enabled:
            engine._mode.anomaly = prev if prev is not None else _Detector()
        else:
            engine._mode.anomaly = None
        _saved_stack().append((prev, self.enabled and prev is None))
        return self

    def __exit__(self, *exc: object) -> None:
        prev, own = _saved_stack().pop()
        if own:
            engine._mode.anomaly.sites.clear()
        engine._mode.anomaly = prev


_local = threading.local()


def _saved_stack() -> list:
    """This thread's stack of (detector to restore, whether this block made its own detector)."""
    stack = getattr(_local, "saved", None)
    if stack is None:
        stack = _local.saved = []
    return stack


def is_anomaly_enabled() -> bool:
    """True inside :func:`detect_anomaly` (in this thread)."""
    return engine._mode.anomaly is not None
