"""Row-batched evaluations of a :class:`~skkdece.KDEDistribution`'s mixtures.

Each function evaluates every row's mixture at points or intervals of its
own, ``t[i, j]`` for row ``i``, in batches of rows sized by
``working_memory``: the log density, the log mass of intervals, and the
kernels' continuous antiderivative that CDFs and window masses are
differences of.
"""

import numpy as np

from ._chunking import row_batches
from ._tables._atoms import atom_cumulative, atom_log_mass
from ._tables._kernels import logsumexp_last


def logpdf_2d(dist, t):
    """Log density of row ``i`` at each ``t[i, j]``, shape of ``t``."""
    out = np.empty(t.shape)
    M = dist.centers.shape[-1]
    for rows in row_batches(8 * 2 * M * max(t.shape[1], 1), len(dist)):
        half = dist._row_half(rows)
        log_k = dist._log_kernel(
            t[rows][..., None] - dist._row_centers(rows)[:, None],
            None if half is None else half[:, None],
        )
        out[rows] = logsumexp_last(dist.log_weights[rows][:, None, :] + log_k)
    return out


def log_mass_2d(dist, lower, upper):
    """log mass of [lower[i, j], upper[i, j]] under row i, shape of lower."""
    out = np.empty(lower.shape)
    M = dist.centers.shape[-1]
    for rows in row_batches(8 * 2 * M * max(lower.shape[1], 1), len(dist)):
        c = dist._row_centers(rows)[:, None, :]
        half = dist._row_half(rows)
        lo = lower[rows][..., None] - c
        hi = upper[rows][..., None] - c
        log_m = atom_log_mass(
            lo,
            hi,
            None if half is None else half[:, None, :],
            dist.kernel,
            dist.bandwidth,
            dist.period,
        )
        out[rows] = logsumexp_last(dist.log_weights[rows][:, None, :] + log_m)
    return out


def cumulative_2d(dist, t):
    """``sum_m w_m Cum(t[i, j] - c_im)`` per row, with the continuous
    antiderivative of the kernel (periodic: grows by one per turn)."""
    out = np.empty(t.shape)
    M = dist.centers.shape[-1]
    for rows in row_batches(8 * 2 * M * max(t.shape[1], 1), len(dist)):
        half = dist._row_half(rows)
        cum = atom_cumulative(
            t[rows][..., None] - dist._row_centers(rows)[:, None, :],
            None if half is None else half[:, None, :],
            dist.kernel,
            dist.bandwidth,
            dist.period,
        )
        out[rows] = np.einsum("njm,nm->nj", cum, dist.weights[rows])
    return out
