"""robocode/src/skk/ErfcTable.java is what robocode/make_erfc_table.py writes.

The Java erfc (``SkkModel.erfc``, behind every Gaussian box atom of the
learned gun's aim) evaluates this table; regenerating it checks both that the
committed file was not edited by hand and that its polynomials stay within
4e-16 of erfcx computed in 100-digit decimal arithmetic.
"""

import runpy
import sys
from pathlib import Path

import numpy as np
from scipy.special import erfcx

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "robocode" / "make_erfc_table.py"
TABLE = ROOT / "robocode" / "src" / "skk" / "ErfcTable.java"


def test_committed_table_is_the_generated_one(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(SCRIPT)])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    captured = capsys.readouterr()
    assert captured.out.strip() == TABLE.read_text().strip()
    error = float(captured.err.split()[-1])
    assert error < 4e-16


def test_table_polynomials_match_scipy():
    module = runpy.run_path(str(SCRIPT))
    start, width = module["START"], module["WIDTH"]
    pieces = [module["piece"](start + i * width) for i in range(module["PIECES"])]
    x = np.linspace(0.5, 9.0, 2001)[:-1]
    values = []
    for v in x:
        mid, coef = pieces[int((v - start) / width)]
        values.append(module["horner"](coef, v - mid))
    np.testing.assert_allclose(values, erfcx(x), rtol=2e-15)
