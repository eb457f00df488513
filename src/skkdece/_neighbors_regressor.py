"""SoftmaxKDENeighborsRegressor: the seed's gun, a learned metric over neighbours.

``fit`` reads the targets (:mod:`skkdece._targets`), embeds the features
(:mod:`skkdece._neighbors`), finds each row's neighbours among the other
training rows, builds the kernel table of the rows' targets under their
neighbours' kernels (:mod:`skkdece._loss`, per-row centers), and minimises the
blocked objective (:mod:`skkdece._objective`) over the metric's weights with
L-BFGS-B and non-negativity bounds (:mod:`skkdece._solver`); then it finds the
neighbours again in the learned metric and refits, ``n_rounds`` times.
Predictions come from :mod:`skkdece._base` on top of
:meth:`SoftmaxKDENeighborsRegressor.predict_distribution`.
"""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import deprecated
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._bandwidth import loo_bandwidth
from ._base import SHARED_CONSTRAINTS, SoftmaxKDEMixin
from ._distribution import KDEDistribution
from ._fit import check_fit_weights
from ._neighbors import (
    NeighborEmbedding,
    NeighborLogits,
    allowed_counts,
    locality_order,
    reads_in_place,
    search_tree,
    start_weights,
    training_neighbors,
    weighted_points,
)
from ._objective import BlockedObjective, blas_threads
from ._serial import serial_window
from ._solver import minimize_lbfgs
from ._tables._checks import check_kernel_period
from ._tables._factory import training_table
from ._targets import TargetSummary, rule_of_thumb_bandwidth, split_targets

# Pieces per feature of the "spline" embedding: knots at the quartiles.
_SPLINE_PIECES = 4
# Bounds on the log of the sharpness in training.
_LOG_SHARPNESS_LIMIT = 30.0
# Kernel values per block of the training table where the kernels gather
# each block's rows of E (a large E): a quarter of the default, so that the
# gathered rows stay in the caches, beside the block's kernel values, from
# the forward pass to the backward one (one evaluation at 1e6 rows, k = 32:
# 1.72x -> 1.39x the linear model's on one thread, 1.40x -> 1.20x on two;
# 512 KiB was no better).  Where they read E in place, the table's default:
# the Python work per block then weighs less (20 000 real waves: 251 blocks
# of 1 MiB, 57 ms an evaluation; 98 blocks of 4 MiB, 23 ms).
_TABLE_BLOCK_BYTES = 2**20


def atom_locations(lower, upper, neighbor_target):
    """Each training row's kernel: its center and the half-width of its box.

    ``"interval"``: a kernel smoothed over the row's whole target interval
    (center the midpoint, half-width half the interval); ``"center"``: a
    kernel at the midpoint (half-widths None).
    """
    mid = 0.5 * (lower + upper)
    if neighbor_target == "center":
        return mid, None
    return mid, 0.5 * (upper - lower)


def row_digest(columns, digest=None):
    """A 64-bit hash of each row of ``columns`` (by their bits).

    ``columns`` are 1-D arrays of one length (float64 or integers, integers
    read as float64).  ``digest``: a previous digest of the same rows, into
    which these columns are mixed (not modified).  A row's digest depends on
    that row alone, never on the rows beside it.
    """
    n = columns[0].shape[0]
    out = np.zeros(n, dtype=np.uint64) if digest is None else digest.copy()
    with np.errstate(over="ignore"):
        for column in columns:
            out ^= np.ascontiguousarray(column, dtype=np.float64).view(np.uint64)
            out *= np.uint64(0x9E3779B97F4A7C15)
            out ^= out >> np.uint64(29)
    return out


def first_equal_rows(columns, digest=None):
    """For each row, the position of the first row equal to it.

    ``columns`` are 1-D arrays of one length (float64 or integers), compared
    by their bytes through a hash of each row (:func:`row_digest`, or
    ``digest`` when given: the digest of these columns): a row is checked
    against the first row of its hash, and only rows of distinct hashes that
    collide are sorted in full (0.3 s for a million rows of ten features on
    two cores; sorting the rows themselves took 6 s).
    """
    n = columns[0].shape[0]
    bits = [np.ascontiguousarray(c, dtype=np.float64).view(np.uint64) for c in columns]
    if digest is None:
        digest = row_digest(columns)
    ordered = np.sort(digest)
    if not np.any(ordered[1:] == ordered[:-1]):
        return np.arange(n)
    _, where, same = np.unique(digest, return_index=True, return_inverse=True)
    first = where[same.reshape(-1)]
    unequal = np.zeros(n, dtype=bool)
    for column in bits:
        unequal |= column != column[first]
    if np.any(unequal):
        # Distinct rows of one hash: sort the rows of these hashes in full.
        shared = np.flatnonzero(np.isin(digest, digest[unequal]))
        key = np.column_stack([column[shared] for column in bits])
        _, where, same = np.unique(key, axis=0, return_index=True, return_inverse=True)
        first[shared] = shared[where][same.reshape(-1)]
    return first


