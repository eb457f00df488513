"""Record real Robocode battles headlessly: waves, guess-factor intervals, hit rates.

This module drives the Robocode engine (a Java program, not a Python
dependency) from Python. It compiles the robots in the repository's
``robocode/src`` against the installed engine, writes a ``.battle`` file into
a fresh working directory, runs the engine without a display and collects the
CSV files the robots wrote into their data directories.

On Debian or Ubuntu the engine is one command away::

    apt-get install robocode     # also pulls in a Java runtime and javac

Command line::

    python -m skkdece.robocode record --opponent sample.Walls --rounds 35 \\
        --battles 2 --out waves/
    python -m skkdece.robocode fight --robot skk.HeadOnGun --opponent sample.Walls \\
        --rounds 10 --out fights/

The engine is found through the ``ROBOCODE_HOME`` environment variable (an
upstream install: ``$ROBOCODE_HOME/libs/robocode.jar`` and
``$ROBOCODE_HOME/robots``), or ``ROBOCODE_JAR`` plus ``ROBOCODE_ROBOTS``, and
otherwise at Debian's paths (``/usr/share/java/robocode.jar``,
``/usr/share/games/robocode/robots``). Java and javac are taken from
``JAVA_HOME/bin`` when set, otherwise from ``PATH``.

**Data quota.** Robocode lets a robot write only about 200 kB into its data
directory. Each battle runs in its own working directory whose
``config/robocode.properties`` raises ``robocode.robot.filesystem.quota`` to
1 GB, and the robots write one file per round (at the end of the round).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets import ROBOCODE_FEATURES

__all__ = [
    "RobocodeNotFoundError",
    "RobocodeEngine",
    "WAVE_COLUMNS",
    "compile_robots",
    "find_engine",
    "read_waves",
    "record",
    "run_battle",
]

#: Columns of the CSV files written by :func:`record`.
WAVE_COLUMNS = [
    "opponent",
    "battle",
    "round",
    "fire_time",
    *ROBOCODE_FEATURES,
    "bullet_power",
    "lateral_direction",
    "max_escape_angle",
    "gf_lower",
    "gf_upper",
    "real_bullet",
    "bullet_gf",
    "bullet_hit",
]

INSTALL_HINT = (
    "Install the Robocode engine and a JDK: `apt-get install robocode` on "
    "Debian/Ubuntu (as root), or download Robocode from "
    "https://robocode.sourceforge.io and set ROBOCODE_HOME to its folder."
)

_DEBIAN_JAR = "/usr/share/java/robocode.jar"
_DEBIAN_ROBOTS = "/usr/share/games/robocode/robots"
_QUOTA_BYTES = 1_000_000_000
# Java 17 closes the JDK internals that Robocode 1.9 opens by reflection.
_JAVA_OPTIONS = [
    "-Xmx512M",
    "-Djava.awt.headless=true",
    "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.desktop/sun.awt=ALL-UNNAMED",
]


class RobocodeNotFoundError(RuntimeError):
    """The Robocode engine, Java or javac is missing (the message says what to do).

    Raised by :func:`find_engine`, and so by every function that needs the
    engine and was not given one.

    Examples
    --------
    >>> from skkdece.robocode import RobocodeNotFoundError, find_engine
    >>> try:
    ...     find_engine(jar="no/such/robocode.jar")
    ... except RobocodeNotFoundError as exc:
    ...     print(str(exc)[:40])
    Robocode jar not found at no/such/roboco
    """


@dataclass(frozen=True)
class RobocodeEngine:
    """Where the engine's pieces are.

    Usually made by :func:`find_engine`, which checks that each piece is
    there; this class checks nothing.

    Parameters
    ----------
    jar : Path
        The engine's ``robocode.jar``.
    sample_robots : Path
        The engine's ``robots`` folder, holding ``sample/``.
    java, javac : str
        The Java runtime and compiler to run.

    See Also
    --------
    find_engine : Find the installed engine.

    Examples
    --------
    The version is read from the name of the ``robocode.core`` jar next to
    ``robocode.jar``:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from skkdece.robocode import RobocodeEngine
    >>> libs = Path(tempfile.mkdtemp())
    >>> (libs / "robocode.core-1.9.5.0.jar").touch()
    >>> engine = RobocodeEngine(jar=libs / "robocode.jar",
    ...                         sample_robots=libs.parent / "robots",
    ...                         java="java", javac="javac")
    >>> engine.version
    '1.9.5.0'
    """

    jar: Path
    sample_robots: Path
    java: str
    javac: str

    @property
    def version(self):
        """The engine version, read from the jar's directory or ``unknown``."""
        for name in sorted(os.listdir(self.jar.parent)):
            if name.startswith("robocode.core-") and name.endswith(".jar"):
                return name[len("robocode.core-") : -len(".jar")]
        return "unknown"


