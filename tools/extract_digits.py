"""Copy the UCI handwritten digits (8x8) into the course, once, from a scikit-learn wheel.

    python tools/extract_digits.py path/to/scikit_learn-*.whl     # writes course/assets/digits.csv.gz
    python tools/extract_digits.py path/to/wheel --check           # the shipped file is the wheel's copy

The course ships the data and never imports scikit-learn; this script is how the shipped
file was made, and how anyone can check it. It takes `sklearn/datasets/data/digits.csv.gz`
out of the wheel (a zip archive: no scikit-learn install is needed), checks its content
(1,797 rows of 64 pixel counts 0-16 and a label 0-9), copies it byte for byte to
course/assets/digits.csv.gz and prints its sha256, which course/assets/DIGITS.md and
course.data.DIGITS_SHA256 record.

Source: the test part ("optdigits.tes", 1,797 images from 13 writers) of E. Alpaydin and
C. Kaynak's "Optical Recognition of Handwritten Digits" (UCI Machine Learning Repository,
1998, DOI 10.24432/C50P49), licensed CC BY 4.0; scikit-learn's copy is that file as CSV.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "course" / "assets" / "digits.csv.gz"
MEMBER = "sklearn/datasets/data/digits.csv.gz"


def read_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(MEMBER)


def validate(blob: bytes) -> np.ndarray:
    """The table inside the gzip: 1797 rows, 64 pixel counts in 0..16 and a label in 0..9."""
    table = np.loadtxt(io.StringIO(gzip.decompress(blob).decode("ascii")), delimiter=",", dtype=np.int64)
    if table.shape != (1797, 65):
        raise ValueError(f"expected 1797 rows of 65 numbers, got {table.shape}")
    if table[:, :64].min() < 0 or table[:, :64].max() > 16 or set(np.unique(table[:, 64])) != set(range(10)):
        raise ValueError("pixel counts outside 0..16 or labels outside 0..9")
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="a scikit-learn wheel (.whl)")
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    args = parser.parse_args(argv)
    blob = read_wheel(args.wheel)
    table = validate(blob)
    digest = hashlib.sha256(blob).hexdigest()
    if args.check:
        same = TARGET.read_bytes() == blob
        print(f"{TARGET.relative_to(ROOT)} {'is' if same else 'is NOT'} the wheel's {MEMBER} (sha256 {digest})")
        return 0 if same else 1
    TARGET.write_bytes(blob)
    counts = np.bincount(table[:, 64], minlength=10)
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(blob)} bytes, sha256 {digest}, class counts {counts.tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
