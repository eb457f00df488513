"""Where a predicted distribution peaks: modes and best window aims.

Both the density of a row and the mass of a window ``[t - w, t + w]`` are
mixtures of symmetric unimodal bumps centred on the kernel centers, so their
maxima lie inside the hull of the centers (anywhere on the circle when
periodic).  :func:`maximize` evaluates a function of the angle on a grid of
quarter bandwidths and kernel kinks, and refines its two highest local maxima
between their grid neighbours: by golden-section search and a parabolic
polish for the density (:func:`skkdece._optimize.bracketed_max`), by a root
search on the equal-density condition for windows
(:func:`skkdece._optimize.bracketed_root`).  The functions take a
:class:`skkdece.KDEDistribution` and use its density and mass evaluations;
its :meth:`~skkdece.KDEDistribution.mode` and
:meth:`~skkdece.KDEDistribution.aim` call :func:`modes` and :func:`aims`.
"""

import numpy as np
from scipy.special import logsumexp

from ._chunking import row_batches
from ._distribution_mixtures import cumulative_2d, log_mass_2d, logpdf_2d
from ._optimize import bracketed_max, bracketed_root, golden_section_max
from ._tables._atoms import atom_kinks, atom_log_mass
from ._tables._checks import row_list
from ._tables._kernels import KINK_OFFSETS

# Window optima: the bracket the root search stops at, in bandwidths.
_ROOT_TOL = 1e-12


def candidate_grid(dist, spread=0.0):
    """Sorted angles at which to look for a maximum before refining it.

    A grid of quarter bandwidths over the hull of the centers plus every kink
    (shifted by ``+-spread``, the window half-width) finds each peak's basin.

    Parameters
    ----------
    dist : KDEDistribution
        The rows.
    spread : float or ndarray of shape (n_samples,), default=0.0
        Window half-width, shared or per row.

    Returns
    -------
    candidates : ndarray of shape (n_candidates,) or (n_samples, n_candidates)
        1-D for shared centers and one half-width; otherwise each row's own,
        sorted over its own hull.
    step : None or ndarray of shape (n_samples,)
        None when 1-D; otherwise each row's grid step.
    """
    h = dist._finest
    # Kink offsets, per row when the window half-widths are: (1 or n, K).
    spread = np.asarray(spread, dtype=np.float64).reshape(-1, 1, 1)
    C, half = dist._row_centers(), dist._row_half()
    rowwise = not dist.shared_centers or spread.shape[0] > 1
    if rowwise:
        C = np.broadcast_to(C, (len(dist), C.shape[1]))
        half = None if half is None else np.broadcast_to(half, C.shape)
    kinks = atom_kinks(C, half, dist.kernel, dist.bandwidth)
    if np.any(spread > 0):
        kinks = np.concatenate([kinks - spread, kinks + spread], axis=2)
    kinks = kinks.reshape(C.shape[0], -1)
    if dist.period is None:
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
        P = dist.period
        n_grid = min(max(int(np.ceil(P / (0.25 * h))), 16), 8192)
        grid = dist.window_start + P * np.arange(n_grid) / n_grid
        grid = np.broadcast_to(grid, (C.shape[0], n_grid))
        cand = dist.to_window(np.concatenate([grid, C, kinks], axis=1))
        step = np.full(C.shape[0], P / n_grid)
    if not rowwise:
        # Grid points and centers that differ by rounding are one point:
        # a near-duplicate neighbour would make an empty bracket.
        cand = np.unique(cand)
        keep = np.concatenate([[True], np.diff(cand) > 1e-9 * h])
        return cand[keep], None
    return np.sort(cand, axis=1), step


