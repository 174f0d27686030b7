"""Central finite differences for the engine's own tests (float64, one element at a time)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from autograd import Tensor, Value


def numeric_gradients(f: Callable[..., float], arrays: Sequence[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """d f / d arrays[k] by (f(x + eps) - f(x - eps)) / (2 eps), element by element."""
    arrays = [np.array(a, dtype=np.float64, copy=True) for a in arrays]
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            orig = a[idx]
            a[idx] = orig + eps
            up = f(*arrays)
            a[idx] = orig - eps
            down = f(*arrays)
            a[idx] = orig
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def check_tensor_gradients(
    build: Callable[..., Tensor], arrays: Sequence[np.ndarray], *, rtol: float = 1e-5, atol: float = 1e-6,
    seed: int = 0,
) -> None:
    """Compare backward's gradients of sum(build(*tensors) * R), R random, with finite differences."""
    out = build(*[Tensor(a) for a in arrays])
    weights = np.random.default_rng(seed).standard_normal(out.shape)

    def scalar(*arrs: np.ndarray) -> float:
        return float((build(*[Tensor(a) for a in arrs]).data * weights).sum())

    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    result = build(*leaves)
    np.testing.assert_allclose(result.data, out.data)
    (result * weights).sum().backward()
    for k, (leaf, num) in enumerate(zip(leaves, numeric_gradients(scalar, arrays))):
        assert leaf.grad is not None, f"input {k} received no gradient"
        assert leaf.grad.shape == leaf.shape, f"input {k}: grad shape {leaf.grad.shape} != {leaf.shape}"
        np.testing.assert_allclose(leaf.grad, num, rtol=rtol, atol=atol, err_msg=f"input {k}")


def check_value_gradients(
    build: Callable[..., Value], xs: Sequence[float], *, rtol: float = 1e-5, atol: float = 1e-7
) -> None:
    """Compare backward's gradients of a function of Values with finite differences."""
    leaves = [Value(x) for x in xs]
    build(*leaves).backward()

    def scalar(*arrs: np.ndarray) -> float:
        return build(*[Value(float(a)) for a in arrs]).data

    nums = numeric_gradients(scalar, [np.array(x, dtype=np.float64) for x in xs])
    for k, (leaf, num) in enumerate(zip(leaves, nums)):
        np.testing.assert_allclose(leaf.grad, float(num), rtol=rtol, atol=atol, err_msg=f"input {k}")
