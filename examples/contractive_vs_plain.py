"""Contractive vs plain: how much does the encoder's Jacobian shrink?

The contractive penalty lam * ||J_h(x)||_F^2 makes the code insensitive to small moves
of the input. For a one-layer sigmoid encoder h = sigma(xW + b) the squared Frobenius
norm has the closed form sum_j (h_j (1 - h_j))^2 sum_i W_ij^2, computed here by hand
from get_weights() on held-out digits, next to the reconstruction error each pays.

    python examples/contractive_vs_plain.py [--quick]
"""

import argparse

import numpy as np

from npae import Autoencoder, ContractiveAutoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
args = parser.parse_args()

X, _ = load_digits()
X_train, X_test = X[:1400], X[1400:]
settings = dict(hidden=(64,), activation="sigmoid", epochs=2 if args.quick else 30, batch_size=32,
                learning_rate=3e-3, random_state=0)


def jacobian_norm(model, X):
    """mean_n ||J_h(x_n)||_F^2 = mean_n sum_j (h (1 - h))^2 * sum_i W_ij^2."""
    W, b = model.get_weights()[:2]
    H = 1 / (1 + np.exp(-(X @ W + b)))
    return float(np.mean((H * (1 - H)) ** 2 @ (W ** 2).sum(axis=0)))


print(f"{'model':<28} {'mean ||J||_F^2':>15} {'held-out MSE':>13}")
for name, model in [("plain", Autoencoder(**settings)),
                    ("contractive, lam = 0.01", ContractiveAutoencoder(contractive=0.01, **settings)),
                    ("contractive, lam = 0.1", ContractiveAutoencoder(contractive=0.1, **settings))]:
    model.fit(X_train)
    mse = np.mean((model.reconstruct(X_test) - X_test) ** 2)
    print(f"{name:<28} {jacobian_norm(model, X_test):>15.3f} {mse:>13.4f}")
