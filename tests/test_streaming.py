"""partial_fit costs what its training steps cost (issue 19): the statistics of its data are
computed when first read, the fused step and its buffers are kept between calls, and the
per-call guards are cheap. What a user reads must not change: each test below compares
with the statistics computed on the spot, as partial_fit did before."""

import pickle

import numpy as np
import pytest

from npae import Autoencoder, ContractiveAutoencoder, VariationalAutoencoder, load
from npae.backend import _blas_controller, numba_available, thread_limit
from npae.models.latent import code_statistics
from npae.errors import DivergenceError, ParameterError
from npae.training import all_finite, run_epochs


def _statistics_now(model, X):
    """What partial_fit(X) used to set at once: the code statistics of X at the current weights."""
    return code_statistics(model.transform(X))


def test_partial_fit_statistics_are_those_of_its_data_after_the_pass(rng):
    X = rng.random((300, 8))
    ae = Autoencoder(hidden=(6, 3), epochs=1, random_state=0)
    ae.partial_fit(X[:150])
    ae.partial_fit(X[150:])
    expected = _statistics_now(ae, X[150:])
    for name, value in zip(("code_mean_", "code_cov_", "code_min_", "code_max_"), expected):
        np.testing.assert_allclose(getattr(ae, name), value, rtol=1e-6, atol=1e-7)
    assert ae.sample(5, random_state=0).shape == (5, 8)


def test_a_refilled_batch_buffer_does_not_change_the_statistics(rng):
    """Streaming code often reads each batch into one buffer: the statistics are of the batch
    that was passed, not of what the buffer holds when they are first read."""
    buffer = rng.random((100, 5))
    ae = Autoencoder(hidden=(4, 2), epochs=1, dtype="float64", random_state=0).partial_fit(buffer)
    expected = _statistics_now(ae, buffer)
    buffer[:] = rng.random((100, 5)) * 10.0  # the next batch arrives
    np.testing.assert_allclose(ae.code_mean_, expected[0], rtol=1e-12)
    np.testing.assert_allclose(ae.code_max_, expected[3], rtol=1e-12)


def test_a_detector_thresholds_its_last_batch_when_asked(rng):
    X = rng.random((400, 6))
    ae = Autoencoder(hidden=(5, 2), epochs=1, contamination=0.1, random_state=0)
    ae.partial_fit(X[:200]).partial_fit(X[200:])
    np.testing.assert_allclose(ae.calibration_scores_, ae.score_samples(X[200:]), rtol=1e-6)
    assert np.mean(ae.predict(X[200:]) == -1) == pytest.approx(0.1, abs=0.02)
    # a model streamed without contamination kept no scores, whatever it is set to later
    plain = Autoencoder(hidden=(5, 2), epochs=1, random_state=0).partial_fit(X)
    assert not hasattr(plain, "calibration_scores_")


def test_set_weights_keeps_the_statistics_of_the_weights_partial_fit_left(rng):
    X = rng.random((120, 6))
    ae = Autoencoder(hidden=(4, 2), epochs=1, dtype="float64", random_state=0).partial_fit(X)
    expected = _statistics_now(ae, X)
    ae.set_weights([w * 2.0 for w in ae.get_weights()])
    np.testing.assert_allclose(ae.code_mean_, expected[0], rtol=1e-12)


def test_fit_after_partial_fit_forgets_the_stream(rng):
    X = rng.random((120, 6))
    ae = Autoencoder(hidden=(4, 2), epochs=1, random_state=0).partial_fit(X)
    ae.fit(X[:60])
    assert "_undescribed" not in ae.__dict__
    np.testing.assert_allclose(ae.code_mean_, _statistics_now(ae, X[:60])[0], rtol=1e-6)


