"""Activations and losses: training-semantics.md sections 2-4 number for number, finite-difference checks
(hypothesis, float64) for every activation and loss, Value and Tensor flavours, and every error message."""

import math

import numpy as np
import pytest
from fdcheck import check_tensor, check_values
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
import nn.functional as F
from autograd import Tensor, Value

RTOL = 1e-7


def grad_of(fn, x, **kw):
    t = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = fn(t, **kw)
    out.sum().backward()
    return out.data, t.grad


# -- section 3: activations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, x, y, dy",
    [
        (F.relu, [-1, 0, 2], [0, 0, 2], [0, 0, 1]),
        (F.leaky_relu, [-1, 0, 2], [-0.01, 0, 2], [0.01, 0.01, 1]),
        (F.sigmoid, [-40, 0], [4.2483543e-18, 0.5], [4.2483543e-18, 0.25]),
        (F.tanh, [0.5], [0.46211716], [0.78644773]),
        (F.softplus, [-50, 0, 20, 20.01], [1.9287498e-22, 0.69314718, 20.000000002, 20.01],
         [1.9287498e-22, 0.5, 0.99999999794, 1]),
    ],
)
def test_activation_vectors(fn, x, y, dy):
    out, g = grad_of(fn, x)
    np.testing.assert_allclose(out, y, rtol=RTOL)
    np.testing.assert_allclose(g, dy, rtol=RTOL)
    for xi, yi, dyi in zip(x, y, dy):  # the same on Values
        v = Value(xi)
        r = fn(v)
        r.backward()
        assert r.data == pytest.approx(yi, rel=RTOL) and v.grad == pytest.approx(dyi, rel=RTOL)


def test_sigmoid_saturates_without_overflow():
    out, g = grad_of(F.sigmoid, [800.0, -800.0])
    assert out.tolist() == [1.0, 0.0] and g.tolist() == [0.0, 0.0]


def test_softmax_and_log_softmax_vectors():
    np.testing.assert_allclose(F.softmax(Tensor([1.0, 2, 3])).data, [0.090030573, 0.24472847, 0.66524096], rtol=RTOL)
    np.testing.assert_allclose(F.log_softmax(Tensor([1.0, 2, 3])).data, [-2.4076060, -1.4076060, -0.40760596],
                               rtol=RTOL)
    np.testing.assert_allclose(F.softmax(Tensor([1000.0, 1000, -1000])).data, [0.5, 0.5, 0], rtol=RTOL)
    np.testing.assert_allclose(F.log_softmax(Tensor([1000.0, 1000, -1000])).data,
                               [-0.69314718, -0.69314718, -2000.6931], rtol=RTOL)
    x = Tensor([1.0, 2, 3], requires_grad=True)
    (F.softmax(x) * Tensor([0.1, 0.2, 0.3])).sum().backward()
    np.testing.assert_allclose(x.grad, [-0.014181709, -0.014077036, 0.028258745], rtol=RTOL)
    # the Value version (lists of Values) gives the same numbers and gradients
    vs = [Value(1.0), Value(2.0), Value(3.0)]
    s = F.softmax(vs)
    np.testing.assert_allclose([v.data for v in s], [0.090030573, 0.24472847, 0.66524096], rtol=RTOL)
    (0.1 * s[0] + 0.2 * s[1] + 0.3 * s[2]).backward()
    np.testing.assert_allclose([v.grad for v in vs], [-0.014181709, -0.014077036, 0.028258745], rtol=RTOL)
    assert [v.data for v in F.softmax([1000.0, 1000.0, -1000.0])] == [0.5, 0.5, 0.0]


def test_activation_registry_and_error():
    assert F.get_activation(None) is F.identity and F.get_activation("linear") is F.identity
    assert F.get_activation("ReLU") is F.relu
    for name in ("relu", "sigmoid", "tanh", "linear", "identity", "leaky_relu", "softmax", "softplus"):
        assert name in nn.ACTIVATIONS
    with pytest.raises(ValueError) as e:
        F.get_activation("swishy")
    assert "unknown activation 'swishy'" in str(e.value) and "relu" in str(e.value) and "tanh" in str(e.value)


smooth_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
                           elements=st.floats(-4, 4))


