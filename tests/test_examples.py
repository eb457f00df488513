"""Every script in examples/ runs on small sizes, saves its figure and prints
its key numbers, and those numbers say what the script claims."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))
NUMBER = r"([-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?)"


def check_quickstart_circular(out):
    model = float(re.search(rf"SoftmaxKDERegressor\s+{NUMBER}", out).group(1))
    truth = float(re.search(rf"true density\s+{NUMBER}", out).group(1))
    uniform = float(re.search(rf"uniform on circle\s+{NUMBER}", out).group(1))
    assert uniform == pytest.approx(-1.838, abs=1e-3)
    # Even the quick fit learns something, and no model beats the truth by
    # more than sampling noise on 150 rows.
    assert uniform < model < truth + 0.2
    coverage = float(re.search(rf"80% prediction arcs contain {NUMBER}%", out).group(1))
    assert 50 < coverage < 100


def check_pipeline_grid_search(out):
    table = re.findall(
        rf"^\s+(\d+)\s+(StandardScaler|SplineTransformer)\s+(\w+)\s+{NUMBER}"
        rf"\s+{NUMBER}\s+{NUMBER}$",
        out,
        flags=re.MULTILINE,
    )
    # Quick grid: 2 feature maps x 2 kernels x 2 bandwidths, best first.
    assert len(table) == 8
    means = [float(row[4]) for row in table]
    assert means == sorted(means, reverse=True)
    assert table[0][0] == "1"
    best = re.search(
        rf"best: features=(\w+), kernel=(\w+), bandwidth={NUMBER} "
        rf"\(CV mean log-likelihood {NUMBER}\)",
        out,
    )
    assert best is not None
    assert best.group(1, 2) == table[0][1:3]
    assert float(best.group(3)) == pytest.approx(float(table[0][3]))
    assert float(best.group(4)) == pytest.approx(means[0], abs=1e-3)
    hit = float(re.search(rf"hit rate {NUMBER}", out).group(1))
    assert 0.0 <= hit <= 1.0


def check_guess_factor_targeting(out):
    rows = dict(
        (name.strip(), [float(v) for v in values])
        for name, *values in re.findall(
            rf"^(\S.*?)\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}$",
            out,
            flags=re.MULTILINE,
        )
    )
    assert set(rows) == {
        "SoftmaxKDERegressor predict_aim",
        "SoftmaxKDERegressor mode",
        "SoftmaxKDENeighborsRegressor predict_aim",
        "k-nearest-neighbours KDE (k=20)",
        "histogram mode (all past waves)",
        "head-on (GF 0)",
    }
    for values in rows.values():
        assert all(0.0 <= v <= 1.0 for v in values)
    assert "hit rate" in out
    assert re.search(rf"Regressor held-out mean log-likelihood: {NUMBER}", out)
    assert re.search(rf"NeighborsRegressor held-out mean log-likelihood: {NUMBER}", out)


def check_gradient_properties(out):
    def value(pattern):
        return float(re.search(pattern + rf"\s*=?\s*{NUMBER}", out).group(1))

    # 1. Scale invariance: the library matches direct quadrature, and the
    # gradient does not move over 200 orders of magnitude of the kernel.
    assert value(r"max \|grad diff\|") < 1e-10
    assert value(r"max \|grad - grad\(c=1\)\|") < 1e-10
    # 2. Exponential kernel: flat gradient, loss up by exactly d/h = 1000;
    # the naive evaluation fails near exp(-745), the smallest double.
    assert (
        value(r"max \|grad\(d\) - grad\(0\)\| over d = 0 \.\. 1000 bandwidths") < 1e-10
    )
    assert value(r"loss rises by") == pytest.approx(1000.0, abs=1e-6)
    assert 700 < value(r"naive linear-domain gradient is NaN from d") < 800
    # 3. 0/1 kernel: softmax cross-entropy exactly.
    assert value(r"max \|grad - \(softmax - onehot\)\|") < 1e-12
    assert value(r"max \|loss - \(-log S_label\)\|") < 1e-12
    # 4. The per-center shortcut: the theory notes' numbers.
    assert (
        "true loss 1.79416, gradient (0.00000, 0.00000); per-center loss 3.08561" in out
    )
    assert "true loss 1.88099, gradient (0.16448, -0.16448)" in out
    optimum = value(r"the true gradient vanishes at S_1")
    assert 0.6 < optimum < 0.8


def check_cv_path(out):
    alphas = [
        float(v) for v in re.search(r"bandwidth \\ alpha(.*)", out).group(1).split()
    ]
    rows = re.findall(rf"^ +{NUMBER}((?: +{NUMBER})+)$", out, flags=re.MULTILINE)
    bandwidths = [float(row[0]) for row in rows]
    means = np.array([[float(v) for v in row[1].split()] for row in rows])
    # Quick grid: 3 bandwidths x 4 penalties, both increasing.
    assert means.shape == (3, 4)
    assert alphas == sorted(alphas) and bandwidths == sorted(bandwidths)
    chosen = re.search(
        rf"chosen: alpha={NUMBER}, bandwidth={NUMBER} "
        rf"\(CV mean log-likelihood {NUMBER}\)",
        out,
    )
    j, i = np.unravel_index(np.argmax(means), means.shape)
    assert float(chosen.group(1)) == pytest.approx(alphas[i], rel=1e-3)
    assert float(chosen.group(2)) == pytest.approx(bandwidths[j], abs=1e-3)
    assert float(chosen.group(3)) == pytest.approx(means[j, i], abs=1e-3)
    n_iter, n_fits = re.search(r"path iterations: (\d+) over (\d+) fits", out).groups()
    assert int(n_fits) == 3 * 3 * 4 and int(n_iter) > int(n_fits)
    held_out = float(re.search(rf"refitted pipeline: {NUMBER}", out).group(1))
    # Better than the marginal of y (about -1.3 nats) and finite.
    assert -1.3 < held_out < 0.0


CHECKS = {
    "plot_quickstart_circular.py": (
        "quickstart_circular.png",
        check_quickstart_circular,
    ),
    "plot_pipeline_grid_search.py": (
        "pipeline_grid_search.png",
        check_pipeline_grid_search,
    ),
    "plot_guess_factor_targeting.py": (
        "guess_factor_targeting.png",
        check_guess_factor_targeting,
    ),
    "plot_cv_path.py": ("cv_path.png", check_cv_path),
    "plot_gradient_properties.py": (
        "gradient_properties.png",
        check_gradient_properties,
    ),
}


def test_every_example_is_checked():
    assert {path.name for path in EXAMPLES} == set(CHECKS)


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_has_a_docstring(script):
    docstring = ast.get_docstring(ast.parse(script.read_text()))
    assert docstring and len(docstring.split()) > 50
    assert "SKKDECE_EXAMPLES_QUICK" in docstring


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs_and_saves_its_figure(script, tmp_path):
    figure, check = CHECKS[script.name]
    env = {
        **os.environ,
        "SKKDECE_EXAMPLES_QUICK": "1",
        "SKKDECE_EXAMPLES_OUT": str(tmp_path / "out"),
        "MPLBACKEND": "Agg",
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == [figure]
    png = (tmp_path / "out" / figure).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 1024
    assert f"figure: {tmp_path / 'out' / figure}" in result.stdout
    check(result.stdout)