def test_pickles_and_files_hold_the_statistics_not_the_data(rng, tmp_path):
    X = rng.random((150, 7))
    ae = ContractiveAutoencoder(hidden=(5,), contractive=0.1, epochs=1, contamination=0.05, random_state=0)
    ae.partial_fit(X)
    state = ae.__getstate__()
    assert "_undescribed" not in state and "_fused_cache" not in state
    clone = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(clone.code_cov_, ae.code_cov_)
    assert clone.offset_ == ae.offset_
    streamed = Autoencoder(hidden=(5, 2), epochs=1, contamination=0.05, random_state=1).partial_fit(X)
    path = tmp_path / "streamed.npz"
    streamed.save(path)
    loaded = load(path)
    np.testing.assert_allclose(loaded.code_mean_, _statistics_now(streamed, X)[0], rtol=1e-6)
    np.testing.assert_allclose(loaded.threshold_, streamed.threshold_, rtol=1e-6)


def test_a_vae_streams_too(rng):
    X = (rng.random((200, 10)) < 0.3).astype(float)
    vae = VariationalAutoencoder(hidden=(8, 2), epochs=1, random_state=0).partial_fit(X)
    mu, log_var = vae.posterior(X)
    assert vae.active_units_ == int(np.sum(np.var(mu, axis=0) > 1e-2))
    assert vae.kl_per_dimension_.shape == (2,)


def test_the_lazy_attributes_do_not_hide_errors():
    """__getattr__ must leave an unknown name, an unfitted model and a missing method with
    their own errors."""
    ae = Autoencoder()
    with pytest.raises(AttributeError, match="no attribute 'code_mean_'"):
        ae.code_mean_
    with pytest.raises(AttributeError, match="not_a_name"):
        ae.not_a_name
    with pytest.raises(AttributeError, match="novelty=False"):
        Autoencoder(contamination=0.1).fit_predict


@pytest.mark.skipif(not numba_available(), reason="the fused step runs on numba")
def test_the_fused_step_is_kept_between_calls_and_rebuilt_when_its_settings_change(rng):
    X = rng.random((64, 6)).astype(np.float32)
    ae = Autoencoder(hidden=(4, 2), epochs=1, backend="numba", random_state=0)
    ae.partial_fit(X)
    first = ae.__dict__["_fused_cache"][1]
    ae.partial_fit(X)
    assert ae.__dict__["_fused_cache"][1] is first
    ae.set_params(weight_decay=1e-4).partial_fit(X)  # a new objective: a new step
    assert ae.__dict__["_fused_cache"][1] is not first
    assert ae.__dict__["_fused_cache"][1].objective.weight_decay == 1e-4


BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(not numba_available(),
                                                                    reason="numba is not installed"))]


def _spoil_next_gradient(model, monkeypatch, what):
    """The model's next training step computes a NaN loss, or a finite loss with an infinite
    gradient entry (what a float32 overflow in the backward pass gives)."""
    cls = type(model)
    original = cls._gradient_step

    def gradient_step(self, X, optimizer, rng):
        gradient, update = original(self, X, optimizer, rng)

        def spoiled(rows):
            loss, parts = gradient(rows)
            if what == "loss":
                return float("nan"), parts
            # an infinite entry, or a finite one whose square overflows float32 (Adam's second
            # moment would hold inf and freeze that weight for good)
            self.network_.grad[3] = np.inf if what == "gradient" else 1e20
            return loss, parts

        return spoiled, update

    monkeypatch.setattr(cls, "_gradient_step", gradient_step)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("what", ["loss", "gradient", "huge gradient"])
