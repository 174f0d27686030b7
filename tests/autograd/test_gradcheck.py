"""gradcheck and gradgradcheck: every registered op passes both under hypothesis; wrong derivatives are caught
and named; kinks warn instead of failing; float32 inputs do not give false failures."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import REGISTRY, Tensor, Value, concatenate, maximum, minimum, ops, stack, weighted_sum, where
from autograd.engine import Op, register, topological_order
from autograd.gradcheck import (
    GradcheckError,
    GradcheckKinkWarning,
    GradcheckReport,
    gradcheck,
    gradgradcheck,
)
from autograd.strategies import arrays, broadcastable_shapes, floats_away_from
from autograd.strategies import shapes as shape_st

# ----------------------------------------------------------------------------------------------------------------
# The catalogue: every registered op, how to call it and on which domain
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """How to exercise one op: ``fn`` applied to inputs drawn from ``domains`` (one (lo, hi) per input)."""

    fn: Callable
    domains: tuple[tuple[float, float], ...]
    shapes: tuple[tuple[int, ...], ...] | None = None  # tensor shapes; None: one drawn shape shared (broadcast)
    value: bool = True  # also run on Values
    tensor: bool = True
    kinks: tuple[float, ...] = ()
    broadcast: bool = False  # binary: draw broadcastable shape pairs
    extra: dict = field(default_factory=dict)


ANY = (-2.0, 2.0)
POS = (0.3, 2.0)
IDX = np.array([2, 0, 2])  # a repeated index: its gradients accumulate


def _scatter(x):
    return Tensor._apply(ops.SCATTER_ADD, (x,), (IDX, (4,)))


CATALOGUE: dict[str, list[Case]] = {
    "add": [Case(lambda a, b: a + b, (ANY, ANY), broadcast=True)],
    "sub": [Case(lambda a, b: a - b, (ANY, ANY), broadcast=True)],
    "mul": [Case(lambda a, b: a * b, (ANY, ANY), broadcast=True)],
    "div": [Case(lambda a, b: a / b, (ANY, POS), broadcast=True), Case(lambda a, b: a / -b, (ANY, POS))],
    "neg": [Case(lambda x: -x, (ANY,))],
    "pow": [Case(lambda x: x ** 3, (ANY,)), Case(lambda x: x ** 2.5, (POS,)), Case(lambda x: x ** -1.5, (POS,))],
    "power": [Case(lambda a, b: a ** b, (POS, ANY), broadcast=True), Case(lambda b: 2.0 ** b, (ANY,))],
    "abs": [Case(lambda x: abs(x), (ANY,), kinks=(0.0,))],
    "exp": [Case(lambda x: x.exp(), (ANY,))],
    "log": [Case(lambda x: x.log(), (POS,))],
    "sqrt": [Case(lambda x: x.sqrt(), (POS,))],
    "tanh": [Case(lambda x: x.tanh(), (ANY,))],
    "sigmoid": [Case(lambda x: x.sigmoid(), ((-6.0, 6.0),))],
    "relu": [Case(lambda x: x.relu(), (ANY,), kinks=(0.0,))],
    "leaky_relu": [Case(lambda x: x.leaky_relu(0.1), (ANY,), kinks=(0.0,))],
    "bce_with_logits": [Case(lambda z, y: z.bce_with_logits(y), ((-6.0, 6.0), (0.0, 1.0)), broadcast=True)],
    "softplus": [Case(lambda x: x.softplus(), ((-6.0, 6.0),)),
                 Case(lambda x: x.softplus(beta=2.0, threshold=3.0), (ANY,), kinks=(1.5,))],
    "sin": [Case(lambda x: x.sin(), ((-4.0, 4.0),))],
    "cos": [Case(lambda x: x.cos(), ((-4.0, 4.0),))],
    "weighted_sum": [Case(lambda w1, w2, x1, x2, b: weighted_sum([w1, w2], [x1, x2], b), (ANY,) * 5, tensor=False),
                     Case(lambda w, x: weighted_sum([w], [x]), (ANY, ANY), tensor=False)],
    "linear": [Case(lambda x, W, b: autograd.linear(x, W, b), (ANY, ANY, ANY), ((4, 3), (3, 2), (2,)), value=False),
               Case(lambda x, W, b: autograd.linear(x, W, b), (ANY, ANY, ANY), ((2, 4, 3), (3, 2), (2,)),
                    value=False)],
    "matmul": [Case(lambda a, b: a @ b, (ANY, ANY), ((2, 3), (3, 4)), value=False),
               Case(lambda a, b: a @ b, (ANY, ANY), ((3,), (3, 2)), value=False),
               Case(lambda a, b: a @ b, (ANY, ANY), ((2, 2, 3), (3,)), value=False),
               Case(lambda a, b: a @ b, (ANY, ANY), ((2, 1, 2, 3), (2, 3, 2)), value=False)],
    "sum": [Case(lambda x: x.sum(), (ANY,), ((2, 3),), value=False),
            Case(lambda x: x.sum(axis=0), (ANY,), ((2, 3),), value=False),
            Case(lambda x: x.sum(axis=(0, 2), keepdims=True), (ANY,), ((2, 3, 2),), value=False)],
    "mean": [Case(lambda x: x.mean(), (ANY,), ((2, 3),), value=False),
             Case(lambda x: x.mean(axis=-1, keepdims=True), (ANY,), ((2, 3),), value=False)],
    "max": [Case(lambda x: x.max(), (ANY,), ((2, 3),), value=False),
            Case(lambda x: x.max(axis=1), (ANY,), ((3, 4),), value=False)],
    "min": [Case(lambda x: x.min(axis=0, keepdims=True), (ANY,), ((3, 2),), value=False)],
    "maximum": [Case(lambda a, b: maximum(a, b), (ANY, ANY), broadcast=True, value=False)],
    "minimum": [Case(lambda a, b: minimum(a, b), (ANY, ANY), broadcast=True, value=False)],
    "clip": [Case(lambda x: x.clip(-0.5, 0.7), (ANY,), value=False, kinks=(-0.5, 0.7)),
             Case(lambda x: x.clip(min=0.1), (ANY,), value=False, kinks=(0.1,))],
    "where": [Case(lambda a, b: where(a.data > 0, a * a, b), (ANY, ANY), broadcast=True, value=False,
                   kinks=(0.0,))],
    "reshape": [Case(lambda x: x.reshape(3, 2).tanh(), (ANY,), ((2, 3),), value=False)],
    "transpose": [Case(lambda x: x.T * x.transpose(1, 0, 2).sum(axis=1), (ANY,), ((2, 3, 2),), value=False)],
    "broadcast_to": [Case(lambda x: x.broadcast_to((2, 3)) * x, (ANY,), ((3,),), value=False)],
    "getitem": [Case(lambda x: x[IDX] * x[1:], (ANY,), ((4,),), value=False),
                Case(lambda x: x[:, 0] + x[x.data > 0].sum(), (ANY,), ((2, 3),), value=False, kinks=(0.0,))],
    "scatter_add": [Case(lambda x: _scatter(x) * _scatter(x), (ANY,), ((3,),), value=False)],
    "concatenate": [Case(lambda a, b: concatenate([a, b * b], axis=1), (ANY, ANY), ((2, 1), (2, 3)), value=False),
                    Case(lambda a, b: stack([a, b.exp()]), (ANY, ANY), ((3,), (3,)), value=False)],
    "softmax": [Case(lambda x: x.softmax(axis=-1), (ANY,), ((2, 3),), value=False)],
    "log_softmax": [Case(lambda x: x.log_softmax(axis=0), (ANY,), ((3, 2),), value=False)],
    "logsumexp": [Case(lambda x: x.logsumexp(axis=1), (ANY,), ((2, 3),), value=False),
                  Case(lambda x: x.logsumexp(), (ANY,), ((4,),), value=False)],
    "astype": [Case(lambda x: (x.astype(np.float32) * 2).tanh(), (ANY,), ((3,),), value=False)],
}

PARAMS = [(name, i, kind) for name, cases in CATALOGUE.items() for i, case in enumerate(cases)
          for kind in ("value", "tensor") if getattr(case, kind)]

def _draw_inputs(data, case: Case, kind: str) -> list:
    margin = 1e-3
    if kind == "value":
        return [Value(data.draw(floats_away_from(case.kinks, lo, hi, margin), label=f"x{i}"))
                for i, (lo, hi) in enumerate(case.domains)]
    if case.shapes is not None:
        shapes = case.shapes
    elif case.broadcast and len(case.domains) == 2:
        shapes = data.draw(broadcastable_shapes(max_dims=3, max_side=3), label="shapes")
    else:
        s = data.draw(shape_st(max_dims=2, max_side=3), label="shape")
        shapes = (s,) * len(case.domains)
    out = []
    for i, ((lo, hi), shape) in enumerate(zip(case.domains, shapes)):
        arr = data.draw(arrays(tuple(reversed(shape)) if len(shape) >= 2 else shape, np.float64, lo, hi,
                               case.kinks, margin), label=f"x{i}")
        if len(shape) >= 2:
            arr = arr.T  # a non-contiguous view: layouts must not matter
        out.append(Tensor(arr, requires_grad=True))
    return out


PARAM_IDS = [f"{name}-{i}-{kind}" for name, i, kind in PARAMS]


def test_catalogue_covers_every_registered_op():
    """A new op without a catalogue entry fails here: add it to CATALOGUE so gradcheck proves it."""
    missing = sorted(set(REGISTRY) - set(CATALOGUE))
    assert not missing, f"registered ops without a gradcheck case: {missing}"
    assert not set(CATALOGUE) - set(REGISTRY)


@pytest.mark.parametrize("name, i, kind", PARAMS, ids=PARAM_IDS)
def test_each_case_exercises_its_op_and_create_graph_gives_the_same_gradient(name, i, kind):
    """The case really builds its op; backward(create_graph=True) gives the plain backward's numbers."""
    case = CATALOGUE[name][i]
    rng = np.random.default_rng(3)
    pts = [rng.uniform(lo + 0.01, hi - 0.01) for lo, hi in case.domains]
    shapes = case.shapes or ((2, 3),) * len(case.domains)

    def make():
        if kind == "value":
            return [Value(float(p)) for p in pts]
        return [Tensor(np.full(s, p) + 0.01 * np.arange(int(np.prod(s))).reshape(s), requires_grad=True)
                for p, s in zip(pts, shapes)]

    xs = make()
    out = case.fn(*xs)
    assert name in {n._fn.name for n in topological_order(out) if n._fn is not None}
    seed = None if kind == "value" else np.linspace(-1, 1, out.data.size).reshape(out.shape)
    out.backward(seed)
    plain = [np.asarray(x.grad, dtype=float) for x in xs]
    ys = make()
    case.fn(*ys).backward(seed, create_graph=True)
    recorded = [np.asarray(y.grad.data, dtype=float) for y in ys]
    for p, r in zip(plain, recorded):
        np.testing.assert_allclose(r, p, rtol=1e-12, atol=1e-12)


