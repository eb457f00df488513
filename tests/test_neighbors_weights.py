"""SoftmaxKDENeighborsRegressor: sample weights, fitted attributes, callback."""

import numpy as np
import pytest
from _helpers import five_point_gradient
from scipy.integrate import trapezoid
from scipy.special import logsumexp, ndtr

from skkdece import SoftmaxKDENeighborsRegressor
from skkdece._neighbors import (
    NeighborEmbedding,
    NeighborLogits,
    start_weights,
    training_neighbors,
    weighted_points,
)
from skkdece._objective import BlockedObjective
from skkdece._tables._factory import training_table


def _data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.sin(2 * X[:, 0]) + 0.3 * rng.normal(size=n)
    return X, y


def _fitted_values(model, X_new):
    dist = model.predict_distribution(X_new)
    return {
        "feature_weights_": model.feature_weights_,
        "metric_weights_": model.metric_weights_,
        "sharpness_": model.sharpness_,
        "objective_": model.objective_,
        "n_iter_": model.n_iter_,
        "bandwidth_": model.bandwidth_,
        "log_weights": dist.log_weights,
        "centers": dist.centers,
    }


def _assert_same(a, b, **tol):
    for name in a:
        if tol:
            np.testing.assert_allclose(a[name], b[name], err_msg=name, **tol)
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


PARAMS = [
    dict(n_neighbors=8),
    dict(n_neighbors=8, embedding="spline", neighbor_target="center"),
]


@pytest.mark.parametrize("params", PARAMS)
def test_unit_and_equal_weights_are_bit_identical_to_no_weights(params):
    X, y = _data()
    X_new = _data(20, seed=1)[0]
    plain = _fitted_values(SoftmaxKDENeighborsRegressor(**params).fit(X, y), X_new)
    ones = SoftmaxKDENeighborsRegressor(**params).fit(
        X, y, sample_weight=np.ones(len(y))
    )
    _assert_same(plain, _fitted_values(ones, X_new))
    # Equal weights are no weights but in the rule-of-thumb bandwidth, which
    # counts them as rows: with a float bandwidth, bit for bit.
    params = {**params, "bandwidth": 0.3}
    plain = _fitted_values(SoftmaxKDENeighborsRegressor(**params).fit(X, y), X_new)
    equal = SoftmaxKDENeighborsRegressor(**params).fit(
        X, y, sample_weight=np.full(len(y), 3.7)
    )
    _assert_same(plain, _fitted_values(equal, X_new))


@pytest.mark.parametrize("params", PARAMS)
def test_a_common_factor_of_the_weights_changes_nothing(params):
    """To rounding: ``log(c w / max(c w))`` may differ from ``log(w / max w)``
    in the last bit, and L-BFGS-B follows such differences only to its
    tolerance."""
    X, y = _data()
    X_new = _data(20, seed=1)[0]
    w = np.random.default_rng(2).uniform(0.2, 3.0, size=len(y))
    scott = SoftmaxKDENeighborsRegressor(**{**params, "bandwidth": "scott"})
    scott.fit(X, y, sample_weight=w)
    # The rule of thumb counts the weights as rows, n ** (-1 / 5).
    params = {**params, "bandwidth": scott.bandwidth_}
    one = SoftmaxKDENeighborsRegressor(**params).fit(X, y, sample_weight=w)
    auto_h = (
        SoftmaxKDENeighborsRegressor(**{**params, "bandwidth": "auto"})
        .fit(X, y, sample_weight=w)
        .bandwidth_
    )
    for factor in (1e-3, 7.0):
        by_rule = SoftmaxKDENeighborsRegressor(**{**params, "bandwidth": "scott"})
        by_rule.fit(X, y, sample_weight=factor * w)
        assert by_rule.bandwidth_ == pytest.approx(
            scott.bandwidth_ * factor ** (-0.2), rel=1e-12
        )
        scaled = SoftmaxKDENeighborsRegressor(**params).fit(
            X, y, sample_weight=factor * w
        )
        assert abs(scaled.objective_ - one.objective_) < 1e-9
        # The leave-one-out bandwidth's bracket counts rows, not weights; the
        # search lands within its tolerance (2% in log h) of the same point:
        # its first round's fit moved to the tolerance of L-BFGS-B.
        auto = SoftmaxKDENeighborsRegressor(**{**params, "bandwidth": "auto"})
        assert auto.fit(X, y, sample_weight=factor * w).bandwidth_ == pytest.approx(
            auto_h, rel=0.04
        )
        np.testing.assert_allclose(
            scaled.predict_distribution(X_new).log_weights,
            one.predict_distribution(X_new).log_weights,
            rtol=1e-4,
            atol=1e-4,
        )
        np.testing.assert_allclose(scaled.centers_, one.centers_)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("rest", ["ones", "uneven"])
