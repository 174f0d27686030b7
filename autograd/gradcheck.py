"""Prove a gradient against central finite differences, and say *where* it is wrong.

>>> from autograd import Value
>>> from autograd.gradcheck import gradcheck
>>> report = gradcheck(lambda x, y: (x * y).tanh(), Value(0.3), Value(-1.2))
>>> bool(report)
True

For every checked input element x_j the numerical derivative is the central difference

    (f(x + h e_j) - f(x - h e_j)) / (2h)          (error O(h^2): the h^2 terms of the two Taylor expansions cancel)

and an element passes when ``|analytic - numeric| <= atol + rtol * |numeric|`` (PyTorch's rule). A non-scalar
output is checked through its full Jacobian (one backward pass per output element) when it is small, and through
random projections ``u^T J`` when it is large. On failure every operation of the graph is checked on its own
(its registered derivative against finite differences of its forward) and the first one that disagrees is named.
Inputs sitting within ``h`` of a kink (relu or abs at 0, max ties, clip bounds, where boundaries) are reported
with a :class:`GradcheckKinkWarning` instead of as failures.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .custom import apply
from .engine import Node, enable_grad, topological_order, unbroadcast, vjp
from .formula import FormulaError, check_op, checkable
from .numeric import DomainError
from .tensor import Tensor
from .value import Constant, Value

__all__ = ["gradcheck", "gradgradcheck", "GradcheckReport", "GradcheckError", "GradcheckKinkWarning", "LocalFailure"]

#: (eps, atol, rtol) by the lowest float precision the check computes in; float64 follows torch.autograd.gradcheck
DEFAULTS: dict[str, tuple[float, float, float]] = {
    "float64": (1e-6, 1e-5, 1e-3),
    "float32": (1e-3, 1e-3, 1e-2),
    "float16": (1e-2, 1e-2, 5e-2),
}


class GradcheckKinkWarning(UserWarning):
    """An input sits within eps of a point where the function is not differentiable; it was not judged."""


def _count(n: int, noun: str) -> str:
    """``'1 element'``, ``'2 elements'``: a count with its noun in the right number."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


class GradcheckError(AssertionError):
    """Raised by ``gradcheck(..., raise_on_fail=True)``; the message is the report."""


# ----------------------------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One compared element: d output[output] / d input[index]."""

    input: str
    index: tuple[int, ...]
    output: str
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    ok: bool
    kink: bool = False


@dataclass
class LocalFailure:
    """The first operation whose own derivative disagrees with finite differences of its forward."""

    op: str
    formula: str
    input: int
    index: tuple[int, ...]
    analytic: float
    numeric: float
    order: int = 1
    label: str | None = None

    def __str__(self) -> str:
        which = "derivative" if self.order == 1 else "derivative rule, differentiated again (create_graph=True),"
        at = f" at element {self.index}" if self.index else ""
        name = f"{self.op!r}" + (f" (node {self.label!r})" if self.label else "")
        return (f"the first op whose {which} disagrees: {name}, input {self.input}{at}: analytic "
                f"{self.analytic:.6g}, numeric {self.numeric:.6g}; registered formula: {self.formula}")


