"""Every public name's docstring passes ``numpydoc.validate``.

The public names are those the documentation site lists: each public module's
``__all__`` (``skkdece`` and every submodule or subpackage without a leading
underscore, found by walking the package), with, for each class, the public
methods and properties skkdece defines (inherited ones included, the ones
scikit-learn adds left out). Data (``KERNELS``, ``FORMAT``, ...) has no
numpydoc sections to check.

Rules in ``IGNORED`` are not checked; each says why.
"""

import importlib
import inspect
import pkgutil
import warnings

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

import skkdece  # noqa: E402

IGNORED = {
    # Where the summary starts and the closing quotes sit is source layout,
    # invisible in the rendered page; the prediction surface's docstrings are
    # assembled by skkdece._docstrings and end without a newline.
    "GL01": "summary on the line after the opening quotes",
    "GL02": "closing quotes on a line of their own",
    # Named returns (``y_pred : ndarray of shape (n_samples,)``) let the text
    # refer to the returned value by name, as scikit-learn's docstrings do.
    "RT02": "Returns gives only the type",
    # Optional sections, as in scikit-learn: many methods say everything in
    # one line and their parameters.
    "ES01": "no extended summary",
    "SA01": "no See Also section",
}
# A property's page entry is one line under its class, which has the example.
IGNORED_FOR_PROPERTIES = {"EX01": "no Examples section"}


def public_modules():
    found, queue = [skkdece], [skkdece]
    while queue:
        package = queue.pop(0)
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found.append(module)
            if info.ispkg:
                queue.append(module)
    return found


def public_names():
    for module in public_modules():
        for name in getattr(module, "__all__", []):
            with warnings.catch_warnings():
                warnings.simplefilter("error", DeprecationWarning)
                warnings.simplefilter("error", FutureWarning)
                try:
                    obj = getattr(module, name)
                except (DeprecationWarning, FutureWarning):
                    continue  # a deprecated alias, checked where it moved to
            path = f"{module.__name__}.{name}"
            if inspect.isclass(obj):
                yield path
                for attr, member in inspect.getmembers(obj):
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, property):
                        owner = member.fget
                    elif callable(member):
                        owner = member
                    else:
                        continue
                    if getattr(owner, "__module__", "").startswith("skkdece"):
                        yield f"{path}.{attr}"
            elif inspect.isfunction(obj):
                yield path


NAMES = sorted(set(public_names()))


def is_property(name):
    module_and_class, _, attr = name.rpartition(".")
    module_name, _, class_name = module_and_class.rpartition(".")
    try:
        owner = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        return False
    return isinstance(inspect.getattr_static(owner, attr, None), property)


def errors_of(name):
    ignored = set(IGNORED)
    if is_property(name):
        ignored |= set(IGNORED_FOR_PROPERTIES)
    result = numpydoc_validate.validate(name)
    return [
        (code, message) for code, message in result["errors"] if code not in ignored
    ]


@pytest.mark.parametrize("name", NAMES)
def test_docstring_passes_numpydoc_validation(name):
    errors = errors_of(name)
    assert not errors, "\n".join(f"{name}: {c} {m}" for c, m in errors)
