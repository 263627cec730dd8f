"""Finite-difference gradient checker: proof that every backward pass is right.

Compares an analytic gradient ``a`` with a numerical one ``n`` from the
fourth-order central difference

    n = (f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / (12 h)

in float64, entry by entry, with the relative error ``rel_error`` (defined here
and nowhere else). Two ways to call it:

* ``gradcheck(model, X)``: a whole model's training loss at the batch ``X``,
  with respect to every parameter array (``"encoder.0.W"``, ...) and to the
  input (``"input"``). The model is copied to float64; any noise it draws
  (corruption, stochastic penalties) is held fixed between evaluations.
* ``gradcheck(fn, params)``: ``params`` a list or dict of float64 arrays, ``fn()``
  returns ``(loss, grads)`` with ``grads`` in the same layout. The arrays are
  perturbed in place and restored. Use it for a single layer, loss or penalty.
"""

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np


class GradcheckProblem(NamedTuple):
    """What ``gradcheck(model, X)`` needs from a model (its ``_gradcheck_problem(X)``): float64
    arrays to perturb in place (``{name: array}``) and ``evaluate() -> (loss, {name: gradient})``."""

    arrays: dict
    evaluate: Callable


def rel_error(analytic, numeric, tiny=1e-5):
    """|a - n| / max(|a| + |n|, tiny), elementwise.

    ``tiny`` is the floor of the denominator: the fourth-order difference in
    float64 resolves gradients to about 1e-12 absolute, so entries far smaller
    than ``tiny`` are effectively compared in absolute terms."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)


@dataclass
class GradcheckReport:
    """What a gradient check found.

    ``errors``: ``{name: worst relative error}``; ``rows``: per name
    ``(shape, n_checked, worst_error, analytic, numeric)`` at the worst entry."""

    tol: float
    errors: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)

    @property
    def max_rel_error(self):
        """The worst relative error; NaN if any array's is NaN (max() would skip it)."""
        values = list(self.errors.values())
        return float("nan") if any(np.isnan(v) for v in values) else max(values, default=0.0)

    @property
    def passed(self):
        """Every checked array within ``tol`` (a NaN error fails), and at least one checked."""
        return bool(self.errors) and all(e <= self.tol for e in self.errors.values())

    def table(self):
        """The report as a plain-text table, one row per checked array."""
        lines = [f"{'parameter':<18} {'shape':<12} {'checked':>7} {'max rel error':>14} "
                 f"{'analytic':>13} {'numeric':>13}"]
        for name, (shape, count, err, a, n) in self.rows.items():
            lines.append(f"{name:<18} {str(shape):<12} {count:>7} {err:>14.2e} {a:>13.6e} {n:>13.6e}")
        lines.append(f"{'PASSED' if self.passed else 'FAILED'}: max relative error "
                     f"{self.max_rel_error:.2e} (tolerance {self.tol:.0e})")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def numerical_gradient(f, x, indices, h=1e-4):
    """Fourth-order central differences of the scalar ``f()`` with respect to the
    flat entries ``indices`` of the float64 array ``x``, perturbed in place."""
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array to perturb in place")
    out = np.empty(len(indices))
    for k, i in enumerate(indices):
        old = flat[i]
        values = []
        for step in (-2.0, -1.0, 1.0, 2.0):
            flat[i] = old + step * h
            values.append(f())
        flat[i] = old
        fm2, fm1, fp1, fp2 = values
        out[k] = (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h)
    return out


def _pick(size, max_checks, rng):
    if max_checks is None or size <= max_checks:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_checks, replace=False))


def check_arrays(f, named_arrays, named_grads, *, tol=1e-6, h=1e-4, tiny=1e-5, max_checks=None, random_state=0):
    """Check analytic gradients ``named_grads`` of ``f()`` against finite
    differences over ``named_arrays`` (both ``{name: float64 array}``); at most
    ``max_checks`` seeded-random entries per array."""
    rng = np.random.default_rng(random_state)
    report = GradcheckReport(tol=tol)
    for name, x in named_arrays.items():
        analytic = np.asarray(named_grads[name], dtype=np.float64).reshape(-1)
        if analytic.size != x.size:
            raise ValueError(f"gradient of {name!r} has {analytic.size} entries, parameter has {x.size}")
        idx = _pick(x.size, max_checks, rng)
        if idx.size == 0:
            continue
        numeric = numerical_gradient(f, x, idx, h)
        err = rel_error(analytic[idx], numeric, tiny)
        worst = int(np.argmax(err))
        report.errors[name] = float(err[worst])
        report.rows[name] = (tuple(x.shape), int(idx.size), float(err[worst]),
                             float(analytic[idx][worst]), float(numeric[worst]))
    return report


def gradcheck(target, X=None, *, tol=1e-6, h=1e-4, tiny=1e-5, max_checks=None, check_input=True, random_state=0):
    """Check the gradients of a model (``gradcheck(model, X)``) or of a function
    (``gradcheck(fn, params)``); see the module docstring. Returns a ``GradcheckReport``.

    ``max_checks``: entries checked per array; None checks all of arrays up to
    200 entries and a seeded random 200 of larger ones."""
    if max_checks is None:
        max_checks = 200
    if isinstance(max_checks, bool) or not isinstance(max_checks, (int, np.integer)) or max_checks < 1:
        raise ValueError(f"max_checks must be a positive integer (entries checked per array); got {max_checks!r}")
    if hasattr(target, "_gradcheck_problem"):
        problem = target._gradcheck_problem(X)
        arrays = dict(problem.arrays)
        if not check_input:
            arrays.pop("input", None)
        loss, grads = problem.evaluate()
        grads = {k: np.array(v, dtype=np.float64) for k, v in grads.items()}
        return check_arrays(lambda: problem.evaluate()[0], arrays, grads, tol=tol, h=h, tiny=tiny,
                            max_checks=max_checks, random_state=random_state)
    if not callable(target):
        raise TypeError("gradcheck takes a model with a loss (Autoencoder, Classifier, ...) "
                        "or a function fn() -> (loss, grads)")
    params = X
    if isinstance(params, dict):
        arrays = params
    else:
        arrays = {f"param{i}": p for i, p in enumerate(params)}
    for name, p in arrays.items():
        if not isinstance(p, np.ndarray) or p.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 arrays to perturb; {name!r} is "
                            f"{type(p).__name__} {getattr(p, 'dtype', '')}")
    loss, grads = target()
    if isinstance(grads, np.ndarray) and len(arrays) == 1:
        grads = [grads]
    if not isinstance(grads, dict):
        grads = {name: g for name, g in zip(arrays, grads)}
    grads = {k: np.array(v, dtype=np.float64) for k, v in grads.items()}
    return check_arrays(lambda: float(target()[0]), arrays, grads, tol=tol, h=h, tiny=tiny,
                        max_checks=max_checks, random_state=random_state)
