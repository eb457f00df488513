"""The neighbours fit's speed-ups change no result (issue 26).

The search and the kernel table run on several threads, and a table of box
atoms alone skips the masked copies; every value is computed as before, so
the results are the same, bit for bit, on any number of threads.  A table
is built in pieces of its blocks, each value alone, so the pieces change
nothing either.  The size of the blocks themselves changes only the order
in which the rows' losses and gradients are added up (block by block, then
the groups of blocks): the objective agrees to rounding.
"""

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from skkdece import SoftmaxKDENeighborsRegressor, _neighbors_regressor
from skkdece._neighbors import NeighborLogits, training_neighbors
from skkdece._objective import BlockedObjective
from skkdece._tables import _kernel_table
from skkdece._tables._atoms import log_atom_density
from skkdece._tables._factory import training_table
from skkdece._tables._threads import THREADSAFE_ERRSTATE
from skkdece.datasets import make_guess_factor_waves


def _box_problem(n=300, k=6, seed=0):
    rng = np.random.default_rng(seed)
    lower = rng.uniform(-1.0, 0.8, size=n)
    upper = lower + rng.choice([0.0, 0.05, 0.2, 0.6], size=n)
    nbrs = rng.integers(0, n, size=(n, k))
    mid, half = 0.5 * (lower + upper), 0.5 * (upper - lower)
    return lower, upper, mid[nbrs], half[nbrs]


@pytest.mark.parametrize("n_threads", [2, 3])
def test_table_is_the_same_on_any_number_of_threads(n_threads):
    lower, upper, centers, half = _box_problem()
    kw = dict(kernel="gaussian", bandwidth=0.05, half_widths=half, block_bytes=2048)
    one = training_table(lower, upper, centers, **kw)
    many = training_table(lower, upper, centers, n_threads=n_threads, **kw)
    assert one.n_blocks > 10  # the threads share many blocks out
    np.testing.assert_array_equal(many.block_rows, one.block_rows)
    for name in ("log_scale", "_kept", "_row_log_scale", "_row_weight"):
        np.testing.assert_array_equal(getattr(many, name), getattr(one, name))
    logits = np.random.default_rng(1).normal(size=(one.n_samples, centers.shape[1]))
    for b in range(one.n_blocks):
        rows = one.block_row_index(b)
        loss_1 = one.block_loss(b, logits[rows])
        np.testing.assert_array_equal(many.block_loss(b, logits[rows]), loss_1)


def test_table_built_in_pieces_is_the_same(monkeypatch):
    lower, upper, centers, half = _box_problem(n=500)
    kw = dict(kernel="gaussian", bandwidth=0.05, half_widths=half, block_bytes=2**16)
    whole = training_table(lower, upper, centers, **kw)
    monkeypatch.setattr(_kernel_table, "_PIECE_BYTES", 1000)
    pieces = training_table(lower, upper, centers, **kw)
    # Blocks of several pieces (6 centers: 20 nodes a piece).
    assert np.max(np.diff(whole.row_ptr[whole.block_rows])) > 4 * 20
    for name in ("log_scale", "_kept", "_row_log_scale", "_row_weight"):
        np.testing.assert_array_equal(getattr(pieces, name), getattr(whole, name))


