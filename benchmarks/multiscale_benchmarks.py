"""Several bandwidths and target-placed centers (issue 17), side by side.

Usage::

    python benchmarks/multiscale_benchmarks.py [--quick] [--seeds 0 1 2]
                                               [--simulators 1234] [--n-jobs N]
                                               [--repeats R] [--skip-timing]

Four simulated conditional densities, each with its exact ``log p(y | x)``,
so that every model's held-out mean log-likelihood can be read as a gap to
the truth:

1. **Spread changing with x**: ``x ~ U(-1, 1)`` and a pure-noise feature,
   ``y = sin(2x) + sigma(x) z`` with ``z`` skew-normal (shape 4) and
   ``sigma(x) = 0.1 (1 + 2|x|)``: the scale triples from the middle to the
   edges.  Density: ``scipy.stats.skewnorm``.
2. **Rare jumps**: an ARMA(1, 1) series ``y_t = 0.6 y_{t-1} + e_t + 0.3
   e_{t-1}`` whose innovations are ``N(0, 1)`` with probability 0.97 and
   ``N(0, 20^2)`` otherwise; features ``y_{t-1}, y_{t-2}, y_{t-3}`` and the
   previous innovation ``e_{t-1}`` (what a forecaster running this ARMA has:
   its last one-step error), target ``y_t``.  With ``e_{t-1}`` observed the
   conditional density is exactly the two-component normal mixture around
   ``0.6 y_{t-1} + 0.3 e_{t-1}``.  Each data set is one series (after 200
   burn-in steps); the test series is independent of the training one.
3. **Smooth heteroscedastic** (no-regression check): ``x ~ U(-2, 2)``,
   ``y = sin(2x) + 0.3 (1 + 0.2 sin x) eps``.
4. **Five features, heavy tails** (no-regression check): ``x ~ N(0, I_5)``,
   ``y = x . (1, -0.5, 0.25, 0, 0.5) + 0.3 t_3``.

Simulators 1-3 go through ``SplineTransformer(n_knots=8)``, the baseline of
the issue; simulator 4, whose location is linear in the features, through
``StandardScaler`` (linear logits; splines on its five features scored about
0.2 worse for every bandwidth).  Every model has 32 centers per bandwidth and
is tuned on its 800 training rows alone, by ``GridSearchCV(cv=3)`` (for the
ARMA series unshuffled folds, contiguous stretches of the series):

* ``single``: one bandwidth (the model before issue 17), over
  ``{1/8, 1/4, 1/2, 1, 2} x`` Scott's bandwidth of the training targets
  and ``alpha in {1e-6, 1e-5, 1e-4, 1e-3}``.
* ``multi``: ``bandwidth=[h1, h2, ...]``, every (center, bandwidth) pair an
  atom, over the scale sets ``(1/2, 2)``, ``(1/2, 1, 2)`` and ``(1/4, 1, 4)
  x`` the same Scott bandwidth (``MULTI_SETS``: factors of 4 and 16 around
  the rule, two of them holding the rule itself) and the same alphas.
* centers ``even`` (the default), ``quantile`` (``placement="quantile"``) or
  ``kmeans`` (``KMeans(32)`` on the training targets, passed as
  ``centers=``).
* ``multi, quant, =atoms``: the quantile multi model with ``32 // n_scales``
  centers per bandwidth (about as many atoms, hence parameters, as
  ``single``), the number of centers following the set in the search.
* ``truth``: the mean true log-density of the test rows.

Per simulator it prints the mean over seeds of each model's held-out
log-likelihood, the seed-to-seed standard deviation, the gap to the truth,
and the fraction of the ``single, even`` gap that each model closes,
``(LL_model - LL_single) / (LL_true - LL_single)``; then each seed's value
with the chosen alpha and bandwidths.  The summary table checks the issue's
targets for the proposed model (several bandwidths, quantile centers): at
least half the gap closed on simulators 1 and 2, and on 3 and 4 a difference
to ``single`` no worse than two seed-to-seed standard errors below zero.

The **fit-time** lines fit ``SoftmaxKDERegressor`` on simulator 1's spline
features (n = 800, then n = 20 000) with the same 32 evenly spread centers
and ``alpha=1e-4``: one bandwidth (Scott's / 2) against lists of the first
1, 2, 3 and 4 of ``(1/2, 1, 1/4, 2) x`` Scott's, alternately (``--repeats``
rounds, medians), and report ``(time multi / time single) / (atoms multi /
atoms single)``: at most 1 means no worse than linear in the number of
atoms.  ``fit`` lines run to convergence (``tol=1e-5``; the iteration counts
are shown, as more atoms may take more L-BFGS-B iterations); ``30 it`` lines
stop after 30 iterations (``tol=0``), the cost of an iteration alone.

Timings on a shared machine vary from run to run, so the script prints the
load average at the start and at the end.
"""

