"""The softmax kernel-density cross-entropy and its exact gradient.

Two layers, as in scikit-learn's ``_linear_loss``:

* :class:`KernelTable` holds the kernel values at every quadrature node, and
  :func:`cross_entropy_from_table` maps a matrix of logits to per-sample losses
  and their gradients with respect to the logits.  It knows nothing of X.
* :class:`LinearKDELoss` maps the flat parameter vector of a linear logit model
  to logits, calls the per-sample loss and reduces the gradient to the
  parameters (sample weights, L2 penalty), ready for
  ``scipy.optimize.minimize(jac=True)``.

For sample ``i`` with softmax weights ``S_i`` over centers ``c_m`` the density
is ``p_i(t) = sum_m S_im K(t - c_m)`` and the loss is the mean of
``-log p_i(t)`` over ``t ~ U[a_i, b_i]`` (``-log p_i(a_i)`` when
``a_i == b_i``).  Its gradient is ``S_im - mean_t r_im(t)`` with
responsibilities ``r_im(t) = S_im K(t - c_m) / p_i(t)``.
"""

import numpy as np
from scipy import sparse
from scipy.special import logsumexp

from ._kernels import log_kernel
from ._quadrature import quadrature_nodes

# A node's scaled density sum_m S_m K_m / max_m K_m is at least the softmax
# weight of its nearest center.  When it falls below this value some of its
# terms may have underflowed, so the node is recomputed with logsumexp.
# Above it, every term lost to underflow is < 1e-300 of the sum.
_FALLBACK_BELOW = 1e-200


class KernelTable:
    """Kernel values at the quadrature nodes, with each node's maximum factored out.

    ``log K(t_q - c_m) = log_scale[q] + log(scaled[q, m])`` where
    ``max_m scaled[q, m] == 1``.  Responsibilities are ratios of kernel values
    at one node, so the common factor ``exp(log_scale[q])`` cancels from the
    gradient and enters the loss only as an added ``log_scale[q]``: nothing
    underflows however far the node is from every center.

    Parameters
    ----------
    quad : QuadratureNodes
        Nodes and weights for each sample's interval.
    points : ndarray of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared or per row.
    kernel, bandwidth, period :
        As for :func:`skkdece._kernels.log_kernel`.
    """

    def __init__(self, quad, points, *, kernel, bandwidth, period=None):
        self.quad = quad
        self.points = np.asarray(points, dtype=np.float64)
        self.kernel = kernel
        self.bandwidth = float(bandwidth)
        self.period = period
        self.row_of_node = quad.row_of_node
        self.nodes_per_row = quad.nodes_per_row
        log_k = self.log_kernel_at(slice(None))
        log_scale = np.max(log_k, axis=1)
        # Nodes outside the support of every compact kernel have p = 0.
        self.uncovered = ~np.isfinite(log_scale)
        log_scale[self.uncovered] = 0.0
        log_k -= log_scale[:, None]
        np.exp(log_k, out=log_k)
        self.scaled = log_k
        log_scale[self.uncovered] = -np.inf
        self.log_scale = log_scale

    @property
    def n_centers(self):
        return self.points.shape[-1]

    def log_kernel_at(self, index):
        """``log K(t_q - c_m)`` for the selected nodes, shape (n_selected, M)."""
        t = self.quad.nodes[index]
        if self.points.ndim == 1:
            pts = self.points[None, :]
        else:
            pts = self.points[self.row_of_node[index]]
        return log_kernel(
            t[:, None] - pts, self.kernel, self.bandwidth, period=self.period
        )

    def uncovered_rows(self):
        """Rows with a node where every kernel is zero (density zero)."""
        return np.unique(self.row_of_node[self.uncovered])

    # Row reductions, specialised for the common layouts.
    def sum_rows(self, values):
        """Sum per-node values (n_nodes,) or (n_nodes, M) within each row."""
        k = self.nodes_per_row
        n = self.quad.n_samples
        if k == 1:
            return values
        if k is not None:
            return values.reshape(n, k, *values.shape[1:]).sum(axis=1)
        return np.add.reduceat(values, self.quad.row_ptr[:-1], axis=0)

    def density_sum(self, S):
        """Per node ``sum_m S[row, m] * scaled[q, m]``, shape (n_nodes,)."""
        k = self.nodes_per_row
        n = S.shape[0]
        if k == 1:
            return np.einsum("qm,qm->q", self.scaled, S)
        if k is not None:
            scaled = self.scaled.reshape(n, k, -1)
            return np.matmul(scaled, S[:, :, None]).reshape(-1)
        return np.einsum("qm,qm->q", self.scaled, S[self.row_of_node])

    def weighted_kernel_sum(self, coef):
        """Per row ``sum_q coef[q] * scaled[q, :]``, shape (n_samples, M)."""
        k = self.nodes_per_row
        if k == 1:
            return self.scaled * coef[:, None]
        if k is not None:
            n = self.quad.n_samples
            scaled = self.scaled.reshape(n, k, -1)
            return np.matmul(coef.reshape(n, 1, k), scaled)[:, 0, :]
        return np.add.reduceat(
            self.scaled * coef[:, None], self.quad.row_ptr[:-1], axis=0
        )