@settings(max_examples=12)
@given(data=st.data())
@pytest.mark.parametrize("name, i, kind", PARAMS, ids=PARAM_IDS)
def test_every_op_passes_gradcheck(name, i, kind, data):
    case = CATALOGUE[name][i]
    xs = _draw_inputs(data, case, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GradcheckKinkWarning)  # max ties etc. are skipped, not failed
        report = gradcheck(case.fn, *xs)
    assert report or (report.checked == 0 and not report.failed), str(report)  # all at kinks: not judged


@settings(max_examples=6)
@given(data=st.data())
@pytest.mark.parametrize("name, i, kind", PARAMS, ids=PARAM_IDS)
def test_every_op_passes_gradgradcheck(name, i, kind, data):
    case = CATALOGUE[name][i]
    xs = _draw_inputs(data, case, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GradcheckKinkWarning)
        report = gradgradcheck(case.fn, *xs)
    assert report or (report.checked == 0 and not report.failed), str(report)  # all at kinks: not judged


# ----------------------------------------------------------------------------------------------------------------
# Wrong derivatives are caught and named
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def buggy_ops():
    """Test-only ops with wrong derivatives; removed from the registry afterwards."""
    made = [
        register(Op("test_bad_square", arity=1, forward=lambda F, c, x: x * x,
                    backward=lambda F, c, g, out, x: (g * x,), formula=("2x",))),  # forgot the 2
        register(Op("test_const_square", arity=1, forward=lambda F, c, x: x * x,  # right value, but F.raw(x) is
                    backward=lambda F, c, g, out, x: (g * 2 * F.raw(x),), formula=("2x",))),  # a constant
    ]
    yield {op.name: op for op in made}
    for op in made:
        del REGISTRY[op.name]


