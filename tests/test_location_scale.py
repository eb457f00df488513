"""The location-scale head of SoftmaxKDERegressor (issue 28)."""

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax
from scipy.stats import norm
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from skkdece import KDEDistribution, SoftmaxKDERegressor
from skkdece._fit import linear_objective
from skkdece._location_scale import (
    LocationScaleTable,
    location_scale_loss,
    log_kernel_slope,
    two_stage_start,
)
from skkdece._tables._factory import training_table
from skkdece._tables._kernels import log_kernel

KERNELS_LINE = ["gaussian", "exponential", "tophat", "epanechnikov", "linear", "cosine"]
KERNELS_CIRCLE = ["gaussian", "exponential", "vonmises", "epanechnikov", "cosine"]
COMPACT = {"tophat", "epanechnikov", "linear", "cosine"}


def _problem(kernel, period, targets, rng, n=7, d=2, M=6):
    """Features, targets and centers for a gradient check."""
    X = rng.normal(size=(n, d))
    if period is None:
        centers = np.linspace(-2.0, 2.0, M)
        lower = rng.normal(size=n)
    else:
        centers = np.linspace(0.0, period, M, endpoint=False)
        lower = rng.uniform(0.0, period, size=n)
    width = np.zeros(n) if targets == "point" else rng.uniform(0.05, 0.8, size=n)
    if targets == "far":
        lower = lower + 80.0  # about 200 bandwidths beyond the last center
    bandwidth = 3.0 if kernel in COMPACT else 0.4
    return X, lower, lower + width, centers, bandwidth


def _objective(X, lower, upper, centers, *, kernel, bandwidth, period, loss, heads):
    location, scale = heads
    table = LocationScaleTable(
        lower,
        upper,
        centers,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
        loss=loss,
        location=location,
        scale=scale,
    )
    sw = np.linspace(0.5, 1.5, X.shape[0])
    return linear_objective(
        table,
        X,
        sw,
        fit_intercept=True,
        alpha=0.3,
        location=location,
        scale=scale,
        target_scale=1.7,
    )


def _check_gradient(model, objective, params):
    value, grad = objective.loss_gradient(params)
    assert np.isfinite(value)
    start = model.n_logit_params
    # Every head parameter, and a few of the logits'.
    checked = list(range(start, model.n_params)) + [0, 3, start - 1]
    for k in checked:
        step = np.zeros_like(params)
        step[k] = 1e-6
        up = objective.loss_gradient(params + step)[0]
        down = objective.loss_gradient(params - step)[0]
        numeric = (up - down) / 2e-6
        # The difference quotient loses |value| * eps / step to rounding:
        # targets far from every center have losses of thousands.
        noise = 1e-6 + 1e-9 * abs(value)
        assert numeric == pytest.approx(grad[k], rel=1e-5, abs=noise), k


GRADIENT_CASES = [
    *[(k, None, t) for k in KERNELS_LINE for t in ("point", "interval")],
    # A compact kernel has no density far from its centers.
    *[(k, None, "far") for k in KERNELS_LINE if k not in COMPACT],
    # On a circle: the location alone, a rotation.
    *[(k, 2 * np.pi, t) for k in KERNELS_CIRCLE for t in ("point", "interval")],
]


@pytest.mark.parametrize("kernel, period, targets", GRADIENT_CASES)
@pytest.mark.parametrize("loss", ["cross_entropy", "interval_likelihood"])
def test_gradient_of_the_heads(kernel, period, targets, loss):
    rng = np.random.default_rng(0)
    X, lower, upper, centers, h = _problem(kernel, period, targets, rng)
    model, objective = _objective(
        X,
        lower,
        upper,
        centers,
        kernel=kernel,
        bandwidth=h,
        period=period,
        loss=loss,
        heads=(True, period is None),
    )
    params = 0.2 * rng.normal(size=model.n_params)
    _check_gradient(model, objective, params)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential"])
@pytest.mark.parametrize("targets", ["point", "interval"])
def test_gradient_with_a_bandwidth_per_atom(kernel, targets):
    rng = np.random.default_rng(3)
    X, lower, upper, centers, _ = _problem(kernel, None, targets, rng)
    model, objective = _objective(
        X,
        lower,
        upper,
        centers,
        kernel=kernel,
        bandwidth=np.array([0.3, 0.3, 0.3, 0.8, 0.8, 0.8]),
        period=None,
        loss="cross_entropy",
        heads=(True, True),
    )
    _check_gradient(model, objective, 0.2 * rng.normal(size=model.n_params))


