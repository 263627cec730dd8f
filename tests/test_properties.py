"""Properties over many drawn inputs (hypothesis): fitting is finite or a clear error, a
saved model loads as the same model, a seed gives the same weights. In a file of their own:
without hypothesis only these skip."""

import warnings

import numpy as np
import pytest

import npae
from npae import PCA, Autoencoder
from npae.errors import NpaeError

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import assert_same_model  # noqa: E402



@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 40), m=st.integers(1, 9), scale=st.sampled_from([1e-3, 1.0, 1e3]),
       dtype=st.sampled_from(["float32", "float64"]), activation=st.sampled_from(["sigmoid", "tanh", "relu", "elu"]),
       tied=st.booleans(), seed=st.integers(0, 2 ** 16), int_input=st.booleans())
def test_fit_transform_is_finite_or_an_npae_error(n, m, scale, dtype, activation, tied, seed, int_input):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m)) * scale
    if int_input:
        X = np.round(X).astype(np.int64)
    ae = Autoencoder(hidden=(3, 2), activation=activation, tied=tied, epochs=2, batch_size=8, dtype=dtype,
                     random_state=seed, on_divergence="warn")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a diverging draw warns (on_divergence="warn")
            Z = ae.fit(X).transform(X)
    except NpaeError:
        return
    assert Z.shape == (n, 2) and np.all(np.isfinite(Z))
    restored = Autoencoder(**ae.get_params()).fit(X[:1]).set_weights(ae.get_weights())
    for a, b in zip(restored.get_weights(), ae.get_weights()):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 1000), tied=st.booleans(), kind=st.sampled_from(["ae", "pca"]))
def test_save_load_round_trip_is_bit_exact(tmp_path, seed, tied, kind):
    X = np.random.default_rng(seed).random((30, 5))
    model = (Autoencoder(hidden=(4, 2), tied=tied, epochs=1, random_state=seed) if kind == "ae" else PCA(2)).fit(X)
    model.save(tmp_path / "m.npz")
    assert_same_model(npae.load(tmp_path / "m.npz"), model, X)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), backend=st.sampled_from(["numpy", "numba"]))
def test_same_seed_bit_identical(seed, backend):
    X = np.random.default_rng(seed).random((60, 7))
    params = dict(hidden=(5, 3), epochs=2, batch_size=16, backend=backend, n_threads=1, random_state=seed,
                  corruption="gaussian", noise=0.1)
    a, b = Autoencoder(**params).fit(X), Autoencoder(**params).fit(X)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
