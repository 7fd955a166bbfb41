"""course.data: the synthetic spam emails are what the notebook says they are."""
import numpy as np
import pytest

from course import data


def test_spam_emails_are_word_frequencies_of_300_words_and_reproducible():
    X, y = data.make_spam_emails(200, seed=3)
    assert X.shape == (200, 300) and X.dtype == np.float64
    assert y.shape == (200,) and set(np.unique(y)) <= {0, 1}
    assert np.allclose(X.sum(axis=1), 1.0) and (X >= 0).all()
    X2, y2 = data.make_spam_emails(200, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = data.make_spam_emails(200, seed=4)
    assert not np.array_equal(X, X3)


def test_vocabulary_has_300_distinct_words_with_the_named_ones():
    vocab = data.spam_vocabulary()
    assert len(vocab) == 300 == len(set(vocab))
    assert {"free", "winner", "meeting", "report"} <= set(vocab)
    assert len(data.SPAM_WORDS) == len(data.HAM_WORDS) == 40


def test_the_log_odds_detector_is_good_but_not_perfect():
    X, y = data.make_spam_emails(2000, seed=11)
    w, b = data.spam_detector()
    accuracy = np.mean(((X @ w + b) > 0) == y)
    assert 0.9 < accuracy < 1.0
    vocab = data.spam_vocabulary()
    assert w[vocab.index("free")] > 0 > w[vocab.index("meeting")]


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        data.make_spam_emails(0)


def test_blobs_are_two_labelled_clouds():
    X, y = data.make_blobs(40, seed=0)
    assert X.shape == (40, 2) and y.sum() == 20
    assert X[y == 1].mean(axis=0).min() > 0 > X[y == 0].mean(axis=0).max()


def test_digits_are_the_uci_8x8_digits_as_documented():
    X, y = data.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype.kind == "i"
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(X * 16, np.round(X * 16))             # pixel counts 0..16, divided by 16
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    X[0, 0] = 5.0                                                # callers get their own arrays
    assert data.digits()[0][0, 0] == 0.0


def test_the_shipped_digits_file_is_the_recorded_one():
    import hashlib
    from pathlib import Path
    assert hashlib.sha256(data.DIGITS_FILE.read_bytes()).hexdigest() == data.DIGITS_SHA256
    note = (Path(data.DIGITS_FILE).parent / "DIGITS.md").read_text()
    assert data.DIGITS_SHA256 in note and "10.24432/C50P49" in note and "CC BY 4.0" in note


def test_the_digits_ship_with_the_package():
    tomllib = pytest.importorskip("tomllib")     # Python 3.11+
    from fnmatch import fnmatch
    from pathlib import Path
    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["course"]
    for name in ("digits.csv.gz", "DIGITS.md"):
        assert any(fnmatch(f"assets/{name}", p) for p in patterns), name


def test_the_extraction_tool_checks_what_it_copies():
    from tools.extract_digits import validate
    assert validate(data.DIGITS_FILE.read_bytes()).shape == (1797, 65)
    import gzip
    with pytest.raises(ValueError, match="1797 rows"):
        validate(gzip.compress(b"1,2,3\n"))
