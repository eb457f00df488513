"""Property-based tests over shapes, kernels, periods, interval widths and weights.

Every generated problem is valid: centers are evenly spaced and the bandwidth
is at least their spacing, so that every kernel (compact ones included) gives
a positive density on every target.  The runs are derandomised and use no
example database, so the same pytest invocation sees the same examples every
time.  (Hypothesis also mixes in constants found in the local modules that are
imported, so running this file alone may draw other examples than the whole
suite does.)
"""

import warnings

import numpy as np
from _helpers import linear_objective, reference_loss_grad
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from scipy import sparse
from scipy.integrate import quad_vec
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

from skkdece import KERNELS, KDEDistribution, SoftmaxKDERegressor, kde_cross_entropy
from skkdece._tables._grid import GridTable
from skkdece._tables._kernel_table import KernelTable, cross_entropy_from_table
from skkdece._tables._kernels import COMPACT_KERNELS, KINK_OFFSETS, log_kernel
from skkdece._tables._quadrature import quadrature_nodes

PERIODS = [None, 2 * np.pi, 360.0, 1.0]


def hypothesis_settings(max_examples):
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


@st.composite
def kernels_and_periods(draw):
    period = draw(st.sampled_from(PERIODS))
    kernels = KERNELS if period is not None else [k for k in KERNELS if k != "vonmises"]
    return draw(st.sampled_from(kernels)), period


def at_most_one_period(lower, upper, period):
    """``upper`` lowered by an ulp where rounding made ``upper - lower > period``.

    (``(a + period) - a`` can exceed ``period``; such intervals are covered by
    a test of their own in test_reliability.py.)
    """
    upper = upper.copy()
    while np.any(over := upper - lower > period):
        upper[over] = np.nextafter(upper[over], -np.inf)
    return upper


@st.composite
def kde_problems(draw, max_rows=5, max_centers=8, logit_bound=8.0):
    """Logits, shared centers, bandwidth and intervals that every kernel covers.

    On the line: ``M`` centers ``spacing`` apart and targets within half a
    bandwidth of the outer centers.  On a circle: ``M`` centers around the
    whole circle and intervals from zero to one period long anywhere.
    """
    kernel, period = draw(kernels_and_periods())
    n = draw(st.integers(1, max_rows))
    M = draw(st.integers(1, max_centers))
    fraction = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0))
    unit = st.floats(0.0, 1.0)
    if period is None:
        spacing = draw(st.sampled_from([0.01, 1.0, 50.0]))
        centers = spacing * (np.arange(M) + draw(st.floats(-5.0, 5.0)))
        h = spacing * draw(st.floats(1.0, 3.0))
        lo, hi = centers[0] - 0.5 * h, centers[-1] + 0.5 * h
        # lo + 1.0 * (hi - lo) can round above hi.
        lower = np.array([min(lo + draw(unit) * (hi - lo), hi) for _ in range(n)])
        upper = np.array([a + draw(fraction) * (hi - a) for a in lower])
        upper = np.minimum(upper, hi)
    else:
        spacing = period / M
        centers = spacing * (np.arange(M) + draw(st.floats(-1.0, 1.0)))
        h = spacing * draw(st.floats(1.0, 3.0))
        lower = np.array([period * draw(st.floats(-1.0, 2.0)) for _ in range(n)])
        upper = lower + period * np.array([draw(fraction) for _ in range(n)])
        upper = at_most_one_period(lower, upper, period)
    logits = draw(
        arrays(np.float64, (n, M), elements=st.floats(-logit_bound, logit_bound))
    )
    return dict(
        logits=logits,
        centers=centers,
        lower=lower,
        upper=upper,
        kernel=kernel,
        bandwidth=h,
        period=period,
    )


def five_point_columns(f, z, step=1e-4):
    """Five-point finite differences of a per-row function, one column at a time."""
    grad = np.empty_like(z)
    for m in range(z.shape[1]):
        e = np.zeros_like(z)
        e[:, m] = step
        grad[:, m] = (-f(z + 2 * e) + 8 * f(z + e) - 8 * f(z - e) + f(z - 2 * e)) / (
            12 * step
        )
    return grad