def test_far_intervals_keep_exact_values_and_slopes():
    """Hundreds of bandwidths away, the loss is the exact gaussian one."""
    centers = np.array([0.0])
    h = 0.1
    lower, upper = np.array([30.0]), np.array([30.5])  # 300 bandwidths out
    loss, _, g_mu, g_log_s = location_scale_loss(
        np.zeros((1, 1)),
        np.zeros(1),
        np.zeros(1),
        lower,
        upper,
        centers,
        kernel="gaussian",
        bandwidth=h,
    )
    # -mean of log N(t; 0, h) over [a, b], in closed form.
    a, b = lower[0], upper[0]
    mean_square = (b**3 - a**3) / (3 * (b - a))
    expected = 0.5 * mean_square / h**2 + np.log(h * np.sqrt(2 * np.pi))
    assert loss[0] == pytest.approx(expected, rel=1e-12)
    # d/dmu of the mean of (t - mu)^2 / (2 h^2) at mu = 0: -mean(t) / h^2.
    assert g_mu[0] == pytest.approx(-0.5 * (a + b) / h**2, rel=1e-9)
    # d/dlog s of mean(t^2)/(2 h^2 s^2) + log s at s = 1.
    assert g_log_s[0] == pytest.approx(1.0 - mean_square / h**2, rel=1e-9)


@pytest.mark.parametrize("logit_spread", [1.0, 1000.0])
def test_far_points_and_spread_logits_keep_exact_values(logit_spread):
    """Points 300 bandwidths out, logits spread over a thousand: the loss is
    the logsumexp of log weights and log kernels, and its slope the
    responsibilities' (the fast gaussian path against the definition)."""
    rng = np.random.default_rng(4)
    centers = np.array([3.0, -1.0, 0.0, 2.0])  # not sorted
    h = 0.1
    logits = logit_spread * rng.normal(size=(5, 4))
    t = np.array([30.0, -30.0, 0.01, 2.5, 1.0])
    loss, grad, g_mu, g_log_s = location_scale_loss(
        logits, np.zeros(5), np.zeros(5), t, t, centers, kernel="gaussian", bandwidth=h
    )
    log_w = log_softmax(logits, axis=1)
    log_terms = log_w + norm.logpdf(t[:, None], centers, h)
    log_q = np.logaddexp.reduce(log_terms, axis=1)
    r = np.exp(log_terms - log_q[:, None])
    slope = np.sum(r * -(t[:, None] - centers) / h**2, axis=1)
    np.testing.assert_allclose(loss, -log_q, rtol=1e-12)
    np.testing.assert_allclose(grad, np.exp(log_w) - r, atol=1e-12)
    np.testing.assert_allclose(g_mu, slope, rtol=1e-9)
    np.testing.assert_allclose(g_log_s, 1.0 + t * slope, rtol=1e-9)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential", "epanechnikov"])
