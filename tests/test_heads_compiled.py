"""The compiled loss of the location-scale heads against NumPy's.

``skkdece._heads`` (src/skkdece/_heads.c, built at install) computes the
heads' loss and gradient for the gaussian and the exponential kernel, on
the line and (the location head alone) on a circle, and for the von Mises
kernel, the compact kernels and the wrapped gaussian's Fourier series on a
circle, point targets and interval targets under the cross-entropy, with an
exponential of its own.
:func:`~skkdece._location_scale.location_scale_loss` is the reference: these
tests compare the two term by term, where targets lie far from every center,
where logits overflow, where a scale leaves the double range, where a
circle's images matter, and through the table that the objective calls.

The row loops are compiled for vectors of two, four and eight doubles; the
tests that take the ``at_width`` fixture run at every width this processor
runs (``skkdece._heads.WIDTHS``).
"""

import math
import os
import sys
import types
import warnings

import numpy as np
import pytest

from skkdece import SoftmaxKDERegressor, _location_scale
from skkdece._compiled import usable
from skkdece._location_scale import LocationScaleTable, location_scale_loss
from skkdece._tables._quadrature import quadrature_nodes

heads = _location_scale._heads
compiled = pytest.mark.skipif(heads is None, reason="skkdece._heads not built")
_LOOPS = ("point_loss", "interval_loss", "panel_loss", "vector_exp", "vector_log")


class _AtWidth:
    """The compiled module, its loops called at one vector width."""

    def __init__(self, module, width):
        self.module, self.width = module, width

    def __getattr__(self, name):
        found = getattr(self.module, name)
        if name not in _LOOPS:
            return found
        # (period, images, kernel code) come after the width.
        return lambda *arguments, circle=(): found(*arguments, self.width, *circle)


@pytest.fixture(params=heads.WIDTHS if heads is not None else [0])
def at_width(request, monkeypatch):
    """Every width this processor runs: this module's ``heads`` calls the
    loops at it, and so does the table (``_location_scale._HEADS_WIDTH``).
    """
    width = request.param
    if heads is not None:
        monkeypatch.setattr(sys.modules[__name__], "heads", _AtWidth(heads, width))
        monkeypatch.setattr(_location_scale, "_HEADS_WIDTH", width)
    return width


def test_compiled_loss_is_built_where_ci_requires_it():
    # .ci/run sets this: an install that silently fell back to NumPy would
    # pass every other test and lose the heads' speed.
    if os.environ.get("SKKDECE_REQUIRE_COMPILED") != "1":
        pytest.skip("SKKDECE_REQUIRE_COMPILED is not set")
    assert heads is not None


@compiled
def test_the_widest_vectors_the_processor_runs_are_the_default():
    assert heads.WIDTHS[0] == 2 and set(heads.WIDTHS) <= {2, 4, 8}
    assert list(heads.WIDTHS) == sorted(heads.WIDTHS)
    assert heads.WIDTH == heads.WIDTHS[-1]
    if os.environ.get("SKKDECE_REQUIRE_COMPILED") == "1" and _has_avx512():
        assert heads.WIDTH == 8  # CI's processors
    x, out = np.array([0.0, 1.0, -2.0]), np.empty(3)
    for width in (1, 3, 16, -2):
        with pytest.raises(ValueError, match=f"one of WIDTHS .*, not {width}$"):
            heads.vector_exp(x, out, width)
    for width in (0, *heads.WIDTHS):
        heads.vector_exp(x, out, width)
        np.testing.assert_allclose(out, np.exp(x), rtol=1e-15)
    # Width 0 is WIDTH, bit for bit (the widths' lane sums differ).
    rng = np.random.default_rng(13)
    n, M = 37, 11
    outputs, centers, bandwidth = _rows(rng, n, M)
    target = rng.normal(size=n)
    args = (centers, 0.5 / bandwidth**2, np.log(bandwidth), M, M + 1, np.ones(n))
    by_width = {}
    for width in (0, heads.WIDTH):
        loss, grad = np.empty(n), np.empty_like(outputs)
        heads.point_loss(outputs, target, *args, loss, grad, width)
        by_width[width] = (loss, grad)
    np.testing.assert_array_equal(by_width[0][0], by_width[heads.WIDTH][0])
    np.testing.assert_array_equal(by_width[0][1], by_width[heads.WIDTH][1])


@compiled
@pytest.mark.parametrize(
    "targets, options",
    [("points", {}), ("intervals", {}), ("intervals", dict(n_quadrature=5))],
)
def test_the_table_calls_the_loss_at_the_chosen_width(monkeypatch, targets, options):
    # _HEADS_WIDTH reaches point_loss, panel_loss and interval_loss: a width
    # no processor runs is refused by each.
    rng = np.random.default_rng(14)
    n, M = 30, 6
    lower = rng.normal(size=n)
    upper = lower + (0.4 if targets == "intervals" else 0.0)
    table = LocationScaleTable(
        lower,
        upper,
        np.linspace(-2, 2, M),
        kernel="gaussian",
        bandwidth=0.4,
        **options,
    )
    outputs = 0.1 * rng.normal(size=(n, table.n_centers))
    monkeypatch.setattr(_location_scale, "_HEADS_WIDTH", 3)
    with pytest.raises(ValueError, match="one of WIDTHS .*, not 3$"):
        _table_loss(table, outputs, np.ones(n))


def _has_avx512():
    try:
        with open("/proc/cpuinfo") as info:
            return " avx512f" in info.read()
    except OSError:
        return False


@compiled
@pytest.mark.parametrize("M", [3, 32])
def test_the_widths_agree_to_rounding(M):
    # Each width sums its lanes in its own order: the same loss to rounding.
    rng = np.random.default_rng(11)
    n = 101
    outputs, centers, bandwidth = _rows(rng, n, M)
    target = 2.0 * rng.normal(size=n)
    args = (centers, 0.5 / bandwidth**2, np.log(bandwidth), M, M + 1, np.ones(n))
    results = []
    for width in heads.WIDTHS:
        loss, grad = np.empty(n), np.empty_like(outputs)
        heads.point_loss(outputs, target, *args, loss, grad, width)
        results.append((loss, grad))
    for loss, grad in results[1:]:
        np.testing.assert_allclose(loss, results[0][0], rtol=1e-13)
        np.testing.assert_allclose(grad, results[0][1], rtol=1e-11, atol=1e-14)


def test_a_build_of_another_version_is_set_aside_with_a_warning():
    stale = types.SimpleNamespace(API_VERSION=0, __file__="/old/skkdece/_heads.so")
    api = _location_scale._HEADS_API
    with pytest.warns(RuntimeWarning, match=rf"loss .*API_VERSION 0, not {api}"):
        assert usable(stale, api, "loss", "NumPy") is None
    assert usable(None, api, "loss", "NumPy") is None
    if heads is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert usable(heads, api, "loss", "NumPy") is heads


def _libm(function, x):
    """The C library's ``function`` (through :mod:`math`) of every value:
    NumPy's own SIMD loops differ from it, and from version to version.
    """

    def one(v):
        try:
            return function(v)
        except OverflowError:
            return math.inf

    return np.array([one(float(v)) for v in x])


@compiled
def test_exponential_is_within_two_units_in_the_last_place(at_width):
    x = np.concatenate(
        [
            np.linspace(-1200.0, 720.0, 200_001),
            np.random.default_rng(0).normal(scale=30.0, size=10_001),
            [-745.13, -745.14, -708.4, 709.78, 709.79, 0.0, -0.0],
        ]
    )
    out = np.empty_like(x)
    heads.vector_exp(x, out)
    exact = _libm(math.exp, x)
    normal = np.isfinite(exact) & (exact >= np.finfo(float).tiny)
    relative = np.abs(out[normal] - exact[normal]) / exact[normal]
    assert relative.max() <= 2.0 * np.finfo(float).eps
    # Gradual underflow: subnormal results within one step of the smallest
    # subnormal; zero and infinity exactly where the C library has them.
    subnormal = ~normal & np.isfinite(exact)
    assert np.count_nonzero(subnormal & (exact > 0)) > 1000
    assert np.all(np.abs(out[subnormal] - exact[subnormal]) <= 5e-324)
    assert np.array_equal(out[exact == 0.0], exact[exact == 0.0])
    assert np.all(out[exact == np.inf] == np.inf)
    special = np.array([np.nan, -np.inf, np.inf])
    out = np.empty(3)
    heads.vector_exp(special, out)
    assert np.isnan(out[0]) and out[1] == 0.0 and out[2] == np.inf


@compiled
def test_two_and_four_lanes_exponential_is_within_one_unit_in_the_last_place(
    at_width,
):
    # Two and four lanes read 2^(j/64) from a table (eight keep the longer
    # polynomial): within one unit of the C library's, subnormals included.
    if at_width == 8:
        pytest.skip("eight lanes: the polynomial, within two units")
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            np.linspace(-760.0, 715.0, 300_001),
            rng.uniform(-1.0, 1.0, size=100_000),
            # Each of the 64 table entries, at and beside its nodes.
            np.ravel(
                np.arange(-64 * 20, 64 * 20)[:, None] * (np.log(2.0) / 64.0)
                + np.array([-1e-3, 0.0, 1e-3])
            ),
        ]
    )
    out = np.empty_like(x)
    heads.vector_exp(x, out)
    exact = _libm(math.exp, x)
    finite = np.isfinite(exact) & (exact > 0.0)
    assert np.all(np.abs(out[finite] - exact[finite]) <= np.spacing(exact[finite]))
    assert np.array_equal(out[~finite], exact[~finite])


