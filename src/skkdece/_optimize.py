"""Vectorised bracketed searches in one dimension: a root and a maximum.

Every search here runs many independent problems at once, one per entry of
the bracket arrays, with numpy operations over the entries instead of a loop
over them.  :func:`bracketed_root` finds where an increasing function crosses
zero (quantiles: where a CDF reaches a level; window aims: where the density
is equal at both ends of a window); :func:`bracketed_max` finds the maximum
of a unimodal function (modes, window masses) by golden-section search and
an optional parabolic polish (:func:`parabolic_polish`).

The functions are pure: they hold no state, and they call the objective only
with the abscissas they ask about.
"""

import numpy as np

# Golden-section steps: the bracket shrinks by 0.618 per step, so 60 steps
# take a bracket of a few bandwidths below 1e-12 bandwidths.
GOLDEN_STEPS = 60
_INV_PHI = (np.sqrt(5.0) - 1.0) / 2.0
# Root search steps at most: with a bisection every fourth step, 100 steps
# shrink any bracket by at least 2**-25, and in practice the secant steps
# reach ``xtol`` in a dozen.
ROOT_STEPS = 100
# Half-spacing, relative to the caller's scale, of the three points of the
# parabolic polish: the cube root of the machine epsilon balances rounding
# against the cubic term of the Taylor series.
POLISH_STEP = np.finfo(float).eps ** (1.0 / 3.0)


