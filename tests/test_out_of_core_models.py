"""Data larger than memory for the estimators that are not one autoencoder (issue 19): a
``Classifier`` (its frozen encoder's codes computed as each minibatch reads its rows), ``PCA``
(its mean and covariance summed over chunks of rows) and a ``StackedAutoencoder`` (each layer
pretrained on a view of the training rows through the layers below) train on an array-like
read by rows (an h5py dataset, a memmap, anything with ``shape``, ``dtype`` and row indexing)
with memory of the order of a minibatch, and give the model the same rows give in memory.

h5py is a test extra; the tests that need it skip without it (as tests/test_out_of_core.py's)."""

import tracemalloc

import numpy as np
import pytest

from npae import PCA, Autoencoder, Classifier, StackedAutoencoder
from npae.models.autoencoder import PREDICT_CHUNK
from npae.models.encoded_rows import EncodedRows
from npae.validation import chunk_rows, is_array_like
from test_out_of_core import RowReader

#: float32 rows of 2 KiB: 1,500 of them are three of the checks' reads (512 rows) and more
#: than one of predict's (PREDICT_CHUNK), so nothing is read whole by accident of size
N, M = 1500, 512


def _data(n=N, m=M, seed=0):
    return np.random.default_rng(seed).random((n, m)).astype(np.float32)


def _labels(X):
    return (X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0.5)  # three classes


@pytest.fixture(params=["reader", "h5py", "memmap"])
def stored(request, tmp_path):
    """A function that stores X in one kind of array read by rows and returns it."""
    if request.param == "reader":
        return RowReader
    if request.param == "memmap":
        def make(X):
            path = tmp_path / f"X{X.shape[0]}x{X.shape[1]}.npy"
            np.save(path, X)
            return np.load(path, mmap_mode="r")
        return make
    h5py = pytest.importorskip("h5py")

    def make(X):
        return h5py.File(tmp_path / f"X{X.shape[0]}x{X.shape[1]}.h5", "w").create_dataset("X", data=X)

    return make


@pytest.fixture(scope="module")
def encoder():
    return Autoencoder(hidden=(32, 8), epochs=1, random_state=0).fit(_data())


def _reads_after(A, call):
    """The largest read ``call()`` makes of A when A is a RowReader (None otherwise)."""
    if not isinstance(A, RowReader):
        call()
        return None
    A.reads.clear()
    call()
    return max(A.reads)


# ------------------------------------------------------------------ the view
def test_encoded_rows_reads_its_rows_a_chunk_at_a_time():
    X = _data(100, 6).astype(np.float64)
    reader = RowReader(X)
    rows = np.array([3, 4, 5, 6, 10, 50, 51, 99])
    view = EncodedRows(reader, lambda B: 2 * B[:, :2], 2, np.float32, rows=rows)
    assert is_array_like(view) and view.shape == (8, 2) and len(view) == 8
    np.testing.assert_array_equal(view[1:6], 2 * X[rows[1:6], :2].astype(np.float32))
    np.testing.assert_array_equal(view[np.array([0, 5, 7])], 2 * X[[3, 50, 99], :2].astype(np.float32))
    assert view[np.array([], dtype=np.int64)].shape == (0, 2)
    wide = RowReader(np.zeros((6, 2 ** 17)))  # rows of 1 MiB: one row per read
    EncodedRows(wide, lambda B: B[:, :1], 1, np.float32)[0:5]
    assert wide.reads == [1] * 5
    with pytest.raises(TypeError, match="indexed by rows"):
        view[1, 0]


# ------------------------------------------------------------------ same model as in memory
@pytest.mark.parametrize("options", [
    {"hidden": (8,)},
    {"freeze_encoder": True},
    {"freeze_encoder": True, "hidden": (8,), "validation_fraction": 0.2},
    {"freeze_encoder": False, "hidden": (8,)},
], ids=["plain", "probe", "frozen-validated", "fine-tuned"])
def test_classifier_on_an_array_like_is_the_classifier_in_memory(stored, encoder, options):
    """The same weights and probabilities (BLAS may round a product's rows differently with
    their number; here they are equal), and no read larger than a check's chunk in fit or a
    predict chunk in predict: the frozen codes are computed a minibatch at a time."""
    X, y = _data(), _labels(_data())
    A = stored(X)
    make = lambda: Classifier(encoder=encoder if "freeze_encoder" in options else None,  # noqa: E731
                              epochs=2, random_state=0, **options)
    reference = make().fit(X, y)
    model = make()
    fit_read = _reads_after(A, lambda: model.fit(A, y))
    np.testing.assert_allclose(model.network_.theta, reference.network_.theta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.history_["loss"], reference.history_["loss"], rtol=1e-5)
    if "validation_fraction" in options:
        np.testing.assert_allclose(model.history_["val_loss"], reference.history_["val_loss"], rtol=1e-5)
    predict_read = _reads_after(A, lambda: np.testing.assert_allclose(
        model.predict_proba(A), reference.predict_proba(X), rtol=1e-5, atol=1e-7))
    if fit_read is not None:
        assert fit_read <= chunk_rows(A) < N
        assert predict_read <= PREDICT_CHUNK < N
    assert model.score(A, y) == reference.score(X, y)


