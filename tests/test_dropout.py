"""Dropout on the hidden layers (``npae.dropout``, the ``dropout`` parameter): the model's
gradient with its mask held fixed, the fused numba step against the reference objective
(float64: relative 1e-12; float32: 1e-5), dropout=0 changing nothing, inference without
dropout, the parameter's checks, and that training with dropout does what it says.

Runs without numba (the kernel tests skip), under NPAE_BACKEND=numpy and with the JIT off
(NUMBA_DISABLE_JIT=1: whole fits on the compiled step are ``compiled_only``)."""

import importlib.util
import os

import numpy as np
import pytest

from conftest import assert_fused_step_equals_reference, bytes_left_allocated

import npae.network
from npae import (Autoencoder, ContractiveAutoencoder, DenoisingAutoencoder, SparseAutoencoder,
                  StackedAutoencoder, gradcheck, load)
from npae.dropout import dropout_backward, dropout_forward, dropout_mask, dropout_masks
from npae.errors import ParameterError
from npae.losses import output_delta
from npae.objectives import autoencoder_objective

HAS_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
#: whole fits on the compiled step take minutes with the JIT off; the step tests cover the same lines
compiled_only = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                                   reason="whole fits are too slow with the JIT off")


def kernels():
    from npae.backend import load_kernels

    return load_kernels()


# ------------------------------------------------------------------ the math
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mask_is_zero_or_one_over_keep_and_drops_about_p(dtype):
    M = dropout_mask((400, 50), 0.3, np.random.default_rng(0), dtype)
    assert M.dtype == dtype
    kept = dtype(1.0) / dtype(0.7)
    assert set(np.unique(M)) <= {dtype(0.0), kept}
    assert abs(np.mean(M == 0) - 0.3) < 0.01  # 20000 draws: a standard error of 0.003
    assert abs(M.mean() - 1.0) < 0.02  # inverted dropout keeps the expected activation
    A, dA = np.full((400, 50), 2.0, dtype), np.ones((400, 50), dtype)
    np.testing.assert_array_equal(dropout_forward(A, M), A * M)
    np.testing.assert_array_equal(dropout_backward(dA, M), M)


def test_masks_cover_the_hidden_layers_only_and_zero_draws_nothing():
    model = Autoencoder(hidden=(5, 3), epochs=0, dtype="float64", random_state=0).fit(np.zeros((4, 6)))
    rng = np.random.default_rng(1)
    masks = dropout_masks(model.network_, 4, 0.5, rng)
    assert sorted(masks) == [0, 1, 2]  # encoder.0, the code, decoder.0; not the output layer
    assert [m.shape for m in masks.values()] == [(4, 5), (4, 3), (4, 5)]
    state = rng.bit_generator.state
    assert dropout_masks(model.network_, 4, 0.0, rng) == {}
    assert rng.bit_generator.state == state


# ------------------------------------------------------------------ gradient, mask held fixed
GRADCHECK_CASES = [
    dict(hidden=(5, 3), activation="tanh", loss="mse"),
    dict(hidden=(5, 3), activation="tanh", loss="mse", tied=True),
    dict(hidden=(5, 4, 3), activation="sigmoid", loss="bce", tied=True, weight_decay=0.05),
    dict(hidden=(4,), activation="softplus", loss="mse", contractive=0.3),
    dict(hidden=(5, 4, 3), activation="tanh", loss="mse", contractive=0.3, contractive_mode="stochastic", tied=True),
    dict(hidden=(5, 3), activation="sigmoid", loss="bce", sparsity=0.2),
    dict(hidden=(5, 3), activation="elu", loss="mse", corruption="masking", noise=0.3, sparsity=0.1,
         sparsity_mode="l1", weight_decay=0.01),
]


