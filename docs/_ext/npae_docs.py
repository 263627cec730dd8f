"""Sphinx helpers for npae's documentation: the gallery's order, arguments and figures,
and the checks that make the build itself the proof.

sphinx-gallery reads the callables below by their fully qualified names
(``"npae_docs.reset_argv"``, ...), so the configuration stays picklable.

* ``reset_argv``: the command line each example runs with in the gallery: ``--quick``
  when the environment variable ``NPAE_DOCS_QUICK`` is set to anything but ``0`` or
  ``""`` (CI does that, so the gallery stays well inside CI's time), else none.
* ``ExampleOrder``: the gallery in teaching order (``EXAMPLE_ORDER``), any example not
  listed after those, by name.
* ``figure_scraper``: npae.plot builds its figures without pyplot (so it leaves
  matplotlib's global state alone), which sphinx-gallery's own matplotlib scraper does
  not see. After each code block this one saves every ``matplotlib.figure.Figure`` the
  example holds in a variable (or in a list, tuple or dict in a variable) that it has
  not saved yet.
* ``plain_docstrings``: npae's docstrings are written first for people reading the
  source: prose with formulas such as ``|a - n|`` and names such as ``offset_``, which
  reStructuredText reads as substitutions and link targets. Before numpydoc sees a
  docstring, this escapes ``|`` and a word's final ``_`` outside inline literals; a
  docstring that still is not clean reStructuredText (an indented formula under a
  paragraph, say) is shown verbatim, as a literal block under its first line, rather
  than mangled. ``verbatim_docstrings`` lists those, and the build's log names them.
* ``setup``: at the end of a build that ran the gallery, every example must have at
  least one picture; the build fails naming those without.
"""

import io
import os
import pathlib
import re

#: The gallery's order: the order the user guide teaches in.
EXAMPLE_ORDER = (
    "quickstart.py",
    "gradcheck_walkthrough.py",
    "denoising_mnist.py",
    "contractive_vs_plain.py",
    "stacking_finetune.py",
    "manifold_swiss_roll.py",
    "anomaly_detection.py",
    "vae_mnist.py",
    "vae_sprites.py",
    "embedding.py",
)

#: Examples left out of the gallery (none now): one goes here only while it lacks a
#: sphinx-gallery header (a title underlined with ``=``) or a figure kept in a variable.
#: tests/test_docs.py checks every other example for both.
GALLERY_EXCLUDED = ()


def ignore_pattern():
    """sphinx-gallery's ``ignore_pattern``: ``__init__.py`` and ``GALLERY_EXCLUDED``."""
    names = ["__init__.py", *GALLERY_EXCLUDED]
    return "|".join(r"(^|/)" + name.replace(".", r"\.") + "$" for name in names)


def quick():
    """Whether the gallery runs each example with ``--quick`` (``NPAE_DOCS_QUICK``)."""
    return os.environ.get("NPAE_DOCS_QUICK", "") not in ("", "0")


def reset_argv(gallery_conf, script_vars):
    """sys.argv[1:] for an example run by sphinx-gallery."""
    return ["--quick"] if quick() else []


class ExampleOrder:
    """Sort key of the examples in one gallery folder: ``EXAMPLE_ORDER``, then by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = os.path.basename(filename)
        rank = EXAMPLE_ORDER.index(name) if name in EXAMPLE_ORDER else len(EXAMPLE_ORDER)
        return f"{rank:03d}-{name}"

    def __repr__(self):
        return "ExampleOrder"


# per example (its source file): the figures already saved, kept alive so that no id repeats
_saved = {}


def _figures_in(value, Figure, depth=0):
    if isinstance(value, Figure):
        yield value
    elif depth == 0 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _figures_in(item, Figure, 1)
    elif depth == 0 and isinstance(value, dict):
        for item in value.values():
            yield from _figures_in(item, Figure, 1)


def figure_scraper(block, block_vars, gallery_conf):
    """Save the Figures an example's variables hold that were not saved yet; return their rST."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    saved = _saved.setdefault(block_vars["src_file"], [])
    new = []
    for value in list(block_vars["example_globals"].values()):
        for fig in _figures_in(value, Figure):
            if not any(fig is old for old in saved) and not any(fig is n for n in new):
                new.append(fig)
    paths = []
    for fig, path in zip(new, block_vars["image_path_iterator"]):
        fig.savefig(path, dpi=100)
        saved.append(fig)
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def _check_every_example_has_a_figure(app, exception):
    """Fail the build if an example of the gallery made no picture."""
    if exception is not None or app.builder.format != "html":
        return
    conf = app.config.sphinx_gallery_conf
    if str(conf.get("plot_gallery", "True")) == "False":
        return
    from sphinx.errors import ExtensionError

    src = pathlib.Path(app.srcdir)
    missing = []
    for examples, gallery in zip(_as_list(conf["examples_dirs"]), _as_list(conf["gallery_dirs"])):
        images = src / gallery / "images"
        for example in sorted((src / examples).glob("*.py")):
            if example.name in GALLERY_EXCLUDED:
                continue
            if not list(images.glob(f"sphx_glr_{example.stem}_[0-9][0-9][0-9].png")):
                missing.append(example.name)
    if missing:
        raise ExtensionError(f"these examples made no figure for the gallery: {', '.join(missing)}; each "
                             "must keep at least one matplotlib Figure in a variable (e.g. fig = "
                             "npae.plot.plot_history(model))")