@given(smooth_arrays)
def test_activations_match_finite_differences(x):
    assume(np.all(np.abs(x) > 1e-3))  # away from the kinks of relu and leaky relu
    for fn in (F.relu, F.sigmoid, F.tanh, F.leaky_relu, F.softplus, F.identity,
               lambda t: F.leaky_relu(t, 0.2), lambda t: F.softplus(t, beta=2.0)):
        check_tensor(fn, x)
    check_tensor(lambda t: F.softmax(t, axis=-1), x)
    check_tensor(lambda t: F.log_softmax(t, axis=0), x)


@given(st.lists(st.floats(-4, 4), min_size=1, max_size=5))
def test_value_softmax_matches_finite_differences(xs):
    w = [0.3, -1.0, 2.0, 0.5, -0.7]
    check_values(lambda vs: sum((wi * s for wi, s in zip(w, F.softmax(vs))), Value(0.0)), xs)


# -- section 4: dropout --------------------------------------------------------------------------------------------


def test_dropout_values_fraction_and_eval_identity():
    x = Tensor(np.ones(10_000))
    layer = nn.Dropout(0.25, rng=0)
    y = layer(x).data
    assert set(np.unique(y).tolist()) == {0.0, 1 / 0.75}
    assert abs((y != 0).mean() - 0.75) < 0.02
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert not np.array_equal(layer(x).data, x.data)


def test_dropout_gradient_uses_the_same_mask():
    x = Tensor(np.arange(1.0, 9.0), requires_grad=True)
    y = F.dropout(x, 0.5, rng=3)
    y.sum().backward()
    kept = y.data != 0
    np.testing.assert_array_equal(x.grad, np.where(kept, 2.0, 0.0))


def test_dropout_p_zero_one_and_bad_p():
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0, rng=0)
    assert np.array_equal(y.data, np.zeros((3, 4))) and not np.isnan(y.data).any()
    y.sum().backward()
    assert np.array_equal(x.grad, np.zeros((3, 4)))
    assert F.dropout(x, 0.5, training=False) is x
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
            F.dropout(x, p)


def test_dropout_is_repeatable_from_a_seed_and_keeps_float32():
    x = Tensor(np.ones(50, dtype=np.float32))
    a, b = nn.Dropout(0.5, rng=7)(x), nn.Dropout(0.5, rng=7)(x)
    assert np.array_equal(a.data, b.data) and a.dtype == np.float32


# -- section 2: losses ---------------------------------------------------------------------------------------------


def test_mse_vectors():
    p, y = [[1.0, 2], [3, 4]], [[0, 2.5], [3, 6]]
    assert F.mse_loss(Tensor(p), y).item() == pytest.approx(1.3125, rel=RTOL)
    assert F.mse_loss(Tensor(p), y, reduction="sum").item() == pytest.approx(5.25, rel=RTOL)
    t = Tensor(p, requires_grad=True)
    F.mse_loss(t, y).backward()
    np.testing.assert_allclose(t.grad, 2 * (np.array(p) - np.array(y)) / 4)
    np.testing.assert_allclose(F.mse_loss(Tensor(p), y, reduction="none").data, (np.array(p) - y) ** 2)
    vs = [Value(1.0), Value(2.0), Value(3.0), Value(4.0)]
    loss = F.mse_loss(vs, [0, 2.5, 3, 6])
    loss.backward()
    assert loss.data == pytest.approx(1.3125) and [v.grad for v in vs] == pytest.approx([0.5, -0.25, 0, -1])
    single = Value(3.0)
    assert F.mse_loss(single, 1.0).data == 4.0


def test_bce_vectors():
    p = Tensor([0.0, 1, 0, 1, 0.3], requires_grad=True)
    y = [1.0, 0, 0, 1, 1]
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction="none").data, [100, 100, 0, 0, 1.2039728],
                               rtol=RTOL)
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    assert p.grad[4] == pytest.approx(-3.3333333, rel=RTOL)
    assert np.isfinite(p.grad).all()
    assert F.binary_cross_entropy(p, y).item() == pytest.approx((200 + 1.2039728) / 5, rel=RTOL)
    # Values: the scalar notebooks' loss
    v = Value(0.3)
    loss = F.binary_cross_entropy(v, 1.0)
    loss.backward()
    assert loss.data == pytest.approx(1.2039728, rel=RTOL) and v.grad == pytest.approx(-1 / 0.3, rel=1e-12)
    assert F.binary_cross_entropy(Value(0.0), 1.0).data == pytest.approx(100.0)
    vs = [Value(x) for x in (0.0, 1.0, 0.0, 1.0, 0.3)]
    assert F.binary_cross_entropy(vs, y).data == pytest.approx((200 + 1.2039728) / 5, rel=RTOL)


