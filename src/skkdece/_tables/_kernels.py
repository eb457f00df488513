"""Kernels on the target axis, evaluated in the log domain.

Every kernel is a normalised density ``K_h(u)`` of the offset ``u = t - c``
between an angle ``t`` and a kernel center ``c``.  The bandwidth ``h`` follows
:class:`sklearn.neighbors.KernelDensity`: the standard deviation for the
gaussian kernel, the scale for the exponential (Laplace) kernel and the support
radius for the compact kernels.  The von Mises kernel exists only on a circle;
its ``h`` is the circular scale in target units, ``kappa = (P / (2 pi h))**2``.

With a period ``P`` a kernel is wrapped onto the circle,
``K_P(u) = sum_k K_h(u + k P)``, and the sum is computed exactly (to rounding):
image sums where they converge quickly, the Fourier series of the wrapped
normal for wide gaussians, and a closed form for the exponential kernel.
"""

import numpy as np
from scipy.special import erfc, i0e, i1e, ive, log_ndtr, ndtr

from ._checks import check_kernel_period

KERNELS = (
    "gaussian",
    "exponential",
    "tophat",
    "epanechnikov",
    "linear",
    "cosine",
    "vonmises",
)
COMPACT_KERNELS = frozenset({"tophat", "epanechnikov", "linear", "cosine"})

# Standard deviation of each kernel at unit bandwidth; used to turn a
# rule-of-thumb (gaussian) bandwidth into an equivalent one for other kernels.
KERNEL_STD = {
    "gaussian": 1.0,
    "exponential": np.sqrt(2.0),
    "tophat": 1.0 / np.sqrt(3.0),
    "epanechnikov": 1.0 / np.sqrt(5.0),
    "linear": 1.0 / np.sqrt(6.0),
    "cosine": np.sqrt(1.0 - 8.0 / np.pi**2),
    "vonmises": 1.0,
}

# Offsets, in bandwidths, where the kernel (or its derivative) is not smooth.
# Quadrature splits an interval at ``c + offset * h`` so that every piece it
# integrates over has a smooth integrand.
KINK_OFFSETS = {
    "gaussian": (),
    "vonmises": (),
    "exponential": (0.0,),
    "tophat": (-1.0, 1.0),
    "epanechnikov": (-1.0, 1.0),
    "cosine": (-1.0, 1.0),
    "linear": (-1.0, 0.0, 1.0),
}

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
# Gaussian image sums are used while h <= P / 3; wider kernels use the Fourier
# series, whose terms then shrink at least as fast as exp(-2.19 n**2).
_WRAPPED_GAUSSIAN_SWITCH = 1.0 / 3.0
# Images and Fourier terms are kept until the next one is below exp(-39) ~ 1e-17
# of the leading term.
_SERIES_LOG_TOL = 39.0


def _unit_log_kernel(u, kernel):
    """Log of the kernel at unit bandwidth, non-periodic. Any shape."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kernel == "gaussian":
            return -0.5 * u * u - _LOG_SQRT_2PI
        if kernel == "exponential":
            return -np.abs(u) - np.log(2.0)
        a = np.abs(u)
        inside = a <= 1.0
        if kernel == "tophat":
            out = np.full(np.shape(u), -np.log(2.0))
        elif kernel == "epanechnikov":
            out = np.log(0.75) + np.log1p(-(np.minimum(a, 1.0) ** 2))
        elif kernel == "linear":
            out = np.log1p(-np.minimum(a, 1.0))
        elif kernel == "cosine":
            out = np.log(np.pi / 4.0) + np.log(np.cos(0.5 * np.pi * np.minimum(a, 1)))
        else:  # pragma: no cover - guarded by the callers
            raise ValueError(f"Unknown kernel {kernel!r}.")
        return np.where(inside, out, -np.inf)


def _wrap(u, period):
    """Reduce offsets to [-period/2, period/2)."""
    return u - period * np.floor(u / period + 0.5)


def _logcosh(x):
    x = np.abs(x)
    return x + np.log1p(np.exp(-2.0 * x)) - np.log(2.0)


def _logsinh(y):
    """log(sinh(y)) for y > 0, accurate for tiny and huge y."""
    return y + np.log(-np.expm1(-2.0 * y)) - np.log(2.0)


def logsumexp_last(a):
    """logsumexp over the last axis that keeps -inf rows at -inf.

    ``scipy.special.logsumexp(a, axis=-1)`` gives the same values (to an ulp)
    and also keeps -inf rows without a warning, but in scipy 1.17 it is 2 to
    5 times slower on the shapes of the hot calls here (image sums, mixture
    densities, quadrature panels), so the one pass below stays.
    """
    m = np.max(a, axis=-1)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - m_safe[..., None]), axis=-1)) + m_safe


# ---------------------------------------------------------------------------
# Per-atom bandwidths.
# ---------------------------------------------------------------------------


def atom_bandwidths(bandwidth, n_atoms=None):
    """One bandwidth as a float, or one per atom as a 1-D float array.

    Raises a ValueError naming the problem for a non-finite or non-positive
    value, or for an array that is not 1-D with ``n_atoms`` values.
    """
    if np.ndim(bandwidth) == 0:
        h = float(bandwidth)
        if not (np.isfinite(h) and h > 0):
            raise ValueError(f"bandwidth must be finite and > 0; got {bandwidth!r}.")
        return h
    h = np.array(bandwidth, dtype=np.float64)
    if h.ndim != 1 or h.size == 0 or (n_atoms is not None and h.size != n_atoms):
        want = "" if n_atoms is None else f" with one value per atom ({n_atoms})"
        raise ValueError(
            f"A bandwidth per atom must be a non-empty 1-D array{want}; got an "
            f"array of shape {h.shape}."
        )
    bad = ~(np.isfinite(h) & (h > 0))
    if np.any(bad):
        raise ValueError(
            f"bandwidth must be finite and > 0; got {h[bad].tolist()} at atoms "
            f"{np.flatnonzero(bad).tolist()}."
        )
    return h


def finest_bandwidth(bandwidth):
    """The smallest of the atoms' bandwidths (a float for one bandwidth).

    Steps that must resolve every atom (quadrature panels, search grids,
    tolerances) are sized by it.
    """
    return float(np.min(bandwidth))


def widest_bandwidth(bandwidth):
    """The largest of the atoms' bandwidths (a float for one bandwidth)."""
    return float(np.max(bandwidth))


