"""Embedding a trained encoder in your own code: plain NumPy, then numba
=====================================================================

``get_weights()`` returns plain arrays ``[W1, b1, W2, b2, ...]`` (encoder layers
first), so the encoder runs anywhere NumPy does: no npae needed at inference time.
Here it is in ten lines of NumPy, then inside a numba-jitted function of your own.

Run it as ``python examples/embedding.py [--quick] [--out DIR]``.
"""

import argparse
import os

import numpy as np

from npae import Autoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the picture in (PNG)")
args = parser.parse_args()

X, y = load_digits()
ae = Autoencoder(hidden=(32, 8), activation="relu", code_activation="linear", epochs=2 if args.quick else 30,
                 batch_size=32, learning_rate=3e-3, random_state=0).fit(X)

# %%
# Ten lines of NumPy: the encoder from its weights
# ------------------------------------------------
weights = ae.get_weights()
W1, b1, W2, b2 = weights[:4]                     # encoder: 64 -> 32 (relu) -> 8 (linear)


def encode(x):
    h = np.maximum(x @ W1 + b1, 0.0)             # relu(x W1 + b1)
    return h @ W2 + b2                           # linear code


codes = encode(X.astype(np.float32))
print(f"pure NumPy codes match ae.transform: {np.allclose(codes, ae.transform(X), atol=1e-5)}")

# %%
# Inside a numba-jitted function of your own
# ------------------------------------------
# The weights are ordinary float32 arrays, so a jitted function takes them as
# arguments like any others: here, the nearest neighbour of a digit in code space.
# The products are written as loops over rows of W (numba's ``@`` would need SciPy).
try:
    import numba
except ImportError:
    print("numba is not installed; skipping the jitted version")
else:
    @numba.njit(cache=False)
    def nearest_code(x, W1, b1, W2, b2, bank):
        """Index of the row of ``bank`` whose code is nearest to x's code."""
        h = b1.copy()
        for i in range(W1.shape[0]):              # h = x W1 + b1, one input at a time
            h += x[i] * W1[i]
        h[h < 0] = 0                              # relu, keeping float32
        z = b2.copy()
        for j in range(W2.shape[0]):              # z = h W2 + b2
            z += h[j] * W2[j]
        best, best_d = -1, np.inf
        for i in range(bank.shape[0]):
            d = np.sum((bank[i] - z) ** 2)
            if d < best_d:
                best, best_d = i, d
        return best

    x = X[5].astype(np.float32)
    i = nearest_code(x, W1, b1, W2, b2, codes[10:])
    print(f"numba: the digit nearest to sample 5 in code space is sample {10 + i}")

# %%
# The codes the ten NumPy lines computed, coloured by digit (the first two principal
# components of the eight code units).
from npae.plot import plot_codes

scatter = plot_codes(codes, y, title="codes from the NumPy encoder", color_label="digit",
                     path=None if args.out is None else os.path.join(args.out, "embedding_codes.png"))
