"""Backpropagation as a program: record a computation once, print it, and replay it without the bookkeeping.

>>> from autograd import Tensor, compile, trace
>>> w = Tensor([3.0, -2.0], requires_grad=True, label="w")
>>> def neuron(x):
...     return (x @ w + 1.0).sigmoid()
>>> program = trace(neuron, Tensor([-1.0, 2.0]))
>>> print(program)
def neuron(x, w):
    # forward
    t1 = x @ w            # ()       float64  matmul
    t2 = t1 + 1.0         # ()       float64  add
    t3 = sigmoid(t2)      # ()       float64  sigmoid
    return t3
    # backward of t3 (when .backward() is called on it)
    d_t3 = 1
    d_t2 = d_t3 * (sigmoid(t2) * (1 - sigmoid(t2)))  # t3 = sigmoid(t2)
    d_t1 = d_t2                                      # t2 = t1 + 1.0
    d_w = x^T @ d_t1                                 # t1 = x @ w
    w.grad += d_w                                    # accumulate, as backward() does
>>> step = compile(neuron)                          # autograd.compile: traces now, replays afterwards
>>> y = step(Tensor([0.5, 0.5]))
>>> y.backward()
>>> [round(float(v), 6) for v in w.grad]            # dy/dw = g'(z) x
[0.074573, 0.074573]

**Tracing** runs ``f`` once, eagerly, on the example arguments and writes down what the engine did: every node
made (the forward Wengert list, in the order the nodes were made) and, for each root, the backward program the
engine runs: :func:`~autograd.engine.topological_order` reversed, one vector-Jacobian product per edge with the
op's registered rule, accumulation where several consumers feed one gradient, ``unbroadcast`` and dtype casts
where the engine makes them. Everything comes from the op registry (each op's ``forward``, ``backward``,
``formula``, ``symbol``); this module has no table of its own. Tensor arguments that do not require grad are
recorded too (they are the program's inputs), and masks from Tensor comparisons (``x > 0``) are recomputed, so
``autograd.where(x > 0, a, b)`` replays correctly.

**Compiling** turns the program into Python source over raw numpy arrays and ``exec`` s it: a straight-line
function in which each op's numeric forward and backward rules are bound as locals and constants are pre-bound.
No nodes are made, no graph is walked, no dict buffer is filled: that per-node bookkeeping is what a compiled
call saves. The design of a compiled *training step*:

* ``loss.backward()`` inside ``f`` is recorded as an event; the replay runs the straight-line backward there and
  adds each leaf's gradient to its ``.grad`` with the engine's own ``_store_grad`` (so gradients accumulate
  exactly as ``backward()`` leaves them; nn optimizers read them unchanged).
* The optimizer's update is in-place numpy on ``.data``, which a graph cannot record. Functions marked
  :func:`eager` (the nn optimizers' ``step`` and ``zero_grad``, and ``zero_grad`` of a Value or Tensor) are
  recorded as *calls*: the replay calls them again, at the point where they ran, on every call. Parameters
  (leaves that require grad and are not arguments) are read from ``.data`` afresh after each such call.
* Any other Python side effect of ``f`` (a print, appending to a list) happens once, while tracing, as in
  ``jax.jit``. Reading an *argument's* ``.data`` outside the recorded ops is an error (its numbers would be
  frozen into the program: ``cross_entropy`` reads its labels so); other values read outside the ops (an
  intermediate's ``.data``, work inside ``no_grad``) are constants of the program, and randomness drawn while
  tracing (a dropout mask) is replayed unchanged. So is a Python number read from a closure or a global (as in
  ``jax.jit``): change it and the program does not see it; pass it as a Tensor argument instead. Tensor leaves
  outside the arguments are read afresh on every call, and ``compile`` retraces when a parameter's shape, dtype or
  requires-grad flag changes, or a constant leaf's ``.data`` is replaced or starts requiring grad.
* Outputs are returned as nodes of one fused op whose backward rule is the compiled backward program, so
  ``loss = compiled(x); loss.backward()`` outside works too and lands in ``.grad`` through the engine itself.

Where we differ from PyTorch/JAX: like ``jax.jit`` (and unlike ``torch.compile``, which falls back to Python),
Python control flow on traced values is an error (:class:`TraceError`) that names your line; use
``autograd.where`` or run that function eagerly. A compiled call keeps no ``.grad`` on intermediate nodes and
supports first-order gradients only (``create_graph=True`` raises).
"""

from __future__ import annotations

import collections
import collections.abc
import functools
import html
import inspect
import linecache
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import engine
from .engine import Node, Op, topological_order
from .ops import ArrayMath, FloatMath
from .tensor import Tensor
from .value import Constant, Value

