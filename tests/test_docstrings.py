"""Every public function, class and method documents itself with an example."""

import inspect

import pytest

import skkdece
from skkdece import datasets, metrics, plotting


def public_objects():
    for module in (skkdece, datasets, metrics, plotting):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj
                # Inherited members too (the prediction surface lives in a
                # base class), but only skkdece's own, not scikit-learn's.
                for attr, member in inspect.getmembers(obj):
                    if attr.startswith("_") or not callable(member):
                        continue
                    if not getattr(member, "__module__", "").startswith("skkdece"):
                        continue
                    yield f"{module.__name__}.{name}.{attr}", member
            elif inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj


@pytest.mark.parametrize("name, obj", list(public_objects()), ids=lambda x: str(x))
def test_public_api_has_numpydoc_with_examples(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc, f"{name} has no Examples section"
    if not inspect.isclass(obj) and inspect.signature(obj).parameters:
        params = [p for p in inspect.signature(obj).parameters if p != "self"]
        if params:
            assert "Parameters\n----------" in doc, f"{name} has no Parameters"
