"""grad / value_and_grad / hessian / hvp: against hand derivatives and finite differences of the gradient."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from autograd import Tensor, Value
from autograd.functional import grad, hessian, hvp, value_and_grad
from autograd.strategies import arrays, floats_away_from


def fd_jacobian(g, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of a gradient function g: R^n -> R^n (the Hessian, column by column)."""
    x = np.asarray(x, dtype=np.float64)
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        e = e.reshape(x.shape)
        cols.append((np.asarray(g(x + e)) - np.asarray(g(x - e))).ravel() / (2 * h))
    return np.array(cols).T.reshape(x.shape + x.shape)


def cube(x):
    return x * x * x


def test_grad_of_a_scalar_function_and_its_derivatives():
    assert grad(cube)(2.0) == pytest.approx(12.0)
    assert grad(grad(cube))(2.0) == pytest.approx(12.0)
    assert grad(grad(grad(cube)))(2.0) == pytest.approx(6.0)
    assert grad(grad(grad(grad(cube))))(2.0) == pytest.approx(0.0)
    assert isinstance(grad(cube)(2.0), float)


@given(floats_away_from((), -2.0, 2.0))
def test_second_derivative_of_a_value_expression_matches_finite_differences(x):
    f = lambda x: (x * x).sin() * x.exp() + (x * 0.5).tanh()  # noqa: E731
    d1 = grad(f)
    d2 = grad(d1)(x)
    h = 1e-5
    assert d2 == pytest.approx((d1(x + h) - d1(x - h)) / (2 * h), rel=1e-5, abs=1e-6)
    # and by hand: f' = 2x cos(x^2) e^x + sin(x^2) e^x + 0.5 (1 - tanh^2(x/2))
    hand = 2 * x * math.cos(x * x) * math.exp(x) + math.sin(x * x) * math.exp(x) + 0.5 * (1 - math.tanh(x / 2) ** 2)
    assert d1(x) == pytest.approx(hand, rel=1e-12, abs=1e-12)


def test_mixed_partials_of_a_value_function():
    f = lambda x, y: (x * y).sin() + x * x * y  # noqa: E731
    dxdy = grad(lambda x, y: grad(f, 0)(x, y), 1)
    x, y = 0.7, -0.4
    # d/dy [y cos(xy) + 2xy] = cos(xy) - xy sin(xy) + 2x
    assert dxdy(x, y) == pytest.approx(math.cos(x * y) - x * y * math.sin(x * y) + 2 * x, rel=1e-12)


def test_argnums_and_value_and_grad():
    f = lambda x, y: (x * y).tanh() + x.sin()  # noqa: E731
    gx, gy = grad(f, (0, 1))(0.3, 0.5)
    t = math.tanh(0.15)
    assert gx == pytest.approx(0.5 * (1 - t * t) + math.cos(0.3), rel=1e-12)
    assert gy == pytest.approx(0.3 * (1 - t * t), rel=1e-12)
    assert grad(f, -1)(0.3, 0.5) == pytest.approx(gy)
    v, g = value_and_grad(f)(0.3, 0.5)
    assert v == pytest.approx(t + math.sin(0.3)) and g == pytest.approx(gx)


def test_arrays_in_arrays_out():
    f = lambda w: ((w * w).sum() + w[0] * w[1]).tanh()  # noqa: E731
    w = np.array([0.3, -0.2, 0.1])
    g = grad(f)(w)
    assert isinstance(g, np.ndarray) and g.shape == (3,)
    fd = [(f(Tensor(w + e)).item() - f(Tensor(w - e)).item()) / 2e-6 for e in np.eye(3) * 1e-6]
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    v, g2 = value_and_grad(f)(w)
    assert isinstance(v, float) and np.array_equal(g, g2)
    assert w.tolist() == [0.3, -0.2, 0.1]


def test_callers_nodes_keep_their_grad():
    x = Value(2.0)
    x.grad = 7.0
    W = Tensor([1.0, 2.0], requires_grad=True)
    W.grad = np.array([5.0, 5.0])
    param = Tensor([0.5, 0.5], requires_grad=True)  # closed over: its .grad must not change either

    gx = grad(cube)(x)
    assert isinstance(gx, Value) and gx.data == pytest.approx(12.0)
    gW = grad(lambda W: (W * W * param).sum())(W)
    assert isinstance(gW, Tensor) and gW.data.tolist() == [1.0, 2.0]
    assert x.grad == 7.0 and W.grad.tolist() == [5.0, 5.0] and param.grad is None


