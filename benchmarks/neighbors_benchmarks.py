"""SoftmaxKDENeighborsRegressor against its anchors, side by side in one run.

Usage::

    python benchmarks/neighbors_benchmarks.py [--quick] [--skip-memory]

1. **Simulated waves** (``make_guess_factor_waves``, several seeds, the first
   70% of the rows for training and the rest held out): held-out mean
   log-likelihood and hit rate of ``predict_aim`` (window half-width: half the
   median interval width) for the neighbours model, the plain k-nearest-
   neighbour aim (standardised features, equal weights, the same k and
   bandwidth) and the linear model of the demo.
2. **Real waves** (``load_robocode_waves``), per opponent, time-ordered: the
   first 70% of the rounds train, the rest are held out; the neighbours model
   gets the rounds as ``groups``.
3. **Per-iteration time**: one evaluation of the loss and gradient of the
   neighbours objective (n rows, d features, k neighbours, point targets)
   against the linear model's with M = k centers, interleaved medians in
   one process.  Target: at most 1.5x.  The same on one thread for both.
4. **Peak memory** of a fit at n = 1 000 000, d = 10, k = 32 (a child
   process; its own high-water mark).  Target: under 2 GB.
5. **End-to-end fit, split** (``--fit-split``): a default neighbours fit
   (k = 32, two rounds) of the first n real waves (standardised features,
   rounds as ``groups``), its time split into neighbour searches
   (``training_neighbors``), kernel tables (``training_table``) and loss
   evaluations, beside the linear model's fit (32 centers) with the same
   number of iterations and with 200, in the same run.  n = 5 000 and
   20 000; ``--slow`` adds the whole bundled set (45 500) and 1 000 000
   simulated rows (``low_dimensional``, d = 10, no groups); ``--sizes``
   picks others.  The names timed exist in every version since 0.2, so the
   same script times an older tree (``PYTHONPATH=old/src``), and
   ``--before old/src`` alternates fits of that tree and this one, each in
   its own process, in one run (issue 26's before and after)::

       git archive HEAD~3 src | tar -x -C /tmp/old
       cp src/skkdece/_pairs*.so /tmp/old/src/skkdece/  # if the API is the same
       python benchmarks/neighbors_benchmarks.py --fit-split --before \
           /tmp/old/src --sizes 5000 20000 45500 --repeats 3

6. **An evaluation against its kernels** (``--kernel-share N [N ...]``): one
   loss and gradient evaluation on one thread against the compiled pair
   kernels alone over the same pairs, in nanoseconds per pair-feature, at
   each size (``fit_data``'s rows, point targets).  Issue 26 asks the
   evaluation to stay within 2x of the kernels at every n.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skkdece
from skkdece import (
    KDEDistribution,
    SoftmaxKDENeighborsRegressor,
    SoftmaxKDERegressor,
    _neighbors,
    _neighbors_regressor,
)
from skkdece._linear import LinearLogits
from skkdece._neighbors import (
    NeighborEmbedding,
    NeighborLogits,
    locality_order,
    start_weights,
    training_neighbors,
    weighted_points,
)
from skkdece._neighbors_regressor import _TABLE_BLOCK_BYTES
from skkdece._objective import BlockedObjective
from skkdece._tables._factory import training_table
from skkdece.datasets import load_robocode_waves, make_guess_factor_waves
from skkdece.metrics import hit_rate

BANDWIDTH = 0.1  # the demo's guess-factor bandwidth, for every model here


def knn_scores(X_tr, y_tr, X_te, y_te, k, w):
    """The plain nearest-neighbour aim: standardised features, equal weights."""
    scaler = StandardScaler().fit(X_tr)
    nn = NearestNeighbors(n_neighbors=k).fit(scaler.transform(X_tr))
    idx = nn.kneighbors(scaler.transform(X_te), return_distance=False)
    dist = KDEDistribution(
        np.full(idx.shape, -np.log(k)),
        y_tr.mean(axis=1)[idx],
        kernel="gaussian",
        bandwidth=BANDWIDTH,
    )
    ll = float(np.mean(dist.log_likelihood(y_te[:, 0], y_te[:, 1])))
    return ll, hit_rate(y_te, dist.aim(w))


def linear_scores(X_tr, y_tr, X_te, y_te, w):
    scaler = StandardScaler().fit(X_tr)
    model = SoftmaxKDERegressor(centers=24, bandwidth=BANDWIDTH)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(scaler.transform(X_tr), y_tr)
    Z = scaler.transform(X_te)
    return model.score(Z, y_te), hit_rate(y_te, model.predict_aim(Z, w))


def neighbors_scores(X_tr, y_tr, X_te, y_te, k, w, groups=None, **params):
    model = SoftmaxKDENeighborsRegressor(n_neighbors=k, bandwidth=BANDWIDTH, **params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_tr, y_tr, groups=groups)
    fit_s = time.perf_counter() - t0
    return model.score(X_te, y_te), hit_rate(y_te, model.predict_aim(X_te, w)), fit_s


def compare(name, X_tr, y_tr, X_te, y_te, k, groups=None, variants=()):
    w = 0.5 * float(np.median(y_tr[:, 1] - y_tr[:, 0]))
    rows = {
        "linear (demo)": linear_scores(X_tr, y_tr, X_te, y_te, w),
        f"plain KNN k={k}": knn_scores(X_tr, y_tr, X_te, y_te, k, w),
    }
    for label, params in (("neighbours", {}), *variants):
        ll, hr, fit_s = neighbors_scores(
            X_tr, y_tr, X_te, y_te, k, w, groups=groups, **params
        )
        rows[label] = (ll, hr)
        print(f"    [{name}] {label} fit {fit_s:.1f} s", flush=True)
    return rows


def print_rows(name, rows):
    print(f"  {name}")
    for label, (ll, hr) in rows.items():
        print(f"    {label:<28} log-lik {ll:8.4f}   hit rate {hr:.4f}")


def bench_simulated(seeds, n, k):
    print(f"\n1. make_guess_factor_waves, n={n}, first 70% train (k={k})")
    variants = (("neighbours, center", {"neighbor_target": "center"}),)
    totals = {}
    for seed in seeds:
        X, y = make_guess_factor_waves(n, random_state=seed)
        cut = int(0.7 * n)
        rows = compare(
            f"seed {seed}", X[:cut], y[:cut], X[cut:], y[cut:], k, variants=variants
        )
        print_rows(f"seed {seed}", rows)
        for label, v in rows.items():
            totals.setdefault(label, []).append(v)
    print_rows("mean over seeds", {k: np.mean(v, axis=0) for k, v in totals.items()})
    return totals


def bench_real(k, opponents=None):
    print(f"\n2. load_robocode_waves per opponent, first 70% of rounds train (k={k})")
    waves = load_robocode_waves()
    names = opponents or sorted(set(waves.opponent))
    totals = {}
    for opp in names:
        sel = np.flatnonzero(waves.opponent == opp)
        rnd = 1000 * waves.battle[sel] + waves.round[sel]
        order = np.argsort(rnd, kind="stable")
        sel, rnd = sel[order], rnd[order]
        rounds = np.unique(rnd)
        cut = np.isin(rnd, rounds[: int(0.7 * rounds.size)])
        X, y = waves.data[sel], waves.target[sel]
        rows = compare(opp, X[cut], y[cut], X[~cut], y[~cut], k, groups=rnd[cut])
        print_rows(f"{opp} ({cut.sum()} train / {(~cut).sum()} held out)", rows)
        for label, v in rows.items():
            totals.setdefault(label, []).append(v)
    print_rows(
        "mean over opponents", {k: np.mean(v, axis=0) for k, v in totals.items()}
    )
    return totals


def interleaved_medians(functions, rounds):
    for f in functions:
        f()
    times = [[] for _ in functions]
    for _ in range(rounds):
        for i, f in enumerate(functions):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def low_dimensional(n, d, seed=0):
    """d correlated features driven by three latent ones, and a noisy target.

    Wave features are few underlying quantities seen several ways (distance,
    bullet flight time, escape angle...).  With d independent features a tree
    search in 10 dimensions degrades to comparing almost every pair, which at
    n = 1e6 takes hours on two cores; the per-iteration cost of the loss does
    not depend on this.
    """
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    X = latent @ rng.normal(size=(3, d)) + 1e-3 * rng.normal(size=(n, d))
    y = latent.sum(axis=1) + rng.normal(size=n)
    return X, y


def bench_iteration(n, d, k, rounds):
    print(f"\n3. one loss+gradient evaluation, n={n}, d={d}, k=M={k}, point targets")
    X, y = low_dimensional(n, d)
    sw = np.full(n, 1.0 / n)
    t0 = time.perf_counter()
    emb = NeighborEmbedding.from_data(X)
    E = emb.transform(X)
    start = start_weights(emb)
    points = weighted_points(E, start)
    nbrs = training_neighbors(points, k)
    search_s = time.perf_counter() - t0
    # As the estimator does: rows in the search tree's order.
    order = locality_order(points)
    rank = np.empty_like(order)
    rank[order] = np.arange(n)
    nbrs, E, X, y = rank[nbrs[order]], E[order], X[order], y[order]
    nbrs.sort(axis=1)
    h = float(np.std(y) * n**-0.2)
    table_n = training_table(
        y, y, y[nbrs], kernel="gaussian", bandwidth=h, block_bytes=_TABLE_BLOCK_BYTES
    )
    obj_n = BlockedObjective(table_n, NeighborLogits(d, start, 1e-3), (E, nbrs), sw)
    centers = np.linspace(y.min() - h, y.max() + h, k)
    table_l = training_table(y, y, centers, kernel="gaussian", bandwidth=h)
    obj_l = BlockedObjective(
        table_l, LinearLogits(k, d, fit_intercept=True, alpha=1e-4), X, sw
    )
    p_n = NeighborLogits.pack(1.0, start)
    p_l = np.zeros(obj_l.model.n_params)

    def evaluate(objective, params):
        # Each evaluation in its own running(), as in a fit: nested, the
        # outer one's single-threaded BLAS would make the inner objective
        # take one thread (this benchmark compared two threads against one
        # that way until 2026-11-28).
        with objective.running():
            objective.loss_gradient(params)

    both = [lambda: evaluate(obj_n, p_n), lambda: evaluate(obj_l, p_l)]
    t_n, t_l = interleaved_medians(both, rounds)
    threads = (obj_n.n_threads, obj_l.n_threads)
    with threadpool_limits(limits=1):
        t_n1, t_l1 = interleaved_medians(both, rounds)
    ratio = t_n / t_l
    kernels = "compiled" if _neighbors._pairs is not None else "NumPy, not compiled"
    print(f"  neighbour search (training lists): {search_s:.1f} s")
    print(f"  pair kernels: {kernels}")
    print(f"  threads: neighbours {threads[0]}, linear {threads[1]}")
    print(
        f"  neighbours {t_n * 1e3:.1f} ms   linear {t_l * 1e3:.1f} ms   "
        f"ratio {ratio:.2f} (target <= 1.5: {'yes' if ratio <= 1.5 else 'NO'})"
    )
    print(
        f"  one thread: neighbours {t_n1 * 1e3:.1f} ms   linear {t_l1 * 1e3:.1f} ms"
        f"   ratio {t_n1 / t_l1:.2f}"
    )
    return ratio


def kernel_share(n, rounds):
    """One evaluation against its compiled pair kernels alone, one thread.

    The rows as the estimator holds them (``fit_data``: the real waves up to
    45 500 rows, simulated beyond; rows in the search tree's order, the
    start metric, point targets (the waves' interval midpoints), the fit's
    table blocks).  The kernels alone:
    ``pair_logits`` and ``pair_gradient`` over every pair in one call each,
    which is their own cost per pair-feature without the blocks around them.
    """
    X, y, groups = fit_data(n)
    if y.ndim == 2:  # the real waves' hit intervals: their midpoints
        y = y.mean(axis=1)
    emb = NeighborEmbedding.from_data(X)
    E = emb.transform(X)
    start = start_weights(emb)
    points = weighted_points(E, start)
    nbrs = training_neighbors(points, 32, groups=groups)
    order = locality_order(points)
    rank = np.empty_like(order)
    rank[order] = np.arange(n)
    nbrs, E, y = rank[nbrs[order]], np.ascontiguousarray(E[order]), y[order]
    nbrs.sort(axis=1)
    h = float(np.std(y) * n**-0.2)
    table = training_table(
        y, y, y[nbrs], kernel="gaussian", bandwidth=h, block_bytes=_TABLE_BLOCK_BYTES
    )
    sw = np.full(n, 1.0 / n)
    objective = BlockedObjective(
        table, NeighborLogits(E.shape[1], start, 1e-3), (E, nbrs), sw
    )
    params = NeighborLogits.pack(1.0, start)
    positions = nbrs.astype(np.int32)
    z = np.empty(positions.shape)
    g = np.random.default_rng(0).normal(size=positions.shape)
    out = np.zeros(E.shape[1])

    def evaluate():
        with objective.running():
            objective.loss_gradient(params)

    def kernels():
        _neighbors._pairs.pair_logits(E, positions, start, z)
        _neighbors._pairs.pair_gradient(E, positions, g, out)

    with threadpool_limits(limits=1):
        t_eval, t_kernels = interleaved_medians([evaluate, kernels], rounds)
    pair_features = n * positions.shape[1] * E.shape[1]
    return {
        "n": n,
        "d": E.shape[1],
        "blocks": table.n_blocks,
        "evaluation_ns": 1e9 * t_eval / pair_features,
        "kernels_ns": 1e9 * t_kernels / pair_features,
        "ratio": t_eval / t_kernels,
    }


def bench_kernel_share(sizes, rounds):
    print(
        "\n6. one evaluation (one thread) against the compiled pair kernels "
        "alone on the same pairs (k=32); issue 26 asks <= 2x at every n"
    )
    print(
        f"  {'n':>9} {'d':>3} {'blocks':>6} {'eval ns':>8} {'kernels ns':>10} "
        f"{'ratio':>6}"
    )
    rows = []
    for n in sizes:
        r = kernel_share(n, rounds)
        rows.append(r)
        print(
            f"  {n:>9} {r['d']:>3} {r['blocks']:>6} {r['evaluation_ns']:>8.2f} "
            f"{r['kernels_ns']:>10.2f} {r['ratio']:>6.2f}",
            flush=True,
        )
    print("  (ns per pair-feature: seconds / (rows x 32 neighbours x features))")
    return rows


_CHILD = r"""
import json, sys, time, warnings
import numpy as np
from skkdece import SoftmaxKDENeighborsRegressor
sys.path.insert(0, sys.argv[4])
from neighbors_benchmarks import low_dimensional
n, d, k = (int(a) for a in sys.argv[1:4])
X, y = low_dimensional(n, d)
model = SoftmaxKDENeighborsRegressor(n_neighbors=k, max_iter=3, n_rounds=1, tol=0.0)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(X, y)
seconds = time.perf_counter() - t0
with open("/proc/self/status") as status:
    hwm = [line for line in status if line.startswith("VmHWM:")][0]
print(json.dumps({"seconds": seconds, "peak_mb": int(hwm.split()[1]) / 1024,
                  "n_iter": int(model.n_iter_)}))
"""


def bench_memory(n, d, k):
    print(f"\n4. peak memory of a fit, n={n}, d={d}, k={k}, 3 iterations")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(n),
            str(d),
            str(k),
            os.path.dirname(os.path.abspath(__file__)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    ok = r["peak_mb"] < 2048
    print(
        f"  peak {r['peak_mb']:.0f} MB (target < 2048 MB: {'yes' if ok else 'NO'}), "
        f"fit {r['seconds']:.0f} s"
    )
    return r


class _Timed:
    """Calls of a function, timed, while installed in its module's place."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name
        self.function = getattr(owner, name)
        self.seconds, self.calls = 0.0, 0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def __enter__(self):
        if isinstance(self.owner, type):
            timed = self

            def method(obj, *args, **kwargs):
                return timed(obj, *args, **kwargs)

            setattr(self.owner, self.name, method)
        else:
            setattr(self.owner, self.name, self)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.function)


