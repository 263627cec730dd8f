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
    (pixel counts 0..16 divided by 16) and y (1797,) integer labels 0..9.

    They are read from the package itself (no download): the test partition of the UCI
    "Optical Recognition of Handwritten Digits" data, as shipped by scikit-learn.

    Parameters
    ----------
    dtype : data-type, default np.float64
        The dtype of X.

    Returns
    -------
    X : ndarray of shape (1797, 64)
        One row-major 8x8 image per row, in [0, 1].
    y : ndarray of shape (1797,)
        The digit of each row, int64 in 0..9.

    See Also
    --------
    load_mnist : The 28x28 MNIST digits, read from their original files.

    Examples
    --------
    >>> from npae.datasets import load_digits
    >>> X, y = load_digits()
    >>> X.shape, y.shape, X.dtype
    ((1797, 64), (1797,), dtype('float64'))
    >>> float(X.min()), float(X.max()), sorted(set(y.tolist())) == list(range(10))
    (0.0, 1.0, True)
    """
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
    """Read one IDX file (optionally .gz) into an array, checking its header against its size.

    IDX is MNIST's format: two zero bytes, a type code, the number of dimensions, each
    dimension as a big-endian 32-bit integer, then the values in C order.

    Parameters
    ----------
    path : str or path-like
        The file; a name ending in ``.gz`` is decompressed.

    Returns
    -------
    ndarray
        The array, of the shape and dtype the header declares (``uint8`` for MNIST).

    Raises
    ------
    DataError
        If the file is not IDX, or its size does not match its header (truncated or corrupt).
    FileNotFoundError
        If there is no such file.

    Examples
    --------
    >>> import os, tempfile
    >>> from npae.datasets import read_idx
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "tiny-idx2-ubyte")
    >>> header = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(header + bytes(range(6)))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> folder.cleanup()
    """
    import os

    from .errors import DataError

    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (gzip.BadGzipFile, EOFError, IsADirectoryError) as exc:  # FileNotFoundError stays what it is
        raise DataError(f"{os.fspath(path)} could not be read as an IDX file ({exc})") from None
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


#: SHA-256 of the original MNIST files, checked after every download.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
#: Public mirrors of the original files, tried in order.
MNIST_MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
                 "https://ossci-datasets.s3.amazonaws.com/mnist/")


def _sha256(path):
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_mnist_file(name, folder, mirrors=MNIST_MIRRORS, timeout=30):
    """Fetch one MNIST file into ``folder``: written to a temporary file, checked against
    its SHA-256, then renamed; nothing is left behind on failure.

    The mirrors are tried in order until one gives the original bytes.

    Parameters
    ----------
    name : str
        One of the four original file names (the keys of ``MNIST_SHA256``).
    folder : str or path-like
        Where to put it (created if needed).
    mirrors : sequence of str, default MNIST_MIRRORS
        Base URLs, each followed by ``name``.
    timeout : float, default 30
        Seconds to wait for each mirror.

    Returns
    -------
    None

    Raises
    ------
    DataError
        If no mirror gave the file with the original's SHA-256 (the message lists why each
        failed).

    See Also
    --------
    load_mnist : ``load_mnist(download=True)`` calls this for each missing file.

    Examples
    --------
    The real download needs the network, so it is not run here:

    >>> from npae.datasets import download_mnist_file
    >>> download_mnist_file("t10k-labels-idx1-ubyte.gz", "mnist")  # doctest: +SKIP

    With no mirror to try, it fails and leaves nothing behind:

    >>> import os, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> download_mnist_file("t10k-labels-idx1-ubyte.gz", folder.name, mirrors=())
    Traceback (most recent call last):
        ...
    npae.errors.DataError: could not download t10k-labels-idx1-ubyte.gz (). If this machine is offline, ...
    >>> os.listdir(folder.name)
    []
    >>> folder.cleanup()
    """
    import os
    import urllib.request

    from .errors import DataError
    from .io import temporary_file

    os.makedirs(folder, exist_ok=True)
    errors = []
    for mirror in mirrors:
        fd, tmp = temporary_file(os.path.join(folder, name), prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(mirror + name, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            if _sha256(tmp) != MNIST_SHA256[name]:
                raise ValueError("its SHA-256 does not match the original file's")
            os.replace(tmp, os.path.join(folder, name))
            return
        except Exception as exc:  # offline, refused, wrong bytes: try the next mirror
            errors.append(f"{mirror}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise DataError(f"could not download {name} ({'; '.join(errors)}). If this machine is offline, copy "
                    f"the four original MNIST .gz files into {folder} (or set NPAE_DATA to their folder)")


def load_mnist(path=None, download=False, kind="train", dtype=np.float32):
    """MNIST from its original IDX ``.gz`` files in the folder ``path`` (default: the
    ``NPAE_DATA`` environment variable, else ``~/.cache/npae``): ``(X, y)`` with X
    (n, 784) scaled to [0, 1] and y (n,) labels 0..9; ``kind`` is "train" (60,000)
    or "test" (10,000). With ``download=True`` missing files are fetched into that
    folder and every file is checked against the original's SHA-256 before use.

    Parameters
    ----------
    path : str or path-like, optional
        The folder holding the four original files (``MNIST_FILES``).
    download : bool, default False
        Fetch missing files (``download_mnist_file``) and check every file's SHA-256.
    kind : {"train", "test"}, default "train"
        The split.
    dtype : data-type, default np.float32
        The dtype of X.

    Returns
    -------
    X : ndarray of shape (n_samples, 784)
        One row-major 28x28 image per row, pixel bytes divided by 255.
    y : ndarray of shape (n_samples,)
        The digits, int64 in 0..9.

    Raises
    ------
    DataError
        If ``kind`` is not valid, a file is missing (without ``download``), is not the
        original, or holds the wrong shapes or types.

    See Also
    --------
    load_digits : The small 8x8 digits, embedded in the package.
    read_idx

    Examples
    --------
    Reading MNIST needs its four files (about 11 MB, downloaded once), so these lines
    are not run here:

    >>> from npae.datasets import load_mnist
    >>> X, y = load_mnist(kind="test", download=True)  # doctest: +SKIP
    >>> X.shape, y.shape, X.dtype  # doctest: +SKIP
    ((10000, 784), (10000,), dtype('float32'))

    A folder without the files gives an error that says what to do:

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> load_mnist(folder.name, kind="test")
    Traceback (most recent call last):
        ...
    npae.errors.DataError: MNIST file ...t10k-images-idx3-ubyte.gz not found; ...
    >>> folder.cleanup()
    """
    import os

    from .errors import DataError

    if kind not in MNIST_FILES:
        raise DataError(f"kind={kind!r} is not valid; choose 'train' or 'test'")
    folder = path or os.environ.get("NPAE_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "npae")
    images_file, labels_file = (os.path.join(folder, name) for name in MNIST_FILES[kind])
    for name in MNIST_FILES[kind]:
        file = os.path.join(folder, name)
        if download:
            if not os.path.exists(file):
                download_mnist_file(name, folder)
            if _sha256(file) != MNIST_SHA256[name]:
                raise DataError(f"{file} is not the original MNIST file (SHA-256 mismatch); delete it "
                                "and download again")
        elif not os.path.exists(file):
            raise DataError(f"MNIST file {file} not found; put the four original IDX .gz files "
                            f"({', '.join(n for pair in MNIST_FILES.values() for n in pair)}) in {folder}, "
                            "or call load_mnist(download=True)")
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (images.shape[0],):
        raise DataError(f"MNIST files in {folder} have shapes {images.shape} and {labels.shape}; "
                        "expected (n, 28, 28) images and n labels")
    if images.dtype != np.uint8 or labels.dtype != np.uint8 or labels.size and labels.max() > 9:
        raise DataError(f"MNIST files in {folder} hold {images.dtype} images and {labels.dtype} labels "
                        f"(up to {labels.max() if labels.size else '-'}); the originals hold bytes, labels 0..9")
    return (images.reshape(len(images), 784) / np.float32(255.0)).astype(dtype), labels.astype(np.int64)


MANIFOLDS = ("swiss_roll", "s_curve", "helix", "sphere", "torus")


def make_manifold(kind="swiss_roll", n_samples=1000, noise=0.0, ambient_dim=3, random_state=None):
    """Points on a known low-dimensional manifold: ``x_i = f(tau_i) + eps_i``.

    Returns ``X`` (n_samples, ambient_dim) and the intrinsic coordinates ``tau``
    (n_samples, d): swiss_roll and s_curve (d=2: position along the roll, height),
    helix (d=1: the angle), sphere (d=2: polar and azimuthal angle), torus (d=2: the
    two angles). The 3-D shape is embedded in ``ambient_dim > 3`` dimensions by a
    seeded random map with orthonormal columns (distances are preserved), then
    Gaussian noise of standard deviation ``noise`` is added in the ambient space.

    Parameters
    ----------
    kind : {"swiss_roll", "s_curve", "helix", "sphere", "torus"}, default "swiss_roll"
        The manifold.
    n_samples : int, default 1000
        The number of points.
    noise : float, default 0.0
        The standard deviation of the Gaussian noise added in the ambient space.
    ambient_dim : int, default 3
        The dimension of the space the manifold is embedded in (at least 3).
    random_state : int, Generator or None, default None
        Seeds the points, the embedding and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, ambient_dim)
        The points.
    tau : ndarray of shape (n_samples, d)
        Their intrinsic coordinates (d = 1 for the helix, else 2).

    Raises
    ------
    DataError
        If ``kind`` is not one of ``MANIFOLDS``.
    ParameterError
        If ``n_samples``, ``noise`` or ``ambient_dim`` is out of range.

    See Also
    --------
    npae.metrics.coordinate_r2 : How well codes predict ``tau``.

    Examples
    --------
    >>> from npae.datasets import make_manifold
    >>> X, tau = make_manifold("swiss_roll", n_samples=100, random_state=0)
    >>> X.shape, tau.shape
    ((100, 3), (100, 2))
    >>> X, tau = make_manifold("helix", n_samples=50, noise=0.01, ambient_dim=10, random_state=0)
    >>> X.shape, tau.shape
    ((50, 10), (50, 1))
    """
    from .errors import DataError
    from .validation import check_number, check_random_state

    if not isinstance(kind, str) or kind not in MANIFOLDS:
        raise DataError(f"kind={kind!r} is not valid; choose one of {list(MANIFOLDS)}")
    check_number("n_samples", n_samples, low=1, integer=True)
    check_number("ambient_dim", ambient_dim, low=3, integer=True)
    check_number("noise", noise, low=0.0)
    rng = check_random_state(random_state)
    u, v = rng.random(n_samples), rng.random(n_samples)
    if kind == "swiss_roll":
        t, h = 1.5 * np.pi * (1 + 2 * u), 21.0 * v
        X3, tau = np.column_stack([t * np.cos(t), h, t * np.sin(t)]), np.column_stack([t, h])
    elif kind == "s_curve":
        t, h = 3 * np.pi * (u - 0.5), 2.0 * v
        X3, tau = np.column_stack([np.sin(t), h, np.sign(t) * (np.cos(t) - 1)]), np.column_stack([t, h])
    elif kind == "helix":
        t = 4 * np.pi * u
        X3, tau = np.column_stack([np.cos(t), np.sin(t), t / (2 * np.pi)]), t[:, None]
    elif kind == "sphere":
        polar, azimuth = np.arccos(1 - 2 * u), 2 * np.pi * v  # uniform on the sphere
        X3 = np.column_stack([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)])
        tau = np.column_stack([polar, azimuth])
    else:
        a, b = 2 * np.pi * u, 2 * np.pi * v
        X3 = np.column_stack([(2 + np.cos(b)) * np.cos(a), (2 + np.cos(b)) * np.sin(a), np.sin(b)])
        tau = np.column_stack([a, b])
    X = X3
    if ambient_dim > 3:
        Q, _ = np.linalg.qr(rng.standard_normal((ambient_dim, 3)))  # orthonormal columns
        X = X3 @ Q.T
    if noise:
        X = X + noise * rng.standard_normal(X.shape)
    return X, tau


#: make_sprites' square: side from SPRITE_SIDE[0] to SPRITE_SIDE[1] of the image width as the
#: scale factor goes from 0 to 1; its centre moves over the range that keeps the largest inside.
SPRITE_SIDE = (0.2, 0.5)


def _render_sprites(factors, size):
    """Images (n, size * size) of the squares whose factors (n, 3) in [0, 1] are (x, y, scale).

    Pixel (row r, column c) covers [c, c+1] x [r, r+1]; each value is the exact fraction of
    that pixel the square covers (box-filtered anti-aliasing), separable into 1-D overlaps:
    X[r, c] = o(r; cy) * o(c; cx),  o(i; m) = clip(min(i + 1, m + s/2) - max(i, m - s/2), 0, 1)."""
    lo, hi = SPRITE_SIDE
    x, y, scale = factors[:, 0:1], factors[:, 1:2], factors[:, 2:3]
    side = size * (lo + (hi - lo) * scale)                    # (n, 1), in pixels
    cx = size * (hi / 2 + (1 - hi) * x)                       # the largest square fits at every position
    cy = size * (hi / 2 + (1 - hi) * y)
    edges = np.arange(size, dtype=np.float64)                 # left (top) edge of each pixel
    ox = np.clip(np.minimum(edges + 1, cx + side / 2) - np.maximum(edges, cx - side / 2), 0.0, 1.0)
    oy = np.clip(np.minimum(edges + 1, cy + side / 2) - np.maximum(edges, cy - side / 2), 0.0, 1.0)
    return (oy[:, :, None] * ox[:, None, :]).reshape(len(factors), size * size)


def make_sprites(n_samples, size=16, random_state=None):
    """Grey images of one anti-aliased filled square whose three independent factors of
    variation are its horizontal position, vertical position and scale (a small
    disentanglement benchmark, in the spirit of dSprites).

    Returns ``(X, factors)``: X float64 in [0, 1], shape (n_samples, size * size), each row a
    row-major image (row 0 at the top); factors (n_samples, 3), each column drawn uniform in
    [0, 1) from the seeded Generator, in the order (x position, y position, scale).

    In pixel units, with pixel (row r, column c) covering [c, c+1] x [r, r+1], the square has
    side s = size * (0.2 + 0.3 * scale) and centre (cx, cy) = size * (0.25 + 0.5 * (x, y)), so
    even the largest square (half the width) lies wholly inside the image at every position.
    Each pixel holds the fraction of its area the square covers::

        X[r, c] = o(r; cy) * o(c; cx),  o(i; m) = clip(min(i + 1, m + s/2) - max(i, m - s/2), 0, 1),

    which is continuous (piecewise polynomial) in the factors, as a generative model needs.
    The ink sum(X) is exactly s^2; the centre of mass, in pixel indices, is (cx - 1/2, cy - 1/2)
    to within 1 / (8 s) pixel (the coverage is sampled once per pixel).

    Parameters
    ----------
    n_samples : int
        The number of images.
    size : int, default 16
        Image width and height, in pixels (at least 8).
    random_state : int, Generator or None, default None
        Seeds the factors.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size)
        The images, float64 in [0, 1], each row a row-major image (row 0 at the top).
    factors : ndarray of shape (n_samples, 3)
        Each image's (x position, y position, scale), drawn uniform in [0, 1).

    Raises
    ------
    ParameterError
        If ``n_samples`` is below 1 or ``size`` below 8.

    See Also
    --------
    npae.metrics.mutual_information_gap : How well codes separate the factors.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.datasets import make_sprites
    >>> X, factors = make_sprites(4, size=16, random_state=0)
    >>> X.shape, factors.shape
    ((4, 256), (4, 3))
    >>> side = 16 * (0.2 + 0.3 * factors[:, 2])
    >>> bool(np.allclose(X.sum(axis=1), side ** 2)), bool(X.min() >= 0 and X.max() <= 1)
    (True, True)
    """
    from .validation import check_number, check_random_state

    check_number("n_samples", n_samples, low=1, integer=True)
    check_number("size", size, low=8, integer=True)
    rng = check_random_state(random_state)
    factors = rng.random((int(n_samples), 3))
    return _render_sprites(factors, int(size)), factors
