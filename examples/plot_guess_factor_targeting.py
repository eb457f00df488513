"""Guess-factor targeting in Robocode: where to fire at a moving enemy.

A bot fires at an enemy whose future position it cannot know.  It describes
the firing angle as a *guess factor* (GF): 0 is straight at the enemy
("head-on"), +1 the farthest the enemy could get by driving at full speed in
its current lateral direction.  After the bullet's flight the bot knows the
*interval* of guess factors that would have hit, and it learns, from features
of the enemy's movement at fire time, a density over the guess factor for the
next shot.  :func:`skkdece.datasets.make_guess_factor_waves` simulates such
waves; :class:`skkdece.SoftmaxKDERegressor` learns the density from the hit
intervals directly.

The script compares the hit rates of six aims on held-out waves:

* ``predict_aim``: the angle whose window of the enemy's half-width holds the
  most predicted probability (a bullet hits when it passes within that
  half-width of the enemy's centre, so this is the most likely hit);
* ``predict``: the mode of the predicted density;
* :class:`skkdece.SoftmaxKDENeighborsRegressor`'s ``predict_aim``: the gun
  this loss was invented for, a nearest-neighbour density over past waves
  whose metric and sharpness are learned with the same loss;
* a k-nearest-neighbours gun: the same window rule applied to the kernel
  density of the k most similar past waves (standardised features);
* the histogram mode: the same rule on the density of all past waves,
  ignoring the features;
* head-on aim, guess factor 0.

It prints the hit rates, overall and by the enemy's lateral speed at fire time
(a stationary enemy is hit head-on; a fast one is not), and the model's
held-out mean log-likelihood.  The figure shows, for 40 held-out waves, the
true hit interval (dark bar), the model's central 50% prediction interval
(light bar) and the aims; below, the hit rates by lateral speed and the
predicted densities of three waves with their true hit intervals shaded.

Run ``python examples/plot_guess_factor_targeting.py``; the figure is saved as
``guess_factor_targeting.png`` in ``$SKKDECE_EXAMPLES_OUT`` (default: the
current directory).  ``SKKDECE_EXAMPLES_QUICK=1`` uses a small data set.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.special import ndtr  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skkdece import SoftmaxKDENeighborsRegressor, SoftmaxKDERegressor  # noqa: E402
from skkdece.datasets import GUESS_FACTOR_FEATURES, make_guess_factor_waves  # noqa: E402
from skkdece.metrics import hit_rate  # noqa: E402
from skkdece.plotting import plot_densities  # noqa: E402

OUT = Path(os.environ.get("SKKDECE_EXAMPLES_OUT", "."))
QUICK = os.environ.get("SKKDECE_EXAMPLES_QUICK", "0") not in ("", "0")
N_SAMPLES = 400 if QUICK else 4000
N_NEIGHBORS = 20 if QUICK else 50
BANDWIDTH = 0.1  # guess-factor units, for the model and the baselines alike
if QUICK:
    # The quick run caps the iterations to stay fast; it is a smoke test.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def kde_aim(midpoints, half_width, grid):
    """Best window centre for equal-weight Gaussian kernel densities.

    Parameters
    ----------
    midpoints : ndarray of shape (n_rows, n_points)
        Each row's kernel locations (past waves' interval midpoints).
    half_width : float
        Half-width ``w`` of the window ``[t - w, t + w]``.
    grid : ndarray of shape (n_grid,)
        Candidate aims.

    Returns
    -------
    aim : ndarray of shape (n_rows,)
        The grid value whose window holds the most mass, per row.
    """
    aim = np.empty(len(midpoints))
    for start in range(0, len(midpoints), 100):
        rows = midpoints[start : start + 100, None, :]
        high = (grid[None, :, None] + half_width - rows) / BANDWIDTH
        low = (grid[None, :, None] - half_width - rows) / BANDWIDTH
        mass = (ndtr(high) - ndtr(low)).mean(axis=2)
        aim[start : start + 100] = grid[np.argmax(mass, axis=1)]
    return aim


def main():
    """Fit, print the hit rates and save ``guess_factor_targeting.png``."""
    X, y = make_guess_factor_waves(N_SAMPLES, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)

    model = SoftmaxKDERegressor(
        centers=16 if QUICK else 24,
        bandwidth=BANDWIDTH,
        tol=1e-4,
        max_iter=60 if QUICK else 500,
    ).fit(Z_train, y_train)

    # A bullet hits when it passes within the enemy's half-width of its centre;
    # in guess-factor units that is about half the typical hit interval.
    half_width = 0.5 * float(np.median(y_train[:, 1] - y_train[:, 0]))
    midpoints = y_train.mean(axis=1)
    grid = np.arange(midpoints.min(), midpoints.max(), BANDWIDTH / 20)
    neighbours = (
        NearestNeighbors(n_neighbors=N_NEIGHBORS)
        .fit(Z_train)
        .kneighbors(Z_test, return_distance=False)
    )
    neighbours_model = SoftmaxKDENeighborsRegressor(
        n_neighbors=N_NEIGHBORS, bandwidth=BANDWIDTH
    ).fit(X_train, y_train)
    aims = {
        "SoftmaxKDERegressor predict_aim": model.predict_aim(Z_test, half_width),
        "SoftmaxKDERegressor mode": model.predict(Z_test),
        "SoftmaxKDENeighborsRegressor predict_aim": neighbours_model.predict_aim(
            X_test, half_width
        ),
        f"k-nearest-neighbours KDE (k={N_NEIGHBORS})": kde_aim(
            midpoints[neighbours], half_width, grid
        ),
        "histogram mode (all past waves)": np.full(
            len(X_test), kde_aim(midpoints[None, :], half_width, grid)[0]
        ),
        "head-on (GF 0)": np.zeros(len(X_test)),
    }

    speed = X_test[:, GUESS_FACTOR_FEATURES.index("lateral_velocity")]
    groups = {
        "lateral speed < 2": speed < 2,
        "2 to 6": (speed >= 2) & (speed < 6),
        ">= 6": speed >= 6,
    }
    print(
        f"{len(X_train)} training waves, {len(X_test)} held-out waves; "
        f"aim window half-width {half_width:.3f} GF"
    )
    header = f"{'aim':<42}{'hit rate':>9}" + "".join(f"{g:>19}" for g in groups)
    print(header)
    rates = {}
    for name, aim in aims.items():
        rates[name] = [hit_rate(y_test[m], aim[m]) for m in groups.values()]
        print(
            f"{name:<42}{hit_rate(y_test, aim):>9.3f}"
            + "".join(f"{r:>19.3f}" for r in rates[name])
        )
    print(
        "waves per lateral-speed group: "
        + ", ".join(f"{g}: {int(m.sum())}" for g, m in groups.items())
    )
    print(
        "SoftmaxKDERegressor held-out mean log-likelihood: "
        f"{model.score(Z_test, y_test):.3f}"
    )
    print(
        "SoftmaxKDENeighborsRegressor held-out mean log-likelihood: "
        f"{neighbours_model.score(X_test, y_test):.3f}"
    )

    fig = plt.figure(figsize=(12, 9), constrained_layout=True)
    layout = fig.add_gridspec(2, 2)

    ax = fig.add_subplot(layout[0, :])
    shown = np.arange(min(40, len(X_test)))
    central = model.predict_interval(Z_test[shown], coverage=0.5)
    ax.vlines(
        shown - 0.15,
        central[:, 0],
        central[:, 1],
        color="C0",
        alpha=0.35,
        linewidth=6,
        label="model: central 50% interval",
    )
    ax.vlines(
        shown + 0.15,
        y_test[shown, 0],
        y_test[shown, 1],
        color="k",
        linewidth=3,
        label="true hit interval",
    )
    markers = {
        "SoftmaxKDERegressor predict_aim": ("o", "C3"),
        "SoftmaxKDENeighborsRegressor predict_aim": ("+", "C2"),
        f"k-nearest-neighbours KDE (k={N_NEIGHBORS})": ("x", "0.3"),
    }
    for name, (marker, color) in markers.items():
        ax.plot(
            shown, aims[name][shown], marker, color=color, linestyle="none", label=name
        )
    ax.axhline(0.0, color="0.6", linewidth=0.8, label="head-on (GF 0)")
    ax.set_xlabel("held-out wave")
    ax.set_ylabel("guess factor")
    ax.set_title("predicted vs true hit intervals")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.3 * (high - low))  # room for the legend
    ax.legend(fontsize="small", ncol=3, loc="upper left")

    ax = fig.add_subplot(layout[1, 0])
    width = 0.8 / len(aims)
    for k, name in enumerate(aims):
        ax.bar(
            np.arange(len(groups)) + (k - len(aims) / 2 + 0.5) * width,
            rates[name],
            width=width,
            label=name,
        )
    ax.set_xticks(np.arange(len(groups)), list(groups))
    ax.set_xlabel("enemy's lateral speed at fire time")
    ax.set_ylabel("hit rate")
    ax.set_title("hit rate by lateral speed")
    ax.legend(fontsize="x-small")

    ax = fig.add_subplot(layout[1, 1])
    rows = [
        int(np.argmin(speed)),
        int(np.argsort(speed)[len(speed) // 2]),
        int(np.argmax(speed)),
    ]
    plot_densities(
        model,
        Z_test[rows],
        y=y_test[rows],
        ax=ax,
        labels=[f"wave {i}, lateral speed {abs(speed[i]):.1f}" for i in rows],
    )
    ax.set_xlabel("guess factor (shaded: true hit interval)")
    ax.set_title("predicted densities")
    fig.suptitle("Guess-factor targeting with SoftmaxKDERegressor")

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "guess_factor_targeting.png"
    fig.savefig(path, dpi=90)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
