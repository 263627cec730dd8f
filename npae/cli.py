"""The ``npae`` command (also ``python -m npae``).

``npae train`` trains an autoencoder on the embedded digits (by default), compares
it with PCA of the same code size on held-out digits, and writes the model
(``model.npz``), the per-epoch history (``history.json``) and a text report
(``report.txt``) into ``--out DIR``.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from . import __version__
from .errors import NpaeError


def _int_tuple(text):
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 64,8; got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 64,8; got {text!r}")
    return values


def build_parser():
    parser = argparse.ArgumentParser(prog="npae", description="Autoencoders written by hand on NumPy.")
    parser.add_argument("--version", action="version", version=f"npae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = commands.add_parser(
        "train", help="train an autoencoder on the embedded digits and write a report",
        description="Train an autoencoder on the embedded 8x8 digits (80%% train, 20%% held out), "
                    "compare it with PCA of the same code size, and write model.npz, "
                    "history.json and report.txt into the output folder.")
    train.add_argument("--out", default="npae-out", metavar="DIR",
                       help="output folder (created if missing; default: %(default)s)")
    train.add_argument("--hidden", type=_int_tuple, default=(128, 8), metavar="W1,W2,...",
                       help="encoder widths, the last is the code size (default: 128,8)")
    train.add_argument("--activation", default="relu", help="hidden activation (default: %(default)s)")
    train.add_argument("--code-activation", default="linear",
                       help="code layer activation (default: %(default)s)")
    train.add_argument("--epochs", type=int, default=100, help="training epochs (default: %(default)s)")
    train.add_argument("--batch-size", type=int, default=32, help="minibatch size (default: %(default)s)")
    train.add_argument("--learning-rate", type=float, default=3e-3, help="Adam learning rate (default: %(default)s)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    train.add_argument("--quiet", action="store_true", help="do not print one line per epoch")
    return parser


def train_command(args):
    from .datasets import load_digits
    from .models import PCA, Autoencoder

    X, y = load_digits()
    order = np.random.default_rng(args.seed).permutation(len(X))
    n_train = int(0.8 * len(X))
    X_train, X_test = X[order[:n_train]], X[order[n_train:]]
    os.makedirs(args.out, exist_ok=True)
    print(f"npae {__version__}: training on {len(X_train)} digits, {len(X_test)} held out; "
          f"writing to {os.path.abspath(args.out)}", flush=True)
    model = Autoencoder(hidden=args.hidden, activation=args.activation,
                        code_activation=args.code_activation, epochs=args.epochs,
                        batch_size=args.batch_size, learning_rate=args.learning_rate,
                        random_state=args.seed, verbose=0 if args.quiet else 1)
    t0 = time.perf_counter()
    model.fit(X_train, validation_data=X_test)
    seconds = time.perf_counter() - t0
    code = args.hidden[-1]
    pca = PCA(code).fit(X_train)
    ae_mse = float(np.mean((model.reconstruct(X_test) - X_test) ** 2))
    pca_mse = float(np.mean((pca.reconstruct(X_test) - X_test) ** 2))
    model.save(os.path.join(args.out, "model.npz"))
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump(model.history_, f, indent=1)
    lines = [
        "npae train: autoencoder on the embedded 8x8 digits",
        f"model:        {model!r}",
        f"architecture: {' -> '.join(str(s.n_in) for s in model.network_.specs)} -> {X.shape[1]}"
        f"  (loss {model.loss_}, output {model.output_activation_})",
        f"data:         {len(X_train)} training digits, {len(X_test)} held out, pixels scaled to [0, 1]",
        f"training:     {model.n_iter_} epochs in {seconds:.1f} s",
        f"final loss:   train {model.history_['loss'][-1]:.5f}, held-out {model.history_['val_loss'][-1]:.5f} "
        f"({model.loss_}, mean over pixels)",
        "",
        f"held-out reconstruction, mean squared error per pixel ({code}-dimensional code):",
        f"  autoencoder  {ae_mse:.5f}",
        f"  PCA({code})      {pca_mse:.5f}",
        f"  ratio        {ae_mse / pca_mse:.2f} (below 1: the autoencoder reconstructs better)",
    ]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "report.txt"), "w") as f:
        f.write(report)
    print(report, end="")
    print(f"wrote {os.path.join(args.out, 'model.npz')}, history.json and report.txt")
    return 0


COMMANDS = {"train": train_command}


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (NpaeError, OSError) as exc:
        print(f"npae {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"npae {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
