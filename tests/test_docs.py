"""The documentation's promises that can be checked without building it (CI builds it too,
with warnings as errors: see .ci/run):

* every page of the user guide exists and is in the guide's table of contents;
* the guide's ```python blocks run (each page's blocks in order, in one namespace);
* every name npae exports is in the API reference;
* every example of the gallery has a sphinx-gallery title and keeps a figure in a variable
  (the build fails on an example without a picture, too);
* the README's links point to files that exist, and its anchors to headings that exist;
* the build command is one and the same in the guide, the README and CI.
"""

import ast
import importlib.util
import inspect
import pathlib
import re

import pytest

import npae

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDE = DOCS / "guide"
EXAMPLES = ROOT / "examples"

#: The user guide, one page each, in the order it teaches (issue 20).
GUIDE_PAGES = ["getting_started", "autoencoders", "backprop", "gradcheck", "estimators", "regularized",
               "stacking", "manifolds", "anomaly", "vae", "speed", "errors", "file_format", "cli"]
#: Pages that join the guide when their subject lands (their authors write them).
LATER_PAGES = {"distributed": "after speed"}

BUILD_COMMAND = 'python -m pip install ".[docs]" && python -m sphinx -W --keep-going -b html docs docs/_build/html'


def _docs_helpers():
    spec = importlib.util.spec_from_file_location("npae_docs", DOCS / "_ext" / "npae_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _toctree(page):
    text = page.read_text()
    block = re.search(r"```\{toctree\}\n(.*?)```", text, re.S)
    assert block, f"{page} has no toctree"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith(":")]


# ------------------------------------------------------------------------------ the guide
def test_every_guide_page_exists_in_order():
    entries = _toctree(GUIDE / "index.md")
    for page in GUIDE_PAGES:
        assert (GUIDE / f"{page}.md").is_file(), f"docs/guide/{page}.md is missing"
        assert page in entries, f"docs/guide/{page}.md is not in the guide's toctree (docs/guide/index.md)"
    listed = [e for e in entries if e in GUIDE_PAGES]
    assert listed == GUIDE_PAGES, "the guide's toctree should teach in GUIDE_PAGES' order"
    for page in LATER_PAGES:  # a slot only once the page exists: never a placeholder
        if page in entries:
            assert (GUIDE / f"{page}.md").is_file()
    orphans = {p.stem for p in GUIDE.glob("*.md")} - set(entries) - {"index"}
    assert not orphans, f"guide pages not in the toctree: {sorted(orphans)}"


def _python_blocks(page):
    """The ```python blocks of a Markdown page (```{code-block} python ones are shown, not run)."""
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), re.S | re.M)


PAGES_WITH_CODE = [p for p in sorted(GUIDE.glob("*.md")) if _python_blocks(p)]


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=[p.stem for p in PAGES_WITH_CODE])
def test_guide_code_runs(page, tmp_path, monkeypatch, capsys):
    code = "\n".join(_python_blocks(page))
    if "load_kernels" in code and importlib.util.find_spec("numba") is None:
        pytest.skip("this page runs the numba kernels")
    if "npae.plot" in code and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("this page draws with matplotlib")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    exec(compile(code, str(page), "exec"), {"__name__": f"guide_{page.stem}"})
    assert capsys.readouterr().out.strip(), f"{page.name}'s code should print what it shows"


# ------------------------------------------------------------------------------ the API reference
def test_every_exported_name_is_in_the_api_reference():
    listed = set(re.findall(r"^   ([\w.]+)\s*$", (DOCS / "api" / "index.rst").read_text(), re.M))
    missing = []
    for name in npae.__all__:
        obj = getattr(npae, name)
        if name.startswith("__"):
            continue
        if name not in listed and f"npae.{name}" not in listed:
            missing.append(name)
        elif inspect.ismodule(obj):
            assert obj.__name__.startswith("npae.")
    assert not missing, f"add these to docs/api/index.rst (an autosummary list): {missing}"


