"""Former home of :mod:`skkdece.robocode.export` (moved in 0.2).

The names still resolve here, with a ``FutureWarning``; import them from
:mod:`skkdece.robocode.export` instead.  This module goes in 0.3.
"""

import warnings

_MOVED = ("FORMAT", "FORMAT_VERSION", "export_model", "to_dict")


def __getattr__(name):
    if name in _MOVED:
        warnings.warn(
            f"skkdece.export.{name} moved to skkdece.robocode.export.{name}; "
            "the old path goes in 0.3.",
            FutureWarning,
            stacklevel=2,
        )
        from .robocode import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