@compiled
def test_exponential_lanes_in_and_out_of_the_normal_range_together(at_width):
    # One vector may hold normal results beside subnormal ones, zeros,
    # infinities and NaN: each lane as if alone.
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.uniform(-5.0, 5.0, size=4000),
            rng.uniform(-760.0, -700.0, size=2000),
            rng.uniform(705.0, 720.0, size=1000),
            [-np.inf, np.inf, np.nan, -1e300, 1e300] * 50,
        ]
    )
    x = rng.permutation(values)
    out = np.empty_like(x)
    heads.vector_exp(x, out)
    # Each value alone, in a vector of copies of itself.
    alone = np.empty_like(x)
    for k in range(x.shape[0]):
        copies, result = np.full(8, x[k]), np.empty(8)
        heads.vector_exp(copies, result)
        alone[k] = result[0]
    np.testing.assert_array_equal(out, alone)
    exact = _libm(math.exp, x)
    close = np.isfinite(exact) & (exact >= np.finfo(float).tiny)
    np.testing.assert_allclose(out[close], exact[close], rtol=2 * np.finfo(float).eps)
    assert np.array_equal(np.isnan(out), np.isnan(x))


@compiled
def test_logarithm_is_within_two_units_in_the_last_place(at_width):
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            np.exp(rng.uniform(-700.0, 700.0, size=100_000)),
            np.linspace(1.0, 65.0, 100_001),  # the loss's sums lie in [1, M]
            np.nextafter(np.sqrt(2.0), [0.0, 3.0]),
            [0.5, 2.0, np.finfo(float).tiny, np.finfo(float).max],
        ]
    )
    out = np.empty_like(x)
    heads.vector_log(x, out)
    exact = _libm(math.log, x)
    error = np.abs(out - exact)
    assert np.all(error <= 2.0 * np.finfo(float).eps * np.maximum(np.abs(exact), 0.5))
    assert out[np.flatnonzero(x == 1.0)] == 0.0
    # Not positive normal numbers: the C library's log, lane by lane.
    special = np.array([0.0, -1.0, np.inf, np.nan, 5e-324, 1e-310, 1.0, 3.0])
    out = np.empty_like(special)
    heads.vector_log(special, out)
    expected = [-np.inf, np.nan, np.inf, np.nan, math.log(5e-324), math.log(1e-310)]
    np.testing.assert_array_equal(out[:6], expected)
    assert out[6] == 0.0
    assert out[7] == pytest.approx(math.log(3.0), rel=2.0 * np.finfo(float).eps)


def _rows(rng, n, M, *, spread=2.0):
    """Outputs (logits, mu, log s), centers and per-center bandwidths."""
    centers = np.sort(rng.normal(size=M))
    bandwidth = rng.uniform(0.1, 0.5, size=M)
    outputs = np.column_stack(
        [
            spread * rng.normal(size=(n, M)),
            rng.normal(size=n),
            0.5 * rng.normal(size=n),
        ]
    )
    return outputs, centers, bandwidth


def _reference(outputs, lower, upper, centers, bandwidth, weight, location, scale):
    """NumPy's loss and the gradient laid out as the compiled loss writes it."""
    M = centers.shape[0]
    n = outputs.shape[0]
    mu = outputs[:, M] if location else np.zeros(n)
    log_s = outputs[:, M + 1] if scale else np.zeros(n)
    with np.errstate(all="ignore"):
        loss, g, g_mu, g_log_s = location_scale_loss(
            outputs[:, :M],
            mu,
            log_s,
            lower,
            upper,
            centers,
            kernel="gaussian",
            bandwidth=bandwidth,
            weight=weight,
        )
    grad = np.full_like(outputs, -7.0)  # columns of heads that are off stay
    grad[:, :M] = g
    if location:
        grad[:, M] = g_mu
    if scale:
        grad[:, M + 1] = g_log_s
    return loss, grad


def _columns(M, location, scale):
    return (M if location else -1, M + 1 if scale else -1)


def _precision(bandwidth, circle):
    """The compiled loss's per-center precision: 1 / 2h^2, or 1 / h for the
    exponential kernel (``circle`` ``(0, 0, 1)``)."""
    return 1.0 / bandwidth if circle[2:] == (1,) else 0.5 / bandwidth**2


def _point(outputs, target, centers, bandwidth, weight, columns, grad=True, circle=()):
    """The compiled loss of point targets: ``(loss, grad)``; the columns of
    heads that are off keep the gradient's fill, -7.  ``circle``: a circle's
    ``(period, images)``, or ``(0, 0, 1)`` for the exponential kernel.
    """
    loss = np.empty(outputs.shape[0])
    out = np.full_like(outputs, -7.0) if grad else None
    heads.point_loss(
        outputs,
        target,
        centers,
        _precision(bandwidth, circle),
        np.log(bandwidth),
        *columns,
        weight,
        loss,
        out,
        circle=circle,
    )
    return loss, out


def _assert_close(loss, grad, ref_loss, ref_grad):
    np.testing.assert_array_equal(np.isfinite(loss), np.isfinite(ref_loss))
    finite = np.isfinite(ref_loss)
    np.testing.assert_allclose(loss[finite], ref_loss[finite], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12)


HEADS = [(True, True), (True, False), (False, True), (False, False)]


@compiled
@pytest.mark.parametrize("M", [1, 5, 8, 30, 32, 64])
@pytest.mark.parametrize("location, scale", HEADS)
def test_point_loss_is_numpys(at_width, M, location, scale):
    rng = np.random.default_rng(M)
    n = 203  # not a multiple of any vector width
    outputs, centers, bandwidth = _rows(rng, n, M)
    target = 2.0 * rng.normal(size=n)
    target[:7] += 300.0  # hundreds of bandwidths from every center
    target[7:10] -= 500.0
    weight = rng.uniform(0.1, 2.0, size=n)
    columns = _columns(M, location, scale)
    loss, grad = _point(outputs, target, centers, bandwidth, weight, columns)
    ref = _reference(
        outputs, target, target, centers, bandwidth, weight, location, scale
    )
    assert np.all(loss[:10] > 1e4)  # far: large, exact, finite
    _assert_close(loss, grad, *ref)
    alone, _ = _point(outputs, target, centers, bandwidth, weight, columns, False)
    np.testing.assert_array_equal(alone, loss)


def _by_nodes(outputs, lo, hi, centers, bandwidth, weight, columns, circle=()):
    """The compiled loss of standardised intervals at quadrature_nodes'
    nodes: ``(loss, grad)``, the gradient's fill -7 where a head is off.
    ``circle``: a circle's ``(period, images)``, or ``(0, 0, 1)`` for the
    exponential kernel.
    """
    period = circle[0] if circle[:1] and circle[0] > 0 else None
    kernel = "exponential" if circle[2:] == (1,) else "gaussian"
    constants = (_precision(bandwidth, circle), np.log(bandwidth))
    nodes = dict(kernel=kernel, bandwidth=bandwidth, period=period)
    return _at_nodes(
        outputs, lo, hi, centers, nodes, constants, columns, weight, circle
    )


def _at_nodes(outputs, lo, hi, centers, nodes, constants, columns, weight, circle):
    """interval_loss at the nodes quadrature_nodes places with the keywords
    ``nodes``, the row loops' per-center ``constants``: ``(loss, grad)``,
    the gradient's fill -7."""
    quad = quadrature_nodes(lo, hi, centers, **nodes)
    loss = np.empty(outputs.shape[0])
    grad = np.full_like(outputs, -7.0)
    heads.interval_loss(
        outputs,
        lo,
        hi,
        quad.nodes,
        quad.weights,
        quad.row_ptr.astype(np.int64),
        centers,
        *constants,
        *columns,
        weight,
        loss,
        grad,
        circle=circle,
    )
    return loss, grad


def _interval_call(outputs, lower, upper, centers, bandwidth, weight, location, scale):
    M = centers.shape[0]
    mu = outputs[:, M] if location else 0.0
    s = np.exp(outputs[:, M + 1]) if scale else 1.0
    lo, hi = (lower - mu) / s, (upper - mu) / s
    columns = _columns(M, location, scale)
    return _by_nodes(outputs, lo, hi, centers, bandwidth, weight, columns)


@compiled
@pytest.mark.parametrize("M", [1, 7, 32])
@pytest.mark.parametrize("location, scale", HEADS)
def test_interval_loss_is_numpys(at_width, M, location, scale):
    rng = np.random.default_rng(100 + M)
    n = 61
    outputs, centers, bandwidth = _rows(rng, n, M)
    lower = 2.0 * rng.normal(size=n)
    upper = lower + rng.uniform(1e-3, 1.5, size=n)
    lower[:4] += 300.0  # far, narrow and wide
    upper[:4] += 300.0
    upper[4] = lower[4] + 1e-9
    weight = rng.uniform(0.1, 2.0, size=n)
    loss, grad = _interval_call(
        outputs, lower, upper, centers, bandwidth, weight, location, scale
    )
    ref_loss, ref_grad = _reference(
        outputs, lower, upper, centers, bandwidth, weight, location, scale
    )
    assert np.all(np.isfinite(loss)) and np.all(loss[:4] > 1e4)
    # The heads' gradients are difference quotients of log q over the
    # interval: on a width of 1e-9 both lose about eps / 1e-9 to rounding.
    np.testing.assert_allclose(grad[4], ref_grad[4], rtol=1e-5)
    grad[4] = ref_grad[4]
    _assert_close(loss, grad, ref_loss, ref_grad)


@compiled
def test_logits_spread_beyond_the_double_range_take_their_maximum(at_width):
    # The first logit is the softmax's shift unless the sum overflows.
    rng = np.random.default_rng(3)
    n, M = 24, 16
    outputs, centers, bandwidth = _rows(rng, n, M)
    outputs[:, 5] += 900.0  # exp(900 - l_0) overflows
    outputs[::3, 0] += 1200.0  # the first is the largest by far
    target = rng.normal(size=n)
    weight = np.ones(n)
    loss, grad = _point(outputs, target, centers, bandwidth, weight, (M, M + 1))
    ref = _reference(outputs, target, target, centers, bandwidth, weight, True, True)
    _assert_close(loss, grad, *ref)
    lower, upper = target, target + 0.4
    loss, grad = _interval_call(outputs, lower, upper, centers, bandwidth, weight, 1, 1)
    ref = _reference(outputs, lower, upper, centers, bandwidth, weight, True, True)
    _assert_close(loss, grad, *ref)


