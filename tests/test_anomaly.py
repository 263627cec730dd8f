"""Anomaly detection: scikit-learn's outlier-detector conventions, thresholds taken on held-out rows
that transfer to new data, re-thresholding without refitting, per-feature errors, ROC AUC."""

import copy
import json

import numpy as np
import pytest

import npae
from npae import Autoencoder
from npae.errors import DataError, ModelFileError, NotFittedError, ParameterError
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


def test_threshold_is_taken_on_held_out_rows(detector, digits_split):
    """A detector holds out 20% of X (neither validation_fraction nor validation_data given) and
    keeps their scores: offset_ is their contamination quantile for a new row."""
    Xtr, ytr, _, _ = digits_split
    n = int(np.sum(ytr < 5))
    assert detector.loss_ == "mse" and detector.output_activation_ == "linear"  # "auto" on [0, 1] data
    assert len(detector.calibration_scores_) == round(npae.models.autoencoder.DETECTOR_HOLDOUT * n)
    quantile = np.percentile(detector.calibration_scores_, 5.0, method="weibull")
    assert detector.offset_ == quantile - npae.models.autoencoder.THRESHOLD_MARGIN * abs(quantile)
    assert detector.threshold_ == pytest.approx(-detector.offset_)
    inliers = Xtr[ytr < 5]
    np.testing.assert_allclose(detector.decision_function(inliers), detector.score_samples(inliers) - detector.offset_)
    assert set(np.unique(detector.predict(inliers))) == {-1, 1}
    new_inliers = digits_split[2][digits_split[3] < 5]  # 214 held-out digits 0-4 (seeds 0-3: 2.8-8.4%)
    assert np.mean(detector.predict(new_inliers) == -1) < 0.11


def low_rank(n, seed):
    """Rows near a 3-D subspace of 12-D, shifted and scaled into about [0, 1]."""
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(99).normal(size=(3, 12))
    return 0.5 + 0.08 * (rng.normal(size=(n, 3)) @ basis) + 0.03 * rng.normal(size=(n, 12))


def test_flagged_share_of_new_inliers_is_near_contamination():
    """On NEW inliers a threshold taken on rows the model did not train on flags about
    ``contamination`` of them; the training rows' quantile (novelty=False: pyod's threshold)
    flags twice as many, because the network fits the rows it trained on better than new
    ones. The two models are the same network (same seed and rows), only the rows their
    threshold is taken on differ. Seeded; generous bounds (seeds 0-5 flag 7.8-11.0% and 20-27%)."""
    X, held_out, new = low_rank(200, 0), low_rank(500, 1), low_rank(20000, 2)
    params = dict(hidden=(64, 32), activation="relu", epochs=100, batch_size=8, contamination=0.1, random_state=0)
    flagged = {novelty: np.mean(Autoencoder(novelty=novelty, **params).fit(X, validation_data=held_out)
                                .predict(new) == -1) for novelty in (True, False)}
    assert abs(flagged[True] - 0.1) < 0.04, flagged
    assert flagged[False] > 0.15, flagged


def test_unit_interval_data_trains_a_detector_on_squared_error(rng):
    X = rng.random((60, 5))
    assert Autoencoder(hidden=(3,), epochs=1, random_state=0).fit(X).loss_ == "bce"  # not a detector
    assert Autoencoder(hidden=(3,), epochs=1, random_state=0, contamination=0.1).fit(X).loss_ == "mse"
    explicit = Autoencoder(hidden=(3,), epochs=1, random_state=0, contamination=0.1, loss="bce").fit(X)
    assert explicit.loss_ == "bce"
    with pytest.raises(DataError, match=r"range over \[.*detector was fitted with loss='bce'.*fit it with loss='mse'"):
        explicit.predict(X + 0.5)


def test_a_minmax_pipeline_scores_rows_outside_the_training_range(digits_split):
    """MinMaxScaler fitted on the training rows, then a detector: new rows leave [0, 1] (the
    likely outliers do), and every scoring method still scores them; cross-validation too."""
    pytest.importorskip("sklearn")
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    Xtr, _, Xte, _ = digits_split
    Xtr = Xtr[:, :30] * 16.0  # raw counts, as a user's data would be
    Xte = np.vstack([Xte[:, :30] * 16.0, np.full((3, 30), 20.0), np.full((3, 30), -4.0)])
    pipe = make_pipeline(MinMaxScaler(), Autoencoder(hidden=(16, 4), epochs=5, contamination=0.05, random_state=0))
    pipe.fit(Xtr)
    scaled = pipe[0].transform(Xte)
    assert scaled.min() < 0 and scaled.max() > 1
    detector = pipe[-1]
    for method in ("score_samples", "decision_function", "predict"):
        values = getattr(pipe, method)(Xte)
        assert values.shape == (len(Xte),) and np.all(np.isfinite(values)), method
    assert np.all(np.isfinite(detector.reconstruction_error(scaled, per_feature=True)))
    assert np.all(pipe.predict(Xte[-6:]) == -1)  # far outside the training range
    scores = cross_val_score(pipe, Xtr, cv=3, error_score="raise")
    assert np.all(np.isfinite(scores))


