"""Deterministic, offline data sets for the notebooks. Every one is SYNTHETIC except the
handwritten digits (`digits`, real data shipped in course/assets; see DIGITS.md there).

Spam emails (01_forward_pass, the spam-filter example)
-------------------------------------------------
No real emails are shipped. An email is simulated the way a bag-of-words model
sees one: a length L (20 + Poisson(80) words) and word counts drawn from a
multinomial over a 300-word vocabulary, with one word distribution for spam and
one for normal mail ("ham"). Both share a Zipf-like background; spam multiplies
the weight of 40 spam words ("free", "winner", ...) by 2.5, ham multiplies 40
everyday-work words ("meeting", "report", ...) by 2. The features are the word
frequencies counts / L, so each row of X sums to 1 and has 300 entries.

Because the generating model is known, so is the best linear detector for it:
the naive-Bayes log-odds, log P(spam | email) / P(ham | email) =
log(prior odds) + L * sum_j x_j log(p_spam_j / p_ham_j). `spam_detector()` returns
those weights with L fixed at its mean (100); they stand in for a trained model.
"""
from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np

SPAM_WORDS = (
    "free winner prize cash urgent offer credit click guarantee limited bonus claim "
    "congratulations lottery viagra discount cheap deal million dollars investment "
    "unsubscribe risk-free act-now exclusive miracle password verify account bank "
    "transfer crypto bitcoin loan debt refund gift voucher selected casino"
).split()
HAM_WORDS = (
    "meeting report project schedule agenda team review draft deadline attached "
    "minutes lunch tomorrow thanks regards colleague notes slides budget quarter "
    "client proposal update call office weekend family dinner invoice contract "
    "feedback presentation conference calendar summary question answer thursday friday monday"
).split()
COMMON_WORDS = (
    "the a to and of in is for on you that this with be it are as your have at "
    "we will from not or by our can all if please more about new do so get has "
    "one when out what up there which just their time any would been me may also "
    "only some how could into them other than then now its over"
).split()
N_WORDS = 300


def spam_vocabulary() -> list[str]:
    """The 300 words behind the columns of the spam features, in column order."""
    named = list(dict.fromkeys(COMMON_WORDS + SPAM_WORDS + HAM_WORDS))
    fillers = [f"rare{i:03d}" for i in range(N_WORDS - len(named))]
    return named + fillers


def _word_distributions() -> tuple[np.ndarray, np.ndarray]:
    """(p_ham, p_spam): the two multinomials over the vocabulary, each summing to 1."""
    vocab = spam_vocabulary()
    rank = np.arange(1, N_WORDS + 1)
    background = 1.0 / rank ** 0.8            # Zipf-like: common words first
    spam_boost = np.array([2.5 if w in SPAM_WORDS else 1.0 for w in vocab])
    ham_boost = np.array([2.0 if w in HAM_WORDS else 1.0 for w in vocab])
    p_spam = background * spam_boost
    p_ham = background * ham_boost
    return p_ham / p_ham.sum(), p_spam / p_spam.sum()


SPAM_PRIOR = 0.4
MEAN_LENGTH = 100


