"""SoftmaxKDERegressorCV: alpha and bandwidth chosen along a warm-started path.

Each fold of the cross-validation runs :func:`scoring_path`: the training
rows, the targets' summary and the solver's feature scale are worked out
once; for every bandwidth the kernel table and the objective are built once;
then the fits run along the penalties, each one starting from the previous
solution, and every fit is scored on the fold's held-out rows.  The folds run
in parallel under joblib; the best mean score picks ``alpha_`` and
``bandwidth_``, and one plain fit on all the data gives the model that
predicts.

The path runs from the *smallest* penalty up, unlike scikit-learn's
logistic path.  The objective is not convex in the coefficients (the loss is
``log sum softmax(z)_m K_m``, a difference of two log-sum-exps), and a path
from strong to weak regularisation follows the branch on which the strongly
penalised fit had starved some centers of weight; at weaker penalties it
stays in local minima that a fit from zero avoids (training objectives 0.05
to 0.37 higher on the test problems).  From weak to strong, the warm starts
stayed in the basins that fits from zero reach wherever the problem has one
minimum per penalty (the tests' five centers: scores equal to 1e-6).  With
more centers there are many shallow minima, and a path and separate fits stop
in nearby ones: on the benchmark's waves (24 centers, ``tol=1e-5``, one fold)
the path's training objectives lay from 0.003 below to 0.012 above the
separate fits' and its held-out scores up to 0.08 from theirs, and the chosen
point was the same.

The path costs what its L-BFGS-B iterations cost (tables, scoring and the
refit are about 1% of it).  Its first fit of each bandwidth starts from zero
at the weakest penalty, the slowest fit of the grid.  The warm-started fits
take about half the iterations of fits from zero: within a few iterations
they are near the solution, and the rest goes to meeting the gradient
tolerance in ill-conditioned directions.  Starting a bandwidth's path from
the neighbouring bandwidth's solution saved 30% of the iterations on the
heteroscedastic benchmark but cost 6-10% more on the waves, ending in other
local minima (held-out scores up to 0.4 from the path's), so bandwidths do
not pass solutions on.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.sparsefuncs import mean_variance_axis

from ._fit import (
    kernel_geometry,
    linear_objective,
    place_kernels,
    read_fit_targets,
    validate_fit_data,
)
from ._linear import LinearLogits
from ._linear_regressor import SoftmaxKDERegressor
from ._solver import minimize_lbfgs
from ._tables._kernels import COMPACT_KERNELS
from ._targets import TargetSummary, parse_bandwidth, resolve_geometry

#: Parameters a path shares with every fit of SoftmaxKDERegressor.
_SHARED = (
    "centers",
    "placement",
    "kernel",
    "loss",
    "period",
    "target_width",
    "fit_intercept",
    "n_quadrature",
    "max_iter",
    "tol",
)


def _grid(values, name, *, low_open):
    """A validated 1-D grid of non-negative (or positive) floats."""
    try:
        grid = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be an int or a 1-D array of numbers; got {values!r}."
        ) from exc
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(
            f"{name} must be an int or a non-empty 1-D array; got an array of "
            f"shape {grid.shape}."
        )
    bad = ~np.isfinite(grid) | ((grid <= 0) if low_open else (grid < 0))
    if np.any(bad):
        bound = "> 0" if low_open else ">= 0"
        raise ValueError(
            f"{name} must be finite and {bound}; got {grid[bad].tolist()}."
        )
    return grid


def bandwidth_sets(values):
    """The ``bandwidths`` grid given as values: one bandwidth or a set each.

    Returns the sorted 1-D array of floats when every entry is one bandwidth
    (the single-scale grid), else a list, in the given order, of floats and
    1-D arrays (the sets, each validated as a multi-scale ``bandwidth``).
    """
    ragged = isinstance(values, list | tuple) and any(
        isinstance(entry, list | tuple | np.ndarray) for entry in values
    )
    if not ragged:
        return np.sort(_grid(values, "bandwidths", low_open=True))
    if len(values) == 0:
        raise ValueError("bandwidths must be an int or a non-empty list.")
    grid = []
    for entry in values:
        if not isinstance(entry, list | tuple | np.ndarray):
            entry = float(_grid([entry], "bandwidths", low_open=True)[0])
        elif isinstance(entry, tuple | list) and any(isinstance(v, str) for v in entry):
            raise ValueError(
                "bandwidths holds absolute values, so that bandwidth_ means one "
                "thing in every fold; give a rule's multiples as values (the "
                f"rule's bandwidth is bandwidth_grid(summary, 1, ...)); got {entry!r}."
            )
        else:
            _, entry = parse_bandwidth(list(entry), name="a bandwidths set")
            entry = float(entry[0]) if entry.size == 1 else entry
        grid.append(entry)
    if all(np.ndim(entry) == 0 for entry in grid):
        return np.sort(np.array(grid))
    return grid


def alpha_grid(X, sample_weight, n_alphas):
    """``n_alphas`` penalties from ``1e-3 s`` up to ``1e2 s``, log-spaced.

    ``s = trace(Cov(X)) / n`` with the weighted covariance of the features
    and ``n`` the sum of the weights (``1 / n`` for constant features).  A
    Gaussian prior of variance ``1 / (n alpha)`` on each coefficient gives
    logits of variance ``trace(Cov(X)) / (n alpha)``, so ``alpha = s`` is the
    penalty under which the prior's logits spread by about one unit.  The
    penalties chosen in the benchmarks lay between ``0.01 s`` and ``1 s``.
    """
    weight = float(np.sum(sample_weight))
    if hasattr(X, "toarray"):
        _, variance = mean_variance_axis(X.tocsr(), axis=0, weights=sample_weight)
    else:
        mean = np.average(X, axis=0, weights=sample_weight)
        variance = np.average((X - mean) ** 2, axis=0, weights=sample_weight)
    total = float(np.sum(variance))
    scale = (total if total > 0 else 1.0) / weight
    return scale * np.logspace(-3.0, 2.0, n_alphas)


def bandwidth_grid(summary, n_bandwidths, *, centers, kernel):
    """``n_bandwidths`` bandwidths around the rule-of-thumb one, log-spaced.

    From 1/4 to 2 times Scott's bandwidth of all the training targets (its
    value for a single one); for the compact kernels from 1 to 4 times the
    rule's bandwidth widened to the spacing of the centers, so that every
    bandwidth of the grid covers every target.
    """
    rule = resolve_geometry(
        summary, centers=centers, bandwidth="scott", kernel=kernel
    ).bandwidth
    if n_bandwidths == 1:
        return np.array([rule])
    low, high = (1.0, 4.0) if kernel in COMPACT_KERNELS else (0.25, 2.0)
    return rule * np.geomspace(low, high, n_bandwidths)


def fold_model(params, alpha, bandwidth, geometry, coef, intercept):
    """A fitted SoftmaxKDERegressor from a path's solution, to be scored."""
    model = SoftmaxKDERegressor(**params, alpha=alpha, bandwidth=bandwidth)
    model.coef_ = coef.copy()
    model.intercept_ = np.array(intercept, dtype=np.float64)
    model.centers_ = geometry.centers
    model.bandwidth_ = geometry.bandwidth
    model.window_ = geometry.window
    model.n_features_in_ = coef.shape[1]
    return model