def _captured_objective(monkeypatch, block_bytes):
    """The objective of a one-round neighbours fit whose table has these blocks."""
    captured = []

    def table(*args, **kwargs):
        kwargs["block_bytes"] = block_bytes
        return training_table(*args, **kwargs)

    class Recording(BlockedObjective):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            captured.append(self)

    with monkeypatch.context() as patch:
        patch.setattr(_neighbors_regressor, "training_table", table)
        patch.setattr(_neighbors_regressor, "BlockedObjective", Recording)
        X, y = make_guess_factor_waves(1500, random_state=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            SoftmaxKDENeighborsRegressor(
                n_neighbors=12, n_rounds=1, max_iter=3, bandwidth=0.1
            ).fit(X, y, groups=np.arange(1500) // 50)
    return captured[0]


def test_block_size_changes_only_the_order_of_the_sums(monkeypatch):
    small = _captured_objective(monkeypatch, 2**15)
    large = _captured_objective(monkeypatch, None)
    assert small.table.n_blocks > 2 * large.table.n_blocks
    rng = np.random.default_rng(6)
    d = small.model.n_params - 1
    for _ in range(3):
        params = NeighborLogits.pack(
            rng.uniform(0.5, 3.0), rng.uniform(0.0, 1.0, size=d) / d
        )
        value_s, grad_s = small.loss_gradient(params)
        value_l, grad_l = large.loss_gradient(params)
        np.testing.assert_allclose(value_l, value_s, rtol=1e-12)
        np.testing.assert_allclose(
            grad_l, grad_s, rtol=1e-12, atol=1e-12 * np.max(np.abs(grad_s))
        )


def test_box_atoms_alone_match_a_mix_of_boxes_and_kernels():
    rng = np.random.default_rng(2)
    u = rng.normal(scale=0.5, size=(40, 5))
    half = rng.uniform(0.01, 0.4, size=(40, 5))
    boxes = log_atom_density(u, half, "gaussian", 0.1)
    # One kernel among the boxes takes the masked path for all of them.
    mixed_half = np.concatenate([half.ravel(), [0.0]])
    mixed = log_atom_density(np.append(u.ravel(), 0.3), mixed_half, "gaussian", 0.1)
    np.testing.assert_array_equal(boxes.ravel(), mixed[:-1])


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_search_is_the_same_with_any_number_of_jobs(n_jobs):
    rng = np.random.default_rng(3)
    points = rng.normal(size=(500, 4))
    groups = np.arange(500) // 25
    kw = dict(groups=groups, exclude_adjacent=2)
    one = training_neighbors(points, 7, n_jobs=1, **kw)
    many = training_neighbors(points, 7, n_jobs=n_jobs, **kw)
    np.testing.assert_array_equal(many, one)


def _fit(threads):
    X, y = make_guess_factor_waves(400, random_state=3)
    groups = np.arange(400) // 20
    with threadpool_limits(limits=threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SoftmaxKDENeighborsRegressor(n_neighbors=8).fit(X, y, groups=groups)


def test_fit_is_the_same_on_one_thread_and_two(pair_path):
    one, two = _fit(1), _fit(2)
    np.testing.assert_array_equal(two.metric_weights_, one.metric_weights_)
    assert two.sharpness_ == one.sharpness_
    assert two.objective_ == one.objective_
    assert two.bandwidth_ == one.bandwidth_


def test_fit_matches_the_values_before_the_speed_ups():
    # Recorded from the tree before issue 26's changes (commit f31c811, on
    # x86-64 with OpenBLAS, numpy 2.4, SciPy 1.17).  The same operations in
    # the same order give the same bits there; other library versions round
    # their products and special functions differently, and L-BFGS-B carries
    # that rounding through 67 iterations: with numpy 1.24 and SciPy 1.11.1
    # (CI's lowest versions) the weights moved by 2e-11 relative.  The check
    # allows 1e-8, far below any change a different neighbour, node or
    # bandwidth in the fit would make.
    model = _fit(None if THREADSAFE_ERRSTATE else 1)
    expected = [
        0.2574124132598374,
        0.20665175333947394,
        0.03011961297276815,
        0.0,
        0.09070011511785564,
        0.0,
        0.07798278891199811,
        0.3371333163980668,
    ]
    np.testing.assert_allclose(model.metric_weights_, expected, rtol=1e-8, atol=0)
    np.testing.assert_allclose(model.sharpness_, 2.576716845601213, rtol=1e-8)
    np.testing.assert_allclose(model.objective_, 0.38539362141966055, rtol=1e-8)
    np.testing.assert_allclose(model.bandwidth_, 0.20726375598414937, rtol=1e-8)
    assert model.n_iter_ == 67
