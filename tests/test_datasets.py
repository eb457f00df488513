"""Tests for skkdece.datasets."""

import time

import numpy as np
import pytest
from scipy import stats
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece.datasets import (
    GUESS_FACTOR_FEATURES,
    circular_regression_log_density,
    make_circular_regression,
    make_guess_factor_waves,
)
from skkdece.datasets._guess_factor import (
    _annulus_square_angles as annulus_square_angles,
)
from skkdece.datasets._guess_factor import (
    _new_velocity as new_velocity,
)

# ---------------------------------------------------------------------------
# Circular regression
# ---------------------------------------------------------------------------


def _grid(period, n=20000):
    return np.linspace(-period / 2, period / 2, n + 1)[:-1]


def _density_on_grid(x_row, period, noise=0.3, n=20000):
    grid = _grid(period, n)
    X = np.repeat(np.asarray(x_row, dtype=float)[None, :], n, axis=0)
    return grid, np.exp(
        circular_regression_log_density(X, grid, noise=noise, period=period)
    )


def test_circular_shapes_and_dtypes():
    X, y = make_circular_regression(n_samples=123, n_features=6, random_state=0)
    assert X.shape == (123, 6) and y.shape == (123,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.min() >= -1 and X.max() <= 1
    X, y = make_circular_regression(random_state=0)
    assert X.shape == (1000, 4) and y.shape == (1000,)


def test_circular_determinism():
    X1, y1 = make_circular_regression(n_samples=200, random_state=42)
    X2, y2 = make_circular_regression(n_samples=200, random_state=42)
    X3, y3 = make_circular_regression(n_samples=200, random_state=43)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    assert not np.allclose(y1, y3)
    rng = np.random.RandomState(7)
    X4, y4 = make_circular_regression(n_samples=200, random_state=rng)
    X5, y5 = make_circular_regression(n_samples=200, random_state=7)
    np.testing.assert_array_equal(y4, y5)


@pytest.mark.parametrize("period", [2 * np.pi, 360.0, 1.0])
@pytest.mark.parametrize("noise", [0.0, 0.3, 2.0])
def test_circular_targets_in_window(period, noise):
    _, y = make_circular_regression(
        n_samples=3000, noise=noise, period=period, random_state=0
    )
    assert np.all(y >= -period / 2)
    assert np.all(y < period / 2)


def test_circular_degrees_are_scaled_radians():
    X, y_rad = make_circular_regression(n_samples=500, random_state=3)
    _, y_deg = make_circular_regression(n_samples=500, period=360, random_state=3)
    diff = np.degrees(y_rad) - y_deg
    # Equal modulo 360 (up to rounding at the window edge).
    np.testing.assert_allclose(np.mod(diff + 180, 360) - 180, 0, atol=1e-9)
    assert y_deg.min() < -150 and y_deg.max() > 150


@pytest.mark.parametrize("noise", [0.0, 1e-9])
def test_circular_noise_free_targets_sit_on_modes(noise):
    X, y = make_circular_regression(n_samples=500, noise=noise, random_state=0)
    x0, x1, x2 = X[:, 0], X[:, 1], X[:, 2]
    mu1 = np.pi * np.sin(np.pi * x0) + x1
    mu2 = mu1 + np.pi * (0.5 + 0.5 * np.tanh(2 * x2))

    def circ_dist(a, b):
        return np.abs(np.angle(np.exp(1j * (a - b))))

    dist = np.minimum(circ_dist(y, mu1), circ_dist(y, mu2))
    assert dist.max() < 1e-6
    # Both components are used.
    on_first = circ_dist(y, mu1) < 1e-6
    assert 0.2 < on_first.mean() < 0.8


def test_circular_X_argument():
    X = np.random.RandomState(0).uniform(-1, 1, size=(50, 5))
    X_out, y = make_circular_regression(X=X, random_state=0)
    np.testing.assert_array_equal(X_out, X)
    assert X_out is not X
    assert y.shape == (50,)


@pytest.mark.parametrize("period", [2 * np.pi, 360.0])
def test_log_density_integrates_to_one(period):
    rows = np.random.RandomState(0).uniform(-1, 1, size=(5, 4))
    rows[0] = [0.0, 0.0, 1.0, 0.0]
    for noise in [0.1, 0.3, 1.5]:
        for row in rows:
            grid, dens = _density_on_grid(row, period, noise=noise)
            integral = dens.sum() * (grid[1] - grid[0])
            assert integral == pytest.approx(1.0, abs=1e-6)


def test_log_density_matches_scipy_vonmises_mixture():
    rng = np.random.RandomState(1)
    X = rng.uniform(-1, 1, size=(30, 4))
    y = rng.uniform(-180, 180, size=30)
    noise = 0.4
    kappa = 1 / noise**2
    theta = np.radians(y)
    mu1 = np.pi * np.sin(np.pi * X[:, 0]) + X[:, 1]
    mu2 = mu1 + np.pi * (0.5 + 0.5 * np.tanh(2 * X[:, 2]))
    w = 1 / (1 + np.exp(-3 * X[:, 1] * X[:, 2]))
    dens = w * stats.vonmises.pdf(theta, kappa, loc=mu1) + (1 - w) * stats.vonmises.pdf(
        theta, kappa, loc=mu2
    )
    expected = np.log(dens * 2 * np.pi / 360)
    got = circular_regression_log_density(X, y, noise=noise, period=360)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_log_density_is_periodic_and_ignores_noise_features():
    X, y = make_circular_regression(n_samples=100, random_state=0)
    ld = circular_regression_log_density(X, y)
    np.testing.assert_allclose(circular_regression_log_density(X, y + 2 * np.pi), ld)
    np.testing.assert_allclose(circular_regression_log_density(X, y - 4 * np.pi), ld)
    X2 = X.copy()
    X2[:, 3] = -X2[:, 3]
    np.testing.assert_array_equal(circular_regression_log_density(X2, y), ld)


def test_log_density_large_concentration_is_finite():
    noise = 1e-4
    X, y = make_circular_regression(n_samples=20, noise=noise, random_state=0)
    ld = circular_regression_log_density(X, y, noise=noise)
    assert np.all(np.isfinite(ld))
    # Von Mises with kappa = 1e8 is a normal law with std = noise.
    mu1 = np.pi * np.sin(np.pi * X[:, 0]) + X[:, 1]
    mu2 = mu1 + np.pi * (0.5 + 0.5 * np.tanh(2 * X[:, 2]))
    w = 1 / (1 + np.exp(-3 * X[:, 1] * X[:, 2]))
    expected = np.log(
        w * stats.norm.pdf(np.angle(np.exp(1j * (y - mu1))), scale=noise)
        + (1 - w) * stats.norm.pdf(np.angle(np.exp(1j * (y - mu2))), scale=noise)
    )
    np.testing.assert_allclose(ld, expected, atol=1e-4)


@pytest.mark.parametrize(
    "row, period",
    [
        ([0.0, 0.0, 1.0, 0.0], 2 * np.pi),  # two well separated modes
        ([0.3, -0.5, 0.2, 0.9], 360.0),
        ([-0.8, 0.7, -1.0, 0.0], 2 * np.pi),  # essentially unimodal
    ],
)
def test_samples_follow_log_density(row, period):
    n = 20000
    X = np.repeat(np.asarray(row, dtype=float)[None, :], n, axis=0)
    _, y = make_circular_regression(X=X, period=period, random_state=0)
    grid, dens = _density_on_grid(row, period)
    step = grid[1] - grid[0]
    edges = np.append(grid, period / 2)
    cdf_edges = np.concatenate([[0.0], np.cumsum(dens) * step])
    # Midpoint-rule cdf evaluated at bin edges: interpolate linearly.
    cdf_edges /= cdf_edges[-1]

    def cdf(v):
        return np.interp(v, edges, cdf_edges)

    result = stats.kstest(y, cdf)
    assert result.statistic < 0.015
    assert result.pvalue > 1e-3
    # Average log-likelihood under the true noise beats mis-specified noises.
    ll_true = circular_regression_log_density(X, y, period=period).mean()
    for wrong in (0.15, 0.6):
        ll_wrong = circular_regression_log_density(
            X, y, noise=wrong, period=period
        ).mean()
        assert ll_true > ll_wrong


def _local_maxima(dens):
    return np.flatnonzero((dens > np.roll(dens, 1)) & (dens > np.roll(dens, -1)))


def test_multimodality_depends_on_features():
    grid, dens = _density_on_grid([0.0, 0.0, 1.0, 0.0], 2 * np.pi, n=4000)
    peaks = _local_maxima(dens)
    assert len(peaks) == 2
    assert np.abs(np.diff(grid[peaks]))[0] > 2.5  # about 0.98 pi apart
    # Deep trough between the peaks (circularly, on both sides).
    lo, hi = sorted(peaks)
    trough = min(dens[lo:hi].min(), np.concatenate([dens[hi:], dens[:lo]]).min())
    assert trough < 0.05 * dens[peaks].min()
    # Equal weights at x1 = 0.
    assert dens[peaks[0]] == pytest.approx(dens[peaks[1]], rel=1e-3)

    # x2 = -1 merges the modes.
    _, dens = _density_on_grid([0.0, 0.0, -1.0, 0.0], 2 * np.pi, n=4000)
    assert len(_local_maxima(dens)) == 1

    # x1 shifts the mixing weight towards the first component.
    grid, dens = _density_on_grid([0.0, 0.8, 1.0, 0.0], 2 * np.pi, n=4000)
    peaks = _local_maxima(dens)
    assert len(peaks) == 2
    first = peaks[np.argmin(np.abs(np.angle(np.exp(1j * (grid[peaks] - 0.8)))))]
    assert dens[first] > 5 * dens[peaks].min()


def test_circular_validation_errors():
    with pytest.raises(ValueError, match="n_samples"):
        make_circular_regression(n_samples=0)
    with pytest.raises(ValueError, match="n_samples"):
        make_circular_regression(n_samples=2.5)
    with pytest.raises(ValueError, match="n_samples"):
        make_circular_regression(n_samples=True)
    with pytest.raises(ValueError, match="n_features"):
        make_circular_regression(n_features=2)
    with pytest.raises(ValueError, match="noise"):
        make_circular_regression(noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        make_circular_regression(noise=np.nan)
    with pytest.raises(ValueError, match="period"):
        make_circular_regression(period=0)
    with pytest.raises(ValueError, match="period"):
        make_circular_regression(period=-360)
    with pytest.raises(ValueError, match="X"):
        make_circular_regression(X=np.zeros((5, 2)))
    X, y = make_circular_regression(n_samples=10, random_state=0)
    with pytest.raises(ValueError, match="noise"):
        circular_regression_log_density(X, y, noise=0.0)
    with pytest.raises(ValueError, match="period"):
        circular_regression_log_density(X, y, period=0.0)
    with pytest.raises(ValueError, match="y"):
        circular_regression_log_density(X, y[:5])
    with pytest.raises(ValueError, match="X"):
        circular_regression_log_density(X[:, :2], y)


# ---------------------------------------------------------------------------
# Guess-factor waves
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def waves():
    return make_guess_factor_waves(n_samples=2000, random_state=0, return_info=True)


def test_waves_shapes_and_dtypes(waves):
    X, y, info = waves
    assert X.shape == (2000, len(GUESS_FACTOR_FEATURES)) == (2000, 8)
    assert y.shape == (2000, 2)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    for key in ("bullet_power", "bullet_speed", "max_escape_angle", "distance"):
        assert info[key].shape == (2000,)
    assert info["hit_offsets"].shape == (2000, 2)
    X2, y2 = make_guess_factor_waves(n_samples=5, random_state=0)
    assert X2.shape == (5, 8) and y2.shape == (5, 2)


def test_waves_determinism():
    X1, y1 = make_guess_factor_waves(n_samples=300, random_state=5)
    X2, y2 = make_guess_factor_waves(n_samples=300, random_state=5)
    X3, y3 = make_guess_factor_waves(n_samples=300, random_state=6)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    assert not np.allclose(y1, y3)


def test_waves_is_fast():
    start = time.perf_counter()
    make_guess_factor_waves(n_samples=2000, random_state=1)
    assert time.perf_counter() - start < 2.0


def test_waves_intervals_are_plausible(waves):
    X, y, info = waves
    width = y[:, 1] - y[:, 0]
    assert np.all(width > 0)
    assert 0.02 < np.median(width) < 0.6
    assert np.mean((y >= -1.2) & (y <= 1.2)) > 0.95
    assert np.all(np.abs(y) < 2.0)
    # Both directions of travel relative to the lateral direction occur.
    centre = y.mean(axis=1)
    assert (centre > 0.3).mean() > 0.1 and (centre < -0.3).mean() > 0.05


def test_waves_guess_factor_definition(waves):
    X, y, info = waves
    expected = (info["hit_offsets"] / info["max_escape_angle"][:, None]) * info[
        "lateral_direction"
    ][:, None]
    np.testing.assert_allclose(y, np.sort(expected, axis=1))
    assert set(np.unique(info["lateral_direction"])) <= {-1.0, 1.0}
    # Offsets stay (essentially) within the maximum escape angle plus the
    # bot's angular half-size as seen from the shooter.
    half = np.arcsin(np.minimum(1.0, 18 * np.sqrt(2) / info["distance"]))
    ratio = np.abs(info["hit_offsets"]).max(axis=1) / (info["max_escape_angle"] + half)
    assert np.quantile(ratio, 0.95) < 1.01
    assert ratio.max() < 1.2


def test_waves_bullet_rules(waves):
    X, y, info = waves
    power = info["bullet_power"]
    assert power.min() >= 1 and power.max() <= 3
    assert power.std() > 0.4  # drawn per wave
    np.testing.assert_allclose(info["bullet_speed"], 20 - 3 * power)
    np.testing.assert_allclose(
        info["max_escape_angle"], np.arcsin(8 / (20 - 3 * power))
    )
    np.testing.assert_allclose(X[:, 0] * info["bullet_speed"], info["distance"])

    X3, y3, info3 = make_guess_factor_waves(
        n_samples=400, bullet_power=3, random_state=0, return_info=True
    )
    np.testing.assert_allclose(info3["bullet_speed"], 11.0)
    np.testing.assert_allclose(info3["max_escape_angle"], np.arcsin(8 / 11))
    np.testing.assert_allclose(X3[:, 0] * 11.0, info3["distance"])

    X01, y01, info01 = make_guess_factor_waves(
        n_samples=400, bullet_power=0.1, random_state=0, return_info=True
    )
    np.testing.assert_allclose(info01["max_escape_angle"], np.arcsin(8 / 19.7))
    # Same battles, faster bullet: shorter flights...
    np.testing.assert_allclose(X01[:, 0] * 19.7, X3[:, 0] * 11.0)
    # ...and, in guess-factor units, wider bot silhouettes (smaller MEA).
    assert np.median(y01[:, 1] - y01[:, 0]) > np.median(y3[:, 1] - y3[:, 0])


def test_waves_feature_ranges(waves):
    X, y, info = waves
    f = dict(zip(GUESS_FACTOR_FEATURES, X.T, strict=True))
    assert np.all(f["bullet_flight_time"] > 0)
    assert 50 < info["distance"].min() and info["distance"].max() < 1000
    assert np.all((f["lateral_velocity"] >= 0) & (f["lateral_velocity"] <= 8))
    assert np.all(
        f["lateral_velocity"] ** 2 + f["advancing_velocity"] ** 2 <= 64 + 1e-9
    )
    assert np.all((f["acceleration"] >= -8) & (f["acceleration"] <= 1))
    assert np.isin(1.0, f["acceleration"]) and np.isin(-2.0, f["acceleration"])
    for name in ("ticks_since_velocity_reversal", "ticks_since_speed_change"):
        assert np.all(f[name] >= 0)
        np.testing.assert_array_equal(f[name], np.round(f[name]))
        assert f[name].max() > 10
    for name in ("wall_distance_ahead", "wall_distance_behind"):
        assert np.all(f[name] >= 0) and np.all(f[name] <= np.hypot(764, 564))
    # Bots do move (mostly laterally, as they orbit).
    assert np.median(f["lateral_velocity"]) > 2
    assert np.median(np.abs(f["advancing_velocity"])) < 1


def test_waves_features_are_informative(waves):
    X, y, _ = waves
    centre = y.mean(axis=1)
    lat = X[:, GUESS_FACTOR_FEATURES.index("lateral_velocity")]
    # Fast lateral movers end up ahead (positive guess factors) on average.
    assert np.corrcoef(lat, centre)[0, 1] > 0.1
    assert centre[lat >= 6].mean() > centre[lat <= 1].mean() + 0.1
    # A nearest-neighbour predictor of the centre beats the global mean.
    X_test, y_test = make_guess_factor_waves(n_samples=1000, random_state=1)
    centre_test = y_test.mean(axis=1)
    model = make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=20))
    model.fit(X, centre)
    mse_knn = np.mean((model.predict(X_test) - centre_test) ** 2)
    mse_mean = np.mean((centre.mean() - centre_test) ** 2)
    assert mse_knn < 0.85 * mse_mean


