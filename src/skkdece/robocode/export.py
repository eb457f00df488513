"""Export a fitted model as a small JSON document for other languages.

The document holds everything needed to recompute the predicted density: the
feature scaling, the logits and the kernel mixture.  The Java readers in the
repository's ``robocode/src/skk/`` load it (``SkkModel.java`` the linear
model, ``NeighborsModel.java`` the neighbours model); :func:`from_dict` and
:func:`load_model` read it back into a fitted scikit-learn estimator.

Two models, three format versions.  A ``SoftmaxKDERegressor`` without heads
is written as format version 1, unchanged since 0.1, so that every reader
keeps working; a ``SoftmaxKDENeighborsRegressor`` as format version 2; a
``SoftmaxKDERegressor`` with a location or scale head (``location="linear"``,
``scale="linear"``, or what ``"auto"``, the default, chose) as format
version 3, version 1 plus the heads (fit with ``location=None,
scale=None`` for a document that older readers load).  Readers of
version 3 read all three.  Floats are written with ``repr`` precision, so a
reader that parses them exactly gets the same doubles.

Version 1, the linear model::

    {
      "format": "skkdece-model",
      "format_version": 1,
      "model": "softmax_kde",
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

The logits of a row ``x`` are ``coef @ x' + intercept`` with
``x' = (x - mean) / scale`` (``x' = x`` when ``scaling`` is null), and
``p(t | x) = sum_m softmax(logits)_m K(t - centers_m)``.

Version 3, the linear model with heads: version 1's document (``"model":
"softmax_kde"``) with ``"format_version": 3`` and one or both of two more
keys in ``"softmax_kde"``::

        "location": {"coef": [...], "intercept": 0.1},   # beta, beta_0
        "scale": {"coef": [...], "intercept": -1.2}      # gamma, gamma_0

each ``coef`` of ``n_features`` weights on the same scaled features ``x'``
as the logits.  A head that is absent (or null) is off.  The row's location
is ``mu = location.coef @ x' + location.intercept`` (0 without it), its scale
``s = exp(scale.coef @ x' + scale.intercept)`` (1 without it), and the
density is the mixture above of the standardised target, moved and
stretched::

    p(t | x) = q((t - mu) / s) / s,   q(z) = sum_m softmax(logits)_m K(z - centers_m)

so ``centers`` and ``bandwidth`` are in units of ``z``.  A window
``[t - w, t + w]`` holds the mass ``q`` gives ``[(t - w - mu) / s,
(t + w - mu) / s]``: the best aim of half-width ``w`` is ``mu + s z*`` with
``z*`` the best aim of ``q`` for half-width ``w / s``.  With a ``period``
only the location exists, a rotation (``p(t | x) = q(t - mu)``, the kernels
wrapped as usual, the aim ``z* + mu`` brought into the window); a document
with a period and a scale head is an error.  Why a new version rather than
optional keys in version 1: a reader that predates the heads would ignore
them and predict, without a word, the density of the wrong location and
scale; version 3 makes it refuse the document instead.  A model without
heads is still written as version 1, byte for byte as before.

Version 2, the neighbours model (``"model": "softmax_kde_neighbors"``; the
top-level keys as in version 1)::

      "softmax_kde_neighbors": {
        "kernel": "gaussian", "bandwidth": 0.1, "period": null,
        "window": null or [start, end],
        "neighbor_target": "interval" or "center",
        "n_neighbors": 32,               # neighbours per mixture
        "sharpness": 3.2,                # s
        "feature_center": [...],         # n_features
        "feature_scale": [...],          # n_features (0: feature ignored)
        "knots": [[...], ...],           # per feature, interior knots
        "metric_weights": [...],         # v, one per output of the embedding
        "memory": null or {
          "points": [[...], ...],        # n_rows x n_live
          "centers": [...],              # n_rows
          "half_widths": [...] or null,  # n_rows (null: "center")
          "weights": [...]               # n_rows
        }
      }

How a reader rebuilds the density of a row ``x`` (features after
``scaling``, as in version 1):

1. *Embedding* ``E(x)``: for each feature ``f`` in order,
   ``z = (x_f - feature_center_f) / feature_scale_f`` (``z = 0`` when the
   scale is 0).  With no knots the feature has one output, ``z``; with
   knots ``k_1 < ... < k_K`` it has ``K + 1`` outputs, ``clip(z, e_q,
   e_{q+1})`` for ``q = 0..K`` with ``e = (-inf, k_1, ..., k_K, +inf)``.
   ``metric_weights`` has one weight per output, in this order.
2. *Point*: the outputs with a positive metric weight ("live"), each times
   its weight: ``P(x) = E(x)[live] * v[live]`` (a single 0 when no weight is
   positive).  The memory's ``points`` are these points of its rows, so a
   reader can add rows of its own to the memory.
3. *Neighbours*: the ``min(n_neighbors, n_rows)`` memory rows nearest to
   ``P(x)`` in the Manhattan distance ``d_j = sum_i |P_i(x) - points_ji|``
   (summed over the live outputs in order).
4. *Weights*: logits ``z_j = -s d_j + log(weights_j / max(weights))`` (the
   second term left out when all weights are equal), softmax over the
   neighbours.
5. *Atoms*: neighbour ``j``'s kernel ``A_j``; with ``half_widths`` null or
   ``r_j = 0`` the kernel at the center, ``A_j(t) = K(t - centers_j)``,
   otherwise the kernel smoothed over the box ``[c_j - r_j, c_j + r_j]``,
   ``A_j(t) = (1 / (2 r_j)) integral_{c_j - r_j}^{c_j + r_j} K(t - s) ds``.
   ``p(t | x) = sum_j softmax(z)_j A_j(t)``.

The memory's ``weights`` are each row's weight as a neighbour (equal rows
merged, their weights summed, as ``fit`` and ``partial_fit`` keep them).
Without ``memory`` (``to_dict(..., memory=False)``) a reader starts with an
empty memory and fills it with rows of its own, as a gun does in a new
battle.

The kernel ``K`` (both versions) is the unit kernel named by ``kernel``
scaled by the bandwidth ``h``: ``K(u) = k(u / h) / h`` with ``k`` the
standard normal density (``"gaussian"``), ``exp(-|u|) / 2``
(``"exponential"``), ``1 / 2`` (``"tophat"``), ``3 (1 - u^2) / 4``
(``"epanechnikov"``), ``1 - |u|`` (``"linear"``), ``pi cos(pi u / 2) / 4``
(``"cosine"``), the compact ones on ``|u| <= 1``.  With a ``period`` ``P``
the kernel is wrapped, ``sum_k K(u + k P)``, except ``"vonmises"``:
``exp(kappa cos(2 pi u / P)) / (P I_0(kappa))`` with
``kappa = (P / (2 pi h))^2``.  ``window`` is where angles are reported:
``[start, start + P)``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import os

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from .._linear_regressor import SoftmaxKDERegressor
from .._neighbors import NeighborEmbedding
from .._neighbors_regressor import MemorySearch, SoftmaxKDENeighborsRegressor
from ..pipeline import Pipeline as SkkPipeline

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "export_model",
    "from_dict",
    "load_model",
    "to_dict",
]

FORMAT = "skkdece-model"
# The newest version this module writes and reads.  Each document is
# written at the oldest version that holds it, so that older readers keep
# reading what they can: a linear model as version 1, a neighbours model as
# version 2, a linear model with a location or scale head as version 3.
FORMAT_VERSION = 3
_NEIGHBORS_VERSION = 2
_HEADS_VERSION = 3
_MODELS = (SoftmaxKDERegressor, SoftmaxKDENeighborsRegressor)
_SUPPORTED = (
    "a SoftmaxKDERegressor or a SoftmaxKDENeighborsRegressor, alone or in a "
    "Pipeline after a StandardScaler"
)


def _floats(a):
    return [float(v) for v in np.ravel(a)]


def _split(estimator):
    """(scaler or None, model) of a supported estimator."""
    if isinstance(estimator, _MODELS):
        return None, estimator
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step != "passthrough"]
        if len(steps) == 1 and isinstance(steps[0], _MODELS):
            return None, steps[0]
        if (
            len(steps) == 2
            and isinstance(steps[0], StandardScaler)
            and isinstance(steps[1], _MODELS)
        ):
            return steps[0], steps[1]
    got = estimator.steps if isinstance(estimator, Pipeline) else estimator
    raise TypeError(f"export_model supports {_SUPPORTED}; got {got!r}.")


def _check_one_bandwidth(model):
    if np.ndim(model.bandwidth_):
        raise ValueError(
            "This model has kernels of several bandwidths (bandwidth_ holds one "
            f"per atom: {np.unique(model.bandwidth_).tolist()}); the format "
            "holds a single bandwidth. Export a model fitted with one bandwidth."
        )


def _kernel_part(model):
    window = getattr(model, "window_", None)
    return {
        "kernel": str(model.kernel),
        "bandwidth": float(model.bandwidth_),
        "period": None if model.period is None else float(model.period),
        "window": None if window is None else _floats(window),
    }


def _heads(model):
    """``{"location": {...}, "scale": {...}}`` of the heads that are on."""
    heads = {}
    for name in ("location", "scale"):
        coef = getattr(model, f"{name}_coef_", None)
        if coef is not None:
            intercept = getattr(model, f"{name}_intercept_")
            heads[name] = {"coef": _floats(coef), "intercept": float(intercept)}
    return heads


def _linear_part(model):
    _check_one_bandwidth(model)
    return {
        **_kernel_part(model),
        "centers": _floats(model.centers_),
        "coef": [_floats(row) for row in np.asarray(model.coef_)],
        "intercept": _floats(model.intercept_),
        **_heads(model),
    }


def _neighbors_part(model, memory):
    held = None
    if memory:
        held = {
            "points": [_floats(row) for row in model._tree.points],
            "centers": _floats(model.centers_),
            "half_widths": None
            if model.half_widths_ is None
            else _floats(model.half_widths_),
            "weights": _floats(model._memory_weight),
        }
    return {
        **_kernel_part(model),
        "neighbor_target": "center" if model.half_widths_ is None else "interval",
        "n_neighbors": int(model.n_neighbors_),
        "sharpness": float(model.sharpness_),
        "feature_center": _floats(model.feature_center_),
        "feature_scale": _floats(model.feature_scale_),
        "knots": [_floats(k) for k in model.knots_],
        "metric_weights": _floats(model.metric_weights_),
        "memory": held,
    }


def to_dict(estimator, *, memory=True):
    """The JSON-ready document describing a fitted estimator.

    Parameters
    ----------
    estimator : SoftmaxKDERegressor, SoftmaxKDENeighborsRegressor or Pipeline
        A fitted model, or a fitted ``Pipeline`` of a ``StandardScaler``
        followed by one.
    memory : bool, default=True
        For a neighbours model: whether the document holds its memory (the
        rows predictions search).  Without it a reader starts from an empty
        memory.  Ignored for the linear model.

    Returns
    -------
    document : dict
        See the module docstring for the format: version 1 for a
        ``SoftmaxKDERegressor`` (version 3 with a location or scale head),
        version 2 for a ``SoftmaxKDENeighborsRegressor``.

    Raises
    ------
    TypeError
        For any other estimator, naming those supported.

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor, SoftmaxKDENeighborsRegressor
    >>> from skkdece.robocode.export import to_dict
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> doc = to_dict(SoftmaxKDERegressor(centers=5).fit(X, X[:, 0]))
    >>> doc["model"], doc["softmax_kde"]["kernel"], len(doc["softmax_kde"]["centers"])
    ('softmax_kde', 'gaussian', 5)
    >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=4, exclude_adjacent=0)
    >>> doc = to_dict(model.fit(X, X[:, 0]), memory=False)
    >>> doc["format_version"], doc["softmax_kde_neighbors"]["memory"]
    (2, None)
    """
    scaler, model = _split(estimator)
    check_is_fitted(model)
    neighbors = isinstance(model, SoftmaxKDENeighborsRegressor)
    n_features = int(model.n_features_in_)
    scaling = None
    if scaler is not None:
        check_is_fitted(scaler)
        mean = scaler.mean_ if scaler.with_mean else np.zeros(n_features)
        scale = scaler.scale_ if scaler.with_std else np.ones(n_features)
        scaling = {"mean": _floats(mean), "scale": _floats(scale)}
    names = getattr(scaler if scaler is not None else model, "feature_names_in_", None)
    if names is None and isinstance(estimator, Pipeline):
        names = getattr(estimator, "feature_names_in_", None)
    key = "softmax_kde_neighbors" if neighbors else "softmax_kde"
    part = _neighbors_part(model, memory) if neighbors else _linear_part(model)
    version = _NEIGHBORS_VERSION if neighbors else 1
    if "location" in part or "scale" in part:
        version = _HEADS_VERSION
    return {
        "format": FORMAT,
        "format_version": version,
        "model": key,
        "n_features": n_features,
        "feature_names": None if names is None else [str(n) for n in names],
        "scaling": scaling,
        key: part,
    }


def export_model(estimator, path_or_file, *, memory=True):
    """Write :func:`to_dict` of ``estimator`` as JSON.

    Parameters
    ----------
    estimator : SoftmaxKDERegressor, SoftmaxKDENeighborsRegressor or Pipeline
        As for :func:`to_dict`.
    path_or_file : str, path-like or text file object
        Where to write.
    memory : bool, default=True
        As for :func:`to_dict`.

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
    doc = to_dict(estimator, memory=memory)
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    else:
        json.dump(doc, path_or_file, indent=1)


