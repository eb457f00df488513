"""Kernel atoms with a bandwidth each (several scales), and quantile centers."""

import numpy as np
import pytest
from _helpers import five_point_gradient, integrate
from numpy.testing import assert_allclose, assert_array_equal
from scipy.integrate import quad
from scipy.special import log_softmax, logsumexp
from scipy.stats import kstest
from sklearn.model_selection import KFold
from sklearn.preprocessing import SplineTransformer

from skkdece import (
    KERNELS,
    KDEDistribution,
    SoftmaxKDENeighborsRegressor,
    SoftmaxKDERegressor,
    SoftmaxKDERegressorCV,
    interval_likelihood,
    kde_cross_entropy,
)
from skkdece._tables._factory import training_table
from skkdece._tables._grid import GridTable
from skkdece._tables._kernel_table import KernelTable, cross_entropy_from_table
from skkdece._tables._kernels import (
    KINK_OFFSETS,
    cumulative_mass,
    log_interval_mass,
    log_kernel,
)
from skkdece._tables._quadrature import quadrature_nodes
from skkdece._targets import TargetSummary, resolve_geometry, weighted_quantiles
from skkdece.robocode.export import to_dict

KERNEL_PERIODS = [
    (k, p)
    for k in KERNELS
    for p in (None, 2 * np.pi)
    if not (k == "vonmises" and not p)
]


def atoms(period, M=5, scales=(0.4, 1.3)):
    """``M`` centers repeated once per scale, and each atom's bandwidth."""
    if period is None:
        base = np.linspace(-3, 3, M)
    else:
        base = -np.pi + period * np.arange(M) / M
    spacing = base[1] - base[0]
    h = np.repeat(np.array(scales) * spacing, M)
    return np.tile(base, len(scales)), h


def mixture_log_density(log_w, centers, h, kernel, period, t):
    """``log sum_m w_m K_{h_m}(t - c_m)`` from the single-bandwidth kernel."""
    terms = [
        log_kernel(t - c, kernel, b, period) for c, b in zip(centers, h, strict=True)
    ]
    return logsumexp(log_w + np.array(terms))


# --------------------------------------------------------------------- kernels
@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_kernel_functions_take_a_bandwidth_per_atom(kernel, period):
    centers, h = atoms(period)
    t = np.array([[-2.0], [0.3], [1.7]])
    u = t - centers
    expect = np.array(
        [
            [log_kernel(u[i, m], kernel, h[m], period) for m in range(10)]
            for i in range(3)
        ]
    )
    assert_array_equal(log_kernel(u, kernel, h, period), expect)
    cum = np.array(
        [
            [cumulative_mass(u[i, m], kernel, h[m], period) for m in range(10)]
            for i in range(3)
        ]
    )
    assert_array_equal(cumulative_mass(u, kernel, h, period), cum)
    mass = np.array(
        [
            [
                log_interval_mass(u[i, m], u[i, m] + 0.5, kernel, h[m], period)
                for m in range(10)
            ]
            for i in range(3)
        ]
    )
    assert_array_equal(log_interval_mass(u, u + 0.5, kernel, h, period), mass)


def test_a_bandwidth_per_atom_must_match_the_atoms():
    with pytest.raises(ValueError, match="one value per atom"):
        log_kernel(np.zeros((2, 3)), "gaussian", [1.0, 2.0])


# ------------------------------------------------------------------ the loss
@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
@pytest.mark.parametrize("loss", ["cross_entropy", "interval_likelihood"])
def test_gradient_with_a_bandwidth_per_atom(kernel, period, loss):
    rng = np.random.default_rng(0)
    centers, h = atoms(period)
    n, M = 6, centers.size
    if period is None:
        lower = rng.uniform(-2.5, 2.0, n)
        upper = np.minimum(lower + rng.uniform(0, 1.5, n), 2.8)
    else:
        lower = rng.uniform(-np.pi, np.pi, n)
        upper = lower + rng.uniform(0, 2.5, n)  # some cross the seam
    upper[::3] = lower[::3]  # point targets
    logits = rng.normal(0, 1.5, (n, M))
    # The public function gives the table's values and gradients.
    public = kde_cross_entropy if loss == "cross_entropy" else interval_likelihood
    table = training_table(
        lower, upper, centers, kernel=kernel, bandwidth=h, period=period, loss=loss
    )
    loss_values, grad = cross_entropy_from_table(logits, table)
    assert_array_equal(
        public(
            logits, centers, lower, upper, kernel=kernel, bandwidth=h, period=period
        )[1],
        grad,
    )
    assert np.all(np.isfinite(loss_values))
    for i in range(n):

        def f(z, i=i):
            z_all = logits.copy()
            z_all[i] = z
            return cross_entropy_from_table(z_all, table, gradient=False)[i]

        fd = five_point_gradient(f, logits[i])
        assert_allclose(grad[i], fd, rtol=1e-5, atol=1e-9 * np.abs(fd).max())


