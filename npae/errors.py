"""npae's exceptions: one hierarchy, each also a built-in type scikit-learn users expect.

Catch ``NpaeError`` for anything npae raises on purpose; catch ``ValueError``
(or ``TypeError``) as you would with scikit-learn.
"""


class NpaeError(Exception):
    """Base class of every error npae raises on purpose."""


class NotFittedError(NpaeError, ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit``
    (ValueError and AttributeError, like scikit-learn's ``NotFittedError``)."""


def not_fitted_error(message):
    """A ``NotFittedError``; where the program has imported scikit-learn, one that is also
    scikit-learn's ``NotFittedError`` (npae never imports scikit-learn itself)."""
    import sys

    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return NotFittedError(message)
    both = type("NotFittedError", (NotFittedError, sklearn_exceptions.NotFittedError), {"__module__": __name__})
    return both(message)


class DataError(NpaeError, ValueError):
    """Input data that npae cannot use: wrong shape, NaN, out of range, ..."""


class DataTypeError(NpaeError, TypeError):
    """Input data of a type that is not numeric (object, complex, strings)."""


class ParameterError(NpaeError, ValueError):
    """A hyper-parameter or option with an invalid name or value."""


class ModelFileError(NpaeError, ValueError):
    """A model file that is not a valid npae model (never loaded partially)."""


class DivergenceError(NpaeError, FloatingPointError):
    """Training produced a NaN or infinite loss; the last good weights were restored."""


class DataConversionWarning(UserWarning):
    """Input was converted to the expected form (e.g. a column-vector y raveled)."""


def data_conversion_warning():
    """``DataConversionWarning``; where the program has imported scikit-learn, one that is also
    scikit-learn's, so its warning filters apply."""
    import sys

    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    if sklearn_exceptions is None:
        return DataConversionWarning
    return type("DataConversionWarning", (DataConversionWarning, sklearn_exceptions.DataConversionWarning),
                {"__module__": __name__})
