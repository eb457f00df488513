"""Command line: ``python -m skkdece demo``.

Run ``python -m skkdece --help`` for the commands and
``python -m skkdece demo --help`` for the demo's options.  The parser and the
demo live in :mod:`skkdece._demo`, where their doctests run (pytest does not
collect doctests from ``__main__.py``).
"""

import sys

from .robocode._demo import main

if __name__ == "__main__":
    sys.exit(main())