@pytest.mark.parametrize(
    "kernel, period",
    [
        ("gaussian", None),
        ("vonmises", 2 * np.pi),
        ("epanechnikov", None),
        ("cosine", 2 * np.pi),
    ],
)
def test_cross_entropy_with_a_bandwidth_per_atom_matches_adaptive_quadrature(
    kernel, period
):
    rng = np.random.default_rng(1)
    centers, h = atoms(period, scales=(0.3, 1.0, 2.5))
    for _ in range(4):
        z = rng.normal(0, 2.0, centers.size)
        log_w = z - logsumexp(z)
        a = rng.uniform(-2.0, 0.5)
        b = a + rng.uniform(0.2, 2.5)
        loss, _ = kde_cross_entropy(
            z[None], centers, a, b, **dict(kernel=kernel, bandwidth=h, period=period)
        )
        kinks = (centers[:, None] + np.outer(h, KINK_OFFSETS[kernel])).ravel()
        if period is not None:
            kinks = np.concatenate([kinks - period, kinks, kinks + period])
        kinks = np.sort(kinks[(kinks > a) & (kinks < b)])
        ref = quad(
            lambda t, log_w=log_w: (
                -mixture_log_density(log_w, centers, h, kernel, period, t)
            ),
            a,
            b,
            points=kinks if kinks.size else None,
            limit=400,
            epsabs=0,
            epsrel=1e-12,
        )[0]
        assert loss[0] == pytest.approx(ref / (b - a), rel=1e-7)


@pytest.mark.parametrize(
    "kernel, period", [("gaussian", None), ("exponential", None), ("gaussian", 1000.0)]
)
def test_exact_when_every_atom_is_hundreds_of_bandwidths_away(kernel, period):
    centers = np.tile(np.linspace(-20, 20, 5), 2)
    h = np.repeat([0.5, 2.0], 5)
    lower = np.array([1000.0, -1200.0, 620.0])
    upper = lower + np.array([0.0, 2.5, 7.0])
    z = np.random.default_rng(4).normal(0, 2, (3, 10))
    loss, grad = kde_cross_entropy(
        z, centers, lower, upper, kernel=kernel, bandwidth=h, period=period
    )
    assert np.all(np.isfinite(loss)) and np.abs(grad).max() > 0.1
    if kernel == "gaussian" and period is None:
        # Closed form: far from every center only the widest atoms matter, and
        # -log p is a quadratic in t whose mean over the interval is exact.
        for i in range(3):
            a, b = lower[i], upper[i]
            ts = np.linspace(a, b, 7) if b > a else np.array([a])
            logp = [
                mixture_log_density(z[i] - logsumexp(z[i]), centers, h, kernel, None, t)
                for t in ts
            ]
            # log p is smooth (nearly quadratic) here: Simpson is enough.
            mean = logp[0] if b == a else np.dot([1, 4, 2, 4, 2, 4, 1], logp) / 18.0
            assert loss[i] == pytest.approx(-mean, rel=1e-9)


@pytest.mark.parametrize("periodic", [False, True])
def test_shared_grid_with_a_bandwidth_per_atom_matches_per_row_nodes(periodic):
    rng = np.random.default_rng(3)
    period = 2 * np.pi if periodic else None
    centers, h = atoms(period, M=8, scales=(0.5, 2.0))
    n = 40
    lower = rng.uniform(-2.5, 1.0, n)
    upper = lower + rng.uniform(0.5, 3.0, n)
    logits = rng.normal(0, 2.0, (n, centers.size))
    kw = dict(kernel="gaussian", bandwidth=h, period=period)
    grid = GridTable(lower, upper, centers, **kw)
    quad_nodes = quadrature_nodes(lower, upper, centers, n_quadrature=30, **kw)
    exact = KernelTable(quad_nodes, centers, **kw)
    loss_g, grad_g = cross_entropy_from_table(logits, grid)
    loss_e, grad_e = cross_entropy_from_table(logits, exact)
    assert_allclose(loss_g, loss_e, rtol=1e-8)
    assert_allclose(grad_g, grad_e, rtol=1e-6, atol=1e-9)


