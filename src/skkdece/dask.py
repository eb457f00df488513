"""Fit and predict on Dask arrays: tables stay on the workers, L-BFGS on the client.

:class:`DaskSoftmaxKDERegressor` is :class:`~skkdece.SoftmaxKDERegressor`
with a ``fit`` and a prediction surface that also take Dask arrays (and Dask
DataFrames).  It is a separate estimator, in a module of its own, so that
``import skkdece`` never imports Dask and the in-memory estimator never has
to tell a Dask collection from an array; on NumPy input it *is* the
in-memory estimator (same code, same result), and a fitted model is a
``SoftmaxKDERegressor`` for everything else (export, plots, in-memory
predictions).

The fit follows the in-memory one step by step, each step a reduction over
the partitions of the rows:

1. every partition is read and validated on its worker, and kept there
   (rows with zero weight dropped) while the geometry is worked out;
2. small per-partition reductions come back to the client: the first kept
   target (the reference of the moments), the features' extremes (the
   solver's preconditioning scale), the weights' sum, then the partial
   :class:`~skkdece._targets.TargetSummary` about that reference, combined
   in partition order into the window, spread, bandwidth and centers;
3. every partition builds its kernel table once, joined with its rows of X
   in a :class:`~skkdece._objective.BlockedObjective`, persisted on its
   worker for the whole fit;
   With a location or scale head, the two-stage start's ridge regressions
   are reductions too (the target's weighted sum, then ``X^T W X`` and
   ``X^T W t`` about the means, solved on the client), and the geometry
   comes from the partitions' targets standardised by that start;
4. each L-BFGS evaluation sends the parameters to every partition and gets
   back only its unpenalised ``(loss, gradient)`` partial sums (weights
   divided by the global sum), added on the client in partition order, the
   penalty once.  The result does not depend on the number of workers or
   on scheduling, and equals the in-memory fit to rounding.  The heads are
   part of the parameter vector: a partition's table of raw targets
   (:class:`~skkdece._location_scale.LocationScaleTable`) standardises
   them at every evaluation.  With heads the objective is flat and not
   convex, and rounding sends L-BFGS-B down a slightly different path:
   the fit equals the in-memory one to the solver's tolerance.

A worker lost during a fit loses its partitions' objectives; the scheduler
rebuilds them from the task graph (deterministically, so the fit goes on to
the same result) or, when it cannot, the fit fails with Dask's error.

Predictions on a Dask array are Dask arrays, computed lazily block by block
with the fitted model shipped to each block.
"""

import asyncio
import warnings
from functools import wraps
from numbers import Integral

import numpy as np
from scipy import linalg
from sklearn import config_context, get_config
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ._docstrings import parameters_as_for
from ._fit import as_period, check_weight_total
from ._linear import LinearLogits, feature_scale
from ._linear_regressor import SoftmaxKDERegressor
from ._location_scale import (
    _LOG_ABS_NORMAL_MEAN,
    LocationScaleLogits,
    LocationScaleTable,
    head_values,
    standardise,
)
from ._objective import BlockedObjective
from ._tables._checks import check_kernel_period, row_list
from ._tables._factory import training_table
from ._targets import TargetSummary, resolve_geometry, split_targets

try:
    import dask
    import dask.array as da
    from dask.sizeof import sizeof
except ImportError as exc:  # pragma: no cover - the tests install Dask
    raise ImportError(
        "skkdece.dask needs Dask: pip install 'skkdece[dask]' (or "
        "pip install 'dask[array,distributed]')."
    ) from exc

__all__ = ["DaskSoftmaxKDERegressor"]

# How often a fit checks that the workers its evaluations are pinned to live.
_RECHECK_SECONDS = 5.0


# --------------------------------------------------------------------- inputs
def _is_dask(obj):
    return dask.is_dask_collection(obj)


def _as_dask_array(obj, name):
    """A Dask array from a Dask array, DataFrame or Series (known chunk sizes)."""
    if hasattr(obj, "to_dask_array"):
        return obj.to_dask_array(lengths=True)
    if isinstance(obj, da.Array):
        if any(np.isnan(c) for c in obj.chunks[0]):
            obj = obj.compute_chunk_sizes()
        return obj
    raise TypeError(f"{name} must be a Dask array or DataFrame; got {type(obj)}.")


