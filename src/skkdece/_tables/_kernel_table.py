"""Per-row kernel tables: kernel values at each row's own quadrature nodes.

* :class:`KernelTable`, at quadrature nodes over each target interval, for the
  cross-entropy: row ``i``'s loss is the mean of ``-log p_i(t)`` over
  ``t ~ U[a_i, b_i]`` (``-log p_i(a_i)`` when ``a_i == b_i``);
* :class:`IntervalMassTable`, the kernels' masses of each interval, for the
  interval-censored likelihood ``-log P_i([a_i, b_i])``.

Given a matrix of logits, a table returns per-row losses and their gradients
with respect to the logits, block by block (:meth:`KernelTable.block_loss`).
It knows nothing of X or of how the logits are made: that is a logits model's
job (:mod:`skkdece._linear`), and :mod:`skkdece._objective` joins the two.
:func:`~skkdece._tables.training_table` chooses the table a fit needs.

For row ``i`` with softmax weights ``S_i`` over centers ``c_m`` the density is
``p_i(t) = sum_m S_im K(t - c_m)``; the cross-entropy's gradient is
``S_im - mean_t r_im(t)`` with responsibilities
``r_im(t) = S_im K(t - c_m) / p_i(t)``.
"""

import numpy as np
from scipy.special import logsumexp
from sklearn import get_config

from ._atoms import (
    atom_log_mass,
    gaussian_box_scaled,
    linear_boxes,
    log_atom_density,
    scaled_log_values,
)
from ._blocks import FALLBACK_BELOW, each_block, raise_zero_density, shifted_exp
from ._kernels import atom_bandwidths
from ._quadrature import QuadratureNodes

# Rows are processed in blocks holding about this many bytes of scaled kernel
# values: small enough that a block's arrays stay in the cache across the
# passes of one evaluation, large enough that the Python overhead per block
# (~60 us) is small.  Measured with 12 nodes per row: 4 MiB blocks were 1.1x
# faster than 1 MiB and 1.6x faster than 256 KiB ones; 8 MiB no faster.
_BLOCK_BYTES = 4 * 2**20
# The most kernel values a table computes at once while it is built.
_PIECE_BYTES = 2**20


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
    n_threads : int, default=1
        Threads computing the blocks' kernel values (each value is computed
        alone, so the table is the same, bit for bit, with any number).

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
        n_threads=1,
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
        # Decided once for the table, so that its values do not depend on
        # how it is cut into pieces; only where the values are the atoms'
        # densities at the nodes (a subclass with its own log_kernel_at, as
        # IntervalMassTable's masses, keeps it).
        densities = type(self).log_kernel_at is KernelTable.log_kernel_at
        self._linear_boxes = densities and linear_boxes(
            self.half_widths, kernel, period
        )
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

        # Values are computed in pieces of at most _PIECE_BYTES, whatever the
        # block size: each value alone, so the table is the same, and the
        # kernels' temporaries stay in the caches (20 000 real waves' table of
        # 223 MB took 1.0 s in 1 MiB blocks, 1.2-1.6 s in 4 MiB blocks built
        # whole).
        piece_nodes = max(1, _PIECE_BYTES // node_bytes)

        def fill(b):
            # Each block writes its own slices only: any thread may do it.
            p0, p1 = block_ptr[b], block_ptr[b + 1]
            for a in range(p0, p1, piece_nodes):
                c = min(a + piece_nodes, p1)
                kept = self._kept[a:c] if b < n_kept else None
                self.log_scale[a:c] = self._compute_scaled(a, c, out=kept)[1]
            rows = slice(self.block_rows[b], self.block_rows[b + 1])
            self._row_log_scale[rows] = np.add.reduceat(
                self._weights[p0:p1] * self.log_scale[p0:p1], self.row_ptr[rows] - p0
            )

        each_block(fill, self.n_blocks, n_threads)
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
        u, half = self._offsets(index)
        return log_atom_density(
            u, half, self.kernel, self.bandwidth, period=self.period
        )

    def _offsets(self, index):
        """Offsets ``t_q - c_m`` of the selected nodes, and the atoms' half-widths."""
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
        return t[:, None] - pts, half

    def _compute_scaled(self, p0, p1, out=None):
        """``(scaled, log_scale)`` of table nodes ``p0:p1``, from the kernel.

        ``scaled`` is written into ``out`` when given (shape (p1 - p0, M)).
        """
        if self._linear_boxes:
            u, half = self._offsets(slice(p0, p1))
            return gaussian_box_scaled(u, half, self.bandwidth, out=out)
        return scaled_log_values(self.log_kernel_at(slice(p0, p1)), out)

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
        threshold = FALLBACK_BELOW * sum_exp
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
