"""Box atoms: kernels smoothed over an interval, against numerical integration."""

import numpy as np
import pytest
from scipy.integrate import quad, trapezoid
from scipy.special import ndtr

from skkdece import KDEDistribution
from skkdece._distribution_mixtures import cumulative_2d
from skkdece._tables._atoms import atom_cumulative, atom_log_mass, log_atom_density
from skkdece._tables._kernels import (
    KINK_OFFSETS,
    cumulative_mass,
    log_interval_mass,
    log_kernel,
)

LINE_KERNELS = ["gaussian", "exponential", "tophat", "epanechnikov", "linear", "cosine"]


def _density(kernel, h, r, period=None):
    def f(t):
        return float(
            np.exp(log_atom_density(np.array([t]), np.array([r]), kernel, h, period))[0]
        )

    return f


def _breaks(kernel, h, r, lo, hi):
    """The atom's kinks inside (lo, hi), for scipy's quad."""
    pts = [s + o * h for s in (-r, r) for o in KINK_OFFSETS[kernel]] + [-r, r]
    return sorted(p for p in pts if lo < p < hi)


@pytest.mark.parametrize("kernel", LINE_KERNELS)
@pytest.mark.parametrize("r", [0.05, 0.4, 2.0])
def test_box_atom_density_cdf_and_masses_match_quadrature(kernel, r):
    h = 0.7
    f = _density(kernel, h, r)
    reach = r + 40 * h
    total = quad(f, -reach, reach, points=_breaks(kernel, h, r, -reach, reach))[0]
    assert total == pytest.approx(1.0, abs=1e-10)
    for u in [-3.0, -0.3, 0.0, 0.5, 2.5]:
        ref = quad(f, -reach, u, points=_breaks(kernel, h, r, -reach, u), limit=200)[0]
        cum = atom_cumulative(np.array([u]), np.array([r]), kernel, h)[0]
        assert cum == pytest.approx(ref, abs=1e-12)
        for w in [0.01, 0.5]:
            ref = quad(
                f,
                u - w,
                u + w,
                points=_breaks(kernel, h, r, u - w, u + w),
                epsabs=0,
                epsrel=1e-13,
                limit=200,
            )[0]
            mass = np.exp(
                atom_log_mass(
                    np.array([u - w]), np.array([u + w]), np.array([r]), kernel, h
                )
            )[0]
            assert mass == pytest.approx(ref, rel=1e-10, abs=1e-300)


def test_box_atom_density_is_the_kernel_smoothed_over_the_box():
    """Gaussian: (Phi((t - c + r)/h) - Phi((t - c - r)/h)) / (2r), in closed form."""
    t = np.linspace(-3, 3, 61)
    r, h = 0.8, 0.3
    # The difference of the lower tails on the left, of the upper on the right.
    a = -np.abs(t)
    expected = (ndtr((a + r) / h) - ndtr((a - r) / h)) / (2 * r)
    got = np.exp(log_atom_density(t, np.full(t.shape, r), "gaussian", h))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_zero_half_widths_and_none_are_the_kernel_bit_for_bit():
    u = np.linspace(-5, 5, 101)
    zero = np.zeros_like(u)
    for kernel in LINE_KERNELS:
        assert np.array_equal(
            log_atom_density(u, zero, kernel, 0.7), log_kernel(u, kernel, 0.7)
        )
        assert np.array_equal(
            atom_cumulative(u, zero, kernel, 0.7), cumulative_mass(u, kernel, 0.7)
        )
        assert np.array_equal(
            atom_log_mass(u, u + 0.3, zero, kernel, 0.7),
            log_interval_mass(u, u + 0.3, kernel, 0.7),
        )
        assert atom_log_mass(u, u + 0.3, None, kernel, 0.7) is not None


@pytest.mark.parametrize("u", [10.0, 50.0, 300.0])
def test_far_tail_masses_stay_finite_and_exact(u):
    """Hundreds of bandwidths out, the log mass is exact (no underflow, no clip).

    Reference: the mean over the box of the exact log-domain kernel masses,
    integrated by scipy's quad in the log-shifted scale.
    """
    r, w = 0.5, 0.5
    got = atom_log_mass(
        np.array([u - w]), np.array([u + w]), np.array([r]), "gaussian", 1.0
    )
    ref_log = log_interval_mass(
        np.array([u - w - r]), np.array([u + w - r]), "gaussian", 1.0
    )[0]

    def shifted(s):
        return np.exp(
            log_interval_mass(
                np.array([u - w - s]), np.array([u + w - s]), "gaussian", 1.0
            )[0]
            - ref_log
        )

    avg = quad(shifted, -r, r, epsabs=0, epsrel=1e-13)[0] / (2 * r)
    assert np.isfinite(got[0])
    assert got[0] == pytest.approx(ref_log + np.log(avg), rel=1e-11)


