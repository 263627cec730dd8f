"""The optimizers against PyTorch's documented update rules, written out here step by step."""

import numpy as np
import pytest

from npae.optim import SGD, Adam, make_optimizer


def grads(k, size):
    return np.random.default_rng(k).normal(size=size)


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_pytorch_rule(momentum, nesterov):
    theta = np.random.default_rng(0).normal(size=7)
    expected, buf = theta.copy(), None
    opt = SGD(7, np.float64, learning_rate=0.1, momentum=momentum, nesterov=nesterov)
    for k in range(5):
        g = grads(k, 7)
        opt.step(theta, g)
        # torch.optim.SGD: buf = g on the first step, then buf = momentum * buf + g
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + g
            d = g + momentum * buf if nesterov else buf
        else:
            d = g
        expected = expected - 0.1 * d
        np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-15)


def test_adam_matches_pytorch_rule():
    theta = np.random.default_rng(0).normal(size=9)
    expected = theta.copy()
    m, v = np.zeros(9), np.zeros(9)
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    opt = Adam(9, np.float64, learning_rate=lr)
    for t in range(1, 8):
        g = grads(t, 9)
        opt.step(theta, g)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        expected = expected - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-15)


def test_adam_first_step_moves_each_entry_by_lr():
    theta = np.zeros(4)
    Adam(4, np.float64, learning_rate=0.5).step(theta, np.array([3.0, -2.0, 1e-3, 5.0]))
    np.testing.assert_allclose(theta, [-0.5, 0.5, -0.5, -0.5], rtol=1e-4)


def test_updates_are_in_place_and_keep_dtype():
    for name in ("sgd", "adam"):
        theta = np.ones(3, dtype=np.float32)
        opt = make_optimizer(name, 3, np.float32, 0.1)
        opt.step(theta, np.ones(3, dtype=np.float32))
        # the array passed in moved (a first step of either rule is 0.1 against the gradient)
        np.testing.assert_allclose(theta, 0.9, rtol=1e-6)
        assert theta.dtype == np.float32
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("rmsprop", 3, np.float32, 0.1)
