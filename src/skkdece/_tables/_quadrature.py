"""Quadrature nodes for averaging over each sample's target interval.

The cross-entropy loss averages ``log p(t)`` over ``t ~ U[a, b]``.  The
average is computed with Gauss-Legendre rules on *panels*: the interval is
first cut at the kernel's kinks that fall inside it (so every piece has a
smooth integrand), and each piece is cut into panels no wider than one
bandwidth.  A point target (``a == b``) gets a single node of weight one.

Rows can have different numbers of nodes, so nodes are stored flat, row after
row, with ``row_ptr`` marking where each row's nodes start (CSR layout).
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

from ._atoms import atom_kinks
from ._kernels import KINK_OFFSETS, finest_bandwidth

# Automatic rule (``n_quadrature=None``): panels at most one bandwidth wide,
# with ceil(2 + 8 * width / bandwidth) Gauss-Legendre nodes, between 3 and 10.
# log p of a gaussian mixture is analytic in a strip around the real axis
# whose half-width is a fair fraction of a bandwidth (its complex zeros sit
# about pi h^2 / distance off the axis for two components that far apart), so
# the error falls geometrically with the nodes.  Measured against adaptive
# quadrature for mixtures with bandwidths of 0.25 to 1.2 center spacings and
# logits spread over +-8: below 1e-8 relative at every width (8 nodes per
# bandwidth: 1.6e-7), with 10 nodes per bandwidth where panels of half a
# bandwidth with 6 nodes each needed 12 for about the same accuracy.
MAX_PANEL_WIDTH = 1.0
MAX_NODES_PER_PANEL = 10
_SLACK = 1e-9


@dataclass(frozen=True)
class QuadratureNodes:
    """Flat quadrature nodes, row after row.

    Attributes
    ----------
    row_ptr : ndarray of shape (n_samples + 1,)
        Row ``i`` owns nodes ``row_ptr[i]:row_ptr[i + 1]`` (at least one).
    nodes : ndarray of shape (n_nodes,)
        Angles ``t`` at which the density is evaluated.
    weights : ndarray of shape (n_nodes,)
        Positive weights; each row's weights sum to one, so a row's mean of
        ``log p`` is ``sum(weights * log p(nodes))`` over its nodes.
    """

    row_ptr: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray

    @property
    def n_samples(self):
        return self.row_ptr.shape[0] - 1

    @property
    def counts(self):
        return np.diff(self.row_ptr)

    @property
    def nodes_per_row(self):
        """The common number of nodes of every row, or None if they differ."""
        counts = self.counts
        if counts.size and np.all(counts == counts[0]):
            return int(counts[0])
        return None


@cache
def _gauss_legendre(n):
    """The ``n``-node rule on ``[-1, 1]``, read-only: a model with heads
    places its nodes at every evaluation, and NumPy finds them from an
    eigenvalue problem each time it is asked.
    """
    x, w = np.polynomial.legendre.leggauss(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def quadrature_nodes(
    lower,
    upper,
    points,
    *,
    kernel,
    bandwidth,
    period=None,
    n_quadrature=None,
    half_widths=None,
):
    """Gauss-Legendre nodes and weights for the mean over each interval.

    Parameters
    ----------
    lower, upper : ndarray of shape (n_samples,)
        Interval ends, ``lower <= upper`` (and ``upper <= lower + period``).
    points : ndarray of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared or per row; their kinks split the intervals.
    kernel : str
        Kernel name; decides where the integrand has kinks.
    bandwidth : float or ndarray of shape (n_centers,)
        Kernel bandwidth, or one per atom; automatic panels are at most the
        smallest one wide, and every atom's kinks split the intervals.
    period : float or None
        Period of the target, to find kinks across the seam.
    n_quadrature : int or None
        Nodes on each smooth piece of an interval.  ``None`` splits each piece
        into panels at most one bandwidth wide with 3 to 10 nodes each (one
        node per piece for the tophat kernel, whose log density is constant
        between kinks).
    half_widths : ndarray of the shape of ``points`` or None
        Half-widths of box atoms (:mod:`skkdece._atoms`), whose kinks move to
        ``c +- r + o h``.

    Returns
    -------
    QuadratureNodes
    """
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    n = lower.shape[0]
    width = upper - lower
    is_interval = width > 0

    # Piece edges: the interval ends plus every kink strictly inside.
    offsets = KINK_OFFSETS[kernel]
    if offsets and np.any(is_interval):
        points = np.asarray(points, dtype=np.float64)
        rows = np.flatnonzero(is_interval)
        lo = lower[rows, None]
        hi = upper[rows, None]
        pts = points[rows] if points.ndim == 2 else points[None, :]
        half = None
        if half_widths is not None:
            half = half_widths[rows] if half_widths.ndim == 2 else half_widths[None]
        kinks = atom_kinks(pts, half, kernel, bandwidth).reshape(pts.shape[0], -1)
        if period is not None:
            # The first copy of each kink at or after the interval's start.
            kinks = lo + np.mod(kinks - lo, period)
        kinks = np.broadcast_to(kinks, (rows.size, kinks.shape[-1]))
        inside = (kinks > lo) & (kinks < hi)
        edges = np.concatenate(
            [lo, np.where(inside, kinks, hi), np.broadcast_to(hi, lo.shape)], axis=1
        )
        edges.sort(axis=1)
        piece_lo, piece_hi = edges[:, :-1], edges[:, 1:]
        keep = piece_hi > piece_lo
        piece_row = np.broadcast_to(rows[:, None], keep.shape)[keep]
        piece_lo, piece_hi = piece_lo[keep], piece_hi[keep]
    else:
        rows = np.flatnonzero(is_interval)
        piece_row, piece_lo, piece_hi = rows, lower[rows], upper[rows]

    piece_len = piece_hi - piece_lo
    boxes = half_widths is not None and np.any(half_widths > 0)
    if n_quadrature is None and kernel == "tophat" and not boxes:
        # log p is constant between the kinks of a tophat: one node is exact.
        n_panels = np.ones(piece_row.shape[0], dtype=np.intp)
        per_panel = np.ones(piece_row.shape[0], dtype=np.intp)
    elif n_quadrature is None:
        # With a bandwidth per atom the narrowest atoms set the panels.
        bandwidth = finest_bandwidth(bandwidth)
        # The slack keeps rounding in ``upper - lower`` from adding a panel or
        # a node: intervals of one width get the same nodes wherever they lie.
        n_panels = np.ceil(piece_len / (MAX_PANEL_WIDTH * bandwidth) - _SLACK)
        n_panels = np.maximum(n_panels, 1).astype(np.intp)
        rel_len = piece_len / n_panels / bandwidth
        per_panel = np.ceil(2.0 + 8.0 * rel_len - _SLACK).astype(np.intp)
        per_panel = np.clip(per_panel, 3, MAX_NODES_PER_PANEL)
    else:
        n_panels = np.ones(piece_row.shape[0], dtype=np.intp)
        per_panel = np.full(piece_row.shape[0], int(n_quadrature), dtype=np.intp)

    # Panels, in row order (pieces are already in row order).
    panel_row = np.repeat(piece_row, n_panels)
    panel_len = np.repeat(piece_len / n_panels, n_panels)
    panel_k = np.repeat(per_panel, n_panels)
    first = np.repeat(np.cumsum(n_panels) - n_panels, n_panels)
    panel_idx = np.arange(panel_row.shape[0]) - first
    panel_lo = np.repeat(piece_lo, n_panels) + panel_idx * panel_len

    chunks_rows, chunks_nodes, chunks_weights = [], [], []
    for k in np.unique(panel_k):
        sel = panel_k == k
        x, w = _gauss_legendre(int(k))
        half = 0.5 * panel_len[sel]
        rows = panel_row[sel]
        chunks_nodes.append(
            ((panel_lo[sel] + half)[:, None] + half[:, None] * x).ravel()
        )
        # panel_len / width, not half / width: a subnormal width would make
        # half underflow and the weights vanish.
        chunks_weights.append(
            ((panel_len[sel] / width[rows])[:, None] * (0.5 * w)).ravel()
        )
        chunks_rows.append(np.repeat(rows, k))

    # Merge with the point rows (one node, weight one), keeping row order.
    point_rows = np.flatnonzero(~is_interval)
    all_rows = np.concatenate([*chunks_rows, point_rows])
    all_nodes = np.concatenate([*chunks_nodes, lower[point_rows]])
    all_weights = np.concatenate([*chunks_weights, np.ones(point_rows.shape[0])])
    order = np.argsort(all_rows, kind="stable")
    counts = np.bincount(all_rows, minlength=n)
    row_ptr = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(counts, out=row_ptr[1:])
    return QuadratureNodes(
        row_ptr=row_ptr, nodes=all_nodes[order], weights=all_weights[order]
    )
