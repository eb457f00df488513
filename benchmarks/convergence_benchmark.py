"""Iterations and time of the hard guess-factor fit, before and after issue 13.

Run from the repository root::

    python benchmarks/convergence_benchmark.py [--max-iter 1000] [--rows 20000]

Fits ``SoftmaxKDERegressor(centers=41, bandwidth=0.08)`` to the first
``--rows`` real Robocode waves (11 features, intervals as recorded) twice,
alternately: with the solver's coordinates of today (features centered on
their means and scaled by their standard deviations) and the old way (each
coefficient scaled by its feature's largest magnitude, intercepts as they
are).  Prints iterations, time, whether a ConvergenceWarning was raised and
the objective reached, and the relative gap between the two objectives.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor
from skkdece._linear import LinearLogits, feature_scale
from skkdece._solver import _DiagonalScale
from skkdece.datasets import load_robocode_waves


def old_coordinates(self, X, sample_weight):
    """The solver's coordinates before issue 13: largest magnitudes only."""
    scale = np.ones(self.n_params)
    scale[: self.n_centers * self.n_features] = np.tile(
        feature_scale(X), self.n_centers
    )
    return _DiagonalScale(scale)


def fit(X, y, max_iter, old):
    new_coordinates = LinearLogits.solver_coordinates
    if old:
        LinearLogits.solver_coordinates = old_coordinates
    try:
        model = SoftmaxKDERegressor(centers=41, bandwidth=0.08, max_iter=max_iter)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        seconds = time.perf_counter() - t0
    finally:
        LinearLogits.solver_coordinates = new_coordinates
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, seconds, warned


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    X, y = load_robocode_waves(return_X_y=True)
    X, y = X[: args.rows], y[: args.rows]
    width = (y[:, 1] - y[:, 0]) / 0.08
    print(
        f"{args.rows} waves, {X.shape[1]} features, 41 centers, bandwidth 0.08; "
        f"interval widths in bandwidths: median {np.median(width):.2f}, "
        f"10-90% {np.percentile(width, 10):.2f}-{np.percentile(width, 90):.2f}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    results = {}
    for label, old in (("new (centered, std)", False), ("old (max magnitude)", True)):
        model, seconds, warned = fit(X, y, args.max_iter, old)
        results[label] = model.objective_
        print(
            f"{label:<22} {model.n_iter_:>5} it {seconds:>8.1f} s "
            f"ConvergenceWarning={warned!s:<5} objective {model.objective_:.10f}",
            flush=True,
        )
    new, old = results.values()
    print(f"objective gap (old - new) / |new|: {(old - new) / abs(new):.3e}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
