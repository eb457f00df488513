"""skkdece.robocode: finding the engine, and one real one-round battle."""

from pathlib import Path

import numpy as np
import pytest

from skkdece.robocode import RobocodeNotFoundError, find_engine
from skkdece.robocode import _battles as robocode


def _engine_or_none():
    try:
        return find_engine()
    except RobocodeNotFoundError:
        return None


ENGINE = _engine_or_none()
needs_engine = pytest.mark.skipif(
    ENGINE is None, reason="Robocode not installed (apt-get install robocode)"
)


def test_missing_jar_says_what_to_install(tmp_path):
    with pytest.raises(RobocodeNotFoundError, match="apt-get install robocode"):
        find_engine(jar=tmp_path / "robocode.jar", robots=tmp_path)


def test_missing_robots_folder(tmp_path):
    jar = tmp_path / "robocode.jar"
    jar.write_bytes(b"")
    with pytest.raises(RobocodeNotFoundError, match="sample robots"):
        find_engine(jar=jar, robots=tmp_path)


def test_missing_java(tmp_path, monkeypatch):
    jar = tmp_path / "robocode.jar"
    jar.write_bytes(b"")
    (tmp_path / "sample").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RobocodeNotFoundError, match="java"):
        find_engine(jar=jar, robots=tmp_path, java_home=tmp_path)


def test_environment_override(tmp_path, monkeypatch):
    monkeypatch.setenv("ROBOCODE_HOME", str(tmp_path / "rc"))
    monkeypatch.delenv("ROBOCODE_JAR", raising=False)
    monkeypatch.delenv("ROBOCODE_ROBOTS", raising=False)
    with pytest.raises(RobocodeNotFoundError, match=r"rc/libs/robocode\.jar"):
        find_engine()


def test_cli_reports_missing_engine(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ROBOCODE_JAR", str(tmp_path / "none.jar"))
    code = robocode.main(["record", "--opponent", "sample.Walls", "--out", "x"])
    assert code == 2
    assert "apt-get install robocode" in capsys.readouterr().err


@needs_engine
def test_two_round_smoke_battle(tmp_path):
    src = Path(__file__).resolve().parent.parent / "robocode" / "src"
    # WaveBot hit SittingDuck 2 to 9 times in five one-round battles (of 54-76
    # real bullets), and once in CI not at all: two rounds make a battle
    # without a hit to check (about 1e-5 by Poisson odds) a rarity.
    (path,) = robocode.record(
        "sample.SittingDuck", rounds=2, battles=1, out=tmp_path, verbose=False, src=src
    )
    waves = robocode.read_waves(path)
    assert list(waves) == robocode.WAVE_COLUMNS
    n = len(waves["round"])
    assert n > 100  # a wave per tick
    assert set(waves["opponent"]) == {"sample.SittingDuck"}
    lo, hi = waves["gf_lower"], waves["gf_upper"]
    assert np.all(lo <= hi) and np.all(np.abs(lo) < 3) and np.all(np.abs(hi) < 3)
    assert np.all(waves["speed"] == 0)  # the duck sits
    assert waves["real_bullet"].sum() > 5
    n_hit, n_inside = robocode.bullet_check(waves)
    assert n_hit > 0 and n_inside == n_hit
