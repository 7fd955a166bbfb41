"""Synthetic chest-X-ray-like images for notebook 05. ENTIRELY SYNTHETIC: no patient
data, no real radiographs; they only borrow the layout of a frontal chest film.

An image is 16 x 16 pixels in [0, 1], flattened to 256 features:

* anatomy: a bright torso ellipse on a dark background, two darker lung fields, a bright
  spine down the middle, faint horizontal rib stripes over the lungs; lung size, position
  and overall brightness vary a little from image to image;
* findings painted on top: **pneumonia**, one or two soft cloudy bright patches inside a
  lung; **effusion**, fluid brightening the bottom of one lung; **nodule**, a small sharp
  bright spot; **normal**, none of them;
* acquisition: Gaussian noise.

Two sources, each a function of a seed:

* the **base** data set ("a large public archive"): four classes (normal, pneumonia,
  effusion, nodule), scanner A;
* the **hospital** data set ("your hospital's data"): pneumonia or not, from scanner B,
  which differs (the domain shift): lower contrast with a gamma curve, a brighter
  background, more noise, a slight blur and the patient one pixel lower in the frame.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

SIZE = 16
CLASSES = ("normal", "pneumonia", "effusion", "nodule")
# the pretrained classifier notebook 05 starts from (made by tools/pretrain_base.py; its record is
# the .json beside it), loaded by the `load_base()` of the layers module beside notebook 05
BASE_FILE = Path(__file__).parent / "assets" / "xray_base.npz"
_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(float)


def _blob(cy, cx, sigma):
    return np.exp(-((_YY - cy) ** 2 + (_XX - cx) ** 2) / (2 * sigma ** 2))


def _ellipse(cy, cx, ry, rx, softness=0.8):
    d = np.sqrt(((_YY - cy) / ry) ** 2 + ((_XX - cx) / rx) ** 2)
    return 1 / (1 + np.exp((d - 1) / (softness / max(ry, rx))))


def _chest(rng, shift_down=0.0):
    """(image, lung centres, lung radii) of a normal chest."""
    cy = 8.0 + rng.normal(0, 0.8) + shift_down
    spread = rng.normal(0, 0.3)
    ry, rx = 4.6 + rng.normal(0, 0.3), 2.6 + rng.normal(0, 0.2)
    lungs = [(cy, 4.6 - spread), (cy, 11.4 + spread)]
    img = 0.08 + 0.5 * _ellipse(cy + 0.5, 8.0, 7.5, 7.2)
    for ly, lx in lungs:
        img -= 0.38 * _ellipse(ly, lx, ry, rx)
    img += 0.25 * np.exp(-((_XX - 8.0) ** 2) / 1.2) * _ellipse(cy, 8.0, 7.0, 2.0)
    ribs = 0.04 * np.sin(_YY * 1.9 + rng.uniform(0, 2 * np.pi))
    img += ribs * sum(_ellipse(ly, lx, ry, rx) for ly, lx in lungs)
    return img * rng.uniform(0.75, 1.25), lungs, (ry, rx)


def _paint(img, finding, rng, lungs, radii):
    ry, rx = radii
    ly, lx = lungs[rng.integers(2)]
    if finding == "pneumonia":
        for _ in range(rng.integers(1, 3)):
            cy, cx = ly + rng.uniform(-0.5, 0.5) * ry, lx + rng.uniform(-0.5, 0.5) * rx
            cloud = _blob(cy, cx, rng.uniform(1.4, 2.4)) * (1 + 0.4 * rng.standard_normal((SIZE, SIZE)))
            img = img + rng.uniform(0.15, 0.3) * np.clip(cloud, 0, None)
    elif finding == "effusion":
        level = ly + rng.uniform(0.2, 0.5) * ry
        fluid = 1 / (1 + np.exp(-(_YY - level) * 2.5)) * _ellipse(ly, lx, ry * 1.1, rx * 1.1)
        img = img + rng.uniform(0.22, 0.32) * fluid
    elif finding == "nodule":
        cy, cx = ly + rng.uniform(-0.6, 0.6) * ry, lx + rng.uniform(-0.5, 0.5) * rx
        img = img + rng.uniform(0.3, 0.45) * _blob(cy, cx, 0.6)
    return img


def _render(findings, rng, scanner):
    images = np.empty((len(findings), SIZE * SIZE))
    for i, finding in enumerate(findings):
        img, lungs, radii = _chest(rng, shift_down=1.0 if scanner == "B" else 0.0)
        img = _paint(img, finding, rng, lungs, radii)
        if scanner == "B":
            img = 0.12 + 0.8 * np.clip(img, 0, 1) ** 0.7                      # flatter contrast, brighter
            img = (img + 0.5 * np.roll(img, 1, 0) + 0.5 * np.roll(img, 1, 1)) / 2   # a little blur
            img = img + rng.normal(0, 0.06, img.shape)
        else:
            img = img + rng.normal(0, 0.03, img.shape)
        images[i] = np.clip(img, 0, 1).ravel()
    return images


def base_dataset(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n scanner-A images: X (n, 256) in [0, 1], labels y (n,) int in 0..3 (CLASSES order), balanced."""
    rng = np.random.default_rng([seed, 0xA])
    y = rng.permutation(np.arange(n) % len(CLASSES))
    return _render([CLASSES[k] for k in y], rng, "A"), y.astype(np.int64)


def hospital_dataset(n: int, seed: int = 0, pneumonia_share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """n scanner-B images: X (n, 256), y (n, 1) float 1.0 = pneumonia. The other cases are
    normal, nodule or effusion in equal shares: other findings that also brighten the lungs."""
    rng = np.random.default_rng([seed, 0xB])
    sick = rng.random(n) < pneumonia_share
    others = rng.choice(["normal", "nodule", "effusion"], size=n)
    findings = np.where(sick, "pneumonia", others)
    return _render(list(findings), rng, "B"), sick.astype(float)[:, None]


@lru_cache(maxsize=4)
def _fixed(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = hospital_dataset(n, seed)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def hospital_splits(n_train: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The hospital's labelled images: `n_train` to learn from (drawn with `seed`), and fixed
    validation (200) and test (600) sets that are the same for every seed (read-only)."""
    return {"train": hospital_dataset(n_train, seed=1000 + seed), "val": _fixed(200, 1), "test": _fixed(600, 2)}
