"""The ``npae`` command (also ``python -m npae``).

    npae train [--data digits|mnist|FILE] [--kind autoencoder|denoising|contractive|sparse|vae] [--out DIR]
    npae encode MODEL INPUT [--output FILE]
    npae reconstruct MODEL INPUT [--output FILE]
    npae score MODEL INPUT [--output FILE] [--threshold T]
    npae gradcheck [--hidden 4,3] [--activation tanh] [--loss bce] [--tied] [...]
    npae info

Started by an MPI launcher (``mpiexec -n P python -m mpi4py -m npae train ...``, or
``srun``), ``npae train`` trains data-parallel over the ranks (``npae[mpi]``); rank 0
prints and writes the outputs.

Inputs and outputs are ``.npy``, ``.npz`` (the array ``X``, or the only array) or
``.csv`` (comma-separated numbers; a header line is skipped). Errors print one line
and exit with status 2.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from . import __version__
from .errors import DataError, NpaeError
from .io import write_atomic

KINDS = {"autoencoder": "Autoencoder", "denoising": "DenoisingAutoencoder",
         "contractive": "ContractiveAutoencoder", "sparse": "SparseAutoencoder", "vae": "VariationalAutoencoder"}


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _int_tuple(text):
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 64,8; got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 64,8; got {text!r}")
    return values


# ---------------------------------------------------------------------------- files
def read_matrix(path):
    """A 2-D array from a .npy, .npz or .csv file (never unpickling anything)."""
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file")
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as npz:
            if "X" in npz.files:
                return npz["X"]
            if len(npz.files) == 1:
                return npz[npz.files[0]]
            raise DataError(f"{path} holds arrays {npz.files}; name the data array X")
    if path.endswith(".csv"):
        with open(path) as f:
            first = f.readline()
        try:
            [float(v) for v in first.split(",")]
            skip = 0
        except ValueError:
            skip = 1  # a header line
        return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
    raise DataError(f"{path}: use a .npy, .npz or .csv file")


def write_matrix(path, array):
    """Write an array as .npy or .csv (by the file's extension), atomically."""
    if not path.endswith((".npy", ".csv")):
        raise DataError(f"{path}: use a .npy or .csv output file")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if path.endswith(".npy"):
        write_atomic(path, lambda f: np.save(f, array))
    else:
        rows = np.atleast_2d(array.T).T if array.ndim == 1 else array
        write_atomic(path, lambda f: np.savetxt(f, rows, delimiter=",", fmt="%.9g"), mode="w")


def load_training_data(args):
    """(X_train, X_test, y_test or None, description) for ``npae train``."""
    from .datasets import load_digits, load_mnist

    rng = np.random.default_rng(args.seed)
    y = None
    if args.data == "digits":
        X, y = load_digits()
        description = "the embedded 8x8 digits"
    elif args.data == "mnist":
        X_train, _ = load_mnist(args.data_dir, kind="train")
        X_test, y_test = load_mnist(args.data_dir, kind="test")
        if args.limit:
            X_train = X_train[:args.limit]
        return X_train, X_test, y_test, "MNIST (60,000 training, 10,000 test images)"
    else:
        X = read_matrix(args.data)
        description = args.data
    if args.limit:
        X = X[:args.limit]
        y = None if y is None else y[:args.limit]
    order = rng.permutation(len(X))
    n_train = int(0.8 * len(X))
    test = order[n_train:]
    return X[order[:n_train]], X[test], None if y is None else y[test], description


#: Environment variables an MPI launcher sets in the processes it starts (MPICH's and Intel
#: MPI's Hydra, Open MPI, PMIx launchers such as SLURM's srun --mpi=pmix).
MPI_LAUNCHER_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")


def mpi_communicator():
    """MPI's world communicator when this process was started by an MPI launcher with more
    than one process (``mpiexec -n 2 npae train ...``, ``srun``), else None."""
    launcher = next((name for name in MPI_LAUNCHER_VARIABLES if name in os.environ), None)
    if launcher is None:
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise DataError(f"started by an MPI launcher ({launcher}={os.environ[launcher]}), but mpi4py is not "
                        "installed: python -m pip install \"npae[mpi]\"") from None
    return MPI.COMM_WORLD if MPI.COMM_WORLD.Get_size() > 1 else None


# ---------------------------------------------------------------------------- commands
def train_command(args):
    from . import models

    comm = mpi_communicator()  # under mpiexec: data-parallel over its ranks; rank 0 prints and writes
    root = comm is None or comm.Get_rank() == 0
    X_train, X_test, y_test, description = load_training_data(args)
    if root:
        os.makedirs(args.out, exist_ok=True)
        ranks = f" on {comm.Get_size()} MPI ranks" if comm is not None else ""
        print(f"npae {__version__}: {args.kind} on {description}: {len(X_train)} training rows, "
              f"{len(X_test)} held out{ranks}; writing to {os.path.abspath(args.out)}", flush=True)
    options = dict(hidden=args.hidden, activation=args.activation, epochs=args.epochs, batch_size=args.batch_size,
                   learning_rate=args.learning_rate, random_state=args.seed,
                   verbose=0 if args.quiet else (2 if sys.stderr.isatty() else 1))
    if args.kind == "vae":
        options.update(vae_options(args))
    else:
        if args.latent is not None or args.beta is not None or args.binarize:
            raise DataError("--latent, --beta and --binarize are options of --kind vae")
        options["code_activation"] = args.code_activation or ("sigmoid" if args.kind == "sparse" else "linear")
        options["contamination"] = args.contamination
    if args.noise is not None:
        options["noise"] = args.noise
        if args.kind != "denoising":  # the denoising kind already corrupts by masking
            options["corruption"] = "masking"
    if args.contractive is not None:
        options["contractive"] = args.contractive
    if args.kind == "contractive" or args.contractive:
        mode = args.contractive_mode
        options["contractive_mode"] = mode if mode != "auto" else (
            "analytic" if len(args.hidden) == 1 else "stochastic")
    if args.sparsity is not None:
        options["sparsity"] = args.sparsity
    model = getattr(models, KINDS[args.kind])(**options)
    t0 = time.perf_counter()
    model.fit(X_train, validation_data=X_test, comm=comm)
    seconds = time.perf_counter() - t0
    if root:
        write_outputs(args.out, model, X_train, X_test, seconds, y_test)
    return 0


def vae_options(args):
    """``--kind vae``'s options: ``--latent`` replaces the last width of ``--hidden``."""
    for name in ("noise", "contractive", "sparsity", "contamination", "code_activation"):
        if getattr(args, name) is not None:
            raise DataError(f"--{name.replace('_', '-')} is not an option of --kind vae")
    hidden = args.hidden[:-1] + (args.latent,) if args.latent is not None else args.hidden
    if args.beta is not None and not args.beta >= 0:
        raise DataError(f"--beta must be a number >= 0; got {args.beta}")
    return dict(hidden=hidden, beta=1.0 if args.beta is None else args.beta,
                binarize="dynamic" if args.binarize else None)


def write_outputs(out, model, X_train, X_test, seconds, y_test=None):
    """The model, its history and a text report (numbers: final losses, PCA comparison)."""
    from .models import PCA

    X_test = np.asarray(X_test, dtype=np.float64)
    if hasattr(model, "elbo"):
        return write_vae_outputs(out, model, X_train, X_test, seconds, y_test)
    code = model.hidden[-1] if not isinstance(model.hidden, int) else model.hidden
    pca = PCA(min(code, *X_train.shape)).fit(X_train)
    ae_mse = float(np.mean((model.reconstruct(X_test) - X_test) ** 2))
    pca_mse = float(np.mean((pca.reconstruct(X_test) - X_test) ** 2))
    model.save(os.path.join(out, "model.npz"))
    write_atomic(os.path.join(out, "history.json"), lambda f: json.dump(model.history_, f, indent=1), mode="w")
    specs = model.network_.specs
    lines = [
        f"npae train: {type(model).__name__}",
        f"model:        {model!r}",
        f"architecture: {' -> '.join(str(s.n_in) for s in specs)} -> {specs[-1].n_out}"
        f"  (loss {model.loss_}, output {model.output_activation_}, backend {model.backend_})",
        f"data:         {len(X_train)} training rows, {len(X_test)} held out",
        f"training:     {model.n_iter_} epochs in {seconds:.1f} s",
        f"final loss:   train {model.history_['loss'][-1]:.5f}, held-out {model.history_['val_loss'][-1]:.5f} "
        f"({model.loss_}, mean over features)",
        "",
        f"held-out reconstruction, mean squared error per feature ({code}-dimensional code):",
        f"  autoencoder  {ae_mse:.5f}",
        f"  PCA({code}){' ' * max(1, 6 - len(str(code)))}{pca_mse:.5f}",
        f"  ratio        {ae_mse / pca_mse:.2f} (below 1: the autoencoder reconstructs better)" if pca_mse > 0 else
        "  ratio        - (PCA reconstructs the held-out rows exactly)",
    ]
    if getattr(model, "contamination", None) is not None:
        lines.append(f"anomaly threshold_ (reconstruction error): {model.threshold_:.5f}")
    numbers = {"held-out MSE, autoencoder": f"{ae_mse:.5f}", f"held-out MSE, PCA({code})": f"{pca_mse:.5f}",
               "epochs": model.n_iter_, "training seconds": f"{seconds:.1f}"}
    write_report_files(out, model, lines, numbers, X_test, y_test)


def write_report_files(out, model, lines, numbers, X_test, y_test):
    """report.txt from ``lines`` (printed too) and, where matplotlib is installed, the pictures
    and report.html with the ``numbers`` table; then one line naming what was written."""
    report = "\n".join(lines) + "\n"
    write_atomic(os.path.join(out, "report.txt"), lambda f: f.write(report), mode="w")
    print(report, end="")
    written = ["model.npz", "history.json", "report.txt"]
    try:
        import matplotlib  # noqa: F401  (pictures only where matplotlib is installed)
    except ImportError:
        pass
    else:
        from .report import write_report

        written += write_report(out, model, X_test, y_test, numbers, title=f"npae train: {type(model).__name__}")
        written.append("report.html")
    print(f"wrote {', '.join(written)} into {out}")


def write_vae_outputs(out, model, X_train, X_test, seconds, y_test=None):
    """A VAE's model, history and report: the held-out ELBO and importance-weighted log-likelihood
    (nats per sample) against a factorised baseline, the KL, the active units; pictures of prior
    samples, the latent grid (2-D) or traversals, and the bound's curves."""
    X_eval = (np.random.default_rng(0).random(X_test.shape) < X_test).astype(np.float64) \
        if model.binarize is not None else X_test  # binarized once, with a fixed seed
    elbo = float(np.mean(model.elbo(X_eval)))
    log_likelihood = float(np.mean(model.log_likelihood(X_eval, 100)))
    if model.likelihood_ == "bernoulli":
        p = np.clip(np.mean(X_train, axis=0, dtype=np.float64), 1e-3, 1 - 1e-3)
        baseline = float(np.mean(np.sum(X_eval * np.log(p) + (1 - X_eval) * np.log(1 - p), axis=1)))
        baseline_name = "independent Bernoulli pixels (training means)"
    else:
        mean, std = np.mean(X_train, axis=0), np.std(X_train, axis=0) + 1e-3
        baseline = float(np.mean(np.sum(-0.5 * ((X_eval - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi)), axis=1)))
        baseline_name = "independent Gaussian features (training mean and std)"
    model.save(os.path.join(out, "model.npz"))
    write_atomic(os.path.join(out, "history.json"), lambda f: json.dump(model.history_, f, indent=1), mode="w")
    specs = model.network_.specs
    lines = [
        f"npae train: {type(model).__name__}",
        f"model:        {model!r}",
        f"architecture: {' -> '.join(f'{s.n_in}' for s in specs[:model.n_encoder_layers_])} -> "
        f"mu, log_var ({model.latent_dim_}) -> decoder -> {specs[-1].n_out}  "
        f"({model.likelihood_} likelihood, backend {model.backend_})",
        f"data:         {len(X_train)} training rows, {len(X_test)} held out",
        f"training:     {model.n_iter_} epochs in {seconds:.1f} s",
        f"final bound:  {-model.history_['loss'][-1]:.3f} nats per training sample (last epoch)",
        "",
        "held-out log-likelihood, nats per sample (higher is better):",
        f"  ELBO                               {elbo:.3f}",
        f"  log p(x), 100 importance samples   {log_likelihood:.3f}",
        f"  baseline                           {baseline:.3f}  ({baseline_name})",
        f"KL per sample {model.history_['kl'][-1]:.3f} nats; active units {model.active_units_} of {model.latent_dim_}",
    ]
    numbers = {"held-out ELBO (nats)": f"{elbo:.3f}", "held-out log p(x), 100 samples": f"{log_likelihood:.3f}",
               f"baseline: {baseline_name}": f"{baseline:.3f}", "active units": model.active_units_,
               "epochs": model.n_iter_, "training seconds": f"{seconds:.1f}"}
    write_report_files(out, model, lines, numbers, X_eval, y_test)


def _load_for(path, method, command):
    """The model in ``path``, which must have ``method`` (a Classifier has no transform)."""
    from .io import load

    model = load(path)
    if not hasattr(model, method):
        raise DataError(f"{path} holds a {type(model).__name__}, which has no {method}; npae {command} "
                        "takes a model file of an autoencoder (npae train, or Autoencoder.save)")
    return model


def _apply(args, method):
    model = _load_for(args.model, method, args.command)
    result = getattr(model, method)(read_matrix(args.input))
    if args.output:
        write_matrix(args.output, result)
        print(f"wrote {result.shape} to {args.output}")
    else:
        np.savetxt(sys.stdout, np.atleast_2d(result.T).T if result.ndim == 1 else result, delimiter=",",
                   fmt="%.6g")
    return 0


def encode_command(args):
    return _apply(args, "transform")


def reconstruct_command(args):
    return _apply(args, "reconstruct")


def score_command(args):
    model = _load_for(args.model, "reconstruction_error", "score")
    X = read_matrix(args.input)
    errors = model.reconstruction_error(X)
    threshold = args.threshold if args.threshold is not None else getattr(model, "threshold_", None)
    columns = [errors]
    if threshold is not None:
        columns.append(np.where(errors > threshold, -1, 1))
    result = np.column_stack(columns)
    if args.output:
        write_matrix(args.output, result)
        print(f"wrote reconstruction errors{' and +1/-1 flags' if threshold is not None else ''} "
              f"of {len(errors)} rows to {args.output}")
    else:
        np.savetxt(sys.stdout, result, delimiter=",", fmt="%.6g")
    if threshold is not None:
        print(f"{int(np.sum(errors > threshold))} of {len(errors)} rows above the threshold {threshold:.6g}",
              file=sys.stderr)
    return 0


def gradcheck_command(args):
    from .gradcheck import gradcheck
    from .models import Autoencoder

    rng = np.random.default_rng(args.seed)
    X = rng.uniform(0.05, 0.95, size=(args.samples, args.features))
    if args.loss == "mse":
        X = X * 2 - 1
    model = Autoencoder(hidden=args.hidden, activation=args.activation, loss=args.loss, tied=args.tied,
                        corruption=args.corruption, noise=args.noise or 0.0, contractive=args.contractive or 0.0,
                        contractive_mode=args.contractive_mode, sparsity=args.sparsity or 0.0,
                        code_activation="sigmoid" if args.sparsity else None, weight_decay=args.weight_decay,
                        random_state=args.seed)
    report = gradcheck(model, X, tol=args.tol)
    print(f"gradient check of {model!r} on {args.samples} x {args.features} random inputs (float64)")
    print(report.table())
    return 0 if report.passed else 1


def info_command(args):
    from .backend import numba_available, resolve_backend

    print(f"npae {__version__} ({os.path.dirname(os.path.abspath(__file__))})")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    if numba_available():
        import numba

        print(f"numba {numba.__version__}: {numba.config.NUMBA_NUM_THREADS} threads available")
        cache = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                   "kernels", "__pycache__")
        print(f"numba cache: {cache}")
    else:
        print("numba: not installed (the NumPy backend is used)")
    print(f"backend (auto): {resolve_backend('auto')}"
          f"{' (NPAE_BACKEND=' + os.environ['NPAE_BACKEND'] + ')' if os.environ.get('NPAE_BACKEND') else ''}")
    print(f"cores: {os.cpu_count()}")
    try:
        import threadpoolctl

        for pool in threadpoolctl.threadpool_info():
            print(f"{pool['user_api']}: {pool['internal_api']} {pool.get('version')}, {pool['num_threads']} threads")
    except ImportError:
        pass
    return 0


