"""Randomized test cases shared by the hidden checks."""
from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator

import numpy as np


def rng_for(name: str, salt: int = 0) -> np.random.Generator:
    """A generator seeded from a check's name: every grading run sees the same cases."""
    return np.random.default_rng([zlib.crc32(name.encode()), salt])


def batch_dims(rng: np.random.Generator, count: int = 3, low: int = 2, high: int = 7) -> Iterator[tuple[int, int]]:
    """(n, d) pairs: n > 1 first, a batch of one last; d != n, so a transposed answer cannot pass.

    Larger batches come first because their failures are the most telling: with one
    sample, several different mistakes often give the same wrong answer.
    """
    for _ in range(count - 1):
        n = int(rng.integers(low + 1, high + 2))
        d = int(rng.integers(low, high))
        yield n, d if d != n else d + 1
    yield 1, int(rng.integers(low, high))


def layer_sizes(rng: np.random.Generator, depth: int) -> list[int]:
    """Unit counts for a network of `depth` layers: neighbours differ, so W is never square."""
    sizes = [int(rng.integers(2, 6))]
    for _ in range(depth):
        nxt = int(rng.integers(2, 6))
        sizes.append(nxt if nxt != sizes[-1] else nxt + 1)
    return sizes


BACKPROP_ORDER = ("dW2", "db2", "dW1", "db1")         # the order backprop computes them, and checks them


def in_backprop_order(reference: Callable) -> Callable:
    """reference, its (loss, grads) with grads in BACKPROP_ORDER: a check reports the first
    gradient backprop gets wrong (same signature, for compare's analysis)."""
    @functools.wraps(reference)
    def ordered(*args, **kwargs):
        loss, grads = reference(*args, **kwargs)
        return loss, {key: grads[key] for key in BACKPROP_ORDER}
    return ordered