def test_bce_gradient_matches_torch_inside_and_is_finite_at_the_ends():
    """(p - y) / (p (1 - p)) wherever p (1 - p) >= 1e-12 (torch's formula), finite everywhere."""
    ps = np.array([1e-9, 0.01, 0.5, 0.99, 1 - 1e-9])
    for yv in (0.0, 1.0, 0.25):
        t = Tensor(ps.copy(), requires_grad=True)
        F.binary_cross_entropy(t, np.full(5, yv), reduction="sum").backward()
        np.testing.assert_allclose(t.grad, (ps - yv) / (ps * (1 - ps)), rtol=1e-6)
    t = Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    F.binary_cross_entropy(t, [1.0, 0.0, 0.0, 1.0], reduction="sum").backward()
    assert np.isfinite(t.grad).all()


def test_bce_clamp_is_exact_and_silent_in_float32():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.3], dtype=np.float32), requires_grad=True)
        loss = F.binary_cross_entropy(p, [1.0, 0, 0, 1, 1], reduction="none")
        loss.sum().backward()
    assert loss.dtype == np.float32 and p.grad.dtype == np.float32
    np.testing.assert_allclose(loss.data, [100, 100, 0, 0, 1.2039728], rtol=1e-6)
    assert np.isfinite(p.grad).all() and p.grad[4] == pytest.approx(-1 / 0.3, rel=1e-6)


def test_bce_weight():
    p = Tensor([0.3, 0.6])
    got = F.binary_cross_entropy(p, [1.0, 0.0], weight=[2.0, 0.5], reduction="none").data
    np.testing.assert_allclose(got, [-2 * math.log(0.3), -0.5 * math.log(0.4)])


def test_bce_with_logits_vectors():
    x = Tensor([-1000.0, -2, 0, 3, 1000], requires_grad=True)
    y = [1.0, 0, 1, 1, 0]
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, reduction="none").data,
                               [1000, 0.12692801, 0.69314718, 0.048587352, 1000], rtol=RTOL)
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad, [-1, 0.11920292, -0.5, -0.047425873, 1], rtol=RTOL)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, pos_weight=3.0, reduction="none").data,
                               [3000, 0.12692801, 2.0794415, 0.14576205, 1000], rtol=RTOL)
    vs = [Value(v) for v in (-1000.0, -2.0, 0.0, 3.0, 1000.0)]
    loss = F.binary_cross_entropy_with_logits(vs, y, reduction="sum")
    loss.backward()
    np.testing.assert_allclose([v.grad for v in vs], [-1, 0.11920292, -0.5, -0.047425873, 1], rtol=RTOL)
    pw = F.binary_cross_entropy_with_logits([Value(0.0)], [1.0], pos_weight=3.0)
    assert pw.data == pytest.approx(2.0794415, rel=RTOL)


