"""The location-scale head against the model without it (issue 28).

Usage::

    python benchmarks/location_scale_benchmarks.py            # 3 seeds, ~5 minutes
    python benchmarks/location_scale_benchmarks.py --quick    # 1 seed, 2 000 test rows
    python benchmarks/location_scale_benchmarks.py --waves    # and the real waves
    python benchmarks/location_scale_benchmarks.py --cost     # evaluations, ~6 minutes
    python benchmarks/location_scale_benchmarks.py --iterations  # fits, ~5 minutes
    python benchmarks/location_scale_benchmarks.py --cost --cases circle  # some data

Three simulators of our own, each with a known true conditional density,
``n = 800`` training rows and 10 000 held-out rows per seed:

* ``jumps``: a sharp peak that moves with the features, with jumps in the
  noise: ``y = 2 x1 - x2 + e``, ``e ~ N(0, 0.1)`` with probability 0.9 and
  ``N(+-1, 0.1)`` with probability 0.05 each;
* ``skewed``: skewed noise whose scale grows with the features:
  ``y = x1 + 0.5 x3 + s(x) e``, ``s(x) = 0.3 exp(0.6 x1 + 0.3 x2)``, ``e``
  a standardised skew-normal of shape 4;
* ``null``: nothing moves with the features: ``y`` a mixture of
  ``N(-1, 0.3)`` and ``N(1, 0.5)``, independent of ``x``.

Features are three independent uniforms on ``[-1, 1]``.  Models, all
``SoftmaxKDERegressor`` in the same run on the same rows: today's defaults,
the same with ``alpha=1e-2``, both heads (``location="linear",
scale="linear"``) at the default ``alpha="auto"``, at ``1e-4`` and at
``1e-2``, and the location head at the default and at ``1e-2``.  With the
heads the mixture describes the standardised target, and its logits'
coefficients fit noise at ``1e-4`` (n = 800 turns early stopping off): a
hundred times that is what the heads need, where today's model loses with
it (it needs large coefficients to move its mass with the features).

Columns: held-out mean log-likelihood (mean over seeds, with the spread of
the seeds), the truth's, the share of the gap between
today's model and the truth that the heads close, fit time, iterations and
time per iteration, and its ratio to today's model.  Whole-fit times
wander with other load on the machine; a second table times single
evaluations of the objective and its gradient, without and with both heads
taken in turn (the minimum of 30 each), which is what one iteration costs.

Measured 2026-12-06 on an AMD EPYC with 2 logical CPUs shared with other
jobs, Python 3.11, 3 seeds (held-out mean log-likelihood; gap closed between
today's defaults and the truth):

============  =======  ==================  ======================  =======
simulator     today    heads, alpha=1e-4   heads, alpha=1e-2       truth
============  =======  ==================  ======================  =======
jumps         -0.5923  0.4339 (0.95)       0.4611 (0.98)           0.4852
skewed        -0.3588  -0.2543 (0.52)      -0.2014 (0.78)          -0.1572
null          -1.1798  -1.2157 (-0.036)    -1.1667 (+0.013)        -1.1435
============  =======  ==================  ======================  =======

(``location`` alone with ``alpha=1e-2``: 0.99, 0.62 and +0.026 nats.)  One
evaluation cost 0.40 ms with both heads against 0.165 ms without (2.4x);
the heads' fits also ran to ``max_iter`` (1000) where today's stopped after
326 to 629 iterations.

Later the same day, after the heads' solver coordinates and line search
were fixed and the loss was evaluated in fewer passes, at load average 4-6
from other jobs (medians of alternated evaluations at the same parameters,
the earlier code in the same run): 1.84-2.02x on the three simulators
(2.37-2.63x before); on the real waves of Walls (``--waves``, 800 training
waves at the fitted models) 2.81x (4.43x before), with 50 quadrature nodes
a wave against 44 without heads.  There the heads now score 0.602 nats
held out against 0.529 without them (106 iterations, chosen by early
stopping; fit 34 s against 20 s), where before they stopped at their start
(-0.98 nats).

Third run, at ``0976524`` (``alpha="auto"``: with the scale head on fewer
than 1000 rows the logits and the scale head at 1e-2, the location head at
1e-4), load 1-3: both heads at their defaults close 0.98 and 0.79 of the
gap on jumps and skewed and gain 0.013 nats on the null case; the location
head at its default closes 0.97 and 0.58 and loses 0.004 nats; one
evaluation costs 2.01-2.05x (the docs' benchmarks page has the table).

``--cost``, after the compiled loss (``skkdece._heads``), with each
objective on the threads a fit gives it (earlier runs timed the model with
heads on one thread): one evaluation with both heads costs 1.08-1.22x one
without on the simulators at 800 to 20 000 rows, 0.58x and 0.80x on the
waves of Walls (800 and 3 328 waves), where the heads' NumPy loss cost
1.93-2.20x and 1.43-3.38x in the same run.

``--iterations`` times issue 28's line itself: whole fits of 60 iterations
(``early_stopping=False, tol=0``), without and with both heads taken in
turn, the minimum of 5 fits each, milliseconds per iteration and their
ratio, with the evaluations each fit made.  ``--heads-width 4`` (or 2)
runs the compiled loss as a processor without AVX-512 (or AVX2) would;
with ``NPY_DISABLE_CPU_FEATURES`` and ``OPENBLAS_CORETYPE`` NumPy and
OpenBLAS do the same (the docs' benchmarks page, "A vector width per
processor").

Both also time the location head on a circle (``make_circular_regression``;
the gaussian, von Mises, exponential and compact kernels, and a gaussian
2.5 rad wide, which is its Fourier series) and the exponential kernel on
the line (the skewed simulator); ``--cases TEXT`` keeps the data whose
name holds TEXT.  On 2026-12-07 (AVX-512), per iteration: the circle
0.80-1.16x with the gaussian kernel, 1.05-1.27x with the von Mises kernel,
1.41-1.65x with the exponential kernel, 0.77-1.20x with the compact
kernels and 0.96-1.32x with the wide gaussian; the exponential kernel on
the line 1.12-1.47x (its kinks add line-search steps); the NumPy loss had
cost 24-27x, 3.4-5.4x, 2.9-3.7x, 21-38x, 22-26x and 1.8-2.5x an
evaluation.
"""

