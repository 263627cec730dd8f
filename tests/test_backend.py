"""Backend choice, the no-numba path, threads, warm-up and determinism."""

import os
import subprocess
import sys

import numpy as np
import pytest

import npae
from npae import Autoencoder
from npae.backend import resolve_backend, thread_limit
from npae.errors import ParameterError


def test_resolve_backend(monkeypatch):
    monkeypatch.delenv("NPAE_BACKEND", raising=False)
    assert resolve_backend("numpy") == "numpy"
    monkeypatch.setenv("NPAE_BACKEND", "numpy")
    assert resolve_backend("auto") == "numpy"
    monkeypatch.setenv("NPAE_BACKEND", "fortran")
    with pytest.raises(ParameterError, match="NPAE_BACKEND"):
        resolve_backend("auto")
    with pytest.raises(ParameterError, match="backend"):
        resolve_backend("cuda")


def test_auto_falls_back_to_numpy_with_a_warning(monkeypatch):
    monkeypatch.delenv("NPAE_BACKEND", raising=False)
    monkeypatch.setattr("npae.backend.numba_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="numba is not installed"):
        assert resolve_backend("auto") == "numpy"
    with pytest.raises(ParameterError, match="pip install numba"):
        resolve_backend("numba")


def test_numpy_backend_never_imports_numba(tmp_path):
    code = ("import sys, numpy as np, npae\n"
            "X = np.random.default_rng(0).random((40, 6))\n"
            "ae = npae.Autoencoder(hidden=(4,), epochs=2, random_state=0).fit(X)\n"
            "ae.transform(X); npae.gradcheck(ae, X[:3])\n"
            "print(ae.backend_, any(m.startswith('numba') for m in sys.modules))\n")
    env = {**os.environ, "NPAE_BACKEND": "numpy"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["numpy", "False"]


def test_numpy_backend_works_without_numba_installed(tmp_path):
    """numba made unimportable: npae still imports and trains (auto -> numpy, with a warning)."""
    blocker = tmp_path / "numba.py"
    blocker.write_text("raise ImportError('numba is blocked for this test')\n")
    code = ("import warnings, numpy as np, npae\n"

            "X = np.random.default_rng(0).random((40, 6))\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    ae = npae.Autoencoder(hidden=(4,), epochs=2, random_state=0).fit(X)\n"
            "print(ae.backend_, any('numba is not installed' in str(x.message) for x in w))\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.getcwd()}"}
    env.pop("NPAE_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["numpy", "True"]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_same_seed_same_weights_per_backend(backend, digits):
    if backend == "numba":
        pytest.importorskip("numba")
    X = digits[0][:300]
    params = dict(hidden=(32, 8), corruption="masking", noise=0.2, epochs=2, backend=backend, n_threads=1)
    a = Autoencoder(random_state=3, **params).fit(X).get_weights()
    b = Autoencoder(random_state=3, **params).fit(X).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


def test_thread_limit_restores_settings():
    numba = pytest.importorskip("numba")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import npae.kernels  # noqa: F401  (makes numba part of the process)

    before_numba = numba.get_num_threads()
    before_blas = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    with pytest.raises(RuntimeError):
        with thread_limit(1):
            assert numba.get_num_threads() == 1
            assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")
            raise RuntimeError("the block fails")
    assert numba.get_num_threads() == before_numba
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"] == before_blas


def test_n_threads_is_validated(rng):
    with pytest.raises(ParameterError, match="n_threads"):
        Autoencoder(hidden=(2,), n_threads=0).fit(rng.random((4, 3)))


def test_warmup_compiles_ahead():
    pytest.importorskip("numba")
    import os

    assert npae.warmup() == ("numpy" if os.environ.get("NPAE_BACKEND") == "numpy" else "numba")


def test_jit_falls_back_without_a_cache(monkeypatch):
    numba = pytest.importorskip("numba")
    from npae.kernels import _jit

    real = numba.njit

    def njit(**options):
        if options.get("cache"):
            raise RuntimeError("cannot cache function: no locator available for file")
        return real(**options)

    monkeypatch.setattr(_jit.numba, "njit", njit)

    def add_one(x):
        return x + 1

    assert _jit.jit(add_one)(1) == 2
