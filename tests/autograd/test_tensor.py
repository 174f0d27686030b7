"""Tensor: construction, requires-grad rules, dtypes, errors that name shapes, memory."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import autograd
from autograd import ShapeError, Tensor, Value


def test_construction_and_attributes() -> None:
    t = Tensor([[1, 2, 3], [4, 5, 6]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.int64
    assert not t.requires_grad and t.grad is None
    assert t.T.shape == (3, 2) and t.numpy() is t.data
    assert Tensor(2.5).item() == 2.5 and float(Tensor([[2.5]])) == 2.5
    f32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    assert f32.dtype == np.float32  # float data keep their dtype
    assert Tensor([1, 2], requires_grad=True).dtype == np.float64  # ints become float64 to take part
    assert Tensor([True, False], requires_grad=True).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True, label="w"))
    assert "label='w'" in repr(Tensor([1.0], label="w"))
    assert "dtype=float32" in repr(f32)
    with pytest.raises(ValueError, match="item: the tensor has 3 elements"):
        Tensor([1.0, 2.0, 3.0]).item()


def test_requires_grad_follows_pytorch() -> None:
    x = Tensor([1.0, 2.0])
    w = Tensor([3.0, 4.0], requires_grad=True)
    assert not (x * 2).requires_grad
    y = x * w
    assert y.requires_grad and not y.is_leaf
    y.sum().backward()
    assert x.grad is None  # nobody asked for the input's gradient
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])
    d = w.detach()
    assert not d.requires_grad and d.data is w.data


def test_float32_stays_float32_through_backward() -> None:
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    x = Tensor(rng.standard_normal((5, 4)).astype(np.float32))
    out = ((x @ W + b).relu() * 0.5 + 1.0).log_softmax(axis=1)
    assert out.dtype == np.float32
    out.mean().backward()
    assert W.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_mixed_dtypes_give_gradients_in_each_input_dtype() -> None:
    a = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(3, dtype=np.float64), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_leaf_gradients_are_their_own_arrays() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 10  # in-place change of one gradient does not touch the other
    assert b.grad.tolist() == [1.0, 1.0]
    c = Tensor(5.0, requires_grad=True)
    (c * 1).backward()
    c.grad += 1  # a writable array even when the gradient came from a broadcast view
    assert c.grad == 2.0


def test_backward_seeds() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward: the output has shape \(2,\), not a single number; "
                                           r"call \.sum\(\) or \.mean\(\) first, or pass grad="):
        (x * 2).backward()
    (x * 2).backward(grad=np.array([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]
    with pytest.raises(ShapeError, match=r"backward: grad has shape \(3,\) but the output has shape \(2,\)"):
        (x * 2).backward(grad=np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2))), ShapeError,
         r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned \(4 != 5\)"),
        (lambda: Tensor(np.ones(3)) + Tensor(np.ones(4)), ShapeError,
         r"add: cannot broadcast shapes \(3,\) and \(4,\)"),
        (lambda: Tensor(np.ones(3)) * np.ones((2, 2)), ShapeError, r"mul: cannot broadcast shapes \(3,\) and \(2, 2\)"),
        (lambda: Tensor(np.ones((2, 3))).sum(axis=2), np.exceptions.AxisError,
         "sum: axis 2 is out of range for a tensor with 2 dimensions"),
        (lambda: Tensor(np.ones((2, 3))).mean(axis=(0, 0)), ValueError, r"mean: repeated axis in \(0, 0\)"),
        (lambda: Tensor(np.ones((2, 3)))[5], IndexError,
         r"getitem: index 5 is out of bounds .* \(tensor shape \(2, 3\)"),
        (lambda: Tensor(["a", "b"]), TypeError, "Tensor: data must be numeric"),
        (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), ShapeError,
         r"reshape: cannot reshape shape \(2, 3\) \(size 6\) into \(4, 2\)"),
        (lambda: Tensor(np.ones((2, 3))).transpose(0, 0), ValueError, "transpose: axes"),
        (lambda: Tensor(np.ones((2, 3))).broadcast_to(4, 3), ShapeError,
         r"broadcast_to: cannot broadcast shape \(2, 3\) to \(4, 3\)"),
        (lambda: Tensor(np.ones((2, 3))).squeeze(0), ValueError, "squeeze: axis 0 of shape"),
        (lambda: autograd.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))]), ShapeError,
         r"concatenate: shapes \(2, 3\), \(2, 4\) differ outside axis 0"),
        (lambda: autograd.stack([Tensor(np.ones(2)), Tensor(np.ones(3))]), ShapeError, "stack: all tensors"),
        (lambda: autograd.where(np.ones(3, bool), Tensor(np.ones(4)), 0.0), ShapeError,
         r"where: cannot broadcast cond \(3,\)"),
        (lambda: autograd.one_hot([0, 3], 3), ValueError, r"one_hot: labels must lie in \[0, 3\)"),
        (lambda: Tensor(np.ones(2)).clip(), ValueError, "clip: give min, max or both"),
    ],
)
def test_errors_name_the_operation_and_shapes(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_a_failed_operation_changes_no_graph() -> None:
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    h = w * 2
    with pytest.raises(ShapeError):
        h @ Tensor(np.ones((5, 2)))
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, np.full((3, 4), 2.0))


def test_truth_values_and_item_assignment() -> None:
    t = Tensor([1.0, -2.0])
    with pytest.raises(ValueError, match=r"bool: the truth value of a tensor of shape \(2,\) is ambiguous"):
        if t > 0:
            pass
    assert Tensor([3.0]) and not Tensor(0.0)
    with pytest.raises(TypeError, match="Tensor does not support item assignment"):
        t[0] = 5.0


def test_value_and_tensor_do_not_mix_silently() -> None:
    with pytest.raises(TypeError, match="cannot combine"):
        Tensor([1.0]) * Value(2.0)
    with pytest.raises(TypeError, match="cannot combine"):
        Value(2.0) - Tensor([1.0])


def test_numpy_on_the_left_defers_to_tensor() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * w + np.float64(1.0)
    assert isinstance(out, Tensor)
    out.sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]
    m = np.ones((2, 2)) @ w
    assert isinstance(m, Tensor) and m.shape == (2,)


def test_comparisons_give_constant_bool_tensors() -> None:
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = t > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    assert (t == 2.0).data.tolist() == [False, True, False]
    assert ((t > 1) & (t < 3)).data.tolist() == [False, True, False]
    assert len({t, Tensor([1.0])}) == 2  # hashable by identity


def test_one_hot_and_shape_helpers() -> None:
    np.testing.assert_array_equal(autograd.one_hot([2, 0], 3).data, [[0, 0, 1], [1, 0, 0]])
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,) and t.flatten().shape == (6,)
    assert t.unsqueeze(0).shape == (1, 2, 3) and t.unsqueeze(-1).shape == (2, 3, 1)
    assert t.unsqueeze(1).squeeze().shape == (2, 3)
    assert t.expand(4, -1, -1).shape == (4, 2, 3)
    assert t.swapaxes(0, 1).shape == (3, 2)
    assert t.var(axis=1, ddof=1).data.tolist() == [1.0, 1.0]


def test_training_steps_do_not_grow_memory() -> None:
    rng = np.random.default_rng(0)
    W1 = Tensor(rng.standard_normal((2, 16)) * 0.5, requires_grad=True)
    W2 = Tensor(rng.standard_normal((16, 1)) * 0.5, requires_grad=True)
    X, y = Tensor(rng.standard_normal((32, 2))), Tensor(rng.integers(0, 2, (32, 1)).astype(float))

    def step() -> None:
        p = (X @ W1).tanh() @ W2
        loss = ((p.sigmoid() - y) ** 2).mean()
        W1.grad = W2.grad = None
        loss.backward()
        for w in (W1, W2):
            w.data -= 0.1 * w.grad

    for _ in range(50):
        step()
    gc.collect()
    tracemalloc.start()
    for _ in range(100):
        step()
    base, _ = tracemalloc.get_traced_memory()
    for _ in range(1000):
        step()
    now, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert now - base < 20_000, f"tracked memory grew by {now - base} bytes over 1000 steps"


# --- findings of an adversarial audit, each a bug before its fix --------------------------------------------


def test_a_0d_tensor_cannot_be_iterated_and_others_iterate_by_rows() -> None:
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        sum(Tensor(3.0))
    rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]


def test_a_cast_to_integers_is_a_constant() -> None:
    x = Tensor([1.3, 2.7], requires_grad=True)
    n = x.astype(np.int64)
    assert not n.requires_grad and n.data.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="does not require grad"):
        (n * 2.5).sum().backward()


def test_a_malformed_rule_of_your_own_is_a_clear_error() -> None:
    from autograd import Op, apply, register, unregister

    no_tuple = register(Op("test_no_tuple", arity=1, forward=lambda F, c, x: x * 3,
                           backward=lambda F, c, g, o, x: g * 3, formula=("3",)))
    wrong_shape = register(Op("test_wrong_shape", arity=1, forward=lambda F, c, x: x * 3,
                              backward=lambda F, c, g, o, x: (np.ones(5),), formula=("3",)))
    try:
        with pytest.raises(TypeError, match="backward of test_no_tuple: its rule must return one gradient"):
            apply(no_tuple, Tensor([1.0, 2.0, 3.0], requires_grad=True)).sum().backward()
        with pytest.raises(TypeError, match="backward of test_no_tuple"):
            apply(no_tuple, Value(2.0)).backward()
        with pytest.raises(ValueError, match=r"backward of test_wrong_shape: .* shape \(5,\) for an input of shape "
                                             r"\(3,\)"):
            apply(wrong_shape, Tensor([1.0, 2.0, 3.0], requires_grad=True)).sum().backward()
    finally:
        unregister("test_no_tuple")
        unregister("test_wrong_shape")


def test_where_does_not_leak_nan_in_a_recorded_backward_either() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        autograd.where(x.data > 0, x.sqrt(), 0.0).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, [0.0, 0.25])


def test_powers_at_a_zero_base_follow_pytorch() -> None:
    v = Value(0.0)
    (v**0).backward()
    assert v.grad == 0.0
    t = Tensor([0.0, 2.0], requires_grad=True)
    (t**0).sum().backward()
    assert t.grad.tolist() == [0.0, 0.0]
    b = Tensor([2.0, 2.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        (Tensor([0.0, 2.0]) ** b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 4 * np.log(2)])


def test_index_arrays_and_masks_are_copied() -> None:
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    idx = np.array([0, 1])
    y = x[idx]
    idx[0] = 3
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0, 0.0]
    mask = np.array([True, False, True, False])
    z = autograd.where(mask, x, 0.0)
    mask[:] = True
    x.zero_grad()
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_numpy_scalars_do_not_promote_float32() -> None:
    t = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for out in (t * np.float64(2), t / np.sqrt(4.0), np.int64(2) * t, t - np.float64(1)):
        assert out.dtype == np.float32


def test_axis_arguments_are_checked() -> None:
    m = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="transpose: axes"):
        m.transpose(5, 0)
    with pytest.raises(np.exceptions.AxisError, match="swapaxes: axis 5 is out of range"):
        m.swapaxes(0, 5)
    with pytest.raises(ValueError, match="softmax: needs one axis"):
        m.softmax(axis=(0, 1))
    with pytest.raises(ShapeError, match="expand: -1 is not allowed in a new leading dimension"):
        Tensor(np.ones(3)).expand(-1, 3)
    s = Tensor(2.0, requires_grad=True)
    assert s.sum(0).item() == 2.0 and s.mean(-1).item() == 2.0  # axis 0/-1 of a 0-d tensor, as PyTorch
    with pytest.raises(TypeError, match="add: cannot combine a Tensor with str 'a'"):
        m + "a"


def test_gradients_are_arrays_and_our_own() -> None:
    x = Tensor(2.0, requires_grad=True)
    (x * 3).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()
    w = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0])
    w.backward(seed)
    seed[0] = 100.0
    assert w.grad.tolist() == [1.0, 1.0]
    assert "shape=(0, 3)" in repr(Tensor(np.zeros((0, 3))))


def test_one_no_grad_instance_can_be_nested_and_shared() -> None:
    ng = autograd.no_grad()
    with ng:
        with ng:
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_batch_mismatch_in_matmul_and_recorded_singular_derivatives_are_named() -> None:
    with pytest.raises(ShapeError, match=r"matmul: the batch dimensions of shapes \(2, 3, 4\) and \(5, 4, 2\) do not "
                                         r"broadcast \(\(2,\) and \(5,\)\)"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))
    v = Value(0.0)
    with pytest.raises(ValueError, match=r"backward of sqrt \(recorded, create_graph=True\): div: division by zero"):
        v.sqrt().backward(create_graph=True)


def test_graphs_pickle_with_their_ops_by_name() -> None:
    import pickle

    y = pickle.loads(pickle.dumps(Value(2.0) * 3))
    assert y.op is autograd.ops.MUL and y.data == 6.0
