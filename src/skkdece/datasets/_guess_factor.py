"""Simulated Robocode waves: a shooter, a moving target, guess-factor intervals.

:func:`make_guess_factor_waves` simulates the engine's physics closely enough
that the guess factors which would have hit follow the movements' patterns.
"""

import numpy as np
from sklearn.utils import check_random_state

from ._validation import _check_positive_int, _check_real

_TWO_PI = 2.0 * np.pi

#: Names of the columns of ``X`` returned by :func:`make_guess_factor_waves`.
GUESS_FACTOR_FEATURES = [
    "bullet_flight_time",
    "lateral_velocity",
    "advancing_velocity",
    "acceleration",
    "ticks_since_velocity_reversal",
    "ticks_since_speed_change",
    "wall_distance_ahead",
    "wall_distance_behind",
]

_FIELD_WIDTH = 800.0
_FIELD_HEIGHT = 600.0
_BOT_HALF = 18.0  # bots are 36 x 36 axis-aligned squares
_MAX_VELOCITY = 8.0
_ACCELERATION = 1.0
_DECELERATION = 2.0
_WARMUP_TICKS = 40
# Bot centres live in this box.
_XMIN, _XMAX = _BOT_HALF, _FIELD_WIDTH - _BOT_HALF
_YMIN, _YMAX = _BOT_HALF, _FIELD_HEIGHT - _BOT_HALF


def _wrap_angle(a):
    """Wrap angles into [-pi, pi)."""
    return np.mod(a + np.pi, _TWO_PI) - np.pi


def _bullet_speed(power):
    return 20.0 - 3.0 * power


def _max_escape_angle(speed):
    return np.arcsin(_MAX_VELOCITY / speed)


def _ray_to_box(px, py, angle):
    """Distance from points inside the bot-centre box to its edge along angle."""
    c, s = np.cos(angle), np.sin(angle)
    eps = 1e-12
    safe_c = np.where(np.abs(c) > eps, c, 1.0)
    safe_s = np.where(np.abs(s) > eps, s, 1.0)
    tx = np.where(
        c > eps,
        (_XMAX - px) / safe_c,
        np.where(c < -eps, (_XMIN - px) / safe_c, np.inf),
    )
    ty = np.where(
        s > eps,
        (_YMAX - py) / safe_s,
        np.where(s < -eps, (_YMIN - py) / safe_s, np.inf),
    )
    return np.maximum(np.minimum(tx, ty), 0.0)


def _new_velocity(v, goal):
    """Robocode velocity update towards a signed goal velocity.

    Accelerates by at most 1 per tick and decelerates by at most 2; when the
    goal has the opposite sign, the part of the tick left after stopping is
    spent accelerating (Robocode's rule).
    """
    sign = np.where(goal > 0, 1.0, np.where(goal < 0, -1.0, np.where(v < 0, -1.0, 1.0)))
    vp = v * sign
    gp = np.abs(goal)
    speed_back = np.maximum(-vp, 0.0)
    decel_time = speed_back / _DECELERATION
    max_decel = (
        np.minimum(1.0, decel_time) * _DECELERATION
        + np.maximum(0.0, 1.0 - decel_time) * _ACCELERATION
    )
    forward = np.maximum(vp - _DECELERATION, np.minimum(gp, vp + _ACCELERATION))
    backward = np.maximum(vp - _ACCELERATION, np.minimum(gp, vp + max_decel))
    return np.where(vp >= 0, forward, backward) * sign