def _feature_names(X):
    """String column names of a (Dask) DataFrame, or None."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(columns, dtype=object)
    return names if all(isinstance(c, str) for c in names) else None


def _row_aligned(values, row_chunks, name, *, n_rows):
    """``values`` (NumPy or Dask, 1-D or 2-D) in the row chunks of X."""
    if _is_dask(values):
        values = _as_dask_array(values, name)
    else:
        values = np.asarray(values)
    if values.ndim not in (1, 2) or values.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have {n_rows} rows, like X; got shape {values.shape}."
        )
    chunks = (row_chunks,) if values.ndim == 1 else (row_chunks, values.shape[1])
    if isinstance(values, da.Array):
        return values.rechunk(chunks)
    return da.from_array(values, chunks=chunks)


def _dask_rows(X, name="X"):
    """X as a 2-D Dask array of rows, each block holding every column."""
    X = _as_dask_array(X, name)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got {X.ndim}-D.")
    return X.rechunk({1: -1})


def _check_block(X_block, n_features=None):
    """A validated float block of X (any number of rows, even none)."""
    X_block = check_array(X_block, dtype=(np.float64, np.float32), ensure_min_samples=0)
    if n_features is not None and X_block.shape[1] != n_features:
        raise ValueError(
            f"X has {X_block.shape[1]} features, but the model is expecting "
            f"{n_features} features as input."
        )
    return X_block


# ------------------------------------------------------------ fit: partitions
class _Rows:
    """One partition's validated, kept rows, and the reductions the fit needs."""

    def __init__(self, X, lower, upper, sample_weight, rows):
        self.X, self.lower, self.upper = X, lower, upper
        self.sample_weight = sample_weight
        # Global row numbers of the kept rows, for error messages.
        self.rows = rows

    def stats(self):
        """``(reference or None, feature max, feature min, weight sum,
        weighted feature sums, weighted sums of squares, kept rows)``."""
        if self.rows.size == 0:
            return None, None, None, 0.0, None, None, 0
        reference = 0.5 * (self.lower[0] + self.upper[0])
        X = np.asarray(self.X, dtype=np.float64)
        return (
            float(reference),
            np.max(self.X, axis=0),
            np.min(self.X, axis=0),
            float(np.sum(self.sample_weight)),
            self.sample_weight @ X,
            self.sample_weight @ (X * X),
            int(self.rows.size),
        )

    def midpoints(self):
        """``(midpoints, weights)`` of the rows' targets (quantile centers)."""
        return 0.5 * (self.lower + self.upper), self.sample_weight

    def first_midpoint(self):
        """The first row's target midpoint (a summary's reference)."""
        return float(0.5 * (self.lower[0] + self.upper[0]))

    def standardised(self, heads):
        """These rows with the targets the heads ``heads`` standardise."""
        X = np.asarray(self.X, dtype=np.float64)
        lower, upper = standardise(self.lower, self.upper, *head_values(X, heads))
        return _Rows(self.X, lower, upper, self.sample_weight, self.rows)

    def weighted_sum(self, target):
        """``sum_i w_i target_i`` of the rows' ``target(rows)``."""
        return float(self.sample_weight @ target(self))

    def centered_moments(self, mean_x, mean_t, target):
        """Weighted moments of the rows about the features' and the target's
        means: the partition's share of a weighted ridge regression.

        Returns ``(sum w (x - m)(x - m)^T, sum w (t - m_t)(x - m),
        sum w (t - m_t)^2)``, with ``t = target(rows)``.
        """
        centered = np.asarray(self.X, dtype=np.float64) - mean_x
        t = target(self) - mean_t
        weighted = centered * self.sample_weight[:, None]
        return (
            centered.T @ weighted,
            t @ weighted,
            float(self.sample_weight @ (t * t)),
        )

    def summary(self, reference, period):
        return TargetSummary.from_targets(
            self.lower,
            self.upper,
            self.sample_weight,
            period=period,
            reference=reference,
        )


def _target_midpoints(rows):
    """The midpoints of a partition's target intervals."""
    return 0.5 * (rows.lower + rows.upper)


class _LogAbsResidual:
    """The log-scale start's target: ``log`` of each row's residual spread.

    As :func:`~skkdece._location_scale.two_stage_start`: half the log of the
    squared residual of the location's start, plus the interval's own
    variance (``half_width**2 / 3``) and ``floor``.
    """

    def __init__(self, beta, beta_0, floor):
        self.beta, self.beta_0, self.floor = beta, beta_0, floor

    def __call__(self, rows):
        X = np.asarray(rows.X, dtype=np.float64)
        residual = _target_midpoints(rows) - (X @ self.beta + self.beta_0)
        half = 0.5 * (rows.upper - rows.lower)
        return 0.5 * np.log(residual**2 + half**2 / 3.0 + self.floor)


def _checked_weights(sample_weight, n_rows=None):
    """A block of sample weights as finite, non-negative float64 (any length)."""
    sample_weight = np.asarray(sample_weight, dtype=np.float64)
    if sample_weight.ndim != 1 or sample_weight.shape[0] != (
        sample_weight.shape[0] if n_rows is None else n_rows
    ):
        raise ValueError(
            f"sample_weight must have shape ({n_rows},); got {sample_weight.shape}."
        )
    bad = ~np.isfinite(sample_weight) | (sample_weight < 0)
    if np.any(bad):
        raise ValueError(
            "sample_weight must be finite and non-negative; rows "
            f"{row_list(bad)} are not."
        )
    return sample_weight


