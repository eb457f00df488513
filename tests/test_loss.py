"""The loss and its gradient: finite differences, references, theory properties."""

import numpy as np
import pytest
from _helpers import (
    five_point_gradient,
    linear_objective,
    make_table,
    reference_loss_grad,
)
from numpy.testing import assert_allclose
from scipy import sparse
from scipy.integrate import quad
from scipy.special import logsumexp

from skkdece import KERNELS, kde_cross_entropy
from skkdece._linear import LinearLogits
from skkdece._objective import BlockedObjective
from skkdece._tables._kernel_table import KernelTable, cross_entropy_from_table
from skkdece._tables._kernels import COMPACT_KERNELS, log_kernel
from skkdece._tables._quadrature import quadrature_nodes

TWO_PI = 2 * np.pi
KERNEL_PERIODS = [
    (k, p) for k in KERNELS for p in (None, TWO_PI) if not (k == "vonmises" and not p)
]


def problem(kernel, period, *, n=6, M=7, per_row=False, seed=0):
    """Centers that cover the targets for every kernel, and mixed targets."""
    rng = np.random.default_rng(seed)
    if period is None:
        base = np.linspace(-3, 3, M)
        lower = rng.uniform(-2.5, 2.0, n)
        upper = np.minimum(lower + rng.uniform(0, 1.5, n), 2.8)
    else:
        base = -np.pi + period * np.arange(M) / M
        lower = rng.uniform(-np.pi, np.pi, n)
        upper = lower + rng.uniform(0, 2.5, n)  # some cross the seam
    upper[::3] = lower[::3]  # every third row is a point target
    h = 1.1 * (base[1] - base[0])
    points = base + rng.uniform(-0.2, 0.2, (n, M)) if per_row else base
    logits = rng.normal(0, 1.5, (n, M))
    return logits, points, lower, upper, h


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
@pytest.mark.parametrize("per_row", [False, True])
def test_gradient_matches_finite_differences(kernel, period, per_row):
    logits, points, lower, upper, h = problem(kernel, period, per_row=per_row)
    kw = dict(kernel=kernel, bandwidth=h, period=period)
    loss, grad = kde_cross_entropy(logits, points, lower, upper, **kw)
    assert np.all(np.isfinite(loss))
    for i in range(logits.shape[0]):
        # Per-row centers stay per row (shape (1, M)): the same quadrature.
        pts = points[i : i + 1] if per_row else points

        def f(z, i=i, pts=pts):
            return kde_cross_entropy(z[None], pts, lower[i], upper[i], **kw)[0][0]

        fd = five_point_gradient(f, logits[i])
        assert_allclose(grad[i], fd, rtol=1e-5, atol=1e-9 * np.abs(fd).max())