def test_box_atoms_take_a_single_bandwidth():
    with pytest.raises(ValueError, match="single bandwidth"):
        KDEDistribution(
            np.log([[0.5, 0.5]]),
            [0.0, 1.0],
            kernel="gaussian",
            bandwidth=[0.1, 0.2],
            half_widths=[0.5, 0.5],
        )


# ------------------------------------------------------------ distributions
def multiscale_distribution(kernel, period, n=3, seed=0):
    rng = np.random.default_rng(seed)
    centers, h = atoms(period, scales=(0.3, 1.2))
    log_w = log_softmax(rng.normal(0, 1.5, (n, centers.size)), axis=1)
    start = -np.pi if period else 0.0
    return KDEDistribution(
        log_w, centers, kernel=kernel, bandwidth=h, period=period, window_start=start
    )


def support(dist):
    if dist.period:
        return dist.window_start, dist.window_start + dist.period
    reach = {"gaussian": 40, "exponential": 800}.get(dist.kernel, 1)
    h = np.max(dist.bandwidth)
    return dist.centers.min() - reach * h, dist.centers.max() + reach * h


def kink_points(dist):
    pts = dist.centers[:, None] + np.outer(dist.bandwidth, KINK_OFFSETS[dist.kernel])
    pts = np.sort(np.append(pts.ravel(), dist.centers))
    return dist.to_window(pts) if dist.period else pts


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_multiscale_density_integrates_to_one_and_is_the_mixture(kernel, period):
    dist = multiscale_distribution(kernel, period)
    lo, hi = support(dist)
    for i in range(len(dist)):
        row = dist[i]
        total = integrate(
            lambda t, row=row: row.pdf([t])[0, 0], lo, hi, kink_points(dist)
        )
        assert total == pytest.approx(1.0, abs=1e-6)
        t = np.linspace(max(lo, -4), min(hi, 4), 9)
        expect = [
            mixture_log_density(
                row.log_weights[0], row.centers, row.bandwidth, kernel, period, s
            )
            for s in t
        ]
        assert_allclose(row.logpdf(t)[0], expect, rtol=1e-12, atol=1e-12)
        mid = 0.5 * (lo + hi)
        part = integrate(
            lambda s, row=row: row.pdf([s])[0, 0], lo, mid, kink_points(dist)
        )
        assert row.cdf([mid])[0, 0] == pytest.approx(part, abs=1e-7)


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_multiscale_quantiles_moments_and_samples(kernel, period):
    dist = multiscale_distribution(kernel, period, n=2, seed=1)
    levels = np.array([0.05, 0.3, 0.5, 0.9])
    q = dist.quantiles(levels)
    for i in range(2):
        assert_allclose(dist[i].cdf(q[i])[0], levels, atol=1e-9)
    lo, hi = support(dist)
    pts = kink_points(dist)
    row = dist[0]

    def pdf(t):
        return row.pdf([t])[0, 0]

    if period is None:
        m = integrate(lambda t: t * pdf(t), lo, hi, pts)
        v = integrate(lambda t: (t - m) ** 2 * pdf(t), lo, hi, pts)
        assert row.mean()[0] == pytest.approx(m, abs=1e-7)
        assert row.std()[0] == pytest.approx(np.sqrt(v), rel=1e-7)
    else:
        c = integrate(lambda t: np.cos(t) * pdf(t), lo, hi, pts)
        s = integrate(lambda t: np.sin(t) * pdf(t), lo, hi, pts)
        diff = np.mod(row.mean()[0] - np.arctan2(s, c) + np.pi, 2 * np.pi) - np.pi
        assert abs(diff) < 1e-6
        assert row.std()[0] == pytest.approx(
            np.sqrt(-2 * np.log(np.hypot(c, s))), rel=1e-6
        )
    draws = dist.sample(20000, random_state=0)
    for i in range(2):
        assert kstest(draws[i], lambda x, i=i: dist[i].cdf(x)[0]).pvalue > 0.001


