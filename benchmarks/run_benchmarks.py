"""Speed and memory of skkdece against its anchors, in one run.

Run from the repository root::

    python benchmarks/run_benchmarks.py           # full sizes, 2-5 minutes
    python benchmarks/run_benchmarks.py --quick   # small sizes, < 1 minute
    python benchmarks/run_benchmarks.py --smoke   # every line at toy sizes (the tests')

Every timing is a median over rounds in which our code and its anchor run
alternately in the same process, so that both see the same machine load; the
ratio is ours / anchor.  Peak memory of the large fits is measured in a child
process (its own ``ru_maxrss``), so that it includes everything the fit
allocates and nothing this script does.  See ``benchmarks/README.md`` for what
each line measures.
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

HEADER = (
    f"{'benchmark':<46} {'ours':>10} {'anchor':>10} {'ratio':>7} "
    f"{'target':>9} {'pass':>5} {'peak MB':>8}"
)


# --------------------------------------------------------------------- helpers
def interleaved_medians(functions, rounds, settle=0.0):
    """Median wall time of each function, calling them in turn each round.

    With ``settle`` > 0, each timed call comes after untimed calls of the same
    function for at least ``settle`` seconds, so that it runs in its own
    steady state, as in a fit, and not in what the other function left
    behind: a multithreaded BLAS keeps its threads spinning on the cores for
    0.1-0.2 s after a product (measured here), which halves the speed of
    anything else that wants both cores.
    """
    for f in functions:  # warm-up: buffers, caches, lazy imports
        f()
    times = [[] for _ in functions]
    for _ in range(rounds):
        for i, f in enumerate(functions):
            if settle > 0:
                t_end = time.perf_counter() + settle
                f()
                while time.perf_counter() < t_end:
                    f()
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


def fmt_time(seconds):
    if seconds is None or not np.isfinite(seconds):
        return "-"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


class Report:
    def __init__(self):
        self.rows = []

    def add(self, name, ours, anchor, ratio, target, passed, peak="-", unit=None):
        fmt = fmt_time if unit is None else unit
        self.rows.append(
            (
                name,
                fmt(ours),
                fmt(anchor),
                "-" if ratio is None else f"{ratio:.3g}",
                target,
                "-" if passed is None else ("PASS" if passed else "FAIL"),
                peak,
            )
        )
        print(f"  done: {name}", file=sys.stderr, flush=True)

    def print(self):
        print(HEADER)
        print("-" * len(HEADER))
        for name, ours, anchor, ratio, target, passed, peak in self.rows:
            print(
                f"{name:<46} {ours:>10} {anchor:>10} {ratio:>7} "
                f"{target:>9} {passed:>5} {peak:>8}"
            )


def nstr(n):
    """1e5 for 100000, 2e4 for 20000."""
    mantissa, exponent = f"{n:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def regression_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, :3].sum(axis=1) + rng.normal(size=n)
    return X, y


def scott_bandwidth(y):
    return float(np.std(y) * y.shape[0] ** -0.2)


def nodes_per_row(table):
    """Quadrature nodes per row: per-row nodes, or grid nodes in each row's band."""
    from skkdece._tables._grid import GridTable
    from skkdece._tables._split_table import SplitTable

    parts = table.parts if isinstance(table, SplitTable) else [(table, None)]
    total = 0.0
    for part, _ in parts:
        if isinstance(part, GridTable):
            total += float(np.sum(part.band_lengths()))
        else:
            total += part.quad.nodes.shape[0]
    return total / table.n_samples


# ------------------------------------------------------- loss and gradient
_SETTLE = 0.3  # seconds of untimed calls before each timed loss evaluation


