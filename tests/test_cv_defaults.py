"""SoftmaxKDERegressorCV's default search: where it goes, what it finds, its refit."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

import skkdece._linear_cv as linear_cv
from skkdece import SoftmaxKDERegressor, SoftmaxKDERegressorCV
from skkdece._linear_cv import alpha_scale, bandwidth_grid
from skkdece._targets import TargetSummary


def heteroscedastic(n, seed):
    """The benchmark's sine: ``sin(2x) + (0.2 + 0.3|x|) eps`` on [-3, 3]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n)
    y = np.sin(2.0 * x) + (0.2 + 0.3 * np.abs(x)) * rng.normal(size=n)
    return x, y


def sine_features(n=300, seed=0):
    """Polynomial features of the sine's x: few enough for a quick test."""
    x, y = heteroscedastic(n, seed)
    X = np.column_stack([x, x**2 / 3.0, np.abs(x), np.sin(2.0 * x)])
    return X, y


def plain(**params):
    """SoftmaxKDERegressor, exact: without any early stopping of its own."""
    model = SoftmaxKDERegressor(**params)
    if "early_stopping" in model.get_params():
        model.set_params(early_stopping=False)
    return model


def rule_bandwidth(y, centers):
    summary = TargetSummary.from_targets(y, y, np.ones(y.size))
    return float(bandwidth_grid(summary, 1, centers=centers, kernel="gaussian")[0])


def test_defaults_are_the_automatic_search():
    params = SoftmaxKDERegressorCV().get_params()
    assert params["alphas"] == params["bandwidths"] == params["path_tol"] == "auto"
    assert params["cv"] == 5 and params["tol"] == 1e-6


def test_bandwidth_search_finds_the_best_cv_score_of_a_fine_grid():
    # One penalty, exact path fits and five centers (one minimum per fit,
    # so warm and cold starts agree): the search against a fine grid of the
    # same folds.
    X, y = sine_features(n=240, seed=1)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    kw = dict(alphas=[1e-3], cv=folds, centers=5, tol=1e-10, path_tol=1e-10)
    auto = SoftmaxKDERegressorCV(bandwidths="auto", **kw).fit(X, y)
    rule = rule_bandwidth(y, 5)
    fine = rule * np.geomspace(0.25, 2.0, 31)
    grid = SoftmaxKDERegressorCV(bandwidths=fine, **kw).fit(X, y)
    fine_mean = grid.scores_.mean(axis=0)[:, 0]
    best = int(np.argmax(fine_mean))
    assert 0 < best < fine.size - 1  # an interior maximum
    tried = ~np.isnan(auto.scores_[0, :, 0])
    # A handful of fits instead of 31, the best within 10% in h and 2e-3
    # nats of the fine grid's.
    assert tried.sum() <= 6
    assert abs(np.log(auto.bandwidth_ / fine[best])) < np.log(1.1)
    assert np.mean(auto.scores_[:, auto.best_index_[0], 0]) >= fine_mean[best] - 2e-3
    # Its scores are the grid's at the same bandwidths (exact fits).
    at = SoftmaxKDERegressorCV(bandwidths=auto.bandwidths_, **kw).fit(X, y)
    assert_allclose(auto.scores_, at.scores_, rtol=0, atol=1e-7)
    # The first bandwidths: the rule's and a factor sqrt(2) on either side.
    for factor in (0.5**0.5, 1.0, 2.0**0.5):
        assert np.any(np.isclose(auto.bandwidths_, factor * rule, rtol=1e-12))


def test_alpha_search_steps_by_sqrt10_to_an_interior_best():
    X, y = sine_features(n=240, seed=2)
    folds = list(KFold(3, shuffle=True, random_state=1).split(X))
    kw = dict(bandwidths=[0.4], cv=folds, centers=5, tol=1e-10, path_tol=1e-10)
    auto = SoftmaxKDERegressorCV(alphas="auto", **kw).fit(X, y)
    s = alpha_scale(X, np.ones(len(y)))
    # The penalties tried: AUTO_ALPHA s times powers of sqrt(10), and at
    # most one parabolic step between them.
    steps = np.log10(auto.alphas_ / (linear_cv.AUTO_ALPHA * s)) * 2
    assert np.sum(~np.isclose(steps, np.round(steps), rtol=0, atol=1e-9)) <= 1
    assert np.sum(np.isclose(steps, np.round(steps), rtol=0, atol=1e-9)) >= 3
    mean = auto.scores_.mean(axis=0)[0]
    i = auto.best_index_[1]
    assert 0 < i < mean.size - 1 and mean[i] == np.max(mean)
    # A fine grid of the same folds finds no better penalty by more than
    # the step's worth.
    fine = auto.alphas_[0] * np.geomspace(1.0, auto.alphas_[-1] / auto.alphas_[0], 13)
    grid = SoftmaxKDERegressorCV(alphas=fine, **kw).fit(X, y)
    fine_mean = grid.scores_.mean(axis=0)[0]
    assert mean[i] >= np.max(fine_mean) - 5e-3
    assert abs(np.log10(auto.alpha_ / fine[np.argmax(fine_mean)])) <= 0.5 + 1e-9


