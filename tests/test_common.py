"""scikit-learn's estimator checks, all of them, with no expected failures."""

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.metrics import r2_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from skkdece import (
    SoftmaxKDENeighborsRegressor,
    SoftmaxKDERegressor,
    SoftmaxKDERegressorCV,
)
from skkdece.dask import DaskSoftmaxKDERegressor  # Dask is in the tests extra

# Every check must pass: this dict stays empty.
EXPECTED_FAILED_CHECKS: dict = {}


@parametrize_with_checks(
    [
        SoftmaxKDERegressor(),
        # A small grid keeps the suite fast; the checks do not depend on it.
        SoftmaxKDERegressorCV(alphas=2, bandwidths=2, cv=2),
        SoftmaxKDENeighborsRegressor(),
        # On NumPy input it is the in-memory estimator; its Dask paths have
        # their own tests (tests/test_dask.py).
        DaskSoftmaxKDERegressor(),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "model", [SoftmaxKDERegressor(), SoftmaxKDENeighborsRegressor(n_neighbors=10)]
)
def test_point_predictions_reach_r2_on_check_data(model):
    """The poor_score tag only exempts the log-likelihood ``score``.

    check_regressors_train fits on this data and asks score > 0.5; our score
    is a log-likelihood, so ask the same of the point predictions' R^2.
    """
    X, y = make_regression(n_samples=200, n_features=10, noise=0.1, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    model.fit(X, y)
    assert r2_score(y, model.predict(X)) > 0.5
    assert np.isfinite(model.score(X, y))
