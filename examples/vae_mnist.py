"""A variational autoencoder on MNIST: a likelihood, samples from the prior, a latent grid
=========================================================================================

A variational autoencoder's encoder gives a Gaussian posterior q(z|x) over a latent point,
its decoder a Bernoulli likelihood p(x|z) over the pixels, and training maximises the
evidence lower bound (ELBO), in nats per image. Unlike a plain autoencoder it is a
generative model: decoding z ~ N(0, I) gives new digits, and every image gets a
log-likelihood, estimated here with importance samples. Training images are binarized
afresh at every pass (``binarize="dynamic"``), the protocol of the published MNIST numbers;
the test images are binarized once, with a fixed seed.

Run it as ``python examples/vae_mnist.py [--data-dir ../shared/data/mnist] [--quick]
[--out DIR]``. It reads the original IDX ``.gz`` files; with ``--quick`` and no MNIST at hand
it uses the embedded 8x8 digits instead.
"""

import argparse
import os
import time

import numpy as np

from npae import VariationalAutoencoder
from npae.datasets import load_digits, load_mnist
from npae.errors import DataError

# (sphinx-gallery runs the examples from examples/ and without __file__)
here = os.path.dirname(os.path.abspath(globals().get("__file__", "vae_mnist.py")))
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--data-dir", default=os.path.join(here, "..", "..", "shared", "data", "mnist"))
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the pictures in (PNG)")
args = parser.parse_args()
if args.out:
    os.makedirs(args.out, exist_ok=True)

try:
    X_train, _ = load_mnist(args.data_dir, kind="train")
    X_test, y_test = load_mnist(args.data_dir, kind="test")
    source, hidden = "MNIST", (400,)
except DataError:
    if not args.quick:
        raise
    X, y = load_digits(np.float32)
    X_train, X_test, y_test, source, hidden = X[:1400], X[1400:], y[1400:], "8x8 digits (MNIST not found)", (64,)
if args.quick:
    X_train, X_test, y_test = X_train[:3000], X_test[:300], y_test[:300]
X_test = (np.random.default_rng(0).random(X_test.shape) < X_test).astype(np.float32)  # binarized once
epochs = 2 if args.quick else 30

print(f"{source}: {len(X_train)} training images, {len(X_test)} held out (binarized once)")
models = {}
for latent in (2, 20):
    t0 = time.perf_counter()
    vae = VariationalAutoencoder(hidden=hidden + (latent,), activation="relu", binarize="dynamic", epochs=epochs,
                                 batch_size=128, learning_rate=1e-3, random_state=0).fit(X_train)
    models[latent] = vae
    elbo = np.mean(vae.elbo(X_test))
    log_p = np.mean(vae.log_likelihood(X_test, 20 if args.quick else 500))
    print(f"latent {latent:>2}: test ELBO {elbo:8.2f} nats, log p(x) {log_p:8.2f} nats "
          f"(importance-weighted), active units {vae.active_units_}/{latent}   ({time.perf_counter() - t0:.1f} s)")
p = np.clip(X_train.mean(axis=0, dtype=np.float64), 1e-3, 1 - 1e-3)
baseline = np.mean(np.sum(X_test * np.log(p) + (1 - X_test) * np.log(1 - p), axis=1))
print(f"baseline: independent Bernoulli pixels {baseline:.2f} nats")

# %%
# Digits from nothing: samples from the prior
# -------------------------------------------
# Latent points drawn from N(0, I) and decoded (the Bernoulli means): the decoder has
# learned where in latent space the digits are, because the KL term keeps the posteriors
# of the training images close to that prior.
from npae.plot import plot_history, plot_latent_grid, plot_samples, plot_traversals


def out(name):
    """Where to save a picture: DIR/name with --out DIR, else nowhere."""
    return None if args.out is None else os.path.join(args.out, name)


samples = plot_samples(models[20], n=64, path=out("vae_samples.png"))

# %%
# The learned manifold, as in Kingma & Welling's figure 4
# -------------------------------------------------------
# With a 2-D latent space, a grid of points at the prior's quantiles (the inverse normal
# CDF of evenly spaced probabilities) decoded: the digits morph continuously into each other.
grid = plot_latent_grid(models[2], n=15, path=out("vae_latent_grid.png"))

# %%
# One coordinate at a time, and the bound while training
# ------------------------------------------------------
# Each row varies one latent coordinate of a test digit's posterior mean from -2.5 to 2.5;
# inactive coordinates (whose posterior stays at the prior) change nothing.
traversals = plot_traversals(models[20], X_test[0], dims=range(8), path=out("vae_traversals.png"))
history = plot_history(models[20], path=out("vae_history.png"), title="negative ELBO and its parts (nats)")
