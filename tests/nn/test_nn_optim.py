"""Optimizers against training-semantics.md section 1.7 (torch rows, 3 steps, rtol 1e-7), on Tensor and Value
parameters alike; hyperparameter validation; state dicts; gradient clipping (section 9)."""

import math

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

C = np.array([1.0, 0.5, 2.0])
THETA0 = np.array([1.0, -2.0, 3.0])

T_ROWS = {
    "T-SGD-1": (nn.SGD, dict(lr=0.1), [[0.95, -1.875, 2.5], [0.905, -1.75625, 2.1], [0.8645, -1.6434375, 1.78]]),
    "T-SGD-2": (nn.SGD, dict(lr=0.1, momentum=0.9),
                [[0.95, -1.875, 2.5], [0.86, -1.64375, 1.65], [0.743, -1.3284375, 0.655]]),
    "T-SGD-3": (nn.SGD, dict(lr=0.1, momentum=0.9, dampening=0.5),
                [[0.95, -1.875, 2.5], [0.8825, -1.703125, 1.85], [0.802625, -1.4933594, 1.13]]),
    "T-SGD-4": (nn.SGD, dict(lr=0.1, momentum=0.9, nesterov=True),
                [[0.905, -1.7625, 2.05], [0.78755, -1.4463125, 1.056], [0.6636605, -1.0786566, 0.22912]]),
    "T-SGD-5": (nn.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1),
                [[0.94, -1.855, 2.47], [0.8326, -1.5882, 1.5743], [0.694354, -1.227788, 0.537567]]),
    "T-ADAM-1": (nn.Adam, dict(lr=0.1), [[0.9, -1.9, 2.9], [0.80118742, -1.8001272, 2.8001272],
                                         [0.70487126, -1.7004739, 2.7004739]]),
    "T-ADAM-2": (nn.Adam, dict(lr=0.1, betas=(0.9, 0.5)),
                 [[0.9, -1.9, 2.9], [0.79736665, -1.7994421, 2.7994421], [0.6894504, -1.6979651, 2.6979651]]),
    "T-ADAM-3": (nn.Adam, dict(lr=0.1, betas=(0.9, 0.5), amsgrad=True),
                 [[0.9, -1.9, 2.9], [0.79736665, -1.7994421, 2.7994421], [0.70022584, -1.6979651, 2.6979651]]),
    "T-ADAM-4": (nn.Adam, dict(lr=0.1, weight_decay=0.1),
                 [[0.9, -1.9, 2.9], [0.80102888, -1.8001324, 2.8001258], [0.7041739, -1.7004938, 2.7004686]]),
    "T-ADAM-5": (nn.AdamW, dict(lr=0.1, weight_decay=0.1),
                 [[0.89, -1.88, 2.87], [0.78249474, -1.7613584, 2.7414747], [0.67904017, -1.6441762, 2.6145372]]),
    "T-ADAM-6": (nn.Adam, dict(lr=0.1, eps=0.1),
                 [[0.91666667, -1.9074074, 2.9019608], [0.83524249, -1.8150503, 2.8040814],
                  [0.75650138, -1.7230087, 2.706451]]),
    "T-AGR-1": (nn.Adagrad, dict(lr=0.1),
                [[0.9, -1.9, 2.9], [0.8375305, -1.8307468, 2.8307468], [0.79089918, -1.7749394, 2.7749394]]),
    "T-AGR-2": (nn.Adagrad, dict(lr=0.1, lr_decay=0.5),
                [[0.9, -1.9, 2.9], [0.85835366, -1.8538312, 2.8538312], [0.83393498, -1.8257381, 2.8257381]]),
    "T-AGR-3": (nn.Adagrad, dict(lr=0.1, initial_accumulator_value=0.1),
                [[0.91548457, -1.9030542, 2.9001994], [0.85801224, -1.8348798, 2.8310152],
                 [0.8136336, -1.7796561, 2.7752448]]),
    "T-ADD-1": (nn.Adadelta, dict(),
                [[0.99683779, -1.9968377, 2.9968377], [0.99360319, -1.9935953, 2.9935952],
                 [0.99032587, -1.9902991, 2.9902991]]),
    "T-ADD-2": (nn.Adadelta, dict(lr=1.0, rho=0.9, eps=0.01),
                [[0.73273876, -1.6934303, 2.6844028], [0.57624578, -1.3999556, 2.3820965],
                 [0.52080672, -1.129928, 2.1045625]]),
    "T-RMS-1": (nn.RMSprop, dict(lr=0.01),
                [[0.90000002, -1.9, 2.9], [0.83733919, -1.8305659, 2.8305659], [0.79043324, -1.774468, 2.774468]]),
    "T-RMS-2": (nn.RMSprop, dict(lr=0.01, alpha=0.9),
                [[0.96837723, -1.9683772, 2.9683772], [0.94615846, -1.9455745, 2.9455745],
                 [0.92792888, -1.9265512, 2.9265512]]),
    "T-RMS-3": (nn.RMSprop, dict(lr=0.01, momentum=0.9),
                [[0.90000002, -1.9, 2.9], [0.74733921, -1.7405659, 2.7405659], [0.57365736, -1.5424892, 2.5424892]]),
    "T-RMS-4": (nn.RMSprop, dict(lr=0.01, centered=True),
                [[0.89949624, -1.8994962, 2.8994962], [0.83625885, -1.8293687, 2.8293687],
                 [0.78876012, -1.7724356, 2.7724355]]),
    "T-RMS-5": (nn.RMSprop, dict(lr=0.01, eps=0.1),
                [[0.96666667, -1.9444444, 2.9166667], [0.93892378, -1.8998989, 2.8557644],
                 [0.91465047, -1.8613097, 2.8054079]]),
}


