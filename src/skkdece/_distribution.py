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

import numpy as np
from scipy.special import logsumexp

from ._chunking import row_batches
from ._distribution_checks import (
    check_bandwidth,
    check_grid,
    check_half_widths,
    check_positive,
    check_row_values,
    check_weights_and_centers,
    check_window_start,
)
from ._distribution_mixtures import cumulative_2d, log_mass_2d, logpdf_2d
from ._distribution_moments import row_means, row_stds, trig_moments
from ._distribution_peaks import aims, modes
from ._distribution_quantiles import row_quantiles, shortest_arcs
from ._distribution_sampling import sample_rows
from ._docstrings import with_example
from ._tables._atoms import atom_cumulative, log_atom_density
from ._tables._blocks import FALLBACK_BELOW as _FALLBACK_BELOW
from ._tables._checks import check_intervals, check_kernel_period
from ._tables._factory import training_table
from ._tables._kernel_table import cross_entropy_from_table
from ._tables._kernels import KERNELS, finest_bandwidth

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
    loc, scale : array-like of shape (n_samples,) or None, default=None
        A location and a positive scale per row, as a location-scale model
        (``SoftmaxKDERegressor(location="linear", scale="linear")``)
        predicts them: row ``i`` is then the mixture above of the
        standardised variable ``z = (t - loc_i) / scale_i``, so its density
        is ``p_i(t) = q_i((t - loc_i) / scale_i) / scale_i``.  Every method
        answers for ``t``.  With a period only ``loc`` (a rotation: each
        row's centers move by it) and no ``scale``.  None: no move, no
        stretch (either alone: a location of zero, a scale of one).

    See Also
    --------
    SoftmaxKDERegressor.predict_distribution : The usual way to get one.

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

    and each row may move and stretch the mixture (its own location and scale):

    >>> moved = KDEDistribution(np.log([[1.0], [1.0]]), [0.0], kernel="gaussian",
    ...                         bandwidth=1.0, loc=[0.0, 10.0], scale=[1.0, 3.0])
    >>> moved.mean().round(2), moved.std().round(2)
    (array([ 0., 10.]), array([1., 3.]))
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
        loc=None,
        scale=None,
    ):
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}.")
        self.kernel = kernel
        self.period = check_positive(period, "period", allow_none=True)
        check_kernel_period(kernel, self.period)
        self.window_start = check_window_start(window_start)
        self.log_weights, self.centers = check_weights_and_centers(log_weights, centers)
        self.bandwidth = check_bandwidth(bandwidth, self.centers.shape[-1])
        self.half_widths = check_half_widths(
            half_widths, self.centers.shape, self.period
        )
        if self.half_widths is not None and np.ndim(self.bandwidth):
            raise ValueError("Box atoms (half_widths) take a single bandwidth.")
        self.loc, self.scale = None, None
        self._move(loc, scale)

    def _move(self, loc, scale):
        """Set each row's location and scale (validated; see the class)."""
        if loc is None and scale is None:
            return
        n = len(self)
        if scale is not None and self.period is not None:
            raise ValueError(
                "A circular distribution (period set) has no scale: the period "
                "does not stretch. Pass loc only (a rotation)."
            )
        loc = np.zeros(n) if loc is None else check_row_values(loc, n, "loc")
        if self.period is not None:
            # A rotation moves every center: per-row centers, exactly.
            centers = np.broadcast_to(self.centers, (n, self.centers.shape[-1]))
            self.centers = centers + loc[:, None]
            if self.half_widths is not None and self.half_widths.ndim == 1:
                self.half_widths = np.broadcast_to(self.half_widths, self.centers.shape)
            return
        scale = np.ones(n) if scale is None else check_row_values(scale, n, "scale")
        if not np.all(scale > 0):
            raise ValueError("scale must be positive.")
        self.loc, self.scale = loc, scale

    def _standard(self):
        """This distribution of the standardised variable (no move, no stretch)."""
        return self._like(self.log_weights, self.centers, self.half_widths)

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
        other = self._like(log_weights, centers, half)
        if self.loc is not None:
            other.loc = np.atleast_1d(self.loc[index])
            other.scale = np.atleast_1d(self.scale[index])
        return other

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
        other.loc, other.scale = None, None
        return other

    def _moved(self, loc, scale):
        """This distribution with each row moved and stretched (see the class)."""
        other = self._like(self.log_weights, self.centers, self.half_widths)
        other._move(loc, scale)
        return other

    def _to_standard(self, t):
        """``(t - loc) / scale`` for values ``t`` of shape (n,) or (n, k)."""
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 2:
            return (t - self.loc[:, None]) / self.scale[:, None]
        return (t - self.loc) / self.scale

    def _from_standard(self, z):
        """``loc + scale * z`` for values ``z`` of shape (n,) or (n, k)."""
        if z.ndim == 2:
            return self.loc[:, None] + self.scale[:, None] * z
        return self.loc + self.scale * z

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
        grid = check_grid(grid)
        if self.loc is not None:
            z = self._to_standard(np.broadcast_to(grid, (len(self), grid.size)))
            return logpdf_2d(self._standard(), z) - np.log(self.scale)[:, None]
        if not self.shared_centers:
            return logpdf_2d(self, np.broadcast_to(grid, (len(self), grid.size)))
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
            Density of row ``i`` at ``grid[j]``, per unit of the target.
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
            ``log p_i(t[i])``; ``-inf`` where a compact kernel gives zero
            density.
        """
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), (len(self),))
        if self.loc is not None:
            standard = self._standard().logpdf_rows(self._to_standard(t))
            return standard - np.log(self.scale)
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
            The mean log density of each row over its interval.
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
            Each row's score under ``loss`` (higher is better); ``-inf`` where
            a compact kernel gives zero density.
        """
        lower, upper = self._check_arcs(lower, upper)
        if self.loc is not None:
            standard = self._standard().log_likelihood(
                self._to_standard(lower),
                self._to_standard(upper),
                loss=loss,
                n_quadrature=n_quadrature,
            )
            # Densities stretch (dt = scale dz); interval masses do not.
            stretched = (loss != "interval_likelihood") | (lower == upper)
            return standard - np.where(stretched, np.log(self.scale), 0.0)
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
            Angle of each row's highest density.
        """

        if self.loc is not None:
            return self._from_standard(modes(self._standard()))
        return modes(self)

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
            Center of each row's window of highest mass; in the window when
            periodic.
        """
        if self.loc is not None:
            w = np.broadcast_to(np.asarray(half_width, dtype=np.float64), (len(self),))
            return self._from_standard(aims(self._standard(), w / self.scale))
        return aims(self, half_width)

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
            Log of each row's mass in its interval, ``<= 0``.
        """
        lower, upper = self._check_arcs(lower, upper)
        if self.loc is not None:
            return self._standard().log_hit_probability(
                self._to_standard(lower), self._to_standard(upper)
            )
        return log_mass_2d(self, lower[:, None], upper[:, None])[:, 0]

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
            Each row's mass in its interval, in ``[0, 1]``.
        """
        return np.exp(self.log_hit_probability(lower, upper))

    def _cumulative_on(self, grid):
        """The kernels' antiderivative (``cumulative_2d``) at a shared grid, (n, G).

        With shared centers the kernel antiderivatives form one (G, M)
        table, and each row's values are one product with its weights.
        """
        if not self.shared_centers:
            return cumulative_2d(self, np.broadcast_to(grid, (len(self), grid.size)))
        table = atom_cumulative(
            grid[:, None] - self.centers,
            self.half_widths,
            self.kernel,
            self.bandwidth,
            self.period,
        )
        return self.weights @ table.T

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
            Mass of row ``i`` up to ``grid[j]``, in ``[0, 1]`` and
            non-decreasing along the grid.
        """
        grid = check_grid(grid)
        if self.loc is not None:
            z = self._to_standard(np.broadcast_to(grid, (len(self), grid.size)))
            out = cumulative_2d(self._standard(), z)
        elif self.period is None:
            out = self._cumulative_on(grid)
        else:
            end = self.window_start + self.period
            inside = (grid >= self.window_start) & (grid <= end)
            t = np.where(inside, grid, self.to_window(grid))
            start = np.array([self.window_start])
            out = self._cumulative_on(t) - self._cumulative_on(start)
        return np.clip(out, 0.0, 1.0)  # rounding only: the CDF is exact

    @with_example(
        _TWO_BUMPS,
        """
            >>> dist.quantiles([0.25, 0.5, 0.75]).round(3)
            array([[-1.,  0.,  1.]])
        """,
    )
    def quantiles(self, quantiles):
        """Return the quantiles of every row's distribution.

        Each is where the exact CDF reaches its level, found by a bracketed
        secant search (Illinois, with a bisection every fourth step) to about
        1e-12 bandwidths.  For circular targets, quantiles of the CDF measured
        from the window's start.  Levels 0 and 1 of a kernel with unbounded
        support on the line are ``-inf`` and ``inf``.

        Parameters
        ----------
        quantiles : array-like of shape (n_quantiles,)
            Levels in ``[0, 1]``.

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_quantiles)
            Angle at which row ``i``'s CDF reaches ``quantiles[j]``;
            non-decreasing along the levels.
        """
        q = check_grid(quantiles, name="quantiles")
        if np.any((q < 0) | (q > 1)):
            raise ValueError("quantiles must lie in [0, 1].")
        if self.loc is not None:
            return self._from_standard(row_quantiles(self._standard(), q))
        return row_quantiles(self, q)

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
            ``[lower, upper]`` per row.
        """
        coverage = float(coverage)
        if not 0.0 < coverage < 1.0:
            raise ValueError(f"coverage must lie in (0, 1); got {coverage}.")
        if self.period is None:
            return self.quantiles([(1 - coverage) / 2, (1 + coverage) / 2])
        return shortest_arcs(self, coverage)

    # ------------------------------------------------------------- summaries
    def _trig_moment(self):
        """First trigonometric moment ``E[exp(2 pi i t / P)]`` of each row."""
        return trig_moments(self)

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
            Each row's mean; in the window when periodic.
        """
        if self.loc is not None:
            return self._from_standard(row_means(self._standard()))
        return row_means(self)

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
            Each row's spread, in target units.
        """
        if self.loc is not None:
            return self.scale * row_stds(self._standard())
        return row_stds(self)

    @with_example(
        _TWO_BUMPS,
        """
            >>> draws = dist.sample(10000, random_state=0)
            >>> draws.shape, bool(abs(draws.mean()) < 0.05)
            ((1, 10000), True)
        """,
    )
    def sample(self, n_draws=1, random_state=None):
        """Draw random angles from every row's distribution.

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
            Independent draws, ``n_draws`` per row; in the window when
            periodic.
        """
        if self.loc is not None:
            draws = sample_rows(self._standard(), n_draws, random_state)
            return self._from_standard(draws)
        return sample_rows(self, n_draws, random_state)
