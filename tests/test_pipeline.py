"""skkdece.pipeline: scikit-learn's Pipeline plus the distribution surface."""

import inspect

import numpy as np
import pytest
import sklearn
from sklearn import pipeline as sklearn_pipeline
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from skkdece import (
    KDEDistribution,
    SoftmaxKDENeighborsRegressor,
    SoftmaxKDERegressor,
    SoftmaxKDERegressorCV,
)
from skkdece._base import SoftmaxKDEMixin
from skkdece.metrics import log_likelihood_scorer
from skkdece.pipeline import Pipeline, _surface_methods, make_pipeline

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Arguments after X for every forwarded method.  The test below fails when the
# family's surface gains a method that is missing here.
ARGUMENTS = {
    "predict_distribution": ((), {}),
    "predict_density": (([-0.5, 0.0, 0.7],), {}),
    "predict_cdf": ((), {"grid": [-0.5, 0.0, 0.7]}),
    "predict_quantiles": (([0.1, 0.5, 0.9],), {}),
    "predict_interval": ((), {"coverage": 0.8}),
    "predict_hit_probability": ((-0.3,), {"upper": 0.4}),
    "predict_aim": ((), {"half_width": 0.2}),
    "predict_mean": ((), {}),
    "predict_std": ((), {}),
    "predict_weights": ((), {}),
    "sample": ((3,), {"random_state": 0}),
    "score_samples": ((), {}),
}


def make_data(n_samples=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 2)) * [1.0, 5.0] + [0.0, 3.0]
    y = np.tanh(X[:, 0]) + 0.2 * rng.normal(size=n_samples)
    return X, y


def final_estimators():
    return {
        "linear": SoftmaxKDERegressor(centers=6, max_iter=20),
        "neighbors": SoftmaxKDENeighborsRegressor(n_neighbors=8, max_iter=10),
        "cv": SoftmaxKDERegressorCV(
            alphas=2, bandwidths=2, centers=6, cv=2, max_iter=20
        ),
    }


def transformers():
    return {
        "scaler": [StandardScaler()],
        "spline": [StandardScaler(), SplineTransformer(n_knots=3, degree=2)],
    }


def as_array(result):
    # A distribution is compared through the weights that define it, with the
    # shared centers and the bandwidth.
    if isinstance(result, KDEDistribution):
        return result.weights
    return np.asarray(result)


def test_the_surface_is_read_from_the_mixin():
    names = _surface_methods()
    assert set(names) == set(ARGUMENTS)
    for name in names:
        assert callable(getattr(SoftmaxKDEMixin, name))
        assert name in vars(Pipeline)
    # scikit-learn's own forwarding of these is kept.
    for name in ("predict", "score", "fit", "transform"):
        assert name not in vars(Pipeline)


@pytest.mark.parametrize("final", ["linear", "neighbors", "cv"])
@pytest.mark.parametrize("features", ["scaler", "spline"])
def test_every_method_equals_the_manual_call(final, features):
    X, y = make_data()
    pipe = make_pipeline(*transformers()[features], final_estimators()[final])
    assert type(pipe) is Pipeline
    pipe.fit(X, y)
    X_new, y_new = make_data(7, seed=1)
    Xt = pipe[:-1].transform(X_new)
    for name in _surface_methods():
        args, kwargs = ARGUMENTS[name]
        if name == "score_samples":
            args = (y_new,)
        through = getattr(pipe, name)(X_new, *args, **kwargs)
        by_hand = getattr(pipe[-1], name)(Xt, *args, **kwargs)
        assert type(through) is type(by_hand), name
        np.testing.assert_array_equal(as_array(through), as_array(by_hand), name)
        assert as_array(through).shape[0] == len(X_new), name
    # The distribution is the same object, not only the same weights.
    dist, ref = pipe.predict_distribution(X_new), pipe[-1].predict_distribution(Xt)
    np.testing.assert_array_equal(dist.mean(), ref.mean())
    np.testing.assert_array_equal(dist.std(), ref.std())
    # score_samples without y, and scikit-learn's forwarding of the rest.
    np.testing.assert_array_equal(pipe.score_samples(X_new), pipe[-1].score_samples(Xt))
    np.testing.assert_array_equal(pipe.predict(X_new), pipe[-1].predict(Xt))
    assert pipe.score(X_new, y_new) == pipe[-1].score(Xt, y_new)


