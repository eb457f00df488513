"""The neighbours model's data-driven defaults (issue 25, items 1 and 2).

``exclude_adjacent="auto"``: the window measured from the row order
(:mod:`skkdece._serial`); ``bandwidth="auto"``: the bandwidth of the best
leave-one-out score (:func:`skkdece._bandwidth.loo_bandwidth`).
"""

import warnings

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.special import log_softmax, logsumexp
from scipy.stats import norm
from sklearn.neighbors import NearestNeighbors

import skkdece._neighbors_regressor as nr
from skkdece import SoftmaxKDENeighborsRegressor, _serial
from skkdece._neighbors import search_tree
from skkdece._serial import lag_excess, serial_window
from skkdece.datasets import load_robocode_waves


def recording(n=1500, seed=0):
    """A slow random walk in two features, the target following it."""
    rng = np.random.default_rng(seed)
    X = np.cumsum(rng.normal(scale=0.05, size=(n, 2)), axis=0)
    X += rng.normal(scale=0.01, size=X.shape)
    y = np.sin(3 * X[:, 0]) + 0.3 * np.cumsum(rng.normal(scale=0.05, size=n))
    return X, y


# ------------------------------------------------------------- serial window
def test_lag_excess_matches_brute_force():
    rng = np.random.default_rng(1)
    n, k = 40, 3
    probes = np.array([0, 7, 20, 39])
    lags = rng.integers(1, 15, size=(probes.size, k))
    windows, excess, deviation = lag_excess(lags, probes, n)
    assert np.all(np.diff(windows) > 0)
    for w, x, sd in zip(windows, excess, deviation, strict=True):
        observed = np.sum(lags <= w)
        # The chance that a random other row lies within w, probe by probe.
        chance = [
            np.sum((np.abs(np.arange(n) - i) <= w) & (np.arange(n) != i)) / (n - 1)
            for i in probes
        ]
        expected = k * np.sum(chance)
        assert x == pytest.approx(observed - expected, rel=1e-12, abs=1e-12)
        assert sd == pytest.approx(np.sqrt(k * expected), rel=1e-12)


def test_serial_window_finds_a_recording_and_not_a_shuffle():
    X, _ = recording()
    window, near, chance = serial_window(X, 16)
    assert window > 0 and near > 5 * chance
    rng = np.random.default_rng(2)
    for seed in range(5):
        shuffled = np.random.default_rng(seed).permutation(X)
        assert serial_window(shuffled, 16) == (0, 0.0, 0.0)
    assert serial_window(rng.normal(size=(3000, 4)), 32)[0] == 0


class _BruteManhattan:
    """The search tree's place in :mod:`skkdece._serial`: every Manhattan
    distance, ties to the lower row."""

    def __init__(self, points):
        self.points = points

    def query(self, queries, k, return_distance):
        assert not return_distance
        d = np.abs(queries[:, None, :] - self.points[None]).sum(axis=2)
        return np.argsort(d, axis=1, kind="stable")[:, :k]


def test_serial_window_from_a_shared_tree_is_the_exact_neighbours_window(
    monkeypatch,
):
    X, _ = recording(n=800)
    own = serial_window(X, 16)
    shared = serial_window(X, 16, tree=search_tree(X))
    monkeypatch.setattr(_serial, "search_tree", _BruteManhattan)
    assert own == shared == serial_window(X, 16)
    assert own[0] > 0
    monkeypatch.undo()
    # Ties everywhere (a walk on the integers): the shared tree is the tree
    # the test would build, so it breaks them the same way.
    steps = np.random.default_rng(5).integers(-1, 2, size=(3000, 2))
    walk = np.cumsum(steps, axis=0).astype(np.float64)
    window = serial_window(walk, 16)
    assert window[0] > 0
    assert serial_window(walk, 16, tree=search_tree(walk)) == window