class _Movement:
    """Vectorised state of the target bots and their random orbiting policy."""

    def __init__(self, shooter, start, rng):
        n = start.shape[0]
        self.rng = rng
        self.sx, self.sy = shooter[:, 0], shooter[:, 1]
        self.x, self.y = start[:, 0].copy(), start[:, 1].copy()
        self.heading = rng.uniform(0.0, _TWO_PI, size=n)
        self.v = rng.randint(-8, 9, size=n).astype(np.float64)
        # Policy parameters and state.
        self.orbit = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0)
        self.tau = np.exp(rng.uniform(np.log(8.0), np.log(60.0), size=n))
        self.p_speed = rng.uniform(0.0, 0.05, size=n)
        self.margin = rng.uniform(30.0, 90.0, size=n)
        self.delta0 = rng.uniform(-0.1, 0.1, size=n)
        self.preferred_distance = np.hypot(self.x - self.sx, self.y - self.sy)
        self.speed_pref = self._draw_speed(n)
        self.ticks_policy = rng.randint(0, 31, size=n).astype(np.float64)
        # Observable history.
        self.ticks_reversal = rng.randint(0, 31, size=n).astype(np.float64)
        self.ticks_speed = rng.randint(0, 31, size=n).astype(np.float64)
        self.last_sign = np.where(self.v < 0, -1.0, 1.0)
        self.prev_speed = np.abs(self.v)

    def _draw_speed(self, n):
        top = self.rng.uniform(size=n) < 0.6
        other = self.rng.randint(0, 8, size=n).astype(np.float64)
        return np.where(top, _MAX_VELOCITY, other)

    def _orbit_direction(self):
        dx, dy = self.x - self.sx, self.y - self.sy
        bearing = np.arctan2(dy, dx)
        dist = np.hypot(dx, dy)
        delta = np.clip(
            self.delta0 + 0.002 * (dist - self.preferred_distance), -0.5, 0.5
        )
        return bearing + self.orbit * (0.5 * np.pi + delta)

    def step(self):
        rng = self.rng
        n = self.x.shape[0]
        u_reverse = rng.uniform(size=n)
        u_speed = rng.uniform(size=n)
        new_speed = self._draw_speed(n)

        # 1. Random reversal, with a hazard growing with time since the last.
        self.ticks_policy += 1.0
        hazard = np.minimum(1.0, self.ticks_policy / self.tau**2)
        flip = u_reverse < hazard
        # 2. Reverse when the wall ahead is close (unless cornered).
        move = self._orbit_direction()
        ahead = _ray_to_box(self.x, self.y, np.where(flip, move + np.pi, move))
        behind = _ray_to_box(self.x, self.y, np.where(flip, move, move + np.pi))
        flip ^= (ahead < self.margin) & (behind > self.margin)
        self.orbit = np.where(flip, -self.orbit, self.orbit)
        self.ticks_policy[flip] = 0.0
        # 3. Occasional changes of cruising speed.
        self.speed_pref = np.where(u_speed < self.p_speed, new_speed, self.speed_pref)

        # 4. Turn towards the nearer of the two headings giving the orbit
        #    direction, and drive forwards or backwards accordingly.
        move = self._orbit_direction()
        diff = _wrap_angle(move - self.heading)
        backwards = np.abs(diff) > 0.5 * np.pi
        diff = np.where(backwards, _wrap_angle(diff + np.pi), diff)
        max_turn = np.radians(10.0 - 0.75 * np.abs(self.v))
        self.heading = self.heading + np.clip(diff, -max_turn, max_turn)
        goal = np.where(backwards, -1.0, 1.0) * self.speed_pref
        v = _new_velocity(self.v, goal)

        # 5. Move; a bot hitting a wall is stopped there.
        x = self.x + v * np.cos(self.heading)
        y = self.y + v * np.sin(self.heading)
        hit = (x < _XMIN) | (x > _XMAX) | (y < _YMIN) | (y > _YMAX)
        self.x = np.clip(x, _XMIN, _XMAX)
        self.y = np.clip(y, _YMIN, _YMAX)
        v = np.where(hit, 0.0, v)

        # 6. Observable history.
        self.prev_speed = np.abs(self.v)
        changed = np.abs(np.abs(v) - self.prev_speed) > 1e-9
        self.ticks_speed = np.where(changed, 0.0, self.ticks_speed + 1.0)
        sign = np.where(v > 0, 1.0, np.where(v < 0, -1.0, self.last_sign))
        reversed_ = sign != self.last_sign
        self.ticks_reversal = np.where(reversed_, 0.0, self.ticks_reversal + 1.0)
        self.last_sign = sign
        self.v = v


