"""The cross-entropy of interval targets on one shared quadrature grid.

:class:`~skkdece._loss.KernelTable` gives every row its own quadrature nodes,
so it holds (or recomputes, with an ``exp`` each) ``n x nodes x M`` kernel
values: gigabytes, or seconds per evaluation, once intervals are several
bandwidths wide.  :class:`GridTable` puts composite Gauss-Legendre panels on
one grid over the targets' window instead (wrapping with a period) and keeps
one ``G x M`` table of kernel values at its nodes:

* a panel that a row's interval covers entirely gets the Gauss weights;
* the (at most two) panels that it covers in part get per-row weights that
  integrate the panel's interpolating polynomial over the covered part
  (:func:`partial_panel_weights`), so every row uses the shared nodes only;
* the densities of a block of rows at the nodes of their band are one matrix
  product, ``exp(logits) @ table.T``, and the gradient with respect to the
  logits a second one; per row and node only a ``log`` and a division remain.

Rows are sorted by where their band of nodes starts (within classes of band
lengths), so the rows of a block share most of their band and the products
stay dense.  Memory is ``O(n + G M)`` plus one block's buffers.

Interpolation converges more slowly than Gauss quadrature (degree ``k - 1``,
not ``2k - 1``), so the grid's panels are narrower than the per-row ones: at
most half a bandwidth, with 10 nodes.  On gaussian mixtures with bandwidths of
0.25 to 1.2 center spacings and logits spread over +-8, the interpolant of
``log p`` stayed within 4e-8 of it (one bandwidth with 10 nodes: 1e-4) and
the losses of intervals 0.01 to 6 bandwidths wide within 6e-10 relative of
adaptive quadrature (8 nodes: 1.7e-8).
"""

import numpy as np
from numpy.polynomial import legendre
from scipy.special import logsumexp
from sklearn import get_config

from .._chunking import row_batches
from ._blocks import FALLBACK_BELOW, RowBlocks, raise_zero_density, shifted_exp
from ._kernels import KINK_OFFSETS, atom_bandwidths, finest_bandwidth, log_kernel

GRID_PANEL_WIDTH = 0.5
GRID_NODES_PER_PANEL = 10

# Elements (rows x band nodes) of one block's dense arrays: 4 MiB each.
_BLOCK_ELEMENTS = 2**19

# Bytes per row and per k * k values that partial_panel_weights allocates
# (Legendre values at k points for k degrees, and their products).
_PARTIAL_ROW_BYTES = 32


def partial_panel_weights(alpha, beta, n_nodes, span=None):
    """Weights of the Gauss-Legendre nodes that integrate over ``[alpha, beta]``.

    The integral over ``[alpha, beta]`` of the polynomial that interpolates a
    function at the ``n_nodes`` Gauss-Legendre nodes of ``[-1, 1]``, as a
    weighted sum of the function's values there.

    The interpolant's Legendre coefficients are ``(2l + 1) / 2 * sum_j w_j
    f(x_j) P_l(x_j)`` (the Gauss rule is exact for the products), so the
    weights are ``sum_l (2l + 1) / 2 * w_j P_l(x_j) * integral P_l``; the
    integrals of the ``P_l`` (degree < ``n_nodes``) are taken by the same
    Gauss rule mapped onto ``[alpha, beta]``, which is exact and, unlike
    differences of antiderivatives, keeps its relative accuracy however
    short the sub-interval.

    Parameters
    ----------
    alpha, beta : ndarray of shape (n,)
        Ends of the sub-interval, ``-1 <= alpha <= beta <= 1``.
    n_nodes : int
        Nodes of the Gauss-Legendre rule.
    span : ndarray of shape (n,) or None
        ``beta - alpha``, when the caller knows it more accurately.

    Returns
    -------
    weights : ndarray of shape (n, n_nodes)
        For ``alpha = -1, beta = 1`` the Gauss weights.
    """
    x, w = legendre.leggauss(n_nodes)
    degree = np.arange(n_nodes)
    # A[l, j] = (2l + 1) / 2 * w_j * P_l(x_j)
    A = legendre.legvander(x, n_nodes - 1).T * ((2 * degree + 1) / 2.0)[:, None] * w
    if span is None:
        span = beta - alpha
    half = 0.5 * np.asarray(span, dtype=np.float64)
    points = (0.5 * (alpha + beta))[:, None] + half[:, None] * x
    # integral of P_l over [alpha, beta], shape (n, n_nodes)
    integrals = half[:, None] * np.einsum(
        "q,nql->nl", w, legendre.legvander(points, n_nodes - 1)
    )
    return integrals @ A


