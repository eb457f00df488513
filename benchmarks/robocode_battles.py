"""Real Robocode battles: the hit rate of each gun, per opponent, with intervals.

Every robot shares the recorder's movement and fires power-2 bullets; they
differ only in their gun:

- ``head-on``: ``skk.HeadOnGun``, straight at the enemy;
- ``circular``: ``skk.CircularGun``, constant speed and turn rate;
- ``KNN online``: ``skk.KnnGun``, a plain k-nearest-neighbour guess-factor
  gun that learns from the waves of the battle itself;
- ``KNN +data``: the same, preloaded with the waves recorded against the
  opponent; ``KNN data only``: preloaded, not learning online;
- ``model``: ``skk.ModelGun``, a ``StandardScaler + SoftmaxKDERegressor``
  fitted on the waves recorded against the opponent, its best windowed aim;
- ``learned online``: ``skk.LearnedGun``, the neighbours model's metric
  trained on the recorded waves of the *other* six opponents (``train-gun
  --leave-out``, rounds as groups), its memory empty at the start and
  filled with the battle's own waves, its bandwidth and sharpness chosen
  online among multiples of the trained ones (``skk.OnlineTuning``);
- ``learned online, trained values``: the same, aiming with the trained
  bandwidth and sharpness throughout (the gun before ``OnlineTuning``);
- ``learned +data``: the same metric, its memory preloaded with the waves
  recorded against the opponent (``train-gun --memory left-out``).

Each gun fights ``--battles`` independent battles of ``--rounds`` rounds per
opponent (the engine's start positions are random; its ``RANDOMSEED`` does not
work on Java 17, so the battles are replicates, not seeds). The hit rate is
bullets hit / bullets fired; its 95% interval treats each round as a cluster
(bullets of one round are not independent): ratio estimate plus or minus
1.96 standard errors from the rounds' residuals ``hit - rate * fired``.
``pooled`` is over every bullet of every opponent; ``mean`` is the mean of the
opponents' rates, its interval from their standard errors. Writes the raw
per-round counts with ``--out``. Issue 29's table::

    nice -n 5 python benchmarks/robocode_battles.py --rounds 35 --battles 3 \\
        --guns "learned online" "learned +data" "KNN online" --out battles.json

Needs the engine (``apt-get install robocode``) and a source checkout.
"""

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import SoftmaxKDERegressor
from skkdece.datasets import ROBOCODE_OPPONENTS, load_robocode_waves
from skkdece.robocode import _battles as rc
from skkdece.robocode._train import train_gun
from skkdece.robocode.export import export_model

GUNS = [
    ("head-on", "skk.HeadOnGun", None),
    ("circular", "skk.CircularGun", None),
    ("KNN online", "skk.KnnGun", None),
    ("KNN +data", "skk.KnnGun", "knn"),
    ("KNN data only", "skk.KnnGun", "knn-frozen"),
    ("model", "skk.ModelGun", "model"),
    ("learned online", "skk.LearnedGun", "learned"),
    ("learned online, trained values", "skk.LearnedGun", "learned-untuned"),
    ("learned +data", "skk.LearnedGun", "learned-data"),
]


def fit_model(opponent, centers, max_iter):
    X, y = load_robocode_waves(opponent, return_X_y=True, as_frame=True)
    model = make_pipeline(
        StandardScaler(),
        SoftmaxKDERegressor(centers=centers, max_iter=max_iter),
    )
    model.fit(X, y.to_numpy())
    return model


def round_counts(data_dir):
    """Per round: bullets fired, bullets hit, skipped turns."""
    rows = []
    for path in sorted(
        Path(data_dir).glob("stats-*.csv"), key=lambda p: int(p.stem.split("-")[1])
    ):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                rows.append(
                    [
                        int(row["bullets_fired"]),
                        int(row["bullets_hit"]),
                        int(row.get("skipped_turns") or 0),
                    ]
                )
    return rows


def aim_time_ms(data_dir):
    """Mean aim time (ms) over the battle, from the last round's cumulative log."""
    paths = list(Path(data_dir).glob("aimtime-*.csv"))
    if not paths:
        return float("nan")
    last = max(paths, key=lambda p: int(p.stem.split("-")[1]))
    with open(last, newline="") as f:
        row = next(csv.DictReader(f))
    if row["load_error"]:
        raise RuntimeError(f"LearnedGun did not load its model: {row['load_error']}")
    return int(row["aim_nanos"]) / max(int(row["aims"]), 1) / 1e6


