"""The neighbours logits model: a learned weighted Manhattan metric.

Row ``i``'s kernels sit at the targets of its ``k`` nearest training rows
``j``, and their logits are minus a scale times a weighted Manhattan distance
in an embedding ``E`` of the features::

    z_ij = -s sum_p w_p |E_ip - E_jp|,      s >= 0, w_p >= 0.

The embedding (:class:`NeighborEmbedding`) standardises each feature by its
mean absolute deviation and, optionally, cuts it into pieces between knots
at its quantiles: ``E_fq(x) = clip(x_f, knot_q, knot_q+1)``, the outer knots
at infinity.  For two values of one feature the pieces' differences all have
the sign of ``x_i - x_j``, so ``sum_q w_fq |E_fq(x_i) - E_fq(x_j)|`` is the
distance in the monotone piecewise-linear map whose slope on piece ``q`` is
``w_fq``: a learned monotone embedding, and still a weighted Manhattan
distance in ``E``, so that the neighbours in the learned metric are the
Manhattan neighbours of ``E * w``.  With equal
slopes the pieces add up to the plain distance ``|x_if - x_jf|``.

:class:`NeighborLogits` is the logits model of :mod:`skkdece._objective`: its
parameters are ``s`` and ``w``.  Each evaluation needs, for every pair and
output, ``|E_ip - E_jp|`` twice: in the logits and in the gradient.  The
compiled kernels of :mod:`skkdece._pairs` (``_pairs.c``, built at install) make
each pair's distances in registers and use them there, reading E itself
while it stays in the caches (up to ``_DIRECT_E_BYTES``), else a compact
copy of the rows of E a block needs (one per thread, gathered by the forward
pass), through int32 positions kept per block (4 bytes per pair); without
them (an install that could not compile them) NumPy makes the distances in
pieces of rows, keeping them while they fit in ``working_memory`` and
recomputing them otherwise: the same sums, to rounding, about four times
slower per evaluation at a million rows.

:func:`training_neighbors` finds each row's neighbours among the other rows,
leaving out the row itself, rows of its group and rows within a given number
of positions (near-duplicates in time, which would otherwise teach the metric
to find a row's twin): by the faster of the compiled kernels' two exact
searches, a scan and a k-d tree's, else by
:class:`sklearn.neighbors.NearestNeighbors`.
"""

import time
import warnings
from functools import partial

import numpy as np
from sklearn import get_config
from sklearn.neighbors import KDTree, NearestNeighbors
from sklearn.utils import gen_batches

from ._compiled import usable
from ._objective import blas_threads
from ._tables._blocks import each_block
from ._tables._checks import row_list

# The calling convention of the compiled kernels this module expects.
_PAIRS_API = 5

# An E of at most this many bytes is read in place by the compiled kernels
# (it stays in the last-level cache); a larger one is gathered per block
# into a compact copy (see _BoundNeighbors.compact).
_DIRECT_E_BYTES = 8 * 2**20
# The compiled searches: the scan (``_scan_plan``) and the k-d tree
# (``_kd_plan``) give the same answer, and either can be several times the
# faster (see training_neighbors), so past this many rows both are timed on
# ``_PROBE_ROWS`` rows and the faster searches them all.  Below it the scan
# takes under a tenth of a second.
_PROBE_MIN_ROWS = 5_000
_PROBE_ROWS = 256
# Rows per task of the scan's threads.
_SCAN_BATCH = 256
# Power iterations for the scan's direction (any direction is exact; a
# good one only prunes more).
_SCAN_POWER_STEPS = 8


def usable_kernels(module):
    """``module`` if it is the compiled kernels this code calls, else None
    (with a warning for a build of another version; see :mod:`._compiled`).
    """
    return usable(
        module,
        _PAIRS_API,
        "pair kernels",
        "the neighbours model uses its NumPy path, several times slower",
    )


try:  # the compiled pair kernels; optional, see the module docstring
    from . import _pairs as _built
except ImportError:  # pragma: no cover - an install without a C compiler
    _built = None
_pairs = usable_kernels(_built)
# Whether the user was told, once, that the extension is missing.
_told_missing = _built is not None


def warn_numpy_path():
    """Say once per process that the compiled kernels are missing.

    Called when a neighbours model starts its pair work on the NumPy path
    because the extension was never built (not when a test chooses that
    path): the results are the same, but several times slower.
    """
    global _told_missing
    if _told_missing:
        return
    _told_missing = True
    warnings.warn(
        "skkdece's compiled pair kernels (skkdece._pairs) are not installed, "
        "so the neighbours model computes its pair distances with NumPy: the "
        "same results, about four times slower per iteration. Install a C "
        "compiler (for example apt-get install gcc) and reinstall skkdece.",
        RuntimeWarning,
        stacklevel=3,
    )


