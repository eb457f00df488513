"""Targets: ``y`` to ``[lower, upper]`` intervals, and the geometry they imply.

Every model, metric and plot reads targets the same way, through
:func:`split_targets`: a 1-D ``y`` holds points (widened by ``target_width``
on each side), an ``(n, 2)`` ``y`` holds ``[lower, upper]`` per row.

What a fit works out from the targets alone (the window of reported angles on
a circle, the spread behind the bandwidth rules, the range behind evenly
spaced centers) is written as a reduction: :class:`TargetSummary` holds
weighted sums and extremes that partial summaries of disjoint row sets add
up to (:meth:`TargetSummary.combine`), so a streaming or partitioned caller
gets the same geometry as an in-memory one.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import DataConversionWarning

from ._tables._checks import check_intervals, check_row_centers, row_list  # noqa: F401
from ._tables._kernels import COMPACT_KERNELS, KERNEL_STD


def split_targets(y, *, target_width=0.0, period=None, n_samples=None, name="y"):
    """Validated ``(lower, upper)`` arrays from point or interval targets.

    Parameters
    ----------
    y : array-like of shape (n_samples,), (n_samples, 1) or (n_samples, 2)
        Points, widened by ``target_width`` on each side, or ``[lower, upper]``
        per row.  A column vector is read as points, with a
        ``DataConversionWarning``.
    target_width : float, default=0.0
        Half-width around point targets; ignored for intervals.
    period : float or None, default=None
        Period of a circular target: arcs may be at most one period long.
    n_samples : int or None, default=None
        The number of rows ``y`` must have.
    name : str, default="y"
        How error messages call ``y``.

    Returns
    -------
    lower, upper : ndarray of shape (n_samples,)
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            f"A column-vector {name} was passed when a 1d array was expected. "
            f"Please change the shape of {name} to (n_samples,), for example "
            "using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim == 1:
        if period is not None and 2 * target_width > period:
            raise ValueError(
                f"target_width={target_width:g} widens every point target to an "
                f"interval of {2 * target_width:g}, more than one period "
                f"(period={period:g}); use target_width <= period / 2."
            )
        lower, upper = y - target_width, y + target_width
    elif y.ndim == 2 and y.shape[1] == 2:
        lower, upper = y[:, 0], y[:, 1]
    else:
        raise ValueError(
            f"{name} must be of shape (n_samples,) with point targets or "
            f"(n_samples, 2) with [lower, upper] intervals; got shape {y.shape}."
        )
    if n_samples is not None and lower.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but {name} has {lower.shape[0]}.")
    return check_intervals(lower, upper, lower.shape[0], period)


def _one_minus_sinc(x):
    """``1 - sinc(x)`` (``sinc(x) = sin(pi x) / (pi x)``) without cancellation."""
    y2 = (np.pi * x) ** 2
    series = y2 / 6.0 * (1.0 - y2 / 20.0 * (1.0 - y2 / 42.0 * (1.0 - y2 / 72.0)))
    return np.where(y2 < 1e-2, series, 1.0 - np.sinc(x))


