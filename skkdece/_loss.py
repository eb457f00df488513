"""Kernel tables and the per-row softmax kernel-density losses.

A *kernel table* holds the kernel values that a set of targets needs:

* :class:`KernelTable`, at quadrature nodes over each target interval, for the
  cross-entropy: row ``i``'s loss is the mean of ``-log p_i(t)`` over
  ``t ~ U[a_i, b_i]`` (``-log p_i(a_i)`` when ``a_i == b_i``);
* :class:`IntervalMassTable`, the kernels' masses of each interval, for the
  interval-censored likelihood ``-log P_i([a_i, b_i])``.

Given a matrix of logits, a table returns per-row losses and their gradients
with respect to the logits, block by block (:meth:`KernelTable.block_loss`).
It knows nothing of X or of how the logits are made: that is a logits model's
job (:mod:`skkdece._linear`), and :mod:`skkdece._objective` joins the two.
:func:`training_table` builds the table a fit needs.

For row ``i`` with softmax weights ``S_i`` over centers ``c_m`` the density is
``p_i(t) = sum_m S_im K(t - c_m)``; the cross-entropy's gradient is
``S_im - mean_t r_im(t)`` with responsibilities
``r_im(t) = S_im K(t - c_m) / p_i(t)``.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn import get_config
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._atoms import atom_log_mass, log_atom_density
from ._grid import (
    _FALLBACK_BELOW,
    GRID_PANEL_WIDTH,
    GridTable,
    SplitTable,
    grid_size,
    raise_zero_density,
    shifted_exp,
)
from ._kernels import KERNELS, atom_bandwidths, finest_bandwidth
from ._quadrature import QuadratureNodes, quadrature_nodes
from ._targets import check_intervals, check_row_centers

# Rows are processed in blocks holding about this many bytes of scaled kernel
# values: small enough that a block's arrays stay in the cache across the
# passes of one evaluation, large enough that the Python overhead per block
# (~60 us) is small.  Measured with 12 nodes per row: 4 MiB blocks were 1.1x
# faster than 1 MiB and 1.6x faster than 256 KiB ones; 8 MiB no faster.
_BLOCK_BYTES = 4 * 2**20

# training_table puts intervals at least this many bandwidths wide on average
# on the shared grid (see use_grid).
_GRID_FROM_WIDTH = 2.0


def _split_rows(row_ptr, block_nodes):
    """Row boundaries of consecutive blocks of about ``block_nodes`` nodes."""
    n = row_ptr.shape[0] - 1
    targets = np.arange(block_nodes, row_ptr[-1], block_nodes)
    cuts = np.searchsorted(row_ptr, targets, side="left")
    return np.unique(np.concatenate([[0], cuts, [n]])).astype(np.intp)


class KernelTable:
    """Kernel values at the quadrature nodes, with each node's maximum factored out.

    ``log K(t_q - c_m) = log_scale[q] + log(scaled[q, m])`` where
    ``max_m scaled[q, m] == 1``.  Responsibilities are ratios of kernel values
    at one node, so the common factor ``exp(log_scale[q])`` cancels from the
    gradient and enters the loss only as an added ``log_scale[q]``: nothing
    underflows however far the node is from every center.

    The table holds its rows sorted by their number of nodes (a stable sort:
    rows with equal counts keep their order), so that it can cut them into
    blocks of consecutive rows that all have the same count: every block is
    evaluated with two batched matrix products, whatever mix of point and
    intervals of different widths the targets are.  ``row_order[r]`` is the
    caller's row held in table row ``r`` (``None`` when every row has the same
    count and nothing moves); callers pass the logits of a block's rows in
    table order and read the losses back the same way.

    A block holds about ``_BLOCK_BYTES`` of kernel values, so that no array of
    the size of the whole table is ever a temporary.  The scaled values of as
    many leading blocks as fit in ``sklearn.get_config()["working_memory"]``
    are computed once and kept; those of the remaining blocks are recomputed
    at every evaluation.

    Parameters
    ----------
    quad : QuadratureNodes
        Nodes and weights for each sample's interval.
    centers : ndarray of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared or per row.
    kernel, bandwidth, period :
        As for :func:`skkdece._kernels.log_kernel`.
    half_widths : ndarray of the shape of ``centers`` or None, default=None
        Half-widths of box atoms (:mod:`skkdece._atoms`): each kernel smoothed
        over ``[c - r, c + r]``; None for plain kernels.
    block_bytes : int or None, default=None
        Kernel values per block (None: ``_BLOCK_BYTES``, 4 MiB); a model whose
        own per-block data should stay in the caches with them asks for less.

    Attributes
    ----------
    row_order : ndarray of shape (n_samples,) or None
        The caller's row held in each table row.
    row_ptr : ndarray of shape (n_samples + 1,)
        Table row ``r`` owns table nodes ``row_ptr[r]:row_ptr[r + 1]``.
    log_scale : ndarray of shape (n_nodes,)
        ``max_m log K(t_q - c_m)`` at each table node; ``-inf`` where no
        kernel reaches the node.
    uncovered : ndarray of shape (n_nodes,)
        Table nodes outside the support of every (compact) kernel.
    block_rows : ndarray of shape (n_blocks + 1,)
        Block ``b`` holds table rows ``block_rows[b]:block_rows[b + 1]``.
    """

    def __init__(
        self,
        quad,
        centers,
        *,
        kernel,
        bandwidth,
        period=None,
        half_widths=None,
        block_bytes=None,
    ):
        self.quad = quad
        self.centers = np.asarray(centers, dtype=np.float64)
        self.half_widths = (
            None if half_widths is None else np.asarray(half_widths, dtype=np.float64)
        )
        self.kernel = kernel
        self.bandwidth = atom_bandwidths(bandwidth, self.centers.shape[-1])
        if self.half_widths is not None and np.ndim(self.bandwidth):
            raise ValueError("Box atoms (half_widths) take a single bandwidth.")
        self.period = period
        counts = quad.counts
        if quad.nodes_per_row is not None or counts.size == 0:
            self.row_order = None
            self.row_ptr = quad.row_ptr
            self._nodes, self._weights = quad.nodes, quad.weights
            self._centers = self.centers
            self._half = self.half_widths
        else:
            order = np.argsort(counts, kind="stable")
            sorted_counts = counts[order]
            self.row_order = order
            self.row_ptr = np.zeros(counts.size + 1, dtype=np.intp)
            np.cumsum(sorted_counts, out=self.row_ptr[1:])
            source = np.repeat(
                quad.row_ptr[:-1][order] - self.row_ptr[:-1], sorted_counts
            )
            source += np.arange(self.row_ptr[-1])
            self._nodes, self._weights = quad.nodes[source], quad.weights[source]
            del source
            self._centers = (
                self.centers if self.centers.ndim == 1 else self.centers[order]
            )
            self._half = self.half_widths
            if self._half is not None and self._half.ndim == 2:
                self._half = self._half[order]
        self._counts = np.diff(self.row_ptr)

        node_bytes = 8 * self.n_centers
        budget = int(get_config()["working_memory"] * 2**20)
        block_bytes = _BLOCK_BYTES if block_bytes is None else int(block_bytes)
        block_nodes = max(1, min(block_bytes, budget // 16) // node_bytes)
        count_changes = np.flatnonzero(np.diff(self._counts)) + 1
        self.block_rows = np.union1d(
            _split_rows(self.row_ptr, block_nodes), count_changes
        ).astype(np.intp)

        # The scaled values of the leading blocks that fit the budget are kept.
        block_ptr = self.row_ptr[self.block_rows]
        n_kept = np.searchsorted(block_ptr, budget // node_bytes, side="right") - 1
        self._n_kept_blocks = int(n_kept)
        self._kept = np.empty((block_ptr[n_kept], self.n_centers))
        self.log_scale = np.empty(self._nodes.shape[0])
        # Per row: sum_q w_q (one, to rounding) and sum_q w_q log_scale_q.
        self._row_weight = np.add.reduceat(self._weights, self.row_ptr[:-1])
        self._row_log_scale = np.empty(counts.size)
        for b in range(self.n_blocks):
            p0, p1 = block_ptr[b], block_ptr[b + 1]
            scaled, log_scale = self._compute_scaled(p0, p1)
            self.log_scale[p0:p1] = log_scale
            rows = slice(self.block_rows[b], self.block_rows[b + 1])
            self._row_log_scale[rows] = np.add.reduceat(
                self._weights[p0:p1] * log_scale, self.row_ptr[rows] - p0
            )
            if b < n_kept:
                self._kept[p0:p1] = scaled
        self.uncovered = np.isneginf(self.log_scale)
        self._block_uncovered = np.add.reduceat(self.uncovered, block_ptr[:-1]) > 0
        self._any_uncovered = bool(np.any(self._block_uncovered))

    @property
    def n_centers(self):
        return self.centers.shape[-1]

    @property
    def n_samples(self):
        return self.quad.n_samples

    @property
    def n_blocks(self):
        return self.block_rows.shape[0] - 1

    def block_row_index(self, b):
        """The caller's rows held in block ``b``: a slice, or an index array."""
        r0, r1 = self.block_rows[b], self.block_rows[b + 1]
        return slice(r0, r1) if self.row_order is None else self.row_order[r0:r1]

    def log_kernel_at(self, index):
        """``log K(t_q - c_m)`` at the selected table nodes, shape (n_selected, M).

        With box atoms, the log densities of the atoms (:mod:`skkdece._atoms`).
        """
        t = self._nodes[index]
        if self._centers.ndim == 1:
            pts, half = self._centers[None, :], self._half
        else:
            n_nodes = self._nodes.shape[0]
            if isinstance(index, slice):
                nodes = np.arange(*index.indices(n_nodes))
            else:
                nodes = np.asarray(index)
            rows = np.searchsorted(self.row_ptr, nodes, side="right") - 1
            pts = self._centers[rows]
            half = None if self._half is None else self._half[rows]
        return log_atom_density(
            t[:, None] - pts, half, self.kernel, self.bandwidth, period=self.period
        )

    def _compute_scaled(self, p0, p1):
        """``(scaled, log_scale)`` of table nodes ``p0:p1``, from the kernel."""
        log_k = self.log_kernel_at(slice(p0, p1))
        log_scale = np.max(log_k, axis=1)
        # Nodes outside the support of every compact kernel have p = 0.
        uncovered = ~np.isfinite(log_scale)
        if np.any(uncovered):
            log_scale[uncovered] = 0.0
            log_k -= log_scale[:, None]
            log_scale[uncovered] = -np.inf
        else:
            log_k -= log_scale[:, None]
        with np.errstate(under="ignore"):  # far kernels are zero next to near
            np.exp(log_k, out=log_k)
        return log_k, log_scale

    def _block_scaled(self, b):
        """Scaled values of block ``b``'s nodes."""
        p0 = self.row_ptr[self.block_rows[b]]
        p1 = self.row_ptr[self.block_rows[b + 1]]
        if b < self._n_kept_blocks:
            return self._kept[p0:p1]
        return self._compute_scaled(p0, p1)[0]

    def uncovered_rows(self):
        """The caller's rows with a node where every kernel is zero (density zero)."""
        nodes = np.flatnonzero(self.uncovered)
        rows = np.unique(np.searchsorted(self.row_ptr, nodes, side="right") - 1)
        return rows if self.row_order is None else np.sort(self.row_order[rows])

    def check_covered(self, rows=None):
        """Raise if the density is zero at some node (the loss is infinite).

        ``rows`` maps the table's rows to the caller's row numbers for the
        message (for example the rows a fit kept).
        """
        if not self._any_uncovered:
            return
        raise_zero_density(self, self.uncovered_rows(), rows)

    def block_loss(
        self, b, logits, sample_weight=None, exp_work=None, grad=None, shifted=False
    ):
        """Losses of the rows of block ``b`` and, optionally, their gradients.

        Parameters
        ----------
        b : int
            Block index; its rows are table rows ``block_rows[b]:block_rows[b + 1]``
            (the caller's rows ``block_row_index(b)``).
        logits : ndarray of shape (n_rows, M)
            Logits of the block's rows, in table order; left unchanged.  The
            loss depends on them only up to a constant per row.
        sample_weight : ndarray of shape (n_rows,) or None
            Factors applied to the gradient rows (not to the losses).
        exp_work : ndarray of shape (n_rows, M) or None
            Scratch space, overwritten.
        grad : ndarray of shape (n_rows, M) or None
            When given, overwritten with ``sample_weight_i * dloss_i / dz_i``.
            Call :meth:`check_covered` first: the gradient at a zero density
            is not defined.
        shifted : bool, default=False
            Whether the logits of each row are already shifted so that the
            first is zero, as :class:`~skkdece._linear.LinearLogits` makes them.

        Returns
        -------
        loss : ndarray of shape (n_rows,)
            ``-mean_t log p_i(t)``; ``inf`` where the density is zero at a node.
        """
        # Underflow to zero is intended here (far kernels, negligible
        # weights), whatever the caller's np.errstate says.
        with np.errstate(under="ignore"):
            return self._block_loss(b, logits, sample_weight, exp_work, grad, shifted)

    def _block_loss(self, b, logits, sample_weight, exp_work, grad, shifted):
        r0, r1 = self.block_rows[b], self.block_rows[b + 1]
        p0, p1 = self.row_ptr[r0], self.row_ptr[r1]
        n_rows, M = logits.shape
        k = int(self._counts[r0])  # the same for every row of the block
        scaled = self._block_scaled(b)

        E, shift, sum_exp = shifted_exp(logits, shifted, exp_work)

        nodes, rows = slice(p0, p1), slice(r0, r1)
        weights = self._weights[nodes]
        # Per node, dens = scaled @ E of its row = sum_exp * (S @ scaled).
        if k == 1:
            dens = np.einsum("qm,qm->q", scaled, E)
        else:
            dens = np.matmul(scaled.reshape(n_rows, k, M), E[:, :, None]).reshape(-1)
        threshold = _FALLBACK_BELOW * sum_exp
        # One pass finds the usual case, no node anywhere near underflow.
        uncovered = self._block_uncovered[b]
        any_fallback = uncovered or np.min(dens) < np.max(threshold)
        if any_fallback:
            if k == 1:
                fallback = dens < threshold
            else:
                fallback = (dens.reshape(n_rows, k) < threshold[:, None]).reshape(-1)
            if uncovered:
                fallback &= ~self.uncovered[nodes]
            any_fallback = np.any(fallback)
        # Only fallback and uncovered nodes can divide by zero or overflow
        # here; their coefficients are replaced or never used.
        with np.errstate(divide="ignore", over="ignore"):
            coef = np.divide(weights, dens)
            log_p = np.log(dens, out=dens)
        if any_fallback:
            idx = np.flatnonzero(fallback)
            fb_rows = idx // k
            coef[idx] = 0.0
            log_p -= np.log(sum_exp) if k == 1 else np.repeat(np.log(sum_exp), k)
            log_p += self.log_scale[nodes]
            log_S = (
                logits[fb_rows] - (shift[fb_rows] + np.log(sum_exp[fb_rows]))[:, None]
            )
            log_terms = log_S + self.log_kernel_at(p0 + idx)
            log_p_idx = logsumexp(log_terms, axis=1)
            log_p[idx] = log_p_idx
            log_p *= weights
            loss = -_row_sums(log_p, k)
        else:
            # With the weights of a row summing to one (row_weight, to rounding)
            # loss_i = -sum_q w_q (log dens_q + log_scale_q) + log(sum_exp_i).
            loss = self._row_weight[rows] * np.log(sum_exp)
            loss -= _weighted_row_sums(log_p, weights, k)
            loss -= self._row_log_scale[rows]
        if grad is None:
            return loss

        # grad_i = S_i - sum_q w_q S_i scaled_q / (S_i @ scaled_q)
        #        = sw_i E_i (1 / sum_exp_i - sum_q (w_q / dens_q) scaled_q).
        sw = sample_weight
        if sw is None:
            coef *= -1.0
            row_factor = 1.0 / sum_exp
        else:
            coef.reshape(n_rows, k)[...] *= -sw[:, None]
            row_factor = sw / sum_exp
        if k == 1:
            np.multiply(scaled, coef[:, None], out=grad)
        else:
            np.matmul(
                coef.reshape(n_rows, 1, k),
                scaled.reshape(n_rows, k, M),
                out=grad[:, None, :],
            )
        grad += row_factor[:, None]
        grad *= E
        if any_fallback:
            # Responsibilities of the recomputed nodes, straight from the logs.
            resp = np.exp(log_terms - log_p_idx[:, None])
            resp *= (weights[idx] if sw is None else sw[fb_rows] * weights[idx])[
                :, None
            ]
            np.subtract.at(grad, fb_rows, resp)
        return loss