def log_softmax(logits):
    """Row-wise ``log softmax``, shape of ``logits`` (n_samples, n_centers)."""
    log_S = logits - np.max(logits, axis=1, keepdims=True)
    log_S -= np.log(np.sum(np.exp(log_S), axis=1, keepdims=True))
    return log_S


def cross_entropy_from_table(logits, table, *, gradient=True):
    """Per-sample cross-entropy and its gradient with respect to the logits.

    Parameters
    ----------
    logits : ndarray of shape (n_samples, n_centers)
        Logits ``z``; the softmax weights are ``S = softmax(z)`` by row.
    table : KernelTable
        Kernel values at each row's quadrature nodes.
    gradient : bool, default=True
        Whether to return the gradient.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        ``-mean_t log p_i(t)``; ``inf`` where the density is zero at a node.
    grad : ndarray of shape (n_samples, n_centers)
        ``dloss_i / dz_i``, only when ``gradient`` is True.
    """
    log_S = log_softmax(logits)
    S = np.exp(log_S)
    w = table.quad.weights

    dens = table.density_sum(S)
    fallback = dens < _FALLBACK_BELOW
    fallback &= ~table.uncovered
    with np.errstate(divide="ignore"):
        log_p = np.log(dens) + table.log_scale
    if np.any(fallback):
        idx = np.flatnonzero(fallback)
        log_terms = log_S[table.row_of_node[idx]] + table.log_kernel_at(idx)
        log_p[idx] = logsumexp(log_terms, axis=1)
    loss = -table.sum_rows(w * log_p)
    if not gradient:
        return loss

    if np.any(table.uncovered):
        rows = table.uncovered_rows()
        raise ValueError(
            "The predicted density is zero inside the target of rows "
            f"{rows[:10].tolist()}{' ...' if rows.size > 10 else ''}: no kernel "
            f"of kernel={table.kernel!r} with bandwidth={table.bandwidth:g} "
            "reaches them, so the loss is infinite. Use a wider bandwidth, "
            "more centers, or a kernel with unbounded support."
        )
    coef = np.where(fallback, 0.0, w / np.where(fallback, 1.0, dens))
    resp = S * table.weighted_kernel_sum(coef)
    if np.any(fallback):
        # Responsibilities of the recomputed nodes, straight from the logs.
        r = np.exp(log_terms - log_p[idx, None]) * w[idx, None]
        np.add.at(resp, table.row_of_node[idx], r)
    return loss, S - resp


def _as_intervals(lower, upper, n, period):
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,))
    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,))
    bad = ~(np.isfinite(lower) & np.isfinite(upper))
    if np.any(bad):
        raise ValueError(
            f"lower and upper must be finite; rows {np.flatnonzero(bad)[:10].tolist()}"
            " are not."
        )
    bad = lower > upper
    if np.any(bad):
        raise ValueError(
            "Each interval needs lower <= upper; rows "
            f"{np.flatnonzero(bad)[:10].tolist()} have lower > upper."
        )
    if period is not None:
        bad = upper - lower > period
        if np.any(bad):
            raise ValueError(
                f"Intervals on a circle of period {period:g} may be at most one "
                f"period long; rows {np.flatnonzero(bad)[:10].tolist()} are longer."
            )
    return lower, upper


