"""What a classifier head minimises: the softmax cross-entropy of its logits,

    L = -mean_i log softmax(z_i)[y_i]  (+ weight_decay / 2 * sum ||W||^2),

and its gradient, in one place (``npae.models.Classifier`` only calls it)."""

from ..losses import output_delta
from .autoencoder import add_weight_decay


def classifier_objective(net, X, Y, weight_decay=0.0, need_dX=False):
    """Softmax cross-entropy of ``net`` (its last layer gives the logits) at one batch,
    and its gradient into ``net.grad``. X: (n, n_in); Y: one-hot (n, n_classes).
    Returns ``(L, parts, dL/dX or None)``."""
    net.zero_grad()
    A, caches = net.forward(X)
    loss, dZ = output_delta("softmax_cross_entropy", Y, caches[-1][1], A, "linear")
    parts = {"cross_entropy": loss}
    dX = net.backward(dZ, caches, need_dX=need_dX)
    if weight_decay:
        add_weight_decay(net, weight_decay, parts)
    return sum(parts.values()), parts, dX
