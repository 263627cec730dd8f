"""Streaming and inference at full speed (issue 19): partial_fit against fit, transform
against PyTorch.

    python benchmarks/bench_streaming.py [--rounds 3] [--threads 2] [--quick]

* Training: the 784-512-784 contractive workload (``ContractiveAutoencoder(hidden=(512,),
  contractive=0.1)``, sigmoid, bce, batch 128, float32) on 8,192 rows. ``fit``'s
  throughput is its epochs' median samples/s (after the first); ``partial_fit`` is timed
  over whole passes (one call on the 8,192 rows) and over single 128-row batches (64 calls
  in a row, the cost of a stream), each call in full: validation, training, bookkeeping.
  The aim: both within 5% of ``fit``'s epochs.
* Inference: ``transform`` of the W2 encoder (784-256-64, ReLU) on 10,000 rows and on one
  row, against the same ``nn.Sequential`` under ``torch.no_grad()`` (timed with its
  ``torch.from_numpy`` and ``.numpy()``), and against the matrix products alone
  (NumPy's ``matmul`` at the same shapes: what any NumPy code pays). Aim: throughput at
  least PyTorch's, one-row latency below it.

Rounds alternate npae and PyTorch and the table gives medians (a shared machine drifts);
ratios are only read within one run. Writes results/streaming.json.
"""

import argparse
import statistics
import sys
import time

import numpy as np

from common import best_time, every_framework_threads, machine, markdown_table, write_json


def training(rows, rounds):
    from npae import ContractiveAutoencoder

    X = np.random.default_rng(0).random((rows, 784), dtype=np.float32)

    def model(epochs):
        return ContractiveAutoencoder(hidden=(512,), contractive=0.1, loss="bce", epochs=epochs, batch_size=128,
                                      random_state=0)

    model(1).fit(X[:256])  # compile / load the kernels
    out = {"fit": [], "partial_fit_pass": [], "partial_fit_batch": []}
    for r in range(rounds):
        fitted = model(4).fit(X)
        out["fit"].append(rows / statistics.median(fitted.history_["seconds"][1:]))
        stream = model(1)
        stream.partial_fit(X[:128])  # initialised outside the timing, as fit's first epoch is
        passes = []
        for _ in range(3):
            t0 = time.perf_counter()
            stream.partial_fit(X)
            passes.append(time.perf_counter() - t0)
        out["partial_fit_pass"].append(rows / statistics.median(passes))
        t0 = time.perf_counter()
        for start in range(0, rows, 128):
            stream.partial_fit(X[start:start + 128])
        out["partial_fit_batch"].append(rows / (time.perf_counter() - t0))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in out.items()), flush=True)
    return out


def inference(rounds, have_torch):
    from npae import Autoencoder

    X = np.random.default_rng(1).random((10000, 784), dtype=np.float32)
    model = Autoencoder(hidden=(256, 64), activation="relu", loss="bce", epochs=1, random_state=0).fit(X[:1024])
    W1, W2 = (np.ascontiguousarray(w) for w in model.get_weights()[0:4:2])
    row = X[:1]
    buffers = np.empty((10000, 256), np.float32), np.empty((10000, 64), np.float32)

    def products():
        np.matmul(X, W1, out=buffers[0])
        np.matmul(buffers[0], W2, out=buffers[1])

    encoder = None
    if have_torch:
        import torch

        encoder = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64),
                                      torch.nn.ReLU()).eval()

    def torch_transform(A):
        import torch

        with torch.no_grad():
            return encoder(torch.from_numpy(A)).numpy()

    out = {"npae_rows_per_s": [], "products_rows_per_s": [], "torch_rows_per_s": [],
           "npae_row_latency_us": [], "torch_row_latency_us": []}
    for r in range(rounds):
        out["npae_rows_per_s"].append(10000 / best_time(lambda: model.transform(X), repeats=10))
        out["products_rows_per_s"].append(10000 / best_time(products, repeats=10))
        out["npae_row_latency_us"].append(1e6 * best_time(lambda: model.transform(row), repeats=2000))
        if encoder is not None:
            out["torch_rows_per_s"].append(10000 / best_time(lambda: torch_transform(X), repeats=10))
            out["torch_row_latency_us"].append(1e6 * best_time(lambda: torch_transform(row), repeats=2000))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.1f}" for k, v in out.items() if v), flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="threads for every framework (default 2)")
    parser.add_argument("--quick", action="store_true", help="1 round on 1,024 rows (a smoke run)")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: its column is skipped (pip install torch)")
    rounds = 1 if args.quick else args.rounds
    results = {"machine": machine(), "threads": args.threads}
    print(f"{results['machine']['cpu']}, {args.threads} thread(s), load {results['machine'].get('load', 0):.1f}")
    with every_framework_threads(args.threads):
        results["training"] = training(1024 if args.quick else 8192, rounds)
        results["inference"] = inference(rounds, have_torch)
    med = {k: statistics.median(v) for part in ("training", "inference") for k, v in results[part].items() if v}
    print()
    print(markdown_table(["training, samples/s", "median", "/ fit's epochs"], [
        [name, f"{med[key]:,.0f}", f"{med[key] / med['fit']:.3f}"]
        for name, key in (("fit, epochs after the first", "fit"), ("partial_fit, one pass over 8,192 rows",
                                                                   "partial_fit_pass"),
                          ("partial_fit, 128-row batches", "partial_fit_batch"))]))
    print()
    torch_row = [f"{med['torch_rows_per_s']:,.0f}", f"{med['npae_rows_per_s'] / med['torch_rows_per_s']:.2f}"] \
        if have_torch else ["—", "—"]
    torch_lat = [f"{med['torch_row_latency_us']:.1f}", f"{med['npae_row_latency_us'] / med['torch_row_latency_us']:.2f}"] \
        if have_torch else ["—", "—"]
    print(markdown_table(["W2 encoder", "npae", "PyTorch", "npae/PyTorch", "matrix products alone"], [
        ["transform, rows/s (10,000 rows)", f"{med['npae_rows_per_s']:,.0f}", *torch_row,
         f"{med['products_rows_per_s']:,.0f}"],
        ["one row, latency µs", f"{med['npae_row_latency_us']:.1f}", *torch_lat, ""]]))
    print(f"wrote {write_json('streaming' + ('_quick' if args.quick else ''), results)}")


if __name__ == "__main__":
    sys.exit(main())
