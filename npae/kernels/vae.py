"""numba twins of the variational autoencoder's pieces: the reparameterisation layer with the
KL and the log-variance bound (``npae.reparameterization``, ``npae.kl_divergence``), the
per-sample likelihoods (``npae.likelihoods``), the importance weights of the bound
(``npae.objectives.vae``), and the binarization of a minibatch. Same formulas as the reference,
tested equal to it; losses and weights are summed in float64.

Layout: with S draws per row and n rows, the draws are stacked sample-major, row ``s * n + i`` of
``ZS`` (S n, k) is draw s of row i, and ``EPS`` (S, n, k) holds the noise in the same order.
"""

import math

import numpy as np

from ._jit import jit
from .activations import bias_and_exp_split, exp_poly, log1p_poly


@jit
def binarize(X, U, out):
    """out = 1 where U < X else 0 (x ~ Bernoulli(X) from uniform draws U).  All (n, m)."""
    n, m = X.shape
    one, zero = out.dtype.type(1.0), out.dtype.type(0.0)
    for i in range(n):
        for j in range(m):
            out[i, j] = one if U[i, j] < X[i, j] else zero


@jit
def reparameterize_forward(MU, b_mu, RAW, b_lv, EPS, LV, DLV, STD, ZS, KL, PRIOR, log_var_max):
    """The heads' biases, the log-variance bound, the draws, the KL and log p(z) - log q(z|x).

    In place: MU <- MU + b_mu; RAW <- RAW + b_lv. Out: LV = r - softplus(r - max) and
    DLV = sigmoid(max - r) (its derivative); STD = exp(LV / 2); ZS[s n + i] = MU[i] + STD[i] EPS[s, i];
    KL[i] = 1/2 sum_j (mu^2 + exp(lv) - 1 - lv) (float64); PRIOR[s, i] = 1/2 sum_j (eps^2 + lv - z^2)
    (float64). MU, RAW, LV, DLV, STD: (n, k); EPS: (S, n, k); ZS: (S n, k); KL: (n,); PRIOR: (S, n)."""
    S, n, k = EPS.shape
    t = MU.dtype.type
    one, half, zero, top = t(1.0), t(0.5), t(0.0), t(log_var_max)
    for i in range(n):
        kl = 0.0
        for j in range(k):
            mu = MU[i, j] + b_mu[j]
            MU[i, j] = mu
            r = RAW[i, j] + b_lv[j]
            RAW[i, j] = r
            x = r - top
            lv = r - (max(x, zero) + math.log1p(math.exp(-abs(x))))
            LV[i, j] = lv
            DLV[i, j] = one / (one + math.exp(x)) if x <= zero else math.exp(-x) / (one + math.exp(-x))
            STD[i, j] = math.exp(half * lv)
            kl += half * (mu * mu + math.exp(lv) - one - lv)
        KL[i] = kl
    for s in range(S):
        for i in range(n):
            prior = 0.0
            for j in range(k):
                e = EPS[s, i, j]
                z = MU[i, j] + STD[i, j] * e
                ZS[s * n + i, j] = z
                prior += half * (e * e + LV[i, j] - z * z)
            PRIOR[s, i] = prior


@jit
def bernoulli_rows(Z, b, X, dZ, LOGP):
    """Z <- Z + b (the logits); LOGP[r] = -sum_j (max(z, 0) - x z) + log1p(exp(-|z|)) with x = X[r mod n]
    (float64); dZ = sigmoid(z) - x, minus the gradient of log p (weighted later).  Z, dZ: (S n, m);
    X: (n, m); LOGP: (S n,)."""
    rows, m = Z.shape
    n = X.shape[0]
    one, zero = Z.dtype.type(1.0), Z.dtype.type(0.0)
    for r in range(rows):
        i = r % n
        total = 0.0
        for j in range(m):
            z = Z[r, j] + b[j]
            Z[r, j] = z
            x = X[i, j]
            e = math.exp(-abs(z))
            total += (max(z, zero) - x * z) + math.log1p(e)
            dZ[r, j] = (one / (one + e) if z >= zero else e / (one + e)) - x
        LOGP[r] = -total


@jit
def bernoulli_rows_float32(Z, b, X, dZ, LOGP, exponent_bits, terms):
    """``bernoulli_rows`` for float32, vectorisable: exp(-|z|) and log(1 + e) by the branch-free
    float32 polynomials of ``npae.kernels.losses.output_bce_float32`` (within about 1e-7
    relative); ``exponent_bits`` (int32) and ``terms`` (float32) are scratch rows of at least m."""
    rows, m = Z.shape
    n = X.shape[0]
    one, zero = np.float32(1.0), np.float32(0.0)
    powers_of_two = exponent_bits.view(np.float32)
    for r in range(rows):
        i = r % n
        bias_and_exp_split(Z, b, r, one, exponent_bits, terms)
        for j in range(m):
            e = exp_poly(terms[j]) * powers_of_two[j]
            z = Z[r, j]
            x = X[i, j]
            terms[j] = (max(z, zero) - x * z) + log1p_poly(e)
            dZ[r, j] = (one if z >= zero else e) / (one + e) - x
        total = 0.0
        for j in range(m):
            total += terms[j]
        LOGP[r] = -total


