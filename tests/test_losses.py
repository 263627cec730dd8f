import numpy as np
import pytest

from npae.gradcheck import gradcheck
from npae.losses import (LOSSES, bce, bce_per_sample, mse, mse_per_sample, output_delta,
                         softmax, softmax_cross_entropy)


def test_mse_is_mean_over_all_elements(rng):
    Y, A = rng.random((5, 7)), rng.random((5, 7))
    loss, grad = mse(Y, A)
    assert loss == pytest.approx(np.sum((A - Y) ** 2) / 35)
    np.testing.assert_allclose(mse_per_sample(Y, A).mean(), loss)


def test_bce_from_logits_equals_probability_form(rng):
    Y, Z = rng.random((6, 4)), rng.normal(size=(6, 4))
    P = 1 / (1 + np.exp(-Z))
    expected = -np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P))
    assert bce(Y, Z)[0] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(bce_per_sample(Y, Z), -np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P), axis=1))


def test_bce_is_exact_at_saturation():
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    Z = np.array([[-800.0, 800.0, -800.0, 800.0]])
    loss, dZ = bce(Y, Z)
    assert np.isfinite(loss)
    assert loss == pytest.approx((800 + 800) / 4)  # the two wrong ones cost |z| each
    np.testing.assert_allclose(dZ, [[0.0, 0.0, -0.25, 0.25]])


def test_bce_keeps_the_digits_of_a_tiny_loss():
    """Confident right logits: each term is log1p(exp(-25)) = 1.3887943864867583e-11, which
    softplus(z) - y z (25 + 1.4e-11 - 25) kept to about 5 digits only."""
    Y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    Z = np.where(Y == 1.0, 25.0, -25.0)
    assert bce(Y, Z)[0] == pytest.approx(np.log1p(np.exp(-25.0)), rel=1e-14, abs=0)
    np.testing.assert_allclose(bce_per_sample(Y, Z), np.log1p(np.exp(-25.0)), rtol=1e-14)


@pytest.mark.parametrize("name,output_activation", [("mse", "sigmoid"), ("mse", "linear"), ("mse", "tanh"),
                                                     ("bce", "sigmoid")])
def test_output_delta_gradcheck(name, output_activation, rng):
    """The reported loss and its gradient agree with several output features."""
    from npae.activations import ACTIVATIONS

    assert LOSSES[name].output_activation in (None, output_activation)

    Y = rng.random((4, 6))
    Z = rng.normal(size=(4, 6))

    def fn():
        A = ACTIVATIONS[output_activation][0](Z)
        return output_delta(name, Y, Z, A, output_activation)[0], [output_delta(name, Y, Z, A, output_activation)[1]]

    report = gradcheck(fn, [Z])
    assert report.passed, report.table()


def test_softmax_cross_entropy(rng):
    Z = rng.normal(size=(5, 3)) * 3
    labels = np.array([0, 2, 1, 1, 0])
    Y = np.eye(3)[labels]
    P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    loss, _ = softmax_cross_entropy(Y, Z)
    assert loss == pytest.approx(-np.mean(np.log(P[np.arange(5), labels])))
    np.testing.assert_allclose(softmax(Z), P)

    report = gradcheck(lambda: softmax_cross_entropy(Y, Z), [Z])
    assert report.passed, report.table()
    # stable for huge logits
    assert np.isfinite(softmax_cross_entropy(Y, Z * 1e4)[0])


def test_float32_stays_float32(rng):
    Y = rng.random((3, 4)).astype(np.float32)
    Z = rng.normal(size=(3, 4)).astype(np.float32)
    assert mse(Y, Z)[1].dtype == np.float32
    assert bce(Y, Z)[1].dtype == np.float32