@dataclass
class GradcheckReport:
    """The outcome of :func:`gradcheck`: truthy iff every judged element passed and at least one was judged
    (a check that judged nothing, every element at a kink, proved nothing; an empty output or input passes).

    ``rows`` holds the worst elements (largest error relative to the tolerance first); ``culprit`` the first op
    that fails a local check (only computed on failure); ``kinks`` the elements not judged because of a kink.
    """

    passed: bool
    mode: str
    eps: float
    atol: float
    rtol: float
    order: int = 1
    checked: int = 0
    failed: int = 0
    rows: list[Row] = field(default_factory=list)
    kinks: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    culprit: LocalFailure | None = None
    formulas: list[str] = field(default_factory=list)  #: ops whose printed formula disagrees with their code

    def __bool__(self) -> bool:
        return self.passed

    def _head(self) -> list[str]:
        what = "gradcheck" if self.order == 1 else "gradgradcheck (second derivatives)"
        if self.passed:
            verdict = (f"PASSED ({_count(self.checked, 'element')} judged)" if self.checked
                       else "PASSED (nothing to check: the output or every checked input is empty)")
        elif self.checked == 0:
            verdict = ("NOT PASSED: 0 elements judged, so nothing was proved (every element is within eps of a "
                       "kink or where f is undefined; move the inputs away from it, e.g. relu/abs/clip inputs "
                       "off 0 and the bounds, max/maximum inputs off ties)")
        else:
            verdict = f"FAILED ({self.failed} of {_count(self.checked, 'element')})"
        return [f"{what} {verdict}", f"  mode: {self.mode}; eps={self.eps:g}, atol={self.atol:g}, "
                f"rtol={self.rtol:g}; rule |analytic - numeric| <= atol + rtol |numeric|"]

    def _tail(self) -> list[str]:
        out = [f"  note: {n}" for n in self.notes]
        if self.kinks:
            shown = ", ".join(f"{name}{list(i)}" for name, i in self.kinks[:8])
            more = f" and {len(self.kinks) - 8} more" if len(self.kinks) > 8 else ""
            out.append(f"  not judged (within eps of a kink): {shown}{more}")
        out += [f"  printed formula disagrees with the derivative code: {m}" for m in self.formulas]
        if self.culprit is not None:
            out.append(f"  {self.culprit}")
        elif not self.passed and self.checked and not self.formulas:
            out.append("  every op of the graph passes its local check: look at how f combines them "
                       "(e.g. an operation done on .data, outside the graph)")
        return out

    def __str__(self) -> str:
        cols = ("input", "index", "output", "analytic", "numeric", "abs err", "rel err", "")
        table = [cols] + [
            (r.input, str(list(r.index)), r.output, f"{r.analytic:.6g}", f"{r.numeric:.6g}", f"{r.abs_err:.2e}",
             f"{r.rel_err:.2e}", "kink" if r.kink else ("ok" if r.ok else "FAIL"))
            for r in self.rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
        lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in table]
        return "\n".join(self._head() + (["  worst elements:"] + lines if self.rows else []) + self._tail())

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "NOT JUDGED" if self.checked == 0 else "FAILED"
        return f"<GradcheckReport {verdict}: {self.mode}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{c}</th>" for c in ("input", "index", "output", "analytic", "numeric", "abs err",
                                                  "rel err", ""))
        body = "".join(
            f"<tr style='color:{'#b00' if not (r.ok or r.kink) else 'inherit'}'><td>{esc(r.input)}</td>"
            f"<td>{esc(str(list(r.index)))}</td><td>{esc(r.output)}</td><td>{r.analytic:.6g}</td>"
            f"<td>{r.numeric:.6g}</td><td>{r.abs_err:.2e}</td><td>{r.rel_err:.2e}</td>"
            f"<td>{'kink' if r.kink else ('ok' if r.ok else 'FAIL')}</td></tr>"
            for r in self.rows
        )
        lines = "<br>".join(esc(s.strip()) for s in self._head() + self._tail())
        return f"<div><p>{lines}</p><table><tr>{head}</tr>{body}</table></div>"