class IntervalMassTable(KernelTable):
    """Kernel masses of each row's target interval, for the interval likelihood.

    The interval-censored likelihood of ``[a, b]`` is the predicted mass
    ``sum_m S_m M_m`` with ``M_m`` the mass of kernel ``m`` in ``[a, b]``
    (closed form through the kernel CDFs, in the log domain).  Its negative
    log has exactly the form of the cross-entropy at a single node of weight
    one whose "kernel values" are the ``M_m``, so the same evaluation and
    gradient code serves both losses.  Point targets (``a == b``) keep the
    density ``K(a - c_m)``: their likelihood is the density, as usual for
    exactly observed values among censored ones.

    Parameters
    ----------
    lower, upper : ndarray of shape (n_samples,)
        The target intervals.
    centers : ndarray of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared or per row.
    **kwargs
        :class:`KernelTable`'s keywords: ``kernel``, ``bandwidth``,
        ``period``, ``half_widths``, ``block_bytes``.
    """

    def __init__(self, lower, upper, centers, **kwargs):
        lower = np.asarray(lower, dtype=np.float64)
        upper = np.asarray(upper, dtype=np.float64)
        n = lower.shape[0]
        self.lower, self.upper = lower, upper
        quad = QuadratureNodes(
            row_ptr=np.arange(n + 1), nodes=lower.copy(), weights=np.ones(n)
        )
        super().__init__(quad, centers, **kwargs)

    def log_kernel_at(self, index):
        n = self.quad.n_samples
        # Blocks arrive as slices: build only their rows, not all n.
        rows = np.arange(*index.indices(n)) if isinstance(index, slice) else index
        pts = self.centers[None, :] if self.centers.ndim == 1 else self.centers[rows]
        half = self.half_widths
        if half is not None and half.ndim == 2:
            half = half[rows]
        lo = self.lower[rows, None] - pts
        hi = self.upper[rows, None] - pts
        point = (self.upper[rows] == self.lower[rows])[:, None]
        kw = dict(kernel=self.kernel, bandwidth=self.bandwidth, period=self.period)
        log_mass = atom_log_mass(lo, hi, half, **kw)
        log_density = log_atom_density(lo, half, **kw)
        return np.where(point, log_density, log_mass)


