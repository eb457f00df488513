"""Bad inputs get clear errors; extreme but valid inputs stay exact; state is safe.

The table of bad inputs in docs/errors.md lists the same exception types and
message fragments that the tests below assert.
"""

import copy
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.integrate import quad
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skkdece import SoftmaxKDERegressor, kde_cross_entropy
from skkdece._tables._kernels import log_kernel

TWO_PI = 2 * np.pi
N = 20


def data(n=N, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, d))
    y = 1.5 * X[:, 0] + 0.3 * rng.normal(size=n)
    return X, y


def with_value(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


def fitted(**params):
    X, y = data()
    params.setdefault("centers", 6)
    return SoftmaxKDERegressor(**params).fit(X, y)


def log_domain_density(model, X, t):
    """``log p(t_i | x_i)`` straight from the parameters, all in logs."""
    logits = X @ model.coef_.T + model.intercept_
    log_w = logits - logsumexp(logits, axis=1, keepdims=True)
    log_k = log_kernel(
        np.asarray(t)[:, None] - model.centers_,
        model.kernel,
        model.bandwidth_,
        period=model.period,
    )
    return logsumexp(log_w + log_k, axis=1)


# --------------------------------------------------------------------------
# Bad inputs to fit: exception type and a message fragment that names the
# input and, where rows are at fault, the rows.
# --------------------------------------------------------------------------
X0, Y0 = data()
Y_INTERVALS = np.column_stack([Y0 - 0.1, Y0 + 0.1])
SPARSE_NAN = sparse.csr_matrix(with_value(X0, (3, 1), np.nan))

BAD_FIT_INPUTS = {
    "X with NaN": (
        dict(X=with_value(X0, (3, 1), np.nan)),
        "Input X contains NaN",
    ),
    "X with inf": (dict(X=with_value(X0, (5, 0), np.inf)), "Input X contains infinity"),
    "sparse X with NaN": (dict(X=SPARSE_NAN), "Input X contains NaN"),
    "y with NaN": (dict(y=with_value(Y0, 4, np.nan)), "Input y contains NaN"),
    "y with -inf": (dict(y=with_value(Y0, 7, -np.inf)), "Input y contains infinity"),
    "interval y with NaN": (
        dict(y=with_value(Y_INTERVALS, (2, 1), np.nan)),
        "Input y contains NaN",
    ),
    "sample_weight with NaN": (
        dict(sample_weight=with_value(np.ones(N), 3, np.nan)),
        "Input sample_weight contains NaN",
    ),
    "sample_weight with inf": (
        dict(sample_weight=with_value(np.ones(N), 3, np.inf)),
        "Input sample_weight contains infinity",
    ),
    "negative sample_weight": (
        dict(sample_weight=with_value(np.ones(N), 2, -1.0)),
        "Negative values in data passed to `sample_weight`",
    ),
    "all-zero sample_weight": (
        dict(sample_weight=np.zeros(N)),
        "Sample weights must contain at least one non-zero number",
    ),
    "sample_weight of the wrong length": (
        dict(sample_weight=np.ones(N - 1)),
        r"sample_weight.shape == \(19,\), expected \(20,\)",
    ),
    "sample_weight whose sum overflows": (
        dict(sample_weight=np.full(N, 1e308)),
        "sample_weight sums to inf",
    ),
    "intervals with lower > upper": (
        dict(y=with_value(Y_INTERVALS, ([3, 8], [0, 0]), 5.0)),
        r"lower <= upper; rows \[3, 8\] have lower > upper",
    ),
    "periodic interval longer than one period": (
        dict(
            y=np.column_stack([Y0, Y0 + np.where(np.arange(N) % 5 == 2, 7.0, 1.0)]),
            params=dict(period=TWO_PI),
        ),
        r"at most one period long; rows \[2, 7, 12, 17\] are longer",
    ),
    "target_width wider than half a period": (
        dict(params=dict(period=TWO_PI, target_width=4.0)),
        r"target_width=4 widens every point target .* more than one period",
    ),
    "y with 3 columns": (
        dict(y=np.column_stack([Y0, Y0, Y0])),
        r"y must be of shape \(n_samples,\) .* got shape \(20, 3\)",
    ),
    "3-D y": (dict(y=Y0[:, None, None]), "Found array with dim 3"),
    "X and y of different lengths": (
        dict(y=Y0[:15]),
        r"inconsistent numbers of samples: \[20, 15\]",
    ),
    "X and interval y of different lengths": (
        dict(y=Y_INTERVALS[:15]),
        r"inconsistent numbers of samples: \[20, 15\]",
    ),
    "1-D X": (dict(X=X0[:, 0]), "Expected 2D array, got 1D array instead"),
    "empty X": (dict(X=X0[:0], y=Y0[:0]), r"Found array with 0 sample\(s\)"),
    "centers as a 2-D array": (
        dict(params=dict(centers=np.zeros((2, 3)))),
        r"centers must be an int or a non-empty 1-D array .* shape \(2, 3\)",
    ),
    "centers as an empty array": (
        dict(params=dict(centers=np.array([]))),
        r"non-empty 1-D array of locations; got an array of shape \(0,\)",
    ),
    "centers as a 0-D array": (
        dict(params=dict(centers=np.array(3.0))),
        r"non-empty 1-D array of locations; got an array of shape \(\)",
    ),
    "centers with NaN": (
        dict(params=dict(centers=[0.0, np.nan, 1.0])),
        r"centers contains NaN or infinite values at positions \[1\]",
    ),
    "centers with inf": (
        dict(params=dict(centers=[0.0, 1.0, -np.inf])),
        r"centers contains NaN or infinite values at positions \[2\]",
    ),
    "centers that are not numbers": (
        dict(params=dict(centers=["left", "right"])),
        r"centers must be an int or a non-empty 1-D array of numbers; got \['left'",
    ),
    "compact kernel that misses a target": (
        dict(params=dict(centers=[-3.0, 3.0], bandwidth=0.5, kernel="tophat")),
        r"density is zero inside the targets of rows \[",
    ),
    "vonmises kernel without a period": (
        dict(params=dict(kernel="vonmises")),
        "kernel='vonmises' is only defined on a circle: set period",
    ),
    "a bandwidth listed twice": (
        dict(params=dict(bandwidth=[0.5, 0.5])),
        r"bandwidth's values must be distinct .* got \[0.5, 0.5\]",
    ),
    "a non-positive bandwidth in a list": (
        dict(params=dict(bandwidth=[0.5, 0.0])),
        r"bandwidth's values must be finite and > 0; got \[0.5, 0.0\]",
    ),
    "bandwidth as a 2-D array": (
        dict(params=dict(bandwidth=[[0.5, 1.0]])),
        r"bandwidth's values must form a non-empty 1-D array; got shape \(1, 2\)",
    ),
    "an unknown rule with multipliers": (
        dict(params=dict(bandwidth=("median", [0.5, 2.0]))),
        r"\(rule, multipliers\) bandwidth needs the rule 'scott' or 'silverman'",
    ),
}


@pytest.mark.parametrize("case", BAD_FIT_INPUTS, ids=str)
def test_bad_fit_input_raises_a_clear_value_error(case):
    spec, match = BAD_FIT_INPUTS[case]
    X = spec.get("X", X0)
    y = spec.get("y", Y0)
    sample_weight = spec.get("sample_weight")
    model = SoftmaxKDERegressor(**{"centers": 6, **spec.get("params", {})})
    with pytest.raises(ValueError, match=match) as info:
        model.fit(X, y, sample_weight=sample_weight)
    # A ValueError of our own or scikit-learn's, not a NumPy traceback.
    assert type(info.value) is ValueError


def test_zero_weight_rows_are_still_validated():
    y = with_value(Y_INTERVALS, (4, 0), 9.0)
    sw = with_value(np.ones(N), 4, 0.0)
    with pytest.raises(ValueError, match=r"rows \[4\] have lower > upper"):
        SoftmaxKDERegressor(centers=6).fit(X0, y, sample_weight=sw)


def test_interval_of_one_period_built_in_floating_point_is_accepted():
    """``[a, a + period]`` satisfies the documented ``upper <= lower + period``.

    For a = 100.5, (a + 2 pi) - a exceeds 2 pi by one ulp; the interval is
    still the whole circle, and its loss is that of any other whole circle.
    """
    lower = np.array([0.3, 100.5, -262.2])
    upper = lower + TWO_PI
    assert np.any(upper - lower > TWO_PI)  # the rounding this test is about
    loss, _ = kde_cross_entropy(
        np.zeros((3, 4)), [0.0, 1.0, 2.0, 3.0], lower, upper, period=TWO_PI
    )
    assert_allclose(loss, loss[0], rtol=1e-9)
    X = np.zeros((3, 1))
    model = SoftmaxKDERegressor(centers=4, bandwidth=1.0, period=TWO_PI)
    model.fit(X, np.column_stack([lower, upper]))
    scores = model.score_samples(X, np.column_stack([lower, upper]))
    assert_allclose(scores, scores[0], rtol=1e-9)


def test_many_bad_rows_are_listed_with_an_ellipsis():
    """Ten rows are named; the message says when there are more."""
    y = Y_INTERVALS.copy()
    y[:12, 0] = y[:12, 1] + 1.0
    with pytest.raises(
        ValueError, match=r"rows \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9\] \.\.\. have lower"
    ):
        SoftmaxKDERegressor(centers=6).fit(X0, y)


BAD_PARAMS = [
    ("period", 0),
    ("period", -1.0),
    ("period", np.inf),
    ("period", np.nan),
    ("bandwidth", 0.0),
    ("bandwidth", -0.5),
    ("bandwidth", np.nan),
    ("bandwidth", "auto"),
    ("placement", "random"),
    ("kernel", "box"),
    ("loss", "squared"),
    ("centers", 0),
    ("centers", 2.5),
    ("alpha", -1e-3),
    ("alpha", np.nan),
    ("target_width", -0.1),
    ("max_iter", 0),
    ("tol", -1.0),
    ("n_quadrature", 0),
    ("fit_intercept", "yes"),
    ("callback", 3),
]


@pytest.mark.parametrize("name, value", BAD_PARAMS)
def test_bad_parameter_raises_invalid_parameter_error(name, value):
    model = SoftmaxKDERegressor(**{name: value})
    with pytest.raises(
        InvalidParameterError,
        match=rf"The '{name}' parameter of SoftmaxKDERegressor must be",
    ):
        model.fit(X0, Y0)
    assert issubclass(InvalidParameterError, ValueError)


# --------------------------------------------------------------------------
# Bandwidth rules that resolve to zero fall back, with a warning.
# --------------------------------------------------------------------------
@pytest.mark.parametrize("value", [0.1, 1 / 3, -2.7, 123.456, 1e8 + 0.3])
@pytest.mark.parametrize("n", [3, 7, 10])
@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_equal_targets_fall_back_to_unit_bandwidth(value, n, rule):
    """Whatever rounding a mean of equal values gives, the spread is zero."""
    X = np.linspace(-1, 1, n)[:, None]
    model = SoftmaxKDERegressor(centers=5, bandwidth=rule)
    with pytest.warns(
        UserWarning,
        match=f"zero spread, so bandwidth='{rule}' would be zero; using bandwidth=1 ",
    ):
        model.fit(X, np.full(n, value))
    assert model.bandwidth_ == 1.0
    assert_allclose(model.predict(X), value, rtol=1e-12, atol=1e-3)


@pytest.mark.parametrize("period", [TWO_PI, 360.0, 1.0])
@pytest.mark.parametrize("value", [0.1, -0.3, 2.0])
def test_equal_periodic_targets_fall_back_to_period_over_centers(period, value):
    X = np.zeros((7, 1))
    with pytest.warns(UserWarning, match="zero spread"):
        model = SoftmaxKDERegressor(centers=5, period=period).fit(X, np.full(7, value))
    assert model.bandwidth_ == period / 5
    with pytest.warns(UserWarning, match="zero spread"):
        explicit = SoftmaxKDERegressor(
            centers=np.arange(8) * period / 8, period=period, kernel="vonmises"
        ).fit(X, np.full(7, value))
    assert explicit.bandwidth_ == period / 8


def test_single_sample_falls_back_and_fits_it():
    X, y = data(n=1)
    with pytest.warns(UserWarning, match="zero spread"):
        model = SoftmaxKDERegressor(centers=5).fit(X, y)
    assert model.bandwidth_ == 1.0
    assert model.predict(X)[0] == pytest.approx(y[0], abs=1e-3)
    # All the weight on the center at the target: the peak of N(0, 1).
    assert model.score(X, y) == pytest.approx(norm.logpdf(0.0), abs=1e-4)


@pytest.mark.parametrize("period", [None, TWO_PI])
def test_tiny_but_nonzero_spread_keeps_its_bandwidth(period):
    """A spread of 1e-9 is not rounded to zero, on the line or the circle."""
    z = np.random.default_rng(1).normal(size=50)
    # Far from zero on the line: 1e5 carries only ~5 digits of a 1e-9 spread,
    # so compare with the spread of the stored values.
    y = (1.0 if period else 1e5) + 1e-9 * z
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = SoftmaxKDERegressor(centers=8, period=period, max_iter=5)
        model.fit(np.zeros((50, 1)), y)
    assert not [w for w in record if "zero spread" in str(w.message)]
    expected = np.std(y - y[0]) * 50**-0.2
    assert model.bandwidth_ == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------
# Bad inputs to the prediction methods.
# --------------------------------------------------------------------------
# Arguments after X of every public prediction method.
PREDICT_ARGS = {
    "predict": (),
    "predict_distribution": (),
    "predict_weights": (),
    "predict_density": ([0.0, 0.5],),
    "predict_cdf": ([0.0, 0.5],),
    "predict_quantiles": ([0.1, 0.5, 0.9],),
    "predict_interval": (0.8,),
    "predict_hit_probability": (-0.5, 0.5),
    "predict_aim": (0.2,),
    "predict_mean": (),
    "predict_std": (),
    "sample": (3, 0),
    "score_samples": (),
    "score": (Y0,),
}


def public_prediction_methods():
    return sorted(
        name
        for name in dir(SoftmaxKDERegressor)
        if name.startswith(("predict", "score", "sample"))
    )


def test_every_prediction_method_is_covered_here():
    assert public_prediction_methods() == sorted(PREDICT_ARGS)


@pytest.mark.parametrize("method", sorted(PREDICT_ARGS))
def test_prediction_before_fit_raises_not_fitted_error(method):
    model = SoftmaxKDERegressor()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(model, method)(X0, *PREDICT_ARGS[method])


@pytest.mark.parametrize("method", sorted(PREDICT_ARGS))
def test_prediction_with_wrong_features_raises(method):
    model = fitted()
    call = getattr(model, method)
    with pytest.raises(ValueError, match="X has 1 features, but SoftmaxKDERegressor"):
        call(X0[:, :1], *PREDICT_ARGS[method])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        call(X0[0], *PREDICT_ARGS[method])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        call(with_value(X0, (2, 0), np.nan), *PREDICT_ARGS[method])


BAD_PREDICT_INPUTS = {
    "grid with NaN": (
        "predict_density",
        ([0.0, np.nan],),
        "grid contains NaN or infinite values",
    ),
    "grid with inf": (
        "predict_density",
        ([np.inf, 0.0],),
        "grid contains NaN or infinite values",
    ),
    "2-D grid": ("predict_density", (np.zeros((2, 2)),), r"grid must be 1-D"),
    "CDF grid with NaN": (
        "predict_cdf",
        ([np.nan],),
        "grid contains NaN or infinite values",
    ),
    "quantile levels with NaN": (
        "predict_quantiles",
        ([0.5, np.nan],),
        "quantiles contains NaN or infinite values",
    ),
    "quantile levels outside [0, 1]": (
        "predict_quantiles",
        ([0.5, 1.5],),
        r"quantiles must lie in \[0, 1\]",
    ),
    "coverage outside (0, 1)": (
        "predict_interval",
        (1.5,),
        r"coverage must lie in \(0, 1\); got 1.5",
    ),
    "hit interval with NaN": (
        "predict_hit_probability",
        (np.nan, 1.0),
        r"lower and upper must be finite; rows \[0, 1, 2\] are not",
    ),
    "hit interval with lower > upper": (
        "predict_hit_probability",
        ([0.0, 2.0, 0.0], 1.0),
        r"rows \[1\] have lower > upper",
    ),
    "negative aim half-width": (
        "predict_aim",
        (-1.0,),
        "half_width must be a finite float >= 0; got -1.0",
    ),
    "zero draws": ("sample", (0,), "n_draws must be a positive integer; got 0"),
    "score with y of the wrong length": (
        "score_samples",
        (Y0[:4],),
        "X has 3 samples but y has 4",
    ),
    "score with NaN in y": (
        "score_samples",
        (with_value(Y0[:3], 1, np.nan),),
        r"lower and upper must be finite; rows \[1\] are not",
    ),
    "score with 3-column y": (
        "score_samples",
        (np.zeros((3, 3)),),
        r"got shape \(3, 3\)",
    ),
    "score with lower > upper": (
        "score_samples",
        (np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]),),
        r"rows \[1\] have lower > upper",
    ),
    "score with negative sample_weight": (
        "score",
        (Y0[:3], np.array([1.0, -1.0, 1.0])),
        "Negative values in data passed to `sample_weight`",
    ),
}