def bracketed_root(func, lower, upper, *, xtol, max_steps=ROOT_STEPS):
    """Root of an increasing function in ``[lower, upper]``, per entry.

    Illinois iterations: a secant step between the ends of the bracket, the
    value kept at an end that survives twice in a row halved so that the
    secant does not stall, and every fourth step a bisection, a sure halving.
    An entry stops when its bracket is narrower than ``xtol``, or when the
    function is exactly zero (or NaN) at a trial point, which is then the
    answer.

    Parameters
    ----------
    func : callable
        ``func(index, t)`` returns, as an ndarray of shape (k,), the values
        at ``t`` (shape (k,)) of the functions of the entries ``index``
        (shape (k,), integer positions in the flattened brackets).  Entry
        ``i``'s function must be non-decreasing in ``t`` with
        ``func(lower[i]) <= 0 <= func(upper[i])``.  Division by zero and
        invalid operations inside ``func`` are silenced.
    lower, upper : ndarray of shape (n,) or any common shape
        Ends of each entry's bracket, ``lower <= upper``.
    xtol : float
        Width of the bracket at which an entry stops.
    max_steps : int, default=ROOT_STEPS
        Iterations at most.

    Returns
    -------
    root : ndarray of the shape of ``lower``
        The middle of each entry's final bracket; an end where the function
        is exactly zero there.  Entries without a bracket get the end nearest
        to where their root would lie: ``lower`` where ``func(lower) > 0``,
        else ``upper`` where ``func(upper) < 0``, else (a NaN at an end) NaN.
    bracketed : ndarray of bool of the shape of ``lower``
        Whether ``func(lower) <= 0 <= func(upper)`` held.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece._optimize import bracketed_root
    >>> targets = np.array([2.0, 3.0])
    >>> root, ok = bracketed_root(lambda i, t: t**2 - targets[i],
    ...                           np.zeros(2), np.full(2, 2.0), xtol=1e-14)
    >>> bool(np.all(np.abs(root - np.sqrt(targets)) < 1e-14)), ok
    (True, array([ True,  True]))
    """
    shape = np.shape(lower)
    a = np.array(lower, dtype=np.float64).ravel()
    b = np.array(upper, dtype=np.float64).ravel()
    every = np.arange(a.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        fa = np.asarray(func(every, a), dtype=np.float64).copy()
        fb = np.asarray(func(every, b), dtype=np.float64).copy()
        bracketed = (fa <= 0) & (fb >= 0)
        missing = np.isnan(fa) | np.isnan(fb)
        x = np.where(fa >= 0, a, np.where(fb <= 0, b, 0.5 * (a + b)))
        x[missing & ~bracketed] = np.nan
        done = bracketed & ((fa == 0) | (fb == 0))
        active = bracketed & ~done
        side = np.zeros(a.shape, dtype=np.int8)  # +1: lower moved last; -1: upper
        for step in range(max_steps):
            active &= b - a > xtol
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            A, B, FA, FB = a[idx], b[idx], fa[idx], fb[idx]
            if step % 4 == 3:
                c = 0.5 * (A + B)
            else:
                c = (A * FB - B * FA) / (FB - FA)
                c = np.where((c > A) & (c < B), c, 0.5 * (A + B))
            fc = np.asarray(func(idx, c), dtype=np.float64)
            up, down = fc < 0, fc > 0  # the root is above / below c
            s = side[idx]
            # Illinois: halve the value kept at an end that stays twice.
            FB = np.where(up & (s == 1), 0.5 * FB, FB)
            FA = np.where(down & (s == -1), 0.5 * FA, FA)
            a[idx], fa[idx] = np.where(up, c, A), np.where(up, fc, FA)
            b[idx], fb[idx] = np.where(down, c, B), np.where(down, fc, FB)
            side[idx] = np.where(up, 1, np.where(down, -1, s))
            stop = ~(up | down)  # func(c) == 0 (or NaN): c is the answer
            x[idx[stop]] = c[stop]
            done[idx[stop]] = True
            active[idx[stop]] = False
    x = np.where(bracketed & ~done, 0.5 * (a + b), x)
    return x.reshape(shape), bracketed.reshape(shape)


def golden_section_max(func, lower, upper, *, n_steps=GOLDEN_STEPS):
    """Golden-section search for the maximum of ``func`` on ``[lower, upper]``.

    Each entry's function is assumed unimodal on its bracket.  Values are
    only compared, so ``-inf`` (outside a compact support) is an ordinary
    value; a NaN compares as neither larger nor smaller and sends the search
    to the upper part of the bracket, and a NaN at the end comes back as the
    maximum.

    Parameters
    ----------
    func : callable
        ``func(t)`` returns, as an ndarray of the shape of ``t``, each
        entry's value at ``t`` (of the shape of ``lower``).
    lower, upper : ndarray of shape (n,) or any common shape
        Ends of each entry's bracket, ``lower <= upper``.
    n_steps : int, default=GOLDEN_STEPS
        Steps, each shrinking every bracket by the golden ratio.

    Returns
    -------
    argmax : ndarray of the shape of ``lower``
        The better of the two final interior points.
    max : ndarray of the shape of ``lower``
        ``func`` there.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece._optimize import golden_section_max
    >>> peaks = np.array([0.3, 0.7])
    >>> x, f = golden_section_max(lambda t: -((t - peaks) ** 2),
    ...                           np.zeros(2), np.ones(2))
    >>> x.round(6), f.round(6)
    (array([0.3, 0.7]), array([-0., -0.]))
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    x1 = hi - _INV_PHI * (hi - lo)
    x2 = lo + _INV_PHI * (hi - lo)
    f1, f2 = func(x1), func(x2)
    for _ in range(n_steps):
        left = f1 >= f2  # keep [lo, x2], else [x1, hi]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x_new = np.where(left, hi - _INV_PHI * (hi - lo), lo + _INV_PHI * (hi - lo))
        f_new = func(x_new)
        x1, x2 = np.where(left, x_new, x2), np.where(left, x1, x_new)
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
    return np.where(f1 >= f2, x1, x2), np.maximum(f1, f2)


def parabolic_polish(func, x, f, lower, upper, *, scale):
    """One parabolic step from an approximate maximum, where it helps.

    Golden-section search compares values, so at a smooth maximum it stops
    where their differences drown in rounding: about 1e-8 ``scale`` from the
    true location.  The vertex of the parabola through ``x`` and ``x +- d``
    (``d = POLISH_STEP * scale``) is within about 1e-10 ``scale``.  The step
    is kept only where the value at the vertex is not lower (but by
    rounding): at a kink, where the parabola does not fit, ``x`` mostly
    stays; it always does where a value is ``-inf`` or NaN.  The step stays
    inside the bracket ``[lower, upper]``.

    Parameters
    ----------
    func : callable
        As for :func:`golden_section_max`.
    x, f : ndarray of shape (n,) or the shape of ``lower``
        The approximate maxima and ``func(x)``.
    lower, upper : ndarray of the shape of ``x``
        The brackets the steps must stay in.
    scale : float
        Length scale of the functions (a bandwidth).

    Returns
    -------
    argmax : ndarray of the shape of ``x``
    max : ndarray of the shape of ``x``
        Never below ``f`` but by rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece._optimize import parabolic_polish
    >>> x, f = parabolic_polish(lambda t: -((t - 0.3) ** 2), np.array([0.3 + 1e-8]),
    ...                         np.array([-1e-16]), np.zeros(1), np.ones(1),
    ...                         scale=1.0)
    >>> bool(abs(x[0] - 0.3) < 1e-12)
    True
    """
    d = POLISH_STEP * scale
    f_lo, f_hi = func(x - d), func(x + d)
    # Compact supports give -inf beside the peak: nan, then no step.
    with np.errstate(divide="ignore", invalid="ignore"):
        curvature = f_hi - 2.0 * f + f_lo
        step = -d * (f_hi - f_lo) / (2.0 * curvature)
    ok = (curvature < 0) & (np.abs(step) <= d)
    x_new = np.where(ok, np.clip(x + step, lower, upper), x)
    f_new = func(x_new)
    # Rounding of a log: eps absolute plus eps relative.
    keep = ok & (f_new >= f - 4.0 * np.finfo(float).eps * (1.0 + np.abs(f)))
    return np.where(keep, x_new, x), np.where(keep, np.maximum(f, f_new), f)


def bracketed_max(func, lower, upper, *, polish_scale=None):
    """Maximum of a unimodal function on ``[lower, upper]``, per entry.

    :func:`golden_section_max`, then, given a length scale, one
    :func:`parabolic_polish` step.

    Parameters
    ----------
    func : callable
        As for :func:`golden_section_max`.
    lower, upper : ndarray of shape (n,) or any common shape
        Ends of each entry's bracket, ``lower <= upper``.
    polish_scale : float or None, default=None
        Length scale of the polish step; None: no polish.

    Returns
    -------
    argmax : ndarray of the shape of ``lower``
    max : ndarray of the shape of ``lower``

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece._optimize import bracketed_max
    >>> x, f = bracketed_max(np.cos, np.array([-1.0]), np.array([2.0]),
    ...                      polish_scale=1.0)
    >>> bool(abs(x[0]) < 1e-9), float(f[0])
    (True, 1.0)
    """
    x, f = golden_section_max(func, lower, upper)
    if polish_scale is None:
        return x, f
    return parabolic_polish(func, x, f, lower, upper, scale=polish_scale)
