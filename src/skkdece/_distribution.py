"""Predicted kernel-mixture distributions, one per row.

Every model of the family predicts, for each row of X, the density
``p(t) = sum_m w_m K_h(t - c_m)``: softmax weights ``w`` over kernel centers
``c``.  The centers are shared by all rows (the linear model's) or each row's
own (a neighbours model's: the targets of its neighbours).
:class:`KDEDistribution` holds the weights (as logs, so that tiny weights stay
exact), the centers, kernel, bandwidth and, for circular targets, the period
and the window in which angles are reported.  Every question about a
predicted distribution is a method of this class, written once for both
shapes of centers; the estimators' ``predict_*`` methods are thin wrappers
around it (:mod:`skkdece._base`).
"""

import warnings
from numbers import Real

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_random_state

from ._chunking import row_batches
from ._docstrings import with_example
from ._tables._atoms import (
    atom_cumulative,
    atom_kinks,
    atom_log_mass,
    atom_offsets,
    atom_trig_factor,
    atom_variance,
    log_atom_density,
)
from ._tables._blocks import FALLBACK_BELOW as _FALLBACK_BELOW
from ._tables._checks import (
    check_intervals,
    check_kernel_period,
    check_row_centers,
    row_list,
)
from ._tables._factory import training_table
from ._tables._kernel_table import cross_entropy_from_table
from ._tables._kernels import (
    KERNEL_STD,
    KERNELS,
    KINK_OFFSETS,
    _logsumexp_last,
    atom_bandwidths,
    finest_bandwidth,
    first_trig_moment,
    widest_bandwidth,
)

# The distributions most examples ask their questions of.
_TWO_BUMPS = (
    ">>> import numpy as np",
    ">>> from skkdece import KDEDistribution",
    ">>> dist = KDEDistribution(np.log([[0.5, 0.5]]), [-1.0, 1.0],",
    '...                        kernel="gaussian", bandwidth=0.5)',
)
_ON_A_CIRCLE = (
    ">>> import numpy as np",
    ">>> from skkdece import KDEDistribution",
    ">>> dist = KDEDistribution(np.log([[0.7, 0.3]]), [0.0, 180.0],",
    '...                        kernel="vonmises", bandwidth=20.0, period=360.0)',
)
# Golden-section steps when refining a mode: the bracket shrinks by 0.618 per
# step, so 60 steps take a bracket of a few bandwidths below 1e-12 bandwidths.
_GOLDEN_STEPS = 60
_INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0
# Window optima: Illinois steps at most, and the bracket they stop at, in
# bandwidths.
_ROOT_STEPS = 100
_ROOT_TOL = 1e-12
# Half-spacing, in bandwidths, of the three points of the parabolic polish.
_POLISH_STEP = np.finfo(float).eps ** (1.0 / 3.0)
# Bisection steps for quantiles and interval ends: 2**-100 of the range.
_BISECTION_STEPS = 100
# Each row's weights must sum to one to within this (in log).
_LOG_WEIGHT_TOL = 1e-8


def _check_grid(grid, name="grid"):
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim == 0:
        grid = grid.reshape(1)
    if grid.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {grid.shape}.")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return grid


