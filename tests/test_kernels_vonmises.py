"""The vectorised von Mises CDF of ``skkdece._kernels``.

Checked against an independent reference (composite Gauss-Legendre quadrature
of the density, summed from the antipode inwards so that small tails keep
their digits) and against ``scipy.stats.vonmises.cdf`` wherever scipy is itself
accurate: its normal approximation for kappa >= 50 is off by up to 3e-6 (at
kappa = 50, falling like 1/kappa^2 to 7e-11 at kappa = 1e4).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import i0e
from scipy.stats import vonmises

from skkdece._tables._kernels import (
    _VONMISES_FOURIER_MAX_KAPPA,
    _VONMISES_SPLIT_MAX_KAPPA,
    _log_mass_by_quadrature,
    _n_images,
    _unit_cdf,
    _vonmises_cdf_from_start,
    cumulative_mass,
    log_interval_mass,
    vonmises_kappa,
)

SWITCH = _VONMISES_FOURIER_MAX_KAPPA
SPLIT = _VONMISES_SPLIT_MAX_KAPPA
THETA = np.linspace(-np.pi, np.pi, 4001)  # holds -pi, 0 and pi exactly
KAPPAS = np.unique(
    np.concatenate(
        [
            np.logspace(-8, 7, 31),
            [1e-12, 1e8],
            # both sides of our switch-over, and of scipy's (kappa = 50)
            [12.0, 12.4, SWITCH, np.nextafter(SWITCH, np.inf), 12.6, 14.0, 16.0],
            [SPLIT, np.nextafter(SPLIT, np.inf), 25.0, 49.9, 50.0, 50.1],
        ]
    )
)
KAPPA_IDS = [f"{k:.6g}" for k in KAPPAS]


# The stated absolute error of the CDF (see the comment in _kernels.py).
ERROR_BOUND = 1e-15


def reference_tail(t, kappa):
    """Mass of [t, pi] for t in [0, pi], by 20-node Gauss-Legendre panels."""
    width = min(np.pi / 64, 0.2 / np.sqrt(kappa))
    n_panels = int(np.ceil(np.pi / width))
    edges = np.linspace(0.0, np.pi, n_panels + 1)
    x, w = np.polynomial.legendre.leggauss(20)

    def mass(a, b):
        half = 0.5 * (b - a)
        phi = (0.5 * (a + b))[..., None] + half[..., None] * x
        return half * (np.exp(-2.0 * kappa * np.sin(0.5 * phi) ** 2) @ w)

    panel = mass(edges[:-1], edges[1:])
    beyond = np.append(np.cumsum(panel[::-1])[::-1], 0.0)  # mass of [edge, pi]
    i = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_panels - 1)
    return (mass(t, edges[i + 1]) + beyond[i + 1]) / (2.0 * np.pi * i0e(kappa))


def reference_cdf(theta, kappa):
    tail = reference_tail(np.abs(theta), kappa)
    return np.where(theta <= 0, tail, 1.0 - tail)


@pytest.mark.parametrize("kappa", KAPPAS, ids=KAPPA_IDS)
def test_cdf_matches_quadrature(kappa):
    err = np.abs(_vonmises_cdf_from_start(THETA, kappa) - reference_cdf(THETA, kappa))
    assert err.max() <= ERROR_BOUND


@pytest.mark.parametrize("kappa", KAPPAS, ids=KAPPA_IDS)
def test_cdf_matches_scipy(kappa):
    ours = _vonmises_cdf_from_start(THETA, kappa)
    theirs = vonmises.cdf(THETA, kappa)
    scipy_err = np.abs(theirs - reference_cdf(THETA, kappa)).max()
    diff = np.abs(ours - theirs).max()
    if scipy_err <= 1e-11:
        assert diff <= 1e-10
    else:
        # scipy's normal approximation (kappa >= 50): every difference is
        # scipy's own error.
        assert kappa >= 50
        assert diff <= scipy_err + 1e-14


@pytest.mark.parametrize("kappa", KAPPAS, ids=KAPPA_IDS)
def test_cdf_is_monotone_and_in_unit_interval(kappa):
    theta = np.linspace(-np.pi, np.pi, 200_001)
    cdf = _vonmises_cdf_from_start(theta, kappa)
    assert np.all(np.diff(cdf) >= 0.0)
    assert cdf.min() >= 0.0 and cdf.max() <= 1.0


@pytest.mark.parametrize(
    "kappa", [12.0, SWITCH, np.nextafter(SWITCH, np.inf), 16.0, SPLIT, 20.5]
)
def test_cdf_is_monotone_on_a_very_fine_grid_near_the_switch(kappa):
    # The Fourier series' rounding (~1e-16) must stay below the mass of each
    # step even in the antipodal tail, where the density is ~exp(-2 kappa).
    theta = np.linspace(-np.pi, np.pi, 2_000_001)
    assert np.all(np.diff(_vonmises_cdf_from_start(theta, kappa)) >= 0.0)


@pytest.mark.parametrize("kappa", KAPPAS, ids=KAPPA_IDS)
def test_cdf_ends_and_center_are_exact(kappa):
    theta = np.array([-np.pi, -0.0, 0.0, np.pi])
    assert_array_equal(_vonmises_cdf_from_start(theta, kappa), [0.0, 0.5, 0.5, 1.0])
    # a rounding error outside the circle counts as the end
    outside = np.nextafter([-np.pi, np.pi], [-4.0, 4.0])
    assert_array_equal(_vonmises_cdf_from_start(outside, kappa), [0.0, 1.0])


@pytest.mark.parametrize("kappa", KAPPAS, ids=KAPPA_IDS)
def test_cdf_is_symmetric(kappa):
    lower = _vonmises_cdf_from_start(-THETA, kappa)
    upper = _vonmises_cdf_from_start(THETA, kappa)
    # F(-t) is the tail itself and F(t) = 1 - tail, rounded once.
    assert np.abs((1.0 - upper) - lower).max() <= 2.0**-53


@pytest.mark.parametrize("kappa", KAPPAS, ids=KAPPA_IDS)
def test_lower_tail_keeps_relative_accuracy(kappa):
    # Below the mean the CDF is computed as a tail, never as 1 - (mass), so
    # small values keep their relative accuracy out to a mass of 1e-8.
    theta = np.linspace(-np.pi, 0.0, 2001)
    ref = reference_tail(-theta, kappa)
    ours = _vonmises_cdf_from_start(theta, kappa)
    assert np.all(ours >= 0.0)
    kept = ref >= 1e-8
    assert_allclose(ours[kept], ref[kept], rtol=1e-7, atol=0.0)


@pytest.mark.parametrize(
    "kappa", [np.nextafter(SWITCH, np.inf), 14.0, 16.0, SPLIT], ids=str
)
def test_lower_tail_is_relatively_exact_between_the_series(kappa):
    # The split expansion (Fourier series no longer monotone in the far tail,
    # plain moment series not yet exact to 1e-15) sums positive terms only.
    theta = np.linspace(-np.pi, 0.0, 2001)
    ref = reference_tail(-theta, kappa)
    ours = _vonmises_cdf_from_start(theta, kappa)
    kept = ref > 0
    assert_allclose(ours[kept], ref[kept], rtol=1e-13, atol=0.0)


def test_cdf_is_vectorised_over_any_shape():
    kappa = 3.0
    theta = np.random.default_rng(0).uniform(-np.pi, np.pi, (3, 4, 5))
    out = _vonmises_cdf_from_start(theta, kappa)
    assert out.shape == (3, 4, 5) and out.dtype == np.float64
    flat = np.array([_vonmises_cdf_from_start(t, kappa) for t in theta.ravel()])
    assert_array_equal(out.ravel(), flat)
    scalar = _vonmises_cdf_from_start(0.5, kappa)
    assert np.ndim(scalar) == 0
    assert_allclose(float(scalar), vonmises.cdf(0.5, kappa), rtol=0, atol=1e-15)
    for shape in [(0,), (2, 0)]:
        assert _vonmises_cdf_from_start(np.zeros(shape), kappa).shape == shape
    assert_array_equal(_vonmises_cdf_from_start([-np.pi, 0, np.pi], 2), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("kappa", [0.5, 30.0])
def test_cdf_is_blockwise_consistent(kappa):
    # Arrays longer than one block give the values of the pieces.
    theta = np.random.default_rng(1).uniform(-np.pi, np.pi, 40_000)
    whole = _vonmises_cdf_from_start(theta, kappa)
    pieces = [_vonmises_cdf_from_start(p, kappa) for p in np.split(theta, 40)]
    assert_array_equal(whole, np.concatenate(pieces))


def test_nan_propagates():
    out = _vonmises_cdf_from_start(np.array([np.nan, 0.0]), 5.0)
    assert np.isnan(out[0]) and out[1] == 0.5


@pytest.mark.parametrize("bandwidth", [100.0, 20.0, 15.0, 5.0, 0.5])
def test_cumulative_mass_vonmises(bandwidth):
    P = 360.0
    kappa = vonmises_kappa(bandwidth, P)
    u = np.linspace(-540.0, 540.0, 2161)
    turns = np.floor(u / P + 0.5)
    r = u - P * turns
    expected = turns + reference_cdf((2.0 * np.pi / P) * r, kappa)
    got = cumulative_mass(u, "vonmises", bandwidth, P)
    assert_allclose(got, expected, rtol=0, atol=ERROR_BOUND + 4e-16)
    # one full turn is exactly one unit of mass
    assert_array_equal(
        cumulative_mass(np.array([-180.0, 180.0, 540.0]), "vonmises", bandwidth, P),
        [0.0, 1.0, 2.0],
    )


@pytest.mark.parametrize("bandwidth", [20.0, 15.0, 9.0])
def test_log_interval_mass_by_cdf_matches_quadrature(bandwidth):
    # kappa <= 50 takes the CDF difference; it agrees with the quadrature
    # used above 50 wherever the mass is not tiny.
    P = 360.0
    assert vonmises_kappa(bandwidth, P) <= 50.0
    rng = np.random.default_rng(2)
    lo = rng.uniform(-400.0, 400.0, 500)
    hi = lo + rng.uniform(0.0, P, 500)
    by_cdf = log_interval_mass(lo, hi, "vonmises", bandwidth, P)
    by_quad = _log_mass_by_quadrature(lo, hi, "vonmises", bandwidth, P)
    kept = by_quad > np.log(1e-6)
    assert kept.sum() > 100
    assert_allclose(by_cdf[kept], by_quad[kept], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "kernel, bandwidth",
    [
        ("gaussian", 10.0),
        ("gaussian", 110.0),
        ("tophat", 250.0),
        ("epanechnikov", 40.0),
        ("linear", 500.0),
        ("cosine", 90.0),
    ],
)
def test_cumulative_mass_image_sums_hold_every_image(kernel, bandwidth):
    # cumulative_mass takes its image count from _n_images; a few more images
    # change nothing.
    P = 360.0
    u = np.linspace(-180.0, 180.0, 721)
    n = _n_images(kernel, bandwidth, P) + 3
    shifts = P * np.arange(-n, n + 1)
    wide = np.sum(
        _unit_cdf((u[:, None] + shifts) / bandwidth, kernel)
        - _unit_cdf((-0.5 * P + shifts) / bandwidth, kernel),
        axis=-1,
    )
    got = cumulative_mass(u, kernel, bandwidth, P)
    assert_allclose(got, wide, rtol=0, atol=1e-15)
