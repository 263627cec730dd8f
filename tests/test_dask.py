"""npae estimators inside dask-ml's wrappers (the ``npae[dask]`` extra): ``ParallelPostFit``
maps ``transform`` / ``predict`` / ``predict_proba`` over a Dask array block by block,
``Incremental`` streams its blocks through ``partial_fit``; ``score_samples``, which
``ParallelPostFit`` does not wrap, maps with ``X.map_blocks``. Skipped without dask and
dask-ml, unless NPAE_REQUIRE_DASK=1 (CI), where their absence fails."""

import os
import tracemalloc

import numpy as np
import pytest

if os.environ.get("NPAE_REQUIRE_DASK") == "1":  # fails loudly when the extra is missing
    import dask
    import dask.array as da
    from dask_ml.wrappers import Incremental, ParallelPostFit
else:
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    Incremental, ParallelPostFit = wrappers.Incremental, wrappers.ParallelPostFit

from npae import (PCA, Autoencoder, Classifier, ContractiveAutoencoder, DenoisingAutoencoder,  # noqa: E402
                  SparseAutoencoder, StackedAutoencoder, VariationalAutoencoder)

#: Every estimator that trains incrementally (partial_fit), each small and quick.
INCREMENTAL = {
    "autoencoder": lambda: Autoencoder(hidden=(16, 4), random_state=0),
    "detector": lambda: Autoencoder(hidden=(16, 4), contamination=0.05, random_state=0),
    "denoising": lambda: DenoisingAutoencoder(hidden=(16, 4), random_state=0),
    "contractive": lambda: ContractiveAutoencoder(hidden=(8,), random_state=0),
    "sparse": lambda: SparseAutoencoder(hidden=(8,), random_state=0),
    "stacked": lambda: StackedAutoencoder(hidden=(16, 4), pretrain_epochs=1, epochs=1, random_state=0),
    "vae": lambda: VariationalAutoencoder(hidden=(16, 4), random_state=0),
}


def _data(n=1200, m=20, seed=0):
    X = np.random.default_rng(seed).random((n, m))
    return X, da.from_array(X, chunks=(300, m))


def _close(a, b, dtype):
    # a block's rows go through the same arithmetic as in one call; only the BLAS's blocking
    # of a different number of rows may round the last bit differently
    rtol = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


# ------------------------------------------------------------------ ParallelPostFit
@pytest.mark.parametrize("name", sorted(INCREMENTAL))
def test_parallel_post_fit_maps_transform_and_scores_over_blocks(name):
    X, dX = _data()
    model = INCREMENTAL[name]().set_params(epochs=1).fit(X)
    wrapped = ParallelPostFit(model)
    Z = wrapped.transform(dX)
    assert isinstance(Z, da.Array)
    # dask-ml's transform gives map_blocks no chunks, so the lazy array claims X's width;
    # the computed blocks are the codes
    Z = Z.compute()
    _close(Z, model.transform(X), Z.dtype)
    # score_samples: ParallelPostFit has no such method; map it over the row blocks
    scores = dX.map_blocks(model.score_samples, drop_axis=1, dtype=np.float64)
    assert scores.shape == (len(X),)
    _close(scores.compute(), model.score_samples(X), np.float32)
    if model.contamination is not None:
        labels = wrapped.predict(dX)
        assert labels.shape == (len(X),)
        np.testing.assert_array_equal(labels.compute(), model.predict(X))
    else:
        with pytest.raises(AttributeError):
            wrapped.predict(dX)


def test_transform_with_its_chunks_declared():
    """For a lazy array of the right shape (to go on computing on it), map transform with the
    chunks of its output."""
    X, dX = _data()
    model = Autoencoder(hidden=(16, 4), epochs=1, random_state=0).fit(X)
    Z = dX.map_blocks(model.transform, chunks=(dX.chunks[0], (4,)), dtype=np.float32)
    assert Z.shape == (len(X), 4)
    _close(Z.mean(axis=0).compute(), model.transform(X).mean(axis=0), np.float32)


