import json
import math

import numpy as np
import pytest

import npae
from npae import PCA, Autoencoder, Classifier
from npae.errors import DataError, DivergenceError, NotFittedError, ParameterError

from conftest import assert_same_model


def small(**params):
    base = dict(hidden=(16, 4), epochs=3, batch_size=32, random_state=0)
    base.update(params)
    return Autoencoder(**base)


def test_shapes_and_contract(digits):
    X = digits[0][:200]
    ae = small(activation="relu", code_activation="linear").fit(X)
    assert ae.loss_ == "bce" and ae.output_activation_ == "sigmoid"
    assert ae.n_features_in_ == 64 and ae.n_iter_ == 3
    Z = ae.transform(X)
    assert Z.shape == (200, 4) and Z.dtype == np.float32
    np.testing.assert_array_equal(ae.encode(X), Z)
    R = ae.inverse_transform(Z)
    assert R.shape == (200, 64)
    np.testing.assert_array_equal(ae.decode(Z), R)
    np.testing.assert_allclose(ae.reconstruct(X), R, rtol=1e-6)
    s = ae.score_samples(X)
    assert s.shape == (200,) and np.all(s < 0)
    assert ae.score(X) == pytest.approx(s.mean())
    assert set(ae.history_) >= {"loss", "reconstruction", "seconds"}
    assert all(len(v) == 3 for v in ae.history_.values())


def test_score_samples_is_negative_mean_loss_per_sample(rng):
    X = rng.normal(size=(30, 5))
    ae = small(hidden=(3,), activation="tanh").fit(X)
    assert ae.loss_ == "mse" and ae.output_activation_ == "linear"
    expected = -np.mean((ae.reconstruct(X).astype(np.float64) - X) ** 2, axis=1)
    np.testing.assert_allclose(ae.score_samples(X), expected, rtol=1e-5)


def test_loss_auto_and_explicit(rng):
    X01 = rng.random((20, 4))
    assert small(hidden=(2,)).fit(X01).loss_ == "bce"
    assert small(hidden=(2,), loss="mse").fit(X01).output_activation_ == "linear"
    assert small(hidden=(2,), output_activation="tanh").fit(X01).loss_ == "mse"
    with pytest.raises(DataError, match=r"range over \[-0\.98"):
        small(hidden=(2,), loss="bce").fit(X01 * 2 - 1)
    with pytest.raises(ParameterError, match="sigmoid"):
        small(hidden=(2,), loss="bce", output_activation="linear").fit(X01)


