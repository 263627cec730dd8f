"""The API reference's promise (issue 20): every public class and function of npae has a
numpydoc docstring with its parameters, what it returns and an example that runs.

What counts as the public API (``API_ENTRIES``, built once at import):

* each name in ``npae.__all__`` that is a class or a function;
* every public method and property of the estimators (``ESTIMATORS``), counted once, on
  the class that defines it: a method inherited from ``LatentMixin`` or ``BaseEstimator``
  is checked there, not again on each estimator; an override is checked where it is
  overridden;
* every public class and function defined in ``FUNCTION_MODULES`` (not imported into
  them), and the public methods and properties those classes define (the API pages show
  them: ``GradcheckReport.table``, ...).

"Public" means no leading underscore. For each entry, ``test_docstring_sections`` parses the
docstring with ``numpydoc.docscrape`` and asserts:

* a summary;
* for a function, method or class that takes parameters: a Parameters section naming each
  one of its signature (``self`` aside; ``*args`` / ``**kwargs`` may be documented as such,
  and need not be), and naming nothing else (``a, b : int`` names two);
* for a function or method whose source returns a value other than None: Returns (a
  generator: Yields or Returns); one that returns ``self`` (``fit``, ``partial_fit`` and
  ``set_params`` by name, any other whose every ``return`` is ``self``) must say ``self``
  there. Properties are documented as attributes and need no Returns;
* an Examples section with at least one ``>>>`` line.

``test_doctest`` runs every doctest in ``DOCTEST_MODULES`` (``doctest.DocTestFinder``, which
finds each docstring once, where it is defined) with ``NORMALIZE_WHITESPACE | ELLIPSIS``,
one case per docstring, plus those of the methods that ``DocTestFinder`` cannot see (the
``available_if`` ones: ``decision_function``, ``predict``, ``fit_predict``). A failure shows
doctest's own report.
"""

import ast
import copy
import doctest
import importlib
import inspect
import textwrap

import pytest
from threadpoolctl import threadpool_limits

docscrape = pytest.importorskip("numpydoc.docscrape")

import npae  # noqa: E402
from npae.models.base import available_if  # noqa: E402

ESTIMATORS = ("Autoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder", "SparseAutoencoder",
              "StackedAutoencoder", "VariationalAutoencoder", "Classifier", "PCA")

#: Modules whose public functions and classes are API entries.
FUNCTION_MODULES = ("npae.gradcheck", "npae.io", "npae.datasets", "npae.metrics", "npae.plot", "npae.errors",
                    "npae.backend",
                    # the building blocks, the textbook's modules (npae.kernels, numba's twins of
                    # their functions, are tested against them instead)
                    "npae.activations", "npae.losses", "npae.layers", "npae.network", "npae.dropout",
                    "npae.corruption", "npae.penalties", "npae.optim", "npae.reparameterization",
                    "npae.likelihoods", "npae.kl_divergence", "npae.objectives.autoencoder",
                    "npae.objectives.classifier", "npae.objectives.vae", "npae.training", "npae.parallel",
                    "npae.fused_step", "npae.fused_vae_step", "npae.fused_predict")

#: Modules whose doctests run: where the estimators and their bases are defined, and FUNCTION_MODULES.
DOCTEST_MODULES = ("npae.models.autoencoder", "npae.models.variants", "npae.models.latent", "npae.models.base",
                   "npae.models.stacked", "npae.models.classifier", "npae.models.encoded_rows", "npae.models.pca",
                   "npae.models.vae",
                   *FUNCTION_MODULES)

OPTIONFLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

#: Methods that return the estimator itself (scikit-learn's convention), whatever their source looks like.
RETURNS_SELF = ("fit", "partial_fit", "set_params")

#: Names a variadic parameter may be documented under.
VARIADIC = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}


class Entry:
    """One public API entry: ``name`` (module.qualname, as doctest names it), ``kind``
    ("class", "function", "method" or "property"), ``obj`` (the class or the function whose
    signature and source count; a property's getter) and ``doc`` (its docstring)."""

    def __init__(self, name, kind, obj, doc):
        self.name, self.kind, self.obj, self.doc = name, kind, obj, doc

    def __repr__(self):
        return self.name


