"""Issue 12 (hardening), the nn side: silent wrong answers and broken states found by an adversarial review.

Expected numbers are PyTorch 2.13.0's in float64, hard-coded so these tests run without torch; the random
comparisons against torch itself are at the end and skip when torch is not installed.
"""

import io
import json
import math
import zipfile

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, stack

# ----------------------------------------------------------------------------------------------------------------
# Item 4: an optimizer refuses a wrongly shaped gradient and changes nothing
# ----------------------------------------------------------------------------------------------------------------

OPTIMIZERS = [
    (nn.SGD, dict(lr=0.1, momentum=0.9)),
    (nn.Adam, dict(lr=0.1)),
    (nn.AdamW, dict(lr=0.1)),
    (nn.Adagrad, dict(lr=0.1)),
    (nn.Adadelta, dict(lr=1.0)),
    (nn.RMSprop, dict(lr=0.1, momentum=0.5, centered=True)),
]


def _snapshot(opt, params):
    return json.dumps(
        {"state": {i: {k: np.asarray(v).tolist() for k, v in s.items()} for i, s in opt.state_dict()["state"].items()},
         "data": [np.asarray(p.data).tolist() for p in params]}, sort_keys=True)


def _setup(opt_cls, hp):
    a = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = Tensor([[0.5, 0.25]], requires_grad=True)
    a.label = "layer.W"
    opt = opt_cls([b, a], **hp)
    b.grad, a.grad = np.array([[1.0, 1.0]]), np.array([0.5, -1.0, 2.0])
    opt.step()  # some state exists already
    return opt, a, b


