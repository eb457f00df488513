"""SoftmaxKDERegressor: fitting, relatives, predictions and the scikit-learn API."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.linear_model import LogisticRegression

from skkdece import SoftmaxKDERegressor

TWO_PI = 2 * np.pi


def linear_gaussian_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    mean = 1.5 * X[:, 0] - 0.5 * X[:, 1]
    y = mean + rng.normal(scale=0.4, size=n)
    return X, y, norm.logpdf(y, loc=mean, scale=0.4)


def test_recovers_a_known_conditional_density():
    """Held-out log-likelihood within 0.05 nats of the true model's."""
    X, y, _ = linear_gaussian_data(3000, seed=0)
    X_test, y_test, true_ll = linear_gaussian_data(3000, seed=1)
    # Sharp conditional densities need large logits: a light penalty.
    model = SoftmaxKDERegressor(centers=32, bandwidth=0.1, alpha=1e-6).fit(X, y)
    model_ll = model.score(X_test, y_test)
    assert abs(model_ll - true_ll.mean()) < 0.05
    assert model_ll == pytest.approx(model.score_samples(X_test, y_test).mean())


@pytest.mark.parametrize("n_classes", [3, 4])
def test_degenerate_case_is_multinomial_logistic_regression(n_classes):
    """Tophat kernel, one center per class, intervals inside the class bins."""
    rng = np.random.default_rng(0)
    n, d = 400, 3
    X = rng.normal(size=(n, d))
    true_coef = rng.normal(size=(n_classes, d))
    logits = X @ true_coef.T
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(n_classes, p=row) for row in p])
    lower = labels - rng.uniform(0.0, 0.45, n)
    upper = labels + rng.uniform(0.0, 0.45, n)
    alpha = 0.01
    model = SoftmaxKDERegressor(
        centers=np.arange(n_classes, dtype=float),
        bandwidth=0.5,
        kernel="tophat",
        alpha=alpha,
        tol=1e-10,
        max_iter=5000,
    ).fit(X, np.column_stack([lower, upper]))
    lr = LogisticRegression(C=1 / (alpha * n), tol=1e-10, max_iter=5000).fit(X, labels)

    def centered(a):
        return a - a.mean(axis=0)

    assert_allclose(centered(model.coef_), centered(lr.coef_), atol=1e-4)
    assert_allclose(centered(model.intercept_), centered(lr.intercept_), atol=1e-4)


def test_sparse_and_dense_fits_agree():
    X, y, _ = linear_gaussian_data(200, seed=2)
    X[np.abs(X) < 0.3] = 0.0
    dense = SoftmaxKDERegressor(centers=10, tol=1e-9).fit(X, y)
    for fmt in (sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array):
        sp = SoftmaxKDERegressor(centers=10, tol=1e-9).fit(fmt(X), y)
        # Weakly penalised directions stop where the gradient is ~1e-9: the
        # coefficients agree to ~1e-5 and the predictions much better.
        assert_allclose(sp.coef_, dense.coef_, rtol=1e-4, atol=1e-4)
        assert_allclose(sp.predict(fmt(X)), dense.predict(X), atol=1e-5)
        assert_allclose(
            sp.score_samples(fmt(X), y), dense.score_samples(X, y), atol=1e-5
        )


def test_one_hot_features_from_a_column_transformer():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "side": rng.choice(["left", "right", "none"], 300),
            "speed": rng.normal(size=300),
        }
    )
    y = np.where(df["side"] == "left", -1.0, np.where(df["side"] == "right", 1.0, 0.0))
    y = y + 0.1 * rng.normal(size=300)
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(), ["side"]), ("num", StandardScaler(), ["speed"])],
        sparse_threshold=1.0,
    )
    assert sparse.issparse(pre.fit_transform(df))
    model = make_pipeline(pre, SoftmaxKDERegressor(centers=12)).fit(df, y)
    pred = model.predict(df.iloc[:3])
    expected = {"left": -1.0, "right": 1.0, "none": 0.0}
    assert_allclose(pred, [expected[s] for s in df["side"].iloc[:3]], atol=0.15)


