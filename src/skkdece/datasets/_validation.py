"""Argument checks shared by the data set generators."""

from numbers import Integral, Real

import numpy as np


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
