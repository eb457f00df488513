"""The compiled pair kernels of the neighbours model against NumPy.

``skkdece._pairs`` (src/skkdece/_pairs.c, built at install) computes each
pair's weighted Manhattan distance and the gradient's per-feature sums
without the NumPy path's gathered arrays.  Both paths must give the same
objective: these tests compare them term by term, and run the neighbours
objective's own checks (finite differences, thread counts) on each.
"""

import os

import numpy as np
import pytest
from sklearn import config_context

from skkdece import SoftmaxKDENeighborsRegressor, _neighbors
from skkdece._neighbors import (
    NeighborEmbedding,
    NeighborLogits,
    start_weights,
    training_neighbors,
    weighted_points,
)
from skkdece._objective import BlockedObjective
from skkdece._tables._factory import training_table

pairs = _neighbors._pairs
compiled = pytest.mark.skipif(pairs is None, reason="skkdece._pairs not built")


def test_compiled_kernels_are_built_where_ci_requires_them():
    # .ci/run sets this: a CI install that silently fell back to NumPy would
    # pass every other test and lose the neighbours model's speed.
    if os.environ.get("SKKDECE_REQUIRE_COMPILED") != "1":
        pytest.skip("SKKDECE_REQUIRE_COMPILED is not set")
    assert pairs is not None


def test_kernels_of_another_version_are_set_aside_with_a_warning():
    import types

    stale = types.SimpleNamespace(API_VERSION=1, __file__="/old/skkdece/_pairs.so")
    with pytest.warns(RuntimeWarning, match=r"API_VERSION 1, not 5.*pip install"):
        assert _neighbors.usable_kernels(stale) is None
    with pytest.warns(RuntimeWarning, match="API_VERSION None"):
        assert _neighbors.usable_kernels(types.SimpleNamespace()) is None
    assert _neighbors.usable_kernels(None) is None
    if pairs is not None:
        assert _neighbors.usable_kernels(pairs) is pairs


def _case(n, m, d, k, seed):
    """A block of m rows: E's first m rows are its own, positions (m, k)."""
    rng = np.random.default_rng(seed)
    E = rng.normal(size=(n, d))
    E[rng.random((n, d)) < 0.1] = 0.0  # ties: |0 - 0| = 0
    positions = np.stack([rng.choice(n, size=k, replace=False) for _ in range(m)])
    return rng, E, positions.astype(np.int32)


@compiled
@pytest.mark.parametrize("d", [1, 2, 3, 10, 16, 17, 23])
@pytest.mark.parametrize("k", [1, 3, 4, 6, 32])
def test_kernels_equal_the_numpy_sums(d, k):
    """Every specialised width (d <= 16), the general one, and k's remainders."""
    rng, E, positions = _case(50, 37, d, k, seed=d * 100 + k)
    phi = rng.uniform(0.0, 2.0, size=d)
    D = np.abs(E[:37, None, :] - E[positions])
    z = np.empty((37, k))
    pairs.pair_logits(E, positions, phi, z)
    dist = D @ phi
    # The logits -dist, shifted so that each row's first is zero.
    np.testing.assert_allclose(z, dist[:, :1] - dist, rtol=1e-13, atol=1e-13)
    assert np.all(z[:, 0] == 0.0)

    g = rng.normal(size=(37, k))
    out = np.full(d, 0.5)  # the kernel adds to what is there
    pairs.pair_gradient(E, positions, g, out)
    expected = 0.5 + np.einsum("rc,rcp->p", g, D)
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)


@compiled
def test_kernels_sum_in_the_documented_order():
    """Distances: even features, odd ones, then both; gradient: row order."""
    rng, E, positions = _case(40, 30, 7, 5, seed=3)
    E *= 10.0 ** rng.integers(-8, 8, size=E.shape)  # rounding shows any reorder
    phi = rng.uniform(0.1, 1.0, size=7)
    z = np.empty((30, 5))
    pairs.pair_logits(E, positions, phi, z)
    g = rng.normal(size=(30, 5))
    out = np.zeros(7)
    pairs.pair_gradient(E, positions, g, out)
    acc = np.zeros(7)
    for r in range(30):
        dist = []
        for c in range(5):
            j = positions[r, c]
            t = [phi[p] * abs(E[r, p] - E[j, p]) for p in range(7)]
            even = 0.0
            for p in (0, 2, 4, 6):
                even += t[p]
            odd = 0.0
            for p in (1, 3, 5):
                odd += t[p]
            dist.append(even + odd)
            assert z[r, c] == dist[0] - dist[c]
            for p in range(7):
                acc[p] += g[r, c] * abs(E[r, p] - E[j, p])
    np.testing.assert_array_equal(out, acc)


