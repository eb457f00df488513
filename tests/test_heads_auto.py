"""location="auto" and scale="auto": held-out rows choose the heads (issue 25).

The choice runs early stopping's held-out split once per setting tried, one
head at a time, and is off where that split is no fair judge: without early
stopping, with sparse features, with a compact kernel on the line, on rows
recorded in time order, and under ``warm_start`` after a first fit.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from skkdece import SoftmaxKDERegressor
from skkdece._linear_regressor import _greedy_heads, _heads_name
from skkdece._serial import ORDER_ROWS, recorded_in_order


def _moving(n, seed, period=None):
    """Shuffled rows whose density moves with the first feature and
    stretches with the second."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = 2.0 * X[:, 0] + 0.2 * np.exp(0.9 * X[:, 1]) * rng.normal(size=n)
    if period is not None:
        y = np.mod(y, period)
    return X, y


def _fit(X, y, **params):
    params = {"centers": 12, "max_iter": 60, "n_iter_no_change": 20, **params}
    return SoftmaxKDERegressor(**params).fit(X, y)


def _assert_same_fit(a, b):
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.objective_ == b.objective_
    for name in ("location_coef_", "scale_coef_"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.validation_score_, b.validation_score_)
    assert a.best_iteration_ == b.best_iteration_


def test_the_defaults_are_auto():
    params = SoftmaxKDERegressor().get_params()
    assert params["location"] == "auto" and params["scale"] == "auto"
    assert clone(SoftmaxKDERegressor()).get_params()["location"] == "auto"


def test_auto_chooses_the_heads_of_a_moving_stretching_density_and_is_that_fit():
    X, y = _moving(1500, 0)
    auto = _fit(X, y)
    assert set(auto.head_scores_) == {"none", "location", "location+scale"}
    scores = auto.head_scores_
    assert scores["location"] > scores["none"]
    assert scores["location+scale"] > scores["location"]
    assert (auto.location_, auto.scale_) == ("linear", "linear")
    # The scores are the held-out runs' best, and the final fit is the fit
    # with those heads set by hand, bit for bit (same split, same start).
    both = _fit(X, y, location="linear", scale="linear")
    _assert_same_fit(auto, both)
    assert scores["location+scale"] == both.validation_score_.max()
    assert both.head_scores_ == {}
    # The chosen model is the better one held out, by a wide margin.
    X_test, y_test = _moving(4000, 1)
    plain = _fit(X, y, location=None, scale=None)
    assert auto.score(X_test, y_test) > plain.score(X_test, y_test) + 0.3


def test_auto_keeps_the_setting_with_the_best_held_out_score():
    # The density does not depend on the features: every run is scored, and
    # the fit is the one whose best held-out score is highest.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1200, 3))
    y = rng.standard_t(5, size=1200)
    auto = _fit(X, y)
    scores = auto.head_scores_
    tried = ["none", "location"]
    if scores["location"] > scores["none"]:
        tried.append("location+scale")
    assert list(scores) == tried
    chosen = _heads_name((auto.location_ is not None, auto.scale_ is not None))
    assert scores[chosen] == max(scores.values())
    plain = _fit(X, y, location=auto.location_, scale=auto.scale_)
    _assert_same_fit(auto, plain)


def test_a_losing_run_leaves_nothing_behind(monkeypatch):
    # Every setting runs, the heads last, and the choice is no heads: the
    # fit must be the plain one (penalties, start, kernels, split, scores).
    def all_then_none(options, run):
        order = [(True, True), (True, False), (False, False), (True, True)]
        runs = {heads: run(heads) for heads in order[1:]}
        run(order[0])
        return (False, False), runs

    monkeypatch.setattr("skkdece._linear_regressor._greedy_heads", all_then_none)
    X, y = _moving(1200, 12)
    auto = _fit(X, y)
    plain = _fit(X, y, location=None, scale=None)
    _assert_same_fit(auto, plain)
    for name in ("alpha_", "centers_", "bandwidth_", "window_", "n_iter_"):
        np.testing.assert_array_equal(getattr(auto, name), getattr(plain, name))


def test_the_greedy_order_and_choice():
    calls = []

    def run(heads):
        calls.append(heads)
        return (
            {
                (False, False): 1.0,
                (True, False): 0.5,
                (False, True): 2.0,
                (True, True): 9.0,
            }[heads],
            3,
            None,
        )

    chosen, runs = _greedy_heads(((False, True), (False, True)), run)
    # The location lost, so the scale is not tried (both would have won).
    assert calls == [(False, False), (True, False)]
    assert chosen == (False, False)
    calls.clear()
    # With the location off by hand, the scale alone is tried.
    chosen, runs = _greedy_heads(((False,), (False, True)), run)
    assert calls == [(False, False), (False, True)] and chosen == (False, True)
    calls.clear()
    # A location that wins gets the scale tried on top.
    better = {(False, False): 0.0, (True, False): 1.0, (True, True): 0.5}
    chosen, runs = _greedy_heads(
        ((False, True), (False, True)), lambda heads: (better[heads], 0, None)
    )
    assert chosen == (True, False) and list(runs) == list(better)
    chosen, runs = _greedy_heads(((True,), (False, True)), run)
    assert calls == [(True, False), (True, True)] and chosen == (True, True)
    calls.clear()
    chosen, runs = _greedy_heads(((False,), (False,)), run)
    assert calls == [(False, False)] and list(runs) == [(False, False)]
    # A tie keeps the simpler setting.
    chosen, _ = _greedy_heads(((False, True), (False,)), lambda heads: (1.0, 0, None))
    assert chosen == (False, False)


