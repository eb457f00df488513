"""A location-scale head: the density moves and stretches with the features.

The model of a row is the softmax-KDE ``q`` of a standardised variable
``z = (t - mu(x)) / s(x)``, moved by the row's location and stretched by its
scale::

    p(t | x) = q((t - mu) / s | x) / s,   q(z | x) = sum_m softmax_m(x) K_h(z - c_m)
    mu(x) = beta . x + beta_0,            log s(x) = gamma . x + gamma_0

Parameter layout (written once, here): the linear logits' parameters
(:mod:`skkdece._linear`: ``coef`` (M, d), then the intercept (M,) when
``fit_intercept``), then ``beta`` (d,) and ``beta_0`` when the location head
is on, then ``gamma`` (d,) and ``gamma_0`` when the scale head is on.  The
heads always have their intercepts.

How the objective scheduler (:mod:`skkdece._objective`) carries the heads,
unchanged: a row's outputs are its ``M`` logits followed by ``mu`` and
``log s`` (one linear map of X, :class:`LocationScaleLogits`), and the table
(:class:`LocationScaleTable`) reads all ``M + H`` columns, returns the row's
loss and writes ``d loss / d output`` into all of them.  The table cannot be
computed once, since the standardised targets move with the heads; it
evaluates the kernels at each evaluation, in the log domain.

Loss of row ``i`` with ``alpha_i = (a_i - mu_i) / s_i`` and
``beta_i = (b_i - mu_i) / s_i``:

* cross-entropy, interval: ``-G + log s`` with ``G`` the mean of ``log q``
  over ``[alpha, beta]`` (the same Gauss-Legendre panels as without heads);
  by the fundamental theorem of calculus
  ``dL/dmu = (log q(beta) - log q(alpha)) / (s (beta - alpha))`` and
  ``dL/dlog s = 1 + log q(alpha) - G + beta (log q(beta) - log q(alpha)) /
  (beta - alpha)``;
* point (either loss): ``-log q(z) + log s``, ``dL/dmu = (log q)'(z) / s``,
  ``dL/dlog s = 1 + z (log q)'(z)``, with ``(log q)'`` the
  responsibility-weighted slopes of the log kernels;
* interval likelihood, interval: ``-log Q(alpha, beta)`` with ``Q`` the mass
  of ``q`` (no ``log s``: masses do not stretch), ``dL/dmu = (q(beta) -
  q(alpha)) / (s Q)`` and ``dL/dlog s = (beta q(beta) - alpha q(alpha)) / Q``.

Every ``log q`` and every ratio is a logsumexp of log weights and log
kernels, so targets hundreds of bandwidths from every center keep their
exact values and gradients.  On a circle only the location exists: a
rotation, ``z = t - mu`` (the kernels wrap the offsets).

:func:`location_scale_loss` computes all of this with NumPy.  For the
gaussian and the exponential kernel, and on a circle also the von Mises
kernel and the compact kernels (points, and intervals under the
cross-entropy), the table calls the compiled loss ``skkdece._heads``
instead (src/skkdece/_heads.c): the same formulas, row by row with the
terms in the caches, and an exponential of its own that vectorises; the
two agree to rounding, and the tests hold them to it.  A compact kernel
as wide as the period or wider, wrapped gaussians some narrower and some
wider than a third of the period (images for the ones, a Fourier series
for the others) and ``loss="interval_likelihood"`` keep NumPy's.
"""

from functools import cache, partial

import numpy as np
from scipy import linalg, sparse
from scipy.special import i0e
from sklearn import get_config
from sklearn.linear_model import Ridge
from sklearn.utils.sparsefuncs import min_max_axis

from ._chunking import row_batches
from ._compiled import usable
from ._linear import LinearLogits, feature_moments, feature_scale, power_of_two
from ._tables._kernels import (
    _WRAPPED_GAUSSIAN_SWITCH,
    COMPACT_KERNELS,
    _bandwidth_groups,
    _unit_log_kernel,
    _wrap,
    finest_bandwidth,
    image_shifts,
    log_interval_mass,
    log_kernel,
    logsumexp_last,
    vonmises_kappa,
    widest_bandwidth,
    wrapped_series_terms,
)
from ._tables._quadrature import (
    MAX_NODES_PER_PANEL,
    _gauss_legendre,
    quadrature_nodes,
)

# The calling convention of the compiled loss this module expects.
_HEADS_API = 4
try:  # the compiled loss of point targets; optional, as the pair kernels
    from . import _heads as _built
except ImportError:  # pragma: no cover - an install without a C compiler
    _built = None
_heads = usable(
    _built, _HEADS_API, "location-scale loss", "the heads use their NumPy loss"
)
#: The compiled loss's vector width, one of ``_heads.WIDTHS``; 0: the
#: widest this processor runs.  The benchmarks and tests set it.
_HEADS_WIDTH = 0

#: ``E log |e|`` for a standard normal ``e``: the start's ridge on
#: ``log |residual|`` is shifted by it to estimate ``log`` of the spread.
_LOG_ABS_NORMAL_MEAN = -0.5 * (np.euler_gamma + np.log(2.0))

# Rows per block of the location-scale table: about this many kernel values
# (4 MiB, as the kernel tables' blocks), and at most working_memory / 16
# bytes' worth ...
_BLOCK_VALUES = 2**19
# ... and, since no table is kept, at most half the rows once that is this
# many (the loss's threads then share them; smaller blocks cost more in
# hand-offs than they save) ...
_SPLIT_ROWS = 2048
# ... and interval rows are evaluated in chunks of at most about this many
# kernel values (16 MiB an array, three arrays at a time), and at most
# working_memory / 32 bytes' worth ...
_CHUNK_VALUES = 2**21
# ... and a row the heads stretch over more than this many bandwidths counts
# as an infinite loss (see _node_chunks).
_MAX_STRETCH = 2048.0


# ---------------------------------------------------------------------------
# Slopes of the log kernels.
# ---------------------------------------------------------------------------


