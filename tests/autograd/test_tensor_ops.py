"""Tensor: every op against finite differences in float64 over random shapes (0-d, size-1 axes, broadcast
pairs, transposed inputs, every axis/keepdims combination, empty arrays), and forward values against numpy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from fdcheck import check_tensor_gradients
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd
from autograd import Tensor, Value, ops

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3)


def arrays(shape, lo=-2.0, hi=2.0, away_from=None):
    elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if away_from is not None:
        elements = elements.filter(lambda v: abs(v - away_from) > 1e-3)
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def broadcast_pair(draw, lo=-2.0, hi=2.0, lo_b=None, hi_b=None):
    sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3)).input_shapes
    return draw(arrays(sa, lo, hi)), draw(arrays(sb, lo if lo_b is None else lo_b, hi if hi_b is None else hi_b))


@st.composite
def maybe_transposed(draw, lo=-2.0, hi=2.0, away_from=None):
    """An array that is sometimes a transposed (non-contiguous) view."""
    a = draw(arrays(draw(shapes), lo, hi, away_from))
    return a.T if draw(st.booleans()) else a


BINARY = {
    "add": (lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, {"lo_b": 0.5, "hi_b": 3.0}),
    "power": (lambda a, b: a**b, {"lo": 0.5, "hi": 3.0}),
    "maximum": (lambda a, b: autograd.maximum(a, b), {}),
    "minimum": (lambda a, b: autograd.minimum(a, b), {}),
    "bce_with_logits": (lambda a, b: a.bce_with_logits(b), {"lo_b": 0.0, "hi_b": 1.0}),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_with_broadcasting(name: str) -> None:
    fn, domain = BINARY[name]

    @given(broadcast_pair(**domain))
    def check(pair) -> None:
        a, b = pair
        if name in ("maximum", "minimum"):
            assume(np.all(np.abs(np.subtract(a, b)) > 1e-3))  # ties are a kink (tested by hand below)
        check_tensor_gradients(fn, [a, b])

    check()


UNARY = {  # name -> (function, domain low, high, kink to keep away from)
    "neg": (lambda x: -x, -2, 2, None),
    "pow": (lambda x: x**3, -2, 2, None),
    "pow_fractional": (lambda x: x**0.5, 0.1, 3, None),
    "abs": (lambda x: abs(x), -2, 2, 0.0),
    "exp": (lambda x: x.exp(), -2, 2, None),
    "log": (lambda x: x.log(), 0.1, 3, None),
    "sqrt": (lambda x: x.sqrt(), 0.1, 3, None),
    "tanh": (lambda x: x.tanh(), -3, 3, None),
    "sigmoid": (lambda x: x.sigmoid(), -6, 6, None),
    "relu": (lambda x: x.relu(), -2, 2, 0.0),
    "leaky_relu": (lambda x: x.leaky_relu(0.2), -2, 2, 0.0),
    "softplus": (lambda x: x.softplus(), -5, 5, None),
    "softplus_beta": (lambda x: x.softplus(beta=2.0, threshold=3.0), -2, 2, 1.5),
    "sin": (lambda x: x.sin(), -3, 3, None),
    "cos": (lambda x: x.cos(), -3, 3, None),
    "clip": (lambda x: x.clip(-0.5, 0.7), -2, 2, None),
    "astype": (lambda x: x.astype(np.float32).astype(np.float64) * 1.0, -2, 2, None),
    "reshape": (lambda x: x.reshape(-1), -2, 2, None),
    "transpose": (lambda x: x.T, -2, 2, None),
    "broadcast_to": (lambda x: x.broadcast_to((2,) + x.shape), -2, 2, None),
    "squeeze_unsqueeze": (lambda x: x.unsqueeze(0).squeeze(0).unsqueeze(-1), -2, 2, None),
    "var": (lambda x: x.var(), -2, 2, None),
    "softmax": (lambda x: x.softmax(axis=-1) if x.ndim else x.exp(), -3, 3, None),
    "log_softmax": (lambda x: x.log_softmax(axis=0) if x.ndim else x * 1, -3, 3, None),
    "logsumexp": (lambda x: x.logsumexp(), -3, 3, None),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_on_random_shapes(name: str) -> None:
    fn, lo, hi, kink = UNARY[name]

    @given(maybe_transposed(lo, hi, kink))
    def check(x) -> None:
        if name == "clip":
            assume(np.all(np.abs(x + 0.5) > 1e-3) and np.all(np.abs(x - 0.7) > 1e-3))
        rtol = 1e-4 if name == "astype" else 1e-5  # a float32 round trip is not smooth at 1e-6 steps
        atol = 1e-4 if name == "astype" else 1e-6
        if name == "astype":
            # the rounding makes finite differences meaningless; check the gradient is passed through as 1
            t = Tensor(x, requires_grad=True)
            fn(t).sum().backward()
            np.testing.assert_array_equal(t.grad, np.ones_like(x))
            assert t.grad.dtype == np.float64
            return
        check_tensor_gradients(fn, [x], rtol=rtol, atol=atol)

    check()


@st.composite
def reduction_case(draw):
    x = draw(maybe_transposed())
    axes = list(range(x.ndim))
    choice = draw(st.sampled_from(["none", "int", "tuple", "negative"])) if axes else "none"
    if choice == "none":
        axis = None
    elif choice == "int":
        axis = draw(st.sampled_from(axes))
    elif choice == "negative":
        axis = draw(st.sampled_from(axes)) - x.ndim
    else:
        axis = tuple(draw(st.lists(st.sampled_from(axes), min_size=1, max_size=len(axes), unique=True)))
    return x, axis, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var", "logsumexp"])
def test_reductions_every_axis_and_keepdims(name: str) -> None:
    @given(reduction_case())
    def check(case) -> None:
        x, axis, keepdims = case
        if name in ("max", "min"):  # keep the extreme unique (ties are tested by hand)
            assume(len(np.unique(np.round(x, 3))) == x.size)
        method = lambda t: getattr(t, name)(axis=axis, keepdims=keepdims)  # noqa: E731
        want = {"logsumexp": lambda a: np.log(np.exp(a).sum(axis=axis, keepdims=keepdims))}.get(
            name, lambda a: getattr(np, name)(a, axis=axis, keepdims=keepdims))(x)
        np.testing.assert_allclose(method(Tensor(x)).data, want, rtol=1e-12, atol=1e-12)
        check_tensor_gradients(method, [x])

    check()


@given(st.data())
def test_matmul_1d_2d_and_batched(data) -> None:
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (2,), (3, 1)]))
    kind = data.draw(st.sampled_from(["mm", "vm", "mv", "vv", "bmm", "bm", "mb"]))
    shape_a, shape_b = {
        "mm": ((n, k), (k, m)), "vm": ((k,), (k, m)), "mv": ((n, k), (k,)), "vv": ((k,), (k,)),
        "bmm": (batch + (n, k), batch + (k, m)), "bm": (batch + (n, k), (k, m)), "mb": ((n, k), batch + (k, m)),
    }[kind]
    a, b = data.draw(arrays(shape_a)), data.draw(arrays(shape_b))
    if data.draw(st.booleans()) and a.ndim == 2:
        a = np.ascontiguousarray(a.T).T  # a non-contiguous layout of the same values
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b)
    check_tensor_gradients(lambda x, y: x @ y, [a, b])


@given(st.data())
def test_linear_is_matmul_plus_bias_in_one_node(data) -> None:
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (2,)]))
    x, W, b = data.draw(arrays(batch + (n, k))), data.draw(arrays((k, m))), data.draw(arrays((m,)))
    out = autograd.linear(Tensor(x), Tensor(W, requires_grad=True), Tensor(b, requires_grad=True))
    assert out.op is ops.LINEAR
    np.testing.assert_allclose(out.data, x @ W + b)
    check_tensor_gradients(lambda x, W, b: autograd.linear(x, W, b), [x, W, b])


@given(st.data())
def test_indexing(data) -> None:
    x = data.draw(arrays(data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))))
    kind = data.draw(st.sampled_from(["int", "slice", "ints_with_repeats", "mask", "tuple", "newaxis"]))
    n = x.shape[0]
    index = {
        "int": data.draw(st.integers(-n, n - 1)),
        "slice": slice(data.draw(st.integers(0, n)), None, data.draw(st.sampled_from([1, 2, -1]))),
        "ints_with_repeats": np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6))),
        "mask": data.draw(hnp.arrays(np.bool_, x.shape)),
        "tuple": (Ellipsis, 0),
        "newaxis": (None, slice(None)),
    }[kind]
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    check_tensor_gradients(lambda t: t[index], [x])


def test_repeated_indices_accumulate() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


@given(st.data())
def test_concatenate_and_stack(data) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    pieces = []
    for _ in range(data.draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = data.draw(st.integers(0, 3))  # empty pieces are allowed, as in numpy
        pieces.append(data.draw(arrays(tuple(s))))
    np.testing.assert_array_equal(autograd.concatenate([Tensor(p) for p in pieces], axis).data,
                                  np.concatenate(pieces, axis))
    check_tensor_gradients(lambda *ts: autograd.concatenate(ts, axis=axis), pieces)
    same = [data.draw(arrays(shape)) for _ in range(2)]
    check_tensor_gradients(lambda *ts: autograd.stack(ts, axis=0), same)


@given(st.data())
def test_where(data) -> None:
    a, b = data.draw(broadcast_pair())
    cond = data.draw(hnp.arrays(np.bool_, np.broadcast_shapes(a.shape, b.shape)))
    np.testing.assert_array_equal(autograd.where(cond, Tensor(a), Tensor(b)).data, np.where(cond, a, b))
    check_tensor_gradients(lambda x, y: autograd.where(cond, x, y), [a, b])


def test_scatter_add_is_the_derivative_of_indexing() -> None:
    x = np.array([1.0, 2.0])
    index = np.array([2, 0])
    build = lambda t: Tensor._apply(ops.SCATTER_ADD, (t,), (index, (3,)))  # noqa: E731
    assert build(Tensor(x)).data.tolist() == [2.0, 0.0, 1.0]
    check_tensor_gradients(build, [x])


def test_empty_arrays() -> None:
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    (x * 2).sum().backward()
    assert x.grad.shape == (0, 3)
    y = Tensor(np.zeros((2, 0)), requires_grad=True)
    (y.exp() @ Tensor(np.zeros((0, 4)))).sum().backward()
    assert y.grad.shape == (2, 0)
    with pytest.raises(ValueError, match="max: cannot reduce an empty axis"):
        Tensor(np.zeros((0,))).max()


def test_softmax_family_is_stable_for_large_inputs() -> None:
    x = Tensor([1000.0, 1000.0, -1000.0], requires_grad=True)
    np.testing.assert_allclose(x.softmax().data, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(x.log_softmax().data, [-0.69314718, -0.69314718, -2000.6931472], rtol=1e-8)
    assert x.logsumexp().item() == pytest.approx(1000 + np.log(2))
    x.log_softmax().sum().backward()
    assert np.all(np.isfinite(x.grad))
    s = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    np.testing.assert_allclose(s.softmax().data, [0.090030573, 0.24472847, 0.66524096], rtol=1e-7)
    (s.softmax() * Tensor([0.1, 0.2, 0.3])).sum().backward()  # the reference VJP
    np.testing.assert_allclose(s.grad, [-0.014181709, -0.014077036, 0.028258745], rtol=1e-7)


def test_max_and_maximum_split_ties_evenly() -> None:
    x = Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([1.0, 1.0], requires_grad=True)
    autograd.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0] and b.grad.tolist() == [0.5, 0.0]
    m = Tensor([[1.0, 5.0], [5.0, 5.0]], requires_grad=True)
    m.min(axis=1).sum().backward()
    assert m.grad.tolist() == [[1.0, 0.0], [0.5, 0.5]]


def test_where_does_not_leak_nan_from_the_unselected_branch() -> None:
    x = Tensor([0.0, 1.0, -1.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = autograd.where(x > 0, x.log(), 0.0) + autograd.where(x > 0, x.sqrt(), 0.0) + autograd.where(
            x != 0, 1 / x, 0.0)
    y.sum().backward()
    assert np.all(np.isfinite(x.grad)), x.grad
    np.testing.assert_allclose(x.grad, [0.0, 1 + 0.5 - 1, -1.0, 0.25 + 0.25 - 1 / 16])


def test_clip_derivative_is_one_at_the_bounds() -> None:
    x = Tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clip(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


SHARED = ["add", "sub", "mul", "div", "neg", "pow", "power", "abs", "exp", "log", "sqrt", "tanh", "sigmoid",
          "relu", "leaky_relu", "softplus", "bce_with_logits", "sin", "cos"]


@pytest.mark.parametrize("name", SHARED)
def test_value_and_0d_tensor_agree(name: str) -> None:
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "power": lambda a, b: a**b, "neg": lambda a: -a, "pow": lambda a: a**3,
          "abs": abs}.get(name, lambda a: getattr(a, name)())
    if name == "bce_with_logits":
        fn = lambda a, b: a.bce_with_logits(b)  # noqa: E731
    xs = (0.7, 1.3)[: 2 if name in ("add", "sub", "mul", "div", "power", "bce_with_logits") else 1]
    vs = [Value(x) for x in xs]
    ts = [Tensor(x, requires_grad=True) for x in xs]
    v, t = fn(*vs), fn(*ts)
    assert t.shape == () and v.data == pytest.approx(t.item(), rel=1e-15)
    v.backward()
    t.backward()
    for a, b in zip(vs, ts):
        assert a.grad == pytest.approx(float(b.grad), rel=1e-15)


def test_every_registered_op_is_exercised_here_or_in_test_value() -> None:
    covered = set(BINARY) | set(UNARY) | {"matmul", "linear", "sum", "mean", "max", "min", "getitem", "scatter_add",
                                          "concatenate", "where", "weighted_sum"}
    names = {"squeeze_unsqueeze": "reshape", "softplus_beta": "softplus", "pow_fractional": "pow",
             "var": "mean", "broadcast_to": "broadcast_to"}
    covered = {names.get(c, c) for c in covered}
    missing = {n for n in autograd.REGISTRY if not n.startswith("test_")} - covered
    assert not missing, f"ops without a finite-difference test: {sorted(missing)}"


def test_all_axis_combinations_enumerated_for_a_3d_tensor() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    combos = [None] + [c for r in (1, 2, 3) for c in itertools.combinations(range(3), r)]
    for axis, keepdims in itertools.product(combos, (False, True)):
        check_tensor_gradients(lambda t: t.sum(axis=axis, keepdims=keepdims) ** 2, [x])
        check_tensor_gradients(lambda t: t.mean(axis=axis, keepdims=keepdims) ** 2, [x])
