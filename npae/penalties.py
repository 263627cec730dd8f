"""Penalties added to the reconstruction loss, each returning its value and its gradients.

Like the losses, each penalty computes its value and its gradient in the same
function, so what is reported is what is differentiated. Means are over the
samples of the batch (n rows), so a penalty's size does not depend on the
batch size.

* ``weight_decay``:          lam / 2 * sum_l ||W_l||_F^2  (weights, never biases)
* ``contractive_analytic``:  lam * mean_n ||J_h(x_n)||_F^2 for ONE layer h = f(xW + b),
                             with ||J_h(x)||_F^2 = sum_j f'(z_j)^2 sum_i W_ij^2
* ``contractive_stochastic``: lam * mean_n ||h(x_n) - h(x~_n)||^2, x~ = x + noise
                             (an estimate of the same quantity for any depth)
* ``sparsity_kl``:           beta * sum_j KL(rho || rho_hat_j), rho_hat_j = mean_n a_nj
* ``sparsity_l1``:           beta * mean_n sum_j ``|a_nj|``
"""

import numpy as np

from .activations import ACTIVATIONS, SECOND_DERIVATIVES

#: rho_hat is kept inside [KL_EPS, 1 - KL_EPS] so the KL divergence stays finite.
KL_EPS = 1e-7


def weight_decay(weights, lam):
    """P = lam / 2 * sum_l ||W_l||_F^2 over weight matrices (never biases);  dP/dW_l = lam W_l.

    ``weights``: list of arrays. Returns ``(P, [dP/dW_l])``.

    Parameters
    ----------
    weights : list of ndarray
        The weight matrices W_l, each of shape (n_in, n_out).
    lam : float
        The weight-decay coefficient.

    Returns
    -------
    P : float
        The penalty, summed in float64.
    grads : list of ndarray
        dP/dW_l = lam W_l, one per matrix, of its shape.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.penalties import weight_decay
    >>> value, grads = weight_decay([np.array([[1.0, 2.0], [0.0, 2.0]])], 0.5)
    >>> value
    2.25
    >>> grads[0]
    array([[0.5, 1. ],
           [0. , 1. ]])
    """
    value = 0.5 * lam * sum(float(np.sum(W * W, dtype=np.float64)) for W in weights)
    return value, [lam * W for W in weights]


def contractive_analytic(X, W, Z, A, activation, lam):
    """P = lam * mean_n sum_j f'(Z_nj)^2 * w_j, with w_j = sum_i W_ij^2.

    The one-layer encoder is A = f(X @ W + b): X (n, d), W (d, k), Z and A (n, k).
    Gradients (D = f'(Z), D2 = f''(Z))::

      dP/dW_ij = lam * 2 W_ij * mean_n D_nj^2          (through w_j)
               + sum_n X_ni * G_nj                      (through Z)
      dP/db_j  = sum_n G_nj,   dP/dX = G @ W.T,   G = dP/dZ = lam * 2 D * D2 * w / n.

    Returns ``(P, dW, db, dX)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The layer's input.
    W : ndarray of shape (d, k)
        Its weights.
    Z : ndarray of shape (n, k)
        Its pre-activation ``X @ W + b``.
    A : ndarray of shape (n, k)
        Its activation f(Z).
    activation : str
        Name of f, a key of ``npae.activations.ACTIVATIONS``.
    lam : float
        The contractive coefficient.

    Returns
    -------
    P : float
        The penalty.
    dW : ndarray of shape (d, k)
        dP/dW.
    db : ndarray of shape (k,)
        dP/db.
    dX : ndarray of shape (n, d)
        dP/dX.

    Examples
    --------
    A linear layer's Jacobian is W itself, so P = lam * ``||W||_F^2`` whatever X:

    >>> import numpy as np
    >>> from npae.penalties import contractive_analytic
    >>> X, W = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0], [2.0]])
    >>> value, dW, db, dX = contractive_analytic(X, W, X @ W, X @ W, "linear", 0.1)
    >>> round(value, 4)
    0.5
    >>> dW
    array([[0.2],
           [0.4]])
    >>> db.shape, dX.shape
    ((1,), (2, 2))
    """
    n = X.shape[0]
    D = ACTIVATIONS[activation][1](Z, A)
    D2 = SECOND_DERIVATIVES[activation](Z, A)
    w = np.sum(W * W, axis=0)                       # (k,)
    S = D * D                                       # (n, k): f'(z)^2
    value = lam * float(np.sum(S @ w.astype(np.float64))) / n
    G = (2.0 * lam / n) * (D * D2 * w)              # dP/dZ, (n, k)
    dW = (2.0 * lam) * W * S.mean(axis=0) + X.T @ G
    return value, dW, G.sum(axis=0), G @ W.T