@pytest.mark.parametrize("kernel, period", KERNEL_PERIODS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("use_sparse", [False, True])
def test_linear_objective_gradient_with_sample_weights(
    kernel, period, fit_intercept, use_sparse
):
    logits, points, lower, upper, h = problem(kernel, period, n=9, M=5)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, 3))
    X[X < -0.5] = 0.0
    if use_sparse:
        X = sparse.csr_matrix(X)
    sw = rng.uniform(0.1, 2.0, 9)
    sw /= sw.sum()
    quad_nodes = quadrature_nodes(
        lower, upper, points, kernel=kernel, bandwidth=h, period=period
    )
    table = KernelTable(quad_nodes, points, kernel=kernel, bandwidth=h, period=period)
    loss = linear_objective(table, X, sw, 0.3, fit_intercept=fit_intercept)
    params = rng.normal(0, 0.5, loss.model.n_params)

    def f(p):
        return loss.loss_gradient(p)[0]

    value, grad = loss.loss_gradient(params)
    assert np.isfinite(value)
    assert_allclose(grad, five_point_gradient(f, params), rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential", "vonmises"])
@pytest.mark.parametrize("width_in_bandwidths", [0.05, 0.4, 1.0, 3.0, 12.0])
def test_default_quadrature_matches_adaptive_reference(kernel, width_in_bandwidths):
    """Smooth kernels: loss within 1e-6 relative of scipy.integrate.quad."""
    period = TWO_PI if kernel == "vonmises" else None
    rng = np.random.default_rng(2)
    M = 16
    centers = np.linspace(-np.pi, np.pi, M, endpoint=period is None)
    h = 1.2 * (centers[1] - centers[0])
    for _ in range(10):
        z = rng.normal(0, 3.0, M)
        S = np.exp(z - logsumexp(z))
        a = rng.uniform(-2.5, 1.0)
        b = a + min(width_in_bandwidths * h, TWO_PI if period else 6.0)
        loss, _ = kde_cross_entropy(
            z[None], centers, a, b, kernel=kernel, bandwidth=h, period=period
        )

        def neg_log_p(t, S=S):
            return -logsumexp(np.log(S) + log_kernel(t - centers, kernel, h, period))

        kinks = [c for c in centers if a < c < b] if kernel == "exponential" else None
        ref = quad(neg_log_p, a, b, points=kinks, limit=200, epsabs=0, epsrel=1e-12)
        assert loss[0] == pytest.approx(ref[0] / (b - a), rel=1e-6)


@pytest.mark.parametrize("width_in_bandwidths", [0.6, 1.0, 3.0])
def test_default_quadrature_is_accurate_for_sharp_mixtures(width_in_bandwidths):
    """Narrow kernels (a quarter to a third of the center spacing) and logits
    spread over +-8: the mixture's complex zeros come close to the real axis,
    the hard case for Gauss-Legendre.  The default rule stays within 2e-8
    (8 nodes per bandwidth would be 1.6e-7 off here)."""
    rng = np.random.default_rng(5)
    M = 16
    centers = np.linspace(-np.pi, np.pi, M)
    for h_in_spacings, spread in [(0.35, 5.0), (0.25, 8.0)]:
        h = h_in_spacings * (centers[1] - centers[0])
        for _ in range(30):
            z = rng.normal(0, spread, M)
            log_S = z - logsumexp(z)
            a = rng.uniform(-2.5, 1.0)
            b = a + width_in_bandwidths * h
            loss, _ = kde_cross_entropy(z[None], centers, a, b, bandwidth=h)

            def neg_log_p(t, log_S=log_S, h=h):
                return -logsumexp(log_S + log_kernel(t - centers, "gaussian", h))

            ref = quad(neg_log_p, a, b, limit=400, epsabs=0, epsrel=1e-12)[0]
            assert loss[0] == pytest.approx(ref / (b - a), rel=2e-8)


def test_point_target_is_minus_log_density():
    centers = np.array([-1.0, 0.5, 2.0])
    z = np.array([[0.3, -1.0, 2.0]])
    for kernel in ["gaussian", "epanechnikov", "exponential"]:
        loss, grad = kde_cross_entropy(
            z, centers, 0.7, 0.7, kernel=kernel, bandwidth=1.7
        )
        S = np.exp(z[0] - logsumexp(z[0]))
        K = np.exp(log_kernel(0.7 - centers, kernel, 1.7))
        p = S @ K
        assert loss[0] == pytest.approx(-np.log(p), rel=1e-13)
        assert_allclose(grad[0], S - S * K / p, atol=1e-15)


# ---------------------------------------------------------------------------
# Properties from the theory notes.
# ---------------------------------------------------------------------------


def test_zero_one_kernel_gives_softmax_cross_entropy():
    """(a) K is 1/(2h) for the matching center's support and 0 elsewhere."""
    centers = np.array([0.0, 10.0, 20.0, 30.0])
    z = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    lower, upper = np.array([9.6, 29.1]), np.array([10.3, 29.9])  # classes 1, 3
    loss, grad = kde_cross_entropy(
        z, centers, lower, upper, kernel="tophat", bandwidth=1.0
    )
    S = np.exp(z - logsumexp(z, axis=1, keepdims=True))
    onehot = np.zeros_like(S)
    onehot[0, 1] = onehot[1, 3] = 1.0
    assert_allclose(grad, S - onehot, atol=1e-15)
    # The loss is softmax cross-entropy up to the constant log(2h).
    assert_allclose(loss, -np.log(S[onehot == 1]) + np.log(2.0), rtol=1e-14)


def test_scaling_the_kernel_leaves_the_gradient_unchanged():
    """(b) With K -> c K the loss moves by -log c and the gradient stays put.

    A tophat's height is 1/(2h): widening it while every support covers the
    same centers multiplies the kernel by a constant.
    """
    centers = np.array([0.0, 10.0, 20.0])
    z = np.array([[0.2, 1.0, -0.5]])
    l1, g1 = kde_cross_entropy(z, centers, 9.5, 10.5, kernel="tophat", bandwidth=1.0)
    l3, g3 = kde_cross_entropy(z, centers, 9.5, 10.5, kernel="tophat", bandwidth=3.0)
    assert_allclose(g1, g3, atol=1e-15)
    assert l3[0] - l1[0] == pytest.approx(np.log(3.0), rel=1e-13)

    # Same with smooth kernel values, against a direct linear-domain formula.
    rng = np.random.default_rng(3)
    K = rng.uniform(0.1, 1.0, (5, 4))  # 5 nodes, 4 centers
    w = rng.dirichlet(np.ones(5))
    S = rng.dirichlet(np.ones(4))

    def direct(Kc):
        p = Kc @ S
        return -(w @ np.log(p)), S - S * ((w / p) @ Kc)

    loss_a, grad_a = direct(K)
    loss_b, grad_b = direct(7.0 * K)
    assert_allclose(grad_a, grad_b, rtol=1e-13)
    assert loss_b == pytest.approx(loss_a - np.log(7.0), rel=1e-13)


@pytest.mark.parametrize("distance", [1.0, 30.0, 1000.0])
def test_exponential_kernel_shift_invariance(distance):
    """(c) Moving every center toward [a, b] by the same distance, none entering
    it, leaves the gradient unchanged, even from 1000 bandwidths away."""
    h = 0.5
    a, b = -0.4, 0.3
    near = np.array([a - 0.1, a - 1.3, b + 0.2, b + 2.0, b + 0.7])
    side = np.sign(near)  # -1 left of the interval, +1 right of it
    far = near + side * distance * h
    z = np.array([[0.4, -0.3, 1.1, 0.0, -2.0]])
    kw = dict(kernel="exponential", bandwidth=h)
    loss_near, grad_near = kde_cross_entropy(z, near, a, b, **kw)
    loss_far, grad_far = kde_cross_entropy(z, far, a, b, **kw)
    assert np.all(np.isfinite(grad_far)) and np.abs(grad_far).max() > 0.1
    assert_allclose(grad_far, grad_near, rtol=1e-10, atol=1e-13)
    assert loss_far[0] - loss_near[0] == pytest.approx(distance, rel=1e-12)


def test_per_point_losses_do_not_give_the_same_gradient():
    """(d) The withdrawn shortcut: summing separate per-point losses
    ``sum_m S_m * (-mean_t log K(t - c_m))`` is not the cross-entropy.

    Gaussian kernel h = 1, centers 0 and 3, interval [-1, 2], equal logits:
    the per-point losses are 1.41894 and 4.41894, so the shortcut's gradient
    ``S_m (l_m - sum_k S_k l_k)`` is (-0.75, 0.75); the true gradient is about
    (-0.311, 0.311).  The shortcut is linear in S, so it would push all the
    weight onto one center, while the cross-entropy keeps a mixture.
    """
    centers = np.array([0.0, 3.0])
    a, b = -1.0, 2.0
    z = np.zeros((1, 2))
    per_point = np.array(
        [
            quad(lambda t, c=c: -log_kernel(t - c, "gaussian", 1.0), a, b)[0] / (b - a)
            for c in centers
        ]
    )
    assert_allclose(
        per_point,
        [0.5 * np.log(2 * np.pi) + 1 / 2, 0.5 * np.log(2 * np.pi) + 7 / 2],
        rtol=1e-12,
    )
    S = np.array([0.5, 0.5])
    shortcut = S * (per_point - S @ per_point)
    _, grad = kde_cross_entropy(z, centers, a, b, bandwidth=1.0)
    assert_allclose(shortcut, [-0.75, 0.75], rtol=1e-12)
    assert_allclose(grad[0], [-0.31102, 0.31102], atol=5e-6)
    assert np.abs(grad[0] - shortcut).max() > 0.4

    # Symmetric interval [-1, 4]: both gradients vanish at equal weights, but
    # the shortcut is flat in z while the true loss has its minimum there.
    _, g_sym = kde_cross_entropy(z, centers, -1.0, 4.0, bandwidth=1.0)
    assert_allclose(g_sym, 0.0, atol=1e-12)
    l_mix, _ = kde_cross_entropy(z, centers, -1.0, 4.0, bandwidth=1.0)
    l_one, _ = kde_cross_entropy(
        np.array([[30.0, 0.0]]), centers, -1.0, 4.0, bandwidth=1.0
    )
    assert l_mix[0] < l_one[0] - 1.0


# ---------------------------------------------------------------------------
# Numerical range.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kernel, period", [("gaussian", None), ("exponential", None), ("gaussian", 1000.0)]
)
def test_exact_when_every_center_is_far_from_the_target(kernel, period):
    h = 1.0
    centers = np.linspace(-20, 20, 9)
    lower = np.array([1000.0, -1200.0, 620.0])
    upper = lower + np.array([0.0, 2.5, 7.0])
    rng = np.random.default_rng(4)
    z = rng.normal(0, 2, (3, 9))
    loss, grad = kde_cross_entropy(
        z, centers, lower, upper, kernel=kernel, bandwidth=h, period=period
    )
    ref_loss, ref_grad = reference_loss_grad(
        z, make_table(lower, upper, centers, kernel, h, period)
    )
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    assert np.abs(grad).max() > 0.1  # still informative, not zeroed by underflow
    assert_allclose(loss, ref_loss, rtol=1e-12)
    assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)


