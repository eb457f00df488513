"""Build src/skkdece/datasets/data/robocode_waves.csv.gz from recorded battles.

Record the battles first (about one minute per 35-round battle here)::

    for o in Walls SpinBot Crazy Corners RamFire Tracker VelociRobot; do
        python -m skkdece.robocode record --opponent sample.$o --rounds 35 \\
            --battles 2 --out waves/
    done
    python robocode/make_dataset.py waves/ \\
        src/skkdece/datasets/data/robocode_waves.csv.gz

Keeps, per opponent, every wave whose real bullet hit plus a uniform random
sample (seed 0) of the other waves, ``--per-opponent`` rows in all, and rounds
the numbers (see ``DECIMALS``) so that the file stays under about 2 MB.
"""

import argparse
import csv
import gzip
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skkdece.datasets import ROBOCODE_OPPONENTS as OPPONENTS  # noqa: E402
from skkdece.robocode._battles import WAVE_COLUMNS, read_waves  # noqa: E402

COLUMNS = [c for c in WAVE_COLUMNS if c != "max_escape_angle"]  # = f(bullet_power)
DECIMALS = {
    "bullet_flight_time": 4,
    "lateral_velocity": 4,
    "advancing_velocity": 4,
    "speed": 4,
    "acceleration": 4,
    "wall_distance_ahead": 2,
    "wall_distance_behind": 2,
    "distance": 2,
    "turn_rate": 5,
    "bullet_power": 4,
    "gf_lower": 6,
    "gf_upper": 6,
    "bullet_gf": 6,
}


def _fmt(value, decimals):
    if np.isnan(value):
        return ""
    if decimals is None:
        return str(int(value))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("waves", help="folder with waves-<opponent>-<battle>.csv")
    parser.add_argument("out", help="output .csv.gz")
    parser.add_argument("--per-opponent", type=int, default=6500)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    for opponent in OPPONENTS:
        files = sorted(Path(args.waves).glob(f"waves-{opponent}-*.csv"))
        if not files:
            print(f"no waves for {opponent}; skipped", file=sys.stderr)
            continue
        parts = [read_waves(f) for f in files]
        w = {c: np.concatenate([p[c] for p in parts]) for c in WAVE_COLUMNS}
        n = len(w["round"])
        hit = np.flatnonzero(w["bullet_hit"] == 1)
        rest = np.setdiff1d(np.arange(n), hit)
        take = rng.choice(
            rest, size=max(args.per_opponent - len(hit), 0), replace=False
        )
        keep = np.sort(np.concatenate([hit, take]))
        for i in keep:
            row = []
            for c in COLUMNS:
                if c == "opponent":
                    row.append(w[c][i])
                else:
                    row.append(_fmt(w[c][i], DECIMALS.get(c)))
            rows.append(row)
        print(f"{opponent}: {n} waves recorded, {len(keep)} kept ({len(hit)} hits)")
    with gzip.open(args.out, "wt", newline="", compresslevel=9) as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {args.out} ({Path(args.out).stat().st_size} bytes)")


if __name__ == "__main__":
    main()