def test_forwarded_methods_show_the_family_signature_and_docs():
    pipe = make_pipeline(StandardScaler(), SoftmaxKDERegressor())
    assert str(inspect.signature(pipe.predict_aim)) == "(X, half_width=0.0)"
    assert str(inspect.signature(pipe.score_samples)) == "(X, y=None)"
    doc = inspect.getdoc(Pipeline.predict_quantiles)
    for section in ("Parameters", "Returns", "See Also", "Examples"):
        assert f"\n{section}\n" in doc
    assert "quantiles : array-like of shape (n_quantiles,)" in doc
    assert "X : {array-like" not in doc  # the model's X is replaced by the pipe's
    assert ">>> through = pipe.predict_quantiles(" in doc


def test_grid_search_over_a_step_and_the_final_estimator():
    X, y = make_data(80)
    pipe = make_pipeline(
        StandardScaler(),
        SplineTransformer(degree=2),
        SoftmaxKDERegressor(centers=6, max_iter=20),
    )
    grid = {
        "splinetransformer__n_knots": [3, 5],
        "softmaxkderegressor__bandwidth": [0.2, 0.6],
    }
    search = GridSearchCV(pipe, grid, scoring=log_likelihood_scorer, cv=2)
    search.fit(X, y)

    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert search.best_score_ == scores.max()
    # Each cell's score is the scorer on the held-out fold, through the pipe.
    params = search.cv_results_["params"][search.best_index_]
    fold_scores = []
    for train, test in KFold(2).split(X):
        fitted = clone(pipe).set_params(**params).fit(X[train], y[train])
        fold_scores.append(log_likelihood_scorer(fitted, X[test], y[test]))
    assert search.best_score_ == pytest.approx(np.mean(fold_scores), rel=1e-12)

    best = search.best_estimator_
    assert type(best) is Pipeline
    assert (
        best.get_params()["splinetransformer__n_knots"]
        == params["splinetransformer__n_knots"]
    )
    aim = best.predict_aim(X[:5], half_width=0.1)
    np.testing.assert_array_equal(
        aim, best[-1].predict_aim(best[:-1].transform(X[:5]), half_width=0.1)
    )
    refit = clone(pipe).set_params(**search.best_params_).fit(X, y)
    np.testing.assert_array_equal(aim, refit.predict_aim(X[:5], half_width=0.1))


def test_clone_keeps_the_class_and_the_parameters():
    pipe = make_pipeline(
        StandardScaler(with_mean=False),
        SoftmaxKDERegressor(centers=7, kernel="exponential"),
        verbose=True,
    )
    copy = clone(pipe)
    assert type(copy) is Pipeline
    assert copy is not pipe and copy[-1] is not pipe[-1]
    assert copy.get_params(deep=False).keys() == pipe.get_params(deep=False).keys()
    params = copy.get_params()
    assert params["verbose"] is True
    assert params["standardscaler__with_mean"] is False
    assert params["softmaxkderegressor__centers"] == 7
    assert params["softmaxkderegressor__kernel"] == "exponential"
    assert [name for name, _ in copy.steps] == [name for name, _ in pipe.steps]
    copy.set_params(softmaxkderegressor__centers=5)
    assert copy[-1].centers == 5 and pipe[-1].centers == 7
    # The slice of a pipeline is one too, as in scikit-learn.
    assert type(pipe[:-1]) is Pipeline


def test_make_pipeline_names_the_steps_and_passes_the_options():
    pipe = make_pipeline(
        StandardScaler(),
        StandardScaler(),
        SoftmaxKDERegressor(),
        memory="cache",
        transform_input=["groups"],
    )
    assert [name for name, _ in pipe.steps] == [
        "standardscaler-1",
        "standardscaler-2",
        "softmaxkderegressor",
    ]
    assert pipe.memory == "cache"
    assert pipe.verbose is False
    assert pipe.transform_input == ["groups"]
    reference = sklearn_pipeline.make_pipeline(StandardScaler(), SoftmaxKDERegressor())
    ours = make_pipeline(StandardScaler(), SoftmaxKDERegressor())
    assert ours.get_params(deep=False).keys() == reference.get_params(deep=False).keys()