def panel_edges(start, stop, centers, *, kernel, bandwidth, period=None):
    """Edges of the grid's panels over ``[start, stop]``.

    The kernel's kinks relative to every center cut the window into smooth
    pieces (``log p`` is smooth between them), and each piece into equal
    panels at most ``GRID_PANEL_WIDTH`` bandwidths (the smallest, with a
    bandwidth per atom) wide (the tophat's pieces
    stay whole: its ``log p`` is constant on each).  With a period the
    window is one period and the kinks are taken modulo it.

    Returns
    -------
    edges : ndarray of shape (n_panels + 1,)
        Increasing, from ``start`` to ``stop``.
    """
    cuts = [np.array([start, stop])]
    for offset in KINK_OFFSETS[kernel]:
        kinks = np.asarray(centers, dtype=np.float64) + offset * np.asarray(bandwidth)
        if period is not None:
            kinks = start + np.mod(kinks - start, period)
        cuts.append(kinks[(kinks > start) & (kinks < stop)])
    breaks = np.unique(np.concatenate(cuts))
    length = np.diff(breaks)
    if kernel == "tophat":
        n_panels = np.ones(length.shape[0], dtype=np.intp)
    else:
        # With a bandwidth per atom the narrowest atoms set the panels.
        h = finest_bandwidth(bandwidth)
        n_panels = np.ceil(length / (GRID_PANEL_WIDTH * h) - 1e-9)
        n_panels = np.maximum(n_panels, 1).astype(np.intp)
    piece = np.repeat(np.arange(length.shape[0]), n_panels)
    index = np.arange(piece.shape[0]) - np.repeat(
        np.cumsum(n_panels) - n_panels, n_panels
    )
    edges = breaks[piece] + index * (length / n_panels)[piece]
    return np.append(edges, stop)


def grid_size(lower, upper, centers, *, kernel, bandwidth, period=None):
    """The number of grid nodes :class:`GridTable` would use for these rows."""
    start, stop = _window(lower, upper, period)
    edges = panel_edges(
        start, stop, centers, kernel=kernel, bandwidth=bandwidth, period=period
    )
    return (edges.shape[0] - 1) * _nodes_per_panel(kernel)


def _nodes_per_panel(kernel):
    return 1 if kernel == "tophat" else GRID_NODES_PER_PANEL


def _window(lower, upper, period):
    if period is None:
        return float(np.min(lower)), float(np.max(upper))
    start = float(np.min(lower))
    return start, start + float(period)