# ----------------------------------------------------------------------------------------------------------------
# Inputs, outputs, kinks
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """One checked input: the fresh float64 leaf the check owns."""

    name: str
    leaf: Node
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _prepare(inputs: Sequence[Any]) -> tuple[list[Any], list[_Slot], list[str]]:
    """Fresh leaves for the checked inputs (Values, Tensors that require grad); float32 is promoted."""
    args, slots, promoted = [], [], []
    for i, x in enumerate(inputs):
        name = (getattr(x, "label", None) or f"arg{i}") if isinstance(x, Node) else f"arg{i}"
        if isinstance(x, Value) and x.requires_grad:  # a Constant is passed through
            leaf: Any = Value(x.data, label=x.label)
            slots.append(_Slot(name, leaf, ()))
        elif isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != np.float64:
                promoted.append(f"{name} ({x.dtype})")
            leaf = Tensor(np.array(x.data, dtype=np.float64, order="C"), requires_grad=True, label=x.label)
            slots.append(_Slot(name, leaf, leaf.shape))
        else:
            leaf = x
        args.append(leaf)
    if not slots:
        got = ", ".join(type(x).__name__ for x in inputs) or "no inputs"
        raise ValueError(f"gradcheck: no input to check (got {got}); wrap them: Value(1.0), "
                         "Tensor(x, requires_grad=True)")
    return args, slots, promoted


def _as_outputs(out: Any, who: str = "gradcheck") -> list[Node]:
    if isinstance(out, Node):
        return [out]
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, Node) for o in out):
        return list(out)
    raise TypeError(f"{who}: f must return a Value or a Tensor (or a tuple of them), got {type(out).__name__}")


def _flat(outs: list[Node]) -> np.ndarray:
    return np.concatenate([np.asarray(o.data, dtype=np.float64).ravel() for o in outs])


def _graph(outs: list[Node]) -> list[Node]:
    order, seen = [], set()
    for o in outs:
        for node in topological_order(o):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _signature(nodes: list[Node], leaves: dict[int, int]) -> list[Any]:
    """The graph's wiring (which op reads which node, which checked input each leaf is) and the branch each
    piecewise op took: equal signatures, no kink crossed. The wiring catches branches taken by Python code,
    such as ``max(a, b)`` on Values, which swaps the node returned at a tie."""
    sig: list[Any] = []
    position = {node: i for i, node in enumerate(nodes)}
    for node in nodes:
        fn = node._fn
        if fn is None:
            sig.append(leaves.get(id(node)))
            continue
        wiring = tuple(position.get(p, -1) for p in node._parents)
        b = fn.branch_for(node._ctx, [p.data for p in node._parents], node.data)
        sig.append((fn.name, wiring) if b is None else (fn.name, wiring, b.shape, b.tobytes()))
    return sig


def _precision(nodes: list[Node]) -> str:
    """The lowest float precision among the graph's data ('float64' for Values)."""
    worst = 8
    for node in nodes:
        d = node.data
        if isinstance(d, np.ndarray) and d.dtype.kind == "f":
            worst = min(worst, d.dtype.itemsize)
    return {2: "float16", 4: "float32"}.get(worst, "float64")


# ----------------------------------------------------------------------------------------------------------------
# Analytic and numeric derivatives
# ----------------------------------------------------------------------------------------------------------------


def _reset(slots: list[_Slot]) -> None:
    for s in slots:
        s.leaf.grad = 0.0 if isinstance(s.leaf, Value) else None


def _read(slots: list[_Slot]) -> np.ndarray:
    parts = []
    for s in slots:
        g = s.leaf.grad
        if g is None:
            parts.append(np.zeros(s.size))
        else:
            parts.append(np.asarray(g.data if isinstance(g, Node) else g, dtype=np.float64).ravel())
    return np.concatenate(parts)


def _analytic(outs: list[Node], slots: list[_Slot], seeds: np.ndarray) -> np.ndarray:
    """One row u^T J per seed u (a flat vector over all outputs), each from one backward pass per output."""
    rows = []
    for u in seeds:
        _reset(slots)
        offset = 0
        for o in outs:
            size = np.size(o.data)
            part, offset = u[offset:offset + size], offset + size
            if not o.requires_grad or not part.any():
                continue
            if isinstance(o, Value):
                o.backward(float(part[0]))
            else:
                o.backward(part.reshape(o.data.shape).astype(o.data.dtype))
        rows.append(_read(slots))
    _reset(slots)
    return np.array(rows, dtype=np.float64).reshape(len(seeds), sum(s.size for s in slots))


