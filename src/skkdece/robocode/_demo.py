"""The ``python -m skkdece demo`` job: fit, compare with baselines, draw.

The demo generates a data set, fits :class:`~skkdece.SoftmaxKDERegressor` on a
training split and scores it on the held-out split next to baselines that need
no training beyond storing the data:

* a k-nearest-neighbours kernel density: the equal-weight kernel density of
  the targets of the ``k`` training rows nearest in (standardised) feature
  space, the way a Robocode "dynamic clustering" gun aims;
* the unconditional histogram: the equal-weight kernel density of every
  training target, whatever the features, aimed at its peak;
* head-on aim (guess factor 0) for the guess-factor data set, the aim of a gun
  that ignores the target's movement.

Every density is scored with the same loss form (the mean of ``log p(t)`` over
each true interval, ``log p(y)`` for point targets) and aimed with the same
rule (the angle whose window ``[t - w, t + w]`` holds the most predicted mass),
so the rows of the table differ only in where their densities come from.
"""

import argparse
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import log_softmax
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from .._distribution import KDEDistribution
from .._linear_regressor import SoftmaxKDERegressor
from .._neighbors_regressor import SoftmaxKDENeighborsRegressor
from .._targets import split_targets
from ..datasets import (
    GUESS_FACTOR_FEATURES,
    circular_regression_log_density,
    load_robocode_waves,
    make_circular_regression,
    make_guess_factor_waves,
)
from ..metrics import hit_rate

DATASETS = ("robocode", "guess-factor", "circular")
DEFAULT_N_SAMPLES = 4000
DEFAULT_OUTPUT = "skkdece-demo.png"
TEST_SIZE = 0.3
N_NEIGHBORS = 50
_PLOT_INSTALL_HINT = 'the PNG needs matplotlib: pip install "skkdece[plot]"'


@dataclass
class Problem:
    """A generated data set with everything the demo needs to score it.

    Attributes
    ----------
    title : str
        One-line description printed above the table.
    X_train, X_test : ndarray of shape (n, n_features)
        Raw features.
    y_train, y_test : ndarray of shape (n, 2) or (n,)
        Targets: ``[lower, upper]`` intervals or points.
    period : float or None
        Period of a circular target.
    half_width : float
        Half-width ``w`` of the aiming window and of the hit test for point
        targets (intervals are hit when the aim lies inside them).
    unit : str
        Name of the target's unit, for the table and the plot.
    preprocess : sklearn transformer
        Feature map applied before the softmax layer.
    model_params : dict
        Parameters of :class:`~skkdece.SoftmaxKDERegressor`.
    true_log_density : callable or None
        ``f(X, y) -> log p(y | X)`` of the generating process, when known.
    groups_train : ndarray of shape (n_train,) or None
        Group of each training row (a round) when rows of one group are not
        independent: the neighbours model never lets them predict each other.
    """

    title: str
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    period: float | None
    half_width: float
    unit: str
    preprocess: object
    model_params: dict
    true_log_density: object = None
    notes: list = field(default_factory=list)
    groups_train: np.ndarray | None = None

    @property
    def intervals(self):
        """True when the targets are ``[lower, upper]`` intervals."""
        return self.y_train.ndim == 2


