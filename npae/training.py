"""The training loop shared by every estimator: minibatches, epochs, validation,
early stopping, history, progress, and recovery when training goes wrong.

The loop knows nothing about autoencoders: it calls ``step(indices)`` to take
one optimizer step on the rows ``indices`` of the training data, and
``validate()`` for the validation loss. It owns the guarantees:

* every epoch appends exactly one entry to each ``history`` list;
* a NaN or infinite loss (or one beyond the model's float precision) restores
  the last good weights -- the best epoch's with early stopping, else the last
  finished epoch's -- records where in ``history["diverged_at"]`` and raises
  ``DivergenceError`` (or warns, with ``on_divergence="warn"``);
* Ctrl-C (``KeyboardInterrupt``) restores the weights of the last completed
  epoch and propagates;
* an epoch of one minibatch (a ``partial_fit`` on a stream's batch) with a *guarded* step,
  and neither validation, checkpoint nor early stopping, keeps no copy of the weights: the
  step applies no update unless its loss and gradient are finite (``apply_update``), and
  Adam's update of finite weights by a finite gradient is finite (its step is at most about
  ``learning_rate`` times a constant), so the weights before the step are never lost: a
  diverging step leaves them as they were. Ctrl-C in the few instructions between the step
  and its epoch's record leaves the step's weights with the epoch unrecorded;
* with early stopping the best epoch's weights are restored at the end;
* with ``lr_decay=(patience, factor)``, the optimizer's learning rate is multiplied
  by ``factor`` after every ``patience`` epochs in a row without a better monitored
  loss (PyTorch's ``ReduceLROnPlateau``, Keras' callback of that name); with
  ``lr_milestones=(epochs, factor)``, after each of those epochs (PyTorch's
  ``MultiStepLR``); ``history["learning_rate"]`` records each epoch's rate.
"""

import sys
import time
import warnings

import numpy as np

from .errors import DivergenceError
from .validation import all_finite


def gather_rows(X, rows, out=None):
    """Rows ``rows`` of X as an array of ``out``'s dtype, into ``out`` when given.
    X: (N, m); rows: integers in [0, N), (n,); out: (n, m). Into ``out`` the indices are
    not checked (the training loop's own are in range; see below).

    Only those rows are read, so X may be an ``np.memmap`` far larger than memory;
    a different dtype is converted batch by batch. An array-like that is not a NumPy array
    (an h5py dataset, a zarr array: ``npae.validation.is_array_like``) is read once per call
    at the rows sorted and without repeats (h5py needs increasing indices), which are then
    put in the order asked for in memory.

    Parameters
    ----------
    X : ndarray of shape (N, m), or an array-like read by rows
        The data: a NumPy array or memmap, or an h5py dataset or zarr array.
    rows : ndarray of shape (n,)
        Integer row indices in [0, N), in any order, repeats allowed.
    out : ndarray of shape (n, m), optional
        Where to write the rows (converted to its dtype); default: a new array.

    Returns
    -------
    ndarray of shape (n, m)
        The rows, in the order of ``rows``: ``out`` itself when it is given.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import gather_rows
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> gather_rows(X, np.array([2, 0]))
    array([[4., 5.],
           [0., 1.]])
    >>> out = np.empty((2, 2), dtype=np.float32)
    >>> gather_rows(X, np.array([3, 3]), out=out) is out, out.dtype
    (True, dtype('float32'))
    """
    if not isinstance(X, np.ndarray):
        return _gather_sorted(X, rows, out)
    if out is None:
        return np.asarray(X[rows])
    if X.dtype == out.dtype:
        # mode="clip": rows are the loop's own in-range indices, and under the default
        # mode="raise" NumPy gathers into a temporary and copies it to out (3x slower)
        return np.take(X, rows, axis=0, out=out, mode="clip")
    out[...] = X[rows]
    return out