def _numeric(
    f: Callable, args: list[Any], slots: list[_Slot], eps: float, base_sig: list, proj: np.ndarray | None,
    sig_roots: Callable[[], list[Node]] | None, width: int, y0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Central differences, one input element at a time: columns of J (or of U^T J), and a code per column:
    0 judged, 1 near a kink, 2 f undefined within eps."""
    cols, kinked, notes = [], [], []

    leaves = {id(s.leaf): i for i, s in enumerate(slots)}

    def run() -> tuple[np.ndarray, list]:
        outs = _as_outputs(f(*args))
        roots = outs + (sig_roots() if sig_roots else [])
        return _flat(outs), _signature(_graph(roots), leaves)

    for s in slots:
        leaf = s.leaf
        flat = None if isinstance(leaf, Value) else leaf.data.reshape(-1)
        for k in range(s.size):
            x0 = leaf.data if flat is None else float(flat[k])
            ys, sigs, hs = [], [], []
            try:
                for x in (x0 + eps, x0 - eps):
                    if flat is None:
                        leaf.data = x
                    else:
                        flat[k] = x
                    y, sig = run()
                    if not np.isfinite(y[np.isfinite(y0)]).all():  # numpy's way of saying DomainError
                        raise DomainError(f"f(x {'+' if x > x0 else '-'} eps) is not finite")
                    ys.append(y), sigs.append(sig), hs.append(x)
            except DomainError as e:
                where = [int(j) for j in np.unravel_index(k, s.shape)] if s.shape else []
                notes.append(f"{s.name}{where}: f is undefined within eps ({e}); not judged")
            finally:
                if flat is None:
                    leaf.data = x0
                else:
                    flat[k] = x0
            if len(ys) < 2:
                cols.append(np.full(width, np.nan))
                kinked.append(2)
                continue
            col = (ys[0] - ys[1]) / (hs[0] - hs[1])
            cols.append(col if proj is None else proj @ col)
            kinked.append(0 if sigs[0] == sigs[1] == base_sig else 1)
    return np.array(cols, dtype=np.float64).reshape(len(cols), width).T, np.array(kinked, dtype=np.int8), notes


# ----------------------------------------------------------------------------------------------------------------
# Local checks: one op at a time
# ----------------------------------------------------------------------------------------------------------------


def _failure(node: Node, slot: int, index: tuple[int, ...], analytic: float, numeric: float,
             order: int) -> LocalFailure:
    """The one way both orders name a failing op: its name, node label and registered formula (Op.describe)."""
    op = node._fn
    return LocalFailure(op.name, op.describe(), slot, index, analytic, numeric, order, node.label)


def _local_first_order(node: Node, eps: float, atol: float, rtol: float, rng: np.random.Generator,
                       max_elements: int = 64) -> LocalFailure | None:
    """Check one node's op: its rule's vector-Jacobian product against central differences of its forward."""
    op, ctx, parents = node._fn, node._ctx, node._parents
    is_value = isinstance(node, Value)
    M = node._math
    xs = [p.data for p in parents]
    if _precision([node, *parents]) != "float64":
        eps, atol, rtol = DEFAULTS["float32"]
    try:
        out = op.forward(M, ctx, *xs)
    except DomainError:
        return None
    g = float(rng.standard_normal()) if is_value else rng.standard_normal(np.shape(out)).astype(np.asarray(out).dtype)
    needs = [True] * len(xs) if op.selective else None
    with np.errstate(all="ignore"):
        grads = vjp(op, M, ctx, g, out, xs, needs)
    base = op.branch_for(ctx, xs, out)
    for i, (p, gi) in enumerate(zip(parents, grads)):
        if gi is None or not p.requires_grad or np.asarray(xs[i]).dtype.kind != "f":
            continue
        shape = np.shape(xs[i])
        analytic = np.asarray(gi, dtype=np.float64)
        if not is_value:  # as the engine does: sum a broadcast gradient back to the input's shape
            analytic = unbroadcast(np.broadcast_to(analytic, np.broadcast_shapes(analytic.shape, shape)), shape)
        analytic = np.asarray(analytic, dtype=np.float64).reshape(-1)
        size = analytic.size
        picks = range(size) if size <= max_elements else rng.choice(size, max_elements, replace=False)
        for k in picks:
            vals, hs, kink = [], [], False
            for sign in (1, -1):
                xp = list(xs)
                if is_value:
                    xp[i] = xs[i] + sign * eps
                    h = xp[i]
                else:
                    arr = np.array(xs[i], copy=True, order="C")
                    arr.reshape(-1)[k] += sign * eps
                    h = arr.reshape(-1)[k]
                    xp[i] = arr
                try:
                    with np.errstate(all="ignore"):
                        yp = op.forward(M, ctx, *xp)
                except DomainError:
                    kink = True
                    break
                kink |= base is not None and not np.array_equal(op.branch_for(ctx, xp, yp), base)
                vals.append(float(np.sum(np.asarray(g, dtype=np.float64) * np.asarray(yp, dtype=np.float64))))
                hs.append(float(h))
            if kink:
                continue
            numeric = (vals[0] - vals[1]) / (hs[0] - hs[1])
            a = float(analytic[k])
            if not abs(a - numeric) <= atol + rtol * abs(numeric):
                index = tuple(int(j) for j in np.unravel_index(k, shape)) if shape else ()
                return _failure(node, i, index, a, numeric, order=1)
    return None


def _local_second_order(node: Node, eps: float, atol: float, rtol: float,
                        rng: np.random.Generator) -> LocalFailure | None:
    """Check one node's rule as it runs under ``create_graph=True``: gradcheck of (xs, g) -> VJP(xs, g)."""
    op, ctx, parents = node._fn, node._ctx, node._parents
    is_value = isinstance(node, Value)
    if is_value:
        inputs: list[Any] = [Value(p.data) if p.requires_grad else Constant(p.data) for p in parents]
        inputs.append(Value(float(rng.standard_normal())))
    else:
        inputs = [Tensor(np.array(p.data, copy=True), requires_grad=p.requires_grad and p.data.dtype.kind == "f")
                  for p in parents]
        inputs.append(Tensor(rng.standard_normal(node.data.shape), requires_grad=True))
    needs = [x.requires_grad for x in inputs[:-1]]

    def rule(*zs: Any) -> tuple:
        *xs, g = zs
        out = apply(op, *xs, ctx=ctx)
        grads = vjp(op, node._node_math, ctx, g, out, xs, needs if op.selective else None)
        nodes = [gr for gr, need in zip(grads, needs) if need and isinstance(gr, Node)]
        return (*nodes, out)  # out keeps the op's own branch in the graph, so its kinks are seen

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GradcheckKinkWarning)
            rep = _check(rule, inputs, eps, atol, rtol, localize=False)
    except (DomainError, ValueError, TypeError):
        return None
    if rep.passed:
        return None
    worst = next(r for r in rep.rows if not (r.ok or r.kink))
    slot = int(worst.input[3:]) if worst.input.startswith("arg") else 0
    return _failure(node, slot, worst.index, worst.analytic, worst.numeric, order=2)


