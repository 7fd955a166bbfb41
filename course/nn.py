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


# --- 05: layers, a sequential model, freezing, saving ------------------------------------------
# Each layer keeps what its backward pass needs from its forward pass. These classes are
# the functions above, packaged: Dense.backward is dense_backward, Sigmoid.backward is
# sigmoid_backward, ReLU.backward is relu_backward.

class Dense:
    """Z = X @ W + b. params {"W": (d_in, d_out), "b": (d_out,)}; grads alike after backward.

    trainable=False freezes the layer: it still passes gradients back, but an optimiser
    that respects `Sequential.parameters()` never changes it.
    """

    def __init__(self, d_in: int, d_out: int, rng: np.random.Generator | None = None, scale: float | None = None):
        rng = rng if rng is not None else np.random.default_rng(0)
        scale = np.sqrt(2.0 / d_in) if scale is None else scale
        self.params = {"W": rng.normal(0.0, scale, size=(d_in, d_out)), "b": np.zeros(d_out)}
        self.grads = {"W": np.zeros((d_in, d_out)), "b": np.zeros(d_out)}
        self.trainable = True
        self._X: np.ndarray | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        self._X = X
        return dense_forward(X, self.params["W"], self.params["b"])

    def backward(self, dZ: np.ndarray) -> np.ndarray:
        dX, self.grads["W"], self.grads["b"] = dense_backward(dZ, self._X, self.params["W"])
        return dX

    def spec(self) -> dict:
        return {"type": "Dense", "d_in": int(self.params["W"].shape[0]), "d_out": int(self.params["W"].shape[1])}


class Sigmoid:
    """A = sigmoid(Z); backward uses the stored output. No parameters."""

    params: dict = {}
    trainable = False

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self._activation = sigmoid(Z)
        return self._activation

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return sigmoid_backward(dA, self._activation)

    def spec(self) -> dict:
        return {"type": "Sigmoid"}


class ReLU:
    """A = max(Z, 0); backward uses the stored input. No parameters."""

    params: dict = {}
    trainable = False

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self._Z = Z
        return relu(Z)

    def backward(self, dA: np.ndarray) -> np.ndarray:
        return relu_backward(dA, self._Z)

    def spec(self) -> dict:
        return {"type": "ReLU"}


class Sequential:
    """Layers applied in order. forward(X) -> output; backward(d_output) fills every Dense
    layer's grads and returns d_X; parameters() lists what an optimiser may change.

        model = Sequential([Dense(256, 64, rng), ReLU(), Dense(64, 1, rng), Sigmoid()])
    """

    def __init__(self, layers: list):
        self.layers = list(layers)

    def forward(self, X: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, d_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            d_out = layer.backward(d_out)
        return d_out

    def parameters(self) -> list[tuple[str, object, str]]:
        """(key, layer, name) for every parameter of every TRAINABLE layer, e.g. ("2.W", layer, "W").

        An optimiser updates layer.params[name] from layer.grads[name] and keeps its own
        state (Adam's m and v) under `key`.
        """
        return [(f"{i}.{name}", layer, name) for i, layer in enumerate(self.layers)
                if layer.trainable for name in layer.params]

    def freeze(self) -> "Sequential":
        """Mark every layer not trainable (returns self)."""
        for layer in self.layers:
            if layer.params:
                layer.trainable = False
        return self

    def unfreeze(self) -> "Sequential":
        for layer in self.layers:
            if layer.params:
                layer.trainable = True
        return self

    def copy(self) -> "Sequential":
        """An independent copy: same architecture, same (copied) parameters and trainable flags."""
        clone = from_specs([layer.spec() for layer in self.layers])
        for mine, theirs in zip(self.layers, clone.layers):
            for name, value in mine.params.items():
                theirs.params[name] = value.copy()
            theirs.trainable = mine.trainable
        return clone

    def save(self, path) -> None:
        """Architecture and parameters in one .npz file (no pickle)."""
        import json
        arrays = {f"{i}.{name}": value for i, layer in enumerate(self.layers) for name, value in layer.params.items()}
        np.savez(path, __architecture__=np.array(json.dumps([layer.spec() for layer in self.layers])), **arrays)


def from_specs(specs: list[dict]) -> Sequential:
    kinds = {"Dense": lambda s: Dense(s["d_in"], s["d_out"]), "ReLU": lambda s: ReLU(), "Sigmoid": lambda s: Sigmoid()}
    try:
        return Sequential([kinds[s["type"]](s) for s in specs])
    except KeyError as exc:
        raise ValueError(f"unknown layer in the architecture: {exc}") from None


def load_model(path) -> Sequential:
    """A Sequential saved by Sequential.save. Raises ValueError on a file that is not one."""
    import json
    try:
        with np.load(path, allow_pickle=False) as f:
            model = from_specs(json.loads(str(f["__architecture__"])))
            for i, layer in enumerate(model.layers):
                for name in layer.params:
                    value = f[f"{i}.{name}"]
                    if value.shape != layer.params[name].shape:
                        raise ValueError(f"{i}.{name} has shape {value.shape}, the architecture says "
                                         f"{layer.params[name].shape}")
                    layer.params[name] = value.astype(float)
    except (KeyError, OSError, EOFError, ValueError) as exc:   # ValueError covers bad JSON and bad bytes
        raise ValueError(f"{path} is not a model saved by Sequential.save: {exc}") from None
    return model


BASE_FILE = "assets/xray_base.npz"   # the pretrained classifier; its record is assets/xray_base.json


def load_base() -> Sequential:
    """The pretrained base shipped with the course: the first four layers (Dense(256, 64), ReLU,
    Dense(64, 32), ReLU) of the classifier that tools/pretrain_base.py trained."""
    from pathlib import Path
    return Sequential(load_model(Path(__file__).parent / BASE_FILE).layers[:4])