def rate_interval(rounds):
    """Hit rate and its 95% half-width, rounds as clusters (see the docstring)."""
    counts = np.asarray(rounds, dtype=float).reshape(-1, 3)
    fired, hit = counts[:, 0], counts[:, 1]
    n = len(fired)
    if fired.sum() == 0:
        return float("nan"), float("nan"), float("nan")
    rate = hit.sum() / fired.sum()
    residual = hit - rate * fired
    se = np.sqrt(n / (n - 1) * np.sum(residual**2)) / fired.sum() if n > 1 else np.nan
    return rate, 1.96 * se, se


def prepare(opponent, names, tmp, args):
    """The data files each gun needs against ``opponent``."""
    files = {}
    if {"learned online", "learned online, trained values", "learned +data"} & set(
        names
    ):
        t0 = time.perf_counter()
        model, info = train_gun(opponent, memory="left-out", max_iter=args.max_iter)
        online, preloaded = tmp / "learned.json", tmp / "learned-data.json"
        export_model(model, online, memory=False)
        export_model(model, preloaded, memory=True)
        files["learned"] = {"model.json": online}
        untuned = tmp / "untuned"
        untuned.touch()
        files["learned-untuned"] = {"model.json": online, "untuned": untuned}
        files["learned-data"] = {"model.json": preloaded}
        reg = model[-1]
        print(
            f"# {opponent}: metric fitted on {info['n_train']} waves of "
            f"{len(info['opponents'])} other opponents in "
            f"{time.perf_counter() - t0:.0f} s (h = {reg.bandwidth_:.4g}, "
            f"sharpness {reg.sharpness_:.3g}); preloaded memory "
            f"{info['n_memory']} waves",
            flush=True,
        )
    if {"KNN +data", "KNN data only"} & set(names):
        X, y = load_robocode_waves(opponent, return_X_y=True)
        knn = tmp / "knn.csv"
        np.savetxt(knn, np.column_stack([X, y]), delimiter=",", fmt="%.6g")
        frozen = tmp / "frozen"
        frozen.touch()
        files["knn"] = {"knn.csv": knn}
        files["knn-frozen"] = {"knn.csv": knn, "frozen": frozen}
    if "model" in names:
        model_path = tmp / "model.json"
        export_model(fit_model(opponent, args.centers, args.max_iter), model_path)
        files["model"] = {"model.json": model_path}
    return files


