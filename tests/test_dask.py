"""Dask: fits on a real two-process LocalCluster equal in-memory fits.

One cluster (two worker processes, one thread each) serves every test of the
file.  Fits use alpha=1e-2 and well-placed kernels so that L-BFGS-B takes
the same path on both sides: the partial sums differ from the in-memory ones
only in rounding, and the coefficients agree to 3e-11 or better, far inside
the 1e-8 the tests ask.
"""

import os
import signal
import subprocess
import sys
import threading
import warnings

import dask
import dask.array as da
import dask.dataframe as dd
import joblib
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV, KFold

from skkdece import SoftmaxKDERegressor, SoftmaxKDERegressorCV
from skkdece.dask import DaskSoftmaxKDERegressor

# Unequal partitions, among them a single row and an empty one.
ROW_CHUNKS = (250, 1, 0, 149, 200)
LINE_KERNELS = {"centers": np.linspace(-2.5, 2.5, 6), "bandwidth": 0.8}


@pytest.fixture(scope="session")
def cluster_client():
    with warnings.catch_warnings():
        # Starting processes from a threaded pytest may warn about fork().
        warnings.simplefilter("ignore", DeprecationWarning)
        cluster = LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
        )
    client = Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def client(cluster_client):
    cluster_client.wait_for_workers(2, timeout=60)
    with cluster_client.as_current():
        yield cluster_client