def _row_sums(values, k):
    """Sums of consecutive runs of ``k`` values."""
    return values if k == 1 else values.reshape(-1, k).sum(axis=1)


def _weighted_row_sums(values, weights, k):
    """Sums of consecutive runs of ``k`` products ``values * weights``."""
    if k == 1:
        return values * weights
    return np.einsum("rk,rk->r", values.reshape(-1, k), weights.reshape(-1, k))


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
    logits = np.ascontiguousarray(logits, dtype=np.float64)
    if gradient:
        table.check_covered()
    loss = np.empty(logits.shape[0])
    grad = np.empty_like(logits) if gradient else None
    max_rows = np.max(np.diff(table.block_rows))
    work = np.empty((max_rows, logits.shape[1]))
    grad_work = (
        np.empty_like(work) if gradient and table.row_order is not None else None
    )
    for b in range(table.n_blocks):
        # The block's rows: a slice, or (rows sorted by node count) an index.
        rows = table.block_row_index(b)
        n_rows = table.block_rows[b + 1] - table.block_rows[b]
        if grad is None:
            g = None
        else:
            g = grad[rows] if grad_work is None else grad_work[:n_rows]
        loss[rows] = table.block_loss(b, logits[rows], exp_work=work[:n_rows], grad=g)
        if grad_work is not None:
            grad[rows] = g
    return (loss, grad) if gradient else loss