@pytest.mark.parametrize("case", BAD_PREDICT_INPUTS, ids=str)
def test_bad_prediction_input_raises_a_clear_value_error(case):
    method, args, match = BAD_PREDICT_INPUTS[case]
    model = fitted()
    with pytest.raises(ValueError, match=match):
        getattr(model, method)(X0[:3], *args)


def test_periodic_grid_with_nan_is_rejected():
    model = fitted(period=360.0)
    with pytest.raises(ValueError, match="grid contains NaN"):
        model.predict_density(X0[:2], [10.0, np.nan])


# --------------------------------------------------------------------------
# Extreme but valid inputs: finite and correct.
# --------------------------------------------------------------------------
def test_targets_a_thousand_bandwidths_from_every_center():
    """The log-domain gradient still points to the nearest centers."""
    centers = np.linspace(-0.02, 0.02, 5)
    h = 0.01
    X = np.repeat([[-1.0], [1.0]], 20, axis=0)
    y = np.where(X[:, 0] > 0, 10.0, -10.0) + np.linspace(-0.5, 0.5, 40)
    # At the start (equal weights) the gradient is large and exact.
    z = np.zeros((40, 5))
    loss, grad = kde_cross_entropy(z, centers, y, y, bandwidth=h)
    ref = -logsumexp(np.log(0.2) + norm.logpdf(y[:, None], centers, h), axis=1)
    assert_allclose(loss, ref, rtol=1e-12)
    # All the responsibility goes to the center nearest the target.
    nearest = np.where(y > 0, 4, 0)
    expected = np.full((40, 5), 0.2)
    expected[np.arange(40), nearest] -= 1.0
    assert_allclose(grad, expected, atol=1e-12)

    model = SoftmaxKDERegressor(centers=centers, bandwidth=h).fit(X, y)
    weights = model.predict_distribution([[-1.0], [1.0]]).weights
    assert weights[0, 0] > 0.99 and weights[1, 4] > 0.99
    assert_allclose(model.predict([[-1.0], [1.0]]), [-0.02, 0.02], atol=1e-4)
    scores = model.score_samples(X, y)
    assert np.all(np.isfinite(scores)) and scores.max() < -4e5
    assert_allclose(scores, log_domain_density(model, X, y), rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_predictions_scale_with_the_targets(scale):
    X, y = data(n=60)
    kw = dict(centers=10, tol=1e-10)
    base = SoftmaxKDERegressor(**kw).fit(X, y)
    model = SoftmaxKDERegressor(**kw).fit(X, y * scale)
    assert model.bandwidth_ == pytest.approx(base.bandwidth_ * scale, rel=1e-12)
    assert_allclose(model.centers_, base.centers_ * scale, rtol=1e-12, atol=0)
    pred = model.predict(X)
    assert np.all((pred >= model.centers_[0]) & (pred <= model.centers_[-1]))
    assert_allclose(pred / scale, base.predict(X), atol=1e-5 * np.ptp(y))
    # Densities scale by 1/scale: log-likelihoods shift by -log(scale).
    score = model.score(X, y * scale)
    assert np.isfinite(score)
    assert score + np.log(scale) == pytest.approx(base.score(X, y), abs=1e-6)


def test_features_of_magnitude_1e6_reach_the_same_fit():
    """X * 1e6 with alpha * 1e12 is the same problem in other units.

    The penalty on coef (which shrinks by 1e6) is rescaled so the optimum is
    unique and identical, and so is every prediction.  A fit that stops on a
    plateau of the badly scaled problem does not reach it.
    """
    X, y = data(n=60)
    kw = dict(centers=10, tol=1e-9)
    base = SoftmaxKDERegressor(alpha=1e-3, **kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        big = SoftmaxKDERegressor(alpha=1e9, **kw).fit(X * 1e6, y)
    assert np.all(np.isfinite(big.coef_))
    assert big.objective_ == pytest.approx(base.objective_, abs=1e-6)
    assert big.score(X * 1e6, y) == pytest.approx(base.score(X, y), abs=1e-5)
    assert_allclose(big.predict(X * 1e6), base.predict(X), atol=1e-3)


def test_one_center():
    X, y = data()
    model = SoftmaxKDERegressor(centers=1).fit(X, y)
    assert model.centers_.shape == (1,)
    assert_array_equal(model.coef_, 0.0)
    assert_allclose(model.predict(X), model.centers_[0], rtol=1e-12)
    c, h = model.centers_[0], model.bandwidth_
    assert_allclose(model.score_samples(X, y), norm.logpdf(y, c, h), rtol=1e-12)


@pytest.mark.parametrize("kernel", ["tophat", "epanechnikov", "linear", "cosine"])
@pytest.mark.parametrize("period", [None, TWO_PI])
def test_one_center_with_a_compact_kernel_covers_every_target(kernel, period):
    """The rule bandwidth of a single compact kernel reaches every target."""
    X, y = data(n=50)
    if period:
        y = np.mod(y, period)
    model = SoftmaxKDERegressor(centers=1, kernel=kernel, period=period).fit(X, y)
    c, h = model.centers_[0], model.bandwidth_
    # On the line the kernel spans the targets' range; on the circle, all of it.
    assert h == (np.ptp(y) if period is None else period)
    expected = log_kernel(y - c, kernel, h, period)
    assert np.all(np.isfinite(expected))
    assert_allclose(model.score_samples(X, y), expected, rtol=1e-12)


def test_thousands_of_centers():
    X, y = data(n=20)
    model = SoftmaxKDERegressor(centers=2000, tol=1e-5).fit(X, y)
    assert model.coef_.shape == (2000, 2)
    weights = model.predict_distribution(X).weights
    assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(
        model.score_samples(X, y), log_domain_density(model, X, y), rtol=1e-10
    )
    grid = np.linspace(model.centers_[0] - 8, model.centers_[-1] + 8, 2001)
    density = model.predict_density(X[:3], grid)
    assert_allclose(density.sum(axis=1) * (grid[1] - grid[0]), 1.0, rtol=1e-8)
    pred = model.predict(X)
    assert np.all((pred > y.min() - 1) & (pred < y.max() + 1))


def test_float32_inputs_match_their_float64_values():
    X, y = data()
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    sw32 = np.linspace(0.5, 2, N).astype(np.float32)
    m32 = SoftmaxKDERegressor(centers=6).fit(X32, y32, sample_weight=sw32)
    m64 = SoftmaxKDERegressor(centers=6).fit(
        X32.astype(np.float64), y32.astype(np.float64), sample_weight=sw32
    )
    assert m32.coef_.dtype == np.float64
    assert_array_equal(m32.coef_, m64.coef_)
    assert_array_equal(m32.predict(X32), m64.predict(X32.astype(np.float64)))
    assert m32.predict(X32).dtype == np.float64


def readonly_copies(tmp_path, *arrays):
    """Each array as a read-only np.memmap and as a writeable=False array."""
    maps, frozen = [], []
    for i, a in enumerate(arrays):
        path = tmp_path / f"a{i}.dat"
        mm = np.memmap(path, dtype=a.dtype, mode="w+", shape=a.shape)
        mm[...] = a
        mm.flush()
        del mm
        maps.append(np.memmap(path, dtype=a.dtype, mode="r", shape=a.shape))
        f = a.copy()
        f.flags.writeable = False
        frozen.append(f)
    return maps, frozen


@pytest.mark.parametrize("interval_y", [False, True])
def test_read_only_and_memory_mapped_inputs(tmp_path, interval_y):
    X, y = data()
    if interval_y:
        y = np.column_stack([y - 0.1, y + 0.2])
    sw = np.linspace(0.5, 2.0, N)
    ref = SoftmaxKDERegressor(centers=6).fit(X, y, sample_weight=sw)
    maps, frozen = readonly_copies(tmp_path, X, y, sw)
    for Xr, yr, swr in (maps, frozen):
        assert not Xr.flags.writeable
        model = SoftmaxKDERegressor(centers=6).fit(Xr, yr, sample_weight=swr)
        assert_array_equal(model.coef_, ref.coef_)
        assert_array_equal(model.predict(Xr), ref.predict(X))
        assert_array_equal(model.score_samples(Xr, yr), ref.score_samples(X, y))


def test_confident_logits_in_the_loss_are_exact():
    """Softmax weights below 1e-300 on the centers that explain the targets."""
    centers = 1000.0 * np.arange(7)
    z = np.array([[-750.0, 0, 0, 0, 0, 0, 0], [0.0, 0, 0, 0, 0, 0, -760.0]])
    log_w = z - logsumexp(z, axis=1, keepdims=True)
    assert np.exp(log_w[0, 0]) < 1e-300 and np.exp(log_w[1, 6]) < 1e-300
    t = np.array([0.3, 6000.2])  # only the unlikely center is near
    cases = [
        ("gaussian", None),
        ("exponential", None),
        ("epanechnikov", None),
        ("vonmises", 7000.0),
        ("gaussian", 7000.0),
    ]
    for kernel, period in cases:
        loss, grad = kde_cross_entropy(z, centers, t, t, kernel=kernel, period=period)
        log_terms = log_w + log_kernel(t[:, None] - centers, kernel, 1.0, period)
        log_p = logsumexp(log_terms, axis=1)
        assert_allclose(loss, -log_p, rtol=1e-13, err_msg=kernel)
        expected = np.exp(log_w) - np.exp(log_terms - log_p[:, None])
        assert_allclose(grad, expected, atol=1e-12, err_msg=kernel)
        # The targets sit on the unlikely centers: their gradient is ~ -1.
        assert grad[0, 0] == pytest.approx(-1.0, abs=1e-9)
        assert grad[1, 6] == pytest.approx(-1.0, abs=1e-9)


def test_confident_fitted_model_predicts_exactly():
    """coef_ set by hand so that the weights span e^-1000."""
    X, y = data()
    model = SoftmaxKDERegressor(centers=np.linspace(-3, 3, 7), bandwidth=0.2)
    model.fit(X, y)
    model.coef_ = np.zeros((7, 2))
    model.coef_[:, 0] = np.linspace(-500.0, 500.0, 7)
    model.intercept_ = np.zeros(7)
    Xq = np.array([[1.0, 0.0], [-1.0, 0.0], [0.5, 0.0]])
    log_w = model.predict_distribution(Xq).log_weights
    assert np.exp(log_w.min()) < 1e-300 and np.all(np.isfinite(log_w))
    # Targets at centers that carry weight e^-1000 or so, and at the mode.
    t = np.array([-3.0, 3.0, 2.0])
    scores = model.score_samples(Xq, t)
    assert np.all(np.isfinite(scores))
    assert_allclose(scores, log_domain_density(model, Xq, t), rtol=1e-13)
    assert np.isfinite(model.score(Xq, t))
    logpdf = model.predict_distribution(Xq).logpdf(np.array([-3.0, 3.0]))
    assert np.all(np.isfinite(logpdf))
    assert_allclose(logpdf[:, 0], log_domain_density(model, Xq, np.full(3, -3.0)))
    assert_allclose(model.predict(Xq), [3.0, -3.0, 3.0], atol=1e-6)


def test_single_sample_periodic_predicts_the_best_center():
    X, y = data(n=1)
    with pytest.warns(UserWarning, match="zero spread"):
        model = SoftmaxKDERegressor(centers=5, period=TWO_PI).fit(X, np.mod(y, TWO_PI))
    assert model.window_ == (0.0, TWO_PI)
    # One point target: the likelihood is highest with all weight on the
    # center nearest to it.
    target = np.mod(y[0], TWO_PI)
    nearest = model.centers_[np.argmin(np.abs(model.centers_ - target))]
    assert model.predict(X)[0] == pytest.approx(nearest, abs=1e-3)


def test_periodic_summaries_on_the_seam_stay_in_the_window():
    """Mirror-image targets put the circular mean on the seam, at 0 - 1e-17.

    Wrapping such an angle with np.mod gives the period itself: the end of
    the window, which the window excludes.
    """
    X = np.zeros((40, 1))
    y = np.r_[np.full(20, 0.3), np.full(20, TWO_PI - 0.3)]
    model = SoftmaxKDERegressor(centers=4, period=TWO_PI).fit(X, y)
    start, end = model.window_
    assert (start, end) == (0.0, TWO_PI)
    for name, args in [("predict", ()), ("predict_mean", ()), ("sample", (200, 0))]:
        values = getattr(model, name)(X[:1], *args)
        assert np.all((values >= start) & (values < end)), (name, values)
    dist = model.predict_distribution(X[:1])
    wrapped = dist.to_window(np.array([-1e-17, -1e-300, TWO_PI, 3 * TWO_PI]))
    assert np.all((wrapped >= start) & (wrapped < end)), wrapped


def test_density_of_a_far_target_integrates_to_one():
    model = fitted(centers=np.linspace(-0.02, 0.02, 5), bandwidth=0.01)
    dist = model.predict_distribution(X0[:2])
    kinks = model.centers_
    for i in range(2):
        total, _ = quad(
            lambda t, i=i: dist[i].pdf([t])[0, 0],
            -1.0,
            1.0,
            points=kinks,
            limit=200,
            epsabs=1e-12,
        )
        assert total == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------
# Determinism and state.
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        dict(centers=8),
        dict(centers=8, period=TWO_PI, kernel="vonmises"),
        dict(centers=8, kernel="epanechnikov", target_width=0.1),
    ],
    ids=["gaussian", "vonmises", "epanechnikov"],
)
def test_repeated_fits_are_bitwise_identical(params):
    X, y = data(n=80)
    if "period" in params:
        y = np.mod(y, TWO_PI)
    sw = np.linspace(0.2, 3.0, 80)
    fits = [SoftmaxKDERegressor(**params).fit(X, y, sample_weight=sw) for _ in range(3)]
    for other in fits[1:]:
        assert other.coef_.tobytes() == fits[0].coef_.tobytes()
        assert other.intercept_.tobytes() == fits[0].intercept_.tobytes()
        assert other.n_iter_ == fits[0].n_iter_
    sp = SoftmaxKDERegressor(**params).fit(sparse.csr_matrix(X), y, sample_weight=sw)
    again = SoftmaxKDERegressor(**params).fit(sparse.csr_matrix(X), y, sample_weight=sw)
    assert sp.coef_.tobytes() == again.coef_.tobytes()