def test_feature_names_are_recorded():
    pd = pytest.importorskip("pandas")
    X, y, _ = linear_gaussian_data(100, seed=4)
    df = pd.DataFrame(X, columns=["distance", "velocity"])
    model = SoftmaxKDERegressor(centers=8).fit(df, y)
    assert list(model.feature_names_in_) == ["distance", "velocity"]
    assert model.n_features_in_ == 2
    assert model.coef_.shape == (8, 2) and model.intercept_.shape == (8,)


def test_column_vector_y_warns_and_matches_1d():
    X, y, _ = linear_gaussian_data(100, seed=5)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        col = SoftmaxKDERegressor(centers=8).fit(X, y[:, None])
    flat = SoftmaxKDERegressor(centers=8).fit(X, y)
    assert_allclose(col.coef_, flat.coef_)


def test_three_column_y_is_rejected():
    X, y, _ = linear_gaussian_data(50, seed=6)
    with pytest.raises(ValueError, match=r"y must be of shape \(n_samples,\)"):
        SoftmaxKDERegressor().fit(X, np.column_stack([y, y, y]))


def test_target_width_equals_explicit_intervals():
    X, y, _ = linear_gaussian_data(150, seed=7)
    a = SoftmaxKDERegressor(centers=10, target_width=0.2, bandwidth=0.3).fit(X, y)
    b = SoftmaxKDERegressor(centers=10, bandwidth=0.3).fit(
        X, np.column_stack([y - 0.2, y + 0.2])
    )
    assert_allclose(a.coef_, b.coef_)
    assert_allclose(a.centers_, b.centers_)


def test_convergence_warning_and_iteration_count():
    X, y, _ = linear_gaussian_data(200, seed=8)
    with pytest.warns(ConvergenceWarning, match="before convergence after 3"):
        model = SoftmaxKDERegressor(max_iter=3).fit(X, y)
    assert model.n_iter_ == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = SoftmaxKDERegressor(centers=8, max_iter=2000).fit(X, y)
    assert 3 < model.n_iter_ < 2000


def test_callback_and_verbose_output(capsys):
    X, y, _ = linear_gaussian_data(100, seed=9)
    calls = []

    def record(params, n_iter):
        assert sorted(params) == ["coef_", "intercept_"]
        calls.append((params["coef_"].shape, params["intercept_"].shape, n_iter))

    model = SoftmaxKDERegressor(centers=6, callback=record, verbose=1).fit(X, y)
    assert len(calls) == model.n_iter_
    assert calls[0] == ((6, 2), (6,), 1) and calls[-1][2] == model.n_iter_
    out = capsys.readouterr().out
    assert "[SoftmaxKDERegressor]" in out and "Objective" in out
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == (
        model.n_iter_
    )


def test_callback_sees_the_current_iterate():
    # The last call's parameters are the fitted ones, and the earlier ones
    # are copies (the solver reuses its arrays).
    X, y, _ = linear_gaussian_data(100, seed=9)
    seen = []
    model = SoftmaxKDERegressor(
        centers=6, callback=lambda params, n_iter: seen.append(params)
    ).fit(X, y)
    assert_array_equal(seen[-1]["coef_"], model.coef_)
    assert_array_equal(seen[-1]["intercept_"], model.intercept_)
    assert not np.array_equal(seen[0]["coef_"], seen[-1]["coef_"])


def test_warm_start_starts_from_the_previous_solution():
    X, y, _ = linear_gaussian_data(300, seed=10)
    model = SoftmaxKDERegressor(centers=12, bandwidth=0.3, warm_start=True).fit(X, y)
    first = model.n_iter_
    model.set_params(bandwidth=0.31).fit(X, y)
    cold = SoftmaxKDERegressor(centers=12, bandwidth=0.31).fit(X, y)
    assert model.n_iter_ < first / 2
    assert_allclose(model.predict(X[:20]), cold.predict(X[:20]), atol=2e-3)


