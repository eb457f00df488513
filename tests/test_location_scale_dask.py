"""DaskSoftmaxKDERegressor with location-scale heads equals the in-memory fit.

The two-stage start's ridge regressions are reductions over the partitions
(moments about the means, summed in partition order) and the joint fit
evaluates each partition's loss and gradient on its worker, so the start
and the kernels' geometry agree with the in-memory fit's to rounding
(1e-15 here) and the fitted model to the solver's tolerance: the rounding
of the partial sums sends L-BFGS-B down a slightly different path on a
flat, non-convex objective.  Measured on these cases (alpha=0.1, tol=1e-6):
heads within 2.4e-7, logits' coefficients within 7e-6, objectives within
5e-11 relative, predicted quantiles within 1e-5 (intervals, the loosest);
the tests ask 1e-5, 5e-5, 1e-7 and 1e-4.
"""

import warnings

import dask
import dask.array as da
import numpy as np
import pytest
from _helpers import moving_stretching_data
from distributed import Client, LocalCluster
from numpy.testing import assert_allclose

from skkdece import SoftmaxKDERegressor
from skkdece.dask import DaskSoftmaxKDERegressor

# Unequal partitions, among them a single row and an empty one.
ROW_CHUNKS = (120, 1, 0, 79, 100)
HEAD_ATTRIBUTES = (
    "location_coef_",
    "location_intercept_",
    "scale_coef_",
    "scale_intercept_",
)
QUANTILES = [0.1, 0.5, 0.9]


def data(kind, n=300, seed=0):
    period = 2 * np.pi if kind == "circle" else None
    X, y = moving_stretching_data(n, seed=seed, period=period)
    if kind == "interval":
        y = np.c_[y - 0.1, y + np.random.default_rng(seed).uniform(0.0, 0.3, n)]
    weights = np.random.default_rng(seed + 1).uniform(0.0, 3.0, n)
    weights[::7] = 0.0
    return X, y, weights


def as_dask(X, y, w):
    return (
        da.from_array(X, chunks=(ROW_CHUNKS, X.shape[1])),
        # Other chunks than X's: the fit aligns them.
        da.from_array(y, chunks=(100,) + y.shape[1:]),
        da.from_array(w, chunks=150),
    )


CASES = {
    "both heads, point targets": ("line", dict(location="linear", scale="linear")),
    "location, intervals": ("interval", dict(location="linear", scale=None)),
    "scale only": ("line", dict(location=None, scale="linear")),
    "rotation on a circle": (
        "circle",
        dict(location="linear", period=2 * np.pi, kernel="vonmises"),
    ),
}


def fit_both(case):
    kind, heads = CASES[case]
    params = dict(centers=6, alpha=1e-1, **heads)
    X, y, w = data(kind)
    ref = SoftmaxKDERegressor(early_stopping=False, **params).fit(X, y, w)
    model = DaskSoftmaxKDERegressor(**params).fit(*as_dask(X, y, w))
    return X, ref, model


def assert_same_fit(X, ref, model):
    # The start and the kernels: reductions of the same rows, to rounding.
    for got, want in zip(model._heads_start, ref._heads_start, strict=True):
        assert_allclose(got, want, rtol=0, atol=1e-12)
    assert_allclose(model.centers_, ref.centers_, rtol=1e-13, atol=1e-13)
    assert model.bandwidth_ == pytest.approx(ref.bandwidth_, rel=1e-13)
    # The fit: to the solver's tolerance.
    assert model.objective_ == pytest.approx(ref.objective_, rel=1e-7)
    for name in HEAD_ATTRIBUTES:
        want = getattr(ref, name)
        if want is None:
            assert getattr(model, name) is None
        else:
            assert_allclose(getattr(model, name), want, rtol=0, atol=1e-5)
    assert_allclose(model.coef_, ref.coef_, rtol=0, atol=5e-5)
    assert_allclose(
        model.predict_quantiles(X, QUANTILES),
        ref.predict_quantiles(X, QUANTILES),
        rtol=0,
        atol=1e-4,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_heads_on_dask_equal_the_in_memory_fit(case):
    with dask.config.set(scheduler="synchronous"):
        X, ref, model = fit_both(case)
    assert_same_fit(X, ref, model)
    kind, heads = CASES[case]
    for name in ("location", "scale"):
        on = heads.get(name) == "linear"
        assert (getattr(model, f"{name}_coef_") is not None) == on


def test_heads_on_a_cluster_of_processes_and_lazy_predictions():
    """The start's ridge targets and the tables travel to worker processes."""
    with warnings.catch_warnings():
        # Starting processes from a threaded pytest may warn about fork().
        warnings.simplefilter("ignore", DeprecationWarning)
        cluster = LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        )
    with cluster, Client(cluster) as client, client.as_current():
        X, ref, model = fit_both("scale only")
        dX = da.from_array(X, chunks=(ROW_CHUNKS, X.shape[1]))
        lazy = model.predict_quantiles(dX, QUANTILES)
        assert isinstance(lazy, da.Array)
        assert_allclose(lazy.compute(), model.predict_quantiles(X, QUANTILES))
    assert_same_fit(X, ref, model)


@pytest.mark.parametrize("zeros, expected", [(True, 1e-2), (False, 1e-4)])
def test_auto_penalty_counts_the_rows_of_positive_weight(zeros, expected):
    """alpha="auto" with the scale head: 1e-2 below 1000 rows of positive
    weight, as in memory; 1050 rows of which every 7th weighs zero leave
    900."""
    X, y, w = data("line", n=1050)
    if not zeros:
        w = np.ones_like(w)
    dX, dy, dw = (da.from_array(a, chunks=350) for a in (X, y, w))
    with dask.config.set(scheduler="synchronous"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three iterations do not converge
        model = DaskSoftmaxKDERegressor(centers=6, scale="linear", max_iter=3)
        model.fit(dX, dy, dw)
        ref = SoftmaxKDERegressor(
            centers=6, scale="linear", max_iter=3, early_stopping=False
        ).fit(X, y, w)
    assert model.alpha_ == ref.alpha_ == expected
