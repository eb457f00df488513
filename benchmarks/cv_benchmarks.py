"""SoftmaxKDERegressorCV against its anchors, side by side in one run.

Usage::

    python benchmarks/cv_benchmarks.py [--quick] [--n-jobs N] [--repeats R]
                                       [--parts abc]

Three comparisons, each printed as rows of one table (value, anchor, ratio,
target, pass):

(a) **Path vs GridSearchCV** on Robocode waves (``make_guess_factor_waves``,
    standardised features): ``SoftmaxKDERegressorCV`` and a
    :class:`~sklearn.model_selection.GridSearchCV` of ``SoftmaxKDERegressor``
    over the very same ``alphas_ x bandwidths_`` grid and the same folds.
    Target: the path's refitted model scores at least as well on held-out
    data as the grid search's best, in at most a third of its time.  The
    path runs twice, at the default ``path_tol`` (= ``tol``) and at
    ``path_tol=1e-4`` (ten times ``tol``; the refit stays at ``tol``).
(b) **Conditional density vs statsmodels** on the heteroscedastic problem of
    ``run_benchmarks.py`` (``y = sin(2x) + (0.2 + 0.3|x|) eps``, n = 1000):
    ``make_pipeline(SplineTransformer(...), SoftmaxKDERegressorCV(...))``
    (4 bandwidths x 3 penalties, 3 folds) against
    ``KDEMultivariateConditional(bw="cv_ml")`` (fit and predict).  Target: at
    least its held-out log-likelihood, at least 5x faster.  The CV runs at
    the default ``path_tol`` and at ``path_tol=1e-3`` (ten times ``tol``).
(c) **CV vs the default estimator** on ``make_guess_factor_waves`` and
    ``make_circular_regression``: held-out log-likelihood at least the
    default ``SoftmaxKDERegressor()``'s.

Both sides of a comparison run with the same ``n_jobs`` (default 1), in the
same process, alternately ``--repeats`` times; the table shows the medians of
the wall-clock and of the process CPU times.  Timings on a shared machine vary
from run to run, so the script prints the load average with the table.  (a)
also counts the L-BFGS-B iterations of both sides (with ``n_jobs=1``): the
loss is the same on both, so the ratio of iterations is the ratio of work,
free of the machine's load.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from skkdece import SoftmaxKDERegressor, SoftmaxKDERegressorCV
from skkdece.datasets import make_circular_regression, make_guess_factor_waves


class Table:
    """Rows of (name, value, anchor, ratio, target, passed), printed at the end."""

    def __init__(self):
        self.rows = []

    def add(self, name, value, anchor, ratio, target, passed, fmt="{:.4f}"):
        def show(v):
            return "-" if v is None else fmt.format(v)

        ratio = "-" if ratio is None else f"{ratio:.3f}"
        verdict = "-" if passed is None else ("yes" if passed else "NO")
        self.rows.append((name, show(value), show(anchor), ratio, target, verdict))

    def print(self):
        header = ("benchmark", "value", "anchor", "ratio", "target", "pass")
        widths = [max(len(str(r[k])) for r in [header, *self.rows]) for k in range(6)]
        for r in [header, None, *self.rows]:
            if r is None:
                print("  ".join("-" * w for w in widths))
                continue
            print(
                "  ".join(
                    str(c).ljust(w) if k in (0, 4) else str(c).rjust(w)
                    for k, (c, w) in enumerate(zip(r, widths, strict=True))
                )
            )


def print_machine(details):
    """The machine, its load average at the start, and the run's ``details``."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start; "
        f"{details}"
    )


def timed(function, *args, **kwargs):
    t0 = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - t0


def alternate(functions, repeats):
    """Call the functions in turn ``repeats`` times: last results, median times.

    Returns, for each function, its last result, the median wall-clock time
    and the median CPU time of this process (all threads).
    """
    runs = [[] for _ in functions]
    for _ in range(repeats):
        for k, function in enumerate(functions):
            wall, cpu = time.perf_counter(), time.process_time()
            result = function()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            runs[k].append((result, wall, cpu))
    return [
        (
            run[-1][0],
            float(np.median([r[1] for r in run])),
            float(np.median([r[2] for r in run])),
        )
        for run in runs
    ]


class IterationCounter:
    """A scorer that adds up the L-BFGS-B iterations of the models it scores.

    Scores as the pipeline's own ``score``; only in-process (``n_jobs=1``)
    calls are counted.
    """

    def __init__(self):
        self.n_iter = 0

    def __call__(self, estimator, X, y):
        self.n_iter += estimator[-1].n_iter_
        return estimator.score(X, y)


