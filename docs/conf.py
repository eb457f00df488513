"""Sphinx configuration of the skkdece documentation site.

Build it with ``python -m sphinx -W -b html docs docs/_build/html`` after
``pip install ".[docs]"``. The site documents the *installed* package (the
``src/`` layout keeps a checkout from shadowing it), so install first.

Three things are generated at build time, none of them committed:

* ``docs/api.rst``: the API reference, one section per public module and one
  autosummary row per name in that module's ``__all__``, so a name added to or
  removed from ``__all__`` appears in or disappears from the site by itself;
  autosummary then writes one page per name under ``docs/gen_modules/``.
* ``docs/_gallery_src/``: a copy of ``examples/plot_*.py`` for sphinx-gallery
  (which needs a header file and an RST title in each docstring; the copy
  underlines the first line of each docstring, the code is unchanged).
* ``docs/auto_examples/``: the gallery, every example executed with its
  figures (``SKKDECE_EXAMPLES_QUICK=1`` unless set otherwise, so the build
  stays short).

The build needs no network, and the site loads nothing from elsewhere,
unless ``SKKDECE_DOCS_ONLINE=1`` asks for it:

* Intersphinx uses a mapping only where its inventory can be read without the
  network (a file ``docs/_intersphinx/<name>.inv``, e.g. saved from
  ``https://numpy.org/doc/stable/objects.inv``) or online. Without either,
  references to NumPy, SciPy, scikit-learn or Dask objects render as plain
  code, and the build neither fails nor warns (unresolved Python references
  are not warnings unless ``nitpicky`` is set). Online, an unreachable
  inventory *is* a warning, and ``-W`` fails on it: asked for, it must work.
* Math (a few docstrings have some) is shown as its LaTeX source in a code
  span, so that no page fetches MathJax from a CDN (which, offline, is a
  console error in the browser test); online it is typeset by MathJax.
"""

import importlib
import inspect
import os
import pkgutil
import re
import tempfile
import warnings
from pathlib import Path

from docutils import nodes

import skkdece

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# -- project ---------------------------------------------------------------
project = "skkdece"
author = "the skkdece developers"
copyright = "2026, the skkdece developers"
release = skkdece.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_gallery_src",
    "_intersphinx",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
    "auto_examples/*.pickle",
]
templates_path = ["_templates"]
myst_heading_anchors = 3
myst_enable_extensions = ["deflist"]
default_role = "literal"

# -- theme -----------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skkdece {release}"
html_static_path = ["_static"]
html_css_files = ["skkdece.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    "secondary_sidebar_items": ["page-toc"],
}
# Pages without sub-pages need no section navigation: their width goes to
# the text (the benchmark tables are wide).
html_sidebars = {
    page: [] for page in ("index", "getting_started", "benchmarks", "release_notes")
}
html_show_sourcelink = False
html_copy_source = False
# "fit()" under a class page's contents, not "SoftmaxKDERegressor.fit()".
toc_object_entries_show_parents = "hide"

# -- autodoc, autosummary, numpydoc -----------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True


_TYPE_LINE = re.compile(r"^(\s*)([\w*, ]+) : (.+)$")


def _escape_attribute_names_in_types(app, what, name, obj, options, lines):
    """Show ``ndarray of shape (n_features_in_,)`` as text, not as a link.

    In a numpydoc ``name : type`` line the type is read as RST, where a word
    ending in ``_`` is a hyperlink reference (and an unknown target is an
    error). A type never links that way, so the underscore is escaped.
    """
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match and "`" not in match.group(3):
            escaped = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", match.group(3))
            lines[i] = f"{match.group(1)}{match.group(2)} : {escaped}"


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document skkdece's own methods only, not the ones scikit-learn adds.

    The prediction surface is inherited from skkdece's base class and belongs
    on every estimator's page; ``get_params``, ``set_params`` and the
    metadata-routing ``set_*_request`` methods come from scikit-learn and are
    documented there.
    """
    if what != "class" or name.startswith("_"):
        return skip
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and not module.startswith("skkdece"):
        return True
    return skip


# -- the API list, from the modules' __all__ --------------------------------
def public_modules():
    """``skkdece`` and each public submodule or subpackage, recursively."""
    found = ["skkdece"]
    queue = [skkdece]
    while queue:
        package = queue.pop(0)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            name = f"{package.__name__}.{info.name}"
            module = importlib.import_module(name)
            found.append(name)
            if info.ispkg:
                queue.append(module)
    return found


def public_names(module_name):
    """(name, kind) for each name in the module's ``__all__``, submodules left out."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, obj in vars(module).items()
            if not n.startswith("_")
            and getattr(obj, "__module__", "").startswith(module_name)
        ]
    rows = []
    for name in sorted(names, key=str.lower):
        # A name kept only as a deprecated alias warns when it is looked up:
        # it is documented where it moved to, not here.
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            warnings.simplefilter("error", FutureWarning)
            try:
                obj = getattr(module, name)
            except (DeprecationWarning, FutureWarning):
                continue
        if inspect.ismodule(obj):
            continue
        if inspect.isclass(obj):
            kind = "class"
        elif callable(obj):
            kind = "function"
        else:
            kind = "data"
        rows.append((name, kind))
    return rows