@pytest.mark.parametrize("params", GRADCHECK_CASES, ids=[str(i) for i in range(len(GRADCHECK_CASES))])
def test_model_gradcheck_with_dropout(params):
    """The whole model's gradient, every parameter and the input, in float64 with 6 output
    features; ``_gradcheck_problem`` re-draws the masks from a fixed seed at each evaluation."""
    X = np.random.default_rng(3).uniform(0.05, 0.95, size=(5, 6))
    model = Autoencoder(epochs=0, dtype="float64", random_state=0, dropout=0.4, **params).fit(X)
    report = gradcheck(model, X)
    assert set(report.errors) == set(model.network_.param_names) | {"input"}
    assert report.passed, report.table()
    assert report.max_rel_error <= 1e-6
    # the loss checked is the dropped one, not the plain model's
    with_dropout = model._gradcheck_problem(X).evaluate()[0]
    model.set_params(dropout=0.0)
    assert with_dropout != pytest.approx(model._gradcheck_problem(X).evaluate()[0], rel=1e-3)


def test_gradcheck_catches_a_backward_pass_without_the_mask(monkeypatch):
    """The check can fail: a backward pass that forgets to multiply by the mask is reported."""
    X = np.random.default_rng(3).uniform(0.05, 0.95, size=(5, 6))
    model = Autoencoder(hidden=(5, 3), activation="tanh", loss="mse", epochs=0, dtype="float64", random_state=0,
                        dropout=0.4).fit(X)
    monkeypatch.setattr(npae.network, "dropout_backward", lambda dA, mask: dA)
    report = gradcheck(model, X)
    assert not report.passed and report.errors["encoder.0.W"] > 1e-3


# ------------------------------------------------------------------ the fused step
FUSED_CASES = [dict(activation=a, loss=l, tied=t) for a in ("sigmoid", "tanh", "relu", "softplus")
               for l in ("mse", "bce") for t in (False, True)]
FUSED_CASES += [dict(activation="sigmoid", hidden=(5,), contractive=0.2),
                dict(activation="tanh", hidden=(5,), contractive=0.2, tied=True, loss="mse"),
                dict(activation="relu", weight_decay=0.01, tied=True, corruption="masking", noise=0.3),
                dict(activation="elu", corruption="gaussian", noise=0.2, loss="mse"),
                dict(activation="leaky_relu", corruption="salt_pepper", noise=0.2)]


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("params", FUSED_CASES, ids=[str(i) for i in range(len(FUSED_CASES))])
def test_fused_step_with_dropout_equals_reference_objective(params, dtype):
    """The same masks from the same generator (after the corruption's draw), the same loss and
    gradient: to float64's last digits, float32 within its precision (as tests/test_kernels.py)."""
    from npae.fused_step import FusedStep

    params = dict(params)
    hidden = params.pop("hidden", (6, 4, 3))
    rng = np.random.default_rng(0)
    X = rng.uniform(0.05, 0.95, size=(9, 7)) if params.get("loss", "bce") == "bce" else rng.normal(size=(9, 7))
    X = X.astype(dtype)
    model = Autoencoder(hidden=hidden, epochs=0, dtype=dtype, random_state=1, dropout=0.3, **params).fit(X)
    objective = model._objective()
    assert objective.dropout == 0.3 and FusedStep.supports(objective, model.corruption)
    step, ws, rng_ref = assert_fused_step_equals_reference(model, X)
    assert step.rng.bit_generator.state == rng_ref.bit_generator.state  # the same draws
    if model.corruption is None:  # the masks themselves, bit for bit
        masks_ref = dropout_masks(model.network_, X.shape[0], 0.3, np.random.default_rng(5))
        for mask, mask_ref in zip(ws.mask, masks_ref.values()):
            np.testing.assert_array_equal(mask, mask_ref)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mask_kernel_equals_the_reference_draw(dtype):
    K = kernels()
    U = np.random.default_rng(7).random((13, 9), dtype=dtype)
    for rate in (0.0, 0.2, 0.5, 0.9):
        M = np.empty_like(U)
        K.dropout_mask(U, rate, M)
        np.testing.assert_array_equal(M, dropout_mask(U.shape, rate, np.random.default_rng(7), dtype))
    K.dropout_mask(U, 0.5, U)  # in place, as the fused step makes it
    np.testing.assert_array_equal(U, dropout_mask(U.shape, 0.5, np.random.default_rng(7), dtype))


