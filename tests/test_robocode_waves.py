"""The bundled real Robocode waves (no engine needed)."""

import numpy as np
import pytest

from skkdece.datasets import (
    ROBOCODE_FEATURES,
    ROBOCODE_OPPONENTS,
    load_robocode_waves,
)


@pytest.fixture(scope="module")
def waves():
    return load_robocode_waves()


def test_shapes_and_names(waves):
    n = waves.data.shape[0]
    assert waves.data.shape == (n, len(ROBOCODE_FEATURES)) and n == 45500
    assert waves.target.shape == (n, 2)
    assert waves.feature_names == ROBOCODE_FEATURES
    assert waves.target_names == ["gf_lower", "gf_upper"]
    for name in ("opponent", "battle", "round", "fire_time", "bullet_power"):
        assert getattr(waves, name).shape == (n,)
    assert "Robocode" in waves.DESCR and "1.9.3.9" in waves.DESCR
    assert np.all(np.isfinite(waves.data))


def test_intervals_are_valid_guess_factors(waves):
    lo, hi = waves.target.T
    assert np.all(lo <= hi)
    assert np.all(lo >= -1.5) and np.all(hi <= 2.5)
    # Most waves are within the escape range (a close bot spans more of it).
    inside = (lo >= -1.05) & (hi <= 1.35)
    assert inside.mean() > 0.99
    assert np.all(hi - lo > 0)


def test_features_are_physical(waves):
    X = dict(zip(waves.feature_names, waves.data.T, strict=True))
    assert np.all((X["speed"] >= 0) & (X["speed"] <= 8))
    assert np.all(X["lateral_velocity"] >= 0)
    assert np.all(X["lateral_velocity"] <= X["speed"] + 1e-3)
    assert np.all(X["distance"] > 0)
    assert np.all((waves.bullet_power >= 1) & (waves.bullet_power <= 3))
    assert set(np.unique(waves.lateral_direction)) <= {-1, 1}


def test_bullets_that_hit_are_inside_their_interval(waves):
    hit = waves.bullet_hit == 1
    assert hit.sum() > 3000 and np.all(waves.real_bullet[hit] == 1)
    gf = waves.bullet_gf[hit]
    lo, hi = waves.target[hit].T
    inside = (gf >= lo - 1e-6) & (gf <= hi + 1e-6)
    assert inside.sum() >= hit.sum() - 1  # one point-blank hit vs RamFire


def test_battle_ids_group_rows(waves):
    assert len(np.unique(waves.battle)) == 2 * len(ROBOCODE_OPPONENTS)
    for b in np.unique(waves.battle):
        assert len(np.unique(waves.opponent[waves.battle == b])) == 1


@pytest.mark.parametrize("name", ["Walls", "sample.Walls"])
def test_filter_by_opponent(name):
    X, y = load_robocode_waves(name, return_X_y=True)
    assert X.shape == (6500, len(ROBOCODE_FEATURES)) and y.shape == (6500, 2)
    both = load_robocode_waves(["Walls", "RamFire"])
    assert set(both.opponent) == {"sample.Walls", "sample.RamFire"}
    assert both.data.shape[0] == 13000


def test_unknown_opponent():
    with pytest.raises(ValueError, match="Unknown opponent"):
        load_robocode_waves("Nobody")


def test_as_frame(waves):
    pd = pytest.importorskip("pandas")
    bunch = load_robocode_waves("Crazy", as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert list(bunch.data.columns) == ROBOCODE_FEATURES
    assert list(bunch.target.columns) == ["gf_lower", "gf_upper"]
    assert {"opponent", "battle", "round", "gf_lower"} <= set(bunch.frame.columns)
    assert len(bunch.frame) == 6500
    X, y = load_robocode_waves("Crazy", as_frame=True, return_X_y=True)
    np.testing.assert_array_equal(X.to_numpy(), load_robocode_waves("Crazy").data)