def quadratic(theta):
    """L = 1/2 sum c_i (theta_i - 0.5)^2, built from autograd ops so backward() gives g = c (theta - 0.5)."""
    return (((theta - 0.5) ** 2) * C).sum() * 0.5


@pytest.mark.parametrize("row", sorted(T_ROWS))
def test_torch_vectors_tensor(row):
    cls, kwargs, expected = T_ROWS[row]
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = cls([theta], **kwargs)
    for want in expected:
        opt.zero_grad()
        quadratic(theta).backward()
        opt.step()
        np.testing.assert_allclose(theta.data, want, rtol=1e-7, err_msg=row)


@pytest.mark.parametrize("row", sorted(T_ROWS))
def test_torch_vectors_values(row):
    """The same rows with three Value parameters: Values and Tensors share one implementation."""
    cls, kwargs, expected = T_ROWS[row]
    thetas = [Value(t) for t in THETA0]
    opt = cls(thetas, **kwargs)
    for want in expected:
        opt.zero_grad()
        loss = sum(((t - 0.5) ** 2) * (0.5 * c) for t, c in zip(thetas, C))
        loss.backward()
        opt.step()
        np.testing.assert_allclose([t.data for t in thetas], want, rtol=1e-7, err_msg=row)
        assert all(isinstance(t.data, float) for t in thetas)


def test_first_steps_documented_edge_cases():
    # Adam with eps ~ 0: the first step is exactly lr * sign(g); zero gradient with zero state moves nothing
    theta = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = nn.Adam([theta], lr=0.1, eps=1e-30)
    quadratic(theta).backward()
    opt.step()
    np.testing.assert_allclose(theta.data, [0.9, -1.9, 2.9], rtol=1e-15)
    theta = Tensor([1.0, -2.0, 0.5], requires_grad=True)  # the last gradient is exactly 0
    opt = nn.Adam([theta], lr=0.1)
    quadratic(theta).backward()
    opt.step()
    assert theta.data[2] == 0.5
    # Adagrad with torch's zero accumulator: also lr * sign(g) first
    theta = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = nn.Adagrad([theta], lr=0.1, eps=0.0)
    quadratic(theta).backward()
    opt.step()
    np.testing.assert_allclose(theta.data, [0.9, -1.9, 2.9], rtol=1e-15)


def test_float32_parameters_keep_their_dtype_and_array():
    theta = Tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
    array = theta.data
    opt = nn.Adam([theta], lr=0.1)
    ((theta - 0.5) ** 2).sum().backward()
    opt.step()
    assert theta.data.dtype == np.float32
    assert theta.data is array  # updated in place
    np.testing.assert_allclose(theta.data, [0.9, -1.9, 2.9], rtol=1e-6)


