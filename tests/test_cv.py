"""SoftmaxKDERegressorCV: the path against separate fits, folds, refit, errors."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GroupKFold, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import SoftmaxKDERegressor, SoftmaxKDERegressorCV
from skkdece._linear_cv import alpha_grid, bandwidth_grid
from skkdece._targets import TargetSummary

# Penalties of a fit on all the rows; the folds on 2/3 of them fit with 3/2 of
# each (fold_alpha): 1e-2, 3e-2 and 1e-1.
ALPHAS = [1e-2 / 1.5, 3e-2 / 1.5, 1e-1 / 1.5]
BANDWIDTHS = [0.4, 0.8]
# The objective is not convex: with more centers, a fit warm-started from a
# neighbouring penalty and a fit from zero may stop in different local minima
# (see skkdece/_linear_cv.py).  With five centers these problems have one.
SETTINGS = dict(centers=5, tol=1e-10)
# The path's fits at the separate fits' tolerance (the default, said again).
PATH = dict(path_tol=1e-10)


def data(n=150, seed=0, intervals=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.sin(X[:, 0]) + 0.3 * rng.normal(size=n)
    if intervals:
        y = np.column_stack([y - 0.1, y + 0.2])
    return X, y


def fold_alpha(alpha, n, train):
    """A fold's penalty: ``alpha`` of a fit on all ``n`` rows, on fewer rows."""
    return alpha * (n / len(train))


def separate_fits(X, y, folds, alphas, bandwidths, **params):
    """Score and iterations of a plain fit from zero at every fold and point."""
    shape = (len(folds), len(bandwidths), len(alphas))
    scores, n_iter = np.empty(shape), np.empty(shape, dtype=int)
    for k, (train, test) in enumerate(folds):
        for j, b in enumerate(bandwidths):
            for i, a in enumerate(alphas):
                model = SoftmaxKDERegressor(
                    alpha=fold_alpha(a, len(y), train), bandwidth=b, **params
                )
                model.fit(X[train], y[train])
                scores[k, j, i] = model.score(X[test], y[test])
                n_iter[k, j, i] = model.n_iter_
    return scores, n_iter


@pytest.mark.parametrize("intervals", [False, True])
def test_path_scores_equal_separate_fits_in_fewer_iterations(intervals):
    X, y = data(intervals=intervals)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    cv = SoftmaxKDERegressorCV(
        alphas=ALPHAS, bandwidths=BANDWIDTHS, cv=folds, **SETTINGS, **PATH
    ).fit(X, y)
    assert_array_equal(cv.alphas_, ALPHAS)
    assert_array_equal(cv.bandwidths_, BANDWIDTHS)
    assert cv.scores_.shape == cv.n_iter_path_.shape == (3, 2, 3)
    scores, n_iter = separate_fits(X, y, folds, ALPHAS, BANDWIDTHS, **SETTINGS)
    assert_allclose(cv.scores_, scores, rtol=0, atol=1e-6)
    # The first fit of each path starts from zero: it is the plain fit.
    assert_array_equal(cv.scores_[:, :, 0], scores[:, :, 0])
    assert_array_equal(cv.n_iter_path_[:, :, 0], n_iter[:, :, 0])
    # Warm starts: fewer iterations after the first point of each path.
    assert np.sum(cv.n_iter_path_[:, :, 1:]) < 0.75 * np.sum(n_iter[:, :, 1:])
    # The choice is the best mean score.
    mean = scores.mean(axis=0)
    j, i = np.unravel_index(np.argmax(mean), mean.shape)
    assert (cv.bandwidth_, cv.alpha_) == (BANDWIDTHS[j], ALPHAS[i])
    assert cv.best_index_ == (j, i)


def test_refit_is_the_plain_fit_at_the_chosen_point():
    X, y = data(seed=1)
    cv = SoftmaxKDERegressorCV(
        alphas=ALPHAS, bandwidths=BANDWIDTHS, cv=3, **SETTINGS
    ).fit(X, y)
    plain = SoftmaxKDERegressor(
        alpha=cv.alpha_, bandwidth=cv.bandwidth_, **SETTINGS
    ).fit(X, y)
    # The refit is the plain estimator's fit, bit for bit.
    assert_array_equal(cv.coef_, plain.coef_)
    assert_array_equal(cv.intercept_, plain.intercept_)
    assert_array_equal(cv.centers_, plain.centers_)
    assert cv.bandwidth_ == plain.bandwidth_
    assert (cv.n_iter_, cv.objective_) == (plain.n_iter_, plain.objective_)
    assert cv.window_ is None and cv.n_iter_ > 0
    grid = np.linspace(-2, 2, 9)
    assert_array_equal(
        cv.predict_density(X[:5], grid), plain.predict_density(X[:5], grid)
    )
    assert cv.score(X, y) == plain.score(X, y)
    # The chosen point is the best mean score of the path.
    j, i = cv.best_index_
    assert np.mean(cv.scores_[:, j, i]) == np.max(np.mean(cv.scores_, axis=0))