def _read_partition(X, y, sample_weight, start, *, target_width, period):
    """Validate one partition (rows ``start:``) and keep its weighted rows."""
    X = _check_block(X)
    n = X.shape[0]
    try:
        lower, upper = split_targets(
            y, target_width=target_width, period=period, n_samples=n
        )
        if sample_weight is None:
            sample_weight = np.ones(n)
        else:
            sample_weight = _checked_weights(sample_weight, n)
    except ValueError as exc:
        raise ValueError(
            f"In the partition of rows {start} to {start + n - 1} (row numbers "
            f"below count from its first row): {exc}"
        ) from exc
    kept = np.flatnonzero(sample_weight > 0)
    if kept.size < n:
        X, lower, upper = X[kept], lower[kept], upper[kept]
        sample_weight = sample_weight[kept]
    return _Rows(X, lower, upper, sample_weight, start + kept)


class _PartitionObjective:
    """A partition's kernel table and rows: unpenalised partial loss sums.

    Built once on its worker and kept there for the whole fit.
    ``loss_gradient(params)`` is the partition's ``sum_i w_i L_i`` and its
    gradient, with the weights divided by the sum over all partitions, so the
    partials add up to the in-memory objective less its penalty.
    """

    def __init__(self, rows, geometry, *, total_weight, options, working_memory):
        self.working_memory = working_memory
        kernels = dict(
            kernel=options["kernel"],
            bandwidth=geometry.bandwidth,
            period=options["period"],
            loss=options["loss"],
            n_quadrature=options["n_quadrature"],
        )
        heads = options.get("heads")
        with config_context(working_memory=working_memory):
            if heads is None:
                self.table = training_table(
                    rows.lower, rows.upper, geometry.centers, **kernels
                )
            else:
                # The raw targets, standardised at every evaluation.
                self.table = LocationScaleTable(
                    rows.lower,
                    rows.upper,
                    geometry.centers,
                    location=heads["location"],
                    scale=heads["scale"],
                    **kernels,
                )
        self.table.check_covered(rows=rows.rows)
        self.X = rows.X
        self.sample_weight = rows.sample_weight / total_weight
        # alpha=0: the client adds the penalty, once.
        self.model = _logits_model(
            geometry.centers.size,
            rows.X.shape[1],
            fit_intercept=options["fit_intercept"],
            heads=heads,
        )

    @property
    def nbytes(self):
        """Bytes of the arrays held, for Dask's memory accounting."""
        owners = (self.table, getattr(self.table, "quad", None), self)
        arrays = {
            id(a): a
            for owner in owners
            if owner is not None
            for a in vars(owner).values()
            if isinstance(a, np.ndarray)
        }
        return int(sum(a.nbytes for a in arrays.values()))

    def loss_gradient(self, params):
        # One thread: Dask runs the partitions in parallel (and its workers
        # limit the BLAS to one thread each).  The objective's scratch space
        # (a few block-sized buffers) lives only during the call, so a worker
        # holding many partitions holds one set of it.
        objective = BlockedObjective(
            self.table, self.model, self.X, self.sample_weight, n_threads=1
        )
        with config_context(working_memory=self.working_memory):
            return objective.loss_gradient(params)


def _logits_model(
    n_atoms, n_features, *, fit_intercept, heads, alpha=0.0, location_alpha=None
):
    """The linear logits, with the location and scale heads ``heads`` (a dict
    of ``location``, ``scale`` and ``target_scale``) when not None, the
    location head penalised by ``location_alpha`` (None: ``alpha``)."""
    if heads is None:
        return LinearLogits(
            n_atoms, n_features, fit_intercept=fit_intercept, alpha=alpha
        )
    return LocationScaleLogits(
        n_atoms,
        n_features,
        fit_intercept=fit_intercept,
        alpha=alpha,
        location_alpha=location_alpha,
        **heads,
    )


@sizeof.register(_PartitionObjective)
def _sizeof_partition(objective):
    return objective.nbytes


def _nbytes(objective):
    return objective.nbytes


