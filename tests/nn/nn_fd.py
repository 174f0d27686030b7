"""Central finite differences in float64 for the nn tests (a local helper; autograd.gradcheck is separate)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from autograd import Tensor, Value


def numeric_gradient(f: Callable[..., float], arrays: Sequence[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every element of every array."""
    arrays = [np.array(a, dtype=np.float64, copy=True) for a in arrays]
    out = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            keep = a[idx]
            a[idx] = keep + eps
            up = f(*arrays)
            a[idx] = keep - eps
            down = f(*arrays)
            a[idx] = keep
            g[idx] = (up - down) / (2 * eps)
        out.append(g)
    return out


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
    for k, (leaf, num) in enumerate(zip(leaves, numeric_gradient(scalar, arrays))):
        got = np.zeros_like(num) if leaf.grad is None else leaf.grad
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"input {k}")


def check_values(build: Callable[[list[Value]], Value], xs: Sequence[float], rtol: float = 1e-5,
                 atol: float = 1e-7) -> None:
    """backward() through a function of a list of Values agrees with finite differences."""
    leaves = [Value(x) for x in xs]
    build(leaves).backward()

    def scalar(arr: np.ndarray) -> float:
        return build([Value(x) for x in arr.tolist()]).data

    (num,) = numeric_gradient(scalar, [np.array(xs, dtype=np.float64)])
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
