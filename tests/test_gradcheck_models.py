"""Every activation x {mse, bce} x {tied, untied} x {1, 2, 3 hidden layers}: the whole
model's gradient (every parameter and the input) passes the finite-difference check
in float64, with 6 input features."""

import numpy as np
import pytest

from npae import Autoencoder, gradcheck
from npae.activations import ACTIVATIONS

HIDDEN = {1: (4,), 2: (5, 3), 3: (5, 4, 3)}
KINKED = {"relu", "leaky_relu"}


def away_from_kinks(model, X, margin=2e-3):
    """True if no pre-activation of a kinked layer is within ``margin`` of 0."""
    net = model.network_.copy(np.float64)
    _, caches = net.forward(X)
    return all(np.min(np.abs(cache[1])) > margin
               for spec, cache in zip(net.specs, caches) if spec.activation in KINKED)


def fitted_at_init(X, **params):
    """A float64 model initialised on X (0 epochs), re-seeded until no relu kink is near."""
    for seed in range(200):
        model = Autoencoder(epochs=0, dtype="float64", random_state=seed, **params).fit(X)
        if away_from_kinks(model, X):
            return model
    raise AssertionError("no seed keeps the check away from the relu kink")


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_model_gradcheck(activation, loss, tied, depth):
    rng = np.random.default_rng(depth)
    X = rng.uniform(0.05, 0.95, size=(5, 6))
    model = fitted_at_init(X, hidden=HIDDEN[depth], activation=activation, loss=loss, tied=tied)
    report = gradcheck(model, X)
    assert set(report.errors) == set(model.network_.param_names) | {"input"}
    assert report.passed, report.table()
    assert report.max_rel_error <= 1e-6


def test_gradcheck_of_trained_model_with_weight_decay(digits):
    X = digits[0][:20, :16]
    model = Autoencoder(hidden=(6, 3), activation="tanh", weight_decay=0.05, epochs=3,
                        batch_size=5, dtype="float64", random_state=0).fit(X)
    report = gradcheck(model, X[:6])
    assert report.passed, report.table()


def test_gradcheck_of_unfitted_model_leaves_it_unfitted(rng):
    model = Autoencoder(hidden=(3,), activation="tanh", random_state=0)
    report = gradcheck(model, rng.normal(size=(4, 5)))
    assert report.passed, report.table()
    assert not hasattr(model, "network_")


def test_gradcheck_catches_a_wrong_gradient(rng, monkeypatch):
    """The checker can fail: a derivative off by 1% is reported."""
    import npae.activations as act

    forward, derivative = act.ACTIVATIONS["tanh"]
    monkeypatch.setitem(act.ACTIVATIONS, "tanh", (forward, lambda Z, A: 1.01 * derivative(Z, A)))
    X = rng.normal(size=(4, 6))
    model = Autoencoder(hidden=(3,), activation="tanh", loss="mse", random_state=0)
    report = gradcheck(model, X)
    assert not report.passed
    assert report.errors["encoder.0.W"] > 1e-3
    assert "FAILED" in report.table()


def test_gradcheck_samples_large_arrays(rng):
    X = rng.normal(size=(3, 30))
    model = Autoencoder(hidden=(20,), activation="tanh", loss="mse", random_state=0)
    report = gradcheck(model, X, max_checks=25)
    assert report.rows["encoder.0.W"][1] == 25
    assert report.passed, report.table()


def test_a_nan_gradient_anywhere_fails_and_checking_nothing_is_refused():
    """max() over the arrays skipped a NaN that was not first, so a NaN gradient passed."""
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    for grads in ([2 * a, np.array([np.nan])], [np.array([np.nan, 4.0]), 2 * b], [np.array([2.0, np.nan]), 2 * b]):
        report = gradcheck(lambda grads=grads: (float((a ** 2).sum() + (b ** 2).sum()), grads), [a, b])
        assert not report.passed and np.isnan(report.max_rel_error)
    assert gradcheck(lambda: (float((a ** 2).sum() + (b ** 2).sum()), [2 * a, 2 * b]), [a, b]).passed
    with pytest.raises(ValueError, match="max_checks must be a positive integer"):
        gradcheck(lambda: (0.0, [np.zeros(2)]), [np.zeros(2)], max_checks=0)
