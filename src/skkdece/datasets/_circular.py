"""A periodic target whose law is a feature-dependent mixture of two von Mises.

:func:`make_circular_regression` draws it; :func:`circular_regression_log_density`
evaluates its exact conditional log-density, the reference for a model's
held-out score.
"""

import numpy as np
from scipy.special import expit, i0e, log_expit
from sklearn.utils import check_array, check_random_state

from ._validation import _check_positive_int, _check_real

_TWO_PI = 2.0 * np.pi

# Above this concentration numpy's von Mises sampler becomes unreliable (it can
# stall for astronomically large kappa), and the von Mises law is numerically
# indistinguishable from a normal law with variance 1 / kappa.
_VONMISES_NORMAL_KAPPA = 1e6

# Columns of ``X`` used by the circular regression process.
_CIRCULAR_N_INFORMATIVE = 3


def _check_circular_X(X):
    X = check_array(X, dtype=np.float64, ensure_2d=True, input_name="X")
    if X.shape[1] < _CIRCULAR_N_INFORMATIVE:
        raise ValueError(
            f"X must have at least {_CIRCULAR_N_INFORMATIVE} columns (features), "
            f"got {X.shape[1]}."
        )
    return X


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