@pytest.mark.parametrize(
    "period, h",
    # On the circle: one image sum of a few images, a sum of many (narrow),
    # and past a third of the period (the gaussian's Fourier series).
    [(None, 0.5), (2 * np.pi, 1.3), (2 * np.pi, 0.2), (2 * np.pi, 2.5)],
)
def test_log_kernel_slope_is_the_derivative_of_log_kernel(kernel, period, h):
    # Inside the support of the compact kernel, off the exponential's kink.
    u = (np.linspace(-0.9, 0.9, 37) + 0.013) * h
    if period is not None and kernel != "epanechnikov":
        # And around the whole circle, across the wrap at +-P/2.
        u = np.concatenate([u, np.linspace(-1.3 * np.pi, 1.3 * np.pi, 41) + 0.011])
    step = 1e-6
    numeric = (
        log_kernel(u + step, kernel, h, period)
        - log_kernel(u - step, kernel, h, period)
    ) / (2 * step)
    np.testing.assert_allclose(
        log_kernel_slope(u, kernel, h, period), numeric, rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("loss", ["cross_entropy", "interval_likelihood"])
def test_heads_at_zero_give_the_plain_loss(loss):
    """mu = 0 and s = 1 held: the plain table's losses and logit gradients."""
    rng = np.random.default_rng(2)
    n, M = 40, 9
    centers = np.linspace(-2, 2, M)
    lower = rng.normal(size=n)
    upper = lower + np.where(np.arange(n) % 2, 0.0, rng.uniform(0.1, 3.0, size=n))
    logits = rng.normal(size=(n, M))
    kw = dict(kernel="gaussian", bandwidth=0.3, loss=loss)
    ls_loss, ls_grad, _, _ = location_scale_loss(
        logits, np.zeros(n), np.zeros(n), lower, upper, centers, **kw
    )
    table = training_table(lower, upper, centers, **kw)
    plain = np.empty(n)
    plain_grad = np.empty((n, M))
    for b in range(table.n_blocks):
        rows = table.block_row_index(b)
        g = np.empty((np.arange(n)[rows].size, M))
        plain[rows] = table.block_loss(b, logits[rows], np.ones(g.shape[0]), grad=g)
        plain_grad[rows] = g
    np.testing.assert_allclose(ls_loss, plain, rtol=1e-9)
    np.testing.assert_allclose(ls_grad, plain_grad, atol=1e-9)


def _moving_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = 2.0 * X[:, 0] + 0.3 * np.exp(0.8 * X[:, 1]) * rng.normal(size=n)
    return X, y


def _fit(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        X, y = kw.pop("data")
        return SoftmaxKDERegressor(centers=12, **kw).fit(X, y)


def test_heads_off_is_the_model_without_heads_bit_for_bit():
    X, y = _moving_data(200, 0)
    default = _fit(data=(X, y), max_iter=50)
    off = _fit(data=(X, y), max_iter=50, location=None, scale=None)
    assert default.location_coef_ is None and default.scale_coef_ is None
    np.testing.assert_array_equal(default.coef_, off.coef_)
    np.testing.assert_array_equal(default.intercept_, off.intercept_)
    assert default.objective_ == off.objective_
    # The plain pieces, assembled by hand, give the same bits.
    geometry_table = training_table(
        y, y, default.centers_, kernel="gaussian", bandwidth=default.bandwidth_
    )
    model, objective = linear_objective(
        geometry_table, X, np.ones(200), fit_intercept=True, alpha=1e-4
    )
    with objective.running():
        value = objective.loss_gradient(model.pack(off.coef_, off.intercept_))[0]
    assert value == off.objective_
    np.testing.assert_array_equal(
        default.predict_distribution(X).log_weights,
        off.predict_distribution(X).log_weights,
    )


def test_heads_improve_a_moving_stretching_density():
    X, y = _moving_data(400, 1)
    X_test, y_test = _moving_data(4000, 2)
    plain = _fit(data=(X, y))
    heads = _fit(data=(X, y), location="linear", scale="linear")
    assert heads.location_coef_.shape == (2,)
    assert heads.location_coef_[0] == pytest.approx(2.0, abs=0.2)
    # The scale grows with the second feature (the logits share that work).
    assert heads.scale_coef_[1] > 0.3
    assert heads.score(X_test, y_test) > plain.score(X_test, y_test) + 0.1


@pytest.mark.parametrize("heads", [("linear", None), ("linear", "linear")])
def test_joint_fit_is_no_worse_than_its_start(heads):
    location, scale = heads
    X, y = _moving_data(300, 3)
    model = _fit(data=(X, y), location=location, scale=scale)
    start = two_stage_start(
        X,
        y,
        y,
        np.ones(300),
        location=location is not None,
        scale=scale is not None,
        period=None,
    )
    table = LocationScaleTable(
        y,
        y,
        model.centers_,
        kernel="gaussian",
        bandwidth=model.bandwidth_,
        location=location is not None,
        scale=scale is not None,
    )
    spread = float(np.std(y))
    ls_model, objective = linear_objective(
        table,
        X,
        np.ones(300),
        fit_intercept=True,
        alpha=1e-4,
        location=location is not None,
        scale=scale is not None,
        target_scale=spread,
    )
    zeros = np.zeros((12, 2)), np.zeros(12)
    with objective.running():
        at_start = objective.loss_gradient(ls_model.pack(*zeros, start))[0]
    assert model.objective_ <= at_start
    assert model.objective_ < at_start - 0.05  # it learns something jointly


@pytest.mark.parametrize("a, b", [(5.0, 3.0), (-2.0, 0.25)])
def test_shifted_and_stretched_targets_give_the_same_density(a, b):
    """y' = a + b y: the fitted density moves and stretches with the data.

    Start, kernels, penalty and solver coordinates all move with the target,
    so the solver takes the same path: compared after the same number of
    iterations, the densities agree to rounding.  (Run to convergence, the
    rounding grows on the objective's flat valleys: see the benchmark.)
    """
    X, y = _moving_data(300, 4)
    kw = dict(location="linear", scale="linear", max_iter=30, tol=0.0)
    model = _fit(data=(X, y), **kw)
    moved = _fit(data=(X, a + b * y), **kw)
    np.testing.assert_allclose(
        moved.score_samples(X, a + b * y),
        model.score_samples(X, y) - np.log(b),
        atol=1e-9,
    )
    np.testing.assert_allclose(moved.location_coef_, b * model.location_coef_)
    assert moved.location_intercept_ == pytest.approx(a + b * model.location_intercept_)
    np.testing.assert_allclose(moved.scale_coef_, model.scale_coef_, atol=1e-9)
    assert moved.scale_intercept_ == pytest.approx(model.scale_intercept_ + np.log(b))
    np.testing.assert_allclose(moved.centers_, model.centers_, rtol=1e-12)


def test_scale_head_on_a_circle_is_an_error():
    X, y = _moving_data(50, 5)
    model = SoftmaxKDERegressor(period=2 * np.pi, scale="linear")
    with pytest.raises(ValueError, match="period does not stretch"):
        model.fit(X, np.mod(y, 2 * np.pi))


@pytest.mark.parametrize("kernel", sorted(COMPACT))
def test_heads_with_a_compact_kernel_on_the_line_are_an_error(kernel):
    X, y = _moving_data(50, 5)
    model = SoftmaxKDERegressor(kernel=kernel, location="linear")
    with pytest.raises(ValueError, match="unbounded support"):
        model.fit(X, y)


@pytest.mark.parametrize("kernel", ["epanechnikov", "linear", "cosine", "vonmises"])
def test_rotation_with_any_kernel_on_a_circle(kernel):
    rng = np.random.default_rng(9)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = np.mod(2.0 * X[:, 0] + 0.3 * rng.normal(size=300), 2 * np.pi)
    kw = dict(data=(X, y), kernel=kernel, period=2 * np.pi)
    model = _fit(location="linear", **kw)
    plain = _fit(**kw)
    # The rotation and the logits share the work of following x1, so the
    # location's weight is not the truth's 2 on its own; together they fit
    # better than the logits alone, from the same start.
    assert model.location_coef_[0] > 0.5
    assert model.objective_ < plain.objective_ - 0.01


def test_rotation_on_a_circle_follows_the_features():
    rng = np.random.default_rng(6)
    X = rng.uniform(-1, 1, size=(400, 1))
    y = np.mod(1.5 * X[:, 0] + 0.2 * rng.normal(size=400), 2 * np.pi)
    model = _fit(data=(X, y), period=2 * np.pi, location="linear")
    assert model.scale_coef_ is None
    assert model.location_coef_[0] == pytest.approx(1.5, abs=0.3)
    dist = model.predict_distribution(X[:5])
    assert dist.centers.shape == (5, 12)
    grid = np.linspace(0, 2 * np.pi, 2001)
    mass = np.sum(dist.pdf(grid)[:, :-1], axis=1) * (grid[1] - grid[0])
    np.testing.assert_allclose(mass, 1.0, rtol=1e-6)


def test_predictions_carry_location_and_scale():
    """Every answer of a moved distribution is the plain one moved."""
    rng = np.random.default_rng(7)
    log_w = log_softmax(rng.normal(size=(3, 4)), axis=1)
    centers = np.array([-1.0, 0.0, 0.5, 2.0])
    h = 0.4
    loc = np.array([0.0, 3.0, -2.0])
    scale = np.array([1.0, 2.0, 0.5])
    moved = KDEDistribution(
        log_w, centers, kernel="gaussian", bandwidth=h, loc=loc, scale=scale
    )
    # The same mixtures written out: centers loc + scale c, bandwidth scale h.
    explicit = [
        KDEDistribution(
            log_w[i : i + 1],
            loc[i] + scale[i] * centers,
            kernel="gaussian",
            bandwidth=h * scale[i],
        )
        for i in range(3)
    ]
    grid = np.linspace(-4, 6, 9)
    for i, dist in enumerate(explicit):
        np.testing.assert_allclose(moved.logpdf(grid)[i], dist.logpdf(grid)[0])
        np.testing.assert_allclose(moved.cdf(grid)[i], dist.cdf(grid)[0], atol=1e-12)
        np.testing.assert_allclose(
            moved.quantiles([0.1, 0.5])[i], dist.quantiles([0.1, 0.5])[0], atol=1e-9
        )
        assert moved.mean()[i] == pytest.approx(dist.mean()[0])
        assert moved.std()[i] == pytest.approx(dist.std()[0])
        assert moved.mode()[i] == pytest.approx(dist.mode()[0], abs=1e-8)
        assert moved.aim(0.3)[i] == pytest.approx(dist.aim(0.3)[0], abs=1e-8)
        assert moved.log_hit_probability(grid[2], grid[5])[i] == pytest.approx(
            dist.log_hit_probability(grid[2], grid[5])[0]
        )
        for loss in ("cross_entropy", "interval_likelihood"):
            assert moved.log_likelihood([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], loss=loss)[
                i
            ] == pytest.approx(dist.log_likelihood([0.0], [1.0], loss=loss)[0])
        assert moved.logpdf_rows(grid[3])[i] == pytest.approx(
            dist.logpdf_rows(grid[3])[0]
        )
    assert moved[1:].loc.tolist() == [3.0, -2.0]
    draws = moved.sample(20000, random_state=0)
    np.testing.assert_allclose(draws.mean(axis=1), moved.mean(), atol=0.05)


def test_moved_distribution_checks_its_arguments():
    log_w = np.log([[1.0]])
    with pytest.raises(ValueError, match="scale must be positive"):
        KDEDistribution(log_w, [0.0], kernel="gaussian", bandwidth=1.0, scale=[0.0])
    with pytest.raises(ValueError, match="loc must have one value per row"):
        KDEDistribution(log_w, [0.0], kernel="gaussian", bandwidth=1.0, loc=[0, 1])
    with pytest.raises(ValueError, match="has no scale"):
        KDEDistribution(
            log_w, [0.0], kernel="vonmises", bandwidth=1.0, period=6.0, scale=[2.0]
        )


def test_normal_truth_is_matched_on_a_gaussian_location_scale_model():
    """On y = mu(x) + s(x) e, e normal, the heads get near the true density."""
    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, size=(800, 1))
    s = np.exp(0.7 * X[:, 0])
    y = 1.0 + 2.0 * X[:, 0] + s * rng.normal(size=800)
    X_test = rng.uniform(-1, 1, size=(4000, 1))
    s_test = np.exp(0.7 * X_test[:, 0])
    y_test = 1.0 + 2.0 * X_test[:, 0] + s_test * rng.normal(size=4000)
    truth = norm.logpdf(y_test, 1.0 + 2.0 * X_test[:, 0], s_test).mean()
    model = _fit(data=(X, y), location="linear", scale="linear")
    assert model.score(X_test, y_test) > truth - 0.03


# The checks the heads do not pass reliably, and why.  scikit-learn's
# sample-weight checks fit 15 rows of 30 features: the location head
# interpolates the targets (held back only by alpha), and with the scale
# head the scale then shrinks to match (s ~ 2e-7).  On that ill-posed,
# non-convex objective the fits from weights and from repeated rows stop at
# points of its flat valley up to 7e-9 (sparse X, both heads) or 4e-6
# (location alone, where one fit stopped after 94 iterations and the other
# went on to 184 and an objective 4e-4 lower) apart in their predictions,
# against the check's 1e-9 and 1e-7.  Which of the location
# head's two checks misses depends on the rounding of the loss and of the
# BLAS: measured on one AMD EPYC (AVX-512), the dense check fails at numpy
# 1.24 and SciPy 1.11.1 and with OpenBLAS's Haswell kernels, the sparse one
# with the loss's four-lane loop, and both pass otherwise: listed, not
# strict.
HEADS_EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_sparse_data": (
        "15 rows of 30 features: the location interpolates, the scale "
        "collapses, and weights and repeated rows end 7e-9 apart"
    ),
}
_LOCATION_INTERPOLATES = (
    "15 rows of 30 features: the location interpolates, and with some "
    "roundings of the loss and the BLAS, weights and repeated rows stop "
    "4e-6 apart in their predictions"
)
LOCATION_EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _LOCATION_INTERPOLATES,
    "check_sample_weight_equivalence_on_sparse_data": _LOCATION_INTERPOLATES,
}


