"""A pipeline that reaches the whole prediction surface of its final step.

scikit-learn's :class:`~sklearn.pipeline.Pipeline` forwards only the standard
methods (``predict``, ``score``, ``score_samples`` without ``y``, ...), so the
distribution a model of the family predicts is out of reach through it.
:class:`Pipeline` is scikit-learn's pipeline plus every method of
:class:`~skkdece._base.SoftmaxKDEMixin` that scikit-learn's lacks (or, for
``score_samples``, forwards without the targets): each passes X through the
transformers' ``transform`` and calls the final estimator's method of the same
name with the remaining arguments unchanged.  The list is read from the mixin,
so a method added to the family's surface is forwarded too.

Import it from here, as one imports from :mod:`sklearn.pipeline`::

    from skkdece.pipeline import make_pipeline
"""

import inspect
import re

from sklearn import pipeline as _sklearn_pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import SoftmaxKDEMixin
from ._linear_regressor import SoftmaxKDERegressor

__all__ = ["Pipeline", "make_pipeline"]

_EXAMPLE_SETUP = (
    ">>> import numpy as np",
    ">>> from sklearn.preprocessing import StandardScaler",
    ">>> from skkdece import SoftmaxKDERegressor",
    ">>> from skkdece.pipeline import make_pipeline",
    ">>> X = np.linspace(-1, 1, 60)[:, None]",
    ">>> y = np.sin(2 * X[:, 0])",
    ">>> pipe = make_pipeline(StandardScaler(), SoftmaxKDERegressor(centers=6))",
    ">>> pipe = pipe.fit(X, y)",
)

# Arguments after X in each forwarded method's example, and the attribute that
# makes the result an array for the comparison.  A method missing here is
# shown called with X alone.
_EXAMPLE_CALLS = {
    "predict_distribution": ("", ".weights"),
    "predict_density": (", grid=[-0.5, 0.0, 0.5]", ""),
    "predict_cdf": (", grid=[-0.5, 0.0, 0.5]", ""),
    "predict_quantiles": (", quantiles=[0.1, 0.5, 0.9]", ""),
    "predict_interval": (", coverage=0.8", ""),
    "predict_hit_probability": (", lower=-0.2, upper=0.2", ""),
    "predict_aim": (", half_width=0.1", ""),
    "score_samples": (", y[:3]", ""),
    "sample": (", n_draws=4, random_state=0", ""),
}


def _surface_methods():
    """Names of the family's prediction methods a Pipeline must forward.

    Every public method defined by the family's mixin (or a skkdece base of
    it), except those scikit-learn's Pipeline already forwards with the same
    arguments: ``predict`` and ``score``.  ``score_samples`` is kept: the
    scikit-learn version forwards X alone, and the family's takes ``y``.
    """
    names = []
    for cls in SoftmaxKDEMixin.__mro__:
        if not cls.__module__.startswith("skkdece"):
            continue
        for name, member in vars(cls).items():
            if name.startswith("_") or not callable(member) or name in names:
                continue
            if name in ("predict", "score"):
                continue
            names.append(name)
    return tuple(names)


def _final_estimator_has(name):
    """``available_if`` check: the final step has ``name`` (its own error if not)."""

    def check(self):
        getattr(self._final_estimator, name)
        return True

    return check


def _sections(doc):
    """Split a numpydoc docstring into its summary and ``{title: body}``."""
    parts = re.split(r"\n\n(\w[\w ]*)\n-+\n", "\n\n" + doc)
    bodies = [body.strip("\n") for body in parts[2::2]]
    sections = dict(zip(parts[1::2], bodies, strict=True))
    return parts[0].strip(), sections


def _parameters_after_x(text):
    """The Parameters section's entries, without the one for ``X``."""
    entries = re.split(r"\n(?=\S)", text)
    return "\n".join(entry for entry in entries if not entry.startswith("X :"))


def _forwarding_doc(name, surface_method):
    summary, sections = _sections(inspect.getdoc(surface_method) or "")
    arguments, as_array = _EXAMPLE_CALLS.get(name, ("", ""))
    parameters = _parameters_after_x(sections.get("Parameters", ""))
    returns = sections.get("Returns", f"result\n    What ``{name}`` returns.")
    return "\n".join(
        (
            f"Transform the data, and apply ``{name}`` with the final estimator.",
            "",
            "Call ``transform`` of each transformer in the pipeline, then the final",
            f"estimator's ``{name}`` with the transformed data and the remaining",
            "arguments unchanged.  Only available if the final estimator has",
            f"``{name}``.  On a skkdece model:",
            "",
            summary,
            "",
            "Parameters",
            "----------",
            "X : iterable",
            "    Data to predict on.  Must fulfil the input requirements of the",
            "    first step of the pipeline.",
            *([parameters] if parameters else ()),
            "",
            "Returns",
            "-------",
            returns,
            "",
            "See Also",
            "--------",
            f"skkdece.SoftmaxKDERegressor.{name} : The method on a fitted model.",
            "",
            "Examples",
            "--------",
            *_EXAMPLE_SETUP,
            f">>> through = pipe.{name}(X[:3]{arguments}){as_array}",
            f">>> by_hand = pipe[-1].{name}(pipe[:-1].transform(X[:3]){arguments})"
            f"{as_array}",
            ">>> bool(np.array_equal(through, by_hand))",
            "True",
        )
    )