@pytest.mark.parametrize("kind", [Autoencoder, VariationalAutoencoder])
def test_a_one_batch_step_that_goes_wrong_leaves_the_weights(rng, monkeypatch, backend, optimizer, what, kind):
    """A stream's partial_fit keeps no copy of the weights with Adam (its step checks the loss
    and the gradient before updating): they must come out exactly as they went in, with Adam's
    state (which the held-back step did not touch, so the stream goes on with it; SGD's step
    was applied and undone, so its optimizer restarts, as after any divergence)."""
    if what == "huge gradient" and optimizer == "sgd":
        pytest.skip("SGD applies a finite gradient, however large (no second moment to overflow)")
    X = rng.random((24, 5))
    dtype = "float32" if what == "huge gradient" else "float64"
    model = kind(hidden=(4, 2), batch_size=32, optimizer=optimizer, backend=backend, dtype=dtype,
                 random_state=0).partial_fit(X)
    before = model.network_.theta.copy()
    state = {k: np.copy(v) for k, v in vars(model._optimizer).items() if isinstance(v, (np.ndarray, int))}
    with monkeypatch.context() as patch:
        _spoil_next_gradient(model, patch, what)
        with pytest.raises(DivergenceError, match="epoch 2, batch 1"):
            model.partial_fit(X)
    assert np.array_equal(model.network_.theta, before)
    assert model.history_["diverged_at"] == [(2, 1)] and model.n_iter_ == 1
    if optimizer == "adam":
        assert all(np.array_equal(getattr(model._optimizer, k), v) for k, v in state.items())
    else:
        assert model._optimizer is None
    model.set_params(on_divergence="warn")
    with monkeypatch.context() as patch:
        _spoil_next_gradient(model, patch, what)
        with pytest.warns(RuntimeWarning, match="diverged"):
            model.partial_fit(X)
    assert np.array_equal(model.network_.theta, before)
    model.partial_fit(X)  # the stream goes on from the weights it had
    assert all_finite(model.network_.theta) and not np.array_equal(model.network_.theta, before)


def test_a_guarded_epoch_of_several_batches_restores_its_start(rng):
    """The guard is for epochs of one minibatch; with several, a step that goes wrong after
    others restores the epoch's start, as without it."""
    theta = np.array([1.0, 2.0])
    calls = {"n": 0}

    def step(rows, guard=False):
        assert not guard  # several batches: the restore point, not the guard
        calls["n"] += 1
        theta[:] -= 0.1
        return (float("nan") if calls["n"] == 3 else 1.0), {}

    with pytest.raises(DivergenceError, match="epoch 1, batch 3"):
        run_epochs(theta=theta, step=step, train_indices=np.arange(8), batch_size=2, epochs=1,
                   rng=np.random.default_rng(0), history={}, guarded=True)
    assert np.array_equal(theta, [1.0, 2.0])


def test_a_guarded_one_batch_epoch_trusts_its_step(rng):
    """With one batch an epoch the step is called with guard=True and theta is not copied:
    what it leaves is what the loop keeps, over several epochs."""
    theta = np.array([1.0])
    guards = []

    def step(rows, guard=False):
        guards.append(guard)
        theta[:] *= 0.5
        return float(theta[0]), {}

    history = {}
    run_epochs(theta=theta, step=step, train_indices=np.arange(3), batch_size=4, epochs=3,
               rng=np.random.default_rng(0), history=history, guarded=True)
    assert guards == [True] * 3 and theta[0] == 0.125 and history["loss"] == [0.5, 0.25, 0.125]
    # validation (or a checkpoint, or early stopping) runs after the step: an interrupt there
    # must find the epoch's start kept, so the guard is not used
    guards.clear()
    run_epochs(theta=theta, step=step, train_indices=np.arange(3), batch_size=4, epochs=2,
               rng=np.random.default_rng(0), history=history, guarded=True, validate=lambda: 1.0)
    assert guards == [False] * 2