@compiled
def test_rows_without_a_finite_loss_get_infinity_and_no_gradient(at_width):
    rng = np.random.default_rng(4)
    n, M = 10, 6
    outputs, centers, bandwidth = _rows(rng, n, M)
    outputs[0, M + 1] = -800.0  # s = exp(-800) = 0: z infinite
    outputs[1, M + 1] = 800.0  # s infinite: every target at z = 0
    outputs[2, M] = np.inf
    target = rng.normal(size=n)
    target[3] = np.nan
    loss = np.empty(n)
    grad = np.full_like(outputs, -7.0)
    args = (centers, 0.5 / bandwidth**2, np.log(bandwidth), M, M + 1)
    heads.point_loss(outputs, target, *args, np.ones(n), loss, grad)
    bad = [0, 2, 3]
    assert np.all(loss[bad] == np.inf)
    assert np.all(grad[bad] == 0.0)
    ok = np.setdiff1d(np.arange(n), bad)
    assert np.all(np.isfinite(loss[ok])) and np.all(np.isfinite(grad[ok]))
    # Row 1: a loss of about log s, with every gradient finite.
    assert loss[1] == pytest.approx(800.0 + 0.5 * np.log(2 * np.pi), rel=0.01)


@compiled
def test_a_row_has_the_same_result_in_any_block(at_width):
    rng = np.random.default_rng(5)
    n, M = 1000, 32  # several batches of 256 rows
    outputs, centers, bandwidth = _rows(rng, n, M)
    target = rng.normal(size=n)
    weight = rng.uniform(size=n)
    args = (centers, 0.5 / bandwidth**2, np.log(bandwidth), M, M + 1)
    whole, whole_grad = np.empty(n), np.empty_like(outputs)
    heads.point_loss(outputs, target, *args, weight, whole, whole_grad)
    for start, stop in [(0, 3), (3, 50), (50, 255), (255, 513), (513, 999), (999, n)]:
        part, part_grad = np.empty(stop - start), np.empty((stop - start, M + 2))
        heads.point_loss(
            outputs[start:stop],
            target[start:stop],
            *args,
            weight[start:stop],
            part,
            part_grad,
        )
        np.testing.assert_array_equal(part, whole[start:stop])
        np.testing.assert_array_equal(part_grad, whole_grad[start:stop])


_NATIVE = "<" if np.little_endian else ">"
_FOREIGN = np.dtype("f8").newbyteorder(">" if np.little_endian else "<")


@compiled
def test_arrays_that_name_the_native_byte_order_are_read(at_width):
    # Arrays rebuilt from bytes (pickle, Dask) may spell their format "<d".
    n, M = 9, 4
    native = np.dtype("f8").newbyteorder(_NATIVE)
    rng = np.random.default_rng(9)
    outputs, centers, bandwidth = _rows(rng, n, M)
    target = rng.normal(size=n)
    assert memoryview(centers.astype(native)).format[0] == _NATIVE
    plain = _point(outputs, target, centers, bandwidth, np.ones(n), (M, M + 1))
    spelled = _point(
        outputs.astype(native),
        target.astype(native),
        centers.astype(native),
        bandwidth,
        np.ones(n).astype(native),
        (M, M + 1),
    )
    np.testing.assert_array_equal(plain[0], spelled[0])
    np.testing.assert_array_equal(plain[1], spelled[1])


@compiled
@pytest.mark.parametrize(
    "change, message",
    [
        (dict(outputs=np.zeros((5, 8), dtype=np.float32)), "outputs must be"),
        (dict(outputs=np.zeros((5, 8))[:, ::2]), "C-contiguous"),
        (dict(targets=np.zeros(4)), "shapes do not match"),
        (dict(log_h=np.zeros(3)), "shapes do not match"),
        (dict(mu_column=2), "heads' columns must follow"),
        (dict(log_s_column=8), "heads' columns must follow"),
        (dict(grad=np.zeros((5, 7))), "shapes do not match"),
        (dict(loss=np.zeros(5).view(np.int64)), "loss must be"),
        # The other byte order is not float64 to C.
        (dict(centers=np.zeros(4, dtype=_FOREIGN)), "centers must be a 1-D float64"),
    ],
)
def test_bad_arguments_are_refused(change, message):
    arguments = dict(
        outputs=np.zeros((5, 6)),
        targets=np.zeros(5),
        centers=np.zeros(4),
        half_precision=np.ones(4),
        log_h=np.zeros(4),
        mu_column=4,
        log_s_column=5,
        weight=np.ones(5),
        loss=np.zeros(5),
        grad=np.zeros((5, 6)),
    )
    arguments.update(change)
    with pytest.raises((TypeError, ValueError), match=message):
        heads.point_loss(*arguments.values())


@compiled
def test_interval_row_pointers_are_checked():
    n, M = 3, 4
    args = [np.zeros((n, M + 2)), np.zeros(n), np.ones(n), np.zeros(5), np.ones(5)]
    tail = [np.zeros(M), np.ones(M), np.zeros(M), M, M + 1, np.ones(n)]
    for row_ptr in ([0, 2, 2, 5], [0, 2, 4, 6], [1, 2, 3, 5]):
        with pytest.raises(ValueError, match="row_ptr must rise"):
            heads.interval_loss(
                *args, np.array(row_ptr), *tail, np.zeros(n), np.zeros((n, M + 2))
            )
    with pytest.raises(TypeError, match="row_ptr must be a 1-D int64"):
        heads.interval_loss(
            *args, np.array([0, 1, 2, 5.0]), *tail, np.zeros(n), np.zeros((n, M + 2))
        )


@compiled
@pytest.mark.parametrize("h", [0.05, 0.3, np.array([0.4, 0.2, 0.3])])
def test_panels_placed_in_c_are_the_quadratures_nodes(at_width, h):
    # panel_loss places the automatic rule's nodes itself: the losses must
    # equal interval_loss's with quadrature_nodes' nodes bit for bit, also
    # where a width is a whole number of bandwidths (a panel more or less).
    rng = np.random.default_rng(10)
    M = np.size(h) if np.ndim(h) else 5
    n = 400
    outputs, centers, _ = _rows(rng, n, M)
    bandwidth = np.broadcast_to(h, (M,)).astype(float)
    finest = float(np.min(bandwidth))
    lo = rng.normal(size=n)
    widths = np.concatenate(
        [
            finest * np.arange(1, 41),  # whole numbers of bandwidths
            finest * np.arange(1, 41) * (1 + 1e-12),
            finest * rng.uniform(0, 60, size=n - 83),
            [0.0, 1e-300, 2047.0 * finest],
        ]
    )
    hi = lo + widths
    weight = rng.uniform(0.5, 1.5, size=n)
    by_nodes = _by_nodes(outputs, lo, hi, centers, bandwidth, weight, (M, M + 1))
    kernels = (centers, 0.5 / bandwidth**2, np.log(bandwidth), M, M + 1, weight)
    by_panels = np.empty(n), np.empty_like(outputs)
    heads.panel_loss(
        outputs, lo, hi, finest, *_location_scale._panel_rules(), *kernels, *by_panels
    )
    np.testing.assert_array_equal(by_panels[0], by_nodes[0])
    np.testing.assert_array_equal(by_panels[1], by_nodes[1])


@compiled
def test_panel_arguments_are_checked():
    n, M = 3, 4
    rules = _location_scale._panel_rules()
    head = (np.zeros((n, M + 2)), np.zeros(n), np.ones(n))
    tail = (np.zeros(M), np.ones(M), np.zeros(M), M, M + 1, np.ones(n))
    out = (np.zeros(n), np.zeros((n, M + 2)))
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        heads.panel_loss(*head, 0.0, *rules, *tail, *out)
    with pytest.raises(ValueError, match=r"rules \(11, 10\)"):
        heads.panel_loss(*head, 0.1, rules[0][:8], rules[1], *tail, *out)
    far = (head[0], head[1], np.full(n, 300.0))
    with pytest.raises(ValueError, match="more than 2048 bandwidths"):
        heads.panel_loss(*far, 0.1, *rules, *tail, *out)


def _table_loss(table, outputs, sw, with_grad=True):
    grad = np.full_like(outputs, np.nan) if with_grad else None
    losses = []
    for b in range(table.n_blocks):
        rows = table.block_row_index(b)
        part = None if grad is None else grad[rows]
        losses.append(table.block_loss(b, outputs[rows], sw[rows], grad=part))
    return np.concatenate(losses), grad


TABLE_CASES = [
    # (targets, rows, table options)
    ("points", 300, {}),
    ("intervals", 300, {}),
    ("mixed", 300, {}),
    ("mixed", 5000, {}),  # several blocks
    ("mixed", 300, dict(n_quadrature=5)),  # nodes from quadrature_nodes
    ("mixed", 300, dict(bandwidth=np.linspace(0.2, 0.5, 12))),
    ("points", 300, dict(loss="interval_likelihood")),
]


