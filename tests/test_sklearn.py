"""scikit-learn compatibility, tested only where scikit-learn is installed (npae never imports it)."""

import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import npae  # noqa: E402
from npae import (PCA, Autoencoder, Classifier, ContractiveAutoencoder, DenoisingAutoencoder,  # noqa: E402
                  SparseAutoencoder, StackedAutoencoder)

ESTIMATORS = [Autoencoder(), DenoisingAutoencoder(), ContractiveAutoencoder(), SparseAutoencoder(),
              StackedAutoencoder(), Classifier(), PCA(), Autoencoder(dtype="float64", tied=True),
              Autoencoder(contamination=0.1)]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_checks(estimator, check):
    """scikit-learn's own estimator checks, with each estimator's default settings."""
    check(estimator)


def test_clone_pipeline_and_grid_search(digits):
    X = digits[0][:300]
    ae = Autoencoder(hidden=(16, 4), epochs=2, random_state=0)
    assert clone(ae).get_params() == ae.get_params()
    pipe = Pipeline([("scale", MinMaxScaler()), ("ae", ae)])
    assert pipe.fit_transform(X).shape == (300, 4)
    search = GridSearchCV(Autoencoder(hidden=(8,), epochs=2, random_state=0),
                          {"learning_rate": [1e-3, 1e-2]}, cv=2).fit(X)
    assert search.best_params_["learning_rate"] in (1e-3, 1e-2)


class FrameLike:
    """What npae reads of a pandas DataFrame: ``columns`` and ``__array__``."""

    def __init__(self, values, columns):
        self.values, self.columns = values, columns

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def test_feature_names_from_a_dataframe_like(digits):
    X = FrameLike(digits[0][:50, :6], [f"f{i}" for i in range(6)])
    ae = Autoencoder(hidden=(3,), epochs=1, random_state=0).fit(X)
    assert list(ae.feature_names_in_) == list(X.columns) and ae.n_features_in_ == 6
    assert npae.PCA(2).fit(X).n_features_in_ == 6


def test_not_fitted_error_is_also_scikit_learns(rng):
    from sklearn.exceptions import NotFittedError as SklearnNotFitted

    from npae.errors import NotFittedError

    with pytest.raises(SklearnNotFitted):
        Autoencoder().transform(rng.random((2, 3)))
    with pytest.raises(NotFittedError):
        Autoencoder().transform(rng.random((2, 3)))
