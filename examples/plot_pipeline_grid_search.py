"""Choose the bandwidth, the kernel and the feature map by cross-validation.

:class:`skkdece.SoftmaxKDERegressor` is a scikit-learn regressor, so it goes
into a pipeline after a feature transformer and into
:class:`~sklearn.model_selection.GridSearchCV` like any other estimator.
Its ``score`` is the mean held-out log-likelihood (not R^2), and a pipeline's
``score`` is its last step's, so ``GridSearchCV(scoring=None)`` selects the
parameters under which held-out targets are most likely.  The pipeline is
:class:`skkdece.pipeline.Pipeline`, scikit-learn's with the model's whole
prediction surface forwarded, so the refitted best pipeline answers
``predict_aim`` itself.

The data are Robocode waves from
:func:`skkdece.datasets.make_guess_factor_waves`: eight features of the
enemy's movement at fire time, and as target the interval of guess factors at
which a bullet would have hit.  The grid crosses

* the feature map: :class:`~sklearn.preprocessing.StandardScaler` (logits
  linear in the features) or a :class:`~sklearn.preprocessing.SplineTransformer`
  basis (logits that are smooth non-linear functions of each feature);
* the kernel: ``"gaussian"`` or ``"exponential"``;
* the bandwidth, in guess-factor units.

The script prints the cross-validation table (best first), the best
parameters, and the held-out log-likelihood and hit rate of the refitted best
pipeline.  The figure plots the mean cross-validated log-likelihood against
the bandwidth, one line per kernel and feature map (error bars: standard
deviation over the folds; star: the best cell).  Too small a bandwidth makes
spiky densities that miss new intervals, too large a one blurs the peaks.

Run ``python examples/plot_pipeline_grid_search.py``; the figure is saved as
``pipeline_grid_search.png`` in ``$SKKDECE_EXAMPLES_OUT`` (default: the current
directory).  ``SKKDECE_EXAMPLES_QUICK=1`` uses a small data set and grid.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.preprocessing import SplineTransformer, StandardScaler  # noqa: E402

from skkdece import SoftmaxKDERegressor  # noqa: E402
from skkdece.datasets import make_guess_factor_waves  # noqa: E402
from skkdece.metrics import hit_rate  # noqa: E402
from skkdece.pipeline import Pipeline, make_pipeline  # noqa: E402

OUT = Path(os.environ.get("SKKDECE_EXAMPLES_OUT", "."))
QUICK = os.environ.get("SKKDECE_EXAMPLES_QUICK", "0") not in ("", "0")
N_SAMPLES = 300 if QUICK else 1500
BANDWIDTHS = [0.05, 0.15] if QUICK else [0.03, 0.06, 0.12, 0.24]
KERNELS = ["gaussian", "exponential"]
CV = 2 if QUICK else 3
if QUICK:
    # The quick run caps the iterations to stay fast; it is a smoke test.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)


FEATURE_MAPS = {
    "StandardScaler": StandardScaler(),
    "SplineTransformer": make_pipeline(
        StandardScaler(), SplineTransformer(n_knots=4, degree=2)
    ),
}


def feature_map_name(transformer):
    """Display name of one of the ``FEATURE_MAPS``."""
    return (
        "SplineTransformer" if isinstance(transformer, Pipeline) else "StandardScaler"
    )


def main():
    """Run the grid search, print the table and save ``pipeline_grid_search.png``."""
    X, y = make_guess_factor_waves(N_SAMPLES, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )

    pipeline = Pipeline(
        [
            ("features", StandardScaler()),
            (
                "kde",
                SoftmaxKDERegressor(
                    centers=16 if QUICK else 24,
                    tol=1e-4,
                    max_iter=60 if QUICK else 500,
                ),
            ),
        ]
    )
    search = GridSearchCV(
        pipeline,
        {
            "features": list(FEATURE_MAPS.values()),
            "kde__kernel": KERNELS,
            "kde__bandwidth": BANDWIDTHS,
        },
        cv=CV,
        n_jobs=-1,
    )
    search.fit(X_train, y_train)

    results = search.cv_results_
    names = [feature_map_name(m) for m in results["param_features"]]
    kernels = list(results["param_kde__kernel"])
    bandwidths = np.array(results["param_kde__bandwidth"], dtype=float)
    means = results["mean_test_score"]
    stds = results["std_test_score"]
    print(
        f"{CV}-fold cross-validated mean log-likelihood on {len(X_train)} waves "
        "(higher is better):"
    )
    print(
        f"{'rank':>4}  {'features':<17}  {'kernel':<11}  {'bandwidth':>9}  "
        f"{'mean':>7}  {'std':>6}"
    )
    for i in np.argsort(results["rank_test_score"], kind="stable"):
        print(
            f"{results['rank_test_score'][i]:>4}  {names[i]:<17}  {kernels[i]:<11}  "
            f"{bandwidths[i]:>9.3f}  {means[i]:>7.3f}  {stds[i]:>6.3f}"
        )
    best = search.best_params_
    print(
        f"best: features={feature_map_name(best['features'])}, "
        f"kernel={best['kde__kernel']}, bandwidth={best['kde__bandwidth']:g} "
        f"(CV mean log-likelihood {search.best_score_:.3f})"
    )

    best_pipeline = search.best_estimator_
    half_width = 0.5 * np.median(y_train[:, 1] - y_train[:, 0])
    aim = best_pipeline.predict_aim(X_test, half_width=half_width)
    print(
        f"refitted best pipeline on {len(X_test)} held-out waves: mean "
        f"log-likelihood {best_pipeline.score(X_test, y_test):.3f}, hit rate "
        f"{hit_rate(y_test, aim):.3f} (head-on aim: "
        f"{hit_rate(y_test, np.zeros(len(y_test))):.3f})"
    )

    fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
    styles = {"StandardScaler": "-", "SplineTransformer": "--"}
    for name in FEATURE_MAPS:
        for k, kernel in enumerate(KERNELS):
            cell = [
                i
                for i in range(len(means))
                if names[i] == name and kernels[i] == kernel
            ]
            cell.sort(key=lambda i: bandwidths[i])
            ax.errorbar(
                bandwidths[cell],
                means[cell],
                yerr=stds[cell],
                color=f"C{k}",
                linestyle=styles[name],
                marker="o",
                capsize=3,
                label=f"{kernel}, {name}",
            )
    i = search.best_index_
    ax.plot(
        bandwidths[i],
        means[i],
        marker="*",
        markersize=18,
        color="gold",
        markeredgecolor="k",
        linestyle="none",
        label="best",
    )
    ax.set_xscale("log")
    ax.set_xticks(BANDWIDTHS, [f"{b:g}" for b in BANDWIDTHS])
    ax.minorticks_off()
    ax.set_xlabel("kernel bandwidth (guess-factor units)")
    ax.set_ylabel("cross-validated mean log-likelihood")
    ax.set_title("GridSearchCV over bandwidth, kernel and feature map")
    ax.legend(fontsize="small")

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "pipeline_grid_search.png"
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
