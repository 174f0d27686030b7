"""Weight initialisers: ``init(shape, rng=...) -> numpy array``.

Shapes follow the lecture and Keras: a weight matrix is (in_features, out_features), so fan_in = shape[-2] and
fan_out = shape[-1] (times the receptive field, the product of the leading axes, for larger shapes); a vector has
fan_in = fan_out = its length. Fans are taken as at least 1.

``Dense`` uses :func:`glorot_uniform` weights and :func:`zeros` bias by default, as Keras does (PyTorch's
``nn.Linear`` draws both from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) instead: ``uniform(shape, -b, b)``).
The "normal" Glorot, He and LeCun schemes follow **Keras**: a normal truncated at two standard deviations whose
scale is divided by 0.8796... (the std of a unit normal truncated to [-2, 2]) so the final std is exactly
sqrt(2 / (fan_in + fan_out)) (Glorot), sqrt(2 / fan_in) (He) or sqrt(1 / fan_in) (LeCun). PyTorch's
``xavier_normal_`` / ``kaiming_normal_`` are not truncated: pass ``truncated=False`` for them.

Every initialiser takes ``rng``: a ``numpy.random.Generator`` or an integer seed (None draws a fresh, unseeded
generator; pass a seed to make results repeatable).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._util import RNG, as_generator

__all__ = [
    "fans", "normal", "uniform", "truncated_normal", "zeros", "ones", "constant",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "INITIALIZERS", "get_initializer",
]

Shape = tuple[int, ...]

#: the standard deviation of a standard normal truncated to [-2, 2]
TRUNCATED_STD = 0.87962566103423978


def _shape(shape: Any) -> Shape:
    return (int(shape),) if np.isscalar(shape) else tuple(int(n) for n in shape)


def fans(shape: Any) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` in the (in, out) layout, each at least 1 (Keras)."""
    shape = _shape(shape)
    if len(shape) == 0:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    else:
        receptive = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    return max(1, fan_in), max(1, fan_out)


def zeros(shape: Any, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """All zeros (the default bias)."""
    return np.zeros(_shape(shape), dtype=dtype)


def ones(shape: Any, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """All ones."""
    return np.ones(_shape(shape), dtype=dtype)


def constant(shape: Any, value: float = 0.0, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """Every element equal to ``value``."""
    return np.full(_shape(shape), value, dtype=dtype)


def normal(shape: Any, std: float = 1.0, mean: float = 0.0, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """N(mean, std^2): the lecture's "initialise the weights from N(0, sigma^2)"."""
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    return (mean + std * as_generator(rng).standard_normal(_shape(shape))).astype(dtype)


def uniform(shape: Any, a: float = -1.0, b: float = 1.0, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """U(a, b); the default U(-1, 1) is micrograd's ``Neuron`` initialisation."""
    if b < a:
        raise ValueError(f"uniform: need a <= b, got a={a}, b={b}")
    return as_generator(rng).uniform(a, b, _shape(shape)).astype(dtype)


def truncated_normal(shape: Any, std: float = 1.0, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """N(0, s^2) restricted to [-2 s, 2 s] with s = std / 0.8796..., so the result has standard deviation ``std``.

    Drawn by rejection: out-of-range samples (about 4.6%) are drawn again.
    """
    shape = _shape(shape)
    gen = as_generator(rng)
    z = gen.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return (z * (std / TRUNCATED_STD)).astype(dtype)


def _scaled(shape: Any, variance: float, distribution: str, rng: RNG, dtype: Any, truncated: bool = True):
    if distribution == "uniform":
        bound = math.sqrt(3.0 * variance)  # U(-b, b) has variance b^2 / 3
        return uniform(shape, -bound, bound, rng=rng, dtype=dtype)
    std = math.sqrt(variance)
    if truncated:
        return truncated_normal(shape, std, rng=rng, dtype=dtype)
    return normal(shape, std, rng=rng, dtype=dtype)


def glorot_uniform(shape: Any, rng: RNG = None, gain: float = 1.0, dtype: Any = np.float64) -> np.ndarray:
    """Glorot/Xavier uniform: U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)); ``Dense``'s default."""
    fan_in, fan_out = fans(shape)
    return _scaled(shape, gain**2 * 2.0 / (fan_in + fan_out), "uniform", rng, dtype)


def glorot_normal(
    shape: Any, rng: RNG = None, gain: float = 1.0, truncated: bool = True, dtype: Any = np.float64
) -> np.ndarray:
    """Glorot/Xavier normal with std gain sqrt(2 / (fan_in + fan_out)), truncated at 2 sigma' as Keras does."""
    fan_in, fan_out = fans(shape)
    return _scaled(shape, gain**2 * 2.0 / (fan_in + fan_out), "normal", rng, dtype, truncated)


def he_uniform(shape: Any, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """He/Kaiming uniform for ReLU layers: U(-b, b), b = sqrt(6 / fan_in)."""
    fan_in, _ = fans(shape)
    return _scaled(shape, 2.0 / fan_in, "uniform", rng, dtype)


def he_normal(shape: Any, rng: RNG = None, truncated: bool = True, dtype: Any = np.float64) -> np.ndarray:
    """He/Kaiming normal with std sqrt(2 / fan_in), truncated at 2 sigma' as Keras does."""
    fan_in, _ = fans(shape)
    return _scaled(shape, 2.0 / fan_in, "normal", rng, dtype, truncated)


def lecun_uniform(shape: Any, rng: RNG = None, dtype: Any = np.float64) -> np.ndarray:
    """LeCun uniform: U(-b, b), b = sqrt(3 / fan_in)."""
    fan_in, _ = fans(shape)
    return _scaled(shape, 1.0 / fan_in, "uniform", rng, dtype)


def lecun_normal(shape: Any, rng: RNG = None, truncated: bool = True, dtype: Any = np.float64) -> np.ndarray:
    """LeCun normal with std sqrt(1 / fan_in), truncated at 2 sigma' as Keras does."""
    fan_in, _ = fans(shape)
    return _scaled(shape, 1.0 / fan_in, "normal", rng, dtype, truncated)


Initializer = Callable[..., np.ndarray]

#: initialiser name -> function (each called as ``fn(shape, rng=rng, dtype=dtype)``)
INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "normal": normal,
    "uniform": uniform,
    "truncated_normal": truncated_normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "kaiming_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """The initialiser for a name in :data:`INITIALIZERS`, or ``init`` itself if it is callable."""
    if callable(init):
        return init
    if isinstance(init, str) and init.lower() in INITIALIZERS:
        return INITIALIZERS[init.lower()]
    raise ValueError(f"unknown initializer {init!r}; valid names are: {', '.join(sorted(INITIALIZERS))}")
