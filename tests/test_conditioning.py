"""The solver's coordinates: centered, power-of-two scaled features."""

import warnings

import numpy as np
import pytest
from _helpers import five_point_gradient
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse

from skkdece import SoftmaxKDERegressor
from skkdece._linear import (
    LinearLogits,
    feature_moments,
)


def shifted_features(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 300.0, 0.01] + [0.0, 2000.0, 5.0]
    y = 0.5 * X[:, 0] + rng.normal(scale=0.5, size=n)
    return X, y


@pytest.mark.parametrize("use_sparse", [False, True])
def test_feature_moments_are_weighted_means_and_stds(use_sparse):
    X, _ = shifted_features()
    sw = np.random.default_rng(1).uniform(0.1, 3.0, X.shape[0])
    mean, std = feature_moments(sparse.csr_matrix(X) if use_sparse else X, sw)
    ref_mean = np.average(X, axis=0, weights=sw)
    assert_allclose(mean, ref_mean, rtol=1e-12)
    ref_std = np.sqrt(np.average((X - ref_mean) ** 2, axis=0, weights=sw))
    assert_allclose(std, ref_std, rtol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_solver_coordinates_round_trip_and_gradient(fit_intercept):
    X, _ = shifted_features()
    M, d = 4, X.shape[1]
    model = LinearLogits(M, d, fit_intercept=fit_intercept)
    coords = model.solver_coordinates(X, np.ones(X.shape[0]))
    assert np.all(np.log2(coords.scale) == np.round(np.log2(coords.scale)))
    if fit_intercept:
        # The offset features are centered and scaled by their deviations.
        assert_array_equal(coords.scale, [1.0, 256.0, 2.0**-7])
        assert coords.mean[0] == 0.0
        assert_allclose(coords.mean[1:], [2000.0, 5.0], rtol=0.01)
    rng = np.random.default_rng(2)
    params = rng.normal(size=model.n_params)
    assert_allclose(coords.from_solver(coords.to_solver(params)), params, rtol=1e-12)

    # A smooth function of the parameters: its gradient in solver coordinates.
    A = rng.normal(size=(model.n_params, model.n_params))

    def f(p):
        return float(np.sum(np.sin(A @ p)))

    def grad_f(p):
        return A.T @ np.cos(A @ p)

    u = coords.to_solver(params)
    expected = five_point_gradient(lambda v: f(coords.from_solver(v)), u, 1e-6)
    assert_allclose(coords.gradient(grad_f(params)), expected, rtol=1e-6, atol=1e-8)


def test_centering_changes_the_path_not_the_optimum():
    """Large offset features: the fit reaches the optimum of the same objective
    (checked against a fit on standardised features mapped back)."""
    X, y = shifted_features(400)
    model = SoftmaxKDERegressor(centers=10, alpha=0.0, tol=1e-9, max_iter=3000)
    model.fit(X, y)
    mean, std = X.mean(axis=0), X.std(axis=0)
    standard = SoftmaxKDERegressor(centers=10, alpha=0.0, tol=1e-9, max_iter=3000)
    standard.fit((X - mean) / std, y)
    assert model.objective_ == pytest.approx(standard.objective_, rel=1e-8)
    grid = np.linspace(-3, 3, 7)
    assert_allclose(
        model.predict_density(X[:5], grid),
        standard.predict_density((X[:5] - mean) / std, grid),
        rtol=1e-4,
    )


@pytest.mark.parametrize("heads", [{}, dict(location="linear", scale="linear")])
def test_features_beyond_the_normal_range_keep_finite_coordinates(heads):
    """A column below 1e-308 (or near the largest double) gets a power of
    two whose reciprocal is still a normal number: the coordinates stay
    finite and exact, and the fit with them."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + 0.3 * rng.normal(size=200)
    X[:, 1] *= 1e-310
    X[:, 2] = np.sign(X[:, 2]) * 1.6e308  # 2^1024 to the nearest power
    coords = LinearLogits(3, 3, fit_intercept=False).solver_coordinates(X, np.ones(200))
    assert np.all(np.isfinite(coords.scale)) and np.all(np.isfinite(1 / coords.scale))
    assert_array_equal(coords.scale[[1, 2]], [2.0**-1022, 2.0**1022])
    u = rng.normal(size=9)
    assert_array_equal(coords.from_solver(u), u / np.tile(coords.scale, 3))
    # The fit (scikit-learn's validation sums X: the largest column stays
    # out) may overflow in the penalty of a coefficient that must reach
    # 1e300 to matter, and then stops; its coefficients are not NaN.
    X = X[:, :2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = SoftmaxKDERegressor(fit_intercept=False, max_iter=30, **heads)
        model.fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    assert np.isfinite(model.score(X, y))