def test_params_without_grad_are_skipped_and_zero_grad_resets():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = nn.SGD([a, b], lr=0.5, momentum=0.9)
    (a * 3).sum().backward()
    opt.step()
    assert b.data.tolist() == [2.0] and a.data.tolist() == [-0.5]
    assert opt.state[1] == {}
    opt.zero_grad()
    assert a.grad is None
    v = Value(1.0)
    opt2 = nn.SGD([v], lr=0.1)
    (v * v).backward()
    opt2.zero_grad()
    assert v.grad == 0.0


def test_optimizer_accepts_a_module_and_deduplicates():
    model = nn.Dense(2, 3, rng=0)
    opt = nn.SGD(model, lr=0.1)
    assert len(opt.params) == 2
    opt = nn.SGD([model.W, model.W], lr=0.1)
    assert len(opt.params) == 1


def test_learning_rate_can_be_changed_between_steps():
    v = Value(1.0)
    opt = nn.SGD([v], lr=1.0)
    opt.lr = 0.5
    assert opt.param_groups[0]["lr"] == 0.5
    v.grad = 1.0
    opt.step()
    assert v.data == 0.5
    opt.param_groups[0]["lr"] = 0.25
    opt.step()
    assert v.data == 0.25
    assert "lr=0.25" in repr(opt)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: nn.SGD(p, lr=-0.1), "invalid lr=-0.1"),
        (lambda p: nn.SGD(p, momentum=-1), "invalid momentum=-1"),
        (lambda p: nn.SGD(p, weight_decay=-1), "invalid weight_decay=-1"),
        (lambda p: nn.SGD(p, nesterov=True), "nesterov=True needs momentum > 0 and dampening = 0"),
        (lambda p: nn.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
        (lambda p: nn.Adam(p, lr=-1), "Adam: invalid lr=-1"),
        (lambda p: nn.Adam(p, betas=(1.0, 0.999)), "invalid betas[0]=1.0 (must lie in [0, 1))"),
        (lambda p: nn.Adam(p, betas=(0.9, -0.1)), "invalid betas[1]=-0.1"),
        (lambda p: nn.Adam(p, eps=-1e-8), "invalid eps"),
        (lambda p: nn.AdamW(p, weight_decay=-0.01), "AdamW: invalid weight_decay"),
        (lambda p: nn.Adagrad(p, lr_decay=-1), "invalid lr_decay"),
        (lambda p: nn.Adagrad(p, initial_accumulator_value=-1), "invalid initial_accumulator_value"),
        (lambda p: nn.Adadelta(p, rho=1.5), "invalid rho=1.5"),
        (lambda p: nn.RMSprop(p, alpha=-0.5), "invalid alpha=-0.5"),
        (lambda p: nn.RMSprop(p, momentum=-0.5), "invalid momentum=-0.5"),
    ],
)
def test_invalid_hyperparameters(make, message):
    with pytest.raises(ValueError) as e:
        make([Tensor([1.0], requires_grad=True)])
    assert message in str(e.value)


def test_invalid_parameter_lists():
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="not a trainable leaf tensor"):
        nn.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a float"):
        nn.SGD([1.0], lr=0.1)
    with pytest.raises(AttributeError, match="no attribute 'momentum'"):
        _ = nn.Adam([Value(1.0)]).momentum


def test_state_dict_round_trip_continues_identically():
    def run(steps, restore_after=None):
        theta = Tensor(THETA0.copy(), requires_grad=True)
        opt = nn.Adam([theta], lr=0.1, amsgrad=True)
        for k in range(steps):
            opt.zero_grad()
            quadratic(theta).backward()
            opt.step()
            if k + 1 == restore_after:
                saved, data = opt.state_dict(), theta.data.copy()
                theta = Tensor(data, requires_grad=True)
                opt = nn.Adam([theta], lr=0.5)
                opt.load_state_dict(saved)
        return theta.data

    np.testing.assert_allclose(run(5, restore_after=2), run(5), rtol=1e-12)