def test_the_serial_test_and_the_first_round_share_one_tree(monkeypatch):
    built = []
    build = nr.search_tree
    monkeypatch.setattr(nr, "search_tree", lambda p: built.append(p) or build(p))
    X, y = recording()
    with pytest.warns(UserWarning, match="time-ordered"):
        model = SoftmaxKDENeighborsRegressor(n_neighbors=16).fit(X, y)
    assert model.exclude_adjacent_ > 0
    assert len(built) == model.n_rounds == 2
    # Rows given as groups: no serial test, one tree a round as before.
    built.clear()
    SoftmaxKDENeighborsRegressor(n_neighbors=16).fit(
        X, y, groups=np.arange(X.shape[0]) // 100
    )
    assert len(built) == 2


# ------------------------------------------------------- exclude_adjacent=auto
def fit_recorded(model, X, y, **fit_params):
    """Fit, keeping each round's training neighbours and their window."""
    rounds = []
    search = nr.training_neighbors

    def recorded(points, n_neighbors, *, groups=None, exclude_adjacent=0, **kw):
        out = search(
            points, n_neighbors, groups=groups, exclude_adjacent=exclude_adjacent, **kw
        )
        rounds.append((out, exclude_adjacent))
        return out

    nr.training_neighbors = recorded
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y, **fit_params)
    finally:
        nr.training_neighbors = search
    return rounds, [str(w.message) for w in caught]


def test_time_ordered_rows_keep_their_window_apart():
    X, y = recording()
    model = SoftmaxKDENeighborsRegressor(n_neighbors=16)
    rounds, messages = fit_recorded(model, X, y)
    window = model.exclude_adjacent_
    assert window > 0
    assert len(rounds) == model.n_rounds
    rows = np.arange(X.shape[0])[:, None]
    for neighbors, used in rounds:
        assert used == window
        assert np.min(np.abs(neighbors - rows)) > window
    [message] = [m for m in messages if "time-ordered" in m]
    assert f"exclude_adjacent='auto' chose {window}" in message
    assert "groups" in message


def test_shuffled_rows_no_exclusion_no_warning_same_fit():
    X, y = recording()
    order = np.random.default_rng(3).permutation(X.shape[0])
    X, y = X[order], y[order]
    auto = SoftmaxKDENeighborsRegressor(n_neighbors=16)
    rounds, messages = fit_recorded(auto, X, y)
    assert auto.exclude_adjacent_ == 0
    assert not [m for m in messages if "time-ordered" in m]
    assert all(used == 0 for _, used in rounds)
    zero = SoftmaxKDENeighborsRegressor(n_neighbors=16, exclude_adjacent=0).fit(X, y)
    assert auto.sharpness_ == zero.sharpness_
    np.testing.assert_array_equal(auto.metric_weights_, zero.metric_weights_)
    assert auto.bandwidth_ == zero.bandwidth_
    assert auto.objective_ == zero.objective_


