"""Predicted distributions: density, CDF, quantiles, intervals, sampling, aims."""

import numpy as np
import pytest
from _helpers import five_point_gradient, integrate
from numpy.testing import assert_allclose
from scipy.special import log_softmax as _log_softmax
from scipy.special import logsumexp
from scipy.stats import kstest
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import (
    KERNELS,
    KDEDistribution,
    SoftmaxKDERegressor,
    interval_likelihood,
    kde_cross_entropy,
)
from skkdece._tables._kernels import KINK_OFFSETS
from skkdece.metrics import hit_rate, log_likelihood_scorer, mean_log_likelihood

KERNEL_PERIODS = [
    (k, p) for k in KERNELS for p in (None, 360.0) if not (k == "vonmises" and not p)
]


def log_softmax(logits):
    return _log_softmax(logits, axis=1)


def random_distribution(kernel, period, n=3, M=8, seed=0):
    rng = np.random.default_rng(seed)
    if period is None:
        centers, h, start = np.linspace(-3, 3, M), 0.9, 0.0
    else:
        centers, h, start = -180 + 360 * np.arange(M) / M, 30.0, -180.0
    logw = log_softmax(rng.normal(0, 1.5, (n, M)))
    return KDEDistribution(
        logw, centers, kernel=kernel, bandwidth=h, period=period, window_start=start
    )


def kinks(dist):
    pts = dist.centers[:, None] + np.array(KINK_OFFSETS[dist.kernel]) * dist.bandwidth
    pts = np.sort(pts.ravel())
    return dist.to_window(pts) if dist.period else pts


def domain(dist):
    if dist.period:
        return dist.window_start, dist.window_start + dist.period
    reach = (
        40 if dist.kernel == "gaussian" else 800 if dist.kernel == "exponential" else 1
    )
    return (
        dist.centers.min() - reach * dist.bandwidth,
        dist.centers.max() + reach * dist.bandwidth,
    )


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_density_integrates_to_one_and_cdf_is_its_integral(kernel, period):
    dist = random_distribution(kernel, period)
    lo, hi = domain(dist)
    for i in range(len(dist)):
        row = dist[i]
        total = integrate(lambda t, row=row: row.pdf([t])[0, 0], lo, hi, kinks(dist))
        assert total == pytest.approx(1.0, abs=1e-6)
        # CDF against the integral of the density at a few points.
        for t in np.linspace(lo, hi, 7)[1:-1]:
            part = integrate(lambda s, row=row: row.pdf([s])[0, 0], lo, t, kinks(dist))
            assert row.cdf([t])[0, 0] == pytest.approx(part, abs=1e-7)


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_cdf_monotone_from_zero_to_one_and_quantiles_invert_it(kernel, period):
    dist = random_distribution(kernel, period)
    lo, hi = domain(dist)
    grid = np.linspace(lo, hi, 5001)
    cdf = dist.cdf(grid)
    assert np.all(np.diff(cdf, axis=1) >= -1e-15)
    assert_allclose(cdf[:, 0], 0.0, atol=1e-12)
    assert_allclose(cdf[:, -1], 1.0, atol=1e-12)
    levels = np.array([0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999])
    q = dist.quantiles(levels)
    assert np.all(np.diff(q, axis=1) > 0)
    for i in range(len(dist)):
        assert_allclose(dist[i].cdf(q[i])[0], levels, atol=1e-9)
    # Accurate to 1e-6 of the range: nudging by that much crosses the level.
    span = hi - lo if period else np.ptp(dist.centers) + 2 * dist.bandwidth
    for i in range(len(dist)):
        assert np.all(dist[i].cdf(q[i] - 1e-6 * span)[0] <= levels + 1e-12)
        assert np.all(dist[i].cdf(q[i] + 1e-6 * span)[0] >= levels - 1e-12)


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_samples_follow_the_density(kernel, period):
    dist = random_distribution(kernel, period, n=2, seed=1)
    draws = dist.sample(20000, random_state=0)
    assert draws.shape == (2, 20000)
    if period:
        start = dist.window_start
        assert np.all((draws >= start) & (draws < start + period))
    for i in range(2):
        p = kstest(draws[i], lambda x, i=i: dist[i].cdf(x)[0]).pvalue
        assert p > 0.001
    # Seeded draws repeat exactly.
    assert_allclose(dist.sample(5, random_state=3), dist.sample(5, random_state=3))


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_hit_probability_is_the_cdf_difference(kernel, period):
    dist = random_distribution(kernel, period)
    lo, hi = domain(dist)
    a, b = lo + 0.3 * (hi - lo), lo + 0.55 * (hi - lo)
    cdf = dist.cdf([a, b])
    assert_allclose(dist.hit_probability(a, b), cdf[:, 1] - cdf[:, 0], atol=1e-12)
    if period:
        # An arc across the seam: its two pieces inside the window add up.
        start, end = dist.window_start, dist.window_start + period
        a, b = end - 40.0, end + 25.0
        pieces = (1.0 - dist.cdf([end - 40.0])[:, 0]) + dist.cdf([start + 25.0])[:, 0]
        assert_allclose(dist.hit_probability(a, b), pieces, atol=1e-12)
        assert_allclose(
            dist.hit_probability(a - period, b - period), pieces, atol=1e-12
        )


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_mean_and_spread_match_numerical_moments(kernel, period):
    dist = random_distribution(kernel, period)
    lo, hi = domain(dist)
    pts = kinks(dist)
    for i in range(len(dist)):
        row = dist[i]

        def pdf(t, row=row):
            return row.pdf([t])[0, 0]

        if period is None:
            m = integrate(lambda t: t * pdf(t), lo, hi, pts)
            v = integrate(lambda t, m=m: (t - m) ** 2 * pdf(t), lo, hi, pts)
            assert row.mean()[0] == pytest.approx(m, abs=1e-7)
            assert row.std()[0] == pytest.approx(np.sqrt(v), rel=1e-7)
        else:
            w = 2 * np.pi / period
            c = integrate(lambda t, w=w: np.cos(w * t) * pdf(t), lo, hi, pts)
            s = integrate(lambda t, w=w: np.sin(w * t) * pdf(t), lo, hi, pts)
            mean = np.arctan2(s, c) / w
            diff = np.mod(row.mean()[0] - mean + period / 2, period) - period / 2
            assert abs(diff) < 1e-6 * period
            sd = np.sqrt(-2 * np.log(np.hypot(c, s))) / w
            assert row.std()[0] == pytest.approx(sd, rel=1e-6)


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_best_aim_maximises_the_window_mass(kernel, period):
    dist = random_distribution(kernel, period, seed=2)
    w = 0.4 * dist.bandwidth
    aim = dist.aim(w)
    lo, hi = domain(dist)
    grid = np.linspace(
        max(lo, dist.centers.min() - w), min(hi, dist.centers.max() + w), 4001
    )
    for i in range(len(dist)):
        brute = np.array([dist[i].hit_probability(t - w, t + w)[0] for t in grid[::8]])
        best = dist[i].hit_probability(aim[i] - w, aim[i] + w)[0]
        assert best >= brute.max() - 1e-9
    if period:
        assert np.all((aim >= dist.window_start) & (aim < dist.window_start + period))
    assert_allclose(dist.aim(0.0), dist.mode())