def memory_rows(X, lower, upper, groups, sample_weight):
    """The rows a fit keeps as neighbours, and what each weighs.

    Rows of zero weight are dropped.  Rows equal in features, target and group
    become one row, at the first one's position, weighing their total: a
    row's twin is the row itself, never its neighbour.

    Returns
    -------
    X, lower, upper, groups, sample_weight
        The kept rows (``groups`` None if it was).
    rows : ndarray of shape (n_kept,)
        Each kept row's position in the input.
    digest : ndarray of shape (n_kept,), dtype uint64
        :func:`row_digest` of each kept row's ``lower``, ``upper`` and
        features (not its group): what ``partial_fit`` matches new rows by.
    """
    rows = np.flatnonzero(sample_weight > 0)
    weight = sample_weight[rows]
    every = rows.size == X.shape[0]
    columns = [lower, upper] if every else [lower[rows], upper[rows]]
    columns += list((X if every else X[rows]).T)
    base = row_digest(columns)
    digest = base
    if groups is not None:
        codes = np.unique(groups[rows], return_inverse=True)[1]
        columns.append(codes.reshape(-1))
        digest = row_digest(columns[-1:], base)
    first = first_equal_rows(columns, digest)
    own = first == np.arange(rows.size)
    if not np.all(own):
        weight = np.bincount(first, weights=weight, minlength=rows.size)[own]
        rows = rows[own]
        base = base[own]
    if rows.size == X.shape[0]:
        return X, lower, upper, groups, weight, rows, base
    kept_groups = None if groups is None else groups[rows]
    return X[rows], lower[rows], upper[rows], kept_groups, weight, rows, base


class MemorySearch:
    """The memory's points in the learned metric and their search tree.

    The tree (a Manhattan :class:`~sklearn.neighbors.NearestNeighbors`) is
    built on the first search, not when rows arrive: ``partial_fit`` calls in
    a row cost a copy of the points each, and the next prediction one build
    (the same tree as a build on all the rows at once, so the same answers
    bit for bit).

    Parameters
    ----------
    points : ndarray of shape (n_rows, n_live)
        :func:`~skkdece._neighbors.weighted_points` of the memory's rows.
    """

    def __init__(self, points):
        self.points = points
        self._tree = None

    def built(self):
        """Build the tree now (``fit`` does: its cost belongs to the fit)."""
        if self._tree is None:
            self._tree = NearestNeighbors(metric="manhattan").fit(self.points)
        return self

    def kneighbors(self, queries, k):
        """Distances and positions of each query's ``k`` nearest rows."""
        return self.built()._tree.kneighbors(queries, k)

    def extended(self, points):
        """A search over these rows and ``points`` after them (tree not built)."""
        return MemorySearch(np.concatenate([self.points, points]))


def _same_bits(a, b):
    """Whether two float64 arrays hold the same bits (None equals None)."""
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(
        np.ascontiguousarray(a).view(np.uint64), np.ascontiguousarray(b).view(np.uint64)
    )


