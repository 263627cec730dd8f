"""Kingma & Welling (2014), figure 4(b): the learned MNIST manifold of a VAE with a 2-D latent space.

    python benchmarks/kingma_welling_figure.py [--epochs 40] [--threads 1]
    python benchmarks/kingma_welling_figure.py --quick        # a tiny run, seconds

The paper's model (its appendix C): an MLP encoder 784-500 to a 2-D Gaussian posterior and
an MLP decoder 2-500-784 with Bernoulli outputs, tanh hidden units, trained by AEVB (one
draw of the reparameterised z per image). Since the prior is N(0, I), a square grid of
evenly spaced probabilities sent through the inverse normal CDF gives latent points that
cover the prior by its quantiles; decoding each gives the picture (``vae.latent_grid(20)``:
20 x 20 digits, the second latent coordinate falling from top to bottom).

Differences from the paper, for a budget of minutes on one core: Adam (rate 1e-3, batch
100) in place of Adagrad with weight decay; images binarized afresh in each pass (dynamic
binarization, the usual protocol since Burda et al.), and the test ELBO measured on the
test images binarized once with a fixed seed. The test ELBO (one draw per image) and an
importance-weighted estimate of log p(x) (100 draws per image) are written to
``results/kingma_welling_figure.json``, the model to ``results/kingma_welling_vae.npz``;
the picture to ``docs/images/vae_mnist_latent_grid.png`` (8-bit grey PNG, 560 x 560 pixels:
dark ink on white, no axes).
"""

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from common import machine, write_json  # noqa: E402

from npae import VariationalAutoencoder  # noqa: E402
from npae.datasets import load_mnist  # noqa: E402
from npae.io import write_atomic  # noqa: E402


def binarized(X, seed=0):
    """X binarized once, x ~ Bernoulli(X), with a fixed seed."""
    return (np.random.default_rng(seed).random(X.shape) < X).astype(X.dtype)


def grid_image(images, n, side=28):
    """n x n decoded images (n*n, side*side), row by row, tiled into one (n*side, n*side) array."""
    return images.reshape(n, n, side, side).transpose(0, 2, 1, 3).reshape(n * side, n * side)


def save_grey_png(canvas, path):
    """``canvas`` (values in [0, 1], 1 = ink) as an 8-bit greyscale PNG, ink dark on white."""
    from PIL import Image  # matplotlib's own dependency

    pixels = np.round(255.0 * (1.0 - np.clip(canvas, 0.0, 1.0))).astype(np.uint8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_atomic(path, lambda f: Image.fromarray(pixels).save(f, format="PNG", optimize=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=40, help="passes over the 60,000 training images")
    parser.add_argument("--hidden", type=int, default=500, help="hidden units of the encoder and of the decoder")
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n", type=int, default=20, help="the grid is n x n digits")
    parser.add_argument("--samples", type=int, default=100, help="importance samples of the log p(x) estimate")
    parser.add_argument("--verbose", type=int, default=1, help="1: a line per epoch")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run (2,000 images, 2 passes); writes *-quick files")
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data", "mnist"))
    parser.add_argument("--out", default=None, help="the picture (default docs/images/vae_mnist_latent_grid.png; "
                        "--quick: the temporary folder)")
    args = parser.parse_args()
    suffix = "-quick" if args.quick else ""
    out = args.out or (os.path.join(tempfile.gettempdir(), "vae_mnist_latent_grid-quick.png") if args.quick
                       else os.path.join(HERE, "..", "docs", "images", "vae_mnist_latent_grid.png"))

    X, _ = load_mnist(args.data_dir, kind="train")
    X_test = binarized(load_mnist(args.data_dir, kind="test")[0])
    if args.quick:
        X, X_test, args.epochs, args.samples = X[:2000], X_test[:500], 2, 20
    vae = VariationalAutoencoder(hidden=(args.hidden, 2), activation=args.activation, likelihood="bernoulli",
                                 binarize="dynamic", batch_size=args.batch, learning_rate=args.learning_rate,
                                 epochs=args.epochs, random_state=args.seed, n_threads=args.threads,
                                 verbose=args.verbose)
    t0 = time.perf_counter()
    vae.fit(X)
    seconds = time.perf_counter() - t0
    model_path = os.path.join(HERE, "results", f"kingma_welling_vae{suffix}.npz")
    os.makedirs(os.path.dirname(model_path), exist_ok=True)
    vae.save(model_path)
    t0 = time.perf_counter()
    elbo = vae.elbo(X_test, random_state=0)
    log_px = vae.log_likelihood(X_test, importance_samples=args.samples, random_state=0)
    eval_seconds = time.perf_counter() - t0

    _, images = vae.latent_grid(args.n)
    save_grey_png(grid_image(images, args.n), out)
    result = {"model": f"784-{args.hidden}-2 {args.activation} VAE, Bernoulli decoder, dynamic binarization",
              "epochs": vae.n_iter_, "batch": args.batch, "learning_rate": args.learning_rate, "seed": args.seed,
              "threads": args.threads, "train_rows": len(X), "test_rows": len(X_test),
              "train_seconds": seconds, "backend": vae.backend_,
              "test_elbo": float(np.mean(elbo)), "test_elbo_sem": float(np.std(elbo) / np.sqrt(len(elbo))),
              "test_log_px": float(np.mean(log_px)), "importance_samples": args.samples,
              "eval_seconds": eval_seconds, "train_elbo_last_epoch": -float(vae.history_["loss"][-1]),
              "active_units": vae.active_units_, "kl_per_dimension": vae.kl_per_dimension_.tolist(),
              "grid": args.n, "picture": os.path.relpath(out, os.path.join(HERE, "..")),
              "picture_bytes": os.path.getsize(out), "model_file": os.path.relpath(model_path, HERE),
              "machine": machine()}
    path = write_json(f"kingma_welling_figure{suffix}", result)
    print(f"784-{args.hidden}-2 {args.activation} VAE on {len(X):,} MNIST images, {vae.n_iter_} passes in "
          f"{seconds:.0f} s ({vae.backend_}, {args.threads} thread(s))")
    print(f"test ELBO {result['test_elbo']:.2f} +- {result['test_elbo_sem']:.2f} nats; "
          f"log p(x) >= {result['test_log_px']:.2f} nats ({args.samples} importance samples; {eval_seconds:.0f} s)")
    print(f"active units {vae.active_units_} of 2; KL per dimension {np.round(vae.kl_per_dimension_, 2).tolist()}")
    print(f"wrote {out} ({result['picture_bytes'] / 1024:.0f} KB, {args.n} x {args.n} digits) and {path}")


if __name__ == "__main__":
    main()