@compiled
@pytest.mark.parametrize("targets, n, options", TABLE_CASES)
@pytest.mark.parametrize("location, scale", HEADS[:3])
def test_table_gives_numpys_loss_with_the_compiled_loss(
    at_width, monkeypatch, targets, n, options, location, scale
):
    rng = np.random.default_rng(6)
    M = 12
    centers = np.linspace(-2.0, 2.0, M)
    lower = rng.normal(size=n)
    width = {"points": 0.0, "intervals": 0.5, "mixed": 0.5 * (rng.random(n) < 0.5)}
    upper = lower + width[targets] * rng.uniform(size=n)
    H = location + scale
    outputs = rng.normal(size=(n, M + H))
    if targets != "points":
        upper[7] = lower[7] + 0.5
        if scale:
            outputs[7, M + location] = -20.0  # stretched beyond reach: infinite
            outputs[8, M + location] = 800.0  # s overflows: a point at z = 0
        if location:
            # One ulp of 1e17 is lost in (t - 1e20): a point, as in NumPy.
            lower[9], upper[9] = 1e17, 1e17 + 16.0
            outputs[9, M] = 1e20
    sw = rng.uniform(0.5, 1.5, size=n)
    kw = dict(kernel="gaussian", bandwidth=0.35, location=location, scale=scale)
    kw.update(options)
    table = LocationScaleTable(lower, upper, centers, **kw)
    # No np.errstate here: the compiled path must not warn (RuntimeWarnings
    # are errors in the tests).
    fast, fast_grad = _table_loss(table, outputs, sw)
    alone, _ = _table_loss(table, outputs, sw, with_grad=False)
    np.testing.assert_array_equal(alone, fast)
    monkeypatch.setattr(_location_scale, "_heads", None)
    with np.errstate(all="ignore"):
        slow, slow_grad = _table_loss(table, outputs, sw)
    _assert_close(fast, fast_grad, slow, slow_grad)
    if targets != "points" and scale:
        assert fast[7] == np.inf and np.all(fast_grad[7] == 0.0)
    if targets != "points" and location:
        assert np.isfinite(fast[9]) and fast[9] > 1e30


@compiled
def test_a_rows_interval_loss_does_not_depend_on_memory_alignment(at_width):
    # NumPy 1.x's exp gives other last bits at other alignments; the table's
    # scales come from the compiled loss's exponential, so a row's result is
    # the same wherever its outputs lie in memory.
    rng = np.random.default_rng(15)
    n, M = 301, 9
    lower = rng.normal(size=n)
    upper = lower + 0.4 * rng.uniform(size=n)
    table = LocationScaleTable(
        lower, upper, np.linspace(-2, 2, M), kernel="gaussian", bandwidth=0.3
    )
    outputs = rng.normal(size=(n, table.n_centers))
    outputs[:, -1] *= 3.0  # log scales over [-9, 9]
    sw = np.ones(n)
    reference, reference_grad = _table_loss(table, outputs, sw)
    for offset in range(1, 8):
        memory = np.empty(outputs.size + 8)
        moved = memory[offset : offset + outputs.size].reshape(outputs.shape)
        moved[...] = outputs
        loss, grad = _table_loss(table, moved, sw)
        np.testing.assert_array_equal(loss, reference)
        np.testing.assert_array_equal(grad, reference_grad)


@compiled
@pytest.mark.parametrize("placed", [False, True])
def test_interval_rows_without_a_finite_loss_get_infinity_and_no_gradient(
    at_width, placed
):
    rng = np.random.default_rng(12)
    n, M = 6, 9
    outputs, centers, bandwidth = _rows(rng, n, M)
    outputs[0, 3] = np.nan  # a logit
    outputs[1, :] = np.inf
    lo = rng.normal(size=n)
    hi = lo + 0.3
    lo[2] = hi[2] = 1e200  # a point whose square overflows
    hi[3] = np.nan
    weight = np.ones(n)
    if placed:
        loss, grad = np.empty(n), np.full_like(outputs, -7.0)
        h = float(np.min(bandwidth))
        kernels = (centers, 0.5 / bandwidth**2, np.log(bandwidth), M, M + 1)
        rules = _location_scale._panel_rules()
        heads.panel_loss(outputs, lo, hi, h, *rules, *kernels, weight, loss, grad)
    else:
        with np.errstate(invalid="ignore"):
            loss, grad = _by_nodes(
                outputs, lo, hi, centers, bandwidth, weight, (M, M + 1)
            )
    bad = [0, 1, 2, 3]
    assert np.all(loss[bad] == np.inf)
    assert np.all(grad[bad] == 0.0)  # zeros, not NaN
    assert np.all(np.isfinite(loss[4:])) and np.all(np.isfinite(grad[4:]))


@compiled
@pytest.mark.parametrize(
    "options",
    [
        dict(loss="interval_likelihood"),
        # A compact kernel wider than the period.
        dict(kernel="epanechnikov", period=2 * np.pi, scale=False, bandwidth=7.0),
        # Wrapped gaussians some narrower, some wider than a third of the
        # period: images for the ones, a Fourier series for the others.
        dict(
            kernel="gaussian",
            period=2 * np.pi,
            scale=False,
            bandwidth=np.linspace(0.5, 2.5, 6),
        ),
    ],
)
def test_other_losses_and_kernels_keep_the_numpy_loss(monkeypatch, options):
    # The compiled loss covers the gaussian (on a circle its images, or its
    # series where every kernel is wider than a third of the period), the
    # exponential kernel, the von Mises kernel, the compact kernels on a
    # circle (narrower than the period) and the cross-entropy of intervals;
    # anything else must not reach it.
    calls = []
    stub = types.SimpleNamespace(
        point_loss=lambda *a: calls.append("point"),
        interval_loss=lambda *a: calls.append("interval"),
        panel_loss=lambda *a: calls.append("panel"),
    )
    monkeypatch.setattr(_location_scale, "_heads", stub)
    rng = np.random.default_rng(7)
    n, M = 40, 6
    lower = rng.uniform(0.5, 2.5, size=n)
    upper = lower + 0.3
    kw = dict(kernel="gaussian", bandwidth=0.4, location=True, scale=True)
    kw.update(options)
    table = LocationScaleTable(lower, upper, np.linspace(0, 3, M), **kw)
    outputs = 0.1 * rng.normal(size=(n, table.n_centers))
    with np.errstate(all="ignore"):
        loss, _ = _table_loss(table, outputs, np.ones(n))
    assert calls == [] and np.all(np.isfinite(loss))


@compiled
@pytest.mark.parametrize("targets", ["points", "intervals"])
def test_a_fit_with_the_compiled_loss_is_the_numpy_fit(monkeypatch, targets):
    # The defaults stop early, after some twenty iterations: the two losses'
    # rounding differences do not grow into different iterates by then.
    rng = np.random.default_rng(8)
    n = 1500
    X = rng.uniform(-1, 1, size=(n, 3))
    y = X[:, 0] + 0.3 * np.exp(0.5 * X[:, 1]) * rng.normal(size=n)
    if targets == "intervals":
        y = np.column_stack([y - 0.1, y + 0.1])
    params = dict(location="linear", scale="linear")
    fast = SoftmaxKDERegressor(**params).fit(X, y)
    monkeypatch.setattr(_location_scale, "_heads", None)
    slow = SoftmaxKDERegressor(**params).fit(X, y)
    # (Here the same iterates to 1e-10; the losses' last bits differ from
    # one processor to another, so an iteration more or less is allowed.)
    assert abs(fast.n_iter_ - slow.n_iter_) <= 2
    assert fast.score(X, y) == pytest.approx(slow.score(X, y), rel=1e-6)
    for name in ("location_coef_", "scale_coef_", "scale_intercept_"):
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-4, atol=1e-6
        )


# ---------------------------------------------------------------- the circle
# On a circle the compiled loss wraps each offset into [-P/2, P/2] and adds
# the wrapped gaussian's images where they matter; NumPy's loss (which wraps
# and sums the images of every offset) is the reference, for the location
# head alone (a rotation: the scale does not stretch a period).

_P = 2.0 * np.pi


def _assert_table_is_numpys(monkeypatch, table, outputs, sw):
    """The table's loss and gradient, compiled, against NumPy's."""
    fast, fast_grad = _table_loss(table, outputs, sw)
    monkeypatch.setattr(_location_scale, "_heads", None)
    with np.errstate(all="ignore"):
        slow, slow_grad = _table_loss(table, outputs, sw)
    _assert_close(fast, fast_grad, slow, slow_grad)


def _assert_fit_is_numpys(monkeypatch, X, y, params, names):
    """A fit with the compiled loss against one with NumPy's: the same
    iterations (to one or two: the losses' last bits differ between
    processors), score and fitted ``names``."""
    fast = SoftmaxKDERegressor(**params).fit(X, y)
    monkeypatch.setattr(_location_scale, "_heads", None)
    with np.errstate(all="ignore"):
        slow = SoftmaxKDERegressor(**params).fit(X, y)
    assert abs(fast.n_iter_ - slow.n_iter_) <= 2
    assert fast.score(X, y) == pytest.approx(slow.score(X, y), rel=1e-6)
    for name in names:
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-4, atol=1e-6
        )


def _circle_reference(
    outputs, lower, upper, centers, bandwidth, weight, location, kernel="gaussian"
):
    M = centers.shape[0]
    n = outputs.shape[0]
    mu = outputs[:, M] if location else np.zeros(n)
    with np.errstate(all="ignore"):
        loss, g, g_mu, _ = location_scale_loss(
            outputs[:, :M],
            mu,
            np.zeros(n),
            lower,
            upper,
            centers,
            kernel=kernel,
            bandwidth=bandwidth,
            period=_P,
            weight=weight,
        )
    grad = np.full_like(outputs, -7.0)
    grad[:, :M] = g
    if location:
        grad[:, M] = g_mu
    return loss, grad


def _images(bandwidth):
    shifts = _location_scale.image_shifts("gaussian", float(np.max(bandwidth)), _P)
    return (shifts.shape[0] - 1) // 2


def _circle_rows(rng, n, M, h):
    """Outputs (logits, mu), even centers on [0, P) and bandwidths (one per
    atom from 0.1 to 1.5 for ``h="mixed"``)."""
    centers = np.arange(M) * (_P / M)
    if isinstance(h, str):
        bandwidth = np.linspace(0.1, 1.5, M)
    else:
        bandwidth = np.full(M, h) if np.ndim(h) == 0 else np.asarray(h)
    outputs = np.column_stack([2.0 * rng.normal(size=(n, M)), 3.0 * rng.normal(size=n)])
    return outputs, centers, bandwidth


