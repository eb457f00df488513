"""SoftmaxKDERegressorCV: alpha and bandwidth chosen along a warm-started path.

By default (``alphas="auto"``, ``bandwidths="auto"``) :class:`PathSearch`
chooses the points to fit, a few at a time: bandwidths by parabolic steps in
``log h`` at one penalty, then penalties at the best bandwidth, each step one
short path per fold.  Given grids, or within a step, each fold of the
cross-validation runs :func:`scoring_path`: the training
rows, the targets' summary and the solver's feature scale are worked out
once; for every bandwidth the kernel table and the objective are built once;
then the fits run along the penalties, each one starting from the previous
solution, and every fit is scored on the fold's held-out rows.  The folds run
in parallel under joblib; the best mean score picks ``alpha_`` and
``bandwidth_``, and one plain fit on all the data gives the model that
predicts.

With ``location`` or ``scale`` heads (issue 28), each configuration of
heads to try gets a search of its own (:meth:`SoftmaxKDERegressorCV._search`),
its folds fitted as :class:`SoftmaxKDERegressor` with those heads fits
(:class:`HeadStart`: the two-stage start, kernels on the targets it
standardises); the best mean held-out score over every search picks the
heads, the penalty and the bandwidth.

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
from scipy.stats import rankdata
from sklearn.base import _fit_context
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.sparsefuncs import mean_variance_axis

from ._fit import (
    as_period,
    kernel_geometry,
    linear_objective,
    read_fit_targets,
    validate_fit_data,
)
from ._linear import LinearLogits
from ._linear_regressor import (
    _HEAD_ATTRIBUTES,
    SoftmaxKDERegressor,
    _head_attributes,
)
from ._location_scale import (
    LocationScaleLogits,
    LocationScaleTable,
    check_heads,
    head_values,
    line_search_barrier,
    standardise,
    two_stage_start,
)
from ._solver import minimize_lbfgs
from ._tables._factory import training_table
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

#: The automatic search (``alphas="auto"``), in units of
#: ``s = trace(Cov(X)) / n`` (:func:`alpha_scale`): the bandwidths are
#: searched at ``AUTO_ALPHA``; then, at the chosen bandwidth, penalties
#: ``sqrt(10)`` apart on both sides, and on while an end wins (within
#: ``AUTO_ALPHA_LIMITS``).
AUTO_ALPHA = 0.1
AUTO_ALPHA_LIMITS = (1e-3, 1e2)
#: The automatic search (``bandwidths="auto"``): the first bracket, times the
#: rule's bandwidth; it moves by factors of 2 while an end wins, within
#: ``AUTO_BANDWIDTH_LIMITS``, then parabolic steps in ``log h``.
AUTO_BANDWIDTH_FACTORS = (0.5**0.5, 1.0, 2.0**0.5)
AUTO_COMPACT_FACTORS = (1.0, 2.0**0.5, 2.0)  # compact kernels must cover the targets
AUTO_BANDWIDTH_LIMITS = (1.0 / 16.0, 16.0)
#: Parabolic steps at most, and the smallest worth a fit (a factor in h).
AUTO_PARABOLIC_STEPS = 2
AUTO_MIN_STEP = 1.08
AUTO_MIN_ALPHA_STEP = 1.25
#: Gradient tolerance of the path's fits under ``path_tol="auto"`` when a
#: grid is searched automatically.
AUTO_PATH_TOL = 1e-4
AUTO_WARM_BANDWIDTHS = False


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


def alpha_scale(X, sample_weight):
    """``s = trace(Cov(X)) / n``: the penalty scale of :func:`alpha_grid`.

    With the weighted covariance of the features and ``n`` the sum of the
    weights (``1 / n`` for constant features).
    """
    weight = float(np.sum(sample_weight))
    if hasattr(X, "toarray"):
        _, variance = mean_variance_axis(X.tocsr(), axis=0, weights=sample_weight)
    else:
        mean = np.average(X, axis=0, weights=sample_weight)
        variance = np.average((X - mean) ** 2, axis=0, weights=sample_weight)
    total = float(np.sum(variance))
    return (total if total > 0 else 1.0) / weight


def alpha_grid(X, sample_weight, n_alphas):
    """``n_alphas`` penalties from ``1e-3 s`` up to ``1e2 s``, log-spaced.

    ``s = trace(Cov(X)) / n`` (:func:`alpha_scale`) with the weighted
    covariance of the features and ``n`` the sum of the weights (``1 / n``
    for constant features).  A Gaussian prior of variance ``1 / (n alpha)``
    on each coefficient gives logits of variance ``trace(Cov(X)) / (n
    alpha)``, so ``alpha = s`` is the penalty under which the prior's logits
    spread by about one unit.  The penalties chosen in the benchmarks lay
    between ``0.001 s`` and ``1 s``.
    """
    return alpha_scale(X, sample_weight) * np.logspace(-3.0, 2.0, n_alphas)


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


def fold_model(params, alpha, bandwidth, geometry, coef, intercept, heads=None):
    """A fitted SoftmaxKDERegressor from a path's solution, to be scored.

    ``heads``: the head attributes by name (``location_coef_``...), or None
    for a model without heads.
    """
    model = SoftmaxKDERegressor(**params, alpha=alpha, bandwidth=bandwidth)
    model.coef_ = coef.copy()
    model.intercept_ = np.array(intercept, dtype=np.float64)
    model.centers_ = geometry.centers
    model.bandwidth_ = geometry.bandwidth
    model.window_ = geometry.window
    model.n_features_in_ = coef.shape[1]
    model.set_params(location=None, scale=None)
    if heads is not None:
        model.set_params(
            location="linear" if heads["location_coef_"] is not None else None,
            scale="linear" if heads["scale_coef_"] is not None else None,
        )
        for name, value in heads.items():
            setattr(model, name, value)
    model.location_, model.scale_ = model.location, model.scale
    return model


class HeadStart:
    """How a path's fits start their location and scale heads.

    Parameters
    ----------
    location, scale : bool
        Which heads are on.
    alpha : float
        The penalty of the two-stage start's ridge regressions, as for a fit
        on all the rows (a fold's start uses its fold's penalty, as
        :class:`SoftmaxKDERegressor` with that penalty would).  One value
        for a whole search, so that every path of a fold and bandwidth
        places its kernels from the same start and warm starts carry over.
    """

    def __init__(self, location, scale, alpha):
        self.location = bool(location)
        self.scale = bool(scale)
        self.alpha = float(alpha)

    def targets(self, X, lower, upper, sample_weight, period, alpha=None):
        """``(heads, z_lower, z_upper)``: the two-stage start and the targets
        it standardises (the targets the kernels are placed on)."""
        heads = two_stage_start(
            X,
            lower,
            upper,
            sample_weight,
            location=self.location,
            scale=self.scale,
            period=period,
            alpha=self.alpha if alpha is None else alpha,
        )
        return (heads, *standardise(lower, upper, *head_values(X, heads)))


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
    starts=None,
    heads=None,
    head_alpha=None,
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
    starts : list of (ndarray or None) or None, default=None
        Starting point of each bandwidth's first fit (a solution of the same
        rows and bandwidth at a smaller penalty, for a refinement of the
        path); None: zeros (and the heads' two-stage start).
    heads : HeadStart or None, default=None
        The location and scale heads, or None for none.  With heads the
        fits are those of ``SoftmaxKDERegressor(location=..., scale=...)``:
        the kernels are placed on the targets standardised by the
        two-stage start (so ``bandwidths`` are in units of the standardised
        target), and each path starts from that start.
    head_alpha : float or None, default=None
        The penalty of the heads' start on these rows; None:
        ``heads.alpha``.

    Yields
    ------
    j, i : int
        The bandwidth's and the penalty's index.
    geometry : Geometry
        Centers, bandwidth and window of the fit.
    model : LinearLogits or LocationScaleLogits
        Its parameter layout (``model.unpack``, with heads
        ``model.unpack_heads``).
    result : SolverResult
        The solution.
    """
    period = params["period"]
    head_options, start = {}, None
    z_lower, z_upper = lower, upper
    if heads is not None:
        start, z_lower, z_upper = heads.targets(
            X, lower, upper, sample_weight, period, alpha=head_alpha
        )
        spread = TargetSummary.from_targets(
            lower, upper, sample_weight, period=period
        ).spread
        head_options = dict(
            location=heads.location,
            scale=heads.scale,
            target_scale=spread if spread > 0 else 1.0,
        )
    summary = TargetSummary.from_targets(z_lower, z_upper, sample_weight, period=period)
    coordinates = {}  # by number of atoms: sets of bandwidths have more
    for j, bandwidth in enumerate(bandwidths):
        kernels = dict(
            kernel=params["kernel"],
            loss=params["loss"],
            n_quadrature=params["n_quadrature"],
        )
        # With heads, as SoftmaxKDERegressor places them: on the start's
        # standardised targets (the table reads the raw ones).
        geometry = kernel_geometry(
            summary,
            z_lower,
            z_upper,
            sample_weight,
            centers=centers[j],
            bandwidth=bandwidth,
            kernel=params["kernel"],
            placement=params["placement"],
        )
        if heads is None:
            table = training_table(
                lower,
                upper,
                geometry.centers,
                bandwidth=geometry.bandwidth,
                period=period,
                **kernels,
            )
            table.check_covered(rows=rows)
        else:
            table = LocationScaleTable(
                lower,
                upper,
                geometry.centers,
                bandwidth=geometry.bandwidth,
                period=period,
                location=heads.location,
                scale=heads.scale,
                **kernels,
            )
        model, objective = linear_objective(
            table,
            X,
            sample_weight,
            fit_intercept=params["fit_intercept"],
            alpha=alphas[0],
            **head_options,
        )
        if model.n_params not in coordinates:
            coordinates[model.n_params] = model.solver_coordinates(X, sample_weight)
        solution = np.zeros(model.n_params)
        if start is not None:
            solution = model.pack(
                np.zeros((model.n_centers, model.n_features)),
                np.zeros(model.n_centers),
                start,
            )
        if starts is not None and starts[j] is not None:
            solution = np.array(starts[j], dtype=np.float64)
        with objective.running():
            for i, alpha in enumerate(alphas):
                model.alpha = float(alpha)
                loss_gradient = objective.loss_gradient
                if heads is not None:
                    # As SoftmaxKDERegressor's fits with heads: a trial step
                    # that stretches a target to an infinite loss is
                    # stepped back from (a barrier of its own per run).
                    loss_gradient = line_search_barrier(loss_gradient)
                result = minimize_lbfgs(
                    loss_gradient,
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
    starts=None,
    heads=None,
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
    path_tol, starts, heads : float or None, list or None, HeadStart or None, \
default=None
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
    # The loss is a weighted mean: the same prior on the coefficients (the
    # penalty of the summed loss) on fewer rows is a larger alpha.
    factor = float(np.sum(sample_weight)) / np.sum(sample_weight[train])
    fold_alphas = alphas * factor
    fits = path_fits(
        X[train],
        lower[train],
        upper[train],
        sample_weight[train],
        alphas=fold_alphas,
        bandwidths=bandwidths,
        centers=centers,
        params=params,
        rows=train,
        path_tol=path_tol,
        starts=starts,
        heads=heads,
        head_alpha=None if heads is None else heads.alpha * factor,
    )
    for j, i, geometry, model, result in fits:
        n_iter[j, i] = result.n_iter
        solutions.append(result.params)
        coef, intercept = model.unpack(result.params)
        fitted = fold_model(
            params,
            alphas[i],
            bandwidths[j],
            geometry,
            coef,
            intercept,
            None if heads is None else _head_attributes(model, result.params),
        )
        scores[j, i] = scorer(fitted, X_test, y_test, **score_kwargs)
    if return_params:
        per_bandwidth = [
            solutions[j * shape[1] : (j + 1) * shape[1]] for j in range(shape[0])
        ]
        return scores, n_iter, [np.array(s) for s in per_bandwidth]
    return scores, n_iter


def _parabola_vertex(x, f):
    """Abscissa of the maximum of the parabola through three points, or None.

    ``x`` increasing; None where the parabola is not concave.
    """
    (x0, x1, x2), (f0, f1, f2) = x, f
    den = (x1 - x0) * (f1 - f2) - (x1 - x2) * (f1 - f0)
    if not np.isfinite(den) or den <= 0.0:  # not a maximum
        return None
    num = (x1 - x0) ** 2 * (f1 - f2) - (x1 - x2) ** 2 * (f1 - f0)
    return x1 - 0.5 * num / den


class PathSearch:
    """The folds' scores at every (bandwidth, penalty) tried, and where to go next.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(bandwidths, alphas, starts)`` runs :func:`scoring_path`
        on every fold with ``return_params=True`` (``starts``: None, or one
        list of starting points per fold) and returns the folds' results.
    n_folds : int
        Number of folds.
    """

    def __init__(self, evaluate, n_folds):
        self.evaluate = evaluate
        self.n_folds = n_folds
        self.bandwidths = []  # in the order tried
        self.points = {}  # (j, alpha): (scores, n_iter, solutions), one per fold

    def add(self, bandwidth):
        """Register a bandwidth (or a set); its index."""
        self.bandwidths.append(bandwidth)
        return len(self.bandwidths) - 1

    def run(self, js, alphas, starts=None):
        """Fit the paths of bandwidths ``js`` along ``alphas`` on every fold."""
        alphas = np.asarray(alphas, dtype=np.float64)
        paths = self.evaluate([self.bandwidths[j] for j in js], alphas, starts)
        for jj, j in enumerate(js):
            for i, alpha in enumerate(alphas):
                self.points[(j, float(alpha))] = (
                    np.array([path[0][jj, i] for path in paths]),
                    np.array([path[1][jj, i] for path in paths]),
                    [path[2][jj][i] for path in paths],
                )

    def mean(self, j, alpha):
        """Mean score over the folds; -inf for NaN (a failed scorer)."""
        score = float(np.mean(self.points[(j, float(alpha))][0]))
        return -np.inf if np.isnan(score) else score

    def alphas_of(self, j):
        return sorted(a for (k, a) in self.points if k == j)

    def profile(self, j):
        """The best mean score of bandwidth ``j`` over the penalties tried."""
        return max(self.mean(j, a) for a in self.alphas_of(j))

    def best(self):
        """``(j, alpha)`` of the best mean score (the first tried on a tie)."""
        return max(self.points, key=lambda key: self.mean(*key))

    def nearest_start(self, j, alpha, among):
        """The folds' solutions at the tried point nearest to ``(j, alpha)``.

        ``among``: "bandwidths" (same penalty, nearest bandwidth in ``log
        h``) or "alphas" (same bandwidth, nearest penalty in ``log alpha``);
        None when there is none.
        """
        if among == "alphas":
            tried = self.alphas_of(j)
            if not tried:
                return None
            near = min(tried, key=lambda a: abs(np.log(a / alpha)))
            return [[solution] for solution in self.points[(j, near)][2]]
        h = self.bandwidths[j]
        others = [k for k in range(len(self.bandwidths)) if (k, alpha) in self.points]
        others = [k for k in others if k != j]
        if not others:
            return None
        k = min(others, key=lambda k: abs(np.log(self.bandwidths[k] / h)))
        return [[solution] for solution in self.points[(k, alpha)][2]]

    def run_bandwidth(self, bandwidth, alphas):
        """Fit a single bandwidth along ``alphas`` unless done.

        A new bandwidth starts warm from the nearest one tried at
        ``alphas[0]`` (``AUTO_WARM_BANDWIDTHS``); one tried at other
        penalties goes on from its nearest penalty.
        """
        j = next(
            (
                k
                for k, b in enumerate(self.bandwidths)
                if np.ndim(b) == 0 and np.isclose(b, bandwidth, rtol=1e-9, atol=0.0)
            ),
            None,
        )
        if j is None:
            j = self.add(bandwidth)
            starts = None
            if AUTO_WARM_BANDWIDTHS:
                starts = self.nearest_start(j, float(alphas[0]), "bandwidths")
            self.run([j], alphas, starts)
            return
        missing = np.array([a for a in alphas if (j, float(a)) not in self.points])
        if missing.size:
            self.run([j], missing, self.nearest_start(j, missing[0], "alphas"))

    def bracket_bandwidth(self, seeds, alphas, *, low, high):
        """Search ``log h`` at the penalties ``alphas``, single bandwidths only.

        Fits the ``seeds`` that lie within ``[low, high]``.  Then, with
        ``score`` the best mean score of a bandwidth over ``alphas``: the
        parabola through the best bandwidth tried at these penalties and its
        two neighbours (the three at that end when the best is an end);
        where it has a maximum between them, a fit there (at most
        ``AUTO_PARABOLIC_STEPS``; none closer than a factor
        ``AUTO_MIN_STEP`` to a bandwidth tried, which ends the search);
        else, when the best is the smallest (largest), half (twice) it,
        within ``[low, high]``.
        """
        for bandwidth in seeds:
            if low * (1.0 - 1e-12) <= bandwidth <= high * (1.0 + 1e-12):
                self.run_bandwidth(bandwidth, alphas)
        keys = [float(a) for a in alphas]

        def tried():
            done = [
                k
                for k in range(len(self.bandwidths))
                if all((k, a) in self.points for a in keys)
            ]
            return sorted(done, key=self.bandwidths.__getitem__)

        def score(k):
            return max(self.mean(k, a) for a in keys)

        n_parabolic = 0
        while n_parabolic < AUTO_PARABOLIC_STEPS:
            order = tried()
            position = order.index(max(order, key=score))
            h = self.bandwidths[order[position]]
            at_end = position in (0, len(order) - 1)
            # The best and its neighbours (the three at that end, at an end).
            first = min(max(position - 1, 0), max(len(order) - 3, 0))
            three = order[first : first + 3]
            x = np.log([self.bandwidths[j] for j in three])
            f = np.array([score(j) for j in three])
            vertex = None
            if len(three) == 3 and np.all(np.isfinite(f)):
                vertex = _parabola_vertex(x, f)
            if vertex is not None and x[0] <= vertex <= x[2]:
                # A maximum between the points: a parabolic step.
                near = np.log([self.bandwidths[j] for j in order])
                if np.min(np.abs(near - vertex)) < np.log(AUTO_MIN_STEP):
                    return
                n_parabolic += 1
                self.run_bandwidth(float(np.exp(vertex)), alphas)
            elif at_end and position == 0 and h / 2.0 >= low * (1.0 - 1e-12):
                self.run_bandwidth(h / 2.0, alphas)
            elif at_end and position > 0 and h * 2.0 <= high * (1.0 + 1e-12):
                self.run_bandwidth(h * 2.0, alphas)
            else:
                return

    def search_alpha(self, *, low, high):
        """At the best bandwidth, penalties ``sqrt(10)`` apart, then a parabola.

        Steps of ``sqrt(10)`` up from the best penalty while they improve;
        if the first did not, down the same way (within ``[low, high]``).
        Then one parabolic step in ``log alpha`` through the best and its
        neighbours, when it lands a factor ``AUTO_MIN_ALPHA_STEP`` from
        every penalty tried.  Each new penalty is one fit per fold, warm
        from the solution at the nearest penalty tried
        (:meth:`nearest_start`).
        """
        j, top = self.best()
        step = np.sqrt(10.0)

        def fit(alpha):
            if low * (1.0 - 1e-12) <= alpha <= high * (1.0 + 1e-12) and not np.any(
                np.isclose(self.alphas_of(j), alpha, rtol=1e-6, atol=0.0)
            ):
                self.run([j], np.array([alpha]), self.nearest_start(j, alpha, "alphas"))
                return True
            return False

        # Up first (stronger penalties converge faster), down only if up
        # did not improve; on while the new end improves.
        for direction in (step, 1.0 / step):
            moved = False
            while fit(top * direction):
                new = top * direction
                if self.mean(j, new) <= self.mean(j, top):
                    break
                top, moved = new, True
            if moved:
                break
        # One parabolic step in log alpha from the best and its neighbours.
        tried = self.alphas_of(j)
        position = tried.index(max(tried, key=lambda a: self.mean(j, a)))
        if position in (0, len(tried) - 1):
            return
        x = np.log(tried[position - 1 : position + 2])
        f = [self.mean(j, a) for a in tried[position - 1 : position + 2]]
        vertex = _parabola_vertex(x, f) if np.all(np.isfinite(f)) else None
        if vertex is not None:
            vertex = float(np.clip(vertex, x[0], x[2]))
            if np.min(np.abs(np.log(tried) - vertex)) >= np.log(AUTO_MIN_ALPHA_STEP):
                fit(float(np.exp(vertex)))

    def solutions(self, bandwidth, alpha):
        """The folds' solutions at a point tried."""
        j = next(
            k for k, b in enumerate(self.bandwidths) if np.array_equal(b, bandwidth)
        )
        return self.points[(j, float(alpha))][2]

    def arrays(self, alphas=None, bandwidths=None):
        """``alphas_``, ``bandwidths_``, ``scores_``, ``n_iter_path_`` and
        which points were tried.

        ``alphas`` and ``bandwidths``: the grid's order (explicit grids), or
        None: every value tried, increasing.  Points not tried score NaN,
        with 0 iterations; ``tried`` (n_bandwidths, n_alphas) says which.
        """
        if alphas is None:
            alphas = np.unique([a for (_, a) in self.points])
        if bandwidths is None:
            order = sorted(range(len(self.bandwidths)), key=self.bandwidths.__getitem__)
            bandwidths = np.array([self.bandwidths[j] for j in order])
        else:
            order = list(range(len(self.bandwidths)))
        shape = (self.n_folds, len(order), len(alphas))
        scores = np.full(shape, np.nan)
        n_iter = np.zeros(shape, dtype=np.intp)
        tried = np.zeros(shape[1:], dtype=bool)
        for jj, j in enumerate(order):
            for i, alpha in enumerate(alphas):
                point = self.points.get((j, float(alpha)))
                if point is not None:
                    scores[:, jj, i], n_iter[:, jj, i] = point[0], point[1]
                    tried[jj, i] = True
        alphas = np.asarray(alphas, dtype=np.float64)
        return alphas, bandwidths, scores, n_iter, tried


class _FitData:
    """The validated rows of a cross-validated fit, as every search reads them."""

    def __init__(self, X, y, lower, upper, sample_weight, given_weight):
        self.X, self.y, self.lower, self.upper = X, y, lower, upper
        self.sample_weight = sample_weight
        self.used = sample_weight > 0
        # Whether the scorer gets the held-out rows' weights.
        self.weighted = given_weight is not None


class _HeadSearch:
    """One configuration of heads' search: its arrays and its best point.

    ``best`` is the best mean score over the folds (NaN, a failed scorer,
    counts as ``-inf``), ``best_index`` its ``(j, i)`` in ``(bandwidths,
    alphas)`` (the first on a tie).
    """

    def __init__(
        self, heads, search, arrays, *, summary, z_lower, z_upper, fold_centers
    ):
        self.heads, self.search = heads, search
        self.alphas, self.bandwidths, self.scores, self.n_iter, self.tried = arrays
        self.summary, self.z_lower, self.z_upper = summary, z_lower, z_upper
        self.fold_centers = fold_centers
        mean = np.mean(self.scores, axis=0)
        # Points not tried, and NaN scores (a failed scorer), never win; all
        # NaN: the first point.
        flat = np.where(np.isnan(mean), -np.inf, mean)
        self.best_index = np.unravel_index(np.argmax(flat), flat.shape)
        self.best = float(flat[self.best_index])


def _cv_results(searches, n_folds):
    """``cv_results_``: one entry per point tried, configurations in order.

    As :class:`~sklearn.model_selection.GridSearchCV`'s: ``param_*`` arrays,
    ``params`` dicts, ``split{k}_test_score``, their mean, standard
    deviation and rank (1 the best; NaN means rank last).
    """
    names = ("location", "scale", "bandwidth", "alpha")
    rows, scores = [], []
    for found in searches:
        for j, i in zip(*np.nonzero(found.tried), strict=True):
            bandwidth = found.bandwidths[j]
            bandwidth = float(bandwidth) if np.ndim(bandwidth) == 0 else bandwidth
            rows.append((*found.heads, bandwidth, float(found.alphas[i])))
            scores.append(found.scores[:, j, i])
    scores = np.array(scores).reshape(len(rows), n_folds)
    results = {}
    for k, name in enumerate(names):
        column = np.empty(len(rows), dtype=object)
        column[:] = [row[k] for row in rows]
        results[f"param_{name}"] = column
    results["param_alpha"] = results["param_alpha"].astype(np.float64)
    results["params"] = [dict(zip(names, row, strict=True)) for row in rows]
    for k in range(n_folds):
        results[f"split{k}_test_score"] = scores[:, k]
    mean = np.mean(scores, axis=1)
    results["mean_test_score"] = mean
    results["std_test_score"] = np.std(scores, axis=1)
    ranked = np.where(np.isnan(mean), -np.inf, mean)
    results["rank_test_score"] = rankdata(-ranked, method="min").astype(np.int32)
    return results


class SoftmaxKDERegressorCV(SoftmaxKDERegressor):
    """SoftmaxKDERegressor with ``alpha`` and ``bandwidth`` chosen by cross-validation.

    By default (``alphas="auto"``, ``bandwidths="auto"``) the pair is
    searched for, a few fits per fold at a time, rather than fitted over a
    whole grid: first the bandwidth, at the penalty ``0.1 s`` (``s`` as for
    :func:`alpha_grid`), from Scott's bandwidth and a factor ``sqrt(2)`` on
    either side, by parabolic steps in ``log h`` (doubling or halving while
    an end wins); then the penalty at that bandwidth, by steps of
    ``sqrt(10)`` and one parabolic step in ``log alpha`` (the bandwidth is
    searched again when the penalty moved a factor of 10 or more).  The path
    fits stop at the looser ``path_tol`` (``1e-4``); the final model is one
    exact fit at ``tol``.  Given as ints or arrays, ``alphas`` and
    ``bandwidths`` give a grid instead: every fold fits it along a
    warm-started path, for each bandwidth from the smallest ``alpha`` up,
    each fit starting from the previous solution.  Targets, their summary,
    the training rows and the solver's feature scale are worked out once per
    fold, the kernel table once per fold and bandwidth.  The pair with the
    best mean held-out score is ``(alpha_, bandwidth_)``; with ``refit`` the
    model is then fitted to all the data with it, exactly as
    ``SoftmaxKDERegressor(alpha=alpha_, bandwidth=bandwidth_)`` would be
    (without early stopping).  Predictions are that model's.

    Penalties are those of a fit on all the rows: a fold's fit uses ``alpha``
    times the total weight over its training weight (5/4 of it with five
    folds), the same prior on the coefficients against fewer rows, since
    the loss is a weighted mean.

    As :class:`~sklearn.linear_model.LogisticRegressionCV` is to
    :class:`~sklearn.linear_model.LogisticRegression`, this estimator is a
    :class:`SoftmaxKDERegressor` whose ``alpha`` and ``bandwidth`` are fitted
    rather than given: it has the same fitted attributes and the same
    prediction methods, and ``isinstance(model, SoftmaxKDERegressor)`` holds
    (so :func:`skkdece.robocode.export.export_model` takes it too).

    Parameters
    ----------
    alphas : "auto", int or array-like of shape (n_alphas,), default="auto"
        L2 penalties to try, as for a fit on all the data (see above).
        ``"auto"`` searches them, in units of ``s = trace(Cov(X)) / n``
        (:func:`alpha_scale`: the weighted variances of the features added
        up, over the sum of the weights; ``1 / n`` for constant features):
        from ``0.1 s``, steps of ``sqrt(10)`` while they improve the mean
        held-out score, within ``[1e-3 s, 1e2 s]``, and one parabolic step
        in ``log alpha``; ``alphas_`` holds every penalty tried.  An int
        gives that many, log-spaced from ``1e-3 s`` up to ``1e2 s``.  Under a
        Gaussian prior of variance ``1 / (n alpha)`` on the coefficients,
        ``alpha = s`` gives logits that vary by about one unit; the grid
        scales like ``1 / n`` and with the features' scale.  The path runs
        from the smallest penalty up (see Notes); ``alphas_`` is sorted
        that way.
    bandwidths : "auto", int or array-like of shape (n_bandwidths,), \
default="auto"
        Kernel bandwidths to try, in the target's units (absolute values, the
        same for every fold, so that ``bandwidth_`` means one thing).
        ``"auto"`` searches single bandwidths from Scott's bandwidth ``h``
        of all the training targets (see :class:`SoftmaxKDERegressor`):
        ``h / sqrt(2)``, ``h`` and ``h sqrt(2)``, then parabolic steps in
        ``log h`` through the best and its neighbours (at most two, each at
        least a factor 1.08 from every bandwidth tried), halving or
        doubling instead while an end wins and the parabola has no maximum
        between the points, within ``[h / 16, 16 h]``; for the compact
        kernels from the rule's bandwidth widened to the centers' spacing
        (``h``, ``h sqrt(2)``, ``2 h``) and never below it, so every
        bandwidth covers every target.  An int gives that many, log-spaced
        from 1/4 to 2 times Scott's bandwidth (compact kernels: 1 to 4
        times); one gives Scott's bandwidth itself.  ``bandwidths_`` is
        sorted increasingly.  Entries may also be sets of bandwidths, each a
        multi-scale model (``SoftmaxKDERegressor(bandwidth=[...])``), to be
        compared with each other and with single bandwidths: ``[0.2, [0.05,
        0.2], [0.05, 0.2, 0.8]]``; ``bandwidths_`` is then that list, in the
        given order.  See Notes for how to choose the sets, and why
        ``"auto"`` does not try them.
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
    location : {"linear"}, None or list of them, default=None
        The location head of :class:`SoftmaxKDERegressor`, or a list of
        options to choose from by the same cross-validated score, such as
        ``[None, "linear"]``.  Every pair of a ``location`` and a ``scale``
        option gets a search of its own over ``alphas`` and ``bandwidths``
        (``"auto"`` searches start from the bandwidth rule of that pair's
        targets), and the pair whose best point has the highest mean
        held-out score wins (the first, in the order ``location`` then
        ``scale`` options are given, on a tie): ``location_``, ``scale_``.
        With a head, each fold's fits are those of ``SoftmaxKDERegressor``
        with it: the two-stage start on the fold's training rows (its ridges
        at the search's first penalty, so that every path of the fold
        places its kernels from one start), kernels placed on the targets it
        standardises, the heads fitted jointly with the logits.  Bandwidths,
        given or searched, are then in units of the standardised target
        ``z = (t - mu(x)) / s(x)``, not of ``t``; the rule's bandwidth of an
        ``"auto"`` or int grid is that of all the rows' ``z``.  Each option
        costs one search (with heads, fits take more iterations).  None
        (the default) searches no head: the estimator as without heads,
        bit for bit.
    scale : {"linear"}, None or list of them, default=None
        The scale head, or options to choose from, as ``location``.  A scale
        head needs a target on the real line and, as with ``location``, the
        gaussian or exponential kernel there (a ValueError otherwise).
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
    path_tol : "auto", float or None, default="auto"
        Gradient tolerance of the fits on the path, which only rank the grid
        points by their held-out scores; None: ``tol``; ``"auto"``:
        ``max(tol, 1e-4)`` when either grid is ``"auto"``, else ``tol``.
        The final fit always uses ``tol``.  L-BFGS-B spends most of a fit's
        iterations on the gradient's last digits, so a looser ``path_tol``
        is the main speed knob of the search, at some risk to the choice: on
        the CV benchmark's waves (8 penalties x 5 bandwidths, 5 folds,
        ``tol=1e-5``) a path at ``1e-4`` took 0.47 of the iterations, chose
        the same point and moved the mean scores by at most 2e-4; on
        ``make_circular_regression`` (n = 700) it moved the mean scores of
        the weakest penalties by up to 0.011, enough to pick a weaker penalty
        whose refit scored 0.10 lower on held-out data.  At ``1e-3`` the
        warm-started fits of a path barely move from the first one, whose
        score then stands for every weak penalty (the search chose ``1e-3 s``
        on the benchmark's sine, 0.07 nats below the choice at ``1e-4``); at
        ``2e-4`` the choices on ``benchmarks/defaults_benchmarks.py``'s data
        sets lost up to 0.009 nats against ``1e-4``.
    verbose : int, default=0
        Verbosity of joblib and of the final fit.

    Attributes
    ----------
    alphas_ : ndarray of shape (n_alphas,)
        Penalties tried, increasing (the order of the path): the grid, or
        under ``"auto"`` every penalty the search tried.
    bandwidths_ : ndarray of shape (n_bandwidths,) or list
        Bandwidths tried, increasing (under ``"auto"``, every one the search
        tried); with sets, the list of single bandwidths (floats) and sets
        (arrays) in the given order.
    scores_ : ndarray of shape (n_folds, n_bandwidths, n_alphas)
        Held-out score of every fold and point tried; NaN at the points
        of ``bandwidths_ x alphas_`` a search did not try.
    n_iter_path_ : ndarray of shape (n_folds, n_bandwidths, n_alphas)
        L-BFGS-B iterations of every fit on the path (0 where not tried).
    alpha_ : float
        The penalty of the best mean score over the folds (the first in
        ``bandwidths_``, then ``alphas_`` order, on a tie).
    bandwidth_ : float or ndarray of shape (n_atoms,)
        The final model's bandwidth: the chosen one, or for a chosen set
        each atom's (as :class:`SoftmaxKDERegressor`'s ``bandwidth_``; the
        set itself is ``bandwidths_[best_index_[0]]``).
    best_index_ : tuple of int
        ``(j, i)`` with ``bandwidths_[j]``, ``alphas_[i]`` the chosen pair.
        With several options of heads, ``alphas_``, ``bandwidths_``,
        ``scores_``, ``n_iter_path_`` and ``best_index_`` are those of the
        chosen heads' search; ``cv_results_`` holds every search.
    location_ : {"linear"} or None
        The chosen location option.
    scale_ : {"linear"} or None
        The chosen scale option.
    cv_results_ : dict of ndarray
        Every point tried, heads included, one entry per point, as
        :class:`~sklearn.model_selection.GridSearchCV`'s: ``param_location``,
        ``param_scale``, ``param_bandwidth`` (object arrays),
        ``param_alpha``, ``params`` (dicts of those four), ``split{k}_test_score``,
        ``mean_test_score``, ``std_test_score`` and ``rank_test_score``
        (1 for the chosen point; NaN scores rank last).  Pass
        ``pandas.DataFrame(cv_results_)`` for a table.
    coef_ : ndarray of shape (n_atoms, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (n_atoms,)
        Intercepts of the final model.
    location_coef_, location_intercept_, scale_coef_, scale_intercept_ : \
ndarray of shape (n_features,) or float or None
        The final model's heads (None for a head not chosen), as for
        :class:`SoftmaxKDERegressor`; with ``refit=False`` the folds'
        averages.
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
    ``threadpoolctl.threadpool_limits`` (fits of fewer than ``2**24`` rows x
    parameters run on one thread, as :class:`SoftmaxKDERegressor` runs
    them).

    The defaults.  A search in place of the former default grid (10
    penalties x 5 bandwidths, 250 fits at ``tol``), chosen by measurement
    on the data sets of ``benchmarks/defaults_benchmarks.py`` (2-core AMD
    EPYC machine shared with other jobs, load average 5-7).  On the
    heteroscedastic sine (n = 1000, 16 spline features) the grid took 45 s
    (30 s of CPU) with 37 ``ConvergenceWarning`` warnings; the search fits
    7 points per fold (2 944 path iterations against 92 334) in 1.2 s, 5.8
    times faster than statsmodels' ``KDEMultivariateConditional(bw="cv_ml")``
    run alternately with it (medians of 3), with a held-out log-likelihood
    of -0.9612 (statsmodels: -0.9635; the grid: -0.9596).  On the circular,
    skewed, jumps, interaction and diabetes data sets it took 1.8-4.8 s
    against 16-41 s, with held-out scores from 0.025 below (diabetes) to
    0.037 above (jumps) the grid's, all at or above the best of the
    benchmark's explicit linear grid, and no ``ConvergenceWarning`` (the
    grid raised 4-54 per fit).  Bandwidths are searched at one penalty, then
    the penalty at the bandwidth found, because the best bandwidth moved
    little with the penalty near the best penalty; it is searched again
    when the penalty moved a decade or more (the skewed and interaction
    data sets, whose best penalties are ``1e-3 s``).  The search's fits of
    new bandwidths start from zero: warm starts from a bandwidth a factor
    of 2 away took more iterations than fits from zero and, stopping at
    ``path_tol`` in that bandwidth's basin, chose a bandwidth 2.4 times too
    wide on the skewed data set (0.13 nats lower on held-out data).  Sets
    of bandwidths are not searched: of the sets ``[0.3, 1.2]``, ``[0.5,
    2]`` and ``[0.25, 1, 4]`` times Scott's bandwidth, fitted on all the
    training rows at four penalties on five of those data sets, one won on
    held-out data only on the jumps (-2.157 against -2.207 for the best
    single bandwidth), and a set of three scales costs about three single
    bandwidths' fits; pass them in
    ``bandwidths`` where the noise has rare large jumps.

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

    Whether a location head helps, chosen by the same held-out score:

    >>> model = SoftmaxKDERegressorCV(
    ...     alphas=[1e-3], bandwidths=[0.2], centers=8, cv=3, location=[None, "linear"]
    ... ).fit(X, y)
    >>> model.location_, model.scale_, len(model.cv_results_["params"])
    ('linear', None, 2)
    >>> model.location_coef_.round(1)
    array([2.])
    """

    _parameter_constraints: dict = {
        "alphas": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            "array-like",
        ],
        "bandwidths": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            "array-like",
        ],
        **{
            name: SoftmaxKDERegressor._parameter_constraints[name]
            for name in (*_SHARED, "verbose")
        },
        "path_tol": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="left"),
            None,
        ],
        "location": [StrOptions({"linear"}), None, list, tuple],
        "scale": [StrOptions({"linear"}), None, list, tuple],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        alphas="auto",
        bandwidths="auto",
        centers=32,
        placement="even",
        kernel="gaussian",
        loss="cross_entropy",
        period=None,
        target_width=0.0,
        fit_intercept=True,
        location=None,
        scale=None,
        n_quadrature=None,
        cv=5,
        scoring=None,
        refit=True,
        n_jobs=None,
        max_iter=1000,
        tol=1e-6,
        path_tol="auto",
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
        self.location = location
        self.scale = scale
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
        configurations = self._head_configurations()
        lower, upper, sample_weight_ = read_fit_targets(
            X,
            y,
            sample_weight,
            target_width=float(self.target_width),
            period=params["period"],
        )
        data = _FitData(X, y, lower, upper, sample_weight_, sample_weight)
        splitter = check_cv(self.cv, y, classifier=False)
        folds = list(splitter.split(X, y, groups))
        scorer = check_scoring(SoftmaxKDERegressor(), scoring=self.scoring)
        searches = [
            self._search(heads, data, params, folds, scorer) for heads in configurations
        ]
        # The heads of the best mean score (the first configuration on a tie).
        best = max(range(len(searches)), key=lambda c: (searches[c].best, -c))
        found = searches[best]
        self.cv_results_ = _cv_results(searches, len(folds))
        self.location_, self.scale_ = found.heads
        self.alphas_, self.bandwidths_ = found.alphas, found.bandwidths
        self.scores_, self.n_iter_path_ = found.scores, found.n_iter
        j, i = found.best_index
        self.best_index_ = (int(j), int(i))
        self.alpha_ = float(self.alphas_[i])
        chosen = self.bandwidths_[j]
        location, scale = found.heads

        if self.refit:
            final = SoftmaxKDERegressor(
                **params,
                alpha=self.alpha_,
                bandwidth=chosen,
                verbose=self.verbose,
            )
            # The heads the search chose (none is a choice: not "auto").
            final.set_params(location=location, scale=scale)
            if "early_stopping" in final.get_params():
                # The exact fit at the chosen point, whatever the plain
                # estimator's default stopping rule.
                final.set_params(early_stopping=False)
            final.fit(X, y, sample_weight=sample_weight)
            self.coef_, self.intercept_ = final.coef_, final.intercept_
            for name in _HEAD_ATTRIBUTES:
                setattr(self, name, getattr(final, name, None))
            self.centers_, self.window_ = final.centers_, final.window_
            self.bandwidth_ = final.bandwidth_
            self.n_iter_, self.objective_ = final.n_iter_, final.objective_
            return self
        geometry = self._geometry(
            found.summary,
            found.fold_centers(chosen),
            chosen,
            found.z_lower,
            found.z_upper,
            sample_weight_,
        )
        solution = np.mean(found.search.solutions(chosen, self.alpha_), axis=0)
        n_atoms, n_features = geometry.centers.size, X.shape[1]
        if any(found.heads):
            model = LocationScaleLogits(
                n_atoms,
                n_features,
                fit_intercept=self.fit_intercept,
                location=location is not None,
                scale=scale is not None,
            )
        else:
            model = LinearLogits(n_atoms, n_features, fit_intercept=self.fit_intercept)
        coef, intercept = model.unpack(solution)
        self.coef_, self.intercept_ = coef.copy(), np.array(intercept, dtype=float)
        for name, value in _head_attributes(model, solution).items():
            setattr(self, name, value)
        self.centers_ = geometry.centers
        self.bandwidth_ = geometry.bandwidth
        self.window_ = geometry.window
        self.n_iter_, self.objective_ = 0, None
        return self

    def _head_configurations(self):
        """The ``(location, scale)`` pairs to search, validated, in order."""
        options = []
        for name in ("location", "scale"):
            value = getattr(self, name)
            values = [value] if value is None or isinstance(value, str) else value
            values = list(values)
            bad = [v for v in values if v not in (None, "linear")]
            if not values or bad or len(set(values)) < len(values):
                raise ValueError(
                    f"{name} must be None, 'linear' or a non-empty list of "
                    f"distinct ones of them (the options to search); got {value!r}."
                )
            options.append(values)
        configurations = [(loc, sc) for loc in options[0] for sc in options[1]]
        for location, scale in configurations:
            # The plain estimator's errors: a scale on a circle, a compact
            # kernel with heads on the line.
            check_heads(location, scale, as_period(self.period), self.kernel)
        return configurations

    def _search(self, heads, data, params, folds, scorer):
        """The search of ``alpha`` and ``bandwidth`` with the heads ``heads``."""
        X, y, lower, upper = data.X, data.y, data.lower, data.upper
        sample_weight_, used = data.sample_weight, data.used
        auto_alphas = isinstance(self.alphas, str)
        auto_bandwidths = isinstance(self.bandwidths, str)
        scale = alpha_scale(X[used], sample_weight_[used])
        if auto_alphas:
            alphas = np.array([AUTO_ALPHA * scale])
        elif isinstance(self.alphas, Integral):
            alphas = alpha_grid(X[used], sample_weight_[used], int(self.alphas))
        else:
            alphas = _grid(self.alphas, "alphas", low_open=False)
        alphas = np.sort(alphas)
        start = None
        z_lower, z_upper = lower, upper
        if any(heads):
            # The heads start where a fit at the first penalty would: the
            # kernels (and the bandwidth rule) see the targets it
            # standardises.
            start = HeadStart(heads[0] is not None, heads[1] is not None, alphas[0])
            fitted_start, _, _ = start.targets(
                X[used],
                lower[used],
                upper[used],
                sample_weight_[used],
                params["period"],
            )
            z_lower, z_upper = standardise(lower, upper, *head_values(X, fitted_start))
        summary = TargetSummary.from_targets(
            z_lower[used], z_upper[used], sample_weight_[used], period=params["period"]
        )
        rule = None
        if auto_bandwidths:
            rule = float(
                bandwidth_grid(summary, 1, centers=self.centers, kernel=self.kernel)[0]
            )
            compact = self.kernel in COMPACT_KERNELS
            factors = AUTO_COMPACT_FACTORS if compact else AUTO_BANDWIDTH_FACTORS
            bandwidths = [rule * f for f in factors]
        elif isinstance(self.bandwidths, Integral):
            bandwidths = bandwidth_grid(
                summary,
                int(self.bandwidths),
                centers=self.centers,
                kernel=self.kernel,
            )
        else:
            bandwidths = bandwidth_sets(self.bandwidths)
        if self.path_tol == "auto":
            auto = auto_alphas or auto_bandwidths
            path_tol = max(self.tol, AUTO_PATH_TOL) if auto else self.tol
        else:
            path_tol = self.tol if self.path_tol is None else self.path_tol

        def fold_centers(bandwidth):
            if self.refit:
                return self.centers
            # One geometry for all folds, so their coefficients can be averaged;
            # the centers of one scale (each fold's fit repeats them per scale).
            g = self._geometry(
                summary, self.centers, bandwidth, z_lower, z_upper, sample_weight_
            )
            return g.centers[: g.centers.size // g.n_scales]

        def evaluate(path_bandwidths, path_alphas, starts):
            centers = [fold_centers(b) for b in path_bandwidths]
            return Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
                delayed(scoring_path)(
                    X,
                    y,
                    lower,
                    upper,
                    sample_weight_,
                    np.asarray(train),
                    np.asarray(test),
                    alphas=path_alphas,
                    bandwidths=path_bandwidths,
                    centers=centers,
                    params=params,
                    scorer=scorer,
                    score_weights=data.weighted,
                    return_params=True,
                    path_tol=path_tol,
                    starts=None if starts is None else starts[k],
                    heads=start,
                )
                for k, (train, test) in enumerate(folds)
            )

        search = PathSearch(evaluate, len(folds))
        if auto_bandwidths:
            low, high = AUTO_BANDWIDTH_LIMITS
            low, high = (rule if compact else rule * low), rule * high
            # The rule's bandwidth first (from zero), the others warm.
            seeds = sorted(bandwidths, key=lambda b: abs(np.log(b / rule)))
            search.bracket_bandwidth(seeds, alphas, low=low, high=high)
        else:
            search.run([search.add(b) for b in bandwidths], alphas)
        if auto_alphas:
            alpha_low, alpha_high = AUTO_ALPHA_LIMITS
            search.search_alpha(low=alpha_low * scale, high=alpha_high * scale)
            j, alpha = search.best()
            if auto_bandwidths and abs(np.log10(alpha / alphas[0])) > 1 - 1e-9:
                # Far from where the bandwidth was searched: search it again
                # at this penalty, then the penalty at the new bandwidth.
                h = search.bandwidths[j]
                search.bracket_bandwidth(
                    [h / 2.0, h * 2.0], [alpha], low=low, high=high
                )
                search.search_alpha(low=alpha_low * scale, high=alpha_high * scale)
        return _HeadSearch(
            heads,
            search,
            search.arrays(
                None if auto_alphas else alphas,
                None if auto_bandwidths else bandwidths,
            ),
            summary=summary,
            z_lower=z_lower,
            z_upper=z_upper,
            fold_centers=fold_centers,
        )

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