def contractive_stochastic(H, H_tilde, lam):
    """P = lam * mean_n ||H_n - H~_n||^2;  dP/dH = 2 lam (H - H~) / n = -dP/dH~.

    H, H_tilde: codes of x and of its noisy copy, (n, k). Returns ``(P, dP/dH, dP/dH~)``.

    Parameters
    ----------
    H : ndarray of shape (n, k)
        The codes of the inputs.
    H_tilde : ndarray of shape (n, k)
        The codes of their noisy copies.
    lam : float
        The contractive coefficient.

    Returns
    -------
    P : float
        The penalty, summed in float64.
    dH : ndarray of shape (n, k)
        dP/dH.
    dH_tilde : ndarray of shape (n, k)
        dP/dH~ = -dP/dH.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.penalties import contractive_stochastic
    >>> value, dH, dH_tilde = contractive_stochastic(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]]), 0.5)
    >>> value
    0.5
    >>> dH, dH_tilde
    (array([[0., 1.]]), array([[-0., -1.]]))
    """
    n = H.shape[0]
    D = H - H_tilde
    value = lam * float(np.sum(D * D, dtype=np.float64)) / n
    dH = (2.0 * lam / n) * D
    return value, dH, -dH


def sparsity_kl(A, rho, beta):
    """P = beta * sum_j [rho log(rho / r_j) + (1 - rho) log((1 - rho) / (1 - r_j))], r_j = mean_n A_nj;
    dP/dA_nj = beta * (-rho / r_j + (1 - rho) / (1 - r_j)) / n.

    A: code activations in (0, 1), (n, k). Returns ``(P, dP/dA)``.

    Parameters
    ----------
    A : ndarray of shape (n, k)
        The code activations, in (0, 1).
    rho : float
        The target mean activation, in (0, 1).
    beta : float
        The sparsity coefficient.

    Returns
    -------
    P : float
        The penalty.
    dA : ndarray of shape (n, k)
        dP/dA, of the dtype of ``A``.

    Examples
    --------
    Zero when every unit's mean activation is the target:

    >>> import numpy as np
    >>> from npae.penalties import sparsity_kl
    >>> value, dA = sparsity_kl(np.array([[0.1, 0.3], [0.3, 0.1]]), 0.2, 3.0)
    >>> abs(value) < 1e-12, np.allclose(dA, 0.0)
    (True, True)
    >>> value, dA = sparsity_kl(np.array([[0.5, 0.5], [0.5, 0.5]]), 0.2, 3.0)
    >>> round(value, 4), np.round(dA[0], 4)
    (1.1565, array([1.8, 1.8]))
    """
    n = A.shape[0]
    r = np.clip(A.mean(axis=0, dtype=np.float64), KL_EPS, 1.0 - KL_EPS)
    value = beta * float(np.sum(rho * np.log(rho / r) + (1.0 - rho) * np.log((1.0 - rho) / (1.0 - r))))
    dr = beta * (-rho / r + (1.0 - rho) / (1.0 - r))
    return value, np.broadcast_to((dr / n).astype(A.dtype), A.shape).copy()


def sparsity_l1(A, beta):
    """P = beta * mean_n sum_j ``|A_nj|``;  dP/dA = beta * sign(A) / n.  A: (n, k).
    Returns ``(P, dP/dA)``.

    Parameters
    ----------
    A : ndarray of shape (n, k)
        The code activations.
    beta : float
        The sparsity coefficient.

    Returns
    -------
    P : float
        The penalty, summed in float64.
    dA : ndarray of shape (n, k)
        dP/dA.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.penalties import sparsity_l1
    >>> value, dA = sparsity_l1(np.array([[1.0, -2.0], [0.0, 3.0]]), 0.5)
    >>> value
    1.5
    >>> dA
    array([[ 0.25, -0.25],
           [ 0.  ,  0.25]])
    """
    n = A.shape[0]
    return beta * float(np.sum(np.abs(A), dtype=np.float64)) / n, (beta / n) * np.sign(A)


SPARSITY = {"kl": sparsity_kl, "l1": sparsity_l1}
