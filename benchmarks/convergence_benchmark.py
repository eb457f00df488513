"""Iterations and time of the hard guess-factor fit, before and after issue 13.

Run from the repository root::

    python benchmarks/convergence_benchmark.py [--max-iter 1000] [--rows 20000]
                                               [--study [--newton-seconds 120]]

Fits ``SoftmaxKDERegressor(centers=41, bandwidth=0.08)`` to the first
``--rows`` real Robocode waves (11 features, intervals as recorded) twice,
alternately: with the solver's coordinates of today (features centered on
their means and scaled by their standard deviations) and the old way (each
coefficient scaled by its feature's largest magnitude, intercepts as they
are).  Prints iterations, time, whether a ConvergenceWarning was raised and
the objective reached, and the relative gap between the two objectives.

``--study`` asks instead how far the target of issue 13 (at most 150
iterations and 3 s, within 1e-6 of the fully converged objective) is from
any solver, on the same objective:

* the reference: L-BFGS-B on fully whitened features (centered, times the
  inverse Cholesky factor of their weighted covariance), run until the
  projected gradient is below 1e-6, and the iterations it took to come within
  1e-6 (and 1e-3, 1e-2) of its own final objective;
* today's fit after ``--max-iter`` iterations, and its gap to the reference;
* the same with each row's own quadrature nodes instead of the shared grid
  (is the grid to blame?);
* a trust-region Newton method (SciPy's ``trust-ncg``) on the whitened
  features with Hessian-vector products from central differences of the
  exact gradient, for ``--newton-seconds``: Newton iterations, products and
  the objective reached.

Each evaluation of this objective takes about 30 ms here, so 3 s is about
100 evaluations.  The study takes about ten minutes.
"""

import argparse
import os
import time
import warnings

import numpy as np
import skkdece._loss
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor
from skkdece._fit import linear_objective, place_kernels
from skkdece._linear import LinearLogits, feature_moments, feature_scale
from skkdece._solver import _DiagonalScale
from skkdece._targets import TargetSummary, split_targets
from skkdece.datasets import load_robocode_waves

