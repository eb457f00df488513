"""The shared parts of the model family: targets, objective, solver, distributions.

Each part is tested on its own, through the seams a second model will use:
per-row centers in :class:`KDEDistribution` against a loop of shared-center
distributions, a logits model other than the linear one plugged into
:class:`BlockedObjective`, partial target summaries against whole ones, and
warm starts of the solver.
"""

import warnings

import numpy as np
import pytest
from _helpers import five_point_gradient
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import log_softmax
from scipy.stats import kstest
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

from skkdece import KERNELS, KDEDistribution, SoftmaxKDERegressor
from skkdece._objective import BlockedObjective
from skkdece._solver import minimize_lbfgs
from skkdece._tables._factory import training_table
from skkdece._targets import TargetSummary, resolve_geometry, split_targets

KERNEL_PERIODS = [
    (k, p) for k in KERNELS for p in (None, 360.0) if not (k == "vonmises" and not p)
]


# ---------------------------------------------------------------------------
# KDEDistribution with per-row centers equals a loop of shared-center ones.
# ---------------------------------------------------------------------------
def per_row_distribution(kernel, period, n=4, M=5, seed=0):
    rng = np.random.default_rng(seed)
    if period is None:
        centers = np.sort(rng.uniform(-3, 3, (n, M)), axis=1)
        h, start = 0.7, 0.0
    else:
        centers = rng.uniform(-180, 180, (n, M))
        h, start = 30.0, -180.0
    logw = log_softmax(rng.normal(0, 1.5, (n, M)), axis=1)
    return KDEDistribution(
        logw, centers, kernel=kernel, bandwidth=h, period=period, window_start=start
    )


def row(dist, i):
    """Row ``i`` as a distribution with shared (1-D) centers."""
    return KDEDistribution(
        dist.log_weights[i : i + 1],
        dist.centers[i],
        kernel=dist.kernel,
        bandwidth=dist.bandwidth,
        period=dist.period,
        window_start=dist.window_start,
    )


def looped(dist, method, *args, **kwargs):
    return np.concatenate(
        [
            np.atleast_1d(getattr(row(dist, i), method)(*args, **kwargs))
            for i in range(len(dist))
        ]
    )


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_per_row_centers_equal_a_loop_of_shared_center_distributions(kernel, period):
    dist = per_row_distribution(kernel, period)
    assert not dist.shared_centers
    n = len(dist)
    scale = 1.0 if period is None else 60.0
    grid = scale * np.linspace(-4.0, 4.0, 41)
    t = scale * np.linspace(-2.0, 2.0, n)
    lower, upper = t - 0.3 * scale, t + 0.4 * scale

    assert_allclose(dist.logpdf(grid), looped(dist, "logpdf", grid), rtol=1e-12)
    assert_allclose(dist.pdf(grid), looped(dist, "pdf", grid), rtol=1e-12, atol=0)
    assert_allclose(
        dist.logpdf_rows(t),
        [row(dist, i).logpdf_rows(t[i : i + 1])[0] for i in range(n)],
        rtol=1e-12,
    )
    assert_allclose(dist.cdf(grid), looped(dist, "cdf", grid), atol=1e-13)
    q = [0.05, 0.5, 0.9]
    assert_allclose(dist.quantiles(q), looped(dist, "quantiles", q), atol=1e-9)
    assert_allclose(dist.interval(0.8), looped(dist, "interval", 0.8), atol=1e-6)
    for loss in ("cross_entropy", "interval_likelihood"):
        assert_allclose(
            dist.log_likelihood(lower, upper, loss=loss),
            [
                row(dist, i).log_likelihood(lower[i], upper[i], loss=loss)[0]
                for i in range(n)
            ],
            rtol=1e-12,
        )
    assert_allclose(
        dist.hit_probability(lower, upper),
        [row(dist, i).hit_probability(lower[i], upper[i])[0] for i in range(n)],
        rtol=1e-12,
    )
    assert_allclose(dist.mean(), looped(dist, "mean"), rtol=1e-12, atol=1e-12)
    assert_allclose(dist.std(), looped(dist, "std"), rtol=1e-12)
    # Maxima: the same value of the maximised function (the location of a
    # flat top is only defined to about sqrt(eps) of its width).
    for w in (0.0, 0.25 * scale):
        aim = dist.aim(w)
        ref = looped(dist, "aim", w)
        assert_allclose(
            dist.log_hit_probability(aim - w, aim + w) if w else dist.logpdf_rows(aim),
            dist.log_hit_probability(ref - w, ref + w) if w else dist.logpdf_rows(ref),
            rtol=1e-9,
            atol=1e-12,
        )
        if period is not None:
            assert np.all((aim >= -180.0) & (aim < 180.0))
    assert_allclose(dist.mode(), dist.aim(0.0))
    assert_array_equal(dist[1:3].centers, dist.centers[1:3])
    assert_allclose(dist[2].logpdf(grid), row(dist, 2).logpdf(grid), rtol=1e-12)


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
def test_per_row_sampling_matches_shared_draws_and_each_rows_cdf(kernel, period):
    shared = per_row_distribution(kernel, period, n=3)
    centers = shared.centers[0]
    same = KDEDistribution(
        shared.log_weights,
        np.broadcast_to(centers, shared.centers.shape),
        kernel=kernel,
        bandwidth=shared.bandwidth,
        period=period,
        window_start=shared.window_start,
    )
    one = KDEDistribution(
        shared.log_weights,
        centers,
        kernel=kernel,
        bandwidth=shared.bandwidth,
        period=period,
        window_start=shared.window_start,
    )
    # Identical centers in every row: the very same draws as shared centers.
    assert_array_equal(same.sample(50, random_state=3), one.sample(50, random_state=3))
    draws = shared.sample(4000, random_state=4)
    for i in range(len(shared)):
        ri = row(shared, i)
        p = kstest(draws[i], lambda x, ri=ri: ri.cdf(np.asarray(x))[0]).pvalue
        assert p > 1e-3


