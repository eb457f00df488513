"""Rows per second of every prediction method, with ``predict`` as the anchor.

For a gaussian model on the line and a von Mises model on the circle (32
centers, 20 features), each method runs on the same rows, alternating with
``predict`` so that both see the same load; the table shows rows per second
and the time relative to ``predict`` (medians of ``--rounds`` runs).  Run::

    python benchmarks/predict_benchmarks.py            # 100 000 rows
    python benchmarks/predict_benchmarks.py --rows 5000 --rounds 1
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np

from skkdece import SoftmaxKDERegressor


def model_for(kernel, period, d=20, n_fit=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_fit, d))
    y = X[:, :3].sum(axis=1) * 0.4 + 0.3 * rng.normal(size=n_fit)
    if period is not None:
        y = np.angle(np.exp(1j * y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SoftmaxKDERegressor(
            centers=32,
            kernel=kernel,
            period=period,
            max_iter=200,
            location=None,
            scale=None,
        ).fit(X, y)
    return model


def methods_for(model, X, w, widths, grid):
    """The timed calls, by name."""
    return {
        "predict": lambda: model.predict(X),
        "predict_aim(w)": lambda: model.predict_aim(X, w),
        "predict_aim(w per row)": lambda: model.predict_aim(X, widths),
        "predict_interval(0.9)": lambda: model.predict_interval(X, 0.9),
        "predict_cdf(64 angles)": lambda: model.predict_cdf(X, grid),
        "sample(1)": lambda: model.sample(X, 1, random_state=0),
    }


def median_seconds(call, rounds):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, load average {load:.2f}, "
        f"{args.rows} rows, median of {args.rounds}"
    )
    print(f"{'model':<22} {'method':<26} {'rows/s':>12} {'x predict':>10}")
    X = np.random.default_rng(1).normal(size=(args.rows, 20))
    for label, kernel, period in [
        ("gaussian, line", "gaussian", None),
        ("von Mises, circle", "vonmises", 2 * np.pi),
    ]:
        model = model_for(kernel, period)
        w = 0.5 * model.bandwidth_
        widths = np.random.default_rng(2).uniform(0.25, 1.0, args.rows) * w * 2
        grid = np.linspace(-np.pi, np.pi, 64)
        methods = methods_for(model, X, w, widths, grid)
        anchor = median_seconds(methods["predict"], args.rounds)
        for name, call in methods.items():
            seconds = anchor if name == "predict" else median_seconds(call, args.rounds)
            print(
                f"{label:<22} {name:<26} {args.rows / seconds:>12.0f} "
                f"{seconds / anchor:>10.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