def bench_loss_gradient(report, n, rounds):
    from sklearn._loss.loss import HalfMultinomialLoss
    from sklearn.linear_model._linear_loss import LinearModelLoss
    from threadpoolctl import threadpool_limits

    from skkdece._linear import LinearLogits
    from skkdece._objective import BlockedObjective, blas_threads
    from skkdece._tables._factory import training_table

    d, M, alpha = 20, 32, 1e-4
    # As a fit runs it: on as many threads as the BLAS may use.
    n_threads = blas_threads()
    X, y = regression_data(n, d)
    h = scott_bandwidth(y)
    centers = np.linspace(y.min() - h, y.max() + h, M)
    rng = np.random.default_rng(1)
    params = rng.normal(scale=0.1, size=M * (d + 1))
    sw = np.full(n, 1.0 / n)

    anchor = LinearModelLoss(
        base_loss=HalfMultinomialLoss(n_classes=M), fit_intercept=True
    )
    labels = np.digitize(y, centers[1:-1]).astype(np.float64)
    coef_anchor = params.reshape(M, d + 1)

    def anchor_call(threads=1):
        anchor.loss_gradient(
            coef_anchor, X, labels, l2_reg_strength=alpha, n_threads=threads
        )

    def ours_for(lower, upper, threads):
        table = training_table(lower, upper, centers, kernel="gaussian", bandwidth=h)
        model = LinearLogits(M, d, fit_intercept=True, alpha=alpha)
        loss = BlockedObjective(table, model, X, sw, n_threads=threads)
        return (lambda: loss.loss_gradient(params)), nodes_per_row(table)

    width_rng = np.random.default_rng(2)
    mixed = width_rng.uniform(0.0, 2.0 * h, n)
    mixed[: n // 4] = 0.0
    width_rng.shuffle(mixed)
    cases = [
        ("points", y, y, "<= 1.25"),
        ("intervals 1h", y - h / 2, y + h / 2, "<= 1.5"),
        ("intervals 5h (grid)", y - 2.5 * h, y + 2.5 * h, "<= 1.5"),
        ("intervals h/4", y - h / 8, y + h / 8, "info"),
        ("25% points, U(0,2h)", y, y + mixed, "info"),
    ]
    for label, lower, upper, target in cases:
        # Each line has its own anchor runs, alternating with ours.
        ours_call, nodes = ours_for(lower, upper, n_threads)
        t_ours, t_anchor = interleaved_medians(
            [ours_call, anchor_call], rounds, settle=_SETTLE
        )
        ratio = t_ours / t_anchor
        passed = None if target == "info" else ratio <= float(target.split()[-1])
        report.add(
            f"loss+grad {nstr(n)}: {label} ({nodes:.3g} nodes/row)",
            t_ours,
            t_anchor,
            ratio,
            target,
            passed,
        )
        if n_threads > 1:
            # Both on one core: what a user limited to one thread sees.
            one_call, _ = ours_for(lower, upper, 1)
            with threadpool_limits(limits=1, user_api="blas"):
                t_one, t_anchor = interleaved_medians(
                    [one_call, anchor_call], rounds, settle=_SETTLE
                )
            report.add(
                "  same, one thread for both",
                t_one,
                t_anchor,
                t_one / t_anchor,
                "info",
                None,
            )
            del one_call
        del ours_call
    if n_threads > 1:
        # LogisticRegression runs the anchor with n_threads=1; this line shows
        # what the anchor's own threads would change.
        t_threads, t_anchor = interleaved_medians(
            [lambda: anchor_call(n_threads), anchor_call], rounds, settle=_SETTLE
        )
        report.add(
            f"  anchor with n_threads={n_threads} / anchor",
            t_threads,
            t_anchor,
            t_threads / t_anchor,
            "info",
            None,
        )


def bench_widths(report, n, rounds):
    """Time per evaluation against the intervals' width, as a fit runs it."""
    from skkdece._linear import LinearLogits
    from skkdece._objective import BlockedObjective, blas_threads
    from skkdece._tables._factory import training_table

    d, M, alpha = 20, 32, 1e-4
    X, y = regression_data(n, d)
    h = scott_bandwidth(y)
    centers = np.linspace(y.min() - h, y.max() + h, M)
    params = np.random.default_rng(1).normal(scale=0.1, size=M * (d + 1))
    sw = np.full(n, 1.0 / n)
    calls, nodes = [], []
    for width in _WIDTHS:
        table = training_table(
            y - width * h / 2,
            y + width * h / 2,
            centers,
            kernel="gaussian",
            bandwidth=h,
        )
        model = LinearLogits(M, d, fit_intercept=True, alpha=alpha)
        objective = BlockedObjective(table, model, X, sw, n_threads=blas_threads())
        calls.append(lambda objective=objective: objective.loss_gradient(params))
        nodes.append(nodes_per_row(table))
    times = interleaved_medians(calls, rounds, settle=_SETTLE)
    for width, t, k in zip(_WIDTHS, times, nodes, strict=True):
        report.add(
            f"width {width:g}h, {nstr(n)}: time/eval vs points ({k:.3g} nodes/row)",
            t,
            times[0],
            t / times[0],
            "info",
            None,
        )


_WIDTHS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)


