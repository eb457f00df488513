"""Data sets for conditional density estimation of (circular) targets.

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
- :func:`load_robocode_waves` loads waves recorded in real Robocode battles
  (interval targets, bundled with the package).
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._circular import circular_regression_log_density, make_circular_regression
from ._guess_factor import GUESS_FACTOR_FEATURES, make_guess_factor_waves
from ._robocode import ROBOCODE_FEATURES, ROBOCODE_OPPONENTS, load_robocode_waves

__all__ = [
    "GUESS_FACTOR_FEATURES",
    "ROBOCODE_FEATURES",
    "ROBOCODE_OPPONENTS",
    "circular_regression_log_density",
    "load_robocode_waves",
    "make_circular_regression",
    "make_guess_factor_waves",
]
