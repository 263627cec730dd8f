"""Quick start: an autoencoder on the embedded 8x8 digits, compared with PCA.

    python examples/quickstart.py [--quick]
"""

import argparse

import numpy as np

from npae import PCA, Autoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
args = parser.parse_args()

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