class GroupSpy(GroupKFold):
    """GroupKFold that records the groups and splits it was asked for."""

    def split(self, X, y=None, groups=None):
        self.seen = np.array(groups)
        self.splits = list(super().split(X, y, groups))
        yield from self.splits


def test_groups_reach_the_splitter_through_a_pipeline():
    X, y = data(n=120, seed=2)
    groups = np.repeat(np.arange(6), 20)
    spy = GroupSpy(n_splits=3)
    pipe = make_pipeline(
        StandardScaler(),
        SoftmaxKDERegressorCV(alphas=2, bandwidths=1, cv=spy, centers=6, tol=1e-4),
    )
    pipe.fit(X, y, softmaxkderegressorcv__groups=groups)
    assert_array_equal(spy.seen, groups)
    assert pipe[-1].scores_.shape == (3, 1, 2)
    for train, test in spy.splits:
        assert not set(groups[train]) & set(groups[test])


def test_refit_false_fixes_the_geometry_and_averages_the_folds():
    X, y = data(n=120, seed=3)
    folds = list(KFold(3, shuffle=True, random_state=1).split(X))
    cv = SoftmaxKDERegressorCV(
        alphas=ALPHAS[:2], bandwidths=[0.4], cv=folds, refit=False, **SETTINGS, **PATH
    ).fit(X, y)
    # The centers of all the data, for every fold: the scores are those of
    # plain fits with these explicit centers.
    assert_array_equal(
        cv.centers_, SoftmaxKDERegressor(bandwidth=0.4, centers=5).fit(X, y).centers_
    )
    scores, _ = separate_fits(
        X, y, folds, ALPHAS[:2], [0.4], centers=cv.centers_, tol=1e-10
    )
    assert_allclose(cv.scores_, scores, atol=1e-6)
    fold_coefs = [
        SoftmaxKDERegressor(
            alpha=fold_alpha(cv.alpha_, len(y), train),
            bandwidth=0.4,
            centers=cv.centers_,
        )
        .set_params(tol=1e-10)
        .fit(X[train], y[train])
        .coef_
        for train, _ in folds
    ]
    assert_allclose(cv.coef_, np.mean(fold_coefs, axis=0), atol=1e-4)
    assert cv.n_iter_ == 0 and cv.objective_ is None
    assert np.isfinite(cv.score(X, y))


def test_periodic_interval_targets_scorer_and_outer_cross_validation():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 2))
    mid = np.angle(np.exp(1j * (2.0 * X[:, 0] + 0.4 * rng.normal(size=150))))
    y = np.column_stack([mid - 0.2, mid + 0.2])
    cv = SoftmaxKDERegressorCV(
        alphas=2, bandwidths=2, cv=3, period=2 * np.pi, centers=12, tol=1e-4
    )
    cv.fit(X, y)
    assert cv.window_ == (-np.pi, np.pi)
    assert np.all((cv.predict(X) >= -np.pi) & (cv.predict(X) < np.pi))
    outer = cross_val_score(cv, X, y, cv=2)
    assert outer.shape == (2,) and np.all(np.isfinite(outer))
    # Any scikit-learn scorer: point targets and the mean absolute error.
    X, y = data(n=90, seed=5)
    mae = SoftmaxKDERegressorCV(
        alphas=2, bandwidths=2, cv=3, scoring="neg_mean_absolute_error", centers=6
    ).fit(X, y)
    assert np.all(mae.scores_ < 0)


def test_parallel_folds_give_the_same_scores():
    X, y = data(n=90, seed=6)
    kw = dict(alphas=2, bandwidths=2, cv=3, centers=6, tol=1e-6)
    one = SoftmaxKDERegressorCV(**kw).fit(X, y)
    two = SoftmaxKDERegressorCV(**kw, n_jobs=2).fit(X, y)
    assert_array_equal(one.scores_, two.scores_)
    assert_array_equal(one.coef_, two.coef_)


