"""SoftmaxKDERegressor: a linear softmax model over kernel centers."""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import threadpool_limits

from ._distribution import KDEDistribution
from ._kernels import COMPACT_KERNELS, KERNEL_STD, KERNELS
from ._loss import (
    IntervalMassTable,
    KernelTable,
    LinearKDELoss,
    _as_intervals,
    _matmul_t,
    blas_threads,
    log_softmax,
)
from ._quadrature import quadrature_nodes


def _target_intervals(y, target_width):
    """Split a validated y into interval ends ``(lower, upper)``.

    ``y`` of shape (n,) holds points, widened by ``target_width`` on each
    side; (n, 1) is treated as (n,) with a DataConversionWarning; (n, 2) holds
    ``[lower, upper]`` per row.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim == 1:
        return y - target_width, y + target_width
    if y.ndim == 2 and y.shape[1] == 2:
        return y[:, 0].copy(), y[:, 1].copy()
    raise ValueError(
        "y must be of shape (n_samples,) with point targets or (n_samples, 2) "
        f"with [lower, upper] intervals; got shape {y.shape}."
    )


def _check_centers(centers):
    """Explicit ``centers`` as a new finite, non-empty 1-D float64 array."""
    try:
        array = np.array(centers, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "centers must be an int or a non-empty 1-D array of numbers; "
            f"got {centers!r}."
        ) from exc
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            "centers must be an int or a non-empty 1-D array of "
            f"locations; got an array of shape {array.shape}."
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"centers contains NaN or infinite values at positions "
            f"{bad[:10].tolist()}{' ...' if bad.size > 10 else ''}."
        )
    return array


def _window_start(lower, upper, period):
    """Start of the window in which circular angles are reported.

    ``[-period/2, period/2)`` when any training target's midpoint is negative,
    ``[0, period)`` otherwise.
    """
    mid = 0.5 * (lower + upper)
    return -0.5 * period if np.any(mid < 0) else 0.0


def _target_spread(lower, upper, sample_weight, period):
    """Standard deviation of the targets, each uniform on its interval.

    For circular targets: the circular standard deviation ``sqrt(-2 ln R)``,
    in target units, capped at that of the uniform distribution on the circle.
    """
    mid = 0.5 * (lower + upper)
    width = upper - lower
    # Offsets from one weighted target: equal targets give exactly zero spread
    # (a weighted mean of equal values is not always that value to the bit),
    # and a small spread far from zero keeps its digits.
    mid = mid - mid[np.argmax(sample_weight > 0)]
    if period is None:
        mean = np.average(mid, weights=sample_weight)
        var = np.average((mid - mean) ** 2 + width**2 / 12.0, weights=sample_weight)
        return float(np.sqrt(var))
    theta = (2.0 * np.pi / period) * mid
    # First trigonometric moment of U[a, b] is e^{i mid} sinc(half width).
    shrink = np.sinc(width / period)
    c = np.average(np.cos(theta) * shrink, weights=sample_weight)
    s = np.average(np.sin(theta) * shrink, weights=sample_weight)
    # 1 - R = mean(1 - shrink cos(theta - mu)) about the mean direction mu,
    # written without cancellation so that tiny spreads are not rounded to 0.
    half = np.sin(0.5 * (theta - np.arctan2(s, c)))
    one_minus_R = np.average(
        _one_minus_sinc(width / period) + 2.0 * shrink * half**2,
        weights=sample_weight,
    )
    cap = period / np.sqrt(12.0)
    if one_minus_R >= 1.0:
        return cap
    sigma = np.sqrt(-2.0 * np.log1p(-one_minus_R)) * period / (2.0 * np.pi)
    return float(min(sigma, cap))


def _one_minus_sinc(x):
    """``1 - sinc(x)`` (``sinc(x) = sin(pi x) / (pi x)``) without cancellation."""
    y2 = (np.pi * x) ** 2
    series = y2 / 6.0 * (1.0 - y2 / 20.0 * (1.0 - y2 / 42.0 * (1.0 - y2 / 72.0)))
    return np.where(y2 < 1e-2, series, 1.0 - np.sinc(x))


def _feature_scale(X):
    """Each feature's largest magnitude to the nearest power of two, shape (d,).

    1 for all-zero columns and for features whose magnitude is within a
    factor 16 of one.
    """
    if sparse.issparse(X):
        scale = np.asarray(abs(X).max(axis=0).todense(), dtype=np.float64).ravel()
    else:
        # max and -min, not abs: no copy of X.
        scale = np.maximum(np.max(X, axis=0), -np.min(X, axis=0)).astype(np.float64)
    scale = np.where(scale > 0, scale, 1.0)
    # Powers of two: scaling and unscaling the coefficients is then exact.
    # Features within a factor 16 of unit magnitude are left alone: that
    # gains nothing in conditioning and would change the optimiser's path
    # away from LogisticRegression's on the same problem.
    exponent = np.round(np.log2(scale))
    return np.exp2(np.where(np.abs(exponent) > 4, exponent, 0.0))


class SoftmaxKDERegressor(RegressorMixin, BaseEstimator):
    """Predict the distribution of an angle (or any 1-D target) from features.

    A linear model gives one logit per kernel center; the softmax of the
    logits weights a kernel density over the target::

        p(t | x) = sum_m softmax(W x + w0)_m K_h(t - c_m)

    The model is fitted by minimising the cross-entropy between the uniform
    distribution on each sample's target interval ``[a, b]`` and ``p``,
    ``-1/(b - a) * integral_a^b log p(t | x) dt`` (``-log p(y | x)`` for a
    point target), averaged with the sample weights, plus
    ``alpha / 2 * ||W||^2``.  L-BFGS-B runs on the exact analytic gradient,
    computed in the log domain, so that the model keeps learning when every
    center is far from the target.

    Parameters
    ----------
    centers : int or array-like of shape (n_centers,), default=32
        An int spreads that many centers evenly over the training targets'
        range widened by one bandwidth on each side, or around the whole
        circle when ``period`` is set.  An array gives their locations.
    bandwidth : float or {"scott", "silverman"}, default="scott"
        Kernel bandwidth (support radius for the compact kernels, as in
        :class:`sklearn.neighbors.KernelDensity`).  The rules give
        ``sigma * n**(-1/5)`` ("scott") or ``sigma * (3n/4)**(-1/5)``
        ("silverman"), with ``sigma`` the weighted spread of the targets
        (circular spread when periodic) and ``n`` the sum of the sample
        weights, converted so the kernel has standard deviation equal to that
        value; for compact kernels the result is at least the spacing of the
        centers (with a single center: the targets' range, or one period), so
        that every target is covered.  When the spread is zero the
        bandwidth falls back to 1.0 (``period / n_centers`` when periodic)
        with a warning.
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    loss : {"cross_entropy", "interval_likelihood"}, default="cross_entropy"
        ``"cross_entropy"``: the mean of ``-log p(t | x)`` over the target
        interval (the cross-entropy between the uniform distribution on the
        interval and the prediction).  ``"interval_likelihood"``: minus the
        log of the predicted mass of the interval, the interval-censored
        likelihood.  Both are ``-log p(y | x)`` for point targets.  The first
        asks the density to be high across the whole interval, the second only
        that enough mass falls somewhere inside it; the cross-entropy equals
        the interval likelihood plus ``log(b - a)`` plus a non-negative Jensen
        gap, so the two agree for narrow intervals.  ``score`` uses the same
        loss.
    period : float or None, default=None
        Period of a circular target (``2 * np.pi``, ``360``, ...).  Kernels are
        wrapped onto the circle.  Predicted angles come back in
        ``[-period/2, period/2)`` when any training target's midpoint is
        negative and in ``[0, period)`` otherwise (see ``window_``).
    target_width : float, default=0.0
        Half-width of the uniform target around each point in a 1-D ``y``.
        Ignored for ``y`` given as ``(n_samples, 2)`` intervals.
    alpha : float, default=1e-4
        L2 penalty on ``coef_``; the intercept is not penalised.
    fit_intercept : bool, default=True
        Whether to fit one intercept per center.
    n_quadrature : int or None, default=None
        Gauss-Legendre nodes on each smooth piece of an interval target.
        ``None`` uses panels at most one bandwidth wide with 3 to 10 nodes.
    max_iter : int, default=1000
        Maximum number of L-BFGS-B iterations.
    tol : float, default=1e-6
        L-BFGS-B stops when the largest gradient component falls below this.
        The optimiser works on coefficients multiplied by each feature's
        largest magnitude (rounded to a power of two) when that is below 1/16
        or above 16, so badly scaled features converge like standard ones.
    warm_start : bool, default=False
        Start from the previous solution when refitting with the same number
        of centers and features (for example in a sweep over ``bandwidth``).
    verbose : int, default=0
        Print a progress table of the optimisation when positive.
    callback : callable or None, default=None
        Called after every iteration as ``callback(coef, intercept, n_iter)``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_centers, n_features)
        Weights of the features in each center's logit.
    intercept_ : ndarray of shape (n_centers,)
        Intercept of each center's logit (zeros if ``fit_intercept=False``).
    centers_ : ndarray of shape (n_centers,)
        Kernel centers.
    bandwidth_ : float
        Kernel bandwidth used.
    window_ : tuple of float or None
        ``(start, start + period)``: the window of predicted angles when
        periodic; None otherwise.
    n_iter_ : int
        Number of L-BFGS-B iterations run.
    objective_ : float
        Final value of the penalised objective.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the degenerate case (tophat
        kernel, one center per class).
    sklearn.neighbors.KernelDensity : unconditional kernel density.

    Notes
    -----
    ``score`` is the mean log-likelihood (higher is better), the criterion to
    use in :class:`~sklearn.model_selection.GridSearchCV` over ``bandwidth``;
    it is not R^2.  ``predict`` returns the mode of each predicted density.

    ``fit`` evaluates the loss on as many threads as the BLAS library may use,
    so ``threadpoolctl.threadpool_limits(1)`` (or ``OMP_NUM_THREADS=1``) makes
    it single-threaded, and joblib's workers (``GridSearchCV(n_jobs=...)``)
    share the cores without oversubscribing them.  The result does not depend
    on the number of threads.  Memory for the kernel values follows
    ``sklearn.set_config(working_memory=...)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(300, 1))
    >>> y = 2 * X[:, 0] + rng.normal(scale=0.2, size=300)
    >>> model = SoftmaxKDERegressor(centers=16).fit(X, y)
    >>> model.predict([[0.5]]).round(1)
    array([1.])
    >>> model.predict_density([[0.5]], [0.0, 1.0]).shape
    (1, 2)
    """

    _parameter_constraints: dict = {
        "centers": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"scott", "silverman"}),
        ],
        "kernel": [StrOptions(set(KERNELS))],
        "loss": [StrOptions({"cross_entropy", "interval_likelihood"})],
        "period": [Interval(Real, 0, None, closed="neither"), None],
        "target_width": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "n_quadrature": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "callback": [callable, None],
    }

    def __init__(
        self,
        *,
        centers=32,
        bandwidth="scott",
        kernel="gaussian",
        loss="cross_entropy",
        period=None,
        target_width=0.0,
        alpha=1e-4,
        fit_intercept=True,
        n_quadrature=None,
        max_iter=1000,
        tol=1e-6,
        warm_start=False,
        verbose=0,
        callback=None,
    ):
        self.centers = centers
        self.bandwidth = bandwidth
        self.kernel = kernel
        self.loss = loss
        self.period = period
        self.target_width = target_width
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.n_quadrature = n_quadrature
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.callback = callback

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # score is a mean log-likelihood, not R^2, so the common check that
        # score > 0.5 does not apply; tests/test_common.py checks that the
        # point predictions reach R^2 > 0.5 on the same data instead.
        tags.regressor_tags.poor_score = True
        return tags

    # ------------------------------------------------------------------ fitting
    def _check_targets(self, y, n_samples):
        period = self._period()
        point_targets = np.ndim(y) == 1 or (np.ndim(y) == 2 and np.shape(y)[1] == 1)
        if point_targets and period is not None and 2 * self.target_width > period:
            raise ValueError(
                f"target_width={self.target_width:g} widens every point target to "
                f"an interval of {2 * self.target_width:g}, more than one period "
                f"(period={period:g}); use target_width <= period / 2."
            )
        lower, upper = _target_intervals(y, float(self.target_width))
        if lower.shape[0] != n_samples:
            raise ValueError(f"X has {n_samples} samples but y has {lower.shape[0]}.")
        return _as_intervals(lower, upper, n_samples, self._period())

    def _period(self):
        return None if self.period is None else float(self.period)

    def _resolve_bandwidth(self, lower, upper, sample_weight, n_centers):
        """The bandwidth before any coverage adjustment for compact kernels."""
        period = self._period()
        if not isinstance(self.bandwidth, str):
            return float(self.bandwidth)
        sigma = _target_spread(lower, upper, sample_weight, period)
        n = float(np.sum(sample_weight))
        factor = n ** (-0.2) if self.bandwidth == "scott" else (0.75 * n) ** (-0.2)
        h = sigma * factor / KERNEL_STD[self.kernel]
        if not (np.isfinite(h) and h > 0):
            h = 1.0 if period is None else period / n_centers
            warnings.warn(
                f"The training targets have zero spread, so bandwidth="
                f"{self.bandwidth!r} would be zero; using bandwidth={h:g} "
                "instead. Pass a float bandwidth to choose it.",
                UserWarning,
                stacklevel=3,
            )
        return h

    def _resolve_centers(self, lower, upper, sample_weight, bandwidth):
        period = self._period()
        if not isinstance(self.centers, Integral):
            return _check_centers(self.centers)
        M = int(self.centers)
        used = sample_weight > 0
        if period is not None:
            start = _window_start(lower[used], upper[used], period)
            return start + period * np.arange(M) / M
        lo = float(np.min(lower[used])) - bandwidth
        hi = float(np.max(upper[used])) + bandwidth
        if M == 1:
            return np.array([0.5 * (lo + hi)])
        return np.linspace(lo, hi, M)

    def _training_table(self, lower, upper, centers, bandwidth, period):
        """Kernel values at the training targets for the chosen loss."""
        kw = dict(kernel=self.kernel, bandwidth=bandwidth, period=period)
        if self.loss == "interval_likelihood":
            return IntervalMassTable(lower, upper, centers, **kw)
        quad = quadrature_nodes(
            lower, upper, centers, n_quadrature=self.n_quadrature, **kw
        )
        return KernelTable(quad, centers, **kw)

    def _initial_params(self, loss, n_features):
        params = np.zeros(loss.n_params(n_features))
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == (loss.table.n_centers, n_features)
        ):
            coef, intercept = loss.unpack(params, n_features)
            coef[...] = self.coef_
            if self.fit_intercept:
                intercept[...] = self.intercept_
        return params

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to features and target angles or intervals.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,) or (n_samples, 2)
            Point targets (widened by ``target_width``) or ``[lower, upper]``
            intervals.  With a period, ``lower <= upper <= lower + period``;
            an interval may cross the window's seam.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, used as repetition counts (also in the
            bandwidth rules).

        Returns
        -------
        self : SoftmaxKDERegressor
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2))
        >>> hit = 0.3 * X[:, :1] + np.array([[-0.1, 0.1]])  # [lower, upper] per row
        >>> model = SoftmaxKDERegressor(centers=12).fit(X, hit)
        >>> model.coef_.shape, model.centers_.shape, model.n_iter_ > 0
        ((12, 2), (12,), True)
        """
        if self.kernel == "vonmises" and self.period is None:
            raise ValueError(
                "kernel='vonmises' is only defined on a circle; set period."
            )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
        )
        n_samples, n_features = X.shape
        lower, upper = self._check_targets(y, n_samples)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        with np.errstate(over="ignore"):
            total = float(np.sum(sample_weight))
        if not total > 0:
            raise ValueError("sample_weight sums to zero; at least one must be > 0.")
        if not np.isfinite(total):
            raise ValueError(
                f"sample_weight sums to {total}; rescale the weights so that "
                "their sum is a finite float."
            )
        # A zero weight removes the sample: it neither places the centers,
        # window and bandwidth nor needs a density that covers its target.
        kept = np.flatnonzero(sample_weight > 0)
        if kept.size < n_samples:
            X, lower, upper = X[kept], lower[kept], upper[kept]
            sample_weight = sample_weight[kept]
        period = self._period()

        n_centers = (
            int(self.centers)
            if isinstance(self.centers, Integral)
            else _check_centers(self.centers).size
        )
        h = self._resolve_bandwidth(lower, upper, sample_weight, n_centers)
        centers = self._resolve_centers(lower, upper, sample_weight, h)
        if isinstance(self.bandwidth, str) and self.kernel in COMPACT_KERNELS:
            if period is not None:
                spacing = period / centers.size
            elif centers.size > 1:
                spacing = float(np.max(np.diff(np.sort(centers))))
            else:
                # One center, in the middle of the targets: reach all of them.
                spacing = float(np.max(upper) - np.min(lower))
            h = max(h, spacing)
        self.centers_ = centers
        self.bandwidth_ = float(h)
        self.window_ = (
            None
            if period is None
            else (
                (start := _window_start(lower, upper, period)),
                start + period,
            )
        )

        table = self._training_table(lower, upper, centers, h, period)
        bad = kept[table.uncovered_rows()]
        if bad.size:
            raise ValueError(
                f"With kernel={self.kernel!r}, bandwidth={h:g} and these centers "
                f"the density is zero inside the targets of rows {bad[:10].tolist()}"
                f"{' ...' if bad.size > 10 else ''}, so the loss is infinite. "
                "Widen the bandwidth or move the centers to cover every target."
            )
        loss = LinearKDELoss(table, fit_intercept=self.fit_intercept)
        sw = sample_weight / total
        params = self._optimize(loss, X, sw, self._initial_params(loss, n_features))
        coef, intercept = loss.unpack(params, n_features)
        self.coef_ = coef.copy()
        self.intercept_ = (
            np.array(intercept, dtype=np.float64)
            if self.fit_intercept
            else np.zeros(centers.size)
        )
        return self

    def _optimize(self, loss, X, sample_weight, params):
        alpha = float(self.alpha)
        n_features = X.shape[1]
        state = {"n_iter": 0, "t0": time.perf_counter()}
        # L-BFGS-B runs on coef * scale (scale = each feature's largest
        # magnitude): a diagonal preconditioner, so features in units of 1e6
        # converge like features in units of 1.  The objective, the penalty
        # and every reported value stay in the user's units.
        scale = _feature_scale(X)
        n_coef = loss.table.n_centers * n_features

        def to_user(p):
            p = p.copy()
            p[:n_coef] = (p[:n_coef].reshape(-1, n_features) / scale).ravel()
            return p

        def fun(p_scaled):
            value, grad = loss.loss_gradient(to_user(p_scaled), X, sample_weight, alpha)
            grad[:n_coef] = (grad[:n_coef].reshape(-1, n_features) / scale).ravel()
            state["grad"] = grad
            return value, grad

        params = params.copy()
        params[:n_coef] = (params[:n_coef].reshape(-1, n_features) * scale).ravel()

        if self.verbose:
            print(f"[{type(self).__name__}]")
            header = ("Iteration", "Objective", "Max |grad|", "Time (s)")
            print("{:>10} {:>18} {:>12} {:>9}".format(*header))
            print("-" * 52)

        def on_iteration(intermediate_result):
            state["n_iter"] += 1
            if self.verbose:
                # The last evaluation is the accepted point of this iteration.
                print(
                    f"{state['n_iter']:>10d} {intermediate_result.fun:>18.12f} "
                    f"{np.max(np.abs(state['grad'])):>12.3e} "
                    f"{time.perf_counter() - state['t0']:>9.2f}"
                )
            if self.callback is not None:
                coef, intercept = loss.unpack(
                    to_user(intermediate_result.x), n_features
                )
                self.callback(coef.copy(), np.array(intercept), state["n_iter"])

        # Multithreaded BLAS loses on small products: its threads' wake-ups
        # and spinning between calls cost more than the product (fits of
        # 1000 rows ran 7-15x slower on a loaded 2-core machine).
        small = X.shape[0] * (n_features + 1) * loss.table.n_centers < 2**24
        # The loss shares its blocks out to as many threads as the BLAS may
        # use (one where the user or joblib's workers set that limit).
        loss.n_threads = blas_threads()
        with threadpool_limits(limits=1 if small else None, user_api="blas"):
            try:
                result = minimize(
                    fun,
                    params,
                    method="L-BFGS-B",
                    jac=True,
                    callback=on_iteration,
                    options={
                        "maxiter": self.max_iter,
                        "maxls": 50,
                        "gtol": self.tol,
                        "ftol": 64 * np.finfo(float).eps,
                    },
                )
            finally:
                loss.close()
        self.n_iter_ = int(min(result.nit, self.max_iter))
        self.objective_ = float(result.fun)
        if result.status != 0:
            warnings.warn(
                f"L-BFGS-B stopped before convergence after {self.n_iter_} "
                f"iterations: {result.message}. Increase max_iter, scale the "
                "features, or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if self.verbose:
            print(f"{result.message} ({self.n_iter_} iterations)")
        return to_user(result.x)

    # --------------------------------------------------------------- predicting
    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
            reset=False,
        )
        # Row chunks for float32 X: no float64 copy of the whole of X.
        return _matmul_t(X, self.coef_) + self.intercept_

    def predict_distribution(self, X):
        """The predicted distribution of the target for every row of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        distribution : KDEDistribution
            ``n_samples`` kernel mixtures sharing ``centers_``, the kernel and
            ``bandwidth_``; see :class:`skkdece.KDEDistribution`.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> model = SoftmaxKDERegressor(centers=8).fit(X, X[:, 0])
        >>> dist = model.predict_distribution(X[:3])
        >>> len(dist), dist.weights.shape
        (3, (3, 8))
        """
        return KDEDistribution(
            log_softmax(self._logits(X)),
            self.centers_,
            kernel=self.kernel,
            bandwidth=self.bandwidth_,
            period=self._period(),
            window_start=0.0 if self.window_ is None else self.window_[0],
        )

    def predict(self, X):
        """The mode (most likely angle) of each predicted density.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Mode of each row's density, located to better than 1e-3 bandwidths;
            in ``window_`` when periodic.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.repeat([[0.0], [1.0]], 50, axis=0)
        >>> y = np.repeat([-1.0, 1.0], 50)
        >>> SoftmaxKDERegressor(centers=9).fit(X, y).predict([[0.0], [1.0]]).round(1)
        array([-1.,  1.])
        """
        return self.predict_distribution(X).mode()

    def predict_density(self, X, grid):
        """Predicted density of every row at every angle of a grid.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        grid : array-like of shape (n_grid,)
            Angles at which to evaluate the densities.

        Returns
        -------
        density : ndarray of shape (n_samples, n_grid)
            Densities per unit of the target.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 40)[:, None]
        >>> model = SoftmaxKDERegressor(centers=8).fit(X, X[:, 0])
        >>> grid = np.linspace(-4, 4, 4001)
        >>> density = model.predict_density(X[:2], grid)
        >>> np.round(density.sum(axis=1) * (grid[1] - grid[0]), 6)
        array([1., 1.])
        """
        return self.predict_distribution(X).pdf(grid)

    def score_samples(self, X, y=None):
        """Per-sample log-likelihood: minus the cross-entropy of each target.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,) or (n_samples, 2), default=None
            Targets, as in :meth:`fit`.  When omitted, the log density at each
            row's mode is returned: the highest log-likelihood any point
            target could reach, a measure of how sharp the prediction is.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            ``log p(y | x)`` for point targets; for intervals the mean of
            ``log p(t | x)`` over ``t ~ U[a, b]`` (``loss="cross_entropy"``)
            or the log of the predicted mass of ``[a, b]``
            (``loss="interval_likelihood"``).  ``-inf`` where a compact
            kernel gives zero density.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 40)[:, None]
        >>> model = SoftmaxKDERegressor(centers=8).fit(X, X[:, 0])
        >>> ll = model.score_samples(X[:3], X[:3, 0])
        >>> bool(np.all(ll <= model.score_samples(X[:3])))
        True
        """
        dist = self.predict_distribution(X)
        if y is None:
            return dist.logpdf_rows(dist.mode())
        lower, upper = self._check_targets(y, len(dist))
        return dist.log_likelihood(
            lower, upper, loss=self.loss, n_quadrature=self.n_quadrature
        )

    def score(self, X, y, sample_weight=None):
        """Weighted mean log-likelihood of the targets (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,) or (n_samples, 2)
            Targets, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
            Weighted mean of :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 40)[:, None]
        >>> model = SoftmaxKDERegressor(centers=8).fit(X, X[:, 0])
        >>> bool(model.score(X, X[:, 0]) > 0)
        True
        """
        scores = self.score_samples(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, scores[:, None], ensure_non_negative=True
            )
        return float(np.average(scores, weights=sample_weight))

    # ------------------------------------------------- the predicted distribution
    def predict_weights(self, X):
        """Softmax mixture weights of every row over ``centers_``.

        With ``centers_``, the kernel and ``bandwidth_`` these weights are the
        whole predicted distribution, enough to rebuild it elsewhere.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        weights : ndarray of shape (n_samples, n_centers)
            Non-negative, each row sums to one.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 60)[:, None]
        >>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])
        >>> model.predict_weights(X[:2]).sum(axis=1).round(12)
        array([1., 1.])
        """
        return self.predict_distribution(X).weights

    def predict_cdf(self, X, grid):
        """Predicted cumulative distribution function at every grid angle.

        Closed form from each kernel's CDF.  For circular targets the CDF is
        measured from the start of ``window_``: 0 there, 1 one period later;
        grid angles outside the window are wrapped into it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        grid : array-like of shape (n_grid,)
            Angles.

        Returns
        -------
        cdf : ndarray of shape (n_samples, n_grid)

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 60)[:, None]
        >>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])
        >>> model.predict_cdf(X[:1], [-10.0, 10.0]).round(6)
        array([[0., 1.]])
        """
        return self.predict_distribution(X).cdf(grid)

    def predict_quantiles(self, X, quantiles):
        """Quantiles of every predicted distribution (monotone in ``quantiles``).

        Found by bisection on the exact CDF; for circular targets, quantiles of
        the CDF measured from the window's start.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        quantiles : array-like of shape (n_quantiles,)
            Levels in ``[0, 1]``.

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_quantiles)

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 60)[:, None]
        >>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])
        >>> q = model.predict_quantiles(X[:1], [0.1, 0.5, 0.9])
        >>> bool(np.all(np.diff(q) > 0))
        True
        """
        return self.predict_distribution(X).quantiles(quantiles)

    def predict_interval(self, X, coverage=0.9):
        """Prediction intervals holding ``coverage`` of the predicted mass.

        Equal-tailed for targets on the line; the shortest arc holding
        ``coverage`` for circular targets, returned as ``[start, start +
        length]`` with ``start`` in ``window_`` (the end may pass the window's
        end, like a training interval that crosses the seam).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        coverage : float, default=0.9
            Mass inside each interval, in ``(0, 1)``.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2)
            ``[lower, upper]`` per row.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 60)[:, None]
        >>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])
        >>> lo, hi = model.predict_interval(X[:1], coverage=0.9)[0]
        >>> float(model.predict_hit_probability(X[:1], lo, hi)[0]).__round__(6)
        0.9
        """
        return self.predict_distribution(X).interval(coverage)

    def predict_hit_probability(self, X, lower, upper):
        """Predicted probability that the target falls in ``[lower, upper]``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        lower, upper : float or array-like of shape (n_samples,)
            Interval ends, ``lower <= upper``; for circular targets the arc
            may cross the seam (``[350, 370]`` on a 360 circle) but must not be
            longer than one period.

        Returns
        -------
        probability : ndarray of shape (n_samples,)
            Exact closed form from the kernel CDFs.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 60)[:, None]
        >>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])
        >>> model.predict_hit_probability(X[:1], -100.0, 100.0).round(12)
        array([1.])
        """
        return self.predict_distribution(X).hit_probability(lower, upper)

    def predict_aim(self, X, half_width=0.0):
        """The angle most likely to be within ``half_width`` of the target.

        Maximises the predicted mass of ``[t - half_width, t + half_width]``:
        the best aim when the target has a known size (for a Robocode bot,
        half the angular width of the enemy).  ``half_width=0`` gives the
        mode, like :meth:`predict`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        half_width : float, default=0.0
            Half-width of the window, in target units.

        Returns
        -------
        aim : ndarray of shape (n_samples,)
            In ``window_`` when periodic.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.zeros((100, 1))
        >>> y = np.r_[np.full(40, -1.0), np.linspace(0.5, 2.5, 60)]
        >>> model = SoftmaxKDERegressor(centers=np.linspace(-2, 3, 21),
        ...                             bandwidth=0.1).fit(X, y)
        >>> float(model.predict(X[:1])[0]).__round__(1)  # the sharp peak
        -1.0
        >>> bool(model.predict_aim(X[:1], half_width=1.0)[0] > 0.5)  # wide mass
        True
        """
        return self.predict_distribution(X).best_aim(half_width)

    def predict_mean(self, X):
        """Mean of each predicted distribution (circular mean when periodic).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        mean : ndarray of shape (n_samples,)
            In ``window_`` when periodic.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.repeat([[0.0], [1.0]], 50, axis=0)
        >>> y = np.repeat([-1.0, 1.0], 50)
        >>> model = SoftmaxKDERegressor(centers=9).fit(X, y)
        >>> model.predict_mean([[0.0], [1.0]]).round(1)
        array([-1.,  1.])
        """
        return self.predict_distribution(X).mean()

    def predict_std(self, X):
        """Spread of each predicted distribution.

        The standard deviation for targets on the line; for circular targets
        the circular standard deviation ``sqrt(-2 ln R)`` (``R`` the mean
        resultant length) in target units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.

        Returns
        -------
        std : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.repeat([[0.0], [1.0]], 100, axis=0)
        >>> rng = np.random.default_rng(0)
        >>> y = np.r_[rng.normal(0, 0.2, 100), rng.normal(0, 1.0, 100)]
        >>> std = SoftmaxKDERegressor(centers=16).fit(X, y).predict_std([[0], [1]])
        >>> bool(std[0] < std[1])
        True
        """
        return self.predict_distribution(X).std()

    def sample(self, X, n_draws=1, random_state=None):
        """Draw angles from every predicted distribution.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        n_draws : int, default=1
            Draws per row.
        random_state : int, RandomState instance or None, default=None
            Seed for reproducible draws.

        Returns
        -------
        draws : ndarray of shape (n_samples, n_draws)
            Wrapped into ``window_`` when periodic.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 60)[:, None]
        >>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])
        >>> model.sample(X[:2], n_draws=5, random_state=0).shape
        (2, 5)
        """
        return self.predict_distribution(X).sample(n_draws, random_state)
