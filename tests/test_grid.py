"""The shared quadrature grid: weights, accuracy, gradients, the table's rule."""

import numpy as np
import pytest
from _helpers import five_point_gradient, reference_loss
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn import config_context
from threadpoolctl import threadpool_limits

from skkdece._linear import LinearLogits
from skkdece._objective import BlockedObjective
from skkdece._tables._factory import training_table, use_grid
from skkdece._tables._grid import GridTable, partial_panel_weights
from skkdece._tables._kernel_table import KernelTable, cross_entropy_from_table
from skkdece._tables._kernels import COMPACT_KERNELS
from skkdece._tables._quadrature import quadrature_nodes
from skkdece._tables._split_table import SplitTable

TWO_PI = 2 * np.pi


def test_partial_panel_weights_integrate_the_interpolant():
    rng = np.random.default_rng(0)
    k = 10
    x, w = np.polynomial.legendre.leggauss(k)
    assert_allclose(partial_panel_weights(np.array([-1.0]), np.array([1.0]), k)[0], w)
    alpha = rng.uniform(-1, 1, 20)
    beta = np.minimum(alpha + rng.uniform(0, 2, 20), 1.0)
    W = partial_panel_weights(alpha, beta, k)
    for degree in range(k):  # polynomials of degree < k are their interpolant
        exact = (beta ** (degree + 1) - alpha ** (degree + 1)) / (degree + 1)
        assert_allclose(W @ x**degree, exact, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "kernel, period",
    [("gaussian", None), ("gaussian", TWO_PI), ("vonmises", TWO_PI)],
)
def test_loss_matches_adaptive_quadrature_at_every_width(kernel, period):
    """Smooth kernels: within 1e-8 relative of quad from 0 to 50 bandwidths,
    intervals across the periodic seam included."""
    rng = np.random.default_rng(1)
    M = 17
    centers = np.linspace(-np.pi, np.pi, M, endpoint=False)
    h = 0.15 if period else 0.12
    rel = np.array([1e-6, 0.01, 0.3, 0.5, 1.0, 1.7, 3.0, 7.5, 20.0, 50.0])
    width = np.minimum(rel * h, TWO_PI if period else np.inf)
    lower = rng.uniform(-np.pi, np.pi if period else -1.0, width.shape[0])
    if period:
        lower[-3:] = np.pi - 0.3 * width[-3:]  # across the seam
    upper = lower + width
    z = rng.normal(0.0, 4.0, (width.shape[0], M))
    table = GridTable(lower, upper, centers, kernel=kernel, bandwidth=h, period=period)
    loss = cross_entropy_from_table(z, table, gradient=False)
    for i in range(width.shape[0]):
        ref = reference_loss(z[i], centers, lower[i], upper[i], kernel, h, period)
        assert loss[i] == pytest.approx(ref, rel=1e-8), rel[i]


@pytest.mark.parametrize("kernel", sorted(COMPACT_KERNELS) + ["exponential"])
def test_kinked_kernels_are_accurate(kernel):
    """Panels split at the kinks: as accurate as the per-row nodes."""
    rng = np.random.default_rng(2)
    centers = np.linspace(-3, 3, 9)
    h = 1.1 * (centers[1] - centers[0])
    lower = rng.uniform(-2.5, 0.0, 8)
    upper = lower + rng.uniform(0.2, 2.5, 8)
    z = rng.normal(0, 1.5, (8, 9))
    kw = dict(kernel=kernel, bandwidth=h)
    table = GridTable(lower, upper, centers, **kw)
    loss = cross_entropy_from_table(z, table, gradient=False)
    per_row = KernelTable(quadrature_nodes(lower, upper, centers, **kw), centers, **kw)
    old = cross_entropy_from_table(z, per_row, gradient=False)
    for i in range(8):
        ref = reference_loss(z[i], centers, lower[i], upper[i], kernel, h)
        assert abs(loss[i] - ref) <= max(1e-12, 2 * abs(old[i] - ref)) + 1e-9 * abs(ref)


@pytest.mark.parametrize(
    "kernel, period",
    [
        ("gaussian", None),
        ("gaussian", TWO_PI),
        ("vonmises", TWO_PI),
        ("epanechnikov", TWO_PI),
        ("linear", None),
        ("exponential", None),
        ("tophat", None),
    ],
)
def test_gradient_matches_finite_differences(kernel, period):
    rng = np.random.default_rng(3)
    M = 7
    centers = np.linspace(-3, 3, M) if period is None else np.arange(M) * TWO_PI / M
    h = 1.3 * (centers[1] - centers[0])
    lower = rng.uniform(-2.0, 1.0, 5)
    upper = lower + np.array([0.05, 0.7, 2.0, 3.5, 1.3])
    sw = rng.uniform(0.5, 2.0, 5)
    z = rng.normal(0, 1.5, (5, M))
    table = GridTable(lower, upper, centers, kernel=kernel, bandwidth=h, period=period)
    order = table.row_order
    loss, grad = np.empty(5), np.empty_like(z)
    for b in range(table.n_blocks):
        rows = slice(table.block_rows[b], table.block_rows[b + 1])
        idx = table.block_row_index(b)
        loss[rows] = table.block_loss(b, z[idx], sw[idx], grad=grad[rows])
    for r, i in enumerate(order):

        def f(zi, i=i):
            t = GridTable(
                lower[i : i + 1],
                upper[i : i + 1],
                centers,
                kernel=kernel,
                bandwidth=h,
                period=period,
            )
            return t.block_loss(0, zi[None])[0]

        # f's grid spans its own row only: the same loss to quadrature error.
        assert loss[r] == pytest.approx(f(z[i]), rel=1e-9)
        assert_allclose(grad[r], sw[i] * five_point_gradient(f, z[i]), atol=1e-8)