def make_spam_emails(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n simulated emails as word frequencies.

    Returns X of shape (n, 300), float64, rows summing to 1, and y of shape (n,),
    int64, 1 for spam. The same (n, seed) always gives the same data.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    p_ham, p_spam = _word_distributions()
    y = (rng.random(n) < SPAM_PRIOR).astype(np.int64)
    lengths = 20 + rng.poisson(MEAN_LENGTH - 20, size=n)
    X = np.empty((n, N_WORDS))
    for i in range(n):
        counts = rng.multinomial(lengths[i], p_spam if y[i] else p_ham)
        X[i] = counts / lengths[i]
    return X, y


def spam_detector() -> tuple[np.ndarray, float]:
    """Weights (w of shape (300,), b) of the log-odds detector for `make_spam_emails`."""
    p_ham, p_spam = _word_distributions()
    w = MEAN_LENGTH * np.log(p_spam / p_ham)
    b = float(np.log(SPAM_PRIOR / (1 - SPAM_PRIOR)))
    return w, b


def make_blobs(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds in the plane: X (n, 2) float64, y (n,) int64 in {0, 1}.

    Class 1 is centred at (1, 1), class 0 at (-1, -1), both with standard deviation 0.8;
    for the neuron explorer's 2-D plane.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    centres = np.where(y[:, None] == 1, 1.0, -1.0)
    X = centres + 0.8 * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_line_with_outlier(n: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points near the line y = 1.5 x + 0.5 with small noise (sd 0.3), x spread over [0, 4].

    Returns x of shape (n,) and y of shape (n,), float64. The last point is the one the
    outlier explorer moves; it starts on the line.
    """
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 4.0, size=n))
    x[-1] = 3.6
    y = 1.5 * x + 0.5 + 0.3 * rng.standard_normal(n)
    y[-1] = 1.5 * x[-1] + 0.5
    return x, y


def make_stock_days(n_days: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic share price, as the stock-price model needs: today's data -> tomorrow's close.

    The close follows a geometric random walk (daily log-return N(0.0005, 0.015²)) with
    momentum (20% of yesterday's return carries over); the open is yesterday's close moved
    by overnight noise; the volume grows with the size of the day's move. Features of day t
    are (open, close, volume), standardised (zero mean, unit variance over the series);
    the target is day t+1's close, standardised the same way as the close.

    Returns X of shape (n_days, 3) and y of shape (n_days, 1), float64. No real market data.
    """
    rng = np.random.default_rng(seed)
    steps = n_days + 1
    returns = np.empty(steps)
    shocks = rng.normal(0.0005, 0.015, size=steps)
    returns[0] = shocks[0]
    for t in range(1, steps):
        returns[t] = 0.2 * returns[t - 1] + shocks[t]
    close = 100.0 * np.exp(np.cumsum(returns))
    opening = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.004, size=steps))
    volume = 1e6 * (1 + 40 * np.abs(returns)) * np.exp(rng.normal(0, 0.1, size=steps))
    mean_c, sd_c = close.mean(), close.std()
    X = np.column_stack([(opening - mean_c) / sd_c, (close - mean_c) / sd_c,
                         (volume - volume.mean()) / volume.std()])[:-1]
    y = ((close[1:] - mean_c) / sd_c)[:, None]
    return X, y


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: X of shape (4, 2) and labels y of shape (4, 1), float64 (the classic XOR program's)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, y


def make_xor_cloud(n: int = 200, seed: int = 0, noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """n noisy copies of the XOR points: each a random corner plus N(0, noise²) jitter.

    Returns X of shape (n, 2) and y of shape (n, 1), float64, with the corner's XOR label.
    """
    rng = np.random.default_rng(seed)
    corners, labels = xor()
    pick = rng.integers(0, 4, size=n)
    return corners[pick] + noise * rng.standard_normal((n, 2)), labels[pick].copy()


DIGITS_FILE = Path(__file__).parent / "assets" / "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


@functools.lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    with gzip.open(DIGITS_FILE, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    table.setflags(write=False)
    return table


def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten 8x8 digits of UCI's "Optical Recognition of Handwritten Digits"
    (Alpaydin & Kaynak, 1998, CC BY 4.0; provenance in course/assets/DIGITS.md).

    Returns X of shape (1797, 64), float64 in [0, 1] (each pixel's count 0-16 divided by 16,
    rows of the 8x8 image one after the other: X[i].reshape(8, 8) is the picture), and y of
    shape (1797,), int64 labels 0-9. Read from the shipped file once per process (offline);
    every call returns fresh arrays.
    """
    table = _digits_table()
    return table[:, :64] / 16.0, table[:, 64].copy()
