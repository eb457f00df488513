"""Plots of predicted angle distributions (needs the optional matplotlib).

Install with ``pip install "skkdece[plot]"``.  matplotlib is imported only when
a plotting function is called.
"""

import numpy as np

from ._distribution import KDEDistribution
from ._targets import split_targets

__all__ = ["plot_densities"]


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skkdece.plotting needs matplotlib: pip install 'skkdece[plot]'."
        ) from exc
    return plt


def _as_intervals(y, n, period):
    """``(n, 2)`` intervals of points or intervals ``y`` (None stays None)."""
    if y is None:
        return None
    shape = np.shape(y)
    if shape not in ((n,), (n, 2)):
        raise ValueError(
            f"y must have shape ({n},) or ({n}, 2) to match the rows; got {shape}."
        )
    return np.column_stack(split_targets(y, period=period, n_samples=n))


def plot_densities(
    model,
    X=None,
    *,
    y=None,
    grid=None,
    ax=None,
    polar=None,
    labels=None,
    n_grid=721,
):
    """Plot one or many predicted densities, shading the true intervals.

    Parameters
    ----------
    model : SoftmaxKDERegressor or KDEDistribution
        A fitted estimator (then ``X`` is required) or predicted distributions.
    X : {array-like, sparse matrix} of shape (n_rows, n_features), default=None
        Rows whose predicted densities to draw.
    y : array-like of shape (n_rows,) or (n_rows, 2), default=None
        True angles or ``[lower, upper]`` intervals, drawn as a marker or a
        shaded band (an arc on a polar axis) in each row's colour.
    grid : array-like of shape (n_grid,), default=None
        Angles at which to draw; by default the window for circular targets,
        otherwise the centers' range widened by three bandwidths.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is made when None (polar when ``polar``).
    polar : bool, default=None
        Draw on a polar axis (angle mapped to ``2 pi t / period``); defaults
        to True for circular targets.
    labels : list of str, default=None
        Legend entries, one per row.
    n_grid : int, default=721
        Grid size when ``grid`` is None.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: ``ax`` when given, else the new figure's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.plotting import plot_densities
    >>> X = np.linspace(-1, 1, 80)[:, None]
    >>> model = SoftmaxKDERegressor(centers=8, period=2 * np.pi).fit(X, 2 * X[:, 0])
    >>> ax = plot_densities(model, X[:3], y=2 * X[:3, 0])
    >>> ax.name
    'polar'
    """
    plt = _import_pyplot()
    if isinstance(model, KDEDistribution):
        dist = model
    else:
        if X is None:
            raise ValueError("X is required when model is an estimator.")
        dist = model.predict_distribution(X)
    n = len(dist)
    intervals = _as_intervals(y, n, dist.period)
    period = dist.period
    if polar is None:
        polar = period is not None
    if polar and period is None:
        raise ValueError("polar=True needs a circular target (a period).")
    if grid is None:
        if period is not None:
            grid = dist.window_start + period * np.linspace(0.0, 1.0, int(n_grid))
        else:
            h = float(np.max(dist.bandwidth))
            lo, hi = dist.centers.min() - 3 * h, dist.centers.max() + 3 * h
            grid = np.linspace(lo, hi, int(n_grid))
    grid = np.asarray(grid, dtype=np.float64)
    density = dist.pdf(grid)
    if ax is None:
        _, ax = plt.subplots(subplot_kw={"projection": "polar"} if polar else {})

    def to_axis(t):
        return 2 * np.pi * np.asarray(t) / period if polar else np.asarray(t)

    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    top = float(density.max()) if density.size else 1.0
    for i in range(n):
        color = colors[i % len(colors)]
        label = labels[i] if labels is not None else None
        ax.plot(to_axis(grid), density[i], color=color, label=label)
        if intervals is None:
            continue
        a, b = intervals[i]
        if b > a:
            t = np.linspace(a, b, 64)
            if polar:
                ax.fill_between(to_axis(t), 0, top, color=color, alpha=0.2)
            elif period is None:
                ax.axvspan(a, b, color=color, alpha=0.2)
            else:
                # An arc across the seam is drawn as its two pieces.
                t = dist.to_window(t)
                cut = np.flatnonzero(np.diff(t) < 0)
                for piece in np.split(t, cut + 1):
                    ax.axvspan(piece.min(), piece.max(), color=color, alpha=0.2)
        else:
            ax.plot(to_axis([a, a]), [0, top], color=color, linestyle="--")
    if not polar:
        ax.set_xlabel("target")
        ax.set_ylabel("predicted density")
    if labels is not None:
        ax.legend()
    return ax