def test_parallel_post_fit_classifier_and_pca():
    X, dX = _data()
    y = np.where(X[:, 0] + X[:, 1] > 1.0, "big", "small")
    clf = ParallelPostFit(Classifier(hidden=(8,), epochs=3, random_state=0)).fit(X, y)
    labels, proba = clf.predict(dX), clf.predict_proba(dX)
    assert labels.shape == (len(X),) and proba.shape == (len(X), 2)
    np.testing.assert_array_equal(labels.compute(), clf.estimator.predict(X))
    _close(proba.compute(), clf.estimator.predict_proba(X), np.float32)
    pca = ParallelPostFit(PCA(n_components=3)).fit(X)
    _close(pca.transform(dX).compute(), pca.estimator.transform(X), np.float64)


# ------------------------------------------------------------------ Incremental
@pytest.mark.parametrize("name", sorted(INCREMENTAL))
def test_incremental_streams_blocks_through_partial_fit(name):
    """Incremental(model).fit(dask_array) is partial_fit on each block in turn."""
    X, dX = _data()
    streamed = Incremental(INCREMENTAL[name](), shuffle_blocks=False).fit(dX)
    model = streamed.estimator_
    reference = INCREMENTAL[name]()
    for start in range(0, len(X), 300):
        reference.partial_fit(X[start:start + 300])
    np.testing.assert_array_equal(model.network_.theta, reference.network_.theta)
    assert model.n_iter_ == reference.n_iter_ == 4
    # and the wrapper maps the fitted model over blocks, as ParallelPostFit does
    _close(streamed.transform(dX).compute(), reference.transform(X), np.float32)


def test_incremental_shuffles_blocks_and_continues():
    X, dX = _data()
    inc = Incremental(Autoencoder(hidden=(16, 4), random_state=0), shuffle_blocks=True, random_state=0)
    inc.fit(dX)
    assert inc.estimator_.n_iter_ == 4
    inc.partial_fit(dX)  # continues from estimator_
    assert inc.estimator_.n_iter_ == 8
    assert np.isfinite(inc.estimator_.score(X))


def test_incremental_needs_partial_fit():
    """Classifier and PCA have no partial_fit: Incremental refuses them (ParallelPostFit
    maps them)."""
    X, dX = _data()
    with pytest.raises(ValueError, match="partial_fit"):
        Incremental(PCA(n_components=2)).fit(dX)


# ------------------------------------------------------------------ larger than a budget
def test_incremental_and_parallel_post_fit_on_an_array_larger_than_the_budget():
    """A lazily generated 256 MiB Dask array (131,072 x 256 float64, blocks of 8 MiB) is
    trained on by Incremental and transformed by ParallelPostFit, each under a budget of
    64 MiB of traced memory: no step holds the array.

    Incremental runs on the synchronous scheduler: on the default threaded one, a thread
    left idle by the chain of partial_fit calls computes the blocks ahead of it (they
    depend on nothing) and the whole array ends up in memory (257 MiB measured here;
    dask/dask-ml#765). ParallelPostFit's blocks are independent: threads are fine."""
    n, m, block = 131072, 256, 4096
    dX = da.random.default_rng(0).random((n, m), chunks=(block, m))
    data_bytes, budget = n * m * 8, 64 * 2 ** 20
    model = Autoencoder(hidden=(32, 8), batch_size=256, random_state=0)
    model.partial_fit(dX[:256].compute())  # compile the kernels outside the measurement (Incremental clones it)
    tracemalloc.start()
    try:
        with dask.config.set(scheduler="synchronous"):
            inc = Incremental(model, shuffle_blocks=False).partial_fit(dX)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        Z = ParallelPostFit(inc.estimator_).transform(dX).compute()
        transform_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"peak traced memory: Incremental {fit_peak / 2**20:.1f} MiB, ParallelPostFit.transform "
          f"{transform_peak / 2**20:.1f} MiB, data {data_bytes / 2**20:.0f} MiB")
    assert Z.shape == (n, 8) and np.all(np.isfinite(Z))
    assert inc.estimator_.n_iter_ == n // block  # a clone of model, one epoch per block
    assert fit_peak < budget and transform_peak < budget