def _unit_log_slope(v, kernel):
    """``d/dv log K(v)`` at unit bandwidth, 0 outside a compact support."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kernel == "gaussian":
            return -v
        if kernel == "exponential":
            return -np.sign(v)
        a = np.abs(v)
        inside = a < 1.0
        if kernel == "tophat":
            out = np.zeros(np.shape(v))
        elif kernel == "epanechnikov":
            out = -2.0 * v / (1.0 - v * v)
        elif kernel == "linear":
            out = -np.sign(v) / (1.0 - a)
        elif kernel == "cosine":
            out = -0.5 * np.pi * np.tan(0.5 * np.pi * v)
        else:  # pragma: no cover - guarded by the callers
            raise ValueError(f"Unknown kernel {kernel!r}.")
        return np.where(inside, out, 0.0)


def _log_slope_one(u, kernel, h, period):
    """:func:`log_kernel_slope` for one bandwidth ``h``."""
    if period is None:
        return _unit_log_slope(u / h, kernel) / h
    P = float(period)
    u = _wrap(u, P)
    if kernel == "vonmises":
        kappa = vonmises_kappa(h, P)
        return -kappa * (2.0 * np.pi / P) * np.sin((2.0 * np.pi / P) * u)
    if kernel == "exponential":
        x = (0.5 * P - np.abs(u)) / h
        return -np.sign(u) * np.tanh(x) / h
    if kernel == "gaussian" and h > P / 3.0:
        # The wrapped normal's Fourier series and its derivative.
        decay = 2.0 * (np.pi * h / P) ** 2
        n = np.arange(1, wrapped_series_terms(h, P) + 1)
        coef = np.exp(-decay * n * n)
        angle = (2.0 * np.pi / P) * u[..., None] * n
        series = 1.0 + 2.0 * np.sum(coef * np.cos(angle), axis=-1)
        slope = -2.0 * np.sum(coef * (2.0 * np.pi / P) * n * np.sin(angle), axis=-1)
        return slope / series
    # Image sums: the slope is the images' responsibility-weighted slopes,
    # over the images log_kernel sums.
    v = (u[..., None] + image_shifts(kernel, h, P)) / h
    log_terms = _unit_log_kernel(v, kernel)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.exp(log_terms - logsumexp_last(log_terms)[..., None])
    weight = np.where(np.isfinite(weight), weight, 0.0)
    return np.sum(weight * _unit_log_slope(v, kernel), axis=-1) / h


def log_kernel_slope(u, kernel, bandwidth, period=None):
    """``d/du log K_h(u)``, the slope of :func:`~skkdece._tables._kernels.log_kernel`.

    Parameters
    ----------
    u : ndarray of any shape
        Offsets ``t - c``.
    kernel, bandwidth, period :
        As for ``log_kernel`` (a bandwidth per atom is one per value on the
        last axis of ``u``).

    Returns
    -------
    slope : ndarray of the shape of ``u``
        0 where the kernel is zero (its weight in any mixture is then zero)
        and at the kink of the exponential kernel's center.
    """
    u = np.asarray(u, dtype=np.float64)
    if not np.ndim(bandwidth):
        return _log_slope_one(u, kernel, float(bandwidth), period)
    out = np.empty(u.shape)
    for h, atoms in _bandwidth_groups(bandwidth):
        out[..., atoms] = _log_slope_one(u[..., atoms], kernel, h, period)
    return out


# ---------------------------------------------------------------------------
# Per-row losses of a moving, stretching mixture.
# ---------------------------------------------------------------------------


def _log_sum_exp(a):
    """``(log sum_m exp(a_m), e, sum_e)`` per row, with ``e = exp(a - max a)``.

    Terms that underflow in ``e`` are below ``1e-300`` of the row's largest:
    the sum and the responsibilities ``e / sum_e`` are exact to rounding.
    A row of ``-inf`` has ``log`` sum ``-inf`` and ``sum_e`` zero.  ``a`` is
    overwritten with ``e``.
    """
    top = np.max(a, axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.subtract(a, top[:, None], out=a)
    np.exp(e, out=e)
    total = np.einsum("ij->i", e)
    with np.errstate(divide="ignore"):
        return np.log(total) + top, e, total


class _Nearest:
    """Each point's nearest center: a binary search among the midpoints of
    the sorted centers (a tie goes to the lower center).
    """

    def __init__(self, centers):
        order = np.argsort(centers, kind="stable")
        ordered = centers[order]
        self.order = order
        self.midpoints = 0.5 * (ordered[:-1] + ordered[1:])

    def __call__(self, z):
        return self.order[np.searchsorted(self.midpoints, z)]


def _log_sum_exp_near(build, z, nearest):
    """:func:`_log_sum_exp` of the terms ``build()`` (a new array each call,
    overwritten with ``e``), shifted by each row's term at its nearest center.

    Any one term of a row is a valid shift unless another exceeds it by
    more than ``709`` (an overflow, then redone with the maximum): the
    shift's own term is one, and every term that underflows is below
    ``1e-300`` of it.  The nearest center's term is the largest but for the
    weights, and finding it costs a binary search instead of a pass over
    the row (NumPy's maximum along short rows costs four exponentials).
    """
    a = build()
    shift = a[np.arange(a.shape[0]), nearest(z)]
    if not np.all(np.isfinite(shift)):
        return _log_sum_exp(a)
    np.subtract(a, shift[:, None], out=a)
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    total = np.einsum("ij->i", a)
    if not np.all(total < np.inf):
        return _log_sum_exp(build())
    return np.log(total) + shift, a, total


def _softmax_terms(logits, shifted):
    """``(log sum_m exp(logits_m), e, sum_e)`` per row; ``e / sum_e`` is the
    softmax.

    Shifted logits (the first zero) have a sum of exponentials of at least
    one, so without overflow nothing is lost to skipping the maximum.
    """
    if shifted:
        with np.errstate(over="ignore"):
            e = np.exp(logits)
        total = np.einsum("ij->i", e)
        if np.all(total < np.inf):
            return np.log(total), e, total
    return _log_sum_exp(np.array(logits))


def _log_terms(z, logits, centers, kernel, bandwidth, period):
    """``(build, constant)``: ``build()`` makes a new array of
    ``logits[i, m] + log K_h(z[i] - c_m) + constant`` (with ``logits`` of
    one row per ``z``, or a callable that gives them).

    The gaussian kernel on the line is written in place, its normalising
    constant left out (``constant``, to be subtracted from the log sums).
    """
    rows = logits if callable(logits) else (lambda: logits)
    if kernel != "gaussian" or period is not None:

        def build():
            out = log_kernel(z[:, None] - centers, kernel, bandwidth, period)
            out += rows()
            return out

        return build, 0.0
    factor = -0.5 * (1.0 / np.square(bandwidth))
    if np.ndim(bandwidth):
        log_h = np.log(bandwidth)
        constant = 0.5 * np.log(2.0 * np.pi)
    else:
        log_h = None
        constant = np.log(float(bandwidth) * np.sqrt(2.0 * np.pi))

    def build():
        out = np.subtract.outer(z, centers)
        np.square(out, out=out)
        out *= factor
        out += rows()
        if log_h is not None:
            out -= log_h
        return out

    return build, constant


def _ends_log_density(lg, log_norm, a, b, nearest, kw):
    """``(log q(a), log q(b))`` of each row's mixture at its own ends."""
    z = np.concatenate([a, b])
    build, constant = _log_terms(z, lambda: np.vstack([lg, lg]), **kw)
    log_total = _log_sum_exp_near(build, z, nearest)[0]
    n = a.shape[0]
    return (
        log_total[:n] - (log_norm + constant),
        log_total[n:] - (log_norm + constant),
    )


@cache
def _panel_rules():
    """The Gauss-Legendre rules of the automatic quadrature
    (:func:`~skkdece._tables._quadrature.quadrature_nodes`), as the compiled
    loss reads them: row ``k`` holds the ``k``-node rule's nodes (weights),
    for ``k`` from 3 to 10.  The compiled loss places them as that function
    does for a kernel without kinks (panels at most a bandwidth wide, 3 to 10
    nodes each), the same nodes bit for bit; the tests compare the losses.
    """
    nodes = np.zeros((MAX_NODES_PER_PANEL + 1, MAX_NODES_PER_PANEL))
    weights = np.zeros_like(nodes)
    for k in range(3, MAX_NODES_PER_PANEL + 1):
        nodes[k, :k], weights[k, :k] = _gauss_legendre(k)
    nodes.flags.writeable = False
    weights.flags.writeable = False
    return nodes, weights


def _memory_values():
    """``(block, chunk)``: kernel values a block and a chunk may hold under
    scikit-learn's ``working_memory``.
    """
    budget = int(get_config()["working_memory"] * 2**20)
    return (
        max(1, min(_BLOCK_VALUES, budget // (16 * 8))),
        max(1, min(_CHUNK_VALUES, budget // (32 * 8))),
    )


def _node_chunks(width, bandwidth, n_atoms, chunk_values):
    """Index arrays of the interval rows, in chunks of bounded quadrature.

    Each chunk's nodes (about ``10 (width / h + 1)`` a row, ``h`` the finest
    bandwidth) times the atoms stay within ``chunk_values``.  Rows stretched
    over more than ``_MAX_STRETCH`` bandwidths are left out: their loss
    stays infinite.  Such a row is thousands of bandwidths from every
    center over most of its interval (a solver's trial step that shrank the
    scale by orders of magnitude), where the exact loss is that large
    anyway and its quadrature would not fit in memory; the solver steps
    back from it (:func:`line_search_barrier`).
    """
    relative = width / finest_bandwidth(bandwidth)
    kept = np.flatnonzero(relative <= _MAX_STRETCH)
    values = n_atoms * 10.0 * (np.ceil(relative[kept]) + 1.0)
    chunk = np.floor(np.cumsum(values) / chunk_values).astype(np.intp)
    cuts = np.flatnonzero(np.diff(chunk)) + 1
    return [part for part in np.split(kept, cuts) if part.size]


def location_scale_loss(
    logits,
    mu,
    log_s,
    lower,
    upper,
    centers,
    *,
    kernel,
    bandwidth,
    period=None,
    loss="cross_entropy",
    n_quadrature=None,
    shifted=False,
    weight=None,
    out=None,
    nearest=None,
    all_points=False,
    chunk_values=None,
):
    """Per-row losses of a moved and stretched kernel mixture and their gradients.

    Parameters
    ----------
    logits : ndarray of shape (n, M)
        The rows' logits (any constant per row).
    mu, log_s : ndarray of shape (n,)
        Each row's location and log scale (``log_s`` zero on a circle).
    lower, upper : ndarray of shape (n,)
        Target intervals (points where equal).
    centers : ndarray of shape (M,)
        Kernel centers of the standardised variable.
    kernel, bandwidth, period, loss, n_quadrature :
        As :class:`~skkdece.SoftmaxKDERegressor`'s.
    shifted : bool, default=False
        Whether each row's logits are shifted so that its first is zero (as
        :class:`~skkdece._linear.LinearLogits` makes them): their softmax
        then needs no maximum.
    weight : ndarray of shape (n,) or None, default=None
        Factors of the rows' gradients (not of their losses).
    out : ndarray of shape (n, M) or None, default=None
        Where to write ``grad_logits`` (not ``logits`` itself).
    nearest : callable or None, default=None
        ``_Nearest(centers)``, when the caller keeps one.
    all_points : bool, default=False
        Whether every target is a point (``lower == upper``), when the
        caller knows.
    chunk_values : int or None, default=None
        Kernel values per chunk of the intervals' quadrature (None: from
        scikit-learn's ``working_memory``).

    Returns
    -------
    loss : ndarray of shape (n,)
        ``inf`` where the density is zero somewhere in the target.
    grad_logits : ndarray of shape (n, M)
    grad_mu, grad_log_s : ndarray of shape (n,)
        Zero where the loss is infinite.
    """
    n, M = logits.shape
    logits = np.asarray(logits, dtype=np.float64)
    weight = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    s = np.exp(log_s)
    lo = (lower - mu) / s
    hi = lo if all_points else (upper - mu) / s
    kw = dict(centers=centers, kernel=kernel, bandwidth=bandwidth, period=period)
    nearest = _Nearest(centers) if nearest is None else nearest
    # The gradient in the logits is w (softmax - responsibilities): the
    # softmax's part first, w e / sum_e, in the output.
    log_norm, grad, total = _softmax_terms(logits, shifted)
    grad = np.multiply(grad, (weight / total)[:, None], out=out)
    loss_out = np.empty(n)
    grad_mu = np.zeros(n)
    grad_log_s = np.zeros(n)

    point = None if all_points else lo == hi
    # Views, not copies, in the usual case of point targets only.
    rows = slice(None) if all_points or np.all(point) else np.flatnonzero(point)
    if isinstance(rows, slice) or rows.size:
        z = lo[rows]
        build, constant = _log_terms(z, logits[rows], **kw)
        log_total, e, e_total = _log_sum_exp_near(build, z, nearest)
        log_q = log_total - (log_norm[rows] + constant)
        # (log q)' is the responsibility-weighted slope of the log kernels
        # (not a number where the density is zero: the row is dropped below).
        with np.errstate(invalid="ignore", divide="ignore"):
            if kernel == "gaussian" and period is None and not np.ndim(bandwidth):
                slope = (e @ centers / e_total - z) / np.square(bandwidth)
            elif kernel == "gaussian" and period is None:
                inv = 1.0 / np.square(bandwidth)
                slope = (e @ (centers * inv) - z * (e @ inv)) / e_total
            else:
                slopes = log_kernel_slope(
                    z[:, None] - centers, kernel, bandwidth, period
                )
                slope = np.einsum("ij,ij->i", e, slopes) / e_total
        w = weight[rows]
        loss_out[rows] = log_s[rows] - log_q
        with np.errstate(invalid="ignore", divide="ignore"):
            e *= (w / e_total)[:, None]
            grad[rows] -= e
            grad_mu[rows] = w * slope / s[rows]
            grad_log_s[rows] = w * (1.0 + z * slope)

    rows = np.flatnonzero(~point) if isinstance(rows, np.ndarray) else []
    if len(rows):  # intervals
        a, b = lo[rows], hi[rows]
        lg, ln = logits[rows], log_norm[rows]
        w = weight[rows]
        log_qa, log_qb = _ends_log_density(lg, ln, a, b, nearest, kw)
        width = b - a
        if loss == "interval_likelihood":
            log_mass = log_interval_mass(
                a[:, None] - centers, b[:, None] - centers, **_without(kw, "centers")
            )
            log_mass += lg
            log_mass -= ln[:, None]
            log_Q, e, e_total = _log_sum_exp(log_mass)
            with np.errstate(invalid="ignore", divide="ignore"):
                e *= np.where(e_total > 0, w / e_total, 0.0)[:, None]
            grad[rows] -= e
            loss_out[rows] = -log_Q
            with np.errstate(invalid="ignore", over="ignore"):
                ra, rb = np.exp(log_qa - log_Q), np.exp(log_qb - log_Q)
                grad_mu[rows] = w * (rb - ra) / s[rows]
                grad_log_s[rows] = w * (b * rb - a * ra)
        else:
            G = np.full(rows.size, -np.inf)
            chunk_values = _memory_values()[1] if chunk_values is None else chunk_values
            for part in _node_chunks(width, bandwidth, M, chunk_values):
                quad = quadrature_nodes(
                    a[part],
                    b[part],
                    centers,
                    n_quadrature=n_quadrature,
                    **_without(kw, "centers"),
                )
                owner = np.repeat(part, quad.counts)
                build, constant = _log_terms(
                    quad.nodes, partial(np.take, lg, owner, axis=0), **kw
                )
                log_total, e, e_total = _log_sum_exp_near(build, quad.nodes, nearest)
                starts = quad.row_ptr[:-1]
                # sum_j v_j log q(t_j) with weights summing to one: the
                # normaliser, the same at every node of a row, comes after.
                with np.errstate(invalid="ignore"):
                    G[part] = np.add.reduceat(quad.weights * log_total, starts)
                G[part] -= ln[part] + constant
                # The responsibilities' mean over the nodes, as one product.
                with np.errstate(invalid="ignore", divide="ignore"):
                    coef = quad.weights / e_total
                mean = (
                    sparse.csr_matrix(
                        (coef, np.arange(coef.shape[0]), quad.row_ptr),
                        shape=(part.shape[0], coef.shape[0]),
                    )
                    @ e
                )
                grad[rows[part]] -= mean * w[part, None]
            loss_out[rows] = log_s[rows] - G
            with np.errstate(invalid="ignore"):
                # Written so that far, narrow intervals lose nothing to
                # the cancellation of beta log q(beta) - alpha log q(alpha).
                difference = (log_qb - log_qa) / width
                grad_mu[rows] = w * difference / s[rows]
                grad_log_s[rows] = w * (1.0 + (log_qa - G) + b * difference)
    bad = ~np.isfinite(loss_out)
    if np.any(bad):
        loss_out[bad] = np.inf
        grad[bad], grad_mu[bad], grad_log_s[bad] = 0.0, 0.0, 0.0
    return loss_out, grad, grad_mu, grad_log_s


def _without(kw, key):
    return {k: v for k, v in kw.items() if k != key}


#: The compiled loss's kernel codes (``KERNEL_`` in ``_heads.h``).
_KERNEL_CODES = {
    "gaussian": 0,
    "exponential": 1,
    "vonmises": 2,
    "tophat": 3,
    "epanechnikov": 4,
    "linear": 5,
    "cosine": 6,
}
#: The wrapped gaussian wider than a third of the period, as its Fourier
#: series (``KERNEL_SERIES``).
_SERIES_CODE = 7
#: Kernels with kinks, whose interval nodes quadrature_nodes places (the
#: compiled loss places only a smooth kernel's).
_KINKED_KERNELS = COMPACT_KERNELS | {"exponential"}


def _compiled_kernel(kernel, bandwidth, period, n_atoms):
    """``(constants, shape)`` of the compiled loss for this kernel, or
    ``(None, (0.0, 0, 0))`` where it does not apply (it keeps NumPy's).

    ``constants`` are the per-atom ``(q, log_h)`` that the row loops read:
    ``1 / 2h^2`` and ``log h`` for the gaussian, ``1 / h`` and ``log h`` for
    the exponential kernel (on a circle ``log h + log(1 - exp(-P / h))``:
    its images beyond the nearest sum in closed form), ``kappa`` and
    ``log(P i0e(kappa))`` for the von Mises kernel, and ``1 / h`` and ``log
    h`` for the compact kernels (on a circle only: on the line the heads
    refuse them).  ``shape`` is ``(period, images each side, kernel
    code)``: 0 and 0 on the line; on a circle the gaussian's images as
    :func:`~skkdece._tables._kernels.image_shifts` counts them, while the
    kernel is at most a third of the period wide, and for a compact kernel
    its nearest image where it is half the period wide or wider (one as
    wide as the period or wider stays in NumPy).  Every gaussian wider
    than a third of the period is, as ``log_kernel`` sums it, the Fourier
    series ``(1 + 2 sum_k rho^(k^2) cos(2 pi k u / P)) / P``: its constants
    are ``rho = exp(-2 (pi h / P)^2)`` and ``log P``, with the finest
    kernel's count of terms in place of the images and code 7 (some
    narrower, some wider keep NumPy's).
    """
    h = np.broadcast_to(np.asarray(bandwidth, dtype=np.float64), (n_atoms,))
    code = _KERNEL_CODES.get(kernel)
    circle_only = kernel == "vonmises" or kernel in COMPACT_KERNELS
    if code is None or (period is None and circle_only):
        return None, (0.0, 0, 0)
    if period is None:
        q = 0.5 / np.square(h) if kernel == "gaussian" else 1.0 / h
        return (q, np.log(h)), (0.0, 0, code)
    P = float(period)
    if kernel == "vonmises":
        kappa = vonmises_kappa(h, P)
        return (kappa, np.log(P * i0e(kappa))), (P, 0, code)
    if kernel == "exponential":
        return (1.0 / h, np.log(h) + np.log(-np.expm1(-P / h))), (P, 1, code)
    widest = widest_bandwidth(bandwidth)
    if kernel in COMPACT_KERNELS:
        if widest >= P:
            # At h = P the tophat's images at -P and P both hold u = 0.
            return None, (0.0, 0, 0)
        return (1.0 / h, np.log(h)), (P, int(widest >= 0.5 * P), code)
    if widest > _WRAPPED_GAUSSIAN_SWITCH * P:
        finest = finest_bandwidth(bandwidth)
        if finest <= _WRAPPED_GAUSSIAN_SWITCH * P:
            # Images for some kernels, a series for others: NumPy's.
            return None, (0.0, 0, 0)
        # The series' terms as log_kernel counts them, for the finest.
        terms = wrapped_series_terms(finest, P)
        rho = np.exp(-2.0 * np.square(np.pi * h / P))
        return (rho, np.full(n_atoms, np.log(P))), (P, terms, _SERIES_CODE)
    images = (image_shifts(kernel, widest, P).shape[0] - 1) // 2
    return (0.5 / np.square(h), np.log(h)), (P, images, code)


class LocationScaleTable:
    """The targets of a location-scale fit, as a table for the scheduler.

    A "table" of :mod:`skkdece._objective` whose rows take ``M + H`` outputs:
    the logits, then the location (when on) and the log scale (when on).
    The kernels are evaluated at every call (the standardised targets move
    with the heads), by the compiled loss where it applies (see
    :func:`_compiled_kernel`; intervals under the cross-entropy), else by
    :func:`location_scale_loss`.

    Parameters
    ----------
    lower, upper : ndarray of shape (n,)
        Target intervals.
    centers : ndarray of shape (M,)
        Kernel centers of the standardised variable.
    kernel, bandwidth, period, loss, n_quadrature :
        As the estimator's.
    location, scale : bool
        Which heads are on.
    """

    #: Rows stay in the caller's order.
    row_order = None

    def __init__(
        self,
        lower,
        upper,
        centers,
        *,
        kernel,
        bandwidth,
        period=None,
        loss="cross_entropy",
        n_quadrature=None,
        location=True,
        scale=True,
    ):
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        self.centers = np.ascontiguousarray(centers, dtype=np.float64)
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.period = period
        self.loss = loss
        self.n_quadrature = n_quadrature
        self.location = bool(location)
        self.scale = bool(scale)
        n, M = self.lower.shape[0], self.centers.shape[0]
        point = self.lower == self.upper
        per_row = M * (1 if np.all(point) else 10)
        block_values, self._chunk_values = _memory_values()
        step = max(1, block_values // per_row)
        # No table is kept: blocks are only the threads' shares, so from
        # 2 * _SPLIT_ROWS rows on there are at least two, of equal size.
        step = min(step, max(_SPLIT_ROWS, -(-n // 2)))
        self.block_rows = np.unique(np.r_[np.arange(0, n, step), n]).astype(np.intp)
        self._all_points = [
            bool(np.all(point[self.block_row_index(b)])) for b in range(self.n_blocks)
        ]
        self._nearest = _Nearest(self.centers)
        # The compiled loss's per-center constants, where it applies (see
        # block_loss), and _shape = (period, images each side, kernel code).
        self._fused, self._shape = _compiled_kernel(kernel, bandwidth, period, M)

    @property
    def n_atoms(self):
        return self.centers.shape[0]

    @property
    def n_centers(self):
        """Outputs per row: the atoms' logits and the heads."""
        return self.n_atoms + self.location + self.scale

    @property
    def n_samples(self):
        return self.lower.shape[0]

    @property
    def n_blocks(self):
        return self.block_rows.shape[0] - 1

    def block_row_index(self, b):
        return slice(self.block_rows[b], self.block_rows[b + 1])

    def check_covered(self, rows=None):
        """Nothing to check once: coverage moves with the heads.

        A row whose density is zero somewhere in its target has an infinite
        loss, which the solver's line search steps back from.
        """

    def block_loss(
        self, b, outputs, sample_weight=None, exp_work=None, grad=None, shifted=False
    ):
        """Losses of block ``b``'s rows; gradients in ``grad`` (all columns)."""
        rows = self.block_row_index(b)
        M = self.n_atoms
        n_rows = outputs.shape[0]
        # A step of the solver can stretch a target out to infinity (a scale
        # that underflows, a square that overflows): its loss is then
        # infinite, its gradient zero (see line_search_barrier).
        sw = np.ones(n_rows) if sample_weight is None else sample_weight
        fused = self._all_points[b] or self.loss == "cross_entropy"
        if self._fused is not None and fused and _heads is not None:
            return self._fused_loss(b, outputs, sw, grad)
        mu = outputs[:, M] if self.location else np.zeros(n_rows)
        log_s = outputs[:, M + self.location] if self.scale else np.zeros(n_rows)
        with np.errstate(under="ignore", over="ignore", divide="ignore"):
            loss, _, g_mu, g_log_s = location_scale_loss(
                outputs[:, :M],
                mu,
                log_s,
                self.lower[rows],
                self.upper[rows],
                self.centers,
                kernel=self.kernel,
                bandwidth=self.bandwidth,
                period=self.period,
                loss=self.loss,
                n_quadrature=self.n_quadrature,
                shifted=shifted,
                weight=sw,
                out=None if grad is None else grad[:, :M],
                nearest=self._nearest,
                all_points=self._all_points[b],
                chunk_values=self._chunk_values,
            )
        if grad is not None:
            if self.location:
                grad[:, M] = g_mu
            if self.scale:
                grad[:, M + self.location] = g_log_s
        return loss

    def _fused_loss(self, b, outputs, sw, grad):
        """:meth:`block_loss` by the compiled loss (``skkdece._heads``): the
        values of :func:`location_scale_loss` to rounding, for the kernels
        of :func:`_compiled_kernel`, with points, and intervals under the
        cross-entropy.
        """
        M, n_rows = self.n_atoms, outputs.shape[0]
        outputs = np.ascontiguousarray(outputs, dtype=np.float64)
        sw = np.ascontiguousarray(sw, dtype=np.float64)
        rows = self.block_row_index(b)
        lower, upper = self.lower[rows], self.upper[rows]
        kernels = (self.centers, *self._fused)
        heads = (M if self.location else -1, M + self.location if self.scale else -1)
        loss = np.full(n_rows, np.inf)
        if self._all_points[b]:
            _heads.point_loss(
                outputs,
                np.ascontiguousarray(lower),
                *kernels,
                *heads,
                sw,
                loss,
                grad,
                _HEADS_WIDTH,
                *self._shape,
            )
            return loss
        # The standardised ends; where they coincide (a narrow interval far
        # out, a scale near infinity) the row is a point, as in NumPy.  A
        # solver's trial step may overflow them: those rows' losses are
        # infinite.
        mu = outputs[:, M] if self.location else 0.0
        s = 1.0
        if self.scale:
            # The compiled loss's own exponential: NumPy 1.x's depends on the
            # arrays' alignment in the last bit, and a row's result must not.
            s = np.empty(n_rows)
            log_s = np.ascontiguousarray(outputs[:, M + self.location])
            _heads.vector_exp(log_s, s, _HEADS_WIDTH)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            lo = (lower - mu) / s
            hi = (upper - mu) / s
        point = lo == hi

        def on_rows(index, compiled, *arguments):
            # compiled(outputs, *arguments, *kernels, *heads, sw, loss, grad,
            # width) of rows `index` (None: all of them).
            if index is None:
                compiled(
                    outputs,
                    *arguments,
                    *kernels,
                    *heads,
                    sw,
                    loss,
                    grad,
                    _HEADS_WIDTH,
                    *self._shape,
                )
                return
            part_loss = np.empty(index.shape[0])
            part_grad = None
            if grad is not None:
                part_grad = np.empty((index.shape[0], grad.shape[1]))
            compiled(
                outputs[index],
                *arguments,
                *kernels,
                *heads,
                sw[index],
                part_loss,
                part_grad,
                _HEADS_WIDTH,
                *self._shape,
            )
            loss[index] = part_loss
            if grad is not None:
                grad[index] = part_grad

        if grad is not None:  # rows stretched beyond reach keep zeros
            grad[:, : self.n_centers] = 0.0
        if np.any(point):
            index = np.flatnonzero(point)
            on_rows(index, _heads.point_loss, lower[index])
        # Intervals, and their quadrature (rows stretched beyond reach keep
        # an infinite loss, as without the compiled loss).  The default rule
        # is placed by the compiled loss itself; a fixed number of nodes by
        # _tables._quadrature, in chunks.
        intervals = np.flatnonzero(~point)
        lo, hi = lo[intervals], hi[intervals]
        # Kinks (the exponential kernel's at the centers, a compact
        # kernel's at the ends of its support) split the panels:
        # quadrature_nodes places their nodes.
        if self.n_quadrature is None and self.kernel not in _KINKED_KERNELS:
            h = finest_bandwidth(self.bandwidth)
            # The compiled loss refuses wider intervals, by this expression.
            with np.errstate(invalid="ignore"):
                part = np.flatnonzero(hi - lo <= _MAX_STRETCH * h)
            index = intervals[part]
            on_rows(
                None if index.shape[0] == n_rows else index,
                _heads.panel_loss,
                lo[part],
                hi[part],
                h,
                *_panel_rules(),
            )
            return loss
        with np.errstate(invalid="ignore"):
            width = hi - lo
        for part in _node_chunks(width, self.bandwidth, M, self._chunk_values):
            quad = quadrature_nodes(
                lo[part],
                hi[part],
                self.centers,
                kernel=self.kernel,
                bandwidth=self.bandwidth,
                period=self.period,
                n_quadrature=self.n_quadrature,
            )
            index = intervals[part]
            on_rows(
                None if index.shape[0] == n_rows else index,
                _heads.interval_loss,
                lo[part],
                hi[part],
                quad.nodes,
                quad.weights,
                quad.row_ptr.astype(np.int64, copy=False),
            )
        return loss


# ---------------------------------------------------------------------------
# The logits model with heads.
# ---------------------------------------------------------------------------


class LocationScaleLogits(LinearLogits):
    """Linear logits and linear location and log-scale heads.

    Parameters
    ----------
    n_centers, n_features, fit_intercept, alpha :
        As :class:`~skkdece._linear.LinearLogits`.
    location, scale : bool
        Which heads are on.
    target_scale : float, default=1.0
        The targets' spread: the location's coefficients are penalised in
        its units, ``alpha / 2 * (||coef||^2 + ||gamma||^2) + location_alpha
        / 2 * ||beta / target_scale||^2``, so that the penalty does not
        depend on the target's units.  Intercepts are not penalised.
    location_alpha : float or None, default=None
        The location head's penalty; None: ``alpha``, also after ``alpha``
        is changed (a regularisation path moves both).
    """

    def __init__(
        self,
        n_centers,
        n_features,
        *,
        fit_intercept,
        alpha=0.0,
        location=True,
        scale=True,
        target_scale=1.0,
        location_alpha=None,
    ):
        super().__init__(
            n_centers, n_features, fit_intercept=fit_intercept, alpha=alpha
        )
        self.location = bool(location)
        self.scale = bool(scale)
        self.target_scale = float(target_scale)
        self.location_alpha = None if location_alpha is None else float(location_alpha)

    @property
    def n_heads(self):
        return int(self.location) + int(self.scale)

    @property
    def n_logit_params(self):
        """Length of the logits' part, as in :class:`LinearLogits`."""
        return super().n_params

    @property
    def n_params(self):
        return self.n_logit_params + self.n_heads * (self.n_features + 1)

    def unpack(self, params):
        return super().unpack(params[: self.n_logit_params])

    def unpack_heads(self, params):
        """``(beta, beta_0, gamma, gamma_0)``; zeros for a head that is off."""
        d = self.n_features
        out = [np.zeros(d), 0.0, np.zeros(d), 0.0]
        start = self.n_logit_params
        for k, on in enumerate((self.location, self.scale)):
            if on:
                out[2 * k] = params[start : start + d]
                out[2 * k + 1] = float(params[start + d])
                start += d + 1
        return tuple(out)

    def pack(self, coef, intercept, heads=None):
        """The flat parameters; ``heads`` as :meth:`unpack_heads` returns them."""
        parts = [super().pack(coef, intercept)]
        d = self.n_features
        heads = (np.zeros(d), 0.0, np.zeros(d), 0.0) if heads is None else heads
        for k, on in enumerate((self.location, self.scale)):
            if on:
                parts += [np.ravel(heads[2 * k]), [heads[2 * k + 1]]]
        return np.concatenate(parts).astype(np.float64)

    def _head_block(self, values):
        """The heads' part of a parameter vector ``values``, shape
        (n_heads, d + 1): a row per head, its coefficients and then its
        intercept (a view)."""
        return values[self.n_logit_params :].reshape(self.n_heads, self.n_features + 1)

    def prepare(self, params):
        # LinearLogits.prepare's shifted logits, with a column per head.
        M, d, H = self.n_centers, self.n_features, self.n_heads
        coef = params[: M * d].reshape(M, d)
        weights = np.empty((d, M + H))
        np.subtract(coef, coef[0], out=weights[:, :M].T)
        offsets = np.zeros(M + H)
        if self.fit_intercept:
            intercept = params[M * d : M * d + M]
            np.subtract(intercept, intercept[0], out=offsets[:M])
        heads = self._head_block(params)
        weights[:, M:] = heads[:, :-1].T
        offsets[M:] = heads[:, -1]
        return weights, offsets

    # forward is LinearLogits.forward: the state is a weight matrix and an
    # offset per output, now M + H of them.

    def backward(self, state, rows, b, buffer, grad_outputs, ones, out):
        M, d = self.n_centers, self.n_features
        # X^T G, not G^T X: with M + H columns (not a multiple of the BLAS's
        # blocking) the latter cost 1.2x as much at 32 centers.
        g_weights = None
        for part, X_part in rows.pieces(b, buffer, again=True):
            product = X_part.T @ grad_outputs[part]
            if g_weights is None:
                g_weights = product
            else:
                g_weights += product
        g_offsets = ones @ grad_outputs
        out[: M * d].reshape(M, d)[...] += g_weights[:, :M].T
        if self.fit_intercept:
            out[M * d : M * d + M] += g_offsets[:M]
        heads = self._head_block(out)
        heads[:, :-1] += g_weights[:, M:].T
        heads[:, -1] += g_offsets[M:]

    def _penalty_weights(self):
        """``(index, weights)``: the penalised parameters (the logits' and the
        heads' coefficients, not the intercepts) and their weights in the
        penalty ``sum(weights * params[index]**2) / 2``, for the current
        ``alpha`` and ``location_alpha`` (the shapes, heads and
        ``target_scale`` are fixed at construction)."""
        alpha, location_alpha = key = (self.alpha, self.location_alpha)
        cached = getattr(self, "_penalty_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        if location_alpha is None:
            location_alpha = alpha
        M, d = self.n_centers, self.n_features
        weights = np.zeros(self.n_params)
        weights[: M * d] = alpha
        heads = [location_alpha / self.target_scale**2] * self.location
        heads += [alpha] * self.scale
        self._head_block(weights)[:, :-1] = np.reshape(heads, (-1, 1))
        penalised = np.ones(self.n_params, dtype=bool)
        penalised[M * d : self.n_logit_params] = False
        self._head_block(penalised)[:, -1] = False
        index = np.flatnonzero(penalised)
        self._penalty_cache = (key, (index, weights[index]))
        return self._penalty_cache[1]

    def penalty(self, params):
        # The logits' penalty and the heads' (on their coefficients in the
        # heads' units, not on their intercepts), with a gradient of the full
        # length.
        index, weights = self._penalty_weights()
        values = params[index]
        grad = np.zeros(self.n_params)
        grad[index] = weights * values
        return 0.5 * float(values @ grad[index]), grad

    def solver_coordinates(self, X, sample_weight):
        """The logits' coordinates, and the heads' on centered features."""
        mean, std = feature_moments(X, sample_weight)
        if sparse.issparse(X):
            low, high = min_max_axis(X, axis=0)
        else:
            low, high = np.min(X, axis=0), np.max(X, axis=0)
        extremes = np.vstack([low, high]).astype(np.float64)
        return self.coordinates_from(mean, std, feature_scale(X), extremes=extremes)

    def coordinates_from(self, mean, std, magnitude, extremes=None):
        """:meth:`solver_coordinates` from the features' weighted means,
        deviations, largest magnitudes (as
        :meth:`~skkdece._linear.LinearLogits.coordinates_from`, what a
        partitioned fit can add up over its partitions) and ``extremes``,
        the features' smallest and largest values, shape (2, d), which the
        heads need.
        """
        base = LinearLogits(
            self.n_centers, self.n_features, fit_intercept=self.fit_intercept
        ).coordinates_from(mean, std, magnitude)
        if extremes is None:
            if self.n_heads:
                raise ValueError(
                    "The location and scale heads' solver coordinates need the "
                    "features' extremes."
                )
            extremes = np.zeros((2, self.n_features))
        return HeadCoordinates(self, base, mean, extremes)


class HeadCoordinates:
    """Solver coordinates of a :class:`LocationScaleLogits` model.

    The logits' part is :class:`~skkdece._linear.SolverCoordinates`'s.  Each
    head is written on centered features: every feature minus its weighted
    mean, divided by the logits' scale of it or, where larger, by the
    largest distance of a row from the mean, both rounded as the logits'
    are (the distance to a power of two, the mean to a sixteenth of the
    scale), so that weights and repeated rows give the same path.  A unit
    step of the solver in one head coefficient then moves no row's location
    (in units of the targets' spread) or log scale by more than about 1.4,
    and the head's intercept is its value at the mean row.  The location is
    in units of the targets' spread, so that a shift or stretch of the
    target leaves the solver's path unchanged.

    The logits' coordinates leave features of moderate magnitude uncentered
    and unscaled (to keep LogisticRegression's path); the heads cannot.  On
    the real waves of Walls a feature with values from 0 to 8 and mean 6.5
    was one of them: L-BFGS-B's first step (of unit length) in its
    log-scale coefficient lowered most rows' log scale by 6 to 12, which
    stretched their targets over 10^4 to 10^6 bandwidths (an infinite loss,
    see :func:`line_search_barrier`).
    """

    def __init__(self, model, base, mean, extremes):
        self.model = model
        self.base = base
        mean = np.asarray(mean, dtype=np.float64)
        low, high = np.asarray(extremes, dtype=np.float64)
        reach = np.maximum(high - mean, mean - low)
        exponent = np.round(np.log2(np.where(reach > 0, reach, 1.0)))
        self.scale = np.maximum(power_of_two(exponent), base.scale)
        step = self.scale / 16.0
        self.mean = np.round(mean / step) * step
        units = [model.target_scale] * model.location + [1.0] * model.scale
        self.units = np.asarray(units, dtype=np.float64)
        # A head's parameters are its solver coordinates times these factors
        # (unit / scale is exact: the scales are powers of two), before the
        # intercepts are uncentered.
        self._n = model.n_logit_params
        self._factor = np.outer(self.units, np.append(1.0 / self.scale, 1.0)).ravel()

    def to_solver(self, params):
        params = np.asarray(params, dtype=np.float64)
        out = np.array(params)
        out[: self._n] = self.base.to_solver(params[: self._n])
        for head, out_head, unit in zip(
            self.model._head_block(params),
            self.model._head_block(out),
            self.units,
            strict=True,
        ):
            out_head[-1] = (head[-1] + head[:-1] @ self.mean) / unit
            out_head[:-1] = head[:-1] * self.scale / unit
        return out

    def from_solver(self, u):
        n = self._n
        out = np.empty(u.shape[0])
        self.base.from_solver(u[:n], out=out[:n])
        np.multiply(u[n:], self._factor, out=out[n:])
        for head in self.model._head_block(out):
            # One dot product a head (a matrix-vector product rounds otherwise).
            head[-1] -= head[:-1] @ self.mean
        return out

    def gradient(self, grad):
        n = self._n
        out = np.empty(grad.shape[0])
        self.base.gradient(grad[:n], out=out[:n])
        out[n:] = grad[n:]
        heads = self.model._head_block(out)
        heads[:, :-1] -= np.multiply.outer(heads[:, -1], self.mean)
        out[n:] *= self._factor
        return out


def line_search_barrier(loss_gradient):
    """``loss_gradient`` with its non-finite values made a finite barrier.

    With the heads, a trial step of the solver can stretch a target over
    more bandwidths than the quadrature may take (``_MAX_STRETCH``) or out
    of the floating-point range: its loss is then infinite.  SciPy's
    L-BFGS-B cannot step back from an infinite value: its line search
    interpolates a NaN step, clamps it to zero, lands on the previous
    iterate and reports convergence, since the objective did not change
    (on the real waves of Walls it stopped after one iteration).  The
    wrapper returns, in place of such a value, the first (starting) value
    ``f_0`` plus ``max(1, |f_0|)`` and a zero gradient.  L-BFGS-B's iterates
    never rise above ``f_0``, so such a point always fails the sufficient
    decrease test: it is never accepted, only bracketed, and the line
    search steps back inside the bracket.  Finite values pass unchanged.
    """
    reference = []

    def wrapped(params):
        value, grad = loss_gradient(params)
        if np.isfinite(value):
            if not reference:
                reference.append(float(value))
            return value, grad
        if not reference:  # an infinite start: nothing to compare with
            return value, grad
        return reference[0] + max(1.0, abs(reference[0])), np.zeros_like(grad)

    return wrapped


# ---------------------------------------------------------------------------
# The two-stage start.
# ---------------------------------------------------------------------------


def two_stage_start(
    X, lower, upper, sample_weight, *, location, scale, period, alpha=1e-4
):
    """The heads' start: a ridge for the location, then one for the log scale.

    The location is a weighted ridge regression of the targets' midpoints
    on X (on a circle it starts at zero: a midpoint regression does not
    respect the seam); the log scale a weighted ridge regression of
    ``log |residual|`` (with the interval's own spread added, and a floor
    at a thousandth of the targets' spread), shifted by ``0.635``, the
    amount by which ``E log |e|`` falls short of ``log sd(e)`` for normal
    noise.  Both ridges minimise the weighted mean of squared residuals plus
    ``alpha ||w||^2``: for the location, in units of the targets' variance,
    the model's own penalty on it (see :class:`LocationScaleLogits`) when
    the noise is normal.  Weights act as repetition counts.

    Returns
    -------
    heads : tuple
        ``(beta, beta_0, gamma, gamma_0)`` (zeros for a head that is off).
    """
    d = X.shape[1]
    sw = sample_weight / np.sum(sample_weight)
    # Ridge's penalty against a weighted sum: the weights summing to one make
    # it the penalty against the weighted mean.
    ridge_alpha = max(float(alpha), 1e-10)
    mid = 0.5 * (lower + upper)
    beta, beta_0 = np.zeros(d), 0.0
    if location and period is None:
        beta, beta_0 = weighted_ridge(X, mid, sw, ridge_alpha)
    gamma, gamma_0 = np.zeros(d), 0.0
    if scale:
        residual = mid - (_linear(X, beta) + beta_0)
        spread = np.sqrt(
            np.average((mid - np.average(mid, weights=sw)) ** 2, weights=sw)
        )
        floor = (1e-3 * spread) ** 2 if spread > 0 else 1.0
        half = 0.5 * (upper - lower)
        log_abs = 0.5 * np.log(residual**2 + half**2 / 3.0 + floor)
        gamma, gamma_0 = weighted_ridge(X, log_abs, sw, ridge_alpha)
        gamma_0 -= _LOG_ABS_NORMAL_MEAN
    return beta, beta_0, gamma, gamma_0


#: Up to this many features the start's ridges solve their normal equations
#: exactly (a d x d system); beyond, scikit-learn's Ridge solves them.
_EXACT_RIDGE_FEATURES = 2000


def weighted_ridge(X, target, weights, alpha):
    """``(w, w_0)`` minimising ``sum_i weights_i (target_i - w_0 - x_i . w)^2
    + alpha ||w||^2`` (``weights`` summing to one).

    Solved exactly from the centered normal equations (dense X centered in
    row chunks), so that weights and repeated rows, dense and sparse X give
    the same start to rounding; an iterative solver's tolerance would not.
    """
    d = X.shape[1]
    if d > _EXACT_RIDGE_FEATURES:
        ridge = Ridge(alpha=alpha).fit(X, target, sample_weight=weights)
        return np.asarray(ridge.coef_, dtype=np.float64), float(ridge.intercept_)
    mean_x = feature_moments(X, weights)[0]
    mean_t = float(weights @ target)
    centered_t = target - mean_t
    if sparse.issparse(X):
        weighted = sparse.csr_matrix(X.multiply(weights[:, None]))
        gram = np.asarray((X.T @ weighted).todense()) - np.outer(mean_x, mean_x)
        rhs = np.asarray(weighted.T @ centered_t).ravel()
    else:
        gram = np.zeros((d, d))
        rhs = np.zeros(d)
        for rows in row_batches(8 * d, X.shape[0]):
            part = np.asarray(X[rows], dtype=np.float64) - mean_x
            gram += part.T @ (part * weights[rows, None])
            rhs += (weights[rows] * centered_t[rows]) @ part
    gram[np.diag_indices(d)] += alpha
    coef = linalg.solve(gram, rhs, assume_a="pos")
    return coef, mean_t - float(mean_x @ coef)


def _linear(X, w):
    return np.asarray(X @ w, dtype=np.float64).ravel()


def head_values(X, heads):
    """Each row's location and scale, ``(mu, s)``, shape (n,) each."""
    beta, beta_0, gamma, gamma_0 = heads
    mu = _linear(X, np.asarray(beta, dtype=np.float64)) + beta_0
    s = np.exp(_linear(X, np.asarray(gamma, dtype=np.float64)) + gamma_0)
    return mu, s


def standardise(lower, upper, mu, s):
    """The targets in the standardised variable, ``(t - mu) / s``."""
    return (lower - mu) / s, (upper - mu) / s


def check_heads(location, scale, period, kernel):
    """``(location, scale)`` as bools.

    A scale head on a circle is an error, and so is a head with a compact
    kernel on the line: its density is zero beyond the outer centers, and a
    target the heads move there has an infinite loss, so that the solver
    could not take a step.  (On a circle compact kernels cover every
    angle.)
    """
    location = location == "linear"
    scale = scale == "linear"
    if scale and period is not None:
        raise ValueError(
            "scale='linear' needs a target on the real line: on a circle "
            "(period is set) the period does not stretch, so only the location "
            "head (a rotation) is available. Set scale=None."
        )
    if (location or scale) and period is None and kernel in COMPACT_KERNELS:
        raise ValueError(
            f"location and scale heads need a kernel with unbounded support "
            f"on the real line ('gaussian' or 'exponential'); got "
            f"kernel={kernel!r}, whose density is zero beyond the outer "
            "centers, where the heads would move the targets."
        )
    return location, scale