@dataclass(frozen=True)
class TargetSummary:
    """Weighted sums and extremes of the targets, from which fits place things.

    Summaries of disjoint sets of rows that share ``reference`` add up with
    :meth:`combine`; every property is then the one of the union.  Each target
    counts as the uniform distribution on its interval.  Moments are taken
    about ``reference`` (one target's midpoint): equal targets then have a
    spread of exactly zero, and a small spread far from zero keeps its digits.

    Attributes
    ----------
    period : float or None
        Period of a circular target.
    reference : float
        Midpoint the moments are taken about.
    weight : float
        Sum of the sample weights.
    lower_min, upper_max, mid_min : float
        Smallest lower end, largest upper end and smallest midpoint.
    first : float
        On the line, ``sum w (mid - reference)``; on the circle, the weighted
        sum of the sine of the offsets from ``reference`` (times each
        interval's first trigonometric moment).
    second : float
        On the line, ``sum w ((mid - reference)**2 + width**2 / 12)``; on the
        circle, ``sum w (1 - E cos(theta - theta_ref))``, written without
        cancellation.
    """

    period: float | None
    reference: float
    weight: float
    lower_min: float
    upper_max: float
    mid_min: float
    first: float
    second: float

    @classmethod
    def from_targets(cls, lower, upper, sample_weight, *, period=None, reference=None):
        """Summary of the rows with a positive weight.

        ``reference`` defaults to the midpoint of the first such row; pass the
        same one for every part of a partitioned data set.
        """
        used = sample_weight > 0
        lower, upper, w = lower[used], upper[used], sample_weight[used]
        mid = 0.5 * (lower + upper)
        width = upper - lower
        if reference is None:
            reference = float(mid[0])
        offset = mid - reference
        if period is None:
            first = np.dot(w, offset)
            second = np.dot(w, offset**2 + width**2 / 12.0)
        else:
            theta = (2.0 * np.pi / period) * offset
            # First trigonometric moment of U[a, b] is e^{i mid} sinc(width/P).
            shrink = np.sinc(width / period)
            first = np.dot(w, shrink * np.sin(theta))
            half = np.sin(0.5 * theta)
            second = np.dot(w, _one_minus_sinc(width / period) + 2 * shrink * half**2)
        return cls(
            period=period,
            reference=float(reference),
            weight=float(np.sum(w)),
            lower_min=float(np.min(lower)),
            upper_max=float(np.max(upper)),
            mid_min=float(np.min(mid)),
            first=float(first),
            second=float(second),
        )

    def combine(self, other):
        """The summary of the union of two disjoint sets of rows."""
        if (other.period, other.reference) != (self.period, self.reference):
            raise ValueError(
                "Only summaries with the same period and reference can be combined."
            )
        return TargetSummary(
            period=self.period,
            reference=self.reference,
            weight=self.weight + other.weight,
            lower_min=min(self.lower_min, other.lower_min),
            upper_max=max(self.upper_max, other.upper_max),
            mid_min=min(self.mid_min, other.mid_min),
            first=self.first + other.first,
            second=self.second + other.second,
        )

    @property
    def window_start(self):
        """Start of the window of reported angles (0 without a period).

        ``-period/2`` when any target's midpoint is negative, else 0: angles
        are reported in ``[-period/2, period/2)`` or ``[0, period)``.
        """
        if self.period is None:
            return 0.0
        return -0.5 * self.period if self.mid_min < 0 else 0.0

    @property
    def spread(self):
        """Standard deviation of the targets, each uniform on its interval.

        With a period, the circular standard deviation ``sqrt(-2 ln R)`` in
        target units, at most that of the uniform distribution on the circle.
        """
        W = self.weight
        if self.period is None:
            mean = self.first / W
            return float(np.sqrt(max(self.second / W - mean * mean, 0.0)))
        # About the reference: u = W (1 - E cos), s = W E sin, and
        # 1 - R = (1 - R^2) / (1 + R) with W^2 (1 - R^2) = 2 u W - u^2 - s^2.
        u, s = self.second, self.first
        R = np.hypot(W - u, s) / W
        one_minus_R = max(2.0 * u * W - u * u - s * s, 0.0) / (W * W * (1.0 + R))
        cap = self.period / np.sqrt(12.0)
        if one_minus_R >= 1.0:
            return cap
        sigma = np.sqrt(-2.0 * np.log1p(-one_minus_R)) * self.period / (2.0 * np.pi)
        return float(min(sigma, cap))


def check_centers(centers):
    """Explicit ``centers`` as a new finite, non-empty 1-D float64 array."""
    try:
        array = np.array(centers, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "centers must be an int or a non-empty 1-D array of numbers; "
            f"got {centers!r}."
        ) from exc
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            "centers must be an int or a non-empty 1-D array of "
            f"locations; got an array of shape {array.shape}."
        )
    bad = ~np.isfinite(array)
    if np.any(bad):
        raise ValueError(
            f"centers contains NaN or infinite values at positions {row_list(bad)}."
        )
    return array


