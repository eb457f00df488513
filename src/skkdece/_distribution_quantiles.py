"""Quantiles and prediction intervals of a predicted distribution.

A row's antiderivative ``sum_m w_m Cum(t - c_m)`` is exact and increasing,
so the angle at which it reaches a level is a bracketed root
(:func:`skkdece._optimize.bracketed_root`).  The functions take a
:class:`skkdece.KDEDistribution`; its
:meth:`~skkdece.KDEDistribution.quantiles` and
:meth:`~skkdece.KDEDistribution.interval` call :func:`row_quantiles` and
:func:`shortest_arcs`.
"""

import numpy as np

from ._chunking import row_batches
from ._distribution_mixtures import cumulative_2d
from ._optimize import bracketed_root
from ._tables._kernels import widest_bandwidth

# Quantiles and interval ends: the bracket the root search stops at, in
# bandwidths.
_ROOT_TOL = 1e-12


def support(dist):
    """Angles below/above which each row's CDF is exactly 0/1 (or nearly).

    Parameters
    ----------
    dist : KDEDistribution
        The rows.

    Returns
    -------
    lower, upper : float
        Shared by the rows: the window with a period.
    """
    c, h = dist.centers, widest_bandwidth(dist.bandwidth)
    if dist.period is not None:
        return dist.window_start, dist.window_start + dist.period
    reach = {"gaussian": 40.0, "exponential": 750.0}.get(dist.kernel, 1.0)
    r = 0.0 if dist.half_widths is None else float(np.max(dist.half_widths))
    return c.min() - reach * h - r, c.max() + reach * h + r


def cumulative_root(dist, target, lower, upper):
    """Where row ``i``'s antiderivative reaches ``target[i, j]``.

    Parameters
    ----------
    dist : KDEDistribution
        The rows.
    target : ndarray of shape (n_samples, k)
        Levels of the antiderivative
        (:func:`~skkdece._distribution_mixtures.cumulative_2d`).
    lower, upper : ndarray broadcastable to (n_samples, k)
        Brackets of the answers.

    Returns
    -------
    angle : ndarray of shape (n_samples, k)
        To 1e-12 bandwidths; the end nearest to the answer where rounding
        left it outside the bracket.
    """
    lower, upper = np.broadcast_arrays(lower, upper)
    k = lower.shape[1]
    flat_target = np.broadcast_to(target, lower.shape).ravel()

    def excess(index, t):
        row = dist[index // k]
        return cumulative_2d(row, t[:, None])[:, 0] - flat_target[index]

    root, _ = bracketed_root(excess, lower, upper, xtol=_ROOT_TOL * dist._finest)
    return root


def row_quantiles(dist, q):
    """Quantiles ``q`` of every row (:meth:`KDEDistribution.quantiles`).

    Parameters
    ----------
    dist : KDEDistribution
        The rows.
    q : ndarray of shape (n_quantiles,)
        Checked levels in ``[0, 1]``.

    Returns
    -------
    quantiles : ndarray of shape (n_samples, n_quantiles)
    """
    n = len(dist)
    lo_b, hi_b = support(dist)
    lo = np.full((n, q.size), lo_b)
    hi = np.full((n, q.size), hi_b)
    target = np.broadcast_to(q, (n, q.size))
    if dist.period is not None:
        target = target + cumulative_2d(dist, np.full((n, 1), dist.window_start))
    out = cumulative_root(dist, target, lo, hi)
    if dist.period is None and dist.kernel in ("gaussian", "exponential"):
        out[:, q == 0] = -np.inf
        out[:, q == 1] = np.inf
    elif dist.period is not None:
        out[:, q == 0] = lo_b
        out[:, q == 1] = hi_b
    return out


def shortest_arcs(dist, coverage):
    """Shortest arc of every circular row holding ``coverage`` of its mass.

    The start is found on a grid of at most 1/16 bandwidth, the end exactly.

    Parameters
    ----------
    dist : KDEDistribution
        The rows, with a period.
    coverage : float
        Mass inside, in ``(0, 1)``.

    Returns
    -------
    interval : ndarray of shape (n_samples, 2)
        ``[start, start + length]`` with ``start`` in the window.
    """
    P, w0 = dist.period, dist.window_start
    n_grid = int(min(max(128, np.ceil(16 * P / dist._finest)), 8192))
    starts = w0 + P * np.arange(n_grid) / n_grid
    out = np.empty((len(dist), 2))
    for rows in row_batches(8 * 8 * n_grid, len(dist)):
        sub = dist[rows]
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
        # Exact end for the chosen start: where the CDF gains ``coverage``.
        target = cum[np.arange(m), best][:, None] + coverage
        end = cumulative_root(sub, target, start[:, None], start[:, None] + P)
        out[rows, 0] = start
        out[rows, 1] = end[:, 0]
    return out