def _bandwidth_groups(bandwidth):
    """``(value, columns)`` for each distinct value of a 1-D bandwidth array.

    ``columns`` is a slice where the atoms of one bandwidth are contiguous
    (as a model lays them out, scale after scale), else an index array.
    """
    values, inverse = np.unique(bandwidth, return_inverse=True)
    groups = []
    for k, value in enumerate(values):
        cols = np.flatnonzero(inverse == k)
        if cols[-1] - cols[0] + 1 == cols.size:
            cols = slice(int(cols[0]), int(cols[-1]) + 1)
        groups.append((float(value), cols))
    return groups


def _per_bandwidth(function, arrays, bandwidth):
    """``function(*arrays, h)`` with a bandwidth per atom on the last axis.

    ``bandwidth`` has one value per atom (the last axis of the broadcast
    ``arrays``); each distinct value is one call of the single-bandwidth
    ``function`` on its atoms' columns, so atoms of one bandwidth cost what
    they cost alone and the results are those of a single bandwidth.
    """
    bandwidth = np.asarray(bandwidth, dtype=np.float64)
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in arrays))
    shape = arrays[0].shape
    if bandwidth.ndim != 1 or not shape or shape[-1] != bandwidth.shape[0]:
        raise ValueError(
            f"A bandwidth per atom must be 1-D with one value per atom (the last "
            f"axis, {shape[-1] if shape else 0}); got shape {bandwidth.shape}."
        )
    out = np.empty(shape)
    for value, cols in _bandwidth_groups(bandwidth):
        out[..., cols] = function(*(a[..., cols] for a in arrays), value)
    return out


def vonmises_kappa(bandwidth, period):
    """Concentration of the von Mises kernel with circular scale ``bandwidth``."""
    return (period / (2.0 * np.pi * bandwidth)) ** 2


def log_kernel(u, kernel, bandwidth, period=None):
    """Log of the normalised kernel ``K_h(u)``, wrapped when ``period`` is set.

    Parameters
    ----------
    u : ndarray of any shape
        Offsets ``t - c`` between angles and kernel centers.
    kernel : str
        One of :data:`KERNELS`.
    bandwidth : float or ndarray of shape (n_atoms,)
        Kernel bandwidth ``h > 0``, or one per atom (the last axis of ``u``).
    period : float or None
        Period of the target; ``None`` for a target on the real line.

    Returns
    -------
    log_k : ndarray of the shape of ``u``
        ``log K_h(u)``; ``-inf`` outside the support of compact kernels.
    """
    if np.ndim(bandwidth):
        return _per_bandwidth(
            lambda v, h: log_kernel(v, kernel, h, period), (u,), bandwidth
        )
    u = np.asarray(u, dtype=np.float64)
    h = float(bandwidth)
    if period is None:
        check_kernel_period(kernel, period)
        return _unit_log_kernel(u / h, kernel) - np.log(h)

    P = float(period)
    u = _wrap(u, P)
    if kernel == "vonmises":
        kappa = vonmises_kappa(h, P)
        theta = (2.0 * np.pi / P) * u
        # exp(kappa cos) / I0(kappa) = exp(kappa (cos - 1)) / i0e(kappa); the
        # cosine is written as 1 - 2 sin^2 to keep the tiny offsets exact.
        return -2.0 * kappa * np.sin(0.5 * theta) ** 2 - np.log(P * i0e(kappa))
    if kernel == "exponential":
        x = (0.5 * P - np.abs(u)) / h
        y = 0.5 * P / h
        return _logcosh(x) - np.log(2.0 * h) - _logsinh(y)
    if kernel == "gaussian" and h > _WRAPPED_GAUSSIAN_SWITCH * P:
        # Wrapped normal as a Fourier series: (1/P)(1 + 2 sum rho^(n^2) cos).
        decay = 2.0 * (np.pi * h / P) ** 2
        n = np.arange(1, wrapped_series_terms(h, P) + 1)
        coef = np.exp(-decay * n * n)
        angle = (2.0 * np.pi / P) * u[..., None] * n
        series = 1.0 + 2.0 * np.sum(coef * np.cos(angle), axis=-1)
        return np.log(series) - np.log(P)
    shifts = image_shifts(kernel, h, P)
    terms = _unit_log_kernel((u[..., None] + shifts) / h, kernel)
    return logsumexp_last(terms) - np.log(h)


