"""Checks of the arguments that define a :class:`skkdece.KDEDistribution`.

Each function returns the checked value as the distribution stores it, or
raises a ValueError naming the argument and what is wrong with it.
"""

from numbers import Real

import numpy as np
from scipy.special import logsumexp

from ._tables._checks import check_row_centers, row_list
from ._tables._kernels import atom_bandwidths

# Each row's weights must sum to one to within this (in log).
_LOG_WEIGHT_TOL = 1e-8


def check_grid(grid, name="grid"):
    """``grid`` as a finite 1-D float array, shape (n_grid,)."""
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim == 0:
        grid = grid.reshape(1)
    if grid.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {grid.shape}.")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return grid


def check_positive(value, name, allow_none=False):
    """``value`` as a positive finite float (or None when allowed)."""
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not (np.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a positive finite float; got {value!r}.")
    return float(value)


def check_window_start(window_start):
    """``window_start`` as a finite float."""
    if not (isinstance(window_start, Real) and np.isfinite(window_start)):
        raise ValueError(f"window_start must be a finite float; got {window_start!r}.")
    return float(window_start)


def check_weights_and_centers(log_weights, centers):
    """Log weights, shape (n_samples, n_centers), and their centers.

    The centers are shared, shape (n_centers,), or each row's own, shape
    (n_samples, n_centers).  Each row's weights must sum to one; ``-inf`` is
    a zero weight.
    """
    log_weights = np.asarray(log_weights, dtype=np.float64)
    if log_weights.ndim != 2 or log_weights.shape[1] == 0:
        raise ValueError(
            "log_weights must be 2-D of shape (n_samples, n_centers) with at "
            f"least one center; got shape {log_weights.shape}."
        )
    centers = check_row_centers(centers, log_weights.shape, "log_weights")
    if np.any(np.isnan(log_weights) | (log_weights == np.inf)):
        raise ValueError("log_weights contain NaN or +inf.")
    with np.errstate(divide="ignore"):
        total = logsumexp(log_weights, axis=1) if len(log_weights) else []
    bad = ~(np.abs(total) <= _LOG_WEIGHT_TOL)
    if np.any(bad):
        raise ValueError(
            "Each row of log_weights must hold the logs of weights summing to "
            f"one (scipy.special.log_softmax gives them); rows {row_list(bad)} "
            "do not."
        )
    return log_weights, centers


def check_bandwidth(bandwidth, n_centers):
    """One bandwidth as a float, or one per center, shape (n_centers,)."""
    if isinstance(bandwidth, bool):
        raise ValueError(f"bandwidth must be a positive float; got {bandwidth!r}.")
    try:
        return atom_bandwidths(bandwidth, n_centers)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "bandwidth must be a positive finite float, or one per center "
            f"(shape ({n_centers},)); {exc}"
        ) from None


def check_half_widths(half_widths, centers_shape, period):
    """Box half-widths of the shape of the centers, or None when all zero."""
    if half_widths is None:
        return None
    half = np.asarray(half_widths, dtype=np.float64)
    if half.shape != centers_shape:
        raise ValueError(
            f"half_widths must have the shape of centers {centers_shape}; "
            f"got {half.shape}."
        )
    if not np.all(np.isfinite(half) & (half >= 0)):
        raise ValueError("half_widths must be finite and non-negative.")
    if period is not None and np.any(2 * half > period):
        raise ValueError(
            f"half_widths must be at most half the period {period:g}; "
            f"got {np.max(half):g}."
        )
    return half if np.any(half > 0) else None


def check_row_values(values, n_samples, name):
    """``values`` as a finite float array of shape (n_samples,)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        values = np.full(n_samples, float(values))
    if values.shape != (n_samples,):
        raise ValueError(
            f"{name} must have one value per row, shape ({n_samples},); got "
            f"shape {values.shape}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return values