def test_state_dict_is_a_copy_and_load_checks_shapes():
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = nn.SGD([theta], lr=0.1, momentum=0.9)
    quadratic(theta).backward()
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"][:] = 99
    assert not np.any(opt.state[0]["momentum_buffer"] == 99)
    bad = {"state": {0: {"momentum_buffer": np.zeros(2)}, 5: {}}, "hyperparameters": {}}
    with pytest.raises(ValueError) as e:
        opt.load_state_dict(bad)
    assert "shape (2,), parameter (3,)" in str(e.value) and "state for parameter 5" in str(e.value)


# -- clipping (section 9) ----------------------------------------------------------------------------------------


def _grads(*gs):
    ps = []
    for g in gs:
        p = Tensor(np.zeros(len(g)), requires_grad=True)
        p.grad = np.array(g, dtype=np.float64)
        ps.append(p)
    return ps


def test_clip_grad_norm_vectors():
    g1, g2 = _grads([3.0, 4.0], [12.0])
    total = nn.clip_grad_norm_([g1, g2], 6.5)
    assert total == 13.0
    np.testing.assert_allclose(g1.grad, [1.4999999, 1.9999998], rtol=1e-7)
    np.testing.assert_allclose(g2.grad, [5.9999995], rtol=1e-7)
    np.testing.assert_allclose(g1.grad, np.array([3.0, 4.0]) * 6.5 / (13 + 1e-6), rtol=1e-15)

    g1, g2 = _grads([3.0, 4.0], [12.0])
    assert nn.clip_grad_norm_([g1, g2], 20) == 13.0
    assert g1.grad.tolist() == [3.0, 4.0] and g2.grad.tolist() == [12.0]

    g1, g2 = _grads([3.0, 4.0], [12.0])
    nn.clip_grad_norm_([g1, g2], 13)
    np.testing.assert_allclose(g1.grad, [2.9999998, 3.9999997], rtol=1e-7)
    assert g1.grad[0] < 3.0  # the 1e-6 always shrinks a little

    g1, g2 = _grads([3.0, 4.0], [12.0])
    assert nn.clip_grad_norm_([g1, g2], 6, norm_type=math.inf) == 12.0
    np.testing.assert_allclose(g2.grad, [5.9999995], rtol=1e-7)


def test_clip_grad_norm_values_and_missing_grads():
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 3.0, 4.0
    none = Tensor([1.0], requires_grad=True)
    assert nn.clip_grad_norm_([a, b, none], 2.5) == 5.0
    assert none.grad is None
    assert a.grad == pytest.approx(3 * 2.5 / (5 + 1e-6), rel=1e-15)
    assert nn.clip_grad_norm_([none], 1.0) == 0.0
    c = Value(0.0)
    c.grad = math.inf
    with pytest.raises(RuntimeError, match="not finite"):
        nn.clip_grad_norm_([c], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_vector():
    g1, g2 = _grads([3.0, -4.0], [12.0])
    assert nn.clip_grad_value_([g1, g2], 3.5) is None
    assert g1.grad.tolist() == [3.0, -3.5] and g2.grad.tolist() == [3.5]
    v = Value(0.0)
    v.grad = -7.0
    nn.clip_grad_value_(v, 1.0)
    assert v.grad == -1.0
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        nn.clip_grad_value_([v], -1)


def test_clip_keeps_float32_gradients():
    p = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    p.grad = np.array([3.0, 4.0], dtype=np.float32)
    nn.clip_grad_norm_([p], 1.0)
    assert p.grad.dtype == np.float32


def test_integer_parameter_is_rejected():
    t = Tensor([1.0], requires_grad=True)
    t.data = np.array([1])
    with pytest.raises(ValueError, match="parameter 0 has dtype int64; parameters must be floating point"):
        nn.SGD([t], lr=0.1)


# -- parameter groups and state-dict checks (PyTorch's list of dicts) ----------------------------------------------


def _split_theta():
    """THETA0 as three 1-element parameters, so each can sit in its own group."""
    return [Tensor(THETA0[i:i + 1].copy(), requires_grad=True) for i in range(3)]


def _step_split(opt, ps, steps=3):
    for _ in range(steps):
        opt.zero_grad()
        for i, p in enumerate(ps):
            (((p - 0.5) ** 2) * (0.5 * C[i])).sum().backward()
        opt.step()
    return np.concatenate([p.data for p in ps])


def test_param_groups_have_their_own_hyperparameters():
    # group 0 (theta_0, theta_1) follows T-ADAM-1; group 1 (theta_2) has Adam's eps = 0.1 of T-ADAM-6
    ps = _split_theta()
    opt = nn.Adam([{"params": ps[:2]}, {"params": [ps[2]], "eps": 0.1}], lr=0.1)
    got = _step_split(opt, ps)
    np.testing.assert_allclose(got[:2], [0.70487126, -1.7004739], rtol=1e-7)
    np.testing.assert_allclose(got[2], 2.706451, rtol=1e-7)
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["eps"] == 0.1
    opt.lr = 0.01  # the attribute sets every group
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]
    opt.add_param_group({"params": [Value(1.0)], "betas": (0.5, 0.5)})
    assert len(opt.params) == 4 and len(opt.state) == 4 and opt.param_groups[2]["eps"] == 1e-8


