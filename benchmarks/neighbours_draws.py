"""The neighbours model against plain KNN over several draws of battles (issue 25).

Usage::

    python benchmarks/neighbours_draws.py                 # five draws, ~10 min
    python benchmarks/neighbours_draws.py --draws 11 12   # other draws
    python benchmarks/neighbours_draws.py --real          # the real waves, ~25 min
    python benchmarks/neighbours_draws.py --smoke         # tiny, seconds

``defaults_benchmarks.py`` scores each simulated movement on one draw of
battles (six train, two are held out, 300 waves each).  Whether the
neighbours model's defaults hit more often than a plain k = 50 KNN density
there is decided by differences of 0.002-0.06 in hit rate, at most about
one draw's standard error.  This script asks the same question over several
draws (the ``seed`` of ``defaults_benchmarks.wave_problems``; 11 is that
script's), for the defaults and for the configurations an expert might pick
instead:

* ``defaults``: ``SoftmaxKDENeighborsRegressor()`` (learned metric, k = 32);
* ``fixed``: ``metric="fixed"`` (the start metric, no sharpness learned);
* ``k=50``: ``n_neighbors=50``; ``fixed k=50``: both;
* ``choice``, ``choice k=50``: the learned or the fixed metric, whichever
  scores better on the last fifth of the training rows when fitted on the
  rows before it less the defaults' serial window (so that no fitted row is
  a near-duplicate of a scored one), then refitted on all rows: a
  data-driven ``metric="auto"``;
* ``KNN k=50``: ``defaults_benchmarks.knn_row``'s density (standardised
  features, 50 nearest, equal weights, gaussian h = 0.1 at the midpoints).

Per draw and movement: held-out mean log-likelihood and hit rate of
``predict_aim(X, 0.1)``.  Pooled over the draws, per movement and
configuration: the mean over the draws of the hit rate minus KNN's, with
the standard error of that mean from the spread of the draws' differences
(each draw is its own fit on its own battles; with one draw, from its
``SE_BLOCKS`` paired blocks of held-out rows), and on how many draws it is
ahead.  Five draws give a rough standard error: read it with the count.
The last lines count, per configuration, the movements on which the pooled
hit rate is not ahead of KNN's (issue 25 allows one) and the mean
log-likelihood over all the movements.

With ``--real``, the bundled real waves instead (``defaults_benchmarks``'
split: each opponent's first battle trains, its second scores): one draw,
the opponents in place of the movements.
"""

import argparse
import platform
import sys
import time
import warnings

# Sibling script: run from this folder (Python puts it on sys.path).
import defaults_benchmarks as db
import numpy as np

from skkdece import SoftmaxKDENeighborsRegressor
from skkdece.metrics import log_likelihood_scorer, mean_log_likelihood

DRAWS = (11, 21, 31, 41, 51)
CHOICE_FRACTION = 0.2  # the last fifth of the training rows scores the choice
CHOICE_MIN_ROWS = 60  # rows the choice's fits need at least

CONFIGS = {
    "defaults": {},
    "fixed": dict(metric="fixed"),
    "k=50": dict(n_neighbors=50),
    "fixed k=50": dict(metric="fixed", n_neighbors=50),
}
# Each choice's candidates: the configuration fitted for each metric.
CHOICES = {
    "choice": {"learned": "defaults", "fixed": "fixed"},
    "choice k=50": {"learned": "k=50", "fixed": "fixed k=50"},
}


def fitted(params, X, y):
    model = SoftmaxKDENeighborsRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the serial window's notice
        model.fit(X, y)
    return model


def scored(problem, model):
    """Held-out log-likelihood, hit rate and per-block hit rates."""
    dist = model.predict_distribution(problem.X_test)  # predicted once
    ll = mean_log_likelihood(problem.y_test, dist)
    hit = db.aim_hit_rate(problem, dist.aim(db.AIM_HALF_WIDTH))
    return ll, hit, db.block_scores(problem, dist)[1]


def metric_choice(problem, candidates, window):
    """The learned or the fixed metric, by the score on the training tail."""
    n = len(problem.y_train)
    first = n - int(np.ceil(CHOICE_FRACTION * n))  # the scored tail's first row
    cut = first - window  # the fits end a serial window before it
    if cut < CHOICE_MIN_ROWS:
        raise ValueError(
            f"{n} training rows leave {cut} rows before the tail and its serial "
            f"window of {window} rows; the choice needs {CHOICE_MIN_ROWS}."
        )
    tail = slice(first, n)
    scores = {}
    for metric, config in candidates.items():
        model = fitted(CONFIGS[config], problem.X_train[:cut], problem.y_train[:cut])
        scores[metric] = log_likelihood_scorer(
            model, problem.X_train[tail], problem.y_train[tail]
        )
    pick = max(scores, key=scores.get)  # a tie keeps the learned metric
    return pick, scores