def rule_of_thumb_bandwidth(summary, rule, kernel, n_centers):
    """Scott's or Silverman's bandwidth for ``kernel`` from the targets' spread.

    ``sigma * n**(-1/5)`` ("scott") or ``sigma * (3n/4)**(-1/5)``
    ("silverman"), with ``n`` the sum of the weights, divided by the kernel's
    standard deviation at unit bandwidth.  A zero spread falls back to 1
    (``period / n_centers`` on a circle) with a warning.
    """
    n = summary.weight
    factor = n ** (-0.2) if rule == "scott" else (0.75 * n) ** (-0.2)
    h = summary.spread * factor / KERNEL_STD[kernel]
    if not (np.isfinite(h) and h > 0):
        h = 1.0 if summary.period is None else summary.period / n_centers
        warnings.warn(
            f"The training targets have zero spread, so bandwidth={rule!r} would "
            f"be zero; using bandwidth={h:g} instead. Pass a float bandwidth to "
            "choose it.",
            UserWarning,
            stacklevel=4,
        )
    return float(h)


def even_centers(summary, n_centers, bandwidth):
    """``n_centers`` evenly spaced centers.

    Around the whole circle from the window's start when periodic; otherwise
    over the targets' range widened by one bandwidth on each side (its middle
    for a single center).
    """
    if summary.period is not None:
        P = summary.period
        return summary.window_start + P * np.arange(n_centers) / n_centers
    lo = summary.lower_min - bandwidth
    hi = summary.upper_max + bandwidth
    if n_centers == 1:
        return np.array([0.5 * (lo + hi)])
    return np.linspace(lo, hi, n_centers)


def weighted_quantiles(values, weights, levels):
    """Weighted quantiles of ``values`` at ``levels`` in [0, 1].

    The inverse of the weighted empirical CDF: the smallest value whose
    cumulative weight reaches ``level`` times the total (numpy's
    ``"inverted_cdf"`` with unit weights).  A weight of ``k`` gives exactly
    the quantiles of ``k`` repetitions.
    """
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    index = np.searchsorted(cum, np.asarray(levels) * cum[-1], side="left")
    return values[order][np.minimum(index, cum.size - 1)]


def quantile_centers(midpoints, weights, summary, n_centers, margin):
    """``n_centers`` centers at the training targets' weighted quantiles.

    On the line the outer two centers sit one ``margin`` beyond the targets'
    extremes, where evenly spaced centers would (so the range is covered as
    before), and the others at the quantiles of the interval midpoints at
    levels ``k / (n_centers - 1)``: as many targets between two neighbours
    as between any other two.  On a circle, the quantiles at levels
    ``(k + 1/2) / n_centers`` of the midpoints wrapped into the window.
    """
    midpoints = np.asarray(midpoints, dtype=np.float64)
    if summary.period is not None:
        P, start = summary.period, summary.window_start
        wrapped = start + np.mod(midpoints - start, P)
        levels = (np.arange(n_centers) + 0.5) / n_centers
        return weighted_quantiles(wrapped, weights, levels)
    if n_centers <= 2:
        return even_centers(summary, n_centers, margin)
    levels = np.arange(1, n_centers - 1) / (n_centers - 1)
    inner = weighted_quantiles(midpoints, weights, levels)
    ends = [summary.lower_min - margin], [summary.upper_max + margin]
    return np.concatenate([ends[0], inner, ends[1]])


def parse_bandwidth(bandwidth, name="bandwidth"):
    """A model's ``bandwidth`` parameter as ``(rule, values)``.

    ``rule`` is ``"scott"``, ``"silverman"`` or None; ``values`` a float
    (one bandwidth, or the rule itself when ``rule`` is set and ``values``
    is None) or a 1-D array: absolute bandwidths without a rule, multipliers
    of the rule's bandwidth with one.  Accepted forms: a positive float, a
    rule name, an array-like of positive floats, or ``(rule, multipliers)``.
    """
    if isinstance(bandwidth, str):
        return bandwidth, None
    rule = None
    values = bandwidth
    if (
        isinstance(bandwidth, tuple | list)
        and len(bandwidth) == 2
        and isinstance(bandwidth[0], str)
    ):
        rule, values = bandwidth
        if rule not in ("scott", "silverman"):
            raise ValueError(
                "A (rule, multipliers) bandwidth needs the rule 'scott' or "
                f"'silverman'; got {rule!r}."
            )
    elif isinstance(bandwidth, Real) and not isinstance(bandwidth, bool):
        return None, float(bandwidth)
    what = f"{name}'s multipliers of the rule" if rule else f"{name}'s values"
    try:
        values = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a positive float, 'scott', 'silverman', a 1-D "
            "array-like of positive floats (one per scale) or a pair (rule, "
            f"multipliers); got {bandwidth!r}."
        ) from exc
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"{what} must form a non-empty 1-D array; got shape {values.shape}."
        )
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"{what} must be finite and > 0; got {values.tolist()}.")
    if np.unique(values).size != values.size:
        raise ValueError(
            f"{what} must be distinct (equal scales would make "
            f"identical atoms); got {values.tolist()}."
        )
    return rule, values


