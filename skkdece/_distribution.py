"""Predicted kernel-mixture distributions, one per row.

A fitted :class:`~skkdece.SoftmaxKDERegressor` predicts, for every row of X,
the density ``p(t) = sum_m w_m K_h(t - c_m)`` with softmax weights ``w``.
:class:`KDEDistribution` holds those weights (as logs, so that tiny weights stay
exact) together with the centers, kernel, bandwidth and, for circular targets,
the period and the window in which angles are reported.  Every question about
the predicted distribution is a method of this class; the estimator's
``predict_*`` methods are thin wrappers around it.
"""

import numpy as np
from scipy.special import logsumexp

from ._chunking import row_batches
from ._kernels import KINK_OFFSETS, log_kernel
from ._loss import KernelTable, cross_entropy_from_table
from ._quadrature import quadrature_nodes

# Below this a max-scaled density sum may have lost terms to underflow; such
# entries are recomputed exactly with logsumexp (see _loss._FALLBACK_BELOW).
_FALLBACK_BELOW = 1e-200
# Golden-section steps when refining a mode: the bracket shrinks by 0.618 per
# step, so 60 steps take a bracket of a few bandwidths below 1e-12 bandwidths.
_GOLDEN_STEPS = 60
_INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0


def _check_grid(grid, name="grid"):
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim == 0:
        grid = grid.reshape(1)
    if grid.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {grid.shape}.")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return grid


