"""Scores for predicted angles and predicted angle distributions.

Both functions follow scikit-learn's metric signature ``metric(y_true, y_pred,
*, sample_weight=None, ...)`` so that :func:`sklearn.metrics.make_scorer` can
wrap them:

* ``make_scorer(hit_rate, period=360)`` scores point predictions (``predict``
  or any aim) by the fraction that land inside the true intervals;
* :func:`log_likelihood_scorer` scores the predicted distributions by their
  mean log-likelihood.  (``make_scorer(mean_log_likelihood,
  response_method="predict_distribution")`` does the same on recent
  scikit-learn; 1.6 and 1.7 refuse custom response methods on a regressor.)

Inside a pipeline, use :class:`skkdece.pipeline.Pipeline` (or
:func:`skkdece.pipeline.make_pipeline`), which forwards
``predict_distribution`` and the rest of the distribution surface, so that
:func:`log_likelihood_scorer` reaches the final estimator; scikit-learn's own
:class:`~sklearn.pipeline.Pipeline` forwards only the standard methods, and
there ``scoring=None`` gives the same mean log-likelihood through ``score``.
"""

import numpy as np
from sklearn.utils.validation import _check_sample_weight, check_consistent_length

from ._distribution import KDEDistribution
from ._targets import split_targets

__all__ = ["hit_rate", "log_likelihood_scorer", "mean_log_likelihood"]


def _true_intervals(y_true, target_width, period):
    if period is not None:
        period = float(period)
        if not (np.isfinite(period) and period > 0):
            raise ValueError(f"period must be a positive float; got {period}.")
    return split_targets(
        y_true, target_width=target_width, period=period, name="y_true"
    )


def hit_rate(y_true, y_pred, *, period=None, target_width=0.0, sample_weight=None):
    """Fraction of predicted angles that fall inside the true intervals.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, 2) or (n_samples,)
        True ``[lower, upper]`` intervals, or points widened by
        ``target_width`` on each side.
    y_pred : array-like of shape (n_samples,)
        Predicted angles (the aim).
    period : float or None, default=None
        Period of a circular target: a prediction hits when it lies on the
        arc from ``lower`` to ``upper`` in any turn, so ``[350, 370]`` is hit
        by 5 on a 360 circle.
    target_width : float, default=0.0
        Half-width around point targets; ignored for intervals.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.

    Returns
    -------
    rate : float
        Weighted fraction of hits, in ``[0, 1]``.

    Examples
    --------
    >>> from skkdece.metrics import hit_rate
    >>> hit_rate([[350, 370], [10, 20]], [5.0, 30.0], period=360)
    0.5
    >>> from sklearn.metrics import make_scorer
    >>> scorer = make_scorer(hit_rate, period=360)
    """
    lower, upper = _true_intervals(y_true, float(target_width), period)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    check_consistent_length(lower, y_pred)
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("y_pred contains NaN or infinite values.")
    if period is None:
        hits = (y_pred >= lower) & (y_pred <= upper)
    else:
        hits = np.mod(y_pred - lower, float(period)) <= upper - lower
    weights = _check_sample_weight(sample_weight, lower[:, None])
    return float(np.average(hits, weights=weights))


def mean_log_likelihood(
    y_true,
    y_dist,
    *,
    loss="cross_entropy",
    target_width=0.0,
    n_quadrature=None,
    sample_weight=None,
):
    """Weighted mean log-likelihood of targets under predicted distributions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, 2)
        True points (widened by ``target_width``) or ``[lower, upper]``
        intervals.
    y_dist : KDEDistribution
        The predictions, from ``predict_distribution``.
    loss : {"cross_entropy", "interval_likelihood"}, default="cross_entropy"
        How intervals are scored: the mean log density over the interval, or
        the log of its predicted mass (see ``SoftmaxKDERegressor.loss``).
    target_width : float, default=0.0
        Half-width around point targets; ignored for intervals.
    n_quadrature : int or None, default=None
        Quadrature nodes per smooth piece for ``"cross_entropy"``.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.

    Returns
    -------
    score : float
        Higher is better; ``-inf`` if a compact kernel gives zero density.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.metrics import mean_log_likelihood
    >>> X = np.linspace(-1, 1, 80)[:, None]
    >>> model = SoftmaxKDERegressor(centers=8).fit(X, X[:, 0])
    >>> ll = mean_log_likelihood(X[:, 0], model.predict_distribution(X))
    >>> bool(np.isclose(ll, model.score(X, X[:, 0])))
    True
    """
    if not isinstance(y_dist, KDEDistribution):
        raise TypeError(
            "y_dist must be the KDEDistribution returned by predict_distribution; "
            f"got {type(y_dist).__name__}. With make_scorer pass "
            "response_method=['predict_distribution']."
        )
    lower, upper = _true_intervals(y_true, float(target_width), y_dist.period)
    check_consistent_length(lower, y_dist.log_weights)
    scores = y_dist.log_likelihood(lower, upper, loss=loss, n_quadrature=n_quadrature)
    weights = _check_sample_weight(sample_weight, lower[:, None])
    return float(np.average(scores, weights=weights))


def log_likelihood_scorer(estimator, X, y_true, sample_weight=None):
    """Mean log-likelihood of the targets: a scorer for ``GridSearchCV``.

    A scorer in scikit-learn's sense (``scorer(estimator, X, y)``, higher is
    better), on the estimator's ``predict_distribution``, for every supported
    version of scikit-learn.  Intervals are scored by the cross-entropy form.

    Parameters
    ----------
    estimator : fitted estimator
        Anything with ``predict_distribution``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Features.
    y_true : array-like of shape (n_samples,) or (n_samples, 2)
        Points or ``[lower, upper]`` intervals.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples.

    Returns
    -------
    score : float
        :func:`mean_log_likelihood` of the predicted distributions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.metrics import log_likelihood_scorer
    >>> X = np.linspace(-1, 1, 90)[:, None]
    >>> search = GridSearchCV(SoftmaxKDERegressor(centers=8), {"alpha": [1e-4, 1e-2]},
    ...                       scoring=log_likelihood_scorer, cv=3).fit(X, X[:, 0])
    >>> sorted(search.best_params_)
    ['alpha']
    """
    return mean_log_likelihood(
        y_true, estimator.predict_distribution(X), sample_weight=sample_weight
    )