def _array(values):
    return np.asarray(values, dtype=np.float64)


def _read_kernel(model, part):
    model.bandwidth_ = float(part["bandwidth"])
    window = part["window"]
    model.window_ = None if window is None else tuple(_array(window).tolist())


def _read_head(part, name, n_features):
    """``(coef, intercept)`` of the head ``name``, or ``(None, None)``."""
    head = part.get(name)
    if head is None:
        return None, None
    coef = _array(head["coef"])
    if coef.shape != (n_features,):
        raise ValueError(
            f"The document's {name} head has {coef.size} coefficients; the "
            f"model has n_features={n_features}."
        )
    return coef, float(head["intercept"])


def _read_linear(part, n_features):
    location, location_intercept = _read_head(part, "location", n_features)
    scale, scale_intercept = _read_head(part, "scale", n_features)
    if scale is not None and part["period"] is not None:
        raise ValueError(
            "The document has a scale head and a period: on a circle the "
            "period does not stretch, so a linear model there has a location "
            "head (a rotation) only."
        )
    model = SoftmaxKDERegressor(
        kernel=part["kernel"],
        period=part["period"],
        location=None if location is None else "linear",
        scale=None if scale is None else "linear",
    )
    _read_kernel(model, part)
    model.centers_ = _array(part["centers"])
    model.coef_ = _array(part["coef"]).reshape(model.centers_.size, -1)
    model.intercept_ = _array(part["intercept"])
    model.location_coef_ = location
    model.location_intercept_ = location_intercept
    model.scale_coef_ = scale
    model.scale_intercept_ = scale_intercept
    model.location_, model.scale_ = model.location, model.scale
    model.head_scores_ = {}
    return model


