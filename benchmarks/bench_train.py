"""Training and inference speed: npae (numba, numpy) side by side with PyTorch on the CPU,
scikit-learn's MLPRegressor, and the matrix-product limit, in one run.

    python benchmarks/bench_train.py [--quick] [--threads N] [--rounds N] [--only W1 W3 ...]

Synthetic uniform [0, 1] float32 data, fixed seeds, Adam lr 1e-3; for each framework
the median samples/second over the timed epochs after one warm-up epoch. npae numba and
PyTorch, whose ratio is the aim, run ``--rounds`` times alternately (a fresh model each
time) and report the median round: on a shared machine whose speed drifts within a
minute, one fit of each measured the drift as much as the frameworks. Peers that are
not installed are skipped. Prints a markdown table and writes results/train.json.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from common import (best_time, every_framework_threads, fmt, machine, markdown_table, matmul_limit, torch_matmul,
                    write_json)

WORKLOADS = {
    "W1 small": dict(sizes=[64, 32, 8, 32, 64], hidden_act="sigmoid", code_act="sigmoid", batch=64, n=16384),
    "W2 MNIST-sized": dict(sizes=[784, 256, 64, 256, 784], hidden_act="relu", code_act="relu", batch=128, n=8192),
    "W3 deep": dict(sizes=[784, 1000, 500, 250, 30, 250, 500, 1000, 784], hidden_act="sigmoid",
                    code_act="linear", batch=256, n=4096),
    "W5 denoising": dict(sizes=[784, 256, 64, 256, 784], hidden_act="relu", code_act="relu", batch=128, n=8192,
                         noise=0.3),
}


def data(w):
    return np.random.default_rng(0).random((w["n"], w["sizes"][0]), dtype=np.float32)


def npae_model(w, backend, epochs, threads):
    from npae import Autoencoder

    depth = (len(w["sizes"]) - 1) // 2
    return Autoencoder(hidden=tuple(w["sizes"][1:depth + 1]), activation=w["hidden_act"],
                       code_activation=w["code_act"], loss="bce", batch_size=w["batch"], epochs=epochs,
                       learning_rate=1e-3, corruption="masking" if w.get("noise") else None,
                       noise=w.get("noise", 0.0), random_state=0, backend=backend, n_threads=threads)


def npae_rate(w, X, backend, epochs, threads):
    model = npae_model(w, backend, epochs, threads).fit(X)
    assert model.backend_ == backend, (model.backend_, backend)
    return w["n"] / statistics.median(model.history_["seconds"][1:]), model


def torch_modules(w, torch):
    nn = torch.nn
    acts = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "linear": nn.Identity}
    depth = (len(w["sizes"]) - 1) // 2
    layers = []
    for k, (a, b) in enumerate(zip(w["sizes"][:-1], w["sizes"][1:])):
        layers.append(nn.Linear(a, b))
        if k < len(w["sizes"]) - 2:  # the output's sigmoid lives in BCEWithLogitsLoss
            layers.append(acts[w["code_act"] if k == depth - 1 else w["hidden_act"]]())
    return nn.Sequential(*layers[:2 * depth]), nn.Sequential(*layers[2 * depth:])


def torch_rate(w, X, epochs, threads):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    encoder, decoder = torch_modules(w, torch)
    model = torch.nn.Sequential(encoder, decoder)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X)
    n, batch, noise = w["n"], w["batch"], w.get("noise", 0.0)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, batch):
            xb = Xt[perm[i:i + batch]]
            x_in = xb * (torch.rand_like(xb) >= noise) if noise else xb
            opt.zero_grad()
            loss = loss_fn(model(x_in), xb)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times[1:]), encoder


def sklearn_rate(w, X, epochs):
    from sklearn.neural_network import MLPRegressor

    if w.get("noise") or w["code_act"] != w["hidden_act"]:
        return None  # one activation for every hidden layer, no input noise
    act = {"sigmoid": "logistic", "relu": "relu"}[w["hidden_act"]]
    model = MLPRegressor(hidden_layer_sizes=tuple(w["sizes"][1:-1]), activation=act, solver="adam",
                         batch_size=w["batch"], learning_rate_init=1e-3, random_state=0)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.partial_fit(X, X)
        times.append(time.perf_counter() - t0)
    return w["n"] / statistics.median(times[1:])


def first_fit_seconds(cache_dir):
    """Seconds of the first W1 fit (1 epoch) in a fresh process, numba cache in cache_dir."""
    code = ("import time; t0 = time.perf_counter()\n"
            "import numpy as np, npae\n"
            "X = np.random.default_rng(0).random((2048, 64), dtype=np.float32)\n"
            "npae.Autoencoder(hidden=(32, 8), activation='sigmoid', batch_size=64, epochs=1, backend='numba',\n"
            "                 random_state=0).fit(X)\n"
            "print(time.perf_counter() - t0)\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir,
           "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and samples (a smoke run)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every framework")
    parser.add_argument("--only", nargs="*", help="workload name prefixes, e.g. W1 W3")
    parser.add_argument("--rounds", type=int, default=3, help="alternating fits of npae numba and PyTorch")
    args = parser.parse_args()
    with every_framework_threads(args.threads):
        run(args)


def run(args):
    epochs = 3 if args.quick else 6
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    try:
        import sklearn  # noqa: F401
        have_sklearn = True
    except ImportError:
        have_sklearn = False

    results = {"machine": machine(), "threads": args.threads, "epochs_timed": epochs - 1, "workloads": {}}
    rows = []
    for name, w in WORKLOADS.items():
        if args.only and not any(name.startswith(p) for p in args.only):
            continue
        if args.quick:
            w = dict(w, n=w["n"] // 4)
        X = data(w)
        r = {"limit": matmul_limit(w["sizes"], w["batch"])}
        if have_torch:
            r["torch_limit"] = matmul_limit(w["sizes"], w["batch"], matmul=torch_matmul)
        rounds = {"npae_numba": [], "torch": []}
        for _ in range(args.rounds):  # alternately, so that a drift of the machine hits both
            rounds["npae_numba"].append(npae_rate(w, X, "numba", epochs, args.threads)[0])
            if have_torch:
                rounds["torch"].append(torch_rate(w, X, epochs, args.threads)[0])
        r["rounds"] = rounds
        r["npae_numba"] = statistics.median(rounds["npae_numba"])
        r["torch"] = statistics.median(rounds["torch"]) if have_torch else None
        r["npae_numpy"], _ = npae_rate(w, X, "numpy", epochs, args.threads)
        r["sklearn"] = sklearn_rate(w, X, epochs) if have_sklearn else None
        results["workloads"][name] = r
        ratio = lambda a, b: None if a is None or b is None else a / b  # noqa: E731
        rows.append([name, fmt(r["npae_numba"]), fmt(r["npae_numpy"]), fmt(r["torch"]), fmt(r["sklearn"]),
                     fmt(r["limit"]), fmt(ratio(r["npae_numba"], r["torch"]), 2),
                     fmt(ratio(r["npae_numba"], r["sklearn"]), 2), f"{100 * r['npae_numba'] / r['limit']:.0f}%",
                     "—" if r["torch"] is None else f"{100 * r['torch'] / r['limit']:.0f}%",
                     fmt(r.get("torch_limit")), fmt(ratio(r.get("torch_limit"), r["limit"]), 2)])
        print(f"{name}: {r}", flush=True)

    # inference on W2: transform throughput (10,000 rows) and single-row latency
    w = WORKLOADS["W2 MNIST-sized"]
    X = np.random.default_rng(1).random((10000, 784), dtype=np.float32)
    model = npae_model(dict(w, n=1024), "numba", 1, args.threads).fit(X[:1024])
    row = X[:1]
    inference = {"npae_rows_per_s": 10000 / best_time(lambda: model.transform(X), repeats=5),
                 "npae_row_latency_us": 1e6 * best_time(lambda: model.transform(row), repeats=2000)}
    if have_torch:
        import torch

        encoder = torch_modules(w, torch)[0]
        with torch.no_grad():
            inference["torch_rows_per_s"] = 10000 / best_time(lambda: encoder(torch.from_numpy(X)).numpy(), repeats=5)
            inference["torch_row_latency_us"] = 1e6 * best_time(lambda: encoder(torch.from_numpy(row)).numpy(),
                                                                repeats=2000)
    results["inference"] = inference
    with tempfile.TemporaryDirectory() as cache:
        results["first_fit_cold_s"] = first_fit_seconds(cache)
        results["first_fit_warm_s"] = first_fit_seconds(cache)

    print()
    print(f"Training, samples/s (median of {epochs - 1} epochs after a warm-up; npae numba and PyTorch: median of "
          f"{args.rounds} alternating rounds; {args.threads} threads)")
    print(markdown_table(["workload", "npae numba", "npae numpy", "PyTorch", "sklearn MLP", "matmul limit",
                          "npae/PyTorch", "npae/sklearn", "npae/limit", "PyTorch/limit",
                          "matmul limit, PyTorch's BLAS", "its BLAS/NumPy's"], rows))
    print()
    print("Inference, W2 encoder (784-256-64):")
    print(markdown_table(["", "npae", "PyTorch (no_grad)", "npae/PyTorch"], [
        ["transform, rows/s (10,000 rows)", fmt(inference["npae_rows_per_s"]),
         fmt(inference.get("torch_rows_per_s")),
         fmt(inference["npae_rows_per_s"] / inference["torch_rows_per_s"], 2) if have_torch else "—"],
        ["one row, latency µs", fmt(inference["npae_row_latency_us"], 1),
         fmt(inference.get("torch_row_latency_us"), 1),
         fmt(inference["npae_row_latency_us"] / inference["torch_row_latency_us"], 2) if have_torch else "—"]]))
    print()
    print(f"First W1 fit in a fresh process: cold (empty numba cache) {results['first_fit_cold_s']:.2f} s, "
          f"warm (cache filled) {results['first_fit_warm_s']:.2f} s")
    print(f"machine: {results['machine']}")
    print(f"wrote {write_json('train', results)}")


if __name__ == "__main__":
    main()
