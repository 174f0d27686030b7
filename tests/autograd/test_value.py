"""Value: every op against finite differences and by hand, errors, micrograd compatibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fdcheck import check_value_gradients
from hypothesis import given
from hypothesis import strategies as st

from autograd import DomainError, Tensor, Value, weighted_sum

finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
positive = st.floats(0.05, 5)
away_from_zero = finite.filter(lambda x: abs(x) > 1e-3)

# op name -> (function of Values, strategies for its inputs)
VALUE_OPS = {
    "add": (lambda a, b: a + b, (finite, finite)),
    "sub": (lambda a, b: a - b, (finite, finite)),
    "mul": (lambda a, b: a * b, (finite, finite)),
    "div": (lambda a, b: a / b, (finite, st.floats(0.2, 5))),
    "neg": (lambda a: -a, (finite,)),
    "pow": (lambda a: a**3, (finite,)),
    "pow_fractional": (lambda a: a**1.5, (positive,)),
    "power": (lambda a, b: a**b, (positive, st.floats(-2, 2))),
    "abs": (lambda a: abs(a), (away_from_zero,)),
    "exp": (lambda a: a.exp(), (finite,)),
    "log": (lambda a: a.log(), (positive,)),
    "sqrt": (lambda a: a.sqrt(), (positive,)),
    "tanh": (lambda a: a.tanh(), (finite,)),
    "sigmoid": (lambda a: a.sigmoid(), (finite,)),
    "relu": (lambda a: a.relu(), (away_from_zero,)),
    "leaky_relu": (lambda a: a.leaky_relu(0.1), (away_from_zero,)),
    "softplus": (lambda a: a.softplus(), (st.floats(-30, 19),)),
    "bce_with_logits": (lambda z, y: z.bce_with_logits(y), (st.floats(-30, 30), st.floats(0, 1))),
    "sin": (lambda a: a.sin(), (finite,)),
    "cos": (lambda a: a.cos(), (finite,)),
    "weighted_sum": (lambda w1, w2, x1, x2, b: weighted_sum([w1, w2], [x1, x2], b), (finite,) * 5),
}


@pytest.mark.parametrize("name", sorted(VALUE_OPS))
def test_value_op_matches_finite_differences(name: str) -> None:
    fn, strategies = VALUE_OPS[name]

    @given(st.tuples(*strategies))
    def check(xs: tuple[float, ...]) -> None:
        check_value_gradients(fn, xs)

    check()


HAND = [  # (function, inputs, value, gradients) worked out by hand
    (lambda a, b: a * b + b, (2.0, -3.0), -9.0, (-3.0, 3.0)),
    (lambda a, b: a / b, (1.0, 4.0), 0.25, (0.25, -1 / 16)),
    (lambda a: a**2, (3.0,), 9.0, (6.0,)),
    (lambda a, b: a**b, (2.0, 3.0), 8.0, (12.0, 8 * math.log(2))),
    (lambda a: 2**a, (3.0,), 8.0, (8 * math.log(2),)),
    (lambda a: a.exp(), (0.0,), 1.0, (1.0,)),
    (lambda a: a.log(), (2.0,), math.log(2), (0.5,)),
    (lambda a: a.sqrt(), (4.0,), 2.0, (0.25,)),
    (lambda a: a.tanh(), (0.5,), 0.46211715726000974, (0.7864477329659274,)),
    (lambda a: a.sigmoid(), (0.0,), 0.5, (0.25,)),
    (lambda a: a.sigmoid(), (-40.0,), 4.248354255291589e-18, (4.248354255291589e-18,)),
    (lambda a: a.relu(), (0.0,), 0.0, (0.0,)),  # relu'(0) = 0, as PyTorch
    (lambda a: a.relu(), (2.0,), 2.0, (1.0,)),
    (lambda a: a.leaky_relu(), (0.0,), 0.0, (0.01,)),  # leaky'(0) = slope, as PyTorch
    (lambda a: a.leaky_relu(), (-1.0,), -0.01, (0.01,)),
    (lambda a: abs(a), (0.0,), 0.0, (0.0,)),
    (lambda a: abs(a), (-2.0,), 2.0, (-1.0,)),
    (lambda a: a.softplus(), (0.0,), math.log(2), (0.5,)),
    (lambda a: a.softplus(), (20.01,), 20.01, (1.0,)),  # past the threshold softplus is x
    (lambda a: a.softplus(), (-50.0,), 1.9287498479639178e-22, (1.9287498479639178e-22,)),
    (lambda z, y: z.bce_with_logits(y), (0.0, 1.0), math.log(2), (-0.5, 0.0)),
    (lambda z, y: z.bce_with_logits(y), (-1000.0, 1.0), 1000.0, (-1.0, 1000.0)),  # no overflow, exact slope
    (lambda a: a.sin(), (0.0,), 0.0, (1.0,)),
    (lambda a: a.cos(), (0.0,), 1.0, (0.0,)),
    (lambda a: -a, (2.0,), -2.0, (-1.0,)),
    (lambda a: a.sqrt(), (0.0,), 0.0, (math.inf,)),  # as PyTorch: sqrt'(0) = +inf
]


@pytest.mark.parametrize("fn, xs, value, grads", HAND)
def test_hand_checked(fn, xs, value, grads) -> None:
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    assert out.data == pytest.approx(value, rel=1e-12, abs=1e-300)
    out.backward()
    for leaf, g in zip(leaves, grads):
        assert leaf.grad == pytest.approx(g, rel=1e-9, abs=1e-300)


def test_sigmoid_never_overflows() -> None:
    for x in (-1e308, -800.0, 800.0, 1e308):
        v = Value(x)
        s = v.sigmoid()
        s.backward()
        assert s.data == (0.0 if x < 0 else 1.0)
        assert v.grad == 0.0


def test_lecture_perceptron() -> None:
    x1, x2 = Value(-1.0), Value(2.0)
    w0, w1, w2 = Value(1.0), Value(3.0), Value(-2.0)
    y = (w0 + x1 * w1 + x2 * w2).sigmoid()
    assert y.data == pytest.approx(1 / (1 + math.exp(6)))
    assert round(y.data, 3) == 0.002
    y.backward()
    s = y.data * (1 - y.data)
    assert (w0.grad, w1.grad, w2.grad) == pytest.approx((s, -s, 2 * s))
    assert (x1.grad, x2.grad) == pytest.approx((3 * s, -2 * s))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Value(-1.0).log(), "log: input must be > 0, got -1.0"),
        (lambda: Value(0.0).log(), "log: input must be > 0, got 0.0"),
        (lambda: Value(-4.0).sqrt(), "sqrt: input must be >= 0, got -4.0"),
        (lambda: Value(0.0) ** -1, "pow: 0.0 ** -1.0 is undefined"),
        (lambda: Value(-8.0) ** (1 / 3), "pow: a negative base -8.0 with a non-integer exponent"),
        (lambda: Value(-2.0) ** Value(2.0), "pow: with a Value exponent the base must be > 0"),
        (lambda: 0 ** Value(2.0), "got base 0.0"),
        (lambda: Value(1.0) / 0, "div: division by zero (1.0 / 0.0)"),
        (lambda: 1 / Value(0.0), "div: division by zero"),
        (lambda: Value(math.inf).sin(), "sin: input must be finite, got inf"),
    ],
)
def test_domain_errors_are_clear(make, message: str) -> None:
    with pytest.raises(DomainError) as info:
        make()
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_type_errors_are_clear() -> None:
    with pytest.raises(TypeError, match="Value: data must be a real number, got str 'a'"):
        Value("a")
    with pytest.raises(TypeError, match="Value: data must be a real number, got complex"):
        Value(1j)
    with pytest.raises(TypeError, match="Value: data must be a real number, got str '3'"):
        Value("3")  # float("3") would accept it
    with pytest.raises(TypeError, match="Value: data must be a real number, got Tensor"):
        Value(Tensor(2.0, requires_grad=True))  # it would silently cut the Tensor's graph
    assert (Value(2.0) * np.bool_(True)).data == 2.0
    with pytest.raises(TypeError, match="mul: cannot combine a Value with a Tensor of shape"):
        Value(1.0) * Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="add: cannot combine a Tensor of shape \\(2,\\) with a Value"):
        Tensor([1.0, 2.0]) + Value(1.0)
    with pytest.raises(TypeError, match="add: unsupported operand of type list"):
        Value(1.0) + [1]


def test_numbers_on_either_side() -> None:
    a = Value(2.0)
    for out, want in [
        (3 + a, 5), (a + 3, 5), (3 - a, 1), (a - 3, -1), (3 * a, 6), (a * 3, 6), (3 / a, 1.5), (a / 4, 0.5),
        (np.float64(3) * a, 6), (a * np.float32(3), 6), (np.int64(3) - a, 1), (a**2, 4), (2**a, 4), (True + a, 3),
    ]:
        assert isinstance(out, Value) and out.data == want


def test_comparisons_compare_data_and_hash_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a < 2 and a <= b and b >= a and not a > b and Value(3) > a and 0 < a
    assert a != b and a == a  # equality is identity: Values are graph nodes
    assert len({a, b}) == 2
    assert max([Value(1.0), Value(3.0), Value(2.0)]).data == 3.0


def test_sum_of_values() -> None:
    vs = [Value(float(i)) for i in range(5)]
    s = sum(vs)
    assert s.data == 10
    s.backward()
    assert [v.grad for v in vs] == [1.0] * 5


def test_micrograd_compatibility() -> None:
    a = Value(2.0)
    b = a * a + a
    assert b._op == "+" and a._op == ""
    assert b._prev == set(b.parents) and len(b.parents) == 2
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"
    c = b.relu()
    assert c._op == "ReLU"
    # micrograd's test_sanity_check, verbatim
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0 and x.grad == 46.0


def test_micrograd_more_ops() -> None:
    # micrograd's test_more_ops; its expected numbers come from PyTorch
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.70408163265306, abs=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-9)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-9)


def test_weighted_sum_equals_the_sum_of_products() -> None:
    ws = [Value(3.0), Value(-2.0)]
    b = Value(1.0)
    z = weighted_sum(ws, [-1.0, 2.0], b)
    assert z.data == -6.0 and len(z.parents) == 5
    z.backward()
    assert [w.grad for w in ws] == [-1.0, 2.0] and b.grad == 1.0
    assert weighted_sum([Value(1.0)], [Value(2.0)]).data == 2.0
    with pytest.raises(ValueError, match="weighted_sum: 2 weights but 1 inputs"):
        weighted_sum(ws, [1.0])


def test_a_value_has_the_shape_attributes_of_a_0d_tensor() -> None:
    v, t = Value(2.5), Tensor(2.5)
    assert (v.shape, v.ndim, v.size) == (t.shape, t.ndim, t.size) == ((), 0, 1)
    assert (np.shape(v), np.ndim(v), np.size(v)) == ((), 0, 1)
