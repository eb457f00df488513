"""Offline training of the learned neighbours gun on the bundled waves.

``python -m skkdece.robocode train-gun`` fits the metric of a
:class:`~skkdece.SoftmaxKDENeighborsRegressor` (behind a
:class:`~sklearn.preprocessing.StandardScaler`) on the recorded waves of
:func:`~skkdece.datasets.load_robocode_waves`, rounds as ``groups``, and
writes the export (format version 2) that ``skk.LearnedGun`` reads.  Leaving
one opponent out of the fit makes the battle test what a real bot meets: an
opponent it has not trained on.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._neighbors_regressor import SoftmaxKDENeighborsRegressor
from ..datasets import ROBOCODE_OPPONENTS, load_robocode_waves
from .export import export_model

__all__ = ["MEMORY_CHOICES", "train_gun", "write_gun"]

#: What the exported memory holds (see :func:`train_gun`).
MEMORY_CHOICES = ("none", "training", "left-out")


def _opponent_name(name):
    full = name if "." in name else f"sample.{name}"
    if full not in ROBOCODE_OPPONENTS:
        raise ValueError(
            f"unknown opponent {name!r}: the bundled waves were recorded "
            f"against {', '.join(ROBOCODE_OPPONENTS)}"
        )
    return full


def train_gun(
    leave_out=None,
    *,
    memory="none",
    n_neighbors=32,
    max_iter=500,
    max_rounds=None,
    verbose=0,
):
    """Fit the learned gun's metric on the bundled recorded waves.

    Parameters
    ----------
    leave_out : str, default=None
        Opponent whose waves the fit leaves out (``"sample.Walls"`` or
        ``"Walls"``), for a battle against an opponent not trained on; None
        fits on every opponent.
    memory : {"none", "training", "left-out"}, default="none"
        The memory the returned model holds: ``"none"`` empties it
        (:meth:`~skkdece.SoftmaxKDENeighborsRegressor.forget`), for a gun
        that learns each battle's waves online; ``"training"`` keeps the rows
        the metric was fitted on; ``"left-out"`` holds the recorded waves
        against ``leave_out`` instead (the metric still learned without
        them), for a gun preloaded with earlier battles against its opponent.
    n_neighbors : int, default=32
        Neighbours per mixture.
    max_iter : int, default=500
        Iterations of the metric's L-BFGS fit.
    max_rounds : int, default=None
        Use only the first ``max_rounds`` rounds of each recorded battle
        (all when None): a quick fit, for tests and trials.
    verbose : int, default=0
        Passed to the estimator.

    Returns
    -------
    model : Pipeline
        ``StandardScaler`` then the fitted ``SoftmaxKDENeighborsRegressor``,
        its memory as ``memory`` says.
    info : dict
        ``n_train`` (rows fitted), ``n_rounds`` (round groups),
        ``opponents`` (fitted on), ``n_memory`` (rows put in the memory) and
        ``fit_seconds``.

    Raises
    ------
    ValueError
        If ``leave_out`` is not one of the bundled opponents, ``memory`` is
        not one of :data:`MEMORY_CHOICES` (or is ``"left-out"`` without
        ``leave_out``), or ``max_rounds`` is below 1.

    Examples
    --------
    >>> from skkdece.robocode._train import train_gun
    >>> model, info = train_gun("Walls", max_rounds=1, max_iter=5,
    ...                         n_neighbors=8)  # doctest: +SKIP
    >>> info["opponents"]  # doctest: +SKIP
    ['sample.Corners', 'sample.Crazy', ...]
    """
    if memory not in MEMORY_CHOICES:
        raise ValueError(f"memory must be one of {MEMORY_CHOICES}, not {memory!r}")
    if leave_out is not None:
        leave_out = _opponent_name(leave_out)
    elif memory == "left-out":
        raise ValueError('memory="left-out" needs an opponent to leave out')
    if max_rounds is not None and max_rounds < 1:
        raise ValueError(f"max_rounds must be at least 1, not {max_rounds}")
    waves = load_robocode_waves(as_frame=True)
    keep = np.ones(len(waves.target), dtype=bool)
    if max_rounds is not None:
        keep &= np.asarray(waves["round"]) < max_rounds
    opponent = np.asarray(waves.opponent)
    train = keep & (opponent != leave_out)
    # A round is a group: its waves are near-duplicates of each other, so
    # the metric's leave-group-out objective never scores a wave by its own
    # round's neighbours.  Battles are numbered across opponents.
    groups = 1000 * np.asarray(waves.battle) + np.asarray(waves["round"])
    X, y = waves.data, waves.target.to_numpy()
    model = make_pipeline(
        StandardScaler(),
        SoftmaxKDENeighborsRegressor(
            n_neighbors=n_neighbors, max_iter=max_iter, verbose=verbose
        ),
    )
    t0 = time.perf_counter()
    model.fit(X[train], y[train], softmaxkdeneighborsregressor__groups=groups[train])
    fit_seconds = time.perf_counter() - t0
    regressor = model[-1]
    if memory == "none":
        regressor.forget()
        n_memory = 0
    elif memory == "left-out":
        rows = keep & (opponent == leave_out)
        regressor.forget()
        regressor.partial_fit(model[0].transform(X[rows]), y[rows])
        n_memory = int(rows.sum())
    else:
        n_memory = int(train.sum())
    info = {
        "n_train": int(train.sum()),
        "n_rounds": len(np.unique(groups[train])),
        "opponents": sorted(set(opponent[train])),
        "n_memory": n_memory,
        "fit_seconds": fit_seconds,
    }
    return model, info


def write_gun(path, leave_out=None, **kwargs):
    """Fit with :func:`train_gun` and export the model to ``path``.

    Parameters
    ----------
    path : path-like
        Where the JSON document (format version 2) is written; ``model.json``
        in the data folder of ``skk.LearnedGun`` is where the robot reads it.
    leave_out : str, default=None
        Opponent left out of the fit, as for :func:`train_gun`.
    **kwargs
        The other keywords of :func:`train_gun`.

    Returns
    -------
    info : dict
        :func:`train_gun`'s ``info``.
    """
    model, info = train_gun(leave_out, **kwargs)
    export_model(model, path, memory=kwargs.get("memory", "none") != "none")
    return info