CENTERS, BANDWIDTH, ALPHA = 41, 0.08, 1e-4


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
        model = SoftmaxKDERegressor(
            centers=CENTERS, bandwidth=BANDWIDTH, alpha=ALPHA, max_iter=max_iter
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        seconds = time.perf_counter() - t0
    finally:
        LinearLogits.solver_coordinates = new_coordinates
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model, seconds, warned


class Whitened:
    """Solver coordinates on whitened features: ``coef = V @ Q``, with
    ``Q = inv(R).T`` for the Cholesky factor ``R`` of the features' weighted
    covariance, and ``intercept = b - coef @ mean``."""

    def __init__(self, model, X, sample_weight):
        self.M, self.d = model.n_centers, model.n_features
        self.mean, _ = feature_moments(X, sample_weight)
        w = sample_weight / sample_weight.sum()
        centered = X - self.mean
        covariance = centered.T @ (centered * w[:, None])
        self.Q = np.linalg.inv(np.linalg.cholesky(covariance).T).T

    def from_solver(self, u):
        U = u.reshape(self.M, self.d + 1)
        coef = U[:, : self.d] @ self.Q
        return np.concatenate([coef.ravel(), U[:, self.d] - coef @ self.mean])

    def gradient(self, grad):
        g_coef = grad[: self.M * self.d].reshape(self.M, self.d)
        g_intercept = grad[self.M * self.d :]
        g_v = (g_coef - np.outer(g_intercept, self.mean)) @ self.Q.T
        return np.column_stack([g_v, g_intercept]).ravel()


def objective_of(X, y, grid=True):
    """The fit's model, blocked objective and unit weights, as ``fit`` builds
    them (``grid=False``: every row on its own quadrature nodes)."""
    lower, upper = split_targets(y, target_width=0.0, period=None, n_samples=len(y))
    weights = np.ones(X.shape[0])
    summary = TargetSummary.from_targets(lower, upper, weights)
    use_grid = skkdece._tables.use_grid
    if not grid:
        skkdece._tables.use_grid = lambda *args, **kwargs: False
    try:
        _, table = place_kernels(
            summary,
            lower,
            upper,
            centers=CENTERS,
            bandwidth=BANDWIDTH,
            kernel="gaussian",
            loss="cross_entropy",
            n_quadrature=None,
            sample_weight=weights,
        )
    finally:
        skkdece._tables.use_grid = use_grid
    model, objective = linear_objective(
        table, X, weights, fit_intercept=True, alpha=ALPHA
    )
    return model, objective, weights


def lbfgs_history(objective, coordinates, u0, max_iter):
    """L-BFGS-B as ``minimize_lbfgs`` runs it; the objective per iteration."""
    history = []

    def fun(u):
        value, grad = objective.loss_gradient(coordinates.from_solver(u))
        return value, coordinates.gradient(grad)

    def record(intermediate_result):
        history.append(intermediate_result.fun)

    t0 = time.perf_counter()
    result = minimize(
        fun,
        u0,
        method="L-BFGS-B",
        jac=True,
        callback=record,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "gtol": 1e-6,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    return result, np.array(history), time.perf_counter() - t0


def first_within(history, reference, rtol):
    """The first iteration whose objective is within ``rtol`` of ``reference``."""
    hits = np.flatnonzero(history - reference <= rtol * abs(reference))
    return int(hits[0]) + 1 if hits.size else None


def newton(objective, coordinates, n_params, seconds):
    """``trust-ncg`` with central-difference Hessian-vector products, stopped
    after ``seconds``: (iterations, products, objective)."""
    state = {"products": 0, "iterations": 0, "value": np.nan}
    t0 = time.perf_counter()

    def grad_at(u):
        return coordinates.gradient(
            objective.loss_gradient(coordinates.from_solver(u))[1]
        )

    def fun(u):
        value, grad = objective.loss_gradient(coordinates.from_solver(u))
        return value, coordinates.gradient(grad)

    def hessp(u, p):
        state["products"] += 1
        step = 1e-6 / max(np.linalg.norm(p), 1e-300)
        return (grad_at(u + step * p) - grad_at(u - step * p)) / (2 * step)

    def record(intermediate_result):
        state["iterations"] += 1
        state["value"] = intermediate_result.fun
        if time.perf_counter() - t0 > seconds:
            raise StopIteration

    minimize(
        fun,
        np.zeros(n_params),
        method="trust-ncg",
        jac=True,
        hessp=hessp,
        callback=record,
        options={"maxiter": 100_000, "gtol": 1e-6},
    )
    return state["iterations"], state["products"], state["value"]


def study(X, y, max_iter, newton_seconds):
    """How far issue 13's convergence target is from any solver (see the
    module's docstring)."""
    model, objective, weights = objective_of(X, y)
    whitened = Whitened(model, X, weights)
    today = model.solver_coordinates(X, weights)
    zeros = np.zeros(model.n_params)
    with objective.running():
        t0 = time.perf_counter()
        for _ in range(10):
            objective.loss_gradient(zeros)
        per_evaluation = (time.perf_counter() - t0) / 10
        print(f"one evaluation: {1e3 * per_evaluation:.1f} ms", flush=True)
        result, ref_history, seconds = lbfgs_history(
            objective, whitened, zeros, 100_000
        )
        reference = result.fun
        print(
            f"reference, whitened L-BFGS-B: {result.nit} it, {seconds:.0f} s, "
            f"objective {reference:.10f} ({result.message})"
        )
        for rtol in (1e-2, 1e-3, 1e-4, 1e-6):
            print(
                f"  within {rtol:.0e} of it after "
                f"{first_within(ref_history, reference, rtol)} iterations"
            )
        at = [k for k in (150, 1000) if k <= ref_history.size]
        print(
            "  objective at "
            + ", ".join(f"{k} it: {ref_history[k - 1]:.6f}" for k in at)
        )
        result, history, seconds = lbfgs_history(
            objective, today, today.to_solver(zeros), max_iter
        )
        print(
            f"today's coordinates: {result.nit} it, {seconds:.1f} s, objective "
            f"{result.fun:.6f} (150 it: {history[min(149, history.size - 1)]:.6f}); "
            f"gap to the reference {(result.fun - reference) / abs(reference):.2e}",
            flush=True,
        )
        iterations, products, value = newton(
            objective, whitened, model.n_params, newton_seconds
        )
        print(
            f"trust-ncg, whitened, {newton_seconds:.0f} s: {iterations} Newton "
            f"iterations, {products} Hessian-vector products, objective "
            f"{value:.6f}; gap {(value - reference) / abs(reference):.2e}",
            flush=True,
        )
    _, per_row, _ = objective_of(X, y, grid=False)
    with per_row.running():
        result, history, seconds = lbfgs_history(
            per_row, today, today.to_solver(zeros), max_iter
        )
    gap = (result.fun - reference) / abs(reference)
    print(
        f"per-row nodes, today's coordinates: {result.nit} it, {seconds:.1f} s, "
        f"objective {result.fun:.6f}; gap {gap:.2e}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--study", action="store_true")
    parser.add_argument("--newton-seconds", type=float, default=120.0)
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
    if args.study:
        study(np.asarray(X, dtype=np.float64), y, args.max_iter, args.newton_seconds)
        return
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