def _read_neighbors(part, n_features):
    target = part["neighbor_target"]
    model = SoftmaxKDENeighborsRegressor(
        kernel=part["kernel"],
        period=part["period"],
        neighbor_target=target,
        n_neighbors=int(part["n_neighbors"]),
        embedding=None if all(len(k) == 0 for k in part["knots"]) else "spline",
    )
    _read_kernel(model, part)
    embedding = NeighborEmbedding(
        _array(part["feature_center"]),
        _array(part["feature_scale"]),
        [_array(k) for k in part["knots"]],
    )
    metric = _array(part["metric_weights"])
    if metric.shape != (embedding.n_outputs,) or embedding.scale.shape != (n_features,):
        raise ValueError(
            f"The document's metric_weights ({metric.size}) or features "
            f"({embedding.scale.size}) do not fit its knots and n_features "
            f"({n_features})."
        )
    model._embedding = embedding
    model.feature_center_ = embedding.center
    model.feature_scale_ = embedding.scale
    model.knots_ = embedding.knots
    model.metric_weights_ = metric
    model.sharpness_ = float(part["sharpness"])
    model.feature_weights_ = embedding.feature_weights(model.sharpness_ * metric)
    model.n_neighbors_ = int(part["n_neighbors"])
    n_live = max(int(np.sum(metric > 0)), 1)
    model._tree = MemorySearch(np.empty((0, n_live)))
    model.centers_ = np.empty(0)
    model.half_widths_ = None if target == "center" else np.empty(0)
    model._memory_digest = np.empty(0, dtype=np.uint64)
    model._set_memory_weight(np.empty(0))
    held = part["memory"]
    if held is not None:
        points = _array(held["points"]).reshape(-1, n_live)
        model._tree = MemorySearch(points)
        model.centers_ = _array(held["centers"])
        if target == "interval":
            model.half_widths_ = _array(held["half_widths"])
        # No rows of features to hash: partial_fit never merges a new row
        # with a row read from a document.
        model._memory_digest = np.zeros(points.shape[0], dtype=np.uint64)
        model._set_memory_weight(_array(held["weights"]))
    return model