def test_wrong_derivative_is_caught_and_named_for_tensors(buggy_ops):
    bad = buggy_ops["test_bad_square"]
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    report = gradcheck(lambda x: Tensor._apply(bad, ((x * 2).tanh(),)).exp().sum(), x)
    assert not report
    assert report.failed == 3
    assert report.culprit is not None and report.culprit.op == "test_bad_square"
    text = str(report)
    assert "FAILED" in text and "test_bad_square" in text and "FAIL" in text
    assert "'test_bad_square'" in report._repr_html_() or "test_bad_square" in report._repr_html_()
    # the numbers in the table are the real ones: numeric = 2 x analytic for the first element
    row = report.rows[0]
    assert row.numeric == pytest.approx(2 * row.analytic, rel=1e-6)
    with pytest.raises(GradcheckError, match="test_bad_square"):
        gradcheck(lambda x: Tensor._apply(bad, ((x * 2).tanh(),)).exp().sum(), x, raise_on_fail=True)


def test_wrong_derivative_is_caught_and_named_for_values(buggy_ops):
    from autograd.value import _new

    bad = buggy_ops["test_bad_square"]

    def f(a, b):
        h = (a * b).sin()
        return _new(h.data * h.data, (h,), bad) + a

    report = gradcheck(f, Value(0.4), Value(1.3))
    assert not report and report.culprit.op == "test_bad_square"
    assert report.culprit.formula == "test_bad_square: d/dx = 2x"


