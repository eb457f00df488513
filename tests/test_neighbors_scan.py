"""The compiled exact scan finds the tree's training neighbours (issue 26).

``_scan_neighbors`` (``skkdece._pairs.nearest``) replaces scikit-learn's tree
in the training search when the kernels are built.  It must find the same
rows: every distance summed over the features in the same order, no row
passed over that could be a neighbour (the projection bound and its slack),
and the same exclusions.  Where two rows tie at a row's k-th distance it
keeps the lower row number; a reference written here with NumPy decides the
ties the same way.
"""

import warnings

import numpy as np
import pytest

from skkdece import SoftmaxKDENeighborsRegressor, _neighbors
from skkdece._neighbors import _scan_neighbors, _tree_neighbors, training_neighbors
from skkdece.datasets import make_guess_factor_waves

pytestmark = pytest.mark.skipif(
    _neighbors._pairs is None, reason="skkdece._pairs was not built"
)


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
def test_scan_matches_the_reference_and_the_tree(n, d, k, n_groups, adjacent):
    rng = np.random.default_rng(n + d)
    # Features of different scales and a correlated pair, as weighted
    # metric coordinates are.
    points = rng.normal(size=(n, d)) * rng.uniform(0.1, 3.0, size=d)
    if d > 1:
        points[:, 1] += 2.0 * points[:, 0]
    groups = None if not n_groups else rng.integers(0, n_groups, size=n)
    expected = _reference(points, k, groups, adjacent)
    scan = _scan_neighbors(points, k, groups, adjacent, 1)
    np.testing.assert_array_equal(np.sort(scan, axis=1), np.sort(expected, axis=1))
    # Nearest first.
    np.testing.assert_array_equal(scan, expected)
    tree = _tree_neighbors(points, k, groups, adjacent, 1)
    np.testing.assert_array_equal(np.sort(scan, axis=1), np.sort(tree, axis=1))


def test_ties_go_to_the_lower_row_number():
    # Points on a small integer grid: many rows at the same distances, and
    # duplicated rows at distance zero.
    rng = np.random.default_rng(0)
    points = rng.integers(0, 4, size=(150, 3)).astype(float)
    groups = np.arange(150) // 10
    for kw in (dict(), dict(groups=groups), dict(exclude_adjacent=2)):
        expected = _reference(
            points, 8, kw.get("groups"), kw.get("exclude_adjacent", 0)
        )
        found = _scan_neighbors(
            points, 8, kw.get("groups"), kw.get("exclude_adjacent", 0), 1
        )
        np.testing.assert_array_equal(found, expected)


def test_scan_is_exact_far_from_the_origin():
    # Coordinates near 1e6 with differences of 1e-6: the projection and the
    # distances round at 1e-10, where the slack must keep every true
    # neighbour in the scan.
    rng = np.random.default_rng(1)
    points = 1e6 + rng.normal(scale=1e-6, size=(400, 6))
    expected = _reference(points, 10)
    np.testing.assert_array_equal(_scan_neighbors(points, 10, None, 0, 1), expected)


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_scan_is_the_same_on_any_number_of_threads(n_threads):
    rng = np.random.default_rng(4)
    points = rng.normal(size=(1100, 4))  # several batches of rows
    groups = np.arange(1100) // 30
    one = _scan_neighbors(points, 6, groups, 1, 1)
    np.testing.assert_array_equal(_scan_neighbors(points, 6, groups, 1, n_threads), one)


def test_training_search_takes_the_tree_past_the_scans_size(monkeypatch):
    rng = np.random.default_rng(7)
    points = rng.normal(size=(120, 3))
    calls = []

    def tree(*args):
        calls.append(args[0].shape[0])
        return _tree_neighbors(*args)

    monkeypatch.setattr(_neighbors, "_tree_neighbors", tree)
    scanned = training_neighbors(points, 4)
    assert calls == []
    monkeypatch.setattr(_neighbors, "_SCAN_MAX_ROWS", 100)
    np.testing.assert_array_equal(training_neighbors(points, 4), scanned)
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
    with pytest.raises(ValueError, match="one value per projection"):
        nearest(pt, proj, rows[:9], None, 0, 0.0, 0, out)
    with pytest.raises(ValueError, match="must be rows of points"):
        nearest(pt, proj, rows, None, 0, 0.0, 5, out)
    with pytest.raises(ValueError, match="slack"):
        nearest(pt, proj, rows, None, 0, -1.0, 0, out)
    with pytest.raises(TypeError, match="int32"):
        nearest(pt, proj, rows.astype(np.int64), None, 0, 0.0, 0, out)
    # Every row but one excluded: fewer allowed rows than columns.
    with pytest.raises(ValueError, match="fewer allowed rows"):
        nearest(pt, proj, rows, None, 8, 0.0, 0, out)


def test_fit_is_the_same_with_the_scan_and_the_tree(monkeypatch):
    X, y = make_guess_factor_waves(400, random_state=3)
    groups = np.arange(400) // 20

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SoftmaxKDENeighborsRegressor(n_neighbors=8)
            return model.fit(X, y, groups=groups)

    scan = fit()
    monkeypatch.setattr(_neighbors, "_scan_neighbors", _tree_neighbors)
    tree = fit()
    np.testing.assert_array_equal(scan.metric_weights_, tree.metric_weights_)
    assert scan.sharpness_ == tree.sharpness_
    assert scan.objective_ == tree.objective_
    assert scan.bandwidth_ == tree.bandwidth_
    np.testing.assert_array_equal(scan.predict(X[:50]), tree.predict(X[:50]))