def maximize(dist, on_grid, on_rows=None, spread=0.0, refine=None):
    """Per-row maximiser of a function of the angle.

    The two highest local maxima of the :func:`candidate_grid` are refined
    between their grid neighbours, so near-ties between separate peaks are
    settled at full precision.

    Parameters
    ----------
    dist : KDEDistribution
        The rows.
    on_grid : callable
        ``on_grid(sub, grid, w)``: the values, shape (n_sub, n_grid), at a
        grid shared by the rows of ``sub`` (1-D) or each row's own (2-D).
    on_rows : callable or None, default=None
        ``on_rows(sub, t)``: row ``i``'s value at ``t[i]``, shape (n_sub,),
        for :func:`~skkdece._optimize.bracketed_max`.
    spread : float or ndarray of shape (n_samples,), default=0.0
        Window half-width ``w``, shared or per row.
    refine : callable or None, default=None
        ``refine(sub, lo, hi, w, start)`` returns ``(t, value)``, each of
        shape (n_sub,), in place of the golden-section search and its polish
        (from the grid point ``start``); the grid's values then only choose
        the peaks.

    Returns
    -------
    argmax : ndarray of shape (n_samples,)
        In the window when periodic.
    """
    n = len(dist)
    out = np.empty(n)
    periodic = dist.period is not None
    spread = np.asarray(spread, dtype=np.float64)
    shared = dist.shared_centers and spread.ndim == 0
    if shared:
        cand, _ = candidate_grid(dist, spread)
        if periodic:
            prev_c = np.concatenate([[cand[-1] - dist.period], cand[:-1]])
            next_c = np.concatenate([cand[1:], [cand[0] + dist.period]])
        else:
            prev_c = np.concatenate([[cand[0]], cand[:-1]])
            next_c = np.concatenate([cand[1:], [cand[-1]]])
        n_cand = cand.shape[0]
    else:
        hull = np.ptp(dist.centers) if not periodic else dist.period
        n_cand = int(min(hull / (0.25 * dist._finest), 8192)) + 1
        n_kinks = 2 * max(len(KINK_OFFSETS[dist.kernel]), 1)
        n_kinks *= 1 if dist.half_widths is None else 2
        n_cand += dist.centers.shape[-1] * (1 + n_kinks)
    # Per row: the candidates' values and neighbours, and for window aims
    # an antiderivative on a grid twice as fine with its interpolation
    # temporaries: about a dozen arrays of the candidates' length.
    row_bytes = 8 * 12 * (n_cand + dist.centers.shape[-1])
    for rows in row_batches(row_bytes, n):
        sub = dist[rows]
        w = spread if spread.ndim == 0 else spread[rows]
        if not shared:
            cand, step = candidate_grid(sub, w)
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
                x, f = bracketed_max(
                    lambda t, sub=sub: on_rows(sub, t), lo, hi, polish_scale=sub._finest
                )
            else:
                x, f = refine(sub, lo, hi, w, grid[r, idx])
            better = f > best_f
            best_x = np.where(better, x, best_x)
            best_f = np.where(better, f, best_f)
        out[rows] = sub.to_window(best_x)
    return out


def _log_density_on_grid(dist, grid, w):
    return dist.logpdf(grid) if grid.ndim == 1 else logpdf_2d(dist, grid)


def _log_density_on_rows(dist, t):
    return dist.logpdf_rows(t)


def modes(dist):
    """The most likely angle of every row (:meth:`KDEDistribution.mode`).

    Parameters
    ----------
    dist : KDEDistribution
        The rows.

    Returns
    -------
    mode : ndarray of shape (n_samples,)
    """
    return maximize(dist, _log_density_on_grid, _log_density_on_rows)


def check_half_width(half_width, n_samples, period):
    """``half_width`` as a float or an ndarray of shape (n_samples,).

    Raises a ValueError naming the problem: a wrong shape, a negative or
    non-finite value (naming the rows), or a window covering the period.
    Equal per-row half-widths come back as one float.
    """
    w = np.asarray(half_width, dtype=np.float64)
    if w.ndim > 1 or (w.ndim == 1 and w.shape[0] != n_samples):
        raise ValueError(
            f"half_width must be a float or an array of shape ({n_samples},); "
            f"got shape {w.shape}."
        )
    bad = ~(np.isfinite(w) & (w >= 0))
    if np.any(bad):
        raise ValueError(
            f"half_width must be a finite float >= 0; got {half_width!r}."
            if w.ndim == 0
            else f"half_width must be finite floats >= 0; rows {row_list(bad)} are not."
        )
    if period is not None and np.any(2 * w >= period):
        raise ValueError(
            f"half_width={np.max(w):g} makes the window cover the whole "
            f"period {period:g}; every aim has mass one."
        )
    if w.ndim == 1 and np.all(w == w[0]):
        w = w[0]
    return float(w) if w.ndim == 0 else w


def aims(dist, half_width):
    """The best window centers of every row (:meth:`KDEDistribution.aim`).

    Parameters
    ----------
    dist : KDEDistribution
        The rows.
    half_width : float or array-like of shape (n_samples,)
        Half-width ``w >= 0`` of the window, shared or per row.

    Returns
    -------
    aim : ndarray of shape (n_samples,)
    """
    w = check_half_width(half_width, len(dist), dist.period)
    if np.ndim(w) == 0:
        return modes(dist) if w == 0 else _window_aims(dist, w)
    out = np.empty(len(dist))
    zero = w == 0
    if np.any(zero):
        out[zero] = modes(dist[zero])
    if not np.all(zero):
        out[~zero] = _window_aims(dist[~zero], w[~zero])
    return out


