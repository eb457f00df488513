"""The compiled exact searches find the tree's training neighbours (issue 26).

The scan (``_scan_neighbors``, ``skkdece._pairs.nearest``) and the k-d tree
walk (``_kd_neighbors``, ``skkdece._pairs.tree_nearest``) replace
scikit-learn's tree in the training search when the kernels are built, the
faster of the two chosen by timing a few rows.  Each must find the same rows:
every distance summed over the features in the same order, no row passed
over that could be a neighbour (the projection's or the boxes' bound, and
the slack), and the same exclusions.  Where two rows tie at a row's k-th
distance both keep the lower row number; a reference written here with
NumPy decides the ties the same way.  So the two searches agree bit for bit,
and the choice between them changes nothing but the time.
"""

import warnings

import numpy as np
import pytest

from skkdece import SoftmaxKDENeighborsRegressor, _neighbors, _neighbors_regressor
from skkdece._neighbors import (
    _kd_neighbors,
    _scan_neighbors,
    _tree_neighbors,
    search_tree,
    training_neighbors,
)
from skkdece.datasets import make_guess_factor_waves

pytestmark = pytest.mark.skipif(
    _neighbors._pairs is None, reason="skkdece._pairs was not built"
)
SEARCHES = [_scan_neighbors, _kd_neighbors]


def _reference(points, k, groups=None, exclude_adjacent=0):
    """Each row's k nearest allowed rows by (distance, row number), in NumPy.

    The distances are summed feature by feature, in order, as the scan and
    scikit-learn's Manhattan metric sum them.
    """
    n, d = points.shape
    out = np.empty((n, k), dtype=np.intp)
    idx = np.arange(n)
    for i in range(n):
        dist = np.abs(points[i, 0] - points[:, 0])
        for p in range(1, d):
            dist = dist + np.abs(points[i, p] - points[:, p])
        allowed = np.abs(idx - i) > exclude_adjacent
        if groups is not None:
            allowed &= groups != groups[i]
        rows = idx[allowed]
        order = np.lexsort((rows, dist[allowed]))
        out[i] = rows[order[:k]]
    return out


@pytest.mark.parametrize(
    "n, d, k, n_groups, adjacent",
    [
        (203, 1, 1, 0, 0),
        (300, 3, 7, 0, 0),
        (257, 5, 12, 9, 0),
        (240, 11, 32, 0, 4),
        (333, 4, 9, 13, 3),
    ],
)
@pytest.mark.parametrize("search", SEARCHES)
def test_scan_matches_the_reference_and_the_tree(search, n, d, k, n_groups, adjacent):
    rng = np.random.default_rng(n + d)
    # Features of different scales and a correlated pair, as weighted
    # metric coordinates are.
    points = rng.normal(size=(n, d)) * rng.uniform(0.1, 3.0, size=d)
    if d > 1:
        points[:, 1] += 2.0 * points[:, 0]
    groups = None if not n_groups else rng.integers(0, n_groups, size=n)
    expected = _reference(points, k, groups, adjacent)
    scan = search(points, k, groups, adjacent, 1)
    np.testing.assert_array_equal(np.sort(scan, axis=1), np.sort(expected, axis=1))
    # Nearest first.
    np.testing.assert_array_equal(scan, expected)
    tree = _tree_neighbors(points, k, groups, adjacent, 1)
    np.testing.assert_array_equal(np.sort(scan, axis=1), np.sort(tree, axis=1))


@pytest.mark.parametrize("search", SEARCHES)
def test_ties_go_to_the_lower_row_number(search):
    # Points on a small integer grid: many rows at the same distances, and
    # duplicated rows at distance zero.
    rng = np.random.default_rng(0)
    points = rng.integers(0, 4, size=(150, 3)).astype(float)
    groups = np.arange(150) // 10
    for kw in (dict(), dict(groups=groups), dict(exclude_adjacent=2)):
        expected = _reference(
            points, 8, kw.get("groups"), kw.get("exclude_adjacent", 0)
        )
        found = search(points, 8, kw.get("groups"), kw.get("exclude_adjacent", 0), 1)
        np.testing.assert_array_equal(found, expected)


