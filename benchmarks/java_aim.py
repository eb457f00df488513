"""Java model reader vs Python: differences and time per aim.

Fits ``StandardScaler + SoftmaxKDERegressor`` on the bundled Robocode waves
against one opponent, exports it, and on 1 000 other rows compares
``skk.SkkModel`` (Java) with Python: log densities against
``predict_distribution(X).logpdf_rows``, and best aims against a tight
reference (Python's ``predict_aim`` refined by bisection on the sign of
``p(t + w) - p(t - w)``), reporting also how far ``predict_aim`` itself is from
that reference. Then times Java's ``bestAim`` (after JIT warm-up)::

    python benchmarks/java_aim.py --opponent Walls --half-width 0.1
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import SoftmaxKDERegressor
from skkdece.datasets import load_robocode_waves
from skkdece.robocode.export import export_model

SRC = Path(__file__).resolve().parent.parent / "robocode" / "src" / "skk"


def reference_aim(dist, aim, w):
    def slope(t):
        return np.exp(dist.logpdf_rows(t + w)) - np.exp(dist.logpdf_rows(t - w))

    lo, hi = aim - 1e-6, aim + 1e-6
    ok = (slope(lo) > 0) & (slope(hi) <= 0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return np.where(ok, lo, aim), ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opponent", default="Walls")
    parser.add_argument("--half-width", type=float, default=0.1)
    parser.add_argument("--kernel", default="gaussian")
    parser.add_argument("--centers", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    X, y = load_robocode_waves(args.opponent, return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        SoftmaxKDERegressor(kernel=args.kernel, centers=args.centers, max_iter=300),
    ).fit(X[:-1000], y[:-1000])
    X_test, y_test = X[-1000:], y[-1000:]
    t = y_test.mean(axis=1)
    reg, Xs = model[-1], model[0].transform(X_test)
    dist = reg.predict_distribution(Xs)
    t0 = time.perf_counter()
    aim_py = reg.predict_aim(Xs, half_width=args.half_width)
    py_time = (time.perf_counter() - t0) / len(X_test)
    ref, refined = reference_aim(dist, aim_py, args.half_width)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(
            ["javac", "-nowarn", "--release", "8", "-d", str(tmp)]
            + [
                str(SRC / n)
                for n in ("SkkModel.java", "ErfcTable.java", "SkkModelCli.java")
            ],
            check=True,
        )
        export_model(model, tmp / "model.json")
        np.savetxt(
            tmp / "rows.csv", np.column_stack([X_test, t]), delimiter=",", fmt="%.17g"
        )
        proc = subprocess.run(
            ["java", "-cp", str(tmp), "skk.SkkModelCli", str(tmp / "model.json")]
            + [str(tmp / "rows.csv"), repr(args.half_width), str(args.repeats)],
            capture_output=True,
            text=True,
            check=True,
        )
    out = np.loadtxt(proc.stdout.splitlines(), delimiter=",")
    java_time = float(proc.stderr.split("aim_seconds=")[1].split()[0])
    print(f"model: {args.kernel}, {args.centers} centers, h = {reg.bandwidth_:.4g}")
    print(f"rows: 1000 waves vs {args.opponent}, half-width {args.half_width}")
    print(f"refined by bisection: {refined.sum()} of 1000 rows")
    log_diff = np.max(np.abs(out[:, 1] - dist.logpdf_rows(t)))
    print(f"max |log p Java - Python|   : {log_diff:.2e}")
    print(f"max |aim Java - reference|  : {np.max(np.abs(out[:, 0] - ref)):.2e}")
    print(f"max |aim Python - reference|: {np.max(np.abs(aim_py - ref)):.2e}")
    print(
        f"Java bestAim: {java_time * 1e6:.0f} us per aim; Python predict_aim: "
        f"{py_time * 1e6:.0f} us per row (vectorised over 1000 rows)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