@pytest.mark.parametrize(
    "kernel, period",
    [("gaussian", None), ("vonmises", 2 * np.pi), ("epanechnikov", None)],
)
def test_multiscale_mode_and_aim_beat_a_fine_grid(kernel, period):
    dist = multiscale_distribution(kernel, period, seed=2)
    lo, hi = (-np.pi, np.pi) if period else (-4.0, 4.0)
    grid = np.linspace(lo, hi, 20001)
    dens = dist.logpdf(grid)
    mode = dist.mode()
    assert np.all(dist.logpdf_rows(mode) >= dens.max(axis=1) - 1e-9)
    w = 0.2
    aim = dist.aim(w)
    centers = grid[::20]
    brute = dist.cdf(centers + w) - dist.cdf(centers - w)
    if period:
        brute = np.mod(brute, 1.0)  # windows across the seam
    best = dist.hit_probability(aim - w, aim + w)
    assert np.all(best >= brute.max(axis=1) - 1e-9)


# ----------------------------------------------------------------- geometry
def summary_of(y, period=None, w=None):
    w = np.ones_like(y) if w is None else w
    return TargetSummary.from_targets(y, y, w, period=period)


def test_bandwidth_list_makes_every_center_bandwidth_pair_an_atom():
    y = np.random.default_rng(0).normal(size=200)
    g = resolve_geometry(
        summary_of(y), centers=6, bandwidth=[0.1, 0.4], kernel="gaussian"
    )
    one = resolve_geometry(summary_of(y), centers=6, bandwidth=0.1, kernel="gaussian")
    assert_array_equal(g.centers, np.tile(one.centers, 2))
    assert_array_equal(g.bandwidth, np.repeat([0.1, 0.4], 6))
    assert g.n_scales == 2
    # Multipliers of the rule, the CV estimator's convention.
    rule = resolve_geometry(
        summary_of(y), centers=6, bandwidth="scott", kernel="gaussian"
    ).bandwidth
    m = resolve_geometry(
        summary_of(y), centers=6, bandwidth=("scott", [0.5, 2.0]), kernel="gaussian"
    )
    assert_allclose(np.unique(m.bandwidth), [0.5 * rule, 2.0 * rule], rtol=1e-15)
    # One value in a list is the single-bandwidth model.
    single = resolve_geometry(
        summary_of(y), centers=6, bandwidth=[0.1], kernel="gaussian"
    )
    assert single.bandwidth == 0.1 and single.centers.shape == (6,)


@pytest.mark.parametrize(
    "bandwidth, match",
    [
        ([0.1, 0.1], "distinct"),
        ([0.1, -1.0], "finite and > 0"),
        ([[0.1, 0.2]], "1-D"),
        ([], "non-empty"),
        (("median", [1.0, 2.0]), "rule 'scott' or 'silverman'"),
        (("scott", [0.0, 2.0]), "multipliers of the rule must be finite"),
        (["a", "b", "c"], "bandwidth must be a positive float"),
    ],
)
def test_bad_bandwidth_lists_get_clear_errors(bandwidth, match):
    X = np.zeros((20, 1))
    y = np.linspace(0, 1, 20)
    with pytest.raises(ValueError, match=match):
        SoftmaxKDERegressor(bandwidth=bandwidth, centers=4).fit(X, y)


def test_quantile_centers_follow_the_targets():
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.normal(0, 0.1, 900), rng.normal(0, 5, 100)])
    w = rng.uniform(0.5, 2.0, y.size)
    s = summary_of(y, w=w)
    g = resolve_geometry(
        s,
        centers=9,
        bandwidth=0.2,
        kernel="gaussian",
        placement="quantile",
        targets=(y, w),
    )
    assert g.centers[0] == pytest.approx(y.min() - 0.2)
    assert g.centers[-1] == pytest.approx(y.max() + 0.2)
    levels = np.arange(1, 8) / 8
    assert_allclose(g.centers[1:-1], weighted_quantiles(y, w, levels))
    # Each level's share of the weight lies below its center (to one row).
    for c, level in zip(g.centers[1:-1], levels, strict=True):
        assert abs(w[y <= c].sum() / w.sum() - level) < 2.0 / y.size
    # Most centers sit in the narrow bulk, where evenly spaced ones do not.
    even = resolve_geometry(s, centers=9, bandwidth=0.2, kernel="gaussian")
    assert np.sum(np.abs(g.centers) < 0.3) >= 5
    assert np.sum(np.abs(even.centers) < 0.3) <= 1