def test_waves_noise_shifts_both_ends():
    X0, y0 = make_guess_factor_waves(n_samples=1000, random_state=2)
    X1, y1 = make_guess_factor_waves(n_samples=1000, noise=0.1, random_state=2)
    np.testing.assert_array_equal(X0, X1)
    shift = y1 - y0
    np.testing.assert_allclose(shift[:, 0], shift[:, 1], atol=1e-12)
    assert shift[:, 0].std() == pytest.approx(0.1, rel=0.1)


def test_waves_validation_errors():
    with pytest.raises(ValueError, match="n_samples"):
        make_guess_factor_waves(n_samples=0)
    with pytest.raises(ValueError, match="n_samples"):
        make_guess_factor_waves(n_samples=10.0)
    with pytest.raises(ValueError, match="noise"):
        make_guess_factor_waves(noise=-1)
    with pytest.raises(ValueError, match="bullet_power"):
        make_guess_factor_waves(bullet_power=0.05)
    with pytest.raises(ValueError, match="bullet_power"):
        make_guess_factor_waves(bullet_power=3.5)
    with pytest.raises(ValueError, match="bullet_power"):
        make_guess_factor_waves(bullet_power=np.inf)


# Internal helpers of the simulation.


@pytest.mark.parametrize(
    "v, goal, expected",
    [
        (0.0, 8.0, 1.0),  # accelerate by 1
        (8.0, 8.0, 8.0),
        (8.0, 0.0, 6.0),  # decelerate by 2
        (8.0, -8.0, 6.0),
        (1.0, -8.0, -0.5),  # stop in half a tick, then accelerate
        (-1.0, 8.0, 0.5),
        (-8.0, 8.0, -6.0),
        (5.0, 4.0, 4.0),
        (-3.0, -8.0, -4.0),
    ],
)
def test_robocode_velocity_rule(v, goal, expected):
    got = new_velocity(np.array([v]), np.array([goal]))
    assert got[0] == pytest.approx(expected)


