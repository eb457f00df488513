"""Kernel atoms: a kernel at a point, or a kernel smoothed over a box.

A neighbours model puts on each neighbour ``j`` the kernel smoothed over the
neighbour's whole target interval, the density of ``t = s + u`` with ``s``
uniform on ``[c - r, c + r]`` and ``u`` drawn from the kernel::

    A(t) = 1 / (2 r) * integral_{c-r}^{c+r} K_h(t - s) ds
         = M_h(t - c - r, t - c + r) / (2 r),

with ``M_h(a, b)`` the kernel's mass between offsets ``a`` and ``b``
(:func:`skkdece._kernels.log_interval_mass`, exact in the log domain).  An atom
of half-width ``r = 0`` is the kernel itself, and every function here returns
exactly what :mod:`skkdece._kernels` does when no half-widths are given.

The atom's CDF and its masses are differences of ``H``, the antiderivative
of the kernel's CDF: ``Cum(u) = (H(u + r) - H(u - r)) / (2 r)``.  For a
symmetric kernel ``H(x) = max(x, 0) + T(-|x|)`` with ``T = H`` on the left
half-line, so the linear parts of a difference add up to the overlap of two
intervals, computed exactly, and only the small tail values ``T`` are
subtracted: no cancellation of large terms far from the atom.  Where the
difference still loses its digits (an interval far out in a tail, on the
line) the mass is recomputed by Gauss-Legendre quadrature over the box in the
log domain.  On a circle the wrapped atom is the sum of its images (a von
Mises atom, which has no images, is integrated over its box).
"""

import numpy as np
from scipy.special import erfcx, logsumexp, ndtr

from ._kernels import (
    KINK_OFFSETS,
    _n_images,
    cumulative_mass,
    log_interval_mass,
    log_kernel,
    sample_offsets,
)

# Box quadrature (the fallback, and von Mises atoms): 10 Gauss-Legendre nodes
# on panels at most half a bandwidth wide, split at the integrand's kinks.
_BOX_NODES = 10
_BOX_PANEL = 0.5
# A mass from differences of H is recomputed by quadrature when it is below
# this fraction of the terms it came from.
_CANCELLATION = 1e-9


def _tail_antiderivative(x, kernel):
    """``T(x) = integral_{-inf}^x F(v) dv`` of the unit kernel, for ``x <= 0``."""
    if kernel == "gaussian":
        # x Phi(x) + phi(x) = phi(x) (1 - |x| Phi(x) / phi(x)): beyond one
        # bandwidth the Mills ratio from erfcx keeps the far tails' relative
        # precision.
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(under="ignore"):
            phi = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
        far = x < -1.0
        out = np.empty(x.shape)
        z = -x[far]
        out[far] = phi[far] * (1.0 - z * np.sqrt(np.pi / 2.0) * erfcx(z / np.sqrt(2.0)))
        near = ~far
        out[near] = x[near] * ndtr(x[near]) + phi[near]
        return out
    if kernel == "exponential":
        with np.errstate(under="ignore"):
            return 0.5 * np.exp(x)
    y = np.clip(x + 1.0, 0.0, 1.0)  # distance from the support's left end
    if kernel == "tophat":
        return 0.25 * y * y
    if kernel == "epanechnikov":
        return y**3 / 4.0 - y**4 / 16.0
    if kernel == "linear":
        return y**3 / 6.0
    if kernel == "cosine":
        # y/2 - sin(pi y / 2) / pi = (a - sin a) / pi with a = pi y / 2.
        a = 0.5 * np.pi * y
        series = a**3 / 6.0 * (1.0 - a * a / 20.0 * (1.0 - a * a / 42.0))
        return np.where(a < 1e-2, series, a - np.sin(a)) / np.pi
    raise ValueError(f"No antiderivative of the CDF for kernel {kernel!r}.")


def _antiderivative_parts(x, kernel, h):
    """``H(x) = max(x, 0) + T(-|x|)`` in bandwidth units: ``(linear, tail)``."""
    return np.maximum(x, 0.0), h * _tail_antiderivative(-np.abs(x) / h, kernel)