def test_mode_is_located_precisely():
    X, y, _ = linear_gaussian_data(400, seed=11)
    model = SoftmaxKDERegressor(centers=16).fit(X, y)
    pred = model.predict(X[:15])
    h = model.bandwidth_
    for i in range(15):
        grid = np.linspace(y.min() - 1, y.max() + 1, 4001)
        dens = model.predict_density(X[i : i + 1], grid)[0]
        g = grid[np.argmax(dens)]
        res = minimize_scalar(
            lambda t, i=i: -model.predict_density(X[i : i + 1], [t])[0, 0],
            bracket=(g - 0.01, g, g + 0.01),
            tol=1e-12,
        )
        assert abs(pred[i] - res.x) < 1e-3 * h


def test_mode_of_a_bimodal_density_picks_the_higher_peak():
    X = np.zeros((200, 1))
    y = np.concatenate([np.full(120, -2.0), np.full(80, 2.0)])
    model = SoftmaxKDERegressor(centers=np.linspace(-3, 3, 25), bandwidth=0.3)
    model.fit(X, y)
    assert model.predict([[0.0]])[0] == pytest.approx(-2.0, abs=0.05)


@pytest.mark.parametrize("kernel", ["gaussian", "exponential", "tophat", "linear"])
def test_density_integrates_to_one(kernel):
    X, y, _ = linear_gaussian_data(200, seed=12)
    model = SoftmaxKDERegressor(centers=10, kernel=kernel).fit(X, y)
    h = model.bandwidth_
    lo, hi = model.centers_.min() - 40 * h, model.centers_.max() + 40 * h
    kinks = np.sort(np.concatenate([model.centers_ + o * h for o in (-1, 0, 1)]))
    dist = model.predict_distribution(X[:4])
    for i in range(4):
        total, _ = quad(
            lambda t, i=i: dist[i].pdf([t])[0, 0],
            lo,
            hi,
            points=kinks,
            limit=500,
            epsabs=1e-10,
        )
        assert total == pytest.approx(1.0, abs=1e-6)


def test_periodic_window_rule_and_seam_crossing_targets():
    rng = np.random.default_rng(13)
    X = rng.uniform(-1, 1, size=(300, 1))
    angle = np.mod(2.0 * X[:, 0] + 0.2 * rng.normal(size=300), 360.0 / 60) * 60
    # Targets given in [0, 360): predictions in [0, 360).
    # Tight tolerances: the two fits must reach the same optimum.
    m_pos = SoftmaxKDERegressor(period=360.0, tol=1e-10).fit(X, angle)
    assert m_pos.window_ == (0.0, 360.0)
    pred = m_pos.predict(X)
    assert np.all((pred >= 0) & (pred < 360))
    # The same angles in [-180, 180): predictions there, same densities.
    signed = np.where(angle >= 180, angle - 360, angle)
    m_sig = SoftmaxKDERegressor(period=360.0, tol=1e-10).fit(X, signed)
    assert m_sig.window_ == (-180.0, 180.0)
    pred_sig = m_sig.predict(X)
    assert np.all((pred_sig >= -180) & (pred_sig < 180))
    diff = np.mod(pred_sig - pred + 180, 360) - 180
    assert_allclose(diff, 0.0, atol=1e-3 * m_pos.bandwidth_)
    grid = np.linspace(0, 360, 73)
    assert_allclose(
        m_pos.predict_density(X[:5], grid),
        m_sig.predict_density(X[:5], grid),
        rtol=1e-4,
        atol=1e-12,
    )
    # An arc across the seam: [350, 370] and [-10, 10] are the same target.
    y1 = np.column_stack([angle - 10, angle + 10])
    y2 = np.column_stack([signed - 10, signed + 10])
    m1 = SoftmaxKDERegressor(period=360.0, bandwidth=15.0, tol=1e-10).fit(X, y1)
    m2 = SoftmaxKDERegressor(period=360.0, bandwidth=15.0, tol=1e-10).fit(X, y2)
    assert_allclose(
        m1.predict_density(X[:5], grid),
        m2.predict_density(X[:5], grid),
        rtol=1e-4,
        atol=1e-12,
    )
    assert_allclose(m1.score(X, y1), m2.score(X, y2), rtol=1e-6)