def _circle_kernel(kernel, bandwidth):
    """The row loops' per-center constants and (period, images, code)."""
    constants, shape = _location_scale._compiled_kernel(
        kernel, bandwidth, _P, bandwidth.shape[0]
    )
    assert constants is not None and shape[0] == _P
    return constants, shape


def _circle_point_and_numpys(
    outputs, target, centers, kernel, bandwidth, weight, location
):
    """The compiled loss of point targets on the circle (the location head in
    the last column, if on) and NumPy's: ``(loss, grad, ref_loss,
    ref_grad)``."""
    M, n = centers.shape[0], outputs.shape[0]
    (q, log_h), shape = _circle_kernel(kernel, bandwidth)
    loss, grad = np.empty(n), np.full_like(outputs, -7.0)
    columns = (M if location else -1, -1)
    heads.point_loss(
        outputs, target, centers, q, log_h, *columns, weight, loss, grad, circle=shape
    )
    ref_loss, ref_grad = _circle_reference(
        outputs, target, target, centers, bandwidth, weight, location, kernel
    )
    return loss, grad, ref_loss, ref_grad


def _assert_intervals_are_numpys(
    loss, grad, outputs, lower, upper, centers, bandwidth, weight, kernel
):
    """The compiled loss of intervals on the circle (the location head in
    the last column), finite and NumPy's to rounding."""
    ref_loss, ref_grad = _circle_reference(
        outputs, lower, upper, centers, bandwidth, weight, True, kernel
    )
    assert np.all(np.isfinite(loss))
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12)


# The kernels a circle compiles, with bandwidths that give the gaussian one
# to three images each side (the exponential kernel sums its own in closed
# form; the von Mises kernel is periodic itself).
CIRCLE_KERNELS = [
    (kernel, h)
    for kernel in ("gaussian", "exponential", "vonmises")
    for h in (0.05, 0.3, 1.2, 2.0, "mixed")
]


@compiled
@pytest.mark.parametrize("M", [1, 8, 13, 32])
@pytest.mark.parametrize("kernel, h", CIRCLE_KERNELS)
@pytest.mark.parametrize("location", [True, False])
def test_circle_point_loss_is_numpys(at_width, M, kernel, h, location):
    rng = np.random.default_rng(M)
    n = 203
    outputs, centers, bandwidth = _circle_rows(rng, n, M, h)
    target = rng.uniform(-_P, 2 * _P, size=n)
    target[:5] += 1000.0 * _P  # angles given as far turns
    mu = outputs[:, M] if location else 0.0
    # Mass opposite the rotated target (where the images matter): every
    # third row's largest logit there.
    z = (target - mu)[::3]
    opposite = np.round(((z + 0.5 * _P) % _P) / (_P / M)).astype(int) % M
    outputs[np.arange(0, n, 3), opposite] += 40.0
    weight = rng.uniform(0.1, 2.0, size=n)
    (q, _), _ = _circle_kernel(kernel, bandwidth)
    loss, grad, ref_loss, ref_grad = _circle_point_and_numpys(
        outputs, target, centers, kernel, bandwidth, weight, location
    )
    assert np.all(np.isfinite(loss))
    # Wrapping an angle t - mu rounds it to an ulp of |t - mu| (the von Mises
    # kernel's half angle the same), which the loss magnifies by up to
    # P / 2h^2 near a center: the two losses may differ by that much (and
    # do, by 4e-11 for the gaussian at h = 0.05); the von Mises kernel's
    # sine of a difference loses a few ulp of kappa more.
    eps = np.finfo(float).eps
    h = np.min(bandwidth)
    rounding = 4.0 * eps * (np.abs(target - mu) + _P) * (0.5 * _P / h**2)
    if kernel == "vonmises":
        rounding += 16.0 * eps * np.max(q)
    np.testing.assert_array_less(
        np.abs(loss - ref_loss), 1e-12 * np.abs(ref_loss) + rounding
    )
    # The gradient's slope changes by up to 1 / h^2 per unit of angle.
    slope_rounding = 4.0 * eps * (np.abs(target - mu) + _P) / h**2 * weight
    np.testing.assert_array_less(
        np.abs(grad - ref_grad),
        1e-10 * np.abs(ref_grad) + 1e-12 + slope_rounding[:, None],
    )


@compiled
@pytest.mark.parametrize("kernel", ["gaussian", "exponential", "vonmises"])
@pytest.mark.parametrize("h", [0.05, 0.6, np.linspace(0.1, 1.5, 12)])
@pytest.mark.parametrize("placed", [False, True])
def test_circle_interval_loss_is_numpys(at_width, kernel, h, placed):
    if placed and kernel == "exponential":
        pytest.skip("the exponential kernel's kinks: its nodes are given")
    rng = np.random.default_rng(21)
    n, M = 61, 12
    outputs, centers, bandwidth = _circle_rows(rng, n, M, h)
    lower = rng.uniform(-_P, 2 * _P, size=n)
    upper = lower + rng.uniform(1e-3, 2.0, size=n)
    outputs[::4, 3] += 40.0  # mass far from some intervals
    weight = rng.uniform(0.1, 2.0, size=n)
    lo, hi = lower - outputs[:, M], upper - outputs[:, M]
    constants, shape = _circle_kernel(kernel, bandwidth)
    kernels = (centers, *constants, M, -1)
    loss, grad = np.empty(n), np.full_like(outputs, -7.0)
    if placed:
        h_min = float(np.min(bandwidth))
        rules = _location_scale._panel_rules()
        heads.panel_loss(
            outputs, lo, hi, h_min, *rules, *kernels, weight, loss, grad, circle=shape
        )
    else:
        quad = quadrature_nodes(
            lo, hi, centers, kernel=kernel, bandwidth=bandwidth, period=_P
        )
        nodes = (quad.nodes, quad.weights, quad.row_ptr.astype(np.int64))
        heads.interval_loss(
            outputs, lo, hi, *nodes, *kernels, weight, loss, grad, circle=shape
        )
    _assert_intervals_are_numpys(
        loss, grad, outputs, lower, upper, centers, bandwidth, weight, kernel
    )


@compiled
def test_circle_kernels_have_their_closed_forms(at_width):
    # One center, a row of zero logits, targets at offsets u: the loss is
    # -log K(u) of scipy's von Mises density and of the wrapped exponential
    # kernel summed image by image.
    from scipy.stats import vonmises

    h = 0.7
    centers, bandwidth = np.array([0.5]), np.array([h])
    u = np.array([0.0, 0.3, -1.1, 0.5 * _P, 3.0])
    outputs = np.zeros((u.shape[0], 2))
    expected = {
        "vonmises": vonmises.logpdf(u, (1.0 / h) ** 2),
        "exponential": np.log(
            sum(np.exp(-np.abs(u + k * _P) / h) for k in range(-60, 61)) / (2 * h)
        ),
    }
    for kernel, log_k in expected.items():
        (q, log_h), shape = _circle_kernel(kernel, bandwidth)
        loss = np.empty(u.shape[0])
        heads.point_loss(
            outputs,
            centers[0] + u,
            centers,
            q,
            log_h,
            1,
            -1,
            np.ones(u.shape[0]),
            loss,
            None,
            circle=shape,
        )
        np.testing.assert_allclose(-loss, log_k, rtol=1e-13, atol=1e-14)


@compiled
def test_circle_images_are_added_where_they_matter(at_width):
    # A target exactly opposite a single center: the main term and the
    # nearest image lie P/2 away on either side and weigh the same, so the
    # density is twice the main term's and the slope zero.
    h = 0.4
    centers, bandwidth = np.array([0.0]), np.array([h])
    outputs = np.zeros((2, 2))
    target = np.array([0.5 * _P, 0.5 * _P + 1e-3])
    loss, grad = _point(
        outputs, target, centers, bandwidth, np.ones(2), (1, -1), circle=(_P, 1)
    )
    half = 0.5 * _P
    main = -0.5 * (half / h) ** 2 - np.log(h) - 0.5 * np.log(2 * np.pi)
    assert loss[0] == pytest.approx(-(main + np.log(2.0)), rel=1e-13)
    assert grad[0, 1] == pytest.approx(0.0, abs=1e-9)
    assert grad[1, 1] != 0.0


@compiled
@pytest.mark.parametrize(
    "kernel, h",
    [("gaussian", 0.4), ("exponential", 0.4), ("epanechnikov", 0.4), ("gaussian", 2.5)],
)
def test_circle_offsets_beyond_two_to_the_51_turns_are_infinite(at_width, kernel, h):
    # 2^51 turns leave no digit within a turn: the row's loss is infinite
    # and its gradient zero (a solver's step that far is taken back); a
    # billion turns still wrap.
    M = 5
    centers = np.arange(M) * (_P / M)
    # (A gaussian 2.5 rad wide is its Fourier series.)
    (q, log_h), shape = _circle_kernel(kernel, np.full(M, h))
    target = np.array([1e17, -1e17, 1e9 * _P + 0.3, np.nan])
    outputs = np.zeros((4, M + 1))
    loss, grad = np.empty(4), np.full_like(outputs, -7.0)
    heads.point_loss(
        outputs, target, centers, q, log_h, M, -1, np.ones(4), loss, grad, circle=shape
    )
    assert np.all(loss[[0, 1, 3]] == np.inf) and np.all(grad[[0, 1, 3]] == 0.0)
    assert np.isfinite(loss[2]) and np.all(np.isfinite(grad[2]))


@compiled
@pytest.mark.parametrize(
    "circle, message",
    [
        ((-1.0, 1), "period must be positive"),
        ((np.inf, 1), "period must be positive"),
        ((_P, 65), "0 to 64 images"),
        ((0.0, 2), "0 to 64 images"),
    ],
)
def test_bad_circles_are_refused(circle, message):
    n, M = 5, 4
    args = (np.zeros((n, M + 1)), np.zeros(n), np.arange(M) * 1.0)
    args += (np.ones(M), np.zeros(M), M, -1, np.ones(n), np.empty(n), None, 0)
    with pytest.raises(ValueError, match=message):
        heads.point_loss(*args, *circle)