def test_exact_with_extremely_confident_logits():
    """Weights below 1e-300 on the only centers near the target."""
    centers = np.array([0.0, 100.0, 200.0])
    z = np.array([[-800.0, 0.0, 5.0], [0.0, -750.0, -760.0]])
    lower, upper = np.array([0.0, 200.0]), np.array([0.5, 200.0])
    loss, grad = kde_cross_entropy(z, centers, lower, upper, bandwidth=1.0)
    ref_loss, ref_grad = reference_loss_grad(
        z, make_table(lower, upper, centers, "gaussian", 1.0)
    )
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    assert_allclose(loss, ref_loss, rtol=1e-12)
    assert_allclose(grad, ref_grad, atol=1e-12)
    # The targets sit on the unlikely center, whose gradient is ~ -1.
    assert grad[0, 0] == pytest.approx(-1.0, abs=1e-9)
    assert grad[1, 2] == pytest.approx(-1.0, abs=1e-9)


@pytest.mark.parametrize("kernel", sorted(COMPACT_KERNELS))
def test_zero_density_target_raises(kernel):
    with pytest.raises(ValueError, match="density is zero"):
        kde_cross_entropy(
            np.zeros((1, 2)), [0.0, 1.0], 5.0, 6.0, kernel=kernel, bandwidth=1.0
        )