# --------------------------------------------------- degenerate logistic fit
def bench_degenerate_fit(report, n, rounds):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from skkdece import SoftmaxKDERegressor

    d, K, alpha, tol, h = 20, 10, 1e-4, 1e-6, 0.5
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, d))
    logits = X @ (0.5 * rng.normal(size=(K, d))).T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = np.argmax(p.cumsum(axis=1) > rng.uniform(size=(n, 1)), axis=1)
    # Intervals inside each class's tophat support: the loss is the softmax
    # cross-entropy plus log(2h), so the optimum is LogisticRegression's.
    lower = labels - rng.uniform(0.0, 0.45, n)
    upper = labels + rng.uniform(0.0, 0.45, n)
    Y = np.column_stack([lower, upper])
    fitted = {}

    def ours():
        fitted["ours"] = SoftmaxKDERegressor(
            centers=np.arange(K, dtype=float),
            bandwidth=h,
            kernel="tophat",
            alpha=alpha,
            tol=tol,
            max_iter=1000,
        ).fit(X, Y)

    def anchor():
        fitted["lr"] = LogisticRegression(
            C=1.0 / (alpha * n), tol=tol, max_iter=1000
        ).fit(X, labels)

    t_ours, t_anchor = interleaved_medians([ours, anchor], rounds)
    ratio = t_ours / t_anchor
    model, lr = fitted["ours"], fitted["lr"]
    report.add(
        f"LR-degenerate fit {nstr(n)}, {K} classes "
        f"({model.n_iter_}/{lr.n_iter_[0]} it)",
        t_ours,
        t_anchor,
        ratio,
        "<= 1.25",
        ratio <= 1.25,
    )
    # The same with BLAS limited to one thread for both: multithreaded BLAS
    # on small products is slow on a loaded machine, and our fit limits it
    # for small problems (see SoftmaxKDERegressor._optimize).
    with threadpool_limits(limits=1, user_api="blas"):
        t_ours1, t_anchor1 = interleaved_medians([ours, anchor], rounds)
    report.add(
        "  same, BLAS on one thread for both",
        t_ours1,
        t_anchor1,
        t_ours1 / t_anchor1,
        "<= 1.25",
        t_ours1 / t_anchor1 <= 1.25,
    )
    proba = lr.predict_proba(X)
    lr_objective = -np.mean(np.log(proba[np.arange(n), labels]))
    lr_objective += 0.5 * alpha * np.sum(lr.coef_**2)
    ours_objective = model.objective_ - np.log(2 * h)
    gap = abs(ours_objective - lr_objective)
    report.add(
        "  |objective - log(2h) - LR objective|",
        gap,
        None,
        None,
        "<= 1e-6",
        gap <= 1e-6,
        unit=lambda v: "-" if v is None else f"{v:.1e}",
    )


# ------------------------------------------- scaling and memory, in children
_CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
from skkdece import SoftmaxKDERegressor
from skkdece._objective import BlockedObjective

n, kind, max_iter = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(0)
X = rng.normal(size=(n, 20))
y = X[:, :3].sum(axis=1) + rng.normal(size=n)
if kind == "interval":
    h = float(np.std(y) * n ** -0.2)
    y = np.column_stack([y - h / 2, y + h / 2])
elif kind == "wide":  # issue 13: y +- 0.2 with "scott" about 0.063
    y = 0.5 * y
    y = np.column_stack([y - 0.2, y + 0.2])
