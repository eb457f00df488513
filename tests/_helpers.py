"""Reference oracles and helpers shared by the test modules.

Test modules import from here (``from _helpers import ...``; pyproject.toml
puts ``tests`` on ``sys.path``), never from one another: tests/test_layout.py
checks that.

Two reference losses, which answer different questions:

- :func:`reference_loss_grad` evaluates the loss and its gradient node by node,
  in the log domain, on the library's own quadrature nodes.  A fast path
  (blocked, chunked, shared grid, extreme logits) must match it to rounding.
- :func:`reference_loss` integrates ``-log p`` over one interval by adaptive
  quadrature, independent of the library's nodes: it measures the quadrature
  rule's own error.
"""

import numpy as np
from scipy.integrate import quad
from scipy.special import logsumexp

from skkdece._linear import LinearLogits
from skkdece._objective import BlockedObjective
from skkdece._tables._kernel_table import KernelTable
from skkdece._tables._kernels import log_kernel
from skkdece._tables._quadrature import quadrature_nodes


def make_table(lower, upper, centers, kernel, h, period=None):
    """The kernel table on the per-row quadrature nodes of ``[lower, upper]``."""
    nodes = quadrature_nodes(
        lower, upper, centers, kernel=kernel, bandwidth=h, period=period
    )
    return KernelTable(nodes, centers, kernel=kernel, bandwidth=h, period=period)


def reference_loss_grad(logits, table, rows=None):
    """Straight log-domain loss and gradient, node by node, of ``table``'s quadrature.

    Parameters
    ----------
    logits : ndarray of shape (n_rows, n_centers)
        The logits of the table's ``rows``.
    table : KernelTable
        Read for its quadrature nodes (``table.quad``, in the caller's row
        order), ``centers``, ``kernel``, ``bandwidth`` and ``period``.
    rows : ndarray of int or None
        The table rows ``logits`` belong to; all rows by default.

    Returns
    -------
    loss : ndarray of shape (n_rows,)
    grad : ndarray of shape (n_rows, n_centers)
    """
    nodes = table.quad
    centers = np.asarray(table.centers)
    rows = np.arange(logits.shape[0]) if rows is None else rows
    losses, grads = [], []
    for i, row in enumerate(rows):
        sl = slice(nodes.row_ptr[row], nodes.row_ptr[row + 1])
        t, w = nodes.nodes[sl], nodes.weights[sl]
        c = centers if centers.ndim == 1 else centers[row]
        log_S = logits[i] - logsumexp(logits[i])
        log_terms = log_S + log_kernel(
            t[:, None] - c, table.kernel, table.bandwidth, table.period
        )
        log_p = logsumexp(log_terms, axis=1)
        losses.append(-(w @ log_p))
        grads.append(np.exp(log_S) - w @ np.exp(log_terms - log_p[:, None]))
    return np.array(losses), np.array(grads)


def reference_loss(z, centers, a, b, kernel, h, period=None):
    """``-mean log p`` over ``[a, b]`` by adaptive quadrature, split at kinks."""
    log_S = z - logsumexp(z)

    def neg_log_p(t):
        return -logsumexp(log_S + log_kernel(t - centers, kernel, h, period))

    kinks = np.concatenate([centers + o * h for o in (-1.0, 0.0, 1.0)])
    if period is not None:
        kinks = np.concatenate([kinks + s * period for s in (-1, 0, 1)])
    kinks = kinks[(kinks > a) & (kinks < b)]
    value = quad(
        neg_log_p,
        a,
        b,
        points=kinks if kinks.size else None,
        limit=1000,
        epsabs=0,
        epsrel=1e-13,
    )[0]
    return value / (b - a)


def five_point_gradient(f, x, step=1e-4):
    """Central 5-point finite-difference gradient of a scalar function."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = step
        grad.flat[i] = (-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (
            12 * step
        )
    return grad


def integrate(f, lo, hi, points):
    """``quad`` of ``f`` over ``[lo, hi]``, split at the ``points`` inside it."""
    points = np.sort(points[(points > lo) & (points < hi)])
    return quad(
        f,
        lo,
        hi,
        points=points if points.size else None,
        limit=500,
        epsabs=1e-12,
        epsrel=1e-12,
    )[0]


def linear_objective(
    table, X, sample_weight, alpha, *, fit_intercept=True, n_threads=1
):
    """The linear model's blocked objective on ``table``, as ``fit`` builds it."""
    model = LinearLogits(
        table.n_centers, X.shape[1], fit_intercept=fit_intercept, alpha=alpha
    )
    return BlockedObjective(table, model, X, sample_weight, n_threads=n_threads)


def reference_aim(dist, aim, w, period):
    """Refine aims by bisection on the sign of p(t + w) - p(t - w).

    The Java aims are compared with this: Python's own aim may stop short
    of the last bits (a golden-section search on the window mass).
    """

    def slope(t):
        return np.exp(dist.logpdf_rows(t + w)) - np.exp(dist.logpdf_rows(t - w))

    delta = 1e-6
    lo, hi = aim - delta, aim + delta
    ok = (slope(lo) > 0) & (slope(hi) <= 0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    ref = np.where(ok, lo, aim)
    return dist.to_window(ref) if period else ref


def circular_diff(a, b, period):
    """|a - b|, the shorter way round a circle of this period (None: a line)."""
    d = np.abs(a - b)
    return np.minimum(d, period - d) if period else d


# The location-scale heads of SoftmaxKDERegressor, by name (export and Java
# parity tests).
HEADS = {
    "location": dict(location="linear"),
    "scale": dict(scale="linear"),
    "both": dict(location="linear", scale="linear"),
}


def moving_stretching_data(n, seed=0, period=None):
    """Rows whose target's location moves with feature 0 and whose spread
    grows with feature 1: the data the location-scale heads are for.

    On a circle (``period`` set) the target is wrapped and only moves.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    if period is not None:
        return X, np.mod(1.5 * X[:, 0] + 0.3 * rng.normal(size=n), period)
    y = 2.0 * X[:, 0] + 0.3 * np.exp(0.8 * X[:, 1]) * rng.normal(size=n)
    return X, y
