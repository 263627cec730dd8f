"""Denoising, contractive (analytic and stochastic), sparse (KL and L1) and weight decay:
exact (gradient-checked), validated, and shown on digits to do what they are named for."""

import numpy as np
import pytest

import npae
from npae import (Autoencoder, ContractiveAutoencoder, DenoisingAutoencoder, SparseAutoencoder,
                  gradcheck)
from npae.activations import ACTIVATIONS, SECOND_DERIVATIVES
from npae.corruption import CORRUPTIONS, corrupt
from npae.errors import ParameterError

from conftest import assert_same_model
from npae.penalties import contractive_analytic

from test_gradcheck_models import fitted_at_init

ALL = sorted(ACTIVATIONS)


def check(X, **params):
    model = fitted_at_init(X, **params)
    report = gradcheck(model, X)
    assert report.passed, report.table()
    return report


def data(loss, seed=0):
    X = np.random.default_rng(seed).uniform(0.05, 0.95, size=(5, 6))
    return X if loss == "bce" else X * 2 - 0.7


# ---------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("name", ALL)
def test_second_derivatives(name):
    z = np.random.default_rng(0).normal(size=(4, 5)) * 2
    z[np.abs(z) < 0.05] += 0.2
    forward, derivative = ACTIVATIONS[name]
    w = np.random.default_rng(1).normal(size=z.shape)

    def fn():
        a = forward(z)
        return float(np.sum(w * derivative(z, a))), [w * SECOND_DERIVATIVES[name](z, a)]

    assert gradcheck(fn, [z]).passed


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("activation", ALL)
def test_gradcheck_contractive_analytic(activation, loss, tied):
    report = check(data(loss), hidden=(4,), activation=activation, loss=loss, tied=tied, contractive=0.3)
    assert "input" in report.errors


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("activation", ALL)
def test_gradcheck_contractive_stochastic(activation, loss, tied):
    check(data(loss), hidden=(5, 3), activation=activation, loss=loss, tied=tied, contractive=0.3,
          contractive_mode="stochastic", contractive_noise=0.2)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("activation", ALL)
def test_gradcheck_sparsity_kl(activation, loss, tied):
    check(data(loss), hidden=(5, 3), activation=activation, code_activation="sigmoid", loss=loss,
          tied=tied, sparsity=0.4, sparsity_target=0.1)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("activation", ALL)
def test_gradcheck_sparsity_l1(activation, loss, tied):
    check(data(loss), hidden=(4,), activation=activation, loss=loss, tied=tied, sparsity=0.4,
          sparsity_mode="l1")


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_gradcheck_corruption_with_noise_fixed(corruption, loss, tied):
    report = check(data(loss), hidden=(5, 3), activation="tanh", loss=loss, tied=tied,
                   corruption=corruption, noise=0.3)
    assert "input" in report.errors


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_gradcheck_everything_combined(loss, tied):
    check(data(loss), hidden=(4,), activation="sigmoid", loss=loss, tied=tied, corruption="gaussian",
          noise=0.1, contractive=0.2, sparsity=0.3, weight_decay=0.05)
    check(data(loss), hidden=(5, 3), activation="softplus", code_activation="sigmoid", loss=loss, tied=tied,
          corruption="masking", noise=0.2, contractive=0.2, contractive_mode="stochastic", sparsity=0.3,
          weight_decay=0.05)


def test_corruption_is_affine_with_fixed_noise(rng):
    """X~ = K * X + C: gradcheck of sum(G * X~) over X with the draw held fixed."""
    X = rng.random((4, 6))
    G = rng.normal(size=X.shape)
    for name in CORRUPTIONS:
        def fn():
            X_tilde, keep = corrupt(X, name, 0.4, np.random.default_rng(3))
            return float(np.sum(G * X_tilde)), [G if keep is None else G * keep]
        assert gradcheck(fn, [X]).passed, name


