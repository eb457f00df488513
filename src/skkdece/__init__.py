"""skkdece: softmax kernel-density regression for angles and other 1-D targets.

The estimators :class:`SoftmaxKDERegressor` (linear logits over fixed centers)
and :class:`SoftmaxKDENeighborsRegressor` (a learned metric over nearest
neighbours) predict, for every row of features, a kernel density over a 1-D
target (an angle, possibly circular), trained by the cross-entropy between each
sample's target interval and the density.

:data:`KERNELS` lists the kernel names every estimator, distribution and loss
function accepts.
"""

from ._distribution import KDEDistribution
from ._linear_cv import SoftmaxKDERegressorCV
from ._linear_regressor import SoftmaxKDERegressor
from ._neighbors_regressor import SoftmaxKDENeighborsRegressor
from ._tables._kernels import KERNELS
from .losses import interval_likelihood, kde_cross_entropy

__all__ = [
    "KERNELS",
    "KDEDistribution",
    "SoftmaxKDERegressor",
    "SoftmaxKDENeighborsRegressor",
    "SoftmaxKDERegressorCV",
    "interval_likelihood",
    "kde_cross_entropy",
]
__version__ = "0.1.0"
