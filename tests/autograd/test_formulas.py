"""Every registered op's printed formula is evaluated and compared with its derivative code (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd  # noqa: F401  (registers the ops)
from autograd import Op, Value, apply, register, unregister
from autograd.engine import REGISTRY
from autograd.formula import FormulaError, check_op, checkable, evaluate, expression_of
from autograd.gradcheck import gradcheck

SHAPE = (2, 3)
num = st.one_of(st.floats(0.01, 3), st.floats(-3, -0.01))
pos = st.floats(0.1, 3)


def arr(elems=num):
    return st.lists(elems, min_size=6, max_size=6).map(lambda v: np.array(v).reshape(SHAPE))


# op name -> (works on floats too, strategy of (ctx, inputs as arrays)); every checkable op must be here
ELEMENTWISE = {
    "add": (None, [num, num]), "sub": (None, [num, num]), "mul": (None, [num, num]), "div": (None, [num, num]),
    "neg": (None, [num]), "abs": (None, [num]), "exp": (None, [num]), "log": (None, [pos]),
    "sqrt": (None, [pos]), "tanh": (None, [num]), "sigmoid": (None, [num]), "relu": (None, [num]),
    "sin": (None, [num]), "cos": (None, [num]), "power": (None, [pos, num]),
    "bce_with_logits": (None, [num, st.floats(0, 1)]),
    "pow": (st.sampled_from([2.0, 3.0, 0.5, -1.0, 0.0]), [pos]),
    "leaky_relu": (st.sampled_from([0.01, 0.2]), [num]),
    "softplus": (st.tuples(st.sampled_from([1.0, 2.0, -1.5]), st.sampled_from([20.0, 1.0])), [num]),
}


def _array_case(name: str):
    """(ctx, inputs) strategies for the ops that only take arrays."""
    x = arr()
    return {
        "sum": st.tuples(st.sampled_from([(None, False), ((1,), False), ((0,), True)]), st.tuples(x)),
        "mean": st.tuples(st.sampled_from([(None, False), ((1,), False), ((0,), True)]), st.tuples(x)),
        "max": st.tuples(st.sampled_from([(None, False), ((1,), False), ((0,), True)]),
                         st.tuples(arr(st.sampled_from([-1.0, 0.5, 2.0])))),  # ties on purpose
        "min": st.tuples(st.sampled_from([(None, False), ((1,), True)]),
                         st.tuples(arr(st.sampled_from([-1.0, 0.5, 2.0])))),
        "maximum": st.tuples(st.none(), st.tuples(arr(st.sampled_from([-1.0, 0.5])), arr(st.sampled_from([-1., 2.])))),
        "minimum": st.tuples(st.none(), st.tuples(arr(st.sampled_from([-1.0, 0.5])), arr(st.sampled_from([-1., 2.])))),
        "clip": st.tuples(st.sampled_from([(-1.0, 1.0), (None, 0.5), (0.0, None)]), st.tuples(x)),
        "where": st.tuples(arr(st.booleans()), st.tuples(x, x)),
        "reshape": st.tuples(st.just((3, 2)), st.tuples(x)),
        "transpose": st.tuples(st.just((1, 0)), st.tuples(x)),
        "broadcast_to": st.tuples(st.just((4,) + SHAPE), st.tuples(x)),
        "scatter_add": st.tuples(st.just((np.array([0, 2]), (4, 3))), st.tuples(x)),
        "concatenate": st.tuples(st.just((0, (0, 2, 4))), st.tuples(x, x)),
        "logsumexp": st.tuples(st.sampled_from([(None, False), ((1,), False), ((0,), True)]), st.tuples(x)),
        "astype": st.tuples(st.just(np.float64), st.tuples(x)),
        "weighted_sum": st.tuples(st.just((2, True)), st.tuples(x, x, x, x, x)),
    }.get(name)


def test_every_registered_op_is_checkable_or_says_why() -> None:
    not_checkable = {name: checkable(op) for name, op in REGISTRY.items() if checkable(op) is not None}
    assert set(not_checkable) <= {"matmul", "linear", "getitem", "softmax", "log_softmax"}, not_checkable
    assert all(len(reason) > 20 for reason in not_checkable.values())  # a stated reason, not a flag
    for name, op in REGISTRY.items():
        if checkable(op) is None and not name.startswith("my_"):
            assert name in ELEMENTWISE or _array_case(name) is not None, f"no test case for op {name!r}"


CHECKED = sorted(name for name, op in REGISTRY.items() if checkable(op) is None and not name.startswith("my_"))


@pytest.mark.parametrize("name", CHECKED)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_every_formula_agrees_with_its_derivative_code(name, data) -> None:
    op = REGISTRY[name]
    if name in ELEMENTWISE:
        ctx_st, inputs = ELEMENTWISE[name]
        ctx = None if ctx_st is None else data.draw(ctx_st)
        floats = [data.draw(s) for s in inputs]
        assert check_op(op, ctx, floats) == []  # floats (a Value's numbers)
        xs = [data.draw(arr(s)) for s in inputs]
        assert check_op(op, ctx, xs) == []  # arrays, element by element
    else:
        ctx, xs = data.draw(_array_case(name))
        assert check_op(op, ctx, list(xs)) == []


def test_the_language_is_small_and_safe() -> None:
    assert evaluate("n * x^(n-1)", {"n": 3.0, "x": 2.0}) == 12.0
    assert expression_of("sign(x)  (0 at x = 0)") == "sign(x)"
    assert list(evaluate("1 if lo <= x <= hi else 0", {"x": np.array([-2.0, 0.0, 2.0]), "lo": -1, "hi": 1})) \
        == [0, 1, 0]
    for bad in ("__import__('os')", "x.real", "[x]", "open(x)", "exp(x, y)", "lambda: 1", "x[0]", "'a'"):
        with pytest.raises(FormulaError, match="not allowed|not an expression"):
            evaluate(bad, {"x": 1.0, "y": 2.0})
    with pytest.raises(FormulaError, match="the letter 'q' has no value"):
        evaluate("q + 1", {"x": 1.0})


def test_a_wrong_formula_is_named_with_both_numbers() -> None:
    op = register(Op("my_square", arity=1, forward=lambda F, ctx, x: x * x,
                     backward=lambda F, ctx, g, out, x: (g * 2 * x,), formula=("3 * x",)))
    try:
        (msg,) = check_op(op, None, [2.0])
        assert msg == "op 'my_square', input 0: formula '3 * x' = 6 but its derivative code gives 4"
        report = gradcheck(lambda x: apply(op, x), Value(2.0))
        assert not report and "formula '3 * x' = 6 but its derivative code gives 4" in str(report)
    finally:
        unregister("my_square")


def test_a_wrong_derivative_code_is_named_with_its_formula() -> None:
    op = register(Op("my_cube", arity=1, forward=lambda F, ctx, x: x * x * x,
                     backward=lambda F, ctx, g, out, x: (g * 2 * x * x,), formula=("3 * x^2",)))
    try:
        report = gradcheck(lambda x: apply(op, x), Value(1.5))
        assert not report
        assert "op 'my_cube', input 0: formula '3 * x^2' = 6.75 but its derivative code gives 4.5" in str(report)
    finally:
        unregister("my_cube")


def test_a_user_formula_in_prose_is_not_checked_but_said_so() -> None:
    op = register(Op("my_prose", arity=1, forward=lambda F, ctx, x: x * 2.0,
                     backward=lambda F, ctx, g, out, x: (g * 2.0,), formula=("twice x",)))
    try:
        assert "not an expression of the formula language" in checkable(op)
        report = gradcheck(lambda x: apply(op, x), Value(1.0))
        assert report and not report.formulas  # prose is not checked: the finite differences still are
    finally:
        unregister("my_prose")