def _heads_expected_failures(estimator):
    if estimator.scale is None:
        return LOCATION_EXPECTED_FAILED_CHECKS
    return HEADS_EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [
        SoftmaxKDERegressor(location="linear", scale="linear"),
        # The other head off by name: "auto" would be off on the checks'
        # few rows too, but the expected failures key on it.
        SoftmaxKDERegressor(location="linear", scale=None),
    ],
    expected_failed_checks=_heads_expected_failures,
)
def test_sklearn_compatible_with_heads(estimator, check):
    check(estimator)


def test_targets_stretched_beyond_reach_have_an_infinite_loss():
    """A trial step that shrinks the scale a million-fold stretches an
    interval over millions of bandwidths: an infinite loss (the solver steps
    back), not a quadrature that fills the memory; the other rows keep
    their exact losses, in chunks that match one evaluation of them all."""
    rng = np.random.default_rng(11)
    centers = np.linspace(-2, 2, 8)
    logits = rng.normal(size=(6, 8))
    lower = rng.normal(size=6)
    upper = lower + rng.uniform(0.2, 1.0, size=6)
    log_s = np.zeros(6)
    kw = dict(kernel="gaussian", bandwidth=0.3)
    reference = location_scale_loss(
        logits, np.zeros(6), log_s, lower, upper, centers, **kw
    )
    log_s[2] = -15.0  # s = 3e-7: interval 2 spans about 2e6 bandwidths
    loss, grad, g_mu, g_log_s = location_scale_loss(
        logits, np.zeros(6), log_s, lower, upper, centers, **kw
    )
    assert loss[2] == np.inf
    assert grad[2].tolist() == [0.0] * 8 and g_mu[2] == 0.0 and g_log_s[2] == 0.0
    others = np.arange(6) != 2
    np.testing.assert_allclose(loss[others], reference[0][others], rtol=1e-12)
    np.testing.assert_allclose(grad[others], reference[1][others], atol=1e-12)