def _low_rank(n, m, seed=0):
    """Five directions of decreasing variance (well apart, so that the components are
    well-defined) plus noise, far from the origin (a covariance summed as X^T X - n mu mu^T
    would lose its digits)."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, 5)) * np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    return (100.0 + Z @ rng.standard_normal((5, m)) + 0.1 * rng.standard_normal((n, m))).astype(np.float32)


@pytest.mark.parametrize("shape", [(N, M), (300, 1024)], ids=["tall", "wide"])
def test_pca_on_an_array_like_is_the_pca_in_memory(stored, shape):
    """The components from the covariance summed chunk by chunk are the SVD's to rounding
    (also with fewer rows than features); transform and score_samples read a chunk at a time."""
    X = _low_rank(*shape)
    A = stored(X)
    reference = PCA(n_components=5).fit(X)
    model = PCA(n_components=5)
    fit_read = _reads_after(A, lambda: model.fit(A))
    for name in ("mean_", "components_", "singular_values_", "explained_variance_", "explained_variance_ratio_"):
        np.testing.assert_allclose(getattr(model, name), getattr(reference, name), rtol=1e-9, atol=1e-9,
                                   err_msg=name)
    transform_read = _reads_after(A, lambda: np.testing.assert_allclose(
        model.transform(A), reference.transform(X), rtol=1e-9, atol=1e-9))
    np.testing.assert_allclose(model.score_samples(A), reference.score_samples(X), rtol=1e-9)
    if fit_read is not None:
        assert fit_read <= chunk_rows(A) < shape[0]
        assert transform_read <= chunk_rows(A)


def test_pca_of_a_wide_file_needs_no_d_by_d_matrix(tmp_path):
    """With fewer rows than columns a d x d scatter matrix would outweigh the data (and its
    eigendecomposition take O(d^3)): such a file is read and decomposed by the SVD."""
    X = _low_rank(40, 3000).astype(np.float64)
    path = tmp_path / "wide.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    tracemalloc.start()
    try:
        model = PCA(n_components=5).fit(mapped)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * X.nbytes < 3000 * 3000 * 8
    np.testing.assert_allclose(model.components_, PCA(n_components=5).fit(X).components_, rtol=1e-9, atol=1e-9)


def test_stacked_on_an_array_like_is_the_stack_in_memory(stored):
    """Each pretrained layer, the unrolled loss and the fine-tuned model are those of the rows
    in memory, with a validation split (the layers train on the training rows only); no read
    is larger than a transform's chunk (PREDICT_CHUNK rows)."""
    X = _data()
    A = stored(X)
    make = lambda: StackedAutoencoder(hidden=(32, 8), epochs=1, pretrain_epochs=2,  # noqa: E731
                                      validation_fraction=0.1, random_state=0)
    reference = make().fit(X)
    model = make()
    fit_read = _reads_after(A, lambda: model.fit(A))
    for layer, expected in zip(model.layer_models_, reference.layer_models_):
        np.testing.assert_allclose(layer.network_.theta, expected.network_.theta, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.history_["loss"], expected.history_["loss"], rtol=1e-5)
        np.testing.assert_allclose(layer.code_mean_, expected.code_mean_, rtol=1e-5, atol=1e-6)
    assert model.unrolled_loss_ == pytest.approx(reference.unrolled_loss_, rel=1e-6)
    np.testing.assert_allclose(model.network_.theta, reference.network_.theta, rtol=1e-5, atol=1e-6)
    transform_read = _reads_after(A, lambda: np.testing.assert_allclose(
        model.transform(A), reference.transform(X), rtol=2e-6, atol=1e-6))
    if fit_read is not None:
        assert fit_read <= PREDICT_CHUNK < N
        assert transform_read <= PREDICT_CHUNK


# ------------------------------------------------------------------ memory
@pytest.fixture(scope="module")
def big_h5(tmp_path_factory):
    """A float64 HDF5 dataset of 16,000 x 256 (31 MiB), and labels."""
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    f = h5py.File(tmp_path_factory.mktemp("big") / "X.h5", "w")
    X = f.create_dataset("X", data=rng.random((16000, 256)))
    yield X, rng.integers(0, 3, 16000)
    f.close()


@pytest.mark.parametrize("kind", ["classifier", "probe", "pca", "stacked"])
def test_fit_streams_an_h5py_dataset(big_h5, kind):
    """Peak traced memory of fit and of predict / transform on 31 MiB of float64 rows stays
    far below their size (after a fit on 500 rows in memory that compiles the kernels). What
    the models do hold: the labels; PCA's 256 x 256 covariance; and, from Autoencoder.fit,
    the codes its statistics are taken from (for a StackedAutoencoder also each pretrained
    layer's: n x 16 here) and its reads of PREDICT_CHUNK rows."""
    X, y = big_h5
    sample = np.asarray(X[0:500])
    if kind in ("classifier", "probe"):
        encoder = Autoencoder(hidden=(32, 8), epochs=1, random_state=0).fit(sample) if kind == "probe" else None
        model = Classifier(hidden=(16,), encoder=encoder, freeze_encoder=encoder is not None, epochs=1,
                           validation_fraction=0.1, random_state=0)
        fit, apply = (lambda A: model.fit(A, y if A is X else y[:500])), model.predict
    elif kind == "pca":
        model = PCA(n_components=8)
        fit, apply = model.fit, model.transform
    else:
        model = StackedAutoencoder(hidden=(16, 8), epochs=1, pretrain_epochs=1, random_state=0)
        fit, apply = model.fit, model.transform
    fit(sample)
    tracemalloc.start()
    try:
        fit(X)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        out = apply(X)
        apply_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(out) == 16000
    data_bytes = 16000 * 256 * 8
    print(f"{kind}: peak extra memory: fit {fit_peak / 2**20:.1f} MiB, predict/transform "
          f"{apply_peak / 2**20:.1f} MiB, data {data_bytes / 2**20:.1f} MiB")
    assert fit_peak < data_bytes / 5, fit_peak
    assert apply_peak < data_bytes / 4, apply_peak  # as tests/test_out_of_core.py's transform