def _split(X, y, random_state):
    """Training and held-out rows, as the keyword arguments of a Problem."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=random_state
    )
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test}


def _guess_factor_problem(title, rows, features, source, *notes):
    """A guess-factor Problem: interval targets, head-on aim as a baseline."""
    # A bullet hits when it passes within the bot's half-width of the bot's
    # centre: half the typical width of a hit interval.
    widths = rows["y_train"][:, 1] - rows["y_train"][:, 0]
    return Problem(
        title=title,
        **rows,
        period=None,
        half_width=0.5 * float(np.median(widths)),
        unit="GF",
        preprocess=StandardScaler(),
        model_params={"centers": 24, "bandwidth": 0.1},
        notes=[
            f"features: {', '.join(features)}",
            f"targets: the interval of guess factors that would have hit, {source}",
            *notes,
        ],
    )


def make_problem(dataset, n_samples, random_state):
    """Generate a data set and split it into training and held-out rows.

    Parameters
    ----------
    dataset : {"robocode", "guess-factor", "circular"}
        ``"robocode"``: waves recorded in real Robocode battles
        (:func:`~skkdece.datasets.load_robocode_waves`), ``n_samples`` of them
        drawn at random, held out by whole rounds (waves of one round are
        not independent).  ``"guess-factor"``:
        :func:`~skkdece.datasets.make_guess_factor_waves`,
        hit intervals in guess-factor units.  ``"circular"``:
        :func:`~skkdece.datasets.make_circular_regression`, point angles in
        radians.
    n_samples : int
        Rows generated; 30% are held out.
    random_state : int
        Seed of the generator and of the split.

    Returns
    -------
    problem : Problem
    """
    if dataset == "robocode":
        waves = load_robocode_waves()
        rng = np.random.default_rng(random_state)
        n = min(n_samples, waves.data.shape[0])
        pick = np.sort(rng.choice(waves.data.shape[0], n, replace=False))
        X, y = waves.data[pick], waves.target[pick]
        rounds = np.char.add(
            waves.opponent[pick].astype(str),
            (1000 * waves.battle[pick] + waves.round[pick]).astype(str),
        )
        split = GroupShuffleSplit(1, test_size=TEST_SIZE, random_state=random_state)
        train, test = next(split.split(X, y, groups=rounds))
        rows = {"X_train": X[train], "X_test": X[test]}
        rows.update(y_train=y[train], y_test=y[test], groups_train=rounds[train])
        return _guess_factor_problem(
            "Robocode guess-factor aiming, real battles (load_robocode_waves)",
            rows,
            waves.feature_names,
            "recorded in Robocode 1.9.3.9 battles against seven sample robots",
            "held out: whole rounds",
        )
    if dataset == "guess-factor":
        X, y = make_guess_factor_waves(n_samples, random_state=random_state)
        return _guess_factor_problem(
            "Robocode guess-factor aiming (make_guess_factor_waves)",
            _split(X, y, random_state),
            GUESS_FACTOR_FEATURES,
            "simulated",
        )
    if dataset == "circular":
        noise = 0.3
        X, y = make_circular_regression(
            n_samples, noise=noise, random_state=random_state
        )
        period = 2 * np.pi

        def true_log_density(X, y):
            return circular_regression_log_density(X, y, noise=noise, period=period)

        return Problem(
            title="circular regression, two von Mises modes (make_circular_regression)",
            **_split(X, y, random_state),
            period=period,
            half_width=0.25,
            unit="rad",
            # The modes move with sin(pi * x0): a spline basis lets the linear
            # softmax layer follow them.
            preprocess=make_pipeline(
                StandardScaler(), SplineTransformer(n_knots=5, degree=3)
            ),
            # A small penalty: a stronger one flattens the densities on the
            # flexible spline basis.
            model_params={
                "centers": 36,
                "bandwidth": 0.2,
                "period": period,
                "alpha": 1e-5,
            },
            true_log_density=true_log_density,
            notes=["targets: angles in radians, hit when within the half-width"],
        )
    raise ValueError(f"dataset must be one of {DATASETS}; got {dataset!r}.")


def _midpoints(y):
    y = np.asarray(y, dtype=np.float64)
    return y.mean(axis=1) if y.ndim == 2 else y


def kde_distribution(
    centers, *, kernel, bandwidth, period=None, log_weights=None, n_rows=1
):
    """Kernel densities at given centers, as a :class:`KDEDistribution`.

    Parameters
    ----------
    centers : ndarray of shape (n_samples, n_centers) or (n_centers,)
        Each row's own kernel locations (a nearest-neighbours density: the
        targets of its neighbours), or one set for a single density.
    kernel, bandwidth, period :
        As for :class:`skkdece.KDEDistribution`.
    log_weights : ndarray of shape (n_centers,) or None, default=None
        Unnormalised log weights of the centers, the same for every row
        (equal weights when None).
    n_rows : int, default=1
        How many rows share 1-D ``centers``.

    Returns
    -------
    KDEDistribution
        Angles reported in ``[-period / 2, period / 2)`` when periodic.
    """
    centers = np.asarray(centers, dtype=np.float64)
    n = n_rows if centers.ndim == 1 else centers.shape[0]
    logits = np.zeros(centers.shape[-1]) if log_weights is None else log_weights
    log_w = np.broadcast_to(log_softmax(logits), (n, centers.shape[-1]))
    return KDEDistribution(
        log_w,
        centers,
        kernel=kernel,
        bandwidth=bandwidth,
        period=period,
        window_start=0.0 if period is None else -0.5 * period,
    )


def histogram(targets, bin_width):
    """Histogram of target midpoints: occupied bin centres and their log counts.

    Parameters
    ----------
    targets : ndarray of shape (n,)
        Target midpoints.
    bin_width : float
        Width of the bins.

    Returns
    -------
    centres : ndarray of shape (n_occupied,)
    log_counts : ndarray of shape (n_occupied,)
    """
    index = np.floor(targets / bin_width).astype(np.int64)
    bins, counts = np.unique(index, return_counts=True)
    return (bins + 0.5) * bin_width, np.log(counts)


def _true_best_aim(problem, X, n_grid=720):
    """Aim of the generating density: the grid angle with the most window mass."""
    period = problem.period
    grid = -0.5 * period + period * np.arange(n_grid) / n_grid
    step = period / n_grid
    density = np.exp(
        problem.true_log_density(
            np.repeat(X, n_grid, axis=0), np.tile(grid, X.shape[0])
        ).reshape(X.shape[0], n_grid)
    )
    # Window mass by a circular moving sum over the grid (midpoint rule).
    reach = int(round(problem.half_width / step))
    padded = np.concatenate([density[:, -reach:], density, density[:, :reach]], axis=1)
    csum = np.concatenate([np.zeros((len(X), 1)), np.cumsum(padded, axis=1)], axis=1)
    window = csum[:, 2 * reach + 1 :] - csum[:, : -2 * reach - 1]
    return grid[np.argmax(window, axis=1)]


@dataclass
class DemoResult:
    """What :func:`run_demo` computed.

    Attributes
    ----------
    rows : list of tuple
        ``(name, mean_log_likelihood or None, hit_rate)`` per method.
    problem : Problem
    model : SoftmaxKDERegressor
        The fitted estimator (on preprocessed features).
    features : tuple of ndarray
        ``(Z_train, Z_test)``, the preprocessed features.
    neighbours : ndarray of shape (n_test, k)
        Indices of the training rows nearest to each held-out row.
    aims : dict of str to ndarray
        Held-out aims per method.
    timings : dict of str to float
        Seconds spent generating, fitting and scoring.
    """

    rows: list
    problem: Problem
    model: SoftmaxKDERegressor
    features: tuple
    neighbours: np.ndarray
    aims: dict
    timings: dict


def evaluate(problem, *, n_neighbors=N_NEIGHBORS, log=None):
    """Fit the estimator and score it and the baselines on held-out rows.

    Parameters
    ----------
    problem : Problem
        From :func:`make_problem`.
    n_neighbors : int, default=50
        Neighbours of the k-nearest-neighbours baseline (fewer if the training
        set is smaller).
    log : callable or None, default=None
        Called with progress messages.

    Returns
    -------
    result : DemoResult
    """
    log = log or (lambda message: None)
    timings = {}
    start = time.perf_counter()
    preprocess = problem.preprocess.fit(problem.X_train)
    Z_train = preprocess.transform(problem.X_train)
    Z_test = preprocess.transform(problem.X_test)
    model = SoftmaxKDERegressor(tol=1e-4, max_iter=500, **problem.model_params)
    model.fit(Z_train, problem.y_train)
    timings["fit"] = time.perf_counter() - start
    log(
        f"fitted SoftmaxKDERegressor on {Z_train.shape[0]} rows x "
        f"{Z_train.shape[1]} features in {timings['fit']:.1f} s "
        f"({model.n_iter_} L-BFGS-B iterations)"
    )

    start = time.perf_counter()
    y_test = problem.y_test
    lower, upper = split_targets(y_test, period=problem.period)
    w = problem.half_width
    kde = {
        "kernel": model.kernel,
        "bandwidth": model.bandwidth_,
        "period": problem.period,
    }

    def score_hits(aim):
        return hit_rate(
            y_test,
            aim,
            period=problem.period,
            target_width=0.0 if problem.intervals else w,
        )

    aims = {}
    rows = []
    aims["model"] = model.predict_aim(Z_test, half_width=w)
    rows.append(
        (
            "SoftmaxKDERegressor (predict_aim)",
            model.score(Z_test, y_test),
            score_hits(aims["model"]),
        )
    )

    # The neighbours model learns its metric on the raw features (it
    # standardises them itself), with the plain KNN's k and the bandwidth.
    k = min(n_neighbors, problem.X_train.shape[0])
    start_nbrs = time.perf_counter()
    neighbours_model = SoftmaxKDENeighborsRegressor(
        n_neighbors=min(k, problem.X_train.shape[0] - 1),
        kernel=model.kernel,
        bandwidth=model.bandwidth_,
        period=problem.period,
    )
    neighbours_model.fit(problem.X_train, problem.y_train, groups=problem.groups_train)
    timings["fit neighbours"] = time.perf_counter() - start_nbrs
    aims["neighbours"] = neighbours_model.predict_aim(problem.X_test, half_width=w)
    rows.append(
        (
            "SoftmaxKDENeighborsRegressor (predict_aim)",
            neighbours_model.score(problem.X_test, y_test),
            score_hits(aims["neighbours"]),
        )
    )

    # Baselines work on standardised raw features, as a Robocode KNN gun does.
    scaler = StandardScaler().fit(problem.X_train)
    nn = NearestNeighbors(n_neighbors=k).fit(scaler.transform(problem.X_train))
    neighbours = nn.kneighbors(scaler.transform(problem.X_test), return_distance=False)
    train_mid = _midpoints(problem.y_train)
    knn = kde_distribution(train_mid[neighbours], **kde)
    aims["knn"] = knn.aim(w)
    rows.append(
        (
            f"k-nearest-neighbours KDE (k={k})",
            float(np.mean(knn.log_likelihood(lower, upper))),
            score_hits(aims["knn"]),
        )
    )

    # The histogram's bins are a tenth of a bandwidth: smoothed by the kernel
    # it is the kernel density of all training targets to within 5% of a
    # bandwidth, at a fraction of the cost.
    centres, log_counts = histogram(train_mid, 0.1 * model.bandwidth_)
    hist = kde_distribution(centres, log_weights=log_counts, n_rows=len(lower), **kde)
    aims["histogram"] = np.full(len(lower), hist[:1].aim(w)[0])
    hist_ll = hist.log_likelihood(lower, upper)
    rows.append(
        (
            "unconditional histogram mode",
            float(np.mean(hist_ll)),
            score_hits(aims["histogram"]),
        )
    )
    if problem.unit == "GF":
        aims["head-on"] = np.zeros(len(lower))
        rows.append(("head-on aim (GF 0)", None, score_hits(aims["head-on"])))
    if problem.true_log_density is not None:
        aims["truth"] = _true_best_aim(problem, problem.X_test)
        rows.append(
            (
                "true density (reference)",
                float(np.mean(problem.true_log_density(problem.X_test, y_test))),
                score_hits(aims["truth"]),
            )
        )
    timings["score"] = time.perf_counter() - start
    return DemoResult(
        rows=rows,
        problem=problem,
        model=model,
        features=(Z_train, Z_test),
        neighbours=neighbours,
        aims=aims,
        timings=timings,
    )


def format_table(rows):
    """Plain-text table of ``(name, mean log-likelihood, hit rate)`` rows.

    Parameters
    ----------
    rows : list of tuple
        ``(name, log_likelihood or None, hit_rate)``; None prints as ``-``.

    Returns
    -------
    table : str
        Aligned columns, no trailing newline.
    """
    header = ("method", "mean log-likelihood", "hit rate")
    cells = [
        (name, "-" if ll is None else f"{ll:.3f}", f"{hit:.3f}")
        for name, ll, hit in rows
    ]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(3)]
    lines = [
        f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]:>{widths[2]}}"
    ]
    lines.append("-" * len(lines[0]))
    for name, ll, hit in cells:
        lines.append(f"{name:<{widths[0]}}  {ll:>{widths[1]}}  {hit:>{widths[2]}}")
    return "\n".join(lines)


def _example_rows(result, n_rows=4):
    """Held-out rows spread over the main feature (lateral velocity, or x2)."""
    column = 1 if result.problem.unit == "GF" else 2
    values = result.problem.X_test[:, column]
    order = np.argsort(values, kind="stable")
    picks = order[
        np.round(np.linspace(0.1, 0.95, n_rows) * (len(order) - 1)).astype(int)
    ]
    return list(dict.fromkeys(picks.tolist()))


def save_figure(result, output):
    """Draw a few held-out predicted densities with their true targets.

    Parameters
    ----------
    result : DemoResult
        From :func:`evaluate`.
    output : str or path-like
        PNG file to write.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_densities

    problem, model = result.problem, result.model
    Z_test = result.features[1]
    rows = _example_rows(result)
    polar = problem.period is not None
    fig, axes = plt.subplots(
        2,
        2,
        figsize=(10, 8),
        subplot_kw={"projection": "polar"} if polar else {},
        constrained_layout=True,
    )
    train_mid = _midpoints(problem.y_train)
    for ax, i in zip(axes.ravel(), rows, strict=False):
        plot_densities(
            model,
            Z_test[i : i + 1],
            y=problem.y_test[i : i + 1],
            ax=ax,
        )
        line = ax.get_lines()[0]
        line.set_label("SoftmaxKDERegressor")
        grid = line.get_xdata()
        grid_t = grid * problem.period / (2 * np.pi) if polar else grid
        knn_density = kde_distribution(
            train_mid[result.neighbours[i]],
            kernel=model.kernel,
            bandwidth=model.bandwidth_,
            period=problem.period,
        ).pdf(grid_t)[0]
        ax.plot(grid, knn_density, color="0.4", linestyle=":", label="KNN KDE")
        if problem.true_log_density is not None:
            true_density = np.exp(
                problem.true_log_density(
                    np.repeat(problem.X_test[i : i + 1], len(grid_t), axis=0), grid_t
                )
            )
            ax.plot(grid, true_density, color="k", linestyle="--", label="true density")
        aim = result.aims["model"][i]
        if polar:
            ax.set_title(f"held-out row {i}: x2 = {problem.X_test[i, 2]:+.2f}")
            ax.plot([aim, aim], [0, ax.get_ylim()[1]], color="C3", label="aim")
        else:
            ax.axvline(aim, color="C3", label="aim (predict_aim)")
            ax.axvline(0.0, color="0.6", linewidth=0.8, label="head-on (GF 0)")
            ax.set_xlabel("guess factor (shaded: true hit interval)")
            lateral, flight = problem.X_test[i, 1], problem.X_test[i, 0]
            ax.set_title(
                f"wave {i}: lateral velocity {lateral:.1f}, flight {flight:.0f} ticks"
            )
        if ax is axes.flat[0] and polar:
            ax.legend(fontsize="small", loc="lower left", bbox_to_anchor=(-0.3, -0.15))
        elif ax is axes.flat[0]:
            ax.legend(fontsize="small", loc="upper right")
    what = "hit intervals shaded" if problem.intervals else "true angles dashed"
    fig.suptitle(f"skkdece demo: predicted densities of held-out rows ({what})")
    fig.savefig(output, dpi=100)
    plt.close(fig)