def test_auto_on_a_circle_tries_the_location_only():
    period = 2 * np.pi
    X, y = _moving(1200, 4, period=period)
    auto = _fit(X, y, period=period)
    assert set(auto.head_scores_) == {"none", "location"}
    assert auto.scale_ is None and auto.scale_coef_ is None
    by_hand = _fit(X, y, period=period, location=auto.location_, scale=None)
    _assert_same_fit(auto, by_hand)


def test_an_explicit_head_is_kept_and_the_other_chosen():
    X, y = _moving(1200, 5)
    model = _fit(X, y, location="linear")
    assert set(model.head_scores_) == {"location", "location+scale"}
    assert model.location_ == "linear"
    model = _fit(X, y, location=None)
    assert set(model.head_scores_) == {"none", "scale"}
    assert model.location_ is None and model.location_coef_ is None


def _assert_off(auto, X, y, **params):
    assert auto.head_scores_ == {}
    assert auto.location_ is None and auto.scale_ is None
    assert auto.location_coef_ is None and auto.scale_coef_ is None
    plain = _fit(X, y, location=None, scale=None, **params)
    _assert_same_fit(auto, plain)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_is_off_without_early_stopping():
    X, y = _moving(999, 6)  # early_stopping="auto" starts at 1000 rows
    _assert_off(_fit(X, y), X, y)
    X, y = _moving(1200, 6)
    _assert_off(_fit(X, y, early_stopping=False), X, y, early_stopping=False)


def test_auto_is_off_on_rows_recorded_in_time_order():
    # A slow drift in the features, as waves recorded tick by tick.
    rng = np.random.default_rng(7)
    X = np.cumsum(rng.normal(size=(1500, 2)), axis=0) / 10
    y = X[:, 0] + 0.1 * rng.normal(size=1500)
    assert recorded_in_order(X)
    _assert_off(_fit(X, y), X, y)
    # The same rows shuffled are fair game.
    order = rng.permutation(1500)
    assert not recorded_in_order(X[order])
    assert _fit(X[order], y[order]).head_scores_


def test_auto_is_off_with_sparse_features_and_compact_kernels():
    X, y = _moving(1200, 8)
    sparse = sp.csr_matrix(X)
    _assert_off(_fit(sparse, y), sparse, y)
    # A compact kernel on the line cannot take heads: "auto" is no error.
    _assert_off(_fit(X, y, kernel="epanechnikov"), X, y, kernel="epanechnikov")


def test_warm_start_keeps_the_first_fits_choice():
    X, y = _moving(1200, 9)
    model = _fit(X, y, warm_start=True)
    assert (model.location_, model.scale_) == ("linear", "linear")
    model.fit(X[::-1], y[::-1])
    assert model.head_scores_ == {} and model.location_ == "linear"
    # Settings that no longer allow a head drop it rather than fail.
    model.set_params(period=20.0).fit(X, np.mod(y, 20.0))
    assert (model.location_, model.scale_) == ("linear", None)
    model.set_params(period=None, kernel="epanechnikov").fit(X, y)
    assert (model.location_, model.scale_) == (None, None)
    # Other features: a cold start, which chooses again.
    model.set_params(kernel="gaussian").fit(np.c_[X, X[:, :1] ** 2], y)
    assert model.head_scores_


def test_auto_is_off_with_a_bandwidth_in_the_targets_units():
    X, y = _moving(1200, 13)
    _assert_off(_fit(X, y, bandwidth=0.2), X, y, bandwidth=0.2)
    # A rule and its multipliers scale with the standardised target: fair.
    assert _fit(X, y, bandwidth=("scott", [0.5, 1.0])).head_scores_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_counts_the_rows_of_positive_weight():
    X, y = _moving(1200, 14)
    weights = np.ones(1200)
    weights[::5] = 0.0  # 960 rows left: no early stopping, no choice
    auto = SoftmaxKDERegressor(centers=12, max_iter=60).fit(X, y, weights)
    assert auto.head_scores_ == {} and auto.location_ is None


def test_recorded_in_order_reads_a_long_recording_in_steps():
    rng = np.random.default_rng(10)
    n = 3 * ORDER_ROWS + 7
    walk = np.cumsum(rng.normal(size=(n, 3)), axis=0)
    assert recorded_in_order(walk)
    assert not recorded_in_order(rng.permutation(walk))
    assert not recorded_in_order(rng.normal(size=(n, 3)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_dask_collections_keep_no_heads_even_after_an_in_memory_choice():
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    from skkdece.dask import DaskSoftmaxKDERegressor

    X, y = _moving(1200, 11)
    model = DaskSoftmaxKDERegressor(centers=12, max_iter=60, n_iter_no_change=20)
    model.fit(X, y)  # NumPy: the in-memory fit, which chooses
    assert model.location_ == "linear" and model.head_scores_
    dX, dy = da.from_array(X, chunks=400), da.from_array(y, chunks=400)
    with dask.config.set(scheduler="synchronous"):
        model.fit(dX, dy)
        plain = DaskSoftmaxKDERegressor(
            centers=12, max_iter=60, location=None, scale=None
        ).fit(dX, dy)
    assert model.head_scores_ == {} and model.location_ is None
    assert model.location_coef_ is None and model.scale_coef_ is None
    assert model.objective_ == plain.objective_
    np.testing.assert_array_equal(model.coef_, plain.coef_)