def test_a_stream_validates_its_settings_once_and_again_when_one_changes(rng, monkeypatch):
    X = rng.random((40, 5))
    ae = Autoencoder(hidden=[4, 2], epochs=1, random_state=0).partial_fit(X)
    calls = []
    original = Autoencoder._validate_params
    monkeypatch.setattr(Autoencoder, "_validate_params", lambda self: calls.append(1) or original(self))
    for _ in range(3):
        ae.partial_fit(X)
    assert calls == []  # unchanged settings: validated by the first call
    with pytest.raises(ParameterError, match="learning_rate"):
        ae.set_params(learning_rate=-1.0).partial_fit(X)
    ae.set_params(learning_rate=1e-3).partial_fit(X)  # back to the settings that passed
    assert len(calls) == 1
    ae.hidden[1] = 0  # changed in place: seen too
    with pytest.raises(ParameterError, match="hidden"):
        ae.partial_fit(X)
    assert len(calls) == 2
    assert "_validated" not in pickle.loads(pickle.dumps(ae.set_params(hidden=[4, 2]))).__dict__
    from npae.models.autoencoder import _fingerprint

    options = {"noise": 0.1}
    before = _fingerprint(options)
    options["noise"] = 0.2  # a dict changed in place (a stack's layer_params) is a change
    assert _fingerprint(options) != before and _fingerprint(np.array([1, 2])) != _fingerprint(np.array([1, 3]))


def test_all_finite_is_exact(rng):
    a = rng.standard_normal(1000).astype(np.float32)
    assert all_finite(a)
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[417] = bad
        assert not all_finite(b)
    big = np.full(10, 3e38, dtype=np.float32)  # finite values whose sum overflows
    assert all_finite(big)
    big[3] = np.inf
    assert not all_finite(big)


def test_the_blas_controller_is_found_once():
    pytest.importorskip("threadpoolctl")
    import sys

    assert _blas_controller(len(sys.modules)) is _blas_controller(len(sys.modules))
    with thread_limit(1):
        inside = [info["num_threads"] for info in _blas_controller(len(sys.modules)).info()
                  if info["user_api"] == "blas"]
    assert inside and all(n == 1 for n in inside)


@pytest.mark.skipif(not numba_available(), reason="fused_predict runs on the numba kernels")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu", "softplus", "leaky_relu", "linear"])
def test_fused_predict_equals_the_reference_forward(rng, dtype, activation):
    """transform / inverse_transform / reconstruct on the numba backend run
    npae.fused_predict: the reference Network.predict's numbers, over several chunks and a
    short last one, for every activation."""
    from npae.backend import load_kernels
    from npae.fused_predict import fused_predict

    X = rng.random((2500, 12))
    ae = Autoencoder(hidden=(9, 4), activation=activation, code_activation="tanh", epochs=1, dtype=dtype,
                     backend="numba", random_state=0).fit(X[:200])
    net, tol = ae.network_, (2e-6 if dtype == "float32" else 1e-13)
    reference = net.predict(X.astype(dtype))
    for chunk in (1024, 7):
        np.testing.assert_allclose(fused_predict(net, X[:600] if chunk == 7 else X, 0, None, load_kernels(), chunk),
                                   reference[:600] if chunk == 7 else reference, rtol=tol, atol=tol)
    np.testing.assert_allclose(ae.transform(X), net.predict(X.astype(dtype), 0, 2), rtol=tol, atol=tol)
    Z = rng.standard_normal((1500, 4))
    np.testing.assert_allclose(ae.inverse_transform(Z), net.predict(Z.astype(dtype), 2, None), rtol=tol, atol=tol)
    assert ae.transform(X).dtype == np.dtype(dtype)


def test_in_memory_tells_a_file_backed_array_from_one_in_memory(tmp_path):
    """Inference reads data in memory in large chunks and files in small ones (bounded
    memory): a view of a memmap, such as np.asarray gives, is file-backed too."""
    from npae.validation import in_memory

    path = tmp_path / "rows.npy"
    np.save(path, np.zeros((10, 3)))
    mapped = np.load(path, mmap_mode="r")
    assert in_memory(np.zeros((4, 3)))
    assert in_memory(np.zeros((4, 3))[1:3])
    assert not in_memory(mapped)
    assert not in_memory(np.asarray(mapped)) and type(np.asarray(mapped)) is np.ndarray
    assert not in_memory(np.asarray(mapped)[2:5])
    assert not in_memory([[1.0, 2.0]])
