"""The variational autoencoder's speed: npae (numba, numpy) side by side with PyTorch on the CPU
and with the matrix-product limit, in one run.

    python benchmarks/bench_vae.py [--quick] [--threads N] [--rounds N] [--ll-rows N]

1. Training, PyTorch's own VAE example (pytorch/examples, vae/main.py): 784-400-20 ReLU encoder,
   mirrored decoder, Bernoulli likelihood summed over pixels, analytic KL, batch 128, Adam 1e-3,
   on MNIST's grey training images. PyTorch runs that example's model and step as written (a
   sigmoid output with binary_cross_entropy); npae computes the same loss from the logits.
   Median samples/s over the timed epochs after a warm-up epoch, ``--rounds`` alternating rounds.
2. ``log_likelihood`` with 5,000 importance samples (Burda et al.'s estimator) on MNIST test
   images, npae against the same estimator written in PyTorch (the encoder once per image, the
   draws decoded in blocks of 8,192, log-sum-exp), both with the same trained weights; seconds
   for ``--ll-rows`` images, and the time that makes for 10,000.

MNIST is read from ``--data-dir`` (default ../shared/data/mnist). Writes results/vae.json.
"""

import argparse
import math
import os
import statistics
import time

import numpy as np

from common import every_framework_threads, fmt, machine, markdown_table, matmul_limit, write_json

from npae import VariationalAutoencoder
from npae.datasets import load_mnist

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, HIDDEN, LATENT = 128, 400, 20


def npae_epochs(X, epochs, backend):
    vae = VariationalAutoencoder(hidden=(HIDDEN, LATENT), activation="relu", likelihood="bernoulli", batch_size=BATCH,
                                 learning_rate=1e-3, epochs=epochs, random_state=0, backend=backend).fit(X)
    return [len(X) / s for s in vae.history_["seconds"][1:]], vae


def torch_model():
    import torch
    from torch import nn
    from torch.nn import functional as F

    class VAE(nn.Module):  # pytorch/examples vae/main.py, as written
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

        def decode(self, z):
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

        def forward(self, x):
            mu, logvar = self.encode(x)
            return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
        return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    torch.manual_seed(0)
    return VAE(), loss_function


def torch_epochs(X, epochs):
    import torch

    model, loss_function = torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.from_numpy(X)
    rates = []
    for _ in range(epochs):
        order = torch.randperm(len(data))
        t0 = time.perf_counter()
        for i in range(0, len(data), BATCH):
            x = data[order[i:i + BATCH]]
            optimizer.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            loss.backward()
            optimizer.step()
        rates.append(len(data) / (time.perf_counter() - t0))
    return rates[1:]