def _reduce_stats(stats):
    """Reference target, feature extremes, weight sum, feature moments and
    the number of rows of positive weight, from partition stats."""
    kept = [s for s in stats if s[0] is not None]
    total = float(sum(s[3] for s in kept))
    check_weight_total(total)
    extremes = np.vstack(
        [np.max([s[1] for s in kept], axis=0), np.min([s[2] for s in kept], axis=0)]
    )
    # The features' weighted moments, added in partition order, for the
    # solver's coordinates (rounded there, so rounding here does not matter).
    mean = np.sum([s[4] for s in kept], axis=0) / total
    second = np.sum([s[5] for s in kept], axis=0) / total
    std = np.sqrt(np.maximum(second - mean * mean, 0.0))
    n_kept = int(sum(s[6] for s in kept))
    return kept[0][0], extremes, total, (mean, std), n_kept


def _combined_summary(parts, reference, period):
    """The partitions' target summaries about ``reference``, added in order."""
    summary = None
    for part in dask.compute(
        *[dask.delayed(_Rows.summary)(p, reference, period) for p in parts]
    ):
        summary = part if summary is None else summary.combine(part)
    return summary


def _ridge_over(parts, total_weight, mean_x, target, alpha):
    """``(w, w_0, target_spread)``: the weighted ridge regression of
    ``target(rows)`` on the features over every partition.

    The in-memory start's :func:`~skkdece._location_scale.weighted_ridge`
    from moments summed in partition order: the target's weighted mean
    first, then the centered normal equations (``X^T W X`` and
    ``X^T W t`` about the means, weights summing to one), solved on the
    client; ``target_spread`` is the target's weighted standard deviation.
    """
    sums = dask.compute(*[dask.delayed(_Rows.weighted_sum)(p, target) for p in parts])
    mean_t = float(np.sum(sums)) / total_weight
    moments = dask.compute(
        *[
            dask.delayed(_Rows.centered_moments)(p, mean_x, mean_t, target)
            for p in parts
        ]
    )
    gram = np.sum([m[0] for m in moments], axis=0) / total_weight
    rhs = np.sum([m[1] for m in moments], axis=0) / total_weight
    variance = float(np.sum([m[2] for m in moments])) / total_weight
    gram[np.diag_indices_from(gram)] += alpha
    coef = linalg.solve(gram, rhs, assume_a="pos")
    return coef, mean_t - float(mean_x @ coef), np.sqrt(variance)


def _two_stage_start(parts, total_weight, mean_x, *, location, scale, period, alpha):
    """The heads' two-stage start over the partitions, ``(beta, beta_0,
    gamma, gamma_0)``.

    :func:`~skkdece._location_scale.two_stage_start`'s ridges, each a
    reduction over the partitions (:func:`_ridge_over`): the location on
    the targets' midpoints (zero on a circle), then the log scale on
    ``log |residual|`` with the same floor and shift.  Exact normal
    equations for any number of features (the in-memory start hands more
    than 2000 to scikit-learn's Ridge).
    """
    d = mean_x.shape[0]
    heads = [np.zeros(d), 0.0, np.zeros(d), 0.0]
    if period is not None:
        return tuple(heads)
    ridge_alpha = max(float(alpha), 1e-10)
    beta, beta_0, spread = _ridge_over(
        parts, total_weight, mean_x, _target_midpoints, ridge_alpha
    )
    if location:
        heads[:2] = beta, beta_0
    if scale:
        floor = (1e-3 * spread) ** 2 if spread > 0 else 1.0
        target = _LogAbsResidual(heads[0], heads[1], floor)
        gamma, gamma_0, _ = _ridge_over(
            parts, total_weight, mean_x, target, ridge_alpha
        )
        heads[2:] = gamma, gamma_0 - _LOG_ABS_NORMAL_MEAN
    return tuple(heads)


def _evaluate(objective, params):
    return objective.loss_gradient(params)


def _distributed_client():
    """The ``distributed.Client`` that Dask computes with here, or None."""
    client = getattr(dask.base.get_scheduler(), "__self__", None)
    return client if type(client).__name__ == "Client" else None


def _partition_evaluator(objectives):
    """``evaluate(params)``: every persisted objective's partial sums, in order.

    On a distributed cluster each evaluation is pinned to the worker holding
    its objective (looked up at every call): otherwise the scheduler moves
    tasks to idle workers (work stealing), copying whole tables between
    workers at every iteration.  An evaluation whose worker has left the
    cluster is sent anywhere instead, and the scheduler first rebuilds its
    objective from the graph; the pinned tasks are checked every
    ``_RECHECK_SECONDS`` so that none waits for a worker that is gone.
    """
    client = _distributed_client()
    if client is None:
        return lambda params: dask.compute(
            *[dask.delayed(_evaluate)(o, params) for o in objectives]
        )
    from distributed import futures_of, wait

    futures = [futures_of(o)[0] for o in objectives]

    def submit(future, params, workers):
        return client.submit(
            _evaluate, future, params, pure=False, workers=workers or None
        )

    def evaluate(params):
        holders = client.who_has(futures)
        pinned = [list(holders.get(f.key, ())) for f in futures]
        tasks = [submit(f, params, w) for f, w in zip(futures, pinned, strict=True)]
        while True:
            try:
                wait(tasks, timeout=_RECHECK_SECONDS)
                return client.gather(tasks)
            except (TimeoutError, asyncio.TimeoutError):
                alive = set(client.scheduler_info()["workers"])
                for k, workers in enumerate(pinned):
                    if workers and not alive.intersection(workers):
                        tasks[k].cancel()
                        pinned[k] = []
                        tasks[k] = submit(futures[k], params, None)

    return evaluate