# ------------------------------------------------------------------------------ the gallery
GALLERY = [p for p in sorted(EXAMPLES.glob("*.py")) if p.name not in _docs_helpers().GALLERY_EXCLUDED]


def _kept_figures(tree):
    """Calls of npae.plot's plot_* or matplotlib's Figure whose result lands in a variable
    (assigned, or appended to a list), which is what the gallery's scraper picks up."""
    kept = []
    for node in ast.walk(tree):
        calls = []
        if isinstance(node, ast.Assign):
            calls = [node.value]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append":
            calls = node.args
        for call in calls:
            if isinstance(call, ast.Call):
                func = call.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name.startswith("plot_") or name == "Figure":
                    kept.append(name)
    return kept


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_example_is_a_gallery_item_with_a_figure(path):
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree, clean=False)
    assert doc, f"{path.name} needs a docstring: a title underlined with '=' and a paragraph"
    lines = doc.split("\n")
    assert len(lines) > 2 and lines[0].strip() and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), \
        f"{path.name}'s docstring should open with a title underlined with '=' (sphinx-gallery's header)"
    assert _kept_figures(tree), (f"{path.name} should keep a figure in a variable (fig = "
                                 "npae.plot.plot_...(...)) for the gallery to show")
    source = path.read_text()
    assert "__doc__.splitlines()[0]" not in source, "sphinx-gallery runs examples with __doc__ = ''"


def test_gallery_exclusions_are_examples():
    for name in _docs_helpers().GALLERY_EXCLUDED:
        assert (EXAMPLES / name).is_file(), f"GALLERY_EXCLUDED names {name}, which is not an example"


# ------------------------------------------------------------------------------ the README
def _slug(heading):
    """GitHub's (and MyST's) anchor of a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path):
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", path.read_text(), re.M)}


READMES = [p for p in (ROOT / "README.md", DOCS / "_proposed_README.md") if p.is_file()]


@pytest.mark.parametrize("readme", READMES, ids=[p.name for p in READMES])
def test_readme_links_resolve(readme):
    """Relative links are read from the repository's root (where the README is, or will be)."""
    text = re.sub(r"```.*?```", "", readme.read_text(), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = ROOT / path if path else ROOT / "README.md"
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(target)
    assert not broken, f"{readme.name} links to files or headings that do not exist: {broken}"


def test_proposed_readme_keeps_ci_two_commands():
    readme = DOCS / "_proposed_README.md"
    if not readme.is_file():
        pytest.skip("the proposed README has replaced README.md")
    first = re.search(r"^```sh\n(.*?)^```", readme.read_text(), re.S | re.M)
    assert first and len(first.group(1).strip().splitlines()) == 2, \
        ".ci/run runs the README's first sh block, which must hold exactly two commands"
    assert len(readme.read_text().splitlines()) <= 200, "the landing README should stay about 150 lines"


def test_build_command_is_the_same_everywhere():
    assert BUILD_COMMAND in (GUIDE / "getting_started.md").read_text()
    readme = DOCS / "_proposed_README.md" if (DOCS / "_proposed_README.md").is_file() else ROOT / "README.md"
    assert BUILD_COMMAND in readme.read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "NPAE_DOCS_QUICK=1" in ci and "sphinx -W --keep-going -b html docs" in ci
    setup = (ROOT / "setup.cfg").read_text()
    docs_extra = re.search(r"^docs =\n((?:    .+\n)+)", setup, re.M)
    assert docs_extra, "setup.cfg needs the docs extra"
    for package in ("sphinx", "pydata-sphinx-theme", "numpydoc", "sphinx-gallery", "myst-parser", "matplotlib"):
        assert re.search(rf"^    {package}>=", docs_extra.group(1), re.M), f"the docs extra lacks {package}"


def test_license_and_changelog():
    assert "BSD 3-Clause" in (ROOT / "LICENSE").read_text()
    assert "license = BSD-3-Clause" in (ROOT / "setup.cfg").read_text()
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")
