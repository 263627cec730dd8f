"""Data-parallel training on MPI (``fit(..., comm=...)``, ``npae.parallel``).

The main test: two ranks under ``mpiexec -n 2 python -m mpi4py`` train every estimator to
the model one process trains with the same settings (float64, up to the order of the
floating-point sums), with validation, early stopping and the learning-rate schedule on;
both ranks hold the same weights bit for bit, and after ``fit`` and ``partial_fit`` the
same optimizer state as one process (the update is sharded among the ranks, its state
gathered at the end). Then: a guarded step whose summed gradient is not finite in one
rank's block only is skipped on every rank, a failing rank ends the job instead of hanging
it, ranks given different data are refused, only rank 0 writes, a divergence is raised on
every rank, ``npae train`` runs under mpiexec, and one rank (``COMM_SELF``) is bit for bit
the one-process fit.

Every MPI job runs as a subprocess with a timeout. Skipped without mpi4py and mpiexec
(``pip install "npae[mpi]"``), unless NPAE_REQUIRE_MPI=1 (CI), where that fails.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

TIMEOUT = 300  # seconds for one mpiexec job (each takes a few seconds)
REQUIRED = os.environ.get("NPAE_REQUIRE_MPI") == "1"


def _mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")  # the mpich wheel's, in the venv
    return beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")


def _mpi_missing():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install \"npae[mpi]\")"
    if _mpiexec() is None:
        return "no mpiexec (pip install \"npae[mpi]\" brings MPICH's)"
    return None


@pytest.fixture
def mpi():
    missing = _mpi_missing()
    if missing and REQUIRED:
        pytest.fail(f"NPAE_REQUIRE_MPI=1 but {missing}")
    if missing:
        pytest.skip(missing)


def run_mpi(tmp_path, code, *args, ranks=2, runner=True, timeout=TIMEOUT):
    """Run ``code`` (a script) as ``mpiexec -n ranks python -m mpi4py script args`` (without
    ``-m mpi4py`` when ``runner`` is False); returns the CompletedProcess."""
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(code))
    command = [_mpiexec(), "-n", str(ranks), sys.executable] + (["-m", "mpi4py"] if runner else []) + \
        [str(script), *map(str, args)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp_path)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"mpiexec did not finish in {timeout} s (a rank hangs?): {exc.stderr}")


# ---------------------------------------------------------------------------- equivalence
#: 439 digits: validation_fraction=0.2 holds out 88 and leaves 351 = 7 * 50 + 1 training
#: rows, so the last minibatch has ONE row and rank 1 none of it.
N_ROWS = 439
COMMON = dict(batch_size=50, random_state=0, dtype="float64", n_threads=1)
CONFIGS = {
    # early stopping (it stops before epochs) and the learning rate lowered on plateaus
    "autoencoder_numba": ("Autoencoder", dict(hidden=(16,), epochs=30, learning_rate=0.1, early_stopping=True,
                                             patience=2, validation_fraction=0.2, lr_decay_patience=1,
                                             lr_decay_factor=0.5, backend="numba")),
    "autoencoder_numpy": ("Autoencoder", dict(hidden=(16,), epochs=30, learning_rate=0.1, early_stopping=True,
                                             patience=2, validation_fraction=0.2, lr_decay_patience=1,
                                             lr_decay_factor=0.5, backend="numpy")),
    # the corruption's noise: every row gets the number it gets in one process
    "denoising_numba": ("DenoisingAutoencoder", dict(hidden=(16,), epochs=6, validation_fraction=0.2,
                                                     backend="numba")),
    "denoising_gaussian_numpy": ("Autoencoder", dict(hidden=(16,), corruption="gaussian", noise=0.1,
                                                     loss="mse", epochs=4, validation_fraction=0.2,
                                                     backend="numpy")),
    # stochastic contractive noise (the reference objective), two hidden layers, milestones
    "contractive_stochastic": ("Autoencoder", dict(hidden=(16, 4), contractive=0.1, contractive_mode="stochastic",
                                                   epochs=4, validation_fraction=0.2, lr_decay_epochs=(2,))),
    # analytic contractive + weight decay (counted once, not per rank), SGD with Nesterov
    "contractive_analytic_sgd": ("ContractiveAutoencoder", dict(hidden=(16,), weight_decay=1e-3, optimizer="sgd",
                                                                learning_rate=0.5, nesterov=True, epochs=4,
                                                                validation_fraction=0.2, backend="numba")),
    "sparse_l1": ("SparseAutoencoder", dict(hidden=(16,), sparsity=0.1, sparsity_mode="l1", epochs=4,
                                            validation_fraction=0.2)),
    "stacked": ("StackedAutoencoder", dict(hidden=(16, 8), pretrain_epochs=2, epochs=3, validation_fraction=0.2,
                                           layer_params={"corruption": "masking", "noise": [0.2, 0.1]})),
    "classifier_numba": ("Classifier", dict(hidden=(16,), epochs=40, learning_rate=0.03, early_stopping=True,
                                            patience=3, validation_fraction=0.2, weight_decay=1e-4,
                                            backend="numba")),
    "classifier_numpy": ("Classifier", dict(hidden=(16,), epochs=40, learning_rate=0.03, early_stopping=True,
                                            patience=3, validation_fraction=0.2, backend="numpy")),
    # the VAE: its draws (binarization, eps of shape (S, n, k)) split by rows, the KL warm-up
    "vae_numba": ("VariationalAutoencoder", dict(hidden=(16, 4), epochs=4, importance_samples=2, binarize="dynamic",
                                                 kl_warmup=2, validation_fraction=0.2, backend="numba")),
    "vae_numpy": ("VariationalAutoencoder", dict(hidden=(8, 3), epochs=3, beta=2.0, weight_decay=1e-3,
                                                 validation_fraction=0.2, backend="numpy")),
}

EQUIVALENCE_JOB = """
import json, sys
import numpy as np
from mpi4py import MPI
import npae
from npae.datasets import load_digits

