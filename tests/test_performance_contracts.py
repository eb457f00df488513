"""Contracts behind the benchmarks: chunking, float32 and sparse X, bounded memory.

No timings are asserted here (they live in benchmarks/); these tests check that
the fast paths compute exactly what the plain computation does, and that the
memory they use is bounded as promised.
"""

import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from _helpers import linear_objective, make_table, reference_loss_grad
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skkdece import SoftmaxKDERegressor, _objective
from skkdece._tables._kernel_table import KernelTable, cross_entropy_from_table
from skkdece._tables._quadrature import quadrature_nodes

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "run_benchmarks.py"


def mixed_targets(n, centers, h, seed, period=None):
    """Points, narrow and wide intervals: many different node counts."""
    rng = np.random.default_rng(seed)
    lo, hi = (centers.min(), centers.max()) if period is None else (0.0, period)
    lower = rng.uniform(lo + 0.5 * h, hi - 3.0 * h, n)
    width = rng.choice([0.0, 0.1, 0.5, 1.0, 2.5], size=n) * h
    return lower, lower + width


# ---------------------------------------------------------------------------
# Quadrature and chunking.
# ---------------------------------------------------------------------------


def test_intervals_of_one_width_get_the_same_nodes_wherever_they_lie():
    """Rounding in upper - lower must not add a panel to some rows."""
    y = np.random.default_rng(0).normal(0, 30, 5000)
    centers = np.linspace(-100, 100, 16)
    h = 0.37
    # One panel of ten nodes per bandwidth; exactly 1 or 2 bandwidths wide
    # must not become 2 or 3 panels through rounding.
    for half_width, nodes in [(h / 2, 10), (h, 20)]:
        quad = quadrature_nodes(
            y - half_width, y + half_width, centers, kernel="gaussian", bandwidth=h
        )
        assert quad.nodes_per_row == nodes


@pytest.mark.parametrize(
    "kernel, period",
    [
        ("gaussian", None),
        ("epanechnikov", None),
        ("exponential", 2 * np.pi),
        ("vonmises", 2 * np.pi),
    ],
)
def test_small_working_memory_gives_the_same_loss_and_gradient(kernel, period):
    """Many blocks, recomputed kernel values and sorted rows change nothing."""
    rng = np.random.default_rng(1)
    M, d, n = 8, 3, 6000
    if period is None:
        centers = np.linspace(-3, 3, M)
    else:
        centers = period * np.arange(M) / M
    h = 1.3 * (centers[1] - centers[0])
    lower, upper = mixed_targets(n, centers, h, seed=2, period=period)
    X = rng.normal(size=(n, d))
    sw = rng.uniform(0.5, 2.0, n)
    sw /= sw.sum()

    whole = make_table(lower, upper, centers, kernel, h, period)
    with config_context(working_memory=1):
        chunked = make_table(lower, upper, centers, kernel, h, period)
    assert whole._n_kept_blocks == whole.n_blocks  # all kept
    # The whole table has about one block per node count; the chunked one
    # many more.
    assert whole.n_blocks <= np.unique(np.diff(whole.quad.row_ptr)).size + 2
    assert chunked.n_blocks > 4 * whole.n_blocks
    assert 0 < chunked._n_kept_blocks < chunked.n_blocks  # some recomputed

    params = rng.normal(0, 0.3, M * (d + 1))
    expected = linear_objective(whole, X, sw, 0.1).loss_gradient(params)
    with config_context(working_memory=1):
        got = linear_objective(chunked, X, sw, 0.1).loss_gradient(params)
    assert got[0] == pytest.approx(expected[0], rel=1e-13)
    assert_allclose(got[1], expected[1], rtol=1e-11, atol=1e-15)

    # The per-row functions agree too, with each other and with a reference.
    logits = rng.normal(0, 2, (n, M))
    loss, grad = cross_entropy_from_table(logits, chunked)
    loss_whole, grad_whole = cross_entropy_from_table(logits, whole)
    assert_allclose(loss, loss_whole, rtol=1e-13)
    assert_allclose(grad, grad_whole, atol=1e-14)
    ref_loss, ref_grad = reference_loss_grad(logits[:300], whole)
    assert_allclose(loss[:300], ref_loss, rtol=1e-12)
    assert_allclose(grad[:300], ref_grad, atol=1e-12)