class NeighborEmbedding:
    """Standardised features, optionally cut into monotone pieces.

    Parameters
    ----------
    center, scale : ndarray of shape (n_features,)
        Each feature's median and mean absolute deviation from it (zero for a
        constant feature, whose outputs are then always zero).
    knots : list of ndarray
        Interior knots of each feature, in standardised units (empty: one
        piece, the standardised feature itself).

    Attributes
    ----------
    feature : ndarray of shape (n_outputs,)
        The feature each output comes from.
    """

    def __init__(self, center, scale, knots):
        self.center = center
        self.scale = scale
        self.knots = knots
        self.feature = np.repeat(np.arange(len(knots)), [k.size + 1 for k in knots])

    @classmethod
    def from_data(cls, X, *, n_pieces=1, sample_weight=None):
        """The embedding of X's features, with up to ``n_pieces`` per feature.

        Interior knots are the distinct quantiles ``q / n_pieces`` strictly
        inside the range of the feature, so binary features keep one piece.
        With ``sample_weight`` (positive) the median, the mean absolute
        deviation and the quantiles are weighted; the median and the deviation
        of integer weights are those of the rows repeated.
        """
        if sample_weight is None:
            center = np.median(X, axis=0)
            scale = np.mean(np.abs(X - center), axis=0)
        else:
            center = weighted_median(X, sample_weight)
            scale = np.average(np.abs(X - center), axis=0, weights=sample_weight)
        knots = []
        levels = np.arange(1, n_pieces) / n_pieces
        for f in range(X.shape[1]):
            if n_pieces == 1 or scale[f] == 0:
                knots.append(np.empty(0))
                continue
            z = (X[:, f] - center[f]) / scale[f]
            if sample_weight is None:
                q = np.quantile(z, levels)
            else:
                q = weighted_quantile(z, sample_weight, levels)
            q = np.unique(q)
            knots.append(q[(q > z.min()) & (q < z.max())])
        return cls(center, scale, knots)

    @property
    def n_outputs(self):
        return self.feature.size

    def transform(self, X):
        """``E(X)``, shape (n_samples, n_outputs), float64."""
        live = self.scale > 0
        z = np.zeros(X.shape, dtype=np.float64)
        np.divide(X - self.center, self.scale, out=z, where=live)
        if self.n_outputs == X.shape[1]:
            return np.ascontiguousarray(z)
        out = np.empty((X.shape[0], self.n_outputs))
        col = 0
        for f, knots in enumerate(self.knots):
            edges = np.concatenate([[-np.inf], knots, [np.inf]])
            for q in range(knots.size + 1):
                np.clip(z[:, f], edges[q], edges[q + 1], out=out[:, col])
                col += 1
        # Outputs clipped at infinite edges: a piece's lower output is its
        # left knot on the left of it, so differences stay finite.
        return out

    def feature_weights(self, phi):
        """Weights of the raw features: mean slope per standardised unit / scale.

        With one piece per feature and ``phi = s w`` this is exactly the weight
        ``theta_f`` with ``z_ij = -sum_f theta_f |x_if - x_jf|``.
        """
        live = self.scale > 0
        mean_slope = np.bincount(self.feature, weights=phi, minlength=self.scale.size)
        mean_slope /= np.bincount(self.feature, minlength=self.scale.size)
        return np.divide(
            mean_slope, self.scale, out=np.zeros_like(mean_slope), where=live
        )


def reads_in_place(E):
    """Whether the compiled kernels read ``E`` in place, not a copy per block.

    ``E`` then stays in the caches whatever rows a block holds; otherwise
    each block gathers the rows it needs into a thread's buffer.
    """
    return _pairs is not None and 8 * E.size <= _DIRECT_E_BYTES


def weighted_median(X, sample_weight):
    """Each column's weighted median, shape (n_features,).

    The middle of the values where the cumulative weight reaches half the
    total: for integer weights, ``np.median`` of the rows repeated.
    """
    order = np.argsort(X, axis=0, kind="stable")
    values = np.take_along_axis(X, order, axis=0)
    cumulative = np.cumsum(sample_weight[order], axis=0)
    half = 0.5 * cumulative[-1]
    columns = np.arange(X.shape[1])
    low = values[np.argmax(cumulative >= half, axis=0), columns]
    high = values[np.argmax(cumulative > half, axis=0), columns]
    return 0.5 * (low + high)