def test_gradgradcheck_names_a_rule_that_is_right_once_but_not_differentiable(buggy_ops):
    bad = buggy_ops["test_const_square"]
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    f = lambda x: Tensor._apply(bad, ((x * 2).tanh(),)).sum()
    assert gradcheck(f, x)  # first derivatives are right
    report = gradgradcheck(f, x)
    assert not report
    assert report.culprit is not None and report.culprit.op == "test_const_square" and report.culprit.order == 2
    assert "differentiated again" in str(report)
    # both orders name the op the same way: its registered formula, as Op.describe() prints it
    assert report.culprit.formula == bad.describe() == "test_const_square: d/dx = 2x"
    assert str(report).splitlines()[-1].endswith("registered formula: test_const_square: d/dx = 2x")
    first = gradcheck(lambda x: Tensor._apply(buggy_ops["test_bad_square"], (x,)).sum(), x)
    assert str(first).splitlines()[-1].endswith("registered formula: test_bad_square: d/dx = 2x")


def test_gradgradcheck_culprit_message_on_values_carries_the_formula(buggy_ops):
    from autograd.value import _new

    bad = buggy_ops["test_const_square"]
    report = gradgradcheck(lambda a: _new(a.data * a.data, (a,), bad) * a, Value(0.8))
    assert not report and report.culprit.order == 2
    assert "'test_const_square', input 0" in str(report)
    assert "registered formula: test_const_square: d/dx = 2x" in str(report)


