"""skkdece.export: the JSON model document."""

import io
import json

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skkdece import SoftmaxKDERegressor
from skkdece.robocode.export import FORMAT, FORMAT_VERSION, export_model, to_dict


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, 1.0]
    y = np.tanh(X[:, 0]) + 0.1 * rng.normal(size=80)
    return X, y


def test_bare_estimator(data):
    X, y = data
    model = SoftmaxKDERegressor(centers=6).fit(X, y)
    doc = to_dict(model)
    assert doc["format"] == FORMAT and doc["format_version"] == 1 < FORMAT_VERSION
    assert doc["model"] == "softmax_kde" and doc["n_features"] == 3
    assert doc["scaling"] is None and doc["feature_names"] is None
    kde = doc["softmax_kde"]
    assert kde["kernel"] == "gaussian" and kde["period"] is None
    assert kde["window"] is None
    np.testing.assert_array_equal(kde["centers"], model.centers_)
    np.testing.assert_array_equal(kde["coef"], model.coef_)
    np.testing.assert_array_equal(kde["intercept"], model.intercept_)
    assert kde["bandwidth"] == model.bandwidth_


def test_pipeline_with_scaler_round_trips_exactly(data, tmp_path):
    X, y = data
    model = make_pipeline(
        StandardScaler(), SoftmaxKDERegressor(centers=6, period=4.0, kernel="vonmises")
    ).fit(X, y)
    path = tmp_path / "model.json"
    export_model(model, path)
    doc = json.loads(path.read_text())
    np.testing.assert_array_equal(doc["scaling"]["mean"], model[0].mean_)
    np.testing.assert_array_equal(doc["scaling"]["scale"], model[0].scale_)
    kde = doc["softmax_kde"]
    assert kde["period"] == 4.0 and kde["kernel"] == "vonmises"
    np.testing.assert_array_equal(kde["window"], model[-1].window_)
    # The document reproduces the logits bit for bit.
    coef, b = np.array(kde["coef"]), np.array(kde["intercept"])
    xs = (X - doc["scaling"]["mean"]) / doc["scaling"]["scale"]
    np.testing.assert_allclose(
        xs @ coef.T + b,
        model[0].transform(X) @ model[-1].coef_.T + model[-1].intercept_,
    )


def test_feature_names_and_file_object(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = make_pipeline(StandardScaler(), SoftmaxKDERegressor(centers=4)).fit(
        frame, y
    )
    buf = io.StringIO()
    export_model(model, buf)
    assert json.loads(buf.getvalue())["feature_names"] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "estimator",
    [
        LinearRegression(),
        make_pipeline(MinMaxScaler(), SoftmaxKDERegressor(centers=4)),
        make_pipeline(StandardScaler(), LinearRegression()),
    ],
    ids=["other-estimator", "other-scaler", "other-final-step"],
)
def test_unsupported_estimators(data, estimator):
    X, y = data
    estimator.fit(X, y)
    with pytest.raises(TypeError, match="supports a SoftmaxKDERegressor"):
        to_dict(estimator)


def test_unfitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_dict(SoftmaxKDERegressor())
