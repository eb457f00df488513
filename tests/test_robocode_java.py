"""The exported model, read back by the Java class robocode/src/skk/SkkModel.java.

Java must give the same log densities as Python (to 1e-9) and the same best
aims. Python's ``predict_aim`` refines a grid by golden-section search on the
window mass, which locates a smooth maximum only to about sqrt(machine
epsilon) (~1e-8 here), so both are compared with a tight reference: Python's
aim refined by bisection on the sign of the mass's derivative
``p(t + w) - p(t - w)``, computed from ``predict_distribution(X).logpdf_rows``.
Models with location and scale heads (documents of format version 3) are
checked the same way, on random models of every kernel (on a circle with a
location only) and on fitted ones, with the mass of a window as well.
The test is skipped only when java or javac is missing.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from _helpers import HEADS, circular_diff, reference_aim
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skkdece import KERNELS, SoftmaxKDERegressor
from skkdece.datasets import make_guess_factor_waves
from skkdece.robocode.export import FORMAT, export_model, from_dict, to_dict

SRC = Path(__file__).resolve().parent.parent / "robocode" / "src" / "skk"
HALF_WIDTH = 0.15
PERIOD = 4.0

pytestmark = [
    pytest.mark.skipif(
        shutil.which("java") is None or shutil.which("javac") is None,
        reason="java/javac not installed (apt-get install default-jdk-headless)",
    ),
    # Models are fitted briefly: only their parameters matter here.
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("skkmodel-classes")
    files = [
        str(SRC / name)
        for name in ("SkkModel.java", "ErfcTable.java", "SkkModelCli.java")
    ]
    subprocess.run(
        ["javac", "-nowarn", "--release", "8", "-d", str(out), *files], check=True
    )
    return out


@pytest.fixture(scope="module")
def data():
    X, y = make_guess_factor_waves(n_samples=1300, random_state=0)
    return X[:300], y[:300], X[300:]


def run_java(classes, tmp_path, model, Xs, t, repeats=0):
    """Java's aims, log densities at ``t``, masses of ``[t - w, t + w]``, and
    its stderr; ``model`` an estimator or a document."""
    path = tmp_path / "model.json"
    if isinstance(model, dict):
        path.write_text(json.dumps(model))
    else:
        export_model(model, path)
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, np.column_stack([Xs, t]), delimiter=",", fmt="%.17g")
    cmd = ["java", "-cp", str(classes), "skk.SkkModelCli", str(path), str(rows)]
    cmd += [repr(HALF_WIDTH)] + ([str(repeats)] if repeats else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = np.loadtxt(proc.stdout.splitlines(), delimiter=",", ndmin=2)
    return out[:, 0], out[:, 1], out[:, 2], proc.stderr


CASES = [(k, None) for k in KERNELS if k != "vonmises"] + [(k, PERIOD) for k in KERNELS]


@pytest.mark.parametrize("kernel, period", CASES)
def test_java_matches_python(classes, data, tmp_path, kernel, period):
    X, y, X_test = data
    # The whole 1 000 rows for the gaussian kernel; 200 for the others (the
    # Python aim is slow on a circle).
    n_rows = 1000 if kernel == "gaussian" or period is None else 200
    X_test = X_test[:n_rows]
    model = make_pipeline(
        StandardScaler(),
        SoftmaxKDERegressor(kernel=kernel, centers=16, period=period, max_iter=40),
    ).fit(X, y)
    reg = model[-1]
    Xs = model[0].transform(X_test)
    rng = np.random.default_rng(1)
    t = rng.uniform(-1.3, 1.3, size=len(X_test))

    dist = reg.predict_distribution(Xs)
    aim_py = reg.predict_aim(Xs, half_width=HALF_WIDTH)
    ref = reference_aim(dist, aim_py, HALF_WIDTH, period)
    log_py = dist.logpdf_rows(t)
    aim_java, log_java, _, _ = run_java(classes, tmp_path, model, X_test, t)

    finite = np.isfinite(log_py)
    np.testing.assert_array_equal(np.isfinite(log_java), finite)
    assert np.max(np.abs(log_java[finite] - log_py[finite]), initial=0) < 1e-9
    diff = circular_diff(aim_java, ref, period)
    same = diff < 1e-9
    if kernel in ("tophat", "linear"):
        # A piecewise linear window mass can be flat at its maximum (any point
        # of the plateau is a best aim), and golden-section search can stop at
        # a lesser local maximum. Java's aim must reach at least the same mass.
        mass_java = dist.hit_probability(aim_java - HALF_WIDTH, aim_java + HALF_WIDTH)
        mass_ref = dist.hit_probability(ref - HALF_WIDTH, ref + HALF_WIDTH)
        bad = ~same & (mass_java < mass_ref - 1e-12)
        assert not bad.any(), (
            diff[bad],
            aim_java[bad],
            ref[bad],
            (mass_java - mass_ref)[bad],
        )
        assert same.mean() > 0.9
    else:
        assert np.all(same), np.max(diff)
    # Python's own aim is within golden-section accuracy of the reference.
    assert np.max(circular_diff(aim_py, ref, period)) < 1e-6 * max(1, reg.bandwidth_)


def test_java_log_density_matches_score_samples(classes, data, tmp_path):
    X, y, X_test = data
    model = make_pipeline(StandardScaler(), SoftmaxKDERegressor(max_iter=40)).fit(X, y)
    t = np.linspace(-1, 1, len(X_test))
    _, log_java, _, _ = run_java(classes, tmp_path, model, X_test, t)
    expected = model[-1].score_samples(model[0].transform(X_test), t)
    np.testing.assert_allclose(log_java, expected, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ heads


def random_document(kernel, period, heads, seed):
    """A random linear model with ``heads`` (a key of ``HEADS``), as a
    version 3 document; ``"none"``: without heads, version 1.

    Three features after a scaling; 12 centers over [-2, 2] (around the
    circle when periodic), logits and heads large enough that every row's
    mixture, location and scale differ.
    """
    rng = np.random.default_rng(seed)
    on = HEADS.get(heads, {})
    n_features, n_centers = 3, 12
    if period is None:
        centers = np.linspace(-2.0, 2.0, n_centers)
    else:
        centers = -0.5 * period + period * (np.arange(n_centers) + 0.5) / n_centers
    part = {
        "kernel": kernel,
        "bandwidth": 0.35,
        "period": period,
        "window": None if period is None else [-0.5 * period, 0.5 * period],
        "centers": centers.tolist(),
        "coef": rng.normal(size=(n_centers, n_features)).tolist(),
        "intercept": rng.normal(size=n_centers).tolist(),
    }
    if "location" in on:
        part["location"] = {
            "coef": (0.6 * rng.normal(size=n_features)).tolist(),
            "intercept": float(rng.normal()),
        }
    if "scale" in on:
        part["scale"] = {
            "coef": (0.3 * rng.normal(size=n_features)).tolist(),
            "intercept": float(0.2 * rng.normal()),
        }
    return {
        "format": FORMAT,
        "format_version": 3 if on else 1,
        "model": "softmax_kde",
        "n_features": n_features,
        "feature_names": None,
        "scaling": {
            "mean": rng.normal(size=n_features).tolist(),
            "scale": rng.uniform(0.5, 2.0, size=n_features).tolist(),
        },
        "softmax_kde": part,
    }


def assert_same_as_python(model, X, t, java, period):
    """Java's log densities and masses within 1e-9 of Python's, its aims
    within 1e-9 of the refined reference (or, for a piecewise linear mass,
    at least its mass)."""
    aim_java, log_java, mass_java, _ = java
    reg = model[-1]
    Xs = model[0].transform(X)
    dist = reg.predict_distribution(Xs)
    log_py = dist.logpdf_rows(t)
    finite = np.isfinite(log_py)
    np.testing.assert_array_equal(np.isfinite(log_java), finite)
    assert finite.mean() > 0.5
    np.testing.assert_allclose(log_java[finite], log_py[finite], rtol=0, atol=1e-9)
    mass_py = dist.hit_probability(t - HALF_WIDTH, t + HALF_WIDTH)
    np.testing.assert_allclose(mass_java, mass_py, rtol=0, atol=1e-9)

    aim_py = reg.predict_aim(Xs, half_width=HALF_WIDTH)
    ref = reference_aim(dist, aim_py, HALF_WIDTH, period)
    diff = circular_diff(aim_java, ref, period)
    same = diff < 1e-9
    if reg.kernel != "gaussian" and reg.kernel != "vonmises":
        # A flat maximum (any point of the plateau is a best aim), or a
        # golden-section search stopped at a lesser maximum among the kinks
        # of the window mass (Python's aim with one half-width per row, as
        # a scale head gives, places no grid points at the window ends' own
        # kinks): Java's aim must reach at least the reference's mass.
        hit_java = dist.hit_probability(aim_java - HALF_WIDTH, aim_java + HALF_WIDTH)
        hit_ref = dist.hit_probability(ref - HALF_WIDTH, ref + HALF_WIDTH)
        bad = ~same & (hit_java < hit_ref - 1e-12)
        assert not bad.any(), (diff[bad], aim_java[bad], ref[bad])
        if reg.kernel != "tophat":  # whose window mass has wide plateaus
            assert same.mean() > 0.8
    else:
        assert np.all(same), np.max(diff)


RANDOM_CASES = [
    (kernel, None, heads)
    for kernel in KERNELS
    if kernel != "vonmises"
    for heads in HEADS
] + [(kernel, PERIOD, "location") for kernel in KERNELS]
# Without heads: the tophat's aim (its window mass has jumps in slope at
# kinks that rounding puts on either side of them).
RANDOM_CASES += [("tophat", None, "none"), ("tophat", PERIOD, "none")]


@pytest.mark.parametrize("kernel, period, heads", RANDOM_CASES)
def test_java_matches_python_on_random_models(classes, tmp_path, kernel, period, heads):
    document = random_document(kernel, period, heads, seed=len(kernel))
    model = from_dict(document)
    rng = np.random.default_rng(1)
    n_rows = 200 if period is None else 100
    X = rng.normal(size=(n_rows, 3))
    Xs = model[0].transform(X)
    mu = np.zeros(n_rows)
    if model[-1].location_coef_ is not None:
        mu = Xs @ model[-1].location_coef_ + model[-1].location_intercept_
    # Targets around each row's location, so that they meet its mass.
    t = mu + rng.uniform(-2.5, 2.5, size=n_rows)
    java = run_java(classes, tmp_path, document, X, t)
    assert_same_as_python(model, X, t, java, period)


@pytest.mark.parametrize(
    "heads, period, kernel",
    [("both", None, "gaussian"), ("both", None, "exponential")]
    + [("location", PERIOD, "gaussian"), ("location", PERIOD, "vonmises")],
)
def test_java_matches_python_on_fitted_models(
    classes, data, tmp_path, heads, period, kernel
):
    X, y, X_test = data
    model = make_pipeline(
        StandardScaler(),
        SoftmaxKDERegressor(
            kernel=kernel, centers=16, period=period, max_iter=40, **HEADS[heads]
        ),
    ).fit(X, y)
    assert to_dict(model)["format_version"] == 3
    X_test = X_test[:150]
    t = np.random.default_rng(2).uniform(-1.3, 1.3, size=len(X_test))
    java = run_java(classes, tmp_path, model, X_test, t)
    assert_same_as_python(model, X_test, t, java, period)


def test_java_refuses_a_scale_head_with_a_period(classes, tmp_path):
    document = random_document("gaussian", PERIOD, "both", seed=0)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, np.zeros((1, 4)), delimiter=",")
    cmd = ["java", "-cp", str(classes), "skk.SkkModelCli", str(path), str(rows)]
    proc = subprocess.run([*cmd, "0.1"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "scale head with a period" in proc.stderr
