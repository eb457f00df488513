"""Numpydoc assembled from parts, for methods whose docs share their frame.

The prediction surface has a dozen methods that all take ``X`` and whose
examples all start from a fitted model, and :class:`KDEDistribution` has as
many whose examples start from the same small distribution.  Writing those
shared lines once, here, keeps each method's own text in its definition and
the frame in one place.
"""

import inspect
import re
import textwrap

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


def parameter_types(doc):
    """The ``{name: type}`` of each entry of a docstring's Parameters section.

    Parameters
    ----------
    doc : str
        A numpydoc docstring, without its indentation (``inspect.getdoc``).

    Returns
    -------
    types : dict of str to str
        Each parameter's type, in the section's order; a grouped entry
        (``lower, upper : float``) gives each of its names the type.

    Examples
    --------
    >>> parameter_types('''Sum.
    ...
    ... Parameters
    ... ----------
    ... a, b : float
    ...     Terms.
    ... n : int, default=2
    ...     Count.
    ...
    ... Returns
    ... -------
    ... s : float
    ...     The sum.''')
    {'a': 'float', 'b': 'float', 'n': 'int, default=2'}
    """
    match = re.search(r"\nParameters\n-+\n(.*?)(?=\n\n\w[\w ]*\n-+\n|\Z)", doc, re.S)
    types = {}
    for line in match.group(1).split("\n") if match else ():
        if line and not line[0].isspace():
            names, _, type_ = line.partition(" : ")
            for name in names.split(","):
                types[name.strip()] = type_.strip()
    return types


def parameters_as_for(source, link, *, notes=None):
    """Decorator: list ``source``'s parameters, with their types, in a class's docs.

    For a subclass that takes its parent's parameters unchanged: the
    ``{parameters}`` line of its docstring becomes one entry per parameter of
    ``source``, with ``source``'s type and "As for ``link``." (then the
    parameter's note, if any), so the types are written once, in ``source``.

    Parameters
    ----------
    source : type
        The class whose Parameters section is borrowed.
    link : str
        How the descriptions name ``source`` (a reST cross-reference).
    notes : dict of str to str, default=None
        Text added to some parameters' descriptions, by name.

    Returns
    -------
    decorate : callable
        Sets the decorated class's ``__doc__`` and returns the class.

    Examples
    --------
    >>> class Base:
    ...     '''Base.
    ...
    ...     Parameters
    ...     ----------
    ...     n : int, default=2
    ...         Count.
    ...     '''
    >>> @parameters_as_for(Base, ":class:`Base`", notes={"n": "Even."})
    ... class Child(Base):
    ...     '''Child.
    ...
    ...     Parameters
    ...     ----------
    ...     {parameters}
    ...     '''
    >>> print(Child.__doc__)
    Child.
    <BLANKLINE>
    Parameters
    ----------
    n : int, default=2
        As for :class:`Base`.  Even.
    """
    notes = notes or {}

    def decorate(cls):
        entries = []
        for name, type_ in parameter_types(inspect.getdoc(source)).items():
            text = f"As for {link}."
            if name in notes:
                text += "  " + notes[name]
            entries.append(f"{name} : {type_}")
            entries.append(textwrap.indent(textwrap.fill(text, 72), "    "))
        cls.__doc__ = inspect.cleandoc(cls.__doc__).replace(
            "{parameters}", "\n".join(entries)
        )
        return cls

    return decorate