def test_seam_crossing_interval_equals_shifted_copy():
    centers = 360 * np.arange(12) / 12
    z = np.random.default_rng(5).normal(size=(1, 12))
    kw = dict(bandwidth=20.0, period=360.0)
    for kernel in ["gaussian", "vonmises", "tophat", "exponential"]:
        a = kde_cross_entropy(z, centers, 350.0, 370.0, kernel=kernel, **kw)
        b = kde_cross_entropy(z, centers, -10.0, 10.0, kernel=kernel, **kw)
        assert_allclose(a[0], b[0], rtol=1e-12)
        assert_allclose(a[1], b[1], atol=1e-12)


def test_full_circle_interval_gives_zero_gradient_for_uniform_weights_density():
    """An interval of one whole period averages log p over the circle."""
    centers = TWO_PI * np.arange(6) / 6
    z = np.zeros((1, 6))
    loss, grad = kde_cross_entropy(
        z, centers, 0.3, 0.3 + TWO_PI, bandwidth=0.8, period=TWO_PI
    )
    # Equal weights on evenly spaced centers: by symmetry nothing to change.
    assert_allclose(grad, 0.0, atol=1e-10)
    assert loss[0] >= np.log(TWO_PI) - 1e-12  # cross-entropy >= entropy of U


@pytest.mark.parametrize("per_row", [False, True])
def test_rows_sorted_by_node_count_give_each_rows_own_result(per_row):
    """A table of mixed points and widths sorts its rows into blocks of one
    node count; every row still gets what it gets evaluated alone."""
    logits, points, lower, upper, h = problem("gaussian", None, n=12, per_row=per_row)
    quad = quadrature_nodes(lower, upper, points, kernel="gaussian", bandwidth=h)
    table = KernelTable(quad, points, kernel="gaussian", bandwidth=h)
    assert table.row_order is not None
    assert sorted(table.row_order) == list(range(12))
    for b in range(table.n_blocks):
        r0, r1 = table.block_rows[b], table.block_rows[b + 1]
        assert np.unique(np.diff(table.row_ptr[r0 : r1 + 1])).size == 1
    loss, grad = cross_entropy_from_table(logits, table)
    assert_allclose(
        kde_cross_entropy(logits, points, lower, upper, bandwidth=h)[0], loss
    )
    for i in range(12):
        pts = points[i] if per_row else points
        one = kde_cross_entropy(logits[i : i + 1], pts, lower[i], upper[i], bandwidth=h)
        assert_allclose(one[0], loss[i : i + 1], rtol=1e-13)
        assert_allclose(one[1], grad[i : i + 1], atol=1e-14)