@jit
def gaussian_rows(Z, b, X, inv_var, const, dZ, LOGP):
    """Z <- Z + b (the means); LOGP[r] = -inv_var / 2 sum_j (x - z)^2 - const with x = X[r mod n]
    (float64); dZ = (z - x) inv_var, minus the gradient of log p.  Z, dZ: (S n, m); X: (n, m)."""
    rows, m = Z.shape
    n = X.shape[0]
    w = Z.dtype.type(inv_var)
    for r in range(rows):
        i = r % n
        total = 0.0
        for j in range(m):
            z = Z[r, j] + b[j]
            Z[r, j] = z
            d = X[i, j] - z
            total += d * d
            dZ[r, j] = -(w * d)
        LOGP[r] = -0.5 * inv_var * total - const


@jit
def importance_weights(LOGP, PRIOR, KL, beta, W):
    """The bound of each row and the weights its gradient follows; returns sum_i bound_i (float64).

    S = 1: bound_i = log p(x|z) - beta KL_i (the analytic KL), W = 1/n. S > 1: log w_si =
    LOGP[s n + i] + beta PRIOR[s, i], bound_i = log mean_s w_si by log-sum-exp, W[s, i] =
    softmax_s(log w)_si / n.  LOGP: (S n,); PRIOR, W: (S, n) float64; KL: (n,)."""
    S, n = W.shape
    total = 0.0
    if S == 1:
        for i in range(n):
            total += LOGP[i] - beta * KL[i]
            W[0, i] = 1.0 / n
        return total
    for i in range(n):
        top = -np.inf
        for s in range(S):
            lw = LOGP[s * n + i] + beta * PRIOR[s, i]
            W[s, i] = lw
            top = max(top, lw)
        if not np.isfinite(top):
            top = 0.0
        sum_exp = 0.0
        for s in range(S):
            e = math.exp(W[s, i] - top)
            W[s, i] = e
            sum_exp += e
        for s in range(S):
            W[s, i] = W[s, i] / sum_exp / n
        total += top + math.log(sum_exp) - math.log(S)
    return total


@jit
def scale_rows(dZ, W, db):
    """dZ[s n + i] <- dZ[s n + i] * W[s, i] (cast to dZ's type); db <- column sums.  dZ: (S n, m)."""
    S, n = W.shape
    m = dZ.shape[1]
    for j in range(m):
        db[j] = 0.0
    for s in range(S):
        for i in range(n):
            w = dZ.dtype.type(W[s, i])
            r = s * n + i
            for j in range(m):
                d = dZ[r, j] * w
                dZ[r, j] = d
                db[j] += d


@jit
def reparameterize_backward(DZS, EPS, ZS, MU, LV, STD, DLV, W, beta, DMU, DRAW, db_mu, db_lv):
    """dL/dz of the draws to the heads' pre-activations, with the bound's direct terms.

    dz = DZS (from the decoder) + beta W z (the prior, S > 1 only); dmu = sum_s dz + beta W mu
    (the analytic KL, S = 1 only); dlog_var = STD/2 sum_s dz eps + (S = 1: beta W (exp(lv) - 1)/2;
    S > 1: -beta/2 sum_s W); DRAW = dlog_var * DLV; db_mu, db_lv: column sums of DMU, DRAW."""
    S, n, k = EPS.shape
    t = MU.dtype.type
    half, one, b = t(0.5), t(1.0), t(beta)
    for j in range(k):
        db_mu[j] = 0.0
        db_lv[j] = 0.0
    for i in range(n):
        for j in range(k):
            dmu = t(0.0)
            dstd = t(0.0)
            direct = t(0.0)
            for s in range(S):
                w = t(W[s, i])
                dz = DZS[s * n + i, j]
                if S > 1:
                    dz += b * w * ZS[s * n + i, j]
                    direct += w
                dmu += dz
                dstd += dz * EPS[s, i, j]
            dlv = half * STD[i, j] * dstd
            if S == 1:
                w = t(W[0, i])
                dmu += b * w * MU[i, j]
                dlv += b * w * (half * (math.exp(LV[i, j]) - one))
            else:
                dlv += -half * b * direct
            DMU[i, j] = dmu
            draw = dlv * DLV[i, j]
            DRAW[i, j] = draw
            db_mu[j] += dmu
            db_lv[j] += draw


@jit
def bernoulli_log_prob(Z, b, X, LOGP):
    """``bernoulli_rows`` without the gradient, for evaluation: Z <- Z + b; LOGP[r] = log p(x|z)."""
    rows, m = Z.shape
    n = X.shape[0]
    zero = Z.dtype.type(0.0)
    for r in range(rows):
        i = r % n
        total = 0.0
        for j in range(m):
            z = Z[r, j] + b[j]
            total += (max(z, zero) - X[i, j] * z) + math.log1p(math.exp(-abs(z)))
        LOGP[r] = -total


@jit
def bernoulli_log_prob_float32(Z, b, X, LOGP, exponent_bits, terms):
    """``bernoulli_rows_float32`` without the gradient, for evaluation."""
    rows, m = Z.shape
    n = X.shape[0]
    one, zero = np.float32(1.0), np.float32(0.0)
    powers_of_two = exponent_bits.view(np.float32)
    for r in range(rows):
        i = r % n
        bias_and_exp_split(Z, b, r, one, exponent_bits, terms)
        for j in range(m):
            z = Z[r, j]
            terms[j] = (max(z, zero) - X[i, j] * z) + log1p_poly(exp_poly(terms[j]) * powers_of_two[j])
        total = 0.0
        for j in range(m):
            total += terms[j]
        LOGP[r] = -total