@pytest.mark.parametrize("period", [None, TWO_PI])
def test_exact_far_from_every_center(period):
    """Hundreds of bandwidths from every center: the log-domain fallback."""
    centers = np.array([-0.3, 0.0, 0.2])
    h = 0.002
    lower = np.array([2.0, 2.5])
    upper = lower + np.array([0.01, 0.4])  # 5 and 200 bandwidths wide
    z = np.array([[0.0, 1.0, -2.0], [3.0, 0.0, 0.5]])
    table = GridTable(
        lower, upper, centers, kernel="gaussian", bandwidth=h, period=period
    )
    loss, grad = cross_entropy_from_table(z, table)
    for i in range(2):
        ref = reference_loss(z[i], centers, lower[i], upper[i], "gaussian", h, period)
        assert loss[i] == pytest.approx(ref, rel=1e-10)
        # Far to the right the nearest center (0.2) takes all the responsibility.
        S = np.exp(z[i] - logsumexp(z[i]))
        assert_allclose(grad[i], S - [0, 0, 1], atol=1e-12)


def test_exact_with_extremely_confident_logits():
    """The nearest centers' weights underflow next to a far center's."""
    centers = np.linspace(-1, 1, 5)
    h = 0.06
    z = np.array([[0.0, -800.0, -800.0, -800.0, -800.0]])
    lower, upper = np.array([0.6]), np.array([1.4])
    table = GridTable(lower, upper, centers, kernel="gaussian", bandwidth=h)
    loss, grad = cross_entropy_from_table(z, table)
    assert table.n_fallback > 0
    ref = reference_loss(z[0], centers, 0.6, 1.4, "gaussian", h)
    assert loss[0] == pytest.approx(ref, rel=1e-10)
    f = lambda zi: cross_entropy_from_table(zi[None], table, gradient=False)[0]  # noqa: E731
    assert_allclose(grad[0], five_point_gradient(f, z[0]), rtol=1e-6, atol=1e-9)


def test_zero_density_rows_are_named():
    centers = np.array([0.0, 1.0])
    lower = np.array([0.0, 1.5, -3.0])
    upper = np.array([0.5, 2.5, -2.5])
    table = GridTable(lower, upper, centers, kernel="epanechnikov", bandwidth=0.6)
    with pytest.raises(ValueError, match=r"rows \[1, 2\]"):
        table.check_covered()
    loss = cross_entropy_from_table(np.zeros((3, 2)), table, gradient=False)
    assert np.isfinite(loss[0]) and np.all(np.isinf(loss[1:]))


@pytest.mark.parametrize("period", [None, TWO_PI])
def test_training_table_mixes_points_and_grid_rows(period):
    """Points keep their exact values, intervals go on the grid; one result."""
    rng = np.random.default_rng(4)
    M = 12
    centers = np.linspace(-3, 3, M)
    h = 0.5
    n = 300
    lower = rng.uniform(-3, 3, n)
    upper = lower + rng.uniform(2, 8, n) * h
    upper[::4] = lower[::4]
    z = rng.normal(0, 2, (n, M))
    kw = dict(kernel="gaussian", bandwidth=h, period=period)
    table = training_table(lower, upper, centers, **kw)
    assert isinstance(table, SplitTable)
    assert sorted(table.row_order) == list(range(n))
    per_row = KernelTable(quadrature_nodes(lower, upper, centers, **kw), centers, **kw)
    loss, grad = cross_entropy_from_table(z, table)
    ref_loss, ref_grad = cross_entropy_from_table(z, per_row)
    assert_array_equal(loss[::4], ref_loss[::4])  # point rows: the same path
    assert_allclose(loss, ref_loss, rtol=1e-7)
    assert_allclose(grad, ref_grad, rtol=1e-6, atol=1e-9)


