"""Penalties added to the reconstruction loss, each returning ``(value, gradient)``.

Like the losses, each penalty computes its value and its gradient in the same
function, so what is reported is what is differentiated.
"""

import numpy as np


def weight_decay(weights, lam):
    """P = lam / 2 * sum_l ||W_l||_F^2 over weight matrices (never biases);  dP/dW_l = lam W_l.

    ``weights``: list of arrays. Returns ``(P, [dP/dW_l])``."""
    value = 0.5 * lam * sum(float(np.sum(W * W, dtype=np.float64)) for W in weights)
    return value, [lam * W for W in weights]
