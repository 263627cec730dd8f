"""Should npae multiply matrices with its own numba kernel anywhere? The measurement
that decided it: a plain numba product beside NumPy's BLAS at the training step's shapes.

    python benchmarks/bench_matmul.py [--threads 2]

The kernel is the straightforward one (four rows of A at a time against each row of B, the
inner loop over B's row, which LLVM vectorises), the kind the issue allows "only where it
measures faster (tiny layers)";
NumPy's ``matmul`` writes into a preallocated ``out`` as npae's step does. Shapes: every
forward product (X W) and weight-gradient product (A^T dZ) of bench_train.py's W1 and W2,
and the one-row products of ``transform``. Best of many calls, 1 and the given threads
for BLAS (the numba kernel is serial, as npae's kernels are). Writes results/matmul.json.
"""

import argparse

import numpy as np

from bench_train import WORKLOADS
from common import best_time, fmt, machine, markdown_table, write_json


def numba_matmul():
    import numba

    @numba.njit(cache=True, error_model="numpy")
    def matmul_rows(A, B, out):
        """out = A B, four rows of A at a time: out[i] += A[i, p] B[p] for p in order (each B[p]
        is loaded once for four rows; 2x faster at W1's shapes than one row at a time)."""
        n, k = A.shape
        m = B.shape[1]
        out[:] = 0.0
        i = 0
        while i + 4 <= n:
            for p in range(k):
                a0, a1, a2, a3 = A[i, p], A[i + 1, p], A[i + 2, p], A[i + 3, p]
                for j in range(m):
                    b = B[p, j]
                    out[i, j] += a0 * b
                    out[i + 1, j] += a1 * b
                    out[i + 2, j] += a2 * b
                    out[i + 3, j] += a3 * b
            i += 4
        for r in range(i, n):
            for p in range(k):
                a = A[r, p]
                for j in range(m):
                    out[r, j] += a * B[p, j]
    return matmul_rows


def shapes():
    """(label, A, B) for the products to time, operands laid out as in the step."""
    rng = np.random.default_rng(0)
    cases = []
    for name in ("W1 small", "W2 MNIST-sized"):
        w = WORKLOADS[name]
        for n_in, n_out in zip(w["sizes"][:-1], w["sizes"][1:]):
            X = rng.random((w["batch"], n_in), dtype=np.float32)
            W = rng.random((n_in, n_out), dtype=np.float32)
            dZ = rng.random((w["batch"], n_out), dtype=np.float32)
            cases.append((f"{name.split()[0]} forward {w['batch']}x{n_in} @ {n_in}x{n_out}", X, W))
            cases.append((f"{name.split()[0]} weight gradient ({w['batch']}x{n_in})ᵀ @ {w['batch']}x{n_out}", X.T, dZ))
    for n_in, n_out in ((784, 256), (256, 64)):
        cases.append((f"transform, one row 1x{n_in} @ {n_in}x{n_out}", rng.random((1, n_in), dtype=np.float32),
                      rng.random((n_in, n_out), dtype=np.float32)))
    return cases


def main():
    from npae.backend import thread_limit

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    kernel = numba_matmul()
    rows, results = [], []
    for label, A, B in shapes():
        out = np.empty((A.shape[0], B.shape[1]), np.float32)
        kernel(A, B, out)
        np.testing.assert_allclose(out, A @ B, rtol=1e-4)  # the kernel computes the product
        t_numba = best_time(lambda: kernel(A, B, out), repeats=200)
        t_blas = {}
        for threads in sorted({1, args.threads}):
            with thread_limit(threads):
                t_blas[threads] = best_time(lambda: np.matmul(A, B, out=out), repeats=200)
        best_blas = min(t_blas.values())
        results.append(dict(product=label, numba_us=t_numba * 1e6, **{f"blas_{t}_us": v * 1e6 for t, v in t_blas.items()}))
        rows.append([label, fmt(t_numba * 1e6, 1)] + [fmt(t_blas[t] * 1e6, 1) for t in sorted(t_blas)]
                    + [fmt(best_blas / t_numba, 2), "numba" if t_numba < best_blas else "BLAS"])
    print(markdown_table(["product", "numba kernel µs"] + [f"BLAS, {t} thread(s) µs" for t in sorted({1, args.threads})]
                         + ["BLAS time / numba time", "faster"], rows))
    print(f"wrote {write_json('matmul', dict(machine=machine(), threads=args.threads, products=results))}")


if __name__ == "__main__":
    main()