def first_sentence(module_name):
    doc = inspect.getdoc(importlib.import_module(module_name)) or ""
    paragraph = doc.split("\n\n")[0].replace("\n", " ").strip()
    return paragraph


API_HEADER = """\
..
   Generated by docs/conf.py from each public module's ``__all__``; do not edit.

API reference
=============

Every public name of skkdece, one page each, grouped by module. This page is
written at build time from each module's ``__all__``: a name exported there
appears here.
"""


def write_api_page():
    parts = [API_HEADER]
    for module_name in public_modules():
        rows = public_names(module_name)
        if not rows:
            continue
        title = f"``{module_name}``"
        parts.append(f"\n{title}\n{'-' * len(title)}\n")
        parts.append(f"\n.. automodule:: {module_name}\n   :no-members:\n")
        parts.append(f"\n.. currentmodule:: {module_name}\n")
        # Templates: docs/_templates/autosummary/{class,function,base}.rst.
        for kind in ("class", "function", "data"):
            names = [name for name, k in rows if k == kind]
            if not names:
                continue
            parts.append("\n.. autosummary::\n   :toctree: gen_modules/\n\n")
            parts.extend(f"   {name}\n" for name in names)
    text = "".join(parts)
    # Stubs of names that left an ``__all__`` would stay behind, outside any
    # toctree: remove them.
    listed = {f"{m}.{n}.rst" for m in public_modules() for n, _ in public_names(m)}
    stubs = DOCS / "gen_modules"
    if stubs.is_dir():
        for stub in stubs.glob("*.rst"):
            if stub.name not in listed:
                stub.unlink()
    path = DOCS / "api.rst"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_page()

# -- the gallery -------------------------------------------------------------
GALLERY_SRC = DOCS / "_gallery_src"
GALLERY_HEADER = """\
Gallery
=======

Every script in the repository's ``examples/`` folder, run when the site is
built (with ``SKKDECE_EXAMPLES_QUICK=1``: small data sets, so the numbers are
rougher than a full run's). Each page shows the script, what it printed and
the figure it drew. Run one yourself with
``python examples/plot_quickstart_circular.py``.
"""


def _titled(source):
    """The script with the first line of its docstring underlined as a title."""
    match = re.match(r'(\s*"""\s*)([^\n]+)\n', source)
    if match is None:
        return source
    title = match.group(2).strip().rstrip(".")
    return (
        source[: match.start(2)]
        + f"{title}\n{'=' * len(title)}\n"
        + source[match.end() :]
    )


def stage_examples():
    GALLERY_SRC.mkdir(exist_ok=True)
    wanted = {"GALLERY_HEADER.rst": GALLERY_HEADER}
    for script in sorted((ROOT / "examples").glob("plot_*.py")):
        wanted[script.name] = _titled(script.read_text())
    for path in GALLERY_SRC.iterdir():
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = GALLERY_SRC / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


stage_examples()
os.environ.setdefault("SKKDECE_EXAMPLES_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# The scripts also save their figure as a file: keep it out of the tree.
os.environ["SKKDECE_EXAMPLES_OUT"] = tempfile.mkdtemp(prefix="skkdece-gallery-")

sphinx_gallery_conf = {
    "examples_dirs": "_gallery_src",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "download_all_examples": False,
    "reference_url": {"skkdece": None},
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
}

# -- intersphinx (offline-safe) ---------------------------------------------
INTERSPHINX = {
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "sklearn": "https://scikit-learn.org/stable/",
    "dask": "https://docs.dask.org/en/stable/",
}
ONLINE = os.environ.get("SKKDECE_DOCS_ONLINE", "") not in ("", "0")
intersphinx_mapping = {}
for _name, _url in INTERSPHINX.items():
    _local = DOCS / "_intersphinx" / f"{_name}.inv"
    if _local.is_file():
        intersphinx_mapping[_name] = (_url, str(_local))
    elif ONLINE:
        intersphinx_mapping[_name] = (_url, None)
intersphinx_timeout = 10

# -- math without the network ---------------------------------------------
html_math_renderer = "mathjax" if ONLINE else "latex_source"


def _visit_inline_math(self, node):
    self.body.append(self.starttag(node, "code", "", CLASS="math notranslate"))
    self.body.append(self.encode(node.astext()))
    self.body.append("</code>")
    raise nodes.SkipNode


def _visit_display_math(self, node):
    self.body.append(self.starttag(node, "pre", "", CLASS="math notranslate"))
    self.body.append(self.encode(node.astext()))
    self.body.append("</pre>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer(
        "latex_source", (_visit_inline_math, None), (_visit_display_math, None)
    )
    app.connect("autodoc-skip-member", _skip_foreign_members)
    # Before numpydoc (priority 500) turns the sections into RST.
    app.connect("autodoc-process-docstring", _escape_attribute_names_in_types, 400)