def _log_tail(x, kernel, h):
    """``log(h T(-|x| / h))``: the log of ``H``'s tail part, exact far out."""
    x = -np.abs(x) / h
    with np.errstate(divide="ignore", under="ignore"):
        if kernel == "gaussian":
            z = -x
            far = z > 1.0
            out = np.empty(np.shape(x))
            zf = z[far]
            mills = np.sqrt(np.pi / 2.0) * erfcx(zf / np.sqrt(2.0))
            out[far] = (
                -0.5 * zf * zf - 0.5 * np.log(2.0 * np.pi) + np.log1p(-zf * mills)
            )
            out[~far] = np.log(_tail_antiderivative(x[~far], kernel))
        elif kernel == "exponential":
            out = x - np.log(2.0)
        else:
            out = np.log(_tail_antiderivative(x, kernel))
    return out + np.log(h)


def _overlap(lo, hi, a, b):
    """Length of ``[lo, hi]`` inside ``[a, b]``."""
    return np.maximum(np.minimum(hi, b) - np.maximum(lo, a), 0.0)


def _box_nodes(half, kinks, bandwidth):
    """Gauss-Legendre offsets ``s`` over ``[-r, r]`` and weights summing to one.

    ``half`` (N,) positive, ``kinks`` (N, K) offsets where the integrand is not
    smooth; returns ``s`` and ``w`` of shape (N, n_nodes).
    """
    x, w = np.polynomial.legendre.leggauss(_BOX_NODES)
    edges = np.concatenate(
        [-half[:, None], np.clip(kinks, -half[:, None], half[:, None]), half[:, None]],
        axis=1,
    )
    edges.sort(axis=1)
    lo, length = edges[:, :-1], np.diff(edges, axis=1)
    n_panels = max(1, int(np.ceil(np.max(length) / (_BOX_PANEL * bandwidth))))
    panel = length / n_panels
    starts = lo[:, :, None] + panel[:, :, None] * np.arange(n_panels)
    s = starts[..., None] + (0.5 * panel)[:, :, None, None] * (x + 1.0)
    weight = (panel / (2.0 * half[:, None]))[:, :, None, None] * (0.5 * w)
    weight = np.broadcast_to(weight, s.shape)
    N = half.shape[0]
    return s.reshape(N, -1), weight.reshape(N, -1)


def _kink_offsets(kernel, bandwidth, period, *ends):
    """Offsets ``s`` at which ``f(end - s)`` has kinks, for each array in ends."""
    offsets = np.array(KINK_OFFSETS[kernel]) * bandwidth
    if period is not None:
        offsets = np.concatenate([offsets + k * period for k in (-1, 0, 1)])
    if offsets.size == 0:
        return np.zeros((ends[0].shape[0], 0))
    return np.concatenate([e[:, None] - offsets for e in ends], axis=1)


def _flat(*arrays):
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in arrays])
    return arrays[0].shape, [a.ravel() for a in arrays]


def log_atom_density(u, half, kernel, bandwidth, period=None):
    """log density of atoms at offsets ``u = t - c`` (``half`` None: kernels).

    ``M_h(u - r, u + r) / (2 r)`` where ``r > 0``, the kernel where ``r = 0``.
    """
    if half is None:
        return log_kernel(u, kernel, bandwidth, period=period)
    shape, (u, half) = _flat(u, half)
    box = half > 0
    if np.all(box):
        # Only boxes (a neighbours table of interval targets): the same
        # values without the masked copies (a tenth of the table's build).
        log_mass = log_interval_mass(u - half, u + half, kernel, bandwidth, period)
        return (log_mass - np.log(2.0 * half)).reshape(shape)
    out = np.empty(u.shape)
    out[~box] = log_kernel(u[~box], kernel, bandwidth, period=period)
    if np.any(box):
        r, v = half[box], u[box]
        out[box] = log_interval_mass(v - r, v + r, kernel, bandwidth, period) - np.log(
            2.0 * r
        )
    return out.reshape(shape)