def test_nearest_neighbour_density_is_a_per_row_distribution():
    """A KNN kernel density, written out by hand, equals the per-row one."""
    rng = np.random.default_rng(5)
    targets = rng.normal(size=200)
    neighbours = rng.integers(0, 200, size=(30, 7))
    dist = KDEDistribution(
        np.full((30, 7), -np.log(7)),
        targets[neighbours],
        kernel="gaussian",
        bandwidth=0.3,
    )
    t = rng.normal(size=30)
    by_hand = np.mean(
        np.exp(-0.5 * ((t[:, None] - targets[neighbours]) / 0.3) ** 2)
        / (0.3 * np.sqrt(2 * np.pi)),
        axis=1,
    )
    assert_allclose(np.exp(dist.logpdf_rows(t)), by_hand, rtol=1e-13)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(bandwidth=-1.0), "bandwidth must be a positive finite float"),
        (dict(bandwidth=np.nan), "bandwidth must be a positive finite float"),
        (dict(period=0.0), "period must be a positive finite float"),
        (dict(kernel="box"), "kernel must be one of"),
        (dict(kernel="vonmises"), "only defined on a circle"),
        (dict(window_start=np.inf), "window_start must be a finite float"),
        (dict(centers=[0.0, 1.0, 2.0]), r"centers must have shape \(2,\) or \(1, 2\)"),
        (dict(centers=[0.0, np.nan]), "centers contain NaN"),
        (dict(log_weights=[0.0, 0.0]), "log_weights must be 2-D"),
        (dict(log_weights=[[np.nan, 0.0]]), "NaN or \\+inf"),
        (dict(log_weights=[[0.0, 0.0]]), r"summing to one .* rows \[0\]"),
    ],
)
def test_distribution_constructor_names_each_bad_argument(kwargs, match):
    args = dict(
        log_weights=np.log([[0.5, 0.5]]),
        centers=[-1.0, 1.0],
        kernel="gaussian",
        bandwidth=0.5,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        KDEDistribution(args.pop("log_weights"), args.pop("centers"), **args)


def test_zero_weights_are_allowed_and_best_aim_is_a_deprecated_alias():
    dist = KDEDistribution(
        [[0.0, -np.inf]], [-1.0, 1.0], kernel="gaussian", bandwidth=0.5
    )
    assert dist.mode()[0] == pytest.approx(-1.0, abs=1e-9)
    with pytest.warns(FutureWarning, match="renamed aim"):
        assert dist.best_aim(0.2)[0] == dist.aim(0.2)[0]


# ---------------------------------------------------------------------------
# Target summaries: partial sums give the geometry of the whole.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("period", [None, 2 * np.pi, 360.0])
def test_partial_target_summaries_combine_to_the_whole(period):
    rng = np.random.default_rng(6)
    n = 1000
    scale = 1.0 if period is None else period / 8
    mid = scale * rng.normal(size=n)
    width = scale * rng.uniform(0, 0.5, n) * (rng.uniform(size=n) < 0.6)
    lower, upper = mid - width / 2, mid + width / 2
    w = rng.uniform(0, 2, n)
    whole = TargetSummary.from_targets(lower, upper, w, period=period)
    parts = None
    for rows in np.array_split(np.arange(n), [1, 17, 400, 401]):
        part = TargetSummary.from_targets(
            lower[rows], upper[rows], w[rows], period=period, reference=whole.reference
        )
        parts = part if parts is None else parts.combine(part)
    assert parts.spread == pytest.approx(whole.spread, rel=1e-12)
    assert parts.window_start == whole.window_start
    for kw in (
        dict(centers=12, bandwidth="scott", kernel="gaussian"),
        dict(centers=7, bandwidth="silverman", kernel="epanechnikov"),
    ):
        a = resolve_geometry(whole, **kw)
        b = resolve_geometry(parts, **kw)
        assert b.bandwidth == pytest.approx(a.bandwidth, rel=1e-12)
        assert_allclose(b.centers, a.centers, rtol=1e-12)
        assert a.window == b.window


def test_spread_matches_numpy_on_the_line():
    rng = np.random.default_rng(7)
    y = rng.normal(3.0, 2.0, 500)
    summary = TargetSummary.from_targets(y, y, np.ones(500))
    assert summary.spread == pytest.approx(np.std(y), rel=1e-12)
    # Intervals count as uniform: variance width**2 / 12 added.
    s2 = TargetSummary.from_targets(y - 1, y + 1, np.ones(500))
    assert s2.spread == pytest.approx(np.sqrt(np.var(y) + 4 / 12), rel=1e-12)
    with pytest.raises(ValueError, match="same period and reference"):
        s2.combine(TargetSummary.from_targets(y, y, np.ones(500), reference=0.0))


def test_split_targets_reads_points_and_intervals():
    lower, upper = split_targets([1.0, 2.0], target_width=0.5)
    assert_array_equal(lower, [0.5, 1.5])
    assert_array_equal(upper, [1.5, 2.5])
    lower, upper = split_targets([[0.0, 1.0]])
    assert (lower[0], upper[0]) == (0.0, 1.0)
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        split_targets([1.0, 2.0], n_samples=3)
    with pytest.raises(ValueError, match="y_true must be of shape"):
        split_targets(np.zeros((2, 3)), name="y_true")


# ---------------------------------------------------------------------------
# The objective takes any logits model; the solver warm-starts.
# ---------------------------------------------------------------------------
class TemperatureLogits:
    """A logits model other than the linear one: ``z_i = tau * F_i``.

    ``F`` (n, M) is a fixed feature per row and center (say minus a distance
    to a neighbour); the single parameter ``tau`` is the temperature.  Its
    logits keep their constant per row (``shifted = False``).
    """

    shifted = False
    n_params = 1

    class Bound:
        buffer_bytes = 0

        def __init__(self, F, table):
            self.F = F
            self.index = [table.block_row_index(b) for b in range(table.n_blocks)]

        def buffer(self):
            return None

    def bind(self, F, table, budget):
        return self.Bound(F, table)

    def prepare(self, params):
        return float(params[0])

    def forward(self, tau, bound, b, buffer, out):
        np.multiply(bound.F[bound.index[b]], tau, out=out)

    def backward(self, tau, bound, b, buffer, grad_logits, ones, out):
        out[0] += np.vdot(grad_logits, bound.F[bound.index[b]])

    def penalty(self, params):
        return 0.5 * 0.01 * params[0] ** 2, np.array([0.01 * params[0]])


@pytest.mark.parametrize("period", [None, 360.0])
def test_another_logits_model_plugs_into_the_objective(period):
    rng = np.random.default_rng(8)
    n, M = 3000, 6
    scale = 1.0 if period is None else 50.0
    centers = scale * np.sort(rng.uniform(-3, 3, (n, M)), axis=1)
    y = scale * rng.normal(size=n)
    lower, upper = y, y + scale * rng.choice([0.0, 0.3], n)
    F = -np.abs(centers - y[:, None]) / scale + rng.normal(0, 0.5, (n, M))
    sw = np.full(n, 1.0 / n)
    with config_context(working_memory=1):  # many blocks
        table = training_table(
            lower,
            upper,
            centers,
            kernel="gaussian",
            bandwidth=0.5 * scale,
            period=period,
        )
        assert table.n_blocks > 4
        values = []
        for n_threads in (1, 2):
            objective = BlockedObjective(
                table, TemperatureLogits(), F, sw, n_threads=n_threads
            )
            try:
                values.append(objective.loss_gradient(np.array([0.7])))
            finally:
                objective.close()
    assert values[0][0] == values[1][0]
    assert_array_equal(values[0][1], values[1][1])

    def f(p):
        return objective.loss_gradient(p)[0]

    assert_allclose(
        values[0][1], five_point_gradient(f, np.array([0.7])), rtol=1e-6, atol=1e-10
    )
    # A fit of the temperature: the solver with a bound keeps tau >= 0.
    result = minimize_lbfgs(
        objective.loss_gradient, np.array([0.0]), bounds=[(0.0, None)], tol=1e-10
    )
    objective.close()
    assert result.converged and result.params[0] > 0
    assert abs(objective.loss_gradient(result.params)[1][0]) < 1e-8


def test_solver_warm_start_callback_and_convergence_warning():
    rng = np.random.default_rng(9)
    A = rng.normal(size=(5, 5))
    H = A @ A.T + np.eye(5)
    b = rng.normal(size=5)

    def fun(p):
        return 0.5 * p @ H @ p - b @ p, H @ p - b

    seen = []
    cold = minimize_lbfgs(
        fun, np.zeros(5), tol=1e-12, callback=lambda p, k: seen.append((k, p))
    )
    assert cold.converged
    assert_allclose(cold.params, np.linalg.solve(H, b), rtol=1e-8)
    assert [k for k, _ in seen] == list(range(1, cold.n_iter + 1))
    warm = minimize_lbfgs(fun, cold.params, tol=1e-8)
    assert warm.n_iter <= 1 and warm.objective <= cold.objective + 1e-15
    # A diagonal scale changes the path, not the solution.
    scaled = minimize_lbfgs(fun, np.zeros(5), scale=np.arange(1.0, 6.0), tol=1e-12)
    assert_allclose(scaled.params, cold.params, rtol=1e-7)
    with pytest.warns(ConvergenceWarning, match="stopped before convergence after 2"):
        early = minimize_lbfgs(fun, np.zeros(5), max_iter=2, name="test")
    assert early.n_iter == 2 and not early.converged


def test_estimator_warm_start_reuses_the_solution():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(400, 3))
    y = X[:, 0] + 0.3 * rng.normal(size=400)
    model = SoftmaxKDERegressor(centers=10, warm_start=True, tol=1e-8).fit(X, y)
    first = model.n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ < max(3, first // 4)


def test_smooth_modes_are_exact_far_below_golden_section_precision():
    """Golden-section search alone stops ~1e-8 bandwidths from a smooth
    mode; the parabolic polish brings it to the root of the derivative."""
    rng = np.random.default_rng(11)
    n, M, h = 50, 6, 0.4
    centers = np.linspace(-2, 2, M)
    dist = KDEDistribution(
        log_softmax(rng.normal(0, 2, (n, M)), axis=1),
        centers,
        kernel="gaussian",
        bandwidth=h,
    )
    mode = dist.mode()
    w = dist.weights

    def slope(t):  # derivative of the density, up to a positive factor
        u = (t[:, None] - centers) / h
        return np.sum(w * np.exp(-0.5 * u * u) * -u, axis=1)

    lo, hi = mode - 1e-6, mode + 1e-6
    assert np.all(slope(lo) > 0) and np.all(slope(hi) < 0)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    assert_allclose(mode, 0.5 * (lo + hi), rtol=0, atol=1e-10 * h)


# ---------------------------------------------------------------------------
# Aims: per-row windows, exact optima.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
@pytest.mark.parametrize("per_row_centers", [False, True])
def test_per_row_windows_equal_a_loop_and_beat_a_dense_grid(
    kernel, period, per_row_centers
):
    rng = np.random.default_rng(12)
    n, M = 12, 6
    scale = 1.0 if period is None else 60.0
    if per_row_centers:
        dist = per_row_distribution(kernel, period, n=n, M=M, seed=13)
    else:
        centers = scale * np.linspace(-2.5, 2.5, M)
        dist = KDEDistribution(
            log_softmax(rng.normal(0, 1.5, (n, M)), axis=1),
            centers,
            kernel=kernel,
            bandwidth=0.6 * scale,
            period=period,
            window_start=0.0 if period is None else -180.0,
        )
    w = scale * rng.uniform(0.0, 0.8, n)
    w[0] = 0.0  # a mode among the windows
    aim = dist.aim(w)
    loop = np.array([dist[i].aim(w[i])[0] for i in range(n)])

    def mass(t):
        out = dist.log_hit_probability(t - w, t + w)
        return np.where(w == 0, dist.logpdf_rows(t), out)

    # The same optimum as one row at a time (locations of flat tops aside).
    assert_allclose(mass(aim), mass(loop), rtol=0, atol=1e-11)
    # And at least as good as the best of a dense grid over every center.
    lo, hi = dist.centers.min() - 2 * scale, dist.centers.max() + 2 * scale
    grid = np.linspace(lo, hi, 3001) if period is None else np.linspace(-180, 180, 3001)
    dense = np.max(
        [mass(np.full(n, t)) for t in grid],
        axis=0,
    )
    assert np.all(mass(aim) >= dense - 1e-9)
    # A scalar window is the same as that window for every row.
    assert_allclose(dist.aim(w[1]), dist.aim(np.full(n, w[1])), atol=1e-9 * scale)


def test_aims_are_exact_roots_of_the_equal_density_condition():
    rng = np.random.default_rng(14)
    centers = np.linspace(-3, 3, 16)
    dist = KDEDistribution(
        log_softmax(rng.normal(0, 2, (40, 16)), axis=1),
        centers,
        kernel="gaussian",
        bandwidth=0.3,
    )
    w = 0.25
    aim = dist.aim(w)
    # At an interior optimum the density is equal at both ends of the window.
    gap = dist.logpdf_rows(aim + w) - dist.logpdf_rows(aim - w)
    assert_allclose(gap, 0.0, atol=1e-9)


@pytest.mark.parametrize(
    "half_width, match",
    [
        (-0.1, "must be a finite float >= 0; got -0.1"),
        (np.nan, "must be a finite float >= 0; got nan"),
        ([0.1, -1.0, 0.2], r"rows \[1\] are not"),
        ([0.1, 0.2], r"an array of shape \(3,\)"),
        ([[0.1]], r"an array of shape \(3,\)"),
    ],
)
def test_bad_half_widths_are_named(half_width, match):
    dist = per_row_distribution("gaussian", None, n=3)
    with pytest.raises(ValueError, match=match):
        dist.aim(half_width)


def test_estimator_predict_aim_takes_one_window_per_row():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] + 0.3 * rng.normal(size=300)
    model = SoftmaxKDERegressor(centers=12).fit(X, y)
    w = rng.uniform(0.05, 0.5, 5)
    aim = model.predict_aim(X[:5], w)
    loop = [model.predict_aim(X[i : i + 1], w[i])[0] for i in range(5)]
    assert_allclose(aim, loop, atol=1e-9)