def test_an_operation_done_on_data_is_reported_without_blaming_an_op():
    x = Tensor([0.3, 0.8], requires_grad=True)
    report = gradcheck(lambda x: x * Tensor(x.data), x)  # x.data is a constant: half the derivative is lost
    assert not report and report.culprit is None
    assert "every op of the graph passes its local check" in str(report)


# ----------------------------------------------------------------------------------------------------------------
# Report, modes, precision, kinks
# ----------------------------------------------------------------------------------------------------------------


def test_report_table_and_modes():
    x = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    small = gradcheck(lambda x: x.tanh(), x)
    assert small and small.mode.startswith("full Jacobian (6 outputs x 6 inputs)")
    big = gradcheck(lambda x: (x.reshape(6, 1) * x.reshape(1, 6) * x.sum()).sin(), x, max_rows=10, projections=3)
    assert big and big.mode.startswith("3 random projections")
    scalar = gradcheck(lambda a, t: (a * a, (t * 2).sum()), Value(2.0, label="a"), x)
    assert isinstance(scalar, GradcheckReport) and scalar.mode.startswith("full Jacobian (2 outputs x 7 inputs)")
    assert gradcheck(lambda t: t.sum(), x).mode == "scalar output"
    text = str(scalar)
    assert text.splitlines()[0] == "gradcheck PASSED (14 elements judged)"  # 2 outputs x 7 input elements
    for col in ("input", "index", "analytic", "numeric", "abs err", "rel err"):
        assert col in text
    assert "a " in text and "arg1" in text  # labels name inputs
    assert "<table>" in scalar._repr_html_()


def test_counts_in_the_report_are_pluralised(buggy_ops):
    one = gradcheck(lambda a: a * a, Value(0.5))
    assert str(one).splitlines()[0] == "gradcheck PASSED (1 element judged)"
    x = Tensor([0.5], requires_grad=True)
    assert gradcheck(lambda x: (x * 2, x * 3), x).mode == "full Jacobian (2 outputs x 1 input)"
    proj = gradcheck(lambda x: x * Tensor(np.ones(3)), x, max_rows=2, projections=1)
    assert proj.mode == "1 random projection u^T J of 3 outputs x 1 input"
    bad = buggy_ops["test_bad_square"]
    failed = gradcheck(lambda a: _value_op(bad, a), Value(0.7))
    assert str(failed).splitlines()[0] == "gradcheck FAILED (1 of 1 element)"
    two = gradcheck(lambda a, b: _value_op(bad, a) * b, Value(0.7), Value(1.3))
    assert str(two).splitlines()[0] == "gradcheck FAILED (1 of 2 elements)"
    with pytest.warns(GradcheckKinkWarning, match=r"1 input element within eps.*its derivative was not judged"):
        gradcheck(lambda t: t.relu().sum(), Tensor([0.0, 1.0], requires_grad=True))
    with pytest.warns(GradcheckKinkWarning, match=r"2 input elements within eps.*their derivatives were not"):
        gradcheck(lambda t: t.relu().sum(), Tensor([0.0, 0.0], requires_grad=True))


def _value_op(op, a):
    from autograd.value import _new

    return _new(op.forward(ops.FloatMath, None, a.data), (a,), op)


def test_only_inputs_that_require_grad_are_checked_and_callers_nodes_are_untouched():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])  # a constant: passed through, not checked
    v = Value(0.5)
    outside = Tensor([1.5, 1.5], requires_grad=True)  # a parameter f closes over
    outside.grad = np.array([7.0, 7.0])
    report = gradcheck(lambda w, c, v: (((w * c) * outside).sum(), v * v), w, c, v)
    assert report and report.checked == 2 * 3  # 2 outputs x (2 + 1) checked input elements
    assert w.grad is None and v.grad == 0.0 and w.data.tolist() == [1.0, 2.0]
    assert outside.grad.tolist() == [7.0, 7.0]


