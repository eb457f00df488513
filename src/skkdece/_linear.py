"""Linear logits: one logit per kernel center, ``X @ coef.T + intercept``.

Parameter layout (written once, here): with ``M`` centers and ``d`` features,
``params[: M * d]`` is ``coef`` of shape (M, d) in C order and, when
``fit_intercept``, ``params[M * d :]`` is the intercept of shape (M,).  The
penalty is ``alpha / 2 * ||coef||^2``; the intercept is not penalised.
"""

import numpy as np
from scipy import sparse
from sklearn.utils.sparsefuncs import min_max_axis

from ._chunking import row_batches
from ._objective import BlockRows


def linear_logits(X, coef, intercept):
    """``X @ coef.T + intercept`` for dense or sparse X, a dense float64 array.

    Dense X that is not float64 is converted in row chunks that fit
    ``working_memory``, never as a whole.
    """
    if sparse.issparse(X):
        return np.asarray(X @ coef.T, dtype=np.float64) + intercept
    if X.dtype == np.float64:
        return X @ coef.T + intercept
    out = np.empty((X.shape[0], coef.shape[0]))
    for rows in row_batches(8 * X.shape[1], X.shape[0]):
        np.matmul(X[rows].astype(np.float64), coef.T, out=out[rows])
    return out + intercept


def power_of_two(exponent):
    """``2 ** exponent`` for rounded exponents, kept within [-1022, 1022] so
    that it and its reciprocal are normal numbers: the solver's coordinates
    multiply by one and the other exactly (a column below 1e-308 would
    otherwise get an infinite reciprocal)."""
    return np.exp2(np.clip(exponent, -1022.0, 1022.0))


def feature_scale(X):
    """Each feature's largest magnitude to the nearest power of two, shape (d,).

    1 for all-zero columns and for features whose magnitude is within a
    factor 16 of one.  Used to precondition the solver: coefficients times
    this scale converge like those of standard features.
    """
    if sparse.issparse(X):
        lo, hi = min_max_axis(X, axis=0)
        scale = np.maximum(hi, -lo).astype(np.float64)
    else:
        # max and -min, not abs: no copy of X.
        scale = np.maximum(np.max(X, axis=0), -np.min(X, axis=0)).astype(np.float64)
    scale = np.where(scale > 0, scale, 1.0)
    # Powers of two: scaling and unscaling the coefficients is then exact.
    # Features within a factor 16 of unit magnitude are left alone: that
    # gains nothing in conditioning and would change the optimiser's path
    # away from LogisticRegression's on the same problem.
    exponent = np.round(np.log2(scale))
    return power_of_two(np.where(np.abs(exponent) > 4, exponent, 0.0))


def feature_moments(X, sample_weight):
    """Weighted means and standard deviations of the columns of X, shape (d,)."""
    sw = np.asarray(sample_weight, dtype=np.float64)
    sw = sw / sw.sum()
    if sparse.issparse(X):
        mean = np.asarray(X.T @ sw).ravel()
        second = np.asarray(X.multiply(X).T @ sw).ravel()
    else:
        mean = np.zeros(X.shape[1])
        second = np.zeros(X.shape[1])
        for rows in row_batches(8 * X.shape[1], X.shape[0]):
            part = np.asarray(X[rows], dtype=np.float64)
            mean += sw[rows] @ part
            second += sw[rows] @ (part * part)
    return mean, np.sqrt(np.maximum(second - mean * mean, 0.0))


# Features whose mean exceeds this many standard deviations are centered in
# the solver's coordinates: the constant column and the feature are then
# correlated above 0.95, which L-BFGS-B pays for in iterations.
_CENTER_ABOVE = 3.0


class SolverCoordinates:
    """The coordinates L-BFGS-B works in: centered, power-of-two scaled features.

    With feature means ``mu`` and scales ``s`` (powers of two) the solver
    optimises ``V = coef * s`` and ``b' = intercept + coef @ mu``: the logits
    are then ``(X - mu) / s @ V.T + b'``, as for standardised features, where
    a shared offset of the features no longer couples every coefficient to
    its intercept.  The objective is still evaluated at ``(coef, intercept)``
    mapped back, so the result is the same function; only the path differs.
    Without an intercept there is nothing to center on and only ``s`` acts.

    Parameters
    ----------
    model : LinearLogits
    mean : ndarray of shape (d,) or None
        Feature means; None (and always without an intercept) for no
        centering.
    scale : ndarray of shape (d,)
        Powers of two.
    """

    def __init__(self, model, mean, scale):
        self.model = model
        if not model.fit_intercept:
            mean = None
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        M = model.n_centers
        # Each parameter is its solver coordinate times this factor, before
        # the intercepts are uncentered: 1 / s is exact (powers of two).
        self._factor = np.concatenate(
            [np.tile(1.0 / self.scale, M), np.ones(M if model.fit_intercept else 0)]
        )

    def to_solver(self, params):
        coef, intercept = self.model.unpack(np.asarray(params, dtype=np.float64))
        parts = [coef * self.scale]
        if self.mean is not None:
            parts.append(intercept + coef @ self.mean)
        elif self.model.fit_intercept:
            parts.append(intercept)
        return np.concatenate([np.ravel(p) for p in parts])

    def from_solver(self, u, out=None):
        """The caller's parameters at solver coordinates ``u`` (into ``out``)."""
        out = np.multiply(u, self._factor, out=out)
        if self.mean is not None:
            M, d = self.model.n_centers, self.model.n_features
            out[M * d :] -= out[: M * d].reshape(M, d) @ self.mean
        return out

    def gradient(self, grad, out=None):
        """The gradient in solver coordinates, from the caller's (into ``out``:
        ``grad`` itself or an array that does not overlap it)."""
        if out is None:
            out = np.array(grad, dtype=np.float64)
        else:
            out[:] = grad
        if self.mean is not None:
            M, d = self.model.n_centers, self.model.n_features
            coef = out[: M * d].reshape(M, d)
            coef -= np.multiply.outer(grad[M * d :], self.mean)
        out *= self._factor
        return out