def waves(n, seed=0):
    X, y = make_guess_factor_waves(n, random_state=seed)
    return train_test_split(X, y, test_size=0.3, random_state=seed)


# ------------------------------------------------------ (a) path vs grid search
def bench_grid_search(table, n, n_jobs, repeats):
    X_train, X_test, y_train, y_test = waves(n)
    folds = KFold(5, shuffle=True, random_state=0)
    common = dict(centers=24, tol=1e-5)
    # The path at the default path_tol (= tol) and at ten times tol.
    path_tols = {"default path_tol": None, "path_tol=1e-4": 1e-4}

    counter, last = IterationCounter(), {}

    def path_fitter(path_tol):
        def fit_path():
            path = make_pipeline(
                StandardScaler(),
                SoftmaxKDERegressorCV(
                    alphas=8,
                    bandwidths=5,
                    cv=folds,
                    n_jobs=n_jobs,
                    path_tol=path_tol,
                    **common,
                ),
            )
            last["path"] = path.fit(X_train, y_train)
            return last["path"]

        return fit_path

    def fit_grid():
        grid = last["path"][-1]  # the grid the path has just searched
        counter.n_iter = 0
        search = GridSearchCV(
            make_pipeline(StandardScaler(), SoftmaxKDERegressor(**common)),
            {
                "softmaxkderegressor__alpha": list(grid.alphas_),
                "softmaxkderegressor__bandwidth": list(grid.bandwidths_),
            },
            cv=folds,
            scoring=counter,
            n_jobs=n_jobs,
        )
        return search.fit(X_train, y_train)

    *paths, (search, t_grid, c_grid) = alternate(
        [*(path_fitter(t) for t in path_tols.values()), fit_grid], repeats
    )
    ll_grid = search.score(X_test, y_test)
    grid_iter = counter.n_iter + search.best_estimator_[-1].n_iter_
    best = search.best_params_
    counted = n_jobs == 1
    for label, (path, t_path, c_path) in zip(path_tols, paths, strict=True):
        ll_path = path.score(X_test, y_test)
        cv = path[-1]
        size = f"{cv.bandwidths_.size}x{cv.alphas_.size} grid, 5 folds"
        table.add(
            f"(a) waves n={n}, {size}, {label}: time path / GridSearchCV",
            t_path,
            t_grid,
            t_path / t_grid,
            "<= 0.333",
            t_path <= t_grid / 3,
            fmt="{:.1f}s",
        )
        table.add(
            "    CPU time, path / GridSearchCV",
            c_path,
            c_grid,
            c_path / c_grid,
            "-",
            None,
            fmt="{:.1f}s",
        )
        table.add(
            "    held-out loglik, path vs GridSearchCV best",
            ll_path,
            ll_grid,
            None,
            ">= anchor - 1e-3",
            ll_path >= ll_grid - 1e-3,
        )
        table.add(
            f"    chosen alpha {cv.alpha_:.3g} bw {cv.bandwidth_:.3g} | grid alpha "
            f"{best['softmaxkderegressor__alpha']:.3g} bw "
            f"{best['softmaxkderegressor__bandwidth']:.3g}",
            np.max(np.mean(cv.scores_, axis=0)),
            search.best_score_,
            None,
            "(CV means)",
            None,
        )
        first = int(np.sum(cv.n_iter_path_[:, :, 0]))
        path_iter = int(np.sum(cv.n_iter_path_)) + cv.n_iter_
        # The grid's refit is not scored: its iterations are added by hand.
        table.add(
            "    L-BFGS iterations (with refits), path / GridSearchCV",
            path_iter,
            grid_iter if counted else None,
            path_iter / grid_iter if counted else None,
            "-",
            None,
            fmt="{:.0f}",
        )
        table.add(
            "    of which the path's first (from zero) fits",
            first,
            grid_iter if counted else None,
            first / grid_iter if counted else None,
            "-",
            None,
            fmt="{:.0f}",
        )


# ------------------------------------------------ (b) conditional density bench
def heteroscedastic(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n)
    y = np.sin(2.0 * x) + (0.2 + 0.3 * np.abs(x)) * rng.normal(size=n)
    return x, y