def test_groups_and_an_explicit_window_win():
    X, y = recording()
    groups = np.repeat(np.arange(10), X.shape[0] // 10)
    model = SoftmaxKDENeighborsRegressor(n_neighbors=16)
    rounds, messages = fit_recorded(model, X, y, groups=groups)
    assert model.exclude_adjacent_ == 0 and all(u == 0 for _, u in rounds)
    assert not [m for m in messages if "time-ordered" in m]
    model = SoftmaxKDENeighborsRegressor(n_neighbors=16, exclude_adjacent=3)
    rounds, messages = fit_recorded(model, X, y)
    assert model.exclude_adjacent_ == 3 and all(u == 3 for _, u in rounds)
    assert not [m for m in messages if "time-ordered" in m]


def test_the_window_leaves_every_row_its_neighbours():
    # A short recording: the measured window is capped so that k is kept.
    X, y = recording(n=120)
    model = SoftmaxKDENeighborsRegressor(n_neighbors=40, n_rounds=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    assert model.n_neighbors_ == 40
    assert model.exclude_adjacent_ <= (120 - 1 - 40) // 2


def real_waves(opponent="sample.Crazy"):
    waves = load_robocode_waves()
    rows = np.flatnonzero(waves.opponent == opponent)
    rows = rows[
        np.lexsort((waves.fire_time[rows], waves.round[rows], waves.battle[rows]))
    ]
    battle = waves.battle[rows]
    first, second = (rows[battle == b] for b in np.unique(battle)[:2])
    return (
        waves.data[first],
        waves.target[first],
        waves.round[first],
        waves.data[second],
        waves.target[second],
    )


def test_real_waves_without_groups_score_as_with_them():
    # The time-ordered recording of one battle, held out on the next: the
    # default fit (no groups) within 0.01 nats of the fit given the rounds.
    X, y, rounds, X_test, y_test = real_waves()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        auto = SoftmaxKDENeighborsRegressor().fit(X, y)
    grouped = SoftmaxKDENeighborsRegressor().fit(X, y, groups=rounds)
    zero = SoftmaxKDENeighborsRegressor(exclude_adjacent=0).fit(X, y)
    assert auto.exclude_adjacent_ > 0
    assert auto.score(X_test, y_test) > grouped.score(X_test, y_test) - 0.01
    # ... where ignoring the order costs far more.
    assert zero.score(X_test, y_test) < grouped.score(X_test, y_test) - 0.05


# ------------------------------------------------------------ bandwidth=auto
def loo_score(h, log_w, centers, t, weight):
    """Mean leave-one-out log density of point targets, gaussian kernel."""
    z = (t[:, None] - centers) / h
    log_k = -0.5 * z**2 - np.log(h * np.sqrt(2 * np.pi))
    return weight @ logsumexp(log_w + log_k, axis=1)


@pytest.mark.parametrize("rule", [0.5, 8.0])
def test_loo_bandwidth_is_the_best_on_a_fine_grid(rule):
    # rule=8: the best bandwidth lies below the first bracket, [rule / 10,
    # 2 rule], which the search extends downwards.
    rng = np.random.default_rng(4)
    n, k = 300, 12
    E = rng.normal(size=(n, 3))
    t = 2 * E[:, 0] + rng.normal(scale=0.3, size=n)
    # Each row's nearest other rows in the metric below.
    metric = np.array([0.6, 0.3, 0.1])
    tree = NearestNeighbors(metric="manhattan").fit(E * metric)
    neighbors = tree.kneighbors(E * metric, k + 1, return_distance=False)[:, 1:]
    params = nr.NeighborLogits.pack(1.5, metric)
    weight = rng.uniform(0.5, 1.5, size=n)
    h = nr.loo_bandwidth(
        params,
        E,
        neighbors,
        t,
        t,
        t,
        None,
        None,
        weight,
        kernel="gaussian",
        period=None,
        window_start=0.0,
        rule=rule,
    )
    s, v = nr.NeighborLogits.unpack(params)
    gaps = np.abs(E[:, None, :] - E[neighbors]) @ v
    log_w = log_softmax(-s * gaps, axis=1)
    grid = np.exp(np.linspace(np.log(rule / 1000), np.log(2 * rule), 4001))
    scores = [loo_score(g, log_w, t[neighbors], t, weight / weight.sum()) for g in grid]
    best = grid[int(np.argmax(scores))]
    assert rule / 1000 < best < 2 * rule  # an interior maximum
    assert (best < rule / 10) == (rule == 8.0)
    assert h == pytest.approx(best, rel=0.04)
    assert loo_score(h, log_w, t[neighbors], t, weight / weight.sum()) == pytest.approx(
        max(scores), abs=1e-4
    )


def reference_loo(h, log_w, centers, half, lower, upper, weight, period):
    """The leave-one-out score by brute force: a 401-node trapezoid over each
    interval of the mean log density of boxes smoothed by a gaussian, wrapped
    over five periods on a circle."""
    shifts = [0.0] if period is None else period * np.arange(-2, 3)
    nodes = np.linspace(0.0, 1.0, 401)
    t = lower[:, None] + (upper - lower)[:, None] * nodes  # (n, nodes)
    gap = t[:, None, :] - centers[:, :, None]  # (n, k, nodes)
    dens = 0.0
    for shift in shifts:
        u = gap + shift
        if half is None:
            dens = dens + norm.pdf(u / h) / h
        else:
            hw = half[:, :, None]
            dens = dens + (norm.cdf((u + hw) / h) - norm.cdf((u - hw) / h)) / (2 * hw)
    with np.errstate(divide="ignore"):  # far from every box at tiny h: -inf
        log_p = np.log(np.sum(np.exp(log_w)[:, :, None] * dens, axis=1))
    mean = trapezoid(log_p, nodes, axis=1) if np.any(upper > lower) else log_p[:, 0]
    return weight @ mean


@pytest.mark.parametrize("period", [None, 2 * np.pi])
@pytest.mark.parametrize("targets", ["point", "interval"])
def test_loo_bandwidth_on_intervals_and_circles(targets, period):
    rng = np.random.default_rng(6)
    n, k = 100, 6
    E = rng.normal(size=(n, 2))
    mid = 1.2 * E[:, 0] + rng.normal(scale=0.25, size=n)
    if period is not None:
        mid = np.mod(mid, period) - np.pi
    width = rng.uniform(0.1, 0.4, size=n) if targets == "interval" else np.zeros(n)
    lower, upper = mid - width / 2, mid + width / 2
    metric = np.array([0.8, 0.2])
    tree = NearestNeighbors(metric="manhattan").fit(E * metric)
    neighbors = tree.kneighbors(E * metric, k + 1, return_distance=False)[:, 1:]
    half = None if targets == "point" else width / 2
    params = nr.NeighborLogits.pack(2.0, metric)
    weight = np.full(n, 1.0 / n)
    rule = 0.4
    h = nr.loo_bandwidth(
        params,
        E,
        neighbors,
        lower,
        upper,
        mid,
        half,
        None,
        weight,
        kernel="gaussian",
        period=period,
        window_start=-np.pi if period else 0.0,
        rule=rule,
    )
    s, v = nr.NeighborLogits.unpack(params)
    log_w = log_softmax(-s * (np.abs(E[:, None, :] - E[neighbors]) @ v), axis=1)
    near_half = None if half is None else half[neighbors]

    def score(g):
        return reference_loo(
            g, log_w, mid[neighbors], near_half, lower, upper, weight, period
        )

    # The reference's maximum: a grid of 41 over the bracket, then 41 within
    # a step of its best point (a resolution of 0.25%).
    log_grid = np.linspace(np.log(rule / 30), np.log(2 * rule), 41)
    coarse = log_grid[int(np.argmax([score(np.exp(g)) for g in log_grid]))]
    step = log_grid[1] - log_grid[0]
    grid = np.exp(np.linspace(coarse - step, coarse + step, 41))
    scores = [score(g) for g in grid]
    best = grid[int(np.argmax(scores))]
    assert rule / 30 < best < 2 * rule
    assert h == pytest.approx(best, rel=0.04)
    assert score(h) == pytest.approx(max(scores), abs=2e-4)


def test_auto_bandwidth_is_narrower_than_the_marginal_rule():
    # sign(x0 x1) + N(0, 0.15^2): the marginal rule sees two modes a
    # distance 2 apart; the conditional spread is 0.15.
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, size=(1500, 2))
    y = np.sign(X[:, 0] * X[:, 1]) + rng.normal(scale=0.15, size=1500)
    auto = SoftmaxKDENeighborsRegressor().fit(X[:1000], y[:1000])
    scott = SoftmaxKDENeighborsRegressor(bandwidth="scott").fit(X[:1000], y[:1000])
    assert auto.bandwidth_ < 0.6 * scott.bandwidth_
    assert auto.score(X[1000:], y[1000:]) > scott.score(X[1000:], y[1000:]) + 0.05


def test_a_fixed_bandwidth_is_kept():
    X, y = recording(n=300)
    model = SoftmaxKDENeighborsRegressor(bandwidth=0.123, exclude_adjacent=0)
    assert model.fit(X, y).bandwidth_ == 0.123