def _place_bots(n, rng):
    """Shooter and target positions with target distance ~ Uniform[100, 700]."""
    dist = rng.uniform(100.0, 700.0, size=n)
    angle = np.empty(n)
    todo = np.arange(n)
    width, height = _XMAX - _XMIN, _YMAX - _YMIN
    while todo.size:
        a = rng.uniform(0.0, _TWO_PI, size=todo.size)
        ok = (np.abs(dist[todo] * np.cos(a)) <= width) & (
            np.abs(dist[todo] * np.sin(a)) <= height
        )
        angle[todo[ok]] = a[ok]
        todo = todo[~ok]
    dx, dy = dist * np.cos(angle), dist * np.sin(angle)
    sx = rng.uniform(_XMIN + np.maximum(0.0, -dx), _XMAX - np.maximum(0.0, dx))
    sy = rng.uniform(_YMIN + np.maximum(0.0, -dy), _YMAX - np.maximum(0.0, dy))
    shooter = np.column_stack([sx, sy])
    return shooter, shooter + np.column_stack([dx, dy])


_CORNERS = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]) * _BOT_HALF


def _annulus_square_angles(sx, sy, px, py, r_in, r_out):
    """Angles of the points bounding (square at p) ∩ annulus(s; r_in, r_out).

    Returns an array of shape (n, 20) of absolute angles and a boolean mask of
    the same shape telling which candidate points exist. The angular extent of
    the intersection, seen from ``s``, is attained at one of these points:
    corners of the square inside the annulus, and intersections of the square's
    edges with the two circles.
    """
    rx, ry = px - sx, py - sy  # square centre relative to the shooter
    cand_x, cand_y, valid = [], [], []
    # Corners inside the annulus.
    for cx, cy in _CORNERS:
        qx, qy = rx + cx, ry + cy
        d2 = qx**2 + qy**2
        cand_x.append(qx)
        cand_y.append(qy)
        valid.append((d2 >= r_in**2) & (d2 <= r_out**2))
    # Edge / circle intersections.
    for r in (r_in, r_out):
        for side in (-1.0, 1.0):
            # The vertical edge x = rx + side * h (y within h of ry), then the
            # horizontal one y = ry + side * h (x within h of rx).
            for vertical in (True, False):
                fixed, free_centre = (rx, ry) if vertical else (ry, rx)
                edge = fixed + side * _BOT_HALF
                disc = r**2 - edge**2
                root = np.sqrt(np.maximum(disc, 0.0))
                for sgn in (-1.0, 1.0):
                    free = sgn * root
                    cand_x.append(edge if vertical else free)
                    cand_y.append(free if vertical else edge)
                    valid.append(
                        (disc >= 0) & (np.abs(free - free_centre) <= _BOT_HALF)
                    )
    angles = np.arctan2(np.column_stack(cand_y), np.column_stack(cand_x))
    return angles, np.column_stack(valid)


