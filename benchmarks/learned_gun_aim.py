"""Aim time of skk.LearnedGun inside the robot, by memory size, in real battles.

Fits the gun's metric without the opponent faced (``train_gun``), fills its
memory with ``N`` waves (the bundled recorded waves, and beyond their 45 500
copies of them with every feature moved by a random 0.1% of its spread, so
that no two rows merge), exports it, and fights a short battle of
``skk.LearnedGun`` against the opponent; the robot adds the battle's own
waves to the memory and logs its aim times (``aimtime-<round>.csv``: search
and aim, per bullet) and, where the sources have it, the time of taking in
each broken wave (``skk.OnlineTuning``: one search, the nine candidates'
scores, the memory's append). The engine's per-turn CPU budget is the
``robocode.cpu.constant`` it measured when it started (written to its
``config/robocode.properties``); a robot that goes over it skips turns.

With ``--baseline REV`` the robots' sources at git revision ``REV`` are
compiled too, and every memory size is fought by both, one after the other,
in the same run::

    python benchmarks/learned_gun_aim.py --baseline HEAD~3 --sizes 1000 10000 50000
"""

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from skkdece.datasets import load_robocode_waves
from skkdece.robocode import _battles as rc
from skkdece.robocode._train import train_gun
from skkdece.robocode.export import export_model

ROOT = Path(__file__).resolve().parent.parent


def sources_at(rev, out):
    """The robots' Java sources at git revision ``rev``, written under ``out``."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "robocode/src/skk/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    (out / "skk").mkdir(parents=True)
    for name in names:
        text = subprocess.run(
            ["git", "show", f"{rev}:{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (out / "skk" / Path(name).name).write_text(text)
    return out


def fill_memory(model, n, seed=0):
    """Put ``n`` waves in the model's memory (see the module docstring)."""
    X, y = load_robocode_waves(return_X_y=True, as_frame=True)
    y = y.to_numpy()
    rng = np.random.default_rng(seed)
    take = rng.permutation(len(X))[np.arange(n) % len(X)]
    copy = (np.arange(n) >= len(X))[:, None]
    Xn = X.iloc[take] + copy * rng.normal(0.0, 1e-3, (n, X.shape[1])) * X.std().values
    regressor = model[-1]
    regressor.forget()
    regressor.partial_fit(model[0].transform(Xn), y[take])
    return model


def cpu_budget_ms(workdir):
    """The engine's per-turn CPU budget, from its properties file."""
    text = (Path(workdir) / "config" / "robocode.properties").read_text()
    for line in text.splitlines():
        if line.startswith("robocode.cpu.constant="):
            return int(line.split("=")[1]) / 1e6
    return float("nan")


def aim_times(data_dir, rounds):
    """Aims, mean and largest aim time (ms), and the mean time of taking in
    a broken wave (ms; NaN where the gun does not log it)."""
    with open(Path(data_dir) / f"aimtime-{rounds - 1}.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    if row["load_error"]:
        raise RuntimeError(f"the gun did not load its model: {row['load_error']}")
    aims = int(row["aims"])
    observed = int(row.get("observed") or 0)
    observe = int(row["observe_nanos"]) / observed / 1e6 if observed else float("nan")
    return (
        aims,
        int(row["aim_nanos"]) / aims / 1e6,
        int(row["max_aim_nanos"]) / 1e6,
        observe,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opponent", default="sample.Walls")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="git revision of the sources to compare")
    parser.add_argument("--max-rounds", type=int, help="quick fit (see train-gun)")
    parser.add_argument("--max-iter", type=int, default=500)
    args = parser.parse_args(argv)
    engine = rc.find_engine()
    model, info = train_gun(
        args.opponent, max_iter=args.max_iter, max_rounds=args.max_rounds
    )
    reg = model[-1]
    print(
        f"# Robocode {engine.version}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs; gun vs {args.opponent}, "
        f"{args.rounds} rounds a battle; metric fitted on {info['n_train']} waves "
        f"without it: h = {reg.bandwidth_:.4g}, {reg.n_neighbors_} neighbours"
    )
    print(
        "| sources | waves (start) | aims | mean aim (ms) | largest (ms) "
        "| wave taken in (ms) | budget (ms) | mean / budget | skipped turns |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="skkdece-aim-") as tmp:
        tmp = Path(tmp)
        trees = [("working tree", None)]
        if args.baseline:
            trees.insert(0, (args.baseline, sources_at(args.baseline, tmp / "base")))
        classes = {
            name: rc.compile_robots(tmp / f"classes-{i}", engine, src=src)
            for i, (name, src) in enumerate(trees)
        }
        for n in args.sizes:
            path = tmp / f"model-{n}.json"
            export_model(fill_memory(model, n), path, memory=True)
            for i, (name, _) in enumerate(trees):
                workdir = tmp / f"battle-{n}-{i}"
                data_dir = rc.run_battle(
                    "skk.LearnedGun",
                    args.opponent,
                    rounds=args.rounds,
                    workdir=workdir,
                    engine=engine,
                    classes=classes[name],
                    data_files={"model.json": path},
                )
                aims, mean, largest, observe = aim_times(data_dir, args.rounds)
                budget = cpu_budget_ms(workdir)
                skipped = rc.battle_stats(data_dir)["skipped_turns"]
                print(
                    f"| {name} | {n} | {aims} | {mean:.3f} | {largest:.2f} "
                    f"| {observe:.3f} | {budget:.2f} | {mean / budget:.2f} "
                    f"| {skipped} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
