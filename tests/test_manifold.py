"""Data with a known answer, the metrics that measure a learned manifold, and moving on it."""

import numpy as np
import pytest

from npae import PCA, Autoencoder
from npae.datasets import MANIFOLDS, make_manifold
from npae.errors import DataError
from npae.metrics import continuity, coordinate_r2, knn_accuracy, trustworthiness


# ------------------------------------------------------------------ data
@pytest.mark.parametrize("kind", MANIFOLDS)
def test_make_manifold_shapes_and_seeds(kind):
    X, tau = make_manifold(kind, 200, random_state=0)
    d = 1 if kind == "helix" else 2
    assert X.shape == (200, 3) and tau.shape == (200, d)
    X2, tau2 = make_manifold(kind, 200, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(tau, tau2)


@pytest.mark.parametrize("kind", MANIFOLDS)
def test_ambient_embedding_preserves_distances(kind):
    X3, tau = make_manifold(kind, 100, random_state=1)
    X10, tau10 = make_manifold(kind, 100, ambient_dim=10, random_state=1)
    np.testing.assert_array_equal(tau, tau10)
    d3 = np.linalg.norm(X3[:, None] - X3[None], axis=-1)
    d10 = np.linalg.norm(X10[:, None] - X10[None], axis=-1)
    np.testing.assert_allclose(d10, d3, atol=1e-9)
    noisy, _ = make_manifold(kind, 100, ambient_dim=10, noise=0.1, random_state=1)
    assert 0.07 < np.std(noisy - X10) < 0.13


def test_manifolds_lie_on_their_surfaces():
    X, tau = make_manifold("sphere", 300, random_state=0)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0)
    X, (tau) = make_manifold("torus", 300, random_state=0)
    np.testing.assert_allclose((np.hypot(X[:, 0], X[:, 1]) - 2) ** 2 + X[:, 2] ** 2, 1.0)
    X, tau = make_manifold("helix", 50, random_state=0)
    np.testing.assert_allclose(X[:, 2], tau[:, 0] / (2 * np.pi))
    with pytest.raises(DataError, match="choose one of"):
        make_manifold("klein_bottle")


# ------------------------------------------------------------------ metrics by hand
def test_trustworthiness_by_hand():
    """Five points on a line; the embedding swaps the two ends' order (hand-computed ranks)."""
    X = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    assert trustworthiness(X, X, n_neighbors=1) == 1.0
    Z = np.array([[0.0], [1.0], [2.0], [3.0], [-0.6]])
    # in Z, point 4's nearest neighbour is point 0 (rank 4 in X: 3, 2, 1, 0 are nearer... rank of 0 is 4)
    # and point 0's nearest is point 4 (rank 4 in X); penalty (4-1) + (4-1) = 6
    expected = 1 - 2 / (5 * 1 * (2 * 5 - 3 * 1 - 1)) * 6
    assert trustworthiness(X, Z, n_neighbors=1) == pytest.approx(expected)
    assert continuity(X, Z, n_neighbors=1) == pytest.approx(trustworthiness(Z, X, n_neighbors=1))


def test_trustworthiness_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.manifold")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 7))
    Z = X[:, :2] + 0.3 * rng.normal(size=(150, 2))
    for k in (1, 5, 12):
        assert trustworthiness(X, Z, k) == pytest.approx(sk.trustworthiness(X, Z, n_neighbors=k), rel=1e-12)


def test_knn_accuracy_by_hand():
    Z = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    y = np.array([0, 0, 0, 1, 1, 1])
    assert knn_accuracy(Z, y, n_neighbors=1) == 1.0
    assert knn_accuracy(Z, np.array([0, 1, 0, 1, 0, 1]), n_neighbors=1) == pytest.approx(0.0)
    assert knn_accuracy(Z, y, np.array([[0.05], [4.9]]), np.array([0, 0]), n_neighbors=3) == 0.5


def test_coordinate_r2():
    rng = np.random.default_rng(0)
    tau = rng.normal(size=(100, 2))
    Z = tau @ np.array([[2.0, 1.0], [-1.0, 0.5]]) + 3.0
    assert coordinate_r2(Z, tau) == pytest.approx(1.0)
    assert coordinate_r2(rng.normal(size=(100, 2)), tau) < 0.1


