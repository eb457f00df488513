"""python -m skkdece.robocode train-gun: the learned gun's offline recipe.

Quick fits (the first round of each recorded battle, a few iterations) check
what the command writes: a format-version-2 document that loads back into the
fitted model, a fit that never saw the opponent left out, and a memory that
holds what ``--memory`` says.
"""

import json

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skkdece.datasets import ROBOCODE_OPPONENTS, load_robocode_waves
from skkdece.robocode._battles import main
from skkdece.robocode._train import train_gun
from skkdece.robocode.export import export_model, load_model

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
QUICK = ["--max-rounds", "1", "--max-iter", "3", "--n-neighbors", "8"]


@pytest.fixture(scope="module")
def first_rounds():
    waves = load_robocode_waves(as_frame=True)
    first = np.asarray(waves["round"]) == 0
    return waves, first, np.asarray(waves.opponent)


def _memory_weight(document):
    memory = document["softmax_kde_neighbors"]["memory"]
    return None if memory is None else sum(memory["weights"])


def test_help_documents_the_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train-gun", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--leave-out", "--memory", "--max-rounds", "--out"):
        assert option in out


@pytest.mark.parametrize("memory", ["none", "training", "left-out"])
def test_writes_the_gun_without_the_left_out_opponent(
    tmp_path, capsys, first_rounds, memory
):
    waves, first, opponent = first_rounds
    path = tmp_path / "model.json"
    code = main(
        ["train-gun", "--leave-out", "Walls", "--memory", memory, "--out", str(path)]
        + QUICK
    )
    assert code == 0
    n_train = int((first & (opponent != "sample.Walls")).sum())
    n_walls = int((first & (opponent == "sample.Walls")).sum())
    n_battles = len(np.unique(np.asarray(waves.battle)[opponent != "sample.Walls"]))
    out = capsys.readouterr().out
    assert f"fitted on {n_train} waves, {n_battles} rounds" in out
    assert "sample.Walls" not in out.split(" in ")[0]
    document = json.loads(path.read_text())
    assert document["format_version"] == 2
    assert document["model"] == "softmax_kde_neighbors"
    assert document["softmax_kde_neighbors"]["n_neighbors"] == 8
    # Every wave weighs 1 in the memory (equal rows merge, summing weights).
    expected = {"none": None, "training": n_train, "left-out": n_walls}[memory]
    assert _memory_weight(document) == expected


def test_the_export_is_the_fitted_model(tmp_path, first_rounds):
    waves, first, opponent = first_rounds
    model, info = train_gun(
        "sample.Crazy", memory="left-out", max_rounds=1, max_iter=3, n_neighbors=8
    )
    assert info["opponents"] == sorted(set(ROBOCODE_OPPONENTS) - {"sample.Crazy"})
    rows = first & (opponent == "sample.Crazy")
    assert info["n_memory"] == rows.sum()
    path = tmp_path / "model.json"
    export_model(model, path, memory=True)
    loaded = load_model(path)
    X = waves.data[rows].iloc[:50]
    assert_array_equal(loaded.predict(X), model.predict(X))


def test_train_gun_refuses_bad_arguments(capsys):
    with pytest.raises(ValueError, match="unknown opponent 'Nobody'.*sample.Walls"):
        train_gun("Nobody", max_rounds=1)
    with pytest.raises(ValueError, match="memory must be one of"):
        train_gun("Walls", memory="all", max_rounds=1)
    with pytest.raises(ValueError, match="needs an opponent to leave out"):
        train_gun(None, memory="left-out", max_rounds=1)
    with pytest.raises(ValueError, match="max_rounds must be at least 1"):
        train_gun("Walls", max_rounds=0)
    assert main(["train-gun", "--leave-out", "Nobody"]) == 2
    assert "unknown opponent" in capsys.readouterr().err
