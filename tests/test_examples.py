"""Every script in examples/ runs, at a tiny size (``--quick``), in a fresh process."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_quick(path, tmp_path):
    proc = subprocess.run([sys.executable, str(path), "--quick"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env={**__import__("os").environ, "MPLBACKEND": "Agg",
                               "PYTHONPATH": str(path.parent.parent)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert proc.stdout.strip(), "an example should print what it shows"