# ---------------------------------------------------------------- the math itself
@pytest.mark.parametrize("activation", ALL)
def test_analytic_contractive_equals_finite_difference_jacobian(activation, rng):
    """||J_h(x)||_F^2 from a Jacobian built column by column by finite differences."""
    X = rng.uniform(0.1, 0.9, size=(3, 5))
    W, b = rng.normal(size=(5, 4)), rng.normal(size=4) * 0.1
    f = ACTIVATIONS[activation][0]
    Z = X @ W + b
    if activation in ("relu", "leaky_relu"):
        assert np.min(np.abs(Z)) > 1e-3
    value = contractive_analytic(X, W, Z, f(Z), activation, lam=1.0)[0]
    h = 1e-6
    norms = []
    for x in X:
        J = np.column_stack([(f((x + h * e) @ W + b) - f((x - h * e) @ W + b)) / (2 * h) for e in np.eye(5)])
        norms.append(np.sum(J ** 2))
    assert value == pytest.approx(np.mean(norms), rel=1e-7)


def test_corruptions_have_their_statistics():
    rng = np.random.default_rng(0)
    X = np.full((400, 50), 0.5)
    masked, keep = corrupt(X, "masking", 0.3, rng)
    assert abs(np.mean(masked == 0) - 0.3) < 0.01 and np.array_equal(masked, X * keep)
    noisy, _ = corrupt(X, "gaussian", 0.2, rng)
    assert abs(np.std(noisy - X) - 0.2) < 0.005
    sp, keep = corrupt(X, "salt_pepper", 0.2, rng, data_range=(-1.0, 3.0))
    assert abs(np.mean(sp == -1.0) - 0.1) < 0.01 and abs(np.mean(sp == 3.0) - 0.1) < 0.01
    assert np.all((sp == 0.5) == (keep == 1))
    assert not np.array_equal(corrupt(X, "masking", 0.3, rng)[0], masked)  # fresh draw each call


def test_user_corruption_callable(digits):
    X = digits[0][:200]
    calls = []

    def flip_some(Xb, rng):
        calls.append(Xb.shape)
        return np.where(rng.random(Xb.shape) < 0.1, 1.0 - Xb, Xb)

    ae = Autoencoder(hidden=(16,), corruption=flip_some, epochs=2, batch_size=50, random_state=0).fit(X)
    assert len(calls) == 8 and calls[0] == (50, 64)
    assert np.array_equal(ae.transform(X[:5]), ae.transform(X[:5]))  # no corruption at transform
    report = gradcheck(Autoencoder(hidden=(3,), corruption=flip_some, random_state=0), X[:4, :6])
    assert report.passed and "input" not in report.errors


def test_a_corruption_callable_that_works_in_place_leaves_the_target_clean(digits):
    """The callable gets its own copy of the batch: zeroing it in place (a common way to
    write one) no longer zeroes the target the reconstruction is scored against."""
    X = digits[0][:200]

    def zero_in_place(Xb, rng):
        Xb[...] = 0.0
        return Xb

    def zero_copy(Xb, rng):
        return np.zeros_like(Xb)

    params = dict(hidden=(16,), epochs=2, batch_size=50, random_state=0, backend="numpy")
    in_place = Autoencoder(corruption=zero_in_place, **params).fit(X)
    copying = Autoencoder(corruption=zero_copy, **params).fit(X)
    assert in_place.history_["loss"] == copying.history_["loss"]
    assert in_place.history_["loss"][-1] > 0.3  # scored against X, not against zeros


def test_a_denoising_autoencoder_takes_corruption_none(digits):
    """Its default noise is no mistake without a corruption (a grid over corruption takes
    None); a noise given with corruption=None still is."""
    X = digits[0][:100]
    assert DenoisingAutoencoder(hidden=(8,), corruption=None, epochs=1, random_state=0).fit(X).noise == 0.3
    with pytest.raises(ParameterError, match="noise=0.2 has no effect without a corruption"):
        DenoisingAutoencoder(hidden=(8,), corruption=None, noise=0.2, epochs=1).fit(X)


def test_no_corruption_at_inference(digits):
    X = digits[0][:100]
    dae = DenoisingAutoencoder(hidden=(16,), epochs=1, random_state=0).fit(X)
    plain = Autoencoder(**{**dae.get_params(), "corruption": None, "noise": 0.0}).fit(X).set_weights(dae.get_weights())
    np.testing.assert_array_equal(dae.reconstruct(X), plain.reconstruct(X))  # the same weights, no noise
    np.testing.assert_array_equal(dae.score_samples(X), plain.score_samples(X))