def fit_data(n):
    """The first n real waves (standardised, rounds as groups), or simulated."""
    waves = load_robocode_waves()
    if n <= waves.data.shape[0]:
        X = StandardScaler().fit_transform(waves.data[:n])
        groups = waves.battle[:n] * 1000 + waves.round[:n]
        return X, waves.target[:n], groups
    X, y = low_dimensional(n, 10)
    return X, y, None


def fit_split(n):
    """One neighbours fit split into its parts, and the linear fits beside it."""
    X, y, groups = fit_data(n)
    model = SoftmaxKDENeighborsRegressor()
    with (
        _Timed(_neighbors_regressor, "training_neighbors") as search,
        _Timed(_neighbors_regressor, "training_table") as tables,
        _Timed(BlockedObjective, "loss_gradient") as evaluations,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X, y, groups=groups)
        total = time.perf_counter() - t0
    linear = {}
    for n_iter in (model.n_iter_, 200):
        lin = SoftmaxKDERegressor(
            centers=32, max_iter=n_iter, tol=0.0, location=None, scale=None
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            lin.fit(X, y)
            linear[n_iter] = (time.perf_counter() - t0, int(lin.n_iter_))
    return {
        "n": n,
        "total": total,
        "search": search.seconds,
        "tables": tables.seconds,
        "evaluations": evaluations.seconds,
        "n_evaluations": evaluations.calls,
        "n_iter": int(model.n_iter_),
        "linear_same": linear[model.n_iter_][0],
        "linear_same_iter": linear[model.n_iter_][1],
        "linear_200": linear[200][0],
    }


def bench_fit_split(sizes, repeats):
    print(
        "\n5. end-to-end neighbours fit (k=32, 2 rounds), split; linear fit "
        "(32 centers) beside it"
    )
    print(f"  skkdece from {os.path.dirname(skkdece.__file__)}; medians of {repeats}")
    head = (
        f"  {'n':>9} {'search':>7} {'tables':>7} {'evals':>7} {'total':>7} "
        f"{'iter':>5} {'lin same':>8} {'ratio':>6} {'lin 200':>8} {'ratio':>6}"
    )
    print(head)
    results = []
    for n in sizes:
        runs = [fit_split(n) for _ in range(repeats)]
        med = {
            key: float(np.median([r[key] for r in runs]))
            for key in runs[0]
            if key != "n"
        }
        med["n"] = n
        results.append(med)
        print(
            f"  {n:>9} {med['search']:>7.2f} {med['tables']:>7.2f} "
            f"{med['evaluations']:>7.2f} {med['total']:>7.2f} "
            f"{med['n_iter']:>5.0f} {med['linear_same']:>8.2f} "
            f"{med['total'] / med['linear_same']:>6.2f} "
            f"{med['linear_200']:>8.2f} {med['total'] / med['linear_200']:>6.2f}",
            flush=True,
        )
    print("  (seconds; ratio: the neighbours fit over the linear fit beside it)")
    return results


def _fit_in_child(n, src, threads=None):
    """:func:`fit_split` at ``n`` rows in a new process importing ``src``.

    ``threads``: the BLAS's threads there (and so the loss's, the tables'
    and the search's), through the usual environment variables.
    """
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--fit-one", str(n)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_before_after(sizes, repeats, before, threads=None):
    """Part 5 for an older tree and this one, fits alternating, medians."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(skkdece.__file__)))
    trees = {"before": before, "after": here}
    print(
        "\n5. end-to-end neighbours fit (k=32, 2 rounds), before and after, "
        f"alternating; medians of {repeats}; linear 200: 32 centers, 200 "
        "iterations, same rows, same process"
        + ("" if threads is None else f"; {threads} thread(s)")
    )
    for label, src in trees.items():
        print(f"  {label}: {src}")
    print(
        f"  {'n':>9} {'tree':>6} {'search':>7} {'tables':>7} {'evals':>7} "
        f"{'total':>7} {'iter':>5} {'lin 200':>8} {'ratio':>6} {'load':>5}"
    )
    results = []
    for n in sizes:
        runs = {label: [] for label in trees}
        for _ in range(repeats):
            for label, src in trees.items():
                r = _fit_in_child(n, src, threads)
                r["load"] = os.getloadavg()[0]
                runs[label].append(r)
        for label in trees:
            med = {
                key: float(np.median([r[key] for r in runs[label]]))
                for key in runs[label][0]
            }
            med["tree"] = label
            results.append(med)
            print(
                f"  {n:>9} {label:>6} {med['search']:>7.2f} {med['tables']:>7.2f} "
                f"{med['evaluations']:>7.2f} {med['total']:>7.2f} "
                f"{med['n_iter']:>5.0f} {med['linear_200']:>8.2f} "
                f"{med['total'] / med['linear_200']:>6.2f} {med['load']:>5.2f}",
                flush=True,
            )
    print("  (seconds; ratio: the neighbours fit over the linear fit beside it)")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--iteration-only",
        type=int,
        metavar="N",
        help="only part 3, at N rows",
    )
    parser.add_argument(
        "--fit-split",
        action="store_true",
        help="only part 5 (end-to-end fit split) at 5 000 and 20 000 rows",
    )
    parser.add_argument(
        "--slow",
        action="store_true",
        help="part 5 also at 45 500 and 1 000 000 rows (slow)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="part 5's repeats")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        metavar="N",
        help="part 5's sizes (instead of 5 000 and 20 000, or --slow's)",
    )
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="part 5 alternates fits of this older tree's src folder (for "
        "example from git archive) with this one's, each in its own process",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="T",
        help="with --before: the children's BLAS threads (1: the work alone, "
        "without the second core's share, on a loaded machine)",
    )
    parser.add_argument(
        "--kernel-share",
        type=int,
        nargs="+",
        metavar="N",
        help="only part 6 (an evaluation against its pair kernels) at these sizes",
    )
    parser.add_argument("--fit-one", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="FILE", help="write part 5's rows here")
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.2f}, numpy {np.__version__}"
    )
    if args.fit_one:
        print(json.dumps(fit_split(args.fit_one)))
        return
    if args.fit_split:
        sizes = args.sizes or [5_000, 20_000] + (
            [45_500, 1_000_000] if args.slow else []
        )
        if args.before:
            results = bench_before_after(sizes, args.repeats, args.before, args.threads)
        else:
            results = bench_fit_split(sizes, args.repeats)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f)
        print(f"\nload at the end {os.getloadavg()[0]:.2f}")
        return
    if args.kernel_share:
        bench_kernel_share(args.kernel_share, 5)
        print(f"\nload at the end {os.getloadavg()[0]:.2f}")
        return
    if args.iteration_only:
        bench_iteration(args.iteration_only, 10, 32, 7)
        return
    seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    bench_simulated(seeds, 3000 if args.quick else 5000, k=32)
    bench_real(k=32, opponents=["sample.Crazy"] if args.quick else None)
    bench_iteration(
        100_000 if args.quick else 1_000_000, 10, 32, 5 if args.quick else 7
    )
    if not args.skip_memory:
        bench_memory(200_000 if args.quick else 1_000_000, 10, 32)
    print(f"\nload at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