def test_hessian_of_a_small_mlp_loss_matches_finite_differences_of_its_gradient():
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((5, 2)))
    Y = Tensor(rng.standard_normal((5, 1)))

    def loss(p):  # p packs W1 (2x3), b1 (3), W2 (3x1)
        W1, b1, W2 = p[:6].reshape(2, 3), p[6:9], p[9:12].reshape(3, 1)
        err = (X @ W1 + b1).tanh() @ W2 - Y
        return (err * err).mean()

    p0 = rng.standard_normal(12) * 0.7
    H = hessian(loss)(p0)
    assert H.shape == (12, 12)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(H, fd_jacobian(grad(loss), p0), rtol=1e-5, atol=1e-7)
    v = rng.standard_normal(12)
    np.testing.assert_allclose(hvp(loss, p0, v), H @ v, rtol=1e-10, atol=1e-12)


def test_hessian_of_a_value_expression():
    f = lambda x: (x * x).sin() * x.exp()  # noqa: E731
    x = 0.4
    assert hessian(f)(x) == pytest.approx((grad(f)(x + 1e-5) - grad(f)(x - 1e-5)) / 2e-5, rel=1e-6)
    assert hvp(f, x, 2.0) == pytest.approx(2 * hessian(f)(x), rel=1e-12)


@settings(max_examples=15)
@given(arrays((2, 2), min_value=-1.5, max_value=1.5))
def test_hessian_property(x):
    f = lambda A: (A @ A).tanh().sum() + (A.exp() * A).sum()  # noqa: E731
    np.testing.assert_allclose(hessian(f)(x), fd_jacobian(grad(f), x), rtol=1e-5, atol=1e-7)


def test_linear_and_constant_functions_have_zero_derivatives():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    np.testing.assert_array_equal(hessian(lambda w: (w * 2.0).sum())(np.ones(2)), np.zeros((2, 2)))
    assert hessian(lambda x: x * 3.0)(1.0) == 0.0


@pytest.mark.parametrize("arg, msg", [
    (3, "argument 0 is the integer 3; gradients need floats (pass 3.0)"),
    (True, "argument 0 is the integer True"),
    (np.array([1, 2]), "argument 0 has dtype int64; gradients need floats"),
    (Tensor(np.array([1, 2])), "argument 0 is a Tensor of dtype int64"),
])
def test_integer_inputs_are_a_clear_type_error(arg, msg):
    with pytest.raises(TypeError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        grad(lambda x: x * 2.0)(arg)


def test_non_scalar_output_is_a_clear_error():
    with pytest.raises(ValueError, match=r"f returned a Tensor of shape \(3,\), not a scalar; reduce it"):
        grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(ValueError, match="argnums 2 is out of range for 1"):
        grad(cube, 2)(1.0)
    with pytest.raises(TypeError, match="one int"):
        hessian(cube, (0,))
    with pytest.raises(ValueError, match=r"hvp: v has shape \(2,\) but x has shape \(3,\)"):
        hvp(lambda x: (x * x).sum(), np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="must return a scalar Value or Tensor, got str"):
        grad(lambda x: "loss")(1.0)


def test_a_constant_value_argument_gets_its_own_leaf():
    from autograd import Constant

    g = grad(cube)(Constant(2.0))
    assert isinstance(g, Value) and g.data == pytest.approx(12.0)
    assert grad(lambda x, c: x * c, 0)(2.0, 3.0) == 3.0  # 3.0 is a constant, not differentiated


def test_grad_inside_no_grad_still_differentiates():
    from autograd import no_grad

    with no_grad():  # as torch.func.grad: an outer no_grad does not switch the function's own recording off
        assert grad(cube)(2.0) == pytest.approx(12.0)
        assert grad(grad(cube))(2.0) == pytest.approx(12.0)
        np.testing.assert_allclose(hessian(lambda w: (w * w * w).sum())(np.array([1.0, 2.0])), np.diag([6.0, 12.0]))
        assert hvp(cube, 2.0, 1.0) == pytest.approx(12.0)


@pytest.mark.parametrize("argnums", ["x", 1.0, (0, "y"), None])
def test_argnums_of_the_wrong_type_is_a_clear_error(argnums):
    with pytest.raises(TypeError, match=r"grad: argnums must be an int or a tuple of ints, got"):
        grad(lambda x, y: x * y, argnums)(2.0, 3.0)


def test_hvp_of_a_scalar_with_an_array_v_is_a_clear_error():
    with pytest.raises(ValueError, match=r"hvp: x is a scalar, so v must be one number; got shape \(2,\)"):
        hvp(cube, 2.0, np.array([1.0, 2.0]))
