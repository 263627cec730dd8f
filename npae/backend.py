"""Choosing the backend, loading the kernels, and limiting threads.

* ``backend="numpy"``: the NumPy reference everywhere; numba is never imported.
* ``backend="numba"``: the fused training step on numba kernels (an error if
  numba cannot be imported).
* ``backend="auto"`` (default): the ``NPAE_BACKEND`` environment variable if set,
  else numba when it imports, else NumPy with one warning.
"""

import contextlib
import importlib
import os
import warnings

from .errors import ParameterError

BACKENDS = ("auto", "numpy", "numba")


def numba_available():
    """True if numba imports (a broken or missing numba means False)."""
    try:
        importlib.import_module("numba")
    except Exception:  # ImportError, or a numba that fails on this Python / NumPy
        return False
    return True


def resolve_backend(name="auto"):
    """The backend that will run: "numba" or "numpy"."""
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
    """The ``npae.kernels`` module (imports numba)."""
    return importlib.import_module("npae.kernels")


@contextlib.contextmanager
def thread_limit(n_threads):
    """Run the block with at most ``n_threads`` threads in numba and in BLAS.

    ``None`` leaves both as they are. The previous settings are restored in a
    ``finally``, whatever happens in the block."""
    if n_threads is None:
        yield
        return
    stack = contextlib.ExitStack()
    previous_numba = None
    try:
        try:
            from threadpoolctl import threadpool_limits
            stack.enter_context(threadpool_limits(limits=n_threads, user_api="blas"))
        except ImportError:
            pass
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


def warmup(dtypes=("float32", "float64")):
    """Compile (or load from the cache) every kernel for ``dtypes`` now, not at the first fit.
    Returns the backend that will run by default."""
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
