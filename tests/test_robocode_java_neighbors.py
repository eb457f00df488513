"""The neighbours model's export, read back by robocode/src/skk/NeighborsModel.java.

Random documents (metric, embedding, sharpness, kernel, bandwidth, period and
memory drawn at random) are read by Python (``from_dict``) and by Java
(``NeighborsModelCli``); with the same memory both must agree on the log
density to 1e-9 and on the best aim to 1e-9.  As for the linear model
(``test_robocode_java.py``) the aims are compared with Python's aim refined by
bisection on the sign of ``p(t + w) - p(t - w)``.  Skipped only when java or
javac is missing.
"""

import json
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from _helpers import circular_diff, reference_aim
from scipy.special import log_softmax

from skkdece import KERNELS, KDEDistribution
from skkdece.robocode.export import from_dict, to_dict

SRC = Path(__file__).resolve().parent.parent / "robocode" / "src" / "skk"
HALF_WIDTH = 0.15
PERIOD = 4.0
N_FEATURES = 3

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("javac") is None,
    reason="java/javac not installed (apt-get install default-jdk-headless)",
)


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("neighbors-classes")
    files = [
        SRC / name
        for name in (
            "SkkModel.java",
            "ErfcTable.java",
            "SkkModelCli.java",
            "NeighborsModel.java",
            "NeighborsModelCli.java",
            "OnlineTuning.java",
            "OnlineTuningCli.java",
        )
    ]
    subprocess.run(
        ["javac", "-nowarn", "--release", "8", "-d", str(out), *map(str, files)],
        check=True,
    )
    return out


def random_document(rng, *, kernel, period, target, n_memory):
    """A model document drawn at random, its memory filled by partial_fit."""
    spline = rng.random() < 0.5
    knots = [
        np.sort(rng.normal(size=rng.integers(1, 4))).tolist() if spline else []
        for _ in range(N_FEATURES)
    ]
    n_outputs = sum(len(k) + 1 for k in knots)
    # No two rows at one distance, so that the nearest rows are one set: a
    # clipped output of the spline embedding is shared by many rows, so with
    # knots every output counts; without, one feature may be left out.
    metric = rng.uniform(0.1, 1.0, size=n_outputs)
    if not spline:
        metric[rng.integers(N_FEATURES)] *= rng.random() < 0.5
    metric /= metric.sum()
    doc = {
        "format": "skkdece-model",
        "format_version": 2,
        "model": "softmax_kde_neighbors",
        "n_features": N_FEATURES,
        "feature_names": None,
        "scaling": {
            "mean": rng.normal(size=N_FEATURES).tolist(),
            "scale": rng.uniform(0.5, 2.0, size=N_FEATURES).tolist(),
        },
        "softmax_kde_neighbors": {
            "kernel": kernel,
            "bandwidth": float(rng.uniform(0.05, 0.3)),
            "period": period,
            "window": None if period is None else [-period / 2, period / 2],
            "neighbor_target": target,
            "n_neighbors": int(rng.integers(4, 17)),
            "sharpness": float(rng.uniform(0.5, 8.0)),
            "feature_center": rng.normal(size=N_FEATURES).tolist(),
            "feature_scale": rng.uniform(0.5, 2.0, size=N_FEATURES).tolist(),
            "knots": knots,
            "metric_weights": metric.tolist(),
            "memory": None,
        },
    }
    pipe = from_dict(doc)
    X = rng.normal(size=(n_memory, N_FEATURES))
    mid = np.tanh(X[:, 0] - X[:, 1]) + 0.2 * rng.normal(size=n_memory)
    half = rng.uniform(0.0, 0.25, size=n_memory) * (rng.random(n_memory) < 0.9)
    y = np.column_stack([mid - half, mid + half])
    weight = rng.choice([1.0, 1.0, 2.0, 0.5], size=n_memory)
    pipe[-1].partial_fit(pipe[0].transform(X), y, sample_weight=weight)
    return pipe


