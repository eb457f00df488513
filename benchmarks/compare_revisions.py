"""Time two checkouts of skkdece side by side, through the public API only.

A refactoring must not cost speed.  This script runs the same measurements on
this checkout and on another one (an older revision), alternating between the
two in one run so that both see the same machine load, and prints the median
of each and their ratio (this checkout / the other).

Make the other checkout with git, build its compiled kernels in place, then
point the script at it::

    git worktree add /tmp/skkdece-base a4d814f
    (cd /tmp/skkdece-base && python setup.py build_ext --inplace)  # before 0.2
    python benchmarks/compare_revisions.py --baseline /tmp/skkdece-base

A checkout with the ``src/`` layout is imported from its ``src`` folder (build
its kernels in place with ``pip install -e .`` there, or the NumPy path runs).

Each measurement runs in a fresh interpreter whose ``sys.path`` starts with
the checkout under test.  Fits run a fixed number of L-BFGS-B iterations
(``tol=0``), so the time per iteration compares like with like.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
import skkdece
from skkdece import SoftmaxKDENeighborsRegressor, SoftmaxKDERegressor

case, n = sys.argv[2], int(sys.argv[3])
assert skkdece.__file__.startswith(sys.argv[1]), skkdece.__file__
rng = np.random.default_rng(0)
d = 20
X = rng.normal(size=(n, d))
y = X[:, :3].sum(axis=1) + rng.normal(size=n)
h = float(np.std(y) * n ** -0.2)
out = {}
if case == "fit-neighbors":
    # A gun-sized neighbours fit, start to end: search, tables, evaluations.
    Xn = X[:, :12]
    model = SoftmaxKDENeighborsRegressor(n_neighbors=32, max_iter=30)
    groups = np.arange(n) // 500
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(Xn, y, groups=groups)
        out["seconds"] = time.perf_counter() - t0
elif case.startswith("fit"):
    kind = case.split("-", 1)[1]
    if kind == "intervals":
        y = np.column_stack([y - h / 2, y + h / 2])
    # The model without heads at every revision (before "auto" heads, the
    # parameters did not exist or defaulted to None).
    plain = {}
    if "location" in SoftmaxKDERegressor().get_params():
        plain = dict(location=None, scale=None)
    model = SoftmaxKDERegressor(
        centers=32, bandwidth=h, max_iter=15, tol=0.0, **plain
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model.fit(X, y)
        out["seconds"] = (time.perf_counter() - t0) / model.n_iter_
else:
    n_fit = 2000
    period = 2 * np.pi if case.endswith("circle") else None
    target = np.angle(np.exp(1j * y[:n_fit])) if period else y[:n_fit]
    model = SoftmaxKDERegressor(
        centers=32, period=period, kernel="vonmises" if period else "gaussian"
    ).fit(X[:n_fit], target)
    what = case.split("-")[0]
    call = {
        "predict": lambda: model.predict(X),
        "aim": lambda: model.predict_aim(X, 0.2),
        "interval": lambda: model.predict_interval(X, 0.8),
        "score": lambda: model.score(X, np.column_stack([y - 0.1, y + 0.1])),
    }[what]
    t0 = time.perf_counter()
    call()
    out["seconds"] = time.perf_counter() - t0
print(json.dumps(out))
"""

# (case, rows, what is timed)
CASES = [
    ("fit-points", 100_000, "fit, point targets, s per iteration"),
    ("fit-intervals", 100_000, "fit, intervals 1 bandwidth wide, s per iteration"),
    ("fit-neighbors", 20_000, "neighbours fit, 20 000 x 12, max_iter=30, s"),
    ("predict-line", 20_000, "predict (mode), 20 000 rows"),
    ("aim-line", 5_000, "predict_aim(half_width=0.2), 5 000 rows"),
    ("interval-line", 5_000, "predict_interval(0.8), 5 000 rows"),
    ("score-line", 20_000, "score on intervals, 20 000 rows"),
    ("predict-circle", 5_000, "predict, von Mises on a circle, 5 000 rows"),
]


def import_root(tree):
    """Where a checkout's package is imported from: ``src/`` in that layout."""
    return tree / "src" if (tree / "src" / "skkdece").is_dir() else tree


def run_child(tree, case, n):
    env = dict(os.environ, PYTHONPATH="")
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(import_root(tree)), case, str(n)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{tree} {case}: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["seconds"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows")
    args = parser.parse_args(argv)
    trees = {"this": HERE, "baseline": args.baseline.resolve()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load:.2f}; this = {trees['this']}, "
        f"baseline = {trees['baseline']}"
    )
    print(f"{'measurement':<52} {'this':>10} {'baseline':>10} {'ratio':>7}")
    for case, n, label in CASES:
        n = max(n // 10, 500) if args.quick else n
        times = {"this": [], "baseline": []}
        for r in range(args.rounds):
            # Alternate which goes first, so neither always runs warmer.
            order = ("this", "baseline") if r % 2 == 0 else ("baseline", "this")
            for name in order:
                times[name].append(run_child(trees[name], case, n))
        this, base = np.median(times["this"]), np.median(times["baseline"])
        print(f"{label:<52} {this:>10.4f} {base:>10.4f} {this / base:>7.2f}")


if __name__ == "__main__":
    main()
