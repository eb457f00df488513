"""Export of a SoftmaxKDERegressor with location and scale heads (format 3).

The document of a model with heads is version 1's plus ``"location"`` and
``"scale"`` (see :mod:`skkdece.robocode.export`); ``from_dict`` rebuilds the
heads.  The Java reader's parity with these documents is tested in
``test_robocode_java.py``.
"""

import io
import json

import numpy as np
import pytest
from _helpers import HEADS
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import SoftmaxKDERegressor
from skkdece.robocode.export import FORMAT, export_model, from_dict, load_model, to_dict

HALF_WIDTH = 0.15
PERIOD = 4.0

# Models are fitted briefly: only their parameters matter here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, 1.0]
    noise = np.exp(0.4 * (X[:, 1] - 5.0) / 10.0) * rng.normal(size=300)
    y = 0.8 * X[:, 0] + 0.3 * noise
    return X, y


def fitted(X, y, heads, period=None, kernel="gaussian", scaler=True):
    model = SoftmaxKDERegressor(
        centers=10, kernel=kernel, period=period, max_iter=30, **HEADS[heads]
    )
    if period is not None:
        y = np.mod(y + 0.5 * period, period) - 0.5 * period
    if scaler:
        model = make_pipeline(StandardScaler(), model)
    return model.fit(X, y), y


# ------------------------------------------------------------------ Python


@pytest.mark.parametrize("heads", list(HEADS))
@pytest.mark.parametrize("scaler", [True, False], ids=["scaler", "bare"])
def test_heads_round_trip_exactly(data, heads, scaler):
    X, y = data
    model, y = fitted(X, y, heads, scaler=scaler)
    reg = model[-1] if scaler else model
    doc = json.loads(json.dumps(to_dict(model)))
    assert doc["format"] == FORMAT and doc["format_version"] == 3
    kde = doc["softmax_kde"]
    for name in ("location", "scale"):
        coef = getattr(reg, f"{name}_coef_")
        if coef is None:
            assert name not in kde
        else:
            np.testing.assert_array_equal(kde[name]["coef"], coef)
            assert kde[name]["intercept"] == getattr(reg, f"{name}_intercept_")
    again = from_dict(doc)
    back = again[-1] if scaler else again
    # The document holds the heads the fit used, as settings and attributes.
    assert (back.location, back.scale) == (reg.location_, reg.scale_)
    assert (back.location_, back.scale_) == (reg.location_, reg.scale_)
    for name in ("location_coef_", "scale_coef_"):
        if getattr(reg, name) is None:
            assert getattr(back, name) is None
        else:
            np.testing.assert_array_equal(getattr(back, name), getattr(reg, name))
    t = np.linspace(-3.0, 3.0, X.shape[0])
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    Xs = model[0].transform(X) if scaler else X
    np.testing.assert_array_equal(back.score_samples(Xs, t), reg.score_samples(Xs, t))
    np.testing.assert_array_equal(
        back.predict_aim(Xs[:20], half_width=HALF_WIDTH),
        reg.predict_aim(Xs[:20], half_width=HALF_WIDTH),
    )


def test_circular_location_round_trips_through_a_file(data):
    X, y = data
    model, _ = fitted(X, y, "location", period=PERIOD, kernel="vonmises")
    buf = io.StringIO()
    export_model(model, buf)
    doc = json.loads(buf.getvalue())
    assert doc["format_version"] == 3 and "scale" not in doc["softmax_kde"]
    assert doc["softmax_kde"]["period"] == PERIOD
    buf.seek(0)
    again = load_model(buf)
    t = np.linspace(-2.0, 2.0, X.shape[0])
    np.testing.assert_array_equal(
        again[-1].score_samples(again[0].transform(X), t),
        model[-1].score_samples(model[0].transform(X), t),
    )
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


def test_model_without_heads_is_version_1_as_before(data):
    X, y = data
    model = make_pipeline(StandardScaler(), SoftmaxKDERegressor(centers=6)).fit(X, y)
    doc = to_dict(model)
    assert doc["format_version"] == 1
    assert list(doc["softmax_kde"]) == [
        "kernel",
        "bandwidth",
        "period",
        "window",
        "centers",
        "coef",
        "intercept",
    ]
    again = from_dict(doc)[-1]
    assert again.location is None and again.scale is None
    assert again.location_coef_ is None and again.scale_coef_ is None


def _heads_document(data, heads="both"):
    X, y = data
    model, _ = fitted(X, y, heads, scaler=False)
    return to_dict(model)


def test_scale_head_with_a_period_is_an_error(data):
    doc = _heads_document(data)
    doc["softmax_kde"]["period"] = PERIOD
    with pytest.raises(ValueError, match="scale head and a period"):
        from_dict(doc)


@pytest.mark.parametrize("name", ["location", "scale"])
def test_head_of_the_wrong_length_is_an_error(data, name):
    doc = _heads_document(data)
    doc["softmax_kde"][name]["coef"].append(1.0)
    with pytest.raises(ValueError, match=f"{name} head has 4 coefficients"):
        from_dict(doc)


def test_null_head_is_off(data):
    doc = _heads_document(data, "location")
    doc["softmax_kde"]["scale"] = None
    again = from_dict(doc)
    assert again.scale is None and again.scale_coef_ is None
    assert again.location == "linear"


def test_version_3_of_the_neighbours_model_is_unsupported(data):
    doc = _heads_document(data)
    doc["model"] = "softmax_kde_neighbors"
    doc["softmax_kde_neighbors"] = doc.pop("softmax_kde")
    with pytest.raises(ValueError, match="Unsupported document"):
        from_dict(doc)
