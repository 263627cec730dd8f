"""What each model minimises, apart from the estimators that train it.

An objective is a function of (network, batch, settings) -> (loss, parts, gradient): it
fills ``net.grad`` with dL/dtheta and returns the loss, its named terms and, on request,
dL/dinput. A new kind of model adds one objective and one estimator; the training loop,
the fused step and the gradient checker serve them all. Nothing here imports an estimator.

* ``autoencoder_objective``: reconstruction + contractive + sparsity + weight decay;
* ``classifier_objective``: softmax cross-entropy (+ weight decay);
* ``vae_objective``: the negative evidence lower bound (or importance-weighted bound).
"""

from .autoencoder import Objective, add_weight_decay, autoencoder_objective
from .classifier import classifier_objective
from .vae import VAEObjective, vae_objective

__all__ = ["Objective", "VAEObjective", "add_weight_decay", "autoencoder_objective", "classifier_objective",
           "vae_objective"]