def _check_formulas(nodes: list[Node]) -> tuple[list[str], list[str]]:
    """Each op's printed formula evaluated at its inputs against its derivative code (:mod:`autograd.formula`):
    the disagreements, and a note for each op whose formula names letters its ``values`` hook does not give.
    Formulas in prose and ops that say why their formula is not element-wise are not checked."""
    problems: list[str] = []
    notes: list[str] = []
    skip: set[str] = set()
    for node in nodes:
        op = node._fn
        if op is None:
            continue
        if op.name in skip or checkable(op) is not None:  # prose, or not element-wise (the op says why)
            continue
        xs = [p.data if isinstance(p, Value) else np.asarray(p.data) for p in node._parents]
        try:
            found = check_op(op, node._ctx, xs, rtol=1e-6, atol=1e-8)
        except FormulaError as e:  # a user's op whose letters its values hook does not give
            skip.add(op.name)
            notes.append(f"op {op.name!r}: its formula is not checked ({e}; give the op a values hook)")
            continue
        problems += [m for m in found if m not in problems]
    return problems[:8], notes


def _localize(nodes: list[Node], eps: float, atol: float, rtol: float, order: int) -> LocalFailure | None:
    rng = np.random.default_rng(0)
    for node in nodes:
        if node._fn is None:
            continue
        check = _local_first_order if order == 1 else _local_second_order
        found = check(node, eps, atol, rtol, rng)
        if found is not None:
            return found
    return None