def test_a_row_outside_the_training_range_is_more_anomalous(detector, digits_split):
    """The same row with one feature pushed beyond the training range scores as more anomalous
    than with that feature at the edge of the range (inside it)."""
    _, _, Xte, yte = digits_split
    rows = Xte[yte < 5][:100]
    low, high = detector.data_range_
    columns = np.random.default_rng(0).integers(0, rows.shape[1], len(rows))
    for edge, beyond in ((high, high + 0.5), (low, low - 0.5)):
        inside, outside = rows.copy(), rows.copy()
        inside[np.arange(len(rows)), columns] = edge
        outside[np.arange(len(rows)), columns] = beyond
        more = detector.decision_function(outside) < detector.decision_function(inside)
        assert more.mean() >= 0.95, (edge, more.mean())


def test_set_params_rethresholds_without_refitting(detector, digits_split, tmp_path):
    """contamination changed after fit: offset_ is the new quantile of the kept scores, the
    weights are untouched; the kept scores survive save/load."""
    _, _, Xte, _ = digits_split
    model = copy.deepcopy(detector)
    weights, scores = model.get_weights(), model.calibration_scores_.copy()
    before = model.offset_
    model.set_params(contamination=0.2)
    assert model.offset_ > before  # a larger share flagged: the threshold moves into the inliers
    assert model.offset_ == pytest.approx(np.percentile(scores, 20.0, method="weibull"), rel=1e-8)
    np.testing.assert_allclose(model.decision_function(Xte), model.score_samples(Xte) - model.offset_)
    assert np.mean(model.predict(Xte) == -1) > np.mean(detector.predict(Xte) == -1)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    model.save(tmp_path / "d.npz")
    loaded = npae.load(tmp_path / "d.npz").set_params(contamination=0.05)
    np.testing.assert_array_equal(loaded.calibration_scores_, scores)
    assert loaded.offset_ == detector.offset_
    np.testing.assert_array_equal(loaded.predict(Xte), detector.predict(Xte))
    model.contamination = 0.05  # set directly, as some users do: offset_ follows too
    assert model.offset_ == detector.offset_


def test_a_kept_row_on_the_threshold_predicts_alike_in_any_batch():
    """With 4 held-out rows the 10% quantile for a new row is their lowest score: that row sits
    on the threshold, and its float64 score differs by ~1e-15 between a call on 1 row and on 20.
    offset_'s margin keeps it an inlier in both (scikit-learn's check_methods_subset_invariance)."""
    X = 3 * np.random.RandomState(0).uniform(size=(20, 3))
    model = Autoencoder(contamination=0.1, random_state=0).fit(X)
    assert np.min(model.calibration_scores_) == pytest.approx(model.offset_, rel=1e-8)
    one_by_one = np.concatenate([model.predict(X[i:i + 1]) for i in range(len(X))])
    np.testing.assert_array_equal(one_by_one, model.predict(X))
    np.testing.assert_array_equal(model.decision_function(X) >= 0, model.predict(X) == 1)


def test_a_model_fitted_without_contamination_says_so(rng):
    X = rng.random((40, 4))
    ae = Autoencoder(hidden=(3,), epochs=1, random_state=0).fit(X)
    assert not hasattr(ae, "offset_")
    ae.set_params(contamination=0.1)
    for method in ("decision_function", "predict"):
        with pytest.raises(NotFittedError, match=r"fitted without contamination.*fit it again with contamination"):
            getattr(ae, method)(X)
    ae.fit(X)  # what the message says to do
    assert ae.predict(X).shape == (40,)


