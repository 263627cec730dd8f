"""Choosing the backend, loading the kernels, and limiting threads.

* ``backend="numpy"``: the NumPy reference everywhere; numba is never imported.
* ``backend="numba"``: the fused training step on numba kernels (an error if
  numba cannot be imported).
* ``backend="auto"`` (default): the ``NPAE_BACKEND`` environment variable if set,
  else numba when it imports, else NumPy with one warning.
"""

import contextlib
import functools
import importlib
import os
import sys
import warnings

from .errors import ParameterError

BACKENDS = ("auto", "numpy", "numba")


def numba_available():
    """True if numba imports (a broken or missing numba means False).

    Returns
    -------
    bool
        Whether ``import numba`` succeeds.

    See Also
    --------
    resolve_backend : Which backend ``backend="auto"`` will run.

    Examples
    --------
    >>> from npae.backend import numba_available
    >>> isinstance(numba_available(), bool)
    True
    """
    try:
        importlib.import_module("numba")
    except Exception:  # ImportError, or a numba that fails on this Python / NumPy
        return False
    return True


def resolve_backend(name="auto"):
    """The backend that will run: "numba" or "numpy".

    "auto" reads the ``NPAE_BACKEND`` environment variable if it is set, else picks numba
    when it imports, else NumPy (with one ``RuntimeWarning``).

    Parameters
    ----------
    name : {"auto", "numpy", "numba"}, default "auto"
        The backend asked for (an estimator's ``backend`` parameter).

    Returns
    -------
    str
        "numba" or "numpy".

    Raises
    ------
    ParameterError
        If ``name`` or ``NPAE_BACKEND`` is not a valid backend, or numba is asked for and
        cannot be imported.

    See Also
    --------
    numba_available, warmup

    Examples
    --------
    >>> from npae.backend import resolve_backend
    >>> resolve_backend("numpy")
    'numpy'
    >>> resolve_backend() in ("numba", "numpy")
    True
    """
    if name not in BACKENDS:
        raise ParameterError(f"backend={name!r} is not valid; choose one of {list(BACKENDS)}")
    if name == "auto":
        env = os.environ.get("NPAE_BACKEND", "").strip().lower()
        if env:
            if env not in ("numpy", "numba"):
                raise ParameterError(f"NPAE_BACKEND={env!r} is not valid; use numpy or numba")
            name = env
    if name == "numba":
        if not numba_available():
            raise ParameterError("backend='numba' needs numba: pip install numba (or use backend='numpy')")
        return "numba"
    if name == "auto":
        if numba_available():
            return "numba"
        # Python's default warning filter shows this once per call site
        warnings.warn("numba is not installed: npae runs on its NumPy reference backend, "
                      "which is slower (pip install numba for the fast path)", RuntimeWarning, stacklevel=3)
    return "numpy"


def load_kernels():
    """The ``npae.kernels`` module (imports numba).

    Returns
    -------
    module
        ``npae.kernels``, the numba kernels of the fused training step.

    Raises
    ------
    ImportError
        If numba cannot be imported.

    Examples
    --------
    >>> from npae.backend import load_kernels, numba_available
    >>> load_kernels().__name__ if numba_available() else "npae.kernels"
    'npae.kernels'
    """
    return importlib.import_module("npae.kernels")


@contextlib.contextmanager
def thread_limit(n_threads):
    """Run the block with at most ``n_threads`` threads in numba and in BLAS.

    ``None`` leaves both as they are. The previous settings are restored in a
    ``finally``, whatever happens in the block. BLAS is limited through threadpoolctl
    when it is installed; numba only when it has been imported already.

    Parameters
    ----------
    n_threads : int or None
        The most threads the block may use; None: no limit set.

    Yields
    ------
    None
        A context manager: use it in a ``with`` statement.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.backend import thread_limit
    >>> with thread_limit(1):
    ...     product = np.ones((3, 3)) @ np.ones((3, 3))
    >>> float(product[0, 0])
    3.0
    """
    if n_threads is None:
        yield
        return
    stack = contextlib.ExitStack()
    previous_numba = None
    try:
        controller = _blas_controller(len(sys.modules))
        if controller is not None:
            stack.enter_context(controller.limit(limits=n_threads, user_api="blas"))
        if "numba" in __import__("sys").modules:
            import numba
            previous_numba = numba.get_num_threads()
            numba.set_num_threads(min(n_threads, numba.config.NUMBA_NUM_THREADS))
        yield
    finally:
        if previous_numba is not None:
            import numba
            numba.set_num_threads(previous_numba)
        stack.close()


@functools.lru_cache(maxsize=1)
def _blas_controller(n_modules):
    """threadpoolctl's controller of the loaded BLAS libraries, or None without threadpoolctl.
    Finding them reads the process's memory map (milliseconds: a partial_fit on one batch
    paid more for it than for its step), so it is kept until a new import may have loaded
    another library (``n_modules``, the length of ``sys.modules``, changes)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def warmup(dtypes=("float32", "float64")):
    """Compile (or load from the cache) every kernel for ``dtypes`` now, not at the first fit.

    It fits tiny models on the numba backend, one per kind of fused step, so that the first
    real ``fit`` does not wait for numba's compiler. On the NumPy backend it does nothing.

    Parameters
    ----------
    dtypes : sequence of str, default ("float32", "float64")
        The floating-point types to compile the kernels for (the estimators' ``dtype``).

    Returns
    -------
    str
        The backend that will run by default: "numba" or "numpy" (see ``resolve_backend``).

    See Also
    --------
    resolve_backend

    Examples
    --------
    >>> import npae
    >>> npae.warmup(dtypes=("float64",)) in ("numba", "numpy")
    True
    """
    import numpy as np

    backend = resolve_backend("auto")
    if backend != "numba":
        return backend
    from .models import Autoencoder, Classifier

    X = np.random.default_rng(0).random((8, 4))
    settings = [dict(loss="bce"), dict(loss="mse", optimizer="sgd", tied=True),
                dict(optimizer="sgd", momentum=0.0, corruption="masking", noise=0.3),
                dict(corruption="gaussian", noise=0.1, contractive=0.1, weight_decay=1e-4),
                dict(corruption="salt_pepper", noise=0.1)]
    for dtype in dtypes:
        for extra in settings:
            Autoencoder(hidden=(3,), epochs=1, batch_size=4, dtype=dtype, backend="numba",
                        random_state=0, **extra).fit(X)
        Classifier(hidden=(3,), epochs=1, batch_size=4, dtype=dtype, backend="numba", weight_decay=1e-4,
                   random_state=0).fit(X, np.arange(8) % 2)
    return backend
