"""Waves recorded in real Robocode battles, bundled with the package."""

import numpy as np

#: Feature columns of :func:`load_robocode_waves`, in order.
ROBOCODE_FEATURES = [
    "bullet_flight_time",
    "lateral_velocity",
    "advancing_velocity",
    "speed",
    "acceleration",
    "ticks_since_velocity_reversal",
    "ticks_since_deceleration",
    "wall_distance_ahead",
    "wall_distance_behind",
    "distance",
    "turn_rate",
]

ROBOCODE_OPPONENTS = [
    "sample.Walls",
    "sample.SpinBot",
    "sample.Crazy",
    "sample.Corners",
    "sample.RamFire",
    "sample.Tracker",
    "sample.VelociRobot",
]

_ROBOCODE_FILE = "robocode_waves.csv.gz"
# Columns besides the features and the target, with their dtypes.
_ROBOCODE_EXTRA = {
    "battle": np.int64,
    "round": np.int64,
    "fire_time": np.int64,
    "bullet_power": np.float64,
    "lateral_direction": np.int64,
    "real_bullet": np.int64,
    "bullet_gf": np.float64,
    "bullet_hit": np.int64,
}

_ROBOCODE_DESCR = """\
.. _robocode_waves_dataset:

Real Robocode guess-factor waves
--------------------------------

Waves recorded in real Robocode battles (engine 1.9.3.9, Debian package
``robocode``, OpenJDK 17) by the robot ``skk.WaveRecorder`` of the skkdece
repository (``robocode/src/skk``) against seven sample robots: Walls,
SpinBot, Crazy, Corners, RamFire, Tracker and VelociRobot. Two battles of 35
rounds each per opponent, 800 x 600 field, gun cooling rate 0.1.

The recorder orbits its enemy with random direction changes and wall
smoothing, keeps its radar locked and launches a wave every tick. Each row is
one wave: the gun features at fire time and, as the target, the interval of
guess factors ``[gf_lower, gf_upper]`` that would have hit the enemy's 36 x 36
body, found by precise intersection (the bullet's segment of each tick against
the enemy's square, tick by tick). Guess factors are bearing offsets divided by
the maximum escape angle ``asin(8 / bullet_speed)``, signed by the enemy's
lateral direction at fire time (+1: the way it was moving).

**Data set characteristics**

:Number of rows: 45 500 (6 500 per opponent): every wave whose real bullet
    hit, plus a uniform random sample (seed 0) of the 421 124 recorded waves.
:Number of features: 11, see ``ROBOCODE_FEATURES``.
:Target: ``(n, 2)`` guess-factor intervals, ``gf_lower <= gf_upper``,
    within [-1.3, 2.0]; 99.8% within [-0.9, 1.32] (a close enemy's body
    spans a large part of the escape angle).
:Other columns: ``opponent``; ``battle`` (0..13, unique per opponent and
    battle: use it or ``round`` for grouped cross-validation, since waves of
    consecutive ticks are strongly correlated); ``round``; ``fire_time``
    (tick); ``bullet_power`` (1 to 3, drawn per shot; bullet speed
    ``20 - 3 * power``); ``lateral_direction``; ``real_bullet`` (1 when the
    wave carried a fired bullet); ``bullet_gf`` (that bullet's guess factor);
    ``bullet_hit`` (1 when it hit the enemy).
:Rounding: distances to 0.01 px, velocities and times to 1e-4, turn rate to
    1e-5 rad/tick, guess factors to 1e-6.

**Features** (enemy state at fire time, seen from the recorder)

- ``bullet_flight_time``: distance / bullet speed (ticks).
- ``lateral_velocity``: velocity across the line of fire times the lateral
  direction (>= 0).
- ``advancing_velocity``: velocity towards the recorder.
- ``speed``, ``acceleration``: ``|v|`` and its change over the last tick.
- ``ticks_since_velocity_reversal``, ``ticks_since_deceleration``: ticks since
  the sign of the velocity last changed and since ``|v|`` last decreased
  (counted from the start of the round).
- ``wall_distance_ahead``, ``wall_distance_behind``: distance from the enemy
  to the edge of the field (of bot centres) along the orbit tangent, in and
  against the lateral direction.
- ``distance``: pixels.
- ``turn_rate``: heading change per tick (radians), signed so that positive
  means turning the way of the lateral direction when driving forwards.

**Bullet check.** The recorder reported 3 108 hits of its real bullets in the
recorded battles; 3 107 were matched to their wave, and 3 106 of those had
the bullet's guess factor inside the wave's recorded interval. The exception
(vs RamFire) was fired at 46 px while being rammed, when collisions move the
bots. All 3 107 matched hits are in the data set (``bullet_hit == 1``).

**Re-recording.** With the engine installed (``apt-get install robocode``),
from a source checkout::

    for o in Walls SpinBot Crazy Corners RamFire Tracker VelociRobot; do
        python -m skkdece.robocode record --opponent sample.$o --rounds 35 \\
            --battles 2 --out waves/
    done
    python robocode/make_dataset.py waves/ \\
        src/skkdece/datasets/data/robocode_waves.csv.gz

Battles are not seeded (Robocode's and the robots' randomness), so a new
recording gives different rows with the same distribution.
"""


