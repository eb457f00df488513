"""Export a fitted model as a small JSON document for other languages.

The document holds everything needed to recompute the predicted density: the
feature scaling, the linear logits (``coef``, ``intercept``) and the kernel
mixture (``kernel``, ``bandwidth``, ``period``, ``window``, ``centers``). The
Java reader in the repository's ``robocode/src/skk/SkkModel.java`` loads it.

Format (``"format": "skkdece-model"``, ``"format_version": 1``)::

    {
      "format": "skkdece-model",
      "format_version": 1,
      "model": "softmax_kde",          # a future "neighbours" model gets its own
      "n_features": 11,
      "feature_names": ["...", ...] or null,
      "scaling": {"mean": [...], "scale": [...]} or null,
      "softmax_kde": {
        "kernel": "gaussian", "bandwidth": 0.1, "period": null,
        "window": null or [start, end],
        "centers": [...],                # n_centers
        "coef": [[...], ...],            # n_centers x n_features
        "intercept": [...]               # n_centers
      }
    }

The logits of a row ``x`` are ``coef @ ((x - mean) / scale) + intercept``
(no scaling when ``scaling`` is null). Floats are written with ``repr``
precision, so a reader that parses them exactly gets the same doubles.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import os

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from .._linear_regressor import SoftmaxKDERegressor

__all__ = ["FORMAT", "FORMAT_VERSION", "export_model", "to_dict"]

FORMAT = "skkdece-model"
FORMAT_VERSION = 1


def _floats(a):
    return [float(v) for v in np.ravel(a)]


def _split(estimator):
    """(scaler or None, SoftmaxKDERegressor) of a supported estimator."""
    if isinstance(estimator, SoftmaxKDERegressor):
        return None, estimator
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step != "passthrough"]
        if len(steps) == 1 and isinstance(steps[0], SoftmaxKDERegressor):
            return None, steps[0]
        if (
            len(steps) == 2
            and isinstance(steps[0], StandardScaler)
            and isinstance(steps[1], SoftmaxKDERegressor)
        ):
            return steps[0], steps[1]
    raise TypeError(
        "export_model supports a SoftmaxKDERegressor or a Pipeline of "
        "StandardScaler + SoftmaxKDERegressor; got "
        f"{estimator if not isinstance(estimator, Pipeline) else estimator.steps!r}."
    )


def to_dict(estimator):
    """The JSON-ready document describing a fitted estimator.

    Parameters
    ----------
    estimator : SoftmaxKDERegressor or Pipeline
        A fitted ``SoftmaxKDERegressor``, or a fitted ``Pipeline`` of a
        ``StandardScaler`` followed by a ``SoftmaxKDERegressor``.

    Returns
    -------
    document : dict
        See the module docstring for the format.

    Raises
    ------
    TypeError
        For any other estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.robocode.export import to_dict
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> doc = to_dict(SoftmaxKDERegressor(centers=5).fit(X, X[:, 0]))
    >>> doc["model"], doc["softmax_kde"]["kernel"], len(doc["softmax_kde"]["centers"])
    ('softmax_kde', 'gaussian', 5)
    """
    scaler, model = _split(estimator)
    check_is_fitted(model)
    if np.ndim(model.bandwidth_):
        raise ValueError(
            "This model has kernels of several bandwidths (bandwidth_ holds one "
            f"per atom: {np.unique(model.bandwidth_).tolist()}); format version "
            f"{FORMAT_VERSION} holds a single bandwidth. Export a model fitted "
            "with one bandwidth."
        )
    n_features = int(model.coef_.shape[1])
    scaling = None
    if scaler is not None:
        check_is_fitted(scaler)
        mean = scaler.mean_ if scaler.with_mean else np.zeros(n_features)
        scale = scaler.scale_ if scaler.with_std else np.ones(n_features)
        scaling = {"mean": _floats(mean), "scale": _floats(scale)}
    names = getattr(scaler if scaler is not None else model, "feature_names_in_", None)
    if names is None and isinstance(estimator, Pipeline):
        names = getattr(estimator, "feature_names_in_", None)
    window = getattr(model, "window_", None)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": "softmax_kde",
        "n_features": n_features,
        "feature_names": None if names is None else [str(n) for n in names],
        "scaling": scaling,
        "softmax_kde": {
            "kernel": str(model.kernel),
            "bandwidth": float(model.bandwidth_),
            "period": None if model.period is None else float(model.period),
            "window": None if window is None else _floats(window),
            "centers": _floats(model.centers_),
            "coef": [_floats(row) for row in np.asarray(model.coef_)],
            "intercept": _floats(model.intercept_),
        },
    }


def export_model(estimator, path_or_file):
    """Write :func:`to_dict` of ``estimator`` as JSON.

    Parameters
    ----------
    estimator : SoftmaxKDERegressor or Pipeline
        As for :func:`to_dict`.
    path_or_file : str, path-like or text file object
        Where to write.

    Examples
    --------
    >>> import io, json
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.robocode.export import export_model
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> buf = io.StringIO()
    >>> export_model(SoftmaxKDERegressor(centers=5).fit(X, X[:, 0]), buf)
    >>> json.loads(buf.getvalue())["format_version"]
    1
    """
    doc = to_dict(estimator)
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    else:
        json.dump(doc, path_or_file, indent=1)
