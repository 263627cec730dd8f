"""npae's exceptions: one hierarchy, each also a built-in type scikit-learn users expect.

Catch ``NpaeError`` for anything npae raises on purpose; catch ``ValueError``
(or ``TypeError``) as you would with scikit-learn.
"""

import functools


class NpaeError(Exception):
    """Base class of every error npae raises on purpose.

    Each subclass is also the built-in type a scikit-learn user expects (``ValueError``,
    ``TypeError``, ...), so either can be caught.

    See Also
    --------
    DataError, DataTypeError, ParameterError, ModelFileError, NotFittedError, DivergenceError

    Examples
    --------
    >>> from npae.backend import resolve_backend
    >>> from npae.errors import NpaeError
    >>> try:
    ...     resolve_backend("gpu")
    ... except NpaeError as error:
    ...     print(type(error).__name__)
    ParameterError
    """


class NotFittedError(NpaeError, ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``
    (ValueError and AttributeError, like scikit-learn's ``NotFittedError``).

    Raised by every estimator's ``transform``, ``predict``, ``save``, ... before ``fit``.
    Where the program has imported scikit-learn, the error raised is also scikit-learn's
    ``NotFittedError`` (see ``not_fitted_error``).

    Examples
    --------
    >>> from npae import PCA
    >>> PCA().transform([[0.0, 1.0]])
    Traceback (most recent call last):
        ...
    npae.errors.NotFittedError: This PCA instance is not fitted yet...
    """


def not_fitted_error(message):
    """A ``NotFittedError``; where the program has imported scikit-learn, one that is also
    scikit-learn's ``NotFittedError`` (npae never imports scikit-learn itself).

    Parameters
    ----------
    message : str
        The error's message.

    Returns
    -------
    NotFittedError
        The exception, to be raised by the caller.

    Examples
    --------
    >>> from npae.errors import NotFittedError, not_fitted_error
    >>> error = not_fitted_error("fit me first")
    >>> isinstance(error, NotFittedError), str(error)
    (True, 'fit me first')
    """
    import sys

    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return NotFittedError(message)
    return _with_sklearn(sklearn_exceptions.NotFittedError)(message)


@functools.lru_cache(maxsize=None)
def _with_sklearn(sklearn_not_fitted):
    """The one class that is both npae's and scikit-learn's ``NotFittedError``; it pickles as a
    call of ``not_fitted_error`` (pickle cannot find a class made at run time by its name)."""
    return type("NotFittedError", (NotFittedError, sklearn_not_fitted),
                {"__module__": __name__, "__reduce__": lambda self: (not_fitted_error, self.args)})


class DataError(NpaeError, ValueError):
    """Input data that npae cannot use: wrong shape, NaN, out of range, ...

    Raised where data are checked: the estimators' ``fit`` and scoring methods, the
    metrics, the data sets' readers. A ``ValueError``.

    Examples
    --------
    >>> from npae.metrics import roc_auc_score
    >>> roc_auc_score([1, 1], [0.2, 0.3])
    Traceback (most recent call last):
        ...
    npae.errors.DataError: roc_auc_score needs exactly two classes in y_true; got [1]
    """


class DataTypeError(NpaeError, TypeError):
    """Input data of a type that is not numeric (object, complex, strings).

    Raised where data are checked, as ``DataError``; a ``TypeError``.

    Examples
    --------
    >>> from npae import PCA
    >>> PCA(1).fit([["a", "b"], ["c", "d"]])
    Traceback (most recent call last):
        ...
    npae.errors.DataTypeError: X has dtype <U1 whose values are not all numbers...
    """


class ParameterError(NpaeError, ValueError):
    """A hyper-parameter or option with an invalid name or value.

    Raised by ``fit`` (the constructors only store their arguments), ``set_params`` and
    the functions that take options. A ``ValueError``.

    Examples
    --------
    >>> from npae.backend import resolve_backend
    >>> resolve_backend("gpu")
    Traceback (most recent call last):
        ...
    npae.errors.ParameterError: backend='gpu' is not valid; choose one of ['auto', 'numpy', 'numba']
    """


class ModelFileError(NpaeError, ValueError):
    """A model file that is not a valid npae model (never loaded partially).

    Raised by ``npae.load`` for a file that is not an npae model, or that was altered,
    truncated or written by an unknown version; by ``save`` for an option that cannot be
    stored. A ``ValueError``.

    Examples
    --------
    >>> import os, tempfile
    >>> import npae
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "notes.npz")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a model")
    >>> npae.load(path)
    Traceback (most recent call last):
        ...
    npae.errors.ModelFileError: ...notes.npz is not an .npz (zip) file
    >>> folder.cleanup()
    """


class DivergenceError(NpaeError, FloatingPointError):
    """Training produced a NaN or infinite loss; the last good weights were restored.

    Raised by ``fit`` and ``partial_fit`` with ``on_divergence="raise"`` (the default).
    A ``FloatingPointError``.

    Examples
    --------
    >>> from npae.errors import DivergenceError, NpaeError
    >>> issubclass(DivergenceError, NpaeError), issubclass(DivergenceError, FloatingPointError)
    (True, True)
    """


class DataConversionWarning(UserWarning):
    """Input was converted to the expected form (e.g. a column-vector y raveled).

    A warning, not an error: issued by ``Classifier.fit`` given y of shape (n_samples, 1).
    Where the program has imported scikit-learn, the warning issued is also
    scikit-learn's ``DataConversionWarning`` (see ``data_conversion_warning``).

    Examples
    --------
    >>> import warnings
    >>> from npae.errors import DataConversionWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("y was raveled", DataConversionWarning)
    >>> issubclass(caught[0].category, DataConversionWarning)
    True
    """


def data_conversion_warning():
    """``DataConversionWarning``; where the program has imported scikit-learn, one that is also
    scikit-learn's, so its warning filters apply.

    Returns
    -------
    type
        A subclass of ``DataConversionWarning`` (the class itself without scikit-learn),
        to pass to ``warnings.warn``.

    Examples
    --------
    >>> from npae.errors import DataConversionWarning, data_conversion_warning
    >>> issubclass(data_conversion_warning(), DataConversionWarning)
    True
    """
    import sys

    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return DataConversionWarning
    return type("DataConversionWarning", (DataConversionWarning, sklearn_exceptions.DataConversionWarning),
                {"__module__": __name__})
