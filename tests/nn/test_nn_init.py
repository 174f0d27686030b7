"""Initialisers: Keras fans for (in, out) shapes, the statistics of training-semantics.md section 6, seeds."""

import math

import numpy as np
import pytest

import nn
from nn import init


def test_fans_keras_convention():
    assert init.fans((400, 300)) == (400, 300)
    assert init.fans((7,)) == (7, 7)
    assert init.fans(()) == (1, 1)
    assert init.fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert init.fans((0, 5)) == (1, 5)  # at least 1


def test_glorot_uniform_bound_and_std():
    w = init.glorot_uniform((400, 300), rng=0)
    bound = math.sqrt(6 / 700)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def test_glorot_normal_is_keras_truncated():
    """Keras GlorotNormal on (400, 300): std ~ 0.0534522 and max |w| = 2 sigma'."""
    w = init.glorot_normal((400, 300), rng=0)
    sigma = math.sqrt(2 / 700)
    assert sigma == pytest.approx(0.0534522, rel=1e-6)
    assert w.std() == pytest.approx(sigma, rel=0.01)
    assert np.abs(w).max() <= 2 * sigma / init.TRUNCATED_STD
    assert np.abs(w).max() > 0.99 * 2 * sigma / init.TRUNCATED_STD
    plain = init.glorot_normal((400, 300), rng=0, truncated=False)  # torch's xavier_normal_
    assert plain.std() == pytest.approx(sigma, rel=0.01) and np.abs(plain).max() > 3 * sigma


def test_truncated_std_constant():
    z = np.random.default_rng(0).standard_normal(2_000_000)
    assert z[np.abs(z) <= 2].std() == pytest.approx(init.TRUNCATED_STD, rel=2e-3)


def test_he_and_lecun():
    w = init.he_uniform((400, 300), rng=1)
    assert np.abs(w).max() <= math.sqrt(6 / 400)
    assert w.std() == pytest.approx(math.sqrt(2 / 400), rel=0.01)
    w = init.he_normal((400, 300), rng=1)
    assert w.std() == pytest.approx(math.sqrt(2 / 400), rel=0.01)
    assert np.abs(w).max() <= 2 * math.sqrt(2 / 400) / init.TRUNCATED_STD
    w = init.lecun_uniform((400, 300), rng=1)
    assert np.abs(w).max() <= math.sqrt(3 / 400)
    assert init.lecun_normal((400, 300), rng=1).std() == pytest.approx(math.sqrt(1 / 400), rel=0.01)


def test_torch_linear_default_via_uniform():
    """torch nn.Linear(400, 300): U(-1/sqrt(400), 1/sqrt(400)): |W| <= 0.05, std ~ 0.0288675."""
    b = 1 / math.sqrt(400)
    w = init.uniform((300, 400), -b, b, rng=2)
    assert np.abs(w).max() <= 0.05
    assert w.std() == pytest.approx(0.0288675, rel=0.01)


def test_normal_uniform_constants_and_seeds():
    w = init.normal((200, 200), std=0.1, rng=3)
    assert w.mean() == pytest.approx(0, abs=0.002) and w.std() == pytest.approx(0.1, rel=0.01)
    assert np.array_equal(init.normal((3, 3), rng=4), init.normal((3, 3), rng=np.random.default_rng(4)))
    u = init.uniform((1000,), rng=5)
    assert u.min() >= -1 and u.max() <= 1  # micrograd's U(-1, 1)
    assert init.zeros((2, 3)).tolist() == [[0.0] * 3] * 2 and init.ones(2).tolist() == [1.0, 1.0]
    assert init.constant((2,), 0.5).tolist() == [0.5, 0.5]
    assert init.glorot_uniform((3, 4), rng=0, dtype=np.float32).dtype == np.float32


def test_dense_defaults_to_glorot_uniform_and_zero_bias():
    d = nn.Dense(400, 300, rng=0)
    np.testing.assert_array_equal(d.W.data, init.glorot_uniform((400, 300), rng=np.random.default_rng(0)))
    assert not d.b.data.any()


def test_initializer_errors():
    with pytest.raises(ValueError) as e:
        init.get_initializer("xavier")
    assert "unknown initializer 'xavier'" in str(e.value) and "glorot_uniform" in str(e.value)
    with pytest.raises(ValueError, match="normal: std must be >= 0, got -1"):
        init.normal((2,), std=-1)
    with pytest.raises(ValueError, match="uniform: need a <= b, got a=1, b=0"):
        init.uniform((2,), 1, 0)