import argparse
import os
import platform
import time
import warnings
from types import SimpleNamespace

import numpy as np
from scipy.stats import norm, skewnorm
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor, _location_scale
from skkdece._fit import as_period, linear_objective
from skkdece._objective import BlockedObjective
from skkdece.datasets import load_robocode_waves, make_circular_regression

N_TRAIN = 800
N_TEST = 10_000
SEEDS = (0, 1, 2)
_SKEW = 4.0


def _features(rng, n):
    return rng.uniform(-1.0, 1.0, size=(n, 3))


def jumps(rng, n):
    """``(X, y, log_density)``: a moving sharp peak with jumps in the noise."""
    X = _features(rng, n)
    mu = 2.0 * X[:, 0] - X[:, 1]
    jump = rng.choice([-1.0, 0.0, 1.0], p=[0.05, 0.9, 0.05], size=n)
    y = mu + jump + 0.1 * rng.normal(size=n)
    parts = [
        np.log(p) + norm.logpdf(y, mu + j, 0.1)
        for p, j in ((0.05, -1.0), (0.9, 0.0), (0.05, 1.0))
    ]
    return X, y, np.logaddexp.reduce(parts, axis=0)


def skewed(rng, n):
    """Skewed noise whose scale grows with the features."""
    X = _features(rng, n)
    mu = X[:, 0] + 0.5 * X[:, 2]
    s = 0.3 * np.exp(0.6 * X[:, 0] + 0.3 * X[:, 1])
    # A skew-normal standardised to mean 0 and variance 1.
    delta = _SKEW / np.sqrt(1.0 + _SKEW**2)
    mean = delta * np.sqrt(2.0 / np.pi)
    sd = np.sqrt(1.0 - mean**2)
    e = (skewnorm.rvs(_SKEW, size=n, random_state=rng) - mean) / sd
    y = mu + s * e
    log_density = skewnorm.logpdf((y - mu) / s * sd + mean, _SKEW) + np.log(sd / s)
    return X, y, log_density


def null(rng, n):
    """Nothing moves with the features."""
    X = _features(rng, n)
    first = rng.uniform(size=n) < 0.5
    y = np.where(first, -1.0 + 0.3 * rng.normal(size=n), 1.0 + 0.5 * rng.normal(size=n))
    log_density = np.logaddexp(
        np.log(0.5) + norm.logpdf(y, -1.0, 0.3), np.log(0.5) + norm.logpdf(y, 1.0, 0.5)
    )
    return X, y, log_density