def _java_tool(name, java_home):
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if candidate.is_file():
            return str(candidate)
    return shutil.which(name)


def find_engine(jar=None, robots=None, *, java_home=None):
    """Locate the Robocode jar, its sample robots, java and javac.

    Parameters
    ----------
    jar, robots : path-like, default=None
        Explicit paths to ``robocode.jar`` and to the engine's ``robots``
        folder (holding ``sample/``). When None: ``ROBOCODE_JAR`` /
        ``ROBOCODE_ROBOTS``, then ``ROBOCODE_HOME``, then Debian's paths.
    java_home : path-like, default=None
        A JDK folder; default ``JAVA_HOME``, then ``PATH``.

    Returns
    -------
    engine : RobocodeEngine
        The paths of the pieces, each checked to exist.

    Raises
    ------
    RobocodeNotFoundError
        If any piece is missing; the message names it and says how to install.

    Examples
    --------
    With the engine installed (``apt-get install robocode``):

    >>> from skkdece.robocode import find_engine
    >>> engine = find_engine()  # doctest: +SKIP
    >>> engine.jar  # doctest: +SKIP
    PosixPath('/usr/share/java/robocode.jar')

    A piece that is missing is named in the error:

    >>> from skkdece.robocode import RobocodeNotFoundError
    >>> try:
    ...     find_engine(jar="no/such/robocode.jar")
    ... except RobocodeNotFoundError as exc:
    ...     print("apt-get install robocode" in str(exc))
    True
    """
    env = os.environ
    home = env.get("ROBOCODE_HOME")
    if jar is None:
        jar = env.get("ROBOCODE_JAR") or (
            str(Path(home) / "libs" / "robocode.jar") if home else _DEBIAN_JAR
        )
    if robots is None:
        robots = env.get("ROBOCODE_ROBOTS") or (
            str(Path(home) / "robots") if home else _DEBIAN_ROBOTS
        )
    jar, robots = Path(jar), Path(robots)
    if not jar.is_file():
        raise RobocodeNotFoundError(f"Robocode jar not found at {jar}. {INSTALL_HINT}")
    if not (robots / "sample").is_dir():
        raise RobocodeNotFoundError(
            f"Robocode sample robots not found in {robots}. {INSTALL_HINT}"
        )
    java_home = java_home if java_home is not None else env.get("JAVA_HOME")
    java, javac = _java_tool("java", java_home), _java_tool("javac", java_home)
    if java is None or javac is None:
        missing = "java" if java is None else "javac"
        raise RobocodeNotFoundError(f"`{missing}` not found. {INSTALL_HINT}")
    return RobocodeEngine(jar=jar, sample_robots=robots, java=java, javac=javac)


def java_sources(src=None):
    """The folder holding the robots' Java sources (``skk/*.java``).

    ``src``, else ``SKKDECE_ROBOCODE_SRC``, else ``robocode/src`` at the root
    of the source checkout that holds the package (``src/skkdece/robocode``).
    """
    src = src or os.environ.get("SKKDECE_ROBOCODE_SRC")
    if src is None:
        src = Path(__file__).resolve().parents[3] / "robocode" / "src"
    src = Path(src)
    if not (src / "skk").is_dir():
        raise FileNotFoundError(
            f"Robot sources not found in {src}: run from a source checkout of "
            "skkdece or set SKKDECE_ROBOCODE_SRC to its robocode/src folder."
        )
    return src


