"""Format version 2: the neighbours model as a JSON document, and reading back.

A document must rebuild the exported model's predictions exactly (through
:func:`from_dict`) and let a reader with nothing but the module docstring
recompute the density (the NumPy rebuild below follows it step by step).
"""

import io
import json

import numpy as np
import pytest
from scipy.special import logsumexp, ndtr
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skkdece import SoftmaxKDENeighborsRegressor, SoftmaxKDERegressor
from skkdece.robocode.export import (
    FORMAT_VERSION,
    export_model,
    from_dict,
    load_model,
    to_dict,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, 1.0]
    mid = np.tanh(X[:, 0]) + 0.1 * rng.normal(size=160)
    half = rng.uniform(0.02, 0.1, size=160)
    return X, np.column_stack([mid - half, mid + half]), rng.normal(size=160)


def neighbors(**params):
    base = dict(n_neighbors=6, exclude_adjacent=0, max_iter=20)
    return SoftmaxKDENeighborsRegressor(**{**base, **params})


def final(model):
    return model[-1] if hasattr(model, "steps") else model


def assert_same(a, b, X):
    Xa = a[0].transform(X) if hasattr(a, "steps") else X
    Xb = b[0].transform(X) if hasattr(b, "steps") else X
    da = final(a).predict_distribution(Xa)
    db = final(b).predict_distribution(Xb)
    np.testing.assert_array_equal(da.log_weights, db.log_weights)
    np.testing.assert_array_equal(da.centers, db.centers)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


CASES = {
    "plain": dict(),
    "spline-center": dict(embedding="spline", neighbor_target="center"),
    "circle": dict(kernel="vonmises", period=4.0),
    "fixed-metric": dict(metric=[1.0, 0.0, 0.5]),
}