def test_float32_inputs_are_promoted_and_pass():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    W = Tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    report = gradcheck(lambda x, W: ((x @ W).tanh() ** 2).mean(), x, W)
    assert report, str(report)
    assert any("promoted to float64" in n and "float32" in n for n in report.notes)
    assert report.eps == 1e-6  # the check itself ran in float64
    assert x.dtype == np.float32


def test_float32_computation_inside_f_uses_float32_tolerances():
    x = Tensor([0.2, -0.7, 1.1], requires_grad=True)
    report = gradcheck(lambda x: (x.astype(np.float32) * 3).sin().sum(), x)
    assert report, str(report)
    assert report.eps == 1e-3 and any("computes in float32" in n for n in report.notes)


@pytest.mark.parametrize("f, point", [
    (lambda x: x.relu().sum(), [0.0, 1.0]),
    (lambda x: abs(x).sum(), [1.0, 0.0]),
    (lambda x: x.leaky_relu(0.2).sum(), [-1.0, 0.0]),
    (lambda x: x.max(), [2.0, 2.0]),
    (lambda x: maximum(x, 1.0).sum(), [1.0, 3.0]),
    (lambda x: x.clip(-1.0, 1.0).sum(), [1.0, 0.0]),
    (lambda x: where(x.data > 0.5, x * 3, x).sum(), [0.5, 2.0]),
])
def test_kinks_warn_instead_of_failing(f, point):
    x = Tensor(point, requires_grad=True)
    with pytest.warns(GradcheckKinkWarning, match="within eps"):
        report = gradcheck(f, x)
    assert not report.failed and bool(report) == (report.checked > 0), str(report)  # judged nothing: not truthy
    assert report.kinks and "not judged" in str(report)


def test_kink_of_a_value_and_of_an_intermediate():
    with pytest.warns(GradcheckKinkWarning):
        report = gradcheck(lambda a, b: (a - b).relu() * a, Value(1.0), Value(1.0))
    assert not report and report.checked == report.failed == 0 and len(report.kinks) == 2  # nothing judged
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradcheckKinkWarning)  # far from the kink: no warning
        assert gradcheck(lambda a, b: (a - b).relu() * a, Value(1.5), Value(1.0))


def test_a_real_failure_next_to_a_kink_is_still_reported(buggy_ops):
    bad = buggy_ops["test_bad_square"]
    x = Tensor([0.0, 1.5], requires_grad=True)
    with pytest.warns(GradcheckKinkWarning):
        report = gradcheck(lambda x: Tensor._apply(bad, (x.relu(),)).sum(), x)
    assert not report and report.failed == 1 and report.culprit.op == "test_bad_square"


def test_errors_are_clear():
    with pytest.raises(ValueError, match="no input to check"):
        gradcheck(lambda x: x, Tensor([1.0]))
    with pytest.raises(TypeError, match="must return a Value or a Tensor"):
        gradcheck(lambda x: 3.0, Value(1.0))


def test_domain_errors_near_the_input_are_not_judged():
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradcheckKinkWarning)  # not a kink: a note in the report
        report = gradcheck(lambda x: x.sqrt(), Value(0.0))
    assert report.checked == 0 and "undefined within eps" in str(report) and not report.kinks
    assert not report and str(report).startswith("gradcheck NOT PASSED: 0 elements judged")


def test_mixed_values_and_tensors_with_several_outputs():
    rep = gradcheck(lambda a, t: (a.sin() * a, (t * t).tanh()), Value(0.3), Tensor([0.1, -0.4], requires_grad=True))
    assert rep and rep.mode.startswith("full Jacobian (3 outputs x 3 inputs)")
    assert any(r.output.startswith("out1[") for r in rep.rows)


def test_gradgradcheck_on_values():
    rep = gradgradcheck(lambda a, b: (a * b).tanh() * a.exp() / b, Value(0.3), Value(1.7))
    assert rep and rep.order == 2 and "second derivatives" in str(rep)


