"""Central finite differences for the project's own tests (float64, one element at a time).

``check_tensor_gradients`` / ``check_value_gradients`` take a function of the inputs; ``check_tensor``,
``check_values`` and ``check_parameters`` are the forms the nn tests use (varargs arrays, a list of Values, the
parameters of a model). ``autograd.gradcheck`` is the library's own tool; this one is deliberately independent.
"""

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


def check_tensor(build: Callable[..., Tensor], *arrays: np.ndarray, rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """backward() through ``build`` agrees with finite differences for each input array.

    A non-scalar output is reduced with fixed random weights, so every output element is checked.
    """
    probe = build(*[Tensor(a) for a in arrays])
    weights = np.random.default_rng(0).standard_normal(probe.shape)

    def scalar(*arrs: np.ndarray) -> float:
        return float((build(*[Tensor(a) for a in arrs]).data * weights).sum())

    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    (build(*leaves) * weights).sum().backward()
    for k, (leaf, num) in enumerate(zip(leaves, numeric_gradients(scalar, arrays))):
        got = np.zeros_like(num) if leaf.grad is None else leaf.grad
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"input {k}")


def check_values(build: Callable[[list[Value]], Value], xs: Sequence[float], rtol: float = 1e-5,
                 atol: float = 1e-7) -> None:
    """backward() through a function of a list of Values agrees with finite differences."""
    leaves = [Value(x) for x in xs]
    build(leaves).backward()

    def scalar(arr: np.ndarray) -> float:
        return build([Value(x) for x in arr.tolist()]).data

    (num,) = numeric_gradients(scalar, [np.array(xs, dtype=np.float64)])
    np.testing.assert_allclose([v.grad for v in leaves], num, rtol=rtol, atol=atol)


def check_parameters(run: Callable[[], Tensor | Value], params: Sequence[Tensor | Value], eps: float = 1e-6,
                     rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """The gradients ``run()`` leaves on each parameter agree with finite differences of its ``data``.

    A non-scalar output is reduced with fixed random weights. Parameters are perturbed in place and restored.
    """
    probe = run()
    weights = np.random.default_rng(0).standard_normal(np.shape(probe.data))

    def scalar() -> float:
        return float(np.sum(np.asarray(run().data) * weights))

    for p in params:
        p.zero_grad()
    out = run()
    (out * weights).sum().backward() if isinstance(out, Tensor) else (out * float(weights)).backward()
    for k, p in enumerate(params):
        if isinstance(p, Value):
            keep = p.data
            p.data = keep + eps
            up = scalar()
            p.data = keep - eps
            down = scalar()
            p.data = keep
            np.testing.assert_allclose(p.grad, (up - down) / (2 * eps), rtol=rtol, atol=atol, err_msg=f"param {k}")
            continue
        num = np.zeros_like(p.data)
        for idx in np.ndindex(p.data.shape):
            keep = p.data[idx]
            p.data[idx] = keep + eps
            up = scalar()
            p.data[idx] = keep - eps
            down = scalar()
            p.data[idx] = keep
            num[idx] = (up - down) / (2 * eps)
        got = np.zeros_like(num) if p.grad is None else p.grad
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"param {k} ({p.label})")
