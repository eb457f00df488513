"""The solver's path with location-scale heads (issue 28): its coordinates,
its line search past infinite losses, and fits on interval targets that
leave the two-stage start.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor
from skkdece._fit import linear_objective
from skkdece._location_scale import (
    LocationScaleLogits,
    _Nearest,
    line_search_barrier,
    location_scale_loss,
)
from skkdece._solver import minimize_lbfgs
from skkdece.datasets import load_robocode_waves


def _walls(n_rows):
    """The first ``n_rows`` waves of the first battle against Walls, in
    recording order, and the first ``n_rows`` of the second: interval
    targets of the real guess factors.
    """
    waves = load_robocode_waves("Walls")
    order = np.lexsort((waves.fire_time, waves.round, waves.battle))
    battle = waves.battle[order]
    first, second = (order[battle == b][:n_rows] for b in np.unique(battle)[:2])
    return (
        waves.data[first],
        waves.target[first],
        waves.data[second],
        waves.target[second],
    )


def _objective(model, X, y):
    """``f(params)``: the fitted model's training objective, rebuilt."""
    lower, upper = (y, y) if y.ndim == 1 else (y[:, 0], y[:, 1])

    class Geometry:
        centers = model.centers_
        bandwidth = model.bandwidth_

    table = model._table(Geometry, lower, upper, None)
    logits_model, objective = linear_objective(
        table,
        X,
        np.full(X.shape[0], 1.0 / X.shape[0]),
        fit_intercept=model.fit_intercept,
        alpha=model.alpha_,
        **model._head_options(),
    )

    def f(params):
        with objective.running():
            return objective.loss_gradient(params)[0]

    return logits_model, f


def _start_and_fitted(model, X, y):
    """The training objective at the two-stage start and at the fit."""
    logits_model, f = _objective(model, X, y)
    M, d = model.coef_.shape
    start = logits_model.pack(np.zeros((M, d)), np.zeros(M), model._heads_start)
    heads = (
        model.location_coef_,
        model.location_intercept_,
        model.scale_coef_,
        model.scale_intercept_,
    )
    fitted = logits_model.pack(model.coef_, model.intercept_, heads)
    return f(start), f(fitted)


