"""The compiled parts, optional: each is used only if it is the build this
code calls.

An editable install keeps its in-place build until it is reinstalled: after
an update of a C source its old build would take other arguments, so it is
set aside with a warning, and NumPy does its work, rather than failing in
``fit``.
"""

import warnings


def usable(module, api, what, fallback):
    """``module`` if it implements calling convention ``api``, else None.

    ``what`` names the compiled part and ``fallback`` says what runs in its
    place, both for the warning.
    """
    if module is None:
        return None
    found = getattr(module, "API_VERSION", None)
    if found != api:
        warnings.warn(
            f"skkdece's compiled {what} ({getattr(module, '__file__', module)})"
            f" implement API_VERSION {found}, not {api}: they come from "
            "another version of skkdece. Rebuild them (pip install . again); "
            f"until then {fallback}.",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return module