def test_zero_weight_equals_dropping_the_row():
    """Also for a compact kernel whose support misses the dropped row."""
    X, y = data(n=30)
    y = y.copy()
    y[[0, 5]] = [50.0, -40.0]  # far outside every kernel's support
    sw = np.ones(30)
    sw[[0, 5]] = 0.0
    kw = dict(centers=np.linspace(-3, 3, 13), bandwidth=1.0, kernel="epanechnikov")
    weighted = SoftmaxKDERegressor(**kw).fit(X, y, sample_weight=sw)
    dropped = SoftmaxKDERegressor(**kw).fit(X[sw > 0], y[sw > 0])
    assert_array_equal(weighted.coef_, dropped.coef_)
    # The window and bandwidth rule see only the weighted rows, too.
    angles = np.mod(y, TWO_PI)
    angles[0] = -1.0
    weighted = SoftmaxKDERegressor(centers=5, period=TWO_PI).fit(
        X, angles, sample_weight=sw
    )
    dropped = SoftmaxKDERegressor(centers=5, period=TWO_PI).fit(
        X[sw > 0], angles[sw > 0]
    )
    assert weighted.window_ == dropped.window_ == (0.0, TWO_PI)
    assert weighted.bandwidth_ == dropped.bandwidth_
    assert_array_equal(weighted.coef_, dropped.coef_)