def _gather_sorted(X, rows, out=None):
    """``gather_rows`` of an array-like read by rows: one read of the distinct rows in
    increasing order, then reordered (and repeated) in memory."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    reader = getattr(X, "oindex", X)  # zarr: orthogonal selection, the same on zarr 2 and 3
    if len(rows) == 0:
        block = np.empty((0,) + tuple(X.shape[1:]), dtype=X.dtype)
    elif np.all(rows[1:] > rows[:-1]):  # increasing already (validation rows): one read, in order
        block = np.asarray(reader[rows])
    else:
        unique, inverse = np.unique(rows, return_inverse=True)
        block = np.asarray(reader[unique])[inverse]
    if out is None:
        return block
    out[...] = block
    return out


def lr_decay(estimator):
    """``(patience, factor)`` from an estimator's ``lr_decay_patience`` and ``lr_decay_factor``,
    or None for a constant learning rate.

    Parameters
    ----------
    estimator : object
        An estimator (or any object) with ``lr_decay_patience`` and ``lr_decay_factor``.

    Returns
    -------
    tuple of (int, float) or None
        ``(patience, factor)``, or None when ``lr_decay_patience`` is None.

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.training import lr_decay
    >>> lr_decay(Autoencoder(lr_decay_patience=3, lr_decay_factor=0.5))
    (3, 0.5)
    >>> lr_decay(Autoencoder()) is None
    True
    """
    if estimator.lr_decay_patience is None:
        return None
    return int(estimator.lr_decay_patience), float(estimator.lr_decay_factor)


def lr_milestones(estimator):
    """``(epochs, factor)`` from an estimator's ``lr_decay_epochs`` and ``lr_decay_factor``,
    or None when the rate is not lowered at fixed epochs.

    Parameters
    ----------
    estimator : object
        An estimator (or any object) with ``lr_decay_epochs`` and ``lr_decay_factor``.

    Returns
    -------
    tuple of (frozenset of int, float) or None
        The milestone epochs and the factor, or None when ``lr_decay_epochs`` is None.

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.training import lr_milestones
    >>> epochs, factor = lr_milestones(Autoencoder(lr_decay_epochs=(10, 20), lr_decay_factor=0.1))
    >>> sorted(epochs), factor
    ([10, 20], 0.1)
    >>> lr_milestones(Autoencoder()) is None
    True
    """
    if estimator.lr_decay_epochs is None:
        return None
    return frozenset(int(e) for e in estimator.lr_decay_epochs), float(estimator.lr_decay_factor)


def starting_rate(estimator, epochs_done):
    """The rate an optimizer built after ``epochs_done`` epochs (on resuming after ``load``, a
    divergence or an interrupt) starts at: ``learning_rate`` times ``lr_decay_factor`` once
    per ``lr_decay_epochs`` milestone passed (MultiStepLR's closed form), or once per plateau
    in ``history_`` (the plateau rule replayed by ``plateau_history``).

    Parameters
    ----------
    estimator : object
        An estimator with ``learning_rate``, ``lr_decay_epochs``, ``lr_decay_patience``,
        ``lr_decay_factor`` (and ``history_`` when ``lr_decay_patience`` is set).
    epochs_done : int
        The epochs trained so far.

    Returns
    -------
    float
        The learning rate to start the new optimizer at.

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.training import starting_rate
    >>> model = Autoencoder(learning_rate=0.01, lr_decay_epochs=(2, 4), lr_decay_factor=0.5)
    >>> starting_rate(model, 3)
    0.005
    >>> starting_rate(Autoencoder(learning_rate=0.01), 3)
    0.01
    """
    milestones, plateaus = lr_milestones(estimator), lr_decay(estimator)
    if milestones is not None:
        passed = sum(e <= epochs_done for e in milestones[0])
        return estimator.learning_rate * (milestones[1] ** passed if passed else 1.0)
    if plateaus is not None:
        lowered = plateau_history(estimator.history_, plateaus[0])[2]
        return estimator.learning_rate * (plateaus[1] ** lowered if lowered else 1.0)
    return estimator.learning_rate


def plateau_step(best, waited, value, patience):
    """ReduceLROnPlateau's rule for one epoch's monitored ``value``: ``(best, waited, lower)``.
    A value under ``best`` resets the wait; ``patience`` epochs in a row without one lower the
    rate (``lower`` is True) and start the wait again.

    Parameters
    ----------
    best : float
        The best monitored value so far (``np.inf`` at first).
    waited : int
        Epochs in a row without a value under ``best``.
    value : float
        This epoch's monitored value.
    patience : int
        Epochs without improvement before the rate is lowered.

    Returns
    -------
    tuple of (float, int, bool)
        The new ``best`` and ``waited``, and whether to lower the rate now.

    Examples
    --------
    >>> from npae.training import plateau_step
    >>> plateau_step(1.0, 0, 0.5, patience=2)
    (0.5, 0, False)
    >>> plateau_step(0.5, 0, 0.7, patience=2)
    (0.5, 1, False)
    >>> plateau_step(0.5, 1, 0.7, patience=2)
    (0.5, 0, True)
    """
    if value < best:
        return value, 0, False
    if waited + 1 >= patience:
        return best, 0, True
    return best, waited + 1, False


def plateau_history(history, patience, monitor="val_loss", validated=True):
    """``(best, waited, times lowered)`` after the plateau rule has seen every epoch of
    ``history``: the rule's state is a function of the history, so a later ``partial_fit`` or a
    loaded model continues the count instead of starting it again. The monitored value of an
    epoch is its ``monitor`` entry, else its training loss: ``fit``'s validated epochs come
    first and ``partial_fit`` appends unvalidated ones, whose training losses (with penalties
    and noise) are not compared with the best validation loss: the wait starts again at the
    first of them (``validated=False``: the epochs to come are such).

    Parameters
    ----------
    history : dict of str to list of float
        A ``history_``: at least ``"loss"``, and ``monitor`` for validated epochs.
    patience : int
        The plateau rule's patience.
    monitor : str, default="val_loss"
        The history entry watched on validated epochs.
    validated : bool, default=True
        Whether the epochs to come are validated (False for ``partial_fit``).

    Returns
    -------
    tuple of (float, int, int)
        ``(best, waited, times lowered)``.

    Examples
    --------
    >>> from npae.training import plateau_history
    >>> plateau_history({"loss": [3.0, 2.0, 2.5, 2.5], "val_loss": [1.0, 0.9, 0.95, 0.95]}, patience=2)
    (0.9, 0, 1)
    """
    watched = list(history.get(monitor, []))
    unvalidated = list(history.get("loss", []))[len(watched):]
    best, waited, lowered = np.inf, 0, 0
    for values in (watched, unvalidated):
        if values:
            best, waited = np.inf, 0
        for value in values:
            best, waited, lower = plateau_step(best, waited, value, patience)
            lowered += lower
    if not validated and watched and not unvalidated:
        best, waited = np.inf, 0
    return best, waited, lowered


def decay_epochs(learning_rates):
    """The epochs after which a recorded schedule lowered the rate: ``lr_decay_epochs`` that
    replay ``history_["learning_rate"]`` (e.g. to refit on all the data for as many epochs
    as validation chose, with the rate lowered where it was lowered then).

    Parameters
    ----------
    learning_rates : sequence of float
        Each epoch's rate, ``history_["learning_rate"]``.

    Returns
    -------
    tuple of int
        The epochs (counted from 1) after which the rate went down.

    Examples
    --------
    >>> from npae.training import decay_epochs
    >>> decay_epochs([0.1, 0.1, 0.05, 0.05, 0.025])
    (2, 4)
    """
    return tuple(i for i in range(1, len(learning_rates)) if learning_rates[i] < learning_rates[i - 1])


def minibatch_indices(n_samples, batch_size, rng, shuffle=True):
    """Index arrays of consecutive minibatches of a (seeded) permutation of range(n).

    Parameters
    ----------
    n_samples : int
        The number of rows n.
    batch_size : int
        Rows per minibatch (the last one may be shorter).
    rng : numpy.random.Generator
        The generator of the permutation.
    shuffle : bool, default=True
        If False, the rows in order.

    Returns
    -------
    list of ndarray of shape (batch_size,)
        The minibatches' indices; together a permutation of range(n).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import minibatch_indices
    >>> minibatch_indices(5, 2, np.random.default_rng(0), shuffle=False)
    [array([0, 1]), array([2, 3]), array([4])]
    >>> batches = minibatch_indices(5, 2, np.random.default_rng(0))
    >>> sorted(np.concatenate(batches).tolist())
    [0, 1, 2, 3, 4]
    """
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def split_validation(n_samples, fraction, rng):
    """Seeded split of range(n) into (train indices, validation indices).

    Parameters
    ----------
    n_samples : int
        The number of rows n.
    fraction : float
        The share of rows held out for validation.
    rng : numpy.random.Generator
        The generator of the split.

    Returns
    -------
    train : ndarray of shape (n_train,)
        Sorted training indices.
    validation : ndarray of shape (n_val,) or None
        Sorted validation indices; None (and every row in ``train``) when the fraction
        rounds to no row or to every row.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import split_validation
    >>> train, val = split_validation(10, 0.2, np.random.default_rng(0))
    >>> len(train), len(val), sorted(np.concatenate([train, val]).tolist()) == list(range(10))
    (8, 2, True)
    >>> split_validation(3, 0.1, np.random.default_rng(0))
    (array([0, 1, 2]), None)
    """
    n_val = int(round(fraction * n_samples))
    if n_val < 1 or n_val >= n_samples:
        return np.arange(n_samples), None
    order = rng.permutation(n_samples)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _format_epoch(epoch, epochs, record, n_samples, elapsed):
    parts = [f"epoch {epoch:>{len(str(epochs))}}/{epochs}", f"loss {record['loss']:.6f}"]
    if record.get("val_loss") is not None:
        parts.append(f"val_loss {record['val_loss']:.6f}")
    if record.get("val_error") is not None:
        parts.append(f"val_error {record['val_error']:.4f}")
    parts.append(f"{n_samples / max(record['seconds'], 1e-12):,.0f} samples/s")
    parts.append(f"{elapsed:.1f}s")
    return "  ".join(parts)


def _progress_bar(epoch, epochs, batch, n_batches, width=30):
    """A bar within the epoch, redrawn in place on a terminal (verbose >= 2)."""
    done = int(width * batch / n_batches)
    sys.stderr.write(f"\repoch {epoch}/{epochs} [{'#' * done}{'.' * (width - done)}] {batch}/{n_batches}")
    sys.stderr.flush()
    if batch == n_batches - 1:
        sys.stderr.write("\r" + " " * (width + 40) + "\r")


def _diverged(theta, restore, result, history, on_divergence, epoch, batch, what):
    """Restore ``restore`` (the best epoch's weights with early stopping, else the last good
    epoch's; None: a guarded step left them in theta), record ``(epoch, batch)`` in
    ``history["diverged_at"]``, then warn and return ``result`` or raise."""
    if restore is not None:
        theta[:] = restore
    result["diverged"] = True
    # a guarded step held its update back: the optimizer's state is untouched too (``untouched``)
    result["untouched"] = restore is None
    history.setdefault("diverged_at", []).append((epoch, batch))
    msg = (f"training diverged at epoch {epoch}, batch {batch}: {what}. The weights of the last good "
           "epoch were restored. Lower learning_rate, scale the data, or use a bounded activation")
    if on_divergence == "warn":
        warnings.warn(msg, RuntimeWarning, stacklevel=4)
        return result
    error = DivergenceError(msg)
    error.untouched = result["untouched"]
    raise error


def step_is_finite(loss, squared_norm, dtype):
    """A guarded step's rule (``apply_update``, and the data-parallel step that sums the
    squared norm over its ranks): the loss and the gradient's squared norm are finite in the
    weights' ``dtype``. A NaN or infinite entry makes the squared norm so; so does a gradient
    so large that its square overflows (a norm beyond about 1e19 in float32), which Adam's
    second moment could not hold (it would freeze those weights at inf).

    Parameters
    ----------
    loss : float
        The step's loss.
    squared_norm : float
        The gradient's squared norm, ``grad . grad``.
    dtype : numpy dtype
        The weights' dtype.

    Returns
    -------
    bool
        Whether the update may be applied.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import step_is_finite
    >>> step_is_finite(0.5, 4.0, np.float32), step_is_finite(0.5, np.inf, np.float32)
    (True, False)
    >>> step_is_finite(1e39, 4.0, np.float32), step_is_finite(1e39, 4.0, np.float64)
    (False, True)
    """
    to = np.dtype(dtype).type
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(to(loss)) and np.isfinite(to(squared_norm)))


def apply_update(update, loss, grad, guard=False):
    """``update(grad)`` (an optimizer step), unless ``guard`` and the step is not finite
    (``step_is_finite``: the loss, or the gradient's squared norm): then nothing is updated.
    Returns the loss to report: NaN for a finite loss whose gradient was held back, so that
    the training loop sees the divergence.

    Parameters
    ----------
    update : callable
        ``update(grad)``: the optimizer's step.
    loss : float
        The step's loss.
    grad : ndarray of shape (n_params,)
        The gradient the update would apply.
    guard : bool, default=False
        Check the loss and the gradient first (one dot product).

    Returns
    -------
    float
        ``loss``, or NaN when the guard held back the update of a finite loss.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import apply_update
    >>> theta = np.zeros(2)
    >>> def update(grad):
    ...     theta[:] -= grad
    >>> apply_update(update, 0.5, np.array([1.0, np.inf]), guard=True), theta
    (nan, array([0., 0.]))
    >>> apply_update(update, 0.5, np.array([1.0, 2.0]), guard=True), theta
    (0.5, array([-1., -2.]))
    """
    if guard:
        with np.errstate(over="ignore", invalid="ignore"):
            squared_norm = np.dot(grad, grad)
        if not step_is_finite(loss, squared_norm, grad.dtype):
            return held_back_loss(loss, grad.dtype)
    update(grad)
    return loss


def held_back_loss(loss, dtype):
    """The loss a guarded step that held back its update reports: the loss itself when it
    is what went wrong (not finite in ``dtype``), else NaN (the gradient went wrong).

    Parameters
    ----------
    loss : float
        The step's loss.
    dtype : numpy dtype
        The weights' dtype.

    Returns
    -------
    float
        A loss that is not finite in ``dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import held_back_loss
    >>> held_back_loss(np.inf, np.float32), held_back_loss(0.5, np.float32)
    (inf, nan)
    """
    return float(loss) if not step_is_finite(loss, 0.0, dtype) else float("nan")


def step_of(gradient, update, grad):
    """``step(rows, guard=False) -> (loss, parts)`` for ``run_epochs`` from a model's two
    halves: ``gradient(rows) -> (loss, parts)`` fills ``grad``, then ``apply_update``.

    Parameters
    ----------
    gradient : callable
        ``gradient(rows) -> (loss, parts)``, filling ``grad`` with the gradient of the mean
        loss over those rows.
    update : callable
        ``update(grad)``: the optimizer's step.
    grad : ndarray of shape (n_params,)
        The model's gradient buffer (``net.grad``).

    Returns
    -------
    callable
        ``step(rows, guard=False) -> (loss, parts)``.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import step_of
    >>> theta, grad = np.array([4.0]), np.zeros(1)
    >>> def gradient(rows):  # of theta**2
    ...     grad[:] = 2 * theta
    ...     return float(theta[0] ** 2), {}
    >>> def update(g):
    ...     theta[:] -= 0.25 * g
    >>> step_of(gradient, update, grad)(np.arange(2)), theta
    ((16.0, {}), array([2.]))
    """
    def step(rows, guard=False):
        loss, parts = gradient(rows)
        return apply_update(update, loss, grad, guard), parts

    return step


def run_epochs(*, theta, step, train_indices, batch_size, epochs, rng, history, validate=None,
               early_stopping=False, patience=5, on_divergence="raise",
               checkpoint=None, verbose=0, log=None, first_epoch=1, optimizer=None, lr_decay=None,
               lr_milestones=None, monitor="val_loss", plateau_state=None, epoch_start=None, snapshot=None,
               guarded=False):
    """Train for ``epochs`` epochs; returns ``{"stopped_early", "best_epoch", "diverged"}``.

    ``theta``: the flat parameter vector, snapshot and restored in place.
    ``step(indices) -> (loss, parts)``: one optimizer step on those training rows
    (``parts``: dict of named loss terms). ``validate() -> float`` (the ``val_loss``), or a
    dict of validation numbers (e.g. ``{"val_loss": ..., "val_error": ...}``), or None.
    ``monitor``: which of them early stopping, the checkpoint and ``lr_decay`` watch (lower
    is better; the training loss when there is no validation).
    ``checkpoint()``: called after each epoch that improves the monitored loss.
    ``optimizer``: what ``lr_decay = (patience, factor)`` and ``lr_milestones = (epochs,
    factor)`` lower the ``learning_rate`` of (epochs count from 1 over every call, as
    ``first_epoch`` does). ``plateau_state``: ``lr_decay``'s ``(best, waited)`` after the
    epochs before ``first_epoch`` (``plateau_history``), so its count runs over every call.
    ``epoch_start(epoch)``: called before each epoch's first step (e.g. to set a KL weight
    that ramps up over epochs). ``snapshot``: an array of theta's shape and dtype to keep the
    weights a divergence restores in (default: a new copy). ``guarded``: ``step`` takes
    ``guard=True`` (``step_of``) and its optimizer keeps finite weights finite (Adam's); an
    epoch of one minibatch then needs no copy of the weights (see the module's docstring).

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        The flat parameter vector, snapshot and restored in place.
    step : callable
        ``step(indices) -> (loss, parts)``: one optimizer step on those training rows.
    train_indices : ndarray of shape (n_train,)
        The rows of the data to train on.
    batch_size : int
        Rows per minibatch.
    epochs : int
        The number of epochs of this call.
    rng : numpy.random.Generator
        The generator of each epoch's permutation.
    history : dict of str to list
        Appended to in place: one entry per epoch in each list.
    validate : callable or None, default=None
        ``validate() -> float`` or a dict of validation numbers.
    early_stopping : bool, default=False
        Stop after ``patience`` epochs without improvement, restoring the best epoch's weights.
    patience : int, default=5
        Early stopping's patience.
    on_divergence : {"raise", "warn"}, default="raise"
        What a divergence does after restoring the weights.
    checkpoint : callable or None, default=None
        Called after each epoch that improves the monitored loss.
    verbose : int, default=0
        1: a line per epoch; 2: also a progress bar on a terminal.
    log : callable or None, default=None
        ``log(line)`` for the verbose lines (default: print to stdout).
    first_epoch : int, default=1
        The number of this call's first epoch.
    optimizer : object or None, default=None
        The optimizer whose ``learning_rate`` the schedules lower.
    lr_decay : tuple of (int, float) or None, default=None
        ``(patience, factor)`` of the plateau schedule.
    lr_milestones : tuple of (set of int, float) or None, default=None
        ``(epochs, factor)`` of the milestone schedule.
    monitor : str, default="val_loss"
        The record watched by early stopping, the checkpoint and ``lr_decay``.
    plateau_state : tuple of (float, int) or None, default=None
        ``lr_decay``'s ``(best, waited)`` after the earlier epochs.
    epoch_start : callable or None, default=None
        ``epoch_start(epoch)``, called before each epoch's first step.
    snapshot : ndarray of shape (n_params,) or None, default=None
        Where to keep the weights a divergence restores.
    guarded : bool, default=False
        ``step(rows, guard=True)`` updates nothing unless its loss and gradient are finite,
        and its update keeps finite weights finite: epochs of one minibatch keep no copy
        (without ``validate``, ``checkpoint`` and ``early_stopping``).

    Returns
    -------
    dict
        ``{"stopped_early": bool, "best_epoch": int or None, "diverged": bool, "untouched": bool}``
        (``untouched``: a guarded step diverged and held its update back, so the weights and
        the optimizer's state are as they were; a ``DivergenceError`` carries it too).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.training import run_epochs
    >>> theta = np.array([4.0])
    >>> def step(rows):  # gradient descent on theta**2
    ...     loss = float(theta[0] ** 2)
    ...     theta[0] -= 0.25 * theta[0]
    ...     return loss, {}
    >>> history = {}
    >>> result = run_epochs(theta=theta, step=step, train_indices=np.arange(4), batch_size=2,
    ...                     epochs=3, rng=np.random.default_rng(0), history=history)
    >>> result["diverged"], result["best_epoch"], len(history["loss"])
    (False, 3, 3)
    >>> bool(theta[0] < 1.0)
    True
    """
    log = log or (lambda line: print(line, file=sys.stdout, flush=True))
    bar = verbose >= 2 and sys.stderr.isatty()
    n = len(train_indices)
    # one minibatch an epoch and a guarded step: the step itself keeps the weights it starts
    # from when it goes wrong, so no copy of them (a stream's partial_fit costs its step). Not
    # with validation, a checkpoint or early stopping: an interrupt in them, after the step,
    # would leave weights an epoch ahead of the history
    guard = guarded and n <= batch_size and validate is None and checkpoint is None and not early_stopping
    # else the weights a divergence restores, each epoch's start: in the caller's ``snapshot``
    # (an array like theta) when it keeps one between calls, rather than a new array each call
    last_good = None if guard else np.empty_like(theta) if snapshot is None else snapshot
    if last_good is not None:
        last_good[:] = theta
    best_theta = theta.copy() if early_stopping else None
    best, best_epoch, bad_epochs = np.inf, None, 0
    plateau_best, plateau = plateau_state if plateau_state is not None else (np.inf, 0)
    result = {"stopped_early": False, "best_epoch": None, "diverged": False, "untouched": False}

    def good():  # the weights a divergence restores
        return best_theta if best_theta is not None and best_epoch is not None else last_good

    start = time.perf_counter()
    epoch = first_epoch - 1
    checked = False
    try:
        for epoch in range(first_epoch, first_epoch + epochs):
            t0 = time.perf_counter()
            if epoch_start is not None:
                epoch_start(epoch)
            total, totals = 0.0, {}
            checked = False
            batches = minibatch_indices(n, batch_size, rng)
            for b, idx in enumerate(batches):
                if bar:
                    _progress_bar(epoch, first_epoch + epochs - 1, b, len(batches))
                rows = train_indices[idx]
                with np.errstate(over="ignore", invalid="ignore"):  # a diverging step is caught here
                    loss, parts = step(rows, guard=True) if guard else step(rows)
                    loss = float(loss)
                    representable = np.isfinite(theta.dtype.type(loss))  # not NaN, inf, or beyond float32
                if not representable:
                    return _diverged(theta, good(), result, history, on_divergence, epoch, b + 1,
                                     f"the loss or its gradient became {loss}" if guard else f"the loss became {loss}")
                total += loss * len(rows)
                for key, value in parts.items():
                    totals[key] = totals.get(key, 0.0) + float(value) * len(rows)
            record = {"loss": total / n}
            record.update({key: value / n for key, value in totals.items()})
            scores = validate() if validate is not None else None
            record.update(scores if isinstance(scores, dict) else {"val_loss": scores})
            record["seconds"] = time.perf_counter() - t0
            if lr_decay is not None or lr_milestones is not None:
                record["learning_rate"] = optimizer.learning_rate
            if not guard and not all_finite(theta):  # the epoch's last step, whose loss was still finite
                return _diverged(theta, good(), result, history, on_divergence, epoch, len(batches),
                                 "the weights became NaN or infinite")
            for key, value in record.items():
                if key == "val_loss" and value is None:
                    continue
                history.setdefault(key, []).append(value)
            checked = True  # theta is this epoch's end, found finite: an interrupt keeps it
            if last_good is not None and epoch < first_epoch + epochs - 1:  # (not after the last epoch)
                last_good[:] = theta
            if verbose:
                log(_format_epoch(epoch, first_epoch + epochs - 1, record, n, time.perf_counter() - start))
            if lr_milestones is not None and epoch in lr_milestones[0]:
                optimizer.learning_rate *= lr_milestones[1]
                if verbose:
                    log(f"after epoch {epoch}: learning rate lowered to {optimizer.learning_rate:.3g}")
            monitored = record[monitor] if record.get(monitor) is not None else record["loss"]
            if lr_decay is not None:
                plateau_best, plateau, lower = plateau_step(plateau_best, plateau, monitored, lr_decay[0])
                if lower:
                    optimizer.learning_rate *= lr_decay[1]
                    if verbose:
                        log(f"no improvement for {lr_decay[0]} epochs: learning rate lowered to "
                            f"{optimizer.learning_rate:.3g}")
            if monitored < best:
                best, best_epoch, bad_epochs = monitored, epoch, 0
                if best_theta is not None:
                    best_theta[:] = theta
                if checkpoint is not None:
                    checkpoint()
            else:
                bad_epochs += 1
                if early_stopping and bad_epochs >= patience:
                    result["stopped_early"] = True
                    if verbose:
                        log(f"early stopping: no improvement for {patience} epochs; "
                            f"restoring the weights of epoch {best_epoch}")
                    break
    except KeyboardInterrupt:
        if not checked and last_good is not None:
            theta[:] = last_good
        raise
    if best_theta is not None and best_epoch is not None:
        theta[:] = best_theta
    result["best_epoch"] = best_epoch
    return result
