"""Early stopping of SoftmaxKDERegressor on a held-out split (issue 25, item 3).

The fit keeps the iterate with the best held-out score, the split is the
same at every fit, too few rows turn it off (or are an error when it was
asked for), ``early_stopping=False`` is the fit as it always was, and the
default fit of a time-ordered wave recording ends without a
ConvergenceWarning.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor
from skkdece._fit import linear_objective, place_kernels, read_fit_targets
from skkdece._linear_regressor import EARLY_STOPPING_MIN_SAMPLES, _BestIterate
from skkdece._solver import minimize_lbfgs
from skkdece._targets import TargetSummary
from skkdece.datasets import load_robocode_waves


def make_data(n=1200, seed=0, n_features=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = X[:, 0] + (0.2 + 0.3 * np.abs(X[:, 1])) * rng.normal(size=n)
    return X, y


@pytest.fixture(scope="module")
def recording():
    """One real battle's waves in recording order (round, then tick)."""
    waves = load_robocode_waves()
    rows = np.flatnonzero(
        (waves.opponent == "sample.Walls") & (waves.battle == waves.battle.min())
    )
    rows = rows[np.lexsort((waves.fire_time[rows], waves.round[rows]))]
    rows = rows[:1500]  # the first 15 rounds
    return waves.data[rows], waves.target[rows]


def fit_recording_iterates(model, X, y, sample_weight=None):
    """Fit, returning the iterates of the held-out run and of the final run.

    Each a dict by iteration, with the zeros the runs start from at 0.
    """
    calls = []

    def callback(params, n_iter):
        calls.append((n_iter, params["coef_"], params["intercept_"]))

    model.set_params(callback=callback).fit(X, y, sample_weight=sample_weight)
    M, d = model.coef_.shape
    n_held_out = model.validation_score_.size - 1
    runs = []
    for part in (calls[:n_held_out], calls[n_held_out:]):
        run = {0: (np.zeros((M, d)), np.zeros(M))}
        run.update({k: (coef, intercept) for k, coef, intercept in part})
        assert sorted(run) == list(range(len(run)))
        runs.append(run)
    return runs


def at_iterate(model, coef, intercept):
    """A copy of the fitted ``model`` with other coefficients."""
    probe = clone(model).set_params(callback=None)
    for name, value in vars(model).items():
        if name.endswith("_") and not name.startswith("_"):
            setattr(probe, name, value)
    probe.coef_, probe.intercept_ = coef, intercept
    return probe


def held_out_rows(model, n):
    """The rows the fit held out (the split is a function of n and the seed)."""
    return model._validation_split(n)[1]


