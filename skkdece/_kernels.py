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
from scipy.special import i0e, log_ndtr, ndtr

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


def _logsumexp_last(a):
    """logsumexp over the last axis that keeps -inf rows at -inf."""
    m = np.max(a, axis=-1)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - m_safe[..., None]), axis=-1)) + m_safe


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
    bandwidth : float
        Kernel bandwidth ``h > 0``.
    period : float or None
        Period of the target; ``None`` for a target on the real line.

    Returns
    -------
    log_k : ndarray of the shape of ``u``
        ``log K_h(u)``; ``-inf`` outside the support of compact kernels.
    """
    u = np.asarray(u, dtype=np.float64)
    h = float(bandwidth)
    if period is None:
        if kernel == "vonmises":
            raise ValueError("kernel='vonmises' needs a period.")
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
        n_terms = int(np.ceil(np.sqrt(_SERIES_LOG_TOL / decay)))
        n = np.arange(1, n_terms + 1)
        coef = np.exp(-decay * n * n)
        angle = (2.0 * np.pi / P) * u[..., None] * n
        series = 1.0 + 2.0 * np.sum(coef * np.cos(angle), axis=-1)
        return np.log(series) - np.log(P)
    # Image sums: only |k| <= n_img can contribute (compact) or matter (gaussian).
    if kernel == "gaussian":
        n_img = int(np.ceil(np.sqrt(2.0 * _SERIES_LOG_TOL * (h / P) ** 2 + 0.25) - 0.5))
    else:
        n_img = int(np.ceil(h / P + 0.5))
    shifts = P * np.arange(-n_img, n_img + 1)
    terms = _unit_log_kernel((u[..., None] + shifts) / h, kernel)
    return _logsumexp_last(terms) - np.log(h)


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


def _vonmises_cdf_from_start(theta, kappa):
    """Von Mises mass of [-pi, theta] for theta in [-pi, pi] (mean 0)."""
    from scipy.stats import vonmises

    return vonmises.cdf(theta, kappa)


def cumulative_mass(u, kernel, bandwidth, period=None):
    """Antiderivative of the (wrapped) kernel: mass of the kernel below ``u``.

    For a period ``P`` this is the continuous antiderivative that is zero at
    ``u = -P/2`` and grows by exactly one per period, so that the mass of any
    arc ``[lo, hi]`` with ``hi - lo <= P`` is
    ``cumulative_mass(hi) - cumulative_mass(lo)``.
    """
    u = np.asarray(u, dtype=np.float64)
    h = float(bandwidth)
    if period is None:
        return _unit_cdf(u / h, kernel)
    P = float(period)
    turns = np.floor(u / P + 0.5)
    r = u - P * turns  # in [-P/2, P/2)
    if kernel == "vonmises":
        kappa = vonmises_kappa(h, P)
        base = _vonmises_cdf_from_start((2.0 * np.pi / P) * r, kappa)
    elif kernel == "exponential":
        # Integral of cosh((P/2 - |s|)/h) / (2h sinh(P/2h)) from -P/2 to r.
        y = 0.5 * P / h
        x = (0.5 * P - np.abs(r)) / h
        half = np.exp(_logsinh_ratio(x, y))  # sinh(x)/sinh(y), x <= y
        base = np.where(r < 0, 0.5 * (1.0 - half), 0.5 * (1.0 + half))
    elif kernel == "gaussian" and h > _WRAPPED_GAUSSIAN_SWITCH * P:
        decay = 2.0 * (np.pi * h / P) ** 2
        n_terms = int(np.ceil(np.sqrt(_SERIES_LOG_TOL / decay)))
        n = np.arange(1, n_terms + 1)
        coef = np.exp(-decay * n * n) / (np.pi * n)
        w = 2.0 * np.pi / P
        series = np.sum(
            coef * (np.sin(w * r[..., None] * n) - np.sin(w * (-0.5 * P) * n)),
            axis=-1,
        )
        base = (r + 0.5 * P) / P + series
    else:
        if kernel == "gaussian":
            n_img = int(
                np.ceil(np.sqrt(2.0 * _SERIES_LOG_TOL * (h / P) ** 2 + 0.25) - 0.5)
            )
        else:
            n_img = int(np.ceil(h / P + 0.5))
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