@pytest.mark.parametrize("opt_cls, hp", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
@pytest.mark.parametrize("bad", [np.ones((1, 3)), np.array(2.0), np.ones(4), np.ones((3, 1))],
                         ids=["(1,3)", "0-d", "(4,)", "(3,1)"])
def test_wrongly_shaped_grad_is_refused_and_changes_nothing(opt_cls, hp, bad):
    opt, a, b = _setup(opt_cls, hp)
    before = _snapshot(opt, [a, b])
    a.grad = bad
    message = rf"parameter 1 \('layer.W'\) has shape \(3,\) but its .grad has shape {re_shape(bad.shape)}"
    with pytest.raises(ValueError, match=message):
        opt.step()
    assert _snapshot(opt, [a, b]) == before  # b (checked first, fine) did not move either
    # later correct steps work, and equal those of an optimizer that never saw the bad gradient
    ref, a2, b2 = _setup(opt_cls, hp)
    for _ in range(2):
        for p in (a, b, a2, b2):
            p.grad = np.full(p.shape, 0.5)
        opt.step()
        ref.step()
    np.testing.assert_array_equal(a.data, a2.data)
    np.testing.assert_array_equal(b.data, b2.data)
    assert _snapshot(opt, [a, b]) == _snapshot(ref, [a2, b2])


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def test_value_parameter_with_an_array_grad_is_refused():
    w, v = Value(1.0), Value(2.0)
    opt = nn.SGD([w, v], lr=0.1)
    w.grad, v.grad = 1.0, np.array([1.0])
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(\) but its .grad has shape \(1,\)"):
        opt.step()
    assert (w.data, v.data) == (1.0, 2.0)


def test_non_numeric_grad_is_refused():
    a = Tensor([1.0, 2.0], requires_grad=True)
    opt = nn.Adam([a])
    a.grad = np.array(["x", "y"])
    with pytest.raises(TypeError, match="parameter 0 of shape \\(2,\\) has a .grad that is not a real number"):
        opt.step()
    assert opt.state == [{}]


def test_value_grad_none_is_skipped_not_nan():
    """A Value whose grad was set to None used to step by NaN (np.float64(None) is nan)."""
    w, v = Value(1.0), Value(2.0)
    opt = nn.SGD([w, v], lr=0.1)
    w.grad, v.grad = None, 1.0
    opt.step()
    assert (w.data, v.data) == (1.0, 1.9)


def test_a_failure_inside_an_update_changes_nothing():
    """A hyperparameter broken after construction fails half-way through the parameters: nothing moves."""
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = nn.SGD([{"params": [a]}, {"params": [b]}], lr=0.1, momentum=0.9)
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt.param_groups[1]["lr"] = "0.1"
    with pytest.raises(TypeError):
        opt.step()
    assert a.data.tolist() == [1.0] and opt.state == [{}, {}]
    opt.param_groups[1]["lr"] = 0.1
    opt.step()
    assert a.data.tolist() == [0.9] and b.data.tolist() == [1.9]


# ----------------------------------------------------------------------------------------------------------------
# Item 5: clip_grad_norm_ sees a NaN anywhere; a NaN total makes every gradient NaN (PyTorch)
# ----------------------------------------------------------------------------------------------------------------


def _two(g1, g2):
    a, b = Tensor(np.zeros(len(g1)), requires_grad=True), Tensor(np.zeros(len(g2)), requires_grad=True)
    a.grad, b.grad = np.array(g1, dtype=float), np.array(g2, dtype=float)
    return a, b


@pytest.mark.parametrize("norm_type", [math.inf, 2.0, 1.0])
def test_clip_grad_norm_nan_in_a_later_parameter(norm_type):
    a, b = _two([3.0, 4.0], [1.0, math.nan])
    with pytest.raises(RuntimeError, match="not finite; no gradient was changed"):
        nn.clip_grad_norm_([a, b], 1.0, norm_type, error_if_nonfinite=True)
    assert a.grad.tolist() == [3.0, 4.0]
    total = nn.clip_grad_norm_([a, b], 1.0, norm_type)
    assert math.isnan(total)
    assert np.isnan(a.grad).all() and np.isnan(b.grad).all()  # torch 2.13: every gradient NaN


def test_clip_grad_norm_inf_total_as_torch():
    a, b = _two([3.0, 4.0], [1.0, math.inf])
    assert nn.clip_grad_norm_([a, b], 1.0) == math.inf
    assert a.grad.tolist() == [0.0, 0.0] and b.grad[0] == 0.0 and math.isnan(b.grad[1])  # torch: [0, 0], [0, nan]


def test_clip_grad_norm_value_parameters_and_nan():
    w, v = Value(0.0), Value(0.0)
    w.grad, v.grad = 3.0, math.nan
    assert math.isnan(nn.clip_grad_norm_([w, v], 1.0, math.inf))
    assert math.isnan(w.grad) and math.isnan(v.grad)


@pytest.mark.parametrize("norm_type, total, clipped", [
    # torch 2.13.0: g1 = [0.5, 0, -3], g2 = [2], max_norm 1
    (0.0, 2.0, [[0.2499998750000625, 0.0, -1.499999250000375], [0.99999950000025]]),
    (0.5, 14.848469228349533, [[0.033673502543404905, 0.0, -0.20204101526042945], [0.13469401017361962]]),
    (-1.0, 0.0, [[0.5, 0.0, -3.0], [2.0]]),
    (-math.inf, 0.0, [[0.5, 0.0, -3.0], [2.0]]),
    (3.0, 3.274955810059687, [[0.15267376915144334, 0.0, -0.91604261490866], [0.6106950766057734]]),
])
def test_clip_grad_norm_unusual_orders_as_torch(norm_type, total, clipped):
    a, b = _two([0.5, 0.0, -3.0], [2.0])
    assert nn.clip_grad_norm_([a, b], 1.0, norm_type) == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(a.grad, clipped[0], rtol=1e-12)
    np.testing.assert_allclose(b.grad, clipped[1], rtol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# Item 18 (optimizer part): state keys and values that are not what state_dict() writes
# ----------------------------------------------------------------------------------------------------------------


def _adam_with_state():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    opt = nn.Adam([a, b], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(1)
    opt.step()
    return opt


@pytest.mark.parametrize("key, message", [
    ("first", r"state key 'first' is not a parameter index"),
    (1.5, r"state key 1.5 is not a parameter index"),
    (True, r"state key True is not a parameter index"),
    (None, r"state key None is not a parameter index"),
    (("0",), r"state key \('0',\) is not a parameter index"),
])
def test_optimizer_state_key_not_an_integer(key, message):
    opt = _adam_with_state()
    sd = opt.state_dict()
    sd["state"][key] = sd["state"].pop(1)
    before = opt.state_dict()
    with pytest.raises(ValueError, match="nothing was loaded; " + message):
        opt.load_state_dict(sd)
    assert json.dumps(str(opt.state_dict())) == json.dumps(str(before))


def test_optimizer_state_through_json_loads():
    """Keys that went through JSON are decimal text and values lists: accepted, equal to the original."""
    opt = _adam_with_state()
    sd = opt.state_dict()
    text = json.dumps({"state": {i: {k: np.asarray(v).tolist() for k, v in s.items()} for i, s in sd["state"].items()},
                       "param_groups": sd["param_groups"]})
    opt2 = _adam_with_state()
    opt2.load_state_dict(json.loads(text))
    for s, s2 in zip(opt.state, opt2.state):
        for k in s:
            np.testing.assert_array_equal(s[k], s2[k])


@pytest.mark.parametrize("edit, message", [
    (lambda sd: sd["state"].update({"1": sd["state"][1]}), "state for parameter 1 is given twice"),
    (lambda sd: sd["state"][0].update(step=-1), "state 'step' is -1, not a count"),
    (lambda sd: sd["state"][0].update(step=1.5), "state 'step' is 1.5, not a count"),
    (lambda sd: sd["state"][0].update(exp_avg="abc"), "state 'exp_avg' is 'abc', not a number"),
    (lambda sd: sd["state"].update({0: [1, 2]}), "its state must be a dict"),
    (lambda sd: sd.update(state=[1]), "'state' must be a dict"),
    (lambda sd: sd.update(param_groups="x"), "'param_groups' must be a list of dicts"),
])
def test_optimizer_bad_state_values_are_clear_and_change_nothing(edit, message):
    opt = _adam_with_state()
    sd = opt.state_dict()
    edit(sd)
    before = str(opt.state_dict())
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(sd)
    assert str(opt.state_dict()) == before


def test_optimizer_state_takes_the_parameters_dtype():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    opt = nn.Adam([a])
    opt.load_state_dict({"state": {0: {"step": 1, "exp_avg": np.ones(2), "exp_avg_sq": np.ones(2)}},
                         "param_groups": opt.state_dict()["param_groups"]})
    assert opt.state[0]["exp_avg"].dtype == np.float32
    with pytest.raises(TypeError, match="expected the dict state_dict"):
        opt.load_state_dict([1, 2])