def torch_log_likelihood(vae, X, samples, block=8192):
    """Burda et al.'s estimate, written in PyTorch with npae's weights (logits, no sigmoid)."""
    import torch
    from torch.nn import functional as F

    W = [torch.from_numpy(w) for w in vae.get_weights()]
    W1, b1, Wmu, bmu, Wlv, blv, W3, b3, W4, b4 = W
    x_all = torch.from_numpy(X)
    rows = max(1, min(1024, block // samples))
    draws = max(1, block // rows)
    out = []
    with torch.no_grad():
        for i in range(0, len(x_all), rows):
            x = x_all[i:i + rows]
            h = F.relu(x @ W1 + b1)
            mu, raw = h @ Wmu + bmu, h @ Wlv + blv
            logvar = raw - F.softplus(raw - 20.0)  # npae's bound on the log-variance
            std = torch.exp(0.5 * logvar)
            parts = []
            for s in range(0, samples, draws):
                eps = torch.randn(min(draws, samples - s), len(x), LATENT)
                z = mu + std * eps
                logits = F.relu(z @ W3 + b3) @ W4 + b4
                log_px = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
                parts.append(log_px + 0.5 * (eps * eps + logvar - z * z).sum(-1))
            log_w = torch.cat(parts)
            out.append(torch.logsumexp(log_w.double(), 0) - math.log(samples))
    return torch.cat(out).numpy()


def run(args):
    X_all, _ = load_mnist(args.data_dir, kind="train")
    X = X_all[:args.rows]
    X_test = (np.random.default_rng(0).random((args.ll_rows, 784)) <
              load_mnist(args.data_dir, kind="test")[0][:args.ll_rows]).astype(np.float32)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    rounds = {"npae numba": [], "npae numpy": [], "PyTorch": []}
    for _ in range(args.rounds):
        rounds["npae numba"].append(statistics.median(npae_epochs(X, args.epochs, "numba")[0]))
        if have_torch:
            rounds["PyTorch"].append(statistics.median(torch_epochs(X, args.epochs)))
    rounds["npae numpy"].append(statistics.median(npae_epochs(X, max(2, args.epochs // 2), "numpy")[0]))
    # the limit: the step's products alone (encoder 784-400 with both heads as one 400->40, decoder 20-400-784)
    enc = 1.0 / matmul_limit([784, HIDDEN, 2 * LATENT], BATCH)
    dec = 1.0 / matmul_limit([LATENT, HIDDEN, 784], BATCH)
    limit = 1.0 / (enc + dec)
    train = {name: statistics.median(v) if v else None for name, v in rounds.items()}
    train["matrix-product limit"] = limit
    # log_likelihood, on a model trained briefly (the estimator's cost does not depend on the weights)
    _, vae = npae_epochs(X, 2, "numba")
    t0 = time.perf_counter()
    ll_npae = vae.log_likelihood(X_test, args.samples, random_state=0)
    npae_seconds = time.perf_counter() - t0
    torch_seconds, ll_torch = None, None
    if have_torch:
        t0 = time.perf_counter()
        ll_torch = torch_log_likelihood(vae, X_test, args.samples)
        torch_seconds = time.perf_counter() - t0
    scale = 10000 / len(X_test)
    result = {"train_samples_per_s": train, "rounds": rounds, "ll_rows": len(X_test), "samples": args.samples,
              "ll_seconds": {"npae": npae_seconds, "PyTorch": torch_seconds},
              "ll_mean": {"npae": float(np.mean(ll_npae)), "PyTorch": None if ll_torch is None else float(np.mean(ll_torch))},
              "threads": args.threads, "machine": machine()}
    path = write_json("vae" + ("-quick" if args.quick else ""), result)
    ref = train["PyTorch"]
    rows = [[name, fmt(v), "—" if ref is None or v is None else f"{v / ref:.2f}"] for name, v in train.items()]
    print(f"Training, PyTorch's VAE example (784-400-20 ReLU, batch {BATCH}, Adam 1e-3), {args.threads} thread(s), "
          f"median samples/s of {args.rounds} rounds:")
    print(markdown_table(["", "samples/s", "vs PyTorch"], rows))
    print(f"\nlog_likelihood, {args.samples} importance samples, {len(X_test)} test images "
          f"(x{scale:.0f} for 10,000):")
    ll_rows = [["npae", f"{npae_seconds:.1f}", f"{npae_seconds * scale / 60:.1f}", f"{np.mean(ll_npae):.2f}",
                "—" if torch_seconds is None else f"{torch_seconds / npae_seconds:.2f}"]]
    if torch_seconds is not None:
        ll_rows.append(["PyTorch", f"{torch_seconds:.1f}", f"{torch_seconds * scale / 60:.1f}",
                        f"{np.mean(ll_torch):.2f}", "1.00"])
    print(markdown_table(["", "seconds", "minutes for 10,000", "mean log p(x)", "speed-up over PyTorch"], ll_rows))
    print(f"\nwrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4, help="epochs per round (the first is a warm-up)")
    parser.add_argument("--rows", type=int, default=20000, help="training images per epoch")
    parser.add_argument("--ll-rows", type=int, default=200)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data", "mnist"))
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.epochs, args.rows, args.ll_rows, args.samples = 1, 2, 1024, 4, 200
    with every_framework_threads(args.threads):
        run(args)


if __name__ == "__main__":
    main()