def test_cross_entropy_vectors():
    z = Tensor([[2.0, 1, 0.1], [1000, 0, -1000], [0.5, 0.5, 3]], requires_grad=True)
    y = [0, 2, 2]
    np.testing.assert_allclose(F.cross_entropy(z, y, reduction="none").data, [0.41703002, 2000, 0.15200838],
                               rtol=RTOL)
    loss = F.cross_entropy(z, y)
    assert loss.item() == pytest.approx(666.85635, rel=RTOL)
    loss.backward()
    np.testing.assert_allclose(z.grad[0], [-0.11366629, 0.080810990, 0.032855297], rtol=RTOL)
    np.testing.assert_allclose(z.grad[1], [1 / 3, 0, -1 / 3], rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(F.cross_entropy(z, y, reduction="none", label_smoothing=0.1).data,
                               [0.51369668, 1900, 0.31867505], rtol=RTOL)
    assert F.cross_entropy(z, y, weight=[1.0, 2, 3]).item() == pytest.approx(857.26758, rel=RTOL)
    per = F.cross_entropy(z, y, reduction="none").data
    assert F.cross_entropy(z, y, reduction="sum").item() == pytest.approx(per.sum())


def test_cross_entropy_ignore_index_weights_and_smoothing_together():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((5, 4))
    y = np.array([0, 3, -100, 1, 3])
    w = np.array([1.0, 2.0, 0.5, 3.0])
    s = 0.2
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    keep = y != -100
    yy = np.where(keep, y, 0)
    nll = -logp[np.arange(5), yy] * w[yy] * keep
    smooth = -(logp * w).sum(1) * keep
    per = (1 - s) * nll + s / 4 * smooth
    got = F.cross_entropy(Tensor(z), y, weight=w, label_smoothing=s, reduction="none").data
    np.testing.assert_allclose(got, per, rtol=1e-12)
    mean = F.cross_entropy(Tensor(z), y, weight=w, label_smoothing=s).item()
    assert mean == pytest.approx(per.sum() / (w[yy] * keep).sum(), rel=1e-12)
    plain = F.cross_entropy(Tensor(z), y).item()
    assert plain == pytest.approx(-logp[np.arange(5), yy][keep].mean(), rel=1e-12)


def test_cross_entropy_probability_targets_and_shapes():
    z = np.array([[2.0, 1, 0.1], [0.5, 0.5, 3]])
    q = np.array([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]])
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    assert F.cross_entropy(Tensor(z), q).item() == pytest.approx(-(q * logp).sum() / 2, rel=1e-12)
    qs = q * 0.9 + 0.1 / 3
    assert F.cross_entropy(Tensor(z), q, label_smoothing=0.1).item() == pytest.approx(-(qs * logp).sum() / 2)
    w = np.array([1.0, 2.0, 3.0])
    assert F.cross_entropy(Tensor(z), q, weight=w).item() == pytest.approx(-(q * w * logp).sum() / 2, rel=1e-12)
    # one-hot probabilities equal integer labels
    onehot = np.eye(3)[[0, 2]]
    assert F.cross_entropy(Tensor(z), onehot).item() == pytest.approx(F.cross_entropy(Tensor(z), [0, 2]).item())
    # a single sample (C,) and a spatial (N, C, d) input
    assert F.cross_entropy(Tensor(z[0]), 0).item() == pytest.approx(-logp[0, 0])
    zz = np.random.default_rng(0).standard_normal((2, 3, 4))
    labels = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    lp = zz - np.log(np.exp(zz).sum(1, keepdims=True))
    expected = -np.take_along_axis(lp, labels[:, None, :], axis=1).mean()
    assert F.cross_entropy(Tensor(zz), labels).item() == pytest.approx(expected, rel=1e-12)


def test_hinge_vectors():
    s = Tensor([2.0, 0.5, 0.3, -3], requires_grad=True)
    y = [1.0, -1, 1, -1]
    loss = F.hinge_loss(s, y)
    loss.backward()
    assert loss.item() == pytest.approx(0.55, rel=RTOL)
    np.testing.assert_allclose(s.grad, [0, 0.25, -0.25, 0], atol=1e-15)
    vs = [Value(v) for v in (2.0, 0.5, 0.3, -3.0)]
    loss = F.hinge_loss(vs, y)
    loss.backward()
    assert loss.data == pytest.approx(0.55) and [v.grad for v in vs] == pytest.approx([0, 0.25, -0.25, 0])
    at_margin = Tensor([1.0], requires_grad=True)
    F.hinge_loss(at_margin, [1.0]).backward()
    assert at_margin.grad.tolist() == [0.0]  # 0 exactly at the margin


