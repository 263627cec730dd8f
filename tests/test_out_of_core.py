"""Data larger than memory: ``fit``, ``partial_fit`` and ``transform`` read any array-like with
``shape``, ``dtype`` and row indexing (an h5py dataset, a zarr array, a memmap) one minibatch
or chunk of rows at a time, and give the model they give on the same data in memory.

h5py and zarr are test extras; each test that needs one skips without it."""

import contextlib
import tracemalloc

import numpy as np
import pytest

from npae import (Autoencoder, Classifier, DenoisingAutoencoder, StackedAutoencoder, VariationalAutoencoder)
from npae.errors import DataError
from npae.training import gather_rows
from npae.validation import CHECK_CHUNK_ROWS, READ_CHUNK_BYTES, check_array, chunk_rows, data_range, is_array_like


class RowReader:
    """The least an array-like offers: ``shape``, ``dtype`` and row indexing by a slice or by
    increasing indices (h5py's rule), with no ``__array__``. It records every read."""

    def __init__(self, data):
        self._data, self.shape, self.dtype, self.reads = data, data.shape, data.dtype, []

    def __getitem__(self, key):
        if isinstance(key, slice):
            self.reads.append(len(range(*key.indices(self.shape[0]))))
        elif isinstance(key, tuple):  # one element, for an error message
            return self._data[key]
        else:
            key = np.asarray(key)
            if key.ndim != 1 or np.any(np.diff(key) <= 0):
                raise TypeError("Indexing elements must be in increasing order")
            self.reads.append(len(key))
        return self._data[key].copy()


def _data(n=6000, m=20, seed=0):
    return np.random.default_rng(seed).random((n, m))


@pytest.fixture
def h5_array(tmp_path):
    h5py = pytest.importorskip("h5py")

    def make(X):
        f = h5py.File(tmp_path / f"data{X.shape[0]}x{X.shape[1]}.h5", "w")
        return f.create_dataset("X", data=X)

    return make


@pytest.fixture
def zarr_array(tmp_path):
    zarr = pytest.importorskip("zarr")

    def make(X, chunk_rows=64):
        z = zarr.open_array(str(tmp_path / f"data{X.shape[0]}x{X.shape[1]}.zarr"), mode="w", shape=X.shape,
                            chunks=(chunk_rows, X.shape[1]), dtype=X.dtype)
        z[:] = X
        return z

    return make


@pytest.fixture(params=["reader", "h5py", "zarr"])
def array_like(request):
    """A function that stores X in one kind of array-like and returns it."""
    if request.param == "reader":
        return RowReader
    if request.param == "h5py":
        return request.getfixturevalue("h5_array")
    return request.getfixturevalue("zarr_array")


# ------------------------------------------------------------------ the helpers
def test_gather_rows_reads_increasing_rows_and_returns_the_order_asked():
    X = _data(100, 5)
    reader = RowReader(X)
    rows = np.array([50, 3, 99, 3, 0, 50])
    np.testing.assert_array_equal(gather_rows(reader, rows), X[rows])
    assert reader.reads == [4]  # one read of the distinct rows
    out = np.empty((len(rows), 5), dtype=np.float32)
    assert gather_rows(reader, rows, out=out) is out
    np.testing.assert_array_equal(out, X[rows].astype(np.float32))
    assert gather_rows(reader, np.array([], dtype=np.int64)).shape == (0, 5)
    np.testing.assert_array_equal(gather_rows(reader, np.arange(10, 20)), X[10:20])