@pytest.mark.parametrize("X_kind", ["float64", "float32", "csr"])
def test_threads_give_the_same_result_bit_for_bit(X_kind):
    """Blocks are summed in fixed groups, and copied rows of X in pieces of a
    fixed size (here smaller than a block): the thread count changes nothing."""
    rng = np.random.default_rng(11)
    M, d, n = 8, 40, 6000
    centers = np.linspace(-3, 3, M)
    lower, upper = mixed_targets(n, centers, 0.8, seed=12)
    X = rng.normal(size=(n, d))
    if X_kind == "float32":
        X = X.astype(np.float32)
    elif X_kind == "csr":
        X[np.abs(X) < 0.7] = 0.0
        X = sparse.csr_matrix(X)
    sw = rng.uniform(0.5, 2.0, n)
    sw /= sw.sum()
    with config_context(working_memory=1):
        table = make_table(lower, upper, centers, "gaussian", 0.8)
        assert table.n_blocks > 8
        params = rng.normal(0, 0.3, M * (d + 1))
        results = []
        for n_threads in (1, 2, 3):
            loss = linear_objective(table, X, sw, 0.1, n_threads=n_threads)
            try:
                results.append(loss.loss_gradient(params))
                # The pool is reused by the next evaluation.
                again = loss.loss_gradient(params)
            finally:
                loss.close()
            assert again[0] == results[-1][0]
            assert_array_equal(again[1], results[-1][1])
    for value, grad in results[1:]:
        assert value == results[0][0]
        assert_array_equal(grad, results[0][1])
    # And they are the right numbers.
    logits = np.asarray(X @ params[: M * d].reshape(M, d).T) + params[M * d :]
    ref_loss, ref_grad = cross_entropy_from_table(logits, table)
    assert results[0][0] == pytest.approx(
        sw @ ref_loss + 0.05 * np.sum(params[: M * d] ** 2), rel=1e-12
    )


def test_a_failing_block_stops_every_thread_before_the_error_is_raised():
    in_flight, started = [0], []
    lock = threading.Lock()

    def task(j, buffers):
        with lock:
            in_flight[0] += 1
            started.append(j)
        try:
            time.sleep(0.002)
            if j == 5:
                raise FloatingPointError("block 5")
        finally:
            with lock:
                in_flight[0] -= 1

    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(FloatingPointError, match="block 5"):
            _objective._share_out(task, 1000, [None] * 3, pool)
        assert in_flight[0] == 0  # nobody still writing into shared buffers
    assert 5 in started and len(started) < 100


def test_threads_follow_the_callers_numpy_error_settings():
    """Underflow is expected and ignored; the caller's errstate reaches the
    worker threads (NumPy keeps it per thread)."""
    centers = np.linspace(-10.0, 10.0, 16)  # far kernels underflow to zero
    rng = np.random.default_rng(15)
    y = rng.uniform(-9.0, 9.0, 20_000)
    lower, upper = y, y + rng.choice([0.0, 0.1, 0.3], y.size)
    X = rng.normal(size=(y.size, 3))
    sw = np.full(y.size, 1.0 / y.size)
    with config_context(working_memory=2):
        table = make_table(lower, upper, centers, "gaussian", 0.2)
        params = rng.normal(0, 0.5, 16 * 4)
        one = linear_objective(table, X, sw, 0.0).loss_gradient(params)
        loss = linear_objective(table, X, sw, 0.0, n_threads=2)
        seen = []
        block_loss = table.block_loss

        def spy(*args, **kwargs):
            seen.append(np.geterr()["divide"])
            return block_loss(*args, **kwargs)

        table.block_loss = spy
        try:
            with np.errstate(all="raise"):
                two = loss.loss_gradient(params)
        finally:
            loss.close()
    assert set(seen) == {"raise"} and len(seen) == table.n_blocks > 2
    assert two[0] == one[0]
    assert_array_equal(two[1], one[1])