def test_param_group_errors():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        nn.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    with pytest.raises(ValueError, match="unknown hyperparameter.*momentun in a parameter group; SGD has lr, momentum"):
        nn.SGD([{"params": [a], "momentun": 0.9}], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: invalid lr=-1 \(must be a number >= 0\)"):
        nn.SGD([{"params": [a], "lr": -1}], lr=0.1)
    with pytest.raises(TypeError, match="a group is a dict with a 'params' entry"):
        nn.SGD([a], lr=0.1).add_param_group([b])
    with pytest.raises(ValueError, match=r"Adam: invalid betas=\(0.9,\) \(a pair \(beta1, beta2\)\)"):
        nn.Adam([a], betas=(0.9,))
    with pytest.raises(ValueError, match=r"SGD: invalid lr=None"):
        nn.SGD([a], lr=None)


def test_state_dict_with_groups_round_trips_and_continues_identically():
    def run(restore):
        ps = _split_theta()
        opt = nn.SGD([{"params": ps[:1]}, {"params": ps[1:], "momentum": 0.5}], lr=0.1, momentum=0.9)
        _step_split(opt, ps, 2)
        if restore:
            saved = opt.state_dict()
            assert [g["params"] for g in saved["param_groups"]] == [[0], [1, 2]]
            ps = [Tensor(p.data.copy(), requires_grad=True) for p in ps]
            opt = nn.SGD([{"params": ps[:1]}, {"params": ps[1:]}], lr=0.7)
            opt.load_state_dict(saved)
            assert opt.param_groups[1]["momentum"] == 0.5 and opt.param_groups[0]["lr"] == 0.1
        return _step_split(opt, ps, 3)

    np.testing.assert_allclose(run(True), run(False), rtol=1e-12)


def test_failed_optimizer_load_changes_nothing():
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = nn.SGD([theta], lr=0.1, momentum=0.9)
    quadratic(theta).backward()
    opt.step()
    before = opt.state_dict()
    other = nn.SGD([Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=r"nothing was loaded; the state has parameter groups of sizes \[2\], "
                                         r"this optimizer \[1\]"):
        opt.load_state_dict(other.state_dict())
    bad = opt.state_dict()
    bad["param_groups"][0]["lr"] = -0.5
    bad["state"][0]["momentum_buffer"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"SGD: invalid lr=-0.5"):
        opt.load_state_dict(bad)
    assert opt.lr == 0.1
    np.testing.assert_array_equal(opt.state[0]["momentum_buffer"], before["state"][0]["momentum_buffer"])


def test_a_state_dict_without_param_groups_is_refused_and_changes_nothing():
    theta = Tensor(THETA0.copy(), requires_grad=True)
    opt = nn.SGD([theta], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: nothing was loaded; the state has no 'param_groups'"):
        opt.load_state_dict({"state": {0: {"momentum_buffer": np.ones(3)}}, "hyperparameters": {"lr": 0.5}})
    assert opt.lr == 0.1 and opt.state == [{}]
