"""An op registered through the public API is drawn, stepped, explained and gradchecked as well as a built-in one.

Every tool reads the op's record (its text, formula letters, expression, formula per slot, branch at kinks), never
its name: so a built-in op registered again under another name must give the very same pictures, steps,
explanations and gradcheck verdicts, and an op written from scratch gets everything its hooks describe.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import autograd
from autograd import REGISTRY, Op, Tensor, Value, apply, backward_steps, draw, explain, gradcheck, register, unregister
from autograd.gradcheck import GradcheckKinkWarning

_FIELDS = ("arity", "forward", "backward", "formula", "symbol", "kinks", "selective", "doc", "text", "letters",
           "expression", "formula_slot", "branch", "values")


@pytest.fixture
def twin():
    """``twin(name)``: the registered op ``name`` registered again as ``user_<name>``, all its fields copied."""
    made: list[str] = []

    def make(name: str) -> Op:
        op = REGISTRY[name]
        made.append(f"user_{name}")
        return register(Op(f"user_{name}", **{f: getattr(op, f) for f in _FIELDS}))

    yield make
    for name in made:
        unregister(name)


def _same(a: str, b: str, name: str) -> None:
    """Equal up to the op's name (``user_clip#3`` names a node after its op where the built-in says ``clip#3``)."""
    assert a.replace(f"user_{name}", name) == b


def _value_graph(make_op, x: float):
    """J = (op(w * x) - 1) ** 2 on labelled Values; ``make_op(z)`` builds the op node."""
    w = Value(0.7, label="w")
    z = w * x
    z.label = "z"
    h = make_op(z)
    J = (h - 1.0) ** 2
    J.label = "J"
    return w, J


VALUE_CASES = {  # built-in op: (how the built-in is called, its ctx, the input that exercises it)
    "pow": (lambda z: z ** 3.0, 3.0, 1.5),
    "leaky_relu": (lambda z: z.leaky_relu(0.1), 0.1, -0.8),
    "softplus": (lambda z: z.softplus(2.0, 5.0), (2.0, 5.0), 0.5),
    "relu": (lambda z: z.relu(), None, 0.9),
}


@pytest.mark.parametrize("name", ["pow", "leaky_relu", "softplus", "relu"])
def test_a_twin_of_a_builtin_value_op_draws_steps_and_explains_identically(twin, name) -> None:
    builtin, ctx, x = VALUE_CASES[name]
    op = twin(name)
    w1, J1 = _value_graph(builtin, x)
    w2, J2 = _value_graph(lambda z: apply(op, z, ctx=ctx), x)
    _same(draw(J2).source, draw(J1).source, name)
    _same("\n".join(map(str, backward_steps(J2))), "\n".join(map(str, backward_steps(J1))), name)
    assert w2.grad == w1.grad
    _same(str(explain(J2, w2)), str(explain(J1, w1)), name)
    assert str(gradcheck(lambda w: _value_graph(lambda z: apply(op, z, ctx=ctx), x)[1], w2)) == str(
        gradcheck(lambda w: _value_graph(builtin, x)[1], w1))


def test_a_twin_of_weighted_sum_steps_and_explains_each_slot_identically(twin) -> None:
    op = twin("weighted_sum")
    ws = [Value(0.5, label="w1"), Value(-2.0, label="w2")]
    xs = [Value(1.5, label="x1"), Value(3.0, label="x2")]
    b = Value(0.25, label="b")
    z1 = autograd.weighted_sum(ws, xs, b)
    z2 = apply(op, *ws, *xs, b, ctx=(2, True))
    lines1, lines2 = [str(s) for s in backward_steps(z1)], [str(s) for s in backward_steps(z2)]
    _same("\n".join(lines2), "\n".join(lines1), "weighted_sum")
    assert "w1: x_i  (for w_i) [i = 1, x_1 = x1]" in lines1[0]
    _same(str(explain(z2, ws[1])), str(explain(z1, ws[1])), "weighted_sum")


@pytest.mark.parametrize("name, call, ctx", [
    ("sum", lambda t: t.sum(axis=1), ((1,), False)),
    ("mean", lambda t: t.mean(axis=0, keepdims=True), ((0,), True)),
    ("max", lambda t: t.max(axis=1), ((1,), False)),
    ("clip", lambda t: t.clip(-0.5, 0.5), (-0.5, 0.5)),
    ("transpose", lambda t: t.transpose(1, 0), (1, 0)),
    ("getitem", lambda t: t[:, 1], (slice(None), 1)),
    ("softmax", lambda t: t.softmax(axis=1), 1),
])
def test_a_twin_of_a_builtin_tensor_op_draws_steps_and_gradchecks_identically(twin, name, call, ctx) -> None:
    op = twin(name)
    data = np.array([[0.3, -1.2, 0.4], [2.0, 0.0, -0.7]])

    def f(user: bool):
        def run(x):
            y = apply(op, x, ctx=ctx) if user else call(x)
            return (y * y).sum()
        return run

    x1, x2 = Tensor(data, requires_grad=True, label="x"), Tensor(data, requires_grad=True, label="x")
    J1, J2 = f(False)(x1), f(True)(x2)
    _same(draw(J2).source, draw(J1).source, name)
    _same("\n".join(map(str, backward_steps(J2))), "\n".join(map(str, backward_steps(J1))), name)
    np.testing.assert_array_equal(x2.grad, x1.grad)
    assert str(gradcheck(f(True), x2)) == str(gradcheck(f(False), x1))


