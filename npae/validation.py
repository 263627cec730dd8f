"""Input and option checks, run once at the edges (``fit``, ``transform``), never
in the training loop. Every message says what was wrong and how to fix it."""

import mmap
import numbers

import numpy as np

from .errors import DataError, DataTypeError, ParameterError, not_fitted_error


#: Rows checked at a time, so checking a memmap never loads it whole.
CHECK_CHUNK_ROWS = 4096

#: At most this many bytes are read at a time from an array-like (``is_array_like``) by the
#: checks and ``data_range``: a read is a copy, where a memmap's chunk is a view.
READ_CHUNK_BYTES = 2 ** 20


def chunk_rows(X):
    """Rows of X checked at a time: ``CHECK_CHUNK_ROWS``, and for an array-like read by rows
    no more than ``READ_CHUNK_BYTES`` of them (at least one row)."""
    if isinstance(X, np.ndarray):
        return CHECK_CHUNK_ROWS
    row_bytes = int(np.prod(X.shape[1:], dtype=np.int64)) * np.dtype(X.dtype).itemsize
    return max(1, min(CHECK_CHUNK_ROWS, READ_CHUNK_BYTES // max(row_bytes, 1)))


def is_array_like(X):
    """Whether X is a 2-D array read a few rows at a time rather than loaded whole: anything
    with ``shape``, a NumPy ``dtype`` and row indexing that is not a NumPy array (an h5py
    dataset, a zarr array, ...). A NumPy memmap is an array (see ``check_array``); a Dask
    collection is not read this way (each read would recompute its blocks): it is computed
    whole, as before, and streamed with dask-ml's ``Incremental`` instead."""
    if isinstance(X, np.ndarray) or hasattr(X, "__dask_graph__") or not hasattr(X, "__getitem__"):
        return False
    shape, dtype = getattr(X, "shape", None), getattr(X, "dtype", None)
    if shape is None or dtype is None:
        return False
    try:
        return len(shape) == 2 and np.dtype(dtype).kind in "biuf"
    except (TypeError, ValueError):  # e.g. a torch dtype: read through np.asarray
        return False


def all_finite(a):
    """Whether every value of the float array ``a`` is finite. A NaN or infinity makes the dot
    product a . a non-finite, so a finite one settles it in one BLAS call, without the (size of
    ``a``) boolean array; only one that overflows (values beyond 1e19 in float32) looks at each
    value (and so does an array that is not contiguous, which a flat view cannot cover).

    Parameters
    ----------
    a : ndarray
        A float array (e.g. ``theta``, or a chunk of rows of X).

    Returns
    -------
    bool
        True when no value is NaN or infinite.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.validation import all_finite
    >>> all_finite(np.array([1.0, -2.0])), all_finite(np.array([1.0, np.nan]))
    (True, False)
    >>> all_finite(np.array([1e30, 1.0], dtype=np.float32))
    True
    """
    if a.flags.c_contiguous:
        flat = a.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(flat, flat)):
                return True
    return bool(np.all(np.isfinite(a)))


def in_memory(X):
    """Whether X is an ndarray whose values are in memory: not a memmap, nor a view of one
    (``np.asarray`` of a memmap is a plain ndarray over the file's pages)."""
    if not isinstance(X, np.ndarray):
        return False
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return False
        X = X.base
    return not isinstance(X, mmap.mmap)


def check_rows(X, dtype, **options):
    """``check_array`` for data an estimator reads a minibatch or a chunk of rows at a time:
    a memmap, or an array-like read by rows (an h5py dataset, a zarr array: ``is_array_like``),
    is checked chunk by chunk and returned as it is (``in_memory`` tells it apart), converted
    to ``dtype`` as it is read; anything else, and an array-like small enough to be read whole,
    becomes one checked array of ``dtype``. ``options``: ``check_array``'s keywords."""
    keep = isinstance(X, np.memmap) or is_array_like(X)
    # kept, X is converted a minibatch at a time: its values must fit dtype (``fits``)
    X = check_array(X, dtype=None if keep else dtype, fits=dtype if keep else None, **options)
    if keep and in_memory(X):  # a small array-like, read whole: checked in dtype as an array is
        X = check_array(X, dtype=dtype, **options)
    return X


def _fit_limit(have, fits):
    """The largest magnitude a float array of dtype ``have`` may hold to be converted to
    ``fits`` (a narrower float dtype) without overflow, or None when any value fits."""
    have, to = np.dtype(have), np.dtype(fits) if fits is not None else None
    if to is None or have.kind != "f" or to.kind != "f" or have.itemsize <= to.itemsize:
        return None
    return float(np.finfo(to).max)


def _check_within(X, lo, hi, limit, fits, name):
    """X's values, whose range is [lo, hi] (finite), fit ``fits``: else the error says how
    many do not and where the first is (found by a second pass, only then)."""
    if limit is None or (-limit <= lo and hi <= limit):
        return
    n_over, first = 0, None
    step = chunk_rows(X)
    for start in range(0, X.shape[0], step):
        over = np.abs(np.asarray(X[start:start + step])) > limit
        if over.any():
            n_over += int(over.sum())
            first = first or tuple(int(v) for v in np.argwhere(over)[0] + (start, 0))
    r, c = first
    raise DataError(f"{name} has {n_over} value(s) beyond {np.dtype(fits)}'s range (±{limit:.3g}); the first "
                    f"is {float(X[r, c]):g} at row {r}, column {c}. Scale the data, or use dtype='{X.dtype}'")


def check_array(X, *, dtype=np.float64, name="X", n_features=None, unit_interval=False, estimator=None,
                fits=None):
    """Return ``X`` as a 2-D finite array of ``dtype`` (n_samples, n_features).

    Accepts arrays of any real dtype, memmaps, lists of lists and anything with
    ``__array__``; copies only when the dtype differs. ``dtype=None`` keeps the
    array's own (real) dtype and never copies: the checks then run over chunks
    of rows, which is how a memmap larger than memory is validated. With ``dtype=None``
    an array-like read by rows (``is_array_like``: an h5py dataset, a zarr array) of more
    than ``chunk_rows(X)`` rows is returned as it is, checked chunk by chunk, never
    loaded whole; a smaller one, or one to convert to ``dtype``, is read whole by a slice.
    ``fits``: a float dtype X's values must fit, when X is kept in a wider one (a float64 file
    a float32 model converts a minibatch at a time), checked in the same pass."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise DataTypeError(f"{name} is a sparse matrix; npae needs dense input: pass {name}.toarray() "
                            "(an autoencoder reads every feature anyway)")
    if is_array_like(X):
        if dtype is None and X.shape[0] > chunk_rows(X):
            return _check_rows(X, name, n_features, unit_interval, estimator, fits)
        X = np.asarray(X[0:X.shape[0]])  # read whole: small, or to be converted to dtype
    try:
        A = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise DataTypeError(f"{name} could not be read as a numeric array ({exc}); "
                            "pass a 2-D array of numbers of shape (n_samples, n_features)") from None
    if A.dtype.kind == "c":
        raise DataError(f"Complex data not supported: {name} has complex dtype {A.dtype}; pass real "
                        "numbers (e.g. np.abs(X) or np.concatenate([X.real, X.imag], axis=1))")
    if A.dtype.kind not in "biuf":
        try:
            A = A.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise DataTypeError(f"{name} has dtype {A.dtype} whose values are not all numbers ({exc}); "
                                "convert it to a float array first") from None
    if A.ndim != 2:
        hint = (" Reshape your data either using X.reshape(-1, 1) if it has a single feature or "
                "X.reshape(1, -1) if it contains a single sample." if A.ndim == 1 else "")
        raise DataError(f"{name} must be 2-D, of shape (n_samples, n_features); got a "
                        f"{A.ndim}-D array of shape {A.shape}.{hint}")
    _check_shape(A.shape, name, n_features, estimator)
    original = A
    if dtype is not None:
        with np.errstate(over="ignore"):  # values beyond float32's range are reported below
            A = A.astype(dtype, copy=False)
    value_range = None
    if A.dtype.kind == "f":
        n_bad, first, n_over, first_over = 0, None, 0, None
        cast = A is not original and original.dtype.kind in "biuf"
        limit = _fit_limit(A.dtype, fits)
        lo, hi = np.inf, -np.inf
        for start in range(0, A.shape[0], CHECK_CHUNK_ROWS):
            chunk = A[start:start + CHECK_CHUNK_ROWS]
            if unit_interval or limit is not None:  # min and max carry NaN and infinity, and give the range
                chunk_lo, chunk_hi = chunk.min(), chunk.max()
                if np.isfinite(chunk_lo) and np.isfinite(chunk_hi):
                    lo, hi = min(lo, float(chunk_lo)), max(hi, float(chunk_hi))
                    continue
            elif all_finite(chunk):  # one dot product, no boolean array
                continue
            finite = np.isfinite(chunk)
            if not finite.all():
                bad = ~finite
                if cast:  # finite before the cast to a narrower float: an overflow, not a NaN
                    over = bad & np.isfinite(original[start:start + CHECK_CHUNK_ROWS])
                    if over.any():
                        n_over += int(over.sum())
                        first_over = first_over or tuple(int(v) for v in np.argwhere(over)[0] + (start, 0))
                    bad &= ~over
                if bad.any():
                    n_bad += int(bad.sum())
                    first = first or tuple(int(v) for v in np.argwhere(bad)[0] + (start, 0))
        if n_bad:
            r, c = first
            raise DataError(f"{name} contains {n_bad} NaN or infinite value(s); the first is "
                            f"{A[r, c]} at row {r}, column {c}. Remove or impute them before fitting")
        if n_over:
            r, c = first_over
            raise DataError(f"{name} has {n_over} value(s) beyond {A.dtype}'s range "
                            f"(±{np.finfo(A.dtype).max:.3g}); the first is {original[r, c]:g} at row {r}, "
                            f"column {c}. Scale the data, or use dtype='float64'")
        value_range = (lo, hi) if unit_interval or limit is not None else None
        if limit is not None:
            _check_within(A, lo, hi, limit, fits, name)
    if unit_interval:
        _check_unit_interval(A, name, value_range)
    return A


def _check_shape(shape, name, n_features, estimator):
    """At least one sample and one feature, and ``n_features`` of them when given."""
    shape = tuple(int(v) for v in shape)
    for axis, what in ((0, "sample"), (1, "feature")):
        if shape[axis] == 0:
            raise DataError(f"{name} is empty: 0 {what}(s) (shape={shape}) while a minimum of 1 is required.")
    if n_features is not None and shape[1] != n_features:
        raise DataError(f"{name} has {shape[1]} features, but {estimator or 'the model'} is expecting "
                        f"{n_features} features as input; pass data with the same columns as in fit")


def _check_unit_interval(X, name, value_range=None):
    """The Bernoulli likelihood of loss='bce' needs every value of X in [0, 1] (``value_range``:
    X's (min, max) when known)."""
    lo, hi = data_range(X) if value_range is None else value_range
    if lo < 0.0 or hi > 1.0:
        raise DataError(f"loss='bce' needs {name} in [0, 1], but its values range over "
                        f"[{lo:g}, {hi:g}]; scale the data to [0, 1] (e.g. divide by the "
                        "maximum) or use loss='mse'")


def _check_rows(X, name, n_features, unit_interval, estimator, fits=None):
    """``check_array``'s checks of a 2-D array-like of real dtype, ``chunk_rows(X)`` rows at
    a time, in one pass: each chunk's min and max carry any NaN or infinity and give the range
    that ``unit_interval`` and ``fits`` check; returns X itself (read later one minibatch or
    chunk of rows at a time)."""
    shape = tuple(int(v) for v in X.shape)
    _check_shape(shape, name, n_features, estimator)
    value_range = None
    if np.dtype(X.dtype).kind == "f":
        n_bad, first, lo, hi = 0, None, np.inf, -np.inf
        step = chunk_rows(X)
        for start in range(0, shape[0], step):
            chunk = np.asarray(X[start:start + step])
            chunk_lo, chunk_hi = chunk.min(), chunk.max()
            if np.isfinite(chunk_lo) and np.isfinite(chunk_hi):
                lo, hi = min(lo, float(chunk_lo)), max(hi, float(chunk_hi))
                continue
            bad = ~np.isfinite(chunk)
            n_bad += int(bad.sum())
            if first is None:
                r, c = np.argwhere(bad)[0]
                first = (int(r) + start, int(c), chunk[r, c])
            del chunk, bad  # before the next read
        if n_bad:
            r, c, value = first
            raise DataError(f"{name} contains {n_bad} NaN or infinite value(s); the first is "
                            f"{value} at row {r}, column {c}. Remove or impute them before fitting")
        value_range = (lo, hi)
        _check_within(X, lo, hi, _fit_limit(X.dtype, fits), fits, name)
    if unit_interval:
        _check_unit_interval(X, name, value_range)
    return X


def feature_names(X):
    """Column names of a DataFrame-like X (all strings) as an object array, else None."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = [c for c in columns]
    if not names or not all(isinstance(c, str) for c in names):
        return None
    return np.asarray(names, dtype=object)


def data_range(A):
    """(min, max) of A (an array or an array-like read by rows) as floats, read chunk by chunk."""
    lo, hi, step = np.inf, -np.inf, chunk_rows(A)
    for start in range(0, A.shape[0], step):
        chunk = np.asarray(A[start:start + step])
        lo, hi = min(lo, float(chunk.min())), max(hi, float(chunk.max()))
    return lo, hi


def check_random_state(random_state):
    """None -> a fresh Generator; int -> ``np.random.default_rng(int)``; a Generator
    is used as is (and advanced). NumPy's global random state is never used."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    raise ParameterError(f"random_state must be None, an int or a numpy.random.Generator; "
                         f"got {type(random_state).__name__}")


def check_option(name, value, valid):
    """``value`` must be one of ``valid``; the message lists them."""
    if isinstance(value, str) and value in valid:
        return value
    raise ParameterError(f"{name}={value!r} is not valid; choose one of {sorted(valid)}")


def check_number(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """``value`` must be a real number (an integer if ``integer``) in the given range; a 0-d
    array is taken as its number."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or (not integer and not np.isfinite(value)):
        raise ParameterError(f"{name} must be {'an integer' if integer else 'a finite number'}; got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ParameterError(f"{name} must be {'>' if low_open else '>='} {low}; got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ParameterError(f"{name} must be {'<' if high_open else '<='} {high}; got {value!r}")
    return value


def check_training_options(estimator):
    """The options every trained estimator shares (optimizer, schedule, precision, threads);
    returns the numpy dtype it trains in."""
    from .optim import OPTIMIZERS

    e = estimator
    check_number("weight_decay", e.weight_decay, low=0.0)
    check_option("optimizer", e.optimizer, OPTIMIZERS)
    check_number("learning_rate", e.learning_rate, low=0.0, low_open=True)
    check_number("momentum", e.momentum, low=0.0, high=1.0, high_open=True)
    check_number("batch_size", e.batch_size, low=1, integer=True)
    check_number("epochs", e.epochs, low=0, integer=True)
    check_number("patience", e.patience, low=1, integer=True)
    if e.lr_decay_patience is not None:
        check_number("lr_decay_patience", e.lr_decay_patience, low=1, integer=True)
    if e.lr_decay_epochs is not None:
        epochs = e.lr_decay_epochs
        if (not isinstance(epochs, (list, tuple, np.ndarray)) or np.ndim(epochs) != 1
                or any(isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1 for k in epochs)
                or list(epochs) != sorted(set(epochs))):
            raise ParameterError(f"lr_decay_epochs must be None or a list or tuple of increasing positive "
                                 f"epoch numbers, e.g. (30, 60); got {epochs!r}")
        if e.lr_decay_patience is not None:
            raise ParameterError("give lr_decay_patience (lower the rate on plateaus) or lr_decay_epochs "
                                 "(lower it after those epochs), not both")
    check_number("lr_decay_factor", e.lr_decay_factor, low=0.0, high=1.0, low_open=True, high_open=True)
    check_number("validation_fraction", e.validation_fraction, low=0.0, high=1.0, high_open=True)
    check_option("on_divergence", e.on_divergence, {"raise", "warn"})
    dtype = e.dtype if isinstance(e.dtype, str) else np.dtype(e.dtype).name
    check_option("dtype", dtype, {"float32", "float64"})
    if e.n_threads is not None:
        check_number("n_threads", e.n_threads, low=1, integer=True)
    return np.dtype(dtype)


def check_keys(what, found, required, optional=()):
    """A DataError naming the keys of ``found`` (a saved file's metadata) that are missing
    from ``required`` or are neither required nor ``optional``."""
    missing, unknown = set(required) - set(found), set(found) - set(required) - set(optional)
    if missing or unknown:
        raise DataError(f"{what}: " + "; ".join(
            part for part in (missing and f"missing {sorted(missing)}", unknown and f"unknown {sorted(unknown)}")
            if part))


def history_from_file(name, value):
    """A saved ``history_`` (a dict of per-epoch lists) as a fresh dict of lists, or a
    DataError naming ``name``."""
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise DataError(f"{name} must be a dict of lists")
    return {k: list(v) for k, v in value.items()}


def check_is_fitted(estimator, attribute="network_"):
    if not hasattr(estimator, attribute):
        raise not_fitted_error(f"This {type(estimator).__name__} instance is not fitted yet; "
                               "call fit(X) before using this method")