# ----------------------------------------------------------------------------------------------------------------
# gradcheck
# ----------------------------------------------------------------------------------------------------------------


def _check(
    f: Callable, inputs: Sequence[Any], eps: float | None, atol: float | None, rtol: float | None, *,
    localize: bool = True, max_rows: int = 64, projections: int = 8, seed: int = 0,
    sig_roots: Callable[[], list[Node]] | None = None, order: int = 1,
) -> GradcheckReport:
    who = "gradcheck" if order == 1 else "gradgradcheck"
    for name, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if v is not None and not (v > 0 if name == "eps" else v >= 0):
            need = "a positive number" if name == "eps" else ">= 0"
            raise ValueError(f"{who}: {name} must be {need}, got {v!r}")
    args, slots, promoted = _prepare(inputs)
    outs = _as_outputs(f(*args))
    roots = outs + (sig_roots() if sig_roots else [])
    nodes = _graph(roots)
    snapshot = {node: node.grad for node in nodes}  # nodes f closes over keep their .grad
    precision = _precision(nodes)
    d_eps, d_atol, d_rtol = DEFAULTS[precision]
    eps = d_eps if eps is None else eps
    atol = d_atol if atol is None else atol
    rtol = d_rtol if rtol is None else rtol
    notes = []
    if promoted:
        notes.append(f"promoted to float64 for the check: {', '.join(promoted)}")
    if precision != "float64":
        notes.append(f"f computes in {precision}: tolerances for {precision}")

    y0 = _flat(outs)
    again = _flat(_as_outputs(f(*args)))
    if not np.array_equal(y0, again, equal_nan=True):
        notes.append(f"f is not deterministic: two calls at the same inputs differ by up to "
                     f"{np.nanmax(np.abs(y0 - again)):.3g}; fix its randomness (a dropout mask, a Generator "
                     "inside f, eval mode) or finite differences mean nothing")
    m, n = y0.size, sum(s.size for s in slots)
    out_shapes = [np.shape(o.data) for o in outs]
    if m == 1:
        mode, seeds, proj = "scalar output", np.ones((1, 1)), None
    elif m <= max_rows:
        mode, seeds, proj = f"full Jacobian ({_count(m, 'output')} x {_count(n, 'input')})", np.eye(m), None
    else:
        rng = np.random.default_rng(seed)
        proj = rng.standard_normal((projections, m)) / math.sqrt(m)
        mode = f"{_count(projections, 'random projection')} u^T J of {_count(m, 'output')} x {_count(n, 'input')}"
        seeds = proj
    analytic = _analytic(outs, slots, seeds)
    base_sig = _signature(nodes, {id(s.leaf): i for i, s in enumerate(slots)})
    numeric, codes, more = _numeric(f, args, slots, eps, base_sig, proj, sig_roots, len(seeds), y0)
    notes += more
    for node, g in snapshot.items():
        node.grad = g

    with np.errstate(invalid="ignore"):
        err = np.abs(analytic - numeric)
        tol = atol + rtol * np.abs(numeric)
        bad = ~(err <= tol)  # NaN counts as a failure
        rel = np.where(err == 0, 0.0, err / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-300))
    kinked = codes == 1
    judged = np.broadcast_to(codes == 0, bad.shape)
    failing = bad & judged
    # the table: failures first, then the closest calls (largest err / tol)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(failing, np.inf, np.where(judged, err / tol, -1.0))
    score = np.nan_to_num(score, nan=np.inf)
    names, index_of = [], []
    for s in slots:
        for k in range(s.size):
            names.append(s.name)
            index_of.append(tuple(int(j) for j in np.unravel_index(k, s.shape)) if s.shape else ())
    order_idx = np.argsort(-score, axis=None, kind="stable")[: max(8, min(int(failing.sum()), 20))]
    rows = []
    for flat_i in order_idx:
        r, c = np.unravel_index(flat_i, score.shape)
        rows.append(Row(names[c], index_of[c], _out_name(r, out_shapes, proj), float(analytic[r, c]) + 0.0,
                        float(numeric[r, c]), float(err[r, c]), float(rel[r, c]), not failing[r, c],
                        bool(kinked[c])))
    kinks = [(names[c], index_of[c]) for c in np.flatnonzero(kinked)]
    empty = m == 0 or n == 0  # nothing to check (PyTorch passes too): say so
    if empty:
        notes.append(f"nothing to check: the output has {_count(m, 'element')} and the checked inputs "
                     f"{_count(n, 'element')}")
    # a check that judged nothing (every element at a kink or where f is undefined) proved nothing: not truthy
    report = GradcheckReport(not failing.any() and (empty or bool(judged.any())), mode, eps, atol, rtol, order,
                             int(judged.sum()), int(failing.sum()), rows, kinks, notes)
    if kinks:
        where = ", ".join(f"{a}{list(i)}" for a, i in kinks[:5])
        warnings.warn(GradcheckKinkWarning(
            f"gradcheck: {_count(len(kinks), 'input element')} within eps={eps:g} of a kink (relu/abs at 0, a max "
            f"tie, a clip bound, a where boundary...): {where}; "
            + ("its derivative was" if len(kinks) == 1 else "their derivatives were")
            + f" not judged. Move the input away from the kink to check {'it' if len(kinks) == 1 else 'them'}."),
            stacklevel=3)
    report.formulas, more = _check_formulas(nodes)
    report.notes += more
    if report.formulas:
        report.passed = False
    if report.failed and localize:  # each op is checked with the step that suits its precision
        report.culprit = _localize(nodes, d_eps, atol, rtol, 1)
        if report.culprit is None and eps > 10 * d_eps:
            report.notes.append(f"eps={eps:g} is large: a central difference errs by about eps^2 f'''/6; "
                                f"try the default eps={d_eps:g}")
    return report