def _forwarding_method(name):
    """``Pipeline.<name>``: transform X, then the final estimator's ``name``."""
    # The docs and signature are the linear model's: the mixin's abstract
    # ``predict_distribution`` has no Returns section to borrow.
    surface_method = getattr(SoftmaxKDERegressor, name)

    def method(self, X, *args, **kwargs):
        check_is_fitted(self)
        Xt = X
        for _, _, transformer in self._iter(with_final=False):
            Xt = transformer.transform(Xt)
        return getattr(self.steps[-1][1], name)(Xt, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Pipeline.{name}"
    method.__module__ = __name__
    method.__doc__ = _forwarding_doc(name, surface_method)
    # Shown by help() and checked by numpydoc: the family's arguments.
    method.__signature__ = inspect.signature(surface_method)
    return available_if(_final_estimator_has(name))(method)


class Pipeline(_sklearn_pipeline.Pipeline):
    """A scikit-learn pipeline that forwards the whole distribution surface.

    Everything :class:`sklearn.pipeline.Pipeline` does, with the same
    parameters, plus the prediction methods of skkdece's models
    (``predict_distribution``, ``predict_density``, ``predict_cdf``,
    ``predict_quantiles``, ``predict_interval``, ``predict_hit_probability``,
    ``predict_aim``, ``predict_mean``, ``predict_std``, ``predict_weights``,
    ``sample``, and ``score_samples`` with ``y``).  Each transforms X through
    every step but the last and calls the final estimator's method of the same
    name with the remaining arguments; it exists only when the final estimator
    has that method (``hasattr`` is False otherwise), and raises
    :class:`~sklearn.exceptions.NotFittedError` before ``fit``.

    Scorers that ask for ``predict_distribution``, such as
    :func:`skkdece.metrics.log_likelihood_scorer`, therefore work on the
    pipeline inside :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------
    steps : list of tuples
        ``(name, transformer)`` pairs, then ``(name, estimator)`` for the
        final step, as in :class:`sklearn.pipeline.Pipeline`.
    transform_input : list of str, default=None
        Metadata to transform through the steps before ``fit`` of the step
        that requests it; only with metadata routing enabled.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers.
    verbose : bool, default=False
        Print the time elapsed fitting each step.

    Attributes
    ----------
    named_steps : :class:`~sklearn.utils.Bunch`
        The steps by name.
    classes_ : ndarray of shape (n_classes,)
        The final estimator's, if it has them.
    n_features_in_ : int
        Number of features seen by the first step's ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the first step's ``fit``, when they are strings.

    See Also
    --------
    make_pipeline : Build a :class:`Pipeline` without naming the steps.
    sklearn.pipeline.Pipeline : The parent class.

    Notes
    -----
    The forwarded methods pass their arguments after X to the final estimator
    alone.  With metadata routing enabled they route nothing to the
    transformers' ``transform``: scikit-learn's router knows only its own
    method names, and scikit-learn's ``score_samples`` does the same.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.pipeline import Pipeline
    >>> X = np.linspace(0, 100, 80)[:, None]
    >>> y = np.sin(X[:, 0] / 30)
    >>> pipe = Pipeline([("scale", StandardScaler()),
    ...                  ("kde", SoftmaxKDERegressor(centers=8))]).fit(X, y)
    >>> pipe.predict_interval(X[:2], coverage=0.8).shape
    (2, 2)
    >>> aim = pipe.predict_aim(X[:2], half_width=0.1)
    >>> bool(np.array_equal(aim, pipe[-1].predict_aim(pipe[:-1].transform(X[:2]),
    ...                                               half_width=0.1)))
    True
    """


for _name in _surface_methods():
    setattr(Pipeline, _name, _forwarding_method(_name))
del _name


def make_pipeline(*steps, memory=None, verbose=False, transform_input=None):
    """Build a :class:`Pipeline` from estimators, naming the steps.

    Like :func:`sklearn.pipeline.make_pipeline`: each step is named after its
    class in lower case (numbered when two share a class), and the result is
    a :class:`skkdece.pipeline.Pipeline`, which forwards the final
    estimator's distribution surface.

    Parameters
    ----------
    *steps : list of estimators
        Transformers, then the final estimator.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers.
    verbose : bool, default=False
        Print the time elapsed fitting each step.
    transform_input : list of str, default=None
        Metadata to transform through the steps before ``fit`` of the step
        that requests it; only with metadata routing enabled.

    Returns
    -------
    pipeline : Pipeline
        The unfitted pipeline.

    See Also
    --------
    Pipeline : The class, for naming the steps yourself.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import SplineTransformer
    >>> from skkdece import SoftmaxKDERegressor
    >>> from skkdece.pipeline import make_pipeline
    >>> pipe = make_pipeline(SplineTransformer(n_knots=4),
    ...                      SoftmaxKDERegressor(centers=8))
    >>> [name for name, _ in pipe.steps]
    ['splinetransformer', 'softmaxkderegressor']
    >>> X = np.linspace(-1, 1, 80)[:, None]
    >>> pipe = pipe.fit(X, X[:, 0] ** 2)
    >>> pipe.predict_quantiles(X[:2], [0.1, 0.9]).shape
    (2, 2)
    """
    named = _sklearn_pipeline.make_pipeline(*steps)
    return Pipeline(
        named.steps, memory=memory, verbose=verbose, transform_input=transform_input
    )
