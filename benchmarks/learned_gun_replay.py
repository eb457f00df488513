"""The learned gun's online choice of bandwidth and sharpness, replayed offline.

``skk.LearnedGun`` starts a battle with an empty memory and a metric trained
without its opponent; ``skk.OnlineTuning`` picks, among bandwidth factors
(1, 2, 4) times sharpness factors (1, 0.5, 0.25) of the trained values, the
one whose predictions of the battle's waves so far scored the highest mean
log density. This script replays the bundled recorded battles through the
same rule in Python, faster than real battles and without their noise: for
each opponent, the metric is fitted without it (``train_gun``), and each of
its two recorded battles is played round by round from an empty memory:
every wave of round ``r`` is aimed (``predict_aim``'s rule, half-width 0.1
guess factors) from the waves of rounds before ``r``, with every candidate
and with the candidate of the highest score after round ``r - 1``; then the
round's waves are scored by every candidate and join the memory. The gun
does the same wave by wave (a wave joins as it breaks); here a round is the
step, which the scores of the first round and the aims within a round
reflect.

Prints hit rates (aim inside the wave's hit interval) by stage of the battle
(rounds 1-5, 6-15, 16-34) and overall, for the trained values, the best
fixed candidate in hindsight, and the online choice::

    python benchmarks/learned_gun_replay.py [--opponents Crazy Walls] [--cache DIR]
"""

import argparse
import os
import pickle
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import log_softmax

from skkdece import KDEDistribution
from skkdece.datasets import ROBOCODE_OPPONENTS, load_robocode_waves
from skkdece.robocode._train import train_gun

# skk.OnlineTuning's grid: bandwidth factors outer, sharpness factors inner.
BANDWIDTH_FACTORS = (1.0, 2.0, 4.0)
SHARPNESS_FACTORS = (1.0, 0.5, 0.25)
GRID = [(g, f) for g in BANDWIDTH_FACTORS for f in SHARPNESS_FACTORS]
HALF_WIDTH = 0.1
N_QUADRATURE = 5
STAGES = {"1-5": (1, 5), "6-15": (6, 15), "16-34": (16, 34)}


def trained_gun(opponent, cache):
    """The gun's pipeline fitted without ``opponent`` (cached if asked)."""
    path = None if cache is None else Path(cache) / f"gun_{opponent}.pkl"
    if path is not None and path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    model, _ = train_gun(opponent, memory="none")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            pickle.dump(model, f)
    return model


def candidates(base, bandwidth):
    """Each candidate's distributions of the rows of ``base``."""
    return [
        KDEDistribution(
            log_softmax(f * base.log_weights, axis=1),
            base.centers,
            kernel=base.kernel,
            bandwidth=g * bandwidth,
            period=base.period,
            window_start=base.window_start,
            half_widths=base.half_widths,
        )
        for g, f in GRID
    ]


def hits(dist, y):
    aim = dist.aim(HALF_WIDTH)
    return (aim >= y[:, 0]) & (aim <= y[:, 1])


def replay_battle(model, X, y, rounds):
    """Per round (from the second): hits of every candidate and of the
    online choice, and the choice."""
    scaler, reg = model[0], model[-1]
    reg.forget()
    score = np.zeros(len(GRID))
    out = []
    for k, r in enumerate(np.unique(rounds)):
        rows = rounds == r
        Xs, yr = scaler.transform(X[rows]), y[rows]
        if k:  # the memory holds the rounds before
            dists = candidates(reg.predict_distribution(Xs), reg.bandwidth_)
            best = int(np.argmax(score))  # the first of equal scores
            per = [hits(d, yr) for d in dists]
            out.append((int(r), [h.sum() for h in per], per[best].sum(), len(yr), best))
            lower, upper = yr[:, 0], yr[:, 1]
            score += [
                np.sum(d.mean_log_density(lower, upper, n_quadrature=N_QUADRATURE))
                for d in dists
            ]
        reg.partial_fit(Xs, yr)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opponents", nargs="+", default=list(ROBOCODE_OPPONENTS))
    parser.add_argument("--cache", help="folder keeping the fitted guns")
    args = parser.parse_args(argv)
    waves = load_robocode_waves()
    print(
        f"# {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, load "
        f"{os.getloadavg()[0]:.1f}; half-width {HALF_WIDTH} GF; grid "
        f"(bandwidth x, sharpness x) = {GRID}"
    )
    print(
        "| opponent | trained: " + " / ".join(STAGES) + " / all "
        "| best fixed in hindsight | online choice | candidates chosen (rounds) |"
    )
    print("|---|---|---|---|---|")
    totals = {"trained": [], "online": []}
    for name in args.opponents:
        opponent = name if "." in name else f"sample.{name}"
        t0 = time.perf_counter()
        model = trained_gun(opponent, args.cache)
        mine = waves.opponent == opponent
        records = []
        for battle in np.unique(waves.battle[mine]):
            rows = mine & (waves.battle == battle)
            records += replay_battle(
                model, waves.data[rows], waves.target[rows], waves.round[rows]
            )
        r = np.array([rec[0] for rec in records])
        n = np.array([rec[3] for rec in records])
        fixed = np.array([rec[1] for rec in records])
        online = np.array([rec[2] for rec in records])

        def rate(counts, lo=1, hi=34, r=r, n=n):
            keep = (r >= lo) & (r <= hi)
            return counts[keep].sum(axis=0) / n[keep].sum()

        stages = [rate(fixed[:, 0], *b) for b in STAGES.values()]
        best_fixed = int(np.argmax(rate(fixed)))
        online_stages = [rate(online, *b) for b in STAGES.values()]
        chosen = np.bincount([rec[4] for rec in records], minlength=len(GRID))
        picks = ", ".join(f"{GRID[c]}: {k}" for c, k in enumerate(chosen) if k)
        totals["trained"].append(rate(fixed[:, 0]))
        totals["online"].append(rate(online))
        print(
            f"| {opponent} | "
            + " / ".join(f"{v:.3f}" for v in stages)
            + f" / {rate(fixed[:, 0]):.3f} | {GRID[best_fixed]}: "
            f"{rate(fixed[:, best_fixed]):.3f} | "
            + " / ".join(f"{v:.3f}" for v in online_stages)
            + f" / {rate(online):.3f} | {picks} |",
            flush=True,
        )
        print(f"#   {opponent}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    print(
        f"| mean | {np.mean(totals['trained']):.3f} | | "
        f"{np.mean(totals['online']):.3f} | |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