def test_loss_classes_equal_functions():
    rng = np.random.default_rng(2)
    p, y = rng.uniform(0.05, 0.95, 6), rng.integers(0, 2, 6).astype(float)
    assert nn.MSELoss()(Tensor(p), y).item() == F.mse_loss(Tensor(p), y).item()
    bce = F.binary_cross_entropy(Tensor(p), y, reduction="sum").item()
    assert nn.BCELoss(reduction="sum")(Tensor(p), y).item() == bce
    assert nn.BCEWithLogitsLoss(pos_weight=2.0)(Tensor(p), y).item() == \
        F.binary_cross_entropy_with_logits(Tensor(p), y, pos_weight=2.0).item()
    assert nn.HingeLoss()(Tensor(p), 2 * y - 1).item() == F.hinge_loss(Tensor(p), 2 * y - 1).item()
    z = rng.standard_normal((6, 3))
    labels = rng.integers(0, 3, 6)
    ce = nn.CrossEntropyLoss(weight=[1.0, 2.0, 0.5], label_smoothing=0.1)
    assert ce(Tensor(z), labels).item() == \
        F.cross_entropy(Tensor(z), labels, weight=[1.0, 2.0, 0.5], label_smoothing=0.1).item()
    assert "reduction='mean'" in repr(nn.MSELoss())


# -- finite differences through every loss ---------------------------------------------------------------------------

vectors = st.integers(1, 5).flatmap(lambda n: st.tuples(
    hnp.arrays(np.float64, n, elements=st.floats(-3, 3)),
    hnp.arrays(np.float64, n, elements=st.floats(0.02, 0.98)),
    hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])),
))


@given(vectors, st.sampled_from(["mean", "sum", "none"]))
def test_losses_match_finite_differences(data, reduction):
    x, p, y = data
    check_tensor(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, p)  # the target's gradient too
    check_tensor(lambda a: F.binary_cross_entropy(a, y, reduction=reduction), p)
    check_tensor(lambda a: F.binary_cross_entropy(a, p, weight=x, reduction=reduction), p)
    check_tensor(lambda a: F.binary_cross_entropy_with_logits(a, y, reduction=reduction), x)
    check_tensor(lambda a: F.binary_cross_entropy_with_logits(a, p, pos_weight=2.5, reduction=reduction), x)
    if np.all(np.abs(1 - (2 * y - 1) * x) > 1e-3):  # away from the hinge's kink
        check_tensor(lambda a: F.hinge_loss(a, 2 * y - 1, reduction=reduction), x)


@given(vectors)
def test_value_losses_match_finite_differences(data):
    x, p, y = (a.tolist() for a in data)
    check_values(lambda vs: F.mse_loss(vs, p), x)
    check_values(lambda vs: F.binary_cross_entropy(vs, y), p)
    check_values(lambda vs: F.binary_cross_entropy_with_logits(vs, p, pos_weight=0.5, reduction="sum"), x)
    if all(abs(1 - (2 * yi - 1) * xi) > 1e-3 for xi, yi in zip(x, y)):
        check_values(lambda vs: F.hinge_loss(vs, [2 * yi - 1 for yi in y]), x)


ce_cases = st.tuples(st.integers(1, 4), st.integers(2, 4)).flatmap(lambda nc: st.tuples(
    hnp.arrays(np.float64, nc, elements=st.floats(-5, 5)),
    hnp.arrays(np.int64, nc[0], elements=st.integers(-1, nc[1] - 1)),
    hnp.arrays(np.float64, nc[1], elements=st.floats(0.1, 3)),
    st.sampled_from([0.0, 0.1, 0.5]),
    st.sampled_from(["mean", "sum", "none"]),
))


@given(ce_cases)
def test_cross_entropy_matches_finite_differences(case):
    z, y, w, s, reduction = case
    assume((y >= 0).any() or reduction != "mean")  # all rows ignored: 0/0, as torch
    check_tensor(lambda t: F.cross_entropy(t, y, weight=w, ignore_index=-1, label_smoothing=s,
                                           reduction=reduction), z)
    q = np.abs(np.sin(z)) + 0.1
    q = q / q.sum(axis=1, keepdims=True)
    check_tensor(lambda t: F.cross_entropy(t, q, label_smoothing=s, reduction=reduction), z)


# -- errors --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits,
                                  F.hinge_loss])
def test_shape_mismatch_is_an_error_naming_both_shapes(loss):
    with pytest.raises(ValueError) as e:
        loss(Tensor(np.full((4, 1), 0.5)), np.ones(4))
    assert "prediction has shape (4, 1) but target has shape (4,)" in str(e.value)
    with pytest.raises(ValueError, match=r"prediction has shape \(2,\) but target has shape \(3,\)"):
        loss([Value(0.5), Value(0.5)], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"prediction has shape \(\) but target has shape \(2,\)"):
        loss(Value(0.5), [1.0, 0.0])
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        loss(Tensor([0.5]), [1.0], reduction="avg")


