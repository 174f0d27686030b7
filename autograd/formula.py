"""The printed formulas, evaluated: every registered op's local derivative is a small expression this module can
compute, so it is checked against the op's derivative code instead of being trusted.

>>> from autograd.formula import evaluate
>>> evaluate("1 - tanh(x)^2", {"x": 0.5}) == 1 - __import__("math").tanh(0.5) ** 2
True
>>> evaluate("1 if x > 0 else a", {"x": -2.0, "a": 0.1})
0.1

The language (parsed with Python's ``ast``; nothing else is ever executed): numbers, the letters the step and
explain tables print, ``+ - * /``, powers written ``^`` (as the slides) or ``**``, unary minus, calls of
``exp log ln sqrt tanh sigmoid sin cos abs sign``, comparisons (``x > 0``, ``lo <= x <= hi``, ``==``) and
``A if cond else B`` (element by element on arrays). A formula may end with a note after two spaces in
parentheses, which is for the reader only: ``sign(x)  (0 at x = 0)``.

What a formula means: the op's local derivative with respect to one input, element by element, which is what
``backward`` returns for an upstream gradient of ones. Ops whose derivative is not element-wise (matmul, softmax,
an index) say so in their ``values`` hook, with the reason (:func:`checkable`).
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np

__all__ = ["evaluate", "expression_of", "checkable", "check_op", "FormulaError", "FUNCTIONS"]


class FormulaError(ValueError):
    """A formula that is not an expression of the formula language (or names an unknown letter)."""


def _sigmoid(x: Any) -> Any:
    return 0.5 * (np.tanh(0.5 * np.asarray(x, dtype=float)) + 1.0)


#: the functions a formula may call
FUNCTIONS: dict[str, Any] = {
    "exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt, "tanh": np.tanh, "sigmoid": _sigmoid,
    "sin": np.sin, "cos": np.cos, "abs": np.abs, "sign": np.sign,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_COMPARE = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}


def expression_of(formula: str) -> str:
    """The part of a formula that is computed: without a trailing ``  (note)``, with ``^`` as the power."""
    expr = formula.split("  (", 1)[0] if formula.rstrip().endswith(")") and "  (" in formula else formula
    return expr.strip().replace("^", "**")


def _parse(formula: str) -> ast.Expression:
    expr = expression_of(formula)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as e:
        raise FormulaError(f"formula {formula!r} is not an expression of the formula language ({e.msg})") from None
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Call, ast.IfExp,
                               ast.Compare, ast.USub, ast.UAdd, *_BINARY, *_COMPARE))
        if isinstance(node, ast.Constant):
            ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.Call):
            ok = isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS and not node.keywords \
                and len(node.args) == 1
        if not ok:
            raise FormulaError(f"formula {formula!r}: {type(node).__name__} is not allowed (numbers, letters, "
                               f"+ - * / ^, unary -, {', '.join(FUNCTIONS)}, comparisons and 'A if cond else B')")
    return tree


def evaluate(formula: str, letters: dict[str, Any]) -> Any:
    """The value of ``formula`` with its letters bound to ``letters`` (floats or arrays; arrays element-wise)."""
    tree = _parse(formula)
    letters = {k: np.float64(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
               for k, v in letters.items()}  # numpy's float: 1/0 is inf, not an exception

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in letters:
                raise FormulaError(f"formula {formula!r}: the letter {node.id!r} has no value (known: "
                                   f"{', '.join(sorted(letters))})")
            return letters[node.id]
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            with np.errstate(all="ignore"):
                return _BINARY[type(node.op)](np.float64(left) if isinstance(left, int) else left, right)
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else +v
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # the parser allows only these calls
            return FUNCTIONS[node.func.id](ev(node.args[0]))
        if isinstance(node, ast.Compare):
            result, left = True, ev(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = ev(right_node)
                result = np.logical_and(result, _COMPARE[type(op)](left, right))
                left = right
            return result
        if isinstance(node, ast.IfExp):
            cond = ev(node.test)
            if np.ndim(cond) == 0:
                return ev(node.body) if bool(cond) else ev(node.orelse)
            return np.where(cond, ev(node.body), ev(node.orelse))
        raise FormulaError(f"formula {formula!r}: cannot evaluate {type(node).__name__}")  # pragma: no cover

    return ev(tree)


def checkable(op: Any) -> str | None:
    """None when ``op``'s formulas can be evaluated and compared with its code; else the reason they cannot."""
    if isinstance(op.values, str):
        return op.values
    try:
        for f in op.formula:
            _parse(f)
    except FormulaError as e:
        return str(e)
    return None


def check_op(op: Any, ctx: Any, xs: list[Any], *, rtol: float = 1e-7, atol: float = 1e-9) -> list[str]:
    """Compare every formula of ``op`` at inputs ``xs`` with its derivative code (``backward`` with an upstream of
    ones, element by element). Returns one message per disagreeing input slot (empty: they agree), each naming
    the op, the formula and both numbers. An op that is not :func:`checkable` returns no message; a formula
    whose letters the op's ``values`` hook does not give raises :class:`FormulaError`."""
    if checkable(op) is not None:
        return []
    from .numeric import ArrayMath, FloatMath

    scalar = all(isinstance(x, float) for x in xs)
    F = FloatMath if scalar else ArrayMath
    with np.errstate(all="ignore"):
        arrays = xs if scalar else [np.asarray(x, dtype=np.float64) for x in xs]
        try:
            out = op.forward(F, ctx, *arrays)
            g = 1.0 if scalar else np.ones_like(np.asarray(out, dtype=np.float64))
            grads = op.backward(F, ctx, g, out, *arrays)
        except (ArithmeticError, ValueError):  # outside the op's domain (log 0 on floats): nothing to compare
            return []
        problems = []
        for slot, code in enumerate(grads):
            if code is None:
                continue
            formula = op.formula_for(ctx, slot, len(xs))
            value = evaluate(formula, op.values_for(ctx, slot, arrays, out))
            shape = np.shape(arrays[slot])
            want = np.broadcast_to(np.asarray(value, dtype=np.float64), np.broadcast_shapes(np.shape(value), shape))
            got = np.asarray(code, dtype=np.float64)
            if want.shape != got.shape:
                try:
                    want = np.broadcast_to(want, got.shape)
                except ValueError:
                    problems.append(f"op {op.name!r}, input {slot}: formula {formula!r} has shape {want.shape}, "
                                    f"the derivative code {got.shape}")
                    continue
            close = np.isclose(want, got, rtol=rtol, atol=atol, equal_nan=True)
            if not np.all(close):
                k = int(np.flatnonzero(~close.ravel())[0])
                at = "" if got.ndim == 0 else f" at element {np.unravel_index(k, got.shape)}"
                problems.append(f"op {op.name!r}, input {slot}{at}: formula {formula!r} = {want.ravel()[k]:.6g} "
                                f"but its derivative code gives {got.ravel()[k]:.6g}")
    return problems