@pytest.mark.parametrize("search", SEARCHES)
def test_scan_is_exact_far_from_the_origin(search):
    # Coordinates near 1e6 with differences of 1e-6: the projection, the
    # boxes' bounds and the distances round at 1e-10, where the slack must
    # keep every true neighbour in the search.
    rng = np.random.default_rng(1)
    points = 1e6 + rng.normal(scale=1e-6, size=(400, 6))
    expected = _reference(points, 10)
    np.testing.assert_array_equal(search(points, 10, None, 0, 1), expected)


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_scan_is_the_same_on_any_number_of_threads(search, n_threads):
    rng = np.random.default_rng(4)
    points = rng.normal(size=(1100, 4))  # several batches of rows
    groups = np.arange(1100) // 30
    one = _scan_neighbors(points, 6, groups, 1, 1)
    np.testing.assert_array_equal(search(points, 6, groups, 1, n_threads), one)


@pytest.mark.parametrize("search", SEARCHES)
def test_seeds_change_nothing_but_where_the_search_starts(search):
    rng = np.random.default_rng(11)
    points = rng.normal(size=(900, 4))
    groups = np.arange(900) // 40
    moved = points * rng.uniform(0.7, 1.3, size=4)  # the next round's metric
    before = _reference(points, 6, groups, 2)
    expected = _reference(moved, 6, groups, 2)
    np.testing.assert_array_equal(
        search(moved, 6, groups, 2, 2, seeds=before), expected
    )
    # Seeds that repeat, include the row itself, its group and its adjacent
    # rows, or are fewer or more than k: still the same answer.
    for width in (1, 6, 15):
        junk = rng.integers(0, 900, size=(900, width))
        junk[:, 0] = np.arange(900)
        if width > 1:
            junk[:, 1] = junk[:, 0]
        np.testing.assert_array_equal(
            search(moved, 6, groups, 2, 1, seeds=junk), expected
        )


def test_training_search_passes_the_seeds_on():
    rng = np.random.default_rng(12)
    points = rng.normal(size=(700, 3))
    seeds = _reference(points * [1.0, 2.0, 0.5], 5)
    np.testing.assert_array_equal(
        training_neighbors(points, 5, seeds=seeds), _reference(points, 5)
    )


