"""Fixtures shared by the test modules."""

import pytest

from skkdece import _neighbors


@pytest.fixture(params=["compiled", "numpy"])
def pair_path(request, monkeypatch):
    """Run a test on the compiled pair kernels, then on the NumPy path.

    The neighbours model computes its pairs' distances with the extension
    ``skkdece._pairs`` when it was built, and with NumPy otherwise; a test
    taking this fixture checks both.
    """
    if request.param == "compiled":
        if _neighbors._pairs is None:
            pytest.skip("skkdece._pairs was not built")
    else:
        monkeypatch.setattr(_neighbors, "_pairs", None)
    return request.param
