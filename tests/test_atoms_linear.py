"""Gaussian box atoms in the linear domain, against the log domain (issue 26).

A neighbours table of interval targets holds gaussian box atoms on the line.
Their densities, each node's over its largest, are taken as differences of
normal CDFs (``gaussian_box_scaled``) where the general code takes them in the
log domain and exponentiates.  The two agree to rounding, and the linear
domain falls back to logs wherever its masses would lose digits to
underflow: far atoms, far nodes, and a narrow far box that outweighs the
rest.
"""

import numpy as np
import pytest
from sklearn import config_context

from skkdece._tables import _kernel_table
from skkdece._tables._atoms import (
    gaussian_box_scaled,
    linear_boxes,
    log_atom_density,
    scaled_log_values,
)
from skkdece._tables._factory import training_table
from skkdece._tables._kernel_table import IntervalMassTable


def _log_domain(u, half, h):
    return scaled_log_values(log_atom_density(u, half, "gaussian", h))


def _assert_same(u, half, h, rtol=1e-12):
    scaled, log_scale = gaussian_box_scaled(u, half, h)
    ref_scaled, ref_log_scale = _log_domain(u, half, h)
    assert np.all(np.isfinite(log_scale))
    np.testing.assert_allclose(log_scale, ref_log_scale, rtol=rtol, atol=1e-13)
    np.testing.assert_array_equal(scaled == 0, ref_scaled == 0)
    np.testing.assert_array_equal(np.max(scaled, axis=1), 1.0)
    # Normal numbers keep their relative precision (subnormals cannot).
    normal = ref_scaled > 1e-300
    np.testing.assert_allclose(scaled[normal], ref_scaled[normal], rtol=rtol, atol=0)
    return scaled, log_scale


@pytest.mark.parametrize("h", [0.5, 0.05, 0.005])
def test_linear_domain_matches_the_log_domain(h):
    rng = np.random.default_rng(0)
    u = rng.normal(0.0, 0.3, size=(2000, 16))
    half = rng.uniform(0.005, 0.2, size=u.shape)
    u[:20] += 60.0  # nodes far from every atom
    u[20:40, :4] -= 4.0  # some atoms far from their node
    u[40:60, :4] = rng.uniform(-40, -33, size=(20, 4)) * h  # around the threshold
    scaled, _ = _assert_same(u, half, h)
    if h == 0.005:
        # The threshold's neighbourhood was crossed: masses below 1e-290 kept
        # by the log domain, and exact zeros where exp underflows anyway.
        assert np.any((scaled > 0) & (scaled < 1e-250))
        assert np.any(scaled == 0)


def test_nodes_hundreds_of_bandwidths_from_every_atom_stay_exact():
    h = 0.01
    half = np.array([[0.02, 0.05, 0.01]])
    for distance in (3.0, 10.0, -25.0):  # 300 to 2 500 bandwidths
        u = distance + np.array([[0.0, 0.01, -0.02]])
        scaled, log_scale = _assert_same(u, half, h)
        # The nearest atom's log density from the normal tail's expansion
        # log Phi(-x) = -x^2/2 - log(x sqrt(2 pi)) + log(1 - 1/x^2 + ...).
        x = (np.abs(u) - half) / h
        near = np.argmin(x)
        approx = -0.5 * x[0, near] ** 2 - np.log(x[0, near] * np.sqrt(2 * np.pi))
        approx += np.log1p(-1.0 / x[0, near] ** 2) - np.log(2 * half[0, near])
        assert abs(log_scale[0] - approx) < 1e-4 * abs(approx) / x[0, near] ** 2
        assert scaled[0, near] == 1.0


def test_a_small_mass_that_outweighs_the_rest_is_taken_in_logs():
    # A box 1e300 wide holds all its mass near the node but has a density of
    # 1e-300 there; a box of half-width 0.5, 37 bandwidths away, has a mass
    # below the linear domain's threshold (5e-292) but twice that density.
    # The node's largest atom is the far one, which only the log domain sees.
    u = np.array([[0.0, 37.0, 3.0]])
    half = np.array([[1e300, 0.5, 1e300]])
    scaled, log_scale = _assert_same(u, half, 1.0)
    assert scaled[0, 1] == 1.0
    np.testing.assert_allclose(scaled[0, [0, 2]], np.exp(-log_scale[0] - np.log(2e300)))
    assert -700 < log_scale[0] < -660


