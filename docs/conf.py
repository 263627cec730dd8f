"""Sphinx configuration of npae's documentation.

Build (from the repository's root; the README gives the same command):

    python -m pip install ".[docs]" && python -m sphinx -W --keep-going -b html docs docs/_build/html

With ``NPAE_DOCS_QUICK=1`` the gallery runs every example with ``--quick`` (CI does).
"""

import os
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent
root = here.parent
sys.path.insert(0, str(here / "_ext"))
sys.path.insert(0, str(root))  # document (and run the gallery on) this checkout's npae

import npae  # noqa: E402
import npae_docs  # noqa: E402

project = "npae"
author = "the npae developers"
copyright = "the npae developers (BSD-3-Clause)"
version = release = npae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "npae_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_proposed_README.md", "**/GALLERY_HEADER.rst", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json",
                    "auto_examples/*.pickle", "sg_execution_times.rst"]
templates_path = ["_templates"]

# -- MyST (the guide is Markdown, readable on GitHub as it is) ---------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc, autosummary, numpydoc -------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
# The docstrings are written for people reading the source: prose with their shapes and
# formulas, not yet numpydoc's sections everywhere. Render them as they are (no member
# tables, no validation); the API pages list the members through autodoc.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# -- the gallery: examples/ run, and their figures appear beside their code ---------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",           # run every example, not only plot_*.py
    "ignore_pattern": npae_docs.ignore_pattern(),
    "within_subsection_order": "npae_docs.ExampleOrder",
    "reset_argv": "npae_docs.reset_argv",     # --quick with NPAE_DOCS_QUICK=1
    "image_scrapers": ("matplotlib", "npae_docs.figure_scraper"),
    "doc_module": ("npae",),
    "backreferences_dir": "api/generated/backreferences",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_signature": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "first_notebook_cell": None,
}

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"npae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "changelog": [], "benchmarks": []}
html_show_sourcelink = False
html_context = {"default_mode": "light"}

os.environ.setdefault("MPLBACKEND", "Agg")
