"""Greedy layer-wise stacking and supervised heads, on the embedded digits."""

import numpy as np
import pytest

import npae
from npae import Autoencoder, Classifier, StackedAutoencoder, gradcheck
from npae.errors import DataError, ParameterError

from conftest import assert_same_model

STACK = dict(hidden=(48, 24, 8), activation="sigmoid", code_activation="linear", pretrain_epochs=10, epochs=15,
             batch_size=32, learning_rate=3e-3, random_state=0)


@pytest.fixture(scope="module")
def stacked(digits_split):
    Xtr = digits_split[0]
    return StackedAutoencoder(layer_params={"corruption": "masking", "noise": [0.2, 0.1, 0.0]}, **STACK).fit(Xtr)


def test_each_layer_lowers_its_own_loss(stacked):
    assert len(stacked.pretraining_history_) == 3 and len(stacked.layer_models_) == 3
    for history in stacked.pretraining_history_:
        assert len(history["loss"]) == 10
        assert history["loss"][-1] < 0.9 * history["loss"][0]
    assert [m.noise for m in stacked.layer_models_] == [0.2, 0.1, 0.0]
    assert [m.hidden for m in stacked.layer_models_] == [(48,), (24,), (8,)]


def test_unrolled_weights_are_the_layers(stacked):
    """Right after unrolling, encoder k and the mirrored decoder are layer k's weights; so the
    deep codes before fine-tuning equal the chained one-layer codes."""
    net = StackedAutoencoder(**{**STACK, "epochs": 0}).fit(np.random.default_rng(0).random((64, 64)))
    X = np.random.default_rng(1).random((5, 64))
    chained = X
    for layer in net.layer_models_:
        chained = layer.transform(chained)
    np.testing.assert_allclose(net.transform(X), chained, rtol=1e-5, atol=1e-6)


def test_tied_layers_unroll_into_an_untied_stack():
    """Layers pretrained with tied weights, the deep model untied (Hinton & Salakhutdinov's
    recipe: RBMs are tied, the fine-tuned decoder is not): each mirrored decoder starts as
    its layer's encoder transposed, and reconstructs as the layer did."""
    X = np.random.default_rng(0).random((64, 20))
    net = StackedAutoencoder(**{**STACK, "hidden": (12, 6, 4), "epochs": 0, "layer_params": {"tied": True}}).fit(X)
    assert net.network_.specs[-1].tied_to is None and all(layer.tied for layer in net.layer_models_)
    for k, layer in enumerate(net.layer_models_):
        W = layer.network_.param("encoder.0.W")
        np.testing.assert_array_equal(net.network_.param(f"decoder.{2 - k}.W"), W.T)
    first, second, third = net.layer_models_
    codes = second.transform(first.transform(X[:5]))
    chained = first.inverse_transform(second.inverse_transform(third.reconstruct(codes)))
    np.testing.assert_allclose(net.reconstruct(X[:5]), chained, rtol=1e-5, atol=1e-6)


def test_fine_tuning_beats_the_unrolled_stack(stacked, digits_split):
    assert stacked.history_["loss"][-1] < stacked.unrolled_loss_
    # and it has the full Autoencoder contract
    Xte = digits_split[2]
    assert stacked.transform(Xte).shape == (len(Xte), 8)
    assert stacked.inverse_transform(stacked.transform(Xte)).shape == Xte.shape
    assert stacked.score_samples(Xte).shape == (len(Xte),)


def test_stacked_saves_and_loads(stacked, tmp_path, digits_split):
    stacked.save(tmp_path / "s.npz")
    loaded = npae.load(tmp_path / "s.npz")
    assert_same_model(loaded, stacked, digits_split[2])
    assert loaded.pretraining_history_ == stacked.pretraining_history_ and len(loaded.pretraining_history_) == 3
    assert loaded.unrolled_loss_ == stacked.unrolled_loss_ is not None
    # a file from before the pretraining record was saved loads without it
    import json

    payload = dict(np.load(tmp_path / "s.npz"))
    doc = json.loads(str(payload["__npae__"]))
    for name in ("pretraining_history_", "unrolled_loss_"):
        del doc["meta"][name]
    payload["__npae__"] = np.array(json.dumps(doc))
    with open(tmp_path / "old.npz", "wb") as f:
        np.savez(f, **payload)
    old = npae.load(tmp_path / "old.npz")
    assert not hasattr(old, "pretraining_history_") and not hasattr(old, "unrolled_loss_")
    np.testing.assert_array_equal(old.transform(digits_split[2]), stacked.transform(digits_split[2]))
    doc["meta"]["unrolled_loss_"] = "low"
    payload["__npae__"] = np.array(json.dumps(doc))
    with open(tmp_path / "bad.npz", "wb") as f:
        np.savez(f, **payload)
    with pytest.raises(npae.errors.ModelFileError, match="unrolled_loss_ must be a finite number"):
        npae.load(tmp_path / "bad.npz")