def test_shortest_arc_is_shorter_than_equal_tails_and_holds_the_coverage():
    dist = random_distribution("vonmises", 360.0, n=4, seed=3)
    arcs = dist.interval(0.8)
    assert np.all((arcs[:, 0] >= -180) & (arcs[:, 0] < 180))
    assert np.all(arcs[:, 1] - arcs[:, 0] <= 360)
    assert_allclose(dist.hit_probability(arcs[:, 0], arcs[:, 1]), 0.8, atol=1e-9)
    # No other start on a fine grid holds 0.8 in a shorter arc.
    for i in range(4):
        length = arcs[i, 1] - arcs[i, 0]
        for s in np.linspace(-180, 180, 721):
            assert dist[i].hit_probability(s, s + length * 0.995)[0] < 0.8 + 1e-9


def test_line_interval_is_equal_tailed():
    dist = random_distribution("gaussian", None)
    iv = dist.interval(0.9)
    assert_allclose(iv, dist.quantiles([0.05, 0.95]))


# ---------------------------------------------------------------------------
# Data drawn from a known model.
# ---------------------------------------------------------------------------

CENTERS = np.arange(-3.0, 4.0)  # one unit apart, three bandwidths of 0.3


def known_model_data(n, bandwidth, seed, period=None, kernel="gaussian"):
    """Seven categories, each putting ~98% of its weight on its own center.

    Centers are more than three bandwidths apart, so neither a narrower nor a
    wider kernel can mimic the true one by spreading weight over neighbours:
    the bandwidth is identifiable.  X is the one-hot category plus a noise
    feature.
    """
    rng = np.random.default_rng(seed)
    M = CENTERS.size
    cat = rng.integers(M, size=n)
    X = np.column_stack([np.eye(M)[cat], rng.normal(size=n)])
    logits = 6.0 * np.eye(M)[cat]
    start = CENTERS[0] - 0.5 if period else 0.0
    dist = KDEDistribution(
        log_softmax(logits),
        CENTERS,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
        window_start=start,
    )
    return X, dist.sample(1, random_state=seed)[:, 0], dist