def run_demo(
    dataset="robocode",
    *,
    n_samples=DEFAULT_N_SAMPLES,
    random_state=0,
    output=DEFAULT_OUTPUT,
    quiet=False,
    stream=None,
):
    """Run the demo: generate, fit, print the comparison table, save the PNG.

    Parameters
    ----------
    dataset : {"robocode", "guess-factor", "circular"}, default="robocode"
        Which generated data set to use.
    n_samples : int, default=4000
        Rows generated; 30% are held out.
    random_state : int, default=0
        Seed of the data and of the split.
    output : str, path-like or None, default="skkdece-demo.png"
        PNG to write; None skips the figure.
    quiet : bool, default=False
        Print only the table (notes about the figure still go to stderr).
    stream : file-like, default=None
        Where to print (``sys.stdout`` when None).

    Returns
    -------
    result : DemoResult
    """
    stream = sys.stdout if stream is None else stream

    def say(message=""):
        if not quiet:
            print(message, file=stream, flush=True)

    wall = time.perf_counter()
    problem = make_problem(dataset, n_samples, random_state)
    say(f"skkdece demo: {problem.title}")
    say(
        f"{len(problem.X_train)} training rows, {len(problem.X_test)} held-out rows, "
        f"{problem.X_train.shape[1]} features"
    )
    for note in problem.notes:
        say(note)
    result = evaluate(problem, log=say)
    say()
    say(
        f"held-out scores (aim window half-width {problem.half_width:.3f} "
        f"{problem.unit}):"
    )
    print(format_table(result.rows), file=stream, flush=True)
    say()
    say("mean log-likelihood: mean over held-out rows of log p(t) averaged over")
    say("  the true interval (log p(y) for points); higher is better.")
    say("hit rate: fraction of held-out rows where the aim hits the target.")
    if output is not None:
        try:
            save_figure(result, output)
        except ImportError:
            print(f"note: no figure written; {_PLOT_INSTALL_HINT}", file=sys.stderr)
        else:
            say(f"figure: {output}")
    say(f"done in {time.perf_counter() - wall:.1f} s")
    return result


