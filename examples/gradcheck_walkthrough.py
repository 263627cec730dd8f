"""Gradient checking, step by step: analytic and numeric gradients side by side.

Backpropagation gives the gradient of the loss with respect to every weight in one
backward pass. To trust it, compare it with finite differences: nudge one weight by
+-h, re-evaluate the loss, and take the slope. npae.gradcheck does this for every
parameter; here we also do it by hand for a few entries, to see it happen.

    python examples/gradcheck_walkthrough.py [--quick]
"""

import argparse

import numpy as np

from npae import Autoencoder, gradcheck
from npae.objectives import autoencoder_objective

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="(the walkthrough is always small)")
parser.parse_args()

rng = np.random.default_rng(0)
X = rng.uniform(0.1, 0.9, size=(4, 5))                  # 4 samples, 5 features in [0, 1]
model = Autoencoder(hidden=(3,), activation="tanh", epochs=0, dtype="float64", random_state=0).fit(X)
net, objective = model.network_, model._objective()     # a float64 network over one flat theta

loss, _, _ = autoencoder_objective(net, X, X, objective)  # forward + backward: fills net.grad
analytic = net.grad.copy()
print(f"loss {loss:.6f} ({model.loss_}, mean over all {X.size} elements); {net.n_params} parameters")

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

print("\nnpae.gradcheck over every entry (fourth-order differences) and the input:")
report = gradcheck(model, X)
print(report.table())