@hypothesis_settings(max_examples=120)
@given(kde_problems())
def test_gradient_matches_finite_differences(p):
    kw = {k: p[k] for k in ("kernel", "bandwidth", "period")}
    args = (p["centers"], p["lower"], p["upper"])
    loss, grad = kde_cross_entropy(p["logits"], *args, **kw)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))

    def f(z):
        return kde_cross_entropy(z, *args, **kw)[0]

    fd = five_point_columns(f, p["logits"])
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@hypothesis_settings(max_examples=120)
@given(kde_problems(logit_bound=900.0))
def test_loss_and_gradient_are_finite_and_exact_for_any_logits(p):
    """Logits up to +-900 give softmax weights far below 1e-300.

    On per-row nodes, the reference's (``kde_cross_entropy`` may put wide
    intervals on the shared grid: tests/test_grid.py checks that path).
    """
    kw = {k: p[k] for k in ("kernel", "bandwidth", "period")}
    nodes = quadrature_nodes(p["lower"], p["upper"], p["centers"], **kw)
    table = KernelTable(nodes, p["centers"], **kw)
    loss, grad = cross_entropy_from_table(p["logits"], table)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    ref_loss, ref_grad = reference_loss_grad(p["logits"], table)
    assert_allclose(loss, ref_loss, rtol=1e-10, atol=1e-10)
    assert_allclose(grad, ref_grad, atol=1e-10)
    # A softmax gradient: each row sums to zero, entries in [-1, 1].
    assert_allclose(grad.sum(axis=1), 0.0, atol=1e-10)
    assert np.all(np.abs(grad) <= 1.0 + 1e-12)
    # No mixture is denser than its kernel's peak (a wrapped compact kernel
    # wider than half the period peaks away from its center).
    peak = np.max(log_kernel(peak_offsets(p), p["kernel"], p["bandwidth"], p["period"]))
    assert np.all(loss >= -peak - 1e-6)


@hypothesis_settings(max_examples=120)
@given(kde_problems(logit_bound=900.0))
def test_grid_loss_and_gradient_are_finite_for_any_logits(p):
    """The shared grid (interval rows only): finite, a softmax gradient, the
    per-row nodes' loss for smooth kernels, and never above the peak."""
    rows = p["upper"] > p["lower"]
    if not np.any(rows):
        return
    kw = {k: p[k] for k in ("kernel", "bandwidth", "period")}
    lower, upper, logits = p["lower"][rows], p["upper"][rows], p["logits"][rows]
    table = GridTable(lower, upper, p["centers"], **kw)
    loss, grad = cross_entropy_from_table(logits, table)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    assert_allclose(grad.sum(axis=1), 0.0, atol=1e-10)
    assert np.all(np.abs(grad) <= 1.0 + 1e-12)
    nodes = quadrature_nodes(lower, upper, p["centers"], **kw)
    per_row = cross_entropy_from_table(
        logits, KernelTable(nodes, p["centers"], **kw), gradient=False
    )
    if p["kernel"] not in COMPACT_KERNELS:
        # (Where compact kernels' supports end, log p is rough and both rules
        # lose accuracy: 3e-4 from quad for per-row nodes in one example.)
        assert_allclose(loss, per_row, rtol=1e-6, atol=1e-9)
    peak = np.max(log_kernel(peak_offsets(p), p["kernel"], p["bandwidth"], p["period"]))
    assert np.all(loss >= -peak - 1e-6)


def peak_offsets(p):
    """Offsets at which a kernel may peak: a fine grid, zero and the kinks."""
    h, P = p["bandwidth"], p["period"]
    kinks = h * np.array([0.0, *KINK_OFFSETS[p["kernel"]]])
    if P is None:
        return kinks
    return np.concatenate([np.linspace(-P / 2, P / 2, 4001), np.mod(kinks, P)])


@st.composite
def linear_problems(draw):
    p = draw(kde_problems(max_rows=6, max_centers=5, logit_bound=1.0))
    n = p["logits"].shape[0]
    d = draw(st.integers(1, 3))
    X = draw(arrays(np.float64, (n, d), elements=st.floats(-2.0, 2.0)))
    weight = st.one_of(st.just(0.0), st.floats(0.01, 10.0))
    sw = np.array([draw(weight) for _ in range(n)])
    if not sw.sum() > 0:
        sw[0] = 1.0
    p.update(
        X=X,
        sample_weight=sw / sw.sum(),
        alpha=draw(st.sampled_from([0.0, 1e-3, 0.5])),
        fit_intercept=draw(st.booleans()),
        use_sparse=draw(st.booleans()),
        params_seed=draw(st.integers(0, 2**16)),
    )
    return p


@hypothesis_settings(max_examples=60)
@given(linear_problems())
def test_linear_objective_gradient_with_weights(p):
    kw = {k: p[k] for k in ("kernel", "bandwidth", "period")}
    nodes = quadrature_nodes(p["lower"], p["upper"], p["centers"], **kw)
    table = KernelTable(nodes, p["centers"], **kw)
    X = sparse.csr_matrix(p["X"]) if p["use_sparse"] else p["X"]
    loss = linear_objective(
        table, X, p["sample_weight"], p["alpha"], fit_intercept=p["fit_intercept"]
    )
    rng = np.random.default_rng(p["params_seed"])
    params = rng.normal(0.0, 1.0, loss.model.n_params)

    def f(q):
        return loss.loss_gradient(q)[0]

    value, grad = loss.loss_gradient(params)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    fd = five_point_columns(lambda q: np.atleast_1d(f(q[0])), params[None, :])[0]
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def integration_range(dist):
    """Range holding all the mass, and the kinks and centers inside it."""
    c, h, P = dist.centers, dist.bandwidth, dist.period
    kinks = np.concatenate([c, *(c + o * h for o in KINK_OFFSETS[dist.kernel])])
    if P is not None:
        a = dist.window_start
        return a, a + P, np.unique(dist.to_window(kinks))
    reach = {"gaussian": 40.0, "exponential": 45.0}.get(dist.kernel, 1.0)
    a, b = c.min() - reach * h, c.max() + reach * h
    return a, b, np.unique(kinks)


