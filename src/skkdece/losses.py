"""The training losses as functions of logits: for research and for checks.

:func:`kde_cross_entropy` and :func:`interval_likelihood` evaluate, for given
logits, centers and target intervals, the per-row losses that the estimators
minimise, and their gradients with respect to the logits.  They build the
same kernel tables as a fit (:mod:`skkdece._tables`), so a custom model
written on top of them is trained on exactly the estimators' objective.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._tables._checks import check_intervals, check_kernel_period, check_row_centers
from ._tables._factory import training_table
from ._tables._kernel_table import IntervalMassTable, cross_entropy_from_table
from ._tables._kernels import KERNELS, atom_bandwidths

__all__ = ["interval_likelihood", "kde_cross_entropy"]


_LOSS_PARAMETERS = {
    "logits": ["array-like"],
    "centers": ["array-like"],
    "lower": ["array-like", Real],
    "upper": ["array-like", Real],
    "kernel": [StrOptions(set(KERNELS))],
    "bandwidth": [Interval(Real, 0, np.inf, closed="neither"), "array-like"],
    "period": [Interval(Real, 0, np.inf, closed="neither"), None],
}


def _check_loss_inputs(logits, centers, lower, upper, kernel, bandwidth, period):
    """The arrays of the public loss functions, validated beyond their types."""
    check_kernel_period(kernel, period)
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D; got shape {logits.shape}.")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits contain NaN or infinite values.")
    centers = check_row_centers(centers, logits.shape, "logits")
    bandwidth = atom_bandwidths(bandwidth, logits.shape[1])
    lower, upper = check_intervals(lower, upper, logits.shape[0], period)
    return logits, centers, lower, upper, bandwidth


@validate_params(
    {
        **_LOSS_PARAMETERS,
        "n_quadrature": [Interval(Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def kde_cross_entropy(
    logits,
    centers,
    lower,
    upper,
    *,
    kernel="gaussian",
    bandwidth=1.0,
    period=None,
    n_quadrature=None,
):
    """Cross-entropy between uniform target intervals and softmax kernel densities.

    Row ``i`` predicts the density ``p_i(t) = sum_m S_im K_h(t - centers_m)``
    with ``S_i = softmax(logits_i)``.  Its loss is the cross-entropy between
    the uniform distribution on ``[lower_i, upper_i]`` and ``p_i``::

        L_i = -1 / (b - a) * integral_a^b log p_i(t) dt     (a < b)
        L_i = -log p_i(a)                                   (a == b)

    and the gradient is ``S_im - mean_{t ~ U[a, b]} S_im K_h(t - c_m) / p_i(t)``.
    Everything is computed in the log domain: the result stays exact when every
    center is hundreds of bandwidths from the interval.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_centers)
        One logit per kernel center and row.
    centers : array-like of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared by all rows or given per row.
    lower, upper : array-like of shape (n_samples,)
        Target intervals; rows with ``lower == upper`` are point targets.
        With a period, ``lower <= upper <= lower + period`` and the interval may
        cross the seam of the window (``[350, 370]`` on a 360 circle).
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    bandwidth : float or array-like of shape (n_centers,), default=1.0
        Kernel bandwidth (support radius for the compact kernels), or one per
        center: a multi-scale model's atoms.
    period : float or None, default=None
        Period of a circular target (e.g. ``2 * np.pi`` or ``360``).
    n_quadrature : int or None, default=None
        Gauss-Legendre nodes on each smooth piece of an interval.  ``None``
        chooses panels at most one (the smallest) bandwidth wide.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        Per-row cross-entropy ``L_i``.
    grad : ndarray of shape (n_samples, n_centers)
        ``dL_i / dlogits_i``.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import kde_cross_entropy
    >>> logits = np.array([[0.0, 0.0], [2.0, -1.0]])
    >>> loss, grad = kde_cross_entropy(logits, [-1.0, 1.0], [0.5, -0.2], [0.5, 0.3])
    >>> loss.round(4)
    array([1.4238, 1.4736])
    >>> grad.sum(axis=1).round(12)  # softmax gradients sum to zero
    array([0., 0.])
    """
    logits, centers, lower, upper, bandwidth = _check_loss_inputs(
        logits, centers, lower, upper, kernel, bandwidth, period
    )
    table = training_table(
        lower,
        upper,
        centers,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
        n_quadrature=n_quadrature,
    )
    return cross_entropy_from_table(logits, table)


@validate_params(_LOSS_PARAMETERS, prefer_skip_nested_validation=True)
def interval_likelihood(
    logits, centers, lower, upper, *, kernel="gaussian", bandwidth=1.0, period=None
):
    """Negative log interval-censored likelihood and its gradient.

    ``L_i = -log P_i([a_i, b_i])`` with ``P_i`` the predicted mass of the
    interval (``-log p_i(a_i)`` for point targets) and
    ``dL_i / dz_im = S_im - S_im M_im / sum_k S_ik M_ik``.  It differs from
    :func:`kde_cross_entropy` by ``log(b - a)`` plus a Jensen gap
    ``log mean_t p(t) - mean_t log p(t) >= 0``.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_centers)
        One logit per kernel center and row.
    centers : array-like of shape (n_centers,) or (n_samples, n_centers)
        Kernel centers, shared by all rows or given per row.
    lower, upper : array-like of shape (n_samples,)
        Target intervals; rows with ``lower == upper`` are point targets.
        With a period, ``lower <= upper <= lower + period`` (the interval may
        cross the seam of the window).
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    bandwidth : float or array-like of shape (n_centers,), default=1.0
        Kernel bandwidth, or one per center, as for :func:`kde_cross_entropy`.
    period : float or None, default=None
        Period of a circular target.

    Returns
    -------
    loss : ndarray of shape (n_samples,)
        Per-row negative log-likelihood ``L_i``.
    grad : ndarray of shape (n_samples, n_centers)
        ``dL_i / dlogits_i``.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import interval_likelihood
    >>> loss, grad = interval_likelihood([[0.0, 0.0]], [-1.0, 1.0], -1.0, 1.0)
    >>> float(np.exp(-loss[0])).__round__(4)  # mass of [-1, 1]
    0.4772
    """
    logits, centers, lower, upper, bandwidth = _check_loss_inputs(
        logits, centers, lower, upper, kernel, bandwidth, period
    )
    table = IntervalMassTable(
        lower, upper, centers, kernel=kernel, bandwidth=bandwidth, period=period
    )
    return cross_entropy_from_table(logits, table)
