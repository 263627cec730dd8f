"""The package as a user meets it: import cost, the embedded data, the command line."""

import hashlib
import json
import subprocess
import sys
from importlib import resources

import numpy as np

import npae
from npae import PCA


def test_import_needs_only_numpy():
    code = ("import sys, npae; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('numba', 'matplotlib', 'scipy', 'sklearn', 'torch', 'llvmlite')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_embedded_digits_and_licence(digits):
    X, y = digits
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    data = resources.files("npae").joinpath("data")
    raw = data.joinpath("digits.csv.gz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
    assert "CC BY 4.0" in data.joinpath("LICENSE-digits.txt").read_text()


def test_pca_matches_the_covariance_eigenvectors(rng):
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    pca = PCA(3).fit(X)
    evals, evecs = np.linalg.eigh(np.cov(X, rowvar=False))
    order = np.argsort(evals)[::-1][:3]
    np.testing.assert_allclose(pca.explained_variance_, evals[order], rtol=1e-10)
    for k in range(3):
        assert abs(abs(pca.components_[k] @ evecs[:, order[k]]) - 1) < 1e-10
    Z = pca.transform(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(PCA(5).fit(X).reconstruct(X), X, atol=1e-9)


def test_cli_train_writes_model_and_report(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "npae", "train", "--out", str(out), "--epochs", "3",
                           "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} >= {"model.npz", "history.json", "report.txt"}
    report = (out / "report.txt").read_text()
    assert "PCA(8)" in report and "autoencoder" in report
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 3
    model = npae.load(out / "model.npz")
    assert model.transform(np.zeros((1, 64))).shape == (1, 8)