def assert_integrates_to_one(dist):
    a, b, points = integration_range(dist)
    total, err = quad_vec(
        lambda t: dist.pdf([t])[:, 0],
        a,
        b,
        points=points[(points > a) & (points < b)],
        epsabs=1e-12,
        epsrel=1e-12,
        limit=2000,
    )
    assert_allclose(total, 1.0, atol=1e-8)


@hypothesis_settings(max_examples=60)
@given(kde_problems(max_rows=4), st.floats(-1.0, 1.0))
def test_every_density_integrates_to_one(p, start):
    period = p["period"]
    dist = KDEDistribution(
        p["logits"] - logsumexp(p["logits"], axis=1, keepdims=True),
        p["centers"],
        kernel=p["kernel"],
        bandwidth=p["bandwidth"],
        period=period,
        window_start=0.0 if period is None else start * period,
    )
    assert_integrates_to_one(dist)


@st.composite
def periodic_fits(draw):
    period = draw(st.sampled_from(PERIODS[1:]))
    kernel = draw(st.sampled_from(KERNELS))
    n = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    # Angles given in [0, P) or in [-P/2, P/2): both windows occur.
    signed = draw(st.booleans())
    x = rng.uniform(-1.0, 1.0, n)
    spread = draw(st.sampled_from([0.0, 0.02, 0.3]))
    angles = period * (0.3 * x + spread * rng.normal(size=n))
    if draw(st.booleans()):
        # Mirror images about the seam: circular means land right on it.
        angles = np.where(x > 0, 1.0, -1.0) * period * draw(st.floats(0.0, 0.5))
    if signed:
        angles = np.mod(angles + 0.5 * period, period) - 0.5 * period
    else:
        angles = np.mod(angles, period)
    width = period * draw(st.sampled_from([0.0, 0.01, 0.2, 1.0]))
    lower = angles - 0.5 * width
    upper = at_most_one_period(lower, angles + 0.5 * width, period)
    y = np.column_stack([lower, upper])
    return dict(
        kernel=kernel,
        period=period,
        X=x[:, None],
        y=y,
        centers=draw(st.integers(1, 12)),
        bandwidth=draw(st.sampled_from(["scott", "silverman"])),
        signed=signed,
    )


@hypothesis_settings(max_examples=40)
@given(periodic_fits())
def test_periodic_predictions_stay_in_the_window(p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "The training targets have zero spread")
        model = SoftmaxKDERegressor(
            centers=p["centers"],
            bandwidth=p["bandwidth"],
            kernel=p["kernel"],
            period=p["period"],
            max_iter=30,
        ).fit(p["X"], p["y"])
    start, end = model.window_
    mid = 0.5 * (p["y"][:, 0] + p["y"][:, 1])
    assert start == (-0.5 * p["period"] if np.any(mid < 0) else 0.0)
    assert end == start + p["period"]

    def inside(t):
        return bool(np.all((t >= start) & (t < end)))

    X = np.linspace(-1.5, 1.5, 7)[:, None]
    h = model.bandwidth_
    assert inside(model.predict(X)), model.predict(X)
    assert inside(model.predict_mean(X)), model.predict_mean(X)
    if 2 * (0.25 * h) < p["period"]:
        assert inside(model.predict_aim(X, 0.25 * h))
    assert inside(model.sample(X, 50, random_state=0))
    assert inside(model.predict_interval(X, 0.5)[:, 0])
    assert_integrates_to_one(model.predict_distribution(X[[0, 3, 6]]))


@st.composite
def line_fits(draw):
    kernel = draw(st.sampled_from([k for k in KERNELS if k != "vonmises"]))
    n = draw(st.integers(2, 25))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    x = rng.uniform(-1.0, 1.0, n)
    y = scale * (x + 0.3 * rng.normal(size=n))
    width = scale * draw(st.sampled_from([0.0, 0.1, 1.0]))
    return dict(
        kernel=kernel,
        X=x[:, None],
        y=np.column_stack([y, y + width]),
        centers=draw(st.integers(1, 12)),
    )


@hypothesis_settings(max_examples=30)
@given(line_fits())
def test_fitted_densities_on_the_line_integrate_to_one(p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxKDERegressor(
            centers=p["centers"], kernel=p["kernel"], max_iter=30
        ).fit(p["X"], p["y"])
    assert np.isfinite(model.score(p["X"], p["y"]))
    pred = model.predict(p["X"])
    assert np.all((pred >= model.centers_.min()) & (pred <= model.centers_.max()))
    assert_integrates_to_one(model.predict_distribution(p["X"][:3]))