def test_check_array_reads_an_array_like_by_chunks():
    X = _data(3 * CHECK_CHUNK_ROWS + 5, 4)
    reader = RowReader(X)
    assert is_array_like(reader) and not is_array_like(X) and not is_array_like([[1.0]])
    assert check_array(reader, dtype=None) is reader
    assert max(reader.reads) <= CHECK_CHUNK_ROWS
    wide = RowReader(np.zeros((3, READ_CHUNK_BYTES // 8 + 1)))  # wider than a read: one row at a time
    assert chunk_rows(wide) == 1 and chunk_rows(X) == CHECK_CHUNK_ROWS
    assert data_range(reader) == (X.min(), X.max())
    with pytest.raises(DataError, match="expecting 3 features"):
        check_array(reader, dtype=None, n_features=3)
    Y = X.copy()
    Y[2 * CHECK_CHUNK_ROWS + 7, 2] = np.nan
    Y[-1, 0] = np.inf
    with pytest.raises(DataError, match=f"2 NaN or infinite.*nan at row {2 * CHECK_CHUNK_ROWS + 7}, column 2"):
        check_array(RowReader(Y), dtype=None)
    with pytest.raises(DataError, match="bce"):
        check_array(RowReader(X * 2), dtype=None, unit_interval=True)
    small = check_array(RowReader(X[:10]), dtype=None)  # small: read into an array of its dtype
    assert isinstance(small, np.ndarray) and small.dtype == X.dtype
    # with a dtype asked for, an array-like is converted whole, as before
    np.testing.assert_array_equal(check_array(RowReader(X[:10].copy()), dtype=np.float32), X[:10].astype(np.float32))


# ------------------------------------------------------------------ same model as in memory
@pytest.mark.parametrize("make_model", [
    lambda: Autoencoder(hidden=(16, 4), epochs=1, validation_fraction=0.1, random_state=0),
    lambda: Autoencoder(hidden=(16, 4), epochs=1, contamination=0.05, random_state=0),
    lambda: DenoisingAutoencoder(hidden=(16, 4), epochs=1, random_state=0),
    lambda: StackedAutoencoder(hidden=(16, 4), epochs=1, pretrain_epochs=1, random_state=0),
    lambda: VariationalAutoencoder(hidden=(16, 4), epochs=1, random_state=0),
], ids=["ae", "detector", "denoising", "stacked", "vae"])
def test_array_like_trains_the_model_trained_in_memory(array_like, make_model):
    """fit and partial_fit on an array-like of float32 train what they train on the same rows
    in memory, to the bit (the data are float32, as the model); transform and score_samples
    agree to float32's rounding (a file is read in chunks of PREDICT_CHUNK rows, data in
    memory in larger ones, and BLAS rounds a product's rows differently with their number).
    The rows are wide, so that 1,100 of them are more than one chunk of the checks' reads
    (and more than one of transform's). A stacked model's later layers pretrain on codes
    computed a minibatch at a time from a file (in memory: in one product), so it agrees to
    float32's rounding only."""
    X = _data(1100, 512).astype(np.float32)
    A = array_like(X)
    assert chunk_rows(A) < len(X)
    model, reference = make_model().fit(A), make_model().fit(X)
    same_weights = np.testing.assert_array_equal
    if isinstance(model, StackedAutoencoder):
        def same_weights(actual, desired):
            np.testing.assert_allclose(actual, desired, rtol=1e-5, atol=1e-6)
    same_weights(model.network_.theta, reference.network_.theta)
    np.testing.assert_allclose(model.transform(A), reference.transform(X), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(model.score_samples(A), reference.score_samples(X), rtol=2e-6, atol=1e-7)
    model.partial_fit(A)
    reference.partial_fit(X)
    same_weights(model.network_.theta, reference.network_.theta)


@pytest.mark.parametrize("make_model", [lambda: Autoencoder(hidden=(4,), epochs=1),
                                        lambda: Classifier(hidden=(4,), epochs=1)], ids=["ae", "classifier"])
def test_a_small_array_like_is_checked_in_the_model_dtype(make_model):
    """An array-like small enough to be read whole becomes an array of the model's dtype, with
    the checks an array gets: float64 values beyond float32's range are an error, not inf."""
    X = _data(40, 3)
    X[5, 1] = 1e39
    y = np.arange(40) % 2
    with pytest.raises(DataError, match="beyond float32's range"):
        make_model().fit(RowReader(X), *([y] if isinstance(make_model(), Classifier) else []))


@pytest.mark.parametrize("kind", ["reader", "memmap"])
def test_a_large_float64_file_with_values_beyond_float32_is_an_error(kind, tmp_path):
    """Read as it is and converted a minibatch at a time, a float64 file must still hold no
    value a float32 model would turn into infinity: the error says where, as for an array."""
    X = _data(CHECK_CHUNK_ROWS + 50, 3)
    X[CHECK_CHUNK_ROWS + 9, 2] = -1e39
    if kind == "memmap":
        np.save(tmp_path / "X.npy", X)
        A = np.load(tmp_path / "X.npy", mmap_mode="r")
    else:
        A = RowReader(X)
    with pytest.raises(DataError, match=rf"1 value\(s\) beyond float32's range .* -1e\+39 at row "
                                        rf"{CHECK_CHUNK_ROWS + 9}, column 2. Scale the data, or use dtype='float64'"):
        Autoencoder(hidden=(2,), epochs=1).fit(A)
    Autoencoder(hidden=(2,), epochs=1, dtype="float64").fit(A)  # float64 holds it


def test_float64_array_like_trains_a_float32_model_as_the_array(h5_array):
    """A float64 dataset keeps its dtype; each minibatch is converted as it is read, which is
    what converting the whole array first gives."""
    X = _data(CHECK_CHUNK_ROWS + 500, 12)
    model = Autoencoder(hidden=(8,), epochs=2, random_state=0).fit(h5_array(X))
    reference = Autoencoder(hidden=(8,), epochs=2, random_state=0).fit(X)
    np.testing.assert_array_equal(model.network_.theta, reference.network_.theta)
    np.testing.assert_array_equal(model.transform(h5_array(X[:100] + 0.0)), reference.transform(X[:100]))


def test_array_like_as_validation_data(h5_array):
    X = _data(CHECK_CHUNK_ROWS + 500, 12).astype(np.float32)
    V = _data(CHECK_CHUNK_ROWS + 100, 12, seed=1).astype(np.float32)
    model = Autoencoder(hidden=(8,), epochs=2, early_stopping=True, random_state=0)
    model.fit(h5_array(X), validation_data=RowReader(V))
    reference = Autoencoder(hidden=(8,), epochs=2, early_stopping=True, random_state=0).fit(X, validation_data=V)
    assert model.history_["val_loss"] == reference.history_["val_loss"]


def test_classifier_reads_an_array_like(h5_array):
    """The classifier reads an array-like a minibatch at a time and trains what it trains in memory."""
    X = _data(600, 8).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(int)
    clf = Classifier(hidden=(8,), epochs=2, random_state=0).fit(h5_array(X), y)
    reference = Classifier(hidden=(8,), epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(h5_array(X)), reference.predict_proba(X))


def test_array_like_errors_name_the_problem(h5_array):
    X = _data(CHECK_CHUNK_ROWS + 10, 6)
    X[CHECK_CHUNK_ROWS + 3, 4] = np.nan
    with pytest.raises(DataError, match=f"row {CHECK_CHUNK_ROWS + 3}, column 4"):
        Autoencoder(hidden=(4,), epochs=1).fit(h5_array(X))
    model = Autoencoder(hidden=(4,), epochs=1, random_state=0).fit(_data(50, 6))
    with pytest.raises(DataError, match="expecting 6 features"):
        model.transform(h5_array(_data(CHECK_CHUNK_ROWS + 10, 5)))


# ------------------------------------------------------------------ memory
def _peaks(model, A, n):
    """Peak traced memory of fit, partial_fit and transform of A (after a warm-up partial_fit
    that compiles the kernels and builds the network); partial_fit's with the statistics it
    leaves to be computed when first read, read inside its window."""
    model.partial_fit(np.asarray(A[0:64]))
    tracemalloc.start()
    try:
        model.fit(A)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        model.partial_fit(A)
        getattr(model, type(model)._DESCRIBED[0])
        partial_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        Z = model.transform(A)
        transform_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert Z.shape == (n, 8)
    return fit_peak, partial_peak, transform_peak


@pytest.mark.parametrize("make_model", [
    lambda: Autoencoder(hidden=(32, 8), epochs=1, batch_size=64, random_state=0),
    lambda: VariationalAutoencoder(hidden=(32, 8), epochs=1, batch_size=128, random_state=0),
], ids=["ae", "vae"])
def test_fit_streams_an_h5py_dataset(h5_array, make_model):
    """A float64 HDF5 dataset of 16,000 x 256 (33 MB) trains a float32 model, is scored and
    transformed without being read whole: peak extra memory stays far below its size (as
    test_reliability's memmap test; the backend is the default, NPAE_BACKEND's in CI's
    second run). The VAE reads by minibatch too, and takes its statistics (kl_per_dimension_,
    active_units_) from at most STATISTICS_ROWS rows read PREDICT_CHUNK at a time."""
    n = 16000
    X = h5_array(np.random.default_rng(0).random((n, 256)))
    fit_peak, partial_peak, transform_peak = _peaks(make_model(), X, n)
    data_bytes = n * 256 * 8
    print(f"peak extra memory: fit {fit_peak / 2**20:.1f} MiB, partial_fit {partial_peak / 2**20:.1f} MiB, "
          f"transform {transform_peak / 2**20:.1f} MiB, data {data_bytes / 2**20:.1f} MiB")
    # a read from the file is a copy where a memmap's slice is a view: data / 6, not / 8
    assert fit_peak < data_bytes / 6, fit_peak
    assert partial_peak < data_bytes / 6, partial_peak
    assert transform_peak < data_bytes / 4, transform_peak


def test_fit_streams_a_zarr_array(zarr_array):
    """The same for a zarr array. A shuffled minibatch reads every chunk holding one of its
    rows, and zarr holds each chunk in flight raw and decoded, as many at once as its
    ``async.concurrency``: one here, to measure npae's memory rather than zarr's buffers
    (chunks of 250 rows, minibatches of 500, so that the test reads few chunks)."""
    zarr = pytest.importorskip("zarr")
    n = 16000
    X = zarr_array(np.random.default_rng(0).random((n, 256)), chunk_rows=250)
    model = Autoencoder(hidden=(32, 8), epochs=1, batch_size=500, random_state=0)
    model.partial_fit(np.asarray(X[0:64]))
    config = getattr(zarr, "config", None)  # zarr 3's; zarr 2 reads one chunk at a time
    with config.set({"async.concurrency": 1}) if config is not None else contextlib.nullcontext():
        tracemalloc.start()
        try:
            model.fit(X)
            fit_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            Z = model.transform(X)
            transform_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert Z.shape == (n, 8)
    data_bytes = n * 256 * 8
    print(f"peak extra memory: fit {fit_peak / 2**20:.1f} MiB, transform {transform_peak / 2**20:.1f} MiB, "
          f"data {data_bytes / 2**20:.1f} MiB")
    assert fit_peak < data_bytes / 4, fit_peak
    assert transform_peak < data_bytes / 4, transform_peak
