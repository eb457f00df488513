"""benchmarks/location_scale_benchmarks.py's cost harness keeps working.

Its cases and the objectives it times, on tiny data; no timing is asserted.
"""

from pathlib import Path

import numpy as np
import pytest

from skkdece import _location_scale

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        import location_scale_benchmarks

        yield location_scale_benchmarks


def test_cases_are_picked_by_name(bench):
    names = {name for name, *_ in bench._cost_cases((300,), only="circle")}
    assert names == {
        "circle (location)",
        "circle, von Mises kernel",
        "circle, exponential kernel",
        "circle, tophat kernel",
        "circle, epanechnikov kernel",
        "circle, linear kernel",
        "circle, cosine kernel",
        "circle, gaussian 2.5 rad wide",
    }
    everything = bench._cost_cases((300,))
    assert {"jumps", "waves of Walls", "skewed, exponential kernel"} <= {
        name for name, *_ in everything
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "only", ["circle, von Mises", "circle, cosine", "2.5 rad", "skewed, exponential"]
)
def test_the_timed_objectives_are_the_fitted_models(bench, only):
    # The harness rebuilds each fitted model's objective: on a circle its
    # table must carry the period (it once timed a circular model on the
    # line), and its loss at the fitted parameters must be the fit's.
    (name, n, make, models), *_ = bench._cost_cases((300,), only=only)
    X, y, _ = make()
    fitted = [
        bench.SoftmaxKDERegressor(max_iter=5, early_stopping=False, **params).fit(X, y)
        for params in models
    ]
    objectives = bench._objectives(X, y, fitted)
    for model, (objective, params) in zip(fitted, objectives, strict=True):
        assert objective.table.period == model.period
        with objective.running():
            value, _ = objective.loss_gradient(params)
        assert value == pytest.approx(model.objective_, rel=1e-9)
    heads_table = objectives[1][0].table
    assert isinstance(heads_table, _location_scale.LocationScaleTable)
    assert heads_table._fused is not None  # the compiled loss's kernel
    times = bench.evaluation_ms(X, y, fitted, repeats=2, numpy_loss=True)
    assert len(times) == 3 and np.all(np.isfinite(times))