comm = MPI.COMM_WORLD
configs, out = json.loads(open(sys.argv[1]).read()), sys.argv[2]
X, y = load_digits()
X, y = X[:{n}], y[:{n}]

def state(model):  # the optimizer's state, whole on every rank after a training call
    opt = getattr(model, "_optimizer", None)
    arrays = {{name: getattr(opt, name) for name in ("m", "v", "velocity") if getattr(opt, name, None) is not None}}
    return dict(arrays, t=-1 if opt is None else opt.t)

for name, (kind, params) in configs.items():
    model = getattr(npae, kind)(**params)
    if kind == "Classifier":
        model.fit(X, y, comm=comm)
    else:
        model.fit(X, comm=comm)
    np.savez(f"{{out}}/{{name}}.{{comm.rank}}.npz", theta=model.network_.theta,
             history=json.dumps(model.history_), n_iter=model.n_iter_, **state(model))
# partial_fit: random_state=None on every rank (rank 0's start is broadcast), then twice more
model = npae.Autoencoder(hidden=(8,), batch_size=50, dtype="float64", n_threads=1)
for _ in range(3):
    model.partial_fit(X, comm=comm)
np.savez(f"{{out}}/partial_fit.{{comm.rank}}.npz", theta=model.network_.theta,
         history=json.dumps(model.history_), n_iter=model.n_iter_)
# partial_fit from a seed, three calls, to compare with one process (967 parameters: the
# ranks' blocks of 483 and 484 entries)
for name, params in {partial}.items():
    model = npae.Autoencoder(**params)
    for _ in range(3):
        model.partial_fit(X, comm=comm)
    np.savez(f"{{out}}/{{name}}.{{comm.rank}}.npz", theta=model.network_.theta, **state(model))
