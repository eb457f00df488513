"""The fit steps the estimators share: targets, weights, kernels, objective.

Every estimator's ``fit`` goes targets -> weights -> geometry -> kernel table
-> objective -> solver.  The steps that more than one estimator takes live
here, so that :class:`~skkdece.SoftmaxKDERegressor`, its cross-validated
sibling, the neighbours model and the Dask estimator read their inputs, and
report bad ones, the same way.
"""

import numpy as np
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._linear import LinearLogits
from ._location_scale import LocationScaleLogits
from ._objective import BlockedObjective
from ._tables._checks import check_kernel_period
from ._tables._factory import training_table
from ._targets import resolve_geometry, split_targets


def as_period(period):
    """``period`` as a float, or None."""
    return None if period is None else float(period)


def check_fit_weights(sample_weight, X):
    """Validated, non-negative weights with a positive, finite sum."""
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    with np.errstate(over="ignore"):
        check_weight_total(float(np.sum(sample_weight)))
    return sample_weight


def check_weight_total(total):
    """Raise unless the sum of the sample weights is positive and finite."""
    if not total > 0:
        # The words of scikit-learn's own check (>= 1.8), for every version.
        raise ValueError(
            "Sample weights must contain at least one non-zero number "
            "(sample_weight sums to zero)."
        )
    if not np.isfinite(total):
        raise ValueError(
            f"sample_weight sums to {total}; rescale the weights so that "
            "their sum is a finite float."
        )


def linear_model_tags(tags):
    """The estimator tags of the linear models: sparse X, a likelihood score."""
    tags.input_tags.sparse = True
    # score is a mean log-likelihood, not R^2, so the common check that
    # score > 0.5 does not apply; tests/test_common.py checks that the
    # point predictions reach R^2 > 0.5 on the same data instead.
    tags.regressor_tags.poor_score = True
    return tags


def validate_fit_data(estimator, X, y):
    """``validate_data`` of a linear model's fit (resets ``n_features_in_``)."""
    check_kernel_period(estimator.kernel, estimator.period)
    return validate_data(
        estimator,
        X,
        y,
        accept_sparse=("csr", "csc"),
        dtype=(np.float64, np.float32),
        multi_output=True,
        y_numeric=True,
    )


def read_fit_targets(X, y, sample_weight, *, target_width, period):
    """The ``(lower, upper)`` targets and validated weights of a fit's rows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Validated features (only their number of rows is read).
    y : ndarray of shape (n_samples,) or (n_samples, 2)
        Points or ``[lower, upper]`` intervals.
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative weights with a positive, finite sum.
    target_width : float
        Half-width of the interval around each point target.
    period : float or None
        Period of a circular target.

    Returns
    -------
    lower, upper, sample_weight : ndarray of shape (n_samples,)
    """
    lower, upper = split_targets(
        y, target_width=target_width, period=period, n_samples=X.shape[0]
    )
    return lower, upper, check_fit_weights(sample_weight, X)


def kernel_geometry(
    summary, lower, upper, sample_weight, *, centers, bandwidth, kernel, placement
):
    """:func:`resolve_geometry` of the training targets, rows of zero weight aside.

    ``placement="quantile"`` needs the targets themselves: their midpoints and
    weights (``sample_weight=None``: all one) are handed over only then.
    """
    targets = None
    if placement == "quantile":
        weights = np.ones(lower.shape) if sample_weight is None else sample_weight
        used = weights > 0
        targets = (0.5 * (lower[used] + upper[used]), weights[used])
    return resolve_geometry(
        summary,
        centers=centers,
        bandwidth=bandwidth,
        kernel=kernel,
        placement=placement,
        targets=targets,
    )


def place_kernels(
    summary,
    lower,
    upper,
    *,
    centers,
    bandwidth,
    kernel,
    loss,
    n_quadrature,
    placement="even",
    sample_weight=None,
):
    """The kernels' geometry and the training table of the targets under them.

    Parameters
    ----------
    summary : TargetSummary
        Summary of the training targets (with positive weights).
    lower, upper : ndarray of shape (n_samples,)
        The training targets.
    centers, bandwidth, kernel, loss, n_quadrature, placement :
        As the estimator's parameters.
    sample_weight : ndarray of shape (n_samples,) or None
        The targets' weights, for ``placement="quantile"``.

    Returns
    -------
    geometry : Geometry
        Centers, bandwidth and window.
    table : KernelTable or IntervalMassTable
        The kernel table of the targets (coverage not yet checked).
    """
    geometry = kernel_geometry(
        summary,
        lower,
        upper,
        sample_weight,
        centers=centers,
        bandwidth=bandwidth,
        kernel=kernel,
        placement=placement,
    )
    table = training_table(
        lower,
        upper,
        geometry.centers,
        kernel=kernel,
        bandwidth=geometry.bandwidth,
        period=summary.period,
        loss=loss,
        n_quadrature=n_quadrature,
    )
    return geometry, table


def linear_objective(
    table,
    X,
    sample_weight,
    *,
    fit_intercept,
    alpha,
    location=False,
    scale=False,
    target_scale=1.0,
    location_alpha=None,
):
    """The linear logits model and its blocked objective on a kernel table.

    The weights are normalised to sum to one, so the loss is a weighted mean.
    ``model.alpha`` may be changed between runs of the solver (a
    regularisation path); everything else the objective holds stays valid.
    With a location or scale head (``table`` then a
    :class:`~skkdece._location_scale.LocationScaleTable`), the model is a
    :class:`~skkdece._location_scale.LocationScaleLogits` whose location is
    penalised in units of ``target_scale`` and by ``location_alpha`` (None:
    ``alpha``).

    Returns
    -------
    model : LinearLogits
    objective : BlockedObjective
    """
    if location or scale:
        model = LocationScaleLogits(
            table.n_atoms,
            X.shape[1],
            fit_intercept=fit_intercept,
            alpha=float(alpha),
            location=location,
            scale=scale,
            target_scale=target_scale,
            location_alpha=location_alpha,
        )
    else:
        model = LinearLogits(
            table.n_centers,
            X.shape[1],
            fit_intercept=fit_intercept,
            alpha=float(alpha),
        )
    objective = BlockedObjective(
        table, model, X, sample_weight / float(np.sum(sample_weight))
    )
    return model, objective