def test_methods_the_final_step_lacks_do_not_exist():
    X, y = make_data()
    pipe = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
    for name in _surface_methods():
        assert not hasattr(pipe, name), name
        with pytest.raises(AttributeError, match=name):
            getattr(pipe, name)
    assert pipe.predict(X[:3]).shape == (3,)
    # Before fit too: availability depends on the final step alone.
    assert not hasattr(make_pipeline(StandardScaler(), Ridge()), "predict_aim")
    assert hasattr(make_pipeline(StandardScaler(), SoftmaxKDERegressor()), "sample")


def test_a_final_step_with_only_score_samples_gets_it_without_y():
    X, y = make_data()
    forest = IsolationForest(n_estimators=5, random_state=0)
    pipe = make_pipeline(StandardScaler(), forest).fit(X)
    reference = sklearn_pipeline.make_pipeline(StandardScaler(), clone(forest)).fit(X)
    np.testing.assert_array_equal(pipe.score_samples(X), reference.score_samples(X))
    assert not hasattr(pipe, "predict_aim")


def test_unfitted_pipeline_raises_not_fitted_error():
    X, y = make_data()
    pipe = make_pipeline(StandardScaler(), SoftmaxKDERegressor(centers=6))
    for name in _surface_methods():
        args, kwargs = ARGUMENTS[name]
        with pytest.raises(NotFittedError):
            getattr(pipe, name)(X, *args, **kwargs)
    # A fitted final step is what counts, as in scikit-learn.
    pipe.fit(X, y)
    assert pipe.predict_std(X[:2]).shape == (2,)


def test_set_output_pandas_reaches_the_final_step():
    pd = pytest.importorskip("pandas")
    X, y = make_data()
    frame = pd.DataFrame(X, columns=["speed", "distance"])
    pipe = make_pipeline(
        StandardScaler(), SoftmaxKDERegressor(centers=6, max_iter=20)
    ).set_output(transform="pandas")
    pipe.fit(frame, y)
    Xt = pipe[:-1].transform(frame)
    assert isinstance(Xt, pd.DataFrame)
    assert list(pipe.feature_names_in_) == ["speed", "distance"]
    np.testing.assert_array_equal(
        pipe.predict_interval(frame, coverage=0.5),
        pipe[-1].predict_interval(Xt, coverage=0.5),
    )


def test_forwarding_under_metadata_routing():
    X, y = make_data()
    weights = np.linspace(0.5, 1.5, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        final = SoftmaxKDERegressor(centers=6, max_iter=20).set_fit_request(
            sample_weight=True
        )
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = make_pipeline(scaler, final)
        pipe.fit(X, y, sample_weight=weights)
        routing = pipe.get_metadata_routing()
        assert routing.consumes("fit", ["sample_weight"]) == {"sample_weight"}
        aim = pipe.predict_aim(X[:4], half_width=0.1)
        np.testing.assert_array_equal(
            aim, pipe[-1].predict_aim(pipe[:-1].transform(X[:4]), half_width=0.1)
        )
    unweighted = make_pipeline(StandardScaler(), SoftmaxKDERegressor(centers=6))
    unweighted.set_params(softmaxkderegressor__max_iter=20).fit(X, y)
    assert not np.array_equal(
        pipe[-1].predict_weights(X[:4]), unweighted[-1].predict_weights(X[:4])
    )


@pytest.mark.parametrize("final", ["linear", "neighbors"])
def test_estimator_checks_match_scikit_learns_pipeline(final):
    """Every common check gives the same outcome as for sklearn's Pipeline.

    Two checks fail for any scikit-learn Pipeline, which fits its ``steps`` in
    place; scikit-learn lists them as expected failures of its own Pipeline.
    """

    def outcomes(estimator):
        results = check_estimator(estimator, on_fail=None)
        return {r["check_name"]: r["status"] for r in results}

    estimator = final_estimators()[final]
    ours = outcomes(make_pipeline(StandardScaler(), clone(estimator)))
    theirs = outcomes(
        sklearn_pipeline.make_pipeline(StandardScaler(), clone(estimator))
    )
    assert ours == theirs
    failed = {name for name, status in ours.items() if status == "failed"}
    assert failed == {
        "check_dont_overwrite_parameters",
        "check_estimators_overwrite_params",
    }
    assert sum(status == "passed" for status in ours.values()) > 40