# ------------------------------------------------------------------ what autoencoders learn
def standardised(kind):
    X, tau = make_manifold(kind, 1000, noise=0.01, ambient_dim=10, random_state=0)
    return (X - X.mean(axis=0)) / X.std(), tau


@pytest.mark.parametrize("kind", ["s_curve", "swiss_roll"])
def test_autoencoder_unrolls_better_than_pca(kind):
    X, tau = standardised(kind)
    ae = Autoencoder(hidden=(64, 2), activation="tanh", code_activation="linear", loss="mse", epochs=150,
                     batch_size=32, learning_rate=3e-3, random_state=0).fit(X)
    t_ae = trustworthiness(X, ae.transform(X), n_neighbors=10)
    t_pca = trustworthiness(X, PCA(2).fit_transform(X), n_neighbors=10)
    assert t_ae > t_pca, (t_ae, t_pca)


def test_digit_classes_separate_better_than_with_pca(digits_split):
    Xtr, ytr, Xte, yte = digits_split
    ae = Autoencoder(hidden=(128, 2), activation="relu", code_activation="linear", epochs=60, batch_size=32,
                     learning_rate=3e-3, random_state=0).fit(Xtr)
    pca = PCA(2).fit(Xtr)
    acc_ae = knn_accuracy(ae.transform(Xtr), ytr, ae.transform(Xte), yte)
    acc_pca = knn_accuracy(pca.transform(Xtr), ytr, pca.transform(Xte), yte)
    assert acc_ae > acc_pca + 0.05, (acc_ae, acc_pca)


# ------------------------------------------------------------------ moving on the manifold
@pytest.fixture(scope="module")
def digits_2d(digits):
    X = digits[0]
    return Autoencoder(hidden=(64, 2), activation="relu", code_activation="linear", epochs=10, batch_size=32,
                       learning_rate=3e-3, random_state=0).fit(X), X


def test_sample_from_the_code_region(digits_2d):
    model, X = digits_2d
    Z = model.transform(X).astype(np.float64)
    np.testing.assert_allclose(model.code_mean_, Z.mean(axis=0), rtol=1e-5, atol=1e-6)
    drawn = model.sample(500, random_state=0)
    assert drawn.shape == (500, 64) and np.all((drawn >= 0) & (drawn <= 1))
    codes = model.transform(drawn)
    assert np.all(np.abs(codes.mean(axis=0) - model.code_mean_) < 3 * np.sqrt(np.diag(model.code_cov_)))
    np.testing.assert_array_equal(model.sample(3, random_state=1), model.sample(3, random_state=1))
    near = model.sample(4, around=X[:2], scale=0.01, random_state=0)
    assert near.shape == (8, 64)
    np.testing.assert_allclose(near[:4], np.repeat(model.reconstruct(X[:1]), 4, axis=0), atol=0.05)


def test_interpolate_walks_the_code_line(digits_2d):
    model, X = digits_2d
    path = model.interpolate(X[0], X[1], steps=5)
    assert path.shape == (5, 64)
    np.testing.assert_allclose(path[0], model.reconstruct(X[:1])[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], model.reconstruct(X[1:2])[0], atol=1e-5)
    codes = model.transform(path)
    za, zb = model.transform(X[:2])
    np.testing.assert_allclose(codes[2], (za + zb) / 2, atol=0.3 * np.linalg.norm(zb - za) + 1e-3)
    with pytest.raises(DataError, match="x_a must be one row"):  # it used the first row silently
        model.interpolate(X[:3], X[3:6])
    for bad, match in ((dict(n_samples=-1), "n_samples must be >= 1"), (dict(n_samples=2.5), "an integer"),
                       (dict(scale=-1.0), "scale must be >= 0")):
        with pytest.raises(ValueError, match=match):
            model.sample(**bad)
    with pytest.raises(DataError, match=r"n_neighbors must be an integer in \[1, 1\]"):
        knn_accuracy(codes[:2], [0, 1], n_neighbors=0)


def test_latent_grid(digits_2d, digits):
    model, _ = digits_2d
    codes, images = model.latent_grid(n=6)
    assert codes.shape == (36, 2) and images.shape == (36, 64)
    assert codes[0, 1] > codes[-1, 1] and codes[0, 0] < codes[5, 0]  # top-left to bottom-right
    wide = Autoencoder(hidden=(8,), epochs=1, random_state=0).fit(digits[0])
    with pytest.raises(DataError, match="2-D code"):
        wide.latent_grid()
