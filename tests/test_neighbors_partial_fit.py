"""SoftmaxKDENeighborsRegressor.partial_fit and forget: an online memory.

The reference for every equality is the same model with its metric kept
(``forget()``) and its memory filled by one ``partial_fit`` call holding all
the rows: predictions after ``fit`` and ``partial_fit`` in chunks must equal
its predictions bit for bit.
"""

import copy

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skkdece import SoftmaxKDENeighborsRegressor

PERIOD = 4.0
N_FIT, N_ADD = 150, 1200

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def make_rows(n, *, interval, periodic, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    mid = np.tanh(X[:, 0]) + 0.2 * rng.normal(size=n)
    if periodic:
        mid = np.mod(mid + 1.0, PERIOD) - 2.0
    if not interval:
        return X, mid
    half = rng.uniform(0.01, 0.2, size=n)
    return X, np.column_stack([mid - half, mid + half])


def fitted(*, interval, periodic, **params):
    X, y = make_rows(N_FIT, interval=interval, periodic=periodic, seed=0)
    model = SoftmaxKDENeighborsRegressor(
        n_neighbors=8,
        period=PERIOD if periodic else None,
        kernel="vonmises" if periodic else "gaussian",
        exclude_adjacent=0,
        max_iter=30,
        **params,
    )
    return model.fit(X, y), X, y


def assert_same_predictions(a, b, X):
    """Every prediction of a and b equal bit for bit."""
    da, db = a.predict_distribution(X), b.predict_distribution(X)
    np.testing.assert_array_equal(da.log_weights, db.log_weights)
    np.testing.assert_array_equal(da.centers, db.centers)
    if da.half_widths is None:
        assert db.half_widths is None
    else:
        np.testing.assert_array_equal(da.half_widths, db.half_widths)
    np.testing.assert_array_equal(
        a.predict_aim(X[:20], half_width=0.1), b.predict_aim(X[:20], half_width=0.1)
    )
    t = np.linspace(-1.5, 1.5, X.shape[0])
    np.testing.assert_array_equal(a.score_samples(X, t), b.score_samples(X, t))


@pytest.mark.parametrize("chunk", [1, 7, 1000])
@pytest.mark.parametrize("interval", [False, True], ids=["point", "interval"])
@pytest.mark.parametrize("periodic", [False, True], ids=["line", "circle"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_chunks_equal_one_memory(chunk, interval, periodic, weighted):
    model, X_fit, y_fit = fitted(interval=interval, periodic=periodic)
    X, y = make_rows(N_ADD, interval=interval, periodic=periodic, seed=1)
    # Repeats of training rows and of new rows: they must join their twins.
    X[::50], y[::50] = X_fit[:24], y_fit[:24]
    X[1::97], y[1::97] = X[2::97], y[2::97]
    weight = None
    if weighted:
        weight = np.random.default_rng(2).choice([0.0, 0.5, 1.0, 3.0], size=N_ADD)
    online = copy.deepcopy(model)
    for start in range(0, N_ADD, chunk):
        stop = start + chunk
        w = None if weight is None else weight[start:stop]
        if w is not None and not np.any(w > 0):
            continue  # an all-zero chunk is refused, as by fit
        online.partial_fit(X[start:stop], y[start:stop], sample_weight=w)

    reference = copy.deepcopy(model).forget()
    all_w = None
    if weighted:
        all_w = np.concatenate([np.ones(N_FIT), weight])
    reference.partial_fit(
        np.concatenate([X_fit, X]), np.concatenate([y_fit, y]), sample_weight=all_w
    )
    rows = np.column_stack([np.concatenate([X_fit, X]), np.concatenate([y_fit, y])])
    positive = np.ones(len(rows), bool) if all_w is None else all_w > 0
    n_distinct = len(np.unique(rows[positive], axis=0))
    assert online.n_samples_fit_ == reference.n_samples_fit_ == n_distinct
    assert n_distinct < positive.sum()  # some rows did join their twins
    for name in ("sharpness_", "bandwidth_", "n_neighbors_"):
        assert getattr(online, name) == getattr(model, name)
    np.testing.assert_array_equal(online.metric_weights_, model.metric_weights_)
    np.testing.assert_array_equal(online.feature_weights_, model.feature_weights_)
    np.testing.assert_array_equal(online._memory_weight, reference._memory_weight)
    X_test, _ = make_rows(200, interval=False, periodic=periodic, seed=3)
    assert_same_predictions(online, reference, X_test)


@pytest.mark.parametrize("embedding", [None, "spline"])
@pytest.mark.parametrize("neighbor_target", ["interval", "center"])
def test_forget_then_partial_fit_holds_fits_memory(embedding, neighbor_target):
    model, X, y = fitted(
        interval=True,
        periodic=False,
        embedding=embedding,
        neighbor_target=neighbor_target,
    )
    again = copy.deepcopy(model).forget().partial_fit(X, y)
    X_test, _ = make_rows(100, interval=False, periodic=False, seed=4)
    assert_same_predictions(model, again, X_test)
    assert again.n_samples_fit_ == model.n_samples_fit_ == N_FIT


def test_predictions_are_the_documented_mixture():
    """The memory's mixture by hand: softmax of -s * Manhattan distance."""
    model, X, y = fitted(interval=False, periodic=False)
    X_add, y_add = make_rows(60, interval=False, periodic=False, seed=5)
    model.partial_fit(X_add, y_add, sample_weight=np.full(60, 2.0))
    rows = np.concatenate([X, X_add])
    mass = np.concatenate([np.ones(N_FIT), np.full(60, 2.0)])
    q = np.array([[0.3, -0.2, 1.0]])
    v = model.metric_weights_
    E = lambda A: (A - model.feature_center_) / model.feature_scale_  # noqa: E731
    dist = np.abs(E(rows) - E(q)) @ v
    near = np.argsort(dist)[: model.n_neighbors_]
    logits = -model.sharpness_ * dist[near] + np.log(mass[near] / 2.0)
    expected = logits - np.logaddexp.reduce(logits)
    got = model.predict_distribution(q)
    targets = np.concatenate([y, y_add])[near]
    mine, theirs = np.argsort(got.centers[0]), np.argsort(targets)
    np.testing.assert_array_equal(got.centers[0][mine], targets[theirs])
    np.testing.assert_allclose(
        got.log_weights[0][mine], expected[theirs], rtol=0, atol=1e-12
    )


def test_first_call_fits():
    X, y = make_rows(N_FIT, interval=False, periodic=False, seed=0)
    params = dict(n_neighbors=8, exclude_adjacent=0, max_iter=30)
    by_fit = SoftmaxKDENeighborsRegressor(**params).fit(X, y)
    by_partial = SoftmaxKDENeighborsRegressor(**params).partial_fit(X, y)
    assert by_partial.sharpness_ == by_fit.sharpness_
    np.testing.assert_array_equal(by_partial.metric_weights_, by_fit.metric_weights_)
    assert_same_predictions(by_fit, by_partial, X[:30])
    with pytest.raises(InvalidParameterError, match="n_neighbors"):
        SoftmaxKDENeighborsRegressor(n_neighbors=0).partial_fit(X, y)


def test_validation():
    model, X, y = fitted(interval=False, periodic=False)
    with pytest.raises(ValueError, match="X has 2 features, but"):
        model.partial_fit(X[:, :2], y)
    with pytest.raises(ValueError, match="non-zero"):
        model.partial_fit(X[:3], y[:3], sample_weight=np.zeros(3))
    with pytest.raises(ValueError, match="samples"):
        model.partial_fit(X[:3], y[:4])
    with pytest.raises(ValueError, match="lower"):
        model.partial_fit(X[:2], np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert model.n_samples_fit_ == N_FIT  # nothing added by a refused call


def test_forget_keeps_metric_and_small_memories():
    model, X, y = fitted(interval=True, periodic=True)
    kept = {
        name: copy.deepcopy(getattr(model, name))
        for name in ("sharpness_", "metric_weights_", "bandwidth_", "window_")
    }
    model.forget()
    assert model.n_samples_fit_ == 0 and model.centers_.shape == (0,)
    with pytest.raises(ValueError, match="memory is empty"):
        model.predict(X[:2])
    with pytest.raises(NotFittedError):
        SoftmaxKDENeighborsRegressor().forget()
    model.partial_fit(X[:3], y[:3])
    dist = model.predict_distribution(X[:5])
    # Fewer rows than n_neighbors_: every row in each mixture.
    assert dist.centers.shape == (5, 3)
    np.testing.assert_array_equal(np.sort(dist.centers[0]), np.sort(y[:3].mean(axis=1)))
    for name, value in kept.items():
        np.testing.assert_array_equal(getattr(model, name), value)


def test_rows_kept_apart_by_groups_stay_apart():
    X, y = make_rows(40, interval=False, periodic=False, seed=6)
    X[20], y[20] = X[3], y[3]  # the same row in two groups
    groups = np.repeat([0, 1], 20)
    model = SoftmaxKDENeighborsRegressor(n_neighbors=4, max_iter=10).fit(
        X, y, groups=groups
    )
    assert model.n_samples_fit_ == 40
    model.partial_fit(X[[3, 3]], y[[3, 3]], sample_weight=[1.0, 0.5])
    assert model.n_samples_fit_ == 40
    np.testing.assert_array_equal(model._memory_weight[[3, 20]], [2.5, 1.0])
    assert model._log_mass is not None