@compiled
def test_a_circle_has_no_scale_head_in_the_compiled_loss():
    n, M = 5, 4
    args = (np.zeros((n, M + 2)), np.zeros(n), np.arange(M) * 1.0)
    args += (np.ones(M), np.zeros(M), M, M + 1, np.ones(n), np.empty(n), None, 0)
    with pytest.raises(ValueError, match="no scale head"):
        heads.point_loss(*args, _P, 1)


@compiled
@pytest.mark.parametrize(
    "kernel",
    [
        "gaussian",
        "exponential",
        "vonmises",
        *sorted(_location_scale.COMPACT_KERNELS),
        "wide gaussian",
    ],
)
@pytest.mark.parametrize("targets", ["points", "intervals", "mixed"])
@pytest.mark.parametrize("options", [{}, dict(n_quadrature=5)])
def test_circle_table_gives_numpys_loss_with_the_compiled_loss(
    at_width, monkeypatch, kernel, targets, options
):
    rng = np.random.default_rng(16)
    n, M = 300, 16
    lower = rng.uniform(-np.pi, np.pi, size=n)
    width = {"points": 0.0, "intervals": 0.8, "mixed": 0.8 * (rng.random(n) < 0.5)}
    upper = lower + width[targets] * rng.uniform(size=n)
    # Every gaussian wider than a third of the period: its Fourier series.
    bandwidth = np.linspace(2.2, 3.2, M) if kernel == "wide gaussian" else 0.3
    table = LocationScaleTable(
        lower,
        upper,
        np.linspace(-np.pi, np.pi, M, endpoint=False),
        kernel=kernel.removeprefix("wide "),
        bandwidth=bandwidth,
        period=_P,
        location=True,
        scale=False,
        **options,
    )
    assert table._fused is not None
    outputs = rng.normal(size=(n, M + 1))
    outputs[:, M] *= 4.0  # rotations beyond a turn
    sw = rng.uniform(0.5, 1.5, size=n)
    _assert_table_is_numpys(monkeypatch, table, outputs, sw)


@compiled
@pytest.mark.parametrize("kernel", ["gaussian", "vonmises"])
def test_a_circular_fit_with_the_compiled_loss_is_the_numpy_fit(monkeypatch, kernel):
    rng = np.random.default_rng(18)
    n = 1200
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.mod(2.0 * X[:, 0] + 0.3 * rng.normal(size=n), _P)
    params = dict(location="linear", period=_P, kernel=kernel)
    _assert_fit_is_numpys(monkeypatch, X, y, params, ["location_coef_"])


# ------------------------------------------------- the exponential kernel
# K_h(u) = exp(-|u| / h) / 2h on the line: the compiled loss takes 1 / h
# for the gaussian's 1 / 2h^2 and laplace=1; NumPy's loss is the reference.

_LAPLACE = (0.0, 0, 1)  # (period, images, kernel code), after the width


def _laplace_reference(outputs, lower, upper, centers, bandwidth, weight):
    M = centers.shape[0]
    with np.errstate(all="ignore"):
        loss, g, g_mu, g_log_s = location_scale_loss(
            outputs[:, :M],
            outputs[:, M],
            outputs[:, M + 1],
            lower,
            upper,
            centers,
            kernel="exponential",
            bandwidth=bandwidth,
            weight=weight,
        )
    return loss, np.column_stack([g, g_mu, g_log_s])


@compiled
@pytest.mark.parametrize("M", [1, 8, 13, 32])
def test_exponential_kernel_point_loss_is_numpys(at_width, M):
    rng = np.random.default_rng(40 + M)
    n = 203
    outputs, centers, bandwidth = _rows(rng, n, M)
    target = 2.0 * rng.normal(size=n)
    target[:7] += 300.0  # hundreds of bandwidths from every center
    # At a center, the kink: mu = 0 and s = 1 put z on it exactly, where
    # both losses take the slope of zero.
    outputs[7:9, M:] = 0.0
    target[7:9] = centers[0]
    weight = rng.uniform(0.1, 2.0, size=n)
    loss, grad = _point(
        outputs, target, centers, bandwidth, weight, (M, M + 1), circle=_LAPLACE
    )
    ref_loss, ref_grad = _laplace_reference(
        outputs, target, target, centers, bandwidth, weight
    )
    assert np.all(loss[:7] > 100.0)
    _assert_close(loss, grad, ref_loss, ref_grad)


@compiled
@pytest.mark.parametrize("kernel", ["exponential", "gaussian", "vonmises"])
def test_circle_slope_at_a_center_is_numpys(at_width, kernel):
    # Targets exactly at a center (the rotation at zero, as the location
    # head starts): the exponential kernel's kink, where both losses take
    # the slope of zero for the main term and for its nearest image; the
    # smooth kernels' slope there is zero too.
    M, n = 6, 4
    centers = np.arange(M) * (_P / M)
    for h in (0.3, 1.0, 3.0):
        bandwidth = np.full(M, h if kernel != "gaussian" else min(h, 2.0))
        (q, log_h), shape = _circle_kernel(kernel, bandwidth)
        outputs = np.zeros((n, M + 1))
        outputs[1:, 2] = 1.5  # mass off the target's center
        target = centers[np.array([0, 0, 3, 5])]
        weight = np.ones(n)
        loss, grad = np.empty(n), np.empty_like(outputs)
        heads.point_loss(
            outputs, target, centers, q, log_h, M, -1, weight, loss, grad, circle=shape
        )
        ref_loss, ref_grad = _circle_reference(
            outputs, target, target, centers, bandwidth, weight, True, kernel
        )
        _assert_close(loss, grad, ref_loss, ref_grad)
        assert grad[0, M] == pytest.approx(0.0, abs=1e-15)


@compiled
@pytest.mark.parametrize("M", [1, 7, 32])
def test_exponential_kernel_interval_loss_is_numpys(at_width, M):
    rng = np.random.default_rng(50 + M)
    n = 61
    outputs, centers, bandwidth = _rows(rng, n, M)
    lower = 2.0 * rng.normal(size=n)
    upper = lower + rng.uniform(1e-3, 1.5, size=n)
    lower[:4] += 300.0
    upper[:4] += 300.0
    weight = rng.uniform(0.1, 2.0, size=n)
    s = np.exp(outputs[:, M + 1])
    lo, hi = (lower - outputs[:, M]) / s, (upper - outputs[:, M]) / s
    loss, grad = _by_nodes(
        outputs, lo, hi, centers, bandwidth, weight, (M, M + 1), circle=_LAPLACE
    )
    ref_loss, ref_grad = _laplace_reference(
        outputs, lower, upper, centers, bandwidth, weight
    )
    assert np.all(np.isfinite(loss)) and np.all(loss[:4] > 100.0)
    _assert_close(loss, grad, ref_loss, ref_grad)


@compiled
@pytest.mark.parametrize(
    "call, message",
    [
        ("panel", "kernel without kinks"),
        ("line", "von Mises kernel needs a circle"),
        ("code", "kernel must be 0"),
        ("compact panel", "kernel without kinks"),
        ("compact line", "compact kernel needs a circle"),
        ("compact images", "0 or 1 image"),
        ("series line", "wrapped gaussian's series needs a circle"),
    ],
)
def test_kernels_are_refused_where_they_are_not_compiled(call, message):
    n, M = 5, 4
    outputs = np.zeros((n, M + 1))
    kernels = (np.arange(M) * 1.0, np.ones(M), np.zeros(M), M, -1)
    out = (np.ones(n), np.empty(n), None, 0)
    with pytest.raises(ValueError, match=message):
        if call in ("panel", "compact panel"):
            rules = _location_scale._panel_rules()
            lo = np.zeros(n)
            # The exponential kernel on the line, the Epanechnikov on a circle.
            circle = (0.0, 0, 1) if call == "panel" else (_P, 0, 4)
            heads.panel_loss(
                outputs, lo, lo + 0.1, 0.5, *rules, *kernels, *out, *circle
            )
        elif call == "line":
            heads.point_loss(outputs, np.zeros(n), *kernels, *out, 0.0, 0, 2)
        elif call == "compact line":
            heads.point_loss(outputs, np.zeros(n), *kernels, *out, 0.0, 0, 4)
        elif call == "compact images":
            heads.point_loss(outputs, np.zeros(n), *kernels, *out, _P, 2, 4)
        elif call == "series line":
            heads.point_loss(outputs, np.zeros(n), *kernels, *out, 0.0, 0, 7)
        else:
            heads.point_loss(outputs, np.zeros(n), *kernels, *out, _P, 1, 8)


@compiled
@pytest.mark.parametrize("targets", ["points", "mixed"])
@pytest.mark.parametrize("location, scale", HEADS[:3])
def test_exponential_kernel_table_gives_numpys_loss(
    at_width, monkeypatch, targets, location, scale
):
    rng = np.random.default_rng(17)
    n, M = 300, 12
    lower = rng.normal(size=n)
    upper = lower + (0.0 if targets == "points" else 0.5 * (rng.random(n) < 0.5))
    table = LocationScaleTable(
        lower,
        upper,
        np.linspace(-2.0, 2.0, M),
        kernel="exponential",
        bandwidth=np.linspace(0.2, 0.5, M),
        location=location,
        scale=scale,
    )
    outputs = rng.normal(size=(n, table.n_centers))
    sw = rng.uniform(0.5, 1.5, size=n)
    _assert_table_is_numpys(monkeypatch, table, outputs, sw)


