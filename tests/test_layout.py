"""The test suite's own layout: shared helpers live in tests/_helpers.py.

A test module importing another test module works only under pytest's default
("prepend") import mode, and runs the imported module's top level twice under
other names; the shared oracles and helpers belong in ``_helpers``.
"""

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))
TEST_MODULE_NAMES = {path.stem for path in TEST_MODULES}


def imported_test_modules(path):
    """``(line, name)`` of every test module that ``path`` imports, anywhere."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # "from . import test_x" names the module among the aliases.
            names = [node.module] if node.module else [a.name for a in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in TEST_MODULE_NAMES or top == "tests" or top == "conftest":
                found.append((node.lineno, name))
    return found


def test_the_test_modules_are_found():
    assert len(TEST_MODULES) > 10
    assert (TESTS / "_helpers.py").is_file()


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda path: path.name)
def test_no_test_module_imports_another(path):
    found = imported_test_modules(path)
    assert not found, (
        f"{path.name} imports {', '.join(f'{n} (line {i})' for i, n in found)}; "
        "move what they share into tests/_helpers.py"
    )


def test_the_check_sees_imports_of_test_modules(tmp_path):
    """The check itself: each way of importing a test module is caught."""
    source = (
        "import numpy\n"
        "from _helpers import integrate\n"
        "import test_loss\n"
        "from test_grid import reference_loss\n"
        "def f():\n"
        "    from tests.test_distribution import kinks\n"
        "    from . import test_atoms\n"
        "    from .test_multiscale import atoms\n"
    )
    path = tmp_path / "test_example.py"
    path.write_text(source, encoding="utf-8")
    assert [n for _, n in imported_test_modules(path)] == [
        "test_loss",
        "test_grid",
        "tests.test_distribution",
        "test_atoms",
        "test_multiscale",
    ]