"""

#: partial_fit from a seed (compared with one process): Adam on the kernels, SGD's momentum on NumPy
PARTIAL = {
    "partial_adam": dict(hidden=(7,), batch_size=50, random_state=0, dtype="float64", n_threads=1,
                         backend="numba"),
    "partial_sgd": dict(hidden=(7,), batch_size=50, random_state=0, dtype="float64", n_threads=1,
                        backend="numpy", optimizer="sgd", learning_rate=0.1, momentum=0.9),
}


def one_process(kind, params, X, y):
    import npae

    model = getattr(npae, kind)(**params)
    return model.fit(X, y) if kind == "Classifier" else model.fit(X)


def assert_same_optimizer_state(ranks, reference, name):
    """Both ranks' optimizer state (saved by the job) equals each other's bit for bit and
    ``reference``'s (the one-process model's) up to the rounding of the sums."""
    opt = getattr(reference, "_optimizer", None)
    assert int(ranks[0]["t"]) == int(ranks[1]["t"]) == (-1 if opt is None else opt.t), f"{name}: step count"
    for key in ("m", "v", "velocity"):
        expected = getattr(opt, key, None)
        assert (key in ranks[0]) == (expected is not None), f"{name}: {key}"
        if expected is not None:
            np.testing.assert_array_equal(ranks[0][key], ranks[1][key], err_msg=f"{name} {key}: ranks disagree")
            np.testing.assert_allclose(ranks[0][key], expected, rtol=1e-8, atol=1e-13, err_msg=f"{name} {key}")


def test_two_ranks_train_the_one_process_model(mpi, tmp_path, digits):
    configs = {name: (kind, dict(COMMON, **params)) for name, (kind, params) in CONFIGS.items()}
    (tmp_path / "configs.json").write_text(json.dumps(configs))
    proc = run_mpi(tmp_path, EQUIVALENCE_JOB.format(n=N_ROWS, partial=repr(PARTIAL)), tmp_path / "configs.json",
                   tmp_path)
    assert proc.returncode == 0, proc.stderr
    X, y = digits[0][:N_ROWS], digits[1][:N_ROWS]
    stopped_early = False
    for name, (kind, params) in configs.items():
        ranks = [np.load(tmp_path / f"{name}.{r}.npz") for r in (0, 1)]
        np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"], err_msg=f"{name}: ranks disagree")
        assert ranks[0]["history"] == ranks[1]["history"] or _same_but_seconds(ranks), name
        reference = one_process(kind, params, X, y)
        history = json.loads(str(ranks[0]["history"]))
        assert int(ranks[0]["n_iter"]) == reference.n_iter_, f"{name}: stopped at another epoch"
        np.testing.assert_allclose(ranks[0]["theta"], reference.network_.theta, rtol=1e-9, atol=1e-11,
                                   err_msg=name)
        assert_same_optimizer_state(ranks, reference, name)
        for key, values in reference.history_.items():
            if key != "seconds":
                np.testing.assert_allclose(history[key], values, rtol=1e-9, atol=1e-12, err_msg=f"{name} {key}")
        assert set(history) == set(reference.history_), name
        stopped_early |= reference.n_iter_ < params["epochs"]
    assert stopped_early  # early stopping was exercised, not only switched on
    ranks = [np.load(tmp_path / f"partial_fit.{r}.npz") for r in (0, 1)]
    np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"])
    assert int(ranks[0]["n_iter"]) == 3
    import npae

    for name, params in PARTIAL.items():
        ranks = [np.load(tmp_path / f"{name}.{r}.npz") for r in (0, 1)]
        reference = npae.Autoencoder(**params)
        for _ in range(3):
            reference.partial_fit(X)
        np.testing.assert_array_equal(ranks[0]["theta"], ranks[1]["theta"], err_msg=f"{name}: ranks disagree")
        np.testing.assert_allclose(ranks[0]["theta"], reference.network_.theta, rtol=1e-9, atol=1e-11,
                                   err_msg=name)
        assert_same_optimizer_state(ranks, reference, name)


def _same_but_seconds(ranks):
    histories = [json.loads(str(r["history"])) for r in ranks]
    for h in histories:
        h.pop("seconds", None)
    return histories[0] == histories[1]


# ---------------------------------------------------------------------------- the sharded update's guard
GUARD_JOB = """
import sys
import numpy as np
from mpi4py import MPI
import npae
from npae.datasets import load_digits
from npae.errors import DivergenceError
from npae.parallel import partition

