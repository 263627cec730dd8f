import numpy as np
import pytest

from npae.gradcheck import gradcheck
from npae.layers import Dense
from npae.network import LayerSpec, Network, autoencoder_specs, count_params


def test_layers_are_views_into_one_flat_vector():
    net = Network(autoencoder_specs(6, (4, 3), "tanh", "tanh", "linear", tied=False))
    assert net.theta.ndim == 1 and net.grad.shape == net.theta.shape
    assert net.n_params == count_params(net.specs) == 6 * 4 + 4 + 4 * 3 + 3 + 3 * 4 + 4 + 4 * 6 + 6
    net.theta[:] = np.arange(net.n_params)
    assert net.layers[0].W[0, 1] == 1 and net.layers[0].b[0] == 24
    for layer in net.layers:
        assert np.shares_memory(layer.W, net.theta) and np.shares_memory(layer.dW, net.grad)
    assert net.param_names == ["encoder.0.W", "encoder.0.b", "encoder.1.W", "encoder.1.b",
                               "decoder.0.W", "decoder.0.b", "decoder.1.W", "decoder.1.b"]


def test_tied_layers_share_the_transposed_weights():
    net = Network(autoencoder_specs(6, (4, 3), "tanh", "tanh", "linear", tied=True))
    assert net.param_names == ["encoder.0.W", "encoder.0.b", "encoder.1.W", "encoder.1.b",
                               "decoder.0.b", "decoder.1.b"]
    net.init_params(np.random.default_rng(0))
    np.testing.assert_array_equal(net.layers[3].W, net.layers[0].W.T)
    np.testing.assert_array_equal(net.layers[2].W, net.layers[1].W.T)
    net.layers[0].W[2, 1] = 7.0
    assert net.layers[3].W[1, 2] == 7.0


def test_tied_gradient_is_the_sum_of_both_uses(rng):
    """dL/dW of a tied weight = encoder use + decoder use (checked numerically too)."""
    net = Network(autoencoder_specs(5, (3,), "tanh", "tanh", "linear", tied=True))
    net.init_params(rng)
    X = rng.normal(size=(4, 5))

    def fn():
        net.zero_grad()
        A, caches = net.forward(X)
        D = A - X
        net.backward(2 * D / D.size, caches)
        return float(np.mean(D * D)), [net.grad.copy()]

    report = gradcheck(fn, [net.theta])
    assert report.passed, report.table()


def test_layers_that_do_not_chain_or_have_no_units_are_refused():
    with pytest.raises(ValueError, match="layer b takes 3 inputs, but layer a gives 2"):
        Network([LayerSpec("a", 4, 2, "tanh"), LayerSpec("b", 3, 1, "tanh")])
    with pytest.raises(ValueError, match="layer a has 4 inputs and 0 outputs"):
        Network([LayerSpec("a", 4, 0, "tanh")])


def test_invalid_tie_is_refused():
    with pytest.raises(ValueError, match="cannot be tied"):
        Network([LayerSpec("a", 3, 2, "tanh"), LayerSpec("b", 3, 3, "tanh", tied_to=0)])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "linear"])
def test_dense_layer_gradcheck(activation, rng):
    """One Dense layer alone: gradients of sum(G * A) for W, b and the input X."""
    n, n_in, n_out = 4, 5, 3
    W, b = rng.normal(size=(n_in, n_out)), rng.normal(size=n_out) * 0.1
    dW, db = np.zeros_like(W), np.zeros_like(b)
    X = rng.normal(size=(n, n_in))
    G = rng.normal(size=(n, n_out))
    layer = Dense(W, b, dW, db, activation)
    Z = X @ W + b
    assert np.min(np.abs(Z)) > 1e-3  # away from the relu kink

    def fn():
        dW[...] = 0
        db[...] = 0
        A, cache = layer.forward(X)
        dX = layer.backward(G, cache)
        return float(np.sum(G * A)), [dW.copy(), db.copy(), dX]

    report = gradcheck(fn, [W, b, X])
    assert report.passed, report.table()


@pytest.mark.parametrize("activation,expected_limit", [("tanh", np.sqrt(6 / (300 + 100))),
                                                       ("relu", np.sqrt(6 / 300))])
def test_glorot_and_he_initialisation(activation, expected_limit):
    net = Network([LayerSpec("l", 300, 100, activation)])
    net.init_params(np.random.default_rng(0))
    W = net.layers[0].W
    assert np.abs(W).max() <= expected_limit
    assert np.abs(W).max() > 0.99 * expected_limit
    np.testing.assert_allclose(W.std(), expected_limit / np.sqrt(3), rtol=0.02)
    assert np.all(net.layers[0].b == 0)


def test_copy_casts_and_detaches():
    net = Network(autoencoder_specs(4, (2,), "sigmoid", "sigmoid", "sigmoid", tied=False), dtype=np.float32)
    net.init_params(np.random.default_rng(1))
    other = net.copy(np.float64)
    assert other.theta.dtype == np.float64
    np.testing.assert_array_equal(other.theta, net.theta.astype(np.float64))
    other.theta[0] += 1
    assert other.theta[0] != net.theta[0]