def test_a_fraction_of_a_mebibyte_of_working_memory_is_honoured():
    X, y = regression(3000, 4, seed=16)
    kw = dict(centers=8, alpha=1e-2, tol=1e-8, max_iter=2000)
    with config_context(working_memory=0.05):
        small = SoftmaxKDERegressor(**kw).fit(X, y)
    default = SoftmaxKDERegressor(**kw).fit(X, y)
    # Other blocks, other rounding: weakly determined coefficients move ~1e-6.
    assert small.objective_ == pytest.approx(default.objective_, rel=1e-11)
    assert_allclose(small.coef_, default.coef_, atol=1e-5)


def test_fit_leaves_no_worker_threads_behind():
    X, y = regression(30_000, 4, seed=13)
    h = 0.4
    Y = np.column_stack([y - h / 2, y + h / 2])
    # The threads of objectives other tests left to the garbage collector
    # are not this fit's.
    before = set(threading.enumerate())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SoftmaxKDERegressor(centers=16, bandwidth=h, max_iter=3).fit(X, Y)
    assert model.n_iter_ == 3
    after = set(threading.enumerate()) - before
    assert not [t for t in after if t.name.startswith("skkdece")]


@pytest.fixture
def two_loss_threads(monkeypatch):
    """Fits share their loss out to two threads whatever this machine has
    (and whatever NumPy: 1.x fits run on one thread for its errstate, see
    _objective); the list gets each evaluation's thread count.
    """
    shared = []
    share_out = _objective._share_out

    def recorded(task, n_tasks, work, pool):
        shared.append(len(work))
        return share_out(task, n_tasks, work, pool)

    monkeypatch.setattr(_objective, "blas_threads", lambda: 2)
    monkeypatch.setattr(_objective, "_THREADSAFE_ERRSTATE", True)
    monkeypatch.setattr(_objective, "_share_out", recorded)
    return shared


