"""Every numba kernel against its NumPy twin, and the fused training step against the
reference objective (float64: relative 1e-12; float32: 1e-5; odd and strided shapes)."""

import os

import numpy as np
import pytest

from conftest import assert_fused_step_equals_reference, bytes_left_allocated

pytest.importorskip("numba")

import npae.fused_step  # noqa: E402
from npae import Autoencoder, Classifier  # noqa: E402
from npae.activations import ACTIVATIONS, SECOND_DERIVATIVES  # noqa: E402
from npae.backend import load_kernels  # noqa: E402
from npae.corruption import corrupt  # noqa: E402
from npae.fused_step import FusedStep, optimizer_kernel_step  # noqa: E402
from npae.losses import bce, mse, softmax_cross_entropy  # noqa: E402
from npae.objectives import Objective, classifier_objective  # noqa: E402
from npae.optim import SGD, Adam  # noqa: E402
from npae.penalties import contractive_analytic, weight_decay  # noqa: E402

K = load_kernels()
TOL = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-5, atol=1e-6)}
DTYPES = [np.float64, np.float32]


def arrays(shape, dtype, seed=0, strided=False, scale=3.0):
    """A random array, optionally a non-contiguous view (every other column)."""
    rng = np.random.default_rng(seed)
    if strided:
        big = (rng.normal(size=(shape[0], 2 * shape[1])) * scale).astype(dtype)
        return big[:, ::2]
    return (rng.normal(size=shape) * scale).astype(dtype)


