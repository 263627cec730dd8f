"""The npae command, end to end, in fresh processes."""

import os
import subprocess
import sys

import numpy as np
import pytest

import npae


def run(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "npae", *args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    X = np.random.default_rng(0).random((300, 12))
    X[:, 6:] = X[:, :6] * 0.5  # some structure
    np.savetxt(folder / "data.csv", X, delimiter=",", header=",".join(f"f{i}" for i in range(12)), comments="")
    proc = run("train", "--data", str(folder / "data.csv"), "--hidden", "8,3", "--epochs", "3",
               "--contamination", "0.1", "--out", str(folder / "out"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return folder, X


def test_train_on_a_csv_file(trained):
    folder, _ = trained
    assert {p.name for p in (folder / "out").iterdir()} >= {"model.npz", "history.json", "report.txt"}
    report = (folder / "out" / "report.txt").read_text()
    assert "PCA(3)" in report and "threshold_" in report


@pytest.mark.parametrize("command,shape", [("encode", (300, 3)), ("reconstruct", (300, 12))])
def test_encode_and_reconstruct(trained, command, shape):
    folder, X = trained
    np.save(folder / "X.npy", X)
    out = folder / f"{command}.npy"
    proc = run(command, str(folder / "out" / "model.npz"), str(folder / "X.npy"), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    result = np.load(out)
    model = npae.load(folder / "out" / "model.npz")
    expected = model.transform(X) if command == "encode" else model.reconstruct(X)
    assert result.shape == shape
    np.testing.assert_array_equal(result, expected)


def test_score_with_the_models_threshold(trained):
    folder, X = trained
    np.savez(folder / "X.npz", X=X)
    proc = run("score", str(folder / "out" / "model.npz"), str(folder / "X.npz"), "--output", str(folder / "s.csv"))
    assert proc.returncode == 0, proc.stderr
    scores = np.loadtxt(folder / "s.csv", delimiter=",")
    model = npae.load(folder / "out" / "model.npz")
    np.testing.assert_allclose(scores[:, 0], model.reconstruction_error(X), rtol=1e-6)
    np.testing.assert_array_equal(scores[:, 1], model.predict(X))
    assert "above the threshold" in proc.stderr


def test_gradcheck_command_prints_the_table():
    proc = run("gradcheck", "--hidden", "4,3", "--activation", "softplus", "--tied", "--corruption", "masking",
               "--noise", "0.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "encoder.0.W" in proc.stdout and "PASSED" in proc.stdout


def test_info_command():
    proc = run("info")
    assert proc.returncode == 0 and "numpy" in proc.stdout and "backend" in proc.stdout


def test_help_reads_well():
    proc = run("--help")
    for command in ("train", "encode", "reconstruct", "score", "gradcheck", "info"):
        assert command in proc.stdout
    assert "--out DIR" in run("train", "--help").stdout


@pytest.mark.parametrize("args,message", [
    (("encode", "missing.npz", "x.npy"), "No such file or directory: 'missing.npz'"),
    (("train", "--data", "nothing.csv", "--quiet"), "no such file"),
    (("train", "--activation", "gelu", "--epochs", "1", "--quiet"), "activation='gelu' is not valid"),
])
def test_errors_are_one_line(args, message, tmp_path):
    proc = run(*args, "--out", str(tmp_path)) if args[0] == "train" else run(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_wrong_feature_count_is_one_line(trained, tmp_path):
    folder, _ = trained
    np.save(tmp_path / "bad.npy", np.zeros((2, 5)))
    proc = run("encode", str(folder / "out" / "model.npz"), str(tmp_path / "bad.npy"))
    assert proc.returncode == 2 and "X has 5 features, but Autoencoder is expecting 12" in proc.stderr


@pytest.mark.parametrize("kind", ["denoising", "contractive", "sparse"])
def test_train_every_kind(trained, kind, tmp_path):
    folder, _ = trained
    proc = run("train", "--data", str(folder / "data.csv"), "--kind", kind, "--hidden", "8,3", "--epochs", "1",
               "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    model = npae.load(tmp_path / "model.npz")
    assert type(model).__name__.lower().startswith(kind)
    if kind == "contractive":
        assert model.contractive_mode == "stochastic"  # two hidden layers: the exact form needs one


@pytest.mark.parametrize("flag,value", [("--epochs", "0"), ("--limit", "-5"), ("--batch-size", "0")])
def test_counts_must_be_positive(flag, value, tmp_path):
    """argparse's usage line, then the error (--epochs 0 crashed after writing files; a
    negative --limit trained on the last rows)."""
    proc = run("train", flag, value, "--quiet", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"argument {flag}: expected a positive integer; got '{value}'" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["encode", "score"])
def test_a_model_file_of_another_kind_is_one_line(command, tmp_path):
    X = np.random.default_rng(0).random((40, 4))
    npae.Classifier(epochs=1, random_state=0).fit(X, (X[:, 0] > 0.5).astype(int)).save(tmp_path / "clf.npz")
    np.save(tmp_path / "x.npy", X)
    proc = run(command, str(tmp_path / "clf.npz"), str(tmp_path / "x.npy"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "holds a Classifier, which has no" in proc.stderr and "model file of an autoencoder" in proc.stderr


def test_train_on_data_pca_reconstructs_exactly_reports_no_ratio(tmp_path):
    np.save(tmp_path / "constant.npy", np.ones((50, 4)))
    proc = run("train", "--data", str(tmp_path / "constant.npy"), "--hidden", "3,2", "--epochs", "1", "--quiet",
               "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "ratio        - (PCA reconstructs the held-out rows exactly)" in (tmp_path / "out" / "report.txt").read_text()


@pytest.mark.parametrize("name", ["out.npy", "out.csv"])
def test_an_interrupted_output_leaves_the_old_file(name, tmp_path, monkeypatch):
    from npae import cli

    target = tmp_path / name
    cli.write_matrix(str(target), np.arange(6.0).reshape(3, 2))
    before = target.read_bytes()

    def half_then_interrupt(f, *args, **kwargs):
        f.write(b"half" if "b" in f.mode else "half")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.np, "save", half_then_interrupt)
    monkeypatch.setattr(cli.np, "savetxt", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        cli.write_matrix(str(target), np.zeros((5, 5)))
    assert target.read_bytes() == before and os.listdir(tmp_path) == [name]