def training_table(
    lower,
    upper,
    centers,
    *,
    kernel,
    bandwidth,
    period=None,
    loss="cross_entropy",
    n_quadrature=None,
    half_widths=None,
    block_bytes=None,
):
    """The kernel table a fit needs for its targets and loss.

    Parameters
    ----------
    lower, upper : ndarray of shape (n_samples,)
        Validated target intervals (points have ``lower == upper``).
    centers : ndarray of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared or per row.
    kernel, bandwidth, period :
        As for :func:`skkdece._kernels.log_kernel`.
    loss : {"cross_entropy", "interval_likelihood"}, default="cross_entropy"
        Which per-row loss the table evaluates.
    n_quadrature : int or None, default=None
        Nodes per smooth piece of an interval for the cross-entropy (None:
        automatic panels).
    half_widths : ndarray of the shape of ``centers`` or None, default=None
        Half-widths of box atoms (:mod:`skkdece._atoms`); None for kernels.
    block_bytes : int or None, default=None
        Kernel values per block of a per-row table (:class:`KernelTable`);
        None for its default.  The shared grid sizes its own blocks.

    Returns
    -------
    table : KernelTable, IntervalMassTable, GridTable or SplitTable
        Intervals at least a grid panel wide go on a shared grid when
        :func:`use_grid` says so (points and narrower intervals then keep
        their per-row nodes, in a ``SplitTable``).
    """
    kw = dict(
        kernel=kernel, bandwidth=bandwidth, period=period, half_widths=half_widths
    )
    if loss == "interval_likelihood":
        return IntervalMassTable(lower, upper, centers, block_bytes=block_bytes, **kw)
    if loss != "cross_entropy":
        raise ValueError(
            f"loss must be 'cross_entropy' or 'interval_likelihood'; got {loss!r}."
        )
    plain = dict(kernel=kernel, bandwidth=bandwidth, period=period)
    # Box atoms (a neighbours model's) have per-row centers: never the grid.
    if (
        n_quadrature is None
        and half_widths is None
        and use_grid(lower, upper, centers, **plain)
    ):
        # Intervals narrower than a panel keep their own nodes: no less
        # accurate than the grid, and no more costly.
        on_grid = upper - lower >= GRID_PANEL_WIDTH * finest_bandwidth(bandwidth)
        intervals = np.flatnonzero(on_grid)
        grid = GridTable(lower[intervals], upper[intervals], centers, **plain)
        if intervals.shape[0] == lower.shape[0]:
            return grid
        points = np.flatnonzero(~on_grid)
        quad = quadrature_nodes(lower[points], upper[points], centers, **kw)
        table = KernelTable(quad, centers, block_bytes=block_bytes, **kw)
        parts = [(table, points), (grid, intervals)]
        return SplitTable(parts, lower.shape[0])
    quad = quadrature_nodes(lower, upper, centers, n_quadrature=n_quadrature, **kw)
    return KernelTable(quad, centers, block_bytes=block_bytes, **kw)


