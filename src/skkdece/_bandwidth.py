"""The neighbours model's bandwidth="auto": the best leave-one-out score.

:func:`loo_bandwidth` searches ``log h`` alone, at the metric's current
weights, for the bandwidth whose kernel density over each probe row's
training neighbours gives that row's own target the highest mean log
density; :class:`skkdece.SoftmaxKDENeighborsRegressor` calls it before its
last round of neighbour search.
"""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from ._distribution import KDEDistribution
from ._neighbors import NeighborLogits

# Rows at most whose leave-one-out score chooses bandwidth="auto", the
# quadrature nodes per smooth piece of its kernel tables (on the real waves'
# intervals, 8 nodes gave the exact score to 1e-4 in 1/20 of the time of the
# automatic panels, whose cost grows like (interval / h)**1.3), and the
# tolerance of Brent's search in log h (2%).
_BANDWIDTH_PROBES = 1000
_BANDWIDTH_NODES = 8
_BANDWIDTH_XATOL = 0.02
# The search's bracket, in factors of Scott's rule: [1/10, 2], extended down
# by factors of 10 (to 1/1000 at most) while the best lies at its lower end.
# A kernel table's cost grows with (interval / h)**1.3 on interval targets,
# so the small bandwidths are searched only where the data asks for them.
_BANDWIDTH_LOW, _BANDWIDTH_HIGH, _BANDWIDTH_FLOOR = 0.1, 2.0, 1e-3


def loo_bandwidth(
    params,
    E,
    neighbors,
    lower,
    upper,
    centers,
    half_widths,
    log_mass,
    row_weight,
    *,
    kernel,
    period,
    window_start,
    rule,
):
    """The bandwidth of the best leave-one-out score at these weights.

    The training objective's mean log density (:meth:`KDEDistribution.\
mean_log_density`, with ``_BANDWIDTH_NODES`` quadrature nodes per smooth
    piece: the search ranks bandwidths, the fit's table is exact), over up to
    ``_BANDWIDTH_PROBES`` rows evenly spaced in memory order, each with its
    training neighbours and logits, as a function of ``log h`` alone: its
    maximum on
    ``[rule / 10, 2 rule]`` by Brent's bounded search
    (:func:`scipy.optimize.minimize_scalar`, ``log h`` to within
    ``_BANDWIDTH_XATOL``), searched again a decade lower while the maximum
    is at the bracket's lower end (down to ``rule / 1000``).
    """
    n = E.shape[0]
    probes = np.unique(
        np.linspace(0, n - 1, min(n, _BANDWIDTH_PROBES)).round().astype(np.intp)
    )
    sharpness, metric = NeighborLogits.unpack(params)
    near = neighbors[probes]
    live = metric > 0
    gaps = np.abs(E[probes][:, None, live] - E[near][:, :, live])
    logits = -sharpness * (gaps @ metric[live])
    if log_mass is not None:
        logits += log_mass[near]
    log_weights = log_softmax(logits, axis=1)
    weight = row_weight[probes] / np.sum(row_weight[probes])
    half = None if half_widths is None else half_widths[near]

    def loss(log_h):
        dist = KDEDistribution(
            log_weights,
            centers[near],
            kernel=kernel,
            bandwidth=float(np.exp(log_h)),
            period=period,
            window_start=window_start,
            half_widths=half,
        )
        return -(
            weight
            @ dist.mean_log_density(
                lower[probes], upper[probes], n_quadrature=_BANDWIDTH_NODES
            )
        )

    low = np.log(rule * _BANDWIDTH_LOW)
    high = np.log(rule * _BANDWIDTH_HIGH)
    while True:
        best = minimize_scalar(
            loss,
            bounds=(low, high),
            method="bounded",
            options={"xatol": _BANDWIDTH_XATOL},
        ).x
        floor = np.log(rule * _BANDWIDTH_FLOOR)
        if best > low + 2 * _BANDWIDTH_XATOL or low <= floor + 1e-9:
            return float(np.exp(best))
        low, high = low - np.log(10.0), low + 4 * _BANDWIDTH_XATOL