@dataclass(frozen=True)
class Geometry:
    """Where the kernels sit: the atoms' centers and bandwidths, and the window.

    With several bandwidths (scales) the atoms are every (center, bandwidth)
    pair, scale after scale: ``centers`` repeats the centers once per scale
    and ``bandwidth`` holds each atom's bandwidth; with one, ``bandwidth`` is
    a float.
    """

    centers: np.ndarray
    bandwidth: float | np.ndarray
    window: tuple | None

    @property
    def n_scales(self):
        return 1 if np.ndim(self.bandwidth) == 0 else np.unique(self.bandwidth).size


def resolve_geometry(
    summary, *, centers, bandwidth, kernel, placement="even", targets=None
):
    """Centers, bandwidths and window from a model's parameters and the targets.

    Parameters
    ----------
    summary : TargetSummary
        The training targets.
    centers : int or array-like
        How many centers, or their locations.
    bandwidth : float, {"scott", "silverman"}, array-like or (rule, multipliers)
        A bandwidth or the rule that gives one; or several (absolute values,
        or multipliers of a rule's bandwidth), one per scale.  For compact
        kernels a rule's result is widened to at least the spacing of the
        centers (one center: the targets' range, or one period) before any
        multipliers, so that every target is covered.
    kernel : str
        Kernel name.
    placement : {"even", "quantile"}, default="even"
        Where an int's worth of centers go (:func:`even_centers`,
        :func:`quantile_centers`).
    targets : tuple of ndarray or None
        ``(midpoints, weights)`` of the training targets; needed by
        ``placement="quantile"``.

    Returns
    -------
    Geometry
    """
    period = summary.period
    explicit = None if isinstance(centers, Integral) else check_centers(centers)
    n_centers = int(centers) if explicit is None else explicit.size
    rule, values = parse_bandwidth(bandwidth)
    if rule is not None:
        h = rule_of_thumb_bandwidth(summary, rule, kernel, n_centers)
    else:
        h = values if np.ndim(values) == 0 else float(np.min(values))
    # The margin of the line's outer centers: the (smallest) bandwidth.
    margin = h if rule is None or values is None else h * float(np.min(values))
    if explicit is not None:
        c = explicit
    elif placement == "quantile":
        if targets is None:
            raise ValueError("placement='quantile' needs the training targets.")
        c = quantile_centers(*targets, summary, n_centers, margin)
    else:
        c = even_centers(summary, n_centers, margin)
    if rule is not None and kernel in COMPACT_KERNELS:
        if period is not None:
            spacing = period / c.size
        elif c.size > 1:
            spacing = float(np.max(np.diff(np.sort(c))))
        else:
            # One center, in the middle of the targets: reach all of them.
            spacing = summary.upper_max - summary.lower_min
        h = max(h, spacing)
    start = summary.window_start
    window = None if period is None else (start, start + period)
    if np.ndim(values) == 0:
        return Geometry(centers=c, bandwidth=float(h), window=window)
    scales = h * values if rule is not None else values
    if scales.size == 1:
        return Geometry(centers=c, bandwidth=float(scales[0]), window=window)
    return Geometry(
        centers=np.tile(c, scales.size),
        bandwidth=np.repeat(scales, c.size),
        window=window,
    )
