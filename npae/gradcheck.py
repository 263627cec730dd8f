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
    """What ``gradcheck(model, X)`` needs from a model (its ``_gradcheck_problem(X)``).

    A model that can be gradient-checked returns one of these: the float64 arrays to
    perturb in place and a function that evaluates the loss and its gradients at their
    current values.

    Parameters
    ----------
    arrays : dict of str to ndarray
        ``{name: float64 array}``, perturbed in place by the checker (``"encoder.0.W"``,
        ..., and ``"input"`` for the batch itself).
    evaluate : callable
        ``evaluate() -> (loss, {name: gradient})``, the gradients in the layout of
        ``arrays``.

    See Also
    --------
    gradcheck : Uses a model's ``_gradcheck_problem(X)``.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.gradcheck import GradcheckProblem
    >>> w = np.array([1.0, 2.0])
    >>> problem = GradcheckProblem({"w": w}, lambda: (float(w @ w), {"w": 2 * w}))
    >>> loss, grads = problem.evaluate()
    >>> loss, grads["w"]
    (5.0, array([2., 4.]))
    """

    arrays: dict
    evaluate: Callable


def rel_error(analytic, numeric, tiny=1e-5):
    """The relative error of an analytic gradient against a numerical one, elementwise::

        |a - n| / max(|a| + |n|, tiny)

    ``tiny`` is the floor of the denominator: the fourth-order difference in
    float64 resolves gradients to about 1e-12 absolute, so entries far smaller
    than ``tiny`` are effectively compared in absolute terms.

    Parameters
    ----------
    analytic : array-like
        The analytic gradient ``a`` (converted to float64).
    numeric : array-like
        The numerical gradient ``n``, of a shape that broadcasts with ``analytic``.
    tiny : float, default 1e-5
        The floor of the denominator.

    Returns
    -------
    ndarray of float64
        The relative error of each entry, of the broadcast shape of the two inputs
        (a 0-d value for two scalars).

    See Also
    --------
    gradcheck : Checks a model's or a function's gradients with it.

    Examples
    --------
    >>> from npae import rel_error
    >>> rel_error([3.0, 1e-9], [1.0, 0.0])
    array([5.e-01, 1.e-04])
    >>> rel_error([1.0, 2.0], [1.0, 2.0])
    array([0., 0.])
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)


@dataclass
class GradcheckReport:
    """What a gradient check found: the worst relative error of each checked array.

    ``gradcheck`` and ``check_arrays`` return one; ``str(report)`` is its ``table()``.

    Parameters
    ----------
    tol : float
        The tolerance: the check passes when every array's worst relative error is at
        most ``tol``.
    errors : dict of str to float, optional
        ``{name: worst relative error}``.
    rows : dict of str to tuple, optional
        Per name ``(shape, n_checked, worst_error, analytic, numeric)`` at the worst entry.

    Attributes
    ----------
    max_rel_error : float
        The worst relative error over every array (NaN if any is NaN).
    passed : bool
        Whether at least one array was checked and every one is within ``tol``.

    See Also
    --------
    gradcheck, check_arrays

    Examples
    --------
    >>> from npae.gradcheck import GradcheckReport
    >>> report = GradcheckReport(tol=1e-6, errors={"W": 2e-9, "b": 5e-10})
    >>> report.passed, report.max_rel_error
    (True, 2e-09)
    >>> GradcheckReport(tol=1e-6).passed  # nothing checked
    False
    """

    tol: float
    errors: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)

    @property
    def max_rel_error(self):
        """The worst relative error; NaN if any array's is NaN (``max()`` would skip it).

        Examples
        --------
        >>> from npae.gradcheck import GradcheckReport
        >>> GradcheckReport(tol=1e-6, errors={"W": 2e-9, "b": float("nan")}).max_rel_error
        nan
        """
        values = list(self.errors.values())
        return float("nan") if any(np.isnan(v) for v in values) else max(values, default=0.0)

    @property
    def passed(self):
        """Every checked array within ``tol`` (a NaN error fails), and at least one checked.

        Examples
        --------
        >>> from npae.gradcheck import GradcheckReport
        >>> GradcheckReport(tol=1e-6, errors={"W": 2e-9, "b": 3e-4}).passed
        False
        """
        return bool(self.errors) and all(e <= self.tol for e in self.errors.values())

    def table(self):
        """The report as a plain-text table, one row per checked array.

        Returns
        -------
        str
            A header, one line per array (name, shape, entries checked, worst relative
            error, the analytic and numerical values there), then PASSED or FAILED.

        Examples
        --------
        >>> from npae.gradcheck import GradcheckReport
        >>> report = GradcheckReport(tol=1e-6, errors={"W": 2e-9},
        ...                          rows={"W": ((2, 3), 6, 2e-9, 0.5, 0.5)})
        >>> print(report.table())
        parameter          shape        checked  max rel error      analytic       numeric
        W                  (2, 3)             6       2.00e-09  5.000000e-01  5.000000e-01
        PASSED: max relative error 2.00e-09 (tolerance 1e-06)
        """
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
    flat entries ``indices`` of the float64 array ``x``, perturbed in place::

        n = (f(x - 2h) - 8 f(x - h) + 8 f(x + h) - f(x + 2h)) / (12 h)

    Each entry is restored after its four evaluations.

    Parameters
    ----------
    f : callable
        ``f() -> float``, reading ``x`` (it takes no argument).
    x : ndarray of float64
        The array to perturb in place; it must be contiguous (``x.reshape(-1)`` a view).
    indices : sequence of int
        The flat indices of the entries to differentiate by.
    h : float, default 1e-4
        The step.

    Returns
    -------
    ndarray of shape (len(indices),)
        The numerical partial derivatives, in the order of ``indices``.

    Raises
    ------
    ValueError
        If ``x`` is not contiguous.

    See Also
    --------
    check_arrays : Compares these with analytic gradients.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.gradcheck import numerical_gradient
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> numerical_gradient(lambda: float(np.sum(x ** 3)), x, [0, 2])  # 3 x^2
    array([ 3., 27.])
    """
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
    ``max_checks`` seeded-random entries per array.

    Parameters
    ----------
    f : callable
        ``f() -> float``, the loss at the arrays' current values.
    named_arrays : dict of str to ndarray
        ``{name: float64 array}``, perturbed in place and restored.
    named_grads : dict of str to array-like
        ``{name: analytic gradient}``, each with as many entries as its array.
    tol : float, default 1e-6
        The largest relative error that passes.
    h : float, default 1e-4
        The finite-difference step.
    tiny : float, default 1e-5
        The floor of ``rel_error``'s denominator.
    max_checks : int or None, default None
        Entries checked per array (a seeded random subset of larger arrays); None checks
        every entry.
    random_state : int, default 0
        Seeds the choice of entries.

    Returns
    -------
    GradcheckReport
        The worst relative error of each array.

    Raises
    ------
    ValueError
        If a gradient has a different number of entries than its array.

    See Also
    --------
    gradcheck : The entry point, for models and functions.
    numerical_gradient, rel_error

    Examples
    --------
    >>> import numpy as np
    >>> from npae.gradcheck import check_arrays
    >>> w = np.array([1.0, -2.0])
    >>> report = check_arrays(lambda: float(np.sum(w ** 2)), {"w": w}, {"w": 2 * w})
    >>> report.passed, list(report.errors)
    (True, ['w'])
    """
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
    (``gradcheck(fn, params)``) against fourth-order finite differences in float64.

    * ``gradcheck(model, X)``: a whole model's training loss at the batch ``X``, with
      respect to every parameter array (``"encoder.0.W"``, ...) and to the input
      (``"input"``). The model is copied to float64; any noise it draws (corruption,
      stochastic penalties) is held fixed between evaluations.
    * ``gradcheck(fn, params)``: ``params`` a list or dict of float64 arrays, ``fn()``
      returns ``(loss, grads)`` with ``grads`` in the same layout. The arrays are
      perturbed in place and restored. Use it for a single layer, loss or penalty.

    Parameters
    ----------
    target : estimator or callable
        A model with a loss (``Autoencoder``, ``Classifier``, ...), or ``fn() -> (loss, grads)``.
    X : array-like of shape (n_samples, n_features), or list or dict of ndarray
        For a model: the batch the loss is taken at. For a function: its float64
        parameter arrays (a list, or a dict ``{name: array}``).
    tol : float, default 1e-6
        The largest relative error (``rel_error``) that passes.
    h : float, default 1e-4
        The finite-difference step.
    tiny : float, default 1e-5
        The floor of ``rel_error``'s denominator.
    max_checks : int or None, default None
        Entries checked per array; None checks all of arrays up to 200 entries and a
        seeded random 200 of larger ones.
    check_input : bool, default True
        For a model: also check the gradient with respect to the input ``X``.
    random_state : int, default 0
        Seeds the choice of entries checked.

    Returns
    -------
    GradcheckReport
        The worst relative error of each array (``report.passed``, ``print(report)``).

    Raises
    ------
    TypeError
        If ``target`` is neither a model nor callable, or a parameter array is not float64.
    ValueError
        If ``max_checks`` is not a positive integer.

    See Also
    --------
    rel_error, check_arrays, numerical_gradient

    Examples
    --------
    A function of one parameter array, ``0.5 * sum(w ** 2)``, whose gradient is ``w``:

    >>> import numpy as np
    >>> from npae import gradcheck
    >>> w = np.array([1.0, -2.0, 3.0])
    >>> report = gradcheck(lambda: (0.5 * np.sum(w ** 2), [w.copy()]), [w])
    >>> report.passed
    True

    A model, at a batch of its training data:

    >>> from npae import Autoencoder
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> ae = Autoencoder(hidden=(4,), epochs=1, random_state=0).fit(X[:20])
    >>> report = gradcheck(ae, X[:5], max_checks=20)
    >>> report.passed, "input" in report.errors
    (True, True)
    """
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