def _summed(partials):
    """Partial ``(loss, gradient)`` sums added in partition order."""
    loss, grad = 0.0, None
    for part_loss, part_grad in partials:
        loss += part_loss
        grad = part_grad.copy() if grad is None else grad + part_grad
    return loss, grad


# ---------------------------------------------------------------- prediction
class _BlockPredictor:
    """``model.<method>`` on one block of rows, with its per-row arguments."""

    def __init__(self, model, method, n_out, row_names, kwargs, seeds):
        self.model, self.method, self.n_out = model, method, n_out
        self.row_names, self.kwargs, self.seeds = row_names, kwargs, seeds

    def __call__(self, X_block, *rows, block_id=None):
        model = self.model
        X_block = _check_block(X_block, model.n_features_in_)
        if X_block.shape[0] == 0:
            return np.empty((0,) if self.n_out is None else (0, self.n_out))
        kwargs = {**self.kwargs, **dict(zip(self.row_names, rows, strict=True))}
        if self.seeds is not None:
            kwargs["random_state"] = int(self.seeds[block_id[0]])
        with warnings.catch_warnings():
            # Column names were checked against feature_names_in_ on the client.
            warnings.filterwarnings("ignore", message="X does not have valid feature")
            return getattr(model, self.method)(X_block, **kwargs)


