"""Quick start: an autoencoder on the embedded 8x8 digits, against PCA
=====================================================================

Train a 64-128-8-128-64 autoencoder on 1,400 of the 1,797 small digits that ship
inside npae, then compare its held-out reconstructions with PCA's at the same code
size: eight numbers per digit. The loss is chosen from the data (pixels in [0, 1]:
binary cross-entropy with a sigmoid output).

Run it as ``python examples/quickstart.py [--quick] [--out DIR]`` (``--out`` saves the
pictures as PNG files; they need matplotlib).
"""

import argparse
import os

import numpy as np

from npae import PCA, Autoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the pictures in (PNG)")
args = parser.parse_args()


def out(name):
    """Where to save a picture: DIR/name with --out DIR, else nowhere."""
    return None if args.out is None else os.path.join(args.out, name)


X, y = load_digits()                      # (1797, 64) pixels in [0, 1], labels 0..9
X_train, X_test = X[:1400], X[1400:]
ae = Autoencoder(hidden=(128, 8), activation="relu", code_activation="linear",
                 epochs=3 if args.quick else 60, batch_size=32, learning_rate=3e-3,
                 random_state=0, verbose=1)
ae.fit(X_train, validation_data=X_test)

codes = ae.transform(X_test)              # (397, 8): the learned features
error = np.mean((ae.reconstruct(X_test) - X_test) ** 2)
baseline = np.mean((PCA(8).fit(X_train).reconstruct(X_test) - X_test) ** 2)
print(f"codes: {codes.shape}; loss chosen: {ae.loss_} with a {ae.output_activation_} output")
print(f"held-out mean squared error per pixel: autoencoder {error:.4f}, PCA(8) {baseline:.4f}")

# %%
# What training did, and what the code keeps
# -------------------------------------------
# ``history_`` holds one number per epoch: the training loss and, because we passed
# ``validation_data``, the loss on the held-out digits. Below it, ten held-out
# digits (top) and what the decoder makes of their eight-number codes (bottom).
from npae.plot import plot_codes, plot_history, plot_reconstructions

curves = plot_history(ae, title="quick start: loss per epoch", path=out("quickstart_history.png"))
pictures = plot_reconstructions(ae, X_test, n=10, path=out("quickstart_reconstructions.png"))

# %%
# The codes, coloured by the digit they encode (the labels were never used in
# training; eight dimensions are drawn through their first two principal components).
scatter = plot_codes(codes, y[1400:], title="held-out codes by digit", color_label="digit",
                     path=out("quickstart_codes.png"))