def path_fits(
    X,
    lower,
    upper,
    sample_weight,
    *,
    alphas,
    bandwidths,
    centers,
    params,
    rows=None,
    path_tol=None,
):
    """Fit every grid point on one set of rows, each bandwidth warm along alphas.

    The targets' summary and the solver's feature scale are computed once;
    each bandwidth's kernel table and objective once.  Each bandwidth's path
    starts from zero at ``alphas[0]`` (that fit is exactly the plain
    estimator's) and every later fit starts from the previous solution.
    Bandwidths do not pass coefficients on: a path that started from another
    bandwidth's solution could stay in that bandwidth's basin (see the
    module's docstring).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_rows, n_features)
        Training features.
    lower, upper, sample_weight : ndarray of shape (n_rows,)
        Training targets and their (positive) weights.
    alphas : ndarray of shape (n_alphas,)
        Penalties in the order of the path (smallest first).
    bandwidths : ndarray of shape (n_bandwidths,) or list
        Bandwidths, or sets of bandwidths (:func:`bandwidth_sets`).
    centers : list of (int or ndarray), one per bandwidth
        The ``centers`` parameter of each bandwidth's fits.
    params : dict
        The other parameters of :class:`SoftmaxKDERegressor`.
    rows : ndarray of int or None, default=None
        The rows' numbers in the caller's data, for error messages.
    path_tol : float or None, default=None
        Gradient tolerance of the fits; None: ``params["tol"]``.

    Yields
    ------
    j, i : int
        The bandwidth's and the penalty's index.
    geometry : Geometry
        Centers, bandwidth and window of the fit.
    model : LinearLogits
        Its parameter layout (``model.unpack``).
    result : SolverResult
        The solution.
    """
    summary = TargetSummary.from_targets(
        lower, upper, sample_weight, period=params["period"]
    )
    coordinates = {}  # by number of atoms: sets of bandwidths have more
    for j, bandwidth in enumerate(bandwidths):
        geometry, table = place_kernels(
            summary,
            lower,
            upper,
            centers=centers[j],
            bandwidth=bandwidth,
            kernel=params["kernel"],
            loss=params["loss"],
            n_quadrature=params["n_quadrature"],
            placement=params["placement"],
            sample_weight=sample_weight,
        )
        table.check_covered(rows=rows)
        model, objective = linear_objective(
            table,
            X,
            sample_weight,
            fit_intercept=params["fit_intercept"],
            alpha=alphas[0],
        )
        if model.n_params not in coordinates:
            coordinates[model.n_params] = model.solver_coordinates(X, sample_weight)
        solution = np.zeros(model.n_params)
        with objective.running():
            for i, alpha in enumerate(alphas):
                model.alpha = float(alpha)
                result = minimize_lbfgs(
                    objective.loss_gradient,
                    solution,
                    coordinates=coordinates[model.n_params],
                    max_iter=params["max_iter"],
                    tol=params["tol"] if path_tol is None else path_tol,
                    name="SoftmaxKDERegressorCV",
                )
                solution = result.params
                yield j, i, geometry, model, result


