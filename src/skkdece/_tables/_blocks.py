"""What every kernel table shares: row blocks, the shifted softmax, the errors.

A kernel table (:class:`~skkdece._tables.KernelTable`,
:class:`~skkdece._tables.GridTable`, :class:`~skkdece._tables.SplitTable`)
holds its rows in blocks and maps a block of logits to per-row losses and
their gradients.  The helpers here are the parts they have in common.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._checks import row_list
from ._threads import THREADSAFE_ERRSTATE, share_out

# A node's scaled density sum_m S_m K_m / max_m K_m is at least the softmax
# weight of its nearest center.  When it falls below this value some of its
# terms may have underflowed, so the node is recomputed with logsumexp.
# Above it, every term lost to underflow is < 1e-300 of the sum.
FALLBACK_BELOW = 1e-200


def shifted_exp(logits, shifted, out=None):
    """``(E, shift, sum_exp)`` with ``E = exp(logits - shift[:, None])``.

    The softmax weights are ``E / sum_exp``; ``logits`` is left unchanged and
    ``E`` is written into ``out`` when given.
    """
    # E = exp(z - shift) and S = E / sum_exp.  Any shift between
    # max(z) - 700 and max(z) keeps every E finite and the largest >= 1,
    # and no E underflows that would not with the maximum.  Any one logit
    # of the row is such a shift unless the logits spread over hundreds
    # (then the row is redone with its maximum), and costs no pass over
    # the logits.  (Row sums use einsum, not BLAS: many small
    # multithreaded BLAS calls stall on a loaded machine.)
    E = np.empty_like(logits) if out is None else out
    with np.errstate(over="ignore"):
        if shifted:
            shift = np.zeros(logits.shape[0])
            np.exp(logits, out=E)
        else:
            shift = logits[:, 0].copy()
            np.subtract(logits, shift[:, None], out=E)
            np.exp(E, out=E)
    sum_exp = np.einsum("ij->i", E)
    overflow = ~(sum_exp < np.inf)
    if np.any(overflow):
        shift[overflow] = np.max(logits[overflow], axis=1)
        E[overflow] = np.exp(logits[overflow] - shift[overflow, None])
        sum_exp[overflow] = np.sum(E[overflow], axis=1)
    return E, shift, sum_exp


def each_block(task, n_blocks, n_threads=1):
    """Run ``task(b)`` for every block, on up to ``n_threads`` threads.

    The blocks are taken in order from a shared counter, each by one thread;
    a task must write only its own block's slices.  NumPy's and SciPy's
    ufuncs release the GIL, so building a table's kernel values on two
    threads takes about half the time.  Before NumPy 2 the error settings
    that the kernels' ``np.errstate`` changes are shared between threads
    (see :mod:`skkdece._tables._threads`), so the blocks run on the caller's.
    """
    n_threads = min(int(n_threads), n_blocks) if THREADSAFE_ERRSTATE else 1
    if n_threads <= 1:
        for b in range(n_blocks):
            task(b)
        return
    with ThreadPoolExecutor(n_threads - 1, thread_name_prefix="skkdece-table") as pool:
        share_out(lambda b, _: task(b), n_blocks, [None] * n_threads, pool)


def raise_zero_density(table, bad, rows=None):
    """Raise the error for rows ``bad`` of ``table`` whose density is zero.

    ``rows`` maps the table's rows to the caller's row numbers for the
    message (for example the rows a fit kept).
    """
    if rows is not None:
        bad = np.asarray(rows)[bad]
    mask = np.zeros(int(bad.max(initial=0)) + 1, dtype=bool)
    mask[bad] = True
    h = np.unique(table.bandwidth)
    bandwidth = f"{h[0]:g}" if h.size == 1 else f"bandwidths {h.tolist()}"
    raise ValueError(
        f"With kernel={table.kernel!r}, bandwidth={bandwidth} and these "
        f"centers the density is zero inside the targets of rows "
        f"{row_list(mask)}, so the loss is infinite. Widen the bandwidth, "
        "move or add centers to cover every target, or use a kernel with "
        "unbounded support."
    )


class RowBlocks:
    """What every table says about its rows and blocks."""

    @property
    def n_samples(self):
        return self._n_samples

    @property
    def n_blocks(self):
        return self.block_rows.shape[0] - 1

    def block_row_index(self, b):
        """The caller's rows held in block ``b``: an index array."""
        return self.row_order[self.block_rows[b] : self.block_rows[b + 1]]
