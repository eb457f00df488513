"""Timing of the von Mises CDF against scipy.stats.vonmises.cdf.

    python benchmarks/vonmises_cdf.py            # CDF on 1e6 angles per kappa
    python benchmarks/vonmises_cdf.py --kde      # plus KDEDistribution timings

The ``--kde`` part times ``interval(0.9)`` and ``best_aim(w)`` on 1 200 rows
with 32 von Mises centers, with this module's CDF and with scipy's per-value
CDF patched back in (the behaviour before the vectorised CDF).
"""

import argparse
import time

import numpy as np
import skkdece._kernels as kernels
from scipy.stats import vonmises

from skkdece import KDEDistribution


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cdf_table(n_values=1_000_000, repeat=3):
    rng = np.random.default_rng(0)
    theta = rng.uniform(-np.pi, np.pi, n_values)
    print(f"CDF of {n_values:.0e} angles, best of {repeat} (seconds)")
    header = ("kappa", "scipy", "skkdece", "speedup", "max |diff|")
    print("{:>10} {:>8} {:>8} {:>8} {:>11}".format(*header))
    for kappa in (1e-3, 1.0, 5.0, 12.0, 16.0, 30.0, 100.0, 1e4, 1e7):
        ref = vonmises.cdf(theta, kappa)
        new = kernels._vonmises_cdf_from_start(theta, kappa)
        t_ref = best_of(lambda k=kappa: vonmises.cdf(theta, k), repeat)
        t_new = best_of(
            lambda k=kappa: kernels._vonmises_cdf_from_start(theta, k), repeat
        )
        diff = np.max(np.abs(ref - new))
        print(
            f"{kappa:10.3g} {t_ref:8.3f} {t_new:8.3f} {t_ref / t_new:7.1f}x "
            f"{diff:11.1e}"
        )


def kde_table(bandwidths=(0.3, 0.25, 0.15), n_rows=1200, n_centers=32, half_width=0.2):
    rng = np.random.default_rng(0)
    log_w = rng.normal(size=(n_rows, n_centers))
    log_w -= np.log(np.exp(log_w).sum(axis=1, keepdims=True))
    centers = 2 * np.pi * np.arange(n_centers) / n_centers
    new_cdf = kernels._vonmises_cdf_blocks

    def scipy_cdf(x, kappa, period=None):
        # cumulative_mass as it was: wrap, then scipy's CDF.
        if period is None:
            return vonmises.cdf(x, kappa)
        turns = np.floor(x / period + 0.5)
        theta = (2.0 * np.pi / period) * (x - period * turns)
        return turns + vonmises.cdf(theta, kappa)

    print(f"\nKDEDistribution, {n_rows} rows, {n_centers} centers (seconds)")
    for h in bandwidths:
        kappa = kernels.vonmises_kappa(h, 2 * np.pi)
        dist = KDEDistribution(
            log_w, centers, kernel="vonmises", bandwidth=h, period=2 * np.pi
        )
        row = {}
        for name, cdf in (("scipy", scipy_cdf), ("skkdece", new_cdf)):
            kernels._vonmises_cdf_blocks = cdf
            try:
                t0 = time.perf_counter()
                interval = dist.interval(0.9)
                t1 = time.perf_counter()
                aim = dist.best_aim(half_width)
                t2 = time.perf_counter()
            finally:
                kernels._vonmises_cdf_blocks = new_cdf
            row[name] = (t1 - t0, t2 - t1, interval, aim)
        (i0, a0, iv0, aim0), (i1, a1, iv1, aim1) = row["scipy"], row["skkdece"]
        print(
            f"h={h} (kappa={kappa:.3g}): interval {i0:.2f} -> {i1:.2f} "
            f"({i0 / i1:.1f}x), best_aim({half_width}) {a0:.2f} -> {a1:.2f} "
            f"({a0 / a1:.1f}x); max change: interval "
            f"{np.max(np.abs(iv0 - iv1)):.1e}, aim {np.max(np.abs(aim0 - aim1)):.1e}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kde", action="store_true", help="also time KDE methods")
    args = parser.parse_args()
    cdf_table()
    if args.kde:
        kde_table()