def compile_robots(out_dir, engine=None, *, src=None):
    """Compile every ``skk/*.java`` robot into ``out_dir`` (Java 8 class files).

    Parameters
    ----------
    out_dir : path-like
        Folder for the class files (``out_dir/skk/*.class``); made if missing.
    engine : RobocodeEngine, default=None
        The engine whose jar the robots compile against, and whose ``javac``
        compiles them; from :func:`find_engine` when None.
    src : path-like, default=None
        Folder holding ``skk/*.java``; when None, ``SKKDECE_ROBOCODE_SRC``,
        else ``robocode/src`` in the source checkout holding the package.

    Returns
    -------
    out_dir : Path
        ``out_dir``, as a :class:`~pathlib.Path`.

    Raises
    ------
    RobocodeNotFoundError
        If no engine was given and none is installed.
    FileNotFoundError
        If the robots' sources are not found.
    RuntimeError
        If ``javac`` fails; the message holds its output.

    See Also
    --------
    run_battle : Compiles the robots itself unless given ``classes``.

    Examples
    --------
    Needs the Robocode engine and a JDK, and a source checkout of skkdece:

    >>> from skkdece.robocode import compile_robots
    >>> classes = compile_robots("build/robots")  # doctest: +SKIP
    >>> (classes / "skk" / "WaveRecorder.class").is_file()  # doctest: +SKIP
    True
    """
    engine = engine or find_engine()
    src = java_sources(src)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in (src / "skk").glob("*.java"))
    cmd = [engine.javac, "-nowarn", "-encoding", "UTF-8", "--release", "8"]
    cmd += ["-cp", str(engine.jar), "-d", str(out_dir), *files]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"javac failed:\n{proc.stdout}\n{proc.stderr}")
    return out_dir


def _robot_name(name):
    """Battle-file name: our robots are development robots, shown with a '*'."""
    if name.startswith("skk.") and not name.endswith("*"):
        return name + "*"
    return name


