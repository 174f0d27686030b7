"""Solutions to notebook 03 (from perceptron to neural network)."""

import numpy as np


def dense_z(x, W, w0):
    m, d = W.shape
    z = np.array(w0, dtype=float)
    for i in range(d):  # the slide's formula, one output at a time ...
        for j in range(m):
            z[i] += x[j] * W[j, i]
    return z  # ... which is x @ W + w0


def hidden_layer(x, W1, b1, W2, b2):
    def g(v):
        return 1 / (1 + np.exp(-v))

    z = x @ W1 + b1  # z_j = w0_j^(1) + sum_i x_i w_{i,j}^(1)
    return g(g(z) @ W2 + b2)  # y_hat_i = g(w0_i^(2) + sum_j g(z_j) w_{j,i}^(2))