@compiled
@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda a: {**a, "E": a["E"].astype(np.float32)}, TypeError, "E must hold"),
        (lambda a: {**a, "E": a["E"][:, ::2]}, TypeError, "E must be a C-contig"),
        (
            lambda a: {**a, "neighbors": a["neighbors"].astype(np.int64)},
            TypeError,
            "neighbors must hold int32",
        ),
        (
            lambda a: {**a, "neighbors": a["neighbors"][:, :, None]},
            ValueError,
            "neighbors must have 2",
        ),
        (lambda a: {**a, "phi": a["phi"][:2]}, ValueError, "phi has 2 values"),
        (lambda a: {**a, "out": a["out"][:, :2]}, TypeError, "out must be a C-contig"),
        (lambda a: {**a, "out": a["out"][:3]}, ValueError, r"out must have shape"),
        (
            lambda a: {**a, "E": a["E"][:5]},
            ValueError,
            "neighbors has 8 rows, more than E's 5",
        ),
        (
            lambda a: {**a, "neighbors": a["neighbors"] + 12},
            IndexError,
            "outside E's rows",
        ),
        (
            lambda a: {**a, "neighbors": a["neighbors"] - 12},
            IndexError,
            "outside E's rows",
        ),
    ],
)
def test_bad_kernel_arguments_raise_instead_of_reading_past_arrays(
    change, error, match
):
    _, E, positions = _case(12, 8, 3, 4, seed=0)
    args = {
        "E": E,
        "neighbors": positions,
        "phi": np.ones(3),
        "out": np.empty((8, 4)),
    }
    bad = change(args)
    with pytest.raises(error, match=match):
        pairs.pair_logits(*bad.values())


@compiled
def test_out_of_range_positions_raise_in_the_gradient_too():
    _, E, positions = _case(12, 12, 3, 4, seed=1)
    positions[5, 2] = 12
    with pytest.raises(IndexError, match="outside E's rows"):
        pairs.pair_gradient(E, positions, np.ones((12, 4)), np.zeros(3))
    out = np.zeros(3)
    out.flags.writeable = False
    with pytest.raises(TypeError, match="out must be a C-contiguous writable"):
        pairs.pair_gradient(E, positions[:5], np.ones((5, 4)), out)


@compiled
@pytest.mark.parametrize("d", [3, 12, 17])
def test_rows_read_in_place_give_the_gathered_copys_bits(d):
    """``rows``: row r is E[rows[r]]; the same sums as on a gathered copy."""
    rng = np.random.default_rng(d)
    E = rng.normal(size=(60, d))
    E *= 10.0 ** rng.integers(-8, 8, size=E.shape)  # rounding shows any reorder
    rows = rng.permutation(60)[:25].astype(np.int32)
    neighbors = rng.integers(0, 60, size=(60, 7))
    nbrs = neighbors[rows].astype(np.int32)
    phi = rng.uniform(0.1, 1.0, size=d)
    g = rng.normal(size=(25, 7))
    gather, positions = _neighbors._BoundNeighbors.compact(neighbors, rows)
    copy = E[gather]
    z_copy, z = np.empty((25, 7)), np.empty((25, 7))
    pairs.pair_logits(copy, positions, phi, z_copy)
    pairs.pair_logits(E, nbrs, phi, z, rows)
    np.testing.assert_array_equal(z, z_copy)
    out_copy, out = np.full(d, 0.5), np.full(d, 0.5)
    pairs.pair_gradient(copy, positions, g, out_copy)
    pairs.pair_gradient(E, nbrs, g, out, rows)
    np.testing.assert_array_equal(out, out_copy)