elif kind == "point-half":  # the same targets' midpoints
    y = 0.5 * y
calls = [0]
evaluate = BlockedObjective.loss_gradient

def counted(self, *args):
    calls[0] += 1
    return evaluate(self, *args)

BlockedObjective.loss_gradient = counted
model = SoftmaxKDERegressor(
    centers=32, max_iter=max_iter, tol=0.0, location=None, scale=None
)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(X, y)
seconds = time.perf_counter() - t0
try:
    # VmHWM is this program's own peak; ru_maxrss can carry over the peak
    # of the parent that spawned us (Linux keeps it across exec).
    with open("/proc/self/status") as status:
        hwm = [line for line in status if line.startswith("VmHWM:")][0]
    peak = int(hwm.split()[1]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "evaluations": calls[0],
                  "iterations": int(model.n_iter_), "peak_mb": peak}))
"""


def run_child_fit(n, kind, max_iter, one_thread=False):
    env = dict(os.environ)
    if one_thread:  # BLAS on one thread, hence the loss too
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n), kind, str(max_iter)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_scaling_and_memory(
    report, sizes, interval_n, max_iter, floor_n=100_000, floor_rounds=5
):
    results = {n: run_child_fit(n, "point", max_iter) for n in sizes}
    per_eval = {n: r["seconds"] / r["evaluations"] for n, r in results.items()}
    small, big = sizes[0], sizes[-1]
    for n in sizes:
        r = results[n]
        report.add(
            f"fit {nstr(n)} points, {max_iter} it: time/evaluation "
            f"({r['evaluations']} ev)",
            per_eval[n],
            None,
            None,
            "-",
            None,
            f"{r['peak_mb']:.0f}",
        )
    growth = (per_eval[big] / per_eval[small]) / (big / small)
    report.add(
        f"  scaling {nstr(small)} -> {nstr(big)}: t growth / n growth",
        growth,
        None,
        None,
        "<= 1.3",
        growth <= 1.3,
        unit=lambda v: "-" if v is None else f"{v:.3f}",
    )
    # The small fit runs on one thread (one block of the kernel table), the
    # large ones on all: the same measure with one thread everywhere.
    single = {n: run_child_fit(n, "point", max_iter, one_thread=True) for n in sizes}
    single_eval = {n: r["seconds"] / r["evaluations"] for n, r in single.items()}
    growth1 = (single_eval[big] / single_eval[small]) / (big / small)
    report.add(
        "  same, one thread at every size "
        f"({fmt_time(single_eval[small])} -> {fmt_time(single_eval[big])})",
        growth1,
        None,
        None,
        "info",
        None,
        unit=lambda v: "-" if v is None else f"{v:.3f}",
    )
    peak = results[big]["peak_mb"]
    report.add(
        f"peak memory: fit {nstr(big)} points",
        None,
        None,
        None,
        "< 1500 MB",
        peak < 1500,
        f"{peak:.0f}",
    )
    r = run_child_fit(interval_n, "interval", 2)
    report.add(
        f"peak memory: fit {nstr(interval_n)} intervals 1h "
        f"({r['evaluations']} ev, {fmt_time(r['seconds'])})",
        None,
        None,
        None,
        "< 2000 MB",
        r["peak_mb"] < 2000,
        f"{r['peak_mb']:.0f}",
    )
    wide = run_child_fit(interval_n, "wide", max_iter)
    point = run_child_fit(interval_n, "point-half", max_iter)
    t_wide = wide["seconds"] / wide["iterations"]
    t_point = point["seconds"] / point["iterations"]
    report.add(
        f"fit {nstr(interval_n)}, y +- 0.2 (scott): time/iteration vs points",
        t_wide,
        t_point,
        t_wide / t_point,
        "<= 3",
        t_wide / t_point <= 3,
        f"{wide['peak_mb']:.0f}",
    )
    bench_wide_floor(report, floor_n, floor_rounds, interval_n)
    report.add(
        f"peak memory: fit {nstr(interval_n)} intervals y +- 0.2 (6.3h)",
        None,
        None,
        None,
        "< 2000 MB",
        wide["peak_mb"] < 2000,
        f"{wide['peak_mb']:.0f}",
    )


# ---------------------------------------------------- statsmodels comparison
def heteroscedastic(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n)
    y = np.sin(2.0 * x) + (0.2 + 0.3 * np.abs(x)) * rng.normal(size=n)
    return x, y


def bench_wide_floor(report, n, rounds, like_n):
    """The floor under ``fit ..., y +- 0.2``'s ratio, in process on n rows.

    The bandwidth is Scott's rule at ``like_n`` rows, as in that fit, so each
    row covers as many grid nodes.

    Any exact evaluation on the grid computes, for each row and each grid node
    its interval covers, one density (a product with the M kernel values),
    its log, and one more product for the gradient; it also needs the logits
    and their gradient product, which the point fit needs too.  Timed here:
    the point fit's whole evaluation, and the logits' two products plus the
    grid's two products and log over each row's own nodes, in blocks of 2048
    rows (no partial-panel weights, no fallbacks): what the wide evaluation
    cannot go below.  Their ratio is the floor of the time-per-iteration ratio.  Both
    run on one thread: the evaluation shares its blocks out to threads, where
    bare products would run on the BLAS's own, and the two would not compare.
    """
    from threadpoolctl import threadpool_limits

    from skkdece._linear import LinearLogits
    from skkdece._objective import BlockedObjective
    from skkdece._tables._factory import training_table
    from skkdece._tables._grid import GridTable

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 20))
    mid = 0.5 * (X[:, :3].sum(axis=1) + rng.normal(size=n))
    h = float(np.std(mid) * like_n**-0.2)
    centers = np.linspace(mid.min() - 0.2 - h, mid.max() + 0.2 + h, 32)
    grid = GridTable(mid - 0.2, mid + 0.2, centers, kernel="gaussian", bandwidth=h)
    nodes = int(np.median(grid.band_lengths()))
    points = training_table(mid, mid, centers, kernel="gaussian", bandwidth=h)
    objective = BlockedObjective(
        points,
        LinearLogits(32, 20, fit_intercept=True, alpha=1e-4),
        X,
        np.full(n, 1.0 / n),
    )
    params = np.zeros(objective.model.n_params)
    W = np.zeros((20, 32))
    S = np.full((n, 32), 1.0 / 32)
    K = np.full((32, nodes), 0.5)
    back = np.empty((n, 32))
    rows = 2048  # blocks whose densities stay in the cache, as the table's

    def floor():
        logits = X @ W
        for start in range(0, n, rows):
            dens = S[start : start + rows] @ K
            np.log(dens, out=dens)
            np.matmul(dens, K.T, out=back[start : start + rows])
        return logits, back.T @ X

    # One thread for both: the evaluation's own threads and the BLAS's
    # would not otherwise be comparable.
    with threadpool_limits(limits=1), objective.running():
        t_point, t_floor = interleaved_medians(
            [lambda: objective.loss_gradient(params), floor], rounds
        )
    report.add(
        f"  its floor, one thread, n={nstr(n)} ({nodes} nodes a row)",
        t_floor,
        t_point,
        t_floor / t_point,
        "info",
        None,
    )


def bench_statsmodels(report, sizes, n_test):
    try:
        from statsmodels.nonparametric.kernel_density import (
            KDEMultivariateConditional,
        )
    except ImportError:
        report.add("statsmodels not installed: skipped", None, None, None, "-", None)
        return
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    from skkdece import SoftmaxKDERegressor

    x_test, y_test = heteroscedastic(n_test, seed=100)
    speedups = []
    for n in sizes:
        x, y = heteroscedastic(n, seed=n)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kde = KDEMultivariateConditional(
                endog=[y], exog=[x], dep_type="c", indep_type="c", bw="cv_ml"
            )
            density = kde.pdf(endog_predict=y_test, exog_predict=x_test)
        t_sm = time.perf_counter() - t0
        with np.errstate(divide="ignore", invalid="ignore"):
            ll_sm = float(np.mean(np.log(density)))

        # Four bandwidths around Scott's rule for the marginal of y.
        grid = [round(f * scott_bandwidth(y), 3) for f in (0.6, 0.8, 1.0, 1.25)]
        search = GridSearchCV(
            make_pipeline(
                SplineTransformer(n_knots=14, degree=3),
                SoftmaxKDERegressor(
                    centers=32, alpha=1e-4, tol=1e-4, location=None, scale=None
                ),
            ),
            {"softmaxkderegressor__bandwidth": grid},
            cv=3,
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(x[:, None], y)
        ll_ours = float(search.score(x_test[:, None], y_test))
        t_ours = time.perf_counter() - t0
        ratio = t_ours / t_sm
        speedups.append(t_sm / t_ours)
        bw = search.best_params_["softmaxkderegressor__bandwidth"]
        bw_sm = ",".join(f"{b:.2g}" for b in kde.bw)
        report.add(
            f"cond. density n={n}: search vs cv_ml",
            t_ours,
            t_sm,
            ratio,
            "<= 0.2",
            ratio <= 0.2,
        )
        degenerate = not np.isfinite(ll_sm) or np.min(kde.bw) < 1e-6
        note = " DEGENERATE" if degenerate else ""
        report.add(
            f"  held-out loglik (bw {bw} | sm {bw_sm}){note}",
            ll_ours,
            ll_sm,
            None,
            ">= anchor",
            bool(ll_ours >= ll_sm) if np.isfinite(ll_sm) else True,
            unit=lambda v: "-" if v is None else f"{v:.4f}",
        )
    if len(speedups) > 1:
        grows = all(b > a for a, b in zip(speedups[:-1], speedups[1:], strict=True))
        report.add(
            "  speed-up grows with n: " + " -> ".join(f"{s:.1f}x" for s in speedups),
            None,
            None,
            None,
            "growing",
            grows,
        )


# ------------------------------------------------------------------------ main
#: Sizes of each run: the full run, --quick and --smoke (the tests').
SIZES = {
    "full": dict(
        lg_n=100_000,
        lg_rounds=11,
        width_rounds=5,
        degen_n=100_000,
        degen_rounds=5,
        sizes=(10_000, 100_000, 1_000_000),
        interval_n=1_000_000,
        floor_n=100_000,
        max_iter=10,
        sm_sizes=(1_000, 2_000),
        sm_test=10_000,
    ),
    "quick": dict(
        lg_n=20_000,
        lg_rounds=3,
        width_rounds=1,
        degen_n=10_000,
        degen_rounds=1,
        sizes=(2_000, 20_000),
        interval_n=20_000,
        floor_n=20_000,
        max_iter=5,
        sm_sizes=(200, 400),
        sm_test=2_000,
    ),
    "smoke": dict(
        lg_n=2_000,
        lg_rounds=1,
        width_rounds=1,
        degen_n=1_000,
        degen_rounds=1,
        sizes=(500, 2_000),
        interval_n=2_000,
        floor_n=2_000,
        max_iter=2,
        sm_sizes=(100, 200),
        sm_test=500,
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="small sizes (< 1 min)")
    sizes.add_argument(
        "--smoke",
        action="store_true",
        help="toy sizes: checks that every line runs, its figures mean nothing",
    )
    args = parser.parse_args(argv)

    import scipy
    import sklearn

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    cfg = SIZES[mode]
    print(
        f"skkdece benchmarks ({mode}) on "
        f"{platform.machine()} with {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; python {platform.python_version()}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}, scikit-learn "
        f"{sklearn.__version__}",
        flush=True,
    )
    report = Report()
    bench_loss_gradient(report, cfg["lg_n"], cfg["lg_rounds"])
    bench_widths(report, cfg["lg_n"], cfg["width_rounds"])
    bench_degenerate_fit(report, cfg["degen_n"], cfg["degen_rounds"])
    bench_scaling_and_memory(
        report,
        cfg["sizes"],
        cfg["interval_n"],
        cfg["max_iter"],
        floor_n=cfg["floor_n"],
        floor_rounds=cfg["width_rounds"],
    )
    bench_statsmodels(report, cfg["sm_sizes"], cfg["sm_test"])
    print()
    report.print()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