def test_get_set_weights_layout(rng):
    X = rng.random((10, 6))
    ae = small(hidden=(4, 2)).fit(X)
    shapes = [w.shape for w in ae.get_weights()]
    assert shapes == [(6, 4), (4,), (4, 2), (2,), (2, 4), (4,), (4, 6), (6,)]
    tied = small(hidden=(4, 2), tied=True).fit(X)
    assert [w.shape for w in tied.get_weights()] == [(6, 4), (4,), (4, 2), (2,), (4,), (6,)]
    weights = [np.full_like(w, 0.1 * k) for k, w in enumerate(tied.get_weights())]
    tied.set_weights(weights)
    for got, want in zip(tied.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(tied.network_.layers[3].W, weights[0].T)
    with pytest.raises(DataError, match="needs 6 arrays"):
        tied.set_weights(weights[:-1])
    with pytest.raises(DataError, match="shape"):
        tied.set_weights(weights[:-1] + [np.zeros(5)])


def test_get_weights_returns_copies(rng):
    ae = small(hidden=(2,)).fit(rng.random((8, 3)))
    w = ae.get_weights()
    w[0][...] = 99
    assert not np.any(ae.get_weights()[0] == 99)


def test_one_sgd_step_by_hand():
    """A 2-1-2 network, sigmoid code, linear output, mse: one SGD step computed by hand."""
    x1, x2 = 1.0, 0.5
    w11, w21, b1 = 0.1, 0.2, 0.05        # encoder W (2, 1), b (1,)
    v11, v12, c1, c2 = 0.3, -0.4, 0.1, 0.0  # decoder W (1, 2), b (2,)
    lr = 0.5
    # forward
    z = x1 * w11 + x2 * w21 + b1
    h = 1 / (1 + math.exp(-z))
    o1, o2 = h * v11 + c1, h * v12 + c2
    # loss = ((o1 - x1)^2 + (o2 - x2)^2) / 2  -> dL/do = (o - x)
    d1, d2 = (o1 - x1), (o2 - x2)
    dh = d1 * v11 + d2 * v12
    dz = dh * h * (1 - h)
    expected = [np.array([[w11 - lr * x1 * dz], [w21 - lr * x2 * dz]]), np.array([b1 - lr * dz]),
                np.array([[v11 - lr * h * d1, v12 - lr * h * d2]]), np.array([c1 - lr * d1, c2 - lr * d2])]

    ae = Autoencoder(hidden=(1,), activation="sigmoid", loss="mse", output_activation="linear",
                     optimizer="sgd", momentum=0.0, learning_rate=lr, batch_size=1, dtype="float64",
                     epochs=0, random_state=0)
    X = np.array([[x1, x2]])
    ae.fit(X)
    ae.set_weights([np.array([[w11], [w21]]), np.array([b1]), np.array([[v11, v12]]), np.array([c1, c2])])
    ae.partial_fit(X)
    for got, want in zip(ae.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert ae.history_["loss"][-1] == pytest.approx((d1 ** 2 + d2 ** 2) / 2)


def test_partial_fit_initialises_then_continues(rng):
    X = rng.random((40, 5))
    ae = small(hidden=(3,))
    ae.partial_fit(X)
    first = ae.get_weights()
    ae.partial_fit(X)
    assert ae.n_iter_ == 2 and len(ae.history_["loss"]) == 2
    assert not np.array_equal(first[0], ae.get_weights()[0])
    with pytest.raises(DataError, match="features"):
        ae.partial_fit(rng.random((4, 6)))


def test_same_seed_same_weights_bit_for_bit(digits):
    X = digits[0][:300]
    a = small(random_state=7).fit(X).get_weights()
    b = small(random_state=7).fit(X).get_weights()
    c = small(random_state=8).fit(X).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a[0], c[0])
    gen = small(random_state=np.random.default_rng(7)).fit(X).get_weights()
    again = small(random_state=np.random.default_rng(7)).fit(X).get_weights()
    for wa, wb in zip(gen, again):  # a Generator is used, not a fresh unseeded one
        np.testing.assert_array_equal(wa, wb)
    state = np.random.get_state()[1].copy()
    small(random_state=None).fit(X)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # NumPy's global generator untouched


def test_training_lowers_the_loss(digits):
    X = digits[0][:500]
    ae = small(hidden=(32, 8), activation="relu", epochs=15, learning_rate=3e-3).fit(X)
    loss = ae.history_["loss"]
    assert loss[-1] < 0.8 * loss[0]


def test_verbose_prints_one_line_per_epoch(capsys, rng):
    small(hidden=(2,), epochs=4, verbose=1, validation_fraction=0.25).fit(rng.random((40, 3)))
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch")]
    assert len(lines) == 4
    assert all("loss" in l and "val_loss" in l and "samples/s" in l for l in lines)


def test_validation_and_early_stopping_restore_the_best(digits_split):
    Xtr, _, Xte, _ = digits_split
    ae = small(hidden=(32, 4), epochs=40, early_stopping=True, patience=3,
               learning_rate=0.05, dtype="float64").fit(Xtr[:400], validation_data=Xte[:100])
    val = ae.history_["val_loss"]
    assert len(val) == ae.n_iter_
    assert -ae.score(Xte[:100]) == pytest.approx(min(val), rel=1e-10)


def test_lr_decay_on_plateau_lowers_the_rate_after_patience_epochs():
    """The loop lowers the optimizer's rate after every `patience` epochs without a better
    monitored loss, and records each epoch's rate; an improvement resets the count."""
    from npae.optim import Adam
    from npae.training import run_epochs

    val_losses = iter([5.0, 4.0, 4.5, 4.5, 3.0, 3.5, 3.5, 3.5, 3.5])  # the monitored loss, per epoch
    opt, history = Adam(1, np.float64, 1.0), {}
    run_epochs(theta=np.zeros(1), step=lambda rows: (1.0, {}), train_indices=np.arange(4), batch_size=4,
               epochs=9, rng=np.random.default_rng(0), history=history, validate=lambda: next(val_losses),
               optimizer=opt, lr_decay=(2, 0.5))
    # epochs 3-4 fail to improve on 4.0 (halved after epoch 4); 3.0 at epoch 5 resets;
    # epochs 6-7 and 8-9 fail twice each (halved after 7 and after 9)
    assert history["learning_rate"] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert opt.learning_rate == 0.125


def test_lr_decay_on_plateau_counts_over_calls_from_the_history():
    """The same monitored losses in two calls, the second given the first's plateau state
    (replayed from its history), lower the rate at the epochs one call of nine does."""
    from npae.optim import Adam
    from npae.training import plateau_history, run_epochs

    losses = [5.0, 4.0, 4.5, 4.5, 3.0, 3.5, 3.5, 3.5, 3.5]
    opt, history = Adam(1, np.float64, 1.0), {}
    for first, epochs in ((1, 3), (4, 6)):  # the split falls inside the first plateau (epochs 3-4)
        values = iter(losses[first - 1:])
        run_epochs(theta=np.zeros(1), step=lambda rows: (1.0, {}), train_indices=np.arange(4), batch_size=4,
                   epochs=epochs, rng=np.random.default_rng(0), history=history, validate=lambda: next(values),
                   optimizer=opt, lr_decay=(2, 0.5), first_epoch=first, plateau_state=plateau_history(history, 2)[:2])
    assert history["learning_rate"] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert plateau_history(history, 2) == (3.0, 0, 3)  # best 3.0; lowered after epochs 4, 7 and 9
    # partial_fit's training losses after fit's validated epochs start a wait of their own:
    # 4.5 and 4.4 are no plateau, though both lie above the best validation loss 2.0
    assert plateau_history({"val_loss": [3.0, 2.0], "loss": [5.0, 4.0, 4.5, 4.4]}, 2) == (4.4, 0, 0)
    assert plateau_history({"val_loss": [3.0, 2.0], "loss": [5.0, 4.0]}, 2, validated=False) == (np.inf, 0, 0)


def test_partial_fit_after_a_validated_fit_is_not_a_plateau_while_its_loss_falls(rng):
    """After fit watched the validation loss, partial_fit watches the training loss (with its
    penalty) from a wait of its own: a falling training loss never lowers the rate, though it
    stays above the best validation loss."""
    X = rng.random((64, 6))
    ae = small(hidden=(3,), epochs=4, learning_rate=0.01, weight_decay=0.05, validation_fraction=0.25,
               lr_decay_patience=2, lr_decay_factor=0.5).fit(X)
    best_val = min(ae.history_["val_loss"])
    for _ in range(8):
        ae.partial_fit(X)
    losses = ae.history_["loss"][4:]
    assert all(b < a for a, b in zip(losses, losses[1:])) and min(losses) > best_val
    assert ae.history_["learning_rate"][4:] == [ae.history_["learning_rate"][3]] * 8


def test_lr_decay_on_plateau_holds_over_partial_fit_and_a_saved_file(tmp_path):
    """partial_fit continues the plateau count of fit (ten epochs in one fit or in 2 + 8
    partial_fit calls lower the rate at the same epochs), and a loaded model resumes at the
    lowered rate instead of ``learning_rate``."""
    from npae import load

    X = np.random.default_rng(0).random((32, 4))
    params = dict(hidden=(3,), batch_size=32, learning_rate=1.0, lr_decay_patience=2, lr_decay_factor=0.5)
    whole = small(epochs=10, **params).fit(X)
    rates = whole.history_["learning_rate"]
    assert min(rates) < 1.0  # the loss plateaued at least once in these ten epochs
    pieces = small(epochs=2, **params).fit(X)
    for _ in range(8):
        pieces.partial_fit(X)
    assert pieces.history_["learning_rate"] == rates
    assert pieces.history_["loss"] == whole.history_["loss"]
    pieces.save(tmp_path / "ae.npz")
    loaded = load(tmp_path / "ae.npz")
    loaded.partial_fit(X)
    eleventh = small(epochs=11, **params).fit(X).history_["learning_rate"][10]  # set by epochs 1-10 alone
    assert loaded.history_["learning_rate"][-1] == eleventh < 1.0


def test_a_checkpoint_resumes_at_the_rate_its_plateaus_lowered(tmp_path, digits):
    """The file written at fit's last improving epoch k resumes after k epochs, at the rate
    the uninterrupted fit used for epoch k + 1."""
    from npae import load

    X = digits[0]
    whole = small(hidden=(8,), epochs=15, learning_rate=0.3, lr_decay_patience=1, lr_decay_factor=0.5).fit(
        X[:300], validation_data=X[300:400], checkpoint=tmp_path / "best.npz")
    saved = load(tmp_path / "best.npz")
    k = len(saved.history_["loss"])
    assert saved.n_iter_ == k < 15
    saved.partial_fit(X[:300])
    assert saved.history_["learning_rate"][-1] == whole.history_["learning_rate"][k] < 0.3


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_lr_decay_changes_the_steps_taken(backend):
    """With the rate cut to almost zero at the first plateau, the weights stop moving there,
    on both backends (each reads the optimizer's current rate at every step)."""
    if backend == "numba":
        pytest.importorskip("numba")
    X = np.random.default_rng(0).random((64, 5))
    params = dict(hidden=(3,), epochs=6, learning_rate=0.5, dtype="float64", backend=backend,
                  validation_fraction=0.25)
    plain = small(**params).fit(X)
    decayed = small(lr_decay_patience=1, lr_decay_factor=1e-12, **params).fit(X)
    rates, val = decayed.history_["learning_rate"], decayed.history_["val_loss"]
    assert "learning_rate" not in plain.history_
    assert rates[:5] == [0.5] * 5 and rates[5] == pytest.approx(5e-13, rel=1e-9, abs=0)  # epoch 5 did not improve
    assert val[:5] == pytest.approx(plain.history_["val_loss"][:5], rel=1e-12)
    assert val[5] == pytest.approx(val[4], rel=1e-9) and plain.history_["val_loss"][5] != pytest.approx(val[4])
    with pytest.raises(ValueError, match="lr_decay_factor"):
        small(lr_decay_factor=1.5).fit(X)
    with pytest.raises(ValueError, match="lr_decay_patience"):
        small(lr_decay_patience=0).fit(X)


def test_lr_milestones_lower_the_rate_after_those_epochs_counted_over_calls():
    """PyTorch's MultiStepLR: the rate is multiplied by the factor after each listed epoch,
    whatever the monitored loss does; epochs count on from ``first_epoch``."""
    from npae.optim import Adam
    from npae.training import run_epochs

    opt, history = Adam(1, np.float64, 1.0), {}
    common = dict(theta=np.zeros(1), step=lambda rows: (1.0, {}), train_indices=np.arange(4), batch_size=4,
                  rng=np.random.default_rng(0), history=history, optimizer=opt, lr_milestones=((2, 4), 0.5))
    run_epochs(epochs=3, **common)
    run_epochs(epochs=2, first_epoch=4, **common)
    assert history["learning_rate"] == [1.0, 1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize("model", ["autoencoder", "classifier"])
def test_lr_decay_epochs_replay_a_plateau_schedule_exactly(model):
    """A run whose rate fell on validation plateaus, replayed with ``lr_decay_epochs`` taken
    from its recorded rates (what a refit on all the data does), takes the same steps."""
    from npae import Classifier
    from npae.training import decay_epochs

    rng = np.random.default_rng(0)
    X, X_val = rng.random((64, 5)), rng.random((32, 5))
    y, y_val = (X[:, 0] > 0.5).astype(int), (X_val[:, 0] > 0.5).astype(int)
    if model == "autoencoder":
        def make(**kw):
            return small(hidden=(3,), epochs=12, learning_rate=1.0, dtype="float64", backend="numpy", **kw)
        data, val = (X,), X_val
    else:
        def make(**kw):
            return Classifier(hidden=(4,), epochs=12, learning_rate=0.3, dtype="float64", backend="numpy",
                              random_state=0, **kw)
        data, val = (X, y), (X_val, y_val)
    plateaus = make(lr_decay_patience=1, lr_decay_factor=0.5).fit(*data, validation_data=val)
    rates = plateaus.history_["learning_rate"]
    milestones = decay_epochs(rates)
    assert len(milestones) >= 2 and rates[-1] < rates[0]  # the schedule did lower the rate, more than once
    replayed = make(lr_decay_epochs=milestones, lr_decay_factor=0.5).fit(*data, validation_data=val)
    assert replayed.history_["learning_rate"] == rates
    assert replayed.history_["val_loss"] == pytest.approx(plateaus.history_["val_loss"], rel=1e-12)
    constant = make().fit(*data, validation_data=val)
    assert constant.history_["val_loss"][-1] != pytest.approx(plateaus.history_["val_loss"][-1], rel=1e-6)


def test_lr_decay_epochs_hold_over_partial_fit_and_a_saved_file(tmp_path):
    """Milestones count epochs over partial_fit calls, and a loaded model (whose optimizer
    starts afresh) resumes at the rate the milestones already passed give."""
    from npae import load

    X = np.random.default_rng(0).random((32, 4))
    ae = small(hidden=(3,), epochs=2, learning_rate=0.1, lr_decay_epochs=np.array([1, 2, 4]),
               lr_decay_factor=0.5).fit(X)
    ae.partial_fit(X)
    assert ae.history_["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    ae.save(tmp_path / "ae.npz")
    loaded = load(tmp_path / "ae.npz")
    assert loaded.lr_decay_epochs == (1, 2, 4)
    loaded.partial_fit(X)
    loaded.partial_fit(X)
    assert loaded.history_["learning_rate"] == pytest.approx([0.1, 0.05, 0.025, 0.025, 0.0125])


@pytest.mark.parametrize("bad", ["30", (3, 2), (2, 2), (0,), (1.5,), 3, (True,), {1: 2}, {3}, np.array(3)])
def test_lr_decay_epochs_rejects_what_is_not_increasing_epoch_numbers(bad):
    with pytest.raises(ValueError, match="lr_decay_epochs"):
        small(lr_decay_epochs=bad).fit(np.random.default_rng(0).random((16, 3)))


def test_lr_decay_epochs_and_patience_are_exclusive():
    with pytest.raises(ValueError, match="not both"):
        small(lr_decay_epochs=(2,), lr_decay_patience=2).fit(np.random.default_rng(0).random((16, 3)))


def test_validation_fraction_holds_out_rows(rng):
    ae = small(hidden=(2,), validation_fraction=0.2).fit(rng.random((50, 3)))
    assert len(ae.history_["val_loss"]) == 3


def test_divergence_restores_and_raises(rng):
    X = rng.normal(size=(64, 4)) * 1e3
    params = dict(hidden=(8,), activation="relu", loss="mse", optimizer="sgd", momentum=0.0, learning_rate=1e3)
    ae = small(epochs=5, **params)
    with pytest.raises(DivergenceError, match="diverged at epoch"):
        ae.fit(X)
    # the weights of the last epoch that finished (here the initial ones: it diverged in epoch
    # 1), those of the same fit stopped before the bad epoch; not merely finite ones
    good = small(epochs=ae.history_["diverged_at"][0][0] - 1, **params).fit(X)
    for a, b in zip(ae.get_weights(), good.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(ae.transform(X)))
    assert "diverged_at" in ae.history_
    with pytest.warns(RuntimeWarning, match="diverged"):
        ae.set_params(on_divergence="warn").fit(X)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_weights_that_overflow_on_an_epochs_last_step_follow_on_divergence(backend, rng):
    """One full batch a step: the step's loss is finite, the weights it leaves are not. The loop
    treats that as a divergence like a NaN loss: recorded, restored, and warned or raised as
    ``on_divergence`` says (it used to raise always, with nothing in ``diverged_at``)."""
    if backend == "numba":
        pytest.importorskip("numba")
    X = rng.standard_normal((32, 4)) * 10
    ae = small(hidden=(3,), activation="linear", optimizer="sgd", momentum=0.0, learning_rate=1e37, epochs=5,
               on_divergence="warn", backend=backend)
    with pytest.warns(RuntimeWarning, match="epoch 1, batch 1: the weights became NaN or infinite"):
        ae.fit(X)
    assert ae.history_["diverged_at"] == [(1, 1)] and ae.n_iter_ == 0
    assert np.all(np.isfinite(ae.transform(X)))
    with pytest.raises(DivergenceError, match="the weights became NaN or infinite"):
        ae.set_params(on_divergence="raise").fit(X)
    assert ae.history_["diverged_at"] == [(1, 1)]
    clf = Classifier(optimizer="sgd", momentum=0.0, learning_rate=1e38, batch_size=32, epochs=5,
                     on_divergence="warn", random_state=0, backend=backend)
    with pytest.warns(RuntimeWarning, match="the weights became NaN or infinite"):
        clf.fit(X, (X[:, 0] > 0).astype(int))
    assert clf.history_["diverged_at"] == [(1, 1)] and clf.n_iter_ == 0
    assert np.all(np.isfinite(clf.predict_proba(X)))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_interrupt_keeps_the_last_completed_epoch(backend, rng, monkeypatch):
    if backend == "numba":
        pytest.importorskip("numba")
    X = rng.random((64, 5))
    reference = small(hidden=(3,), epochs=2, backend=backend).fit(X)
    ae = small(hidden=(3,), epochs=5, backend=backend)
    import npae.fused_step
    import npae.optim

    owner, name = (npae.fused_step.FusedStep, "optimizer_step") if backend == "numba" else (npae.optim.Adam, "step")
    calls = {"n": 0}
    original = getattr(owner, name)

    def step(self, *args):
        calls["n"] += 1
        if calls["n"] == 2 * 2 + 1:  # two batches per epoch: interrupt early in epoch 3
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(owner, name, step)
    with pytest.raises(KeyboardInterrupt):
        ae.fit(X)
    assert ae.n_iter_ == 2 and len(ae.history_["loss"]) == 2
    for a, b in zip(ae.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_holds_the_best_model(tmp_path, digits_split):
    Xtr, _, Xte, _ = digits_split
    path = tmp_path / "best.npz"
    ae = small(hidden=(16, 4), epochs=8, early_stopping=True, patience=2, learning_rate=0.02)
    ae.fit(Xtr[:300], validation_data=Xte[:80], checkpoint=path)
    best = npae.load(path)
    np.testing.assert_array_equal(best.transform(Xte), ae.transform(Xte))


def test_not_fitted_error(rng):
    with pytest.raises(NotFittedError, match="not fitted"):
        Autoencoder().transform(rng.random((2, 3)))
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


@pytest.mark.parametrize("params,match", [
    (dict(hidden=()), "hidden"), (dict(hidden=(4, 0)), "hidden"), (dict(activation="gelu"), "activation"),
    (dict(loss="huber"), "loss"), (dict(optimizer="rmsprop"), "optimizer"), (dict(learning_rate=0), "learning_rate"),
    (dict(batch_size=0), "batch_size"), (dict(dtype="float16"), "dtype"), (dict(backend="cuda"), "backend"),
])
def test_bad_options_are_named(params, match, rng):
    with pytest.raises(ParameterError, match=match):
        Autoencoder(**params).fit(rng.random((5, 3)))


def test_get_set_params_round_trip():
    ae = Autoencoder(hidden=(8, 2), learning_rate=0.01)
    params = ae.get_params()
    assert params["hidden"] == (8, 2) and params["learning_rate"] == 0.01
    clone = Autoencoder(**params)
    assert clone.get_params() == params
    assert ae.set_params(epochs=3) is ae and ae.epochs == 3
    with pytest.raises(ParameterError, match="no parameter 'epoch'"):
        ae.set_params(epoch=3)
    assert "hidden=(8, 2)" in repr(ae)


def test_save_load_round_trip(tmp_path, rng):
    X = rng.random((30, 5))
    for k, model in enumerate((small(hidden=(4, 2), tied=True).fit(X), small(hidden=(4, 2)).fit(X),
                               small(hidden=(3,), contamination=0.1, dtype="float64").fit(X), PCA(2).fit(X))):
        path = tmp_path / f"{type(model).__name__}{k}.npz"
        model.save(path)
        assert_same_model(npae.load(path), model, X)  # decoder, threshold and attributes, not only transform
    assert [p.name for p in tmp_path.iterdir()] and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_wide_code_saves_and_loads(tmp_path, rng):
    """A 600-unit code's statistics (its covariance: 360,000 numbers) are arrays in the file;
    as JSON they were 34 MB of metadata, over the reader's limit, and the file did not load."""
    X = rng.random((40, 6))
    ae = small(hidden=(600,), epochs=1).fit(X)
    ae.save(tmp_path / "wide.npz")
    loaded = npae.load(tmp_path / "wide.npz")
    for name in ("code_mean_", "code_cov_", "code_min_", "code_max_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(ae, name))
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))


def test_wide_code_in_an_edited_file_is_refused_before_allocating(tmp_path, rng):
    """hidden edited to [4, 20000] in a small file would need a 20000 x 20000 covariance:
    refused from the sizes the file declares, without allocating it."""
    import tracemalloc

    small(hidden=(4, 2)).fit(rng.random((30, 5))).save(tmp_path / "m.npz")
    payload = dict(np.load(tmp_path / "m.npz"))
    doc = json.loads(str(payload["__npae__"]))
    doc["params"]["hidden"] = [4, 20000]
    payload["__npae__"] = np.array(json.dumps(doc))
    with open(tmp_path / "wide.npz", "wb") as f:
        np.savez(f, **payload)
    tracemalloc.start()
    with pytest.raises(npae.errors.ModelFileError, match="describe"):
        npae.load(tmp_path / "wide.npz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2 ** 20


def test_checkpoint_of_a_refit_with_another_code_loads(tmp_path, rng):
    """A second fit drops the first fit's code statistics: its checkpoints (written before
    the new statistics exist) hold none, and load."""
    X = rng.random((30, 5))
    ae = small(hidden=(3,)).fit(X)
    ae.set_params(hidden=(4, 2)).fit(X, checkpoint=tmp_path / "ck.npz", validation_data=X[:10])
    loaded = npae.load(tmp_path / "ck.npz")
    assert loaded.network_.specs[1].n_out == 2 and not hasattr(loaded, "code_mean_")


def test_format_1_files_still_load(tmp_path, rng):
    """Format 1 kept the code statistics in the JSON metadata; such files load unchanged."""
    X = rng.random((30, 5))
    ae = small(hidden=(4, 2)).fit(X)
    ae.save(tmp_path / "new.npz")
    payload = dict(np.load(tmp_path / "new.npz"))
    doc = json.loads(str(payload["__npae__"]))
    assert doc["version"] == 2 and doc["meta"]["code_statistics"] is True
    doc["version"] = 1
    del doc["meta"]["code_statistics"]
    for name in ("code_mean_", "code_cov_", "code_min_", "code_max_"):
        doc["meta"][name] = payload.pop(name).tolist()
        del doc["arrays"][name]
    payload["__npae__"] = np.array(json.dumps(doc))
    with open(tmp_path / "old.npz", "wb") as f:
        np.savez(f, **payload)
    loaded = npae.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(loaded.code_cov_, ae.code_cov_)
    np.testing.assert_array_equal(loaded.reconstruct(X), ae.reconstruct(X))
    def refused(edit, match):
        bad_doc, bad_payload = json.loads(json.dumps(doc)), dict(payload)
        edit(bad_doc, bad_payload)
        bad_payload["__npae__"] = np.array(json.dumps(bad_doc))
        with open(tmp_path / "bad.npz", "wb") as f:
            np.savez(f, **bad_payload)
        with pytest.raises(npae.errors.ModelFileError, match=match):
            npae.load(tmp_path / "bad.npz")

    # the statistics both in the JSON and as (unchecked) arrays; an array list that still names
    # them; format 2's key in a format 1 file; a version that is not an integer
    refused(lambda d, p: p.update(code_cov_=np.zeros((2, 2))), "keeps")
    refused(lambda d, p: d["arrays"].update(code_cov_={"sha256": "x"}), "array list")
    refused(lambda d, p: d["meta"].update(code_statistics="junk"), "code_statistics")
    refused(lambda d, p: d.update(version=1.0), "version")
    doc["meta"]["code_mean_"][0] = float("nan")  # checked as the arrays of format 2 are
    payload["__npae__"] = np.array(json.dumps(doc))
    with open(tmp_path / "old.npz", "wb") as f:
        np.savez(f, **payload)
    with pytest.raises(npae.errors.ModelFileError, match="code_mean_.*NaN"):
        npae.load(tmp_path / "old.npz")


def test_digits_autoencoder_beats_pca(digits_split):
    """An 8-unit code reconstructs held-out digits better than PCA with 8 components."""
    Xtr, _, Xte, _ = digits_split
    ae = Autoencoder(hidden=(128, 8), activation="relu", code_activation="linear", epochs=60,
                     batch_size=32, learning_rate=3e-3, random_state=0).fit(Xtr)
    ae_mse = np.mean((ae.reconstruct(Xte) - Xte) ** 2)
    pca_mse = np.mean((PCA(8).fit(Xtr).reconstruct(Xte) - Xte) ** 2)
    assert ae_mse < 0.75 * pca_mse, (ae_mse, pca_mse)


def test_linear_autoencoder_spans_the_pca_subspace():
    """A linear autoencoder on squared error learns the principal subspace."""
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.normal(size=(6, 2)))[0]
    X = rng.normal(size=(400, 2)) * [3.0, 1.5] @ basis.T + 0.2 * rng.normal(size=(400, 6)) + 0.5
    ae = Autoencoder(hidden=(2,), activation="linear", loss="mse", epochs=500, batch_size=100,
                     learning_rate=2e-2, dtype="float64", random_state=0).fit(X)
    pca = PCA(2).fit(X)
    decoder_rows = ae.get_weights()[2]  # (2, 6): the decoder's W spans the learned subspace
    Q = np.linalg.qr(decoder_rows.T)[0]
    P_ae, P_pca = Q @ Q.T, pca.components_.T @ pca.components_
    assert np.linalg.norm(P_ae - P_pca, 2) < 0.01
    ae_err = np.mean((ae.reconstruct(X) - X) ** 2)
    pca_err = np.mean((pca.reconstruct(X) - X) ** 2)
    assert pca_err <= ae_err < 1.01 * pca_err
