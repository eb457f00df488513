"""benchmarks/defaults_benchmarks.py keeps working: its table, not its figures.

Runs the script's smallest configuration ("smoke": two tiny data sets, no
CV estimator) and the time-ordered wave simulator.  No timing is asserted.
"""

import math
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))  # it imports its sibling scripts
        import defaults_benchmarks

        yield defaults_benchmarks


@pytest.fixture(scope="module")
def smoke(bench):
    lines = []
    rows = bench.run("smoke", log=lambda _: None, out=lines.append)
    return rows, lines


def test_smoke_table_structure(bench, smoke):
    rows, lines = smoke
    expected = [
        (dataset, model)
        for dataset in ("interaction", "diabetes")
        for model in (
            "linear",
            "linear, no heads",  # the defaults before "auto" heads
            "linear grid",
            "neighbours",
            "neighbours grid",
        )
    ]
    assert [(r["dataset"], r["model"]) for r in rows] == expected
    table = [line for line in lines if line]
    header = table[0].split()
    assert header[:2] == ["dataset", "model"]
    assert "FLAGS" in header and "warnings" in header
    # Header, rule, one line per row, then the closing load line.
    assert len(table) == 2 + len(rows) + 1
    assert set(table[1]) <= {"-", " "}
    for line, r in zip(table[2:], rows, strict=False):
        assert line.startswith(r["dataset"])
        assert f"{r['ll']:.4f}" in line


def test_smoke_numbers_are_finite(smoke):
    rows, _ = smoke
    for r in rows:
        assert math.isfinite(r["ll"])
        assert r["hit"] is None  # neither target is an angle
        assert r["fit_s"] >= 0
        assert isinstance(r["n_iter"], int) and r["n_iter"] >= 1
        assert isinstance(r["warnings"], list)
        if r["config"] == "defaults":
            # The gap to the grid's best is defined, and flagged past 0.02.
            assert math.isfinite(r["gap"])
            assert ("GAP" in r["flags"]) == (r["gap"] < -0.02)
            # Its standard error: zero exactly when the defaults are the best.
            assert math.isfinite(r["gap_se"]) and r["gap_se"] >= 0
            assert (r["gap_se"] == 0) == (r["gap"] == 0)
        else:
            assert r["flags"] == []


def test_wave_battles_are_deterministic_recordings(bench):
    X, y, battle = bench.battles("phases", 2, 30, seed=0)
    X2, y2, _ = bench.battles("phases", 2, 30, seed=0)
    assert X.shape == (60, 8) and y.shape == (60, 2)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(battle, np.repeat([0, 1], 30))
    assert np.all(np.isfinite(y)) and np.all(y[:, 0] <= y[:, 1])
    # A wave every tick: consecutive rows of a battle are near-duplicates.
    # (the wall ahead moves by at most a bot's step of 8 px a tick, mostly).
    wall_ahead = X[:30, 6]
    assert np.median(np.abs(np.diff(wall_ahead))) <= 0.1 * np.ptp(wall_ahead)


def test_difference_se_is_the_batch_means_error(bench):
    # Paired block means: the differences 1, 2, 3 have standard deviation 1.
    assert bench.difference_se([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]) == pytest.approx(
        1 / np.sqrt(3)
    )
    assert bench.difference_se([0.5, 0.5], [0.2, 0.2]) == 0.0


def test_block_scores_average_to_the_held_out_score(bench):
    # Equal blocks: their mean log-likelihoods average to the table's figure.
    problem = next(bench.make_problems(bench.CONFIGS["smoke"]))
    from skkdece import SoftmaxKDERegressor

    model = SoftmaxKDERegressor(centers=8).fit(problem.X_train, problem.y_train)
    dist = model.predict_distribution(problem.X_test)
    ll, hits = bench.block_scores(problem, dist)
    assert ll.shape == (bench.SE_BLOCKS,) and hits is None
    sizes = [len(b) for b in bench.test_blocks(problem)]
    assert sum(sizes) == len(problem.y_test)
    ll_all, _ = bench.evaluate(model, problem)
    assert np.average(ll, weights=sizes) == pytest.approx(ll_all, rel=1e-12)
