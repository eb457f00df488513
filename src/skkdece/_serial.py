"""Serial dependence in the row order: how far apart twins lie in time.

Rows recorded one after another (a wave every tick, a sensor every second)
are near-duplicates of the rows next to them.  A leave-one-out fit of the
neighbours model that lets those rows serve each other learns to find a row's
twin, which new data never has.  :func:`serial_window` measures from the data
whether the nearest neighbours of a row lie closer to it in the row order
than chance would put them, and how far that reaches.

The test.  Probe rows ``i``, evenly spaced through the data, each with its
``k`` nearest other rows ``j`` in the features.  If the row order carried no
information, ``j`` would be any of the other ``n - 1`` rows, so the number
of pairs with ``|i - j| <= w`` would have the expectation::

    E(w) = k / (n - 1) * sum_i (min(i, w) + min(n - 1 - i, w))

The excess ``X(w) = O(w) - E(w)`` of the observed count over it grows while
neighbours are more frequent at lag ``w`` than chance and falls once they
are not, back to zero at ``w = n - 1``.  The window is the smallest lag at
which the excess reaches 99% of its peak: up to it, neighbours lie nearer
in order than in a shuffled copy of the data; beyond it, no nearer (the
top of the excess is flat, and the first lag within 1% of it is a steadier
estimate than the argmax itself).  Measured against the fit given the
recording's rounds or battles as ``groups`` (held-out mean log-likelihood;
``benchmarks/defaults_benchmarks.py``'s data, on 2026-12-06):

* 95% of the peak, the earlier rule, cut a slowly rising excess short: on
  the bundled waves of RamFire it chose 11 rows and scored 0.061 nats below
  ``groups``; 99% chose 19 (0.000 below), the peak itself 103 (0.001).
* On all seven opponents 99% stays within 0.007 nats of ``groups``; the
  peak fell 0.010 short on VelociRobot (window 121), 95% 0.061 on RamFire.
* On the simulated recordings 99% against 95%: 0.09 nats better on the
  phase-changing movement (window 106 against 73; still 0.15 below
  ``groups``), 0.03 on stop-and-go, 0.08 lower on the random policy (still
  0.07 above ``groups``), and within the standard errors elsewhere.

The order counts as informative only if the maximum excess is more than
``Z_CRITICAL`` standard deviations of ``O(w)`` above zero, the deviation
taken as if a probe's ``k`` neighbours were all at once near or far
(perfectly correlated), which overstates it by up to ``sqrt(k)``: on
shuffled rows the test does not fire.
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ._neighbors import NeighborEmbedding, search_tree, start_weights, weighted_points

# Probe rows at most: 2 000 rows' neighbour lags resolve a window to a few
# per cent and cost one query of 2 000 rows (tens of milliseconds at 1e5 rows).
N_PROBES = 2000
# Standard deviations (upper bound) by which the excess must exceed zero.
Z_CRITICAL = 5.0
# The window: the smallest lag where the excess reaches this share of its peak.
PEAK_SHARE = 0.99
# Neighbours per probe row in :func:`recorded_in_order` (the neighbours
# model's default ``n_neighbors``).
ORDER_NEIGHBORS = 32
# Rows at most that :func:`recorded_in_order` searches (every k-th row).
ORDER_ROWS = 10_000


def lag_excess(lags, probes, n):
    """Excess of neighbour pairs within each lag over a shuffled order.

    Parameters
    ----------
    lags : ndarray of shape (n_probes, k)
        ``|i - j|`` of each probe row ``i`` and its neighbours ``j``.
    probes : ndarray of shape (n_probes,)
        The probe rows' positions.
    n : int
        Rows in the data.

    Returns
    -------
    windows : ndarray of shape (n_windows,)
        The distinct lags observed, increasing: where the excess jumps.
    excess : ndarray of shape (n_windows,)
        ``O(w) - E(w)`` at each (the observed pairs within it, minus their
        expectation in a random order).
    deviation : ndarray of shape (n_windows,)
        The upper bound on the standard deviation of ``O(w)`` in a random
        order.

    Examples
    --------
    >>> import numpy as np
    >>> lags = np.array([[1, 1], [1, 2]])
    >>> w, x, sd = lag_excess(lags, np.array([2, 5]), 8)
    >>> w.tolist(), x.round(3).tolist()
    ([1, 2], [1.857, 1.714])
    """
    k = lags.shape[1]
    windows, counts = np.unique(lags, return_counts=True)
    observed = np.cumsum(counts)

    # sum_i min(p_i, w) over sorted positions p, by prefix sums: the
    # positions below w count themselves, the others w.
    def clipped_sum(positions):
        positions = np.sort(positions)
        prefix = np.concatenate([[0.0], np.cumsum(positions, dtype=np.float64)])
        below = np.searchsorted(positions, windows, side="left")
        return prefix[below] + windows * (positions.size - below)

    reach = clipped_sum(probes) + clipped_sum(n - 1 - probes)
    expected = k * reach / (n - 1)
    # With p_i(w) the chance that a random row lies within w of probe i, a
    # probe's k neighbours counted at once (all near or all far) give the
    # variance k^2 sum_i p_i (1 - p_i) <= k^2 sum_i p_i = k * expected.
    deviation = np.sqrt(k * expected)
    return windows, observed - expected, deviation


def serial_window(points, n_neighbors, *, n_probes=N_PROBES, tree=None):
    """The lag within which rows' nearest neighbours cluster in the row order.

    Parameters
    ----------
    points : ndarray of shape (n_samples, n_dims)
        Rows in the coordinates of a Manhattan metric, in the data's order.
    n_neighbors : int
        Neighbours per probe row.
    n_probes : int, default=N_PROBES
        Probe rows at most, evenly spaced.
    tree : sklearn.neighbors.KDTree or None, default=None
        :func:`skkdece._neighbors.search_tree` of ``points``, if built
        already (a fit's first search tree: at a million rows its build is
        2.4 s of the test's 2.5 s).

    Returns
    -------
    window : int
        Rows within ``window`` positions of each other to keep apart; 0 when
        the order carries no sign of serial dependence.
    near_share : float
        Share of the probes' neighbours within ``window`` positions.
    chance_share : float
        The share a random order would put there.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> walk = np.cumsum(rng.normal(size=(3000, 2)), axis=0)  # a slow drift
    >>> window, near, chance = serial_window(walk, 10)
    >>> bool(window > 0), bool(near > 5 * chance)
    (True, True)
    >>> serial_window(rng.permutation(walk), 10)[0]
    0
    """
    n = points.shape[0]
    k = min(int(n_neighbors), n - 1)
    if k < 1:
        return 0, 0.0, 0.0
    probes = np.unique(np.linspace(0, n - 1, min(n, n_probes)).round().astype(np.intp))
    if tree is None:
        tree = search_tree(points)
    found = tree.query(points[probes], k + 1, return_distance=False)
    # Drop the row itself wherever the tree put it (equal rows tie with it).
    itself = found == probes[:, None]
    keep = ~itself
    keep[np.sum(keep, axis=1) > k, -1] = False
    lags = np.abs(found[keep].reshape(probes.size, k) - probes[:, None])
    windows, excess, deviation = lag_excess(lags, probes, n)
    peak = int(np.argmax(excess))
    if excess[peak] <= Z_CRITICAL * deviation[peak]:
        return 0, 0.0, 0.0
    first = int(np.argmax(excess >= PEAK_SHARE * excess[peak]))
    window = int(windows[first])
    near = float(np.mean(lags <= window))
    chance = float(near - excess[first] / lags.size)
    return window, near, chance


class _BruteSearch:
    """Exact Euclidean neighbours by brute force (BLAS) behind the k-d tree's
    ``query``: in many dimensions a tree visits nearly every row anyway."""

    def __init__(self, points):
        self._search = NearestNeighbors(algorithm="brute").fit(points)

    def query(self, X, k, return_distance=False):
        return self._search.kneighbors(X, k, return_distance=return_distance)


def recorded_in_order(X, sample_weight=None, *, n_neighbors=ORDER_NEIGHBORS):
    """Whether the rows of ``X`` look recorded one after another.

    :func:`serial_window` of the rows in the neighbours model's start metric
    (each feature centered on its median and scaled by its mean absolute
    deviation, all live features weighing alike), with Euclidean neighbours
    found by brute force, on every ``ceil(n / ORDER_ROWS)``-th row: True
    when the rows' nearest neighbours lie nearer them in the row order than
    chance puts them.  :class:`skkdece.SoftmaxKDERegressor` asks it before
    letting held-out rows of the training data choose its heads, because on
    a recording those rows share the training rows' conditions and do not
    rank what new data would see.  (The neighbours model's own test,
    Manhattan on a k-d tree over every row, took 14 s on 50 000 rows of 50
    features; this one a fraction of a second.)

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense features, in the data's order.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Positive weights of the embedding's medians and deviations.
    n_neighbors : int, default=ORDER_NEIGHBORS
        Neighbours per probe row.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> walk = np.cumsum(rng.normal(size=(2000, 3)), axis=0)
    >>> recorded_in_order(walk), recorded_in_order(rng.permutation(walk))
    (True, False)
    """
    step = -(-X.shape[0] // ORDER_ROWS)
    X = X[::step]
    if sample_weight is not None:
        sample_weight = sample_weight[::step]
    embedding = NeighborEmbedding.from_data(X, sample_weight=sample_weight)
    points = weighted_points(embedding.transform(X), start_weights(embedding))
    window = serial_window(points, n_neighbors, tree=_BruteSearch(points))[0]
    return window > 0