def test_zero_weight_rows_are_removed(params, rest):
    """A row of zero weight is no one's neighbour: bit for bit, no row at all."""
    X, y = _data()
    X_new = _data(20, seed=1)[0]
    rng = np.random.default_rng(3)
    w = np.ones(len(y)) if rest == "ones" else rng.uniform(0.5, 2.0, size=len(y))
    w[rng.choice(len(y), size=30, replace=False)] = 0.0
    # The dropped rows would pull the fit away: far off in X, odd targets.
    X[w == 0] += 5.0
    y[w == 0] = 10.0
    kept = w > 0
    weighted = SoftmaxKDENeighborsRegressor(**params).fit(X, y, sample_weight=w)
    removed = SoftmaxKDENeighborsRegressor(**params).fit(
        X[kept], y[kept], sample_weight=w[kept]
    )
    assert weighted.n_samples_fit_ == removed.n_samples_fit_ == np.sum(kept)
    _assert_same(_fitted_values(removed, X_new), _fitted_values(weighted, X_new))
    # No neighbour of a prediction is a dropped row's target.
    assert np.all(weighted.predict_distribution(X + 5.0).centers < 9.0)


def test_integer_weights_are_repetitions_and_twins_are_one_row():
    """Equal rows (features, target, group) are one row weighing their number."""
    X, y = _data()
    X_new = _data(20, seed=1)[0]
    counts = np.random.default_rng(4).integers(0, 4, size=len(y))
    counts[0] = 3
    params = dict(n_neighbors=8)
    weighted = SoftmaxKDENeighborsRegressor(**params).fit(X, y, sample_weight=counts)
    # Repeats appended after the rows keep the first occurrences' order:
    # the same arrays, the same arithmetic.
    kept = np.flatnonzero(counts > 0)
    extra = np.repeat(kept, counts[kept] - 1)
    appended = np.concatenate([kept, extra])
    repeated = SoftmaxKDENeighborsRegressor(**params).fit(X[appended], y[appended])
    assert repeated.n_samples_fit_ == weighted.n_samples_fit_ == kept.size
    _assert_same(_fitted_values(weighted, X_new), _fitted_values(repeated, X_new))
    # Repeats next to each other: the same sums in another order.
    adjacent = np.repeat(np.arange(len(y)), counts)
    shuffled = SoftmaxKDENeighborsRegressor(**params).fit(X[adjacent], y[adjacent])
    assert abs(shuffled.objective_ - weighted.objective_) < 1e-9
    np.testing.assert_allclose(
        shuffled.predict(X_new), weighted.predict(X_new), rtol=1e-6, atol=1e-6
    )


def test_twins_in_different_groups_stay_two_rows():
    X, y = _data(60)
    X2, y2 = np.vstack([X, X[:5]]), np.concatenate([y, y[:5]])
    groups = np.arange(65) // 5
    model = SoftmaxKDENeighborsRegressor(n_neighbors=5, n_rounds=1).fit(
        X2, y2, groups=groups
    )
    assert model.n_samples_fit_ == 65
    same_group = np.concatenate([groups[:60], groups[:5]])
    model = SoftmaxKDENeighborsRegressor(n_neighbors=5, n_rounds=1).fit(
        X2, y2, groups=same_group
    )
    assert model.n_samples_fit_ == 60