@pytest.mark.parametrize(
    "kernel", ["gaussian", "exponential", "tophat", "linear", "vonmises"]
)
def test_periodic_box_atoms_wrap_and_integrate_to_one(kernel):
    P, h, r = 6.0, 0.5, 0.8
    f = _density(kernel, h, r, P)
    assert quad(f, -P / 2, P / 2, limit=200)[0] == pytest.approx(1.0, abs=1e-9)
    # The antiderivative grows by one per turn and differences give arc masses,
    # also across the seam.
    u = np.array([-3.0, 1.0, 3.0, 2.5, 3.5 + P])
    cum = atom_cumulative(u, np.full(u.shape, r), kernel, h, P)
    assert cum[2] - cum[0] == pytest.approx(1.0, abs=1e-12)
    ref = quad(f, -3.0, 1.0, limit=200)[0]
    assert cum[1] - cum[0] == pytest.approx(ref, abs=1e-9)
    seam = np.exp(
        atom_log_mass(np.array([2.5]), np.array([3.5]), np.array([r]), kernel, h, P)
    )
    ref = quad(f, 2.5, 3.0, limit=200)[0] + quad(f, -3.0, -2.5, limit=200)[0]
    assert seam[0] == pytest.approx(ref, abs=1e-9)
    assert cum[4] - cum[3] == pytest.approx(ref + 1.0, abs=1e-9)


def _box_distribution(period=None, kernel="gaussian"):
    rng = np.random.default_rng(0)
    n, M = 4, 5
    w = rng.dirichlet(np.ones(M), size=n)
    centers = rng.uniform(-2, 2, size=(n, M))
    half = rng.uniform(0.0, 0.6, size=(n, M))
    half[0, 0] = 0.0  # a plain kernel among the boxes
    return KDEDistribution(
        np.log(w),
        centers,
        kernel=kernel,
        bandwidth=0.3,
        period=period,
        half_widths=half,
    )


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_distribution_with_box_atoms_answers_consistently(kernel):
    dist = _box_distribution(kernel=kernel)
    grid = np.linspace(-6, 6, 4001)
    dens = dist.pdf(grid)
    np.testing.assert_allclose(trapezoid(dens, grid, axis=1), 1.0, atol=1e-5)
    # CDF is the integral of the density, quantiles invert it, masses agree.
    cdf = dist.cdf(grid[::400])
    ref = np.array(
        [
            [trapezoid(d[: i + 1], grid[: i + 1]) for i in range(0, 4001, 400)]
            for d in dens
        ]
    )
    np.testing.assert_allclose(cdf, ref, atol=1e-5)
    q = dist.quantiles([0.1, 0.5, 0.9])
    np.testing.assert_allclose(
        np.take_along_axis(cumulative_2d(dist, q), np.arange(3)[None].repeat(4, 0), 1),
        np.broadcast_to([0.1, 0.5, 0.9], q.shape),
        atol=1e-10,
    )
    lo, hi = q[:, 0], q[:, 2]
    np.testing.assert_allclose(dist.hit_probability(lo, hi), 0.8, atol=1e-10)
    # Mean and spread from the formulas, against the density.
    mean = trapezoid(dens * grid, grid, axis=1)
    var = trapezoid(dens * (grid - mean[:, None]) ** 2, grid, axis=1)
    np.testing.assert_allclose(dist.mean(), mean, atol=1e-5)
    np.testing.assert_allclose(dist.std(), np.sqrt(var), atol=1e-5)
    # Draws follow the CDF.
    draws = dist.sample(20000, random_state=0)
    emp = np.mean(draws < dist.quantiles([0.5])[:, :1], axis=1)
    np.testing.assert_allclose(emp, 0.5, atol=0.015)


def test_box_atom_aim_and_mode_beat_a_fine_grid():
    dist = _box_distribution()
    w = 0.2
    aim = dist.aim(w)
    grid = np.linspace(-3, 3, 6001)
    best = np.max([dist.log_hit_probability(g - w, g + w) for g in grid], axis=0)
    assert np.all(dist.log_hit_probability(aim - w, aim + w) >= best - 1e-12)
    mode = dist.mode()
    assert np.all(dist.logpdf_rows(mode) >= np.max(dist.logpdf(grid), axis=1) - 1e-12)


def test_periodic_box_distribution_mean_uses_the_boxes():
    dist = _box_distribution(period=2 * np.pi, kernel="vonmises")
    grid = np.linspace(-np.pi, np.pi, 8001)
    dens = dist.pdf(grid)
    z = trapezoid(dens * np.exp(1j * grid), grid, axis=1)
    np.testing.assert_allclose(dist._trig_moment(), z, atol=1e-6)


def test_half_widths_are_validated():
    with pytest.raises(ValueError, match="shape of centers"):
        KDEDistribution(
            np.log([[0.5, 0.5]]),
            [0.0, 1.0],
            kernel="gaussian",
            bandwidth=1.0,
            half_widths=[0.1],
        )
    with pytest.raises(ValueError, match="non-negative"):
        KDEDistribution(
            np.log([[0.5, 0.5]]),
            [0.0, 1.0],
            kernel="gaussian",
            bandwidth=1.0,
            half_widths=[0.1, -1.0],
        )
    with pytest.raises(ValueError, match="half the period"):
        KDEDistribution(
            np.log([[0.5, 0.5]]),
            [0.0, 1.0],
            kernel="gaussian",
            bandwidth=1.0,
            period=1.0,
            half_widths=[0.1, 0.6],
        )