def test_annulus_square_angles_against_brute_force():
    rng = np.random.RandomState(0)
    n = 40
    shooter = rng.uniform(0, 800, size=(n, 2))
    dist = rng.uniform(60, 400, size=n)
    angle = rng.uniform(-np.pi, np.pi, size=n)
    centre = shooter + dist[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    r_in = dist + rng.uniform(-35, 20, size=n)
    r_out = r_in + rng.uniform(11, 20, size=n)
    angles, valid = annulus_square_angles(
        shooter[:, 0], shooter[:, 1], centre[:, 0], centre[:, 1], r_in, r_out
    )
    u = np.linspace(-18, 18, 401)
    gx, gy = np.meshgrid(u, u)
    for i in range(n):
        px = centre[i, 0] + gx.ravel() - shooter[i, 0]
        py = centre[i, 1] + gy.ravel() - shooter[i, 1]
        r = np.hypot(px, py)
        inside = (r >= r_in[i]) & (r <= r_out[i])
        rel = np.angle(np.exp(1j * (np.arctan2(py, px) - angle[i])))
        got = np.angle(np.exp(1j * (angles[i] - angle[i])))[valid[i]]
        if not inside.any():
            assert not valid[i].any()
            continue
        assert got.min() <= rel[inside].min() + 1e-12
        assert got.max() >= rel[inside].max() - 1e-12
        # Grid spacing 0.09 px at distance >= 25 px: brute force is close.
        assert got.min() == pytest.approx(rel[inside].min(), abs=5e-3)
        assert got.max() == pytest.approx(rel[inside].max(), abs=5e-3)