# inline literals and interpreted text (``x``, `x`, :role:`x`) are left as they are
_LITERAL = re.compile(r"(``.+?``|:[\w:.+-]+:`[^`]*`|`[^`]*`_{0,2})")
_ROLE = re.compile(r":[\w:.+-]+:`([^`]*)`")

#: Objects whose docstrings were shown verbatim (not valid reStructuredText), by name.
verbatim_docstrings = []


def _escape(text):
    parts = _LITERAL.split(text)
    for i in range(0, len(parts), 2):  # the even parts are outside literals
        parts[i] = re.sub(r"(?<=\w)_(?=\W|$)", r"\_", parts[i].replace("|", r"\|"))
    return "".join(parts)


def _escaped(lines):
    out, literal_indent = [], None
    for k, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None and stripped and indent <= literal_indent:
            literal_indent = None
        if literal_indent is None and stripped and not stripped.startswith(">>>"):
            line = line[:indent] + _escape(stripped)
        out.append(line)
        if stripped.endswith("::"):
            literal_indent = indent
    return out


def _problems(lines):
    """The warnings docutils gives for ``lines`` read on their own (Sphinx roles as literals)."""
    from docutils.core import publish_doctree
    from docutils.utils import SystemMessage

    text = _ROLE.sub(lambda m: "``" + m.group(1) + "``", "\n".join(lines))
    stream = io.StringIO()
    try:
        doctree = publish_doctree(text, settings_overrides={"warning_stream": stream, "report_level": 2,
                                                            "halt_level": 5, "file_insertion_enabled": False,
                                                            "raw_enabled": False})
    except SystemMessage as error:  # pragma: no cover (halt_level 5 never halts)
        return [str(error)]
    from docutils import nodes

    return [m.astext() for m in doctree.findall(nodes.system_message) if m["level"] >= 2]


#: numpydoc's section titles: a docstring written with them is numpydoc's to render.
NUMPYDOC_SECTIONS = {"Parameters", "Returns", "Yields", "Raises", "Attributes", "Examples", "Notes",
                     "See Also", "Other Parameters", "References", "Methods", "Warnings"}


def _numpydoc_sections(lines):
    return any(line.strip() in NUMPYDOC_SECTIONS and nxt.strip() and set(nxt.strip()) == {"-"}
               for line, nxt in zip(lines, lines[1:]))


def plain_docstrings(app, what, name, obj, options, lines):
    """autodoc-process-docstring, before numpydoc: escape prose, or show it verbatim; a
    docstring in numpydoc's format (its section titles) is left to numpydoc."""
    if not lines or _numpydoc_sections(lines):
        return
    escaped = _escaped(lines)
    if not _problems(escaped):
        lines[:] = escaped
        return
    verbatim_docstrings.append(name)
    first = [escaped[0]] if not _problems(escaped[:1]) else []
    body = lines[1:] if first else lines
    while body and not body[0].strip():
        body = body[1:]
    lines[:] = first + ([""] if first else []) + ["::", ""] + ["    " + line for line in body] + [""]


def _report_verbatim(app, exception):
    if exception is None and verbatim_docstrings:
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            f"npae_docs: {len(set(verbatim_docstrings))} docstrings shown verbatim (not valid "
            f"reStructuredText): {', '.join(sorted(set(verbatim_docstrings)))}")


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def setup(app):
    app.connect("autodoc-process-docstring", plain_docstrings, priority=400)  # numpydoc's is 500
    app.connect("build-finished", _check_every_example_has_a_figure)
    app.connect("build-finished", _report_verbatim)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