def _fit(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SoftmaxKDERegressor(
            location="linear", scale="linear", early_stopping=False, **kw
        ).fit(X, y)


def test_joint_fit_on_real_waves_leaves_the_start():
    """On the real waves of Walls the fit with both heads once stopped after
    one iteration, at its start: L-BFGS-B's first step stretched the targets
    to an infinite loss, and the line search landed back on the start.
    """
    X, y, X_test, y_test = _walls(400)
    model = _fit(X, y, max_iter=150)
    start, fitted = _start_and_fitted(model, X, y)
    assert model.objective_ == pytest.approx(fitted, rel=1e-10)
    assert model.n_iter_ > 50
    # The start's objective, 0.37 nats, against -0.90.
    assert fitted < start - 1.0
    # Held out on the next battle's waves, +0.32 nats (without heads +0.52:
    # 400 rows without early stopping overfit).
    assert model.score(X_test, y_test) > 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_joint_fit_on_simulated_intervals_is_no_worse_than_the_start(seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(300, 3))
    scale = 0.2 * np.exp(0.8 * X[:, 1])
    y = 2.0 * X[:, 0] + scale * rng.standard_t(5, size=300)
    half = rng.uniform(0.02, 0.3, size=300)
    intervals = np.c_[y - half, y + half]
    model = _fit(X, intervals, max_iter=100, centers=12)
    start, fitted = _start_and_fitted(model, X, intervals)
    assert model.n_iter_ > 10
    # From 0.98 and 1.15 nats to 0.05 and 0.17.
    assert fitted < start - 0.5


def _walls_like_features(rng, n):
    """A feature from 0 to 8 with mean 6.5 (the real waves' bullet power
    column, which the logits' coordinates leave unscaled and uncentered),
    a standard one, and one of large spread.
    """
    return np.c_[
        np.minimum(8.0, rng.exponential(1.5, size=n) * -1 + 8.0).clip(0.0),
        rng.normal(size=n),
        rng.uniform(0.0, 2000.0, size=n),
    ]


def test_a_unit_solver_step_moves_no_head_far():
    rng = np.random.default_rng(3)
    X = _walls_like_features(rng, 500)
    sw = rng.uniform(0.5, 2.0, size=500)
    model = LocationScaleLogits(
        4, 3, fit_intercept=True, location=True, scale=True, target_scale=0.3
    )
    coordinates = model.solver_coordinates(X, sw)
    params = rng.normal(size=model.n_params)
    u = coordinates.to_solver(params)
    np.testing.assert_allclose(coordinates.from_solver(u), params, rtol=1e-12)
    before = model.unpack_heads(params)
    for k in range(model.n_logit_params, model.n_params):
        step = np.zeros_like(u)
        step[k] = 1.0
        after = model.unpack_heads(coordinates.from_solver(u + step))
        moved_mu = X @ (after[0] - before[0]) + (after[1] - before[1])
        moved_log_s = X @ (after[2] - before[2]) + (after[3] - before[3])
        # Powers of two: within sqrt(2) of the largest distance from the mean.
        assert np.max(np.abs(moved_mu)) / 0.3 <= np.sqrt(2.0) + 1e-9
        assert np.max(np.abs(moved_log_s)) <= np.sqrt(2.0) + 1e-9


def test_solver_gradient_is_the_chain_rule_of_the_coordinates():
    rng = np.random.default_rng(4)
    X = _walls_like_features(rng, 200)
    model = LocationScaleLogits(
        3, 3, fit_intercept=False, location=True, scale=True, target_scale=2.0
    )
    coordinates = model.solver_coordinates(X, np.ones(200))
    grad = rng.normal(size=model.n_params)
    u = rng.normal(size=model.n_params)
    direction = rng.normal(size=model.n_params)
    # d/dt g . p(u + t v) = gradient(g) . v for the linear map p(u).
    dp = coordinates.from_solver(u + direction) - coordinates.from_solver(u)
    assert coordinates.gradient(grad) @ direction == pytest.approx(grad @ dp)


def _coordinates_by_hand(coordinates, u):
    """``from_solver`` written out head by head: each coefficient times the
    head's unit over its feature scale, each intercept times the unit less
    the coefficients' dot product with the centering means; the logits'
    coefficients over their scales, their intercepts uncentered likewise.
    """
    model, base = coordinates.model, coordinates.base
    M, d = model.n_centers, model.n_features
    out = np.array(u)
    coef = u[: M * d].reshape(M, d) / base.scale
    out[: M * d] = coef.ravel()
    if base.mean is not None:
        out[M * d : M * d + M] = u[M * d : M * d + M] - coef @ base.mean
    start = model.n_logit_params
    for unit in coordinates.units:
        w = u[start : start + d] * unit / coordinates.scale
        out[start : start + d] = w
        out[start + d] = u[start + d] * unit - w @ coordinates.mean
        start += d + 1
    return out


def _gradient_by_hand(coordinates, grad):
    """``gradient`` written out head by head (the transpose of the map above)."""
    model, base = coordinates.model, coordinates.base
    M, d = model.n_centers, model.n_features
    out = np.array(grad)
    g_coef = grad[: M * d].reshape(M, d)
    if base.mean is not None:
        g_coef = g_coef - np.outer(grad[M * d : M * d + M], base.mean)
    out[: M * d] = (g_coef / base.scale).ravel()
    start = model.n_logit_params
    for unit in coordinates.units:
        g_w, g_b = grad[start : start + d], grad[start + d]
        out[start : start + d] = (
            unit * (g_w - g_b * coordinates.mean) / coordinates.scale
        )
        out[start + d] = unit * g_b
        start += d + 1
    return out


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("heads", [(True, True), (True, False), (False, True)])
def test_the_coordinates_maps_are_the_per_head_formulas_bit_for_bit(
    fit_intercept, heads
):
    """The maps between the solver's coordinates and the parameters, taken
    as one product with a vector of factors and a dot product per head
    (they run at every evaluation), give the formulas written out head by
    head exactly: the factors are powers of two times the heads' units.
    """
    rng = np.random.default_rng(7)
    X = _walls_like_features(rng, 300)
    X[:, 1] += 40.0  # a centered feature for the logits too
    location, scale = heads
    model = LocationScaleLogits(
        5,
        3,
        fit_intercept=fit_intercept,
        location=location,
        scale=scale,
        target_scale=0.37,
    )
    coordinates = model.solver_coordinates(X, rng.uniform(0.5, 2.0, size=300))
    assert (coordinates.base.mean is not None) == fit_intercept
    for _ in range(5):
        u = rng.normal(size=model.n_params) * 10.0 ** rng.integers(-3, 4)
        grad = rng.normal(size=model.n_params)
        np.testing.assert_array_equal(
            coordinates.from_solver(u), _coordinates_by_hand(coordinates, u)
        )
        np.testing.assert_array_equal(
            coordinates.gradient(grad), _gradient_by_hand(coordinates, grad)
        )
        # The round trip cancels in the intercepts (features out to 2000).
        np.testing.assert_allclose(
            coordinates.from_solver(coordinates.to_solver(u)),
            u,
            rtol=1e-12,
            atol=1e-12 * np.max(np.abs(u)) * 2000.0,
        )


@pytest.mark.parametrize("location_alpha", [None, 3e-3])
def test_the_heads_penalty_follows_alpha_between_runs(location_alpha):
    """The penalty: alpha / 2 on the logits' coefficients and the scale
    head's, ``location_alpha`` (else alpha) / 2 on the location's in units
    of ``target_scale``, none on intercepts; a regularisation path changes
    ``alpha`` (and ``location_alpha``) between runs of the solver.
    """
    rng = np.random.default_rng(8)
    M, d, t = 4, 3, 0.25
    model = LocationScaleLogits(
        M,
        d,
        fit_intercept=True,
        alpha=1e-2,
        location=True,
        scale=True,
        target_scale=t,
        location_alpha=location_alpha,
    )
    params = rng.normal(size=model.n_params)
    n = model.n_logit_params
    beta, gamma = params[n : n + d], params[n + d + 1 : n + 2 * d + 1]
    for alpha in (1e-2, 5.0, 0.0):
        model.alpha = alpha
        loc = alpha if location_alpha is None else location_alpha
        coef = params[: M * d]
        expected = 0.5 * (
            alpha * coef @ coef + loc * (beta / t) @ (beta / t) + alpha * gamma @ gamma
        )
        value, grad = model.penalty(params)
        assert value == pytest.approx(expected, rel=1e-13)
        expected_grad = np.zeros(model.n_params)
        expected_grad[: M * d] = alpha * coef
        expected_grad[n : n + d] = loc * beta / t**2
        expected_grad[n + d + 1 : n + 2 * d + 1] = alpha * gamma
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-13, atol=0)
    model.location_alpha = 7.0
    value, grad = model.penalty(params)
    np.testing.assert_allclose(grad[n : n + d], 7.0 * beta / t**2, rtol=1e-13)
    # Intercepts are not penalised, whatever their value.
    params[M * d] = params[-1] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.penalty(params)[0] == value