class LinearLogits:
    """The linear logits model, for :class:`~skkdece._objective.BlockedObjective`.

    Parameters
    ----------
    n_centers, n_features : int
        Shape of ``coef``.
    fit_intercept : bool
        Whether the parameters end with an intercept.
    alpha : float, default=0.0
        L2 penalty on ``coef``.
    """

    #: Logits come out with the first center's subtracted (see ``prepare``).
    shifted = True

    def __init__(self, n_centers, n_features, *, fit_intercept, alpha=0.0):
        self.n_centers = int(n_centers)
        self.n_features = int(n_features)
        self.fit_intercept = bool(fit_intercept)
        self.alpha = float(alpha)

    @property
    def n_params(self):
        M = self.n_centers
        return M * self.n_features + (M if self.fit_intercept else 0)

    def unpack(self, params):
        """Views of ``coef`` (M, d) and ``intercept`` (M,) in ``params``."""
        M, d = self.n_centers, self.n_features
        coef = params[: M * d].reshape(M, d)
        intercept = params[M * d :] if self.fit_intercept else np.zeros(M)
        return coef, intercept

    def pack(self, coef, intercept):
        """The flat parameter vector of ``coef`` and ``intercept``."""
        parts = [np.ravel(coef)]
        if self.fit_intercept:
            parts.append(np.ravel(intercept))
        return np.concatenate(parts).astype(np.float64)

    def solver_coordinates(self, X, sample_weight):
        """:class:`SolverCoordinates` for X: centered and scaled features.

        With an intercept, features whose mean is more than
        ``_CENTER_ABOVE`` deviations from zero are centered on it (to a
        sixteenth of the scale, so that weights and repeated rows give the
        same coordinates); those and the features whose standard deviation
        exceeds 16 are scaled by it (to the nearest power of two), the others
        as by :func:`feature_scale`; without an intercept all are scaled by
        their largest magnitudes (:func:`feature_scale`).  On 20 000 real
        guess-factor waves (11 features, 41 centers, bandwidth 0.08) the
        objective after 1 000 iterations was -0.2853, against -0.1805 with
        the largest magnitudes alone (-0.2305 after 3 000).  Scaling every
        feature by its deviation reached -0.2956 but changed the solver's
        path for standard and rarely active features too, and with it
        results that were reproducible before (scikit-learn's check of
        weights against repeated rows, the spline benchmark's choice of
        bandwidth).
        """
        if not self.fit_intercept:
            return SolverCoordinates(self, None, feature_scale(X))
        mean, std = feature_moments(X, sample_weight)
        return self.coordinates_from(mean, std, feature_scale(X))

    def coordinates_from(self, mean, std, magnitude):
        """:meth:`solver_coordinates` from the features' weighted means,
        deviations and largest magnitudes (:func:`feature_scale`): what a
        partitioned fit (:mod:`skkdece.dask`) can add up over its partitions.
        """
        if not self.fit_intercept:
            return SolverCoordinates(self, None, magnitude)
        # Centered features (far from zero next to their spread) and those
        # spread over more than 16 units are scaled by their deviation: their
        # largest value overstates it.  The others are scaled as by
        # feature_scale, so that standard features keep LogisticRegression's
        # path and rarely active ones (tiny deviation, unit values) are not
        # blown up.
        exponent = np.round(np.log2(np.where(std > 0, std, 1.0)))
        centered = np.abs(mean) > _CENTER_ABOVE * std
        by_std = centered | (exponent > 4)
        scale = np.where(by_std, power_of_two(exponent), magnitude)
        # Centering needs the mean only to a fraction of the spread.  Rounded
        # to a sixteenth of the scale it no longer depends on how the sums
        # were rounded: weights and repeated rows give the same coordinates,
        # hence the same iterates.
        step = scale / 16.0
        mean = np.where(centered, np.round(mean / step) * step, 0.0)
        return SolverCoordinates(self, mean, scale)

    def bind(self, X, table, budget):
        return BlockRows(X, table, budget)

    def prepare(self, params):
        # The softmax ignores a constant per row: the logits minus the first,
        # straight from the product, need no shifting before exp.
        coef, intercept = self.unpack(params)
        return (
            (coef - coef[0]).T,
            intercept - intercept[0] if self.fit_intercept else None,
        )

    def forward(self, state, rows, b, buffer, out):
        coef_shifted, intercept_shifted = state
        for part, X_part in rows.pieces(b, buffer):
            if rows.is_sparse:
                out[part] = X_part @ coef_shifted
            else:
                np.matmul(X_part, coef_shifted, out=out[part])
        if intercept_shifted is not None:
            out += intercept_shifted

    def backward(self, state, rows, b, buffer, grad_logits, ones, out):
        M, d = self.n_centers, self.n_features
        g_coef = out[: M * d].reshape(M, d)
        for part, X_part in rows.pieces(b, buffer, again=True):
            if rows.is_sparse:
                g_coef += (X_part.T @ grad_logits[part]).T
            else:
                g_coef += grad_logits[part].T @ X_part
        if self.fit_intercept:
            out[M * d :] += ones @ grad_logits

    def penalty(self, params):
        M, d = self.n_centers, self.n_features
        coef = params[: M * d]
        grad = np.zeros(self.n_params)
        grad[: M * d] = self.alpha * coef
        return 0.5 * self.alpha * float(np.vdot(coef, coef)), grad