def weighted_quantile(z, sample_weight, levels):
    """Weighted quantiles of ``z`` at ``levels``, interpolated linearly.

    The sorted values sit at the cumulative weight before them over the total
    less the last one's, so that equal weights give ``np.quantile``'s
    (linear) quantiles and a common factor of the weights changes nothing.
    """
    order = np.argsort(z, kind="stable")
    w = sample_weight[order]
    before = np.cumsum(w) - w
    return np.interp(levels, before / before[-1], z[order])


def start_weights(embedding):
    """The data-driven start ``w0``: every live feature weighs ``1 / d``.

    In standardised units a typical pair of rows is then about one apart, so
    the first neighbours' weights are nearly uniform: the fit starts from a
    plain nearest-neighbour density on standardised features.
    """
    live = embedding.scale[embedding.feature] > 0
    n_live = max(int(np.sum(embedding.scale > 0)), 1)
    return np.where(live, 1.0 / n_live, 0.0)


def weighted_points(E, w):
    """``E * w`` on the outputs with a positive weight (one zero column if none).

    Manhattan distances between these rows are the metric's distances.
    """
    live = w > 0
    if not np.any(live):
        return np.zeros((E.shape[0], 1))
    return np.ascontiguousarray(E[:, live] * w[live])


def _excluded(rows, candidates, groups, exclude_adjacent):
    """Whether each candidate neighbour may not serve its row in training."""
    out = candidates == rows[:, None]
    if exclude_adjacent:
        out |= np.abs(candidates - rows[:, None]) <= exclude_adjacent
    if groups is not None:
        out |= groups[candidates] == groups[rows][:, None]
    return out


