"""``python -m skkdece demo``: the table, the PNG, the help, and the path
without matplotlib."""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from skkdece.datasets import make_guess_factor_waves
from skkdece.metrics import hit_rate
from skkdece.robocode._demo import TEST_SIZE, format_table, main

N_SAMPLES = 1000  # enough rows for the model to beat the unconditional density
NUMBER = r"([-+]?\d+\.\d+|-)"
BASELINES = (
    "k-nearest-neighbours KDE (k=50)",
    "unconditional histogram mode",
    "head-on aim (GF 0)",
)


MODELS = (
    "SoftmaxKDERegressor (predict_aim)",
    "SoftmaxKDENeighborsRegressor (predict_aim)",
)


def run(*args, code=None, cwd=None):
    """Run ``python -m skkdece ARGS`` (or ``python -c CODE ARGS``)."""
    command = [sys.executable, "-m", "skkdece", *args]
    if code is not None:
        command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=cwd)


def table_rows(stdout):
    """``{method: (log-likelihood or None, hit rate)}`` from the printed table."""
    rows = {}
    for name, ll, hit in re.findall(
        rf"^(\S.*?)\s+{NUMBER}\s+(\d\.\d+)$", stdout, flags=re.MULTILINE
    ):
        rows[name] = (None if ll == "-" else float(ll), float(hit))
    return rows


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    # The simulator, so that the head-on hit rate can be recomputed here.
    result = run(
        "demo",
        "--dataset",
        "guess-factor",
        "--n-samples",
        str(N_SAMPLES),
        "--output",
        str(tmp / "x.png"),
    )
    return result, tmp


def test_demo_prints_the_table(demo_run):
    result, _ = demo_run
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert list(rows) == [*MODELS, *BASELINES]
    for ll, hit in rows.values():
        assert 0.0 <= hit <= 1.0
        assert ll is None or np.isfinite(ll)
    assert rows["head-on aim (GF 0)"][0] is None
    # The model learns from the features: it beats the unconditional density.
    model_ll = rows["SoftmaxKDERegressor (predict_aim)"][0]
    assert model_ll > rows["unconditional histogram mode"][0]
    assert "\x1b[" not in result.stdout + result.stderr  # no colour codes


def test_demo_head_on_hit_rate_matches_an_independent_computation(demo_run):
    result, _ = demo_run
    X, y = make_guess_factor_waves(N_SAMPLES, random_state=0)
    _, _, _, y_test = train_test_split(X, y, test_size=TEST_SIZE, random_state=0)
    expected = hit_rate(y_test, np.zeros(len(y_test)))
    assert table_rows(result.stdout)["head-on aim (GF 0)"][1] == pytest.approx(
        expected, abs=5e-4
    )


def test_demo_writes_the_png(demo_run):
    pytest.importorskip("matplotlib")
    result, tmp = demo_run
    png = (tmp / "x.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1024
    assert f"figure: {tmp / 'x.png'}" in result.stdout


def test_default_demo_runs_on_waves_from_real_battles(tmp_path):
    result = run("demo", "--n-samples", "1000", "--no-plot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "real battles (load_robocode_waves)" in result.stdout
    assert "held out: whole rounds" in result.stdout
    rows = table_rows(result.stdout)
    assert list(rows) == [*MODELS, *BASELINES]
    model_ll, model_hit = rows["SoftmaxKDERegressor (predict_aim)"]
    # Real waves carry information: both beat the unconditional density and
    # head-on aim.
    assert model_ll > rows["unconditional histogram mode"][0]
    assert model_hit > rows["head-on aim (GF 0)"][1]
    nbrs_ll, nbrs_hit = rows["SoftmaxKDENeighborsRegressor (predict_aim)"]
    assert nbrs_ll > rows["unconditional histogram mode"][0]
    assert nbrs_hit > rows["head-on aim (GF 0)"][1]


def test_demo_default_output_is_in_the_current_directory(tmp_path):
    pytest.importorskip("matplotlib")
    result = run("demo", "--n-samples", "200", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "skkdece-demo.png").stat().st_size > 1024


def test_quiet_prints_only_the_table(tmp_path):
    result = run("demo", "--n-samples", "200", "--quiet", "--no-plot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["method", "mean", "log-likelihood"]
    assert set(lines[1]) == {"-"}
    assert len(lines) == 2 + len(MODELS) + len(BASELINES)
    assert not list(tmp_path.iterdir())


def test_circular_dataset_shows_the_true_density(tmp_path):
    result = run(
        "demo",
        "--dataset",
        "circular",
        "--n-samples",
        "300",
        "--no-plot",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert "head-on aim (GF 0)" not in rows
    truth_ll, truth_hit = rows["true density (reference)"]
    # Nothing fitted on 210 rows comes close to the generating density.
    for name, (ll, _) in rows.items():
        if name != "true density (reference)":
            assert ll < truth_ll
    assert 0.0 <= truth_hit <= 1.0


NO_MATPLOTLIB = """\
import runpy, sys
sys.modules["matplotlib"] = None  # any "import matplotlib" now fails
sys.argv = ["skkdece", *sys.argv[1:]]
runpy.run_module("skkdece", run_name="__main__", alter_sys=True)
"""


def test_demo_without_matplotlib_still_prints_the_table(tmp_path):
    output = tmp_path / "x.png"
    result = run(
        "demo", "--n-samples", "200", "--output", str(output), code=NO_MATPLOTLIB
    )
    assert result.returncode == 0, result.stderr
    assert list(table_rows(result.stdout)) == [*MODELS, *BASELINES]
    assert 'pip install "skkdece[plot]"' in result.stderr
    assert not output.exists()


def test_help_explains_the_options(capsys):
    # The entry point once in a new interpreter, the rest in this one.
    top = run("--help")
    assert top.returncode == 0
    assert "demo" in top.stdout
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--help"])
    assert exit_.value.code == 0
    demo = capsys.readouterr()
    for option in (
        "--n-samples",
        "--random-state",
        "--output",
        "--dataset",
        "robocode",
        "guess-factor",
        "circular",
        "--quiet",
        "--no-plot",
        "skkdece-demo.png",
    ):
        assert option in demo.out


@pytest.mark.parametrize(
    "args",
    [[], ["fly"], ["demo", "--n-samples", "5"], ["demo", "--dataset", "linear"]],
)
def test_bad_arguments_exit_with_usage(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert "usage: python -m skkdece" in capsys.readouterr().err


def test_format_table_aligns_columns():
    table = format_table([("a", -0.25, 0.5), ("longer name", None, 0.125)])
    lines = table.splitlines()
    assert lines[0].split() == ["method", "mean", "log-likelihood", "hit", "rate"]
    assert lines[2].split() == ["a", "-0.250", "0.500"]
    assert lines[3].split() == ["longer", "name", "-", "0.125"]
    assert len({len(line) for line in lines}) == 1