def test_stops_where_the_held_out_score_stops_improving():
    X, y = make_data()
    # No heads to choose: one held-out run, then the final one.
    model = SoftmaxKDERegressor(
        centers=12,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
        location=None,
        scale=None,
    )
    held_out, final = fit_recording_iterates(model, X, y)
    scores = model.validation_score_
    best = model.best_iteration_
    assert best == int(np.argmax(scores)) > 0
    # The held-out run stopped after n_iter_no_change iterations without
    # improvement; the final run, on all the rows, ran best_iteration_.
    assert scores.shape == (best + model.n_iter_no_change + 1,)
    assert len(held_out) == scores.size
    assert model.n_iter_ == best == max(final)
    coef, intercept = final[best]
    assert_array_equal(model.coef_, coef)
    assert_array_equal(model.intercept_, intercept)
    # That is the plain fit of all the rows stopped at best_iteration_.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = clone(model).set_params(
            callback=None, early_stopping=False, max_iter=best
        )
        plain.fit(X, y)
    assert_array_equal(model.coef_, plain.coef_)
    assert_array_equal(model.intercept_, plain.intercept_)
    assert model.objective_ == plain.objective_
    # The recorded scores are the held-out mean log-likelihoods of the
    # held-out run's iterates, exactly the loss the model trains on.
    valid = held_out_rows(model, len(y))
    for k in (0, best // 2, best, scores.size - 1):
        probe = at_iterate(model, *held_out[k])
        assert_allclose(probe.score(X[valid], y[valid]), scores[k], rtol=1e-10)


def test_held_out_monitor_counts_only_improvements_beyond_tol():
    scores = iter([0.0, 1.0, 3.0, 2.0, 3.0, 3.0 + 1e-9, 2.5, 2.0])
    monitor = _BestIterate(lambda params: next(scores), None, 3, 1e-6)
    stops = [monitor(None, k, 0.0) for k in range(1, 6)]
    # Iterations 3 to 5 do not beat 3.0 (at 2) by more than tol; the best
    # score is still the best, as in scikit-learn's MLP.
    assert stops == [False, False, False, False, True]
    assert monitor.best_iteration == 5
    assert monitor.scores == [0.0, 1.0, 3.0, 2.0, 3.0, 3.0 + 1e-9]


def test_split_is_deterministic_under_random_state():
    X, y = make_data()
    params = dict(centers=10, early_stopping=True)
    for seed in (None, 3, np.random.RandomState(5)):
        fits = [
            SoftmaxKDERegressor(**params, random_state=seed).fit(X, y) for _ in range(2)
        ]
        if isinstance(seed, np.random.RandomState):
            continue  # a RandomState instance moves on between fits
        assert_array_equal(fits[0].coef_, fits[1].coef_)
        assert_array_equal(fits[0].intercept_, fits[1].intercept_)
        assert_array_equal(fits[0].validation_score_, fits[1].validation_score_)
    # None is one fixed split; another seed draws another.
    n = len(y)
    none = held_out_rows(SoftmaxKDERegressor(**params), n)
    assert_array_equal(none, held_out_rows(SoftmaxKDERegressor(**params), n))
    other = held_out_rows(SoftmaxKDERegressor(**params, random_state=3), n)
    assert not np.array_equal(none, other)
    assert none.size == other.size == int(np.ceil(0.1 * n))


def test_split_holds_out_whole_blocks_of_consecutive_rows():
    model = SoftmaxKDERegressor(early_stopping=True, random_state=1)
    train, valid = model._validation_split(5000)
    assert valid.size == 500
    assert_array_equal(np.sort(np.r_[train, valid]), np.arange(5000))
    # 5 blocks of 100 consecutive rows.
    assert np.count_nonzero(np.diff(valid) > 1) == 4


def test_too_few_rows_is_an_error_when_asked_and_off_under_auto():
    X, y = make_data(60)
    with pytest.raises(ValueError, match="at least 10 rows .* leaves 6 for validation"):
        SoftmaxKDERegressor(centers=6, early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction=0.9"):
        SoftmaxKDERegressor(
            centers=6, early_stopping=True, validation_fraction=0.9
        ).fit(X, y)
    model = SoftmaxKDERegressor(centers=6).fit(X, y)
    assert model.validation_score_.shape == (0,)
    assert model.best_iteration_ == model.n_iter_
    # Enough rows for "auto", too few of them held out: silently off.
    X, y = make_data(EARLY_STOPPING_MIN_SAMPLES)
    model = SoftmaxKDERegressor(centers=6, validation_fraction=0.005).fit(X, y)
    assert model.validation_score_.shape == (0,)
    assert SoftmaxKDERegressor(centers=6).fit(X, y).validation_score_.size > 0


def test_zero_weights_do_not_count_as_rows():
    X, y = make_data(EARLY_STOPPING_MIN_SAMPLES)
    w = np.ones(len(y))
    w[::2] = 0.0
    model = SoftmaxKDERegressor(centers=6).fit(X, y, sample_weight=w)
    assert model.validation_score_.shape == (0,)


def test_without_early_stopping_the_fit_is_the_plain_solver_run():
    """early_stopping=False: the solver on the whole objective, bit for bit."""
    X, y = make_data(EARLY_STOPPING_MIN_SAMPLES + 200)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    model = SoftmaxKDERegressor(centers=10, early_stopping=False).fit(X, y, w)
    lower, upper, weights = read_fit_targets(X, y, w, target_width=0.0, period=None)
    summary = TargetSummary.from_targets(lower, upper, weights)
    geometry, table = place_kernels(
        summary,
        lower,
        upper,
        centers=10,
        bandwidth="scott",
        kernel="gaussian",
        loss="cross_entropy",
        n_quadrature=None,
        sample_weight=weights,
    )
    logits, objective = linear_objective(
        table, X, weights, fit_intercept=True, alpha=1e-4
    )
    coordinates = logits.solver_coordinates(X, weights)
    with objective.running():
        result = minimize_lbfgs(
            objective.loss_gradient,
            np.zeros(logits.n_params),
            coordinates=coordinates,
        )
    coef, intercept = logits.unpack(result.params)
    assert_array_equal(model.coef_, coef)
    assert_array_equal(model.intercept_, intercept)
    assert model.n_iter_ == result.n_iter == model.best_iteration_
    assert model.objective_ == result.objective
    assert_array_equal(model.centers_, geometry.centers)
    assert model.validation_score_.shape == (0,)


def test_held_out_score_is_weighted_by_sample_weight():
    X, y = make_data()
    rng = np.random.default_rng(2)
    w = rng.uniform(0.1, 3.0, len(y))
    model = SoftmaxKDERegressor(centers=8, early_stopping=True, random_state=4)
    held_out, _ = fit_recording_iterates(model, X, y, sample_weight=w)
    valid = held_out_rows(model, len(y))
    probe = at_iterate(model, *held_out[model.best_iteration_])
    weighted = probe.score(X[valid], y[valid], sample_weight=w[valid])
    unweighted = probe.score(X[valid], y[valid])
    assert_allclose(model.validation_score_[model.best_iteration_], weighted)
    assert abs(weighted - unweighted) > 1e-6


def test_default_fit_of_a_wave_recording_stops_without_a_warning(recording):
    X, y = recording
    assert len(y) >= EARLY_STOPPING_MIN_SAMPLES
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SoftmaxKDERegressor().fit(X, y)
    best = model.best_iteration_
    assert best == int(np.argmax(model.validation_score_)) >= model.n_iter_
    n_held_out = min(best + model.n_iter_no_change, model.max_iter)
    assert model.validation_score_.size == n_held_out + 1


def test_monitor_ends_the_solver_without_a_warning():
    def quadratic(params):
        return float(params @ params) + params[0], 2 * params + np.eye(3)[0]

    seen = []

    def monitor(params, n_iter, value):
        seen.append((n_iter, value))
        return n_iter == 1

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = minimize_lbfgs(
            quadratic, np.array([3.0, -2.0, 1.0]), max_iter=1, monitor=monitor
        )
    assert result.stopped and result.converged and result.n_iter == 1
    assert seen == [(1, result.objective)]
    assert result.objective == quadratic(result.params)[0]