def use_grid(lower, upper, centers, *, kernel, bandwidth, period=None):
    """Whether :func:`training_table` puts the interval rows on a shared grid.

    The shared grid (:class:`~skkdece._grid.GridTable`) needs shared centers.
    It is used when its ``G x M`` table takes at most an eighth of
    ``working_memory`` and either

    * the intervals are on average at least ``_GRID_FROM_WIDTH`` bandwidths
      (the smallest, with a bandwidth per atom) wide: the grid's band of
      nodes per row then costs less than per-row nodes (measured: about the
      same at one bandwidth, faster from two), or
    * the per-row nodes' kernel values (about ``10 * ceil(width / h)``
      nodes per row, times ``M``, times 8 bytes) exceed ``working_memory``:
      per-row tables would be recomputed, an ``exp`` per value, at every
      evaluation, where the grid's memory does not grow with the width.
    """
    centers = np.asarray(centers)
    is_interval = upper > lower
    if centers.ndim != 1 or not np.any(is_interval):
        return False
    budget = get_config()["working_memory"] * 2**20
    n_nodes = grid_size(
        lower[is_interval],
        upper[is_interval],
        centers,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
    )
    if 8 * n_nodes * centers.shape[0] > budget / 8:
        return False
    relative = (upper - lower)[is_interval] / finest_bandwidth(bandwidth)
    per_row_bytes = 8 * centers.shape[0] * 10 * np.sum(np.ceil(relative))
    return bool(np.mean(relative) >= _GRID_FROM_WIDTH or per_row_bytes > budget)