def _window_log_mass_on_grid(dist, grid, w):
    """log mass of the windows centred on ``grid``, for choosing basins."""
    if grid.ndim == 1 and np.ndim(w) == 0 and dist.shared_centers:
        u = grid[:, None] - dist.centers
        return dist._mix_table(
            atom_log_mass(
                u - w, u + w, dist.half_widths, dist.kernel, dist.bandwidth, dist.period
            )
        )
    half = w if np.ndim(w) == 0 else w[:, None]
    lo = np.broadcast_to(grid - half, (len(dist), grid.shape[-1]))
    # The tophat's masses are piecewise linear with plateaus whose corners,
    # between grid nodes, decide between near-equal peaks: it keeps exact
    # masses.
    if dist.kernel != "tophat":
        if dist.shared_centers:
            return _interpolated_log_mass(dist, lo, lo + 2 * half)
        if dist.half_widths is not None:
            # Box atoms' exact log masses cost five tail terms and a signed
            # logsumexp each; differences of the CDF choose the basins as
            # well, at a third of the cost.
            with np.errstate(divide="ignore"):
                mass = cumulative_2d(dist, lo + 2 * half) - cumulative_2d(dist, lo)
                return np.log(np.maximum(mass, 0.0))
    return log_mass_2d(dist, lo, lo + 2 * half)


def _refine_window(dist, lo, hi, w, start):
    x, f = window_optimum(dist, w, lo, hi)
    # Where the bracket holds several kinks (compact kernels), the root found
    # may be a lesser corner than the grid point itself.
    f_start = window_log_mass(dist, start, w)
    better = f_start > f
    return np.where(better, start, x), np.where(better, f_start, f)


def _window_aims(dist, w):
    """:func:`aims` for half-widths ``w > 0`` (a float or one per row)."""
    return maximize(dist, _window_log_mass_on_grid, spread=w, refine=_refine_window)


def _interpolated_log_mass(dist, lower, upper):
    """log mass of ``[lower[i, j], upper[i, j]]``, for choosing basins.

    Shared centers, all kernels but the tophat.  Each row's exact
    antiderivative on a shared grid of eighth bandwidths is one product with
    a table; the masses of the windows come from it by linear interpolation,
    off by far less than the differences between separate peaks.  The
    optimum itself is then found exactly (:func:`window_optimum`).
    """
    step = dist._finest / 8.0
    first = np.min(lower) - step
    n_fine = int(np.ceil((np.max(upper) + step - first) / step)) + 1
    fine = first + step * np.arange(n_fine)
    F = dist._cumulative_on(fine)
    rows = np.arange(len(dist))[:, None]

    def at(t):
        pos = np.clip((t - first) / step, 0.0, n_fine - 1.0)
        k = np.minimum(pos.astype(np.intp), n_fine - 2)
        frac = pos - k
        return F[rows, k] + frac * (F[rows, k + 1] - F[rows, k])

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.maximum(at(upper) - at(lower), 0.0))


def window_log_mass(dist, t, w):
    """log mass of ``[t_i - w_i, t_i + w_i]`` under row ``i``, shape (n,)."""
    return log_mass_2d(dist, (t - w)[:, None], (t + w)[:, None])[:, 0]


def window_optimum(dist, w, lo, hi):
    """Per row, the best window center in ``[lo, hi]`` and its log mass.

    The window mass is largest where the density is equal at both ends:
    ``log p(t - w) - log p(t + w)`` rises through zero there, and
    :func:`~skkdece._optimize.bracketed_root` finds it to 1e-12 bandwidths.
    Rows without that bracket (zero densities at both ends, of compact
    kernels) get golden-section search on the mass.

    Parameters
    ----------
    dist : KDEDistribution
        The rows.
    w : float or ndarray of shape (n_samples,)
        Window half-widths.
    lo, hi : ndarray of shape (n_samples,)
        Brackets.

    Returns
    -------
    aim, log_mass : ndarray of shape (n_samples,)
    """
    w = np.broadcast_to(w, lo.shape)
    C, H = dist._row_centers(), dist._row_half()

    def density_drop(idx, t):
        c = C if C.shape[0] == 1 else C[idx]
        r = None if H is None else (H if H.shape[0] == 1 else H[idx])
        lw = dist.log_weights[idx]
        up = dist._log_kernel((t + w[idx])[:, None] - c, r)
        down = dist._log_kernel((t - w[idx])[:, None] - c, r)
        return logsumexp(lw + down, axis=1) - logsumexp(lw + up, axis=1)

    x, bracketed = bracketed_root(density_drop, lo, hi, xtol=_ROOT_TOL * dist._finest)
    # Rows without a bracket are searched below; any finite angle stands in.
    x = np.where(bracketed, x, 0.5 * (lo + hi))
    f = window_log_mass(dist, x, w)
    if not np.all(bracketed):
        rest = np.flatnonzero(~bracketed)
        sub, w_rest = dist[rest], w[rest]
        x[rest], f[rest] = golden_section_max(
            lambda t: window_log_mass(sub, t, w_rest), lo[rest], hi[rest]
        )
    return x, f