__all__ = ["trace", "compile", "Program", "Compiled", "TraceError", "eager"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_tls = threading.local()  # .tracer: the Tracer recording in this thread (None when not tracing)


class TraceError(RuntimeError):
    """Something a traced program cannot record (Python control flow on traced values, create_graph, ...)."""


def _user_line() -> str:
    """``file:line: code`` of the innermost frame outside the autograd package (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame = frame.f_back
    if frame is None:  # pragma: no cover - always called from user code
        return "<unknown>"
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {code}"


# --------------------------------------------------------------------------------------------------------------
# While tracing: guards on control flow, recording of backward() and of eager calls
# --------------------------------------------------------------------------------------------------------------


def _tracer() -> Any:
    return getattr(_tls, "tracer", None)


def _control_flow(what: str) -> Callable:
    """A replacement for ``Tensor.__bool__`` and friends that raises while tracing a value of the program."""

    def guard(self: Any, *args: Any) -> Any:
        tracer = _tracer()
        if tracer is not None and not tracer.in_eager and tracer.is_traced(self):
            raise TraceError(
                f"{what} of a traced {type(self).__name__} while tracing {tracer.name!r}, at\n    {_user_line()}\n"
                "A compiled function is recorded once and replayed, so Python cannot branch on its values. Use "
                "autograd.where(cond, a, b) to select by value, return the value and inspect it outside, or run "
                "this function eagerly (without autograd.compile)."
            )
        return _ORIGINAL[(guard._cls, what)](self, *args)

    return guard


def _traced_backward(self: Node, grad: Any = None, *, create_graph: bool = False) -> None:
    tracer = _tracer()
    if tracer is not None and not tracer.in_eager:
        tracer.record_backward(self, grad, create_graph)
    return _ORIGINAL[(Node, "backward")](self, grad, create_graph=create_graph)


def _traced_compare(self: Tensor, other: Any, fn: Any) -> Tensor:
    out = _ORIGINAL[(Tensor, "_compare")](self, other, fn)
    tracer = _tracer()
    if tracer is not None and not tracer.in_eager:
        tracer.record_mask(out, fn, (self, other))
    return out


def _traced_invert(self: Tensor) -> Tensor:
    out = _ORIGINAL[(Tensor, "__invert__")](self)
    tracer = _tracer()
    if tracer is not None and not tracer.in_eager:
        tracer.record_mask(out, np.logical_not, (self,))
    return out


def eager(fn: Callable) -> Callable:
    """Mark ``fn`` as a call a compiled function repeats on every call (an optimizer's ``step``, ``zero_grad``).

    Outside tracing it is ``fn`` itself (one thread-local lookup more). While tracing, the call is recorded (with
    its arguments, which must not be traced values) and run; the replay calls it again at the same point.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tracer = getattr(_tls, "tracer", None)
        if tracer is None or tracer.in_eager:
            return fn(*args, **kwargs)
        return tracer.record_eager(fn, args, kwargs)

    wrapper.__wrapped_eager__ = fn
    return wrapper


def _zero_grad_of(cls: type) -> Callable:
    original = cls.zero_grad

    def zero_grad(self: Node) -> None:
        tracer = _tracer()
        if tracer is not None and not tracer.in_eager:
            return tracer.record_eager(original, (self,), {})
        return original(self)

    return zero_grad


_ORIGINAL: dict[tuple[type, str], Any] = {}
_OWN: dict[tuple[type, str], bool] = {}
_patch_lock = threading.Lock()
_patch_count = 0


def _patches() -> list[tuple[type, str, Any]]:
    out: list[tuple[type, str, Any]] = [
        (Node, "backward", _traced_backward),
        (Tensor, "_compare", _traced_compare),
        (Tensor, "__invert__", _traced_invert),
        (Tensor, "zero_grad", _zero_grad_of(Tensor)),
        (Value, "zero_grad", _zero_grad_of(Value)),
    ]
    guards = [(Tensor, n) for n in ("__bool__", "__float__", "__int__", "__index__", "item")]
    guards += [(Value, n) for n in ("__float__", "item", "__lt__", "__le__", "__gt__", "__ge__", "__int__")]
    for cls, name in guards:
        if not hasattr(cls, name):
            continue
        g = _control_flow(name)
        g._cls = cls
        out.append((cls, name, g))
    return out


def _install() -> None:
    """Swap in the tracing hooks (once for all threads; each hook acts only in a thread that is tracing)."""
    global _patch_count
    with _patch_lock:
        _patch_count += 1
        if _patch_count > 1:
            return
        for cls, name, new in _patches():
            _ORIGINAL[(cls, name)] = getattr(cls, name)
            _OWN[(cls, name)] = name in cls.__dict__
            setattr(cls, name, new)


def _uninstall() -> None:
    global _patch_count
    with _patch_lock:
        _patch_count -= 1
        if _patch_count:
            return
        for (cls, name), old in _ORIGINAL.items():
            if _OWN[(cls, name)]:
                setattr(cls, name, old)
            else:
                delattr(cls, name)  # it was inherited: inherit it again
        # _ORIGINAL is kept: another thread may be inside a hook fetched just before this uninstall, and the hook
        # looks its original up there (clearing it made float(v) in that thread raise KeyError)


class _Mask(np.ndarray):
    """A boolean array computed by a Tensor comparison while tracing; remembers how (``recipe``)."""

    recipe: Any = None

    def __array_finalize__(self, obj: Any) -> None:
        self.recipe = getattr(obj, "recipe", None)


class _Tracer:
    """Records one call of ``f``: nodes in the order they are made, masks, backward() calls and eager calls.

    It is installed as the engine's per-thread observer (``engine._mode.anomaly``: ``forward(node)`` for every
    node made, ``backward(node, g, grads)`` for every backward step), and passes both on to an anomaly detector
    that was already active.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.made: list[Node] = []  # op nodes, in the order they were made
        self.masks: dict[int, tuple] = {}  # id(mask tensor) -> (mask tensor, fn, operands, position)
        self.events: list[tuple] = []  # ("backward", position, root, seed) / ("eager", position, fn, args, kwargs)
        self.in_eager = 0
        self.prev: Any = None
        self.recording = None  # (anomaly protocol)

    # -- the engine's observer protocol -------------------------------------------------------------------
    def forward(self, node: Node) -> None:
        self.made.append(node)
        if self.prev is not None:
            self.prev.forward(node)

    def backward(self, node: Node, g: Any, grads: Any) -> None:
        if self.prev is not None:
            self.prev.backward(node, g, grads)

    # -- what the hooks report ----------------------------------------------------------------------------
    def is_traced(self, node: Any) -> bool:
        if isinstance(node, Tensor):
            return bool(node.requires_grad) or id(node) in self.masks
        return isinstance(node, Value) and not isinstance(node, Constant)

    def record_backward(self, root: Node, grad: Any, create_graph: bool) -> None:
        if create_graph:
            raise TraceError(
                f"backward(create_graph=True) while tracing {self.name!r}: compiled programs are first-order. "
                "Run higher-order gradients eagerly."
            )
        if isinstance(grad, Node):
            if self.is_traced(grad):
                raise TraceError(f"backward(grad=...) with a traced seed while tracing {self.name!r}")
            grad = grad.data
        seed = None if grad is None else np.array(grad, dtype=root.data.dtype) if isinstance(root, Tensor) \
            else float(grad)
        self.events.append(("backward", len(self.made), root, seed))

    def record_mask(self, out: Tensor, fn: Any, operands: tuple) -> None:
        if not any(isinstance(o, Node) and self.is_traced(o) for o in operands):
            return  # a comparison of constants is a constant
        out.data = out.data.view(_Mask)
        out.data.recipe = (fn, operands)
        self.masks[id(out)] = (out, fn, operands, len(self.made))

    def record_eager(self, fn: Callable, args: tuple, kwargs: dict) -> Any:
        # an iterator (a generator of parameters) would be used up by this call and empty on every replay
        args = tuple(list(a) if isinstance(a, collections.abc.Iterator) else a for a in args)
        kwargs = {k: list(a) if isinstance(a, collections.abc.Iterator) else a for k, a in kwargs.items()}
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, Node) and a._fn is not None:
                raise TraceError(f"{getattr(fn, '__qualname__', fn)}: called on a traced value while tracing "
                                 f"{self.name!r}; eager calls take parameters, models or optimizers")
        self.events.append(("eager", len(self.made), fn, args, kwargs))
        self.in_eager += 1
        try:
            return fn(*args, **kwargs)
        finally:
            self.in_eager -= 1


# --------------------------------------------------------------------------------------------------------------
# The program
# --------------------------------------------------------------------------------------------------------------

_OPERATORS = {"+", "-", "*", "/", "@", "**"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Line:
    """One forward line: ``name = op(args)`` (or a mask ``name = fn(args)``)."""

    __slots__ = ("name", "op", "fn", "args", "ctx", "shape", "dtype", "rg", "node", "needs")

    def __init__(self, name, op, fn, args, ctx, shape, dtype, rg, node) -> None:
        self.name, self.op, self.fn, self.args, self.ctx = name, op, fn, args, ctx
        self.shape, self.dtype, self.rg, self.node = shape, dtype, rg, node
        self.needs = None


class _Slot:
    """An input or a parameter of the program."""

    __slots__ = ("name", "node", "kind", "shape", "dtype", "rg", "index")

    def __init__(self, name, node, kind, shape, dtype, rg, index) -> None:
        self.name, self.node, self.kind, self.shape, self.dtype, self.rg, self.index = (
            name, node, kind, shape, dtype, rg, index)


class _Edge:
    """One vector-Jacobian product of the backward program: what ``line`` sends to its input ``i``."""

    __slots__ = ("line", "i", "target", "first", "fit", "cast", "copy", "none")

    def __init__(self, line, i, target, first) -> None:
        self.line, self.i, self.target, self.first = line, i, target, first
        self.fit = self.cast = self.copy = self.none = False


class _Backward:
    """The backward program from one root: lines in the engine's order, each with its edges."""

    def __init__(self, root: str, seed: Any, steps: list[tuple[_Line, list[_Edge]]], stores: list[_Slot],
                 seed_name: str | None) -> None:
        self.root, self.seed, self.steps, self.stores, self.seed_name = root, seed, steps, stores, seed_name


class Program:
    """A traced computation: its forward Wengert list and the backward program(s) the engine runs for it.

    ``print(program)`` shows both as code; ``program.source()`` is runnable Python/numpy; ``program(*args)`` runs
    the compiled replay (outputs, and gradients landing in ``.grad`` where ``f`` called ``backward()``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.inputs: list[_Slot] = []  # the arguments that are nodes (traced inputs)
        self.params: list[_Slot] = []  # leaves that require grad and are not arguments
        self.consts: dict[str, Any] = {}  # name -> value bound into the program
        self.lines: list[_Line] = []
        self.events: list[tuple] = []  # ("backward", pos, _Backward) / ("eager", pos, fn, args, kwargs)
        self.outputs: list[Any] = []  # output names (str) or constant values
        self.out_kind: str = "single"  # "single", "tuple", "list", "dict", "none"
        self.out_keys: list[str] = []  # a dict's keys, in its order
        self._names: dict[int, str] = {}
        self._lines_by_name: dict[str, _Line] = {}
        self._slots_by_name: dict[str, _Slot] = {}
        self._masks: dict[int, str] = {}  # id(mask recipe) -> the name of its line
        self._output_backward: dict[int, _Backward] = {}
        self._fn: Callable | None = None
        self._bwd_fns: dict[int, Callable] = {}
        self._fused: dict[int, Op] = {}
        self.leaves: list[_Slot] = []
        self._frozen: list[tuple[Node, Any]] = []  # leaves outside f bound as constants, with the data bound

    # -- naming -------------------------------------------------------------------------------------------
    def _ref(self, x: Any) -> str:
        """The program's name for a node, a mask or a constant (binding a new constant if needed)."""
        if isinstance(x, Node):
            name = self._names.get(id(x))
            if name is not None:
                return name
            data = x.data
            if isinstance(data, _Mask) and data.recipe is not None:
                raise TraceError(f"a mask computed while tracing {self.name!r} was used before it was recorded")
            return self._const(data)
        if isinstance(x, _Mask) and x.recipe is not None:
            return self._mask_name(x)
        return self._const(x)

    def _const(self, value: Any) -> str:
        if value.__class__ is float and math.isfinite(value):
            return repr(value)  # a Value's constant is written as a literal (repr round-trips a float exactly)
        name = f"c{len(self.consts) + 1}"
        self.consts[name] = value
        return name

    def _mask_name(self, mask: _Mask) -> str:
        known = self._masks.get(id(mask.recipe))  # where() copies its condition: the copy shares the recipe
        if known is not None:
            return known
        fn, operands = mask.recipe  # (not reached for masks made by comparisons, which are recorded first)
        line = _Line(f"m{len(self._masks) + 1}", None, fn, [self._ref(o) for o in operands], None, mask.shape,
                     mask.dtype, False, Tensor(np.asarray(mask)))
        self._add_mask(line, mask.recipe)
        return line.name

    def _add_mask(self, line: _Line, recipe: tuple) -> None:
        """Append a mask line, indexed by its recipe (a lookup per use, not a scan of the lines: a program of
        10^5 comparisons traces in linear time)."""
        self.lines.append(line)
        self._lines_by_name[line.name] = line
        self._masks[id(recipe)] = line.name

    def _ctx(self, ctx: Any) -> Any:
        """A ctx to bind: masks inside it become references to their lines (recomputed on every call)."""
        if isinstance(ctx, _Mask) and ctx.recipe is not None:
            return _Ref(self._mask_name(ctx))
        if isinstance(ctx, tuple) and any(isinstance(c, _Mask) and c.recipe is not None for c in ctx):
            raise TraceError(f"an index computed from traced values while tracing {self.name!r}: its result's shape "
                             "depends on the values; compute it with autograd.where, or run eagerly")
        return ctx

    # -- reading ------------------------------------------------------------------------------------------
    @property
    def is_value(self) -> bool:
        slots = self.inputs + self.params
        return bool(slots) and slots[0].kind == "value"

    def backward_programs(self) -> list[_Backward]:
        return [e[2] for e in self.events if e[0] == "backward"]

    def __repr__(self) -> str:
        return self.text()

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The program as code: the forward lines, each backward program where ``f`` called ``backward()`` (one
        line per vector-Jacobian product), eager calls where they ran, and the return."""
        args = ", ".join(s.name for s in self.inputs + self.params)
        out = [f"def {self.name}({args}):", "    # forward"]
        width = max([len(self._show_line(ln)) for ln in self.lines] + [20]) + 2
        for e, line in self._in_order():
            if line is not None:
                shape = str(line.shape) if line.shape else "()"
                what = line.op.name if line.op is not None else "mask"
                out.append(f"    {self._show_line(line):<{width}}# {shape:<8} {line.dtype}  {what}")
            elif e[0] == "backward":
                out.extend(self._show_backward(e[2]))
            else:
                out.append(f"    {_call_name(e[2], e[3])}            # runs on every call")
        out.append(f"    return {self._show_outputs()}")
        if not self.backward_programs() and 0 in self._output_backward:
            out.extend(self._show_backward(self._output_backward[0], "when .backward() is called on it"))
        return "\n".join(out)

    def _in_order(self) -> Iterator[tuple[Any, _Line | None]]:
        """The program in the order it ran: ``(event, None)`` for a ``backward()`` or eager call made before
        forward line i, ``(None, line)`` for each forward line. Printing and code generation both read this."""
        events = sorted(self.events, key=lambda e: e[1])
        k = 0
        for i in range(len(self.lines) + 1):
            while k < len(events) and events[k][1] <= i:
                yield events[k], None
                k += 1
            if i < len(self.lines):
                yield None, self.lines[i]

    def _show_outputs(self) -> str:
        shown = [o if isinstance(o, str) else repr(o) for o in self.outputs]
        if self.out_kind == "none":
            return "None"
        if self.out_kind == "dict":
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.out_keys, shown)) + "}"
        return shown[0] if self.out_kind == "single" else ", ".join(shown)

    def _show_arg(self, ref: str) -> str:
        v = self.consts.get(ref)
        if v is None:
            return ref
        if isinstance(v, float) or (isinstance(v, np.ndarray) and v.size == 1):
            return repr(float(v) if isinstance(v, float) else v.item())
        return ref

    def _show_line(self, line: _Line) -> str:
        args = [self._show_arg(a) for a in line.args]
        if line.op is None:
            return f"{line.name} = {getattr(line.fn, '__name__', line.fn)}({', '.join(args)})"
        sym = line.op.symbol
        if len(args) == 2 and sym in _OPERATORS and line.ctx is None:
            return f"{line.name} = {args[0]} {sym} {args[1]}"
        ctx = "" if line.ctx is None else f"; {_short(line.ctx)}"
        return f"{line.name} = {line.op.name}({', '.join(args)}{ctx})"

    def _show_backward(self, b: _Backward, note: str = "") -> list[str]:
        seed = "1" if b.seed_name is None else "seed"
        out = [f"    # backward of {b.root}" + (f" ({note})" if note else ""), f"    d_{b.root} = {seed}"]
        rows = []
        for line, edges in b.steps:
            formulas = line.op.formula
            letters = ("x",) if len(line.args) == 1 else ("a", "b") if len(line.args) == 2 else ()
            shown = {c: self._show_arg(a) for c, a in zip(letters, line.args)}  # Op.describe's letters
            for e in edges:
                f = formulas[min(e.i, len(formulas) - 1)]
                if shown:
                    f = re.sub(r"\b[abx]\b", lambda m, s=shown: s.get(m.group(0), m.group(0)), f)
                up = f"d_{line.name}"
                if re.search(r"\bg\b", f):
                    expr = re.sub(r"\bg\b", up, f)  # a formula of the upstream gradient g (matrix ops)
                else:  # a local derivative: upstream times it
                    expr = up if f == "1" else f"{up} * {f}" if re.fullmatch(r"-?[\w.]+", f) else f"{up} * ({f})"
                if e.fit:
                    expr = f"unbroadcast({expr}, {self._shape_of(e.target)})"
                if e.cast:
                    expr = f"({expr}).astype({self._dtype_of(e.target)})"
                rows.append((f"d_{e.target} {'=' if e.first else '+='} {expr}", self._show_line(line)))
        for s in b.stores:
            rows.append((f"{s.name}.grad += d_{s.name}", "accumulate, as backward() does"))
        width = max([len(r[0]) for r in rows] + [40]) + 2
        out += [f"    {a:<{width}}# {c}" if c else f"    {a}" for a, c in rows]
        return out

    def _shape_of(self, name: str) -> tuple:
        x = self._lines_by_name.get(name) or self._slots_by_name.get(name)
        return x.shape

    def _dtype_of(self, name: str) -> Any:
        x = self._lines_by_name.get(name) or self._slots_by_name.get(name)
        return x.dtype

    def _repr_html_(self) -> str:
        text = self.text()
        cut = text.find("    # backward")
        fwd, bwd = (text, "") if cut < 0 else (text[:cut], text[cut:])
        cell = "<td style='vertical-align:top;text-align:left'><pre style='margin:0'>{}</pre></td>"
        return ("<table><tr><th style='text-align:left'>forward</th><th style='text-align:left'>backward</th></tr>"
                f"<tr>{cell.format(html.escape(fwd))}{cell.format(html.escape(bwd))}</tr></table>")

    # -- code ---------------------------------------------------------------------------------------------
    def source(self) -> str:
        """Runnable Python/numpy source of ``def <name>(inputs..., params...) -> (outputs, gradients)``.

        ``gradients`` maps each input and parameter that requires grad to d(root)/d(it), for the first
        ``backward()`` the function called (or, if it called none, for its first output, seeded with ones).
        Each line calls the op's registered forward or backward rule on numpy arrays (``F`` is the math
        namespace the engine hands the rules). Constants are written as literals.
        """
        lines = ["import numpy as np", "", "from autograd.engine import REGISTRY, unbroadcast",
                 f"from autograd.ops import {'FloatMath' if self.is_value else 'ArrayMath'} as F", ""]
        for op in sorted({ln.op.name for ln in self.lines if ln.op is not None}):
            lines.append(f"{_opvar(op)} = REGISTRY[{op!r}]")
        for fn in sorted({_fnvar(ln.fn) for ln in self.lines if ln.fn is not None}):
            lines.append(f"{fn} = np.{fn[3:]}")
        for name, value in self.consts.items():
            lines.append(f"{name} = {_literal(value)}")
        for ln in self.lines:
            if ln.op is not None and ln.ctx is not None and not isinstance(ln.ctx, _Ref):
                lines.append(f"ctx_{ln.name} = {_literal(ln.ctx)}")
        lines.append("")
        lines += self._code(mode="source")
        return "\n".join(lines) + "\n"

    def _code(self, mode: str) -> list[str]:
        """The function's source. ``mode`` 'source': a standalone function of arrays returning (outputs, grads);
        'replay': a function of the argument nodes that stores gradients into ``.grad`` and returns the outputs
        and the saved forward values."""
        slots = self.inputs + self.params
        body: list[str] = []
        if mode == "source":
            head = f"def {self.name}({', '.join(s.name for s in slots)}):"
        else:
            head = f"def {self.name}({', '.join('_n_' + s.name for s in self.inputs)}):"
            for s in self.inputs:
                body.append(f"{s.name} = _n_{s.name}.data")
            for s in self.params:
                body.append(f"{s.name} = _p_{s.name}.data")
        eager = {id(x): i for i, x in enumerate(x for x in self.events if x[0] == "eager")}  # (by identity)
        for e, line in self._in_order():
            if line is not None:
                body.append(self._forward_code(line, mode))
            elif e[0] == "backward":
                body.extend(self._backward_code(e[2], mode))
            elif mode == "replay":
                body.append(f"_eager{eager[id(e)]}()")
                for s in self.params:  # an eager call may have replaced or changed a parameter's data
                    body.append(f"{s.name} = _p_{s.name}.data")
            else:
                body.append(f"# {_call_name(e[2], e[3])} ran here")
        if mode == "source" and not self.backward_programs() and 0 in self._output_backward:
            body.extend(self._backward_code(self._output_backward[0], mode))
        if mode == "source":
            outs = [o if isinstance(o, str) else _literal(o) for o in self.outputs]
            grads = self._source_grads()
            shown = {"none": "None", "single": outs[0] if outs else "None",
                     "dict": "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.out_keys, outs)) + "}"}.get(
                self.out_kind, "(" + ", ".join(outs) + ("," if len(outs) == 1 else "") + ")")
            body.append(f"return {shown}, {{{', '.join(f'{n!r}: {n2}' for n, n2 in grads)}}}")
        else:
            saved = ", ".join(self._saved_names())
            outs = ", ".join(o if isinstance(o, str) else "None" for o in self.outputs)
            body.append(f"return ({outs}{',' if self.outputs else ''}), ({saved}{',' if saved else ''})")
        return [head] + ["    " + b for b in body]

    def _source_grads(self) -> list[tuple[str, str]]:
        bs = self.backward_programs()
        b = bs[0] if bs else self._output_backward.get(0)
        if b is None:
            return []
        return [(s.name, f"d_{s.name}") for s in b.stores]

    def _saved_names(self) -> list[str]:
        return [s.name for s in self.inputs + self.params] + [ln.name for ln in self.lines]

    def _forward_code(self, line: _Line, mode: str) -> str:
        if line.op is None:
            return f"{line.name} = {_fnvar(line.fn)}({', '.join(line.args)})"
        ctx = self._ctx_code(line)
        rule = f"{_opvar(line.op.name)}.forward" if mode == "source" else f"fwd_{_opvar(line.op.name)[3:]}"
        return f"{line.name} = {rule}(F, {ctx}, {', '.join(line.args)})"

    def _ctx_code(self, line: _Line) -> str:
        if line.ctx is None:
            return "None"
        if isinstance(line.ctx, _Ref):
            return line.ctx.name
        return f"ctx_{line.name}"

    def _backward_code(self, b: _Backward, mode: str, seed_arg: str | None = None) -> list[str]:
        """The backward program as code: the seed, then per node its rule (one call, all its inputs' VJPs),
        then per edge the engine's unbroadcast / cast / copy and the accumulation into the input's gradient."""
        val = self.is_value
        root = self._lines_by_name.get(b.root) or self._slots_by_name[b.root]
        out = []
        if seed_arg is not None:
            out.append(f"d_{b.root} = {seed_arg}")
        elif b.seed_name is not None:
            out.append(f"d_{b.root} = {b.seed_name}" + ("" if val else ".copy()"))
        elif val:
            out.append(f"d_{b.root} = 1.0")
        else:
            out.append(f"d_{b.root} = np.ones({root.shape!r}, dtype=np.{root.dtype})")
        for line, edges in b.steps:
            ctx = self._ctx_code(line)
            names = [_slot_name(i, edges, direct=mode != "source") for i in range(len(line.args))]
            lhs = ", ".join(names) + ("," if len(line.args) == 1 else "")
            args = f"F, {ctx}, d_{line.name}, {line.name}, {', '.join(line.args)}"
            rule = f"{_opvar(line.op.name)}.backward" if mode == "source" else f"bwd_{_opvar(line.op.name)[3:]}"
            if val and mode != "source":
                call = f"_rule({_opvar(line.op.name)}, F, {ctx}, d_{line.name}, {line.name}, [{', '.join(line.args)}])"
            elif line.op.selective and not val:
                call = f"{rule}({args}, needs={line.needs!r})"
            else:
                call = f"{rule}({args})"
            out.append(f"{lhs} = {call}")
            for e in edges:
                g = names[e.i]
                if g.startswith("d_"):
                    continue
                if e.fit:
                    out.append(f"{g} = unbroadcast({g}, {self._shape_of(e.target)!r})")
                if e.cast:
                    out.append(f"{g} = {g}.astype(np.{self._dtype_of(e.target)})")
                elif e.copy:
                    out.append(f"{g} = {g}.copy()")
                out.append(f"d_{e.target} = {g}" if e.first else f"d_{e.target} = d_{e.target} + {g}")
        if mode == "replay":
            for s in b.stores:
                node = f"_n_{s.name}" if s.index >= 0 else f"_p_{s.name}"
                out.append(f"_store({node}, d_{s.name})")
        if mode != "source" and not val:  # numpy's 0 * inf warnings silenced, as the engine does
            out = ["with _quiet():"] + ["    " + x for x in out]
        return [f"# backward of {b.root}"] + out

    # -- compiling ----------------------------------------------------------------------------------------
    def _namespace(self) -> dict[str, Any]:
        ns: dict[str, Any] = {"np": np, "F": FloatMath if self.is_value else ArrayMath,
                              "unbroadcast": engine.unbroadcast, "_rule": _value_rule,
                              "_quiet": Tensor._quiet}
        for line in self.lines:
            if line.op is not None:
                ns[_opvar(line.op.name)] = line.op
                ns["fwd_" + _opvar(line.op.name)[3:]] = line.op.forward
                ns["bwd_" + _opvar(line.op.name)[3:]] = line.op.backward
                if line.ctx is not None and not isinstance(line.ctx, _Ref):
                    ns[f"ctx_{line.name}"] = line.ctx
            else:
                ns[_fnvar(line.fn)] = line.fn
        ns.update(self.consts)
        for s in self.params:
            ns[f"_p_{s.name}"] = s.node
        ns["_store"] = (Value if self.is_value else Tensor)._store_grad
        for i, e in enumerate([x for x in self.events if x[0] == "eager"]):
            fn, args, kwargs = e[2], e[3], e[4]
            ns[f"_eager{i}"] = functools.partial(fn, *args, **kwargs)
        return ns

    def _compile(self) -> Callable:
        if self._fn is None:
            ns = self._namespace()
            code = "\n".join(_as_locals(self._code(mode="replay"), ns))
            exec(compile_(code, f"<compiled {self.name}>", "exec"), ns)  # noqa: S102 - our own generated code
            self._fn = ns[self.name]
            self._code_text = code
        return self._fn

    def _backward_fn(self, k: int) -> Callable:
        """The compiled backward program of output ``k``: ``fn(saved, seed) -> grads of every leaf slot``."""
        fn = self._bwd_fns.get(k)
        if fn is None:
            b = self._output_backward[k]
            saved = ", ".join(self._saved_names())
            body = ["def _bwd(_saved, _seed):", f"    ({saved}{',' if saved else ''}) = _saved"]
            body += ["    " + x for x in self._backward_code(b, "output", seed_arg="_seed")]
            rets = [f"d_{s.name}" if s in b.stores else "None" for s in self.leaves]
            body.append(f"    return ({', '.join(rets)}{',' if rets else ''})")
            ns = self._namespace()
            body = _as_locals(body, ns)
            exec(compile_("\n".join(body), f"<backward of {self.name}[{k}]>", "exec"), ns)  # noqa: S102
            fn = self._bwd_fns[k] = ns["_bwd"]
        return fn

    def __call__(self, *args: Any) -> Any:
        """Replay the program on new arguments of the same kinds, shapes, dtypes and requires-grad flags as the
        traced ones (anything else is a TypeError: :func:`compile` retraces for new signatures instead). Other
        arguments were constants of the trace and are ignored."""
        nodes = [Tensor(a) if isinstance(a, np.ndarray) else a for a in args if isinstance(a, (Node, np.ndarray))]
        self._check(nodes)
        stale = self._stale()
        if stale is not None:
            raise TypeError(f"program {self.name!r}: {stale} since it was traced; trace again, or use "
                            "autograd.compile, which retraces")
        outs, saved = self._compile()(*nodes)
        return self._wrap(outs, saved, nodes)

    def _stale(self) -> str | None:
        """Why the program no longer describes the leaves it reads outside its arguments, or None: a parameter
        whose shape, dtype or requires_grad changed (the unbroadcasting, casts and stores are fixed), or a leaf
        that was bound as a constant and now requires grad (unfrozen: it would get no gradient) or holds another
        array (replaced ``.data``: the program would read the old one)."""
        for s in self.params:
            n = s.node
            if not n.requires_grad:
                return f"parameter {s.name} no longer requires grad"
            if s.kind == "tensor" and (n.data.shape != s.shape or n.data.dtype != s.dtype):
                return (f"parameter {s.name} changed from {s.shape} {s.dtype} to {n.data.shape} {n.data.dtype}")
        for n, data in self._frozen:
            if n.requires_grad:
                return f"{n.label or 'a constant leaf'} now requires grad"
            if n.data is not data:
                return f"the data of {n.label or 'a constant leaf'} was replaced"
        return None

    def _check(self, nodes: list[Node]) -> None:
        """Refuse arguments the program was not traced for: its shapes, dtypes, unbroadcasting and gradient
        stores are fixed, so a replay on others would give wrong numbers or a numpy error from deep inside."""
        def sig(kind: str, shape: Any, dtype: Any, rg: bool) -> str:
            if kind == "value":
                return "a Value" if rg else "a Constant"
            return f"a Tensor of shape {tuple(shape)}, {np.dtype(dtype)}, requires_grad={rg}"

        if len(nodes) != len(self.inputs):
            raise TypeError(f"program {self.name!r}: traced with {len(self.inputs)} Value/Tensor argument(s), "
                            f"called with {len(nodes)}")
        for s, a in zip(self.inputs, nodes):
            kind = "value" if isinstance(a, Value) else "tensor"
            rg = not isinstance(a, Constant) and (kind == "value" or bool(a.requires_grad))
            shape, dtype = ((), "float64") if kind == "value" else (a.data.shape, a.data.dtype)
            if (kind, tuple(shape), np.dtype(dtype), rg) != (s.kind, tuple(s.shape), np.dtype(s.dtype), s.rg):
                raise TypeError(f"program {self.name!r}: argument {s.name} was traced as "
                                f"{sig(s.kind, s.shape, s.dtype, s.rg)}, got {sig(kind, shape, dtype, rg)}; "
                                "trace again for these arguments, or use autograd.compile, which retraces")

    def _wrap(self, outs: tuple, saved: tuple, nodes: list[Node]) -> Any:
        results = []
        leaves = None
        for k, (o, ref) in enumerate(zip(outs, self.outputs)):
            if not isinstance(ref, str):
                results.append(ref)
                continue
            if k in self._output_backward and engine.is_grad_enabled():
                if leaves is None:
                    leaves = tuple(nodes[s.index] if s.index >= 0 else s.node for s in self.leaves)
                op = self._fused.get(k)
                if op is None:
                    op = self._fused[k] = self._fused_op(k)
                results.append(_fused_node(op, leaves, (o, saved), self.is_value))
            elif self.is_value:
                results.append(Constant(o))
            else:
                results.append(Tensor(o))
        if self.out_kind == "none":
            return None
        if self.out_kind == "single":
            return results[0]
        if self.out_kind == "dict":
            return dict(zip(self.out_keys, results))
        return tuple(results) if self.out_kind == "tuple" else results

    def _traced_values(self) -> tuple[tuple, tuple]:
        """The outputs and saved values of the traced call itself (what a replay returns)."""
        values = {s.name: s.node.data for s in self.inputs + self.params}
        values.update({ln.name: ln.node.data for ln in self.lines if ln.node is not None})
        values.update(self.consts)
        outs = tuple((values[o] if o in values else float(o)) if isinstance(o, str) else None for o in self.outputs)
        return outs, tuple(values[n] for n in self._saved_names())

    def _fused_op(self, k: int) -> Op:
        program = self

        def backward(F: Any, ctx: Any, g: Any, out: Any, *xs: Any) -> tuple:
            if F is not ArrayMath and F is not FloatMath:
                raise TraceError(f"compiled {program.name!r}: backward(create_graph=True) is not supported "
                                 "(compiled programs are first-order); call the function eagerly")
            return program._backward_fn(k)(ctx[1], g)

        return Op(f"compiled {self.name}[{k}]", arity=-1, forward=lambda F, ctx, *xs: ctx[0], backward=backward,
                  formula=(f"the backward program of {self.name}",), doc="print(compiled.programs) shows it")


compile_ = compile  # the builtin, before this module's compile() shadows it


def _slot_name(i: int, edges: list[_Edge], direct: bool) -> str:
    """Where a rule's gradient for input ``i`` goes: ``_`` (not needed), straight into ``d_<input>`` (its first
    gradient, nothing to fit, cast or copy), or a temporary ``_g<i>``."""
    e = next((x for x in edges if x.i == i), None)
    if e is None:
        return "_"
    if direct and e.first and not (e.fit or e.cast or e.copy) and sum(x.target == e.target for x in edges) == 1:
        return f"d_{e.target}"
    return f"_g{i}"


def _as_locals(code: list[str], ns: dict[str, Any]) -> list[str]:
    """Make every name of ``ns`` that the function uses a keyword-only default: locals are read faster than
    globals (the replay of a long program reads one per operation)."""
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(code[1:])))
    names = sorted(n for n in ns if n in used and not n.startswith("__"))
    if not names:
        return code
    head = code[0]
    params = head[head.index("(") + 1:head.rindex(")")]
    extra = ", ".join(f"{n}={n}" for n in names)
    sep = ", " if params else ""
    return [f"{head[:head.index('(')]}({params}{sep}*, {extra}):"] + code[1:]


class _Ref:
    """A ctx that is a line of the program (a mask recomputed on every call)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _fused_node(op: Op, leaves: tuple[Node, ...], ctx: Any, is_value: bool) -> Node:
    """An output of a replay: a node of the fused op whose backward rule is the compiled backward program."""
    if not leaves:
        return Constant(ctx[0]) if is_value else Tensor(ctx[0])
    if is_value:
        from .custom import apply

        return apply(op, *leaves, ctx=ctx)
    return Tensor._apply(op, leaves, ctx)  # (custom.apply's checks cost 5x more; these leaves are Tensors)


def _value_rule(op: Op, F: Any, ctx: Any, g: Any, out: Any, xs: list) -> tuple:
    """A Value rule, redone in numpy on a float division by zero (as the engine does)."""
    try:
        return op.backward(F, ctx, g, out, *xs)
    except (ZeroDivisionError, OverflowError):
        return engine.vjp(op, F, ctx, g, out, xs, None)


def _call_name(fn: Any, args: tuple) -> str:
    owner = type(args[0]).__name__ if args else ""
    name = getattr(fn, "__name__", repr(fn))
    return f"{owner}.{name}()" if owner else f"{name}()"


@functools.lru_cache(maxsize=1024)
def _opvar(name: str) -> str:
    return "op_" + re.sub(r"\W", "_", name)


def _fnvar(fn: Any) -> str:
    return "np_" + getattr(fn, "__name__", "fn")


def _short(ctx: Any) -> str:
    if isinstance(ctx, np.ndarray):
        return f"array{ctx.shape}"
    if isinstance(ctx, _Ref):
        return ctx.name
    text = repr(ctx)
    return text if len(text) <= 40 else text[:37] + "..."


def _literal(v: Any) -> str:
    """Python source that evaluates to ``v`` (numbers, tuples, None, slices, dtypes, numpy arrays)."""
    if isinstance(v, _Ref):
        return v.name
    if isinstance(v, (bool, int, str, type(None))) or v is Ellipsis:
        return repr(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else f"float({str(v)!r})"
    if isinstance(v, (tuple, list)):
        inner = ", ".join(_literal(x) for x in v)
        if isinstance(v, tuple):
            return f"({inner}{',' if len(v) == 1 else ''})"
        return f"[{inner}]"
    if isinstance(v, slice):
        return f"slice({_literal(v.start)}, {_literal(v.stop)}, {_literal(v.step)})"
    if isinstance(v, np.dtype):
        return f"np.dtype({str(v)!r})"
    if isinstance(v, np.generic):
        return f"np.{v.dtype}({_literal(v.item())})"
    if isinstance(v, np.ndarray):
        body = _literal(np.asarray(v).tolist())
        return f"np.array({body}, dtype=np.{v.dtype})"
    raise TraceError(f"source(): cannot write the constant {v!r} as Python source")


# --------------------------------------------------------------------------------------------------------------
# trace
# --------------------------------------------------------------------------------------------------------------


def _arg_names(f: Callable, n: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n):
        p = params[i] if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY,
                                                                 params[i].POSITIONAL_OR_KEYWORD) else None
        names.append(p.name if p is not None else f"arg{i}")
    return names


def _unique(name: str | None, taken: set[str], fallback: str) -> str:
    base = name if name and _IDENT.match(name) and not name.startswith(("d_", "_")) else fallback
    if base in {"np", "F", "unbroadcast"} or base.startswith(("op_", "np_", "ctx_", "c")) and base != name:
        base = fallback
    out, k = base, 1
    while out in taken or keyword_like(out):
        k += 1
        out = f"{base}_{k}"
    taken.add(out)
    return out


def keyword_like(name: str) -> bool:
    import keyword

    return keyword.iskeyword(name) or name in {"np", "F", "unbroadcast", "_store", "_rule"}


_NODE_DATA = Node.__dict__["data"]  # the slot that holds a node's data


def _input_data(self: Node) -> Any:
    """``.data`` of a traced argument: the ops of autograd read it; code elsewhere reading it while tracing would
    freeze this call's numbers into the program (they would not change on the next call), so it is an error."""
    caller = sys._getframe(1).f_code.co_filename
    if os.path.dirname(os.path.abspath(caller)) != _HERE:
        tracer = _tracer()
        if tracer is not None and not tracer.in_eager:
            raise TraceError(
                f"the data of an argument of {tracer.name!r} ({type(self).__bases__[0].__name__} of "
                f"{getattr(_NODE_DATA.__get__(self), 'shape', ())}) was read outside the recorded "
                f"operations, at\n    {_user_line()}\nIts numbers would be frozen into the compiled program. "
                "Compute with Tensor operations (t.shape, t.dtype are fine), pass the value as a constant "
                "(functools.partial), or run this function eagerly."
            )
    return _NODE_DATA.__get__(self)


def _set_input_data(self: Node, value: Any) -> None:
    _NODE_DATA.__set__(self, value)


class _TensorInput(Tensor):
    """A traced Tensor argument (see :func:`_input_data`)."""

    __slots__ = ()
    data = property(_input_data, _set_input_data)


class _ValueInput(Value):
    __slots__ = ()
    data = property(_input_data, _set_input_data)


class _ConstantInput(Constant):
    __slots__ = ()
    data = property(_input_data, _set_input_data)


def _traced_copy(x: Any) -> Node:
    """A fresh leaf for argument ``x``: for a Tensor one that requires grad, so every op on it is recorded."""
    if isinstance(x, Value):
        v = (_ConstantInput if isinstance(x, Constant) else _ValueInput)(x.data, label=x.label)
        return v
    t = _TensorInput(x.data)
    _NODE_DATA.__set__(t, x.data)  # the very array (the constructor may convert)
    t.requires_grad = True
    t.label = x.label
    return t


def trace(f: Callable, *example_args: Any) -> Program:
    """Run ``f(*example_args)`` once and return its :class:`Program`.

    Arguments that are Values or Tensors (numpy arrays become Tensors) are the program's inputs; other
    arguments are constants of it. The program's backward part is the backward pass of every
    ``.backward()`` that ``f`` called; if it called none, that of its first output (seeded with ones).
    Tracing has the effects an eager call has: parameters' ``.grad`` accumulate if ``f`` calls backward.
    """
    program, _ = _trace(f, example_args)
    return program


def _trace(f: Callable, args: tuple) -> tuple[Program, Any]:
    name = getattr(f, "__name__", "f")
    name = name if _IDENT.match(name) and not keyword_like(name) else "f"
    args = tuple(Tensor(a) if isinstance(a, np.ndarray) else a for a in args)
    originals = [a for a in args if isinstance(a, Node)]
    copies = {id(a): _traced_copy(a) for a in originals}
    call_args = [copies[id(a)] if isinstance(a, Node) else a for a in args]
    tracer = _Tracer(name)
    _install()
    tracer.prev, engine._mode.anomaly = engine._mode.anomaly, tracer
    outer, _tls.tracer = getattr(_tls, "tracer", None), tracer
    try:
        with engine.enable_grad():  # recorded even when called inside no_grad (whose outputs are then plain)
            result = f(*call_args)
    finally:
        _tls.tracer = outer
        engine._mode.anomaly = tracer.prev
        _uninstall()
    program = _build(tracer, name, f, args, originals, copies, result)
    # gradients that the traced backward() put on our copies of the arguments belong to the caller's nodes
    for a in originals:
        c = copies[id(a)]
        real_rg = not isinstance(a, Constant) and (isinstance(a, Value) or a.requires_grad)
        if real_rg and program.backward_programs():
            g = c.grad
            if isinstance(a, Tensor) and g is not None:
                Tensor._store_grad(a, g)
            elif isinstance(a, Value):
                a.grad += g
    return program, result


def _flatten(result: Any) -> tuple[str, list[Any]]:
    if result is None:
        return "none", []
    if isinstance(result, tuple):
        return "tuple", list(result)
    if isinstance(result, list):
        return "list", list(result)
    if isinstance(result, dict):  # (its keys are checked and kept by _build)
        return "dict", list(result.values())
    return "single", [result]


def _build(tracer: _Tracer, name: str, f: Callable, args: tuple, originals: list, copies: dict,
           result: Any) -> Program:
    p = Program(name)
    taken: set[str] = set()
    arg_names = _arg_names(f, len(args))
    rg: dict[int, bool] = {}
    slots_by_copy: dict[int, _Slot] = {}
    index = 0
    for a, an in zip(args, arg_names):
        if not isinstance(a, Node):
            continue
        c = copies[id(a)]
        real = not isinstance(a, Constant) and (isinstance(a, Value) or bool(a.requires_grad))
        kind = "value" if isinstance(a, Value) else "tensor"
        shape = () if kind == "value" else a.data.shape
        dtype = "float64" if kind == "value" else a.data.dtype
        s = _Slot(_unique(an, taken, f"x{index}"), a, kind, shape, dtype, real, index)
        index += 1
        p.inputs.append(s)
        p._names[id(c)] = s.name
        p._slots_by_name[s.name] = s
        rg[id(c)] = real
        slots_by_copy[id(c)] = s
    kinds = {s.kind for s in p.inputs}

    def leaf(node: Node) -> str:
        """A leaf met while walking the graph: a parameter (requires grad, not an argument) or a constant."""
        known = p._names.get(id(node))
        if known is not None:
            return known
        if node.requires_grad and not isinstance(node, Constant) and not isinstance(node.data, _Mask):
            if node._fn is not None:  # its gradient would have to flow on into a graph the trace did not record
                raise TraceError(
                    f"trace {name!r}: f uses {node.label or type(node).__name__} (made by {node._fn.name} before "
                    "f was called), a node that requires grad but is not a leaf; a program cannot send gradients "
                    "into a graph recorded outside it. Compute it inside f, pass it as an argument (a backward() "
                    "of f's result outside f flows on through it), or .detach() it if no gradient should."
                )
            kind = "value" if isinstance(node, Value) else "tensor"
            kinds.add(kind)
            s = _Slot(_unique(node.label, taken, f"p{len(p.params)}"), node, kind,
                      () if kind == "value" else node.data.shape, "float64" if kind == "value" else node.data.dtype,
                      True, -1)
            p.params.append(s)
            p._names[id(node)] = s.name
            p._slots_by_name[s.name] = s
            rg[id(node)] = True
            slots_by_copy[id(node)] = s
            return s.name
        rg[id(node)] = False
        if node._fn is None and not isinstance(node.data, _Mask):
            p._frozen.append((node, node.data))  # a leaf read as a constant: see Program._stale
        return p._ref(node)

    # forward lines, in the order the nodes were made, masks where they were made
    masks = sorted(tracer.masks.values(), key=lambda m: m[3])
    mi = 0
    n_ops = 0
    for node in tracer.made + [None]:
        while mi < len(masks) and (node is None or masks[mi][3] <= n_ops):
            mt, fn, operands, _ = masks[mi]
            mi += 1
            refs = [p._ref(o) if not isinstance(o, Node) or id(o) in p._names else leaf(o) for o in operands]
            line = _Line(f"m{len(p._masks) + 1}", None, fn, refs, None, mt.data.shape, mt.data.dtype, False, mt)
            p._add_mask(line, mt.data.recipe)
            p._names[id(mt)] = line.name
        if node is None:
            break
        n_ops += 1
        if node._fn is None:
            continue
        refs = [p._names[id(q)] if id(q) in p._names else leaf(q) for q in node._parents]
        kinds.add("value" if isinstance(node, Value) else "tensor")
        ln = _unique(node.label, taken, f"t{n_ops}")
        shape = () if isinstance(node, Value) else node.data.shape
        dtype = "float64" if isinstance(node, Value) else node.data.dtype
        real = any(rg.get(id(q), False) for q in node._parents)
        line = _Line(ln, node._fn, None, refs, p._ctx(node._ctx), shape, dtype, real, node)
        if node._fn.selective:
            line.needs = tuple(rg.get(id(q), False) for q in node._parents)
        p.lines.append(line)
        p._lines_by_name[ln] = line
        p._names[id(node)] = ln
        rg[id(node)] = real
    if len(kinds) > 1:
        raise TraceError(f"trace {name!r}: mixes Values and Tensors; a program is over one kind of node")
    # events: backward() calls and eager calls, at the position (number of nodes made) where they happened
    for e in tracer.events:
        if e[0] == "backward":
            root, seed = e[2], e[3]
            if id(root) not in p._names:
                raise TraceError(f"trace {name!r}: backward() of a node the trace did not record")
            pos = _op_lines_before(p, e[1])
            p.events.append(("backward", pos, _backward_program(p, root, seed, rg, slots_by_copy)))
        else:
            p.events.append(("eager", _op_lines_before(p, e[1]), e[2], e[3], e[4]))
    if p.backward_programs():
        for slot in p.inputs:
            a = slot.node
            if slot.rg and a._fn is not None:
                raise TraceError(
                    f"trace {name!r}: argument {slot.name} was made by {a._fn.name} (it is not a leaf) and f calls "
                    "backward(): eagerly the gradient flows on through it into its graph, but a program's backward "
                    "stops at its arguments. Pass leaves (compute it inside f, or .detach() it), or call backward() "
                    "on f's result outside f, which does flow on."
                )
    p.out_kind, outs = _flatten(result)
    if p.out_kind == "dict":
        bad = [k for k in result if not isinstance(k, str)]
        if bad:
            raise TraceError(f"trace {name!r}: returns a dict with the key {bad[0]!r}; its keys must be strings")
        p.out_keys = list(result)
    for k, o in enumerate(outs):
        if isinstance(o, Node):
            ref = p._names.get(id(o)) or leaf(o)
            p.outputs.append(ref)
            if rg.get(id(o), False):
                p._output_backward[k] = _backward_program(p, o, None, rg, slots_by_copy)
        elif o is None or isinstance(o, (int, float, str, bool)):
            p.outputs.append(o)
        else:
            raise TraceError(f"trace {name!r}: returns {type(o).__name__}; return Values or Tensors (or a tuple, "
                             "list or dict of them)")
    p.leaves = [s for s in p.inputs + p.params if s.rg]
    return p


def _op_lines_before(p: Program, made: int) -> int:
    """The index of the forward line before which an event happened (after ``made`` op nodes were made)."""
    n = 0
    for i, line in enumerate(p.lines):
        if line.op is not None:
            if n == made:
                return i
            n += 1
    return len(p.lines)


def _backward_program(p: Program, root: Node, seed: Any, rg: dict, slots: dict) -> _Backward:
    """The engine's backward walk from ``root``, written down: reverse topological order (the engine's own
    :func:`topological_order`) over the nodes that really require grad, one edge per gradient sent."""
    order = [n for n in topological_order(root) if rg.get(id(n), False)]
    root_name = p._names[id(root)]
    steps: list[tuple[_Line, list[_Edge]]] = []
    leaves: list[_Slot] = []
    for node in reversed(order):
        name = p._names[id(node)]
        if node._fn is None:
            leaves.append(slots[id(node)])
            continue
        line = p._lines_by_name[name]
        edges = [_Edge(line, i, p._names[id(q)], False) for i, q in enumerate(node._parents) if rg.get(id(q), False)]
        steps.append((line, edges))
    seed_name = None if seed is None else p._const(seed)
    if not p.is_value and isinstance(root, Tensor):
        _analyse(p, steps, root_name, root, seed)
    # keep what the engine would do: a node that received no gradient is skipped, a None gradient is not sent
    assigned = {root_name}
    kept = []
    for line, edges in steps:
        if line.name not in assigned:
            continue
        live = [e for e in edges if not e.none]
        for e in live:
            e.first = e.target not in assigned
            assigned.add(e.target)
        kept.append((line, live))
    stores = [s for s in leaves if s.name in assigned]
    return _Backward(root_name, seed, kept, stores, seed_name)


def _analyse(p: Program, steps: list, root_name: str, root: Tensor, seed: Any) -> None:
    """Run the rules once on the traced values to learn where the engine unbroadcasts, casts or copies a gradient
    (shapes and dtypes are fixed for a program, so these choices are too) and which rules send no gradient."""
    values: dict[str, Any] = {s.name: s.node.data for s in p.inputs + p.params}
    values.update({ln.name: ln.node.data for ln in p.lines if ln.node is not None})
    values.update(p.consts)
    leaves = {s.name for s in p.inputs + p.params}
    grads: dict[str, Any] = {root_name: np.ones(root.data.shape, root.data.dtype) if seed is None else seed}
    with np.errstate(all="ignore"):
        for line, edges in steps:
            g = grads.get(line.name)
            if g is None:
                continue
            xs = [values[a] if a in values else float(a) for a in line.args]
            ctx = values[line.ctx.name] if isinstance(line.ctx, _Ref) else line.ctx
            if line.op.selective:
                res = line.op.backward(ArrayMath, ctx, g, values[line.name], *xs, needs=line.needs)
            else:
                res = line.op.backward(ArrayMath, ctx, g, values[line.name], *xs)
            if res.__class__ is not tuple and res.__class__ is not list or len(res) != len(xs):
                engine._bad_rule(line.op, res, line.node._parents)
            for e in edges:
                pg = res[e.i]
                if pg is None:
                    e.none = True
                    continue
                target = values[e.target]
                if pg.shape != target.shape:
                    e.fit = True
                    pg = engine._fit(pg, target.shape, line.op)
                if pg.dtype != target.dtype:
                    e.cast = True
                    pg = pg.astype(target.dtype)
                elif pg is g and e.target in leaves:
                    e.copy = True
                prev = grads.get(e.target)
                grads[e.target] = pg if prev is None else prev + pg


# --------------------------------------------------------------------------------------------------------------
# compile
# --------------------------------------------------------------------------------------------------------------


def _key(args: tuple) -> tuple:
    key: list[Any] = []
    for a in args:
        if isinstance(a, Tensor):
            key.append(("T", a.data.shape, a.data.dtype.str, bool(a.requires_grad)))
        elif isinstance(a, Value):
            key.append(("V", isinstance(a, Constant)))
        elif isinstance(a, np.ndarray):
            key.append(("A", a.shape, a.dtype.str))
        else:
            try:
                hash(a)
            except TypeError:
                raise TypeError(f"compile: argument {a!r} is neither a Value, a Tensor, an array nor hashable; "
                                "pass it as a Tensor or bind it with functools.partial") from None
            key.append(("S", type(a), a))
    return tuple(key)


class Compiled:
    """A function that traces itself on the first call for each argument signature and replays afterwards.

    ``cache_size`` programs are kept (least recently used dropped). ``.programs`` maps signatures to
    :class:`Program` s; ``.traces`` counts the tracings (a retrace happens when shapes, dtypes or requires-grad
    flags change).
    """

    def __init__(self, f: Callable, cache_size: int = 8) -> None:
        if not callable(f):
            raise TypeError(f"compile: expected a function, got {type(f).__name__}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"compile: cache_size must be an integer >= 1, got {cache_size!r}")
        functools.update_wrapper(self, f)
        self.f = f
        self.cache_size = cache_size
        self.programs: collections.OrderedDict[tuple, Program] = collections.OrderedDict()
        self.traces = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"compiled {self.__name__!r}: pass the arguments by position (got {', '.join(kwargs)} by "
                            "name); bind constant keyword arguments with functools.partial before compiling")
        key = _key(args)
        program = self.programs.get(key)
        if program is not None and program._stale() is not None:  # a parameter changed shape, was unfrozen, ...
            del self.programs[key]
            program = None
        if program is None:
            program, _ = _trace(self.f, args)
            self.traces += 1
            program._compile()
            self.programs[key] = program
            if len(self.programs) > self.cache_size:
                self.programs.popitem(last=False)
            nodes = [Tensor(a) if isinstance(a, np.ndarray) else a for a in args if isinstance(a, (Node, np.ndarray))]
            return program._wrap(*program._traced_values(), nodes)
        self.programs.move_to_end(key)
        nodes = [Tensor(a) if isinstance(a, np.ndarray) else a for a in args if isinstance(a, (Node, np.ndarray))]
        outs, saved = program._fn(*nodes)
        return program._wrap(outs, saved, nodes)

    def program(self, *args: Any) -> Program:
        """The program for these arguments (traced now if needed)."""
        key = _key(args)
        if key not in self.programs:
            self(*args)
        return self.programs[key]

    def __repr__(self) -> str:
        return f"compile({getattr(self.f, '__name__', self.f)!r}, {len(self.programs)} program(s))"


def compile(f: Callable | None = None, *, cache_size: int = 8) -> Any:  # noqa: A001 - autograd.compile
    """Compile ``f``: trace it on the first call, replay the recorded program on later calls with arguments of the
    same shapes, dtypes and requires-grad flags (retracing, into a cache of ``cache_size`` programs, when they
    change). Usable as ``@compile`` or ``@compile(cache_size=4)``. See the module docstring for what is replayed.
    """
    if f is None:
        return lambda g: Compiled(g, cache_size)
    return Compiled(f, cache_size)