def test_interval_chunks_give_the_loss_of_one_pass():
    import skkdece._location_scale as location_scale

    rng = np.random.default_rng(12)
    centers = np.linspace(-2, 2, 8)
    logits = rng.normal(size=(40, 8))
    lower = rng.normal(size=40)
    upper = lower + rng.uniform(0.1, 3.0, size=40)
    args = (logits, 0.1 * rng.normal(size=40), 0.1 * rng.normal(size=40))
    kw = dict(kernel="gaussian", bandwidth=0.3)
    whole = location_scale_loss(*args, lower, upper, centers, **kw)
    assert len(location_scale._node_chunks(upper - lower, 0.3, 8, 500)) > 5
    chunked = location_scale_loss(*args, lower, upper, centers, chunk_values=500, **kw)
    # scikit-learn's working_memory bounds the chunks too (1 MiB: 4096 values).
    with config_context(working_memory=1):
        assert location_scale._memory_values() == (8192, 4096)
        small = location_scale_loss(*args, lower, upper, centers, **kw)
    for a, b, c in zip(whole, chunked, small, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-14)


# ---------------------------------------------------------------------------
# alpha="auto": the logits' penalty with the scale head on few rows.
# ---------------------------------------------------------------------------


def _null_data(n, rng):
    """A bimodal density that depends on none of the three features."""
    X = rng.uniform(-1.0, 1.0, size=(n, 3))
    first = rng.uniform(size=n) < 0.5
    y = np.where(first, -1.0 + 0.3 * rng.normal(size=n), 1.0 + 0.5 * rng.normal(size=n))
    return X, y


