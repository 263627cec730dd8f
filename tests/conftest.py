import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def digits():
    from npae.datasets import load_digits

    return load_digits()


@pytest.fixture(scope="session")
def digits_split(digits):
    X, y = digits
    order = np.random.default_rng(0).permutation(len(X))
    tr, te = order[:1400], order[1400:]
    return X[tr], y[tr], X[te], y[te]