def kde_cross_entropy(
    logits,
    points,
    lower,
    upper,
    *,
    kernel="gaussian",
    bandwidth=1.0,
    period=None,
    n_quadrature=None,
):
    """Cross-entropy between uniform target intervals and softmax kernel densities.

    Row ``i`` predicts the density ``p_i(t) = sum_m S_im K_h(t - points_m)``
    with ``S_i = softmax(logits_i)``.  Its loss is the cross-entropy between
    the uniform distribution on ``[lower_i, upper_i]`` and ``p_i``::

        L_i = -1 / (b - a) * integral_a^b log p_i(t) dt     (a < b)
        L_i = -log p_i(a)                                   (a == b)

    and the gradient is ``S_im - mean_{t ~ U[a, b]} S_im K_h(t - c_m) / p_i(t)``.
    Everything is computed in the log domain: the result stays exact when every
    point is hundreds of bandwidths from the interval.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_points)
        One logit per kernel point and row.
    points : array-like of shape (n_points,) or (n_samples, n_points)
        Kernel centers, shared by all rows or given per row.
    lower, upper : array-like of shape (n_samples,)
        Target intervals; rows with ``lower == upper`` are point targets.
        With a period, ``lower <= upper <= lower + period`` and the interval may
        cross the seam of the window (``[350, 370]`` on a 360 circle).
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    bandwidth : float, default=1.0
        Kernel bandwidth (support radius for the compact kernels).
    period : float or None, default=None
        Period of a circular target (e.g. ``2 * np.pi`` or ``360``).
    n_quadrature : int or None, default=None
        Gauss-Legendre nodes on each smooth piece of an interval.  ``None``
        chooses panels at most one bandwidth wide.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        Per-row cross-entropy ``L_i``.
    grad : ndarray of shape (n_samples, n_points)
        ``dL_i / dlogits_i``.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import kde_cross_entropy
    >>> logits = np.array([[0.0, 0.0], [2.0, -1.0]])
    >>> loss, grad = kde_cross_entropy(logits, [-1.0, 1.0], [0.5, -0.2], [0.5, 0.3])
    >>> loss.round(4)
    array([1.4238, 1.4736])
    >>> grad.sum(axis=1).round(12)  # softmax gradients sum to zero
    array([0., 0.])
    """
    from ._kernels import KERNELS

    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}.")
    if kernel == "vonmises" and period is None:
        raise ValueError("kernel='vonmises' needs a period.")
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be a positive finite float; got {bandwidth}.")
    if period is not None and not (np.isfinite(period) and period > 0):
        raise ValueError(f"period must be a positive finite float; got {period}.")
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D; got shape {logits.shape}.")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contain NaN or infinite values.")
    n, M = logits.shape
    points = np.asarray(points, dtype=np.float64)
    if points.shape not in ((M,), (n, M)):
        raise ValueError(
            f"points must have shape ({M},) or ({n}, {M}) to match the logits; "
            f"got {points.shape}."
        )
    if not np.all(np.isfinite(points)):
        raise ValueError("points contain NaN or infinite values.")
    lower, upper = _as_intervals(lower, upper, n, period)
    quad = quadrature_nodes(
        lower,
        upper,
        points,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
        n_quadrature=n_quadrature,
    )
    table = KernelTable(quad, points, kernel=kernel, bandwidth=bandwidth, period=period)
    return cross_entropy_from_table(logits, table)


class LinearKDELoss:
    """Objective of the linear softmax-KDE model over a flat parameter vector.

    Parameter layout (written once, here): with ``M`` centers and ``d``
    features, ``params[: M * d]`` is ``coef`` of shape (M, d) in C order and,
    when ``fit_intercept``, ``params[M * d :]`` is the intercept of shape (M,).
    Logits are ``X @ coef.T + intercept``.

    The objective is ``sum_i sw_i L_i / sum_i sw_i + alpha / 2 * ||coef||^2``.

    Parameters
    ----------
    table : KernelTable
        Kernel values at the training targets' quadrature nodes.
    fit_intercept : bool
        Whether the parameters end with an intercept.
    """

    def __init__(self, table, *, fit_intercept):
        self.table = table
        self.fit_intercept = fit_intercept

    def n_params(self, n_features):
        M = self.table.n_centers
        return M * n_features + (M if self.fit_intercept else 0)

    def unpack(self, params, n_features):
        """Views of ``coef`` (M, d) and ``intercept`` (M,) in ``params``."""
        M = self.table.n_centers
        coef = params[: M * n_features].reshape(M, n_features)
        intercept = params[M * n_features :] if self.fit_intercept else 0.0
        return coef, intercept

    def logits(self, params, X):
        coef, intercept = self.unpack(params, X.shape[1])
        return _matmul_t(X, coef) + intercept

    def loss_gradient(self, params, X, sample_weight, alpha):
        """Objective and its gradient, as ``minimize(jac=True)`` wants them.

        ``sample_weight`` must already be normalised to sum to one.
        """
        coef, _ = self.unpack(params, X.shape[1])
        loss_i, grad_z = cross_entropy_from_table(self.logits(params, X), self.table)
        loss = float(sample_weight @ loss_i) + 0.5 * alpha * float(np.vdot(coef, coef))
        grad_z *= sample_weight[:, None]
        grad = np.empty_like(params)
        g_coef, g_int = self.unpack(grad, X.shape[1])
        g_coef[...] = _t_matmul(grad_z, X)
        g_coef += alpha * coef
        if self.fit_intercept:
            g_int[...] = grad_z.sum(axis=0)
        return loss, grad


def _matmul_t(X, coef):
    """``X @ coef.T`` for dense or sparse X, always a dense float64 array."""
    if sparse.issparse(X):
        return np.asarray(X @ coef.T)
    return X @ coef.T


def _t_matmul(G, X):
    """``G.T @ X`` for dense or sparse X, shape (M, d)."""
    if sparse.issparse(X):
        return np.asarray((X.T @ G).T)
    return G.T @ X