@compiled
def test_rows_out_of_range_or_of_another_length_raise():
    _, E, positions = _case(12, 8, 3, 4, seed=0)
    rows = np.arange(8, dtype=np.int32)
    rows[3] = 12
    with pytest.raises(IndexError, match="outside E's rows"):
        pairs.pair_logits(E, positions, np.ones(3), np.empty((8, 4)), rows)
    with pytest.raises(IndexError, match="outside E's rows"):
        pairs.pair_gradient(E, positions, np.ones((8, 4)), np.zeros(3), rows)
    with pytest.raises(ValueError, match="rows has 5 values, neighbors 8 rows"):
        pairs.pair_logits(E, positions, np.ones(3), np.empty((8, 4)), rows[:5])
    with pytest.raises(TypeError, match="rows must hold int32"):
        pairs.pair_logits(E, positions, np.ones(3), np.empty((8, 4)), 1.0 * rows)


@compiled
def test_e_read_in_place_or_gathered_gives_the_same_fit(monkeypatch):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] - 0.5 * X[:, 1] + 0.2 * rng.normal(size=300)
    params = dict(n_neighbors=8, bandwidth=0.3, n_rounds=2, max_iter=30)
    with config_context(working_memory=1):  # several blocks
        in_place = SoftmaxKDENeighborsRegressor(**params).fit(X, y)
        monkeypatch.setattr(_neighbors, "_DIRECT_E_BYTES", 0)
        gathered = SoftmaxKDENeighborsRegressor(**params).fit(X, y)
    np.testing.assert_array_equal(in_place.metric_weights_, gathered.metric_weights_)
    assert in_place.objective_ == gathered.objective_


@pytest.mark.parametrize("contiguous", [True, False])
def test_a_blocks_gathered_rows_hold_its_rows_and_their_neighbours(contiguous):
    rng = np.random.default_rng(2)
    neighbors = rng.integers(0, 300, size=(300, 9))
    rows = slice(40, 140) if contiguous else rng.permutation(300)[:100]
    gather, positions = _neighbors._BoundNeighbors.compact(neighbors, rows)
    own = np.arange(40, 140) if contiguous else rows
    assert positions.dtype == np.int32
    np.testing.assert_array_equal(gather[:100], own)
    np.testing.assert_array_equal(gather[positions], neighbors[own])
    assert np.unique(gather).size == gather.size  # each row gathered once
    # Exactly the rows needed: the block's own and its neighbours.
    assert set(gather) == set(own) | set(neighbors[own].ravel())


def _objective(X, y, *, embedding, interval, k=6):
    emb = NeighborEmbedding.from_data(X, n_pieces=4 if embedding else 1)
    E = emb.transform(X)
    start = start_weights(emb)
    nbrs = training_neighbors(weighted_points(E, start), k)
    half = np.full(y.size, 0.2) if interval else None
    table = training_table(
        y - 0.2,
        y + 0.2,
        y[nbrs],
        kernel="gaussian",
        bandwidth=0.4,
        half_widths=None if half is None else half[nbrs],
    )
    model = NeighborLogits(E.shape[1], start, alpha=0.01)
    n = X.shape[0]
    return BlockedObjective(table, model, (E, nbrs), np.full(n, 1.0 / n))


@compiled
@pytest.mark.parametrize("embedding", [False, True])
@pytest.mark.parametrize("interval", [False, True])
def test_both_paths_give_the_same_objective(monkeypatch, embedding, interval):
    """The objective on the kernels and on NumPy, each built from scratch.

    (Finite differences and thread counts are checked on both paths in
    test_neighbors.py, through the ``pair_path`` fixture.)
    """
    rng = np.random.default_rng(7)
    X = rng.normal(size=(80, 3))
    y = np.sin(X[:, 0]) + 0.3 * rng.normal(size=80)
    with config_context(working_memory=1):  # several blocks
        objective = _objective(X, y, embedding=embedding, interval=interval)
        phi = rng.uniform(0.2, 1.5, size=objective.model.n_params)
        value, grad = objective.loss_gradient(phi)
        monkeypatch.setattr(_neighbors, "_pairs", None)
        value2, grad2 = _objective(
            X, y, embedding=embedding, interval=interval
        ).loss_gradient(phi)
    np.testing.assert_allclose(value2, value, rtol=1e-13)
    np.testing.assert_allclose(grad2, grad, rtol=1e-11, atol=1e-15)


