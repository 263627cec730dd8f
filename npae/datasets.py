"""Data sets: the embedded 8x8 digits.

The digits are the test partition of the UCI "Optical Recognition of Handwritten
Digits" data (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0), as shipped by
scikit-learn; see ``npae/data/LICENSE-digits.txt``.
"""

import gzip
from importlib import resources

import numpy as np


def load_digits(dtype=np.float64):
    """The 1797 embedded 8x8 digits: ``(X, y)`` with X (1797, 64) scaled to [0, 1]
    (pixel counts 0..16 divided by 16) and y (1797,) integer labels 0..9."""
    with resources.files("npae").joinpath("data/digits.csv.gz").open("rb") as raw:
        with gzip.open(raw, "rt") as text:
            table = np.loadtxt(text, delimiter=",")
    X = (table[:, :64] / 16.0).astype(dtype)
    y = table[:, 64].astype(np.int64)
    return X, y