@pytest.mark.parametrize("params", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("scaled", [False, True], ids=["bare", "pipeline"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_neighbors_round_trip(data, tmp_path, params, scaled, weighted):
    X, y, _ = data
    model = neighbors(**params)
    if scaled:
        model = make_pipeline(StandardScaler(), model)
    kw = {"sample_weight": np.arange(160) % 3} if weighted else {}
    if scaled and weighted:
        kw = {"softmaxkdeneighborsregressor__sample_weight": kw["sample_weight"]}
    model.fit(X, y, **kw)
    path = tmp_path / "model.json"
    export_model(model, path)
    doc = json.loads(path.read_text())
    assert doc["format_version"] == 2 < FORMAT_VERSION
    assert doc["model"] == "softmax_kde_neighbors"
    part = doc["softmax_kde_neighbors"]
    reg = final(model)
    assert part["n_neighbors"] == reg.n_neighbors_
    assert part["sharpness"] == reg.sharpness_
    np.testing.assert_array_equal(part["metric_weights"], reg.metric_weights_)
    assert len(part["memory"]["centers"]) == reg.n_samples_fit_
    assert (part["memory"]["half_widths"] is None) == (reg.half_widths_ is None)
    if scaled:
        np.testing.assert_array_equal(doc["scaling"]["mean"], model[0].mean_)
    else:
        assert doc["scaling"] is None
    again = load_model(path)
    assert hasattr(again, "steps") == scaled
    X_test = X + np.random.default_rng(1).normal(size=X.shape) * [0.3, 3.0, 0.03]
    assert_same(model, again, X_test)


def test_document_rebuilds_the_density_by_hand(data):
    """The module docstring's steps in NumPy give score_samples."""
    X, y, _ = data
    model = neighbors(embedding="spline").fit(
        X, y, sample_weight=1 + np.arange(160) % 2
    )
    doc = json.loads(json.dumps(to_dict(model)))
    # Near each prediction, where differences of ndtr keep their digits.
    t = model.predict(X) + np.random.default_rng(2).normal(scale=0.05, size=160)
    part = doc["softmax_kde_neighbors"]
    center, scale = np.array(part["feature_center"]), np.array(part["feature_scale"])
    outputs = []
    z = np.where(scale > 0, (X - center) / np.where(scale > 0, scale, 1), 0.0)
    for f, knots in enumerate(part["knots"]):
        edges = [-np.inf, *knots, np.inf]
        outputs += [
            np.clip(z[:, f], edges[q], edges[q + 1]) for q in range(len(knots) + 1)
        ]
    E = np.column_stack(outputs)
    v = np.array(part["metric_weights"])
    P = E[:, v > 0] * v[v > 0]
    memory = part["memory"]
    points, weights = np.array(memory["points"]), np.array(memory["weights"])
    c, r = np.array(memory["centers"]), np.array(memory["half_widths"])
    d = np.abs(P[:, None, :] - points[None, :, :]).sum(axis=2)
    k = part["n_neighbors"]
    near = np.argsort(d, axis=1, kind="stable")[:, :k]
    # Clipped spline outputs put rows at equal distances: where the k-th
    # and the next are tied, either is a nearest neighbour; compare the rest.
    ordered = np.sort(d, axis=1)
    untied = ordered[:, k] > ordered[:, k - 1]
    assert untied.mean() > 0.5
    logits = -part["sharpness"] * np.take_along_axis(d, near, 1)
    logits += np.log(weights / weights.max())[near]
    h = part["bandwidth"]
    u = t[:, None] - c[near]
    box = (ndtr((u + r[near]) / h) - ndtr((u - r[near]) / h)) / (2 * r[near])
    with np.errstate(divide="ignore"):  # far neighbours' boxes underflow
        log_box = np.log(box)
    expected = logsumexp(logits + log_box, axis=1) - logsumexp(logits, axis=1)
    np.testing.assert_allclose(
        model.score_samples(X, t)[untied], expected[untied], rtol=0, atol=1e-9
    )


def test_without_memory_a_reader_fills_its_own(data):
    X, y, _ = data
    model = make_pipeline(StandardScaler(), neighbors()).fit(X[:100], y[:100])
    doc = to_dict(model, memory=False)
    assert doc["softmax_kde_neighbors"]["memory"] is None
    gun = from_dict(doc)
    assert gun[-1].n_samples_fit_ == 0
    with pytest.raises(ValueError, match="memory is empty"):
        gun.predict(X[:2])
    Xs = model[0].transform(X[100:])
    gun[-1].partial_fit(Xs, y[100:])
    model[-1].forget().partial_fit(Xs, y[100:])
    assert_same(model, gun, X)


def test_version_1_still_loads(data):
    X, _, t = data
    y = np.tanh(X[:, 0])
    model = make_pipeline(StandardScaler(), SoftmaxKDERegressor(centers=6, max_iter=30))
    model.fit(X, y)
    buf = io.StringIO()
    export_model(model, buf)
    doc = json.loads(buf.getvalue())
    assert doc["format_version"] == 1 and doc["model"] == "softmax_kde"
    again = from_dict(doc)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_array_equal(
        again[-1].score_samples(again[0].transform(X), t),
        model[-1].score_samples(model[0].transform(X), t),
    )
    # A linear model in a version 2 document reads the same.
    assert_same_linear = from_dict({**doc, "format_version": 2})
    np.testing.assert_array_equal(assert_same_linear.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "estimator",
    [
        LinearRegression(),
        make_pipeline(MinMaxScaler(), neighbors()),
        make_pipeline(StandardScaler(), LinearRegression()),
    ],
    ids=["other-estimator", "other-scaler", "other-final-step"],
)
def test_unsupported_estimators_name_the_supported(data, estimator):
    X, y, _ = data
    estimator.fit(X, y.mean(axis=1))
    with pytest.raises(TypeError) as info:
        to_dict(estimator)
    for name in (
        "SoftmaxKDERegressor",
        "SoftmaxKDENeighborsRegressor",
        "StandardScaler",
    ):
        assert name in str(info.value)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"format": "other"}, "Not an skkdece-model document"),
        ({"format_version": 3}, "Unsupported document"),
        ({"format_version": 1}, "Unsupported document"),  # no neighbours in v1
        ({"model": "forest"}, "Unsupported document"),
    ],
)
def test_bad_documents(data, change, match):
    X, y, _ = data
    doc = to_dict(neighbors().fit(X, y))
    with pytest.raises(ValueError, match=match):
        from_dict({**doc, **change})
