"""Synthetic data sets for conditional density estimation of (circular) targets.

The generators follow the conventions of :mod:`sklearn.datasets`: keyword
arguments ``n_samples``, ``noise`` and ``random_state`` (anything accepted by
:func:`sklearn.utils.check_random_state`), and they return ``(X, y)`` as
``float64`` numpy arrays.

- :func:`make_circular_regression` draws a periodic target whose conditional
  distribution is a feature-dependent mixture of two von Mises components;
  :func:`circular_regression_log_density` evaluates its exact conditional
  log-density.
- :func:`make_guess_factor_waves` simulates Robocode-style aiming: a stationary
  shooter fires a wave at a moving target and records the interval of guess
  factors that would have hit it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, i0e, log_expit
from sklearn.utils import check_array, check_random_state

__all__ = [
    "GUESS_FACTOR_FEATURES",
    "circular_regression_log_density",
    "make_circular_regression",
    "make_guess_factor_waves",
]

_TWO_PI = 2.0 * np.pi

# Above this concentration numpy's von Mises sampler becomes unreliable (it can
# stall for astronomically large kappa), and the von Mises law is numerically
# indistinguishable from a normal law with variance 1 / kappa.
_VONMISES_NORMAL_KAPPA = 1e6

# Columns of ``X`` used by the circular regression process.
_CIRCULAR_N_INFORMATIVE = 3


# ---------------------------------------------------------------------------
# Argument validation
# ---------------------------------------------------------------------------


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _check_real(value, name, *, low=None, high=None, low_open=False):
    """Check that ``value`` is a finite real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None:
        if low_open and not value > low:
            raise ValueError(f"{name} must be > {low}, got {value!r}.")
        if not low_open and not value >= low:
            raise ValueError(f"{name} must be >= {low}, got {value!r}.")
    if high is not None and not value <= high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}.")
    return value


def _check_circular_X(X):
    X = check_array(X, dtype=np.float64, ensure_2d=True, input_name="X")
    if X.shape[1] < _CIRCULAR_N_INFORMATIVE:
        raise ValueError(
            f"X must have at least {_CIRCULAR_N_INFORMATIVE} columns (features), "
            f"got {X.shape[1]}."
        )
    return X


# ---------------------------------------------------------------------------
# Circular regression
# ---------------------------------------------------------------------------


def _circular_mixture_params(X):
    """Mean directions (radians) and log mixing weights of the two components."""
    x0, x1, x2 = X[:, 0], X[:, 1], X[:, 2]
    mu1 = np.pi * np.sin(np.pi * x0) + x1
    mu2 = mu1 + np.pi * (0.5 + 0.5 * np.tanh(2.0 * x2))
    logit = 3.0 * x1 * x2
    return mu1, mu2, logit


def _wrap_window(y, period):
    """Wrap ``y`` into the half-open window ``[-period / 2, period / 2)``."""
    half = 0.5 * period
    y = np.mod(y + half, period) - half
    # np.mod can round up to exactly ``period`` for tiny negative inputs.
    y[y >= half] -= period
    y[y < -half] = -half
    return y


def make_circular_regression(
    n_samples=1000,
    *,
    n_features=4,
    noise=0.3,
    period=2 * np.pi,
    random_state=None,
    X=None,
):
    r"""Generate a regression problem with a periodic, multi-modal target.

    The conditional distribution of the target given the features is a
    mixture of two von Mises distributions whose mean directions, separation
    and mixing weight depend non-linearly on the first three features.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples. Ignored when ``X`` is given.

    n_features : int, default=4
        Number of features, at least 3. Only the first three features are
        informative; the others are pure noise. Ignored when ``X`` is given.

    noise : float, default=0.3
        Circular scale, in radians, of each von Mises component: the
        concentration is ``kappa = 1 / noise**2``. Must be ``>= 0``;
        ``noise=0`` puts the targets exactly on the component modes.

    period : float, default=2*pi
        Period of the target, e.g. ``2 * np.pi`` for radians or ``360`` for
        degrees. Must be ``> 0``. Targets lie in ``[-period / 2, period / 2)``.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an int
        for reproducible output across multiple function calls.

    X : array-like of shape (n_samples, n_features), default=None
        If given, these features are used instead of drawing them, and only
        the targets are sampled (conditionally on ``X``). Must have at least
        three columns.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The input samples (a float64 copy of ``X`` when it was given).

    y : ndarray of shape (n_samples,)
        The periodic targets, in ``[-period / 2, period / 2)``.

    See Also
    --------
    circular_regression_log_density : Exact conditional log-density of ``y``.

    Notes
    -----
    The generative process is, for each sample independently:

    1. ``X ~ Uniform[-1, 1]^n_features``.
    2. Component mean directions (radians), from ``x0, x1, x2``::

           mu1 = pi * sin(pi * x0) + x1
           mu2 = mu1 + pi * (0.5 + 0.5 * tanh(2 * x2))

       so the modes are almost merged for ``x2 = -1`` (separation
       ``0.018 * pi``) and nearly opposite for ``x2 = 1`` (``0.98 * pi``).
    3. Component 1 is chosen with probability ``w = sigmoid(3 * x1 * x2)``,
       component 2 otherwise.
    4. An angle is drawn from the von Mises distribution with the chosen
       mean and concentration ``kappa = 1 / noise**2``. For ``noise = 0`` the
       angle is the mean itself; for ``kappa > 1e6`` (``noise < 1e-3``) the
       von Mises law is replaced by its normal limit ``N(mu, noise**2)``.
    5. The angle ``theta`` is rescaled to the period and wrapped:
       ``y = wrap(theta * period / (2 * pi))`` into ``[-period/2, period/2)``.

    The conditional density of ``y`` given ``x`` is therefore

    .. math::

        p(y \mid x) = \frac{2\pi}{T} \left[
            w\, f_{VM}(\theta; \mu_1, \kappa)
            + (1 - w)\, f_{VM}(\theta; \mu_2, \kappa) \right],
        \qquad \theta = 2\pi y / T,

    with ``T = period`` and
    :math:`f_{VM}(\theta; \mu, \kappa) = e^{\kappa\cos(\theta-\mu)} /
    (2\pi I_0(\kappa))`.

    Examples
    --------
    >>> from skkdece.datasets import make_circular_regression
    >>> X, y = make_circular_regression(n_samples=200, random_state=0)
    >>> X.shape, y.shape
    ((200, 4), (200,))
    >>> X, y = make_circular_regression(n_samples=50, period=360, random_state=0)
    >>> bool(((y >= -180) & (y < 180)).all())
    True
    """
    noise = _check_real(noise, "noise", low=0.0)
    period = _check_real(period, "period", low=0.0, low_open=True)
    rng = check_random_state(random_state)

    if X is None:
        n_samples = _check_positive_int(n_samples, "n_samples")
        n_features = _check_positive_int(n_features, "n_features")
        if n_features < _CIRCULAR_N_INFORMATIVE:
            raise ValueError(
                f"n_features must be >= {_CIRCULAR_N_INFORMATIVE}, got {n_features}."
            )
        X = rng.uniform(-1.0, 1.0, size=(n_samples, n_features))
    else:
        X = np.array(_check_circular_X(X), dtype=np.float64, copy=True)
        n_samples = X.shape[0]

    mu1, mu2, logit = _circular_mixture_params(X)
    first = rng.uniform(size=n_samples) < expit(logit)
    mu = np.where(first, mu1, mu2)

    if noise == 0.0:
        theta = mu
    else:
        kappa = 1.0 / noise**2
        if kappa > _VONMISES_NORMAL_KAPPA:
            theta = mu + noise * rng.standard_normal(size=n_samples)
        else:
            theta = rng.vonmises(mu, kappa, size=n_samples)

    y = _wrap_window(theta * (period / _TWO_PI), period)
    return X, y