def test_grid_rules_follow_the_data_and_repetition_weights():
    X, y = data(n=60, seed=7)
    w = np.arange(60) % 3
    repeated = np.repeat(np.arange(60), w)
    assert_allclose(
        alpha_grid(X, w, 4), alpha_grid(X[repeated], np.ones(repeated.size), 4)
    )
    grid = alpha_grid(X, np.ones(60), 6)
    assert grid[0] < grid[-1] and grid[-1] / grid[0] == pytest.approx(1e5)
    s = np.sum(np.var(X, axis=0)) / 60
    assert grid[3] == pytest.approx(s)

    ones = np.ones(60)
    summary = TargetSummary.from_targets(y, y, ones)
    scott = SoftmaxKDERegressor(centers=8).fit(X, y).bandwidth_
    assert_allclose(
        bandwidth_grid(summary, 4, centers=8, kernel="gaussian"),
        scott * np.geomspace(0.25, 2.0, 4),
    )
    assert_allclose(bandwidth_grid(summary, 1, centers=8, kernel="gaussian"), [scott])
    cv = SoftmaxKDERegressorCV(bandwidths=3, alphas=2, cv=2, centers=8).fit(X, y)
    assert_allclose(cv.bandwidths_, scott * np.geomspace(0.25, 2.0, 3))
    assert_allclose(cv.alphas_, alpha_grid(X, ones, 2))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(alphas=[]), "non-empty 1-D"),
        (dict(alphas=[[1e-3, 1e-2]]), "non-empty 1-D"),
        (dict(alphas=[1e-3, -1.0]), r"finite and >= 0; got \[-1.0\]"),
        (dict(alphas=[np.nan]), "finite and >= 0"),
        (dict(alphas=["a"]), "1-D array of numbers"),
        (dict(bandwidths=[0.5, 0.0]), r"finite and > 0; got \[0.0\]"),
        (dict(bandwidths=[np.inf]), "finite and > 0"),
        (dict(alphas=0), "alphas"),
        (dict(bandwidths=-2), "bandwidths"),
    ],
)
def test_bad_grids_raise(params, message):
    X, y = data(n=30)
    with pytest.raises(ValueError, match=message):
        SoftmaxKDERegressorCV(cv=2, **params).fit(X, y)


def test_path_tol_loosens_only_the_path():
    X, y = data(n=200, seed=5)
    folds = list(KFold(3, shuffle=True, random_state=2).split(X))
    kw = dict(alphas=[1e-4, 1e-2], bandwidths=[0.4], cv=folds, centers=8, tol=1e-7)
    loose = SoftmaxKDERegressorCV(**kw, path_tol=1e-2).fit(X, y)
    default = SoftmaxKDERegressorCV(**kw).fit(X, y)
    assert loose.n_iter_path_.sum() < default.n_iter_path_.sum()
    # The path's first fits are plain fits at path_tol (tol by default) ...
    for (train, test), s_loose, s_default in zip(
        folds, loose.scores_, default.scores_, strict=True
    ):
        for tol, scores in ((1e-2, s_loose), (1e-7, s_default)):
            plain = SoftmaxKDERegressor(
                alpha=fold_alpha(1e-4, len(y), train),
                bandwidth=0.4,
                centers=8,
                tol=tol,
            )
            assert scores[0, 0] == plain.fit(X[train], y[train]).score(X[test], y[test])
    # ... and the final model is fitted at tol, whatever path_tol was.
    final = SoftmaxKDERegressor(
        alpha=loose.alpha_, bandwidth=0.4, centers=8, tol=1e-7
    ).fit(X, y)
    assert_array_equal(loose.coef_, final.coef_)


def test_cv_estimator_is_a_softmax_kde_regressor_with_its_attributes():
    # As LogisticRegressionCV is a LogisticRegression: the refitted model's
    # attributes, predictions and export are those of the plain estimator
    # fitted with the chosen alpha and bandwidth.
    from skkdece.robocode.export import to_dict

    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 2))
    y = X[:, 0] + rng.normal(scale=0.3, size=150)
    cv = SoftmaxKDERegressorCV(alphas=[1e-3, 1e-1], bandwidths=[0.2, 0.4], cv=3)
    cv.fit(X, y)
    assert isinstance(cv, SoftmaxKDERegressor)
    plain = SoftmaxKDERegressor(alpha=cv.alpha_, bandwidth=cv.bandwidth_).fit(X, y)
    assert_array_equal(cv.coef_, plain.coef_)
    assert_array_equal(cv.predict_aim(X[:5], 0.1), plain.predict_aim(X[:5], 0.1))
    assert to_dict(cv) == to_dict(plain)