def test_fitted_models_agree_on_both_paths(monkeypatch):
    if pairs is None:
        pytest.skip("skkdece._pairs not built")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] - 0.5 * X[:, 1] + 0.2 * rng.normal(size=300)
    params = dict(n_neighbors=8, bandwidth=0.3, n_rounds=2, max_iter=40)
    fast = SoftmaxKDENeighborsRegressor(**params).fit(X, y)
    monkeypatch.setattr(_neighbors, "_pairs", None)
    slow = SoftmaxKDENeighborsRegressor(**params).fit(X, y)
    # The paths differ in rounding only; L-BFGS-B follows the same path for
    # 40 iterations to within that, and the fits agree closely.
    np.testing.assert_allclose(
        fast.feature_weights_, slow.feature_weights_, rtol=1e-6, atol=1e-9
    )
    X_new = rng.normal(size=(20, 4))
    np.testing.assert_allclose(
        fast.predict_weights(X_new), slow.predict_weights(X_new), rtol=1e-6
    )


def _build_scalar_kernels(tmp_path):
    """The extension compiled with SKKDECE_SCALAR_PAIRS (no vector types)."""
    import importlib.machinery
    import importlib.util
    import shutil
    import subprocess
    import sysconfig
    from pathlib import Path

    cc = (sysconfig.get_config_var("CC") or "cc").split()
    if shutil.which(cc[0]) is None:
        pytest.skip("no C compiler")
    source = Path(__file__).parents[1] / "src" / "skkdece" / "_pairs.c"
    if not source.exists():
        pytest.skip("src/skkdece/_pairs.c is not in this checkout")
    target = tmp_path / ("_pairs" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(
        [
            *cc,
            "-O3",
            "-shared",
            "-fPIC",
            "-DSKKDECE_SCALAR_PAIRS",
            f"-I{sysconfig.get_paths()['include']}",
            str(source),
            "-o",
            str(target),
        ],
        check=True,
        capture_output=True,
    )
    loader = importlib.machinery.ExtensionFileLoader("_pairs", str(target))
    spec = importlib.util.spec_from_file_location("_pairs", str(target), loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@compiled
@pytest.mark.skipif(os.name != "posix", reason="builds with the POSIX compiler")
def test_scalar_build_gives_the_same_bits(tmp_path):
    """The code for compilers without vector types sums the same way."""
    scalar = _build_scalar_kernels(tmp_path)
    for d, k in [(1, 3), (5, 4), (10, 32), (16, 7), (19, 9)]:
        rng, E, positions = _case(40, 29, d, k, seed=d + k)
        phi = rng.uniform(0.0, 2.0, size=d)
        g = rng.normal(size=(29, k))
        results = []
        for module in (pairs, scalar):
            z = np.empty((29, k))
            module.pair_logits(E, positions, phi, z)
            out = np.zeros(d)
            module.pair_gradient(E, positions, g, out)
            results.append((z, out))
        np.testing.assert_array_equal(results[0][0], results[1][0])
        np.testing.assert_array_equal(results[0][1], results[1][1])


@compiled
@pytest.mark.skipif(os.name != "posix", reason="builds with the POSIX compiler")
def test_scalar_build_scans_the_same(tmp_path, monkeypatch):
    """Both exact searches without vector types find the same neighbours."""
    from skkdece._neighbors import _kd_neighbors, _scan_neighbors

    scalar = _build_scalar_kernels(tmp_path)
    rng = np.random.default_rng(8)
    for n, d, k in [(61, 1, 4), (203, 5, 9), (300, 11, 32)]:
        points = rng.normal(size=(n, d))
        groups = rng.integers(0, 7, size=n)
        vector = _scan_neighbors(points, k, groups, 2, 1)
        np.testing.assert_array_equal(_kd_neighbors(points, k, groups, 2, 1), vector)
        with monkeypatch.context() as patch:
            patch.setattr(_neighbors, "_pairs", scalar)
            for search in (_scan_neighbors, _kd_neighbors):
                np.testing.assert_array_equal(search(points, k, groups, 2, 1), vector)