def test_fold_penalties_are_the_refit_penalty_on_fewer_rows():
    # alpha_ is a penalty of the fit on all the rows: a fold on 2/3 of them
    # fits with 3/2 of it, the same prior against less data.
    X, y = sine_features(n=150, seed=3)
    folds = list(KFold(3).split(X))
    cv = SoftmaxKDERegressorCV(
        alphas=[1e-3, 1e-2], bandwidths=[0.4], cv=folds, centers=5, tol=1e-10
    ).fit(X, y)
    for k, (train, test) in enumerate(folds):
        model = plain(alpha=1e-2 * 1.5, bandwidth=0.4, centers=5, tol=1e-10)
        model.fit(X[train], y[train])
        assert_allclose(cv.scores_[k, 0, 1], model.score(X[test], y[test]), atol=1e-6)


def test_default_fit_is_quiet_and_refits_exactly_to_tol():
    # The benchmark's sine with spline features (small), at the defaults.
    from sklearn.preprocessing import SplineTransformer

    x, y = heteroscedastic(400, seed=400)
    X = SplineTransformer(n_knots=8).fit_transform(x[:, None])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        cv = SoftmaxKDERegressorCV().fit(X, y)
    # The search: a few paths, each a handful of fits, not a full grid.
    tried = ~np.isnan(cv.scores_[0])
    assert 4 <= tried.sum() <= 14
    assert_array_equal(np.isnan(cv.scores_), np.isnan(cv.scores_[:1]).repeat(5, 0))
    assert np.all(cv.n_iter_path_[:, ~tried] == 0)
    # The refit is the exact plain fit at the chosen point, converged.
    final = plain(alpha=cv.alpha_, bandwidth=cv.bandwidth_).fit(X, y)
    assert_array_equal(cv.coef_, final.coef_)
    assert cv.n_iter_ == final.n_iter_ < cv.max_iter
    # Converged to tol: a few more iterations change the objective by
    # rounding only.
    tighter = plain(alpha=cv.alpha_, bandwidth=cv.bandwidth_, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tighter.set_params(max_iter=3000).fit(X, y)
    assert cv.objective_ - tighter.objective_ < 1e-6
    # The best mean score among the points tried.
    mean = np.mean(cv.scores_, axis=0)
    assert mean[cv.best_index_] == np.max(mean[tried])


def test_default_search_is_deterministic_and_explicit_grids_still_work():
    X, y = sine_features(n=120, seed=4)
    one = SoftmaxKDERegressorCV(centers=8, cv=3).fit(X, y)
    two = SoftmaxKDERegressorCV(centers=8, cv=3).fit(X, y)
    assert_array_equal(one.scores_, two.scores_)
    assert_array_equal(one.coef_, two.coef_)
    assert_array_equal(one.bandwidths_, two.bandwidths_)
    # The former default grid: every point, path fits at tol.
    grid = SoftmaxKDERegressorCV(alphas=10, bandwidths=5, centers=8, cv=3, tol=1e-5)
    grid.fit(X, y)
    assert grid.scores_.shape == (3, 5, 10) and not np.any(np.isnan(grid.scores_))


@pytest.mark.parametrize("kernel", ["epanechnikov", "tophat"])
def test_compact_kernels_search_only_covering_bandwidths(kernel):
    X, y = sine_features(n=120, seed=5)
    cv = SoftmaxKDERegressorCV(kernel=kernel, centers=8, cv=3).fit(X, y)
    summary = TargetSummary.from_targets(y, y, np.ones(y.size))
    rule = float(bandwidth_grid(summary, 1, centers=8, kernel=kernel)[0])
    assert np.min(cv.bandwidths_) >= rule * (1 - 1e-12)
    assert np.isfinite(cv.score(X, y))


def test_default_search_with_weights_and_without_refit():
    X, y = sine_features(n=150, seed=6)
    w = np.arange(150) % 3
    repeated = np.repeat(np.arange(150), w)
    folds = list(KFold(3).split(X))
    # Zero weights drop rows; the search sees the same data either way only
    # up to the folds, so compare a weighted fit with itself run twice and
    # check the choice is a point tried.
    cv = SoftmaxKDERegressorCV(centers=6, cv=folds).fit(X, y, sample_weight=w)
    j, i = cv.best_index_
    assert not np.isnan(cv.scores_[0, j, i])
    assert cv.alpha_ == cv.alphas_[i] and cv.bandwidth_ == cv.bandwidths_[j]
    # The penalty scale follows the repetition weights.
    assert_allclose(alpha_scale(X, w), alpha_scale(X[repeated], np.ones(repeated.size)))
    # refit=False: the folds' coefficients at the chosen point, averaged.
    flat = SoftmaxKDERegressorCV(centers=6, cv=folds, refit=False).fit(X, y)
    assert flat.n_iter_ == 0 and flat.objective_ is None
    assert flat.coef_.shape == (6, X.shape[1])
    assert np.isfinite(flat.score(X, y))