@needs_numba
@compiled_only
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_with_dropout_agrees_across_backends(dtype, activation, digits):
    X = digits[0][:256]
    params = dict(hidden=(32, 8), activation=activation, epochs=3, batch_size=50, dtype=dtype, random_state=0,
                  dropout=0.25, corruption="masking", noise=0.1)
    a = Autoencoder(backend="numpy", **params).fit(X)
    b = Autoencoder(backend="numba", **params).fit(X)
    assert a.backend_ == "numpy" and b.backend_ == "numba"
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == "float64" else dict(rtol=2e-3, atol=2e-4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, **tol)
    np.testing.assert_allclose(a.history_["loss"], b.history_["loss"], rtol=1e-10 if dtype == "float64" else 1e-4)


@needs_numba
@compiled_only
def test_fused_step_with_dropout_allocates_nothing_once_running(digits):
    from npae.backend import load_kernels
    from npae.fused_step import FusedStep
    from npae.optim import make_optimizer

    X = digits[0][:512].astype(np.float32)
    ae = Autoencoder(hidden=(64, 16), activation="relu", dropout=0.2, epochs=0, backend="numba",
                     random_state=0).fit(X)
    opt = make_optimizer("adam", ae.network_.n_params, np.float32, 1e-3)
    step = FusedStep(ae.network_, ae._objective(), opt, None, 0.0, (0.0, 1.0), np.random.default_rng(0),
                     load_kernels())
    rows = np.arange(128)
    for _ in range(3):
        step(X, rows)
    grown = bytes_left_allocated(lambda k: step(X, rows + (k % 3) * 128), 50)
    assert grown < 16 * 1024, grown  # one mask alone is 32 KiB


# ------------------------------------------------------------------ dropout=0 changes nothing
def test_zero_dropout_objective_is_the_plain_forward_and_backward_and_draws_nothing():
    """dropout=0: bit for bit the objective of a plain forward and backward pass, with the
    generator untouched (so every later draw, and every fit, is as before dropout existed)."""
    X = np.random.default_rng(0).uniform(0.05, 0.95, size=(8, 6))
    model = Autoencoder(hidden=(5, 3), epochs=0, dtype="float64", random_state=0).fit(X)
    net, objective = model.network_, model._objective()
    assert objective.dropout == 0.0
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    loss, _, _ = autoencoder_objective(net, X, X, objective, rng)
    grad = net.grad.copy()
    assert rng.bit_generator.state == state
    net.zero_grad()
    A, caches = net.forward(X)
    reconstruction, dZ = output_delta(objective.loss, X, caches[-1][1], A, net.specs[-1].activation)
    net.backward(dZ, caches)
    assert loss == reconstruction
    np.testing.assert_array_equal(grad, net.grad)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=[needs_numba, compiled_only])])
def test_zero_dropout_fit_is_unchanged(backend, digits):
    """A fit with dropout=0 equals one with the parameter left at its default, and its fused
    workspaces hold no masks."""
    X = digits[0][:200]
    params = dict(hidden=(16, 4), epochs=2, batch_size=32, random_state=0, backend=backend, corruption="masking",
                  noise=0.2)
    a = Autoencoder(**params).fit(X)
    b = Autoencoder(dropout=0.0, **params).fit(X)
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
    if backend == "numba":
        fused = b.__dict__["_fused_cache"][1]
        assert all(ws.mask is None and ws.A_dropped is None for ws in fused.workspaces.values())