SIMULATORS = {"jumps": jumps, "skewed": skewed, "null": null}
MODELS = {
    # Without heads: "auto" (the default since 2026-12-07) would choose them
    # from 1000 rows.
    "today": {"location": None, "scale": None},
    "today, alpha=1e-2": {"location": None, "scale": None, "alpha": 1e-2},
    "location+scale": {"location": "linear", "scale": "linear"},
    "location+scale, alpha=1e-4": {
        "location": "linear",
        "scale": "linear",
        "alpha": 1e-4,
    },
    "location+scale, alpha=1e-2": {
        "location": "linear",
        "scale": "linear",
        "alpha": 1e-2,
    },
    "location": {"location": "linear"},
    "location, alpha=1e-2": {"location": "linear", "alpha": 1e-2},
}


def _machine():
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    machine = f"{name}, {os.cpu_count()} logical CPUs, {platform.python_version()}"
    compiled = _location_scale._heads
    if compiled is not None:
        width = _location_scale._HEADS_WIDTH or compiled.WIDTH
        machine += f"; heads' loss on vectors of {width} doubles"
    # What the run was told to leave out of NumPy and OpenBLAS, if anything.
    for variable in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE"):
        if os.environ.get(variable):
            machine += f"; {variable}={os.environ[variable]}"
    return machine


def walls_waves():
    """The bundled real waves of Walls: the first battle trains, the second
    scores (interval targets, as ``defaults_benchmarks.real_wave_problems``
    splits them).
    """
    waves = load_robocode_waves("Walls")
    order = np.lexsort((waves.fire_time, waves.round, waves.battle))
    battle = waves.battle[order]
    first, second = (order[battle == b] for b in np.unique(battle)[:2])
    return (
        waves.data[first],
        waves.target[first],
        waves.data[second],
        waves.target[second],
    )