def _out_name(r: int, shapes: list[tuple[int, ...]], proj: np.ndarray | None) -> str:
    if proj is not None:
        return f"u{r}"
    for i, shape in enumerate(shapes):
        size = math.prod(shape)
        if r < size:
            idx = list(np.unravel_index(r, shape)) if shape else []
            prefix = f"out{i}" if len(shapes) > 1 else "out"
            return f"{prefix}{[int(j) for j in idx]}" if shape else prefix
        r -= size
    return "?"  # pragma: no cover


def gradcheck(
    f: Callable[..., Any], *inputs: Any, eps: float | None = None, atol: float | None = None,
    rtol: float | None = None, raise_on_fail: bool = False, max_rows: int = 64, projections: int = 8,
    seed: int = 0,
) -> GradcheckReport:
    """Compare the gradients backward() computes for ``f(*inputs)`` with central finite differences.

    Inputs that are Values, or Tensors with ``requires_grad=True``, are checked (on float64 copies: the caller's
    nodes are never touched); anything else is passed to ``f`` unchanged. ``f`` returns a Value, a Tensor or a
    tuple of them. An output of at most ``max_rows`` elements is checked through its full Jacobian, a larger one
    through ``projections`` random projections (seeded by ``seed``). Defaults by precision: float64 uses eps=1e-6,
    atol=1e-5, rtol=1e-3 (as torch.autograd.gradcheck).

    Returns a :class:`GradcheckReport` (truthy iff the check passed; print it for the worst elements). A check
    that judged no element (all within eps of a kink, or where f is undefined) is *not* truthy: it proved
    nothing; an empty output or input passes, as in PyTorch. With
    ``raise_on_fail=True`` a failure raises :class:`GradcheckError` carrying the report.
    """
    with enable_grad(), np.errstate(all="ignore"):  # f is recorded even when called inside no_grad
        report = _check(f, inputs, eps, atol, rtol, max_rows=max_rows, projections=projections, seed=seed)
    if raise_on_fail and not report:
        raise GradcheckError(str(report))
    return report