def test_periodic_centers_and_circular_bandwidth():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(500, 1))
    y = np.mod(rng.vonmises(0.0, 4.0, 500), TWO_PI)  # clustered around 0 / 2 pi
    model = SoftmaxKDERegressor(centers=8, period=TWO_PI, kernel="vonmises").fit(X, y)
    assert_allclose(model.centers_, TWO_PI * np.arange(8) / 8)
    # Circular spread of a von Mises(kappa=4) is ~0.53 rad; a linear std of
    # these wrapped angles would be ~2.9 rad.
    assert 0.53 * 500**-0.2 * 0.8 < model.bandwidth_ < 0.53 * 500**-0.2 * 1.2


def test_bandwidth_rules():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(1000, 1))
    y = 3.0 * rng.normal(size=1000)
    sigma = y.std()
    scott = SoftmaxKDERegressor(max_iter=5)
    silverman = SoftmaxKDERegressor(bandwidth="silverman", max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert scott.fit(X, y).bandwidth_ == pytest.approx(sigma * 1000**-0.2)
        assert silverman.fit(X, y).bandwidth_ == pytest.approx(sigma * 750**-0.2)
        epa = SoftmaxKDERegressor(kernel="epanechnikov", max_iter=5).fit(X, y)
    # Same standard deviation as the gaussian rule: h / sqrt(5) == sigma n^-1/5.
    assert epa.bandwidth_ == pytest.approx(np.sqrt(5) * sigma * 1000**-0.2)


def test_score_samples_without_y_is_the_peak_log_density():
    X, y, _ = linear_gaussian_data(200, seed=16)
    model = SoftmaxKDERegressor(centers=12).fit(X, y)
    peak = model.score_samples(X[:10])
    mode = model.predict(X[:10])
    assert_allclose(peak, model.score_samples(X[:10], mode), rtol=1e-12)
    assert np.all(peak >= model.score_samples(X[:10], y[:10]))


def test_vonmises_needs_a_period():
    X, y, _ = linear_gaussian_data(30, seed=17)
    with pytest.raises(ValueError, match="vonmises.*set period"):
        SoftmaxKDERegressor(kernel="vonmises").fit(X, y)


def test_compact_kernel_with_a_gap_raises_a_clear_error():
    X, y, _ = linear_gaussian_data(60, seed=18)
    model = SoftmaxKDERegressor(
        centers=np.array([-3.0, 3.0]), bandwidth=0.5, kernel="tophat"
    )
    with pytest.raises(ValueError, match="density is zero inside the targets"):
        model.fit(X, y)


@pytest.mark.parametrize("neighbours", [False, True])
def test_score_samples_without_y_is_the_log_density_at_the_mode(neighbours):
    # Documented meaning of score_samples(X): the best log-likelihood any
    # point target could reach, log p(mode | x); it bounds every point score.
    from skkdece import SoftmaxKDENeighborsRegressor

    X, y, _ = linear_gaussian_data(200, seed=12)
    if neighbours:
        model = SoftmaxKDENeighborsRegressor(n_neighbors=8, max_iter=30).fit(X, y)
    else:
        model = SoftmaxKDERegressor(centers=8).fit(X, y)
    peak = model.score_samples(X[:20])
    dist = model.predict_distribution(X[:20])
    assert_array_equal(peak, dist.logpdf_rows(dist.mode()))
    assert np.all(peak >= model.score_samples(X[:20], y[:20]))
    grid = np.linspace(y.min() - 1, y.max() + 1, 401)
    assert np.all(peak[:, None] >= np.log(model.predict_density(X[:20], grid)) - 1e-9)