def run_draw(problems, seed, log):
    """``{movement: {config: (ll, hit, blocks)}}`` and the choices' picks."""
    results, picks = {}, {}
    for problem in problems:
        t0 = time.perf_counter()
        knn = db.knn_row(problem)
        found = {"KNN k=50": (knn["ll"], knn["hit"], knn["blocks"][1])}
        window = 0
        for name, params in CONFIGS.items():
            model = fitted(params, problem.X_train, problem.y_train)
            if name == "defaults":
                window = int(model.exclude_adjacent_)
            found[name] = scored(problem, model)
        for name, candidates in CHOICES.items():
            pick, scores = metric_choice(problem, candidates, window)
            # Refitted on all rows, the pick is that configuration's fit.
            found[name] = found[candidates[pick]]
            picks[(problem.name, name)] = (pick, scores)
        results[problem.name] = found
        log(f"  draw {seed} {problem.name}: {time.perf_counter() - t0:.0f} s")
    return results, picks


def report(draws, runs, out):
    names = ["KNN k=50", *CONFIGS, *CHOICES]
    movements = list(runs[0][0])
    for seed, (results, picks) in zip(draws, runs, strict=True):
        out(f"draw {seed}: held-out log-likelihood / hit rate")
        out(f"{'movement':20s}" + "".join(f"{n:>18s}" for n in names))
        for movement in movements:
            cells = "".join(
                f"{results[movement][n][0]:>9.3f} /{results[movement][n][1]:6.3f}"
                for n in names
            )
            out(f"{movement:20s}{cells}")
        for (movement, name), (pick, scores) in picks.items():
            shown = ", ".join(f"{m} {s:.3f}" for m, s in scores.items())
            out(f"  {name} on {movement}: {pick} (tail scores {shown})")
        out("")
    out(
        "pooled over the draws: hit rate minus KNN's (standard error), "
        "draws ahead; mean log-likelihood"
    )
    out(f"{'movement':20s}" + "".join(f"{n:>28s}" for n in names[1:]))
    behind = dict.fromkeys(names[1:], 0)
    mean_ll = {n: [] for n in names}
    for movement in movements:
        cells = []
        for name in names[1:]:
            per_draw = [
                r[movement][name][1] - r[movement]["KNN k=50"][1] for r, _ in runs
            ]
            ahead = sum(d > 0 for d in per_draw)
            gain = float(np.mean(per_draw))
            if len(runs) > 1:  # the draws' spread: each draw is its own fit
                se = float(np.std(per_draw, ddof=1) / np.sqrt(len(runs)))
            else:  # one draw: its paired held-out blocks
                found = runs[0][0][movement]
                se = db.difference_se(found[name][2], found["KNN k=50"][2])
            behind[name] += gain <= 0
            ll = float(np.mean([r[movement][name][0] for r, _ in runs]))
            cells.append(f"{gain:+.3f} ({se:.3f}) {ahead}/{len(runs)} {ll:7.3f}")
        for name in names:
            mean_ll[name].append(np.mean([r[movement][name][0] for r, _ in runs]))
        out(f"{movement:20s}" + "".join(f"{c:>28s}" for c in cells))
    out("")
    out("movements not ahead of KNN (pooled hit rate); mean log-likelihood over all")
    for name in names:
        count = "-" if name == "KNN k=50" else str(behind[name])
        out(
            f"  {name:12s} not ahead on {count:>2s} of {len(movements)}; "
            f"log-likelihood {np.mean(mean_ll[name]):.3f}"
        )
    return behind


def run(draws=DRAWS, smoke=False, real=False, log=print, out=print):
    cfg = db.CONFIGS["full"]
    if smoke:
        cfg = db.dataclasses.replace(
            cfg,
            movements=("independent", "long"),
            battles=4,
            ticks=60,
            opponents=1,
            real_rows=300,
        )
    out(
        f"machine: {platform.machine()}, {db.os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, numpy {np.__version__}; "
        + (
            "real waves, first battle trains, second scores"
            if real
            else f"draws {' '.join(map(str, draws))}; battles {cfg.battles} x "
            f"{cfg.ticks} waves, the last quarter held out"
        )
    )
    t0 = time.perf_counter()
    if real:
        runs = [run_draw(db.real_wave_problems(cfg), "real", log)]
        draws = ("real",)
    else:
        runs = [run_draw(db.wave_problems(cfg, seed=s), s, log) for s in draws]
    behind = report(draws, runs, out)
    out(f"total {time.perf_counter() - t0:.0f} s")
    return runs, behind


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, nargs="+", default=list(DRAWS))
    parser.add_argument("--smoke", action="store_true", help="tiny, seconds")
    parser.add_argument(
        "--real", action="store_true", help="the bundled real waves instead"
    )
    args = parser.parse_args(argv)
    run(
        tuple(args.draws),
        smoke=args.smoke,
        real=args.real,
        log=lambda s: print(s, file=sys.stderr),
    )


if __name__ == "__main__":
    main()