def run_waves():
    """Today's defaults and both heads on the real waves of Walls: held-out
    mean log-likelihood, fit time, iterations, and one evaluation each (on
    the first 800 training waves, the two taken in turn).
    """
    X, y, X_test, y_test = walls_waves()
    fitted, rows = [], []
    for name in ("today", "location+scale"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            model = SoftmaxKDERegressor(**MODELS[name]).fit(X, y)
            elapsed = time.perf_counter() - start
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        score = model.score(X_test, y_test)
        rows.append((name, score, elapsed, model.n_iter_, converged))
        fitted.append(model)
    return rows, evaluation_ms(X[:800], y[:800], fitted, repeats=10)


def report_waves(rows, evaluations):
    print()
    print(
        "Real waves of Walls (first battle trains, 3328 waves; second scores, "
        "3172 waves; interval targets):"
    )
    print("| model | held-out LL | fit s | n_iter | evaluation ms (800 waves) |")
    print("|---|---|---|---|---|")
    for (name, score, elapsed, n_iter, converged), ms in zip(
        rows, evaluations, strict=True
    ):
        note = "" if converged else " (CW)"
        print(f"| {name}{note} | {score:.4f} | {elapsed:.1f} | {n_iter} | {ms:.2f} |")
    print(f"evaluation ratio: {evaluations[1] / evaluations[0]:.2f}")


def _objectives(X, y, fitted):
    """Each fitted model's objective and its parameters."""
    objectives = []
    for model in fitted:
        geometry = SimpleNamespace(centers=model.centers_, bandwidth=model.bandwidth_)
        lower, upper = (y, y) if y.ndim == 1 else (y[:, 0], y[:, 1])
        table = model._table(geometry, lower, upper, as_period(model.period))
        ls, objective = linear_objective(
            table,
            X,
            np.ones(y.shape[0]),
            fit_intercept=True,
            alpha=model.alpha_,
            **model._head_options(),
        )
        heads = None
        if model.location_coef_ is not None:
            heads = (
                model.location_coef_,
                model.location_intercept_,
                model.scale_coef_,
                model.scale_intercept_,
            )
        params = ls.pack(model.coef_, model.intercept_, *([heads] if heads else []))
        objectives.append((objective, params))
    return objectives


def evaluation_ms(X, y, fitted, repeats=30, numpy_loss=False):
    """Milliseconds of one objective evaluation (value and gradient), without
    and with both heads, at the fitted parameters: the minimum over
    ``repeats`` evaluations, the two taken in turn, so that other load on
    the machine (which makes whole-fit timings wander) touches both alike.

    With ``numpy_loss`` a third figure: the heads' evaluation with their
    NumPy loss (``location_scale_loss``, what every evaluation used before
    the compiled ``skkdece._heads``), taken in turn with the other two.

    Both objectives share their loss out to as many threads as a fit would
    (before 2026-12-06 the one with heads ran on one thread here, since
    the first objective's context limits the BLAS to one thread and the
    second took its thread count from that limit).
    """
    (plain, plain_params), (heads, heads_params) = _objectives(X, y, fitted)
    runs = [(plain, plain_params, True), (heads, heads_params, True)]
    if numpy_loss:
        runs.append((heads, heads_params, False))
    compiled_loss = _location_scale._heads
    best = [np.inf] * len(runs)
    with plain.running(), heads.running():
        # The second context reads the BLAS limit that the first one set
        # (one thread) as its thread count: each objective gets the threads
        # a fit of its own would have.
        heads.n_threads = plain.n_threads
        for _ in range(repeats):
            for k, (objective, params, compiled) in enumerate(runs):
                _location_scale._heads = compiled_loss if compiled else None
                try:
                    start = time.perf_counter()
                    objective.loss_gradient(params)
                    best[k] = min(best[k], time.perf_counter() - start)
                finally:
                    _location_scale._heads = compiled_loss
    return [1e3 * b for b in best]


#: Training rows of the evaluation-cost table (``--cost``).
COST_SIZES = (800, 5_000, 20_000)


#: The models the cost tables compare: without heads, and with both heads
#: (on the line) or the location head (on a circle, where it is a rotation).
_LINE_MODELS = (MODELS["today"], MODELS["location+scale"])
_CIRCLE_MODELS = (
    {"period": 2 * np.pi, "location": None},
    {"period": 2 * np.pi, "location": "linear"},
)
_EXPONENTIAL_MODELS = tuple(dict(m, kernel="exponential") for m in _LINE_MODELS)
_CIRCLE_KERNELS = {
    "circle (location)": _CIRCLE_MODELS,
    "circle, von Mises kernel": tuple(
        dict(m, kernel="vonmises") for m in _CIRCLE_MODELS
    ),
    "circle, exponential kernel": tuple(
        dict(m, kernel="exponential") for m in _CIRCLE_MODELS
    ),
    **{
        f"circle, {kernel} kernel": tuple(
            dict(m, kernel=kernel) for m in _CIRCLE_MODELS
        )
        for kernel in ("tophat", "epanechnikov", "linear", "cosine")
    },
    # Wider than a third of the period: the wrapped gaussian's Fourier series.
    "circle, gaussian 2.5 rad wide": tuple(
        dict(m, bandwidth=2.5) for m in _CIRCLE_MODELS
    ),
}


def _circle(n):
    X, y = make_circular_regression(n, random_state=0)
    return X, y, None


def _cost_cases(sizes, only=""):
    """``(name, rows, make, models)`` of the cost tables: the simulators at
    ``sizes`` training rows (seed 0), the waves of Walls, 800 and all
    3 328, ``make_circular_regression`` at ``sizes`` rows (the location head
    alone; the gaussian, von Mises and exponential kernels) and the skewed
    simulator with the exponential kernel; ``make()``
    gives ``(X, y, log_true)``, ``models`` the parameters without and with
    the heads.  ``only``: the cases whose name holds it.
    """
    cases = [
        (
            name,
            n,
            lambda n=n, simulate=simulate: simulate(np.random.default_rng(0), n),
            _LINE_MODELS,
        )
        for name, simulate in SIMULATORS.items()
        for n in sizes
    ]
    waves_X, waves_y, _, _ = walls_waves()
    cases += [
        (
            "waves of Walls",
            n,
            lambda n=n: (waves_X[:n], waves_y[:n], None),
            _LINE_MODELS,
        )
        for n in (800, waves_X.shape[0])
    ]
    cases += [
        (name, n, lambda n=n: _circle(n), models)
        for name, models in _CIRCLE_KERNELS.items()
        for n in sizes
    ]
    cases += [
        (
            "skewed, exponential kernel",
            n,
            lambda n=n: skewed(np.random.default_rng(0), n),
            _EXPONENTIAL_MODELS,
        )
        for n in sizes
    ]
    return [case for case in cases if only in case[0]]


def run_cost(sizes=COST_SIZES, only=""):
    """One evaluation without heads, with the heads (compiled loss) and with
    the heads (NumPy loss), at parameters fitted with at most 100
    iterations: the three simulators at ``sizes`` training rows, the real
    waves of Walls (interval targets: 800 and all 3 328 training waves) and
    the circular data (``_cost_cases``; ``only``: the cases whose name holds
    it).
    """
    rows = []
    cases = _cost_cases(sizes, only)
    for name, n, make, models in cases:
        X, y, _ = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = [
                SoftmaxKDERegressor(max_iter=100, **params).fit(X, y)
                for params in models
            ]
        repeats = 30 if n <= 5_000 else 10
        rows.append((name, n, evaluation_ms(X, y, fitted, repeats, numpy_loss=True)))
    return rows


def report_cost(rows):
    print(f"machine: {_machine()}")
    print(
        "One evaluation of the objective and its gradient (ms, minimum over "
        "30 rounds, 10 from 20 000 rows; the three taken in turn):"
    )
    print(
        "| data | rows | no heads | heads | x no heads | heads, NumPy "
        "loss | x no heads |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, n, (plain, heads, numpy) in rows:
        print(
            f"| {name} | {n} | {plain:.3f} | {heads:.3f} | {heads / plain:.2f} "
            f"| {numpy:.3f} | {numpy / plain:.2f} |"
        )


#: Fits of ``--iterations``: 60 iterations, no early stopping.
ITERATION_FIT = dict(early_stopping=False, max_iter=60, tol=0.0)


def run_iterations(repeats=5, sizes=COST_SIZES, only=""):
    """Milliseconds per iteration of whole fits without and with the heads
    (the minimum over ``repeats`` fits, the two taken in turn), and each
    fit's number of evaluations: the cases of ``run_cost``.
    """
    cases = _cost_cases(sizes, only)
    evaluate = BlockedObjective.loss_gradient
    count = [0]

    def counted(objective, params):
        count[0] += 1
        return evaluate(objective, params)

    rows = []
    BlockedObjective.loss_gradient = counted
    try:
        with warnings.catch_warnings():
            # Sixty iterations with tol=0 never converge: the warning is known.
            warnings.simplefilter("ignore", ConvergenceWarning)
            for name, n, make, models in cases:
                X, y, _ = make()
                best = [np.inf, np.inf]
                evaluations = [0, 0]
                iterations = [0, 0]
                for _ in range(repeats):
                    for k, model in enumerate(models):
                        params = dict(model, **ITERATION_FIT)
                        count[0] = 0
                        start = time.perf_counter()
                        fitted = SoftmaxKDERegressor(**params).fit(X, y)
                        elapsed = time.perf_counter() - start
                        if elapsed / fitted.n_iter_ < best[k]:
                            best[k] = elapsed / fitted.n_iter_
                            evaluations[k] = count[0]
                            iterations[k] = fitted.n_iter_
                rows.append((name, n, best, evaluations, iterations))
    finally:
        BlockedObjective.loss_gradient = evaluate
    return rows


def report_iterations(rows):
    print(f"machine: {_machine()}")
    print(
        "Whole fits of 60 iterations (early_stopping=False, tol=0), ms per "
        "iteration, minimum over the fits; that fit's evaluations:"
    )
    print(
        "| data | rows | no heads | heads | x no heads | evaluations / "
        "iterations, no heads | heads |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, n, (plain, heads), evaluations, iterations in rows:
        counts = [f"{e} / {i}" for e, i in zip(evaluations, iterations, strict=True)]
        print(
            f"| {name} | {n} | {1e3 * plain:.2f} | {1e3 * heads:.2f} "
            f"| {heads / plain:.2f} | {counts[0]} | {counts[1]} |"
        )


def run(seeds, n_test):
    rows = []
    for sim_name, simulate in SIMULATORS.items():
        results = {name: [] for name in MODELS}
        truth = []
        evaluations = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            X, y, _ = simulate(rng, N_TRAIN)
            X_test, y_test, log_true = simulate(rng, n_test)
            fitted = {}
            truth.append(float(np.mean(log_true)))
            for name, params in MODELS.items():
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    start = time.perf_counter()
                    model = SoftmaxKDERegressor(**params).fit(X, y)
                    elapsed = time.perf_counter() - start
                converged = not any(
                    issubclass(w.category, ConvergenceWarning) for w in caught
                )
                score = model.score(X_test, y_test)
                results[name].append((score, elapsed, model.n_iter_, converged))
                fitted[name] = model
            evaluations.append(
                evaluation_ms(X, y, [fitted["today"], fitted["location+scale"]])
            )
        rows.append((sim_name, np.mean(truth), results, np.mean(evaluations, axis=0)))
    return rows


def report(rows):
    print(f"machine: {_machine()}")
    print(f"n_train={N_TRAIN}, per-seed test rows as given; defaults otherwise")
    header = (
        "| simulator | model | held-out LL (mean ± seed sd) | truth | gap closed "
        "| fit s | n_iter | ms / iter | x today |"
    )
    print(header)
    print("|" + "---|" * 9)
    for sim_name, truth, results, _ in rows:
        today = np.array([r[0] for r in results["today"]])
        today_per_iter = np.mean([r[1] / max(r[2], 1) for r in results["today"]])
        for name, runs in results.items():
            scores = np.array([r[0] for r in runs])
            per_iter = np.mean([r[1] / max(r[2], 1) for r in runs])
            gap = truth - today.mean()
            closed = (scores.mean() - today.mean()) / gap if abs(gap) > 1e-9 else 0.0
            note = "" if all(r[3] for r in runs) else " (CW)"
            print(
                f"| {sim_name} | {name}{note} | {scores.mean():.4f} ± "
                f"{scores.std():.4f} | {truth:.4f} | "
                f"{'-' if name == 'today' else f'{closed:.2f}'} | "
                f"{np.mean([r[1] for r in runs]):.2f} | "
                f"{np.mean([r[2] for r in runs]):.0f} | {1e3 * per_iter:.2f} | "
                f"{per_iter / today_per_iter:.2f} |"
            )


def report_evaluations(rows):
    print()
    print(
        "One evaluation of the objective and its gradient (ms, minimum of 30, "
        "without and with both heads taken in turn, mean over seeds):"
    )
    print("| simulator | today | location+scale | ratio |")
    print("|---|---|---|---|")
    for sim_name, _, _, (plain, heads) in rows:
        print(f"| {sim_name} | {plain:.3f} | {heads:.3f} | {heads / plain:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one seed, 2 000 test rows"
    )
    parser.add_argument(
        "--waves",
        action="store_true",
        help="also the real waves of Walls (interval targets, a few minutes)",
    )
    parser.add_argument(
        "--cost",
        action="store_true",
        help="only the cost of one evaluation, at 800 to 20 000 rows and on "
        "the waves, with the heads' compiled and NumPy losses",
    )
    parser.add_argument(
        "--iterations",
        action="store_true",
        help="only whole fits of 60 iterations without and with both heads: "
        "milliseconds per iteration (issue 28's line)",
    )
    parser.add_argument(
        "--heads-width",
        type=int,
        default=0,
        help="the compiled loss's vector width (2, 4 or 8, one the processor "
        "runs; default: the widest), to measure what processors without "
        "AVX-512 get",
    )
    parser.add_argument(
        "--cases",
        default="",
        help="with --cost or --iterations: only the data whose name holds "
        "this text ('circle', 'waves', 'jumps', ...)",
    )
    args = parser.parse_args(argv)
    if args.heads_width:
        widths = () if _location_scale._heads is None else _location_scale._heads.WIDTHS
        if args.heads_width not in widths:
            parser.error(f"--heads-width must be one of {widths}")
        _location_scale._HEADS_WIDTH = args.heads_width
    if args.cost:
        report_cost(run_cost(only=args.cases))
        return
    if args.iterations:
        report_iterations(run_iterations(only=args.cases))
        return
    seeds = SEEDS[:1] if args.quick else SEEDS
    n_test = 2_000 if args.quick else N_TEST
    rows = run(seeds, n_test)
    report(rows)
    report_evaluations(rows)
    if args.waves:
        report_waves(*run_waves())


if __name__ == "__main__":
    main()