def test_quantile_centers_on_a_circle_wrap_into_the_window():
    rng = np.random.default_rng(1)
    y = np.mod(rng.normal(350.0, 10.0, 500), 360.0)  # across the seam
    g = resolve_geometry(
        summary_of(y, 360.0),
        centers=8,
        bandwidth=5.0,
        kernel="vonmises",
        placement="quantile",
        targets=(y, np.ones(y.size)),
    )
    assert np.all((g.centers >= 0) & (g.centers < 360))
    dist_to_bulk = np.abs(np.mod(g.centers - 350 + 180, 360) - 180)
    assert np.all(dist_to_bulk < 35)


def test_weighted_quantiles_are_those_of_repeated_rows():
    rng = np.random.default_rng(2)
    v = rng.normal(size=51)
    levels = np.linspace(0.0, 1.0, 9)
    assert_array_equal(
        weighted_quantiles(v, np.ones(51), levels),
        np.quantile(v, levels, method="inverted_cdf"),
    )
    k = rng.integers(1, 4, 51)
    assert_array_equal(
        weighted_quantiles(v, k.astype(float), levels),
        weighted_quantiles(np.repeat(v, k), np.ones(k.sum()), levels),
    )


# ---------------------------------------------------------------- estimator
def heteroscedastic(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 1))
    scale = 0.05 * (1 + 8 * np.abs(X[:, 0]))
    return X, X[:, 0] + scale * rng.normal(size=n)


def test_one_bandwidth_in_a_list_is_bit_identical_to_the_float():
    X, y = heteroscedastic(300, 0)
    a = SoftmaxKDERegressor(centers=10, bandwidth=0.2).fit(X, y)
    b = SoftmaxKDERegressor(centers=10, bandwidth=[0.2]).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    assert b.bandwidth_ == 0.2


def test_multiscale_fit_has_atoms_and_learns_the_changing_spread():
    X, y = heteroscedastic(600, 0)
    Xt, yt = heteroscedastic(4000, 1)
    splines = SplineTransformer(n_knots=5).fit(X)
    S, St = splines.transform(X), splines.transform(Xt)
    single = [
        SoftmaxKDERegressor(centers=32, bandwidth=h, alpha=1e-5).fit(S, y).score(St, yt)
        for h in (0.08, 0.15)
    ]
    hs = [0.05, 0.15, 0.4]
    multi = SoftmaxKDERegressor(centers=32, bandwidth=hs, alpha=1e-5).fit(S, y)
    assert multi.coef_.shape == (96, S.shape[1])
    assert multi.centers_.shape == multi.bandwidth_.shape == (96,)
    assert_array_equal(multi.bandwidth_, np.repeat(hs, 32))
    assert multi.score(St, yt) > max(single) + 0.01
    # Sharp rows (x = 0, sd 0.05) lean on the narrow atoms, wide ones do not.
    edge = splines.transform([[0.0], [0.95]])
    narrow = multi.predict_weights(edge)[:, :32].sum(axis=1)
    assert narrow[0] > 0.9 > 0.5 > narrow[1]
    std = multi.predict_std(edge)
    assert std[1] > 3 * std[0]


def test_multiscale_model_predicts_on_a_circle_and_samples():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 1))
    y = np.mod(90 * X[:, 0] + (5 + 30 * np.abs(X[:, 0])) * rng.normal(size=400), 360)
    model = SoftmaxKDERegressor(
        centers=12, bandwidth=("scott", [0.5, 2.0]), period=360.0, kernel="vonmises"
    ).fit(X, y)
    assert model.bandwidth_.shape == (24,)
    draws = model.sample(X[:3], 50, random_state=0)
    assert draws.shape == (3, 50) and np.all((draws >= 0) & (draws < 360))
    assert np.all(np.isfinite(model.predict_interval(X[:3], 0.8)))
    assert np.isfinite(model.score(X, y))


