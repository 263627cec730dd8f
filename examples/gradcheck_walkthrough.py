"""Gradient checking, step by step: analytic and numeric gradients side by side
=============================================================================

Backpropagation gives the gradient of the loss with respect to every weight in one
backward pass. To trust it, compare it with finite differences: nudge one weight by
+-h, re-evaluate the loss, and take the slope. ``npae.gradcheck`` does this for every
parameter; here we also do it by hand for a few entries, to see it happen, and then
look at how the step h decides what a finite difference can resolve.

Run it as ``python examples/gradcheck_walkthrough.py [--out DIR]``.
"""

import argparse
import os

import numpy as np

from npae import Autoencoder, gradcheck
from npae.objectives import autoencoder_objective

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true", help="(the walkthrough is always small)")
parser.add_argument("--out", default=None, help="folder to save the picture in (PNG)")
args = parser.parse_args()

rng = np.random.default_rng(0)
X = rng.uniform(0.1, 0.9, size=(4, 5))                  # 4 samples, 5 features in [0, 1]
model = Autoencoder(hidden=(3,), activation="tanh", epochs=0, dtype="float64", random_state=0).fit(X)
net, objective = model.network_, model._objective()     # a float64 network over one flat theta

loss, _, _ = autoencoder_objective(net, X, X, objective)  # forward + backward: fills net.grad
analytic = net.grad.copy()
print(f"loss {loss:.6f} ({model.loss_}, mean over all {X.size} elements); {net.n_params} parameters")

# %%
# By hand: nudge one entry of theta, both ways
# --------------------------------------------
h = 1e-5
print(f"\n{'entry':>5} {'parameter':<14} {'analytic':>14} {'numeric':>14} {'rel error':>10}")
for i in [0, 7, 15, 20, 27, net.n_params - 1]:
    old = net.theta[i]
    net.theta[i] = old + h
    up = autoencoder_objective(net, X, X, objective)[0]
    net.theta[i] = old - h
    down = autoencoder_objective(net, X, X, objective)[0]
    net.theta[i] = old
    numeric = (up - down) / (2 * h)                     # centred difference: error O(h^2)
    name = next(n for n, p in zip(net.param_names, net.params()) if np.shares_memory(p, net.theta[i:i + 1]))
    error = abs(analytic[i] - numeric) / max(abs(analytic[i]) + abs(numeric), 1e-5)
    print(f"{i:>5} {name:<14} {analytic[i]:>14.8f} {numeric:>14.8f} {error:>10.1e}")

# %%
# Every entry at once
# -------------------
print("\nnpae.gradcheck over every entry (fourth-order differences) and the input:")
report = gradcheck(model, X)
print(report.table())

# %%
# How small a step? Truncation against rounding
# ---------------------------------------------
# A finite difference errs in two ways. Its formula is exact only as h goes to 0:
# the centred difference ``(f(x+h) - f(x-h)) / 2h`` is off by a term in h^2, the
# fourth-order one that ``gradcheck`` uses by one in h^4. But f is computed in
# float64, each value rounded to about 1e-16 of its size, and dividing the
# difference of two rounded values by h magnifies that rounding by 1/h. The total
# error falls as h grows until truncation takes over: the V below. The fourth-order
# difference keeps its floor up to a larger h than the centred one, so at
# ``gradcheck``'s h = 1e-4 it sits at the bottom of its V, and an absolute error
# around 1e-12 is the best any check can show: hence the 1e-5 floor of the
# denominator in ``rel_error``.
from matplotlib.figure import Figure


def loss_at(i, delta):
    """The loss with entry i of theta moved by delta (then restored)."""
    old = net.theta[i]
    net.theta[i] = old + delta
    value = autoencoder_objective(net, X, X, objective)[0]
    net.theta[i] = old
    return value


i = 7
steps = np.logspace(-12, -0.5, 47)
centred = [(loss_at(i, s) - loss_at(i, -s)) / (2 * s) for s in steps]
fourth = [(loss_at(i, -2 * s) - 8 * loss_at(i, -s) + 8 * loss_at(i, s) - loss_at(i, 2 * s)) / (12 * s)
          for s in steps]
floor = 1e-18  # an error of exactly 0 has no place on a log scale
fig = Figure(figsize=(6.5, 4.2), layout="constrained")
ax = fig.add_subplot()
ax.loglog(steps, np.maximum(np.abs(np.subtract(centred, analytic[i])), floor), "o-", ms=3,
          label="centred difference, truncation O(h²)")
ax.loglog(steps, np.maximum(np.abs(np.subtract(fourth, analytic[i])), floor), "s-", ms=3,
          label="fourth order (gradcheck), O(h⁴)")
ax.axvline(1e-4, color="gray", ls=":", label="gradcheck's h = 1e-4")
ax.set_xlabel("step h")
ax.set_ylabel(f"|numeric - analytic| for theta[{i}]")
ax.set_title("finite differences: truncation error against rounding error")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
if args.out is not None:
    fig.savefig(os.path.join(args.out, "gradcheck_steps.png"), dpi=100)