def test_a_twin_of_clip_sees_the_kink_as_the_builtin_does(twin) -> None:
    op = twin("clip")
    at_bound = Tensor([1.0, 0.2], requires_grad=True)  # 1.0 sits on clip's upper bound
    for fn in (lambda t: t.clip(-1.0, 1.0).sum(), lambda t: apply(op, t, ctx=(-1.0, 1.0)).sum()):
        with pytest.warns(GradcheckKinkWarning, match="1 input element within eps"):
            assert gradcheck(fn, at_bound)


# -- an op written from scratch -----------------------------------------------------------------------------------


@pytest.fixture
def threshold():
    """threshold(x; t) = x if x > t else 0: a kink at t, shown with its constant, a letter for it."""
    op = register(Op(
        "threshold", arity=1,
        forward=lambda F, ctx, x: F.where(x > ctx, x, x * 0),
        backward=lambda F, ctx, g, out, x: (F.where(F.raw(x) > ctx, g, g * 0),),
        formula=("1 if x > t else 0",),
        text=lambda t: f"threshold({t:g})",
        letters=lambda node, slot, names: f"x = {names[0]}, t = {node.ctx:g}",
        branch=lambda t, xs, out: np.asarray(xs[0]) > t,
    ))
    yield op
    unregister("threshold")


def test_an_op_written_from_scratch_is_drawn_stepped_explained_and_gradchecked(threshold) -> None:
    w, J = _value_graph(lambda z: apply(threshold, z, ctx=0.5), 1.0)
    assert re.search(r'label="threshold\(0\.5\)"', draw(J).source)
    steps = [str(s) for s in backward_steps(J)]
    assert any("= threshold(0.5)(z) |" in s and "z: 1 if x > t else 0 [x = z, t = 0.5] = 1," in s for s in steps)
    factors = explain(J, w).paths[0].factors
    assert [(f.formula, f.where) for f in factors if f.formula.startswith("1 if")] == [
        ("1 if x > t else 0", "x = z, t = 0.5")]
    assert explain(J, w).total == pytest.approx(w.grad)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradcheckKinkWarning)  # far from the kink: judged, and right
        assert gradcheck(lambda v: _value_graph(lambda z: apply(threshold, z, ctx=0.5), 1.0)[1], Value(0.7))
    with pytest.warns(GradcheckKinkWarning):  # w * 1.0 lands on t: not judged, as relu at 0 (so not a pass)
        report = gradcheck(lambda v: apply(threshold, v * 1.0, ctx=0.5), Value(0.5))
    assert not report and "NOT JUDGED" in repr(report)


def test_defaults_serve_an_op_that_declares_no_hooks() -> None:
    op = register(Op("halve", arity=1, forward=lambda F, ctx, x: x * 0.5,
                     backward=lambda F, ctx, g, out, x: (g * 0.5,), formula=("1/2",)))
    try:
        x = Value(3.0, label="x")
        y = apply(op, x)
        (step,) = backward_steps(y)
        assert str(step) == "step 0: J = halve(x) | upstream dJ/dJ = 1 | x: 1/2 [x = x] = 0.5, gets 0.5, total 0.5"
        assert "[label=halve " in draw(y).source
        assert op.branch_for(None, [1.0], 0.5) is None and op.show(None) == "halve"
    finally:
        unregister("halve")


@pytest.mark.parametrize("kind", ["value", "tensor", "value, create_graph", "tensor, steps"])
def test_a_rule_that_fails_half_way_leaves_every_grad_as_it_was(kind) -> None:
    """Gradients reach .grad only once the whole walk has succeeded (every loop: plain, recorded, stepped)."""
    def broken(F, ctx, g, out, x):
        raise ArithmeticError("a bug in my rule")

    op = register(Op("broken", arity=1, forward=lambda F, ctx, x: x * 1.0, backward=broken, formula=("1",)))
    try:
        if kind.startswith("value"):
            x, w = Value(2.0), Value(3.0)
        else:
            x, w = Tensor([2.0, 1.0], requires_grad=True), Tensor([3.0, 1.0], requires_grad=True)
        y = x * w
        J = apply(op, x) + y  # the walk reaches y (and sends to x, w) before it reaches the broken node
        root = J if kind.startswith("value") else J.sum()
        before = [np.copy(n.grad) if n.grad is not None else None for n in (x, w, y, J)]
        with pytest.raises(ArithmeticError, match="a bug in my rule"):
            if kind.endswith("steps"):
                list(backward_steps(root))
            else:
                root.backward(create_graph=kind.endswith("create_graph"))
        after = [np.copy(n.grad) if n.grad is not None else None for n in (x, w, y, J)]
        assert [None if a is None else a.tolist() for a in after] == [
            None if b is None else b.tolist() for b in before]
    finally:
        unregister("broken")