def run_battle(
    robot,
    opponent,
    *,
    rounds=10,
    workdir=None,
    engine=None,
    classes=None,
    data_files=None,
    timeout=1800,
    width=800,
    height=600,
):
    """Run one headless battle and return the robot's data folder.

    Parameters
    ----------
    robot : str
        Our robot, e.g. ``"skk.WaveRecorder"``.
    opponent : str
        Opponent robot, e.g. ``"sample.Walls"``.
    rounds : int, default=10
        Number of rounds.
    workdir : path-like, default=None
        Fresh Robocode working directory (a temporary one when None; it is
        kept, since the results live there).
    engine : RobocodeEngine, default=None
        From :func:`find_engine` when None.
    classes : path-like, default=None
        Compiled robots (from :func:`compile_robots`); compiled here if None.
    data_files : dict, default=None
        ``{file name: source path}`` copied into the robot's data folder
        before the battle (e.g. ``{"model.json": path}``).
    timeout : float, default=1800
        Seconds before the engine is killed.
    width, height : int, default=800, 600
        Size of the battlefield, in pixels.

    Returns
    -------
    data_dir : Path
        The robot's data folder, holding ``waves-<round>.csv`` and
        ``stats-<round>.csv``; ``data_dir.parent.parent.parent / "results.txt"``
        is the engine's score table.

    Raises
    ------
    RobocodeNotFoundError
        If no engine was given and none is installed.
    RuntimeError
        If the engine fails or cannot load a robot.
    subprocess.TimeoutExpired
        If the battle takes longer than ``timeout``.

    Examples
    --------
    Needs the Robocode engine and a JDK:

    >>> from skkdece.robocode import run_battle
    >>> data_dir = run_battle("skk.HeadOnGun", "sample.Walls",
    ...                       rounds=2)  # doctest: +SKIP
    >>> sorted(p.name for p in data_dir.glob("stats-*.csv"))  # doctest: +SKIP
    ['stats-0.csv', 'stats-1.csv']
    """
    engine = engine or find_engine()
    workdir = Path(workdir or tempfile.mkdtemp(prefix="skkdece-robocode-"))
    robots = workdir / "robots"
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    (workdir / "config" / "robocode.properties").write_text(
        f"robocode.robot.filesystem.quota={_QUOTA_BYTES}\n"
    )
    robots.mkdir(parents=True, exist_ok=True)
    if not (robots / "sample").exists():
        shutil.copytree(engine.sample_robots / "sample", robots / "sample")
    if classes is None:
        classes = compile_robots(workdir / "classes", engine)
    shutil.copytree(Path(classes) / "skk", robots / "skk", dirs_exist_ok=True)
    data_dir = robots / "skk" / (robot.rstrip("*").split(".")[-1] + ".data")
    data_dir.mkdir(exist_ok=True)
    for name, path in (data_files or {}).items():
        shutil.copyfile(path, data_dir / name)
    battle = workdir / "battle.battle"
    battle.write_text(
        "\n".join(
            [
                f"robocode.battleField.width={width}",
                f"robocode.battleField.height={height}",
                f"robocode.battle.numRounds={int(rounds)}",
                "robocode.battle.gunCoolingRate=0.1",
                "robocode.battle.rules.inactivityTime=450",
                "robocode.battle.hideEnemyNames=false",
                "robocode.battle.selectedRobots="
                f"{_robot_name(opponent)},{_robot_name(robot)}",
                "",
            ]
        )
    )
    results = workdir / "results.txt"
    cmd = [
        engine.java,
        *_JAVA_OPTIONS,
        f"-DWORKINGDIRECTORY={workdir}",
        "-cp",
        str(engine.jar),
        "robocode.Robocode",
        "-nodisplay",
        "-nosound",
        "-tps",
        "10000",
        "-battle",
        str(battle),
        "-results",
        str(results),
    ]
    proc = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout
    )
    (workdir / "engine.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not results.is_file():
        raise RuntimeError(
            f"Robocode failed (exit {proc.returncode}); see {workdir / 'engine.log'}:\n"
            + (proc.stdout + proc.stderr)[-2000:]
        )
    if "Can't find" in proc.stdout:
        raise RuntimeError(f"Robocode could not load a robot:\n{proc.stdout[-2000:]}")
    return data_dir


def _round_files(data_dir, prefix):
    files = list(Path(data_dir).glob(f"{prefix}-*.csv"))
    return sorted(files, key=lambda p: int(p.stem.split("-")[1]))


def collect(data_dir, *, opponent, battle):
    """Rows of every ``waves-<round>.csv`` in ``data_dir``, with opponent and battle."""
    rows = []
    for path in _round_files(data_dir, "waves"):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                row["opponent"] = opponent
                row["battle"] = str(battle)
                rows.append(row)
    return rows


def battle_stats(data_dir):
    """Bullets fired and hit (and turns our robot skipped), summed over rounds."""
    fired = hit = rounds = skipped = 0
    for path in _round_files(data_dir, "stats"):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                fired += int(row["bullets_fired"])
                hit += int(row["bullets_hit"])
                skipped += int(row.get("skipped_turns") or 0)
                rounds += 1
    return {
        "rounds": rounds,
        "bullets_fired": fired,
        "bullets_hit": hit,
        "skipped_turns": skipped,
    }


def write_waves(rows, path):
    """Write wave rows (dicts) as CSV with :data:`WAVE_COLUMNS`."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=WAVE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def read_waves(path):
    """Read a waves CSV into a dict of numpy arrays (strings for ``opponent``).

    Parameters
    ----------
    path : path-like
        A CSV file with a header holding every name of :data:`WAVE_COLUMNS`,
        as :func:`record` writes; other columns are ignored.

    Returns
    -------
    waves : dict of str to ndarray of shape (n_waves,)
        One array per column of :data:`WAVE_COLUMNS`: strings (dtype object)
        for ``opponent``, floats for the others, NaN where a cell is empty
        (``bullet_gf`` of a wave that carried no real bullet).

    Examples
    --------
    >>> import csv
    >>> import os
    >>> import tempfile
    >>> from skkdece.robocode import WAVE_COLUMNS, read_waves
    >>> row = dict.fromkeys(WAVE_COLUMNS, "0")
    >>> row.update(opponent="sample.Walls", gf_lower="-0.25", gf_upper="0.5",
    ...            bullet_gf="")
    >>> path = os.path.join(tempfile.mkdtemp(), "waves.csv")
    >>> with open(path, "w", newline="") as f:
    ...     writer = csv.DictWriter(f, fieldnames=WAVE_COLUMNS)
    ...     _ = writer.writeheader()
    ...     _ = writer.writerow(row)
    >>> waves = read_waves(path)
    >>> waves["opponent"], waves["gf_lower"], waves["bullet_gf"]
    (array(['sample.Walls'], dtype=object), array([-0.25]), array([nan]))
    """
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for name in WAVE_COLUMNS:
        values = [r[name] for r in rows]
        if name == "opponent":
            out[name] = np.array(values, dtype=object)
        else:
            out[name] = np.array([float(v) if v != "" else np.nan for v in values])
    return out


def bullet_check(waves):
    """How many real bullets that hit had their guess factor inside the interval.

    Returns ``(n_hits, n_inside)``; a tolerance of 1e-9 absorbs rounding.
    """
    hit = waves["bullet_hit"] == 1
    gf = waves["bullet_gf"][hit]
    inside = (gf >= waves["gf_lower"][hit] - 1e-9) & (
        gf <= waves["gf_upper"][hit] + 1e-9
    )
    return int(hit.sum()), int(inside.sum())


def record(
    opponent,
    *,
    rounds=35,
    battles=1,
    out=".",
    robot="skk.WaveRecorder",
    engine=None,
    first_battle=0,
    verbose=True,
    src=None,
):
    """Record ``battles`` battles of ``rounds`` rounds against ``opponent``.

    The robots are compiled once (:func:`compile_robots`), then each battle
    is run (:func:`run_battle`) in a temporary folder and its waves are
    written to ``<out>/waves-<opponent>-<battle>.csv``, with
    :data:`WAVE_COLUMNS`.

    Parameters
    ----------
    opponent : str
        Opponent robot, e.g. ``"sample.Walls"``.
    rounds : int, default=35
        Rounds per battle.
    battles : int, default=1
        Number of battles.
    out : path-like, default="."
        Folder for the CSV files; made if missing.
    robot : str, default="skk.WaveRecorder"
        The recording robot.
    engine : RobocodeEngine, default=None
        From :func:`find_engine` when None.
    first_battle : int, default=0
        Number of the first battle (in the file names and the ``battle``
        column), to add battles to an earlier recording.
    verbose : bool, default=True
        Print one line per battle: waves, bullets fired and hit, and how many
        hits fell inside their recorded interval.
    src : path-like, default=None
        The robots' source folder, as for :func:`compile_robots`.

    Returns
    -------
    paths : list of Path
        The CSV files written, one per battle, in battle order.

    See Also
    --------
    read_waves : Read one of the files.
    skkdece.datasets.load_robocode_waves : The waves recorded for the package.

    Examples
    --------
    Needs the Robocode engine and a JDK, and a source checkout of skkdece:

    >>> from skkdece.robocode import read_waves, record
    >>> paths = record("sample.Walls", rounds=2, out="waves",
    ...                verbose=False)  # doctest: +SKIP
    >>> [p.name for p in paths]  # doctest: +SKIP
    ['waves-sample.Walls-0.csv']
    >>> waves = read_waves(paths[0])  # doctest: +SKIP
    """
    engine = engine or find_engine()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with tempfile.TemporaryDirectory(prefix="skkdece-robocode-") as tmp:
        classes = compile_robots(Path(tmp) / "classes", engine, src=src)
        for b in range(first_battle, first_battle + battles):
            workdir = Path(tmp) / f"battle-{b}"
            data_dir = run_battle(
                robot,
                opponent,
                rounds=rounds,
                workdir=workdir,
                engine=engine,
                classes=classes,
            )
            rows = collect(data_dir, opponent=opponent, battle=b)
            path = out / f"waves-{opponent}-{b}.csv"
            write_waves(rows, path)
            paths.append(path)
            if verbose:
                waves = read_waves(path)
                n_hit, n_in = bullet_check(waves)
                stats = battle_stats(data_dir)
                print(
                    f"{opponent} battle {b}: {len(rows)} waves, "
                    f"{stats['bullets_fired']} bullets, {stats['bullets_hit']} hit; "
                    f"{n_in}/{n_hit} hits inside their recorded interval -> {path}"
                )
    return paths


def _add_train_gun_parser(sub):
    from ._train import MEMORY_CHOICES

    train = sub.add_parser(
        "train-gun",
        help="fit skk.LearnedGun's metric on the bundled waves and export it",
        description=(
            "Fit a SoftmaxKDENeighborsRegressor (after a StandardScaler) on "
            "the recorded waves of skkdece.datasets.load_robocode_waves, "
            "rounds as groups, leaving out the opponent to be faced, and "
            "write the export (format version 2) that skk.LearnedGun reads "
            "as model.json from its data folder."
        ),
    )
    train.add_argument(
        "--leave-out",
        metavar="OPPONENT",
        help="opponent left out of the fit, e.g. sample.Walls (default: none)",
    )
    train.add_argument(
        "--memory",
        choices=MEMORY_CHOICES,
        default="none",
        help="what the exported memory holds: none (the gun learns online), "
        "the training rows, or the recorded waves against the left-out "
        "opponent (default: %(default)s)",
    )
    train.add_argument("--n-neighbors", type=int, default=32)
    train.add_argument("--max-iter", type=int, default=500)
    train.add_argument(
        "--max-rounds",
        type=int,
        help="use only the first rounds of each recorded battle (a quick fit)",
    )
    train.add_argument("--out", default="model.json", help="default: %(default)s")
    train.add_argument("--verbose", type=int, default=0)


def _train_gun_command(args):
    from ._train import write_gun

    try:
        info = write_gun(
            args.out,
            args.leave_out,
            memory=args.memory,
            n_neighbors=args.n_neighbors,
            max_iter=args.max_iter,
            max_rounds=args.max_rounds,
            verbose=args.verbose,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"fitted on {info['n_train']} waves, {info['n_rounds']} rounds of "
        f"{', '.join(info['opponents'])} in {info['fit_seconds']:.1f} s; "
        f"memory {info['n_memory']} waves; wrote {args.out}"
    )
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skkdece.robocode", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record waves with skk.WaveRecorder")
    rec.add_argument("--opponent", required=True, help="e.g. sample.Walls")
    rec.add_argument("--rounds", type=int, default=35)
    rec.add_argument("--battles", type=int, default=1)
    rec.add_argument("--first-battle", type=int, default=0)
    rec.add_argument("--robot", default="skk.WaveRecorder")
    rec.add_argument("--out", default=".")
    fight = sub.add_parser("fight", help="one battle; prints bullets fired and hit")
    fight.add_argument("--robot", required=True, help="e.g. skk.ModelGun")
    fight.add_argument("--opponent", required=True)
    fight.add_argument("--rounds", type=int, default=10)
    fight.add_argument("--model", help="model JSON for skk.ModelGun")
    fight.add_argument("--out", help="folder to keep the battle's working files")
    _add_train_gun_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "train-gun":
        return _train_gun_command(args)
    try:
        engine = find_engine()
    except RobocodeNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "record":
        record(
            args.opponent,
            rounds=args.rounds,
            battles=args.battles,
            out=args.out,
            robot=args.robot,
            engine=engine,
            first_battle=args.first_battle,
        )
        return 0
    files = {"model.json": args.model} if args.model else None
    data_dir = run_battle(
        args.robot,
        args.opponent,
        rounds=args.rounds,
        workdir=args.out,
        engine=engine,
        data_files=files,
    )
    stats = battle_stats(data_dir)
    rate = stats["bullets_hit"] / max(stats["bullets_fired"], 1)
    print(
        f"{args.robot} vs {args.opponent}: {stats['rounds']} rounds, "
        f"{stats['bullets_hit']}/{stats['bullets_fired']} bullets hit ({rate:.3f}), "
        f"{stats['skipped_turns']} skipped turns"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover  (python -m skkdece.robocode._battles)
    sys.exit(main())
