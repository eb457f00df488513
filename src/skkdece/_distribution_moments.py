"""Means and standard deviations of predicted distributions, in closed form.

On the line a row's moments are those of its centers plus the kernel's and
the boxes' own variances; on the circle they come from the first
trigonometric moment, each atom's shrunk by its kernel and box.  The
functions take a :class:`skkdece.KDEDistribution`; its
:meth:`~skkdece.KDEDistribution.mean` and :meth:`~skkdece.KDEDistribution.std`
call :func:`row_means` and :func:`row_stds`.
"""

import numpy as np

from ._tables._atoms import atom_trig_factor, atom_variance
from ._tables._kernels import KERNEL_STD, first_trig_moment


def _row_dot(weights, values):
    """``sum_m weights[i, m] * values[(i,) m]``: shared (M,) or per-row values."""
    if values.ndim == 1:
        return weights @ values
    return np.einsum("nm,nm->n", weights, values)


def _center_means(dist):
    """``sum_m w_im c_im``: the mean of each row on the line, shape (n,)."""
    return _row_dot(dist.weights, dist.centers)


def trig_moments(dist):
    """First trigonometric moment ``E[exp(2 pi i t / P)]`` of each row, (n,)."""
    theta = (2 * np.pi / dist.period) * dist.centers
    boxes = atom_trig_factor(dist.half_widths, dist.period)
    rho = first_trig_moment(dist.kernel, dist.bandwidth, dist.period)
    if np.ndim(rho):  # a bandwidth per atom: each atom's own shrinkage
        return _row_dot(dist.weights, np.exp(1j * theta) * boxes * rho)
    z = _row_dot(dist.weights, np.exp(1j * theta) * boxes)
    return z * rho


def row_means(dist):
    """Mean of each row, shape (n_samples,) (:meth:`KDEDistribution.mean`)."""
    if dist.period is None:
        return _center_means(dist)
    z = trig_moments(dist)
    return dist.to_window(np.angle(z) * dist.period / (2 * np.pi))


def row_stds(dist):
    """Standard deviation of each row, shape (n_samples,).

    :meth:`KDEDistribution.std`: circular when periodic.
    """
    if dist.period is None:
        mean = _center_means(dist)
        var_c = np.einsum("nm,nm->n", dist.weights, (dist.centers - mean[:, None]) ** 2)
        kernel_sd = KERNEL_STD[dist.kernel] * dist.bandwidth
        if dist.half_widths is not None:
            var_c += _row_dot(dist.weights, atom_variance(dist.half_widths))
        if np.ndim(kernel_sd):  # a bandwidth per atom
            return np.sqrt(var_c + dist.weights @ kernel_sd**2)
        return np.sqrt(var_c + kernel_sd**2)
    R = np.minimum(np.abs(trig_moments(dist)), 1.0)
    with np.errstate(divide="ignore"):
        return np.sqrt(-2.0 * np.log(R)) * dist.period / (2 * np.pi)
