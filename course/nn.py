"""Network building blocks the later notebooks stand on: the reference versions of what
the earlier notebooks have you write (01: activations and the dense layer).

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


# --- 03: backward ----------------------------------------------------------------------

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


# --- 02: the loss the classifiers train on ---------------------------------------------------

EPS = 1e-12  # probabilities are clipped to [EPS, 1 - EPS] before a log


def binary_cross_entropy(y_true, p, eps=EPS):
    """-mean(y log p + (1 - y) log(1 - p)) over all elements, p clipped to [eps, 1 - eps]."""
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))


def binary_cross_entropy_grad(y_true, p, eps=EPS):
    """d bce / d p = (p - y) / (p (1 - p)) / N with p clipped as in the loss; p's shape."""
    p = np.clip(p, eps, 1 - eps)
    return (p - y_true) / (p * (1 - p)) / np.size(p)
