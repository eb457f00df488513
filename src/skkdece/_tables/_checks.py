"""Input checks shared by the tables, the distribution and the estimators.

Every message names the offending rows or values, so that a bad input is
found without a debugger.
"""

import numpy as np


def row_list(mask, limit=10):
    """The first ``limit`` row numbers where ``mask`` holds, for error messages."""
    rows = np.flatnonzero(mask)
    return f"{rows[:limit].tolist()}{' ...' if rows.size > limit else ''}"


def check_intervals(lower, upper, n_samples, period=None):
    """``lower`` and ``upper`` as float64 arrays of shape (n_samples,), validated.

    Scalars are broadcast.  Raises ``ValueError`` naming the rows whose ends
    are not finite, whose ``lower > upper`` or, with a period, whose arc is
    longer than one period.
    """
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), (n_samples,))
    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), (n_samples,))
    bad = ~(np.isfinite(lower) & np.isfinite(upper))
    if np.any(bad):
        raise ValueError(
            f"lower and upper must be finite; rows {row_list(bad)} are not."
        )
    bad = lower > upper
    if np.any(bad):
        raise ValueError(
            f"Each interval needs lower <= upper; rows {row_list(bad)} have "
            "lower > upper."
        )
    if period is not None:
        # The rule is upper <= lower + period; testing the difference alone
        # would reject [a, a + period] when a + period rounds up.
        bad = (upper - lower > period) & (upper > lower + period)
        if np.any(bad):
            raise ValueError(
                f"Intervals on a circle of period {period:g} may be at most one "
                f"period long; rows {row_list(bad)} are longer."
            )
    return lower, upper


def check_row_centers(centers, shape, name):
    """Finite float64 centers shared ``(M,)`` or per row ``(n, M)``.

    ``shape`` is ``(n, M)`` of the array named ``name`` they must match.
    """
    n, M = shape
    centers = np.asarray(centers, dtype=np.float64)
    if centers.shape not in ((M,), (n, M)):
        raise ValueError(
            f"centers must have shape ({M},) or ({n}, {M}) to match {name} of "
            f"shape {tuple(shape)}; got {centers.shape}."
        )
    if not np.all(np.isfinite(centers)):
        raise ValueError("centers contain NaN or infinite values.")
    return centers


def check_kernel_period(kernel, period):
    """Raise ``ValueError`` if ``kernel`` needs a period and ``period`` is None.

    The von Mises kernel is a density on a circle: it has no meaning on the
    line, so every entry point (estimators, distributions, loss functions,
    kernel functions) asks for the period with this one message.
    """
    if kernel == "vonmises" and period is None:
        raise ValueError(
            "kernel='vonmises' is only defined on a circle: set period (for "
            "example period=2 * np.pi for angles in radians)."
        )
