"""Layers and a sequential model for notebook 05, built from notebook 01's forward functions
and notebook 03's backward passes: `Dense` (forward is dense_forward, backward dense_backward),
`ReLU`, `Sigmoid` (each activation with its backward pass) and `Sequential`, which runs layers
in order, freezes them, copies, saves and loads a model; `load_base()` is the pretrained base.

Each layer keeps what its backward pass needs from its forward pass. Shapes follow the
course's convention: one sample per row, W (d_in, d_out), b (d_out,).
"""
from __future__ import annotations

import numpy as np

from .backprop_by_hand import dense_backward, relu_backward, sigmoid_backward
from .forward_pass import dense_forward, relu, sigmoid


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


def load_base() -> Sequential:
    """The pretrained base shipped with the course: the first four layers (Dense(256, 64), ReLU,
    Dense(64, 32), ReLU) of the classifier that tools/pretrain_base.py trained."""
    from course import xray
    return Sequential(load_model(xray.BASE_FILE).layers[:4])