def from_dict(document):
    """A fitted estimator rebuilt from a document of format version 1, 2 or 3.

    Parameters
    ----------
    document : dict
        As written by :func:`to_dict` (see the module docstring).

    Returns
    -------
    estimator : SoftmaxKDERegressor, SoftmaxKDENeighborsRegressor or Pipeline
        The model, after a ``StandardScaler`` in a :class:`skkdece.Pipeline`
        when the document has a ``scaling``.  It predicts as the exported
        estimator did; its training-only attributes (``n_iter_``,
        ``objective_``, ...) are not restored.  A neighbours model's memory
        is its document's (empty without one); ``partial_fit`` adds rows to
        it but never merges a new row with a row read from the document.

    Raises
    ------
    ValueError
        For a document of another format, version or model, or with heads
        that do not fit it (a scale head with a period, a head whose
        coefficients are not one per feature).

    Examples
    --------
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDENeighborsRegressor
    >>> from skkdece.robocode.export import from_dict, to_dict
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> model = SoftmaxKDENeighborsRegressor(n_neighbors=4, exclude_adjacent=0)
    >>> model = model.fit(X, X[:, 0])
    >>> again = from_dict(to_dict(model))
    >>> bool(np.all(again.predict(X) == model.predict(X)))
    True
    """
    if document.get("format") != FORMAT:
        raise ValueError(
            f"Not an {FORMAT} document (format={document.get('format')!r})."
        )
    version, kind = document.get("format_version"), document.get("model")
    readers = {
        (1, "softmax_kde"),
        (2, "softmax_kde"),
        (2, "softmax_kde_neighbors"),
        (3, "softmax_kde"),
    }
    if (version, kind) not in readers:
        raise ValueError(
            f"Unsupported document: format_version={version!r}, model={kind!r}; "
            f"this reader reads version 1 (softmax_kde), version 2 "
            "(softmax_kde, softmax_kde_neighbors) and version 3 (softmax_kde "
            "with heads)."
        )
    n_features = int(document["n_features"])
    if kind == "softmax_kde":
        model = _read_linear(document[kind], n_features)
    else:
        model = _read_neighbors(document[kind], n_features)
    model.n_features_in_ = n_features
    names = document.get("feature_names")
    scaling = document.get("scaling")
    if scaling is None:
        if names is not None:
            model.feature_names_in_ = np.asarray(names, dtype=object)
        return model
    scaler = StandardScaler()
    scaler.mean_ = _array(scaling["mean"])
    scaler.scale_ = _array(scaling["scale"])
    scaler.var_ = scaler.scale_**2
    scaler.n_features_in_ = n_features
    scaler.n_samples_seen_ = 0
    if names is not None:
        scaler.feature_names_in_ = np.asarray(names, dtype=object)
    return SkkPipeline([("standardscaler", scaler), ("model", model)])


def load_model(path_or_file):
    """Read a document written by :func:`export_model` (:func:`from_dict`).

    Parameters
    ----------
    path_or_file : str, path-like or text file object
        Where to read.

    Returns
    -------
    estimator : SoftmaxKDERegressor, SoftmaxKDENeighborsRegressor or Pipeline
        As for :func:`from_dict`.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.robocode.export import export_model, load_model
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> model = SoftmaxKDERegressor(centers=5).fit(X, X[:, 0])
    >>> buf = io.StringIO()
    >>> export_model(model, buf)
    >>> _ = buf.seek(0)
    >>> bool(np.all(load_model(buf).predict(X) == model.predict(X)))
    True
    """
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, encoding="utf-8") as f:
            return from_dict(json.load(f))
    return from_dict(json.load(path_or_file))