def gradgradcheck(
    f: Callable[..., Any], *inputs: Any, eps: float | None = None, atol: float | None = None,
    rtol: float | None = None, raise_on_fail: bool = False, max_rows: int = 64, projections: int = 8,
    seed: int = 0,
) -> GradcheckReport:
    """Check second derivatives: the gradient recorded by ``backward(create_graph=True)`` is differentiated
    again and compared with central differences of the first-order gradient.

    For a non-scalar output the first-order gradient is the vector-Jacobian product with a fixed random ``v``
    (seeded by ``seed``), as in PyTorch. On failure the report names the first op whose rule, run under
    ``create_graph=True``, does not differentiate correctly (a quantity a rule treats as constant, say).
    """
    rng = np.random.default_rng(seed)
    state: dict[str, Any] = {"v": None, "roots": []}

    def first_order(*args: Any) -> tuple:
        out = f(*args)
        if not isinstance(out, Node):
            raise TypeError(f"gradgradcheck: f must return a Value or a Tensor, got {type(out).__name__}")
        leaves = [a for a in args if isinstance(a, (Value, Tensor)) and a.requires_grad]
        nodes = topological_order(out)
        saved = {node: node.grad for node in nodes}
        for leaf in leaves:
            leaf.grad = 0.0 if isinstance(leaf, Value) else None
        if isinstance(out, Tensor) and out.data.size != 1:
            if state["v"] is None or state["v"].shape != out.shape:
                state["v"] = rng.standard_normal(out.shape)
            seed_grad: Any = state["v"].astype(out.dtype)
        else:
            seed_grad = None
        out.backward(seed_grad, create_graph=True)
        grads = []
        for leaf in leaves:
            g = leaf.grad
            if g is None:
                g = Tensor(np.zeros(leaf.shape))
            elif not isinstance(g, Node):
                g = Value(g) if isinstance(leaf, Value) else Tensor(g)
            grads.append(g)
        for node, g in saved.items():
            node.grad = g
        state["roots"] = [out]
        return tuple(grads)

    with enable_grad(), np.errstate(all="ignore"):  # f is recorded even when called inside no_grad
        report = _check(first_order, inputs, eps, atol, rtol, localize=False, max_rows=max_rows,
                        projections=projections, seed=seed, sig_roots=lambda: state["roots"], order=2)
        if report.failed:
            args, _, _ = _prepare(inputs)
            nodes = _graph(_as_outputs(f(*args), "gradgradcheck"))
            report.culprit = _localize(nodes, report.eps, report.atol, report.rtol, 2) or _localize(
                nodes, report.eps, report.atol, report.rtol, 1)
    if raise_on_fail and not report:
        raise GradcheckError(str(report))
    return report