comm = MPI.COMM_WORLD
report = open(f"{sys.argv[1]}.{comm.rank}", "w")
X = load_digits()[0][:64]
for backend in ("numba", "numpy"):
    model = npae.Autoencoder(hidden=(7,), batch_size=64, random_state=0, dtype="float64", n_threads=1,
                             backend=backend)
    model.partial_fit(X, comm=comm)  # one minibatch, Adam: partial_fit's guarded step
    opt, theta = model._optimizer, model.network_.theta.copy()
    before = (opt.t, opt.m.copy(), opt.v.copy())
    # rank 0 makes its gradient infinite at an entry of rank 1's block, whose summed block alone
    # is then not finite: every rank must skip the update
    counts, starts = partition(theta.size, comm.size)
    inside = int(starts[1] + counts[1] // 2)
    halves = model._gradient_step

    def poisoned(X, optimizer, rng):
        gradient, update = halves(X, optimizer, rng)

        def poisoned_gradient(rows):
            loss, parts = gradient(rows)
            if comm.rank == 0:
                model.network_.grad[inside] = np.inf
            return loss, parts
        return poisoned_gradient, update

    model._gradient_step = poisoned
    try:
        model.partial_fit(X, comm=comm)
        print(f"{backend}: no error", file=report)
    except DivergenceError as exc:
        print(f"{backend}: diverged: {str(exc).split('.')[0]}", file=report)
    same = (np.array_equal(model.network_.theta, theta) and opt.t == before[0]
            and np.array_equal(opt.m, before[1]) and np.array_equal(opt.v, before[2]))
    print(f"{backend}: unchanged {same}", file=report)
report.close()
"""


def test_a_non_finite_block_skips_the_guarded_update_on_every_rank(mpi, tmp_path):
    """partial_fit of one minibatch with Adam is a guarded step: under the sharded update no
    rank holds the whole summed gradient, so each checks its block and the ranks sum their
    verdicts; a gradient infinite only in rank 1's block leaves theta and the optimizer's
    state as they were on both ranks, and raises the divergence on both."""
    proc = run_mpi(tmp_path, GUARD_JOB, tmp_path / "report", timeout=120)
    assert proc.returncode == 0, proc.stderr
    reports = [(tmp_path / f"report.{rank}").read_text().splitlines() for rank in (0, 1)]
    assert reports[0] == reports[1]
    for backend in ("numba", "numpy"):
        assert f"{backend}: diverged: training diverged at epoch 2, batch 1: the loss or its gradient became nan" \
            in reports[0], reports[0]
        assert f"{backend}: unchanged True" in reports[0], reports[0]


def test_blocks_cover_theta_in_equal_parts_and_a_remainder():
    """``partition`` (the blocks of the sharded update) for lengths the ranks do not divide:
    contiguous and covering, ``n // size`` entries each, the last rank's with the remainder
    (fewer than ``size`` entries) too."""
    from npae.parallel import partition

    for n in (0, 1, 2, 5, 967, 1001, 2_837_314, 2_837_315):
        for size in (1, 2, 3, 4, 7):
            counts, starts = partition(n, size)
            assert counts.sum() == n and len(counts) == len(starts) == size, (n, size)
            np.testing.assert_array_equal(starts, np.concatenate([[0], np.cumsum(counts)[:-1]]))
            np.testing.assert_array_equal(counts[:-1], n // size)
            assert 0 <= counts[-1] - n // size < size, (n, size)


# ---------------------------------------------------------------------------- failures
FAILING_JOB = """
import sys
from mpi4py import MPI
import npae
from npae.datasets import load_digits
from npae.fused_step import FusedStep

comm = MPI.COMM_WORLD
if comm.rank == 1:  # rank 1 fails at its third step; rank 0 is then waiting in the all-reduce
    calls = [0]
    gradient = FusedStep.gradient

    def failing(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 3:
            raise RuntimeError("injected failure on rank 1")
        return gradient(self, *args, **kwargs)

    FusedStep.gradient = failing
X = load_digits()[0]
npae.Autoencoder(hidden=(8,), epochs=50, batch_size=32, backend="numba", n_threads=1, random_state=0).fit(X, comm=comm)
print("finished", comm.rank, flush=True)
"""


@pytest.mark.parametrize("runner", [True, False], ids=["python -m mpi4py", "plain python"])
def test_a_failing_rank_ends_every_rank_with_its_error(mpi, tmp_path, runner):
    """With or without mpi4py's runner, the job ends (no hang) with the failing rank's error;
    without the runner it is npae's guard that aborts."""
    proc = run_mpi(tmp_path, FAILING_JOB, runner=runner, timeout=120)
    assert proc.returncode != 0
    assert "injected failure on rank 1" in proc.stderr
    assert "finished" not in proc.stdout
    if not runner:
        assert "npae: rank 1 of 2 failed" in proc.stderr


COLLECTIVE_ERRORS_JOB = """
import sys
from mpi4py import MPI
import npae
from npae.datasets import load_digits
from npae.errors import DataError, DivergenceError

comm = MPI.COMM_WORLD
report = open(f"{sys.argv[1]}.{comm.rank}", "w")  # a file a rank: mpiexec may interleave stdout
X = load_digits()[0]
try:  # rank 1 passes other rows: refused on both ranks, as an exception each can catch
    npae.Autoencoder(hidden=(8,), epochs=1, random_state=0).fit(X if comm.rank == 0 else X[::-1], comm=comm)
except DataError as exc:
    print(f"refused: {exc}", file=report)
try:  # decided from all-reduced losses: raised on both ranks at the same step
    npae.Autoencoder(hidden=(8,), loss="mse", activation="linear", learning_rate=1e6, optimizer="sgd", epochs=3,
                     random_state=0).fit(X * 1e3, comm=comm)
except DivergenceError as exc:
    print(f"diverged: {exc}", file=report)
try:  # the same bad option on every rank: a ParameterError everywhere, nothing aborted
    npae.SparseAutoencoder(epochs=1).fit(X, comm=comm)
except npae.errors.ParameterError as exc:
    print(f"parameter: {exc}", file=report)
report.close()
"""


def test_collective_errors_raise_on_every_rank(mpi, tmp_path):
    proc = run_mpi(tmp_path, COLLECTIVE_ERRORS_JOB, tmp_path / "report", timeout=120)
    assert proc.returncode == 0, proc.stderr
    reports = [(tmp_path / f"report.{rank}").read_text().splitlines() for rank in (0, 1)]
    assert reports[0] == reports[1]  # the same errors, the divergence at the same epoch and batch
    assert [line.split(":")[0] for line in reports[0]] == ["refused", "diverged", "parameter"]
    assert "every rank must pass the same X" in reports[0][0]
    assert "training diverged at epoch 1, batch" in reports[0][1]
    assert "sparsity_mode='kl'" in reports[0][2]


ROOT_WRITES_JOB = """
import sys
from mpi4py import MPI
import npae
from npae.datasets import load_digits

comm = MPI.COMM_WORLD
if comm.rank == 1:  # rank 1 must neither save nor print: either would end the job
    def refuse(*args, **kwargs):
        raise AssertionError("rank 1 wrote a file")
    npae.Autoencoder.save = refuse
X = load_digits()[0]
model = npae.Autoencoder(hidden=(8,), epochs=3, random_state=0, verbose=1, validation_fraction=0.2)
model.fit(X, checkpoint=sys.argv[1], comm=comm)
"""


def test_only_rank_0_prints_and_writes_checkpoints(mpi, tmp_path):
    path = tmp_path / "best.npz"
    proc = run_mpi(tmp_path, ROOT_WRITES_JOB, path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert path.exists()
    import npae

    assert npae.load(str(path)).n_iter_ >= 1
    assert len([line for line in proc.stdout.splitlines() if line.startswith("epoch 1/3")]) == 1


def test_npae_train_under_mpiexec_matches_one_process(mpi, tmp_path):
    import npae

    args = ["-m", "npae", "train", "--epochs", "2", "--limit", "400", "--quiet"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([_mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py", *args, "--out",
                           str(tmp_path / "two")], capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "on 2 MPI ranks" in proc.stdout and proc.stdout.count("wrote model.npz") == 1
    single = subprocess.run([sys.executable, *args, "--out", str(tmp_path / "one")], capture_output=True,
                            text=True, timeout=TIMEOUT, env=env)
    assert single.returncode == 0, single.stderr
    two, one = npae.load(str(tmp_path / "two" / "model.npz")), npae.load(str(tmp_path / "one" / "model.npz"))
    # float32: the same model up to the rounding of the sums, after two epochs of Adam
    np.testing.assert_allclose(two.network_.theta, one.network_.theta, atol=2e-4)
    np.testing.assert_allclose(two.history_["val_loss"], one.history_["val_loss"], rtol=1e-4)


# ---------------------------------------------------------------------------- one rank, in process
def _comm_self():
    missing = _mpi_missing()
    if missing and REQUIRED:
        pytest.fail(f"NPAE_REQUIRE_MPI=1 but {missing}")
    if missing:
        pytest.skip(missing)
    from mpi4py import MPI

    return MPI.COMM_SELF


@pytest.mark.parametrize("kind,params", [
    ("Autoencoder", dict(backend="numba")), ("Autoencoder", dict(backend="numpy")),
    ("DenoisingAutoencoder", dict(backend="numba", dtype="float32")),
    ("Autoencoder", dict(contractive=0.1, contractive_mode="stochastic", hidden=(8, 4), corruption="masking",
                         noise=0.2)),
    ("Classifier", dict(backend="numba", early_stopping=True, patience=2)),
    ("VariationalAutoencoder", dict(backend="numba", importance_samples=3, binarize="dynamic")),
])
def test_one_rank_is_bit_for_bit_the_one_process_fit(digits, kind, params):
    import npae

    comm = _comm_self()
    X, y = digits[0][:N_ROWS], digits[1][:N_ROWS]
    params = dict(dict(COMMON, hidden=(8,), epochs=3, validation_fraction=0.2), **params)
    fitted = []
    for c in (None, comm):
        model = getattr(npae, kind)(**params)
        fitted.append(model.fit(X, y, comm=c) if kind == "Classifier" else model.fit(X, comm=c))
    np.testing.assert_array_equal(fitted[0].network_.theta, fitted[1].network_.theta)
    assert fitted[0].n_iter_ == fitted[1].n_iter_


def test_what_one_all_reduce_cannot_train_is_refused():
    import npae
    from npae.errors import ParameterError

    comm = _comm_self()
    X = np.random.default_rng(0).random((40, 6))
    with pytest.raises(ParameterError, match="sparsity_mode='kl'"):
        npae.SparseAutoencoder(hidden=(4,), epochs=1).fit(X, comm=comm)
    with pytest.raises(ParameterError, match="sparsity_mode='kl'"):
        npae.StackedAutoencoder(hidden=(4, 2), layer_params={"sparsity": 0.1}).fit(X, comm=comm)
    with pytest.raises(ParameterError, match="corruption callable"):
        npae.Autoencoder(hidden=(4,), corruption=lambda X, rng: X).fit(X, comm=comm)
    with pytest.raises(ParameterError, match="mpi4py communicator"):
        npae.Autoencoder(hidden=(4,)).fit(X, comm="world")
    assert not hasattr(npae.Autoencoder(hidden=(4,), epochs=1).fit(X, comm=comm), "_parallel")


def test_import_npae_needs_no_mpi4py():
    code = "import sys, npae, npae.parallel; print([m for m in sys.modules if m.startswith('mpi4py')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_each_rank_draws_its_rows_of_the_one_process_draw():
    """ShardedGenerator (no MPI needed): a rank's draw is rows rank::size of the whole
    minibatch's draw (rows on axis 0, or elsewhere through ``draw``), an empty share included,
    and every rank's generator ends where the one-process generator does."""
    from npae.parallel import ShardedGenerator, draw

    rows = np.arange(7)
    whole = np.random.default_rng(3)
    noise = whole.random((7, 4), dtype=np.float32)
    eps = whole.standard_normal((2, 7, 3))
    after = whole.random()
    for size in (2, 3, 8):
        for rank in range(size):
            g = ShardedGenerator(np.random.default_rng(3), rank, size)
            local = g.begin(rows)
            np.testing.assert_array_equal(local, rows[rank::size])
            out = np.empty((len(local), 4), np.float32)
            g.random(dtype=np.float32, out=out)
            np.testing.assert_array_equal(out, noise[rank::size])
            np.testing.assert_array_equal(draw(g, "standard_normal", (2, len(local), 3), row_axis=1),
                                          eps[:, rank::size])
            assert g.rng.random() == after
    with pytest.raises(AttributeError, match="draws only random and standard_normal"):
        ShardedGenerator(np.random.default_rng(0), 0, 2).integers(3)
