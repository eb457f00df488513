"""The bracketed one-dimensional searches of ``skkdece._optimize``."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from skkdece._optimize import (
    GOLDEN_STEPS,
    POLISH_STEP,
    bracketed_max,
    bracketed_root,
    golden_section_max,
    parabolic_polish,
)

INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0


class Recorder:
    """A function of ``(index, t)`` that remembers every call."""

    def __init__(self, func):
        self.func = func
        self.calls = []

    def __call__(self, index, t):
        self.calls.append((np.array(index), np.array(t)))
        return self.func(index, t)


# ---------------------------------------------------------------- roots
def test_roots_of_cubics_per_entry_to_tolerance():
    targets = np.array([-8.0, -1.0, 0.5, 2.0, 27.0, 1e3])
    root, bracketed = bracketed_root(
        lambda i, t: t**3 - targets[i],
        np.full(6, -20.0),
        np.full(6, 20.0),
        xtol=1e-13,
    )
    assert bracketed.all()
    assert_allclose(root, np.cbrt(targets), rtol=0, atol=1e-12)


def test_secant_steps_beat_bisection_and_stay_inside_the_bracket():
    func = Recorder(lambda i, t: np.exp(t) - 2.0)
    root, _ = bracketed_root(func, np.array([0.0]), np.array([10.0]), xtol=1e-12)
    assert abs(root[0] - np.log(2.0)) < 1e-12
    # Bisection alone needs log2(10 / 1e-12) = 43 steps; Illinois far fewer.
    assert len(func.calls) - 2 < 25
    for _, t in func.calls:
        assert np.all((t >= 0.0) & (t <= 10.0))


def test_a_step_function_is_found_by_the_bisection_steps():
    # Secant steps on a jump make slow progress; every fourth step bisects.
    root, bracketed = bracketed_root(
        lambda i, t: np.where(t < 0.3, -1.0, 1.0),
        np.array([0.0]),
        np.array([1.0]),
        xtol=1e-10,
    )
    assert bracketed.all()
    assert abs(root[0] - 0.3) <= 1e-10


def test_zero_at_an_end_returns_that_end_exactly_without_iterating():
    func = Recorder(lambda i, t: t - np.array([0.25, 0.75])[i])
    root, bracketed = bracketed_root(
        func, np.array([0.25, 0.0]), np.array([1.0, 0.75]), xtol=1e-12
    )
    assert_array_equal(root, [0.25, 0.75])
    assert bracketed.all()
    assert len(func.calls) == 2


def test_an_exact_zero_at_a_trial_point_is_the_answer():
    # The first secant step from [0, 1] lands on 0.5 exactly.
    func = Recorder(lambda i, t: t - 0.5)
    root, _ = bracketed_root(func, np.array([0.0]), np.array([1.0]), xtol=1e-15)
    assert root[0] == 0.5
    assert len(func.calls) == 3


def test_a_nan_at_a_trial_point_stops_there():
    def func(i, t):
        return np.where((t > 0.3) & (t < 0.6), np.nan, t - 0.45)

    recorder = Recorder(func)
    root, bracketed = bracketed_root(
        recorder, np.array([0.0]), np.array([1.0]), xtol=1e-12
    )
    assert bracketed.all()
    assert 0.3 < root[0] < 0.6
    assert root[0] == recorder.calls[-1][1][0]  # the last trial point
    assert np.isnan(func(None, root)[0])


def test_entries_without_a_bracket_get_the_nearest_end_or_nan():
    shift = np.array([-1.0, 3.0, np.nan, 0.5])
    root, bracketed = bracketed_root(
        lambda i, t: t - shift[i], np.zeros(4), np.full(4, 2.0), xtol=1e-12
    )
    # Root below the bracket: lower; above it: upper; NaN values: NaN.
    assert_array_equal(bracketed, [False, False, False, True])
    assert_array_equal(root[:2], [0.0, 2.0])
    assert np.isnan(root[2])
    assert abs(root[3] - 0.5) < 1e-12


def test_two_dimensional_brackets_pass_flat_indices_and_keep_their_shape():
    targets = np.array([[1.0, 4.0, 9.0], [16.0, 25.0, 36.0]])
    func = Recorder(lambda i, t: t**2 - targets.ravel()[i])
    lower = np.zeros((2, 3))
    root, bracketed = bracketed_root(func, lower, np.full((2, 3), 7.0), xtol=1e-13)
    assert root.shape == bracketed.shape == (2, 3)
    assert_allclose(root, np.sqrt(targets), rtol=0, atol=1e-12)
    assert_array_equal(func.calls[0][0], np.arange(6))
    assert np.all(lower == 0.0)  # the brackets are not modified in place


def test_converged_entries_stop_being_evaluated():
    # Entry 0 converges at once (an exact end), entry 1 needs iterations.
    func = Recorder(lambda i, t: t - np.array([0.0, np.pi / 4])[i])
    bracketed_root(func, np.zeros(2), np.ones(2), xtol=1e-12)
    for index, _ in func.calls[2:]:
        assert_array_equal(index, [1])


def test_no_steps_gives_the_middle_of_the_bracket():
    root, bracketed = bracketed_root(
        lambda i, t: t - 0.1, np.array([0.0]), np.array([1.0]), xtol=0.0, max_steps=0
    )
    assert bracketed.all()
    assert root[0] == 0.5


# --------------------------------------------------------------- maxima
def test_golden_section_finds_each_rows_peak():
    peaks = np.array([-2.5, 0.0, 0.3, 4.0])
    x, f = golden_section_max(
        lambda t: -np.cosh(t - peaks), np.full(4, -3.0), np.full(4, 5.0)
    )
    # Values are only compared: rounding of cosh near 1 limits it to ~1e-8.
    assert_allclose(x, peaks, rtol=0, atol=1e-7)
    assert_allclose(f, -1.0, rtol=0, atol=1e-15)


def test_golden_section_on_a_monotone_function_ends_at_the_bracket_end():
    lower, upper = np.array([1.0, 1.0]), np.array([2.0, 2.0])
    x, f = golden_section_max(lambda t: np.array([1.0, -1.0]) * t, lower, upper)
    width = INV_PHI**GOLDEN_STEPS
    assert 2.0 - width <= x[0] <= 2.0
    assert 1.0 <= x[1] <= 1.0 + width
    assert_allclose(f, [x[0], -x[1]])


def test_golden_section_treats_minus_inf_as_a_value():
    # log of the Epanechnikov shape: -inf outside [-1, 1].
    def log_shape(t):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.abs(t) < 1, np.log(np.abs(1 - t**2)), -np.inf)

    x, f = golden_section_max(log_shape, np.array([-0.9]), np.array([3.0]))
    assert abs(x[0]) < 1e-7
    assert abs(f[0]) < 1e-13


def test_golden_section_on_a_point_bracket_returns_the_point():
    x, f = golden_section_max(np.sin, np.array([0.7]), np.array([0.7]))
    assert_array_equal(x, [0.7])
    assert_array_equal(f, np.sin([0.7]))


def test_golden_section_keeps_two_dimensional_shapes():
    peaks = np.array([[0.1, 0.2], [0.3, 0.4]])
    x, _ = golden_section_max(
        lambda t: -((t - peaks) ** 2), np.zeros((2, 2)), np.ones((2, 2))
    )
    assert x.shape == (2, 2)
    assert_allclose(x, peaks, atol=1e-7)


def test_polish_brings_a_smooth_peak_far_below_golden_precision():
    peaks = np.array([0.123456789, -1.2, 2.71828])
    func = lambda t: -np.cosh(t - peaks)  # noqa: E731
    lower, upper = peaks - 1.0, peaks + 1.3
    x, f = golden_section_max(func, lower, upper)
    xp, fp = parabolic_polish(func, x, f, lower, upper, scale=1.0)
    assert np.max(np.abs(x - peaks)) > 1e-10  # golden section alone is not there
    assert_allclose(xp, peaks, rtol=0, atol=1e-10)
    assert np.all(fp >= f)


def test_polish_never_loses_value_at_a_kink_or_beside_minus_inf():
    def kink(t):
        return -np.abs(t - 0.2)

    x = np.array([0.2, 0.2 + 1e-9])
    xp, fp = parabolic_polish(kink, x, kink(x), x - 1, x + 1, scale=1.0)
    assert xp[0] == 0.2  # on the kink: a symmetric parabola, no step
    assert 0.2 <= xp[1] <= x[1]  # beside it: a step toward the kink or none
    assert np.all(fp >= kink(x))
    assert_array_equal(fp, kink(xp))

    x = np.array([0.2 + 1e-9])

    def spike(t):
        return np.where(t == x, 0.0, -np.inf)

    x_spike, f_spike = parabolic_polish(spike, x, np.zeros(1), x - 1, x + 1, scale=1.0)
    assert_array_equal(x_spike, x)
    assert_array_equal(f_spike, [0.0])


def test_polish_step_stays_inside_the_bracket():
    # The vertex lies 2e-7 beyond the upper end: the step is clipped there.
    x = np.array([1.0 - 1e-7])
    func = lambda t: -((t - (1.0 + 1e-7)) ** 2)  # noqa: E731
    xp, fp = parabolic_polish(
        func, x, func(x), np.array([0.0]), np.array([1.0]), scale=1.0
    )
    assert 1e-7 < POLISH_STEP  # the vertex is within one polish step
    assert_array_equal(xp, [1.0])
    assert_allclose(fp, func(np.array([1.0])))


def test_bracketed_max_is_golden_section_then_polish():
    peaks = np.array([0.3, -0.4])
    func = lambda t: -np.cosh(t - peaks)  # noqa: E731
    lower, upper = np.full(2, -1.0), np.full(2, 1.0)
    x_g, f_g = golden_section_max(func, lower, upper)
    x, f = bracketed_max(func, lower, upper)
    assert_array_equal(x, x_g)
    assert_array_equal(f, f_g)
    x_p, f_p = bracketed_max(func, lower, upper, polish_scale=0.5)
    expected = parabolic_polish(func, x_g, f_g, lower, upper, scale=0.5)
    assert_array_equal(x_p, expected[0])
    assert_array_equal(f_p, expected[1])
    assert_allclose(x_p, peaks, rtol=0, atol=1e-10)
