"""Numpydoc assembled from parts, for methods whose docs share their frame.

The prediction surface has a dozen methods that all take ``X`` and whose
examples all start from a fitted model, and :class:`KDEDistribution` has as
many whose examples start from the same small distribution.  Writing those
shared lines once, here, keeps each method's own text in its definition and
the frame in one place.
"""

import inspect

#: The ``X`` parameter of every prediction method.
X_PARAMETER = (
    "X : {array-like, sparse matrix} of shape (n_samples, n_features)",
    "    Features.",
)


def compose(summary, *, returns, example, parameters=(), setup=()):
    r"""A numpydoc docstring from its sections.

    Parameters
    ----------
    summary : str
        The summary line and any extended description.
    returns : str
        The Returns section's entries.
    example : str
        The doctest lines after ``setup``.
    parameters : tuple of str, default=()
        Lines of the Parameters section (none: no section).
    setup : tuple of str, default=()
        Doctest lines that open the Examples section.

    Returns
    -------
    docstring : str

    Examples
    --------
    >>> doc = compose("Twice x.", returns="y : float", example="(example)")
    >>> doc.split("\n\n")
    ['Twice x.', 'Returns\n-------\ny : float', 'Examples\n--------\n(example)']
    """
    parts = [inspect.cleandoc(summary)]
    if parameters:
        parts.append("\n".join(("Parameters", "-" * 10, *parameters)))
    parts.append("Returns\n-------\n" + inspect.cleandoc(returns))
    parts.append(
        "\n".join(("Examples", "-" * 8, *setup, *inspect.cleandoc(example).split("\n")))
    )
    return "\n\n".join(parts)


def documented(**sections):
    """Decorator: set a function's docstring from :func:`compose`'s sections.

    The function's own docstring is the summary and extended description.
    """

    def decorate(function):
        function.__doc__ = compose(function.__doc__, **sections)
        return function

    return decorate


def with_example(setup, example):
    """Decorator: end a docstring with an Examples section, ``setup`` first.

    Parameters
    ----------
    setup : tuple of str
        Shared doctest lines (imports, the object the example asks about).
    example : str
        This function's own doctest lines.

    Returns
    -------
    decorate : callable

    Examples
    --------
    >>> @with_example((">>> x = 2",), ">>> x + f()\\n3")
    ... def f():
    ...     '''One.'''
    ...     return 1
    >>> f.__doc__.splitlines()[-3:]
    ['>>> x = 2', '>>> x + f()', '3']
    """

    def decorate(function):
        lines = ("Examples", "-" * 8, *setup, *inspect.cleandoc(example).split("\n"))
        function.__doc__ = (
            inspect.cleandoc(function.__doc__) + "\n\n" + "\n".join(lines)
        )
        return function

    return decorate
