"""The package's import graph: library apart from application, and no cycles.

The graph is read from the installed package's sources with :mod:`ast`, so
it holds every import, also those made inside functions.  An edge is an
explicit import of a module of the package; the parent packages that Python
imports first are not edges (every module would otherwise depend on
``skkdece/__init__.py``, which imports the estimators).
"""

import ast
import importlib.machinery
import os
from pathlib import Path

import pytest

import skkdece

ROOT = Path(skkdece.__file__).resolve().parent

#: The application: the Robocode runner, the export, the demo and the entry
#: points.  No other module of the package may import any of them.
APPLICATION = ("skkdece.robocode", "skkdece.export", "skkdece.__main__")


def module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path):
    return path.name == "__init__.py"


def modules():
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def bound_names(path):
    """The names a module binds at its top level (imports, defs, assignments)."""
    names = set()
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(
                n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
            )
    return names


def compiled_modules():
    """The extension modules found in the package (built, or their C source)."""
    suffixes = (*importlib.machinery.EXTENSION_SUFFIXES, ".c")
    found = set()
    for path in ROOT.rglob("*"):
        for suffix in suffixes:
            if path.name.endswith(suffix):
                stem = path.with_name(path.name[: -len(suffix)])
                found.add(module_name(stem.with_suffix(".py")))
    return found


def imported(name, path, known, compiled=frozenset()):
    """The package's Python modules that module ``name`` imports explicitly."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if is_package(path) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            # "from pkg import name" imports the module pkg.name when there is
            # one (a .py file, or a compiled or not-built extension: a name
            # pkg's __init__ does not bind), else a name of pkg itself.
            targets = []
            for alias in node.names:
                full = f"{stem}.{alias.name}"
                if full in known or full in compiled:
                    targets.append(full)
                elif stem in known and is_package(known[stem]):
                    if alias.name not in bound_names(known[stem]):
                        targets.append(full)
                    else:
                        targets.append(stem)
                else:
                    targets.append(stem)
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def import_graph():
    known = modules()
    compiled = compiled_modules()
    return {name: imported(name, path, known, compiled) for name, path in known.items()}


def is_application(name):
    return any(name == a or name.startswith(a + ".") for a in APPLICATION)


def test_the_graph_is_read_from_the_package():
    graph = import_graph()
    # A few edges that must be there, so that a parser gone blind fails.
    assert "skkdece._tables._kernels" in graph["skkdece._tables._atoms"]
    assert "skkdece._linear_regressor" in graph["skkdece.robocode.export"]
    assert "skkdece._pairs" not in graph  # compiled, not a .py file
    assert "skkdece" not in graph["skkdece._neighbors"]  # from . import _pairs
    assert "skkdece._fit" in graph["skkdece._linear_cv"]


def test_no_library_module_imports_application_code():
    graph = import_graph()
    offending = {
        name: sorted(t for t in targets if is_application(t))
        for name, targets in graph.items()
        if not is_application(name)
    }
    offending = {k: v for k, v in offending.items() if v}
    assert offending == {}


def test_the_tables_import_nothing_above_them():
    # The layering kernels -> atoms -> quadrature/grid -> tables: the
    # _tables subpackage imports only itself and the row-batch helper.
    graph = import_graph()
    allowed = {"skkdece._chunking"}
    for name, targets in graph.items():
        if name.startswith("skkdece._tables"):
            above = {
                t for t in targets if not t.startswith("skkdece._tables")
            } - allowed
            assert above == set(), name


def find_cycle(graph):
    """One cycle of ``graph`` as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state:
                cycle = visit(target, path + [target])
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [node])
            if cycle:
                return cycle
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_there_is_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("name", ["skkdece._pairs", "skkdece._heads"])
def test_the_compiled_kernels_are_part_of_the_installed_package(name):
    import importlib

    try:
        module = importlib.import_module(name)
    except ImportError:
        if os.environ.get("SKKDECE_REQUIRE_COMPILED") == "1":
            raise
        pytest.skip(f"{name} was not built (no C compiler at install)")
    assert Path(module.__file__).resolve().parent == ROOT
