"""Notebook 03's backward passes and numerical gradient.

Shapes follow the course's convention: one sample per row; a gradient has the shape of what
it differentiates. Nothing here modifies its arguments.
"""
from __future__ import annotations

import numpy as np


def sigmoid_backward(dA, A):
    """dZ = dA * A * (1 - A), with A = sigmoid(Z) the layer's output. Shapes (n, d)."""
    return dA * A * (1 - A)


def relu_backward(dA, Z):
    """dZ = dA where Z > 0, else 0 (the subgradient 0 at Z = 0). Shapes (n, d)."""
    return dA * (Z > 0)


def dense_backward(dZ, X, W):
    """For Z = X @ W + b: dX = dZ @ W.T (n, d_in), dW = X.T @ dZ (d_in, d_out), db = sum of dZ's rows (d_out,)."""
    return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)


def mlp_backward(activations, layers, dA_out):
    """All-sigmoid MLP: [X, A1, ..., AL], [(W1, b1), ...], dL/dAL -> [(dW1, db1), ..., (dWL, dbL)]."""
    grads = []
    dA = dA_out
    for l in range(len(layers), 0, -1):
        dZ = sigmoid_backward(dA, activations[l])
        dA, dW, db = dense_backward(dZ, activations[l - 1], layers[l - 1][0])
        grads.append((dW, db))
    return grads[::-1]


def numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of a scalar function f at x.

    f  maps an array of x's shape to a scalar.
    x  float array of any shape; left unchanged (each entry is restored after probing).
    Returns an array of x's shape: (f(x + h e_i) - f(x - h e_i)) / (2h) per entry i.
    """
    x = np.asarray(x, dtype=float)
    probe = x.copy()
    grad = np.zeros_like(probe)
    for i in np.ndindex(probe.shape):
        old = probe[i]
        probe[i] = old + h
        up = float(f(probe))
        probe[i] = old - h
        down = float(f(probe))
        probe[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad
