import warnings

import numpy as np
import pytest

from npae.activations import ACTIVATIONS, ELU_ALPHA, LEAKY_RELU_SLOPE
from npae.gradcheck import gradcheck, rel_error

# the obvious formulas, written independently of npae.activations
REFERENCE = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: z * (z > 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "softplus": lambda z: np.log(1 + np.exp(z)),
    "linear": lambda z: z,
}


def test_pytorch_default_constants():
    assert LEAKY_RELU_SLOPE == 0.01 and ELU_ALPHA == 1.0


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_matches_formula(name):
    z = np.linspace(-6, 6, 101) + 0.013  # avoid exactly 0 for the kinked ones
    np.testing.assert_allclose(ACTIVATIONS[name][0](z), REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_passes_gradcheck(name):
    """d/dz sum(w * f(z)) = w * f'(z), checked by finite differences, several outputs."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5)) * 2
    z[np.abs(z) < 0.05] += 0.2  # keep away from the kink of relu-like functions
    w = rng.normal(size=z.shape)
    forward, derivative = ACTIVATIONS[name]

    def fn():
        a = forward(z)
        return float(np.sum(w * a)), [w * derivative(z, a)]

    report = gradcheck(fn, [z])
    assert report.passed, report.table()
    assert report.max_rel_error < 1e-7


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_and_silent(name, dtype):
    z = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            a = ACTIVATIONS[name][0](z)
            d = ACTIVATIONS[name][1](z, a)
    assert a.dtype == dtype and d.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))


def test_sigmoid_and_softplus_saturate_exactly():
    sig, softplus = ACTIVATIONS["sigmoid"][0], ACTIVATIONS["softplus"][0]
    z = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(sig(z), [0.0, 1.0])
    np.testing.assert_array_equal(softplus(z), [0.0, 1e4])


def test_rel_error_definition():
    assert rel_error(1.0, 1.0) == 0
    np.testing.assert_allclose(rel_error(1.0, 3.0), 0.5)
    # below the floor the error is measured against the floor
    np.testing.assert_allclose(rel_error(0.0, 1e-7, tiny=1e-5), 1e-2)
