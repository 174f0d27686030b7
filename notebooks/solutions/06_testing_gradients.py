"""Solutions to notebook 06 (testing gradients)."""

import numpy as np


def central_difference(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(J, w, h):
    grad = np.zeros_like(w, dtype=float)
    for k in np.ndindex(w.shape):
        saved = w[k]
        w[k] = saved + h
        up = J(w)
        w[k] = saved - h
        down = J(w)
        w[k] = saved  # put it back
        grad[k] = (up - down) / (2 * h)
    return grad
