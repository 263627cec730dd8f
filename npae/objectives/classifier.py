"""What a classifier head minimises: the softmax cross-entropy of its logits,

    L = -mean_i log softmax(z_i)[y_i]  (+ weight_decay / 2 * sum ||W||^2),

and its gradient, in one place (``npae.models.Classifier`` only calls it)."""

from ..losses import output_delta
from .autoencoder import add_weight_decay


def classifier_objective(net, X, Y, weight_decay=0.0, need_dX=False):
    """Softmax cross-entropy of ``net`` (its last layer gives the logits) at one batch,
    and its gradient into ``net.grad``. X: (n, n_in); Y: one-hot (n, n_classes).
    Returns ``(L, parts, dL/dX or None)``.

    Parameters
    ----------
    net : Network
        The classifier, whose last layer is linear and gives the logits.
    X : ndarray of shape (n, n_in)
        The inputs.
    Y : ndarray of shape (n, n_classes)
        The one-hot labels.
    weight_decay : float, default=0.0
        Coefficient of the weight decay (0: none).
    need_dX : bool, default=False
        Whether to compute and return dL/dX.

    Returns
    -------
    L : float
        The loss, the sum of ``parts``.
    parts : dict of str to float
        Its terms: "cross_entropy", and "weight_decay" when used.
    dX : ndarray of shape (n, n_in) or None
        dL/dX if ``need_dX``, else None.

    Examples
    --------
    With zero inputs and zero biases every logit is 0, and the loss is log 2:

    >>> import numpy as np
    >>> from npae.network import Network
    >>> from npae.objectives import classifier_objective
    >>> net = Network([("hidden", 4, 3, "relu"), ("output", 3, 2, "linear")], dtype=np.float64)
    >>> net.init_params(np.random.default_rng(0))
    >>> loss, parts, dX = classifier_objective(net, np.zeros((2, 4)), np.eye(2), need_dX=True)
    >>> round(loss, 4), list(parts), dX.shape
    (0.6931, ['cross_entropy'], (2, 4))
    """
    net.zero_grad()
    A, caches = net.forward(X)
    loss, dZ = output_delta("softmax_cross_entropy", Y, caches[-1][1], A, "linear")
    parts = {"cross_entropy": loss}
    dX = net.backward(dZ, caches, need_dX=need_dX)
    if weight_decay:
        add_weight_decay(net, weight_decay, parts)
    return sum(parts.values()), parts, dX
