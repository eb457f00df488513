"""SoftmaxKDERegressorCV with location-scale heads: searched, chosen, refitted."""

import warnings

import numpy as np
import pytest
from _helpers import moving_stretching_data
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

from skkdece import SoftmaxKDERegressor, SoftmaxKDERegressorCV

# Few centers and a loose tolerance keep the fits short; the equalities
# below hold for any settings, since both sides run the same fits.
SETTINGS = dict(centers=8, tol=1e-5, max_iter=300)
BOTH = dict(location="linear", scale="linear")
SEARCH_ALL = dict(location=[None, "linear"], scale=[None, "linear"])


def quiet(fit, *args, **kwargs):
    """A fit with ConvergenceWarning silenced (max_iter is small here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def test_first_fit_of_each_path_is_the_plain_fit_with_heads():
    """A fold's fit with heads is SoftmaxKDERegressor's with the same heads
    on the fold's rows: same start, same kernels, same bits."""
    X, y = moving_stretching_data(150, seed=0)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    alphas, bandwidths = [1e-3, 1e-2], [0.4, 0.8]
    cv = quiet(
        SoftmaxKDERegressorCV(
            alphas=alphas, bandwidths=bandwidths, cv=folds, **BOTH, **SETTINGS
        ).fit,
        X,
        y,
    )
    assert (cv.location_, cv.scale_) == ("linear", "linear")
    for k, (train, test) in enumerate(folds):
        for j, bandwidth in enumerate(bandwidths):
            plain = SoftmaxKDERegressor(
                alpha=alphas[0] * (len(y) / len(train)),
                bandwidth=bandwidth,
                early_stopping=False,
                **BOTH,
                **SETTINGS,
            )
            quiet(plain.fit, X[train], y[train])
            assert cv.scores_[k, j, 0] == plain.score(X[test], y[test])
            assert cv.n_iter_path_[k, j, 0] == plain.n_iter_


def test_search_chooses_the_heads_and_refits_the_plain_model():
    X, y = moving_stretching_data(240, seed=1)
    cv = quiet(
        SoftmaxKDERegressorCV(
            alphas=[1e-3, 1e-2], bandwidths=2, cv=3, **SEARCH_ALL, **SETTINGS
        ).fit,
        X,
        y,
    )
    results = cv.cv_results_
    # Four configurations of heads, each with its own grid of 2 x 2 points.
    assert len(results["params"]) == 16
    configurations = {(p["location"], p["scale"]) for p in results["params"]}
    assert configurations == {
        (a, b) for a in (None, "linear") for b in (None, "linear")
    }
    # The location moves and the spread grows with the features: both heads.
    assert (cv.location_, cv.scale_) == ("linear", "linear")
    best = int(np.flatnonzero(results["rank_test_score"] == 1)[0])
    assert results["params"][best] == {
        "location": "linear",
        "scale": "linear",
        "bandwidth": cv.bandwidths_[cv.best_index_[0]],
        "alpha": cv.alpha_,
    }
    # The chosen configuration's arrays, as without heads.
    split = np.array([results[f"split{k}_test_score"][best] for k in range(3)])
    assert_array_equal(split, cv.scores_[:, cv.best_index_[0], cv.best_index_[1]])
    assert results["mean_test_score"][best] == np.max(results["mean_test_score"])
    without = [
        s
        for s, p in zip(results["mean_test_score"], results["params"], strict=True)
        if p["location"] is None and p["scale"] is None
    ]
    assert results["mean_test_score"][best] > max(without) + 0.05
    # The refit is the plain estimator with the chosen heads, bit for bit.
    plain = SoftmaxKDERegressor(
        alpha=cv.alpha_,
        bandwidth=cv.bandwidths_[cv.best_index_[0]],
        early_stopping=False,
        **BOTH,
        **SETTINGS,
    )
    quiet(plain.fit, X, y)
    for name in ("coef_", "intercept_", "location_coef_", "scale_coef_", "centers_"):
        assert_array_equal(getattr(cv, name), getattr(plain, name))
    assert cv.location_intercept_ == plain.location_intercept_
    assert cv.scale_intercept_ == plain.scale_intercept_
    assert_array_equal(
        cv.predict_quantiles(X[:7], [0.1, 0.9]),
        plain.predict_quantiles(X[:7], [0.1, 0.9]),
    )
    assert cv.score(X, y) == plain.score(X, y)
    assert cv.location_coef_[0] == pytest.approx(2.0, abs=0.3)
    assert cv.scale_coef_[1] == pytest.approx(0.8, abs=0.4)