def make_data(kind, n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t = X[:, 0] + 0.5 * rng.normal(size=n)
    if kind == "periodic":
        t = np.mod(60.0 * t, 360.0)
    elif kind == "interval":
        t = np.c_[t - 0.2, t + rng.uniform(0.0, 0.5, n)]
    weights = rng.uniform(0.0, 3.0, n)
    weights[::7] = 0.0
    return X, t, weights


def as_dask(X, y, w=None, chunks=ROW_CHUNKS):
    dX = da.from_array(X, chunks=(chunks, X.shape[1]))
    # Other chunks than X's: the fit aligns them.
    dy = da.from_array(y, chunks=(100,) + y.shape[1:])
    dw = None if w is None else da.from_array(w, chunks=300)
    return dX, dy, dw


CASES = {
    "point targets, weights": ("line", dict(LINE_KERNELS), True),
    "bandwidth rule, int centers": (
        "line",
        dict(centers=6, bandwidth="silverman", alpha=0.1),
        True,
    ),
    "intervals": ("interval", dict(LINE_KERNELS), False),
    "two bandwidths, quantile centers": (
        "interval",
        dict(centers=6, bandwidth=[0.3, 1.2], placement="quantile"),
        True,
    ),
    "periodic": (
        "periodic",
        dict(centers=8, kernel="vonmises", period=360.0, target_width=5.0),
        True,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_coefficients_equal_an_in_memory_fit(client, case):
    kind, params, weighted = CASES[case]
    params = {"alpha": 1e-2, **params}
    X, y, w = make_data(kind)
    w = w if weighted else None
    ref = SoftmaxKDERegressor(**params).fit(X, y, w)
    model = DaskSoftmaxKDERegressor(**params).fit(*as_dask(X, y, w))
    assert_allclose(model.coef_, ref.coef_, rtol=0, atol=1e-8)
    # The intercepts are defined up to a constant (the softmax ignores it);
    # those of the edge kernels, with almost no mass, are large and flat.
    assert_allclose(
        model.intercept_ - model.intercept_.mean(),
        ref.intercept_ - ref.intercept_.mean(),
        rtol=1e-8,
        atol=1e-8,
    )
    # The geometry comes from partition reductions: the same to rounding.
    assert_allclose(model.centers_, ref.centers_, rtol=1e-14, atol=1e-12)
    assert model.bandwidth_ == pytest.approx(ref.bandwidth_, rel=1e-14)
    assert model.window_ == ref.window_
    assert model.n_iter_ == ref.n_iter_
    assert model.objective_ == pytest.approx(ref.objective_, rel=1e-12)
    assert model.n_features_in_ == 3


def test_result_does_not_depend_on_the_scheduler(client):
    """The partials are added in partition order: bit-identical on one thread."""
    X, y, w = make_data("line", seed=1)
    params = dict(alpha=1e-2, **LINE_KERNELS)
    on_cluster = DaskSoftmaxKDERegressor(**params).fit(*as_dask(X, y, w))
    with dask.config.set(scheduler="synchronous"):
        local = DaskSoftmaxKDERegressor(**params).fit(*as_dask(X, y, w))
    assert_array_equal(on_cluster.coef_, local.coef_)
    assert_array_equal(on_cluster.intercept_, local.intercept_)
    assert on_cluster.objective_ == local.objective_


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = make_data("periodic", n=300, seed=2)
    model = DaskSoftmaxKDERegressor(
        centers=8, kernel="vonmises", period=360.0, alpha=1e-2
    ).fit(X, y)
    return model, X, y


PREDICTIONS = [
    ("predict", ()),
    ("predict_density", ([10.0, 200.0, 300.0],)),
    ("predict_cdf", ([10.0, 200.0],)),
    ("predict_quantiles", ([0.1, 0.5, 0.9],)),
    ("predict_interval", (0.8,)),
    ("predict_weights", ()),
    ("predict_mean", ()),
    ("predict_std", ()),
    ("predict_aim", (15.0,)),
    ("predict_hit_probability", (0.0, 90.0)),
]


def test_predictions_are_lazy_dask_arrays_equal_to_in_memory_ones(client, fitted):
    model, X, y = fitted
    dX = da.from_array(X, chunks=((120, 1, 0, 179), 3))
    for method, args in PREDICTIONS:
        lazy = getattr(model, method)(dX, *args)
        assert isinstance(lazy, da.Array), method
        expected = getattr(model, method)(X, *args)
        assert lazy.shape == expected.shape, method
        assert_allclose(lazy.compute(), expected, rtol=1e-12, atol=1e-12)
    # Per-row arguments come as Dask or NumPy arrays, in any chunks.
    lower = da.from_array(y - 20.0, chunks=50)
    assert_allclose(
        model.predict_hit_probability(dX, lower, y + 20.0).compute(),
        model.predict_hit_probability(X, y - 20.0, y + 20.0),
        rtol=1e-12,
    )
    half_width = np.linspace(0.0, 30.0, X.shape[0])
    assert_allclose(
        model.predict_aim(dX, da.from_array(half_width, chunks=70)).compute(),
        model.predict_aim(X, half_width),
        rtol=1e-12,
    )
    dy = da.from_array(y, chunks=64)
    assert_allclose(
        model.score_samples(dX, dy).compute(), model.score_samples(X, y), rtol=1e-12
    )
    assert_allclose(
        model.score_samples(dX).compute(), model.score_samples(X), rtol=1e-12
    )
    w = np.arange(X.shape[0], dtype=float)
    score = model.score(dX, dy, da.from_array(w, chunks=100))
    assert isinstance(score, da.Array) and score.shape == ()
    assert float(score.compute()) == pytest.approx(model.score(X, y, w), rel=1e-12)
    assert float(model.score(dX, dy).compute()) == pytest.approx(
        model.score(X, y), rel=1e-12
    )


def test_sample_is_reproducible_and_per_block(client, fitted):
    model, X, _ = fitted
    dX = da.from_array(X, chunks=((120, 1, 0, 179), 3))
    draws = model.sample(dX, n_draws=4, random_state=3)
    assert isinstance(draws, da.Array) and draws.shape == (X.shape[0], 4)
    values = draws.compute()
    assert_array_equal(values, model.sample(dX, n_draws=4, random_state=3).compute())
    assert np.all((values >= model.window_[0]) & (values < model.window_[1]))
    # The first block draws as the in-memory model does from its seed.
    seed = np.random.RandomState(3).randint(2**31 - 1, size=4)[0]
    assert_array_equal(values[:120], model.sample(X[:120], 4, random_state=seed))


def test_dask_dataframes_keep_feature_names(client):
    X, y, w = make_data("line", n=300, seed=4)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    dframe = dd.from_pandas(frame, npartitions=3)
    dy = dd.from_pandas(pd.Series(y), npartitions=3)
    params = dict(alpha=1e-2, **LINE_KERNELS)
    model = DaskSoftmaxKDERegressor(**params).fit(dframe, dy)
    ref = SoftmaxKDERegressor(**params).fit(frame, y)
    assert_array_equal(model.feature_names_in_, ["a", "b", "c"])
    assert_allclose(model.coef_, ref.coef_, rtol=0, atol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_allclose(
            model.predict_mean(dframe).compute(),
            model.predict_mean(frame),
            rtol=1e-12,
        )
    with pytest.raises(ValueError, match="feature names"):
        model.predict(dframe.rename(columns={"a": "z"}))


def test_bad_inputs_get_clear_errors(client):
    X, y, w = make_data("line", n=100)
    dX, dy, dw = as_dask(X, y, w, chunks=(50, 50))
    model = DaskSoftmaxKDERegressor(alpha=1e-2, **LINE_KERNELS)
    with pytest.raises(ValueError, match="finite and non-negative; rows \\[3\\]"):
        model.fit(dX, dy, da.from_array(np.r_[w[:53], -1.0, w[54:]], chunks=50))
    with pytest.raises(ValueError, match="sums to zero"):
        model.fit(dX, dy, da.zeros(100, chunks=50))
    bad = X.copy()
    bad[70, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(da.from_array(bad, chunks=(50, 3)), dy)
    intervals = np.c_[y, y + 1.0]
    intervals[60] = [1.0, 0.0]
    with pytest.raises(ValueError, match=r"rows 50 to 99.*rows \[10\] have lower > up"):
        model.fit(dX, da.from_array(intervals, chunks=(50, 2)))
    with pytest.raises(ValueError, match="must have 100 rows"):
        model.fit(dX, da.from_array(y[:90], chunks=50))
    with pytest.raises(ValueError, match="set period"):
        DaskSoftmaxKDERegressor(kernel="vonmises").fit(dX, dy)
    # A compact kernel that misses a target names its global row.
    far = y.copy()
    far[77] = 50.0
    with pytest.raises(ValueError, match=r"rows \[77\]"):
        DaskSoftmaxKDERegressor(
            kernel="tophat", centers=np.linspace(-3, 3, 7), bandwidth=1.0
        ).fit(dX, da.from_array(far, chunks=50))
    model.fit(dX, dy)
    with pytest.raises(TypeError, match="predict_\\* methods"):
        model.predict_distribution(dX)
    with pytest.raises(ValueError, match="expecting 3 features"):
        model.predict(dX[:, :2])


def test_a_worker_killed_mid_fit_gives_the_same_result(client):
    """The lost partitions are rebuilt from the graph; nothing hangs."""
    X, y, w = make_data("line", n=1200, seed=5)
    params = dict(alpha=1e-2, **LINE_KERNELS)
    inputs = as_dask(X, y, w, chunks=(150,) * 8)
    expected = DaskSoftmaxKDERegressor(**params).fit(*inputs)
    pids = client.run(os.getpid)
    killed = []

    def kill_one_worker(params, n_iter):
        if n_iter == 3:
            pid = pids[sorted(pids)[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    outcome = {}

    def fit():
        try:
            with client.as_current():
                outcome["model"] = DaskSoftmaxKDERegressor(
                    callback=kill_one_worker, **params
                ).fit(*inputs)
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=fit, daemon=True)
    thread.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "the fit hung after a worker was killed"
    assert killed and "error" not in outcome, outcome.get("error")
    assert_array_equal(outcome["model"].coef_, expected.coef_)
    assert outcome["model"].n_iter_ == expected.n_iter_


def test_grid_search_and_cv_folds_run_through_joblibs_dask_backend(client):
    X, y, _ = make_data("line", n=120, seed=6)
    search = GridSearchCV(
        SoftmaxKDERegressor(centers=6, alpha=1e-2),
        {"bandwidth": [0.4, 0.8]},
        cv=KFold(3),
    )
    serial = search.fit(X, y).cv_results_["mean_test_score"]
    with joblib.parallel_backend("dask"):
        on_dask = search.fit(X, y).cv_results_["mean_test_score"]
    assert_allclose(on_dask, serial, rtol=1e-12)

    cv = SoftmaxKDERegressorCV(alphas=2, bandwidths=2, cv=2, n_jobs=2)
    ref = cv.fit(X, y)
    ref_coef, ref_scores = ref.coef_.copy(), ref.scores_.copy()
    with joblib.parallel_backend("dask"):
        cv.fit(X, y)
    assert_allclose(cv.scores_, ref_scores, rtol=1e-12)
    assert_allclose(cv.coef_, ref_coef, rtol=0, atol=1e-12)


def test_numpy_input_is_the_in_memory_estimator():
    X, y, w = make_data("line", n=200, seed=7)
    params = dict(alpha=1e-2, **LINE_KERNELS)
    model = DaskSoftmaxKDERegressor(**params).fit(X, y, w)
    ref = SoftmaxKDERegressor(**params).fit(X, y, w)
    assert_array_equal(model.coef_, ref.coef_)
    assert isinstance(model.predict(X), np.ndarray)
    assert isinstance(model, SoftmaxKDERegressor)


def test_skkdece_does_not_import_dask_and_says_what_to_install():
    script = """
import sys
import skkdece
assert not any(m == "dask" or m.startswith("dask.") for m in sys.modules), "dask"
sys.modules["dask"] = None  # as if it were not installed
try:
    import skkdece.dask
except ImportError as exc:
    print(exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'skkdece[dask]'" in out