def _read_robocode_csv():
    import csv
    import gzip
    from importlib import resources

    ref = resources.files("skkdece.datasets").joinpath("data").joinpath(_ROBOCODE_FILE)
    with ref.open("rb") as raw, gzip.open(raw, "rt", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    return header, rows


def load_robocode_waves(opponent=None, *, return_X_y=False, as_frame=False):
    """Load the real Robocode guess-factor waves (interval targets).

    Waves recorded in real battles of the Robocode engine against seven
    sample robots; see the ``DESCR`` of the returned Bunch (also printed in
    the Notes below) for provenance and columns.

    Parameters
    ----------
    opponent : str, list of str or None, default=None
        Keep only waves against these opponents (``"sample.Walls"`` or just
        ``"Walls"``). None keeps all seven.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a DataFrame with
        columns ``gf_lower`` and ``gf_upper``, and the Bunch also has
        ``frame`` (every column). Needs pandas.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (n_samples, 11) or DataFrame
            The features, columns ``feature_names``.
        target : ndarray of shape (n_samples, 2) or DataFrame
            ``[gf_lower, gf_upper]`` guess-factor intervals.
        feature_names : list of str
            ``ROBOCODE_FEATURES``.
        target_names : list of str
            ``["gf_lower", "gf_upper"]``.
        opponent : ndarray of shape (n_samples,) of str
            The opponent of each wave.
        battle, round : ndarray of shape (n_samples,) of int
            Battle id (unique over the data set) and round; use them as
            ``groups`` for grouped cross-validation.
        fire_time, bullet_power, lateral_direction : ndarray of shape (n_samples,)
            See ``DESCR``.
        real_bullet, bullet_gf, bullet_hit : ndarray of shape (n_samples,)
            See ``DESCR``.
        frame : DataFrame, only with ``as_frame=True``
            All columns.
        DESCR : str
            Description and provenance.

    (data, target) : tuple if ``return_X_y`` is True
        The Bunch's ``data`` and ``target``, without the rest.

    Examples
    --------
    >>> from skkdece.datasets import load_robocode_waves
    >>> waves = load_robocode_waves()
    >>> waves.data.shape, waves.target.shape
    ((45500, 11), (45500, 2))
    >>> X, y = load_robocode_waves("Walls", return_X_y=True)
    >>> X.shape
    (6500, 11)
    """
    from sklearn.utils import Bunch

    if opponent is None:
        wanted = list(ROBOCODE_OPPONENTS)
    else:
        names = [opponent] if isinstance(opponent, str) else list(opponent)
        wanted = []
        for name in names:
            full = name if "." in name else f"sample.{name}"
            if full not in ROBOCODE_OPPONENTS:
                raise ValueError(
                    f"Unknown opponent {name!r}; choose among {ROBOCODE_OPPONENTS}."
                )
            wanted.append(full)
    header, rows = _read_robocode_csv()
    col = {name: i for i, name in enumerate(header)}
    rows = [r for r in rows if r[col["opponent"]] in wanted]

    def column(name, dtype):
        i = col[name]
        values = [r[i] if r[i] != "" else "nan" for r in rows]
        return np.array(values, dtype=np.float64).astype(dtype)

    data = np.column_stack(
        [column(name, np.float64) for name in ROBOCODE_FEATURES]
    ).reshape(len(rows), len(ROBOCODE_FEATURES))
    target = np.column_stack(
        [column("gf_lower", np.float64), column("gf_upper", np.float64)]
    ).reshape(len(rows), 2)
    extra = {name: column(name, dtype) for name, dtype in _ROBOCODE_EXTRA.items()}
    opponents = np.array([r[col["opponent"]] for r in rows], dtype=object)
    # Battle ids unique over the data set: opponent index * 2 + battle.
    order = {name: k for k, name in enumerate(ROBOCODE_OPPONENTS)}
    extra["battle"] = (
        np.array([order[o] for o in opponents], dtype=np.int64) * 2 + extra["battle"]
    )
    target_names = ["gf_lower", "gf_upper"]
    frame = None
    if as_frame:
        import pandas as pd

        data = pd.DataFrame(data, columns=ROBOCODE_FEATURES)
        target = pd.DataFrame(target, columns=target_names)
        frame = pd.concat(
            [
                pd.DataFrame({"opponent": opponents}),
                pd.DataFrame(extra),
                data,
                target,
            ],
            axis=1,
        )
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=list(ROBOCODE_FEATURES),
        target_names=target_names,
        opponent=opponents,
        DESCR=_ROBOCODE_DESCR,
        **extra,
    )
