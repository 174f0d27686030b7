"""Solutions to notebook 05 (backpropagation, one step at a time)."""

import numpy as np


def _forward(x, w1, w2):
    h1 = np.tanh(w1 * x)
    y_hat = 1 / (1 + np.exp(-w2 * h1))
    return h1, y_hat


def dJ_dw2(x, y, w1, w2):
    h1, y_hat = _forward(x, w1, w2)
    purple = 2 * (y_hat - y)  # dJ/dy_hat
    red = y_hat * (1 - y_hat) * h1  # dy_hat/dw2 = sigmoid'(z2) * dz2/dw2
    return purple * red


def dJ_dw1(x, y, w1, w2):
    h1, y_hat = _forward(x, w1, w2)
    purple = 2 * (y_hat - y)  # dJ/dy_hat
    red = y_hat * (1 - y_hat) * w2 * (1 - h1**2)  # dy_hat/dz1: sigmoid', then dz2/dh1 = w2, then tanh'
    blue = x  # dz1/dw1
    return purple * red * blue
