"""The variational autoencoder: its math piece by piece, its bounds, its estimator."""

import math

import numpy as np
import pytest

from npae import Classifier, VariationalAutoencoder, gradcheck, load
from npae.activations import ACTIVATIONS
from npae.errors import DataError, DivergenceError, ParameterError
from npae.kl_divergence import gaussian_kl
from npae.likelihoods import bernoulli_log_likelihood, gaussian_log_likelihood
from npae.models.vae import normal_ppf
from npae.reparameterization import (LOG_VAR_MAX, bounded_log_var, reparameterize_backward,
                                     reparameterize_forward)

from conftest import assert_same_model


def binarized(X, seed=0):
    return (np.random.default_rng(seed).random(X.shape) < X).astype(np.float64)


@pytest.fixture(scope="module")
def trained(digits_split):
    """A VAE on the binarized digits (dynamic binarization), and held-out binarized digits."""
    Xtr, _, Xte, _ = digits_split
    vae = VariationalAutoencoder(hidden=(64, 8), activation="tanh", binarize="dynamic", epochs=40, batch_size=32,
                                 learning_rate=3e-3, random_state=0, dtype="float64").fit(Xtr)
    return vae, Xtr, binarized(Xte)


# ------------------------------------------------------------------ the pieces
def test_kl_is_zero_at_the_prior_and_positive_elsewhere(rng):
    kl, dmu, dlv = gaussian_kl(np.zeros((3, 4)), np.zeros((3, 4)))
    np.testing.assert_array_equal(kl, 0.0)
    np.testing.assert_array_equal(dmu, 0.0)
    np.testing.assert_array_equal(dlv, 0.0)
    mu, lv = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    kl = gaussian_kl(mu, lv)[0]
    assert np.all(kl > 0)
    # against the textbook form: KL = sum log(1/sigma) + (sigma^2 + mu^2 - 1) / 2
    sigma = np.exp(lv / 2)
    np.testing.assert_allclose(kl, np.sum(-np.log(sigma) + (sigma ** 2 + mu ** 2 - 1) / 2, axis=1), rtol=1e-12)


def test_kl_and_reparameterization_pass_the_gradient_check(rng):
    mu, lv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    eps = rng.standard_normal((2, 4, 3))
    upstream = rng.normal(size=(2, 4, 3))

    def kl():
        value, dmu, dlv = gaussian_kl(mu, lv)
        return float(np.sum(value)), [dmu, dlv]

    assert gradcheck(kl, [mu, lv]).passed

    def layer():
        z, cache = reparameterize_forward(mu, lv, eps)
        return float(np.sum(upstream * z)), list(reparameterize_backward(upstream, cache))

    assert gradcheck(layer, [mu, lv]).passed