@pytest.mark.parametrize("tied", [False, True])
def test_gradcheck_of_the_unrolled_stack(tied, digits):
    X = digits[0][:40, :10] * 0.9 + 0.05
    model = StackedAutoencoder(hidden=(6, 4, 3), activation="tanh", tied=tied, pretrain_epochs=2, epochs=1,
                               dtype="float64", random_state=0).fit(X)
    report = gradcheck(model, X[:5])
    assert report.passed, report.table()


def test_layer_params_are_checked(digits):
    X = digits[0][:50]
    with pytest.raises(ParameterError, match="one per layer"):
        StackedAutoencoder(hidden=(8, 4), layer_params={"noise": [0.1]}, corruption=None).fit(X)
    with pytest.raises(ParameterError, match="cannot be set per layer"):
        StackedAutoencoder(hidden=(8, 4), layer_params=[{"hidden": 3}, {}]).fit(X)
    with pytest.raises(ParameterError, match="pretrain_epochs"):
        StackedAutoencoder(hidden=(8, 4), pretrain_epochs=-1).fit(X)


# ------------------------------------------------------------------ supervised heads
def test_pretrained_classifier_beats_a_linear_probe_on_pixels(stacked, digits_split):
    Xtr, ytr, Xte, yte = digits_split
    probe = Classifier(epochs=30, random_state=0).fit(Xtr, ytr)
    tuned = Classifier(encoder=stacked, epochs=30, random_state=0).fit(Xtr, ytr)
    assert tuned.score(Xte, yte) > probe.score(Xte, yte), (tuned.score(Xte, yte), probe.score(Xte, yte))


def test_classifier_contract(digits_split):
    Xtr, ytr, Xte, yte = digits_split
    labels = np.array(list("abcdefghij"))[ytr]
    clf = Classifier(hidden=(16,), epochs=5, random_state=0).fit(Xtr, labels)
    assert list(clf.classes_) == list("abcdefghij")
    proba = clf.predict_proba(Xte)
    assert proba.shape == (len(Xte), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(Xte)) <= set("abcdefghij")
    np.testing.assert_array_equal(clf.predict(Xte), clf.classes_[np.argmax(proba, axis=1)])
    truth = np.array(list("abcdefghij"))[yte]
    assert clf.score(Xte, truth) == np.mean(clf.predict(Xte) == truth) > 0.5  # accuracy, and above chance
    with pytest.raises(DataError, match="continuous"):
        Classifier().fit(Xtr[:10], np.linspace(0, 1, 10))


def test_classifier_checks_validation_labels_and_scores_a_column_y(digits_split):
    Xtr, ytr, Xte, yte = digits_split
    clf = Classifier(epochs=2, random_state=0).fit(Xtr, ytr)
    with pytest.warns(UserWarning, match="column-vector"):
        assert clf.score(Xte, yte[:, None]) == clf.score(Xte, yte)  # not a (n, n) comparison
    with pytest.raises(DataError, match=r"validation_data's y has labels the training y does not: \[10\]"):
        Classifier(epochs=1).fit(Xtr, ytr, validation_data=(Xte, np.where(yte == 3, 10, yte)))
    with pytest.raises(DataError, match="validation_data's y must be 1-D with one label per row"):
        Classifier(epochs=1).fit(Xtr, ytr, validation_data=(Xte, yte[:-1]))
    with pytest.raises(DataError, match="validation_data's X"):
        Classifier(epochs=1).fit(Xtr, ytr, validation_data=(Xte[:, :5], yte))
    with pytest.raises(DataError, match="same kind"):
        Classifier(epochs=1).fit(Xtr, ytr, validation_data=(Xte, yte.astype(str)))
    with pytest.raises(DataError, match="mixes strings and integers"):
        Classifier(epochs=1).fit(Xtr[:4], np.array(["a", 1, "b", 2], dtype=object))
    # integers in an object array are the same labels as int64 ones
    objects = Classifier(epochs=1, random_state=0).fit(Xtr, ytr.astype(object), validation_data=(Xte, yte))
    assert objects.classes_.dtype == np.int64 and objects.score(Xte, yte.astype(object)) == objects.score(Xte, yte)


def test_classifier_refit_and_interrupt_leave_consistent_attributes(digits_split, monkeypatch):
    """A refit on an array drops the feature names of a fit on a frame; an interrupted fit
    leaves n_iter_ = the epochs it completed, so the model predicts and saves."""
    import npae.training

    Xtr, ytr, _, _ = digits_split

    class Frame:  # the one thing feature_names reads from a DataFrame
        columns = np.array([f"p{i}" for i in range(Xtr.shape[1])], dtype=object)

        def __array__(self, dtype=None, copy=None):
            return Xtr

    clf = Classifier(epochs=1, random_state=0).fit(Frame(), ytr)
    assert list(clf.feature_names_in_[:2]) == ["p0", "p1"]
    clf.fit(Xtr, ytr)
    assert not hasattr(clf, "feature_names_in_")
    real = npae.training._format_epoch

    def interrupt_after_two(epoch, *args):
        if epoch == 3:
            raise KeyboardInterrupt
        return real(epoch, *args)

    monkeypatch.setattr(npae.training, "_format_epoch", interrupt_after_two)
    with pytest.raises(KeyboardInterrupt):
        clf.set_params(epochs=10, verbose=1).fit(Xtr, ytr)
    assert clf.n_iter_ == len(clf.history_["loss"]) == 3
    assert clf.predict(Xtr[:2]).shape == (2,)