def _check_positive(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not (np.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a positive finite float; got {value!r}.")
    return float(value)


def _row_dot(weights, values):
    """``sum_m weights[i, m] * values[(i,) m]``: shared (M,) or per-row values."""
    if values.ndim == 1:
        return weights @ values
    return np.einsum("nm,nm->n", weights, values)


class KDEDistribution:
    """Kernel-mixture distributions over a 1-D (possibly circular) target.

    Row ``i`` is the density ``p_i(t) = sum_m exp(log_weights[i, m]) *
    K_h(t - c_im)``, with ``c_im = centers[m]`` for shared centers and
    ``centers[i, m]`` for per-row centers.

    Parameters
    ----------
    log_weights : array-like of shape (n_samples, n_centers)
        Log of the mixture weights; each row's weights sum to one (``-inf``
        for a zero weight).
    centers : array-like of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared by all rows or each row's own.
    kernel : str
        Kernel name, one of :data:`skkdece.KERNELS`.
    bandwidth : float or array-like of shape (n_centers,)
        Kernel bandwidth (positive), or one per center: atom ``m`` is then
        the kernel of bandwidth ``bandwidth[m]`` at ``centers[..., m]`` (a
        multi-scale model's atoms).  Not with ``half_widths``.
    period : float or None, default=None
        Period of a circular target; ``kernel="vonmises"`` needs one.
    window_start : float, default=0.0
        Circular targets are reported in ``[window_start, window_start +
        period)``; ignored without a period.
    half_widths : array-like of the shape of ``centers`` or None, default=None
        Half-widths ``r >= 0`` of box atoms: the kernel at ``c`` is replaced by
        the kernel smoothed over ``[c - r, c + r]`` (the density of a uniform
        draw from the box plus a kernel offset), as a nearest-neighbours model
        puts on its neighbours' target intervals.  None (or all zero): plain
        kernels.  With a period, ``2 r <= period``.

    See Also
    --------
    SoftmaxKDERegressor.predict_distribution : the usual way to get one.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import KDEDistribution
    >>> dist = KDEDistribution(np.log([[0.5, 0.5], [0.9, 0.1]]), [-1.0, 1.0],
    ...                        kernel="gaussian", bandwidth=0.5)
    >>> len(dist), dist.weights.round(2).tolist()
    (2, [[0.5, 0.5], [0.9, 0.1]])
    >>> dist.mean().round(2)
    array([ 0. , -0.8])

    Each row may have its own centers, as a nearest-neighbours density does:

    >>> knn = KDEDistribution(np.log(np.full((2, 3), 1 / 3)),
    ...                       [[0.0, 0.1, 0.2], [5.0, 5.5, 6.0]],
    ...                       kernel="gaussian", bandwidth=0.2)
    >>> knn.mean().round(2)
    array([0.1, 5.5])

    and each kernel may be smoothed over a box (a neighbour's target interval):

    >>> box = KDEDistribution(np.log([[1.0]]), [0.0], kernel="gaussian",
    ...                       bandwidth=0.1, half_widths=[1.0])
    >>> box.cdf([-1.0, 0.0, 1.0]).round(3)
    array([[0.02, 0.5 , 0.98]])
    """

    def __init__(
        self,
        log_weights,
        centers,
        *,
        kernel,
        bandwidth,
        period=None,
        window_start=0.0,
        half_widths=None,
    ):
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}.")
        self.kernel = kernel
        self.period = _check_positive(period, "period", allow_none=True)
        check_kernel_period(kernel, self.period)
        if not (isinstance(window_start, Real) and np.isfinite(window_start)):
            raise ValueError(
                f"window_start must be a finite float; got {window_start!r}."
            )
        self.window_start = float(window_start)
        log_weights = np.asarray(log_weights, dtype=np.float64)
        if log_weights.ndim != 2 or log_weights.shape[1] == 0:
            raise ValueError(
                "log_weights must be 2-D of shape (n_samples, n_centers) with at "
                f"least one center; got shape {log_weights.shape}."
            )
        centers = check_row_centers(centers, log_weights.shape, "log_weights")
        if np.any(np.isnan(log_weights) | (log_weights == np.inf)):
            raise ValueError("log_weights contain NaN or +inf.")
        with np.errstate(divide="ignore"):
            total = logsumexp(log_weights, axis=1) if len(log_weights) else []
        bad = ~(np.abs(total) <= _LOG_WEIGHT_TOL)
        if np.any(bad):
            raise ValueError(
                "Each row of log_weights must hold the logs of weights summing to "
                f"one (scipy.special.log_softmax gives them); rows {row_list(bad)} "
                "do not."
            )
        self.log_weights = log_weights
        self.centers = centers
        if isinstance(bandwidth, bool):
            raise ValueError(f"bandwidth must be a positive float; got {bandwidth!r}.")
        try:
            self.bandwidth = atom_bandwidths(bandwidth, centers.shape[-1])
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "bandwidth must be a positive finite float, or one per center "
                f"(shape ({centers.shape[-1]},)); {exc}"
            ) from None
        self.half_widths = self._check_half_widths(half_widths)
        if self.half_widths is not None and np.ndim(self.bandwidth):
            raise ValueError("Box atoms (half_widths) take a single bandwidth.")

    def _check_half_widths(self, half_widths):
        if half_widths is None:
            return None
        half = np.asarray(half_widths, dtype=np.float64)
        if half.shape != self.centers.shape:
            raise ValueError(
                f"half_widths must have the shape of centers {self.centers.shape}; "
                f"got {half.shape}."
            )
        if not np.all(np.isfinite(half) & (half >= 0)):
            raise ValueError("half_widths must be finite and non-negative.")
        if self.period is not None and np.any(2 * half > self.period):
            raise ValueError(
                f"half_widths must be at most half the period {self.period:g}; "
                f"got {np.max(half):g}."
            )
        return half if np.any(half > 0) else None

    def __len__(self):
        return self.log_weights.shape[0]

    def __getitem__(self, index):
        """Rows ``index`` as a new distribution (keeps 2-D weights)."""
        log_weights = self.log_weights[index]
        centers = self.centers if self.shared_centers else self.centers[index]
        half = self.half_widths
        if half is not None and not self.shared_centers:
            half = half[index]
        if log_weights.ndim == 1:
            log_weights = log_weights[None, :]
            centers = centers if self.shared_centers else centers[None, :]
            if half is not None and not self.shared_centers:
                half = half[None, :]
        return self._like(log_weights, centers, half)

    def _like(self, log_weights, centers, half_widths=None):
        """Another distribution with this kernel, bandwidth, period and window.

        For weights and centers known to be valid (rows of this one, or a
        ``log_softmax`` of finite logits): the constructor's checks, a
        logsumexp over every row, would cost as much as a cheap prediction.
        """
        other = object.__new__(KDEDistribution)
        other.__dict__.update(self.__dict__)
        other.log_weights, other.centers = log_weights, centers
        other.half_widths = half_widths
        return other

    @property
    def shape(self):
        """``(n_samples,)``: one distribution per row, for scikit-learn's scorers."""
        return (len(self),)

    @property
    def _finest(self):
        """The smallest bandwidth: the scale of search grids and tolerances."""
        return finest_bandwidth(self.bandwidth)

    @property
    def shared_centers(self):
        """Whether all rows share one set of centers."""
        return self.centers.ndim == 1

    @property
    def weights(self):
        """Mixture weights, shape (n_samples, n_centers)."""
        return np.exp(self.log_weights)

    def _row_centers(self, rows=slice(None)):
        """Centers of ``rows``, shape (n_rows, M), or (1, M) when shared."""
        return self.centers[None, :] if self.shared_centers else self.centers[rows]

    def _row_half(self, rows=slice(None)):
        """Half-widths of ``rows`` shaped as :meth:`_row_centers` (or None)."""
        if self.half_widths is None:
            return None
        return (
            self.half_widths[None, :] if self.shared_centers else self.half_widths[rows]
        )

    def _log_kernel(self, u, half=None):
        """log density at offsets ``u`` of atoms with half-widths ``half``."""
        return log_atom_density(u, half, self.kernel, self.bandwidth, self.period)

    @with_example(
        _ON_A_CIRCLE,
        """
            >>> dist.to_window([370.0, -10.0])
            array([ 10., 350.])
        """,
    )
    def to_window(self, t):
        """Wrap angles into the reporting window (identity without a period).

        Parameters
        ----------
        t : array-like
            Angles.

        Returns
        -------
        wrapped : ndarray of the shape of ``t``
            ``window_start + (t - window_start) mod period``.
        """
        t = np.asarray(t, dtype=np.float64)
        if self.period is None:
            return t
        wrapped = self.window_start + np.mod(t - self.window_start, self.period)
        # np.mod(-1e-17, P) rounds to P itself: keep the window half-open.
        return np.where(
            wrapped >= self.window_start + self.period, self.window_start, wrapped
        )

    # ------------------------------------------------------------------ density
    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.logpdf([0.0, 100.0]).round(2)  # far tails stay finite
            array([[-2.230000e+00, -1.960292e+04]])
        """,
    )
    def logpdf(self, grid):
        """Log density of every row at every grid angle.

        Parameters
        ----------
        grid : array-like of shape (n_grid,)
            Angles, shared by all rows.

        Returns
        -------
        log_density : ndarray of shape (n_samples, n_grid)
            Exact in the far tails (no underflow to ``-inf`` for kernels with
            unbounded support).
        """
        grid = _check_grid(grid)
        if not self.shared_centers:
            return self._logpdf_2d(np.broadcast_to(grid, (len(self), grid.size)))
        return self._mix_table(
            self._log_kernel(grid[:, None] - self.centers, self.half_widths)
        )

    def _mix_table(self, log_k):
        """``log sum_m w_im exp(log_k[g, m])`` for every row and ``g``.

        ``log_k`` (G, M) is shared by the rows (shared centers): one product
        with the weights per row batch, each entry of ``log_k`` scaled by its
        node's largest, and an exact logsumexp where the sum may have lost
        terms to underflow.
        """
        log_scale = np.max(log_k, axis=1)
        covered = np.isfinite(log_scale)
        log_scale = np.where(covered, log_scale, 0.0)
        scaled = np.exp(log_k - log_scale[:, None])
        out = np.empty((len(self), log_k.shape[0]))
        row_bytes = 8 * (log_k.shape[0] + self.centers.shape[0])
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

    def _logpdf_2d(self, t):
        """Log density of row ``i`` at each ``t[i, j]``, shape of ``t``."""
        out = np.empty(t.shape)
        M = self.centers.shape[-1]
        for rows in row_batches(8 * 2 * M * max(t.shape[1], 1), len(self)):
            half = self._row_half(rows)
            log_k = self._log_kernel(
                t[rows][..., None] - self._row_centers(rows)[:, None],
                None if half is None else half[:, None],
            )
            out[rows] = _logsumexp_last(self.log_weights[rows][:, None, :] + log_k)
        return out

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.pdf([-1.0, 0.0, 1.0]).round(4)
            array([[0.3991, 0.108 , 0.3991]])
        """,
    )
    def pdf(self, grid):
        """Density of every row at every grid angle: ``exp`` of :meth:`logpdf`.

        Parameters
        ----------
        grid : array-like of shape (n_grid,)
            Angles, as for :meth:`logpdf`.

        Returns
        -------
        density : ndarray of shape (n_samples, n_grid)
        """
        return np.exp(self.logpdf(grid))

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.logpdf_rows([1.0]).round(4)
            array([-0.9186])
        """,
    )
    def logpdf_rows(self, t):
        """Log density of row ``i`` at its own angle ``t[i]``.

        Parameters
        ----------
        t : array-like of shape (n_samples,)
            One angle per row.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), (len(self),))
        log_k = self._log_kernel(t[:, None] - self.centers, self.half_widths)
        return logsumexp(self.log_weights + log_k, axis=1)

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.mean_log_density([0.5], [1.5]).round(4)
            array([-1.0833])
        """,
    )
    def mean_log_density(self, lower, upper, *, n_quadrature=None):
        """Mean of ``log p_i(t)`` over ``t ~ U[lower_i, upper_i]``, per row.

        Minus the cross-entropy loss of the targets; ``log p_i(lower_i)`` for
        point targets (``lower == upper``).  Same quadrature as in training.

        Parameters
        ----------
        lower, upper : array-like of shape (n_samples,)
            Target intervals.
        n_quadrature : int or None, default=None
            Quadrature nodes per smooth piece (None: automatic panels).

        Returns
        -------
        mean_log_density : ndarray of shape (n_samples,)
        """
        return self.log_likelihood(lower, upper, n_quadrature=n_quadrature)

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.log_likelihood([0.5], [1.5], loss="interval_likelihood").round(4)
            array([-1.0729])
        """,
    )
    def log_likelihood(self, lower, upper, *, loss="cross_entropy", n_quadrature=None):
        """Per-row log-likelihood of target intervals under either loss.

        ``loss="cross_entropy"``: the mean of ``log p_i(t)`` over
        ``t ~ U[lower_i, upper_i]`` (:meth:`mean_log_density`);
        ``loss="interval_likelihood"``: the log of the predicted mass of the
        interval.  Point targets (``lower == upper``) get ``log p_i(lower_i)``
        under both.

        Parameters
        ----------
        lower, upper : array-like of shape (n_samples,)
            Target intervals (arcs when periodic).
        loss : {"cross_entropy", "interval_likelihood"}, default="cross_entropy"
            How intervals are scored.
        n_quadrature : int or None, default=None
            Quadrature nodes per smooth piece for ``"cross_entropy"``.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        lower, upper = self._check_arcs(lower, upper)
        table = training_table(
            lower,
            upper,
            self.centers,
            kernel=self.kernel,
            bandwidth=self.bandwidth,
            period=self.period,
            loss=loss,
            n_quadrature=n_quadrature,
            half_widths=self.half_widths,
        )
        return -cross_entropy_from_table(self.log_weights, table, gradient=False)

    # ------------------------------------------------------------------ maxima
    def _candidate_grid(self, spread=0.0):
        """Sorted angles at which to look for a maximum before refining it.

        Both the density and its window masses are mixtures of symmetric
        unimodal bumps centered on the centers, so their maxima lie inside the
        hull of the centers (anywhere on the circle when periodic).  A grid of
        quarter bandwidths plus every kink (shifted by ``+-spread``, the window
        half-width) finds each peak's basin.

        Returns ``(candidates, step)``: for shared centers and one half-width
        a 1-D array and None; otherwise an array of shape (n_samples,
        n_candidates), each row sorted over its own hull, and each row's grid
        step.
        """
        h = self._finest
        # Kink offsets, per row when the window half-widths are: (1 or n, K).
        spread = np.asarray(spread, dtype=np.float64).reshape(-1, 1, 1)
        C, half = self._row_centers(), self._row_half()
        rowwise = not self.shared_centers or spread.shape[0] > 1
        if rowwise:
            C = np.broadcast_to(C, (len(self), C.shape[1]))
            half = None if half is None else np.broadcast_to(half, C.shape)
        kinks = atom_kinks(C, half, self.kernel, self.bandwidth)
        if np.any(spread > 0):
            kinks = np.concatenate([kinks - spread, kinks + spread], axis=2)
        kinks = kinks.reshape(C.shape[0], -1)
        if self.period is None:
            lo, hi = C.min(axis=1, keepdims=True), C.max(axis=1, keepdims=True)
            n_grid = min(int(np.ceil(np.max(hi - lo) / (0.25 * h))), 8192) + 1
            grid = lo + (hi - lo) * np.linspace(0.0, 1.0, n_grid)
            cand = np.concatenate([grid, C, kinks], axis=1)
            if not rowwise:
                cand = cand[(cand >= lo) & (cand <= hi)]
            else:
                cand = np.clip(cand, lo, hi)
            step = (hi - lo)[:, 0] / max(n_grid - 1, 1)
        else:
            P = self.period
            n_grid = min(max(int(np.ceil(P / (0.25 * h))), 16), 8192)
            grid = self.window_start + P * np.arange(n_grid) / n_grid
            grid = np.broadcast_to(grid, (C.shape[0], n_grid))
            cand = self.to_window(np.concatenate([grid, C, kinks], axis=1))
            step = np.full(C.shape[0], P / n_grid)
        if not rowwise:
            # Grid points and centers that differ by rounding are one point:
            # a near-duplicate neighbour would make an empty bracket.
            cand = np.unique(cand)
            keep = np.concatenate([[True], np.diff(cand) > 1e-9 * h])
            return cand[keep], None
        return np.sort(cand, axis=1), step

    def _golden_max(self, objective, lo, hi):
        """Vectorised golden-section search of ``objective(t)`` on [lo, hi] per row."""
        x1 = hi - _INV_PHI * (hi - lo)
        x2 = lo + _INV_PHI * (hi - lo)
        f1, f2 = objective(self, x1), objective(self, x2)
        for _ in range(_GOLDEN_STEPS):
            left = f1 >= f2  # keep [lo, x2], else [x1, hi]
            hi = np.where(left, x2, hi)
            lo = np.where(left, lo, x1)
            x_new = np.where(left, hi - _INV_PHI * (hi - lo), lo + _INV_PHI * (hi - lo))
            f_new = objective(self, x_new)
            x1, x2 = np.where(left, x_new, x2), np.where(left, x1, x_new)
            f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
        best = np.where(f1 >= f2, x1, x2)
        return best, np.maximum(f1, f2)

    def _polish(self, objective, x, f, lo, hi):
        """One parabolic step from a golden-section maximum, where it helps.

        Golden-section search compares values, so at a smooth maximum it
        stops where their differences drown in rounding: about 1e-8
        bandwidths from the true location.  The vertex of the parabola through
        ``x`` and ``x +- d`` (``d`` the cube root of the machine epsilon, in
        bandwidths, which balances rounding against the cubic term) is within
        about 1e-10 bandwidths.  At a kink (the exponential kernel's peak, a
        compact kernel's edge) the parabola does not fit, the vertex is lower,
        and ``x`` stays.  The step stays inside the bracket ``[lo, hi]``.
        """
        d = _POLISH_STEP * self._finest
        f_lo, f_hi = objective(self, x - d), objective(self, x + d)
        # Compact kernels give -inf outside their support: nan, then no step.
        with np.errstate(divide="ignore", invalid="ignore"):
            curvature = f_hi - 2.0 * f + f_lo
            step = -d * (f_hi - f_lo) / (2.0 * curvature)
        ok = (curvature < 0) & (np.abs(step) <= d)
        x_new = np.where(ok, np.clip(x + step, lo, hi), x)
        f_new = objective(self, x_new)
        # Rounding of a log: eps absolute plus eps relative.
        keep = ok & (f_new >= f - 4.0 * np.finfo(float).eps * (1.0 + np.abs(f)))
        return np.where(keep, x_new, x), np.where(keep, np.maximum(f, f_new), f)

    def _maximize(self, on_grid, on_rows=None, spread=0.0, refine=None):
        """Per-row maximiser of a function of the angle.

        ``on_grid(dist, grid, w)`` gives its values (n, n_grid) on a grid
        shared by the rows (1-D) or each row's own (2-D), ``on_rows(dist,
        t)`` its value for row ``i`` at ``t[i]``.  The two highest local
        maxima of the candidate grid are refined by golden-section search
        between their grid neighbours, so near-ties between separate peaks
        are settled at full precision.  ``refine(dist, lo, hi, w, start)``,
        when given, replaces the golden-section search and its polish (from
        the grid point ``start``) and returns ``(t, value)``; the grid's
        values then only choose the peaks.  ``spread`` (``w``) is a scalar or
        one window half-width per row.
        """
        n = len(self)
        out = np.empty(n)
        periodic = self.period is not None
        spread = np.asarray(spread, dtype=np.float64)
        shared = self.shared_centers and spread.ndim == 0
        if shared:
            cand, _ = self._candidate_grid(spread)
            if periodic:
                prev_c = np.concatenate([[cand[-1] - self.period], cand[:-1]])
                next_c = np.concatenate([cand[1:], [cand[0] + self.period]])
            else:
                prev_c = np.concatenate([[cand[0]], cand[:-1]])
                next_c = np.concatenate([cand[1:], [cand[-1]]])
            n_cand = cand.shape[0]
        else:
            hull = np.ptp(self.centers) if not periodic else self.period
            n_cand = int(min(hull / (0.25 * self._finest), 8192)) + 1
            n_kinks = 2 * max(len(KINK_OFFSETS[self.kernel]), 1)
            n_kinks *= 1 if self.half_widths is None else 2
            n_cand += self.centers.shape[-1] * (1 + n_kinks)
        # Per row: the candidates' values and neighbours, and for window aims
        # an antiderivative on a grid twice as fine with its interpolation
        # temporaries: about a dozen arrays of the candidates' length.
        row_bytes = 8 * 12 * (n_cand + self.centers.shape[-1])
        for rows in row_batches(row_bytes, n):
            sub = self[rows]
            w = spread if spread.ndim == 0 else spread[rows]
            if not shared:
                cand, step = sub._candidate_grid(w)
            vals = on_grid(sub, cand, w)
            if periodic:
                left = np.roll(vals, 1, axis=1)
                right = np.roll(vals, -1, axis=1)
            else:
                left = np.concatenate([vals[:, :1], vals[:, :-1]], axis=1)
                right = np.concatenate([vals[:, 1:], vals[:, -1:]], axis=1)
            peaks = np.where((vals >= left) & (vals >= right), vals, -np.inf)
            top = np.argsort(-peaks, axis=1, kind="stable")[:, :2]
            r = np.arange(vals.shape[0])
            grid = np.broadcast_to(cand, vals.shape)
            best_x = grid[r, top[:, 0]]
            # Refined values replace grid values, which may be approximate.
            best_f = vals[r, top[:, 0]] if refine is None else np.full(r.size, -np.inf)
            for j in range(top.shape[1]):
                idx = top[:, j]
                if shared:
                    lo, hi = prev_c[idx], next_c[idx]
                else:
                    x = grid[r, idx]
                    lo, hi = x - step, x + step
                    if not periodic:
                        lo = np.maximum(lo, grid[:, 0])
                        hi = np.minimum(hi, grid[:, -1])
                if refine is None:
                    x, f = sub._golden_max(on_rows, lo, hi)
                    x, f = sub._polish(on_rows, x, f, lo, hi)
                else:
                    x, f = refine(sub, lo, hi, w, grid[r, idx])
                better = f > best_f
                best_x = np.where(better, x, best_x)
                best_f = np.where(better, f, best_f)
            out[rows] = sub.to_window(best_x)
        return out

    @with_example(
        _ON_A_CIRCLE,
        """
            >>> dist.mode().round(6)
            array([0.])
        """,
    )
    def mode(self):
        """The most likely angle of every row.

        Located to far better than 1e-3 bandwidths: the best points of a grid
        of quarter bandwidths and kernel kinks are refined by golden-section
        search.  In the window when periodic.

        Returns
        -------
        mode : ndarray of shape (n_samples,)
        """

        def on_grid(dist, grid, w):
            return dist.logpdf(grid) if grid.ndim == 1 else dist._logpdf_2d(grid)

        return self._maximize(on_grid, KDEDistribution.logpdf_rows)

    @with_example(
        (">>> import numpy as np", ">>> from skkdece import KDEDistribution"),
        """
            >>> dist = KDEDistribution(np.log([[0.4, 0.3, 0.3]]), [0.0, 3.0, 4.0],
            ...                        kernel="gaussian", bandwidth=0.3)
            >>> float(dist.aim(0.0)[0]).__round__(3)
            0.0
            >>> float(dist.aim(1.0)[0]).__round__(1)  # two peaks in one window
            3.5
        """,
    )
    def aim(self, half_width):
        """The angle ``t`` that maximises the mass of ``[t - w, t + w]``, per row.

        The best aim when the target has a known half-width ``w``: the angle
        with the highest chance that the truth falls within ``w`` of it.  With
        ``w = 0`` this is the mode.  Each row may have its own ``w`` (in
        Robocode, the enemy's angular width changes with its distance).

        The window mass of every row is first evaluated on a grid of quarter
        bandwidths and kernel kinks; with shared centers and one ``w`` that
        is one product with a table of kernel masses, as fast as the density.
        Between the grid neighbours of the two best grid points the optimum
        is where the density at both window ends is equal, found by a
        bracketed secant search (Illinois) on ``log p(t + w) - log p(t - w)``
        to about 1e-12 bandwidths; where the two ends do not bracket a
        sign change (flat or zero densities of compact kernels),
        golden-section search on the mass takes over.

        Parameters
        ----------
        half_width : float or array-like of shape (n_samples,)
            Half-width ``w >= 0`` of the window, shared or per row.

        Returns
        -------
        aim : ndarray of shape (n_samples,)
        """
        w = np.asarray(half_width, dtype=np.float64)
        if w.ndim > 1 or (w.ndim == 1 and w.shape[0] != len(self)):
            raise ValueError(
                f"half_width must be a float or an array of shape ({len(self)},); "
                f"got shape {w.shape}."
            )
        bad = ~(np.isfinite(w) & (w >= 0))
        if np.any(bad):
            raise ValueError(
                f"half_width must be a finite float >= 0; got {half_width!r}."
                if w.ndim == 0
                else "half_width must be finite floats >= 0; rows "
                f"{row_list(bad)} are not."
            )
        if self.period is not None and np.any(2 * w >= self.period):
            raise ValueError(
                f"half_width={np.max(w):g} makes the window cover the whole "
                f"period {self.period:g}; every aim has mass one."
            )
        if w.ndim == 1 and np.all(w == w[0]):
            w = w[0]
        if w.ndim == 0:
            return self.mode() if w == 0 else self._aim(float(w))
        out = np.empty(len(self))
        zero = w == 0
        if np.any(zero):
            out[zero] = self[zero].mode()
        if not np.all(zero):
            out[~zero] = self[~zero]._aim(w[~zero])
        return out

    def _aim(self, w):
        """:meth:`aim` for half-widths ``w > 0`` (a float or one per row)."""

        def on_grid(dist, grid, w):
            if grid.ndim == 1 and np.ndim(w) == 0 and dist.shared_centers:
                u = grid[:, None] - dist.centers
                return dist._mix_table(
                    atom_log_mass(
                        u - w,
                        u + w,
                        dist.half_widths,
                        dist.kernel,
                        dist.bandwidth,
                        dist.period,
                    )
                )
            half = w if np.ndim(w) == 0 else w[:, None]
            lo = np.broadcast_to(grid - half, (len(dist), grid.shape[-1]))
            # The tophat's masses are piecewise linear with plateaus whose
            # corners, between grid nodes, decide between near-equal peaks:
            # it keeps exact masses.
            if dist.kernel != "tophat":
                if dist.shared_centers:
                    return dist._interpolated_log_mass(lo, lo + 2 * half)
                if dist.half_widths is not None:
                    # Box atoms' exact log masses cost five tail terms and a
                    # signed logsumexp each; differences of the CDF choose
                    # the basins as well, at a third of the cost.
                    with np.errstate(divide="ignore"):
                        mass = dist._cumulative(lo + 2 * half) - dist._cumulative(lo)
                        return np.log(np.maximum(mass, 0.0))
            return dist._log_mass_2d(lo, lo + 2 * half)

        def refine(dist, lo, hi, w, start):
            x, f = dist._window_optimum(w, lo, hi)
            # Where the bracket holds several kinks (compact kernels), the
            # root found may be a lesser corner than the grid point itself.
            f_start = dist._window_mass(start, w)
            better = f_start > f
            return np.where(better, start, x), np.where(better, f_start, f)

        return self._maximize(on_grid, spread=w, refine=refine)

    def _interpolated_log_mass(self, lower, upper):
        """log mass of ``[lower[i, j], upper[i, j]]``, for choosing basins.

        Shared centers, all kernels but the tophat.  Each row's exact
        antiderivative on a shared grid of eighth bandwidths is one product
        with a table; the masses of
        the windows come from it by linear interpolation, off by far less
        than the differences between separate peaks.  The optimum itself is
        then found exactly (:meth:`_window_optimum`).
        """
        step = self._finest / 8.0
        first = np.min(lower) - step
        n_fine = int(np.ceil((np.max(upper) + step - first) / step)) + 1
        fine = first + step * np.arange(n_fine)
        F = self._cumulative_on(fine)
        rows = np.arange(len(self))[:, None]

        def at(t):
            pos = np.clip((t - first) / step, 0.0, n_fine - 1.0)
            k = np.minimum(pos.astype(np.intp), n_fine - 2)
            frac = pos - k
            return F[rows, k] + frac * (F[rows, k + 1] - F[rows, k])

        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.maximum(at(upper) - at(lower), 0.0))

    def _window_mass(self, t, w):
        """log mass of ``[t_i - w_i, t_i + w_i]`` under row ``i``."""
        return self._log_mass_2d((t - w)[:, None], (t + w)[:, None])[:, 0]

    def _window_optimum(self, w, lo, hi):
        """Per row, the best window center in ``[lo, hi]`` and its log mass.

        Illinois iterations on ``g(t) = log p(t + w) - log p(t - w)``, which
        falls from >= 0 to <= 0 through a maximum of the window mass;
        golden-section search on the mass for rows without that bracket.
        """
        w = np.broadcast_to(w, lo.shape)
        C, H = self._row_centers(), self._row_half()

        def g(idx, t):
            c = C if C.shape[0] == 1 else C[idx]
            r = None if H is None else (H if H.shape[0] == 1 else H[idx])
            lw = self.log_weights[idx]
            up = self._log_kernel((t + w[idx])[:, None] - c, r)
            down = self._log_kernel((t - w[idx])[:, None] - c, r)
            return logsumexp(lw + up, axis=1) - logsumexp(lw + down, axis=1)

        every = np.arange(lo.shape[0])
        # Densities of zero at both ends (compact kernels) give nan: no bracket.
        with np.errstate(divide="ignore", invalid="ignore"):
            a, b = lo.astype(np.float64), hi.astype(np.float64)
            ga, gb = g(every, a), g(every, b)
            bracketed = (ga >= 0) & (gb <= 0)
            x = np.where(ga == 0, a, np.where(gb == 0, b, 0.5 * (a + b)))
            exact = bracketed & ((ga == 0) | (gb == 0))
            active = bracketed & ~exact
            side = np.zeros(a.shape, dtype=np.int8)  # the end that moved last
            tol = _ROOT_TOL * self._finest
            for step in range(_ROOT_STEPS):
                active &= b - a > tol
                idx = np.flatnonzero(active)
                if idx.size == 0:
                    break
                A, B, GA, GB = a[idx], b[idx], ga[idx], gb[idx]
                if step % 4 == 3:  # every fourth step bisects: a sure halving
                    c = 0.5 * (A + B)
                else:
                    c = (A * GB - B * GA) / (GB - GA)
                    c = np.where((c > A) & (c < B), c, 0.5 * (A + B))
                gc = g(idx, c)
                right, left = gc > 0, gc < 0  # the optimum is right / left of c
                s = side[idx]
                # Illinois: halve the value kept at an end that stays twice.
                GB = np.where(right & (s == 1), 0.5 * GB, GB)
                GA = np.where(left & (s == -1), 0.5 * GA, GA)
                a[idx], ga[idx] = np.where(right, c, A), np.where(right, gc, GA)
                b[idx], gb[idx] = np.where(left, c, B), np.where(left, gc, GB)
                side[idx] = np.where(right, 1, np.where(left, -1, s))
                stop = ~(right | left)  # g(c) == 0 (or nan): c is the answer
                x[idx[stop]] = c[stop]
                exact[idx[stop]] = True
                active[idx[stop]] = False
            x = np.where(bracketed & ~exact, 0.5 * (a + b), x)
        f = self._window_mass(x, w)
        if not np.all(bracketed):
            rest = np.flatnonzero(~bracketed)
            sub = self[rest]

            def mass(dist, t, w=w[rest]):
                return dist._window_mass(t, w)

            x_r, f_r = sub._golden_max(mass, lo[rest], hi[rest])
            x[rest], f[rest] = x_r, f_r
        return x, f

    def best_aim(self, half_width):
        """Deprecated alias of :meth:`aim`, to be removed in 0.3.

        Parameters
        ----------
        half_width : float
            As for :meth:`aim`.

        Returns
        -------
        aim : ndarray of shape (n_samples,)
            What :meth:`aim` returns.

        Examples
        --------
        >>> import warnings
        >>> import numpy as np
        >>> from skkdece import KDEDistribution
        >>> dist = KDEDistribution(np.log([[0.5, 0.5]]), [-1.0, 1.0],
        ...                        kernel="gaussian", bandwidth=0.5)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     bool(dist.best_aim(0.3)[0] == dist.aim(0.3)[0])
        True
        """
        warnings.warn(
            "KDEDistribution.best_aim was renamed aim (like predict_aim) in 0.2 "
            "and will be removed in 0.3.",
            FutureWarning,
            stacklevel=2,
        )
        return self.aim(half_width)

    # -------------------------------------------------------------- cumulative
    def _check_arcs(self, lower, upper):
        lower = np.asarray(lower, dtype=np.float64)
        upper = np.asarray(upper, dtype=np.float64)
        if lower.ndim > 1 or upper.ndim > 1:
            raise ValueError("lower and upper must be scalars or 1-D arrays.")
        return check_intervals(lower, upper, len(self), self.period)

    def _log_mass_2d(self, lower, upper):
        """log mass of [lower[i, j], upper[i, j]] under row i, shape of lower."""
        out = np.empty(lower.shape)
        M = self.centers.shape[-1]
        for rows in row_batches(8 * 2 * M * max(lower.shape[1], 1), len(self)):
            c = self._row_centers(rows)[:, None, :]
            half = self._row_half(rows)
            lo = lower[rows][..., None] - c
            hi = upper[rows][..., None] - c
            log_m = atom_log_mass(
                lo,
                hi,
                None if half is None else half[:, None, :],
                self.kernel,
                self.bandwidth,
                self.period,
            )
            out[rows] = _logsumexp_last(self.log_weights[rows][:, None, :] + log_m)
        return out

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.log_hit_probability(20.0, 21.0).round(2)
            array([-727.25])
        """,
    )
    def log_hit_probability(self, lower, upper):
        """Log of the predicted mass in ``[lower_i, upper_i]`` per row.

        Exact in the tails: far intervals get their true, very negative log
        probability rather than ``-inf``.

        Parameters
        ----------
        lower, upper : float or array-like of shape (n_samples,)
            Interval ends, ``lower <= upper``; arcs may cross the seam.

        Returns
        -------
        log_probability : ndarray of shape (n_samples,)
        """
        lower, upper = self._check_arcs(lower, upper)
        return self._log_mass_2d(lower[:, None], upper[:, None])[:, 0]

    @with_example(
        _ON_A_CIRCLE,
        """
            >>> dist.hit_probability(350.0, 370.0).round(4)
            array([0.2637])
        """,
    )
    def hit_probability(self, lower, upper):
        """Predicted mass in ``[lower_i, upper_i]`` per row.

        Parameters
        ----------
        lower, upper : float or array-like of shape (n_samples,)
            Interval ends, ``lower <= upper``.  With a period the arc may
            cross the window's seam (``[350, 370]`` on a 360 circle) but must
            not be longer than one period.

        Returns
        -------
        probability : ndarray of shape (n_samples,)
        """
        return np.exp(self.log_hit_probability(lower, upper))

    def _cumulative(self, t):
        """``sum_m w_m Cum(t[i, j] - c_im)`` per row, with the continuous
        antiderivative of the kernel (periodic: grows by one per turn)."""
        out = np.empty(t.shape)
        M = self.centers.shape[-1]
        for rows in row_batches(8 * 2 * M * max(t.shape[1], 1), len(self)):
            half = self._row_half(rows)
            cum = atom_cumulative(
                t[rows][..., None] - self._row_centers(rows)[:, None, :],
                None if half is None else half[:, None, :],
                self.kernel,
                self.bandwidth,
                self.period,
            )
            out[rows] = np.einsum("njm,nm->nj", cum, self.weights[rows])
        return out

    def _cumulative_on(self, grid):
        """:meth:`_cumulative` at a grid shared by the rows, shape (n, G).

        With shared centers the kernel antiderivatives form one (G, M)
        table, and each row's values are one product with its weights.
        """
        if not self.shared_centers:
            return self._cumulative(np.broadcast_to(grid, (len(self), grid.size)))
        table = atom_cumulative(
            grid[:, None] - self.centers,
            self.half_widths,
            self.kernel,
            self.bandwidth,
            self.period,
        )
        return self.weights @ table.T

    def _bisect(self, target, lo, hi):
        """Per entry, where ``_cumulative`` reaches ``target`` in ``[lo, hi]``.

        The antiderivative is exact and increasing, so the bracket always
        holds the answer: Illinois steps (a secant kept from stalling),
        every fourth step a bisection, until the bracket is below 1e-12
        bandwidths; all arguments of shape (n_samples, k).
        """
        a, b = np.broadcast_arrays(lo, hi)
        a, b = a.astype(np.float64), b.astype(np.float64)
        fa, fb = self._cumulative(a) - target, self._cumulative(b) - target
        side = np.zeros(a.shape, dtype=np.int8)
        tol = _ROOT_TOL * self._finest
        for step in range(_BISECTION_STEPS):
            if np.all(b - a <= tol):
                break
            if step % 4 == 3:
                c = 0.5 * (a + b)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    c = (a * fb - b * fa) / (fb - fa)
                c = np.where((c > a) & (c < b), c, 0.5 * (a + b))
            fc = self._cumulative(c) - target
            up, down = fc < 0, fc > 0  # the answer is above / below c
            fb = np.where(up & (side == 1), 0.5 * fb, fb)
            fa = np.where(down & (side == -1), 0.5 * fa, fa)
            a, fa = np.where(down, a, c), np.where(down, fa, np.where(up, fc, 0.0))
            b, fb = np.where(up, b, c), np.where(up, fb, np.where(down, fc, 0.0))
            side = np.where(up, 1, np.where(down, -1, side)).astype(np.int8)
        return 0.5 * (a + b)

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.cdf([-1.0, 0.0, 1.0]).round(4)
            array([[0.25, 0.5 , 0.75]])
        """,
    )
    def cdf(self, grid):
        """Cumulative distribution function of every row at every grid angle.

        For circular targets the CDF is measured from the start of the window
        (``window_start``): it rises from 0 at the window's start to 1 at its
        end, and grid angles outside ``[start, start + period]`` are first
        wrapped into the window.

        Parameters
        ----------
        grid : array-like of shape (n_grid,)
            Angles.

        Returns
        -------
        cdf : ndarray of shape (n_samples, n_grid)
        """
        grid = _check_grid(grid)
        if self.period is None:
            out = self._cumulative_on(grid)
        else:
            end = self.window_start + self.period
            inside = (grid >= self.window_start) & (grid <= end)
            t = np.where(inside, grid, self.to_window(grid))
            start = np.array([self.window_start])
            out = self._cumulative_on(t) - self._cumulative_on(start)
        return np.clip(out, 0.0, 1.0)  # rounding only: the CDF is exact

    def _support(self):
        """Angles below/above which each row's CDF is exactly 0/1 (or nearly)."""
        c, h = self.centers, widest_bandwidth(self.bandwidth)
        if self.period is not None:
            return self.window_start, self.window_start + self.period
        reach = {"gaussian": 40.0, "exponential": 750.0}.get(self.kernel, 1.0)
        r = 0.0 if self.half_widths is None else float(np.max(self.half_widths))
        return c.min() - reach * h - r, c.max() + reach * h + r

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.quantiles([0.25, 0.5, 0.75]).round(3)
            array([[-1.,  0.,  1.]])
        """,
    )
    def quantiles(self, quantiles):
        """Quantiles of every row's distribution.

        Found by bisection on the exact CDF to ``2**-100`` of the search
        range.  For circular targets, quantiles of the CDF measured from the
        window's start.  Levels 0 and 1 of a kernel with unbounded support on
        the line are ``-inf`` and ``inf``.

        Parameters
        ----------
        quantiles : array-like of shape (n_quantiles,)
            Levels in ``[0, 1]``.

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_quantiles)
        """
        q = _check_grid(quantiles, name="quantiles")
        if np.any((q < 0) | (q > 1)):
            raise ValueError("quantiles must lie in [0, 1].")
        n = len(self)
        lo_b, hi_b = self._support()
        lo = np.full((n, q.size), lo_b)
        hi = np.full((n, q.size), hi_b)
        target = np.broadcast_to(q, (n, q.size))
        if self.period is not None:
            target = target + self._cumulative(np.full((n, 1), self.window_start))
        out = self._bisect(target, lo, hi)
        if self.period is None and self.kernel in ("gaussian", "exponential"):
            out[:, q == 0] = -np.inf
            out[:, q == 1] = np.inf
        else:
            out[:, q == 0] = lo_b if self.period is not None else out[:, q == 0]
            out[:, q == 1] = hi_b if self.period is not None else out[:, q == 1]
        return out

    @with_example(
        _ON_A_CIRCLE,
        """
            >>> lo, hi = dist.interval(0.5)[0]
            >>> dist.hit_probability(lo, hi).round(6)
            array([0.5])
        """,
    )
    def interval(self, coverage=0.9):
        """Prediction interval holding ``coverage`` of each row's mass.

        Equal-tailed (the ``(1 - coverage)/2`` and ``(1 + coverage)/2``
        quantiles) for targets on the line; for circular targets the shortest
        arc holding ``coverage``, as ``[start, start + length]`` with ``start``
        in the window, so the end may pass the window's end when the arc
        crosses the seam (the convention of the training intervals).  The
        start is found on a grid of at most 1/16 bandwidth, the end exactly.

        Parameters
        ----------
        coverage : float, default=0.9
            Mass inside, in ``(0, 1)``.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2)
        """
        coverage = float(coverage)
        if not 0.0 < coverage < 1.0:
            raise ValueError(f"coverage must lie in (0, 1); got {coverage}.")
        if self.period is None:
            return self.quantiles([(1 - coverage) / 2, (1 + coverage) / 2])
        P, w0 = self.period, self.window_start
        n_grid = int(min(max(128, np.ceil(16 * P / self._finest)), 8192))
        starts = w0 + P * np.arange(n_grid) / n_grid
        out = np.empty((len(self), 2))
        for rows in row_batches(8 * 8 * n_grid, len(self)):
            sub = self[rows]
            m = len(sub)
            cum = sub._cumulative_on(starts)
            rel = cum - cum[:, :1]  # mass from the window start, in [0, 1]
            # One more turn so that every start has an end within it.
            pos = np.concatenate([starts, starts + P, [w0 + 2 * P]])
            val = np.concatenate([rel, rel + 1.0, np.full((m, 1), 2.0)], axis=1)
            # Row-wise search in one flat sorted array: rows shifted by 3 apart.
            shift = 3.0 * np.arange(m)[:, None]
            k = np.searchsorted((val + shift).ravel(), (rel + coverage + shift).ravel())
            k = k.reshape(m, n_grid) - (2 * n_grid + 1) * np.arange(m)[:, None]
            k = np.clip(k, 1, 2 * n_grid)
            rows_idx = np.arange(m)[:, None]
            v0, v1 = val[rows_idx, k - 1], val[rows_idx, k]
            frac = (rel + coverage - v0) / np.where(v1 > v0, v1 - v0, 1.0)
            ends = pos[k - 1] + frac * (pos[k] - pos[k - 1])
            best = np.argmin(ends - starts, axis=1)
            start = starts[best]
            # Exact end for the chosen start, by bisection on the CDF.
            target = cum[np.arange(m), best][:, None] + coverage
            end = sub._bisect(target, start[:, None], start[:, None] + P)
            out[rows, 0] = start
            out[rows, 1] = end[:, 0]
        return out

    # ------------------------------------------------------------- summaries
    def _center_mean(self):
        """``sum_m w_im c_im``: the mean of each row on the line."""
        return _row_dot(self.weights, self.centers)

    def _trig_moment(self):
        """First trigonometric moment ``E[exp(2 pi i t / P)]`` of each row."""
        theta = (2 * np.pi / self.period) * self.centers
        boxes = atom_trig_factor(self.half_widths, self.period)
        rho = first_trig_moment(self.kernel, self.bandwidth, self.period)
        if np.ndim(rho):  # a bandwidth per atom: each atom's own shrinkage
            return _row_dot(self.weights, np.exp(1j * theta) * boxes * rho)
        z = _row_dot(self.weights, np.exp(1j * theta) * boxes)
        return z * rho

    @with_example(
        _ON_A_CIRCLE,
        """
            >>> dist.mean().round(6)
            array([0.])
        """,
    )
    def mean(self):
        """Mean of each row (circular mean, in the window, when periodic).

        Returns
        -------
        mean : ndarray of shape (n_samples,)
        """
        if self.period is None:
            return self._center_mean()
        z = self._trig_moment()
        return self.to_window(np.angle(z) * self.period / (2 * np.pi))

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.std().round(4)  # sqrt(1 + 0.5**2)
            array([1.118])
        """,
    )
    def std(self):
        """Standard deviation of each row.

        For circular targets the circular standard deviation
        ``sqrt(-2 ln R)`` in target units (``R`` the mean resultant length;
        ``inf`` when ``R`` is zero).

        Returns
        -------
        std : ndarray of shape (n_samples,)
        """
        if self.period is None:
            mean = self._center_mean()
            var_c = np.einsum(
                "nm,nm->n", self.weights, (self.centers - mean[:, None]) ** 2
            )
            kernel_sd = KERNEL_STD[self.kernel] * self.bandwidth
            if self.half_widths is not None:
                var_c += _row_dot(self.weights, atom_variance(self.half_widths))
            if np.ndim(kernel_sd):  # a bandwidth per atom
                return np.sqrt(var_c + self.weights @ kernel_sd**2)
            return np.sqrt(var_c + kernel_sd**2)
        R = np.minimum(np.abs(self._trig_moment()), 1.0)
        with np.errstate(divide="ignore"):
            return np.sqrt(-2.0 * np.log(R)) * self.period / (2 * np.pi)

    @with_example(
        _TWO_BUMPS,
        """
            >>> draws = dist.sample(10000, random_state=0)
            >>> draws.shape, bool(abs(draws.mean()) < 0.05)
            ((1, 10000), True)
        """,
    )
    def sample(self, n_draws=1, random_state=None):
        """Draws from every row's distribution.

        A center is drawn by its weight, then an offset from the kernel (plus a
        uniform offset within its box, for box atoms); for circular targets
        the draw is wrapped into the window.

        Parameters
        ----------
        n_draws : int, default=1
            Draws per row.
        random_state : int, RandomState instance or None, default=None
            Seed for reproducible draws.

        Returns
        -------
        draws : ndarray of shape (n_samples, n_draws)
        """
        n_draws = int(n_draws)
        if n_draws < 1:
            raise ValueError(f"n_draws must be a positive integer; got {n_draws}.")
        rng = check_random_state(random_state)
        # numpy's Generator API for the kernels; seeded from the RandomState.
        gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
        n = len(self)
        cum = np.cumsum(self.weights, axis=1)
        cum /= cum[:, -1:]
        u = gen.uniform(size=(n, n_draws))
        shift = 2.0 * np.arange(n)[:, None]
        comp = np.searchsorted((cum + shift).ravel(), (u + shift).ravel(), side="right")
        M = self.centers.shape[-1]
        comp = comp.reshape(n, n_draws) - M * np.arange(n)[:, None]
        comp = np.minimum(comp, M - 1)
        centers = np.broadcast_to(self._row_centers(), (n, M))
        half = self._row_half()
        if half is not None:
            half = np.take_along_axis(np.broadcast_to(half, (n, M)), comp, axis=1)
        h = self.bandwidth if np.ndim(self.bandwidth) == 0 else self.bandwidth[comp]
        draws = np.take_along_axis(centers, comp, axis=1) + atom_offsets(
            gen, (n, n_draws), half, self.kernel, h, self.period
        )
        return self.to_window(draws)