def make_guess_factor_waves(
    n_samples=1000,
    *,
    noise=0.0,
    random_state=None,
    bullet_power=None,
    return_info=False,
):
    """Simulate Robocode aiming: features at fire time and guess-factor hits.

    A stationary shooter fires a wave (a circle expanding at bullet speed) at
    a target bot that moves with a random orbiting policy. The target is the
    interval of guess factors at which a bullet would have hit the bot.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of waves (independent battles, one wave each).

    noise : float, default=0.0
        Standard deviation of a Gaussian shift, in guess-factor units, added to
        both ends of each interval (the interval centre moves, the width does
        not). Must be ``>= 0``.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an int
        for reproducible output across multiple function calls.

    bullet_power : float or None, default=None
        Bullet power in ``[0.1, 3]``. If None, each wave draws its power from
        ``Uniform[1, 3]``.

    return_info : bool, default=False
        If True, also return a dict with the simulation details.

    Returns
    -------
    X : ndarray of shape (n_samples, 8)
        Features at fire time, columns in the order of
        ``GUESS_FACTOR_FEATURES`` (see Notes).

    y : ndarray of shape (n_samples, 2)
        ``[lower, upper]`` guess factors of the hit interval, ``lower < upper``.
        Typically within ``[-1.2, 1.2]``; values are not clipped.

    info : dict of ndarrays, only if ``return_info=True``
        ``"bullet_power"``, ``"bullet_speed"``, ``"max_escape_angle"``
        (radians), ``"distance"`` (pixels at fire time),
        ``"lateral_direction"`` (+1 or -1), ``"hit_offsets"`` (shape
        ``(n_samples, 2)``: noise-free ``[min, max]`` bearing offsets in
        radians, counter-clockwise positive, from the initial bearing),
        ``"shooter_position"`` and ``"target_position"`` (shape
        ``(n_samples, 2)``, at fire time).

    Notes
    -----
    **Rules** (Robocode): speed ``|v| <= 8``, acceleration 1 and deceleration
    2 per tick (when reversing, the part of the tick left after stopping is
    spent accelerating), turn rate ``10 - 0.75 |v|`` degrees per tick, bots are
    36 x 36 axis-aligned squares on an 800 x 600 field and a bot driving into
    a wall is stopped at it. Bullet speed is ``20 - 3 * power`` and the maximum
    escape angle is ``asin(8 / bullet_speed)``. Bot collisions are ignored.

    **Placement.** The starting distance is drawn from ``Uniform[100, 700]``
    and the direction uniformly among those for which both bots fit in the
    field; the shooter is then placed uniformly where both fit. The target
    gets a uniform random heading and an integer velocity in ``[-8, 8]``.

    **Movement policy.** The target orbits the shooter: it steers (at the
    turn-rate limit) towards the nearer of the two headings along
    ``bearing + orbit * (pi / 2 + delta)``, driving forwards or backwards
    accordingly, where ``orbit = +-1`` is its orbit direction and
    ``delta = clip(delta0 + 0.002 * (distance - start_distance), -0.5, 0.5)``
    (``delta0 ~ U[-0.1, 0.1]``: a slight approach or retreat, plus distance
    keeping). Each tick, it reverses its orbit direction with probability
    ``min(1, t / tau**2)``, where ``t`` is the number of ticks since its last
    reversal and ``tau ~ LogUniform[8, 60]`` is a per-bot constant; it also
    reverses when the wall ahead (along its orbit direction) is closer than a
    per-bot margin ``~ U[30, 90]`` pixels, unless the wall behind is too. With
    a per-bot probability ``~ U[0, 0.05]`` per tick it changes its cruising
    speed (8 with probability 0.6, otherwise an integer in ``[0, 7]``).
    The bot moves for 40 warm-up ticks before the wave is fired, so that the
    history features are genuine (the distance at fire time therefore differs
    from the starting distance by the warm-up drift, typically a few tens of
    pixels).

    **Wave and hit interval.** The wave is fired at tick 0 from the shooter
    and has radius ``r(t) = bullet_speed * t``. At each tick ``t >= 1`` the
    target moves first; the bullet segment covers radii ``[r(t-1), r(t)]``, so
    a bullet fired at angle ``a`` hits if that segment meets the bot's square.
    The set of hitting angles for tick ``t`` is the angular extent, seen from
    the shooter, of square ∩ annulus, computed exactly from the square's
    corners inside the annulus and the intersections of its edges with both
    circles. The hit interval is the union (min to max) over ticks, expressed
    as offsets from the initial bearing to the target (counter-clockwise
    positive).

    **Guess factors.** ``GF = offset / max_escape_angle * lateral_direction``,
    where ``lateral_direction`` is the sign of the lateral velocity at fire
    time (+1 if zero): ``GF = 1`` is where a bot going straight at full speed
    in its current lateral direction could at most get to, ``GF = 0`` is
    head-on aiming. A bot near the edge can exceed 1 slightly (its half-width).
    Finally, ``noise * N(0, 1)`` is added to both ends.

    **Features** (``X`` columns, ``GUESS_FACTOR_FEATURES``), at fire time:

    0. ``bullet_flight_time``: distance / bullet speed (ticks).
    1. ``lateral_velocity``: absolute velocity component perpendicular to the
       line of fire, i.e. lateral velocity times ``lateral_direction`` (>= 0).
    2. ``advancing_velocity``: velocity component towards the shooter
       (negative when retreating).
    3. ``acceleration``: change of speed ``|v|`` over the last tick, in
       ``[-2, 1]`` (or down to -8 when stopped by a wall).
    4. ``ticks_since_velocity_reversal``: ticks since the sign of the velocity
       last changed (zero velocity keeps the previous sign).
    5. ``ticks_since_speed_change``: ticks since ``|v|`` last changed.
    6. ``wall_distance_ahead``: distance (pixels) from the bot centre to the
       field boundary reachable by it, along the orbit tangent (perpendicular
       to the line of fire) in the lateral direction.
    7. ``wall_distance_behind``: same, in the opposite direction.

    The two history counters start from random values in ``[0, 30]`` before
    the warm-up.

    Examples
    --------
    >>> from skkdece.datasets import GUESS_FACTOR_FEATURES, make_guess_factor_waves
    >>> X, y = make_guess_factor_waves(n_samples=100, random_state=0)
    >>> X.shape, y.shape, len(GUESS_FACTOR_FEATURES)
    ((100, 8), (100, 2), 8)
    >>> bool((y[:, 0] < y[:, 1]).all())
    True
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    noise = _check_real(noise, "noise", low=0.0)
    if bullet_power is not None:
        bullet_power = _check_real(bullet_power, "bullet_power", low=0.1, high=3.0)
    rng = check_random_state(random_state)

    if bullet_power is None:
        power = rng.uniform(1.0, 3.0, size=n_samples)
    else:
        power = np.full(n_samples, bullet_power)
    speed = _bullet_speed(power)
    mea = _max_escape_angle(speed)

    shooter, start = _place_bots(n_samples, rng)
    bot = _Movement(shooter, start, rng)
    for _ in range(_WARMUP_TICKS):
        bot.step()

    # Fire-time quantities.
    sx, sy = shooter[:, 0], shooter[:, 1]
    dx, dy = bot.x - sx, bot.y - sy
    distance = np.hypot(dx, dy)
    bearing = np.arctan2(dy, dx)
    vx, vy = bot.v * np.cos(bot.heading), bot.v * np.sin(bot.heading)
    lateral = -vx * np.sin(bearing) + vy * np.cos(bearing)  # counter-clockwise
    lateral_direction = np.where(lateral < 0, -1.0, 1.0)
    advancing = -(vx * dx + vy * dy) / distance
    tangent = bearing + lateral_direction * 0.5 * np.pi
    X = np.column_stack(
        [
            distance / speed,
            lateral * lateral_direction,
            advancing,
            np.abs(bot.v) - bot.prev_speed,
            bot.ticks_reversal,
            bot.ticks_speed,
            _ray_to_box(bot.x, bot.y, tangent),
            _ray_to_box(bot.x, bot.y, tangent + np.pi),
        ]
    )
    target_position = np.column_stack([bot.x, bot.y])

    # Fly the wave until it has passed every bot.
    lo = np.full(n_samples, np.inf)
    hi = np.full(n_samples, -np.inf)
    max_ticks = int(np.ceil((np.hypot(_FIELD_WIDTH, _FIELD_HEIGHT) + 100.0) / 11.0))
    for t in range(1, 2 * max_ticks):
        bot.step()
        r_in, r_out = speed * (t - 1), speed * t
        angles, valid = _annulus_square_angles(sx, sy, bot.x, bot.y, r_in, r_out)
        offsets = _wrap_angle(angles - bearing[:, None])
        lo = np.minimum(lo, np.where(valid, offsets, np.inf).min(axis=1))
        hi = np.maximum(hi, np.where(valid, offsets, -np.inf).max(axis=1))
        far_x = np.abs(bot.x - sx) + _BOT_HALF
        far_y = np.abs(bot.y - sy) + _BOT_HALF
        if np.all(r_in**2 > far_x**2 + far_y**2):
            break

    gf = np.column_stack([lo, hi]) / mea[:, None] * lateral_direction[:, None]
    gf.sort(axis=1)
    if noise > 0:
        gf += noise * rng.standard_normal(size=(n_samples, 1))

    if not return_info:
        return X, gf
    info = {
        "bullet_power": power,
        "bullet_speed": speed,
        "max_escape_angle": mea,
        "distance": distance,
        "lateral_direction": lateral_direction,
        "hit_offsets": np.column_stack([lo, hi]),
        "shooter_position": shooter,
        "target_position": target_position,
    }
    return X, gf, info