def test_quantile_placement_in_the_estimator():
    X, y = heteroscedastic(400, 0)
    model = SoftmaxKDERegressor(
        centers=8, bandwidth=[0.05, 0.2], placement="quantile"
    ).fit(X, y)
    c = model.centers_[:8]
    assert_array_equal(model.centers_[8:], c)
    assert_allclose(
        c[1:-1], weighted_quantiles(y, np.ones(y.size), np.arange(1, 7) / 7)
    )
    assert c[0] == pytest.approx(y.min() - 0.05)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sample_weight_moves_quantile_centers_like_repetition():
    X, y = heteroscedastic(200, 2)
    w = np.random.default_rng(0).integers(0, 3, 200)
    a = SoftmaxKDERegressor(centers=7, placement="quantile", max_iter=5).fit(
        X, y, sample_weight=w
    )
    rep = np.repeat(np.arange(200), w)
    b = SoftmaxKDERegressor(centers=7, placement="quantile", max_iter=5).fit(
        X[rep], y[rep]
    )
    assert_allclose(a.centers_, b.centers_, rtol=1e-12)


def test_export_refuses_several_bandwidths():
    X, y = heteroscedastic(100, 0)
    model = SoftmaxKDERegressor(centers=4, bandwidth=[0.1, 0.3]).fit(X, y)
    with pytest.raises(ValueError, match="several bandwidths"):
        to_dict(model)


def test_neighbours_model_takes_one_bandwidth():
    X, y = heteroscedastic(100, 0)
    with pytest.raises(ValueError, match="bandwidth"):
        SoftmaxKDENeighborsRegressor(bandwidth=[0.1, 0.3]).fit(X, y)


# ------------------------------------------------------------- CV estimator
SETS = [0.1, [0.05, 0.3], [0.03, 0.1, 0.4]]


def test_cv_scores_sets_of_bandwidths_as_separate_fits_do():
    X, y = heteroscedastic(300, 3)
    folds = list(KFold(3).split(X))
    cv = SoftmaxKDERegressorCV(
        alphas=[1e-3], bandwidths=SETS, centers=10, cv=folds, tol=1e-8, path_tol=1e-8
    ).fit(X, y)
    assert cv.bandwidths_[0] == 0.1
    assert_array_equal(cv.bandwidths_[2], [0.03, 0.1, 0.4])
    for f, (train, test) in enumerate(folds):
        for j, b in enumerate(SETS):
            # A fold's penalty is the penalty for all rows, scaled to its own.
            alpha = 1e-3 * len(X) / len(train)
            alone = SoftmaxKDERegressor(bandwidth=b, alpha=alpha, centers=10, tol=1e-8)
            score = alone.fit(X[train], y[train]).score(X[test], y[test])
            assert cv.scores_[f, j, 0] == pytest.approx(score, rel=1e-9)
    # The refit is the plain estimator with the chosen set.
    j = cv.best_index_[0]
    final = SoftmaxKDERegressor(bandwidth=SETS[j], alpha=1e-3, centers=10, tol=1e-8)
    final.fit(X, y)
    assert_array_equal(cv.coef_, final.coef_)
    assert_array_equal(cv.bandwidth_, final.bandwidth_)
    assert_array_equal(cv.centers_, final.centers_)


def test_cv_prefers_a_set_where_the_spread_changes_and_refit_false_works():
    X, y = heteroscedastic(400, 4)
    cv = SoftmaxKDERegressorCV(
        alphas=[1e-4], bandwidths=[0.1, [0.03, 0.3]], centers=24, cv=3
    ).fit(X, y)
    assert cv.best_index_ == (1, 0)
    assert cv.bandwidth_.shape == cv.centers_.shape == (48,)
    fixed = SoftmaxKDERegressorCV(
        alphas=[1e-4],
        bandwidths=[0.1, [0.03, 0.3]],
        centers=24,
        cv=3,
        refit=False,
        placement="quantile",
    ).fit(X, y)
    assert fixed.coef_.shape == (48, 1)
    assert_array_equal(fixed.centers_[:24], fixed.centers_[24:])
    assert np.all(np.isfinite(fixed.predict_std(X[:5])))


@pytest.mark.parametrize(
    "bandwidths, match",
    [
        ([0.1, [0.2, 0.2]], "must be distinct"),
        ([[0.1, -1.0]], "finite and > 0"),
        ([0.1, ("scott", [1.0, 2.0])], "absolute values"),
        ([0.1, [[0.1]]], "1-D"),
    ],
)
def test_cv_rejects_bad_sets(bandwidths, match):
    X, y = heteroscedastic(60, 0)
    with pytest.raises(ValueError, match=match):
        SoftmaxKDERegressorCV(bandwidths=bandwidths, alphas=1, cv=2, centers=4).fit(
            X, y
        )