class KDEDistribution:
    """Kernel-mixture distributions over a 1-D (possibly circular) target.

    Row ``i`` is the density ``p_i(t) = sum_m exp(log_weights[i, m]) *
    K_h(t - centers[m])``.

    Parameters
    ----------
    log_weights : ndarray of shape (n_samples, n_centers)
        Log of the mixture weights; each row's weights sum to one.
    centers : ndarray of shape (n_centers,)
        Kernel centers.
    kernel : str
        Kernel name.
    bandwidth : float
        Kernel bandwidth.
    period : float or None, default=None
        Period of a circular target.
    window_start : float, default=0.0
        Circular targets are reported in ``[window_start, window_start +
        period)``; ignored without a period.
    """

    def __init__(
        self, log_weights, centers, *, kernel, bandwidth, period=None, window_start=0.0
    ):
        self.log_weights = np.asarray(log_weights, dtype=np.float64)
        self.centers = np.asarray(centers, dtype=np.float64)
        self.kernel = kernel
        self.bandwidth = float(bandwidth)
        self.period = None if period is None else float(period)
        self.window_start = float(window_start)

    def __len__(self):
        return self.log_weights.shape[0]

    def __getitem__(self, index):
        """Rows ``index`` as a new distribution (keeps 2-D weights)."""
        log_weights = self.log_weights[index]
        if log_weights.ndim == 1:
            log_weights = log_weights[None, :]
        return KDEDistribution(
            log_weights,
            self.centers,
            kernel=self.kernel,
            bandwidth=self.bandwidth,
            period=self.period,
            window_start=self.window_start,
        )

    @property
    def shape(self):
        """``(n_samples,)``: one distribution per row, for scikit-learn's scorers."""
        return (len(self),)

    @property
    def weights(self):
        """Mixture weights, shape (n_samples, n_centers)."""
        return np.exp(self.log_weights)

    def _log_kernel(self, t):
        return log_kernel(t, self.kernel, self.bandwidth, period=self.period)

    def to_window(self, t):
        """Wrap angles into the reporting window (identity without a period)."""
        t = np.asarray(t, dtype=np.float64)
        if self.period is None:
            return t
        return self.window_start + np.mod(t - self.window_start, self.period)

    # ------------------------------------------------------------------ density
    def logpdf(self, grid):
        """Log density of every row at every grid angle.

        Parameters
        ----------
        grid : array-like of shape (n_grid,)
            Angles, shared by all rows.

        Returns
        -------
        log_density : ndarray of shape (n_samples, n_grid)
        """
        grid = _check_grid(grid)
        log_k = self._log_kernel(grid[:, None] - self.centers)  # (G, M)
        log_scale = np.max(log_k, axis=1)
        covered = np.isfinite(log_scale)
        log_scale = np.where(covered, log_scale, 0.0)
        scaled = np.exp(log_k - log_scale[:, None])
        out = np.empty((len(self), grid.shape[0]))
        row_bytes = 8 * (grid.shape[0] + self.centers.shape[0])
        for rows in row_batches(row_bytes, len(self)):
            lw = self.log_weights[rows]
            dens = np.exp(lw) @ scaled.T
            with np.errstate(divide="ignore"):
                block = np.log(dens) + log_scale
            redo = (dens < _FALLBACK_BELOW) & covered
            if np.any(redo):
                r, g = np.nonzero(redo)
                block[r, g] = logsumexp(lw[r] + log_k[g], axis=1)
            block[:, ~covered] = -np.inf
            out[rows] = block
        return out

    def pdf(self, grid):
        """Density of every row at every grid angle, shape (n_samples, n_grid)."""
        return np.exp(self.logpdf(grid))

    def logpdf_rows(self, t):
        """Log density of row ``i`` at its own angle ``t[i]``, shape (n_samples,)."""
        t = np.asarray(t, dtype=np.float64)
        log_k = self._log_kernel(t[:, None] - self.centers)
        return logsumexp(self.log_weights + log_k, axis=1)

    def mean_log_density(self, lower, upper, *, n_quadrature=None):
        """Mean of ``log p_i(t)`` over ``t ~ U[lower_i, upper_i]``, per row.

        Minus the cross-entropy loss of the targets; ``log p_i(lower_i)`` for
        point targets (``lower == upper``).  Same quadrature as in training.

        Returns
        -------
        mean_log_density : ndarray of shape (n_samples,)
        """
        quad = quadrature_nodes(
            lower,
            upper,
            self.centers,
            kernel=self.kernel,
            bandwidth=self.bandwidth,
            period=self.period,
            n_quadrature=n_quadrature,
        )
        table = KernelTable(
            quad,
            self.centers,
            kernel=self.kernel,
            bandwidth=self.bandwidth,
            period=self.period,
        )
        return -cross_entropy_from_table(self.log_weights, table, gradient=False)

    # --------------------------------------------------------------------- mode
    def _candidate_grid(self):
        """Sorted angles at which to look for the mode before refining it.

        A mixture of symmetric unimodal kernels peaks inside the hull of its
        centers (anywhere on the circle when periodic); a grid of quarter
        bandwidths plus every kink finds each peak's basin.
        """
        h = self.bandwidth
        c = self.centers
        kinks = [c + o * h for o in KINK_OFFSETS[self.kernel]]
        if self.period is None:
            lo, hi = c.min(), c.max()
            n_grid = int(np.ceil((hi - lo) / (0.25 * h))) + 1
            cand = np.concatenate([np.linspace(lo, hi, n_grid), c, *kinks])
            cand = cand[(cand >= lo) & (cand <= hi)]
        else:
            P = self.period
            n_grid = max(int(np.ceil(P / (0.25 * h))), 16)
            grid = self.window_start + P * np.arange(n_grid) / n_grid
            cand = self.to_window(np.concatenate([grid, c, *kinks]))
        return np.unique(cand)

    def _golden_max(self, lo, hi):
        """Vectorised golden-section search of each row's log density on [lo, hi]."""
        x1 = hi - _INV_PHI * (hi - lo)
        x2 = lo + _INV_PHI * (hi - lo)
        f1, f2 = self.logpdf_rows(x1), self.logpdf_rows(x2)
        for _ in range(_GOLDEN_STEPS):
            left = f1 >= f2  # keep [lo, x2], else [x1, hi]
            hi = np.where(left, x2, hi)
            lo = np.where(left, lo, x1)
            x_new = np.where(left, hi - _INV_PHI * (hi - lo), lo + _INV_PHI * (hi - lo))
            f_new = self.logpdf_rows(x_new)
            x1, x2 = np.where(left, x_new, x2), np.where(left, x1, x_new)
            f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
        best = np.where(f1 >= f2, x1, x2)
        return best, np.maximum(f1, f2)

    def mode(self):
        """The most likely angle of every row, shape (n_samples,).

        The best of a grid of quarter-bandwidth steps and kernel kinks is
        refined by golden-section search between its grid neighbours; the two
        highest local maxima of the grid are refined so that near-ties between
        separate peaks are settled at full precision.
        """
        cand = self._candidate_grid()
        n = len(self)
        modes = np.empty(n)
        row_bytes = 8 * 3 * (cand.shape[0] + self.centers.shape[0])
        periodic = self.period is not None
        if periodic:
            prev_c = np.concatenate([[cand[-1] - self.period], cand[:-1]])
            next_c = np.concatenate([cand[1:], [cand[0] + self.period]])
        else:
            prev_c = np.concatenate([[cand[0]], cand[:-1]])
            next_c = np.concatenate([cand[1:], [cand[-1]]])
        for rows in row_batches(row_bytes, n):
            sub = self[rows]
            vals = sub.logpdf(cand)
            if periodic:
                left = np.roll(vals, 1, axis=1)
                right = np.roll(vals, -1, axis=1)
            else:
                left = np.concatenate([vals[:, :1], vals[:, :-1]], axis=1)
                right = np.concatenate([vals[:, 1:], vals[:, -1:]], axis=1)
            peaks = np.where((vals >= left) & (vals >= right), vals, -np.inf)
            top = np.argsort(-peaks, axis=1, kind="stable")[:, :2]
            best_x = cand[top[:, 0]]
            best_f = vals[np.arange(vals.shape[0]), top[:, 0]]
            for j in range(top.shape[1]):
                idx = top[:, j]
                x, f = sub._golden_max(prev_c[idx], next_c[idx])
                better = f > best_f
                best_x = np.where(better, x, best_x)
                best_f = np.where(better, f, best_f)
            modes[rows] = sub.to_window(best_x)
        return modes