def scoring_path(
    X,
    y,
    lower,
    upper,
    sample_weight,
    train,
    test,
    *,
    alphas,
    bandwidths,
    centers,
    params,
    scorer,
    score_weights,
    return_params=False,
    path_tol=None,
):
    """Fit one fold along the grid (:func:`path_fits`) and score every fit.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        All the features.
    y : ndarray of shape (n_samples,) or (n_samples, 2)
        All the targets, as given to ``fit`` (for the scorer).
    lower, upper, sample_weight : ndarray of shape (n_samples,)
        The targets as intervals, and the weights.
    train, test : ndarray of int
        The fold's rows.
    alphas, bandwidths, centers, params :
        As for :func:`path_fits`.
    scorer : callable
        ``scorer(model, X, y[, sample_weight=...])``, higher is better.
    score_weights : bool
        Whether the scorer gets the held-out rows' weights.
    return_params : bool, default=False
        Whether to return every solution.
    path_tol : float or None, default=None
        As for :func:`path_fits`.

    Returns
    -------
    scores, n_iter : ndarray of shape (n_bandwidths, n_alphas)
        Held-out score and iterations of each fit.
    solutions : list of ndarray of shape (n_alphas, n_params_j)
        One per bandwidth (sets of bandwidths have more parameters); only
        with ``return_params``.
    """
    # Zero weights remove rows from training; held out, they count for nothing.
    train = train[sample_weight[train] > 0]
    test = test[sample_weight[test] > 0]
    if train.size == 0 or test.size == 0:
        raise ValueError(
            "A cross-validation fold has no training or no held-out row with a "
            "positive sample_weight."
        )
    X_test, y_test = X[test], y[test]
    score_kwargs = {"sample_weight": sample_weight[test]} if score_weights else {}
    shape = (len(bandwidths), alphas.size)
    scores, n_iter = np.empty(shape), np.zeros(shape, dtype=np.intp)
    solutions = []
    fits = path_fits(
        X[train],
        lower[train],
        upper[train],
        sample_weight[train],
        alphas=alphas,
        bandwidths=bandwidths,
        centers=centers,
        params=params,
        rows=train,
        path_tol=path_tol,
    )
    for j, i, geometry, model, result in fits:
        n_iter[j, i] = result.n_iter
        solutions.append(result.params)
        coef, intercept = model.unpack(result.params)
        fitted = fold_model(params, alphas[i], bandwidths[j], geometry, coef, intercept)
        scores[j, i] = scorer(fitted, X_test, y_test, **score_kwargs)
    if return_params:
        per_bandwidth = [
            solutions[j * shape[1] : (j + 1) * shape[1]] for j in range(shape[0])
        ]
        return scores, n_iter, [np.array(s) for s in per_bandwidth]
    return scores, n_iter