def test_log_variance_bound_is_smooth_near_identity_and_never_overflows():
    raw = np.array([-30.0, -5.0, 0.0, 5.0, 19.0, 20.0, 21.0, 40.0, 1e4])
    lv, dlv = bounded_log_var(raw)
    assert abs(lv[2]) < 3e-9 and abs(lv[1] + 5.0) < 1e-9       # the identity where it matters
    assert np.all(lv <= LOG_VAR_MAX) and np.all(np.diff(lv) > 0)  # a ceiling, still increasing
    points = raw[:-2].copy()

    def bound():
        value, derivative = bounded_log_var(points)
        return float(np.sum(value)), [derivative]

    assert gradcheck(bound, [points]).passed  # inside, at and beyond the ceiling
    huge = np.array([[1e30, -1e30, 88.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise"):
        lv32, d32 = bounded_log_var(huge)
        var = np.exp(lv32)
    assert lv32.dtype == np.float32 and np.all(np.isfinite(var)) and np.all(np.isfinite(d32))


def test_likelihoods_match_independent_formulas(rng):
    X = (rng.random((4, 6)) < 0.5).astype(float)
    Z = rng.normal(scale=3, size=(4, 6))
    p = 1 / (1 + np.exp(-Z))
    ll, grad = bernoulli_log_likelihood(X, Z)
    np.testing.assert_allclose(ll, np.sum(X * np.log(p) + (1 - X) * np.log(1 - p), axis=1), rtol=1e-12)
    np.testing.assert_allclose(grad, X - p, rtol=1e-12)
    assert np.isfinite(bernoulli_log_likelihood(np.ones((1, 2)), np.array([[800.0, -800.0]]))[0]).all()
    M, s = rng.normal(size=(4, 6)), 0.7
    ll, grad = gaussian_log_likelihood(X, M, s)
    density = np.exp(-(X - M) ** 2 / (2 * s * s)) / np.sqrt(2 * np.pi * s * s)
    np.testing.assert_allclose(ll, np.sum(np.log(density), axis=1), rtol=1e-12)
    np.testing.assert_allclose(grad, (X - M) / s ** 2, rtol=1e-12)


def test_normal_ppf_inverts_the_normal_cdf():
    p = np.array([1e-6, 0.01, 0.0243, 0.2, 0.5, 0.7, 0.99, 1 - 1e-6])
    x = normal_ppf(p)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(cdf, p, rtol=1e-10)
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        normal_ppf([0.0])


# ------------------------------------------------------------------ gradient checks of the whole model
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("samples", [1, 3])
def test_vae_gradcheck_both_likelihoods_beta_and_importance_samples(likelihood, samples, rng):
    X = rng.random((5, 6))
    vae = VariationalAutoencoder(hidden=(5, 4, 3), activation="tanh", likelihood=likelihood, output_std=0.6,
                                 beta=1.7, importance_samples=samples, weight_decay=0.01, random_state=0)
    report = gradcheck(vae, X)
    assert report.passed, report.table()
    assert {"encoder.mu.W", "encoder.log_var.W", "decoder.2.W", "input"} <= set(report.errors)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_vae_gradcheck_every_activation(activation, rng):
    X = rng.random((4, 5))
    vae = VariationalAutoencoder(hidden=(4, 2), activation=activation, importance_samples=2, beta=0.5,
                                 random_state=1)
    report = gradcheck(vae, X)
    assert report.passed, report.table()


def test_vae_gradcheck_without_a_trunk_and_on_a_trained_model(trained, rng):
    assert gradcheck(VariationalAutoencoder(hidden=(3,), likelihood="gaussian", random_state=0),
                     rng.normal(size=(4, 5))).passed
    vae, _, Xte = trained
    report = gradcheck(vae.set_params(importance_samples=2), Xte[:6], max_checks=30)
    vae.set_params(importance_samples=1)
    assert report.passed, report.table()


def test_gradcheck_fails_on_a_wrong_gradient(monkeypatch, rng):
    """The check can fail: a KL gradient off by a factor is caught."""
    import npae.objectives.vae as module

    original = module.gaussian_kl
    monkeypatch.setattr(module, "gaussian_kl", lambda mu, lv: (lambda r: (r[0], 1.5 * r[1], r[2]))(original(mu, lv)))
    assert not gradcheck(VariationalAutoencoder(hidden=(4, 2), random_state=0), rng.random((4, 5))).passed


# ------------------------------------------------------------------ the likelihood estimate
def test_importance_weighted_estimate_converges_to_the_exact_marginal_of_a_linear_gaussian_vae(rng):
    """Linear encoder and decoder with a Gaussian likelihood is probabilistic PCA: the exact
    marginal is x ~ N(b_dec, W_dec^T W_dec + s^2 I)."""
    n_features, k, s = 4, 2, 0.5
    X = rng.normal(size=(300, n_features))
    vae = VariationalAutoencoder(hidden=(k,), likelihood="gaussian", output_std=s, epochs=1, random_state=0,
                                 dtype="float64").fit(X)
    W_dec = rng.normal(size=(k, n_features))
    b_dec = rng.normal(size=n_features)
    # q near, not at, the true posterior N(P^-1 W (x - b) / s^2, P^-1), P = I + W W^T / s^2: its mean
    # shifted, its variance the diagonal's, doubled (a diagonal q cannot be the exact posterior)
    P_inv = np.linalg.inv(np.eye(k) + W_dec @ W_dec.T / s ** 2)
    W_mu = W_dec.T @ P_inv / s ** 2
    b_mu = -b_dec @ W_mu + 0.2
    vae.set_weights([W_mu, b_mu, np.zeros((n_features, k)), np.log(2 * np.diag(P_inv)), W_dec, b_dec])
    X_eval = rng.normal(size=(5, n_features)) + b_dec
    cov = W_dec.T @ W_dec + s * s * np.eye(n_features)
    D = X_eval - b_dec
    exact = -0.5 * (np.einsum("ij,jk,ik->i", D, np.linalg.inv(cov), D)
                    + np.linalg.slogdet(cov)[1] + n_features * np.log(2 * np.pi))
    coarse = vae.log_likelihood(X_eval, importance_samples=1, random_state=0)
    fine = vae.log_likelihood(X_eval, importance_samples=20000, random_state=0)
    assert np.max(np.abs(fine - exact)) < 0.03, (fine, exact)
    assert np.mean(np.abs(coarse - exact)) > 5 * np.mean(np.abs(fine - exact))
    assert np.mean(vae.elbo(X_eval)) < np.mean(exact)


def test_bounds_grow_with_importance_samples_on_a_trained_model(trained):
    vae, _, Xte = trained
    X = Xte[:120]
    elbo = np.mean(vae.elbo(X))
    iw5, iw50, iw1000 = (np.mean(vae.log_likelihood(X, s, random_state=0)) for s in (5, 50, 1000))
    assert elbo <= iw5 + 0.05 and iw5 <= iw50 + 0.05 and iw50 <= iw1000 + 0.05, (elbo, iw5, iw50, iw1000)
    assert iw1000 - elbo > 0.1


def test_vae_beats_a_factorised_bernoulli_baseline_and_samples_look_like_digits(trained, digits_split):
    vae, Xtr, Xte = trained
    p = np.clip(Xtr.mean(axis=0), 1e-3, 1 - 1e-3)
    baseline = np.mean(np.sum(Xte * np.log(p) + (1 - Xte) * np.log(1 - p), axis=1))
    assert vae.score(Xte) > baseline + 1.0
    # samples from the prior lie near real digits; samples of independent pixels do not
    samples = vae.sample(200, random_state=0)
    independent = np.random.default_rng(0).random((200, Xtr.shape[1])) < p

    def nearest(A):
        return np.sqrt(((A[:, None, :] - Xtr[None]) ** 2).sum(-1).min(axis=1)).mean()

    assert nearest(samples) < 0.75 * nearest(independent.astype(float))


# ------------------------------------------------------------------ the estimator
def test_shapes_ranges_and_determinism(trained):
    vae, Xtr, Xte = trained
    n, k = len(Xte), 8
    assert vae.transform(Xte).shape == (n, k) and vae.latent_dim_ == k
    mu, log_var = vae.posterior(Xte)
    np.testing.assert_array_equal(mu, vae.transform(Xte))
    assert log_var.shape == (n, k)
    decoded = vae.decode(mu)
    assert decoded.shape == Xte.shape and decoded.min() >= 0 and decoded.max() <= 1
    np.testing.assert_array_equal(vae.reconstruct(Xte), decoded)
    np.testing.assert_array_equal(vae.sample(5, random_state=3), vae.sample(5, random_state=3))
    assert vae.sample(5).shape == (5, Xte.shape[1])
    # a row's ELBO does not depend on the rows it is scored with, or their order
    full = vae.elbo(Xte[:50])
    np.testing.assert_allclose(vae.elbo(Xte[10:20]), full[10:20], rtol=1e-12)
    np.testing.assert_allclose(vae.elbo(Xte[:50][::-1]), full[::-1], rtol=1e-12)
    np.testing.assert_array_equal(vae.score_samples(Xte[:50]), full)
    assert vae.score(Xte[:50]) == pytest.approx(full.mean())
    assert not np.allclose(vae.elbo(Xte[:50], random_state=1), full)


def test_history_fitted_attributes_and_warmup(digits_split):
    Xtr = digits_split[0]
    vae = VariationalAutoencoder(hidden=(16, 3), epochs=5, kl_warmup=2, beta=2.0, validation_fraction=0.2,
                                 random_state=0).fit(Xtr)
    h = vae.history_
    assert {"loss", "reconstruction", "kl", "beta", "val_loss", "seconds"} <= set(h)
    assert all(len(v) == 5 for v in h.values())
    assert h["beta"] == [0.0, 1.0, 2.0, 2.0, 2.0]
    assert vae.kl_per_dimension_.shape == (3,) and np.all(vae.kl_per_dimension_ >= 0)
    assert 0 <= vae.active_units_ <= 3 and vae.n_iter_ == 5
    # the loss is the negative bound: reconstruction + beta * KL, epoch by epoch (beta 0: no KL)
    assert h["loss"][0] == pytest.approx(h["reconstruction"][0])
    vae.partial_fit(Xtr)
    assert vae.history_["beta"][-1] == 2.0 and vae.n_iter_ == 6


def test_traverse_interpolate_and_latent_grid(digits_split):
    Xtr = digits_split[0]
    vae = VariationalAutoencoder(hidden=(16, 2), epochs=3, random_state=0).fit(Xtr)
    values = [-2.0, 0.0, 2.0]
    out = vae.traverse(Xtr[0], 1, values)
    z = np.repeat(vae.transform(Xtr[:1]).astype(np.float64), 3, axis=0)
    z[:, 1] = values
    np.testing.assert_allclose(out, vae.decode(z), rtol=1e-6)
    assert vae.interpolate(Xtr[0], Xtr[1], 4).shape == (4, 64)
    codes, images = vae.latent_grid(5)
    assert codes.shape == (25, 2) and images.shape == (25, 64)
    np.testing.assert_allclose(codes[:5, 0], normal_ppf((np.arange(5) + 0.5) / 5))
    assert codes[0, 1] > codes[-1, 1]
    with pytest.raises(ParameterError, match="dim must be <= 1"):
        vae.traverse(Xtr[0], 2, values)
    wide = VariationalAutoencoder(hidden=(4, 3), epochs=1, random_state=0).fit(Xtr)
    with pytest.raises(DataError, match="2-D latent"):
        wide.latent_grid()


def test_importance_weighted_training_runs_and_improves(digits_split):
    Xtr = digits_split[0]
    vae = VariationalAutoencoder(hidden=(32, 4), importance_samples=5, epochs=6, random_state=0).fit(Xtr)
    assert vae.history_["loss"][-1] < vae.history_["loss"][0]


def test_bad_input_gets_clear_errors(digits_split):
    Xtr = digits_split[0]
    with pytest.raises(DataError, match="binarize.*|likelihood='gaussian'"):
        VariationalAutoencoder(likelihood="bernoulli", epochs=1).fit(Xtr * 2)
    with pytest.raises(DataError, match="binarize='dynamic'"):
        VariationalAutoencoder(binarize="dynamic", likelihood="gaussian", epochs=1).fit(Xtr - 0.5)
    for params, message in (({"importance_samples": 0}, "importance_samples"), ({"beta": -1}, "beta"),
                            ({"likelihood": "poisson"}, "likelihood"), ({"output_std": 0}, "output_std"),
                            ({"binarize": "static"}, "binarize"), ({"kl_warmup": 1.5}, "kl_warmup"),
                            ({"hidden": ()}, "hidden")):
        with pytest.raises(ParameterError, match=message):
            VariationalAutoencoder(epochs=1, **params).fit(Xtr)
    vae = VariationalAutoencoder(hidden=(8, 2), epochs=1, random_state=0).fit(Xtr)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        vae.elbo(Xtr * 3)
    with pytest.raises(DataError, match="64 features"):
        vae.transform(Xtr[:, :10])


def test_gaussian_likelihood_is_chosen_for_real_valued_data(rng):
    X = rng.normal(size=(200, 5))
    vae = VariationalAutoencoder(hidden=(8, 2), epochs=2, random_state=0).fit(X)
    assert vae.likelihood_ == "gaussian" and vae.output_activation_ == "linear"
    assert np.all(np.isfinite(vae.elbo(X)))


def test_save_load_round_trip(trained, tmp_path):
    vae, _, Xte = trained
    vae.save(tmp_path / "vae.npz")
    loaded = load(tmp_path / "vae.npz")
    assert_same_model(loaded, vae, Xte[:30])
    np.testing.assert_array_equal(loaded.elbo(Xte[:30]), vae.elbo(Xte[:30]))
    np.testing.assert_array_equal(loaded.kl_per_dimension_, vae.kl_per_dimension_)
    assert loaded.active_units_ == vae.active_units_ and loaded.likelihood_ == vae.likelihood_
    np.testing.assert_array_equal(loaded.sample(4, random_state=0), vae.sample(4, random_state=0))


def test_get_weights_follows_the_contract_layout(digits_split):
    vae = VariationalAutoencoder(hidden=(16, 12, 3), epochs=1, random_state=0).fit(digits_split[0])
    shapes = [w.shape for w in vae.get_weights()]
    assert shapes == [(64, 16), (16,), (16, 12), (12,), (12, 3), (3,), (12, 3), (3,),
                      (3, 12), (12,), (12, 16), (16,), (16, 64), (64,)]
    single = VariationalAutoencoder(hidden=(3,), epochs=1, random_state=0).fit(digits_split[0])
    assert [w.shape for w in single.get_weights()] == [(64, 3), (3,), (64, 3), (3,), (3, 64), (64,)]


def test_divergence_restores_the_last_good_weights(digits_split):
    Xtr = digits_split[0]
    vae = VariationalAutoencoder(hidden=(16, 2), activation="relu", likelihood="gaussian", epochs=1,
                                 random_state=0, dtype="float64").fit(Xtr)
    good = vae.get_weights()
    vae.set_params(learning_rate=1e12, optimizer="sgd", momentum=0.0)
    vae._optimizer = None
    with pytest.raises(DivergenceError):
        vae.partial_fit(Xtr * 1e3)
    assert all(np.all(np.isfinite(w)) for w in vae.get_weights())
    for a, b in zip(vae.get_weights(), good):
        np.testing.assert_array_equal(a, b)


def test_float32_training_with_a_huge_log_variance_stays_finite(digits_split):
    Xtr = digits_split[0]
    vae = VariationalAutoencoder(hidden=(16, 2), epochs=1, random_state=0).fit(Xtr)
    weights = vae.get_weights()
    weights[5] = weights[5] + np.float32(1e4)  # the log-variance head's bias: exp(1e4) would overflow
    vae.set_weights(weights)
    with np.errstate(over="raise", invalid="raise"):
        assert np.all(np.isfinite(vae.elbo(Xtr[:20])))
    vae.partial_fit(Xtr)
    assert np.all(np.isfinite(vae.network_.theta))


@pytest.mark.parametrize("freeze", [True, False])
def test_classifier_starts_from_the_posterior_mean_encoder(trained, digits_split, freeze):
    vae = trained[0]
    Xtr, ytr, Xte, yte = digits_split
    clf = Classifier(encoder=vae, freeze_encoder=freeze, epochs=30, random_state=0).fit(Xtr, ytr)
    start = clf.encoder_network_ if freeze else clf.network_
    if freeze:
        np.testing.assert_allclose(start.predict(Xte), vae.transform(Xte), rtol=1e-5, atol=1e-6)
    assert clf.score(Xte, yte) > 0.7


# ------------------------------------------------------------------ command line and pictures
def run_cli(*args):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.getcwd(), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "npae", *args], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("latent", ["2", "4"])
def test_npae_train_kind_vae_writes_its_report(tmp_path, latent):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    proc = run_cli("train", "--kind", "vae", "--latent", latent, "--binarize", "--beta", "1.5", "--epochs", "3",
                   "--limit", "500", "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    vae = load(out / "model.npz")
    assert isinstance(vae, VariationalAutoencoder) and vae.latent_dim_ == int(latent)
    assert vae.binarize == "dynamic" and vae.beta == 1.5 and vae.hidden == (128, int(latent))
    report = (out / "report.txt").read_text()
    assert "log p(x), 100 importance samples" in report and "active units" in report and "baseline" in report
    pictures = {"samples.png", "history.png", "latent_grid.png" if latent == "2" else "traversals.png"}
    assert pictures <= {p.name for p in out.iterdir()}
    assert "samples.png" in (out / "report.html").read_text()


def test_vae_options_are_refused_for_other_kinds_and_vice_versa(tmp_path):
    proc = run_cli("train", "--beta", "2", "--epochs", "1", "--quiet", "--out", str(tmp_path / "a"))
    assert proc.returncode == 2 and "options of --kind vae" in proc.stderr
    proc = run_cli("train", "--kind", "vae", "--noise", "0.3", "--epochs", "1", "--quiet", "--out", str(tmp_path / "b"))
    assert proc.returncode == 2 and "--noise is not an option of --kind vae" in proc.stderr


def test_plot_samples_and_traversals(trained, tmp_path):
    pytest.importorskip("matplotlib")
    from npae import plot

    vae, _, Xte = trained
    plot.plot_samples(vae, n=10, path=tmp_path / "s.png")
    figure = plot.plot_traversals(vae, Xte[0], values=[-1, 0, 1], dims=[0, 3], path=tmp_path / "t.png")
    assert (tmp_path / "s.png").stat().st_size > 0 and (tmp_path / "t.png").stat().st_size > 0
    image = figure.axes[0].images[0].get_array()
    assert image.shape == (2 * 9, 3 * 9)  # 2 rows of 3 images of 8x8, 1-pixel gaps