def test_prediction_intervals_cover_held_out_targets():
    X, y, _ = known_model_data(3000, 0.3, seed=0)
    X_test, y_test, _ = known_model_data(4000, 0.3, seed=1)
    model = SoftmaxKDERegressor(centers=CENTERS, bandwidth=0.3).fit(X, y)
    iv = model.predict_interval(X_test, coverage=0.9)
    covered = np.mean((y_test >= iv[:, 0]) & (y_test <= iv[:, 1]))
    assert covered == pytest.approx(0.9, abs=0.02)


def test_periodic_prediction_arcs_cover_held_out_targets():
    kw = dict(period=7.0, kernel="vonmises")
    X, y, _ = known_model_data(3000, 0.4, seed=2, **kw)
    X_test, y_test, _ = known_model_data(4000, 0.4, seed=3, **kw)
    model = SoftmaxKDERegressor(centers=CENTERS, bandwidth=0.4, **kw).fit(X, y)
    arcs = model.predict_interval(X_test, coverage=0.9)
    covered = hit_rate(arcs, y_test, period=7.0)  # fraction of targets on the arcs
    assert covered == pytest.approx(0.9, abs=0.02)


def test_grid_search_over_bandwidth_finds_the_true_one():
    X, y, _ = known_model_data(1500, 0.3, seed=4)
    search = GridSearchCV(
        SoftmaxKDERegressor(centers=CENTERS),
        {"bandwidth": [0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.9]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    best = search.best_params_["bandwidth"]
    assert 0.3 / 1.5 <= best <= 0.3 * 1.5


def test_pipeline_and_cross_validation_with_interval_targets():
    X, y, _ = known_model_data(600, 0.3, seed=5)
    Y = np.column_stack([y - 0.1, y + 0.15])
    # The refit at bandwidth 0.2 needs about 1000 iterations at tol=1e-6.
    kde = SoftmaxKDERegressor(centers=16, max_iter=3000)
    pipe = Pipeline([("scale", StandardScaler()), ("kde", kde)])
    scores = cross_val_score(pipe, 10 * X + 3, Y, cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    search = GridSearchCV(pipe, {"kde__bandwidth": [0.2, 0.4]}, cv=3).fit(X, Y)
    assert search.best_estimator_.predict(X[:5]).shape == (5,)
    # The default score and the ready-made scorer agree on a bare estimator.
    model = SoftmaxKDERegressor(centers=16).fit(X, Y)
    assert log_likelihood_scorer(model, X, Y) == pytest.approx(model.score(X, Y))


def test_warm_start_speeds_a_bandwidth_sweep():
    X, y, _ = known_model_data(800, 0.3, seed=6)
    sweep = [0.25, 0.27, 0.3, 0.33, 0.36]
    cold = sum(
        SoftmaxKDERegressor(centers=CENTERS, bandwidth=h).fit(X, y).n_iter_
        for h in sweep
    )
    warm_model = SoftmaxKDERegressor(centers=CENTERS, warm_start=True)
    warm = sum(warm_model.set_params(bandwidth=h).fit(X, y).n_iter_ for h in sweep)
    assert warm < 0.8 * cold


# ---------------------------------------------------------------------------
# The interval-likelihood loss.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_interval_likelihood_value_and_gradient(kernel, period):
    rng = np.random.default_rng(7)
    M = 7
    if period is None:
        centers = np.linspace(-3, 3, M)
        lower = rng.uniform(-2.5, 2.0, 5)
        upper = np.minimum(lower + rng.uniform(0, 1.5, 5), 2.8)
    else:
        centers = -180 + period * np.arange(M) / M
        lower = rng.uniform(-180, 180, 5)
        upper = lower + rng.uniform(0, 200, 5)
    upper[0] = lower[0]  # a point target
    h = 1.1 * (centers[1] - centers[0])
    z = rng.normal(0, 1.5, (5, M))
    kw = dict(kernel=kernel, bandwidth=h, period=period)
    loss, grad = interval_likelihood(z, centers, lower, upper, **kw)
    dist = KDEDistribution(
        log_softmax(z), centers, kernel=kernel, bandwidth=h, period=period
    )
    for i in range(5):
        row = dist[i]
        if upper[i] > lower[i]:
            mass = integrate(
                lambda t, row=row: row.pdf([t])[0, 0], lower[i], upper[i], kinks(dist)
            )
            assert loss[i] == pytest.approx(-np.log(mass), rel=1e-8)
            # Cross-entropy = interval likelihood + log(b - a) + Jensen gap >= 0.
            ce = kde_cross_entropy(z[i : i + 1], centers, lower[i], upper[i], **kw)[0]
            assert ce[0] >= loss[i] + np.log(upper[i] - lower[i]) - 1e-9
        else:
            assert loss[i] == pytest.approx(-row.logpdf([lower[i]])[0, 0], rel=1e-12)

        def f(zi, i=i):
            return interval_likelihood(zi[None], centers, lower[i], upper[i], **kw)[0][
                0
            ]

        fd = five_point_gradient(f, z[i])
        assert_allclose(grad[i], fd, rtol=1e-5, atol=1e-9 * np.abs(fd).max())


def test_interval_likelihood_far_from_every_center_is_exact():
    centers = np.array([-1.0, 0.0, 1.0])
    z = np.array([[0.3, -0.2, 0.5]])
    loss, grad = interval_likelihood(z, centers, 500.0, 501.0, bandwidth=1.0)
    # Only the rightmost center matters out there; its log mass is a normal tail.
    from scipy.special import log_ndtr

    log_mass = log_ndtr(-499.0) + np.log(-np.expm1(log_ndtr(-500.0) - log_ndtr(-499.0)))
    log_S = z[0] - logsumexp(z[0])
    assert loss[0] == pytest.approx(-(log_S[2] + log_mass), rel=1e-9)
    assert grad[0, 2] == pytest.approx(np.exp(log_S[2]) - 1.0, abs=1e-12)


def test_fitting_with_the_interval_likelihood():
    X, y, _ = known_model_data(500, 0.3, seed=8)
    Y = np.column_stack([y - 0.3, y + 0.3])
    il = SoftmaxKDERegressor(centers=16, loss="interval_likelihood").fit(X, Y)
    ce = SoftmaxKDERegressor(centers=16).fit(X, Y)
    # Each is best at its own criterion.
    assert (
        il.score(X, Y) >= ce.set_params(loss="interval_likelihood").score(X, Y) - 1e-6
    )
    assert (
        ce.set_params(loss="cross_entropy").score(X, Y)
        >= SoftmaxKDERegressor(centers=16)
        .set_params(loss="cross_entropy")
        .fit(X, Y)
        .score(X, Y)
        - 1e-9
    )
    probs = il.predict_hit_probability(X, Y[:, 0], Y[:, 1])
    assert_allclose(np.log(probs), il.score_samples(X, Y), rtol=1e-10)


# ---------------------------------------------------------------------------
# Metrics and plots.
# ---------------------------------------------------------------------------


def test_hit_rate_is_wrap_aware():
    y_true = np.array([[350.0, 370.0], [-10.0, 10.0], [100.0, 120.0], [0.0, 5.0]])
    y_pred = np.array([5.0, 355.0, 130.0, 2.0])
    assert hit_rate(y_true, y_pred, period=360.0) == 0.75
    assert hit_rate(y_true, y_pred) == 0.25  # on the line only row 3 hits
    assert hit_rate(y_true, y_pred, period=360.0, sample_weight=[1, 1, 2, 0]) == 0.5
    assert hit_rate([1.0, 2.0], [1.05, 2.5], target_width=0.1) == 0.5
    with pytest.raises(ValueError, match="lower <= upper"):
        hit_rate([[2.0, 1.0]], [1.5])
    with pytest.raises(ValueError, match="at most one period"):
        hit_rate([[0.0, 400.0]], [1.5], period=360.0)


def test_metrics_work_as_scorers_in_grid_search():
    X, y, _ = known_model_data(500, 0.3, seed=9)
    Y = np.column_stack([y - 0.2, y + 0.2])
    # A loose tol: the search only carries the scorers through.
    search = GridSearchCV(
        SoftmaxKDERegressor(centers=16, tol=1e-3),
        {"bandwidth": [0.2, 0.4]},
        scoring={"ll": log_likelihood_scorer, "hits": make_scorer(hit_rate)},
        refit="ll",
        cv=3,
    ).fit(X, Y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_ll"]))
    assert np.all(
        (search.cv_results_["mean_test_hits"] >= 0)
        & (search.cv_results_["mean_test_hits"] <= 1)
    )
    model = search.best_estimator_
    dist = model.predict_distribution(X)
    assert mean_log_likelihood(Y, dist) == pytest.approx(model.score(X, Y))
    with pytest.raises(TypeError, match="predict_distribution"):
        mean_log_likelihood(Y, model.predict(X))


@pytest.mark.parametrize("period", [None, 360.0])
def test_plot_densities(tmp_path, period):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skkdece.plotting import plot_densities

    X, y, _ = known_model_data(200, 0.3, seed=10)
    if period:
        y = y * 60
    model = SoftmaxKDERegressor(centers=12, period=period).fit(X, y)
    Y = (
        np.column_stack([y[:3] - 5, y[:3] + 20])
        if period
        else np.column_stack([y[:3] - 0.2, y[:3] + 0.2])
    )
    ax = plot_densities(model, X[:3], y=Y, labels=["a", "b", "c"])
    assert ax.name == ("polar" if period else "rectilinear")
    assert len(ax.get_lines()) >= 3
    path = tmp_path / "densities.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="y must have shape"):
        plot_densities(model, X[:3], y=np.zeros((2, 2)))