import argparse
import os
import warnings

import numpy as np

# Sibling script: run from this folder.
from cv_benchmarks import Table, alternate, print_machine, timed
from scipy import stats
from scipy.integrate import trapezoid
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from skkdece import SoftmaxKDERegressor

N_CENTERS = 32
ALPHAS = (1e-6, 1e-5, 1e-4, 1e-3)
SINGLE_FACTORS = (0.125, 0.25, 0.5, 1.0, 2.0)
# Scale sets of the multi model, as multiples of Scott's bandwidth.
MULTI_SETS = ((0.5, 2.0), (0.5, 1.0, 2.0), (0.25, 1.0, 4.0))
MODELS = (
    "single, even",
    "single, quantile",
    "multi, even",
    "multi, quantile",
    "multi, kmeans",
    "multi, quant, =atoms",
)
# Bandwidths added one by one in the fit-time lines (multiples of Scott's).
TIMING_FACTORS = (0.5, 1.0, 0.25, 2.0)  # the first is the single model's


# ------------------------------------------------------------------ simulators
# Each returns X, y and the parameters of the exact conditional density of
# every row; ``LOGPDF[name](params, t)`` evaluates ``log p(t | x)`` with ``t``
# of shape (n,) or, for a grid per row, params reshaped to (n, 1) against
# ``t`` of shape (1, n_grid).


def spread(n, rng):
    x = rng.uniform(-1.0, 1.0, n)
    X = np.column_stack([x, rng.uniform(-1.0, 1.0, n)])
    params = {"loc": np.sin(2.0 * x), "scale": 0.1 * (1.0 + 2.0 * np.abs(x))}
    y = stats.skewnorm.rvs(4.0, **params, random_state=rng)
    return X, y, params


def spread_logpdf(params, t):
    return stats.skewnorm.logpdf(t, 4.0, loc=params["loc"], scale=params["scale"])


JUMP_P, JUMP_SCALE = 0.03, 20.0


def jumps(n, rng, phi=0.6, theta=0.3, burn_in=200):
    m = n + burn_in + 3
    e = rng.normal(size=m) * np.where(rng.random(m) < JUMP_P, JUMP_SCALE, 1.0)
    series = np.zeros(m)
    for t in range(1, m):
        series[t] = phi * series[t - 1] + e[t] + theta * e[t - 1]
    t = np.arange(burn_in + 3, m)
    X = np.column_stack([series[t - 1], series[t - 2], series[t - 3], e[t - 1]])
    return X, series[t], {"loc": phi * series[t - 1] + theta * e[t - 1]}


def jumps_logpdf(params, t):
    return np.logaddexp(
        np.log1p(-JUMP_P) + stats.norm.logpdf(t, params["loc"], 1.0),
        np.log(JUMP_P) + stats.norm.logpdf(t, params["loc"], JUMP_SCALE),
    )


def smooth(n, rng):
    x = rng.uniform(-2.0, 2.0, n)
    params = {"loc": np.sin(2.0 * x), "scale": 0.3 * (1.0 + 0.2 * np.sin(x))}
    return x[:, None], params["loc"] + params["scale"] * rng.normal(size=n), params