def test_a_neighbour_weighs_its_weight_in_the_predicted_mixture():
    X, y = _data()
    w = np.random.default_rng(5).uniform(0.5, 4.0, size=len(y))
    model = SoftmaxKDENeighborsRegressor(n_neighbors=6, metric="fixed").fit(
        X, y, sample_weight=w
    )
    X_new = _data(10, seed=6)[0]
    points = (X_new - model.feature_center_) / model.feature_scale_
    train = (X - model.feature_center_) / model.feature_scale_
    d = np.abs(points[:, None, :] - train[None]) @ model.metric_weights_
    index = np.argsort(d, axis=1)[:, :6]
    logits = -model.sharpness_ * np.take_along_axis(d, index, 1) + np.log(w[index])
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    dist = model.predict_distribution(X_new)
    got = np.exp(dist.log_weights)
    # Same neighbours (in any order), same mixture weights.
    order = np.argsort(dist.centers, axis=1)
    ref_centers = y[index]
    ref_order = np.argsort(ref_centers, axis=1)
    np.testing.assert_allclose(
        np.take_along_axis(dist.centers, order, 1),
        np.take_along_axis(ref_centers, ref_order, 1),
    )
    np.testing.assert_allclose(
        np.take_along_axis(got, order, 1),
        np.take_along_axis(expected, ref_order, 1),
        rtol=1e-10,
    )


def test_weighted_medians_are_those_of_repeated_rows():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(41, 3))
    counts = rng.integers(1, 5, size=41)
    emb = NeighborEmbedding.from_data(X, sample_weight=counts.astype(float))
    ref = NeighborEmbedding.from_data(np.repeat(X, counts, axis=0))
    np.testing.assert_array_equal(emb.center, ref.center)
    np.testing.assert_allclose(emb.scale, ref.scale, rtol=1e-14)


def _weighted_objective(X, y, w, k=6):
    emb = NeighborEmbedding.from_data(X, n_pieces=4, sample_weight=w)
    E = emb.transform(X)
    start = start_weights(emb)
    nbrs = training_neighbors(weighted_points(E, start), k)
    table = training_table(
        y - 0.2,
        y + 0.3,
        y[nbrs],
        kernel="gaussian",
        bandwidth=0.4,
        half_widths=np.full(nbrs.shape, 0.25),
    )
    model = NeighborLogits(E.shape[1], start, alpha=0.01)
    log_mass = np.log(w / w.max())
    data = (E, nbrs, log_mass)
    return BlockedObjective(table, model, data, w / w.sum()), model.n_params


def test_weighted_loss_gradient_matches_finite_differences(pair_path):
    rng = np.random.default_rng(8)
    X, y = _data(80, seed=8)
    w = rng.uniform(0.1, 3.0, size=80)
    objective, d = _weighted_objective(X, y, w)
    params = rng.uniform(0.2, 1.5, size=d)
    with objective.running():
        value, grad = objective.loss_gradient(params)
        numeric = five_point_gradient(
            lambda p: objective.loss_gradient(p)[0], params, step=1e-6
        )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    assert np.isfinite(value)


def test_weighted_loss_is_the_weighted_mean_of_the_rows_losses(pair_path):
    """Against the unweighted objective of each row alone, with repeated rows."""
    rng = np.random.default_rng(9)
    X, y = _data(50, seed=9)
    w = rng.integers(1, 4, size=50).astype(float)
    objective, d = _weighted_objective(X, y, w)
    params = NeighborLogits.pack(2.0, np.full(d - 1, 1.0 / (d - 1)))
    with objective.running():
        value = objective.loss_gradient(params)[0]
    # The same rows with unit weights and each neighbour repeated counts[j]
    # times in its row's mixture: log m_j added to its logits by hand.
    emb = NeighborEmbedding.from_data(X, n_pieces=4, sample_weight=w)
    E = emb.transform(X)
    nbrs = training_neighbors(weighted_points(E, start_weights(emb)), 6)
    s, v = NeighborLogits.unpack(params)
    logits = -s * np.abs(E[nbrs] - E[:, None, :]) @ v + np.log(w)[nbrs]
    h = 0.4
    lo, hi = y - 0.2, y + 0.3
    t = np.linspace(0, 1, 2001)
    losses = []
    for i in range(50):
        ts = lo[i] + (hi[i] - lo[i]) * t
        c = y[nbrs[i]]
        a = (ts[:, None] - c + 0.25) / h
        b = (ts[:, None] - c - 0.25) / h
        log_atom = np.log((ndtr(a) - ndtr(b)) / 0.5)
        log_p = logsumexp(logits[i] + log_atom, axis=1) - logsumexp(logits[i])
        losses.append(-trapezoid(log_p, ts) / (hi[i] - lo[i]))
    expected = np.dot(w, losses) / w.sum()
    penalty = NeighborLogits(d - 1, start_weights(emb), 0.01).penalty(params)[0]
    assert value - penalty == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (-np.ones(30), "Negative values in data passed to `sample_weight`"),
        (np.r_[np.nan, np.ones(29)], "NaN"),
        (np.r_[np.inf, np.ones(29)], "infinity"),
        (np.ones(29), r"sample_weight.shape == \(29,\), expected \(30,\)"),
        (np.ones((30, 2)), "1D array"),
        (np.zeros(30), "Sample weights must contain at least one non-zero number"),
        (np.full(30, 1e308), "rescale the weights"),
    ],
)
def test_bad_weights_are_named(sample_weight, match):
    X, y = _data(30)
    with pytest.raises(ValueError, match=match):
        SoftmaxKDENeighborsRegressor(n_neighbors=3).fit(
            X, y, sample_weight=sample_weight
        )