# gaussian_box_scaled takes a gaussian box atom's mass, and its mass over its
# half-width, as a difference of two normal CDFs where both are at least this
# (full relative precision: the larger CDF's argument is above -37, and the
# difference is conditioned as the log domain's), and from the log domain
# below it.
_LINEAR_MIN_MASS = 1e-290
# exp() of anything below this is zero in double precision (-745.13).
_LOG_RATIO_ZERO = -746.0
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def scaled_log_values(log_k, out=None):
    """``(scaled, log_scale)``: each row of ``log_k`` over its maximum, exponentiated.

    ``log_k = log_scale[:, None] + log(scaled)`` with ``max(scaled) == 1`` on
    every row; a row of ``-inf`` (no mass at all) gets ``log_scale = -inf``
    and zeros.  ``log_k`` is overwritten; ``scaled`` goes into ``out`` when
    given.
    """
    log_scale = np.max(log_k, axis=1)
    # Nodes outside the support of every (compact) kernel have p = 0.
    uncovered = ~np.isfinite(log_scale)
    if np.any(uncovered):
        log_scale[uncovered] = 0.0
        log_k -= log_scale[:, None]
        log_scale[uncovered] = -np.inf
    else:
        log_k -= log_scale[:, None]
    out = log_k if out is None else out
    with np.errstate(under="ignore"):  # far kernels are zero next to near
        np.exp(log_k, out=out)
    return out, log_scale


def linear_boxes(half, kernel, period):
    """Whether :func:`gaussian_box_scaled` serves these atoms (a whole table's)."""
    return (
        half is not None
        and kernel == "gaussian"
        and period is None
        and bool(np.all(np.asarray(half) > 0))
    )