def test_novelty_false_takes_the_threshold_on_the_rows_fit_on(rng):
    """novelty=False: the threshold is X's own quantile (pyod's, IsolationForest's), so
    fit_predict flags the contamination share of X; with the default novelty=True fit_predict
    does not exist (it would flag fewer), as in LocalOutlierFactor(novelty=True)."""
    X = rng.random((200, 5))
    outlier_mode = Autoencoder(hidden=(3,), epochs=2, contamination=0.1, novelty=False, random_state=0)
    assert np.sum(outlier_mode.fit_predict(X) == -1) == 20
    assert len(outlier_mode.calibration_scores_) == 200
    assert outlier_mode.offset_ == pytest.approx(np.percentile(outlier_mode.calibration_scores_, 10.0), rel=1e-8)
    novelty = Autoencoder(hidden=(3,), epochs=2, contamination=0.1, random_state=0)
    assert not hasattr(novelty, "fit_predict")
    with pytest.raises(AttributeError, match="novelty=False"):
        novelty.fit_predict(X)
    # the hold-out: validation_fraction, validation_data, else DETECTOR_HOLDOUT
    assert len(novelty.set_params(validation_fraction=0.3).fit(X).calibration_scores_) == 60
    assert len(novelty.fit(X, validation_data=X[:17]).calibration_scores_) == 17
    with pytest.raises(ParameterError, match="novelty must be True"):
        Autoencoder(novelty="yes").fit(X)


def test_outlier_mode_passes_scikit_learns_outlier_checks():
    """novelty=False meets scikit-learn's outlier-detector contract: fit_predict flags exactly
    the contamination share of the training rows (the default, novelty=True, passes every
    check in test_sklearn.py as LocalOutlierFactor(novelty=True) does: without fit_predict)."""
    pytest.importorskip("sklearn")
    from sklearn.utils import estimator_checks as checks

    model = Autoencoder(hidden=(8, 2), epochs=5, contamination=0.1, novelty=False, random_state=0)
    checks.check_outliers_fit_predict("Autoencoder", model)
    checks.check_outliers_train("Autoencoder", model)


def test_unseen_classes_are_detected(detector, digits_split):
    _, _, Xte, yte = digits_split
    outlier = yte >= 5
    auc = roc_auc_score(outlier, -detector.decision_function(Xte))  # higher error = more anomalous
    assert auc > 0.8, auc
    assert np.mean(detector.predict(Xte[outlier]) == -1) > 3 * np.mean(detector.predict(Xte[~outlier]) == -1)


def test_per_feature_errors_add_up(detector, digits_split):
    X = digits_split[2][:20]
    per_feature = detector.reconstruction_error(X, per_feature=True)
    assert detector.loss_ == "mse" and per_feature.shape == (20, 64) and np.all(per_feature >= 0)
    np.testing.assert_allclose(per_feature, (X - detector.reconstruct(X).astype(np.float64)) ** 2, atol=1e-5)
    # loss="bce" asked for: an independent cross-entropy of the reconstruction
    bce = Autoencoder(hidden=(8,), epochs=2, loss="bce", contamination=0.05, random_state=0).fit(digits_split[0])
    p = np.clip(bce.reconstruct(X).astype(np.float64), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(bce.reconstruction_error(X, per_feature=True),
                               -(X * np.log(p) + (1 - X) * np.log(1 - p)), atol=2e-4)
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
    np.testing.assert_array_equal(loaded.calibration_scores_, detector.calibration_scores_)
    assert loaded.offset_ == detector.offset_ and loaded.novelty is True


def rewrite(path, edit):
    """Edit a saved model's JSON document and arrays (as an older npae would have written it)."""
    payload = dict(np.load(path))
    document = json.loads(str(payload["__npae__"]))
    edit(document, payload)
    payload["__npae__"] = np.array(json.dumps(document))
    with open(path, "wb") as f:
        np.savez(f, **payload)


def test_files_from_before_the_kept_scores_still_load(tmp_path, detector, digits_split):
    """A file written before npae kept the threshold's scores (offset_ only) loads with that
    threshold; another contamination then says to fit again. The kept scores are checked as
    every array is: their count in the metadata must match the array."""
    X = digits_split[2]
    detector.save(tmp_path / "old.npz")

    def drop_scores(document, payload):
        del document["meta"]["calibration_scores"], document["arrays"]["calibration_scores_"]
        del payload["calibration_scores_"]

    rewrite(tmp_path / "old.npz", drop_scores)
    old = npae.load(tmp_path / "old.npz")
    assert old.offset_ == detector.offset_ and not hasattr(old, "calibration_scores_")
    np.testing.assert_array_equal(old.predict(X), detector.predict(X))
    old.save(tmp_path / "resaved.npz")  # and it saves as it loaded
    assert npae.load(tmp_path / "resaved.npz").offset_ == detector.offset_
    old.set_params(contamination=0.1)
    with pytest.raises(NotFittedError, match="threshold for contamination=0.05 only. Fit it again"):
        old.predict(X)
    for count in (3, 0, "12", True):
        detector.save(tmp_path / "bad.npz")
        rewrite(tmp_path / "bad.npz", lambda document, payload: document["meta"].update(calibration_scores=count))
        with pytest.raises(ModelFileError):
            npae.load(tmp_path / "bad.npz")
