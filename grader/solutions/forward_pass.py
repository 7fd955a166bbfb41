"""Notebook 01's activations, dense layer and forward pass.

Shapes follow the course's convention: one sample per row, X (n, d_in), W (d_in, d_out),
b (d_out,). Nothing here modifies its arguments.
"""
from __future__ import annotations

import numpy as np


def sigmoid(z):
    """1 / (1 + exp(-z)) element-wise, any shape, without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))                     # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(z):
    """max(z, 0) element-wise, any shape."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def softmax(z):
    """Row-wise softmax of z, shape (n, k) -> (n, k); each row sums to 1."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def dense_forward(X, W, b):
    """X (n, d_in), W (d_in, d_out), b (d_out,) -> Z = X @ W + b, shape (n, d_out)."""
    return X @ W + b


def mlp_forward(X, layers, activation=sigmoid):
    """[X, A1, ..., AL] with Al = activation(A(l-1) @ Wl + bl) for every layer, the last included.

    layers: [(W1, b1), ..., (WL, bL)], Wl of shape (d_(l-1), d_l), bl of shape (d_l,).
    """
    activations = [X]
    for W, b in layers:
        activations.append(activation(dense_forward(activations[-1], W, b)))
    return activations