def allowed_counts(groups, exclude_adjacent, n):
    """How many rows may be each row's training neighbour."""
    idx = np.arange(n)
    near = np.minimum(idx + exclude_adjacent, n - 1) - np.maximum(
        idx - exclude_adjacent, 0
    )
    if groups is None:
        return n - 1 - near
    _, inverse, size = np.unique(groups, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    # Rows within the adjacency band and of another group are excluded twice
    # over only once: count them.
    cross = np.zeros(n, dtype=np.intp)
    for shift in range(1, exclude_adjacent + 1):
        diff = inverse[shift:] != inverse[:-shift]
        cross[shift:] += diff
        cross[:-shift] += diff
    return n - size[inverse] - cross


def training_neighbors(
    points,
    n_neighbors,
    *,
    groups=None,
    exclude_adjacent=0,
    n_jobs=None,
    tree=None,
    seeds=None,
):
    """Each row's ``n_neighbors`` nearest other rows, Manhattan, with exclusions.

    Parameters
    ----------
    points : ndarray of shape (n_samples, n_dims)
        Rows in the metric's coordinates (:func:`weighted_points`).
    n_neighbors : int
        Neighbours per row.
    groups : ndarray of shape (n_samples,) or None
        Rows of one group are never each other's neighbours.
    exclude_adjacent : int
        Rows ``i`` and ``j`` with ``|i - j| <= exclude_adjacent`` are never
        each other's neighbours (the row itself never is).
    n_jobs : int or None, default=None
        Threads of the search; None: as many as the loss's
        (:func:`skkdece._objective.blas_threads`, one in joblib's workers).
        Each row's answer does not depend on them, so neither does the
        result; the threads gain only where cores are idle.
    tree : KDTree or None, default=None
        :func:`search_tree` of ``points``, if built already (the k-d search
        uses it).
    seeds : ndarray of shape (n_samples, n_seeds) or None, default=None
        Rows to offer each row first, such as its neighbours in the previous
        round's metric: their distances bound the search from its start, so
        it reads fewer rows where the metric moved little.  The answer does
        not depend on them (the compiled searches; the tree ignores them).

    Returns
    -------
    neighbors : ndarray of shape (n_samples, n_neighbors)
        Indices of each row's neighbours, nearest first.

    Notes
    -----
    With the compiled kernels the search is theirs: an exact scan of the
    rows in the order of a projection (:func:`_scan_plan`) or a walk down a
    k-d tree (:func:`_kd_plan`).  The two find the same neighbours, bit for
    bit, so past ``_PROBE_MIN_ROWS`` rows both are timed on ``_PROBE_ROWS``
    rows and the faster searches the rest; the time is all the choice
    changes.  Each is several times the faster somewhere (one search, two
    threads, 2026-12-06): on the bundled real waves the scan, 0.44 s against
    0.68 s at 20 000 rows and 1.7 s against 2.1 s at 45 500; on rows of
    three underlying dimensions in ten features the tree, 1.6 s against
    8.2 s at 200 000 rows (a million: 6 s, the scan about 110 s); on ten
    independent features the scan, 3.1 s against 6.7 s at 50 000 rows.
    Without the kernels, scikit-learn's tree (:func:`_tree_neighbors`) finds
    the same neighbours unless rows tie at a row's ``n_neighbors``-th
    distance.
    """
    n = points.shape[0]
    allowed = allowed_counts(groups, exclude_adjacent, n)
    short = allowed < n_neighbors
    if np.any(short):
        raise ValueError(
            f"n_neighbors={n_neighbors} needs that many training neighbours per "
            f"row, but rows {row_list(short)} have only {int(allowed.min())} "
            f"(n_samples={n}, after leaving out each row itself"
            + (", its group" if groups is not None else "")
            + (
                f" and rows within exclude_adjacent={exclude_adjacent}"
                if exclude_adjacent
                else ""
            )
            + ")."
        )
    if n_jobs is None:
        n_jobs = blas_threads()
    if _pairs is None:
        return _tree_neighbors(points, n_neighbors, groups, exclude_adjacent, n_jobs)
    plans = [_scan_plan(points, groups, exclude_adjacent, seeds)]
    if n > _PROBE_MIN_ROWS:
        plans.append(_kd_plan(points, groups, exclude_adjacent, tree, seeds))
    if len(plans) > 1:
        # Twice each, alternated, the faster run of each counting: both
        # searches give the same answer, so the choice moves only the time.
        seconds = np.array(
            [[_probe_seconds(plan, n_neighbors) for plan in plans] for _ in range(2)]
        )
        plans = [plans[int(np.argmin(seconds.min(axis=0)))]]
    return _run_plan(plans[0], n_neighbors, n_jobs)


def _tree_neighbors(points, n_neighbors, groups, exclude_adjacent, n_jobs):
    """:func:`training_neighbors` by scikit-learn's tree (without the kernels).

    Rows are asked for their nearest rows, the excluded ones dropped, and the
    rows left short asked again for twice as many.
    :class:`~sklearn.neighbors.NearestNeighbors` shares the rows out to
    ``n_jobs`` threads in even slices.
    """
    n = points.shape[0]
    tree = NearestNeighbors(metric="manhattan", n_jobs=n_jobs).fit(points)
    out = np.empty((n, n_neighbors), dtype=np.intp)
    # Enough for the row and its adjacency band; groups may need more, and
    # the rows short of neighbours are asked again for twice as many.
    n_query = min(n, n_neighbors + 1 + 2 * exclude_adjacent)
    if groups is not None:
        n_query = min(n, 2 * n_query)
    pending = np.arange(n)
    while pending.size:
        # A batch's answers, masks and counts (about 40 bytes per candidate)
        # take an eighth of the working memory: the tree and the fit's own
        # arrays live beside them.
        budget = get_config()["working_memory"] * 2**20 // 8
        step = max(1, int(budget // (40 * n_query)))
        missing = []
        for batch in gen_batches(pending.size, step):
            rows = pending[batch]
            found = tree.kneighbors(points[rows], n_query, return_distance=False)
            ok = ~_excluded(rows, found, groups, exclude_adjacent)
            enough = np.sum(ok, axis=1) >= n_neighbors
            ok &= np.cumsum(ok, axis=1) <= n_neighbors
            out[rows[enough]] = found[enough][ok[enough]].reshape(-1, n_neighbors)
            missing.append(rows[~enough])
        pending = np.concatenate(missing)
        n_query = min(n, 2 * n_query)
    return out


def _scan_neighbors(
    points, n_neighbors, groups, exclude_adjacent, n_threads, seeds=None
):
    """:func:`training_neighbors` by the compiled exact scan (:func:`_scan_plan`)."""
    plan = _scan_plan(points, groups, exclude_adjacent, seeds)
    return _run_plan(plan, n_neighbors, n_threads)


def _kd_neighbors(
    points, n_neighbors, groups, exclude_adjacent, n_threads, tree=None, seeds=None
):
    """:func:`training_neighbors` through a k-d tree's boxes (:func:`_kd_plan`)."""
    plan = _kd_plan(points, groups, exclude_adjacent, tree, seeds)
    return _run_plan(plan, n_neighbors, n_threads)


def _scan_plan(points, groups, exclude_adjacent, seeds=None):
    """The compiled exact scan's arrays (``_pairs.nearest``): (order, search).

    The rows are sorted by their projection on a direction ``v`` of plus and
    minus ones (the signs of the rows' widest spread, by a few power
    iterations), which bounds every distance from below: ``|v . (x - y)| <=
    sum_p |x_p - y_p|``.  Each row's candidates are scanned outwards from it
    in that order, and each way stops where the projection rules out the
    rest; the slack (:func:`_search_slack`) covers the rounding of the
    projection and the distances, so the scan passes over no row that could
    be a neighbour.  Each distance is summed over the features in order, as
    scikit-learn's Manhattan metric does: the scan finds the tree's
    neighbours, bit for bit, unless two rows tie at a row's
    ``n_neighbors``-th distance (the scan then keeps the lower row number,
    the tree either).  The exclusions apply while scanning, so no row is
    asked twice.

    ``order[u]`` is the row at sorted position ``u``; ``search(start, out)``
    fills ``out`` (int32, one row per position from ``start``) with those
    positions' neighbours, as row numbers.  ``seeds`` (row numbers, a row
    of them per row, or None): offered to each row first (:func:`_seeded`).
    """
    n, d = points.shape
    points = np.asarray(points, dtype=np.float64)
    centered = points - points.mean(axis=0)
    v = np.ones(d)
    for _ in range(_SCAN_POWER_STEPS):
        v = centered.T @ (centered @ v)
        scale = np.max(np.abs(v))
        if not scale > 0:
            break
        v /= scale
    v = np.where(v < 0, -1.0, 1.0)
    del centered
    proj = points @ v
    order = np.argsort(proj, kind="stable")
    proj = np.ascontiguousarray(proj[order])
    by_feature, rows, codes, slack = _in_order(points, order, groups, -(-n // 8) * 8)
    search = partial(_pairs.nearest, by_feature, proj, rows, codes, exclude_adjacent)
    return order, _batches(search, slack, _seeded(seeds, order))


def _kd_plan(points, groups, exclude_adjacent, tree=None, seeds=None):
    """The compiled k-d tree search's arrays (``_pairs.tree_nearest``).

    scikit-learn's :class:`~sklearn.neighbors.KDTree` (:func:`search_tree`,
    or ``tree`` if given) builds the tree; the compiled kernels then search
    it, each row from the root down, the nearer child first, passing over
    every node whose box lies beyond the row's k-th distance so far (plus
    the slack).  The keys, exclusions and distance sums are the scan's, so
    the answer is the scan's, tie rule included.  Returns ``(order,
    search)`` as :func:`_scan_plan` does, positions in the tree's leaf order.
    """
    if tree is None:
        tree = search_tree(points)
    _, order, nodes, bounds = tree.get_arrays()
    # A leaf's last step of 8 rows is read whole: 7 columns of padding.
    by_feature, rows, codes, slack = _in_order(
        points, order, groups, points.shape[0] + 8
    )
    search = partial(
        _pairs.tree_nearest,
        by_feature,
        np.ascontiguousarray(bounds[0]),
        np.ascontiguousarray(bounds[1]),
        nodes["idx_start"].astype(np.int32),
        nodes["idx_end"].astype(np.int32),
        rows,
        codes,
        exclude_adjacent,
    )
    return order, _batches(search, slack, _seeded(seeds, order))


def _in_order(points, order, groups, n_columns):
    """What both compiled searches read, in their row order.

    ``(by_feature, rows, codes, slack)``: the points by feature, padded with
    zero columns to ``n_columns``; each position's row number; the groups'
    codes (or None); the slack (:func:`_search_slack`).
    """
    n, d = points.shape
    by_feature = np.zeros((d, n_columns))
    by_feature[:, :n] = points[order].T
    rows = order.astype(np.int32)
    return by_feature, rows, _group_codes(groups, order), _search_slack(points)


def _batches(search, slack, offered):
    """``search(start, out)``: a compiled search of the positions from
    ``start``, with their rows of ``offered`` (seeds) when there are any.
    """

    def batch(start, out):
        seeds = None if offered is None else offered[start : start + out.shape[0]]
        search(slack, start, out, seeds)

    return batch


def _seeded(seeds, order):
    """Seed rows as a search's positions, a row of them per position (int32).

    A row's seeds are offered to its heap before the search starts; the
    kernels then put a row in only if it is not there already, so a seed the
    search meets again is not counted twice, and the answer is the unseeded
    one.
    """
    if seeds is None:
        return None
    position = np.empty(order.size, dtype=np.int32)
    position[order] = np.arange(order.size, dtype=np.int32)
    return np.ascontiguousarray(position[seeds[order]])


def _group_codes(groups, order):
    """Groups as int32 codes, in a search's row order (None stays None)."""
    if groups is None:
        return None
    codes = np.unique(groups, return_inverse=True)[1].reshape(-1)
    return np.ascontiguousarray(codes[order], dtype=np.int32)


def _run_plan(plan, n_neighbors, n_threads):
    """Every row's neighbours by a compiled search (``_scan_plan``, ``_kd_plan``).

    Positions go to the threads in batches of ``_SCAN_BATCH``; each row's
    answer does not depend on them.
    """
    order, search = plan
    n = order.size
    found = np.empty((n, n_neighbors), dtype=np.int32)
    starts = range(0, n, _SCAN_BATCH)

    def task(b):
        a = starts[b]
        search(a, found[a : a + _SCAN_BATCH])

    each_block(task, len(starts), n_threads)
    out = np.empty((n, n_neighbors), dtype=np.intp)
    out[order] = found
    return out


def _probe_seconds(plan, n_neighbors):
    """Seconds a search takes for ``_PROBE_ROWS`` rows spread over its order.

    Four runs of consecutive positions, a quarter of the rows each, evenly
    spaced from the first position to the last: the share of the rows each
    search reads grows or shrinks with where a row lies, in either order.
    """
    order, search = plan
    n = order.size
    run = max(1, min(n, _PROBE_ROWS) // 4)
    out = np.empty((run, n_neighbors), dtype=np.int32)
    t0 = time.perf_counter()
    for start in np.unique(np.linspace(0, n - run, 4).astype(np.intp)):
        search(int(start), out)
    return time.perf_counter() - t0


def _search_slack(points):
    """What the compiled searches add to a bound to cover rounding.

    16 (d + 4) machine epsilons of the largest row's sum of magnitudes: four
    times the worst case of a distance's or a bound's rounding.
    """
    d = points.shape[1]
    magnitude = float(np.max(np.sum(np.abs(points), axis=1)))
    return 16.0 * (d + 4) * np.finfo(np.float64).eps * magnitude


def search_tree(points):
    """The Manhattan k-d tree of ``points`` that one training round shares.

    :func:`locality_order` takes its leaf order, and :func:`training_neighbors`
    may search it (:func:`_kd_plan`), so a round builds one tree (2.8 s at a
    million rows of 10 features).
    """
    return KDTree(points, metric="manhattan")


def locality_order(points, tree=None):
    """The rows in the leaf order of a k-d tree: near rows get near positions.

    Rows of one block of the objective and their neighbours then lie in a
    small stretch of memory, so gathering the neighbours' rows to recompute
    distances hits the cache (1.7x faster per evaluation at 200 000 rows).
    ``tree``: :func:`search_tree` of ``points``, if built already.
    """
    if tree is None:
        tree = search_tree(points)
    return tree.get_arrays()[1].astype(np.intp)


class _BoundNeighbors:
    """Per-fit state of :class:`NeighborLogits`: the pairs' distances by block.

    With the compiled kernels (``compiled``) it holds, per block, the rows
    whose coordinates the block needs (its own first, then its neighbours')
    and each pair's neighbour as a position among them (:meth:`compact`); a
    thread's buffer receives those rows of E in the forward pass, and the
    backward pass, which follows it on the same thread and block, reads them
    again.  Otherwise it holds NumPy pieces of distances.
    """

    def __init__(self, E, neighbors, table, budget, log_mass=None):
        self.E = E
        self.neighbors = neighbors
        self.log_mass = log_mass
        self.index = [table.block_row_index(b) for b in range(table.n_blocks)]
        k, d = neighbors.shape[1], E.shape[1]
        self.pair_bytes = 8 * k * d
        self.compiled = _pairs is not None
        if not self.compiled:
            warn_numpy_path()
        self.direct = False
        if self.compiled:
            self.E = np.ascontiguousarray(E, dtype=np.float64)
            self.direct = reads_in_place(self.E)
            if self.direct:
                self.blocks = [self.in_place(neighbors, rows) for rows in self.index]
                self.gather_rows = 0
                return
            self.blocks = [self.compact(neighbors, rows) for rows in self.index]
            self.gather_rows = max(gather.size for gather, _ in self.blocks)
            return
        max_rows = int(np.max(np.diff(table.block_rows)))
        # A thread's buffer holds a whole block when a sixteenth of the
        # working memory allows (then the backward pass reuses the forward
        # pass's distances instead of recomputing them).
        memory = get_config()["working_memory"] * 2**20
        piece = max(budget, memory // 16)
        self.piece_rows = max(1, min(max_rows, piece // self.pair_bytes))
        # Keep the distances of as many leading blocks as an eighth of the
        # working memory holds; the others are recomputed at every evaluation
        # (the kernel table keeps its values in the rest).
        keep = memory // 8
        self.kept = []
        used = 0
        for b in range(table.n_blocks):
            rows = self.index[b]
            n_rows = _n_rows(rows)
            used += n_rows * self.pair_bytes
            if used > keep:
                break
            D = np.empty((n_rows, k, d))
            self._distances(rows, D)
            self.kept.append(D)

    @staticmethod
    def compact(neighbors, rows):
        """``(gather, positions)`` of a block whose rows are ``rows``.

        ``gather`` lists the rows of E the block needs, its own rows first,
        in order, then the others its neighbours are; ``positions[r, c]``
        (int32) is where row r's c-th neighbour is in it.  Gathered once per
        evaluation, these rows sit together in the caches instead of
        scattered over E (15% faster at a million rows, where E outgrows
        them).
        """
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop)
        nb = neighbors[rows]
        order = np.argsort(rows, kind="stable")
        at = np.minimum(np.searchsorted(rows[order], nb), rows.size - 1)
        own = rows[order][at] == nb
        positions = np.empty(nb.shape, dtype=np.int32)
        positions[own] = order[at[own]]
        others, where = np.unique(nb[~own], return_inverse=True)
        positions[~own] = rows.size + where.reshape(-1)
        return np.concatenate([rows, others]), positions

    @staticmethod
    def in_place(neighbors, rows):
        """``(rows, positions)`` of a block whose rows are ``rows``, both int32.

        The kernels read row ``r`` at ``E[rows[r]]`` and its neighbours at
        ``E[positions[r, c]]``: no copy, for an E that stays in the caches
        (20 000 real waves: the gathers took a fifth of an evaluation).
        """
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop)
        return rows.astype(np.int32), neighbors[rows].astype(np.int32)

    @property
    def buffer_bytes(self):
        if self.compiled:
            return 8 * self.gather_rows * self.E.shape[1]
        return self.piece_rows * self.pair_bytes

    def buffer(self):
        if self.direct:
            return None
        if self.compiled:
            return np.empty((self.gather_rows, self.E.shape[1]))
        k, d = self.neighbors.shape[1], self.E.shape[1]
        return np.empty((self.piece_rows, k, d))

    def _distances(self, rows, out):
        np.take(self.E, self.neighbors[rows], axis=0, out=out)
        out -= self.E[rows][:, None, :]
        np.abs(out, out=out)

    def pieces(self, b, buffer, again=False):
        """``(part, D)`` covering block ``b``: ``D[r, j, p] = |E_ip - E_jp|``."""
        if b < len(self.kept):
            yield slice(None), self.kept[b]
            return
        rows = self.index[b]
        n_rows = _n_rows(rows)
        step = self.piece_rows
        if again and n_rows <= step:
            yield slice(None), buffer[:n_rows]
            return
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop)
        for a in range(0, n_rows, step):
            z = min(a + step, n_rows)
            out = buffer[: z - a]
            self._distances(rows[a:z], out)
            yield slice(a, z), out


def _n_rows(rows):
    return rows.stop - rows.start if isinstance(rows, slice) else rows.shape[0]


class NeighborLogits:
    """Logits ``-s * sum_p v_p |E_ip - E_jp|`` of each row's neighbours.

    ``v`` is the metric (which rows are neighbours, and how their distances
    compare) and ``s`` the softmax's sharpness, as in a nearest-neighbour gun
    ("a learned scale times a weighted Manhattan distance").  Kept apart, a
    fit that prefers nearly equal weights lowers ``s`` and keeps the metric
    that found the neighbours: a single weight vector would shrink to zero and
    lose it.  The flat parameters are ``[log s, u_1, ..., u_P]`` with
    ``u >= 0`` and ``v = u / sum(u)`` (the log lets L-BFGS-B move the
    sharpness by factors: fits on real waves took 267 iterations instead of
    382 with ``s`` itself); the penalty is
    ``alpha / 2 * ||v - start||^2`` (standardised units) plus
    ``(sum(u) - 1)^2 / 2``, which pins the scale of ``u`` (the logits do not
    depend on it) without touching the model.

    Parameters
    ----------
    n_outputs : int
        Columns of the embedding.
    start : ndarray of shape (n_outputs,)
        The metric ``v0`` the penalty pulls towards (summing to one).
    alpha : float
        Strength of the penalty.
    """

    # forward leaves each row's first logit zero (saves the table a pass)
    shifted = True

    def __init__(self, n_outputs, start, alpha):
        self.n_params = int(n_outputs) + 1
        self.start = start
        self.alpha = float(alpha)

    @staticmethod
    def pack(sharpness, metric):
        with np.errstate(divide="ignore"):  # a zero sharpness is log 0
            return np.concatenate([[np.log(float(sharpness))], metric])

    @staticmethod
    def unpack(params):
        """``(s, v)``: the sharpness and the metric (summing to one)."""
        u = params[1:]
        return float(np.exp(params[0])), u / np.sum(u)

    def bind(self, data, table, budget):
        """``data`` is ``(E, neighbors)`` or ``(E, neighbors, log_mass)``.

        The embedded rows, their neighbours and, when the rows weigh unequally,
        the log of each row's weight: a neighbour's kernel then enters a
        mixture with its weight, ``z_ij + log m_j`` (None: all equal).
        """
        E, neighbors, *rest = data
        log_mass = rest[0] if rest else None
        return _BoundNeighbors(E, neighbors, table, budget, log_mass)

    def prepare(self, params):
        s, v = self.unpack(params)
        return s, v, float(np.sum(params[1:])), s * v

    def forward(self, state, bound, b, buffer, out):
        phi = state[3]
        if bound.direct:
            rows, positions = bound.blocks[b]
            _pairs.pair_logits(bound.E, positions, phi, out, rows)
        elif bound.compiled:
            gather, positions = bound.blocks[b]
            block_E = buffer[: gather.size]
            np.take(bound.E, gather, axis=0, out=block_E)
            _pairs.pair_logits(block_E, positions, phi, out)
        else:
            k = out.shape[1]
            for part, D in bound.pieces(b, buffer):
                n_rows = D.shape[0]
                np.matmul(D.reshape(n_rows * k, -1), phi, out=out[part].reshape(-1))
                out[part] *= -1.0
            # (-d_c) - (-d_0), as the compiled kernel makes it: the first is 0.
            out -= out[:, :1].copy()
        if bound.log_mass is not None:
            # Constants of the parameters: backward needs no change.
            out += bound.log_mass[bound.neighbors[bound.index[b]]]
            out -= out[:, :1].copy()

    def backward(self, state, bound, b, buffer, grad_logits, ones, out):
        s, v, total, _ = state
        # d loss / d phi with phi = s v (minus the sums of g |E_ip - E_jp|),
        # then the chain rule to s and u.
        g_phi = np.zeros(bound.E.shape[1])
        if bound.direct:
            rows, positions = bound.blocks[b]
            _pairs.pair_gradient(bound.E, positions, grad_logits, g_phi, rows)
        elif bound.compiled:
            # The buffer still holds the block's rows of E from forward.
            gather, positions = bound.blocks[b]
            _pairs.pair_gradient(buffer[: gather.size], positions, grad_logits, g_phi)
        else:
            k = grad_logits.shape[1]
            for part, D in bound.pieces(b, buffer, again=True):
                n_rows = D.shape[0]
                g_phi += grad_logits[part].reshape(-1) @ D.reshape(n_rows * k, -1)
        g_phi *= -1.0
        out[0] += s * (g_phi @ v)
        out[1:] += _through_normalisation(s * g_phi, v, total)

    def penalty(self, params):
        _, v = self.unpack(params)
        total = float(np.sum(params[1:]))
        diff = v - self.start
        grad = np.zeros_like(params)
        grad[1:] = _through_normalisation(self.alpha * diff, v, total)
        grad[1:] += total - 1.0
        value = 0.5 * self.alpha * float(diff @ diff) + 0.5 * (total - 1.0) ** 2
        return value, grad


def _through_normalisation(grad_v, v, total):
    """``d / du`` from ``d / dv`` with ``v = u / sum(u)``."""
    return (grad_v - grad_v @ v) / total
