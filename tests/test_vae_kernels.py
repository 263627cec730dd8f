"""The variational autoencoder's numba kernels and fused step against the NumPy reference
(float64: relative 1e-12; float32: relative 1e-5 of the largest entry). Run with the JIT off
too (NUMBA_DISABLE_JIT=1), so every kernel line runs as plain Python."""

import os
import tracemalloc

import numpy as np
import pytest

pytest.importorskip("numba")

from npae import VariationalAutoencoder  # noqa: E402
from npae.backend import load_kernels  # noqa: E402
from npae.fused_vae_step import FusedVAEStep  # noqa: E402
from npae.kl_divergence import gaussian_kl  # noqa: E402
from npae.likelihoods import bernoulli_log_likelihood, gaussian_log_likelihood  # noqa: E402
from npae.network import Network, vae_specs  # noqa: E402
from npae.objectives.vae import (VAEObjective, log_prior_minus_log_posterior, logsumexp_weights,  # noqa: E402
                                 vae_objective)
from npae.optim import Adam  # noqa: E402
from npae.reparameterization import LOG_VAR_MAX, bounded_log_var, reparameterize_forward  # noqa: E402

K = load_kernels()
DTYPES = [np.float64, np.float32]
#: Whole fits, 700-draw likelihoods and 33 traced steps run every kernel line thousands of times:
#: with the JIT off (the coverage run) the kernel-by-kernel and step tests cover the same lines.
compiled_only = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                                   reason="whole fits are too slow with the JIT off")