_LOSS_PARAMETERS = {
    "logits": ["array-like"],
    "centers": ["array-like"],
    "lower": ["array-like", Real],
    "upper": ["array-like", Real],
    "kernel": [StrOptions(set(KERNELS))],
    "bandwidth": [Interval(Real, 0, np.inf, closed="neither"), "array-like"],
    "period": [Interval(Real, 0, np.inf, closed="neither"), None],
}


def _check_loss_inputs(logits, centers, lower, upper, kernel, bandwidth, period):
    """The arrays of the public loss functions, validated beyond their types."""
    if kernel == "vonmises" and period is None:
        raise ValueError("kernel='vonmises' needs a period.")
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D; got shape {logits.shape}.")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contain NaN or infinite values.")
    centers = check_row_centers(centers, logits.shape, "logits")
    bandwidth = atom_bandwidths(bandwidth, logits.shape[1])
    lower, upper = check_intervals(lower, upper, logits.shape[0], period)
    return logits, centers, lower, upper, bandwidth


@validate_params(
    {
        **_LOSS_PARAMETERS,
        "n_quadrature": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def kde_cross_entropy(
    logits,
    centers,
    lower,
    upper,
    *,
    kernel="gaussian",
    bandwidth=1.0,
    period=None,
    n_quadrature=None,
):
    """Cross-entropy between uniform target intervals and softmax kernel densities.

    Row ``i`` predicts the density ``p_i(t) = sum_m S_im K_h(t - centers_m)``
    with ``S_i = softmax(logits_i)``.  Its loss is the cross-entropy between
    the uniform distribution on ``[lower_i, upper_i]`` and ``p_i``::

        L_i = -1 / (b - a) * integral_a^b log p_i(t) dt     (a < b)
        L_i = -log p_i(a)                                   (a == b)

    and the gradient is ``S_im - mean_{t ~ U[a, b]} S_im K_h(t - c_m) / p_i(t)``.
    Everything is computed in the log domain: the result stays exact when every
    center is hundreds of bandwidths from the interval.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_centers)
        One logit per kernel center and row.
    centers : array-like of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared by all rows or given per row.
    lower, upper : array-like of shape (n_samples,)
        Target intervals; rows with ``lower == upper`` are point targets.
        With a period, ``lower <= upper <= lower + period`` and the interval may
        cross the seam of the window (``[350, 370]`` on a 360 circle).
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    bandwidth : float or array-like of shape (n_centers,), default=1.0
        Kernel bandwidth (support radius for the compact kernels), or one per
        center: a multi-scale model's atoms.
    period : float or None, default=None
        Period of a circular target (e.g. ``2 * np.pi`` or ``360``).
    n_quadrature : int or None, default=None
        Gauss-Legendre nodes on each smooth piece of an interval.  ``None``
        chooses panels at most one (the smallest) bandwidth wide.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        Per-row cross-entropy ``L_i``.
    grad : ndarray of shape (n_samples, n_centers)
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
    logits, centers, lower, upper, bandwidth = _check_loss_inputs(
        logits, centers, lower, upper, kernel, bandwidth, period
    )
    table = training_table(
        lower,
        upper,
        centers,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
        n_quadrature=n_quadrature,
    )
    return cross_entropy_from_table(logits, table)


@validate_params(_LOSS_PARAMETERS, prefer_skip_nested_validation=True)
def interval_likelihood(
    logits, centers, lower, upper, *, kernel="gaussian", bandwidth=1.0, period=None
):
    """Negative log interval-censored likelihood and its gradient.

    ``L_i = -log P_i([a_i, b_i])`` with ``P_i`` the predicted mass of the
    interval (``-log p_i(a_i)`` for point targets) and
    ``dL_i / dz_im = S_im - S_im M_im / sum_k S_ik M_ik``.  It differs from
    :func:`kde_cross_entropy` by ``log(b - a)`` plus a Jensen gap
    ``log mean_t p(t) - mean_t log p(t) >= 0``.

    Parameters
    ----------
    logits, centers, lower, upper, kernel, bandwidth, period :
        As for :func:`kde_cross_entropy`.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
    grad : ndarray of shape (n_samples, n_centers)

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import interval_likelihood
    >>> loss, grad = interval_likelihood([[0.0, 0.0]], [-1.0, 1.0], -1.0, 1.0)
    >>> float(np.exp(-loss[0])).__round__(4)  # mass of [-1, 1]
    0.4772
    """
    logits, centers, lower, upper, bandwidth = _check_loss_inputs(
        logits, centers, lower, upper, kernel, bandwidth, period
    )
    table = IntervalMassTable(
        lower, upper, centers, kernel=kernel, bandwidth=bandwidth, period=period
    )
    return cross_entropy_from_table(logits, table)