def _vonmises_logpdf(theta, mu, kappa):
    # log(exp(kappa cos(d)) / (2 pi I0(kappa))) with I0(k) = i0e(k) exp(k).
    return kappa * (np.cos(theta - mu) - 1.0) - np.log(_TWO_PI * i0e(kappa))


def circular_regression_log_density(X, y, *, noise=0.3, period=2 * np.pi):
    """True conditional log-density of :func:`make_circular_regression` data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features, with at least three columns (only the first three matter).

    y : array-like of shape (n_samples,)
        Targets. Any real value is accepted; the density is periodic in ``y``.

    noise : float, default=0.3
        The ``noise`` used to generate the data. Must be ``> 0`` (the density
        is degenerate for ``noise=0``).

    period : float, default=2*pi
        The ``period`` used to generate the data. Must be ``> 0``.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        ``log p(y_i | X_i)``, per unit of ``y``: it includes the Jacobian
        ``log(2 * pi / period)``, so ``exp(log_density)`` integrates to 1 over
        any interval of length ``period``.

    See Also
    --------
    make_circular_regression : The generative process (documented there).

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece.datasets import (
    ...     circular_regression_log_density, make_circular_regression)
    >>> X, y = make_circular_regression(n_samples=100, random_state=0)
    >>> log_density = circular_regression_log_density(X, y)
    >>> log_density.shape
    (100,)
    >>> grid = np.linspace(-np.pi, np.pi, 2001)[:-1]
    >>> ld = circular_regression_log_density(np.repeat(X[:1], 2000, axis=0), grid)
    >>> print(f"{np.exp(ld).sum() * (grid[1] - grid[0]):.4f}")
    1.0000
    """
    noise = _check_real(noise, "noise", low=0.0, low_open=True)
    period = _check_real(period, "period", low=0.0, low_open=True)
    X = _check_circular_X(X)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must be a 1-D array with one value per row of X; got y of shape "
            f"{y.shape} for X of shape {X.shape}."
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("y must contain only finite values.")

    kappa = 1.0 / noise**2
    theta = y * (_TWO_PI / period)
    mu1, mu2, logit = _circular_mixture_params(X)
    log_p = np.logaddexp(
        log_expit(logit) + _vonmises_logpdf(theta, mu1, kappa),
        log_expit(-logit) + _vonmises_logpdf(theta, mu2, kappa),
    )
    return log_p + np.log(_TWO_PI / period)


# ---------------------------------------------------------------------------
# Robocode guess-factor waves
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Real Robocode waves (bundled data set)
# ---------------------------------------------------------------------------

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
    python robocode/make_dataset.py waves/ skkdece/data/robocode_waves.csv.gz

Battles are not seeded (Robocode's and the robots' randomness), so a new
recording gives different rows with the same distribution.
"""


def _read_robocode_csv():
    import csv
    import gzip
    from importlib import resources

    ref = resources.files("skkdece").joinpath("data").joinpath(_ROBOCODE_FILE)
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
        fire_time, bullet_power, lateral_direction, real_bullet, bullet_gf,
        bullet_hit : ndarray of shape (n_samples,)
            See ``DESCR``.
        frame : DataFrame, only with ``as_frame=True``
            All columns.
        DESCR : str
            Description and provenance.

    (data, target) : tuple if ``return_X_y`` is True

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


__all__ += ["ROBOCODE_FEATURES", "ROBOCODE_OPPONENTS", "load_robocode_waves"]