def summary(results, names):
    """Markdown table: rate [95% interval] per opponent, pooled and mean."""
    lines = [
        "| opponent | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    per_gun = {name: [] for name in names}
    for opponent, row in results.items():
        cells = []
        for name in names:
            rounds = [r for battle in row[name]["battles"] for r in battle["rounds"]]
            rate, half, se = rate_interval(rounds)
            per_gun[name].append((rate, se, rounds))
            cells.append(f"{rate:.3f} ± {half:.3f}")
        lines.append(f"| {opponent} | " + " | ".join(cells) + " |")
    pooled, mean = [], []
    for name in names:
        rate, half, _ = rate_interval([r for _, _, rr in per_gun[name] for r in rr])
        pooled.append(f"{rate:.3f} ± {half:.3f}")
        rates = np.array([r for r, _, _ in per_gun[name]])
        ses = np.array([s for _, s, _ in per_gun[name]])
        mean.append(
            f"{rates.mean():.3f} ± {1.96 * np.sqrt(np.sum(ses**2)) / len(rates):.3f}"
        )
    lines.append("| pooled | " + " | ".join(pooled) + " |")
    lines.append("| mean over opponents | " + " | ".join(mean) + " |")
    if "learned online" in names and "KNN online" in names:
        lines += ["", compare(per_gun["learned online"], per_gun["KNN online"])]
    lines += ["", stages(results, names)]
    return "\n".join(lines)


STAGES = [(0, 5), (5, 15), (15, None)]


def stages(results, names):
    """Hit rate by stage of the battle (rounds 1-5, 6-15, 16-): how fast each learns."""
    spans = [f"{a + 1}-{b if b else ''}" for a, b in STAGES]
    lines = [
        "hit rate by rounds " + ", ".join(spans) + " (all battles)",
        "",
        "| opponent | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for opponent, row in results.items():
        cells = []
        for name in names:
            counts = [np.asarray(b["rounds"]) for b in row[name]["battles"]]
            rates = []
            for a, b in STAGES:
                fired = sum(c[a:b, 0].sum() for c in counts)
                hit = sum(c[a:b, 1].sum() for c in counts)
                rates.append(f"{hit / fired:.3f}" if fired else "-")
            cells.append(" / ".join(rates))
        lines.append(f"| {opponent} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare(learned, knn):
    """Learned online minus KNN online: per opponent, wins, mean difference."""
    a, b = np.array([r[:2] for r in learned]), np.array([r[:2] for r in knn])
    diffs, ses = a[:, 0] - b[:, 0], np.hypot(a[:, 1], b[:, 1])
    cells = ", ".join(
        f"{d:+.3f} ± {1.96 * s:.3f}" for d, s in zip(diffs, ses, strict=True)
    )
    return (
        f"learned online - KNN online, per opponent: {cells}; higher on "
        f"{int(np.sum(diffs > 0))} of {len(diffs)}; mean difference "
        f"{diffs.mean():+.3f} ± {1.96 * np.sqrt(np.sum(ses**2)) / len(diffs):.3f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=35)
    parser.add_argument("--battles", type=int, default=3)
    parser.add_argument("--opponents", nargs="*", default=ROBOCODE_OPPONENTS)
    parser.add_argument("--centers", type=int, default=64)
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument(
        "--guns", nargs="*", help="only these guns (names as in the table header)"
    )
    parser.add_argument("--out", help="write the raw results as JSON here")
    parser.add_argument(
        "--summarize", metavar="JSON", help="only print the table of an --out file"
    )
    args = parser.parse_args(argv)
    if args.summarize:
        results = json.loads(Path(args.summarize).read_text())
        names = list(next(iter(results.values())))
        print(summary(results, names))
        return 0

    guns = [g for g in GUNS if not args.guns or g[0] in args.guns]
    names = [name for name, _, _ in guns]
    engine = rc.find_engine()
    print(
        f"# Robocode {engine.version}, {args.rounds} rounds x {args.battles} "
        f"battles per gun and opponent, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs, Python {platform.python_version()}",
        flush=True,
    )
    results = {}
    with tempfile.TemporaryDirectory(prefix="skkdece-bench-") as tmp:
        tmp = Path(tmp)
        classes = rc.compile_robots(tmp / "classes", engine)
        for opponent in args.opponents:
            opponent = opponent if "." in opponent else f"sample.{opponent}"
            work = tmp / opponent
            work.mkdir()
            files = prepare(opponent, names, work, args)
            row = {name: {"battles": []} for name in names}
            for battle in range(args.battles):
                for name, robot, extra in guns:
                    t0 = time.perf_counter()
                    data_dir = rc.run_battle(
                        robot,
                        opponent,
                        rounds=args.rounds,
                        workdir=work / f"{name.replace(' ', '_')}-{battle}",
                        engine=engine,
                        classes=classes,
                        data_files=files.get(extra),
                    )
                    rounds = round_counts(data_dir)
                    record = {
                        "rounds": rounds,
                        "seconds": time.perf_counter() - t0,
                        "aim_ms": aim_time_ms(data_dir),
                    }
                    row[name]["battles"].append(record)
                    fired = sum(r[0] for r in rounds)
                    hit = sum(r[1] for r in rounds)
                    print(
                        f"# {opponent} battle {battle} {name}: {hit}/{fired} = "
                        f"{hit / max(fired, 1):.3f}, skipped turns "
                        f"{sum(r[2] for r in rounds)}, aim {record['aim_ms']:.3f} ms, "
                        f"{record['seconds']:.0f} s",
                        flush=True,
                    )
            results[opponent] = row
            if args.out:  # after every opponent, so a partial run keeps its rows
                Path(args.out).write_text(json.dumps(results, indent=1))
    print(summary(results, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