def close(got, want, dtype):
    """float64: 1e-12 relative; float32: 1e-5 of the largest entry (float32 rounding of sums)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if dtype == np.float64:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(want))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reparameterize_forward_equals_the_reference(dtype):
    rng = np.random.default_rng(0)
    n, k, S = 5, 3, 4
    MU, RAW = rng.normal(size=(n, k)).astype(dtype), (rng.normal(size=(n, k)) * 10).astype(dtype)
    RAW[0, 0], RAW[1, 1] = 25.0, 1e4  # beyond the ceiling
    b_mu, b_lv = rng.normal(size=k).astype(dtype), rng.normal(size=k).astype(dtype)
    EPS = rng.standard_normal((S, n, k)).astype(dtype)
    mu, raw = MU + b_mu, RAW + b_lv
    lv, dlv = bounded_log_var(raw)
    z, _ = reparameterize_forward(mu, lv, EPS)
    LV, DLV, STD = (np.empty((n, k), dtype) for _ in range(3))
    ZS, KL, PRIOR = np.empty((S * n, k), dtype), np.empty(n), np.empty((S, n))
    K.reparameterize_forward(MU, b_mu, RAW, b_lv, EPS, LV, DLV, STD, ZS, KL, PRIOR, LOG_VAR_MAX)
    for got, want in ((MU, mu), (RAW, raw), (LV, lv), (DLV, dlv), (STD, np.exp(lv / 2)), (ZS, z.reshape(S * n, k)),
                      (KL, gaussian_kl(mu, lv)[0]), (PRIOR, log_prior_minus_log_posterior(z, EPS, lv))):
        close(got, want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_likelihood_rows_equal_the_reference(dtype, likelihood):
    rng = np.random.default_rng(1)
    S, n, m = 3, 4, 37  # 37: not a multiple of a vector width
    Z = (rng.normal(size=(S * n, m)) * 6).astype(dtype)
    Z[0, :3] = [90.0, -90.0, 0.0]
    b = rng.normal(size=m).astype(dtype)
    X = (rng.random((n, m)) < 0.5).astype(dtype) if likelihood == "bernoulli" else rng.normal(size=(n, m)).astype(dtype)
    out = (Z + b).reshape(S, n, m)
    dZ, LOGP = np.empty_like(Z), np.empty(S * n)
    if likelihood == "bernoulli":
        want, grad = bernoulli_log_likelihood(X[None], out)
        if dtype == np.float32:
            K.bernoulli_rows_float32(Z, b, X, dZ, LOGP, np.empty(m, np.int32), np.empty(m, np.float32))
        else:
            K.bernoulli_rows(Z, b, X, dZ, LOGP)
    else:
        std = 0.7
        want, grad = gaussian_log_likelihood(X[None], out, std)
        const = 0.5 * m * np.log(2 * np.pi * std * std)
        K.gaussian_rows(Z, b, X, 1.0 / std ** 2, const, dZ, LOGP)
    close(Z, out.reshape(S * n, m), dtype)
    close(LOGP, want.reshape(-1), dtype)
    close(dZ, -grad.reshape(S * n, m), dtype)


@pytest.mark.parametrize("S", [1, 5])
def test_importance_weights_equal_the_reference(S):
    rng = np.random.default_rng(2)
    n, beta = 6, 1.5
    LOGP, PRIOR, KL = rng.normal(size=S * n) * 50, rng.normal(size=(S, n)) * 5, rng.random(n) * 3
    W = np.empty((S, n))
    total = K.importance_weights(LOGP, PRIOR, KL, beta, W)
    if S == 1:
        bound, weights = LOGP - beta * KL, np.full((1, n), 1.0)
    else:
        bound, weights = logsumexp_weights(LOGP.reshape(S, n) + beta * PRIOR)
    np.testing.assert_allclose(total, bound.sum(), rtol=1e-12)
    np.testing.assert_allclose(W, weights / n, rtol=1e-12)


def test_binarize_equals_the_reference():
    rng = np.random.default_rng(3)
    X, U = rng.random((4, 9)), rng.random((4, 9))
    out = np.empty_like(X)
    K.binarize(X, U, out)
    np.testing.assert_array_equal(out, (U < X).astype(float))


CASES = [(lik, S, hidden, binarize) for lik in ("bernoulli", "gaussian") for S in (1, 3)
         for hidden in ((4,), (7, 5, 3)) for binarize in (False, True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("likelihood,S,hidden,binarize", CASES)
def test_fused_vae_step_equals_the_reference_objective(dtype, likelihood, S, hidden, binarize):
    """Same draws in the same order, the same loss, parts and gradient."""
    net = Network(vae_specs(6, hidden, "tanh", "sigmoid" if likelihood == "bernoulli" else "linear"),
                  dtype=dtype, chained=False)
    net.init_params(np.random.default_rng(1))
    fused_net = net.copy()
    X = np.random.default_rng(0).random((5, 6)).astype(dtype)
    objective = VAEObjective(likelihood, 0.7, 1.3, S, 0.01)
    step = FusedVAEStep(fused_net, None, np.random.default_rng(5), K, binarize, S)
    loss, parts = step.loss_and_grad(step.draw(X, np.arange(5)), objective)
    rng = np.random.default_rng(5)
    Xb = (rng.random(X.shape, dtype=dtype) < X).astype(dtype) if binarize else X
    eps = rng.standard_normal((S, 5, hidden[-1]), dtype=dtype)
    loss_ref, parts_ref, _ = vae_objective(net, Xb, Xb, eps, objective)
    close(loss, loss_ref, dtype)
    assert set(parts) == set(parts_ref)
    for key in parts:
        close(parts[key], parts_ref[key], dtype)
    close(fused_net.grad, net.grad, dtype)


@compiled_only
def test_fused_training_equals_reference_training(digits_split):
    """Whole fits on the two backends (float64, importance-weighted, dynamic binarization)."""
    Xtr = digits_split[0][:300]
    params = dict(hidden=(16, 4), activation="relu", importance_samples=2, binarize="dynamic", epochs=3,
                  batch_size=64, weight_decay=1e-3, validation_fraction=0.2, dtype="float64", random_state=0)
    fused = VariationalAutoencoder(backend="numba", **params).fit(Xtr)
    reference = VariationalAutoencoder(backend="numpy", **params).fit(Xtr)
    assert fused.backend_ == "numba" and reference.backend_ == "numpy"
    np.testing.assert_allclose(fused.network_.theta, reference.network_.theta, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(fused.history_["val_loss"], reference.history_["val_loss"], rtol=1e-10)


@compiled_only
def test_fused_vae_step_allocates_no_arrays():
    rng = np.random.default_rng(0)
    X = rng.random((384, 64)).astype(np.float32)
    net = Network(vae_specs(64, (32, 16, 4), "relu", "sigmoid"), dtype=np.float32, chained=False)
    net.init_params(rng)
    step = FusedVAEStep(net, Adam(net.n_params, np.float32, 1e-3), np.random.default_rng(1), K, True, 3)
    objective = VAEObjective("bernoulli", importance_samples=3)
    rows = np.arange(128)
    for _ in range(3):
        step(X, rows, objective)  # warm up: compile and size the workspace
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for k in range(30):
        step(X, rows + (k % 3) * 128, objective)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)
    assert grown < 16 * 1024, grown  # a few small Python objects, no arrays (one batch is 32 KiB)


@compiled_only
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_fused_log_likelihood_equals_the_reference(digits_split, dtype, likelihood):
    X = digits_split[0][:40]
    vae = VariationalAutoencoder(hidden=(16, 8, 3), likelihood=likelihood, epochs=2, random_state=0,
                                 dtype=dtype).fit(X)
    fused = vae.log_likelihood(X[:12], 700, random_state=1)
    reference = vae.set_params(backend="numpy").log_likelihood(X[:12], 700, random_state=1)
    np.testing.assert_allclose(fused, reference, rtol=1e-12 if dtype == "float64" else 1e-6)
