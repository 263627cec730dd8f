"""Denoising on MNIST: train on masked digits, reconstruct the clean ones
=======================================================================

A denoising autoencoder sees each training image with a fresh 30% of its pixels
zeroed and learns to output the clean image. On held-out digits with 30% of
pixels zeroed it gets closer to the clean digits than a plain autoencoder of the
same shape and budget.

Run it as ``python examples/denoising_mnist.py [--data-dir ../shared/data/mnist]
[--quick] [--out DIR]``. It reads the original IDX ``.gz`` files; with ``--quick``
and no MNIST at hand it uses the embedded 8x8 digits instead.
"""

import argparse
import os
import time

import numpy as np

from npae import Autoencoder, DenoisingAutoencoder
from npae.datasets import load_digits, load_mnist
from npae.errors import DataError

# (sphinx-gallery runs the examples from examples/ and without __file__)
here = os.path.dirname(os.path.abspath(globals().get("__file__", "denoising_mnist.py")))
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--data-dir", default=os.path.join(here, "..", "..", "shared", "data", "mnist"))
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the pictures in (PNG)")
args = parser.parse_args()

try:
    X_train, _ = load_mnist(args.data_dir, kind="train")
    X_test, _ = load_mnist(args.data_dir, kind="test")
    source = "MNIST"
except DataError:
    if not args.quick:
        raise
    X, _ = load_digits(np.float32)
    X_train, X_test, source = X[:1400], X[1400:], "8x8 digits (MNIST not found)"
if args.quick:
    X_train, X_test = X_train[:2000], X_test[:500]
settings = dict(hidden=(256,), activation="sigmoid", epochs=1 if args.quick else 10, batch_size=128,
                learning_rate=1e-3, random_state=0)
X_masked = X_test * (np.random.default_rng(1).random(X_test.shape) >= 0.3)

print(f"{source}: {len(X_train)} training images, {len(X_test)} held out, 30% of test pixels zeroed")
models = {"plain": Autoencoder(**settings), "denoising": DenoisingAutoencoder(**settings)}
for name, model in models.items():
    t0 = time.perf_counter()
    model.fit(X_train)
    error = np.mean((model.reconstruct(X_masked) - X_test) ** 2)
    print(f"{name:<10} MSE to the clean digits {error:.4f}   ({time.perf_counter() - t0:.1f} s)")

# %%
# What each model makes of a masked digit
# ---------------------------------------
# Each picture: clean held-out digits (top), the same digits with 30% of their pixels
# zeroed (middle), and the model's reconstruction of the masked input (bottom). The
# plain autoencoder never saw a masked digit in training; the denoising one learned
# to fill the holes.
from npae.plot import plot_filters, plot_reconstructions


def out(name):
    """Where to save a picture: DIR/name with --out DIR, else nowhere."""
    return None if args.out is None else os.path.join(args.out, name)


denoised = plot_reconstructions(models["denoising"], X_test, n=10, corrupted=X_masked,
                                path=out("denoising_denoised.png"))
plain = plot_reconstructions(models["plain"], X_test, n=10, corrupted=X_masked, path=out("denoising_plain.png"))

# %%
# The denoising model's first-layer filters: the input pattern each hidden unit
# responds to most (red positive weights, blue negative). Trained long enough on
# MNIST they become the localised stroke detectors of Vincent et al. (2010).
filters = plot_filters(models["denoising"], n=36, path=out("denoising_filters.png"))