@pytest.mark.parametrize(
    "params, n, weights, expected",
    [
        ({}, 300, None, 1e-4),
        ({"location": "linear"}, 300, None, 1e-4),
        ({"location": "linear", "scale": "linear"}, 300, None, 1e-2),
        ({"scale": "linear"}, 300, None, 1e-2),
        ({"location": "linear", "scale": "linear"}, 1000, None, 1e-4),
        # Rows of zero weight do not count: 990 of positive weight.
        ({"location": "linear", "scale": "linear"}, 1000, "ten zeros", 1e-2),
        ({"location": "linear", "scale": "linear", "alpha": 3e-3}, 300, None, 3e-3),
        ({"alpha": 0.0}, 300, None, 0.0),
    ],
)
def test_auto_penalty_rule(params, n, weights, expected):
    rng = np.random.default_rng(0)
    X, y = _null_data(n, rng)
    sample_weight = None
    if weights:
        sample_weight = np.ones(n)
        sample_weight[:10] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxKDERegressor(centers=8, max_iter=5, **params).fit(
            X, y, sample_weight=sample_weight
        )
    assert model.alpha_ == expected


def test_auto_penalty_keeps_the_heads_at_their_own_penalty():
    """Under "auto" with the scale head on few rows the logits' and the
    scale head's penalty is 1e-2 and the location head's stays 1e-4: the
    fitted objective is that one."""
    rng = np.random.default_rng(1)
    X, y = _null_data(200, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxKDERegressor(
            centers=8, location="linear", scale="linear", max_iter=50
        ).fit(X, y)
    assert model.alpha_ == 1e-2

    class Geometry:
        centers = model.centers_
        bandwidth = model.bandwidth_

    table = model._table(Geometry, y, y, None)
    heads = (
        model.location_coef_,
        model.location_intercept_,
        model.scale_coef_,
        model.scale_intercept_,
    )
    values = {}
    for location_alpha in (None, 1e-4):
        logits_model, objective = linear_objective(
            table,
            X,
            np.ones(X.shape[0]),
            fit_intercept=True,
            alpha=1e-2,
            location=True,
            scale=True,
            target_scale=model._target_scale,
            location_alpha=location_alpha,
        )
        params = logits_model.pack(model.coef_, model.intercept_, heads)
        with objective.running():
            values[location_alpha] = objective.loss_gradient(params)[0]
    assert model.objective_ == pytest.approx(values[1e-4], rel=1e-12)
    assert abs(values[None] - values[1e-4]) > 1e-6


def test_auto_penalty_lets_the_heads_lose_nothing_where_nothing_moves():
    """Issue 28's null case: 800 rows whose density depends on no feature.
    Both heads at the defaults score within 0.005 nats of the model without
    them on held-out rows; with the heads' penalty for the logits too
    (alpha=1e-4, the earlier default) they lose over 0.02."""
    rng = np.random.default_rng(0)
    X, y = _null_data(800, rng)
    X_test, y_test = _null_data(4000, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = SoftmaxKDERegressor().fit(X, y).score(X_test, y_test)
        heads = SoftmaxKDERegressor(location="linear", scale="linear")
        auto = heads.fit(X, y).score(X_test, y_test)
        small = heads.set_params(alpha=1e-4).fit(X, y).score(X_test, y_test)
    assert auto > plain - 0.005
    assert small < plain - 0.02


@pytest.mark.parametrize(
    "n, expected",
    [
        (800, [0, 800]),
        (4000, [0, 2048, 4000]),
        (5000, [0, 2500, 5000]),
        (20000, [0, 10000, 20000]),
        (40000, [0, 16384, 32768, 40000]),
    ],
)
def test_blocks_are_shares_for_the_threads(n, expected):
    # No table is kept: from 4 096 rows on there are two blocks at least,
    # of equal size up to 16 384 rows each (4 MiB of 32 kernel values).
    table = LocationScaleTable(
        np.zeros(n),
        np.zeros(n),
        np.linspace(-1, 1, 32),
        kernel="gaussian",
        bandwidth=0.3,
    )
    assert table.block_rows.tolist() == expected