def test_too_few_weighted_rows_are_named():
    X, y = _data(30)
    w = np.zeros(30)
    w[3] = 1.0
    with pytest.raises(ValueError, match="n_samples=1"):
        SoftmaxKDENeighborsRegressor(n_neighbors=3).fit(X, y, sample_weight=w)


def test_weights_are_not_overwritten_and_may_be_a_list():
    X, y = _data(40)
    w = np.arange(40, dtype=float) % 3
    copy = w.copy()
    a = SoftmaxKDENeighborsRegressor(n_neighbors=4, n_rounds=1).fit(X, y, w)
    np.testing.assert_array_equal(w, copy)
    b = SoftmaxKDENeighborsRegressor(n_neighbors=4, n_rounds=1).fit(
        X, y, sample_weight=list(w)
    )
    np.testing.assert_array_equal(a.feature_weights_, b.feature_weights_)


def test_fitted_embedding_is_plain_arrays_and_embedding_is_deprecated():
    X, y = _data()
    model = SoftmaxKDENeighborsRegressor(n_neighbors=6, embedding="spline").fit(X, y)
    np.testing.assert_array_equal(model.feature_center_, np.median(X, axis=0))
    np.testing.assert_allclose(
        model.feature_scale_, np.mean(np.abs(X - np.median(X, axis=0)), axis=0)
    )
    assert isinstance(model.knots_, list) and len(model.knots_) == 3
    for f, knots in enumerate(model.knots_):
        z = (X[:, f] - model.feature_center_[f]) / model.feature_scale_[f]
        np.testing.assert_allclose(knots, np.quantile(z, [0.25, 0.5, 0.75]))
    with pytest.warns(FutureWarning, match="embedding_ is deprecated"):
        embedding = model.embedding_
    np.testing.assert_array_equal(embedding.center, model.feature_center_)


def test_callback_gets_the_fitted_attributes_and_counts_over_rounds(capsys):
    X, y = _data(120, seed=8)
    calls = []

    def record(params, n_iter):
        calls.append((params, n_iter))
        # Copies: the fit may not change what the callback kept.
        params["metric_weights_"][:] = -1.0

    model = SoftmaxKDENeighborsRegressor(
        n_neighbors=5, n_rounds=2, verbose=1, callback=record
    ).fit(X, y)
    assert len(calls) == model.n_iter_ > 0
    assert [n for _, n in calls] == list(range(1, model.n_iter_ + 1))
    last = calls[-1][0]
    assert set(last) == {"feature_weights_", "metric_weights_", "sharpness_"}
    np.testing.assert_allclose(last["feature_weights_"], model.feature_weights_)
    assert last["sharpness_"] == pytest.approx(model.sharpness_)
    assert np.all(model.metric_weights_ >= 0)
    assert "SoftmaxKDENeighborsRegressor" in capsys.readouterr().out
    model.set_params(warm_start=True, verbose=0, callback=None)
    again = model.fit(X, y).n_iter_
    assert again < len(calls)