def _member(klass, name, attr):
    """The Entry of ``klass.name`` (``attr`` from its ``__dict__``), or None if not a method/property."""
    qualified = f"{klass.__module__}.{klass.__qualname__}.{name}"
    if isinstance(attr, property):
        return Entry(qualified, "property", attr.fget, attr.__doc__)
    if isinstance(attr, (classmethod, staticmethod)):
        attr = attr.__func__
    elif isinstance(attr, available_if):
        attr = attr.method
    if inspect.isfunction(attr):
        return Entry(qualified, "method", attr, attr.__doc__)
    return None


def _members(klass):
    """The public methods and properties ``klass`` itself defines."""
    found = (_member(klass, name, attr) for name, attr in vars(klass).items() if not name.startswith("_"))
    return [entry for entry in found if entry is not None]


def _top(obj):
    kind = "class" if inspect.isclass(obj) else "function"
    return Entry(f"{obj.__module__}.{obj.__qualname__}", kind, obj, obj.__doc__)


def api_entries():
    """Every public API entry (see the module docstring), each once, in a stable order."""
    entries = {}

    def add(entry):
        entries.setdefault(entry.name, entry)

    for name in npae.__all__:
        obj = getattr(npae, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            add(_top(obj))
    for name in ESTIMATORS:
        for klass in getattr(npae, name).__mro__:  # each member where it is defined
            if klass.__module__.startswith("npae."):
                for entry in _members(klass):
                    add(entry)
    for module_name in FUNCTION_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if obj.__module__ != module_name:  # imported, not defined here
                continue
            add(_top(obj))
            if inspect.isclass(obj):
                for entry in _members(obj):
                    add(entry)
    return list(entries.values())


API_ENTRIES = api_entries()


# ---------------------------------------------------------------------------- the sections

def _signature_parameters(entry):
    """(required names, accepted names) of the parameters the docstring must document."""
    try:
        signature = inspect.signature(entry.obj)
    except ValueError:  # a class with a built-in constructor (the exceptions): no parameters of its own
        return [], set()
    required, accepted = [], set()
    for parameter in signature.parameters.values():
        if parameter.name in ("self", "cls") and entry.kind == "method":
            continue
        if parameter.kind in VARIADIC:
            accepted |= {parameter.name, VARIADIC[parameter.kind] + parameter.name}
        else:
            required.append(parameter.name)
            accepted.add(parameter.name)
    return required, accepted


def _documented_names(parsed):
    """Each name a Parameters section documents (``a, b : int`` documents a and b)."""
    names = []
    for item in parsed["Parameters"]:
        names += [part.strip() for part in item.name.split(",") if part.strip()]
    return names


def _returns(function):
    """("value", "self", "none" or "yield"): what the function's own body returns (nested
    functions aside); "value" when its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return "value"
    definition = tree.body[0]
    values, stack = [], list(ast.iter_child_nodes(definition))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue  # a nested scope returns for itself
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return "yield"
        if isinstance(node, ast.Return) and node.value is not None and \
                not (isinstance(node.value, ast.Constant) and node.value.value is None):
            values.append(node.value)
        stack.extend(ast.iter_child_nodes(node))
    if not values:
        return "none"
    if all(isinstance(v, ast.Name) and v.id == "self" for v in values):
        return "self"
    return "value"


def _section_text(items):
    return " ".join(" ".join([item.name, item.type, *item.desc]) for item in items)


@pytest.mark.parametrize("entry", API_ENTRIES, ids=repr)
def test_docstring_sections(entry):
    if not (entry.doc and entry.doc.strip()):
        pytest.fail(f"{entry.name} has no docstring", pytrace=False)
    try:
        parsed = docscrape.NumpyDocString(inspect.cleandoc(entry.doc))
    except Exception as error:  # a section repeated or malformed
        pytest.fail(f"{entry.name}: numpydoc cannot parse the docstring: {error}", pytrace=False)
    problems = []
    if not " ".join(parsed["Summary"]).strip():
        problems.append("no one-line summary")

    if entry.kind != "property":
        required, accepted = _signature_parameters(entry)
        documented = _documented_names(parsed)
        missing = [name for name in required if name not in documented]
        if missing:
            problems.append(f"Parameters does not document {missing}" if parsed["Parameters"]
                            else f"no Parameters section (signature: {required})")
        unknown = [name for name in documented if name not in accepted]
        if unknown:
            problems.append(f"Parameters documents {unknown}, which the signature does not have")

    if entry.kind in ("function", "method"):
        returns = _returns(entry.obj)
        if entry.kind == "method" and entry.obj.__name__ in RETURNS_SELF:
            returns = "self"  # fit under comm= returns what run_parallel gives back: the estimator
        if returns == "yield" and not (parsed["Yields"] or parsed["Returns"]):
            problems.append("a generator without a Yields section")
        elif returns in ("value", "self") and not parsed["Returns"]:
            problems.append("no Returns section" + (" (it returns self: say so)" if returns == "self" else ""))
        elif returns == "self" and "self" not in _section_text(parsed["Returns"]):
            problems.append("it returns self, which its Returns section does not say")

    if not any(line.strip().startswith(">>>") for line in parsed["Examples"]):
        problems.append("no Examples section with a >>> line")
    if problems:
        pytest.fail(f"{entry.name}: " + "; ".join(problems), pytrace=False)


# ---------------------------------------------------------------------------- the doctests

def doctests():
    """Every doctest in DOCTEST_MODULES, plus the available_if methods' (DocTestFinder skips
    descriptors that are neither functions nor properties), each once."""
    finder = doctest.DocTestFinder()
    found = {}
    for module_name in DOCTEST_MODULES:
        module = importlib.import_module(module_name)
        for test in finder.find(module):
            found.setdefault(test.name, test)
    for entry in API_ENTRIES:
        if entry.name not in found and entry.doc and ">>>" in entry.doc:
            module = inspect.getmodule(entry.obj)
            for test in finder.find(entry.obj, entry.name, module=module, globs=vars(module)):
                if test.name == entry.name:  # not the doctests of what the function holds
                    found.setdefault(test.name, test)
    return sorted((test for test in found.values() if test.examples), key=lambda test: test.name)


DOCTESTS = doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=lambda test: test.name)
def test_doctest(test):
    if test.name.startswith("npae.plot."):
        pytest.importorskip("matplotlib")
    test = copy.copy(test)
    test.globs = dict(test.globs)  # the run clears its copy of the module's namespace, not the collected one
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    report = []
    with threadpool_limits(limits=1, user_api="blas"):  # tiny arrays: BLAS threads only contend
        result = runner.run(test, out=report.append, clear_globs=True)
    if result.failed:
        pytest.fail(f"{test.name}: {result.failed} of {result.attempted} examples failed\n" + "".join(report),
                    pytrace=False)


def test_every_public_entry_is_found():
    """The enumeration itself: a few entries that must be there, and none twice."""
    names = [entry.name for entry in API_ENTRIES]
    assert len(names) == len(set(names))
    for name in ("npae.gradcheck.gradcheck", "npae.io.load", "npae.backend.warmup", "npae.backend.thread_limit",
                 "npae.models.autoencoder.Autoencoder.fit", "npae.models.autoencoder.Autoencoder.offset_",
                 "npae.models.autoencoder.Autoencoder.decision_function", "npae.models.latent.LatentMixin.sample",
                 "npae.models.base.BaseEstimator.set_params", "npae.models.vae.VariationalAutoencoder.sample",
                 "npae.models.variants.DenoisingAutoencoder", "npae.errors.DataError", "npae.plot.plot_history"):
        assert name in names, name
    # inherited members count once, where they are defined
    assert "npae.models.variants.DenoisingAutoencoder.fit" not in names
    assert "npae.models.pca.PCA.get_params" not in names
    doctest_names = {test.name for test in DOCTESTS}
    assert "npae.gradcheck.gradcheck" in doctest_names