@compiled
def test_an_exponential_kernel_fit_with_the_compiled_loss_is_the_numpy_fit(
    monkeypatch,
):
    # Intervals: on points the kernel's kinks make the fit's path turn on the
    # last bit (the NumPy fit on X * (1 + 1e-15) stops after 34 iterations
    # instead of 77), where over an interval the loss is smooth.
    rng = np.random.default_rng(19)
    n = 1200
    X = rng.uniform(-1, 1, size=(n, 3))
    y = X[:, 0] + 0.3 * np.exp(0.5 * X[:, 1]) * rng.laplace(size=n)
    y = np.column_stack([y - 0.1, y + 0.1])
    params = dict(kernel="exponential", location="linear", scale="linear")
    names = ["location_coef_", "scale_coef_", "scale_intercept_"]
    _assert_fit_is_numpys(monkeypatch, X, y, params, names)


# -------------------------------------------- compact kernels on a circle
# The tophat, Epanechnikov, linear and cosine kernels on a circle: the
# compiled loss multiplies the exponentials of the logits (shifted by the
# largest among the centers whose support holds the target) by the unit
# kernels' values, where NumPy sums the exponentials of their logarithms.
# NumPy's loss is the reference; the unit kernels' closed forms check both.

COMPACT = ["tophat", "epanechnikov", "linear", "cosine"]


def _compact_bandwidth(M, spacings):
    """Bandwidths of ``spacings`` times the centers' spacing (a support
    wider than the spacing: every angle is covered), at most 0.95 P; for
    ``"mixed"`` one per center from 0.6 to 1.4 spacings, for ``"images"``
    from 0.8 to 0.3 periods (the wider ones with a nearest image)."""
    if spacings == "images":
        h = np.linspace(0.8, 0.3, M) * _P
    elif spacings == "mixed":
        h = np.linspace(0.6, 1.4, M) * (_P / M)
    else:
        h = np.full(M, spacings * _P / M)
    return np.minimum(h, 0.95 * _P)


def _unit_compact(kernel, v):
    """The unit kernel and the slope of its logarithm at ``0 <= v < 1``,
    from the formulas (the cosine near v = 1 from the sine of 1 - v)."""
    w = 1.0 - v
    if kernel == "tophat":
        return np.full_like(v, 0.5), np.zeros_like(v)
    if kernel == "epanechnikov":
        return 0.75 * w * (1.0 + v), -2.0 * v / (w * (1.0 + v))
    if kernel == "linear":
        return w, -1.0 / w
    cosine, sine = np.sin(0.5 * np.pi * w), np.cos(0.5 * np.pi * w)
    return 0.25 * np.pi * cosine, -0.5 * np.pi * sine / cosine


def _compact_by_nodes(outputs, lo, hi, centers, kernel, bandwidth, weight):
    """The compiled loss of the standardised intervals [lo, hi] at
    quadrature_nodes' nodes, a compact kernel on the circle, the location
    head in the last column: ``(loss, grad)``."""
    constants, shape = _circle_kernel(kernel, bandwidth)
    nodes = dict(kernel=kernel, bandwidth=bandwidth, period=_P)
    columns = (centers.shape[0], -1)
    return _at_nodes(outputs, lo, hi, centers, nodes, constants, columns, weight, shape)


def _point_rows(rng, n, M):
    """Even centers on [0, P), outputs (logits, then the location), point
    targets on three turns (five of them a thousand turns on) and weights."""
    centers = np.arange(M) * (_P / M)
    outputs = np.column_stack([2.0 * rng.normal(size=(n, M)), 3.0 * rng.normal(size=n)])
    target = rng.uniform(-_P, 2 * _P, size=n)
    target[:5] += 1000.0 * _P  # angles given as far turns
    return centers, outputs, target, rng.uniform(0.1, 2.0, size=n)


@compiled
@pytest.mark.parametrize("M", [1, 8, 13, 32])
@pytest.mark.parametrize("kernel", COMPACT)
@pytest.mark.parametrize("spacings", [0.55, 1.3, "mixed", "images"])
@pytest.mark.parametrize("location", [True, False])
def test_circle_compact_point_loss_is_numpys(at_width, M, kernel, spacings, location):
    n = 203
    centers, outputs, target, weight = _point_rows(np.random.default_rng(M + 3), n, M)
    bandwidth = _compact_bandwidth(M, spacings)
    # One center half the period wide or wider: its nearest image counts.
    images = _circle_kernel(kernel, bandwidth)[1][1]
    assert images == int(np.max(bandwidth) >= 0.5 * _P)
    loss, grad, ref_loss, ref_grad = _circle_point_and_numpys(
        outputs, target, centers, kernel, bandwidth, weight, location
    )
    assert np.all(np.isfinite(loss))
    # Wrapping rounds an angle to an ulp of |t - mu|, which the loss
    # magnifies by its slope (the reference's location gradient per weight).
    mu = outputs[:, M] if location else 0.0
    eps = np.finfo(float).eps
    turn = 4.0 * eps * (np.abs(target - mu) + _P)
    if location:
        slope = np.abs(ref_grad[:, M]) / weight
    else:
        slope = np.full(n, 1.0 / np.min(bandwidth))
    np.testing.assert_array_less(
        np.abs(loss - ref_loss), 1e-12 * (1.0 + np.abs(ref_loss)) + turn * slope
    )
    np.testing.assert_array_less(
        np.abs(grad - ref_grad),
        1e-10 * np.abs(ref_grad) + 1e-12 + (turn * (1.0 + slope) ** 2)[:, None],
    )


@compiled
@pytest.mark.parametrize("kernel", COMPACT)
@pytest.mark.parametrize("M, spacings", [(1, 0.55), (12, 0.6), (12, "mixed"), (12, 3)])
def test_circle_compact_interval_loss_is_numpys(at_width, kernel, M, spacings):
    rng = np.random.default_rng(23)
    n = 61
    centers = np.arange(M) * (_P / M)
    bandwidth = _compact_bandwidth(M, spacings)
    outputs = np.column_stack([2.0 * rng.normal(size=(n, M)), 3.0 * rng.normal(size=n)])
    outputs[::4, 0] += 40.0  # mass far from some intervals
    lower = rng.uniform(-_P, 2 * _P, size=n)
    upper = lower + rng.uniform(1e-3, 2.0, size=n)
    weight = rng.uniform(0.1, 2.0, size=n)
    lo, hi = lower - outputs[:, M], upper - outputs[:, M]
    loss, grad = _compact_by_nodes(outputs, lo, hi, centers, kernel, bandwidth, weight)
    _assert_intervals_are_numpys(
        loss, grad, outputs, lower, upper, centers, bandwidth, weight, kernel
    )


def _one_center(target, center, kernel, h):
    """The compiled loss of point targets under one center of bandwidth
    ``h`` on the circle, zero logits, the location head at zero:
    ``(loss, grad)``."""
    n = target.shape[0]
    (q, log_h), shape = _circle_kernel(kernel, np.array([h]))
    loss, grad = np.empty(n), np.empty((n, 2))
    heads.point_loss(
        np.zeros((n, 2)),
        target,
        np.array([center]),
        q,
        log_h,
        1,
        -1,
        np.ones(n),
        loss,
        grad,
        circle=shape,
    )
    return loss, grad


@compiled
@pytest.mark.parametrize("kernel", COMPACT)
def test_circle_compact_kernels_have_their_closed_forms(at_width, kernel):
    # One center at zero, zero logits: the loss is -log K_h(u) and the
    # location's gradient d/du log K_h(u), from the unit kernels' formulas at
    # the v = |u| (1 / h) that the loss computes, out to a billionth of a
    # bandwidth from the end of the support (where NumPy's cosine of pi v / 2
    # has lost seven digits); then a kernel wider than half the period,
    # where the nearest image adds its own term.
    h = 0.7
    v = np.array([0.0, 0.2, 0.5, 0.75, 0.999, 1.0 - 1e-9])
    u = np.concatenate([v, -v[1:]]) * h
    for width in (h, 0.8 * _P):
        (q, _), shape = _circle_kernel(kernel, np.array([width]))
        loss, grad = _one_center(u, 0.0, kernel, width)
        k, log_slope = _unit_compact(kernel, np.abs(u) * q[0])
        density, slope = k / width, k * log_slope * np.sign(u) / width**2
        if shape[1]:  # the nearest image, on the other side of the circle
            far = np.abs(np.where(u < 0, u + _P, u - _P)) * q[0]
            inside = far < 1.0
            k_far, s_far = _unit_compact(kernel, np.where(inside, far, 0.0))
            density += np.where(inside, k_far / width, 0.0)
            slope -= np.where(inside, k_far * s_far * np.sign(u) / width**2, 0.0)
        np.testing.assert_allclose(-loss, np.log(density), rtol=1e-13, atol=1e-14)
        # d loss / d mu = d/du log K(u) (the rotation moves u the other way).
        np.testing.assert_allclose(grad[:, 1], slope / density, rtol=1e-12, atol=1e-13)


@compiled
@pytest.mark.parametrize("kernel", COMPACT)
def test_circle_compact_targets_no_center_holds_are_infinite(at_width, kernel):
    # Supports of a quarter of the spacing leave angles no center holds:
    # those rows (points, and intervals with nodes there) get an infinite
    # loss and a zero gradient, as NumPy's do; the others their values.
    M, n = 6, 40
    centers = np.arange(M) * (_P / M)
    bandwidth = np.full(M, 0.25 * _P / M)
    rng = np.random.default_rng(29)
    outputs = np.column_stack([rng.normal(size=(n, M)), 0.1 * rng.normal(size=n)])
    target = rng.uniform(0.0, _P, size=n)
    target[:3] = centers[:3] + 0.5 * (_P / M) + outputs[:3, M]  # between centers
    target[3:6] = centers[3:6] + outputs[3:6, M]  # at a center
    weight = np.ones(n)
    (q, log_h), shape = _circle_kernel(kernel, bandwidth)
    loss, grad = np.empty(n), np.full_like(outputs, -7.0)
    heads.point_loss(
        outputs, target, centers, q, log_h, M, -1, weight, loss, grad, circle=shape
    )
    ref_loss, ref_grad = _circle_reference(
        outputs, target, target, centers, bandwidth, weight, True, kernel
    )
    assert np.all(loss[:3] == np.inf) and np.all(np.isfinite(loss[3:6]))
    assert np.all(grad[:3] == 0.0)
    _assert_close(loss, grad, ref_loss, ref_grad)
    lo, hi = target - outputs[:, M], target - outputs[:, M] + 0.05
    i_loss, i_grad = _compact_by_nodes(
        outputs, lo, hi, centers, kernel, bandwidth, weight
    )
    assert np.all(i_loss[:3] == np.inf) and np.all(i_grad[:3] == 0.0)
    assert np.all(np.isfinite(i_loss[3:6]))