@pytest.mark.parametrize("unit", [1e-30, 1e20, 1e40])
def test_the_targets_unit_does_not_matter(unit):
    # Offsets, half-widths and bandwidth in another unit: the same ratios
    # and log scales shifted by -log(unit), where mass / r alone would turn
    # subnormal or zero for boxes wider than about 1e18.
    rng = np.random.default_rng(4)
    u = rng.normal(0.0, 0.3, size=(300, 8))
    half = rng.uniform(0.01, 0.2, size=u.shape)
    u[:10, :3] += 0.5  # some ratios far below one
    scaled, log_scale = gaussian_box_scaled(u, half, 0.02)
    scaled_u, log_scale_u = _assert_same(u * unit, half * unit, 0.02 * unit)
    normal = scaled > 1e-300
    np.testing.assert_allclose(scaled_u[normal], scaled[normal], rtol=1e-12)
    np.testing.assert_array_equal(scaled_u == 0, scaled == 0)
    np.testing.assert_allclose(log_scale_u, log_scale - np.log(unit), rtol=1e-12)


def test_a_nan_offset_is_not_a_density():
    u = np.array([[0.1, 0.2], [np.nan, 0.0]])
    half = np.full(u.shape, 0.05)
    scaled, log_scale = gaussian_box_scaled(u, half, 0.1)
    ref_scaled, ref_log_scale = _log_domain(u, half, 0.1)
    assert np.isfinite(log_scale[0]) and log_scale[1] == ref_log_scale[1] == -np.inf
    np.testing.assert_allclose(scaled[0], ref_scaled[0], rtol=1e-12)


def test_only_gaussian_box_tables_on_the_line_use_the_linear_domain():
    half = np.full((3, 2), 0.1)
    assert linear_boxes(half, "gaussian", None)
    assert not linear_boxes(half, "gaussian", 2.0)
    assert not linear_boxes(half, "epanechnikov", None)
    assert not linear_boxes(None, "gaussian", None)
    with_point = half.copy()
    with_point[1, 0] = 0.0
    assert not linear_boxes(with_point, "gaussian", None)

    lower = np.array([0.0, 0.1, -0.2])
    upper = lower + 0.05
    centers = np.array([[0.0, 0.1], [0.1, 0.3], [-0.1, 0.2]])
    kw = dict(kernel="gaussian", bandwidth=0.05, half_widths=half)
    assert training_table(lower, upper, centers, **kw)._linear_boxes
    kw_point = dict(kernel="gaussian", bandwidth=0.05, half_widths=with_point)
    assert not training_table(lower, upper, centers, **kw_point)._linear_boxes
    masses = IntervalMassTable(lower, upper, centers, **kw)
    assert not masses._linear_boxes


def _box_table_problem(n=400, k=8, seed=0):
    rng = np.random.default_rng(seed)
    lower = rng.uniform(-1.0, 0.8, size=n)
    upper = lower + rng.choice([0.0, 0.05, 0.2, 0.6], size=n)
    nbrs = rng.integers(0, n, size=(n, k))
    mid = 0.5 * (lower + upper)
    half = 0.5 * (upper - lower) + rng.uniform(0.01, 0.05, size=n)
    return lower, upper, mid[nbrs], half[nbrs]


@pytest.mark.parametrize("bandwidth", [0.2, 0.02])
@pytest.mark.parametrize("kept", [True, False])
def test_table_losses_and_gradients_agree_with_the_log_domain(
    monkeypatch, bandwidth, kept
):
    lower, upper, centers, half = _box_table_problem()
    kw = dict(kernel="gaussian", bandwidth=bandwidth, half_widths=half)
    # A working memory too small to keep any block: values recomputed at
    # every evaluation.
    with config_context(working_memory=1024 if kept else 1e-6):
        linear = training_table(lower, upper, centers, block_bytes=2**14, **kw)
        with monkeypatch.context() as patch:
            patch.setattr(_kernel_table, "linear_boxes", lambda *args: False)
            logs = training_table(lower, upper, centers, block_bytes=2**14, **kw)
    assert linear._linear_boxes and not logs._linear_boxes
    assert linear.n_blocks > 3
    assert linear._n_kept_blocks == (linear.n_blocks if kept else 0)
    np.testing.assert_allclose(linear.log_scale, logs.log_scale, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(linear._kept, logs._kept, rtol=1e-12, atol=1e-300)
    logits = np.random.default_rng(1).normal(size=centers.shape)
    for b in range(linear.n_blocks):
        rows = linear.block_row_index(b)
        grad_linear = np.empty((np.size(logits[rows]) // centers.shape[1], 8))
        grad_logs = np.empty_like(grad_linear)
        loss_linear = linear.block_loss(b, logits[rows], grad=grad_linear)
        loss_logs = logs.block_loss(b, logits[rows], grad=grad_logs)
        np.testing.assert_allclose(loss_linear, loss_logs, rtol=1e-12)
        np.testing.assert_allclose(grad_linear, grad_logs, rtol=1e-10, atol=1e-14)
