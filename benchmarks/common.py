"""Shared helpers for the benchmarks: the machine, timing, the matrix-product limit.

Benchmarks are programs, not tests: they print a table and write JSON; timings
are only ever compared side by side within one run (ratios).
"""

import contextlib
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout without installing

from npae.io import write_atomic  # noqa: E402  (after the path, so a checkout's npae is used)
from npae.backend import thread_limit  # noqa: E402


@contextlib.contextmanager
def every_framework_threads(n_threads):
    """``n_threads`` for NumPy's BLAS and numba (npae's thread_limit) and for PyTorch where it
    is installed, restored after: the limits, scikit-learn and inference then run on the same
    threads as the fits they are compared with."""
    try:
        import torch
    except ImportError:
        torch = None
    previous = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(n_threads)
        with thread_limit(n_threads):
            yield
    finally:
        if previous is not None:
            torch.set_num_threads(previous)


def machine():
    """What the numbers were measured on."""
    info = {"python": platform.python_version(), "numpy": np.__version__, "cores": os.cpu_count(),
            "platform": platform.platform()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info["cpu"] = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
    except OSError:
        info["cpu"] = platform.processor() or "?"
    try:
        info["load"] = os.getloadavg()[0]
    except OSError:
        pass
    try:
        import threadpoolctl
        info["blas"] = [f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads, "
                        f"{p.get('architecture')})" for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    except ImportError:
        pass
    for name in ("numba", "torch", "sklearn"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    return info


def best_time(fn, repeats=20, min_time=0.2):
    """Best wall time of fn() over repeats (at least ``min_time`` seconds of calls)."""
    fn()
    best, total, count = np.inf, 0.0, 0
    while count < repeats or total < min_time:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, total, count = min(best, dt), total + dt, count + 1
        if count > 10000:
            break
    return best


def matmul_limit(sizes, batch, dtype=np.float32, matmul=None):
    """Samples/s if a training step cost only its matrix products, each at its best time:
    per layer (n_in -> n_out) the forward X W, the weight gradient A^T dZ, and (above the
    first layer) the input gradient dZ W^T, at exactly the step's shapes. ``matmul(a, b,
    out)`` returns the product to time as a call without arguments: NumPy's by default;
    ``torch_matmul`` gives the same products through PyTorch's BLAS (MKL in its CPU build),
    to show what the GEMM library alone is worth."""
    matmul = matmul or (lambda a, b, out: lambda: np.matmul(a, b, out=out))
    rng = np.random.default_rng(0)
    total = 0.0
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        X = rng.random((batch, n_in), dtype=dtype)
        W = rng.random((n_in, n_out), dtype=dtype)
        dZ = rng.random((batch, n_out), dtype=dtype)
        out_f, out_w, out_x = np.empty((batch, n_out), dtype), np.empty((n_in, n_out), dtype), np.empty((batch, n_in), dtype)
        total += best_time(matmul(X, W, out_f))
        total += best_time(matmul(X.T, dZ, out_w))
        if k > 0:
            total += best_time(matmul(dZ, W.T, out_x))
    return batch / total


def torch_matmul(a, b, out):
    """``torch.mm`` on NumPy arrays (shared memory, no copies), the tensors made here, once,
    outside the timed call."""
    import torch

    ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
    return lambda: torch.mm(ta, tb, out=tout)


def write_json(name, payload):
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    path = os.path.join(HERE, "results", f"{name}.json")
    text = json.dumps(payload, indent=1, default=str)
    write_atomic(path, lambda f: f.write(text), mode="w")
    return path


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def fmt(x, digits=0):
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:,.{digits}f}"
