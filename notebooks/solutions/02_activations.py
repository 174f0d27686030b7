"""Solutions to notebook 02 (activation functions)."""

import numpy as np


def sigmoid_prime(z):
    g = 1 / (1 + np.exp(-z))
    return g * (1 - g)


def tanh_prime(z):
    return 1 - np.tanh(z) ** 2


def relu_prime(z):
    return np.where(z > 0, 1.0, 0.0)  # 0 at the kink z = 0