def test_line_search_steps_back_from_an_infinite_loss():
    """Without the barrier, SciPy's L-BFGS-B lands back on the start after
    an infinite trial value and reports convergence there (f = 9).
    """

    def f(x):
        value = np.inf if x[0] > 0.5 else float((x[0] - 3.0) ** 2)
        return value, np.array([2.0 * (x[0] - 3.0)])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = minimize_lbfgs(line_search_barrier(f), np.zeros(1), warn=False)
    assert result.params[0] <= 0.5
    assert result.objective == pytest.approx(6.25, abs=1e-2)


def test_barrier_passes_finite_values_and_never_undercuts_the_start():
    calls = iter([(2.0, np.ones(2)), (np.inf, np.ones(2)), (-1.0, np.ones(2))])
    wrapped = line_search_barrier(lambda p: next(calls))
    assert wrapped(None)[0] == 2.0
    value, grad = wrapped(None)
    assert value == 4.0 and not np.any(grad)
    assert wrapped(None)[0] == -1.0


@pytest.mark.parametrize("targets", ["point", "interval", "mixed"])
@pytest.mark.parametrize("bandwidth", [0.3, np.array([0.3, 0.3, 0.5, 0.5, 0.2])])
def test_weighted_gradient_in_place_is_the_weighted_gradient(targets, bandwidth):
    """The table's fast paths (gradients weighted and written in place, the
    targets known to be points, the nearest centers kept) give the plain
    call's values times the weights, to rounding.
    """
    rng = np.random.default_rng(5)
    n, M = 40, 5
    logits = rng.normal(size=(n, M))
    logits -= logits[:, :1]
    mu, log_s = rng.normal(size=n), 0.3 * rng.normal(size=n)
    lower = rng.normal(size=n) * 2.0
    width = {"point": 0.0, "interval": 0.4, "mixed": (np.arange(n) % 2) * 0.4}
    upper = lower + width[targets]
    centers = np.array([-1.0, 0.5, 0.0, 2.0, -3.0])
    weight = rng.uniform(0.0, 2.0, size=n)
    kw = dict(kernel="gaussian", bandwidth=bandwidth)
    plain = location_scale_loss(logits, mu, log_s, lower, upper, centers, **kw)
    out = np.full((n, M + 2), np.nan)[:, :M]
    fast = location_scale_loss(
        logits,
        mu,
        log_s,
        lower,
        upper,
        centers,
        shifted=True,
        weight=weight,
        out=out,
        nearest=_Nearest(centers),
        all_points=targets == "point",
        **kw,
    )
    assert fast[1] is out
    np.testing.assert_allclose(fast[0], plain[0], rtol=1e-13)
    for got, expected in zip(fast[1:], plain[1:], strict=True):
        expected = expected * (weight if expected.ndim == 1 else weight[:, None])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
