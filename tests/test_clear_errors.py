"""Bad input to the building blocks and the metrics gets an error that names what was wrong and
how to fix it, not a TypeError from deep inside (found by the docstring reviews of issue 20)."""

import numpy as np
import pytest

from npae import Autoencoder, VariationalAutoencoder
from npae.corruption import corrupt
from npae.errors import DataError, ParameterError
from npae.losses import elementwise_loss
from npae.metrics import coordinate_r2, knn_accuracy
from npae.network import Network, count_params


def test_latent_grid_checks_its_size(rng):
    X = rng.random((60, 5))
    for model in (Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X),
                  VariationalAutoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X)):
        for n in (0, 1, 2.5):
            with pytest.raises(ParameterError, match="n must be"):
                model.latent_grid(n=n)
        codes, decoded = model.latent_grid(n=2)
        assert codes.shape == (4, 2) and decoded.shape == (4, 5)
    with pytest.raises(ParameterError, match="margin"):
        Autoencoder(hidden=(4, 2), epochs=1, random_state=0).fit(X).latent_grid(margin=-0.1)


def test_elementwise_loss_of_a_row_loss_says_so():
    Y = np.eye(3)[[0, 2]]
    with pytest.raises(ValueError, match="no elementwise form"):
        elementwise_loss("softmax_cross_entropy", Y, Y, Y)
    assert elementwise_loss("mse", Y, Y, Y).shape == (2, 3)


def test_salt_pepper_without_a_data_range_says_what_it_needs(rng):
    X = rng.random((4, 3))
    with pytest.raises(ValueError, match="data_range=\\(min, max\\)"):
        corrupt(X, "salt_pepper", 0.5, rng, data_range=None)
    assert corrupt(X, "salt_pepper", 0.5, rng, data_range=(0.0, 1.0))[0].shape == (4, 3)


def test_knn_accuracy_needs_the_test_labels_with_the_test_codes(rng):
    Z, y = rng.random((20, 2)), np.arange(20) % 2
    with pytest.raises(DataError, match="no y_test"):
        knn_accuracy(Z, y, Z_test=Z[:5])
    assert 0.0 <= knn_accuracy(Z, y, Z_test=Z[:5], y_test=y[:5], n_neighbors=1) <= 1.0


def test_coordinate_r2_of_a_constant_coordinate_is_an_error(rng):
    Z = rng.random((10, 2))
    tau = np.column_stack([Z[:, 0], np.full(10, 3.0)])
    with pytest.raises(DataError, match=r"column\(s\) \[1\] are constant"):
        coordinate_r2(Z, tau)
    assert coordinate_r2(Z, Z[:, 0]) == pytest.approx(1.0)


def test_count_params_takes_the_specs_network_takes():
    specs = [("encoder.0", 4, 2, "relu"), ("decoder.0", 2, 4, "linear")]  # tied_to left out
    assert count_params(specs) == Network(specs).n_params == 4 * 2 + 2 + 2 * 4 + 4
