"""Robocode: record battles, export a fitted gun, fight with it.

This subpackage is the application side of skkdece, kept apart from the
library: the models never import it.

* :mod:`skkdece.robocode` (this module) drives the Robocode engine, a Java
  program installed apart from Python (``apt-get install robocode``):
  :func:`record` collects waves from headless battles, :func:`run_battle`
  fights one, :func:`read_waves` reads the recorded CSV files.
* :mod:`skkdece.robocode.export` writes a fitted model as a small JSON
  document that the Java gun in the repository's ``robocode/src/skk`` reads.
* ``python -m skkdece.robocode record / fight`` is the command line, and
  ``python -m skkdece demo`` the demonstration on the bundled waves.
"""

from . import export
from ._battles import (
    WAVE_COLUMNS,
    RobocodeEngine,
    RobocodeNotFoundError,
    compile_robots,
    find_engine,
    read_waves,
    record,
    run_battle,
)

__all__ = [
    "RobocodeEngine",
    "RobocodeNotFoundError",
    "WAVE_COLUMNS",
    "compile_robots",
    "export",
    "find_engine",
    "read_waves",
    "record",
    "run_battle",
]