def test_rows_with_zero_density_are_named_in_the_callers_order():
    """Sorting rows by node count must not garble which rows are uncovered."""
    centers = np.array([0.0, 10.0])  # epanechnikov supports [-1, 1], [9, 11]
    lower = np.array([0.5, 5.0, 9.5, 0.2, 4.0, 10.0, -0.9])
    upper = np.array([0.5, 5.0, 10.5, 0.8, 6.0, 10.0, 0.9])
    quad = quadrature_nodes(lower, upper, centers, kernel="epanechnikov", bandwidth=1)
    table = KernelTable(quad, centers, kernel="epanechnikov", bandwidth=1.0)
    assert table.row_order is not None
    assert table.uncovered_rows().tolist() == [1, 4]
    with pytest.raises(ValueError, match=r"inside the targets of rows \[1, 4\]"):
        table.check_covered()
    loss = cross_entropy_from_table(np.zeros((7, 2)), table, gradient=False)
    assert np.isinf(loss[[1, 4]]).all() and np.isfinite(np.delete(loss, [1, 4])).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(kernel="nope"), "'kernel' parameter of kde_cross_entropy must be"),
        (dict(kernel="vonmises"), "only defined on a circle"),
        (dict(bandwidth=0.0), "'bandwidth' parameter of kde_cross_entropy must be"),
        (dict(period=-1.0), "'period' parameter of kde_cross_entropy must be"),
    ],
)
def test_kde_cross_entropy_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kde_cross_entropy(np.zeros((1, 2)), [0.0, 1.0], 0.0, 0.5, **kwargs)


def test_kde_cross_entropy_rejects_bad_arrays():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="centers must have shape"):
        kde_cross_entropy(z, [0.0, 1.0], 0.0, 0.5)
    with pytest.raises(ValueError, match="lower > upper"):
        kde_cross_entropy(z, [0.0, 1.0, 2.0], [0.0, 1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="at most one period"):
        kde_cross_entropy(z, [0.0, 1.0, 2.0], 0.0, 7.0, period=TWO_PI)
    with pytest.raises(ValueError, match="NaN"):
        kde_cross_entropy(np.full((2, 3), np.nan), [0.0, 1.0, 2.0], 0.0, 0.5)
    with pytest.raises(ValueError, match="finite"):
        kde_cross_entropy(z, [0.0, 1.0, 2.0], [0.0, np.nan], 0.5)


@pytest.mark.parametrize("loss", ["cross_entropy", "interval_likelihood"])
def test_smaller_blocks_give_the_same_objective(loss):
    """``block_bytes`` (the neighbours model asks for 1 MiB) only cuts rows."""
    from skkdece._tables._factory import training_table

    rng = np.random.default_rng(5)
    n, M = 600, 7
    X = rng.normal(size=(n, 3))
    y = X[:, 0] + 0.3 * rng.normal(size=n)
    width = np.where(np.arange(n) % 3 == 0, 0.0, 0.4)  # points and intervals
    centers = np.linspace(-3, 3, M)
    model = LinearLogits(M, 3, fit_intercept=True, alpha=0.0)
    params = rng.normal(size=model.n_params)
    results = []
    for block_bytes in (None, 2**10):
        table = training_table(
            y - width,
            y + width,
            centers,
            kernel="gaussian",
            bandwidth=0.5,
            loss=loss,
            n_quadrature=4,
            block_bytes=block_bytes,
        )
        results.append(table.n_blocks)
        objective = BlockedObjective(table, model, X, np.full(n, 1.0 / n))
        results.append(objective.loss_gradient(params))
    assert results[2] > results[0] + 10
    assert_allclose(results[3][0], results[1][0], rtol=1e-13)
    assert_allclose(results[3][1], results[1][1], rtol=1e-11, atol=1e-15)