# ------------------------------------------------------------------ inference: no dropout
def test_inference_is_deterministic_and_not_scaled(digits):
    X = digits[0][:300]
    model = Autoencoder(hidden=(32, 8), activation="relu", loss="mse", dropout=0.5, epochs=2, random_state=0).fit(X)
    net = model.network_.copy(np.float64)
    code = model.transform(X)
    np.testing.assert_array_equal(code, model.transform(X))
    np.testing.assert_array_equal(model.reconstruct(X), model.reconstruct(X))
    np.testing.assert_array_equal(model.score_samples(X), model.score_samples(X))
    # the plain network, every unit kept, nothing rescaled
    np.testing.assert_allclose(code, net.predict(X, 0, 2), rtol=1e-5, atol=1e-5)
    reconstruction = net.predict(X)
    np.testing.assert_allclose(model.reconstruct(X), reconstruction, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.score_samples(X), -np.mean((X - reconstruction) ** 2, axis=1), rtol=1e-5)


# ------------------------------------------------------------------ the parameter
@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan"), "0.2", True, None])
def test_a_bad_dropout_is_refused_with_the_fix(bad, digits):
    with pytest.raises(ParameterError, match=r"dropout .*must be in \[0, 1\).*dropout=0\.2.*dropout=0 to turn"):
        Autoencoder(hidden=(4,), epochs=1, dropout=bad).fit(digits[0][:20])


def test_variants_pass_dropout_through_and_a_saved_model_keeps_it(tmp_path, digits):
    X = digits[0][:100]
    for cls in (Autoencoder, DenoisingAutoencoder, ContractiveAutoencoder, SparseAutoencoder):
        assert cls().get_params()["dropout"] == 0.0
        assert cls(dropout=0.2).get_params()["dropout"] == 0.2
    model = DenoisingAutoencoder(hidden=(8,), dropout=0.3, epochs=1, random_state=0).fit(X)
    model.save(tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert type(loaded) is DenoisingAutoencoder and loaded.dropout == 0.3
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    stacked = StackedAutoencoder(hidden=(8, 4), dropout=0.2, layer_params={"dropout": [0.1, 0.0]},
                                 pretrain_epochs=1, epochs=1, random_state=0).fit(X)
    assert [layer.dropout for layer in stacked.layer_models_] == [0.1, 0.0]
    stacked.save(tmp_path / "stacked.npz")
    assert load(tmp_path / "stacked.npz").get_params() == stacked.get_params()


# ------------------------------------------------------------------ what it does
def test_training_loss_with_dropout_exceeds_the_loss_at_inference(digits):
    """Dropout acts in training only: the last epoch's training loss (units dropped) is well
    above the inference loss of the same rows (every unit kept), while without dropout the
    two are close. Fails if the masks are not applied in training, or are at inference."""
    X = digits[0][:400]
    params = dict(hidden=(64, 32), activation="tanh", loss="mse", epochs=20, batch_size=32, learning_rate=3e-3,
                  random_state=0, backend="numpy")  # the fused step is tested equal to it above
    dropped = Autoencoder(dropout=0.2, **params).fit(X)
    plain = Autoencoder(**params).fit(X)
    assert dropped.history_["loss"][-1] > 1.4 * -dropped.score(X)  # measured 1.9
    assert plain.history_["loss"][-1] < 1.15 * -plain.score(X)  # measured 1.04


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_a_rank_with_no_rows_still_draws_its_masks(backend, digits):
    """Under ``comm`` each rank draws the whole minibatch's masks and keeps its rows (as for the
    corruption noise): a rank whose share of a short minibatch is empty must still draw them, or
    its generator falls behind the others'. Two ranks of one 1-row minibatch, without MPI."""
    from npae.optim import make_optimizer
    from npae.parallel import ShardedGenerator

    X = digits[0][:40]
    model = Autoencoder(hidden=(8, 4), dropout=0.3, corruption="masking", noise=0.2, epochs=0, backend=backend,
                        random_state=0).fit(X)
    states = []
    for rank in (0, 1):
        generator = ShardedGenerator(np.random.default_rng(9), rank, 2)
        optimizer = make_optimizer("adam", model.network_.n_params, model.network_.dtype, 1e-3)
        gradient, _ = model._gradient_step(X, optimizer, generator)
        gradient(generator.begin(np.array([5])))
        states.append(generator.rng.bit_generator.state)
    assert model.backend_ == backend
    assert states[0] == states[1]
