"""MNIST-format reading (on small IDX files written here, and the real files when present) and
the download path (never touching the network: the opener is replaced)."""

import gzip
import io
import os
import pathlib
import urllib.error
import urllib.request

import numpy as np
import pytest

import npae.datasets as datasets
from npae.errors import DataError

SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def write_idx(path, array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(">u1" if type_code == 0x08 else array.dtype).tobytes())


def small_mnist(folder, n=7):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for kind, (img_name, lab_name) in datasets.MNIST_FILES.items():
        write_idx(folder / img_name, images)
        write_idx(folder / lab_name, labels)
    return images, labels


def test_reads_small_idx_files(tmp_path):
    images, labels = small_mnist(tmp_path)
    X, y = datasets.load_mnist(tmp_path, kind="test")
    assert X.shape == (7, 784) and X.dtype == np.float32
    np.testing.assert_allclose(X, images.reshape(7, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_corrupt_idx_files_are_refused(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros((3, 4), dtype=np.uint8))
    data = gzip.open(tmp_path / "x.gz").read()
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(data[:-1])
    with pytest.raises(DataError, match="truncated or corrupt"):
        datasets.read_idx(tmp_path / "short.gz")
    with gzip.open(tmp_path / "magic.gz", "wb") as f:
        f.write(b"\x01\x02" + data[2:])
    with pytest.raises(DataError, match="magic"):
        datasets.read_idx(tmp_path / "magic.gz")
    with pytest.raises(DataError, match="load_mnist\\(download=True\\)"):
        datasets.load_mnist(tmp_path / "empty")


def test_mnist_files_of_another_type_or_not_gzip_are_refused(tmp_path):
    """Float images passed [0, 1], labels over 9 loaded silently, and a file that is not gzip
    raised a bare BadGzipFile."""
    images, labels = small_mnist(tmp_path)
    img_name, lab_name = datasets.MNIST_FILES["test"]
    write_idx(tmp_path / lab_name, np.where(labels == labels[0], 200, labels).astype(np.uint8))
    with pytest.raises(DataError, match=r"uint8 labels \(up to 200\); the originals hold bytes, labels 0..9"):
        datasets.load_mnist(tmp_path, kind="test")
    write_idx(tmp_path / lab_name, labels)
    write_idx(tmp_path / img_name, images.astype(">f4") * 4.0, type_code=0x0D)
    with pytest.raises(DataError, match=">f4 images"):
        datasets.load_mnist(tmp_path, kind="test")
    (tmp_path / img_name).write_bytes(b"\x00\x00\x08\x03 not gzip")
    with pytest.raises(DataError, match="could not be read as an IDX file"):
        datasets.load_mnist(tmp_path, kind="test")


@pytest.mark.parametrize("bad,match", [(dict(n_samples=2.5), "n_samples must be an integer"),
                                       (dict(ambient_dim=4.0), "ambient_dim must be an integer"),
                                       (dict(noise=-1), "noise must be >= 0"),
                                       (dict(noise=np.nan), "noise must be a finite number")])
def test_make_manifold_checks_its_numbers(bad, match):
    with pytest.raises(ValueError, match=match):
        datasets.make_manifold(**bad)


@pytest.mark.skipif(not SHARED.exists(), reason="the shared MNIST files are not beside the checkout")
def test_reads_the_real_mnist_test_set():
    X, y = datasets.load_mnist(SHARED, kind="test")
    assert X.shape == (10000, 784) and np.bincount(y).tolist()[:3] == [980, 1135, 1032]
    assert abs(X.mean() * 255 - 33.791) < 0.01


def test_download_when_offline_says_what_to_do(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match="offline, copy the four original MNIST .gz files into"):
        datasets.load_mnist(tmp_path / "cache", download=True, kind="test")
    assert not list((tmp_path / "cache").iterdir())  # nothing half-written


def test_download_checks_sha256(tmp_path, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: io.BytesIO(b"not mnist"))
    with pytest.raises(DataError, match="SHA-256 does not match"):
        datasets.load_mnist(tmp_path, download=True, kind="test")
    assert not os.listdir(tmp_path)


@pytest.mark.skipif(not SHARED.exists(), reason="the shared MNIST files are not beside the checkout")
def test_download_from_a_mirror_serving_the_real_files(tmp_path, monkeypatch):
    served = []

    def mirror(url, timeout=None):
        name = url.rsplit("/", 1)[-1]
        served.append(name)
        return io.BytesIO((SHARED / name).read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", mirror)
    monkeypatch.setenv("NPAE_DATA", str(tmp_path))
    X, y = datasets.load_mnist(download=True, kind="test")
    assert X.shape == (10000, 784) and sorted(served) == sorted(datasets.MNIST_FILES["test"])
    datasets.load_mnist(download=True, kind="test")  # cached now: no second download
    assert len(served) == 2
