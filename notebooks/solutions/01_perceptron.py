"""Solutions to notebook 01 (the perceptron)."""

import numpy as np


def perceptron_output(x, w0, W):
    z = w0 + sum(xi * wi for xi, wi in zip(x, W))  # the weighted sum
    return 1 / (1 + np.exp(-z))  # g(z), the sigmoid


def decision_line(w0, w1, w2, x1):
    return -(w0 + w1 * x1) / w2  # w0 + w1 x1 + w2 x2 = 0, solved for x2