@compiled
@pytest.mark.parametrize("kernel", COMPACT)
def test_circle_compact_shift_is_the_largest_among_the_centers_that_hold(
    at_width, kernel
):
    # Rows held only by centers whose logits lie 800 to 1 000 below the
    # row's largest: shifted by the largest logit of all, every term would
    # underflow and the loss be infinite; shifted by the largest among the
    # holding centers, the losses and gradients are NumPy's.
    M, n = 12, 30
    centers = np.arange(M) * (_P / M)
    bandwidth = np.full(M, 0.7 * _P / M)
    rng = np.random.default_rng(37)
    outputs = np.column_stack([rng.normal(size=(n, M)), rng.normal(size=n)])
    target = rng.uniform(0.0, _P, size=n)
    u = np.mod((target - outputs[:, M])[:, None] - centers + 0.5 * _P, _P) - 0.5 * _P
    held = np.abs(u) < bandwidth
    outputs[:, :M] -= np.where(held, rng.uniform(800.0, 1000.0, size=(n, 1)), 0.0)
    loss, grad, ref_loss, ref_grad = _circle_point_and_numpys(
        outputs, target, centers, kernel, bandwidth, np.ones(n), True
    )
    assert np.all(np.isfinite(loss)) and np.all(loss > 700.0)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-12)


def test_compact_kernels_compile_on_a_circle_narrower_than_the_period():
    M = 4
    for kernel in COMPACT:
        for h, images in ((0.5, 0), (0.5 * _P, 1), (0.99 * _P, 1)):
            constants, shape = _location_scale._compiled_kernel(kernel, h, _P, M)
            assert shape == (_P, images, _location_scale._KERNEL_CODES[kernel])
            np.testing.assert_array_equal(constants[0], np.full(M, 1.0 / h))
            np.testing.assert_array_equal(constants[1], np.full(M, np.log(h)))
        # As wide as the period (where the tophat's images at -P and P
        # both hold u = 0) or wider, or on the line (where the heads refuse
        # a compact kernel): NumPy's loss.
        assert _location_scale._compiled_kernel(kernel, _P, _P, M)[0] is None
        assert _location_scale._compiled_kernel(kernel, 1.01 * _P, _P, M)[0] is None
        assert _location_scale._compiled_kernel(kernel, 0.5, None, M)[0] is None


@compiled
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kernel", ["epanechnikov", "linear", "cosine"])
def test_a_circular_compact_kernel_fit_with_the_compiled_loss_is_the_numpy_fit(
    monkeypatch, kernel
):
    # Intervals: on points the gradient jumps where a target crosses the end
    # of a support, and the fit's path turns on the last bit (two NumPy fits
    # on X and X (1 + 1e-15) with the Epanechnikov kernel stop after 57 and
    # 35 iterations; so do the tophat's over intervals, whose ends' log
    # densities jump).  Over intervals these three are smooth enough.  The
    # first 20 iterations on 400 rows: the NumPy loss of a compact kernel's
    # intervals is slow (0.6-0.8 s for these fits, 25 s on 1 200 rows to
    # the end).
    rng = np.random.default_rng(31)
    n = 400
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.mod(2.0 * X[:, 0] + 0.3 * rng.normal(size=n), _P)
    y = np.column_stack([y - 0.1, y + 0.1])
    params = dict(location="linear", period=_P, kernel=kernel, max_iter=20)
    _assert_fit_is_numpys(monkeypatch, X, y, params, ["location_coef_"])


# ------------------------------------ the wrapped gaussian as its series
# Wider than a third of the period NumPy sums the wrapped gaussian as its
# Fourier series; so does the compiled loss (kernel code 7), its terms the
# series' values times the exponentials of the logits.

WIDE = [2.2, 3.0, 6.0, "mixed"]


def _wide_bandwidth(M, h):
    return np.linspace(2.2, 4.0, M) if h == "mixed" else np.full(M, h)


@compiled
@pytest.mark.parametrize("M", [1, 8, 13, 32])
@pytest.mark.parametrize("h", WIDE)
@pytest.mark.parametrize("location", [True, False])
def test_circle_series_point_loss_is_numpys(at_width, M, h, location):
    n = 203
    centers, outputs, target, weight = _point_rows(np.random.default_rng(M + 7), n, M)
    bandwidth = _wide_bandwidth(M, h)
    shape = _circle_kernel("gaussian", bandwidth)[1]
    assert shape[2] == 7 and 1 <= shape[1] <= 5
    loss, grad, ref_loss, ref_grad = _circle_point_and_numpys(
        outputs, target, centers, "gaussian", bandwidth, weight, location
    )
    assert np.all(np.isfinite(loss))
    # The angle's rounding (an ulp of |t - mu|) times the slope, at most
    # (4 pi / P) sum_k k rho^(k^2) / 0.77 < 1.
    mu = outputs[:, M] if location else 0.0
    turn = 4.0 * np.finfo(float).eps * (np.abs(target - mu) + _P)
    np.testing.assert_array_less(
        np.abs(loss - ref_loss), 1e-12 * (1.0 + np.abs(ref_loss)) + turn
    )
    np.testing.assert_array_less(
        np.abs(grad - ref_grad), 1e-10 * np.abs(ref_grad) + 1e-12 + turn[:, None]
    )


@compiled
@pytest.mark.parametrize("h", WIDE)
@pytest.mark.parametrize("placed", [False, True])
def test_circle_series_interval_loss_is_numpys(at_width, h, placed):
    rng = np.random.default_rng(27)
    n, M = 61, 12
    centers = np.arange(M) * (_P / M)
    bandwidth = _wide_bandwidth(M, h)
    outputs = np.column_stack([2.0 * rng.normal(size=(n, M)), 3.0 * rng.normal(size=n)])
    outputs[::4, 3] += 40.0
    lower = rng.uniform(-_P, 2 * _P, size=n)
    upper = lower + rng.uniform(1e-3, 2.0, size=n)
    weight = rng.uniform(0.1, 2.0, size=n)
    lo, hi = lower - outputs[:, M], upper - outputs[:, M]
    constants, shape = _circle_kernel("gaussian", bandwidth)
    kernels = (centers, *constants, M, -1)
    loss, grad = np.empty(n), np.full_like(outputs, -7.0)
    if placed:
        rules = _location_scale._panel_rules()
        h_min = float(np.min(bandwidth))
        heads.panel_loss(
            outputs, lo, hi, h_min, *rules, *kernels, weight, loss, grad, circle=shape
        )
    else:
        quad = quadrature_nodes(
            lo, hi, centers, kernel="gaussian", bandwidth=bandwidth, period=_P
        )
        nodes = (quad.nodes, quad.weights, quad.row_ptr.astype(np.int64))
        heads.interval_loss(
            outputs, lo, hi, *nodes, *kernels, weight, loss, grad, circle=shape
        )
    _assert_intervals_are_numpys(
        loss, grad, outputs, lower, upper, centers, bandwidth, weight, "gaussian"
    )


@compiled
@pytest.mark.parametrize("h", [2.2, 3.0, 7.0])
def test_circle_series_is_the_wrapped_gaussian(at_width, h):
    # One center, zero logits: the loss is minus the log of the wrapped
    # normal density, summed image by image (to 60 each side), and the
    # location's gradient its slope over it.
    u = np.array([0.0, 0.3, -1.1, 0.5 * _P, 3.0, -3.0, 1e-9])
    loss, grad = _one_center(0.5 + u, 0.5, "gaussian", h)
    k = np.arange(-60, 61)[:, None]
    x = (u + k * _P) / h
    density = np.sum(np.exp(-0.5 * x**2), axis=0) / (h * np.sqrt(2 * np.pi))
    slope = np.sum(-x / h * np.exp(-0.5 * x**2), axis=0) / (h * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(-loss, np.log(density), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(grad[:, 1], slope / density, rtol=1e-10, atol=1e-14)


def test_wide_wrapped_gaussians_compile_as_their_series():
    M = 5
    for h, terms in ((2.2, 5), (3.0, 3), (20.0, 1)):
        constants, shape = _location_scale._compiled_kernel("gaussian", h, _P, M)
        assert shape == (_P, terms, 7)
        np.testing.assert_allclose(constants[0], np.exp(-2 * (np.pi * h / _P) ** 2))
        np.testing.assert_array_equal(constants[1], np.full(M, np.log(_P)))
    # One a third of the period wide or narrower among them: images for it,
    # a series for the others, and NumPy's loss.
    mixed = np.array([2.0, 2.5, 3.0, 3.5, 4.0])
    assert _location_scale._compiled_kernel("gaussian", mixed, _P, M)[0] is None


@compiled
def test_a_wide_circular_fit_with_the_compiled_loss_is_the_numpy_fit(monkeypatch):
    # Noise about as wide as the kernel: with noise of 0.3 rad the kernel of
    # 2.5 rad leaves the logits to sharpen it, along a flat valley where
    # two NumPy fits on X and X (1 - 1e-15) stop after 121 and 86
    # iterations.
    rng = np.random.default_rng(35)
    n = 1200
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.mod(2.0 * X[:, 0] + 1.0 * rng.normal(size=n), _P)
    params = dict(location="linear", period=_P, bandwidth=2.5)
    _assert_fit_is_numpys(monkeypatch, X, y, params, ["location_coef_"])