def test_use_grid_rule():
    centers = np.linspace(-1, 1, 8)
    y = np.linspace(-1, 1, 500)
    kw = dict(kernel="gaussian", bandwidth=0.1)
    assert not use_grid(y, y, centers, **kw)  # points only
    assert not use_grid(y - 0.05, y + 0.05, centers, **kw)  # one bandwidth
    assert use_grid(y - 0.1, y + 0.1, centers, **kw)  # two bandwidths
    assert not use_grid(y - 0.1, y + 0.1, np.tile(centers, (50, 1)), **kw)
    with config_context(working_memory=12):  # 16 MB of per-row values
        assert use_grid(y - 0.05, y + 0.05, np.linspace(-1, 1, 400), **kw)
    with config_context(working_memory=0.001):  # the grid itself is too big
        assert not use_grid(y - 0.5, y + 0.5, centers, **kw)


def test_objective_is_the_same_with_any_memory_and_thread_count():
    """Blocks whose weights are recomputed give the kept blocks' results;
    threads change nothing, bit for bit."""
    rng = np.random.default_rng(5)
    n, d, M = 3000, 4, 10
    X = rng.normal(size=(n, d))
    y = rng.uniform(-2, 2, n)
    centers = np.linspace(-2, 2, M)
    sw = np.full(n, 1.0 / n)
    params = rng.normal(0, 0.3, M * d + M)

    def run(n_threads):
        table = GridTable(y - 0.6, y + 0.6, centers, kernel="gaussian", bandwidth=0.2)
        model = LinearLogits(M, d, fit_intercept=True, alpha=0.1)
        objective = BlockedObjective(table, model, X, sw, n_threads=n_threads)
        try:
            return table, objective.loss_gradient(params)
        finally:
            objective.close()  # its pool's threads end now, not at collection

    # Threads change nothing when the products inside them are the same:
    # one BLAS thread for both, as fits run them.
    with threadpool_limits(limits=1, user_api="blas"):
        table, (value, grad) = run(1)
        _, (value2, grad2) = run(2)
    assert table.n_blocks > 1 and len(table._kept) == table.n_blocks
    assert value2 == value and np.array_equal(grad2, grad)
    with config_context(working_memory=0.05):
        small, (value3, grad3) = run(1)
    assert len(small._kept) < small.n_blocks
    assert value3 == pytest.approx(value, rel=1e-14)
    assert_allclose(grad3, grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("period", [None, 8.0])
def test_rebuilt_weights_equal_kept_weights(period):
    """Blocks past working_memory rebuild their weights from the per-row
    partial panels at each evaluation: the same weights as kept blocks, for
    rows inside one panel, across several panels and across the seam."""
    rng = np.random.default_rng(11)
    n = 4000
    lower = rng.uniform(-3.5, 3.0, n) if period is None else rng.uniform(0, 8, n)
    upper = lower + rng.choice([0.02, 0.07, 0.3, 1.1], n)
    centers = np.linspace(-4, 4, 24) if period is None else np.arange(24) / 3.0
    kw = dict(kernel="gaussian", bandwidth=0.15, period=period)
    table = GridTable(lower, upper, centers, **kw)
    with config_context(working_memory=0.05):
        small = GridTable(lower, upper, centers, **kw)
    assert len(table._kept) == table.n_blocks > len(small._kept)
    assert np.any(table._first_panel == table._last_panel)
    assert np.any(table._last_panel > table._first_panel + 1)
    for b in range(table.n_blocks):
        for kept, rebuilt in zip(table._kept[b], small._weights(b), strict=True):
            assert_allclose(rebuilt, kept, rtol=1e-14, atol=1e-17)
        W, skip = table._kept[b][:2]
        # Weights only inside the band, each row's summing to one.
        assert np.all(W[skip == 1.0] == 0.0)
        assert_allclose(W.sum(axis=1), 1.0, rtol=1e-13)


@pytest.mark.parametrize("period", [None, 360.0])
def test_predicted_mean_log_density_uses_the_grid(period):
    """KDEDistribution.mean_log_density over wide intervals: the same table."""
    from skkdece._distribution import KDEDistribution

    rng = np.random.default_rng(6)
    M, n = 8, 4
    if period is None:
        centers, h, start = np.linspace(-3, 3, M), 0.5, 0.0
        lower = rng.uniform(-3, 0, n)
    else:
        centers, h, start = -180 + 360 * np.arange(M) / M, 20.0, -180.0
        lower = rng.uniform(100, 170, n)  # across the seam
    upper = lower + np.array([3.0, 5.0, 8.0, 12.0]) * h
    logw = rng.normal(0, 1.5, (n, M))
    logw -= logsumexp(logw, axis=1, keepdims=True)
    dist = KDEDistribution(
        logw, centers, kernel="gaussian", bandwidth=h, period=period, window_start=start
    )
    kw = dict(kernel="gaussian", bandwidth=h, period=period)
    assert isinstance(training_table(lower, upper, centers, **kw), GridTable)
    got = dist.mean_log_density(lower, upper)
    for i in range(n):
        ref = -reference_loss(
            logw[i], centers, lower[i], upper[i], "gaussian", h, period
        )
        assert got[i] == pytest.approx(ref, rel=1e-9)