# The parameters are the in-memory estimator's: their types are borrowed from
# its docstring, so that they are written once.
@parameters_as_for(
    SoftmaxKDERegressor,
    ":class:`~skkdece.SoftmaxKDERegressor`",
    notes={
        "placement": (
            'With ``placement="quantile"`` every partition\'s target midpoints '
            "and weights (16 bytes a row) are brought to the client once, for "
            "exact quantiles."
        ),
        "location": (
            "On Dask collections the two-stage start's ridge regressions are "
            "sums of moments over the partitions and the joint fit runs on "
            "them as without heads: the start and the kernels equal the "
            "in-memory fit's to rounding, the fitted model equals it to the "
            'solver\'s tolerance.  ``"auto"`` is no head on Dask collections '
            "(its choice needs early stopping's held-out split)."
        ),
        "early_stopping": (
            "On Dask collections the fit never stops early (the held-out split "
            'would have to be drawn across the partitions): ``"auto"`` is '
            "off there and True is an error; NumPy input stops early as the "
            "in-memory estimator does."
        ),
    },
)
class DaskSoftmaxKDERegressor(SoftmaxKDERegressor):
    """:class:`~skkdece.SoftmaxKDERegressor` that fits and predicts on Dask arrays.

    The parameters, the fitted attributes and the result are those of
    :class:`~skkdece.SoftmaxKDERegressor`: on NumPy data this estimator is
    the in-memory one.  When ``X``, ``y`` or ``sample_weight`` is a Dask
    collection, ``fit`` works partition by partition on the Dask cluster of
    the current scheduler (a ``dask.distributed.Client``, or Dask's local
    threads): each partition's kernel table is built once on its worker and
    kept there, and every L-BFGS iteration sends the parameters out and
    brings back only partial loss and gradient sums, so the coefficients equal
    an in-memory fit of the same rows to rounding, on any number of workers.

    Predictions (``predict``, every ``predict_*``, ``score_samples``,
    ``score`` and ``sample``) on a Dask array return lazy Dask arrays,
    computed block by block; on anything else, NumPy arrays as usual.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    coef_, intercept_, location_, scale_, head_scores_, location_coef_, \
location_intercept_, scale_coef_, scale_intercept_, centers_, bandwidth_, \
window_, n_iter_, objective_, validation_score_, best_iteration_, \
n_features_in_, feature_names_in_ :
        As for :class:`~skkdece.SoftmaxKDERegressor`.

    Notes
    -----
    X's row blocks are its partitions; its columns are joined into one block.
    ``y`` and ``sample_weight`` are rechunked to X's rows.  Each partition is
    read once (persist ``X`` and ``y`` first if they are costly to compute);
    its validated rows, then its kernel table and rows of X, stay on its
    worker until the fit ends.  Memory per worker is about the bytes of its
    rows of X (float32 stays float32) plus ``8 * n_centers`` bytes per
    quadrature node (one node per point target; 256 bytes at 32 centers) and
    about 40 bytes per node of bookkeeping, while each partition's table fits
    ``sklearn.set_config(working_memory=...)`` (the client's setting is used
    on the workers; beyond it, kernel values are recomputed at every
    evaluation).  On a ``distributed`` cluster every evaluation runs on the
    worker holding its partition, so no table moves between workers.  Sparse
    blocks are not accepted.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skkdece.dask import DaskSoftmaxKDERegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(400, 2))
    >>> y = X[:, 0] + rng.normal(scale=0.2, size=400)
    >>> dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    >>> model = DaskSoftmaxKDERegressor(centers=8, alpha=1e-2).fit(dX, dy)
    >>> in_memory = DaskSoftmaxKDERegressor(centers=8, alpha=1e-2).fit(X, y)
    >>> bool(np.allclose(model.coef_, in_memory.coef_, rtol=0, atol=1e-8))
    True
    >>> model.predict_quantiles(dX, [0.1, 0.9])
    dask.array<...shape=(400, 2)...>
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit on Dask (or NumPy) features and targets.

        Parameters
        ----------
        X : {array-like, dask array, dask DataFrame} of shape \
(n_samples, n_features)
            Features; a Dask collection's row blocks are the partitions.
        y : {array-like, dask array, dask Series} of shape (n_samples,) or \
(n_samples, 2)
            Point targets or ``[lower, upper]`` intervals.
        sample_weight : {array-like, dask array} of shape (n_samples,), \
default=None
            Non-negative weights.

        Returns
        -------
        self : DaskSoftmaxKDERegressor
            The fitted estimator.

        Examples
        --------
        >>> import dask.array as da
        >>> from skkdece.dask import DaskSoftmaxKDERegressor
        >>> X = da.linspace(-1, 1, 90, chunks=30)[:, None]
        >>> model = DaskSoftmaxKDERegressor(centers=6).fit(X, 2 * X[:, 0])
        >>> model.coef_.shape, model.n_features_in_
        ((6, 1), 1)
        """
        if not any(_is_dask(a) for a in (X, y, sample_weight)):
            return super().fit(X, y, sample_weight)
        check_kernel_period(self.kernel, self.period)
        # "auto" heads need held-out rows to choose them: off here.
        self._chosen_heads = None
        location, scale = self._heads_on()
        self._chosen_heads = (location, scale)
        self.location_ = "linear" if location else None
        self.scale_ = "linear" if scale else None
        self.head_scores_ = {}
        if self.early_stopping is True:
            raise ValueError(
                "DaskSoftmaxKDERegressor does not stop early on Dask "
                "collections: set early_stopping='auto' or False (the fit "
                "then runs to convergence), or fit NumPy arrays."
            )
        names = _feature_names(X)
        if not _is_dask(X):
            X = np.asarray(X)
            X = da.from_array(X, chunks=(_as_dask_array(y, "y").chunks[0], -1))
        X = _dask_rows(X)
        n_samples, n_features = X.shape
        if n_samples < 1:
            raise ValueError("X has no rows; a fit needs at least one.")
        y = _row_aligned(y, X.chunks[0], "y", n_rows=n_samples)
        if sample_weight is not None:
            sample_weight = _row_aligned(
                sample_weight, X.chunks[0], "sample_weight", n_rows=n_samples
            )
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

        period = as_period(self.period)
        parts = self._read_partitions(X, y, sample_weight, period)
        stats = dask.compute(*[dask.delayed(_Rows.stats)(p) for p in parts])
        reference, extremes, total_weight, moments, n_kept = _reduce_stats(stats)
        # Partitions without a weighted row take no further part.
        parts = [p for p, s in zip(parts, stats, strict=True) if s[0] is not None]
        summary = _combined_summary(parts, reference, period)
        self._heads_start, heads = None, None
        self.alpha_, self._location_alpha = self._resolved_alpha(n_kept)
        kernel_parts = parts
        if location or scale:
            spread = summary.spread
            self._target_scale = spread if spread > 0 else 1.0
            heads = dict(
                location=location, scale=scale, target_scale=self._target_scale
            )
            self._heads_start = _two_stage_start(
                parts,
                total_weight,
                moments[0],
                location=location,
                scale=scale,
                period=period,
                alpha=self._location_penalty(),
            )
            # As in memory, the kernels are placed on the start's
            # standardised targets.
            kernel_parts = dask.persist(
                *[dask.delayed(_Rows.standardised)(p, self._heads_start) for p in parts]
            )
            (z_reference,) = dask.compute(
                dask.delayed(_Rows.first_midpoint)(kernel_parts[0])
            )
            summary = _combined_summary(kernel_parts, z_reference, period)
        targets = None
        if self.placement == "quantile" and isinstance(self.centers, Integral):
            # Exact weighted quantiles: every partition's midpoints and weights
            # (16 bytes a row) travel to the client once.
            pairs = dask.compute(
                *[dask.delayed(_Rows.midpoints)(p) for p in kernel_parts]
            )
            targets = tuple(np.concatenate(a) for a in zip(*pairs, strict=True))
        del kernel_parts
        geometry = resolve_geometry(
            summary,
            centers=self.centers,
            bandwidth=self.bandwidth,
            kernel=self.kernel,
            placement=self.placement,
            targets=targets,
        )
        self.centers_ = geometry.centers
        self.bandwidth_ = geometry.bandwidth
        self.window_ = geometry.window

        options = dict(
            period=period,
            kernel=self.kernel,
            loss=self.loss,
            n_quadrature=self.n_quadrature,
            fit_intercept=self.fit_intercept,
            heads=heads,
        )
        build = dask.delayed(_PartitionObjective, pure=True)
        objectives = dask.persist(
            *[
                build(
                    p,
                    geometry,
                    total_weight=total_weight,
                    options=options,
                    working_memory=get_config()["working_memory"],
                )
                for p in parts
            ]
        )
        # The objectives keep what they need of the partitions' rows; an
        # uncovered target is reported here, before the solver starts.
        del parts
        dask.compute(*[dask.delayed(_nbytes)(o) for o in objectives])
        model = _logits_model(
            geometry.centers.size,
            n_features,
            fit_intercept=self.fit_intercept,
            heads=heads,
            alpha=self.alpha_,
            location_alpha=self._location_alpha,
        )

        evaluate = _partition_evaluator(objectives)

        def loss_gradient(params):
            loss, grad = _summed(evaluate(params))
            value, penalty_grad = model.penalty(params)
            return loss + value, grad + penalty_grad

        magnitude = feature_scale(extremes)
        if heads is None:
            coordinates = model.coordinates_from(*moments, magnitude)
        else:
            # The heads' coordinates also read the features' ranges,
            # (smallest, largest) by feature.
            coordinates = model.coordinates_from(
                *moments, magnitude, extremes=extremes[::-1]
            )
        self._minimize(model, loss_gradient, coordinates)
        return self

    def _read_partitions(self, X, y, sample_weight, period):
        """Each row block, validated and reduced to its weighted rows, persisted."""
        n_blocks = X.numblocks[0]
        X_blocks = X.to_delayed().ravel()
        y_blocks = y.to_delayed().ravel()
        if sample_weight is None:
            w_blocks = [None] * n_blocks
        else:
            w_blocks = sample_weight.to_delayed().ravel()
        starts = np.cumsum((0, *X.chunks[0]))
        read = dask.delayed(_read_partition, pure=True)
        return dask.persist(
            *[
                read(
                    X_blocks[k],
                    y_blocks[k],
                    w_blocks[k],
                    int(starts[k]),
                    target_width=float(self.target_width),
                    period=period,
                )
                for k in range(n_blocks)
            ]
        )

    # ------------------------------------------------------------ predicting
    def _map_rows(self, method, X, *, n_out=None, rows=None, rng=None, **kwargs):
        """``method`` on every row block of a Dask ``X``, as a lazy Dask array.

        ``rows`` maps argument names to per-row values (NumPy or Dask, aligned
        to X's rows; scalars are passed as they are); ``rng`` draws each
        block's ``random_state``.
        """
        check_is_fitted(self)
        names = _feature_names(X)
        fitted = getattr(self, "feature_names_in_", None)
        if (
            names is not None
            and fitted is not None
            and not np.array_equal(names, fitted)
        ):
            raise ValueError(
                "The feature names of X should match those passed during fit; "
                f"got {list(names)}, expected {list(fitted)}."
            )
        X = _dask_rows(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        row_names, arrays = [], []
        for name, values in (rows or {}).items():
            if not _is_dask(values) and np.ndim(values) == 0:
                kwargs[name] = values
                continue
            row_names.append(name)
            arrays.append(_row_aligned(values, X.chunks[0], name, n_rows=X.shape[0]))
        # A plain fitted estimator (no callback) goes to the blocks.
        model = SoftmaxKDERegressor(**{**self.get_params(), "callback": None})
        model.__dict__.update({k: v for k, v in vars(self).items() if k.endswith("_")})
        # Each block draws from its own seed, taken in block order.
        seeds = None if rng is None else rng.randint(2**31 - 1, size=X.numblocks[0])
        block = _BlockPredictor(model, method, n_out, row_names, kwargs, seeds)
        meta = np.empty((0,) if n_out is None else (0, 0))
        if not arrays:
            if n_out is None:
                return X.map_blocks(block, drop_axis=1, dtype=np.float64, meta=meta)
            return X.map_blocks(
                block, chunks=(X.chunks[0], (n_out,)), dtype=np.float64, meta=meta
            )
        # Each per-row array keeps its own column index, joined into one block.
        args = [X, "ij"]
        for k, values in enumerate(arrays):
            args += [values, "i" if values.ndim == 1 else f"i{k}"]
        return da.blockwise(
            block,
            "i" if n_out is None else "io",
            *args,
            new_axes={} if n_out is None else {"o": n_out},
            concatenate=True,
            dtype=np.float64,
            meta=meta,
        )

    def predict_distribution(self, X):
        """The predicted distributions of in-memory rows (not of a Dask array).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features, in memory.

        Returns
        -------
        distribution : KDEDistribution
            As :meth:`skkdece.SoftmaxKDERegressor.predict_distribution`.

        Examples
        --------
        >>> import numpy as np
        >>> from skkdece.dask import DaskSoftmaxKDERegressor
        >>> X = np.linspace(-1, 1, 50)[:, None]
        >>> model = DaskSoftmaxKDERegressor(centers=8).fit(X, X[:, 0])
        >>> len(model.predict_distribution(X[:3]))
        3
        """
        if _is_dask(X):
            raise TypeError(
                "predict_distribution holds every row's distribution in memory; "
                "on a Dask array use the predict_* methods (lazy Dask arrays), "
                "or pass X.compute()."
            )
        return super().predict_distribution(X)

    def _dispatch(self, method, X, *, n_out=None, rows=None, rng=None, **kwargs):
        """The in-memory method on in-memory X, else its lazy block-wise map."""
        if not _is_dask(X):
            return getattr(SoftmaxKDERegressor, method)(
                self, X, **(rows or {}), **kwargs
            )
        return self._map_rows(method, X, n_out=n_out, rows=rows, rng=rng, **kwargs)

    @wraps(SoftmaxKDERegressor.predict)
    def predict(self, X):
        return self._dispatch("predict", X)

    @wraps(SoftmaxKDERegressor.predict_density)
    def predict_density(self, X, grid):
        return self._dispatch("predict_density", X, n_out=np.size(grid), grid=grid)

    @wraps(SoftmaxKDERegressor.predict_cdf)
    def predict_cdf(self, X, grid):
        return self._dispatch("predict_cdf", X, n_out=np.size(grid), grid=grid)

    @wraps(SoftmaxKDERegressor.predict_quantiles)
    def predict_quantiles(self, X, quantiles):
        return self._dispatch(
            "predict_quantiles", X, n_out=np.size(quantiles), quantiles=quantiles
        )

    @wraps(SoftmaxKDERegressor.predict_interval)
    def predict_interval(self, X, coverage=0.9):
        return self._dispatch("predict_interval", X, n_out=2, coverage=coverage)

    @wraps(SoftmaxKDERegressor.predict_weights)
    def predict_weights(self, X):
        check_is_fitted(self)
        return self._dispatch("predict_weights", X, n_out=self.centers_.size)

    @wraps(SoftmaxKDERegressor.predict_hit_probability)
    def predict_hit_probability(self, X, lower, upper):
        return self._dispatch(
            "predict_hit_probability", X, rows={"lower": lower, "upper": upper}
        )

    @wraps(SoftmaxKDERegressor.predict_aim)
    def predict_aim(self, X, half_width=0.0):
        return self._dispatch("predict_aim", X, rows={"half_width": half_width})

    @wraps(SoftmaxKDERegressor.predict_mean)
    def predict_mean(self, X):
        return self._dispatch("predict_mean", X)

    @wraps(SoftmaxKDERegressor.predict_std)
    def predict_std(self, X):
        return self._dispatch("predict_std", X)

    @wraps(SoftmaxKDERegressor.score_samples)
    def score_samples(self, X, y=None):
        return self._dispatch("score_samples", X, rows=None if y is None else {"y": y})

    @wraps(SoftmaxKDERegressor.score)
    def score(self, X, y, sample_weight=None):
        if not _is_dask(X):
            return super().score(X, y, sample_weight)
        scores = self.score_samples(X, y)
        if sample_weight is None:
            return scores.mean()
        sample_weight = _row_aligned(
            sample_weight, scores.chunks[0], "sample_weight", n_rows=scores.shape[0]
        )
        return da.average(
            scores, weights=sample_weight.map_blocks(_checked_weights, dtype=float)
        )

    @wraps(SoftmaxKDERegressor.sample)
    def sample(self, X, n_draws=1, random_state=None):
        if not _is_dask(X):
            return super().sample(X, n_draws, random_state)
        return self._dispatch(
            "sample",
            X,
            n_out=int(n_draws),
            rng=check_random_state(random_state),
            n_draws=n_draws,
        )
