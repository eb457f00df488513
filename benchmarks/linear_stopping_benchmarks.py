"""The linear model's default fit with and without early stopping (issue 25, item 3).

Usage::

    python benchmarks/linear_stopping_benchmarks.py [--quick] [--cache FILE]

For every data set of ``defaults_benchmarks.py`` (its problems, its splits,
its ``linear_grid``), fits ``SoftmaxKDERegressor`` as a new user would, once
with ``early_stopping=False`` (the fit before early stopping existed) and
once at the defaults, and compares their held-out mean log-likelihood with
the best point of the explicit grid over ``alpha`` and ``bandwidth`` (every
point fitted with ``early_stopping=False`` on all the training rows, as the
grid the item was measured against).  Columns: held-out log-likelihood, gap
to the grid best, ``n_iter_`` (and the kept iterate), fit time and whether
a ``ConvergenceWarning`` was raised.  ``--cache`` keeps the grid's scores in
a JSON file, so that reruns fit only the defaults.
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
from defaults_benchmarks import (
    CONFIGS,
    GAP_NATS,
    linear_grid,
    make_problems,
    scott_bandwidth,
)
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor
from skkdece.metrics import log_likelihood_scorer


def fit_scored(problem, **params):
    """Held-out score, fit seconds, n_iter_, best_iteration_, CW raised."""
    model = SoftmaxKDERegressor(period=problem.period, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        model.fit(problem.X_train, problem.y_train)
        seconds = time.perf_counter() - t0
    cw = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    score = log_likelihood_scorer(model, problem.X_test, problem.y_test)
    return dict(
        ll=score,
        fit_s=seconds,
        n_iter=int(model.n_iter_),
        best=int(model.best_iteration_),
        cw=cw,
        bandwidth=float(np.min(model.bandwidth_)),
    )


def grid_best(cfg, problem, default, cache):
    key = f"{problem.name}|{len(problem.y_train)}"
    if key not in cache:
        best = default["ll"]
        grid = linear_grid(cfg, problem, scott_bandwidth(problem))
        for params in grid[1:]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fit_scored(problem, **{"early_stopping": False, **params})
            best = max(best, result["ll"])
        cache[key] = best
    return cache[key]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cache", default=None)
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="JSON of SoftmaxKDERegressor parameters for another 'after' fit",
    )
    args = parser.parse_args(argv)
    variants = [("after", {})] + [
        (f"v{k}", json.loads(v)) for k, v in enumerate(args.variant, 1)
    ]
    cfg = CONFIGS["quick" if args.quick else "full"]
    if args.datasets:
        cfg.datasets = tuple(args.datasets)
    cache = {}
    if args.cache and os.path.exists(args.cache):
        with open(args.cache) as f:
            cache = json.load(f)
    print(f"load average {os.getloadavg()} at start", flush=True)
    for name, params in variants[1:]:
        print(f"{name}: {params}")
    header = "| data set | fit | log-lik | vs grid best | n_iter (kept) | fit s | CW |"
    print(header)
    print("|---" * 7 + "|")
    for problem in make_problems(cfg):
        before = fit_scored(problem, early_stopping=False)
        afters = [(name, fit_scored(problem, **p)) for name, p in variants]
        best = grid_best(cfg, problem, before, cache)
        if args.cache:
            with open(args.cache, "w") as f:
                json.dump(cache, f)
        for name, r in (("before", before), *afters):
            gap = r["ll"] - best
            flag = " **GAP**" if gap < -GAP_NATS else ""
            print(
                f"| {problem.name} | {name} | {r['ll']:.4f} | {gap:+.4f}{flag} | "
                f"{r['n_iter']} ({r['best']}) | {r['fit_s']:.2f} | "
                f"{'yes' if r['cw'] else '-'} |",
                flush=True,
            )
    print(f"load average {os.getloadavg()} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
