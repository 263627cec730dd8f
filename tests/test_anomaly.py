"""Anomaly detection: scikit-learn's outlier-detector conventions, per-feature errors, ROC AUC."""

import numpy as np
import pytest

import npae
from npae import Autoencoder
from npae.errors import ParameterError
from npae.metrics import roc_auc_score


def test_roc_auc_by_hand():
    assert roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert roc_auc_score([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # a tie counts one half
    assert roc_auc_score(["a", "b", "b"], [3, 1, 2]) == 0.0
    with pytest.raises(ValueError, match="two classes"):
        roc_auc_score([1, 1], [0.1, 0.2])
    # tied infinite scores are ties (np.diff(inf, inf) is NaN, which split them); NaN is refused
    assert roc_auc_score([0, 1, 0, 1], [np.inf, np.inf, 1.0, 2.0]) == pytest.approx(0.625)
    with pytest.raises(ValueError, match="1 NaN value"):
        roc_auc_score([0, 1], [0.5, np.nan])


def test_roc_auc_matches_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.normal(size=500) + y, 1)  # with ties
    assert roc_auc_score(y, s) == pytest.approx(sk.roc_auc_score(y, s), rel=1e-12)


@pytest.fixture(scope="module")
def detector(digits_split):
    Xtr, ytr, Xte, yte = digits_split
    normal = ytr < 5
    return Autoencoder(hidden=(32, 8), activation="relu", code_activation="linear", epochs=40, batch_size=32,
                       learning_rate=3e-3, contamination=0.05, random_state=0).fit(Xtr[normal])


def test_threshold_follows_contamination(detector, digits_split):
    Xtr, ytr, _, _ = digits_split
    inliers = Xtr[ytr < 5]
    flagged = np.mean(detector.predict(inliers) == -1)
    assert abs(flagged - 0.05) < 0.01
    assert detector.threshold_ == pytest.approx(-detector.offset_)
    np.testing.assert_allclose(detector.decision_function(inliers), detector.score_samples(inliers) - detector.offset_)
    assert set(np.unique(detector.predict(inliers))) == {-1, 1}


def test_unseen_classes_are_detected(detector, digits_split):
    _, _, Xte, yte = digits_split
    outlier = yte >= 5
    auc = roc_auc_score(outlier, -detector.decision_function(Xte))  # higher error = more anomalous
    assert auc > 0.8, auc
    assert np.mean(detector.predict(Xte[outlier]) == -1) > 3 * np.mean(detector.predict(Xte[~outlier]) == -1)


def test_per_feature_errors_add_up(detector, digits_split):
    X = digits_split[2][:20]
    per_feature = detector.reconstruction_error(X, per_feature=True)
    assert per_feature.shape == (20, 64) and np.all(per_feature >= -1e-6)  # BCE >= the target's entropy >= 0
    if detector.loss_ == "bce":  # an independent cross-entropy of the reconstruction
        p = np.clip(detector.reconstruct(X).astype(np.float64), 1e-7, 1 - 1e-7)
        np.testing.assert_allclose(per_feature, -(X * np.log(p) + (1 - X) * np.log(1 - p)), atol=2e-4)
    np.testing.assert_allclose(per_feature.mean(axis=1), detector.reconstruction_error(X), rtol=1e-12)
    np.testing.assert_allclose(detector.reconstruction_error(X), -detector.score_samples(X), rtol=1e-12)
    # a corrupted pixel shows up in its own column
    X_bad = X.copy()
    X_bad[:, 27] = 1.0 - X_bad[:, 27]
    grown = detector.reconstruction_error(X_bad, per_feature=True) - per_feature
    assert np.argmax(grown.sum(axis=0)) == 27


def test_detector_methods_exist_only_with_contamination(rng):
    ae = Autoencoder(hidden=(3,), epochs=1, random_state=0).fit(rng.random((10, 4)))
    assert not hasattr(ae, "predict") and not hasattr(ae, "decision_function")
    with pytest.raises(AttributeError, match="set contamination"):
        ae.predict(rng.random((2, 4)))
    with pytest.raises(ParameterError, match="contamination"):
        Autoencoder(contamination=0.7).fit(rng.random((10, 4)))


def test_partial_fit_sets_and_updates_the_threshold(rng, monkeypatch):
    """partial_fit sets offset_ from its batch (predict used to be NotFitted after partial_fit
    alone, and a fit's threshold went stale), in n_threads as training is."""
    import npae.models.autoencoder as module

    X = rng.random((200, 6))
    ae = Autoencoder(hidden=(3,), contamination=0.1, random_state=0)
    for _ in range(3):
        ae.partial_fit(X)
    assert np.mean(ae.predict(X) == -1) == pytest.approx(0.1, abs=0.01)
    before = ae.offset_
    limits = []
    real = module.thread_limit

    def recording(n):
        limits.append(n)
        return real(n)

    monkeypatch.setattr(module, "thread_limit", recording)
    ae.set_params(n_threads=1).partial_fit(X[:100])
    assert ae.offset_ != before and np.mean(ae.predict(X[:100]) == -1) == pytest.approx(0.1, abs=0.01)
    assert limits == [1, 1]  # the epoch, then the statistics and threshold


def test_detector_saves_and_loads(tmp_path, detector, digits_split):
    detector.save(tmp_path / "d.npz")
    loaded = npae.load(tmp_path / "d.npz")
    X = digits_split[2]
    np.testing.assert_array_equal(loaded.predict(X), detector.predict(X))
    assert loaded.offset_ == detector.offset_