def test_heads_off_searched_alone_is_the_default_bit_for_bit():
    X, y = moving_stretching_data(150, seed=2)
    kw = dict(alphas=2, bandwidths=2, cv=3, **SETTINGS)
    default = quiet(SoftmaxKDERegressorCV(**kw).fit, X, y)
    listed = quiet(SoftmaxKDERegressorCV(location=[None], scale=[None], **kw).fit, X, y)
    assert (default.location_, default.scale_) == (None, None)
    assert default.location_coef_ is None and default.scale_coef_ is None
    assert_array_equal(default.scores_, listed.scores_)
    assert_array_equal(default.coef_, listed.coef_)
    assert len(default.cv_results_["params"]) == 4
    assert_array_equal(
        default.cv_results_["mean_test_score"],
        default.scores_.mean(axis=0).ravel(),
    )


def test_rotation_on_a_circle_is_searched():
    period = 2 * np.pi
    X, y = moving_stretching_data(180, seed=3, period=period)
    cv = quiet(
        SoftmaxKDERegressorCV(
            alphas=[1e-3],
            bandwidths=[0.3],
            cv=3,
            period=period,
            location=[None, "linear"],
            **SETTINGS,
        ).fit,
        X,
        y,
    )
    assert cv.location_ == "linear" and cv.scale_ is None
    assert cv.scale_coef_ is None
    plain = SoftmaxKDERegressor(
        alpha=1e-3,
        bandwidth=0.3,
        period=period,
        location="linear",
        early_stopping=False,
        **SETTINGS,
    )
    quiet(plain.fit, X, y)
    assert_array_equal(cv.location_coef_, plain.location_coef_)
    assert_array_equal(cv.coef_, plain.coef_)
    # The rotation follows feature 0 (the mixture's logits take a share).
    assert cv.location_coef_[0] > 0.5


def test_refit_false_averages_the_folds_heads():
    X, y = moving_stretching_data(180, seed=4)
    cv = quiet(
        SoftmaxKDERegressorCV(
            alphas=[1e-3], bandwidths=[0.5], cv=3, refit=False, **BOTH, **SETTINGS
        ).fit,
        X,
        y,
    )
    assert cv.n_iter_ == 0 and cv.objective_ is None
    assert cv.location_coef_.shape == cv.scale_coef_.shape == (2,)
    assert cv.location_coef_[0] == pytest.approx(2.0, abs=0.3)
    assert np.all(np.isfinite(cv.predict_quantiles(X[:5], [0.1, 0.9])))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(location=["linear", "quadratic"]), "location must be None, 'linear'"),
        (dict(scale=[]), "scale must be None, 'linear'"),
        (dict(location=["linear", "linear"]), "distinct"),
        (dict(period=360.0, scale=[None, "linear"]), "needs a target on the real"),
        (dict(kernel="tophat", location=[None, "linear"]), "unbounded support"),
    ],
)
def test_bad_head_options_raise(params, message):
    X, y = moving_stretching_data(60, seed=5)
    if "period" in params:
        y = np.mod(y, 360.0)
    with pytest.raises(ValueError, match=message):
        SoftmaxKDERegressorCV(alphas=1, bandwidths=1, cv=2, **params).fit(X, y)


def test_head_options_are_plain_parameters():
    """Lists survive clone, get_params and set_params, and fit changes none.

    (scikit-learn's full estimator checks with a searched head take a minute
    on two cores, for the checks the plain estimator with heads already
    passes in tests/test_location_scale.py.)
    """
    X, y = moving_stretching_data(90, seed=6)
    cv = SoftmaxKDERegressorCV(alphas=1, bandwidths=1, cv=2, **SEARCH_ALL)
    params = cv.get_params()
    assert params["location"] == [None, "linear"]
    copy = clone(cv)
    assert copy.get_params()["scale"] == [None, "linear"]
    quiet(copy.fit, X, y)
    assert copy.get_params() == params
    assert copy.set_params(location="linear").location == "linear"