def test_fit_seeds_each_round_with_the_last_rounds_neighbours(monkeypatch):
    X, y = make_guess_factor_waves(400, random_state=4)
    calls = []
    search = _neighbors_regressor.training_neighbors

    def spy(points, k, **kw):
        out = search(points, k, **kw)
        calls.append((kw["seeds"], out))
        return out

    monkeypatch.setattr(_neighbors_regressor, "training_neighbors", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SoftmaxKDENeighborsRegressor(n_neighbors=8, n_rounds=3).fit(
            X, y, groups=np.arange(400) // 20
        )
    assert len(calls) == 3
    assert calls[0][0] is None
    for (_, previous), (seeds, _) in zip(calls[:-1], calls[1:], strict=True):
        np.testing.assert_array_equal(seeds, previous)


def test_kd_search_takes_a_tree_built_already():
    rng = np.random.default_rng(6)
    points = rng.normal(size=(500, 5))
    tree = search_tree(points)
    np.testing.assert_array_equal(
        _kd_neighbors(points, 7, None, 2, 1, tree),
        _scan_neighbors(points, 7, None, 2, 1),
    )


def _spy_searches(monkeypatch, kd_seconds):
    """Record which compiled search runs; the probe says kd takes kd_seconds."""
    ran = []
    scan_plan, kd_plan = _neighbors._scan_plan, _neighbors._kd_plan

    def tagged(name, make):
        def plan(*args):
            order, search = make(*args)

            def run(start, out):
                ran.append(name)
                search(start, out)

            run.name = name
            return order, run

        return plan

    monkeypatch.setattr(_neighbors, "_scan_plan", tagged("scan", scan_plan))
    monkeypatch.setattr(_neighbors, "_kd_plan", tagged("kd", kd_plan))
    monkeypatch.setattr(
        _neighbors,
        "_probe_seconds",
        lambda plan, k: kd_seconds if plan[1].name == "kd" else 1.0,
    )
    return ran


@pytest.mark.parametrize("kd_seconds, chosen", [(0.5, "kd"), (2.0, "scan")])
def test_training_search_runs_the_faster_search(monkeypatch, kd_seconds, chosen):
    rng = np.random.default_rng(7)
    points = rng.normal(size=(1200, 3))
    groups = np.arange(1200) // 50
    expected = _reference(points, 4, groups, 1)
    ran = _spy_searches(monkeypatch, kd_seconds)
    monkeypatch.setattr(_neighbors, "_PROBE_MIN_ROWS", 1000)
    np.testing.assert_array_equal(
        training_neighbors(points, 4, groups=groups, exclude_adjacent=1), expected
    )
    assert set(ran) == {chosen}
    # At or below _PROBE_MIN_ROWS rows only the scan is made, and no probe.
    ran.clear()
    monkeypatch.setattr(_neighbors, "_PROBE_MIN_ROWS", 1200)
    np.testing.assert_array_equal(
        training_neighbors(points, 4, groups=groups, exclude_adjacent=1), expected
    )
    assert set(ran) == {"scan"}


def test_probe_times_rows_spread_over_the_order():
    rng = np.random.default_rng(9)
    points = rng.normal(size=(3000, 4))
    order, search = _neighbors._scan_plan(points, None, 0)
    starts = []

    def spy(start, out):
        starts.append((start, out.shape[0]))
        search(start, out)

    assert _neighbors._probe_seconds((order, spy), 5) >= 0.0
    run = _neighbors._PROBE_ROWS // 4
    assert starts == [(i * (3000 - run) // 3, run) for i in range(4)]


def test_training_search_without_the_kernels_is_the_trees(monkeypatch):
    rng = np.random.default_rng(7)
    points = rng.normal(size=(120, 3))
    calls = []

    def tree(*args):
        calls.append(args[0].shape[0])
        return _tree_neighbors(*args)

    monkeypatch.setattr(_neighbors, "_tree_neighbors", tree)
    compiled = training_neighbors(points, 4)
    assert calls == []
    monkeypatch.setattr(_neighbors, "_pairs", None)
    np.testing.assert_array_equal(training_neighbors(points, 4), compiled)
    assert calls == [120]


def test_training_search_uses_the_scan_and_keeps_its_checks():
    rng = np.random.default_rng(5)
    points = rng.normal(size=(90, 3))
    groups = np.arange(90) // 30
    np.testing.assert_array_equal(
        training_neighbors(points, 5, groups=groups),
        _reference(points, 5, groups),
    )
    with pytest.raises(ValueError, match="have only 60"):
        training_neighbors(points, 61, groups=groups)


def test_compiled_scan_rejects_bad_arguments():
    nearest = _neighbors._pairs.nearest
    pt = np.zeros((2, 16))
    proj = np.arange(10.0)
    rows = np.arange(10, dtype=np.int32)
    out = np.empty((10, 3), dtype=np.int32)
    with pytest.raises(ValueError, match="padded to a multiple of 8"):
        nearest(np.zeros((2, 10)), proj, rows, None, 0, 0.0, 0, out)
    with pytest.raises(ValueError, match="one value per row"):
        nearest(pt, proj[:9], rows, None, 0, 0.0, 0, out)
    with pytest.raises(ValueError, match="must be rows of points"):
        nearest(pt, proj, rows, None, 0, 0.0, 5, out)
    with pytest.raises(ValueError, match="slack"):
        nearest(pt, proj, rows, None, 0, -1.0, 0, out)
    with pytest.raises(TypeError, match="int32"):
        nearest(pt, proj, rows.astype(np.int64), None, 0, 0.0, 0, out)
    # Every row but one excluded: fewer allowed rows than columns.
    with pytest.raises(ValueError, match="fewer allowed rows"):
        nearest(pt, proj, rows, None, 8, 0.0, 0, out)
    with pytest.raises(ValueError, match="seeds need a row per row of out"):
        nearest(pt, proj, rows, None, 0, 0.0, 0, out, np.full((10, 3), 10, np.int32))


def test_compiled_tree_search_rejects_bad_arguments():
    tree_nearest = _neighbors._pairs.tree_nearest
    pt = np.zeros((2, 17))
    lo, hi = np.zeros((3, 2)), np.ones((3, 2))
    first = np.array([0, 0, 5], dtype=np.int32)
    last = np.array([10, 5, 10], dtype=np.int32)
    rows = np.arange(10, dtype=np.int32)
    out = np.empty((10, 3), dtype=np.int32)
    ok = (pt, lo, hi, first, last, rows, None, 0, 0.0, 0, out)
    tree_nearest(*ok)

    def call(**changes):
        names = "pt lo hi first last rows groups adjacent slack start out".split()
        args = dict(zip(names, ok, strict=True))
        args.update(changes)
        tree_nearest(*args.values())

    with pytest.raises(ValueError, match="7 padding columns"):
        call(pt=np.zeros((2, 16)))
    with pytest.raises(ValueError, match="one value per row"):
        call(groups=np.zeros(9, dtype=np.int32))
    with pytest.raises(ValueError, match="one box of d values"):
        call(hi=np.ones((3, 3)))
    with pytest.raises(ValueError, match="one box of d values"):
        call(last=last[:2])
    with pytest.raises(ValueError, match="2\\*\\*L - 1 nodes"):
        call(
            lo=np.zeros((2, 2)),
            hi=np.ones((2, 2)),
            first=first[:2],
            last=last[:2],
        )
    with pytest.raises(ValueError, match="lie in 0 .. n"):
        call(last=np.array([10, 5, 11], dtype=np.int32))
    with pytest.raises(ValueError, match="lie in 0 .. n"):
        call(first=np.array([0, 6, 5], dtype=np.int32))
    with pytest.raises(ValueError, match="must be rows of points"):
        call(start=5)
    with pytest.raises(ValueError, match="slack"):
        call(slack=np.nan)
    with pytest.raises(ValueError, match="at least one column"):
        call(out=np.empty((10, 0), dtype=np.int32))
    with pytest.raises(TypeError, match="int32"):
        call(first=first.astype(np.int64))
    with pytest.raises(ValueError, match="fewer allowed rows"):
        call(adjacent=8)
    seeds = np.zeros((10, 2), dtype=np.int32)
    call(seeds=seeds)
    with pytest.raises(ValueError, match="seeds need a row per row of out"):
        call(seeds=seeds[:9])
    with pytest.raises(ValueError, match="seeds need a row per row of out"):
        call(seeds=seeds + 10)
    with pytest.raises(ValueError, match="seeds need a row per row of out"):
        call(seeds=seeds - 1)
    with pytest.raises(TypeError, match="seeds must hold int32"):
        call(seeds=seeds.astype(np.int64))


@pytest.mark.parametrize("searched_by", ["tree", "kd"])
def test_fit_is_the_same_with_the_scan_and_the_tree(monkeypatch, searched_by):
    X, y = make_guess_factor_waves(400, random_state=3)
    groups = np.arange(400) // 20

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SoftmaxKDENeighborsRegressor(n_neighbors=8)
            return model.fit(X, y, groups=groups)

    searched = []

    def only(search):
        def training(points, k, *, groups, exclude_adjacent, tree, seeds):
            searched.append(search.__name__)
            return search(points, k, groups, exclude_adjacent, 1)

        return training

    monkeypatch.setattr(
        _neighbors_regressor, "training_neighbors", only(_scan_neighbors)
    )
    scan = fit()
    other = _tree_neighbors if searched_by == "tree" else _kd_neighbors
    monkeypatch.setattr(_neighbors_regressor, "training_neighbors", only(other))
    tree = fit()
    n_rounds = SoftmaxKDENeighborsRegressor().n_rounds
    assert searched == ["_scan_neighbors"] * n_rounds + [other.__name__] * n_rounds
    np.testing.assert_array_equal(scan.metric_weights_, tree.metric_weights_)
    assert scan.sharpness_ == tree.sharpness_
    assert scan.objective_ == tree.objective_
    assert scan.bandwidth_ == tree.bandwidth_
    np.testing.assert_array_equal(scan.predict(X[:50]), tree.predict(X[:50]))
