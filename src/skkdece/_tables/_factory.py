"""The kernel table a fit needs: per-row nodes, interval masses or a shared grid."""

import numpy as np
from sklearn import get_config

from ._grid import GRID_PANEL_WIDTH, GridTable, grid_size
from ._kernel_table import IntervalMassTable, KernelTable
from ._kernels import finest_bandwidth
from ._quadrature import quadrature_nodes
from ._split_table import SplitTable

# training_table puts intervals at least this many bandwidths wide on average
# on the shared grid (see use_grid).
_GRID_FROM_WIDTH = 2.0


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
    n_threads=1,
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
    n_threads : int, default=1
        Threads computing a per-row table's kernel values; the table does not
        depend on them.

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
        table = KernelTable(
            quad, centers, block_bytes=block_bytes, n_threads=n_threads, **kw
        )
        parts = [(table, points), (grid, intervals)]
        return SplitTable(parts, lower.shape[0])
    quad = quadrature_nodes(lower, upper, centers, n_quadrature=n_quadrature, **kw)
    return KernelTable(
        quad, centers, block_bytes=block_bytes, n_threads=n_threads, **kw
    )


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
