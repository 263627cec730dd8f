"""Optimizers that update the flat parameter vector ``theta`` in place.

Both follow PyTorch's update rules exactly (``torch.optim.SGD`` with dampening 0,
``torch.optim.Adam``), so a learning rate tuned there means the same here.
Weight decay is not an optimizer option: it is a penalty in the loss
(``npae.penalties.weight_decay``), so the loss that is reported includes it and
it applies to weights only, never to biases.

Each optimizer keeps its state (velocity, moments) in flat arrays the size of
``theta``; ``step(theta, grad)`` is one pass over them, and ``step(theta, grad, block)``
one pass over a slice of them (a data-parallel rank's block: ``npae.parallel``).
"""

import numpy as np


class SGD:
    """v <- momentum v + g;  theta <- theta - lr v
    (Nesterov: theta <- theta - lr (g + momentum v)); plain SGD when momentum = 0.

    Parameters
    ----------
    n_params : int
        Size of the parameter vector ``theta`` it will update.
    dtype : data-type
        Data type of ``theta`` (and of the velocity).
    learning_rate : float
        The step size lr.
    momentum : float, default=0.0
        The momentum coefficient; 0 keeps no velocity.
    nesterov : bool, default=False
        Whether to use Nesterov's momentum.

    Attributes
    ----------
    velocity : ndarray of shape (n_params,) or None
        The velocity v (None when ``momentum`` is 0).
    t : int
        Number of steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.optim import SGD
    >>> theta = np.array([1.0, 2.0])
    >>> optimizer = SGD(2, np.float64, learning_rate=0.1, momentum=0.9)
    >>> optimizer.step(theta, np.array([1.0, -1.0]))
    >>> optimizer.step(theta, np.array([1.0, -1.0]))
    >>> np.round(theta, 4), optimizer.t
    (array([0.71, 2.29]), 2)
    """

    def __init__(self, n_params, dtype, learning_rate, momentum=0.0, nesterov=False):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_params, dtype=dtype) if momentum else None
        self.t = 0

    def step(self, theta, grad, block=None):
        """One update of ``theta``, in place, from its gradient ``grad``; with ``block`` (a
        slice), of ``theta[block]`` and the velocity's ``block`` only, by their gradient
        (a data-parallel rank's share of a sharded update: ``npae.parallel``).

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The parameters, updated in place.
        grad : ndarray of shape (n_params,), or of ``theta[block]``'s shape
            dL/dtheta (of the block).
        block : slice or None, default=None
            The block of ``theta`` to update; None: all of it. The step count ``t``
            advances by one either way.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.optim import SGD
        >>> theta = np.array([1.0, 2.0])
        >>> SGD(2, np.float64, learning_rate=0.5).step(theta, np.array([1.0, 2.0]))
        >>> theta
        array([0.5, 1. ])
        >>> SGD(2, np.float64, learning_rate=0.5).step(theta, np.array([2.0]), block=slice(1, 2))
        >>> theta
        array([0.5, 0. ])
        """
        self.t += 1
        if block is not None:
            theta = theta[block]
        if self.velocity is None:
            theta -= self.learning_rate * grad
            return
        v = self.velocity if block is None else self.velocity[block]
        v *= self.momentum
        v += grad
        if self.nesterov:
            theta -= self.learning_rate * (grad + self.momentum * v)
        else:
            theta -= self.learning_rate * v


class Adam:
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    theta <- theta - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).

    Parameters
    ----------
    n_params : int
        Size of the parameter vector ``theta`` it will update.
    dtype : data-type
        Data type of ``theta`` (and of the moments).
    learning_rate : float
        The step size lr.
    beta1 : float, default=0.9
        Decay b1 of the first moment m.
    beta2 : float, default=0.999
        Decay b2 of the second moment v.
    eps : float, default=1e-8
        Added to the denominator.

    Attributes
    ----------
    m : ndarray of shape (n_params,)
        The first moment.
    v : ndarray of shape (n_params,)
        The second moment.
    t : int
        Number of steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.optim import Adam
    >>> theta = np.array([1.0, 2.0])
    >>> Adam(2, np.float64, learning_rate=0.1).step(theta, np.array([3.0, -0.5]))
    >>> np.round(theta, 4)  # the first step moves each entry by lr, against its gradient's sign
    array([0.9, 2.1])
    """

    def __init__(self, n_params, dtype, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)
        self.t = 0

    def step(self, theta, grad, block=None):
        """One update of ``theta``, in place, from its gradient ``grad``; with ``block`` (a
        slice), of ``theta[block]`` and the moments' ``block`` only, by their gradient (a
        data-parallel rank's share of a sharded update: ``npae.parallel``).

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The parameters, updated in place.
        grad : ndarray of shape (n_params,), or of ``theta[block]``'s shape
            dL/dtheta (of the block).
        block : slice or None, default=None
            The block of ``theta`` to update; None: all of it. The step count ``t``
            advances by one either way.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.optim import Adam
        >>> theta = np.zeros(3)
        >>> optimizer = Adam(3, np.float64, learning_rate=0.01)
        >>> for _ in range(2):
        ...     optimizer.step(theta, np.array([1.0, -2.0, 0.0]))
        >>> np.round(theta, 4), optimizer.t
        (array([-0.02,  0.02,  0.  ]), 2)
        """
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        m, v = (self.m, self.v) if block is None else (self.m[block], self.v[block])
        if block is not None:
            theta = theta[block]
        m *= b1
        m += (1.0 - b1) * grad
        v *= b2
        v += (1.0 - b2) * (grad * grad)
        step_size = self.learning_rate / (1.0 - b1 ** self.t)
        denom = np.sqrt(v) / np.sqrt(1.0 - b2 ** self.t) + self.eps
        theta -= step_size * (m / denom)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name, n_params, dtype, learning_rate, momentum=0.9, nesterov=False):
    """Build the optimizer registered as ``name`` with the estimator's settings.

    Parameters
    ----------
    name : {"sgd", "adam"}
        The optimizer.
    n_params : int
        Size of the parameter vector.
    dtype : data-type
        Data type of the parameter vector.
    learning_rate : float
        The step size.
    momentum : float, default=0.9
        SGD's momentum (ignored by Adam).
    nesterov : bool, default=False
        Whether SGD uses Nesterov's momentum (ignored by Adam).

    Returns
    -------
    SGD or Adam
        The optimizer, with zero state.

    Raises
    ------
    ValueError
        If ``name`` is not a registered optimizer.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.optim import make_optimizer
    >>> optimizer = make_optimizer("sgd", 3, np.float64, 0.01)
    >>> type(optimizer).__name__, optimizer.momentum, optimizer.velocity.shape
    ('SGD', 0.9, (3,))
    >>> type(make_optimizer("adam", 3, np.float64, 1e-3)).__name__
    'Adam'
    """
    if name == "sgd":
        return SGD(n_params, dtype, learning_rate, momentum=momentum, nesterov=nesterov)
    if name == "adam":
        return Adam(n_params, dtype, learning_rate)
    raise ValueError(f"unknown optimizer {name!r}; valid: {sorted(OPTIMIZERS)}")