@pytest.mark.parametrize("strided", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_bias_activation_and_backward(name, dtype, strided):
    Z0 = arrays((7, 5), dtype, 1, strided)
    b = arrays((5,), dtype, 2)
    dA = arrays((7, 5), dtype, 3, strided)
    forward, derivative = ACTIVATIONS[name]
    Z_ref = Z0 + b
    A_ref = forward(Z_ref)
    Z, A = Z0.copy(), np.empty_like(A_ref)
    K.bias_activation(Z, b, K.ACTIVATION_CODES[name], A)
    np.testing.assert_allclose(Z, Z_ref, **TOL[dtype])
    np.testing.assert_allclose(A, A_ref, **TOL[dtype])
    dZ, db = arrays((7, 5), dtype, 3, strided), np.empty(5, dtype)  # in place: dA in, dZ out
    K.activation_backward(dZ, Z, A, K.ACTIVATION_CODES[name], db)
    dZ_ref = dA * derivative(Z, A)  # same inputs: 1 - a^2 near saturation amplifies an ulp of A
    np.testing.assert_allclose(dZ, dZ_ref, **TOL[dtype])
    np.testing.assert_allclose(db, dZ_ref.sum(0), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_at_extremes_match(name, dtype):
    Z = np.array([[-np.inf, -1e4, -80.0, -1e-8, 0.0, 1e-8, 80.0, 1e4, np.inf, np.nan]], dtype=dtype)
    A = np.empty_like(Z)
    K.bias_activation(Z.copy(), np.zeros(Z.shape[1], dtype), K.ACTIVATION_CODES[name], A)
    np.testing.assert_allclose(A, ACTIVATIONS[name][0](Z), **TOL[dtype])  # NaN stays NaN


@pytest.mark.parametrize("strided", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_output_bce(dtype, strided):
    Z0 = arrays((6, 9), dtype, 1, strided)
    b = arrays((9,), dtype, 2)
    Y = np.abs(arrays((6, 9), dtype, 3, strided)) % 1.0
    loss_ref, dZ_ref = bce(Y, Z0 + b)
    Z, dZ, db = Z0.copy(), np.empty((6, 9), dtype), np.empty(9, dtype)
    loss = K.output_bce(Z, b, Y, dZ, db)
    assert loss == pytest.approx(loss_ref, rel=TOL[dtype]["rtol"])
    np.testing.assert_allclose(dZ, dZ_ref, **TOL[dtype])
    np.testing.assert_allclose(db, dZ_ref.sum(0), **TOL[dtype])


def test_output_bce_keeps_the_digits_of_a_tiny_loss():
    Y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    Z = np.where(Y == 1.0, 25.0, -25.0)
    loss = K.output_bce(Z.copy(), np.zeros(3), Y, np.empty_like(Z), np.empty(3))
    exact = np.log1p(np.exp(-25.0))  # every term's loss
    assert loss == pytest.approx(exact, rel=1e-14, abs=0) and bce(Y, Z)[0] == pytest.approx(exact, rel=1e-14, abs=0)


@pytest.mark.parametrize("strided", [False, True])
def test_bias_sigmoid_float32_polynomials(strided):
    Z0 = arrays((7, 11), np.float32, 1, strided, scale=8.0)
    Z0[0, :9] = [-1e4, -200.0, -87.5, -20.0, -1e-6, 0.0, 1e-6, 87.5, 1e4]
    b = arrays((11,), np.float32, 2)
    Z, A = Z0.copy(), np.empty((7, 11), np.float32)
    K.bias_sigmoid_float32(Z, b, A, np.empty(11, np.int32), np.empty(11, np.float32))
    np.testing.assert_array_equal(Z, Z0 + b)
    np.testing.assert_allclose(A, ACTIVATIONS["sigmoid"][0](Z0 + b), rtol=2e-6, atol=1e-30)
    assert K.ACTIVATION_CODES["sigmoid"] == npae.fused_step.SIGMOID
    Z0[1, 1] = np.nan
    K.bias_sigmoid_float32(Z0.copy(), b, A, np.empty(11, np.int32), np.empty(11, np.float32))
    assert np.isnan(A[1, 1]) and np.isfinite(np.delete(A.ravel(), 12)).all()


@pytest.mark.parametrize("strided", [False, True])
def test_bias_tanh_float32_polynomials(strided):
    """Against float64 tanh, from both sides of the polynomial's range (0.625) to saturation."""
    Z0 = arrays((7, 13), np.float32, 1, strided, scale=2.0)
    Z0[0] = [-1e4, -50.0, -9.0, -0.625, -0.6249, -1e-3, -1e-30, 0.0, 1e-6, 0.3, 0.625, 0.63, 1e4]
    for b in (np.zeros(13, np.float32), arrays((13,), np.float32, 2)):
        Z, A = Z0.copy(), np.empty((7, 13), np.float32)
        K.bias_tanh_float32(Z, b, A, np.empty(13, np.int32), np.empty(13, np.float32))
        np.testing.assert_array_equal(Z, Z0 + b)
        np.testing.assert_allclose(A, np.tanh((Z0 + b).astype(np.float64)), rtol=3e-7, atol=1e-38)
    assert K.ACTIVATION_CODES["tanh"] == npae.fused_step.TANH
    Z0[1, 1] = np.nan
    K.bias_tanh_float32(Z0.copy(), b, A, np.empty(13, np.int32), np.empty(13, np.float32))
    assert np.isnan(A[1, 1]) and np.isfinite(np.delete(A.ravel(), 14)).all()


def scratch(m):
    """The float32 BCE kernel's scratch rows: exponent bits, reduced arguments, column losses."""
    return np.empty(m, np.int32), np.empty(m, np.float32), np.full(m, np.nan)


@pytest.mark.parametrize("strided", [False, True])
def test_output_bce_float32_polynomials(strided):
    """The vectorised float32 kernel against the reference, from ordinary to extreme logits."""
    Z0 = arrays((9, 13), np.float32, 1, strided, scale=6.0)
    Z0[0, :9] = [-1e4, -200.0, -87.5, -20.0, -1e-6, 0.0, 1e-6, 87.5, 1e4]
    b = arrays((13,), np.float32, 2)
    Y = np.abs(arrays((9, 13), np.float32, 3, strided)) % 1.0
    loss_ref, dZ_ref = bce(Y, Z0 + b)
    Z, dZ, db = Z0.copy(), np.empty((9, 13), np.float32), np.empty(13, np.float32)
    loss = K.output_bce_float32(Z, b, Y, dZ, db, *scratch(13))
    assert loss == pytest.approx(loss_ref, rel=1e-6)
    np.testing.assert_allclose(dZ, dZ_ref, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(db, dZ_ref.sum(0), rtol=1e-5, atol=1e-7)
    Z_nan = Z0.copy()
    Z_nan[3, 4] = np.nan
    assert np.isnan(K.output_bce_float32(Z_nan, b, Y, dZ, db, *scratch(13)))


@pytest.mark.parametrize("strided", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_output_softmax_ce(dtype, strided):
    Z0 = arrays((7, 5), dtype, 1, strided, scale=10.0)
    Z0[0] = [1e4, -1e4, 0.0, 50.0, -50.0]  # far beyond exp's range, and a row with one winner
    b = arrays((5,), dtype, 2)
    Y = np.eye(5, dtype=dtype)[np.random.default_rng(3).integers(0, 5, 7)]
    loss_ref, dZ_ref = softmax_cross_entropy(Y, Z0 + b)
    Z, dZ, db = Z0.copy(), np.empty((7, 5), dtype), np.empty(5, dtype)
    loss = K.output_softmax_ce(Z, b, Y, dZ, db)
    np.testing.assert_array_equal(Z, Z0 + b)
    assert loss == pytest.approx(loss_ref, rel=TOL[dtype]["rtol"])
    np.testing.assert_allclose(dZ, dZ_ref, **TOL[dtype])
    np.testing.assert_allclose(db, dZ_ref.sum(0), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_output_mse(name, dtype):
    Z0, b, Y = arrays((5, 7), dtype, 1), arrays((7,), dtype, 2), arrays((5, 7), dtype, 3)
    forward, derivative = ACTIVATIONS[name]
    Z_ref = Z0 + b
    A_ref = forward(Z_ref)
    loss_ref, dA = mse(Y, A_ref)
    dZ_ref = dA * derivative(Z_ref, A_ref)
    Z, dZ, db = Z0.copy(), np.empty((5, 7), dtype), np.empty(7, dtype)
    loss = K.output_mse(Z, b, K.ACTIVATION_CODES[name], Y, dZ, db)
    assert loss == pytest.approx(loss_ref, rel=TOL[dtype]["rtol"])
    np.testing.assert_allclose(dZ, dZ_ref, **TOL[dtype])
    np.testing.assert_allclose(db, dZ_ref.sum(0), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_optimizer_kernels(dtype):
    n = 37
    makers = [lambda: Adam(n, dtype, 1e-2), lambda: SGD(n, dtype, 0.1, momentum=0.9, nesterov=True),
              lambda: SGD(n, dtype, 0.1, momentum=0.9), lambda: SGD(n, dtype, 0.1, momentum=0.0)]
    for make in makers:
        ref_opt, ker_opt = make(), make()
        theta_ref = arrays((n,), dtype, 0)
        theta = theta_ref.copy()
        for t in range(4):
            g = arrays((n,), dtype, 10 + t)
            ref_opt.step(theta_ref, g)
            optimizer_kernel_step(K, ker_opt, theta, g)
            np.testing.assert_allclose(theta, theta_ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_kernel_flushes_subnormal_moments(dtype):
    """Zero gradients (dead units) decay Adam's first moment into the subnormal range, where
    arithmetic is slow; the kernel sets such moments to zero and otherwise agrees with the
    reference."""
    n, tiny = 6, np.finfo(dtype).tiny
    ref_opt, ker_opt = Adam(n, dtype, 1e-3), Adam(n, dtype, 1e-3)
    theta_ref = arrays((n,), dtype, 0)
    theta = theta_ref.copy()
    first = arrays((n,), dtype, 1)
    later = np.where(np.arange(n) < 3, first, 0).astype(dtype)  # the last three units die
    for t in range(1000 if dtype == np.float32 else 7200):
        g = first if t == 0 else later
        ref_opt.step(theta_ref, g)
        optimizer_kernel_step(K, ker_opt, theta, g)
    def subnormal(a):
        return (a != 0) & (np.abs(a) < tiny)
    assert subnormal(ref_opt.m[3:]).all()  # the reference has drifted into subnormals
    assert not subnormal(ker_opt.m).any() and not subnormal(ker_opt.v).any()
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-30)
    g = np.array([np.nan, 1.0, np.inf, 0.0, -np.inf, 2.0], dtype)  # non-finite gradients propagate
    with np.errstate(invalid="ignore"):  # inf / inf in the reference, as in the kernel
        ref_opt.step(theta_ref, g)
    optimizer_kernel_step(K, ker_opt, theta, g)
    np.testing.assert_array_equal(np.isnan(theta), np.isnan(theta_ref))
    np.testing.assert_array_equal(np.isnan(ker_opt.m), np.isnan(ref_opt.m))
    np.testing.assert_array_equal(np.isnan(ker_opt.v), np.isnan(ref_opt.v))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_contractive_kernel(name, dtype):
    X, W = arrays((6, 5), dtype, 1, scale=0.5), arrays((5, 4), dtype, 2, scale=0.5)
    Z = X @ W + 0.1
    A = ACTIVATIONS[name][0](Z)
    value_ref, dW_ref, db_ref, _ = contractive_analytic(X, W, Z, A, name, 0.3)
    w, mean_sq, db = np.empty(4, dtype), np.empty(4, dtype), np.zeros(4, dtype)
    K.column_sum_squares(W, w)
    dZ = np.zeros_like(Z)
    value = K.contractive_delta(Z, A, K.ACTIVATION_CODES[name], w, 0.3, dZ, db, mean_sq)
    dW = X.T @ dZ
    K.add_scaled(dW, W, (2 * 0.3 * mean_sq).astype(dtype))
    assert value == pytest.approx(value_ref, rel=TOL[dtype]["rtol"], abs=1e-12)
    np.testing.assert_allclose(dW, dW_ref, **TOL[dtype])
    np.testing.assert_allclose(db, db_ref, **TOL[dtype])
    z = np.array([[0.7, -0.3]], dtype)
    a = ACTIVATIONS[name][0](z)
    got = [K.penalties.second_derivative_scalar(zz, aa, K.ACTIVATION_CODES[name]) for zz, aa in zip(z[0], a[0])]
    np.testing.assert_allclose(got, SECOND_DERIVATIVES[name](z, a)[0], **TOL[dtype])


@pytest.mark.parametrize("shape", [(4, 3), (37, 29)])  # the second fills vector lanes and a remainder
@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_decay_kernel(dtype, shape):
    W, dW = arrays(shape, dtype, 1), arrays(shape, dtype, 2)
    value_ref, (g_ref,) = weight_decay([W], 0.2)
    expected = dW + g_ref
    value = K.weight_decay_grad(W, dW, 0.2)
    assert value == pytest.approx(value_ref, rel=TOL[dtype]["rtol"])
    np.testing.assert_allclose(dW, expected, **TOL[dtype])
    W[-1, -1] = np.inf  # its sum of squares may be reordered, but inf and NaN still propagate
    assert K.weight_decay_grad(W, dW, 0.2) == np.inf
    W[0, 1] = np.nan
    assert np.isnan(K.weight_decay_grad(W, dW, 0.2))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["gaussian", "masking", "salt_pepper"])
def test_corruption_kernels_match_the_reference_draw(name, dtype):
    X = np.abs(arrays((5, 8), dtype, 1)) % 1.0
    ref, _ = corrupt(X, name, 0.3, np.random.default_rng(4), data_range=(-1.0, 2.0))
    rng = np.random.default_rng(4)
    noise, out = np.empty_like(X), np.empty_like(X)
    if name == "gaussian":
        rng.standard_normal(dtype=dtype, out=noise)
        K.gaussian_apply(X, noise, 0.3, out)
    else:
        rng.random(dtype=dtype, out=noise)
        if name == "masking":
            K.masking_apply(X, noise, 0.3, out)
        else:
            K.salt_pepper_apply(X, noise, 0.3, -1.0, 2.0, out)
    np.testing.assert_allclose(out, ref, **TOL[dtype])


def test_corruption_kernels_compare_in_the_arrays_float_type():
    """NumPy compares a float32 array with a Python float in float32: at U == float32(0.7),
    which is below 0.7, the reference keeps the entry; so must the kernels."""
    level = 0.7
    at = np.float32(level)
    U = np.array([[np.nextafter(at, 0), at, np.nextafter(at, 1), at / 2, np.float32(level / 2.0)]], np.float32)
    X = np.full_like(U, 0.5)
    out = np.empty_like(X)
    K.masking_apply(X, U, level, out)
    np.testing.assert_array_equal(out, X * (U >= level))
    K.salt_pepper_apply(X, U, level, -1.0, 2.0, out)
    expected = np.where(U < level, np.where(U < level / 2.0, 2.0, -1.0), X).astype(np.float32)
    np.testing.assert_array_equal(out, expected)
    K.gaussian_apply(X, U, 0.1, out)
    np.testing.assert_array_equal(out, X + 0.1 * U)


# ------------------------------------------------------------------ the fused step
CASES = [dict(activation=a, loss=l, tied=t) for a in sorted(ACTIVATIONS) for l in ("mse", "bce") for t in (False, True)]
CASES += [dict(activation="sigmoid", contractive=0.2), dict(activation="tanh", contractive=0.2, tied=True, loss="mse"),
          dict(activation="relu", weight_decay=0.01, tied=True), dict(corruption="masking", noise=0.3),
          dict(corruption="gaussian", noise=0.2, loss="mse"), dict(corruption="salt_pepper", noise=0.2),
          dict(activation="softplus", corruption="masking", noise=0.2, contractive=0.1, weight_decay=0.01)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("params", CASES, ids=[str(i) for i in range(len(CASES))])
def test_fused_step_equals_reference_objective(params, dtype):
    """To float64's last digits; float32 within its precision (its sigmoid, tanh and bce
    kernels are polynomials good to about 1e-7 relative, the reference calls libm)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0.05, 0.95, size=(9, 7)) if params.get("loss", "bce") == "bce" else rng.normal(size=(9, 7))
    X = X.astype(dtype)
    hidden = (5,) if params.get("contractive") else (6, 4, 3)
    model = Autoencoder(hidden=hidden, epochs=0, dtype=dtype, random_state=1, **params).fit(X)
    assert_fused_step_equals_reference(model, X)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_fused_classifier_step_equals_reference_objective(activation, weight_decay):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(11, 7)), rng.integers(0, 4, 11)
    clf = Classifier(hidden=(6, 5), activation=activation, weight_decay=weight_decay, epochs=0, dtype="float64",
                     random_state=1).fit(X, y)
    net, Y = clf.network_, np.eye(4)[y]
    step = FusedStep(net, Objective("softmax_cross_entropy", weight_decay=weight_decay), None, None, 0.0, None,
                     np.random.default_rng(5), K)
    ws = step.workspace(len(X), separate_target=True)
    ws.X[...], ws.Y[...] = X, Y
    loss, parts = step.loss_and_grad(ws)
    fused_grad = net.grad.copy()
    loss_ref, parts_ref, _ = classifier_objective(net, X, Y, weight_decay)
    assert loss == pytest.approx(loss_ref, rel=1e-12)
    assert parts.keys() == parts_ref.keys()
    np.testing.assert_allclose(fused_grad, net.grad, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("freeze", [False, True])
def test_classifier_fit_agrees_across_backends(freeze, dtype, digits):
    X, y = digits[0][:300], digits[1][:300]
    encoder = Autoencoder(hidden=(16,), activation="sigmoid", epochs=2, dtype=dtype, random_state=0).fit(X)
    params = dict(hidden=(12,), activation="sigmoid", encoder=encoder, freeze_encoder=freeze, epochs=3,
                  batch_size=50, learning_rate=1e-3, dtype=dtype, random_state=0)
    a = Classifier(backend="numpy", **params).fit(X, y)
    b = Classifier(backend="numba", **params).fit(X, y)
    assert a.backend_ == "numpy" and b.backend_ == "numba"
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == "float64" else dict(rtol=2e-3, atol=2e-4)
    for wa, wb in zip(a.network_.params(), b.network_.params()):
        np.testing.assert_allclose(wa, wb, **tol)
    np.testing.assert_allclose(a.history_["loss"], b.history_["loss"], rtol=1e-10 if dtype == "float64" else 1e-4)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fit_agrees_across_backends(dtype, activation, digits):
    X = digits[0][:256]
    params = dict(hidden=(32, 8), activation=activation, epochs=3, batch_size=50, dtype=dtype, random_state=0)
    a = Autoencoder(backend="numpy", **params).fit(X)
    b = Autoencoder(backend="numba", **params).fit(X)
    assert a.backend_ == "numpy" and b.backend_ == "numba"
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == "float64" else dict(rtol=2e-3, atol=2e-4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, **tol)


def test_unsupported_objectives_fall_back_to_the_reference(digits):
    X = digits[0][:64]
    ae = Autoencoder(hidden=(8,), sparsity=0.1, epochs=1, backend="numba", random_state=0).fit(X)
    assert ae.backend_ == "numpy"


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                    reason="a property of the compiled step; interpreted kernels box every scalar (and take minutes)")
def test_training_step_allocates_nothing_once_running(digits):
    X = digits[0][:512].astype(np.float32)
    ae = Autoencoder(hidden=(64, 16), activation="relu", corruption="masking", noise=0.3, weight_decay=1e-4,
                     epochs=0, backend="numba", random_state=0).fit(X)
    from npae.backend import load_kernels as lk
    from npae.optim import make_optimizer

    opt = make_optimizer("adam", ae.network_.n_params, np.float32, 1e-3)
    step = FusedStep(ae.network_, ae._objective(), opt, "masking", 0.3, (0.0, 1.0), np.random.default_rng(0), lk())
    rows = np.arange(128)
    for _ in range(3):
        step(X, rows)  # warm up: compile and size the workspace
    grown = bytes_left_allocated(lambda k: step(X, rows + (k % 3) * 128), 50)
    assert grown < 16 * 1024, grown  # a few small Python objects, no arrays (one batch is 32 KiB)
    # the step models train with: the same halves through npae.training.step_of, guarded or not
    model_step = ae._training_step(X, opt)
    for guard in (False, True):
        model_step(rows, guard=guard)
        grown = bytes_left_allocated(lambda k: model_step(rows + (k % 3) * 128, guard=guard), 50)
        assert grown < 16 * 1024, (guard, grown)