def smooth_logpdf(params, t):
    return stats.norm.logpdf(t, params["loc"], params["scale"])


def heavy_tails(n, rng):
    X = rng.normal(size=(n, 5))
    loc = X @ np.array([1.0, -0.5, 0.25, 0.0, 0.5])
    return X, loc + 0.3 * rng.standard_t(3, size=n), {"loc": loc}


def heavy_tails_logpdf(params, t):
    return stats.t.logpdf(t, 3, params["loc"], 0.3)


def spline_features():
    return SplineTransformer(n_knots=8, degree=3)


# Simulators where the issue asks for half the gap closed; on the others the
# multi-scale model should lose nothing.
GAP_TARGET = ("1", "2")
SIMULATORS = {
    "1": ("spread x3 with |x|, skew-normal", spread, spread_logpdf, spline_features),
    "2": ("ARMA(1,1), 3% jumps of 20x", jumps, jumps_logpdf, spline_features),
    "3": ("smooth heteroscedastic sin(2x)", smooth, smooth_logpdf, spline_features),
    "4": ("5 features, t_3 noise", heavy_tails, heavy_tails_logpdf, StandardScaler),
}


def normalisation_error(logpdf, params, y, n_rows=20, n_grid=400_001):
    """Largest |integral of the true density - 1| over the first rows.

    Trapezoid rule on a grid ten target ranges wide on each side of the
    targets, fine enough for the narrowest component of every simulator.
    """
    lo, hi = y.min(), y.max()
    grid = np.linspace(lo - 10.0 * (hi - lo), hi + 10.0 * (hi - lo), n_grid)
    first = {k: v[:n_rows, None] for k, v in params.items()}
    density = np.exp(logpdf(first, grid[None, :]))
    return float(np.max(np.abs(trapezoid(density, grid, axis=1) - 1.0)))


# ---------------------------------------------------------------------- models
def kmeans_centers(y, seed):
    km = KMeans(N_CENTERS, n_init=4, random_state=seed).fit(y[:, None])
    return np.sort(km.cluster_centers_.ravel())