def bench_statsmodels(table, n, n_test, n_jobs, repeats):
    try:
        from statsmodels.nonparametric.kernel_density import (
            KDEMultivariateConditional,
        )
    except ImportError:
        table.add("(b) statsmodels not installed: skipped", None, None, None, "-", None)
        return
    x, y = heteroscedastic(n, seed=n)
    x_test, y_test = heteroscedastic(n_test, seed=100)

    def statsmodels_fit():
        kde = KDEMultivariateConditional(
            endog=[y], exog=[x], dep_type="c", indep_type="c", bw="cv_ml"
        )
        return kde, kde.pdf(endog_predict=y_test, exog_predict=x_test)

    # The bandwidths of run_benchmarks.py's grid search (around Scott's rule
    # for the marginal of y), three penalties of the default rule, 3 folds.
    scott = float(np.std(y) * n**-0.2)

    path_tols = {"default path_tol": None, "path_tol=1e-3": 1e-3}

    def cv_fitter(path_tol):
        def cv_fit():
            model = make_pipeline(
                SplineTransformer(n_knots=14, degree=3),
                SoftmaxKDERegressorCV(
                    alphas=3,
                    bandwidths=[f * scott for f in (0.6, 0.8, 1.0, 1.25)],
                    centers=32,
                    tol=1e-4,
                    path_tol=path_tol,
                    cv=3,
                    n_jobs=n_jobs,
                ),
            )
            return model.fit(x[:, None], y)

        return cv_fit

    *fits, ((kde, density), t_sm, c_sm) = alternate(
        [*(cv_fitter(t) for t in path_tols.values()), statsmodels_fit], repeats
    )
    with np.errstate(divide="ignore"):
        ll_sm = float(np.mean(np.log(density)))
    bw_sm = ",".join(f"{b:.2g}" for b in kde.bw)
    for label, (model, t_cv, c_cv) in zip(path_tols, fits, strict=True):
        ll_cv = model.score(x_test[:, None], y_test)
        cv = model[-1]
        table.add(
            f"(b) heteroscedastic n={n}, {label}: time CV pipeline / cv_ml",
            t_cv,
            t_sm,
            t_cv / t_sm,
            "<= 0.2",
            t_cv <= t_sm / 5,
            fmt="{:.1f}s",
        )
        table.add(
            "    CPU time, CV pipeline / cv_ml",
            c_cv,
            c_sm,
            c_cv / c_sm,
            "-",
            None,
            fmt="{:.1f}s",
        )
        table.add(
            f"    held-out loglik (alpha {cv.alpha_:.2g}, bw {cv.bandwidth_:.3g} | "
            f"sm bw {bw_sm})",
            ll_cv,
            ll_sm,
            None,
            ">= anchor",
            ll_cv >= ll_sm,
        )


# ----------------------------------------------- (c) CV vs the default estimator
def bench_defaults(table, n, n_jobs):
    problems = {"guess-factor waves": waves(n, seed=1)}
    X, y = make_circular_regression(n, random_state=1)
    problems["circular regression"] = train_test_split(
        X, y, test_size=0.3, random_state=1
    )
    for name, (X_train, X_test, y_train, y_test) in problems.items():
        period = None if y_train.ndim == 2 else 2 * np.pi
        default = make_pipeline(StandardScaler(), SoftmaxKDERegressor(period=period))
        default, t_default = timed(default.fit, X_train, y_train)
        cv_model = make_pipeline(
            StandardScaler(),
            SoftmaxKDERegressorCV(period=period, tol=1e-5, n_jobs=n_jobs),
        )
        cv_model, t_cv = timed(cv_model.fit, X_train, y_train)
        ll_default = default.score(X_test, y_test)
        ll_cv = cv_model.score(X_test, y_test)
        cv = cv_model[-1]
        table.add(
            f"(c) {name} n={n}: held-out loglik CV vs default",
            ll_cv,
            ll_default,
            None,
            ">= anchor",
            ll_cv >= ll_default,
        )
        table.add(
            f"    alpha {cv.alpha_:.2g} (default 1e-4), bw {cv.bandwidth_:.3g} "
            f"(default {default[-1].bandwidth_:.3g}); time",
            t_cv,
            t_default,
            t_cv / t_default,
            "-",
            None,
            fmt="{:.1f}s",
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument(
        "--repeats", type=int, default=1, help="alternate runs of (a) and (b)"
    )
    parser.add_argument(
        "--parts", default="abc", help="which comparisons to run, e.g. 'ab'"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print_machine(f"n_jobs={args.n_jobs}, repeats={args.repeats}")
    table = Table()
    if "a" in args.parts:
        bench_grid_search(table, 600 if args.quick else 1000, args.n_jobs, args.repeats)
    if "b" in args.parts:
        bench_statsmodels(
            table, 300 if args.quick else 1000, 1000, args.n_jobs, args.repeats
        )
    if "c" in args.parts:
        bench_defaults(table, 600 if args.quick else 1000, args.n_jobs)
    table.print()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
