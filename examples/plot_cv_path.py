"""Choose the penalty and the bandwidth along a warm-started path.

:class:`skkdece.SoftmaxKDERegressorCV` cross-validates the L2 penalty
``alpha`` and the kernel bandwidth together.  In every fold it builds the
kernel table of each bandwidth once and fits the penalties one after the
other, from the smallest up, each fit starting from the previous solution;
every fit is scored by its held-out mean log-likelihood.  The pair with the
best mean score over the folds is refitted on all the training data.

The data are heteroscedastic: ``y = sin(2x) + (0.2 + 0.3|x|) eps`` with ``x``
uniform on ``[-3, 3]``.  A :class:`~sklearn.preprocessing.SplineTransformer`
basis makes the logits smooth non-linear functions of ``x``, so the predicted
density can follow both the sine and the widening noise.

The script prints the grid (penalties and bandwidths tried), the mean score
of every point, the chosen pair, the iterations the path used, and the
held-out log-likelihood of the refitted pipeline.  The figure plots the mean
cross-validated log-likelihood against ``alpha``, one line per bandwidth,
with the chosen point starred: too small a penalty or bandwidth overfits
(spiky densities that miss new targets), too large ones blur the
conditional density towards the marginal one.

Run ``python examples/plot_cv_path.py``; the figure is saved as
``cv_path.png`` in ``$SKKDECE_EXAMPLES_OUT`` (default: the current
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
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import SplineTransformer  # noqa: E402

from skkdece import SoftmaxKDERegressorCV  # noqa: E402

OUT = Path(os.environ.get("SKKDECE_EXAMPLES_OUT", "."))
QUICK = os.environ.get("SKKDECE_EXAMPLES_QUICK", "0") not in ("", "0")
N_SAMPLES = 300 if QUICK else 1000
N_ALPHAS, N_BANDWIDTHS = (4, 3) if QUICK else (8, 5)
if QUICK:
    # The quick run caps the iterations to stay fast; it is a smoke test.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def heteroscedastic(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 3.0, n)
    y = np.sin(2.0 * x) + (0.2 + 0.3 * np.abs(x)) * rng.normal(size=n)
    return x[:, None], y


def main():
    """Fit the path, print the table and save ``cv_path.png``."""
    X, y = heteroscedastic(N_SAMPLES, seed=0)
    X_test, y_test = heteroscedastic(1000, seed=1)
    pipeline = make_pipeline(
        SplineTransformer(n_knots=10, degree=3),
        SoftmaxKDERegressorCV(
            alphas=N_ALPHAS,
            bandwidths=N_BANDWIDTHS,
            centers=16 if QUICK else 32,
            cv=3 if QUICK else 5,
            tol=1e-4,
            max_iter=100 if QUICK else 1000,
        ),
    )
    pipeline.fit(X, y)
    cv = pipeline[-1]
    means = cv.scores_.mean(axis=0)

    print(f"{cv.scores_.shape[0]}-fold mean log-likelihood (higher is better)")
    print("bandwidth \\ alpha " + " ".join(f"{a:>9.2e}" for a in cv.alphas_))
    for b, row in zip(cv.bandwidths_, means, strict=True):
        print(f"{b:>17.3f} " + " ".join(f"{m:>9.3f}" for m in row))
    print(
        f"chosen: alpha={cv.alpha_:.3e}, bandwidth={cv.bandwidth_:.3f} "
        f"(CV mean log-likelihood {means[cv.best_index_]:.3f})"
    )
    print(
        f"path iterations: {int(np.sum(cv.n_iter_path_))} over "
        f"{cv.n_iter_path_.size} fits"
    )
    print(
        f"held-out log-likelihood of the refitted pipeline: "
        f"{pipeline.score(X_test, y_test):.3f}"
    )

    fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
    for j, b in enumerate(cv.bandwidths_):
        ax.plot(cv.alphas_, means[j], marker="o", color=f"C{j}", label=f"h = {b:.3f}")
    j, i = cv.best_index_
    ax.plot(
        cv.alpha_,
        means[j, i],
        marker="*",
        markersize=18,
        color="gold",
        markeredgecolor="k",
        linestyle="none",
        label="chosen",
    )
    ax.set_xscale("log")
    ax.set_xlabel("alpha (L2 penalty)")
    ax.set_ylabel("cross-validated mean log-likelihood")
    ax.set_title("SoftmaxKDERegressorCV: one warm-started path per bandwidth")
    ax.legend(fontsize="small")

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "cv_path.png"
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