def searches(y, seed, quick):
    """Each model's GridSearchCV grid (step ``softmaxkderegressor``)."""
    scott = float(np.std(y) * len(y) ** -0.2)
    alphas = [1e-4] if quick else list(ALPHAS)
    single_factors = (0.5, 1.0) if quick else SINGLE_FACTORS
    multi_sets = MULTI_SETS[:1] if quick else MULTI_SETS
    single = {"bandwidth": [f * scott for f in single_factors], "alpha": alphas}
    multi = {
        "bandwidth": [[f * scott for f in s] for s in multi_sets],
        "alpha": alphas,
    }
    # The same scale sets with about N_CENTERS atoms in all: as many
    # parameters as the single model, fewer centers per bandwidth.
    budget = [
        {
            "bandwidth": [[f * scott for f in s]],
            "alpha": alphas,
            "centers": [N_CENTERS // len(s)],
            "placement": ["quantile"],
        }
        for s in multi_sets
    ]
    kmeans = kmeans_centers(y, seed)
    return scott, {
        "single, even": single,
        "single, quantile": {**single, "placement": ["quantile"]},
        "multi, even": multi,
        "multi, quantile": {**multi, "placement": ["quantile"]},
        "multi, kmeans": {**multi, "centers": [kmeans]},
        "multi, quant, =atoms": budget,
    }


def prefixed(grid):
    """The grid (a dict or a list of dicts) with the pipeline step's prefix."""
    if isinstance(grid, list):
        return [prefixed(g) for g in grid]
    return {f"softmaxkderegressor__{k}": v for k, v in grid.items()}


def describe(params, scott):
    bw = np.atleast_1d(params["bandwidth"]) / scott
    text = f"a={params['alpha']:.0e} h=" + ",".join(f"{b:.3g}" for b in bw)
    if np.ndim(params.get("centers")) == 0 and "centers" in params:
        text += f" M={params['centers']}"
    return text


def run_simulator(key, seeds, n_train, n_test, n_jobs, quick, models):
    title, simulate, logpdf, features = SIMULATORS[key]
    print(
        f"\n{key}. {title}: {n_train} train / {n_test} test rows, seeds "
        + " ".join(map(str, seeds))
        + f", {type(features()).__name__}, {N_CENTERS} centers per bandwidth",
        flush=True,
    )
    results = {"truth": []}
    chosen, check = {}, []
    for seed in seeds:
        rng = np.random.default_rng([17, int(key), seed])
        X, y, _ = simulate(n_train, rng)
        X_test, y_test, params = simulate(n_test, rng)
        results["truth"].append(float(np.mean(logpdf(params, y_test))))
        check.append(normalisation_error(logpdf, params, y_test))
        scott, grids = searches(y, seed, quick)
        for name in models:
            search = GridSearchCV(
                make_pipeline(
                    features(),
                    SoftmaxKDERegressor(
                        centers=N_CENTERS, tol=1e-5, location=None, scale=None
                    ),
                ),
                prefixed(grids[name]),
                cv=3,
                n_jobs=n_jobs,
            )
            search, elapsed = timed(search.fit, X, y)
            params = {
                k.split("__")[1]: v
                for k, v in search.best_params_.items()
                if k.endswith(("alpha", "bandwidth", "centers"))
            }
            results.setdefault(name, []).append(search.score(X_test, y_test))
            chosen.setdefault(name, []).append(
                f"{describe(params, scott)} ({elapsed:.0f}s)"
            )
    summary = summarise(results)
    print_rows(summary, results, chosen)
    print(f"  truth: largest |integral of p(y|x) - 1| on 20 rows {max(check):.1e}")
    return summary, max(check)


def issue_17_models():
    """The models this checkout can fit: all, or the single-bandwidth ones."""
    try:
        SoftmaxKDERegressor(centers=4, bandwidth=[0.5, 1.0], placement="quantile").fit(
            np.zeros((5, 1)), np.arange(5.0)
        )
    except (TypeError, ValueError):
        return False
    return True


def summarise(results):
    base = np.array(results["single, even"])
    truth = np.array(results["truth"])
    out = {}
    for name, values in results.items():
        v = np.array(values)
        diff = v - base
        se = np.std(diff, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
        out[name] = dict(
            mean=v.mean(),
            sd=np.std(v, ddof=1) if len(v) > 1 else np.nan,
            gap=truth.mean() - v.mean(),
            closed=(v.mean() - base.mean()) / (truth.mean() - base.mean()),
            diff=diff.mean(),
            se=se,
        )
    return out


def print_rows(summary, results, chosen):
    print(
        f"  {'model':<20} {'mean LL':>9} {'seed sd':>8} {'gap':>8} "
        f"{'closed':>7} {'- single':>9} {'+- se':>7}"
    )
    for name, s in summary.items():
        if name == "truth":
            print(f"  {name:<20} {s['mean']:9.4f} {s['sd']:8.4f}")
            continue
        print(
            f"  {name:<20} {s['mean']:9.4f} {s['sd']:8.4f} {s['gap']:8.4f} "
            f"{s['closed']:7.3f} {s['diff']:9.4f} {s['se']:7.4f}"
        )
    print("  per seed: held-out LL, chosen alpha and bandwidths / Scott (search time)")
    for name, values in results.items():
        cells = [f"{v:.4f}" for v in values]
        if name in chosen:
            cells = [f"{c} {d}" for c, d in zip(cells, chosen[name], strict=True)]
        print(f"    {name:<20} " + " | ".join(cells))


# -------------------------------------------------------------------- fit time
def bench_fit_time(table, n, repeats):
    X, y, _ = spread(n, np.random.default_rng([17, 0, n]))
    Z = spline_features().fit_transform(X)
    scott = float(np.std(y) * n**-0.2)
    pad = max(TIMING_FACTORS) * scott
    centers = np.linspace(y.min() - pad, y.max() + pad, N_CENTERS)
    scales = [[f * scott for f in TIMING_FACTORS[:k]] for k in range(1, 5)]
    for label, stop in (("fit", dict(tol=1e-5)), ("30 it", dict(tol=0.0, max_iter=30))):

        def fitter(bandwidth, stop=stop):
            model = SoftmaxKDERegressor(
                centers=centers, bandwidth=bandwidth, alpha=1e-4, **stop
            )
            return lambda: model.fit(Z, y)

        fits = [fitter(TIMING_FACTORS[0] * scott)] + [fitter(b) for b in scales]
        # Last results and median wall times (CPU times unused).
        runs = [(result, wall) for result, wall, _ in alternate(fits, repeats)]
        (single, t_single), multis = runs[0], runs[1:]
        for k, (model, t) in enumerate(multis, start=1):
            ratio = (t / t_single) / k
            iterations = f", {model.n_iter_} vs {single.n_iter_} it"
            table.add(
                f"{label} n={n}: {k} scale{'s' if k > 1 else ''}"
                f"{iterations if label == 'fit' else ''}: "
                f"time ratio / {k}",
                t,
                t_single,
                ratio,
                "info" if k == 1 or label != "fit" else "<= 1",
                None if k == 1 or label != "fit" else ratio <= 1.0,
                fmt="{:.3f}s",
            )


def add_targets(table, key, summary, check):
    base, truth = summary["single, even"], summary["truth"]["mean"]
    table.add(
        f"{key}. single, even: held-out LL vs truth (gap {base['gap']:.4f})",
        base["mean"],
        truth,
        None,
        "info",
        None,
    )
    proposed = summary.get("multi, quantile")
    if proposed is None:
        table.add("   multi, quantile: not in this checkout", *[None] * 3, "-", None)
    elif key in GAP_TARGET:
        table.add(
            "   multi, quantile: LL vs single; gap closed",
            proposed["mean"],
            base["mean"],
            proposed["closed"],
            ">= 0.5",
            proposed["closed"] >= 0.5,
        )
    else:
        table.add(
            f"   multi, quantile - single: {proposed['diff']:+.4f} "
            f"+- {proposed['se']:.4f} (se); gap closed",
            proposed["mean"],
            base["mean"],
            proposed["closed"],
            "diff >= -2 se",
            bool(proposed["diff"] >= -2.0 * proposed["se"]),
        )
    for name in MODELS[1:]:
        if name == "multi, quantile":
            continue
        if name in summary:
            s = summary[name]
            table.add(
                f"   {name}: LL vs single; gap closed",
                s["mean"],
                base["mean"],
                s["closed"],
                "info",
                None,
            )
    table.add(
        "   truth: largest |integral of p(y|x) - 1|",
        check,
        None,
        None,
        "< 1e-6",
        check < 1e-6,
        fmt="{:.1e}",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, small grids")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--simulators", default="1234")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=None, help="fit-time rounds")
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args(argv)
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    n_train, n_test = (400, 2000) if args.quick else (800, 10_000)
    repeats = args.repeats or (1 if args.quick else 5)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print_machine(f"n_jobs={args.n_jobs}{', quick' if args.quick else ''}")
    models = MODELS if issue_17_models() else MODELS[:1]
    if len(models) == 1:
        print("no bandwidth lists or placement in this checkout: single only")
    table = Table()
    for key in args.simulators:
        summary, check = run_simulator(
            key, seeds, n_train, n_test, args.n_jobs, args.quick, models
        )
        add_targets(table, key, summary, check)
    if not args.skip_timing and len(models) > 1:
        bench_fit_time(table, 800, repeats)
        if not args.quick:
            bench_fit_time(table, 20_000, repeats)
    print()
    table.print()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
