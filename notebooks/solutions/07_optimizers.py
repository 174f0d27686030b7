"""Solutions to notebook 07 (optimizers)."""

import numpy as np


def momentum_step(w, b, g, eta, mu):
    b = mu * b + g
    return w - eta * b, b


def rmsprop_step(w, v, g, eta, alpha, eps):
    v = alpha * v + (1 - alpha) * g**2
    return w - eta * g / (np.sqrt(v) + eps), v
