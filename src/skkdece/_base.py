"""One prediction surface for every model of the family.

A model of the family predicts, for each row of X, a kernel-mixture
distribution (:class:`~skkdece.KDEDistribution`).  :class:`SoftmaxKDEMixin`
writes every question a user can ask of those distributions once, on top of
the one method each model implements, ``predict_distribution(X)``: the mode
(``predict``), densities, CDFs, quantiles, intervals, hit probabilities, aims,
means, spreads, samples and the log-likelihood scores.

A model using it is a scikit-learn regressor (it inherits
:class:`~sklearn.base.RegressorMixin` for the estimator type, and overrides
``score`` with the mean log-likelihood).  It may define ``target_width``,
``loss`` and ``n_quadrature`` parameters, which :meth:`score_samples` then
uses to read and score targets as the model's ``fit`` does.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from ._docstrings import X_PARAMETER, documented
from ._tables._kernels import KERNELS
from ._targets import split_targets

#: The constraints of the parameters every model of the family has.
SHARED_CONSTRAINTS = {
    "kernel": [StrOptions(set(KERNELS))],
    "bandwidth": [
        Interval(Real, 0, None, closed="neither"),
        StrOptions({"scott", "silverman"}),
    ],
    "period": [Interval(Real, 0, None, closed="neither"), None],
    "target_width": [Interval(Real, 0, None, closed="left")],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
    "callback": [callable, None],
}

_IMPORTS = (">>> import numpy as np", ">>> from skkdece import SoftmaxKDERegressor")
# Most examples ask a question of one small fitted model.
_FITTED = (
    *_IMPORTS,
    ">>> X = np.linspace(-1, 1, 60)[:, None]",
    ">>> model = SoftmaxKDERegressor(centers=6).fit(X, X[:, 0])",
)


def _surface(*, returns, example, parameters=(), setup=_FITTED):
    """Docstring frame of a prediction method: X first, then ``parameters``."""
    return documented(
        returns=returns,
        example=example,
        parameters=(*X_PARAMETER, *parameters),
        setup=setup,
    )


class SoftmaxKDEMixin(RegressorMixin):
    """Prediction methods written once on top of ``predict_distribution``."""

    def predict_distribution(self, X):  # pragma: no cover - every model has one
        """The predicted distribution of every row of X (a KDEDistribution)."""
        raise NotImplementedError

    @_surface(
        returns="""
            y_pred : ndarray of shape (n_samples,)
                Mode of each row's density, located to better than 1e-3
                bandwidths; in ``window_`` when periodic.
            """,
        setup=_IMPORTS,
        example="""
            >>> X = np.repeat([[0.0], [1.0]], 50, axis=0)
            >>> y = np.repeat([-1.0, 1.0], 50)
            >>> model = SoftmaxKDERegressor(centers=9).fit(X, y)
            >>> model.predict([[0.0], [1.0]]).round(1)
            array([-1.,  1.])
            """,
    )
    def predict(self, X):
        """The mode (most likely angle) of each predicted density."""
        return self.predict_distribution(X).mode()

    @_surface(
        parameters=(
            "grid : array-like of shape (n_grid,)",
            "    Angles at which to evaluate the densities.",
        ),
        returns="""
            density : ndarray of shape (n_samples, n_grid)
                Densities per unit of the target.
            """,
        example="""
            >>> grid = np.linspace(-4, 4, 4001)
            >>> density = model.predict_density(X[:2], grid)
            >>> np.round(density.sum(axis=1) * (grid[1] - grid[0]), 6)
            array([1., 1.])
            """,
    )
    def predict_density(self, X, grid):
        """Predicted density of every row at every angle of a grid."""
        return self.predict_distribution(X).pdf(grid)

    @_surface(
        parameters=(
            "y : array-like of shape (n_samples,) or (n_samples, 2), default=None",
            "    Targets, as in :meth:`fit`.  When omitted, the log density at each",
            "    row's mode is returned: the highest log-likelihood any point",
            "    target could reach, a measure of how sharp the prediction is.",
        ),
        returns="""
            log_likelihood : ndarray of shape (n_samples,)
                ``log p(y | x)`` for point targets; for intervals the mean of
                ``log p(t | x)`` over ``t ~ U[a, b]`` (``loss="cross_entropy"``)
                or the log of the predicted mass of ``[a, b]``
                (``loss="interval_likelihood"``).  ``-inf`` where a compact
                kernel gives zero density.
            """,
        example="""
            >>> ll = model.score_samples(X[:3], X[:3, 0])
            >>> bool(np.all(ll <= model.score_samples(X[:3])))
            True
            """,
    )
    def score_samples(self, X, y=None):
        """Per-sample log-likelihood: minus the cross-entropy of each target."""
        dist = self.predict_distribution(X)
        if y is None:
            return dist.logpdf_rows(dist.mode())
        lower, upper = split_targets(
            y,
            target_width=float(getattr(self, "target_width", 0.0)),
            period=dist.period,
            n_samples=len(dist),
        )
        return dist.log_likelihood(
            lower,
            upper,
            loss=getattr(self, "loss", "cross_entropy"),
            n_quadrature=getattr(self, "n_quadrature", None),
        )

    @_surface(
        parameters=(
            "y : array-like of shape (n_samples,) or (n_samples, 2)",
            "    Targets, as in :meth:`fit`.",
            "sample_weight : array-like of shape (n_samples,), default=None",
            "    Weights of the samples in the mean.",
        ),
        returns="""
            score : float
                Weighted mean of :meth:`score_samples`.
            """,
        example="""
            >>> bool(model.score(X, X[:, 0]) > 0)
            True
            """,
    )
    def score(self, X, y, sample_weight=None):
        """Weighted mean log-likelihood of the targets (higher is better)."""
        scores = self.score_samples(X, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, scores[:, None], ensure_non_negative=True
            )
        return float(np.average(scores, weights=sample_weight))

    @_surface(
        returns="""
            weights : ndarray of shape (n_samples, n_centers)
                Non-negative, each row sums to one.
            """,
        example="""
            >>> model.predict_weights(X[:2]).sum(axis=1).round(12)
            array([1., 1.])
            """,
    )
    def predict_weights(self, X):
        """Softmax mixture weights of every row over its kernel centers.

        With the centers (``centers_`` for the linear model), the kernel and
        ``bandwidth_`` these weights are the whole predicted distribution,
        enough to rebuild it elsewhere.
        """
        return self.predict_distribution(X).weights

    @_surface(
        parameters=("grid : array-like of shape (n_grid,)", "    Angles."),
        returns="""
            cdf : ndarray of shape (n_samples, n_grid)
                Predicted mass of row ``i`` up to ``grid[j]``, in ``[0, 1]``.
            """,
        example="""
            >>> model.predict_cdf(X[:1], [-10.0, 10.0]).round(6)
            array([[0., 1.]])
            """,
    )
    def predict_cdf(self, X, grid):
        """Predicted cumulative distribution function at every grid angle.

        Closed form from each kernel's CDF.  For circular targets the CDF is
        measured from the start of ``window_``: 0 there, 1 one period later;
        grid angles outside the window are wrapped into it.
        """
        return self.predict_distribution(X).cdf(grid)

    @_surface(
        parameters=(
            "quantiles : array-like of shape (n_quantiles,)",
            "    Levels in ``[0, 1]``.",
        ),
        returns="""
            quantiles : ndarray of shape (n_samples, n_quantiles)
                Angle at which row ``i``'s predicted CDF reaches
                ``quantiles[j]``.
            """,
        example="""
            >>> q = model.predict_quantiles(X[:1], [0.1, 0.5, 0.9])
            >>> bool(np.all(np.diff(q) > 0))
            True
            """,
    )
    def predict_quantiles(self, X, quantiles):
        """Return the quantiles of every predicted distribution.

        Monotone in ``quantiles``.  Each is where the exact CDF reaches its
        level, found by a bracketed secant search to about 1e-12 bandwidths;
        for circular targets, quantiles of the CDF measured from the window's
        start.
        """
        return self.predict_distribution(X).quantiles(quantiles)

    @_surface(
        parameters=(
            "coverage : float, default=0.9",
            "    Mass inside each interval, in ``(0, 1)``.",
        ),
        returns="""
            interval : ndarray of shape (n_samples, 2)
                ``[lower, upper]`` per row.
            """,
        example="""
            >>> lo, hi = model.predict_interval(X[:1], coverage=0.9)[0]
            >>> float(model.predict_hit_probability(X[:1], lo, hi)[0]).__round__(6)
            0.9
            """,
    )
    def predict_interval(self, X, coverage=0.9):
        """Prediction intervals holding ``coverage`` of the predicted mass.

        Equal-tailed for targets on the line; the shortest arc holding
        ``coverage`` for circular targets, returned as ``[start, start +
        length]`` with ``start`` in ``window_`` (the end may pass the window's
        end, like a training interval that crosses the seam).
        """
        return self.predict_distribution(X).interval(coverage)

    @_surface(
        parameters=(
            "lower, upper : float or array-like of shape (n_samples,)",
            "    Interval ends, ``lower <= upper``; for circular targets the arc",
            "    may cross the seam (``[350, 370]`` on a 360 circle) but must not be",
            "    longer than one period.",
        ),
        returns="""
            probability : ndarray of shape (n_samples,)
                Exact closed form from the kernel CDFs.
            """,
        example="""
            >>> model.predict_hit_probability(X[:1], -100.0, 100.0).round(12)
            array([1.])
            """,
    )
    def predict_hit_probability(self, X, lower, upper):
        """Predicted probability that the target falls in ``[lower, upper]``."""
        return self.predict_distribution(X).hit_probability(lower, upper)

    @_surface(
        parameters=(
            "half_width : float or array-like of shape (n_samples,), default=0.0",
            "    Half-width of the window, in target units; one per row if the",
            "    target's size changes from row to row.",
        ),
        returns="""
            aim : ndarray of shape (n_samples,)
                In ``window_`` when periodic.
            """,
        setup=_IMPORTS,
        example="""
            >>> X = np.zeros((100, 1))
            >>> y = np.r_[np.full(40, -1.0), np.linspace(0.5, 2.5, 60)]
            >>> model = SoftmaxKDERegressor(centers=np.linspace(-2, 3, 21),
            ...                             bandwidth=0.1).fit(X, y)
            >>> float(model.predict(X[:1])[0]).__round__(1)  # the sharp peak
            -1.0
            >>> bool(model.predict_aim(X[:1], half_width=1.0)[0] > 0.5)  # wide mass
            True
            """,
    )
    def predict_aim(self, X, half_width=0.0):
        """The angle most likely to be within ``half_width`` of the target.

        Maximises the predicted mass of ``[t - half_width, t + half_width]``:
        the best aim when the target has a known size (for a Robocode bot,
        half the angular width of the enemy).  ``half_width=0`` gives the
        mode, like :meth:`predict`.
        """
        return self.predict_distribution(X).aim(half_width)

    @_surface(
        returns="""
            mean : ndarray of shape (n_samples,)
                In ``window_`` when periodic.
            """,
        example="""
            >>> float(model.predict_mean([[0.5]])[0]).__round__(1)
            0.5
            """,
    )
    def predict_mean(self, X):
        """Mean of each predicted distribution (circular mean when periodic)."""
        return self.predict_distribution(X).mean()

    @_surface(
        returns="""
            std : ndarray of shape (n_samples,)
                Standard deviation (circular when periodic), in target units.
            """,
        setup=_IMPORTS,
        example="""
            >>> X = np.repeat([[0.0], [1.0]], 100, axis=0)
            >>> rng = np.random.default_rng(0)
            >>> y = np.r_[rng.normal(0, 0.2, 100), rng.normal(0, 1.0, 100)]
            >>> std = SoftmaxKDERegressor(centers=16).fit(X, y).predict_std([[0], [1]])
            >>> bool(std[0] < std[1])
            True
            """,
    )
    def predict_std(self, X):
        """Spread of each predicted distribution.

        The standard deviation for targets on the line; for circular targets
        the circular standard deviation ``sqrt(-2 ln R)`` (``R`` the mean
        resultant length) in target units.
        """
        return self.predict_distribution(X).std()

    @_surface(
        parameters=(
            "n_draws : int, default=1",
            "    Draws per row.",
            "random_state : int, RandomState instance or None, default=None",
            "    Seed for reproducible draws.",
        ),
        returns="""
            draws : ndarray of shape (n_samples, n_draws)
                Wrapped into ``window_`` when periodic.
            """,
        example="""
            >>> model.sample(X[:2], n_draws=5, random_state=0).shape
            (2, 5)
            """,
    )
    def sample(self, X, n_draws=1, random_state=None):
        """Draw angles from every predicted distribution."""
        return self.predict_distribution(X).sample(n_draws, random_state)