# ------------------------------------------------------------------ command line

_DEMO_DESCRIPTION = """\
Fit SoftmaxKDERegressor on a generated data set, print its held-out mean
log-likelihood and hit rate next to simple baselines, and save a PNG of a few
predicted densities with the true targets marked.

The default data set is the Robocode aiming problem the loss comes from,
recorded in real battles (skkdece.datasets.load_robocode_waves): features of
a moving enemy at fire time, and as target the interval of guess factors that
would have hit it; whole rounds are held out.  --dataset guess-factor uses
the simulator (skkdece.datasets.make_guess_factor_waves) instead.
The baselines are a k-nearest-neighbours kernel density (k=50 nearest
training waves in standardised feature space), the unconditional histogram of
all training targets, and head-on aim (guess factor 0).  With
--dataset circular the data come from make_circular_regression and the
generating density is shown as a reference instead of head-on aim.

The PNG needs matplotlib (pip install "skkdece[plot]"); without it the table is
still printed.  The default run takes 10 to 20 seconds on two cores."""


def build_parser():
    """The argument parser of ``python -m skkdece``.

    Returns
    -------
    parser : argparse.ArgumentParser
        With one sub-command, ``demo``.

    Examples
    --------
    >>> from skkdece.robocode._demo import build_parser
    >>> args = build_parser().parse_args(["demo", "--n-samples", "500"])
    >>> args.command, args.n_samples, args.dataset
    ('demo', 500, 'robocode')
    """
    parser = argparse.ArgumentParser(
        prog="python -m skkdece",
        description=(
            "skkdece: softmax kernel-density regression for angles and other "
            "1-D targets."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    demo = commands.add_parser(
        "demo",
        help="fit on a generated data set, compare with baselines, save a PNG",
        description=_DEMO_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--dataset",
        choices=DATASETS,
        default="robocode",
        help="data set (default: %(default)s)",
    )
    demo.add_argument(
        "--n-samples",
        type=_row_count,
        default=DEFAULT_N_SAMPLES,
        metavar="N",
        help="rows to generate, 30%% of them held out (default: %(default)s)",
    )
    demo.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the data and of the train/test split (default: %(default)s)",
    )
    demo.add_argument(
        "--output",
        default=DEFAULT_OUTPUT,
        metavar="PNG",
        help="where to save the figure (default: ./%(default)s)",
    )
    demo.add_argument(
        "--no-plot",
        action="store_true",
        help="do not draw or save the figure",
    )
    demo.add_argument(
        "--quiet",
        action="store_true",
        help="print only the results table",
    )
    return parser


def _row_count(text):
    """argparse type of ``--n-samples``: an int of at least 20."""
    value = int(text)
    if value < 20:
        raise argparse.ArgumentTypeError(f"needs at least 20 rows; got {value}")
    return value


def main(argv=None):
    """Run ``python -m skkdece`` with the given arguments.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        The exit status, 0 on success.

    Examples
    --------
    >>> import io, contextlib
    >>> from skkdece.robocode._demo import main
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     status = main(["demo", "--n-samples", "300", "--no-plot", "--quiet"])
    >>> status, out.getvalue().splitlines()[0].split()[:3]
    (0, ['method', 'mean', 'log-likelihood'])
    """
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        run_demo(
            args.dataset,
            n_samples=args.n_samples,
            random_state=args.random_state,
            output=None if args.no_plot else args.output,
            quiet=args.quiet,
        )
    return 0
