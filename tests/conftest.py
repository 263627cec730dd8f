import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def digits():
    from npae.datasets import load_digits

    return load_digits()


@pytest.fixture(scope="session")
def digits_split(digits):
    X, y = digits
    order = np.random.default_rng(0).permutation(len(X))
    tr, te = order[:1400], order[1400:]
    return X[tr], y[tr], X[te], y[te]


def assert_same_model(loaded, model, X):
    """``loaded`` (from a file) is ``model``: same class and parameters, every weight array,
    the fitted attributes a file keeps, and every output on X (the decoder and the
    detector's threshold included, not only the encoder)."""
    import json

    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    weights = getattr(model, "get_weights", None)
    if weights is not None:
        assert len(loaded.get_weights()) == len(weights())
        for a, b in zip(loaded.get_weights(), weights()):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    for name in ("loss_", "output_activation_", "n_features_in_", "n_iter_", "data_range_", "offset_",
                 "threshold_", "n_components_", "unrolled_loss_"):
        if hasattr(model, name):
            assert getattr(loaded, name) == getattr(model, name), name
    for name in ("classes_", "mean_", "components_", "explained_variance_", "code_mean_", "code_cov_"):
        if hasattr(model, name):
            np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    if hasattr(model, "history_"):  # JSON keeps tuples as lists
        assert json.loads(json.dumps(loaded.history_)) == json.loads(json.dumps(model.history_))
    for method in ("transform", "reconstruct", "score_samples", "decision_function", "predict", "predict_proba"):
        if hasattr(model, method):
            np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))


def bytes_left_allocated(step, calls):
    """Bytes that ``calls`` calls of ``step(k)`` (k = 0, 1, ...) leave allocated, by tracemalloc:
    a training step that allocates no arrays leaves a few small Python objects at most."""
    import tracemalloc

    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for k in range(calls):
        step(k)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    return sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)


def assert_fused_step_equals_reference(model, X):
    """One fused numba step (``npae.fused_step.FusedStep``) of a model fitted with epochs=0
    against the reference objective on the same draws (generator seed 5 for both: the
    corruption's, then the dropout masks'): the same loss and terms, and the same gradient,
    to float64's last digits or float32's precision. Returns ``(step, ws, rng_ref)`` for a
    test's own checks of the draws."""
    from npae.backend import load_kernels
    from npae.corruption import corrupt
    from npae.fused_step import FusedStep
    from npae.objectives import autoencoder_objective

    net, objective = model.network_, model._objective()
    step = FusedStep(net, objective, None, model.corruption, model.noise, model.data_range_,
                     np.random.default_rng(5), load_kernels())
    ws = step.workspace(X.shape[0])
    ws.X[...] = X
    if model.corruption is not None:
        step._corrupt(ws)
    loss, parts = step.loss_and_grad(ws)
    fused_grad = net.grad.copy()
    rng_ref = np.random.default_rng(5)
    X_in = X if model.corruption is None else corrupt(X, model.corruption, model.noise, rng_ref,
                                                      model.data_range_)[0]
    loss_ref, parts_ref, _ = autoencoder_objective(net, X_in, X, objective, rng_ref)
    exact = X.dtype == np.float64
    assert loss == pytest.approx(loss_ref, rel=1e-12 if exact else 1e-5)
    assert parts.keys() == parts_ref.keys()
    scale = np.abs(net.grad).max()
    np.testing.assert_allclose(fused_grad, net.grad, rtol=1e-11 if exact else 1e-4,
                               atol=1e-15 if exact else 1e-5 * scale)
    return step, ws, rng_ref