def run_java(classes, tmp_path, model, X, t, repeats=0, online=False):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(to_dict(model)))
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, np.column_stack([X, t]), delimiter=",", fmt="%.17g")
    cmd = ["java", "-cp", str(classes), "skk.NeighborsModelCli", str(path), str(rows)]
    cmd += [repr(HALF_WIDTH), str(repeats)] + (["online"] if online else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = np.loadtxt(proc.stdout.splitlines(), delimiter=",", ndmin=2)
    return out[:, 0], out[:, 1], proc.stderr


def python_side(model, rng, n_rows, period):
    """Random rows, their Python distributions and refined best aims."""
    X = rng.normal(size=(n_rows, N_FEATURES)) * 1.2
    reg, Xs = model[-1], model[0].transform(X)
    dist = reg.predict_distribution(Xs)
    aim_py = reg.predict_aim(Xs, half_width=HALF_WIDTH)
    return X, dist, reference_aim(dist, aim_py, HALF_WIDTH, period)


CASES = [
    (kernel, period, target)
    for kernel in KERNELS
    for period in ([PERIOD] if kernel == "vonmises" else [None, PERIOD])
    for target in ("interval", "center")
]


@pytest.mark.parametrize("kernel, period, target", CASES)
def test_java_matches_python(classes, tmp_path, kernel, period, target):
    seed = zlib.crc32(repr((kernel, period, target)).encode())
    rng = np.random.default_rng(seed)
    model = random_document(
        rng, kernel=kernel, period=period, target=target, n_memory=300
    )
    X, dist, ref = python_side(model, rng, 60, period)
    # Angles near and far from the mass, inside the memory's span.
    reg, Xs = model[-1], model[0].transform(X)
    t = np.concatenate([reg.predict(Xs[:30]), rng.uniform(-1.3, 1.3, size=30)])
    log_py = dist.logpdf_rows(t)
    aim_java, log_java, _ = run_java(classes, tmp_path, model, X, t)

    finite = np.isfinite(log_py)
    np.testing.assert_array_equal(np.isfinite(log_java), finite)
    compared = finite
    if kernel == "vonmises" and target == "interval":
        # Python's von Mises box loses digits far in its tails (0.085 nats
        # at a log density of -36, where Java's quadrature matches
        # scipy.integrate.quad to 1e-14): compared where Python keeps them.
        compared = finite & (log_py > -15)
    assert compared[:30].all()  # at the predictions, always compared
    np.testing.assert_allclose(log_java[compared], log_py[compared], rtol=0, atol=1e-9)
    diff = circular_diff(aim_java, ref, period)
    same = diff < 1e-9
    if kernel in ("gaussian", "exponential", "vonmises"):
        assert np.all(same), np.sort(diff)[-5:]
    else:
        # A compact kernel's window mass can be flat at its maximum (a window
        # wider than the atoms holds them whole): any point of the plateau
        # is a best aim. Where the aims differ, Java's must reach the mass
        # of Python's.
        mass_java = dist.hit_probability(aim_java - HALF_WIDTH, aim_java + HALF_WIDTH)
        mass_ref = dist.hit_probability(ref - HALF_WIDTH, ref + HALF_WIDTH)
        bad = ~same & (mass_java < mass_ref - 1e-12)
        assert not bad.any(), (diff[bad], (mass_java - mass_ref)[bad])
        assert same.mean() > 0.5


@pytest.mark.parametrize(
    "kernel, period, target",
    [("gaussian", None, "interval"), ("epanechnikov", PERIOD, "center")],
)
def test_java_search_matches_python_as_the_memory_grows(
    classes, tmp_path, kernel, period, target
):
    """Java's k-d tree, rebuilt as rows arrive, finds Python's neighbours.

    The memory (3 000 rows) is added back row by row in Java, aiming every
    37 rows, so the search runs over a tree and the rows added since it was
    built; the mixtures (log densities) and aims must be Python's.
    """
    rng = np.random.default_rng(29)
    model = random_document(
        rng, kernel=kernel, period=period, target=target, n_memory=3000
    )
    X, dist, ref = python_side(model, rng, 40, period)
    t = model.predict(X)
    for online in (False, True):
        aim_java, log_java, _ = run_java(classes, tmp_path, model, X, t, online=online)
        np.testing.assert_allclose(log_java, dist.logpdf_rows(t), rtol=0, atol=1e-9)
        diff = circular_diff(aim_java, ref, period)
        if kernel == "gaussian":
            assert np.all(diff < 1e-9), np.sort(diff)[-5:]
        else:  # a plateau's points are all best aims (see above)
            mass_java = dist.hit_probability(
                aim_java - HALF_WIDTH, aim_java + HALF_WIDTH
            )
            mass_ref = dist.hit_probability(ref - HALF_WIDTH, ref + HALF_WIDTH)
            assert np.all(mass_java >= mass_ref - 1e-12)


# OnlineTuning's default grid (bandwidth factors outer, sharpness inner).
TUNING_BANDWIDTH = (1.0, 2.0, 4.0)
TUNING_SHARPNESS = (1.0, 0.5, 0.25)


def prequential_scores(model, Xs, y):
    """Python's side of OnlineTuning: each row scored by every candidate
    from the rows before it (the memory filled by partial_fit), then added.

    Returns the scores after each row (rows, candidates) and, per row, the
    candidate aimed with before it and that candidate's distribution.
    """
    reg = model[-1]
    reg.forget()
    scores, total, picks = [], np.zeros(9), []
    for i in range(len(y)):
        if i:
            base = reg.predict_distribution(Xs[i : i + 1])
            best = int(np.argmax(total))  # the first of equal scores
            dists = []
            for g in TUNING_BANDWIDTH:
                for f in TUNING_SHARPNESS:
                    dists.append(
                        KDEDistribution(
                            log_softmax(f * base.log_weights, axis=1),
                            base.centers,
                            kernel=base.kernel,
                            bandwidth=g * reg.bandwidth_,
                            period=base.period,
                            window_start=base.window_start,
                            half_widths=base.half_widths,
                        )
                    )
            picks.append((best, dists[best]))
            total = total + [
                d.mean_log_density(y[i : i + 1, 0], y[i : i + 1, 1], n_quadrature=5)[0]
                for d in dists
            ]
        reg.partial_fit(Xs[i : i + 1], y[i : i + 1])
        scores.append(total.copy())
    return np.array(scores), picks


@pytest.mark.parametrize("period", [None, PERIOD])
def test_online_tuning_scores_and_aims_match_python(classes, tmp_path, period):
    """skk.OnlineTuning (the learned gun's choice of bandwidth and sharpness)
    against the same rule computed with Python's distributions.

    Every wave of a stream is scored by the nine candidates from the waves
    before it (mean log density of its interval, five Gauss-Legendre nodes)
    and then added to the memory; the scores must agree to 1e-9, the
    candidate aimed with must be the one of the highest score so far, and
    its aim (every third wave's) Python's refined best aim.  The stream's
    targets are sharper than the trained kernel, then wider, so that the
    choice moves.
    """
    rng = np.random.default_rng(7 if period is None else 8)
    model = random_document(
        rng, kernel="gaussian", period=period, target="interval", n_memory=5
    )
    n = 120
    X = rng.normal(size=(n, N_FEATURES))
    noise = np.where(np.arange(n) < n // 2, 0.02, 0.6)
    mid = np.tanh(X[:, 0] - X[:, 1]) + noise * rng.normal(size=n)
    half = rng.uniform(0.0, 0.1, size=n)
    y = np.column_stack([mid - half, mid + half])
    path = tmp_path / "model.json"
    path.write_text(json.dumps(to_dict(model)))
    rows = tmp_path / "rows.csv"
    np.savetxt(rows, np.column_stack([X, y]), delimiter=",", fmt="%.17g")
    proc = subprocess.run(
        ["java", "-cp", str(classes), "skk.OnlineTuningCli", str(path), str(rows)]
        + [repr(HALF_WIDTH)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = np.loadtxt(proc.stdout.splitlines(), delimiter=",", ndmin=2)
    aim_java, best_java, scores_java = out[:, 0], out[:, 1].astype(int), out[:, 2:]

    scores_py, picks = prequential_scores(model, model[0].transform(X), y)
    np.testing.assert_allclose(scores_java, scores_py, rtol=1e-12, atol=1e-9)
    assert np.isnan(aim_java[0]) and best_java[0] == 0
    np.testing.assert_array_equal(best_java[1:], [b for b, _ in picks])
    # The choice moved off the trained candidate, and back or elsewhere.
    assert len(set(best_java.tolist())) >= 2
    # The aims of every third wave (both halves of the stream; an aim
    # refined in Python takes about 40 ms, and the aims' parity is also
    # tested case by case above).
    for i, (_, dist) in enumerate(picks, start=1):
        if i % 3:
            continue
        start = dist.aim(HALF_WIDTH)
        ref = reference_aim(dist, start, HALF_WIDTH, period)
        assert circular_diff(aim_java[i : i + 1], ref, period)[0] < 1e-9, i
