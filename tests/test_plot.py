"""Every picture renders headless to a non-empty PNG, and report.html holds every figure it names."""

import base64
import re
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from npae import DenoisingAutoencoder, plot  # noqa: E402
from npae.datasets import make_manifold  # noqa: E402
from npae.report import write_report  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model(digits):
    return DenoisingAutoencoder(hidden=(16, 2), activation="relu", code_activation="linear", contractive=0.0,
                                weight_decay=1e-4, epochs=3, validation_fraction=0.1, random_state=0).fit(digits[0])


def check_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 2000


def test_every_plot_writes_a_png(model, digits, tmp_path):
    X, y = digits
    X3, tau = make_manifold("swiss_roll", 300, random_state=0)
    calls = {
        "history": lambda p: plot.plot_history(model, path=p),
        "reconstructions": lambda p: plot.plot_reconstructions(model, X, path=p),
        "denoised": lambda p: plot.plot_reconstructions(model, X, corrupted=X * 0.5, path=p),
        "codes_labels": lambda p: plot.plot_codes(model.transform(X), y, path=p),
        "codes_continuous": lambda p: plot.plot_codes(np.random.default_rng(0).normal(size=(50, 5)),
                                                      np.linspace(0, 1, 50), path=p),
        "grid": lambda p: plot.plot_latent_grid(model, n=5, path=p),
        "filters": lambda p: plot.plot_filters(model, path=p),
        "manifold": lambda p: plot.plot_manifold(X3, X3[:, :2], tau[:, 0], path=p),
    }
    from matplotlib.figure import Figure

    for name, draw in calls.items():
        fig = draw(tmp_path / f"{name}.png")
        assert isinstance(fig, Figure)
        check_png(tmp_path / f"{name}.png")


def test_history_plot_shows_each_penalty(model):
    labels = [t.get_text() for t in plot.plot_history(model).axes[0].get_legend().get_texts()]
    assert {"training loss", "validation loss", "reconstruction", "weight_decay"} <= set(labels)


def test_report_html_holds_every_figure(model, digits, tmp_path):
    X, y = digits
    names = write_report(tmp_path, model, X[:300], y[:300], {"a number": "1.23"})
    page = (tmp_path / "report.html").read_text()
    assert len(names) >= 5
    for name in names:
        check_png(tmp_path / name)
        assert f'alt="{name}"' in page
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(embedded) == len(names)
    assert all(base64.b64decode(data).startswith(PNG) for data in embedded)
    assert "a number" in page and "trustworthiness" in page and "kNN accuracy" in page


def test_plot_is_imported_lazily():
    code = "import sys, npae, npae.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "False"


def test_npae_train_writes_the_report(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "npae", "train", "--out", str(tmp_path), "--epochs", "2",
                           "--hidden", "16,2", "--quiet"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd(), "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "report.html").read_text()
    for name in ("history.png", "reconstructions.png", "codes.png", "latent_grid.png"):
        assert (tmp_path / name).exists() and f'alt="{name}"' in page


def test_codes_of_one_row_plot(tmp_path):
    """A 3-D code of one held-out row (npae train on a tiny file) has one principal direction:
    the picture shows it on the first axis instead of failing in PCA(2)."""
    plot.plot_codes(np.array([[0.1, 0.2, 0.3]]), path=tmp_path / "one.png")
    check_png(tmp_path / "one.png")


def test_a_figure_saves_to_a_file_object(model):
    import io

    buffer = io.BytesIO()
    plot.plot_history(model, path=buffer)
    assert buffer.getvalue().startswith(PNG)