# ---------------------------------------------------------------- options and errors
def test_variant_defaults_and_params():
    assert DenoisingAutoencoder().get_params()["corruption"] == "masking"
    assert DenoisingAutoencoder().noise == 0.3
    assert ContractiveAutoencoder().contractive == 0.1
    sae = SparseAutoencoder(sparsity=2.0)
    assert sae.sparsity == 2.0 and sae.sparsity_target == 0.05
    assert set(Autoencoder().get_params()) == set(SparseAutoencoder().get_params())
    assert isinstance(DenoisingAutoencoder(), Autoencoder)


@pytest.mark.parametrize("params,match", [
    (dict(hidden=(8, 4), contractive=0.1), "stochastic"),
    (dict(hidden=(8,), sparsity=0.1, activation="relu"), "code_activation='sigmoid'"),
    (dict(hidden=(8,), noise=0.2), "no effect without a corruption"),
    (dict(hidden=(8,), corruption="blur", noise=0.2), "corruption"),
    (dict(hidden=(8,), corruption="masking", noise=1.5), "noise"),
    (dict(hidden=(8,), sparsity=0.1, sparsity_target=1.0), "sparsity_target"),
    (dict(hidden=(8,), contractive=0.1, contractive_mode="exact"), "contractive_mode"),
])
def test_bad_regularization_options(params, match, rng):
    with pytest.raises(ParameterError, match=match):
        Autoencoder(**params).fit(rng.random((10, 4)))


def test_history_records_each_term(digits):
    X = digits[0][:200]
    ae = Autoencoder(hidden=(16,), contractive=0.1, sparsity=0.1, weight_decay=1e-3, epochs=2,
                     random_state=0).fit(X)
    for key in ("loss", "reconstruction", "contractive", "sparsity", "weight_decay"):
        assert len(ae.history_[key]) == 2
    terms = sum(ae.history_[k][-1] for k in ("reconstruction", "contractive", "sparsity", "weight_decay"))
    assert ae.history_["loss"][-1] == pytest.approx(terms, rel=1e-9)


def test_variants_save_and_load(tmp_path, digits):
    X = digits[0][:100]
    for cls in (DenoisingAutoencoder, ContractiveAutoencoder, SparseAutoencoder):
        model = cls(hidden=(8,), epochs=1, random_state=0).fit(X)
        model.save(tmp_path / "m.npz")
        assert_same_model(npae.load(tmp_path / "m.npz"), model, X)


# ---------------------------------------------------------------- proof of effect
COMMON = dict(hidden=(64,), activation="sigmoid", epochs=30, batch_size=32, learning_rate=3e-3, random_state=0)


def test_denoising_beats_plain_on_masked_digits(digits_split):
    Xtr, _, Xte, _ = digits_split
    plain = Autoencoder(**COMMON).fit(Xtr)
    dae = DenoisingAutoencoder(**COMMON).fit(Xtr)
    Xm = Xte * (np.random.default_rng(1).random(Xte.shape) >= 0.3)
    plain_err = np.mean((plain.reconstruct(Xm) - Xte) ** 2)
    dae_err = np.mean((dae.reconstruct(Xm) - Xte) ** 2)
    assert dae_err < 0.9 * plain_err, (dae_err, plain_err)


def encoder_jacobian_norm(model, X):
    W, b = model.get_weights()[:2]
    Z = X @ W + b
    A = ACTIVATIONS[model.activation][0](Z)
    return float(np.mean((ACTIVATIONS[model.activation][1](Z, A) ** 2) @ (W ** 2).sum(0)))


def test_contractive_shrinks_the_encoder_jacobian(digits_split):
    Xtr, _, Xte, _ = digits_split
    plain = Autoencoder(**COMMON).fit(Xtr)
    cae = ContractiveAutoencoder(**COMMON).fit(Xtr)
    assert encoder_jacobian_norm(cae, Xte) < 0.1 * encoder_jacobian_norm(plain, Xte)


def test_sparse_code_activation_meets_its_target(digits_split):
    Xtr, _, Xte, _ = digits_split
    sae = SparseAutoencoder(**COMMON).fit(Xtr)
    assert abs(sae.transform(Xte).mean() - sae.sparsity_target) < 0.02
    plain_mean = Autoencoder(**COMMON).fit(Xtr).transform(Xte).mean()
    assert plain_mean > 0.2
