"""The code on the documentation site's pages runs, and prints what it says.

Every ```python block of a page in ``docs/`` runs, the blocks of one page in
order and in one namespace (a later block may use an earlier one's model), in
a scratch directory, with warnings as errors: a page must not show code that
fails, or that warns (a ConvergenceWarning in an example teaches the wrong
habit). The examples the README used to carry live on these pages now.
"""

import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.md")
    if "_build" not in path.parts and "```python" in path.read_text()
)


def python_blocks(page):
    return re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)


def test_the_pages_with_code_are_found():
    names = {path.relative_to(DOCS).as_posix() for path in PAGES}
    assert {"getting_started.md", "user_guide/dask.md"} <= names


@pytest.mark.parametrize(
    "page", PAGES, ids=lambda path: path.relative_to(DOCS).as_posix()
)
def test_page_code_runs(page, tmp_path, monkeypatch, capsys):
    if page.name == "dask.md":
        pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Dask's cluster start-up may warn about its own ports and threads.
        warnings.filterwarnings("ignore", module="distributed")
        warnings.filterwarnings("ignore", category=ResourceWarning)
        for block in python_blocks(page):
            exec(compile(block, str(page), "exec"), namespace)
    out = capsys.readouterr().out
    if "print(" in "".join(python_blocks(page)):
        assert out.strip(), f"{page.name} prints nothing"
    if "held-out mean log-likelihood" in "".join(python_blocks(page)):
        score = float(re.search(r"held-out mean log-likelihood: (\S+)", out)[1])
        assert -5 < score < 5