def test_loss_errors():
    with pytest.raises(ValueError, match=r"predictions must be probabilities in \[0, 1\], got values in \[-0.5, 1.5\]"):
        F.binary_cross_entropy(Tensor([-0.5, 1.5]), [0.0, 1.0])
    z = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError) as e:
        F.cross_entropy(z, [0, 1, 2])
    assert "logits have shape (2, 3)" in str(e.value) and "got shape (3,)" in str(e.value)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) \(or be ignore_index\), got \[3\]"):
        F.cross_entropy(z, [0, 3])
    with pytest.raises(ValueError, match="class labels must be integers"):
        F.cross_entropy(z, [0.5, 1.0])
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\) \(one per class\), got \(2,\)"):
        F.cross_entropy(z, [0, 1], weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="logits must have a class axis"):
        F.cross_entropy(Tensor(1.0), 0)
    with pytest.raises(TypeError, match="needs a Tensor, got a Value"):
        F.cross_entropy(Value(1.0), 0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="mean_over_batch")


def test_more_input_errors():
    with pytest.raises(TypeError, match="expected a Tensor, a Value or a list of Values, got str"):
        F.relu("x")
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast to the prediction's \(2,\)"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [1.0, 0.0], weight=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="all Values or all Tensors, not a mix"):
        F.l2_penalty([Value(1.0), Tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must lie in \[0, 1\], got -0.1"):
        F.cross_entropy(Tensor(np.zeros((1, 2))), [0], label_smoothing=-0.1)


def test_l2_penalty_values_and_tensors_agree():
    ws = [Value(1.0), Value(-2.0), Value(3.0)]
    pv = F.l2_penalty(ws, 1e-4)
    pv.backward()
    assert pv.data == pytest.approx(14e-4) and [w.grad for w in ws] == pytest.approx([2e-4, -4e-4, 6e-4])
    t = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    pt = F.l2_penalty([t], 1e-4)
    pt.backward()
    assert pt.item() == pytest.approx(14e-4) and t.grad.tolist() == pytest.approx([2e-4, -4e-4, 6e-4])
    assert F.l2_penalty([]).data == 0.0


def test_tensor_only_functions_refuse_lists_of_values():
    # np.asarray would read the numbers out of the Values: the result would silently have no gradient
    for fn in (lambda v: F.log_softmax(v), lambda v: F.dropout(v, 0.5, rng=0), lambda v: F.cross_entropy(v, 0)):
        with pytest.raises(TypeError, match="needs a Tensor, got a list of Values"):
            fn([Value(1.0), Value(2.0)])


def test_hinge_rejects_labels_other_than_plus_minus_one():
    with pytest.raises(ValueError, match=r"hinge_loss: labels must be -1 or \+1, got \[0.0\]; map 0/1 labels"):
        F.hinge_loss(Tensor([2.0, 0.5]), [1.0, 0.0])
    with pytest.raises(ValueError, match=r"labels must be -1 or \+1, got \[2.0\]"):
        F.hinge_loss([Value(2.0)], [2.0])


def test_weights_must_not_enlarge_the_prediction():
    with pytest.raises(ValueError, match=r"weight of shape \(3, 2\) does not broadcast to the prediction's \(2,\)"):
        F.binary_cross_entropy(Tensor([0.5, 0.5]), [1.0, 0.0], weight=np.ones((3, 2)), reduction="none")
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) does not broadcast to the prediction's \(3,\)"):
        F.binary_cross_entropy_with_logits(Tensor([1.0, 2.0, 3.0]), [1.0, 0.0, 1.0], pos_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast to the prediction's \(2,\)"):
        F.binary_cross_entropy_with_logits([Value(1.0), Value(2.0)], [1.0, 0.0], pos_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast to the prediction's \(2,\)"):
        F.binary_cross_entropy([Value(0.1), Value(0.2)], [1.0, 0.0], weight=[1.0, 2.0, 3.0])