def test_classifier_names_a_bad_encoder_or_hidden(digits_split):
    from sklearn.base import clone

    Xtr, ytr, _, _ = digits_split
    for encoder, message in ((npae.PCA(2).fit(Xtr), "got PCA"), ("ae", "got str"),
                             (clone(Autoencoder(hidden=(4,), epochs=1).fit(Xtr)), "not fitted: fit it first")):
        with pytest.raises(ParameterError, match=message):
            Classifier(encoder=encoder).fit(Xtr, ytr)
    with pytest.raises(ParameterError, match="hidden must be a sequence"):
        Classifier(hidden=None).fit(Xtr, ytr)


def test_classifier_early_stopping_keeps_the_lowest_validation_error(digits_split):
    """As scikit-learn's MLPClassifier, early stopping watches the validation error (not
    the cross-entropy, which can rise while the error still falls); lr decay watches it too."""
    Xtr, ytr, Xte, yte = digits_split
    clf = Classifier(hidden=(32,), epochs=25, learning_rate=0.05, early_stopping=True, patience=4,
                     lr_decay_patience=2, lr_decay_factor=0.5, random_state=0)
    clf.fit(Xtr, ytr, validation_data=(Xte, yte))
    errors, losses = clf.history_["val_error"], clf.history_["val_loss"]
    assert len(errors) == len(losses) == clf.n_iter_
    assert np.argmin(errors) != np.argmin(losses)  # here the choice of what to watch matters
    assert 1.0 - clf.score(Xte, yte) == pytest.approx(min(errors))
    rates = clf.history_["learning_rate"]
    assert rates[0] == 0.05 and min(rates) < 0.05  # the error plateaued, and the rate was halved


def test_frozen_encoder_stays_fixed(stacked, digits_split):
    Xtr, ytr, _, _ = digits_split
    clf = Classifier(encoder=stacked, freeze_encoder=True, epochs=3, random_state=0).fit(Xtr, ytr)
    frozen = clf.encoder_network_
    for name in frozen.param_names:
        np.testing.assert_array_equal(frozen.param(name), stacked.network_.param(name))
    assert clf.network_.param_names == ["output.W", "output.b"]  # hidden=(): a linear probe on the codes
    tuned = Classifier(encoder=stacked, epochs=3, random_state=0).fit(Xtr, ytr)
    assert not np.array_equal(tuned.network_.param("encoder.0.W"), stacked.network_.param("encoder.0.W"))


@pytest.mark.parametrize("freeze,hidden", [(False, ()), (False, (5,)), (True, ()), (True, (4, 3))])
def test_gradcheck_of_the_classifier(freeze, hidden, digits):
    X, y = digits[0][:60, :8] * 0.9 + 0.05, digits[1][:60] % 3
    encoder = Autoencoder(hidden=(6, 4), activation="tanh", epochs=1, dtype="float64", random_state=0).fit(X)
    clf = Classifier(hidden=hidden, encoder=encoder, freeze_encoder=freeze, activation="softplus",
                     weight_decay=0.01, epochs=1, dtype="float64", random_state=0).fit(X, y)
    report = gradcheck(clf, (X[:6], y[:6]))
    assert report.passed, report.table()


def test_classifier_saves_and_loads(stacked, tmp_path, digits_split):
    Xtr, ytr, Xte, _ = digits_split
    for freeze in (False, True):
        clf = Classifier(encoder=stacked, freeze_encoder=freeze, epochs=2, random_state=0).fit(Xtr, ytr)
        clf.save(tmp_path / "c.npz")
        loaded = npae.load(tmp_path / "c.npz")
        np.testing.assert_array_equal(loaded.predict_proba(Xte), clf.predict_proba(Xte))
        assert loaded.encoder is None  # its layers live in the file


def test_a_template_estimator_sets_every_layer(digits, tmp_path):
    from npae import DenoisingAutoencoder

    X = digits[0][:200]
    template = DenoisingAutoencoder(noise=0.15, weight_decay=1e-4, learning_rate=5e-3)
    stack = StackedAutoencoder(hidden=(16, 8), layer_params=template, pretrain_epochs=1, epochs=1,
                               random_state=0).fit(X)
    for layer in stack.layer_models_:
        assert (layer.corruption, layer.noise, layer.weight_decay, layer.learning_rate) == ("masking", 0.15, 1e-4,
                                                                                            5e-3)
    stack.save(tmp_path / "s.npz")
    assert npae.load(tmp_path / "s.npz").layer_params["noise"] == 0.15
