"""Contractive against plain: how much does the encoder's Jacobian shrink?
========================================================================

The contractive penalty ``lam * ||J_h(x)||_F^2`` makes the code insensitive to small
moves of the input. For a one-layer sigmoid encoder ``h = sigma(xW + b)`` the squared
Frobenius norm has the closed form ``sum_j (h_j (1 - h_j))^2 sum_i W_ij^2``, computed
here by hand from ``get_weights()`` on held-out digits, next to the reconstruction
error each model pays.

Run it as ``python examples/contractive_vs_plain.py [--quick] [--out DIR]``.
"""

import argparse
import os

import numpy as np

from npae import Autoencoder, ContractiveAutoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the pictures in (PNG)")
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


models = {"plain": Autoencoder(**settings),
          "contractive, lam = 0.01": ContractiveAutoencoder(contractive=0.01, **settings),
          "contractive, lam = 0.1": ContractiveAutoencoder(contractive=0.1, **settings)}
norms, errors = {}, {}
print(f"{'model':<28} {'mean ||J||_F^2':>15} {'held-out MSE':>13}")
for name, model in models.items():
    model.fit(X_train)
    norms[name] = jacobian_norm(model, X_test)
    errors[name] = np.mean((model.reconstruct(X_test) - X_test) ** 2)
    print(f"{name:<28} {norms[name]:>15.3f} {errors[name]:>13.4f}")

# %%
# The trade, drawn
# ----------------
# The penalty buys a flatter encoder (left, on a log scale) with some reconstruction
# error (right): lam sets the exchange rate.
from matplotlib.figure import Figure

fig = Figure(figsize=(9, 3.6), layout="constrained")
left, right = fig.subplots(1, 2)
names = list(models)
left.barh(names, [norms[n] for n in names], color="tab:blue")
left.set_xscale("log")
left.set_xlabel("mean ||J_h(x)||_F² on held-out digits")
right.barh(names, [errors[n] for n in names], color="tab:orange")
right.set_xlabel("held-out mean squared error")
right.set_yticks([])
fig.suptitle("contractive penalty: flatter codes for a little reconstruction")
if args.out is not None:
    fig.savefig(os.path.join(args.out, "contractive_tradeoff.png"), dpi=100)

# %%
# The strongest contractive model's filters (each hidden unit's weights as an 8x8 image).
from npae.plot import plot_filters

filters = plot_filters(models["contractive, lam = 0.1"], n=64,
                       path=None if args.out is None else os.path.join(args.out, "contractive_filters.png"))