def gaussian_box_scaled(u, half, bandwidth, out=None):
    """Gaussian box atoms' densities at offsets ``u`` (n_nodes, M), each row
    over its maximum, on the line (every ``half > 0``).

    The same ``(scaled, log_scale)`` as ``scaled_log_values(log_atom_density(
    u, half, "gaussian", bandwidth))``, to rounding, in less than half the
    time: the masses are taken in the linear domain, ``Phi((r - |u|) / h) -
    Phi(-(|u| + r) / h)``, two normal CDFs a value where the log domain takes
    two log CDFs, a log and an ``expm1``.  The difference loses no more than
    the log domain's ``log(1 - exp(la - lb))``, which starts from the same
    CDF values.  Masses below ``_LINEAR_MIN_MASS`` (atoms more than about 36
    bandwidths from the node), or whose ratio to the half-width is (boxes
    wider than about 1e18), are taken from the log domain, and so is every
    node whose largest atom they are: nothing underflows, however far the
    node is from every atom and whatever the targets' unit.
    """
    u, half = np.broadcast_arrays(u, half)
    h = float(bandwidth)
    v = np.abs(u)
    # The arguments are exactly the log domain's (u -+ r) / h, on the side of
    # the atom's center that keeps the upper one small.
    upper = half - v
    upper /= h
    lower = v
    lower += half
    lower /= -h
    mass = ndtr(upper)
    mass -= ndtr(lower)
    small = mass < _LINEAR_MIN_MASS
    # mass / r: twice each density, which the ratios cancel (log 2 below).
    dens = np.divide(mass, half, out=mass)
    small |= dens < _LINEAR_MIN_MASS
    any_small = bool(np.any(small))
    if any_small:
        dens[small] = 0.0
    top = np.max(dens, axis=1)
    # Every atom's mass small (or a NaN offset): the whole node in logs.
    far = ~(top > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.divide(dens, top[:, None], out=dens if out is None else out)
        log_scale = np.log(top) - np.log(2.0)
    if any_small:
        i, j = np.nonzero(small & ~far[:, None])
        # Phi(x) < phi(x) / |x| for x < 0 bounds each small mass: those whose
        # ratio to the node's largest is surely below exp(-746) stay zero,
        # as their exponential would.
        # (A mass small only because its box is narrow is always kept.)
        x = upper[i, j]
        ri, log_top = half[i, j], np.log(top[i])
        keep = x >= 0.0
        tail = ~keep
        xt = x[tail]
        with np.errstate(over="ignore"):  # -inf for offsets past 1e154
            bound = -0.5 * xt * xt - np.log(-xt) - _LOG_SQRT_2PI
        bound -= np.log(ri[tail]) + log_top[tail]
        keep[tail] = bound > _LOG_RATIO_ZERO
        i, j, ri, log_top = i[keep], j[keep], ri[keep], log_top[keep]
        if i.size:
            ui = u[i, j]
            log_ratio = log_interval_mass(ui - ri, ui + ri, "gaussian", h)
            log_ratio -= np.log(ri)
            log_ratio -= log_top
            # A small mass over a far narrower box can outweigh the largest
            # of the others: its node is redone in logs.
            far[i[log_ratio > 0.0]] = True
            with np.errstate(under="ignore"):
                scaled[i, j] = np.exp(log_ratio)
    if np.any(far):
        rows = np.flatnonzero(far)
        log_k = log_atom_density(u[rows], half[rows], "gaussian", h)
        scaled[rows], log_scale[rows] = scaled_log_values(log_k)
    return scaled, log_scale


def _line_box_cumulative(u, r, kernel, h):
    """``Cum(u)`` of box atoms on the line from the two ``H`` terms."""
    lin = _overlap(-np.inf, u, -r, r)
    tail = _antiderivative_parts(u + r, kernel, h)[1]
    tail = tail - _antiderivative_parts(u - r, kernel, h)[1]
    return (lin + tail) / (2.0 * r)


def atom_cumulative(u, half, kernel, bandwidth, period=None):
    """Antiderivative of the atoms' densities at offsets ``u``.

    As :func:`skkdece._kernels.cumulative_mass`: the kernel's mass below ``u``
    on the line; with a period the continuous antiderivative that grows by
    one per turn.
    """
    if half is None:
        return cumulative_mass(u, kernel, bandwidth, period)
    shape, (u, half) = _flat(u, half)
    out = np.empty(u.shape)
    box = half > 0
    out[~box] = cumulative_mass(u[~box], kernel, bandwidth, period)
    if np.any(box):
        out[box] = _box_cumulative(u[box], half[box], kernel, float(bandwidth), period)
    return out.reshape(shape)


def _box_cumulative(u, r, kernel, h, period):
    if period is None:
        return _line_box_cumulative(u, r, kernel, h)
    P = float(period)
    if kernel == "vonmises":
        s, w = _box_nodes(r, np.zeros((r.size, 0)), h)
        return np.sum(w * cumulative_mass(u[:, None] - s, kernel, h, P), axis=1)
    # Sum over images of the line atom: Cum_P(u) = sum_k Cum(u + kP) - F(kP - P/2).
    turns = np.floor(u / P + 0.5)
    rho = u - P * turns
    n_img = _n_images(kernel, h, P) + 1
    shifts = P * np.arange(-n_img, n_img + 1)
    total = np.sum(
        _line_box_cumulative(rho[:, None] + shifts, r[:, None], kernel, h)
        - _line_box_cumulative(shifts - 0.5 * P, r[:, None], kernel, h),
        axis=1,
    )
    return turns + total


def atom_log_mass(lo, hi, half, kernel, bandwidth, period=None):
    """log of the atoms' masses between offsets ``lo <= hi`` (``hi - lo <= P``).

    Exact in the tails, as :func:`skkdece._kernels.log_interval_mass`.
    """
    if half is None:
        return log_interval_mass(lo, hi, kernel, bandwidth, period)
    shape, (lo, hi, half) = _flat(lo, hi, half)
    out = np.empty(lo.shape)
    box = half > 0
    out[~box] = log_interval_mass(lo[~box], hi[~box], kernel, bandwidth, period)
    if np.any(box):
        out[box] = _box_log_mass(
            lo[box], hi[box], half[box], kernel, float(bandwidth), period
        )
    return out.reshape(shape)


def _box_log_mass(lo, hi, r, kernel, h, period):
    if kernel == "vonmises":
        return _box_log_mass_by_quadrature(lo, hi, r, kernel, h, period)
    if period is None:
        log_terms, signs = _line_box_log_terms(lo, hi, r, kernel, h)
    else:
        P = float(period)
        shift = P * np.floor(lo / P + 0.5)
        n_img = _n_images(kernel, h, P) + 2
        k = P * np.arange(-n_img, n_img + 1)
        log_terms, signs = _line_box_log_terms(
            (lo - shift)[:, None] + k, (hi - shift)[:, None] + k, r[:, None], kernel, h
        )
        signs = np.broadcast_to(signs, log_terms.shape).reshape(lo.shape[0], -1)
        log_terms = log_terms.reshape(lo.shape[0], -1)
    largest = np.max(log_terms, axis=1)
    with np.errstate(divide="ignore"):
        total, sign = logsumexp(log_terms, axis=1, b=signs, return_sign=True)
    # Exact zeros (compact kernels, no overlap) stay -inf; a sum that lost
    # its digits to cancellation is integrated over the box instead.
    zero = np.isneginf(largest)
    good = zero | ((sign > 0) & (total > largest + np.log(_CANCELLATION)))
    out = np.where(zero, -np.inf, total - np.log(2.0 * r))
    if not np.all(good):
        bad = ~good
        out[bad] = _box_log_mass_by_quadrature(
            lo[bad], hi[bad], r[bad], kernel, h, period
        )
    return out


def _line_box_log_terms(lo, hi, r, kernel, h):
    """The terms of ``2 r * mass`` of ``[lo, hi]`` under box atoms, as logs and signs.

    The overlap of ``[lo, hi]`` with ``[-r, r]`` and the four tail values
    ``+T(hi + r) - T(hi - r) - T(lo + r) + T(lo - r)``: shape (..., 5).
    """
    with np.errstate(divide="ignore"):
        log_lin = np.log(_overlap(lo, hi, -r, r))
    logs = [log_lin] + [
        _log_tail(x, kernel, h) for x in (hi + r, hi - r, lo + r, lo - r)
    ]
    logs = np.stack(np.broadcast_arrays(*logs), axis=-1)
    return logs, np.array([1.0, 1.0, -1.0, -1.0, 1.0])


def _box_log_mass_by_quadrature(lo, hi, r, kernel, h, period):
    """``log mean_{s ~ U[-r, r]} M_h(lo - s, hi - s)`` by Gauss-Legendre."""
    s, w = _box_nodes(r, _kink_offsets(kernel, h, period, lo, hi), h)
    with np.errstate(divide="ignore"):
        log_m = log_interval_mass(lo[:, None] - s, hi[:, None] - s, kernel, h, period)
        return logsumexp(log_m + np.log(w), axis=1)


def atom_kinks(centers, half, kernel, bandwidth):
    """Where the atoms' densities are not smooth: (..., M, K) angles.

    Each kernel kink ``o h`` of the kernel at ``c`` moves to ``c +- r + o h``
    for a box of half-width ``r``.
    """
    offsets = np.array(KINK_OFFSETS[kernel], dtype=np.float64)
    # A bandwidth per atom scales each atom's offsets: (M, K); one: (1, K).
    offsets = np.asarray(bandwidth, dtype=np.float64)[..., None] * offsets
    c = np.asarray(centers, dtype=np.float64)[..., None]
    if half is None:
        return c + offsets
    r = np.asarray(half, dtype=np.float64)[..., None]
    return np.concatenate([c - r + offsets, c + r + offsets], axis=-1)


def atom_offsets(rng, size, half, kernel, bandwidth, period=None):
    """Draws from atoms centered at zero: a uniform on the box plus the kernel."""
    draws = sample_offsets(rng, size, kernel, bandwidth, period)
    if half is None:
        return draws
    return draws + half * rng.uniform(-1.0, 1.0, size)


def atom_variance(half):
    """Variance the boxes add to their kernels: ``r**2 / 3`` (0 without boxes)."""
    return 0.0 if half is None else np.asarray(half) ** 2 / 3.0


def atom_trig_factor(half, period):
    """``E[cos(2 pi s / P)]`` of ``s`` uniform on each box (1 without boxes)."""
    if half is None:
        return 1.0
    a = 2.0 * np.pi * np.asarray(half) / period
    return np.sinc(a / np.pi)
