"""README's code runs, and CI runs the test command that README gives."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def code_blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_python_blocks_run(capsys):
    blocks = code_blocks("python")
    assert blocks, "README has no python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert "held-out mean log-likelihood" in capsys.readouterr().out


def test_ci_runs_the_readme_test_command():
    commands = [b.strip() for b in code_blocks("bash")]
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()
    demo_command = next(c for c in commands if "demo" in c)
    # The first command installs the plotting extra, so the demo draws.
    assert demo_command == 'pip install ".[plot]" && python -m skkdece demo'
