"""Pretrain the base network notebook 05 fine-tunes, and write the file the course ships.

    python tools/pretrain_base.py            # writes course/assets/xray_base.npz and .json
    python tools/pretrain_base.py --check    # retrains in memory; compares with the shipped file

Data: course.xray.base_dataset (synthetic scanner-A chest images, four classes), 6 000
training images from seed 0 and 2 000 test images from seed 1. Model: Dense(256, 64) -
ReLU - Dense(64, 32) - ReLU, with a temporary Dense(32, 4) softmax head that is thrown
away by notebook 05 (course.nn.load_base returns the first four layers). Training:
mini-batches of 64, SGD with momentum 0.9, learning rate 0.05, 25 epochs, all randomness
from np.random.default_rng(SEED). The file holds the whole pretrained classifier (base and
4-class head), so its recorded accuracy can be re-measured from it; the JSON beside it
records the seed, the command, the data and that accuracy.

Re-running reproduces the shipped weights up to floating-point summation order (the
--check mode allows 1e-6 in the weights and 0.5 percentage points in the accuracy).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course import xray  # noqa: E402
from course.nn import Dense, ReLU, Sequential, load_model, softmax  # noqa: E402

__all__ = ["pretrain", "test_accuracy"]

SEED = 0
N_TRAIN, N_TEST = 6000, 2000
EPOCHS, BATCH, LR, MOMENTUM = 25, 64, 0.05, 0.9
ASSETS = ROOT / "course" / "assets"


def test_accuracy(model: Sequential) -> float:
    """4-class accuracy of the pretrained classifier on the base test set."""
    X_test, y_test = xray.base_dataset(N_TEST, seed=1)
    return float(np.mean(np.argmax(model.forward(X_test), axis=1) == y_test))


def pretrain() -> tuple[Sequential, float]:
    """The trained classifier (base + 4-class head) and its test accuracy."""
    rng = np.random.default_rng(SEED)
    X, y = xray.base_dataset(N_TRAIN, seed=0)
    Y = np.eye(len(xray.CLASSES))[y]
    base = Sequential([Dense(256, 64, rng), ReLU(), Dense(64, 32, rng), ReLU()])
    head = Sequential([Dense(32, len(xray.CLASSES), rng)])
    model = Sequential(base.layers + head.layers)
    velocity = {key: 0.0 for key, _, _ in model.parameters()}
    for _ in range(EPOCHS):
        order = rng.permutation(N_TRAIN)
        for start in range(0, N_TRAIN, BATCH):
            rows = order[start:start + BATCH]
            P = softmax(model.forward(X[rows]))
            model.backward((P - Y[rows]) / len(rows))          # softmax + cross-entropy
            for key, layer, name in model.parameters():
                velocity[key] = MOMENTUM * velocity[key] - LR * layer.grads[name]
                layer.params[name] = layer.params[name] + velocity[key]
    return model, test_accuracy(model)


def record(accuracy: float) -> dict:
    return {
        "file": "xray_base.npz",
        "command": "python tools/pretrain_base.py",
        "seed": SEED,
        "data": f"course.xray.base_dataset: {N_TRAIN} training images (seed 0), {N_TEST} test images (seed 1); "
                "synthetic 16x16 chest-X-ray-like images, classes " + ", ".join(xray.CLASSES),
        "architecture": "base Dense(256, 64) - ReLU - Dense(64, 32) - ReLU, then the pretraining head Dense(32, 4) "
                        "(softmax in the loss); notebook 05 uses the base only",
        "training": f"{EPOCHS} epochs, mini-batches of {BATCH}, SGD momentum {MOMENTUM}, learning rate {LR}",
        "test_accuracy_4_classes": round(accuracy, 4),
        "tolerance": "weights within 1e-6, accuracy within 0.005 when re-run",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="retrain and compare with the shipped file")
    args = parser.parse_args(argv)
    model, accuracy = pretrain()
    if args.check:
        shipped = load_model(ASSETS / "xray_base.npz")
        recorded = json.loads((ASSETS / "xray_base.json").read_text())["test_accuracy_4_classes"]
        worst = max(float(np.max(np.abs(a.params[n] - b.params[n])))
                    for a, b in zip(model.layers, shipped.layers) for n in a.params)
        ok = worst < 1e-6 and abs(accuracy - recorded) < 0.005
        print(f"retrained accuracy {accuracy:.4f} (recorded {recorded:.4f}); largest weight difference {worst:.1e}: "
              f"{'reproduced' if ok else 'NOT reproduced'}")
        return 0 if ok else 1
    ASSETS.mkdir(parents=True, exist_ok=True)
    model.save(ASSETS / "xray_base.npz")
    (ASSETS / "xray_base.json").write_text(json.dumps(record(accuracy), indent=2) + "\n")
    print(f"wrote {ASSETS / 'xray_base.npz'}: 4-class test accuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