def wrapped_series_terms(h, period):
    """Terms of the wrapped gaussian's Fourier series for bandwidth ``h``
    (wider than a third of the period), as :func:`log_kernel` and
    :func:`cumulative_mass` sum it: to the last above
    ``exp(-_SERIES_LOG_TOL)`` of the first."""
    decay = 2.0 * (np.pi * h / period) ** 2
    return int(np.ceil(np.sqrt(_SERIES_LOG_TOL / decay)))


def image_shifts(kernel, h, period):
    """The shifts ``k P`` of the images a wrapped kernel sums, for offsets
    wrapped into ``[-P/2, P/2)``.

    Only ``|k| <= n`` can contribute to a compact kernel; for the gaussian
    every image left out lies more than ``_SERIES_LOG_TOL`` nats below the
    nearest one.  :func:`log_kernel` and the slope of its logarithm
    (:func:`skkdece._location_scale.log_kernel_slope`) sum the same images,
    so that the slope is the exact derivative of the value.
    """
    P = float(period)
    if kernel == "gaussian":
        n_img = int(np.ceil(np.sqrt(2.0 * _SERIES_LOG_TOL * (h / P) ** 2 + 0.25) - 0.5))
    else:
        n_img = int(np.ceil(h / P + 0.5))
    return P * np.arange(-n_img, n_img + 1)


# ---------------------------------------------------------------------------
# Cumulative distribution functions and interval masses.
# ---------------------------------------------------------------------------


def _unit_cdf(u, kernel):
    """CDF of the non-periodic kernel at unit bandwidth."""
    if kernel == "gaussian":
        return ndtr(u)
    if kernel == "exponential":
        e = 0.5 * np.exp(-np.abs(u))
        return np.where(u < 0, e, 1.0 - e)
    v = np.clip(u, -1.0, 1.0)
    if kernel == "tophat":
        return 0.5 * (v + 1.0)
    if kernel == "epanechnikov":
        return 0.5 + 0.75 * (v - v**3 / 3.0)
    if kernel == "linear":
        return np.where(v < 0, 0.5 * (1.0 + v) ** 2, 1.0 - 0.5 * (1.0 - v) ** 2)
    if kernel == "cosine":
        return 0.5 * (1.0 + np.sin(0.5 * np.pi * v))
    raise ValueError(f"Unknown kernel {kernel!r}.")  # pragma: no cover


