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


def gather_rows(X, rows, out=None):
    """Rows ``rows`` of X as an array of ``out``'s dtype, into ``out`` when given.
    X: (N, m); rows: integers in [0, N), (n,); out: (n, m). Into ``out`` the indices are
    not checked (the training loop's own are in range; see below).

    Only those rows are read, so X may be an ``np.memmap`` far larger than memory;
    a different dtype is converted batch by batch."""
    if out is None:
        return np.asarray(X[rows])
    if X.dtype == out.dtype:
        # mode="clip": rows are the loop's own in-range indices, and under the default
        # mode="raise" NumPy gathers into a temporary and copies it to out (3x slower)
        return np.take(X, rows, axis=0, out=out, mode="clip")
    out[...] = X[rows]
    return out


def lr_decay(estimator):
    """``(patience, factor)`` from an estimator's ``lr_decay_patience`` and ``lr_decay_factor``,
    or None for a constant learning rate."""
    if estimator.lr_decay_patience is None:
        return None
    return int(estimator.lr_decay_patience), float(estimator.lr_decay_factor)


def lr_milestones(estimator):
    """``(epochs, factor)`` from an estimator's ``lr_decay_epochs`` and ``lr_decay_factor``,
    or None when the rate is not lowered at fixed epochs."""
    if estimator.lr_decay_epochs is None:
        return None
    return frozenset(int(e) for e in estimator.lr_decay_epochs), float(estimator.lr_decay_factor)


def starting_rate(estimator, epochs_done):
    """The rate an optimizer built after ``epochs_done`` epochs (on resuming after ``load``, a
    divergence or an interrupt) starts at: ``learning_rate`` times ``lr_decay_factor`` once
    per ``lr_decay_epochs`` milestone passed (MultiStepLR's closed form), or once per plateau
    in ``history_`` (the plateau rule replayed by ``plateau_history``)."""
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
    rate (``lower`` is True) and start the wait again."""
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
    first of them (``validated=False``: the epochs to come are such)."""
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
    as validation chose, with the rate lowered where it was lowered then)."""
    return tuple(i for i in range(1, len(learning_rates)) if learning_rates[i] < learning_rates[i - 1])


def minibatch_indices(n_samples, batch_size, rng, shuffle=True):
    """Index arrays of consecutive minibatches of a (seeded) permutation of range(n)."""
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def split_validation(n_samples, fraction, rng):
    """Seeded split of range(n) into (train indices, validation indices)."""
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
    epoch's), record ``(epoch, batch)`` in ``history["diverged_at"]``, then warn and return
    ``result`` or raise."""
    theta[:] = restore
    result["diverged"] = True
    history.setdefault("diverged_at", []).append((epoch, batch))
    msg = (f"training diverged at epoch {epoch}, batch {batch}: {what}. The weights of the last good "
           "epoch were restored. Lower learning_rate, scale the data, or use a bounded activation")
    if on_divergence == "warn":
        warnings.warn(msg, RuntimeWarning, stacklevel=4)
        return result
    raise DivergenceError(msg)


def run_epochs(*, theta, step, train_indices, batch_size, epochs, rng, history, validate=None,
               early_stopping=False, patience=5, on_divergence="raise",
               checkpoint=None, verbose=0, log=None, first_epoch=1, optimizer=None, lr_decay=None,
               lr_milestones=None, monitor="val_loss", plateau_state=None, epoch_start=None):
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
    that ramps up over epochs)."""
    log = log or (lambda line: print(line, file=sys.stdout, flush=True))
    bar = verbose >= 2 and sys.stderr.isatty()
    last_good = theta.copy()
    best_theta = theta.copy() if early_stopping else None
    best, best_epoch, bad_epochs = np.inf, None, 0
    plateau_best, plateau = plateau_state if plateau_state is not None else (np.inf, 0)
    result = {"stopped_early": False, "best_epoch": None, "diverged": False}

    def good():  # the weights a divergence restores
        return best_theta if best_theta is not None and best_epoch is not None else last_good

    start = time.perf_counter()
    n = len(train_indices)
    epoch = first_epoch - 1
    try:
        for epoch in range(first_epoch, first_epoch + epochs):
            t0 = time.perf_counter()
            if epoch_start is not None:
                epoch_start(epoch)
            total, totals = 0.0, {}
            batches = minibatch_indices(n, batch_size, rng)
            for b, idx in enumerate(batches):
                if bar:
                    _progress_bar(epoch, first_epoch + epochs - 1, b, len(batches))
                rows = train_indices[idx]
                with np.errstate(over="ignore", invalid="ignore"):  # a diverging step is caught here
                    loss, parts = step(rows)
                    loss = float(loss)
                    representable = np.isfinite(theta.dtype.type(loss))  # not NaN, inf, or beyond float32
                if not representable:
                    return _diverged(theta, good(), result, history, on_divergence, epoch, b + 1,
                                     f"the loss became {loss}")
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
            if not np.all(np.isfinite(theta)):  # the epoch's last step, whose loss was still finite
                return _diverged(theta, good(), result, history, on_divergence, epoch, len(batches),
                                 "the weights became NaN or infinite")
            for key, value in record.items():
                if key == "val_loss" and value is None:
                    continue
                history.setdefault(key, []).append(value)
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
        theta[:] = last_good
        raise
    if best_theta is not None and best_epoch is not None:
        theta[:] = best_theta
    result["best_epoch"] = best_epoch
    return result