def test_threaded_fits_reuse_the_process_thread_controller(
    monkeypatch, two_loss_threads
):
    """Building a ThreadpoolController scans the loaded libraries (about
    3 ms, a twentieth of a 60-iteration fit of 5 000 rows): the objective's
    threads limit the BLAS through the process's controller, built once.
    """
    X, y = regression(6_000, 3, seed=15)
    kw = dict(location="linear", scale="linear", max_iter=3)
    _objective.thread_controller()  # the process's, as after a first fit
    built = []
    original = _objective.ThreadpoolController.__init__

    def counted(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(_objective.ThreadpoolController, "__init__", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SoftmaxKDERegressor(**kw).fit(X, y)
    assert two_loss_threads and max(two_loss_threads) == 2
    assert built == []


def test_a_threaded_fit_limits_the_blas_once(monkeypatch, two_loss_threads):
    """A fit whose loss is shared out to threads holds the BLAS at one
    thread for the whole run, not again at every evaluation: each limit
    reads and sets every library's count (12 µs, a hundredth of an
    evaluation of 5 000 rows).
    """
    X, y = regression(6_000, 3, seed=16)
    kw = dict(location="linear", scale="linear", max_iter=6, tol=0.0)
    controller = _objective.thread_controller()
    limits = []
    limit = controller.limit

    def counted(*args, **kwargs):
        limits.append(kwargs.get("limits"))
        return limit(*args, **kwargs)

    monkeypatch.setattr(controller, "limit", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SoftmaxKDERegressor(**kw).fit(X, y)
    assert max(two_loss_threads) == 2
    # One limit an objective (the early-stopping split's training and
    # validation objectives, then the final fit's), none per evaluation.
    assert 1 <= len(limits) <= 3 < len(two_loss_threads)
    assert all(n == 1 for n in limits)


def test_an_objective_outside_its_run_limits_the_blas_itself():
    """``running`` holds the BLAS at one thread only while it runs, also when
    the run ends in an exception: evaluations after it limit it again."""
    X, y = regression(500, 3, seed=17)
    table = make_table(y, y, np.linspace(-3, 3, 8), "gaussian", 0.5)
    objective = linear_objective(table, X, np.full(500, 1 / 500), 0.0)
    # A small problem: its run holds the BLAS at one thread.
    with objective.running():
        assert objective._blas_held
    assert not objective._blas_held
    with pytest.raises(RuntimeError, match="inside the run"):
        with objective.running():
            assert objective._blas_held
            raise RuntimeError("inside the run")
    assert not objective._blas_held


def test_fit_is_the_same_on_one_thread(monkeypatch):
    """A fit limited to one thread (threadpoolctl) reaches the same numbers."""
    X, y = regression(30_000, 12, seed=14)
    h = 0.4
    Y = np.column_stack([y - h / 2, y + h / 2])
    # The plain table's shares (heads split their tables otherwise).
    kw = dict(centers=16, bandwidth=h, max_iter=15, tol=0.0, location=None, scale=None)
    used = []
    share_out = _objective._share_out

    def counted(task, n_tasks, work, pool):
        used.append(len(work))
        return share_out(task, n_tasks, work, pool)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with threadpool_limits(limits=1, user_api="blas"):
            assert _objective.blas_threads() == 1
            single = SoftmaxKDERegressor(**kw).fit(X, Y)
        assert not used
        # Three threads whatever this machine has (and whatever NumPy: 1.x
        # fits run on one thread for its errstate, see _objective).
        monkeypatch.setattr(_objective, "blas_threads", lambda: 3)
        monkeypatch.setattr(_objective, "_THREADSAFE_ERRSTATE", True)
        monkeypatch.setattr(_objective, "_share_out", counted)
        threaded = SoftmaxKDERegressor(**kw).fit(X, Y)
    assert used and set(used) == {3}
    assert threaded.objective_ == single.objective_
    assert_array_equal(threaded.coef_, single.coef_)


def test_log_domain_fallback_in_every_layout():
    """Weights below 1e-300 on the only nearby centers, in uniform and grouped
    blocks, kept and recomputed: still exact."""
    rng = np.random.default_rng(3)
    M, n = 6, 4000
    centers = np.linspace(0.0, 500.0, M)  # 100 bandwidths apart
    h = 1.0
    near = rng.integers(0, M, n)
    lower = centers[near] + rng.uniform(-1.0, 1.0, n)
    upper = lower + rng.choice([0.0, 0.1, 0.5, 1.0, 2.5], size=n)
    logits = rng.normal(0, 1, (n, M))
    # Every 7th row puts (almost) no weight on the center near its target.
    rows = np.arange(0, n, 7)
    logits[rows, near[rows]] -= 750.0
    for hi in (upper, lower):  # mixed targets, then points only
        with config_context(working_memory=1):
            table = make_table(lower, hi, centers, "gaussian", h)
            loss, grad = cross_entropy_from_table(logits, table)
        assert table.n_blocks > 2
        ref_loss, ref_grad = reference_loss_grad(logits[rows], table, rows)
        assert_allclose(loss[rows], ref_loss, rtol=1e-12)
        assert_allclose(grad[rows], ref_grad, atol=1e-12)
        # The unlikely center still explains the target: gradient about -1.
        assert np.max(grad[rows, near[rows]]) < -0.99


def test_logits_spread_over_thousands_are_exact():
    """Rows whose logits differ by more than exp can represent."""
    centers = np.linspace(-2, 2, 5)
    logits = np.array([[-2000.0, 0.0, 5.0, 1.0, -3.0], [0.0, 1500.0, 0.0, 0.0, 3.0]])
    table = make_table(
        np.array([0.1, 0.9]), np.array([0.4, 0.9]), centers, "gaussian", 1
    )
    loss, grad = cross_entropy_from_table(logits, table)
    ref_loss, ref_grad = reference_loss_grad(logits, table)
    assert_allclose(loss, ref_loss, rtol=1e-13)
    assert_allclose(grad, ref_grad, atol=1e-13)


# ---------------------------------------------------------------------------
# float32 and sparse X.
# ---------------------------------------------------------------------------


def regression(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, 0] - 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n)
    return X, y


def test_float32_X_fits_like_its_float64_copy():
    X, y = regression(500, 4)
    X32 = X.astype(np.float32)
    kw = dict(centers=12, alpha=1e-2, tol=1e-8, max_iter=2000)
    m32 = SoftmaxKDERegressor(**kw).fit(X32, y)
    m64 = SoftmaxKDERegressor(**kw).fit(X32.astype(np.float64), y)
    assert m32.n_iter_ == m64.n_iter_
    assert_allclose(m32.coef_, m64.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(m32.intercept_, m64.intercept_, rtol=1e-10, atol=1e-12)
    assert_allclose(m32.predict(X32), m64.predict(X32.astype(np.float64)))


def test_float32_X_is_never_copied_to_float64_as_a_whole():
    n, d, M = 100_000, 20, 8
    X, y = regression(n, d)
    X32 = X.astype(np.float32)
    del X
    centers = np.linspace(y.min() - 1, y.max() + 1, M)
    with config_context(working_memory=8):
        table = make_table(y, y, centers, "gaussian", 0.5)
        sw = np.full(n, 1.0 / n)
        loss = linear_objective(table, X32, sw, 1e-3)
        params = np.zeros(loss.model.n_params)
        tracemalloc.start()
        try:
            loss.loss_gradient(params)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    float64_copy = n * d * 8
    assert peak < 0.75 * float64_copy


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_X_gives_the_loss_and_fit_of_dense_X(fmt):
    X, y = regression(3000, 6, seed=5)
    X[np.abs(X) < 0.6] = 0.0
    X_sparse = sparse.csr_matrix(X).asformat(fmt)
    centers = np.linspace(y.min() - 0.5, y.max() + 0.5, 10)
    lower, upper = mixed_targets(3000, centers, 0.5, seed=6)
    with config_context(working_memory=1):  # several spans and blocks
        table = make_table(lower, upper, centers, "gaussian", 0.5)
        sw = np.full(3000, 1 / 3000)
        loss = linear_objective(table, X, sw, 0.01)
        params = np.random.default_rng(7).normal(0, 0.3, loss.model.n_params)
        dense_value, dense_grad = loss.loss_gradient(params)
        value, grad = linear_objective(table, X_sparse, sw, 0.01).loss_gradient(params)
    assert value == pytest.approx(dense_value, rel=1e-13)
    assert_allclose(grad, dense_grad, rtol=1e-11, atol=1e-15)

    kw = dict(centers=10, alpha=1e-2, tol=1e-10, max_iter=2000)
    dense = SoftmaxKDERegressor(**kw).fit(X[:400], y[:400])
    sp = SoftmaxKDERegressor(**kw).fit(X_sparse[:400], y[:400])
    # Rounding differs, so weakly determined coefficients differ by ~1e-7.
    assert_allclose(sp.coef_, dense.coef_, atol=2e-6)
    assert sp.objective_ == pytest.approx(dense.objective_, rel=1e-10)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_X_is_never_densified(fmt):
    n, d = 20_000, 4000  # dense float64: 640 MB
    rng = np.random.default_rng(6)
    X = sparse.random(n, d, density=0.002, format=fmt, random_state=7)
    y = np.asarray(X[:, :20].sum(axis=1)).ravel() + rng.normal(scale=0.3, size=n)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SoftmaxKDERegressor(centers=8, max_iter=3).fit(X, y)
        model.predict_distribution(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # What remains is mostly L-BFGS's memory of the M * d parameters.
    assert peak < 0.05 * n * d * 8


def test_interval_table_larger_than_working_memory_is_not_formed():
    """No (nodes x centers) array when the table does not fit working_memory."""
    rng = np.random.default_rng(8)
    n, M, d = 20_000, 16, 3
    centers = np.linspace(-4, 4, M)
    h = 0.6
    y = rng.normal(size=n)
    lower, upper = y - h / 2, y + h / 2
    quad = quadrature_nodes(lower, upper, centers, kernel="gaussian", bandwidth=h)
    full_table = quad.nodes.shape[0] * M * 8  # ~30 MB
    X = rng.normal(size=(n, d))
    sw = np.full(n, 1.0 / n)
    with config_context(working_memory=1):
        tracemalloc.start()
        try:
            table = KernelTable(quad, centers, kernel="gaussian", bandwidth=h)
            loss = linear_objective(table, X, sw, 1e-3)
            loss.loss_gradient(np.zeros(loss.model.n_params))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < full_table / 3


# ---------------------------------------------------------------------------
# The benchmark script keeps working.
# ---------------------------------------------------------------------------


def test_benchmark_script_runs_every_line():
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--smoke"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "benchmark" in result.stdout
    assert "anchor" in result.stdout and "ratio" in result.stdout