def _unit_log_mass(lo, hi, kernel):
    """log of the unit kernel's mass in [lo, hi] (lo <= hi), exact in the tails."""
    lo, hi = np.broadcast_arrays(lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kernel == "gaussian":
            # Work in the lower tail of whichever side keeps the values small.
            flip = lo > 0
            a = np.where(flip, -hi, lo)
            b = np.where(flip, -lo, hi)
            la, lb = log_ndtr(a), log_ndtr(b)
            return lb + np.log(-np.expm1(la - lb))
        if kernel == "exponential":
            right = lo >= 0
            left = hi <= 0
            # Both on one side: 0.5 (e^-|near| - e^-|far|).
            near = np.where(right, lo, -hi)
            far = np.where(right, hi, -lo)
            one_side = -np.log(2.0) - near + np.log(-np.expm1(near - far))
            both = np.log1p(-0.5 * np.exp(lo) - 0.5 * np.exp(-hi))
            return np.where(right | left, one_side, both)
        return np.log(_unit_cdf(hi, kernel) - _unit_cdf(lo, kernel))


# Von Mises CDF.  With S = sin(t/2) the upper tail (mean 0) is
#
#   mass of [t, pi] = int_S^1 exp(-2 kappa s^2) / sqrt(1 - s^2) ds / (pi i0e(kappa)),
#
# and three expansions cover every concentration:
#
# * kappa <= _VONMISES_FOURIER_MAX_KAPPA: the Fourier series of the density,
#   F(theta) = (theta + pi) / (2 pi) + sum_n I_n/I_0 sin(n theta) / (pi n), summed
#   by Clenshaw's recurrence (at most 33 terms).  Its rounding error is ~1e-16
#   absolute, which stays far below the density times any usable grid step
#   while the density at the antipode, ~exp(-2 kappa), is above ~1e-11 (the
#   relative error of a tail of 1e-8 is below 1e-8).
# * kappa > _VONMISES_SPLIT_MAX_KAPPA: 1 / sqrt(1 - s^2) = sum_j a_j s^(2j),
#   a_j = binom(2j, j) / 4^j, turns the integral into Gaussian moments
#   int u^(2j) exp(-u^2/2) du with u = 2 sqrt(kappa) s, i.e. a normal tail plus
#   exp(-U^2/2) times a polynomial with positive coefficients.  The series is
#   asymptotic (it diverges at s = 1), and truncated where its terms stop
#   falling or drop below 1e-17 it costs ~exp(-2 kappa) (< 1e-17) absolute.
#   Relative accuracy fades towards the antipode: about 2e-9 where the tail is
#   1e-8 just above kappa = 20, better for larger kappa.
# * in between, the same moment series only over s^2 <= 1/2 (t <= pi/2),
#   where it converges like 2^-j, plus the Taylor series of the tail about the
#   antipode in c = cos(t/2), c^2 <= 1/2, whose terms are all positive: every
#   tail keeps its relative accuracy (~1e-14).
#
# The truncated integrands are positive, so the tails are monotone by
# construction.  Each is normalised so that it is exactly 1/2 at t = 0 and
# exactly 0 at pi; F(theta) = tail(-theta) for theta <= 0 (the lower tail
# never comes from 1 - x) and 1 - tail(theta) above, so F(-pi) = 0, F(pi) = 1
# and F(0) = 1/2.  Measured against quadrature on 4001 angles for kappa =
# 1e-12..1e8: absolute error <= 5.6e-16 (tests/test_kernels_vonmises.py).
_VONMISES_FOURIER_MAX_KAPPA = 12.5
# Terms below this fraction of the leading one are dropped.
_VONMISES_TERM_TOL = 1e-17
_VONMISES_MAX_MOMENTS = 64
# Between the Fourier series and the plain moment expansion (whose truncation
# error, ~exp(-2 kappa), is still felt in the tail here) the tail is split at
# t = pi/2: moments in s^2 <= 1/2 (56 terms: 2^-56 < 1.4e-17) inside, and
# outside the Taylor series about the antipode in c = cos(t/2), c^2 <= 1/2.
_VONMISES_SPLIT_MAX_KAPPA = 20.0
_VONMISES_SPLIT_MOMENTS = 56
# Values per pass of the recurrences, so that the temporaries stay in cache.
_VONMISES_BLOCK = 16384


def _vonmises_fourier_coefs(kappa):
    """``I_n(kappa) / (pi n I_0(kappa))`` for ``n = 1..N``, tiny tail dropped."""
    n = np.arange(1, 81)  # 33 terms suffice at the switch-over kappa
    coef = ive(n, kappa) / (np.pi * n * ive(0, kappa))
    big = np.flatnonzero(coef >= _VONMISES_TERM_TOL)
    return coef[: big[-1] + 1] if big.size else coef[:0]


def _vonmises_tail_fourier(kappa):
    """Tail function ``t -> mass of [t, pi]`` (1-D ``t`` in [0, pi]), Fourier.

    ``(pi - t) / (2 pi) - sum_n c_n sin(n t)`` by Clenshaw's recurrence, with
    ``sin t`` and ``cos t`` taken from ``y = min(t, pi - t)`` (exact for
    ``t >= pi/2``), so that the sum vanishes exactly at 0 and at pi.
    """
    coef = _vonmises_fourier_coefs(kappa)[::-1]

    def tail(t):
        y = np.minimum(t, np.pi - t)
        # sin and cos through tan(y/2): one (fast) transcendental call.
        tau = np.tan(0.5 * y)
        inv = 1.0 / (1.0 + tau * tau)
        sin_t = 2.0 * tau * inv
        two_cos_t = 2.0 * (1.0 - tau * tau) * inv
        two_cos_t *= 1.0 - 2.0 * (t > 0.5 * np.pi)  # cos t = -cos y past pi/2
        b1 = np.zeros_like(t)
        b2 = np.zeros_like(t)
        tmp = np.empty_like(t)
        for c in coef:
            np.multiply(two_cos_t, b1, out=tmp)
            tmp -= b2
            tmp += c
            b1, b2, tmp = tmp, b1, b2
        b1 *= sin_t
        return (np.pi - t) / (2.0 * np.pi) - b1  # exactly 1/2 at t = 0

    return tail


def _vonmises_moment_coefs(kappa, n_terms=None):
    """Coefficients of the Gaussian-moment expansion of the tail.

    With ``c_j = a_j / (4 kappa)^j`` and ``b_j = c_j (2j - 1)!!`` the truncated
    tail integral (in ``u``) is ``C0 sqrt(2 pi) (Q(U) - Q(V)) + G(U) - G(V)``
    with ``C0 = sum_j b_j`` and ``G(x) = x exp(-x^2/2) sum_i p_i x^(2i - 2)``,
    ``p_i = sum_(j >= i) b_j / (2i - 1)!!``.  Returns ``C0`` and ``p``, with
    ``n_terms`` terms if given, else as many as the full tail needs.
    """
    j = np.arange(1, _VONMISES_MAX_MOMENTS + 1)
    # b_j / b_(j-1) = (a_j / a_(j-1)) (2j - 1) / (4 kappa) = (2j - 1)^2 / (8 j kappa)
    b = np.cumprod(np.concatenate([[1.0], (2.0 * j - 1.0) ** 2 / (8.0 * j * kappa)]))
    if n_terms is None:
        small = np.flatnonzero(b < _VONMISES_TERM_TOL)
        # Over [S, 1] the expansion is asymptotic: stop at the first
        # negligible term, or at the smallest one if none is negligible.
        n_terms = small[0] if small.size else int(np.argmin(b)) + 1
    b = b[:n_terms]
    double_fact = np.cumprod(np.concatenate([[1.0], 2.0 * j[: n_terms - 1] - 1.0]))
    tail_sums = np.cumsum(b[::-1])[::-1]  # sum_(j >= i) b_j
    return tail_sums[0], tail_sums[1:] / double_fact[1:]


def _normal_sf_and_gauss_poly(x, p):
    """``Q(x)`` (upper normal tail) and ``x exp(-x^2/2) sum_i p[i-1] x^(2i-2)``."""
    x2 = x * x
    acc = np.zeros_like(x)
    for c in p[::-1]:
        acc *= x2
        acc += c
    acc *= x
    acc *= np.exp(-0.5 * x2)
    return 0.5 * erfc(x * np.sqrt(0.5)), acc


def _vonmises_tail_moments(kappa):
    """Tail function ``t -> mass of [t, pi]`` (1-D ``t`` in [0, pi]), moments."""
    c0, p = _vonmises_moment_coefs(kappa)
    v = 2.0 * np.sqrt(kappa)
    q_end, g_end = (a[0] for a in _normal_sf_and_gauss_poly(np.array([v]), p))
    scale = c0 * np.sqrt(2.0 * np.pi)
    total = scale * (0.5 - q_end) - g_end  # the integral at t = 0

    def tail(t):
        tau = np.tan(0.25 * t)
        u = (2.0 * v) * tau / (1.0 + tau * tau)  # v sin(t/2)
        q, g = _normal_sf_and_gauss_poly(u, p)
        q -= q_end
        q *= scale
        g -= g_end
        q += g
        q /= total  # exactly 1 at t = 0
        # Exactly 0 at pi; rounding can leave -tiny where u nears v.
        q *= 0.5 * (t < np.pi)
        return np.maximum(q, 0.0, out=q)

    return tail


def _vonmises_antipode_coefs(kappa):
    """``e_k`` with ``int_0^C exp(-2 kappa s(c)^2) / sqrt(1 - c^2) dc = C sum_k e_k
    C^(2k)``, ``s(c)^2 = 1 - c^2``: the Taylor series of the tail about pi.

    ``e_k = d_k / (2k + 1)`` with ``d_k`` the coefficients of ``exp(-2 kappa (1 -
    x)) / sqrt(1 - x)``, a convolution of the ``a_j`` with Poisson weights;
    all positive.  Kept while a term at ``C^2 = 1/2`` exceeds 1e-17 of the sum.
    """
    k = np.arange(1, 200)
    a = np.cumprod(np.concatenate([[1.0], (2.0 * k - 1.0) / (2.0 * k)]))
    pois = np.exp(-2.0 * kappa) * np.cumprod(np.concatenate([[1.0], 2.0 * kappa / k]))
    e = np.convolve(a, pois)[: a.size] / (2.0 * np.arange(a.size) + 1.0)
    at_half = e * 0.5 ** np.arange(a.size)
    big = np.flatnonzero(at_half >= _VONMISES_TERM_TOL * at_half.sum())
    return e[: big[-1] + 1]


def _vonmises_tail_split(kappa):
    """Tail function ``t -> mass of [t, pi]`` (1-D ``t`` in [0, pi]), split at
    pi/2 (moderate kappa)."""
    c0, p = _vonmises_moment_coefs(kappa, _VONMISES_SPLIT_MOMENTS)
    e = _vonmises_antipode_coefs(kappa)
    # Both pieces in the scale of the moment integral (variable u = v s).
    v = 2.0 * np.sqrt(kappa)
    scale = c0 * np.sqrt(2.0 * np.pi)

    def antipode(c):  # int over [0, c] in the Taylor variable, times v
        x = c * c
        acc = np.zeros_like(c)
        for coef in e[::-1]:
            acc *= x
            acc += coef
        return v * c * acc

    half = np.sqrt(0.5)
    q_mid, g_mid = (a[0] for a in _normal_sf_and_gauss_poly(np.array([v * half]), p))

    def moments(u):  # int over [u, v/sqrt(2)]
        q, g = _normal_sf_and_gauss_poly(u, p)
        q -= q_mid
        q *= scale
        g -= g_mid
        return q + g

    beyond = antipode(np.array([half]))[0]  # the tail at pi/2
    total = moments(np.zeros(1))[0] + beyond

    def tail(t):
        y = np.minimum(t, np.pi - t)  # exact beyond pi/2
        tau = np.tan(0.25 * y)
        w = 2.0 * tau / (1.0 + tau * tau)  # sin(t/2) inside, cos(t/2) outside
        inner = t <= 0.5 * np.pi
        out = np.empty_like(t)
        out[inner] = moments(v * w[inner]) + beyond
        out[~inner] = antipode(w[~inner])
        out /= total  # exactly 1 at t = 0
        out *= 0.5
        return np.maximum(out, 0.0, out=out)

    return tail


def _vonmises_cdf_blocks(x, kappa, period=None):
    """``F(x)`` for angles ``x`` in [-pi, pi], or with a ``period`` the
    antiderivative ``turns + F(theta)`` of offsets ``x`` (wrapped here, block
    by block, so that no full-size temporaries are made)."""
    kappa = float(kappa)
    if kappa <= _VONMISES_FOURIER_MAX_KAPPA:
        tail_of = _vonmises_tail_fourier(kappa)
    elif kappa <= _VONMISES_SPLIT_MAX_KAPPA:
        tail_of = _vonmises_tail_split(kappa)
    else:
        tail_of = _vonmises_tail_moments(kappa)
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    out = np.empty(flat.shape)
    for start in range(0, flat.size, _VONMISES_BLOCK):
        theta = flat[start : start + _VONMISES_BLOCK]
        if period is not None:
            turns = np.floor(theta / period + 0.5)
            theta = (2.0 * np.pi / period) * (theta - period * turns)
        tail = tail_of(np.minimum(np.abs(theta), np.pi))
        # tail below 0 (theta <= 0), 1 - tail above: both exact.
        upper = theta > 0.0
        tail *= 1.0 - 2.0 * upper
        tail += upper
        if period is not None:
            tail += turns
        out[start : start + _VONMISES_BLOCK] = tail
    return out.reshape(x.shape)


def _vonmises_cdf_from_start(theta, kappa):
    """Von Mises mass of [-pi, theta] for theta in [-pi, pi] (mean 0).

    Vectorised over ``theta`` (any shape) for one ``kappa > 0``: absolute
    error below 1e-15 for every kappa, exactly 0 at -pi, 1 at pi and 1/2 at
    0, monotone, and ``F(-theta) = 1 - F(theta)`` to rounding.  Angles a
    rounding error outside [-pi, pi] count as the nearer end.
    """
    return _vonmises_cdf_blocks(theta, kappa)


def cumulative_mass(u, kernel, bandwidth, period=None):
    """Antiderivative of the (wrapped) kernel: mass of the kernel below ``u``.

    For a period ``P`` this is the continuous antiderivative that is zero at
    ``u = -P/2`` and grows by exactly one per period, so that the mass of any
    arc ``[lo, hi]`` with ``hi - lo <= P`` is
    ``cumulative_mass(hi) - cumulative_mass(lo)``.  ``bandwidth`` may hold
    one value per atom (the last axis of ``u``).
    """
    if np.ndim(bandwidth):
        return _per_bandwidth(
            lambda v, h: cumulative_mass(v, kernel, h, period), (u,), bandwidth
        )
    u = np.asarray(u, dtype=np.float64)
    h = float(bandwidth)
    if period is None:
        return _unit_cdf(u / h, kernel)
    P = float(period)
    if kernel == "vonmises":
        return _vonmises_cdf_blocks(u, vonmises_kappa(h, P), P)
    turns = np.floor(u / P + 0.5)
    r = u - P * turns  # in [-P/2, P/2)
    if kernel == "exponential":
        # Integral of cosh((P/2 - |s|)/h) / (2h sinh(P/2h)) from -P/2 to r.
        y = 0.5 * P / h
        x = np.maximum(0.5 * P - np.abs(r), 0.0) / h
        # Mass of [0, |r|] is (1 - sinh(x)/sinh(y)) / 2, and of [-P/2, 0] 1/2.
        ratio = np.exp(_logsinh_ratio(x, y))
        base = np.where(r < 0, 0.5 * ratio, 1.0 - 0.5 * ratio)
    elif kernel == "gaussian" and h > _WRAPPED_GAUSSIAN_SWITCH * P:
        decay = 2.0 * (np.pi * h / P) ** 2
        n = np.arange(1, wrapped_series_terms(h, P) + 1)
        coef = np.exp(-decay * n * n) / (np.pi * n)
        w = 2.0 * np.pi / P
        series = np.sum(
            coef * (np.sin(w * r[..., None] * n) - np.sin(w * (-0.5 * P) * n)),
            axis=-1,
        )
        base = (r + 0.5 * P) / P + series
    else:
        # Narrow gaussians and the compact kernels (the exponential kernel never
        # gets here, so _n_images's exponential rule does not apply).
        n_img = _n_images(kernel, h, P)
        shifts = P * np.arange(-n_img, n_img + 1)
        base = np.sum(
            _unit_cdf((r[..., None] + shifts) / h, kernel)
            - _unit_cdf((-0.5 * P + shifts) / h, kernel),
            axis=-1,
        )
    return turns + base


def _logsinh_ratio(x, y):
    """log(sinh(x) / sinh(y)) for 0 <= x <= y."""
    with np.errstate(divide="ignore"):
        return (x - y) + np.log(-np.expm1(-2.0 * x)) - np.log(-np.expm1(-2.0 * y))


def _n_images(kernel, bandwidth, period):
    """Images ``k`` with ``|k| <= n`` that matter for an offset in [-P/2, P/2]."""
    if kernel in COMPACT_KERNELS:
        return int(np.ceil(bandwidth / period + 0.5))
    # gaussian and exponential: next image below exp(-39) of the kept ones.
    r = bandwidth / period
    if kernel == "gaussian":
        return int(np.ceil(np.sqrt(2.0 * _SERIES_LOG_TOL * r * r + 0.25) - 0.5))
    return int(np.ceil(_SERIES_LOG_TOL * r + 0.5))


def log_interval_mass(lo, hi, kernel, bandwidth, period=None):
    """log of the kernel's mass between offsets ``lo <= hi``, exact in the tails.

    Parameters
    ----------
    lo, hi : ndarray
        Interval ends relative to the kernel center (``a - c`` and ``b - c``);
        with a period, ``hi - lo <= period``.
    kernel, bandwidth, period :
        As for :func:`log_kernel` (a bandwidth per atom is one per value on
        the last axis of ``lo`` and ``hi``).

    Returns
    -------
    log_mass : ndarray
        ``log integral_lo^hi K(u) du``; ``-inf`` for no mass.
    """
    if np.ndim(bandwidth):
        return _per_bandwidth(
            lambda a, b, h: log_interval_mass(a, b, kernel, h, period),
            (lo, hi),
            bandwidth,
        )
    lo, hi = np.broadcast_arrays(
        np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    )
    h = float(bandwidth)
    if period is None:
        return _unit_log_mass(lo / h, hi / h, kernel)
    P = float(period)
    wide = h > _WRAPPED_GAUSSIAN_SWITCH * P
    if kernel == "vonmises" or (wide and kernel in ("gaussian", "exponential")):
        if kernel == "vonmises" and vonmises_kappa(h, P) > 50.0:
            return _log_mass_by_quadrature(lo, hi, kernel, h, P)
        # Wide kernels: the density is within a factor e^2 of its mean over the
        # circle (von Mises with kappa <= 50: within e^100), so a difference of
        # the continuous CDF loses nothing to underflow.
        with np.errstate(divide="ignore"):
            mass = cumulative_mass(hi, kernel, h, P) - cumulative_mass(lo, kernel, h, P)
            return np.log(np.maximum(mass, 0.0))
    shift = P * np.floor(lo / P + 0.5)
    lo, hi = lo - shift, hi - shift  # lo in [-P/2, P/2)
    n_img = _n_images(kernel, h, P) + 1
    shifts = P * np.arange(-n_img, n_img + 1)
    terms = _unit_log_mass(
        (lo[..., None] + shifts) / h, (hi[..., None] + shifts) / h, kernel
    )
    return logsumexp_last(terms)


def _log_mass_by_quadrature(lo, hi, kernel, h, P):
    """log-domain Gauss-Legendre mass for narrow von Mises kernels.

    Panels of a quarter bandwidth with 10 nodes each integrate the smooth
    kernel to full double precision, and logsumexp keeps far arcs exact.
    """
    x, w = np.polynomial.legendre.leggauss(10)
    n_panels = int(np.ceil(np.max(hi - lo, initial=0.0) / (0.25 * h))) or 1
    edges = np.linspace(0.0, 1.0, n_panels + 1)
    width = hi - lo
    out = np.full(lo.shape, -np.inf)
    with np.errstate(divide="ignore"):
        log_width = np.log(width)
    for j in range(n_panels):
        a = lo + edges[j] * width
        half = 0.5 * (edges[j + 1] - edges[j]) * width
        t = (a + half)[..., None] + half[..., None] * x
        terms = log_kernel(t, kernel, h, P) + np.log(w)
        out = np.logaddexp(out, logsumexp_last(terms))
    with np.errstate(invalid="ignore"):
        return np.where(width > 0, out + log_width - np.log(2 * n_panels), -np.inf)


def unit_characteristic(a, kernel):
    """Characteristic function ``E[cos(a U)]`` of the unit-bandwidth kernel.

    For a period ``P`` the first trigonometric moment of the wrapped kernel of
    bandwidth ``h`` is ``unit_characteristic(2 pi h / P)`` (wrapping leaves the
    Fourier coefficients at integer frequencies unchanged).
    """
    a = np.abs(np.asarray(a, dtype=np.float64))
    if kernel == "gaussian":
        return np.exp(-0.5 * a * a)
    if kernel == "exponential":
        return 1.0 / (1.0 + a * a)
    if kernel == "tophat":
        return np.sinc(a / np.pi)
    if kernel == "linear":
        return np.sinc(a / (2.0 * np.pi)) ** 2
    if kernel == "epanechnikov":
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = 3.0 * (np.sin(a) - a * np.cos(a)) / a**3
        return np.where(a < 1e-3, 1.0 - a * a / 10.0, exact)
    if kernel == "cosine":
        q = 0.25 * np.pi**2
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = q * np.cos(a) / (q - a * a)
        return np.where(np.abs(a - 0.5 * np.pi) < 1e-6, 0.25 * np.pi, exact)
    raise ValueError(f"No characteristic function for kernel {kernel!r}.")


def first_trig_moment(kernel, bandwidth, period):
    """``E[cos(2 pi U / P)]`` of the wrapped kernel (its mean resultant length).

    A float, or one value per atom for a bandwidth per atom.
    """
    bandwidth = np.asarray(bandwidth, dtype=np.float64)
    if kernel == "vonmises":
        kappa = vonmises_kappa(bandwidth, period)
        rho = i1e(kappa) / i0e(kappa)
    else:
        rho = unit_characteristic(2.0 * np.pi * bandwidth / period, kernel)
    return float(rho) if rho.ndim == 0 else rho


def sample_offsets(rng, size, kernel, bandwidth, period=None):
    """Draws ``u`` from the kernel (unwrapped; wrap them for a circle).

    ``bandwidth`` is a float or one value per draw (an array of shape
    ``size``).
    """
    h = float(bandwidth) if np.ndim(bandwidth) == 0 else np.asarray(bandwidth)
    if kernel == "gaussian":
        return h * rng.standard_normal(size)
    if kernel == "exponential":
        return h * rng.laplace(0.0, 1.0, size)
    if kernel == "tophat":
        return h * rng.uniform(-1.0, 1.0, size)
    if kernel == "linear":
        return h * (rng.uniform(size=size) - rng.uniform(size=size))
    if kernel == "epanechnikov":
        # Of three uniforms on [-1, 1], the second if the third is the largest
        # in absolute value, else the third, is Epanechnikov-distributed.
        u1, u2, u3 = (rng.uniform(-1.0, 1.0, size) for _ in range(3))
        take2 = (np.abs(u3) >= np.abs(u2)) & (np.abs(u3) >= np.abs(u1))
        return h * np.where(take2, u2, u3)
    if kernel == "cosine":
        return h * (2.0 / np.pi) * np.arcsin(rng.uniform(-1.0, 1.0, size))
    if kernel == "vonmises":
        kappa = vonmises_kappa(h, period)
        # numpy's sampler slows down without bound as kappa grows; above 1e6
        # the von Mises is normal with sd 1/sqrt(kappa) to within 1e-6.
        if np.ndim(kappa) == 0:
            if kappa > 1e6:
                theta = rng.standard_normal(size) / np.sqrt(kappa)
            else:
                theta = rng.vonmises(0.0, kappa, size)
        else:
            sharp = kappa > 1e6
            theta = rng.standard_normal(size) / np.sqrt(kappa)
            theta[~sharp] = rng.vonmises(0.0, kappa[~sharp])
        return (period / (2.0 * np.pi)) * theta
    raise ValueError(f"Unknown kernel {kernel!r}.")  # pragma: no cover