class GridTable(RowBlocks):
    """Kernel values on one shared grid, for the cross-entropy of interval rows.

    Every row must be an interval (``lower < upper``) and the centers shared
    ``(M,)``; :func:`skkdece._loss.training_table` sends point rows to a
    :class:`~skkdece._loss.KernelTable` and joins both in a
    :class:`SplitTable`.  The interface is :class:`KernelTable`'s:
    ``n_blocks``, ``block_rows``, ``block_row_index``, ``row_order``,
    ``block_loss``, ``check_covered``, ``n_samples``, ``n_centers``.

    Memory: per row, its band and ends and the weights of its two partial
    panels (about 230 bytes with 10 nodes a panel); per block, the dense
    weights over its band, kept for the leading blocks within half of
    ``working_memory`` and rebuilt at each evaluation for the others.

    Parameters
    ----------
    lower, upper : ndarray of shape (n_samples,)
        Target intervals, ``lower < upper`` (``upper <= lower + period``).
    centers : ndarray of shape (n_centers,)
        Kernel centers.
    kernel, bandwidth, period :
        As for :func:`skkdece._kernels.log_kernel`.

    Attributes
    ----------
    edges : ndarray of shape (n_panels + 1,)
        Panel edges over the window (one period when periodic).
    nodes : ndarray of shape (n_nodes,)
        Grid nodes, ``n_nodes = n_panels * nodes_per_panel``.
    log_scale : ndarray of shape (n_nodes,)
        ``max_m log K(t_g - c_m)``; ``-inf`` where no kernel reaches.
    row_order : ndarray of shape (n_samples,)
        The caller's row held in each table row.
    block_rows : ndarray of shape (n_blocks + 1,)
        Block ``b`` holds table rows ``block_rows[b]:block_rows[b + 1]``.
    n_fallback, n_fallback_rows : int
        Row-node pairs, and rows, whose densities would underflow and were
        recomputed in the log domain by each block's latest evaluation.
    """

    def __init__(self, lower, upper, centers, *, kernel, bandwidth, period=None):
        lower = np.asarray(lower, dtype=np.float64)
        upper = np.asarray(upper, dtype=np.float64)
        self.centers = np.asarray(centers, dtype=np.float64)
        if self.centers.ndim != 1:
            raise ValueError("GridTable needs centers shared by every row, shape (M,).")
        if np.any(upper <= lower):
            raise ValueError("GridTable holds interval rows only (lower < upper).")
        self.kernel = kernel
        self.bandwidth = atom_bandwidths(bandwidth, self.centers.shape[0])
        self.period = period
        k = _nodes_per_panel(kernel)
        self.nodes_per_panel = k
        n = lower.shape[0]

        start, stop = _window(lower, upper, period)
        self.edges = panel_edges(
            start, stop, self.centers, kernel=kernel, bandwidth=bandwidth, period=period
        )
        n_panels = self.edges.shape[0] - 1
        x, w = legendre.leggauss(k)
        half = 0.5 * np.diff(self.edges)
        mid = self.edges[:-1] + half
        self.nodes = (mid[:, None] + half[:, None] * x).ravel()
        base = (half[:, None] * w).ravel()  # Gauss weights of whole panels

        log_k = log_kernel(
            self.nodes[:, None] - self.centers, kernel, self.bandwidth, period=period
        )
        log_scale = np.max(log_k, axis=1)
        uncovered = ~np.isfinite(log_scale)
        safe_scale = np.where(uncovered, 0.0, log_scale)
        with np.errstate(under="ignore"):  # far kernels are zero next to near
            scaled = np.exp(log_k - safe_scale[:, None])
        self.log_scale = log_scale

        # Row ends as positions on the grid; with a period the grid is doubled
        # so that an arc across the seam is one contiguous band.
        if period is None:
            a, b = lower, upper
            edges = self.edges
            copies = 1
        else:
            a = start + np.mod(lower - start, period)
            a = np.where(a >= stop, start, a)  # mod can round up to the period
            b = a + (upper - lower)
            edges = np.concatenate([self.edges, self.edges[1:] + period])
            copies = 2
        last = copies * n_panels - 1
        first_panel = np.clip(np.searchsorted(edges, a, side="right") - 1, 0, last)
        last_panel = np.clip(np.searchsorted(edges, b, side="left") - 1, 0, last)
        last_panel = np.maximum(last_panel, first_panel)
        self._scaled = np.tile(scaled, (copies, 1))
        self._log_k = np.tile(log_k, (copies, 1))
        self._log_scale = np.tile(safe_scale, copies)
        self._uncovered = np.tile(uncovered, copies)
        self._base = np.tile(base, copies)
        self._half = np.tile(half, copies)
        self._edges = edges

        # Rows with an uncovered panel in their interval have p = 0 there.
        panel_uncovered = np.tile(uncovered.reshape(n_panels, k).any(axis=1), copies)
        count = np.concatenate([[0], np.cumsum(panel_uncovered)])
        self._row_uncovered = count[last_panel + 1] - count[first_panel] > 0

        # Sort rows by band length class, then by band start.
        band_start = first_panel * k
        band_stop = (last_panel + 1) * k
        length_class = np.ceil(np.log2(band_stop - band_start)).astype(np.intp)
        order = np.lexsort((band_start, length_class))
        self.row_order = order
        self._a, self._b = a[order], b[order]
        self._width = (upper - lower)[order]
        self._first_panel = first_panel[order]
        self._last_panel = last_panel[order]
        self._band_start = band_start[order]
        self._band_stop = band_stop[order]
        self._row_uncovered = self._row_uncovered[order]
        self.block_rows = _split_blocks(
            self._band_start, self._band_stop, length_class[order]
        )
        self._n_samples = n
        # Per block: fallback nodes and rows of its latest evaluation.
        self._fallbacks = np.zeros((self.n_blocks, 2), dtype=np.intp)

        # Each row's weights on its first and last (partial) panels, scaled to
        # its width: 2k values a row, kept for every row, so that rebuilding a
        # block's weights at each evaluation is only filling in the whole
        # panels (the polynomial integrals cost twice the rest of the block's
        # loss).
        self._partial = np.empty((2, n, k))
        for rows in row_batches(_PARTIAL_ROW_BYTES * k * k, n):
            self._partial[:, rows] = self._partial_weights(rows)

        # Keep the weights of the leading blocks that fit in half of
        # working_memory (the products' buffers use the rest).
        budget = int(get_config()["working_memory"] * 2**20) // 2
        self._kept = []
        used = 0
        for blk in range(self.n_blocks):
            r0, r1 = self.block_rows[blk], self.block_rows[blk + 1]
            band = self._band_stop[r0:r1].max() - self._band_start[r0]
            size = 16 * (r1 - r0) * band  # W and skip
            if used + size > budget:
                break
            used += size
            self._kept.append(self._compute_weights(blk))

    # -- the table interface --------------------------------------------------
    @property
    def n_fallback(self):
        """Row-node pairs recomputed in the log domain (latest evaluation)."""
        return int(self._fallbacks[:, 0].sum())

    @property
    def n_fallback_rows(self):
        """Rows with at least one such node (latest evaluation)."""
        return int(self._fallbacks[:, 1].sum())

    @property
    def n_centers(self):
        return self.centers.shape[0]

    def band_lengths(self):
        """Grid nodes in each table row's band (the nodes its weights use)."""
        return self._band_stop - self._band_start

    def uncovered_rows(self):
        """The caller's rows whose interval meets a node no kernel reaches."""
        return np.sort(self.row_order[self._row_uncovered])

    def check_covered(self, rows=None):
        """Raise if the density is zero inside some row's interval."""
        if not np.any(self._row_uncovered):
            return
        raise_zero_density(self, self.uncovered_rows(), rows)

    # -- weights ----------------------------------------------------------------
    def _band(self, b):
        r0, r1 = self.block_rows[b], self.block_rows[b + 1]
        g0 = int(self._band_start[r0])
        g1 = int(self._band_stop[r0:r1].max())
        return r0, r1, g0, g1

    def _compute_weights(self, b):
        """``(W, skip, row_weight, row_log_scale)`` of block ``b``.

        ``W`` (n_rows, band) holds each row's node weights (zero outside its
        band), ``skip`` is one at the entries outside a row's band or at
        nodes no kernel reaches (zero elsewhere), ``row_weight`` is each
        row's sum of weights (one, to rounding) and ``row_log_scale`` its
        weighted sum of the nodes' ``log_scale``.
        """
        r0, r1, g0, g1 = self._band(b)
        k = self.nodes_per_panel
        band_start = self._band_start[r0:r1]
        # Node offsets from each row's band start; as unsigned, those before
        # it wrap around to huge values, so one comparison finds the band.
        offset = np.arange(g0, g1) - band_start[:, None]
        length = (self._band_stop[r0:r1] - band_start)[:, None]
        in_band = np.less(offset.view(np.uintp), length.astype(np.uintp))
        # Whole panels' Gauss weights over the row's width; the first and last
        # panels (or the only one) are overwritten with their partial weights.
        W = np.zeros(offset.shape)
        np.divide(self._base[g0:g1], self._width[r0:r1, None], out=W, where=in_band)
        n_rows = r1 - r0
        fp, lp = self._first_panel[r0:r1], self._last_panel[r0:r1]
        two = np.flatnonzero(fp < lp)  # rows whose interval is not in one panel
        first, last = self._partial[:, r0:r1]
        flat = W.reshape(-1)
        band = g1 - g0
        nodes = np.arange(k) - g0
        for sel, panel, part in (
            (np.arange(n_rows), fp, first),
            (two, lp[two], last[two]),
        ):
            flat[(sel * band + panel * k)[:, None] + nodes] = part
        skip = ~in_band
        skip |= self._uncovered[g0:g1]
        # As floats: adding them costs a tenth of a masked assignment.
        skip = skip.astype(np.float64)
        return W, skip, np.einsum("ij->i", W), W @ self._log_scale[g0:g1]

    def _partial_weights(self, rows):
        """Weights of the first and last panels of ``rows`` (table order),
        divided by each row's width as in a block's ``W``: shape
        (2, n_rows, k); the last is unused (and zero) where the interval lies
        inside one panel."""
        k = self.nodes_per_panel
        fp, lp = self._first_panel[rows], self._last_panel[rows]
        a, b, width = self._a[rows], self._b[rows], self._width[rows]
        two = fp < lp  # rows whose interval is not inside one panel
        out = np.zeros((2, fp.shape[0], k))
        for j, sel, panel, lo, hi in (
            (0, slice(None), fp, a, np.minimum(b, self._edges[fp + 1])),
            (1, two, lp[two], np.maximum(a, self._edges[lp])[two], b[two]),
        ):
            edge, half = self._edges[panel], self._half[panel]
            # Positions from the panel's edge: exact where lo is the edge.
            alpha = np.clip((lo - edge) / half - 1.0, -1.0, 1.0)
            beta = np.clip((hi - edge) / half - 1.0, -1.0, 1.0)
            part = partial_panel_weights(alpha, beta, k, span=(hi - lo) / half)
            part *= (half / width[sel])[:, None]
            out[j, sel] = part
        return out

    def _weights(self, b):
        return self._kept[b] if b < len(self._kept) else self._compute_weights(b)

    # -- evaluation -------------------------------------------------------------
    def block_loss(
        self, b, logits, sample_weight=None, exp_work=None, grad=None, shifted=False
    ):
        """Losses of the rows of block ``b`` and, optionally, their gradients.

        As :meth:`skkdece._loss.KernelTable.block_loss`.
        """
        with np.errstate(under="ignore"):
            return self._block_loss(b, logits, sample_weight, exp_work, grad, shifted)

    def _block_loss(self, b, logits, sample_weight, exp_work, grad, shifted):
        r0, r1, g0, g1 = self._band(b)
        W, skip, row_weight, row_log_scale = self._weights(b)
        T = self._scaled[g0:g1]

        E, shift, sum_exp = shifted_exp(logits, shifted, exp_work)

        dens = E @ T.T  # (n_rows, band): scaled densities at every band node
        # Entries outside a row's band (weight zero) and at nodes no kernel
        # reaches (the row's loss is infinite) count as density one, or more.
        dens += skip
        threshold = FALLBACK_BELOW * sum_exp
        fallback = None
        # One pass finds the usual case, no node anywhere near underflow.
        if np.min(dens) < np.max(threshold):
            low = (dens < threshold[:, None]) & (skip == 0.0)
            if np.any(low):
                fallback = np.flatnonzero(low)
        # Only fallback nodes can overflow or divide by zero here: they are redone.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            coef = np.divide(W, dens)
            log_p = np.log(dens, out=dens)

        loss = row_weight * np.log(sum_exp)
        if fallback is not None:
            fb_rows, fb_cols = np.divmod(fallback, g1 - g0)
            log_p[fb_rows, fb_cols] = 0.0
            coef[fb_rows, fb_cols] = 0.0
            log_S = logits[fb_rows] - (shift + np.log(sum_exp))[fb_rows, None]
            log_terms = log_S + self._log_k[g0 + fb_cols]
            log_p_fb = logsumexp(log_terms, axis=1)
            w_fb = W[fb_rows, fb_cols]
            # Those nodes' terms of the sums below are now zero: add them.
            exact = log_p_fb + np.log(sum_exp[fb_rows]) - self._log_scale[g0 + fb_cols]
            np.subtract.at(loss, fb_rows, w_fb * exact)
            self._fallbacks[b] = fallback.shape[0], np.unique(fb_rows).shape[0]
        else:
            self._fallbacks[b] = 0
        loss -= np.einsum("ij,ij->i", W, log_p)
        loss -= row_log_scale
        row_uncovered = self._row_uncovered[r0:r1]
        if np.any(row_uncovered):
            loss[row_uncovered] = np.inf
        if grad is None:
            return loss

        # grad_i = E_i (row_weight_i / sum_exp_i - sum_g (W_ig / dens_ig) T_g)
        np.matmul(coef, T, out=grad)
        row_factor = row_weight / sum_exp
        grad -= row_factor[:, None]
        grad *= E
        grad *= -1.0
        if fallback is not None:
            resp = np.exp(log_terms - log_p_fb[:, None]) * w_fb[:, None]
            np.subtract.at(grad, fb_rows, resp)
        if sample_weight is not None:
            grad *= sample_weight[:, None]
        return loss


def _split_blocks(band_start, band_stop, length_class):
    """Block boundaries: rows of one length class whose bands mostly overlap.

    A block ends at a change of length class, after ``_BLOCK_ELEMENTS /
    (2 L)`` rows with ``L`` the class's longest band, or once the band starts
    have moved on by ``L / 4``, so that its dense band is at most about
    1.25 times as wide as its rows'.
    """
    n = band_start.shape[0]
    cuts = [0]
    changes = list(np.flatnonzero(np.diff(length_class)) + 1) + [n]
    s = 0
    for stop in changes:
        longest = int(np.max(band_stop[s:stop] - band_start[s:stop]))
        max_rows = max(1, _BLOCK_ELEMENTS // (2 * longest))
        while s < stop:
            reach = band_start[s] + max(1, longest // 4)
            e = np.searchsorted(band_start[s:stop], reach, "left")
            e = s + max(1, min(int(e), max_rows))
            cuts.append(e)
            s = e
    return np.asarray(cuts, dtype=np.intp)