def call_every_prediction_method(model, X, y):
    args = dict(PREDICT_ARGS, score=(y,), score_samples=(y,))
    out = {}
    for name in sorted(args):
        result = getattr(model, name)(X, *args[name])
        if name == "predict_distribution":
            result = result.log_weights
        out[name] = result
    return out


def assert_same_state(a, b, path="model"):
    assert type(a) is type(b), path
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same_state(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same_state(u, v, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
    else:
        assert a == b or (a != a and b != b), path


@pytest.mark.parametrize("period", [None, 360.0])
def test_pickled_model_predicts_identically(period):
    X, y = data(n=50)
    if period:
        y = np.mod(60 * y, 360.0)
    model = SoftmaxKDERegressor(centers=8, period=period).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    assert_same_state(clone.__dict__, model.__dict__)
    grid = np.linspace(y.min(), y.max(), 11)
    assert_array_equal(clone.predict(X), model.predict(X))
    assert_array_equal(clone.predict_density(X, grid), model.predict_density(X, grid))
    assert_array_equal(clone.score_samples(X, y), model.score_samples(X, y))
    assert_array_equal(clone.score_samples(X), model.score_samples(X))
    assert clone.score(X, y) == model.score(X, y)


@pytest.mark.parametrize("period", [None, TWO_PI])
def test_prediction_methods_do_not_modify_the_estimator(period):
    X, y = data(n=30)
    if period:
        y = np.mod(y, TWO_PI)
    model = SoftmaxKDERegressor(centers=6, period=period).fit(X, y)
    before = copy.deepcopy(model.__dict__)
    first = call_every_prediction_method(model, X, y)
    assert_same_state(model.__dict__, before)
    second = call_every_prediction_method(model, X, y)
    assert_same_state(second, first, "results")


def test_concurrent_predictions_agree_with_serial_ones():
    X, y = data(n=200)
    model = SoftmaxKDERegressor(centers=12).fit(X, y)
    before = copy.deepcopy(model.__dict__)
    grid = np.linspace(-3, 3, 51)
    jobs = {
        "predict": lambda: model.predict(X),
        "density": lambda: model.predict_density(X, grid),
        "score_samples": lambda: model.score_samples(X, y),
        "sample": lambda: model.sample(X, 4, random_state=7),
    }
    serial = {name: job() for name, job in jobs.items()}
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [
            (name, pool.submit(job)) for _ in range(6) for name, job in jobs.items()
        ]
        for name, future in futures:
            assert_array_equal(future.result(), serial[name], err_msg=name)
    assert_same_state(model.__dict__, before)


@pytest.mark.parametrize("interval_y", [False, True])
@pytest.mark.parametrize("use_sparse", [False, True])
def test_fit_does_not_modify_its_inputs(interval_y, use_sparse):
    X, y = data(n=40)
    if interval_y:
        y = np.column_stack([y - 0.2, y + 0.1])
    sw = np.linspace(0.0, 2.0, 40)  # a zero weight too
    X_in = sparse.csr_matrix(X) if use_sparse else X.copy()
    y_in, sw_in = y.copy(), sw.copy()
    SoftmaxKDERegressor(centers=6, target_width=0.05).fit(
        X_in, y_in, sample_weight=sw_in
    )
    assert_array_equal(X_in.toarray() if use_sparse else X_in, X)
    assert_array_equal(y_in, y)
    assert_array_equal(sw_in, sw)