def test_a_random_f_is_called_out():
    rng = np.random.default_rng(0)
    x = Tensor([0.5, 1.0], requires_grad=True)
    report = gradcheck(lambda x: (x * Tensor(rng.random(2) < 0.5)).sum(), x)  # dropout without a fixed mask
    assert any(n.startswith("f is not deterministic") for n in report.notes)


@settings(max_examples=15)
@given(x=arrays((3, 4), np.float32, -2.0, 2.0), w=arrays((4, 2), np.float32, -2.0, 2.0))
def test_float32_inputs_never_fail_falsely(x, w):
    X, W = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    report = gradcheck(lambda X, W: ((X @ W).tanh() - 0.5).sigmoid().mean() + (W * W).sum(), X, W)
    assert report, str(report)


def test_constant_values_are_passed_through_not_checked():
    from autograd import Constant

    report = gradcheck(lambda a, c: a * c + c, Value(0.5), Constant(3.0))
    assert report and report.checked == 1
    assert gradgradcheck(lambda a, c: (a * c).sin(), Value(0.5), Constant(3.0))


# ----------------------------------------------------------------------------------------------------------------
# Audit: no_grad around the check, bad arguments, domain edges of Tensors, kinks made by Python control flow
# ----------------------------------------------------------------------------------------------------------------


def test_gradcheck_inside_no_grad_still_records_f():
    from autograd import no_grad

    with no_grad():  # e.g. called from an evaluation loop: the check must not see a graph-less f and blame it
        report = gradcheck(lambda x: x * x, Value(2.0))
        second = gradgradcheck(lambda x: x * x * x, Value(2.0))
    assert report and report.checked == 1, str(report)
    assert second and second.rows[0].analytic == pytest.approx(12.0), str(second)


@pytest.mark.parametrize("kw, msg", [
    ({"eps": 0.0}, "eps must be a positive number, got 0.0"),
    ({"eps": -1e-6}, "eps must be a positive number, got -1e-06"),
    ({"atol": -1.0}, "atol must be >= 0, got -1.0"),
    ({"rtol": float("nan")}, "rtol must be >= 0, got nan"),
])
def test_bad_tolerances_are_a_clear_error(kw, msg):
    with pytest.raises(ValueError, match=f"gradcheck: {msg}"):
        gradcheck(lambda x: x * x, Value(1.0), **kw)


def test_plain_numbers_as_inputs_are_named_in_the_error():
    with pytest.raises(ValueError, match=r"got float, ndarray\); wrap them: Value\(1.0\), Tensor\(x, requires_grad"):
        gradcheck(lambda x, y: x * y, 1.0, np.ones(2))


def test_a_tensor_at_the_edge_of_its_domain_is_not_judged_and_the_op_not_blamed():
    x = Tensor([0.0, 1.0], requires_grad=True)  # sqrt(0 - eps) is NaN: no central difference exists there
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning leaks out of the check either
        report = gradcheck(lambda x: x.sqrt().sum(), x)
    assert report, str(report)
    assert report.checked == 1 and report.culprit is None
    assert any(n.startswith("arg0[0]: f is undefined within eps") for n in report.notes), report.notes


def test_a_kink_made_by_python_control_flow_warns_instead_of_failing():
    # Python's max on Values compares .data: at a tie, a nudge changes which input is returned
    with pytest.warns(GradcheckKinkWarning, match="2 input elements within eps"):
        report = gradcheck(lambda a, b: max(a, b) * 2.0, Value(1.0), Value(1.0))
    assert not report.failed and not report, str(report)  # both at the kink: nothing judged, so not truthy
    assert gradcheck(lambda a, b: max(a, b) * 2.0, Value(1.5), Value(1.0)).checked == 2


def test_a_large_eps_is_named_as_the_cause_instead_of_blaming_a_correct_op():
    report = gradcheck(lambda x: x.exp(), Value(1.0), eps=1.0)  # (e^2 - e^0) / 2 is not e: truncation error
    assert not report and report.culprit is None
    assert any("eps=1 is large" in n for n in report.notes), report.notes