class SoftmaxKDERegressorCV(SoftmaxKDERegressor):
    """SoftmaxKDERegressor with ``alpha`` and ``bandwidth`` chosen by cross-validation.

    Every fold fits the model over the grid ``bandwidths x alphas`` along a
    warm-started path: for each bandwidth, from the smallest ``alpha`` up,
    each fit starting from the previous solution.  Targets, their summary,
    the training rows and the solver's feature scale are worked out once per
    fold, the kernel table once per fold and bandwidth.  The pair with the
    best mean held-out score is ``(alpha_, bandwidth_)``; with ``refit`` the
    model is then fitted to all the data with it, exactly as
    ``SoftmaxKDERegressor(alpha=alpha_, bandwidth=bandwidth_)`` would be.
    Predictions are that model's.

    As :class:`~sklearn.linear_model.LogisticRegressionCV` is to
    :class:`~sklearn.linear_model.LogisticRegression`, this estimator is a
    :class:`SoftmaxKDERegressor` whose ``alpha`` and ``bandwidth`` are fitted
    rather than given: it has the same fitted attributes and the same
    prediction methods, and ``isinstance(model, SoftmaxKDERegressor)`` holds
    (so :func:`skkdece.robocode.export.export_model` takes it too).

    Parameters
    ----------
    alphas : int or array-like of shape (n_alphas,), default=10
        L2 penalties to try.  An int gives that many, log-spaced from
        ``1e-3 s`` up to ``1e2 s`` with ``s = trace(Cov(X)) / n``: the
        weighted variances of the features added up, over the sum of the
        weights (``1 / n`` for constant features).  Under a Gaussian prior of
        variance ``1 / (n alpha)`` on the coefficients, ``alpha = s`` gives
        logits that vary by about one unit; the grid scales like ``1 / n``
        and with the features' scale.  The path runs from the smallest
        penalty up (see Notes); ``alphas_`` is sorted that way.
    bandwidths : int or array-like of shape (n_bandwidths,), default=5
        Kernel bandwidths to try, in the target's units (absolute values, the
        same for every fold, so that ``bandwidth_`` means one thing).  An int
        gives that many, log-spaced from 1/4 to 2 times Scott's bandwidth of
        all the training targets (see :class:`SoftmaxKDERegressor`); for the
        compact kernels from 1 to 4 times the rule's bandwidth widened to the
        centers' spacing, so every bandwidth covers every target.  One gives
        Scott's bandwidth itself.  ``bandwidths_`` is sorted increasingly.
        Entries may also be sets of bandwidths, each a multi-scale model
        (``SoftmaxKDERegressor(bandwidth=[...])``), to be compared with each
        other and with single bandwidths: ``[0.2, [0.05, 0.2], [0.05, 0.2,
        0.8]]``; ``bandwidths_`` is then that list, in the given order.  See
        Notes for how to choose the sets.
    centers : int or array-like of shape (n_centers,), default=32
        As for :class:`SoftmaxKDERegressor`: an int places that many (as
        ``placement`` says) over each fold's targets.
    placement : {"even", "quantile"}, default="even"
        Where an int's worth of centers go, as for
        :class:`SoftmaxKDERegressor`.
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    loss : {"cross_entropy", "interval_likelihood"}, default="cross_entropy"
        Training loss and default score, as for :class:`SoftmaxKDERegressor`.
    period : float or None, default=None
        Period of a circular target.
    target_width : float, default=0.0
        Half-width of the uniform target around each point in a 1-D ``y``.
    fit_intercept : bool, default=True
        Whether to fit one intercept per center.
    n_quadrature : int or None, default=None
        Gauss-Legendre nodes per smooth piece of an interval target.
    cv : int, cross-validation generator or iterable, default=5
        Splitter, as for :func:`sklearn.model_selection.check_cv`: an int is a
        :class:`~sklearn.model_selection.KFold` without shuffling.  Waves fired
        in one battle or one round are not independent draws (the enemy's
        movement, the distance and the bot's habits are shared), so a random
        split leaks them between training and held-out rows and favours too
        little regularisation; pass a
        :class:`~sklearn.model_selection.GroupKFold` with the battle as group,
        or a :class:`~sklearn.model_selection.TimeSeriesSplit`, for them.
    scoring : str, callable or None, default=None
        Held-out score, higher is better.  None: the weighted mean
        log-likelihood (``score``).  Any scikit-learn scorer works too, for
        example ``"neg_mean_absolute_error"`` for point targets.
    refit : bool, default=True
        Whether to fit the chosen model to all the data.  With
        ``refit=False`` the folds' coefficients at the chosen point are
        averaged, which only means something when all folds share their
        kernels: the centers and the window are then fixed once, from all the
        data, for every fold's fit (rather than from each fold's targets), so
        the path's scores are those of fits with these explicit centers.
    n_jobs : int or None, default=None
        Folds fitted in parallel (joblib).  Each worker's loss uses the
        threads ``threadpoolctl`` allows it.
    max_iter : int, default=1000
        Maximum number of L-BFGS-B iterations of each fit.
    tol : float, default=1e-6
        Gradient tolerance of the final fit.
    path_tol : float or None, default=None
        Gradient tolerance of the fits on the path, which only rank the grid
        points by their held-out scores; None: ``tol``.  The final fit
        always uses ``tol``.  L-BFGS-B spends most of a fit's iterations on
        the gradient's last digits, so a looser ``path_tol`` is the main
        speed knob of the search, at some risk to the choice: on the CV
        benchmark's waves (8 penalties x 5 bandwidths, 5 folds, ``tol=1e-5``)
        a path at ``1e-4`` took 0.47 of the iterations, chose the same point
        and moved the mean scores by at most 2e-4; on
        ``make_circular_regression`` (n = 700) it moved the mean scores of
        the weakest penalties by up to 0.011, enough to pick a weaker penalty
        whose refit scored 0.10 lower on held-out data.
    verbose : int, default=0
        Verbosity of joblib and of the final fit.

    Attributes
    ----------
    alphas_ : ndarray of shape (n_alphas,)
        Penalties tried, increasing (the order of the path).
    bandwidths_ : ndarray of shape (n_bandwidths,) or list
        Bandwidths tried, increasing; with sets, the list of single
        bandwidths (floats) and sets (arrays) in the given order.
    scores_ : ndarray of shape (n_folds, n_bandwidths, n_alphas)
        Held-out score of every fold and grid point.
    n_iter_path_ : ndarray of shape (n_folds, n_bandwidths, n_alphas)
        L-BFGS-B iterations of every fit on the path.
    alpha_ : float
        The penalty of the best mean score over the folds (the first in
        ``bandwidths_``, then ``alphas_`` order, on a tie).
    bandwidth_ : float or ndarray of shape (n_atoms,)
        The final model's bandwidth: the chosen one, or for a chosen set
        each atom's (as :class:`SoftmaxKDERegressor`'s ``bandwidth_``; the
        set itself is ``bandwidths_[best_index_[0]]``).
    best_index_ : tuple of int
        ``(j, i)`` with ``bandwidths_[j]``, ``alphas_[i]`` the chosen pair.
    coef_ : ndarray of shape (n_atoms, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (n_atoms,)
        Intercepts of the final model.
    centers_ : ndarray of shape (n_atoms,)
        Kernel centers of the final model's atoms.
    window_ : tuple of float or None
        Window of predicted angles when periodic; None otherwise.
    n_iter_ : int
        Iterations of the final fit (0 with ``refit=False``).
    objective_ : float or None
        Final objective of the final fit (None with ``refit=False``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    SoftmaxKDERegressor : The model with fixed ``alpha`` and ``bandwidth``.
    sklearn.linear_model.LogisticRegressionCV : The same scheme for ``C``.

    Notes
    -----
    The objective is not convex in the coefficients.  A path from strong to
    weak regularisation, as scikit-learn's logistic path runs, stayed in
    local minima that fits from zero avoid; the path from weak to strong
    regularisation gives the separate fits' solutions to the solver's
    tolerance where each penalty has one minimum, and nearby minima of about
    the same quality where it has many (many centers), in fewer iterations
    (about 20-60% fewer on the test and benchmark problems: the first, least
    penalised, fit of each path is a full fit from zero).  The final model
    is a plain fit from zero, the same as
    ``SoftmaxKDERegressor(alpha=alpha_, bandwidth=bandwidth_)``.  Only the
    folds run in parallel; inside a worker the loss follows
    ``threadpoolctl.threadpool_limits``.

    Choosing sets of bandwidths.  A set pays off when the target's spread
    changes several-fold with the features (one bandwidth must then be too
    wide for the sharp rows or too narrow for the wide ones), or when rare
    far targets stretch the range so that the centers sit far apart next to
    the usual spread.  Start from the rule's bandwidth ``h`` (the middle of
    the int grid, ``bandwidth_grid(summary, 1, ...)``): a set such as
    ``[h / 4, h]`` or ``[h / 4, h, 4 h]`` should span the narrowest and the
    widest conditional spreads expected, a factor of about 4 between
    neighbours (closer scales are nearly interchangeable and only add
    atoms).  The narrowest should still be a good fraction of the centers'
    spacing (``placement="quantile"`` puts centers closer where the targets
    crowd).  Put the best single bandwidths in the same grid, so the
    search says whether the extra atoms earn their place: each set costs
    about its number of scales times a single bandwidth's fits.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressorCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(300, 1))
    >>> y = 2 * X[:, 0] + rng.normal(scale=0.2, size=300)
    >>> model = SoftmaxKDERegressorCV(alphas=4, bandwidths=3, centers=16, cv=3)
    >>> model = model.fit(X, y)
    >>> model.scores_.shape
    (3, 3, 4)
    >>> bool(model.alpha_ in model.alphas_), model.predict([[0.5]]).round(1)
    (True, array([1.]))
    """

    _parameter_constraints: dict = {
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "bandwidths": [Interval(Integral, 1, None, closed="left"), "array-like"],
        **{
            name: SoftmaxKDERegressor._parameter_constraints[name]
            for name in (*_SHARED, "verbose")
        },
        "path_tol": [Interval(Real, 0, None, closed="left"), None],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        alphas=10,
        bandwidths=5,
        centers=32,
        placement="even",
        kernel="gaussian",
        loss="cross_entropy",
        period=None,
        target_width=0.0,
        fit_intercept=True,
        n_quadrature=None,
        cv=5,
        scoring=None,
        refit=True,
        n_jobs=None,
        max_iter=1000,
        tol=1e-6,
        path_tol=None,
        verbose=0,
    ):
        self.alphas = alphas
        self.bandwidths = bandwidths
        self.centers = centers
        self.placement = placement
        self.kernel = kernel
        self.loss = loss
        self.period = period
        self.target_width = target_width
        self.fit_intercept = fit_intercept
        self.n_quadrature = n_quadrature
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.max_iter = max_iter
        self.tol = tol
        self.path_tol = path_tol
        self.verbose = verbose

    def _shared_params(self):
        params = {name: getattr(self, name) for name in _SHARED}
        params["period"] = None if self.period is None else float(self.period)
        return params

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Choose ``alpha`` and ``bandwidth`` by cross-validation, then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,) or (n_samples, 2)
            Point targets or ``[lower, upper]`` intervals, as for
            :meth:`SoftmaxKDERegressor.fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (repetition counts), used in training, in
            the grids' rules and in the held-out scores.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a grouped splitter (battles, rounds...).

        Returns
        -------
        self : SoftmaxKDERegressorCV
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.model_selection import GroupKFold
        >>> from skkdece import SoftmaxKDERegressorCV
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(120, 2))
        >>> y = X[:, 0] + rng.normal(scale=0.3, size=120)
        >>> battle = np.repeat(np.arange(6), 20)  # waves of one battle together
        >>> model = SoftmaxKDERegressorCV(
        ...     alphas=[1e-3, 1e-1], bandwidths=[0.2, 0.4], cv=GroupKFold(3), centers=8
        ... ).fit(X, y, groups=battle)
        >>> model.scores_.shape, model.bandwidth_ in (0.2, 0.4)
        ((3, 2, 2), True)
        """
        X, y = validate_fit_data(self, X, y)
        params = self._shared_params()
        lower, upper, sample_weight_ = read_fit_targets(
            X,
            y,
            sample_weight,
            target_width=float(self.target_width),
            period=params["period"],
        )
        used = sample_weight_ > 0
        summary = TargetSummary.from_targets(
            lower[used], upper[used], sample_weight_[used], period=params["period"]
        )
        if isinstance(self.alphas, Integral):
            alphas = alpha_grid(X[used], sample_weight_[used], int(self.alphas))
        else:
            alphas = _grid(self.alphas, "alphas", low_open=False)
        if isinstance(self.bandwidths, Integral):
            bandwidths = bandwidth_grid(
                summary,
                int(self.bandwidths),
                centers=self.centers,
                kernel=self.kernel,
            )
        else:
            bandwidths = bandwidth_sets(self.bandwidths)
        self.alphas_ = np.sort(alphas)
        self.bandwidths_ = bandwidths
        if self.refit:
            centers = [self.centers] * len(self.bandwidths_)
        else:
            # One geometry for all folds, so their coefficients can be averaged.
            geometries = [
                self._geometry(summary, self.centers, b, lower, upper, sample_weight_)
                for b in self.bandwidths_
            ]
            # The centers of one scale: each fold's fit repeats them per scale.
            centers = [g.centers[: g.centers.size // g.n_scales] for g in geometries]

        splitter = check_cv(self.cv, y, classifier=False)
        folds = list(splitter.split(X, y, groups))
        scorer = check_scoring(SoftmaxKDERegressor(), scoring=self.scoring)
        paths = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(scoring_path)(
                X,
                y,
                lower,
                upper,
                sample_weight_,
                np.asarray(train),
                np.asarray(test),
                alphas=self.alphas_,
                bandwidths=self.bandwidths_,
                centers=centers,
                params=params,
                scorer=scorer,
                score_weights=sample_weight is not None,
                return_params=not self.refit,
                path_tol=self.tol if self.path_tol is None else self.path_tol,
            )
            for train, test in folds
        )
        self.scores_ = np.stack([path[0] for path in paths])
        self.n_iter_path_ = np.stack([path[1] for path in paths])
        mean = np.mean(self.scores_, axis=0)
        # NaN scores (a failed scorer) never win; all NaN: the first point.
        flat = np.where(np.isnan(mean), -np.inf, mean)
        j, i = np.unravel_index(np.argmax(flat), flat.shape)
        self.best_index_ = (int(j), int(i))
        self.alpha_ = float(self.alphas_[i])
        chosen = self.bandwidths_[j]

        if self.refit:
            final = SoftmaxKDERegressor(
                **params,
                alpha=self.alpha_,
                bandwidth=chosen,
                verbose=self.verbose,
            ).fit(X, y, sample_weight=sample_weight)
            self.coef_, self.intercept_ = final.coef_, final.intercept_
            self.centers_, self.window_ = final.centers_, final.window_
            self.bandwidth_ = final.bandwidth_
            self.n_iter_, self.objective_ = final.n_iter_, final.objective_
            return self
        geometry = self._geometry(
            summary, centers[j], chosen, lower, upper, sample_weight_
        )
        solution = np.mean([path[2][j][i] for path in paths], axis=0)
        coef, intercept = LinearLogits(
            geometry.centers.size, X.shape[1], fit_intercept=self.fit_intercept
        ).unpack(solution)
        self.coef_, self.intercept_ = coef.copy(), np.array(intercept, dtype=float)
        self.centers_ = geometry.centers
        self.bandwidth_ = geometry.bandwidth
        self.window_ = geometry.window
        self.n_iter_, self.objective_ = 0, None
        return self

    def _geometry(self, summary, centers, bandwidth, lower, upper, sample_weight):
        """The kernels' geometry of all the (weighted) training targets."""
        return kernel_geometry(
            summary,
            lower,
            upper,
            sample_weight,
            centers=centers,
            bandwidth=bandwidth,
            kernel=self.kernel,
            placement=self.placement,
        )
