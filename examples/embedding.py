"""Embedding a trained encoder in your own code: plain NumPy, then a numba function.

get_weights() returns plain arrays [W1, b1, W2, b2, ...] (encoder layers first), so
the encoder runs anywhere NumPy does — no npae needed at inference time.

    python examples/embedding.py [--quick]
"""

import argparse

import numpy as np

from npae import Autoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
args = parser.parse_args()

X, _ = load_digits()
ae = Autoencoder(hidden=(32, 8), activation="relu", code_activation="linear", epochs=2 if args.quick else 30,
                 batch_size=32, learning_rate=3e-3, random_state=0).fit(X)

# --- ten lines of NumPy: the encoder from its weights -------------------------------
weights = ae.get_weights()
W1, b1, W2, b2 = weights[:4]                     # encoder: 64 -> 32 (relu) -> 8 (linear)


def encode(x):
    h = np.maximum(x @ W1 + b1, 0.0)             # relu(x W1 + b1)
    return h @ W2 + b2                           # linear code


codes = encode(X.astype(np.float32))
print(f"pure NumPy codes match ae.transform: {np.allclose(codes, ae.transform(X), atol=1e-5)}")

# --- inside a numba-jitted function of your own ----------------------------------------
try:
    import numba
except ImportError:
    print("numba is not installed; skipping the jitted version")
else:
    @numba.njit(cache=False)
    def nearest_code(x, W1, b1, W2, b2, bank):
        """Index of the row of ``bank`` whose code is nearest to x's code."""
        h = x @ W1 + b1
        h[h < 0] = 0                              # relu, keeping float32
        z = h @ W2 + b2
        best, best_d = -1, np.inf
        for i in range(bank.shape[0]):
            d = np.sum((bank[i] - z) ** 2)
            if d < best_d:
                best, best_d = i, d
        return best

    x = X[5].astype(np.float32)
    i = nearest_code(x, W1, b1, W2, b2, codes[10:])
    print(f"numba: the digit nearest to sample 5 in code space is sample {10 + i}")
