"""Real Robocode battles: hit rate of a gun aiming with an exported model.

For each sample opponent, fits ``StandardScaler + SoftmaxKDERegressor`` on the
bundled waves recorded against it (``load_robocode_waves(opponent)``),
exports it, and fights new battles with robots that share the recorder's
movement and differ only in their gun (all fire power-2 bullets):

- ``skk.HeadOnGun``: straight at the enemy;
- ``skk.CircularGun``: linear-predictive circular aim (constant speed and
  turn rate, iterated tick by tick);
- ``skk.KnnGun`` (online): a plain k-nearest-neighbour guess-factor gun that
  learns from the waves of the battle itself;
- ``skk.KnnGun`` (+data): the same, preloaded with the model's training waves;
- ``skk.KnnGun`` (data only): preloaded, without online learning (the same
  information as the model);
- ``skk.ModelGun``: the exported model's best aim within the enemy's
  angular half-width (``SkkModel.bestAim``).

Prints the real hit rate (bullets hit / bullets fired) per gun and opponent,
and the model gun's aim time measured inside the robot. Needs the engine
(``apt-get install robocode``) and a source checkout::

    python benchmarks/robocode_battles.py --rounds 25
"""

import argparse
import csv
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import SoftmaxKDERegressor
from skkdece import robocode as rc
from skkdece.datasets import ROBOCODE_OPPONENTS, load_robocode_waves
from skkdece.robocode.export import export_model

GUNS = [
    ("head-on", "skk.HeadOnGun", None),
    ("circular", "skk.CircularGun", None),
    ("KNN online", "skk.KnnGun", None),
    ("KNN +data", "skk.KnnGun", "knn"),
    ("KNN data only", "skk.KnnGun", "knn-frozen"),
    ("model", "skk.ModelGun", "model"),
]


def fit_model(opponent, centers, max_iter):
    X, y = load_robocode_waves(opponent, return_X_y=True, as_frame=True)
    model = make_pipeline(
        StandardScaler(),
        SoftmaxKDERegressor(centers=centers, max_iter=max_iter),
    )
    t0 = time.perf_counter()
    model.fit(X, y.to_numpy())
    return model, time.perf_counter() - t0, X.to_numpy(), y.to_numpy()


def aim_time(data_dir):
    aims = nanos = 0
    for path in Path(data_dir).glob("aimtime-*.csv"):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                aims = max(aims, int(row["aims"]))  # cumulative over rounds
                nanos = max(nanos, int(row["aim_nanos"]))
    return nanos / aims / 1e3 if aims else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--opponents", nargs="*", default=ROBOCODE_OPPONENTS)
    parser.add_argument("--centers", type=int, default=64)
    parser.add_argument("--max-iter", type=int, default=300)
    parser.add_argument(
        "--guns", nargs="*", help="only these guns (names as in the table header)"
    )
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)

    guns = [g for g in GUNS if not args.guns or g[0] in args.guns]
    engine = rc.find_engine()
    print(
        f"# Robocode {engine.version}, {args.rounds} rounds per battle, "
        f"{platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="skkdece-bench-") as tmp:
        tmp = Path(tmp)
        classes = rc.compile_robots(tmp / "classes", engine)
        header = "| opponent | " + " | ".join(name for name, _, _ in guns) + " |"
        print(header + " model aim (us) | fit (s) |")
        print("|---" * (len(guns) + 3) + "|")
        for opponent in args.opponents:
            opponent = opponent if "." in opponent else f"sample.{opponent}"
            model, fit_s, X, y = fit_model(opponent, args.centers, args.max_iter)
            model_path = tmp / f"model-{opponent}.json"
            export_model(model, model_path)
            knn_path = tmp / f"knn-{opponent}.csv"
            np.savetxt(knn_path, np.column_stack([X, y]), delimiter=",", fmt="%.6g")
            row = {"opponent": opponent, "fit_seconds": fit_s}
            for name, robot, extra in guns:
                files = {}
                if extra == "model":
                    files = {"model.json": model_path}
                elif extra == "knn":
                    files = {"knn.csv": knn_path}
                elif extra == "knn-frozen":
                    frozen = tmp / "frozen"
                    frozen.touch()
                    files = {"knn.csv": knn_path, "frozen": frozen}
                data_dir = rc.run_battle(
                    robot,
                    opponent,
                    rounds=args.rounds,
                    workdir=tmp / f"{opponent}-{name.replace(' ', '_')}",
                    engine=engine,
                    classes=classes,
                    data_files=files,
                )
                stats = rc.battle_stats(data_dir)
                row[name] = stats
                if extra == "model":
                    row["model_aim_us"] = aim_time(data_dir)
            rates = [
                row[name]["bullets_hit"] / max(row[name]["bullets_fired"], 1)
                for name, _, _ in guns
            ]
            best = int(np.argmax(rates))
            cells = [
                f"**{r:.3f}**" if i == best else f"{r:.3f}" for i, r in enumerate(rates)
            ]
            print(
                f"| {opponent} | "
                + " | ".join(cells)
                + f" | {row.get('model_aim_us', float('nan')):.0f} | {fit_s:.0f} |",
                flush=True,
            )
            results.append(row)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