class SoftmaxKDENeighborsRegressor(SoftmaxKDEMixin, BaseEstimator):
    """Distribution of the target from the targets of nearest neighbours.

    Each row's density is a kernel mixture over the targets of its
    ``n_neighbors`` nearest training rows, weighted by the softmax of minus a
    learned weighted Manhattan distance::

        p(t | x_i) = sum_j softmax_j(-sum_f w_f |x_if - x_jf|) K_j(t)

    with ``K_j`` a kernel over neighbour ``j``'s target: its whole interval
    smoothed by the kernel (``neighbor_target="interval"``) or a kernel at its
    midpoint (``"center"``).  This is the density of a nearest-neighbour gun
    in Robocode.  The weights are a sharpness ``s >= 0`` times a metric
    ``v >= 0`` (``w_f = s v_f``): the metric decides which rows are
    neighbours, the sharpness how strongly the nearest dominate.  Both are
    learned by minimising the same cross-entropy as
    :class:`SoftmaxKDERegressor` (the mean of ``-log p(t | x)`` over each
    target interval), leave-one-out: a training row's density comes from the
    other rows, never from itself, its group, or the rows next to it in the
    training order (``exclude_adjacent``).  After
    each fit the neighbours are found again in the learned metric and the
    weights refitted, ``n_rounds`` times in all.

    Rows equal in features, target and group are one training row weighing
    their number: a row's twin is the row itself, never its neighbour.  With
    ``sample_weight`` a row weighs its weight twice over, as in
    :class:`~sklearn.neighbors.KernelDensity`: in the loss (a weighted mean)
    and as a neighbour, whose kernel enters each mixture with its weight
    (``m_j exp(z_ij)`` in place of ``exp(z_ij)``).  So integer weights are
    repetitions, and a common factor of the weights changes nothing but the
    rule-of-thumb bandwidth, which reads their sum as the number of rows (as
    :class:`SoftmaxKDERegressor` does).

    Parameters
    ----------
    n_neighbors : int, default=32
        Neighbours whose kernels make up each density.  When some training row
        may take fewer rows as neighbours (a small training set, large groups),
        ``fit`` uses that many, with a warning, as
        :class:`~sklearn.preprocessing.QuantileTransformer` caps its quantiles.
    metric : {"learned", "fixed"} or array-like of shape (n_features,), \
default="learned"
        ``"learned"``: fit the weights.  ``"fixed"``: keep the data-driven
        start (every feature standardised by its mean absolute deviation from
        its median, all with weight ``1 / n_features``).  An array: these
        weights of the raw features, kept fixed (zeros give the plain
        nearest-neighbour density, every neighbour weighing ``1 / k``).
    embedding : {None, "spline"}, default=None
        ``None``: distances in the standardised features.  ``"spline"``: a
        learned monotone piecewise-linear map of each feature, with knots at
        its quartiles, so that a feature can count more in one part of its
        range than in another.
    neighbor_target : {"interval", "center"}, default="interval"
        A neighbour's kernel: uniform on its target interval convolved with
        the kernel (closed form through the kernel's CDF), or the kernel at
        the interval's midpoint.  The same for point targets.
    kernel : {"gaussian", "exponential", "tophat", "epanechnikov", "linear", \
"cosine", "vonmises"}, default="gaussian"
        Kernel shape; ``"vonmises"`` needs a period.
    bandwidth : float or {"auto", "scott", "silverman"}, default="auto"
        Kernel bandwidth, or how to choose it.  ``"auto"``: the bandwidth of
        the best leave-one-out score (the training objective), chosen before
        the last round from the metric the earlier rounds learned, on up to
        1 000 training rows, by Brent's search in ``log h`` from ``[h_S / 10,
        2 h_S]`` (``h_S`` Scott's rule counting rows), extended down by
        decades to ``h_S / 1000`` while the best lies at the lower end.  A
        bandwidth from the spread of all the targets suits the density of the
        target alone; a conditional density is narrower.  ``"scott"``,
        ``"silverman"``: the rule of thumb for the training targets' spread,
        as for :class:`SoftmaxKDERegressor`.
    period : float or None, default=None
        Period of a circular target (``2 * np.pi``, ``360``, ...).
    target_width : float, default=0.0
        Half-width of the uniform target around each point in a 1-D ``y``.
    alpha : float, default=1e-3
        L2 penalty ``alpha / 2 * ||v - v0||^2`` on the metric (its weights in
        standardised units, ``v_f = w_f * scale_f / s``, summing to one),
        around the data-driven start ``v0 = 1 / n_features`` (the ``"fixed"``
        metric) in the first round and around the metric that found the
        neighbours in later rounds: it keeps weights of uninformative features
        where they were instead of letting them drift.  The sharpness ``s`` is
        not penalised.
    n_rounds : int, default=2
        Rounds of finding neighbours (in the current metric) and refitting the
        weights, each warm-started from the last.
    exclude_adjacent : int or "auto", default="auto"
        In training, rows within this many positions of each other in the
        order of ``X`` are never each other's neighbours.  Consecutive rows of
        a recording are near-duplicates; without this the metric learns to find
        a row's twin, which new data never has.  ``"auto"``: 0 when ``fit``
        is given ``groups``; otherwise measured from the data
        (:mod:`skkdece._serial`): probe rows' nearest neighbours in the
        standardised features are compared, in their distance in row order,
        with where a shuffled order would put them, and the window is the lag
        beyond which they lie no nearer than chance, with a warning naming
        it.  Shuffled rows give 0 (no warning): the same fit as
        ``exclude_adjacent=0``.  The window leaves every row at least
        ``n_neighbors`` candidates.
    max_iter : int, default=500
        Maximum L-BFGS-B iterations per round.
    tol : float, default=1e-6
        L-BFGS-B stops when the largest projected gradient component falls
        below this.
    warm_start : bool, default=False
        Start from the previous weights when refitting on the same features.
    verbose : int, default=0
        Print a progress table of each round's optimisation when positive.
    callback : callable or None, default=None
        Called after every iteration as ``callback(params, n_iter)``, with
        ``params`` a dict of copies of the current values of the fitted
        attributes ``"feature_weights_"``, ``"metric_weights_"`` and
        ``"sharpness_"``, and ``n_iter`` counted over all rounds.

    Attributes
    ----------
    feature_weights_ : ndarray of shape (n_features,)
        The learned weight ``w_f`` of each raw feature (with the spline
        embedding, its mean slope).
    metric_weights_ : ndarray of shape (n_outputs,)
        The metric ``v`` on the embedding's outputs (standardised units,
        summing to one): the neighbours of a row are the nearest in
        ``sum_p v_p |E_p(x) - E_p(x')|``.
    sharpness_ : float
        The scale ``s`` of the logits, ``-s * sum_p v_p |E_p(x) - E_p(x')|``.
    feature_center_ : ndarray of shape (n_features,)
        Each feature's (weighted) median.
    feature_scale_ : ndarray of shape (n_features,)
        Each feature's (weighted) mean absolute deviation from its median:
        distances are in units of it (zero for a constant feature, which is
        then ignored).
    knots_ : list of ndarray
        Interior knots of each feature's pieces, in standardised units
        ``(x - feature_center_) / feature_scale_`` (empty without the spline
        embedding).
    centers_ : ndarray of shape (n_samples_fit,)
        Midpoints of the training targets: the neighbours' kernel centers.
    half_widths_ : ndarray of shape (n_samples_fit,) or None
        Half-widths of the training targets' boxes (``"interval"``).
    bandwidth_ : float
        Kernel bandwidth used.
    window_ : tuple of float or None
        ``(start, start + period)`` when periodic; None otherwise.
    n_iter_ : int
        L-BFGS-B iterations, summed over the rounds.
    objective_ : float
        Final value of the penalised leave-one-out objective.
    n_samples_fit_ : int
        Training rows kept as neighbours: rows of positive weight, equal rows
        counted once.
    n_neighbors_ : int
        Neighbours per row: ``n_neighbors``, or fewer (with a warning) when
        some training row may take fewer rows as neighbours.
    exclude_adjacent_ : int
        The window of ``exclude_adjacent`` used (chosen from the data under
        ``"auto"``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    SoftmaxKDERegressor : Linear logits over fixed centers.
    sklearn.neighbors.NeighborhoodComponentsAnalysis : A metric learned for
        classification by neighbours.

    Notes
    -----
    Use it when "rows like this one ended here" says more than a smooth
    function of the features: many rows, few informative features, targets
    that depend on the features in ways a linear logit cannot follow.  It
    keeps the training set, and each prediction searches it.  Pass the
    recording, battle or round of each row as ``groups`` to ``fit`` so that
    training never lets a row's own recording predict it.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDENeighborsRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(300, 2))
    >>> y = np.sign(X[:, 0]) + rng.normal(scale=0.1, size=300)  # X[:, 1] is noise
    >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=10).fit(X, y)
    >>> bool(model.feature_weights_[0] > model.feature_weights_[1])
    True
    >>> model.predict([[0.5, 0.0], [-0.5, 0.0]]).round(0)
    array([ 1., -1.])
    """

    _parameter_constraints: dict = {
        **SHARED_CONSTRAINTS,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions({"learned", "fixed"}), "array-like"],
        "embedding": [StrOptions({"spline"}), None],
        "neighbor_target": [StrOptions({"interval", "center"})],
        "bandwidth": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto", "scott", "silverman"}),
        ],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "exclude_adjacent": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
    }

    def __init__(
        self,
        *,
        n_neighbors=32,
        metric="learned",
        embedding=None,
        neighbor_target="interval",
        kernel="gaussian",
        bandwidth="auto",
        period=None,
        target_width=0.0,
        alpha=1e-3,
        n_rounds=2,
        exclude_adjacent="auto",
        max_iter=500,
        tol=1e-6,
        warm_start=False,
        verbose=0,
        callback=None,
    ):
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.embedding = embedding
        self.neighbor_target = neighbor_target
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.period = period
        self.target_width = target_width
        self.alpha = alpha
        self.n_rounds = n_rounds
        self.exclude_adjacent = exclude_adjacent
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.callback = callback

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # score is a mean log-likelihood, not R^2 (see SoftmaxKDERegressor).
        tags.regressor_tags.poor_score = True
        return tags

    def _exclusion(self, points, groups, tree=None):
        """The ``exclude_adjacent`` window of this fit (``"auto"``: measured).

        ``"auto"`` without ``groups``: :func:`skkdece._serial.serial_window`
        in the start metric (``tree``: the points' search tree, if built),
        at most the window that leaves every row ``n_neighbors`` candidates,
        with a warning when positive.
        """
        if self.exclude_adjacent != "auto":
            return int(self.exclude_adjacent)
        if groups is not None:
            return 0
        n = points.shape[0]
        window, near, chance = serial_window(points, self.n_neighbors, tree=tree)
        window = min(window, max(0, (n - 1 - int(self.n_neighbors)) // 2))
        if window:
            warnings.warn(
                f"The training rows look time-ordered: {near:.0%} of the "
                f"nearest neighbours of a row lie within {window} rows of it, "
                f"against {chance:.1%} in a shuffled order. Rows within "
                f"{window} positions of each other are kept out of each "
                f"other's training neighbours (exclude_adjacent='auto' chose "
                f"{window}). Pass the recording, battle or round of each row "
                "as groups to fit, or set exclude_adjacent, to choose yourself.",
                UserWarning,
                stacklevel=4,
            )
        return window

    def _n_neighbors(self, n, groups, exclude):
        """``n_neighbors``, or fewer (with a warning) if the rows allow fewer."""
        allowed = int(np.min(allowed_counts(groups, exclude, n)))
        if allowed < 1:
            raise ValueError(
                f"Every training row needs at least one other row as its "
                f"neighbour; with n_samples={n}"
                + (", these groups" if groups is not None else "")
                + f" and exclude_adjacent={exclude} some row has "
                "none."
            )
        if allowed < self.n_neighbors:
            warnings.warn(
                f"n_neighbors={self.n_neighbors} is more than the {allowed} "
                f"training rows that some row may take as neighbours "
                f"(n_samples={n}); using n_neighbors={allowed}.",
                UserWarning,
                stacklevel=4,
            )
        return min(allowed, int(self.n_neighbors))

    def _validate_metric(self, embedding):
        """``(s, v)`` of an array metric (None otherwise).

        The raw weights become ``phi = w * scale`` on the standardised
        features, ``s = sum(phi)`` and ``v = phi / s``; all zeros give the
        plain nearest-neighbour density: the start's neighbours, equal weights.
        """
        if isinstance(self.metric, str):
            return None
        if self.embedding is not None:
            raise ValueError(
                "A fixed array metric weighs the raw features; it cannot be "
                "combined with embedding='spline'."
            )
        weights = np.asarray(self.metric, dtype=np.float64)
        if weights.shape != (self.n_features_in_,):
            raise ValueError(
                f"metric must have one weight per feature, shape "
                f"({self.n_features_in_},); got shape {weights.shape}."
            )
        if not np.all(np.isfinite(weights) & (weights >= 0)):
            raise ValueError("metric weights must be finite and non-negative.")
        phi = weights * embedding.scale
        total = float(np.sum(phi))
        if total == 0:
            return 0.0, start_weights(embedding)
        return total, phi / total

    def _read_rows(self, X, y, sample_weight, reset):
        """Validated X, target intervals and weights (``fit``, ``partial_fit``)."""
        X, y = validate_data(
            self, X, y, reset=reset, dtype=np.float64, multi_output=True, y_numeric=True
        )
        lower, upper = split_targets(
            y,
            target_width=float(self.target_width),
            period=None if self.period is None else float(self.period),
            n_samples=X.shape[0],
        )
        return X, lower, upper, check_fit_weights(sample_weight, X)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Learn the metric from features and target angles or intervals.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,) or (n_samples, 2)
            Point targets (widened by ``target_width``) or ``[lower, upper]``
            intervals.  With a period, ``lower <= upper <= lower + period``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights with a positive sum.  A row's weight counts
            in the loss (a weighted mean) and in the mixtures it is a
            neighbour in: integer weights are repetitions.  A row of zero
            weight is dropped: it is no one's neighbour, as if removed.  The
            features' medians and spreads are weighted too, and the bandwidth
            rules count the weights as rows.
        groups : array-like of shape (n_samples,), default=None
            Group of each row (a battle, a round, a recording): rows of one
            group are never each other's neighbours in training.

        Returns
        -------
        self : SoftmaxKDENeighborsRegressor
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDENeighborsRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(120, 3))
        >>> y = X[:, 0] + 0.1 * rng.normal(size=120)
        >>> rounds = np.repeat(np.arange(6), 20)
        >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=8)
        >>> model = model.fit(X, y, groups=rounds)
        >>> model.feature_weights_.shape, model.n_samples_fit_
        ((3,), 120)
        """
        check_kernel_period(self.kernel, self.period)
        X, lower, upper, sample_weight = self._read_rows(X, y, sample_weight, True)
        period = None if self.period is None else float(self.period)
        if groups is not None:
            groups = column_or_1d(groups, warn=True)
            if groups.shape[0] != X.shape[0]:
                raise ValueError(
                    f"groups has {groups.shape[0]} entries for {X.shape[0]} rows of X."
                )
        X, lower, upper, groups, sample_weight, rows, digest = memory_rows(
            X, lower, upper, groups, sample_weight
        )
        n = X.shape[0]
        # Equal weights are no weights: the same arithmetic, bit for bit.
        equal = bool(np.all(sample_weight == sample_weight[0]))
        mass = None if equal else sample_weight
        embedding = NeighborEmbedding.from_data(
            X,
            n_pieces=_SPLINE_PIECES if self.embedding == "spline" else 1,
            sample_weight=mass,
        )
        E = embedding.transform(X)
        start = start_weights(embedding)
        # The start metric's search tree serves the serial-window test and,
        # when the first round starts from that metric, the first search.
        start_points = weighted_points(E, start)
        start_tree = None
        if self.exclude_adjacent == "auto" and groups is None:
            start_tree = search_tree(start_points)
        exclude = self._exclusion(start_points, groups, start_tree)
        k = self._n_neighbors(n, groups, exclude)
        summary = TargetSummary.from_targets(lower, upper, sample_weight, period=period)
        choose_h = self.bandwidth == "auto"
        if choose_h:
            # The search's bracket: Scott's rule counting rows, not weights,
            # so that a common factor of the weights leaves it where it is.
            c = n / summary.weight
            counted = replace(
                summary, weight=n, first=summary.first * c, second=summary.second * c
            )
            h = rule_of_thumb_bandwidth(counted, "scott", self.kernel, k)
        elif isinstance(self.bandwidth, str):
            h = rule_of_thumb_bandwidth(summary, self.bandwidth, self.kernel, k)
        else:
            h = float(self.bandwidth)
        rule_h = h
        centers, half_widths = atom_locations(lower, upper, self.neighbor_target)

        log_mass = None if equal else np.log(sample_weight / np.max(sample_weight))
        row_weight = (
            np.full(n, 1 / n) if equal else sample_weight / np.sum(sample_weight)
        )
        fixed = self._validate_metric(embedding)
        params = NeighborLogits.pack(*((1.0, start) if fixed is None else fixed))
        if (
            self.warm_start
            and fixed is None
            and getattr(self, "metric_weights_", None) is not None
            and self.metric_weights_.shape == start.shape
        ):
            params = NeighborLogits.pack(self.sharpness_, self.metric_weights_)
        learn = isinstance(self.metric, str) and self.metric == "learned"
        live = embedding.scale[embedding.feature] > 0
        # log s within +-30: from equal weights (to 1e-13) to far sharper than
        # any distance between distinct rows asks, and no overflow in a step.
        bounds = [(-_LOG_SHARPNESS_LIMIT, _LOG_SHARPNESS_LIMIT)] + [
            (0.0, np.inf) if ok else (0.0, 0.0) for ok in live
        ]

        def callback(params, n_iter):
            s, v = NeighborLogits.unpack(params)
            current = {
                "feature_weights_": embedding.feature_weights(s * v),
                "metric_weights_": v.copy(),
                "sharpness_": s,
            }
            self.callback(current, n_done + n_iter)

        n_done, objective_value = 0, None
        n_rounds = self.n_rounds if learn else 1
        # The tables on as many threads as the loss and the search (one in
        # joblib's workers): the table does not depend on the count.
        n_threads = blas_threads()
        found = None  # the previous round's neighbours, by row
        for r in range(n_rounds):
            if start_tree is not None and np.array_equal(params[1:], start):
                points, tree = start_points, start_tree
                start_points = start_tree = None
            else:
                start_points = start_tree = None
                points = weighted_points(E, params[1:])
                tree = search_tree(points)
            # Each row's neighbours in the previous round's metric seed its
            # search (the same answer, found sooner where the metric moved
            # little).
            neighbors = training_neighbors(
                points,
                k,
                groups=groups,
                exclude_adjacent=exclude,
                tree=tree,
                seeds=found,
            )
            found = neighbors.astype(np.int32) if r + 1 < n_rounds else None
            # The objective holds the rows in the search tree's order, so that
            # a block's rows and their neighbours lie close together in
            # memory (distances recomputed from E hit the cache).
            order = locality_order(points, tree)
            del points, tree
            rank = np.empty_like(order)
            rank[order] = np.arange(n)
            neighbors = rank[neighbors[order]]
            # Each row's neighbours in memory order (its atoms' order does not
            # matter): the kernels' gathers then sweep E forwards, 10% faster
            # per evaluation at a million rows.
            neighbors.sort(axis=1)
            # The bandwidth once, before the last round: from the metric the
            # earlier rounds learned and the neighbours it finds.
            if choose_h and r == n_rounds - 1:
                h = loo_bandwidth(
                    params,
                    E[order],
                    neighbors,
                    lower[order],
                    upper[order],
                    centers[order],
                    None if half_widths is None else half_widths[order],
                    None if log_mass is None else log_mass[order],
                    row_weight[order],
                    kernel=self.kernel,
                    period=period,
                    window_start=0.0 if period is None else summary.window_start,
                    rule=rule_h,
                )
            table = training_table(
                lower[order],
                upper[order],
                centers[order][neighbors],
                kernel=self.kernel,
                bandwidth=h,
                period=period,
                half_widths=None
                if half_widths is None
                else half_widths[order][neighbors],
                block_bytes=None if reads_in_place(E) else _TABLE_BLOCK_BYTES,
                n_threads=n_threads,
            )
            table.check_covered(rows=rows[order])
            # The penalty's centre: the start, then the metric that found this
            # round's neighbours, so that a round preferring equal weights
            # (s -> 0, no gradient on v) keeps that metric.
            anchor = NeighborLogits.unpack(params)[1] if n_done else start
            model = NeighborLogits(E.shape[1], anchor, self.alpha)
            data = (E[order], neighbors)
            if log_mass is not None:
                data += (log_mass[order],)
            objective = BlockedObjective(table, model, data, row_weight[order])
            with objective.running():
                if not learn:
                    objective_value = objective.loss_gradient(params)[0]
                    break
                result = minimize_lbfgs(
                    objective.loss_gradient,
                    params,
                    bounds=bounds,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    verbose=self.verbose,
                    callback=None if self.callback is None else callback,
                    name=type(self).__name__,
                )
            params = result.params
            n_done += result.n_iter
            objective_value = result.objective
            # The next round's search and table are built without this
            # round's beside them (at 20 000 real waves a table holds 0.2 GB).
            del table, objective, data, model

        self._embedding = embedding
        self._log_mass = log_mass
        self.feature_center_ = embedding.center
        self.feature_scale_ = embedding.scale
        self.knots_ = embedding.knots
        sharpness, metric = NeighborLogits.unpack(params)
        self.sharpness_ = sharpness
        self.metric_weights_ = metric.copy()
        self.feature_weights_ = embedding.feature_weights(sharpness * metric)
        self._tree = MemorySearch(weighted_points(E, metric)).built()
        self._memory_weight = sample_weight
        self._memory_digest = digest
        self.centers_ = centers
        self.half_widths_ = half_widths
        self.bandwidth_ = float(h)
        start_w = summary.window_start
        self.window_ = None if period is None else (start_w, start_w + period)
        self.n_iter_ = n_done
        self.objective_ = float(objective_value)
        self.n_samples_fit_ = n
        self.n_neighbors_ = k
        self.exclude_adjacent_ = exclude
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Add rows to the memory that predictions search, keeping the metric.

        The learned metric and embedding, the sharpness, the bandwidth, the
        window and ``n_neighbors_`` stay as ``fit`` left them: only the rows
        whose targets the mixtures are made of grow.  This is the gun of a
        new battle: its metric learned offline, its memory the waves of the
        battle so far.  On an estimator not yet fitted, the first call is
        ``fit(X, y, sample_weight)`` (learning the metric from these rows, as
        :meth:`~sklearn.cluster.MiniBatchKMeans.partial_fit` initialises from
        its first batch).

        The memory keeps ``fit``'s rules: rows of zero weight are dropped, a
        row weighs its weight as a neighbour, and a row equal to one already
        held (the same features and target, so the same point, kernel center
        and box) adds its weight to that row instead of taking a second
        place among the neighbours.  Rows ``fit`` kept apart only by their
        ``groups`` stay apart; a new row equal to them joins the first.  So
        the memory, and every prediction, does not depend on how the rows
        were split into calls: after ``partial_fit`` in chunks the
        predictions equal, bit for bit, those after one call with all the
        rows, and ``forget().partial_fit(X, y)`` holds the same memory as
        ``fit(X, y)`` (without ``groups``).

        The search tree is rebuilt, over all the rows, at the first
        prediction after new rows arrive (about 0.1 s at 50 000 rows of 11
        features on two cores), so add rows in chunks where you can.  The metric is not
        refitted: to learn it again from more rows, call ``fit`` on all of
        them (with ``groups``) and ``warm_start=True``, which starts from the
        current sharpness and metric.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features, as many as ``fit`` saw (and the same names).
        y : array-like of shape (n_samples,) or (n_samples, 2)
            Point targets (widened by ``target_width``) or ``[lower, upper]``
            intervals, as for ``fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights with a positive sum; a row of zero weight is
            not added.

        Returns
        -------
        self : SoftmaxKDENeighborsRegressor
            The estimator, its memory grown by the new rows.

        See Also
        --------
        forget : Empty the memory and keep the metric.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDENeighborsRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 2))
        >>> y = X[:, 0] + 0.1 * rng.normal(size=200)
        >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=8)
        >>> model = model.fit(X[:100], y[:100], groups=np.repeat(np.arange(5), 20))
        >>> model = model.partial_fit(X[100:150], y[100:150])
        >>> model = model.partial_fit(X[150:], y[150:])
        >>> model.n_samples_fit_
        200
        """
        try:
            check_is_fitted(self)
        except NotFittedError:
            return self.fit(X, y, sample_weight=sample_weight)
        X, lower, upper, sample_weight = self._read_rows(X, y, sample_weight, False)
        rows = np.flatnonzero(sample_weight > 0)
        weight = sample_weight[rows]
        X, lower, upper = X[rows], lower[rows], upper[rows]
        digest = row_digest([lower, upper, *X.T])
        points = weighted_points(self._embedding.transform(X), self.metric_weights_)
        # The fitted kind of atom, whatever set_params did since.
        target = "center" if self.half_widths_ is None else "interval"
        centers, half = atom_locations(lower, upper, target)
        # Equal rows: the same digest, and the same bits of all predictions
        # read of them.
        key = [digest.view(np.float64), *points.T, centers]
        first = first_equal_rows(key + ([] if half is None else [half]))
        distinct = np.flatnonzero(first == np.arange(first.size))
        held = self._memory_digest
        match = np.full(distinct.size, -1)
        for u in np.flatnonzero(np.isin(digest[distinct], held)):
            i = distinct[u]
            for j in np.flatnonzero(held == digest[i]):
                if (
                    _same_bits(self._tree.points[j], points[i])
                    and _same_bits(self.centers_[j], centers[i])
                    and (half is None or _same_bits(self.half_widths_[j], half[i]))
                ):
                    match[u] = j
                    break
        new = match < 0
        slot = np.where(new, self.n_samples_fit_ + np.cumsum(new) - 1, match)
        weights = np.concatenate([self._memory_weight, np.zeros(np.sum(new))])
        # Added in row order, as fit's sums of equal rows are.
        np.add.at(weights, slot[np.searchsorted(distinct, first)], weight)
        added = distinct[new]
        self._tree = self._tree.extended(points[added])
        self.centers_ = np.concatenate([self.centers_, centers[added]])
        if half is not None:
            self.half_widths_ = np.concatenate([self.half_widths_, half[added]])
        self._memory_digest = np.concatenate([held, digest[added]])
        self._set_memory_weight(weights)
        return self

    def forget(self):
        """Empty the memory that predictions search, keeping the metric.

        What ``fit`` learned (the metric and embedding, the sharpness, the
        bandwidth, the window, ``n_neighbors_``) stays; the rows go, and
        :meth:`partial_fit` fills the memory again.  This is the start of a
        new battle for a gun trained offline.  Predicting from an empty
        memory raises a ``ValueError``; with fewer rows than
        ``n_neighbors_``, a prediction mixes all of them.

        A method, not a constructor parameter: the memory is fitted state,
        not a hyper-parameter that ``clone`` and ``set_params`` should carry,
        and :func:`~sklearn.base.clone` would drop the learned metric with
        it.  Like ``fit`` it changes the estimator and returns it, so keep
        the trained one with :func:`copy.deepcopy` where both are needed::

            gun = copy.deepcopy(trained).forget()

        Returns
        -------
        self : SoftmaxKDENeighborsRegressor
            The estimator with an empty memory (``n_samples_fit_ == 0``).

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDENeighborsRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X[:, 0] + 0.1 * rng.normal(size=100)
        >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=8).fit(X, y)
        >>> weights = model.metric_weights_.copy()
        >>> model = model.forget()
        >>> model.n_samples_fit_, bool(np.all(model.metric_weights_ == weights))
        (0, True)
        >>> model = model.partial_fit(X[:3], y[:3])
        >>> model.predict_distribution(X[:1]).centers.shape
        (1, 3)
        """
        check_is_fitted(self)
        self._tree = MemorySearch(np.empty((0, self._tree.points.shape[1])))
        self.centers_ = np.empty(0)
        if self.half_widths_ is not None:
            self.half_widths_ = np.empty(0)
        self._memory_digest = np.empty(0, dtype=np.uint64)
        self._set_memory_weight(np.empty(0))
        return self

    def _set_memory_weight(self, weights):
        """The memory rows' weights, their log masses and count (as ``fit``)."""
        self._memory_weight = weights
        equal = weights.size == 0 or bool(np.all(weights == weights[0]))
        self._log_mass = None if equal else np.log(weights / np.max(weights))
        self.n_samples_fit_ = weights.size

    def predict_distribution(self, X):
        """The predicted distribution of the target for every row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        distribution : KDEDistribution
            One mixture per row over its ``n_neighbors`` nearest training rows'
            kernels (per-row centers); see :class:`skkdece.KDEDistribution`.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece import SoftmaxKDENeighborsRegressor
        >>> X = np.random.default_rng(0).uniform(-1, 1, size=(60, 1))
        >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=5).fit(X, X[:, 0])
        >>> dist = model.predict_distribution(X[:3])
        >>> len(dist), dist.centers.shape
        (3, (3, 5))
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if self.n_samples_fit_ == 0:
            raise ValueError(
                f"This {type(self).__name__}'s memory is empty (forget() was "
                "called): add rows with partial_fit before predicting."
            )
        points = weighted_points(self._embedding.transform(X), self.metric_weights_)
        k = min(self.n_neighbors_, self.n_samples_fit_)
        distance, index = self._tree.kneighbors(points, k)
        logits = -self.sharpness_ * distance
        if self._log_mass is not None:
            logits += self._log_mass[index]
        half = None if self.half_widths_ is None else self.half_widths_[index]
        return KDEDistribution(
            log_softmax(logits, axis=1),
            self.centers_[index],
            kernel=self.kernel,
            bandwidth=self.bandwidth_,
            period=None if self.period is None else float(self.period),
            window_start=0.0 if self.window_ is None else self.window_[0],
            half_widths=half,
        )

    # Deprecated after 0.1.0: the fitted embedding was a private type.
    @deprecated(
        "embedding_ is deprecated and will be removed: use feature_center_, "
        "feature_scale_ and knots_."
    )
    @property
    def embedding_(self):
        """The fitted embedding (deprecated: see ``feature_center_``)."""
        check_is_fitted(self)
        return self._embedding
