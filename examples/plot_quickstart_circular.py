"""Quick start: predict the distribution of an angle from features.

:func:`skkdece.datasets.make_circular_regression` draws an angle whose
conditional distribution is a mixture of two von Mises bumps; where the bumps
sit, how far apart they are and how the mass is shared between them depend
non-linearly on the first three features.  A
:class:`~sklearn.preprocessing.SplineTransformer` turns each feature into a
smooth basis, and :class:`skkdece.SoftmaxKDERegressor` with
``period=2 * np.pi`` maps that basis to softmax weights over kernels wrapped
onto the circle.

The script prints the held-out mean log-likelihood of the fitted model next to
two references: the density that generated the data (the best any model can
do on average, from :func:`skkdece.datasets.circular_regression_log_density`)
and the uniform density on the circle (``-log(2 pi)``, the score of knowing
nothing).  It also prints how often the 80% prediction arcs of
``predict_interval`` contain the held-out angle.

The figure shows, for three held-out rows, the predicted density (solid) and
the true density (dashed) as polar plots, with the observed angle as a dashed
ray; the fourth panel compares, row by row, the log-likelihood the model gives
each held-out angle with the one the true density gives it.

Run ``python examples/plot_quickstart_circular.py``; the figure is saved as
``quickstart_circular.png`` in ``$SKKDECE_EXAMPLES_OUT`` (default: the current
directory).  ``SKKDECE_EXAMPLES_QUICK=1`` uses a small data set.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import SplineTransformer  # noqa: E402

from skkdece import SoftmaxKDERegressor  # noqa: E402
from skkdece.datasets import (  # noqa: E402
    circular_regression_log_density,
    make_circular_regression,
)
from skkdece.plotting import plot_densities  # noqa: E402

OUT = Path(os.environ.get("SKKDECE_EXAMPLES_OUT", "."))
QUICK = os.environ.get("SKKDECE_EXAMPLES_QUICK", "0") not in ("", "0")
N_SAMPLES = 500 if QUICK else 3000
NOISE = 0.3
PERIOD = 2 * np.pi


def main():
    """Fit, print the held-out scores and save ``quickstart_circular.png``."""
    X, y = make_circular_regression(N_SAMPLES, noise=NOISE, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )

    model = make_pipeline(
        SplineTransformer(n_knots=5, degree=3),
        SoftmaxKDERegressor(
            centers=16 if QUICK else 36,
            bandwidth=0.25 if QUICK else 0.2,
            period=PERIOD,
            # A small penalty: the spline basis is flexible, and a stronger
            # one (the default 1e-4) visibly flattens the predicted densities.
            # The quick run has few rows and needs more.
            alpha=1e-3 if QUICK else 1e-5,
            tol=1e-4,
        ),
    )
    model.fit(X_train, y_train)
    regressor = model[-1]
    features = model[:-1].transform(X_test)

    # Pipeline.score is the regressor's score: the mean log-likelihood.
    model_ll = model.score(X_test, y_test)
    true_ll = circular_regression_log_density(
        X_test, y_test, noise=NOISE, period=PERIOD
    )
    uniform_ll = -np.log(PERIOD)
    print(f"{len(X_train)} training rows, {len(X_test)} held-out rows")
    print("held-out mean log-likelihood (nats per angle, higher is better):")
    print(f"  SoftmaxKDERegressor  {model_ll:8.3f}")
    print(f"  true density         {true_ll.mean():8.3f}")
    print(f"  uniform on circle    {uniform_ll:8.3f}")
    closed = (model_ll - uniform_ll) / (true_ll.mean() - uniform_ll)
    print(f"the model closes {100 * closed:.0f}% of the gap from uniform to the truth")

    arcs = regressor.predict_interval(features, coverage=0.8)
    inside = np.mod(y_test - arcs[:, 0], PERIOD) <= arcs[:, 1] - arcs[:, 0]
    print(f"80% prediction arcs contain {100 * inside.mean():.1f}% of held-out angles")

    fig = plt.figure(figsize=(11, 9), constrained_layout=True)
    # Three rows with increasingly separated modes (the separation grows with x2).
    order = np.argsort(X_test[:, 2])
    rows = order[np.round(np.array([0.1, 0.55, 0.95]) * (len(order) - 1)).astype(int)]
    grid = np.linspace(-np.pi, np.pi, 721)
    for k, i in enumerate(rows):
        ax = fig.add_subplot(2, 2, k + 1, projection="polar")
        plot_densities(
            regressor,
            features[i : i + 1],
            y=y_test[i : i + 1],
            ax=ax,
            labels=["predicted"],
        )
        true_density = np.exp(
            circular_regression_log_density(
                np.repeat(X_test[i : i + 1], len(grid), axis=0),
                grid,
                noise=NOISE,
                period=PERIOD,
            )
        )
        ax.plot(grid, true_density, color="k", linestyle="--", label="true")
        ax.set_title(
            f"held-out row {i}: x = ({X_test[i, 0]:+.2f}, {X_test[i, 1]:+.2f}, "
            f"{X_test[i, 2]:+.2f})",
            fontsize="medium",
        )
        ax.legend(fontsize="small", loc="lower left", bbox_to_anchor=(-0.15, -0.1))

    ax = fig.add_subplot(2, 2, 4)
    model_rows = regressor.score_samples(features, y_test)
    ax.scatter(true_ll, model_rows, s=6, alpha=0.5)
    low = min(true_ll.min(), model_rows.min())
    high = max(true_ll.max(), model_rows.max())
    ax.plot([low, high], [low, high], color="0.5", linewidth=1, label="equal")
    ax.axhline(uniform_ll, color="C1", linestyle=":", label="uniform density")
    ax.set_xlabel("log-likelihood under the true density")
    ax.set_ylabel("log-likelihood under the model")
    ax.set_title("every held-out angle: model vs truth")
    ax.legend(fontsize="small")
    fig.suptitle("SoftmaxKDERegressor on circular data (make_circular_regression)")

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "quickstart_circular.png"
    fig.savefig(path, dpi=90)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
