"""Data sets: the embedded 8x8 digits and a reader for MNIST's IDX files.

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


#: The four MNIST files (the original IDX .gz names) for each split.
MNIST_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
               "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read one IDX file (optionally .gz) into an array, checking its header against its size."""
    import os

    from .errors import DataError

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f"{os.fspath(path)} is not an IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{os.fspath(path)}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = header + int(np.prod(shape, dtype=object)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{os.fspath(path)}: the header declares shape {shape} ({expected} bytes) but the "
                        f"file holds {len(data)} bytes; it is truncated or corrupt")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def load_mnist(path=None, kind="train", dtype=np.float32):
    """MNIST from its original IDX ``.gz`` files in the folder ``path`` (default: the
    ``NPAE_DATA`` environment variable, else ``~/.cache/npae``): ``(X, y)`` with X
    (n, 784) scaled to [0, 1] and y (n,) labels 0..9; ``kind`` is "train" (60,000)
    or "test" (10,000)."""
    import os

    from .errors import DataError

    if kind not in MNIST_FILES:
        raise DataError(f"kind={kind!r} is not valid; choose 'train' or 'test'")
    folder = path or os.environ.get("NPAE_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "npae")
    images_file, labels_file = (os.path.join(folder, name) for name in MNIST_FILES[kind])
    for name in (images_file, labels_file):
        if not os.path.exists(name):
            raise DataError(f"MNIST file {name} not found; put the four original IDX .gz files "
                            f"({', '.join(n for pair in MNIST_FILES.values() for n in pair)}) in {folder}")
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (images.shape[0],):
        raise DataError(f"MNIST files in {folder} have shapes {images.shape} and {labels.shape}; "
                        "expected (n, 28, 28) images and n labels")
    return (images.reshape(len(images), 784) / np.float32(255.0)).astype(dtype), labels.astype(np.int64)