COMMANDS = {"train": train_command, "encode": encode_command, "reconstruct": reconstruct_command,
            "score": score_command, "gradcheck": gradcheck_command, "info": info_command}


def build_parser():
    parser = argparse.ArgumentParser(prog="npae", description="Autoencoders written by hand on NumPy.")
    parser.add_argument("--version", action="version", version=f"npae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser(
        "train", help="train an autoencoder and write the model and a report",
        description="Train an autoencoder (80% of the rows; 20% held out, or MNIST's test set), compare "
                    "it with PCA of the same code size, and write model.npz, history.json and report.txt "
                    "(and, with matplotlib installed, pictures and report.html) into the output folder.")
    train.add_argument("--data", default="digits", metavar="digits|mnist|FILE",
                       help="the embedded 8x8 digits (default), MNIST, or a .npy/.npz/.csv file")
    train.add_argument("--data-dir", default=None, metavar="DIR",
                       help="folder with MNIST's IDX .gz files (default: $NPAE_DATA or ~/.cache/npae)")
    train.add_argument("--limit", type=_positive_int, default=None, help="use only the first N rows")
    train.add_argument("--kind", choices=sorted(KINDS), default="autoencoder", help="the model kind")
    train.add_argument("--out", default="npae-out", metavar="DIR",
                       help="output folder (created if missing; default: %(default)s)")
    train.add_argument("--hidden", type=_int_tuple, default=(128, 8), metavar="W1,W2,...",
                       help="encoder widths, the last is the code size (default: 128,8)")
    train.add_argument("--activation", default="relu", help="hidden activation (default: %(default)s)")
    train.add_argument("--code-activation", default=None,
                       help="code layer activation (default: linear; sigmoid for --kind sparse)")
    train.add_argument("--epochs", type=_positive_int, default=100, help="training epochs (default: %(default)s)")
    train.add_argument("--batch-size", type=_positive_int, default=32, help="minibatch size (default: %(default)s)")
    train.add_argument("--learning-rate", type=float, default=3e-3, help="Adam learning rate (default: %(default)s)")
    train.add_argument("--noise", type=float, default=None, help="corruption level (denoising)")
    train.add_argument("--contractive", type=float, default=None, help="contractive penalty weight")
    train.add_argument("--contractive-mode", choices=["auto", "analytic", "stochastic"], default="auto",
                       help="exact Jacobian (one hidden layer) or its stochastic estimate; auto picks "
                            "analytic for one hidden layer, else stochastic")
    train.add_argument("--sparsity", type=float, default=None, help="sparsity penalty weight")
    train.add_argument("--latent", type=_positive_int, default=None,
                       help="--kind vae: the latent size (replaces the last width of --hidden)")
    train.add_argument("--beta", type=float, default=None, help="--kind vae: the KL weight (default 1)")
    train.add_argument("--binarize", action="store_true",
                       help="--kind vae: draw x ~ Bernoulli(X) afresh for each minibatch")
    train.add_argument("--contamination", type=float, default=None,
                       help="expected outlier fraction: sets an anomaly threshold")
    train.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    train.add_argument("--quiet", action="store_true", help="no progress output")

    for name, help_text in [("encode", "codes of the rows of INPUT"),
                            ("reconstruct", "reconstructions of the rows of INPUT")]:
        sub = commands.add_parser(name, help=help_text, description=f"Write the {help_text}.")
        sub.add_argument("model", help="a model file saved by npae (.npz)")
        sub.add_argument("input", help="a .npy, .npz or .csv file of rows")
        sub.add_argument("--output", default=None, metavar="FILE", help=".npy or .csv (default: print CSV)")

    score = commands.add_parser("score", help="anomaly scores: the reconstruction error of each row",
                                description="Reconstruction error of each row of INPUT (higher = more "
                                            "unusual); with a threshold (or a model fitted with "
                                            "contamination), also +1 (inlier) / -1 (outlier).")
    score.add_argument("model")
    score.add_argument("input")
    score.add_argument("--output", default=None, metavar="FILE")
    score.add_argument("--threshold", type=float, default=None, help="flag rows whose error is above it")

    check = commands.add_parser("gradcheck", help="check a configuration's gradients by finite differences",
                                description="Build a small autoencoder in float64 and compare its analytic "
                                            "gradients with finite differences, parameter by parameter.")
    check.add_argument("--hidden", type=_int_tuple, default=(4, 3))
    check.add_argument("--activation", default="tanh")
    check.add_argument("--loss", choices=["mse", "bce"], default="bce")
    check.add_argument("--tied", action="store_true")
    check.add_argument("--corruption", default=None, choices=["gaussian", "masking", "salt_pepper"])
    check.add_argument("--noise", type=float, default=None)
    check.add_argument("--contractive", type=float, default=None)
    check.add_argument("--contractive-mode", default="stochastic", choices=["analytic", "stochastic"])
    check.add_argument("--sparsity", type=float, default=None)
    check.add_argument("--weight-decay", type=float, default=0.0)
    check.add_argument("--samples", type=_positive_int, default=5)
    check.add_argument("--features", type=_positive_int, default=6)
    check.add_argument("--tol", type=float, default=1e-6)
    check.add_argument("--seed", type=int, default=0)

    commands.add_parser("info", help="versions, backend, threads and the numba cache location")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (NpaeError, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"npae {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"npae {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
