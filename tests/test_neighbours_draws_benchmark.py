"""benchmarks/neighbours_draws.py keeps working: its tables, not its figures.

Runs the script on two tiny draws of two movements.  No timing is asserted.
"""

from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def draws():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))  # it imports its sibling scripts
        import neighbours_draws

        lines = []
        runs, behind = neighbours_draws.run(
            (11, 12), smoke=True, log=lambda _: None, out=lines.append
        )
        yield neighbours_draws, runs, behind, lines


def test_every_configuration_scored_on_every_draw(draws):
    module, runs, _, _ = draws
    names = {"KNN k=50", *module.CONFIGS, *module.CHOICES}
    assert len(runs) == 2
    for results, picks in runs:
        assert list(results) == ["waves: independent", "waves: long"]
        for found in results.values():
            assert set(found) == names
            for ll, hit, blocks in found.values():
                assert np.isfinite(ll)
                assert 0 <= hit <= 1
                assert blocks.shape == (module.db.SE_BLOCKS,)
        assert len(picks) == 2 * len(module.CHOICES)


def test_a_choice_is_the_refit_of_the_configuration_it_picked(draws):
    # Each choice weighs the same neighbour count with either metric, and its
    # held-out figures are those of the configuration it picked.
    module, runs, _, _ = draws
    for candidates in module.CHOICES.values():
        learned, fixed = (module.CONFIGS[candidates[m]] for m in ("learned", "fixed"))
        assert learned.get("metric", "learned") == "learned"
        assert fixed["metric"] == "fixed"
        assert learned.get("n_neighbors") == fixed.get("n_neighbors")
    for results, picks in runs:
        for (movement, name), (pick, scores) in picks.items():
            assert set(scores) == {"learned", "fixed"}
            assert pick == max(scores, key=scores.get)
            chosen = results[movement][name]
            direct = results[movement][module.CHOICES[name][pick]]
            assert chosen[:2] == direct[:2]
            np.testing.assert_array_equal(chosen[2], direct[2])


def test_pooled_table_counts_the_movements_not_ahead(draws):
    module, runs, behind, lines = draws
    assert lines[0].startswith("machine:")
    pooled = lines.index(
        "pooled over the draws: hit rate minus KNN's (standard error), "
        "draws ahead; mean log-likelihood"
    )
    for name, count in behind.items():
        gains = [
            np.mean([r[m][name][1] - r[m]["KNN k=50"][1] for r, _ in runs])
            for m in runs[0][0]
        ]
        assert count == sum(g <= 0 for g in gains)
        assert any(
            f"{name:12s} not ahead on {count:>2d} of 2" in line for line in lines
        )
    assert pooled < len(lines) - len(behind)


def test_real_waves_run_as_one_draw(draws):
    module = draws[0]
    lines = []
    runs, behind = module.run(
        smoke=True, real=True, log=lambda _: None, out=lines.append
    )
    assert len(runs) == 1
    results, picks = runs[0]
    assert list(results) == ["real waves: Walls"]
    assert set(behind) == {*module.CONFIGS, *module.CHOICES}
    assert "real waves, first battle trains, second scores" in lines[0]
    assert lines[1] == "draw real: held-out log-likelihood / hit rate"


def test_pooled_standard_error_is_the_draws_spread(draws):
    # Each draw is its own fit on its own battles: the standard error of the
    # mean difference comes from the draws' differences, not their blocks.
    _, runs, _, lines = draws
    pooled = lines.index(
        "pooled over the draws: hit rate minus KNN's (standard error), "
        "draws ahead; mean log-likelihood"
    )
    for movement in runs[0][0]:
        (line,) = [x for x in lines[pooled:] if x.startswith(movement)]
        diffs = [
            r[movement]["defaults"][1] - r[movement]["KNN k=50"][1] for r, _ in runs
        ]
        se = np.std(diffs, ddof=1) / np.sqrt(len(diffs))
        cell = line[20:48]
        assert f"{np.mean(diffs):+.3f} ({se:.3f})" in cell


def test_choice_refuses_a_tail_window_that_leaves_too_few_rows(draws):
    module = draws[0]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    problem = module.db.Problem("tiny", X, y, X[:20], y[:20])
    with pytest.raises(ValueError, match="serial window of 120 rows"):
        module.metric_choice(problem, module.CHOICES["choice"], window=120)
